// Generates the group-protocol golden vectors (metadata-golden.txt) from Apache Kafka Connect
// 3.9.0's own IncrementalCooperativeConnectProtocol and ConnectProtocol. Run through
// scripts/golden protocol; the Rust test metadata_golden.rs compares rconnect's encoding with
// the committed output, so CI needs no Java.
//
// One line per case: `name hex`.

import java.nio.ByteBuffer;
import java.util.*;

import org.apache.kafka.connect.runtime.distributed.ConnectProtocol;
import org.apache.kafka.connect.runtime.distributed.ExtendedAssignment;
import org.apache.kafka.connect.runtime.distributed.ExtendedWorkerState;
import org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeConnectProtocol;
import org.apache.kafka.connect.util.ConnectorTaskId;

public class ProtocolGolden {
    static String hex(ByteBuffer b) {
        StringBuilder s = new StringBuilder();
        ByteBuffer d = b.duplicate();
        while (d.hasRemaining()) s.append(String.format("%02x", d.get()));
        return s.toString();
    }

    static ConnectorTaskId t(String c, int i) {
        return new ConnectorTaskId(c, i);
    }

    public static void main(String[] args) {
        String url = "http://w1:8083/";
        // First join: no assignment yet.
        System.out.println("v1-first-join " + hex(IncrementalCooperativeConnectProtocol.serializeMetadata(
                new ExtendedWorkerState(url, -1, null), false)));
        System.out.println("v2-first-join " + hex(IncrementalCooperativeConnectProtocol.serializeMetadata(
                new ExtendedWorkerState(url, -1, null), true)));
        // After a rebalance that scheduled a delayed one: the whole last assignment, with the
        // leader, its URL, the offset, the revocations and the delay, travels in the metadata.
        for (short version : new short[] {1, 2}) {
            ExtendedAssignment last = new ExtendedAssignment(version, (short) 0, "connect-1-6f0c", "http://w2:8083/", 7L,
                    new ArrayList<>(List.of("c1")), new ArrayList<>(List.of(t("c1", 0), t("c2", 1))),
                    new ArrayList<>(List.of("c3")), new ArrayList<>(List.of(t("c3", 0))), 5000);
            System.out.println("v" + version + "-delayed " + hex(IncrementalCooperativeConnectProtocol.serializeMetadata(
                    new ExtendedWorkerState(url, 7L, last), version == 2)));
            ExtendedAssignment idle = new ExtendedAssignment(version, (short) 0, "connect-1-6f0c", "http://w2:8083/", 9L,
                    new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), 0);
            System.out.println("v" + version + "-no-work " + hex(IncrementalCooperativeConnectProtocol.serializeMetadata(
                    new ExtendedWorkerState(url, 9L, idle), version == 2)));
            ExtendedAssignment mismatch = new ExtendedAssignment(version, (short) 1, "connect-1-6f0c", "http://w2:8083/", 12L,
                    new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), 0);
            System.out.println("v" + version + "-config-mismatch " + hex(IncrementalCooperativeConnectProtocol.serializeMetadata(
                    new ExtendedWorkerState(url, 12L, mismatch), version == 2)));
        }
        // Eager (V0): url and offset only.
        System.out.println("v0 " + hex(ConnectProtocol.serializeMetadata(new ConnectProtocol.WorkerState(url, 3L))));
    }
}
