/*
 * Unit tests for common/mpjson.c: JSON -> msgpack -> JSON round
 * trips of every JSON type, nesting, Unicode, numbers beyond int64 and
 * beyond double precision, invalid input, the depth bound, and msgpack
 * values JSON cannot spell (uint64, NaN, binary, non-UTF-8, odd keys).
 */
#include <math.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../session/session.h"
#include "check_main.h"

#define TIMEOUT		30	/* seconds per test */

static msgpack_sbuffer	 sb;
static msgpack_packer	 pk;
static msgpack_zone	 zone;

static void
setup(void)
{
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_zone_init(&zone, 1024);
}

static void
teardown(void)
{
	msgpack_zone_destroy(&zone);
	msgpack_sbuffer_destroy(&sb);
}

/* Unpack what was packed into one object. */
static msgpack_object
unpack(void)
{
	msgpack_object	 o;
	size_t		 off = 0;

	ck_assert_int_eq(msgpack_unpack(sb.data, sb.size, &off, &zone, &o),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, sb.size);
	return o;
}

/* in -> json_t -> msgpack -> json_t -> compact text. */
static char *
round_trip(const char *in)
{
	json_t		*j, *back;
	msgpack_object	 o;
	char		*out;

	j = mpjson_parse(in, strlen(in));
	ck_assert_msg(j != NULL, "did not parse: %s", in);
	sb.size = 0;
	ck_assert_int_eq(mpjson_pack(&pk, j, 64), 0);
	o = unpack();
	back = mpjson_from_msgpack(&o);
	ck_assert_ptr_nonnull(back);
	out = json_dumps(back, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	json_decref(back);
	return out;
}

static void
same(const char *in, const char *want)
{
	char	*out = round_trip(in);

	ck_assert_msg(strcmp(out, want) == 0, "%s -> %s, want %s", in, out,
	    want);
	free(out);
}

START_TEST(test_types)
{
	same("{}", "{}");
	same("[]", "[]");
	same("{\"a\":null,\"b\":true,\"c\":false}",
	    "{\"a\":null,\"b\":true,\"c\":false}");
	same("{\"n\":0,\"m\":-1,\"x\":42}", "{\"n\":0,\"m\":-1,\"x\":42}");
	same("{\"f\":1.5,\"g\":-0.25}", "{\"f\":1.5,\"g\":-0.25}");
	same("{\"s\":\"\",\"t\":\"text\"}", "{\"s\":\"\",\"t\":\"text\"}");
	same("[1,\"two\",[3],{\"four\":4}]", "[1,\"two\",[3],{\"four\":4}]");
	/* Key order is the client's. */
	same("{\"z\":1,\"a\":2,\"m\":3}", "{\"z\":1,\"a\":2,\"m\":3}");
	/* Only objects and arrays at the top (scalars are bad_json anyway). */
	ck_assert_ptr_null(mpjson_parse("7", 1));
	ck_assert_ptr_null(mpjson_parse("\"s\"", 3));
}
END_TEST

START_TEST(test_msgpack_types)
{
	json_t		*j;
	msgpack_object	 o;

	const char	*in = "{\"i\":300,\"n\":-300,\"f\":0.5,\"s\":\"x\","
	    "\"b\":true,\"z\":null,\"a\":[1]}";

	j = mpjson_parse(in, strlen(in));
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(mpjson_pack(&pk, j, 8), 0);
	o = unpack();
	ck_assert_int_eq(o.type, MSGPACK_OBJECT_MAP);
	ck_assert_int_eq(o.via.map.ptr[0].val.type,
	    MSGPACK_OBJECT_POSITIVE_INTEGER);
	ck_assert_int_eq(o.via.map.ptr[1].val.type,
	    MSGPACK_OBJECT_NEGATIVE_INTEGER);
	ck_assert_int_eq(o.via.map.ptr[2].val.type, MSGPACK_OBJECT_FLOAT64);
	ck_assert_int_eq(o.via.map.ptr[3].val.type, MSGPACK_OBJECT_STR);
	ck_assert_int_eq(o.via.map.ptr[4].val.type, MSGPACK_OBJECT_BOOLEAN);
	ck_assert_int_eq(o.via.map.ptr[5].val.type, MSGPACK_OBJECT_NIL);
	ck_assert_int_eq(o.via.map.ptr[6].val.type, MSGPACK_OBJECT_ARRAY);
	json_decref(j);
}
END_TEST

START_TEST(test_unicode)
{
	same("[\"κόσμε\"]", "[\"κόσμε\"]");
	/* Escapes become UTF-8; a surrogate pair one character. */
	same("[\"\\u00e9\\u4e2d\\ud83d\\ude00\"]", "[\"é中😀\"]");
	same("{\"ключ\":\"значение\"}", "{\"ключ\":\"значение\"}");
	/* NUL inside a string survives, escaped on the way out. */
	same("[\"a\\u0000b\"]", "[\"a\\u0000b\"]");
	same("[\"tab\\t\\\"q\\\" \\\\ \\/\"]", "[\"tab\\t\\\"q\\\" \\\\ /\"]");
	/* Lone surrogates and invalid UTF-8 are not JSON. */
	ck_assert_ptr_null(mpjson_parse("[\"\\ud800\"]", 10));
	ck_assert_ptr_null(mpjson_parse("[\"\xff\"]", 5));
	ck_assert_ptr_null(mpjson_parse("[\"\xed\xa0\x80\"]", 7));
}
END_TEST

START_TEST(test_big_numbers)
{
	/* int64 limits stay exact integers. */
	same("[9223372036854775807,-9223372036854775808]",
	    "[9223372036854775807,-9223372036854775808]");
	/* 2^53 + 1 is exact as an integer. */
	same("[9007199254740993]", "[9007199254740993]");
	/* Beyond int64: read as doubles, the others stay integers. */
	same("[18446744073709551616,5,100]",
	    "[1.8446744073709552e19,5,100]");
	same("{\"big\":123456789012345678901234567890,\"ms\":100}",
	    "{\"big\":1.2345678901234568e29,\"ms\":100}");
	same("[-99999999999999999999]", "[-1e20]");
	/* More digits than a double holds: the nearest double. */
	same("[3.14159265358979323846264338327950288]",
	    "[3.1415926535897931]");
	same("[1e300,-1e-300]", "[1.0000000000000001e300,-1e-300]");
	same("[5.0]", "[5.0]");
	/* Out of double range: not a number we can hold. */
	ck_assert_ptr_null(mpjson_parse("[1e400]", 7));
	ck_assert_ptr_null(mpjson_parse("[NaN]", 5));
	ck_assert_ptr_null(mpjson_parse("[Infinity]", 10));
}
END_TEST

START_TEST(test_invalid)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":}", "{'a':1}", "{a:1}",
		"[1 2]", "nul", "tru", "[01]", "[1.]", "[.5]", "[-]", "[+1]",
		"{\"a\":1}x", "[\"\\x\"]", "[\"\n\"]", "/*c*/{}", "[0x10]",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mpjson_parse(bad[i], strlen(bad[i])) == NULL,
		    "%s parsed", bad[i]);
	/* Bytes after a NUL are not ignored. */
	ck_assert_ptr_null(mpjson_parse("{}\0{}", 5));
}
END_TEST

START_TEST(test_depth)
{
	char	 buf[8192];
	json_t	*j;
	int	 i, n;

	/* 20 levels fit a bound of 20; 21 do not. */
	for (n = 20; n <= 21; n++) {
		for (i = 0; i < n; i++)
			buf[i] = '[';
		for (i = 0; i < n; i++)
			buf[n + i] = ']';
		j = mpjson_parse(buf, (size_t)(2 * n));
		ck_assert_ptr_nonnull(j);
		sb.size = 0;
		ck_assert_int_eq(mpjson_pack(&pk, j, SJSON_MAX_DEPTH),
		    n <= SJSON_MAX_DEPTH ? 0 : -1);
		json_decref(j);
	}
	/* Objects count like arrays; scalars do not count. */
	j = mpjson_parse("{\"a\":{\"b\":1}}", 13);
	sb.size = 0;
	ck_assert_int_eq(mpjson_pack(&pk, j, 2), 0);
	sb.size = 0;
	ck_assert_int_eq(mpjson_pack(&pk, j, 1), -1);
	json_decref(j);
	/* Deeper than the parser allows: refused, not a crash. */
	for (i = 0; i < 4000; i++) {
		buf[i] = '[';
		buf[4000 + i] = ']';
	}
	ck_assert_ptr_null(mpjson_parse(buf, 8000));
}
END_TEST

START_TEST(test_from_msgpack_edges)
{
	msgpack_object	 o;
	json_t		*j;
	char		*s;

	msgpack_pack_map(&pk, 9);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "u", 1);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "n", 1);
	msgpack_pack_double(&pk, NAN);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "i", 1);
	msgpack_pack_double(&pk, INFINITY);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "b", 1);
	msgpack_pack_bin(&pk, 4);
	msgpack_pack_bin_body(&pk, "\x00\x01\xfe\xff", 4);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "x", 1);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "a\xffz\xc3", 4);
	msgpack_pack_int(&pk, 7);		/* integer key */
	msgpack_pack_str(&pk, 5);
	msgpack_pack_str_body(&pk, "seven", 5);
	msgpack_pack_array(&pk, 0);		/* array key: left out */
	msgpack_pack_nil(&pk);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "e", 1);
	msgpack_pack_ext(&pk, 1, 5);
	msgpack_pack_ext_body(&pk, "\x01", 1);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "f", 1);
	msgpack_pack_float(&pk, 0.5f);
	o = unpack();
	j = mpjson_from_msgpack(&o);
	ck_assert_ptr_nonnull(j);
	s = json_dumps(j, JSON_COMPACT);
	ck_assert_str_eq(s, "{\"u\":1.8446744073709552e19,\"n\":null,"
	    "\"i\":null,\"b\":\"AAH+/w==\",\"x\":\"a\xef\xbf\xbdz\xef\xbf\xbd\","
	    "\"7\":\"seven\",\"e\":null,\"f\":0.5}");
	free(s);
	json_decref(j);
}
END_TEST

START_TEST(test_base64)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "", "\"\"" }, { "f", "\"Zg==\"" }, { "fo", "\"Zm8=\"" },
		{ "foo", "\"Zm9v\"" }, { "foob", "\"Zm9vYg==\"" },
		{ "fooba", "\"Zm9vYmE=\"" }, { "foobar", "\"Zm9vYmFy\"" },
	};
	msgpack_object	 o;
	json_t		*j;
	char		*s;
	size_t		 i;

	/* RFC 4648 section 10. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sb.size = 0;
		msgpack_pack_bin(&pk, strlen(cases[i].in));
		msgpack_pack_bin_body(&pk, cases[i].in, strlen(cases[i].in));
		o = unpack();
		j = mpjson_from_msgpack(&o);
		s = json_dumps(j, JSON_ENCODE_ANY);
		ck_assert_str_eq(s, cases[i].out);
		free(s);
		json_decref(j);
	}
}
END_TEST

START_TEST(test_large)
{
	char	*buf, *out;
	size_t	 i, n = 1 << 20;

	/* A 1 MiB string and a 10,000-element array. */
	buf = malloc(n + 16);
	buf[0] = '[';
	buf[1] = '"';
	for (i = 0; i < n; i++)
		buf[2 + i] = (char)('a' + i % 26);
	memcpy(buf + 2 + n, "\"]", 3);
	out = round_trip(buf);
	ck_assert_str_eq(out, buf);
	free(out);
	strcpy(buf, "[");
	for (i = 0; i < 10000; i++)
		strcat(buf + i * 2, i ? ",1" : "1");
	strcat(buf, "]");
	out = round_trip(buf);
	ck_assert_str_eq(out, buf);
	free(out);
	free(buf);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("mpjson");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_msgpack_types);
	tcase_add_test(tc, test_unicode);
	tcase_add_test(tc, test_big_numbers);
	tcase_add_test(tc, test_from_msgpack_edges);
	tcase_add_test(tc, test_base64);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_invalid);
	suite_add_tcase(s, tc);
	return s;
}
