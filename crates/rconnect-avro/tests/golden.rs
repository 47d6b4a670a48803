//! rconnect's AvroConverter against Confluent's AvroConverter 7.0.16
//! (`tests/golden/avro-golden.jsonl`, made by `scripts/golden avro` from
//! `tests/golden/AvroGolden.java` on Java's `MockSchemaRegistryClient`).
//!
//! "connect" cases, both directions: the Connect data (carried as a JsonConverter envelope)
//! written by rconnect must register the same subject and schema text and give the same
//! bytes as Java; and what rconnect reads from Java's bytes must be what Java read (compared
//! as envelopes). "plain" cases: bytes a plain Avro producer (`KafkaAvroSerializer`) wrote
//! must read as Java's AvroConverter reads them.

use base64::Engine as _;
use rconnect_avro::registry::{MemoryRegistry, SchemaRegistryClient};
use rconnect_avro::AvroConverter;
use rconnect_converters::json::JsonConverter;
use rconnect_sdk::converter::Converter;
use rconnect_sdk::data::Headers;
use rconnect_sdk::Props;

const GOLDEN: &str = include_str!("golden/avro-golden.jsonl");
const TOPIC: &str = "golden";

fn envelope_converter() -> JsonConverter {
    let mut c = JsonConverter::new();
    let props: Props = [
        ("converter.type", "value"),
        ("schemas.enable", "true"),
        ("decimal.format", "BASE64"),
        ("replace.null.with.default", "false"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    c.configure_props(&props).expect("envelope config");
    c
}

fn b64(v: &serde_json::Value) -> Option<Vec<u8>> {
    v.as_str().map(|s| {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .expect("golden Base64")
    })
}

fn text(b: &Option<Vec<u8>>) -> String {
    match b {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => "<null>".into(),
    }
}

fn avro_converter(scope: &str, config: &serde_json::Value) -> AvroConverter {
    let mut props: Props = config
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    props.insert("schema.registry.url".into(), format!("mock://{scope}"));
    let mut c = AvroConverter::default();
    c.configure(&props, false).expect("converter config");
    c
}

#[tokio::test]
async fn avro_converter_matches_java_both_ways() {
    let envelope = envelope_converter();
    let mut failures = Vec::new();
    let (mut written, mut read) = (0, 0);
    for line in GOLDEN.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("a golden line");
        let name = case["name"].as_str().expect("a name");
        let kind = case["kind"].as_str().expect("a kind");
        let java_bytes = b64(&case["bytes_b64"]);
        let java_error = case["error"].as_str();
        let scope = format!("golden-{kind}-{name}");
        let conv = avro_converter(&scope, &case["config"]);
        if kind == "connect" {
            let input = envelope
                .deserialize(b64(&case["envelope_b64"]).as_deref())
                .unwrap_or_else(|e| panic!("{name}: the envelope does not read: {e}"));
            let ours = conv
                .from_connect(
                    TOPIC,
                    &mut Headers::new(),
                    input.schema.as_ref(),
                    &input.value,
                )
                .await;
            match (java_error, ours) {
                (Some(_), Err(_)) => {
                    written += 1;
                    continue;
                }
                (Some(e), Ok(b)) => {
                    failures.push(format!("{name}: Java failed ({e}), rconnect wrote {b:?}"));
                    continue;
                }
                (None, Err(e)) => {
                    failures.push(format!("{name}: rconnect failed: {e}"));
                    continue;
                }
                (None, Ok(b)) => {
                    if b != java_bytes {
                        failures.push(format!(
                            "{name}: bytes differ\n  java: {java_bytes:02x?}\n  ours: {b:02x?}"
                        ));
                    }
                }
            }
            let registry = MemoryRegistry::scope(&scope);
            if let Some(subject) = case["subject"].as_str() {
                let java_schema = case["schema"].as_str().expect("a schema");
                match registry.latest(subject).await {
                    Ok(s) if s.schema == java_schema => {}
                    Ok(s) => failures.push(format!(
                        "{name}: registered schema differs\n  java: {java_schema}\n  ours: {}",
                        s.schema
                    )),
                    Err(e) => failures.push(format!("{name}: nothing under {subject}: {e}")),
                }
                assert_eq!(registry.subjects(), [subject], "{name}: subjects");
            } else {
                assert!(
                    registry.subjects().is_empty(),
                    "{name}: registered for a null"
                );
            }
            written += 1;
        } else {
            // A plain producer's schema, registered as Java's serializer registered it.
            let schema = case["schema"].as_str().expect("a schema");
            let id = MemoryRegistry::scope(&scope)
                .register(&format!("{TOPIC}-value"), schema, false)
                .await
                .expect("register");
            assert_eq!(id, 1, "{name}: a fresh scope");
        }
        // Read Java's bytes.
        let Some(bytes) = java_bytes else { continue };
        let ours = conv.to_connect(TOPIC, &Headers::new(), Some(&bytes)).await;
        match (kind, java_error, ours) {
            ("plain", Some(_), Err(_)) => {}
            ("plain", Some(e), Ok(v)) => failures.push(format!(
                "{name}: Java failed to read ({e}), rconnect read {v:?}"
            )),
            (_, _, Err(e)) => failures.push(format!("{name}: rconnect failed to read: {e}")),
            (_, _, Ok(v)) => {
                if case["read_unrepresentable"].is_string() {
                    read += 1;
                    continue;
                }
                let java_read = b64(&case["read_b64"]);
                let ours = envelope
                    .serialize(v.schema.as_ref(), &v.value)
                    .map_err(|e| e.to_string());
                match ours {
                    Ok(o) if o == java_read => {}
                    Ok(o) => failures.push(format!(
                        "{name}: read differs\n  java: {}\n  ours: {}",
                        text(&java_read),
                        text(&o)
                    )),
                    Err(e) => failures.push(format!("{name}: envelope of our read: {e}")),
                }
                read += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the golden cases differ from Java:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(written >= 60, "only {written} write cases");
    assert!(read >= 60, "only {read} read cases");
}
