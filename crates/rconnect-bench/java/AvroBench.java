// Java's AvroConverter (Confluent 7.0.16) on the benchmark's 10-field struct, for comparison
// with rconnect's `scripts/bench --only avro`: the same records, the same in-memory registry
// (MockSchemaRegistryClient), records per CPU-second of the measuring thread after a warm-up.
// Run through scripts/bench-java-avro.

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.*;

import io.confluent.connect.avro.AvroConverter;
import io.confluent.kafka.schemaregistry.client.MockSchemaRegistryClient;
import org.apache.kafka.connect.data.*;

public class AvroBench {
    static final int RECORDS = 1024;

    static Schema schema() {
        return SchemaBuilder.struct().name("bench.User")
                .field("id", Schema.INT64_SCHEMA).field("name", Schema.STRING_SCHEMA)
                .field("email", Schema.STRING_SCHEMA).field("age", Schema.INT32_SCHEMA)
                .field("score", Schema.FLOAT64_SCHEMA).field("active", Schema.BOOLEAN_SCHEMA)
                .field("created_at", Schema.INT64_SCHEMA).field("country", Schema.STRING_SCHEMA)
                .field("visits", Schema.INT32_SCHEMA).field("note", Schema.OPTIONAL_STRING_SCHEMA).build();
    }

    static Struct record(Schema s, int i) {
        Struct st = new Struct(s);
        st.put("id", 1_000_000L + i);
        st.put("name", String.format("user-%05d", i));
        st.put("email", "user" + i + "@example.com");
        st.put("age", 18 + (i % 60));
        st.put("score", i * 1.25 + 0.5);
        st.put("active", i % 3 != 0);
        st.put("created_at", 1_700_000_000_000L + i * 1000L);
        st.put("country", new String[] {"DE", "FR", "US", "JP"}[i % 4]);
        st.put("visits", i * 7 % 1000);
        st.put("note", (i & 1) == 0 ? null : "note \"" + i + "\" with an escape");
        return st;
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        AvroConverter c = new AvroConverter(new MockSchemaRegistryClient());
        c.configure(Map.of("schema.registry.url", "http://unused"), false);
        Schema s = schema();
        Struct[] values = new Struct[RECORDS];
        byte[][] encoded = new byte[RECORDS][];
        for (int i = 0; i < RECORDS; i++) {
            values[i] = record(s, i);
            encoded[i] = c.fromConnectData("bench", s, values[i]);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (String dir : new String[] {"serialize", "deserialize"}) {
            // Warm-up: let the JIT compile the converter.
            for (int w = 0; w < 200; w++) {
                for (int i = 0; i < RECORDS; i++) {
                    sink += dir.equals("serialize") ? c.fromConnectData("bench", s, values[i]).length
                            : c.toConnectData("bench", encoded[i]).hashCode();
                }
            }
            for (int r = 0; r < runs; r++) {
                long count = 0;
                long cpu0 = mx.getCurrentThreadCpuTime();
                long budget = (long) (seconds * 1e9);
                while (mx.getCurrentThreadCpuTime() - cpu0 < budget) {
                    for (int i = 0; i < RECORDS; i++) {
                        sink += dir.equals("serialize") ? c.fromConnectData("bench", s, values[i]).length
                                : c.toConnectData("bench", encoded[i]).hashCode();
                    }
                    count += RECORDS;
                }
                double cpu = (mx.getCurrentThreadCpuTime() - cpu0) / 1e9;
                System.out.printf("java AvroConverter %s: %.0f records per CPU-second%n", dir, count / cpu);
            }
        }
        if (sink == 42) System.out.println();
    }
}
