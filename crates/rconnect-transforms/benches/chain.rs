//! Cost per record of the built-in transformations: each of a few common ones alone, and the
//! four-stage chain of the end-to-end test (HoistField$Value -> InsertField$Value ->
//! ValueToKey -> ExtractField$Key) on a file line. Run with
//! `cargo bench -p rconnect-transforms --bench chain`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rconnect_sdk::data::{Schema, SchemaBuilder, SchemaRef, Struct, Value};
use rconnect_sdk::record::{SourceMeta, SourceRecord};
use rconnect_sdk::transform::Transformation;
use rconnect_sdk::Props;

fn new(class: &str, config: &[(&str, &str)]) -> Box<dyn Transformation<SourceMeta>> {
    let plugin = rconnect_transforms::transformations()
        .into_iter()
        .find(|t| t.class_name == format!("org.apache.kafka.connect.transforms.{class}"))
        .expect("a built-in class");
    let mut t = (plugin.new_source)();
    let props: Props = config
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    t.configure(&props).expect("a valid config");
    t
}

fn order_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("com.example.Order")
        .field("id", Schema::int64())
        .field("customer_id", Schema::int32())
        .field("sku", Schema::string())
        .field("price", Schema::float64())
        .field("note", Schema::optional_string())
        .build()
}

fn order(schema: &SchemaRef) -> SourceRecord {
    let mut s = Struct::new(schema.clone());
    s.put("id", Value::Int64(1_000_001)).unwrap();
    s.put("customer_id", Value::Int32(4242)).unwrap();
    s.put("sku", Value::from("SKU-000123-XL")).unwrap();
    s.put("price", Value::Float64(19.99)).unwrap();
    let mut r = SourceRecord::new(None, None, "orders", Some(schema.clone()), Value::Struct(s));
    r.timestamp = Some(1_700_000_000_000);
    r
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("smt");
    g.throughput(Throughput::Elements(1));

    let chain = [
        new("HoistField$Value", &[("field", "line")]),
        new(
            "InsertField$Value",
            &[
                ("topic.field", "origin"),
                ("static.field", "source"),
                ("static.value", "file"),
            ],
        ),
        new("ValueToKey", &[("fields", "line,source")]),
        new("ExtractField$Key", &[("field", "line")]),
    ];
    let line = SourceRecord::new(
        None,
        None,
        "lines",
        Some(Schema::string()),
        Value::from("a line of about forty characters of text"),
    );
    g.bench_function("chain-4-file-line", |b| {
        b.iter_batched(
            || line.clone(),
            |mut r| {
                for t in &chain {
                    r = t.apply(r).unwrap().unwrap();
                }
                black_box(r)
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("clone-only-file-line", |b| {
        b.iter(|| black_box(line.clone()))
    });
    // Each stage alone, on the record the previous stages produce.
    let mut input = line.clone();
    for (i, t) in chain.iter().enumerate() {
        let rec = input.clone();
        g.bench_function(format!("chain-stage-{}", i + 1), |b| {
            b.iter_batched(
                || rec.clone(),
                |r| black_box(t.apply(r).unwrap()),
                BatchSize::SmallInput,
            )
        });
        input = t.apply(input).unwrap().unwrap();
    }

    let schema = order_schema();
    let rec = order(&schema);
    for (name, t) in [
        (
            "cast-struct",
            new("Cast$Value", &[("spec", "id:string,price:int32")]),
        ),
        ("mask-struct", new("MaskField$Value", &[("fields", "sku")])),
        (
            "replace-struct",
            new(
                "ReplaceField$Value",
                &[("exclude", "note"), ("renames", "sku:code")],
            ),
        ),
        ("timestamp-router", {
            let plugin = rconnect_transforms::transformations()
                .into_iter()
                .find(|t| t.class_name.ends_with(".TimestampRouter"))
                .unwrap();
            let mut t = (plugin.new_source)();
            t.configure(&Props::new()).unwrap();
            t
        }),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(t.apply(rec.clone()).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
