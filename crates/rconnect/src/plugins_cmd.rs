//! `rconnect plugins list [--plugin-path DIR[,DIR...]]`: what a worker with this
//! `plugin.path` would offer, where each plugin comes from, and why any library was skipped.

use std::collections::HashMap;
use std::process::ExitCode;

use rconnect_runtime::plugin_loader::{self, ComponentKind};

const USAGE: &str = "Usage: rconnect plugins list [--plugin-path DIR[,DIR...]]...";

pub fn main(args: &[String]) -> ExitCode {
    if args.first().map(String::as_str) != Some("list") {
        eprintln!("{USAGE}");
        return ExitCode::from(1);
    }
    let mut paths: Vec<String> = Vec::new();
    let mut rest = args[1..].iter();
    while let Some(a) = rest.next() {
        let value = if let Some(v) = a.strip_prefix("--plugin-path=") {
            v.to_string()
        } else if a == "--plugin-path" {
            match rest.next() {
                Some(v) => v.clone(),
                None => {
                    eprintln!("--plugin-path needs a value\n{USAGE}");
                    return ExitCode::from(1);
                }
            }
        } else {
            eprintln!("Unknown argument {a:?}\n{USAGE}");
            return ExitCode::from(1);
        };
        paths.extend(
            value
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        );
    }

    let mut registry = match crate::builtins::registry(&[]) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e:#}");
            return ExitCode::from(1);
        }
    };
    let discovery = plugin_loader::discover(&paths);
    let duplicates = plugin_loader::register(&discovery, &mut registry);
    let mut location: HashMap<(&str, &str), String> = HashMap::new();
    for c in &discovery.components {
        let ignored = duplicates
            .iter()
            .any(|d| d.class == c.class && d.ignored == c.library.path());
        if !ignored {
            let t = c.kind.name();
            location
                .entry((t, c.class.as_str()))
                .or_insert_with(|| c.library.path().display().to_string());
        }
    }
    let mut rows = vec![[
        "CLASS".to_string(),
        "TYPE".into(),
        "VERSION".into(),
        "ALIASES".into(),
        "LOCATION".into(),
    ]];
    for p in registry.plugin_infos(false) {
        let kind = match p.plugin_type.as_str() {
            "source" => ComponentKind::Source,
            "sink" => ComponentKind::Sink,
            "converter" => ComponentKind::Converter,
            "header_converter" => ComponentKind::HeaderConverter,
            "transformation" => ComponentKind::Transformation,
            _ => ComponentKind::Predicate,
        };
        let aliases = rconnect_config::plugin_aliases(&p.class_name, kind.alias_suffix()).join(",");
        let loc = location
            .get(&(p.plugin_type.as_str(), p.class_name.as_str()))
            .cloned()
            .unwrap_or_else(|| "built-in".into());
        rows.push([
            p.class_name.clone(),
            p.plugin_type.clone(),
            p.version.clone().unwrap_or_else(|| "undefined".into()),
            aliases,
            loc,
        ]);
    }
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        println!(
            "{:w0$}  {:w1$}  {:w2$}  {:w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    }
    if !discovery.skipped.is_empty() {
        println!("\nSkipped libraries:");
        for s in &discovery.skipped {
            println!("  {}: {}", s.path.display(), s.reason);
        }
    }
    if !duplicates.is_empty() {
        println!("\nDuplicate classes (the first one found is used):");
        for d in &duplicates {
            println!(
                "  {} ({}): {} is ignored, {} is used",
                d.class,
                d.kind.name(),
                d.ignored.display(),
                d.kept
            );
        }
    }
    println!(
        "\n{} libraries loaded, {} skipped, in {} ms",
        discovery.libraries,
        discovery.skipped.len(),
        discovery.elapsed.as_millis()
    );
    ExitCode::SUCCESS
}

/// The registry a worker offers: the `builtins` it keeps, then the plugins of `plugin.path`
/// (loaded on a blocking thread, as loading runs code of each library). Problems are
/// logged, never fatal.
pub async fn worker_registry(
    config: &rconnect_config::WorkerConfig,
    builtins: rconnect_runtime::plugins::PluginRegistry,
) -> rconnect_runtime::plugins::PluginRegistry {
    let mut registry = builtins;
    let Some(paths) = config.plugin_path.clone() else {
        return registry;
    };
    let fallback = registry.clone();
    match tokio::task::spawn_blocking(move || {
        plugin_loader::load(&paths, &mut registry);
        registry
    })
    .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(
                "loading plugin.path failed ({e}); only built-in plugins are available"
            );
            fallback
        }
    }
}
