//! rconnect's transformations and predicates against what Apache Kafka Connect 3.9.0's own
//! classes produced for the same records and configs (`tests/golden/smt-golden.jsonl`, made by
//! `scripts/golden smt` from `tests/golden/SmtGolden.java`).
//!
//! Each case's input record is rebuilt from Java's encoding (JsonConverter envelopes for data
//! with a schema, typed tags for schemaless data), run through the class Java ran, and the
//! result encoded the same way and compared: the output record (topic, partition, timestamp,
//! key, value, headers), the drop, the predicate's answer, or the error message.

use base64::Engine as _;
use num_bigint::BigInt;
use rconnect_converters::json::JsonConverter;
use rconnect_sdk::data::logical::java_float_string;
use rconnect_sdk::data::{Decimal, Headers, SchemaAndValue, SchemaRef, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta, SinkMeta, SourceMeta, TimestampType};
use rconnect_sdk::{ConnectResult, Props};
use serde_json::{json, Value as Json};

const GOLDEN: &str = include_str!("golden/smt-golden.jsonl");

fn envelope_converter() -> JsonConverter {
    let props: Props = [
        ("schemas.enable", "true"),
        ("decimal.format", "BASE64"),
        ("replace.null.with.default", "false"),
        ("converter.type", "value"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut c = JsonConverter::new();
    c.configure_props(&props).expect("envelope config");
    c
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("golden Base64")
}

fn untag(t: &Json, c: &JsonConverter) -> Value {
    let a = t.as_array().expect("a tagged value");
    let tag = a[0].as_str().expect("a tag");
    let x = a.get(1);
    let s = || x.and_then(Json::as_str).expect("a string").to_string();
    let i = || x.and_then(Json::as_i64).expect("an integer");
    match tag {
        "null" => Value::Null,
        "int8" => Value::Int8(i() as i8),
        "int16" => Value::Int16(i() as i16),
        "int32" => Value::Int32(i() as i32),
        "int64" => Value::Int64(i()),
        "float32" => Value::Float32(java_float(&s()) as f32),
        "float64" => Value::Float64(java_float(&s())),
        "boolean" => Value::Boolean(x.and_then(Json::as_bool).expect("a boolean")),
        "string" => Value::String(s().into()),
        "bytes" => Value::Bytes(b64(&s())),
        "date" => Value::Timestamp(i()),
        "decimal" => Value::Decimal(Decimal::new(
            s().parse::<BigInt>().expect("unscaled"),
            a[2].as_i64().expect("scale") as i32,
        )),
        "struct" => from_envelope(x.expect("an envelope"), c).value,
        "array" => Value::Array(
            x.and_then(Json::as_array)
                .expect("items")
                .iter()
                .map(|v| untag(v, c))
                .collect(),
        ),
        "map" => Value::Map(
            x.and_then(Json::as_array)
                .expect("entries")
                .iter()
                .map(|e| (untag(&e[0], c), untag(&e[1], c)))
                .collect(),
        ),
        other => panic!("unknown tag {other}"),
    }
}

fn java_float(s: &str) -> f64 {
    match s {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ => s.parse().expect("a float"),
    }
}

/// Typed tags of a schemaless value; map entries sorted so Java's HashMap order does not
/// matter.
fn tag(v: &Value, c: &JsonConverter) -> Json {
    match v {
        Value::Null => json!(["null"]),
        Value::Int8(x) => json!(["int8", x]),
        Value::Int16(x) => json!(["int16", x]),
        Value::Int32(x) => json!(["int32", x]),
        Value::Int64(x) => json!(["int64", x]),
        Value::Float32(x) => json!(["float32", java_float_string(*x as f64, true)]),
        Value::Float64(x) => json!(["float64", java_float_string(*x, false)]),
        Value::Boolean(x) => json!(["boolean", x]),
        Value::String(x) => json!(["string", x]),
        Value::Bytes(x) => json!(["bytes", base64::engine::general_purpose::STANDARD.encode(x)]),
        Value::Timestamp(x) => json!(["date", x]),
        Value::Decimal(d) => json!(["decimal", d.unscaled.to_string(), d.scale]),
        Value::Struct(s) => json!([
            "struct",
            to_envelope(Some(s.schema()), v, c).unwrap_or(Json::Null)
        ]),
        Value::Array(items) => {
            json!(["array", items.iter().map(|x| tag(x, c)).collect::<Vec<_>>()])
        }
        Value::Map(entries) => {
            let mut e: Vec<Json> = entries
                .iter()
                .map(|(k, x)| json!([tag(k, c), tag(x, c)]))
                .collect();
            e.sort_by_key(|x| x.to_string());
            json!(["map", e])
        }
    }
}

fn canonical(data: &Json) -> Json {
    // Java's tags list map entries in HashMap order: sort them as `tag` does.
    fn sort(t: &Json) -> Json {
        match t.as_array().map(|a| (a[0].as_str(), a)) {
            Some((Some("map"), a)) => {
                let mut e: Vec<Json> = a[1]
                    .as_array()
                    .expect("entries")
                    .iter()
                    .map(|e| json!([sort(&e[0]), sort(&e[1])]))
                    .collect();
                e.sort_by_key(|x| x.to_string());
                json!(["map", e])
            }
            Some((Some("array"), a)) => json!([
                "array",
                a[1].as_array()
                    .expect("items")
                    .iter()
                    .map(sort)
                    .collect::<Vec<_>>()
            ]),
            _ => t.clone(),
        }
    }
    match data.get("tagged") {
        Some(t) => json!({"tagged": sort(t)}),
        None => data.clone(),
    }
}

fn from_envelope(env: &Json, c: &JsonConverter) -> SchemaAndValue {
    let bytes = serde_json::to_vec(env).expect("json");
    c.deserialize(Some(&bytes))
        .unwrap_or_else(|e| panic!("cannot read Java's envelope {env}: {e}"))
}

fn to_envelope(schema: Option<&SchemaRef>, v: &Value, c: &JsonConverter) -> ConnectResult<Json> {
    let bytes = c.serialize(schema, v)?.unwrap_or_default();
    Ok(serde_json::from_slice(&bytes).expect("our envelope is JSON"))
}

fn decode(data: &Json, c: &JsonConverter) -> SchemaAndValue {
    match (data.get("envelope"), data.get("tagged")) {
        (Some(env), _) => from_envelope(env, c),
        (None, Some(t)) => SchemaAndValue::new(None, untag(t, c)),
        _ => panic!("data without encoding: {data}"),
    }
}

fn encode(schema: Option<&SchemaRef>, v: &Value, c: &JsonConverter) -> ConnectResult<Json> {
    Ok(match schema {
        Some(_) => json!({"envelope": to_envelope(schema, v, c)?}),
        None => json!({"tagged": tag(v, c)}),
    })
}

fn build<M: RecordMeta>(input: &Json, meta: M, c: &JsonConverter) -> ConnectRecord<M> {
    let key = decode(&input["key"], c);
    let value = decode(&input["value"], c);
    let mut headers = Headers::new();
    for h in input["headers"].as_array().expect("headers") {
        let sv = decode(&h["value"], c);
        headers.add(h["key"].as_str().expect("a key"), sv.schema, sv.value);
    }
    ConnectRecord {
        topic: input["topic"].as_str().expect("a topic").into(),
        kafka_partition: input["partition"].as_i64().map(|p| p as i32),
        key_schema: key.schema,
        key: key.value,
        value_schema: value.schema,
        value: value.value,
        timestamp: input["timestamp"].as_i64(),
        headers,
        meta,
    }
}

fn record_json<M: RecordMeta>(r: &ConnectRecord<M>, c: &JsonConverter) -> ConnectResult<Json> {
    let mut o = json!({
        "topic": r.topic.as_str(),
        "partition": r.kafka_partition,
        "timestamp": r.timestamp,
        "key": encode(r.key_schema.as_ref(), &r.key, c)?,
        "value": encode(r.value_schema.as_ref(), &r.value, c)?,
    });
    if let Some(off) = r.meta.kafka_offset() {
        o["offset"] = json!(off);
    }
    let mut hs = Vec::new();
    for h in &r.headers {
        hs.push(json!({"key": h.key, "value": encode(h.schema.as_ref(), &h.value, c)?}));
    }
    o["headers"] = Json::Array(hs);
    Ok(o)
}

fn canonical_record(r: &Json) -> Json {
    let mut r = r.clone();
    for side in ["key", "value"] {
        r[side] = canonical(&r[side]);
    }
    if let Some(hs) = r["headers"].as_array_mut() {
        for h in hs {
            h["value"] = canonical(&h["value"]);
        }
    }
    r
}

/// Java's messages that carry an identity hash (`InsertionSpec@53045c6c`) compare without it;
/// regex syntax errors compare up to `Invalid regex:`, since the reason is worded by the
/// regex engine.
fn same_message(java: &str, ours: &str) -> bool {
    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '@' {
                while chars.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    chars.next();
                }
            }
        }
        out
    }
    if let Some(i) = java.find("Invalid regex: ") {
        return ours.starts_with(&java[..i + "Invalid regex: ".len()]);
    }
    strip(java) == strip(ours)
}

enum Outcome {
    ConfigError(String),
    Error(String),
    Output(Option<Json>),
    OutputError,
    Test(bool),
}

fn run<M: PickPlugin>(case: &Json, meta: M, c: &JsonConverter) -> Outcome {
    let class = case["class"].as_str().expect("a class");
    let config: Props = case["config"]
        .as_object()
        .expect("a config")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("a string").to_string()))
        .collect();
    let record = build(&case["input"], meta, c);
    if case["kind"] == "chain" {
        return match apply_chain(&config, record) {
            Err(e) => Outcome::Error(e.to_string()),
            Ok(None) => Outcome::Output(None),
            Ok(Some(r)) => match record_json(&r, c) {
                Ok(j) => Outcome::Output(Some(j)),
                Err(_) => Outcome::OutputError,
            },
        };
    }
    if case["kind"] == "predicate" {
        let mut p = M::predicate(class);
        if let Err(e) = p.configure(&config) {
            return Outcome::ConfigError(e.to_string());
        }
        return match p.test(&record) {
            Ok(b) => Outcome::Test(b),
            Err(e) => Outcome::Error(e.to_string()),
        };
    }
    let mut t = M::transformation(class);
    if let Err(e) = t.configure(&config) {
        return Outcome::ConfigError(e.to_string());
    }
    match t.apply(record) {
        Err(e) => Outcome::Error(e.to_string()),
        Ok(None) => Outcome::Output(None),
        Ok(Some(r)) => match record_json(&r, c) {
            Ok(j) => Outcome::Output(Some(j)),
            Err(_) => Outcome::OutputError,
        },
    }
}

/// A connector's `transforms` and `predicates` as the worker applies them: a stage runs when
/// it has no predicate or `test(record) != negate`; a dropped record ends the chain.
fn apply_chain<M: PickPlugin>(
    config: &Props,
    mut record: ConnectRecord<M>,
) -> ConnectResult<Option<ConnectRecord<M>>> {
    let list =
        |k: &str| rconnect_sdk::config::parse_list(config.get(k).map(String::as_str).unwrap_or(""));
    let sub = |prefix: &str| -> Props {
        config
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
            .collect()
    };
    let mut predicates = Vec::new();
    for alias in list("predicates") {
        let props = sub(&format!("predicates.{alias}."));
        let mut p = M::predicate(&props["type"]);
        p.configure(&props)?;
        predicates.push((alias, p));
    }
    for alias in list("transforms") {
        let mut props = sub(&format!("transforms.{alias}."));
        let predicate = props.remove("predicate");
        let negate = props.remove("negate").is_some_and(|v| v == "true");
        let mut t = M::transformation(&props["type"]);
        t.configure(&props)?;
        let applies = match &predicate {
            None => true,
            Some(name) => {
                let (_, p) = predicates
                    .iter()
                    .find(|(a, _)| a == name)
                    .expect("a configured predicate");
                p.test(&record)? != negate
            }
        };
        if applies {
            match t.apply(record)? {
                Some(r) => record = r,
                None => return Ok(None),
            }
        }
    }
    Ok(Some(record))
}

trait PickPlugin: RecordMeta + Sized {
    fn transformation(class: &str) -> Box<dyn rconnect_sdk::transform::Transformation<Self>>;
    fn predicate(class: &str) -> Box<dyn rconnect_sdk::transform::Predicate<Self>>;
}

impl PickPlugin for SourceMeta {
    fn transformation(class: &str) -> Box<dyn rconnect_sdk::transform::Transformation<Self>> {
        let t = rconnect_transforms::transformations()
            .into_iter()
            .find(|t| t.class_name == class);
        (t.unwrap_or_else(|| panic!("no built-in transformation {class}"))
            .new_source)()
    }
    fn predicate(class: &str) -> Box<dyn rconnect_sdk::transform::Predicate<Self>> {
        let p = rconnect_transforms::predicates()
            .into_iter()
            .find(|p| p.class_name == class);
        (p.unwrap_or_else(|| panic!("no built-in predicate {class}"))
            .new_source)()
    }
}

impl PickPlugin for SinkMeta {
    fn transformation(class: &str) -> Box<dyn rconnect_sdk::transform::Transformation<Self>> {
        let t = rconnect_transforms::transformations()
            .into_iter()
            .find(|t| t.class_name == class);
        (t.unwrap_or_else(|| panic!("no built-in transformation {class}"))
            .new_sink)()
    }
    fn predicate(class: &str) -> Box<dyn rconnect_sdk::transform::Predicate<Self>> {
        let p = rconnect_transforms::predicates()
            .into_iter()
            .find(|p| p.class_name == class);
        (p.unwrap_or_else(|| panic!("no built-in predicate {class}"))
            .new_sink)()
    }
}

/// Cases where rconnect differs from Java on purpose: the name, what rconnect does, and why.
const DELIBERATE: &[(&str, &str, &str)] = &[(
    "timestamprouter-bad-format",
    "config error: Invalid value yyyy-bb for configuration timestamp.format: Illegal pattern character 'b'",
    "Java compiles the pattern lazily and fails every record; rconnect refuses it at validation, naming the key",
)];

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::ConfigError(e) => format!("config error: {e}"),
        Outcome::Error(e) => format!("error: {e}"),
        Outcome::Output(Some(j)) => format!("output: {j}"),
        Outcome::Output(None) => "dropped".into(),
        Outcome::OutputError => "output its schema does not hold".into(),
        Outcome::Test(b) => format!("test: {b}"),
    }
}

#[test]
fn transformations_and_predicates_match_java() {
    let c = envelope_converter();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut classes = std::collections::BTreeSet::new();
    for line in GOLDEN.lines() {
        let case: Json = serde_json::from_str(line).expect("a golden line");
        let name = case["name"].as_str().expect("a name").to_string();
        classes.insert(case["class"].as_str().expect("a class").to_string());
        if case["kind"] == "chain" {
            for (k, v) in case["config"].as_object().expect("a config") {
                if k.ends_with(".type") {
                    classes.insert(v.as_str().expect("a class").to_string());
                }
            }
        }
        checked += 1;
        let outcome = if case["sink"] == true {
            let input = &case["input"];
            let meta = SinkMeta {
                kafka_offset: input["offset"].as_i64().expect("an offset"),
                timestamp_type: TimestampType::CreateTime,
                original_topic: input["topic"].as_str().expect("a topic").into(),
                original_kafka_partition: input["partition"].as_i64().unwrap_or(0) as i32,
                original_kafka_offset: input["offset"].as_i64().expect("an offset"),
            };
            run(&case, meta, &c)
        } else {
            let meta = SourceMeta {
                source_partition: Some(std::sync::Arc::new(
                    rconnect_sdk::offset::OffsetMap::with_entry("file", "in.txt"),
                )),
                source_offset: Some(rconnect_sdk::offset::OffsetMap::with_entry("position", 7)),
            };
            run(&case, meta, &c)
        };
        if let Some((_, want, _)) = DELIBERATE.iter().find(|(n, _, _)| *n == name) {
            let ours = describe(&outcome);
            if ours != *want {
                failures.push(format!(
                    "{name}: deliberate difference changed\n  want: {want}\n  ours: {ours}"
                ));
            }
            continue;
        }
        let java_class = |k: &str| case[k]["class"].as_str().unwrap_or_default().to_string();
        let java_msg = |k: &str| case[k]["message"].as_str().unwrap_or_default().to_string();
        let verdict: Result<(), String> = match (&outcome, case.as_object().expect("an object")) {
            (Outcome::ConfigError(ours), o) if o.contains_key("config_error") => {
                if same_message(&java_msg("config_error"), ours) {
                    Ok(())
                } else {
                    Err(format!(
                        "config error differs\n  java: {}\n  ours: {ours}",
                        java_msg("config_error")
                    ))
                }
            }
            (Outcome::Error(ours), o) if o.contains_key("error") => {
                // Java fails with a NullPointerException: any error will do.
                if java_class("error") == "NullPointerException"
                    || same_message(&java_msg("error"), ours)
                {
                    Ok(())
                } else {
                    Err(format!(
                        "error differs\n  java: {}\n  ours: {ours}",
                        java_msg("error")
                    ))
                }
            }
            (Outcome::OutputError, o) if o.contains_key("output_error") => Ok(()),
            (Outcome::Test(b), o) if o.contains_key("test") => {
                if o["test"] == *b {
                    Ok(())
                } else {
                    Err(format!("predicate differs: java {}, ours {b}", o["test"]))
                }
            }
            (Outcome::Output(ours), o) if o.contains_key("output") => {
                let java = if o["output"].is_null() {
                    None
                } else {
                    Some(canonical_record(&o["output"]))
                };
                let ours = ours.as_ref().map(canonical_record);
                if java == ours {
                    Ok(())
                } else {
                    Err(format!(
                        "output differs\n  java: {}\n  ours: {}",
                        java.map(|j| j.to_string()).unwrap_or("dropped".into()),
                        ours.map(|j| j.to_string()).unwrap_or("dropped".into())
                    ))
                }
            }
            (ours, o) => {
                let java = ["config_error", "error", "output_error", "output", "test"]
                    .iter()
                    .find(|k| o.contains_key(**k))
                    .map(|k| format!("{k}: {}", o[*k]))
                    .unwrap_or_default();
                let ours = describe(ours);
                Err(format!("outcome differs\n  java: {java}\n  ours: {ours}"))
            }
        };
        if let Err(e) = verdict {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(checked >= 150, "the golden file holds {checked} cases");
    // Every built-in class is exercised.
    for t in rconnect_transforms::transformations() {
        assert!(
            classes.contains(t.class_name),
            "no golden case for {}",
            t.class_name
        );
    }
    for p in rconnect_transforms::predicates() {
        assert!(
            classes.contains(p.class_name),
            "no golden case for {}",
            p.class_name
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ from Java:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
