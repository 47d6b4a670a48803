//! The REST API's security settings, from the worker config: TLS of `https://` listeners
//! (and of the requests this worker sends to other workers), and basic authentication.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use rconnect_config::ssl::SslSettings;
use rconnect_config::worker::REST_AUTH_JAAS_CONFIG;
use rconnect_config::WorkerConfig;
use rconnect_rest::{BasicAuth, ServerTls, BASIC_AUTH_EXTENSION_CLASS};
use rconnect_runtime::distributed::forward::{self, ForwardTls};
use tracing::info;

fn any_https(listeners: &[rconnect_config::Listener]) -> bool {
    listeners.iter().any(|l| l.protocol == "https")
}

/// The TLS configs of the `https://` entries of `listeners` (`listeners.https.ssl.*`, else
/// `ssl.*`) and `admin.listeners` (`admin.listeners.https.ssl.*`, else `ssl.*`), as Java's
/// `SSLUtils#createServerSideSslContextFactory` reads them.
pub fn server_tls(config: &WorkerConfig) -> anyhow::Result<ServerTls> {
    let mut tls = ServerTls::default();
    let originals = config.originals();
    if any_https(&config.listeners) {
        let ssl = SslSettings::all_or_nothing(originals, "listeners.https.");
        tls.main = Some(Arc::new(
            ssl.server_config()
                .context("cannot set up TLS for the https:// entries of listeners")?,
        ));
    }
    if config.admin_listeners.as_deref().is_some_and(any_https) {
        let ssl = SslSettings::all_or_nothing(originals, "admin.listeners.https.");
        tls.admin = Some(Arc::new(ssl.server_config().context(
            "cannot set up TLS for the https:// entries of admin.listeners",
        )?));
    }
    Ok(tls)
}

/// The truststore and client certificate of requests to other workers' `https://` URLs
/// (Java: `SSLUtils#createClientSideSslContextFactory`, `listeners.https.ssl.*` else
/// `ssl.*`). Only read when this worker has an HTTPS listener: the workers of one group
/// share their listener settings, so a worker without one talks HTTP.
pub fn configure_forwarding_tls(config: &WorkerConfig) -> anyhow::Result<()> {
    if !any_https(&config.listeners) {
        return Ok(());
    }
    let ssl = SslSettings::all_or_nothing(config.originals(), "listeners.https.");
    let trusted = ssl
        .trusted_certs()
        .context("cannot load the truststore for requests to other workers")?
        .map(|certs| certs.iter().map(|c| c.to_vec()).collect());
    let client_cert = match ssl
        .key_material()
        .context("cannot load the keystore for requests to other workers")?
    {
        Some(m) => Some((
            m.chain.iter().map(|c| c.to_vec()).collect(),
            rconnect_config::ssl::key_to_pem(&m.key)?,
        )),
        None => None,
    };
    if !ssl.endpoint_identification() {
        tracing::warn!(
            "ssl.endpoint.identification.algorithm is empty, but rconnect still checks the host \
             name of other workers' certificates in requests it forwards to them"
        );
    }
    forward::configure_tls(ForwardTls {
        trusted,
        client_cert,
    });
    Ok(())
}

/// Basic authentication when `rest.extension.classes` names Java's
/// `BasicAuthSecurityRestExtension`. Its JAAS file comes from `rconnect.rest.auth.jaas.config`,
/// else from `-Djava.security.auth.login.config=...` in `KAFKA_OPTS` (how Java's scripts pass
/// it). Any other extension class stops the worker: a security extension must not be
/// dropped silently.
pub fn basic_auth(config: &WorkerConfig) -> anyhow::Result<Option<Arc<BasicAuth>>> {
    let classes: Vec<&str> = config
        .originals()
        .get("rest.extension.classes")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut basic = false;
    for class in classes {
        if class == BASIC_AUTH_EXTENSION_CLASS {
            basic = true;
        } else {
            bail!(
                "Invalid value {class} for configuration rest.extension.classes: rconnect \
                 implements only {BASIC_AUTH_EXTENSION_CLASS}"
            );
        }
    }
    if !basic {
        return Ok(None);
    }
    let from_config = config
        .originals()
        .get(REST_AUTH_JAAS_CONFIG)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let (path, source) = match from_config {
        Some(p) => (p, REST_AUTH_JAAS_CONFIG.to_string()),
        None => match std::env::var("KAFKA_OPTS")
            .ok()
            .and_then(|o| rconnect_rest::jaas_file_from_kafka_opts(&o))
        {
            Some(p) => (
                p,
                "KAFKA_OPTS (-Djava.security.auth.login.config)".to_string(),
            ),
            None => bail!(
                "rest.extension.classes has {BASIC_AUTH_EXTENSION_CLASS}, but no JAAS file is \
                 given: set {REST_AUTH_JAAS_CONFIG} in the worker config, or \
                 -Djava.security.auth.login.config=FILE in KAFKA_OPTS"
            ),
        },
    };
    let auth = BasicAuth::from_jaas_file(&path)?;
    info!(
        "REST basic authentication on, users from the JAAS file {} (from {source})",
        path.display()
    );
    Ok(Some(Arc::new(auth)))
}
