//! rconnect's JsonConverter against the bytes Apache Kafka Connect 3.9.0's JsonConverter wrote
//! for the same data (`tests/golden/json-golden.jsonl`, made by `scripts/golden json` from
//! `tests/golden/JsonGolden.java`).
//!
//! Each case's input is Java's schemas-enabled envelope; it is read, written back under each
//! writer config (the envelope's own among them) and compared byte for byte with what Java
//! wrote from its reading of the envelope, then read again under that config and compared with
//! what Java read from the same bytes.

use base64::Engine as _;
use rconnect_converters::json::JsonConverter;
use rconnect_sdk::data::Value;
use rconnect_sdk::Props;

const GOLDEN: &str = include_str!("golden/json-golden.jsonl");

fn converter(config: &serde_json::Map<String, serde_json::Value>) -> JsonConverter {
    let mut props: Props = config
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    props.insert("converter.type".into(), "value".into());
    let mut c = JsonConverter::new();
    c.configure_props(&props)
        .unwrap_or_else(|e| panic!("config {config:?}: {e}"));
    c
}

fn envelope_converter() -> JsonConverter {
    let config = serde_json::json!({
        "schemas.enable": "true", "decimal.format": "BASE64", "replace.null.with.default": "false"
    });
    converter(config.as_object().expect("an object"))
}

fn b64(v: &serde_json::Value) -> Option<Vec<u8>> {
    v.as_str().map(|s| {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .expect("golden Base64")
    })
}

fn show(b: &Option<Vec<u8>>) -> String {
    match b {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => "<null>".into(),
    }
}

#[test]
fn json_converter_matches_java_byte_for_byte() {
    let envelope = envelope_converter();
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in GOLDEN.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("a golden line");
        let name = case["name"].as_str().expect("a name");
        let input = b64(&case["envelope_b64"]);
        let mut data = match envelope.deserialize(input.as_deref()) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{name}: cannot read Java's envelope: {e}"));
                continue;
            }
        };
        // Java reads NaN and the infinities back as 0.0: their bits come beside the envelope.
        if let Some(bits) = case["float32_bits"].as_i64() {
            data.value = Value::Float32(f32::from_bits(bits as i32 as u32));
        } else if let Some(bits) = case["float64_bits"].as_i64() {
            data.value = Value::Float64(f64::from_bits(bits as u64));
        }
        for out in case["outputs"].as_array().expect("outputs") {
            let config = out["config"].as_object().expect("a config");
            let c = converter(config);
            checked += 1;
            let written = c.serialize(data.schema.as_ref(), &data.value);
            if out.get("write_error").is_some() {
                if written.is_ok() {
                    failures.push(format!(
                        "{name} {config:?}: Java fails to write, ours wrote {:?}",
                        written.map(|b| show(&b))
                    ));
                }
                continue;
            }
            let expected = b64(&out["bytes_b64"]);
            let written = match written {
                Ok(b) => b,
                Err(e) => {
                    failures.push(format!("{name} {config:?}: write failed: {e}"));
                    continue;
                }
            };
            if written != expected {
                failures.push(format!(
                    "{name} {config:?}: written bytes differ\n  java: {}\n  ours: {}",
                    show(&expected),
                    show(&written)
                ));
                continue;
            }
            let reread = c
                .deserialize(written.as_deref())
                .and_then(|back| envelope.serialize(back.schema.as_ref(), &back.value));
            match (out.get("read_error"), reread) {
                (Some(_), Ok(b)) => failures.push(format!(
                    "{name} {config:?}: Java fails to read back, ours read {}",
                    show(&b)
                )),
                (Some(_), Err(_)) => {}
                (None, Err(e)) => {
                    failures.push(format!("{name} {config:?}: read back failed: {e}"))
                }
                (None, Ok(b)) => {
                    let java = b64(&out["reread_b64"]);
                    if b != java {
                        failures.push(format!(
                            "{name} {config:?}: read back differs\n  java: {}\n  ours: {}",
                            show(&java),
                            show(&b)
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 900, "the golden file holds {checked} outputs");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ from Java:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
