/*
 * Unit tests for common/zygote.c: the session zygote's channel, on a real
 * SOCK_SEQPACKET socketpair as the gateway and the zygote use it.  Fork
 * requests carry exactly one descriptor (anything else is refused and
 * closes what it carried); exit reports round-trip every kind of wait
 * status, and the decoder refuses everything else; neither send ever
 * blocks.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "zygote.h"

#define TIMEOUT		10	/* seconds per test */

static int	 sv[2] = { -1, -1 };	/* [0] the gateway, [1] the zygote */

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
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

/* Descriptors this process holds, to tell a leak. */
static int
open_fds(void)
{
	DIR	*d = opendir("/proc/self/fd");
	int	 n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* A datagram with tag and ndesc copies of fd (SCM_RIGHTS). */
static void
send_raw(int fd, const void *data, size_t len, int desc, int ndesc)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(2 * sizeof(int))];
	} cmsgbuf;
	int		 fds[2] = { desc, desc };

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (ndesc > 0) {
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = CMSG_SPACE(ndesc * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(ndesc * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, ndesc * sizeof(int));
	}
	ck_assert_int_eq(sendmsg(fd, &msg, 0), (ssize_t)len);
}

START_TEST(test_fork_roundtrip)
{
	int	 p[2], got = -1;
	char	 c = 0;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(zygote_send_fork(sv[0], p[1]), 0);
	ck_assert_int_eq(zygote_recv_fork(sv[1], &got), 1);
	ck_assert_int_ge(got, 0);
	ck_assert_int_ne(got, p[1]);
	/* The same pipe, close-on-exec in the zygote. */
	ck_assert_int_eq(fcntl(got, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(write(got, "x", 1), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(c, 'x');
	close(got);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_fork_in_order)
{
	int	 p[3][2], got, i;
	char	 c;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(pipe(p[i]), 0);
		ck_assert_int_eq(zygote_send_fork(sv[0], p[i][1]), 0);
	}
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(zygote_recv_fork(sv[1], &got), 1);
		c = (char)('a' + i);
		ck_assert_int_eq(write(got, &c, 1), 1);
		close(got);
		ck_assert_int_eq(read(p[i][0], &c, 1), 1);
		ck_assert_int_eq(c, 'a' + i);
		close(p[i][0]);
		close(p[i][1]);
	}
}
END_TEST

START_TEST(test_fork_eof)
{
	int	 got = -1;

	close(sv[0]);
	sv[0] = -1;
	ck_assert_int_eq(zygote_recv_fork(sv[1], &got), 0);
	ck_assert_int_eq(got, -1);
}
END_TEST

/* Requests that are not one: refused, and nothing they carry stays open. */
START_TEST(test_fork_refused)
{
	int	 p[2], got = -1, before;

	ck_assert_int_eq(pipe(p), 0);
	before = open_fds();
	send_raw(sv[0], "F", 1, -1, 0);			/* no descriptor */
	send_raw(sv[0], "S", 1, p[1], 1);		/* another tag */
	send_raw(sv[0], "FF", 2, p[1], 1);		/* two bytes */
	send_raw(sv[0], "F", 1, p[1], 2);		/* two descriptors */
	for (int i = 0; i < 4; i++) {
		errno = 0;
		ck_assert_int_eq(zygote_recv_fork(sv[1], &got), -1);
		ck_assert_int_eq(errno, EBADMSG);
		ck_assert_int_eq(got, -1);
		ck_assert_int_eq(open_fds(), before);
	}
	/* A good one still comes through after them. */
	ck_assert_int_eq(zygote_send_fork(sv[0], p[1]), 0);
	ck_assert_int_eq(zygote_recv_fork(sv[1], &got), 1);
	close(got);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* The gateway never blocks on a zygote that does not read. */
START_TEST(test_fork_never_blocks)
{
	int	 i, r = 0;

	for (i = 0; i < 100000 && (r = zygote_send_fork(sv[0], 0)) == 0; i++)
		;
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_gt(i, 10);
}
END_TEST

START_TEST(test_fork_closed)
{
	close(sv[1]);
	sv[1] = -1;
	ck_assert_int_eq(zygote_send_fork(sv[0], 0), -1);
	ck_assert_int_eq(errno, EPIPE);
}
END_TEST

/* Send an exit report, read it back as the gateway does, decode it. */
static void
exit_roundtrip(pid_t pid, int status)
{
	unsigned char	 buf[ZYGOTE_EXIT_LEN + 1];
	ssize_t		 n;
	pid_t		 gpid = 0;
	int		 gstatus = -1;

	ck_assert_int_eq(zygote_send_exit(sv[1], pid, status), 0);
	n = recv(sv[0], buf, sizeof(buf), MSG_TRUNC);
	ck_assert_int_eq(n, ZYGOTE_EXIT_LEN);
	ck_assert_int_eq(zygote_decode_exit(buf, (size_t)n, &gpid, &gstatus),
	    0);
	ck_assert_int_eq(gpid, pid);
	ck_assert_int_eq(gstatus, status);
}

START_TEST(test_exit_roundtrip)
{
	exit_roundtrip(2, W_EXITCODE(0, 0));
	exit_roundtrip(12345, W_EXITCODE(111, 0));
	exit_roundtrip(INT32_MAX, W_EXITCODE(255, 0));
	exit_roundtrip(4194304, SIGKILL);
	exit_roundtrip(77, SIGSEGV | WCOREFLAG);
	exit_roundtrip(78, SIGRTMAX);
}
END_TEST

/* What a real child's status looks like, as the zygote reports it. */
START_TEST(test_exit_real_child)
{
	int	 status;
	pid_t	 pid;

	if ((pid = fork()) == 0)
		_exit(42);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	exit_roundtrip(pid, status);
	if ((pid = fork()) == 0) {
		pause();
		_exit(0);
	}
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	exit_roundtrip(pid, status);
}
END_TEST

/* A report as bytes: tag, padding, pid, status. */
static void
mkreport(unsigned char *b, unsigned char tag, uint32_t pid, uint32_t st)
{
	memset(b, 0, ZYGOTE_EXIT_LEN);
	b[0] = tag;
	b[4] = pid >> 24;
	b[5] = pid >> 16;
	b[6] = pid >> 8;
	b[7] = pid;
	b[8] = st >> 24;
	b[9] = st >> 16;
	b[10] = st >> 8;
	b[11] = st;
}

static int
decodes(const unsigned char *b, size_t len)
{
	pid_t	 pid = 0;
	int	 status = 0;

	return zygote_decode_exit(b, len, &pid, &status) == 0;
}

START_TEST(test_exit_garbled)
{
	unsigned char	 b[ZYGOTE_EXIT_LEN + 4];

	mkreport(b, ZYGOTE_EXIT, 100, 0);
	ck_assert(decodes(b, ZYGOTE_EXIT_LEN));
	ck_assert(!decodes(b, 0));
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN - 1));
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN + 1));
	mkreport(b, ZYGOTE_FORK, 100, 0);
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	mkreport(b, ZYGOTE_EXIT, 100, 0);
	b[2] = 1;					/* padding */
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	mkreport(b, ZYGOTE_EXIT, 0, 0);			/* pids */
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	mkreport(b, ZYGOTE_EXIT, 1, 0);
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	mkreport(b, ZYGOTE_EXIT, 0x80000000u, 0);
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	mkreport(b, ZYGOTE_EXIT, 0xffffffffu, 0);
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	/* Statuses no exit or fatal signal makes. */
	mkreport(b, ZYGOTE_EXIT, 100, 0x137f);		/* stopped */
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	mkreport(b, ZYGOTE_EXIT, 100, 0xffff);		/* continued */
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	mkreport(b, ZYGOTE_EXIT, 100, 0x10000);		/* past the code */
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	mkreport(b, ZYGOTE_EXIT, 100, 0x0109);		/* code and signal */
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	mkreport(b, ZYGOTE_EXIT, 100, NSIG);		/* no such signal */
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
	mkreport(b, ZYGOTE_EXIT, 100, 0xffffffffu);
	ck_assert(!decodes(b, ZYGOTE_EXIT_LEN));
}
END_TEST

/* The zygote never blocks on a gateway that does not read. */
START_TEST(test_exit_never_blocks)
{
	int	 i, r = 0;

	for (i = 0; i < 100000 && (r = zygote_send_exit(sv[1], 100, 0)) == 0;
	    i++)
		;
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_gt(i, 10);
}
END_TEST

START_TEST(test_exit_closed)
{
	close(sv[0]);
	sv[0] = -1;
	ck_assert_int_eq(zygote_send_exit(sv[1], 100, 0), -1);
	ck_assert_int_eq(errno, EPIPE);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("zygote");
	TCase	*tc;

	tc = tcase_create("fork");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fork_roundtrip);
	tcase_add_test(tc, test_fork_in_order);
	tcase_add_test(tc, test_fork_eof);
	tcase_add_test(tc, test_fork_refused);
	tcase_add_test(tc, test_fork_never_blocks);
	tcase_add_test(tc, test_fork_closed);
	suite_add_tcase(s, tc);

	tc = tcase_create("exit");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exit_roundtrip);
	tcase_add_test(tc, test_exit_real_child);
	tcase_add_test(tc, test_exit_garbled);
	tcase_add_test(tc, test_exit_never_blocks);
	tcase_add_test(tc, test_exit_closed);
	suite_add_tcase(s, tc);
	return s;
}
