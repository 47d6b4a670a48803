//! The REST API over real HTTP against an in-memory herder.

mod support;

use std::time::Duration;

use rconnect_rest::{Listener, RestError, RestServer};
use serde_json::json;
use support::{TestServer, WORKER_ID};

const SOURCE: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";

#[test]
fn root_and_health() {
    let s = TestServer::start();
    let r = s.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    // Compact JSON, Java field names and order.
    assert_eq!(
        r.body,
        r#"{"version":"3.9.0","commit":"abcdef0123456789","kafka_cluster_id":"cluster-1"}"#
    );

    let r = s.get("/health");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "healthy");

    *s.herder.health.lock().unwrap() = (
        503,
        rconnect_runtime::herder::WorkerStatus {
            status: "starting".into(),
            message: "Worker is still starting up.".into(),
        },
    );
    let r = s.get("/health/");
    assert_eq!(r.status, 503);
    assert_eq!(
        r.json(),
        json!({"status": "starting", "message": "Worker is still starting up."})
    );
}

#[test]
fn routing_misses_are_404_and_405() {
    let s = TestServer::start();
    for path in [
        "/nope",
        "/connectors/a/b/c",
        "/connector-plugins/p",
        "/admin/nope",
        // A Jersey path parameter never matches an empty segment.
        "/connectors//status",
        "/connectors//config",
    ] {
        s.get(path).assert_error(404, "HTTP 404 Not Found");
    }
    let r = s.send_empty("DELETE", "/connectors");
    r.assert_error(405, "HTTP 405 Method Not Allowed");
    // Jersey's 405 has no Allow header; its automatic OPTIONS lists the methods.
    assert_eq!(r.header("allow"), None);
    let r = s.send_empty("OPTIONS", "/connectors");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("allow"), Some("HEAD,POST,GET,OPTIONS"));
    assert_eq!(r.body, "HEAD, POST, GET, OPTIONS");
    let r = s.send_empty("OPTIONS", "/connectors/c/config");
    assert_eq!(r.body, "HEAD, GET, OPTIONS, PUT, PATCH");
    s.send_empty("OPTIONS", "/nope")
        .assert_error(404, "HTTP 404 Not Found");
    s.send_empty("GET", "/connectors/c/restart")
        .assert_error(405, "HTTP 405 Method Not Allowed");
    s.send_json("POST", "/connectors/c", "{}")
        .assert_error(405, "HTTP 405 Method Not Allowed");
    s.send_empty("POST", "/connectors/c/pause")
        .assert_error(405, "HTTP 405 Method Not Allowed");
}

#[test]
fn unsupported_media_type_and_not_acceptable() {
    let s = TestServer::start();
    let body = r#"{"name":"c","config":{"connector.class":"X"}}"#;
    s.request("POST", "/connectors", Some((Some("text/plain"), body)), &[])
        .assert_error(415, "HTTP 415 Unsupported Media Type");
    // A body without any Content-Type is not JSON either.
    s.request("POST", "/connectors", Some((None, body)), &[])
        .assert_error(415, "HTTP 415 Unsupported Media Type");
    s.request(
        "PUT",
        "/connectors/c/config",
        Some((Some("application/x-www-form-urlencoded"), "{}")),
        &[],
    )
    .assert_error(415, "HTTP 415 Unsupported Media Type");
    s.request(
        "PATCH",
        "/connectors/c/config",
        Some((Some("text/plain"), "{}")),
        &[],
    )
    .assert_error(415, "HTTP 415 Unsupported Media Type");
    s.request(
        "PUT",
        "/connector-plugins/X/config/validate",
        Some((Some("text/plain"), "{}")),
        &[],
    )
    .assert_error(415, "HTTP 415 Unsupported Media Type");
    // Parameters on the media type are fine.
    let r = s.request(
        "PUT",
        "/connectors/c/config",
        Some((
            Some("application/json; charset=UTF-8"),
            r#"{"connector.class":"X"}"#,
        )),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // Routing comes first: 404 and 405 win over 415.
    s.request("POST", "/nope", Some((Some("text/plain"), "x")), &[])
        .assert_error(404, "HTTP 404 Not Found");
    s.request(
        "POST",
        "/connectors/c/config",
        Some((Some("text/plain"), "x")),
        &[],
    )
    .assert_error(405, "HTTP 405 Method Not Allowed");

    s.request("GET", "/connectors", None, &[("Accept", "text/plain")])
        .assert_error(406, "HTTP 406 Not Acceptable");
    s.request(
        "GET",
        "/",
        None,
        &[("Accept", "application/json;q=0, text/html")],
    )
    .assert_error(406, "HTTP 406 Not Acceptable");
    for accept in ["*/*", "application/json", "text/html, application/*;q=0.2"] {
        let r = s.request("GET", "/connectors", None, &[("Accept", accept)]);
        assert_eq!(r.status, 200, "Accept {accept}");
    }
}

#[test]
fn create_connector() {
    let s = TestServer::start();
    let body = json!({
        "name": "  file source ",
        "config": {"connector.class": SOURCE, "tasks.max": 2, "file": "/tmp/in", "batch": true},
    });
    let r = s.send_json("POST", "/connectors/", &body.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("http://127.0.0.1:{}/connectors/file%20source", s.port).as_str())
    );
    assert_eq!(
        r.json(),
        json!({
            "name": "file source",
            "config": {"batch": "true", "connector.class": SOURCE, "file": "/tmp/in",
                       "name": "file source", "tasks.max": "2"},
            "tasks": [{"connector": "file source", "task": 0}, {"connector": "file source", "task": 1}],
            "type": "source",
        })
    );

    // The same name again.
    let r = s.send_json("POST", "/connectors", &body.to_string());
    r.assert_error(409, "Connector file source already exists");

    // config.name must match the request name.
    let body = json!({"name": "a", "config": {"connector.class": SOURCE, "name": "b"}});
    s.send_json("POST", "/connectors", &body.to_string())
        .assert_error(
            400,
            "Connector name configuration (b) doesn't match connector name in the URL (a)",
        );

    // Validation failures come from the herder untouched.
    let body = json!({"name": "a", "config": {"tasks.max": "1"}});
    let r = s.send_json("POST", "/connectors", &body.to_string());
    r.assert_error_prefix(400, "Connector config {");

    // initial_state, case-insensitive.
    let body =
        json!({"name": "p", "config": {"connector.class": SOURCE}, "initial_state": "paused"});
    assert_eq!(
        s.send_json("POST", "/connectors", &body.to_string()).status,
        201
    );
    assert_eq!(
        s.get("/connectors/p/status").json()["connector"]["state"],
        "PAUSED"
    );
    let body =
        json!({"name": "q", "config": {"connector.class": SOURCE}, "initial_state": "SLEEPING"});
    s.send_json("POST", "/connectors", &body.to_string())
        .assert_error_prefix(500, "Cannot construct instance of `org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest$InitialState`");
}

#[test]
fn create_connector_binding_errors() {
    let s = TestServer::start();
    s.send_json("POST", "/connectors", r#"{"name":"a","config":{},"extra":1}"#)
        .assert_error_prefix(500, "Unrecognized field \"extra\" (class org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest)");
    s.send_json("POST", "/connectors", r#"{"name":"a"}"#)
        .assert_error(
            500,
            "Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null",
        );
    s.send_json("POST", "/connectors", "")
        .assert_error_prefix(500, "Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest.name()\"");
    s.send_json("POST", "/connectors", r#"{"name": "a", "config": {"#)
        .assert_error_prefix(500, "Unexpected end-of-input");
    s.send_json("POST", "/connectors", r#"{"name": "a", config}"#)
        .assert_error_prefix(500, "Unexpected character ('c' (code 99))");
    s.send_json("POST", "/connectors", r#"[1, 2]"#).assert_error(
        500,
        "Cannot deserialize value of type `org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest` from Array value (token `JsonToken.START_ARRAY`)\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1]",
    );
    s.send_json(
        "POST",
        "/connectors",
        r#"{"name":"a","config":{"k":{"nested":1}}}"#,
    )
    .assert_error_prefix(
        500,
        "Cannot deserialize value of type `java.lang.String` from Object value",
    );
    s.send_json("POST", "/connectors", r#"{"name":"a","config":{"k":[1]}}"#)
        .assert_error_prefix(
            500,
            "Cannot deserialize value of type `java.lang.String` from Array value",
        );
    s.send_json("POST", "/connectors", r#"{"name":"a","config":"x"}"#)
        .assert_error_prefix(500, "Cannot construct instance of `java.util.LinkedHashMap` (although at least one Creator exists): no String-argument constructor/factory method to deserialize from String value ('x')");
    // A JSON null config value cannot pass validation.
    let body = json!({"name": "a", "config": {"connector.class": SOURCE, "file": null}});
    s.send_json("POST", "/connectors", &body.to_string())
        .assert_error(
            400,
            "Connector configuration is invalid and contains the following 1 error(s):\n\
         Null value can not be supplied as the configuration value.\n\
         You can also find the above list of errors at the endpoint \
         `/connector-plugins/{connectorType}/config/validate`",
        );
    assert_eq!(s.get("/connectors").json(), json!([]));
}

#[test]
fn list_connectors_with_expansions() {
    let s = TestServer::start();
    assert_eq!(s.get("/connectors").body, "[]");
    s.create("a", json!({}));
    s.create("b", json!({"test.no.status": "true"}));
    assert_eq!(s.get("/connectors/").json(), json!(["a", "b"]));

    let r = s.get("/connectors?expand=status&expand=info&forward=true&unknown=1");
    assert_eq!(r.status, 200);
    let v = r.json();
    // `b` has no status record yet, so it is left out although `info` was asked for.
    assert_eq!(v.as_object().unwrap().keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(v["a"]["status"]["connector"]["state"], "RUNNING");
    assert_eq!(v["a"]["status"]["tasks"][0]["worker_id"], WORKER_ID);
    assert_eq!(v["a"]["info"]["config"]["file"], "/tmp/in");
    assert_eq!(v["a"]["info"]["type"], "source");

    let v = s.get("/connectors/?expand=info").json();
    assert_eq!(v["b"]["info"]["name"], "b");
    assert_eq!(
        v["a"]["info"]["tasks"],
        json!([{"connector": "a", "task": 0}])
    );
    assert_eq!(
        s.get("/connectors?expand=bogus").json(),
        json!({"a": {}, "b": {}})
    );
}

#[test]
fn connector_reads() {
    let s = TestServer::start();
    s.create("c", json!({"tasks.max": "2"}));
    let info = s.get("/connectors/c");
    assert_eq!(info.status, 200);
    assert_eq!(
        info.json()["tasks"][1],
        json!({"connector": "c", "task": 1})
    );
    let config = s.get("/connectors/c/config/").json();
    assert_eq!(config["name"], "c");
    assert_eq!(config["tasks.max"], "2");

    let status = s.get("/connectors/c/status").json();
    assert_eq!(
        status,
        json!({
            "name": "c",
            "connector": {"state": "RUNNING", "worker_id": WORKER_ID},
            "tasks": [{"id": 0, "state": "RUNNING", "worker_id": WORKER_ID},
                      {"id": 1, "state": "RUNNING", "worker_id": WORKER_ID}],
            "type": "source",
        })
    );
    let tasks = s.get("/connectors/c/tasks").json();
    assert_eq!(tasks[1]["id"], json!({"connector": "c", "task": 1}));
    assert_eq!(tasks[1]["config"]["task.id"], "1");
    let tasks_config = s.get("/connectors/c/tasks-config").json();
    assert_eq!(tasks_config["c-0"]["task.id"], "0");
    assert_eq!(tasks_config["c-1"]["task.id"], "1");

    let r = s.get("/connectors/c/tasks/1/status");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        format!(r#"{{"id":1,"state":"RUNNING","worker_id":"{WORKER_ID}"}}"#)
    );
    s.get("/connectors/c/tasks/5/status")
        .assert_error(404, "No status found for task c-5");
    s.get("/connectors/c/tasks/x/status")
        .assert_error(404, "HTTP 404 Not Found");
    s.get("/connectors/c/tasks/1.5/status")
        .assert_error(404, "HTTP 404 Not Found");

    let offsets = s.get("/connectors/c/offsets");
    assert_eq!(offsets.status, 200);
    assert_eq!(
        offsets.body,
        r#"{"offsets":[{"partition":{"filename":"/tmp/in"},"offset":{"position":30}}]}"#
    );

    for path in [
        "/connectors/x",
        "/connectors/x/config",
        "/connectors/x/tasks",
        "/connectors/x/tasks-config",
        "/connectors/x/offsets",
    ] {
        s.get(path).assert_error(404, "Connector x not found");
    }
    s.get("/connectors/x/status")
        .assert_error(404, "No status found for connector x");
    // Percent-encoded names are decoded.
    s.create("with space", json!({}));
    assert_eq!(
        s.get("/connectors/with%20space").json()["name"],
        "with space"
    );
}

#[test]
fn put_and_patch_config() {
    let s = TestServer::start();
    let r = s.send_json(
        "PUT",
        "/connectors/c/config",
        &json!({"connector.class": SOURCE, "tasks.max": 1, "file": "/a"}).to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("http://127.0.0.1:{}/connectors/c", s.port).as_str())
    );
    assert_eq!(r.json()["config"]["name"], "c");
    assert_eq!(r.json()["config"]["tasks.max"], "1");

    let r = s.send_json(
        "PUT",
        "/connectors/c/config/",
        &json!({"connector.class": SOURCE, "file": "/b", "name": "c"}).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("location"), None);
    assert_eq!(s.get("/connectors/c/config").json()["file"], "/b");

    s.send_json("PUT", "/connectors/c/config", r#"{"name":"d"}"#)
        .assert_error(
            400,
            "Connector name configuration (d) doesn't match connector name in the URL (c)",
        );
    s.send_json("PUT", "/connectors/c/config", r#"["a"]"#)
        .assert_error_prefix(
            500,
            "Cannot deserialize value of type `java.util.LinkedHashMap",
        );
    s.send_json("PUT", "/connectors/c/config", "")
        .assert_error_prefix(500, "Cannot invoke \"java.util.Map.get(Object)\"");
    s.send_json(
        "PUT",
        "/connectors/c/config",
        r#"{"connector.class": SOURCE, "tasks.max": "0"}"#,
    )
    .assert_error_prefix(500, "Unexpected character ('S' (code 83))");
    let r = s.send_json(
        "PUT",
        "/connectors/c/config",
        &json!({"connector.class": SOURCE, "tasks.max": "0"}).to_string(),
    );
    r.assert_error_prefix(400, "Connector configuration is invalid and contains the following 1 error(s):\nInvalid value 0");

    // PATCH: null deletes, scalars are coerced, the URL name is not checked.
    let r = s.send_json(
        "PATCH",
        "/connectors/c/config",
        r#"{"file": null, "tasks.max": 3, "extra": false}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let config = &r.json()["config"];
    assert!(config.get("file").is_none());
    assert_eq!(config["tasks.max"], "3");
    assert_eq!(config["extra"], "false");
    assert_eq!(r.json()["tasks"].as_array().unwrap().len(), 3);
    s.send_json("PATCH", "/connectors/x/config", "{}")
        .assert_error(404, "Connector x not found");
    s.send_json("PATCH", "/connectors/c/config", r#"{"a": {"b": 1}}"#)
        .assert_error_prefix(500, "Cannot deserialize value of type `java.lang.String`");
    s.send_json("PATCH", "/connectors/c/config", "")
        .assert_error_prefix(500, "Cannot invoke");
}

#[test]
fn lifecycle_operations() {
    let s = TestServer::start();
    s.create("c", json!({"tasks.max": "2"}));

    let r = s.send_empty("PUT", "/connectors/c/pause");
    assert_eq!((r.status, r.body.as_str()), (202, ""));
    assert_eq!(
        s.get("/connectors/c/status").json()["connector"]["state"],
        "PAUSED"
    );
    let r = s.send_empty("PUT", "/connectors/c/resume/");
    assert_eq!((r.status, r.body.as_str()), (202, ""));
    assert_eq!(
        s.get("/connectors/c/status").json()["connector"]["state"],
        "RUNNING"
    );
    s.send_empty("PUT", "/connectors/x/pause")
        .assert_error(404, "Unknown connector x");
    s.send_empty("PUT", "/connectors/x/resume")
        .assert_error(404, "Unknown connector x");

    // Legacy restart.
    let r = s.send_empty("POST", "/connectors/c/restart?forward=true");
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    let r = s.send_empty(
        "POST",
        "/connectors/c/restart?includeTasks=false&onlyFailed=",
    );
    assert_eq!(r.status, 204);
    s.send_empty("POST", "/connectors/x/restart")
        .assert_error(404, "Unknown connector: x");

    // KIP-745 plan.
    let r = s.send_empty("POST", "/connectors/c/restart?includeTasks=true");
    assert_eq!(r.status, 202);
    let plan = r.json();
    assert_eq!(plan["connector"]["state"], "RESTARTING");
    assert_eq!(plan["tasks"][0]["state"], "RESTARTING");
    assert_eq!(plan["tasks"][1]["state"], "RESTARTING");
    s.herder
        .connectors
        .lock()
        .unwrap()
        .get_mut("c")
        .unwrap()
        .failed_tasks
        .insert(1);
    let plan = s
        .send_empty(
            "POST",
            "/connectors/c/restart?includeTasks=TRUE&onlyFailed=true",
        )
        .json();
    assert_eq!(plan["connector"]["state"], "RUNNING");
    assert_eq!(plan["tasks"][0]["state"], "RUNNING");
    assert_eq!(plan["tasks"][1]["state"], "RESTARTING");
    assert_eq!(
        plan["tasks"][1]["trace"],
        "java.lang.RuntimeException: boom"
    );

    let r = s.send_empty("POST", "/connectors/c/tasks/1/restart");
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    s.send_empty("POST", "/connectors/c/tasks/7/restart")
        .assert_error(404, "Unknown task: c-7");
    s.send_empty("POST", "/connectors/x/tasks/0/restart")
        .assert_error(404, "Unknown connector: x");
    s.send_empty("POST", "/connectors/c/tasks/zero/restart")
        .assert_error(404, "HTTP 404 Not Found");

    let r = s.send_empty("PUT", "/connectors/c/stop");
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert_eq!(
        s.get("/connectors/c/status").json()["connector"]["state"],
        "STOPPED"
    );
    s.send_empty("PUT", "/connectors/x/stop")
        .assert_error(500, "No connector `x` configured");

    let r = s.send_empty("DELETE", "/connectors/c/");
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    s.get("/connectors/c")
        .assert_error(404, "Connector c not found");
    s.send_empty("DELETE", "/connectors/c")
        .assert_error(404, "Connector c not found");
}

#[test]
fn plugins() {
    let s = TestServer::start();
    let r = s.get("/connector-plugins/");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        concat!(
            r#"[{"class":"org.apache.kafka.connect.file.FileStreamSinkConnector","type":"sink","version":"3.9.0"},"#,
            r#"{"class":"org.apache.kafka.connect.file.FileStreamSourceConnector","type":"source","version":"3.9.0"}]"#
        )
    );
    assert_eq!(
        s.get("/connector-plugins?connectorsOnly=false")
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        s.get("/connector-plugins?connectorsOnly=TRUE")
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Boolean.valueOf: anything but "true" is false.
    assert_eq!(
        s.get("/connector-plugins?connectorsOnly=no")
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let r = s.get("/connector-plugins/FileStreamSource/config");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()[0]["name"], "file");
    assert_eq!(r.json()[0]["default_value"], json!(null));
    assert_eq!(r.json()[0]["order"], json!(-1));
    s.get("/connector-plugins/Nope/config")
        .assert_error(404, "Unknown plugin Nope.");
    s.get("/connector-plugins/AllConnectorClientConfigOverridePolicy/config")
        .assert_error(
            400,
            "Invalid plugin class AllConnectorClientConfigOverridePolicy. Valid types are \
             sink, source, converter, header_converter, transformation, predicate.",
        );
}

#[test]
fn validate_config() {
    let s = TestServer::start();
    let r = s.send_json(
        "PUT",
        "/connector-plugins/FileStreamSourceConnector/config/validate/",
        &json!({"connector.class": SOURCE, "tasks.max": 0, "file": null}).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["name"], SOURCE);
    assert_eq!(v["error_count"], 2);
    let entry = |name: &str| {
        v["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no entry for {name}"))
    };
    assert_eq!(
        entry("tasks.max")["value"]["errors"],
        json!(["Invalid value 0 for configuration tasks.max: Value must be at least 1"])
    );
    assert_eq!(entry("tasks.max")["value"]["value"], "0");
    assert_eq!(
        entry("file"),
        json!({"definition": null, "value": {"name": "file", "value": null, "recommended_values": [],
               "errors": ["Null value can not be supplied as the configuration value."], "visible": true}})
    );

    // The short alias in the URL matches the full class in the body, both ways.
    for plugin in ["FileStreamSource", SOURCE] {
        let r = s.send_json(
            "PUT",
            &format!("/connector-plugins/{plugin}/config/validate"),
            &json!({"connector.class": "FileStreamSourceConnector"}).to_string(),
        );
        assert_eq!(
            r.status,
            if plugin == SOURCE { 400 } else { 200 },
            "{plugin}: {}",
            r.body
        );
    }
    s.send_json(
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        &json!({"connector.class": SOURCE}).to_string(),
    )
    .assert_error(
        400,
        &format!("Included connector type {SOURCE} does not match request type FileStreamSink"),
    );
    // Failures inside validation are 500s.
    s.send_json(
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        "{}",
    )
    .assert_error_prefix(500, "org.apache.kafka.connect.errors.ConnectException: ");
    s.send_json(
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        "{",
    )
    .assert_error_prefix(500, "Unexpected end-of-input");
    s.send_json(
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        "",
    )
    .assert_error_prefix(500, "Cannot invoke \"java.util.Map.get(Object)\"");
}

#[test]
fn slow_herder_requests_time_out() {
    let s =
        TestServer::start_with(|server| server.with_request_timeout(Duration::from_millis(200)));
    s.create("slow-one", json!({}));
    s.get("/connectors/slow-one")
        .assert_error(500, "Request timed out");
    // Other requests are still served.
    assert_eq!(s.get("/connectors/slow-one/config").status, 200);
}

#[test]
fn shutdown_ends_serve_and_closes_the_port() {
    let s = TestServer::start();
    let base = s.base.clone();
    assert_eq!(s.get("/").status, 200);
    s.shutdown().expect("serve returns Ok");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    assert!(agent.get(&base).call().is_err(), "the listener is closed");
}

#[tokio::test]
async fn bind_errors_and_addresses() {
    let err = RestServer::bind(&[Listener {
        scheme: "https".into(),
        host: "".into(),
        port: 0,
    }])
    .await
    .err()
    .expect("https without TLS settings is refused");
    assert!(matches!(err, RestError::Tls { .. }));
    assert_eq!(
        err.to_string(),
        "Cannot set up TLS for REST listener https://:0: no TLS settings \
         (listeners.https.ssl.* or ssl.*)"
    );

    let err = RestServer::bind(&["ftp://:0".parse().unwrap()])
        .await
        .err()
        .unwrap();
    assert!(matches!(err, RestError::InvalidListener { .. }), "{err}");
    assert!(matches!(
        RestServer::bind(&[]).await.err().unwrap(),
        RestError::NoListeners
    ));

    let server = RestServer::bind(&[Listener::http("127.0.0.1", 0), "HTTP://:0".parse().unwrap()])
        .await
        .unwrap();
    let addrs = server.local_addrs();
    assert_eq!(addrs.len(), 2);
    assert!(addrs.iter().all(|a| a.port() != 0));
    assert!(addrs[0].ip().is_loopback());
    assert!(addrs[1].ip().is_unspecified());

    // The port is taken now.
    let err = RestServer::bind(&[Listener::http("127.0.0.1", addrs[0].port())])
        .await
        .err()
        .unwrap();
    assert!(matches!(err, RestError::Bind { .. }), "{err}");
    assert!(err.to_string().starts_with(&format!(
        "Unable to bind REST listener http://127.0.0.1:{}: ",
        addrs[0].port()
    )));
}

#[test]
fn offsets_alter_and_reset() {
    let s = TestServer::start();
    s.create("src", json!({}));
    s.create(
        "snk",
        json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "topics": "t"}),
    );
    let body = r#"{"offsets":[{"partition":{"filename":"/tmp/in"},"offset":{"position":3}}]}"#;
    let not_stopped = |name: &str| {
        format!(
            "Connectors must be in the STOPPED state before their offsets can be modified. This \
             can be done for the specified connector by issuing a 'PUT' request to the \
             '/connectors/{name}/stop' endpoint"
        )
    };
    s.send_json("PATCH", "/connectors/src/offsets", body)
        .assert_error(400, &not_stopped("src"));
    s.send_empty("DELETE", "/connectors/src/offsets")
        .assert_error(400, &not_stopped("src"));
    s.send_json("PATCH", "/connectors/nope/offsets", body)
        .assert_error(404, "Connector nope not found");
    s.send_empty("DELETE", "/connectors/nope/offsets")
        .assert_error(404, "Connector nope not found");

    // The body is checked before the connector.
    let no_offsets = "Partitions / offsets need to be provided for an alter offsets request";
    for empty in [r#"{}"#, r#"{"offsets":null}"#, r#"{"offsets":[]}"#] {
        s.send_json("PATCH", "/connectors/nope/offsets", empty)
            .assert_error(400, no_offsets);
    }
    s.send_json("PATCH", "/connectors/src/offsets", "")
        .assert_error_prefix(500, "Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets.offsets()\"");
    s.send_json("PATCH", "/connectors/src/offsets", r#"{"offsets":[null]}"#)
        .assert_error_prefix(500, "Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset.partition()\"");
    s.send_json(
        "PATCH",
        "/connectors/src/offsets",
        r#"{"offsets":[],"x":1}"#,
    )
    .assert_error_prefix(500, "Unrecognized field \"x\"");
    s.send_json("PATCH", "/connectors/src/offsets", r#"{"offsets":"#)
        .assert_error_prefix(500, "Unexpected end-of-input");
    let r = s.request(
        "PATCH",
        "/connectors/src/offsets",
        Some((Some("text/plain"), body)),
        &[],
    );
    r.assert_error(415, "HTTP 415 Unsupported Media Type");

    assert_eq!(s.send_empty("PUT", "/connectors/src/stop").status, 204);
    let r = s.send_json("PATCH", "/connectors/src/offsets/", body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        r#"{"message":"The offsets for this connector have been altered successfully"}"#
    );
    let r = s.send_empty("DELETE", "/connectors/src/offsets");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"message": "The offsets for this connector have been reset successfully"})
    );

    // Sink partitions are Kafka partitions.
    assert_eq!(s.send_empty("PUT", "/connectors/snk/stop").status, 204);
    s.send_json("PATCH", "/connectors/snk/offsets", body)
        .assert_error(
            400,
            "The partition for a sink connector offset must contain the keys 'kafka_topic' and \
         'kafka_partition'",
        );
    s.send_json(
        "PATCH",
        "/connectors/snk/offsets",
        r#"{"offsets":[{"offset":{"kafka_offset":1}}]}"#,
    )
    .assert_error(
        400,
        "The partition for a sink connector offset cannot be null or missing",
    );
    s.send_json(
        "PATCH",
        "/connectors/snk/offsets",
        r#"{"offsets":[{"partition":{"kafka_topic":"t","kafka_partition":"x"},"offset":null}]}"#,
    )
    .assert_error_prefix(
        400,
        "Failed to parse the following Kafka partition value in the provided offsets: 'x'.",
    );
    let r = s.send_json(
        "PATCH",
        "/connectors/snk/offsets",
        r#"{"offsets":[{"partition":{"kafka_topic":"t","kafka_partition":"0"},"offset":{"kafka_offset":"10"}}]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Java's `LoggingResource`, on a server without a log filter (levels only recorded).
#[test]
fn admin_loggers() {
    let s = TestServer::start();
    assert_eq!(
        s.get("/admin/loggers").json(),
        json!({"root": {"level": "INFO", "last_modified": null}})
    );
    s.get("/admin/loggers/a.b")
        .assert_error(404, "Logger a.b not found.");
    let r = s.send_json("PUT", "/admin/loggers/a.b", r#"{"level":"warn"}"#);
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!(["a.b"]));
    let level = s.get("/admin/loggers/a.b").json();
    assert_eq!(level["level"], "WARN");
    assert!(level["last_modified"].is_i64());
    s.send_json("PUT", "/admin/loggers/a", r#"{"level":"BOGUS"}"#)
        .assert_error(404, "invalid log level 'BOGUS'.");
    s.send_json("PUT", "/admin/loggers/a", "{}").assert_error(
        400,
        "Desired 'level' parameter was not specified in request.",
    );
    s.send_json("PUT", "/admin/loggers/a", "").assert_error(
        500,
        "Cannot invoke \"java.util.Map.get(Object)\" because \"levelMap\" is null",
    );
    let r = s.send_json(
        "PUT",
        "/admin/loggers/a?scope=cluster",
        r#"{"level":"ERROR"}"#,
    );
    assert_eq!(r.status, 204);
    // `a` was created by that call; its child `a.b` follows it.
    assert_eq!(s.get("/admin/loggers/a.b").json()["level"], "ERROR");
    let all = s.get("/admin/loggers").json();
    assert_eq!(all["a"]["level"], "ERROR");
}

/// The OpenAPI document is served as committed (docs/openapi.json) and describes every
/// resource the router serves.
#[test]
fn openapi_document() {
    let s = TestServer::start();
    let r = s.get("/openapi.json");
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.0.3");
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/openapi.json")).unwrap();
    assert_eq!(doc, committed);
    for path in [
        "/",
        "/health",
        "/connectors",
        "/connectors/{connector}",
        "/connectors/{connector}/config",
        "/connectors/{connector}/status",
        "/connectors/{connector}/tasks",
        "/connectors/{connector}/tasks-config",
        "/connectors/{connector}/tasks/{task}/status",
        "/connectors/{connector}/restart",
        "/connectors/{connector}/tasks/{task}/restart",
        "/connectors/{connector}/pause",
        "/connectors/{connector}/resume",
        "/connectors/{connector}/stop",
        "/connectors/{connector}/offsets",
        "/connectors/{connector}/topics",
        "/connectors/{connector}/topics/reset",
        "/connector-plugins",
        "/connector-plugins/{pluginName}/config",
        "/connector-plugins/{pluginName}/config/validate",
        "/admin/loggers",
        "/admin/loggers/{logger}",
        "/openapi.json",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
    assert_eq!(doc["paths"].as_object().unwrap().len(), 23);
}
