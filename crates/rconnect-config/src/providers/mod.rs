//! Config providers (KIP-297/KIP-421; Java `ConfigTransformer`, `WorkerConfigTransformer`):
//! `${provider:path:key}` references in worker and connector configs, resolved from files,
//! directories or environment variables so that secrets need not sit in the configs.
//!
//! The worker declares them (`config.providers=file`,
//! `config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider`,
//! `config.providers.<alias>.param.<k>=<v>`). Worker values are resolved at start-up;
//! connector configs are stored and shown unresolved and resolved where they run.
//!
//! Reads are confined (`allowed.paths`, KIP-993, with symlinks resolved), bounded
//! (`rconnect.config.providers.max.bytes`), never block on special files, and run on their
//! own threads with a timeout (`rconnect.config.providers.timeout.ms`). What they resolved
//! comes back as [`Secrets`], so that text shown to users can carry references instead.

mod allowed_paths;
mod pool;
mod read;
mod secrets;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rconnect_sdk::Props;
use regex::Regex;

use crate::properties::parse_properties;
use allowed_paths::{AllowedPaths, Refusal, ALLOWED_PATHS_PARAM};
use read::{is_regular_file, read_regular_file, ReadError};

pub use pool::{PoolError, ProviderPool};
pub use secrets::Secrets;

/// `config.providers`.
pub const CONFIG_PROVIDERS_CONFIG: &str = "config.providers";
/// The most bytes one provider file may hold (rconnect only).
pub const MAX_BYTES_CONFIG: &str = "rconnect.config.providers.max.bytes";
pub const MAX_BYTES_DEFAULT: u64 = 1024 * 1024;
/// How long resolving one reference may take, waiting for a free thread included
/// (rconnect only).
pub const TIMEOUT_MS_CONFIG: &str = "rconnect.config.providers.timeout.ms";
pub const TIMEOUT_MS_DEFAULT: u64 = 10_000;
/// Threads of the provider pool: reads are rare and small, a few cover concurrent
/// validations; more would only let more hung reads pile up.
const POOL_THREADS: usize = 4;

/// Why a provider could not be set up or could not read its source. No variant carries a
/// resolved value: they name paths and references only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("Missing required configuration \"config.providers.{alias}.class\" which has no default value.")]
    MissingClass { alias: String },
    #[error("Invalid value {class} for configuration config.providers.{alias}.class: unknown config provider class (built in: FileConfigProvider, DirectoryConfigProvider, EnvVarConfigProvider)")]
    UnknownClass { alias: String, class: String },
    #[error(
        "Invalid value {value} for configuration config.providers.{alias}.param.{param}: {reason}"
    )]
    BadParam {
        alias: String,
        param: String,
        value: String,
        reason: String,
    },
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    BadWorkerKey {
        key: String,
        value: String,
        reason: String,
    },
    #[error("Could not read properties from file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("Could not list directory {path}: {reason}")]
    Directory { path: String, reason: String },
    /// Java `DirectoryConfigProvider`: "Could not read file P for property K".
    #[error("Could not read file {path} for property {key}: {reason}")]
    DirectoryFile {
        path: String,
        key: String,
        reason: String,
    },
    /// Java `FileConfigProvider` / `DirectoryConfigProvider` (KIP-993), which only log it.
    #[error("The path {path} is not allowed to be accessed")]
    NotAllowed { path: String },
    #[error("Cannot resolve {reference}: {path} is a {kind}, not a regular file")]
    NotRegular {
        reference: String,
        path: String,
        kind: String,
    },
    #[error("Cannot resolve {reference}: {path} is larger than {limit} bytes (rconnect.config.providers.max.bytes)")]
    TooLarge {
        reference: String,
        path: String,
        limit: u64,
    },
    #[error("Cannot resolve {reference}: no answer within {timeout_ms} ms (rconnect.config.providers.timeout.ms)")]
    Timeout { reference: String, timeout_ms: u128 },
    #[error("Cannot resolve {reference}: the config provider failed")]
    Failed { reference: String },
    /// Java `EnvVarConfigProvider#get`.
    #[error("Path is not supported for EnvVarConfigProvider, invalid value '{path}'")]
    EnvPath { path: String },
    #[error("Cannot start the config provider threads: {reason}")]
    Pool { reason: String },
}

/// The built-in provider kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Directory,
    EnvVar,
}

impl Kind {
    fn from_class(class: &str) -> Option<Kind> {
        let simple = class.rsplit('.').next().unwrap_or(class);
        match simple {
            "FileConfigProvider" => Some(Kind::File),
            "DirectoryConfigProvider" => Some(Kind::Directory),
            "EnvVarConfigProvider" => Some(Kind::EnvVar),
            _ => None,
        }
    }

    /// Whether reading touches the file system (and so runs on the provider pool).
    fn reads_files(self) -> bool {
        matches!(self, Kind::File | Kind::Directory)
    }
}

/// `${alias:path:key}` (or `${alias:key}`) as the user writes it.
fn reference(alias: &str, path: &str, key: &str) -> String {
    if path.is_empty() {
        format!("${{{alias}:{key}}}")
    } else {
        format!("${{{alias}:{path}:{key}}}")
    }
}

/// One source to read: the keys wanted of `path` from provider `alias`.
#[derive(Debug, Clone)]
struct Lookup {
    alias: String,
    path: String,
    keys: BTreeSet<String>,
}

impl Lookup {
    /// The first reference of this lookup, to name in errors.
    fn reference(&self) -> String {
        reference(
            &self.alias,
            &self.path,
            self.keys.iter().next().map_or("", String::as_str),
        )
    }
}

/// One declared provider.
#[derive(Debug, Clone)]
struct Provider {
    kind: Kind,
    /// `EnvVarConfigProvider`'s `allowlist.pattern` (KIP-887).
    allowlist: Option<Regex>,
    /// `allowed.paths` of the file and directory providers (KIP-993).
    allowed: AllowedPaths,
}

impl Provider {
    /// `path` checked against `allowed.paths`, with symlinks resolved.
    fn allowed_target(
        &self,
        path: &str,
        io_error: impl FnOnce(String) -> ProviderError,
    ) -> Result<std::path::PathBuf, ProviderError> {
        self.allowed.check(path).map_err(|r| match r {
            Refusal::NotAllowed => not_allowed(path),
            Refusal::Io(e) => io_error(e.to_string()),
        })
    }

    /// The values of `l.keys` under `l.path` that exist (Java's `ConfigData`). Blocking.
    fn get(&self, l: &Lookup, max_bytes: u64) -> Result<BTreeMap<String, String>, ProviderError> {
        let path = l.path.as_str();
        match self.kind {
            Kind::File => {
                if path.is_empty() {
                    return Ok(BTreeMap::new());
                }
                let file_error = |reason: String| ProviderError::File {
                    path: path.to_string(),
                    reason,
                };
                let target = self.allowed_target(path, file_error)?;
                let bytes = read_regular_file(&target, max_bytes).map_err(|e| {
                    read_error(e, &l.reference(), path, max_bytes, |reason| {
                        ProviderError::File {
                            path: path.to_string(),
                            reason,
                        }
                    })
                })?;
                let props = parse_properties(&bytes).map_err(|e| ProviderError::File {
                    path: path.to_string(),
                    reason: e.to_string(),
                })?;
                Ok(l.keys
                    .iter()
                    .filter_map(|k| props.get(k).map(|v| (k.clone(), v.clone())))
                    .collect())
            }
            Kind::Directory => {
                if path.is_empty() {
                    return Ok(BTreeMap::new());
                }
                let dir = self.allowed_target(path, |reason| ProviderError::Directory {
                    path: path.to_string(),
                    reason,
                })?;
                // Deviation: Java only logs "The path P is not a directory".
                if !dir.is_dir() {
                    return Err(ProviderError::Directory {
                        path: path.to_string(),
                        reason: "not a directory".into(),
                    });
                }
                let mut out = BTreeMap::new();
                // Java reads the regular files directly inside the directory, by name;
                // others (subdirectories, FIFOs, devices) are silently ignored.
                for k in l
                    .keys
                    .iter()
                    .filter(|k| !k.contains('/') && *k != "." && *k != "..")
                {
                    let file = dir.join(k);
                    if !is_regular_file(&file) {
                        continue;
                    }
                    let shown = Path::new(path).join(k).display().to_string();
                    let file_error = |reason: String| ProviderError::DirectoryFile {
                        path: shown.clone(),
                        key: k.clone(),
                        reason,
                    };
                    let target =
                        std::fs::canonicalize(&file).map_err(|e| file_error(e.to_string()))?;
                    // A symlink in an allowed directory may not lead outside.
                    self.allowed
                        .check_canonical(&target)
                        .map_err(|_| not_allowed(&shown))?;
                    let bytes = read_regular_file(&target, max_bytes).map_err(|e| {
                        read_error(e, &reference(&l.alias, path, k), &shown, max_bytes, |r| {
                            file_error(r)
                        })
                    })?;
                    out.insert(k.clone(), String::from_utf8_lossy(&bytes).into_owned());
                }
                Ok(out)
            }
            Kind::EnvVar => {
                if !path.is_empty() {
                    return Err(ProviderError::EnvPath {
                        path: path.to_string(),
                    });
                }
                // KIP-887: unset = every variable (Java's default pattern `.*`); set = the
                // names the pattern matches whole (Java `Matcher#matches`).
                Ok(l.keys
                    .iter()
                    .filter(|k| self.allowlist.as_ref().is_none_or(|re| re.is_match(k)))
                    .filter_map(|k| std::env::var(k).ok().map(|v| (k.clone(), v)))
                    .collect())
            }
        }
    }
}

fn not_allowed(path: &str) -> ProviderError {
    tracing::warn!("The path {path} is not allowed to be accessed");
    ProviderError::NotAllowed {
        path: path.to_string(),
    }
}

fn read_error(
    e: ReadError,
    reference: &str,
    path: &str,
    limit: u64,
    io: impl FnOnce(String) -> ProviderError,
) -> ProviderError {
    match e {
        ReadError::NotRegular(kind) => ProviderError::NotRegular {
            reference: reference.to_string(),
            path: path.to_string(),
            kind: kind.to_string(),
        },
        ReadError::TooLarge => ProviderError::TooLarge {
            reference: reference.to_string(),
            path: path.to_string(),
            limit,
        },
        ReadError::Io(e) => io(e.to_string()),
    }
}

/// A config with its references resolved, and what they resolved to.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub props: Props,
    pub secrets: Secrets,
}

/// The providers a worker declares, by alias, and the threads their reads run on.
#[derive(Debug, Clone)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
    max_bytes: u64,
    /// Present when a declared provider reads files.
    pool: Option<Arc<ProviderPool>>,
}

impl Default for ConfigProviders {
    fn default() -> Self {
        ConfigProviders {
            providers: BTreeMap::new(),
            max_bytes: MAX_BYTES_DEFAULT,
            pool: None,
        }
    }
}

/// `${provider:path:key}` or `${provider:key}`, as Java's `ConfigTransformer.DEFAULT_PATTERN`.
fn reference_pattern() -> &'static Regex {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}").expect("a valid pattern")
    })
}

/// A positive whole number worker key.
fn positive(props: &Props, key: &str, default: u64) -> Result<u64, ProviderError> {
    match props.get(key) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(ProviderError::BadWorkerKey {
                key: key.to_string(),
                value: v.clone(),
                reason: "must be a whole number of at least 1".into(),
            }),
        },
    }
}

impl ConfigProviders {
    /// The providers declared in worker properties (`config.providers` and its prefixed
    /// keys); none when `config.providers` is absent or empty.
    pub fn from_worker_props(props: &Props) -> Result<ConfigProviders, ProviderError> {
        let max_bytes = positive(props, MAX_BYTES_CONFIG, MAX_BYTES_DEFAULT)?;
        let timeout =
            Duration::from_millis(positive(props, TIMEOUT_MS_CONFIG, TIMEOUT_MS_DEFAULT)?);
        let mut providers = BTreeMap::new();
        let aliases = props
            .get(CONFIG_PROVIDERS_CONFIG)
            .map(|v| rconnect_sdk::config::parse_list(v))
            .unwrap_or_default();
        for alias in aliases.into_iter().filter(|a| !a.is_empty()) {
            let class_key = format!("config.providers.{alias}.class");
            let class = props
                .get(&class_key)
                .map(|c| c.trim().to_string())
                .ok_or_else(|| ProviderError::MissingClass {
                    alias: alias.clone(),
                })?;
            let kind = Kind::from_class(&class).ok_or_else(|| ProviderError::UnknownClass {
                alias: alias.clone(),
                class: class.clone(),
            })?;
            let param = |p: &str| props.get(&format!("config.providers.{alias}.param.{p}"));
            let bad = |p: &str, value: &str, reason: String| ProviderError::BadParam {
                alias: alias.clone(),
                param: p.to_string(),
                value: value.to_string(),
                reason,
            };
            let allowlist = match (kind, param("allowlist.pattern")) {
                (Kind::EnvVar, Some(p)) => Some(
                    Regex::new(&format!("^(?:{p})$"))
                        .map_err(|e| bad("allowlist.pattern", p, e.to_string()))?,
                ),
                _ => None,
            };
            let allowed = match (kind, param(ALLOWED_PATHS_PARAM)) {
                (Kind::File | Kind::Directory, Some(v)) => AllowedPaths::parse(Some(v))
                    .map_err(|reason| bad(ALLOWED_PATHS_PARAM, v, reason))?,
                _ => AllowedPaths::default(),
            };
            providers.insert(
                alias,
                Provider {
                    kind,
                    allowlist,
                    allowed,
                },
            );
        }
        let pool = if providers.values().any(|p| p.kind.reads_files()) {
            Some(Arc::new(ProviderPool::new(POOL_THREADS, timeout).map_err(
                |e| ProviderError::Pool {
                    reason: e.to_string(),
                },
            )?))
        } else {
            None
        };
        Ok(ConfigProviders {
            providers,
            max_bytes,
            pool,
        })
    }

    /// Whether any provider is declared.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The sources `props` refers to, each once, with the keys wanted of it. A reference
    /// to a provider not declared is left alone (as in Java).
    fn plan(&self, props: &Props) -> Vec<Lookup> {
        let pattern = reference_pattern();
        let mut wanted: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for value in props.values() {
            for c in pattern.captures_iter(value) {
                let provider = c.get(1).map_or("", |m| m.as_str());
                if !self.providers.contains_key(provider) {
                    continue;
                }
                let path = c.get(3).map_or("", |m| m.as_str());
                let key = c.get(4).map_or("", |m| m.as_str());
                wanted
                    .entry((provider.to_string(), path.to_string()))
                    .or_default()
                    .insert(key.to_string());
            }
        }
        wanted
            .into_iter()
            .map(|((alias, path), keys)| Lookup { alias, path, keys })
            .collect()
    }

    fn pool_error(&self, l: &Lookup, e: PoolError) -> ProviderError {
        match e {
            PoolError::Timeout => ProviderError::Timeout {
                reference: l.reference(),
                timeout_ms: self.pool.as_ref().map_or(0, |p| p.timeout().as_millis()),
            },
            PoolError::Failed => ProviderError::Failed {
                reference: l.reference(),
            },
        }
    }

    /// The job reading one source, for the pool.
    fn job(
        &self,
        l: &Lookup,
    ) -> impl FnOnce() -> Result<BTreeMap<String, String>, ProviderError> + Send + 'static {
        let provider = self.providers[&l.alias].clone();
        let (l, max) = (l.clone(), self.max_bytes);
        move || provider.get(&l, max)
    }

    /// Reads one source; file reads on the pool. Blocks the calling thread.
    fn lookup_blocking(&self, l: &Lookup) -> Result<BTreeMap<String, String>, ProviderError> {
        match &self.pool {
            Some(pool) if self.providers[&l.alias].kind.reads_files() => pool
                .run_blocking(self.job(l))
                .map_err(|e| self.pool_error(l, e))?,
            _ => self.providers[&l.alias].get(l, self.max_bytes),
        }
    }

    /// Reads one source; file reads on the pool, awaited without blocking.
    async fn lookup(&self, l: &Lookup) -> Result<BTreeMap<String, String>, ProviderError> {
        match &self.pool {
            Some(pool) if self.providers[&l.alias].kind.reads_files() => pool
                .run(self.job(l))
                .await
                .map_err(|e| self.pool_error(l, e))?,
            _ => self.providers[&l.alias].get(l, self.max_bytes),
        }
    }

    /// `props` with every reference to a declared provider replaced by its value, for code
    /// that may block (worker start-up). A reference whose provider is not declared, or
    /// whose key the provider does not have, stays as written (as in Java); a provider that
    /// cannot read its source is an error.
    pub fn resolve_blocking(&self, props: &Props) -> Result<Resolved, ProviderError> {
        let mut found = BTreeMap::new();
        for l in self.plan(props) {
            let data = self.lookup_blocking(&l)?;
            found.insert((l.alias, l.path), data);
        }
        Ok(substitute(props, &found))
    }

    /// As [`ConfigProviders::resolve_blocking`], for async callers.
    pub async fn resolve(&self, props: &Props) -> Result<Resolved, ProviderError> {
        let mut found = BTreeMap::new();
        for l in self.plan(props) {
            let data = self.lookup(&l).await?;
            found.insert((l.alias, l.path), data);
        }
        Ok(substitute(props, &found))
    }

    /// Java `WorkerConfigTransformer` "reverse transform": task configs built from resolved
    /// connector values get back the raw `${...}` reference of every key whose raw
    /// connector value holds one, so secrets are not written to the config topic.
    pub fn reverse_transform(raw_connector: &Props, task: &mut Props) {
        for (k, raw) in raw_connector {
            if reference_pattern().is_match(raw) && task.contains_key(k) {
                task.insert(k.clone(), raw.clone());
            }
        }
    }
}

/// `props` with the references `found` holds values for replaced, and those values.
fn substitute(
    props: &Props,
    found: &BTreeMap<(String, String), BTreeMap<String, String>>,
) -> Resolved {
    if found.is_empty() {
        return Resolved {
            props: props.clone(),
            secrets: Secrets::default(),
        };
    }
    let pattern = reference_pattern();
    let mut secrets = Secrets::default();
    let props = props
        .iter()
        .map(|(k, v)| {
            let replaced = pattern.replace_all(v, |c: &regex::Captures<'_>| {
                let whole = c.get(0).map_or("", |m| m.as_str());
                let provider = c.get(1).map_or("", |m| m.as_str());
                let path = c.get(3).map_or("", |m| m.as_str());
                let key = c.get(4).map_or("", |m| m.as_str());
                match found
                    .get(&(provider.to_string(), path.to_string()))
                    .and_then(|d| d.get(key))
                {
                    Some(value) => {
                        secrets.add(value, whole);
                        value.clone()
                    }
                    None => whole.to_string(),
                }
            });
            (k.clone(), replaced.into_owned())
        })
        .collect();
    Resolved { props, secrets }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn file_directory_and_env_references_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("secrets.properties");
        std::fs::write(&secrets, "user=alice\npassword = s3cr:et\n").unwrap();
        let keys = dir.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        std::fs::write(keys.join("api"), "k-123").unwrap();
        std::env::set_var("RCONNECT_PROVIDER_TEST_VAR", "from-env");
        let providers = ConfigProviders::from_worker_props(&props(&[
            ("config.providers", "file, dir,env"),
            (
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
            ),
            ("config.providers.dir.class", "DirectoryConfigProvider"),
            (
                "config.providers.env.class",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
            ),
        ]))
        .unwrap();
        let s = secrets.display().to_string();
        let k = keys.display().to_string();
        let out = providers
            .resolve_blocking(&props(&[
                ("a", &format!("${{file:{s}:user}}/${{file:{s}:password}}")),
                ("b", &format!("key=${{dir:{k}:api}}")),
                ("c", "${env:RCONNECT_PROVIDER_TEST_VAR}"),
                ("d", &format!("${{file:{s}:missing}}")),
                ("e", "${vault:x:y}"),
                ("f", "plain"),
            ]))
            .unwrap()
            .props;
        assert_eq!(out["a"], "alice/s3cr:et");
        assert_eq!(out["b"], "key=k-123");
        assert_eq!(out["c"], "from-env");
        assert_eq!(
            out["d"],
            format!("${{file:{s}:missing}}"),
            "unknown key stays"
        );
        assert_eq!(out["e"], "${vault:x:y}", "undeclared provider stays");
        assert_eq!(out["f"], "plain");
    }

    #[test]
    fn env_allowlist_and_bad_declarations() {
        std::env::set_var("RCONNECT_PROVIDER_SECRET", "no");
        let providers = ConfigProviders::from_worker_props(&props(&[
            ("config.providers", "env"),
            ("config.providers.env.class", "EnvVarConfigProvider"),
            (
                "config.providers.env.param.allowlist.pattern",
                "RCONNECT_OK_.*",
            ),
        ]))
        .unwrap();
        let out = providers
            .resolve_blocking(&props(&[("a", "${env:RCONNECT_PROVIDER_SECRET}")]))
            .unwrap()
            .props;
        assert_eq!(out["a"], "${env:RCONNECT_PROVIDER_SECRET}");

        assert_eq!(
            ConfigProviders::from_worker_props(&props(&[("config.providers", "x")]))
                .unwrap_err()
                .to_string(),
            "Missing required configuration \"config.providers.x.class\" which has no default value."
        );
        let e = ConfigProviders::from_worker_props(&props(&[
            ("config.providers", "x"),
            ("config.providers.x.class", "com.example.Vault"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("config.providers.x.class"), "{e}");
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let providers = ConfigProviders::from_worker_props(&props(&[
            ("config.providers", "file"),
            ("config.providers.file.class", "FileConfigProvider"),
        ]))
        .unwrap();
        let e = providers
            .resolve_blocking(&props(&[("a", "${file:/no/such/file:k}")]))
            .unwrap_err();
        assert!(e.to_string().contains("/no/such/file"), "{e}");
    }

    #[test]
    fn reverse_transform_puts_references_back() {
        let raw = props(&[("password", "${file:/s:pw}"), ("user", "bob")]);
        let mut task = props(&[("password", "hunter2"), ("user", "bob"), ("x", "1")]);
        ConfigProviders::reverse_transform(&raw, &mut task);
        assert_eq!(task["password"], "${file:/s:pw}");
        assert_eq!(task["user"], "bob");
        assert_eq!(task["x"], "1");
    }

    fn file_and_dir(extra: &[(&str, &str)]) -> ConfigProviders {
        let mut p = props(&[
            ("config.providers", "file,dir"),
            ("config.providers.file.class", "FileConfigProvider"),
            ("config.providers.dir.class", "DirectoryConfigProvider"),
        ]);
        for (k, v) in extra {
            p.insert(k.to_string(), v.to_string());
        }
        ConfigProviders::from_worker_props(&p).unwrap()
    }

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn allowed_paths_admit_inside_and_refuse_outside_with_java_text() {
        let dir = tempfile::tempdir().unwrap();
        let allowed = dir.path().join("allowed");
        std::fs::create_dir(&allowed).unwrap();
        std::fs::write(allowed.join("s.properties"), "pw=inside-secret\n").unwrap();
        std::fs::write(allowed.join("api"), "api-secret").unwrap();
        std::fs::write(dir.path().join("out.properties"), "pw=outside-secret\n").unwrap();
        let a = allowed.display().to_string();
        let providers = file_and_dir(&[
            ("config.providers.file.param.allowed.paths", &a),
            ("config.providers.dir.param.allowed.paths", &a),
        ]);
        let ok = providers
            .resolve_blocking(&props(&[
                ("a", &format!("${{file:{a}/s.properties:pw}}")),
                ("b", &format!("${{dir:{a}:api}}")),
                // Normalised before the check: still inside.
                ("c", &format!("${{file:{a}/x/../s.properties:pw}}")),
            ]))
            .unwrap();
        assert_eq!(ok.props["a"], "inside-secret");
        assert_eq!(ok.props["b"], "api-secret");
        assert_eq!(ok.props["c"], "inside-secret");
        for (reference, path) in [
            (
                "${file:/etc/shadow:root}".to_string(),
                "/etc/shadow".to_string(),
            ),
            (
                format!("${{file:{a}/../out.properties:pw}}"),
                format!("{a}/../out.properties"),
            ),
            (
                "${dir:/proc/self:environ}".to_string(),
                "/proc/self".to_string(),
            ),
        ] {
            let e = providers
                .resolve_blocking(&props(&[("topic", &reference)]))
                .unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("The path {path} is not allowed to be accessed"),
                "{reference}"
            );
        }
    }

    #[test]
    fn a_symlink_cannot_lead_out_of_an_allowed_path() {
        let dir = tempfile::tempdir().unwrap();
        let allowed = dir.path().join("allowed");
        std::fs::create_dir(&allowed).unwrap();
        std::fs::write(dir.path().join("out.properties"), "pw=outside\n").unwrap();
        std::fs::write(dir.path().join("outside-key"), "outside").unwrap();
        std::os::unix::fs::symlink(dir.path().join("out.properties"), allowed.join("link"))
            .unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside-key"), allowed.join("key")).unwrap();
        let a = allowed.display().to_string();
        let providers = file_and_dir(&[
            ("config.providers.file.param.allowed.paths", &a),
            ("config.providers.dir.param.allowed.paths", &a),
        ]);
        let e = providers
            .resolve_blocking(&props(&[("x", &format!("${{file:{a}/link:pw}}"))]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("The path {a}/link is not allowed to be accessed")
        );
        // A file of an allowed directory that is a symlink to outside.
        let e = providers
            .resolve_blocking(&props(&[("x", &format!("${{dir:{a}:key}}"))]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("The path {a}/key is not allowed to be accessed")
        );
    }

    #[test]
    fn a_relative_allowed_path_is_an_error_naming_the_key() {
        for alias in ["file", "dir"] {
            let e = ConfigProviders::from_worker_props(&props(&[
                ("config.providers", alias),
                (
                    &format!("config.providers.{alias}.class"),
                    if alias == "file" {
                        "FileConfigProvider"
                    } else {
                        "DirectoryConfigProvider"
                    },
                ),
                (
                    &format!("config.providers.{alias}.param.allowed.paths"),
                    "/tmp,secrets",
                ),
            ]))
            .unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("Invalid value /tmp,secrets for configuration config.providers.{alias}.param.allowed.paths: Path secrets is not absolute")
            );
        }
    }

    #[test]
    fn special_files_are_errors_naming_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        mkfifo(&fifo);
        let f = fifo.display().to_string();
        let d = dir.path().display().to_string();
        let providers = file_and_dir(&[]);
        for (reference, path, kind) in [
            (format!("${{file:{f}:k}}"), f.clone(), "FIFO"),
            (
                "${file:/dev/zero:x}".to_string(),
                "/dev/zero".to_string(),
                "character device",
            ),
            (format!("${{file:{d}:k}}"), d.clone(), "directory"),
        ] {
            let e = providers
                .resolve_blocking(&props(&[("v", &reference)]))
                .unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("Cannot resolve {reference}: {path} is a {kind}, not a regular file")
            );
        }
        // The directory provider skips what is not a regular file, as Java does.
        let out = providers
            .resolve_blocking(&props(&[("v", &format!("${{dir:{d}:pipe}}"))]))
            .unwrap();
        assert_eq!(out.props["v"], format!("${{dir:{d}:pipe}}"));
        assert!(out.secrets.is_empty());
    }

    #[test]
    fn files_over_the_limit_are_errors_naming_the_reference_and_limit() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big"), "k=0123456789\n").unwrap();
        std::fs::write(dir.path().join("small"), "k=1\n").unwrap();
        let d = dir.path().display().to_string();
        let providers = file_and_dir(&[("rconnect.config.providers.max.bytes", "8")]);
        let e = providers
            .resolve_blocking(&props(&[("v", &format!("${{file:{d}/big:k}}"))]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("Cannot resolve ${{file:{d}/big:k}}: {d}/big is larger than 8 bytes (rconnect.config.providers.max.bytes)")
        );
        let e = providers
            .resolve_blocking(&props(&[("v", &format!("${{dir:{d}:big}}"))]))
            .unwrap_err();
        assert!(e.to_string().contains(&format!("${{dir:{d}:big}}")), "{e}");
        let ok = providers
            .resolve_blocking(&props(&[("v", &format!("${{file:{d}/small:k}}"))]))
            .unwrap();
        assert_eq!(ok.props["v"], "1");
        // /proc files report size 0; the limit holds on what is read.
        let e = providers
            .resolve_blocking(&props(&[("v", "${dir:/proc/self:environ}")]))
            .unwrap_err();
        assert!(matches!(e, ProviderError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn worker_keys_are_checked() {
        for key in [MAX_BYTES_CONFIG, TIMEOUT_MS_CONFIG] {
            for bad in ["0", "-1", "ten"] {
                let e = ConfigProviders::from_worker_props(&props(&[(key, bad)])).unwrap_err();
                assert_eq!(
                    e.to_string(),
                    format!("Invalid value {bad} for configuration {key}: must be a whole number of at least 1")
                );
            }
        }
    }

    #[test]
    fn a_busy_or_slow_pool_times_out_naming_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s"), "k=v\n").unwrap();
        let d = dir.path().display().to_string();
        let providers = file_and_dir(&[("rconnect.config.providers.timeout.ms", "100")]);
        let pool = providers.pool.clone().unwrap();
        // Every thread stuck, as in a hung read.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(Mutex::new(wait));
        let stuck: Vec<_> = (0..POOL_THREADS)
            .map(|_| {
                let (pool, wait) = (pool.clone(), wait.clone());
                std::thread::spawn(move || {
                    pool.run_blocking(move || {
                        let _ = wait.lock().map(|w| w.recv());
                    })
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(30));
        let reference = format!("${{file:{d}/s:k}}");
        let e = providers
            .resolve_blocking(&props(&[("v", &reference)]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("Cannot resolve {reference}: no answer within 100 ms (rconnect.config.providers.timeout.ms)")
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let e = rt
            .block_on(providers.resolve(&props(&[("v", &reference)])))
            .unwrap_err();
        assert!(matches!(e, ProviderError::Timeout { .. }), "{e}");
        for _ in 0..POOL_THREADS {
            release.send(()).unwrap();
        }
        for s in stuck {
            let _ = s.join();
        }
        let ok = rt
            .block_on(providers.resolve(&props(&[("v", &reference)])))
            .unwrap();
        assert_eq!(ok.props["v"], "v");
    }

    #[test]
    fn resolved_values_are_returned_as_secrets_with_their_references() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s"), "pw=p4ss-w0rd\n").unwrap();
        let d = dir.path().display().to_string();
        let providers = file_and_dir(&[]);
        let reference = format!("${{file:{d}/s:pw}}");
        let out = providers
            .resolve_blocking(&props(&[
                ("url", &format!("db://user:{reference}@host")),
                ("missing", &format!("${{file:{d}/s:nope}}")),
            ]))
            .unwrap();
        assert_eq!(out.props["url"], "db://user:p4ss-w0rd@host");
        assert_eq!(
            out.secrets
                .redact("cannot connect to db://user:p4ss-w0rd@host"),
            format!("cannot connect to db://user:{reference}@host")
        );
    }

    #[test]
    fn env_provider_matches_java() {
        std::env::set_var("RCONNECT_ENV_TEST_OK_1", "one");
        std::env::set_var("RCONNECT_ENV_TEST_OK_1X", "two");
        let env = |pattern: Option<&str>| {
            let mut p = props(&[
                ("config.providers", "env"),
                ("config.providers.env.class", "EnvVarConfigProvider"),
            ]);
            if let Some(pattern) = pattern {
                p.insert(
                    "config.providers.env.param.allowlist.pattern".into(),
                    pattern.into(),
                );
            }
            ConfigProviders::from_worker_props(&p).unwrap()
        };
        let refs = props(&[
            ("a", "${env:RCONNECT_ENV_TEST_OK_1}"),
            ("b", "${env:RCONNECT_ENV_TEST_OK_1X}"),
        ]);
        // Unset: Java's default pattern `.*`, every variable.
        let all = env(None).resolve_blocking(&refs).unwrap().props;
        assert_eq!((all["a"].as_str(), all["b"].as_str()), ("one", "two"));
        // The pattern must match the whole name (Java `Matcher#matches`), not a part.
        let some = env(Some("RCONNECT_ENV_TEST_OK_\\d"))
            .resolve_blocking(&refs)
            .unwrap()
            .props;
        assert_eq!(some["a"], "one");
        assert_eq!(some["b"], "${env:RCONNECT_ENV_TEST_OK_1X}");
        // An empty pattern matches no name.
        let none = env(Some("")).resolve_blocking(&refs).unwrap().props;
        assert_eq!(none["a"], "${env:RCONNECT_ENV_TEST_OK_1}");
        // A path is an error, with Java's text.
        let e = env(None)
            .resolve_blocking(&props(&[("a", "${env:some/path:RCONNECT_ENV_TEST_OK_1}")]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Path is not supported for EnvVarConfigProvider, invalid value 'some/path'"
        );
        // A bad pattern is an error naming the key; no threads for env-only providers.
        let e = ConfigProviders::from_worker_props(&props(&[
            ("config.providers", "env"),
            ("config.providers.env.class", "EnvVarConfigProvider"),
            ("config.providers.env.param.allowlist.pattern", "("),
        ]))
        .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "Invalid value ( for configuration config.providers.env.param.allowlist.pattern:"
            ),
            "{e}"
        );
        assert!(env(None).pool.is_none());
    }
}
