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
}

impl DbError {
    pub fn new(message: impl Into<String>, transient: bool) -> Self {
        DbError {
            message: message.into(),
            transient,
            fatal: false,
        }
    }
    /// An error that fails the task.
    pub fn fatal(message: impl Into<String>) -> Self {
        DbError {
            message: message.into(),
            transient: false,
            fatal: true,
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
    described: std::collections::HashSet<String>,
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
    fn row(&mut self, raw: Vec<Raw>) -> Result<RowAction, DbError>;
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
        table_cols: Option<&'a [TableColumn]>,
        sink: &'a mut dyn RowSink,
    ) -> BoxFuture<'a, Result<u64, DbError>> {
        Box::pin(self.query_inner(sql, params, table_cols, sink))
    }

    async fn query_inner(
        &mut self,
        sql: &str,
        params: &[Bound],
        table_cols: Option<&[TableColumn]>,
        sink: &mut dyn RowSink,
    ) -> Result<u64, DbError> {
        let mut n = 0u64;
        match self {
            Conn::Pg(c, meta) => {
                // Precision/scale/not-null of columns that come from a table, looked up
                // once per (table, attribute): the result set only carries the oid.
                if !meta.described.contains(sql) {
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
                    meta.described.insert(sql.to_string());
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
                while let Some(row) = stream.try_next().await? {
                    if cols.is_none() {
                        let rc = pg_columns(&row, meta, table_cols);
                        sink.columns(&rc)?;
                        cols = Some(rc);
                    }
                    let rc = cols.as_ref().expect("set above");
                    n += 1;
                    match sink.row(pg_row(&row, rc)?)? {
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
                    match sink.row(my_row(&row, rc)?)? {
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
                    let raws = ms_row(row, rc)?;
                    match sink.row(raws)? {
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
    row: &sqlx::postgres::PgRow,
    meta: &PgMeta,
    table_cols: Option<&[TableColumn]>,
) -> Vec<ResultColumn> {
    row.columns()
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

fn pg_row(row: &sqlx::postgres::PgRow, cols: &[ResultColumn]) -> Result<Vec<Raw>, DbError> {
    use sqlx::ValueRef;
    let mut out = Vec::with_capacity(cols.len());
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
        let raw = match c.reader {
            Reader::Bool => Raw::Bool(row.try_get_unchecked(i)?),
            Reader::I16 => Raw::I64(row.try_get_unchecked::<i16, _>(i)? as i64),
            Reader::I32 => Raw::I64(row.try_get_unchecked::<i32, _>(i)? as i64),
            Reader::I64 => Raw::I64(row.try_get_unchecked(i)?),
            Reader::Oid => Raw::I64(row.try_get_unchecked::<sqlx::postgres::types::Oid, _>(i)?.0 as i64),
            Reader::F32 => Raw::F32(row.try_get_unchecked(i)?),
            Reader::F64 => Raw::F64(row.try_get_unchecked(i)?),
            Reader::PgMoney => Raw::F64(
                row.try_get_unchecked::<sqlx::postgres::types::PgMoney, _>(i)?.0 as f64 / 100.0,
            ),
            Reader::Dec => Raw::Dec(row.try_get_unchecked::<BigDecimal, _>(i)?),
            Reader::Str => Raw::Str(row.try_get_unchecked(i)?),
            Reader::Json | Reader::Jsonb => {
                let b = v.as_bytes().map_err(|e| DbError::new(e.to_string(), false))?;
                // jsonb's binary form is a version byte (1) and the text.
                let b = if c.reader == Reader::Jsonb && b.first() == Some(&1) {
                    &b[1..]
                } else {
                    b
                };
                Raw::Str(String::from_utf8_lossy(b).into_owned())
            }
            Reader::Uuid => Raw::Str(row.try_get_unchecked::<uuid::Uuid, _>(i)?.to_string()),
            Reader::Bytes => Raw::Bytes(row.try_get_unchecked(i)?),
            Reader::PgBits => {
                let b = v.as_bytes().map_err(|e| DbError::new(e.to_string(), false))?;
                let data = b.get(4..).unwrap_or_default().to_vec();
                if c.def.bits <= 1 {
                    Raw::Bool(data.first().is_some_and(|x| x & 0x80 != 0))
                } else if c.def.bits <= 8 {
                    Raw::I64((data.first().copied().unwrap_or(0) >> (8 - c.def.bits)) as i64)
                } else {
                    Raw::Bytes(data)
                }
            }
            Reader::Date => Raw::Date(row.try_get_unchecked(i)?),
            Reader::Time => Raw::Time(row.try_get_unchecked(i)?),
            Reader::TimeTz => Raw::Time(
                row.try_get_unchecked::<sqlx::postgres::types::PgTimeTz<NaiveTime, chrono::FixedOffset>, _>(i)?
                    .time,
            ),
            Reader::Local => Raw::Local(row.try_get_unchecked(i)?),
            Reader::Instant => Raw::Instant(row.try_get_unchecked(i)?),
            _ => Raw::Null,
        };
        out.push(raw);
    }
    Ok(out)
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
