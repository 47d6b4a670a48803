//! The worker configuration (Java `WorkerConfig`, `StandaloneConfig`, `DistributedConfig`,
//! `RestServerConfig`), REST listeners, the advertised URL and worker id, and the layering
//! of Kafka client configs for connectors (worker.md §3 and §4).

use crate::java::{case_insensitive_valid_string, config_exception};
use crate::providers::{ConfigProviders, Resolved, Secrets};
use crate::ConfigError;
use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, ParsedConfig, Validator,
};
use rconnect_sdk::Props;
use std::sync::Arc;

pub const BOOTSTRAP_SERVERS_CONFIG: &str = "bootstrap.servers";
pub const BOOTSTRAP_SERVERS_DEFAULT: &str = "localhost:9092";
pub const KEY_CONVERTER_CLASS_CONFIG: &str = "key.converter";
pub const VALUE_CONVERTER_CLASS_CONFIG: &str = "value.converter";
pub const HEADER_CONVERTER_CLASS_CONFIG: &str = "header.converter";
pub const HEADER_CONVERTER_CLASS_DEFAULT: &str =
    "org.apache.kafka.connect.storage.SimpleHeaderConverter";
pub const TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS_CONFIG: &str = "task.shutdown.graceful.timeout.ms";
/// rconnect-only: idle REST connections are closed after this long (Jetty's idle timeout).
pub const REST_IDLE_TIMEOUT_MS_CONFIG: &str = "rconnect.rest.idle.timeout.ms";
/// rconnect-only: the longest a REST client may take to send a request's headers.
pub const REST_HEADER_READ_TIMEOUT_MS_CONFIG: &str = "rconnect.rest.header.read.timeout.ms";
/// rconnect-only: the most REST connections served at once.
pub const REST_MAX_CONNECTIONS_CONFIG: &str = "rconnect.rest.max.connections";
pub const OFFSET_COMMIT_INTERVAL_MS_CONFIG: &str = "offset.flush.interval.ms";
pub const OFFSET_COMMIT_TIMEOUT_MS_CONFIG: &str = "offset.flush.timeout.ms";
pub const PLUGIN_PATH_CONFIG: &str = "plugin.path";
pub const LISTENERS_CONFIG: &str = "listeners";
pub const LISTENERS_DEFAULT: &str = "http://:8083";
pub const ADMIN_LISTENERS_CONFIG: &str = "admin.listeners";
pub const REST_ADVERTISED_HOST_NAME_CONFIG: &str = "rest.advertised.host.name";
pub const REST_ADVERTISED_PORT_CONFIG: &str = "rest.advertised.port";
pub const REST_ADVERTISED_LISTENER_CONFIG: &str = "rest.advertised.listener";
pub const OFFSET_STORAGE_FILE_FILENAME_CONFIG: &str = "offset.storage.file.filename";
pub const TOPIC_CREATION_ENABLE_CONFIG: &str = "topic.creation.enable";
pub const CONNECTOR_CLIENT_POLICY_CLASS_CONFIG: &str = "connector.client.config.override.policy";
pub const GROUP_ID_CONFIG: &str = "group.id";
pub const CONFIG_TOPIC_CONFIG: &str = "config.storage.topic";
pub const OFFSET_STORAGE_TOPIC_CONFIG: &str = "offset.storage.topic";
pub const STATUS_STORAGE_TOPIC_CONFIG: &str = "status.storage.topic";
pub const CONNECT_PROTOCOL_CONFIG: &str = "connect.protocol";
/// rconnect's own key (Java has no built-in connectors to disable: it loads FileStream only
/// from `plugin.path` since 3.2, KAFKA-13748): built-in connectors this worker must not offer.
pub const BUILTIN_CONNECTORS_EXCLUDE_CONFIG: &str = "rconnect.builtin.connectors.exclude";
pub const AUTO_RESTART_ENABLE_CONFIG: &str = "rconnect.auto.restart.enable";
pub const METRICS_LISTENER_CONFIG: &str = "rconnect.metrics.listener";
pub const AUTO_RESTART_INITIAL_BACKOFF_MS_CONFIG: &str = "rconnect.auto.restart.initial.backoff.ms";
pub const AUTO_RESTART_MAX_BACKOFF_MS_CONFIG: &str = "rconnect.auto.restart.max.backoff.ms";
pub const AUTO_RESTART_MAX_ATTEMPTS_CONFIG: &str = "rconnect.auto.restart.max.attempts";
/// rconnect's equivalent of Java's `-Djava.security.auth.login.config` for the REST basic
/// authentication extension: the JAAS file with the `KafkaConnect` entry.
pub const REST_AUTH_JAAS_CONFIG: &str = "rconnect.rest.auth.jaas.config";

/// MAC algorithms rconnect implements for inter-worker request signing. Java accepts
/// whatever its JVM offers; these are the ones every JVM ships and the runtime signs with.
pub const SUPPORTED_MAC_ALGORITHMS: &[&str] = &["HmacSHA256", "HmacSHA384", "HmacSHA512"];

/// Which kind of worker a configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerMode {
    Standalone,
    Distributed,
}

/// `connect.protocol` (case-insensitive in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectProtocol {
    Eager,
    Compatible,
    Sessioned,
}

impl ConnectProtocol {
    /// The lower-case protocol name used in the group join (`eager`, `compatible`, `sessioned`).
    pub fn name(self) -> &'static str {
        match self {
            ConnectProtocol::Eager => "eager",
            ConnectProtocol::Compatible => "compatible",
            ConnectProtocol::Sessioned => "sessioned",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "eager" => Some(ConnectProtocol::Eager),
            "compatible" => Some(ConnectProtocol::Compatible),
            "sessioned" => Some(ConnectProtocol::Sessioned),
            _ => None,
        }
    }
}

/// `exactly.once.source.support`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactlyOnceSourceSupport {
    Disabled,
    Preparing,
    Enabled,
}

/// `connector.client.config.override.policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverridePolicy {
    /// Any `*.override.*` key is allowed.
    All,
    /// No `*.override.*` key is allowed.
    None,
    /// Only `sasl.jaas.config`, `sasl.mechanism` and `security.protocol`.
    Principal,
}

impl OverridePolicy {
    fn parse(s: &str) -> Option<Self> {
        let simple = s.rsplit('.').next().unwrap_or(s);
        let base = simple
            .strip_suffix("ConnectorClientConfigOverridePolicy")
            .unwrap_or(simple);
        let qualified =
            !s.contains('.') || s.starts_with("org.apache.kafka.connect.connector.policy.");
        match (base, qualified) {
            ("All", true) => Some(OverridePolicy::All),
            ("None", true) => Some(OverridePolicy::None),
            ("Principal", true) => Some(OverridePolicy::Principal),
            _ => None,
        }
    }
    /// The name Java shows in policy violation messages (`All`, `None`, `Principal`).
    pub fn name(self) -> &'static str {
        match self {
            OverridePolicy::All => "All",
            OverridePolicy::None => "None",
            OverridePolicy::Principal => "Principal",
        }
    }
}

/// One REST listener, from `listeners` or `admin.listeners`
/// (`protocol://host:port`, Java's pattern `^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// Lower-cased protocol; anything but `https` is served as plain HTTP, as Java does.
    pub protocol: String,
    /// The host without IPv6 brackets; empty means all interfaces.
    pub host: String,
    /// The port; 0 asks the OS for a free port.
    pub port: u16,
}

impl Listener {
    /// Parses one listener URL; the error text is the reason only (the caller names the key).
    pub fn parse(s: &str) -> Result<Listener, String> {
        let bad =
            || "Listener doesn't have the right format (protocol://hostname:port).".to_string();
        let s = s.trim();
        let sep = s.find("://").ok_or_else(bad)?;
        let protocol = s[..sep].to_ascii_lowercase();
        let rest = &s[sep + 3..];
        let (host, after_host) = if let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']').ok_or_else(bad)?;
            (&inner[..close], &inner[close + 1..])
        } else {
            let colon = rest.rfind(':').ok_or_else(bad)?;
            (&rest[..colon], &rest[colon..])
        };
        let valid_host = host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-%._:".contains(c));
        if !valid_host {
            return Err(bad());
        }
        let port_str = after_host.strip_prefix(':').ok_or_else(bad)?;
        let digits_end = port_str
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(port_str.len());
        let (digits, tail) = port_str.split_at(digits_end);
        // Java ignores anything after the port; only a path is tolerated here, so typos
        // such as `http://h:80x` are reported instead of silently bound.
        if digits.is_empty() || !(tail.is_empty() || tail.starts_with('/')) {
            return Err(bad());
        }
        let port: u16 = digits
            .parse()
            .map_err(|_| format!("Invalid port {digits} in listener {s}"))?;
        Ok(Listener {
            protocol,
            host: host.to_string(),
            port,
        })
    }

    /// Whether this listener serves HTTPS.
    pub fn is_https(&self) -> bool {
        self.protocol == "https"
    }

    /// Whether the listener binds every interface (empty host).
    pub fn is_all_interfaces(&self) -> bool {
        self.host.is_empty()
    }
}

/// What this worker tells other workers and writes in status records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestAdvertisement {
    /// `http` or `https`.
    pub protocol: String,
    /// The advertised host as it appears in a URL (IPv6 literals in brackets).
    pub host: String,
    pub port: u16,
    /// `<protocol>://<host>:<port>/`, with the trailing slash Java's URI has.
    pub url: String,
    /// `<host>:<port>`, the worker id used in status records.
    pub worker_id: String,
}

/// The distributed-only settings (worker.md §3.3).
#[derive(Debug, Clone, PartialEq)]
pub struct DistributedSettings {
    pub group_id: String,
    pub config_storage_topic: String,
    pub config_storage_replication_factor: i16,
    pub offset_storage_topic: String,
    pub offset_storage_partitions: i32,
    pub offset_storage_replication_factor: i16,
    pub status_storage_topic: String,
    pub status_storage_partitions: i32,
    pub status_storage_replication_factor: i16,
    pub session_timeout_ms: i32,
    pub heartbeat_interval_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub worker_sync_timeout_ms: i32,
    pub worker_unsync_backoff_ms: i32,
    pub connect_protocol: ConnectProtocol,
    pub scheduled_rebalance_max_delay_ms: i32,
    pub exactly_once_source_support: ExactlyOnceSourceSupport,
    pub inter_worker_key_generation_algorithm: String,
    /// `None` = the algorithm's default size.
    pub inter_worker_key_size: Option<i32>,
    pub inter_worker_key_ttl_ms: i32,
    pub inter_worker_signature_algorithm: String,
    pub inter_worker_verification_algorithms: Vec<String>,
    /// `client.id`; empty means `connect-<workerId>` for the group member.
    pub client_id: String,
    pub metadata_max_age_ms: i64,
    pub request_timeout_ms: i32,
    pub retry_backoff_ms: i64,
    pub reconnect_backoff_ms: i64,
    pub reconnect_backoff_max_ms: i64,
    pub security_protocol: String,
}

impl DistributedSettings {
    /// The prefix of internal-topic client ids: `<group.id>-` or `<group.id>-<client.id>-`.
    pub fn internal_client_id_base(&self) -> String {
        if self.client_id.is_empty() {
            format!("{}-", self.group_id)
        } else {
            format!("{}-{}-", self.group_id, self.client_id)
        }
    }
}

/// A parsed worker configuration. Every original key is kept (unknown ones too, as Java
/// does), so prefixed settings (`producer.*`, `key.converter.*`, ...) reach their targets.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub mode: WorkerMode,
    originals: Props,
    /// The declared `config.providers`, for connector configs (resolved where they run).
    pub providers: ConfigProviders,
    /// What the providers resolved in the worker's own values, to redact text with.
    pub provider_secrets: Secrets,
    parsed: ParsedConfig,
    pub bootstrap_servers: Vec<String>,
    pub key_converter: String,
    pub value_converter: String,
    pub header_converter: String,
    pub task_shutdown_graceful_timeout_ms: i64,
    pub offset_flush_interval_ms: i64,
    pub offset_flush_timeout_ms: i64,
    /// `plugin.path`; `None` when unset.
    pub plugin_path: Option<Vec<String>>,
    pub listeners: Vec<Listener>,
    /// `admin.listeners`: `None` = admin endpoints on the main listeners; `Some([])` =
    /// admin endpoints disabled.
    pub admin_listeners: Option<Vec<Listener>>,
    pub rest_advertised_host_name: Option<String>,
    pub rest_advertised_port: Option<u16>,
    pub rest_advertised_listener: Option<String>,
    pub access_control_allow_origin: String,
    pub access_control_allow_methods: String,
    /// `rconnect.rest.idle.timeout.ms`.
    pub rest_idle_timeout_ms: i64,
    /// `rconnect.rest.header.read.timeout.ms`.
    pub rest_header_read_timeout_ms: i64,
    /// `rconnect.rest.max.connections`, before the open-file limit is applied.
    pub rest_max_connections: i32,
    pub topic_creation_enable: bool,
    pub topic_tracking_enable: bool,
    pub topic_tracking_allow_reset: bool,
    pub connector_client_config_override_policy: OverridePolicy,
    /// `offset.storage.file.filename` (standalone only).
    pub offset_storage_file_filename: Option<String>,
    /// Distributed-only settings.
    pub distributed: Option<DistributedSettings>,
    /// `rconnect.builtin.connectors.exclude`: class names or aliases of built-in connectors
    /// not to offer, blanks dropped. Checked against the built-ins by the binary, which
    /// knows them.
    pub builtin_connectors_exclude: Vec<String>,
}

fn key(
    name: &str,
    t: ConfigType,
    default: Default,
    importance: Importance,
    doc: &str,
) -> ConfigKey {
    ConfigKey::new(name, t, default, importance, doc)
}

fn v(s: &str) -> Default {
    Default::Value(s.to_string())
}

/// A validator for nullable keys: `check` runs only on non-null values.
fn non_null_then(check: Validator) -> Validator {
    Validator::Custom(Arc::new(move |name: &str, value: &ConfigValue| {
        if *value == ConfigValue::Null {
            Ok(())
        } else {
            check.check(name, value)
        }
    }))
}

fn listeners_validator() -> Validator {
    Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| {
        let items = match value {
            ConfigValue::Null => return Ok(()),
            ConfigValue::List(items) => items,
            _ => return Ok(()),
        };
        if name == LISTENERS_CONFIG && items.is_empty() {
            return Err(format!(
                "Invalid value for {name}, at least one URL is expected, ex: http://localhost:8080,https://localhost:8443."
            ));
        }
        for item in items {
            if item.trim().is_empty() {
                return Err(format!("Empty URL found when parsing {name} list."));
            }
            Listener::parse(item).map_err(|reason| config_exception(name, item, &reason))?;
        }
        Ok(())
    }))
}

pub(crate) fn replication_factor_validator() -> Validator {
    Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| {
        match value {
        ConfigValue::Short(f) if *f != -1 && *f < 1 => Err(config_exception(
            name,
            &f.to_string(),
            "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default",
        )),
        _ => Ok(()),
    }
    }))
}

pub(crate) fn partitions_validator() -> Validator {
    Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| match value {
        ConfigValue::Int(p) if *p != -1 && *p < 1 => Err(config_exception(
            name,
            &p.to_string(),
            "Number of partitions must be positive, or -1 to use the broker's default",
        )),
        _ => Ok(()),
    }))
}

fn mac_algorithm_validator() -> Validator {
    Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| {
        let check = |alg: &str| {
            if SUPPORTED_MAC_ALGORITHMS.contains(&alg) {
                Ok(())
            } else {
                Err(config_exception(
                    name,
                    alg,
                    &format!(
                        "the algorithm is not supported by this worker; the supported algorithms are: {}",
                        SUPPORTED_MAC_ALGORITHMS.join(", ")
                    ),
                ))
            }
        };
        match value {
            ConfigValue::String(s) => check(s),
            ConfigValue::List(l) => {
                if l.is_empty() {
                    return Err(config_exception(
                        name,
                        "",
                        "at least one algorithm must be specified",
                    ));
                }
                l.iter().try_for_each(|a| check(a))
            }
            _ => Ok(()),
        }
    }))
}

/// The common worker keys (Java `WorkerConfig.baseConfigDef` + `RestServerConfig`).
///
/// Deviation: `task.shutdown.graceful.timeout.ms`, `offset.flush.interval.ms` and
/// `offset.flush.timeout.ms` reject negative values (Java has no validator; a negative
/// interval or timeout only breaks the worker later).
pub fn common_config_def() -> ConfigDef {
    use ConfigType as T;
    use Importance::{High, Low, Medium};
    ConfigDef::new()
        .define(
            key(BOOTSTRAP_SERVERS_CONFIG, T::List, v(BOOTSTRAP_SERVERS_DEFAULT), High, "A list of host/port pairs used to establish the initial connection to the Kafka cluster, in the form host1:port1,host2:port2,...")
                .validator(Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| match value {
                    ConfigValue::Null => Err(config_exception(name, "null", "entry must be non null")),
                    _ => Ok(()),
                }))),
        )
        .define(
            key("client.dns.lookup", T::String, v("use_all_dns_ips"), Medium, "Controls how the client uses DNS lookups.")
                .validator(Validator::ValidString(vec!["use_all_dns_ips".into(), "resolve_canonical_bootstrap_servers_only".into()])),
        )
        .define(key(KEY_CONVERTER_CLASS_CONFIG, T::Class, Default::Required, High, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the keys in messages written to or read from Kafka."))
        .define(key(VALUE_CONVERTER_CLASS_CONFIG, T::Class, Default::Required, High, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the values in messages written to or read from Kafka."))
        .define(key(HEADER_CONVERTER_CLASS_CONFIG, T::Class, v(HEADER_CONVERTER_CLASS_DEFAULT), Low, "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. By default, the SimpleHeaderConverter is used."))
        .define(key(TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS_CONFIG, T::Long, v("5000"), Low, "Amount of time to wait for tasks to shutdown gracefully. This is the total amount of time, not per task.").validator(Validator::at_least(0.0)))
        .define(key(OFFSET_COMMIT_INTERVAL_MS_CONFIG, T::Long, v("60000"), Low, "Interval at which to try committing offsets for tasks.").validator(Validator::at_least(0.0)))
        .define(key(OFFSET_COMMIT_TIMEOUT_MS_CONFIG, T::Long, v("5000"), Low, "Maximum number of milliseconds to wait for records to flush and partition offset data to be committed to offset storage before cancelling the process.").validator(Validator::at_least(0.0)))
        .define(key(PLUGIN_PATH_CONFIG, T::List, Default::Null, Low, "List of paths separated by commas (,) that contain plugins."))
        .define(key("plugin.discovery", T::String, v("hybrid_warn"), Low, "Method to use to discover plugins present in the classpath and plugin.path configuration.").validator(case_insensitive_valid_string(&["only_scan", "hybrid_warn", "hybrid_fail", "service_load"])))
        .define(key("metrics.sample.window.ms", T::Long, v("30000"), Low, "The window of time a metrics sample is computed over.").validator(Validator::at_least(0.0)))
        .define(key("metrics.num.samples", T::Int, v("2"), Low, "The number of samples maintained to compute metrics.").validator(Validator::at_least(1.0)))
        .define(key("metrics.recording.level", T::String, v("INFO"), Low, "The highest recording level for metrics.").validator(Validator::ValidString(vec!["INFO".into(), "DEBUG".into(), "TRACE".into()])))
        .define(key("metric.reporters", T::List, v("org.apache.kafka.common.metrics.JmxReporter"), Low, "A list of classes to use as metrics reporters."))
        .define(key("config.providers", T::List, v(""), Low, "Comma-separated names of ConfigProvider classes, loaded and used in the order specified."))
        .define(key(crate::providers::MAX_BYTES_CONFIG, T::Long, v("1048576"), Low, "rconnect only: the most bytes a config provider may read from one file; a larger file is an error naming the reference.").validator(Validator::at_least(1.0)))
        .define(key(crate::providers::TIMEOUT_MS_CONFIG, T::Long, v("10000"), Low, "rconnect only: how long resolving one config provider reference may take, waiting for a free provider thread included; a timed-out read is an error naming the reference.").validator(Validator::at_least(1.0)))
        .define(
            key(CONNECTOR_CLIENT_POLICY_CLASS_CONFIG, T::String, v("All"), Medium, "Class name or alias of implementation of ConnectorClientConfigOverridePolicy: All, None or Principal.")
                .validator(Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| match value {
                    ConfigValue::String(s) if OverridePolicy::parse(s).is_none() => Err(config_exception(
                        name,
                        s,
                        "Failed to find any class that implements ConnectorClientConfigOverridePolicy and which name matches it; available policies are All, None, Principal",
                    )),
                    _ => Ok(()),
                }))),
        )
        .define(key(TOPIC_CREATION_ENABLE_CONFIG, T::Boolean, v("true"), Low, "Whether to allow automatic creation of topics used by source connectors, when source connectors are configured with `topic.creation.` properties."))
        .define(key("topic.tracking.enable", T::Boolean, v("true"), Low, "Enable tracking the set of active topics per connector during runtime."))
        .define(key("topic.tracking.allow.reset", T::Boolean, v("true"), Low, "If set to true, it allows user requests to reset the set of active topics per connector."))
        .define(key(LISTENERS_CONFIG, T::List, v(LISTENERS_DEFAULT), Low, "List of comma-separated URIs the REST API will listen on. The supported protocols are HTTP and HTTPS. Leave hostname empty to bind to all interfaces.").validator(listeners_validator()))
        .define(key(ADMIN_LISTENERS_CONFIG, T::List, Default::Null, Low, "List of comma-separated URIs the Admin REST API will listen on. An empty value disables the admin endpoints.").validator(listeners_validator()))
        .define(key(REST_ADVERTISED_HOST_NAME_CONFIG, T::String, Default::Null, Low, "If this is set, this is the hostname that will be given out to other workers to connect to."))
        .define(key(REST_ADVERTISED_PORT_CONFIG, T::Int, Default::Null, Low, "If this is set, this is the port that will be given out to other workers to connect to.").validator(non_null_then(Validator::between(0.0, 65535.0))))
        .define(key(REST_ADVERTISED_LISTENER_CONFIG, T::String, Default::Null, Low, "Sets the advertised listener (HTTP or HTTPS) which will be given to other workers to use."))
        .define(key("access.control.allow.origin", T::String, v(""), Low, "Value to set the Access-Control-Allow-Origin header to for REST API requests."))
        .define(key("access.control.allow.methods", T::String, v(""), Low, "Sets the methods supported for cross origin requests by setting the Access-Control-Allow-Methods header."))
        .define(key("response.http.headers.config", T::String, v(""), Low, "Rules for REST API HTTP response headers."))
        .define(key("rest.extension.classes", T::List, v(""), Low, "Comma-separated names of ConnectRestExtension classes."))
        .define(key("ssl.client.auth", T::String, v("none"), Low, "Whether HTTPS listeners request or require client authentication: required, requested or none."))
        // rconnect's own REST connection limits (Java's Jetty has a fixed 30 s idle timeout and
        // no cap); see `docs/standalone.md`.
        .define(key(REST_IDLE_TIMEOUT_MS_CONFIG, T::Long, v("30000"), Low, "How long a REST connection may stay open with no request in progress and no I/O before the server closes it. A request that is being handled is never cut by it.").validator(Validator::at_least(1.0)))
        .define(key(REST_HEADER_READ_TIMEOUT_MS_CONFIG, T::Long, v("10000"), Low, "How long a REST client may take to send a request's headers, from their first byte; a slower client is disconnected.").validator(Validator::at_least(1.0)))
        .define(key(REST_MAX_CONNECTIONS_CONFIG, T::Int, v("1024"), Low, "The most REST connections served at once (over all listeners); further connections wait in the listen backlog. Lowered to a quarter of the open-file limit when that is smaller.").validator(Validator::at_least(1.0)))
        .define(key(REST_AUTH_JAAS_CONFIG, T::String, Default::Null, Low, "rconnect only: the JAAS file whose KafkaConnect entry BasicAuthSecurityRestExtension logs REST users in with (Java's -Djava.security.auth.login.config, which rconnect also reads from KAFKA_OPTS)."))
        .define(key(BUILTIN_CONNECTORS_EXCLUDE_CONFIG, T::List, v(""), Low, "Comma-separated class names or aliases of built-in connectors (FileStreamSource, FileStreamSink) this worker does not offer. An unknown name stops the worker at start-up."))
        .define(key(METRICS_LISTENER_CONFIG, T::String, v(""), Low, "A listener (http://host:port) serving only GET /metrics, for scrapers that should not reach the REST API; empty for none. /metrics is served on the REST listeners either way."))
        .define(key(AUTO_RESTART_ENABLE_CONFIG, T::Boolean, v("false"), Low, "Whether this worker restarts its FAILED connectors and tasks by itself, with exponential back-off (not in Java; Strimzi's auto-restart is the model)."))
        .define(key(AUTO_RESTART_INITIAL_BACKOFF_MS_CONFIG, T::Long, v("5000"), Low, "How long a FAILED connector or task stays failed before its first automatic restart; each further restart waits twice as long, up to rconnect.auto.restart.max.backoff.ms.").validator(Validator::at_least(1.0)))
        .define(key(AUTO_RESTART_MAX_BACKOFF_MS_CONFIG, T::Long, v("300000"), Low, "The longest wait before an automatic restart. A connector or task that stays RUNNING this long starts again from the initial back-off.").validator(Validator::at_least(1.0)))
        .define(key(AUTO_RESTART_MAX_ATTEMPTS_CONFIG, T::Int, v("10"), Low, "Automatic restarts of one connector or task in a row before it is left FAILED; -1 for no limit.").validator(Validator::at_least(-1.0)))
}

/// The standalone worker keys: the common keys plus `offset.storage.file.filename`.
pub fn standalone_config_def() -> ConfigDef {
    common_config_def().define(key(
        OFFSET_STORAGE_FILE_FILENAME_CONFIG,
        ConfigType::String,
        Default::Required,
        Importance::High,
        "File to store source connector offsets",
    ))
}

/// The distributed worker keys (Java `DistributedConfig`).
pub fn distributed_config_def() -> ConfigDef {
    use ConfigType as T;
    use Importance::{High, Low, Medium};
    common_config_def()
        .define(key(GROUP_ID_CONFIG, T::String, Default::Required, High, "A unique string that identifies the Connect cluster group this worker belongs to."))
        .define(key("session.timeout.ms", T::Int, v("10000"), High, "The timeout used to detect worker failures."))
        .define(key("heartbeat.interval.ms", T::Int, v("3000"), High, "The expected time between heartbeats to the group coordinator."))
        .define(key("rebalance.timeout.ms", T::Int, v("60000"), High, "The maximum allowed time for each worker to join the group once a rebalance has begun."))
        .define(key(CONFIG_TOPIC_CONFIG, T::String, Default::Required, High, "The name of the Kafka topic where connector configurations are stored"))
        .define(key("config.storage.replication.factor", T::Short, v("3"), Low, "Replication factor used when creating the configuration storage topic").validator(replication_factor_validator()))
        .define(key(OFFSET_STORAGE_TOPIC_CONFIG, T::String, Default::Required, High, "The name of the Kafka topic where source connector offsets are stored"))
        .define(key("offset.storage.partitions", T::Int, v("25"), Low, "The number of partitions used when creating the offset storage topic").validator(partitions_validator()))
        .define(key("offset.storage.replication.factor", T::Short, v("3"), Low, "Replication factor used when creating the offset storage topic").validator(replication_factor_validator()))
        .define(key(STATUS_STORAGE_TOPIC_CONFIG, T::String, Default::Required, High, "The name of the Kafka topic where connector and task status are stored"))
        .define(key("status.storage.partitions", T::Int, v("5"), Low, "The number of partitions used when creating the status storage topic").validator(partitions_validator()))
        .define(key("status.storage.replication.factor", T::Short, v("3"), Low, "Replication factor used when creating the status storage topic").validator(replication_factor_validator()))
        .define(key("worker.sync.timeout.ms", T::Int, v("3000"), Medium, "When the worker is out of sync with other workers and needs to resynchronize configurations, wait up to this amount of time before giving up."))
        .define(key("worker.unsync.backoff.ms", T::Int, v("300000"), Medium, "When the worker is out of sync with other workers and fails to catch up within worker.sync.timeout.ms, leave the Connect cluster for this long before rejoining."))
        .define(
            key(CONNECT_PROTOCOL_CONFIG, T::String, v("sessioned"), Low, "Compatibility mode for Kafka Connect Protocol")
                .validator(Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| match value {
                    ConfigValue::String(s) if ConnectProtocol::parse(s).is_none() => {
                        Err(config_exception(name, s, "Invalid Connect protocol compatibility"))
                    }
                    _ => Ok(()),
                }))),
        )
        .define(key("scheduled.rebalance.max.delay.ms", T::Int, v("300000"), Low, "The maximum delay that is scheduled in order to wait for the return of one or more departed workers before rebalancing and reassigning their connectors and tasks to the group.").validator(Validator::between(0.0, i32::MAX as f64)))
        .define(key("exactly.once.source.support", T::String, v("disabled"), High, "Whether to enable exactly-once support for source connectors in the cluster by using transactions to write source records and their source offsets, and by proactively fencing out old task generations before bringing up new ones.").validator(case_insensitive_valid_string(&["disabled", "preparing", "enabled"])))
        .define(key("inter.worker.key.generation.algorithm", T::String, v("HmacSHA256"), Low, "The algorithm to use for generating internal request keys.").validator(mac_algorithm_validator()))
        .define(key("inter.worker.key.size", T::Int, Default::Null, Low, "The size of the key to use for signing internal requests, in bits. If null, the default key size for the key generation algorithm will be used.").validator(non_null_then(Validator::at_least(1.0))))
        .define(key("inter.worker.key.ttl.ms", T::Int, v("3600000"), Low, "The TTL of generated session keys used for internal request validation (in milliseconds)").validator(Validator::between(0.0, i32::MAX as f64)))
        .define(key("inter.worker.signature.algorithm", T::String, v("HmacSHA256"), Low, "The algorithm used to sign internal requests").validator(mac_algorithm_validator()))
        .define(key("inter.worker.verification.algorithms", T::List, v("HmacSHA256"), Low, "A list of permitted algorithms for verifying internal requests, which must include the algorithm used for the inter.worker.signature.algorithm property.").validator(mac_algorithm_validator()))
        .define(key("client.id", T::String, v(""), Low, "An id string to pass to the server when making requests."))
        .define(key("metadata.max.age.ms", T::Long, v("300000"), Low, "The period of time in milliseconds after which we force a refresh of metadata.").validator(Validator::at_least(0.0)))
        .define(key("send.buffer.bytes", T::Int, v("131072"), Medium, "The size of the TCP send buffer (SO_SNDBUF) to use when sending data.").validator(Validator::at_least(-1.0)))
        .define(key("receive.buffer.bytes", T::Int, v("32768"), Medium, "The size of the TCP receive buffer (SO_RCVBUF) to use when reading data.").validator(Validator::at_least(-1.0)))
        .define(key("reconnect.backoff.ms", T::Long, v("50"), Low, "The base amount of time to wait before attempting to reconnect to a given host.").validator(Validator::at_least(0.0)))
        .define(key("reconnect.backoff.max.ms", T::Long, v("1000"), Low, "The maximum amount of time in milliseconds to wait when reconnecting to a broker that has repeatedly failed to connect.").validator(Validator::at_least(0.0)))
        .define(key("retry.backoff.ms", T::Long, v("100"), Low, "The amount of time to wait before attempting to retry a failed request.").validator(Validator::at_least(0.0)))
        .define(key("retry.backoff.max.ms", T::Long, v("1000"), Low, "The maximum amount of time in milliseconds to wait when retrying a request that has repeatedly failed.").validator(Validator::at_least(0.0)))
        .define(key("request.timeout.ms", T::Int, v("40000"), Medium, "The maximum amount of time the client will wait for the response of a request.").validator(Validator::at_least(0.0)))
        .define(key("connections.max.idle.ms", T::Long, v("540000"), Medium, "Close idle connections after the number of milliseconds specified by this config."))
        .define(key("socket.connection.setup.timeout.ms", T::Long, v("10000"), Medium, "The amount of time the client will wait for the socket connection to be established."))
        .define(key("socket.connection.setup.timeout.max.ms", T::Long, v("30000"), Medium, "The maximum amount of time the client will wait for the socket connection to be established."))
        .define(key("security.protocol", T::String, v("PLAINTEXT"), Medium, "Protocol used to communicate with brokers.").validator(case_insensitive_valid_string(&["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"])))
        .define(key("metadata.recovery.strategy", T::String, v("none"), Low, "Controls how the client recovers when none of the brokers known to it is available.").validator(case_insensitive_valid_string(&["none", "rebootstrap"])))
}

/// Keys Java used to accept for internal converters; they are ignored with a warning.
const REMOVED_INTERNAL_CONVERTER_KEYS: &[&str] = &[
    "internal.key.converter",
    "internal.value.converter",
    "internal.key.converter.schemas.enable",
    "internal.value.converter.schemas.enable",
];

fn invalid(msg: String) -> ConfigError {
    ConfigError::Invalid(msg)
}

fn strip_prefix(props: &Props, prefix: &str) -> Props {
    props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
        .collect()
}

impl WorkerConfig {
    /// A standalone worker configuration (`connect-standalone`).
    pub fn standalone(props: Props) -> Result<WorkerConfig, ConfigError> {
        Self::build(WorkerMode::Standalone, props)
    }

    /// A distributed worker configuration (`connect-distributed`).
    pub fn distributed(props: Props) -> Result<WorkerConfig, ConfigError> {
        Self::build(WorkerMode::Distributed, props)
    }

    /// The key definitions for `mode`.
    pub fn config_def(mode: WorkerMode) -> ConfigDef {
        match mode {
            WorkerMode::Standalone => standalone_config_def(),
            WorkerMode::Distributed => distributed_config_def(),
        }
    }

    fn build(mode: WorkerMode, props: Props) -> Result<WorkerConfig, ConfigError> {
        // Java resolves `${provider:...}` references in the worker's own values at start-up,
        // with the providers the same file declares.
        let providers =
            ConfigProviders::from_worker_props(&props).map_err(|e| invalid(e.to_string()))?;
        let Resolved {
            props,
            secrets: provider_secrets,
        } = providers
            .resolve_blocking(&props)
            .map_err(|e| invalid(e.to_string()))?;
        let def = Self::config_def(mode);
        let parsed = def.parse(&props).map_err(|e| invalid(e.to_string()))?;

        let removed: Vec<&str> = REMOVED_INTERNAL_CONVERTER_KEYS
            .iter()
            .copied()
            .filter(|k| props.contains_key(*k))
            .collect();
        if !removed.is_empty() {
            tracing::warn!(
                "The worker has been configured with one or more internal converter properties ({:?}). Support for these \
                 properties was deprecated in version 2.0 and removed in version 3.0, and specifying them will have no effect. \
                 Instead, an instance of the JsonConverter with schemas.enable set to false will be used.",
                removed
            );
        }

        let string = |k: &str| parsed.string(k).map(str::to_string);
        let list = |k: &str| parsed.list(k).map(<[String]>::to_vec);
        let parse_listeners = |k: &str| -> Result<Option<Vec<Listener>>, ConfigError> {
            match list(k) {
                None => Ok(None),
                Some(items) => items
                    .iter()
                    .map(|s| {
                        Listener::parse(s)
                            .map_err(|reason| invalid(config_exception(k, s, &reason)))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
            }
        };
        let listeners = parse_listeners(LISTENERS_CONFIG)?.unwrap_or_default();
        let admin_listeners = parse_listeners(ADMIN_LISTENERS_CONFIG)?;
        let rest_advertised_listener =
            string(REST_ADVERTISED_LISTENER_CONFIG).filter(|s| !s.is_empty());
        if let Some(l) = &rest_advertised_listener {
            let lower = l.to_ascii_lowercase();
            if lower != "http" && lower != "https" {
                return Err(invalid(config_exception(
                    REST_ADVERTISED_LISTENER_CONFIG,
                    l,
                    "String must be one of: http, https",
                )));
            }
        }

        let distributed = match mode {
            WorkerMode::Standalone => None,
            WorkerMode::Distributed => Some(Self::distributed_settings(&parsed, &props)?),
        };

        Ok(WorkerConfig {
            mode,
            bootstrap_servers: list(BOOTSTRAP_SERVERS_CONFIG).unwrap_or_default(),
            key_converter: string(KEY_CONVERTER_CLASS_CONFIG).unwrap_or_default(),
            value_converter: string(VALUE_CONVERTER_CLASS_CONFIG).unwrap_or_default(),
            header_converter: string(HEADER_CONVERTER_CLASS_CONFIG).unwrap_or_default(),
            task_shutdown_graceful_timeout_ms: parsed
                .long(TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS_CONFIG)
                .unwrap_or(5000),
            offset_flush_interval_ms: parsed
                .long(OFFSET_COMMIT_INTERVAL_MS_CONFIG)
                .unwrap_or(60000),
            offset_flush_timeout_ms: parsed.long(OFFSET_COMMIT_TIMEOUT_MS_CONFIG).unwrap_or(5000),
            plugin_path: list(PLUGIN_PATH_CONFIG),
            listeners,
            admin_listeners,
            rest_advertised_host_name: string(REST_ADVERTISED_HOST_NAME_CONFIG)
                .filter(|s| !s.is_empty()),
            rest_advertised_port: parsed.int(REST_ADVERTISED_PORT_CONFIG).map(|p| p as u16),
            rest_advertised_listener,
            access_control_allow_origin: string("access.control.allow.origin").unwrap_or_default(),
            access_control_allow_methods: string("access.control.allow.methods")
                .unwrap_or_default(),
            rest_idle_timeout_ms: parsed.long(REST_IDLE_TIMEOUT_MS_CONFIG).unwrap_or(30000),
            rest_header_read_timeout_ms: parsed
                .long(REST_HEADER_READ_TIMEOUT_MS_CONFIG)
                .unwrap_or(10000),
            rest_max_connections: parsed.int(REST_MAX_CONNECTIONS_CONFIG).unwrap_or(1024),
            topic_creation_enable: parsed.boolean(TOPIC_CREATION_ENABLE_CONFIG).unwrap_or(true),
            topic_tracking_enable: parsed.boolean("topic.tracking.enable").unwrap_or(true),
            topic_tracking_allow_reset: parsed
                .boolean("topic.tracking.allow.reset")
                .unwrap_or(true),
            connector_client_config_override_policy: string(CONNECTOR_CLIENT_POLICY_CLASS_CONFIG)
                .and_then(|s| OverridePolicy::parse(&s))
                .unwrap_or(OverridePolicy::All),
            offset_storage_file_filename: string(OFFSET_STORAGE_FILE_FILENAME_CONFIG),
            distributed,
            builtin_connectors_exclude: list(BUILTIN_CONNECTORS_EXCLUDE_CONFIG)
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            originals: props,
            providers,
            provider_secrets,
            parsed,
        })
    }

    fn distributed_settings(
        parsed: &ParsedConfig,
        props: &Props,
    ) -> Result<DistributedSettings, ConfigError> {
        if props.contains_key("config.storage.partitions") {
            tracing::warn!(
                "The 'config.storage.partitions' property is ignored: the config topic always has a single partition"
            );
        }
        let s = |k: &str| parsed.string(k).unwrap_or_default().to_string();
        let i = |k: &str| parsed.int(k).unwrap_or_default();
        let l = |k: &str| parsed.long(k).unwrap_or_default();
        let short = |k: &str| match parsed.get(k) {
            Some(ConfigValue::Short(v)) => *v,
            _ => 3,
        };
        // The backing stores reject blank topic names when they are configured.
        for (k, msg) in [
            (
                CONFIG_TOPIC_CONFIG,
                "Must specify topic for connector configuration.",
            ),
            (
                OFFSET_STORAGE_TOPIC_CONFIG,
                "Offset storage topic must be specified",
            ),
            (
                STATUS_STORAGE_TOPIC_CONFIG,
                "Must specify topic for connector status.",
            ),
        ] {
            if s(k).trim().is_empty() {
                return Err(invalid(msg.to_string()));
            }
        }
        let signature = s("inter.worker.signature.algorithm");
        let verification = parsed
            .list("inter.worker.verification.algorithms")
            .unwrap_or_default()
            .to_vec();
        if !verification.contains(&signature) {
            return Err(invalid(config_exception(
                "inter.worker.signature.algorithm",
                &signature,
                "Signature algorithm must be present in inter.worker.verification.algorithms list",
            )));
        }
        let eos = match s("exactly.once.source.support")
            .to_ascii_lowercase()
            .as_str()
        {
            "enabled" => ExactlyOnceSourceSupport::Enabled,
            "preparing" => ExactlyOnceSourceSupport::Preparing,
            _ => ExactlyOnceSourceSupport::Disabled,
        };
        Ok(DistributedSettings {
            group_id: s(GROUP_ID_CONFIG),
            config_storage_topic: s(CONFIG_TOPIC_CONFIG),
            config_storage_replication_factor: short("config.storage.replication.factor"),
            offset_storage_topic: s(OFFSET_STORAGE_TOPIC_CONFIG),
            offset_storage_partitions: i("offset.storage.partitions"),
            offset_storage_replication_factor: short("offset.storage.replication.factor"),
            status_storage_topic: s(STATUS_STORAGE_TOPIC_CONFIG),
            status_storage_partitions: i("status.storage.partitions"),
            status_storage_replication_factor: short("status.storage.replication.factor"),
            session_timeout_ms: i("session.timeout.ms"),
            heartbeat_interval_ms: i("heartbeat.interval.ms"),
            rebalance_timeout_ms: i("rebalance.timeout.ms"),
            worker_sync_timeout_ms: i("worker.sync.timeout.ms"),
            worker_unsync_backoff_ms: i("worker.unsync.backoff.ms"),
            connect_protocol: ConnectProtocol::parse(&s(CONNECT_PROTOCOL_CONFIG))
                .unwrap_or(ConnectProtocol::Sessioned),
            scheduled_rebalance_max_delay_ms: i("scheduled.rebalance.max.delay.ms"),
            exactly_once_source_support: eos,
            inter_worker_key_generation_algorithm: s("inter.worker.key.generation.algorithm"),
            inter_worker_key_size: parsed.int("inter.worker.key.size"),
            inter_worker_key_ttl_ms: i("inter.worker.key.ttl.ms"),
            inter_worker_signature_algorithm: signature,
            inter_worker_verification_algorithms: verification,
            client_id: s("client.id"),
            metadata_max_age_ms: l("metadata.max.age.ms"),
            request_timeout_ms: i("request.timeout.ms"),
            retry_backoff_ms: l("retry.backoff.ms"),
            reconnect_backoff_ms: l("reconnect.backoff.ms"),
            reconnect_backoff_max_ms: l("reconnect.backoff.max.ms"),
            security_protocol: s("security.protocol"),
        })
    }

    /// Every key the worker file held, unknown ones included.
    pub fn originals(&self) -> &Props {
        &self.originals
    }

    /// The typed values of every defined key (defaults applied).
    pub fn parsed(&self) -> &ParsedConfig {
        &self.parsed
    }

    /// Originals whose key starts with `prefix`, prefix removed (Java `originalsWithPrefix`).
    pub fn originals_with_prefix(&self, prefix: &str) -> Props {
        strip_prefix(&self.originals, prefix)
    }

    /// The worker-level converter settings: `<which>.converter.*` with the prefix removed;
    /// `which` is `key`, `value` or `header`.
    pub fn converter_props(&self, which: &str) -> Props {
        self.originals_with_prefix(&format!("{which}.converter."))
    }

    fn bootstrap_joined(&self) -> String {
        self.bootstrap_servers.join(",")
    }

    /// The worker-level producer layer: the worker's `bootstrap.servers` then `producer.*`.
    pub fn producer_props(&self) -> Props {
        let mut p = Props::new();
        p.insert(BOOTSTRAP_SERVERS_CONFIG.into(), self.bootstrap_joined());
        p.extend(self.originals_with_prefix("producer."));
        p
    }

    /// The worker-level consumer layer: the worker's `bootstrap.servers` then `consumer.*`.
    pub fn consumer_props(&self) -> Props {
        let mut p = Props::new();
        p.insert(BOOTSTRAP_SERVERS_CONFIG.into(), self.bootstrap_joined());
        p.extend(self.originals_with_prefix("consumer."));
        p
    }

    /// The worker-level admin layer: `bootstrap.servers`, then every un-prefixed worker key
    /// (anything not starting with `producer.`, `consumer.` or `admin.`), then `admin.*`.
    /// Like Java this passes worker-only keys (converters, topics, ...) along too; the
    /// librdkafka translation reports those as unsupported.
    pub fn admin_props(&self) -> Props {
        let mut p = Props::new();
        p.insert(BOOTSTRAP_SERVERS_CONFIG.into(), self.bootstrap_joined());
        for (k, v) in &self.originals {
            if !(k.starts_with("producer.")
                || k.starts_with("consumer.")
                || k.starts_with("admin."))
            {
                p.insert(k.clone(), v.clone());
            }
        }
        p.extend(self.originals_with_prefix("admin."));
        p
    }

    /// The full config of a source task's producer (worker.md §4.1): forced defaults,
    /// `producer.*`, then the connector's `producer.override.*`.
    pub fn task_producer_config(
        &self,
        connector: &str,
        task: i32,
        connector_config: &Props,
    ) -> Props {
        let mut p = Props::new();
        p.insert(BOOTSTRAP_SERVERS_CONFIG.into(), self.bootstrap_joined());
        p.insert(
            "key.serializer".into(),
            "org.apache.kafka.common.serialization.ByteArraySerializer".into(),
        );
        p.insert(
            "value.serializer".into(),
            "org.apache.kafka.common.serialization.ByteArraySerializer".into(),
        );
        p.insert("acks".into(), "all".into());
        p.insert("max.in.flight.requests.per.connection".into(), "1".into());
        p.insert("enable.idempotence".into(), "false".into());
        p.insert("max.block.ms".into(), i64::MAX.to_string());
        p.insert("delivery.timeout.ms".into(), i32::MAX.to_string());
        p.insert(
            "client.id".into(),
            format!("connector-producer-{connector}-{task}"),
        );
        p.extend(self.originals_with_prefix("producer."));
        p.extend(strip_prefix(connector_config, "producer.override."));
        p
    }

    /// The full config of a sink task's consumer (worker.md §4.1): forced defaults,
    /// `consumer.*`, then the connector's `consumer.override.*`.
    pub fn task_consumer_config(
        &self,
        connector: &str,
        task: i32,
        connector_config: &Props,
    ) -> Props {
        let mut p = Props::new();
        p.insert(BOOTSTRAP_SERVERS_CONFIG.into(), self.bootstrap_joined());
        p.insert("group.id".into(), format!("connect-{connector}"));
        p.insert(
            "client.id".into(),
            format!("connector-consumer-{connector}-{task}"),
        );
        p.insert("enable.auto.commit".into(), "false".into());
        p.insert("auto.offset.reset".into(), "earliest".into());
        p.insert(
            "key.deserializer".into(),
            "org.apache.kafka.common.serialization.ByteArrayDeserializer".into(),
        );
        p.insert(
            "value.deserializer".into(),
            "org.apache.kafka.common.serialization.ByteArrayDeserializer".into(),
        );
        p.extend(self.originals_with_prefix("consumer."));
        p.extend(strip_prefix(connector_config, "consumer.override."));
        p
    }

    /// The full config of an admin client used for a connector: `bootstrap.servers` and
    /// `client.id`, then [`admin_props`](Self::admin_props), then `admin.override.*`.
    pub fn connector_admin_config(&self, client_id: &str, connector_config: &Props) -> Props {
        let mut p = Props::new();
        p.insert("client.id".into(), client_id.to_string());
        p.extend(self.admin_props());
        p.extend(strip_prefix(connector_config, "admin.override."));
        p
    }

    /// The protocol advertised to other workers: `rest.advertised.listener` when set,
    /// else `http` if any listener is HTTP, else `https` if any is HTTPS, else `http`.
    pub fn advertised_protocol(&self) -> String {
        if let Some(l) = &self.rest_advertised_listener {
            return l.to_ascii_lowercase();
        }
        if self.listeners.iter().any(|l| l.protocol == "http") {
            "http".into()
        } else if self.listeners.iter().any(|l| l.protocol == "https") {
            "https".into()
        } else {
            "http".into()
        }
    }

    /// The index in [`listeners`](Self::listeners) of the listener whose address is
    /// advertised: the first with the advertised protocol, else the first listener.
    pub fn advertised_listener_index(&self) -> Option<usize> {
        let proto = self.advertised_protocol();
        self.listeners
            .iter()
            .position(|l| l.protocol == proto)
            .or(if self.listeners.is_empty() {
                None
            } else {
                Some(0)
            })
    }

    /// The advertised URL and worker id. `bound_port` is the port the advertised listener
    /// actually bound (it differs from the configured one when that is 0); `local_host`
    /// is used when neither `rest.advertised.host.name` nor the listener names a host
    /// (Java uses the machine's address, see [`local_host_address`]).
    pub fn rest_advertisement(&self, bound_port: u16, local_host: &str) -> RestAdvertisement {
        let protocol = self.advertised_protocol();
        let listener = self.advertised_listener_index().map(|i| &self.listeners[i]);
        let host = match (&self.rest_advertised_host_name, listener) {
            (Some(h), _) => h.clone(),
            (None, Some(l)) if !l.host.is_empty() => l.host.clone(),
            _ => local_host.to_string(),
        };
        let port = match (self.rest_advertised_port, listener) {
            (Some(p), _) => p,
            (None, Some(l)) if l.port > 0 => l.port,
            _ => bound_port,
        };
        // java.net.URI keeps IPv6 literals bracketed in getHost(), so the worker id has them too.
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        RestAdvertisement {
            url: format!("{protocol}://{host}:{port}/"),
            worker_id: format!("{host}:{port}"),
            protocol,
            host,
            port,
        }
    }
}

/// The machine's address as Java's `InetAddress.getLocalHost().getHostAddress()` gives it:
/// the host name resolved to its first address (IPv4 preferred), else the host name
/// itself, else `127.0.0.1`. This may block on DNS; call it once at startup or from
/// `spawn_blocking`.
pub fn local_host_address() -> String {
    let Some(name) = host_name() else {
        return "127.0.0.1".into();
    };
    use std::net::ToSocketAddrs;
    match (name.as_str(), 0u16).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            addrs
                .iter()
                .find(|a| a.is_ipv4())
                .or(addrs.first())
                .map(|a| a.ip().to_string())
                .unwrap_or(name)
        }
        Err(_) => name,
    }
}

/// The machine's host name (`gethostname(2)`).
#[cfg(unix)]
pub fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for `buf.len()` bytes and gethostname writes at most that.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr() as *mut libc::c_char, buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).into_owned();
    if name.is_empty() {
        None
    } else {
        Some(name)
    }
}

/// The machine's DNS host name, as Winsock's `gethostname` (which Java's
/// `InetAddress.getLocalHost` calls on Windows) gives it, without needing Winsock started.
#[cfg(windows)]
pub fn host_name() -> Option<String> {
    use windows_sys::Win32::System::SystemInformation::{
        ComputerNameDnsHostname, GetComputerNameExW,
    };
    let mut buf = [0u16; 256];
    let mut len = buf.len() as u32;
    // SAFETY: the buffer is valid for `len` UTF-16 units; on success the call writes at most
    // that many and sets `len` to the count written, without the terminating NUL.
    let ok = unsafe { GetComputerNameExW(ComputerNameDnsHostname, buf.as_mut_ptr(), &mut len) };
    if ok == 0 {
        return None;
    }
    let name = String::from_utf16_lossy(&buf[..(len as usize).min(buf.len())]);
    if name.is_empty() {
        None
    } else {
        Some(name)
    }
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

    fn standalone_base() -> Props {
        props(&[
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("offset.storage.file.filename", "/tmp/connect.offsets"),
        ])
    }

    fn distributed_base() -> Props {
        props(&[
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("group.id", "connect-cluster"),
            ("config.storage.topic", "connect-configs"),
            ("offset.storage.topic", "connect-offsets"),
            ("status.storage.topic", "connect-status"),
        ])
    }

    fn err(p: Props, mode: WorkerMode) -> String {
        match mode {
            WorkerMode::Standalone => WorkerConfig::standalone(p),
            WorkerMode::Distributed => WorkerConfig::distributed(p),
        }
        .unwrap_err()
        .to_string()
    }

    #[test]
    fn standalone_defaults() {
        let c = WorkerConfig::standalone(standalone_base()).unwrap();
        assert_eq!(c.bootstrap_servers, vec!["localhost:9092"]);
        assert_eq!(c.header_converter, HEADER_CONVERTER_CLASS_DEFAULT);
        assert_eq!(c.offset_flush_interval_ms, 60000);
        assert_eq!(c.offset_flush_timeout_ms, 5000);
        assert_eq!(c.task_shutdown_graceful_timeout_ms, 5000);
        assert_eq!(c.plugin_path, None);
        assert_eq!(
            c.listeners,
            vec![Listener {
                protocol: "http".into(),
                host: "".into(),
                port: 8083
            }]
        );
        assert_eq!(c.admin_listeners, None);
        assert_eq!(
            c.offset_storage_file_filename.as_deref(),
            Some("/tmp/connect.offsets")
        );
        assert!(c.topic_creation_enable);
        assert_eq!(
            c.connector_client_config_override_policy,
            OverridePolicy::All
        );
        assert!(c.distributed.is_none());
        assert_eq!(c.rest_idle_timeout_ms, 30000);
        assert_eq!(c.rest_header_read_timeout_ms, 10000);
        assert_eq!(c.rest_max_connections, 1024);
    }

    #[test]
    fn rest_connection_limits() {
        let mut p = standalone_base();
        p.insert(REST_IDLE_TIMEOUT_MS_CONFIG.into(), "2000".into());
        p.insert(REST_HEADER_READ_TIMEOUT_MS_CONFIG.into(), "500".into());
        p.insert(REST_MAX_CONNECTIONS_CONFIG.into(), "8".into());
        let c = WorkerConfig::standalone(p).unwrap();
        assert_eq!(c.rest_idle_timeout_ms, 2000);
        assert_eq!(c.rest_header_read_timeout_ms, 500);
        assert_eq!(c.rest_max_connections, 8);
        for key in [
            REST_IDLE_TIMEOUT_MS_CONFIG,
            REST_HEADER_READ_TIMEOUT_MS_CONFIG,
            REST_MAX_CONNECTIONS_CONFIG,
        ] {
            let mut p = standalone_base();
            p.insert(key.into(), "0".into());
            let e = err(p, WorkerMode::Standalone);
            assert!(e.contains(key), "{e}");
        }
    }

    #[test]
    fn required_keys_named_in_errors() {
        let mut p = standalone_base();
        p.remove("key.converter");
        assert_eq!(
            err(p, WorkerMode::Standalone),
            "Missing required configuration \"key.converter\" which has no default value."
        );
        let mut p = standalone_base();
        p.remove("value.converter");
        assert!(err(p, WorkerMode::Standalone).contains("\"value.converter\""));
        let mut p = standalone_base();
        p.remove("offset.storage.file.filename");
        assert!(err(p, WorkerMode::Standalone).contains("\"offset.storage.file.filename\""));
        for k in [
            "group.id",
            "config.storage.topic",
            "offset.storage.topic",
            "status.storage.topic",
        ] {
            let mut p = distributed_base();
            p.remove(k);
            assert!(
                err(p, WorkerMode::Distributed).contains(&format!("\"{k}\"")),
                "{k}"
            );
        }
    }

    #[test]
    fn negative_intervals_rejected() {
        for k in [
            OFFSET_COMMIT_INTERVAL_MS_CONFIG,
            OFFSET_COMMIT_TIMEOUT_MS_CONFIG,
            TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS_CONFIG,
        ] {
            let mut p = standalone_base();
            p.insert(k.into(), "-1".into());
            assert_eq!(
                err(p, WorkerMode::Standalone),
                format!("Invalid value -1 for configuration {k}: Value must be at least 0")
            );
        }
        let mut p = standalone_base();
        p.insert(OFFSET_COMMIT_INTERVAL_MS_CONFIG.into(), "x".into());
        assert!(err(p, WorkerMode::Standalone)
            .starts_with("Invalid value x for configuration offset.flush.interval.ms"));
        let mut p = standalone_base();
        p.insert(OFFSET_COMMIT_INTERVAL_MS_CONFIG.into(), " 10000 ".into());
        assert_eq!(
            WorkerConfig::standalone(p)
                .unwrap()
                .offset_flush_interval_ms,
            10000
        );
    }

    #[test]
    fn builtin_connectors_exclude_is_a_list() {
        let c = WorkerConfig::standalone(standalone_base()).unwrap();
        assert!(c.builtin_connectors_exclude.is_empty());
        let mut p = distributed_base();
        p.insert(
            BUILTIN_CONNECTORS_EXCLUDE_CONFIG.into(),
            " FileStreamSource , org.apache.kafka.connect.file.FileStreamSinkConnector,".into(),
        );
        let c = WorkerConfig::distributed(p).unwrap();
        assert_eq!(
            c.builtin_connectors_exclude,
            [
                "FileStreamSource",
                "org.apache.kafka.connect.file.FileStreamSinkConnector"
            ]
        );
    }

    #[test]
    fn lists_and_unknown_keys_kept() {
        let mut p = standalone_base();
        p.insert("bootstrap.servers".into(), "a:1, b:2".into());
        p.insert("plugin.path".into(), "/opt/a,/opt/b".into());
        p.insert("something.unknown".into(), "x".into());
        let c = WorkerConfig::standalone(p).unwrap();
        assert_eq!(c.bootstrap_servers, vec!["a:1", "b:2"]);
        assert_eq!(
            c.plugin_path,
            Some(vec!["/opt/a".to_string(), "/opt/b".to_string()])
        );
        assert_eq!(c.originals()["something.unknown"], "x");
    }

    #[test]
    fn listener_parsing() {
        assert_eq!(
            Listener::parse("http://:8083").unwrap(),
            Listener {
                protocol: "http".into(),
                host: "".into(),
                port: 8083
            }
        );
        assert_eq!(
            Listener::parse("HTTPS://myhost:8443").unwrap(),
            Listener {
                protocol: "https".into(),
                host: "myhost".into(),
                port: 8443
            }
        );
        assert_eq!(
            Listener::parse("http://[::1]:0").unwrap(),
            Listener {
                protocol: "http".into(),
                host: "::1".into(),
                port: 0
            }
        );
        assert_eq!(
            Listener::parse("http://0.0.0.0:80/").unwrap().host,
            "0.0.0.0"
        );
        assert!(Listener::parse("http://:8083").unwrap().is_all_interfaces());
        assert!(Listener::parse("https://h:1").unwrap().is_https());
        for bad in [
            "localhost:8083",
            "http://host",
            "http://host:",
            "http://ho st:80",
            "http://h:80x",
            "http://h:99999",
        ] {
            assert!(Listener::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_listeners_name_the_key() {
        let mut p = standalone_base();
        p.insert("listeners".into(), "http://:8083,nonsense".into());
        let e = err(p, WorkerMode::Standalone);
        assert_eq!(
            e,
            "Invalid value nonsense for configuration listeners: Listener doesn't have the right format (protocol://hostname:port)."
        );
        let mut p = standalone_base();
        p.insert("listeners".into(), "".into());
        assert!(err(p, WorkerMode::Standalone)
            .contains("Invalid value for listeners, at least one URL is expected"));
        let mut p = standalone_base();
        p.insert("listeners".into(), "http://:1, ,http://:2".into());
        assert_eq!(
            err(p, WorkerMode::Standalone),
            "Empty URL found when parsing listeners list."
        );
        let mut p = standalone_base();
        p.insert("admin.listeners".into(), "".into());
        assert_eq!(
            WorkerConfig::standalone(p).unwrap().admin_listeners,
            Some(vec![])
        );
    }

    #[test]
    fn advertisement_and_worker_id() {
        let c = WorkerConfig::standalone(standalone_base()).unwrap();
        let a = c.rest_advertisement(8083, "10.0.0.5");
        assert_eq!(a.url, "http://10.0.0.5:8083/");
        assert_eq!(a.worker_id, "10.0.0.5:8083");

        let mut p = standalone_base();
        p.insert("listeners".into(), "http://127.0.0.1:0".into());
        let c = WorkerConfig::standalone(p).unwrap();
        let a = c.rest_advertisement(40123, "10.0.0.5");
        assert_eq!(a.url, "http://127.0.0.1:40123/");
        assert_eq!(a.worker_id, "127.0.0.1:40123");

        let mut p = standalone_base();
        p.insert(
            "listeners".into(),
            "https://[::1]:8443,http://h:8083".into(),
        );
        p.insert("rest.advertised.listener".into(), "HTTPS".into());
        let a = WorkerConfig::standalone(p)
            .unwrap()
            .rest_advertisement(8443, "x");
        assert_eq!(a.url, "https://[::1]:8443/");
        assert_eq!(a.worker_id, "[::1]:8443");

        let mut p = standalone_base();
        p.insert("listeners".into(), "https://a:8443,http://b:8083".into());
        p.insert("rest.advertised.host.name".into(), "public.example".into());
        p.insert("rest.advertised.port".into(), "9000".into());
        let a = WorkerConfig::standalone(p)
            .unwrap()
            .rest_advertisement(8083, "x");
        assert_eq!(a.url, "http://public.example:9000/");
        assert_eq!(a.worker_id, "public.example:9000");

        let mut p = standalone_base();
        p.insert("listeners".into(), "https://a:8443".into());
        let c = WorkerConfig::standalone(p).unwrap();
        assert_eq!(c.advertised_protocol(), "https");
        assert_eq!(c.rest_advertisement(8443, "x").url, "https://a:8443/");

        let mut p = standalone_base();
        p.insert("rest.advertised.listener".into(), "ftp".into());
        assert!(err(p, WorkerMode::Standalone).contains("rest.advertised.listener"));
        let mut p = standalone_base();
        p.insert("rest.advertised.port".into(), "70000".into());
        assert!(err(p, WorkerMode::Standalone).contains("rest.advertised.port"));
    }

    #[test]
    fn local_host_address_is_not_empty() {
        assert!(!local_host_address().is_empty());
    }

    #[test]
    fn converter_and_client_props() {
        let mut p = standalone_base();
        p.insert("bootstrap.servers".into(), "k1:9092,k2:9092".into());
        p.insert("key.converter.schemas.enable".into(), "false".into());
        p.insert("value.converter.schemas.enable".into(), "true".into());
        p.insert("header.converter.x".into(), "1".into());
        p.insert("producer.linger.ms".into(), "5".into());
        p.insert("producer.bootstrap.servers".into(), "other:1".into());
        p.insert("consumer.max.poll.records".into(), "10".into());
        p.insert("admin.request.timeout.ms".into(), "1000".into());
        p.insert("security.protocol".into(), "SSL".into());
        let c = WorkerConfig::standalone(p).unwrap();
        assert_eq!(
            c.converter_props("key"),
            props(&[("schemas.enable", "false")])
        );
        assert_eq!(
            c.converter_props("value"),
            props(&[("schemas.enable", "true")])
        );
        assert_eq!(c.converter_props("header"), props(&[("x", "1")]));
        assert_eq!(
            c.producer_props(),
            props(&[("bootstrap.servers", "other:1"), ("linger.ms", "5")])
        );
        assert_eq!(
            c.consumer_props(),
            props(&[
                ("bootstrap.servers", "k1:9092,k2:9092"),
                ("max.poll.records", "10")
            ])
        );
        let admin = c.admin_props();
        assert_eq!(admin["bootstrap.servers"], "k1:9092,k2:9092");
        assert_eq!(admin["security.protocol"], "SSL");
        assert_eq!(admin["request.timeout.ms"], "1000");
        assert!(!admin.contains_key("linger.ms") && !admin.contains_key("max.poll.records"));
        assert!(!admin
            .keys()
            .any(|k| k.starts_with("producer.") || k.starts_with("admin.")));
    }

    #[test]
    fn task_client_layering() {
        let mut p = standalone_base();
        p.insert("producer.acks".into(), "1".into());
        p.insert("consumer.auto.offset.reset".into(), "latest".into());
        let c = WorkerConfig::standalone(p).unwrap();
        let conn = props(&[
            ("producer.override.linger.ms", "7"),
            ("consumer.override.group.id", "g"),
            ("admin.override.x", "y"),
        ]);
        let prod = c.task_producer_config("src", 0, &conn);
        assert_eq!(prod["client.id"], "connector-producer-src-0");
        assert_eq!(prod["acks"], "1");
        assert_eq!(prod["linger.ms"], "7");
        assert_eq!(prod["enable.idempotence"], "false");
        assert_eq!(prod["delivery.timeout.ms"], "2147483647");
        let cons = c.task_consumer_config("snk", 2, &conn);
        assert_eq!(cons["group.id"], "g");
        assert_eq!(cons["client.id"], "connector-consumer-snk-2");
        assert_eq!(cons["auto.offset.reset"], "latest");
        assert_eq!(cons["enable.auto.commit"], "false");
        let admin = c.connector_admin_config("connector-adminclient-src-0", &conn);
        assert_eq!(admin["client.id"], "connector-adminclient-src-0");
        assert_eq!(admin["x"], "y");
    }

    #[test]
    fn distributed_defaults_and_checks() {
        let c = WorkerConfig::distributed(distributed_base()).unwrap();
        let d = c.distributed.as_ref().unwrap();
        assert_eq!(d.group_id, "connect-cluster");
        assert_eq!(d.config_storage_replication_factor, 3);
        assert_eq!(d.offset_storage_partitions, 25);
        assert_eq!(d.status_storage_partitions, 5);
        assert_eq!(d.session_timeout_ms, 10000);
        assert_eq!(d.heartbeat_interval_ms, 3000);
        assert_eq!(d.rebalance_timeout_ms, 60000);
        assert_eq!(d.worker_sync_timeout_ms, 3000);
        assert_eq!(d.worker_unsync_backoff_ms, 300000);
        assert_eq!(d.connect_protocol, ConnectProtocol::Sessioned);
        assert_eq!(d.scheduled_rebalance_max_delay_ms, 300000);
        assert_eq!(
            d.exactly_once_source_support,
            ExactlyOnceSourceSupport::Disabled
        );
        assert_eq!(d.inter_worker_key_ttl_ms, 3600000);
        assert_eq!(d.inter_worker_key_size, None);
        assert_eq!(d.internal_client_id_base(), "connect-cluster-");
        assert!(c.offset_storage_file_filename.is_none());

        let mut p = distributed_base();
        p.insert("connect.protocol".into(), "EAGER".into());
        p.insert("client.id".into(), "w1".into());
        p.insert("offset.storage.replication.factor".into(), "-1".into());
        let c = WorkerConfig::distributed(p).unwrap();
        let d = c.distributed.unwrap();
        assert_eq!(d.connect_protocol, ConnectProtocol::Eager);
        assert_eq!(d.offset_storage_replication_factor, -1);
        assert_eq!(d.internal_client_id_base(), "connect-cluster-w1-");

        let mut p = distributed_base();
        p.insert("connect.protocol".into(), "fancy".into());
        assert_eq!(
            err(p, WorkerMode::Distributed),
            "Invalid value fancy for configuration connect.protocol: Invalid Connect protocol compatibility"
        );
        let mut p = distributed_base();
        p.insert("offset.storage.replication.factor".into(), "0".into());
        assert!(err(p, WorkerMode::Distributed).starts_with("Invalid value 0 for configuration offset.storage.replication.factor: Replication factor must be positive"));
        let mut p = distributed_base();
        p.insert("status.storage.partitions".into(), "-2".into());
        assert!(err(p, WorkerMode::Distributed)
            .contains("Number of partitions must be positive, or -1"));
        let mut p = distributed_base();
        p.insert("exactly.once.source.support".into(), "ENABLED".into());
        assert_eq!(
            WorkerConfig::distributed(p)
                .unwrap()
                .distributed
                .unwrap()
                .exactly_once_source_support,
            ExactlyOnceSourceSupport::Enabled
        );
        let mut p = distributed_base();
        p.insert("exactly.once.source.support".into(), "maybe".into());
        assert!(
            err(p, WorkerMode::Distributed).contains("String must be one of (case insensitive): ")
        );
        let mut p = distributed_base();
        p.insert(
            "inter.worker.signature.algorithm".into(),
            "HmacSHA512".into(),
        );
        assert!(err(p, WorkerMode::Distributed).contains(
            "Signature algorithm must be present in inter.worker.verification.algorithms list"
        ));
        let mut p = distributed_base();
        p.insert("inter.worker.key.generation.algorithm".into(), "Foo".into());
        assert!(err(p, WorkerMode::Distributed).contains("inter.worker.key.generation.algorithm"));
        let mut p = distributed_base();
        p.insert("config.storage.topic".into(), "  ".into());
        assert_eq!(
            err(p, WorkerMode::Distributed),
            "Must specify topic for connector configuration."
        );
    }

    #[test]
    fn override_policy_names() {
        for (v, want) in [
            ("None", OverridePolicy::None),
            ("Principal", OverridePolicy::Principal),
            (
                "org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy",
                OverridePolicy::All,
            ),
            (
                "NoneConnectorClientConfigOverridePolicy",
                OverridePolicy::None,
            ),
        ] {
            let mut p = standalone_base();
            p.insert(CONNECTOR_CLIENT_POLICY_CLASS_CONFIG.into(), v.into());
            assert_eq!(
                WorkerConfig::standalone(p)
                    .unwrap()
                    .connector_client_config_override_policy,
                want,
                "{v}"
            );
        }
        let mut p = standalone_base();
        p.insert(CONNECTOR_CLIENT_POLICY_CLASS_CONFIG.into(), "all".into());
        assert!(err(p, WorkerMode::Standalone).contains(CONNECTOR_CLIENT_POLICY_CLASS_CONFIG));
    }
}
