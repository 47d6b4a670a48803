// Prints what Confluent's S3 AvroFormat writes (Java: AvroRecordWriterProvider on Avro's
// DataFileWriter, codec null) for the records of tests/golden/s3/orders-input.jsonl
// (JsonConverter envelopes, schemas.enable=true), cut into objects of flush.size=3 records,
// with the S3 sink's AvroData defaults (enhanced.avro.schema.support=true,
// connect.meta.data=true). One line per object: the object key of the `avro` connector of
// tests/tests/s3.rs, a tab, the base64 of the file. Java draws the sync marker at random;
// rconnect uses the MD5 of the object key, so the generator passes that marker to
// DataFileWriter#create. Run from the repository root.
import io.confluent.connect.avro.AvroData;
import io.confluent.connect.avro.AvroDataConfig;
import io.confluent.kafka.serializers.NonRecordContainer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;

public class S3AvroGolden {
    public static void main(String[] args) throws Exception {
        JsonConverter in = new JsonConverter();
        in.configure(Map.of("schemas.enable", "true"), false);
        AvroData avroData = new AvroData(new AvroDataConfig(Map.of(
            "enhanced.avro.schema.support", true,
            "connect.meta.data", true,
            "schemas.cache.config", 1000)));
        List<String> lines = Files.readAllLines(Path.of("tests/golden/s3/orders-input.jsonl"), StandardCharsets.UTF_8);
        for (int start = 0; start < lines.size(); start += 3) {
            String key = String.format("avro/orders/partition=0/orders+0+%010d.avro", start);
            byte[] sync = MessageDigest.getInstance("MD5").digest(key.getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DataFileWriter<Object> writer = new DataFileWriter<>(new GenericDatumWriter<>());
            writer.setCodec(CodecFactory.fromString("null"));
            org.apache.kafka.connect.data.Schema schema = null;
            for (int i = start; i < start + 3 && i < lines.size(); i++) {
                SchemaAndValue sv = in.toConnectData("orders", lines.get(i).getBytes(StandardCharsets.UTF_8));
                if (schema == null) {
                    schema = sv.schema();
                    writer.create(avroData.fromConnectSchema(schema), out, sync);
                }
                Object value = avroData.fromConnectData(schema, sv.value());
                if (value instanceof NonRecordContainer) {
                    value = ((NonRecordContainer) value).getValue();
                }
                writer.append(value);
            }
            writer.flush();
            writer.close();
            System.out.println(key + "\t" + Base64.getEncoder().encodeToString(out.toByteArray()));
        }
    }
}
