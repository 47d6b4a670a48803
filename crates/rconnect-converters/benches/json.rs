//! JsonConverter throughput for a 10-field struct, both directions, with and without
//! the schema envelope. Run with `cargo bench -p rconnect-converters --bench json`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rconnect_converters::{JsonConverter, JsonConverterConfig};
use rconnect_sdk::data::{Schema, SchemaBuilder, SchemaRef, Struct, Value};

fn schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("com.example.Order")
        .field("id", Schema::int64())
        .field("customer_id", Schema::int32())
        .field("quantity", Schema::int32())
        .field("sku", Schema::string())
        .field("description", Schema::optional_string())
        .field("price", Schema::float64())
        .field("discount", Schema::optional_float64())
        .field("paid", Schema::boolean())
        .field("created_at", Schema::int64())
        .field("note", Schema::optional_string())
        .build()
}

fn record(schema: &SchemaRef, i: i64) -> Value {
    let mut s = Struct::new(schema.clone());
    s.put("id", Value::Int64(1_000_000 + i)).unwrap();
    s.put("customer_id", Value::Int32(4242)).unwrap();
    s.put("quantity", Value::Int32(3)).unwrap();
    s.put("sku", Value::from("SKU-000123-XL")).unwrap();
    s.put("description", Value::from("Blue cotton shirt, size XL"))
        .unwrap();
    s.put("price", Value::Float64(19.99)).unwrap();
    s.put("discount", Value::Null).unwrap();
    s.put("paid", Value::Boolean(true)).unwrap();
    s.put("created_at", Value::Int64(1_700_000_000_000 + i))
        .unwrap();
    s.put("note", Value::Null).unwrap();
    Value::Struct(s)
}

fn bench(c: &mut Criterion) {
    let schema = schema();
    let value = record(&schema, 1);
    for schemas_enable in [false, true] {
        let conv = JsonConverter::with_config(JsonConverterConfig {
            schemas_enable,
            ..Default::default()
        });
        let bytes = conv.serialize(Some(&schema), &value).unwrap().unwrap();
        let mut g = c.benchmark_group(format!("json/schemas.enable={schemas_enable}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("to_bytes", |b| {
            b.iter(|| {
                conv.serialize(black_box(Some(&schema)), black_box(&value))
                    .unwrap()
            })
        });
        g.bench_function("from_bytes", |b| {
            b.iter(|| conv.deserialize(black_box(Some(&bytes))).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
