//! Java `ExtractField`: replaces the key or value with one of its fields, named by a plain
//! field name (`field.syntax.version=V1`) or a dotted path (`V2`).

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance, Validator};
use rconnect_sdk::data::Value;
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::field_path::FieldPath;
use crate::util::{self, field_value, map_get, require_map, require_struct, Side};

const PURPOSE: &str = "field extraction";

#[derive(Debug)]
pub struct ExtractField {
    side: Side,
    path: FieldPath,
    replace_null_with_default: bool,
}

impl ExtractField {
    pub fn new(side: Side) -> Self {
        ExtractField {
            side,
            path: FieldPath::v1(""),
            replace_null_with_default: true,
        }
    }

    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new("field", ConfigType::String, Default::Required, Importance::Medium, "Field name to extract."))
            .define(
                ConfigKey::new("field.syntax.version", ConfigType::String, Default::Value("V1".into()), Importance::High, "Defines the version of the syntax to access fields. If set to `V1`, then the field paths are limited to access the elements at the root level of the struct or map. If set to `V2`, the syntax will support accessing nested elements.")
                    .validator(Validator::CaseInsensitiveValidString(vec!["V1".into(), "V2".into()])),
            )
            .define(util::replace_null_key())
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        let field = c.string("field").unwrap_or_default();
        let v2 = c
            .string("field.syntax.version")
            .is_some_and(|v| v.eq_ignore_ascii_case("V2"));
        self.path = if v2 {
            FieldPath::v2(&field).map_err(ConnectError::config)?
        } else {
            FieldPath::v1(&field)
        };
        self.replace_null_with_default = c.boolean(util::REPLACE_NULL_WITH_DEFAULT);
        Ok(())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        let (schema, value) = self.side.get(r);
        match schema.cloned() {
            None => {
                let out = if value.is_null() {
                    Value::Null
                } else {
                    let mut cur = require_map(value, PURPOSE)?;
                    let mut out = Value::Null;
                    let n = self.path.steps.len();
                    for (i, step) in self.path.steps.iter().enumerate() {
                        let v = map_get(cur, step);
                        if i + 1 == n {
                            out = v.cloned().unwrap_or(Value::Null);
                            break;
                        }
                        match v {
                            None | Some(Value::Null) => break,
                            Some(x) => cur = nested_map(x)?,
                        }
                    }
                    out
                };
                self.side.put_back(r, None, out);
                Ok(Outcome::Keep)
            }
            Some(s) => {
                let mut cur = if value.is_null() {
                    None
                } else {
                    Some(require_struct(value, PURPOSE)?)
                };
                let mut field_schema = s.clone();
                let mut indices = Vec::new();
                for step in &self.path.steps {
                    let f = field_schema.field(step).ok_or_else(|| {
                        ConnectError::data(format!("Unknown field: {}", self.path.original))
                    })?;
                    indices.push(f.index);
                    field_schema = f.schema.clone();
                }
                let mut out = Value::Null;
                for (i, idx) in indices.iter().enumerate() {
                    let Some(st) = cur else { break };
                    if i + 1 == indices.len() {
                        out = field_value(st, *idx, self.replace_null_with_default);
                    } else {
                        // Java `SingleFieldPath.valueFrom` reads intermediate steps with
                        // `Struct.get`.
                        cur = st.get_at(*idx).as_struct();
                    }
                }
                self.side.put_back(r, Some(field_schema), out);
                Ok(Outcome::Keep)
            }
        }
    }
}

/// An intermediate step of a schemaless path must be a map (Java `SingleFieldPath`).
fn nested_map(v: &Value) -> ConnectResult<&[(Value, Value)]> {
    require_map(v, "nested field access")
}

crate::transformation!(ExtractField);
