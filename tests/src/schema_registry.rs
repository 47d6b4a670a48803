//! A Schema Registry for tests, written from the Confluent Schema Registry REST API
//! reference: `application/vnd.schemaregistry.v1+json`, global ids, per-subject versions,
//! BACKWARD compatibility by default (`409` with error code 409 when a schema is
//! incompatible), `404` with 40401 (subject), 40402 (version), 40403 (schema), `422` with
//! 42201 (invalid schema) and 42202 (invalid version), optional HTTP Basic authentication
//! (`401`), and an outage switch (`503`, error code 50003) for failure tests.
//!
//! It is a test fixture: the product talks to it as it would to a real registry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rconnect_avro::schema::{check_compatible, to_json_text, ParsedSchema};
use serde_json::{json, Value};

const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";

#[derive(Default)]
struct State {
    /// Canonical schema text by id (id = index + 1).
    schemas: Vec<String>,
    /// Subject → ids, version n at index n-1; `None` once soft-deleted.
    subjects: BTreeMap<String, Vec<Option<i32>>>,
    global_level: String,
    subject_levels: BTreeMap<String, String>,
    unavailable: bool,
    /// Requests that registered a new version.
    registrations: usize,
    requests: usize,
}

/// A running test registry on 127.0.0.1.
pub struct SchemaRegistry {
    port: u16,
    state: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SchemaRegistry {
    /// Starts a registry on a free port; `basic_auth` = `Some(("user", "password"))`
    /// requires those credentials on every request.
    pub fn start(basic_auth: Option<(&str, &str)>) -> SchemaRegistry {
        let state = Arc::new(Mutex::new(State {
            global_level: "BACKWARD".into(),
            ..State::default()
        }));
        let expected_auth = basic_auth.map(|(u, p)| {
            use base64::Engine as _;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the test registry");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().expect("local address").port();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("registry runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let app =
                    axum::Router::new().fallback(
                        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                            let st = st.clone();
                            let expected_auth = expected_auth.clone();
                            async move {
                                handle(&st, expected_auth.as_deref(), method, uri, headers, body)
                            }
                        },
                    );
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        SchemaRegistry {
            port,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// While set, every request is answered `503` (error code 50003).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.state.lock().unwrap().unavailable = unavailable;
    }

    /// Requests that created a new schema version so far.
    pub fn registrations(&self) -> usize {
        self.state.lock().unwrap().registrations
    }

    /// Every request answered so far.
    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests
    }

    /// The subjects with at least one live version.
    pub fn subjects(&self) -> Vec<String> {
        let st = self.state.lock().unwrap();
        st.subjects
            .iter()
            .filter(|(_, v)| v.iter().any(Option::is_some))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The schema text of each live version of `subject`.
    pub fn versions(&self, subject: &str) -> Vec<String> {
        let st = self.state.lock().unwrap();
        st.subjects
            .get(subject)
            .map(|v| {
                v.iter()
                    .flatten()
                    .map(|id| st.schemas[*id as usize - 1].clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for SchemaRegistry {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, [("Content-Type", MEDIA_TYPE)], body.to_string()).into_response()
}

fn error(status: StatusCode, code: i32, message: &str) -> Response {
    reply(status, json!({"error_code": code, "message": message}))
}

fn decode(seg: &str) -> String {
    let b = seg.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(x) = u8::from_str_radix(&seg[i + 1..i + 3], 16) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn invalid(message: &str) -> Box<Response> {
    Box::new(error(StatusCode::UNPROCESSABLE_ENTITY, 42201, message))
}

/// The schema of a request body in canonical form, or the 422 answer.
fn canonical(body: &Bytes) -> Result<String, Box<Response>> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| invalid(&format!("Invalid schema: {e}")))?;
    match v.get("schemaType").and_then(Value::as_str) {
        None | Some("AVRO") => {}
        Some(other) => {
            return Err(invalid(&format!(
                "Invalid schema type {other}: this registry holds Avro only"
            )))
        }
    }
    let text = v
        .get("schema")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("Invalid schema: no \"schema\" field"))?;
    let parsed = ParsedSchema::parse(text)
        .map_err(|e| invalid(&format!("Invalid schema {text}, details: {e}")))?;
    to_json_text(&parsed.root).map_err(|e| invalid(&format!("Invalid schema {text}, details: {e}")))
}

fn level_allows(level: &str, new: &ParsedSchema, olds: &[ParsedSchema]) -> Result<(), String> {
    let level = level.to_ascii_uppercase();
    let against: Vec<&ParsedSchema> = if level.ends_with("_TRANSITIVE") {
        olds.iter().rev().collect()
    } else {
        olds.last().into_iter().collect()
    };
    for old in against {
        if level.starts_with("BACKWARD") || level.starts_with("FULL") {
            check_compatible(new, old)?;
        }
        if level.starts_with("FORWARD") || level.starts_with("FULL") {
            check_compatible(old, new)?;
        }
    }
    Ok(())
}

fn handle(
    st: &Mutex<State>,
    expected_auth: Option<&str>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut st = st.lock().unwrap();
    st.requests += 1;
    if let Some(auth) = expected_auth {
        let given = headers.get("authorization").and_then(|v| v.to_str().ok());
        if given != Some(auth) {
            return error(StatusCode::UNAUTHORIZED, 40101, "Unauthorized");
        }
    }
    if st.unavailable {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            50003,
            "Error while forwarding the request to the leader",
        );
    }
    let segs: Vec<String> = uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let live = |st: &State, subject: &str| -> Option<Vec<(i32, i32)>> {
        let v = st.subjects.get(subject)?;
        let live: Vec<(i32, i32)> = v
            .iter()
            .enumerate()
            .filter_map(|(i, id)| id.map(|id| (i as i32 + 1, id)))
            .collect();
        (!live.is_empty()).then_some(live)
    };
    match (method.as_str(), segs.as_slice()) {
        ("GET", []) => reply(StatusCode::OK, json!({})),
        ("GET", ["schemas", "types"]) => reply(StatusCode::OK, json!(["AVRO"])),
        ("GET", ["subjects"]) => {
            let names: Vec<String> = st
                .subjects
                .iter()
                .filter(|(_, v)| v.iter().any(Option::is_some))
                .map(|(k, _)| k.clone())
                .collect();
            reply(StatusCode::OK, json!(names))
        }
        ("GET", ["schemas", "ids", id]) | ("GET", ["schemas", "ids", id, "schema"]) => {
            let schema = id
                .parse::<usize>()
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| st.schemas.get(i).cloned());
            match schema {
                None => error(StatusCode::NOT_FOUND, 40403, "Schema not found"),
                Some(s) if segs.len() == 4 => {
                    (StatusCode::OK, [("Content-Type", MEDIA_TYPE)], s).into_response()
                }
                Some(s) => reply(StatusCode::OK, json!({"schema": s})),
            }
        }
        ("GET", ["subjects", subject, "versions"]) => match live(&st, subject) {
            None => error(
                StatusCode::NOT_FOUND,
                40401,
                &format!("Subject '{subject}' not found."),
            ),
            Some(v) => reply(
                StatusCode::OK,
                json!(v.iter().map(|(ver, _)| *ver).collect::<Vec<_>>()),
            ),
        },
        ("GET", ["subjects", subject, "versions", version]) => {
            let Some(v) = live(&st, subject) else {
                return error(
                    StatusCode::NOT_FOUND,
                    40401,
                    &format!("Subject '{subject}' not found."),
                );
            };
            let found = match *version {
                "latest" | "-1" => v.last().copied(),
                n => match n.parse::<i32>() {
                    Ok(n) if n > 0 => v.iter().find(|(ver, _)| *ver == n).copied(),
                    _ => {
                        return error(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            42202,
                            &format!("The specified version '{n}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""),
                        )
                    }
                },
            };
            match found {
                None => error(
                    StatusCode::NOT_FOUND,
                    40402,
                    &format!("Version {version} not found."),
                ),
                Some((ver, id)) => reply(
                    StatusCode::OK,
                    json!({"subject": subject, "version": ver, "id": id, "schema": st.schemas[id as usize - 1]}),
                ),
            }
        }
        ("POST", ["subjects", subject, "versions"]) => {
            let text = match canonical(&body) {
                Ok(t) => t,
                Err(r) => return *r,
            };
            let subject = subject.to_string();
            let live_versions = live(&st, &subject).unwrap_or_default();
            if let Some((_, id)) = live_versions
                .iter()
                .find(|(_, id)| st.schemas[*id as usize - 1] == text)
            {
                return reply(StatusCode::OK, json!({"id": id}));
            }
            let level = st
                .subject_levels
                .get(&subject)
                .cloned()
                .unwrap_or_else(|| st.global_level.clone());
            let new = ParsedSchema::parse(&text).expect("canonical text parses");
            let olds: Vec<ParsedSchema> = live_versions
                .iter()
                .map(|(_, id)| {
                    ParsedSchema::parse(&st.schemas[*id as usize - 1]).expect("stored text parses")
                })
                .collect();
            if let Err(why) = level_allows(&level, &new, &olds) {
                return error(
                    StatusCode::CONFLICT,
                    409,
                    &format!("Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{why}]"),
                );
            }
            let id = match st.schemas.iter().position(|s| *s == text) {
                Some(i) => i as i32 + 1,
                None => {
                    st.schemas.push(text);
                    st.schemas.len() as i32
                }
            };
            st.subjects.entry(subject).or_default().push(Some(id));
            st.registrations += 1;
            reply(StatusCode::OK, json!({"id": id}))
        }
        ("POST", ["subjects", subject]) => {
            let text = match canonical(&body) {
                Ok(t) => t,
                Err(r) => return *r,
            };
            let deleted = uri
                .query()
                .is_some_and(|q| q.split('&').any(|p| p == "deleted=true"));
            let Some(all) = st.subjects.get(*subject) else {
                return error(
                    StatusCode::NOT_FOUND,
                    40401,
                    &format!("Subject '{subject}' not found."),
                );
            };
            let found = all.iter().enumerate().find_map(|(i, id)| match id {
                Some(id) if st.schemas[*id as usize - 1] == text => Some((i as i32 + 1, *id)),
                _ => None,
            });
            let _ = deleted;
            match found {
                None => error(StatusCode::NOT_FOUND, 40403, "Schema not found"),
                Some((ver, id)) => reply(
                    StatusCode::OK,
                    json!({"subject": subject, "version": ver, "id": id, "schema": text}),
                ),
            }
        }
        ("DELETE", ["subjects", subject]) => match st.subjects.get_mut(*subject) {
            Some(v) if v.iter().any(Option::is_some) => {
                let versions: Vec<i32> = v
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| id.is_some())
                    .map(|(i, _)| i as i32 + 1)
                    .collect();
                v.iter_mut().for_each(|id| *id = None);
                reply(StatusCode::OK, json!(versions))
            }
            _ => error(
                StatusCode::NOT_FOUND,
                40401,
                &format!("Subject '{subject}' not found."),
            ),
        },
        ("GET", ["config"]) => {
            let level = st.global_level.clone();
            reply(StatusCode::OK, json!({"compatibilityLevel": level}))
        }
        ("GET", ["config", subject]) => match st.subject_levels.get(*subject) {
            Some(l) => reply(StatusCode::OK, json!({"compatibilityLevel": l})),
            None => error(
                StatusCode::NOT_FOUND,
                40408,
                &format!(
                    "Subject '{subject}' does not have subject-level compatibility configured"
                ),
            ),
        },
        ("PUT", ["config"]) | ("PUT", ["config", _]) => {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let level = v
                .get("compatibility")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_uppercase();
            const LEVELS: [&str; 7] = [
                "NONE",
                "BACKWARD",
                "BACKWARD_TRANSITIVE",
                "FORWARD",
                "FORWARD_TRANSITIVE",
                "FULL",
                "FULL_TRANSITIVE",
            ];
            if !LEVELS.contains(&level.as_str()) {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    42203,
                    "Invalid compatibility level",
                );
            }
            match segs.get(1) {
                Some(subject) => {
                    st.subject_levels.insert(subject.to_string(), level.clone());
                }
                None => st.global_level = level.clone(),
            }
            reply(StatusCode::OK, json!({"compatibility": level}))
        }
        _ => error(StatusCode::NOT_FOUND, 404, "HTTP 404 Not Found"),
    }
}
