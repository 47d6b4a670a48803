#!/usr/bin/env python3
"""Writes requests.json, the request list of the REST conformance suite
(tests/tests/rest_conformance.rs). Edit this file, then run it: `python3 generate.py`.

Placeholders the suite fills in per worker (and maps back before comparing answers):
  ${N}   a per-worker name prefix (`jxq` for Java, `rxq` for rconnect), so the two workers'
         sink connectors are in different consumer groups. Both workers' connectors use the
         topic `conformance-t1`: Java lists sink offsets in HashMap order, which depends on
         the topic name;
  ${DIR} a per-worker scratch directory for the file connectors.
`raw` is a body sent verbatim; `body` is JSON; `content_type` defaults to application/json
when there is a body; `settle_ms` waits after the request (on both workers).
"""
import json, os

R = []

def req(method, path, body=None, raw=None, content_type=None, headers=None, settle_ms=0, name=None):
    r = {"name": name or f"{method} {path}" + (f" {json.dumps(body)[:60]}" if body is not None else "") + (f" raw:{raw[:40]!r}" if raw is not None else ""),
         "method": method, "path": path}
    if body is not None: r["body"] = body
    if raw is not None: r["raw"] = raw
    if content_type is not None: r["content_type"] = content_type
    if headers: r["headers"] = headers
    if settle_ms: r["settle_ms"] = settle_ms
    # names are unique: the allow-list refers to them
    base, i = r["name"], 2
    while any(x["name"] == r["name"] for x in R):
        r["name"] = f"{base} #{i}"; i += 1
    R.append(r)

SRC = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
def src_cfg(*args, **extra):
    c = {"connector.class": "FileStreamSource", "topic": "conformance-t1", "file": "${DIR}/in.txt"}
    for a in args: c.update(a)
    c.update(extra); return c
def sink_cfg(*args, **extra):
    c = {"connector.class": "FileStreamSink", "topics": "conformance-t1", "file": "${DIR}/out.txt"}
    for a in args: c.update(a)
    c.update(extra); return c

# --- root, health, methods, OPTIONS, odd paths
for p in ["/", "/health", "/nope", "/connectors/", "//connectors", "/connectors//status", "/connectors//config",
          "/connectors/%20", "/connector-plugins//config", "/connectors/${N}-none/tasks//status",
          "/CONNECTORS", "/connectors/${N}-none/status/extra"]:
    req("GET", p)
for m, p in [("POST", "/"), ("DELETE", "/"), ("PUT", "/connectors"), ("DELETE", "/connectors"), ("PATCH", "/connectors"),
             ("POST", "/connector-plugins"), ("GET", "/connector-plugins/FileStreamSource/config/validate"),
             ("POST", "/connectors/${N}-none/status"), ("GET", "/connectors/${N}-none/restart"), ("GET", "/connectors/${N}-none/pause"),
             ("POST", "/connectors/${N}-none/resume"), ("GET", "/connectors/${N}-none/stop"), ("POST", "/connectors/${N}-none/offsets"),
             ("POST", "/connectors/${N}-none/topics/reset"), ("DELETE", "/connectors/${N}-none/tasks"), ("PUT", "/health"),
             ("POST", "/admin/loggers"), ("DELETE", "/admin/loggers/root")]:
    req(m, p)
for p in ["/", "/connectors", "/connectors/${N}-none", "/connectors/${N}-none/config", "/connectors/${N}-none/status",
          "/connectors/${N}-none/offsets", "/connectors/${N}-none/tasks", "/connectors/${N}-none/tasks/0/restart",
          "/connector-plugins", "/connector-plugins/FileStreamSource/config/validate", "/admin/loggers", "/admin/loggers/root",
          "/health", "/nope"]:
    req("OPTIONS", p)
req("HEAD", "/connectors")
req("GET", "/connectors", headers={"Accept": "text/plain"})
req("GET", "/connectors", headers={"Accept": "application/json;q=0.5, text/html"})
req("POST", "/connectors", raw='{"name":"x"}', content_type="text/plain")
req("PUT", "/connector-plugins/FileStreamSource/config/validate", raw="{}", content_type="application/xml")

# --- unknown connector on every route
for m, p in [("GET", ""), ("DELETE", ""), ("GET", "/config"), ("GET", "/status"), ("GET", "/tasks"), ("GET", "/tasks-config"),
             ("GET", "/tasks/0/status"), ("POST", "/restart"), ("POST", "/restart?includeTasks=true&onlyFailed=true"),
             ("POST", "/tasks/0/restart"), ("PUT", "/pause"), ("PUT", "/resume"), ("PUT", "/stop"), ("GET", "/offsets"),
             ("DELETE", "/offsets"), ("GET", "/topics"), ("PUT", "/topics/reset"), ("GET", "/tasks/x/status"),
             ("POST", "/tasks/-1/restart")]:
    req(m, "/connectors/${N}-none" + p)
req("PATCH", "/connectors/${N}-none/config", body={"a": "b"})
req("PATCH", "/connectors/${N}-none/offsets", body={"offsets": [{"partition": {"filename": "f"}, "offset": {"position": 1}}]})

# --- plugins
req("GET", "/connector-plugins")
req("GET", "/connector-plugins?connectorsOnly=true")
req("GET", "/connector-plugins?connectorsOnly=false")
req("GET", "/connector-plugins?connectorsOnly=bogus")
CONNECTORS = [SRC, SINK, "FileStreamSource", "FileStreamSink", "FileStreamSourceConnector", "FileStreamSinkConnector"]
CONVERTERS = ["org.apache.kafka.connect.converters.BooleanConverter", "org.apache.kafka.connect.converters.ByteArrayConverter",
              "org.apache.kafka.connect.converters.DoubleConverter", "org.apache.kafka.connect.converters.FloatConverter",
              "org.apache.kafka.connect.converters.IntegerConverter", "org.apache.kafka.connect.converters.LongConverter",
              "org.apache.kafka.connect.converters.ShortConverter", "org.apache.kafka.connect.json.JsonConverter",
              "org.apache.kafka.connect.storage.StringConverter", "org.apache.kafka.connect.storage.SimpleHeaderConverter"]
for p in CONNECTORS + CONVERTERS + ["JsonConverter", "StringConverter", "Nope", "org.example.Nope", "filestreamsource"]:
    req("GET", f"/connector-plugins/{p}/config")
# Built-in SMTs and predicates (issue 13): a few probes
for p in ["org.apache.kafka.connect.transforms.InsertField$Value", "org.apache.kafka.connect.transforms.predicates.TopicNameMatches"]:
    req("GET", f"/connector-plugins/{p}/config")

# --- validate: every built-in connector with good and bad configs
V = "/connector-plugins/{}/config/validate"
for plugin in ["FileStreamSource", SRC, "FileStreamSourceConnector"]:
    req("PUT", V.format(plugin), body=src_cfg(name="v"))
    req("PUT", V.format(plugin), body={"connector.class": plugin})
for plugin in ["FileStreamSink", SINK]:
    req("PUT", V.format(plugin), body=sink_cfg(name="v"))
    req("PUT", V.format(plugin), body={"connector.class": plugin, "name": "v"})
bad_values = [("tasks.max", "0"), ("tasks.max", "x"), ("tasks.max", "2"), ("batch.size", "-1"), ("batch.size", "abc"),
              ("errors.tolerance", "some"), ("errors.retry.timeout", "x"), ("key.converter", "Nope"),
              ("key.converter", "org.apache.kafka.connect.storage.StringConverter"), ("value.converter", "JsonConverter"),
              ("header.converter", "org.apache.kafka.connect.storage.SimpleHeaderConverter"), ("header.converter", "Nope"),
              ("config.action.reload", "bogus"), ("topic", ""), ("topic", "a,b"), ("file", ""), ("name", ""),
              ("name", "with/slash"), ("transforms", "t"), ("predicates", "p"), ("exactly.once.support", "required"),
              ("exactly.once.support", "bogus"), ("transaction.boundary", "connector"), ("offsets.storage.topic", "o"),
              ("topic.creation.groups", "g"), ("producer.override.acks", "all"), ("producer.override.bogus", "1"),
              ("consumer.override.max.poll.records", "5"), ("admin.override.client.id", "x"), ("tasks.max.enforce", "maybe"),
              ("errors.log.enable", "yes"), ("key.converter.schemas.enable", "false")]
for k, v in bad_values:
    req("PUT", V.format("FileStreamSource"), body=src_cfg({"name": "v"}, {k: v}))
for k, v in [("topics", ""), ("topics.regex", "t.*"), ("topics.regex", "("), ("errors.deadletterqueue.topic.name", "dlq"),
             ("errors.tolerance", "all"), ("consumer.override.group.id", "g"), ("tasks.max", "-5"), ("file", None),
             ("errors.deadletterqueue.context.headers.enable", "x"), ("value.converter", "org.apache.kafka.connect.converters.LongConverter")]:
    req("PUT", V.format("FileStreamSink"), body=sink_cfg({"name": "v"}, {k: v}))
for c in CONVERTERS:
    req("PUT", V.format("FileStreamSource"), body=src_cfg(name="v", **{"value.converter": c}))
req("PUT", V.format("FileStreamSource"), body=src_cfg(name="v", **{"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "x"}))
req("PUT", V.format("FileStreamSource"), body=src_cfg(name="v", **{"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.decimal.format": "bogus"}))
req("PUT", V.format("FileStreamSource"), body=src_cfg(name="v", **{"transforms": "t", "transforms.t.type": "org.apache.kafka.connect.transforms.InsertField$Value", "transforms.t.static.field": "f", "transforms.t.static.value": "v"}))
req("PUT", V.format("FileStreamSource"), body=src_cfg(name="v", **{"transforms": "t", "transforms.t.type": "Nope"}))
req("PUT", V.format("FileStreamSource"), body=src_cfg(name="v", **{"predicates": "p", "predicates.p.type": "Nope"}))
# validate: the request itself
req("PUT", V.format("Nope"), body=src_cfg())
req("PUT", V.format("FileStreamSink"), body=src_cfg())
req("PUT", V.format("FileStreamSource"), body={})
req("PUT", V.format("FileStreamSource"), body={"connector.class": None})
req("PUT", V.format("FileStreamSource"), body=src_cfg(topic=None))
req("PUT", V.format("FileStreamSource"), body=src_cfg(topic=5, file=True))
req("PUT", V.format("FileStreamSource"), body=src_cfg(topic={"a": 1}))
req("PUT", V.format("FileStreamSource"), body=[1])
req("PUT", V.format("FileStreamSource"), body="x")
req("PUT", V.format("FileStreamSource"), raw="")
req("PUT", V.format("FileStreamSource"), raw="{bad")
req("PUT", V.format("FileStreamSource"), raw='{"connector.class": "FileStreamSource",}')
req("PUT", V.format("FileStreamSource"), raw='{"a":1}{"b":2}')
req("PUT", V.format("FileStreamSource"), body={"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector"})

# --- create: bad requests
C = "/connectors"
req("POST", C, raw="")
req("POST", C, raw="null")
req("POST", C, raw="{")
req("POST", C, raw='{"name": "a", "config": {"x": 1},}')
req("POST", C, raw="[]")
req("POST", C, raw='"str"')
req("POST", C, raw="12")
req("POST", C, raw='{"name":"${N}-x","config":{"connector.class":"FileStreamSource","topic":{"a":{"b":1}}}}')
req("POST", C, raw='{"name":"${N}-x",\n "config": [1, 2]}')
req("POST", C, raw='{"name":"${N}-x", "bogus": 1}')
req("POST", C, raw='{"name": ["a"], "config": {}}')
req("POST", C, raw='{"name":"${N}-x","config":{"a":' + "[" * 3000 + "]" * 3000 + "}}", name="POST /connectors config value nested 3000 deep")
req("POST", C, raw='{"name":"${N}-x","config":{"a":' + "[" * 100000 + "]" * 100000 + "}}", name="POST /connectors config value nested 100000 deep")
req("POST", C, raw="[" * 100000 + "]" * 100000, name="POST /connectors body array nested 100000 deep")
req("POST", C, raw='{"name":"${N}-x","config":' + '{"a":' * 100000 + "1" + "}" * 100000 + "}", name="POST /connectors config object nested 100000 deep")
req("POST", C, raw='{"name":"${N}-x","config":{"a":"\\u00"}}')
req("POST", C, raw='{"name":"${N}-x","config":{"a":tru}}')
req("POST", C, raw='{"name":"${N}-x","config":{"a":01}}')
req("POST", C, raw="{'name':'x'}")
req("POST", C, body={"config": src_cfg()})
req("POST", C, body={"name": "", "config": src_cfg()})
req("POST", C, body={"name": "   ", "config": src_cfg()})
req("POST", C, body={"name": "${N}-x"})
req("POST", C, body={"name": "${N}-x", "config": None})
req("POST", C, body={"name": "${N}-x", "config": {}})
req("POST", C, body={"name": "${N}-x", "config": {"topic": "t"}})
req("POST", C, body={"name": "${N}-x", "config": src_cfg(name="other")})
req("POST", C, body={"name": "${N}-x", "config": src_cfg(topic=None)})
# Java stores that connector (FAILED); removing it keeps the later listings comparable.
req("DELETE", "/connectors/${N}-x")
req("POST", C, body={"name": "${N}-x", "config": {"connector.class": "Nope"}})
req("POST", C, body={"name": "${N}-x", "config": src_cfg(**{"tasks.max": "0"})})
req("POST", C, body={"name": "${N}-x", "config": src_cfg(**{"batch.size": "x"})})
req("POST", C, body={"name": "${N}-x", "config": src_cfg(), "initial_state": "bogus"})
req("POST", C, body={"name": "${N}-x", "config": src_cfg(), "initial_state": 5})
req("POST", C, body={"name": "${N}-x\u0001", "config": src_cfg()})
req("POST", C, body={"name": "${N}-x", "config": sink_cfg(**{"topics.regex": "x"})})
req("POST", C, body={"name": "${N}-x", "config": sink_cfg(topics="")})

# --- lifecycle of a source connector
S = "/connectors/${N}-src"
req("GET", C)
req("POST", C, body={"name": "${N}-src", "config": src_cfg()}, settle_ms=2500)
req("POST", C, body={"name": "${N}-src", "config": src_cfg()})
req("GET", C)
for p in ["", "/config", "/status", "/tasks", "/tasks-config", "/tasks/0/status", "/tasks/1/status", "/tasks/99/status",
          "/topics", "/offsets"]:
    req("GET", S + p)
req("GET", C + "?expand=status")
req("GET", C + "?expand=info")
req("GET", C + "?expand=status&expand=info")
req("GET", C + "?expand=bogus")
req("POST", S + "/tasks/x/restart")
req("POST", S + "/restart", settle_ms=1500)
req("GET", S + "/status")
req("POST", S + "/restart?includeTasks=true", settle_ms=1500)
req("POST", S + "/restart?includeTasks=true&onlyFailed=true")
req("POST", S + "/restart?includeTasks=bogus")
req("POST", S + "/tasks/0/restart", settle_ms=1500)
req("GET", S + "/status")
req("PUT", S + "/config", body=src_cfg(**{"batch.size": "100"}), settle_ms=2000)
req("PUT", S + "/config", body=src_cfg(**{"batch.size": "x"}))
req("PUT", S + "/config", body=src_cfg(name="wrong"))
req("PUT", S + "/config", raw="")
req("PUT", S + "/config", raw="[1]")
req("PUT", S + "/config", body={"connector.class": "FileStreamSource"})
req("GET", S + "/config")
req("PATCH", S + "/config", body={"batch.size": "200"}, settle_ms=2000)
req("PATCH", S + "/config", body={"batch.size": None}, settle_ms=2000)
req("PATCH", S + "/config", body={"connector.class": "FileStreamSink"})
req("PATCH", S + "/config", body={"name": "other"})
req("PATCH", S + "/config", raw="")
req("PATCH", S + "/config", raw="{")
req("GET", S + "/config")
req("PATCH", S + "/offsets", body={"offsets": [{"partition": {"filename": "${DIR}/in.txt"}, "offset": {"position": 0}}]})
req("DELETE", S + "/offsets")
req("PUT", S + "/pause", settle_ms=1500)
req("GET", S + "/status")
req("PUT", S + "/pause")
req("PUT", S + "/resume", settle_ms=1500)
req("GET", S + "/status")
req("PUT", S + "/stop", settle_ms=1500)
req("GET", S + "/status")
req("GET", S + "/tasks")
req("GET", S + "/offsets")
req("PATCH", S + "/offsets", body={"offsets": [{"partition": {"filename": "${DIR}/in.txt"}, "offset": {"position": 3}}]})
req("GET", S + "/offsets")
req("PATCH", S + "/offsets", body={"offsets": [{"partition": {"filename": "${DIR}/in.txt"}, "offset": {"position": "abc"}}]})
req("PATCH", S + "/offsets", body={"offsets": [{"partition": {"filename": "${DIR}/in.txt"}, "offset": {"position": -5}}]})
req("PATCH", S + "/offsets", body={"offsets": [{"partition": {"filename": "${DIR}/in.txt"}, "offset": {}}]})
req("PATCH", S + "/offsets", body={"offsets": [{"offset": {"position": 1}}]})
req("PATCH", S + "/offsets", body={"offsets": [{"partition": {"filename": "${DIR}/in.txt"}}]})
req("PATCH", S + "/offsets", body={"offsets": []})
req("PATCH", S + "/offsets", body={"offsets": None})
req("PATCH", S + "/offsets", body={})
req("PATCH", S + "/offsets", body={"offsets": [None]})
req("PATCH", S + "/offsets", body={"offsets": {}})
req("PATCH", S + "/offsets", body={"offsets": [{"partition": "p"}]})
req("PATCH", S + "/offsets", body={"offsets": [], "extra": 1})
req("PATCH", S + "/offsets", raw="")
req("PATCH", S + "/offsets", raw="[")
req("PATCH", S + "/offsets", raw='{"offsets": [{"partition": {"a": ' + "[" * 100000 + "]" * 100000 + "}}]}", name="PATCH offsets partition nested 100000 deep")
req("PATCH", S + "/offsets", raw='{"offsets": [{"partition": 5, "offset": ' + "[" * 100000 + "]" * 100000 + "}]}", name="PATCH offsets shallow mismatch before deep value")
req("DELETE", S + "/offsets")
req("GET", S + "/offsets")
req("PUT", S + "/topics/reset")
req("GET", S + "/topics")
req("PUT", S + "/resume", settle_ms=2000)
req("GET", S + "/status")
req("POST", S + "/tasks", body=[{"a": "b"}])
req("POST", S + "/tasks", raw="{")

# --- created paused, stopped; sink connector
P = "/connectors/${N}-paused"
req("POST", C, body={"name": "${N}-paused", "config": src_cfg(), "initial_state": "PAUSED"}, settle_ms=1500)
req("GET", P + "/status")
req("GET", P + "/tasks")
req("POST", C, body={"name": "${N}-stopped", "config": src_cfg(), "initial_state": "STOPPED"}, settle_ms=1500)
req("GET", "/connectors/${N}-stopped/status")
req("GET", "/connectors/${N}-stopped/tasks")
req("GET", "/connectors/${N}-stopped/offsets")
req("PUT", "/connectors/${N}-stopped/resume", settle_ms=2000)
req("GET", "/connectors/${N}-stopped/status")
K = "/connectors/${N}-sink"
req("PUT", K + "/config", body=sink_cfg(), settle_ms=8000)
req("PUT", K + "/config", body=sink_cfg(), settle_ms=1000)
for p in ["", "/config", "/status", "/tasks", "/tasks/0/status", "/topics"]:
    req("GET", K + p)
req("GET", K + "/offsets")
req("PATCH", K + "/offsets", body={"offsets": [{"partition": {"kafka_topic": "conformance-t1", "kafka_partition": 0}, "offset": {"kafka_offset": 1}}]})
req("PUT", K + "/stop", settle_ms=2000)
req("PATCH", K + "/offsets", body={"offsets": [{"partition": {"kafka_topic": "conformance-t1", "kafka_partition": 0}, "offset": {"kafka_offset": "x"}}]})
req("PATCH", K + "/offsets", body={"offsets": [{"partition": {"kafka_topic": "conformance-t1"}, "offset": {"kafka_offset": 1}}]})
req("PATCH", K + "/offsets", body={"offsets": [{"partition": {"kafka_topic": "conformance-t1", "kafka_partition": 0}, "offset": {"kafka_offset": -2}}]})
req("PATCH", K + "/offsets", body={"offsets": [{"partition": {"kafka_topic": "conformance-t1", "kafka_partition": 0}, "offset": {"kafka_offset": 1}}]})
req("GET", K + "/offsets")
req("DELETE", K + "/offsets")
req("GET", K + "/offsets")

# --- loggers (Java's LoggingResource)
L = "/admin/loggers"
req("GET", L)
req("GET", L + "/root")
req("GET", L + "/${N}.never.seen")
req("PUT", L + "/${N}.a", body={"level": "WARN"})
req("GET", L + "/${N}.a")
req("PUT", L + "/${N}.a.b", body={"level": "error"})
req("PUT", L + "/${N}.a", body={"level": "INFO"})
req("GET", L + "/${N}.a.b")
req("PUT", L + "/${N}.a", body={"level": "BOGUS"})
req("PUT", L + "/${N}.a", body={})
req("PUT", L + "/${N}.a", body={"level": None})
req("PUT", L + "/${N}.a", body={"level": "warn", "extra": 1})
req("PUT", L + "/${N}.a", raw="")
req("PUT", L + "/${N}.a", raw="{")
req("PUT", L + "/${N}.a", body=["WARN"])
req("PUT", L + "/${N}.a", body={"level": ["WARN"]})
req("PUT", L + "/${N}.c?scope=worker", body={"level": "TRACE"})
req("PUT", L + "/${N}.d?scope=cluster", body={"level": "ERROR"})
req("PUT", L + "/${N}.e?scope=bogus", body={"level": "ERROR"})
req("PUT", L + "/${N}.a?scope=cluster", body={"level": "BOGUS"})
req("GET", L + "/${N}.d")
req("PUT", L + "/${N}.f", body={"level": "OFF"})
req("GET", L + "/${N}.f")
req("GET", L + "/")

# --- Java starts a task that does not exist here (and keeps its status): last, so
# the listings above stay comparable.
req("POST", S + "/tasks/99/restart")

# --- clean-up
for n in ["src", "paused", "stopped", "sink"]:
    req("DELETE", f"/connectors/${{N}}-{n}")
req("DELETE", "/connectors/${N}-src")
req("GET", C)
req("GET", "/connectors/${N}-src/status")

# --- client overrides (KIP-458) and topic creation (KIP-158) in validation, added after the
# rest so that the numbered names above stay as they are. The workers run the default
# override policy, All.
for extra in [
    {"producer.override.linger.ms": "soon"},
    {"producer.override.linger.ms": " 05 ", "producer.override.compression.type": "lz4", "producer.override.sasl.jaas.config": "x"},
    {"topic.creation.default.replication.factor": "1", "topic.creation.default.partitions": "3",
     "topic.creation.default.cleanup.policy": "compact", "admin.override.retries": "1", "producer.override.acks": "1"},
    {"topic.creation.groups": "g,g"},
    {"transforms": "t", "transforms.t.type": "org.apache.kafka.connect.transforms.InsertField$Value",
     "transforms.t.static.field": "f", "transforms.t.predicate": "p", "transforms.t.negate": "true",
     "predicates": "p", "predicates.p.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
     "predicates.p.pattern": "x.*"},
]:
    req("PUT", V.format("FileStreamSource"), body=src_cfg({"name": "v"}, extra))
for extra in [
    {"errors.deadletterqueue.topic.name": "dlq", "producer.override.acks": "1", "admin.override.retries": "1",
     "consumer.override.auto.offset.reset": "latest", "consumer.override.max.poll.records": "x5"},
    {"errors.deadletterqueue.topic.name": "dlq", "producer.override.acks": "1", "admin.override.retries": "1",
     "consumer.override.auto.offset.reset": "latest"},
]:
    req("PUT", V.format("FileStreamSink"), body=sink_cfg({"name": "v"}, extra))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "requests.json")
with open(out, "w") as f:
    json.dump(R, f, indent=1)
    f.write("\n")
print(f"{len(R)} requests written to {out}")
