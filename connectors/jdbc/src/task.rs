//! The source task (Java `JdbcSourceTask` with the ≥ 10.8.5 architecture: a background
//! "table querier processor" runs the queries and hands batches to `poll` through a bounded
//! queue; `TableQuerier`, `BulkTableQuerier`, `TimestampIncrementingTableQuerier`,
//! `TimestampTableQuerier`).

use std::sync::Arc;
use std::time::Duration;

use rconnect_sdk::connector::{SourceTask, SourceTaskContext};
use rconnect_sdk::data::{Headers, SchemaBuilder, SchemaRef, Struct, Value};
use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::record::{ConnectRecord, SourceMeta, SourceRecord, Topic};
use rconnect_sdk::stop::StopSignal;
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};
use tokio::sync::mpsc;

use crate::config::{JdbcConfig, TABLES, TABLES_FETCHED};
use crate::db::{Bound, Conn, DbError, ResultColumn, RowAction, RowSink, TableColumn};
use crate::dialect::{quote_char_of, split_tables, Mode, Param, QuerySpec, TableId};
use crate::offset::{query_partition, v0_partition, v1_partition, Offset};
use crate::types::{
    map_column, raw_instant, schema_for, to_connect, to_connect_common, ColKind, Instant, Raw,
};
use crate::VERSION;

/// Java class name of the task.
pub const TASK_CLASS: &str = "io.confluent.connect.jdbc.source.JdbcSourceTask";

type Batch = ConnectResult<Vec<SourceRecord>>;

/// `io.confluent.connect.jdbc.source.JdbcSourceTask`.
#[derive(Default)]
pub struct JdbcSourceTask {
    rx: Option<mpsc::Receiver<Batch>>,
    processor: Option<tokio::task::JoinHandle<()>>,
    stop: Option<StopSignal>,
    linger: Duration,
}

impl JdbcSourceTask {
    pub fn new() -> Self {
        Self::default()
    }
}

/// Opens a connection, retrying `connection.attempts` times `connection.backoff.ms` apart
/// (Java `CachedConnectionProvider#newConnection`). `None` when stopped meanwhile.
pub async fn connect_with_retry(
    cfg: &JdbcConfig,
    stop: &StopSignal,
) -> Result<Option<Conn>, DbError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match Conn::connect(&cfg.connect).await {
            Ok(c) => return Ok(Some(c)),
            Err(e) if attempt < cfg.attempts => {
                tracing::info!(
                    "Unable to connect to database on attempt {attempt}/{}. Will retry in {} ms. {e}",
                    cfg.attempts,
                    cfg.backoff.as_millis()
                );
                if stop.sleep(cfg.backoff).await {
                    return Ok(None);
                }
            }
            Err(e) => {
                return Err(DbError::new(
                    format!(
                        "Failed to connect to {}:{} after {attempt} attempt(s): {}",
                        cfg.url.host, cfg.url.port, e.message
                    ),
                    true,
                ))
            }
        }
    }
}

/// One table or the query, and where it is.
struct Querier {
    table: Option<TableId>,
    topic: Topic,
    partition: Arc<OffsetMap>,
    /// Bulk mode stores no offset.
    bulk: bool,
    mode: Mode,
    incrementing: Option<String>,
    timestamps: Vec<String>,
    sql: String,
    params: Vec<Param>,
    /// PostgreSQL: the statement cut at its placeholders, for `COPY ... TO STDOUT`.
    copy_parts: Option<Vec<String>>,
    offset: Offset,
    next_run: tokio::time::Instant,
    table_cols: Option<Vec<TableColumn>>,
    failures: u32,
    datetime_checked: bool,
}

#[async_trait]
impl SourceTask for JdbcSourceTask {
    fn version(&self) -> String {
        VERSION.to_string()
    }

    async fn start(&mut self, ctx: SourceTaskContext, props: Props) -> ConnectResult<()> {
        let cfg = JdbcConfig::parse(&props)?;
        self.linger = cfg.poll_linger.max(Duration::from_millis(10));
        self.stop = Some(ctx.stop.clone());
        let tables_value = props.get(TABLES).cloned().unwrap_or_default();
        let fetched = props
            .get(TABLES_FETCHED)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let tables: Vec<TableId> = split_tables(&tables_value, quote_char_of(cfg.dialect.kind))
            .iter()
            .map(|t| cfg.dialect.parse_table(t))
            .collect();
        if !tables.is_empty() && cfg.query.is_some() {
            return Err(ConnectError::connect(
                "Invalid configuration: a JdbcSourceTask cannot have both a table and a query assigned to it",
            ));
        }
        if tables.is_empty() && cfg.query.is_none() {
            if !fetched {
                // The connector had no table list yet; it reconfigures the tasks when it has.
                tracing::info!(
                    "JDBC source task has no tables yet; waiting for the connector to assign some"
                );
                return Ok(());
            }
            return Err(ConnectError::connect(
                "Invalid configuration: each JdbcSourceTask must have at least one table assigned to it or one query specified",
            ));
        }
        let Some(mode) = cfg.mode else {
            tracing::warn!("JDBC source task has no mode configured: it reads nothing");
            return Ok(());
        };
        let mut conn = match connect_with_retry(&cfg, &ctx.stop)
            .await
            .map_err(|e| ConnectError::connect(e.message))?
        {
            Some(c) => c,
            None => return Ok(()),
        };
        let mut queriers = Vec::new();
        let targets: Vec<Option<TableId>> = if cfg.query.is_some() {
            vec![None]
        } else {
            tables.into_iter().map(Some).collect()
        };
        // Offsets: V1 then V0 partition per table, one read for all (Java `JdbcSourceTask#start`).
        let mut wanted = Vec::new();
        for t in &targets {
            match t {
                Some(t) => {
                    wanted.push(v1_partition(&t.unquoted()));
                    wanted.push(v0_partition(&t.table));
                }
                None => wanted.push(query_partition()),
            }
        }
        let stored = if mode == Mode::Bulk {
            vec![None; wanted.len()]
        } else {
            ctx.offset_reader.offsets(&wanted).await?
        };
        let mut stored = stored.into_iter();
        for t in targets {
            let (stored_offset, partition) = match &t {
                Some(t) => {
                    let v1 = stored.next().flatten();
                    let v0 = stored.next().flatten();
                    let partition = if mode == Mode::Bulk {
                        v0_partition(&t.table)
                    } else {
                        v1_partition(&t.unquoted())
                    };
                    (v1.or(v0), partition)
                }
                None => (stored.next().flatten(), query_partition()),
            };
            let fqn = t.as_ref().map(TableId::unquoted).unwrap_or_default();
            let mut incrementing = if mode.uses_incrementing() {
                cfg.incrementing_column_for(&fqn)
                    .map_err(ConnectError::connect)?
            } else {
                String::new()
            };
            let timestamps = if mode.uses_timestamp() {
                cfg.timestamp_columns_for(&fqn)
                    .map_err(ConnectError::connect)?
            } else {
                Vec::new()
            };
            let mut table_cols = None;
            if let Some(t) = &t {
                let cols = conn.table_columns(t).await.map_err(|e| {
                    ConnectError::connect(format!("Failed to read the columns of table {fqn}: {e}"))
                })?;
                check_columns(&cfg, mode, t, &cols, &mut incrementing, &timestamps)?;
                table_cols = Some(cols);
            }
            let offset = match stored_offset {
                Some(m) => {
                    Offset::from_map(&m).map_err(|e| ConnectError::connect(e.to_string()))?
                }
                None => match cfg.timestamp_initial {
                    Some(-1) => Offset {
                        incrementing: None,
                        timestamp: Some(
                            conn.now(cfg.tz)
                                .await
                                .map_err(|e| ConnectError::connect(e.message))?,
                        ),
                    },
                    Some(ms) => Offset {
                        incrementing: None,
                        timestamp: Some(Instant::from_millis(ms)),
                    },
                    None => Offset::default(),
                },
            };
            let inc = (!incrementing.is_empty()).then_some(incrementing);
            let spec = QuerySpec {
                mode,
                table: t.as_ref(),
                user_query: cfg.query.as_deref(),
                incrementing: inc.as_deref(),
                timestamps: &timestamps,
                suffix: &cfg.query_suffix,
            };
            let (sql, params) = cfg.dialect.query(&spec);
            let copy_parts = (cfg.dialect.kind == crate::url::DbKind::Postgres)
                .then(|| cfg.dialect.query_parts(&spec).0)
                .filter(|parts| parts.len() == params.len() + 1);
            let topic = match &t {
                Some(t) => format!("{}{}", cfg.topic_prefix, t.table),
                None => cfg.topic_prefix.clone(),
            };
            tracing::info!(
                "JDBC source querier for {}: {sql}",
                if fqn.is_empty() { "query" } else { &fqn }
            );
            queriers.push(Querier {
                table: t,
                topic: topic.into(),
                partition: Arc::new(partition),
                bulk: mode == Mode::Bulk,
                mode,
                incrementing: inc,
                timestamps,
                sql,
                params,
                copy_parts,
                offset,
                next_run: tokio::time::Instant::now(),
                table_cols,
                failures: 0,
                datetime_checked: false,
            });
        }
        let buffered_batches = (cfg.max_buffer_size / cfg.batch_max_rows).max(1);
        let (tx, rx) = mpsc::channel(buffered_batches);
        let stop = ctx.stop.clone();
        self.processor = Some(tokio::spawn(run_processor(cfg, conn, queriers, tx, stop)));
        self.rx = Some(rx);
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
        let stop = self.stop.clone().unwrap_or_else(StopSignal::never);
        let Some(rx) = self.rx.as_mut() else {
            // Idle: nothing assigned.
            stop.sleep(Duration::from_secs(1)).await;
            return Ok(None);
        };
        tokio::select! {
            _ = stop.stopped() => Ok(None),
            r = tokio::time::timeout(self.linger, rx.recv()) => match r {
                Err(_) => Ok(None),
                Ok(Some(Ok(batch))) => Ok(Some(batch)),
                Ok(Some(Err(e))) => Err(e),
                Ok(None) if stop.is_stopped() => Ok(None),
                Ok(None) => Err(ConnectError::connect("The JDBC source's query processor ended unexpectedly")),
            }
        }
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(p) = self.processor.take() {
            p.abort();
        }
        self.rx = None;
        Ok(())
    }
}

/// Java `JdbcSourceTask#start`'s column checks, per table (Java checks the configured
/// columns against the first table only; rconnect checks every table).
fn check_columns(
    cfg: &JdbcConfig,
    mode: Mode,
    t: &TableId,
    cols: &[TableColumn],
    incrementing: &mut String,
    timestamps: &[String],
) -> ConnectResult<()> {
    let fqn = t.unquoted();
    if cols.is_empty() {
        return Err(ConnectError::connect(format!(
            "Table {fqn} does not exist or has no columns the connector can read"
        )));
    }
    let find = |name: &str| cols.iter().find(|c| c.name.eq_ignore_ascii_case(name));
    if mode.uses_incrementing() {
        if incrementing.is_empty() {
            match cols.iter().find(|c| c.auto_increment) {
                Some(c) => *incrementing = c.name.clone(),
                None => {
                    return Err(ConnectError::connect(format!(
                        "Cannot make incremental queries on table {fqn}: no incrementing.column.name is set and the table has no auto-increment column"
                    )))
                }
            }
        }
        match find(incrementing) {
            None => {
                return Err(ConnectError::connect(format!(
                    "Cannot make incremental queries using incrementing column {incrementing} on {fqn} because this column does not exist."
                )))
            }
            Some(c) if cfg.validate_non_null && c.nullable => {
                return Err(ConnectError::connect(format!(
                    "Cannot make incremental queries using incrementing column {incrementing} on {fqn} because this column is nullable."
                )))
            }
            _ => {}
        }
    }
    if mode.uses_timestamp() {
        let mut all_nullable = true;
        for ts in timestamps {
            match find(ts) {
                None => {
                    return Err(ConnectError::connect(format!(
                        "Cannot make incremental queries using timestamp column {ts} on {fqn} because this column does not exist."
                    )))
                }
                Some(c) => all_nullable &= c.nullable,
            }
        }
        if cfg.validate_non_null && all_nullable {
            return Err(ConnectError::connect(format!(
                "Cannot make incremental queries using timestamp columns {} on {fqn} because all of these columns are nullable.",
                timestamps.join(",")
            )));
        }
    }
    Ok(())
}

/// Collects a query's rows into records and hands them out in batches.
struct Collector<'a> {
    q: &'a mut Querier,
    tz: chrono_tz::Tz,
    granularity: crate::types::Granularity,
    numeric: crate::types::NumericMapping,
    batch_max_rows: usize,
    tx: &'a mpsc::Sender<Batch>,
    schema: Option<SchemaRef>,
    kinds: Vec<Option<ColKind>>,
    names: Vec<String>,
    inc_idx: Option<usize>,
    ts_idx: Vec<usize>,
    batch: Vec<SourceRecord>,
    /// Timestamp mode: the row whose offset waits for the next row's timestamp.
    pending: Option<(SourceRecord, Instant)>,
    /// Timestamp mode: the last timestamp the offset was advanced to.
    advanced: Option<Instant>,
    sqlserver_major: Option<i32>,
}

/// The index of a configured column among the result columns: exact match first, then a
/// unique case-insensitive one (Java `TimestampIncrementingCriteria#findColumn`-like).
fn column_index(names: &[String], want: &str) -> Option<usize> {
    names.iter().position(|n| n == want).or_else(|| {
        let m: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.eq_ignore_ascii_case(want))
            .map(|(i, _)| i)
            .collect();
        (m.len() == 1).then(|| m[0])
    })
}

impl Collector<'_> {
    /// A record sharing the querier's partition map (one allocation for all its records).
    fn record(&self, value: Struct, offset: Option<OffsetMap>) -> SourceRecord {
        ConnectRecord {
            topic: self.q.topic.clone(),
            kafka_partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: self.schema.clone(),
            value: Value::Struct(value),
            timestamp: None,
            headers: Headers::new(),
            meta: SourceMeta {
                source_partition: Some(self.q.partition.clone()),
                source_offset: offset,
            },
        }
    }
}

#[async_trait]
impl RowSink for Collector<'_> {
    fn columns(&mut self, cols: &[ResultColumn]) -> Result<(), DbError> {
        let fatal = DbError::fatal;
        if !self.q.datetime_checked {
            self.q.datetime_checked = true;
            // Java `SqlServerDatabaseDialect`: on 2016+ `datetime` timestamp columns re-read
            // their last row forever (datetime vs datetime2 rounding); refuse them.
            if self.sqlserver_major.is_some_and(|v| v >= 13) {
                for ts in &self.q.timestamps {
                    if let Some(c) = cols.iter().find(|c| c.def.name.eq_ignore_ascii_case(ts)) {
                        if c.def.type_name == "datetime" {
                            return Err(fatal(format!(
                                "The timestamp column {ts} is of type datetime. SQL Server 2016 and later compare datetime with the connector's datetime2 parameters differently, which makes the connector re-read rows forever. Change the column to datetime2."
                            )));
                        }
                    }
                }
            }
        }
        let mut b = SchemaBuilder::struct_();
        if let Some(t) = &self.q.table {
            b = b.name(t.table.clone());
        }
        self.kinds.clear();
        self.names.clear();
        for c in cols {
            let k = map_column(&c.def, self.numeric, self.granularity);
            match k {
                Some(k) => {
                    b = b
                        .try_field(c.def.name.clone(), schema_for(k, &c.def))
                        .map_err(|e| fatal(e.to_string()))?;
                }
                None => tracing::warn!(
                    "JDBC type {} of column {} not currently supported; the column is left out",
                    c.def.type_name,
                    c.def.name
                ),
            }
            self.kinds.push(k);
            self.names.push(c.def.name.clone());
        }
        self.schema = Some(b.build());
        self.inc_idx = match &self.q.incrementing {
            Some(inc) => Some(column_index(&self.names, inc).ok_or_else(|| {
                fatal(format!(
                    "The incrementing column {inc} is not in the result of the query"
                ))
            })?),
            None => None,
        };
        self.ts_idx = self
            .q
            .timestamps
            .iter()
            .map(|ts| {
                column_index(&self.names, ts).ok_or_else(|| {
                    fatal(format!(
                        "The timestamp column {ts} is not in the result of the query"
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    fn row(&mut self, raws: &mut Vec<Raw>) -> Result<RowAction, DbError> {
        let fatal = DbError::fatal;
        // The row's own offset values, before the raw values are consumed.
        let inc = match self.inc_idx {
            Some(i) => Some(match &raws[i] {
                Raw::I64(v) => *v,
                Raw::U64(v) => i64::try_from(*v).map_err(|_| {
                    fatal(format!(
                        "Incrementing column value {v} is larger than a Long"
                    ))
                })?,
                Raw::Num { unscaled, scale }
                    if *scale <= 0
                        || 10i128
                            .checked_pow(*scale as u32)
                            .is_some_and(|f| unscaled % f == 0) =>
                {
                    let whole = if *scale <= 0 {
                        10i128
                            .checked_pow(scale.unsigned_abs())
                            .and_then(|f| unscaled.checked_mul(f))
                    } else {
                        Some(unscaled / 10i128.pow(*scale as u32))
                    };
                    whole.and_then(|v| i64::try_from(v).ok()).ok_or_else(|| {
                        fatal(format!(
                            "Incrementing column value {unscaled}E-{scale} is larger than a Long"
                        ))
                    })?
                }
                Raw::Dec(d) if d.fractional_digit_count() <= 0 || d.is_integer() => {
                    let (int, _) = d.with_scale(0).as_bigint_and_exponent();
                    i64::try_from(int).map_err(|_| {
                        fatal(format!(
                            "Incrementing column value {d} is larger than a Long"
                        ))
                    })?
                }
                Raw::Null => {
                    return Err(fatal(format!(
                        "Null value for incrementing column {} of table {}",
                        self.names[i],
                        self.q
                            .table
                            .as_ref()
                            .map(TableId::unquoted)
                            .unwrap_or_else(|| "query".into())
                    )))
                }
                other => {
                    return Err(fatal(format!(
                        "Incrementing column {} is not an integral type: {other:?}",
                        self.names[i]
                    )))
                }
            }),
            None => None,
        };
        let ts = self
            .ts_idx
            .iter()
            .find_map(|&i| raw_instant(&raws[i], self.tz));
        let schema = self.schema.clone().expect("columns() ran first");
        let mut values = Vec::with_capacity(schema.fields.len());
        for ((mut raw, k), name) in raws.drain(..).zip(&self.kinds).zip(&self.names) {
            let Some(k) = k else { continue };
            values.push(match to_connect_common(&mut raw, *k, self.tz) {
                Some(v) => v,
                None => to_connect(raw, *k, name, self.tz).map_err(|e| fatal(e.to_string()))?,
            });
        }
        // Every value was converted to its field's schema above.
        let value = Struct::from_values_unchecked(schema, values);
        if self.q.bulk {
            let r = self.record(value, None);
            self.batch.push(r);
        } else if self.q.mode == Mode::Timestamp {
            let ts =
                ts.ok_or_else(|| fatal("All timestamp columns of a row are null".to_string()))?;
            // Java `TimestampTableQuerier`: a row's offset advances to its timestamp only
            // once a later row has a strictly greater one (or it is the last row).
            if let Some((mut rec, pts)) = self.pending.take() {
                if ts > pts {
                    self.advanced = Some(pts);
                }
                rec.meta.source_offset = Some(
                    Offset {
                        incrementing: None,
                        timestamp: self.advanced.or(self.q.offset.timestamp),
                    }
                    .to_map(),
                );
                self.batch.push(rec);
            }
            let rec = self.record(value, None);
            self.pending = Some((rec, ts));
        } else {
            let o = Offset {
                incrementing: inc,
                timestamp: if self.q.mode.uses_timestamp() {
                    Some(ts.ok_or_else(|| {
                        fatal("All timestamp columns of a row are null".to_string())
                    })?)
                } else {
                    None
                },
            };
            self.q.offset = o;
            let r = self.record(value, Some(o.to_map()));
            self.batch.push(r);
        }
        Ok(if self.batch.len() >= self.batch_max_rows {
            RowAction::Flush
        } else {
            RowAction::Continue
        })
    }

    async fn flush(&mut self) -> Result<(), DbError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_max_rows));
        if self.tx.send(Ok(batch)).await.is_err() {
            return Err(DbError::fatal("task stopped"));
        }
        Ok(())
    }
}

impl Collector<'_> {
    /// The end of the result set: the held row gets its own timestamp as offset.
    fn finish(&mut self) {
        if let Some((mut rec, ts)) = self.pending.take() {
            rec.meta.source_offset = Some(
                Offset {
                    incrementing: None,
                    timestamp: Some(ts),
                }
                .to_map(),
            );
            self.q.offset.timestamp = Some(ts);
            self.batch.push(rec);
        }
    }
}

/// The querier loop (Java `TableQuerierProcessor`).
async fn run_processor(
    cfg: JdbcConfig,
    conn: Conn,
    mut queriers: Vec<Querier>,
    tx: mpsc::Sender<Batch>,
    stop: StopSignal,
) {
    let mut conn = Some(conn);
    let mut sqlserver_major: Option<Option<i32>> = None;
    loop {
        if stop.is_stopped() || tx.is_closed() {
            return;
        }
        // The querier due first (Java: priority queue by last update, then table).
        let Some(idx) = (0..queriers.len()).min_by_key(|&i| queriers[i].next_run) else {
            return;
        };
        let due = queriers[idx].next_run;
        tokio::select! {
            _ = stop.stopped() => return,
            _ = tokio::time::sleep_until(due) => {}
        }
        // Ensure a valid connection (Java `CachedConnectionProvider#getConnection`).
        let valid = match conn.as_mut() {
            Some(c) => c.is_valid().await,
            None => false,
        };
        if !valid {
            conn = None;
            match connect_with_retry(&cfg, &stop).await {
                Ok(Some(c)) => conn = Some(c),
                Ok(None) => return,
                Err(e) => {
                    // Java fails the task here; rconnect keeps the task and retries at the
                    // next poll interval so a database outage is survived.
                    tracing::error!(
                        "JDBC source could not reconnect; will retry in {} ms: {}",
                        cfg.poll_interval.as_millis(),
                        e.message
                    );
                    queriers[idx].next_run =
                        tokio::time::Instant::now() + cfg.poll_interval.max(cfg.backoff);
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("connected above");
        if sqlserver_major.is_none() {
            sqlserver_major = Some(c.sqlserver_major_version().await.unwrap_or(None));
        }
        let result = run_querier(&cfg, c, &mut queriers[idx], &tx, sqlserver_major.flatten()).await;
        let q = &mut queriers[idx];
        q.next_run = tokio::time::Instant::now() + cfg.poll_interval;
        match result {
            Ok(_) => q.failures = 0,
            Err((e, committed)) if e.copy_refused => {
                tracing::warn!(
                    "PostgreSQL refused the COPY form of the JDBC source query ({}); it runs as a prepared statement from now on",
                    e.message
                );
                q.offset = committed;
                q.copy_parts = None;
                q.next_run = tokio::time::Instant::now();
                conn = None;
            }
            Err((e, committed)) => {
                if tx.is_closed() || stop.is_stopped() {
                    return;
                }
                // Roll back to the offset at the start of this execution: the next run
                // re-reads what this one did not finish (at-least-once).
                q.offset = committed;
                let name = q
                    .table
                    .as_ref()
                    .map(TableId::unquoted)
                    .unwrap_or_else(|| "query".into());
                if e.transient {
                    // Connection trouble: drop the connection so the next run reconnects.
                    conn = None;
                }
                if e.fatal {
                    let _ = tx
                        .send(Err(ConnectError::connect(format!(
                            "JDBC source failed on {name}: {}",
                            e.message
                        ))))
                        .await;
                    return;
                }
                q.failures += 1;
                tracing::error!(
                    "JDBC source query on {name} failed (attempt {}): {}",
                    q.failures,
                    e.message
                );
                if cfg.query_retry_attempts > 0 && q.failures as i32 > cfg.query_retry_attempts {
                    let _ = tx
                        .send(Err(ConnectError::connect(format!(
                            "JDBC source query on {name} failed {} times (query.retry.attempts={}): {}",
                            q.failures, cfg.query_retry_attempts, e.message
                        ))))
                        .await;
                    return;
                }
            }
        }
    }
}

/// PostgreSQL's `COPY (<query>) TO STDOUT (FORMAT binary)` of a querier's statement with its
/// parameters inlined as typed literals (`COPY` takes no bind parameters), `None` when a value
/// has no literal PostgreSQL reads back the same (the query then runs as a prepared statement).
/// The literals are what the bound values are: `int8`, and `timestamp` at the microsecond
/// precision the driver sends (truncated toward zero from 2000-01-01, as sqlx encodes it).
fn copy_statement(parts: &[String], params: &[Bound]) -> Option<String> {
    let mut sql = String::from("COPY (");
    for (i, part) in parts.iter().enumerate() {
        sql.push_str(part);
        match params.get(i) {
            Some(Bound::I64(v)) => sql.push_str(&format!("'{v}'::int8")),
            Some(Bound::Ts(t)) => {
                let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)?.and_hms_opt(0, 0, 0)?;
                let micros = (*t - epoch).num_microseconds()?;
                let t = epoch.checked_add_signed(chrono::TimeDelta::microseconds(micros))?;
                if !(1..=9999).contains(&chrono::Datelike::year(&t)) {
                    return None;
                }
                sql.push_str(&format!(
                    "'{}'::timestamp",
                    t.format("%Y-%m-%d %H:%M:%S%.6f")
                ));
            }
            None => {}
        }
    }
    sql.push_str(") TO STDOUT (FORMAT binary)");
    Some(sql)
}

/// One execution of a querier. On failure, the error and the offset to roll back to.
async fn run_querier(
    cfg: &JdbcConfig,
    conn: &mut Conn,
    q: &mut Querier,
    tx: &mpsc::Sender<Batch>,
    sqlserver_major: Option<i32>,
) -> Result<u64, (DbError, Offset)> {
    let committed = q.offset;
    let fail = |e: DbError| (e, committed);
    let end = if q.mode.uses_timestamp() {
        let now = conn.now(cfg.tz).await.map_err(fail)?;
        let delay = cfg.timestamp_delay;
        let nanos = now.secs as i128 * 1_000_000_000 + now.nanos as i128 - delay.as_nanos() as i128;
        Some(Instant {
            secs: nanos.div_euclid(1_000_000_000) as i64,
            nanos: nanos.rem_euclid(1_000_000_000) as u32,
        })
    } else {
        None
    };
    let params: Vec<Bound> = q
        .params
        .iter()
        .map(|p| match p {
            Param::Incrementing => Bound::I64(q.offset.incrementing_or_default()),
            Param::Begin => Bound::Ts(q.offset.timestamp_or_default().local(cfg.tz)),
            Param::End => Bound::Ts(end.unwrap_or(Instant::EPOCH).local(cfg.tz)),
        })
        .collect();
    let sql = q.sql.clone();
    let copy_sql = q
        .copy_parts
        .as_ref()
        .and_then(|parts| copy_statement(parts, &params));
    let table_cols = q.table_cols.clone();
    let mut collector = Collector {
        q,
        tz: cfg.tz,
        granularity: cfg.granularity,
        numeric: cfg.numeric_mapping,
        batch_max_rows: cfg.batch_max_rows,
        tx,
        schema: None,
        kinds: Vec::new(),
        names: Vec::new(),
        inc_idx: None,
        ts_idx: Vec::new(),
        batch: Vec::new(),
        pending: None,
        advanced: None,
        sqlserver_major,
    };
    let n = conn
        .query(
            &sql,
            &params,
            copy_sql.as_deref(),
            table_cols.as_deref(),
            &mut collector,
        )
        .await
        .map_err(fail)?;
    collector.finish();
    collector.flush().await.map_err(fail)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn copy_statements_inline_typed_literals() {
        let parts = vec![
            "SELECT * FROM t WHERE ts < ".to_string(),
            " AND ((ts = ".to_string(),
            " AND id > ".to_string(),
            ") OR ts > ".to_string(),
            ") ORDER BY ts,id ASC".to_string(),
        ];
        let end = NaiveDate::from_ymd_opt(2024, 1, 2)
            .unwrap()
            .and_hms_nano_opt(3, 4, 5, 123_456_789)
            .unwrap();
        let begin = NaiveDate::from_ymd_opt(1970, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let sql = copy_statement(
            &parts,
            &[
                Bound::Ts(end),
                Bound::Ts(begin),
                Bound::I64(-1),
                Bound::Ts(begin),
            ],
        )
        .unwrap();
        assert_eq!(
            sql,
            "COPY (SELECT * FROM t WHERE ts < '2024-01-02 03:04:05.123456'::timestamp AND ((ts = '1970-01-01 00:00:00.000000'::timestamp AND id > '-1'::int8) OR ts > '1970-01-01 00:00:00.000000'::timestamp) ORDER BY ts,id ASC) TO STDOUT (FORMAT binary)"
        );
        // Before 2000 the driver's microseconds are truncated toward 2000-01-01.
        let t = NaiveDate::from_ymd_opt(1999, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 999_999_500)
            .unwrap();
        let sql = copy_statement(&["a > ".into(), "".into()], &[Bound::Ts(t)]).unwrap();
        assert_eq!(
            sql,
            "COPY (a > '2000-01-01 00:00:00.000000'::timestamp) TO STDOUT (FORMAT binary)"
        );
        // A year PostgreSQL's literal syntax does not take as is: the prepared statement.
        let far = NaiveDate::from_ymd_opt(12000, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert!(copy_statement(&["a > ".into(), "".into()], &[Bound::Ts(far)]).is_none());
    }
}
