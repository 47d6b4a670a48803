//! The converter's configuration (Java `AvroConverterConfig`, `AbstractKafkaSchemaSerDeConfig`,
//! `SchemaRegistryClientConfig`, `AvroDataConfig`), read from the `key.converter.` /
//! `value.converter.` properties with the prefix stripped.

use std::collections::BTreeMap;
use std::time::Duration;

use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::data::AvroDataConfig;
use crate::subject::SubjectNameStrategy;

pub const SCHEMA_REGISTRY_URL_CONFIG: &str = "schema.registry.url";
pub const AUTO_REGISTER_SCHEMAS: &str = "auto.register.schemas";
pub const USE_LATEST_VERSION: &str = "use.latest.version";
pub const LATEST_COMPATIBILITY_STRICT: &str = "latest.compatibility.strict";
pub const USE_SCHEMA_ID: &str = "use.schema.id";
pub const NORMALIZE_SCHEMAS: &str = "normalize.schemas";
pub const KEY_SUBJECT_NAME_STRATEGY: &str = "key.subject.name.strategy";
pub const VALUE_SUBJECT_NAME_STRATEGY: &str = "value.subject.name.strategy";
pub const BASIC_AUTH_CREDENTIALS_SOURCE: &str = "basic.auth.credentials.source";
pub const USER_INFO_CONFIG: &str = "basic.auth.user.info";
pub const SCHEMA_REGISTRY_USER_INFO_CONFIG: &str = "schema.registry.basic.auth.user.info";
pub const BEARER_AUTH_CREDENTIALS_SOURCE: &str = "bearer.auth.credentials.source";
pub const BEARER_AUTH_TOKEN_CONFIG: &str = "bearer.auth.token";
pub const MAX_SCHEMAS_PER_SUBJECT: &str = "max.schemas.per.subject";
pub const HTTP_CONNECT_TIMEOUT_MS: &str = "http.connect.timeout.ms";
pub const HTTP_READ_TIMEOUT_MS: &str = "http.read.timeout.ms";
pub const MAX_RETRIES: &str = "max.retries";
pub const RETRIES_WAIT_MS: &str = "retries.wait.ms";
pub const RETRIES_MAX_WAIT_MS: &str = "retries.max.wait.ms";
pub const PROXY_HOST: &str = "proxy.host";
pub const PROXY_PORT: &str = "proxy.port";
pub const REQUEST_HEADER_PREFIX: &str = "request.header.";
pub const SSL_PREFIX: &str = "schema.registry.ssl.";
pub const CONNECT_META_DATA: &str = "connect.meta.data";
pub const ENHANCED_AVRO_SCHEMA_SUPPORT: &str = "enhanced.avro.schema.support";
pub const SCRUB_INVALID_NAMES: &str = "scrub.invalid.names";
pub const SCHEMAS_CACHE_CONFIG: &str = "schemas.cache.config";
pub const ALLOW_OPTIONAL_MAP_KEYS: &str = "allow.optional.map.keys";
pub const DISCARD_TYPE_DOC_DEFAULT: &str = "discard.type.doc.default";

/// How the client authenticates to the registry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    #[default]
    None,
    /// HTTP Basic with `user:password`.
    Basic { user: String, password: String },
    /// `Authorization: Bearer <token>` (`bearer.auth.credentials.source=STATIC_TOKEN`).
    Bearer(String),
}

/// TLS settings for `https://` registries (`schema.registry.ssl.*`). Certificates are PEM:
/// `ssl.truststore.type=PEM` with a file (`ssl.truststore.location`) or inline text
/// (`ssl.truststore.certificates`), and `ssl.keystore.type=PEM` with
/// `ssl.keystore.location` (certificate chain and key in one file) or
/// `ssl.keystore.certificate.chain` + `ssl.keystore.key`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsConfig {
    /// Extra trusted CA certificates (PEM).
    pub ca_pem: Option<Vec<u8>>,
    /// Client certificate chain followed by its private key (PEM).
    pub identity_pem: Option<Vec<u8>>,
    /// `ssl.endpoint.identification.algorithm` set to empty: no host name check.
    pub skip_hostname_verification: bool,
}

/// The parsed converter configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct AvroConverterConfig {
    pub urls: Vec<String>,
    pub auto_register_schemas: bool,
    pub use_latest_version: bool,
    pub latest_compatibility_strict: bool,
    pub use_schema_id: i32,
    pub normalize_schemas: bool,
    pub key_subject_name_strategy: SubjectNameStrategy,
    pub value_subject_name_strategy: SubjectNameStrategy,
    pub auth: Auth,
    pub tls: TlsConfig,
    pub max_schemas_per_subject: usize,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub max_retries: u32,
    pub retries_wait: Duration,
    pub retries_max_wait: Duration,
    pub proxy: Option<(String, u16)>,
    pub request_headers: BTreeMap<String, String>,
    pub data: AvroDataConfig,
}

fn get<'a>(props: &'a Props, key: &str) -> Option<&'a str> {
    props.get(key).map(|s| s.trim())
}

fn boolean(props: &Props, key: &str, default: bool) -> ConnectResult<bool> {
    match get(props, key) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ConnectError::config(format!(
            "Invalid value {v} for configuration {key}: Expected value to be either true or false"
        ))),
    }
}

fn int(props: &Props, key: &str, default: i64, min: i64) -> ConnectResult<i64> {
    match get(props, key) {
        None => Ok(default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= min => Ok(n),
            Ok(n) => Err(ConnectError::config(format!(
                "Invalid value {n} for configuration {key}: Value must be at least {min}"
            ))),
            Err(_) => Err(ConnectError::config(format!(
                "Invalid value {v} for configuration {key}: Not a number of type INT"
            ))),
        },
    }
}

fn read_file(key: &str, path: &str) -> ConnectResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        ConnectError::config(format!(
            "Invalid value {path} for configuration {key}: cannot read the file: {e}"
        ))
    })
}

impl AvroConverterConfig {
    /// Parses and checks the properties; every error names its key.
    ///
    /// ```
    /// use rconnect_avro::AvroConverterConfig;
    /// let props = [("schema.registry.url".to_string(), "http://a:8081, http://b:8081".to_string())].into();
    /// let c = AvroConverterConfig::parse(&props).unwrap();
    /// assert_eq!(c.urls, ["http://a:8081", "http://b:8081"]);
    /// assert!(c.auto_register_schemas);
    /// ```
    pub fn parse(props: &Props) -> ConnectResult<Self> {
        let urls: Vec<String> = get(props, SCHEMA_REGISTRY_URL_CONFIG)
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if urls.is_empty() {
            return Err(ConnectError::config(format!(
                "Missing required configuration \"{SCHEMA_REGISTRY_URL_CONFIG}\" which has no default value."
            )));
        }
        let mock = urls.iter().any(|u| u.starts_with("mock://"));
        if mock && urls.len() > 1 {
            return Err(ConnectError::config(format!(
                "Invalid value {} for configuration {SCHEMA_REGISTRY_URL_CONFIG}: a mock:// URL cannot be mixed with others",
                urls.join(",")
            )));
        }
        for u in &urls {
            if !(u.starts_with("http://") || u.starts_with("https://") || u.starts_with("mock://"))
            {
                return Err(ConnectError::config(format!(
                    "Invalid value {u} for configuration {SCHEMA_REGISTRY_URL_CONFIG}: expected an http://, https:// or mock:// URL"
                )));
            }
        }
        let strategy = |key: &str| -> ConnectResult<SubjectNameStrategy> {
            match get(props, key) {
                None | Some("") => Ok(SubjectNameStrategy::TopicName),
                Some(v) => SubjectNameStrategy::from_class(v).ok_or_else(|| {
                    ConnectError::config(format!(
                        "Invalid value {v} for configuration {key}: Class {v} could not be found. Known: io.confluent.kafka.serializers.subject.TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy"
                    ))
                }),
            }
        };
        let auth = Self::parse_auth(props, &urls)?;
        let tls = Self::parse_tls(props)?;
        let proxy = match (get(props, PROXY_HOST), int(props, PROXY_PORT, -1, -1)?) {
            (None | Some(""), _) => None,
            (Some(h), p) if p > 0 && p < 65536 => Some((h.to_string(), p as u16)),
            (Some(_), p) => {
                return Err(ConnectError::config(format!(
                    "Invalid value {p} for configuration {PROXY_PORT}: a proxy.host needs a port between 1 and 65535"
                )))
            }
        };
        let request_headers = props
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(REQUEST_HEADER_PREFIX)
                    .map(|h| (h.to_string(), v.clone()))
            })
            .collect();
        let ms = |key: &str, default: i64| -> ConnectResult<Duration> {
            Ok(Duration::from_millis(int(props, key, default, 0)? as u64))
        };
        Ok(AvroConverterConfig {
            urls,
            auto_register_schemas: boolean(props, AUTO_REGISTER_SCHEMAS, true)?,
            use_latest_version: boolean(props, USE_LATEST_VERSION, false)?,
            latest_compatibility_strict: boolean(props, LATEST_COMPATIBILITY_STRICT, true)?,
            use_schema_id: int(props, USE_SCHEMA_ID, -1, -1)? as i32,
            normalize_schemas: boolean(props, NORMALIZE_SCHEMAS, false)?,
            key_subject_name_strategy: strategy(KEY_SUBJECT_NAME_STRATEGY)?,
            value_subject_name_strategy: strategy(VALUE_SUBJECT_NAME_STRATEGY)?,
            auth,
            tls,
            max_schemas_per_subject: int(props, MAX_SCHEMAS_PER_SUBJECT, 1000, 1)? as usize,
            connect_timeout: ms(HTTP_CONNECT_TIMEOUT_MS, 60_000)?,
            read_timeout: ms(HTTP_READ_TIMEOUT_MS, 60_000)?,
            max_retries: int(props, MAX_RETRIES, 3, 0)? as u32,
            retries_wait: ms(RETRIES_WAIT_MS, 1000)?,
            retries_max_wait: ms(RETRIES_MAX_WAIT_MS, 20_000)?,
            proxy,
            request_headers,
            data: AvroDataConfig {
                connect_meta_data: boolean(props, CONNECT_META_DATA, true)?,
                enhanced_schema_support: boolean(props, ENHANCED_AVRO_SCHEMA_SUPPORT, false)?,
                scrub_invalid_names: boolean(props, SCRUB_INVALID_NAMES, false)?,
                allow_optional_map_keys: boolean(props, ALLOW_OPTIONAL_MAP_KEYS, false)?,
                discard_type_doc_default: boolean(props, DISCARD_TYPE_DOC_DEFAULT, false)?,
                schemas_cache_size: int(props, SCHEMAS_CACHE_CONFIG, 1000, 0)? as usize,
            },
        })
    }

    fn parse_auth(props: &Props, urls: &[String]) -> ConnectResult<Auth> {
        let split = |key: &str, info: &str| -> ConnectResult<Auth> {
            match info.split_once(':') {
                Some((u, p)) => Ok(Auth::Basic {
                    user: u.to_string(),
                    password: p.to_string(),
                }),
                None => Err(ConnectError::config(format!(
                    "Invalid value for configuration {key}: expected user:password"
                ))),
            }
        };
        let basic_source = get(props, BASIC_AUTH_CREDENTIALS_SOURCE).unwrap_or("URL");
        let bearer_source = get(props, BEARER_AUTH_CREDENTIALS_SOURCE);
        if let Some(token) = get(props, BEARER_AUTH_TOKEN_CONFIG).filter(|t| !t.is_empty()) {
            return match bearer_source.unwrap_or("STATIC_TOKEN") {
                s if s.eq_ignore_ascii_case("STATIC_TOKEN") => Ok(Auth::Bearer(token.to_string())),
                other => Err(ConnectError::config(format!(
                    "Invalid value {other} for configuration {BEARER_AUTH_CREDENTIALS_SOURCE}: only STATIC_TOKEN is supported"
                ))),
            };
        }
        if let Some(s) = bearer_source.filter(|s| !s.is_empty()) {
            if !s.eq_ignore_ascii_case("STATIC_TOKEN") {
                return Err(ConnectError::config(format!(
                    "Invalid value {s} for configuration {BEARER_AUTH_CREDENTIALS_SOURCE}: only STATIC_TOKEN is supported"
                )));
            }
        }
        match basic_source.to_ascii_uppercase().as_str() {
            "USER_INFO" => {
                let (key, info) = match get(props, USER_INFO_CONFIG).filter(|s| !s.is_empty()) {
                    Some(i) => (USER_INFO_CONFIG, i),
                    None => (
                        SCHEMA_REGISTRY_USER_INFO_CONFIG,
                        get(props, SCHEMA_REGISTRY_USER_INFO_CONFIG).unwrap_or(""),
                    ),
                };
                if info.is_empty() {
                    return Err(ConnectError::config(format!(
                        "{BASIC_AUTH_CREDENTIALS_SOURCE}=USER_INFO needs {USER_INFO_CONFIG} (user:password)"
                    )));
                }
                split(key, info)
            }
            "URL" => {
                // `http://user:password@host:port`: credentials of the first URL that has any.
                for u in urls {
                    if let Some(rest) = u.split_once("://").map(|(_, r)| r) {
                        let authority = rest.split('/').next().unwrap_or("");
                        if let Some((info, _)) = authority.rsplit_once('@') {
                            return split(SCHEMA_REGISTRY_URL_CONFIG, info);
                        }
                    }
                }
                Ok(Auth::None)
            }
            other => Err(ConnectError::config(format!(
                "Invalid value {other} for configuration {BASIC_AUTH_CREDENTIALS_SOURCE}: expected URL or USER_INFO (SASL_INHERIT is not supported)"
            ))),
        }
    }

    fn parse_tls(props: &Props) -> ConnectResult<TlsConfig> {
        let key = |k: &str| format!("{SSL_PREFIX}{k}");
        let mut tls = TlsConfig::default();
        let ts_type = get(props, &key("truststore.type"))
            .unwrap_or("JKS")
            .to_ascii_uppercase();
        let ts_loc = get(props, &key("truststore.location")).filter(|s| !s.is_empty());
        let ts_certs = get(props, &key("truststore.certificates")).filter(|s| !s.is_empty());
        if let Some(c) = ts_certs {
            tls.ca_pem = Some(c.as_bytes().to_vec());
        } else if let Some(loc) = ts_loc {
            if ts_type != "PEM" {
                return Err(ConnectError::config(format!(
                    "Invalid value {ts_type} for configuration {}: rconnect reads PEM trust stores only; convert the {ts_type} store with `keytool -exportcert -rfc` and set {}=PEM",
                    key("truststore.type"),
                    key("truststore.type")
                )));
            }
            tls.ca_pem = Some(read_file(&key("truststore.location"), loc)?);
        }
        let ks_type = get(props, &key("keystore.type"))
            .unwrap_or("JKS")
            .to_ascii_uppercase();
        let ks_loc = get(props, &key("keystore.location")).filter(|s| !s.is_empty());
        let chain = get(props, &key("keystore.certificate.chain")).filter(|s| !s.is_empty());
        let pkey = get(props, &key("keystore.key")).filter(|s| !s.is_empty());
        match (chain, pkey) {
            (Some(c), Some(k)) => tls.identity_pem = Some(format!("{c}\n{k}\n").into_bytes()),
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConnectError::config(format!(
                    "{} and {} must be set together",
                    key("keystore.certificate.chain"),
                    key("keystore.key")
                )))
            }
            (None, None) => {
                if let Some(loc) = ks_loc {
                    if ks_type != "PEM" {
                        return Err(ConnectError::config(format!(
                            "Invalid value {ks_type} for configuration {}: rconnect reads PEM key stores only (certificate chain and private key in one file); set {}=PEM",
                            key("keystore.type"),
                            key("keystore.type")
                        )));
                    }
                    tls.identity_pem = Some(read_file(&key("keystore.location"), loc)?);
                }
            }
        }
        if let Some(alg) = props.get(&key("endpoint.identification.algorithm")) {
            tls.skip_hostname_verification = alg.trim().is_empty();
        }
        Ok(tls)
    }

    /// The strategy for keys or values.
    pub fn subject_strategy(&self, is_key: bool) -> SubjectNameStrategy {
        if is_key {
            self.key_subject_name_strategy
        } else {
            self.value_subject_name_strategy
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> Props {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn errors_name_their_keys() {
        let e = AvroConverterConfig::parse(&props(&[])).unwrap_err();
        assert!(e.to_string().contains("schema.registry.url"), "{e}");
        let e = AvroConverterConfig::parse(&props(&[
            ("schema.registry.url", "http://x"),
            ("auto.register.schemas", "yes"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("auto.register.schemas"), "{e}");
        let e = AvroConverterConfig::parse(&props(&[
            ("schema.registry.url", "http://x"),
            ("value.subject.name.strategy", "com.Foo"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("value.subject.name.strategy"), "{e}");
        let e = AvroConverterConfig::parse(&props(&[
            ("schema.registry.url", "https://x"),
            ("schema.registry.ssl.truststore.location", "/x.jks"),
        ]))
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("schema.registry.ssl.truststore.type"),
            "{e}"
        );
    }

    #[test]
    fn credentials_from_user_info_or_url() {
        let c = AvroConverterConfig::parse(&props(&[
            ("schema.registry.url", "http://x"),
            ("basic.auth.credentials.source", "USER_INFO"),
            ("schema.registry.basic.auth.user.info", "u:p:q"),
        ]))
        .unwrap();
        assert_eq!(
            c.auth,
            Auth::Basic {
                user: "u".into(),
                password: "p:q".into()
            }
        );
        let c = AvroConverterConfig::parse(&props(&[("schema.registry.url", "http://a:b@x:1/")]))
            .unwrap();
        assert_eq!(
            c.auth,
            Auth::Basic {
                user: "a".into(),
                password: "b".into()
            }
        );
        let c = AvroConverterConfig::parse(&props(&[
            ("schema.registry.url", "http://x"),
            ("bearer.auth.token", "T"),
        ]))
        .unwrap();
        assert_eq!(c.auth, Auth::Bearer("T".into()));
        let c = AvroConverterConfig::parse(&props(&[
            ("schema.registry.url", "http://x"),
            (
                "value.subject.name.strategy",
                "io.confluent.kafka.serializers.subject.RecordNameStrategy",
            ),
        ]))
        .unwrap();
        assert_eq!(c.subject_strategy(false), SubjectNameStrategy::RecordName);
        assert_eq!(c.subject_strategy(true), SubjectNameStrategy::TopicName);
    }
}
