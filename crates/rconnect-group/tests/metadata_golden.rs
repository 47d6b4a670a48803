//! Member metadata encoded as Apache Kafka Connect 3.9.0 encodes it, byte for byte
//! (`tests/golden/metadata-golden.txt`, made by `scripts/golden protocol` from Java's
//! `IncrementalCooperativeConnectProtocol#serializeMetadata` and
//! `ConnectProtocol#serializeMetadata`).

use rconnect_group::protocol::{ConnectAssignment, ConnectorTasks, WorkerMetadata};

const GOLDEN: &str = include_str!("golden/metadata-golden.txt");

fn golden(name: &str) -> Vec<u8> {
    let hex = GOLDEN
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no golden case {name}"));
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

fn entry(connector: &str, tasks: &[i32]) -> ConnectorTasks {
    ConnectorTasks {
        connector: connector.into(),
        tasks: tasks.to_vec(),
    }
}

fn metadata(version: i16, offset: i64, allocation: Option<ConnectAssignment>) -> WorkerMetadata {
    WorkerMetadata {
        version,
        url: "http://w1:8083/".into(),
        config_offset: offset,
        allocation,
    }
}

fn assignment(version: i16, error: i16, offset: i64) -> ConnectAssignment {
    ConnectAssignment::empty(version, error, "connect-1-6f0c", "http://w2:8083/", offset)
}

#[test]
fn metadata_matches_java_byte_for_byte() {
    for version in [1i16, 2] {
        let v = format!("v{version}");
        assert_eq!(
            metadata(version, -1, None).encode().unwrap(),
            golden(&format!("{v}-first-join"))
        );
        let mut delayed = assignment(version, 0, 7);
        delayed.assigned = vec![entry("c1", &[-1, 0]), entry("c2", &[1])];
        delayed.revoked = vec![entry("c3", &[-1, 0])];
        delayed.delay = 5000;
        let bytes = metadata(version, 7, Some(delayed.clone()))
            .encode()
            .unwrap();
        assert_eq!(bytes, golden(&format!("{v}-delayed")), "{v}-delayed");
        // And Java's bytes read back as the same metadata.
        let read = WorkerMetadata::decode(&golden(&format!("{v}-delayed"))).unwrap();
        assert_eq!(read.allocation, Some(delayed));
        assert_eq!(
            metadata(version, 9, Some(assignment(version, 0, 9)))
                .encode()
                .unwrap(),
            golden(&format!("{v}-no-work"))
        );
        assert_eq!(
            metadata(version, 12, Some(assignment(version, 1, 12)))
                .encode()
                .unwrap(),
            golden(&format!("{v}-config-mismatch"))
        );
    }
    assert_eq!(metadata(0, 3, None).encode().unwrap(), golden("v0"));
}
