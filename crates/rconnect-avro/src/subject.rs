//! Subject name strategies (Java `io.confluent.kafka.serializers.subject.*`).

use crate::schema::{AvroSchema, Kind};
use crate::AvroError;

const PACKAGE: &str = "io.confluent.kafka.serializers.subject.";

/// Which subject a schema is registered under.
///
/// ```
/// use rconnect_avro::subject::SubjectNameStrategy;
/// let s = SubjectNameStrategy::from_class("io.confluent.kafka.serializers.subject.TopicNameStrategy").unwrap();
/// assert_eq!(s, SubjectNameStrategy::TopicName);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` / `<topic>-value` (the default).
    #[default]
    TopicName,
    /// The full name of the top-level record.
    RecordName,
    /// `<topic>-<record full name>`.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// Parses a Java class name (the simple name is accepted too).
    pub fn from_class(class: &str) -> Option<Self> {
        let simple = class.trim().strip_prefix(PACKAGE).unwrap_or(class.trim());
        Some(match simple {
            "TopicNameStrategy" => SubjectNameStrategy::TopicName,
            "RecordNameStrategy" => SubjectNameStrategy::RecordName,
            "TopicRecordNameStrategy" => SubjectNameStrategy::TopicRecordName,
            _ => return None,
        })
    }

    /// The Java class name.
    pub fn class_name(self) -> &'static str {
        match self {
            SubjectNameStrategy::TopicName => {
                "io.confluent.kafka.serializers.subject.TopicNameStrategy"
            }
            SubjectNameStrategy::RecordName => {
                "io.confluent.kafka.serializers.subject.RecordNameStrategy"
            }
            SubjectNameStrategy::TopicRecordName => {
                "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
            }
        }
    }

    /// Whether the subject depends on the schema (then a reader fetches the schema first).
    pub fn uses_schema(self) -> bool {
        self != SubjectNameStrategy::TopicName
    }

    /// The subject for a record of `topic` written with `schema`.
    pub fn subject(
        self,
        topic: &str,
        is_key: bool,
        schema: &AvroSchema,
    ) -> Result<String, AvroError> {
        let suffix = if is_key { "key" } else { "value" };
        let record_name = || {
            match &schema.kind {
            Kind::Record { name, .. } => Ok(name.full()),
            _ => Err(AvroError::Data(format!(
                "In configuration {suffix}.subject.name.strategy = {}, the message {suffix} must only be a record schema",
                self.class_name()
            ))),
        }
        };
        Ok(match self {
            SubjectNameStrategy::TopicName => format!("{topic}-{suffix}"),
            SubjectNameStrategy::RecordName => record_name()?,
            SubjectNameStrategy::TopicRecordName => format!("{topic}-{}", record_name()?),
        })
    }
}
