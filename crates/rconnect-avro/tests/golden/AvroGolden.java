// Generates the AvroConverter golden vectors (avro-golden.jsonl) from Confluent's own
// AvroConverter 7.0.16 on a MockSchemaRegistryClient. Run through `scripts/golden avro`; the
// Rust test golden.rs compares rconnect's converter with the committed output, so CI needs no
// Java.
//
// Each "connect" line: a case name, the converter config, the input as JsonConverter's
// schemas-enabled envelope (decimal.format=BASE64), the subject and schema text Java
// registered, the record bytes, and what Java reads back from those bytes (as an envelope).
// Each "plain" line: an Avro schema and a datum written by KafkaAvroSerializer (a plain Avro
// producer), with what AvroConverter reads from it. Every case uses a fresh registry, so the
// schema id is always 1.

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.*;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.confluent.connect.avro.AvroConverter;
import io.confluent.kafka.schemaregistry.client.MockSchemaRegistryClient;
import io.confluent.kafka.serializers.KafkaAvroSerializer;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.connect.data.*;
import org.apache.kafka.connect.json.JsonConverter;

public class AvroGolden {
    static final String TOPIC = "golden";
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final StringBuilder OUT = new StringBuilder();

    static JsonConverter envelope() {
        return envelope(false);
    }

    static JsonConverter envelope(boolean replaceNull) {
        JsonConverter c = new JsonConverter();
        c.configure(Map.of("schemas.enable", "true", "decimal.format", "BASE64",
                "replace.null.with.default", String.valueOf(replaceNull)), false);
        return c;
    }

    // A struct with nulls in required fields that have defaults cannot be written as an
    // envelope as it is; the envelope then carries the defaults (what AvroData writes anyway).
    static byte[] input(Schema schema, Object value) {
        try {
            return envelope(false).fromConnectData(TOPIC, schema, value);
        } catch (RuntimeException e) {
            return envelope(true).fromConnectData(TOPIC, schema, value);
        }
    }

    static String b64(byte[] b) {
        return b == null ? null : Base64.getEncoder().encodeToString(b);
    }

    static String error(Throwable t) {
        StringBuilder sb = new StringBuilder(t.getClass().getSimpleName() + ": " + t.getMessage());
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) sb.append(" <- ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
        return sb.toString();
    }

    static void connect(String name, Map<String, String> config, Schema schema, Object value) {
        ObjectNode line = F.objectNode();
        line.put("kind", "connect");
        line.put("name", name);
        ObjectNode cfg = line.putObject("config");
        new TreeMap<>(config).forEach(cfg::put);
        line.put("envelope_b64", b64(input(schema, value)));
        MockSchemaRegistryClient client = new MockSchemaRegistryClient();
        AvroConverter conv = new AvroConverter(client);
        Map<String, Object> all = new HashMap<>(config);
        all.put("schema.registry.url", "http://unused");
        conv.configure(all, false);
        try {
            byte[] bytes = conv.fromConnectData(TOPIC, schema, value);
            line.put("bytes_b64", b64(bytes));
            Collection<String> subjects = client.getAllSubjects();
            for (String s : subjects) {
                line.put("subject", s);
                line.put("schema", client.getLatestSchemaMetadata(s).getSchema());
            }
            if (bytes != null) {
                SchemaAndValue read = conv.toConnectData(TOPIC, bytes);
                line.put("read_b64", b64(envelope().fromConnectData(TOPIC, read.schema(), read.value())));
            }
        } catch (Exception e) {
            line.put("error", error(e));
        }
        OUT.append(line).append('\n');
    }

    static void connect(String name, Schema schema, Object value) {
        connect(name, Map.of(), schema, value);
    }

    static void plain(String name, String avroSchema, String avroJson) throws Exception {
        ObjectNode line = F.objectNode();
        line.put("kind", "plain");
        line.put("name", name);
        line.put("avro_schema", avroSchema);
        MockSchemaRegistryClient client = new MockSchemaRegistryClient();
        org.apache.avro.Schema s = new org.apache.avro.Schema.Parser().parse(avroSchema);
        Object datum = new GenericDatumReader<Object>(s).read(null, DecoderFactory.get().jsonDecoder(s, avroJson));
        KafkaAvroSerializer ser = new KafkaAvroSerializer(client);
        ser.configure(Map.of("schema.registry.url", "http://unused"), false);
        byte[] bytes = ser.serialize(TOPIC, datum);
        line.put("bytes_b64", b64(bytes));
        line.put("schema", client.getLatestSchemaMetadata(TOPIC + "-value").getSchema());
        AvroConverter conv = new AvroConverter(client);
        conv.configure(Map.of("schema.registry.url", "http://unused"), false);
        SchemaAndValue read;
        try {
            read = conv.toConnectData(TOPIC, bytes);
        } catch (Exception e) {
            line.put("error", error(e));
            OUT.append(line).append('\n');
            return;
        }
        try {
            line.put("read_b64", b64(envelope().fromConnectData(TOPIC, read.schema(), read.value())));
        } catch (Exception e) {
            // Java reads it, but its JsonConverter cannot write what it read (a struct default
            // built on a SchemaBuilder): the test then only checks that rconnect reads it.
            line.put("read_unrepresentable", error(e));
        }
        OUT.append(line).append('\n');
    }

    static Struct struct(Schema s, Object... kv) {
        Struct st = new Struct(s);
        for (int i = 0; i < kv.length; i += 2) st.put((String) kv[i], kv[i + 1]);
        return st;
    }

    static final Map<String, String> NO_META = Map.of("connect.meta.data", "false");
    static final Map<String, String> ENHANCED = Map.of("enhanced.avro.schema.support", "true");
    static final Map<String, String> SCRUB = Map.of("scrub.invalid.names", "true");

    public static void main(String[] args) throws Exception {
        // Primitives, required and optional.
        connect("int8", Schema.INT8_SCHEMA, (byte) -128);
        connect("int16", Schema.INT16_SCHEMA, (short) 32767);
        connect("int32", Schema.INT32_SCHEMA, 42);
        connect("int32-negative", Schema.INT32_SCHEMA, -1234567);
        connect("int64", Schema.INT64_SCHEMA, Long.MIN_VALUE);
        connect("float32", Schema.FLOAT32_SCHEMA, 1.5f);
        connect("float64", Schema.FLOAT64_SCHEMA, -2.25e10);
        connect("boolean", Schema.BOOLEAN_SCHEMA, true);
        connect("string", Schema.STRING_SCHEMA, "héllo \u0001 wörld");
        connect("bytes", Schema.BYTES_SCHEMA, new byte[] {0, 1, 2, (byte) 255});
        connect("optional-int8", Schema.OPTIONAL_INT8_SCHEMA, (byte) 7);
        connect("optional-int16", Schema.OPTIONAL_INT16_SCHEMA, (short) -7);
        connect("optional-int32", Schema.OPTIONAL_INT32_SCHEMA, 7);
        connect("optional-int64", Schema.OPTIONAL_INT64_SCHEMA, 7L);
        connect("optional-float64", Schema.OPTIONAL_FLOAT64_SCHEMA, 0.1);
        connect("optional-boolean", Schema.OPTIONAL_BOOLEAN_SCHEMA, false);
        connect("optional-string", Schema.OPTIONAL_STRING_SCHEMA, "x");
        connect("optional-bytes", Schema.OPTIONAL_BYTES_SCHEMA, new byte[] {9});
        connect("optional-string-null", Schema.OPTIONAL_STRING_SCHEMA, null);
        connect("int8-no-meta", NO_META, Schema.INT8_SCHEMA, (byte) 3);
        connect("optional-string-default", SchemaBuilder.string().optional().defaultValue("dflt").build(), "v");
        connect("int32-default", SchemaBuilder.int32().defaultValue(5).build(), 6);
        connect("int64-doc-version", SchemaBuilder.int64().doc("a \"doc\"\n").version(3).build(), 1L);
        connect("string-parameters", SchemaBuilder.string().parameter("a", "1").parameter("avro.java.string", "String").build(), "p");
        connect("string-named", SchemaBuilder.string().name("com.example.Name").build(), "n");
        connect("float32-default", SchemaBuilder.float32().defaultValue(1.1f).build(), 2.5f);
        // Logical types.
        connect("decimal-scale-0", Decimal.schema(0), new BigDecimal("12345678901234567890"));
        connect("decimal-scale-2", Decimal.schema(2), new BigDecimal("-1.50"));
        connect("decimal-scale-10", Decimal.schema(10), new BigDecimal("3.1415926535"));
        connect("decimal-precision", Decimal.builder(2).parameter("connect.decimal.precision", "10").build(), new BigDecimal("99.99"));
        connect("decimal-optional", Decimal.builder(3).optional().build(), new BigDecimal("0.001"));
        connect("decimal-negative-scale", Decimal.schema(-2), new BigDecimal(new BigInteger("5"), -2));
        connect("date", org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(19000L * 86400000L));
        connect("time", Time.SCHEMA, new java.util.Date(12345678L));
        connect("timestamp", Timestamp.SCHEMA, new java.util.Date(1700000000123L));
        connect("timestamp-optional", Timestamp.builder().optional().build(), new java.util.Date(-1L));
        // Arrays and maps.
        connect("array-int32", SchemaBuilder.array(Schema.INT32_SCHEMA).build(), List.of(1, 2, 3));
        connect("array-empty", SchemaBuilder.array(Schema.STRING_SCHEMA).build(), List.of());
        connect("array-optional-items", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build(), Arrays.asList("a", null, "c"));
        connect("map-string-int", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(), Map.of("k", 1));
        connect("map-string-many", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build(), new HashMap<>(Map.of("alpha", 1L, "beta", 2L, "gamma", 3L, "delta", 4L)));
        connect("map-int-string", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build(), Map.of(7, "seven"));
        connect("map-optional-string-key", SchemaBuilder.map(Schema.OPTIONAL_STRING_SCHEMA, Schema.STRING_SCHEMA).build(), Map.of("a", "b"));
        connect("map-optional", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).optional().build(), Map.of("a", "b"));
        connect("map-named-entries", SchemaBuilder.map(Schema.INT64_SCHEMA, Schema.BOOLEAN_SCHEMA).name("com.example.Flags").build(), Map.of(1L, true));
        Schema point = SchemaBuilder.struct().name("com.example.Point").field("x", Schema.INT32_SCHEMA).field("y", Schema.INT32_SCHEMA).build();
        connect("map-struct-key", SchemaBuilder.map(point, Schema.STRING_SCHEMA).build(), Map.of(struct(point, "x", 1, "y", 2), "p"));
        connect("map-string-struct", SchemaBuilder.map(Schema.STRING_SCHEMA, point).build(), Map.of("origin", struct(point, "x", 0, "y", 0)));
        // Structs.
        Schema user = SchemaBuilder.struct().name("com.example.User").version(1)
                .field("id", Schema.INT64_SCHEMA).field("name", Schema.OPTIONAL_STRING_SCHEMA).build();
        connect("struct-user", user, struct(user, "id", 1L, "name", "Ann"));
        connect("struct-user-null-field", user, struct(user, "id", 2L));
        Schema unnamed = SchemaBuilder.struct().field("a", Schema.STRING_SCHEMA)
                .field("inner", SchemaBuilder.struct().field("b", Schema.INT32_SCHEMA).build())
                .field("inner2", SchemaBuilder.struct().field("c", Schema.BOOLEAN_SCHEMA).optional().build()).build();
        connect("struct-unnamed-nested", unnamed, struct(unnamed, "a", "x", "inner", struct(unnamed.field("inner").schema(), "b", 5),
                "inner2", struct(unnamed.field("inner2").schema(), "c", true)));
        connect("struct-unnamed-nested-null", unnamed, struct(unnamed, "a", "x", "inner", struct(unnamed.field("inner").schema(), "b", 5)));
        Schema all = SchemaBuilder.struct().name("com.example.All")
                .field("i8", Schema.INT8_SCHEMA).field("i16", Schema.INT16_SCHEMA).field("i32", Schema.INT32_SCHEMA)
                .field("i64", Schema.INT64_SCHEMA).field("f32", Schema.FLOAT32_SCHEMA).field("f64", Schema.FLOAT64_SCHEMA)
                .field("b", Schema.BOOLEAN_SCHEMA).field("s", Schema.STRING_SCHEMA).field("by", Schema.BYTES_SCHEMA)
                .field("dec", Decimal.schema(4)).field("d", org.apache.kafka.connect.data.Date.SCHEMA).field("t", Time.SCHEMA).field("ts", Timestamp.SCHEMA)
                .field("arr", SchemaBuilder.array(Schema.INT64_SCHEMA).build())
                .field("m", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build())
                .field("p", point).field("op", SchemaBuilder.struct().name("com.example.Point").field("x", Schema.INT32_SCHEMA).field("y", Schema.INT32_SCHEMA).optional().build())
                .build();
        connect("struct-all-types", all, struct(all, "i8", (byte) 1, "i16", (short) 2, "i32", 3, "i64", 4L, "f32", 5.5f, "f64", 6.25,
                "b", true, "s", "str", "by", new byte[] {1, 2}, "dec", new BigDecimal("1.2345"), "d", new java.util.Date(86400000L),
                "t", new java.util.Date(1000L), "ts", new java.util.Date(2000L), "arr", List.of(1L, 2L), "m", Map.of("a", "b"),
                "p", struct(point, "x", 1, "y", 2)));
        Schema defaults = SchemaBuilder.struct().name("com.example.Defaults")
                .field("i", SchemaBuilder.int32().defaultValue(1).build())
                .field("s", SchemaBuilder.string().defaultValue("x").build())
                .field("os", SchemaBuilder.string().optional().defaultValue("y").build())
                .field("on", SchemaBuilder.int64().optional().defaultValue(null).build())
                .field("b", SchemaBuilder.bytes().defaultValue(new byte[] {65, (byte) 200}).build())
                .field("f", SchemaBuilder.float64().defaultValue(0.5).build())
                .field("f32", SchemaBuilder.float32().defaultValue(0.1f).build())
                .field("bo", SchemaBuilder.bool().defaultValue(true).build())
                .field("arr", SchemaBuilder.array(Schema.INT32_SCHEMA).defaultValue(List.of(1, 2)).build())
                .field("m", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).defaultValue(Map.of("k", 1)).build())
                .field("dec", Decimal.builder(2).defaultValue(new BigDecimal("1.00")).build())
                .field("ts", Timestamp.builder().defaultValue(new java.util.Date(5L)).build())
                .build();
        connect("struct-defaults", defaults, struct(defaults, "i", 9, "s", "z", "b", new byte[] {1}, "f", 1.0, "f32", 2f, "bo", false,
                "arr", List.of(), "m", Map.of(), "dec", new BigDecimal("2.00"), "ts", new java.util.Date(6L)));
        connect("struct-defaults-substituted", defaults, struct(defaults));
        Schema docs = SchemaBuilder.struct().name("com.example.Docs").doc("struct doc")
                .parameter("io.confluent.connect.avro.record.doc", "record doc")
                .parameter("io.confluent.connect.avro.field.doc.a", "field a doc")
                .field("a", Schema.STRING_SCHEMA).build();
        connect("struct-docs", docs, struct(docs, "a", "v"));
        Schema twice = SchemaBuilder.struct().name("com.example.Line").field("from", point).field("to", point).build();
        connect("struct-reused-type", twice, struct(twice, "from", struct(point, "x", 1, "y", 1), "to", struct(point, "x", 2, "y", 2)));
        Schema optStruct = SchemaBuilder.struct().name("com.example.Opt").field("a", Schema.INT32_SCHEMA).optional().build();
        connect("struct-optional-top", optStruct, struct(optStruct, "a", 1));
        Schema arrStruct = SchemaBuilder.array(point).build();
        connect("array-of-structs", arrStruct, List.of(struct(point, "x", 1, "y", 2), struct(point, "x", 3, "y", 4)));
        Schema nested3 = SchemaBuilder.struct().name("a.b.Outer").field("mid", SchemaBuilder.struct().name("a.b.Mid")
                .field("leaf", SchemaBuilder.struct().name("c.Leaf").field("v", Schema.STRING_SCHEMA).build()).build()).build();
        Schema midS = nested3.field("mid").schema();
        connect("struct-namespaces", nested3, struct(nested3, "mid", struct(midS, "leaf", struct(midS.field("leaf").schema(), "v", "deep"))));
        Schema nsless = SchemaBuilder.struct().name("Top").field("in", SchemaBuilder.struct().name("x.Inner").field("v", Schema.INT32_SCHEMA).build()).build();
        connect("struct-no-namespace", nsless, struct(nsless, "in", struct(nsless.field("in").schema(), "v", 1)));
        // Names that are not valid Avro names.
        Schema bad = SchemaBuilder.struct().name("com.my-company.User-1").field("first-name", Schema.STRING_SCHEMA)
                .field("1st", Schema.INT32_SCHEMA).field("ok_name", Schema.BOOLEAN_SCHEMA).build();
        connect("scrub-names", SCRUB, bad, struct(bad, "first-name", "A", "1st", 1, "ok_name", true));
        connect("unscrubbed-names-fail", bad, struct(bad, "first-name", "A", "1st", 1, "ok_name", true));
        Schema badUnicode = SchemaBuilder.struct().name("Ünïcode name").field("a b", Schema.STRING_SCHEMA).build();
        connect("scrub-unicode", SCRUB, badUnicode, struct(badUnicode, "a b", "v"));
        // Enums and unions.
        Schema color = SchemaBuilder.string().name("com.example.Color").parameter("io.confluent.connect.avro.Enum", "com.example.Color")
                .parameter("io.confluent.connect.avro.Enum.RED", "RED").parameter("io.confluent.connect.avro.Enum.GREEN", "GREEN").build();
        connect("enum-enhanced", ENHANCED, color, "GREEN");
        connect("enum-plain", color, "RED");
        Schema withEnum = SchemaBuilder.struct().name("com.example.Paint").field("c", color).build();
        connect("enum-in-struct-enhanced", ENHANCED, withEnum, struct(withEnum, "c", "RED"));
        Schema union = SchemaBuilder.struct().name("io.confluent.connect.avro.Union")
                .field("int", Schema.OPTIONAL_INT32_SCHEMA).field("string", Schema.OPTIONAL_STRING_SCHEMA).build();
        connect("union-int", union, struct(union, "int", 5));
        connect("union-string", union, struct(union, "string", "s"));
        Schema withUnion = SchemaBuilder.struct().name("com.example.U").field("u", SchemaBuilder.struct().name("io.confluent.connect.avro.Union")
                .field("long", Schema.OPTIONAL_INT64_SCHEMA).field("Point", SchemaBuilder.struct().name("com.example.Point").field("x", Schema.INT32_SCHEMA).field("y", Schema.INT32_SCHEMA).optional().build()).optional().build()).build();
        Schema uSchema = withUnion.field("u").schema();
        connect("union-in-struct", withUnion, struct(withUnion, "u", struct(uSchema, "Point", struct(uSchema.field("Point").schema(), "x", 1, "y", 2))));
        connect("union-in-struct-null", withUnion, struct(withUnion));
        Schema fixed = SchemaBuilder.bytes().name("com.example.Hash").parameter("connect.fixed.size", "4").build();
        connect("fixed", fixed, new byte[] {1, 2, 3, 4});
        Schema meta = SchemaBuilder.struct().name("com.example.Meta").version(2).doc("d").field("i8", Schema.INT8_SCHEMA)
                .field("s", SchemaBuilder.string().parameter("p", "v").build()).build();
        connect("struct-no-meta", NO_META, meta, struct(meta, "i8", (byte) 1, "s", "x"));
        connect("struct-meta", meta, struct(meta, "i8", (byte) 1, "s", "x"));
        Schema twoMaps = SchemaBuilder.struct().name("com.example.TwoMaps")
                .field("a", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build())
                .field("b", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build()).build();
        connect("struct-two-same-maps", twoMaps, struct(twoMaps, "a", Map.of(1, "x"), "b", Map.of(2, "y")));
        Schema twoDiffMaps = SchemaBuilder.struct().name("com.example.TwoDiffMaps")
                .field("a", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build())
                .field("b", SchemaBuilder.map(Schema.INT64_SCHEMA, Schema.STRING_SCHEMA).build()).build();
        connect("struct-two-different-maps", twoDiffMaps, struct(twoDiffMaps, "a", Map.of(1, "x"), "b", Map.of(2L, "y")));
        connect("struct-optional-fields-all-null", SchemaBuilder.struct().name("com.example.O").field("a", Schema.OPTIONAL_INT32_SCHEMA)
                .field("b", Schema.OPTIONAL_STRING_SCHEMA).field("c", SchemaBuilder.array(Schema.INT32_SCHEMA).optional().build()).build(),
                new Struct(SchemaBuilder.struct().name("com.example.O").field("a", Schema.OPTIONAL_INT32_SCHEMA)
                .field("b", Schema.OPTIONAL_STRING_SCHEMA).field("c", SchemaBuilder.array(Schema.INT32_SCHEMA).optional().build()).build()));

        // Schemaless values (the Anything record); JSON-representable kinds only, since the
        // input travels as a JsonConverter envelope.
        connect("schemaless-long", null, 42L);
        connect("schemaless-double", null, -1.25);
        connect("schemaless-boolean", null, true);
        connect("schemaless-string", null, "free");
        connect("schemaless-array", null, Arrays.asList(1L, "a", null, false));
        connect("schemaless-map", null, new HashMap<>(Map.of("a", 1L, "b", "two", "c", List.of(3L))));
        connect("schemaless-nested", null, Arrays.asList(new HashMap<>(Map.of("k", Arrays.asList(1.5, 2L)))));

        // Plain Avro producers.
        plain("plain-record",
                "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\",\"doc\":\"an order\",\"fields\":["
                + "{\"name\":\"id\",\"type\":\"long\",\"doc\":\"the id\"},"
                + "{\"name\":\"qty\",\"type\":\"int\",\"default\":1},"
                + "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null},"
                + "{\"name\":\"price\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}},"
                + "{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
                + "{\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
                + "{\"name\":\"micros\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
                + "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
                + "{\"name\":\"attrs\",\"type\":{\"type\":\"map\",\"values\":\"double\"}},"
                + "{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"Status\",\"symbols\":[\"NEW\",\"DONE\"]}},"
                + "{\"name\":\"hash\",\"type\":{\"type\":\"fixed\",\"name\":\"MD5\",\"size\":2}},"
                + "{\"name\":\"either\",\"type\":[\"int\",\"string\"]},"
                + "{\"name\":\"flag\",\"type\":\"boolean\",\"default\":false},"
                + "{\"name\":\"ratio\",\"type\":\"float\"},"
                + "{\"name\":\"customer\",\"type\":{\"type\":\"record\",\"name\":\"Customer\",\"fields\":[{\"name\":\"name\",\"type\":\"string\"}]}},"
                + "{\"name\":\"other\",\"type\":[\"null\",\"Customer\"],\"default\":null}"
                + "]}",
                "{\"id\":1,\"qty\":2,\"note\":{\"string\":\"hi\"},\"price\":\"\\u0004\\u00d2\",\"day\":19000,\"at\":1700000000000,\"micros\":5,"
                + "\"tags\":[\"a\",\"b\"],\"attrs\":{\"x\":1.5},\"status\":\"DONE\",\"hash\":\"\\u0001\\u0002\",\"either\":{\"string\":\"s\"},"
                + "\"flag\":true,\"ratio\":0.25,\"customer\":{\"name\":\"Bo\"},\"other\":{\"shop.Customer\":{\"name\":\"Cy\"}}}");
        plain("plain-string", "\"string\"", "\"just text\"");
        plain("plain-int", "\"int\"", "12");
        plain("plain-bytes", "\"bytes\"", "\"\\u0001\\u0002\\u0003\"");
        plain("plain-enum", "{\"type\":\"enum\",\"name\":\"Suit\",\"doc\":\"cards\",\"symbols\":[\"HEARTS\",\"SPADES\"],\"default\":\"HEARTS\"}", "\"SPADES\"");
        plain("plain-array", "{\"type\":\"array\",\"items\":\"long\"}", "[1,2,3]");
        plain("plain-map", "{\"type\":\"map\",\"values\":\"string\"}", "{\"a\":\"1\",\"b\":\"2\"}");
        plain("plain-union-top", "[\"null\",\"long\"]", "{\"long\":5}");
        plain("plain-record-defaults",
                "{\"type\":\"record\",\"name\":\"D\",\"fields\":["
                + "{\"name\":\"s\",\"type\":\"string\",\"default\":\"dflt\"},"
                + "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"default\":[1,2]},"
                + "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\"},\"default\":{\"k\":3}},"
                + "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"}]},\"default\":{\"v\":4}},"
                + "{\"name\":\"u\",\"type\":[\"int\",\"null\"],\"default\":7}"
                + "]}",
                "{\"s\":\"a\",\"arr\":[],\"m\":{},\"r\":{\"v\":1},\"u\":{\"int\":2}}");
        plain("plain-union-three", "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"u\",\"type\":[\"null\",\"int\",\"string\"]}]}",
                "{\"u\":{\"string\":\"x\"}}");
        plain("plain-connect-written",
                "{\"type\":\"record\",\"name\":\"K\",\"fields\":[{\"name\":\"small\",\"type\":{\"type\":\"int\",\"connect.type\":\"int16\"}}],\"connect.version\":4,\"connect.name\":\"com.x.K\"}",
                "{\"small\":300}");
        System.out.print(OUT);
    }
}
