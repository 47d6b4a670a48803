//! Inter-worker request signing (KIP-507, internals.md §9): HMAC over the exact request
//! body with the group's session key, carried in `X-Connect-Authorization`.

use base64::Engine;
use hmac::{Hmac, Mac};

use crate::config_store::SessionKey;

/// Header carrying the base64 MAC.
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
/// Header naming the MAC algorithm (Java's name, e.g. `HmacSHA256`).
pub const ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";

/// Why a signed request was refused, with the HTTP status Java answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// 400.
    #[error("Internal request missing required signature")]
    Missing,
    /// 400.
    #[error("Signature algorithm {0} is not supported")]
    UnsupportedAlgorithm(String),
    /// 400.
    #[error("Internal request signature is not valid base64")]
    BadEncoding,
    /// 503: no session key has been read yet.
    #[error("This worker is still starting up and has not been able to read a session key from the config topic yet")]
    NoKey,
    /// 403.
    #[error("Internal request contained invalid signature.")]
    Invalid,
}

impl SignatureError {
    pub fn status(&self) -> u16 {
        match self {
            SignatureError::Missing
            | SignatureError::UnsupportedAlgorithm(_)
            | SignatureError::BadEncoding => 400,
            SignatureError::NoKey => 503,
            SignatureError::Invalid => 403,
        }
    }
}

fn mac(algorithm: &str, key: &[u8], body: &[u8]) -> Result<Vec<u8>, SignatureError> {
    macro_rules! compute {
        ($digest:ty) => {{
            let mut m =
                <Hmac<$digest>>::new_from_slice(key).map_err(|_| SignatureError::Invalid)?;
            m.update(body);
            Ok(m.finalize().into_bytes().to_vec())
        }};
    }
    match algorithm {
        "HmacSHA256" => compute!(sha2::Sha256),
        "HmacSHA384" => compute!(sha2::Sha384),
        "HmacSHA512" => compute!(sha2::Sha512),
        other => Err(SignatureError::UnsupportedAlgorithm(other.to_string())),
    }
}

/// The two headers to send with `body`.
pub fn sign(
    key: &SessionKey,
    algorithm: &str,
    body: &[u8],
) -> Result<[(&'static str, String); 2], SignatureError> {
    let m = mac(algorithm, &key.key, body)?;
    Ok([
        (
            SIGNATURE_HEADER,
            base64::engine::general_purpose::STANDARD.encode(m),
        ),
        (ALGORITHM_HEADER, algorithm.to_string()),
    ])
}

/// Checks a received request in Java's order: headers present, algorithm allowed, a key
/// known, then the MAC (compared in constant time).
pub fn verify(
    key: Option<&SessionKey>,
    allowed: &[String],
    signature: Option<&str>,
    algorithm: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let (Some(signature), Some(algorithm)) = (signature, algorithm) else {
        return Err(SignatureError::Missing);
    };
    if !allowed.iter().any(|a| a == algorithm) {
        return Err(SignatureError::UnsupportedAlgorithm(algorithm.to_string()));
    }
    let key = key.ok_or(SignatureError::NoKey)?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|_| SignatureError::BadEncoding)?;
    let expected = mac(algorithm, &key.key, body)?;
    let same = given.len() == expected.len()
        && given
            .iter()
            .zip(&expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SessionKey {
        SessionKey {
            key: b"0123456789abcdef0123456789abcdef".to_vec(),
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 0,
        }
    }

    #[test]
    fn rfc4231_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let k = SessionKey {
            key: b"Jefe".to_vec(),
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 0,
        };
        let [(_, sig), (_, alg)] = sign(&k, "HmacSHA256", b"what do ya want for nothing?").unwrap();
        let hex: String = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(alg, "HmacSHA256");
    }

    #[test]
    fn verification_order_and_statuses() {
        let allowed = vec!["HmacSHA256".to_string()];
        let body = br#"[{"k":"v"}]"#;
        let [(_, sig), _] = sign(&key(), "HmacSHA256", body).unwrap();
        assert_eq!(
            verify(Some(&key()), &allowed, Some(&sig), Some("HmacSHA256"), body),
            Ok(())
        );
        assert_eq!(
            verify(Some(&key()), &allowed, None, Some("HmacSHA256"), body)
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            verify(Some(&key()), &allowed, Some(&sig), Some("HmacSHA1"), body)
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            verify(None, &allowed, Some(&sig), Some("HmacSHA256"), body)
                .unwrap_err()
                .status(),
            503
        );
        assert_eq!(
            verify(Some(&key()), &allowed, Some("!!"), Some("HmacSHA256"), body)
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            verify(
                Some(&key()),
                &allowed,
                Some(&sig),
                Some("HmacSHA256"),
                b"other"
            )
            .unwrap_err(),
            SignatureError::Invalid
        );
    }
}
