//! The connector's configuration: every key of Confluent's `S3SinkConnectorConfig`,
//! `StorageSinkConnectorConfig`, `StorageCommonConfig` and `PartitionerConfig`, with their
//! defaults, and the checks Java makes when the connector and its parts are configured.

use std::collections::BTreeMap;

use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValueReport, Default as D, Importance, ParsedConfig,
    Validator,
};
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::partitioner::{PartitionerConfig, TimeConfig};

pub const FORMAT_CLASS: &str = "format.class";
pub const FLUSH_SIZE: &str = "flush.size";
pub const ROTATE_INTERVAL_MS: &str = "rotate.interval.ms";
pub const ROTATE_SCHEDULE_INTERVAL_MS: &str = "rotate.schedule.interval.ms";
pub const RETRY_BACKOFF_MS: &str = "retry.backoff.ms";
pub const ZERO_PAD_WIDTH: &str = "filename.offset.zero.pad.width";
pub const STORAGE_CLASS: &str = "storage.class";
pub const TOPICS_DIR: &str = "topics.dir";
pub const STORE_URL: &str = "store.url";
pub const DIRECTORY_DELIM: &str = "directory.delim";
pub const FILE_DELIM: &str = "file.delim";
pub const BUCKET: &str = "s3.bucket.name";
pub const REGION: &str = "s3.region";
pub const PART_SIZE: &str = "s3.part.size";
pub const CREDENTIALS_PROVIDER_CLASS: &str = "s3.credentials.provider.class";
pub const ACCESS_KEY_ID: &str = "aws.access.key.id";
pub const SECRET_ACCESS_KEY: &str = "aws.secret.access.key";
pub const SSEA_NAME: &str = "s3.ssea.name";
pub const SSE_CUSTOMER_KEY: &str = "s3.sse.customer.key";
pub const SSE_KMS_KEY_ID: &str = "s3.sse.kms.key.id";
pub const ACL_CANNED: &str = "s3.acl.canned";
pub const WAN_MODE: &str = "s3.wan.mode";
pub const PATH_STYLE: &str = "s3.path.style.access.enabled";
pub const COMPRESSION_TYPE: &str = "s3.compression.type";
pub const COMPRESSION_LEVEL: &str = "s3.compression.level";
pub const PART_RETRIES: &str = "s3.part.retries";
pub const S3_RETRY_BACKOFF_MS: &str = "s3.retry.backoff.ms";
pub const PROXY_URL: &str = "s3.proxy.url";
pub const SEND_DIGEST: &str = "s3.send.digest";
pub const OBJECT_TAGGING: &str = "s3.object.tagging";
pub const OBJECT_TAGGING_PAIRS: &str = "s3.object.tagging.key.value.pairs";
pub const TAGGING_ERROR: &str = "s3.object.behavior.on.tagging.error";
pub const BYTEARRAY_EXTENSION: &str = "format.bytearray.extension";
pub const BYTEARRAY_SEPARATOR: &str = "format.bytearray.separator";
pub const JSON_DECIMAL_FORMAT: &str = "json.decimal.format";
pub const BEHAVIOR_ON_NULL_VALUES: &str = "behavior.on.null.values";
pub const SCHEMA_COMPATIBILITY: &str = "schema.compatibility";
pub const STORE_KAFKA_KEYS: &str = "store.kafka.keys";
pub const STORE_KAFKA_HEADERS: &str = "store.kafka.headers";
pub const PARTITIONER_CLASS: &str = "partitioner.class";
pub const PARTITION_FIELD_NAME: &str = "partition.field.name";
pub const PARTITION_DURATION_MS: &str = "partition.duration.ms";
pub const PATH_FORMAT: &str = "path.format";
pub const LOCALE: &str = "locale";
pub const TIMEZONE: &str = "timezone";
pub const TIMESTAMP_EXTRACTOR: &str = "timestamp.extractor";
pub const TIMESTAMP_FIELD: &str = "timestamp.field";
pub const SCHEMA_AFFIX: &str = "s3.schema.partition.affix.type";
pub const ROTATE_ON_PARTITION_CHANGE: &str = "rotate.file.on.partition.change";
pub const PARTITIONER_MAX_OPEN_FILES: &str = "partitioner.max.open.files";

pub const S3_STORAGE_CLASS: &str = "io.confluent.connect.s3.storage.S3Storage";
pub const JSON_FORMAT: &str = "io.confluent.connect.s3.format.json.JsonFormat";
pub const BYTEARRAY_FORMAT: &str = "io.confluent.connect.s3.format.bytearray.ByteArrayFormat";
pub const AVRO_CODEC: &str = "avro.codec";
pub const AVRO_FORMAT: &str = "io.confluent.connect.s3.format.avro.AvroFormat";
pub const PARQUET_FORMAT: &str = "io.confluent.connect.s3.format.parquet.ParquetFormat";

/// Part sizes below S3's minimum for all but the last part are refused (Java
/// `S3SinkConnectorConfig.PART_SIZE_CONFIG`'s range).
pub const MIN_PART_SIZE: i64 = 5 * 1024 * 1024;

fn key(name: &str, t: ConfigType, default: D, doc: &str) -> ConfigKey {
    ConfigKey::new(name, t, default, Importance::Medium, doc)
}

fn v(s: &str) -> D {
    D::Value(s.to_string())
}

fn one_of(values: &[&str]) -> Validator {
    Validator::ValidString(values.iter().map(|s| s.to_string()).collect())
}

fn one_of_ci(values: &[&str]) -> Validator {
    Validator::CaseInsensitiveValidString(values.iter().map(|s| s.to_string()).collect())
}

/// The connector's keys, in the groups and order Java defines them.
pub fn config_def() -> ConfigDef {
    use ConfigType::*;
    let long_max = i64::MAX.to_string();
    let defs = vec![
        // StorageSinkConnectorConfig
        key(FORMAT_CLASS, Class, D::Required, "The format class to use when writing data to the store."),
        key(FLUSH_SIZE, Int, D::Required, "Number of records written to store before invoking file commits.")
            .validator(Validator::at_least(1.0)),
        key(ROTATE_INTERVAL_MS, Long, v("-1"), "The time interval in milliseconds to invoke file commits, based on record timestamps."),
        key(ROTATE_SCHEDULE_INTERVAL_MS, Long, v("-1"), "The time interval in milliseconds to periodically invoke file commits, on the wall clock."),
        key(RETRY_BACKOFF_MS, Long, v("5000"), "The retry backoff in milliseconds after a retriable failure.")
            .validator(Validator::at_least(0.0)),
        key("shutdown.timeout.ms", Long, v("3000"), "Clean shutdown timeout (unused by the S3 sink)."),
        key(ZERO_PAD_WIDTH, Int, v("10"), "Width to zero-pad offsets in store's filenames if offsets are too short.")
            .validator(Validator::at_least(0.0)),
        key("schemas.cache.config", Int, v("1000"), "The size of the schema cache used in the Avro converter."),
        key("enhanced.avro.schema.support", Boolean, v("true"), "Enable enhanced Avro schema support."),
        key("connect.meta.data", Boolean, v("true"), "Allow the Connect converter to add its metadata to the output schema."),
        key(AVRO_CODEC, String, v("null"), "The Avro compression codec.")
            .validator(one_of(&["null", "deflate", "snappy", "bzip2"])),
        key("parquet.codec", String, v("snappy"), "The Parquet compression codec.")
            .validator(one_of(&["none", "gzip", "snappy", "lzo", "brotli", "lz4", "zstd", "lz4_raw"])),
        key("allow.optional.map.keys", Boolean, v("false"), "Allow optional string map key when converting from Connect Schema to Avro Schema."),
        key(SCHEMA_COMPATIBILITY, String, v("NONE"), "The schema compatibility rule to use when the connector is observing schema changes."),
        // StorageCommonConfig
        key(STORAGE_CLASS, Class, D::Required, "The underlying storage layer."),
        key(TOPICS_DIR, String, v("topics"), "Top level directory to store the data ingested from Kafka."),
        key(STORE_URL, String, D::Null, "Store's connection URL, if applicable."),
        key(DIRECTORY_DELIM, String, v("/"), "Directory delimiter pattern"),
        key(FILE_DELIM, String, v("+"), "File delimiter pattern"),
        // S3SinkConnectorConfig
        key(BUCKET, String, D::Required, "The S3 Bucket."),
        key(REGION, String, v("us-west-2"), "The AWS region to be used the connector.")
            .validator(Validator::NonEmptyString),
        key(PART_SIZE, Int, v("26214400"), "The Part Size in S3 Multi-part Uploads.")
            .validator(Validator::between(MIN_PART_SIZE as f64, i32::MAX as f64)),
        key(CREDENTIALS_PROVIDER_CLASS, Class, v("software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider"), "Credentials provider or provider chain to use for authentication to AWS."),
        key(ACCESS_KEY_ID, String, v(""), "The AWS access key ID used to authenticate personal AWS credentials."),
        key(SECRET_ACCESS_KEY, Password, D::Null, "The secret access key used to authenticate personal AWS credentials."),
        key(SSEA_NAME, String, v(""), "The S3 Server Side Encryption Algorithm.")
            .validator(one_of(&["", "AES256", "aws:kms", "aws:kms:dsse"])),
        key(SSE_CUSTOMER_KEY, Password, D::Null, "The S3 Server Side Encryption Customer-Provided Key (SSE-C)."),
        key(SSE_KMS_KEY_ID, String, v(""), "The name of the AWS Key Management Service (AWS-KMS) key to be used for server side encryption."),
        key(ACL_CANNED, String, D::Null, "An S3 canned ACL header value to apply when writing objects.")
            .validator(Validator::Custom(std::sync::Arc::new(|k, val| match val {
                rconnect_sdk::config::ConfigValue::String(s) if !CANNED_ACLS.contains(&s.as_str()) => Err(format!(
                    "Invalid value {s} for configuration {k}: String must be one of: {}",
                    CANNED_ACLS.join(", ")
                )),
                _ => Ok(()),
            }))),
        key(WAN_MODE, Boolean, v("false"), "Use S3 accelerated endpoint."),
        key(PATH_STYLE, Boolean, v("true"), "Specifies whether or not to enable path style access to the bucket used by the connector"),
        key(COMPRESSION_TYPE, String, v("none"), "Compression type for files written to S3.")
            .validator(one_of(&["none", "gzip"])),
        key(COMPRESSION_LEVEL, Int, v("-1"), "Compression level for gzip (-1 = default, 0-9).")
            .validator(Validator::between(-1.0, 9.0)),
        key(PART_RETRIES, Int, v("3"), "Maximum number of retry attempts for failed requests.")
            .validator(Validator::at_least(0.0)),
        key(S3_RETRY_BACKOFF_MS, Long, v("200"), "How long to wait in milliseconds before attempting the first retry of a failed S3 request.")
            .validator(Validator::at_least(0.0)),
        key("s3.http.send.expect.continue", Boolean, v("true"), "Enable/disable use of the HTTP/1.1 handshake using EXPECT: 100-CONTINUE during multi-part upload."),
        key(PROXY_URL, String, v(""), "S3 Proxy settings encoded in URL syntax."),
        key("s3.proxy.user", String, D::Null, "S3 Proxy User."),
        key("s3.proxy.password", Password, D::Null, "S3 Proxy Password."),
        key(SEND_DIGEST, Boolean, v("false"), "Enable or disable sending MD5 digest with S3 multipart upload request."),
        key(OBJECT_TAGGING, Boolean, v("false"), "Tag S3 objects with start and end offsets, as well as record count."),
        key(OBJECT_TAGGING_PAIRS, List, v(""), "Additional S3 tag key value pairs (key:value)."),
        key(TAGGING_ERROR, String, v("ignore"), "How to handle S3 object tagging error.")
            .validator(one_of_ci(&["ignore", "fail"])),
        key("s3.elastic.buffer.enable", Boolean, v("false"), "Grow the part buffer on demand."),
        key("s3.elastic.buffer.init.capacity", Int, v("131072"), "Initial capacity of the elastic buffer.")
            .validator(Validator::at_least(4096.0)),
        key(BYTEARRAY_EXTENSION, String, v(".bin"), "Output file extension for ByteArrayFormat."),
        key(BYTEARRAY_SEPARATOR, String, D::Null, "String inserted between records for ByteArrayFormat (defaults to the line separator)."),
        key(JSON_DECIMAL_FORMAT, String, v("BASE64"), "Controls which format json converter will serialize decimals in.")
            .validator(one_of_ci(&["BASE64", "NUMERIC"])),
        key(BEHAVIOR_ON_NULL_VALUES, String, v("fail"), "How to handle records with a null value (i.e. Kafka tombstone records).")
            .validator(one_of_ci(&["fail", "ignore", "write"])),
        key("report.null.values.to.dlq", Boolean, v("true"), "Whether ignored null values go to the DLQ."),
        key("tombstone.encoded.partition", String, v("tombstone"), "Output S3 folder to write the tombstone records to."),
        key("max.write.duration.ms", Long, D::Value(long_max), "Maximum time in a put call.")
            .validator(Validator::at_least(1.0)),
        key(ROTATE_ON_PARTITION_CHANGE, Boolean, v("true"), "Rotate files when the encoded partition changes (with rotate.interval.ms)."),
        key(SCHEMA_AFFIX, String, v("NONE"), "Append the record schema name to the partition path.")
            .validator(one_of(&["NONE", "PREFIX", "SUFFIX"])),
        key("enable.conditional.writes", Boolean, v("true"), "Write objects with If-None-Match (with scheduled rotation)."),
        key("max.files.scan.limit", Int, v("100"), "Maximum files scanned after a conditional write conflict."),
        key(PARTITIONER_MAX_OPEN_FILES, Int, v("-1"), "Maximum number of open files per partition (-1 = unlimited)."),
        key(STORE_KAFKA_KEYS, Boolean, v("false"), "Enable or disable writing keys to storage."),
        key(STORE_KAFKA_HEADERS, Boolean, v("false"), "Enable or disable writing headers to storage."),
        key("keys.format.class", Class, v(AVRO_FORMAT), "The format class to use when writing keys to the store."),
        key("headers.format.class", Class, v(AVRO_FORMAT), "The format class to use when writing headers to the store."),
        // PartitionerConfig
        key(PARTITIONER_CLASS, Class, v(crate::partitioner::DEFAULT_PARTITIONER), "The partitioner to use when writing data to the store."),
        key(PARTITION_FIELD_NAME, List, v(""), "The name of the partitioning field when FieldPartitioner is used."),
        key(PARTITION_DURATION_MS, Long, v("-1"), "The duration of a partition milliseconds used by TimeBasedPartitioner."),
        key(PATH_FORMAT, String, v(""), "The Joda-Time pattern of the partition directories used by TimeBasedPartitioner."),
        key(LOCALE, String, v(""), "The locale to use when partitioning with TimeBasedPartitioner."),
        key(TIMEZONE, String, v(""), "The timezone to use when partitioning with TimeBasedPartitioner."),
        key(TIMESTAMP_EXTRACTOR, String, v("Wallclock"), "The extractor that gets the timestamp for records when partitioning with TimeBasedPartitioner."),
        key(TIMESTAMP_FIELD, String, v("timestamp"), "The record field to be used as timestamp by the timestamp extractor."),
    ];
    defs.into_iter().fold(ConfigDef::new(), ConfigDef::define)
}

/// `CannedAccessControlList` values of the AWS SDK.
const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "log-delivery-write",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "aws-exec-read",
];

/// The value file's format.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    /// `JsonFormat`; `decimal_numeric` is `json.decimal.format=NUMERIC`.
    Json { decimal_numeric: bool },
    /// `ByteArrayFormat`.
    ByteArray {
        extension: String,
        separator: Vec<u8>,
    },
    /// `AvroFormat`: Avro object container files, the schema from the record's Connect
    /// schema through Confluent's `AvroData` (`enhanced.avro.schema.support`,
    /// `connect.meta.data`, `allow.optional.map.keys`).
    Avro {
        codec: AvroCodec,
        data: rconnect_avro::data::AvroDataConfig,
    },
}

/// `avro.codec`: how the blocks of an Avro container file are compressed (Avro
/// `CodecFactory.fromString`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvroCodec {
    Null,
    /// Raw deflate at zlib's default level, as Avro's `DeflateCodec` with
    /// `DEFAULT_DEFLATE_LEVEL`.
    Deflate,
    /// Snappy with the CRC-32 of the uncompressed block appended (Avro `SnappyCodec`).
    Snappy,
}

impl AvroCodec {
    /// The name written in the file's `avro.codec` metadata.
    pub fn name(self) -> &'static str {
        match self {
            AvroCodec::Null => "null",
            AvroCodec::Deflate => "deflate",
            AvroCodec::Snappy => "snappy",
        }
    }
}

/// `behavior.on.null.values`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullBehavior {
    Fail,
    Ignore,
}

/// Where credentials come from (`s3.credentials.provider.class`, or the static keys).
#[derive(Debug, Clone, PartialEq)]
pub enum CredentialsSource {
    /// `aws.access.key.id` / `aws.secret.access.key`.
    Static { access_key: String, secret: String },
    /// The default chain: environment, then the shared credentials/config files.
    DefaultChain,
    /// Only `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (+`AWS_SESSION_TOKEN`).
    Environment,
    /// Only the shared credentials/config files.
    Profile,
    /// Unsigned requests.
    Anonymous,
}

/// Server-side encryption of uploaded objects.
#[derive(Debug, Clone, PartialEq)]
pub enum Sse {
    None,
    /// SSE-S3 (`AES256`, no customer key) or SSE-KMS / DSSE-KMS with an optional key id.
    Managed {
        algorithm: String,
        kms_key_id: Option<String>,
    },
    /// SSE-C: `AES256` with `s3.sse.customer.key` (base64 of 32 bytes).
    Customer {
        key_base64: String,
    },
}

/// Everything the task needs, parsed and checked.
#[derive(Debug, Clone)]
pub struct S3SinkConfig {
    pub bucket: String,
    pub region: String,
    pub endpoint: Option<String>,
    pub path_style: bool,
    pub wan_mode: bool,
    pub part_size: usize,
    pub part_retries: u32,
    pub s3_retry_backoff_ms: u64,
    pub retry_backoff_ms: u64,
    pub credentials: CredentialsSource,
    pub sse: Sse,
    pub acl: Option<String>,
    pub send_digest: bool,
    pub gzip: Option<u32>,
    pub topics_dir: String,
    pub directory_delim: String,
    pub file_delim: String,
    pub zero_pad_width: usize,
    pub flush_size: u64,
    pub rotate_interval_ms: i64,
    pub rotate_schedule_interval_ms: i64,
    pub format: Format,
    pub null_behavior: NullBehavior,
    pub partitioner: PartitionerConfig,
    pub object_tagging: bool,
    pub extra_tags: Vec<(String, String)>,
    pub fail_on_tagging_error: bool,
    pub rotate_on_partition_change: bool,
    /// The zone of `timezone`, for scheduled rotation.
    pub schedule_zone: Option<jiff::tz::TimeZone>,
}

/// Credential provider class names users have in their configs (AWS SDK v1 and v2), and
/// what rconnect does for each.
fn credentials_from_class(class: &str) -> Result<CredentialsSource, String> {
    let simple = class.rsplit('.').next().unwrap_or(class);
    match simple {
        "DefaultCredentialsProvider" | "DefaultAWSCredentialsProviderChain" => {
            Ok(CredentialsSource::DefaultChain)
        }
        "EnvironmentVariableCredentialsProvider" => Ok(CredentialsSource::Environment),
        "ProfileCredentialsProvider" => Ok(CredentialsSource::Profile),
        "AnonymousCredentialsProvider" | "AnonymousAWSCredentials" => {
            Ok(CredentialsSource::Anonymous)
        }
        _ => Err(format!(
            "Invalid value {class} for configuration {CREDENTIALS_PROVIDER_CLASS}: rconnect supports \
             DefaultCredentialsProvider / DefaultAWSCredentialsProviderChain (environment, then \
             ~/.aws/credentials and ~/.aws/config), EnvironmentVariableCredentialsProvider, \
             ProfileCredentialsProvider and AnonymousCredentialsProvider, or static keys in \
             {ACCESS_KEY_ID}/{SECRET_ACCESS_KEY}"
        )),
    }
}

fn non_blank(p: &ParsedConfig, k: &str) -> Option<String> {
    p.string(k)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl S3SinkConfig {
    /// Parses `props`, failing with the first problem (a `ConfigException`).
    pub fn parse(props: &Props) -> ConnectResult<S3SinkConfig> {
        let p = config_def().parse(props)?;
        let errors = cross_checks(props, &p);
        if let Some((_, e)) = errors.into_iter().next() {
            return Err(ConnectError::config(e));
        }
        build(props, &p).map_err(ConnectError::config)
    }
}

/// Checks spanning several keys, or values the ConfigDef validators cannot see, as
/// `(key, message)`.
fn cross_checks(props: &Props, p: &ParsedConfig) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    let mut err = |k: &str, m: String| errs.push((k.to_string(), m));
    let storage = p.string(STORAGE_CLASS).unwrap_or("");
    if storage != S3_STORAGE_CLASS && storage.rsplit('.').next() != Some("S3Storage") {
        err(
            STORAGE_CLASS,
            format!("Invalid value {storage} for configuration {STORAGE_CLASS}: must be {S3_STORAGE_CLASS}"),
        );
    }
    let format = p.string(FORMAT_CLASS).unwrap_or("");
    match format_simple(format) {
        Some("JsonFormat") | Some("ByteArrayFormat") | Some("AvroFormat") => {}
        Some(f @ "ParquetFormat") => err(
            FORMAT_CLASS,
            format!("Invalid value {format} for configuration {FORMAT_CLASS}: {f} is not supported by rconnect's S3 sink yet; use JsonFormat, AvroFormat or ByteArrayFormat"),
        ),
        _ => err(
            FORMAT_CLASS,
            format!("Invalid value {format} for configuration {FORMAT_CLASS}: unknown format; rconnect's S3 sink writes {JSON_FORMAT}, {AVRO_FORMAT} and {BYTEARRAY_FORMAT}"),
        ),
    }
    if format_simple(format) == Some("AvroFormat") && p.string(AVRO_CODEC) == Some("bzip2") {
        err(
            AVRO_CODEC,
            format!("Invalid value bzip2 for configuration {AVRO_CODEC}: rconnect's S3 sink writes Avro files with the null, deflate or snappy codec"),
        );
    }
    if p.boolean(STORE_KAFKA_KEYS) == Some(true) || p.boolean(STORE_KAFKA_HEADERS) == Some(true) {
        let k = if p.boolean(STORE_KAFKA_KEYS) == Some(true) {
            STORE_KAFKA_KEYS
        } else {
            STORE_KAFKA_HEADERS
        };
        err(k, format!("Invalid value true for configuration {k}: writing keys and headers files is not supported by rconnect's S3 sink yet"));
    }
    if p.string(BEHAVIOR_ON_NULL_VALUES)
        .is_some_and(|b| b.eq_ignore_ascii_case("write"))
    {
        err(BEHAVIOR_ON_NULL_VALUES, format!(
            "Invalid value write for configuration {BEHAVIOR_ON_NULL_VALUES}: `write` requires {STORE_KAFKA_KEYS}=true, which rconnect's S3 sink does not support yet"
        ));
    }
    if p.boolean(WAN_MODE) == Some(true) && p.boolean(PATH_STYLE) == Some(true) {
        err(WAN_MODE, format!("{WAN_MODE} cannot be enabled together with {PATH_STYLE}: S3 Transfer Acceleration needs virtual-hosted-style addressing"));
    }
    if p.string(COMPRESSION_TYPE) == Some("gzip")
        && format_simple(format).is_some_and(|f| f != "JsonFormat" && f != "ByteArrayFormat")
    {
        err(
            COMPRESSION_TYPE,
            format!(
                "{COMPRESSION_TYPE}=gzip is only supported with JsonFormat and ByteArrayFormat"
            ),
        );
    }
    if let Some(c) = p.string(SCHEMA_COMPATIBILITY) {
        if ["BACKWARD", "FORWARD", "FULL"]
            .iter()
            .any(|m| c.eq_ignore_ascii_case(m))
        {
            err(SCHEMA_COMPATIBILITY, format!(
                "Invalid value {c} for configuration {SCHEMA_COMPATIBILITY}: schema projection is not supported by rconnect's S3 sink yet; use NONE (a new file at every schema change)"
            ));
        }
    }
    if p.int(ZERO_PAD_WIDTH) == Some(0) {
        // Java accepts 0 but its file-name format string `%00d` then fails at the first file.
        err(
            ZERO_PAD_WIDTH,
            format!("Invalid value 0 for configuration {ZERO_PAD_WIDTH}: Value must be at least 1"),
        );
    }
    if let Some(class) = p.string(CREDENTIALS_PROVIDER_CLASS) {
        let has_static =
            non_blank(p, ACCESS_KEY_ID).is_some() && non_blank(p, SECRET_ACCESS_KEY).is_some();
        if !has_static {
            if let Err(e) = credentials_from_class(class) {
                err(CREDENTIALS_PROVIDER_CLASS, e);
            }
        }
    }
    if non_blank(p, PROXY_URL).is_some() {
        err(
            PROXY_URL,
            format!("{PROXY_URL} is not supported by rconnect's S3 sink yet"),
        );
    }
    match p.string(SSEA_NAME).unwrap_or("") {
        "AES256" | "" => {}
        _ if non_blank(p, SSE_CUSTOMER_KEY).is_some() => err(
            SSE_CUSTOMER_KEY,
            format!("{SSE_CUSTOMER_KEY} (SSE-C) requires {SSEA_NAME}=AES256"),
        ),
        _ => {}
    }
    for pair in p.list(OBJECT_TAGGING_PAIRS).unwrap_or(&[]) {
        if pair.split(':').count() != 2 {
            err(OBJECT_TAGGING_PAIRS, format!("Invalid value {pair} for configuration {OBJECT_TAGGING_PAIRS}: tags must be key:value"));
        }
    }
    if p.int(PARTITIONER_MAX_OPEN_FILES)
        .is_some_and(|n| n != -1 && n < 1)
    {
        err(PARTITIONER_MAX_OPEN_FILES, format!("Invalid value for configuration {PARTITIONER_MAX_OPEN_FILES}: must be -1 or at least 1"));
    }
    if let Err((k, e)) = PartitionerConfig::from_config(props, p) {
        err(&k, e);
    }
    let schedule = p.long(ROTATE_SCHEDULE_INTERVAL_MS).unwrap_or(-1);
    if schedule > 0 && non_blank(p, TIMEZONE).is_none() {
        err(TIMEZONE, format!("{ROTATE_SCHEDULE_INTERVAL_MS} is set but {TIMEZONE} is not: scheduled rotation needs a timezone"));
    }
    errs
}

fn format_simple(class: &str) -> Option<&str> {
    let simple = class.rsplit('.').next()?;
    matches!(
        simple,
        "JsonFormat" | "ByteArrayFormat" | "AvroFormat" | "ParquetFormat"
    )
    .then_some(simple)
}

fn build(props: &Props, p: &ParsedConfig) -> Result<S3SinkConfig, String> {
    let access = non_blank(p, ACCESS_KEY_ID);
    let secret = non_blank(p, SECRET_ACCESS_KEY);
    let credentials = match (access, secret) {
        (Some(access_key), Some(secret)) => CredentialsSource::Static { access_key, secret },
        _ => credentials_from_class(
            p.string(CREDENTIALS_PROVIDER_CLASS)
                .unwrap_or("DefaultCredentialsProvider"),
        )?,
    };
    let format = match format_simple(p.string(FORMAT_CLASS).unwrap_or("")) {
        Some("ByteArrayFormat") => Format::ByteArray {
            extension: p.string(BYTEARRAY_EXTENSION).unwrap_or(".bin").to_string(),
            // Java reads the separator from the original, untrimmed value.
            separator: props
                .get(BYTEARRAY_SEPARATOR)
                .map(|s| s.as_bytes().to_vec())
                .unwrap_or_else(|| b"\n".to_vec()),
        },
        Some("AvroFormat") => Format::Avro {
            codec: match p.string(AVRO_CODEC).unwrap_or("null") {
                "deflate" => AvroCodec::Deflate,
                "snappy" => AvroCodec::Snappy,
                _ => AvroCodec::Null,
            },
            // Java `StorageSinkConnectorConfig#avroDataConfig`: the Avro keys of the
            // connector config, with the connector's defaults (enhanced support on).
            data: rconnect_avro::data::AvroDataConfig {
                connect_meta_data: p.boolean("connect.meta.data").unwrap_or(true),
                enhanced_schema_support: p.boolean("enhanced.avro.schema.support").unwrap_or(true),
                allow_optional_map_keys: p.boolean("allow.optional.map.keys").unwrap_or(false),
                schemas_cache_size: p.int("schemas.cache.config").unwrap_or(1000).max(0) as usize,
                ..Default::default()
            },
        },
        _ => Format::Json {
            decimal_numeric: p
                .string(JSON_DECIMAL_FORMAT)
                .is_some_and(|f| f.eq_ignore_ascii_case("NUMERIC")),
        },
    };
    let sse = match (
        p.string(SSEA_NAME).unwrap_or(""),
        non_blank(p, SSE_CUSTOMER_KEY),
    ) {
        ("", _) => Sse::None,
        ("AES256", Some(key_base64)) => Sse::Customer { key_base64 },
        (alg, _) => Sse::Managed {
            algorithm: alg.to_string(),
            kms_key_id: non_blank(p, SSE_KMS_KEY_ID),
        },
    };
    let endpoint = non_blank(p, STORE_URL).map(|u| {
        // SDK v2 builds of the Java connector prepend https:// when the URL has no scheme.
        if u.contains("://") {
            u
        } else {
            format!("https://{u}")
        }
    });
    let partitioner = PartitionerConfig::from_config(props, p).map_err(|(_, e)| e)?;
    let schedule_zone = match non_blank(p, TIMEZONE) {
        Some(z) => Some(
            crate::partitioner::parse_zone(&z)
                .map_err(|e| format!("Invalid value {z} for configuration {TIMEZONE}: {e}"))?,
        ),
        None => None,
    };
    Ok(S3SinkConfig {
        bucket: p.string(BUCKET).unwrap_or_default().to_string(),
        region: p.string(REGION).unwrap_or("us-west-2").trim().to_string(),
        endpoint,
        path_style: p.boolean(PATH_STYLE).unwrap_or(true),
        wan_mode: p.boolean(WAN_MODE).unwrap_or(false),
        part_size: p.int(PART_SIZE).unwrap_or(26214400) as usize,
        part_retries: p.int(PART_RETRIES).unwrap_or(3) as u32,
        s3_retry_backoff_ms: p.long(S3_RETRY_BACKOFF_MS).unwrap_or(200) as u64,
        retry_backoff_ms: p.long(RETRY_BACKOFF_MS).unwrap_or(5000) as u64,
        credentials,
        sse,
        acl: non_blank(p, ACL_CANNED),
        send_digest: p.boolean(SEND_DIGEST).unwrap_or(false),
        gzip: (p.string(COMPRESSION_TYPE) == Some("gzip")).then(|| {
            match p.int(COMPRESSION_LEVEL) {
                Some(l) if l >= 0 => l as u32,
                _ => 6,
            }
        }),
        topics_dir: p.string(TOPICS_DIR).unwrap_or("topics").to_string(),
        directory_delim: p.string(DIRECTORY_DELIM).unwrap_or("/").to_string(),
        file_delim: p.string(FILE_DELIM).unwrap_or("+").to_string(),
        zero_pad_width: p.int(ZERO_PAD_WIDTH).unwrap_or(10).max(1) as usize,
        flush_size: p.int(FLUSH_SIZE).unwrap_or(1).max(1) as u64,
        rotate_interval_ms: p.long(ROTATE_INTERVAL_MS).unwrap_or(-1),
        rotate_schedule_interval_ms: p.long(ROTATE_SCHEDULE_INTERVAL_MS).unwrap_or(-1),
        format,
        null_behavior: match p.string(BEHAVIOR_ON_NULL_VALUES) {
            Some(b) if b.eq_ignore_ascii_case("ignore") => NullBehavior::Ignore,
            _ => NullBehavior::Fail,
        },
        partitioner,
        object_tagging: p.boolean(OBJECT_TAGGING).unwrap_or(false),
        extra_tags: p
            .list(OBJECT_TAGGING_PAIRS)
            .unwrap_or(&[])
            .iter()
            .filter_map(|t| t.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect(),
        rotate_on_partition_change: p.boolean(ROTATE_ON_PARTITION_CHANGE).unwrap_or(true),
        fail_on_tagging_error: p
            .string(TAGGING_ERROR)
            .is_some_and(|b| b.eq_ignore_ascii_case("fail")),
        schedule_zone,
    })
}

/// Java `S3SinkConnector#validate`: the ConfigDef's per-key checks plus the checks
/// spanning keys, each reported on the key it concerns.
pub fn validate(props: &Props) -> Vec<ConfigValueReport> {
    let def = config_def();
    let mut reports = def.validate(props);
    if reports.iter().any(|r| !r.errors.is_empty()) {
        return reports;
    }
    let Ok(p) = def.parse(props) else {
        return reports;
    };
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, e) in cross_checks(props, &p) {
        by_key.entry(k).or_default().push(e);
    }
    for r in &mut reports {
        if let Some(errs) = by_key.remove(&r.name) {
            r.errors.extend(errs);
        }
    }
    reports
}

/// The partitioner-related part of the config, for [`PartitionerConfig::from_config`].
pub(crate) fn time_config(p: &ParsedConfig) -> TimeConfig {
    TimeConfig {
        duration_ms: p.long(PARTITION_DURATION_MS).unwrap_or(-1),
        path_format: p.string(PATH_FORMAT).unwrap_or("").to_string(),
        locale: p.string(LOCALE).unwrap_or("").to_string(),
        timezone: p.string(TIMEZONE).unwrap_or("").to_string(),
        extractor: p
            .string(TIMESTAMP_EXTRACTOR)
            .unwrap_or("Wallclock")
            .to_string(),
        field: p.string(TIMESTAMP_FIELD).unwrap_or("timestamp").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Props {
        [
            ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
            (FORMAT_CLASS, JSON_FORMAT),
            (STORAGE_CLASS, S3_STORAGE_CLASS),
            (FLUSH_SIZE, "3"),
            (BUCKET, "b"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn errors(props: &Props) -> Vec<(String, Vec<String>)> {
        validate(props)
            .into_iter()
            .filter(|r| !r.errors.is_empty())
            .map(|r| (r.name, r.errors))
            .collect()
    }

    #[test]
    fn defaults_are_confluents() {
        let c = S3SinkConfig::parse(&base()).unwrap();
        assert_eq!(c.region, "us-west-2");
        assert_eq!(c.part_size, 26214400);
        assert_eq!(c.part_retries, 3);
        assert_eq!(c.s3_retry_backoff_ms, 200);
        assert_eq!(c.retry_backoff_ms, 5000);
        assert_eq!(c.topics_dir, "topics");
        assert_eq!(
            (c.directory_delim.as_str(), c.file_delim.as_str()),
            ("/", "+")
        );
        assert_eq!(c.zero_pad_width, 10);
        assert!(c.path_style);
        assert_eq!(c.credentials, CredentialsSource::DefaultChain);
        assert_eq!(
            c.format,
            Format::Json {
                decimal_numeric: false
            }
        );
        assert_eq!(c.null_behavior, NullBehavior::Fail);
        assert!(errors(&base()).is_empty());
    }

    #[test]
    fn bad_values_are_reported_on_their_key() {
        let mut p = base();
        p.insert(FORMAT_CLASS.into(), PARQUET_FORMAT.into());
        let e = errors(&p);
        assert_eq!(e[0].0, FORMAT_CLASS, "{e:?}");
        assert!(e[0].1[0].contains("not supported"), "{e:?}");

        let mut p = base();
        p.insert(FORMAT_CLASS.into(), AVRO_FORMAT.into());
        assert!(errors(&p).is_empty());
        let c = S3SinkConfig::parse(&p).unwrap();
        assert!(
            matches!(&c.format, Format::Avro { codec: AvroCodec::Null, data } if data.enhanced_schema_support && data.connect_meta_data),
            "{:?}",
            c.format
        );
        p.insert(AVRO_CODEC.into(), "bzip2".into());
        let e = errors(&p);
        assert_eq!(e[0].0, AVRO_CODEC, "{e:?}");
        p.insert(AVRO_CODEC.into(), "snappy".into());
        assert!(matches!(
            S3SinkConfig::parse(&p).unwrap().format,
            Format::Avro {
                codec: AvroCodec::Snappy,
                ..
            }
        ));

        let mut p = base();
        p.insert(PART_SIZE.into(), "1000".into());
        assert_eq!(
            errors(&p)[0].1[0],
            "Invalid value 1000 for configuration s3.part.size: Value must be at least 5242880"
        );

        let mut p = base();
        p.remove(BUCKET);
        assert_eq!(errors(&p)[0].0, BUCKET);

        let mut p = base();
        p.insert(CREDENTIALS_PROVIDER_CLASS.into(), "com.example.Mine".into());
        assert_eq!(errors(&p)[0].0, CREDENTIALS_PROVIDER_CLASS);
        // Static keys win over the provider class, as in Java.
        p.insert(ACCESS_KEY_ID.into(), "AK".into());
        p.insert(SECRET_ACCESS_KEY.into(), "SK".into());
        assert!(errors(&p).is_empty());
        assert!(matches!(
            S3SinkConfig::parse(&p).unwrap().credentials,
            CredentialsSource::Static { .. }
        ));

        let mut p = base();
        p.insert(WAN_MODE.into(), "true".into());
        assert_eq!(errors(&p)[0].0, WAN_MODE);

        let mut p = base();
        p.insert(ROTATE_SCHEDULE_INTERVAL_MS.into(), "1000".into());
        assert_eq!(errors(&p)[0].0, TIMEZONE);
    }

    #[test]
    fn provider_class_names_of_both_sdks() {
        for (class, want) in [
            (
                "com.amazonaws.auth.DefaultAWSCredentialsProviderChain",
                CredentialsSource::DefaultChain,
            ),
            (
                "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider",
                CredentialsSource::Environment,
            ),
            (
                "com.amazonaws.auth.profile.ProfileCredentialsProvider",
                CredentialsSource::Profile,
            ),
            (
                "software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider",
                CredentialsSource::Anonymous,
            ),
        ] {
            assert_eq!(credentials_from_class(class).unwrap(), want);
        }
        assert!(credentials_from_class(
            "io.confluent.connect.s3.auth.AwsAssumeRoleCredentialsProvider"
        )
        .is_err());
    }

    #[test]
    fn bytearray_separator_is_raw_and_store_url_gets_a_scheme() {
        let mut p = base();
        p.insert(FORMAT_CLASS.into(), BYTEARRAY_FORMAT.into());
        p.insert(BYTEARRAY_SEPARATOR.into(), " |\n".into());
        p.insert(STORE_URL.into(), "minio.local:9000".into());
        let c = S3SinkConfig::parse(&p).unwrap();
        assert_eq!(
            c.format,
            Format::ByteArray {
                extension: ".bin".into(),
                separator: b" |\n".to_vec()
            }
        );
        assert_eq!(c.endpoint.as_deref(), Some("https://minio.local:9000"));
    }
}
