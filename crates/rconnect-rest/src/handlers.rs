//! The REST resources (Java's `RootResource`, `ConnectorsResource` and
//! `ConnectorPluginsResource`): HTTP in, one [`Herder`] call, HTTP out.
//!
//! Each handler only translates between HTTP and the herder, so a later forwarding layer
//! (distributed mode) can wrap the routes: it sees the parsed `forward` parameter in the
//! query and the original request, and can re-send it to the leader.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, LOCATION};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rconnect_runtime::herder::{
    ConfigInfo, ConfigInfos, ConfigValueInfo, ConnectorInfo, ConnectorTaskId, Herder, HerderError,
    HerderResult,
};
use rconnect_sdk::Props;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::json::{self, NullableProps};
use crate::loggers::{self, LoggerLevels};

const CONNECTOR_CLASS_CONFIG: &str = "connector.class";
const NAME_CONFIG: &str = "name";
const NULL_VALUE_ERROR: &str = "Null value can not be supplied as the configuration value.";
// Java 17's helpful NullPointerException texts for the bodies Java receives as `null`.
const NPE_CREATE_REQUEST: &str = "Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.\
CreateConnectorRequest.name()\" because \"createRequest\" is null";
const NPE_CONFIG: &str =
    "Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null";
const NPE_PATCH: &str = "Cannot invoke \"java.util.Map.forEach(java.util.function.BiConsumer)\" \
because \"patch\" is null";
const NPE_OFFSETS: &str = "Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.\
ConnectorOffsets.offsets()\" because \"offsets\" is null";
const NPE_OFFSET: &str = "Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.\
ConnectorOffset.partition()\" because \"offset\" is null";
const NO_OFFSETS: &str = "Partitions / offsets need to be provided for an alter offsets request";

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub herder: Arc<dyn Herder>,
    /// Java's `DEFAULT_REST_REQUEST_TIMEOUT_MS`: how long a request waits for the herder.
    pub request_timeout: Duration,
    /// The worker's log levels (`/admin/loggers`).
    pub loggers: Arc<LoggerLevels>,
    /// The worker's metrics (`/metrics`); `None` answers 404.
    pub metrics: Option<Arc<rconnect_runtime::metrics::Metrics>>,
}

impl AppState {
    /// Waits for the herder at most `request_timeout`; the outer error is the timeout.
    async fn timed<T>(&self, fut: impl Future<Output = T>) -> Result<T, ApiError> {
        tokio::time::timeout(self.request_timeout, fut)
            .await
            .map_err(|_| ApiError::internal("Request timed out"))
    }

    async fn call<T>(&self, fut: impl Future<Output = HerderResult<T>>) -> Result<T, ApiError> {
        Ok(self.timed(fut).await??)
    }
}

/// The address of the listener a request arrived on, for `Location` without a `Host`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LocalAddr(pub std::net::SocketAddr);

/// `http://<host>` as the client addressed this server (Jersey's base URI, no trailing `/`).
pub(crate) struct BaseUrl(String);

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| parts.extensions.get::<LocalAddr>().map(|a| a.0.to_string()))
            .unwrap_or_else(|| "localhost".to_string());
        Ok(BaseUrl(format!("http://{host}")))
    }
}

/// Path parameters; a missing or undecodable one is a routing miss (404) as in Jersey.
pub(crate) struct Params(BTreeMap<String, String>);

impl Params {
    fn get(&self, key: &str) -> Result<&str, ApiError> {
        self.0
            .get(key)
            .map(String::as_str)
            .ok_or_else(ApiError::not_found)
    }

    fn connector(&self) -> Result<String, ApiError> {
        self.get("connector").map(str::to_string)
    }

    /// `{connector}` and `{task}`; a non-integer task id is a 404 (Jersey cannot bind it).
    fn task_id(&self) -> Result<ConnectorTaskId, ApiError> {
        let task = self
            .get("task")?
            .parse::<i32>()
            .map_err(|_| ApiError::not_found())?;
        Ok(ConnectorTaskId {
            connector: self.connector()?,
            task,
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<BTreeMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| Params(p))
            .map_err(|_| ApiError::not_found())
    }
}

/// Query parameters in order, repeated keys kept; unknown keys are simply never read.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Jersey's `@QueryParam @DefaultValue Boolean`: the first value, empty means the
    /// default, anything but a case-insensitive `true` is false (`Boolean.valueOf`).
    fn boolean(&self, key: &str, default: bool) -> bool {
        match self.0.iter().find(|(k, _)| k == key) {
            Some((_, v)) if !v.trim().is_empty() => v.trim().eq_ignore_ascii_case("true"),
            _ => default,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state)
            .await
            .unwrap_or(RawQuery(None));
        let pairs = raw
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (form_decode(k), form_decode(v))
            })
            .collect();
        Ok(Query(pairs))
    }
}

/// `application/x-www-form-urlencoded` decoding of one query component.
fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a connector name for a `Location` path, as `UriBuilder.path` does.
fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The request body as JSON (`null` when empty); syntax errors are Jackson-style 500s.
/// The declared media type was already checked by the `negotiate` middleware.
pub(crate) struct JsonBody(json::ParsedBody);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // Without a Content-Type Jersey looks for an `application/octet-stream` reader,
        // finds none and answers 415, unless the entity is empty (then it is `null`).
        let undeclared = !req.headers().contains_key(CONTENT_TYPE);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))?;
        if undeclared && !bytes.is_empty() {
            return Err(ApiError::jax_rs(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        json::parse_body(&bytes).map(JsonBody)
    }
}

fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    (status, Json(body)).into_response()
}

fn ok<T: Serialize>(body: &T) -> Response {
    json_response(StatusCode::OK, body)
}

fn created(base: &BaseUrl, name: &str, info: &ConnectorInfo) -> Response {
    let location = format!("{}/connectors/{}", base.0, encode_path(name));
    let mut resp = json_response(StatusCode::CREATED, info);
    match location.parse() {
        Ok(value) => {
            resp.headers_mut().insert(LOCATION, value);
        }
        Err(_) => tracing::warn!("cannot build a Location header from {location:?}"),
    }
    resp
}

/// Java's `checkAndPutConnectorConfigName`: `name` in the body must match the URL name
/// and is inserted when absent (or `null`).
///
/// `Props` cannot carry JSON `null` values, which Java passes on to validation; the
/// remaining `null` values are therefore reported here, with the same aggregated 400
/// message Java's validation produces when they are the only errors.
fn name_checked_config(name: &str, mut config: NullableProps) -> Result<Props, ApiError> {
    match config.get(NAME_CONFIG) {
        Some(Some(included)) if included != name => {
            return Err(ApiError::bad_request(format!(
                "Connector name configuration ({included}) doesn't match connector name in the \
                 URL ({name})"
            )));
        }
        Some(Some(_)) => {}
        Some(None) | None => {
            config.insert(NAME_CONFIG.to_string(), Some(name.to_string()));
        }
    }
    let nulls = config.values().filter(|v| v.is_none()).count();
    if nulls > 0 {
        let mut msg = format!(
            "Connector configuration is invalid and contains the following {nulls} error(s):\n"
        );
        for _ in 0..nulls {
            msg.push_str(NULL_VALUE_ERROR);
            msg.push('\n');
        }
        msg.push_str(
            "You can also find the above list of errors at the endpoint \
             `/connector-plugins/{connectorType}/config/validate`",
        );
        return Err(ApiError::bad_request(msg));
    }
    Ok(config
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect())
}

/// `strip("Connector", name)` from `ConnectorPluginsResource.normalizedPluginName`.
fn normalized_plugin_name(name: &str) -> &str {
    const SUFFIX: &str = "Connector";
    if name.len() > SUFFIX.len() && name.ends_with(SUFFIX) {
        &name[..name.len() - SUFFIX.len()]
    } else {
        name
    }
}

/// Adds the `null`-value error Java's validation reports for each key the client sent
/// as JSON `null`; such keys cannot reach the herder through `Props`.
fn add_null_value_errors(infos: &mut ConfigInfos, null_keys: &[String]) {
    for key in null_keys {
        let position = infos.configs.iter().position(|c| {
            c.value.as_ref().is_some_and(|v| &v.name == key)
                || c.definition.as_ref().is_some_and(|d| &d.name == key)
        });
        let index = position.unwrap_or_else(|| {
            infos.configs.push(ConfigInfo {
                definition: None,
                value: None,
            });
            infos.configs.len() - 1
        });
        let value = infos.configs[index]
            .value
            .get_or_insert_with(|| ConfigValueInfo {
                name: key.clone(),
                value: None,
                recommended_values: Vec::new(),
                errors: Vec::new(),
                visible: true,
            });
        value.value = None;
        value.errors.push(NULL_VALUE_ERROR.to_string());
        infos.error_count += 1;
    }
}

// ---- RootResource ----

pub(crate) async fn server_info(State(s): State<AppState>) -> Response {
    ok(&s.herder.server_info())
}

pub(crate) async fn health(State(s): State<AppState>) -> Result<Response, ApiError> {
    let (code, status) = s.timed(s.herder.health()).await?;
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok(json_response(code, &status))
}

/// `GET /metrics`: the worker's metrics in the Prometheus text format (not in Java's REST
/// API; Java exposes them over JMX, scraped through the JMX exporter).
pub(crate) async fn metrics(State(s): State<AppState>) -> Result<Response, ApiError> {
    let Some(metrics) = s.metrics.clone() else {
        return Err(ApiError::not_found());
    };
    let body = s
        .timed(crate::metrics_listener::scrape(s.herder.as_ref(), &metrics))
        .await?;
    Ok(crate::metrics_listener::prometheus_response(body))
}

// ---- ConnectorsResource ----

pub(crate) async fn list_connectors(
    State(s): State<AppState>,
    q: Query,
) -> Result<Response, ApiError> {
    let names = s.timed(s.herder.connectors()).await?;
    let expand = q.all("expand");
    if expand.is_empty() {
        return Ok(ok(&names));
    }
    let mut out = Map::new();
    'connectors: for name in names {
        let mut expansions = Map::new();
        for kind in &expand {
            let value = match kind.as_str() {
                "status" => s
                    .timed(s.herder.connector_status(&name))
                    .await?
                    .map(to_json),
                "info" => s.timed(s.herder.connector_info(&name)).await?.map(to_json),
                other => {
                    tracing::info!("Ignoring unknown expansion type {other}");
                    continue;
                }
            };
            match value {
                Ok(v) => {
                    expansions.insert(kind.clone(), v?);
                }
                // A connector without a status record (or deleted meanwhile) is left out.
                Err(HerderError::NotFound(msg)) => {
                    tracing::debug!("Omitting connector {name} from the expanded list: {msg}");
                    continue 'connectors;
                }
                Err(e) => return Err(e.into()),
            }
        }
        out.insert(name, Value::Object(expansions));
    }
    Ok(ok(&out))
}

fn to_json<T: Serialize>(v: T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::internal(e.to_string()))
}

pub(crate) async fn create_connector(
    State(s): State<AppState>,
    base: BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let req = body
        .finish(json::create_connector_request(&body.value))?
        .ok_or_else(|| ApiError::internal(NPE_CREATE_REQUEST))?;
    let config = req.config.ok_or_else(|| ApiError::internal(NPE_CONFIG))?;
    let config = name_checked_config(&req.name, config)?;
    let result = s
        .call(
            s.herder
                .put_connector_config(&req.name, config, req.initial_state, false),
        )
        .await?;
    Ok(created(&base, &req.name, &result.result))
}

pub(crate) async fn connector_info(
    State(s): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    Ok(ok(&s
        .call(s.herder.connector_info(&p.connector()?))
        .await?))
}

pub(crate) async fn connector_config(
    State(s): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    Ok(ok(&s
        .call(s.herder.connector_config(&p.connector()?))
        .await?))
}

pub(crate) async fn put_connector_config(
    State(s): State<AppState>,
    p: Params,
    base: BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let name = p.connector()?;
    let config = body
        .finish(json::flat_config(&body.value, ""))?
        .ok_or_else(|| ApiError::internal(NPE_CONFIG))?;
    let config = name_checked_config(&name, config)?;
    let result = s
        .call(s.herder.put_connector_config(&name, config, None, true))
        .await?;
    if result.created {
        Ok(created(&base, &name, &result.result))
    } else {
        Ok(ok(&result.result))
    }
}

pub(crate) async fn patch_connector_config(
    State(s): State<AppState>,
    p: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let name = p.connector()?;
    let patch = body
        .finish(json::flat_config(&body.value, ""))?
        .ok_or_else(|| ApiError::internal(NPE_PATCH))?;
    Ok(ok(&s
        .call(s.herder.patch_connector_config(&name, patch))
        .await?))
}

pub(crate) async fn connector_status(
    State(s): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    Ok(ok(&s
        .call(s.herder.connector_status(&p.connector()?))
        .await?))
}

pub(crate) async fn task_configs(
    State(s): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    Ok(ok(&s.call(s.herder.task_configs(&p.connector()?)).await?))
}

/// Internal `POST /connectors/{c}/tasks` (worker to worker): the raw body is kept because
/// the request signature covers its exact bytes; any content type is accepted, as in Java.
pub(crate) async fn put_task_configs(
    State(s): State<AppState>,
    p: Params,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let name = p.connector()?;
    let parsed = json::parse_body(&body)?;
    let configs: Vec<Props> = parsed
        .finish(json::task_configs(&parsed.value))?
        // A `null` body: no task configs (the herder refuses or writes none).
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.into_iter().collect())
        .collect();
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let signature = (
        header("X-Connect-Authorization"),
        header("X-Connect-Request-Signature-Algorithm"),
    );
    s.call(s.herder.put_task_configs(&name, configs, &body, signature))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deprecated `tasks-config`: task configs keyed by `<connector>-<task>`.
pub(crate) async fn tasks_config(
    State(s): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    let name = p.connector()?;
    tracing::warn!(
        "The 'GET /connectors/{name}/tasks-config' endpoint is deprecated and will be removed \
         in the next major release. Please use the 'GET /connectors/{name}/tasks' endpoint \
         instead."
    );
    let tasks = s.call(s.herder.tasks_config(&name)).await?;
    let map: Map<String, Value> = tasks
        .into_iter()
        .map(|t| Ok((t.id.to_string(), to_json(t.config)?)))
        .collect::<Result<_, ApiError>>()?;
    Ok(ok(&map))
}

pub(crate) async fn task_status(
    State(s): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    let id = p.task_id()?;
    Ok(ok(&s.call(s.herder.task_status(&id)).await?))
}

/// Legacy restart (204) or, with `includeTasks`/`onlyFailed`, the KIP-745 plan (202).
pub(crate) async fn restart_connector(
    State(s): State<AppState>,
    p: Params,
    q: Query,
) -> Result<Response, ApiError> {
    let name = p.connector()?;
    let include_tasks = q.boolean("includeTasks", false);
    let only_failed = q.boolean("onlyFailed", false);
    let plan = s
        .call(
            s.herder
                .restart_connector(&name, include_tasks, only_failed),
        )
        .await?;
    Ok(match plan {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(state) => json_response(StatusCode::ACCEPTED, &state),
    })
}

pub(crate) async fn restart_task(
    State(s): State<AppState>,
    p: Params,
) -> Result<StatusCode, ApiError> {
    let id = p.task_id()?;
    s.call(s.herder.restart_task(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn pause_connector(
    State(s): State<AppState>,
    p: Params,
) -> Result<StatusCode, ApiError> {
    s.call(s.herder.pause_connector(&p.connector()?)).await?;
    Ok(StatusCode::ACCEPTED)
}

pub(crate) async fn resume_connector(
    State(s): State<AppState>,
    p: Params,
) -> Result<StatusCode, ApiError> {
    s.call(s.herder.resume_connector(&p.connector()?)).await?;
    Ok(StatusCode::ACCEPTED)
}

pub(crate) async fn stop_connector(
    State(s): State<AppState>,
    p: Params,
) -> Result<StatusCode, ApiError> {
    s.call(s.herder.stop_connector(&p.connector()?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn delete_connector(
    State(s): State<AppState>,
    p: Params,
) -> Result<StatusCode, ApiError> {
    s.call(s.herder.delete_connector(&p.connector()?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn connector_offsets(
    State(s): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    Ok(ok(&s
        .call(s.herder.connector_offsets(&p.connector()?))
        .await?))
}

/// `PATCH /connectors/{c}/offsets` (KIP-875): 200 with a `Message`.
pub(crate) async fn alter_connector_offsets(
    State(s): State<AppState>,
    p: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let name = p.connector()?;
    let request = body
        .finish(json::connector_offsets_request(&body.value))?
        .ok_or_else(|| ApiError::internal(NPE_OFFSETS))?;
    let offsets = request
        .offsets
        .filter(|o| !o.is_empty())
        .ok_or_else(|| ApiError::bad_request(NO_OFFSETS))?;
    // Java turns the list into a map before calling the herder; a `null` element fails there.
    let offsets = offsets
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ApiError::internal(NPE_OFFSET))?;
    Ok(ok(&s
        .call(s.herder.alter_connector_offsets(&name, offsets))
        .await?))
}

/// `DELETE /connectors/{c}/offsets` (KIP-875): 200 with a `Message`.
pub(crate) async fn reset_connector_offsets(
    State(s): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    Ok(ok(&s
        .call(s.herder.reset_connector_offsets(&p.connector()?))
        .await?))
}

/// `GET /connectors/{c}/topics`: `{"<c>":{"topics":[...]}}` (Java `ActiveTopicsInfo`).
pub(crate) async fn connector_topics(
    State(s): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    let name = p.connector()?;
    let topics = s.call(s.herder.connector_active_topics(&name)).await?;
    Ok(ok(&serde_json::json!({ name: { "topics": topics } })))
}

/// `PUT /connectors/{c}/topics/reset`: 202 with no body.
pub(crate) async fn reset_connector_topics(
    State(s): State<AppState>,
    p: Params,
) -> Result<StatusCode, ApiError> {
    s.call(s.herder.reset_connector_active_topics(&p.connector()?))
        .await?;
    Ok(StatusCode::ACCEPTED)
}

// ---- ConnectorPluginsResource ----

pub(crate) async fn list_plugins(State(s): State<AppState>, q: Query) -> Response {
    ok(&s.herder.plugins(q.boolean("connectorsOnly", true)))
}

pub(crate) async fn plugin_config(
    State(s): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    Ok(ok(&s.herder.plugin_config(p.get("plugin")?)?))
}

/// Validates `config["connector.class"]` (not `{plugin}`), after checking the two agree.
pub(crate) async fn validate_config(
    State(s): State<AppState>,
    p: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let plugin = p.get("plugin")?;
    let config = body
        .finish(json::flat_config(&body.value, ""))?
        .ok_or_else(|| ApiError::internal(NPE_CONFIG))?;
    if let Some(Some(included)) = config.get(CONNECTOR_CLASS_CONFIG) {
        if !normalized_plugin_name(included).ends_with(normalized_plugin_name(plugin)) {
            return Err(ApiError::bad_request(format!(
                "Included connector type {included} does not match request type {plugin}"
            )));
        }
    }
    let null_keys: Vec<String> = config
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k.clone())
        .collect();
    let props: Props = config
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
    let mut infos = s.call(s.herder.validate_connector_config(props)).await?;
    add_null_value_errors(&mut infos, &null_keys);
    Ok(ok(&infos))
}

// ---- routing misses ----

// ---- LoggingResource ----

pub(crate) async fn list_loggers(State(s): State<AppState>) -> Response {
    ok(&s.loggers.all())
}

pub(crate) async fn get_logger(
    State(s): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let name = params.get("logger")?;
    match s.loggers.get(name) {
        Some(level) => Ok(ok(&level)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("Logger {name} not found."),
        )),
    }
}

/// Java's `LoggingResource#setLevel`. `scope=cluster` answers 204: a distributed worker
/// writes the level to the config topic, from which every worker of the group applies it
/// (see [`crate::server::RestServer::serve`]); in standalone mode the worker is the whole
/// cluster and sets its own level, as Java's `StandaloneHerder` does.
pub(crate) async fn set_logger(
    State(s): State<AppState>,
    params: Params,
    q: Query,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let name = params.get("logger")?.to_string();
    let Some(level_map) = body.finish(json::flat_config(&body.value, ""))? else {
        return Err(ApiError::internal(
            "Cannot invoke \"java.util.Map.get(Object)\" because \"levelMap\" is null",
        ));
    };
    let Some(Some(level_text)) = level_map.get("level") else {
        return Err(ApiError::bad_request(
            "Desired 'level' parameter was not specified in request.",
        ));
    };
    let level = loggers::parse_level(level_text).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("invalid log level '{level_text}'."),
        )
    })?;
    // `@DefaultValue("worker")`; an unknown scope is logged and treated as `worker`.
    let scope = q.all("scope").into_iter().next().unwrap_or_default();
    let scope = if scope.is_empty() {
        "worker".to_string()
    } else {
        scope
    };
    if scope.eq_ignore_ascii_case("cluster") {
        if !s
            .call(s.herder.set_cluster_logger_level(&name, level_text))
            .await?
        {
            s.loggers.set(&name, level);
        }
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let affected = s.loggers.set(&name, level);
    if !scope.eq_ignore_ascii_case("worker") {
        tracing::warn!(
            "Received invalid scope '{scope}' in request to adjust logging level; will default \
             to worker"
        );
    }
    Ok(ok(&affected))
}

/// The OpenAPI 3 description of this API (also committed as docs/openapi.json).
pub(crate) const OPENAPI_JSON: &str = include_str!("../../../docs/openapi.json");

pub(crate) async fn openapi() -> Response {
    ([(CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found()
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::jax_rs(StatusCode::METHOD_NOT_ALLOWED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a+b%20c"), "a b c");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz"), "%zz");
        assert_eq!(form_decode("%C3%A9"), "é");
    }

    #[test]
    fn path_encoding() {
        assert_eq!(encode_path("my conn"), "my%20conn");
        assert_eq!(encode_path("a-b_c.d"), "a-b_c.d");
        assert_eq!(encode_path("é"), "%C3%A9");
    }

    #[test]
    fn plugin_name_normalization() {
        assert_eq!(
            normalized_plugin_name("FileStreamSourceConnector"),
            "FileStreamSource"
        );
        assert_eq!(normalized_plugin_name("Connector"), "Connector");
        assert_eq!(
            normalized_plugin_name("FileStreamSource"),
            "FileStreamSource"
        );
    }

    #[test]
    fn name_check() {
        let mut cfg = NullableProps::new();
        cfg.insert("a".into(), Some("1".into()));
        let props = name_checked_config("c", cfg.clone()).unwrap();
        assert_eq!(props.get("name").map(String::as_str), Some("c"));
        cfg.insert("name".into(), Some("d".into()));
        let err = name_checked_config("c", cfg.clone()).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        cfg.insert("name".into(), None);
        cfg.insert("b".into(), None);
        let err = name_checked_config("c", cfg).unwrap_err();
        assert!(err
            .message
            .unwrap()
            .contains("following 1 error(s):\nNull value"));
    }
}
