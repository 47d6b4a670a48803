use num_bigint::BigInt;

use super::logical;
use super::schema::{Schema, SchemaRef, Type};
use super::text::Text;
use crate::error::{ConnectError, ConnectResult};

/// An arbitrary-precision decimal: `unscaled × 10^-scale` (Java `BigDecimal`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    pub unscaled: BigInt,
    pub scale: i32,
}

impl Decimal {
    pub fn new(unscaled: impl Into<BigInt>, scale: i32) -> Self {
        Decimal {
            unscaled: unscaled.into(),
            scale,
        }
    }
}

impl std::fmt::Display for Decimal {
    /// Java `BigDecimal.toString()`: plain notation unless the adjusted exponent is below -6
    /// or the scale is negative, then scientific (`1E-7`, `1.23E+5`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.unscaled.magnitude().to_string();
        let neg = self.unscaled.sign() == num_bigint::Sign::Minus;
        let sign = if neg { "-" } else { "" };
        let scale = self.scale as i64;
        let adjusted = -scale + (digits.len() as i64 - 1);
        if scale >= 0 && adjusted >= -6 {
            if scale == 0 {
                return write!(f, "{sign}{digits}");
            }
            let scale = scale as usize;
            if digits.len() > scale {
                let (int, frac) = digits.split_at(digits.len() - scale);
                write!(f, "{sign}{int}.{frac}")
            } else {
                write!(f, "{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
            }
        } else {
            let (first, rest) = digits.split_at(1);
            let mantissa = if rest.is_empty() {
                first.to_string()
            } else {
                format!("{first}.{rest}")
            };
            if adjusted >= 0 {
                write!(f, "{sign}{mantissa}E+{adjusted}")
            } else {
                write!(f, "{sign}{mantissa}E{adjusted}")
            }
        }
    }
}

/// A Connect value. `Null` is Java's `null`.
///
/// Logical types have their own variants, as Java gives them their own classes:
/// [`Value::Decimal`] for `Decimal`, and [`Value::Timestamp`] (milliseconds since the
/// epoch, Java's `java.util.Date`) for `Date`, `Time` and `Timestamp`.
///
/// Maps keep their entries as ordered pairs, so keys may be any value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    Boolean(bool),
    /// A string; [`Text`] shares one allocation among the values that repeat it.
    String(Text),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Struct(Struct),
    Decimal(Decimal),
    Timestamp(i64),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    /// True for the variants that hold memory of their own (a string, bytes, a container,
    /// a decimal's digits); false for null and the fixed-size scalars.
    ///
    /// ```
    /// use rconnect_sdk::data::Value;
    /// assert!(Value::from("text").owns_memory());
    /// assert!(!Value::Timestamp(0).owns_memory());
    /// ```
    pub fn owns_memory(&self) -> bool {
        !matches!(
            self,
            Value::Null
                | Value::Int8(_)
                | Value::Int16(_)
                | Value::Int32(_)
                | Value::Int64(_)
                | Value::Float32(_)
                | Value::Float64(_)
                | Value::Boolean(_)
                | Value::Timestamp(_)
        )
    }
    /// Drops the value, with the check for a scalar inlined at the caller. Dropping a
    /// `Value` is otherwise an out-of-line call that saves registers for every variant,
    /// which a row of scalars (or a slot overwritten while still null) pays once per value.
    ///
    /// ```
    /// use rconnect_sdk::data::Value;
    /// Value::Int64(7).discard();
    /// Value::from("freed as usual").discard();
    /// ```
    #[inline]
    pub fn discard(self) {
        if self.owns_memory() {
            drop(self);
        } else {
            // Nothing to free: a scalar's bytes are all it is.
            std::mem::forget(self);
        }
    }
    /// Puts `value` into `slot`, discarding what was there ([`Value::discard`]).
    ///
    /// ```
    /// use rconnect_sdk::data::Value;
    /// let mut slot = Value::Null;
    /// Value::replace_in(&mut slot, Value::Int32(3));
    /// assert_eq!(slot, Value::Int32(3));
    /// ```
    #[inline]
    pub fn replace_in(slot: &mut Value, value: Value) {
        std::mem::replace(slot, value).discard();
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }
    /// The name of the Java class this value corresponds to, for error messages.
    pub fn java_class(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int8(_) => "java.lang.Byte",
            Value::Int16(_) => "java.lang.Short",
            Value::Int32(_) => "java.lang.Integer",
            Value::Int64(_) => "java.lang.Long",
            Value::Float32(_) => "java.lang.Float",
            Value::Float64(_) => "java.lang.Double",
            Value::Boolean(_) => "java.lang.Boolean",
            Value::String(_) => "java.lang.String",
            Value::Bytes(_) => "[B",
            Value::Array(_) => "java.util.ArrayList",
            Value::Map(_) => "java.util.HashMap",
            Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
            Value::Decimal(_) => "java.math.BigDecimal",
            Value::Timestamp(_) => "java.util.Date",
        }
    }
    /// The schema type a schemaless value of this kind implies (Java
    /// `ConnectSchema.schemaType(Class)`); `None` for null, Decimal and Timestamp, which
    /// Java cannot infer either.
    pub fn inferred_type(&self) -> Option<Type> {
        Some(match self {
            Value::Int8(_) => Type::Int8,
            Value::Int16(_) => Type::Int16,
            Value::Int32(_) => Type::Int32,
            Value::Int64(_) => Type::Int64,
            Value::Float32(_) => Type::Float32,
            Value::Float64(_) => Type::Float64,
            Value::Boolean(_) => Type::Boolean,
            Value::String(_) => Type::String,
            Value::Bytes(_) => Type::Bytes,
            Value::Array(_) => Type::Array,
            Value::Map(_) => Type::Map,
            Value::Struct(_) => Type::Struct,
            Value::Null | Value::Decimal(_) | Value::Timestamp(_) => return None,
        })
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}
impl From<Text> for Value {
    fn from(s: Text) -> Self {
        Value::String(s)
    }
}

/// A schema and a value, both optional (Java `SchemaAndValue`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchemaAndValue {
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

impl SchemaAndValue {
    /// `SchemaAndValue.NULL`.
    pub const NULL: SchemaAndValue = SchemaAndValue {
        schema: None,
        value: Value::Null,
    };
    pub fn new(schema: Option<SchemaRef>, value: Value) -> Self {
        SchemaAndValue { schema, value }
    }
}

/// A structured value with a STRUCT schema (Java `Struct`).
///
/// ```
/// use rconnect_sdk::data::{Schema, SchemaBuilder, Struct, Value};
/// let schema = SchemaBuilder::struct_()
///     .field("a", Schema::int32())
///     .field("b", Schema::optional_string())
///     .build();
/// let mut s = Struct::new(schema);
/// s.put("a", Value::Int32(1)).unwrap();
/// assert!(s.put("a", Value::String("x".into())).is_err());
/// assert!(s.validate().is_ok());
/// assert_eq!(s.to_string(), "Struct{a=1}");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    schema: SchemaRef,
    values: Slots,
}

/// A struct's values, whose scalars are dropped without `Value`'s drop glue (the check of
/// [`Value::discard`]): a database row is mostly scalars, and the glue's call per value cost
/// a 10-column JDBC row about 465 of its 13,000 instructions.
#[derive(Debug, Clone, PartialEq, Default)]
struct Slots(Vec<Value>);

impl Drop for Slots {
    fn drop(&mut self) {
        let len = self.0.len();
        let values = self.0.as_mut_ptr();
        // SAFETY: the length is zeroed first, so the `Vec`'s own drop then frees only the
        // buffer, and each of the `len` initialised values is dropped here at most once (a
        // panicking drop leaks the rest, as a zeroed length should).
        unsafe {
            self.0.set_len(0);
            for i in 0..len {
                let v = &mut *values.add(i);
                if v.owns_memory() {
                    std::ptr::drop_in_place(v);
                }
            }
        }
    }
}

impl std::ops::Deref for Slots {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl std::ops::DerefMut for Slots {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

impl Struct {
    /// An empty struct of `schema`; every slot starts null.
    pub fn new(schema: SchemaRef) -> Self {
        assert_eq!(
            schema.schema_type,
            Type::Struct,
            "Struct::new needs a STRUCT schema"
        );
        let n = schema.fields.len();
        Struct {
            schema,
            values: Slots(vec![Value::Null; n]),
        }
    }
    /// A struct of `schema` holding `values` in field order, without validation: the caller
    /// guarantees one value per field that fits it (a source building every record of a
    /// query from one schema saves the null-filled slots and a write per field).
    ///
    /// Panics when `values` does not have one entry per field.
    pub fn from_values_unchecked(schema: SchemaRef, values: Vec<Value>) -> Self {
        assert_eq!(
            schema.fields.len(),
            values.len(),
            "Struct::from_values_unchecked needs one value per field"
        );
        Struct {
            schema,
            values: Slots(values),
        }
    }
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }
    /// Sets a field after validating the value against the field's schema.
    pub fn put(&mut self, field: &str, value: Value) -> ConnectResult<&mut Self> {
        let f = self
            .schema
            .field(field)
            .ok_or_else(|| ConnectError::data(format!("{field} is not a valid field name")))?;
        validate_value(Some(field), &f.schema, &value)?;
        let i = f.index;
        Value::replace_in(&mut self.values[i], value);
        Ok(self)
    }
    /// [`Struct::put`] by position: the value is validated against the field at `index`
    /// (errors name the field), without looking the field up by name.
    ///
    /// ```
    /// use rconnect_sdk::data::{Schema, SchemaBuilder, Struct, Value};
    /// let schema = SchemaBuilder::struct_().field("a", Schema::int32()).build();
    /// let mut s = Struct::new(schema);
    /// s.put_at(0, Value::Int32(1)).unwrap();
    /// assert!(s.put_at(0, Value::from("x")).is_err());
    /// assert!(s.put_at(1, Value::Int32(2)).is_err());
    /// ```
    pub fn put_at(&mut self, index: usize, value: Value) -> ConnectResult<&mut Self> {
        let f = self.schema.fields.get(index).ok_or_else(|| {
            ConnectError::data(format!(
                "{index} is not a valid field index of a struct with {} fields",
                self.schema.fields.len()
            ))
        })?;
        validate_value(Some(&f.name), &f.schema, &value)?;
        Value::replace_in(&mut self.values[index], value);
        Ok(self)
    }
    /// Sets a field by position without validation; the caller guarantees the value fits.
    pub fn put_unchecked(&mut self, index: usize, value: Value) {
        Value::replace_in(&mut self.values[index], value);
    }
    /// The schema and the raw slots, for a transformation that rebuilds the struct around
    /// the same values: moving them costs nothing, where copying a string field allocates.
    ///
    /// ```
    /// use rconnect_sdk::data::{Schema, SchemaBuilder, Struct, Value};
    /// let a = SchemaBuilder::struct_().field("a", Schema::string()).build();
    /// let b = SchemaBuilder::struct_().field("b", Schema::string()).build();
    /// let mut s = Struct::new(a);
    /// s.put("a", Value::from("x")).unwrap();
    /// let (_, values) = s.into_parts();
    /// let renamed = Struct::from_parts_unchecked(b, values);
    /// assert_eq!(renamed.to_string(), "Struct{b=x}");
    /// ```
    pub fn into_parts(mut self) -> (SchemaRef, Vec<Value>) {
        let values = std::mem::take(&mut self.values.0);
        (self.schema, values)
    }
    /// A struct of `schema` holding `values` in field order, without validation; the
    /// caller guarantees one value per field, each fitting its field's schema.
    pub fn from_parts_unchecked(schema: SchemaRef, values: Vec<Value>) -> Self {
        assert_eq!(
            schema.fields.len(),
            values.len(),
            "Struct::from_parts_unchecked needs one value per field"
        );
        Struct {
            schema,
            values: Slots(values),
        }
    }
    /// The value of `field`, or the field schema's default when the slot is null.
    pub fn get(&self, field: &str) -> ConnectResult<&Value> {
        let f = self
            .schema
            .field(field)
            .ok_or_else(|| ConnectError::data(format!("{field} is not a valid field name")))?;
        Ok(self.get_at(f.index))
    }
    /// The value at `index`, with the default applied when the slot is null.
    pub fn get_at(&self, index: usize) -> &Value {
        let v = &self.values[index];
        if v.is_null() {
            if let Some(d) = &self.schema.fields[index].schema.default_value {
                return d;
            }
        }
        v
    }
    /// The raw slot of `field`, with no default substitution.
    pub fn get_without_default(&self, field: &str) -> ConnectResult<&Value> {
        let f = self
            .schema
            .field(field)
            .ok_or_else(|| ConnectError::data(format!("{field} is not a valid field name")))?;
        Ok(&self.values[f.index])
    }
    /// The raw slots in field order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }
    /// Checks that every null slot is optional or has a default, and every value fits.
    pub fn validate(&self) -> ConnectResult<()> {
        for f in &self.schema.fields {
            let v = &self.values[f.index];
            if v.is_null() && (f.schema.optional || f.schema.default_value.is_some()) {
                continue;
            }
            validate_value(Some(&f.name), &f.schema, v)?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Struct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Struct{")?;
        let mut first = true;
        for (field, v) in self.schema.fields.iter().zip(self.values.iter()) {
            if v.is_null() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{}=", field.name)?;
            write_java_string(f, v)?;
        }
        f.write_str("}")
    }
}

/// Renders a value as Java's `String.valueOf` would (used by `StringConverter` and the
/// FileStream sink): `Struct{a=1}`, `{k=v, k2=v2}`, `[1, 2]`, `1.0E10`.
///
/// Byte arrays, which Java renders as an unstable identity hash (`[B@1b6d3586`), are
/// written as Java's `Arrays.toString` would list them: signed bytes, `[104, 105, -1]`.
pub fn write_java_string(f: &mut impl std::fmt::Write, v: &Value) -> std::fmt::Result {
    match v {
        Value::Null => f.write_str("null"),
        Value::Int8(x) => write!(f, "{x}"),
        Value::Int16(x) => write!(f, "{x}"),
        Value::Int32(x) => write!(f, "{x}"),
        Value::Int64(x) => write!(f, "{x}"),
        Value::Float32(x) => f.write_str(&crate::data::logical::java_float_string(*x as f64, true)),
        Value::Float64(x) => f.write_str(&crate::data::logical::java_float_string(*x, false)),
        Value::Boolean(b) => write!(f, "{b}"),
        Value::String(s) => f.write_str(s),
        Value::Bytes(b) => {
            f.write_str("[")?;
            for (i, x) in b.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}", *x as i8)?;
            }
            f.write_str("]")
        }
        Value::Array(items) => {
            f.write_str("[")?;
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_java_string(f, x)?;
            }
            f.write_str("]")
        }
        Value::Map(entries) => {
            f.write_str("{")?;
            for (i, (k, x)) in entries.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_java_string(f, k)?;
                f.write_str("=")?;
                write_java_string(f, x)?;
            }
            f.write_str("}")
        }
        Value::Struct(s) => write!(f, "{s}"),
        Value::Decimal(d) => write!(f, "{d}"),
        Value::Timestamp(ms) => write!(f, "{}", logical::format_java_date(*ms)),
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_java_string(f, self)
    }
}

/// Java `ConnectSchema.validateValue(field, schema, value)`.
pub(crate) fn validate_value(
    field: Option<&str>,
    schema: &Schema,
    value: &Value,
) -> ConnectResult<()> {
    let at = || {
        field
            .map(|f| format!(" for field: \"{f}\""))
            .unwrap_or_default()
    };
    if value.is_null() {
        if schema.optional {
            return Ok(());
        }
        return Err(ConnectError::data(format!(
            "Invalid value: null used for required field: \"{}\", schema type: {}",
            field.unwrap_or("null"),
            schema.schema_type.java_name()
        )));
    }
    if let Some(name) = schema.name.as_deref() {
        let ok = match name {
            logical::DECIMAL_NAME => Some(matches!(value, Value::Decimal(_))),
            logical::DATE_NAME | logical::TIME_NAME | logical::TIMESTAMP_NAME => {
                Some(matches!(value, Value::Timestamp(_)))
            }
            _ => None,
        };
        if let Some(ok) = ok {
            return if ok {
                Ok(())
            } else {
                Err(ConnectError::data(format!(
                    "Invalid Java object for schema \"{name}\" with type {}: {}{}",
                    schema.schema_type.java_name(),
                    value.java_class(),
                    at()
                )))
            };
        }
    }
    let type_ok = matches!(
        (schema.schema_type, value),
        (Type::Int8, Value::Int8(_))
            | (Type::Int16, Value::Int16(_))
            | (Type::Int32, Value::Int32(_))
            | (Type::Int64, Value::Int64(_))
            | (Type::Float32, Value::Float32(_))
            | (Type::Float64, Value::Float64(_))
            | (Type::Boolean, Value::Boolean(_))
            | (Type::String, Value::String(_))
            | (Type::Bytes, Value::Bytes(_))
            | (Type::Array, Value::Array(_))
            | (Type::Map, Value::Map(_))
            | (Type::Struct, Value::Struct(_))
    );
    if !type_ok {
        return Err(ConnectError::data(format!(
            "Invalid Java object for schema with type {}: {}{}",
            schema.schema_type.java_name(),
            value.java_class(),
            at()
        )));
    }
    match value {
        Value::Struct(s) => {
            if s.schema.as_ref() != schema {
                return Err(ConnectError::data("Struct schemas do not match."));
            }
            s.validate()
        }
        Value::Array(items) => {
            let vs = schema
                .value_schema
                .as_ref()
                .ok_or_else(|| ConnectError::data("No schema defined for element of array"))?;
            items.iter().try_for_each(|x| validate_value(None, vs, x))
        }
        Value::Map(entries) => {
            let ks = schema
                .key_schema
                .as_ref()
                .ok_or_else(|| ConnectError::data("No schema defined for key of map"))?;
            let vs = schema
                .value_schema
                .as_ref()
                .ok_or_else(|| ConnectError::data("No schema defined for value of map"))?;
            entries.iter().try_for_each(|(k, v)| {
                validate_value(None, ks, k)?;
                validate_value(None, vs, v)
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::data::SchemaBuilder;

    fn schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .field("n", Schema::int64())
            .field("s", Schema::optional_string())
            .field("t", Schema::optional_string())
            .build()
    }

    #[test]
    fn a_struct_drops_the_values_that_own_memory_and_only_once() {
        let shared: Arc<str> = Arc::from("shared");
        let mut st = Struct::new(schema());
        st.put("n", Value::Int64(1)).unwrap();
        st.put("s", Value::String(Text::from(shared.clone())))
            .unwrap();
        st.put_at(2, Value::String(Text::from(shared.clone())))
            .unwrap();
        assert_eq!(Arc::strong_count(&shared), 3);
        // Overwriting a slot drops its old value.
        st.put("t", Value::from("owned")).unwrap();
        assert_eq!(Arc::strong_count(&shared), 2);
        let copy = st.clone();
        assert_eq!(Arc::strong_count(&shared), 3);
        drop(st);
        assert_eq!(Arc::strong_count(&shared), 2);
        // Moved out, the values outlive the struct.
        let (_, values) = copy.into_parts();
        assert_eq!(Arc::strong_count(&shared), 2);
        assert_eq!(values[0], Value::Int64(1));
        drop(values);
        assert_eq!(Arc::strong_count(&shared), 1);
    }

    #[test]
    fn put_at_names_the_field_it_refuses() {
        let mut st = Struct::new(schema());
        let e = st.put_at(0, Value::from("x")).unwrap_err().to_string();
        assert!(e.contains("for field: \"n\""), "{e}");
        assert!(st.put_at(3, Value::Null).is_err());
        assert_eq!(st.values()[0], Value::Null);
    }
}
