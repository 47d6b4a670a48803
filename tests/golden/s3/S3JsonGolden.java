// Prints what Confluent's S3 JsonFormat writes for each record of
// tests/golden/s3/orders-input.jsonl (JsonConverter envelopes, schemas.enable=true): the
// Struct through Connect's JsonConverter with schemas.enable=false and decimal.format BASE64
// (the json.decimal.format default), then "\n" (Java: JsonRecordWriterProvider). An object
// holds the lines of its records in offset order. Run from the repository root.
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;

public class S3JsonGolden {
    public static void main(String[] args) throws Exception {
        JsonConverter in = new JsonConverter();
        in.configure(Map.of("schemas.enable", "true"), false);
        JsonConverter out = new JsonConverter();
        out.configure(Map.of("schemas.enable", "false", "decimal.format", "BASE64"), false);
        PrintStream stdout = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        for (String line : Files.readAllLines(Path.of("tests/golden/s3/orders-input.jsonl"), StandardCharsets.UTF_8)) {
            SchemaAndValue sv = in.toConnectData("orders", line.getBytes(StandardCharsets.UTF_8));
            stdout.write(out.fromConnectData("orders", sv.schema(), sv.value()));
            stdout.write('\n');
        }
        stdout.flush();
    }
}
