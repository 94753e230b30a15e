/*
 * The event log's payload codecs, in named pairs.  The runtime checked
 * each payload against the catalogue's schema; the decoders check again
 * what they rely on and name the field that is wrong.  Encoders return -1
 * only when packing fails (out of memory).
 */
#include <stdio.h>
#include <string.h>

#include "actor.h"
#include "eventlog.h"

/* Copy the required UTF-8 string field key into buf (size - 1 at most). */
static int
dec_str(const msgpack_object *p, const char *key, char *buf, size_t size,
    char *why, size_t whylen)
{
	const msgpack_object	*v = mp_get(p, key);

	if (v == NULL || v->type != MSGPACK_OBJECT_STR ||
	    v->via.str.size == 0 ||
	    !utf8_valid(v->via.str.ptr, v->via.str.size) ||
	    mp_strcpy(v, buf, size) == -1) {
		snprintf(why, whylen, "'%s' must be a UTF-8 string of 1-%zu "
		    "bytes", key, size - 1);
		return -1;
	}
	return 0;
}

/* An optional non-negative integer field. */
static int
dec_uint(const msgpack_object *p, const char *key, int *has, uint64_t *v,
    char *why, size_t whylen)
{
	const msgpack_object	*o = mp_get(p, key);

	*has = 0;
	if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (mp_uint(o, v) == -1 || *v > INT64_MAX) {
		snprintf(why, whylen, "'%s' must be a non-negative integer",
		    key);
		return -1;
	}
	*has = 1;
	return 0;
}

/* An optional boolean field. */
static int
dec_bool(const msgpack_object *p, const char *key, int *v, char *why,
    size_t whylen)
{
	const msgpack_object	*o = mp_get(p, key);

	*v = 0;
	if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_BOOLEAN) {
		snprintf(why, whylen, "'%s' must be true or false", key);
		return -1;
	}
	*v = o->via.boolean;
	return 0;
}

/* The payload must be a map, or nil for no fields. */
static int
dec_map(const msgpack_object *p, char *why, size_t whylen)
{
	if (p == NULL || p->type == MSGPACK_OBJECT_MAP ||
	    p->type == MSGPACK_OBJECT_NIL)
		return 0;
	snprintf(why, whylen, "'payload' must be an object");
	return -1;
}

/* LogEvent {level, source, message, data?, sourceSeq?, sourceFirst?}. */
int
msg_log_event_decode(const msgpack_object *p, struct log_event_in *m,
    enum err_code *code, char *why, size_t whylen)
{
	const msgpack_object	*v;

	memset(m, 0, sizeof(*m));
	*code = ERR_BAD_PAYLOAD;
	if (p == NULL || p->type != MSGPACK_OBJECT_MAP) {
		snprintf(why, whylen, "'payload' must be an object");
		goto fail;
	}
	if (dec_str(p, "level", m->level, sizeof(m->level), why,
	    whylen) == -1 ||
	    dec_str(p, "source", m->source, sizeof(m->source), why,
	    whylen) == -1 ||
	    dec_str(p, "message", m->message, sizeof(m->message), why,
	    whylen) == -1)
		goto fail;
	if ((v = mp_get(p, "data")) != NULL && v->type != MSGPACK_OBJECT_NIL)
		m->data = v;
	if (dec_uint(p, "sourceSeq", &m->has_seq, &m->source_seq, why,
	    whylen) == -1 ||
	    dec_bool(p, "sourceFirst", &m->first, why, whylen) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* LogEventAck {source, sourceSeq, gap?}. */
int
msg_log_event_ack_encode(msgpack_packer *pk, const struct log_event_ack *m)
{
	if (msgpack_pack_map(pk, m->gap ? 3 : 2) != 0 ||
	    mp_pack_kv_str(pk, "source", m->source) == -1 ||
	    mp_pack_kv_uint(pk, "sourceSeq", m->seq) == -1)
		goto fail;
	if (m->gap && (mp_pack_str(pk, "gap") == -1 ||
	    msgpack_pack_true(pk) != 0))
		goto fail;
	return 0;
fail:
	return -1;
}

/* {seq, timestamp, level, source, message, data}: an event, or a push. */
int
msg_event_encode(msgpack_packer *pk, const struct event_row *ev)
{
	if (msgpack_pack_map(pk, 6) != 0 ||
	    mp_pack_kv_uint(pk, "seq", ev->seq) == -1 ||
	    mp_pack_str(pk, "timestamp") == -1 ||
	    msgpack_pack_int64(pk, ev->timestamp) != 0 ||
	    mp_pack_kv_str(pk, "level", ev->level) == -1 ||
	    mp_pack_kv_str(pk, "source", ev->source) == -1 ||
	    mp_pack_kv_str(pk, "message", ev->message) == -1 ||
	    mp_pack_str(pk, "data") == -1)
		goto fail;
	if (ev->data == NULL || ev->datalen == 0) {
		if (msgpack_pack_nil(pk) != 0)
			goto fail;
	} else
		pk->callback(pk->data, ev->data, ev->datalen);
	return 0;
fail:
	return -1;
}

/* GetEvents {since?, limit?}. */
int
msg_get_events_decode(const msgpack_object *p, struct range *m,
    enum err_code *code, char *why, size_t whylen)
{
	memset(m, 0, sizeof(*m));
	*code = ERR_BAD_PAYLOAD;
	if (dec_map(p, why, whylen) == -1 ||
	    dec_uint(p, "since", &m->has_since, &m->since, why,
	    whylen) == -1 ||
	    dec_uint(p, "limit", &m->has_limit, &m->limit, why,
	    whylen) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

int
msg_events_encode(msgpack_packer *pk, size_t n, const void *buf, size_t len,
    uint64_t last_seq)
{
	if (msgpack_pack_map(pk, 2) != 0 || mp_pack_str(pk, "events") == -1 ||
	    msgpack_pack_array(pk, n) != 0)
		goto fail;
	if (len > 0)
		pk->callback(pk->data, buf, len);
	if (mp_pack_kv_uint(pk, "lastSeq", last_seq) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* Subscribe {since?}. */
int
msg_subscribe_decode(const msgpack_object *p, struct range *m,
    enum err_code *code, char *why, size_t whylen)
{
	memset(m, 0, sizeof(*m));
	*code = ERR_BAD_PAYLOAD;
	if (dec_map(p, why, whylen) == -1 ||
	    dec_uint(p, "since", &m->has_since, &m->since, why, whylen) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* Subscribed {lastSeq}. */
int
msg_subscribed_encode(msgpack_packer *pk, uint64_t last_seq)
{
	if (msgpack_pack_map(pk, 1) != 0 ||
	    mp_pack_kv_uint(pk, "lastSeq", last_seq) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}

/* Error {code, error}. */
int
msg_error_encode(msgpack_packer *pk, enum err_code code, const char *text)
{
	if (msgpack_pack_map(pk, 2) != 0 ||
	    mp_pack_kv_str(pk, "code", err_code_name(code)) == -1 ||
	    mp_pack_kv_str(pk, "error", text) == -1)
		goto fail;
	return 0;
fail:
	return -1;
}
