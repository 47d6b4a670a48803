//! The chain of transformations a connector configures with `transforms` and
//! `predicates` (transforms-and-errors.md §1): each stage applies its transformation when it
//! has no predicate, or when `predicate.test(record) XOR negate`.

use std::sync::Arc;

use rconnect_sdk::config::parse_list;
use rconnect_sdk::record::{ConnectRecord, RecordMeta, SinkMeta, SourceMeta};
use rconnect_sdk::transform::{Outcome, Predicate, Transformation};
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::errors::{Operator, Original, Stage as ErrorStage};
use crate::plugins::{PluginRegistry, PredicatePlugin, TransformationPlugin};

/// Picks the source or sink flavour of a plugin.
pub trait ChainKind: RecordMeta + Sized {
    fn new_transformation(p: &TransformationPlugin) -> Box<dyn Transformation<Self>>;
    fn new_predicate(p: &PredicatePlugin) -> Box<dyn Predicate<Self>>;
}

impl ChainKind for SourceMeta {
    fn new_transformation(p: &TransformationPlugin) -> Box<dyn Transformation<Self>> {
        (p.for_source)()
    }
    fn new_predicate(p: &PredicatePlugin) -> Box<dyn Predicate<Self>> {
        (p.for_source)()
    }
}

impl ChainKind for SinkMeta {
    fn new_transformation(p: &TransformationPlugin) -> Box<dyn Transformation<Self>> {
        (p.for_sink)()
    }
    fn new_predicate(p: &PredicatePlugin) -> Box<dyn Predicate<Self>> {
        (p.for_sink)()
    }
}

struct Stage<M: RecordMeta> {
    /// The transformation's class name, as error reports name it.
    class: String,
    transformation: Box<dyn Transformation<M>>,
    predicate: Option<Arc<dyn Predicate<M>>>,
    negate: bool,
}

/// The configured stages, in order.
pub struct TransformChain<M: RecordMeta> {
    stages: Vec<Stage<M>>,
}

/// Properties under `prefix`, prefix stripped.
fn sub_props(config: &Props, prefix: &str) -> Props {
    config
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
        .collect()
}

impl<M: ChainKind> TransformChain<M> {
    /// A chain with no stages.
    pub fn empty() -> Self {
        TransformChain { stages: Vec::new() }
    }

    /// Builds the chain of a connector config; errors name the alias and key.
    pub fn from_config(plugins: &PluginRegistry, config: &Props) -> ConnectResult<Self> {
        let mut predicates: Vec<(String, Arc<dyn Predicate<M>>)> = Vec::new();
        for alias in parse_list(config.get("predicates").map(String::as_str).unwrap_or("")) {
            let prefix = format!("predicates.{alias}.");
            let props = sub_props(config, &prefix);
            let class = props.get("type").ok_or_else(|| {
                ConnectError::config(format!(
                    "Missing required configuration \"{prefix}type\" which has no default value."
                ))
            })?;
            let plugin = plugins.predicate(class).map_err(|e| {
                ConnectError::config(format!(
                    "Invalid value {class} for configuration {prefix}type: {e}"
                ))
            })?;
            let mut p = M::new_predicate(plugin);
            p.configure(&props)
                .map_err(|e| ConnectError::config(format!("predicate {alias}: {e}")))?;
            predicates.push((alias, Arc::from(p)));
        }
        let mut stages = Vec::new();
        for alias in parse_list(config.get("transforms").map(String::as_str).unwrap_or("")) {
            let prefix = format!("transforms.{alias}.");
            let mut props = sub_props(config, &prefix);
            // `predicate` and `negate` belong to the stage, not the transformation.
            let predicate_alias = props.remove("predicate");
            let negate = match props.remove("negate") {
                None => false,
                Some(v) if v.trim().eq_ignore_ascii_case("true") => true,
                Some(v) if v.trim().eq_ignore_ascii_case("false") => false,
                Some(v) => return Err(ConnectError::config(format!("Invalid value {v} for configuration {prefix}negate: Expected value to be either true or false"))),
            };
            let class = props.get("type").ok_or_else(|| {
                ConnectError::config(format!(
                    "Missing required configuration \"{prefix}type\" which has no default value."
                ))
            })?;
            let plugin = plugins.transformation(class).map_err(|e| {
                ConnectError::config(format!(
                    "Invalid value {class} for configuration {prefix}type: {e}"
                ))
            })?;
            let mut t = M::new_transformation(plugin);
            t.configure(&props)
                .map_err(|e| ConnectError::config(format!("transformation {alias}: {e}")))?;
            let predicate = match predicate_alias.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None if negate => return Err(ConnectError::config(format!("Invalid value true for configuration {prefix}negate: requires {prefix}predicate to be set"))),
                None => None,
                Some(p) => Some(
                    predicates
                        .iter()
                        .find(|(a, _)| a == p)
                        .map(|(_, pred)| pred.clone())
                        .ok_or_else(|| ConnectError::config(format!("Invalid value {p} for configuration {prefix}predicate: no such predicate alias in 'predicates'")))?,
                ),
            };
            stages.push(Stage {
                class: plugin.class_name.to_string(),
                transformation: t,
                predicate,
                negate,
            });
        }
        Ok(TransformChain { stages })
    }

    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Runs the record through every stage; `None` once a stage drops it.
    pub fn apply(&self, mut record: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>> {
        Ok(self.apply_mut(&mut record)?.keep(record))
    }

    /// [`TransformChain::apply`] on the caller's record, rewritten in place by each stage
    /// ([`Transformation::apply_mut`]); after [`Outcome::Drop`] or an error its contents are
    /// unspecified.
    pub fn apply_mut(&self, record: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        for stage in &self.stages {
            if stage.apply_mut(record)? == Outcome::Drop {
                return Ok(Outcome::Drop);
            }
        }
        Ok(Outcome::Keep)
    }
}

impl<M: ChainKind + Clone> TransformChain<M> {
    /// [`TransformChain::apply_tolerant_mut`] by value.
    pub async fn apply_tolerant<O: Original>(
        &self,
        mut record: ConnectRecord<M>,
        ops: &Operator<O>,
        original: Option<&O>,
    ) -> ConnectResult<Option<ConnectRecord<M>>> {
        Ok(self
            .apply_tolerant_mut(&mut record, ops, original)
            .await?
            .keep(record))
    }

    /// [`TransformChain::apply_mut`] with the connector's `errors.*` settings (Java:
    /// `TransformationChain#apply` runs each stage, predicate included, in the operator with
    /// stage `TRANSFORMATION`): [`Outcome::Drop`] when a stage dropped the record or failed
    /// with a tolerated error, which has then been reported with `original`. After
    /// `Drop` or an error the record's contents are unspecified.
    pub async fn apply_tolerant_mut<O: Original>(
        &self,
        record: &mut ConnectRecord<M>,
        ops: &Operator<O>,
        original: Option<&O>,
    ) -> ConnectResult<Outcome> {
        if !ops.may_retry() {
            // Each attempt runs once (`errors.retry.timeout=0`, the default): the stages
            // edit the record in place, with no copy kept for a second attempt.
            for stage in &self.stages {
                match stage.apply_mut(record) {
                    Ok(Outcome::Keep) => {}
                    Ok(Outcome::Drop) => return Ok(Outcome::Drop),
                    Err(e) => {
                        let mut attempts = ops.attempts(ErrorStage::Transformation);
                        // `None` (try again) needs a retry timeout, which this path excludes;
                        // the record is half-transformed either way, as in the loop below.
                        let e = attempts.failed(e).await.unwrap_or_else(|| {
                            ConnectError::connect("the record was consumed by a failed attempt")
                        });
                        let failure = ops.failure(ErrorStage::Transformation, &stage.class, e);
                        ops.fail(failure, original)?;
                        return Ok(Outcome::Drop);
                    }
                }
            }
            return Ok(Outcome::Keep);
        }
        // A stage that may run again works on a copy, so that a retry sees the stage's
        // input.
        for stage in &self.stages {
            let result = crate::attempt!(ops, ErrorStage::Transformation, &stage.class, {
                let mut attempt = record.clone();
                stage.apply_mut(&mut attempt).map(|o| o.keep(attempt))
            });
            match result {
                Ok(Some(r)) => *record = r,
                Ok(None) => return Ok(Outcome::Drop),
                Err(failure) => {
                    ops.fail(failure, original)?;
                    return Ok(Outcome::Drop);
                }
            }
        }
        Ok(Outcome::Keep)
    }
}

impl<M: RecordMeta> Stage<M> {
    fn apply_mut(&self, record: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        let applies = match &self.predicate {
            None => true,
            Some(p) => p.test(record)? != self.negate,
        };
        if applies {
            self.transformation.apply_mut(record)
        } else {
            Ok(Outcome::Keep)
        }
    }
}

impl<M: RecordMeta> Drop for TransformChain<M> {
    fn drop(&mut self) {
        for s in &mut self.stages {
            s.transformation.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::config::ConfigDef;
    use rconnect_sdk::data::Value;
    use rconnect_sdk::record::SourceRecord;

    /// Appends a configured suffix to the topic.
    struct Suffix(String);
    impl<M: RecordMeta> Transformation<M> for Suffix {
        fn configure(&mut self, props: &Props) -> ConnectResult<()> {
            self.0 = props
                .get("suffix")
                .cloned()
                .ok_or_else(|| ConnectError::config("suffix missing"))?;
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }
        fn apply(&self, mut r: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>> {
            r.topic = format!("{}{}", r.topic, self.0).into();
            Ok(Some(r))
        }
    }

    /// True for topics starting with a configured prefix.
    struct Prefix(String);
    impl<M: RecordMeta> Predicate<M> for Prefix {
        fn configure(&mut self, props: &Props) -> ConnectResult<()> {
            self.0 = props.get("prefix").cloned().unwrap_or_default();
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }
        fn test(&self, r: &ConnectRecord<M>) -> ConnectResult<bool> {
            Ok(r.topic.starts_with(&self.0))
        }
    }

    /// Fails on topics named `bad`, retriably on topics named `busy`.
    struct Picky;
    impl<M: RecordMeta> Transformation<M> for Picky {
        fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new()
        }
        fn apply(&self, r: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>> {
            match r.topic.as_str() {
                "bad" => Err(ConnectError::data("Only Struct objects supported")),
                "busy" => Err(ConnectError::retriable("try later")),
                _ => Ok(Some(r)),
            }
        }
    }

    fn registry() -> PluginRegistry {
        let mut r = PluginRegistry::new();
        r.register_transformation(TransformationPlugin {
            class_name: "test.Picky$Value".into(),
            version: "1".into(),
            for_source: Arc::new(|| Box::new(Picky)),
            for_sink: Arc::new(|| Box::new(Picky)),
        });
        r.register_transformation(TransformationPlugin {
            class_name: "test.Suffix".into(),
            version: "1".into(),
            for_source: Arc::new(|| Box::new(Suffix(String::new()))),
            for_sink: Arc::new(|| Box::new(Suffix(String::new()))),
        });
        r.register_predicate(PredicatePlugin {
            class_name: "test.Prefix".into(),
            version: "1".into(),
            for_source: Arc::new(|| Box::new(Prefix(String::new()))),
            for_sink: Arc::new(|| Box::new(Prefix(String::new()))),
        });
        r
    }

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn rec(topic: &str) -> SourceRecord {
        SourceRecord::new(None, None, topic, None, Value::Null)
    }

    #[test]
    fn stages_run_in_order_with_predicates_and_negate() {
        let config = props(&[
            ("transforms", "a, b"),
            ("transforms.a.type", "Suffix"),
            ("transforms.a.suffix", "-x"),
            ("transforms.b.type", "test.Suffix"),
            ("transforms.b.suffix", "-y"),
            ("transforms.b.predicate", "isLogs"),
            ("transforms.b.negate", "true"),
            ("predicates", "isLogs"),
            ("predicates.isLogs.type", "Prefix"),
            ("predicates.isLogs.prefix", "logs"),
        ]);
        let chain = TransformChain::<SourceMeta>::from_config(&registry(), &config).unwrap();
        assert_eq!(chain.apply(rec("logs")).unwrap().unwrap().topic, "logs-x");
        assert_eq!(
            chain.apply(rec("metrics")).unwrap().unwrap().topic,
            "metrics-x-y"
        );
    }

    fn operator(tolerance: crate::errors::Tolerance, timeout_ms: i64) -> Operator<SourceRecord> {
        Operator::new(
            crate::errors::ErrorConfig {
                tolerance,
                retry: crate::errors::RetryPolicy {
                    timeout_ms,
                    max_delay_ms: 100,
                },
                ..Default::default()
            },
            rconnect_sdk::stop::StopSignal::never(),
            Vec::new(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn stage_failures_follow_errors_tolerance() {
        use crate::errors::Tolerance;
        let config = props(&[
            ("transforms", "a,p"),
            ("transforms.a.type", "Suffix"),
            ("transforms.a.suffix", ""),
            ("transforms.p.type", "test.Picky$Value"),
        ]);
        let chain = TransformChain::<SourceMeta>::from_config(&registry(), &config).unwrap();
        let all = operator(Tolerance::All, 0);
        assert!(chain
            .apply_tolerant(rec("ok"), &all, None)
            .await
            .unwrap()
            .is_some());
        assert!(chain
            .apply_tolerant(rec("bad"), &all, None)
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            all.counts
                .skipped
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        let none = operator(Tolerance::None, 0);
        let original = rec("bad");
        let e = chain
            .apply_tolerant(rec("bad"), &none, Some(&original))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("Tolerance exceeded in error handler\nCaused by: org.apache.kafka.connect.errors.DataException: Only Struct objects supported\n\tat stage 'TRANSFORMATION' with class 'test.Picky$Value'"), "{e}");
        // Retried (the record kept for each attempt) until the timeout, then a failure.
        let retrying = operator(Tolerance::None, 1000);
        assert!(chain
            .apply_tolerant(rec("busy"), &retrying, None)
            .await
            .is_err());
        let retrying = operator(Tolerance::All, 1000);
        assert!(chain
            .apply_tolerant(rec("busy"), &retrying, None)
            .await
            .unwrap()
            .is_none());
    }

    #[test]
    fn config_errors_name_the_key() {
        let reg = registry();
        let err = |pairs: &[(&str, &str)]| {
            TransformChain::<SinkMeta>::from_config(&reg, &props(pairs))
                .err()
                .unwrap()
                .to_string()
        };
        assert!(err(&[("transforms", "a")]).contains("transforms.a.type"));
        assert!(err(&[("transforms", "a"), ("transforms.a.type", "Nope")])
            .contains("transforms.a.type"));
        assert!(err(&[
            ("transforms", "a"),
            ("transforms.a.type", "Suffix"),
            ("transforms.a.suffix", "s"),
            ("transforms.a.negate", "true")
        ])
        .contains("transforms.a.negate"));
        assert!(err(&[
            ("transforms", "a"),
            ("transforms.a.type", "Suffix"),
            ("transforms.a.suffix", "s"),
            ("transforms.a.predicate", "p")
        ])
        .contains("transforms.a.predicate"));
    }
}
