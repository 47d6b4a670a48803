//! Topic creation for source tasks (KIP-158): before the first record to a topic, the task
//! checks that the topic exists and otherwise creates it with the settings of the first
//! topic creation group that matches it (Java: `AbstractWorkerSourceTask#maybeCreateTopic`,
//! `TopicCreation`, `TopicCreationGroup`).

use std::collections::HashSet;

use rconnect_config::topic_creation::TopicCreationGroups;
use rconnect_sdk::{ConnectError, ConnectResult, Props};
use tracing::{debug, info, warn};

use rconnect_config::client_overrides::ClientType;

use crate::clients::{NewTopicRequest, TopicAdminClient, TopicCreated};
use crate::herder::ConnectorTaskId;
use crate::worker::{check_client_overrides, Worker};

/// A source task's topic creation: its groups, its admin client and the topics known to
/// exist. Topics are checked one at a time, as Java does, because a transformation may send
/// any record to a new topic.
pub struct TopicCreation {
    groups: TopicCreationGroups,
    admin: Box<dyn TopicAdminClient>,
    known: HashSet<String>,
}

impl TopicCreation {
    /// Topic creation of a source task, or `None` when the connector does not create topics
    /// (the worker's `topic.creation.enable` is false, or no `topic.creation.*` key is
    /// set). `admin` is only called when it is needed.
    pub fn new(
        worker_enabled: bool,
        connector_config: &Props,
        admin: impl FnOnce() -> Result<Box<dyn TopicAdminClient>, String>,
    ) -> ConnectResult<Option<TopicCreation>> {
        let Some(groups) = TopicCreationGroups::from_config(worker_enabled, connector_config)?
        else {
            return Ok(None);
        };
        let admin = admin().map_err(ConnectError::connect)?;
        Ok(Some(TopicCreation {
            groups,
            admin,
            known: HashSet::new(),
        }))
    }

    /// The topic creation of source task `id`, with its admin client configured as Java's
    /// `Worker#adminConfigs` (client id `connector-adminclient-<connector>-<task>`, the
    /// connector's `admin.override.*` checked against the override policy).
    pub(crate) fn for_task(
        worker: &Worker,
        id: &ConnectorTaskId,
        connector_config: &Props,
    ) -> ConnectResult<Option<TopicCreation>> {
        let settings = &worker.settings.config;
        TopicCreation::new(settings.topic_creation_enable, connector_config, || {
            check_client_overrides(settings, ClientType::Admin, connector_config)
                .map_err(|e| e.to_string())?;
            let client_id = format!("connector-adminclient-{}-{}", id.connector, id.task);
            worker
                .kafka
                .topic_admin(&settings.connector_admin_config(&client_id, connector_config))
        })
    }

    /// Makes sure `topic` exists before a record is sent to it.
    pub async fn maybe_create(&mut self, topic: &str) -> ConnectResult<()> {
        if self.known.contains(topic) {
            return Ok(());
        }
        info!("The task will send records to topic '{topic}' for the first time. Checking whether topic exists");
        if self.admin.topic_exists(topic).await.map_err(|e| {
            ConnectError::connect(format!(
                "Failed to check whether topic '{topic}' exists: {e}"
            ))
        })? {
            info!("Topic '{topic}' already exists.");
            self.known.insert(topic.to_string());
            return Ok(());
        }
        let group = self.groups.find_first_group(topic);
        debug!(
            "Topic '{topic}' matched topic creation group: {}",
            group.name
        );
        let request = NewTopicRequest {
            name: topic.to_string(),
            partitions: group.partitions,
            replication_factor: group.replication_factor,
            configs: group.configs.clone(),
        };
        info!("Creating topic '{topic}'");
        match self.admin.create_or_find(&request).await {
            Ok(TopicCreated::Created) => {
                info!(
                    "Created topic '{topic}' using creation group {} ({} partitions, replication factor {}, configs {:?})",
                    group.name, request.partitions, request.replication_factor, request.configs
                );
                self.known.insert(topic.to_string());
                Ok(())
            }
            Ok(TopicCreated::Existing) => {
                info!("Found existing topic '{topic}'");
                self.known.insert(topic.to_string());
                Ok(())
            }
            Err(e) => {
                warn!("Request to create new topic '{topic}' failed: {e}");
                Err(ConnectError::connect(format!(
                    "Task failed to create new topic {topic} ({e}). Ensure that the task is \
                     authorized to create topics or that the topic exists and restart the task"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;

    use super::*;

    /// An in-memory broker's topics.
    #[derive(Default, Clone)]
    struct FakeAdmin {
        topics: Arc<Mutex<BTreeMap<String, NewTopicRequest>>>,
        describes: Arc<Mutex<usize>>,
        refuse: bool,
    }

    #[async_trait]
    impl TopicAdminClient for FakeAdmin {
        async fn topic_exists(&self, topic: &str) -> Result<bool, String> {
            *self.describes.lock().unwrap() += 1;
            Ok(self.topics.lock().unwrap().contains_key(topic))
        }
        async fn create_or_find(&self, topic: &NewTopicRequest) -> Result<TopicCreated, String> {
            if self.refuse {
                return Err("TOPIC_AUTHORIZATION_FAILED".into());
            }
            let mut topics = self.topics.lock().unwrap();
            if topics.contains_key(&topic.name) {
                return Ok(TopicCreated::Existing);
            }
            topics.insert(topic.name.clone(), topic.clone());
            Ok(TopicCreated::Created)
        }
    }

    fn props(kv: &[(&str, &str)]) -> Props {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn creation(admin: &FakeAdmin, kv: &[(&str, &str)]) -> TopicCreation {
        let a = admin.clone();
        TopicCreation::new(true, &props(kv), move || Ok(Box::new(a)))
            .unwrap()
            .unwrap()
    }

    const DEFAULTS: [(&str, &str); 3] = [
        ("topic.creation.default.replication.factor", "-1"),
        ("topic.creation.default.partitions", "3"),
        ("topic.creation.default.cleanup.policy", "compact"),
    ];

    #[tokio::test]
    async fn creates_each_new_topic_once_with_its_groups_settings() {
        let admin = FakeAdmin::default();
        let mut kv = DEFAULTS.to_vec();
        kv.extend([
            ("topic.creation.groups", "wide"),
            ("topic.creation.wide.include", "wide-.*"),
            ("topic.creation.wide.partitions", "8"),
        ]);
        let mut tc = creation(&admin, &kv);
        for topic in ["t", "t", "wide-1", "t"] {
            tc.maybe_create(topic).await.unwrap();
        }
        let topics = admin.topics.lock().unwrap().clone();
        assert_eq!(topics["t"].partitions, 3);
        assert_eq!(topics["t"].replication_factor, -1);
        assert_eq!(topics["t"].configs["cleanup.policy"], "compact");
        assert_eq!(topics["wide-1"].partitions, 8);
        // The wide group has no topic configs of its own.
        assert!(topics["wide-1"].configs.is_empty());
        // Known topics are not described again.
        assert_eq!(*admin.describes.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn an_existing_topic_is_left_alone() {
        let admin = FakeAdmin::default();
        admin.topics.lock().unwrap().insert(
            "t".into(),
            NewTopicRequest {
                name: "t".into(),
                partitions: 1,
                replication_factor: 1,
                configs: BTreeMap::new(),
            },
        );
        let mut tc = creation(&admin, &DEFAULTS);
        tc.maybe_create("t").await.unwrap();
        assert_eq!(admin.topics.lock().unwrap()["t"].partitions, 1);
    }

    #[tokio::test]
    async fn a_refused_creation_fails_the_task() {
        let admin = FakeAdmin {
            refuse: true,
            ..FakeAdmin::default()
        };
        let mut tc = creation(&admin, &DEFAULTS);
        let e = tc.maybe_create("t").await.unwrap_err().to_string();
        assert!(e.contains("Task failed to create new topic t"), "{e}");
        assert!(e.contains("TOPIC_AUTHORIZATION_FAILED"), "{e}");
    }

    #[test]
    fn off_without_keys_and_errors_name_the_key() {
        let never =
            || -> Result<Box<dyn TopicAdminClient>, String> { panic!("no admin client is needed") };
        assert!(TopicCreation::new(true, &props(&[("topic", "t")]), never)
            .unwrap()
            .is_none());
        assert!(TopicCreation::new(false, &props(&DEFAULTS), never)
            .unwrap()
            .is_none());
        let e = TopicCreation::new(
            true,
            &props(&[("topic.creation.default.partitions", "3")]),
            never,
        )
        .err()
        .unwrap();
        assert_eq!(
            e.to_string(),
            "Missing required configuration \"topic.creation.default.replication.factor\" which has no default value."
        );
    }
}
