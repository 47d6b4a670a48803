//! Config providers (KIP-297/KIP-421; Java `ConfigTransformer`, `WorkerConfigTransformer`):
//! `${provider:path:key}` references in worker and connector configs, resolved from files,
//! directories or environment variables so that secrets need not sit in the configs.
//!
//! The worker declares them (`config.providers=file`,
//! `config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider`,
//! `config.providers.<alias>.param.<k>=<v>`). Worker values are resolved at start-up;
//! connector configs are stored and shown unresolved and resolved where they run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rconnect_sdk::Props;
use regex::Regex;

use crate::properties::parse_properties;

/// `config.providers`.
pub const CONFIG_PROVIDERS_CONFIG: &str = "config.providers";

/// Why a provider could not be set up or could not read its source.
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
    #[error("Could not read properties from file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("Could not list directory {path}: {reason}")]
    Directory { path: String, reason: String },
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
}

/// One declared provider.
#[derive(Debug, Clone)]
struct Provider {
    kind: Kind,
    /// `EnvVarConfigProvider`'s `allowlist.pattern`.
    allowlist: Option<Regex>,
}

impl Provider {
    /// The values of `keys` under `path` that exist (Java's `ConfigData`).
    fn get(
        &self,
        path: &str,
        keys: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, String>, ProviderError> {
        match self.kind {
            Kind::File => {
                if path.is_empty() {
                    return Ok(BTreeMap::new());
                }
                let bytes = std::fs::read(path).map_err(|e| ProviderError::File {
                    path: path.to_string(),
                    reason: e.to_string(),
                })?;
                let props = parse_properties(&bytes).map_err(|e| ProviderError::File {
                    path: path.to_string(),
                    reason: e.to_string(),
                })?;
                Ok(keys
                    .iter()
                    .filter_map(|k| props.get(k).map(|v| (k.clone(), v.clone())))
                    .collect())
            }
            Kind::Directory => {
                if path.is_empty() {
                    return Ok(BTreeMap::new());
                }
                let dir = Path::new(path);
                if !dir.is_dir() {
                    return Err(ProviderError::Directory {
                        path: path.to_string(),
                        reason: "not a directory".into(),
                    });
                }
                // Java reads regular files directly inside the directory, by name.
                Ok(keys
                    .iter()
                    .filter(|k| !k.contains('/') && *k != "." && *k != "..")
                    .filter_map(|k| {
                        let file = dir.join(k);
                        if !file.is_file() {
                            return None;
                        }
                        std::fs::read(&file)
                            .ok()
                            .map(|b| (k.clone(), String::from_utf8_lossy(&b).into_owned()))
                    })
                    .collect())
            }
            Kind::EnvVar => {
                // Java answers nothing for a non-empty path.
                if !path.is_empty() {
                    return Ok(BTreeMap::new());
                }
                Ok(keys
                    .iter()
                    .filter(|k| self.allowlist.as_ref().is_none_or(|re| re.is_match(k)))
                    .filter_map(|k| std::env::var(k).ok().map(|v| (k.clone(), v)))
                    .collect())
            }
        }
    }
}

/// The providers a worker declares, by alias.
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
}

/// `${provider:path:key}` or `${provider:key}`, as Java's `ConfigTransformer.DEFAULT_PATTERN`.
fn reference_pattern() -> &'static Regex {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}").expect("a valid pattern")
    })
}

impl ConfigProviders {
    /// The providers declared in worker properties (`config.providers` and its prefixed
    /// keys); none when `config.providers` is absent or empty.
    pub fn from_worker_props(props: &Props) -> Result<ConfigProviders, ProviderError> {
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
            let allowlist = match (kind, param("allowlist.pattern")) {
                (Kind::EnvVar, Some(p)) => {
                    Some(Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                        ProviderError::BadParam {
                            alias: alias.clone(),
                            param: "allowlist.pattern".into(),
                            value: p.clone(),
                            reason: e.to_string(),
                        }
                    })?)
                }
                _ => None,
            };
            providers.insert(alias, Provider { kind, allowlist });
        }
        Ok(ConfigProviders { providers })
    }

    /// Whether any provider is declared.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// `props` with every reference to a declared provider replaced by its value. A
    /// reference whose provider is not declared, or whose key the provider does not have,
    /// stays as written (as in Java); a provider that cannot read its source is an error.
    pub fn transform(&self, props: &Props) -> Result<Props, ProviderError> {
        if self.providers.is_empty() {
            return Ok(props.clone());
        }
        let pattern = reference_pattern();
        // Gather the keys each (provider, path) is asked for, so each source is read once.
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
        if wanted.is_empty() {
            return Ok(props.clone());
        }
        let mut found: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
        for ((provider, path), keys) in wanted {
            let data = self.providers[&provider].get(&path, &keys)?;
            found.insert((provider, path), data);
        }
        Ok(props
            .iter()
            .map(|(k, v)| {
                let replaced = pattern.replace_all(v, |c: &regex::Captures<'_>| {
                    let whole = c.get(0).map_or("", |m| m.as_str()).to_string();
                    let provider = c.get(1).map_or("", |m| m.as_str());
                    let path = c.get(3).map_or("", |m| m.as_str());
                    let key = c.get(4).map_or("", |m| m.as_str());
                    found
                        .get(&(provider.to_string(), path.to_string()))
                        .and_then(|d| d.get(key).cloned())
                        .unwrap_or(whole)
                });
                (k.clone(), replaced.into_owned())
            })
            .collect())
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

#[cfg(test)]
mod tests {
    use super::*;

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
            .transform(&props(&[
                ("a", &format!("${{file:{s}:user}}/${{file:{s}:password}}")),
                ("b", &format!("key=${{dir:{k}:api}}")),
                ("c", "${env:RCONNECT_PROVIDER_TEST_VAR}"),
                ("d", &format!("${{file:{s}:missing}}")),
                ("e", "${vault:x:y}"),
                ("f", "plain"),
            ]))
            .unwrap();
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
            .transform(&props(&[("a", "${env:RCONNECT_PROVIDER_SECRET}")]))
            .unwrap();
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
            .transform(&props(&[("a", "${file:/no/such/file:k}")]))
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
}
