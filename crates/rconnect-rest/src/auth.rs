//! HTTP basic authentication as Java's `BasicAuthSecurityRestExtension` does it: the
//! `KafkaConnect` entry of a JAAS file lists `PropertyFileLoginModule`s, each naming a
//! properties file of `user=password` lines; a request passes when its `Authorization:
//! Basic` credentials match (Java: `JaasBasicAuthFilter`, `PropertyFileLoginModule`).
//!
//! Java finds the JAAS file through `-Djava.security.auth.login.config`; rconnect takes it
//! from the worker setting `rconnect.rest.auth.jaas.config` or, as Java's start scripts pass
//! it, from that `-D` option in `KAFKA_OPTS` ([`jaas_file_from_kafka_opts`]).
//!
//! ```
//! use rconnect_rest::BasicAuth;
//!
//! let dir = std::env::temp_dir().join(format!("rconnect-auth-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let users = dir.join("users.properties");
//! std::fs::write(&users, "admin=secret\n").unwrap();
//! let jaas = dir.join("jaas.conf");
//! std::fs::write(&jaas, format!(
//!     "KafkaConnect {{\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"{}\";\n}};\n",
//!     users.display()
//! )).unwrap();
//! let auth = BasicAuth::from_jaas_file(&jaas).unwrap();
//! assert!(auth.check(Some("Basic YWRtaW46c2VjcmV0"))); // admin:secret
//! assert!(!auth.check(Some("Basic YWRtaW46d3Jvbmc="))); // admin:wrong
//! assert!(!auth.check(None));
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// Java's `BasicAuthSecurityRestExtension` class name, as given in `rest.extension.classes`.
pub const BASIC_AUTH_EXTENSION_CLASS: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
/// The login module of Java's extension.
pub const PROPERTY_FILE_LOGIN_MODULE: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";
/// The JAAS entry Java's `JaasBasicAuthFilter` logs in with.
pub const JAAS_ENTRY: &str = "KafkaConnect";
/// The realm named in `WWW-Authenticate` (Java sends no such header; see
/// docs/compatibility.md).
pub const REALM: &str = "Kafka Connect";

/// Why the basic-auth setup could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Cannot read the JAAS configuration {path}: {reason}")]
    Jaas { path: PathBuf, reason: String },
    #[error("Error loading Property Credentials file {path} (from the JAAS configuration {jaas}): {reason}")]
    Credentials {
        path: String,
        jaas: PathBuf,
        reason: String,
    },
}

/// A JAAS control flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    Required,
    Requisite,
    Sufficient,
    Optional,
}

/// One `PropertyFileLoginModule` of the `KafkaConnect` entry, with its credentials.
#[derive(Debug, Clone)]
struct Module {
    flag: Flag,
    /// `user -> password`; empty means every request passes (Java's behaviour, warned about
    /// at start-up).
    credentials: BTreeMap<String, String>,
}

/// The credentials a worker accepts.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    modules: Vec<Module>,
}

impl BasicAuth {
    /// Reads the `KafkaConnect` entry of a JAAS file and the credentials files it names.
    pub fn from_jaas_file(path: &Path) -> Result<BasicAuth, AuthError> {
        let jaas_err = |reason: String| AuthError::Jaas {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| jaas_err(e.to_string()))?;
        let entries = parse_jaas(&text).map_err(jaas_err)?;
        let modules = entries
            .into_iter()
            .find(|(name, _)| name == JAAS_ENTRY)
            .map(|(_, modules)| modules)
            .ok_or_else(|| jaas_err(format!("no '{JAAS_ENTRY}' entry")))?;
        if modules.is_empty() {
            return Err(jaas_err(format!(
                "the '{JAAS_ENTRY}' entry lists no login module"
            )));
        }
        let mut loaded = Vec::new();
        for m in modules {
            if m.class != PROPERTY_FILE_LOGIN_MODULE {
                return Err(jaas_err(format!(
                    "login module {} is not supported; rconnect supports {PROPERTY_FILE_LOGIN_MODULE}",
                    m.class
                )));
            }
            let file = m
                .options
                .get("file")
                .filter(|f| !f.trim().is_empty())
                .ok_or_else(|| jaas_err("Property Credentials file must be specified".into()))?;
            let bytes = std::fs::read(file).map_err(|e| AuthError::Credentials {
                path: file.clone(),
                jaas: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            let credentials = rconnect_config::parse_properties(&bytes)
                .map_err(|e| AuthError::Credentials {
                    path: file.clone(),
                    jaas: path.to_path_buf(),
                    reason: e.to_string(),
                })?
                .into_iter()
                .collect::<BTreeMap<_, _>>();
            if credentials.is_empty() {
                tracing::warn!(
                    "Credential properties file '{file}' is empty; all requests will be permitted"
                );
            }
            loaded.push(Module {
                flag: m.flag,
                credentials,
            });
        }
        Ok(BasicAuth { modules: loaded })
    }

    /// Whether an `Authorization` header value passes, with JAAS's control-flag rules over
    /// the modules (one `required` module in the usual setup).
    pub fn check(&self, authorization: Option<&str>) -> bool {
        let credentials = authorization.and_then(parse_basic);
        let mut required_failed = false;
        let mut any_passed = false;
        for m in &self.modules {
            let ok = module_login(m, credentials.as_ref());
            match m.flag {
                Flag::Required => required_failed |= !ok,
                Flag::Requisite => {
                    if !ok {
                        return false;
                    }
                }
                Flag::Sufficient => {
                    if ok && !required_failed {
                        return true;
                    }
                }
                Flag::Optional => {}
            }
            any_passed |= ok;
        }
        let has_required = self
            .modules
            .iter()
            .any(|m| matches!(m.flag, Flag::Required | Flag::Requisite));
        if has_required {
            !required_failed
        } else {
            any_passed
        }
    }
}

/// Java's `PropertyFileLoginModule#login`.
fn module_login(m: &Module, credentials: Option<&(String, String)>) -> bool {
    if m.credentials.is_empty() {
        return true;
    }
    match credentials {
        Some((user, password)) => m.credentials.get(user) == Some(password),
        None => false,
    }
}

/// Java's `BasicAuthCredentials`: `Basic base64(user:password)`, the scheme
/// case-insensitive, the user non-empty.
fn parse_basic(header: &str) -> Option<(String, String)> {
    let space = header.find(' ').filter(|&i| i > 0)?;
    if !header[..space].eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(header[space + 1..].trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let colon = decoded.find(':').filter(|&i| i > 0)?;
    Some((
        decoded[..colon].to_string(),
        decoded[colon + 1..].to_string(),
    ))
}

/// Requests Java's `JaasBasicAuthFilter` lets through without credentials: the internal
/// requests between workers, which carry the group's request signature instead
/// (`X-Connect-Authorization`, checked by the herder).
fn is_internal_request(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .collect();
    match segments.as_slice() {
        ["connectors", name, "tasks"] => !name.is_empty() && method == Method::POST,
        ["connectors", name, "fence"] => !name.is_empty() && method == Method::PUT,
        _ => false,
    }
}

/// The middleware: 401 with `WWW-Authenticate` for requests without valid credentials.
pub(crate) async fn require_basic_auth(auth: Arc<BasicAuth>, req: Request, next: Next) -> Response {
    if is_internal_request(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if auth.check(header) {
        return next.run(req).await;
    }
    tracing::debug!("Request failed authentication");
    let mut resp = (StatusCode::UNAUTHORIZED, "User cannot access the resource.").into_response();
    let headers = resp.headers_mut();
    headers.insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_str(&format!("Basic realm=\"{REALM}\", charset=\"UTF-8\""))
            .expect("ASCII header"),
    );
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    resp
}

/// The JAAS file named by `-Djava.security.auth.login.config=PATH` in a `KAFKA_OPTS`-style
/// option string (Java's `kafka-run-class.sh` passes `KAFKA_OPTS` to the JVM). A leading
/// `=` (`==PATH`, Java's "this file only") is dropped; quotes around the path are removed.
pub fn jaas_file_from_kafka_opts(opts: &str) -> Option<PathBuf> {
    const OPT: &str = "-Djava.security.auth.login.config=";
    let mut found = None;
    for word in split_shell_words(opts) {
        if let Some(v) = word.strip_prefix(OPT) {
            let v = v.strip_prefix('=').unwrap_or(v);
            if !v.is_empty() {
                found = Some(PathBuf::from(v));
            }
        }
    }
    found
}

/// The login modules of entry `name` of a JAAS file, each rendered as a `sasl.jaas.config`
/// value (`class flag key="value" ...;`), joined; `None` when the file has no such entry.
/// Java's clients fall back to the static `KafkaClient` entry this way when
/// `sasl.jaas.config` is not set.
pub fn jaas_entry_as_config(path: &Path, name: &str) -> Result<Option<String>, AuthError> {
    let jaas_err = |reason: String| AuthError::Jaas {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| jaas_err(e.to_string()))?;
    let entries = parse_jaas(&text).map_err(jaas_err)?;
    let Some((_, modules)) = entries.into_iter().find(|(n, _)| n == name) else {
        return Ok(None);
    };
    let rendered: Vec<String> = modules
        .iter()
        .map(|m| {
            let flag = match m.flag {
                Flag::Required => "required",
                Flag::Requisite => "requisite",
                Flag::Sufficient => "sufficient",
                Flag::Optional => "optional",
            };
            let options: String = m
                .options
                .iter()
                .map(|(k, v)| format!(" {k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
                .collect();
            format!("{} {flag}{options};", m.class)
        })
        .collect();
    Ok(Some(rendered.join(" ")))
}

/// Words of a shell-like string: whitespace-separated, with `'...'` and `"..."` quoting.
fn split_shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[derive(Debug, Clone, PartialEq)]
struct ModuleEntry {
    class: String,
    flag: Flag,
    options: BTreeMap<String, String>,
}

/// Parses a JAAS login configuration (the syntax of Java's `sun.security.provider.ConfigFile`:
/// `Name { class flag key=value ...; ... };`, with `//` and `/* */` comments and quoted
/// values).
fn parse_jaas(text: &str) -> Result<Vec<(String, Vec<ModuleEntry>)>, String> {
    let tokens = tokenize(text)?;
    let mut it = tokens.into_iter().peekable();
    let mut entries = Vec::new();
    while let Some(tok) = it.next() {
        let Tok::Word(name) = tok else {
            return Err(format!("expected an entry name, found {tok:?}"));
        };
        if it.next() != Some(Tok::Punct('{')) {
            return Err(format!("expected '{{' after {name}"));
        }
        let mut modules = Vec::new();
        loop {
            match it.next() {
                Some(Tok::Punct('}')) => break,
                Some(Tok::Word(class)) => {
                    let flag = match it.next() {
                        Some(Tok::Word(f)) => match f.to_ascii_lowercase().as_str() {
                            "required" => Flag::Required,
                            "requisite" => Flag::Requisite,
                            "sufficient" => Flag::Sufficient,
                            "optional" => Flag::Optional,
                            _ => return Err(format!("invalid control flag {f} for {class}")),
                        },
                        other => {
                            return Err(format!(
                                "expected a control flag after {class}, found {other:?}"
                            ))
                        }
                    };
                    let mut options = BTreeMap::new();
                    loop {
                        match it.next() {
                            Some(Tok::Punct(';')) => break,
                            Some(Tok::Word(key)) => {
                                if it.next() != Some(Tok::Punct('=')) {
                                    return Err(format!(
                                        "expected '=' after option {key} of {class}"
                                    ));
                                }
                                match it.next() {
                                    Some(Tok::Word(v)) | Some(Tok::Quoted(v)) => {
                                        options.insert(key, v);
                                    }
                                    other => {
                                        return Err(format!(
                                            "expected a value for option {key}, found {other:?}"
                                        ))
                                    }
                                }
                            }
                            other => {
                                return Err(format!(
                                    "expected an option or ';' in {class}, found {other:?}"
                                ))
                            }
                        }
                    }
                    modules.push(ModuleEntry {
                        class,
                        flag,
                        options,
                    });
                }
                other => {
                    return Err(format!(
                        "expected a login module or '}}' in {name}, found {other:?}"
                    ))
                }
            }
        }
        if it.peek() == Some(&Tok::Punct(';')) {
            it.next();
        }
        entries.push((name, modules));
    }
    Ok(entries)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Punct(char),
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if matches!(c, '{' | '}' | ';' | '=') {
            toks.push(Tok::Punct(c));
            i += 1;
        } else if c == '"' || c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated quoted value".into()),
                    Some(&q) if q == c => break,
                    Some('\\') if chars.get(i + 1).is_some() => {
                        s.push(chars[i + 1]);
                        i += 2;
                        continue;
                    }
                    Some(&ch) => s.push(ch),
                }
                i += 1;
            }
            i += 1;
            toks.push(Tok::Quoted(s));
        } else {
            let start = i;
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '{' | '}' | ';' | '=' | '"' | '\'')
            {
                i += 1;
            }
            toks.push(Tok::Word(chars[start..i].iter().collect()));
        }
    }
    Ok(toks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaas_files_parse_like_java() {
        let text = r#"
            // the worker's REST users
            KafkaConnect {
                org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
                file="/etc/kafka/users.properties";
            };
            /* another entry */ KafkaClient { x.Y optional a=b c="d e"; };
        "#;
        let entries = parse_jaas(text).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].0, "KafkaConnect");
        assert_eq!(entries[0].1[0].class, PROPERTY_FILE_LOGIN_MODULE);
        assert_eq!(entries[0].1[0].flag, Flag::Required);
        assert_eq!(
            entries[0].1[0].options["file"],
            "/etc/kafka/users.properties"
        );
        assert_eq!(entries[1].1[0].options["c"], "d e");
        assert!(parse_jaas("KafkaConnect { x required file=; };").is_err());
        assert!(parse_jaas("KafkaConnect { x sometimes; };").is_err());
    }

    #[test]
    fn basic_credentials_as_java_reads_them() {
        assert_eq!(
            parse_basic("Basic dXNlcjpwYTpzcw=="),
            Some(("user".into(), "pa:ss".into()))
        );
        assert_eq!(
            parse_basic("basic dXNlcjpwYTpzcw=="),
            Some(("user".into(), "pa:ss".into()))
        );
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic"), None);
        // ":pw": an empty user is malformed.
        assert_eq!(parse_basic("Basic OnB3"), None);
    }

    #[test]
    fn internal_requests_are_exempt_as_in_java() {
        assert!(is_internal_request(&Method::POST, "/connectors/c/tasks"));
        assert!(is_internal_request(&Method::POST, "/connectors/c/tasks/"));
        assert!(is_internal_request(&Method::PUT, "/connectors/c/fence"));
        assert!(!is_internal_request(&Method::GET, "/connectors/c/tasks"));
        assert!(!is_internal_request(&Method::POST, "/connectors"));
        assert!(!is_internal_request(
            &Method::POST,
            "/connectors/c/tasks/0/restart"
        ));
    }

    fn auth(modules: Vec<(Flag, &[(&str, &str)])>) -> BasicAuth {
        BasicAuth {
            modules: modules
                .into_iter()
                .map(|(flag, creds)| Module {
                    flag,
                    credentials: creds
                        .iter()
                        .map(|(u, p)| (u.to_string(), p.to_string()))
                        .collect(),
                })
                .collect(),
        }
    }

    fn header(user: &str, pw: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
        )
    }

    #[test]
    fn login_follows_the_modules_and_their_flags() {
        let a = auth(vec![(Flag::Required, &[("u", "p")])]);
        assert!(a.check(Some(&header("u", "p"))));
        assert!(!a.check(Some(&header("u", "x"))));
        assert!(!a.check(Some(&header("v", "p"))));
        assert!(!a.check(None));
        // An empty credentials file lets everyone in, as in Java.
        assert!(auth(vec![(Flag::Required, &[])]).check(None));
        // Two sufficient modules: either user passes.
        let a = auth(vec![
            (Flag::Sufficient, &[("a", "1")]),
            (Flag::Sufficient, &[("b", "2")]),
        ]);
        assert!(a.check(Some(&header("b", "2"))));
        assert!(!a.check(Some(&header("c", "3"))));
    }

    #[test]
    fn a_static_entry_renders_as_sasl_jaas_config() {
        let dir = std::env::temp_dir().join(format!("rconnect-jaas-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("jaas.conf");
        std::fs::write(
            &path,
            "KafkaClient {\n org.apache.kafka.common.security.scram.ScramLoginModule required\n \
             username=\"connect\" password=\"p\\\"w\";\n};\n",
        )
        .unwrap();
        let config = jaas_entry_as_config(&path, "KafkaClient").unwrap().unwrap();
        assert_eq!(
            config,
            "org.apache.kafka.common.security.scram.ScramLoginModule required \
             password=\"p\\\"w\" username=\"connect\";"
        );
        assert_eq!(
            rconnect_config::client::jaas_credentials(&config),
            Some(("connect".to_string(), "p\"w".to_string()))
        );
        assert_eq!(jaas_entry_as_config(&path, "KafkaConnect").unwrap(), None);
    }

    #[test]
    fn kafka_opts_name_the_jaas_file() {
        assert_eq!(
            jaas_file_from_kafka_opts(
                "-Xmx1g -Djava.security.auth.login.config=/etc/kafka/connect_jaas.conf -Dx=y"
            ),
            Some(PathBuf::from("/etc/kafka/connect_jaas.conf"))
        );
        assert_eq!(
            jaas_file_from_kafka_opts("\"-Djava.security.auth.login.config==/a b/j.conf\""),
            Some(PathBuf::from("/a b/j.conf"))
        );
        assert_eq!(jaas_file_from_kafka_opts("-Xmx1g"), None);
    }
}
