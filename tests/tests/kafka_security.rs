//! Workers on a secured Kafka cluster: `security.protocol` SSL (with mutual TLS),
//! SASL_PLAINTEXT and SASL_SSL with PLAIN and SCRAM-SHA-256/512, set with Java's keys at
//! the worker level (internal topics, group membership, cluster id) and with the
//! `producer.`/`consumer.` prefixes (task clients), for a standalone pipeline and a 2-worker
//! distributed group. Wrong credentials and untrusted certificates stop the worker at
//! start-up within seconds.
//!
//! tansu has no TLS acceptor or SASL users, so the tests put Debian's stunnel4
//! (`scripts/install-stunnel`) and a SASL-terminating proxy (`rconnect_tests::kafka_proxy`)
//! in front of it; the proxy makes the broker advertise the secured port.
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests --test kafka_security`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use rconnect_tests::kafka_proxy::{KafkaProxy, ProxyOptions};
use rconnect_tests::tls::{Pki, Stunnel, STORE_PASSWORD};
use rconnect_tests::{
    distributed_worker_settings, free_port, repo_root, sample_config_with, unique_name, Broker,
    Http, Worker,
};
use serde_json::json;

const USER: &str = "connect";
const PASSWORD: &str = "connect-secret";

/// A secured path to a test broker and the worker settings that use it.
struct Secured {
    bootstrap: String,
    /// Client settings without prefix; the worker gets them as they are and with the
    /// `producer.`, `consumer.` and `admin.` prefixes.
    client: Vec<(String, String)>,
    /// Environment of the worker process.
    env: Vec<(String, String)>,
    _proxy: KafkaProxy,
    _stunnel: Option<Stunnel>,
}

fn users() -> BTreeMap<String, String> {
    BTreeMap::from([(USER.to_string(), PASSWORD.to_string())])
}

fn jaas(mechanism: &str, password: &str) -> String {
    let module = if mechanism == "PLAIN" {
        "org.apache.kafka.common.security.plain.PlainLoginModule"
    } else {
        "org.apache.kafka.common.security.scram.ScramLoginModule"
    };
    format!("{module} required username=\"{USER}\" password=\"{password}\";")
}

/// How the worker's TLS stores are given.
#[derive(Clone, Copy, PartialEq)]
enum Stores {
    Pkcs12,
    Pem,
}

/// TLS through stunnel (mutual TLS: the client presents its keystore), optionally with
/// SASL `mechanism` in the proxy behind it.
fn over_tls(broker: &Broker, pki: &Pki, stores: Stores, sasl: Option<(&str, &str)>) -> Secured {
    // The proxy advertises stunnel's port, which is only known once stunnel runs: start
    // the proxy on a reserved port number first.
    let stunnel_port = free_port();
    let proxy = KafkaProxy::start(ProxyOptions {
        upstream: broker.bootstrap(),
        advertise_port: Some(stunnel_port),
        sasl_users: sasl.map(|_| users()),
    });
    let stunnel = Stunnel::start_on(pki, stunnel_port, proxy.port(), true);
    let mut client: Vec<(String, String)> = match stores {
        Stores::Pkcs12 => vec![
            (
                "ssl.truststore.location".into(),
                pki.truststore_p12.display().to_string(),
            ),
            ("ssl.truststore.password".into(), STORE_PASSWORD.into()),
            ("ssl.truststore.type".into(), "PKCS12".into()),
            (
                "ssl.keystore.location".into(),
                pki.client_p12.display().to_string(),
            ),
            ("ssl.keystore.password".into(), STORE_PASSWORD.into()),
            ("ssl.keystore.type".into(), "PKCS12".into()),
        ],
        Stores::Pem => vec![
            (
                "ssl.truststore.location".into(),
                pki.ca_pem.display().to_string(),
            ),
            ("ssl.truststore.type".into(), "PEM".into()),
            (
                "ssl.keystore.location".into(),
                pki.client_keystore_pem.display().to_string(),
            ),
            ("ssl.keystore.type".into(), "PEM".into()),
        ],
    };
    client.push((
        "ssl.endpoint.identification.algorithm".into(),
        "https".into(),
    ));
    match sasl {
        None => client.push(("security.protocol".into(), "SSL".into())),
        Some((mechanism, password)) => {
            client.push(("security.protocol".into(), "SASL_SSL".into()));
            client.push(("sasl.mechanism".into(), mechanism.into()));
            client.push(("sasl.jaas.config".into(), jaas(mechanism, password)));
        }
    }
    Secured {
        bootstrap: format!("127.0.0.1:{}", stunnel.port()),
        client,
        env: Vec::new(),
        _proxy: proxy,
        _stunnel: Some(stunnel),
    }
}

/// SASL_PLAINTEXT through the proxy.
fn over_sasl_plaintext(broker: &Broker, mechanism: &str, password: &str) -> Secured {
    let proxy = KafkaProxy::start(ProxyOptions {
        upstream: broker.bootstrap(),
        advertise_port: None,
        sasl_users: Some(users()),
    });
    Secured {
        bootstrap: proxy.bootstrap(),
        client: vec![
            ("security.protocol".into(), "SASL_PLAINTEXT".into()),
            ("sasl.mechanism".into(), mechanism.into()),
            ("sasl.jaas.config".into(), jaas(mechanism, password)),
        ],
        env: Vec::new(),
        _proxy: proxy,
        _stunnel: None,
    }
}

impl Secured {
    /// Worker settings: the client settings unprefixed and under each client prefix.
    fn worker_settings(&self) -> Vec<(String, String)> {
        let mut out = vec![("bootstrap.servers".to_string(), self.bootstrap.clone())];
        for prefix in ["", "producer.", "consumer.", "admin."] {
            for (k, v) in &self.client {
                out.push((format!("{prefix}{k}"), v.clone()));
            }
        }
        out
    }
}

fn wait_for_line(path: &Path, expected: &[&str], worker: &Worker, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        if lines == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "sink file has {lines:?}, expected {expected:?}\n{}",
            worker.log_tail(60)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// FileStreamSource -> topic -> FileStreamSink in a standalone worker over `secured`.
fn standalone_pipeline(broker: &Broker, secured: &Secured) {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_name("secured-topic");
    broker.create_topic(&topic, 1, &[]);
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    fs::write(&input, "alpha\nbeta\n").unwrap();
    let port = free_port();
    let mut worker_settings: Vec<(&str, String)> = vec![
        (
            "offset.storage.file.filename",
            dir.path().join("offsets").display().to_string(),
        ),
        ("offset.flush.interval.ms", "500".into()),
        ("listeners", format!("http://127.0.0.1:{port}")),
        ("consumer.session.timeout.ms", "6000".into()),
    ];
    let settings = secured.worker_settings();
    worker_settings.extend(settings.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let worker_props = sample_config_with(
        "connect-standalone.properties",
        &worker_settings,
        dir.path(),
    );
    let source = sample_config_with(
        "connect-file-source.properties",
        &[
            ("file", input.display().to_string()),
            ("topic", topic.clone()),
        ],
        dir.path(),
    );
    let sink = sample_config_with(
        "connect-file-sink.properties",
        &[
            ("file", output.display().to_string()),
            ("topics", topic.clone()),
        ],
        dir.path(),
    );
    let env: Vec<(&str, &str)> = secured
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut worker = Worker::start(
        &[
            "standalone",
            worker_props.to_str().unwrap(),
            source.to_str().unwrap(),
            sink.to_str().unwrap(),
        ],
        &env,
    );
    worker.wait_for_rest(port, Duration::from_secs(30));
    wait_for_line(
        &output,
        &["alpha", "beta"],
        &worker,
        Duration::from_secs(30),
    );
    // The records went through the broker (behind the secured path).
    assert_eq!(broker.high_watermarks(&topic), 2);
    worker.stop();
}

/// Two distributed workers over `secured`: they form one group (group client over TLS
/// and/or SASL), share the internal topics, and run a source -> sink pipeline.
fn distributed_group(broker: &Broker, secured: &Secured) {
    let dir = tempfile::tempdir().unwrap();
    let group = unique_name("secured-group");
    let topic = unique_name("secured-topic");
    broker.create_topic(&topic, 1, &[]);
    let sample =
        fs::read_to_string(repo_root().join("config/connect-distributed.properties")).unwrap();
    let mut workers = Vec::new();
    let mut ports = Vec::new();
    for i in 0..2 {
        let port = free_port();
        let mut text: String = sample
            .lines()
            .filter(|l| !l.starts_with("bootstrap.servers=") && !l.contains(".storage.topic="))
            .map(|l| format!("{l}\n"))
            .collect();
        for (k, v) in distributed_worker_settings(broker, &group, port) {
            text.push_str(&format!("{k}={v}\n"));
        }
        for (k, v) in secured.worker_settings() {
            text.push_str(&format!("{k}={v}\n"));
        }
        let props = dir.path().join(format!("worker-{i}.properties"));
        fs::write(&props, text).unwrap();
        let mut w = Worker::start(&["distributed", props.to_str().unwrap()], &[]);
        w.wait_for_rest(port, Duration::from_secs(30));
        workers.push(w);
        ports.push(port);
    }
    let http = Http::new();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    fs::write(&input, "one\ntwo\n").unwrap();
    let base = format!("http://127.0.0.1:{}", ports[1]);
    let (code, body) = http.post_json(
        &format!("{base}/connectors"),
        &json!({"name": "secured-source", "config": {
            "connector.class": "FileStreamSource", "tasks.max": "1",
            "file": input.display().to_string(), "topic": topic,
        }}),
    );
    assert_eq!(code, 201, "{body}");
    let (code, body) = http.post_json(
        &format!("{base}/connectors"),
        &json!({"name": "secured-sink", "config": {
            "connector.class": "FileStreamSink", "tasks.max": "1",
            "file": output.display().to_string(), "topics": topic,
        }}),
    );
    assert_eq!(code, 201, "{body}");
    wait_for_line(
        &output,
        &["one", "two"],
        &workers[0],
        Duration::from_secs(45),
    );
    // Both workers are members of one generation.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !workers
        .iter()
        .all(|w| w.log().contains("Joined group at generation"))
    {
        assert!(Instant::now() < deadline, "{}", workers[1].log_tail(40));
        std::thread::sleep(Duration::from_millis(200));
    }
    for w in &mut workers {
        w.stop();
    }
}

/// Starts a standalone worker that must exit within `within`, and returns its log.
fn failing_start(secured: &Secured, within: Duration) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut settings: Vec<(&str, String)> = vec![
        (
            "offset.storage.file.filename",
            dir.path().join("offsets").display().to_string(),
        ),
        ("listeners", format!("http://127.0.0.1:{}", free_port())),
    ];
    let s = secured.worker_settings();
    settings.extend(s.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let props = sample_config_with("connect-standalone.properties", &settings, dir.path());
    let mut worker = Worker::start(&["standalone", props.to_str().unwrap()], &[]);
    let started = Instant::now();
    loop {
        if let Some(status) = worker.try_exit_status() {
            assert!(!status.success());
            return worker.log();
        }
        assert!(
            started.elapsed() < within,
            "worker still running after {within:?}\n{}",
            worker.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ssl_with_mutual_tls_standalone_and_distributed() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(dir.path());
    let secured = over_tls(&broker, &pki, Stores::Pkcs12, None);
    standalone_pipeline(&broker, &secured);
    distributed_group(&broker, &secured);
}

#[test]
fn sasl_ssl_with_scram_and_pem_stores_standalone_and_distributed() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(dir.path());
    let secured = over_tls(
        &broker,
        &pki,
        Stores::Pem,
        Some(("SCRAM-SHA-512", PASSWORD)),
    );
    standalone_pipeline(&broker, &secured);
    let secured = over_tls(
        &broker,
        &pki,
        Stores::Pem,
        Some(("SCRAM-SHA-256", PASSWORD)),
    );
    distributed_group(&broker, &secured);
}

#[test]
fn sasl_plaintext_with_plain() {
    let broker = Broker::start();
    let secured = over_sasl_plaintext(&broker, "PLAIN", PASSWORD);
    standalone_pipeline(&broker, &secured);

    // No sasl.jaas.config: the KafkaClient entry of the JAAS file in KAFKA_OPTS, as a Java
    // worker started by kafka-run-class.sh reads it.
    let dir = tempfile::tempdir().unwrap();
    let jaas_file = dir.path().join("kafka_client_jaas.conf");
    fs::write(
        &jaas_file,
        format!("KafkaClient {{\n  {}\n}};\n", jaas("PLAIN", PASSWORD)),
    )
    .unwrap();
    let mut secured = over_sasl_plaintext(&broker, "PLAIN", PASSWORD);
    secured.client.retain(|(k, _)| k != "sasl.jaas.config");
    secured.env.push((
        "KAFKA_OPTS".into(),
        format!("-Djava.security.auth.login.config={}", jaas_file.display()),
    ));
    standalone_pipeline(&broker, &secured);
}

#[test]
fn wrong_password_or_untrusted_certificate_fails_start_up_within_seconds() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(dir.path());

    for mechanism in ["PLAIN", "SCRAM-SHA-256"] {
        let secured = over_sasl_plaintext(&broker, mechanism, "not-the-password");
        let log = failing_start(&secured, Duration::from_secs(10));
        assert!(
            log.contains("SASL authentication failed")
                && log.contains(&format!("SASL mechanism {mechanism}")),
            "{mechanism}: {log}"
        );
    }

    // A truststore that does not hold the CA of stunnel's certificate.
    let other_dir = tempfile::tempdir().unwrap();
    let other = Pki::generate(other_dir.path());
    let mut secured = over_tls(&broker, &pki, Stores::Pkcs12, None);
    for (k, v) in secured.client.iter_mut() {
        if k == "ssl.truststore.location" {
            *v = other.truststore_p12.display().to_string();
        }
    }
    let log = failing_start(&secured, Duration::from_secs(10));
    assert!(
        log.contains("TLS handshake failed") && log.contains("invalid peer certificate"),
        "{log}"
    );

    // No client certificate for stunnel's mutual TLS: the broker side drops the handshake.
    let mut secured = over_tls(&broker, &pki, Stores::Pkcs12, None);
    secured
        .client
        .retain(|(k, _)| !k.starts_with("ssl.keystore."));
    let log = failing_start(&secured, Duration::from_secs(10));
    assert!(log.contains("cannot reach the Kafka cluster"), "{log}");

    // A truststore password that does not open it: refused before any connection.
    let mut secured = over_tls(&broker, &pki, Stores::Pkcs12, None);
    for (k, v) in secured.client.iter_mut() {
        if k == "ssl.truststore.password" {
            *v = "wrong".into();
        }
    }
    let log = failing_start(&secured, Duration::from_secs(10));
    assert!(
        log.contains("ssl.truststore.location") && log.contains("wrong password"),
        "{log}"
    );
}
