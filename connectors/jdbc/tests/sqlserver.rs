//! The JDBC source task against a real SQL Server, run when `RCONNECT_TEST_MSSQL_URL` holds a
//! JDBC URL with credentials (e.g.
//! `jdbc:sqlserver://127.0.0.1:1433;databaseName=tempdb;user=sa;password=...;encrypt=true;trustServerCertificate=true`).
//! Without it the test prints that it is skipped. There is no fake TDS server: the database
//! is real or the test does not run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rconnect_jdbc::config::JdbcConfig;
use rconnect_jdbc::db::Conn;
use rconnect_jdbc::dialect::TableId;
use rconnect_jdbc::JdbcSourceTask;
use rconnect_sdk::connector::{SourceTask, SourceTaskContext};
use rconnect_sdk::data::Value;
use rconnect_sdk::offset::{OffsetMap, OffsetStorageReader};
use rconnect_sdk::stop::StopSignal;
use rconnect_sdk::{async_trait, ConnectResult, Props};

const ENV: &str = "RCONNECT_TEST_MSSQL_URL";

/// The offsets store seam: nothing stored.
struct NoOffsets;

#[async_trait]
impl OffsetStorageReader for NoOffsets {
    async fn offsets(&self, partitions: &[OffsetMap]) -> ConnectResult<Vec<Option<OffsetMap>>> {
        Ok(vec![None; partitions.len()])
    }
}

fn props(kv: &[(&str, &str)]) -> Props {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn sqlserver_timestamp_incrementing_and_types() {
    let Ok(url) = std::env::var(ENV) else {
        eprintln!("SKIPPED sqlserver_timestamp_incrementing_and_types: set {ENV} to a SQL Server JDBC URL to run it");
        return;
    };
    rconnect_jdbc::install_crypto_provider();
    let table = format!("rc_jdbc_{}", std::process::id());
    let base = props(&[("connection.url", &url), ("mode", "bulk")]);
    let cfg = JdbcConfig::parse(&base).expect("config");
    let mut conn = Conn::connect(&cfg.connect)
        .await
        .expect("connect to SQL Server");
    conn.execute(&format!(
        "CREATE TABLE dbo.{table} (id INT IDENTITY PRIMARY KEY, name NVARCHAR(MAX) NOT NULL, modified DATETIME2(7) NOT NULL, \
         amount MONEY, flag BIT, small TINYINT, guid UNIQUEIDENTIFIER, d DECIMAL(10,2), n NUMERIC(9,0), off DATETIMEOFFSET)"
    ))
    .await
    .expect("create table");
    conn.execute(&format!(
        "INSERT INTO dbo.{table} (name, modified, amount, flag, small, guid, d, n, off) VALUES \
         (N'één', '2023-11-14 22:13:20.1234567', 12.3456, 1, 200, '6F9619FF-8B86-D011-B42D-00C04FC964FF', 12.34, 42, '2023-11-14 23:13:20 +01:00'), \
         (N'two', '2023-11-14 22:13:21', NULL, 0, 0, NULL, NULL, NULL, NULL)"
    ))
    .await
    .expect("insert");
    let tables = conn
        .list_tables(None, Some("dbo"), &["TABLE".to_string()])
        .await
        .expect("list");
    let t: TableId = tables
        .into_iter()
        .find(|t| t.table == table)
        .expect("table listed");
    let quoted = cfg.dialect.table(&t);

    let mut task = JdbcSourceTask::new();
    let task_props = props(&[
        ("connection.url", &url),
        ("mode", "timestamp+incrementing"),
        ("timestamp.column.name", "modified"),
        ("incrementing.column.name", "id"),
        ("numeric.mapping", "best_fit"),
        ("topic.prefix", "ss_"),
        ("poll.interval.ms", "200"),
        ("tables", &quoted),
        ("tables.fetched", "true"),
    ]);
    let ctx = SourceTaskContext {
        configs: task_props.clone(),
        offset_reader: Arc::new(NoOffsets),
        stop: StopSignal::never(),
    };
    let result = async {
        task.start(ctx, task_props).await.expect("task start");
        let mut records = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while records.len() < 2 && Instant::now() < deadline {
            if let Some(b) = task.poll().await.expect("poll") {
                records.extend(b);
            }
        }
        records
    }
    .await;
    task.stop().await.ok();
    conn.execute(&format!("DROP TABLE dbo.{table}")).await.ok();

    assert_eq!(result.len(), 2);
    let r = &result[0];
    assert_eq!(r.topic, format!("ss_{table}").as_str());
    let Value::Struct(s) = &r.value else {
        panic!("{:?}", r.value)
    };
    assert_eq!(s.get("name").unwrap(), &Value::String("één".into()));
    assert_eq!(
        s.get("modified").unwrap(),
        &Value::Timestamp(1_700_000_000_123)
    );
    assert_eq!(s.get("flag").unwrap(), &Value::Int8(1));
    assert_eq!(s.get("small").unwrap(), &Value::Int16(200));
    assert_eq!(
        s.get("guid").unwrap(),
        &Value::String("6F9619FF-8B86-D011-B42D-00C04FC964FF".into())
    );
    assert_eq!(
        s.get("d").unwrap(),
        &Value::Decimal(rconnect_sdk::data::Decimal::new(1234, 2))
    );
    assert_eq!(
        s.get("amount").unwrap(),
        &Value::Decimal(rconnect_sdk::data::Decimal::new(123456, 4))
    );
    assert_eq!(s.get("n").unwrap(), &Value::Int32(42));
    assert_eq!(s.get("off").unwrap(), &Value::Timestamp(1_700_000_000_000));
    let partition = r.meta.source_partition.as_ref().unwrap();
    assert_eq!(
        partition.to_json().to_string(),
        format!(r#"{{"protocol":"1","table":"{}"}}"#, t.unquoted())
    );
    assert_eq!(
        r.meta.source_offset.as_ref().unwrap().to_json().to_string(),
        r#"{"timestamp_nanos":123456700,"incrementing":1,"timestamp":1700000000123}"#
    );
}
