//! Java's `ssl.*` keys (`SslConfigs`) turned into TLS material and rustls configs: the
//! keystore (PKCS12, or PEM as a file or inline), the truststore (PKCS12 or PEM), client
//! authentication and endpoint identification.
//!
//! Used by the REST server (`listeners.https.ssl.*`, `admin.listeners.https.ssl.*`, and the
//! unprefixed `ssl.*` when no prefixed key is set, as Java's `SSLUtils` reads them with
//! `valuesWithPrefixAllOrNothing`), by requests between workers, and by the group client
//! that talks to a broker over TLS.
//!
//! ```
//! use rconnect_config::ssl::SslSettings;
//! use rconnect_sdk::Props;
//!
//! let mut worker = Props::new();
//! worker.insert("ssl.client.auth".into(), "required".into());
//! worker.insert("listeners.https.ssl.client.auth".into(), "requested".into());
//! // A prefixed key exists, so only the prefixed keys count (Java's all-or-nothing rule).
//! let ssl = SslSettings::all_or_nothing(&worker, "listeners.https.");
//! assert_eq!(ssl.get("ssl.client.auth"), Some("requested"));
//! ```

use std::sync::Arc;

use rconnect_sdk::Props;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Why TLS material could not be loaded; every variant names the key and file at fault.
#[derive(Debug, thiserror::Error)]
pub enum SslError {
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    Invalid {
        key: String,
        value: String,
        reason: String,
    },
    #[error("Cannot read {what} {path} ({key}): {reason}")]
    Load {
        what: &'static str,
        key: String,
        path: String,
        reason: String,
    },
    #[error("{0}")]
    Tls(String),
}

/// How an HTTPS listener treats client certificates (`ssl.client.auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    None,
    Requested,
    Required,
}

/// A certificate chain and its private key.
#[derive(Debug)]
pub struct KeyMaterial {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Clone for KeyMaterial {
    fn clone(&self) -> KeyMaterial {
        KeyMaterial {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

/// The `ssl.*` settings of one TLS context, keys without any listener prefix.
#[derive(Debug, Clone, Default)]
pub struct SslSettings {
    values: Props,
    /// The prefix the keys were read with, to name them in errors.
    prefix: String,
}

impl SslSettings {
    /// Java's `AbstractConfig#valuesWithPrefixAllOrNothing`: the keys under `prefix`
    /// (stripped) if any key has it, otherwise all of `props` unprefixed.
    pub fn all_or_nothing(props: &Props, prefix: &str) -> SslSettings {
        let prefixed: Props = props
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
            .collect();
        if prefixed.is_empty() {
            SslSettings {
                values: props.clone(),
                prefix: String::new(),
            }
        } else {
            SslSettings {
                values: prefixed,
                prefix: prefix.to_string(),
            }
        }
    }

    /// The settings as given (client configs, where no prefix applies).
    pub fn new(props: &Props) -> SslSettings {
        SslSettings {
            values: props.clone(),
            prefix: String::new(),
        }
    }

    /// A value, blank values counting as absent (Java's `Password`/`String` nulls).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn invalid(&self, key: &str, value: &str, reason: impl Into<String>) -> SslError {
        SslError::Invalid {
            key: self.full_key(key),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// `ssl.client.auth` (default `none`).
    pub fn client_auth(&self) -> Result<ClientAuth, SslError> {
        match self
            .get("ssl.client.auth")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("none") => Ok(ClientAuth::None),
            Some("requested") => Ok(ClientAuth::Requested),
            Some("required") => Ok(ClientAuth::Required),
            Some(other) => Err(self.invalid(
                "ssl.client.auth",
                other,
                "expected one of required, requested, none",
            )),
        }
    }

    /// Whether the server's host name is checked against its certificate:
    /// `ssl.endpoint.identification.algorithm` is `https` by default; an empty value turns
    /// the check off.
    pub fn endpoint_identification(&self) -> bool {
        match self.values.get("ssl.endpoint.identification.algorithm") {
            None => true,
            Some(v) => !v.trim().is_empty(),
        }
    }

    /// Whether any keystore or truststore is configured.
    pub fn has_keystore(&self) -> bool {
        self.get("ssl.keystore.location").is_some() || self.get("ssl.keystore.key").is_some()
    }

    /// The keystore's certificate chain and key: `ssl.keystore.location` (PKCS12, or PEM
    /// with `ssl.keystore.type=PEM`) or `ssl.keystore.key` with
    /// `ssl.keystore.certificate.chain` (PEM text). `None` when no keystore is set.
    pub fn key_material(&self) -> Result<Option<KeyMaterial>, SslError> {
        let ty = self
            .get("ssl.keystore.type")
            .unwrap_or("JKS")
            .to_ascii_uppercase();
        let key_password = self.get("ssl.key.password");
        if let Some(key_pem) = self.get("ssl.keystore.key") {
            let chain_pem = self.get("ssl.keystore.certificate.chain").ok_or_else(|| {
                self.invalid(
                    "ssl.keystore.certificate.chain",
                    "null",
                    "required with ssl.keystore.key",
                )
            })?;
            let chain = pem_certs(chain_pem.as_bytes())
                .map_err(|r| self.invalid("ssl.keystore.certificate.chain", "[hidden]", r))?;
            let key = pem_key(key_pem.as_bytes(), key_password)
                .map_err(|r| self.invalid("ssl.keystore.key", "[hidden]", r))?;
            return Ok(Some(KeyMaterial { chain, key }));
        }
        let Some(location) = self.get("ssl.keystore.location") else {
            return Ok(None);
        };
        let load = |reason: String| SslError::Load {
            what: "keystore",
            key: self.full_key("ssl.keystore.location"),
            path: location.to_string(),
            reason,
        };
        let bytes = std::fs::read(location).map_err(|e| load(e.to_string()))?;
        let material = if ty == "PEM" {
            let chain = pem_certs(&bytes).map_err(load)?;
            let key = pem_key(&bytes, key_password).map_err(load)?;
            KeyMaterial { chain, key }
        } else {
            check_not_jks(&bytes).map_err(load)?;
            let password = self.get("ssl.keystore.password").unwrap_or("");
            pkcs12_key_material(&bytes, password).map_err(load)?
        };
        Ok(Some(material))
    }

    /// The trusted certificates: `ssl.truststore.location` (PKCS12, or PEM with
    /// `ssl.truststore.type=PEM`) or `ssl.truststore.certificates` (PEM text). `None` when
    /// no truststore is set (the platform's roots apply, as Java's default `cacerts`).
    pub fn trusted_certs(&self) -> Result<Option<Vec<CertificateDer<'static>>>, SslError> {
        let ty = self
            .get("ssl.truststore.type")
            .unwrap_or("JKS")
            .to_ascii_uppercase();
        if let Some(pem) = self.get("ssl.truststore.certificates") {
            return pem_certs(pem.as_bytes())
                .map(Some)
                .map_err(|r| self.invalid("ssl.truststore.certificates", "[hidden]", r));
        }
        let Some(location) = self.get("ssl.truststore.location") else {
            return Ok(None);
        };
        let load = |reason: String| SslError::Load {
            what: "truststore",
            key: self.full_key("ssl.truststore.location"),
            path: location.to_string(),
            reason,
        };
        let bytes = std::fs::read(location).map_err(|e| load(e.to_string()))?;
        let certs = if ty == "PEM" || bytes.starts_with(b"-----BEGIN") {
            pem_certs(&bytes).map_err(load)?
        } else {
            check_not_jks(&bytes).map_err(load)?;
            let password = self.get("ssl.truststore.password").unwrap_or("");
            pkcs12_trusted(&bytes, password).map_err(load)?
        };
        if certs.is_empty() {
            return Err(load("it holds no certificate".into()));
        }
        Ok(Some(certs))
    }

    /// The root store: the truststore, else the platform's certificates.
    fn root_store(&self) -> Result<rustls::RootCertStore, SslError> {
        let mut roots = rustls::RootCertStore::empty();
        match self.trusted_certs()? {
            Some(certs) => {
                for cert in certs {
                    roots
                        .add(cert)
                        .map_err(|e| SslError::Tls(format!("unusable trusted certificate: {e}")))?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(native.certs);
            }
        }
        Ok(roots)
    }

    /// A rustls server config for an HTTPS listener: the keystore (required), and for
    /// `ssl.client.auth` requested or required the truststore that client certificates
    /// must chain to.
    pub fn server_config(&self) -> Result<rustls::ServerConfig, SslError> {
        let material = self.key_material()?.ok_or_else(|| {
            self.invalid(
                "ssl.keystore.location",
                "null",
                "an HTTPS listener needs a keystore with its certificate and key",
            )
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| SslError::Tls(e.to_string()))?;
        let builder = match self.client_auth()? {
            ClientAuth::None => builder.with_no_client_auth(),
            auth => {
                let roots = self.root_store()?;
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                );
                let verifier = if auth == ClientAuth::Requested {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| SslError::Tls(format!("client certificate verifier: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(material.chain, material.key)
            .map_err(|e| SslError::Tls(format!("the keystore's key and certificate: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    /// A rustls client config: the truststore (else the platform's roots), the keystore as
    /// the client certificate when set, and the host name check unless
    /// `ssl.endpoint.identification.algorithm` is empty.
    pub fn client_config(&self) -> Result<rustls::ClientConfig, SslError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = Arc::new(self.root_store()?);
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| SslError::Tls(e.to_string()))?;
        let builder = if self.endpoint_identification() {
            builder.with_root_certificates(roots)
        } else {
            let inner =
                rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(|e| SslError::Tls(format!("server certificate verifier: {e}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoHostnameCheck(inner)))
        };
        match self.key_material()? {
            Some(m) => builder
                .with_client_auth_cert(m.chain, m.key)
                .map_err(|e| SslError::Tls(format!("the keystore's key and certificate: {e}"))),
            None => Ok(builder.with_no_client_auth()),
        }
    }
}

/// Java's `ssl.endpoint.identification.algorithm=` (empty): the chain is verified, the host
/// name is not.
#[derive(Debug)]
struct NoHostnameCheck(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for NoHostnameCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// JKS is Java's own format; `keytool -importkeystore -deststoretype PKCS12` converts it.
fn check_not_jks(bytes: &[u8]) -> Result<(), String> {
    if bytes.starts_with(&[0xFE, 0xED, 0xFE, 0xED]) || bytes.starts_with(&[0xCE, 0xCE, 0xCE, 0xCE])
    {
        return Err(
            "a JKS/JCEKS keystore, which rconnect cannot read; convert it with \
                    `keytool -importkeystore -srckeystore FILE -destkeystore FILE.p12 \
                    -deststoretype PKCS12` (or use PEM files)"
                .into(),
        );
    }
    Ok(())
}

fn pem_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = openssl::x509::X509::stack_from_pem(pem).map_err(|e| format!("bad PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block found".into());
    }
    certs
        .iter()
        .map(|c| c.to_der().map(CertificateDer::from))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

/// The private key of a PEM text (PKCS#8, encrypted PKCS#8 with `password`, PKCS#1 or SEC1),
/// as PKCS#8 DER.
fn pem_key(pem: &[u8], password: Option<&str>) -> Result<PrivateKeyDer<'static>, String> {
    let text = String::from_utf8_lossy(pem);
    if !text.contains("PRIVATE KEY-----") {
        return Err("no PRIVATE KEY block found".into());
    }
    let key = match password {
        Some(p) => openssl::pkey::PKey::private_key_from_pem_passphrase(pem, p.as_bytes()),
        None => openssl::pkey::PKey::private_key_from_pem(pem),
    }
    .map_err(|e| {
        if text.contains("ENCRYPTED") && password.is_none() {
            "the private key is encrypted and ssl.key.password is not set".to_string()
        } else {
            format!("cannot read the private key (wrong ssl.key.password?): {e}")
        }
    })?;
    pkcs8(&key)
}

fn pkcs8(
    key: &openssl::pkey::PKeyRef<openssl::pkey::Private>,
) -> Result<PrivateKeyDer<'static>, String> {
    let der = key.private_key_to_pkcs8().map_err(|e| e.to_string())?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)))
}

fn pkcs12_parse(bytes: &[u8], password: &str) -> Result<openssl::pkcs12::ParsedPkcs12_2, String> {
    openssl::pkcs12::Pkcs12::from_der(bytes)
        .map_err(|e| format!("not a PKCS12 file: {e}"))?
        .parse2(password)
        .map_err(|e| format!("cannot open it (wrong password?): {e}"))
}

fn pkcs12_key_material(bytes: &[u8], password: &str) -> Result<KeyMaterial, String> {
    let parsed = pkcs12_parse(bytes, password)?;
    let key = parsed
        .pkey
        .ok_or_else(|| "it holds no private key entry".to_string())?;
    let cert = parsed
        .cert
        .ok_or_else(|| "its key entry has no certificate".to_string())?;
    let mut chain = vec![CertificateDer::from(
        cert.to_der().map_err(|e| e.to_string())?,
    )];
    if let Some(ca) = parsed.ca {
        for c in ca.iter() {
            chain.push(CertificateDer::from(c.to_der().map_err(|e| e.to_string())?));
        }
    }
    Ok(KeyMaterial {
        chain,
        key: pkcs8(&key)?,
    })
}

/// The certificates of a PKCS12 truststore (Java's trusted-certificate entries, which
/// OpenSSL lists with the other certificates).
fn pkcs12_trusted(bytes: &[u8], password: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let parsed = pkcs12_parse(bytes, password)?;
    let mut certs = Vec::new();
    if let Some(c) = parsed.cert {
        certs.push(CertificateDer::from(c.to_der().map_err(|e| e.to_string())?));
    }
    if let Some(ca) = parsed.ca {
        for c in ca.iter() {
            certs.push(CertificateDer::from(c.to_der().map_err(|e| e.to_string())?));
        }
    }
    Ok(certs)
}

/// Loads the keystore and truststore of the worker's Kafka clients (the unprefixed keys, and
/// those under `producer.`, `consumer.` and `admin.`) whose `security.protocol` is SSL or
/// SASL_SSL, so that a missing file or a wrong password stops the worker at start-up with
/// the key and file named, before any client retries a handshake it cannot complete.
/// (Layers without TLS ignore `ssl.*`, as Java's clients do; the REST listeners read the
/// unprefixed keys too.)
pub fn check_client_stores(originals: &Props) -> Result<(), SslError> {
    for prefix in ["", "producer.", "consumer.", "admin."] {
        let layer: Props = if prefix.is_empty() {
            originals
                .iter()
                .filter(|(k, _)| k.starts_with("ssl."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        } else {
            originals
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
                .filter(|(k, _)| k.starts_with("ssl."))
                .collect()
        };
        let protocol = originals
            .get(&format!("{prefix}security.protocol"))
            .map(|p| p.trim().to_ascii_uppercase());
        if layer.is_empty() || !matches!(protocol.as_deref(), Some("SSL" | "SASL_SSL")) {
            continue;
        }
        let settings = SslSettings {
            values: layer,
            prefix: prefix.to_string(),
        };
        settings.key_material()?;
        settings.trusted_certs()?;
    }
    Ok(())
}

/// PEM text of DER certificates, for clients that take PEM (librdkafka's `ssl.ca.pem`).
pub fn certs_to_pem(certs: &[CertificateDer<'_>]) -> Result<String, SslError> {
    let mut out = String::new();
    for c in certs {
        let x = openssl::x509::X509::from_der(c).map_err(|e| SslError::Tls(e.to_string()))?;
        let pem = x.to_pem().map_err(|e| SslError::Tls(e.to_string()))?;
        out.push_str(&String::from_utf8_lossy(&pem));
    }
    Ok(out)
}

/// PEM text (unencrypted PKCS#8) of a key, for librdkafka's `ssl.key.pem`.
pub fn key_to_pem(key: &PrivateKeyDer<'_>) -> Result<String, SslError> {
    let pkey = openssl::pkey::PKey::private_key_from_der(key.secret_der())
        .map_err(|e| SslError::Tls(e.to_string()))?;
    let pem = pkey
        .private_key_to_pem_pkcs8()
        .map_err(|e| SslError::Tls(e.to_string()))?;
    Ok(String::from_utf8_lossy(&pem).into_owned())
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
    fn prefixed_keys_replace_unprefixed_ones_all_or_nothing() {
        let p = props(&[
            ("ssl.keystore.location", "/a"),
            ("ssl.client.auth", "required"),
        ]);
        let s = SslSettings::all_or_nothing(&p, "listeners.https.");
        assert_eq!(s.get("ssl.keystore.location"), Some("/a"));
        assert_eq!(s.client_auth().unwrap(), ClientAuth::Required);

        let mut p = p;
        p.insert("listeners.https.ssl.keystore.location".into(), "/b".into());
        let s = SslSettings::all_or_nothing(&p, "listeners.https.");
        assert_eq!(s.get("ssl.keystore.location"), Some("/b"));
        assert_eq!(s.client_auth().unwrap(), ClientAuth::None);
    }

    #[test]
    fn bad_values_name_their_key() {
        let p = props(&[("listeners.https.ssl.client.auth", "maybe")]);
        let e = SslSettings::all_or_nothing(&p, "listeners.https.")
            .client_auth()
            .unwrap_err();
        assert!(
            e.to_string().contains("listeners.https.ssl.client.auth"),
            "{e}"
        );

        let p = props(&[("ssl.keystore.location", "/nonexistent/ks.p12")]);
        let e = SslSettings::new(&p).key_material().unwrap_err();
        assert!(
            e.to_string().contains("ssl.keystore.location")
                && e.to_string().contains("/nonexistent/ks.p12"),
            "{e}"
        );

        let e = SslSettings::new(&Props::new()).server_config().unwrap_err();
        assert!(e.to_string().contains("keystore"), "{e}");
    }

    #[test]
    fn jks_is_refused_with_the_conversion_command() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ks.jks");
        std::fs::write(&path, [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]).unwrap();
        let p = props(&[("ssl.keystore.location", path.to_str().unwrap())]);
        let e = SslSettings::new(&p).key_material().unwrap_err();
        assert!(e.to_string().contains("keytool -importkeystore"), "{e}");
    }

    #[test]
    fn client_stores_are_checked_where_tls_is_used() {
        // PLAINTEXT layers ignore `ssl.*` (the REST listeners may use the unprefixed keys).
        let p = props(&[("ssl.truststore.location", "/nonexistent/t.p12")]);
        check_client_stores(&p).unwrap();
        let p = props(&[
            ("ssl.truststore.location", "/nonexistent/t.p12"),
            ("producer.security.protocol", "SASL_SSL"),
            ("producer.ssl.truststore.location", "/nonexistent/p.p12"),
        ]);
        let e = check_client_stores(&p).unwrap_err().to_string();
        assert!(
            e.contains("producer.ssl.truststore.location") && e.contains("/nonexistent/p.p12"),
            "{e}"
        );
    }

    #[test]
    fn endpoint_identification_defaults_to_on() {
        assert!(SslSettings::new(&Props::new()).endpoint_identification());
        let p = props(&[("ssl.endpoint.identification.algorithm", "")]);
        assert!(!SslSettings::new(&p).endpoint_identification());
    }
}
