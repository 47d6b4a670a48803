// Writes the config definitions of Kafka 3.9.0's producer, consumer and admin clients as
// Connect's REST API shows them (AbstractHerder#convertConfigKey), so rconnect can list
// `producer.override.*`, `consumer.override.*` and `admin.override.*` keys in validation
// answers as Java does. Run by `scripts/golden clients`.
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

public class ClientConfigDefs {
    static List<Map<String, Object>> keys(ConfigDef def) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ConfigDef.ConfigKey k : def.configKeys().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            boolean required = ConfigDef.NO_DEFAULT_VALUE.equals(k.defaultValue);
            m.put("name", k.name);
            m.put("type", k.type.name());
            m.put("required", required);
            m.put("default_value", required ? null : ConfigDef.convertToString(k.defaultValue, k.type));
            m.put("importance", k.importance.name());
            m.put("documentation", k.documentation);
            m.put("group", k.group);
            m.put("order", k.orderInGroup);
            m.put("width", k.width.name());
            m.put("display_name", k.displayName);
            m.put("dependents", k.dependents);
            out.add(m);
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("producer", keys(ProducerConfig.configDef()));
        all.put("consumer", keys(ConsumerConfig.configDef()));
        all.put("admin", keys(AdminClientConfig.configDef()));
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(all));
    }
}
