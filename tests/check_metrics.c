/*
 * Unit tests for common/metrics.c: the Prometheus text exposition format
 * (0.0.4) every process writes its numbers in, label escaping, the
 * histogram's fixed buckets, and the merge of several processes' sets.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "check_main.h"
#include "metrics.h"

#define TIMEOUT		30	/* seconds per test */

static struct metrics	*m;
static char		*text;

static void
setup(void)
{
	m = metrics_new();
	text = NULL;
}

static void
teardown(void)
{
	metrics_free(m);
	free(text);
	m = NULL;
	text = NULL;
}

/* m's exposition text, kept for teardown. */
static const char *
expose(struct metrics *set)
{
	size_t	 len;

	free(text);
	text = metrics_text(set, &len);
	ck_assert_uint_eq(strlen(text), len);
	return text;
}

START_TEST(test_counter_gauge)
{
	char	 l[METRICS_LABELS_MAX];

	ck_assert_int_eq(metrics_labels(l, sizeof(l), "queue", "default",
	    NULL), 0);
	ck_assert_int_eq(metrics_counter(m, "x_total", "Things.", l, 3), 0);
	ck_assert_int_eq(metrics_gauge(m, "y", "Now.", "", 1.5), 0);
	ck_assert_int_eq(metrics_counter(m, "x_total", "ignored", "", 4), 0);
	ck_assert_str_eq(expose(m),
	    "# HELP x_total Things.\n"
	    "# TYPE x_total counter\n"
	    "x_total{queue=\"default\"} 3\n"
	    "x_total 4\n"
	    "# HELP y Now.\n"
	    "# TYPE y gauge\n"
	    "y 1.5\n");
}
END_TEST

START_TEST(test_values)
{
	char	 v[40];

	metrics_format_value(v, sizeof(v), 0);
	ck_assert_str_eq(v, "0");
	metrics_format_value(v, sizeof(v), -1);
	ck_assert_str_eq(v, "-1");
	metrics_format_value(v, sizeof(v), 18446744073709551615.0);
	ck_assert_str_eq(v, "1.8446744073709552e+19");
	metrics_format_value(v, sizeof(v), 0.25);
	ck_assert_str_eq(v, "0.25");
	metrics_format_value(v, sizeof(v), INFINITY);
	ck_assert_str_eq(v, "+Inf");
	metrics_format_value(v, sizeof(v), -INFINITY);
	ck_assert_str_eq(v, "-Inf");
	metrics_format_value(v, sizeof(v), NAN);
	ck_assert_str_eq(v, "NaN");
}
END_TEST

/* Label values: backslash, double quote and newline escaped, UTF-8 kept. */
START_TEST(test_label_escaping)
{
	char	 l[METRICS_LABELS_MAX];

	ck_assert_int_eq(metrics_labels(l, sizeof(l), "a", "x\\y\"z\nw",
	    "b", "é", NULL), 0);
	ck_assert_str_eq(l, "{a=\"x\\\\y\\\"z\\nw\",b=\"é\"}");
	ck_assert_int_eq(metrics_labels(l, sizeof(l), NULL), 0);
	ck_assert_str_eq(l, "");
	ck_assert_int_eq(metrics_labels(l, sizeof(l), "a", NULL, NULL), 0);
	ck_assert_str_eq(l, "{a=\"\"}");
}
END_TEST

/* HELP escapes backslash and newline. */
START_TEST(test_help_escaping)
{
	metrics_gauge(m, "g", "one\\two\nthree", "", 0);
	ck_assert_str_eq(expose(m),
	    "# HELP g one\\\\two\\nthree\n# TYPE g gauge\ng 0\n");
}
END_TEST

START_TEST(test_histogram)
{
	struct histogram	 h;
	char			 l[METRICS_LABELS_MAX];
	const char		*t;

	memset(&h, 0, sizeof(h));
	histogram_observe(&h, 0.001);	/* on the first bound: in it */
	histogram_observe(&h, 0.003);
	histogram_observe(&h, 0.2);
	histogram_observe(&h, 1000);	/* past the last: +Inf only */
	histogram_observe(&h, NAN);	/* not counted */
	ck_assert_uint_eq(h.count, 4);
	metrics_labels(l, sizeof(l), "db", "c", NULL);
	ck_assert_int_eq(metrics_histogram(m, "d_seconds", "D.", l, &h), 0);
	t = expose(m);
	ck_assert_ptr_nonnull(strstr(t, "# TYPE d_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "d_seconds_bucket{db=\"c\",le=\"0.001\"} 1\n"
	    "d_seconds_bucket{db=\"c\",le=\"0.0025\"} 1\n"
	    "d_seconds_bucket{db=\"c\",le=\"0.005\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "d_seconds_bucket{db=\"c\",le=\"0.25\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "d_seconds_bucket{db=\"c\",le=\"300\"} 3\n"
	    "d_seconds_bucket{db=\"c\",le=\"+Inf\"} 4\n"
	    "d_seconds_sum{db=\"c\"} 1000.204\n"
	    "d_seconds_count{db=\"c\"} 4\n"));
	/* Without labels, le is the only one. */
	metrics_histogram(m, "e_seconds", "E.", "", &h);
	ck_assert_ptr_nonnull(strstr(expose(m),
	    "e_seconds_bucket{le=\"+Inf\"} 4\n"));
}
END_TEST

/* The buckets rise: every observation lands in exactly one. */
START_TEST(test_buckets_sorted)
{
	int	 i;

	for (i = 1; i < HIST_BUCKETS; i++)
		ck_assert(metrics_buckets[i] > metrics_buckets[i - 1]);
}
END_TEST

/* Two processes' sets merge into one HELP and TYPE per family. */
START_TEST(test_merge)
{
	struct metrics		*a = metrics_new(), *b = metrics_new();
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	struct metrics		*set[2] = { a, b };
	int			 i;

	metrics_counter(a, "msgs_total", "Messages.", "{process=\"a\"}", 1);
	metrics_gauge(a, "only_a", "A.", "", 7);
	metrics_counter(b, "msgs_total", "Messages.", "{process=\"b\"}", 2);
	for (i = 0; i < 2; i++) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		metrics_pack(set[i], &pk);
		msgpack_unpacked_init(&u);
		ck_assert(msgpack_unpack_next(&u, sb.data, sb.size, NULL) ==
		    MSGPACK_UNPACK_SUCCESS);
		ck_assert_int_eq(metrics_merge(m, &u.data), 0);
		msgpack_unpacked_destroy(&u);
		msgpack_sbuffer_destroy(&sb);
	}
	ck_assert_str_eq(expose(m),
	    "# HELP msgs_total Messages.\n"
	    "# TYPE msgs_total counter\n"
	    "msgs_total{process=\"a\"} 1\n"
	    "msgs_total{process=\"b\"} 2\n"
	    "# HELP only_a A.\n"
	    "# TYPE only_a gauge\n"
	    "only_a 7\n");
	metrics_free(a);
	metrics_free(b);
}
END_TEST

/* What is not a set of families is refused whole; m stays as it was. */
START_TEST(test_merge_refuses)
{
	static const char *const bad[] = {
		"{}",				/* not an array */
		"[[\"bad name\",0,\"h\",\"\"]]",	/* a name with a space */
		"[[\"n\",9,\"h\",\"\"]]",	/* no such type */
		"[[\"n\",0,\"h\",\"n 1\"]]",	/* lines without the \n */
		"[[\"n\",0,\"h\\nx\",\"\"]]",	/* a newline in the help */
		"[[\"ok\",0,\"h\",\"ok 1\\n\"],3]",	/* one bad of two */
	};
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	size_t			 i;

	/* Written as JSON-ish text above for reading; packed by hand here. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		switch (i) {
		case 0:
			msgpack_pack_map(&pk, 0);
			break;
		default:
			msgpack_pack_array(&pk, i == 5 ? 2 : 1);
			msgpack_pack_array(&pk, 4);
			msgpack_pack_str_with_body(&pk, i == 1 ? "bad name" :
			    i == 5 ? "ok" : "n", i == 1 ? 8 : i == 5 ? 2 : 1);
			msgpack_pack_uint8(&pk, i == 2 ? 9 : 0);
			msgpack_pack_str_with_body(&pk, i == 4 ? "h\nx" : "h",
			    i == 4 ? 3 : 1);
			msgpack_pack_str_with_body(&pk, i == 3 ? "n 1" :
			    i == 5 ? "ok 1\n" : "", i == 3 ? 3 : i == 5 ? 5 :
			    0);
			if (i == 5)
				msgpack_pack_int(&pk, 3);
			break;
		}
		msgpack_unpacked_init(&u);
		ck_assert(msgpack_unpack_next(&u, sb.data, sb.size, NULL) ==
		    MSGPACK_UNPACK_SUCCESS);
		ck_assert_msg(metrics_merge(m, &u.data) == -1, "%s", bad[i]);
		msgpack_unpacked_destroy(&u);
		msgpack_sbuffer_destroy(&sb);
	}
	ck_assert_str_eq(expose(m), "");
}
END_TEST

/* Bounds: a name that is not one, labels that do not fit, families. */
START_TEST(test_limits)
{
	char	 l[16], name[32];
	int	 i;

	ck_assert_int_eq(metrics_gauge(m, "9lives", "", "", 1), -1);
	ck_assert_int_eq(metrics_gauge(m, "a-b", "", "", 1), -1);
	ck_assert_int_eq(metrics_labels(l, sizeof(l), "k",
	    "a value too long for sixteen", NULL), -1);
	ck_assert_str_eq(l, "");
	for (i = 0; i < METRICS_FAMILIES_MAX; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ck_assert_int_eq(metrics_gauge(m, name, "", "", i), 0);
	}
	ck_assert_int_eq(metrics_gauge(m, "one_more", "", "", 1), -1);
	/* An existing family still takes samples. */
	ck_assert_int_eq(metrics_gauge(m, "f0", "", "{a=\"b\"}", 1), 0);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_counter_gauge);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_label_escaping);
	tcase_add_test(tc, test_help_escaping);
	tcase_add_test(tc, test_histogram);
	tcase_add_test(tc, test_buckets_sorted);
	tcase_add_test(tc, test_merge);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_merge_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}
