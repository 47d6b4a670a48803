use indexmap::IndexMap;
use std::sync::Arc;

use super::value::Value;
use crate::error::{ConnectError, ConnectResult};

/// Schemas are immutable once built and shared between records.
pub type SchemaRef = Arc<Schema>;

/// The Connect schema types (Java `Schema.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl Type {
    /// The lower-case name Java's `Type.getName()` returns (`int8`, `float32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Type::Int8 => "int8",
            Type::Int16 => "int16",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Float32 => "float32",
            Type::Float64 => "float64",
            Type::Boolean => "boolean",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::Array => "array",
            Type::Map => "map",
            Type::Struct => "struct",
        }
    }
    /// The upper-case enum constant name (`INT8`, `STRUCT`, ...), as Java prints it.
    pub fn java_name(self) -> &'static str {
        match self {
            Type::Int8 => "INT8",
            Type::Int16 => "INT16",
            Type::Int32 => "INT32",
            Type::Int64 => "INT64",
            Type::Float32 => "FLOAT32",
            Type::Float64 => "FLOAT64",
            Type::Boolean => "BOOLEAN",
            Type::String => "STRING",
            Type::Bytes => "BYTES",
            Type::Array => "ARRAY",
            Type::Map => "MAP",
            Type::Struct => "STRUCT",
        }
    }
    /// Everything but ARRAY, MAP and STRUCT.
    pub fn is_primitive(self) -> bool {
        !matches!(self, Type::Array | Type::Map | Type::Struct)
    }
}

/// A struct field: its name, position and schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub index: usize,
    pub schema: SchemaRef,
}

/// An immutable Connect schema (Java `ConnectSchema`).
///
/// Equality compares every attribute, as Java does: two schemas that differ only in
/// `doc`, `version` or a parameter are different schemas.
///
/// ```
/// use rconnect_sdk::data::{Schema, Type};
/// let s = Schema::optional_string();
/// assert_eq!(s.schema_type, Type::String);
/// assert!(s.optional);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub schema_type: Type,
    pub optional: bool,
    pub default_value: Option<Value>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    /// `None` until a parameter is added: Java keeps `null` and `{}` apart.
    pub parameters: Option<IndexMap<String, String>>,
    pub fields: Vec<Field>,
    pub key_schema: Option<SchemaRef>,
    pub value_schema: Option<SchemaRef>,
}

macro_rules! primitive_ctors {
    ($($req:ident, $opt:ident, $ty:expr;)*) => {
        $(
            #[doc = concat!("A required `", stringify!($req), "` schema.")]
            pub fn $req() -> SchemaRef { Arc::new(Schema::primitive($ty, false)) }
            #[doc = concat!("An optional `", stringify!($req), "` schema.")]
            pub fn $opt() -> SchemaRef { Arc::new(Schema::primitive($ty, true)) }
        )*
    };
}

impl Schema {
    /// A bare schema of type `t`.
    pub fn primitive(t: Type, optional: bool) -> Schema {
        Schema {
            schema_type: t,
            optional,
            default_value: None,
            name: None,
            version: None,
            doc: None,
            parameters: None,
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
        }
    }

    primitive_ctors! {
        int8, optional_int8, Type::Int8;
        int16, optional_int16, Type::Int16;
        int32, optional_int32, Type::Int32;
        int64, optional_int64, Type::Int64;
        float32, optional_float32, Type::Float32;
        float64, optional_float64, Type::Float64;
        boolean, optional_boolean, Type::Boolean;
        string, optional_string, Type::String;
        bytes, optional_bytes, Type::Bytes;
    }

    /// The field named `name`, if this is a struct schema that has one.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// A parameter value.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        let params = self.parameters.as_ref()?;
        // Schemas carry a handful of parameters, and the converters look one up per value
        // (a Decimal's `scale`): comparing a few keys beats hashing the one looked for.
        if params.len() <= 8 {
            return params
                .iter()
                .find(|(k, _)| k.as_str() == key)
                .map(|(_, v)| v.as_str());
        }
        params.get(key).map(String::as_str)
    }

    /// Validates `value` against this schema (Java `ConnectSchema.validateValue`).
    pub fn validate_value(&self, value: &Value) -> ConnectResult<()> {
        super::value::validate_value(None, self, value)
    }
}

/// Builds a [`Schema`] (Java `SchemaBuilder`).
///
/// ```
/// use rconnect_sdk::data::{Schema, SchemaBuilder, Type, Value};
/// let s = SchemaBuilder::int32().optional().default_value(Value::Int32(7)).unwrap().build();
/// assert_eq!(s.default_value, Some(Value::Int32(7)));
/// let arr = SchemaBuilder::array(Schema::string()).build();
/// assert_eq!(arr.value_schema.as_ref().unwrap().schema_type, Type::String);
/// ```
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    schema: Schema,
}

impl SchemaBuilder {
    /// A builder for a schema of type `t`.
    pub fn new(t: Type) -> Self {
        SchemaBuilder {
            schema: Schema::primitive(t, false),
        }
    }
    pub fn int8() -> Self {
        Self::new(Type::Int8)
    }
    pub fn int16() -> Self {
        Self::new(Type::Int16)
    }
    pub fn int32() -> Self {
        Self::new(Type::Int32)
    }
    pub fn int64() -> Self {
        Self::new(Type::Int64)
    }
    pub fn float32() -> Self {
        Self::new(Type::Float32)
    }
    pub fn float64() -> Self {
        Self::new(Type::Float64)
    }
    pub fn boolean() -> Self {
        Self::new(Type::Boolean)
    }
    pub fn string() -> Self {
        Self::new(Type::String)
    }
    pub fn bytes() -> Self {
        Self::new(Type::Bytes)
    }
    /// A struct builder; add fields with [`SchemaBuilder::field`].
    pub fn struct_() -> Self {
        Self::new(Type::Struct)
    }
    /// An array of `items`.
    pub fn array(items: SchemaRef) -> Self {
        let mut b = Self::new(Type::Array);
        b.schema.value_schema = Some(items);
        b
    }
    /// A map from `keys` to `values`.
    pub fn map(keys: SchemaRef, values: SchemaRef) -> Self {
        let mut b = Self::new(Type::Map);
        b.schema.key_schema = Some(keys);
        b.schema.value_schema = Some(values);
        b
    }

    pub fn optional(mut self) -> Self {
        self.schema.optional = true;
        self
    }
    pub fn required(mut self) -> Self {
        self.schema.optional = false;
        self
    }
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.schema.name = Some(name.into());
        self
    }
    pub fn version(mut self, v: i32) -> Self {
        self.schema.version = Some(v);
        self
    }
    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.schema.doc = Some(doc.into());
        self
    }
    pub fn parameter(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.schema
            .parameters
            .get_or_insert_with(IndexMap::new)
            .insert(k.into(), v.into());
        self
    }
    /// Sets the default, validated against the schema built so far (as Java does).
    pub fn default_value(mut self, v: Value) -> ConnectResult<Self> {
        super::value::validate_value(None, &self.schema, &v)
            .map_err(|e| ConnectError::data(format!("Invalid default value: {e}")))?;
        self.schema.default_value = Some(v);
        Ok(self)
    }
    /// Adds a struct field; panics on a non-struct builder or a duplicate name, since that
    /// is a programming error in the connector (Java throws `SchemaBuilderException`).
    pub fn field(self, name: impl Into<String>, schema: SchemaRef) -> Self {
        self.try_field(name, schema).expect("invalid struct field")
    }
    /// Adds a struct field, reporting a non-struct builder, an empty or duplicate name.
    pub fn try_field(mut self, name: impl Into<String>, schema: SchemaRef) -> ConnectResult<Self> {
        let name = name.into();
        if self.schema.schema_type != Type::Struct {
            return Err(ConnectError::data(
                "Cannot create fields on type ".to_string() + self.schema.schema_type.java_name(),
            ));
        }
        if name.is_empty() {
            return Err(ConnectError::data("fieldName cannot be null."));
        }
        if self.schema.fields.iter().any(|f| f.name == name) {
            return Err(ConnectError::data(format!(
                "Cannot create field because of field name duplication {name}"
            )));
        }
        let index = self.schema.fields.len();
        self.schema.fields.push(Field {
            name,
            index,
            schema,
        });
        Ok(self)
    }
    /// The schema as built so far.
    pub fn peek(&self) -> &Schema {
        &self.schema
    }
    pub fn build(self) -> SchemaRef {
        Arc::new(self.schema)
    }
}
