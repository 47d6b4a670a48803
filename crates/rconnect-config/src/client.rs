//! Translation of Java Kafka client settings (producer, consumer, admin) to librdkafka.
//!
//! Only settings with the same meaning in librdkafka are mapped. Java-internal settings
//! that make no sense for librdkafka (serializers, `max.block.ms`, metrics reporters,
//! ...) are dropped silently; everything else the user set is returned in the warning
//! list so the caller can log it.

use std::collections::BTreeMap;

use rconnect_sdk::Props;

/// Keys whose name and meaning are the same in librdkafka.
const SAME: &[&str] = &[
    "bootstrap.servers",
    "client.id",
    "client.rack",
    "group.id",
    "group.instance.id",
    "acks",
    "linger.ms",
    "batch.size",
    "compression.type",
    "enable.idempotence",
    "transactional.id",
    "transaction.timeout.ms",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "enable.auto.commit",
    "auto.commit.interval.ms",
    "isolation.level",
    "check.crcs",
    "allow.auto.create.topics",
    "security.protocol",
    "sasl.kerberos.service.name",
    "ssl.key.password",
    "request.timeout.ms",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "fetch.min.bytes",
    "fetch.max.bytes",
    "max.partition.fetch.bytes",
    "metadata.max.age.ms",
    "socket.connection.setup.timeout.ms",
    "connections.max.idle.ms",
];

/// librdkafka settings the runtime gives every task producer the user did not set. Being
/// librdkafka keys, they also pass through `producer.*` settings unchanged, so a user can
/// change them. The benchmark's bare reference uses the same list.
pub const TASK_PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    // Java's default partitioner hashes keys with murmur2; librdkafka's default does not.
    ("partitioner", "murmur2_random"),
    // Every queued record is also held by the source loop until acknowledged, so the
    // producer queue bounds the worker's memory; 20,000 records keep a full batch in
    // flight and the next one filling (`producer.buffer.memory` still caps bytes). With
    // `acks=all` and one request in flight, librdkafka's 100,000 moves ~20% more records
    // per second (docs/BENCHMARKS.md).
    ("queue.buffering.max.messages", "20000"),
];

/// librdkafka settings the runtime gives every task consumer the user did not set; they
/// pass through `consumer.*` settings unchanged, as [`TASK_PRODUCER_DEFAULTS`] do.
pub const TASK_CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    // librdkafka pauses fetching for this long whenever its local queue is full (default
    // 1 s); a sink that drains the queue a little slower than it fills would otherwise
    // stall in 1 s steps.
    ("fetch.queue.backoff.ms", "10"),
];

/// A librdkafka key the runtime sets a default for (see [`TASK_PRODUCER_DEFAULTS`]).
fn is_task_default(key: &str) -> bool {
    TASK_PRODUCER_DEFAULTS
        .iter()
        .chain(TASK_CONSUMER_DEFAULTS)
        .any(|(k, _)| *k == key)
}

/// Keys renamed in librdkafka, same meaning.
const RENAMED: &[(&str, &str)] = &[
    ("max.in.flight.requests.per.connection", "max.in.flight"),
    ("sasl.mechanism", "sasl.mechanisms"),
    ("retries", "message.send.max.retries"),
    ("fetch.max.wait.ms", "fetch.wait.max.ms"),
    ("ssl.keystore.key", "ssl.key.pem"),
    ("ssl.keystore.certificate.chain", "ssl.certificate.pem"),
    ("ssl.truststore.certificates", "ssl.ca.pem"),
];

/// Java-only settings with no librdkafka meaning, dropped without a warning.
/// `max.poll.records` is applied by the runtime's poll loop instead.
const SILENT: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "key.deserializer",
    "value.deserializer",
    "max.block.ms",
    "client.dns.lookup",
    "max.poll.records",
    "default.api.timeout.ms",
    "metrics.sample.window.ms",
    "metrics.num.samples",
    "metrics.recording.level",
    "metric.reporters",
    "auto.include.jmx.reporter",
    "ssl.keystore.type",
    "ssl.truststore.type",
];

const LIBRDKAFKA_MAX_INT: i64 = 2_147_483_647;

/// Translates Java client settings to librdkafka settings. Returns the librdkafka map and
/// the Java keys that have no librdkafka equivalent (to be logged as a warning).
///
/// Values are trimmed (Java trims typed values); booleans are lower-cased.
///
/// ```
/// use rconnect_config::to_librdkafka;
/// let mut p = rconnect_sdk::Props::new();
/// p.insert("max.in.flight.requests.per.connection".into(), "1".into());
/// p.insert("partitioner.class".into(), "com.example.MyPartitioner".into());
/// let (rd, warn) = to_librdkafka(&p);
/// assert_eq!(rd["max.in.flight"], "1");
/// assert_eq!(warn, vec!["partitioner.class"]);
/// ```
pub fn to_librdkafka(props: &Props) -> (BTreeMap<String, String>, Vec<String>) {
    let mut out = BTreeMap::new();
    let mut warnings = Vec::new();
    let get = |k: &str| props.get(k).map(|v| v.trim().to_string());

    for (k, raw) in props {
        let value = raw.trim().to_string();
        let key = k.as_str();
        if SILENT.contains(&key) {
            continue;
        }
        if SAME.contains(&key) || is_task_default(key) {
            out.insert(key.to_string(), normalize(key, &value));
            continue;
        }
        if let Some((_, rd)) = RENAMED.iter().find(|(j, _)| *j == key) {
            out.insert(rd.to_string(), normalize(key, &value));
            continue;
        }
        match key {
            "auto.offset.reset" => {
                // Java `none` (fail when there is no committed offset) is librdkafka `error`.
                let v = if value.eq_ignore_ascii_case("none") {
                    "error".to_string()
                } else {
                    value.to_ascii_lowercase()
                };
                out.insert(key.into(), v);
            }
            "delivery.timeout.ms" => {
                out.insert(key.into(), clamp(&value));
            }
            "send.buffer.bytes" | "receive.buffer.bytes" => {
                // Java -1 (OS default) is librdkafka 0.
                let rd = if key == "send.buffer.bytes" {
                    "socket.send.buffer.bytes"
                } else {
                    "socket.receive.buffer.bytes"
                };
                out.insert(rd.into(), if value == "-1" { "0".into() } else { value });
            }
            "buffer.memory" => match value.parse::<i64>() {
                Ok(bytes) if bytes > 0 => {
                    let kb = ((bytes + 1023) / 1024).min(LIBRDKAFKA_MAX_INT);
                    out.insert("queue.buffering.max.kbytes".into(), kb.to_string());
                }
                _ => warnings.push(k.clone()),
            },
            "ssl.endpoint.identification.algorithm" => {
                let v = if value.is_empty() {
                    "none".to_string()
                } else {
                    value.to_ascii_lowercase()
                };
                out.insert(key.into(), v);
            }
            "partition.assignment.strategy" => match assignors(&value) {
                Some(v) => {
                    out.insert("partition.assignment.strategy".into(), v);
                }
                None => warnings.push(k.clone()),
            },
            "sasl.jaas.config" => match jaas_credentials(&value) {
                Some((user, pass)) => {
                    out.insert("sasl.username".into(), user);
                    out.insert("sasl.password".into(), pass);
                }
                None => warnings.push(k.clone()),
            },
            "ssl.keystore.location" => {
                let ty = get("ssl.keystore.type")
                    .unwrap_or_else(|| "JKS".into())
                    .to_ascii_uppercase();
                if ty == "PEM" {
                    // A PEM key store file holds the private key and the certificate chain.
                    out.insert("ssl.key.location".into(), value.clone());
                    out.insert("ssl.certificate.location".into(), value);
                } else {
                    // PKCS12 (Java's `JKS` default reads PKCS12 files too): read here and
                    // handed over as PEM, so a store without a password, or one librdkafka's
                    // PKCS12 reader refuses, behaves as in Java. Start-up checks the stores
                    // first (`check_client_ssl`), so an error here is only a warning.
                    match crate::ssl::SslSettings::new(props).key_material() {
                        Ok(Some(m)) => match (
                            crate::ssl::certs_to_pem(&m.chain),
                            crate::ssl::key_to_pem(&m.key),
                        ) {
                            (Ok(chain), Ok(key)) => {
                                out.insert("ssl.certificate.pem".into(), chain);
                                out.insert("ssl.key.pem".into(), key);
                            }
                            _ => warnings.push(k.clone()),
                        },
                        _ => warnings.push(k.clone()),
                    }
                }
            }
            "ssl.truststore.location" => {
                let ty = get("ssl.truststore.type")
                    .unwrap_or_else(|| "JKS".into())
                    .to_ascii_uppercase();
                if ty == "PEM" {
                    out.insert("ssl.ca.location".into(), value);
                } else {
                    // librdkafka reads CA certificates only from PEM: PKCS12 truststores are
                    // read here and handed over as `ssl.ca.pem`.
                    match crate::ssl::SslSettings::new(props)
                        .trusted_certs()
                        .and_then(|c| crate::ssl::certs_to_pem(&c.unwrap_or_default()))
                    {
                        Ok(pem) => {
                            out.insert("ssl.ca.pem".into(), pem);
                        }
                        Err(_) => warnings.push(k.clone()),
                    }
                }
            }
            // Read with the stores above.
            "ssl.keystore.password" | "ssl.truststore.password" => {}
            _ => warnings.push(k.clone()),
        }
    }
    (out, warnings)
}

fn normalize(java_key: &str, value: &str) -> String {
    match java_key {
        "enable.idempotence" | "enable.auto.commit" | "check.crcs" | "allow.auto.create.topics" => {
            value.to_ascii_lowercase()
        }
        "retries" => clamp(value),
        "security.protocol" | "compression.type" | "isolation.level" => value.to_ascii_lowercase(),
        _ => value.to_string(),
    }
}

/// Clamps an integer to librdkafka's maximum (Java allows `Long`/`Integer.MAX_VALUE`).
fn clamp(value: &str) -> String {
    match value.parse::<i64>() {
        Ok(n) if n > LIBRDKAFKA_MAX_INT => LIBRDKAFKA_MAX_INT.to_string(),
        _ => value.to_string(),
    }
}

/// Java assignor classes to librdkafka assignor names; `None` if one has no equivalent.
fn assignors(value: &str) -> Option<String> {
    let mut out = Vec::new();
    for class in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let simple = class.rsplit('.').next().unwrap_or(class);
        out.push(match simple {
            "RangeAssignor" | "range" => "range",
            "RoundRobinAssignor" | "roundrobin" => "roundrobin",
            "CooperativeStickyAssignor" | "cooperative-sticky" => "cooperative-sticky",
            _ => return None,
        });
    }
    if out.is_empty() {
        None
    } else {
        Some(out.join(","))
    }
}

/// `username`/`password` of a PLAIN or SCRAM `sasl.jaas.config`; `None` for any other
/// login module (GSSAPI, OAUTHBEARER) or a malformed entry.
pub fn jaas_credentials(value: &str) -> Option<(String, String)> {
    let mut chars = value.trim().chars().peekable();
    let word = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Option<String> {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut w = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' || c == ';' {
                break;
            }
            w.push(c);
            chars.next();
        }
        if w.is_empty() {
            None
        } else {
            Some(w)
        }
    };
    let module = word(&mut chars)?;
    let simple = module.rsplit('.').next().unwrap_or(&module);
    if simple != "PlainLoginModule" && simple != "ScramLoginModule" {
        return None;
    }
    let _flag = word(&mut chars)?;
    let mut options = BTreeMap::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.peek() {
            None | Some(';') => break,
            _ => {}
        }
        let name = word(&mut chars)?;
        if chars.next() != Some('=') {
            return None;
        }
        let val = if chars.peek() == Some(&'"') {
            chars.next();
            let mut v = String::new();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => v.push(chars.next()?),
                    c => v.push(c),
                }
            }
            v
        } else {
            word(&mut chars)?
        };
        options.insert(name, val);
    }
    Some((options.remove("username")?, options.remove("password")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn identical_keys_pass_through() {
        for k in SAME {
            let (rd, warn) = to_librdkafka(&props(&[(k, "5")]));
            assert_eq!(rd.get(*k).map(String::as_str), Some("5"), "{k}");
            assert!(warn.is_empty(), "{k}");
        }
        let (rd, _) = to_librdkafka(&props(&[
            ("bootstrap.servers", " a:1,b:2 "),
            ("enable.idempotence", "TRUE"),
            ("security.protocol", "SASL_SSL"),
        ]));
        assert_eq!(rd["bootstrap.servers"], "a:1,b:2");
        assert_eq!(rd["enable.idempotence"], "true");
        assert_eq!(rd["security.protocol"], "sasl_ssl");
    }

    #[test]
    fn task_default_keys_pass_through() {
        for (k, _) in TASK_PRODUCER_DEFAULTS.iter().chain(TASK_CONSUMER_DEFAULTS) {
            let (rd, warn) = to_librdkafka(&props(&[(k, "7")]));
            assert_eq!(rd.get(*k).map(String::as_str), Some("7"), "{k}");
            assert!(warn.is_empty(), "{k}");
        }
    }

    #[test]
    fn renamed_keys() {
        let (rd, warn) = to_librdkafka(&props(&[
            ("max.in.flight.requests.per.connection", "1"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("retries", "2147483647"),
            ("fetch.max.wait.ms", "500"),
            ("ssl.keystore.key", "-----BEGIN"),
            ("ssl.keystore.certificate.chain", "-----CERT"),
            ("ssl.truststore.certificates", "-----CA"),
        ]));
        assert!(warn.is_empty());
        assert_eq!(rd["max.in.flight"], "1");
        assert_eq!(rd["sasl.mechanisms"], "SCRAM-SHA-512");
        assert_eq!(rd["message.send.max.retries"], "2147483647");
        assert_eq!(rd["fetch.wait.max.ms"], "500");
        assert_eq!(rd["ssl.key.pem"], "-----BEGIN");
        assert_eq!(rd["ssl.certificate.pem"], "-----CERT");
        assert_eq!(rd["ssl.ca.pem"], "-----CA");
    }

    #[test]
    fn value_translations() {
        let (rd, warn) = to_librdkafka(&props(&[
            ("auto.offset.reset", "none"),
            ("delivery.timeout.ms", "9223372036854775807"),
            ("send.buffer.bytes", "-1"),
            ("receive.buffer.bytes", "65536"),
            ("buffer.memory", "33554432"),
            ("ssl.endpoint.identification.algorithm", ""),
            ("partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor, org.apache.kafka.clients.consumer.CooperativeStickyAssignor"),
        ]));
        assert!(warn.is_empty(), "{warn:?}");
        assert_eq!(rd["auto.offset.reset"], "error");
        assert_eq!(rd["delivery.timeout.ms"], "2147483647");
        assert_eq!(rd["socket.send.buffer.bytes"], "0");
        assert_eq!(rd["socket.receive.buffer.bytes"], "65536");
        assert_eq!(rd["queue.buffering.max.kbytes"], "32768");
        assert_eq!(rd["ssl.endpoint.identification.algorithm"], "none");
        assert_eq!(
            rd["partition.assignment.strategy"],
            "range,cooperative-sticky"
        );
        let (rd, _) = to_librdkafka(&props(&[
            ("auto.offset.reset", "earliest"),
            ("delivery.timeout.ms", "120000"),
        ]));
        assert_eq!(rd["auto.offset.reset"], "earliest");
        assert_eq!(rd["delivery.timeout.ms"], "120000");
        let (_, warn) = to_librdkafka(&props(&[(
            "partition.assignment.strategy",
            "org.apache.kafka.clients.consumer.StickyAssignor",
        )]));
        assert_eq!(warn, vec!["partition.assignment.strategy"]);
    }

    #[test]
    fn silent_drops() {
        let (rd, warn) = to_librdkafka(&props(&[
            ("key.serializer", "x"),
            ("value.deserializer", "x"),
            ("max.block.ms", "9223372036854775807"),
            ("client.dns.lookup", "use_all_dns_ips"),
            ("max.poll.records", "500"),
        ]));
        assert!(rd.is_empty() && warn.is_empty(), "{rd:?} {warn:?}");
    }

    #[test]
    fn unsupported_keys_warned() {
        let (rd, warn) = to_librdkafka(&props(&[
            ("partitioner.class", "x"),
            ("interceptor.classes", "y"),
            ("ssl.cipher.suites", "TLS_AES_128_GCM_SHA256"),
            ("group.id", "g"),
        ]));
        assert_eq!(rd.len(), 1);
        assert_eq!(
            warn,
            vec![
                "interceptor.classes",
                "partitioner.class",
                "ssl.cipher.suites"
            ]
        );
    }

    #[test]
    fn sasl_jaas_config() {
        let (rd, warn) = to_librdkafka(&props(&[(
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3\"cret";"#,
        )]));
        assert!(warn.is_empty());
        assert_eq!(rd["sasl.username"], "alice");
        assert_eq!(rd["sasl.password"], "s3\"cret");
        let (rd, _) = to_librdkafka(&props(&[(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=bob password=pw;",
        )]));
        assert_eq!(rd["sasl.username"], "bob");
        assert_eq!(rd["sasl.password"], "pw");
        let (rd, warn) = to_librdkafka(&props(&[(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
        )]));
        assert!(rd.is_empty());
        assert_eq!(warn, vec!["sasl.jaas.config"]);
        let (_, warn) = to_librdkafka(&props(&[(
            "sasl.jaas.config",
            "org.x.PlainLoginModule required username=\"unterminated",
        )]));
        assert_eq!(warn, vec!["sasl.jaas.config"]);
    }

    /// A self-signed certificate and its key, as a PKCS12 store with `password`.
    fn pkcs12_store(password: &str) -> Vec<u8> {
        use openssl::{asn1::Asn1Time, ec, nid::Nid, pkey::PKey, x509};
        let group = ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(ec::EcKey::generate(&group).unwrap()).unwrap();
        let mut name = x509::X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "localhost").unwrap();
        let name = name.build();
        let mut b = x509::X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&key, openssl::hash::MessageDigest::sha256())
            .unwrap();
        let cert = b.build();
        openssl::pkcs12::Pkcs12::builder()
            .name("k")
            .pkey(&key)
            .cert(&cert)
            .build2(password)
            .unwrap()
            .to_der()
            .unwrap()
    }

    #[test]
    fn ssl_stores() {
        let dir = tempfile::tempdir().unwrap();
        let p12 = dir.path().join("ks.p12");
        std::fs::write(&p12, pkcs12_store("y")).unwrap();
        let p12 = p12.to_str().unwrap();
        // Java's default type (JKS) with a PKCS12 file, as Java's keystore.type.compat reads
        // it: both stores are handed to librdkafka as PEM.
        let (rd, warn) = to_librdkafka(&props(&[
            ("ssl.truststore.location", p12),
            ("ssl.truststore.password", "y"),
            ("ssl.keystore.location", p12),
            ("ssl.keystore.password", "y"),
        ]));
        assert!(warn.is_empty(), "{warn:?}");
        assert!(rd["ssl.ca.pem"].starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(rd["ssl.certificate.pem"].starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(rd["ssl.key.pem"].starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!rd.contains_key("ssl.keystore.location"));

        // Unreadable stores are reported (start-up checks them with a full message first).
        let (rd, warn) = to_librdkafka(&props(&[
            ("ssl.truststore.type", "PKCS12"),
            ("ssl.truststore.location", p12),
            ("ssl.truststore.password", "wrong"),
            ("ssl.keystore.location", "/nonexistent.p12"),
        ]));
        assert!(rd.is_empty(), "{rd:?}");
        assert_eq!(
            warn,
            vec!["ssl.keystore.location", "ssl.truststore.location"]
        );

        let (rd, warn) = to_librdkafka(&props(&[
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", "/ca.pem"),
        ]));
        assert!(warn.is_empty(), "{warn:?}");
        assert_eq!(rd["ssl.ca.location"], "/ca.pem");

        let (rd, warn) = to_librdkafka(&props(&[
            ("ssl.keystore.type", "pem"),
            ("ssl.keystore.location", "/k.pem"),
        ]));
        assert!(warn.is_empty());
        assert_eq!(rd["ssl.key.location"], "/k.pem");
        assert_eq!(rd["ssl.certificate.location"], "/k.pem");
    }
}
