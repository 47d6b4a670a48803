/*
 * rconnect plugin interface, ABI version 1.
 *
 * A plugin is a shared library placed in a directory of the worker's `plugin.path`. It
 * exports the functions below. Everything that crosses the boundary is either a plain C
 * value or UTF-8 JSON in a byte buffer; the JSON documents are described in
 * docs/plugins.md (records, Connect schemas and values in the JsonConverter envelope,
 * configuration definitions, validation reports, offsets).
 *
 * Threading: the worker calls an instance from one thread at a time (any thread, usually a
 * blocking worker thread) except rconnect_plugin_signal_stop, which may come from another
 * thread while a call (e.g. a source task's poll) is running, and must not wait for it.
 * Calls may block.
 *
 * Kinds and operations are only ever added under version 1: a worker asks a library only
 * for the kinds its manifest declares, so old libraries keep working with new workers and
 * an old worker never sends a new library an operation it did not declare.
 */
#ifndef RCONNECT_PLUGIN_H
#define RCONNECT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RCONNECT_PLUGIN_ABI_VERSION 1u

/* Return codes of rconnect_plugin_call and RcHost.call. */
#define RC_OK 0    /* out = JSON result ("null" when there is none) */
#define RC_ERROR 1 /* out = {"class":"<java exception class>","message":"..."} */
#define RC_PANIC 2 /* out = the panic / crash message, plain UTF-8 text */

/* Instance kinds for rconnect_plugin_create. A task is created under its connector's class. */
#define RC_KIND_SOURCE_CONNECTOR 1u
#define RC_KIND_SINK_CONNECTOR 2u
#define RC_KIND_SOURCE_TASK 3u
#define RC_KIND_SINK_TASK 4u
#define RC_KIND_CONVERTER 5u        /* key/value converter (Java Converter) */
#define RC_KIND_HEADER_CONVERTER 6u /* Java HeaderConverter */
#define RC_KIND_TRANSFORMATION 7u
#define RC_KIND_PREDICATE 8u

/* Operations (input JSON -> output JSON). */
#define RC_OP_VERSION 1u              /* connector or task: -> "version" */
#define RC_OP_CONFIG_DEF 2u           /* connector/transformation/predicate/converter/header
                                         converter: -> ConfigDef */
#define RC_OP_VALIDATE 3u             /* connector: props -> [report] */
#define RC_OP_START 4u                /* connector or task: props -> null */
#define RC_OP_TASK_CONFIGS 5u         /* connector: max_tasks -> [props] */
#define RC_OP_STOP 6u                 /* connector or task: -> null */
#define RC_OP_TASK_CLASS 7u           /* connector: -> "task class" */
#define RC_OP_EXACTLY_ONCE_SUPPORT 8u /* source connector: props -> "SUPPORTED"|"UNSUPPORTED"|null */
#define RC_OP_POLL 20u                /* source task: -> [source record] | null */
#define RC_OP_COMMIT 21u              /* source task: -> null */
#define RC_OP_COMMIT_RECORD 22u       /* source task: {"record","metadata"} -> null */
#define RC_OP_WANTS_COMMIT_RECORD 23u /* source task: -> bool */
#define RC_OP_OPEN 30u                /* sink task: [partition] -> null */
#define RC_OP_CLOSE 31u               /* sink task: [partition] -> null */
#define RC_OP_PUT 32u                 /* sink task: [sink record] -> null */
#define RC_OP_FLUSH 33u               /* sink task: [offset] -> null */
#define RC_OP_PRE_COMMIT 34u          /* sink task: [offset] -> [offset] */
#define RC_OP_SINK_CONTEXT 35u        /* sink task: {"assignment"} -> context requests */
#define RC_OP_CONFIGURE 40u           /* transformation/predicate: props -> null */
#define RC_OP_APPLY 41u               /* transformation: {"kind","records"} -> [record|null] */
#define RC_OP_TEST 42u                /* predicate: {"kind","records"} -> [bool] */
#define RC_OP_CLOSE_COMPONENT 43u     /* transformation/predicate: -> null */

/* Converters. "headers" is [{"key","value":<envelope>}] as in records; an envelope is
 * {"schema":<Connect JSON schema>|null,"payload":...} (docs/plugins.md, "Data encoding");
 * serialized bytes are a base64 string, a Kafka null is null. */
#define RC_OP_CONVERTER_CONFIGURE 50u /* converter: {"props":{...},"is_key":bool} -> null */
#define RC_OP_FROM_CONNECT 51u        /* converter: {"topic","headers","value":<envelope>}
                                         -> base64 | null, or {"data":base64|null,"headers"}
                                         when the converter changed the headers */
#define RC_OP_TO_CONNECT 52u          /* converter: {"topic","headers","data":base64|null}
                                         -> <envelope> */
#define RC_OP_HEADER_CONVERTER_CONFIGURE 53u /* header converter: {"props":{...}} -> null */
#define RC_OP_FROM_CONNECT_HEADER 54u /* header converter: {"topic","key","value":<envelope>}
                                         -> base64 | null */
#define RC_OP_TO_CONNECT_HEADER 55u   /* header converter: {"topic","key","data":base64|null}
                                         -> <envelope> */

/* Host operations, called by the plugin through RcHost.call. */
#define RC_HOST_OP_OFFSETS 1u                      /* [source partition] -> [offset|null] */
#define RC_HOST_OP_REQUEST_TASK_RECONFIGURATION 2u /* -> null */
#define RC_HOST_OP_RAISE_ERROR 3u                  /* {"class","message"} -> null */
#define RC_HOST_OP_ERRANT_RECORD_REPORTER 4u       /* sink task: -> bool (reporter offered?) */
#define RC_HOST_OP_REPORT_ERRANT_RECORD 5u         /* sink task: {"record","error"} -> null */

/* A byte buffer; released by the side that allocated it. */
typedef struct RcBuffer {
    uint8_t *ptr;
    size_t len;
    size_t cap;
} RcBuffer;

/* Host callbacks, valid from rconnect_plugin_attach_host until rconnect_plugin_destroy. */
typedef struct RcHost {
    uint32_t abi_version;
    void *ctx;
    int32_t (*call)(void *ctx, uint32_t op, const uint8_t *in, size_t in_len, RcBuffer *out);
    void (*free)(RcBuffer *buf);
} RcHost;

/* Checked first: must return RCONNECT_PLUGIN_ABI_VERSION. */
uint32_t rconnect_plugin_abi_version(void);

/* NUL-terminated UTF-8 JSON owned by the library:
 * {"components":[{"kind":"source|sink|transformation|predicate|converter|header_converter",
 *                  "class":"...","version":"..."}]}
 * One class may be listed twice, as "converter" and as "header_converter". */
const char *rconnect_plugin_manifest(void);

/* A new instance of `class` of `kind`, or NULL. */
void *rconnect_plugin_create(const char *class_name, uint32_t kind);
void rconnect_plugin_destroy(void *instance);

/* One operation. `in` is JSON (may be empty for "no input"); `*out` is set by the plugin and
 * released with rconnect_plugin_free. */
int32_t rconnect_plugin_call(void *instance, uint32_t op, const uint8_t *in, size_t in_len,
                             RcBuffer *out);
void rconnect_plugin_free(RcBuffer *buf);

/* Raises the instance's stop signal (Java's stop() from another thread): never blocks. */
void rconnect_plugin_signal_stop(void *instance);

/* Gives an instance the host callbacks (source tasks: offsets; connectors: context;
 * sink tasks: the errant record reporter, attached before START). */
void rconnect_plugin_attach_host(void *instance, const RcHost *host);

#ifdef __cplusplus
}
#endif
#endif /* RCONNECT_PLUGIN_H */
