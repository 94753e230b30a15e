/*
 * Unit tests for common/strmap.c: the string-keyed map behind the routing
 * table and the actor registry.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "strmap.h"

#define TIMEOUT		30	/* seconds per test */
#define MANY		20000	/* keys for the growth tests */

static struct strmap	*m;

static void
setup(void)
{
	m = strmap_new();
}

static void
teardown(void)
{
	strmap_free(m);
	m = NULL;
}

/* A distinct non-NULL value per index. */
static void *
val(size_t i)
{
	return (void *)(uintptr_t)(i + 1);
}

static void
key(char *buf, size_t size, size_t i)
{
	snprintf(buf, size, "worker:w%zu", i);
}

START_TEST(test_empty)
{
	ck_assert_uint_eq(strmap_count(m), 0);
	ck_assert_ptr_null(strmap_get(m, "a"));
	ck_assert_ptr_null(strmap_get(m, ""));
	ck_assert_ptr_null(strmap_del(m, "a"));
	ck_assert_uint_eq(strmap_count(m), 0);
}
END_TEST

START_TEST(test_put_get)
{
	ck_assert_ptr_null(strmap_put(m, "coordinator:main", val(1)));
	ck_assert_ptr_null(strmap_put(m, "worker:w1", val(2)));
	ck_assert_uint_eq(strmap_count(m), 2);
	ck_assert_ptr_eq(strmap_get(m, "coordinator:main"), val(1));
	ck_assert_ptr_eq(strmap_get(m, "worker:w1"), val(2));
	/* Near misses are other keys. */
	ck_assert_ptr_null(strmap_get(m, "worker:w"));
	ck_assert_ptr_null(strmap_get(m, "worker:w10"));
	ck_assert_ptr_null(strmap_get(m, "Worker:w1"));
	ck_assert_ptr_null(strmap_get(m, ""));
}
END_TEST

START_TEST(test_replace)
{
	ck_assert_ptr_null(strmap_put(m, "k", val(1)));
	/* Replacing returns the old value and does not add an entry. */
	ck_assert_ptr_eq(strmap_put(m, "k", val(2)), val(1));
	ck_assert_uint_eq(strmap_count(m), 1);
	ck_assert_ptr_eq(strmap_get(m, "k"), val(2));
}
END_TEST

START_TEST(test_del)
{
	strmap_put(m, "a", val(1));
	strmap_put(m, "b", val(2));
	ck_assert_ptr_eq(strmap_del(m, "a"), val(1));
	ck_assert_uint_eq(strmap_count(m), 1);
	ck_assert_ptr_null(strmap_get(m, "a"));
	ck_assert_ptr_eq(strmap_get(m, "b"), val(2));
	/* A second delete finds nothing and changes nothing. */
	ck_assert_ptr_null(strmap_del(m, "a"));
	ck_assert_uint_eq(strmap_count(m), 1);
	/* The key can come back. */
	ck_assert_ptr_null(strmap_put(m, "a", val(3)));
	ck_assert_ptr_eq(strmap_get(m, "a"), val(3));
	ck_assert_uint_eq(strmap_count(m), 2);
}
END_TEST

START_TEST(test_key_copied)
{
	char	 buf[16];

	snprintf(buf, sizeof(buf), "session:s1");
	strmap_put(m, buf, val(1));
	/* The map holds its own copy: changing ours does not move the key. */
	buf[9] = '2';
	ck_assert_ptr_null(strmap_get(m, buf));
	ck_assert_ptr_eq(strmap_get(m, "session:s1"), val(1));
	memset(buf, 0, sizeof(buf));
	ck_assert_ptr_eq(strmap_get(m, "session:s1"), val(1));
}
END_TEST

START_TEST(test_empty_key)
{
	ck_assert_ptr_null(strmap_put(m, "", val(7)));
	ck_assert_ptr_eq(strmap_get(m, ""), val(7));
	ck_assert_uint_eq(strmap_count(m), 1);
	ck_assert_ptr_eq(strmap_del(m, ""), val(7));
	ck_assert_uint_eq(strmap_count(m), 0);
}
END_TEST

struct seen {
	unsigned char	*hits;		/* per index: times fn saw it */
	size_t		 calls;
	int		 bad;		/* a key did not match its value */
};

static void
each_cb(const char *k, void *v, void *arg)
{
	struct seen	*s = arg;
	size_t		 i = (size_t)(uintptr_t)v - 1;
	char		 want[32];

	s->calls++;
	key(want, sizeof(want), i);
	if (i >= MANY || strcmp(k, want) != 0) {
		s->bad++;
		return;
	}
	s->hits[i]++;
}

START_TEST(test_each_empty)
{
	struct seen	 s = { NULL, 0, 0 };

	strmap_each(m, each_cb, &s);
	ck_assert_uint_eq(s.calls, 0);
}
END_TEST

START_TEST(test_each)
{
	struct seen	 s = { calloc(MANY, 1), 0, 0 };
	char		 k[32];
	size_t		 i;

	for (i = 0; i < 100; i++) {
		key(k, sizeof(k), i);
		strmap_put(m, k, val(i));
	}
	strmap_each(m, each_cb, &s);
	ck_assert_int_eq(s.bad, 0);
	ck_assert_uint_eq(s.calls, 100);
	for (i = 0; i < 100; i++)
		ck_assert_msg(s.hits[i] == 1, "key %zu seen %d times", i,
		    s.hits[i]);
	free(s.hits);
}
END_TEST

/* Thousands of keys: the table grows and every key stays reachable. */
START_TEST(test_growth)
{
	char	 k[32];
	size_t	 i;

	for (i = 0; i < MANY; i++) {
		key(k, sizeof(k), i);
		ck_assert_ptr_null(strmap_put(m, k, val(i)));
		ck_assert_uint_eq(strmap_count(m), i + 1);
	}
	for (i = 0; i < MANY; i++) {
		key(k, sizeof(k), i);
		ck_assert_msg(strmap_get(m, k) == val(i), "lost %s", k);
	}
	ck_assert_ptr_null(strmap_get(m, "worker:w20000"));
}
END_TEST

/* Deleting every other key of a grown table leaves the rest intact. */
START_TEST(test_growth_del)
{
	struct seen	 s = { calloc(MANY, 1), 0, 0 };
	char		 k[32];
	size_t		 i;

	for (i = 0; i < MANY; i++) {
		key(k, sizeof(k), i);
		strmap_put(m, k, val(i));
	}
	for (i = 0; i < MANY; i += 2) {
		key(k, sizeof(k), i);
		ck_assert_ptr_eq(strmap_del(m, k), val(i));
	}
	ck_assert_uint_eq(strmap_count(m), MANY / 2);
	for (i = 0; i < MANY; i++) {
		key(k, sizeof(k), i);
		if (i % 2 == 0)
			ck_assert_msg(strmap_get(m, k) == NULL, "%s kept", k);
		else
			ck_assert_msg(strmap_get(m, k) == val(i), "lost %s",
			    k);
	}
	strmap_each(m, each_cb, &s);
	ck_assert_int_eq(s.bad, 0);
	ck_assert_uint_eq(s.calls, MANY / 2);
	for (i = 0; i < MANY; i++)
		ck_assert_int_eq(s.hits[i], i % 2);
	/* Replacing in a grown table. */
	key(k, sizeof(k), 1);
	ck_assert_ptr_eq(strmap_put(m, k, val(5)), val(1));
	ck_assert_ptr_eq(strmap_get(m, k), val(5));
	ck_assert_uint_eq(strmap_count(m), MANY / 2);
	free(s.hits);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("strmap");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_replace);
	tcase_add_test(tc, test_del);
	tcase_add_test(tc, test_key_copied);
	tcase_add_test(tc, test_empty_key);
	tcase_add_test(tc, test_each_empty);
	tcase_add_test(tc, test_each);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_growth_del);
	suite_add_tcase(s, tc);
	return s;
}
