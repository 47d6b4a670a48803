/*
 * Whether a consumed message can have headers, read from librdkafka's own message
 * struct without parsing anything.
 *
 * rd_kafka_message_headers() parses the record's header section on first access, and
 * for a record with no headers (a header count of 0) it still allocates and frees a
 * parse buffer: about a fifth of the sink loop's instructions per record. The count is
 * the first byte of that section (a zigzag varint, 0x00 for zero), so one byte tells.
 * Compiled against the headers of the librdkafka that rdkafka-sys builds (build.rs), so
 * the struct layout is always the one linked in.
 */
#include "rdkafka_int.h"
#include "rdkafka_msg.h"

/* 0 when the message certainly has no headers; 1 when it may (then ask librdkafka). */
int rconnect_message_may_have_headers(const rd_kafka_message_t *rkmessage) {
        const rd_kafka_msg_t *rkm =
            rd_kafka_message2msg((rd_kafka_message_t *)rkmessage);
        const unsigned char *data;
        if (rkm->rkm_headers)
                return 1;
        if (rkm->rkm_flags & RD_KAFKA_MSG_F_PRODUCER)
                return 1;
        if (RD_KAFKAP_BYTES_LEN(&rkm->rkm_u.consumer.binhdrs) <= 0)
                return 0;
        data = (const unsigned char *)rkm->rkm_u.consumer.binhdrs.data;
        return data[0] != 0;
}
