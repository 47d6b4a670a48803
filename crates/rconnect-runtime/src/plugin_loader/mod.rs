//! Plugins loaded from `plugin.path` as dynamic libraries (ABI v1, see `docs/plugins.md`).
//!
//! Every entry of `plugin.path` is a directory; each library file (`.so` on Linux, `.dll` on
//! Windows) in it, or in any sub-directory, is a plugin. A library is asked for its interface
//! version, then its manifest, and nothing else is scanned. A library that cannot be loaded, speaks
//! another version or has a broken manifest is skipped with one log line; start-up goes on.
//! Its components are registered in the [`PluginRegistry`] behind adapters that implement
//! the SDK traits, so the worker runs them as built-in components. A class already
//! registered (built in, or by an earlier library in `plugin.path` order, then sorted path
//! order) keeps its first registration; the duplicate is logged with both locations.

mod adapters;
mod library;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rconnect_sdk::connector::{SinkConnector, SinkTask, SourceConnector, SourceTask};
use rconnect_sdk::converter::{Converter, HeaderConverter};
use serde_json::Value as Json;
use tracing::{info, warn};

pub use library::{Library, LoadError};

use crate::plugins::{
    ConnectorFactory, ConnectorPlugin, ConverterPlugin, NewConverter, NewHeaderConverter,
    PluginRegistry, PredicatePlugin, TransformationPlugin,
};
use adapters::{
    FfiConnector, FfiConverter, FfiHeaderConverter, FfiPredicate, FfiSinkTask, FfiSourceTask,
    FfiTransformation,
};

/// The kinds of component a manifest may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    Source,
    Sink,
    Converter,
    HeaderConverter,
    Transformation,
    Predicate,
}

impl ComponentKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "source" => ComponentKind::Source,
            "sink" => ComponentKind::Sink,
            "converter" => ComponentKind::Converter,
            "header_converter" => ComponentKind::HeaderConverter,
            "transformation" => ComponentKind::Transformation,
            "predicate" => ComponentKind::Predicate,
            _ => return None,
        })
    }
    /// The name `GET /connector-plugins` shows as `type`.
    pub fn name(self) -> &'static str {
        match self {
            ComponentKind::Source => "source",
            ComponentKind::Sink => "sink",
            ComponentKind::Converter => "converter",
            ComponentKind::HeaderConverter => "header_converter",
            ComponentKind::Transformation => "transformation",
            ComponentKind::Predicate => "predicate",
        }
    }
    /// The suffix Java's alias rules cut (`...Connector`, `...Transformation`).
    pub fn alias_suffix(self) -> &'static str {
        match self {
            ComponentKind::Source | ComponentKind::Sink => "Connector",
            ComponentKind::Converter => "Converter",
            ComponentKind::HeaderConverter => "HeaderConverter",
            ComponentKind::Transformation => "Transformation",
            ComponentKind::Predicate => "Predicate",
        }
    }
}

/// One component a library's manifest declares.
#[derive(Debug, Clone)]
pub struct Component {
    pub kind: ComponentKind,
    pub class: String,
    pub version: String,
    pub library: Arc<Library>,
}

/// A library that was not loaded, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// What a scan of `plugin.path` found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Components in registration order: `plugin.path` order, then sorted file path.
    pub components: Vec<Component>,
    pub skipped: Vec<Skipped>,
    /// Libraries loaded successfully.
    pub libraries: usize,
    pub elapsed: Duration,
}

/// A component not registered because its class was already taken.
#[derive(Debug, Clone)]
pub struct Duplicate {
    pub class: String,
    pub kind: ComponentKind,
    /// Where the registered class comes from: a library path, or `built-in`.
    pub kept: String,
    pub ignored: PathBuf,
}

/// Library files under `dir` (recursively), sorted by path.
fn library_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if let Err(e) = library_files(&p, out) {
                warn!("Skipping plugin directory {}: {e}", p.display());
            }
        } else if p.extension().and_then(|e| e.to_str()) == Some(std::env::consts::DLL_EXTENSION) {
            out.push(p);
        }
    }
    Ok(())
}

fn parse_manifest(library: &Arc<Library>, manifest: &Json) -> Result<Vec<Component>, String> {
    let list = manifest
        .get("components")
        .and_then(Json::as_array)
        .ok_or("broken manifest: no \"components\" array")?;
    let mut out = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let kind = c
            .get("kind")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("broken manifest: component {i} has no \"kind\""))?;
        let kind = ComponentKind::parse(kind)
            .ok_or_else(|| format!("broken manifest: component {i} has unknown kind {kind:?}"))?;
        let class = c
            .get("class")
            .and_then(Json::as_str)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| format!("broken manifest: component {i} has no \"class\""))?;
        let version = c
            .get("version")
            .and_then(Json::as_str)
            .unwrap_or("undefined");
        out.push(Component {
            kind,
            class: class.trim().to_string(),
            version: version.to_string(),
            library: library.clone(),
        });
    }
    Ok(out)
}

/// Scans `plugin_path` (the worker's `plugin.path` entries, in order). Never fails: every
/// problem is a [`Skipped`] entry.
pub fn discover(plugin_path: &[String]) -> Discovery {
    let started = Instant::now();
    let mut d = Discovery::default();
    for entry in plugin_path
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let root = Path::new(entry);
        let mut files = Vec::new();
        if root.is_file() {
            files.push(root.to_path_buf());
        } else if let Err(e) = library_files(root, &mut files) {
            d.skipped.push(Skipped {
                path: root.to_path_buf(),
                reason: format!("plugin.path entry cannot be read: {e}"),
            });
            continue;
        }
        for path in files {
            match Library::open(&path) {
                Err(e) => d.skipped.push(Skipped {
                    path,
                    reason: e.to_string(),
                }),
                Ok((lib, manifest)) => match parse_manifest(&lib, &manifest) {
                    Err(reason) => d.skipped.push(Skipped { path, reason }),
                    Ok(components) => {
                        d.libraries += 1;
                        d.components.extend(components);
                    }
                },
            }
        }
    }
    d.elapsed = started.elapsed();
    d
}

/// Registers every discovered component behind the FFI adapters; components whose class is
/// taken are returned (not logged: see [`load`]).
pub fn register(discovery: &Discovery, registry: &mut PluginRegistry) -> Vec<Duplicate> {
    let mut seen: HashMap<(u8, String), PathBuf> = HashMap::new();
    let mut duplicates = Vec::new();
    // Whether each (library, converter class) was registered: a class exported as both a
    // converter and a header converter is one registry entry, decided at its first line.
    let mut converters: HashMap<(PathBuf, String), bool> = HashMap::new();
    for c in &discovery.components {
        let lib = c.library.clone();
        let class = c.class.clone();
        let version = c.version.clone();
        let registered = match c.kind {
            ComponentKind::Source => {
                let (l1, l2, c1, c2, v) = (
                    lib.clone(),
                    lib,
                    class.clone(),
                    class.clone(),
                    version.clone(),
                );
                registry.register_connector(ConnectorPlugin {
                    class_name: class.clone(),
                    version,
                    factory: ConnectorFactory::Source {
                        connector: Arc::new(move || {
                            Box::new(FfiConnector::source(&l1, &c1, &v)) as Box<dyn SourceConnector>
                        }),
                        task: Arc::new(move || {
                            Box::new(FfiSourceTask::new(&l2, &c2)) as Box<dyn SourceTask>
                        }),
                    },
                })
            }
            ComponentKind::Sink => {
                let (l1, l2, c1, c2, v) = (
                    lib.clone(),
                    lib,
                    class.clone(),
                    class.clone(),
                    version.clone(),
                );
                registry.register_connector(ConnectorPlugin {
                    class_name: class.clone(),
                    version,
                    factory: ConnectorFactory::Sink {
                        connector: Arc::new(move || {
                            Box::new(FfiConnector::sink(&l1, &c1, &v)) as Box<dyn SinkConnector>
                        }),
                        task: Arc::new(move || {
                            Box::new(FfiSinkTask::new(&l2, &c2)) as Box<dyn SinkTask>
                        }),
                    },
                })
            }
            ComponentKind::Transformation => {
                let (l1, l2, c1, c2) = (lib.clone(), lib, class.clone(), class.clone());
                registry.register_transformation(TransformationPlugin {
                    class_name: class.clone(),
                    version,
                    for_source: Arc::new(move || Box::new(FfiTransformation::new(&l1, &c1))),
                    for_sink: Arc::new(move || Box::new(FfiTransformation::new(&l2, &c2))),
                })
            }
            ComponentKind::Predicate => {
                let (l1, l2, c1, c2) = (lib.clone(), lib, class.clone(), class.clone());
                registry.register_predicate(PredicatePlugin {
                    class_name: class.clone(),
                    version,
                    for_source: Arc::new(move || Box::new(FfiPredicate::new(&l1, &c1))),
                    for_sink: Arc::new(move || Box::new(FfiPredicate::new(&l2, &c2))),
                })
            }
            ComponentKind::Converter | ComponentKind::HeaderConverter => {
                let entry = (c.library.path().to_path_buf(), class.clone());
                match converters.get(&entry) {
                    Some(&registered) => registered,
                    None => {
                        let kinds: Vec<ComponentKind> = discovery
                            .components
                            .iter()
                            .filter(|o| Arc::ptr_eq(&o.library, &c.library) && o.class == class)
                            .map(|o| o.kind)
                            .collect();
                        let (l1, l2, c1, c2) = (lib.clone(), lib, class.clone(), class.clone());
                        let converter = kinds.contains(&ComponentKind::Converter).then(|| {
                            Arc::new(move || {
                                Box::new(FfiConverter::new(&l1, &c1)) as Box<dyn Converter>
                            }) as NewConverter
                        });
                        let header_converter =
                            kinds.contains(&ComponentKind::HeaderConverter).then(|| {
                                Arc::new(move || {
                                    Box::new(FfiHeaderConverter::new(&l2, &c2))
                                        as Box<dyn HeaderConverter>
                                }) as NewHeaderConverter
                            });
                        let registered = registry.register_converter(ConverterPlugin {
                            class_name: class.clone(),
                            version,
                            converter,
                            header_converter,
                        });
                        converters.insert(entry, registered);
                        registered
                    }
                }
            }
        };
        let key = (category(c.kind), class.clone());
        if registered {
            seen.insert(key, c.library.path().to_path_buf());
        } else {
            duplicates.push(Duplicate {
                class,
                kind: c.kind,
                kept: seen
                    .get(&key)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "built-in".to_string()),
                ignored: c.library.path().to_path_buf(),
            });
        }
    }
    duplicates
}

/// The registry list a component kind lives in (sources and sinks share one).
fn category(kind: ComponentKind) -> u8 {
    match kind {
        ComponentKind::Source | ComponentKind::Sink => 0,
        ComponentKind::Transformation => 1,
        ComponentKind::Predicate => 2,
        ComponentKind::Converter | ComponentKind::HeaderConverter => 3,
    }
}

/// What [`load`] did.
#[derive(Debug)]
pub struct LoadReport {
    pub discovery: Discovery,
    pub duplicates: Vec<Duplicate>,
}

/// Discovers and registers plugins, logging one line per skipped library and per duplicate
/// class, and a summary with the time taken.
pub fn load(plugin_path: &[String], registry: &mut PluginRegistry) -> LoadReport {
    let started = Instant::now();
    let discovery = discover(plugin_path);
    for s in &discovery.skipped {
        warn!("Skipping plugin library {}: {}", s.path.display(), s.reason);
    }
    let duplicates = register(&discovery, registry);
    for d in &duplicates {
        warn!(
            "Duplicate plugin class {} ({}): {} is ignored, {} is used",
            d.class,
            d.kind.name(),
            d.ignored.display(),
            d.kept
        );
    }
    info!(
        "Loaded {} plugin components from {} libraries in plugin.path ({} skipped) in {} ms",
        discovery.components.len() - duplicates.len(),
        discovery.libraries,
        discovery.skipped.len(),
        started.elapsed().as_millis()
    );
    LoadReport {
        discovery,
        duplicates,
    }
}
