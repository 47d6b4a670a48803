//! The connector: configuration checks, table discovery and monitoring, and the split of
//! tables over tasks (Java `JdbcSourceConnector`, `TableMonitorThread`,
//! `JdbcSourceConnectorValidation`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rconnect_sdk::config::{ConfigDef, ConfigValueReport};
use rconnect_sdk::connector::{Connector, ConnectorContext, SourceConnector, SourceOffsetChange};
use rconnect_sdk::stop::{stop_pair, StopSignal, StopTrigger};
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};

use crate::config::{
    self, add_error, validate_static, JdbcConfig, CONNECTION_URL, QUERY, QUERY_MASKED, TABLES,
    TABLES_FETCHED, TABLE_WHITELIST,
};
use crate::db::{Conn, DbError};
use crate::dialect::TableId;
use crate::offset::{INCREMENTING_FIELD, TIMESTAMP_FIELD, TIMESTAMP_NANOS_FIELD};
use crate::task::{connect_with_retry, TASK_CLASS};
use crate::VERSION;

/// Java class name of the connector.
pub const CONNECTOR_CLASS: &str = "io.confluent.connect.jdbc.JdbcSourceConnector";

/// What the table monitor has found.
#[derive(Debug, Default)]
struct Tables {
    /// `None` until the first successful listing.
    list: Option<Vec<TableId>>,
}

/// `io.confluent.connect.jdbc.JdbcSourceConnector`.
#[derive(Default)]
pub struct JdbcSourceConnector {
    props: Props,
    config: Option<JdbcConfig>,
    tables: Arc<Mutex<Tables>>,
    monitor: Option<tokio::task::JoinHandle<()>>,
    stop: Option<StopTrigger>,
}

impl JdbcSourceConnector {
    pub fn new() -> Self {
        Self::default()
    }
}

/// Java `TableMonitorThread#updateTables`'s filter: whitelist (exact: unquoted FQN, quoted
/// FQN or bare name) wins over blacklist; regex include/exclude on the unquoted FQN.
pub fn filter_tables(cfg: &JdbcConfig, all: Vec<TableId>) -> Vec<TableId> {
    let d = &cfg.dialect;
    let mut out: Vec<TableId> = Vec::new();
    for t in all {
        let keep = if !cfg.whitelist.is_empty() {
            cfg.whitelist.iter().any(|w| d.matches_configured(&t, w))
        } else if !cfg.blacklist.is_empty() {
            !cfg.blacklist.iter().any(|b| d.matches_configured(&t, b))
        } else if !cfg.include.is_empty() {
            let fqn = t.unquoted();
            cfg.include.iter().any(|r| r.is_match(&fqn))
                && !cfg.exclude.iter().any(|r| r.is_match(&fqn))
        } else {
            true
        };
        if keep && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The topic-collision guard: two tables with the same bare name would write one topic.
pub fn duplicate_names(tables: &[TableId]) -> Option<String> {
    let mut dups: Vec<&TableId> = Vec::new();
    for t in tables {
        if tables.iter().filter(|o| o.table == t.table).count() > 1 {
            dups.push(t);
        }
    }
    if dups.is_empty() {
        None
    } else {
        Some(format!(
            "The connector uses the unqualified table name as the topic name and has detected duplicate unqualified table names. This could lead to mixed data types in the topic and downstream processing errors. To prevent such processing errors, the JDBC Source connector fails to start when it detects duplicate table name configurations. Update the connector's 'table.whitelist' config to include exactly one table in each of the tables listed below.\n\t[{}]",
            dups.iter().map(|t| t.unquoted()).collect::<Vec<_>>().join(", ")
        ))
    }
}

/// Connect's `ConnectorUtils.groupPartitions`: contiguous groups, the first ones one longer.
pub fn group<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let n = n.max(1);
    let per = items.len() / n;
    let extra = items.len() % n;
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    for g in 0..n {
        let len = per + usize::from(g < extra);
        out.push(items[i..i + len].to_vec());
        i += len;
    }
    out
}

async fn list_filtered(cfg: &JdbcConfig, conn: &mut Conn) -> Result<Vec<TableId>, DbError> {
    let all = conn
        .list_tables(
            cfg.catalog_pattern.as_deref(),
            cfg.schema_pattern.as_deref(),
            &cfg.table_types,
        )
        .await?;
    Ok(filter_tables(cfg, all))
}

/// The monitor (Java `TableMonitorThread`): lists tables every `table.poll.interval.ms`
/// and asks for new task configs when the list changes.
async fn monitor(
    cfg: JdbcConfig,
    tables: Arc<Mutex<Tables>>,
    ctx: Arc<dyn ConnectorContext>,
    stop: StopSignal,
) {
    let mut conn: Option<Conn> = None;
    loop {
        if conn.is_none() {
            match connect_with_retry(&cfg, &stop).await {
                Ok(Some(c)) => conn = Some(c),
                Ok(None) => return,
                Err(e) => {
                    // Java fails the connector here (a DB outage during a refresh kills it);
                    // rconnect logs and tries again at the next interval.
                    tracing::error!("JDBC source connector cannot reach the database to refresh its table list: {}", e.message);
                }
            }
        }
        if let Some(c) = conn.as_mut() {
            match list_filtered(&cfg, c).await {
                Ok(list) => {
                    if let Some(msg) = duplicate_names(&list) {
                        ctx.raise_error(ConnectError::connect(msg));
                        return;
                    }
                    let changed = {
                        let mut t = tables.lock().unwrap_or_else(|p| p.into_inner());
                        let changed = t.list.as_ref().is_some_and(|old| *old != list);
                        if changed {
                            tracing::info!(
                                "JDBC source table list changed to [{}]; reconfiguring tasks",
                                list.iter()
                                    .map(TableId::unquoted)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            );
                        }
                        t.list = Some(list);
                        changed
                    };
                    if changed {
                        ctx.request_task_reconfiguration();
                    }
                }
                Err(e) => {
                    tracing::error!("Error while trying to get updated table list, ignoring and waiting for next table poll interval: {}", e.message);
                    if e.transient {
                        conn = None;
                    }
                }
            }
        }
        if stop
            .sleep(cfg.table_poll_interval.max(Duration::from_millis(100)))
            .await
        {
            return;
        }
    }
}

/// Runs the database-side checks of validation on a thread of its own (validation is
/// synchronous; the checks need the database).
fn validate_with_database(cfg: JdbcConfig, props: Props, reports: &mut [ConfigValueReport]) {
    let handle = std::thread::spawn(move || -> Vec<(String, String)> {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                return vec![(
                    CONNECTION_URL.to_string(),
                    format!("Could not connect to database. {e}"),
                )]
            }
        };
        rt.block_on(database_checks(cfg, props))
    });
    match handle.join() {
        Ok(errors) => {
            for (k, m) in errors {
                add_error(reports, &k, &m);
            }
        }
        Err(_) => add_error(
            reports,
            CONNECTION_URL,
            "Could not connect to database. The check failed unexpectedly",
        ),
    }
}

async fn database_checks(mut cfg: JdbcConfig, props: Props) -> Vec<(String, String)> {
    cfg.connect.connect_timeout = Duration::from_secs(10);
    let mut conn = match Conn::connect(&cfg.connect).await {
        Ok(c) => c,
        Err(e) => {
            return vec![(
                CONNECTION_URL.into(),
                format!("Could not connect to database. {}", e.message),
            )]
        }
    };
    let mut errors = Vec::new();
    if let Some(q) = &cfg.query {
        let key = if props.get(QUERY).is_some_and(|v| !v.trim().is_empty()) {
            QUERY
        } else {
            QUERY_MASKED
        };
        // Java `validateQuerySemantics`: the query must run (nothing is fetched).
        let probe = format!("SELECT * FROM ({q}) rconnect_probe WHERE 1 = 0");
        struct Discard;
        #[async_trait]
        impl crate::db::RowSink for Discard {
            fn columns(&mut self, _: &[crate::db::ResultColumn]) -> Result<(), DbError> {
                Ok(())
            }
            fn row(
                &mut self,
                _: &mut Vec<crate::types::Raw>,
            ) -> Result<crate::db::RowAction, DbError> {
                Ok(crate::db::RowAction::Stop)
            }
            async fn flush(&mut self) -> Result<(), DbError> {
                Ok(())
            }
        }
        if let Err(e) = conn.query(&probe, &[], None, None, &mut Discard).await {
            errors.push((key.to_string(), format!("The configured query is not valid and has database/connection errors. Please provide the correct query by validating the query syntax and the existing table/column names with the database being connected ({})", e.message)));
        }
        return errors;
    }
    let tables = match list_filtered(&cfg, &mut conn).await {
        Ok(t) => t,
        Err(e) => {
            return vec![(
                CONNECTION_URL.into(),
                format!("Could not list tables: {}", e.message),
            )]
        }
    };
    // rconnect adds: a whitelisted table that does not exist is named.
    for w in &cfg.whitelist {
        if !tables.iter().any(|t| cfg.dialect.matches_configured(t, w)) {
            errors.push((TABLE_WHITELIST.into(), format!("Table '{w}' of table.whitelist was not found in the database (tables are matched by name, by catalog.schema.table, or by the quoted form)")));
        }
    }
    if let Some(msg) = duplicate_names(&tables) {
        errors.push((TABLE_WHITELIST.into(), msg));
    }
    let Some(mode) = cfg.mode else { return errors };
    for t in &tables {
        let fqn = t.unquoted();
        let cols = match conn.table_columns(t).await {
            Ok(c) => c,
            Err(e) => {
                errors.push((
                    CONNECTION_URL.into(),
                    format!("Could not read the columns of {fqn}: {}", e.message),
                ));
                continue;
            }
        };
        if mode.uses_incrementing() {
            let inc = cfg.incrementing_column_for(&fqn).unwrap_or_default();
            let key = config::INCREMENTING_COLUMN_NAME;
            if inc.is_empty() {
                if !cols.iter().any(|c| c.auto_increment) {
                    errors.push((key.into(), format!("Table {fqn} has no auto-increment column; set incrementing.column.name")));
                }
            } else {
                match cols.iter().find(|c| c.name.eq_ignore_ascii_case(&inc)) {
                    None => errors.push((key.into(), format!("Column {inc} does not exist in table {fqn}"))),
                    Some(c) if cfg.validate_non_null && c.nullable => errors.push((key.into(), format!("Cannot make incremental queries using incrementing column {inc} on {fqn} because this column is nullable."))),
                    _ => {}
                }
            }
        }
        if mode.uses_timestamp() {
            let ts = cfg.timestamp_columns_for(&fqn).unwrap_or_default();
            let key = config::TIMESTAMP_COLUMN_NAME;
            let mut all_nullable = true;
            for c in &ts {
                match cols.iter().find(|x| x.name.eq_ignore_ascii_case(c)) {
                    None => errors.push((
                        key.into(),
                        format!("Column {c} does not exist in table {fqn}"),
                    )),
                    Some(x) => all_nullable &= x.nullable,
                }
            }
            if cfg.validate_non_null && all_nullable && !ts.is_empty() {
                errors.push((key.into(), format!("Cannot make incremental queries using timestamp columns {} on {fqn} because all of these columns are nullable.", ts.join(","))));
            }
        }
    }
    errors
}

#[async_trait]
impl Connector for JdbcSourceConnector {
    fn version(&self) -> String {
        VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }

    fn validate(&self, props: &Props) -> Vec<ConfigValueReport> {
        let mut reports = config::config_def().validate(props);
        if let Some(cfg) = validate_static(props, &mut reports) {
            validate_with_database(cfg, props.clone(), &mut reports);
        }
        reports
    }

    async fn start(&mut self, ctx: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        let mut reports = config::config_def().validate(&props);
        let Some(cfg) = validate_static(&props, &mut reports) else {
            let msg = reports
                .iter()
                .flat_map(|r| r.errors.iter())
                .next()
                .cloned()
                .unwrap_or_else(|| "invalid configuration".into());
            return Err(ConnectError::config(msg));
        };
        let (trigger, signal) = stop_pair();
        // Java makes one test connection at start (with the configured attempts).
        let mut conn = connect_with_retry(&cfg, &signal)
            .await
            .map_err(|e| {
                ConnectError::connect(format!("Could not connect to database. {}", e.message))
            })?
            .ok_or_else(|| ConnectError::connect("stopped while connecting"))?;
        if cfg.query.is_none() {
            // The first listing is made here so `task_configs` has it at once.
            let list = list_filtered(&cfg, &mut conn).await.map_err(|e| {
                ConnectError::connect(format!("Could not list tables: {}", e.message))
            })?;
            if let Some(msg) = duplicate_names(&list) {
                return Err(ConnectError::connect(msg));
            }
            self.tables.lock().unwrap_or_else(|p| p.into_inner()).list = Some(list);
            drop(conn);
            self.monitor = Some(tokio::spawn(monitor(
                cfg.clone(),
                self.tables.clone(),
                ctx,
                signal,
            )));
        }
        self.stop = Some(trigger);
        self.config = Some(cfg);
        self.props = props;
        Ok(())
    }

    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        let cfg = self
            .config
            .as_ref()
            .ok_or_else(|| ConnectError::connect("connector not started"))?;
        let mut base = self.props.clone();
        if cfg.query.is_some() {
            base.insert(TABLES.into(), String::new());
            base.insert(TABLES_FETCHED.into(), "true".into());
            return Ok(vec![base]);
        }
        let list = self
            .tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .list
            .clone();
        let Some(list) = list else {
            base.insert(TABLES.into(), String::new());
            base.insert(TABLES_FETCHED.into(), "false".into());
            return Ok(vec![base]);
        };
        if list.is_empty() {
            tracing::warn!("No tables were found so there's no work to be done.");
            base.insert(TABLES.into(), String::new());
            base.insert(TABLES_FETCHED.into(), "true".into());
            return Ok(vec![base]);
        }
        let n = list.len().min(max_tasks.max(1));
        Ok(group(&list, n)
            .into_iter()
            .map(|g| {
                let mut p = base.clone();
                p.insert(TABLES.into(), cfg.dialect.tables_value(&g));
                p.insert(TABLES_FETCHED.into(), "true".into());
                p
            })
            .collect())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(t) = self.stop.take() {
            t.stop();
        }
        if let Some(m) = self.monitor.take() {
            m.abort();
        }
        Ok(())
    }

    fn task_class(&self) -> String {
        TASK_CLASS.to_string()
    }
}

#[async_trait]
impl SourceConnector for JdbcSourceConnector {
    /// Offsets written through the REST API must be what the task can read back: whole
    /// numbers under `incrementing`, `timestamp`, `timestamp_nanos`.
    fn alter_offsets(
        &self,
        _config: &Props,
        offsets: &[SourceOffsetChange],
    ) -> ConnectResult<bool> {
        for (_, offset) in offsets {
            let Some(o) = offset else { continue };
            for k in [INCREMENTING_FIELD, TIMESTAMP_FIELD, TIMESTAMP_NANOS_FIELD] {
                if let Some(v) = o.get(k) {
                    if !v.is_null() && v.as_i64().is_none() {
                        return Err(ConnectError::connect(format!(
                            "The value for the '{k}' key in the offset is expected to be a Long value"
                        )));
                    }
                }
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_is_connects() {
        let g = group(&[1, 2, 3, 4, 5], 3);
        assert_eq!(g, vec![vec![1, 2], vec![3, 4], vec![5]]);
        assert_eq!(group(&[1, 2], 2), vec![vec![1], vec![2]]);
    }

    #[test]
    fn filtering_and_collision_guard() {
        let props: Props = [
            ("connection.url", "jdbc:sqlserver://h;databaseName=mydb"),
            ("mode", "bulk"),
            ("table.whitelist", "orders, mydb.dbo.customers, dbo.items"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let cfg = JdbcConfig::parse(&props).unwrap();
        let t = |s: &str, n: &str| TableId::new(Some("mydb"), Some(s), n);
        let all = vec![
            t("dbo", "customers"),
            t("dbo", "items"),
            t("dbo", "orders"),
            t("sales", "orders"),
        ];
        let kept = filter_tables(&cfg, all);
        // `dbo.items` matches nothing on SQL Server, as in Java.
        assert_eq!(
            kept,
            vec![
                t("dbo", "customers"),
                t("dbo", "orders"),
                t("sales", "orders")
            ]
        );
        let msg = duplicate_names(&kept).unwrap();
        assert!(msg.contains("mydb.dbo.orders, mydb.sales.orders"), "{msg}");
        assert!(duplicate_names(&kept[..2]).is_none());
    }
}
