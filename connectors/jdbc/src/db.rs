//! Connections to the three databases and the few operations the connector needs: list
//! tables, describe columns, read the database clock, run a query and stream its rows.
//!
//! PostgreSQL and MySQL/MariaDB go through `sqlx` (one driver family, rustls), SQL Server
//! through `tiberius` (rustls). Each operation returns what the Java JDBC metadata would
//! (Java: `DatabaseMetaData#getTables`, `#getColumns`, `ResultSetMetaData`).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use futures::future::BoxFuture;
use futures::TryStreamExt;
use sqlx::{Column as _, ConnectOptions, Connection, Row as _, TypeInfo as _};
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use crate::dialect::TableId;
use crate::types::{jdbc_type_of, ColumnDef, Instant, JdbcType, Raw};
use crate::url::{DbKind, JdbcUrl};

/// A database failure; `transient` ones (connection loss, timeouts) are retried.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct DbError {
    pub message: String,
    /// The connection is likely broken: reconnect before retrying.
    pub transient: bool,
    /// Not a database failure (a value that cannot be converted, a column missing from
    /// the result): retrying cannot help, the task fails.
    pub fatal: bool,
    /// PostgreSQL refused the query in its `COPY (...) TO STDOUT` form: the connection is
    /// left mid-protocol (replace it) and the query should run as a prepared statement.
    pub copy_refused: bool,
}

impl DbError {
    pub fn new(message: impl Into<String>, transient: bool) -> Self {
        DbError {
            message: message.into(),
            transient,
            fatal: false,
            copy_refused: false,
        }
    }
    /// An error that fails the task.
    pub fn fatal(message: impl Into<String>) -> Self {
        DbError {
            message: message.into(),
            transient: false,
            fatal: true,
            copy_refused: false,
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        let transient = matches!(
            e,
            sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed
        );
        let message = match &e {
            sqlx::Error::Database(d) => match d.code() {
                Some(c) => format!("{} (SQLState: {c})", d.message()),
                None => d.message().to_string(),
            },
            other => other.to_string(),
        };
        DbError::new(message, transient)
    }
}

impl From<tiberius::error::Error> for DbError {
    fn from(e: tiberius::error::Error) -> Self {
        let transient = matches!(
            e,
            tiberius::error::Error::Io { .. } | tiberius::error::Error::Tls(_)
        );
        DbError::new(e.to_string(), transient)
    }
}

/// `transaction.isolation.mode` (Java `TransactionIsolationMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    Default,
    ReadUncommitted,
    ReadCommitted,
    RepeatableRead,
    Serializable,
    SqlServerSnapshot,
}

impl Isolation {
    pub const NAMES: [&'static str; 6] = [
        "DEFAULT",
        "READ_UNCOMMITTED",
        "READ_COMMITTED",
        "REPEATABLE_READ",
        "SERIALIZABLE",
        "SQL_SERVER_SNAPSHOT",
    ];
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "DEFAULT" => Isolation::Default,
            "READ_UNCOMMITTED" => Isolation::ReadUncommitted,
            "READ_COMMITTED" => Isolation::ReadCommitted,
            "REPEATABLE_READ" => Isolation::RepeatableRead,
            "SERIALIZABLE" => Isolation::Serializable,
            "SQL_SERVER_SNAPSHOT" => Isolation::SqlServerSnapshot,
            _ => return None,
        })
    }
    fn sql_level(self) -> Option<&'static str> {
        Some(match self {
            Isolation::Default => return None,
            Isolation::ReadUncommitted => "READ UNCOMMITTED",
            Isolation::ReadCommitted => "READ COMMITTED",
            Isolation::RepeatableRead => "REPEATABLE READ",
            Isolation::Serializable => "SERIALIZABLE",
            Isolation::SqlServerSnapshot => "SNAPSHOT",
        })
    }
}

/// Everything needed to open a connection.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    pub url: JdbcUrl,
    pub user: Option<String>,
    pub password: Option<String>,
    /// `connection.*` keys the connector does not know: driver properties.
    pub driver_props: BTreeMap<String, String>,
    pub tz: chrono_tz::Tz,
    pub isolation: Isolation,
    pub connect_timeout: Duration,
}

impl ConnectSettings {
    fn prop(&self, key: &str) -> Option<&str> {
        self.driver_props
            .iter()
            .find(|(k, _)| {
                if self.url.kind == DbKind::SqlServer {
                    k.eq_ignore_ascii_case(key)
                } else {
                    k.as_str() == key
                }
            })
            .map(|(_, v)| v.as_str())
            .or_else(|| self.url.property(key))
    }
    fn user(&self) -> Option<String> {
        self.user
            .clone()
            .or_else(|| self.prop("user").map(str::to_owned))
            .or_else(|| self.prop("userName").map(str::to_owned))
    }
    fn password(&self) -> Option<String> {
        self.password
            .clone()
            .or_else(|| self.prop("password").map(str::to_owned))
    }
}

type MsClient = tiberius::Client<Compat<tokio::net::TcpStream>>;

/// One open connection.
pub enum Conn {
    Pg(Box<sqlx::PgConnection>, PgMeta),
    My(Box<sqlx::MySqlConnection>),
    Ms(Box<MsClient>),
}

/// PostgreSQL column facts keyed by (table oid, attribute number): (typmod, not null),
/// and the statements already described.
#[derive(Default)]
pub struct PgMeta {
    columns: HashMap<(u32, i16), (i32, bool)>,
    described: HashMap<String, Vec<sqlx::postgres::PgColumn>>,
}

/// A bind parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    I64(i64),
    /// A wall-clock time in `db.timezone` (Java binds timestamps with a calendar in it).
    Ts(NaiveDateTime),
}

/// A column as the driver reports it in a result set, with the metadata looked up for it.
#[derive(Debug, Clone)]
pub struct ResultColumn {
    pub def: ColumnDef,
    /// How to read the column's values.
    pub reader: Reader,
}

/// The decoder of one column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Bool,
    I16,
    I32,
    I64,
    U64,
    Oid,
    F32,
    F64,
    PgMoney,
    Dec,
    Str,
    Json,
    Jsonb,
    Uuid,
    Bytes,
    PgBits,
    MyBits,
    Year,
    Date,
    Time,
    TimeTz,
    Local,
    Instant,
    /// SQL Server: decoded from the value's own TDS type.
    Tds,
    Skip,
}

/// What a [`RowSink`] wants after a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    Continue,
    /// A batch is full: [`RowSink::flush`] is awaited before the next row is read.
    Flush,
    Stop,
}

/// Receives a query's result.
#[rconnect_sdk::async_trait]
pub trait RowSink: Send {
    fn columns(&mut self, cols: &[ResultColumn]) -> Result<(), DbError>;
    /// One row's values, in column order; the sink takes them out (`raw` is reused).
    fn row(&mut self, raw: &mut Vec<Raw>) -> Result<RowAction, DbError>;
    async fn flush(&mut self) -> Result<(), DbError>;
}

/// A column from `getColumns`: name, nullability, auto-increment and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    pub name: String,
    pub type_name: String,
    pub nullable: bool,
    pub auto_increment: bool,
    pub precision: i32,
    pub scale: Option<i32>,
}

fn like_to_regex(p: &str) -> regex::Regex {
    let mut r = String::from("^");
    for c in p.chars() {
        match c {
            '%' => r.push_str(".*"),
            '_' => r.push('.'),
            c => r.push_str(&regex::escape(&c.to_string())),
        }
    }
    r.push('$');
    regex::Regex::new(&r).unwrap_or_else(|_| regex::Regex::new("^$").expect("valid regex"))
}

/// Whether a metadata value matches a JDBC pattern (`null` = any; `""` = none present).
fn pattern_matches(pattern: Option<&str>, value: Option<&str>) -> bool {
    match pattern {
        None => true,
        Some("") => value.is_none_or(str::is_empty),
        Some(p) => value.is_some_and(|v| like_to_regex(p).is_match(v)),
    }
}

impl Conn {
    pub fn kind(&self) -> DbKind {
        match self {
            Conn::Pg(..) => DbKind::Postgres,
            Conn::My(_) => DbKind::MySql,
            Conn::Ms(_) => DbKind::SqlServer,
        }
    }

    /// Opens a connection once (no retry).
    pub async fn connect(s: &ConnectSettings) -> Result<Conn, DbError> {
        let fut: BoxFuture<'_, Result<Conn, DbError>> = Box::pin(Self::connect_inner(s));
        match tokio::time::timeout(s.connect_timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(DbError::new(
                format!(
                    "timed out after {} ms connecting to {}:{}",
                    s.connect_timeout.as_millis(),
                    s.url.host,
                    s.url.port
                ),
                true,
            )),
        }
    }

    async fn connect_inner(s: &ConnectSettings) -> Result<Conn, DbError> {
        let mut conn = match s.url.kind {
            DbKind::Postgres => {
                let mut o = sqlx::postgres::PgConnectOptions::new_without_pgpass()
                    .host(&s.url.host)
                    .port(s.url.port)
                    .application_name("rconnect-jdbc-source")
                    // Session time zone = db.timezone: a `timestamp` parameter compared
                    // with a `timestamptz` column is then read in db.timezone, as PgJDBC's
                    // calendar-bound parameters are.
                    .options([("TimeZone", s.tz.name())]);
                if let Some(u) = s.user() {
                    o = o.username(&u);
                }
                if let Some(p) = s.password() {
                    o = o.password(&p);
                }
                if let Some(d) = &s.url.database {
                    o = o.database(d);
                }
                if let Some(m) = s.prop("sslmode") {
                    o = o.ssl_mode(m.parse().map_err(|_| {
                        DbError::new(format!("unknown sslmode '{m}' in connection.url"), false)
                    })?);
                }
                let c = o.disable_statement_logging().connect().await?;
                Conn::Pg(Box::new(c), PgMeta::default())
            }
            DbKind::MySql => {
                let mut o = sqlx::mysql::MySqlConnectOptions::new()
                    .host(&s.url.host)
                    .port(s.url.port)
                    .charset("utf8mb4")
                    // Keep the server's session time zone and sql_mode, as Connector/J does:
                    // CURRENT_TIMESTAMP is then the server's local time (Java behaviour).
                    .timezone(None)
                    .pipes_as_concat(false)
                    .no_engine_substitution(false);
                if let Some(u) = s.user() {
                    o = o.username(&u);
                }
                if let Some(p) = s.password() {
                    o = o.password(&p);
                }
                if let Some(d) = &s.url.database {
                    o = o.database(d);
                }
                let ssl = s.prop("sslMode").map(str::to_ascii_lowercase);
                let use_ssl = s.prop("useSSL").map(str::to_ascii_lowercase);
                let mode = match (ssl.as_deref(), use_ssl.as_deref()) {
                    (Some("disabled"), _) | (None, Some("false")) => {
                        Some(sqlx::mysql::MySqlSslMode::Disabled)
                    }
                    (Some("required"), _) | (None, Some("true")) => {
                        Some(sqlx::mysql::MySqlSslMode::Required)
                    }
                    (Some("verify_ca"), _) => Some(sqlx::mysql::MySqlSslMode::VerifyCa),
                    (Some("verify_identity"), _) => Some(sqlx::mysql::MySqlSslMode::VerifyIdentity),
                    _ => None,
                };
                if let Some(m) = mode {
                    o = o.ssl_mode(m);
                }
                let c = o.disable_statement_logging().connect().await?;
                Conn::My(Box::new(c))
            }
            DbKind::SqlServer => Conn::Ms(Box::new(connect_sqlserver(s).await?)),
        };
        conn.apply_isolation(s.isolation).await?;
        Ok(conn)
    }

    /// Applies `transaction.isolation.mode` to this session. Java applies it only to the
    /// first connection of a task; rconnect applies it to every new connection.
    async fn apply_isolation(&mut self, iso: Isolation) -> Result<(), DbError> {
        let Some(level) = iso.sql_level() else {
            return Ok(());
        };
        let sql = match self {
            Conn::Pg(..) => {
                format!("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}")
            }
            Conn::My(_) => format!("SET SESSION TRANSACTION ISOLATION LEVEL {level}"),
            Conn::Ms(_) => format!("SET TRANSACTION ISOLATION LEVEL {level}"),
        };
        if let Err(e) = self.execute(&sql).await {
            tracing::warn!("Could not set transaction isolation level {level}: {e}");
        }
        Ok(())
    }

    /// Runs a statement without a result (DDL, `SET`, ...).
    pub fn execute<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(self.execute_inner(sql))
    }

    async fn execute_inner(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Conn::Pg(c, _) => {
                sqlx::query(sql).execute(&mut **c).await?;
            }
            Conn::My(c) => {
                sqlx::query(sql).execute(&mut **c).await?;
            }
            Conn::Ms(c) => {
                c.simple_query(sql).await?.into_results().await?;
            }
        }
        Ok(())
    }

    /// Java `Connection#isValid(5)`.
    pub fn is_valid(&mut self) -> BoxFuture<'_, bool> {
        Box::pin(self.is_valid_inner())
    }

    async fn is_valid_inner(&mut self) -> bool {
        let check = async {
            match self {
                Conn::Pg(c, _) => c.ping().await.is_ok(),
                Conn::My(c) => c.ping().await.is_ok(),
                Conn::Ms(c) => match c.simple_query("SELECT 1").await {
                    Ok(s) => s.into_results().await.is_ok(),
                    Err(_) => false,
                },
            }
        };
        tokio::time::timeout(Duration::from_secs(5), check)
            .await
            .unwrap_or(false)
    }

    /// Rows of a metadata query with text columns (NULLs as `None`).
    fn text_rows<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [&'a str],
    ) -> BoxFuture<'a, Result<Vec<Vec<Option<String>>>, DbError>> {
        Box::pin(self.text_rows_inner(sql, params))
    }

    async fn text_rows_inner(
        &mut self,
        sql: &str,
        params: &[&str],
    ) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let mut out = Vec::new();
        match self {
            Conn::Pg(c, _) => {
                let mut q = sqlx::query(sql);
                for p in params {
                    q = q.bind(*p);
                }
                for r in q.fetch_all(&mut **c).await? {
                    let mut row = Vec::new();
                    for i in 0..r.len() {
                        row.push(r.try_get::<Option<String>, _>(i)?);
                    }
                    out.push(row);
                }
            }
            Conn::My(c) => {
                let mut q = sqlx::query(sql);
                for p in params {
                    q = q.bind(*p);
                }
                for r in q.fetch_all(&mut **c).await? {
                    let mut row = Vec::new();
                    for i in 0..r.len() {
                        // information_schema columns come back as VARCHAR or BLOB
                        // depending on the server; read the bytes.
                        let v: Option<Vec<u8>> = r.try_get_unchecked(i)?;
                        row.push(v.map(|b| String::from_utf8_lossy(&b).into_owned()));
                    }
                    out.push(row);
                }
            }
            Conn::Ms(c) => {
                let params: Vec<&dyn tiberius::ToSql> =
                    params.iter().map(|p| p as &dyn tiberius::ToSql).collect();
                let rows = c.query(sql, &params).await?.into_first_result().await?;
                for r in rows {
                    let mut row = Vec::new();
                    for cd in r.into_iter() {
                        row.push(tds_text(&cd));
                    }
                    out.push(row);
                }
            }
        }
        Ok(out)
    }

    /// Java `DatabaseMetaData#getTables(catalog, schema, "%", types)`, ordered as JDBC
    /// orders them (type, catalog, schema, name).
    pub async fn list_tables(
        &mut self,
        catalog: Option<&str>,
        schema: Option<&str>,
        types: &[String],
    ) -> Result<Vec<TableId>, DbError> {
        let sql = match self {
            Conn::Pg(..) => {
                "SELECT current_database()::text, n.nspname::text, c.relname::text, \
                 CASE WHEN n.nspname IN ('pg_catalog','information_schema') OR n.nspname LIKE 'pg\\_toast%' THEN 'SYSTEM TABLE' \
                 WHEN c.relkind = 'r' THEN 'TABLE' WHEN c.relkind = 'v' THEN 'VIEW' \
                 WHEN c.relkind = 'm' THEN 'MATERIALIZED VIEW' WHEN c.relkind = 'f' THEN 'FOREIGN TABLE' \
                 WHEN c.relkind = 'p' THEN 'PARTITIONED TABLE' ELSE 'OTHER' END \
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r','v','m','f','p') AND n.nspname NOT LIKE 'pg\\_temp%'"
            }
            // Connector/J's catalog is the database. rconnect lists the URL's database
            // when `catalog.pattern` is unset (Connector/J 8 would list every database,
            // including `mysql`'s own tables).
            Conn::My(_) => {
                "SELECT TABLE_SCHEMA, NULL, TABLE_NAME, CASE TABLE_TYPE WHEN 'BASE TABLE' THEN 'TABLE' \
                 WHEN 'SYSTEM VERSIONED' THEN 'TABLE' ELSE TABLE_TYPE END \
                 FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA NOT IN ('mysql','information_schema','performance_schema','sys')"
            }
            Conn::Ms(_) => {
                "SELECT DB_NAME(), TABLE_SCHEMA, TABLE_NAME, CASE TABLE_TYPE WHEN 'BASE TABLE' THEN 'TABLE' ELSE TABLE_TYPE END \
                 FROM INFORMATION_SCHEMA.TABLES \
                 UNION ALL SELECT DB_NAME(), SCHEMA_NAME(schema_id), name, 'SYNONYM' FROM sys.synonyms"
            }
        };
        let current_db = match self {
            Conn::My(_) => {
                let r = self.text_rows("SELECT DATABASE()", &[]).await?;
                r.into_iter().next().and_then(|mut r| r.remove(0))
            }
            _ => None,
        };
        let rows = self.text_rows(sql, &[]).await?;
        let mut found: Vec<(String, TableId)> = Vec::new();
        for r in rows {
            let get = |i: usize| r.get(i).cloned().flatten();
            let (cat, sch, name, ty) = (get(0), get(1), get(2), get(3));
            let Some(name) = name else { continue };
            let ty = ty.unwrap_or_default();
            if !types.iter().any(|t| t.eq_ignore_ascii_case(&ty)) {
                continue;
            }
            if catalog.is_none() && current_db.is_some() && cat != current_db {
                continue;
            }
            if !pattern_matches(catalog, cat.as_deref()) || !pattern_matches(schema, sch.as_deref())
            {
                continue;
            }
            found.push((ty, TableId::new(cat.as_deref(), sch.as_deref(), &name)));
        }
        found.sort();
        Ok(found.into_iter().map(|(_, t)| t).collect())
    }

    /// Java `DatabaseMetaData#getColumns` for one table, in ordinal order.
    pub async fn table_columns(&mut self, t: &TableId) -> Result<Vec<TableColumn>, DbError> {
        let sch = t.schema.clone().unwrap_or_default();
        let cat = t.catalog.clone().unwrap_or_default();
        let (sql, params): (&str, Vec<&str>) = match self {
            Conn::Pg(..) => (
                "SELECT column_name::text, udt_name::text, is_nullable::text, \
                 CASE WHEN is_identity = 'YES' OR column_default LIKE 'nextval(%' THEN 'YES' ELSE 'NO' END, \
                 numeric_precision::text, numeric_scale::text \
                 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 \
                 ORDER BY ordinal_position",
                vec![&sch, &t.table],
            ),
            Conn::My(_) => (
                "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, \
                 CASE WHEN EXTRA LIKE '%auto_increment%' THEN 'YES' ELSE 'NO' END, \
                 CAST(NUMERIC_PRECISION AS CHAR), CAST(NUMERIC_SCALE AS CHAR) \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? \
                 ORDER BY ORDINAL_POSITION",
                vec![&cat, &t.table],
            ),
            Conn::Ms(_) => (
                "SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE, \
                 CASE WHEN COLUMNPROPERTY(OBJECT_ID(QUOTENAME(TABLE_CATALOG) + '.' + QUOTENAME(TABLE_SCHEMA) + '.' + QUOTENAME(TABLE_NAME)), COLUMN_NAME, 'IsIdentity') = 1 THEN 'YES' ELSE 'NO' END, \
                 CAST(COALESCE(NUMERIC_PRECISION, DATETIME_PRECISION) AS varchar(10)), CAST(NUMERIC_SCALE AS varchar(10)) \
                 FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @P1 AND TABLE_NAME = @P2 \
                 ORDER BY ORDINAL_POSITION",
                vec![&sch, &t.table],
            ),
        };
        let rows = self.text_rows(sql, &params).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let get = |i: usize| r.get(i).cloned().flatten();
                TableColumn {
                    name: get(0).unwrap_or_default(),
                    type_name: get(1).unwrap_or_default().to_ascii_lowercase(),
                    nullable: get(2).is_none_or(|n| n.eq_ignore_ascii_case("YES")),
                    auto_increment: get(3).is_some_and(|a| a == "YES"),
                    precision: get(4).and_then(|p| p.parse().ok()).unwrap_or(0),
                    scale: get(5).and_then(|s| s.parse().ok()),
                }
            })
            .collect())
    }

    /// The database's current time (Java: `SELECT CURRENT_TIMESTAMP` read with a calendar
    /// in `db.timezone`): a wall-clock value is read in `tz`, an instant taken as is.
    pub fn now(&mut self, tz: chrono_tz::Tz) -> BoxFuture<'_, Result<Instant, DbError>> {
        Box::pin(self.now_inner(tz))
    }

    async fn now_inner(&mut self, tz: chrono_tz::Tz) -> Result<Instant, DbError> {
        let sql = "SELECT CURRENT_TIMESTAMP";
        match self {
            Conn::Pg(c, _) => {
                let t: DateTime<Utc> = sqlx::query_scalar(sql).fetch_one(&mut **c).await?;
                Ok(Instant::from_utc(t))
            }
            Conn::My(c) => {
                let t: NaiveDateTime = sqlx::query_scalar(sql).fetch_one(&mut **c).await?;
                Ok(Instant::of_local(t, tz))
            }
            Conn::Ms(c) => {
                let row = c.query(sql, &[]).await?.into_row().await?.ok_or_else(|| {
                    DbError::new("SELECT CURRENT_TIMESTAMP returned no row", false)
                })?;
                let t: Option<NaiveDateTime> = row.try_get(0)?;
                let t = t.ok_or_else(|| DbError::new("CURRENT_TIMESTAMP was null", false))?;
                Ok(Instant::of_local(t, tz))
            }
        }
    }

    /// SQL Server's major version (13 = 2016), for the `datetime` guard.
    pub async fn sqlserver_major_version(&mut self) -> Result<Option<i32>, DbError> {
        if !matches!(self, Conn::Ms(_)) {
            return Ok(None);
        }
        let r = self
            .text_rows(
                "SELECT CAST(SERVERPROPERTY('ProductMajorVersion') AS varchar(10))",
                &[],
            )
            .await?;
        Ok(r.into_iter()
            .next()
            .and_then(|mut r| r.remove(0))
            .and_then(|v| v.parse().ok()))
    }

    /// Runs `sql` with `params`, handing the result columns (once, before the first row,
    /// only if there is one) and every row to `sink`.
    /// `table_cols` are the queried table's `getColumns` answer (table mode), used where
    /// the result set itself does not say nullability or precision.
    pub fn query<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Bound],
        pg_copy: Option<&'a str>,
        table_cols: Option<&'a [TableColumn]>,
        sink: &'a mut dyn RowSink,
    ) -> BoxFuture<'a, Result<u64, DbError>> {
        Box::pin(self.query_inner(sql, params, pg_copy, table_cols, sink))
    }

    async fn query_inner(
        &mut self,
        sql: &str,
        params: &[Bound],
        pg_copy: Option<&str>,
        table_cols: Option<&[TableColumn]>,
        sink: &mut dyn RowSink,
    ) -> Result<u64, DbError> {
        let mut n = 0u64;
        match self {
            Conn::Pg(c, meta) => {
                // Precision/scale/not-null of columns that come from a table, looked up
                // once per (table, attribute): the result set only carries the oid.
                if !meta.described.contains_key(sql) {
                    use sqlx::Executor as _;
                    // Described under other text: the statement cache is keyed by the text,
                    // and a described statement keeps the parameter types PostgreSQL
                    // inferred (an `int4` column makes `$1` int4), which the i64 bound
                    // later would not fit.
                    let probe = format!("{sql} /* rconnect: describe */");
                    let d = (&mut **c).describe(&probe).await?;
                    let keys: Vec<(u32, i16)> = d
                        .columns()
                        .iter()
                        .filter_map(|c| Some((c.relation_id()?.0, c.relation_attribute_no()?)))
                        .filter(|k| !meta.columns.contains_key(k))
                        .collect();
                    load_pg_meta(c, meta, &keys).await?;
                    meta.described.insert(sql.to_string(), d.columns().to_vec());
                }
                let described = &meta.described[sql];
                // `COPY ... (FORMAT binary)` streams the rows without the extended protocol's
                // per-row messages and row objects: used when every column has a binary
                // decoder here (an extension type without a `*_send` function would make
                // the COPY fail).
                let rc = pg_columns(described, meta, table_cols);
                if let Some(copy) = pg_copy.filter(|_| rc.iter().all(|c| c.reader != Reader::Skip))
                {
                    match c.copy_out_raw(copy).await {
                        Ok(stream) => return pg_copy_rows(stream, &rc, sink).await,
                        // sqlx leaves the refusal's ReadyForQuery unread: the connection
                        // cannot be reused. Nothing was read, so the caller can run the
                        // prepared statement on a new connection right away.
                        Err(e) => {
                            let mut e = DbError::from(e);
                            e.transient = true;
                            e.copy_refused = true;
                            return Err(e);
                        }
                    }
                }
                let mut q = sqlx::query(sql);
                for p in params {
                    q = match *p {
                        Bound::I64(v) => q.bind(v),
                        Bound::Ts(t) => q.bind(t),
                    };
                }
                let mut cols: Option<Vec<ResultColumn>> = None;
                let mut stream = q.fetch(&mut **c);
                let mut raws = Vec::new();
                while let Some(row) = stream.try_next().await? {
                    if cols.is_none() {
                        let rc = pg_columns(row.columns(), meta, table_cols);
                        sink.columns(&rc)?;
                        cols = Some(rc);
                    }
                    let rc = cols.as_ref().expect("set above");
                    n += 1;
                    raws.clear();
                    pg_row(&row, rc, &mut raws)?;
                    match sink.row(&mut raws)? {
                        RowAction::Continue => {}
                        RowAction::Flush => sink.flush().await?,
                        RowAction::Stop => return Ok(n),
                    }
                }
            }
            Conn::My(c) => {
                let mut q = sqlx::query(sql);
                for p in params {
                    q = match *p {
                        Bound::I64(v) => q.bind(v),
                        Bound::Ts(t) => q.bind(t),
                    };
                }
                let mut cols: Option<Vec<ResultColumn>> = None;
                let mut stream = q.fetch(&mut **c);
                while let Some(row) = stream.try_next().await? {
                    if cols.is_none() {
                        let rc = my_columns(&row, table_cols);
                        sink.columns(&rc)?;
                        cols = Some(rc);
                    }
                    let rc = cols.as_ref().expect("set above");
                    n += 1;
                    match sink.row(&mut my_row(&row, rc)?)? {
                        RowAction::Continue => {}
                        RowAction::Flush => sink.flush().await?,
                        RowAction::Stop => return Ok(n),
                    }
                }
            }
            Conn::Ms(c) => {
                let mut q = tiberius::Query::new(sql);
                for p in params {
                    match *p {
                        Bound::I64(v) => q.bind(v),
                        Bound::Ts(t) => q.bind(t),
                    }
                }
                let mut stream = q.query(c).await?.into_row_stream();
                let mut cols: Option<Vec<ResultColumn>> = None;
                while let Some(row) = stream.try_next().await? {
                    if cols.is_none() {
                        let rc = ms_columns(&row, table_cols);
                        sink.columns(&rc)?;
                        cols = Some(rc);
                    }
                    let rc = cols.as_ref().expect("set above");
                    n += 1;
                    let mut raws = ms_row(row, rc)?;
                    match sink.row(&mut raws)? {
                        RowAction::Continue => {}
                        RowAction::Flush => sink.flush().await?,
                        RowAction::Stop => return Ok(n),
                    }
                }
            }
        }
        Ok(n)
    }
}

async fn load_pg_meta(
    c: &mut sqlx::PgConnection,
    meta: &mut PgMeta,
    keys: &[(u32, i16)],
) -> Result<(), DbError> {
    for (rel, att) in keys {
        let r: Option<(i32, bool)> = sqlx::query_as(
            "SELECT atttypmod, attnotnull FROM pg_catalog.pg_attribute WHERE attrelid = $1 AND attnum = $2",
        )
        .bind(sqlx::postgres::types::Oid(*rel))
        .bind(*att)
        .fetch_optional(&mut *c)
        .await?;
        meta.columns.insert((*rel, *att), r.unwrap_or((-1, false)));
    }
    Ok(())
}

fn table_col<'a>(table_cols: Option<&'a [TableColumn]>, name: &str) -> Option<&'a TableColumn> {
    let cols = table_cols?;
    cols.iter()
        .find(|c| c.name == name)
        .or_else(|| cols.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
}

fn pg_columns(
    columns: &[sqlx::postgres::PgColumn],
    meta: &PgMeta,
    table_cols: Option<&[TableColumn]>,
) -> Vec<ResultColumn> {
    columns
        .iter()
        .map(|c| {
            let type_name = c.type_info().name().to_ascii_lowercase();
            let m = c
                .relation_id()
                .zip(c.relation_attribute_no())
                .and_then(|(r, a)| meta.columns.get(&(r.0, a)).copied());
            let typmod = m.map(|m| m.0).unwrap_or(-1);
            let not_null = m.map(|m| m.1).unwrap_or(false);
            let (mut precision, mut scale) = (0, None);
            let mut bits = 0;
            match type_name.as_str() {
                "numeric" if typmod >= 4 => {
                    precision = ((typmod - 4) >> 16) & 0xffff;
                    scale = Some((typmod - 4) & 0xffff);
                }
                "bit" | "varbit" => bits = typmod.max(1),
                _ => {}
            }
            if let (None, Some(tc)) = (scale, table_col(table_cols, c.name())) {
                if type_name == "numeric" && tc.precision > 0 {
                    precision = tc.precision;
                    scale = tc.scale;
                }
            }
            let (jdbc, signed) = jdbc_type_of(DbKind::Postgres, &type_name);
            let reader = match type_name.as_str() {
                "bool" => Reader::Bool,
                "int2" => Reader::I16,
                "int4" => Reader::I32,
                "int8" => Reader::I64,
                "oid" => Reader::Oid,
                "float4" => Reader::F32,
                "float8" => Reader::F64,
                "money" => Reader::PgMoney,
                "numeric" => Reader::Dec,
                "json" => Reader::Json,
                "jsonb" => Reader::Jsonb,
                "uuid" => Reader::Uuid,
                "bytea" => Reader::Bytes,
                "bit" | "varbit" => Reader::PgBits,
                "date" => Reader::Date,
                "time" => Reader::Time,
                "timetz" => Reader::TimeTz,
                "timestamp" => Reader::Local,
                "timestamptz" => Reader::Instant,
                _ if jdbc == JdbcType::Char => Reader::Str,
                _ => Reader::Skip,
            };
            let jdbc = if reader == Reader::Skip {
                JdbcType::Unsupported
            } else {
                jdbc
            };
            ResultColumn {
                def: ColumnDef {
                    name: c.name().to_string(),
                    type_name,
                    jdbc,
                    signed,
                    precision,
                    scale,
                    optional: !not_null,
                    bits,
                },
                reader,
            }
        })
        .collect()
}

fn pg_row(
    row: &sqlx::postgres::PgRow,
    cols: &[ResultColumn],
    out: &mut Vec<Raw>,
) -> Result<(), DbError> {
    use sqlx::postgres::PgValueFormat;
    use sqlx::ValueRef;
    for (i, c) in cols.iter().enumerate() {
        if c.reader == Reader::Skip {
            out.push(Raw::Null);
            continue;
        }
        let v = row.try_get_raw(i)?;
        if v.is_null() {
            out.push(Raw::Null);
            continue;
        }
        // Prepared statements (every query here is one) return binary values.
        if v.format() != PgValueFormat::Binary {
            return Err(pg_bad(c, "unexpected text-format value"));
        }
        let b = v
            .as_bytes()
            .map_err(|e| DbError::new(e.to_string(), false))?;
        out.push(pg_binary(c, b)?);
    }
    Ok(())
}

/// The rows of a `COPY ... TO STDOUT (FORMAT binary)`: an 11-byte signature, flags, a header
/// extension, then per tuple a field count and per field a length (−1 for NULL) and the value
/// in its binary form, and −1 as the trailer. Any failure once the copy started leaves the
/// connection mid-protocol, so it is reported as transient (the connection is replaced).
async fn pg_copy_rows<B: AsRef<[u8]>>(
    mut stream: futures::stream::BoxStream<'_, sqlx::Result<B>>,
    cols: &[ResultColumn],
    sink: &mut dyn RowSink,
) -> Result<u64, DbError> {
    let broken = |mut e: DbError| {
        if !e.fatal {
            e.transient = true;
        }
        e
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut header_done = false;
    let mut columns_sent = false;
    let mut raws = Vec::with_capacity(cols.len());
    let mut n = 0u64;
    let mut ended = false;
    while let Some(chunk) = stream.try_next().await.map_err(|e| broken(e.into()))? {
        if ended {
            continue;
        }
        let chunk = chunk.as_ref();
        // PostgreSQL sends a CopyData message per row, so a chunk is usually whole rows and
        // is decoded where it lies; only a cut row is carried over in `buf`.
        let direct = buf.is_empty() && header_done;
        if !direct {
            buf.extend_from_slice(chunk);
        }
        let data: &[u8] = if direct { chunk } else { &buf };
        let mut at = 0;
        if !header_done {
            const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
            if data.len() < 19 {
                continue;
            }
            if &data[..11] != SIGNATURE {
                return Err(broken(DbError::new(
                    "COPY returned no binary header",
                    false,
                )));
            }
            let ext = u32::from_be_bytes([data[15], data[16], data[17], data[18]]) as usize;
            if data.len() < 19 + ext {
                continue;
            }
            at = 19 + ext;
            header_done = true;
        }
        loop {
            raws.clear();
            match copy_tuple(&data[at..], cols, &mut raws).map_err(broken)? {
                CopyTuple::Incomplete => break,
                CopyTuple::End => {
                    ended = true;
                    break;
                }
                CopyTuple::Row(len) => {
                    at += len;
                    if !columns_sent {
                        sink.columns(cols).map_err(broken)?;
                        columns_sent = true;
                    }
                    n += 1;
                    match sink.row(&mut raws).map_err(broken)? {
                        RowAction::Continue => {}
                        RowAction::Flush => sink.flush().await.map_err(broken)?,
                        RowAction::Stop => {
                            return Err(broken(DbError::new("COPY stopped early", false)))
                        }
                    }
                }
            }
        }
        if direct {
            buf.extend_from_slice(&chunk[at..]);
        } else {
            buf.drain(..at);
        }
    }
    if !ended {
        return Err(DbError::new("COPY ended without its trailer", true));
    }
    Ok(n)
}

enum CopyTuple {
    /// A row of this many bytes was decoded.
    Row(usize),
    /// The trailer.
    End,
    /// Less than a tuple is buffered.
    Incomplete,
}

/// Decodes the tuple at the start of `b` into `out`.
fn copy_tuple(b: &[u8], cols: &[ResultColumn], out: &mut Vec<Raw>) -> Result<CopyTuple, DbError> {
    let Some(count) = b.get(..2) else {
        return Ok(CopyTuple::Incomplete);
    };
    let count = i16::from_be_bytes([count[0], count[1]]);
    if count == -1 {
        return Ok(CopyTuple::End);
    }
    if count as usize != cols.len() {
        return Err(DbError::new(
            format!("COPY returned {count} fields, the query has {}", cols.len()),
            false,
        ));
    }
    let mut at = 2;
    for c in cols {
        let Some(len) = b.get(at..at + 4) else {
            return Ok(CopyTuple::Incomplete);
        };
        let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        at += 4;
        if len < 0 {
            out.push(Raw::Null);
            continue;
        }
        let Some(v) = b.get(at..at + len as usize) else {
            return Ok(CopyTuple::Incomplete);
        };
        at += len as usize;
        out.push(if c.reader == Reader::Skip {
            Raw::Null
        } else {
            pg_binary(c, v)?
        });
    }
    Ok(CopyTuple::Row(at))
}

/// Days from 0001-01-01 (CE day 1) to 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_CE_DAYS: i32 = 730_120;
/// 2000-01-01T00:00:00Z in Unix seconds.
const PG_EPOCH_UNIX_SECS: i64 = 946_684_800;

fn pg_bad(c: &ResultColumn, what: &str) -> DbError {
    DbError::new(
        format!("Column '{}' ({}): {what}", c.def.name, c.def.type_name),
        false,
    )
}

fn pg_fixed<const N: usize>(c: &ResultColumn, b: &[u8]) -> Result<[u8; N], DbError> {
    b.try_into()
        .map_err(|_| pg_bad(c, &format!("expected {N} bytes, got {}", b.len())))
}

/// A `timestamp`/`timestamptz` value: microseconds since 2000-01-01 (UTC for timestamptz).
fn pg_micros(c: &ResultColumn, b: &[u8]) -> Result<chrono::DateTime<Utc>, DbError> {
    let us = i64::from_be_bytes(pg_fixed(c, b)?);
    let secs = us.div_euclid(1_000_000).checked_add(PG_EPOCH_UNIX_SECS);
    secs.and_then(|s| DateTime::from_timestamp(s, (us.rem_euclid(1_000_000) * 1000) as u32))
        .ok_or_else(|| pg_bad(c, "timestamp out of range (infinity?)"))
}

/// `b` as an owned string, checked as UTF-8. Most column text is ASCII, which the word-wise
/// `is_ascii` settles in a few instructions where `from_utf8`'s general check took about a
/// hundred per value.
fn utf8_string(b: &[u8]) -> Result<String, std::str::Utf8Error> {
    if b.is_ascii() {
        // SAFETY: every ASCII byte sequence is valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(b) }.to_owned());
    }
    std::str::from_utf8(b).map(str::to_owned)
}

/// One value in PostgreSQL's binary wire form (what the extended protocol returns for
/// prepared statements, PgJDBC's binary transfer reads, and `COPY ... (FORMAT binary)` holds
/// per field; the `*_send` functions of the server).
fn pg_binary(c: &ResultColumn, b: &[u8]) -> Result<Raw, DbError> {
    Ok(match c.reader {
        Reader::Bool => Raw::Bool(pg_fixed::<1>(c, b)?[0] != 0),
        Reader::I16 => Raw::I64(i16::from_be_bytes(pg_fixed(c, b)?) as i64),
        Reader::I32 => Raw::I64(i32::from_be_bytes(pg_fixed(c, b)?) as i64),
        Reader::I64 => Raw::I64(i64::from_be_bytes(pg_fixed(c, b)?)),
        Reader::Oid => Raw::I64(u32::from_be_bytes(pg_fixed(c, b)?) as i64),
        Reader::F32 => Raw::F32(f32::from_be_bytes(pg_fixed(c, b)?)),
        Reader::F64 => Raw::F64(f64::from_be_bytes(pg_fixed(c, b)?)),
        Reader::PgMoney => Raw::F64(i64::from_be_bytes(pg_fixed(c, b)?) as f64 / 100.0),
        Reader::Dec => pg_numeric(c, b)?,
        Reader::Str => Raw::Str(utf8_string(b).map_err(|e| pg_bad(c, &e.to_string()))?),
        Reader::Json | Reader::Jsonb => {
            // jsonb's binary form is a version byte (1) and the text.
            let b = if c.reader == Reader::Jsonb && b.first() == Some(&1) {
                &b[1..]
            } else {
                b
            };
            Raw::Str(String::from_utf8_lossy(b).into_owned())
        }
        Reader::Uuid => Raw::Str(uuid::Uuid::from_bytes(pg_fixed(c, b)?).to_string()),
        Reader::Bytes => Raw::Bytes(b.to_vec()),
        Reader::PgBits => {
            let data = b.get(4..).unwrap_or_default();
            if c.def.bits <= 1 {
                Raw::Bool(data.first().is_some_and(|x| x & 0x80 != 0))
            } else if c.def.bits <= 8 {
                Raw::I64((data.first().copied().unwrap_or(0) >> (8 - c.def.bits)) as i64)
            } else {
                Raw::Bytes(data.to_vec())
            }
        }
        Reader::Date => {
            let days = i32::from_be_bytes(pg_fixed(c, b)?);
            Raw::Date(
                days.checked_add(PG_EPOCH_CE_DAYS)
                    .and_then(NaiveDate::from_num_days_from_ce_opt)
                    .ok_or_else(|| pg_bad(c, "date out of range (infinity?)"))?,
            )
        }
        Reader::Time | Reader::TimeTz => {
            // timetz: the time, then the zone offset (ignored, as for PgJDBC's getTime).
            let us = i64::from_be_bytes(pg_fixed(c, b.get(..8).unwrap_or(b))?);
            Raw::Time(
                u32::try_from(us.div_euclid(1_000_000))
                    .ok()
                    .and_then(|s| {
                        NaiveTime::from_num_seconds_from_midnight_opt(
                            s,
                            (us.rem_euclid(1_000_000) * 1000) as u32,
                        )
                    })
                    .ok_or_else(|| pg_bad(c, "time out of range"))?,
            )
        }
        Reader::Local => Raw::Local(pg_micros(c, b)?.naive_utc()),
        Reader::Instant => Raw::Instant(pg_micros(c, b)?),
        _ => Raw::Null,
    })
}

/// A `numeric` in binary form: digit count, weight, sign, display scale, then base-10000
/// digits, most significant first (value = Σ digit × 10000^(weight − i)).
fn pg_numeric(c: &ResultColumn, b: &[u8]) -> Result<Raw, DbError> {
    let word = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    if b.len() < 8 {
        return Err(pg_bad(c, "truncated numeric"));
    }
    let (ndigits, weight, sign, dscale) = (
        word(0) as usize,
        word(2) as i16 as i32,
        word(4),
        word(6) as i32,
    );
    if b.len() != 8 + 2 * ndigits {
        return Err(pg_bad(c, "truncated numeric"));
    }
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Err(pg_bad(c, "NaN cannot be converted to a Decimal")),
        _ => return Err(pg_bad(c, "Infinity cannot be converted to a Decimal")),
    }
    let digits = (0..ndigits).map(|i| word(8 + 2 * i) as i128);
    // The digits as one integer, times 10^exp10.
    let exp10 = 4 * (weight - (ndigits as i32 - 1));
    let small = digits
        .clone()
        .try_fold(0i128, |acc, d| acc.checked_mul(10_000)?.checked_add(d));
    let neg = sign == 0x4000;
    if let Some(acc) = small {
        let acc = if neg { -acc } else { acc };
        if ndigits == 0 {
            return Ok(Raw::Num {
                unscaled: 0,
                scale: dscale,
            });
        }
        // At the display scale when exact (digits past it are zeros), else every digit.
        let shift = exp10 + dscale;
        let at_dscale = if shift >= 0 {
            10i128
                .checked_pow(shift as u32)
                .and_then(|f| acc.checked_mul(f))
        } else {
            10i128
                .checked_pow((-shift) as u32)
                .filter(|f| acc % f == 0)
                .map(|f| acc / f)
        };
        match at_dscale {
            Some(v) => {
                return Ok(Raw::Num {
                    unscaled: v,
                    scale: dscale,
                })
            }
            None if exp10 <= 0 => {
                return Ok(Raw::Num {
                    unscaled: acc,
                    scale: -exp10,
                })
            }
            None => {}
        }
    }
    let mut big = num_bigint::BigInt::from(0);
    for d in digits {
        big = big * 10_000 + d;
    }
    if neg {
        big = -big;
    }
    Ok(Raw::Dec(BigDecimal::new(big, -exp10 as i64)))
}

fn my_columns(
    row: &sqlx::mysql::MySqlRow,
    table_cols: Option<&[TableColumn]>,
) -> Vec<ResultColumn> {
    row.columns()
        .iter()
        .map(|c| {
            let type_name = c.type_info().name().to_ascii_lowercase();
            let tc = table_col(table_cols, c.name());
            let (jdbc, signed) = jdbc_type_of(DbKind::MySql, &type_name);
            // The result set does not say a DECIMAL's scale through sqlx: it comes from
            // getColumns in table mode and from the values (MySQL sends every DECIMAL
            // value with its column's scale) in query mode.
            let (precision, scale) = match tc {
                Some(tc) => (tc.precision, tc.scale),
                None => (65, None),
            };
            let reader = match type_name.as_str() {
                "boolean" | "tinyint" | "smallint" | "mediumint" | "int" | "bigint" => Reader::I64,
                t if t.ends_with("unsigned") => Reader::U64,
                "float" => Reader::F32,
                "double" => Reader::F64,
                "decimal" => Reader::Dec,
                "bit" => Reader::MyBits,
                "year" => Reader::Year,
                "date" => Reader::Date,
                "time" => Reader::Time,
                "datetime" | "timestamp" => Reader::Local,
                _ if jdbc == JdbcType::Char => Reader::Str,
                _ if jdbc == JdbcType::Binary => Reader::Bytes,
                _ => Reader::Skip,
            };
            ResultColumn {
                def: ColumnDef {
                    name: c.name().to_string(),
                    type_name,
                    jdbc: if reader == Reader::Skip {
                        JdbcType::Unsupported
                    } else {
                        jdbc
                    },
                    signed,
                    precision,
                    scale,
                    optional: tc.is_none_or(|t| t.nullable),
                    bits: 0,
                },
                reader,
            }
        })
        .collect()
}

fn my_row(row: &sqlx::mysql::MySqlRow, cols: &[ResultColumn]) -> Result<Vec<Raw>, DbError> {
    use sqlx::ValueRef;
    let mut out = Vec::with_capacity(cols.len());
    for (i, c) in cols.iter().enumerate() {
        if c.reader == Reader::Skip || row.try_get_raw(i)?.is_null() {
            out.push(Raw::Null);
            continue;
        }
        out.push(match c.reader {
            Reader::I64 => Raw::I64(row.try_get_unchecked(i)?),
            Reader::U64 => Raw::U64(row.try_get_unchecked(i)?),
            Reader::F32 => Raw::F32(row.try_get_unchecked(i)?),
            Reader::F64 => Raw::F64(row.try_get_unchecked(i)?),
            Reader::Dec => Raw::Dec(row.try_get_unchecked(i)?),
            Reader::Str => {
                let b: Vec<u8> = row.try_get_unchecked(i)?;
                Raw::Str(String::from_utf8_lossy(&b).into_owned())
            }
            Reader::Bytes => Raw::Bytes(row.try_get_unchecked(i)?),
            Reader::MyBits => {
                let b: Vec<u8> = row.try_get_unchecked(i)?;
                Raw::U64(b.iter().fold(0u64, |a, x| (a << 8) | *x as u64))
            }
            Reader::Year => {
                let y: i64 = row.try_get_unchecked::<u16, _>(i)? as i64;
                Raw::Date(NaiveDate::from_ymd_opt(y as i32, 1, 1).unwrap_or_default())
            }
            Reader::Date => Raw::Date(row.try_get_unchecked(i)?),
            Reader::Time => Raw::Time(row.try_get_unchecked(i)?),
            Reader::Local => Raw::Local(row.try_get_unchecked(i)?),
            _ => Raw::Null,
        });
    }
    Ok(out)
}

fn ms_columns(row: &tiberius::Row, table_cols: Option<&[TableColumn]>) -> Vec<ResultColumn> {
    use tiberius::ColumnType as T;
    row.columns()
        .iter()
        .zip(row.cells())
        .map(|(c, (_, data))| {
            let tc = table_col(table_cols, c.name());
            // The TDS column type is ambiguous for nullable columns (`intn` is any int):
            // getColumns' type name wins in table mode; otherwise the value's own type.
            let type_name = match tc {
                Some(tc) => tc.type_name.clone(),
                None => match (c.column_type(), data) {
                    (T::Bit | T::Bitn, _) => "bit".into(),
                    (_, tiberius::ColumnData::U8(_)) => "tinyint".into(),
                    (_, tiberius::ColumnData::I16(_)) => "smallint".into(),
                    (_, tiberius::ColumnData::I32(_)) => "int".into(),
                    (_, tiberius::ColumnData::I64(_)) => "bigint".into(),
                    (T::Float4, _) | (_, tiberius::ColumnData::F32(_)) => "real".into(),
                    (T::Money | T::Money4, _) => "money".into(),
                    (_, tiberius::ColumnData::F64(_)) => "float".into(),
                    (T::Decimaln, _) => "decimal".into(),
                    (T::Numericn, _) => "numeric".into(),
                    (T::Guid, _) => "uniqueidentifier".into(),
                    (
                        T::BigVarChar | T::BigChar | T::NVarchar | T::NChar | T::Text | T::NText,
                        _,
                    ) => "nvarchar".into(),
                    (T::Xml, _) => "xml".into(),
                    (T::BigVarBin | T::BigBinary | T::Image, _) => "varbinary".into(),
                    (T::Daten, _) => "date".into(),
                    (T::Timen, _) => "time".into(),
                    (T::Datetime | T::Datetimen | T::Datetime4, _) => "datetime".into(),
                    (T::Datetime2, _) => "datetime2".into(),
                    (T::DatetimeOffsetn, _) => "datetimeoffset".into(),
                    _ => "sql_variant".into(),
                },
            };
            let (jdbc, signed) = jdbc_type_of(DbKind::SqlServer, &type_name);
            let (mut precision, mut scale) =
                tc.map(|t| (t.precision, t.scale)).unwrap_or((0, None));
            if let tiberius::ColumnData::Numeric(Some(n)) = data {
                if scale.is_none() {
                    scale = Some(n.scale() as i32);
                    precision = 38;
                }
            }
            if matches!(type_name.as_str(), "money" | "smallmoney") {
                scale = Some(4);
                precision = if type_name == "money" { 19 } else { 10 };
            }
            ResultColumn {
                def: ColumnDef {
                    name: c.name().to_string(),
                    type_name,
                    jdbc,
                    signed,
                    precision,
                    scale,
                    optional: tc.is_none_or(|t| t.nullable),
                    bits: 0,
                },
                reader: if jdbc == JdbcType::Unsupported {
                    Reader::Skip
                } else {
                    Reader::Tds
                },
            }
        })
        .collect()
}

fn tds_text(cd: &tiberius::ColumnData<'_>) -> Option<String> {
    use tiberius::ColumnData as D;
    match cd {
        D::String(s) => s.as_ref().map(|s| s.to_string()),
        D::U8(v) => v.map(|v| v.to_string()),
        D::I16(v) => v.map(|v| v.to_string()),
        D::I32(v) => v.map(|v| v.to_string()),
        D::I64(v) => v.map(|v| v.to_string()),
        D::Bit(v) => v.map(|v| (v as u8).to_string()),
        D::Numeric(v) => v.map(|v| v.to_string()),
        _ => None,
    }
}

fn ms_row(row: tiberius::Row, cols: &[ResultColumn]) -> Result<Vec<Raw>, DbError> {
    use tiberius::{ColumnData as D, FromSql};
    let mut out = Vec::with_capacity(cols.len());
    for (cd, c) in row.into_iter().zip(cols) {
        if c.reader == Reader::Skip {
            out.push(Raw::Null);
            continue;
        }
        let raw = match &cd {
            D::U8(v) => v.map(|v| Raw::I64(v as i64)),
            D::I16(v) => v.map(|v| Raw::I64(v as i64)),
            D::I32(v) => v.map(|v| Raw::I64(v as i64)),
            D::I64(v) => v.map(Raw::I64),
            D::F32(v) => v.map(Raw::F32),
            D::F64(v) => v.map(|f| {
                if matches!(c.def.type_name.as_str(), "money" | "smallmoney") {
                    Raw::Dec(BigDecimal::try_from(f).unwrap_or_default().with_scale(4))
                } else {
                    Raw::F64(f)
                }
            }),
            D::Bit(v) => v.map(Raw::Bool),
            D::String(s) => s.as_ref().map(|s| Raw::Str(s.to_string())),
            // The Microsoft driver renders GUIDs in upper case.
            D::Guid(g) => g.map(|g| Raw::Str(g.to_string().to_ascii_uppercase())),
            D::Binary(b) => b.as_ref().map(|b| Raw::Bytes(b.to_vec())),
            D::Numeric(n) => {
                n.map(|n| Raw::Dec(BigDecimal::new(n.value().into(), n.scale() as i64)))
            }
            D::Xml(x) => x.as_ref().map(|x| Raw::Str(x.to_string())),
            D::DateTime(_) | D::SmallDateTime(_) | D::DateTime2(_) => {
                NaiveDateTime::from_sql(&cd)?.map(Raw::Local)
            }
            D::Date(_) => NaiveDate::from_sql(&cd)?.map(Raw::Date),
            D::Time(_) => NaiveTime::from_sql(&cd)?.map(Raw::Time),
            D::DateTimeOffset(_) => DateTime::<Utc>::from_sql(&cd)?.map(Raw::Instant),
        };
        out.push(raw.unwrap_or(Raw::Null));
    }
    Ok(out)
}

async fn connect_sqlserver(s: &ConnectSettings) -> Result<MsClient, DbError> {
    let mut config = tiberius::Config::new();
    config.host(&s.url.host);
    config.port(s.url.port);
    if let Some(i) = &s.url.instance {
        // A named instance needs the SQL Browser to find its port; with the port given
        // in the URL the instance name is only informative.
        if s.prop("portNumber").is_none() && s.url.port == 1433 {
            tracing::warn!(
                "connection.url names SQL Server instance '{i}' without a port; connecting to port 1433"
            );
        }
        config.instance_name(i);
    }
    if let Some(d) = &s.url.database {
        config.database(d);
    }
    config.application_name(s.prop("applicationName").unwrap_or("rconnect-jdbc-source"));
    // Microsoft driver ≥ 10.2: `encrypt` defaults to true.
    let encrypt = s.prop("encrypt").map(str::to_ascii_lowercase);
    config.encryption(match encrypt.as_deref() {
        Some("false") | Some("no") => tiberius::EncryptionLevel::Off,
        Some("strict") | Some("mandatory") | Some("true") | Some("yes") | None => {
            tiberius::EncryptionLevel::Required
        }
        Some("optional") => tiberius::EncryptionLevel::Off,
        Some(other) => {
            return Err(DbError::new(
                format!("unknown encrypt value '{other}' in connection.url"),
                false,
            ))
        }
    });
    if s.prop("trustServerCertificate")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        config.trust_cert();
    }
    if let Some(h) = s.prop("hostNameInCertificate") {
        config.hostname_in_certificate(h);
    }
    match (s.user(), s.password()) {
        (Some(u), p) => {
            config.authentication(tiberius::AuthMethod::sql_server(u, p.unwrap_or_default()))
        }
        // Java's SQL Server dialect: a password without a user is an Azure AD token.
        (None, Some(token)) => config.authentication(tiberius::AuthMethod::aad_token(token)),
        (None, None) => {}
    }
    let mut redirects = 0;
    loop {
        let tcp = tokio::net::TcpStream::connect(config.get_addr())
            .await
            .map_err(|e| {
                DbError::new(
                    format!("cannot connect to {}: {e}", config.get_addr()),
                    true,
                )
            })?;
        tcp.set_nodelay(true).ok();
        match tiberius::Client::connect(config.clone(), tcp.compat_write()).await {
            Ok(c) => return Ok(c),
            // Azure SQL gateways redirect once.
            Err(tiberius::error::Error::Routing { host, port }) if redirects < 2 => {
                redirects += 1;
                config.host(&host);
                config.port(port);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_checked_as_utf8_with_an_ascii_shortcut() {
        assert_eq!(utf8_string(b"name-42").unwrap(), "name-42");
        assert_eq!(utf8_string(b"").unwrap(), "");
        assert_eq!(utf8_string("grüße €".as_bytes()).unwrap(), "grüße €");
        // Invalid UTF-8 after an ASCII prefix longer than a word is still refused.
        let mut bad = b"0123456789abcdef".to_vec();
        bad.push(0xC3);
        assert!(utf8_string(&bad).is_err());
        let c = col(Reader::Str);
        match pg_binary(&c, &bad) {
            Err(e) => assert!(e.to_string().contains("utf-8"), "{e}"),
            Ok(v) => panic!("invalid UTF-8 read as {v:?}"),
        }
    }

    fn col(reader: Reader) -> ResultColumn {
        ResultColumn {
            def: ColumnDef {
                name: "c".into(),
                type_name: "numeric".into(),
                jdbc: JdbcType::Numeric,
                signed: true,
                precision: 0,
                scale: None,
                optional: true,
                bits: 0,
            },
            reader,
        }
    }

    /// `numeric_send`'s bytes: digit count, weight, sign, display scale, base-10000 digits.
    fn numeric(weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend((digits.len() as u16).to_be_bytes());
        b.extend(weight.to_be_bytes());
        b.extend(sign.to_be_bytes());
        b.extend(dscale.to_be_bytes());
        for d in digits {
            b.extend(d.to_be_bytes());
        }
        b
    }

    #[test]
    fn postgres_binary_numerics() {
        let c = col(Reader::Dec);
        let num = |u: i128, s: i32| Raw::Num {
            unscaled: u,
            scale: s,
        };
        // 12.34 = 12 × 10000^0 + 3400 × 10000^-1, dscale 2.
        assert_eq!(
            pg_binary(&c, &numeric(0, 0, 2, &[12, 3400])).unwrap(),
            num(1234, 2)
        );
        assert_eq!(
            pg_binary(&c, &numeric(0, 0x4000, 2, &[12, 3400])).unwrap(),
            num(-1234, 2)
        );
        // 1000000 = 100 × 10000^1, dscale 0.
        assert_eq!(
            pg_binary(&c, &numeric(1, 0, 0, &[100])).unwrap(),
            num(1_000_000, 0)
        );
        // 0.0005 = 5 × 10000^-1, dscale 4; zero with dscale 3.
        assert_eq!(pg_binary(&c, &numeric(-1, 0, 4, &[5])).unwrap(), num(5, 4));
        assert_eq!(pg_binary(&c, &numeric(0, 0, 3, &[])).unwrap(), num(0, 3));
        // 40 base-10000 digits do not fit 128 bits: a BigDecimal.
        let wide = [9999u16; 40];
        match pg_binary(&c, &numeric(39, 0, 0, &wide)).unwrap() {
            Raw::Dec(d) => assert_eq!(d.to_string(), "9".repeat(160)),
            other => panic!("{other:?}"),
        }
        let nan = pg_binary(&c, &numeric(0, 0xC000, 0, &[])).unwrap_err();
        assert!(
            nan.message.contains("Column 'c'") && nan.message.contains("NaN"),
            "{nan}"
        );
        assert!(pg_binary(&c, &[0, 1]).is_err());
    }

    #[test]
    fn copy_tuples_are_cut_and_decoded() {
        let cols = [col(Reader::I64), col(Reader::Str)];
        let mut b = Vec::new();
        b.extend(2i16.to_be_bytes());
        b.extend(8i32.to_be_bytes());
        b.extend(42i64.to_be_bytes());
        b.extend((-1i32).to_be_bytes());
        let mut out = Vec::new();
        match copy_tuple(&b, &cols, &mut out).unwrap() {
            CopyTuple::Row(n) => assert_eq!(n, b.len()),
            _ => panic!("a row"),
        }
        assert_eq!(out, [Raw::I64(42), Raw::Null]);
        for cut in 0..b.len() {
            out.clear();
            assert!(matches!(
                copy_tuple(&b[..cut], &cols, &mut out).unwrap(),
                CopyTuple::Incomplete
            ));
        }
        assert!(matches!(
            copy_tuple(&(-1i16).to_be_bytes(), &cols, &mut out).unwrap(),
            CopyTuple::End
        ));
        let e = copy_tuple(&3i16.to_be_bytes(), &cols, &mut out)
            .err()
            .unwrap();
        assert!(e.message.contains("3 fields"), "{e}");
    }

    #[test]
    fn postgres_binary_dates_and_times() {
        let ts = col(Reader::Local);
        // 2023-11-14T22:13:20.123456 = 753_315_200.123456 s after 2000-01-01.
        let us: i64 = 753_315_200_123_456;
        match pg_binary(&ts, &us.to_be_bytes()).unwrap() {
            Raw::Local(t) => assert_eq!(t.to_string(), "2023-11-14 22:13:20.123456"),
            other => panic!("{other:?}"),
        }
        match pg_binary(&ts, &(-1i64).to_be_bytes()).unwrap() {
            Raw::Local(t) => assert_eq!(t.to_string(), "1999-12-31 23:59:59.999999"),
            other => panic!("{other:?}"),
        }
        assert!(pg_binary(&ts, &i64::MAX.to_be_bytes()).is_err(), "infinity");
        match pg_binary(&col(Reader::Date), &(-1i32).to_be_bytes()).unwrap() {
            Raw::Date(d) => assert_eq!(d.to_string(), "1999-12-31"),
            other => panic!("{other:?}"),
        }
        let mut timetz = 3_600_000_000i64.to_be_bytes().to_vec();
        timetz.extend((-7200i32).to_be_bytes());
        match pg_binary(&col(Reader::TimeTz), &timetz).unwrap() {
            Raw::Time(t) => assert_eq!(t.to_string(), "01:00:00"),
            other => panic!("{other:?}"),
        }
        let u = uuid::Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap();
        assert_eq!(
            pg_binary(&col(Reader::Uuid), u.as_bytes()).unwrap(),
            Raw::Str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into())
        );
        assert!(pg_binary(&col(Reader::I32), &[0, 1]).is_err());
    }

    #[test]
    fn jdbc_patterns() {
        assert!(pattern_matches(None, Some("dbo")));
        assert!(pattern_matches(Some("db%"), Some("dbo")));
        assert!(pattern_matches(Some("d_o"), Some("dbo")));
        assert!(!pattern_matches(Some("sales"), Some("dbo")));
        assert!(pattern_matches(Some(""), None));
        assert!(!pattern_matches(Some(""), Some("dbo")));
        assert!(!pattern_matches(Some("a.b"), Some("axb")));
    }
}
