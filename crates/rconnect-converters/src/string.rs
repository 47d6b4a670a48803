//! `org.apache.kafka.connect.storage.StringConverter`.

use std::borrow::Cow;

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance, Width};
use rconnect_sdk::data::{Schema, SchemaAndValue, SchemaRef, Value};
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::adapters::SerializeCow;

pub(crate) const CLASS_NAME: &str = "org.apache.kafka.connect.storage.StringConverter";
/// `StringConverterConfig.ENCODING_CONFIG`.
const ENCODING_CONFIG: &str = "converter.encoding";

/// The character sets `converter.encoding` supports, resolved from Java charset names
/// and their common aliases (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    #[default]
    Utf8,
    /// ISO-8859-1; unmappable characters are written as `?`, as Java does.
    Latin1,
    /// US-ASCII; unmappable characters are written as `?`, bytes ≥ 0x80 read as U+FFFD.
    Ascii,
    /// UTF-16: writes big-endian with a byte-order mark; reads honour a BOM, else big-endian.
    Utf16,
    Utf16Be,
    Utf16Le,
}

impl Charset {
    /// Resolves a Java charset name or alias; `None` if unsupported.
    pub fn for_name(name: &str) -> Option<Charset> {
        let n = name.trim().to_ascii_lowercase();
        Some(match n.as_str() {
            "utf-8" | "utf8" | "unicode-1-1-utf-8" => Charset::Utf8,
            "iso-8859-1" | "iso8859_1" | "iso_8859_1" | "iso8859-1" | "iso_8859-1"
            | "iso_8859-1:1987" | "latin1" | "l1" | "8859_1" | "cp819" | "ibm819" | "ibm-819"
            | "819" | "csisolatin1" | "iso-ir-100" => Charset::Latin1,
            "us-ascii" | "ascii" | "us" | "646" | "iso646-us" | "iso_646.irv:1983"
            | "ansi_x3.4-1968" | "ansi_x3.4-1986" | "cp367" | "ibm367" | "csascii" | "default"
            | "iso-ir-6" | "ascii7" => Charset::Ascii,
            "utf-16" | "utf_16" | "utf16" | "unicode" | "unicodebig" => Charset::Utf16,
            "utf-16be" | "utf_16be" | "x-utf-16be" | "iso-10646-ucs-2" | "unicodebigunmarked" => {
                Charset::Utf16Be
            }
            "utf-16le" | "utf_16le" | "x-utf-16le" | "unicodelittleunmarked" => Charset::Utf16Le,
            _ => return None,
        })
    }

    /// Java `String.getBytes(charset)`.
    pub fn encode(self, s: &str) -> Vec<u8> {
        match self {
            Charset::Utf8 => s.as_bytes().to_vec(),
            Charset::Latin1 => s
                .chars()
                .map(|c| if (c as u32) < 0x100 { c as u8 } else { b'?' })
                .collect(),
            Charset::Ascii => s
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                .collect(),
            Charset::Utf16 | Charset::Utf16Be | Charset::Utf16Le => {
                if s.is_empty() {
                    return Vec::new();
                }
                let mut out = Vec::with_capacity(s.len() * 2 + 2);
                if self == Charset::Utf16 {
                    out.extend_from_slice(&[0xfe, 0xff]);
                }
                for u in s.encode_utf16() {
                    let b = if self == Charset::Utf16Le {
                        u.to_le_bytes()
                    } else {
                        u.to_be_bytes()
                    };
                    out.extend_from_slice(&b);
                }
                out
            }
        }
    }

    /// Java `new String(bytes, charset)`: malformed input becomes U+FFFD.
    pub fn decode(self, b: &[u8]) -> String {
        match self {
            // Valid input (the common case) is checked by the fast validator and copied;
            // only invalid input takes the slower lossy scan.
            Charset::Utf8 => match std::str::from_utf8(b) {
                Ok(s) => s.to_owned(),
                Err(_) => String::from_utf8_lossy(b).into_owned(),
            },
            Charset::Latin1 => b.iter().map(|&x| x as char).collect(),
            Charset::Ascii => b
                .iter()
                .map(|&x| if x.is_ascii() { x as char } else { '\u{FFFD}' })
                .collect(),
            Charset::Utf16 | Charset::Utf16Be | Charset::Utf16Le => {
                let (mut le, mut body) = (self == Charset::Utf16Le, b);
                if self == Charset::Utf16 && b.len() >= 2 {
                    match (b[0], b[1]) {
                        (0xfe, 0xff) => body = &b[2..],
                        (0xff, 0xfe) => {
                            le = true;
                            body = &b[2..];
                        }
                        _ => {}
                    }
                }
                let units = body.chunks_exact(2).map(|c| {
                    if le {
                        u16::from_le_bytes([c[0], c[1]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]])
                    }
                });
                let mut s: String = char::decode_utf16(units)
                    .map(|r| r.unwrap_or('\u{FFFD}'))
                    .collect();
                if body.len() % 2 == 1 {
                    s.push('\u{FFFD}');
                }
                s
            }
        }
    }
}

/// Writes `value.toString()` in the configured charset; reads always yield
/// `OPTIONAL_STRING`. The schema is ignored, so non-strings are stringified the way Java's
/// `String.valueOf` does (`42`, `1.0E10`, `Struct{a=1}`, `{k=v}`, `[1, 2]`).
///
/// ```
/// use rconnect_converters::StringConverter;
/// use rconnect_sdk::data::Value;
/// let c = StringConverter::default();
/// assert_eq!(c.serialize(None, &Value::Float64(1e10)).unwrap(), Some(b"1.0E10".to_vec()));
/// assert_eq!(c.deserialize(Some(b"hi")).value, Value::from("hi"));
/// ```
#[derive(Debug, Clone)]
pub struct StringConverter {
    charset: Charset,
    /// Shared by every value read, instead of a new schema per record.
    schema: SchemaRef,
}

impl std::default::Default for StringConverter {
    fn default() -> Self {
        StringConverter::with_charset(Charset::default())
    }
}

impl StringConverter {
    /// A converter using `charset`.
    pub fn with_charset(charset: Charset) -> Self {
        StringConverter {
            charset,
            schema: Schema::optional_string(),
        }
    }

    /// The configured charset.
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// The configuration keys: `converter.type` and `converter.encoding`.
    pub fn config_definition() -> ConfigDef {
        let mut key = ConfigKey::new(
            ENCODING_CONFIG,
            ConfigType::String,
            Default::Value("UTF-8".into()),
            Importance::High,
            "The name of the Java character set to use for encoding strings as byte arrays.",
        );
        key.width = Width::Medium;
        key.display_name = "Encoding".into();
        crate::config::new_config_def().define(key)
    }

    /// Applies a full configuration (with `converter.type` already present).
    fn apply(&mut self, props: &Props) -> ConnectResult<()> {
        let parsed = Self::config_definition().parse(props)?;
        let name = parsed.string(ENCODING_CONFIG).unwrap_or("UTF-8");
        self.charset = Charset::for_name(name)
            .ok_or_else(|| ConnectError::config(format!("Invalid value {name} for configuration {ENCODING_CONFIG}: Unsupported encoding {name}")))?;
        Ok(())
    }

    /// Connect value → bytes: `None` for null, otherwise the Java string form encoded.
    pub fn serialize(
        &self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        Ok(self.serialize_cow(schema, value)?.map(Cow::into_owned))
    }

    /// Bytes → `(OPTIONAL_STRING, text)`; null stays null.
    pub fn deserialize(&self, bytes: Option<&[u8]>) -> SchemaAndValue {
        let value = bytes
            .map(|b| Value::String(self.charset.decode(b).into()))
            .unwrap_or(Value::Null);
        SchemaAndValue::new(Some(self.schema.clone()), value)
    }
}

impl SerializeCow for StringConverter {
    /// A UTF-8 string is already its own bytes: no copy.
    fn serialize_cow<'v>(
        &self,
        _schema: Option<&SchemaRef>,
        value: &'v Value,
    ) -> ConnectResult<Option<Cow<'v, [u8]>>> {
        Ok(match value {
            Value::Null => None,
            Value::String(s) if self.charset == Charset::Utf8 => Some(Cow::Borrowed(s.as_bytes())),
            Value::String(s) => Some(Cow::Owned(self.charset.encode(s))),
            other => Some(Cow::Owned(self.charset.encode(&other.to_string()))),
        })
    }
}

impl_converter_traits!(StringConverter, apply, borrowing);

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::converter::Converter;
    use rconnect_sdk::data::Headers;
    use rconnect_sdk::data::SchemaBuilder;
    use rconnect_sdk::data::Struct;

    fn configured(encoding: &str) -> ConnectResult<StringConverter> {
        let mut c = StringConverter::default();
        let mut p = Props::new();
        p.insert("converter.encoding".into(), encoding.into());
        Converter::configure(&mut c, &p, false)?;
        Ok(c)
    }

    #[tokio::test]
    async fn the_no_await_path_borrows_utf8_strings_and_agrees_with_from_connect() {
        let values = [
            Value::from("héllo"),
            Value::Null,
            Value::Int32(7),
            Value::from("Ωmega"),
        ];
        for encoding in ["UTF-8", "ISO-8859-1", "UTF-16"] {
            let c = configured(encoding).unwrap();
            for v in &values {
                let mut headers = Headers::new();
                let sync = c
                    .from_connect_sync("t", &mut headers, None, v)
                    .expect("String converts without awaiting")
                    .unwrap();
                let awaited = c.from_connect("t", &mut headers, None, v).await.unwrap();
                assert_eq!(sync.as_deref(), awaited.as_deref(), "{encoding} {v:?}");
                let borrowed = matches!(sync, Some(Cow::Borrowed(_)));
                let expect_borrowed = encoding == "UTF-8" && matches!(v, Value::String(_));
                assert_eq!(borrowed, expect_borrowed, "{encoding} {v:?}");
            }
        }
    }

    #[test]
    fn writes_java_strings() {
        let c = StringConverter::default();
        assert_eq!(c.serialize(None, &Value::Null).unwrap(), None);
        assert_eq!(
            c.serialize(None, &Value::from("héllo")).unwrap(),
            Some("héllo".as_bytes().to_vec())
        );
        assert_eq!(
            c.serialize(None, &Value::Int32(42)).unwrap(),
            Some(b"42".to_vec())
        );
        assert_eq!(
            c.serialize(None, &Value::Float64(1.5)).unwrap(),
            Some(b"1.5".to_vec())
        );
        assert_eq!(
            c.serialize(None, &Value::Boolean(true)).unwrap(),
            Some(b"true".to_vec())
        );
        let arr = Value::Array(vec![Value::Int32(1), Value::Int32(2)]);
        assert_eq!(c.serialize(None, &arr).unwrap(), Some(b"[1, 2]".to_vec()));
        let map = Value::Map(vec![(Value::from("k"), Value::from("v"))]);
        assert_eq!(c.serialize(None, &map).unwrap(), Some(b"{k=v}".to_vec()));
        let schema = SchemaBuilder::struct_().field("a", Schema::int32()).build();
        let mut s = Struct::new(schema);
        s.put("a", Value::Int32(1)).unwrap();
        assert_eq!(
            c.serialize(None, &Value::Struct(s)).unwrap(),
            Some(b"Struct{a=1}".to_vec())
        );
    }

    #[test]
    fn reads_optional_strings() {
        let c = StringConverter::default();
        let sv = c.deserialize(Some("x".as_bytes()));
        assert_eq!(sv.schema, Some(Schema::optional_string()));
        assert_eq!(sv.value, Value::from("x"));
        let sv = c.deserialize(None);
        assert_eq!(sv.schema, Some(Schema::optional_string()));
        assert_eq!(sv.value, Value::Null);
    }

    #[test]
    fn encodings() {
        let c = configured("ISO-8859-1").unwrap();
        assert_eq!(
            c.serialize(None, &Value::from("é€")).unwrap(),
            Some(vec![0xe9, b'?'])
        );
        assert_eq!(c.deserialize(Some(&[0xe9])).value, Value::from("é"));
        let c = configured("us-ascii").unwrap();
        assert_eq!(
            c.serialize(None, &Value::from("aé")).unwrap(),
            Some(vec![b'a', b'?'])
        );
        assert_eq!(
            c.deserialize(Some(&[b'a', 0xe9])).value,
            Value::from("a\u{FFFD}")
        );
        let c = configured("UTF-16").unwrap();
        assert_eq!(
            c.serialize(None, &Value::from("A")).unwrap(),
            Some(vec![0xfe, 0xff, 0, 0x41])
        );
        assert_eq!(
            c.deserialize(Some(&[0xff, 0xfe, 0x41, 0])).value,
            Value::from("A")
        );
        assert_eq!(c.deserialize(Some(&[0, 0x41])).value, Value::from("A"));
        let c = configured("UTF-16LE").unwrap();
        assert_eq!(
            c.serialize(None, &Value::from("A")).unwrap(),
            Some(vec![0x41, 0])
        );
        let c = configured("utf8").unwrap();
        assert_eq!(c.charset(), Charset::Utf8);
        assert_eq!(
            c.deserialize(Some(&[0x61, 0xff])).value,
            Value::from("a\u{FFFD}")
        );
    }

    #[test]
    fn unknown_encoding_is_a_config_error_naming_the_key() {
        let e = configured("EBCDIC-9000").unwrap_err();
        assert!(matches!(e, ConnectError::Config(_)));
        assert!(e.to_string().contains("converter.encoding"), "{e}");
    }
}
