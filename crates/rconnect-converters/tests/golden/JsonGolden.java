// Generates the JsonConverter golden vectors (json-golden.jsonl) from Apache Kafka Connect's own
// JsonConverter (3.9.0). Run through scripts/golden json; the Rust test json_golden.rs compares
// rconnect's converter with the committed output, so CI needs no Java.
//
// Each line: a case name, the input as Java's schemas-enabled envelope (decimal.format=BASE64,
// replace.null.with.default=false, so it reads back to the same schema and value), and for each
// writer config the bytes Java writes from what it read from the envelope, and what Java reads
// back from those bytes with the same config, written again as an envelope. Bytes are Base64 so that the golden file's own JSON
// escaping cannot hide a difference (Jackson escapes characters outside the BMP).

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.data.*;
import org.apache.kafka.connect.json.JsonConverter;

public class JsonGolden {
    static final String TOPIC = "golden";
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    static JsonConverter converter(Map<String, String> config) {
        JsonConverter c = new JsonConverter();
        c.configure(config, false);
        return c;
    }

    static final Map<String, String> ENVELOPE = Map.of(
            "schemas.enable", "true", "decimal.format", "BASE64", "replace.null.with.default", "false");

    static final List<Map<String, String>> WRITERS = new ArrayList<>();
    static {
        for (String schemas : new String[] {"true", "false"}) {
            for (String decimal : new String[] {"BASE64", "NUMERIC"}) {
                for (String replace : new String[] {"true", "false"}) {
                    Map<String, String> m = new TreeMap<>();
                    m.put("schemas.enable", schemas);
                    m.put("decimal.format", decimal);
                    m.put("replace.null.with.default", replace);
                    WRITERS.add(m);
                }
            }
        }
    }

    static String b64(byte[] b) {
        return b == null ? null : Base64.getEncoder().encodeToString(b);
    }

    static String error(Throwable t) {
        return t.getClass().getSimpleName();
    }

    static void emit(StringBuilder out, String name, Schema schema, Object value) throws Exception {
        ObjectNode line = F.objectNode();
        line.put("name", name);
        // Java reads "NaN" and "Infinity" back as 0.0, so the envelope cannot carry them: the
        // exact bits go along for top-level floats.
        if (value instanceof Float) line.put("float32_bits", Float.floatToRawIntBits((Float) value));
        if (value instanceof Double) line.put("float64_bits", Double.doubleToRawLongBits((Double) value));
        byte[] envelope = converter(ENVELOPE).fromConnectData(TOPIC, schema, value);
        line.put("envelope_b64", b64(envelope));
        // The outputs are written from what Java reads back from the envelope, as the Rust side
        // does: maps then hold Java's HashMap order. Top-level floats keep their exact value.
        if (!(value instanceof Float) && !(value instanceof Double)) {
            SchemaAndValue read = converter(ENVELOPE).toConnectData(TOPIC, envelope);
            schema = read.schema();
            value = read.value();
        }
        ArrayNode outputs = line.putArray("outputs");
        for (Map<String, String> config : WRITERS) {
            ObjectNode o = outputs.addObject();
            ObjectNode cfg = o.putObject("config");
            config.forEach(cfg::put);
            JsonConverter c = converter(config);
            byte[] bytes;
            try {
                bytes = c.fromConnectData(TOPIC, schema, value);
            } catch (RuntimeException e) {
                o.put("write_error", error(e));
                continue;
            }
            o.put("bytes_b64", b64(bytes));
            try {
                SchemaAndValue back = c.toConnectData(TOPIC, bytes);
                o.put("reread_b64", b64(converter(ENVELOPE).fromConnectData(TOPIC, back.schema(), back.value())));
            } catch (RuntimeException e) {
                o.put("read_error", error(e));
            }
        }
        out.append(MAPPER.writeValueAsString(line)).append('\n');
    }

    static String allAscii() {
        StringBuilder s = new StringBuilder();
        for (char c = 0; c < 0x80; c++) s.append(c);
        return s.toString();
    }

    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder();

        // Integers at their edges.
        emit(out, "int8-min", Schema.INT8_SCHEMA, Byte.MIN_VALUE);
        emit(out, "int8-max", Schema.INT8_SCHEMA, Byte.MAX_VALUE);
        emit(out, "int16-min", Schema.INT16_SCHEMA, Short.MIN_VALUE);
        emit(out, "int16-max", Schema.INT16_SCHEMA, Short.MAX_VALUE);
        emit(out, "int32-min", Schema.INT32_SCHEMA, Integer.MIN_VALUE);
        emit(out, "int32-max", Schema.INT32_SCHEMA, Integer.MAX_VALUE);
        emit(out, "int64-min", Schema.INT64_SCHEMA, Long.MIN_VALUE);
        emit(out, "int64-max", Schema.INT64_SCHEMA, Long.MAX_VALUE);
        emit(out, "int64-2^53+1", Schema.INT64_SCHEMA, (1L << 53) + 1);
        emit(out, "boolean-true", Schema.BOOLEAN_SCHEMA, true);
        emit(out, "boolean-false", Schema.BOOLEAN_SCHEMA, false);

        // Floats and doubles at their edges and where Java's shortest form changes notation.
        float[] floats = {0f, -0f, 1f, -1.5f, 0.1f, 1.1f, 1e-3f, 1e-4f, 1e7f, 1.0E-7f, 9999999f, 12345678f,
                123456789f, 3.4028235E38f, Float.MIN_VALUE, Float.MIN_NORMAL, 16777217f, 0.3f, 2.5e-10f,
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (float f : floats) emit(out, "float32-" + f, Schema.FLOAT32_SCHEMA, f);
        double[] doubles = {0d, -0d, 1d, -1.5d, 0.1d, 0.3d, 1d / 3, 1e-3, 1e-4, 1e7, 1e-7, 9999999d, 1.0E22,
                1e21, 123456789012345678d, Double.MAX_VALUE, Double.MIN_VALUE, Double.MIN_NORMAL, 4.35,
                2.0E-3, 9007199254740993d, 5e-324, 1.7976931348623157E308, 100d, 1234567.125,
                Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (double d : doubles) emit(out, "float64-" + d, Schema.FLOAT64_SCHEMA, d);

        // Strings: every ASCII character, escapes, BMP and non-BMP characters.
        emit(out, "string-empty", Schema.STRING_SCHEMA, "");
        emit(out, "string-all-ascii", Schema.STRING_SCHEMA, allAscii());
        emit(out, "string-escapes", Schema.STRING_SCHEMA, "q\" b\\ nl\n cr\r tab\t bs\b ff\f nul\u0000 us\u001f del\u007f /");
        emit(out, "string-bmp", Schema.STRING_SCHEMA, "é € \u2028 \u2029 \u00a0 \ufeff \uffff 日本語");
        emit(out, "string-non-bmp", Schema.STRING_SCHEMA, "😀 at start? no: a😀b 𝄞 \uD800\uDC00 \uDBFF\uDFFF 😀😀");
        emit(out, "string-non-bmp-edges", Schema.STRING_SCHEMA, "😀x😀");
        emit(out, "string-only-non-bmp", Schema.STRING_SCHEMA, "🎉");

        // Bytes.
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) all[i] = (byte) i;
        emit(out, "bytes-empty", Schema.BYTES_SCHEMA, new byte[0]);
        emit(out, "bytes-all", Schema.BYTES_SCHEMA, all);
        emit(out, "bytes-one", Schema.BYTES_SCHEMA, new byte[] {(byte) 0xff});
        emit(out, "bytes-two", Schema.BYTES_SCHEMA, new byte[] {1, 2});

        // Optional values, defaults and nulls (replace.null.with.default matters here).
        emit(out, "optional-string-null", Schema.OPTIONAL_STRING_SCHEMA, null);
        emit(out, "optional-int32-null", Schema.OPTIONAL_INT32_SCHEMA, null);
        Schema withDefault = SchemaBuilder.int32().optional().defaultValue(42).build();
        emit(out, "int32-default-null", withDefault, null);
        emit(out, "int32-default-set", withDefault, 7);
        Schema strDefault = SchemaBuilder.string().optional().defaultValue("dflt").doc("a doc").build();
        emit(out, "string-default-null", strDefault, null);

        // Decimals in every decimal.format, with scales and signs.
        String[] decimals = {"0", "1", "-1", "0.00", "123.45", "-123.45", "0.000001", "1E+3",
                "99999999999999999999999999999.999999", "-0.5", "127", "128", "-128", "-129", "32768"};
        for (String d : decimals) {
            BigDecimal v = new BigDecimal(d);
            emit(out, "decimal-" + d, Decimal.schema(v.scale()), v);
        }
        Schema optDecimal = Decimal.builder(2).optional().build();
        emit(out, "decimal-optional-null", optDecimal, null);

        // Dates, times and timestamps.
        emit(out, "date-epoch", org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(0));
        emit(out, "date-2024", org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(19723L * 86400000L));
        emit(out, "date-negative", org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(-365L * 86400000L));
        emit(out, "time-midnight", Time.SCHEMA, new java.util.Date(0));
        emit(out, "time-noon-ms", Time.SCHEMA, new java.util.Date(12 * 3600000L + 123));
        emit(out, "timestamp-epoch", Timestamp.SCHEMA, new java.util.Date(0));
        emit(out, "timestamp-2024", Timestamp.SCHEMA, new java.util.Date(1700000000123L));
        emit(out, "timestamp-negative", Timestamp.SCHEMA, new java.util.Date(-1L));
        emit(out, "timestamp-far", Timestamp.SCHEMA, new java.util.Date(253402300799999L));

        // Arrays and maps, with string and non-string keys, nested.
        Schema arr = SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).build();
        emit(out, "array-ints", arr, Arrays.asList(1, null, 3));
        emit(out, "array-empty", arr, new ArrayList<>());
        Schema strMap = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build();
        Map<String, Long> sm = new LinkedHashMap<>();
        sm.put("b", 2L);
        sm.put("a", 1L);
        sm.put("😀", 3L);
        emit(out, "map-string-keys", strMap, sm);
        Schema intMap = SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build();
        Map<Integer, String> im = new LinkedHashMap<>();
        im.put(2, "two");
        im.put(1, "one");
        emit(out, "map-int-keys", intMap, im);
        Schema nested = SchemaBuilder.map(intMap, SchemaBuilder.array(strMap).build()).build();
        Map<Object, Object> nm = new LinkedHashMap<>();
        nm.put(im, Arrays.asList(sm, new LinkedHashMap<>()));
        emit(out, "map-map-keys-nested", nested, nm);
        Schema boolKeys = SchemaBuilder.map(Schema.BOOLEAN_SCHEMA, Schema.FLOAT64_SCHEMA).build();
        Map<Boolean, Double> bm = new LinkedHashMap<>();
        bm.put(true, 1.5);
        emit(out, "map-boolean-keys", boolKeys, bm);
        Schema decKeys = SchemaBuilder.map(Decimal.schema(2), Timestamp.SCHEMA).build();
        Map<Object, Object> dm = new LinkedHashMap<>();
        dm.put(new BigDecimal("1.25"), new java.util.Date(1000));
        emit(out, "map-decimal-keys", decKeys, dm);

        // Structs, nested, with names, versions, docs and parameters.
        Schema address = SchemaBuilder.struct().name("com.example.Address").version(3).doc("where")
                .parameter("p1", "v1").parameter("a.b", "c")
                .field("street", Schema.STRING_SCHEMA)
                .field("zip", SchemaBuilder.string().optional().defaultValue("00000").build())
                .build();
        Schema user = SchemaBuilder.struct().name("com.example.User").optional()
                .field("id", Schema.INT64_SCHEMA)
                .field("name", Schema.OPTIONAL_STRING_SCHEMA)
                .field("score", Schema.FLOAT64_SCHEMA)
                .field("ratio", Schema.FLOAT32_SCHEMA)
                .field("balance", Decimal.builder(2).optional().build())
                .field("created", Timestamp.builder().optional().build())
                .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
                .field("attrs", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA).optional().build())
                .field("address", address)
                .field("raw", Schema.OPTIONAL_BYTES_SCHEMA)
                .build();
        Struct a = new Struct(address).put("street", "Main 😀 \"1\"").put("zip", null);
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("k", "v");
        attrs.put("n", null);
        Struct u = new Struct(user).put("id", 1L).put("name", "Ann\n").put("score", 0.1).put("ratio", 1.1f)
                .put("balance", new BigDecimal("-12.34")).put("created", new java.util.Date(1700000000000L))
                .put("tags", Arrays.asList("x", "😀")).put("attrs", attrs).put("address", a)
                .put("raw", new byte[] {0, 1, 2});
        emit(out, "struct-user", user, u);
        Struct sparse = new Struct(user).put("id", -1L).put("score", -0.0).put("ratio", -0f)
                .put("address", new Struct(address).put("street", ""));
        emit(out, "struct-sparse", user, sparse);
        emit(out, "struct-null", user, null);

        // Schemaless values.
        emit(out, "schemaless-null", null, null);
        emit(out, "schemaless-string", null, "a😀");
        emit(out, "schemaless-long", null, 5L);
        emit(out, "schemaless-int", null, 5);
        emit(out, "schemaless-double", null, 2.5);
        emit(out, "schemaless-float", null, 2.5f);
        emit(out, "schemaless-bool", null, true);
        emit(out, "schemaless-bytes", null, new byte[] {9, 8});
        Map<String, Object> obj = new LinkedHashMap<>();
        obj.put("z", 1L);
        obj.put("a", Arrays.asList("x", null, 2.0));
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("e", "é😀");
        obj.put("inner", inner);
        obj.put("nul", null);
        emit(out, "schemaless-map-string-keys", null, obj);
        Map<Object, Object> mixed = new LinkedHashMap<>();
        mixed.put(1L, "one");
        mixed.put("two", 2L);
        emit(out, "schemaless-map-mixed-keys", null, mixed);
        emit(out, "schemaless-list", null, Arrays.asList(1L, "b", Arrays.asList(true), null));

        System.out.write(out.toString().getBytes(StandardCharsets.UTF_8));
        System.out.flush();
    }
}
