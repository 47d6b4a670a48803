//! The dead letter queue of a sink connector (Java `DeadLetterQueueReporter`): records that
//! fail go, as they were consumed, to `errors.deadletterqueue.topic.name`, with the
//! `__connect.errors.*` context headers when
//! `errors.deadletterqueue.context.headers.enable=true`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rconnect_sdk::{ConnectError, ConnectResult, Props};
use tokio::sync::oneshot;
use tracing::{error, warn};

use crate::clients::{InRecord, NewTopicRequest, OutRecord, ProducerClient, SendFailure};
use crate::herder::ConnectorTaskId;

use super::tolerance::{Failure, ReportFuture, Reporter};
use super::ErrorConfig;

pub const HEADER_PREFIX: &str = "__connect.errors.";
pub const ERROR_HEADER_ORIG_TOPIC: &str = "__connect.errors.topic";
pub const ERROR_HEADER_ORIG_PARTITION: &str = "__connect.errors.partition";
pub const ERROR_HEADER_ORIG_OFFSET: &str = "__connect.errors.offset";
pub const ERROR_HEADER_CONNECTOR_NAME: &str = "__connect.errors.connector.name";
pub const ERROR_HEADER_TASK_ID: &str = "__connect.errors.task.id";
pub const ERROR_HEADER_STAGE: &str = "__connect.errors.stage";
pub const ERROR_HEADER_EXECUTING_CLASS: &str = "__connect.errors.class.name";
pub const ERROR_HEADER_EXCEPTION: &str = "__connect.errors.exception.class.name";
pub const ERROR_HEADER_EXCEPTION_MESSAGE: &str = "__connect.errors.exception.message";
pub const ERROR_HEADER_EXCEPTION_STACK_TRACE: &str = "__connect.errors.exception.stacktrace";

/// Java's `DLQ_NUM_DESIRED_PARTITIONS`.
const DLQ_PARTITIONS: i32 = 1;

/// A record for the dead letter queue, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct DlqRecord {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub timestamp: Option<i64>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// The text of Java's `printStackTrace` as far as rconnect knows it: the exception line.
pub fn stack_trace(error: &ConnectError) -> String {
    format!("{}\n", error.trace())
}

/// The dead letter queue copy of `original`: its raw key, value and headers, its timestamp
/// (none when it had none, so the producer stamps it), and the context headers after the
/// original ones.
pub fn dlq_record(
    original: &InRecord,
    failure: &Failure,
    id: &ConnectorTaskId,
    context_headers: bool,
) -> DlqRecord {
    let mut headers = original.headers.clone();
    if context_headers {
        let mut add = |k: &str, v: String| headers.push((k.to_string(), Some(v.into_bytes())));
        add(ERROR_HEADER_ORIG_TOPIC, original.topic.to_string());
        add(ERROR_HEADER_ORIG_PARTITION, original.partition.to_string());
        add(ERROR_HEADER_ORIG_OFFSET, original.offset.to_string());
        add(ERROR_HEADER_CONNECTOR_NAME, id.connector.clone());
        add(ERROR_HEADER_TASK_ID, id.task.to_string());
        add(ERROR_HEADER_STAGE, failure.stage.name().to_string());
        add(ERROR_HEADER_EXECUTING_CLASS, failure.class.clone());
        add(
            ERROR_HEADER_EXCEPTION,
            failure.error.java_class().to_string(),
        );
        add(ERROR_HEADER_EXCEPTION_MESSAGE, failure.error.to_string());
        add(
            ERROR_HEADER_EXCEPTION_STACK_TRACE,
            stack_trace(&failure.error),
        );
    }
    DlqRecord {
        key: original.key.clone(),
        value: original.value.clone(),
        timestamp: original.timestamp.filter(|t| *t != -1),
        headers,
    }
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<(), String>>>>>;

/// Sends failed records to the dead letter queue with its own producer.
pub struct DlqReporter {
    topic: String,
    id: ConnectorTaskId,
    context_headers: bool,
    producer: Arc<dyn ProducerClient>,
    pending: Pending,
    next_token: AtomicU64,
    runtime: tokio::runtime::Handle,
    acks: tokio::task::JoinHandle<()>,
    metrics: Option<Arc<crate::metrics::TaskMetrics>>,
}

impl Drop for DlqReporter {
    fn drop(&mut self) {
        self.acks.abort();
    }
}

impl DlqReporter {
    /// Java `DeadLetterQueueReporter#createAndSetup`: the topic is created (one partition,
    /// `errors.deadletterqueue.topic.replication.factor`) unless it exists, then a producer
    /// with the task producer's settings and client id `connector-dlq-producer-<task>`.
    pub async fn setup(
        worker: &crate::worker::Worker,
        id: &ConnectorTaskId,
        connector_config: &Props,
        config: &ErrorConfig,
    ) -> ConnectResult<Self> {
        let topic = config.dlq_topic.clone();
        let init_failed = |e: String| {
            ConnectError::connect(format!(
                "Could not initialize dead letter queue with topic={topic}: {e}"
            ))
        };
        let settings = &worker.settings.config;
        let admin_config =
            settings.connector_admin_config("connector-dlq-adminclient-", connector_config);
        let admin = worker
            .kafka
            .topic_admin(&admin_config)
            .map_err(init_failed)?;
        // Listed first, as Java does: creating an existing topic with a replication factor
        // the cluster cannot satisfy could be refused for that reason.
        if !admin.topic_exists(&topic).await.map_err(init_failed)? {
            // Java logs at ERROR that the topic is missing before creating it.
            warn!("Topic {topic} doesn't exist. Will attempt to create topic.");
            admin
                .create_or_find(&NewTopicRequest {
                    name: topic.clone(),
                    partitions: DLQ_PARTITIONS,
                    replication_factor: config.dlq_replication_factor,
                    configs: Default::default(),
                })
                .await
                .map_err(init_failed)?;
        }
        let mut producer_config =
            settings.task_producer_config(&id.connector, id.task, connector_config);
        producer_config.insert("client.id".into(), format!("connector-dlq-producer-{id}"));
        let (producer, acks) = worker
            .kafka
            .producer(&producer_config)
            .map_err(init_failed)?;
        Ok(Self::new(
            topic,
            id.clone(),
            config.dlq_context_headers,
            Arc::from(producer),
            acks,
            Some(super::task_metrics(
                worker,
                id,
                crate::metrics::TaskKind::Sink,
            )),
        ))
    }

    /// A reporter over a producer and its acknowledgements (must run inside a runtime).
    pub fn new(
        topic: String,
        id: ConnectorTaskId,
        context_headers: bool,
        producer: Arc<dyn ProducerClient>,
        mut acks: tokio::sync::mpsc::UnboundedReceiver<crate::clients::Ack>,
        metrics: Option<Arc<crate::metrics::TaskMetrics>>,
    ) -> Self {
        let pending: Pending = Arc::default();
        let p = pending.clone();
        let t = topic.clone();
        let m = metrics.clone();
        let acks = tokio::spawn(async move {
            while let Some(ack) = acks.recv().await {
                if let Err(e) = &ack.result {
                    error!("Could not produce message to dead letter queue. topic={t}: {e}");
                    if let Some(m) = &m {
                        m.errors
                            .deadletterqueue_produce_failures
                            .fetch_add(1, Ordering::Relaxed);
                    }
                }
                let waiter = p
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&ack.token);
                if let Some(w) = waiter {
                    let _ = w.send(ack.result.map(|_| ()));
                }
            }
        });
        DlqReporter {
            topic,
            id,
            context_headers,
            producer,
            pending,
            next_token: AtomicU64::new(0),
            runtime: tokio::runtime::Handle::current(),
            acks,
            metrics,
        }
    }

    /// Starts sending `record`; the future completes with the broker's answer.
    pub fn send(&self, record: DlqRecord) -> ReportFuture {
        if let Some(m) = &self.metrics {
            m.errors
                .deadletterqueue_produce_requests
                .fetch_add(1, Ordering::Relaxed);
        }
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token, tx);
        let out = |r: &DlqRecord| -> Result<(), SendFailure> {
            self.producer.send(
                &OutRecord {
                    topic: &self.topic,
                    partition: None,
                    key: r.key.as_deref(),
                    value: r.value.as_deref(),
                    timestamp: r.timestamp,
                    headers: &r.headers,
                },
                token,
            )
        };
        let topic = self.topic.clone();
        let fail = move |e: String| {
            ConnectError::connect(format!(
                "Could not produce message to dead letter queue. topic={topic}: {e}"
            ))
        };
        match out(&record) {
            Ok(()) => {}
            Err(SendFailure::QueueFull) => {
                // Rare for a dead letter queue: keep trying in the background, so that
                // reporting never blocks the task loop.
                let producer = self.producer.clone();
                let topic = self.topic.clone();
                let pending = self.pending.clone();
                self.runtime.spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        let r = producer.send(
                            &OutRecord {
                                topic: &topic,
                                partition: None,
                                key: record.key.as_deref(),
                                value: record.value.as_deref(),
                                timestamp: record.timestamp,
                                headers: &record.headers,
                            },
                            token,
                        );
                        match r {
                            Ok(()) => return,
                            Err(SendFailure::QueueFull) => continue,
                            Err(SendFailure::Fatal(e)) => {
                                let w = pending
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .remove(&token);
                                if let Some(w) = w {
                                    let _ = w.send(Err(e));
                                }
                                return;
                            }
                        }
                    }
                });
            }
            Err(SendFailure::Fatal(e)) => {
                self.pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&token);
                error!(
                    "Could not produce message to dead letter queue. topic={}: {e}",
                    self.topic
                );
                return Box::pin(std::future::ready(Err(fail(e))));
            }
        }
        Box::pin(async move {
            match rx.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(fail(e)),
                Err(_) => Err(fail("the producer was closed".into())),
            }
        })
    }

    /// Waits up to `timeout` for every send to be acknowledged.
    pub async fn flush(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = self.pending.lock().unwrap_or_else(|e| e.into_inner()).len();
            if left == 0 {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                warn!("{left} dead letter queue record(s) still unacknowledged at shutdown");
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Reporter<InRecord> for DlqReporter {
    fn report(&self, failure: &Failure, original: Option<&InRecord>) -> Option<ReportFuture> {
        // Java counts a failed produce request when it has no original record to send.
        let original = original?;
        Some(self.send(dlq_record(
            original,
            failure,
            &self.id,
            self.context_headers,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::Ack;
    use crate::errors::Stage;
    use rconnect_sdk::record::TimestampType;
    use tokio::sync::mpsc;

    fn consumed() -> InRecord {
        InRecord {
            topic: "orders".into(),
            partition: 3,
            offset: 42,
            key: Some(b"k".to_vec()),
            value: Some(b"{not json".to_vec()),
            timestamp: Some(1_700_000_000_000),
            timestamp_type: TimestampType::CreateTime,
            headers: vec![("h".into(), Some(b"v".to_vec())), ("n".into(), None)],
        }
    }

    fn failure() -> Failure {
        Failure {
            stage: Stage::ValueConverter,
            class: "org.apache.kafka.connect.json.JsonConverter".into(),
            error: ConnectError::data(
                "Converting byte[] to Kafka Connect data failed due to serialization error: ",
            ),
        }
    }

    fn id() -> ConnectorTaskId {
        ConnectorTaskId {
            connector: "sink".into(),
            task: 2,
        }
    }

    fn text(v: &Option<Vec<u8>>) -> &str {
        std::str::from_utf8(v.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn original_bytes_and_every_context_header_in_javas_order() {
        let r = dlq_record(&consumed(), &failure(), &id(), true);
        assert_eq!(r.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(r.value.as_deref(), Some(&b"{not json"[..]));
        assert_eq!(r.timestamp, Some(1_700_000_000_000));
        let names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "h",
                "n",
                "__connect.errors.topic",
                "__connect.errors.partition",
                "__connect.errors.offset",
                "__connect.errors.connector.name",
                "__connect.errors.task.id",
                "__connect.errors.stage",
                "__connect.errors.class.name",
                "__connect.errors.exception.class.name",
                "__connect.errors.exception.message",
                "__connect.errors.exception.stacktrace",
            ]
        );
        let h: Vec<&str> = r.headers[2..].iter().map(|(_, v)| text(v)).collect();
        assert_eq!(
            h,
            vec![
                "orders",
                "3",
                "42",
                "sink",
                "2",
                "VALUE_CONVERTER",
                "org.apache.kafka.connect.json.JsonConverter",
                "org.apache.kafka.connect.errors.DataException",
                "Converting byte[] to Kafka Connect data failed due to serialization error: ",
                "org.apache.kafka.connect.errors.DataException: Converting byte[] to Kafka Connect data failed due to serialization error: \n",
            ]
        );
        assert_eq!(r.headers[1], ("n".to_string(), None));
    }

    #[test]
    fn without_context_headers_only_the_original_ones_and_no_timestamp_when_none() {
        let mut c = consumed();
        c.timestamp = Some(-1);
        let r = dlq_record(&c, &failure(), &id(), false);
        assert_eq!(r.headers, consumed().headers);
        assert_eq!(r.timestamp, None);
    }

    /// Topic, token, value.
    type Sent = (String, u64, Option<Vec<u8>>);

    /// Keeps what it is sent and acknowledges through the channel when told to.
    struct FakeProducer {
        sent: Mutex<Vec<Sent>>,
        acks: mpsc::UnboundedSender<Ack>,
        fail: Option<String>,
    }
    impl ProducerClient for FakeProducer {
        fn send(&self, r: &OutRecord<'_>, token: u64) -> Result<(), SendFailure> {
            self.sent.lock().unwrap().push((
                r.topic.to_string(),
                token,
                r.value.map(<[u8]>::to_vec),
            ));
            let result = match &self.fail {
                Some(e) => Err(e.clone()),
                None => Ok((0, token as i64)),
            };
            let _ = self.acks.send(Ack { token, result });
            Ok(())
        }
    }

    #[tokio::test]
    async fn reports_go_to_the_topic_and_complete_with_the_ack() {
        let (tx, rx) = mpsc::unbounded_channel();
        let p = Arc::new(FakeProducer {
            sent: Mutex::default(),
            acks: tx,
            fail: None,
        });
        let dlq = DlqReporter::new("dlq".into(), id(), true, p.clone(), rx, None);
        let f = dlq.report(&failure(), Some(&consumed())).unwrap();
        f.await.unwrap();
        dlq.flush(Duration::from_secs(1)).await;
        let sent = p.sent.lock().unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "dlq");
        assert_eq!(sent[0].2.as_deref(), Some(&b"{not json"[..]));
        assert!(dlq.report(&failure(), None).is_none());
    }

    #[tokio::test]
    async fn a_failed_send_fails_the_future() {
        let (tx, rx) = mpsc::unbounded_channel();
        let p = Arc::new(FakeProducer {
            sent: Mutex::default(),
            acks: tx,
            fail: Some("Broker: Topic authorization failed".into()),
        });
        let dlq = DlqReporter::new("dlq".into(), id(), false, p, rx, None);
        let e = dlq
            .report(&failure(), Some(&consumed()))
            .unwrap()
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Could not produce message to dead letter queue. topic=dlq: Broker: Topic authorization failed"
        );
    }
}
