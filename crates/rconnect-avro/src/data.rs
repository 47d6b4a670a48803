//! The Connect ↔ Avro mapping (Java: `io.confluent.connect.avro.AvroData`, 7.0), with the
//! Avro binary encoding done in the same walk: a Connect value is written straight to Avro
//! bytes and read straight back, with no intermediate generic Avro value.

use std::collections::HashMap;
use std::sync::Arc;

use rconnect_sdk::data::logical::{
    self, DATE_NAME, DECIMAL_NAME, MILLIS_PER_DAY, TIMESTAMP_NAME, TIME_NAME,
};
use rconnect_sdk::data::{Schema, SchemaBuilder, SchemaRef, Struct, Type, Value};
use rconnect_sdk::java_hash_map::{into_iteration_order, spread, string_hash};

use crate::codec::{self, Reader};
use crate::json::Json;
use crate::schema::{AvroSchema, Field as AvroField, Kind, Name, ParsedSchema};
use crate::AvroError;

pub const NAMESPACE: &str = "io.confluent.connect.avro";
pub const DEFAULT_SCHEMA_NAME: &str = "ConnectDefault";
pub const DEFAULT_SCHEMA_FULL_NAME: &str = "io.confluent.connect.avro.ConnectDefault";
pub const MAP_ENTRY_TYPE_NAME: &str = "MapEntry";
pub const CONNECT_NAME_PROP: &str = "connect.name";
pub const CONNECT_DOC_PROP: &str = "connect.doc";
pub const CONNECT_RECORD_DOC_PROP: &str = "connect.record.doc";
pub const CONNECT_ENUM_DOC_PROP: &str = "connect.enum.doc";
pub const CONNECT_VERSION_PROP: &str = "connect.version";
pub const CONNECT_DEFAULT_VALUE_PROP: &str = "connect.default";
pub const CONNECT_PARAMETERS_PROP: &str = "connect.parameters";
pub const CONNECT_INTERNAL_TYPE_NAME: &str = "connect.internal.type";
pub const AVRO_RECORD_DOC_PROP: &str = "io.confluent.connect.avro.record.doc";
pub const AVRO_ENUM_DOC_PREFIX_PROP: &str = "io.confluent.connect.avro.enum.doc.";
pub const AVRO_FIELD_DOC_PREFIX_PROP: &str = "io.confluent.connect.avro.field.doc.";
pub const AVRO_FIELD_DEFAULT_FLAG_PROP: &str = "io.confluent.connect.avro.field.default";
pub const AVRO_ENUM_DEFAULT_PREFIX_PROP: &str = "io.confluent.connect.avro.enum.default.";
pub const CONNECT_TYPE_PROP: &str = "connect.type";
pub const AVRO_TYPE_UNION: &str = "io.confluent.connect.avro.Union";
pub const AVRO_TYPE_ENUM: &str = "io.confluent.connect.avro.Enum";
pub const CONNECT_AVRO_FIXED_SIZE_PROP: &str = "connect.fixed.size";
pub const CONNECT_AVRO_DECIMAL_PRECISION_PROP: &str = "connect.decimal.precision";
const DECIMAL_PRECISION_DEFAULT: i64 = 64;
const LOGICAL_TYPE_PROP: &str = "logicalType";

/// The AvroData settings (Java `AvroDataConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct AvroDataConfig {
    /// `connect.meta.data` (default true).
    pub connect_meta_data: bool,
    /// `enhanced.avro.schema.support` (default false).
    pub enhanced_schema_support: bool,
    /// `scrub.invalid.names` (default false).
    pub scrub_invalid_names: bool,
    /// `allow.optional.map.keys` (default false).
    pub allow_optional_map_keys: bool,
    /// `discard.type.doc.default` (default false).
    pub discard_type_doc_default: bool,
    /// `schemas.cache.config` (default 1000).
    pub schemas_cache_size: usize,
}

impl Default for AvroDataConfig {
    fn default() -> Self {
        AvroDataConfig {
            connect_meta_data: true,
            enhanced_schema_support: false,
            scrub_invalid_names: false,
            allow_optional_map_keys: false,
            discard_type_doc_default: false,
            schemas_cache_size: 1000,
        }
    }
}

/// Converts schemas and values between Connect and Avro.
///
/// ```
/// use rconnect_avro::data::{AvroData, AvroDataConfig};
/// use rconnect_sdk::data::{Schema, SchemaBuilder};
///
/// let data = AvroData::new(AvroDataConfig::default());
/// let schema = SchemaBuilder::struct_().name("com.example.User").version(1)
///     .field("id", Schema::int64()).field("name", Schema::optional_string()).build();
/// let avro = data.from_connect_schema(&schema).unwrap();
/// assert_eq!(rconnect_avro::schema::to_json_text(&avro).unwrap(),
///     r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"long"},{"name":"name","type":["null","string"],"default":null}],"connect.version":1,"connect.name":"com.example.User"}"#);
/// ```
#[derive(Debug, Clone, Default)]
pub struct AvroData {
    pub config: AvroDataConfig,
}

#[derive(Default)]
struct FromCtx {
    name_index: u32,
    /// Non-optional Connect schemas converted so far (Java `FromConnectContext.schemaMap`).
    seen: Vec<(Schema, AvroSchema)>,
    /// Named structs by Connect name (Java `cycleReferences`); `None` while being built.
    cycle: HashMap<String, Option<AvroSchema>>,
}

fn is_valid_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Java `AvroData#doScrubName`: names that are not valid Avro names are URL-encoded, then
/// every character that is still invalid becomes `_`; a leading digit gets an `x` prefix.
pub fn scrub_name(name: &str) -> String {
    if name.is_empty() {
        return name.to_string();
    }
    let ok = name.chars().all(is_valid_name_char) && !name.as_bytes()[0].is_ascii_digit();
    if ok {
        return name.to_string();
    }
    // java.net.URLEncoder (UTF-8): unreserved `a-zA-Z0-9.-*_`, space as `+`, the rest %XX.
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                encoded.push(b as char)
            }
            b' ' => encoded.push('+'),
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    if encoded.as_bytes()[0].is_ascii_digit() {
        encoded.insert(0, 'x');
    }
    encoded
        .chars()
        .map(|c| if is_valid_name_char(c) { c } else { '_' })
        .collect()
}

impl AvroData {
    pub fn new(config: AvroDataConfig) -> Self {
        AvroData { config }
    }

    fn scrub(&self, name: &str) -> String {
        if self.config.scrub_invalid_names {
            scrub_name(name)
        } else {
            name.to_string()
        }
    }

    /// Java `splitName`: namespace (everything before the last `.`) and name, each part
    /// scrubbed when `scrub.invalid.names` is set.
    fn split_name(&self, full: &str) -> Name {
        let parts: Vec<String> = full.split('.').map(|p| self.scrub(p)).collect();
        if parts.len() <= 1 {
            Name {
                name: parts.into_iter().next().unwrap_or_default(),
                namespace: None,
            }
        } else {
            let (last, ns) = parts.split_last().expect("two parts or more");
            Name {
                name: last.clone(),
                namespace: Some(ns.join(".")),
            }
        }
    }

    fn name_or_default(&self, ctx: &mut FromCtx, name: Option<&str>) -> Name {
        match name {
            Some(n) => self.split_name(n),
            None => {
                ctx.name_index += 1;
                let i = ctx.name_index;
                Name {
                    name: if i > 1 {
                        format!("{DEFAULT_SCHEMA_NAME}{i}")
                    } else {
                        DEFAULT_SCHEMA_NAME.to_string()
                    },
                    namespace: Some(NAMESPACE.to_string()),
                }
            }
        }
    }

    /// A Connect schema as an Avro schema (Java `AvroData#fromConnectSchema`).
    pub fn from_connect_schema(&self, schema: &Schema) -> Result<AvroSchema, AvroError> {
        let mut ctx = FromCtx::default();
        self.from_connect(schema, &mut ctx, false)
    }

    fn from_connect_with_cycle(
        &self,
        schema: &Schema,
        ctx: &mut FromCtx,
        ignore_optional: bool,
    ) -> Result<AvroSchema, AvroError> {
        if let Some(name) = &schema.name {
            if let Some(entry) = ctx.cycle.get(name) {
                let resolved = match entry {
                    Some(s) => s.clone(),
                    None => AvroSchema::new(Kind::Ref(self.split_name(name).full())),
                };
                return Ok(if ignore_optional {
                    resolved
                } else {
                    maybe_make_optional(schema, resolved)
                });
            }
        }
        self.from_connect(schema, ctx, ignore_optional)
    }

    fn from_connect(
        &self,
        schema: &Schema,
        ctx: &mut FromCtx,
        ignore_optional: bool,
    ) -> Result<AvroSchema, AvroError> {
        let is_union = schema.name.as_deref() == Some(AVRO_TYPE_UNION);
        if !is_union && !schema.optional {
            if let Some((_, s)) = ctx.seen.iter().find(|(c, _)| c == schema) {
                return Ok(s.clone());
            }
        }
        let params = schema.parameters.as_ref();
        let param = |k: &str| params.and_then(|p| p.get(k)).map(String::as_str);
        let mut connect_type = None;
        let mut base = match schema.schema_type {
            Type::Int8 => {
                connect_type = Some("int8");
                AvroSchema::new(Kind::Int)
            }
            Type::Int16 => {
                connect_type = Some("int16");
                AvroSchema::new(Kind::Int)
            }
            Type::Int32 => AvroSchema::new(Kind::Int),
            Type::Int64 => AvroSchema::new(Kind::Long),
            Type::Float32 => AvroSchema::new(Kind::Float),
            Type::Float64 => AvroSchema::new(Kind::Double),
            Type::Boolean => AvroSchema::new(Kind::Boolean),
            Type::String => {
                if self.config.enhanced_schema_support && param(AVRO_TYPE_ENUM).is_some() {
                    let p = params.expect("checked above");
                    let symbols: Vec<String> = p
                        .iter()
                        .filter(|(k, _)| {
                            k.starts_with(AVRO_TYPE_ENUM)
                                && k.len() > AVRO_TYPE_ENUM.len()
                                && k.as_bytes()[AVRO_TYPE_ENUM.len()] == b'.'
                        })
                        .map(|(_, v)| v.clone())
                        .collect();
                    let local = self.name_or_default(ctx, schema.name.as_deref()).name;
                    let (doc, default) = if self.config.discard_type_doc_default {
                        (param(CONNECT_ENUM_DOC_PROP).map(str::to_string), None)
                    } else {
                        (
                            param(&format!("{AVRO_ENUM_DOC_PREFIX_PROP}{local}"))
                                .map(str::to_string),
                            param(&format!("{AVRO_ENUM_DEFAULT_PREFIX_PROP}{local}"))
                                .map(str::to_string),
                        )
                    };
                    // Java names the enum after the parameter, not the Connect name.
                    let enum_name =
                        self.split_name_unscrubbed(param(AVRO_TYPE_ENUM).unwrap_or_default());
                    AvroSchema::new(Kind::Enum {
                        name: enum_name,
                        doc,
                        symbols,
                        default,
                        aliases: Vec::new(),
                    })
                } else {
                    AvroSchema::new(Kind::String)
                }
            }
            Type::Bytes => {
                let mut b = if is_fixed_schema(schema) {
                    let name = self.name_or_default(ctx, schema.name.as_deref());
                    let size = param(CONNECT_AVRO_FIXED_SIZE_PROP)
                        .unwrap_or_default()
                        .parse::<usize>()
                        .map_err(|_| {
                            AvroError::Data(format!(
                                "Invalid {CONNECT_AVRO_FIXED_SIZE_PROP} parameter: {:?}",
                                param(CONNECT_AVRO_FIXED_SIZE_PROP)
                            ))
                        })?;
                    AvroSchema::new(Kind::Fixed {
                        name,
                        doc: None,
                        size,
                        aliases: Vec::new(),
                    })
                } else {
                    AvroSchema::new(Kind::Bytes)
                };
                if schema
                    .name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(DECIMAL_NAME))
                {
                    let scale = parse_int_param(param("scale"), "scale")?;
                    b.add_prop("scale", Json::Int(scale));
                    let precision = match param(CONNECT_AVRO_DECIMAL_PRECISION_PROP) {
                        Some(p) => parse_int_param(Some(p), CONNECT_AVRO_DECIMAL_PRECISION_PROP)?,
                        None => DECIMAL_PRECISION_DEFAULT,
                    };
                    b.add_prop("precision", Json::Int(precision));
                }
                b
            }
            Type::Array => {
                let items = schema
                    .value_schema
                    .as_ref()
                    .ok_or_else(|| AvroError::Data("Array schema has no value schema".into()))?;
                AvroSchema::new(Kind::Array(Box::new(
                    self.from_connect_with_cycle(items, ctx, false)?,
                )))
            }
            Type::Map => {
                let (ks, vs) = map_schemas(schema)?;
                if ks.schema_type == Type::String
                    && (!ks.optional || self.config.allow_optional_map_keys)
                {
                    AvroSchema::new(Kind::Map(Box::new(
                        self.from_connect_with_cycle(vs, ctx, false)?,
                    )))
                } else {
                    let (name, props) = match &schema.name {
                        None => (
                            Name {
                                name: MAP_ENTRY_TYPE_NAME.into(),
                                namespace: Some(NAMESPACE.into()),
                            },
                            Vec::new(),
                        ),
                        Some(n) => (
                            self.name_or_default(ctx, Some(n)),
                            vec![(
                                CONNECT_INTERNAL_TYPE_NAME.to_string(),
                                Json::Str(MAP_ENTRY_TYPE_NAME.into()),
                            )],
                        ),
                    };
                    let fields = vec![
                        self.record_field("key".into(), ks, None, ctx)?,
                        self.record_field("value".into(), vs, None, ctx)?,
                    ];
                    let entry = AvroSchema {
                        kind: Kind::Record {
                            name,
                            doc: None,
                            fields,
                            aliases: Vec::new(),
                        },
                        props,
                    };
                    AvroSchema::new(Kind::Array(Box::new(entry)))
                }
            }
            Type::Struct => {
                if is_union {
                    let mut branches = Vec::new();
                    if schema.optional {
                        branches.push(AvroSchema::new(Kind::Null));
                    }
                    for f in &schema.fields {
                        branches.push(self.from_connect_with_cycle(
                            &non_optional(&f.schema),
                            ctx,
                            true,
                        )?);
                    }
                    AvroSchema::new(Kind::Union(branches))
                } else if schema.optional {
                    let inner = self.from_connect_with_cycle(&non_optional(schema), ctx, false)?;
                    AvroSchema::new(Kind::Union(vec![AvroSchema::new(Kind::Null), inner]))
                } else {
                    let name = self.name_or_default(ctx, schema.name.as_deref());
                    let doc = param(if self.config.discard_type_doc_default {
                        CONNECT_RECORD_DOC_PROP
                    } else {
                        AVRO_RECORD_DOC_PROP
                    })
                    .map(str::to_string);
                    if let Some(n) = &schema.name {
                        ctx.cycle.insert(n.clone(), None);
                    }
                    let mut fields = Vec::with_capacity(schema.fields.len());
                    for f in &schema.fields {
                        let field_doc = if self.config.discard_type_doc_default {
                            None
                        } else {
                            param(&format!("{AVRO_FIELD_DOC_PREFIX_PROP}{}", f.name))
                                .map(str::to_string)
                        };
                        fields.push(self.record_field(
                            self.scrub(&f.name),
                            &f.schema,
                            field_doc,
                            ctx,
                        )?);
                    }
                    AvroSchema::new(Kind::Record {
                        name,
                        doc,
                        fields,
                        aliases: Vec::new(),
                    })
                }
            }
        };

        if matches!(base.kind, Kind::Union(_)) {
            if !schema.optional {
                ctx.seen.push((schema.clone(), base.clone()));
            }
            return Ok(base);
        }
        if self.config.connect_meta_data {
            if let Some(doc) = &schema.doc {
                base.add_prop(CONNECT_DOC_PROP, Json::Str(doc.clone()));
            }
            if let Some(v) = schema.version {
                base.add_prop(CONNECT_VERSION_PROP, Json::Int(v as i64));
            }
            if let Some(p) = params {
                let obj: Vec<(String, Json)> = p
                    .iter()
                    .filter(|(k, _)| {
                        self.config.discard_type_doc_default || *k != AVRO_FIELD_DEFAULT_FLAG_PROP
                    })
                    .map(|(k, v)| (k.clone(), Json::Str(v.clone())))
                    .collect();
                if !obj.is_empty() {
                    base.add_prop(CONNECT_PARAMETERS_PROP, Json::Object(obj));
                }
            }
            if let Some(d) = &schema.default_value {
                if self.config.discard_type_doc_default
                    || param(AVRO_FIELD_DEFAULT_FLAG_PROP).is_none()
                {
                    let j = self.default_from_connect(schema, d)?;
                    base.add_prop(CONNECT_DEFAULT_VALUE_PROP, j);
                }
            }
            if let Some(n) = &schema.name {
                base.add_prop(CONNECT_NAME_PROP, Json::Str(n.clone()));
            }
            if let Some(t) = connect_type {
                base.add_prop(CONNECT_TYPE_PROP, Json::Str(t.into()));
            }
        }
        let mut force_legacy_decimal = false;
        if let Some(n) = schema.name.as_deref() {
            if n.eq_ignore_ascii_case(DECIMAL_NAME) {
                let precision = match param(CONNECT_AVRO_DECIMAL_PRECISION_PROP) {
                    Some(p) => parse_int_param(Some(p), CONNECT_AVRO_DECIMAL_PRECISION_PROP)?,
                    None => DECIMAL_PRECISION_DEFAULT,
                };
                let scale = match param("scale") {
                    Some(s) => parse_int_param(Some(s), "scale")?,
                    None => 0,
                };
                if scale < 0 || scale > precision {
                    force_legacy_decimal = true;
                } else {
                    base.add_prop(LOGICAL_TYPE_PROP, Json::Str("decimal".into()));
                }
                if param(CONNECT_AVRO_DECIMAL_PRECISION_PROP).is_some() || force_legacy_decimal {
                    base.add_prop(LOGICAL_TYPE_PROP, Json::Str("decimal".into()));
                }
            } else if n.eq_ignore_ascii_case(TIME_NAME) {
                base.add_prop(LOGICAL_TYPE_PROP, Json::Str("time-millis".into()));
            } else if n.eq_ignore_ascii_case(TIMESTAMP_NAME) {
                base.add_prop(LOGICAL_TYPE_PROP, Json::Str("timestamp-millis".into()));
            } else if n.eq_ignore_ascii_case(DATE_NAME) {
                base.add_prop(LOGICAL_TYPE_PROP, Json::Str("date".into()));
            }
        }
        if let Some(p) = params {
            for (k, v) in p {
                if k.starts_with("avro") {
                    base.add_prop(k, Json::Str(v.clone()));
                }
            }
        }
        let fin = if ignore_optional {
            base
        } else {
            maybe_make_optional(schema, base)
        };
        if !schema.optional {
            ctx.seen.push((schema.clone(), fin.clone()));
        }
        if schema.schema_type == Type::Struct && !is_union {
            if let Some(n) = &schema.name {
                ctx.cycle.insert(n.clone(), Some(fin.clone()));
            }
        }
        Ok(fin)
    }

    fn split_name_unscrubbed(&self, full: &str) -> Name {
        match full.rfind('.') {
            Some(i) => Name {
                name: full[i + 1..].to_string(),
                namespace: Some(full[..i].to_string()),
            },
            None => Name {
                name: full.to_string(),
                namespace: None,
            },
        }
    }

    /// Java `addAvroRecordField`: the field default is the JSON of the Connect default (or
    /// null for an optional field); a default the field's Avro type cannot hold is dropped.
    fn record_field(
        &self,
        name: String,
        schema: &Schema,
        doc: Option<String>,
        ctx: &mut FromCtx,
    ) -> Result<AvroField, AvroError> {
        let default = match &schema.default_value {
            // Java passes the default through `JacksonUtils.toObject`, which reads every
            // floating-point node as a double.
            Some(d) => Some(widen_floats(self.default_from_connect(schema, d)?)),
            None if schema.optional => Some(Json::Null),
            None => None,
        };
        let avro = self.from_connect(schema, ctx, false)?;
        let default = match default {
            Some(d) if is_valid_default(&avro, &d) => Some(d),
            Some(_) => {
                tracing::warn!("Ignoring invalid default for field {name}");
                None
            }
            None => None,
        };
        Ok(AvroField {
            name,
            schema: avro,
            doc: if self.config.discard_type_doc_default {
                schema.doc.clone()
            } else {
                doc
            },
            default,
            order: None,
            aliases: Vec::new(),
            props: Vec::new(),
        })
    }

    /// Java `defaultValueFromConnect`.
    fn default_from_connect(&self, schema: &Schema, value: &Value) -> Result<Json, AvroError> {
        if value.is_null() {
            return Ok(Json::Null);
        }
        let bad = || {
            AvroError::Data(format!(
                "Invalid type used for default value of {} field: {}",
                schema.schema_type.java_name(),
                value.java_class()
            ))
        };
        let value = to_avro_logical(schema, value)?;
        Ok(match (schema.schema_type, &value) {
            (Type::Int8, Value::Int8(x)) => Json::Int(*x as i64),
            (Type::Int16, Value::Int16(x)) => Json::Int(*x as i64),
            (Type::Int32, Value::Int32(x)) => Json::Int(*x as i64),
            (Type::Int64, Value::Int64(x)) => Json::Int(*x),
            (Type::Float32, Value::Float32(x)) => Json::Float(*x),
            (Type::Float64, Value::Float64(x)) => Json::Double(*x),
            (Type::Boolean, Value::Boolean(b)) => Json::Bool(*b),
            (Type::String, Value::String(s)) => Json::Str(s.to_string()),
            (Type::Bytes, Value::Bytes(b)) => Json::Str(b.iter().map(|&c| c as char).collect()),
            (Type::Array, Value::Array(items)) => {
                let vs = schema.value_schema.as_ref().ok_or_else(bad)?;
                Json::Array(
                    items
                        .iter()
                        .map(|x| self.default_from_connect(vs, x))
                        .collect::<Result<_, _>>()?,
                )
            }
            (Type::Map, Value::Map(entries)) => {
                let (ks, vs) = map_schemas(schema)?;
                if ks.schema_type == Type::String
                    && (!ks.optional || self.config.allow_optional_map_keys)
                {
                    let mut obj: Vec<(String, Json)> = Vec::new();
                    for (k, v) in entries {
                        let key = k.as_str().ok_or_else(bad)?.to_string();
                        let j = self.default_from_connect(vs, v)?;
                        match obj.iter_mut().find(|(x, _)| *x == key) {
                            Some(slot) => slot.1 = j,
                            None => obj.push((key, j)),
                        }
                    }
                    Json::Object(obj)
                } else {
                    Json::Array(
                        entries
                            .iter()
                            .map(|(k, v)| {
                                Ok(Json::Array(vec![
                                    self.default_from_connect(ks, k)?,
                                    self.default_from_connect(vs, v)?,
                                ]))
                            })
                            .collect::<Result<_, AvroError>>()?,
                    )
                }
            }
            (Type::Struct, Value::Struct(s)) => {
                let is_union = schema.name.as_deref() == Some(AVRO_TYPE_UNION);
                let mut obj = Vec::new();
                for f in &schema.fields {
                    let j = self.default_from_connect(&f.schema, s.get_at(f.index))?;
                    if is_union {
                        return Ok(j);
                    }
                    obj.push((self.scrub(&f.name), j));
                }
                Json::Object(obj)
            }
            _ => return Err(bad()),
        })
    }

    // ------------------------------------------------------------------ Avro → Connect

    /// An Avro schema as a Connect schema (Java `AvroData#toConnectSchema`); `version` (the
    /// registry's version of the schema) applies to the top level unless the schema carries
    /// `connect.version`.
    pub fn to_connect_schema(
        &self,
        parsed: &ParsedSchema,
        version: Option<i32>,
    ) -> Result<SchemaRef, AvroError> {
        let mut stack = Vec::new();
        self.to_connect(parsed, &parsed.root, false, None, version, &mut stack)
    }

    fn to_connect(
        &self,
        parsed: &ParsedSchema,
        schema: &AvroSchema,
        force_optional: bool,
        field_default: Option<&Json>,
        version: Option<i32>,
        stack: &mut Vec<String>,
    ) -> Result<SchemaRef, AvroError> {
        if let Kind::Ref(n) = &schema.kind {
            if stack.contains(n) {
                return Err(AvroError::Data(format!(
                    "Recursive Avro schemas cannot be represented in Connect: {n} contains itself"
                )));
            }
        }
        let schema = parsed.resolve(schema)?;
        let cfg = &self.config;
        let ctype = schema.prop_str(CONNECT_TYPE_PROP);
        let logical = schema.prop_str(LOGICAL_TYPE_PROP);
        let mut b = match &schema.kind {
            Kind::Boolean => SchemaBuilder::boolean(),
            Kind::Bytes | Kind::Fixed { .. } => {
                let mut b = if logical.is_some_and(|l| l.eq_ignore_ascii_case("decimal")) {
                    let scale = match schema.prop("scale") {
                        Some(Json::Int(s)) => *s as i32,
                        _ => 0,
                    };
                    let mut b = logical::decimal_builder(scale);
                    match schema.prop("precision") {
                        None => {}
                        Some(Json::Int(p)) if *p == DECIMAL_PRECISION_DEFAULT => {}
                        Some(Json::Int(p)) => {
                            b = b.parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP, p.to_string());
                        }
                        Some(_) => {
                            return Err(AvroError::Data("precision property must be a JSON Integer. https://avro.apache.org/docs/1.9.1/spec.html#Decimal".into()))
                        }
                    }
                    b
                } else {
                    SchemaBuilder::bytes()
                };
                if let Kind::Fixed { size, .. } = &schema.kind {
                    b = b.parameter(CONNECT_AVRO_FIXED_SIZE_PROP, size.to_string());
                }
                b
            }
            Kind::Double => SchemaBuilder::float64(),
            Kind::Float => SchemaBuilder::float32(),
            Kind::Int => match (ctype, logical) {
                (None, None) => SchemaBuilder::int32(),
                (_, Some(l)) => {
                    if l.eq_ignore_ascii_case("date") {
                        logical::date_builder()
                    } else if l.eq_ignore_ascii_case("time-millis") {
                        logical::time_builder()
                    } else {
                        SchemaBuilder::int32()
                    }
                }
                (Some("int8"), None) => SchemaBuilder::int8(),
                (Some("int16"), None) => SchemaBuilder::int16(),
                (Some(_), None) => {
                    return Err(AvroError::Data(
                        "Connect type annotation for Avro int field is null".into(),
                    ))
                }
            },
            Kind::Long => {
                if logical.is_some_and(|l| l.eq_ignore_ascii_case("timestamp-millis")) {
                    logical::timestamp_builder()
                } else {
                    SchemaBuilder::int64()
                }
            }
            Kind::String => SchemaBuilder::string(),
            Kind::Array(items) => {
                let elem = parsed.resolve(items)?;
                if is_map_entry(elem) {
                    let Kind::Record { fields, .. } = &elem.kind else {
                        return Err(unresolved());
                    };
                    let key = fields.iter().find(|f| f.name == "key");
                    let value = fields.iter().find(|f| f.name == "value");
                    let (Some(key), Some(value), 2) = (key, value, fields.len()) else {
                        return Err(AvroError::Data("Found map encoded as array of key-value pairs, but array elements do not match the expected format.".into()));
                    };
                    SchemaBuilder::map(
                        self.to_connect(parsed, &key.schema, false, None, None, stack)?,
                        self.to_connect(parsed, &value.schema, false, None, None, stack)?,
                    )
                } else {
                    SchemaBuilder::array(self.to_connect(parsed, items, false, None, None, stack)?)
                }
            }
            Kind::Map(values) => SchemaBuilder::map(
                Schema::string(),
                self.to_connect(parsed, values, false, None, None, stack)?,
            ),
            Kind::Record {
                name, doc, fields, ..
            } => {
                stack.push(name.full());
                let mut b = SchemaBuilder::struct_();
                if !cfg.discard_type_doc_default && cfg.connect_meta_data {
                    if let Some(d) = doc {
                        b = b.parameter(AVRO_RECORD_DOC_PROP, d.clone());
                    }
                }
                for f in fields {
                    if !cfg.discard_type_doc_default && cfg.connect_meta_data {
                        if let Some(d) = &f.doc {
                            b = b.parameter(
                                format!("{AVRO_FIELD_DOC_PREFIX_PROP}{}", f.name),
                                d.clone(),
                            );
                        }
                    }
                    let fs =
                        self.to_connect(parsed, &f.schema, false, f.default.as_ref(), None, stack)?;
                    b = b
                        .try_field(f.name.clone(), fs)
                        .map_err(|e| AvroError::Data(e.to_string()))?;
                }
                stack.pop();
                b
            }
            Kind::Enum {
                name,
                doc,
                symbols,
                default,
                ..
            } => {
                let mut b = SchemaBuilder::string();
                if cfg.connect_meta_data {
                    if let Some(d) = doc {
                        let key = if cfg.discard_type_doc_default {
                            CONNECT_ENUM_DOC_PROP.to_string()
                        } else {
                            format!("{AVRO_ENUM_DOC_PREFIX_PROP}{}", name.name)
                        };
                        b = b.parameter(key, d.clone());
                    }
                    if let (false, Some(d)) = (cfg.discard_type_doc_default, default) {
                        b = b.parameter(
                            format!("{AVRO_ENUM_DEFAULT_PREFIX_PROP}{}", name.name),
                            d.clone(),
                        );
                    }
                }
                b = b.parameter(AVRO_TYPE_ENUM, name.full());
                for s in symbols {
                    b = b.parameter(format!("{AVRO_TYPE_ENUM}.{s}"), s.clone());
                }
                b
            }
            Kind::Union(branches) => {
                if branches.len() == 2 && branches.iter().any(AvroSchema::is_null) {
                    let member = branches
                        .iter()
                        .find(|b| !b.is_null())
                        .expect("two branches");
                    return self.to_connect(parsed, member, true, None, None, stack);
                }
                let mut b = SchemaBuilder::struct_().name(AVRO_TYPE_UNION);
                let mut names: Vec<String> = Vec::new();
                for m in branches {
                    if m.is_null() {
                        b = b.optional();
                        continue;
                    }
                    let fname = self.union_member_name(parsed.resolve(m)?);
                    if names.contains(&fname) {
                        return Err(AvroError::Data(
                            "Multiple union schemas map to the Connect union field name".into(),
                        ));
                    }
                    names.push(fname.clone());
                    let fs = self.to_connect(parsed, m, true, None, None, stack)?;
                    b = b
                        .try_field(fname, fs)
                        .map_err(|e| AvroError::Data(e.to_string()))?;
                }
                b
            }
            Kind::Null => {
                return Err(AvroError::Data(
                    "Standalone null schemas are not supported by this converter".into(),
                ))
            }
            Kind::Ref(_) => return Err(unresolved()),
        };

        if cfg.discard_type_doc_default {
            let doc = match &schema.kind {
                Kind::Record { doc: Some(d), .. } | Kind::Enum { doc: Some(d), .. } => {
                    Some(d.clone())
                }
                _ => schema.prop_str(CONNECT_DOC_PROP).map(str::to_string),
            };
            if let Some(d) = doc {
                b = b.doc(d);
            }
        } else if let (true, Some(d)) = (cfg.connect_meta_data, schema.prop_str(CONNECT_DOC_PROP)) {
            b = b.doc(d);
        }

        let mut version_int = -1i64;
        match schema.prop(CONNECT_VERSION_PROP) {
            Some(Json::Int(v)) => version_int = *v,
            Some(other) => {
                return Err(AvroError::Data(format!(
                    "Invalid Connect version found: {}",
                    other.to_text()
                )))
            }
            None => {
                if let Some(v) = version {
                    version_int = v as i64;
                }
            }
        }
        if version_int >= 0 {
            match b.peek().version {
                Some(existing) if existing as i64 != version_int => {
                    return Err(AvroError::Data(format!("Mismatched versions: version already added to SchemaBuilder ({existing}) differs from version in source schema ({version_int})")));
                }
                Some(_) => {}
                None => b = b.version(version_int as i32),
            }
        }

        if let (true, Some(p)) = (cfg.connect_meta_data, schema.prop(CONNECT_PARAMETERS_PROP)) {
            let Json::Object(entries) = p else {
                return Err(AvroError::Data(format!(
                    "Expected JSON object for schema parameters but found: {}",
                    p.to_text()
                )));
            };
            for (k, v) in entries {
                let Json::Str(s) = v else {
                    return Err(AvroError::Data(format!(
                        "Expected schema parameter values to be strings but found: {}",
                        v.to_text()
                    )));
                };
                b = b.parameter(k.clone(), s.clone());
            }
        }
        for (k, v) in &schema.props {
            if k.starts_with("avro") {
                let text = match v {
                    Json::Str(s) => s.clone(),
                    other => other.to_text(),
                };
                b = b.parameter(k.clone(), text);
            }
        }

        let connect_default = schema.prop(CONNECT_DEFAULT_VALUE_PROP);
        let default_json = match field_default {
            None => connect_default,
            Some(d) => {
                if !cfg.discard_type_doc_default
                    && cfg.connect_meta_data
                    && connect_default.is_none()
                {
                    b = b.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP, "true");
                }
                Some(d)
            }
        };
        if let Some(d) = default_json {
            let built = b.peek().clone();
            match self.default_from_avro(parsed, &built, schema, d) {
                Ok(Value::Null) => {}
                Ok(v) => match b.clone().default_value(v) {
                    Ok(nb) => b = nb,
                    Err(e) => tracing::warn!(
                        "Ignoring invalid default for schema {}: {e}",
                        schema.type_name()
                    ),
                },
                Err(e) => tracing::warn!(
                    "Ignoring invalid default for schema {}: {e}",
                    schema.type_name()
                ),
            }
        }

        let name = match schema.prop(CONNECT_NAME_PROP) {
            Some(Json::Str(s)) => Some(s.clone()),
            Some(other) => {
                return Err(AvroError::Data(format!(
                    "Invalid schema name: {}",
                    other.to_text()
                )))
            }
            None => schema.name().map(Name::full),
        };
        if let Some(n) = name {
            if !n.starts_with(DEFAULT_SCHEMA_FULL_NAME) {
                match b.peek().name.as_deref() {
                    Some(existing) if existing != n => {
                        return Err(AvroError::Data(format!("Mismatched names: name already added to SchemaBuilder ({existing}) differs from name in source schema ({n})")));
                    }
                    Some(_) => {}
                    None => b = b.name(n),
                }
            }
        }
        if force_optional {
            b = b.optional();
        }
        Ok(b.build())
    }

    fn union_member_name(&self, s: &AvroSchema) -> String {
        match s.name() {
            Some(n) => {
                if self.config.enhanced_schema_support {
                    n.full()
                } else {
                    n.name.clone()
                }
            }
            None => s.type_name().to_string(),
        }
    }

    /// Java `defaultValueFromAvro`: a default as JSON to a Connect value.
    fn default_from_avro(
        &self,
        parsed: &ParsedSchema,
        schema: &Schema,
        avro: &AvroSchema,
        json: &Json,
    ) -> Result<Value, AvroError> {
        let avro = parsed.resolve(avro)?;
        let v = match (&avro.kind, json) {
            (_, Json::Null) => return Ok(Value::Null),
            (Kind::Int, j) => {
                let i = json_int(j)?;
                match schema.schema_type {
                    Type::Int8 => Value::Int8(i as i8),
                    Type::Int16 => Value::Int16(i as i16),
                    Type::Int32 => Value::Int32(i as i32),
                    _ => return Ok(Value::Null),
                }
            }
            (Kind::Long, j) => Value::Int64(json_int(j)?),
            (Kind::Float, j) => Value::Float32(json_f64(j)? as f32),
            (Kind::Double, j) => Value::Float64(json_f64(j)?),
            (Kind::Boolean, Json::Bool(b)) => Value::Boolean(*b),
            (Kind::Boolean, _) => Value::Boolean(false),
            (Kind::String | Kind::Enum { .. }, Json::Str(s)) => Value::String(s.clone().into()),
            (Kind::String | Kind::Enum { .. }, j) => Value::String(j.to_text().into()),
            (Kind::Bytes | Kind::Fixed { .. }, Json::Str(s)) => {
                Value::Bytes(s.chars().map(|c| c as u32 as u8).collect())
            }
            (Kind::Array(items), Json::Array(a)) => {
                let vs = schema.value_schema.as_ref().ok_or_else(|| {
                    AvroError::Data("Invalid JSON for array default value".into())
                })?;
                Value::Array(
                    a.iter()
                        .map(|x| self.default_from_avro(parsed, vs, items, x))
                        .collect::<Result<_, _>>()?,
                )
            }
            (Kind::Map(values), Json::Object(m)) => {
                let vs = schema
                    .value_schema
                    .as_ref()
                    .ok_or_else(|| AvroError::Data("Invalid JSON for map default value".into()))?;
                let mut entries: Vec<(Value, Value)> = m
                    .iter()
                    .map(|(k, x)| {
                        Ok((
                            Value::String(k.clone().into()),
                            self.default_from_avro(parsed, vs, values, x)?,
                        ))
                    })
                    .collect::<Result<_, AvroError>>()?;
                java_hash_order(&mut entries);
                Value::Map(entries)
            }
            (Kind::Record { fields, .. }, Json::Object(_)) => {
                let sref: SchemaRef = Arc::new(schema.clone());
                let mut s = Struct::new(sref);
                for af in fields {
                    let Some(cf) = schema.field(&af.name) else {
                        continue;
                    };
                    let fj = json.get(&af.name).unwrap_or(&Json::Null);
                    let v = self.default_from_avro(parsed, &cf.schema, &af.schema, fj)?;
                    s.put(&af.name, v)
                        .map_err(|e| AvroError::Data(e.to_string()))?;
                }
                Value::Struct(s)
            }
            (Kind::Union(branches), _) => {
                let first = &branches[0];
                if first.is_null() {
                    return Ok(Value::Null);
                }
                let fname = self.union_member_name(parsed.resolve(first)?);
                match schema.field(&fname) {
                    Some(f) => return self.default_from_avro(parsed, &f.schema, first, json),
                    // An optional T: the union was folded into T itself.
                    None => return self.default_from_avro(parsed, schema, first, json),
                }
            }
            (Kind::Array(_), _) => {
                return Err(AvroError::Data(
                    "Invalid JSON for array default value".into(),
                ))
            }
            (Kind::Map(_), _) => {
                return Err(AvroError::Data("Invalid JSON for map default value".into()))
            }
            (Kind::Record { .. }, _) => {
                return Err(AvroError::Data(
                    "Invalid JSON for record default value".into(),
                ))
            }
            _ => return Ok(Value::Null),
        };
        to_connect_logical(schema, v)
    }

    // ------------------------------------------------------------------ values

    /// Writes `value` (of Connect `schema`) as the Avro binary encoding of `avro`.
    pub fn encode(
        &self,
        parsed: &ParsedSchema,
        avro: &AvroSchema,
        schema: &Schema,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> Result<(), AvroError> {
        let avro = parsed.resolve(avro)?;
        if let Kind::Union(branches) = &avro.kind {
            let is_union_struct = schema.name.as_deref() == Some(AVRO_TYPE_UNION)
                && schema.schema_type == Type::Struct;
            if value.is_null() {
                if !schema.optional {
                    return Err(AvroError::Data(
                        "Found null value for non-optional schema".into(),
                    ));
                }
                let i = branches
                    .iter()
                    .position(AvroSchema::is_null)
                    .ok_or_else(|| {
                        AvroError::Data("Null value for a union without a null branch".into())
                    })?;
                codec::write_long(out, i as i64);
                return Ok(());
            }
            if is_union_struct {
                let Value::Struct(s) = value else {
                    return Err(type_error(schema, value));
                };
                if !std::ptr::eq(s.schema().as_ref(), schema) && s.schema().as_ref() != schema {
                    return Err(AvroError::Data("Mismatching struct schema".into()));
                }
                for f in &schema.fields {
                    let v = s.get_at(f.index);
                    if v.is_null() {
                        continue;
                    }
                    let branch = branches
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| !b.is_null())
                        .nth(f.index)
                        .map(|(i, _)| i)
                        .ok_or_else(|| {
                            AvroError::Data(format!("No union branch for field {}", f.name))
                        })?;
                    codec::write_long(out, branch as i64);
                    // Java writes the field's (optional) schema into the chosen branch.
                    return self.encode_plain(parsed, &branches[branch], &f.schema, v, out);
                }
                return Err(AvroError::Data(
                    "Found null value for non-optional schema".into(),
                ));
            }
            let i = branches.iter().position(|b| !b.is_null()).ok_or_else(|| {
                AvroError::Data("A union of only null cannot hold a value".into())
            })?;
            codec::write_long(out, i as i64);
            return self.encode_plain(parsed, &branches[i], schema, value, out);
        }
        if value.is_null() {
            return Err(AvroError::Data(
                "Found null value for non-optional schema".into(),
            ));
        }
        self.encode_plain(parsed, avro, schema, value, out)
    }

    fn encode_plain(
        &self,
        parsed: &ParsedSchema,
        avro: &AvroSchema,
        schema: &Schema,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> Result<(), AvroError> {
        let avro = parsed.resolve(avro)?;
        match (&avro.kind, value) {
            (Kind::Int, Value::Int8(x)) => codec::write_int(out, *x as i32),
            (Kind::Int, Value::Int16(x)) => codec::write_int(out, *x as i32),
            (Kind::Int, Value::Int32(x)) => codec::write_int(out, *x),
            (Kind::Int, Value::Timestamp(_)) | (Kind::Long, Value::Timestamp(_)) => {
                let name = schema.name.as_deref().unwrap_or_default();
                match logical::temporal_to_underlying(name, value)
                    .map_err(|e| AvroError::Data(e.to_string()))?
                {
                    Value::Int32(x) => codec::write_int(out, x),
                    Value::Int64(x) => codec::write_long(out, x),
                    _ => return Err(type_error(schema, value)),
                }
            }
            (Kind::Long, Value::Int64(x)) => codec::write_long(out, *x),
            (Kind::Float, Value::Float32(x)) => out.extend_from_slice(&x.to_le_bytes()),
            (Kind::Double, Value::Float64(x)) => out.extend_from_slice(&x.to_le_bytes()),
            (Kind::Boolean, Value::Boolean(b)) => out.push(*b as u8),
            (Kind::String, Value::String(s)) => codec::write_bytes(out, s.as_bytes()),
            (Kind::Enum { symbols, name, .. }, Value::String(s)) => {
                let i = symbols.iter().position(|x| x == s).ok_or_else(|| {
                    AvroError::Data(format!("Not an enum symbol of {}: {s}", name.full()))
                })?;
                codec::write_int(out, i as i32);
            }
            (Kind::Bytes, Value::Bytes(b)) => codec::write_bytes(out, b),
            (Kind::Bytes, Value::Decimal(d)) => {
                let scale = logical::decimal_scale(schema.parameter("scale"))
                    .map_err(|e| AvroError::Data(e.to_string()))?;
                let b = logical::decimal_to_bytes(scale, d)
                    .map_err(|e| AvroError::Data(e.to_string()))?;
                codec::write_bytes(out, &b);
            }
            (Kind::Fixed { size, name, .. }, Value::Bytes(b)) => {
                if b.len() != *size {
                    return Err(AvroError::Data(format!(
                        "Fixed size {size} of {} does not match a value of {} bytes",
                        name.full(),
                        b.len()
                    )));
                }
                out.extend_from_slice(b);
            }
            (Kind::Fixed { size, name, .. }, Value::Decimal(d)) => {
                let scale = logical::decimal_scale(schema.parameter("scale"))
                    .map_err(|e| AvroError::Data(e.to_string()))?;
                let b = logical::decimal_to_bytes(scale, d)
                    .map_err(|e| AvroError::Data(e.to_string()))?;
                if b.len() > *size {
                    return Err(AvroError::Data(format!(
                        "Decimal of {} bytes does not fit fixed {} of size {size}",
                        b.len(),
                        name.full()
                    )));
                }
                let pad = if d.unscaled.sign() == num_bigint::Sign::Minus {
                    0xff
                } else {
                    0
                };
                out.extend(std::iter::repeat_n(pad, size - b.len()));
                out.extend_from_slice(&b);
            }
            (Kind::Array(items), Value::Array(xs)) => {
                let vs = schema
                    .value_schema
                    .as_ref()
                    .ok_or_else(|| type_error(schema, value))?;
                if !xs.is_empty() {
                    codec::write_long(out, xs.len() as i64);
                    for x in xs {
                        self.encode(parsed, items, vs, x, out)?;
                    }
                }
                out.push(0);
            }
            (Kind::Array(items), Value::Map(entries)) => {
                let (ks, vs) = map_schemas(schema)?;
                let entry = parsed.resolve(items)?;
                let Kind::Record { fields, .. } = &entry.kind else {
                    return Err(type_error(schema, value));
                };
                let (Some(kf), Some(vf)) = (
                    fields.iter().find(|f| f.name == "key"),
                    fields.iter().find(|f| f.name == "value"),
                ) else {
                    return Err(type_error(schema, value));
                };
                if !entries.is_empty() {
                    codec::write_long(out, entries.len() as i64);
                    for (k, v) in entries {
                        self.encode(parsed, &kf.schema, ks, k, out)?;
                        self.encode(parsed, &vf.schema, vs, v, out)?;
                    }
                }
                out.push(0);
            }
            (Kind::Map(values), Value::Map(entries)) => {
                let (_, vs) = map_schemas(schema)?;
                // Java copies the map into a `HashMap` before writing it.
                let mut order: Vec<&(Value, Value)> = entries.iter().collect();
                into_iteration_order(&mut order, |(k, _)| k.as_str().map(string_hash));
                if !order.is_empty() {
                    codec::write_long(out, order.len() as i64);
                    for (k, v) in order {
                        let Value::String(k) = k else {
                            return Err(type_error(schema, value));
                        };
                        codec::write_bytes(out, k.as_bytes());
                        self.encode(parsed, values, vs, v, out)?;
                    }
                }
                out.push(0);
            }
            (Kind::Record { fields, .. }, Value::Struct(s)) => {
                // Pointer equality first: a source hands the same schema to every record.
                if !std::ptr::eq(s.schema().as_ref(), schema) && s.schema().as_ref() != schema {
                    return Err(AvroError::Data("Mismatching struct schema".into()));
                }
                for (af, cf) in fields.iter().zip(&schema.fields) {
                    self.encode(parsed, &af.schema, &cf.schema, s.get_at(cf.index), out)?;
                }
            }
            _ => return Err(type_error(schema, value)),
        }
        Ok(())
    }

    /// Reads one datum written with `avro` into a Connect value of `schema` (the Connect
    /// schema [`to_connect_schema`](Self::to_connect_schema) made from `avro`).
    pub fn decode(
        &self,
        parsed: &ParsedSchema,
        avro: &AvroSchema,
        schema: &SchemaRef,
        r: &mut Reader<'_>,
    ) -> Result<Value, AvroError> {
        let avro = parsed.resolve(avro)?;
        let v = match &avro.kind {
            Kind::Null => Value::Null,
            Kind::Boolean => Value::Boolean(r.read_boolean()?),
            Kind::Int => {
                let x = r.read_int()?;
                match (schema.schema_type, schema.name.as_deref()) {
                    (Type::Int8, _) => Value::Int8(x as i8),
                    (Type::Int16, _) => Value::Int16(x as i16),
                    (Type::Int32, Some(DATE_NAME)) => Value::Timestamp(x as i64 * MILLIS_PER_DAY),
                    (Type::Int32, Some(TIME_NAME)) => Value::Timestamp(x as i64),
                    _ => Value::Int32(x),
                }
            }
            Kind::Long => {
                let x = r.read_long()?;
                if schema.name.as_deref() == Some(TIMESTAMP_NAME) {
                    Value::Timestamp(x)
                } else {
                    Value::Int64(x)
                }
            }
            Kind::Float => Value::Float32(r.read_float()?),
            Kind::Double => Value::Float64(r.read_double()?),
            Kind::String => Value::String(r.read_string()?.into()),
            Kind::Enum { symbols, name, .. } => {
                let i = r.read_int()?;
                let s = usize::try_from(i)
                    .ok()
                    .and_then(|i| symbols.get(i))
                    .ok_or_else(|| {
                        AvroError::Data(format!("Enum index {i} out of range for {}", name.full()))
                    })?;
                Value::String(s.clone().into())
            }
            Kind::Bytes | Kind::Fixed { .. } => {
                let b = match &avro.kind {
                    Kind::Fixed { size, .. } => r.read_fixed(*size)?,
                    _ => r.read_bytes()?,
                };
                if schema.name.as_deref() == Some(DECIMAL_NAME) {
                    let scale = logical::decimal_scale(schema.parameter("scale"))
                        .map_err(|e| AvroError::Data(e.to_string()))?;
                    Value::Decimal(
                        logical::decimal_from_bytes(scale, b)
                            .map_err(|e| AvroError::Data(e.to_string()))?,
                    )
                } else {
                    Value::Bytes(b.to_vec())
                }
            }
            Kind::Array(items) => {
                if schema.schema_type == Type::Map {
                    let (ks, vs) = (
                        schema.key_schema.clone().ok_or_else(missing)?,
                        schema.value_schema.clone().ok_or_else(missing)?,
                    );
                    let entry = parsed.resolve(items)?;
                    let Kind::Record { fields, .. } = &entry.kind else {
                        return Err(missing());
                    };
                    let mut entries = Vec::new();
                    loop {
                        let n = r.read_block_count()?;
                        if n == 0 {
                            break;
                        }
                        for _ in 0..n {
                            let mut k = Value::Null;
                            let mut v = Value::Null;
                            for f in fields {
                                if f.name == "key" {
                                    k = self.decode(parsed, &f.schema, &ks, r)?;
                                } else {
                                    v = self.decode(parsed, &f.schema, &vs, r)?;
                                }
                            }
                            entries.push((k, v));
                        }
                    }
                    java_hash_order(&mut entries);
                    Value::Map(entries)
                } else {
                    let vs = schema.value_schema.clone().ok_or_else(missing)?;
                    let mut out = Vec::new();
                    loop {
                        let n = r.read_block_count()?;
                        if n == 0 {
                            break;
                        }
                        out.reserve(n.min(4096));
                        for _ in 0..n {
                            out.push(self.decode(parsed, items, &vs, r)?);
                        }
                    }
                    Value::Array(out)
                }
            }
            Kind::Map(values) => {
                let vs = schema.value_schema.clone().ok_or_else(missing)?;
                let mut entries = Vec::new();
                loop {
                    let n = r.read_block_count()?;
                    if n == 0 {
                        break;
                    }
                    for _ in 0..n {
                        let k = r.read_string()?;
                        let v = self.decode(parsed, values, &vs, r)?;
                        entries.push((Value::String(k.into()), v));
                    }
                }
                java_hash_order(&mut entries);
                Value::Map(entries)
            }
            Kind::Record { fields, .. } => {
                let mut s = Struct::new(schema.clone());
                for (i, f) in fields.iter().enumerate() {
                    let fs = &schema.fields.get(i).ok_or_else(missing)?.schema;
                    let v = self.decode(parsed, &f.schema, fs, r)?;
                    s.put_unchecked(i, v);
                }
                Value::Struct(s)
            }
            Kind::Union(branches) => {
                let i = r.read_long()?;
                let branch = usize::try_from(i)
                    .ok()
                    .and_then(|i| branches.get(i))
                    .ok_or_else(|| {
                        AvroError::Data(format!(
                            "Union index {i} out of range ({} branches)",
                            branches.len()
                        ))
                    })?;
                if branch.is_null() {
                    return Ok(Value::Null);
                }
                let union_struct = schema.schema_type == Type::Struct
                    && schema.name.as_deref() == Some(AVRO_TYPE_UNION)
                    && !(branches.len() == 2 && branches.iter().any(AvroSchema::is_null));
                if union_struct {
                    let k = branches[..i as usize]
                        .iter()
                        .filter(|b| !b.is_null())
                        .count();
                    let f = schema.fields.get(k).ok_or_else(missing)?;
                    let v = self.decode(parsed, branch, &f.schema, r)?;
                    let mut s = Struct::new(schema.clone());
                    s.put_unchecked(k, v);
                    Value::Struct(s)
                } else {
                    self.decode(parsed, branch, schema, r)?
                }
            }
            Kind::Ref(_) => return Err(unresolved()),
        };
        Ok(v)
    }
}

fn missing() -> AvroError {
    AvroError::Data("The Avro datum does not match the Connect schema derived from it".into())
}

fn unresolved() -> AvroError {
    AvroError::Schema("Unresolved Avro schema reference".into())
}

fn type_error(schema: &Schema, value: &Value) -> AvroError {
    AvroError::Data(format!(
        "Invalid type for {}: {}",
        schema.schema_type.java_name(),
        value.java_class()
    ))
}

fn json_int(j: &Json) -> Result<i64, AvroError> {
    match j {
        Json::Int(i) => Ok(*i),
        Json::Float(f) => Ok(*f as i64),
        Json::Double(f) => Ok(*f as i64),
        _ => Ok(0),
    }
}

fn json_f64(j: &Json) -> Result<f64, AvroError> {
    match j {
        Json::Int(i) => Ok(*i as f64),
        Json::Float(f) => Ok(*f as f64),
        Json::Double(f) => Ok(*f),
        _ => Ok(0.0),
    }
}

fn parse_int_param(v: Option<&str>, key: &str) -> Result<i64, AvroError> {
    let s = v.ok_or_else(|| {
        AvroError::Data(format!(
            "Invalid Decimal schema: {key} parameter not found."
        ))
    })?;
    s.parse::<i32>()
        .map(i64::from)
        .map_err(|_| AvroError::Data(format!("Invalid {key} parameter: {s}")))
}

fn map_schemas(schema: &Schema) -> Result<(&Schema, &Schema), AvroError> {
    match (&schema.key_schema, &schema.value_schema) {
        (Some(k), Some(v)) => Ok((k, v)),
        _ => Err(AvroError::Data(
            "Map schema without key or value schema".into(),
        )),
    }
}

fn is_fixed_schema(schema: &Schema) -> bool {
    schema.schema_type == Type::Bytes
        && schema.name.is_some()
        && schema.parameter(CONNECT_AVRO_FIXED_SIZE_PROP).is_some()
}

fn is_map_entry(s: &AvroSchema) -> bool {
    let Kind::Record { name, .. } = &s.kind else {
        return false;
    };
    (name.namespace.as_deref() == Some(NAMESPACE) && name.name == MAP_ENTRY_TYPE_NAME)
        || s.prop_str(CONNECT_INTERNAL_TYPE_NAME) == Some(MAP_ENTRY_TYPE_NAME)
}

/// Java `AvroData#nonOptional`: the same schema, required.
pub fn non_optional(schema: &Schema) -> Schema {
    let mut s = schema.clone();
    s.optional = false;
    s
}

fn maybe_make_optional(schema: &Schema, base: AvroSchema) -> AvroSchema {
    if !schema.optional {
        return base;
    }
    let null = AvroSchema::new(Kind::Null);
    if schema.default_value.is_some() {
        AvroSchema::new(Kind::Union(vec![base, null]))
    } else {
        AvroSchema::new(Kind::Union(vec![null, base]))
    }
}

fn widen_floats(j: Json) -> Json {
    match j {
        Json::Float(f) => Json::Double(f as f64),
        Json::Array(a) => Json::Array(a.into_iter().map(widen_floats).collect()),
        Json::Object(m) => Json::Object(m.into_iter().map(|(k, v)| (k, widen_floats(v))).collect()),
        other => other,
    }
}

/// Avro's `Schema#isValidDefault` (1.11).
fn is_valid_default(s: &AvroSchema, d: &Json) -> bool {
    match (&s.kind, d) {
        (Kind::String | Kind::Bytes | Kind::Enum { .. } | Kind::Fixed { .. }, j) => {
            matches!(j, Json::Str(_))
        }
        (Kind::Int, Json::Int(i)) => i32::try_from(*i).is_ok(),
        (Kind::Long, Json::Int(_)) => true,
        (Kind::Float | Kind::Double, j) => j.is_number(),
        (Kind::Boolean, Json::Bool(_)) => true,
        (Kind::Null, Json::Null) => true,
        (Kind::Array(items), Json::Array(a)) => a.iter().all(|x| is_valid_default(items, x)),
        (Kind::Map(values), Json::Object(m)) => m.iter().all(|(_, x)| is_valid_default(values, x)),
        (Kind::Union(branches), j) => branches.first().is_some_and(|b| is_valid_default(b, j)),
        (Kind::Record { fields, .. }, Json::Object(_)) => {
            fields.iter().all(|f| match (d.get(&f.name), &f.default) {
                (Some(x), _) => is_valid_default(&f.schema, x),
                (None, Some(fd)) => is_valid_default(&f.schema, fd),
                (None, None) => false,
            })
        }
        // A reference to an earlier named type: Java checks against its definition; the
        // definitions the converter writes are all inline before use, so accept.
        (Kind::Ref(_), _) => true,
        _ => false,
    }
}

fn to_avro_logical(schema: &Schema, value: &Value) -> Result<Value, AvroError> {
    match (schema.name.as_deref(), value) {
        (Some(DECIMAL_NAME), Value::Decimal(d)) => {
            let scale = logical::decimal_scale(schema.parameter("scale"))
                .map_err(|e| AvroError::Data(e.to_string()))?;
            Ok(Value::Bytes(
                logical::decimal_to_bytes(scale, d).map_err(|e| AvroError::Data(e.to_string()))?,
            ))
        }
        (Some(n @ (DATE_NAME | TIME_NAME | TIMESTAMP_NAME)), Value::Timestamp(_)) => {
            logical::temporal_to_underlying(n, value).map_err(|e| AvroError::Data(e.to_string()))
        }
        _ => Ok(value.clone()),
    }
}

fn to_connect_logical(schema: &Schema, value: Value) -> Result<Value, AvroError> {
    match (schema.name.as_deref(), &value) {
        (Some(DECIMAL_NAME), Value::Bytes(b)) => {
            let scale = logical::decimal_scale(schema.parameter("scale"))
                .map_err(|e| AvroError::Data(e.to_string()))?;
            Ok(Value::Decimal(
                logical::decimal_from_bytes(scale, b)
                    .map_err(|e| AvroError::Data(e.to_string()))?,
            ))
        }
        (Some(n @ (DATE_NAME | TIME_NAME | TIMESTAMP_NAME)), Value::Int32(_) | Value::Int64(_)) => {
            logical::temporal_from_underlying(n, &value).map_err(|e| AvroError::Data(e.to_string()))
        }
        _ => Ok(value),
    }
}

/// Java reads Avro maps into a `HashMap` presized to the entry count
/// (`new HashMap<>(original.size())` in `AvroData#toConnectData`): keys with a value-defined
/// hash come out in its iteration order, which depends on that initial size.
fn java_hash_order(entries: &mut Vec<(Value, Value)>) {
    let n = entries.len();
    if n < 2 {
        return;
    }
    let mut hashed = Vec::with_capacity(n);
    for (k, _) in entries.iter() {
        let h = match k {
            Value::String(s) => string_hash(s),
            Value::Int32(x) => *x,
            Value::Int8(x) => i32::from(*x),
            Value::Int16(x) => i32::from(*x),
            Value::Int64(x) => (*x ^ ((*x as u64) >> 32) as i64) as i32,
            Value::Boolean(b) => {
                if *b {
                    1231
                } else {
                    1237
                }
            }
            _ => return,
        };
        hashed.push(spread(h));
    }
    // `tableSizeFor(n)`, doubled while the size passes three quarters of the table.
    let mut cap = n.next_power_of_two();
    while n * 4 > cap * 3 {
        cap *= 2;
    }
    let mut keyed: Vec<(usize, (Value, Value))> = hashed
        .into_iter()
        .map(|h| h & (cap - 1))
        .zip(entries.drain(..))
        .collect();
    keyed.sort_by_key(|(bucket, _)| *bucket);
    entries.extend(keyed.into_iter().map(|(_, e)| e));
}

/// The record schemaless Connect values are wrapped in (Java `AvroData.ANYTHING_SCHEMA`):
/// one optional field per kind of value, arrays and maps of itself.
pub const ANYTHING_SCHEMA: &str = r#"{"type":"record","name":"Anything","namespace":"io.confluent.connect.avro","fields":[{"name":"boolean","type":["null","boolean"],"default":null},{"name":"bytes","type":["null","bytes"],"default":null},{"name":"double","type":["null","double"],"default":null},{"name":"float","type":["null","float"],"default":null},{"name":"int","type":["null","int"],"default":null},{"name":"long","type":["null","long"],"default":null},{"name":"string","type":["null","string"],"default":null},{"name":"array","type":["null",{"type":"array","items":"Anything"}],"default":null},{"name":"map","type":["null",{"type":"array","items":{"type":"record","name":"MapEntry","fields":[{"name":"key","type":"Anything"},{"name":"value","type":"Anything"}]}}],"default":null}]}"#;

/// The full name of [`ANYTHING_SCHEMA`].
pub const ANYTHING_NAME: &str = "io.confluent.connect.avro.Anything";

const ANYTHING_FIELDS: usize = 9;

/// Writes a schemaless value as an `Anything` record (Java `maybeWrapSchemaless`): every
/// field null but the one of the value's kind; a null (inside an array or map) is the record
/// with every field null.
pub fn encode_anything(value: &Value, out: &mut Vec<u8>) -> Result<(), AvroError> {
    let slot = match value {
        Value::Null => None,
        Value::Boolean(_) => Some(0),
        Value::Bytes(_) => Some(1),
        Value::Float64(_) => Some(2),
        Value::Float32(_) => Some(3),
        Value::Int8(_) | Value::Int16(_) | Value::Int32(_) => Some(4),
        Value::Int64(_) => Some(5),
        Value::String(_) => Some(6),
        Value::Array(_) => Some(7),
        Value::Map(_) => Some(8),
        other => {
            return Err(AvroError::Data(format!(
                "Unknown Java type for schemaless data: {}",
                other.java_class()
            )))
        }
    };
    for i in 0..ANYTHING_FIELDS {
        if Some(i) != slot {
            out.push(0);
            continue;
        }
        out.push(2);
        match value {
            Value::Boolean(b) => out.push(*b as u8),
            Value::Bytes(b) => codec::write_bytes(out, b),
            Value::Float64(x) => out.extend_from_slice(&x.to_le_bytes()),
            Value::Float32(x) => out.extend_from_slice(&x.to_le_bytes()),
            Value::Int8(x) => codec::write_int(out, *x as i32),
            Value::Int16(x) => codec::write_int(out, *x as i32),
            Value::Int32(x) => codec::write_int(out, *x),
            Value::Int64(x) => codec::write_long(out, *x),
            Value::String(s) => codec::write_bytes(out, s.as_bytes()),
            Value::Array(items) => {
                if !items.is_empty() {
                    codec::write_long(out, items.len() as i64);
                    for x in items {
                        encode_anything(x, out)?;
                    }
                }
                out.push(0);
            }
            Value::Map(entries) => {
                if !entries.is_empty() {
                    codec::write_long(out, entries.len() as i64);
                    for (k, v) in entries {
                        encode_anything(k, out)?;
                        encode_anything(v, out)?;
                    }
                }
                out.push(0);
            }
            _ => {
                return Err(AvroError::Data(
                    "Unknown Java type for schemaless data".into(),
                ))
            }
        }
    }
    Ok(())
}

/// Reads an `Anything` record back into a schemaless value (the first field set wins, as in
/// Java; none set is a null).
pub fn decode_anything(r: &mut Reader<'_>) -> Result<Value, AvroError> {
    let mut result = Value::Null;
    for i in 0..ANYTHING_FIELDS {
        match r.read_long()? {
            0 => continue,
            1 => {}
            b => {
                return Err(AvroError::Data(format!(
                    "Union index {b} out of range (2 branches)"
                )))
            }
        }
        let v = match i {
            0 => Value::Boolean(r.read_boolean()?),
            1 => Value::Bytes(r.read_bytes()?.to_vec()),
            2 => Value::Float64(r.read_double()?),
            3 => Value::Float32(r.read_float()?),
            4 => Value::Int32(r.read_int()?),
            5 => Value::Int64(r.read_long()?),
            6 => Value::String(r.read_string()?.into()),
            7 => {
                let mut items = Vec::new();
                loop {
                    let n = r.read_block_count()?;
                    if n == 0 {
                        break;
                    }
                    for _ in 0..n {
                        items.push(decode_anything(r)?);
                    }
                }
                Value::Array(items)
            }
            _ => {
                let mut entries = Vec::new();
                loop {
                    let n = r.read_block_count()?;
                    if n == 0 {
                        break;
                    }
                    for _ in 0..n {
                        let k = decode_anything(r)?;
                        let v = decode_anything(r)?;
                        entries.push((k, v));
                    }
                }
                java_hash_order(&mut entries);
                Value::Map(entries)
            }
        };
        if result.is_null() {
            result = v;
        }
    }
    Ok(result)
}
