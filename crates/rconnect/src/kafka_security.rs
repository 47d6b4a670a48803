//! The worker's own connections to Kafka (cluster id, group membership) secured as its
//! `security.protocol`, `ssl.*`, `sasl.mechanism` and `sasl.jaas.config` say, as Java's
//! worker-level client settings.

use std::sync::Arc;

use anyhow::{bail, Context};
use rconnect_config::ssl::SslSettings;
use rconnect_config::WorkerConfig;
use rconnect_group::{SaslCredentials, SaslMechanism, Security};
use rconnect_sdk::Props;
use tracing::info;

/// The group client's [`Security`] from the worker's unprefixed settings.
pub fn group_security(config: &WorkerConfig) -> anyhow::Result<Security> {
    let originals = config.originals();
    let protocol = originals
        .get("security.protocol")
        .map(|p| p.trim().to_ascii_uppercase())
        .unwrap_or_else(|| "PLAINTEXT".into());
    let (tls, sasl) = match protocol.as_str() {
        "PLAINTEXT" => (false, false),
        "SSL" => (true, false),
        "SASL_PLAINTEXT" => (false, true),
        "SASL_SSL" => (true, true),
        other => bail!(
            "Invalid value {other} for configuration security.protocol: expected one of \
             PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"
        ),
    };
    let mut security = Security::default();
    if tls {
        let ssl = SslSettings::new(originals);
        let client = ssl
            .client_config()
            .context("cannot set up TLS to the Kafka cluster (ssl.* settings)")?;
        security.tls = Some(Arc::new(client));
    }
    if sasl {
        // Java's default mechanism is GSSAPI (Kerberos), which rconnect does not implement.
        let name = originals
            .get("sasl.mechanism")
            .map(|m| m.trim().to_string())
            .unwrap_or_else(|| "GSSAPI".into());
        let Some(mechanism) = SaslMechanism::parse(&name) else {
            bail!(
                "Invalid value {name} for configuration sasl.mechanism: rconnect supports PLAIN, \
                 SCRAM-SHA-256 and SCRAM-SHA-512"
            );
        };
        let jaas = originals
            .get("sasl.jaas.config")
            .filter(|j| !j.trim().is_empty())
            .context(
                "security.protocol is SASL, but sasl.jaas.config is not set (a PlainLoginModule \
                 or ScramLoginModule entry with username and password)",
            )?;
        let Some((username, password)) = rconnect_config::client::jaas_credentials(jaas) else {
            bail!(
                "Invalid value [hidden] for configuration sasl.jaas.config: expected \
                 `org.apache.kafka.common.security.plain.PlainLoginModule required \
                 username=\"...\" password=\"...\";` or the same with \
                 org.apache.kafka.common.security.scram.ScramLoginModule"
            );
        };
        security.sasl = Some(SaslCredentials {
            mechanism,
            username,
            password,
        });
    }
    Ok(security)
}

/// Java's clients without `sasl.jaas.config` log in with the `KafkaClient` entry of the JAAS
/// file the JVM was given (`-Djava.security.auth.login.config`, which Java's scripts pass in
/// `KAFKA_OPTS`). For each client layer (the worker's own, `producer.`, `consumer.`,
/// `admin.`) with a SASL `security.protocol` and no `sasl.jaas.config`, that entry becomes
/// its `sasl.jaas.config`.
pub fn apply_static_jaas(props: &mut Props) -> anyhow::Result<()> {
    let layers: Vec<&str> = ["", "producer.", "consumer.", "admin."]
        .into_iter()
        .filter(|prefix| {
            props
                .get(&format!("{prefix}security.protocol"))
                .is_some_and(|p| p.trim().to_ascii_uppercase().starts_with("SASL_"))
                && !props.contains_key(&format!("{prefix}sasl.jaas.config"))
        })
        .collect();
    if layers.is_empty() {
        return Ok(());
    }
    let Some(path) = std::env::var("KAFKA_OPTS")
        .ok()
        .and_then(|o| rconnect_rest::jaas_file_from_kafka_opts(&o))
    else {
        return Ok(());
    };
    let Some(config) = rconnect_rest::jaas_entry_as_config(&path, "KafkaClient")? else {
        return Ok(());
    };
    for prefix in &layers {
        props.insert(format!("{prefix}sasl.jaas.config"), config.clone());
    }
    info!(
        "sasl.jaas.config of the {} client settings from the KafkaClient entry of {} (KAFKA_OPTS)",
        layers
            .iter()
            .map(|p| if p.is_empty() {
                "worker"
            } else {
                p.trim_end_matches('.')
            })
            .collect::<Vec<_>>()
            .join(", "),
        path.display()
    );
    Ok(())
}
