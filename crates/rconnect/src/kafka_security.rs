//! The worker's own connections to Kafka (cluster id, group membership) secured as its
//! `security.protocol`, `ssl.*`, `sasl.mechanism` and `sasl.jaas.config` say, as Java's
//! worker-level client settings.

use std::sync::Arc;

use anyhow::{bail, Context};
use rconnect_config::ssl::SslSettings;
use rconnect_config::WorkerConfig;
use rconnect_group::{SaslCredentials, SaslMechanism, Security};

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
