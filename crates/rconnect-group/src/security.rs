//! TLS and SASL for the group client's connections, as Java's `security.protocol` SSL,
//! SASL_PLAINTEXT and SASL_SSL set them up: TLS through rustls, then (for SASL) a
//! SaslHandshake and SaslAuthenticate exchange with PLAIN or SCRAM-SHA-256/512
//! (RFC 4616, RFC 5802, RFC 7677) after the ApiVersions request, as Java's
//! `SaslClientAuthenticator` does.
//!
//! ```
//! use rconnect_group::{SaslCredentials, SaslMechanism, Security};
//!
//! let security = Security {
//!     tls: None,
//!     sasl: Some(SaslCredentials {
//!         mechanism: SaslMechanism::parse("SCRAM-SHA-512").unwrap(),
//!         username: "connect".into(),
//!         password: "connect-secret".into(),
//!     }),
//! };
//! assert_eq!(security.sasl.unwrap().mechanism.name(), "SCRAM-SHA-512");
//! ```

use std::sync::Arc;

use base64::Engine;
use ring::{digest, hmac, pbkdf2, rand::SecureRandom};

/// A SASL mechanism the group client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl SaslMechanism {
    /// Java's `sasl.mechanism` value; `None` for mechanisms rconnect does not implement
    /// (GSSAPI, OAUTHBEARER).
    pub fn parse(name: &str) -> Option<SaslMechanism> {
        match name.trim().to_ascii_uppercase().as_str() {
            "PLAIN" => Some(SaslMechanism::Plain),
            "SCRAM-SHA-256" => Some(SaslMechanism::ScramSha256),
            "SCRAM-SHA-512" => Some(SaslMechanism::ScramSha512),
            _ => None,
        }
    }

    /// The name sent in SaslHandshake.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// The credentials of `sasl.jaas.config` (`PlainLoginModule` or `ScramLoginModule`).
#[derive(Clone, PartialEq, Eq)]
pub struct SaslCredentials {
    pub mechanism: SaslMechanism,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslCredentials")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &"[hidden]")
            .finish()
    }
}

/// How connections to brokers are secured; the default is PLAINTEXT.
#[derive(Clone, Default)]
pub struct Security {
    /// TLS (SSL, SASL_SSL): the client config, with the truststore and client certificate.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// SASL (SASL_PLAINTEXT, SASL_SSL).
    pub sasl: Option<SaslCredentials>,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security")
            .field("tls", &self.tls.is_some())
            .field("sasl", &self.sasl)
            .finish()
    }
}

/// The PLAIN message: `authzid NUL authcid NUL password` with an empty authzid.
pub(crate) fn plain_message(c: &SaslCredentials) -> Vec<u8> {
    let mut m = Vec::with_capacity(c.username.len() + c.password.len() + 2);
    m.push(0);
    m.extend_from_slice(c.username.as_bytes());
    m.push(0);
    m.extend_from_slice(c.password.as_bytes());
    m
}

/// The client side of one SCRAM exchange (RFC 5802, no channel binding).
pub(crate) struct ScramClient {
    sha512: bool,
    password: String,
    nonce: String,
    client_first_bare: String,
    auth_message: Option<Vec<u8>>,
    salted_password: Option<Vec<u8>>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// RFC 5802's `saslname`: `=` and `,` escaped.
fn sasl_name(s: &str) -> String {
    s.replace('=', "=3D").replace(',', "=2C")
}

impl ScramClient {
    pub(crate) fn new(c: &SaslCredentials) -> Result<ScramClient, String> {
        let mut raw = [0u8; 24];
        ring::rand::SystemRandom::new()
            .fill(&mut raw)
            .map_err(|_| "no randomness for the SCRAM nonce".to_string())?;
        let nonce = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        Ok(ScramClient::with_nonce(c, nonce))
    }

    fn with_nonce(c: &SaslCredentials, nonce: String) -> ScramClient {
        let client_first_bare = format!("n={},r={nonce}", sasl_name(&c.username));
        ScramClient {
            sha512: c.mechanism == SaslMechanism::ScramSha512,
            password: c.password.clone(),
            nonce,
            client_first_bare,
            auth_message: None,
            salted_password: None,
        }
    }

    /// `n,,n=user,r=nonce`.
    pub(crate) fn client_first(&self) -> Vec<u8> {
        format!("n,,{}", self.client_first_bare).into_bytes()
    }

    fn hmac(&self, key: &[u8], data: &[u8]) -> Vec<u8> {
        let alg = if self.sha512 {
            hmac::HMAC_SHA512
        } else {
            hmac::HMAC_SHA256
        };
        hmac::sign(&hmac::Key::new(alg, key), data)
            .as_ref()
            .to_vec()
    }

    /// Answers the server-first message with the client-final one (with the proof).
    pub(crate) fn client_final(&mut self, server_first: &[u8]) -> Result<Vec<u8>, String> {
        let server_first =
            std::str::from_utf8(server_first).map_err(|_| "server-first is not UTF-8")?;
        let attr = |name: char| {
            server_first
                .split(',')
                .find_map(|a| a.strip_prefix(name).and_then(|a| a.strip_prefix('=')))
        };
        if let Some(e) = attr('e') {
            return Err(format!("server error: {e}"));
        }
        let nonce = attr('r').ok_or("server-first has no nonce")?;
        if !nonce.starts_with(&self.nonce) || nonce.len() <= self.nonce.len() {
            return Err("server nonce does not extend the client nonce".into());
        }
        let salt = b64()
            .decode(attr('s').ok_or("server-first has no salt")?)
            .map_err(|_| "bad salt")?;
        let iterations: u32 = attr('i')
            .and_then(|i| i.parse().ok())
            .filter(|i| *i > 0)
            .ok_or("bad iteration count")?;
        let (alg, len) = if self.sha512 {
            (pbkdf2::PBKDF2_HMAC_SHA512, 64)
        } else {
            (pbkdf2::PBKDF2_HMAC_SHA256, 32)
        };
        let mut salted = vec![0u8; len];
        pbkdf2::derive(
            alg,
            std::num::NonZeroU32::new(iterations).ok_or("bad iteration count")?,
            &salt,
            self.password.as_bytes(),
            &mut salted,
        );
        let client_key = self.hmac(&salted, b"Client Key");
        let stored_key = digest::digest(
            if self.sha512 {
                &digest::SHA512
            } else {
                &digest::SHA256
            },
            &client_key,
        );
        // `biws` is base64("n,,"): no channel binding, no authzid.
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let signature = self.hmac(stored_key.as_ref(), auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(k, s)| k ^ s)
            .collect();
        self.auth_message = Some(auth_message.into_bytes());
        self.salted_password = Some(salted);
        Ok(format!("{without_proof},p={}", b64().encode(proof)).into_bytes())
    }

    /// Checks the server-final message (`v=` the server signature).
    pub(crate) fn verify_server_final(&self, server_final: &[u8]) -> Result<(), String> {
        let text = std::str::from_utf8(server_final).map_err(|_| "server-final is not UTF-8")?;
        if let Some(e) = text.strip_prefix("e=") {
            return Err(format!("server error: {e}"));
        }
        let v = text
            .split(',')
            .find_map(|a| a.strip_prefix("v="))
            .ok_or("server-final has no verifier")?;
        let (Some(salted), Some(auth)) = (&self.salted_password, &self.auth_message) else {
            return Err("server-final before server-first".into());
        };
        let server_key = self.hmac(salted, b"Server Key");
        let expected = self.hmac(&server_key, auth);
        if b64().decode(v).ok().as_deref() != Some(expected.as_slice()) {
            return Err(
                "the server's SCRAM signature does not match: it does not know the \
                        password (a server impersonating the broker?)"
                    .into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3's SCRAM-SHA-256 example exchange.
    #[test]
    fn rfc7677_example() {
        let creds = SaslCredentials {
            mechanism: SaslMechanism::ScramSha256,
            username: "user".into(),
            password: "pencil".into(),
        };
        let mut c = ScramClient::with_nonce(&creds, "rOprNGfwEbeRWgbNEkqO".into());
        assert_eq!(c.client_first(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let final_msg = c.client_final(server_first).unwrap();
        assert_eq!(
            String::from_utf8(final_msg).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        c.verify_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        assert!(c
            .verify_server_final(b"v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .is_err());
        assert!(c.verify_server_final(b"e=invalid-proof").is_err());
    }

    #[test]
    fn names_are_escaped_and_plain_is_nul_separated() {
        let creds = SaslCredentials {
            mechanism: SaslMechanism::Plain,
            username: "a=b,c".into(),
            password: "pw".into(),
        };
        assert_eq!(plain_message(&creds), b"\0a=b,c\0pw");
        let c = ScramClient::with_nonce(&creds, "n".into());
        assert_eq!(c.client_first(), b"n,,n=a=3Db=2Cc,r=n");
    }

    #[test]
    fn mechanisms_parse_as_java_names_them() {
        assert_eq!(
            SaslMechanism::parse("scram-sha-256"),
            Some(SaslMechanism::ScramSha256)
        );
        assert_eq!(SaslMechanism::parse("PLAIN"), Some(SaslMechanism::Plain));
        assert_eq!(SaslMechanism::parse("GSSAPI"), None);
    }
}
