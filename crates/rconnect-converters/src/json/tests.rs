use super::*;
use rconnect_sdk::converter::{Converter, HeaderConverter};
use rconnect_sdk::data::logical;
use rconnect_sdk::data::Headers;
use rconnect_sdk::data::{Decimal, Schema, SchemaBuilder, Struct, Type};

fn conv(schemas: bool) -> JsonConverter {
    JsonConverter::with_config(JsonConverterConfig {
        schemas_enable: schemas,
        ..JsonConverterConfig::default()
    })
}

fn ser(c: &JsonConverter, schema: Option<&SchemaRef>, v: &Value) -> String {
    String::from_utf8(c.serialize(schema, v).unwrap().unwrap()).unwrap()
}

fn payload(schema: &SchemaRef, v: &Value) -> String {
    ser(&conv(false), Some(schema), v)
}

fn read(c: &JsonConverter, s: &str) -> ConnectResult<SchemaAndValue> {
    c.deserialize(Some(s.as_bytes()))
}

fn user_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("com.example.User")
        .field("id", Schema::int64())
        .field("name", Schema::optional_string())
        .field("ts", logical::timestamp_builder().build())
        .build()
}

// ---- schema JSON (spec 5.2) ----

#[test]
fn schema_json_examples_from_the_spec() {
    let c = conv(true);
    assert_eq!(
        c.schema_to_json(&Schema::int32()).unwrap(),
        r#"{"type":"int32","optional":false}"#
    );
    assert_eq!(
        c.schema_to_json(&logical::decimal_schema(2)).unwrap(),
        r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}"#
    );
    assert_eq!(
        c.schema_to_json(&user_schema()).unwrap(),
        concat!(
            r#"{"type":"struct","fields":["#,
            r#"{"type":"int64","optional":false,"field":"id"},"#,
            r#"{"type":"string","optional":true,"field":"name"},"#,
            r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}],"#,
            r#""optional":false,"name":"com.example.User"}"#
        )
    );
}

#[test]
fn schema_json_key_order_and_type_names() {
    let c = conv(true);
    let s = SchemaBuilder::float32()
        .optional()
        .name("n")
        .version(3)
        .doc("d")
        .parameter("b", "2")
        .parameter("a", "1");
    let s = s.default_value(Value::Float32(1.5)).unwrap().build();
    assert_eq!(
        c.schema_to_json(&s).unwrap(),
        r#"{"type":"float","optional":true,"name":"n","version":3,"doc":"d","parameters":{"b":"2","a":"1"},"default":1.5}"#
    );
    assert_eq!(
        c.schema_to_json(&Schema::float64()).unwrap(),
        r#"{"type":"double","optional":false}"#
    );
    let arr = SchemaBuilder::array(Schema::optional_boolean()).build();
    assert_eq!(
        c.schema_to_json(&arr).unwrap(),
        r#"{"type":"array","items":{"type":"boolean","optional":true},"optional":false}"#
    );
    let map = SchemaBuilder::map(Schema::string(), Schema::bytes())
        .optional()
        .build();
    assert_eq!(
        c.schema_to_json(&map).unwrap(),
        r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"bytes","optional":false},"optional":true}"#
    );
    // An explicitly empty parameter map is written; an absent one is not.
    let mut empty = Schema::primitive(Type::Int8, false);
    empty.parameters = Some(Default::default());
    assert_eq!(
        c.schema_to_json(&Arc::new(empty)).unwrap(),
        r#"{"type":"int8","optional":false,"parameters":{}}"#
    );
    let int16 = SchemaBuilder::int16()
        .default_value(Value::Int16(7))
        .unwrap()
        .build();
    assert_eq!(
        c.schema_to_json(&int16).unwrap(),
        r#"{"type":"int16","optional":false,"default":7}"#
    );
}

#[test]
fn schema_json_parses_back_to_equal_schemas() {
    let c = conv(true);
    let schemas = vec![
        Schema::int32(),
        Schema::optional_string(),
        logical::decimal_schema(2),
        user_schema(),
        SchemaBuilder::map(
            Schema::int32(),
            SchemaBuilder::array(Schema::float32()).build(),
        )
        .optional()
        .build(),
        SchemaBuilder::int64()
            .name("x")
            .version(2)
            .doc("doc")
            .parameter("k", "v")
            .default_value(Value::Int64(5))
            .unwrap()
            .build(),
        SchemaBuilder::string()
            .optional()
            .default_value(Value::from("dflt"))
            .unwrap()
            .build(),
    ];
    for s in schemas {
        let json = c.schema_to_json(&s).unwrap();
        let back = c.schema_from_json(json.as_bytes()).unwrap().unwrap();
        assert_eq!(back, s, "{json}");
    }
    assert_eq!(c.schema_from_json(b"null").unwrap(), None);
}

#[test]
fn schema_json_reading_rules() {
    let c = conv(true);
    let s = |j: &str| c.schema_from_json(j.as_bytes());
    assert_eq!(s(r#"{"type":"int8"}"#).unwrap().unwrap(), Schema::int8());
    assert_eq!(
        s(r#"{"type":"int8","optional":"true"}"#).unwrap().unwrap(),
        Schema::int8()
    );
    assert_eq!(
        s(r#"{"type":"int8","name":5,"version":"x","doc":false}"#)
            .unwrap()
            .unwrap(),
        Schema::int8()
    );
    assert!(s(r#"{"type":"int8","parameters":{}}"#)
        .unwrap()
        .unwrap()
        .parameters
        .is_none());
    assert_eq!(
        s(r#"{"optional":true}"#).unwrap_err().to_string(),
        "Schema must contain 'type' field"
    );
    assert_eq!(
        s(r#"{"type":"float32"}"#).unwrap_err().to_string(),
        "Unknown schema type: float32"
    );
    assert_eq!(
        s(r#"{"type":"array"}"#).unwrap_err().to_string(),
        "Array schema did not specify the element type"
    );
    assert_eq!(
        s(r#"{"type":"map","values":{"type":"int8"}}"#)
            .unwrap_err()
            .to_string(),
        "Map schema did not specify the key type"
    );
    assert_eq!(
        s(r#"{"type":"map","keys":{"type":"int8"}}"#)
            .unwrap_err()
            .to_string(),
        "Map schema did not specify the value type"
    );
    assert_eq!(
        s(r#"{"type":"struct","fields":{}}"#)
            .unwrap_err()
            .to_string(),
        "Struct schema's \"fields\" argument is not an array."
    );
    assert_eq!(
        s(r#"{"type":"struct","fields":[{"type":"int8"}]}"#)
            .unwrap_err()
            .to_string(),
        "Struct schema's field name not specified properly"
    );
    assert_eq!(
        s(r#"{"type":"int8","parameters":{"a":1}}"#)
            .unwrap_err()
            .to_string(),
        "Schema parameters must have string values."
    );
    assert!(s(
        r#"{"type":"struct","fields":[{"type":"int8","field":"a"},{"type":"int8","field":"a"}]}"#
    )
    .is_err());
    assert!(s(r#"{"type":"int8","default":null}"#)
        .unwrap_err()
        .to_string()
        .contains("Invalid null value for required INT8 field"));
    let d = s(r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"},"default":"AIA="}"#).unwrap().unwrap();
    assert_eq!(d.default_value, Some(Value::Decimal(Decimal::new(128, 2))));
}

// ---- payload encoding (spec 5.3) ----

#[test]
fn primitive_payloads() {
    assert_eq!(payload(&Schema::int8(), &Value::Int8(-8)), "-8");
    assert_eq!(payload(&Schema::int16(), &Value::Int16(300)), "300");
    assert_eq!(
        payload(&Schema::int32(), &Value::Int32(i32::MIN)),
        "-2147483648"
    );
    assert_eq!(
        payload(&Schema::int64(), &Value::Int64(i64::MAX)),
        "9223372036854775807"
    );
    assert_eq!(payload(&Schema::float64(), &Value::Float64(1.0)), "1.0");
    assert_eq!(payload(&Schema::float64(), &Value::Float64(1e10)), "1.0E10");
    assert_eq!(
        payload(&Schema::float64(), &Value::Float64(0.0001)),
        "1.0E-4"
    );
    assert_eq!(payload(&Schema::float32(), &Value::Float32(0.1)), "0.1");
    assert_eq!(
        payload(&Schema::float64(), &Value::Float64(f64::NAN)),
        "\"NaN\""
    );
    assert_eq!(
        payload(&Schema::float64(), &Value::Float64(f64::NEG_INFINITY)),
        "\"-Infinity\""
    );
    assert_eq!(payload(&Schema::boolean(), &Value::Boolean(true)), "true");
    assert_eq!(
        payload(&Schema::bytes(), &Value::Bytes(vec![0, 1, 2, 0xff])),
        "\"AAEC/w==\""
    );
    assert_eq!(payload(&Schema::bytes(), &Value::Bytes(vec![])), "\"\"");
}

#[test]
fn string_escaping_matches_jackson() {
    let s =
        Value::from("q\" b\\ nl\n cr\r tab\t bs\u{8} ff\u{c} nul\u{0} us\u{1f} del\u{7f} é € 😀 /");
    assert_eq!(
        payload(&Schema::string(), &s),
        "\"q\\\" b\\\\ nl\\n cr\\r tab\\t bs\\b ff\\f nul\\u0000 us\\u001F del\u{7f} é € \\uD83D\\uDE00 /\""
    );
}

#[test]
fn characters_outside_the_bmp_are_written_as_surrogate_escapes_like_jackson() {
    // U+10000 (first), U+1D11E, U+1F600 and U+10FFFF (last), at the edges and side by side.
    let s = Value::from("\u{10000}a\u{1d11e}\u{1f600}\u{1f600}\"\u{10ffff}");
    assert_eq!(
        payload(&Schema::string(), &s),
        r#""\uD800\uDC00a\uD834\uDD1E\uD83D\uDE00\uD83D\uDE00\"\uDBFF\uDFFF""#
    );
    // The escapes read back as the same characters.
    let back = read(&conv(false), &payload(&Schema::string(), &s)).unwrap();
    assert_eq!(back.value, s);
}

#[test]
fn containers() {
    let arr = SchemaBuilder::array(Schema::optional_int32()).build();
    assert_eq!(
        payload(
            &arr,
            &Value::Array(vec![Value::Int32(1), Value::Null, Value::Int32(3)])
        ),
        "[1,null,3]"
    );
    let smap = SchemaBuilder::map(Schema::string(), Schema::int32()).build();
    let v = Value::Map(vec![
        (Value::from("a"), Value::Int32(1)),
        (Value::from("b"), Value::Int32(2)),
    ]);
    assert_eq!(payload(&smap, &v), r#"{"a":1,"b":2}"#);
    let imap = SchemaBuilder::map(Schema::int32(), Schema::string()).build();
    let v = Value::Map(vec![
        (Value::Int32(1), Value::from("x")),
        (Value::Int32(2), Value::from("y")),
    ]);
    assert_eq!(payload(&imap, &v), r#"[[1,"x"],[2,"y"]]"#);
    let optkey = SchemaBuilder::map(Schema::optional_string(), Schema::int32()).build();
    assert_eq!(
        payload(&optkey, &Value::Map(vec![(Value::Null, Value::Int32(1))])),
        r#"{"null":1}"#
    );
}

#[test]
fn struct_payloads() {
    let schema = user_schema();
    let mut s = Struct::new(schema.clone());
    s.put("id", Value::Int64(42)).unwrap();
    s.put("ts", Value::Timestamp(1_700_000_000_000)).unwrap();
    let v = Value::Struct(s);
    assert_eq!(
        payload(&schema, &v),
        r#"{"id":42,"name":null,"ts":1700000000000}"#
    );
    // A structurally equal schema in another Arc is accepted.
    let copy = Arc::new((*schema).clone());
    assert_eq!(
        payload(&copy, &v),
        r#"{"id":42,"name":null,"ts":1700000000000}"#
    );
    let other = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .build();
    assert_eq!(
        conv(false)
            .serialize(Some(&other), &v)
            .unwrap_err()
            .to_string(),
        "Mismatching schema."
    );
    assert_eq!(
        conv(false).serialize(None, &v).unwrap_err().to_string(),
        "Mismatching schema."
    );
}

#[test]
fn logical_payloads() {
    let dec = logical::decimal_schema(2);
    let v = Value::Decimal(Decimal::new(12345, 2));
    assert_eq!(payload(&dec, &v), "\"MDk=\"");
    let numeric = JsonConverter::with_config(JsonConverterConfig {
        schemas_enable: false,
        decimal_format: DecimalFormat::Numeric,
        ..Default::default()
    });
    assert_eq!(ser(&numeric, Some(&dec), &v), "123.45");
    assert_eq!(
        ser(
            &numeric,
            Some(&logical::decimal_schema(7)),
            &Value::Decimal(Decimal::new(1, 7))
        ),
        "1E-7"
    );
    assert!(conv(false)
        .serialize(Some(&dec), &Value::Decimal(Decimal::new(1, 3)))
        .unwrap_err()
        .to_string()
        .contains("mismatching scale"));
    assert_eq!(
        conv(false)
            .serialize(Some(&dec), &Value::Int32(1))
            .unwrap_err()
            .to_string(),
        "Invalid type for Decimal, expected BigDecimal but was class java.lang.Integer"
    );
    let day = 19782 * logical::MILLIS_PER_DAY;
    assert_eq!(
        payload(&logical::date_builder().build(), &Value::Timestamp(day)),
        "19782"
    );
    assert_eq!(
        payload(
            &logical::time_builder().build(),
            &Value::Timestamp(45_296_789)
        ),
        "45296789"
    );
    assert_eq!(
        payload(&logical::timestamp_builder().build(), &Value::Timestamp(-5)),
        "-5"
    );
    assert!(conv(false)
        .serialize(
            Some(&logical::date_builder().build()),
            &Value::Timestamp(day + 1)
        )
        .is_err());
    assert_eq!(
        conv(false)
            .serialize(Some(&logical::date_builder().build()), &Value::Int32(1))
            .unwrap_err()
            .to_string(),
        "Invalid type for Date, expected Date but was class java.lang.Integer"
    );
}

#[test]
fn null_handling() {
    let with_default = SchemaBuilder::int32()
        .default_value(Value::Int32(7))
        .unwrap()
        .build();
    assert_eq!(payload(&with_default, &Value::Null), "7");
    let no_replace = JsonConverter::with_config(JsonConverterConfig {
        schemas_enable: false,
        replace_null_with_default: false,
        ..Default::default()
    });
    let opt_default = SchemaBuilder::int32()
        .optional()
        .default_value(Value::Int32(7))
        .unwrap()
        .build();
    assert_eq!(ser(&no_replace, Some(&opt_default), &Value::Null), "null");
    assert_eq!(payload(&Schema::optional_int32(), &Value::Null), "null");
    assert_eq!(
        conv(false)
            .serialize(Some(&Schema::int32()), &Value::Null)
            .unwrap_err()
            .to_string(),
        "Conversion error: null value for field that is required and has no default value"
    );
    let schema = SchemaBuilder::struct_()
        .field("a", with_default.clone())
        .field("b", Schema::optional_string())
        .build();
    let s = Struct::new(schema.clone());
    assert_eq!(payload(&schema, &Value::Struct(s)), r#"{"a":7,"b":null}"#);
}

#[test]
fn type_mismatches_are_data_errors() {
    let e = conv(false)
        .serialize(Some(&Schema::int32()), &Value::from("x"))
        .unwrap_err();
    assert_eq!(
        e,
        ConnectError::data("Invalid type for INT32: class java.lang.String")
    );
    let e = conv(false)
        .serialize(Some(&Schema::bytes()), &Value::from("x"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid type for bytes type: class java.lang.String"
    );
    let e = conv(false)
        .serialize(None, &Value::Decimal(Decimal::new(1, 0)))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Java class class java.math.BigDecimal does not have corresponding schema type."
    );
    let smap = SchemaBuilder::map(Schema::string(), Schema::int32()).build();
    let e = conv(false)
        .serialize(
            Some(&smap),
            &Value::Map(vec![(Value::Int32(1), Value::Int32(1))]),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid type for STRING: class java.lang.Integer"
    );
}

#[test]
fn schemaless_payloads() {
    let c = conv(false);
    let v = Value::Map(vec![(
        Value::from("a"),
        Value::Array(vec![Value::Int8(1), Value::Null, Value::Boolean(false)]),
    )]);
    assert_eq!(ser(&c, None, &v), r#"{"a":[1,null,false]}"#);
    let v = Value::Map(vec![(Value::Int32(1), Value::from("x"))]);
    assert_eq!(ser(&c, None, &v), r#"[[1,"x"]]"#);
    assert_eq!(ser(&c, None, &Value::Map(vec![])), "{}");
    assert_eq!(ser(&c, None, &Value::Float32(1.0)), "1.0");
    assert_eq!(ser(&c, None, &Value::Bytes(b"hi".to_vec())), "\"aGk=\"");
}

// ---- envelope and tombstones (spec 5.5) ----

#[test]
fn envelope_and_tombstones() {
    let c = conv(true);
    assert_eq!(
        ser(&c, Some(&Schema::int32()), &Value::Int32(42)),
        r#"{"schema":{"type":"int32","optional":false},"payload":42}"#
    );
    assert_eq!(
        ser(&c, None, &Value::from("x")),
        r#"{"schema":null,"payload":"x"}"#
    );
    assert_eq!(
        ser(&c, Some(&Schema::optional_string()), &Value::Null),
        r#"{"schema":{"type":"string","optional":true},"payload":null}"#
    );
    assert_eq!(c.serialize(None, &Value::Null).unwrap(), None);
    assert_eq!(conv(false).serialize(None, &Value::Null).unwrap(), None);
    assert_eq!(
        conv(false)
            .serialize(Some(&Schema::optional_string()), &Value::Null)
            .unwrap(),
        Some(b"null".to_vec())
    );
    assert_eq!(c.deserialize(None).unwrap(), SchemaAndValue::NULL);
    assert_eq!(conv(false).deserialize(None).unwrap(), SchemaAndValue::NULL);
}

#[test]
fn envelope_errors() {
    let c = conv(true);
    for bad in [
        r#"{"a":1}"#,
        r#"{"schema":null}"#,
        r#"{"schema":null,"payload":1,"x":2}"#,
        "[1]",
        "42",
        "\"s\"",
        "",
        "  ",
    ] {
        let e = read(&c, bad).unwrap_err();
        assert!(matches!(e, ConnectError::Data(_)));
        assert!(
            e.to_string().contains("set schemas.enable=false"),
            "{bad}: {e}"
        );
    }
    // Duplicate keys collapse, as in Jackson's ObjectNode.
    assert_eq!(
        read(&c, r#"{"schema":null,"payload":1,"payload":2}"#)
            .unwrap()
            .value,
        Value::Int64(2)
    );
    let e = read(&c, r#"{"schema":null,"payload":}"#).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "Converting byte[] to Kafka Connect data failed due to serialization error: "
        ),
        "{e}"
    );
    let e = read(&c, "{not json").unwrap_err();
    assert!(e.to_string().contains("serialization error"), "{e}");
}

// ---- decoding (spec 5.4) ----

#[test]
fn schemaless_decoding() {
    let c = conv(false);
    let sv = read(
        &c,
        r#" {"i":1,"f":1.5,"e":1e2,"s":"x","b":true,"n":null,"a":[1,"y"],"o":{"k":-0}} "#,
    )
    .unwrap();
    assert!(sv.schema.is_none());
    // In the order Java's HashMap iterates them (one-letter keys: by character code mod 16).
    assert_eq!(
        sv.value,
        Value::Map(vec![
            (
                Value::from("a"),
                Value::Array(vec![Value::Int64(1), Value::from("y")])
            ),
            (Value::from("b"), Value::Boolean(true)),
            (Value::from("s"), Value::from("x")),
            (Value::from("e"), Value::Float64(100.0)),
            (Value::from("f"), Value::Float64(1.5)),
            (Value::from("i"), Value::Int64(1)),
            (Value::from("n"), Value::Null),
            (
                Value::from("o"),
                Value::Map(vec![(Value::from("k"), Value::Int64(0))])
            ),
        ])
    );
    assert_eq!(read(&c, "007").unwrap().value, Value::Int64(7));
    assert_eq!(read(&c, "null").unwrap(), SchemaAndValue::NULL);
    assert_eq!(read(&c, "").unwrap(), SchemaAndValue::NULL);
    assert_eq!(
        read(&c, r#"{"a":1,"a":2,"b":3}"#).unwrap().value,
        Value::Map(vec![
            (Value::from("a"), Value::Int64(2)),
            (Value::from("b"), Value::Int64(3))
        ])
    );
    // Many keys: all distinct, or one repeated far apart (the last value wins at the first
    // place), on both sides of the 32-key limit of the fingerprint check.
    for n in [12usize, 31, 40] {
        let keys: Vec<String> = (0..n).map(|i| format!("field_{i:02}")).collect();
        let distinct: String = keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!(r#""{k}":{i}"#))
            .collect::<Vec<_>>()
            .join(",");
        let got = read(&c, &format!("{{{distinct}}}")).unwrap().value;
        let Value::Map(entries) = got else {
            panic!("not a map")
        };
        assert_eq!(entries.len(), n);
        let repeated = format!(r#"{{{distinct},"field_01":"last"}}"#);
        let Value::Map(entries) = read(&c, &repeated).unwrap().value else {
            panic!("not a map")
        };
        assert_eq!(entries.len(), n, "{n} keys");
        let repeated_key: Vec<_> = entries
            .iter()
            .filter(|(k, _)| *k == Value::from("field_01"))
            .collect();
        assert_eq!(
            repeated_key,
            [&(Value::from("field_01"), Value::from("last"))]
        );
    }
    assert_eq!(read(&c, "0.1").unwrap().value, Value::Float64(0.1));
    assert!(read(&c, "12abc").is_err());
    assert!(read(&c, "[1,]").is_err());
    // Offsets as the worker stores them.
    assert_eq!(
        read(&c, r#"["my-src",{"file":"/tmp/a"}]"#)
            .unwrap()
            .value
            .to_string(),
        "[my-src, {file=/tmp/a}]"
    );
}

#[test]
fn decoding_with_schemas() {
    let c = conv(true);
    let env = |schema: &str, payload: &str| {
        read(&c, &format!(r#"{{"schema":{schema},"payload":{payload}}}"#))
    };
    let sv = env(r#"{"type":"int32","optional":false}"#, "42").unwrap();
    assert_eq!(sv.schema, Some(Schema::int32()));
    assert_eq!(sv.value, Value::Int32(42));
    // Jackson accessor semantics: scalar mismatches are not detected.
    assert_eq!(
        env(r#"{"type":"int32"}"#, r#""x""#).unwrap().value,
        Value::Int32(0)
    );
    assert_eq!(
        env(r#"{"type":"int8"}"#, "300").unwrap().value,
        Value::Int8(44)
    );
    assert_eq!(
        env(r#"{"type":"int32"}"#, "2.9").unwrap().value,
        Value::Int32(2)
    );
    assert_eq!(
        env(r#"{"type":"boolean"}"#, "1").unwrap().value,
        Value::Boolean(false)
    );
    assert_eq!(env(r#"{"type":"string"}"#, "1").unwrap().value, Value::Null);
    assert_eq!(
        env(r#"{"type":"bytes"}"#, r#""AAEC/w==""#).unwrap().value,
        Value::Bytes(vec![0, 1, 2, 0xff])
    );
    assert_eq!(
        env(r#"{"type":"bytes"}"#, r#""!!""#)
            .unwrap_err()
            .to_string(),
        "Invalid bytes field"
    );
    assert_eq!(
        env(r#"{"type":"float"}"#, "0.1").unwrap().value,
        Value::Float32(0.1)
    );
    assert_eq!(
        env(r#"{"type":"double"}"#, "1").unwrap().value,
        Value::Float64(1.0)
    );
    // Null rules.
    assert_eq!(
        env(r#"{"type":"int32","optional":true}"#, "null")
            .unwrap()
            .value,
        Value::Null
    );
    assert_eq!(
        env(r#"{"type":"int32","default":5}"#, "null")
            .unwrap()
            .value,
        Value::Int32(5)
    );
    assert_eq!(
        env(r#"{"type":"int32"}"#, "null").unwrap_err().to_string(),
        "Invalid null value for required INT32 field"
    );
    // Containers.
    let arr = env(r#"{"type":"array","items":{"type":"int16"}}"#, "[1,2]").unwrap();
    assert_eq!(
        arr.value,
        Value::Array(vec![Value::Int16(1), Value::Int16(2)])
    );
    assert_eq!(
        env(r#"{"type":"array","items":{"type":"int16"}}"#, "5")
            .unwrap()
            .value,
        Value::Array(vec![])
    );
    let m = env(
        r#"{"type":"map","keys":{"type":"string"},"values":{"type":"int64"}}"#,
        r#"{"a":1}"#,
    )
    .unwrap();
    assert_eq!(
        m.value,
        Value::Map(vec![(Value::from("a"), Value::Int64(1))])
    );
    let m = env(
        r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"string"}}"#,
        r#"[[1,"x"],[2,"y"]]"#,
    )
    .unwrap();
    assert_eq!(
        m.value,
        Value::Map(vec![
            (Value::Int32(1), Value::from("x")),
            (Value::Int32(2), Value::from("y"))
        ])
    );
    assert_eq!(
        env(
            r#"{"type":"map","keys":{"type":"string"},"values":{"type":"int64"}}"#,
            "[]"
        )
        .unwrap_err()
        .to_string(),
        "Maps with string fields should be encoded as JSON objects, but found ARRAY"
    );
    assert_eq!(
        env(
            r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int64"}}"#,
            "{}"
        )
        .unwrap_err()
        .to_string(),
        "Maps with non-string fields should be encoded as JSON array of tuples, but found OBJECT"
    );
    assert_eq!(
        env(
            r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int64"}}"#,
            "[1]"
        )
        .unwrap_err()
        .to_string(),
        "Found invalid map entry instead of array tuple: NUMBER"
    );
    assert_eq!(
        env(
            r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int64"}}"#,
            "[[1,2,3]]"
        )
        .unwrap_err()
        .to_string(),
        "Found invalid map entry, expected length 2 but found :3"
    );
    assert_eq!(
        env(r#"{"type":"struct","fields":[]}"#, "[]")
            .unwrap_err()
            .to_string(),
        "Structs should be encoded as JSON objects, but found ARRAY"
    );
}

#[test]
fn struct_decoding() {
    let c = conv(true);
    let schema = user_schema();
    let json = format!(
        r#"{{"schema":{},"payload":{{"extra":[1,{{}}],"ts":1700000000000,"id":7}}}}"#,
        c.schema_to_json(&schema).unwrap()
    );
    let sv = read(&c, &json).unwrap();
    assert_eq!(sv.schema.as_ref(), Some(&schema));
    let s = sv.value.as_struct().unwrap();
    assert_eq!(s.get("id").unwrap(), &Value::Int64(7));
    assert_eq!(s.get("name").unwrap(), &Value::Null);
    assert_eq!(s.get("ts").unwrap(), &Value::Timestamp(1_700_000_000_000));
    let missing = format!(
        r#"{{"schema":{},"payload":{{"ts":1}}}}"#,
        c.schema_to_json(&schema).unwrap()
    );
    assert_eq!(
        read(&c, &missing).unwrap_err().to_string(),
        "Invalid null value for required INT64 field"
    );
    let wrong = format!(
        r#"{{"schema":{},"payload":{{"id":1,"ts":1,"name":5}}}}"#,
        c.schema_to_json(&schema).unwrap()
    );
    assert_eq!(
        read(&c, &wrong)
            .unwrap()
            .value
            .as_struct()
            .unwrap()
            .get("name")
            .unwrap(),
        &Value::Null
    );
    let req = SchemaBuilder::struct_()
        .field("s", Schema::string())
        .build();
    let json = format!(
        r#"{{"schema":{},"payload":{{"s":5}}}}"#,
        c.schema_to_json(&req).unwrap()
    );
    assert!(read(&c, &json)
        .unwrap_err()
        .to_string()
        .contains("null used for required field: \"s\""));
}

#[test]
fn logical_decoding() {
    let c = conv(true);
    let dec = c.schema_to_json(&logical::decimal_schema(2)).unwrap();
    let env = |schema: &str, payload: &str| {
        read(&c, &format!(r#"{{"schema":{schema},"payload":{payload}}}"#))
    };
    assert_eq!(
        env(&dec, r#""MDk=""#).unwrap().value,
        Value::Decimal(Decimal::new(12345, 2))
    );
    // Numbers keep their own scale.
    assert_eq!(
        env(&dec, "1.5").unwrap().value,
        Value::Decimal(Decimal::new(15, 1))
    );
    assert_eq!(
        env(&dec, "12").unwrap().value,
        Value::Decimal(Decimal::new(12, 0))
    );
    assert_eq!(
        env(&dec, "1E+2").unwrap().value,
        Value::Decimal(Decimal::new(1, -2))
    );
    assert!(env(&dec, r#""""#)
        .unwrap_err()
        .to_string()
        .starts_with("Invalid bytes for Decimal field"));
    assert_eq!(
        env(&dec, "true").unwrap_err().to_string(),
        "Invalid type for Decimal, underlying representation should be numeric or bytes but was BOOLEAN"
    );
    let date = c.schema_to_json(&logical::date_builder().build()).unwrap();
    assert_eq!(
        env(&date, "19782").unwrap().value,
        Value::Timestamp(19782 * logical::MILLIS_PER_DAY)
    );
    assert_eq!(
        env(&date, "1.5").unwrap_err().to_string(),
        "Invalid type for Date, underlying representation should be integer but was NUMBER"
    );
    assert_eq!(
        env(&date, "4294967296").unwrap_err().to_string(),
        "Invalid type for Date, underlying representation should be integer but was NUMBER"
    );
    let time = c.schema_to_json(&logical::time_builder().build()).unwrap();
    assert_eq!(env(&time, "1000").unwrap().value, Value::Timestamp(1000));
    assert!(env(&time, "-1")
        .unwrap_err()
        .to_string()
        .starts_with("Time values must use number of milliseconds"));
    let ts = c
        .schema_to_json(&logical::timestamp_builder().build())
        .unwrap();
    assert_eq!(env(&ts, "-5").unwrap().value, Value::Timestamp(-5));
    assert_eq!(
        env(&ts, r#""x""#).unwrap_err().to_string(),
        "Invalid type for Timestamp, underlying representation should be integral but was STRING"
    );
}

#[test]
fn round_trips() {
    let inner = SchemaBuilder::struct_()
        .name("Inner")
        .field("x", Schema::float64())
        .build();
    let schema = SchemaBuilder::struct_()
        .field("i8", Schema::int8())
        .field("f32", Schema::float32())
        .field("bytes", Schema::optional_bytes())
        .field("dec", logical::decimal_schema(3))
        .field("date", logical::date_builder().optional().build())
        .field("list", SchemaBuilder::array(Schema::string()).build())
        .field(
            "imap",
            SchemaBuilder::map(Schema::int64(), inner.clone()).build(),
        )
        .field(
            "smap",
            SchemaBuilder::map(Schema::string(), Schema::optional_boolean())
                .optional()
                .build(),
        )
        .field(
            "dflt",
            SchemaBuilder::string()
                .default_value(Value::from("d"))
                .unwrap()
                .build(),
        )
        .build();
    let mut inner_v = Struct::new(inner.clone());
    inner_v.put("x", Value::Float64(-2.5e-7)).unwrap();
    let mut s = Struct::new(schema.clone());
    s.put("i8", Value::Int8(-1)).unwrap();
    s.put("f32", Value::Float32(3.25)).unwrap();
    s.put("bytes", Value::Bytes(vec![9, 8, 7])).unwrap();
    s.put("dec", Value::Decimal(Decimal::new(-1234567, 3)))
        .unwrap();
    s.put("date", Value::Timestamp(-logical::MILLIS_PER_DAY))
        .unwrap();
    s.put(
        "list",
        Value::Array(vec![Value::from("a\nb"), Value::from("ü")]),
    )
    .unwrap();
    s.put(
        "imap",
        Value::Map(vec![(Value::Int64(5), Value::Struct(inner_v))]),
    )
    .unwrap();
    s.put("dflt", Value::from("given")).unwrap();
    let v = Value::Struct(s);
    for decimal_format in [DecimalFormat::Base64, DecimalFormat::Numeric] {
        let c = JsonConverter::with_config(JsonConverterConfig {
            decimal_format,
            ..Default::default()
        });
        let bytes = c.serialize(Some(&schema), &v).unwrap().unwrap();
        let back = c.deserialize(Some(&bytes)).unwrap();
        assert_eq!(back.schema.as_ref(), Some(&schema));
        assert_eq!(back.value, v, "{}", String::from_utf8_lossy(&bytes));
        // Reading twice hits the schema cache and yields the same result.
        assert_eq!(c.deserialize(Some(&bytes)).unwrap().value, v);
    }
}

#[test]
fn schema_cache_is_per_instance_and_bounded() {
    let c = JsonConverter::with_config(JsonConverterConfig {
        schemas_cache_size: 2,
        ..Default::default()
    });
    for i in 0..10 {
        let s = SchemaBuilder::int32().name(format!("n{i}")).build();
        let out = ser(&c, Some(&s), &Value::Int32(i));
        assert_eq!(
            out,
            format!(
                r#"{{"schema":{{"type":"int32","optional":false,"name":"n{i}"}},"payload":{i}}}"#
            )
        );
        assert_eq!(
            read(&c, &out).unwrap().schema.unwrap().name.as_deref(),
            Some(format!("n{i}").as_str())
        );
        assert!(lock(&c.write_cache).json.by_ptr.len() <= 2);
        assert!(lock(&c.read_cache).by_bytes.len() <= 2);
    }
    let uncached = JsonConverter::with_config(JsonConverterConfig {
        schemas_cache_size: 0,
        ..Default::default()
    });
    assert_eq!(
        ser(&uncached, Some(&Schema::int8()), &Value::Int8(1)),
        r#"{"schema":{"type":"int8","optional":false},"payload":1}"#
    );
    assert_eq!(
        read(&uncached, r#"{"schema":{"type":"int8"},"payload":1}"#)
            .unwrap()
            .value,
        Value::Int8(1)
    );
}

// ---- configuration and traits ----

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn configuration() {
    let mut c = JsonConverter::new();
    Converter::configure(
        &mut c,
        &props(&[
            ("schemas.enable", "false"),
            ("decimal.format", "numeric"),
            ("replace.null.with.default", "false"),
        ]),
        false,
    )
    .unwrap();
    assert_eq!(
        *c.config(),
        JsonConverterConfig {
            schemas_enable: false,
            schemas_cache_size: 1000,
            decimal_format: DecimalFormat::Numeric,
            replace_null_with_default: false
        }
    );
    let e = Converter::configure(&mut c, &props(&[("schemas.enable", "yes")]), true).unwrap_err();
    assert!(matches!(e, ConnectError::Config(_)));
    assert!(e.to_string().contains("schemas.enable"), "{e}");
    let e = Converter::configure(&mut c, &props(&[("decimal.format", "HEX")]), true).unwrap_err();
    assert!(e.to_string().contains("decimal.format"), "{e}");
    let e =
        Converter::configure(&mut c, &props(&[("schemas.cache.size", "many")]), true).unwrap_err();
    assert!(e.to_string().contains("schemas.cache.size"), "{e}");
    let def = Converter::config_def(&c);
    let names: Vec<_> = def.keys().iter().map(|k| k.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "converter.type",
            "schemas.enable",
            "schemas.cache.size",
            "decimal.format",
            "replace.null.with.default"
        ]
    );
}

#[tokio::test]
async fn converter_and_header_converter_traits() {
    let mut c = JsonConverter::new();
    Converter::configure(&mut c, &Props::new(), false).unwrap();
    let mut headers = Headers::new();
    let bytes = c
        .from_connect(
            "t",
            &mut headers,
            Some(&Schema::string()),
            &Value::from("v"),
        )
        .await
        .unwrap();
    assert_eq!(
        bytes.as_deref(),
        Some(&br#"{"schema":{"type":"string","optional":false},"payload":"v"}"#[..])
    );
    let back = c.to_connect("t", &headers, bytes.as_deref()).await.unwrap();
    assert_eq!(
        back,
        SchemaAndValue::new(Some(Schema::string()), Value::from("v"))
    );
    // The worker's no-await path gives the same answers, errors included.
    let v = Value::from("v");
    let sync = c
        .from_connect_sync("t", &mut headers, Some(&Schema::string()), &v)
        .expect("JSON converts without awaiting")
        .unwrap();
    assert_eq!(sync.as_deref(), bytes.as_deref());
    let sync_back = c
        .to_connect_sync("t", &headers, bytes.as_deref())
        .expect("JSON converts without awaiting")
        .unwrap();
    assert_eq!(sync_back, back);
    let bad = c
        .to_connect_sync("t", &headers, Some(b"{not json"))
        .expect("JSON converts without awaiting")
        .unwrap_err()
        .to_string();
    let bad_async = c
        .to_connect("t", &headers, Some(b"{not json"))
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(bad, bad_async);

    let mut h = JsonConverter::new();
    HeaderConverter::configure(&mut h, &props(&[("schemas.enable", "false")])).unwrap();
    let b = h
        .from_connect_header("t", "k", Some(&Schema::int64()), &Value::Int64(42))
        .unwrap();
    assert_eq!(b.as_deref(), Some(&b"42"[..]));
    assert_eq!(
        h.to_connect_header("t", "k", b.as_deref()).unwrap(),
        SchemaAndValue::new(None, Value::Int64(42))
    );
    assert_eq!(
        h.to_connect_header("t", "k", None).unwrap(),
        SchemaAndValue::NULL
    );
}

#[test]
fn envelope_fast_path_keeps_java_error_precedence() {
    let c = conv(true);
    let schema = r#"{"type":"int32","optional":false}"#;
    // Prime the schema cache so later reads take the fast path.
    assert_eq!(
        read(&c, &format!(r#"{{"schema":{schema},"payload":1}}"#))
            .unwrap()
            .value,
        Value::Int32(1)
    );
    let e = read(
        &c,
        &format!(r#"{{"schema":{schema},"payload":null,"x":1}}"#),
    )
    .unwrap_err();
    assert!(e.to_string().contains("schemas.enable=false"), "{e}");
    let e = read(&c, &format!(r#"{{"schema":{schema},"payload":null,"x":}}"#)).unwrap_err();
    assert!(e.to_string().contains("serialization error"), "{e}");
    let e = read(&c, &format!(r#"{{"schema":{schema},"payload":null}}"#)).unwrap_err();
    assert_eq!(e.to_string(), "Invalid null value for required INT32 field");
    assert_eq!(
        read(&c, &format!(r#"{{"payload":5,"schema":{schema}}}"#))
            .unwrap()
            .value,
        Value::Int32(5)
    );
    // The last "schema" key wins, even after a payload was seen.
    let twice = format!(r#"{{"schema":{{"type":"string"}},"payload":"7","schema":{schema}}}"#);
    assert_eq!(
        read(&c, &twice).unwrap(),
        SchemaAndValue::new(Some(Schema::int32()), Value::Int32(0))
    );
    // A cached schema that is only a prefix of a longer, different document is not reused.
    let longer = r#"{"type":"int32","optional":false,"name":"x"}"#;
    assert_eq!(
        read(&c, &format!(r#"{{"schema":{longer},"payload":2}}"#))
            .unwrap()
            .schema
            .unwrap()
            .name
            .as_deref(),
        Some("x")
    );
}

// ---- struct field names rendered once per schema ----

fn make(schema: &SchemaRef, fields: Vec<(&str, Value)>) -> Struct {
    let mut st = Struct::new(schema.clone());
    for (k, v) in fields {
        st.put(k, v).unwrap();
    }
    st
}

/// What `serialize` writes for a payload, by the general path alone.
fn general_payload(c: &JsonConverter, schema: &SchemaRef, v: &Value) -> ConnectResult<String> {
    let mut out = Vec::new();
    c.encoder().write_value(&mut out, Some(schema), v)?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn struct_payloads_with_rendered_names_match_the_general_writer() {
    let inner = SchemaBuilder::struct_()
        .field("x", Schema::int32())
        .optional()
        .build();
    let odd_names = SchemaBuilder::struct_()
        .field("a\"b", Schema::string())
        .field("é\u{1}\\", Schema::optional_int64())
        .field(" ", Schema::boolean())
        .field("\u{1F600}", inner.clone())
        .field("with default", {
            SchemaBuilder::int32()
                .optional()
                .default_value(Value::Int32(7))
                .unwrap()
                .build()
        })
        .build();
    let odd = make(
        &odd_names,
        vec![
            ("a\"b", Value::String("v".into())),
            (" ", Value::Boolean(true)),
            (
                "\u{1F600}",
                Value::Struct(make(&inner, vec![("x", Value::Int32(3))])),
            ),
        ],
    );
    let empty = SchemaBuilder::struct_().build();
    let user = user_schema();
    let user_value = make(
        &user,
        vec![("id", Value::Int64(1)), ("ts", Value::Timestamp(0))],
    );
    let cases: Vec<(SchemaRef, Value)> = vec![
        (odd_names.clone(), Value::Struct(odd)),
        (empty.clone(), Value::Struct(Struct::new(empty))),
        (user.clone(), Value::Struct(user_value)),
    ];
    for cap in [1000, 1, 0] {
        let c = JsonConverter::with_config(JsonConverterConfig {
            schemas_enable: false,
            schemas_cache_size: cap,
            ..JsonConverterConfig::default()
        });
        // Twice round, so the second pass reads names from the cache (or, with a capacity
        // of one, after the other schemas evicted them).
        for _ in 0..2 {
            for (schema, value) in &cases {
                let want = general_payload(&c, schema, value).unwrap();
                assert_eq!(ser(&c, Some(schema), value), want, "capacity {cap}");
            }
        }
    }
    assert_eq!(
        payload(&odd_names, &cases[0].1),
        r#"{"a\"b":"v","é\u0001\\":null," ":true,"\uD83D\uDE00":{"x":3},"with default":7}"#
    );
}

#[test]
fn struct_payload_errors_are_those_of_the_general_writer() {
    let schema = SchemaBuilder::struct_()
        .field("a", Schema::int32())
        .field("b", Schema::string())
        .build();
    // A required field left null: the general writer's message, after the fields before it.
    let missing = Value::Struct(make(&schema, vec![("a", Value::Int32(1))]));
    let c = conv(false);
    let want = general_payload(&c, &schema, &missing)
        .unwrap_err()
        .to_string();
    let got = c
        .serialize(Some(&schema), &missing)
        .unwrap_err()
        .to_string();
    assert_eq!(got, want);
    // A struct schema named like a logical type goes the general way, and fails the same.
    let named = SchemaBuilder::struct_()
        .name(logical::DECIMAL_NAME)
        .field("a", Schema::int32())
        .build();
    let v = Value::Struct(make(&named, vec![("a", Value::Int32(1))]));
    let want = general_payload(&c, &named, &v).map_err(|e| e.to_string());
    assert!(want.is_err());
    assert_eq!(
        c.serialize(Some(&named), &v)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        want.map(|_| ())
    );
}
