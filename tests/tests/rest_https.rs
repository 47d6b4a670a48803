//! The REST API over HTTPS (`listeners=https://...`, `listeners.https.ssl.*` and the
//! unprefixed `ssl.*`), mutual TLS (`ssl.client.auth`), `admin.listeners`, and basic
//! authentication with Java's `BasicAuthSecurityRestExtension` JAAS setup, including
//! requests a follower forwards to the leader of a distributed group.
//!
//! Certificates are made at test time with `openssl` (see `rconnect_tests::tls`).
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests --test rest_https`.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use rconnect_tests::tls::{Pki, STORE_PASSWORD};
use rconnect_tests::{
    distributed_worker_settings, free_port, logged_leader_port, repo_root, sample_config_with,
    unique_name, Broker, Worker,
};
use serde_json::json;

const BASIC_AUTH: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";

/// `Basic base64(user:password)`.
fn basic(user: &str, password: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let bytes = input.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

struct Answer {
    status: u16,
    body: String,
    www_authenticate: Option<String>,
}

/// One request; `Err` for a transport failure (refused TLS handshake, reset).
fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    auth: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<Answer, ureq::Error> {
    let mut req = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Accept", "application/json");
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let result = match body {
        Some(b) => agent.run(
            req.header("Content-Type", "application/json")
                .body(b.to_string())
                .unwrap(),
        ),
        None => agent.run(req.body(()).unwrap()),
    };
    let mut resp = result?;
    let www_authenticate = resp
        .headers()
        .get("WWW-Authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok(Answer {
        status: resp.status().as_u16(),
        body: resp.body_mut().read_to_string().unwrap_or_default(),
        www_authenticate,
    })
}

/// Waits for any HTTP answer on `url` (a TLS listener: plain polling would not do).
fn wait_for_https(worker: &mut Worker, agent: &ureq::Agent, url: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = worker.try_exit_status() {
            panic!("rconnect exited with {status}\n{}", worker.log_tail(60));
        }
        if call(agent, "GET", url, None, None).is_ok() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no HTTPS answer on {url} within {timeout:?}\n{}",
            worker.log_tail(60)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A JAAS file with Java's `KafkaConnect` entry and its users file (`admin` / `s3cret`).
fn jaas_files(dir: &Path) -> std::path::PathBuf {
    let users = dir.join("users.properties");
    fs::write(&users, "# REST users\nadmin=s3cret\nreader: r3ad\n").unwrap();
    let jaas = dir.join("connect_jaas.conf");
    fs::write(
        &jaas,
        format!(
            "KafkaConnect {{\n    org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n    file=\"{}\";\n}};\n",
            users.display()
        ),
    )
    .unwrap();
    jaas
}

fn distributed_props(path: &Path, settings: Vec<(&str, String)>) {
    let sample =
        fs::read_to_string(repo_root().join("config/connect-distributed.properties")).unwrap();
    let mut text: String = sample
        .lines()
        .filter(|l| {
            !l.starts_with("bootstrap.servers=")
                && !l.starts_with("group.id=")
                && !l.contains(".storage.topic=")
                && !l.starts_with("listeners=")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    // Later lines win: the test's settings override the shared ones.
    for (k, v) in settings {
        text.push_str(&format!("{k}={v}\n"));
    }
    fs::write(path, text).unwrap();
}

#[test]
fn https_with_basic_auth_forwards_to_the_leader_in_a_distributed_group() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(dir.path());
    let jaas = jaas_files(dir.path());
    let group = unique_name("https-group");
    let ports = [free_port(), free_port()];
    let mut workers = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let mut settings = distributed_worker_settings(&broker, &group, *port);
        settings.push(("listeners", format!("https://127.0.0.1:{port}")));
        settings.push(("rest.advertised.listener", "https".into()));
        settings.push(("rest.extension.classes", BASIC_AUTH.into()));
        // Worker 0: a PKCS12 keystore and truststore with the unprefixed `ssl.*` keys, its
        // JAAS file from KAFKA_OPTS as Java's scripts pass it. Worker 1: PEM files under
        // `listeners.https.`, its JAAS file from the worker config.
        let mut env = Vec::new();
        if i == 0 {
            settings.push((
                "ssl.keystore.location",
                pki.server_p12.display().to_string(),
            ));
            settings.push(("ssl.keystore.password", STORE_PASSWORD.into()));
            settings.push(("ssl.keystore.type", "PKCS12".into()));
            settings.push((
                "ssl.truststore.location",
                pki.truststore_p12.display().to_string(),
            ));
            settings.push(("ssl.truststore.password", STORE_PASSWORD.into()));
            settings.push(("ssl.truststore.type", "PKCS12".into()));
            env.push((
                "KAFKA_OPTS".to_string(),
                format!(
                    "-Xmx256M -Djava.security.auth.login.config={}",
                    jaas.display()
                ),
            ));
        } else {
            settings.push(("listeners.https.ssl.keystore.type", "PEM".into()));
            settings.push((
                "listeners.https.ssl.keystore.location",
                pki.server_keystore_pem.display().to_string(),
            ));
            settings.push(("listeners.https.ssl.truststore.type", "PEM".into()));
            settings.push((
                "listeners.https.ssl.truststore.location",
                pki.ca_pem.display().to_string(),
            ));
            // Unprefixed keys are ignored once a prefixed one is set (all or nothing).
            settings.push(("ssl.keystore.location", "/nonexistent.p12".into()));
            settings.push(("rconnect.rest.auth.jaas.config", jaas.display().to_string()));
            // No /admin on this worker.
            settings.push(("admin.listeners", String::new()));
        }
        let props = dir.path().join(format!("worker-{i}.properties"));
        distributed_props(&props, settings);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        workers.push(Worker::start(
            &["distributed", props.to_str().unwrap()],
            &env,
        ));
    }
    let agent = pki.https_agent(None);
    let admin = basic("admin", "s3cret");
    for (w, port) in workers.iter_mut().zip(ports) {
        wait_for_https(
            w,
            &agent,
            &format!("https://127.0.0.1:{port}/"),
            Duration::from_secs(30),
        );
    }
    let base = |port: u16| format!("https://127.0.0.1:{port}");

    // No credentials, wrong ones, another scheme: 401 with a challenge.
    for auth in [
        None,
        Some(basic("admin", "wrong")),
        Some("Bearer x".to_string()),
    ] {
        let a = call(
            &agent,
            "GET",
            &format!("{}/connectors", base(ports[0])),
            auth.as_deref(),
            None,
        )
        .unwrap();
        assert_eq!(a.status, 401, "{auth:?}: {}", a.body);
        assert_eq!(a.body, "User cannot access the resource.");
        let challenge = a.www_authenticate.expect("WWW-Authenticate on a 401");
        assert!(challenge.starts_with("Basic realm="), "{challenge}");
    }
    // Both users of the properties file (`=` and `:` separators) get in.
    for user in [admin.clone(), basic("reader", "r3ad")] {
        let a = call(
            &agent,
            "GET",
            &format!("{}/connectors", base(ports[1])),
            Some(&user),
            None,
        )
        .unwrap();
        assert_eq!(a.status, 200, "{}", a.body);
    }
    // admin.listeners unset: /admin on the main listener; empty: no /admin at all.
    let loggers = |port| {
        call(
            &agent,
            "GET",
            &format!("{}/admin/loggers", base(port)),
            Some(&admin),
            None,
        )
        .unwrap()
        .status
    };
    assert_eq!(loggers(ports[0]), 200);
    assert_eq!(loggers(ports[1]), 404);

    // The leader, then a connector created and reconfigured through the follower: both
    // requests are forwarded with the caller's credentials.
    let deadline = Instant::now() + Duration::from_secs(30);
    let leader = loop {
        if let Some(p) = workers.iter().find_map(|w| logged_leader_port(&w.log())) {
            break p;
        }
        assert!(
            Instant::now() < deadline,
            "no leader logged\n{}",
            workers[0].log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let follower = if leader == ports[0] {
        ports[1]
    } else {
        ports[0]
    };
    // Both workers joined, and the leader is advertised with its https:// URL
    // (`rest.advertised.listener=https`).
    let leader_url = format!("leaderUrl=https://127.0.0.1:{leader}/");
    while !workers.iter().all(|w| w.log().contains(&leader_url)) {
        assert!(
            Instant::now() < deadline,
            "not every worker joined under {leader_url}\n{}\n{}",
            workers[0].log_tail(20),
            workers[1].log_tail(20)
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let topic = unique_name("https-topic");
    let mut names = Vec::new();
    for i in 0..2 {
        let name = unique_name(&format!("https-source-{i}"));
        let input = dir.path().join(format!("{name}.txt"));
        fs::write(&input, "a\nb\n").unwrap();
        let config = json!({
            "connector.class": "FileStreamSource",
            "tasks.max": "1",
            "file": input.display().to_string(),
            "topic": topic,
        });
        let a = call(
            &agent,
            "POST",
            &format!("{}/connectors", base(follower)),
            Some(&admin),
            Some(&json!({"name": name, "config": config})),
        )
        .unwrap();
        assert_eq!(a.status, 201, "create through the follower: {}", a.body);
        // Without credentials the follower refuses before forwarding anything.
        let a = call(
            &agent,
            "PUT",
            &format!("{}/connectors/{name}/config", base(follower)),
            None,
            Some(&config),
        )
        .unwrap();
        assert_eq!(a.status, 401, "{}", a.body);
        let a = call(
            &agent,
            "PUT",
            &format!("{}/connectors/{name}/config", base(follower)),
            Some(&admin),
            Some(&config),
        )
        .unwrap();
        assert_eq!(
            a.status, 200,
            "reconfigure through the follower: {}",
            a.body
        );
        names.push(name);
    }
    // Two connectors on two workers: at least one task's configs went to the leader as an
    // internal request (signed, exempt from basic auth as in Java); all tasks run.
    let deadline = Instant::now() + Duration::from_secs(45);
    for name in &names {
        loop {
            let a = call(
                &agent,
                "GET",
                &format!("{}/connectors/{name}/status", base(leader)),
                Some(&admin),
                None,
            )
            .unwrap();
            let status: serde_json::Value = serde_json::from_str(&a.body).unwrap_or_default();
            let running = status["connector"]["state"] == "RUNNING"
                && status["tasks"]
                    .as_array()
                    .is_some_and(|t| t.len() == 1 && t.iter().all(|t| t["state"] == "RUNNING"));
            if running {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} not running: {}\nleader:\n{}\nfollower:\n{}",
                a.body,
                workers[0].log_tail(40),
                workers[1].log_tail(40)
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    let records = broker.consume_all(&topic, 4, Duration::from_secs(20));
    assert_eq!(records.len(), 4);
}

#[test]
fn mutual_tls_refuses_unknown_client_certificates_and_admin_listeners_stand_apart() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(dir.path());
    let port = free_port();
    let admin_port = free_port();
    let worker_props = sample_config_with(
        "connect-standalone.properties",
        &[
            ("bootstrap.servers", broker.bootstrap()),
            (
                "offset.storage.file.filename",
                dir.path().join("offsets").display().to_string(),
            ),
            ("listeners", format!("https://127.0.0.1:{port}")),
            ("admin.listeners", format!("https://127.0.0.1:{admin_port}")),
            // The API: mutual TLS with PEM files.
            ("listeners.https.ssl.keystore.type", "PEM".into()),
            (
                "listeners.https.ssl.keystore.location",
                pki.server_keystore_pem.display().to_string(),
            ),
            ("listeners.https.ssl.truststore.type", "PEM".into()),
            (
                "listeners.https.ssl.truststore.location",
                pki.ca_pem.display().to_string(),
            ),
            ("listeners.https.ssl.client.auth", "required".into()),
            // The admin listener: no `admin.listeners.https.` key, so the unprefixed ones,
            // with client certificates requested but not required.
            ("ssl.client.auth", "requested".into()),
            (
                "ssl.truststore.location",
                pki.truststore_p12.display().to_string(),
            ),
            ("ssl.truststore.password", STORE_PASSWORD.into()),
            (
                "ssl.keystore.location",
                pki.server_p12.display().to_string(),
            ),
            ("ssl.keystore.password", STORE_PASSWORD.into()),
        ],
        dir.path(),
    );
    let mut worker = Worker::start(&["standalone", worker_props.to_str().unwrap()], &[]);
    let trusted = pki.https_agent(Some((&pki.client_key_pem, &pki.client_cert_pem)));
    let url = format!("https://127.0.0.1:{port}");
    wait_for_https(
        &mut worker,
        &trusted,
        &format!("{url}/"),
        Duration::from_secs(30),
    );

    let a = call(&trusted, "GET", &format!("{url}/connectors"), None, None).unwrap();
    assert_eq!(a.status, 200, "{}", a.body);
    // /admin lives on the admin listener only.
    let a = call(&trusted, "GET", &format!("{url}/admin/loggers"), None, None).unwrap();
    assert_eq!(a.status, 404, "{}", a.body);

    // No client certificate, or one from a CA the listener does not trust: the TLS
    // handshake fails, no HTTP status ever comes back.
    for (what, agent) in [
        ("no certificate", pki.https_agent(None)),
        (
            "an untrusted certificate",
            pki.https_agent(Some((&pki.rogue_key_pem, &pki.rogue_cert_pem))),
        ),
    ] {
        match call(&agent, "GET", &format!("{url}/connectors"), None, None) {
            Ok(a) => panic!("{what}: answered {} {}", a.status, a.body),
            Err(e) => {
                let e = e.to_string();
                assert!(
                    !e.contains("status"),
                    "{what}: expected a TLS failure, got {e}"
                );
            }
        }
    }
    // Plain HTTP on the HTTPS port gets no HTTP answer either.
    let plain = rconnect_tests::Http::with_timeout(Duration::from_secs(5));
    assert!(plain
        .try_request("GET", &format!("http://127.0.0.1:{port}/"), None)
        .is_err());

    let admin_agent = pki.https_agent(None);
    let admin_url = format!("https://127.0.0.1:{admin_port}");
    let a = call(
        &admin_agent,
        "GET",
        &format!("{admin_url}/admin/loggers"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("root"), "{}", a.body);
    // `requested`: a trusted certificate is welcome too, an untrusted one is refused.
    let loggers = format!("{admin_url}/admin/loggers");
    let a = call(&trusted, "GET", &loggers, None, None).unwrap();
    assert_eq!(a.status, 200, "{}", a.body);
    let rogue = pki.https_agent(Some((&pki.rogue_key_pem, &pki.rogue_cert_pem)));
    assert!(call(&rogue, "GET", &loggers, None, None).is_err());
    let a = call(
        &admin_agent,
        "GET",
        &format!("{admin_url}/connectors"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(a.status, 404, "{}", a.body);
    worker.stop();
}

#[test]
fn bad_tls_or_auth_settings_stop_the_worker_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(dir.path());
    // No broker: these must fail before Kafka is contacted.
    let bootstrap = format!("127.0.0.1:{}", free_port());
    /// Worker settings, environment, and what the log must say.
    type Case<'a> = (
        Vec<(&'a str, String)>,
        Vec<(&'a str, String)>,
        &'a [&'a str],
    );
    let cases: Vec<Case> = vec![
        (
            vec![
                (
                    "ssl.keystore.location",
                    pki.server_p12.display().to_string(),
                ),
                ("ssl.keystore.password", "not-the-password".into()),
            ],
            vec![],
            &["ssl.keystore.location", "server.p12", "wrong password"],
        ),
        (
            vec![(
                "listeners.https.ssl.keystore.location",
                "/nonexistent/ks.p12".into(),
            )],
            vec![],
            &[
                "listeners.https.ssl.keystore.location",
                "/nonexistent/ks.p12",
            ],
        ),
        (
            vec![
                (
                    "ssl.keystore.location",
                    pki.server_p12.display().to_string(),
                ),
                ("ssl.keystore.password", STORE_PASSWORD.into()),
                ("rest.extension.classes", BASIC_AUTH.into()),
            ],
            vec![("KAFKA_OPTS", String::new())],
            &["rconnect.rest.auth.jaas.config", "KAFKA_OPTS"],
        ),
        (
            vec![
                (
                    "ssl.keystore.location",
                    pki.server_p12.display().to_string(),
                ),
                ("ssl.keystore.password", STORE_PASSWORD.into()),
                ("rest.extension.classes", "com.example.MyExtension".into()),
            ],
            vec![],
            &["rest.extension.classes", "com.example.MyExtension"],
        ),
    ];
    for (i, (settings, env, expected)) in cases.into_iter().enumerate() {
        let case_dir = dir.path().join(format!("case-{i}"));
        fs::create_dir_all(&case_dir).unwrap();
        let mut all = vec![
            ("bootstrap.servers", bootstrap.clone()),
            (
                "offset.storage.file.filename",
                case_dir.join("offsets").display().to_string(),
            ),
            ("listeners", format!("https://127.0.0.1:{}", free_port())),
        ];
        all.extend(settings);
        let props = sample_config_with("connect-standalone.properties", &all, &case_dir);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut worker = Worker::start(&["standalone", props.to_str().unwrap()], &env);
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = worker.try_exit_status() {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "case {i} still running\n{}",
                worker.log_tail(30)
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(!status.success(), "case {i}");
        let log = worker.log();
        for needle in expected {
            assert!(log.contains(needle), "case {i}: no {needle:?} in\n{log}");
        }
    }
}
