//! End-to-end tests of the JDBC source (`io.confluent.connect.jdbc.JdbcSourceConnector`) on
//! the real `rconnect` binary, a tansu broker, and the PostgreSQL (127.0.0.1:5432, user
//! postgres, trust) and MariaDB (127.0.0.1:3306, root, no password) of the machine. Each
//! test creates and drops its own database through the `psql` / `mysql` clients.
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests --test jdbc`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rconnect_tests::{
    distributed_worker_settings, free_port, repo_root, unique_name, Broker, Http, KeyValue, Worker,
};
use serde_json::{json, Value};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Pg,
    Maria,
}

/// A test database, dropped at the end.
struct Db {
    kind: Kind,
    name: String,
}

impl Db {
    fn create(kind: Kind) -> Db {
        let name = unique_name("rcjdbc").replace('-', "_").to_lowercase();
        let db = Db { kind, name };
        db.admin(&format!("CREATE DATABASE {}", db.name));
        db
    }

    fn run(&self, database: Option<&str>, sql: &str) -> String {
        let mut cmd = match self.kind {
            Kind::Pg => {
                let mut c = Command::new("psql");
                c.args([
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-qAt",
                ]);
                c.args(["-d", database.unwrap_or("postgres"), "-c", sql]);
                c
            }
            Kind::Maria => {
                let mut c = Command::new("mysql");
                c.args(["-h", "127.0.0.1", "-uroot", "-N", "-B"]);
                if let Some(d) = database {
                    c.arg(d);
                }
                c.args(["-e", sql]);
                c
            }
        };
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run the {:?} client: {e}", self.kind));
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn admin(&self, sql: &str) {
        self.run(None, sql);
    }

    fn exec(&self, sql: &str) -> String {
        self.run(Some(&self.name), sql)
    }

    fn url(&self) -> String {
        match self.kind {
            Kind::Pg => format!(
                "jdbc:postgresql://127.0.0.1:5432/{}?user=postgres&sslmode=disable",
                self.name
            ),
            Kind::Maria => format!(
                "jdbc:mariadb://127.0.0.1:3306/{}?user=root&useSSL=false",
                self.name
            ),
        }
    }

    /// `CREATE TABLE` text for an auto-increment key.
    fn serial(&self) -> &'static str {
        match self.kind {
            Kind::Pg => "SERIAL PRIMARY KEY",
            Kind::Maria => "INT AUTO_INCREMENT PRIMARY KEY",
        }
    }

    /// The partition `table` value Confluent writes for a table.
    fn fqn(&self, table: &str) -> String {
        match self.kind {
            Kind::Pg => format!("{}.public.{table}", self.name),
            Kind::Maria => format!("{}.{table}", self.name),
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let sql = match self.kind {
            Kind::Pg => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            Kind::Maria => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        let _ = std::panic::catch_unwind(|| self.admin(&sql));
    }
}

/// Writes the standalone worker config (JSON with schemas, numeric decimals) and returns
/// its path and REST port.
fn worker_props(broker: &Broker, dir: &Path) -> (String, u16) {
    let port = free_port();
    let text = format!(
        "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter=org.apache.kafka.connect.json.JsonConverter\n\
         value.converter.decimal.format=NUMERIC\n\
         offset.storage.file.filename={}\noffset.flush.interval.ms=300\n\
         listeners=http://127.0.0.1:{port}\n",
        broker.bootstrap(),
        dir.join("connect.offsets").display()
    );
    let path = dir.join("worker.properties");
    fs::write(&path, text).unwrap();
    (path.display().to_string(), port)
}

fn connector_file(dir: &Path, name: &str, props: &[(&str, String)]) -> String {
    let mut text = format!(
        "name={name}\nconnector.class=io.confluent.connect.jdbc.JdbcSourceConnector\ntasks.max=2\n"
    );
    for (k, v) in props {
        text.push_str(&format!("{k}={v}\n"));
    }
    let path = dir.join(format!("{name}.properties"));
    fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The payloads (JsonConverter envelope's `payload`) of the records of `topic`, and the
/// schema of the last one.
fn payloads(
    broker: &Broker,
    topic: &str,
    at_least: usize,
    timeout: Duration,
) -> (Vec<Value>, Value) {
    let recs = broker.consume_available(topic, usize::MAX, timeout);
    let mut out = Vec::new();
    let mut schema = Value::Null;
    for r in recs {
        let v: Value = serde_json::from_slice(r.1.as_deref().unwrap_or(b"null")).unwrap();
        schema = v["schema"].clone();
        out.push(v["payload"].clone());
    }
    assert!(
        out.len() >= at_least,
        "{topic}: {} of {at_least} records: {out:?}",
        out.len()
    );
    (out, schema)
}

/// Waits until `topic` holds records satisfying `done` (re-reading it), returns them.
fn wait_for(
    broker: &Broker,
    topic: &str,
    w: &Worker,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let recs = broker.consume_available(topic, usize::MAX, Duration::from_millis(400));
        let vals: Vec<Value> = recs
            .iter()
            .map(|r| {
                serde_json::from_slice::<Value>(r.1.as_deref().unwrap_or(b"null")).unwrap()
                    ["payload"]
                    .clone()
            })
            .collect();
        if done(&vals) {
            return vals;
        }
        if Instant::now() > deadline {
            panic!(
                "{topic} never reached the expected state: {vals:?}\n{}",
                w.log_tail(60)
            );
        }
    }
}

fn ids(vals: &[Value]) -> Vec<i64> {
    vals.iter()
        .map(|v| v["id"].as_i64().unwrap_or(-1))
        .collect()
}

fn distinct(vals: &[Value]) -> std::collections::BTreeSet<i64> {
    ids(vals).into_iter().collect()
}

fn run_modes(kind: Kind) {
    let db = Db::create(kind);
    let serial = db.serial();
    let ts_type = if kind == Kind::Pg {
        "TIMESTAMP(3)"
    } else {
        "DATETIME(3)"
    };
    let (bytes_type, bool_type) = if kind == Kind::Pg {
        ("BYTEA", "BOOLEAN")
    } else {
        ("VARBINARY(8)", "BOOLEAN")
    };
    db.exec(&format!(
        "CREATE TABLE inc_t (id {serial}, name VARCHAR(20) NOT NULL)"
    ));
    db.exec(&format!(
        "CREATE TABLE ts_t (id INT NOT NULL, name VARCHAR(20), modified {ts_type} NOT NULL)"
    ));
    db.exec(&format!(
        "CREATE TABLE tsinc_t (id {serial}, name VARCHAR(20), modified {ts_type} NOT NULL)"
    ));
    db.exec("CREATE TABLE bulk_t (id INT NOT NULL, name VARCHAR(20))");
    db.exec(&format!(
        "CREATE TABLE types_t (id {serial}, d DECIMAL(10,2), ts {ts_type}, dt DATE, b {bool_type}, f DOUBLE PRECISION, big BIGINT, txt TEXT, bin {bytes_type})"
    ));
    db.exec("INSERT INTO inc_t (name) VALUES ('a'), ('b'), ('c')");
    db.exec("INSERT INTO ts_t VALUES (1, 'one', '2024-01-01 00:00:01.000'), (2, 'two', '2024-01-01 00:00:01.000'), (3, 'three', '2024-01-01 00:00:02.500')");
    db.exec("INSERT INTO tsinc_t (name, modified) VALUES ('x', '2024-01-01 00:00:01'), ('y', '2024-01-01 00:00:01')");
    db.exec("INSERT INTO bulk_t VALUES (1, 'p'), (2, 'q')");
    let bin_literal = if kind == Kind::Pg {
        "'\\x0102'::bytea"
    } else {
        "X'0102'"
    };
    let true_literal = if kind == Kind::Pg { "TRUE" } else { "1" };
    db.exec(&format!(
        "INSERT INTO types_t (d, ts, dt, b, f, big, txt, bin) VALUES (12.34, '2023-11-14 22:13:20.123', '2023-11-14', {true_literal}, 1.5, 9007199254740993, 'héllo', {bin_literal})"
    ));
    db.exec("INSERT INTO types_t (d) VALUES (NULL)");

    let broker = Broker::start();
    let prefix = "p_";
    for t in ["inc_t", "ts_t", "tsinc_t", "bulk_t", "types_t", "late_t"] {
        broker.create_topic(&format!("{prefix}{t}"), 1, &[]);
    }
    let dir = tempfile::tempdir().unwrap();
    let (worker, port) = worker_props(&broker, dir.path());
    let common = |mode: &str| -> Vec<(&str, String)> {
        vec![
            ("connection.url", db.url()),
            ("mode", mode.to_string()),
            ("topic.prefix", prefix.to_string()),
            ("poll.interval.ms", "300".into()),
            ("table.poll.interval.ms", "1000".into()),
        ]
    };
    let mut inc = common("incrementing");
    inc.push(("table.blacklist", "ts_t,tsinc_t,bulk_t".into()));
    let mut ts = common("timestamp");
    ts.push(("table.whitelist", "ts_t".into()));
    ts.push(("timestamp.column.name", "modified".into()));
    let mut tsinc = common("timestamp+incrementing");
    tsinc.push(("table.whitelist", db.fqn("tsinc_t")));
    tsinc.push(("timestamp.column.name", "modified".into()));
    tsinc.push(("incrementing.column.name", "id".into()));
    let mut bulk = common("bulk");
    bulk.push(("table.whitelist", "bulk_t".into()));
    bulk.push(("poll.interval.ms", "1500".into()));
    let files = [
        connector_file(dir.path(), "c-inc", &inc),
        connector_file(dir.path(), "c-ts", &ts),
        connector_file(dir.path(), "c-tsinc", &tsinc),
        connector_file(dir.path(), "c-bulk", &bulk),
    ];
    let args: Vec<&str> = ["standalone", worker.as_str()]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let mut w = Worker::start(&args, &[]);
    w.wait_for_rest(port, Duration::from_secs(30));

    // Initial rows of every mode.
    wait_for(&broker, "p_inc_t", &w, |v| ids(v) == [1, 2, 3]);
    wait_for(&broker, "p_tsinc_t", &w, |v| ids(v) == [1, 2]);
    // Rows 1 and 2 share a timestamp: their order is the database's.
    wait_for(&broker, "p_ts_t", &w, |v| {
        v.len() == 3 && distinct(v) == (1..=3).collect()
    });
    wait_for(&broker, "p_bulk_t", &w, |v| {
        v.len() >= 4 && v.len() % 2 == 0
    });

    // Types as the mapping says.
    let (vals, schema) = payloads(&broker, "p_types_t", 2, Duration::from_secs(10));
    let row = &vals[0];
    assert_eq!(row["d"], json!(12.34), "{row}");
    assert_eq!(row["ts"], json!(1_700_000_000_123i64), "{row}");
    assert_eq!(row["dt"], json!(19675), "{row}");
    assert_eq!(row["f"], json!(1.5));
    assert_eq!(row["big"], json!(9007199254740993i64));
    assert_eq!(row["txt"], json!("héllo"));
    assert_eq!(row["bin"], json!("AQI="));
    assert!(vals[1]["d"].is_null());
    let field = |n: &str| {
        schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(schema["name"], "types_t");
    assert_eq!(field("d")["name"], "org.apache.kafka.connect.data.Decimal");
    assert_eq!(field("d")["parameters"]["scale"], "2");
    assert_eq!(field("d")["parameters"]["connect.decimal.precision"], "10");
    assert_eq!(
        field("ts")["name"],
        "org.apache.kafka.connect.data.Timestamp"
    );
    assert_eq!(field("dt")["name"], "org.apache.kafka.connect.data.Date");
    assert_eq!(field("id")["optional"], false);
    assert_eq!(field("txt")["optional"], true);
    // PostgreSQL boolean → BOOLEAN; MySQL BOOLEAN is TINYINT(1), which Connector/J reports
    // as BIT → INT8.
    match kind {
        Kind::Pg => {
            assert_eq!(row["b"], json!(true));
            assert_eq!(field("b")["type"], "boolean");
        }
        Kind::Maria => {
            assert_eq!(row["b"], json!(1));
            assert_eq!(field("b")["type"], "int8");
        }
    }

    // Changes while running.
    db.exec("INSERT INTO inc_t (name) VALUES ('d')");
    db.exec("UPDATE ts_t SET name = 'one!', modified = '2024-01-01 00:00:03' WHERE id = 1");
    db.exec("INSERT INTO ts_t VALUES (4, 'four', '2024-01-01 00:00:04')");
    db.exec("UPDATE tsinc_t SET name = 'y!', modified = '2024-01-01 00:00:05' WHERE id = 2");
    db.exec("INSERT INTO tsinc_t (name, modified) VALUES ('z', '2024-01-01 00:00:05')");
    wait_for(&broker, "p_inc_t", &w, |v| ids(v) == [1, 2, 3, 4]);
    let ts_vals = wait_for(&broker, "p_ts_t", &w, |v| v.len() >= 5);
    assert_eq!(
        ids(&ts_vals)[3..],
        [1, 4],
        "timestamp mode: the update and the insert"
    );
    assert_eq!(ts_vals[3]["name"], "one!");
    let tsinc_vals = wait_for(&broker, "p_tsinc_t", &w, |v| v.len() >= 4);
    assert_eq!(ids(&tsinc_vals), [1, 2, 2, 3]);
    assert_eq!(tsinc_vals[2]["name"], "y!");

    // A table created while running is picked up by the incrementing connector.
    db.exec(&format!(
        "CREATE TABLE late_t (id {serial}, v INT NOT NULL)"
    ));
    db.exec("INSERT INTO late_t (v) VALUES (10), (20)");
    wait_for(&broker, "p_late_t", &w, |v| ids(v) == [1, 2]);

    // kill -9, rows written while down, restart: nothing missing.
    std::thread::sleep(Duration::from_millis(800));
    w.kill9();
    db.exec("INSERT INTO inc_t (name) VALUES ('e'), ('f')");
    db.exec("INSERT INTO tsinc_t (name, modified) VALUES ('w', '2024-01-01 00:00:06')");
    db.exec("UPDATE ts_t SET name = 'two!', modified = '2024-01-01 00:00:07' WHERE id = 2");
    let mut w = Worker::start(&args, &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    let inc_vals = wait_for(&broker, "p_inc_t", &w, |v| distinct(v) == (1..=6).collect());
    let dups = inc_vals.len() - 6;
    eprintln!(
        "{kind:?}: incrementing after kill -9: {} records, {dups} duplicate(s)",
        inc_vals.len()
    );
    let tsinc_vals = wait_for(&broker, "p_tsinc_t", &w, |v| {
        distinct(v) == (1..=4).collect() && v.iter().any(|x| x["name"] == "w")
    });
    eprintln!(
        "{kind:?}: timestamp+incrementing after kill -9: {} records",
        tsinc_vals.len()
    );
    wait_for(&broker, "p_ts_t", &w, |v| {
        v.iter().any(|x| x["name"] == "two!")
    });
    w.stop();
}

#[test]
fn postgres_every_mode_end_to_end() {
    run_modes(Kind::Pg);
}

#[test]
fn mariadb_every_mode_end_to_end() {
    run_modes(Kind::Maria);
}

/// A source offset in Confluent's exact JSON, in the offsets topic before the worker starts,
/// makes the connector resume after it.
#[test]
fn confluents_offset_is_resumed_from() {
    let db = Db::create(Kind::Pg);
    db.exec(
        "CREATE TABLE orders (id SERIAL PRIMARY KEY, modified TIMESTAMP(6) NOT NULL, note TEXT)",
    );
    db.exec("INSERT INTO orders (modified, note) VALUES ('2023-11-14 22:13:20.1234', 'old'), ('2023-11-14 22:13:20.1234', 'old too'), ('2023-11-14 22:13:20.1234', 'new, same time'), ('2023-11-14 22:13:21', 'new')");
    let broker = Broker::start();
    let group = unique_name("jdbc-offsets");
    broker.create_topic(
        &format!("{group}-offsets"),
        1,
        &[("cleanup.policy", "compact")],
    );
    broker.create_topic("o_orders", 1, &[]);
    let key = format!(
        r#"["src",{{"protocol":"1","table":"{}"}}]"#,
        db.fqn("orders")
    );
    // A Java worker's bytes for timestamp+incrementing at row 2 (2023-11-14T22:13:20.1234Z).
    let value = r#"{"timestamp_nanos":123400000,"incrementing":2,"timestamp":1700000000123}"#;
    broker.produce(
        &format!("{group}-offsets"),
        &[(Some(key.as_bytes()), Some(value.as_bytes()))] as &[KeyValue<'_>],
    );
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = distributed_worker_settings(&broker, &group, port);
    settings.retain(|(k, _)| *k != "offset.storage.partitions");
    settings.push(("offset.storage.partitions", "1".into()));
    settings.push((
        "key.converter",
        "org.apache.kafka.connect.json.JsonConverter".into(),
    ));
    settings.push((
        "value.converter",
        "org.apache.kafka.connect.json.JsonConverter".into(),
    ));
    let props: BTreeMap<&str, String> = settings.into_iter().collect();
    let path = dir.path().join("worker.properties");
    rconnect_tests::write_properties(&path, &props);
    let mut w = Worker::start(&["distributed", path.to_str().unwrap()], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    let http = Http::new();
    let req = json!({"name": "src", "config": {
        "connector.class": "JdbcSource", "connection.url": db.url(), "mode": "timestamp+incrementing",
        "table.whitelist": "orders", "timestamp.column.name": "modified", "incrementing.column.name": "id",
        "topic.prefix": "o_", "poll.interval.ms": "300"}});
    let (code, body) = http.post_json(&format!("http://127.0.0.1:{port}/connectors"), &req);
    assert_eq!(code, 201, "{body}");
    let vals = wait_for(&broker, "o_orders", &w, |v| v.len() >= 2);
    assert_eq!(ids(&vals), [3, 4], "resumed after Java's offset: {vals:?}");
    // The offset it commits is in Confluent's form too.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, o) = http.get_json(&format!("http://127.0.0.1:{port}/connectors/src/offsets"));
        let want = json!({"offsets": [{"partition": {"protocol": "1", "table": db.fqn("orders")},
            "offset": {"timestamp_nanos": 0, "incrementing": 4, "timestamp": 1700000001000i64}}]});
        if o == want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "offsets: {o}\n{}",
            w.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    w.stop();
}

/// Bad input is named by `PUT .../config/validate` and refused at creation; the worker
/// stays up.
#[test]
fn bad_configs_are_reported_by_key() {
    let db = Db::create(Kind::Pg);
    db.exec("CREATE TABLE t (id INT, modified TIMESTAMP)");
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let (worker, port) = worker_props(&broker, dir.path());
    let mut w = Worker::start(&["standalone", &worker], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    let http = Http::new();
    let url =
        format!("http://127.0.0.1:{port}/connector-plugins/JdbcSourceConnector/config/validate");
    let errors = |extra: &[(&str, &str)]| -> BTreeMap<String, Vec<String>> {
        let mut c = json!({"connector.class": "JdbcSourceConnector", "name": "v", "connection.url": db.url()});
        for (k, v) in extra {
            c[*k] = json!(v);
        }
        let (code, body) = http.put_json(&url, &c);
        assert_eq!(code, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["configs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| !c["value"]["errors"].as_array().unwrap().is_empty())
            .map(|c| {
                (
                    c["value"]["name"].as_str().unwrap().to_string(),
                    c["value"]["errors"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e.as_str().unwrap().to_string())
                        .collect(),
                )
            })
            .collect()
    };
    let wrong_password = format!(
        "jdbc:postgresql://127.0.0.1:5432/{}?user=nobody_{}",
        db.name, db.name
    );
    let e = errors(&[
        ("mode", "bulk"),
        ("table.whitelist", "t"),
        ("connection.url", &wrong_password),
    ]);
    assert!(
        e["connection.url"][0].starts_with("Could not connect to database."),
        "{e:?}"
    );
    let e = errors(&[
        ("mode", "bulk"),
        ("table.whitelist", "t"),
        ("connection.url", "jdbc:postgresql://127.0.0.1:1/x"),
    ]);
    assert!(
        e["connection.url"][0].starts_with("Could not connect to database."),
        "{e:?}"
    );
    let e = errors(&[("mode", "bulk"), ("table.whitelist", "missing")]);
    assert!(e["table.whitelist"][0].contains("'missing'"), "{e:?}");
    let e = errors(&[
        ("mode", "timestamp"),
        ("table.whitelist", "t"),
        ("timestamp.column.name", "modified"),
    ]);
    assert!(e["timestamp.column.name"][0].contains("nullable"), "{e:?}");
    let e = errors(&[
        ("mode", "bulk"),
        ("table.whitelist", "t"),
        ("query", "SELECT 1"),
    ]);
    assert!(
        e["query"][0].starts_with("Do not specify table filtering configs"),
        "{e:?}"
    );
    let e = errors(&[("mode", "sometimes"), ("table.whitelist", "t")]);
    assert!(e["mode"][0].contains("String must be one of"), "{e:?}");
    let e = errors(&[("mode", "incrementing"), ("table.whitelist", "t")]);
    assert!(
        e["incrementing.column.name"][0].contains("no auto-increment column"),
        "{e:?}"
    );
    assert!(errors(&[("mode", "bulk"), ("table.whitelist", "t")]).is_empty());
    // Creation is refused with the first error; the worker keeps running.
    let (code, body) = http.post_json(
        &format!("http://127.0.0.1:{port}/connectors"),
        &json!({"name": "bad", "config": {"connector.class": "JdbcSource", "connection.url": db.url(), "mode": "incrementing", "table.whitelist": "t"}}),
    );
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("no auto-increment column"), "{body}");
    assert!(w.try_exit_status().is_none());
    let _ = repo_root();
    w.stop();
}

/// A TCP forwarder in front of the real PostgreSQL that can be cut, to stage an outage
/// without stopping the machine's database.
struct Cuttable {
    port: u16,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Cuttable {
    fn start(target: &'static str) -> Cuttable {
        use std::net::{TcpListener, TcpStream};
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let d = down.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if d.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused in effect
                }
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let d = d.clone();
                    std::thread::spawn(move || {
                        from.set_read_timeout(Some(Duration::from_millis(100))).ok();
                        let mut buf = [0u8; 16384];
                        loop {
                            if d.load(Ordering::SeqCst) {
                                let _ = from.shutdown(std::net::Shutdown::Both);
                                let _ = to.shutdown(std::net::Shutdown::Both);
                                return;
                            }
                            match std::io::Read::read(&mut from, &mut buf) {
                                Ok(0) => {
                                    let _ = to.shutdown(std::net::Shutdown::Both);
                                    return;
                                }
                                Ok(n) => {
                                    if std::io::Write::write_all(&mut to, &buf[..n]).is_err() {
                                        return;
                                    }
                                }
                                Err(e)
                                    if matches!(
                                        e.kind(),
                                        std::io::ErrorKind::WouldBlock
                                            | std::io::ErrorKind::TimedOut
                                    ) => {}
                                Err(_) => return,
                            }
                        }
                    });
                }
            }
        });
        Cuttable { port, down }
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A database outage longer than `connection.attempts` × `connection.backoff.ms` is
/// survived: connector and task stay RUNNING and every row arrives once it is back.
#[test]
fn database_outage_is_survived() {
    let db = Db::create(Kind::Pg);
    db.exec("CREATE TABLE t (id SERIAL PRIMARY KEY, v INT NOT NULL)");
    db.exec("INSERT INTO t (v) SELECT g FROM generate_series(1, 3) g");
    let proxy = Cuttable::start("127.0.0.1:5432");
    let broker = Broker::start();
    broker.create_topic("out_t", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let (worker, port) = worker_props(&broker, dir.path());
    let url = format!(
        "jdbc:postgresql://127.0.0.1:{}/{}?user=postgres&sslmode=disable",
        proxy.port, db.name
    );
    let file = connector_file(
        dir.path(),
        "c-out",
        &[
            ("connection.url", url),
            ("mode", "incrementing".into()),
            ("table.whitelist", "t".into()),
            ("topic.prefix", "out_".into()),
            ("poll.interval.ms", "200".into()),
            ("table.poll.interval.ms", "500".into()),
            ("connection.attempts", "2".into()),
            ("connection.backoff.ms", "200".into()),
        ],
    );
    let mut w = Worker::start(&["standalone", &worker, &file], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    wait_for(&broker, "out_t", &w, |v| distinct(v) == (1..=3).collect());
    proxy.set_down(true);
    db.exec("INSERT INTO t (v) SELECT g FROM generate_series(4, 6) g");
    std::thread::sleep(Duration::from_secs(3));
    let http = Http::new();
    let (_, status) = http.get_json(&format!("http://127.0.0.1:{port}/connectors/c-out/status"));
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    proxy.set_down(false);
    wait_for(&broker, "out_t", &w, |v| distinct(v) == (1..=6).collect());
    let (_, status) = http.get_json(&format!("http://127.0.0.1:{port}/connectors/c-out/status"));
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    assert!(
        w.log().contains("could not reconnect"),
        "the outage was seen:\n{}",
        w.log_tail(30)
    );
    w.stop();
}

/// `query` mode (incrementing, on a join wrapped as Confluent's docs advise, with
/// `query.suffix`) and a non-UTC `db.timezone` (wall-clock `TIMESTAMP` columns read in that
/// zone, and the timestamp window's end taken in it), on one worker.
fn run_query_and_timezone(kind: Kind) {
    let db = Db::create(kind);
    let serial = db.serial();
    db.exec("CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)");
    db.exec(&format!(
        "CREATE TABLE orders (id {serial}, cust INT NOT NULL, amount DECIMAL(8,2) NOT NULL)"
    ));
    db.exec("INSERT INTO customers VALUES (1, 'ann'), (2, 'bob')");
    db.exec("INSERT INTO orders (cust, amount) VALUES (1, 1.50), (2, 2.50), (1, 3.50), (2, 4.50), (1, 5.50)");
    let (ts_type, tstz) = match kind {
        Kind::Pg => ("TIMESTAMP(3)", ", tstz TIMESTAMPTZ(3)"),
        Kind::Maria => ("DATETIME(3)", ""),
    };
    db.exec(&format!(
        "CREATE TABLE tz_t (id INT NOT NULL, ts {ts_type} NOT NULL{tstz})"
    ));
    // Kiritimati is UTC+14 all year: 10:00:00.250 there is 2024-01-14T20:00:00.250Z.
    let zone = "Pacific/Kiritimati";
    let fixed_ms = 1_705_262_400_250i64;
    match kind {
        Kind::Pg => {
            db.exec("INSERT INTO tz_t VALUES (1, '2024-01-15 10:00:00.250', '2024-01-15 10:00:00.250+00')");
            // An hour ago on Kiritimati's wall clock: 13 hours ahead of UTC's, so a
            // connector taking the window's end in UTC would not read it yet.
            db.exec(&format!(
                "INSERT INTO tz_t VALUES (2, date_trunc('milliseconds', now() AT TIME ZONE '{zone}') - INTERVAL '1 hour', NULL)"
            ));
        }
        Kind::Maria => {
            db.exec("INSERT INTO tz_t VALUES (1, '2024-01-15 10:00:00.250')");
        }
    }

    let broker = Broker::start();
    broker.create_topic("q_orders", 1, &[]);
    broker.create_topic("z_tz_t", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let (worker, port) = worker_props(&broker, dir.path());
    let query = "SELECT * FROM (SELECT o.id, o.amount, c.name AS customer FROM orders o JOIN customers c ON c.id = o.cust) q";
    let q = connector_file(
        dir.path(),
        "c-query",
        &[
            ("connection.url", db.url()),
            ("mode", "incrementing".into()),
            ("query", query.into()),
            ("incrementing.column.name", "id".into()),
            // Two rows per execution: the suffix follows the ORDER BY.
            ("query.suffix", "LIMIT 2".into()),
            ("topic.prefix", "q_orders".into()),
            ("poll.interval.ms", "200".into()),
        ],
    );
    let z = connector_file(
        dir.path(),
        "c-tz",
        &[
            ("connection.url", db.url()),
            ("mode", "timestamp".into()),
            ("table.whitelist", "tz_t".into()),
            ("timestamp.column.name", "ts".into()),
            ("db.timezone", zone.into()),
            ("topic.prefix", "z_".into()),
            ("poll.interval.ms", "200".into()),
        ],
    );
    // A suffix of `;` ends the prepared statement, but is a syntax error inside
    // PostgreSQL's `COPY (...)`, which rconnect then stops using for this query.
    broker.create_topic("qb_customers", 1, &[]);
    let qb = connector_file(
        dir.path(),
        "c-query-bulk",
        &[
            ("connection.url", db.url()),
            ("mode", "bulk".into()),
            ("query", "SELECT id, name FROM customers ORDER BY id".into()),
            (
                "query.suffix",
                match kind {
                    Kind::Pg => ";",
                    Kind::Maria => "",
                }
                .into(),
            ),
            ("topic.prefix", "qb_customers".into()),
            ("poll.interval.ms", "600000".into()),
        ],
    );
    let mut w = Worker::start(&["standalone", &worker, &q, &z, &qb], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    let vals = wait_for(&broker, "qb_customers", &w, |v| v.len() >= 2);
    assert_eq!(
        vals,
        [
            json!({"id": 1, "name": "ann"}),
            json!({"id": 2, "name": "bob"})
        ]
    );
    if kind == Kind::Pg {
        assert!(
            w.log().contains("refused the COPY form"),
            "{}",
            w.log_tail(40)
        );
    }

    let vals = wait_for(&broker, "q_orders", &w, |v| v.len() >= 5);
    assert_eq!(ids(&vals), [1, 2, 3, 4, 5], "{vals:?}");
    assert_eq!(vals[2]["customer"], "ann");
    assert_eq!(vals[3]["amount"], json!(4.5));
    let (_, schema) = payloads(&broker, "q_orders", 5, Duration::from_secs(5));
    assert!(
        schema.get("name").is_none(),
        "query mode: unnamed struct {schema}"
    );
    let quote = if kind == Kind::Pg { '"' } else { '`' };
    let sql = format!("{query} WHERE {quote}id{quote} > ? ORDER BY {quote}id{quote} ASC LIMIT 2");
    let sql = match kind {
        Kind::Pg => sql.replace('?', "$1"),
        Kind::Maria => sql,
    };
    assert!(
        w.log().contains(&sql),
        "the query with its suffix: {sql}\n{}",
        w.log_tail(40)
    );
    db.exec("INSERT INTO orders (cust, amount) VALUES (2, 6.50)");
    let vals = wait_for(&broker, "q_orders", &w, |v| v.len() >= 6);
    assert_eq!(ids(&vals), [1, 2, 3, 4, 5, 6]);
    let http = Http::new();
    let offsets = |name: &str| {
        let (_, o) = http.get_json(&format!(
            "http://127.0.0.1:{port}/connectors/{name}/offsets"
        ));
        o
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let want =
        json!({"offsets": [{"partition": {"query": "query"}, "offset": {"incrementing": 6}}]});
    while offsets("c-query") != want {
        assert!(
            Instant::now() < deadline,
            "query offsets: {}",
            offsets("c-query")
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // db.timezone: the wall-clock value is read in Kiritimati.
    let rows = match kind {
        Kind::Pg => 2,
        Kind::Maria => 1,
    };
    let vals = wait_for(&broker, "z_tz_t", &w, |v| v.len() >= rows);
    assert_eq!(vals[0]["ts"], json!(fixed_ms), "{vals:?}");
    if kind == Kind::Pg {
        // timestamptz is an instant whatever the zone.
        assert_eq!(vals[0]["tstz"], json!(1_705_312_800_250i64), "{vals:?}");
        let want: i64 = db
            .exec(&format!(
                "SELECT (extract(epoch FROM ts AT TIME ZONE '{zone}') * 1000)::bigint FROM tz_t WHERE id = 2"
            ))
            .trim()
            .parse()
            .unwrap();
        assert_eq!(vals[1]["id"], 2, "{vals:?}");
        assert_eq!(vals[1]["ts"], json!(want), "{vals:?}");
    }
    let last = vals[rows - 1]["ts"].as_i64().unwrap();
    let want = json!({"offsets": [{"partition": {"protocol": "1", "table": db.fqn("tz_t")},
        "offset": {"timestamp_nanos": (last % 1000) * 1_000_000, "timestamp": last}}]});
    while offsets("c-tz") != want {
        assert!(
            Instant::now() < deadline + Duration::from_secs(10),
            "timestamp offsets: {} want {want}",
            offsets("c-tz")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    w.stop();
}

#[test]
fn postgres_query_mode_and_db_timezone() {
    run_query_and_timezone(Kind::Pg);
}

#[test]
fn mariadb_query_mode_and_db_timezone() {
    run_query_and_timezone(Kind::Maria);
}

/// Reads `count` Avro values of `topic` with Confluent's Python deserializer (an independent
/// Avro implementation) and prints each as JSON: decimals as strings, dates and times in ISO
/// form, bytes in hex.
const PY_READ_AVRO: &str = r#"
import datetime, decimal, json, sys
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import SerializationContext, MessageField
bootstrap, registry, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
de = AvroDeserializer(SchemaRegistryClient({"url": registry}))
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "py-jdbc-avro", "enable.auto.commit": False})
c.assign([TopicPartition(topic, 0, 0)])
def conv(v):
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (datetime.date, datetime.time, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    raise TypeError(repr(v))
seen = 0
while seen < count:
    m = c.poll(10)
    if m is None:
        sys.exit("timed out after %d records" % seen)
    if m.error():
        continue
    print(json.dumps(de(m.value(), SerializationContext(topic, MessageField.VALUE)), default=conv))
    seen += 1
"#;

/// Confluent's Avro shape of a nullable field of type `t`.
fn optional(t: Value) -> Value {
    json!(["null", t])
}

fn avro_decimal(precision: u32, scale: u32) -> Value {
    json!({"type": "bytes", "scale": scale, "precision": precision, "connect.version": 1,
        "connect.parameters": {"scale": scale.to_string(), "connect.decimal.precision": precision.to_string()},
        "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal"})
}

fn avro_logical(base: &str, name: &str, logical: &str) -> Value {
    json!({"type": base, "connect.version": 1,
        "connect.name": format!("org.apache.kafka.connect.data.{name}"), "logicalType": logical})
}

/// The JDBC source with Confluent's AvroConverter on the real binary: the schema registered
/// for a table of every mapped type is Confluent's (`AvroData#fromConnectSchema`: the struct
/// as a record named after the table, nullable columns as `["null", T]` with a null default,
/// `connect.type` for INT8/INT16, Decimal/Date/Time/Timestamp logical types), and Confluent's
/// Python deserializer reads the values back.
fn run_avro(kind: Kind) {
    let db = Db::create(kind);
    let serial = db.serial();
    let (ddl, insert, fields, row) = match kind {
        Kind::Pg => (
            format!(
                "CREATE TABLE types_t (id {serial}, sm SMALLINT, i INT, b BIGINT NOT NULL, r REAL, f DOUBLE PRECISION, \
                 d NUMERIC(10,2), bo BOOLEAN, t TEXT, vc VARCHAR(10), bin BYTEA, dt DATE, tm TIME(3), ts TIMESTAMP(3), \
                 tstz TIMESTAMPTZ(3), u UUID, j JSONB)"
            ),
            "INSERT INTO types_t (sm, i, b, r, f, d, bo, t, vc, bin, dt, tm, ts, tstz, u, j) VALUES \
             (-12, 123456, 9007199254740993, 1.5, 2.25, 12.34, TRUE, 'héllo', 'v', '\\x0102'::bytea, '2023-11-14', \
             '22:13:20.123', '2023-11-14 22:13:20.123', '2023-11-14 22:13:20.123+02', \
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": 1}'); \
             INSERT INTO types_t (b) VALUES (-1)"
                .to_string(),
            vec![
                ("id", json!("int")),
                ("sm", optional(json!({"type": "int", "connect.type": "int16"}))),
                ("i", optional(json!("int"))),
                ("b", json!("long")),
                ("r", optional(json!("float"))),
                ("f", optional(json!("double"))),
                ("d", optional(avro_decimal(10, 2))),
                ("bo", optional(json!("boolean"))),
                ("t", optional(json!("string"))),
                ("vc", optional(json!("string"))),
                ("bin", optional(json!("bytes"))),
                ("dt", optional(avro_logical("int", "Date", "date"))),
                ("tm", optional(avro_logical("int", "Time", "time-millis"))),
                ("ts", optional(avro_logical("long", "Timestamp", "timestamp-millis"))),
                ("tstz", optional(avro_logical("long", "Timestamp", "timestamp-millis"))),
                ("u", optional(json!("string"))),
                ("j", optional(json!("string"))),
            ],
            json!({"id": 1, "sm": -12, "i": 123456, "b": 9007199254740993i64, "r": 1.5, "f": 2.25,
                "d": "12.34", "bo": true, "t": "héllo", "vc": "v", "bin": "0102", "dt": "2023-11-14",
                "tm": "22:13:20.123000", "ts": "2023-11-14T22:13:20.123000+00:00",
                "tstz": "2023-11-14T20:13:20.123000+00:00",
                "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "j": "{\"a\": 1}"}),
        ),
        Kind::Maria => (
            format!(
                "CREATE TABLE types_t (id {serial}, ti TINYINT, sm SMALLINT, mi MEDIUMINT, b BIGINT NOT NULL, \
                 uu INT UNSIGNED, r FLOAT, f DOUBLE, d DECIMAL(10,2), t TEXT, vc VARCHAR(10), bin VARBINARY(8), \
                 dt DATE, tm TIME(3), ts DATETIME(3))"
            ),
            "INSERT INTO types_t (ti, sm, mi, b, uu, r, f, d, t, vc, bin, dt, tm, ts) VALUES \
             (-7, -12, 123456, 9007199254740993, 4000000000, 1.5, 2.25, 12.34, 'héllo', 'v', X'0102', '2023-11-14', \
             '22:13:20.123', '2023-11-14 22:13:20.123'); \
             INSERT INTO types_t (b) VALUES (-1)"
                .to_string(),
            vec![
                ("id", json!("int")),
                ("ti", optional(json!({"type": "int", "connect.type": "int8"}))),
                ("sm", optional(json!({"type": "int", "connect.type": "int16"}))),
                ("mi", optional(json!("int"))),
                ("b", json!("long")),
                ("uu", optional(json!("long"))),
                ("r", optional(json!("float"))),
                ("f", optional(json!("double"))),
                ("d", optional(avro_decimal(10, 2))),
                ("t", optional(json!("string"))),
                ("vc", optional(json!("string"))),
                ("bin", optional(json!("bytes"))),
                ("dt", optional(avro_logical("int", "Date", "date"))),
                ("tm", optional(avro_logical("int", "Time", "time-millis"))),
                ("ts", optional(avro_logical("long", "Timestamp", "timestamp-millis"))),
            ],
            json!({"id": 1, "ti": -7, "sm": -12, "mi": 123456, "b": 9007199254740993i64, "uu": 4000000000i64,
                "r": 1.5, "f": 2.25, "d": "12.34", "t": "héllo", "vc": "v", "bin": "0102", "dt": "2023-11-14",
                "tm": "22:13:20.123000", "ts": "2023-11-14T22:13:20.123000+00:00"}),
        ),
    };
    db.exec(&ddl);
    db.exec(insert.as_str());
    let broker = Broker::start();
    let reg = rconnect_tests::schema_registry::SchemaRegistry::start(None);
    broker.create_topic("a_types_t", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let worker = dir.path().join("worker.properties");
    fs::write(
        &worker,
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=io.confluent.connect.avro.AvroConverter\n\
             value.converter.schema.registry.url={}\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=300\n\
             listeners=http://127.0.0.1:{port}\n",
            broker.bootstrap(),
            reg.url(),
            dir.path().join("connect.offsets").display()
        ),
    )
    .unwrap();
    let c = connector_file(
        dir.path(),
        "c-avro",
        &[
            ("connection.url", db.url()),
            ("mode", "incrementing".into()),
            ("table.whitelist", "types_t".into()),
            ("topic.prefix", "a_".into()),
            ("poll.interval.ms", "300".into()),
        ],
    );
    let mut w = Worker::start(&["standalone", worker.to_str().unwrap(), &c], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(40);
    while broker.high_watermarks("a_types_t") < 2 {
        assert!(Instant::now() < deadline, "no records\n{}", w.log_tail(40));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(reg.subjects(), ["a_types_t-value"]);
    let versions = reg.versions("a_types_t-value");
    assert_eq!(versions.len(), 1, "{versions:?}");
    let schema: Value = serde_json::from_str(&versions[0]).unwrap();
    assert_eq!(schema["type"], "record", "{schema}");
    assert_eq!(schema["name"], "types_t", "{schema}");
    assert_eq!(schema["connect.name"], "types_t", "{schema}");
    let got: Vec<(String, Value)> = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_string(), f.clone()))
        .collect();
    assert_eq!(
        got.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        fields.iter().map(|(n, _)| *n).collect::<Vec<_>>()
    );
    for ((name, f), (_, want)) in got.iter().zip(&fields) {
        assert_eq!(&f["type"], want, "field {name}: {f}");
        if want.is_array() {
            assert_eq!(f["default"], Value::Null, "field {name}: {f}");
            assert!(
                f.get("default").is_some(),
                "field {name} has a null default: {f}"
            );
        } else {
            assert!(f.get("default").is_none(), "field {name}: {f}");
        }
    }
    let out = rconnect_tests::python(
        PY_READ_AVRO,
        &[&broker.bootstrap(), &reg.url(), "a_types_t", "2"],
    );
    let rows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0], row);
    let mut nulls = serde_json::Map::new();
    for (n, _) in &fields {
        nulls.insert(n.to_string(), Value::Null);
    }
    nulls.insert("id".into(), json!(2));
    nulls.insert("b".into(), json!(-1));
    assert_eq!(rows[1], Value::Object(nulls));
    w.stop();
}

#[test]
fn postgres_avro_schema_and_values() {
    run_avro(Kind::Pg);
}

#[test]
fn mariadb_avro_schema_and_values() {
    run_avro(Kind::Maria);
}
