//! `allowed.paths` of the file and directory providers (KIP-993; Java `AllowedPaths`).
//!
//! Java checks the lexically normalised path only, so a symlink inside an allowed directory
//! may point anywhere. Here a path must pass Java's lexical check and then, once every
//! symlink is resolved, still lie inside an allowed path.

use std::path::{Component, Path, PathBuf};

/// `allowed.paths` (`config.providers.<alias>.param.allowed.paths`).
pub const ALLOWED_PATHS_PARAM: &str = "allowed.paths";

/// One allowed path: as written (normalised, for Java's check) and with symlinks resolved.
#[derive(Debug, Clone)]
struct Root {
    lexical: PathBuf,
    canonical: PathBuf,
}

/// The paths a provider may read; `None` = every path (Java's default when unset).
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowedPaths {
    roots: Option<Vec<Root>>,
}

/// Why a path may not be read.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Outside every allowed path (Java: "The path P is not allowed to be accessed").
    NotAllowed,
    /// The path (or a component of it) cannot be resolved.
    Io(std::io::Error),
}

/// `path` with `.` and `..` removed lexically, as Java's `Path.normalize` (`/..` is `/`).
pub(crate) fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                None | Some(Component::CurDir) | Some(Component::ParentDir) => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl AllowedPaths {
    /// Parses `allowed.paths`: comma separated absolute paths that exist. `Err` holds Java's
    /// reason (`Path P is not absolute`, `Path P does not exist`).
    pub(crate) fn parse(value: Option<&str>) -> Result<AllowedPaths, String> {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return Ok(AllowedPaths { roots: None });
        };
        let mut roots = Vec::new();
        // Deviation: entries are trimmed and empty ones skipped (Java splits on `,` only and
        // rejects `a, b` as a relative ` b`).
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let lexical = normalise(Path::new(entry));
            if !lexical.is_absolute() {
                return Err(format!("Path {} is not absolute", lexical.display()));
            }
            let canonical = std::fs::canonicalize(&lexical)
                .map_err(|_| format!("Path {} does not exist", lexical.display()))?;
            roots.push(Root { lexical, canonical });
        }
        Ok(AllowedPaths { roots: Some(roots) })
    }

    /// The path to open for `path`, with every symlink resolved, if it may be read.
    pub(crate) fn check(&self, path: &str) -> Result<PathBuf, Refusal> {
        let Some(roots) = &self.roots else {
            // Unrestricted, Java opens the path as given (the kernel resolves `..` after
            // symlinks, not lexically).
            return std::fs::canonicalize(path).map_err(Refusal::Io);
        };
        let lexical = normalise(Path::new(path));
        // Java's check first, so nothing outside the allowed paths is touched (not even to
        // learn whether it exists).
        if !roots.iter().any(|r| lexical.starts_with(&r.lexical)) {
            return Err(Refusal::NotAllowed);
        }
        let canonical = std::fs::canonicalize(&lexical).map_err(Refusal::Io)?;
        self.check_canonical(&canonical)?;
        Ok(canonical)
    }

    /// Whether an already resolved path lies inside an allowed path.
    pub(crate) fn check_canonical(&self, canonical: &Path) -> Result<(), Refusal> {
        match &self.roots {
            Some(roots) if !roots.iter().any(|r| canonical.starts_with(&r.canonical)) => {
                Err(Refusal::NotAllowed)
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_is_lexical_like_java() {
        for (input, expected) in [
            ("/a/./b/../c", "/a/c"),
            ("/../etc/shadow", "/etc/shadow"),
            ("/a/b/../../..", "/"),
            ("a/../../b", "../b"),
            ("../../b", "../../b"),
            ("/a//b/", "/a/b"),
        ] {
            assert_eq!(
                normalise(Path::new(input)),
                PathBuf::from(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn unset_or_empty_allows_everything() {
        for v in [None, Some("")] {
            let a = AllowedPaths::parse(v).unwrap();
            assert!(a.roots.is_none());
            assert!(a.check("/etc/hostname").is_ok() || !Path::new("/etc/hostname").exists());
        }
    }

    #[test]
    fn relative_and_missing_allowed_paths_are_errors_with_java_text() {
        assert_eq!(
            AllowedPaths::parse(Some("/tmp,secrets/../keys")).unwrap_err(),
            "Path keys is not absolute"
        );
        assert_eq!(
            AllowedPaths::parse(Some("/no/such/dir/rconnect")).unwrap_err(),
            "Path /no/such/dir/rconnect does not exist"
        );
    }

    #[test]
    fn paths_are_checked_after_normalising() {
        let dir = tempfile::tempdir().unwrap();
        let allowed = dir.path().join("allowed");
        std::fs::create_dir(&allowed).unwrap();
        std::fs::write(allowed.join("ok"), "k=v").unwrap();
        std::fs::write(dir.path().join("outside"), "k=v").unwrap();
        let a = AllowedPaths::parse(Some(&format!(" {} ", allowed.display()))).unwrap();
        assert!(a.roots.is_some());
        let inside = format!("{}/./x/../ok", allowed.display());
        assert_eq!(
            a.check(&inside).unwrap(),
            std::fs::canonicalize(allowed.join("ok")).unwrap()
        );
        let escaping = format!("{}/../outside", allowed.display());
        assert!(matches!(a.check(&escaping), Err(Refusal::NotAllowed)));
        assert!(matches!(a.check("/etc/shadow"), Err(Refusal::NotAllowed)));
        // A sibling whose name merely starts with the allowed name is outside.
        assert!(matches!(
            a.check(&format!("{}-other/x", allowed.display())),
            Err(Refusal::NotAllowed)
        ));
        assert!(matches!(
            a.check(&format!("{}/missing", allowed.display())),
            Err(Refusal::Io(_))
        ));
    }

    #[test]
    fn a_symlink_inside_an_allowed_path_cannot_point_outside() {
        let dir = tempfile::tempdir().unwrap();
        let allowed = dir.path().join("allowed");
        std::fs::create_dir(&allowed).unwrap();
        std::fs::write(dir.path().join("secret"), "k=v").unwrap();
        std::fs::write(allowed.join("real"), "k=v").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), allowed.join("escape")).unwrap();
        std::os::unix::fs::symlink(dir.path(), allowed.join("up")).unwrap();
        std::os::unix::fs::symlink(allowed.join("real"), allowed.join("alias")).unwrap();
        let a = AllowedPaths::parse(Some(&allowed.display().to_string())).unwrap();
        assert!(matches!(
            a.check(&format!("{}/escape", allowed.display())),
            Err(Refusal::NotAllowed)
        ));
        assert!(matches!(
            a.check(&format!("{}/up/secret", allowed.display())),
            Err(Refusal::NotAllowed)
        ));
        // A symlink that stays inside is fine.
        assert_eq!(
            a.check(&format!("{}/alias", allowed.display())).unwrap(),
            std::fs::canonicalize(allowed.join("real")).unwrap()
        );
    }

    #[test]
    fn an_allowed_path_behind_a_symlink_still_allows_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("f"), "k=v").unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        let link = dir.path().join("link");
        let a = AllowedPaths::parse(Some(&link.display().to_string())).unwrap();
        assert!(a.check(&format!("{}/f", link.display())).is_ok());
    }
}
