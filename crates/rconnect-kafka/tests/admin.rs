//! Admin client against a real tansu broker.

mod common;

use std::time::Duration;

use rconnect_kafka::{Admin, KafkaConfig, NewTopicSpec, Producer, TopicCreation, TopicPartition};
use rconnect_tests::Broker;

const T: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_compacted_topic_and_describe() {
    common::init_tracing();
    let broker = Broker::start();
    let admin = Admin::new(&KafkaConfig::admin(&broker.bootstrap(), "admin")).unwrap();

    let spec = NewTopicSpec::new("connect-configs", 1, 1).config("cleanup.policy", "compact");
    assert_eq!(
        admin.create_topic(&spec, T).await.unwrap(),
        TopicCreation::Created
    );
    assert_eq!(
        admin.create_topic(&spec, T).await.unwrap(),
        TopicCreation::AlreadyExists
    );
    let results = admin
        .create_topics(
            &[NewTopicSpec::new("connect-offsets", 5, 1), spec.clone()],
            T,
        )
        .await
        .unwrap();
    assert_eq!(
        results,
        vec![
            ("connect-offsets".to_string(), TopicCreation::Created),
            ("connect-configs".to_string(), TopicCreation::AlreadyExists),
        ]
    );

    let counts = admin
        .topic_partition_counts(
            Some(&[
                "connect-configs".into(),
                "connect-offsets".into(),
                "missing".into(),
            ]),
            T,
        )
        .await
        .unwrap();
    assert_eq!(counts.get("connect-configs"), Some(&1));
    assert_eq!(counts.get("connect-offsets"), Some(&5));
    assert!(!counts.contains_key("missing"));
    let all = admin.topic_partition_counts(None, T).await.unwrap();
    assert!(all.contains_key("connect-offsets"));

    let configs = admin
        .describe_topic_config("connect-configs", T)
        .await
        .unwrap();
    eprintln!("tansu DescribeConfigs(connect-configs) = {configs:?}");
    assert_eq!(
        configs.get("cleanup.policy"),
        Some(&Some("compact".to_string()))
    );

    // tansu reports its --cluster-id.
    assert_eq!(
        admin.cluster_id(T).await.unwrap().as_deref(),
        Some("tansu_cluster")
    );

    admin
        .delete_topics(&["connect-offsets".into(), "never-existed".into()], T)
        .await
        .unwrap();
    let counts = admin
        .topic_partition_counts(Some(&["connect-offsets".into()]), T)
        .await
        .unwrap();
    assert!(counts.is_empty(), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_topic_is_an_error_naming_it() {
    // tansu accepts any name, partition count >= 0, replication factor and config value, so
    // only librdkafka's local checks can be exercised here.
    let broker = Broker::start();
    let admin = Admin::new(&KafkaConfig::admin(&broker.bootstrap(), "admin")).unwrap();
    let err = admin
        .create_topic(&NewTopicSpec::new("bad", -5, 1), T)
        .await
        .expect_err("negative partitions");
    assert!(err.to_string().contains("bad"), "{err}");
    assert!(!err.is_retriable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_offsets_are_exact_with_multi_record_batches() {
    let broker = Broker::start();
    broker.create_topic("batched", 2, &[]);
    let (producer, mut acks) = Producer::new(
        &KafkaConfig::source_producer(&broker.bootstrap(), "p").with("linger.ms", "200"),
    )
    .unwrap();
    // Two batches in partition 0 (4 then 3 records), nothing in partition 1.
    for round in [4u64, 3] {
        for i in 0..round {
            producer
                .send(
                    &rconnect_kafka::ProducerRecord {
                        topic: "batched",
                        partition: Some(0),
                        key: None,
                        value: Some(b"x"),
                        timestamp: None,
                        headers: &[],
                    },
                    i,
                )
                .unwrap();
        }
        producer.flush(T).await.unwrap();
        for _ in 0..round {
            acks.recv().await.unwrap().result.unwrap();
        }
    }
    let admin = Admin::new(&KafkaConfig::admin(&broker.bootstrap(), "admin")).unwrap();
    let tps = vec![
        TopicPartition::new("batched", 0),
        TopicPartition::new("batched", 1),
    ];
    let ends = admin.end_offsets(&tps, T).await.unwrap();
    assert_eq!(ends, vec![(tps[0].clone(), 7), (tps[1].clone(), 0)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_group_offsets_list_alter_delete() {
    common::init_tracing();
    let broker = Broker::start();
    broker.create_topic("group-a", 2, &[]);
    broker.create_topic("group-b", 1, &[]);
    let admin = Admin::new(&KafkaConfig::admin(&broker.bootstrap(), "admin")).unwrap();
    let tp = |t: &str, p: i32| TopicPartition::new(t, p);

    assert_eq!(admin.list_group_offsets("g", T).await.unwrap(), vec![]);
    admin
        .alter_group_offsets("g", &[(tp("group-b", 0), 7), (tp("group-a", 1), 3)], T)
        .await
        .unwrap();
    admin
        .alter_group_offsets("g", &[(tp("group-a", 0), 5)], T)
        .await
        .unwrap();
    assert_eq!(
        admin.list_group_offsets("g", T).await.unwrap(),
        vec![
            (tp("group-a", 0), 5),
            (tp("group-a", 1), 3),
            (tp("group-b", 0), 7)
        ]
    );
    // A consumer of the group sees them as its committed offsets.
    assert_eq!(
        broker.committed_offsets("g", "group-a"),
        vec![Some(5), Some(3)]
    );
    assert_eq!(admin.list_group_offsets("other", T).await.unwrap(), vec![]);

    let err = admin
        .alter_group_offsets("g", &[(tp("group-a", 0), -1)], T)
        .await
        .unwrap_err();
    assert!(
        matches!(err, rconnect_kafka::KafkaError::InvalidArgument(_)),
        "{err}"
    );

    // Deleting some offsets keeps the others.
    admin
        .delete_group_offsets("g", &[tp("group-a", 1)], T)
        .await
        .unwrap();
    assert_eq!(
        admin.list_group_offsets("g", T).await.unwrap(),
        vec![(tp("group-a", 0), 5), (tp("group-b", 0), 7)]
    );
    // Offsets never committed: nothing to do.
    admin
        .delete_group_offsets("g", &[tp("group-a", 1)], T)
        .await
        .unwrap();
    admin
        .alter_group_offsets("g", &[(tp("group-a", 1), 4)], T)
        .await
        .unwrap();
    assert_eq!(
        broker.committed_offsets("g", "group-a"),
        vec![Some(5), Some(4)]
    );

    assert_eq!(
        admin.delete_group("g", T).await.unwrap(),
        rconnect_kafka::GroupDeletion::Deleted
    );
    assert_eq!(admin.list_group_offsets("g", T).await.unwrap(), vec![]);
    // Deleting again is no error (tansu even answers that it deleted something).
    admin.delete_group("g", T).await.unwrap();
}
