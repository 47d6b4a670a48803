//! A minimal `--key value` / `--flag` command-line parser (the binaries need no more).

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::{bail, Context as _, Result};

/// Parsed `--key value` options and bare `--flag`s.
#[derive(Debug, Default)]
pub struct Args {
    values: BTreeMap<String, Vec<String>>,
    flags: Vec<String>,
}

impl Args {
    /// Parses `argv`. `--key=value` and `--key value` both work; an option followed by another
    /// option (or by nothing) is a flag. Options named in `repeatable` may appear more than
    /// once; any other repeated option is an error.
    pub fn parse(argv: impl IntoIterator<Item = String>, repeatable: &[&str]) -> Result<Args> {
        let mut args = Args::default();
        let mut it = argv.into_iter().peekable();
        while let Some(arg) = it.next() {
            let Some(name) = arg.strip_prefix("--") else {
                bail!("unexpected argument {arg:?}");
            };
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => match it.peek() {
                    Some(next) if !next.starts_with("--") => (name.to_string(), it.next()),
                    _ => (name.to_string(), None),
                },
            };
            match value {
                None => args.flags.push(name),
                Some(v) => {
                    let slot = args.values.entry(name.clone()).or_default();
                    if !slot.is_empty() && !repeatable.contains(&name.as_str()) {
                        bail!("--{name} given more than once");
                    }
                    slot.push(v);
                }
            }
        }
        Ok(args)
    }

    /// Removes and returns `--name`'s value.
    pub fn optional(&mut self, name: &str) -> Option<String> {
        self.values.remove(name).and_then(|mut v| v.pop())
    }

    /// Removes and returns `--name`'s value; an error when it is missing.
    pub fn required(&mut self, name: &str) -> Result<String> {
        self.optional(name)
            .with_context(|| format!("--{name} is required"))
    }

    /// Removes `--name` and parses its value.
    pub fn parsed<T: FromStr>(&mut self, name: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        match self.optional(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|e| anyhow::anyhow!("--{name} {v:?}: {e}")),
        }
    }

    /// Removes and returns every value of a repeatable `--name`.
    pub fn all(&mut self, name: &str) -> Vec<String> {
        self.values.remove(name).unwrap_or_default()
    }

    /// Removes `--name` as a flag; true when it was given.
    pub fn flag(&mut self, name: &str) -> bool {
        let before = self.flags.len();
        self.flags.retain(|f| f != name);
        self.flags.len() != before
    }

    /// An error naming the first option nobody asked for.
    pub fn finish(self) -> Result<()> {
        if let Some(name) = self.values.keys().next().or(self.flags.first()) {
            bail!("unknown option --{name}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Args> {
        Args::parse(s.split_whitespace().map(String::from), &["set"])
    }

    #[test]
    fn values_flags_and_repeats() {
        let mut a = parse("--lines 10 --write --set a=1 --set=b=2 --runs=3").unwrap();
        assert_eq!(a.parsed::<u64>("lines").unwrap(), Some(10));
        assert!(a.flag("write"));
        assert!(!a.flag("write"));
        assert_eq!(a.all("set"), vec!["a=1", "b=2"]);
        assert_eq!(a.required("runs").unwrap(), "3");
        a.finish().unwrap();
    }

    #[test]
    fn errors_name_the_option() {
        assert!(parse("--runs 1 --runs 2")
            .unwrap_err()
            .to_string()
            .contains("--runs"));
        assert!(parse("stray").is_err());
        let mut a = parse("--runs x --other 1").unwrap();
        assert!(a
            .parsed::<u32>("runs")
            .unwrap_err()
            .to_string()
            .contains("--runs"));
        assert!(a.finish().unwrap_err().to_string().contains("--other"));
        assert!(parse("")
            .unwrap()
            .required("topic")
            .unwrap_err()
            .to_string()
            .contains("--topic"));
    }
}
