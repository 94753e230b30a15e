/*
 * Unit tests for session/session_ws.c: the streaming UTF-8 check against
 * utf8_valid() on random splits, and the outgoing queue over a socketpair
 * whose far end does not read: pushes with a key are coalesced, memory
 * stays bounded, and past send_queue bytes the connection closes 1008.
 */
#include <sys/socket.h>

#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "check_main.h"
#include "log.h"
#include "msg.h"
#include "../session/session.h"

#define TIMEOUT		60	/* seconds per test */

/* A random byte string that is often, not always, UTF-8. */
static size_t
random_text(unsigned char *buf, size_t max)
{
	static const unsigned char pieces[][4] = {
		{ 'a' }, { 0xc3, 0xa9 }, { 0xe2, 0x82, 0xac },
		{ 0xf0, 0x9f, 0x98, 0x80 }, { 0xed, 0x9f, 0xbf },
		{ 0xf4, 0x8f, 0xbf, 0xbf }, { 0xef, 0xbf, 0xbf },
	};
	static const size_t lens[] = { 1, 2, 3, 4, 3, 4, 3 };
	size_t	 n = 0, k;

	while (n + 4 < max && rand() % 16 != 0) {
		k = (size_t)rand() % 7;
		memcpy(buf + n, pieces[k], lens[k]);
		n += lens[k];
		if (rand() % 40 == 0)		/* damage one byte */
			buf[n - 1 - (size_t)rand() % lens[k]] =
			    (unsigned char)rand();
		if (rand() % 60 == 0 && n > 0)	/* cut a character */
			n--;
	}
	return n;
}

START_TEST(test_utf8_stream_random)
{
	struct utf8_state	 st;
	unsigned char		 buf[256];
	size_t			 n, i, cut;
	bool			 ok;
	int			 round, valid = 0;

	srand(42);
	for (round = 0; round < 200000; round++) {
		n = random_text(buf, sizeof(buf));
		utf8_stream_init(&st);
		ok = true;
		/* Feed it in random pieces, as fragments and reads cut it. */
		for (i = 0; i < n && ok; i += cut) {
			cut = 1 + (size_t)rand() % 9;
			if (cut > n - i)
				cut = n - i;
			ok = utf8_stream(&st, buf + i, cut);
		}
		ok = ok && utf8_stream_done(&st);
		ck_assert_msg(ok == utf8_valid(buf, n), "round %d", round);
		valid += ok;
	}
	/* Both outcomes were exercised. */
	ck_assert_int_gt(valid, 1000);
	ck_assert_int_lt(valid, 199000);
}
END_TEST

START_TEST(test_utf8_stream_fail_fast)
{
	struct utf8_state	 st;

	/* The first byte that cannot continue fails at once. */
	utf8_stream_init(&st);
	ck_assert(utf8_stream(&st, (const uint8_t *)"\xf4", 1));
	ck_assert(!utf8_stream(&st, (const uint8_t *)"\x90", 1));
	utf8_stream_init(&st);
	ck_assert(utf8_stream(&st, (const uint8_t *)"\xed", 1));
	ck_assert(!utf8_stream(&st, (const uint8_t *)"\xa0", 1));
	utf8_stream_init(&st);
	ck_assert(utf8_stream(&st, (const uint8_t *)"\xe0", 1));
	ck_assert(!utf8_stream(&st, (const uint8_t *)"\x80", 1));
	utf8_stream_init(&st);
	ck_assert(!utf8_stream(&st, (const uint8_t *)"\xc1", 1));
	utf8_stream_init(&st);
	ck_assert(!utf8_stream(&st, (const uint8_t *)"abcdefghij\xff", 11));
	utf8_stream_init(&st);
	ck_assert(utf8_stream(&st, (const uint8_t *)"abcdefghijklmnop\xf0\x90",
	    18));
	ck_assert(!utf8_stream_done(&st));
	ck_assert(utf8_stream(&st, (const uint8_t *)"\x80\x80", 2));
	ck_assert(utf8_stream_done(&st));
}
END_TEST

static struct event_base	*base;
static int			 cfd = -1;
static int			 closed_code = -1;

static void
on_message(int opcode, const uint8_t *data, size_t len)
{
	(void)opcode;
	(void)data;
	(void)len;
}

static void
on_closed(uint16_t code)
{
	closed_code = code;
}

static const struct ws_cb cb = {
	.message = on_message,
	.closed = on_closed,
};

static void
setup(void)
{
	struct ws_limits	 lim = { 1 << 20, 512 * 1024, 60000, 10000 };
	int			 sv[2], small = 32768;

	log_init("check", LOG_ERR);
	base = event_base_new();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Small kernel buffers so that the queue fills fast. */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	cfd = sv[1];
	fcntl(cfd, F_SETFL, O_NONBLOCK);
	ck_assert_int_eq(ws_start(base, sv[0], "HTTP/1.1 101 x\r\n\r\n", NULL,
	    0, &lim, &cb), 0);
}

static void
teardown(void)
{
	ws_free();
	close(cfd);
	cfd = -1;
	event_base_free(base);
	base = NULL;
}

static void
spin(int turns)
{
	while (turns-- > 0)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

START_TEST(test_coalesce)
{
	char	 msg[4096];
	int	 i;

	/* The client reads nothing: pushes with one key replace each other. */
	for (i = 0; i < 2000; i++) {
		memset(msg, 'a' + i % 26, sizeof(msg));
		ck_assert_int_eq(ws_send(WS_TEXT, msg, sizeof(msg),
		    "coordinator:main StatusUpdated client:ui"), 0);
		spin(1);
	}
	ck_assert(ws_is_open());
	ck_assert_uint_gt(ws_stats()->coalesced, 1500);
	/* What waits is bounded by the output mark and one push. */
	ck_assert_uint_lt(ws_unsent(), 64 * 1024 + 2 * sizeof(msg) + 4096);
}
END_TEST

START_TEST(test_send_queue_limit)
{
	char	 msg[4096], buf[65536];
	int	 i, r = 0;
	ssize_t	 n;
	size_t	 total = 0;

	memset(msg, 'x', sizeof(msg));
	/* Messages without a key are kept, until send_queue is passed. */
	for (i = 0; i < 1000 && r == 0; i++) {
		r = ws_send(WS_TEXT, msg, sizeof(msg), NULL);
		spin(1);
	}
	ck_assert_int_eq(r, -1);
	ck_assert(!ws_is_open());
	ck_assert_int_lt(i, 1000);
	/* The client reads again: what was framed, then close 1008. */
	for (i = 0; i < 40000 && closed_code == -1; i++) {
		spin(1);
		while ((n = read(cfd, buf, sizeof(buf))) > 0) {
			total += (size_t)n;
			if (n >= 4 && (unsigned char)buf[n - 4] == 0x88 &&
			    buf[n - 3] >= 2)
				ck_assert_int_eq(((unsigned char)buf[n - 2] << 8 |
				    (unsigned char)buf[n - 1]) & 0xffff,
				    1008);
		}
		usleep(200);
	}
	ck_assert_int_eq(closed_code, 1008);
	ck_assert_uint_gt(total, 64 * 1024);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("session_ws");
	TCase	*tc;

	tc = tcase_create("utf8");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_utf8_stream_random);
	tcase_add_test(tc, test_utf8_stream_fail_fast);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_coalesce);
	tcase_add_test(tc, test_send_queue_limit);
	suite_add_tcase(s, tc);
	return s;
}
