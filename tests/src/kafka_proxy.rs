//! A Kafka protocol proxy in front of a test broker, for the secured-Kafka tests (the tansu
//! test broker has no working TLS acceptor and no SASL users):
//!
//! - optionally terminates SASL (SaslHandshake v1 + SaslAuthenticate, as a Kafka broker does):
//!   PLAIN and SCRAM-SHA-256/512 with the server side of the `sasl` crate (RFC 4616,
//!   RFC 5802/7677), against a fixed user list; anything but ApiVersions before
//!   authentication closes the connection, as Java's broker does;
//! - then forwards requests to the broker and its responses back, rewriting the broker
//!   addresses of Metadata and FindCoordinator responses to the address clients must use
//!   (this proxy, or the TLS terminator in front of it), so clients never bypass it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, FindCoordinatorResponse, MetadataResponse, RequestHeader,
    ResponseHeader, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
    SaslHandshakeResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use sasl::common::scram::{DeriveError, ScramProvider};
use sasl::common::{Identity, Password};
use sasl::secret;
use sasl::server::{Mechanism, Provider, Response, Validator, ValidatorError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy requires and where it forwards.
#[derive(Clone, Debug)]
pub struct ProxyOptions {
    /// The broker, `host:port`.
    pub upstream: String,
    /// The port written into Metadata/FindCoordinator responses (host `127.0.0.1`); `None`
    /// for the proxy's own port.
    pub advertise_port: Option<u16>,
    /// `user -> password` for SASL; `None` forwards without authentication.
    pub sasl_users: Option<BTreeMap<String, String>>,
}

/// A running proxy; stops with its runtime on drop.
pub struct KafkaProxy {
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

impl KafkaProxy {
    /// Binds a free loopback port and serves in the background.
    pub fn start(options: ProxyOptions) -> KafkaProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let options = Arc::new(ProxyOptions {
            advertise_port: Some(options.advertise_port.unwrap_or(port)),
            ..options
        });
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let options = options.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(client, &options).await {
                        eprintln!("kafka proxy: connection ended: {e}");
                    }
                });
            }
        });
        KafkaProxy {
            port,
            _runtime: runtime,
        }
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn read_frame<R: AsyncReadExt + Unpin>(r: &mut R) -> std::io::Result<Option<Bytes>> {
    let len = match r.read_i32().await {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
    r.read_exact(&mut buf).await?;
    Ok(Some(Bytes::from(buf)))
}

async fn write_frame<W: AsyncWriteExt + Unpin>(w: &mut W, body: &[u8]) -> std::io::Result<()> {
    let mut frame = BytesMut::with_capacity(body.len() + 4);
    frame.put_i32(body.len() as i32);
    frame.extend_from_slice(body);
    w.write_all(&frame).await
}

/// `(api_key, api_version, correlation_id)` of a request frame.
fn peek_header(frame: &[u8]) -> Option<(i16, i16, i32)> {
    let mut b = frame;
    if b.len() < 8 {
        return None;
    }
    Some((b.get_i16(), b.get_i16(), b.get_i32()))
}

fn encode_response<R: Encodable + HeaderVersion>(
    correlation_id: i32,
    version: i16,
    response: &R,
) -> Result<BytesMut, Error> {
    let mut out = BytesMut::new();
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut out, R::header_version(version))?;
    response.encode(&mut out, version)?;
    Ok(out)
}

/// Decodes a request frame's header and body.
fn decode_request<R: Decodable + HeaderVersion>(frame: Bytes, version: i16) -> Result<R, Error> {
    let mut b = frame;
    RequestHeader::decode(&mut b, R::header_version(version))?;
    Ok(R::decode(&mut b, version)?)
}

async fn serve(mut client: TcpStream, options: &ProxyOptions) -> Result<(), Error> {
    let _ = client.set_nodelay(true);
    let mut upstream = TcpStream::connect(&options.upstream).await?;
    let _ = upstream.set_nodelay(true);
    if let Some(users) = &options.sasl_users {
        authenticate(&mut client, &mut upstream, users).await?;
    }
    // Authenticated (or no SASL): forward both ways, remembering which API each
    // correlation id was, to rewrite the responses that name brokers.
    let pending: Arc<Mutex<HashMap<i32, (i16, i16)>>> = Arc::default();
    let (mut client_r, mut client_w) = client.into_split();
    let (mut up_r, mut up_w) = upstream.into_split();
    let requests = {
        let pending = pending.clone();
        async move {
            while let Some(frame) = read_frame(&mut client_r).await? {
                if let Some((key, version, correlation)) = peek_header(&frame) {
                    pending.lock().unwrap().insert(correlation, (key, version));
                }
                write_frame(&mut up_w, &frame).await?;
            }
            Ok::<(), Error>(())
        }
    };
    let advertise = options.advertise_port.expect("set at start");
    let responses = async move {
        while let Some(frame) = read_frame(&mut up_r).await? {
            let correlation = (&frame[..]).get_i32();
            let api = pending.lock().unwrap().remove(&correlation);
            let out = match api {
                Some((key, version)) => rewrite(frame, key, version, advertise)?,
                None => BytesMut::from(&frame[..]),
            };
            write_frame(&mut client_w, &out).await?;
        }
        Ok::<(), Error>(())
    };
    tokio::select! {
        r = requests => r,
        r = responses => r,
    }
}

/// Broker addresses in Metadata and FindCoordinator responses point at `port`.
fn rewrite(frame: Bytes, key: i16, version: i16, port: u16) -> Result<BytesMut, Error> {
    let host = StrBytes::from_static_str("127.0.0.1");
    let port = i32::from(port);
    match ApiKey::try_from(key) {
        Ok(ApiKey::Metadata) => {
            let mut b = frame;
            let header = ResponseHeader::decode(&mut b, MetadataResponse::header_version(version))?;
            let mut r = MetadataResponse::decode(&mut b, version)?;
            for broker in r.brokers.iter_mut() {
                broker.host = host.clone();
                broker.port = port;
            }
            encode_response(header.correlation_id, version, &r)
        }
        Ok(ApiKey::FindCoordinator) => {
            let mut b = frame;
            let header =
                ResponseHeader::decode(&mut b, FindCoordinatorResponse::header_version(version))?;
            let mut r = FindCoordinatorResponse::decode(&mut b, version)?;
            if version < 4 {
                r.host = host.clone();
                r.port = port;
            }
            for c in r.coordinators.iter_mut() {
                c.host = host.clone();
                c.port = port;
            }
            encode_response(header.correlation_id, version, &r)
        }
        _ => Ok(BytesMut::from(&frame[..])),
    }
}

const MECHANISMS: [&str; 3] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

/// The SASL exchange as a Kafka broker runs it (Java: `SaslServerAuthenticator`):
/// ApiVersions (forwarded, SASL APIs added), SaslHandshake v1, SaslAuthenticate rounds.
async fn authenticate(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    users: &BTreeMap<String, String>,
) -> Result<(), Error> {
    let users = Users(users.clone());
    let mut mechanism: Option<Box<dyn Mechanism + Send>> = None;
    loop {
        let Some(frame) = read_frame(client).await? else {
            return Err("client closed during authentication".into());
        };
        let (key, version, correlation) = peek_header(&frame).ok_or("short request")?;
        match ApiKey::try_from(key) {
            Ok(ApiKey::ApiVersions) => {
                write_frame(upstream, &frame).await?;
                let resp = read_frame(upstream).await?.ok_or("broker closed")?;
                let mut b = resp;
                // ApiVersions responses always have a v0 header.
                let header = ResponseHeader::decode(&mut b, 0)?;
                let mut r = ApiVersionsResponse::decode(&mut b, version)?;
                for (api, max) in [(ApiKey::SaslHandshake, 1), (ApiKey::SaslAuthenticate, 2)] {
                    if !r.api_keys.iter().any(|k| k.api_key == api as i16) {
                        r.api_keys.push(
                            kafka_protocol::messages::api_versions_response::ApiVersion::default()
                                .with_api_key(api as i16)
                                .with_min_version(0)
                                .with_max_version(max),
                        );
                    }
                }
                let mut out = BytesMut::new();
                header.encode(&mut out, 0)?;
                r.encode(&mut out, version)?;
                write_frame(client, &out).await?;
            }
            Ok(ApiKey::SaslHandshake) => {
                let req: SaslHandshakeRequest = decode_request(frame, version)?;
                let name = req.mechanism.to_string();
                let mut resp = SaslHandshakeResponse::default().with_mechanisms(
                    MECHANISMS
                        .iter()
                        .map(|m| StrBytes::from_static_str(m))
                        .collect(),
                );
                mechanism = match name.as_str() {
                    "PLAIN" => Some(Box::new(sasl::server::mechanisms::Plain::new(
                        users.clone(),
                    ))),
                    "SCRAM-SHA-256" => Some(Box::new(sasl::server::mechanisms::Scram::<
                        sasl::common::scram::Sha256,
                        _,
                    >::new(
                        users.clone(), no_channel_binding()
                    ))),
                    "SCRAM-SHA-512" => {
                        Some(Box::new(sasl::server::mechanisms::Scram::<Sha512, _>::new(
                            users.clone(),
                            no_channel_binding(),
                        )))
                    }
                    _ => {
                        // UNSUPPORTED_SASL_MECHANISM
                        resp.error_code = 33;
                        None
                    }
                };
                let out = encode_response(correlation, version, &resp)?;
                write_frame(client, &out).await?;
                if version == 0 {
                    return Err("SaslHandshake v0 (unframed SASL) is not supported".into());
                }
            }
            Ok(ApiKey::SaslAuthenticate) => {
                let req: SaslAuthenticateRequest = decode_request(frame, version)?;
                let m = mechanism
                    .as_mut()
                    .ok_or("SaslAuthenticate before SaslHandshake")?;
                let m_name = m.name().to_string();
                let (resp, done) = match m.respond(&req.auth_bytes) {
                    Ok(Response::Proceed(bytes)) => (
                        SaslAuthenticateResponse::default().with_auth_bytes(Bytes::from(bytes)),
                        Some(false),
                    ),
                    Ok(Response::Success(_, bytes)) => (
                        SaslAuthenticateResponse::default().with_auth_bytes(Bytes::from(bytes)),
                        Some(true),
                    ),
                    Err(e) => (
                        // SASL_AUTHENTICATION_FAILED, with Java's message.
                        SaslAuthenticateResponse::default()
                            .with_error_code(58)
                            .with_error_message(Some(StrBytes::from_string(format!(
                                "Authentication failed during authentication due to invalid \
                                 credentials with SASL mechanism {m_name} ({e})"
                            )))),
                        None,
                    ),
                };
                let out = encode_response(correlation, version, &resp)?;
                write_frame(client, &out).await?;
                match done {
                    Some(true) => return Ok(()),
                    Some(false) => {}
                    None => return Err("authentication failed".into()),
                }
            }
            _ => return Err(format!("unexpected request {key} during SASL authentication").into()),
        }
    }
}

/// Kafka clients (Java's and librdkafka's) open SCRAM with the GS2 header `n,,` (no channel
/// binding). The `sasl` crate's server only accepts `n` when it is given channel-binding
/// data; with empty data it then expects `c=base64("n,,")` (`biws`), exactly what those
/// clients send and sign. (With `ChannelBinding::None` it insists on `y,,`.)
fn no_channel_binding() -> sasl::common::ChannelBinding {
    sasl::common::ChannelBinding::TlsUnique(Vec::new())
}

/// The users the proxy knows, as the `sasl` crate's validator (PLAIN) and provider of
/// salted passwords (SCRAM).
#[derive(Clone)]
struct Users(BTreeMap<String, String>);

const SALT: &[u8] = b"rconnect-test-salt";
const ITERATIONS: u32 = 4096;

impl Users {
    fn password(&self, identity: &Identity) -> Option<&String> {
        match identity {
            Identity::Username(u) => self.0.get(u),
            Identity::None => None,
        }
    }
}

impl Validator<secret::Plain> for Users {
    fn validate(&self, identity: &Identity, value: &secret::Plain) -> Result<(), ValidatorError> {
        if self.password(identity) == Some(&value.0) {
            Ok(())
        } else {
            Err(ValidatorError::AuthenticationFailed)
        }
    }
}

impl Provider<secret::Pbkdf2Sha256> for Users {
    fn provide(
        &self,
        identity: &Identity,
    ) -> Result<secret::Pbkdf2Sha256, sasl::server::ProviderError> {
        let pw = self
            .password(identity)
            .ok_or(sasl::server::ProviderError::AuthenticationFailed)?;
        Ok(secret::Pbkdf2Sha256::derive(pw, SALT, ITERATIONS)?)
    }
}
sasl::impl_validator_using_provider!(Users, secret::Pbkdf2Sha256);

impl Provider<Pbkdf2Sha512> for Users {
    fn provide(&self, identity: &Identity) -> Result<Pbkdf2Sha512, sasl::server::ProviderError> {
        let pw = self
            .password(identity)
            .ok_or(sasl::server::ProviderError::AuthenticationFailed)?;
        let digest = Sha512::derive(&Password::Plain(pw.clone()), SALT, ITERATIONS)?;
        Ok(Pbkdf2Sha512 {
            salt: SALT.to_vec(),
            iterations: ITERATIONS,
            digest,
        })
    }
}
sasl::impl_validator_using_provider!(Users, Pbkdf2Sha512);

/// SCRAM-SHA-512 for the `sasl` crate's SCRAM state machine, which ships SHA-1 and
/// SHA-256 providers only (its `ScramProvider` extension point; hashing by `ring`).
struct Sha512;

/// A SHA-512 salted password.
#[derive(Clone, Debug)]
struct Pbkdf2Sha512 {
    salt: Vec<u8>,
    iterations: u32,
    digest: Vec<u8>,
}

impl secret::Secret for Pbkdf2Sha512 {}

impl secret::Pbkdf2Secret for Pbkdf2Sha512 {
    fn salt(&self) -> &[u8] {
        &self.salt
    }
    fn iterations(&self) -> u32 {
        self.iterations
    }
    fn digest(&self) -> &[u8] {
        &self.digest
    }
}

impl ScramProvider for Sha512 {
    type Secret = Pbkdf2Sha512;

    fn name() -> &'static str {
        "SHA-512"
    }

    fn hash(data: &[u8]) -> Vec<u8> {
        ring::digest::digest(&ring::digest::SHA512, data)
            .as_ref()
            .to_vec()
    }

    fn hmac(data: &[u8], key: &[u8]) -> Result<Vec<u8>, hmac::digest::InvalidLength> {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA512, key);
        Ok(ring::hmac::sign(&key, data).as_ref().to_vec())
    }

    fn derive(password: &Password, salt: &[u8], iterations: u32) -> Result<Vec<u8>, DeriveError> {
        match password {
            Password::Plain(plain) => {
                let mut out = vec![0u8; 64];
                let n = std::num::NonZeroU32::new(iterations)
                    .ok_or(DeriveError::IncompatibleIterationCount(iterations, 1))?;
                ring::pbkdf2::derive(
                    ring::pbkdf2::PBKDF2_HMAC_SHA512,
                    n,
                    salt,
                    plain.as_bytes(),
                    &mut out,
                );
                Ok(out)
            }
            Password::Pbkdf2 {
                method,
                salt: my_salt,
                iterations: my_iterations,
                data,
            } => {
                if method != Self::name() {
                    Err(DeriveError::IncompatibleHashingMethod(
                        method.to_string(),
                        Self::name().to_string(),
                    ))
                } else if my_salt[..] != salt[..] {
                    Err(DeriveError::IncorrectSalt)
                } else if iterations != *my_iterations {
                    Err(DeriveError::IncompatibleIterationCount(
                        *my_iterations,
                        iterations,
                    ))
                } else {
                    Ok(data.to_vec())
                }
            }
        }
    }
}
