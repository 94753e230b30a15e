/*
 * JSON <-> msgpack: the session's translation between its client's JSON
 * and the actors' msgpack, and actorctl's --json and `send`.  This file is
 * the whole translation, both ways.
 *
 * JSON to msgpack: objects become maps with string keys (in the order the
 * client wrote them), integers become msgpack integers, other numbers
 * doubles.  An integer outside the int64 range (which jansson refuses)
 * makes the whole text be read again with every number as a double, the
 * way a browser would read it; integral doubles within 2^53 then go back
 * to integers so that {"ms": 100} stays an integer.  Nesting is bounded
 * by the caller (SJSON_MAX_DEPTH for a session's payloads): the actors' msgpack
 * unpacker stops at 32 levels, and a frame it cannot unpack would cost
 * the session its connection to that actor.
 *
 * msgpack to JSON: unsigned integers above INT64_MAX and the non-finite
 * doubles JSON cannot spell become doubles and null; binary becomes a
 * base64 string; a string that is not UTF-8 has each bad byte replaced by
 * U+FFFD; map keys that are integers become their decimal text, other
 * non-string keys are left out.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mpjson.h"
#include "msg.h"

#define TWO53	9007199254740992.0

/* An integer for an integral double within 2^53, else NULL. */
static json_t *
int_of(const json_t *v)
{
	double	 d;

	if (!json_is_real(v))
		return NULL;
	d = json_real_value(v);
	if (d != floor(d) || fabs(d) >= TWO53)
		return NULL;
	return json_integer((json_int_t)d);
}

/* Turn integral doubles within 2^53 back into integers, in place. */
static void
ints_back(json_t *j, int depth)
{
	const char	*key;
	size_t		 i, klen;
	json_t		*v, *n;

	if (depth > 2048)
		return;
	if (json_is_array(j)) {
		for (i = 0; i < json_array_size(j); i++) {
			v = json_array_get(j, i);
			if ((n = int_of(v)) != NULL)
				json_array_set_new(j, i, n);
			else
				ints_back(v, depth + 1);
		}
	} else if (json_is_object(j)) {
		json_object_keylen_foreach(j, key, klen, v) {
			if ((n = int_of(v)) != NULL)
				json_object_setn_new_nocheck(j, key, klen, n);
			else
				ints_back(v, depth + 1);
		}
	}
}

/* Parse JSON text; integers beyond int64 are read as doubles. */
json_t *
mpjson_parse(const void *buf, size_t len)
{
	json_error_t	 err;
	json_t		*j;

	j = json_loadb(buf, len, JSON_ALLOW_NUL, &err);
	if (j != NULL || json_error_code(&err) != json_error_numeric_overflow)
		return j;
	j = json_loadb(buf, len, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
	    &err);
	if (j != NULL)
		ints_back(j, 0);
	return j;
}

static void
pack_strn(msgpack_packer *pk, const char *s, size_t len)
{
	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

/* Pack a JSON value as msgpack, refusing nesting deeper than maxdepth. */
int
mpjson_pack(msgpack_packer *pk, const json_t *j, int maxdepth)
{
	const char	*key;
	json_t		*v;
	size_t		 i, klen;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		if (maxdepth <= 0)
			return -1;
		msgpack_pack_map(pk, json_object_size(j));
		json_object_keylen_foreach((json_t *)(uintptr_t)j, key, klen,
		    v) {
			pack_strn(pk, key, klen);
			if (mpjson_pack(pk, v, maxdepth - 1) == -1)
				return -1;
		}
		return 0;
	case JSON_ARRAY:
		if (maxdepth <= 0)
			return -1;
		msgpack_pack_array(pk, json_array_size(j));
		for (i = 0; i < json_array_size(j); i++)
			if (mpjson_pack(pk, json_array_get(j, i),
			    maxdepth - 1) == -1)
				return -1;
		return 0;
	case JSON_STRING:
		pack_strn(pk, json_string_value(j), json_string_length(j));
		return 0;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(j));
		return 0;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(j));
		return 0;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		return 0;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		return 0;
	case JSON_NULL:
		msgpack_pack_nil(pk);
		return 0;
	}
	return -1;
}

/*
 * A JSON string for bytes that should be UTF-8: as they are when they
 * are, else with every byte that does not start a valid sequence
 * replaced by U+FFFD.
 */
static json_t *
string_lossy(const char *s, size_t len)
{
	json_t		*j;
	char		*buf;
	size_t		 i = 0, o = 0, n;

	if (len == 0)
		return json_string("");	/* msgpack-c: s is NULL */
	if (utf8_valid(s, len))
		return json_stringn_nocheck(s, len);
	buf = malloc(len * 3 + 1);
	if (buf == NULL)
		return NULL;
	while (i < len) {
		for (n = 1; n <= 4 && i + n <= len; n++)
			if (utf8_valid(s + i, n))
				break;
		if (n <= 4 && i + n <= len) {
			memcpy(buf + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	j = json_stringn_nocheck(buf, o);
	free(buf);
	return j;
}

/*
 * base64 (RFC 4648), written out here rather than taken from libcrypto:
 * the session would otherwise load libcrypto only for this, and its
 * relocated data costs every session process 400 KB.  The worker's
 * command output uses it too.
 */
size_t
base64_encode(const void *p, size_t len, char *out)
{
	static const char	 digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*u = p;
	size_t			 i, o = 0;
	unsigned		 v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)u[i] << 16 | (unsigned)u[i + 1] << 8 | u[i + 2];
		out[o++] = digits[v >> 18];
		out[o++] = digits[(v >> 12) & 63];
		out[o++] = digits[(v >> 6) & 63];
		out[o++] = digits[v & 63];
	}
	if (i < len) {
		v = (unsigned)u[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)u[i + 1] << 8;
		out[o++] = digits[v >> 18];
		out[o++] = digits[(v >> 12) & 63];
		out[o++] = i + 1 < len ? digits[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* Binary as a base64 JSON string. */
static json_t *
base64(const char *p, size_t len)
{
	json_t	*j;
	char	*buf;
	size_t	 o;

	if (len > SIZE_MAX / 2)
		return json_null();
	if ((buf = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	o = base64_encode(p, len, buf);
	j = json_stringn_nocheck(buf, o);
	free(buf);
	return j;
}

/* One msgpack value as JSON; depth guards the recursion. */
static json_t *
from_msgpack(const msgpack_object *o, int depth)
{
	const msgpack_object_kv	*kv;
	json_t			*j, *v;
	char			 num[24];
	uint32_t		 i;

	if (depth > 64)
		return json_null();
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > (uint64_t)INT64_MAX)
			return json_real((double)o->via.u64);
		return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer((json_int_t)o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (!isfinite(o->via.f64))
			return json_null();
		return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR:
		return string_lossy(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_BIN:
		return base64(o->via.bin.ptr, o->via.bin.size);
	case MSGPACK_OBJECT_ARRAY:
		if ((j = json_array()) == NULL)
			return NULL;
		for (i = 0; i < o->via.array.size; i++) {
			v = from_msgpack(&o->via.array.ptr[i], depth + 1);
			if (v == NULL || json_array_append_new(j, v) == -1) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case MSGPACK_OBJECT_MAP:
		if ((j = json_object()) == NULL)
			return NULL;
		for (i = 0; i < o->via.map.size; i++) {
			kv = &o->via.map.ptr[i];
			if (kv->key.type == MSGPACK_OBJECT_STR) {
				if (!utf8_valid(kv->key.via.str.ptr,
				    kv->key.via.str.size))
					continue;
				v = from_msgpack(&kv->val, depth + 1);
				if (v == NULL || json_object_setn_new_nocheck(j,
				    kv->key.via.str.size > 0 ?
				    kv->key.via.str.ptr : "",
				    kv->key.via.str.size, v) == -1)
					goto fail;
			} else if (kv->key.type ==
			    MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    kv->key.type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
				if (kv->key.type ==
				    MSGPACK_OBJECT_POSITIVE_INTEGER)
					snprintf(num, sizeof(num), "%llu",
					    (unsigned long long)
					    kv->key.via.u64);
				else
					snprintf(num, sizeof(num), "%lld",
					    (long long)kv->key.via.i64);
				v = from_msgpack(&kv->val, depth + 1);
				if (v == NULL || json_object_set_new_nocheck(j,
				    num, v) == -1)
					goto fail;
			}
		}
		return j;
	fail:
		json_decref(j);
		return NULL;
	case MSGPACK_OBJECT_EXT:
	default:
		return json_null();
	}
}

json_t *
mpjson_from_msgpack(const msgpack_object *o)
{
	return from_msgpack(o, 0);
}
