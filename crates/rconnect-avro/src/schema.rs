//! Avro schemas with every property kept in order, parsed from and written to JSON text as
//! Avro's Java library does (`Schema.Parser`, `Schema#toString()`).
//!
//! Why not `apache_avro::Schema`: it drops the properties of primitive types
//! (`{"type":"int","connect.type":"int8"}` parses as a bare `int`) and keeps record properties
//! in a sorted map, while the Connect mapping needs those properties and the registry
//! identifies a schema by its exact text.

use std::collections::HashMap;

use crate::json::{write_str, Json};
use crate::AvroError;

/// Schema properties (`connect.name`, `logicalType`, ...) in insertion order.
pub type Props = Vec<(String, Json)>;

/// The name of a record, enum or fixed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    pub name: String,
    pub namespace: Option<String>,
}

impl Name {
    pub fn full(&self) -> String {
        match &self.namespace {
            Some(ns) if !ns.is_empty() => format!("{ns}.{}", self.name),
            _ => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub schema: AvroSchema,
    pub doc: Option<String>,
    pub default: Option<Json>,
    pub order: Option<String>,
    pub aliases: Vec<String>,
    pub props: Props,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Record {
        name: Name,
        doc: Option<String>,
        fields: Vec<Field>,
        aliases: Vec<String>,
    },
    Enum {
        name: Name,
        doc: Option<String>,
        symbols: Vec<String>,
        default: Option<String>,
        aliases: Vec<String>,
    },
    Fixed {
        name: Name,
        doc: Option<String>,
        size: usize,
        aliases: Vec<String>,
    },
    Array(Box<AvroSchema>),
    Map(Box<AvroSchema>),
    Union(Vec<AvroSchema>),
    /// A reference to a named type defined earlier (by full name).
    Ref(String),
}

/// One Avro schema node: its kind and its properties.
#[derive(Debug, Clone, PartialEq)]
pub struct AvroSchema {
    pub kind: Kind,
    pub props: Props,
}

impl AvroSchema {
    pub fn new(kind: Kind) -> Self {
        AvroSchema {
            kind,
            props: Vec::new(),
        }
    }
    pub fn prop(&self, key: &str) -> Option<&Json> {
        self.props.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn prop_str(&self, key: &str) -> Option<&str> {
        self.prop(key).and_then(Json::as_str)
    }
    /// Adds a property unless present (Java `JsonProperties#addProp` keeps the first value).
    pub fn add_prop(&mut self, key: &str, value: Json) {
        if self.prop(key).is_none() {
            self.props.push((key.to_string(), value));
        }
    }
    pub fn name(&self) -> Option<&Name> {
        match &self.kind {
            Kind::Record { name, .. } | Kind::Enum { name, .. } | Kind::Fixed { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }
    /// The Avro type name (`record`, `int`, ...), as `Schema.Type#getName`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Boolean => "boolean",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Float => "float",
            Kind::Double => "double",
            Kind::Bytes => "bytes",
            Kind::String => "string",
            Kind::Record { .. } => "record",
            Kind::Enum { .. } => "enum",
            Kind::Fixed { .. } => "fixed",
            Kind::Array(_) => "array",
            Kind::Map(_) => "map",
            Kind::Union(_) => "union",
            Kind::Ref(_) => "ref",
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }
}

/// A parsed schema with its named types, so references can be resolved.
#[derive(Debug, Clone)]
pub struct ParsedSchema {
    pub root: AvroSchema,
    pub names: HashMap<String, AvroSchema>,
    /// The text it was parsed from (as registered).
    pub text: String,
}

impl ParsedSchema {
    /// Follows a reference to its definition.
    pub fn resolve<'a>(&'a self, s: &'a AvroSchema) -> Result<&'a AvroSchema, AvroError> {
        match &s.kind {
            Kind::Ref(n) => self
                .names
                .get(n)
                .ok_or_else(|| AvroError::Schema(format!("Undefined name: \"{n}\""))),
            _ => Ok(s),
        }
    }

    /// Parses schema JSON text (Java `new Schema.Parser().parse(text)`).
    pub fn parse(text: &str) -> Result<ParsedSchema, AvroError> {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| AvroError::Schema(format!("Invalid Avro schema JSON: {e}")))?;
        let mut names = HashMap::new();
        let root = parse_node(&Json::from_serde(&v), None, &mut names)?;
        Ok(ParsedSchema {
            root,
            names,
            text: text.to_string(),
        })
    }
}

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];
const SCHEMA_RESERVED: [&str; 10] = [
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];
const FIELD_RESERVED: [&str; 6] = ["default", "doc", "name", "order", "type", "aliases"];

fn primitive(name: &str) -> Option<Kind> {
    Some(match name {
        "null" => Kind::Null,
        "boolean" => Kind::Boolean,
        "int" => Kind::Int,
        "long" => Kind::Long,
        "float" => Kind::Float,
        "double" => Kind::Double,
        "bytes" => Kind::Bytes,
        "string" => Kind::String,
        _ => return None,
    })
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn resolve_name(name: &str, space: Option<&str>) -> String {
    if name.contains('.') {
        return name.to_string();
    }
    match space {
        Some(ns) if !ns.is_empty() => format!("{ns}.{name}"),
        _ => name.to_string(),
    }
}

fn strings(v: Option<&Json>, what: &str) -> Result<Vec<String>, AvroError> {
    match v {
        None => Ok(Vec::new()),
        Some(Json::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| AvroError::Schema(format!("{what} must be strings: {a:?}")))
            })
            .collect(),
        Some(other) => Err(AvroError::Schema(format!(
            "{what} not an array: {}",
            other.to_text()
        ))),
    }
}

fn opt_str(v: Option<&Json>) -> Option<String> {
    v.and_then(Json::as_str).map(str::to_string)
}

fn parse_name(obj: &Json, space: Option<&str>) -> Result<Name, AvroError> {
    let raw = obj
        .get("name")
        .and_then(Json::as_str)
        .ok_or_else(|| AvroError::Schema(format!("No name in schema: {}", obj.to_text())))?;
    let (namespace, name) = match raw.rfind('.') {
        Some(i) => (Some(raw[..i].to_string()), raw[i + 1..].to_string()),
        None => {
            let ns = match obj.get("namespace") {
                Some(Json::Str(s)) => Some(s.clone()),
                Some(Json::Null) | None => space.map(str::to_string),
                Some(other) => {
                    return Err(AvroError::Schema(format!(
                        "namespace not a string: {}",
                        other.to_text()
                    )))
                }
            };
            (ns.filter(|s| !s.is_empty()), raw.to_string())
        }
    };
    if !valid_name(&name) {
        return Err(AvroError::Schema(format!("Illegal character in: {name}")));
    }
    if let Some(ns) = &namespace {
        for part in ns.split('.') {
            if !valid_name(part) {
                return Err(AvroError::Schema(format!("Illegal character in: {ns}")));
            }
        }
    }
    Ok(Name { name, namespace })
}

fn define(
    names: &mut HashMap<String, AvroSchema>,
    full: String,
    s: &AvroSchema,
) -> Result<(), AvroError> {
    if names.contains_key(&full) {
        return Err(AvroError::Schema(format!("Can't redefine: {full}")));
    }
    names.insert(full, s.clone());
    Ok(())
}

fn parse_node(
    v: &Json,
    space: Option<&str>,
    names: &mut HashMap<String, AvroSchema>,
) -> Result<AvroSchema, AvroError> {
    match v {
        Json::Str(s) => {
            if let Some(k) = primitive(s) {
                return Ok(AvroSchema::new(k));
            }
            let full = resolve_name(s, space);
            if names.contains_key(&full) {
                return Ok(AvroSchema::new(Kind::Ref(full)));
            }
            if names.contains_key(s.as_str()) {
                return Ok(AvroSchema::new(Kind::Ref(s.clone())));
            }
            Err(AvroError::Schema(format!("Undefined name: \"{s}\"")))
        }
        Json::Array(branches) => {
            let mut out = Vec::with_capacity(branches.len());
            for b in branches {
                let s = parse_node(b, space, names)?;
                if matches!(s.kind, Kind::Union(_)) {
                    return Err(AvroError::Schema("Nested union: [...]".into()));
                }
                out.push(s);
            }
            Ok(AvroSchema::new(Kind::Union(out)))
        }
        Json::Object(m) => {
            let ty = match v.get("type") {
                Some(Json::Str(t)) => t.as_str(),
                Some(inner @ (Json::Object(_) | Json::Array(_))) => {
                    return parse_node(inner, space, names)
                }
                _ => return Err(AvroError::Schema(format!("No type: {}", v.to_text()))),
            };
            let props: Props = m
                .iter()
                .filter(|(k, _)| !SCHEMA_RESERVED.contains(&k.as_str()))
                .filter(|(k, _)| !(ty == "enum" && k == "default"))
                .cloned()
                .collect();
            let doc = opt_str(v.get("doc"));
            let aliases = strings(v.get("aliases"), "aliases")?;
            let node = match ty {
                "record" | "error" => {
                    let name = parse_name(v, space)?;
                    let full = name.full();
                    // A placeholder so that fields may refer to the record itself.
                    let placeholder = AvroSchema {
                        kind: Kind::Record {
                            name: name.clone(),
                            doc: doc.clone(),
                            fields: Vec::new(),
                            aliases: aliases.clone(),
                        },
                        props: props.clone(),
                    };
                    define(names, full.clone(), &placeholder)?;
                    let inner_space = name.namespace.clone();
                    let mut fields = Vec::new();
                    let Some(Json::Array(fs)) = v.get("fields") else {
                        return Err(AvroError::Schema(format!(
                            "Record has no fields: {}",
                            v.to_text()
                        )));
                    };
                    for f in fs {
                        let fname = f.get("name").and_then(Json::as_str).ok_or_else(|| {
                            AvroError::Schema(format!("No field name: {}", f.to_text()))
                        })?;
                        if !valid_name(fname) {
                            return Err(AvroError::Schema(format!(
                                "Illegal character in: {fname}"
                            )));
                        }
                        let fty = f.get("type").ok_or_else(|| {
                            AvroError::Schema(format!("No field type: {}", f.to_text()))
                        })?;
                        let schema = parse_node(fty, inner_space.as_deref(), names)?;
                        let Json::Object(fm) = f else {
                            return Err(AvroError::Schema("Field is not a JSON object".into()));
                        };
                        fields.push(Field {
                            name: fname.to_string(),
                            schema,
                            doc: opt_str(f.get("doc")),
                            default: f.get("default").cloned(),
                            order: opt_str(f.get("order")),
                            aliases: strings(f.get("aliases"), "aliases")?,
                            props: fm
                                .iter()
                                .filter(|(k, _)| !FIELD_RESERVED.contains(&k.as_str()))
                                .cloned()
                                .collect(),
                        });
                    }
                    let node = AvroSchema {
                        kind: Kind::Record {
                            name,
                            doc,
                            fields,
                            aliases,
                        },
                        props,
                    };
                    names.insert(full, node.clone());
                    return Ok(node);
                }
                "enum" => {
                    let name = parse_name(v, space)?;
                    let symbols = strings(v.get("symbols"), "symbols")?;
                    if v.get("symbols").is_none() {
                        return Err(AvroError::Schema(format!(
                            "Enum has no symbols: {}",
                            v.to_text()
                        )));
                    }
                    let node = AvroSchema {
                        kind: Kind::Enum {
                            name: name.clone(),
                            doc,
                            symbols,
                            default: opt_str(v.get("default")),
                            aliases,
                        },
                        props,
                    };
                    define(names, name.full(), &node)?;
                    return Ok(node);
                }
                "fixed" => {
                    let name = parse_name(v, space)?;
                    let size = v
                        .get("size")
                        .and_then(Json::as_i64)
                        .filter(|s| *s >= 0)
                        .ok_or_else(|| {
                            AvroError::Schema(format!("Invalid or no size: {}", v.to_text()))
                        })? as usize;
                    let node = AvroSchema {
                        kind: Kind::Fixed {
                            name: name.clone(),
                            doc,
                            size,
                            aliases,
                        },
                        props,
                    };
                    define(names, name.full(), &node)?;
                    return Ok(node);
                }
                "array" => {
                    let items = v.get("items").ok_or_else(|| {
                        AvroError::Schema(format!("Array has no items type: {}", v.to_text()))
                    })?;
                    Kind::Array(Box::new(parse_node(items, space, names)?))
                }
                "map" => {
                    let values = v.get("values").ok_or_else(|| {
                        AvroError::Schema(format!("Map has no values type: {}", v.to_text()))
                    })?;
                    Kind::Map(Box::new(parse_node(values, space, names)?))
                }
                other => match primitive(other) {
                    Some(k) => k,
                    None => {
                        let full = resolve_name(other, space);
                        if names.contains_key(&full) {
                            Kind::Ref(full)
                        } else {
                            return Err(AvroError::Schema(format!("Undefined name: \"{other}\"")));
                        }
                    }
                },
            };
            Ok(AvroSchema { kind: node, props })
        }
        other => Err(AvroError::Schema(format!(
            "Schema not yet supported: {}",
            other.to_text()
        ))),
    }
}

/// Writes `schema` as Avro's `Schema#toString()` does: compact JSON, named types written in
/// full the first time and by name afterwards, the namespace only where it differs from the
/// enclosing record's. A second, different definition of a name is an error, as in Java.
pub fn to_json_text(schema: &AvroSchema) -> Result<String, AvroError> {
    let mut w = Writer {
        out: String::with_capacity(256),
        defined: Vec::new(),
        space: None,
    };
    w.schema(schema)?;
    Ok(w.out)
}

struct Writer<'a> {
    out: String,
    defined: Vec<(String, &'a AvroSchema)>,
    space: Option<String>,
}

impl<'a> Writer<'a> {
    fn props(&mut self, props: &Props) {
        for (k, v) in props {
            self.out.push(',');
            write_str(&mut self.out, k);
            self.out.push(':');
            v.write(&mut self.out);
        }
    }

    fn key(&mut self, k: &str) {
        self.out.push(',');
        write_str(&mut self.out, k);
        self.out.push(':');
    }

    /// Writes a reference if `name` was written before; errors on a different redefinition.
    fn name_ref(&mut self, name: &Name, s: &'a AvroSchema) -> Result<bool, AvroError> {
        let full = name.full();
        if let Some((_, prev)) = self.defined.iter().find(|(n, _)| *n == full) {
            if *prev == s {
                let q = if name.namespace.as_deref() == self.space.as_deref()
                    || name.namespace.is_none()
                {
                    name.name.clone()
                } else {
                    full
                };
                write_str(&mut self.out, &q);
                return Ok(true);
            }
            return Err(AvroError::Schema(format!("Can't redefine: {full}")));
        }
        self.defined.push((full, s));
        Ok(false)
    }

    fn write_name(&mut self, name: &Name) {
        self.key("name");
        write_str(&mut self.out, &name.name);
        match &name.namespace {
            Some(ns) => {
                if self.space.as_deref() != Some(ns.as_str()) {
                    self.key("namespace");
                    write_str(&mut self.out, ns);
                }
            }
            None => {
                if self.space.is_some() {
                    self.key("namespace");
                    self.out.push_str("\"\"");
                }
            }
        }
    }

    fn aliases(&mut self, aliases: &[String]) {
        if !aliases.is_empty() {
            self.key("aliases");
            Json::Array(aliases.iter().map(|a| Json::Str(a.clone())).collect())
                .write(&mut self.out);
        }
    }

    fn schema(&mut self, s: &'a AvroSchema) -> Result<(), AvroError> {
        match &s.kind {
            Kind::Union(branches) => {
                self.out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.schema(b)?;
                }
                self.out.push(']');
            }
            Kind::Ref(full) => write_str(&mut self.out, full),
            Kind::Record {
                name,
                doc,
                fields,
                aliases,
            } => {
                if self.name_ref(name, s)? {
                    return Ok(());
                }
                self.out.push_str("{\"type\":\"record\"");
                self.write_name(name);
                if let Some(d) = doc {
                    self.key("doc");
                    write_str(&mut self.out, d);
                }
                self.key("fields");
                self.out.push('[');
                let saved = std::mem::replace(&mut self.space, name.namespace.clone());
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.out.push_str("{\"name\":");
                    write_str(&mut self.out, &f.name);
                    self.out.push_str(",\"type\":");
                    self.schema(&f.schema)?;
                    if let Some(d) = &f.doc {
                        self.key("doc");
                        write_str(&mut self.out, d);
                    }
                    if let Some(d) = &f.default {
                        self.key("default");
                        d.write(&mut self.out);
                    }
                    if let Some(o) = &f.order {
                        if o != "ascending" {
                            self.key("order");
                            write_str(&mut self.out, o);
                        }
                    }
                    self.aliases(&f.aliases);
                    self.props(&f.props);
                    self.out.push('}');
                }
                self.space = saved;
                self.out.push(']');
                self.props(&s.props);
                self.aliases(aliases);
                self.out.push('}');
            }
            Kind::Enum {
                name,
                doc,
                symbols,
                default,
                aliases,
            } => {
                if self.name_ref(name, s)? {
                    return Ok(());
                }
                self.out.push_str("{\"type\":\"enum\"");
                self.write_name(name);
                if let Some(d) = doc {
                    self.key("doc");
                    write_str(&mut self.out, d);
                }
                self.key("symbols");
                Json::Array(symbols.iter().map(|a| Json::Str(a.clone())).collect())
                    .write(&mut self.out);
                if let Some(d) = default {
                    self.key("default");
                    write_str(&mut self.out, d);
                }
                self.props(&s.props);
                self.aliases(aliases);
                self.out.push('}');
            }
            Kind::Fixed {
                name,
                doc,
                size,
                aliases,
            } => {
                if self.name_ref(name, s)? {
                    return Ok(());
                }
                self.out.push_str("{\"type\":\"fixed\"");
                self.write_name(name);
                if let Some(d) = doc {
                    self.key("doc");
                    write_str(&mut self.out, d);
                }
                self.key("size");
                self.out.push_str(itoa::Buffer::new().format(*size));
                self.props(&s.props);
                self.aliases(aliases);
                self.out.push('}');
            }
            Kind::Array(items) => {
                self.out.push_str("{\"type\":\"array\",\"items\":");
                self.schema(items)?;
                self.props(&s.props);
                self.out.push('}');
            }
            Kind::Map(values) => {
                self.out.push_str("{\"type\":\"map\",\"values\":");
                self.schema(values)?;
                self.props(&s.props);
                self.out.push('}');
            }
            _ => {
                if s.props.is_empty() {
                    write_str(&mut self.out, s.type_name());
                } else {
                    self.out.push_str("{\"type\":");
                    write_str(&mut self.out, s.type_name());
                    self.props(&s.props);
                    self.out.push('}');
                }
            }
        }
        Ok(())
    }
}

/// Whether `name` is one of Avro's primitive type names.
pub fn is_primitive_name(name: &str) -> bool {
    PRIMITIVES.contains(&name)
}

/// Whether data written with `writer` can be read with `reader` (Avro's
/// `SchemaCompatibility#checkReaderWriterCompatibility`).
pub fn can_read(reader: &ParsedSchema, writer: &ParsedSchema) -> bool {
    check_compatible(reader, writer).is_ok()
}

/// [`can_read`] with the reason when not, e.g. `READER_FIELD_MISSING_DEFAULT_VALUE`.
pub fn check_compatible(reader: &ParsedSchema, writer: &ParsedSchema) -> Result<(), String> {
    let mut seen = Vec::new();
    compat(reader, &reader.root, writer, &writer.root, "", &mut seen)
}

fn compat(
    rp: &ParsedSchema,
    r: &AvroSchema,
    wp: &ParsedSchema,
    w: &AvroSchema,
    path: &str,
    seen: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let r = rp.resolve(r).map_err(|e| e.to_string())?;
    let w = wp.resolve(w).map_err(|e| e.to_string())?;
    if let (Some(rn), Some(wn)) = (r.name(), w.name()) {
        let pair = (rn.full(), wn.full());
        if seen.contains(&pair) {
            return Ok(());
        }
        seen.push(pair);
    }
    let mismatch = |kind: &str, detail: String| {
        Err(format!(
            "{{errorType:'{kind}', description:'{detail}', additionalInfo:'{}'}}",
            if path.is_empty() { "/" } else { path }
        ))
    };
    if let Kind::Union(ws) = &w.kind {
        for (i, b) in ws.iter().enumerate() {
            compat(rp, r, wp, b, &format!("{path}/{i}"), seen)?;
        }
        return Ok(());
    }
    if let Kind::Union(rs) = &r.kind {
        if rs
            .iter()
            .any(|b| compat(rp, b, wp, w, path, &mut seen.clone()).is_ok())
        {
            return Ok(());
        }
        return mismatch(
            "MISSING_UNION_BRANCH",
            format!(
                "reader union lacking writer type: {}",
                w.type_name().to_uppercase()
            ),
        );
    }
    match (&r.kind, &w.kind) {
        (Kind::Null, Kind::Null)
        | (Kind::Boolean, Kind::Boolean)
        | (Kind::Int, Kind::Int)
        | (Kind::Long, Kind::Long | Kind::Int)
        | (Kind::Float, Kind::Float | Kind::Long | Kind::Int)
        | (Kind::Double, Kind::Double | Kind::Float | Kind::Long | Kind::Int)
        | (Kind::Bytes, Kind::Bytes | Kind::String)
        | (Kind::String, Kind::String | Kind::Bytes) => Ok(()),
        (Kind::Array(ri), Kind::Array(wi)) => {
            compat(rp, ri, wp, wi, &format!("{path}/items"), seen)
        }
        (Kind::Map(rv), Kind::Map(wv)) => compat(rp, rv, wp, wv, &format!("{path}/values"), seen),
        (
            Kind::Fixed {
                name: rn, size: rs, ..
            },
            Kind::Fixed {
                name: wn, size: ws, ..
            },
        ) => {
            if rn.name != wn.name {
                return mismatch("NAME_MISMATCH", format!("expected: {}", wn.full()));
            }
            if rs != ws {
                return mismatch(
                    "FIXED_SIZE_MISMATCH",
                    format!("expected: {ws}, found: {rs}"),
                );
            }
            Ok(())
        }
        (
            Kind::Enum {
                name: rn,
                symbols: rsym,
                default,
                ..
            },
            Kind::Enum {
                name: wn,
                symbols: wsym,
                ..
            },
        ) => {
            if rn.name != wn.name {
                return mismatch("NAME_MISMATCH", format!("expected: {}", wn.full()));
            }
            let missing: Vec<&String> = wsym.iter().filter(|s| !rsym.contains(s)).collect();
            if !missing.is_empty() && default.is_none() {
                return mismatch("MISSING_ENUM_SYMBOLS", format!("{missing:?}"));
            }
            Ok(())
        }
        (
            Kind::Record {
                name: rn,
                fields: rf,
                aliases,
                ..
            },
            Kind::Record {
                name: wn,
                fields: wf,
                ..
            },
        ) => {
            if rn.name != wn.name && !aliases.iter().any(|a| a == &wn.full() || a == &wn.name) {
                return mismatch("NAME_MISMATCH", format!("expected: {}", wn.full()));
            }
            for (i, f) in rf.iter().enumerate() {
                let fpath = format!("{path}/fields/{i}");
                match wf
                    .iter()
                    .find(|x| x.name == f.name || f.aliases.contains(&x.name))
                {
                    Some(x) => {
                        compat(rp, &f.schema, wp, &x.schema, &format!("{fpath}/type"), seen)?
                    }
                    None => {
                        if f.default.is_none() {
                            return mismatch("READER_FIELD_MISSING_DEFAULT_VALUE", f.name.clone());
                        }
                    }
                }
            }
            Ok(())
        }
        _ => mismatch(
            "TYPE_MISMATCH",
            format!(
                "reader type: {} not compatible with writer type: {}",
                r.type_name().to_uppercase(),
                w.type_name().to_uppercase()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_text_with_props_in_order() {
        let text = r#"{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"id","type":"long"},{"name":"n","type":["null",{"type":"int","connect.type":"int8"}],"default":null},{"name":"child","type":{"type":"record","name":"C","fields":[{"name":"x","type":"string"}]}},{"name":"again","type":"C"}],"connect.version":1,"connect.name":"com.example.User"}"#;
        let p = ParsedSchema::parse(text).unwrap();
        assert_eq!(
            to_json_text(&p.root)
                .unwrap()
                .replace("\"com.example.C\"", "\"C\""),
            text
        );
    }

    #[test]
    fn compatibility_follows_avro_resolution() {
        let p = |t: &str| ParsedSchema::parse(t).unwrap();
        let v1 = p(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
        let v2_opt = p(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":["null","string"],"default":null}]}"#,
        );
        let v2_req = p(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#,
        );
        assert!(can_read(&v2_opt, &v1));
        assert!(!can_read(&v1, &v2_opt));
        let e = check_compatible(&v2_req, &v1).unwrap_err();
        assert!(e.contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{e}");
    }

    #[test]
    fn a_different_redefinition_is_an_error() {
        let a = AvroSchema::new(Kind::Fixed {
            name: Name {
                name: "F".into(),
                namespace: None,
            },
            doc: None,
            size: 2,
            aliases: vec![],
        });
        let mut b = a.clone();
        if let Kind::Fixed { size, .. } = &mut b.kind {
            *size = 3;
        }
        let u = AvroSchema::new(Kind::Union(vec![a, b]));
        assert_eq!(
            to_json_text(&u).unwrap_err().to_string(),
            "Can't redefine: F"
        );
    }
}
