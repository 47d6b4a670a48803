//! The connector's configuration keys (Java `JdbcSourceConnectorConfig`,
//! `JdbcSourceTaskConfig`) and the checks Java's `JdbcSourceConnectorValidation` makes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Default as D, Importance, ParsedConfig,
    Validator, Width,
};
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::db::{ConnectSettings, Isolation};
use crate::dialect::{Dialect, Mode, QuoteMethod};
use crate::types::{Granularity, NumericMapping};
use crate::url::{DbKind, JdbcUrl};

pub const CONNECTION_URL: &str = "connection.url";
pub const CONNECTION_USER: &str = "connection.user";
pub const CONNECTION_PASSWORD: &str = "connection.password";
pub const CREDENTIALS_PROVIDER_CLASS: &str = "jdbc.credentials.provider.class";
pub const CONNECTION_ATTEMPTS: &str = "connection.attempts";
pub const CONNECTION_BACKOFF: &str = "connection.backoff.ms";
pub const TABLE_WHITELIST: &str = "table.whitelist";
pub const TABLE_BLACKLIST: &str = "table.blacklist";
pub const TABLE_INCLUDE_LIST: &str = "table.include.list";
pub const TABLE_EXCLUDE_LIST: &str = "table.exclude.list";
pub const CATALOG_PATTERN: &str = "catalog.pattern";
pub const SCHEMA_PATTERN: &str = "schema.pattern";
pub const NUMERIC_PRECISION_MAPPING: &str = "numeric.precision.mapping";
pub const NUMERIC_MAPPING: &str = "numeric.mapping";
pub const DIALECT_NAME: &str = "dialect.name";
pub const DATE_CALENDAR_SYSTEM: &str = "date.calendar.system";
pub const MODE: &str = "mode";
pub const INCREMENTING_COLUMN_NAME: &str = "incrementing.column.name";
pub const TIMESTAMP_COLUMN_NAME: &str = "timestamp.column.name";
pub const TIMESTAMP_COLUMNS_MAPPING: &str = "timestamp.columns.mapping";
pub const INCREMENTING_COLUMN_MAPPING: &str = "incrementing.column.mapping";
pub const TIMESTAMP_INITIAL: &str = "timestamp.initial";
pub const VALIDATE_NON_NULL: &str = "validate.non.null";
pub const QUERY: &str = "query";
pub const QUERY_MASKED: &str = "query.masked";
pub const QUOTE_SQL_IDENTIFIERS: &str = "quote.sql.identifiers";
pub const QUERY_SUFFIX: &str = "query.suffix";
pub const TRANSACTION_ISOLATION_MODE: &str = "transaction.isolation.mode";
pub const QUERY_RETRY_ATTEMPTS: &str = "query.retry.attempts";
pub const TABLE_TYPES: &str = "table.types";
pub const POLL_INTERVAL_MS: &str = "poll.interval.ms";
pub const BATCH_MAX_ROWS: &str = "batch.max.rows";
pub const MAX_BUFFER_SIZE: &str = "max.buffer.size";
pub const POLL_LINGER_MS: &str = "poll.linger.ms";
pub const TABLE_MONITORING_STARTUP_POLLING_LIMIT_MS: &str =
    "table.monitoring.startup.polling.limit.ms";
pub const TABLE_POLL_INTERVAL_MS: &str = "table.poll.interval.ms";
pub const TOPIC_PREFIX: &str = "topic.prefix";
pub const TIMESTAMP_DELAY_INTERVAL_MS: &str = "timestamp.delay.interval.ms";
pub const DB_TIMEZONE: &str = "db.timezone";
pub const TIMESTAMP_GRANULARITY: &str = "timestamp.granularity";
/// Task-only: the task's tables as quoted FQNs.
pub const TABLES: &str = "tables";
/// Task-only: whether the connector had fetched the table list.
pub const TABLES_FETCHED: &str = "tables.fetched";

const DATABASE_GROUP: &str = "Database";
const MODE_GROUP: &str = "Mode";
const CONNECTOR_GROUP: &str = "Connector";

const DEFAULT_CREDENTIALS_PROVIDER: &str =
    "io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider";

fn custom(
    f: impl Fn(&str, &ConfigValue) -> Result<(), String> + Send + Sync + 'static,
) -> Validator {
    Validator::Custom(Arc::new(f))
}

fn regex_list_validator() -> Validator {
    custom(|name, v| {
        if let ConfigValue::List(l) = v {
            for r in l {
                if let Err(e) = regex::Regex::new(&format!("^(?:{})$", r.trim())) {
                    return Err(format!(
                        "Invalid value {} for configuration {name}: Must be a valid comma-separated list of regular expression patterns: {e}",
                        l.join(",")
                    ));
                }
            }
        }
        Ok(())
    })
}

fn mapping_validator(multi: bool) -> Validator {
    custom(move |name, v| {
        let ConfigValue::List(l) = v else {
            return Ok(());
        };
        for m in l {
            let m = m.trim();
            let parts: Vec<&str> = m.split(':').collect();
            if parts.len() != 2 {
                let expected = if multi {
                    "Invalid format. Expected 'regex:[col1|col2|...]'"
                } else {
                    "Invalid format. Expected 'regex:columnName'"
                };
                return Err(format!(
                    "Invalid value {m} for configuration {name}: {expected}"
                ));
            }
            let regex = parts[0].trim();
            if let Err(e) = regex::Regex::new(regex) {
                return Err(format!(
                    "Invalid value {regex} for configuration {name}: Invalid regular expression: {e}"
                ));
            }
            let cols = parts[1].trim();
            if multi {
                if !cols.starts_with('[') || !cols.ends_with(']') || cols.len() < 2 {
                    return Err(format!("Invalid value {cols} for configuration {name}: Columns list must be enclosed in square brackets"));
                }
                let inner = &cols[1..cols.len() - 1];
                if inner.trim().is_empty() {
                    return Err(format!(
                        "Invalid value {cols} for configuration {name}: Columns list cannot be empty"
                    ));
                }
                if inner.split('|').any(|c| c.trim().is_empty()) {
                    return Err(format!("Invalid value {cols} for configuration {name}: Every column name should be non-empty string"));
                }
            } else if cols.is_empty() {
                return Err(format!(
                    "Invalid value {cols} for configuration {name}: Column name cannot be empty"
                ));
            }
        }
        Ok(())
    })
}

// The shape of Java's 9-argument `ConfigDef#define`, so the definitions read like Java's.
#[allow(clippy::too_many_arguments)]
fn key(
    name: &str,
    t: ConfigType,
    d: D,
    imp: Importance,
    doc: &str,
    group: &str,
    order: i32,
    width: Width,
    display: &str,
) -> ConfigKey {
    ConfigKey::new(name, t, d, imp, doc).group(group, order, width, display)
}

fn s(v: &str) -> D {
    D::Value(v.to_string())
}

/// The source connector's keys, in Java's order (Java `JdbcSourceConnectorConfig.CONFIG_DEF`).
pub fn config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    let mode_dependents = |k: ConfigKey| k;
    ConfigDef::new()
        .define({
            let mut k = key(CONNECTION_URL, String, s(""), High,
                "JDBC connection URL.\nFor example: ``jdbc:oracle:thin:@localhost:1521:orclpdb1``, ``jdbc:mysql://localhost/db_name``, ``jdbc:sqlserver://localhost;instance=SQLEXPRESS;databaseName=db_name``\nFor SQL Server (Driver 10.2.4+) - TLS encryption is recommended.Use ``encrypt=true;trustServerCertificate=false`` for secure connections, In order to bypass certificate validation (not recommended for production), use ``encrypt=true;trustServerCertificate=true`` and in order to disable  TLS encryption entirely, use ``encrypt=false`` (not recommended for production).",
                DATABASE_GROUP, 1, Width::Long, "JDBC URL");
            k.dependents = vec![TABLE_WHITELIST.into(), TABLE_BLACKLIST.into()];
            k
        })
        .define(key(CONNECTION_USER, String, D::Null, High, "JDBC connection user.", DATABASE_GROUP, 2, Width::Long, "JDBC User"))
        .define(key(CONNECTION_PASSWORD, Password, D::Null, High, "JDBC connection password.", DATABASE_GROUP, 3, Width::Short, "JDBC Password"))
        .define(key(CREDENTIALS_PROVIDER_CLASS, Class, s(DEFAULT_CREDENTIALS_PROVIDER), Low,
            "Credentials provider or provider chain to use for authentication to database. By default the connector uses ``io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider``.",
            DATABASE_GROUP, 4, Width::Long, "JDBC Credentials Provider Class")
            .validator(custom(|name, v| match v {
                ConfigValue::Class(c) | ConfigValue::String(c) if c == DEFAULT_CREDENTIALS_PROVIDER => Ok(()),
                ConfigValue::Null => Ok(()),
                other => Err(format!(
                    "Invalid value {} for configuration {name}: rconnect's built-in JDBC source only supports {DEFAULT_CREDENTIALS_PROVIDER} (connection.user / connection.password)",
                    other.to_rest_string().unwrap_or_default()
                )),
            })))
        .define(key(CONNECTION_ATTEMPTS, Int, s("3"), Low, "Maximum number of attempts to retrieve a valid JDBC connection. Must be a positive integer.", DATABASE_GROUP, 5, Width::Short, "JDBC connection attempts")
            .validator(Validator::at_least(1.0)))
        .define(key(CONNECTION_BACKOFF, Long, s("10000"), Low, "Backoff time in milliseconds between connection attempts.", DATABASE_GROUP, 6, Width::Short, "JDBC connection backoff in milliseconds"))
        .define(key(TABLE_WHITELIST, List, s(""), Medium, "List of tables to include in copying. If specified, ``table.blacklist`` may not be set. Use a comma-separated list to specify multiple tables (for example, ``table.whitelist: \"User, Address, Email\"``).", DATABASE_GROUP, 7, Width::Long, "Table Whitelist"))
        .define(key(TABLE_BLACKLIST, List, s(""), Medium, "List of tables to exclude from copying. If specified, ``table.whitelist`` may not be set. Use a comma-separated list to specify multiple tables (for example, ``table.blacklist: \"User, Address, Email\"``).", DATABASE_GROUP, 8, Width::Long, "Table Blacklist"))
        .define(key(TABLE_INCLUDE_LIST, List, s(""), Medium, "A comma-separated list of regular expressions that match the fully-qualified names of tables to be copied. Use a comma-separated list to specify multiple regular expressions. Table names are case-sensitive. For example, ``table.include.list: \"schema1.customer.*,schema2.order.*\"``. If specified, the legacy configs of ``table.whitelist``, and ``table.blacklist`` cannot be set.", DATABASE_GROUP, 9, Width::Long, "Tables Included (Regex)")
            .validator(regex_list_validator()))
        .define(key(TABLE_EXCLUDE_LIST, List, s(""), Medium, "A comma-separated list of regular expressions that match the fully-qualified names of tables not to be copied. This only applies to tables that match the include list. REQUIRES ``table.include.list`` to be specified. Use a comma-separated list to specify multiple regular expressions. Table names are case-sensitive. For example, ``table.exclude.list: \".*.temp.*,.*.staging.*\"``. If specified, ``table.whitelist`` and ``table.blacklist`` cannot not be set.", DATABASE_GROUP, 10, Width::Long, "Tables Excluded (Regex)")
            .validator(regex_list_validator()))
        .define(key(CATALOG_PATTERN, String, D::Null, Medium, "Catalog pattern to fetch table metadata from the database.\n  * ``\"\"`` retrieves those without a catalog \n  * null (default) indicates that the schema name is not used to narrow the search and that all table metadata is fetched, regardless of the catalog.", DATABASE_GROUP, 11, Width::Short, "Schema pattern"))
        .define(key(SCHEMA_PATTERN, String, D::Null, High, "Schema pattern to fetch table metadata from the database.\n  * ``\"\"`` retrieves those without a schema.\n  * null (default) indicates that the schema name is not used to narrow the search and that all table metadata is fetched, regardless of the schema.", DATABASE_GROUP, 12, Width::Short, "Schema pattern"))
        .define(key(NUMERIC_PRECISION_MAPPING, Boolean, s("false"), Low, "Whether or not to attempt mapping NUMERIC values by precision to integral types. This option is now deprecated. A future version may remove it completely. Please use ``numeric.mapping`` instead.", DATABASE_GROUP, 13, Width::Short, "Map Numeric Values By Precision (deprecated)"))
        .define(key(NUMERIC_MAPPING, String, D::Null, Low, "Map NUMERIC values by precision and optionally scale to integral or decimal types.\n  * Use ``none`` if all NUMERIC columns are to be represented by Connect's DECIMAL logical type.\n  * Use ``best_fit`` if NUMERIC columns should be cast to Connect's INT8, INT16, INT32, INT64, or FLOAT64 based upon the column's precision and scale. This option may still represent the NUMERIC value as Connect DECIMAL if it cannot be cast to a native type without losing precision. For example, a NUMERIC(20) type with precision 20 would not be able to fit in a native INT64 without overflowing and thus would be retained as DECIMAL.\n  * Use ``best_fit_eager_double`` if in addition to the properties of ``best_fit`` described above, it is desirable to always cast NUMERIC columns with scale to Connect FLOAT64 type, despite potential of loss in accuracy.\n  * Use ``precision_only`` to map NUMERIC columns based only on the column's precision assuming that column's scale is 0.\n  * The ``none`` option is the default, but may lead to serialization issues with Avro since Connect's DECIMAL type is mapped to its binary representation, and ``best_fit`` will often be preferred since it maps to the most appropriate primitive type.", DATABASE_GROUP, 14, Width::Short, "Map Numeric Values, Integral or Decimal, By Precision and Scale")
            .validator(custom(|name, v| match v {
                ConfigValue::Null => Ok(()),
                ConfigValue::String(x) if NumericMapping::parse(x).is_some() => Ok(()),
                other => Err(format!("Invalid value {} for configuration {name}: Invalid enumerator", other.to_rest_string().unwrap_or_default())),
            })))
        .define(key(DIALECT_NAME, String, s(""), Low, "The name of the database dialect that should be used for this connector. By default this is empty, and the connector automatically determines the dialect based upon the JDBC connection URL. Use this if you want to override that behavior and use a specific dialect. All properly-packaged dialects in the JDBC connector plugin can be used.", DATABASE_GROUP, 15, Width::Long, "Database Dialect")
            .validator(custom(|name, v| match v {
                ConfigValue::String(x) if x.is_empty() || dialect_kind(x).is_some() => Ok(()),
                ConfigValue::Null => Ok(()),
                other => Err(format!("Invalid value {} for configuration {name}: rconnect's JDBC source has the dialects PostgreSqlDatabaseDialect, MySqlDatabaseDialect, SqlServerDatabaseDialect", other.to_rest_string().unwrap_or_default())),
            })))
        .define(key(DATE_CALENDAR_SYSTEM, String, s("LEGACY"), Low, "The time elapsed from epoch populated in the end table topic for DATE or TIMESTAMP type columns can have two different values based upon the Calendar used to interpret it. If LEGACY is used, it will use the hybrid Gregorian/Julian calendar which was the default in the older java date time APIs. However, if 'PROLEPTIC_GREGORIAN' is used, then it will use the proleptic gregorian calendar which extends the Gregorian rules backward indefinitely and does not apply the 1582 cutover. This matches the behavior of modern Java date/time APIs (java.time). This is defaulted to LEGACY for backward compatibility. Changing this configuration on an existing connector might lead to a drift in the kafka topic record values.", DATABASE_GROUP, 16, Width::Medium, "Date Calendar System")
            .validator(Validator::ValidString(vec!["LEGACY".into(), "PROLEPTIC_GREGORIAN".into()])))
        .define(mode_dependents({
            let mut k = key(MODE, String, s(""), High, "The mode for updating a table each time it is polled. Options include:\n  * bulk: perform a bulk load of the entire table each time it is polled\n  * incrementing: use a strictly incrementing column on each table to detect only new rows. Note that this will not detect modifications or deletions of existing rows.\n  * timestamp: use a timestamp (or timestamp-like) column to detect new and modified rows. This assumes the column is updated with each write, and that values are monotonically incrementing, but not necessarily unique.\n  * timestamp+incrementing: use two columns, a timestamp column that detects new and modified rows and a strictly incrementing column which provides a globally unique ID for updates so each row can be assigned a unique stream offset.", MODE_GROUP, 1, Width::Medium, "Table Loading Mode")
                .validator(Validator::ValidString(vec!["".into(), "bulk".into(), "timestamp".into(), "incrementing".into(), "timestamp+incrementing".into()]));
            k.dependents = vec![INCREMENTING_COLUMN_NAME.into(), TIMESTAMP_COLUMN_NAME.into(), INCREMENTING_COLUMN_MAPPING.into(), TIMESTAMP_COLUMNS_MAPPING.into(), VALIDATE_NON_NULL.into()];
            k
        }))
        .define(key(INCREMENTING_COLUMN_NAME, String, s(""), Medium, "The name of the strictly incrementing column to use to detect new rows. Any empty value indicates the column should be autodetected by looking for an auto-incrementing column. This column may not be nullable.", MODE_GROUP, 2, Width::Medium, "Incrementing Column Name"))
        .define(key(TIMESTAMP_COLUMN_NAME, List, s(""), Medium, "Comma separated list of one or more timestamp columns to detect new or modified rows using the COALESCE SQL function. Rows whose first non-null timestamp value is greater than the largest previous timestamp value seen will be discovered with each poll. At least one column should not be nullable.", MODE_GROUP, 3, Width::Medium, "Timestamp Column Name"))
        .define(key(TIMESTAMP_COLUMNS_MAPPING, List, s(""), Medium, "A comma separated list of table regex to timestamp columns mappings. On specifying multiple timestamp columns, COALESCE SQL function would be used to find out the effective timestamp for a row. Expected format is ``regex1:[col1|col2],regex2:[col3]``. Regexes would be matched against the fully-qualified table names of tables. Every table included for capture should match exactly one of the provided mappings. An example for a valid input would be ``SCHEMA1.EMPLOYEES.SALARY.*:[UPDATED_AT|MODIFIED_AT],ACCOUNTS.*:[CHANGED_AT]``", MODE_GROUP, 4, Width::Long, "Table to timestamp columns mappings")
            .validator(mapping_validator(true)))
        .define(key(INCREMENTING_COLUMN_MAPPING, List, s(""), Medium, "A comma separated list of table regex to incrementing column mappings. Expected format is ``regex1:col2,regex2:col1``. Regexes would be matched against the fully-qualified table names of tables. Every table included for capture should match exactly one of the provided mappings. An example for a valid input would be ``SCHEMA1.EMPLOYEES.SALARY*:EMP_ID,ACCOUNTS.*:ID``", MODE_GROUP, 5, Width::Long, "Table to incrementing column mappings")
            .validator(mapping_validator(false)))
        .define(key(TIMESTAMP_INITIAL, Long, D::Null, Low, "The epoch timestamp used for initial queries that use timestamp criteria. Use -1 to use the current time. If not specified, all data will be retrieved.", MODE_GROUP, 6, Width::Medium, "Unix time value of initial timestamp"))
        .define(key(VALIDATE_NON_NULL, Boolean, s("true"), Low, "By default, the JDBC connector will validate that all incrementing and timestamp tables have NOT NULL set for the columns being used as their ID/timestamp. If the tables don't, JDBC connector will fail to start. Setting this to false will disable these checks.", MODE_GROUP, 7, Width::Short, "Validate Non Null"))
        .define(key(QUERY, String, s(""), Medium, "If specified, the query to perform to select new or updated rows. Use this setting if you want to join tables, select subsets of columns in a table, or filter data. If used, this connector will only copy data using this query -- whole-table copying will be disabled. Different query modes may still be used for incremental updates, but in order to properly construct the incremental query, it must be possible to append a WHERE clause to this query (i.e. no WHERE clauses may be used). If you use a WHERE clause, it must handle incremental queries itself.", MODE_GROUP, 8, Width::Short, "Query"))
        .define(key(QUERY_MASKED, Password, s(""), Medium, "Same as 'query' configuration but the query string is maskedUse this config to prevent sensitive information from being logged.", MODE_GROUP, 9, Width::Short, "Query (Masked)"))
        .define(key(QUOTE_SQL_IDENTIFIERS, String, s("ALWAYS"), Medium, "When to quote table names, column names, and other identifiers in SQL statements. For backward compatibility, the default is ``always``.", MODE_GROUP, 10, Width::Medium, "Quote Identifiers")
            .validator(custom(|name, v| match v {
                ConfigValue::String(x) if x.eq_ignore_ascii_case("always") || x.eq_ignore_ascii_case("never") => Ok(()),
                other => Err(format!("Invalid value {} for configuration {name}: Invalid enumerator", other.to_rest_string().unwrap_or_default())),
            })))
        .define(key(QUERY_SUFFIX, String, s(""), Low, "Suffix to append at the end of the generated query.", MODE_GROUP, 11, Width::Medium, "Query suffix"))
        .define(key(TRANSACTION_ISOLATION_MODE, String, s("DEFAULT"), Low, "Mode to control which transaction isolation level is used when running queries against the database. By default no explicit transaction isolationmode is set. SQL_SERVER_SNAPSHOT will only workagainst a connector configured to write to Sql Server.  Options include:\n  * DEFAULT\n   * READ_UNCOMMITED\n  * READ_COMMITED\n  * REPEATABLE_READ\n  * SERIALIZABLE\n  * SQL_SERVER_SNAPSHOT\n", MODE_GROUP, 12, Width::Medium, "Transaction Isolation Mode")
            .validator(custom(|name, v| match v {
                ConfigValue::String(x) if Isolation::parse(x).is_some() => Ok(()),
                other => Err(format!("Invalid value {} for configuration {name}: String must be one of: {}", other.to_rest_string().unwrap_or_default(), Isolation::NAMES.join(", "))),
            })))
        .define(key(QUERY_RETRY_ATTEMPTS, Int, s("-1"), Low, "Number of times to retry SQL exceptions encountered when executing queries.", MODE_GROUP, 13, Width::Medium, "Query Retry Attempts"))
        .define(key(TABLE_TYPES, List, s("TABLE"), Low, "By default, the JDBC connector will only detect tables with type TABLE from the source Database. This config allows a command separated list of table types to extract. Options include:\n  * TABLE\n  * VIEW\n  * SYSTEM TABLE\n  * GLOBAL TEMPORARY\n  * LOCAL TEMPORARY\n  * ALIAS\n  * SYNONYM\n  In most cases it only makes sense to have either TABLE or VIEW.", CONNECTOR_GROUP, 1, Width::Medium, "Table Types"))
        .define(key(POLL_INTERVAL_MS, Int, s("5000"), High, "Frequency in ms to poll for new data in each table.", CONNECTOR_GROUP, 2, Width::Short, "Poll Interval (ms)"))
        .define(key(BATCH_MAX_ROWS, Int, s("1000"), Low, "Maximum number of rows to include in a single batch when polling for new data. This setting can be used to limit the amount of data buffered internally in the connector.", CONNECTOR_GROUP, 3, Width::Short, "Max Rows Per Batch"))
        .define(key(MAX_BUFFER_SIZE, Int, s("0"), Low, "The maximum number of records from the source database that can be buffered into memory. The default of 0 means a buffer size will be based on the maximum batch size.", CONNECTOR_GROUP, 4, Width::Short, "Maximum Buffer Size"))
        .define(key(POLL_LINGER_MS, Long, s("5000"), Low, "The maximum time to wait for a record before returning an empty batch. The default is 5 seconds.", CONNECTOR_GROUP, 5, Width::Short, "Poll Linger Milliseconds"))
        .define(ConfigKey::new(TABLE_MONITORING_STARTUP_POLLING_LIMIT_MS, Long, s("10000"), Low, ""))
        .define(key(TABLE_POLL_INTERVAL_MS, Long, s("60000"), Low, "Frequency in ms to poll for new or removed tables, which may result in updated task configurations to start polling for data in added tables or stop polling for data in removed tables.", CONNECTOR_GROUP, 6, Width::Short, "Metadata Change Monitoring Interval (ms)"))
        .define(key(TOPIC_PREFIX, String, s(""), High, "Prefix to prepend to table names to generate the name of the Kafka topic to publish data to, or in the case of a custom query, the full name of the topic to publish to.", CONNECTOR_GROUP, 7, Width::Medium, "Topic Prefix")
            .validator(custom(|name, v| {
                let ConfigValue::String(x) = v else {
                    return Err(format!("Invalid value null for configuration {name}: Topic prefix must not be null."));
                };
                let t = x.trim();
                if t.chars().count() > 249 {
                    return Err(format!("Invalid value {x} for configuration {name}: Topic prefix length must not exceed max topic name length, 249 chars"));
                }
                if t.chars().any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
                    return Err(format!("Invalid value {x} for configuration {name}: Topic prefix must not contain any character other than ASCII alphanumerics, '.', '_' and '-'."));
                }
                Ok(())
            })))
        .define(key(TIMESTAMP_DELAY_INTERVAL_MS, Long, s("0"), High, "How long to wait after a row with certain timestamp appears before we include it in the result. You may choose to add some delay to allow transactions with earlier timestamp to complete. The first execution will fetch all available records (i.e. starting at timestamp 0) until current time minus the delay. Every following execution will get data from the last time we fetched until current time minus the delay.", CONNECTOR_GROUP, 8, Width::Medium, "Delay Interval (ms)"))
        .define(key(DB_TIMEZONE, String, s("UTC"), Medium, "Name of the JDBC timezone used in the connector when querying with time-based criteria. Defaults to UTC.", CONNECTOR_GROUP, 9, Width::Medium, "DB time zone")
            .validator(custom(|name, v| match v {
                ConfigValue::String(x) if parse_timezone(x).is_some() => Ok(()),
                other => Err(format!("Invalid value {} for configuration {name}: Invalid time zone identifier", other.to_rest_string().unwrap_or_default())),
            })))
        .define(key(TIMESTAMP_GRANULARITY, String, s("connect_logical"), Low, "Define the granularity of the Timestamp column. Options include: \n  * connect_logical (default): represents timestamp values using Kafka Connect's built-in representations \n  * micros_long: represents timestamp values as micros since epoch\n  * micros_string: represents timestamp values as micros since epoch in string\n  * micros_iso_datetime_string: uses iso format 'yyyy-MM-dd'T'HH:mm:ss.SSSSSS'\n  * nanos_long: represents timestamp values as nanos since epoch\n  * nanos_string: represents timestamp values as nanos since epoch in string\n  * nanos_iso_datetime_string: uses iso format 'yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'\n", CONNECTOR_GROUP, 10, Width::Medium, "Timestamp granularity for timestamp columns")
            .validator(custom(|name, v| match v {
                ConfigValue::String(x) if Granularity::parse(x).is_some() => Ok(()),
                other => Err(format!("Invalid value {} for configuration {name}: Invalid enumerator", other.to_rest_string().unwrap_or_default())),
            })))
}

/// The task's keys: the connector's plus `tables` and `tables.fetched` (Java
/// `JdbcSourceTaskConfig`).
pub fn task_config_def() -> ConfigDef {
    config_def()
        .define(ConfigKey::new(
            TABLES,
            ConfigType::String,
            D::Null,
            Importance::High,
            "List of tables for this task to watch for changes.",
        ))
        .define(ConfigKey::new(
            TABLES_FETCHED,
            ConfigType::Boolean,
            s("false"),
            Importance::Low,
            "Whether the tables have been fetched.",
        ))
}

/// A Java zone ID (IANA name, `UTC`/`GMT`, fixed offsets, Java's short IDs).
pub fn parse_timezone(s: &str) -> Option<chrono_tz::Tz> {
    if let Ok(tz) = s.parse::<chrono_tz::Tz>() {
        return Some(tz);
    }
    // Java's `ZoneId.SHORT_IDS` fallback (`TimeZone.getTimeZone`) for the common ones.
    let long = match s {
        "EST" => "America/New_York",
        "PST" => "America/Los_Angeles",
        "CST" => "America/Chicago",
        "MST" => "America/Denver",
        "IST" => "Asia/Kolkata",
        "JST" => "Asia/Tokyo",
        "CET" => "Europe/Paris",
        "Z" => "UTC",
        _ => return None,
    };
    long.parse().ok()
}

/// The dialect family of a `dialect.name` value.
pub fn dialect_kind(name: &str) -> Option<DbKind> {
    match name.trim() {
        "PostgreSqlDatabaseDialect" => Some(DbKind::Postgres),
        "MySqlDatabaseDialect" => Some(DbKind::MySql),
        "SqlServerDatabaseDialect" => Some(DbKind::SqlServer),
        _ => None,
    }
}

/// The parsed configuration of a connector or task.
#[derive(Debug, Clone)]
pub struct JdbcConfig {
    pub url: JdbcUrl,
    pub connect: ConnectSettings,
    pub dialect: Dialect,
    pub attempts: u32,
    pub backoff: Duration,
    pub whitelist: Vec<String>,
    pub blacklist: Vec<String>,
    pub include: Vec<regex::Regex>,
    pub exclude: Vec<regex::Regex>,
    pub catalog_pattern: Option<String>,
    pub schema_pattern: Option<String>,
    pub numeric_mapping: NumericMapping,
    pub mode: Option<Mode>,
    pub incrementing_column: String,
    pub timestamp_columns: Vec<String>,
    pub timestamp_mapping: Vec<(regex::Regex, Vec<String>)>,
    pub incrementing_mapping: Vec<(regex::Regex, String)>,
    pub timestamp_initial: Option<i64>,
    pub validate_non_null: bool,
    pub query: Option<String>,
    pub query_suffix: String,
    pub query_retry_attempts: i32,
    pub table_types: Vec<String>,
    pub poll_interval: Duration,
    pub batch_max_rows: usize,
    pub max_buffer_size: usize,
    pub poll_linger: Duration,
    pub table_poll_interval: Duration,
    pub startup_polling_limit: Duration,
    pub topic_prefix: String,
    pub timestamp_delay: Duration,
    pub tz: chrono_tz::Tz,
    pub granularity: Granularity,
    pub isolation: Isolation,
}

fn full_match(r: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&format!("^(?:{})$", r.trim())).map_err(|e| e.to_string())
}

impl JdbcConfig {
    /// Parses `props`; the first invalid key is the error.
    pub fn parse(props: &Props) -> ConnectResult<JdbcConfig> {
        let p = task_config_def().parse(props)?;
        Self::from_parsed(props, &p)
    }

    fn from_parsed(props: &Props, p: &ParsedConfig) -> ConnectResult<JdbcConfig> {
        let cfg = |k: &str, m: String| {
            ConnectError::config(format!("Invalid value for configuration {k}: {m}"))
        };
        let url_text = p.string(CONNECTION_URL).unwrap_or_default();
        if url_text.is_empty() {
            return Err(ConnectError::config(format!(
                "Missing required configuration \"{CONNECTION_URL}\": the JDBC URL of the database"
            )));
        }
        let mut url = JdbcUrl::parse(url_text).map_err(|e| cfg(CONNECTION_URL, e.to_string()))?;
        if let Some(k) = p
            .string(DIALECT_NAME)
            .filter(|d| !d.is_empty())
            .and_then(dialect_kind)
        {
            url.kind = k;
        }
        let quote = if p
            .string(QUOTE_SQL_IDENTIFIERS)
            .is_some_and(|q| q.eq_ignore_ascii_case("never"))
        {
            QuoteMethod::Never
        } else {
            QuoteMethod::Always
        };
        let tz = parse_timezone(p.string(DB_TIMEZONE).unwrap_or("UTC"))
            .ok_or_else(|| cfg(DB_TIMEZONE, "Invalid time zone identifier".into()))?;
        let isolation = Isolation::parse(p.string(TRANSACTION_ISOLATION_MODE).unwrap_or("DEFAULT"))
            .unwrap_or(Isolation::Default);
        let known: std::collections::HashSet<String> = task_config_def()
            .keys()
            .iter()
            .map(|k| k.name.clone())
            .collect();
        // Any other `connection.*` key is a driver property (Java strips the prefix).
        let driver_props: BTreeMap<String, String> = props
            .iter()
            .filter(|(k, _)| k.starts_with("connection.") && !known.contains(*k))
            .map(|(k, v)| (k["connection.".len()..].to_string(), v.clone()))
            .collect();
        let numeric_mapping = match p.string(NUMERIC_MAPPING) {
            Some(m) => NumericMapping::parse(m).unwrap_or(NumericMapping::None),
            None if p.boolean(NUMERIC_PRECISION_MAPPING) == Some(true) => {
                NumericMapping::PrecisionOnly
            }
            None => NumericMapping::None,
        };
        let list = |k: &str| p.list(k).map(<[String]>::to_vec).unwrap_or_default();
        let regexes = |k: &str| -> ConnectResult<Vec<regex::Regex>> {
            list(k)
                .iter()
                .map(|r| full_match(r).map_err(|e| cfg(k, e)))
                .collect()
        };
        let mut timestamp_mapping = Vec::new();
        for m in list(TIMESTAMP_COLUMNS_MAPPING) {
            if let Some((r, cols)) = m.split_once(':') {
                let cols = cols.trim().trim_start_matches('[').trim_end_matches(']');
                timestamp_mapping.push((
                    full_match(r).map_err(|e| cfg(TIMESTAMP_COLUMNS_MAPPING, e))?,
                    cols.split('|').map(|c| c.trim().to_string()).collect(),
                ));
            }
        }
        let mut incrementing_mapping = Vec::new();
        for m in list(INCREMENTING_COLUMN_MAPPING) {
            if let Some((r, col)) = m.split_once(':') {
                incrementing_mapping.push((
                    full_match(r).map_err(|e| cfg(INCREMENTING_COLUMN_MAPPING, e))?,
                    col.trim().to_string(),
                ));
            }
        }
        let query = p
            .string(QUERY)
            .filter(|q| !q.is_empty())
            .or_else(|| p.string(QUERY_MASKED).filter(|q| !q.is_empty()))
            .map(str::to_owned);
        let ms = |k: &str| Duration::from_millis(p.long(k).unwrap_or(0).max(0) as u64);
        let batch_max_rows = p.int(BATCH_MAX_ROWS).unwrap_or(1000).max(1) as usize;
        let connect = ConnectSettings {
            url: url.clone(),
            user: p.string(CONNECTION_USER).map(str::to_owned),
            password: p.string(CONNECTION_PASSWORD).map(str::to_owned),
            driver_props,
            tz,
            isolation,
            connect_timeout: Duration::from_secs(30),
        };
        Ok(JdbcConfig {
            dialect: Dialect::new(url.kind, quote),
            url,
            connect,
            attempts: p.int(CONNECTION_ATTEMPTS).unwrap_or(3).max(1) as u32,
            backoff: ms(CONNECTION_BACKOFF),
            whitelist: list(TABLE_WHITELIST),
            blacklist: list(TABLE_BLACKLIST),
            include: regexes(TABLE_INCLUDE_LIST)?,
            exclude: regexes(TABLE_EXCLUDE_LIST)?,
            catalog_pattern: p.string(CATALOG_PATTERN).map(str::to_owned),
            schema_pattern: p.string(SCHEMA_PATTERN).map(str::to_owned),
            numeric_mapping,
            mode: Mode::parse(p.string(MODE).unwrap_or_default()),
            incrementing_column: p
                .string(INCREMENTING_COLUMN_NAME)
                .unwrap_or_default()
                .trim()
                .to_string(),
            timestamp_columns: list(TIMESTAMP_COLUMN_NAME)
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect(),
            timestamp_mapping,
            incrementing_mapping,
            timestamp_initial: p.long(TIMESTAMP_INITIAL),
            validate_non_null: p.boolean(VALIDATE_NON_NULL).unwrap_or(true),
            query,
            query_suffix: p
                .string(QUERY_SUFFIX)
                .unwrap_or_default()
                .trim()
                .to_string(),
            query_retry_attempts: p.int(QUERY_RETRY_ATTEMPTS).unwrap_or(-1),
            table_types: list(TABLE_TYPES),
            poll_interval: ms(POLL_INTERVAL_MS),
            batch_max_rows,
            max_buffer_size: match p.int(MAX_BUFFER_SIZE).unwrap_or(0) {
                n if n > 0 => n as usize,
                _ => 4 * batch_max_rows,
            },
            poll_linger: ms(POLL_LINGER_MS),
            table_poll_interval: ms(TABLE_POLL_INTERVAL_MS),
            startup_polling_limit: ms(TABLE_MONITORING_STARTUP_POLLING_LIMIT_MS),
            topic_prefix: p
                .string(TOPIC_PREFIX)
                .unwrap_or_default()
                .trim()
                .to_string(),
            timestamp_delay: ms(TIMESTAMP_DELAY_INTERVAL_MS),
            tz,
            granularity: Granularity::parse(
                p.string(TIMESTAMP_GRANULARITY).unwrap_or("connect_logical"),
            )
            .unwrap_or(Granularity::ConnectLogical),
            isolation,
        })
    }

    pub fn uses_legacy(&self) -> bool {
        !self.whitelist.is_empty()
            || !self.blacklist.is_empty()
            || !self.incrementing_column.is_empty()
            || !self.timestamp_columns.is_empty()
    }

    pub fn uses_new(&self) -> bool {
        !self.include.is_empty()
            || !self.exclude.is_empty()
            || !self.timestamp_mapping.is_empty()
            || !self.incrementing_mapping.is_empty()
    }

    fn uses_table_filters(&self) -> bool {
        !self.whitelist.is_empty()
            || !self.blacklist.is_empty()
            || !self.include.is_empty()
            || !self.exclude.is_empty()
    }

    /// The timestamp columns of a table (the mapping wins when `table.include.list` is used).
    pub fn timestamp_columns_for(&self, fqn: &str) -> Result<Vec<String>, String> {
        if self.timestamp_mapping.is_empty() {
            return Ok(self.timestamp_columns.clone());
        }
        let m: Vec<_> = self
            .timestamp_mapping
            .iter()
            .filter(|(r, _)| r.is_match(fqn))
            .collect();
        match m.as_slice() {
            [(_, cols)] => Ok(cols.clone()),
            [] => Err(format!(
                "Table {fqn} matches none of the {TIMESTAMP_COLUMNS_MAPPING} regexes"
            )),
            _ => Err(format!(
                "Table {fqn} matches more than one of the {TIMESTAMP_COLUMNS_MAPPING} regexes"
            )),
        }
    }

    /// The incrementing column of a table (empty = auto-detect).
    pub fn incrementing_column_for(&self, fqn: &str) -> Result<String, String> {
        if self.incrementing_mapping.is_empty() {
            return Ok(self.incrementing_column.clone());
        }
        let m: Vec<_> = self
            .incrementing_mapping
            .iter()
            .filter(|(r, _)| r.is_match(fqn))
            .collect();
        match m.as_slice() {
            [(_, col)] => Ok(col.clone()),
            [] => Err(format!(
                "Table {fqn} matches none of the {INCREMENTING_COLUMN_MAPPING} regexes"
            )),
            _ => Err(format!(
                "Table {fqn} matches more than one of the {INCREMENTING_COLUMN_MAPPING} regexes"
            )),
        }
    }
}

/// Adds `msg` to `key`'s report.
pub fn add_error(reports: &mut [rconnect_sdk::config::ConfigValueReport], key: &str, msg: &str) {
    if let Some(r) = reports.iter_mut().find(|r| r.name == key) {
        r.errors.push(msg.to_string());
    }
}

/// Java `JdbcSourceConnectorValidation` minus the checks that need the database: the
/// keys' own validators, then the multi-key rules in Java's order. Returns the parsed
/// config when everything passed so far (the caller then checks the database).
pub fn validate_static(
    props: &Props,
    reports: &mut [rconnect_sdk::config::ConfigValueReport],
) -> Option<JdbcConfig> {
    if reports.iter().any(|r| !r.errors.is_empty()) {
        return None;
    }
    let c = match JdbcConfig::parse(props) {
        Ok(c) => c,
        Err(e) => {
            let key = if e.to_string().contains(CONNECTION_URL) {
                CONNECTION_URL
            } else {
                MODE
            };
            add_error(reports, key, &e.to_string());
            return None;
        }
    };
    if c.mode.is_none() {
        // Java: an empty mode passes the validator but the mode-dependent recommender
        // throws "Query mode must be specified".
        add_error(reports, MODE, "Query mode must be specified");
        return None;
    }
    if c.isolation == Isolation::SqlServerSnapshot && c.dialect.kind != DbKind::SqlServer {
        add_error(reports, TRANSACTION_ISOLATION_MODE, "Isolation mode of `SQL_SERVER_SNAPSHOT` can only be configured with a Sql Server Dialect");
        return None;
    }
    if c.query.is_none() {
        if c.uses_legacy() && c.uses_new() {
            let msg = "Cannot mix legacy and new configuration approaches. Legacy configurations (table.whitelist, table.blacklist, timestamp.column.name, incrementing.column.name) cannot be used together with new configurations (table.include.list, table.exclude.list, timestamp.columns.mapping, incrementing.column.mapping). Please choose one approach: either use all legacy configurations or all new configurations.";
            for (k, set) in [
                (TABLE_WHITELIST, !c.whitelist.is_empty()),
                (TABLE_BLACKLIST, !c.blacklist.is_empty()),
                (TABLE_INCLUDE_LIST, !c.include.is_empty()),
                (TABLE_EXCLUDE_LIST, !c.exclude.is_empty()),
                (TIMESTAMP_COLUMN_NAME, !c.timestamp_columns.is_empty()),
                (TIMESTAMP_COLUMNS_MAPPING, !c.timestamp_mapping.is_empty()),
                (INCREMENTING_COLUMN_NAME, !c.incrementing_column.is_empty()),
                (
                    INCREMENTING_COLUMN_MAPPING,
                    !c.incrementing_mapping.is_empty(),
                ),
            ] {
                if set {
                    add_error(reports, k, msg);
                }
            }
            return None;
        }
        if !c.uses_legacy() && !c.uses_new() {
            let msg = "At least one table filtering configuration is required. Provide one of: table.whitelist, table.blacklist, table.include.list, or table.exclude.list.";
            for k in [
                TABLE_WHITELIST,
                TABLE_BLACKLIST,
                TABLE_INCLUDE_LIST,
                TABLE_EXCLUDE_LIST,
            ] {
                add_error(reports, k, msg);
            }
            return None;
        }
    }
    let query = props.get(QUERY).map(|q| q.trim()).filter(|q| !q.is_empty());
    let masked = props
        .get(QUERY_MASKED)
        .map(|q| q.trim())
        .filter(|q| !q.is_empty());
    if query.is_some() && masked.is_some() {
        let msg = "Both 'query' and 'query.masked' configs cannot be set at the same time. Please use only one of them.";
        add_error(reports, QUERY, msg);
        add_error(reports, QUERY_MASKED, msg);
        return None;
    }
    if c.query.is_some() && c.uses_table_filters() {
        let msg = "Do not specify table filtering configs with 'query'. Remove table.whitelist / table.blacklist / table.include.list / table.exclude.list when using query mode or 'query' when using table filtering mode.";
        add_error(reports, QUERY, msg);
        add_error(reports, QUERY_MASKED, msg);
        for (k, set) in [
            (TABLE_WHITELIST, !c.whitelist.is_empty()),
            (TABLE_BLACKLIST, !c.blacklist.is_empty()),
            (TABLE_INCLUDE_LIST, !c.include.is_empty()),
            (TABLE_EXCLUDE_LIST, !c.exclude.is_empty()),
        ] {
            if set {
                add_error(reports, k, msg);
            }
        }
        return None;
    }
    for (k, q) in [(QUERY, query), (QUERY_MASKED, masked)] {
        if let Some(q) = q {
            let starts_with_select = q.len() >= 6
                && q[..6].eq_ignore_ascii_case("select")
                && q[6..]
                    .chars()
                    .next()
                    .is_none_or(|ch| !(ch.is_alphanumeric() || ch == '_'));
            if !starts_with_select {
                add_error(reports, k, &format!("Only SELECT statements are supported for '{k}'. Please provide a statement that starts with SELECT."));
                return None;
            }
        }
    }
    let mode = c.mode.expect("checked above");
    if c.query.is_some() && mode.uses_incrementing() && c.incrementing_column.is_empty() {
        add_error(reports, INCREMENTING_COLUMN_NAME, "'incrementing.column.name' must be provided when using mode 'incrementing' or 'timestamp+incrementing' with a custom query. The incrementing column cannot be auto-discovered in query mode because there is no table to inspect. Note that 'incrementing.column.mapping' is not applied in query mode (it maps columns by table-name regex, and a custom query has no underlying table to match), so 'incrementing.column.name' must be set explicitly.");
        return None;
    }
    if mode.uses_timestamp() && c.timestamp_columns.is_empty() && c.timestamp_mapping.is_empty() {
        add_error(reports, TIMESTAMP_COLUMN_NAME, &format!("Timestamp column configuration must be provided when using mode '{}' or 'timestamp+incrementing'.", "timestamp"));
        return None;
    }
    if c.uses_new() && c.query.is_none() {
        if !c.exclude.is_empty() && c.include.is_empty() {
            add_error(reports, TABLE_EXCLUDE_LIST, "table.exclude.list cannot be used without table.include.list. Exclude list only applies to tables that match the include list.");
            return None;
        }
        let checks = [
            (mode.uses_timestamp() && c.timestamp_mapping.is_empty(), "Timestamp column configuration must be provided when using mode 'timestamp' or 'timestamp+incrementing'. Provide 'timestamp.columns.mapping'."),
            (!mode.uses_timestamp() && !c.timestamp_mapping.is_empty(), "Timestamp column configurations should not be provided if mode is not 'timestamp' or 'timestamp+incrementing'. Remove 'timestamp.columns.mapping'."),
            (mode.uses_incrementing() && c.incrementing_mapping.is_empty(), "Incrementing column configuration must be provided when using mode 'incrementing' or 'timestamp+incrementing'. Provide 'incrementing.column.mapping'."),
            (!mode.uses_incrementing() && !c.incrementing_mapping.is_empty(), "Incrementing column configurations should not be provided if mode is not 'incrementing' or 'timestamp+incrementing'. Remove 'incrementing.column.mapping'."),
        ];
        for (bad, msg) in checks {
            if bad {
                add_error(reports, MODE, msg);
                return None;
            }
        }
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> Props {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn errors(p: &Props) -> Vec<(String, Vec<String>)> {
        let mut r = config_def().validate(p);
        validate_static(p, &mut r);
        r.into_iter()
            .filter(|r| !r.errors.is_empty())
            .map(|r| (r.name, r.errors))
            .collect()
    }

    const URL: &str = "jdbc:postgresql://127.0.0.1:5432/db";

    #[test]
    fn defaults_are_confluents() {
        let c = JdbcConfig::parse(&props(&[(CONNECTION_URL, URL), (MODE, "bulk")])).unwrap();
        assert_eq!(c.attempts, 3);
        assert_eq!(c.backoff, Duration::from_secs(10));
        assert_eq!(c.poll_interval, Duration::from_secs(5));
        assert_eq!(c.batch_max_rows, 1000);
        assert_eq!(c.max_buffer_size, 4000);
        assert_eq!(c.table_poll_interval, Duration::from_secs(60));
        assert_eq!(c.table_types, ["TABLE"]);
        assert_eq!(c.tz, chrono_tz::UTC);
        assert_eq!(c.numeric_mapping, NumericMapping::None);
        assert_eq!(c.dialect.quote, QuoteMethod::Always);
        assert_eq!(c.query_retry_attempts, -1);
        let c = JdbcConfig::parse(&props(&[
            (CONNECTION_URL, URL),
            (NUMERIC_PRECISION_MAPPING, "true"),
            ("connection.sslmode", "disable"),
            (DB_TIMEZONE, "America/New_York"),
        ]))
        .unwrap();
        assert_eq!(c.numeric_mapping, NumericMapping::PrecisionOnly);
        assert_eq!(
            c.connect.driver_props.get("sslmode").map(String::as_str),
            Some("disable")
        );
        assert_eq!(c.tz.name(), "America/New_York");
        let names: Vec<String> = config_def().keys().iter().map(|k| k.name.clone()).collect();
        assert_eq!(names.len(), 40);
    }

    #[test]
    fn validation_messages_are_confluents() {
        let e = errors(&props(&[(CONNECTION_URL, URL), (MODE, "sometimes")]));
        assert_eq!(e[0].0, MODE);
        assert!(
            e[0].1[0].contains(
                "String must be one of: , bulk, timestamp, incrementing, timestamp+incrementing"
            ),
            "{e:?}"
        );

        let e = errors(&props(&[
            (CONNECTION_URL, URL),
            (MODE, "bulk"),
            (QUERY, "SELECT 1"),
            (TABLE_WHITELIST, "t"),
        ]));
        assert!(
            e.iter()
                .any(|(k, m)| k == QUERY
                    && m[0].starts_with("Do not specify table filtering configs")),
            "{e:?}"
        );
        assert!(e.iter().any(|(k, _)| k == TABLE_WHITELIST));

        let e = errors(&props(&[
            (CONNECTION_URL, URL),
            (MODE, "incrementing"),
            (QUERY, "SELECT * FROM t"),
        ]));
        assert_eq!(e[0].0, INCREMENTING_COLUMN_NAME);

        let e = errors(&props(&[(CONNECTION_URL, URL), (MODE, "bulk")]));
        assert_eq!(e.len(), 4, "no table filter: four keys named: {e:?}");

        let e = errors(&props(&[
            (CONNECTION_URL, URL),
            (MODE, "bulk"),
            (QUERY, "DELETE FROM t"),
        ]));
        assert!(e[0].1[0].starts_with("Only SELECT statements"));

        let e = errors(&props(&[
            (CONNECTION_URL, URL),
            (MODE, "bulk"),
            (TABLE_WHITELIST, "a"),
            (TABLE_INCLUDE_LIST, "a.*"),
        ]));
        assert_eq!(e.len(), 2);
        assert!(e[0].1[0].starts_with("Cannot mix legacy and new"));

        let e = errors(&props(&[
            (CONNECTION_URL, URL),
            (MODE, "bulk"),
            (TOPIC_PREFIX, "bad prefix"),
        ]));
        assert!(e[0].1[0].contains("Topic prefix must not contain"));

        let e = errors(&props(&[
            (CONNECTION_URL, URL),
            (MODE, "bulk"),
            (TABLE_WHITELIST, "a"),
            (TRANSACTION_ISOLATION_MODE, "SQL_SERVER_SNAPSHOT"),
        ]));
        assert!(e[0].1[0].contains("can only be configured with a Sql Server Dialect"));

        let e = errors(&props(&[
            (CONNECTION_URL, "jdbc:oracle:thin:@h:1521:x"),
            (MODE, "bulk"),
            (TABLE_WHITELIST, "a"),
        ]));
        assert_eq!(e[0].0, CONNECTION_URL);

        let e = errors(&props(&[
            (CONNECTION_URL, URL),
            (MODE, "timestamp"),
            (TABLE_WHITELIST, "a"),
        ]));
        assert_eq!(e[0].0, TIMESTAMP_COLUMN_NAME);

        let e = errors(&props(&[
            (CONNECTION_URL, URL),
            (MODE, "bulk"),
            (TABLE_WHITELIST, "a"),
            (DB_TIMEZONE, "Mars/Olympus"),
        ]));
        assert_eq!(e[0].0, DB_TIMEZONE);

        assert!(errors(&props(&[
            (CONNECTION_URL, URL),
            (MODE, "timestamp+incrementing"),
            (TABLE_WHITELIST, "a"),
            (TIMESTAMP_COLUMN_NAME, "ts")
        ]))
        .is_empty());
    }

    #[test]
    fn mappings() {
        let c = JdbcConfig::parse(&props(&[
            (CONNECTION_URL, URL),
            (
                TIMESTAMP_COLUMNS_MAPPING,
                "db.public.a.*:[u|m],db.public.b:[c]",
            ),
            (INCREMENTING_COLUMN_MAPPING, "db.public.*:id"),
        ]))
        .unwrap();
        assert_eq!(c.timestamp_columns_for("db.public.ab").unwrap(), ["u", "m"]);
        assert!(c.timestamp_columns_for("db.public.c").is_err());
        assert_eq!(c.incrementing_column_for("db.public.x").unwrap(), "id");
        let e = errors(&props(&[
            (CONNECTION_URL, URL),
            (MODE, "incrementing"),
            (TIMESTAMP_COLUMNS_MAPPING, "x:y"),
        ]));
        assert!(
            e[0].1[0].contains("Expected 'regex:[col1|col2|...]'")
                || e[0].1[0].contains("square brackets"),
            "{e:?}"
        );
    }
}
