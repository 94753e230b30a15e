/*
 * Unit tests for common/frame.c: the length-prefixed frame, as a codec on a
 * buffer (frame_parse) and as blocking reads and writes on a real
 * socketpair (frame_read_fd, frame_write_fd).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <linux/sockios.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "frame.h"

#define TIMEOUT		10	/* seconds per test */

static int	 sv[2] = { -1, -1 };	/* [0] reads, [1] writes */

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void
teardown(void)
{
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	sv[0] = sv[1] = -1;
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bytes waiting to be read on fd. */
static int
unread(int fd)
{
	int	 n = -1;

	ck_assert_int_eq(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

static void
put_raw(int fd, const void *buf, size_t len)
{
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
}

/* A 4-byte header announcing n body bytes, written raw. */
static void
put_hdr(int fd, uint32_t n)
{
	unsigned char	 hdr[FRAME_HDR];

	frame_put_len(hdr, n);
	put_raw(fd, hdr, sizeof(hdr));
}

/* Build header + body into buf; returns the frame's length. */
static size_t
mkframe(unsigned char *buf, const char *body)
{
	size_t	 n = strlen(body);

	frame_put_len(buf, (uint32_t)n);
	memcpy(buf + FRAME_HDR, body, n);
	return FRAME_HDR + n;
}

/* Read one frame and check its body. */
static void
expect_frame(int fd, const void *want, size_t wantlen)
{
	char	*body = NULL;
	size_t	 len = 0;

	ck_assert_msg(frame_read_fd(fd, FRAME_MAX_DEFAULT, 2000, &body,
	    &len) == 0, "frame_read_fd: %s", strerror(errno));
	ck_assert_uint_eq(len, wantlen);
	ck_assert_mem_eq(body, want, wantlen);
	free(body);
}

/* Read expecting failure with errno err; nothing may be returned. */
static void
expect_error(int fd, size_t max, int timeout_ms, int err)
{
	char	*body = NULL;
	size_t	 len = 12345;

	ck_assert_int_eq(frame_read_fd(fd, max, timeout_ms, &body, &len), -1);
	ck_assert_msg(errno == err, "errno %s, want %s", strerror(errno),
	    strerror(err));
	ck_assert_ptr_null(body);
	ck_assert_uint_eq(len, 12345);
}

START_TEST(test_len_roundtrip)
{
	static const uint32_t	 vals[] = {
		0, 1, 255, 256, 65535, 65536, 0x01020304, 0x7fffffff,
		0x80000000, UINT32_MAX,
	};
	unsigned char		 hdr[FRAME_HDR];
	size_t			 i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		frame_put_len(hdr, vals[i]);
		ck_assert_uint_eq(frame_get_len(hdr), vals[i]);
	}
	/* Big-endian on the wire. */
	frame_put_len(hdr, 0x01020304);
	ck_assert_mem_eq(hdr, "\x01\x02\x03\x04", 4);
	ck_assert_uint_eq(frame_get_len("\x00\x00\x01\x00"), 256);
	ck_assert_uint_eq(frame_get_len("\xff\xff\xff\xfe"), 0xfffffffe);
}
END_TEST

START_TEST(test_parse_whole)
{
	unsigned char	 buf[64];
	size_t		 n = mkframe(buf, "hello"), body = 0;

	ck_assert_int_eq(frame_parse(buf, n, 1024, &body), FRAME_OK);
	ck_assert_uint_eq(body, 5);
	/* Bytes after the frame belong to the next one. */
	memcpy(buf + n, "\x00\x00", 2);
	body = 0;
	ck_assert_int_eq(frame_parse(buf, n + 2, 1024, &body), FRAME_OK);
	ck_assert_uint_eq(body, 5);
}
END_TEST

/* Every strict prefix of a frame is "need more": split reads. */
START_TEST(test_parse_split)
{
	unsigned char	 buf[64];
	size_t		 n = mkframe(buf, "split me"), i, body = 999;

	for (i = 0; i < n; i++) {
		ck_assert_msg(frame_parse(buf, i, 1024, &body) ==
		    FRAME_NEED_MORE, "prefix of %zu bytes", i);
		ck_assert_uint_eq(body, 999);
	}
	ck_assert_int_eq(frame_parse(buf, n, 1024, &body), FRAME_OK);
	ck_assert_uint_eq(body, 8);
}
END_TEST

/* Several frames in one buffer, as one read(2) may return them. */
START_TEST(test_parse_many)
{
	static const char *const bodies[] = { "a", "bb", "ccc", "dddd" };
	unsigned char		 buf[128];
	size_t			 len = 0, off = 0, body, i;

	for (i = 0; i < 4; i++)
		len += mkframe(buf + len, bodies[i]);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(frame_parse(buf + off, len - off, 1024,
		    &body), FRAME_OK);
		ck_assert_uint_eq(body, strlen(bodies[i]));
		ck_assert_mem_eq(buf + off + FRAME_HDR, bodies[i], body);
		off += FRAME_HDR + body;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_int_eq(frame_parse(buf + off, 0, 1024, &body),
	    FRAME_NEED_MORE);
}
END_TEST

START_TEST(test_parse_limits)
{
	unsigned char	 hdr[FRAME_HDR];
	size_t		 body = 999;

	/*
	 * Oversize and zero lengths are known from the header alone: the
	 * reader never waits for (or buffers) a body it will refuse.
	 */
	frame_put_len(hdr, 1025);
	ck_assert_int_eq(frame_parse(hdr, sizeof(hdr), 1024, &body),
	    FRAME_TOO_LARGE);
	frame_put_len(hdr, UINT32_MAX);
	ck_assert_int_eq(frame_parse(hdr, sizeof(hdr), 1024, &body),
	    FRAME_TOO_LARGE);
	frame_put_len(hdr, 0);
	ck_assert_int_eq(frame_parse(hdr, sizeof(hdr), 1024, &body),
	    FRAME_EMPTY);
	ck_assert_uint_eq(body, 999);
	/* Exactly the maximum is allowed: it just needs its body. */
	frame_put_len(hdr, 1024);
	ck_assert_int_eq(frame_parse(hdr, sizeof(hdr), 1024, &body),
	    FRAME_NEED_MORE);
	/* A 4 GiB length under an unlimited maximum does not overflow. */
	frame_put_len(hdr, UINT32_MAX);
	ck_assert_int_eq(frame_parse(hdr, sizeof(hdr), SIZE_MAX, &body),
	    FRAME_NEED_MORE);
}
END_TEST

START_TEST(test_status_str)
{
	const char	*s[4];
	int		 i, j;

	s[0] = frame_status_str(FRAME_NEED_MORE);
	s[1] = frame_status_str(FRAME_OK);
	s[2] = frame_status_str(FRAME_EMPTY);
	s[3] = frame_status_str(FRAME_TOO_LARGE);
	for (i = 0; i < 4; i++) {
		ck_assert_str_ne(s[i], "?");
		for (j = 0; j < i; j++)
			ck_assert_str_ne(s[i], s[j]);
	}
	ck_assert_str_eq(frame_status_str((enum frame_status)99), "?");
}
END_TEST

START_TEST(test_fd_roundtrip)
{
	unsigned char	 hdr[FRAME_HDR];

	ck_assert_int_eq(frame_write_fd(sv[1], "\x81\xa1x\x01", 4), 0);
	/* On the wire: the length, then exactly the body. */
	ck_assert_int_eq(unread(sv[0]), FRAME_HDR + 4);
	ck_assert_int_eq(recv(sv[0], hdr, sizeof(hdr), MSG_PEEK), FRAME_HDR);
	ck_assert_uint_eq(frame_get_len(hdr), 4);
	expect_frame(sv[0], "\x81\xa1x\x01", 4);
	ck_assert_int_eq(unread(sv[0]), 0);
}
END_TEST

START_TEST(test_fd_in_order)
{
	ck_assert_int_eq(frame_write_fd(sv[1], "one", 3), 0);
	ck_assert_int_eq(frame_write_fd(sv[1], "two", 3), 0);
	ck_assert_int_eq(frame_write_fd(sv[1], "three", 5), 0);
	expect_frame(sv[0], "one", 3);
	expect_frame(sv[0], "two", 3);
	expect_frame(sv[0], "three", 5);
	ck_assert_int_eq(unread(sv[0]), 0);
}
END_TEST

/* Many frames arriving in one write: each read takes exactly one. */
START_TEST(test_fd_many_one_write)
{
	unsigned char	 buf[128];
	size_t		 len = 0;

	len += mkframe(buf + len, "a");
	len += mkframe(buf + len, "bb");
	len += mkframe(buf + len, "ccc");
	put_raw(sv[1], buf, len);
	expect_frame(sv[0], "a", 1);
	ck_assert_int_eq(unread(sv[0]), (int)(len - FRAME_HDR - 1));
	expect_frame(sv[0], "bb", 2);
	expect_frame(sv[0], "ccc", 3);
	ck_assert_int_eq(unread(sv[0]), 0);
}
END_TEST

/*
 * A writer process that sends buf one byte at a time and waits until the
 * reader has taken each byte (the socket's send queue is empty) before the
 * next, so that every read(2) of the reader returns a single byte.
 */
static pid_t
trickle(int fd, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	pid_t			 pid;
	size_t			 i;
	int			 q;

	ck_assert_int_ne(pid = fork(), -1);
	if (pid != 0)
		return pid;
	close(sv[0]);
	for (i = 0; i < len; i++) {
		if (write(fd, p + i, 1) != 1)
			_exit(1);
		do {
			if (ioctl(fd, SIOCOUTQ, &q) == -1)
				_exit(2);
		} while (q > 0);
	}
	_exit(0);
}

static void
reap(pid_t pid)
{
	int	 status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "writer process failed: status %d", status);
}

START_TEST(test_fd_split_reads)
{
	unsigned char	 buf[64];
	size_t		 len = mkframe(buf, "one byte at a time");
	pid_t		 pid;

	/* Two frames back to back, every byte its own read. */
	len += mkframe(buf + len, "next");
	pid = trickle(sv[1], buf, len);
	expect_frame(sv[0], "one byte at a time", 18);
	expect_frame(sv[0], "next", 4);
	reap(pid);
}
END_TEST

/* A body larger than the socket buffer takes many reads and writes. */
START_TEST(test_fd_large)
{
	size_t	 n = FRAME_MAX_DEFAULT, i;
	char	*big = malloc(n), *body = NULL;
	size_t	 len = 0;
	pid_t	 pid;
	int	 status;

	for (i = 0; i < n; i++)
		big[i] = (char)(i * 7 + i / 251);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		close(sv[0]);
		_exit(frame_write_fd(sv[1], big, n) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(frame_read_fd(sv[0], n, 5000, &body, &len), 0);
	ck_assert_uint_eq(len, n);
	ck_assert(memcmp(body, big, n) == 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(body);
	free(big);
}
END_TEST

START_TEST(test_fd_max_exact)
{
	char	 body[100];

	memset(body, 'x', sizeof(body));
	ck_assert_int_eq(frame_write_fd(sv[1], body, sizeof(body)), 0);
	expect_frame(sv[0], body, sizeof(body));
	/* The same frame one byte over a smaller limit is refused. */
	ck_assert_int_eq(frame_write_fd(sv[1], body, sizeof(body)), 0);
	expect_error(sv[0], sizeof(body) - 1, 1000, EMSGSIZE);
}
END_TEST

START_TEST(test_fd_timeout_nothing)
{
	long long	 t0 = now_ms(), dt;

	expect_error(sv[0], 1024, 50, ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_msg(dt >= 49 && dt < 2000, "timed out after %lld ms", dt);
}
END_TEST

START_TEST(test_fd_timeout_partial_header)
{
	put_raw(sv[1], "\x00\x00", 2);
	expect_error(sv[0], 1024, 50, ETIMEDOUT);
}
END_TEST

START_TEST(test_fd_timeout_partial_body)
{
	/* The deadline covers the whole frame, not each read. */
	put_hdr(sv[1], 10);
	put_raw(sv[1], "12345", 5);
	expect_error(sv[0], 1024, 50, ETIMEDOUT);
}
END_TEST

START_TEST(test_fd_timeout_zero_ready)
{
	/* A zero timeout still reads a frame that is already there. */
	ck_assert_int_eq(frame_write_fd(sv[1], "now", 3), 0);
	{
		char	*body = NULL;
		size_t	 len = 0;

		ck_assert_int_eq(frame_read_fd(sv[0], 1024, 0, &body, &len),
		    0);
		ck_assert_uint_eq(len, 3);
		free(body);
	}
	/* And -1 waits as long as it takes. */
	ck_assert_int_eq(frame_write_fd(sv[1], "later", 5), 0);
	{
		char	*body = NULL;
		size_t	 len = 0;

		ck_assert_int_eq(frame_read_fd(sv[0], 1024, -1, &body, &len),
		    0);
		ck_assert_mem_eq(body, "later", 5);
		free(body);
	}
}
END_TEST

/* An oversize length is refused from the header: the body stays unread. */
START_TEST(test_fd_oversize)
{
	put_hdr(sv[1], 1025);
	put_raw(sv[1], "0123456789", 10);
	expect_error(sv[0], 1024, 1000, EMSGSIZE);
	ck_assert_int_eq(unread(sv[0]), 10);
}
END_TEST

START_TEST(test_fd_oversize_huge)
{
	/* 4 GiB announced, nothing sent: refused at once, no allocation. */
	put_hdr(sv[1], UINT32_MAX);
	expect_error(sv[0], FRAME_MAX_DEFAULT, 1000, EMSGSIZE);
	ck_assert_int_eq(unread(sv[0]), 0);
}
END_TEST

START_TEST(test_fd_zero_length)
{
	put_hdr(sv[1], 0);
	put_raw(sv[1], "xy", 2);
	expect_error(sv[0], 1024, 1000, EBADMSG);
	ck_assert_int_eq(unread(sv[0]), 2);
}
END_TEST

START_TEST(test_fd_eof)
{
	close(sv[1]);
	sv[1] = -1;
	expect_error(sv[0], 1024, 1000, ECONNRESET);
}
END_TEST

START_TEST(test_fd_eof_in_header)
{
	put_raw(sv[1], "\x00\x00\x00", 3);
	close(sv[1]);
	sv[1] = -1;
	expect_error(sv[0], 1024, 1000, ECONNRESET);
}
END_TEST

START_TEST(test_fd_eof_in_body)
{
	put_hdr(sv[1], 8);
	put_raw(sv[1], "abc", 3);
	close(sv[1]);
	sv[1] = -1;
	expect_error(sv[0], 1024, 1000, ECONNRESET);
}
END_TEST

START_TEST(test_fd_eof_after_frames)
{
	/* Whole frames before the end are still delivered. */
	ck_assert_int_eq(frame_write_fd(sv[1], "last", 4), 0);
	close(sv[1]);
	sv[1] = -1;
	expect_frame(sv[0], "last", 4);
	expect_error(sv[0], 1024, 1000, ECONNRESET);
}
END_TEST

START_TEST(test_write_empty)
{
	/* A zero-length frame is never valid: nothing goes out. */
	ck_assert_int_eq(frame_write_fd(sv[1], "", 0), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(unread(sv[0]), 0);
}
END_TEST

START_TEST(test_write_closed)
{
	close(sv[0]);
	sv[0] = -1;
	ck_assert_int_eq(frame_write_fd(sv[1], "gone", 4), -1);
	ck_assert_int_eq(errno, EPIPE);
}
END_TEST

START_TEST(test_write_bad_fd)
{
	ck_assert_int_eq(frame_write_fd(-1, "x", 1), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("frame");
	TCase	*tc;

	tc = tcase_create("codec");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_len_roundtrip);
	tcase_add_test(tc, test_parse_whole);
	tcase_add_test(tc, test_parse_split);
	tcase_add_test(tc, test_parse_many);
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_status_str);
	suite_add_tcase(s, tc);

	tc = tcase_create("fd");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fd_roundtrip);
	tcase_add_test(tc, test_fd_in_order);
	tcase_add_test(tc, test_fd_many_one_write);
	tcase_add_test(tc, test_fd_split_reads);
	tcase_add_test(tc, test_fd_large);
	tcase_add_test(tc, test_fd_max_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("timeouts");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fd_timeout_nothing);
	tcase_add_test(tc, test_fd_timeout_partial_header);
	tcase_add_test(tc, test_fd_timeout_partial_body);
	tcase_add_test(tc, test_fd_timeout_zero_ready);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fd_oversize);
	tcase_add_test(tc, test_fd_oversize_huge);
	tcase_add_test(tc, test_fd_zero_length);
	tcase_add_test(tc, test_fd_eof);
	tcase_add_test(tc, test_fd_eof_in_header);
	tcase_add_test(tc, test_fd_eof_in_body);
	tcase_add_test(tc, test_fd_eof_after_frames);
	tcase_add_test(tc, test_write_empty);
	tcase_add_test(tc, test_write_closed);
	tcase_add_test(tc, test_write_bad_fd);
	suite_add_tcase(s, tc);
	return s;
}
