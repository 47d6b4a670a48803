//! Schema Registry clients: the REST client (Java `CachedSchemaRegistryClient`,
//! `RestService`) and the in-memory `mock://` registry (Java `MockSchemaRegistryClient`),
//! behind one async trait, and the caches that keep a steady stream off the network.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use crate::config::{Auth, AvroConverterConfig};

/// The registry's media type (requests and responses).
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// A registry failure, with what the registry said.
///
/// ```
/// use rconnect_avro::RegistryError;
/// let e = RegistryError::Rest { status: 409, code: 409, message: "Schema being registered is incompatible with an earlier schema".into() };
/// assert_eq!(e.to_string(), "Schema being registered is incompatible with an earlier schema; error code: 409");
/// assert!(!e.is_retriable());
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryError {
    /// An HTTP error answer; `code` is the body's `error_code` (Java `RestClientException`).
    #[error("{message}; error code: {code}")]
    Rest {
        status: u16,
        code: i32,
        message: String,
    },
    /// No answer: connection refused, reset, or timed out, at every URL.
    #[error("Schema Registry unreachable ({url}): {reason}")]
    Unreachable { url: String, reason: String },
    /// An answer that is not what the API defines.
    #[error("Unexpected Schema Registry response from {url}: {reason}")]
    Protocol { url: String, reason: String },
    /// The client could not be built from the configuration.
    #[error("{0}")]
    Config(String),
}

impl RegistryError {
    /// Whether the same call may succeed later (Java maps these to `RetriableException`):
    /// no answer, or HTTP 408, 429, 500, 502, 503, 504.
    pub fn is_retriable(&self) -> bool {
        match self {
            RegistryError::Unreachable { .. } => true,
            RegistryError::Rest { status, .. } => is_retriable_status(*status),
            _ => false,
        }
    }
    /// The registry's `error_code`, when it answered with one.
    pub fn error_code(&self) -> Option<i32> {
        match self {
            RegistryError::Rest { code, .. } => Some(*code),
            _ => None,
        }
    }
}

fn is_retriable_status(s: u16) -> bool {
    matches!(s, 408 | 429 | 500 | 502 | 503 | 504)
}

/// A schema under a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectSchema {
    pub id: i32,
    pub version: i32,
    pub schema: String,
}

/// The registry calls the converter makes.
#[async_trait]
pub trait SchemaRegistryClient: Send + Sync {
    /// `POST /subjects/{subject}/versions`: the schema's id, registering it if new.
    async fn register(
        &self,
        subject: &str,
        schema: &str,
        normalize: bool,
    ) -> Result<i32, RegistryError>;
    /// `POST /subjects/{subject}`: the id and version of a schema already under the subject.
    async fn lookup(
        &self,
        subject: &str,
        schema: &str,
        deleted: bool,
    ) -> Result<SubjectSchema, RegistryError>;
    /// `GET /schemas/ids/{id}`: the schema text.
    async fn schema_by_id(&self, id: i32, subject: Option<&str>) -> Result<String, RegistryError>;
    /// `GET /subjects/{subject}/versions/latest`.
    async fn latest(&self, subject: &str) -> Result<SubjectSchema, RegistryError>;
}

/// The client a configuration asks for: the REST client, or the shared in-memory registry
/// of a `mock://scope` URL.
pub fn client_for(
    config: &AvroConverterConfig,
) -> Result<Arc<dyn SchemaRegistryClient>, RegistryError> {
    if let Some(scope) = config.urls[0].strip_prefix("mock://") {
        return Ok(MemoryRegistry::scope(scope));
    }
    Ok(Arc::new(HttpRegistry::new(config)?))
}

// ---------------------------------------------------------------------------- HTTP

/// The REST client: URLs tried in turn, retries with jittered exponential back-off.
pub struct HttpRegistry {
    urls: Vec<String>,
    http: reqwest::Client,
    auth: Auth,
    headers: Vec<(String, String)>,
    max_retries: u32,
    wait: Duration,
    max_wait: Duration,
}

#[derive(Deserialize)]
struct ErrorBody {
    error_code: i32,
    message: Option<String>,
}

#[derive(Deserialize)]
struct IdBody {
    id: i32,
}

#[derive(Deserialize)]
struct SchemaBody {
    schema: String,
}

#[derive(Deserialize)]
struct SubjectSchemaBody {
    id: i32,
    version: i32,
    schema: String,
}

impl HttpRegistry {
    pub fn new(config: &AvroConverterConfig) -> Result<Self, RegistryError> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.read_timeout + config.connect_timeout)
            .use_rustls_tls();
        if let Some(ca) = &config.tls.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(ca).map_err(|e| {
                RegistryError::Config(format!(
                    "Invalid schema.registry.ssl trust store (PEM expected): {e}"
                ))
            })?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        if let Some(id) = &config.tls.identity_pem {
            let identity = reqwest::Identity::from_pem(id).map_err(|e| {
                RegistryError::Config(format!(
                    "Invalid schema.registry.ssl key store (PEM certificate chain and private key expected): {e}"
                ))
            })?;
            b = b.identity(identity);
        }
        if config.tls.skip_hostname_verification {
            b = b.danger_accept_invalid_hostnames(true);
        }
        if let Some((host, port)) = &config.proxy {
            let p = reqwest::Proxy::all(format!("http://{host}:{port}")).map_err(|e| {
                RegistryError::Config(format!("Invalid proxy.host/proxy.port {host}:{port}: {e}"))
            })?;
            b = b.proxy(p);
        }
        let http = b.build().map_err(|e| {
            RegistryError::Config(format!("Cannot build the Schema Registry client: {e}"))
        })?;
        // Credentials live in `auth`; strip them from the URLs so they never reach a log.
        let urls = config
            .urls
            .iter()
            .map(|u| match u.split_once("://") {
                Some((scheme, rest)) => {
                    let (authority, path) =
                        rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
                    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                    let base = format!("{scheme}://{host}/{path}");
                    base.trim_end_matches('/').to_string()
                }
                None => u.clone(),
            })
            .collect();
        Ok(HttpRegistry {
            urls,
            http,
            auth: config.auth.clone(),
            headers: config
                .request_headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            max_retries: config.max_retries,
            wait: config.retries_wait,
            max_wait: config.retries_max_wait,
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .wait
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_wait);
        // ±20% jitter so that many tasks do not retry in step.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let factor = 0.8 + (nanos % 400) as f64 / 1000.0;
        base.mul_f64(factor)
    }

    async fn once(
        &self,
        base: &str,
        method: &reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<String, RegistryError> {
        let url = format!("{base}{path}");
        let mut req = self
            .http
            .request(method.clone(), &url)
            .header("Accept", format!("{CONTENT_TYPE}, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5"));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        req = match &self.auth {
            Auth::None => req,
            Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
            Auth::Bearer(t) => req.bearer_auth(t),
        };
        if let Some(b) = body {
            req = req.header("Content-Type", CONTENT_TYPE).body(b.to_string());
        }
        let resp = req.send().await.map_err(|e| RegistryError::Unreachable {
            url: base.to_string(),
            reason: error_chain(&e),
        })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| RegistryError::Unreachable {
            url: base.to_string(),
            reason: error_chain(&e),
        })?;
        if (200..300).contains(&status) {
            return Ok(text);
        }
        Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(e) => RegistryError::Rest {
                status,
                code: e.error_code,
                message: e.message.unwrap_or_default(),
            },
            // Java: an unparseable error body is error code 50005.
            Err(_) => RegistryError::Rest {
                status,
                code: 50005,
                message: format!(
                    "Unexpected HTTP {status} from {base}: {}",
                    text.chars().take(200).collect::<String>()
                ),
            },
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<String, RegistryError> {
        let mut last = None;
        for base in &self.urls {
            let mut attempt = 0;
            loop {
                match self.once(base, &method, path, body.as_ref()).await {
                    Ok(t) => return Ok(t),
                    Err(e) if e.is_retriable() && attempt < self.max_retries => {
                        let wait = self.backoff(attempt);
                        tracing::debug!("Schema Registry call {method} {path} failed ({e}); retrying in {wait:?}");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    Err(e @ RegistryError::Unreachable { .. }) => {
                        last = Some(e);
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Err(last.unwrap_or_else(|| RegistryError::Config("no schema.registry.url".into())))
    }

    fn parse<T: for<'de> Deserialize<'de>>(&self, text: &str) -> Result<T, RegistryError> {
        serde_json::from_str(text).map_err(|e| RegistryError::Protocol {
            url: self.urls.join(","),
            reason: format!("{e}: {}", text.chars().take(200).collect::<String>()),
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

/// A path segment, percent-encoded (subjects may hold any character).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[async_trait]
impl SchemaRegistryClient for HttpRegistry {
    async fn register(
        &self,
        subject: &str,
        schema: &str,
        normalize: bool,
    ) -> Result<i32, RegistryError> {
        let path = format!(
            "/subjects/{}/versions?normalize={normalize}",
            encode_segment(subject)
        );
        let text = self
            .call(
                reqwest::Method::POST,
                &path,
                Some(json!({"schemaType": "AVRO", "schema": schema})),
            )
            .await?;
        Ok(self.parse::<IdBody>(&text)?.id)
    }
    async fn lookup(
        &self,
        subject: &str,
        schema: &str,
        deleted: bool,
    ) -> Result<SubjectSchema, RegistryError> {
        let path = format!(
            "/subjects/{}?normalize=false&deleted={deleted}",
            encode_segment(subject)
        );
        let text = self
            .call(
                reqwest::Method::POST,
                &path,
                Some(json!({"schemaType": "AVRO", "schema": schema})),
            )
            .await?;
        let b: SubjectSchemaBody = self.parse(&text)?;
        Ok(SubjectSchema {
            id: b.id,
            version: b.version,
            schema: b.schema,
        })
    }
    async fn schema_by_id(&self, id: i32, subject: Option<&str>) -> Result<String, RegistryError> {
        let path = match subject {
            Some(s) => format!(
                "/schemas/ids/{id}?fetchMaxId=false&subject={}",
                encode_segment(s)
            ),
            None => format!("/schemas/ids/{id}?fetchMaxId=false"),
        };
        let text = self.call(reqwest::Method::GET, &path, None).await?;
        Ok(self.parse::<SchemaBody>(&text)?.schema)
    }
    async fn latest(&self, subject: &str) -> Result<SubjectSchema, RegistryError> {
        let path = format!("/subjects/{}/versions/latest", encode_segment(subject));
        let text = self.call(reqwest::Method::GET, &path, None).await?;
        let b: SubjectSchemaBody = self.parse(&text)?;
        Ok(SubjectSchema {
            id: b.id,
            version: b.version,
            schema: b.schema,
        })
    }
}

// ---------------------------------------------------------------------------- mock://

/// The in-memory registry behind `mock://scope` URLs: one per scope, shared by every
/// converter in the process (Java `MockSchemaRegistry.getClientForScope`). For tests and
/// benchmarks; it checks no compatibility.
#[derive(Default)]
pub struct MemoryRegistry {
    state: Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    /// id → schema text; ids start at 1.
    schemas: Vec<String>,
    /// subject → versions (ids), version n at index n-1.
    subjects: HashMap<String, Vec<i32>>,
}

impl MemoryRegistry {
    /// The registry of a scope, created on first use.
    pub fn scope(scope: &str) -> Arc<MemoryRegistry> {
        static SCOPES: OnceLock<Mutex<HashMap<String, Arc<MemoryRegistry>>>> = OnceLock::new();
        let mut m = SCOPES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        m.entry(scope.to_string()).or_default().clone()
    }

    /// Every subject, sorted.
    pub fn subjects(&self) -> Vec<String> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<String> = st.subjects.keys().cloned().collect();
        v.sort();
        v
    }
}

fn not_found(code: i32, message: &str) -> RegistryError {
    RegistryError::Rest {
        status: 404,
        code,
        message: message.to_string(),
    }
}

#[async_trait]
impl SchemaRegistryClient for MemoryRegistry {
    async fn register(
        &self,
        subject: &str,
        schema: &str,
        _normalize: bool,
    ) -> Result<i32, RegistryError> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let existing = st
            .schemas
            .iter()
            .position(|s| s == schema)
            .map(|i| i as i32 + 1);
        let id = match existing {
            Some(id) => id,
            None => {
                st.schemas.push(schema.to_string());
                st.schemas.len() as i32
            }
        };
        let versions = st.subjects.entry(subject.to_string()).or_default();
        if !versions.contains(&id) {
            versions.push(id);
        }
        Ok(id)
    }
    async fn lookup(
        &self,
        subject: &str,
        schema: &str,
        _deleted: bool,
    ) -> Result<SubjectSchema, RegistryError> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let versions = st
            .subjects
            .get(subject)
            .ok_or_else(|| not_found(40401, "Subject not found."))?;
        for (i, id) in versions.iter().enumerate() {
            if st.schemas[*id as usize - 1] == schema {
                return Ok(SubjectSchema {
                    id: *id,
                    version: i as i32 + 1,
                    schema: schema.to_string(),
                });
            }
        }
        Err(not_found(40403, "Schema not found"))
    }
    async fn schema_by_id(&self, id: i32, _subject: Option<&str>) -> Result<String, RegistryError> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| st.schemas.get(i))
            .cloned()
            .ok_or_else(|| not_found(40403, "Schema not found"))
    }
    async fn latest(&self, subject: &str) -> Result<SubjectSchema, RegistryError> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let versions = st
            .subjects
            .get(subject)
            .ok_or_else(|| not_found(40401, "Subject not found."))?;
        let id = *versions
            .last()
            .ok_or_else(|| not_found(40402, "Version not found."))?;
        Ok(SubjectSchema {
            id,
            version: versions.len() as i32,
            schema: st.schemas[id as usize - 1].clone(),
        })
    }
}
