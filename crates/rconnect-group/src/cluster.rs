//! The cluster id, straight from a Metadata request.
//!
//! librdkafka's cluster-id lookup waits for its first metadata refresh (about 100 ms), the
//! largest part of a worker's start-up. One Metadata request over this crate's own Kafka
//! protocol client answers in a few milliseconds on a local broker. With TLS or SASL it also
//! fails at once, naming the cause, on an untrusted certificate or wrong credentials.

use std::time::Duration;

use kafka_protocol::messages::{MetadataRequest, MetadataResponse};
use tracing::debug;

use crate::conn::Connection;
use crate::member::{strip_scheme, GroupError};

/// The cluster id reported by the first reachable bootstrap server (`None` if it reports
/// none).
pub async fn fetch_cluster_id(
    bootstrap_servers: &[String],
    client_id: &str,
    timeout: Duration,
    security: &crate::Security,
) -> Result<Option<String>, GroupError> {
    let mut last = None;
    for server in bootstrap_servers {
        let addr = strip_scheme(server);
        let attempt = async {
            let mut conn = Connection::connect(addr, client_id, timeout, security).await?;
            // v2 added the cluster id; an empty topic list asks for no topic metadata.
            let (response, _): (MetadataResponse, i16) = conn
                .send(9, timeout, |_| {
                    MetadataRequest::default().with_topics(Some(Vec::new()))
                })
                .await?;
            Ok::<_, GroupError>(response.cluster_id.map(|id| id.to_string()))
        };
        match attempt.await {
            Ok(id) => return Ok(id),
            // Another bootstrap server would refuse the same certificate or credentials.
            Err(e @ (GroupError::Tls { .. } | GroupError::Authentication { .. })) => return Err(e),
            Err(e) => {
                debug!(broker = addr, error = %e, "cluster id lookup failed");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or(GroupError::NoBootstrapServers))
}
