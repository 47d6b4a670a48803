//! The single message transformations and predicates Apache Kafka Connect ships in
//! `connect-transforms`, under Java's class names (`org.apache.kafka.connect.transforms.Cast$Value`,
//! `...predicates.TopicNameMatches`), with Java's configs, results and error messages.
//!
//! The worker registers [`transformations`] and [`predicates`] next to the plugins it loads,
//! so a connector config copied from a Java cluster works unchanged:
//!
//! ```
//! use rconnect_sdk::data::{Schema, Value};
//! use rconnect_sdk::record::SourceRecord;
//! use rconnect_sdk::Props;
//!
//! let plugin = rconnect_transforms::transformations()
//!     .into_iter()
//!     .find(|t| t.class_name == "org.apache.kafka.connect.transforms.HoistField$Value")
//!     .unwrap();
//! let mut t = (plugin.new_source)();
//! let props: Props = [("field".to_string(), "line".to_string())].into();
//! t.configure(&props).unwrap();
//! let r = SourceRecord::new(None, None, "lines", Some(Schema::string()), Value::from("hi"));
//! let out = t.apply(r).unwrap().unwrap();
//! assert_eq!(out.value.to_string(), "Struct{line=hi}");
//! ```

use rconnect_sdk::record::{SinkMeta, SourceMeta};
use rconnect_sdk::transform::{Predicate, Transformation};

/// Implements `Transformation<M>` for every record kind from inherent `configure_props`,
/// `definition` and `transform` methods; `transform` rewrites the record in place
/// (`apply_mut`), and `apply` is written with it.
macro_rules! transformation {
    ($t:ty) => {
        impl<M: rconnect_sdk::record::RecordMeta> rconnect_sdk::transform::Transformation<M>
            for $t
        {
            fn configure(
                &mut self,
                props: &rconnect_sdk::Props,
            ) -> rconnect_sdk::ConnectResult<()> {
                self.configure_props(props)
            }
            fn config_def(&self) -> rconnect_sdk::config::ConfigDef {
                Self::definition()
            }
            fn apply(
                &self,
                mut record: rconnect_sdk::record::ConnectRecord<M>,
            ) -> rconnect_sdk::ConnectResult<Option<rconnect_sdk::record::ConnectRecord<M>>> {
                Ok(self.transform(&mut record)?.keep(record))
            }
            fn apply_mut(
                &self,
                record: &mut rconnect_sdk::record::ConnectRecord<M>,
            ) -> rconnect_sdk::ConnectResult<rconnect_sdk::transform::Outcome> {
                self.transform(record)
            }
        }
    };
}
pub(crate) use transformation;

mod cast;
pub mod date_format;
mod drop_headers;
mod extract_field;
pub mod field_path;
mod filter;
mod flatten;
mod header_from;
mod hoist_field;
mod insert_field;
mod insert_header;
pub mod java_regex;
mod mask_field;
mod predicates;
mod regex_router;
mod replace_field;
mod set_schema_metadata;
mod timestamp_converter;
mod timestamp_router;
pub mod util;
mod value_to_key;

pub use cast::Cast;
pub use drop_headers::DropHeaders;
pub use extract_field::ExtractField;
pub use filter::Filter;
pub use flatten::Flatten;
pub use header_from::HeaderFrom;
pub use hoist_field::HoistField;
pub use insert_field::InsertField;
pub use insert_header::InsertHeader;
pub use mask_field::MaskField;
pub use predicates::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};
pub use regex_router::RegexRouter;
pub use replace_field::ReplaceField;
pub use set_schema_metadata::SetSchemaMetadata;
pub use timestamp_converter::TimestampConverter;
pub use timestamp_router::TimestampRouter;
pub use util::Side;
pub use value_to_key::ValueToKey;

/// The version Java's built-in transformations report (`AppInfoParser.getVersion()`).
pub const VERSION: &str = "3.9.0";

/// A built-in transformation: its Java class name and a constructor per record kind.
pub struct BuiltinTransformation {
    pub class_name: &'static str,
    pub version: &'static str,
    pub new_source: fn() -> Box<dyn Transformation<SourceMeta>>,
    pub new_sink: fn() -> Box<dyn Transformation<SinkMeta>>,
}

/// A built-in predicate: its Java class name and a constructor per record kind.
pub struct BuiltinPredicate {
    pub class_name: &'static str,
    pub version: &'static str,
    pub new_source: fn() -> Box<dyn Predicate<SourceMeta>>,
    pub new_sink: fn() -> Box<dyn Predicate<SinkMeta>>,
}

macro_rules! builtin {
    ($name:expr, $ctor:expr) => {
        BuiltinTransformation {
            class_name: concat!("org.apache.kafka.connect.transforms.", $name),
            version: VERSION,
            new_source: || Box::new($ctor),
            new_sink: || Box::new($ctor),
        }
    };
}

macro_rules! keyed {
    ($name:literal, $ctor:path) => {
        [
            builtin!(concat!($name, "$Key"), $ctor(Side::Key)),
            builtin!(concat!($name, "$Value"), $ctor(Side::Value)),
        ]
    };
}

/// Every built-in transformation (Java's `connect-transforms` 3.9), `$Key` and `$Value`
/// variants as separate classes, as Java lists them.
pub fn transformations() -> Vec<BuiltinTransformation> {
    let mut v = Vec::with_capacity(26);
    v.extend(keyed!("Cast", Cast::new));
    v.extend([builtin!("DropHeaders", DropHeaders::default())]);
    v.extend(keyed!("ExtractField", ExtractField::new));
    v.extend([builtin!("Filter", Filter)]);
    v.extend(keyed!("Flatten", Flatten::new));
    v.extend(keyed!("HeaderFrom", HeaderFrom::new));
    v.extend(keyed!("HoistField", HoistField::new));
    v.extend(keyed!("InsertField", InsertField::new));
    v.extend([builtin!("InsertHeader", InsertHeader::default())]);
    v.extend(keyed!("MaskField", MaskField::new));
    v.extend([builtin!("RegexRouter", RegexRouter::default())]);
    v.extend(keyed!("ReplaceField", ReplaceField::new));
    v.extend(keyed!("SetSchemaMetadata", SetSchemaMetadata::new));
    v.extend(keyed!("TimestampConverter", TimestampConverter::new));
    v.extend([builtin!("TimestampRouter", TimestampRouter::default())]);
    v.extend([builtin!("ValueToKey", ValueToKey::default())]);
    v
}

macro_rules! predicate {
    ($name:literal, $ctor:expr) => {
        BuiltinPredicate {
            class_name: concat!("org.apache.kafka.connect.transforms.predicates.", $name),
            version: VERSION,
            new_source: || Box::new($ctor),
            new_sink: || Box::new($ctor),
        }
    };
}

/// Every built-in predicate.
pub fn predicates() -> Vec<BuiltinPredicate> {
    vec![
        predicate!("HasHeaderKey", HasHeaderKey::default()),
        predicate!("RecordIsTombstone", RecordIsTombstone),
        predicate!("TopicNameMatches", TopicNameMatches::default()),
    ]
}
