//! One Kafka protocol connection over tokio TCP: framing, correlation ids, and API version
//! negotiation (ApiVersions v3 on connect, then the highest version both sides support).

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::{
    encode_request_header_into_buffer, Decodable, HeaderVersion, Request, StrBytes,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing::trace;

use crate::security::{plain_message, SaslMechanism, ScramClient, Security};
use crate::GroupError;

/// A broker connection's byte stream: TCP, or TLS over TCP.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Stream for T {}

/// Largest response accepted; group responses are small, this only guards against garbage.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

pub(crate) struct Connection {
    addr: String,
    stream: Box<dyn Stream>,
    client_id: StrBytes,
    correlation_id: i32,
    /// Broker's supported version range per API key.
    versions: HashMap<i16, (i16, i16)>,
    /// A request was written whose response has not been read whole: its call was cancelled
    /// (a dropped future, e.g. a join abandoned at shutdown) or timed out. The broker still
    /// answers it, so the next response on this socket would belong to that request.
    in_flight: bool,
}

impl Connection {
    /// Connects (with TLS when `security` has it), negotiates API versions and
    /// authenticates (SASL), all within `timeout` each.
    pub(crate) async fn connect(
        addr: &str,
        client_id: &str,
        timeout: Duration,
        security: &Security,
    ) -> Result<Connection, GroupError> {
        let tcp = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| GroupError::Timeout {
                broker: addr.to_string(),
                api: "connect",
            })?
            .map_err(|source| GroupError::Io {
                broker: addr.to_string(),
                source,
            })?;
        // Group requests are tiny and latency-sensitive.
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> = match &security.tls {
            None => Box::new(tcp),
            Some(tls) => {
                let host = addr
                    .rsplit_once(':')
                    .map_or(addr, |(h, _)| h)
                    .trim_start_matches('[')
                    .trim_end_matches(']');
                let name =
                    rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| {
                        GroupError::Tls {
                            broker: addr.to_string(),
                            message: format!("invalid host name for TLS: {e}"),
                        }
                    })?;
                let connector = tokio_rustls::TlsConnector::from(tls.clone());
                let stream = tokio::time::timeout(timeout, connector.connect(name, tcp))
                    .await
                    .map_err(|_| GroupError::Timeout {
                        broker: addr.to_string(),
                        api: "TLS handshake",
                    })?
                    .map_err(|e| GroupError::Tls {
                        broker: addr.to_string(),
                        message: e.to_string(),
                    })?;
                Box::new(stream)
            }
        };
        let mut conn = Connection {
            addr: addr.to_string(),
            stream,
            client_id: StrBytes::from_string(client_id.to_string()),
            correlation_id: 0,
            versions: HashMap::new(),
            in_flight: false,
        };
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("rconnect"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let response: ApiVersionsResponse = conn.round_trip(&request, 3, timeout).await?;
        if response.error_code != 0 {
            return Err(GroupError::from_code(
                "ApiVersions",
                response.error_code,
                &conn.addr,
            ));
        }
        conn.versions = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        trace!(broker = addr, versions = ?conn.versions, "negotiated API versions");
        if let Some(sasl) = &security.sasl {
            conn.authenticate(sasl, timeout).await?;
        }
        Ok(conn)
    }

    /// SaslHandshake then SaslAuthenticate rounds (KIP-152), as Java's
    /// `SaslClientAuthenticator`.
    async fn authenticate(
        &mut self,
        sasl: &crate::security::SaslCredentials,
        timeout: Duration,
    ) -> Result<(), GroupError> {
        let mechanism = sasl.mechanism.name();
        let (handshake, _): (SaslHandshakeResponse, i16) = self
            .send(1, timeout, |_| {
                SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism))
            })
            .await?;
        if handshake.error_code != 0 {
            let enabled: Vec<String> = handshake.mechanisms.iter().map(|m| m.to_string()).collect();
            return Err(GroupError::Authentication {
                broker: self.addr.clone(),
                message: format!(
                    "the broker does not enable SASL mechanism {mechanism} (it enables {enabled:?})"
                ),
            });
        }
        let fail = |broker: &str, message: String| GroupError::Authentication {
            broker: broker.to_string(),
            message,
        };
        match sasl.mechanism {
            SaslMechanism::Plain => {
                self.sasl_round(plain_message(sasl), timeout).await?;
            }
            SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
                let mut scram = ScramClient::new(sasl).map_err(|e| fail(&self.addr, e))?;
                let server_first = self.sasl_round(scram.client_first(), timeout).await?;
                let client_final = scram
                    .client_final(&server_first)
                    .map_err(|e| fail(&self.addr, e))?;
                let server_final = self.sasl_round(client_final, timeout).await?;
                scram
                    .verify_server_final(&server_final)
                    .map_err(|e| fail(&self.addr, e))?;
            }
        }
        trace!(broker = %self.addr, mechanism, "authenticated");
        Ok(())
    }

    /// One SaslAuthenticate request; the server's bytes, or its error as
    /// [`GroupError::Authentication`].
    async fn sasl_round(&mut self, bytes: Vec<u8>, timeout: Duration) -> Result<Bytes, GroupError> {
        let (response, _): (SaslAuthenticateResponse, i16) = self
            .send(2, timeout, |_| {
                SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(bytes))
            })
            .await?;
        if response.error_code != 0 {
            let message = response
                .error_message
                .map(|m| m.to_string())
                .unwrap_or_else(|| format!("error code {}", response.error_code));
            return Err(GroupError::Authentication {
                broker: self.addr.clone(),
                message,
            });
        }
        Ok(response.auth_bytes)
    }

    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    /// False once a request was left without its response (see `in_flight`): the
    /// connection must be replaced, as Java's `NetworkClient` disconnects a node whose
    /// request it gave up on.
    pub(crate) fn in_sync(&self) -> bool {
        !self.in_flight
    }

    /// The version to use for `R`: the highest both sides support, at most `cap`.
    pub(crate) fn version_for<R: Request>(&self, cap: i16) -> Result<i16, GroupError> {
        let api = api_name(R::KEY);
        let (broker_min, broker_max) =
            self.versions
                .get(&R::KEY)
                .copied()
                .ok_or_else(|| GroupError::UnsupportedApi {
                    broker: self.addr.clone(),
                    api,
                })?;
        let version = R::VERSIONS.max.min(broker_max).min(cap);
        if version < broker_min.max(R::VERSIONS.min) {
            return Err(GroupError::UnsupportedApi {
                broker: self.addr.clone(),
                api,
            });
        }
        Ok(version)
    }

    /// Builds the request for the negotiated version (at most `cap`; fields a version lacks
    /// must stay at their defaults) and sends it; returns the response and the version used.
    pub(crate) async fn send<R: Request>(
        &mut self,
        cap: i16,
        timeout: Duration,
        build: impl FnOnce(i16) -> R,
    ) -> Result<(R::Response, i16), GroupError> {
        let version = self.version_for::<R>(cap)?;
        let request = build(version);
        let response = self.round_trip(&request, version, timeout).await?;
        Ok((response, version))
    }

    async fn round_trip<R: Request>(
        &mut self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response, GroupError> {
        let api = api_name(R::KEY);
        let broker = self.addr.clone();
        let codec = |message: String| GroupError::Codec {
            broker: broker.clone(),
            api,
            message,
        };
        let encode = |message: String| GroupError::Encode { api, message };
        if self.in_flight {
            return Err(GroupError::Io {
                broker: self.addr.clone(),
                source: std::io::Error::other(
                    "an earlier request on this connection was never answered; reconnecting",
                ),
            });
        }
        self.correlation_id = self.correlation_id.wrapping_add(1);
        let correlation_id = self.correlation_id;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()));
        let mut body = BytesMut::new();
        encode_request_header_into_buffer(&mut body, &header).map_err(|e| encode(e.to_string()))?;
        request
            .encode(&mut body, version)
            .map_err(|e| encode(e.to_string()))?;
        let mut frame = BytesMut::with_capacity(body.len() + 4);
        let len = i32::try_from(body.len()).map_err(|_| encode("request too large".into()))?;
        frame.put_i32(len);
        frame.extend_from_slice(&body);

        self.in_flight = true;
        let io = async {
            self.stream.write_all(&frame).await?;
            let len = self.stream.read_i32().await?;
            let len = usize::try_from(len)
                .ok()
                .filter(|n| *n <= MAX_RESPONSE_BYTES)
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("invalid response frame length {len}"),
                    )
                })?;
            let mut buf = vec![0u8; len];
            self.stream.read_exact(&mut buf).await?;
            Ok::<Vec<u8>, std::io::Error>(buf)
        };
        let raw = tokio::time::timeout(timeout, io)
            .await
            .map_err(|_| GroupError::Timeout {
                broker: self.addr.clone(),
                api,
            })?
            .map_err(|source| GroupError::Io {
                broker: self.addr.clone(),
                source,
            })?;
        self.in_flight = false;
        let mut buf = Bytes::from(raw);
        let header = ResponseHeader::decode(&mut buf, R::Response::header_version(version))
            .map_err(|e| codec(e.to_string()))?;
        if header.correlation_id != correlation_id {
            return Err(codec(format!(
                "correlation id {} does not match request {}",
                header.correlation_id, correlation_id
            )));
        }
        let response = R::Response::decode(&mut buf, version).map_err(|e| codec(e.to_string()))?;
        if buf.has_remaining() {
            trace!(
                broker = %self.addr,
                api,
                extra = buf.remaining(),
                "ignoring trailing bytes in response"
            );
        }
        Ok(response)
    }
}

/// A readable API name for errors and logs.
pub(crate) fn api_name(key: i16) -> &'static str {
    match ApiKey::try_from(key) {
        Ok(ApiKey::ApiVersions) => "ApiVersions",
        Ok(ApiKey::FindCoordinator) => "FindCoordinator",
        Ok(ApiKey::JoinGroup) => "JoinGroup",
        Ok(ApiKey::SyncGroup) => "SyncGroup",
        Ok(ApiKey::Heartbeat) => "Heartbeat",
        Ok(ApiKey::LeaveGroup) => "LeaveGroup",
        Ok(ApiKey::SaslHandshake) => "SaslHandshake",
        Ok(ApiKey::SaslAuthenticate) => "SaslAuthenticate",
        Ok(ApiKey::Metadata) => "Metadata",
        _ => "unknown API",
    }
}
