// Generates the SMT golden vectors (smt-golden.jsonl) from Apache Kafka Connect 3.9.0's own
// transformations and predicates (connect-transforms). Run through `scripts/golden smt`; the Rust
// test smt_golden.rs feeds the same inputs through rconnect-transforms and compares.
//
// One line per case: name, class, kind (transformation | predicate), config, sink (a SinkRecord
// with a Kafka offset, else a SourceRecord), the input record, and one of: output (a record, or
// null when the record is dropped), test (a predicate's answer), error or config_error (the
// exception's simple class name and message).
//
// A record: topic, partition, timestamp, offset, key, value, headers. Each schema+value is
// encoded as {"envelope": <JsonConverter schemas.enable=true envelope>} when it has a schema, and
// as {"tagged": <typed value>} when it has none (JsonConverter cannot carry a schemaless Date, and
// typed tags keep INT8 and INT64 apart). Typed values: ["null"], ["int8", n], ..., ["float32",
// "Float.toString"], ["float64", "Double.toString"], ["boolean", b], ["string", s], ["bytes",
// base64], ["array", [...]], ["map", [[k, v], ...]], ["date", ms], ["decimal", "unscaled", scale],
// ["struct", envelope].

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.*;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

public class SmtGolden {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final String T = "org.apache.kafka.connect.transforms.";
    static final String P = "org.apache.kafka.connect.transforms.predicates.";
    static final long TS = 1700000000123L; // 2023-11-14T22:13:20.123Z
    static final StringBuilder OUT = new StringBuilder();
    static int count = 0;

    static final JsonConverter ENVELOPE = new JsonConverter();
    static {
        ENVELOPE.configure(Map.of("schemas.enable", "true", "decimal.format", "BASE64",
                "replace.null.with.default", "false", "converter.type", "value"));
    }

    // ---- encoding ------------------------------------------------------------------------

    static JsonNode envelope(Schema schema, Object value) throws Exception {
        return MAPPER.readTree(ENVELOPE.fromConnectData("golden", schema, value));
    }

    static ArrayNode tag(String t) {
        ArrayNode a = F.arrayNode();
        a.add(t);
        return a;
    }

    @SuppressWarnings("unchecked")
    static JsonNode tagged(Object v) throws Exception {
        if (v == null) return tag("null");
        if (v instanceof Byte) return tag("int8").add((Byte) v);
        if (v instanceof Short) return tag("int16").add((Short) v);
        if (v instanceof Integer) return tag("int32").add((Integer) v);
        if (v instanceof Long) return tag("int64").add((Long) v);
        if (v instanceof Float) return tag("float32").add(v.toString());
        if (v instanceof Double) return tag("float64").add(v.toString());
        if (v instanceof Boolean) return tag("boolean").add((Boolean) v);
        if (v instanceof String) return tag("string").add((String) v);
        if (v instanceof byte[]) return tag("bytes").add(Base64.getEncoder().encodeToString((byte[]) v));
        if (v instanceof java.util.Date) return tag("date").add(((java.util.Date) v).getTime());
        if (v instanceof BigDecimal) return tag("decimal").add(((BigDecimal) v).unscaledValue().toString()).add(((BigDecimal) v).scale());
        if (v instanceof Struct) return tag("struct").add(envelope(((Struct) v).schema(), v));
        if (v instanceof List) {
            ArrayNode items = F.arrayNode();
            for (Object x : (List<Object>) v) items.add(tagged(x));
            return tag("array").add(items);
        }
        if (v instanceof Map) {
            ArrayNode entries = F.arrayNode();
            for (Map.Entry<Object, Object> e : ((Map<Object, Object>) v).entrySet()) {
                entries.add(F.arrayNode().add(tagged(e.getKey())).add(tagged(e.getValue())));
            }
            return tag("map").add(entries);
        }
        throw new IllegalStateException("cannot tag " + v.getClass());
    }

    static JsonNode data(Schema schema, Object value) throws Exception {
        ObjectNode o = F.objectNode();
        if (schema != null) o.set("envelope", envelope(schema, value));
        else o.set("tagged", tagged(value));
        return o;
    }

    static JsonNode record(ConnectRecord<?> r) throws Exception {
        ObjectNode o = F.objectNode();
        o.put("topic", r.topic());
        if (r.kafkaPartition() == null) o.putNull("partition"); else o.put("partition", r.kafkaPartition());
        if (r.timestamp() == null) o.putNull("timestamp"); else o.put("timestamp", r.timestamp());
        if (r instanceof SinkRecord) o.put("offset", ((SinkRecord) r).kafkaOffset());
        o.set("key", data(r.keySchema(), r.key()));
        o.set("value", data(r.valueSchema(), r.value()));
        ArrayNode hs = o.putArray("headers");
        for (Header h : r.headers()) {
            ObjectNode ho = hs.addObject();
            ho.put("key", h.key());
            ho.set("value", data(h.schema(), h.value()));
        }
        return o;
    }

    static ObjectNode error(Throwable t) {
        ObjectNode e = F.objectNode();
        e.put("class", t.getClass().getSimpleName());
        e.put("message", t.getMessage());
        return e;
    }

    // ---- records -------------------------------------------------------------------------

    static class In {
        String topic = "orders";
        Integer partition = 3;
        Long timestamp = TS;
        Schema keySchema;
        Object key;
        Schema valueSchema;
        Object value;
        Headers headers = new ConnectHeaders();
        boolean sink = false;
        long offset = 42L;

        In key(Schema s, Object v) { keySchema = s; key = v; return this; }
        In value(Schema s, Object v) { valueSchema = s; value = v; return this; }
        In topic(String t) { topic = t; return this; }
        In partition(Integer p) { partition = p; return this; }
        In timestamp(Long t) { timestamp = t; return this; }
        In header(String k, Schema s, Object v) { headers.add(k, v, s); return this; }
        In sink() { sink = true; return this; }

        ConnectRecord<?> build() {
            if (sink) {
                return new SinkRecord(topic, partition == null ? 0 : partition, keySchema, key, valueSchema, value,
                        offset, timestamp, TimestampType.CREATE_TIME, headers);
            }
            return new SourceRecord(Map.of("file", "in.txt"), Map.of("position", 7L), topic, partition,
                    keySchema, key, valueSchema, value, timestamp, headers);
        }
    }

    static In in() { return new In(); }

    static Map<String, String> cfg(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    // ---- cases ---------------------------------------------------------------------------

    static final Set<String> NAMES = new HashSet<>();

    static ObjectNode head(String name, String cls, String kind, Map<String, String> config, In in) throws Exception {
        if (!NAMES.add(name)) throw new IllegalStateException("duplicate case " + name);
        ObjectNode line = F.objectNode();
        line.put("name", name);
        line.put("class", cls);
        line.put("kind", kind);
        ObjectNode c = line.putObject("config");
        config.forEach(c::put);
        line.put("sink", in.sink);
        line.set("input", record(in.build()));
        return line;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static void t(String name, String cls, Map<String, String> config, In in) throws Exception {
        ObjectNode line = head(name, cls, "transformation", config, in);
        Transformation tr = (Transformation) Class.forName(cls).getDeclaredConstructor().newInstance();
        try {
            tr.configure(new HashMap<>(config));
        } catch (Exception e) {
            line.set("config_error", error(e));
            emit(line);
            return;
        }
        try {
            ConnectRecord out = tr.apply(in.build());
            if (out == null) {
                line.set("output", F.nullNode());
            } else {
                try {
                    line.set("output", record(out));
                } catch (Exception e) {
                    // The transformation's output breaks its own schema (e.g. a required
                    // field left unset): the converter refuses it.
                    line.set("output_error", error(e));
                }
            }
        } catch (Exception e) {
            line.set("error", error(e));
        }
        emit(line);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static void p(String name, String cls, Map<String, String> config, In in) throws Exception {
        ObjectNode line = head(name, cls, "predicate", config, in);
        Predicate pr = (Predicate) Class.forName(cls).getDeclaredConstructor().newInstance();
        try {
            pr.configure(new HashMap<>(config));
        } catch (Exception e) {
            line.set("config_error", error(e));
            emit(line);
            return;
        }
        try {
            line.put("test", pr.test(in.build()));
        } catch (Exception e) {
            line.set("error", error(e));
        }
        emit(line);
    }

    /** A chain as a connector config configures it (`transforms`, `predicates`, `negate`). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static void chain(String name, Map<String, String> config, In in) throws Exception {
        ObjectNode line = head(name, "chain", "chain", config, in);
        ConnectRecord record = in.build();
        Map<String, Predicate> predicates = new HashMap<>();
        for (String alias : list(config.get("predicates"))) {
            Predicate pr = (Predicate) Class.forName(config.get("predicates." + alias + ".type")).getDeclaredConstructor().newInstance();
            pr.configure(sub(config, "predicates." + alias + "."));
            predicates.put(alias, pr);
        }
        for (String alias : list(config.get("transforms"))) {
            Map<String, String> props = sub(config, "transforms." + alias + ".");
            String predicate = props.remove("predicate");
            boolean negate = Boolean.parseBoolean(props.remove("negate"));
            Transformation tr = (Transformation) Class.forName(props.get("type")).getDeclaredConstructor().newInstance();
            tr.configure(props);
            if (predicate == null || predicates.get(predicate).test(record) != negate) {
                record = tr.apply(record);
                if (record == null) break;
            }
        }
        line.set("output", record == null ? F.nullNode() : record(record));
        emit(line);
    }

    static List<String> list(String s) {
        List<String> out = new ArrayList<>();
        if (s == null || s.trim().isEmpty()) return out;
        for (String x : s.split(",")) out.add(x.trim());
        return out;
    }

    static Map<String, String> sub(Map<String, String> config, String prefix) {
        Map<String, String> out = new HashMap<>();
        config.forEach((k, v) -> { if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v); });
        return out;
    }

    static void emit(ObjectNode line) throws Exception {
        OUT.append(MAPPER.writeValueAsString(line)).append('\n');
        count++;
    }

    // ---- the corpus ----------------------------------------------------------------------

    static final Schema ADDRESS = SchemaBuilder.struct().name("com.example.Address").optional()
            .field("street", Schema.STRING_SCHEMA)
            .field("city", Schema.OPTIONAL_STRING_SCHEMA)
            .field("zip", Schema.OPTIONAL_INT32_SCHEMA)
            .build();
    static final Schema PERSON = SchemaBuilder.struct().name("com.example.Person").version(2).doc("A person")
            .field("id", Schema.INT64_SCHEMA)
            .field("name", Schema.OPTIONAL_STRING_SCHEMA)
            .field("age", SchemaBuilder.int32().optional().defaultValue(18).build())
            .field("active", Schema.BOOLEAN_SCHEMA)
            .field("score", Schema.OPTIONAL_FLOAT64_SCHEMA)
            .field("created", Timestamp.builder().optional().build())
            .field("birthday", org.apache.kafka.connect.data.Date.builder().optional().build())
            .field("balance", Decimal.builder(2).optional().build())
            .field("photo", Schema.OPTIONAL_BYTES_SCHEMA)
            .field("address", ADDRESS)
            .build();
    static final Schema PERSON_OPT = copyOptional(PERSON);
    static final Schema KEY_OPT = SchemaBuilder.struct().name("com.example.Key").optional().field("id", Schema.INT64_SCHEMA).build();
    static final Schema KEY = SchemaBuilder.struct().name("com.example.Key").field("id", Schema.INT64_SCHEMA).build();

    static Schema copyOptional(Schema s) {
        SchemaBuilder b = SchemaBuilder.struct().name(s.name()).version(s.version()).doc(s.doc()).optional();
        for (Field f : s.fields()) b.field(f.name(), f.schema());
        return b.build();
    }

    static Struct address() {
        return new Struct(ADDRESS).put("street", "Main St 1").put("city", "Oslo").put("zip", 150);
    }

    static Struct person() {
        return new Struct(PERSON).put("id", 7L).put("name", "Ann").put("active", true).put("score", 9.5)
                .put("created", new java.util.Date(TS)).put("birthday", new java.util.Date(19675L * 86400000L))
                .put("balance", new BigDecimal("1234.56")).put("photo", new byte[] {1, 2, -1})
                .put("address", address());
    }

    static Struct personNoAddress() {
        return new Struct(PERSON).put("id", 8L).put("active", false);
    }

    static Map<String, Object> map() {
        Map<String, Object> m = new HashMap<>();
        m.put("id", 7L);
        m.put("name", "Ann");
        m.put("age", 30);
        m.put("active", true);
        m.put("score", 9.5);
        List<Object> tags = new ArrayList<>();
        tags.add("a");
        tags.add("b");
        m.put("tags", tags);
        Map<String, Object> a = new HashMap<>();
        a.put("city", "Oslo");
        a.put("zip", 150);
        m.put("address", a);
        m.put("nothing", null);
        return m;
    }

    static In personIn() { return in().key(KEY, new Struct(KEY).put("id", 7L)).value(PERSON, person()); }
    static In mapIn() { return in().key(null, "k1").value(null, map()); }

    public static void main(String[] args) throws Exception {
        String vtk = T + "ValueToKey";
        t("valuetokey-schema", vtk, cfg("fields", "id,name"), personIn());
        t("valuetokey-schema-default", vtk, cfg("fields", "age"), personIn());
        t("valuetokey-schema-no-default", vtk, cfg("fields", "age", "replace.null.with.default", "false"), personIn());
        t("valuetokey-schema-nested", vtk, cfg("fields", "address,id"), personIn());
        t("valuetokey-schemaless", vtk, cfg("fields", "id,name"), mapIn());
        t("valuetokey-schemaless-missing", vtk, cfg("fields", "id,missing"), mapIn());
        t("valuetokey-schema-missing", vtk, cfg("fields", "id,missing"), personIn());
        t("valuetokey-null-value", vtk, cfg("fields", "id"), in().key(null, "k").value(null, null));
        t("valuetokey-null-value-schema", vtk, cfg("fields", "id"), in().value(PERSON_OPT, null).key(null, null));
        t("valuetokey-string-value", vtk, cfg("fields", "id"), in().value(Schema.STRING_SCHEMA, "x"));
        t("valuetokey-schemaless-string", vtk, cfg("fields", "id"), in().value(null, "x"));
        t("valuetokey-no-fields", vtk, cfg(), personIn());
        t("valuetokey-empty-fields", vtk, cfg("fields", ""), personIn());
        t("valuetokey-sink", vtk, cfg("fields", "id"), personIn().sink());

        String ef = T + "ExtractField";
        t("extractfield-key-schema", ef + "$Key", cfg("field", "id"), personIn());
        t("extractfield-value-schema", ef + "$Value", cfg("field", "name"), personIn());
        t("extractfield-value-struct", ef + "$Value", cfg("field", "address"), personIn());
        t("extractfield-value-logical", ef + "$Value", cfg("field", "created"), personIn());
        t("extractfield-value-default", ef + "$Value", cfg("field", "age"), personIn());
        t("extractfield-value-no-default", ef + "$Value", cfg("field", "age", "replace.null.with.default", "false"), personIn());
        t("extractfield-value-schemaless", ef + "$Value", cfg("field", "name"), mapIn());
        t("extractfield-value-schemaless-map", ef + "$Value", cfg("field", "address"), mapIn());
        t("extractfield-value-schemaless-missing", ef + "$Value", cfg("field", "missing"), mapIn());
        t("extractfield-value-unknown", ef + "$Value", cfg("field", "missing"), personIn());
        t("extractfield-value-null-schema", ef + "$Value", cfg("field", "id"), in().value(PERSON_OPT, null));
        t("extractfield-value-null-schemaless", ef + "$Value", cfg("field", "id"), in().value(null, null));
        t("extractfield-value-string", ef + "$Value", cfg("field", "id"), in().value(Schema.STRING_SCHEMA, "x"));
        t("extractfield-value-schemaless-string", ef + "$Value", cfg("field", "id"), in().value(null, "x"));
        t("extractfield-v1-dotted", ef + "$Value", cfg("field", "address.city"), personIn());
        t("extractfield-v2-nested", ef + "$Value", cfg("field", "address.city", "field.syntax.version", "V2"), personIn());
        t("extractfield-v2-nested-lower", ef + "$Value", cfg("field", "address.zip", "field.syntax.version", "v2"), personIn());
        t("extractfield-v2-nested-null", ef + "$Value", cfg("field", "address.city", "field.syntax.version", "V2"),
                in().value(PERSON, personNoAddress()));
        t("extractfield-v2-nested-unknown", ef + "$Value", cfg("field", "address.country", "field.syntax.version", "V2"), personIn());
        t("extractfield-v2-schemaless", ef + "$Value", cfg("field", "address.zip", "field.syntax.version", "V2"), mapIn());
        t("extractfield-v2-schemaless-not-map", ef + "$Value", cfg("field", "name.x", "field.syntax.version", "V2"), mapIn());
        Map<String, Object> dotted = new HashMap<>();
        dotted.put("a.b", "dotted");
        Map<String, Object> inner = new HashMap<>();
        inner.put("b", "nested");
        dotted.put("a", inner);
        t("extractfield-v2-backticks", ef + "$Value", cfg("field", "`a.b`", "field.syntax.version", "V2"), in().value(null, dotted));
        t("extractfield-v2-plain", ef + "$Value", cfg("field", "a.b", "field.syntax.version", "V2"), in().value(null, dotted));
        t("extractfield-v1-schemaless-dotted", ef + "$Value", cfg("field", "a.b"), in().value(null, dotted));
        t("extractfield-v2-unbalanced", ef + "$Value", cfg("field", "`a.b", "field.syntax.version", "V2"), mapIn());
        t("extractfield-bad-version", ef + "$Value", cfg("field", "a", "field.syntax.version", "V3"), mapIn());
        t("extractfield-no-field", ef + "$Value", cfg(), mapIn());
        t("extractfield-key-schemaless", ef + "$Key", cfg("field", "id"), in().key(null, map()).value(null, "v"));

        String insf = T + "InsertField";
        t("insertfield-value-schema-all", insf + "$Value", cfg("topic.field", "t!", "partition.field", "p",
                "timestamp.field", "ts?", "static.field", "s", "static.value", "hello"), personIn());
        t("insertfield-value-schemaless-all", insf + "$Value", cfg("topic.field", "t", "partition.field", "p",
                "timestamp.field", "ts", "static.field", "s", "static.value", "hello"), mapIn());
        t("insertfield-value-null", insf + "$Value", cfg("topic.field", "t"), in().value(PERSON_OPT, null));
        t("insertfield-value-null-schemaless", insf + "$Value", cfg("topic.field", "t"), in().value(null, null));
        t("insertfield-key-schema", insf + "$Key", cfg("static.field", "src", "static.value", "db1"), personIn());
        t("insertfield-value-sink-offset", insf + "$Value", cfg("offset.field", "off!"), personIn().sink());
        t("insertfield-value-sink-offset-schemaless", insf + "$Value", cfg("offset.field", "off"), mapIn().sink());
        t("insertfield-value-source-offset", insf + "$Value", cfg("offset.field", "off"), mapIn());
        t("insertfield-value-source-offset-schema", insf + "$Value", cfg("offset.field", "off"), personIn());
        t("insertfield-value-no-partition", insf + "$Value", cfg("partition.field", "p", "timestamp.field", "ts"),
                mapIn().partition(null).timestamp(null));
        t("insertfield-value-no-timestamp-schema", insf + "$Value", cfg("timestamp.field", "ts"), personIn().timestamp(null));
        t("insertfield-value-string", insf + "$Value", cfg("topic.field", "t"), in().value(Schema.STRING_SCHEMA, "x"));
        t("insertfield-value-schemaless-string", insf + "$Value", cfg("topic.field", "t"), in().value(null, "x"));
        t("insertfield-nothing", insf + "$Value", cfg(), mapIn());
        t("insertfield-static-no-value", insf + "$Value", cfg("static.field", "s"), mapIn());
        t("insertfield-value-replace-null-false", insf + "$Value", cfg("topic.field", "t", "replace.null.with.default", "false"), personIn());

        String rf = T + "ReplaceField";
        t("replacefield-exclude-schema", rf + "$Value", cfg("exclude", "photo,address,balance"), personIn());
        t("replacefield-include-schema", rf + "$Value", cfg("include", "id,name,age"), personIn());
        t("replacefield-include-no-default", rf + "$Value", cfg("include", "id,age", "replace.null.with.default", "false"), personIn());
        t("replacefield-renames-schema", rf + "$Value", cfg("include", "id,name", "renames", "id:person_id,name:full_name"), personIn());
        t("replacefield-both-schema", rf + "$Value", cfg("include", "id,name,age", "exclude", "name"), personIn());
        t("replacefield-blacklist", rf + "$Value", cfg("blacklist", "name,address,photo,balance,birthday,created"), personIn());
        t("replacefield-whitelist", rf + "$Value", cfg("whitelist", "id"), personIn());
        t("replacefield-schemaless", rf + "$Value", cfg("exclude", "tags,address", "renames", "id:ID"), mapIn());
        t("replacefield-schemaless-include", rf + "$Value", cfg("include", "id,missing"), mapIn());
        t("replacefield-key", rf + "$Key", cfg("renames", "id:key_id"), personIn());
        t("replacefield-null", rf + "$Value", cfg("exclude", "a"), in().value(PERSON_OPT, null));
        t("replacefield-bad-renames", rf + "$Value", cfg("renames", "a:b:c"), personIn());
        t("replacefield-bad-renames-single", rf + "$Value", cfg("renames", "a"), personIn());
        t("replacefield-string", rf + "$Value", cfg("exclude", "a"), in().value(Schema.STRING_SCHEMA, "x"));
        t("replacefield-schemaless-string", rf + "$Value", cfg("exclude", "a"), in().value(null, "x"));

        String mf = T + "MaskField";
        t("maskfield-schema", mf + "$Value", cfg("fields", "id,name,active,score,created,age"), personIn());
        t("maskfield-schema-decimal-date", mf + "$Value", cfg("fields", "balance,birthday"), personIn());
        t("maskfield-schema-null-field", mf + "$Value", cfg("fields", "name,score"), in().value(PERSON, personNoAddress()));
        t("maskfield-schema-bytes", mf + "$Value", cfg("fields", "photo"), personIn());
        t("maskfield-schema-struct", mf + "$Value", cfg("fields", "address"), personIn());
        t("maskfield-schemaless", mf + "$Value", cfg("fields", "id,name,age,active,score,tags,address"), mapIn());
        t("maskfield-schemaless-missing", mf + "$Value", cfg("fields", "missing"), mapIn());
        t("maskfield-replacement-string", mf + "$Value", cfg("fields", "name", "replacement", "***"), personIn());
        t("maskfield-replacement-number", mf + "$Value", cfg("fields", "id,score", "replacement", "12"), personIn());
        t("maskfield-replacement-schemaless", mf + "$Value", cfg("fields", "id,age,score,name", "replacement", "5"), mapIn());
        t("maskfield-replacement-bad-number", mf + "$Value", cfg("fields", "id", "replacement", "abc"), personIn());
        t("maskfield-replacement-boolean", mf + "$Value", cfg("fields", "active", "replacement", "x"), personIn());
        t("maskfield-replacement-empty", mf + "$Value", cfg("fields", "name", "replacement", ""), personIn());
        t("maskfield-null-value", mf + "$Value", cfg("fields", "name"), in().value(null, null));
        t("maskfield-null-value-schema", mf + "$Value", cfg("fields", "name"), in().value(PERSON_OPT, null));
        t("maskfield-key", mf + "$Key", cfg("fields", "id"), personIn());
        t("maskfield-no-fields", mf + "$Value", cfg(), personIn());

        String hf = T + "HoistField";
        t("hoistfield-value-schema", hf + "$Value", cfg("field", "line"), in().value(Schema.STRING_SCHEMA, "hello"));
        t("hoistfield-value-struct", hf + "$Value", cfg("field", "person"), personIn());
        t("hoistfield-value-schemaless", hf + "$Value", cfg("field", "line"), in().value(null, "hello"));
        t("hoistfield-value-schemaless-null", hf + "$Value", cfg("field", "line"), in().value(null, null));
        t("hoistfield-value-optional-null", hf + "$Value", cfg("field", "line"), in().value(Schema.OPTIONAL_STRING_SCHEMA, null));
        t("hoistfield-key", hf + "$Key", cfg("field", "k"), in().key(Schema.INT64_SCHEMA, 5L).value(null, "v"));
        t("hoistfield-no-field", hf + "$Value", cfg(), in().value(null, "x"));

        String cast = T + "Cast";
        t("cast-whole-int64-string", cast + "$Value", cfg("spec", "string"), in().value(Schema.INT64_SCHEMA, 1234567890123L));
        t("cast-whole-string-int32", cast + "$Value", cfg("spec", "int32"), in().value(Schema.STRING_SCHEMA, "-42"));
        t("cast-whole-string-int32-bad", cast + "$Value", cfg("spec", "int32"), in().value(Schema.STRING_SCHEMA, "4.2"));
        t("cast-whole-string-float64", cast + "$Value", cfg("spec", "float64"), in().value(Schema.STRING_SCHEMA, " 1e3 "));
        t("cast-whole-float-int8", cast + "$Value", cfg("spec", "int8"), in().value(Schema.FLOAT64_SCHEMA, 300.7));
        t("cast-whole-float-int64-nan", cast + "$Value", cfg("spec", "int64"), in().value(Schema.FLOAT64_SCHEMA, Double.NaN));
        t("cast-whole-int32-int16-wrap", cast + "$Value", cfg("spec", "int16"), in().value(Schema.INT32_SCHEMA, 70000));
        t("cast-whole-boolean-float32", cast + "$Value", cfg("spec", "float32"), in().value(Schema.BOOLEAN_SCHEMA, true));
        t("cast-whole-int-boolean", cast + "$Value", cfg("spec", "boolean"), in().value(Schema.INT32_SCHEMA, 2));
        t("cast-whole-string-boolean", cast + "$Value", cfg("spec", "BOOLEAN"), in().value(Schema.STRING_SCHEMA, "TRUE"));
        t("cast-whole-float-string", cast + "$Value", cfg("spec", "string"), in().value(Schema.FLOAT64_SCHEMA, 1e10));
        t("cast-whole-bytes-string", cast + "$Value", cfg("spec", "string"), in().value(Schema.BYTES_SCHEMA, new byte[] {104, 105, -1}));
        t("cast-whole-bytes-int32", cast + "$Value", cfg("spec", "int32"), in().value(Schema.BYTES_SCHEMA, new byte[] {1}));
        t("cast-whole-timestamp-string", cast + "$Value", cfg("spec", "string"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("cast-whole-timestamp-int64", cast + "$Value", cfg("spec", "int64"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("cast-whole-date-string", cast + "$Value", cfg("spec", "string"), in().value(org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(19675L * 86400000L)));
        t("cast-whole-optional-default", cast + "$Value", cfg("spec", "string"), in().value(SchemaBuilder.int32().optional().defaultValue(5).build(), 9));
        t("cast-whole-null", cast + "$Value", cfg("spec", "string"), in().value(Schema.OPTIONAL_INT32_SCHEMA, null));
        t("cast-whole-schemaless", cast + "$Value", cfg("spec", "int64"), in().value(null, "17"));
        t("cast-whole-schemaless-int", cast + "$Value", cfg("spec", "string"), in().value(null, 17));
        t("cast-whole-struct", cast + "$Value", cfg("spec", "string"), personIn());
        t("cast-fields-schema", cast + "$Value", cfg("spec", "id:string,age:int64,active:int8,score:int32,created:string"), personIn());
        t("cast-fields-schema-no-default", cast + "$Value", cfg("spec", "age:string", "replace.null.with.default", "false"), personIn());
        t("cast-fields-schema-logical", cast + "$Value", cfg("spec", "created:int64,birthday:int32"), personIn());
        t("cast-fields-schema-null-field", cast + "$Value", cfg("spec", "name:int32,score:string"), in().value(PERSON, personNoAddress()));
        t("cast-fields-schema-struct-field", cast + "$Value", cfg("spec", "address:string"), personIn());
        t("cast-fields-schemaless", cast + "$Value", cfg("spec", "id:string,age:float64,active:int32,missing:int8"), mapIn());
        t("cast-fields-key", cast + "$Key", cfg("spec", "id:int32"), personIn());
        t("cast-bad-type", cast + "$Value", cfg("spec", "id:date"), personIn());
        t("cast-bad-spec", cast + "$Value", cfg("spec", "id:int32:x"), personIn());
        t("cast-whole-and-field", cast + "$Value", cfg("spec", "int32,id:int64"), personIn());
        t("cast-no-spec", cast + "$Value", cfg(), personIn());
        t("cast-empty-spec", cast + "$Value", cfg("spec", ""), personIn());
        t("cast-fields-not-struct", cast + "$Value", cfg("spec", "a:int32"), in().value(Schema.STRING_SCHEMA, "x"));
        t("cast-whole-decimal-float64", cast + "$Value", cfg("spec", "float64"), in().value(Decimal.schema(2), new BigDecimal("12.34")));

        String tr = T + "TimestampRouter";
        t("timestamprouter-default", tr, cfg(), in().value(null, "v"));
        t("timestamprouter-format", tr, cfg("topic.format", "${timestamp}_${topic}_${topic}", "timestamp.format", "yyyy-MM-dd'T'HH.mm.ss.SSS"), in().value(null, "v"));
        t("timestamprouter-text", tr, cfg("topic.format", "x-${timestamp}", "timestamp.format", "EEE MMM d yy hh a"), in().value(null, "v"));
        t("timestamprouter-no-timestamp", tr, cfg(), in().value(null, "v").timestamp(null));
        t("timestamprouter-sink", tr, cfg("timestamp.format", "yyyyMM"), personIn().sink());

        String rr = T + "RegexRouter";
        t("regexrouter-match", rr, cfg("regex", "(.*)-raw", "replacement", "$1-clean"), in().topic("orders-raw").value(null, "v"));
        t("regexrouter-no-match", rr, cfg("regex", "(.*)-raw", "replacement", "$1-clean"), in().topic("orders").value(null, "v"));
        t("regexrouter-partial", rr, cfg("regex", "raw", "replacement", "x"), in().topic("orders-raw").value(null, "v"));
        t("regexrouter-named", rr, cfg("regex", "(?<db>[a-z]+)\\.(?<table>[a-z]+)", "replacement", "${table}_from_${db}"), in().topic("shop.orders").value(null, "v"));
        t("regexrouter-literal-dollar", rr, cfg("regex", "a(.)", "replacement", "\\$$1"), in().topic("ab").value(null, "v"));
        t("regexrouter-bad-regex", rr, cfg("regex", "(a", "replacement", "x"), in().value(null, "v"));
        t("regexrouter-no-replacement", rr, cfg("regex", "a"), in().value(null, "v"));

        String fl = T + "Flatten";
        t("flatten-schema", fl + "$Value", cfg(), personIn());
        t("flatten-schema-delim", fl + "$Value", cfg("delimiter", "_"), personIn());
        t("flatten-schema-null-nested", fl + "$Value", cfg(), in().value(PERSON, personNoAddress()));
        Schema deep = SchemaBuilder.struct().name("Deep")
                .field("outer", SchemaBuilder.struct().optional()
                        .field("inner", SchemaBuilder.struct().field("x", Schema.INT32_SCHEMA).field("arr", SchemaBuilder.array(Schema.STRING_SCHEMA).build()).build())
                        .field("y", Schema.STRING_SCHEMA).build())
                .field("z", Schema.INT8_SCHEMA).build();
        Struct deepValue = new Struct(deep).put("z", (byte) 1).put("outer", new Struct(deep.field("outer").schema())
                .put("y", "why").put("inner", new Struct(deep.field("outer").schema().field("inner").schema()).put("x", 5).put("arr", new ArrayList<>(List.of("p", "q")))));
        t("flatten-schema-deep", fl + "$Value", cfg(), in().value(deep, deepValue));
        Schema withMap = SchemaBuilder.struct().field("m", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build()).build();
        t("flatten-schema-map", fl + "$Value", cfg(), in().value(withMap, new Struct(withMap).put("m", new HashMap<>(Map.of("a", "b")))));
        t("flatten-schemaless", fl + "$Value", cfg(), mapIn());
        Map<String, Object> nested = new LinkedHashMap<>();
        Map<String, Object> lvl1 = new LinkedHashMap<>();
        Map<String, Object> lvl2 = new LinkedHashMap<>();
        lvl2.put("c", 1);
        lvl2.put("d", null);
        lvl1.put("b", lvl2);
        lvl1.put("e", "x");
        nested.put("a", lvl1);
        nested.put("f", new byte[] {9});
        t("flatten-schemaless-deep", fl + "$Value", cfg("delimiter", "__"), in().value(null, nested));
        Map<String, Object> withStruct = new HashMap<>();
        withStruct.put("s", address());
        t("flatten-schemaless-struct", fl + "$Value", cfg(), in().value(null, withStruct));
        t("flatten-null", fl + "$Value", cfg(), in().value(PERSON_OPT, null));
        t("flatten-null-schemaless", fl + "$Value", cfg(), in().value(null, null));
        t("flatten-key", fl + "$Key", cfg(), in().key(PERSON, person()).value(null, "v"));
        t("flatten-string", fl + "$Value", cfg(), in().value(Schema.STRING_SCHEMA, "x"));
        t("flatten-schemaless-string", fl + "$Value", cfg(), in().value(null, "x"));

        String ssm = T + "SetSchemaMetadata";
        t("setschemametadata-name-version", ssm + "$Value", cfg("schema.name", "com.example.Renamed", "schema.version", "9"), personIn());
        t("setschemametadata-name", ssm + "$Value", cfg("schema.name", "com.example.Renamed"), in().value(Schema.STRING_SCHEMA, "x"));
        t("setschemametadata-version-key", ssm + "$Key", cfg("schema.version", "3"), personIn());
        t("setschemametadata-no-default", ssm + "$Value", cfg("schema.name", "n", "replace.null.with.default", "false"), personIn());
        t("setschemametadata-schemaless", ssm + "$Value", cfg("schema.name", "n"), mapIn());
        t("setschemametadata-null-schemaless", ssm + "$Value", cfg("schema.name", "n"), in().value(null, null));
        t("setschemametadata-null-value", ssm + "$Value", cfg("schema.name", "n"), in().value(PERSON_OPT, null));
        t("setschemametadata-nothing", ssm + "$Value", cfg(), personIn());
        t("setschemametadata-bad-version", ssm + "$Value", cfg("schema.version", "x"), personIn());

        t("filter-drops", T + "Filter", cfg(), personIn());
        t("filter-drops-tombstone", T + "Filter", cfg(), in().value(null, null));

        String hfr = T + "HeaderFrom";
        t("headerfrom-copy-schema", hfr + "$Value", cfg("fields", "id,name", "headers", "h_id,h_name", "operation", "copy"), personIn().header("h_id", Schema.STRING_SCHEMA, "old"));
        t("headerfrom-move-schema", hfr + "$Value", cfg("fields", "id,address", "headers", "h_id,h_addr", "operation", "move"), personIn());
        t("headerfrom-copy-default", hfr + "$Value", cfg("fields", "age", "headers", "h_age", "operation", "copy"), personIn());
        t("headerfrom-copy-no-default", hfr + "$Value", cfg("fields", "age", "headers", "h_age", "operation", "copy", "replace.null.with.default", "false"), personIn());
        t("headerfrom-move-schemaless", hfr + "$Value", cfg("fields", "id,tags", "headers", "h_id,h_tags", "operation", "move"), mapIn());
        t("headerfrom-copy-schemaless", hfr + "$Value", cfg("fields", "id,missing", "headers", "a,b", "operation", "copy"), mapIn());
        t("headerfrom-key", hfr + "$Key", cfg("fields", "id", "headers", "kid", "operation", "copy"), personIn());
        t("headerfrom-missing-schema", hfr + "$Value", cfg("fields", "missing", "headers", "h", "operation", "copy"), personIn());
        t("headerfrom-null-value", hfr + "$Value", cfg("fields", "id", "headers", "h", "operation", "copy"), in().value(PERSON_OPT, null));
        t("headerfrom-string", hfr + "$Value", cfg("fields", "id", "headers", "h", "operation", "copy"), in().value(Schema.STRING_SCHEMA, "x"));
        t("headerfrom-length-mismatch", hfr + "$Value", cfg("fields", "a,b", "headers", "h", "operation", "copy"), personIn());
        t("headerfrom-bad-operation", hfr + "$Value", cfg("fields", "a", "headers", "h", "operation", "MOVE"), personIn());
        t("headerfrom-no-fields", hfr + "$Value", cfg("headers", "h", "operation", "copy"), personIn());

        String ih = T + "InsertHeader";
        t("insertheader-string", ih, cfg("header", "source", "value.literal", "orders-db"), personIn().header("source", Schema.STRING_SCHEMA, "old"));
        t("insertheader-int", ih, cfg("header", "n", "value.literal", "42"), mapIn());
        t("insertheader-bool", ih, cfg("header", "b", "value.literal", "true"), mapIn());
        t("insertheader-array", ih, cfg("header", "a", "value.literal", "[1,2,3]"), mapIn());
        t("insertheader-timestamp", ih, cfg("header", "ts", "value.literal", "2023-11-14T22:13:20.123Z"), mapIn());
        t("insertheader-float", ih, cfg("header", "f", "value.literal", "1.5"), mapIn());
        t("insertheader-no-header", ih, cfg("value.literal", "x"), mapIn());
        t("insertheader-no-value", ih, cfg("header", "h"), mapIn());

        String dh = T + "DropHeaders";
        t("dropheaders-some", dh, cfg("headers", "a,c"), mapIn().header("a", Schema.STRING_SCHEMA, "1")
                .header("b", Schema.INT32_SCHEMA, 2).header("a", null, "3").header("c", Schema.BOOLEAN_SCHEMA, true));
        t("dropheaders-none-present", dh, cfg("headers", "x"), mapIn().header("a", Schema.STRING_SCHEMA, "1"));
        t("dropheaders-no-headers", dh, cfg(), mapIn());
        t("dropheaders-empty-headers", dh, cfg("headers", ""), mapIn());

        String tc = T + "TimestampConverter";
        t("timestampconverter-whole-timestamp-string", tc + "$Value", cfg("target.type", "string", "format", "yyyy-MM-dd HH:mm:ss.SSS"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("timestampconverter-whole-timestamp-unix", tc + "$Value", cfg("target.type", "unix"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("timestampconverter-whole-timestamp-unix-seconds", tc + "$Value", cfg("target.type", "unix", "unix.precision", "seconds"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("timestampconverter-whole-timestamp-unix-micros", tc + "$Value", cfg("target.type", "unix", "unix.precision", "microseconds"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("timestampconverter-whole-timestamp-date", tc + "$Value", cfg("target.type", "Date"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("timestampconverter-whole-timestamp-time", tc + "$Value", cfg("target.type", "Time"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("timestampconverter-whole-unix-timestamp", tc + "$Value", cfg("target.type", "Timestamp"), in().value(Schema.INT64_SCHEMA, TS));
        t("timestampconverter-whole-unix-nanos-timestamp", tc + "$Value", cfg("target.type", "Timestamp", "unix.precision", "nanoseconds"), in().value(Schema.INT64_SCHEMA, TS * 1000000L + 999999L));
        t("timestampconverter-whole-unix-seconds-string", tc + "$Value", cfg("target.type", "string", "unix.precision", "seconds", "format", "yyyy-MM-dd'T'HH:mm:ssX"), in().value(Schema.OPTIONAL_INT64_SCHEMA, 1700000000L));
        t("timestampconverter-whole-string-timestamp", tc + "$Value", cfg("target.type", "Timestamp", "format", "yyyy-MM-dd HH:mm:ss"), in().value(Schema.STRING_SCHEMA, "2023-11-14 22:13:20"));
        t("timestampconverter-whole-string-unix", tc + "$Value", cfg("target.type", "unix", "format", "dd/MM/yyyy"), in().value(Schema.STRING_SCHEMA, "14/11/2023"));
        t("timestampconverter-whole-string-bad", tc + "$Value", cfg("target.type", "unix", "format", "yyyy-MM-dd"), in().value(Schema.STRING_SCHEMA, "not a date"));
        t("timestampconverter-whole-date-timestamp", tc + "$Value", cfg("target.type", "Timestamp"), in().value(org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(19675L * 86400000L)));
        t("timestampconverter-whole-int32", tc + "$Value", cfg("target.type", "Timestamp"), in().value(Schema.INT32_SCHEMA, 5));
        t("timestampconverter-whole-null", tc + "$Value", cfg("target.type", "Timestamp"), in().value(Schema.OPTIONAL_INT64_SCHEMA, null));
        t("timestampconverter-schemaless-unix-string", tc + "$Value", cfg("target.type", "string", "format", "yyyy MMM dd HH:mm"), in().value(null, TS));
        t("timestampconverter-schemaless-string-unix", tc + "$Value", cfg("target.type", "unix", "format", "yyyyMMddHHmmss"), in().value(null, "20231114221320"));
        t("timestampconverter-schemaless-int", tc + "$Value", cfg("target.type", "unix"), in().value(null, 5));
        t("timestampconverter-schemaless-null", tc + "$Value", cfg("target.type", "unix"), in().value(null, null));
        t("timestampconverter-field-schema", tc + "$Value", cfg("field", "created", "target.type", "string", "format", "yyyy-MM-dd"), personIn());
        t("timestampconverter-field-schema-unix", tc + "$Value", cfg("field", "created", "target.type", "unix"), personIn());
        t("timestampconverter-field-schema-null", tc + "$Value", cfg("field", "created", "target.type", "unix"), in().value(PERSON, personNoAddress()));
        t("timestampconverter-field-schema-null-struct", tc + "$Value", cfg("field", "created", "target.type", "unix"), in().value(PERSON_OPT, null));
        t("timestampconverter-field-schemaless", tc + "$Value", cfg("field", "id", "target.type", "Timestamp"), mapIn());
        t("timestampconverter-field-schemaless-string", tc + "$Value", cfg("field", "id", "target.type", "string", "format", "HH:mm:ss.SSS"), mapIn());
        t("timestampconverter-key", tc + "$Key", cfg("target.type", "Date"), in().key(Schema.INT64_SCHEMA, TS).value(null, "v"));
        t("timestampconverter-bad-target", tc + "$Value", cfg("target.type", "timestamp"), personIn());
        t("timestampconverter-string-no-format", tc + "$Value", cfg("target.type", "string"), personIn());
        t("timestampconverter-no-target", tc + "$Value", cfg(), personIn());
        t("timestampconverter-bad-precision", tc + "$Value", cfg("target.type", "unix", "unix.precision", "hours"), personIn());
        t("timestampconverter-format-quotes", tc + "$Value", cfg("target.type", "string", "format", "'day' D 'of' yyyy, ''h'' h:mm a, EEEE, MMMM"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("timestampconverter-format-millis6", tc + "$Value", cfg("target.type", "string", "format", "ss.SSSSSS"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("timestampconverter-negative", tc + "$Value", cfg("target.type", "string", "format", "yyyy-MM-dd HH:mm:ss.SSS"), in().value(Schema.INT64_SCHEMA, -1L));

        // Predicates.
        String tnm = P + "TopicNameMatches";
        p("topicnamematches-true", tnm, cfg("pattern", "ord.*"), in().value(null, "v"));
        p("topicnamematches-partial", tnm, cfg("pattern", "ord"), in().value(null, "v"));
        p("topicnamematches-false", tnm, cfg("pattern", "logs-.*"), in().value(null, "v"));
        p("topicnamematches-bad", tnm, cfg("pattern", "(x"), in().value(null, "v"));
        p("topicnamematches-empty", tnm, cfg("pattern", ""), in().value(null, "v"));
        p("topicnamematches-missing", tnm, cfg(), in().value(null, "v"));
        String hhk = P + "HasHeaderKey";
        p("hasheaderkey-true", hhk, cfg("name", "a"), mapIn().header("b", null, "x").header("a", null, null));
        p("hasheaderkey-false", hhk, cfg("name", "a"), mapIn().header("A", null, "x"));
        p("hasheaderkey-no-headers", hhk, cfg("name", "a"), mapIn());
        p("hasheaderkey-empty", hhk, cfg("name", ""), mapIn());
        p("hasheaderkey-missing", hhk, cfg(), mapIn());
        String rit = P + "RecordIsTombstone";
        p("recordistombstone-true", rit, cfg(), in().key(null, "k").value(null, null));
        p("recordistombstone-true-schema", rit, cfg(), in().key(null, "k").value(PERSON_OPT, null));
        p("recordistombstone-false", rit, cfg(), mapIn());
        p("recordistombstone-sink", rit, cfg(), in().value(null, null).sink());

        // Edges: numeric narrowing, parsing, date patterns, renames, headers.
        t("cast-whole-string-int8-overflow", cast + "$Value", cfg("spec", "int8"), in().value(Schema.STRING_SCHEMA, "300"));
        t("cast-whole-string-int32-plus", cast + "$Value", cfg("spec", "int32"), in().value(Schema.STRING_SCHEMA, "+5"));
        t("cast-whole-string-int32-space", cast + "$Value", cfg("spec", "int32"), in().value(Schema.STRING_SCHEMA, " 5"));
        t("cast-whole-int64-float32", cast + "$Value", cfg("spec", "float32"), in().value(Schema.INT64_SCHEMA, 16777217L));
        t("cast-whole-float32-string", cast + "$Value", cfg("spec", "string"), in().value(Schema.FLOAT32_SCHEMA, 0.1f));
        t("cast-whole-float32-float64", cast + "$Value", cfg("spec", "float64"), in().value(Schema.FLOAT32_SCHEMA, 0.1f));
        t("cast-whole-string-float32-suffix", cast + "$Value", cfg("spec", "float32"), in().value(Schema.STRING_SCHEMA, "1.5f"));
        t("cast-whole-string-float64-nan", cast + "$Value", cfg("spec", "float64"), in().value(Schema.STRING_SCHEMA, "NaN"));
        t("cast-whole-string-float64-bad", cast + "$Value", cfg("spec", "float64"), in().value(Schema.STRING_SCHEMA, "1,5"));
        t("cast-whole-boolean-string", cast + "$Value", cfg("spec", "string"), in().value(Schema.BOOLEAN_SCHEMA, true));
        t("cast-whole-negative-float-int8", cast + "$Value", cfg("spec", "int8"), in().value(Schema.FLOAT64_SCHEMA, -129.9));
        t("cast-whole-huge-float-int16", cast + "$Value", cfg("spec", "int16"), in().value(Schema.FLOAT64_SCHEMA, 1e20));
        t("cast-whole-int64-int32-wrap", cast + "$Value", cfg("spec", "int32"), in().value(Schema.INT64_SCHEMA, 4294967297L));
        t("cast-whole-time-int32", cast + "$Value", cfg("spec", "int32"), in().value(Time.SCHEMA, new java.util.Date(3723004L)));
        t("cast-whole-int8-boolean-zero", cast + "$Value", cfg("spec", "boolean"), in().value(Schema.INT8_SCHEMA, (byte) 0));
        t("cast-whole-float-boolean-fraction", cast + "$Value", cfg("spec", "boolean"), in().value(Schema.FLOAT64_SCHEMA, 0.5));
        Map<String, Object> bytesMap = new HashMap<>();
        bytesMap.put("b", new byte[] {0, 1, 2});
        bytesMap.put("n", null);
        t("cast-fields-schemaless-bytes", cast + "$Value", cfg("spec", "b:string,n:int32"), in().value(null, bytesMap));
        t("cast-fields-schemaless-list", cast + "$Value", cfg("spec", "tags:string"), mapIn());
        t("cast-whole-schemaless-list", cast + "$Value", cfg("spec", "string"), in().value(null, new ArrayList<>(List.of(1, 2))));
        t("cast-whole-bad-type", cast + "$Value", cfg("spec", "bytes"), personIn());

        t("timestampconverter-string-time", tc + "$Value", cfg("target.type", "Time", "format", "HH:mm"), in().value(Schema.STRING_SCHEMA, "10:30"));
        t("timestampconverter-schemaless-date-unix", tc + "$Value", cfg("target.type", "unix", "unix.precision", "seconds"), in().value(null, new java.util.Date(-1500L)));
        t("timestampconverter-micros-negative", tc + "$Value", cfg("target.type", "Timestamp", "unix.precision", "microseconds"), in().value(Schema.INT64_SCHEMA, -1500L));
        t("timestampconverter-date-before-epoch", tc + "$Value", cfg("target.type", "Date"), in().value(Schema.INT64_SCHEMA, -1L));
        t("timestampconverter-string-offset", tc + "$Value", cfg("target.type", "unix", "format", "yyyy-MM-dd'T'HH:mm:ss.SSSZ"), in().value(Schema.STRING_SCHEMA, "2023-11-14T22:13:20.123+0100"));
        t("timestampconverter-string-month-name", tc + "$Value", cfg("target.type", "unix", "format", "dd MMM yyyy"), in().value(Schema.STRING_SCHEMA, "14 Nov 2023"));
        t("timestampconverter-string-full-month", tc + "$Value", cfg("target.type", "unix", "format", "MMMM d, yyyy h:mm a"), in().value(Schema.STRING_SCHEMA, "November 14, 2023 10:13 PM"));
        t("timestampconverter-string-lenient", tc + "$Value", cfg("target.type", "unix", "format", "yyyy-MM-dd"), in().value(Schema.STRING_SCHEMA, "2023-02-30"));
        t("timestampconverter-timestamp-nanos", tc + "$Value", cfg("target.type", "unix", "unix.precision", "nanoseconds"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("timestampconverter-string-iso-x", tc + "$Value", cfg("target.type", "Timestamp", "format", "yyyy-MM-dd'T'HH:mm:ssX"), in().value(Schema.STRING_SCHEMA, "2023-11-14T22:13:20Z"));
        t("timestampconverter-format-zones", tc + "$Value", cfg("target.type", "string", "format", "G yyyy z Z X k K E u F"), in().value(Timestamp.SCHEMA, new java.util.Date(TS)));
        t("timestampconverter-field-key-schemaless", tc + "$Key", cfg("field", "ts", "target.type", "Timestamp"), in().key(null, new HashMap<>(Map.of("ts", TS))).value(null, "v"));

        t("timestamprouter-bad-format", tr, cfg("timestamp.format", "yyyy-bb"), in().value(null, "v"));
        t("timestamprouter-literal", tr, cfg("topic.format", "static", "timestamp.format", "'x'"), in().value(null, "v"));

        t("regexrouter-group-zero", rr, cfg("regex", "orders", "replacement", "$0-copy"), in().value(null, "v"));
        t("regexrouter-missing-group", rr, cfg("regex", "(orders)", "replacement", "$2"), in().value(null, "v"));
        t("regexrouter-alternation", rr, cfg("regex", "orders|payments", "replacement", "finance"), in().value(null, "v"));

        t("extractfield-v2-trailing-dot", ef + "$Value", cfg("field", "address.", "field.syntax.version", "V2"), mapIn());
        t("extractfield-v2-escaped-backtick", ef + "$Value", cfg("field", "`a\\`b`", "field.syntax.version", "V2"), in().value(null, new HashMap<>(Map.of("a`b", 1))));
        t("extractfield-key-null-schema", ef + "$Key", cfg("field", "id"), in().key(KEY_OPT, null).value(null, "v"));

        Schema withDefault = SchemaBuilder.struct().name("WithDefault")
                .field("id", Schema.INT32_SCHEMA)
                .field("inner", SchemaBuilder.struct().optional()
                        .field("a", Schema.OPTIONAL_STRING_SCHEMA)
                        .field("b", SchemaBuilder.int32().optional().defaultValue(7).build())
                        .build())
                .build();
        t("flatten-optional-nested-null", fl + "$Value", cfg(), in().value(withDefault, new Struct(withDefault).put("id", 1)));
        Schema arrOfStruct = SchemaBuilder.struct().field("items", SchemaBuilder.array(ADDRESS).build()).build();
        t("flatten-array-of-structs", fl + "$Value", cfg(), in().value(arrOfStruct, new Struct(arrOfStruct).put("items", new ArrayList<>(List.of(address())))));

        t("maskfield-schemaless-bytes", mf + "$Value", cfg("fields", "f"), in().value(null, new HashMap<>(Map.of("f", new byte[] {1}))));
        t("maskfield-replacement-int8-overflow", mf + "$Value", cfg("fields", "v", "replacement", "300"), in().value(null, new HashMap<>(Map.of("v", (byte) 1))));
        t("maskfield-replacement-fraction", mf + "$Value", cfg("fields", "v", "replacement", "1.9"), in().value(null, new HashMap<>(Map.of("v", 5))));
        t("maskfield-replacement-decimal", mf + "$Value", cfg("fields", "balance", "replacement", "12.50"), personIn());
        t("maskfield-replacement-list", mf + "$Value", cfg("fields", "tags", "replacement", "x"), mapIn());

        t("replacefield-rename-collision", rf + "$Value", cfg("renames", "id:name"), personIn());
        t("replacefield-rename-schemaless-collision", rf + "$Value", cfg("renames", "id:name"), mapIn());
        t("replacefield-rename-empty-source", rf + "$Value", cfg("renames", ":x"), mapIn());
        t("replacefield-exclude-renamed", rf + "$Value", cfg("exclude", "ID", "renames", "id:ID"), mapIn());

        t("headerfrom-move-missing-schemaless", hfr + "$Value", cfg("fields", "missing", "headers", "h", "operation", "move"), mapIn());
        t("headerfrom-copy-struct-field", hfr + "$Value", cfg("fields", "address", "headers", "addr", "operation", "copy"), personIn());
        t("headerfrom-key-schemaless", hfr + "$Key", cfg("fields", "id", "headers", "kid", "operation", "move"), in().key(null, new HashMap<>(Map.of("id", 1, "x", 2))).value(null, "v"));

        t("setschemametadata-map", ssm + "$Value", cfg("schema.name", "m"), in().value(SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(), new HashMap<>(Map.of("a", 1))));
        t("setschemametadata-key-null", ssm + "$Key", cfg("schema.name", "k"), in().key(KEY_OPT, null).value(null, "v"));

        t("insertheader-empty", ih, cfg("header", "e", "value.literal", ""), mapIn());
        t("insertheader-map", ih, cfg("header", "m", "value.literal", "{\"a\":1,\"b\":2}"), mapIn());
        t("insertheader-null", ih, cfg("header", "n", "value.literal", "null"), mapIn());
        t("insertheader-big-int", ih, cfg("header", "n", "value.literal", "12345678901"), mapIn());

        t("insertfield-key-null", insf + "$Key", cfg("topic.field", "t"), in().key(null, null).value(null, "v"));
        t("insertfield-duplicate-name", insf + "$Value", cfg("topic.field", "id"), personIn());
        t("insertfield-schemaless-overwrite", insf + "$Value", cfg("topic.field", "id"), mapIn());

        t("hoistfield-value-array", hf + "$Value", cfg("field", "list"), in().value(SchemaBuilder.array(Schema.INT32_SCHEMA).build(), new ArrayList<>(List.of(1, 2))));
        t("valuetokey-duplicate-fields", vtk, cfg("fields", "id,id"), personIn());

        p("topicnamematches-alternation", tnm, cfg("pattern", "logs|orders"), in().value(null, "v"));
        p("hasheaderkey-duplicates", hhk, cfg("name", "a"), mapIn().header("a", null, "1").header("a", null, "2"));

        t("timestamprouter-no-timestamp-sink", tr, cfg(), in().key(Schema.STRING_SCHEMA, "k").value(KEY, new Struct(KEY).put("id", 3L)).timestamp(null).sink()
                .header("h", Schema.STRING_SCHEMA, "v").header("n", Schema.INT32_SCHEMA, 5));
        t("timestamprouter-no-timestamp-headers", tr, cfg(), in().value(null, "v").timestamp(null).header("a", null, "x"));

        // Chains as a connector configures them; tests/tests/transforms.rs runs the first two
        // through the real binary with a FileStreamSource and compares the bytes on Kafka.
        Map<String, String> e2e = cfg(
                "transforms", "hoist,tag,key,extract,route",
                "transforms.hoist.type", T + "HoistField$Value",
                "transforms.hoist.field", "line",
                "transforms.tag.type", T + "InsertField$Value",
                "transforms.tag.topic.field", "origin",
                "transforms.tag.static.field", "source",
                "transforms.tag.static.value", "file",
                "transforms.key.type", T + "ValueToKey",
                "transforms.key.fields", "line,source",
                "transforms.extract.type", T + "ExtractField$Key",
                "transforms.extract.field", "line",
                "transforms.route.type", T + "RegexRouter",
                "transforms.route.regex", "(.*)-raw",
                "transforms.route.replacement", "$1-clean",
                "transforms.route.predicate", "isRaw",
                "predicates", "isRaw",
                "predicates.isRaw.type", P + "TopicNameMatches",
                "predicates.isRaw.pattern", ".*-raw");
        chain("chain-e2e-raw", e2e, in().topic("smt-raw").partition(null).timestamp(null).value(Schema.STRING_SCHEMA, "hello world"));
        chain("chain-e2e-other", e2e, in().topic("smt-other").partition(null).timestamp(null).value(Schema.STRING_SCHEMA, "second line"));
        Map<String, String> negated = new LinkedHashMap<>(e2e);
        negated.put("transforms.route.negate", "true");
        chain("chain-negated-raw", negated, in().topic("smt-raw").partition(null).timestamp(null).value(Schema.STRING_SCHEMA, "x"));
        chain("chain-negated-other", negated, in().topic("smt-other").partition(null).timestamp(null).value(Schema.STRING_SCHEMA, "x"));
        Map<String, String> filter = cfg(
                "transforms", "drop,mask",
                "transforms.drop.type", T + "Filter",
                "transforms.drop.predicate", "tomb",
                "transforms.mask.type", T + "MaskField$Value",
                "transforms.mask.fields", "name",
                "predicates", "tomb",
                "predicates.tomb.type", P + "RecordIsTombstone");
        chain("chain-filter-tombstone", filter, in().value(PERSON_OPT, null));
        chain("chain-filter-keeps", filter, personIn());

        System.out.print(OUT);
        System.err.println("golden: smt: " + count + " cases");
    }
}
