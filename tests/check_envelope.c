/*
 * Unit tests for common/envelope.c: env_pack_header() and env_decode()
 * round trips with payloads of every msgpack type, every rejection with
 * the protocol's code and text, and message ids.
 */
#include <sys/wait.h>

#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "envelope.h"
#include "mpjson.h"
#include "strmap.h"

#define TIMEOUT		30	/* seconds per test */

static msgpack_sbuffer	 sb;
static msgpack_packer	 pk;
static msgpack_unpacked	 up;
static struct envelope	 env;
static enum err_code	 code;
static char		 why[512];

static void
setup(void)
{
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&up);
}

static void
teardown(void)
{
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

static void
pack_str(msgpack_packer *p, const char *s)
{
	msgpack_pack_str(p, strlen(s));
	msgpack_pack_str_body(p, s, strlen(s));
}

/* A string of n copies of c (static buffer, overwritten per call). */
static const char *
rep(char c, size_t n)
{
	static char	 buf[2][1024];
	static int	 which;

	which = !which;
	ck_assert_uint_lt(n, sizeof(buf[0]));
	memset(buf[which], c, n);
	buf[which][n] = '\0';
	return buf[which];
}

/* Unpack what was packed into sb and decode it as an envelope. */
static int
decode(void)
{
	size_t	 off = 0;

	msgpack_unpacked_destroy(&up);
	msgpack_unpacked_init(&up);
	ck_assert_int_eq(msgpack_unpack_next(&up, sb.data, sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, sb.size);
	memset(&env, 0xa5, sizeof(env));
	code = ERR_COUNT;
	snprintf(why, sizeof(why), "(untouched)");
	return env_decode(&up.data, &env, &code, why, sizeof(why));
}

/* Pack a JSON text (jansson) as msgpack and decode it. */
static int
decode_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
decode_json(const char *fmt, ...)
{
	char		 text[4096];
	json_error_t	 err;
	json_t		*j;
	va_list		 ap;

	va_start(ap, fmt);
	ck_assert_int_lt(vsnprintf(text, sizeof(text), fmt, ap),
	    (int)sizeof(text));
	va_end(ap);
	j = json_loads(text, JSON_DECODE_ANY, &err);
	ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, err.text);
	msgpack_sbuffer_clear(&sb);
	ck_assert_int_eq(mpjson_pack(&pk, j, 64), 0);
	json_decref(j);
	return decode();
}

/* A valid envelope with one field replaced by the JSON value v. */
static int
decode_with(const char *field, const char *v)
{
	static const char *const names[] = {
		"to", "from", "type", "id", "timestamp",
	};
	static const char *const vals[] = {
		"\"worker:w1\"", "\"client:ui\"", "\"Ping\"", "\"m-1\"",
		"1700000000000",
	};
	char	 text[2048];
	size_t	 i, n = 0;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "{");
	for (i = 0; i < 5; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "\"%s\": %s, ", names[i],
		    strcmp(names[i], field) == 0 ? v : vals[i]);
	if (strcmp(field, "replyTo") == 0)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "\"replyTo\": %s, ", v);
	snprintf(text + n, sizeof(text) - n, "\"payload\": {}}");
	return decode_json("%s", text);
}

/* The same envelope without field. */
static int
decode_without(const char *field)
{
	int	 omitted = strcmp(field, "to") == 0 ||
	    strcmp(field, "from") == 0 || strcmp(field, "type") == 0 ||
	    strcmp(field, "id") == 0;

	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, omitted ? 4 : 5);
	if (strcmp(field, "to") != 0) {
		pack_str(&pk, "to");
		pack_str(&pk, "worker:w1");
	}
	if (strcmp(field, "from") != 0) {
		pack_str(&pk, "from");
		pack_str(&pk, "client:ui");
	}
	if (strcmp(field, "type") != 0) {
		pack_str(&pk, "type");
		pack_str(&pk, "Ping");
	}
	if (strcmp(field, "id") != 0) {
		pack_str(&pk, "id");
		pack_str(&pk, "m-1");
	}
	pack_str(&pk, "payload");
	msgpack_pack_nil(&pk);
	return decode();
}

/* An envelope whose field holds the raw bytes s[0..len) as a string. */
static int
decode_raw(const char *field, const char *s, size_t len)
{
	static const char *const names[] = { "to", "from", "type", "id" };
	static const char *const vals[] = {
		"worker:w1", "client:ui", "Ping", "m-1",
	};
	int	 reply = strcmp(field, "replyTo") == 0;
	size_t	 i;

	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 4 + reply);
	for (i = 0; i < 4; i++) {
		pack_str(&pk, names[i]);
		if (strcmp(names[i], field) == 0) {
			msgpack_pack_str(&pk, len);
			msgpack_pack_str_body(&pk, s, len);
		} else
			pack_str(&pk, vals[i]);
	}
	if (reply) {
		pack_str(&pk, "replyTo");
		msgpack_pack_str(&pk, len);
		msgpack_pack_str_body(&pk, s, len);
	}
	return decode();
}

/* The decode failed with this code and exactly this text. */
#define ck_rejected(rc, wantcode, wanttext) do {			\
	ck_assert_int_eq((rc), -1);					\
	ck_assert_str_eq(err_code_name(code), err_code_name(wantcode));	\
	ck_assert_str_eq(why, (wanttext));				\
} while (0)

/* The decode failed as bad_envelope, naming the field. */
#define ck_bad_field(rc, field) do {					\
	ck_assert_int_eq((rc), -1);					\
	ck_assert_str_eq(err_code_name(code), "bad_envelope");		\
	ck_assert_msg(strncmp(why, "Missing or invalid '" field "' field",\
	    strlen("Missing or invalid '" field "' field")) == 0,	\
	    "why: %s", why);						\
} while (0)

/* Pack a full message: header, then the payload pack_payload packs. */
static void
pack_msg(const char *reply_to, int64_t ts,
    void (*pack_payload)(msgpack_packer *))
{
	msgpack_sbuffer_clear(&sb);
	env_pack_header(&pk, "coordinator:main", "client:ui", MSG_ASSIGN_TASK,
	    "id-42", reply_to, ts);
	pack_payload(&pk);
}

static void
pl_nil(msgpack_packer *p)
{
	msgpack_pack_nil(p);
}

static void
pl_true(msgpack_packer *p)
{
	msgpack_pack_true(p);
}

static void
pl_false(msgpack_packer *p)
{
	msgpack_pack_false(p);
}

static void
pl_uint(msgpack_packer *p)
{
	msgpack_pack_uint64(p, UINT64_MAX);
}

static void
pl_int(msgpack_packer *p)
{
	msgpack_pack_int64(p, INT64_MIN);
}

static void
pl_fix(msgpack_packer *p)
{
	msgpack_pack_int(p, -5);
}

static void
pl_f32(msgpack_packer *p)
{
	msgpack_pack_float(p, 1.5f);
}

static void
pl_f64(msgpack_packer *p)
{
	msgpack_pack_double(p, -0.125);
}

static void
pl_str(msgpack_packer *p)
{
	pack_str(p, "h\xc3\xa9llo");
}

static void
pl_estr(msgpack_packer *p)
{
	pack_str(p, "");
}

static void
pl_bin(msgpack_packer *p)
{
	msgpack_pack_bin(p, 5);
	msgpack_pack_bin_body(p, "a\0b\xff" "c", 5);
}

static void
pl_ext(msgpack_packer *p)
{
	msgpack_pack_ext(p, 3, 7);
	msgpack_pack_ext_body(p, "\x01\x02\x03", 3);
}

static void
pl_array(msgpack_packer *p)
{
	msgpack_pack_array(p, 3);
	msgpack_pack_int(p, 1);
	msgpack_pack_array(p, 0);
	pack_str(p, "x");
}

static void
pl_map(msgpack_packer *p)
{
	msgpack_pack_map(p, 3);
	pack_str(p, "taskId");
	pack_str(p, "t1");
	msgpack_pack_int(p, 7);		/* a non-string key */
	msgpack_pack_map(p, 1);
	pack_str(p, "deep");
	msgpack_pack_array(p, 1);
	msgpack_pack_nil(p);
	pack_str(p, "to");		/* envelope names inside: payload */
	pack_str(p, "not:me");
}

START_TEST(test_roundtrip_types)
{
	static const struct {
		void			(*fn)(msgpack_packer *);
		msgpack_object_type	 type;
	} cases[] = {
		{ pl_nil, MSGPACK_OBJECT_NIL },
		{ pl_true, MSGPACK_OBJECT_BOOLEAN },
		{ pl_false, MSGPACK_OBJECT_BOOLEAN },
		{ pl_uint, MSGPACK_OBJECT_POSITIVE_INTEGER },
		{ pl_int, MSGPACK_OBJECT_NEGATIVE_INTEGER },
		{ pl_fix, MSGPACK_OBJECT_NEGATIVE_INTEGER },
		{ pl_f32, MSGPACK_OBJECT_FLOAT32 },
		{ pl_f64, MSGPACK_OBJECT_FLOAT64 },
		{ pl_str, MSGPACK_OBJECT_STR },
		{ pl_estr, MSGPACK_OBJECT_STR },
		{ pl_bin, MSGPACK_OBJECT_BIN },
		{ pl_ext, MSGPACK_OBJECT_EXT },
		{ pl_array, MSGPACK_OBJECT_ARRAY },
		{ pl_map, MSGPACK_OBJECT_MAP },
	};
	msgpack_sbuffer		 psb;
	msgpack_packer		 ppk;
	msgpack_unpacked	 pup;
	size_t			 i, off;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* The payload alone, to compare with. */
		msgpack_sbuffer_init(&psb);
		msgpack_packer_init(&ppk, &psb, msgpack_sbuffer_write);
		cases[i].fn(&ppk);
		msgpack_unpacked_init(&pup);
		off = 0;
		ck_assert_int_eq(msgpack_unpack_next(&pup, psb.data, psb.size,
		    &off), MSGPACK_UNPACK_SUCCESS);

		pack_msg(NULL, 1700000000123LL, cases[i].fn);
		ck_assert_msg(decode() == 0, "case %zu: %s", i, why);
		ck_assert_int_eq(env.type, MSG_ASSIGN_TASK);
		ck_assert_str_eq(env.to, "coordinator:main");
		ck_assert_str_eq(env.from, "client:ui");
		ck_assert_str_eq(env.id, "id-42");
		ck_assert_str_eq(env.reply_to, "");
		ck_assert_int_eq(env.timestamp, 1700000000123LL);
		ck_assert_ptr_nonnull(env.payload);
		ck_assert_int_eq(env.payload->type, cases[i].type);
		ck_assert_msg(msgpack_object_equal(*env.payload, pup.data),
		    "case %zu: payload changed", i);

		msgpack_unpacked_destroy(&pup);
		msgpack_sbuffer_destroy(&psb);
	}
}
END_TEST

START_TEST(test_roundtrip_reply)
{
	pack_msg("req-7", 5, pl_nil);
	ck_assert_int_eq(decode(), 0);
	ck_assert_str_eq(env.reply_to, "req-7");
	/* replyTo is a seventh key only when given. */
	ck_assert_uint_eq(up.data.via.map.size, 7);
	ck_assert_ptr_nonnull(mp_get(&up.data, "replyTo"));

	pack_msg("", 5, pl_nil);
	ck_assert_int_eq(decode(), 0);
	ck_assert_str_eq(env.reply_to, "");
	ck_assert_uint_eq(up.data.via.map.size, 6);
	ck_assert_ptr_null(mp_get(&up.data, "replyTo"));

	pack_msg(NULL, 5, pl_nil);
	ck_assert_int_eq(decode(), 0);
	ck_assert_uint_eq(up.data.via.map.size, 6);
}
END_TEST

START_TEST(test_roundtrip_every_type)
{
	int	 t;

	/* Every type in the catalogue survives the trip by name. */
	for (t = 0; t < MSG_COUNT; t++) {
		msgpack_sbuffer_clear(&sb);
		env_pack_header(&pk, "system:supervisor", "worker:w1",
		    (enum msg_type)t, "i", NULL, 0);
		msgpack_pack_nil(&pk);
		ck_assert_msg(decode() == 0, "%s: %s", msg_name(t), why);
		ck_assert_int_eq(env.type, t);
		ck_assert(mp_streq(mp_get(&up.data, "type"), msg_name(t)));
	}
}
END_TEST

START_TEST(test_roundtrip_timestamps)
{
	static const int64_t	 ts[] = {
		0, 1, 1700000000000LL, INT64_MAX,
	};
	size_t			 i;

	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		pack_msg(NULL, ts[i], pl_nil);
		ck_assert_int_eq(decode(), 0);
		ck_assert_int_eq(env.timestamp, ts[i]);
	}
}
END_TEST

START_TEST(test_roundtrip_limits)
{
	char	 to[ADDR_MAX + 1], id[ID_MAX + 1];

	/* Fields exactly at their limits pass whole. */
	snprintf(to, sizeof(to), "worker:%s", rep('n', ADDR_MAX - 7));
	snprintf(id, sizeof(id), "%s", rep('i', ID_MAX));
	msgpack_sbuffer_clear(&sb);
	env_pack_header(&pk, to, to, MSG_PING, id, id, 1);
	msgpack_pack_nil(&pk);
	ck_assert_msg(decode() == 0, "%s", why);
	ck_assert_uint_eq(strlen(env.to), ADDR_MAX);
	ck_assert_str_eq(env.to, to);
	ck_assert_str_eq(env.from, to);
	ck_assert_str_eq(env.id, id);
	ck_assert_str_eq(env.reply_to, id);
}
END_TEST

START_TEST(test_timestamp_optional)
{
	/* No timestamp: 0.  No payload: nil, never NULL. */
	ck_assert_int_eq(decode_without("nothing"), 0);
	ck_assert_int_eq(env.timestamp, 0);
	ck_assert_ptr_nonnull(env.payload);
	ck_assert_int_eq(env.payload->type, MSGPACK_OBJECT_NIL);
	ck_assert_int_eq(decode_json("{\"to\": \"worker:w1\", \"from\": "
	    "\"client:ui\", \"type\": \"Ping\", \"id\": \"m\"}"), 0);
	ck_assert_ptr_nonnull(env.payload);
	ck_assert_int_eq(env.payload->type, MSGPACK_OBJECT_NIL);
}
END_TEST

START_TEST(test_timestamp_float)
{
	/* JSON clients may send a float; it is truncated to an integer. */
	ck_assert_int_eq(decode_with("timestamp", "1700000000123.0"), 0);
	ck_assert_int_eq(env.timestamp, 1700000000123LL);
	ck_assert_int_eq(decode_with("timestamp", "12.9"), 0);
	ck_assert_int_eq(env.timestamp, 12);
}
END_TEST

START_TEST(test_timestamp_bad)
{
	static const char *const bad[] = {
		"\"1700000000000\"", "-1", "-0.5", "null", "true", "[]",
		"{}", "1e19",
	};
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(decode_with("timestamp", bad[i]) == -1,
		    "timestamp %s accepted", bad[i]);
		ck_rejected(-1, ERR_BAD_ENVELOPE, "Invalid 'timestamp' field: "
		    "expected milliseconds since the epoch");
	}
	/* Over INT64_MAX as an unsigned integer. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 5);
	pack_str(&pk, "to");
	pack_str(&pk, "worker:w1");
	pack_str(&pk, "from");
	pack_str(&pk, "client:ui");
	pack_str(&pk, "type");
	pack_str(&pk, "Ping");
	pack_str(&pk, "id");
	pack_str(&pk, "m");
	pack_str(&pk, "timestamp");
	msgpack_pack_uint64(&pk, (uint64_t)INT64_MAX + 1);
	ck_rejected(decode(), ERR_BAD_ENVELOPE, "Invalid 'timestamp' field: "
	    "expected milliseconds since the epoch");
}
END_TEST

START_TEST(test_unknown_fields)
{
	ck_assert_int_eq(decode_json("{\"x-trace\": [1, 2, {\"a\": null}], "
	    "\"to\": \"eventlog:main\", \"priority\": 5, \"from\": "
	    "\"client:ui\", \"type\": \"GetEvents\", \"id\": \"e1\", "
	    "\"timestamp\": 3, \"payload\": {\"limit\": 2}, \"to2\": 1}"), 0);
	ck_assert_int_eq(env.type, MSG_GET_EVENTS);
	ck_assert_str_eq(env.to, "eventlog:main");
	ck_assert_str_eq(env.from, "client:ui");
	ck_assert_str_eq(env.id, "e1");
	ck_assert_int_eq(env.timestamp, 3);
	ck_assert_int_eq(env.payload->type, MSGPACK_OBJECT_MAP);
	/* A non-string key is ignored too. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 5);
	msgpack_pack_int(&pk, 1);
	pack_str(&pk, "worker:w1");
	pack_str(&pk, "to");
	pack_str(&pk, "worker:w1");
	pack_str(&pk, "from");
	pack_str(&pk, "client:ui");
	pack_str(&pk, "type");
	pack_str(&pk, "Ping");
	pack_str(&pk, "id");
	pack_str(&pk, "m");
	ck_assert_int_eq(decode(), 0);
}
END_TEST

START_TEST(test_not_a_map)
{
	static const char *const bad[] = {
		"[]", "[\"to\", \"worker:w1\"]", "\"Ping\"", "5", "null",
		"true", "1.5",
	};
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_rejected(decode_json("%s", bad[i]), ERR_BAD_JSON,
		    "Invalid message format");
}
END_TEST

START_TEST(test_missing_fields)
{
	static const char *const fields[] = { "to", "from", "id" };
	size_t			 i;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(decode_without(fields[i]), -1);
		ck_assert_str_eq(err_code_name(code), "bad_envelope");
		ck_assert_msg(strstr(why, fields[i]) != NULL &&
		    strncmp(why, "Missing or invalid '", 20) == 0 &&
		    strncmp(why + 20, fields[i], strlen(fields[i])) == 0,
		    "missing %s: %s", fields[i], why);
	}
	ck_rejected(decode_without("type"), ERR_BAD_ENVELOPE,
	    "Missing or invalid 'type' field");
	ck_rejected(decode_json("{}"), ERR_BAD_ENVELOPE,
	    "Missing or invalid 'type' field");
}
END_TEST

START_TEST(test_exact_text)
{
	ck_rejected(decode_without("to"), ERR_BAD_ENVELOPE,
	    "Missing or invalid 'to' field: expected a string of 1-160 bytes");
	ck_rejected(decode_without("id"), ERR_BAD_ENVELOPE,
	    "Missing or invalid 'id' field: expected a string of 1-128 bytes");
}
END_TEST

START_TEST(test_empty_fields)
{
	ck_bad_field(decode_with("to", "\"\""), "to");
	ck_bad_field(decode_with("from", "\"\""), "from");
	ck_bad_field(decode_with("id", "\"\""), "id");
	ck_bad_field(decode_with("type", "\"\""), "type");
	/* replyTo is optional, but when present it must be a real id. */
	ck_bad_field(decode_with("replyTo", "\"\""), "replyTo");
}
END_TEST

START_TEST(test_wrong_types)
{
	static const char *const vals[] = {
		"1", "-1", "1.5", "null", "true", "[\"worker:w1\"]",
		"{\"to\": \"worker:w1\"}",
	};
	size_t			 i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		ck_bad_field(decode_with("to", vals[i]), "to");
		ck_bad_field(decode_with("from", vals[i]), "from");
		ck_bad_field(decode_with("id", vals[i]), "id");
		ck_bad_field(decode_with("type", vals[i]), "type");
		ck_bad_field(decode_with("replyTo", vals[i]), "replyTo");
	}
}
END_TEST

START_TEST(test_binary_string)
{
	/* A bin where a string belongs is the wrong type. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 4);
	pack_str(&pk, "to");
	pack_str(&pk, "worker:w1");
	pack_str(&pk, "from");
	msgpack_pack_bin(&pk, 9);
	msgpack_pack_bin_body(&pk, "client:ui", 9);
	pack_str(&pk, "type");
	pack_str(&pk, "Ping");
	pack_str(&pk, "id");
	pack_str(&pk, "m");
	ck_bad_field(decode(), "from");
}
END_TEST

START_TEST(test_too_long)
{
	char	 v[1024];

	snprintf(v, sizeof(v), "\"%s\"", rep('i', ID_MAX + 1));
	ck_bad_field(decode_with("id", v), "id");
	ck_bad_field(decode_with("replyTo", v), "replyTo");
	snprintf(v, sizeof(v), "\"client:%s\"", rep('c', ADDR_MAX - 6));
	ck_bad_field(decode_with("from", v), "from");
}
END_TEST

START_TEST(test_invalid_utf8)
{
	static const char *const bad[] = {
		"a\xff", "\xc0\xaf", "a\xed\xa0\x80", "\xe2\x82", "x\x80",
	};
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_bad_field(decode_raw("from", bad[i], strlen(bad[i])),
		    "from");
		ck_bad_field(decode_raw("id", bad[i], strlen(bad[i])), "id");
		ck_bad_field(decode_raw("replyTo", bad[i], strlen(bad[i])),
		    "replyTo");
	}
	/* In 'to' the name is not an address. */
	ck_rejected(decode_raw("to", "worker:\xff", 8), ERR_BAD_ADDRESS,
	    "Invalid 'to' field: worker:\\xff");
	/* Valid multi-byte UTF-8 is fine. */
	ck_assert_int_eq(decode_raw("id", "\xe2\x82\xac-\xf0\x9f\x98\x80", 8),
	    0);
	ck_assert_str_eq(env.id, "\xe2\x82\xac-\xf0\x9f\x98\x80");
	ck_assert_int_eq(decode_raw("to", "worker:\xc3\xa9", 9), 0);
}
END_TEST

START_TEST(test_embedded_nul)
{
	/* A NUL inside a field would cut it short: never accepted. */
	ck_rejected(decode_raw("to", "worker:w1\0x", 11), ERR_BAD_ADDRESS,
	    "Invalid 'to' field: worker:w1\\x00x");
	ck_bad_field(decode_raw("from", "client:ui\0x", 11), "from");
	ck_bad_field(decode_raw("id", "x\0a", 3), "id");
	ck_bad_field(decode_raw("replyTo", "x\0a", 3), "replyTo");
}
END_TEST

START_TEST(test_bad_address)
{
	static const char *const bad[] = {
		"worker",		/* no colon */
		":w1",			/* empty kind */
		"Worker:w1",		/* upper-case kind */
		"WORKER:w1",
		"work3r:w1",		/* a digit in the kind */
		"wor-ker:w1",
		"worker:",		/* empty name */
		"worker:w 1",		/* a space in the name */
		"worker: w1",
		"abcdefghijklmnopq:x",	/* a kind of 17 bytes */
	};
	char			 want[256];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "Invalid 'to' field: %s", bad[i]);
		ck_assert_msg(decode_raw("to", bad[i], strlen(bad[i])) == -1,
		    "'%s' accepted", bad[i]);
		ck_rejected(-1, ERR_BAD_ADDRESS, want);
	}
	/* Control bytes are escaped in the text. */
	ck_rejected(decode_raw("to", "worker:w\x01", 9), ERR_BAD_ADDRESS,
	    "Invalid 'to' field: worker:w\\x01");
	ck_rejected(decode_raw("to", "worker:\x7f", 8), ERR_BAD_ADDRESS,
	    "Invalid 'to' field: worker:\\x7f");
}
END_TEST

START_TEST(test_address_too_long)
{
	char	 to[ADDR_MAX + 2], want[512];

	/* One byte over ADDR_MAX: a bad address, not a missing field. */
	snprintf(to, sizeof(to), "worker:%s", rep('n', ADDR_MAX - 6));
	ck_assert_uint_eq(strlen(to), ADDR_MAX + 1);
	snprintf(want, sizeof(want), "Invalid 'to' field: %s", to);
	ck_rejected(decode_raw("to", to, strlen(to)), ERR_BAD_ADDRESS, want);
	/* Far over: still bad_address, the text cut to a bounded size. */
	ck_assert_int_eq(decode_raw("to", rep('a', 1000), 1000), -1);
	ck_assert_str_eq(err_code_name(code), "bad_address");
	ck_assert_msg(strncmp(why, "Invalid 'to' field: aaaa", 24) == 0,
	    "%s", why);
	ck_assert_uint_lt(strlen(why), 400);
}
END_TEST

START_TEST(test_address_kinds)
{
	/* An unknown kind is a valid address: unknown_actor comes later. */
	ck_assert_int_eq(decode_raw("to", "nosuch:x", 8), 0);
	ck_assert_str_eq(env.to, "nosuch:x");
	/* The name may hold a colon and any printable UTF-8. */
	ck_assert_int_eq(decode_raw("to", "session:a:b", 11), 0);
	ck_assert_int_eq(decode_raw("to", "abcdefghijklmnop:x", 18), 0);
}
END_TEST

START_TEST(test_unknown_type)
{
	static const char *const bad[] = {
		"Pingx", "ping", "PING", "Pin", "P", "AssignTasks",
		"assignTask", " Ping", "Ping ",
	};
	char			 want[256];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "Unknown message type: %s",
		    bad[i]);
		ck_rejected(decode_raw("type", bad[i], strlen(bad[i])),
		    ERR_UNKNOWN_TYPE, want);
	}
	/* Untrusted bytes are escaped in the text. */
	ck_rejected(decode_raw("type", "Pi\"ng\n", 6), ERR_UNKNOWN_TYPE,
	    "Unknown message type: Pi\\\"ng\\x0a");
	ck_rejected(decode_raw("type", "\xff", 1), ERR_UNKNOWN_TYPE,
	    "Unknown message type: \\xff");
}
END_TEST

START_TEST(test_precedence)
{
	/* The envelope's shape is checked before the address ... */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "to");
	pack_str(&pk, "nocolon");
	pack_str(&pk, "from");
	pack_str(&pk, "client:ui");
	pack_str(&pk, "type");
	pack_str(&pk, "Nope");
	ck_bad_field(decode(), "id");
	/* ... and the address before the type. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 4);
	pack_str(&pk, "to");
	pack_str(&pk, "nocolon");
	pack_str(&pk, "from");
	pack_str(&pk, "client:ui");
	pack_str(&pk, "type");
	pack_str(&pk, "Nope");
	pack_str(&pk, "id");
	pack_str(&pk, "m");
	ck_rejected(decode(), ERR_BAD_ADDRESS, "Invalid 'to' field: nocolon");
}
END_TEST

START_TEST(test_small_why)
{
	char	 small[16];

	/* A short buffer gets a cut, terminated text. */
	decode_raw("type", "Nope", 4);
	memset(small, 'Z', sizeof(small));
	ck_assert_int_eq(env_decode(&up.data, &env, &code, small,
	    sizeof(small)), -1);
	ck_assert_int_eq(code, ERR_UNKNOWN_TYPE);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_mem_eq(small, "Unknown message", 15);
}
END_TEST

START_TEST(test_new_id_unique)
{
	struct strmap	*seen = strmap_new();
	char		 id[ID_MAX + 1];
	size_t		 i, len;

	for (i = 0; i < 100000; i++) {
		env_new_id(id, sizeof(id));
		len = strlen(id);
		ck_assert_msg(len > 0 && len <= 32, "id '%s'", id);
		ck_assert_uint_eq(strspn(id, "0123456789"
		    "abcdefghijklmnopqrstuvwxyz-"), len);
		ck_assert_msg(strmap_put(seen, id, seen) == NULL,
		    "id %s repeated after %zu ids", id, i);
	}
	ck_assert_uint_eq(strmap_count(seen), 100000);
	strmap_free(seen);
}
END_TEST

START_TEST(test_new_id_small_buffer)
{
	char	 full[ID_MAX + 1], buf[8];

	env_new_id(full, sizeof(full));
	memset(buf, 'Z', sizeof(buf));
	env_new_id(buf, sizeof(buf));
	/* Cut and terminated, within the buffer. */
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
	/* The per-process part is the same for both. */
	ck_assert_mem_eq(buf, full, 7);
}
END_TEST

/* This binary: argv[0] (under Valgrind /proc/self/exe is Valgrind). */
static const char	*self_path = "/proc/self/exe";

/* The first id of a fresh process (this binary run with --new-id). */
static void
id_of_new_process(char *buf, size_t size)
{
	int	 fds[2], status;
	pid_t	 pid;
	ssize_t	 n;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execl(self_path, "check_envelope", "--new-id", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], buf, size - 1);
	close(fds[0]);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(test_new_id_across_restarts)
{
	char	 a[ID_MAX + 1], b[ID_MAX + 1], mine[ID_MAX + 1];

	/* Two processes' first ids differ: no state on disk needed. */
	id_of_new_process(a, sizeof(a));
	id_of_new_process(b, sizeof(b));
	env_new_id(mine, sizeof(mine));
	ck_assert_str_ne(a, b);
	ck_assert_str_ne(a, mine);
	ck_assert_str_ne(b, mine);
}
END_TEST

START_TEST(test_now_ms)
{
	int64_t	 before = (int64_t)time(NULL) * 1000, t = env_now_ms();

	ck_assert_int_ge(t, before - 1000);
	ck_assert_int_le(t, before + 2000);
	ck_assert_int_ge(env_now_ms(), t);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("envelope");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip_types);
	tcase_add_test(tc, test_roundtrip_reply);
	tcase_add_test(tc, test_roundtrip_every_type);
	tcase_add_test(tc, test_roundtrip_timestamps);
	tcase_add_test(tc, test_timestamp_optional);
	tcase_add_test(tc, test_timestamp_float);
	tcase_add_test(tc, test_unknown_fields);
	tcase_add_test(tc, test_address_kinds);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip_limits);
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_address_too_long);
	tcase_add_test(tc, test_small_why);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_not_a_map);
	tcase_add_test(tc, test_missing_fields);
	tcase_add_test(tc, test_exact_text);
	tcase_add_test(tc, test_empty_fields);
	tcase_add_test(tc, test_wrong_types);
	tcase_add_test(tc, test_binary_string);
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_bad_address);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_timestamp_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("ids");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_new_id_unique);
	tcase_add_test(tc, test_new_id_small_buffer);
	tcase_add_test(tc, test_new_id_across_restarts);
	tcase_add_test(tc, test_now_ms);
	suite_add_tcase(s, tc);
	return s;
}

/* Run as the fresh process of test_new_id_across_restarts: print an id. */
int
suite_helper(int argc, char *argv[])
{
	char	 id[ID_MAX + 1];

	if (strchr(argv[0], '/') != NULL)
		self_path = argv[0];
	if (argc != 2 || strcmp(argv[1], "--new-id") != 0)
		return -1;
	env_new_id(id, sizeof(id));
	printf("%s", id);
	return 0;
}
