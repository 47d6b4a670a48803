//! The one rule every connector name must pass, on every path that creates or names a
//! connector: `POST /connectors`, `PUT /connectors/{name}/config`, connector files given to
//! `rconnect standalone`, and the config records a distributed worker reads.
//!
//! Java's rule (`ConnectorConfig` `name` validator, `NonEmptyStringWithoutControlChars`) is kept
//! with its exact messages: not empty, no ISO control characters. rconnect adds a length limit
//! Java lacks: the Connect group protocol (`ConnectProtocol`,
//! `IncrementalCooperativeConnectProtocol`) writes connector names in assignments as int16-length
//! strings, so a Java worker accepts a name it can never assign, and a name over 32767 bytes
//! wedges every rebalance of the group. 255 bytes leaves a wide margin under that and under the
//! URL lengths HTTP servers accept.

use std::fmt::Write as _;

/// The longest connector name rconnect accepts, in UTF-8 bytes (an rconnect limit; Java has
/// none).
pub const MAX_CONNECTOR_NAME_BYTES: usize = 255;

/// How many bytes of a name [`shorten_name`] keeps.
const SHOWN_NAME_BYTES: usize = 64;

/// Why a connector name is refused. The first two texts are Java's `ConfigException` reasons.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidConnectorName {
    /// Java: `NonEmptyStringWithoutControlChars`.
    #[error("String may not be empty")]
    Empty,
    /// Java: `NonEmptyStringWithoutControlChars`; the code points of the control characters,
    /// in order of appearance.
    #[error("String may not contain control sequences but had the following ASCII chars: {}", join_codes(.0))]
    ControlCharacters(Vec<u32>),
    /// rconnect's length limit.
    #[error("Connector name is too long: {bytes} bytes, the limit is {MAX_CONNECTOR_NAME_BYTES}")]
    TooLong {
        /// The name's length in UTF-8 bytes.
        bytes: usize,
    },
}

fn join_codes(codes: &[u32]) -> String {
    let mut out = String::new();
    for (i, c) in codes.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{c}");
    }
    out
}

/// Checks a connector name. The length is checked first, so an over-long name is reported as
/// such whatever else is wrong with it (and is never scanned further).
pub fn check_connector_name(name: &str) -> Result<(), InvalidConnectorName> {
    if name.len() > MAX_CONNECTOR_NAME_BYTES {
        return Err(InvalidConnectorName::TooLong { bytes: name.len() });
    }
    if name.is_empty() {
        return Err(InvalidConnectorName::Empty);
    }
    // Java `Character.isISOControl`: U+0000..U+001F and U+007F..U+009F, as `char::is_control`.
    let codes: Vec<u32> = name
        .chars()
        .filter(|c| c.is_control())
        .map(u32::from)
        .collect();
    if codes.is_empty() {
        Ok(())
    } else {
        Err(InvalidConnectorName::ControlCharacters(codes))
    }
}

/// A name fit for a log line or an error message: names over 64 bytes are cut at a character
/// boundary and marked with their full length, control characters are escaped.
pub fn shorten_name(name: &str) -> String {
    let mut end = name.len().min(SHOWN_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let mut out: String = name[..end].escape_debug().collect();
    if end < name.len() {
        let _ = write!(out, "...({} bytes)", name.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names_up_to_the_limit() {
        assert_eq!(check_connector_name("local-file-source"), Ok(()));
        assert_eq!(check_connector_name("with spaces/and:punctuation"), Ok(()));
        assert_eq!(check_connector_name(&"a".repeat(255)), Ok(()));
        // 85 three-byte characters: 255 bytes.
        assert_eq!(check_connector_name(&"€".repeat(85)), Ok(()));
    }

    #[test]
    fn refuses_names_over_255_bytes() {
        assert_eq!(
            check_connector_name(&"a".repeat(256)),
            Err(InvalidConnectorName::TooLong { bytes: 256 })
        );
        // 86 characters but 258 bytes: the limit is in bytes.
        assert_eq!(
            check_connector_name(&"€".repeat(86)),
            Err(InvalidConnectorName::TooLong { bytes: 258 })
        );
        let e = check_connector_name(&"x".repeat(40_000)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Connector name is too long: 40000 bytes, the limit is 255"
        );
    }

    #[test]
    fn length_is_reported_before_control_characters() {
        let name = format!("{}\n", "a".repeat(300));
        assert_eq!(
            check_connector_name(&name),
            Err(InvalidConnectorName::TooLong { bytes: 301 })
        );
    }

    #[test]
    fn refuses_empty_names_with_javas_text() {
        let e = check_connector_name("").unwrap_err();
        assert_eq!(e, InvalidConnectorName::Empty);
        assert_eq!(e.to_string(), "String may not be empty");
    }

    #[test]
    fn refuses_iso_control_characters_with_javas_text() {
        let e = check_connector_name("a\u{7}b\nc\u{9f}").unwrap_err();
        assert_eq!(e, InvalidConnectorName::ControlCharacters(vec![7, 10, 159]));
        assert_eq!(
            e.to_string(),
            "String may not contain control sequences but had the following ASCII chars: 7, 10, 159"
        );
        // DEL is a control character; U+00A0 (no-break space) is not.
        assert!(check_connector_name("a\u{7f}").is_err());
        assert_eq!(check_connector_name("a\u{a0}b"), Ok(()));
    }

    #[test]
    fn shortened_names() {
        assert_eq!(shorten_name("short"), "short");
        assert_eq!(shorten_name("a\nb"), "a\\nb");
        let long = "y".repeat(40_000);
        assert_eq!(
            shorten_name(&long),
            format!("{}...(40000 bytes)", "y".repeat(64))
        );
        // Cut at a character boundary: 21 three-byte characters fit in 64 bytes.
        let wide = "€".repeat(30);
        assert_eq!(
            shorten_name(&wide),
            format!("{}...(90 bytes)", "€".repeat(21))
        );
    }
}
