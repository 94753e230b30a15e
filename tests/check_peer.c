/*
 * Unit tests for common/peer.c over real sockets and a real libevent loop:
 * framing across reads, what drops a connection, the output gate (commit
 * before send), the queue limits, outbound peers (Hello first,
 * reconnect), brokered peers (their connections given, Hello said by the
 * broker) and the descriptors a peer keeps.  No sleeps: every wait is
 * run_until() on a condition.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "check_main.h"
#include "child.h"
#include "envelope.h"
#include "frame.h"
#include "log.h"
#include "peer.h"

#define TIMEOUT		30	/* seconds per test */
#define WAIT_MS		5000	/* longest run_until() */
#define MAXREC		512	/* messages one side remembers */
#define MAXCONN		8	/* connections one listener accepts */
#define MAX_FRAME	1024	/* the tests' frame limit */

/* What one side of a connection saw. */
struct rec {
	struct peer	*p;		/* NULL once freed */
	int		 outbound;	/* outbound peers outlive a close */
	int		 msgs, closed, connected, drained, wanted;
	int		 pop_fds;	/* seq >= 100: peer_next_fd() into fd[] */
	int		 fd[MAXREC];
	int		 close_on_msg;	/* peer_close() in the callback */
	int		 fail_on_msg;	/* overflow the queue in the callback */
	size_t		 unread_after_fail;
	int64_t		 seq_after_fail;	/* read from the payload then */
	enum msg_type	 type[MAXREC];
	int64_t		 num[MAXREC];	/* payload's seq or pid, or -1 */
	char		 from[ADDR_MAX + 1], to[ADDR_MAX + 1];
	char		 id[ID_MAX + 1];
	char		 hello_from[ADDR_MAX + 1], hello_to[ADDR_MAX + 1];
};

/* A listening Unix socket whose connections become peers. */
struct server {
	int		 fd;
	struct event	*ev;
	int		 nconn;
	struct rec	 conn[MAXCONN];
};

static struct event_base	*base;
static struct peer_limits	 lim;
static char			 tmpdir[64];
static int			 sv[2] = { -1, -1 };
static int			 saved_stderr = -1;
/*
 * Every rec with a peer, for teardown to close what a test left open.
 * Teardown runs after the test function returned, so the tests' recs and
 * servers are static, not on their stack (fd_peer, path_peer and
 * server_start zero them).
 */
static struct rec		*recs[1024];
static int			 nrecs;
static int			 hook_calls;
static int			 readable_at_hook;
static int			 hook_fd = -1;	/* watched by the hook */
static int			 hook_result;

static void	on_message(struct peer *, struct envelope *, void *);
static void	on_closed(struct peer *, void *);
static void	on_connected(struct peer *, void *);
static void	on_drained(struct peer *, void *);
static void	on_wanted(struct peer *, void *);

static const struct peer_cb	 cbs = {
	on_message, on_closed, on_connected, on_drained, on_wanted,
};

/* The event base, made on first use (after any fork the test does). */
static struct event_base *
loop(void)
{
	if (base == NULL) {
		ck_assert_ptr_nonnull(base = event_base_new());
		peer_init(base);
	}
	return base;
}

static void
setup(void)
{
	char	 logpath[128];
	int	 fd;

	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_peer.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* stderr to a file, so that tests can read the log lines. */
	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	ck_assert_int_ne(fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC,
	    0600), -1);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_init("check_peer", LOG_INFO);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	peer_default_limits(&lim);
	lim.max_frame = MAX_FRAME;
	lim.high_water = 4096;
	lim.max_queue = 64 * 1024;
	lim.retry_initial_ms = 1;
	lim.retry_max_ms = 20;
	hook_calls = 0;
	readable_at_hook = 0;
	hook_fd = -1;
	hook_result = 0;
	nrecs = 0;
}

static void
teardown(void)
{
	int	 i;

	for (i = 0; i < nrecs; i++)
		if (recs[i]->p != NULL) {
			peer_close(recs[i]->p);
			recs[i]->p = NULL;
		}
	if (base != NULL) {
		/* Let the deferred frees run. */
		for (i = 0; i < 4; i++)
			event_base_loop(base, EVLOOP_NONBLOCK);
		peer_set_commit_hook(NULL, NULL);
	}
	nrecs = 0;
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	sv[0] = sv[1] = -1;
	if (saved_stderr != -1) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	ck_rm_tree(tmpdir);
}

static void
track(struct rec *r, struct peer *p, int outbound)
{
	ck_assert_int_lt(nrecs, (int)(sizeof(recs) / sizeof(recs[0])));
	r->p = p;
	r->outbound = outbound;
	recs[nrecs++] = r;
}

/* An inbound peer on fd (it takes the descriptor). */
static struct peer *
fd_peer(struct rec *r, int fd)
{
	struct peer	*p;

	memset(r, 0, sizeof(*r));
	loop();
	p = peer_new_fd(fd, &lim, &cbs, r);
	track(r, p, 0);
	return p;
}

/* The usual subject: an inbound peer on sv[0]; sv[1] is the far side. */
static struct peer *
pair_peer(struct rec *r)
{
	struct peer	*p = fd_peer(r, sv[0]);

	sv[0] = -1;		/* the peer owns it now */
	return p;
}

static struct peer *
path_peer(struct rec *r, const char *path, const char *from)
{
	struct peer	*p;

	memset(r, 0, sizeof(*r));
	loop();
	p = peer_new_path(path, from, &lim, &cbs, r);
	track(r, p, 1);
	return p;
}

static void
on_message(struct peer *p, struct envelope *env, void *arg)
{
	struct rec		*r = arg;
	const msgpack_object	*v;
	int64_t			 num = -1;

	ck_assert_ptr_eq(p, r->p);
	if ((v = mp_get(env->payload, "seq")) == NULL)
		v = mp_get(env->payload, "pid");
	if (v != NULL && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		num = (int64_t)v->via.u64;
	if (r->msgs < MAXREC) {
		r->type[r->msgs] = env->type;
		r->num[r->msgs] = num;
	}
	snprintf(r->from, sizeof(r->from), "%s", env->from);
	snprintf(r->to, sizeof(r->to), "%s", env->to);
	snprintf(r->id, sizeof(r->id), "%s", env->id);
	if (env->type == MSG_HELLO) {
		snprintf(r->hello_from, sizeof(r->hello_from), "%s",
		    env->from);
		snprintf(r->hello_to, sizeof(r->hello_to), "%s", env->to);
	}
	if (r->pop_fds && num >= 100 && r->msgs < MAXREC)
		r->fd[r->msgs] = peer_next_fd(p);
	r->msgs++;
	if (r->fail_on_msg) {
		static char	 big[80 * 1024];

		/* Over max_queue: the peer fails inside its own delivery. */
		r->fail_on_msg = 0;
		ck_assert_uint_gt(sizeof(big), lim.max_queue);
		ck_assert_int_eq(peer_write(p, big, sizeof(big)), -1);
		ck_assert(!peer_is_up(p));
		r->unread_after_fail = peer_unread(p);
		/* The frame is still ours: its payload points into it. */
		r->seq_after_fail = -1;
		if ((v = mp_get(env->payload, "seq")) != NULL &&
		    v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			r->seq_after_fail = (int64_t)v->via.u64;
	}
	if (r->close_on_msg) {
		peer_close(p);
		r->p = NULL;
	}
}

static void
on_closed(struct peer *p, void *arg)
{
	struct rec	*r = arg;

	ck_assert_ptr_eq(p, r->p);
	r->closed++;
	if (!r->outbound)
		r->p = NULL;	/* an inbound peer is freed after this */
}

static void
on_connected(struct peer *p, void *arg)
{
	struct rec	*r = arg;

	ck_assert_ptr_eq(p, r->p);
	r->connected++;
}

static void
on_drained(struct peer *p, void *arg)
{
	struct rec	*r = arg;

	ck_assert_ptr_eq(p, r->p);
	r->drained++;
}

static void
on_wanted(struct peer *p, void *arg)
{
	struct rec	*r = arg;

	ck_assert_ptr_eq(p, r->p);
	r->wanted++;
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Run the event loop until cond(arg) holds or timeout_ms pass. */
static bool
run_until(struct event_base *b, bool (*cond)(void *), void *arg,
    int timeout_ms)
{
	struct event	*t;
	struct timeval	 tv;
	int		 expired = 0;

	if (cond(arg))
		return true;
	ck_assert_ptr_nonnull(t = evtimer_new(b, timeout_cb, &expired));
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(t, &tv);
	while (!cond(arg) && !expired)
		event_base_loop(b, EVLOOP_ONCE);
	event_free(t);
	return cond(arg);
}

/* A counter has reached n. */
struct at_least {
	const int	*counter;
	int		 n;
};

static bool
reached(void *arg)
{
	const struct at_least	*a = arg;

	return *a->counter >= a->n;
}

/* Run until *counter >= n; fail the test if it never gets there. */
static void
wait_for(const int *counter, int n, const char *what)
{
	struct at_least	 a = { counter, n };

	ck_assert_msg(run_until(loop(), reached, &a, WAIT_MS),
	    "waited %d ms for %s: %d, want %d", WAIT_MS, what, *counter, n);
}

static bool
readable(void *arg)
{
	struct pollfd	 pfd = { .fd = *(int *)arg, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static int
unread(int fd)
{
	int	 n = -1;

	ck_assert_int_eq(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

static bool
kernel_empty(void *arg)
{
	return unread(*(int *)arg) == 0;
}

/* The far side of a dropped connection reads end of file, no data. */
static void
ck_far_eof(int fd)
{
	char	 c;

	ck_assert_msg(run_until(loop(), readable, &fd, WAIT_MS),
	    "the far side was not closed");
	ck_assert_int_eq(read(fd, &c, 1), 0);
}

/* True if the log holds needle. */
static bool
logged(const char *needle)
{
	char	 p[128], buf[65536];
	FILE	*fp;
	size_t	 n;

	snprintf(p, sizeof(p), "%s/log", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(p, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

#define ck_logged(needle)						\
	ck_assert_msg(logged(needle), "no log line with: %s", (needle))

/*
 * A whole frame (header and envelope) in buf: type from coordinator:main
 * to worker:w1, id "m<seq>", payload {seq, [pad]}; pad bytes of padding.
 */
static size_t
mkframe_pad(void *buf, size_t size, enum msg_type type, int64_t seq,
    size_t pad)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	char		 id[32], *fill;
	size_t		 n;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	snprintf(id, sizeof(id), "m%lld", (long long)seq);
	env_pack_header(&pk, "worker:w1", "coordinator:main", type, id, NULL,
	    1000 + seq);
	msgpack_pack_map(&pk, pad > 0 ? 2 : 1);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "seq", 3);
	msgpack_pack_int64(&pk, seq);
	if (pad > 0) {
		fill = malloc(pad);
		memset(fill, 'p', pad);
		msgpack_pack_str(&pk, 3);
		msgpack_pack_str_body(&pk, "pad", 3);
		msgpack_pack_str(&pk, pad);
		msgpack_pack_str_body(&pk, fill, pad);
		free(fill);
	}
	n = FRAME_HDR + sb.size;
	ck_assert_uint_le(n, size);
	frame_put_len(buf, (uint32_t)sb.size);
	memcpy((char *)buf + FRAME_HDR, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return n;
}

static size_t
mkframe(void *buf, size_t size, int64_t seq)
{
	return mkframe_pad(buf, size, MSG_PING, seq, 0);
}

/* A frame whose body is exactly body bytes. */
static size_t
mkframe_body(void *buf, size_t size, size_t body)
{
	size_t	 pad, n;

	for (pad = 1; pad < body; pad++) {
		n = mkframe_pad(buf, size, MSG_PING, 7, pad);
		if (n == FRAME_HDR + body)
			return n;
	}
	ck_abort_msg("cannot make a body of %zu bytes", body);
	return 0;
}

/* A frame with an arbitrary body. */
static size_t
rawframe(void *buf, const void *body, size_t len)
{
	frame_put_len(buf, (uint32_t)len);
	memcpy((char *)buf + FRAME_HDR, body, len);
	return FRAME_HDR + len;
}

static void
put(int fd, const void *buf, size_t len)
{
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
}

START_TEST(test_deliver)
{
	static struct rec	 r;
	struct peer	*p = pair_peer(&r);
	char		 buf[256];
	size_t		 n = mkframe(buf, sizeof(buf), 42);

	ck_assert(peer_is_up(p));
	put(sv[1], buf, n);
	wait_for(&r.msgs, 1, "the message");
	ck_assert_int_eq(r.msgs, 1);
	ck_assert_int_eq(r.type[0], MSG_PING);
	ck_assert_int_eq(r.num[0], 42);
	ck_assert_str_eq(r.from, "coordinator:main");
	ck_assert_str_eq(r.to, "worker:w1");
	ck_assert_str_eq(r.id, "m42");
	ck_assert_uint_eq(peer_stats(p)->msgs_in, 1);
	ck_assert_uint_eq(peer_stats(p)->bytes_in, n);
	ck_assert_int_eq(r.closed, 0);
	ck_assert(peer_is_up(p));
}
END_TEST

/* A frame arriving one byte per read is delivered once, whole. */
START_TEST(test_split_reads)
{
	static struct rec	 r;
	struct peer	*p = pair_peer(&r);
	char		 buf[512];
	size_t		 n, i;
	int		 far;

	n = mkframe(buf, sizeof(buf), 1);
	n += mkframe(buf + n, sizeof(buf) - n, 2);
	far = peer_fd(p);
	for (i = 0; i < n; i++) {
		put(sv[1], buf + i, 1);
		/* Until the peer has taken the byte from the kernel. */
		ck_assert(run_until(loop(), kernel_empty, &far, WAIT_MS));
		if (i + 1 < n / 2)
			ck_assert_msg(r.msgs == 0, "delivered after %zu "
			    "bytes", i + 1);
		if (i + 1 == n / 2) {
			ck_assert_int_eq(r.msgs, 1);
			ck_assert_uint_eq(peer_unread(p), 0);
		}
		if (i + 1 < n / 2)
			ck_assert_uint_eq(peer_unread(p), i + 1);
	}
	ck_assert_int_eq(r.msgs, 2);
	ck_assert_int_eq(r.num[0], 1);
	ck_assert_int_eq(r.num[1], 2);
	ck_assert_int_eq(r.closed, 0);
}
END_TEST

/*
 * Many frames in one write, more than one read takes (4 KiB first, then
 * 64 KiB): all delivered, in order, in one loop turn, so that they share
 * one commit; the coordinator's group commit depends on it.
 */
START_TEST(test_many_one_write)
{
	static struct rec	 r;
	char		*buf = malloc(200 * 128);
	size_t		 n = 0;
	int		 i;

	pair_peer(&r);
	for (i = 0; i < 200; i++)
		n += mkframe(buf + n, 200 * 128 - n, i);
	ck_assert_uint_gt(n, 3 * 4096);
	put(sv[1], buf, n);
	event_base_loop(loop(), EVLOOP_ONCE);
	ck_assert_int_eq(r.msgs, 200);
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(r.num[i], i);
	ck_assert_int_eq(r.closed, 0);
	free(buf);
}
END_TEST

/* Frames followed at once by the end: every frame, then the close. */
START_TEST(test_frames_then_eof)
{
	static struct rec	 r;
	char		 buf[512];
	size_t		 n;

	pair_peer(&r);
	n = mkframe(buf, sizeof(buf), 1);
	n += mkframe(buf + n, sizeof(buf) - n, 2);
	n += mkframe(buf + n, sizeof(buf) - n, 3);
	put(sv[1], buf, n);
	close(sv[1]);
	sv[1] = -1;
	wait_for(&r.closed, 1, "closed");
	ck_assert_int_eq(r.msgs, 3);
	ck_assert_int_eq(r.num[2], 3);
}
END_TEST

/* A frame split across two writes, with the next one's start. */
START_TEST(test_frame_across_writes)
{
	static struct rec	 r;
	char		 buf[512];
	size_t		 n, cut;

	pair_peer(&r);
	n = mkframe(buf, sizeof(buf), 1);
	n += mkframe(buf + n, sizeof(buf) - n, 2);
	cut = n / 2 + 3;		/* into the second frame */
	put(sv[1], buf, cut);
	wait_for(&r.msgs, 1, "the first message");
	ck_assert(run_until(loop(), kernel_empty, &(int){ peer_fd(r.p) },
	    WAIT_MS));
	ck_assert_int_eq(r.msgs, 1);
	put(sv[1], buf + cut, n - cut);
	wait_for(&r.msgs, 2, "the second message");
	ck_assert_int_eq(r.num[1], 2);
}
END_TEST

START_TEST(test_max_frame_exact)
{
	static struct rec	 r;
	char		 buf[MAX_FRAME + 64];
	size_t		 n = mkframe_body(buf, sizeof(buf), MAX_FRAME);

	pair_peer(&r);
	put(sv[1], buf, n);
	wait_for(&r.msgs, 1, "a frame of exactly max_frame");
	ck_assert_int_eq(r.closed, 0);
}
END_TEST

/* Payloads of every kind pass through, ext and bin included. */
START_TEST(test_payload_formats)
{
	static struct rec	 r;
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	char		 buf[512];
	int		 i;

	pair_peer(&r);
	memset(buf, 'e', sizeof(buf));
	for (i = 0; i < 4; i++) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		env_pack_header(&pk, "worker:w1", "coordinator:main", MSG_PING,
		    "x", NULL, 1);
		msgpack_pack_map(&pk, 2);
		msgpack_pack_str(&pk, 3);
		msgpack_pack_str_body(&pk, "seq", 3);
		msgpack_pack_int(&pk, i);
		msgpack_pack_str(&pk, 1);
		msgpack_pack_str_body(&pk, "v", 1);
		switch (i) {
		case 0:		/* ext8 */
			msgpack_pack_ext(&pk, 3, 1);
			msgpack_pack_ext_body(&pk, "abc", 3);
			break;
		case 1:		/* ext16 */
			msgpack_pack_ext(&pk, 300, -1);
			msgpack_pack_ext_body(&pk, buf, 300);
			break;
		case 2:		/* fixext4 */
			msgpack_pack_ext(&pk, 4, 2);
			msgpack_pack_ext_body(&pk, "abcd", 4);
			break;
		case 3:		/* bin8 and a float */
			msgpack_pack_array(&pk, 2);
			msgpack_pack_bin(&pk, 2);
			msgpack_pack_bin_body(&pk, "\0\1", 2);
			msgpack_pack_float(&pk, 0.5f);
			break;
		}
		put(sv[1], buf, rawframe(buf, sb.data, sb.size));
		msgpack_sbuffer_destroy(&sb);
		wait_for(&r.msgs, i + 1, "the message");
		ck_assert_int_eq(r.num[i], i);
	}
	ck_assert_int_eq(r.closed, 0);
}
END_TEST

/* A length over max_frame drops the peer from the header alone. */
START_TEST(test_oversize)
{
	static struct rec	 r;
	unsigned char	 hdr[FRAME_HDR];
	struct peer	*p = pair_peer(&r);

	(void)p;
	frame_put_len(hdr, MAX_FRAME + 1);
	put(sv[1], hdr, sizeof(hdr));	/* no body follows */
	wait_for(&r.closed, 1, "the drop");
	ck_assert_int_eq(r.msgs, 0);
	ck_assert_ptr_null(r.p);
	ck_far_eof(sv[1]);
	ck_logged("frame over the size limit (1025 bytes, limit 1024); "
	    "dropping the connection");
}
END_TEST

START_TEST(test_oversize_huge)
{
	static struct rec	 r;
	unsigned char	 buf[64];

	/* 4 GiB announced, a little body sent: dropped, nothing buffered. */
	pair_peer(&r);
	frame_put_len(buf, UINT32_MAX);
	memset(buf + FRAME_HDR, 'x', 60);
	put(sv[1], buf, sizeof(buf));
	wait_for(&r.closed, 1, "the drop");
	ck_assert_int_eq(r.msgs, 0);
	ck_far_eof(sv[1]);
	ck_logged("frame over the size limit (4294967295 bytes");
}
END_TEST

START_TEST(test_oversize_after_good)
{
	static struct rec	 r;
	char		 buf[512];
	size_t		 n;

	/* The good frame before the bad header still counts. */
	pair_peer(&r);
	n = mkframe(buf, sizeof(buf), 5);
	frame_put_len(buf + n, MAX_FRAME + 1);
	put(sv[1], buf, n + FRAME_HDR);
	wait_for(&r.closed, 1, "the drop");
	ck_assert_int_eq(r.msgs, 1);
	ck_assert_int_eq(r.num[0], 5);
}
END_TEST

START_TEST(test_zero_length)
{
	static struct rec	 r;
	char		 buf[512];
	size_t		 n;

	pair_peer(&r);
	n = mkframe(buf, sizeof(buf), 1);
	frame_put_len(buf + n, 0);
	n += FRAME_HDR;
	n += mkframe(buf + n, sizeof(buf) - n, 2);	/* never reached */
	put(sv[1], buf, n);
	wait_for(&r.closed, 1, "the drop");
	ck_assert_int_eq(r.msgs, 1);
	ck_far_eof(sv[1]);
	ck_logged("zero-length frame (0 bytes, limit 1024); dropping the "
	    "connection");
}
END_TEST

/* Send body as one frame; the peer must drop the connection. */
static void
expect_drop(const void *body, size_t len, const char *logline)
{
	static struct rec	 r;
	char		 buf[MAX_FRAME + FRAME_HDR];

	pair_peer(&r);
	put(sv[1], buf, rawframe(buf, body, len));
	wait_for(&r.closed, 1, "the drop");
	ck_assert_int_eq(r.msgs, 0);
	ck_far_eof(sv[1]);
	if (logline != NULL)
		ck_logged(logline);
}

START_TEST(test_garbage_not_msgpack)
{
	/* 0xc1 is never used in msgpack. */
	expect_drop("\xc1\xc1\xc1", 3, "frame body is not one msgpack object");
}
END_TEST

START_TEST(test_garbage_truncated)
{
	/* A map of three pairs that stops after one key. */
	expect_drop("\x83\xa2to", 4, "frame body is not one msgpack object");
}
END_TEST

START_TEST(test_garbage_two_objects)
{
	char		 buf[256], body[512];
	size_t		 n = mkframe(buf, sizeof(buf), 1) - FRAME_HDR;

	/* A good envelope and a stray byte in one frame. */
	memcpy(body, buf + FRAME_HDR, n);
	body[n] = '\x01';
	expect_drop(body, n + 1, "frame body is not one msgpack object");
}
END_TEST

START_TEST(test_garbage_huge_count)
{
	/* An array header claiming 2^32-1 elements in a 5-byte body. */
	expect_drop("\xdd\xff\xff\xff\xff", 5,
	    "frame body is not one msgpack object");
}
END_TEST

START_TEST(test_garbage_not_envelope)
{
	expect_drop("\x05", 1, "Invalid message format; dropping");
}
END_TEST

START_TEST(test_garbage_bad_envelope)
{
	/* {"type": "Ping"}: valid msgpack, no address. */
	expect_drop("\x81\xa4type\xa4Ping", 11, "Missing or invalid 'to' "
	    "field");
}
END_TEST

START_TEST(test_garbage_unknown_type)
{
	char		 buf[256];
	size_t		 n;

	/* From another actord process a wrong type is a bug: dropped. */
	n = mkframe(buf, sizeof(buf), 1);
	memcpy(memmem(buf, n, "Ping", 4), "Pang", 4);
	expect_drop(buf + FRAME_HDR, n - FRAME_HDR,
	    "Unknown message type: Pang; dropping");
}
END_TEST

/* A small deterministic PRNG, so that a failure can be replayed. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Either delivered or dropped: a decision was made. */
static bool
decided(void *arg)
{
	const struct rec	*r = arg;

	return r->msgs > 0 || r->closed > 0;
}

/* Random and mutated bodies: each is delivered or dropped, no crash. */
START_TEST(test_garbage_random)
{
	static struct rec r[500];
	char		 good[256], body[MAX_FRAME], buf[MAX_FRAME + 8];
	uint32_t	 seed = 0x9e3779b9;
	size_t		 goodlen, len, j;
	int		 i, fds[2], dropped = 0;

	goodlen = mkframe(good, sizeof(good), 3) - FRAME_HDR;
	for (i = 0; i < 500; i++) {
		if (i < 200) {
			len = 1 + rnd(&seed) % 64;
			for (j = 0; j < len; j++)
				body[j] = (char)rnd(&seed);
		} else {
			len = goodlen;
			memcpy(body, good + FRAME_HDR, len);
			for (j = 1 + rnd(&seed) % 3; j > 0; j--)
				body[rnd(&seed) % len] = (char)rnd(&seed);
		}
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
		fd_peer(&r[i], fds[0]);
		put(fds[1], buf, rawframe(buf, body, len));
		ck_assert_msg(run_until(loop(), decided, &r[i], WAIT_MS),
		    "input %d: neither delivered nor dropped", i);
		ck_assert_msg(r[i].closed <= 1 && (r[i].closed == 1 ||
		    r[i].msgs == 1), "input %d: %d messages, %d closes", i,
		    r[i].msgs, r[i].closed);
		dropped += r[i].closed;
		close(fds[1]);
	}
	/* Nearly all random bytes are garbage. */
	ck_assert_int_gt(dropped, 190);
}
END_TEST

/* The commit hook: notes whether the far side could read already. */
static int
hook(void *arg)
{
	ck_assert_ptr_eq(arg, &hook_calls);
	hook_calls++;
	if (hook_fd != -1 && readable(&hook_fd))
		readable_at_hook++;
	return hook_result;
}

/* Read one frame from the far side and return its payload's seq. */
static int64_t
far_seq(int fd)
{
	msgpack_unpacked	 up;
	struct envelope		 env;
	enum err_code		 code;
	char			*body, why[256];
	size_t			 len, off = 0;
	const msgpack_object	*v;
	int64_t			 seq;

	ck_assert_int_eq(frame_read_fd(fd, MAX_FRAME, WAIT_MS, &body, &len),
	    0);
	msgpack_unpacked_init(&up);
	ck_assert_int_eq(msgpack_unpack_next(&up, body, len, &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(env_decode(&up.data, &env, &code, why, sizeof(why)),
	    0);
	ck_assert_ptr_nonnull(v = mp_get(env.payload, "seq"));
	seq = (int64_t)v->via.u64;
	msgpack_unpacked_destroy(&up);
	free(body);
	return seq;
}

/* peer_write holds the frame until the end of the loop turn. */
START_TEST(test_gate_turn)
{
	static struct rec	 r;
	struct peer	*p = pair_peer(&r);
	char		 buf[256];
	size_t		 n = mkframe(buf, sizeof(buf), 9);

	peer_set_commit_hook(hook, &hook_calls);
	hook_fd = sv[1];
	ck_assert_int_eq(peer_write(p, buf, n), 0);
	/* Nothing has left yet, and nothing is committed. */
	ck_assert(!readable(&sv[1]));
	ck_assert_int_eq(hook_calls, 0);
	ck_assert_uint_eq(peer_unsent(p), n);
	ck_assert_uint_eq(peer_stats(p)->msgs_out, 1);
	ck_assert_uint_eq(peer_stats(p)->bytes_out, n);
	/* The end of the turn: commit, then send. */
	ck_assert(run_until(loop(), readable, &sv[1], WAIT_MS));
	ck_assert_int_eq(hook_calls, 1);
	ck_assert_msg(readable_at_hook == 0, "bytes left before the commit");
	ck_assert_int_eq(far_seq(sv[1]), 9);
	ck_assert_uint_eq(peer_unsent(p), 0);
}
END_TEST

/* peer_flush commits and releases now; the turn's end adds nothing. */
START_TEST(test_gate_flush)
{
	static struct rec	 r;
	struct peer	*p = pair_peer(&r);
	char		 buf[256];
	size_t		 n = mkframe(buf, sizeof(buf), 3);

	peer_set_commit_hook(hook, &hook_calls);
	hook_fd = sv[1];
	ck_assert_int_eq(peer_write(p, buf, n), 0);
	peer_flush();
	ck_assert_int_eq(hook_calls, 1);
	ck_assert_int_eq(readable_at_hook, 0);
	ck_assert(run_until(loop(), readable, &sv[1], WAIT_MS));
	ck_assert_int_eq(far_seq(sv[1]), 3);
	/* Nothing held: no second commit at the end of the turn. */
	event_base_loop(loop(), EVLOOP_NONBLOCK);
	event_base_loop(loop(), EVLOOP_NONBLOCK);
	ck_assert_int_eq(hook_calls, 1);
	/* A flush with nothing held commits nothing. */
	peer_flush();
	ck_assert_int_eq(hook_calls, 1);
}
END_TEST

/* One commit for a whole turn, whatever was written to whom. */
START_TEST(test_gate_one_commit)
{
	static struct rec	 r1, r2;
	struct peer	*p1 = pair_peer(&r1), *p2;
	char		 buf[256];
	int		 fds[2], i;
	size_t		 n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	p2 = fd_peer(&r2, fds[0]);
	peer_set_commit_hook(hook, &hook_calls);
	for (i = 0; i < 3; i++) {
		n = mkframe(buf, sizeof(buf), i);
		ck_assert_int_eq(peer_write(p1, buf, n), 0);
		n = mkframe(buf, sizeof(buf), 10 + i);
		ck_assert_int_eq(peer_write(p2, buf, n), 0);
	}
	ck_assert(run_until(loop(), readable, &fds[1], WAIT_MS));
	ck_assert(run_until(loop(), readable, &sv[1], WAIT_MS));
	ck_assert_int_eq(hook_calls, 1);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(far_seq(sv[1]), i);
		ck_assert_int_eq(far_seq(fds[1]), 10 + i);
	}
	close(fds[1]);
}
END_TEST

START_TEST(test_gate_touch)
{
	/* A turn that changed state but sends nothing still commits. */
	loop();
	peer_set_commit_hook(hook, &hook_calls);
	peer_touch();
	ck_assert_int_eq(hook_calls, 0);
	wait_for(&hook_calls, 1, "the commit");
	event_base_loop(loop(), EVLOOP_NONBLOCK);
	ck_assert_int_eq(hook_calls, 1);
}
END_TEST

/* A failed commit is fatal, and nothing of the turn is sent. */
START_TEST(test_gate_commit_fails)
{
	char	 buf[256];
	size_t	 n = mkframe(buf, sizeof(buf), 1);
	pid_t	 pid;
	int	 status;

	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		static struct rec	 r;
		struct peer	*p;

		if (base != NULL)	/* CK_FORK=no: the parent's base */
			event_reinit(base);
		p = pair_peer(&r);

		hook_result = -1;
		peer_set_commit_hook(hook, &hook_calls);
		peer_write(p, buf, n);
		event_base_loop(loop(), EVLOOP_ONCE);
		_exit(0);		/* not reached */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "status %d", status);
	ck_assert_int_eq(unread(sv[1]), 0);
	ck_logged("commit failed");
}
END_TEST

static bool
all_sent(void *arg)
{
	return peer_unsent(arg) == 0;
}

/* A frame of a whole MiB each way, many reads and writes long. */
START_TEST(test_big_frames)
{
	static struct rec	 r;
	struct peer	*p;
	char		*buf;
	size_t		 n, size = FRAME_MAX_DEFAULT + 64;
	pid_t		 pid;
	int		 status;

	lim.max_frame = FRAME_MAX_DEFAULT;
	lim.high_water = 64 * 1024;
	lim.max_queue = 4 * FRAME_MAX_DEFAULT;
	p = pair_peer(&r);
	buf = malloc(size);
	n = mkframe_pad(buf, size, MSG_PING, 8, FRAME_MAX_DEFAULT - 100);
	ck_assert_uint_le(n - FRAME_HDR, FRAME_MAX_DEFAULT);
	ck_assert_uint_gt(n - FRAME_HDR, FRAME_MAX_DEFAULT - 100);

	/* In: a writer process, since the socket holds far less. */
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		size_t	 off = 0;
		ssize_t	 w;

		while (off < n && (w = write(sv[1], buf + off, n - off)) > 0)
			off += (size_t)w;
		free(buf);	/* no leak report from a memory checker */
		_exit(off == n ? 0 : 1);
	}
	wait_for(&r.msgs, 1, "the big message");
	ck_assert_int_eq(r.num[0], 8);
	ck_assert_uint_eq(peer_stats(p)->bytes_in, n);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Out: a reader process checks the frame it gets. */
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		char	*body;
		size_t	 len;

		int	 same;

		if (frame_read_fd(sv[1], FRAME_MAX_DEFAULT, WAIT_MS, &body,
		    &len) == -1)
			_exit(2);
		same = len == n - FRAME_HDR &&
		    memcmp(body, buf + FRAME_HDR, len) == 0;
		free(body);
		free(buf);
		_exit(same ? 0 : 1);
	}
	ck_assert_int_eq(peer_write(p, buf, n), 0);
	ck_assert(run_until(loop(), all_sent, p, WAIT_MS));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the reader got something else: status %d", status);
	free(buf);
}
END_TEST

/* Past max_queue unsent bytes the peer is dropped, its queue with it. */
START_TEST(test_max_queue)
{
	static struct rec	 r;
	struct peer	*p;
	char		 buf[256];
	size_t		 n, total = 0;
	int		 i, rc = 0;

	lim.max_queue = 1000;
	p = pair_peer(&r);
	n = mkframe(buf, sizeof(buf), 1);
	for (i = 0; i < 100 && rc == 0; i++) {
		rc = peer_write(p, buf, n);
		if (rc == 0) {
			total += n;
			ck_assert_uint_le(total, 1000);
			ck_assert_int_eq(r.closed, 0);
		}
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_uint_gt(total + n, 1000);
	ck_assert_int_eq(r.closed, 1);
	ck_assert_ptr_null(r.p);
	/* Dropped: nothing of the held frames leaves. */
	ck_far_eof(sv[1]);
	ck_logged("over the queue limit of 1000; dropping the connection");
}
END_TEST

/* Over high_water the peer is congested; drained when it empties. */
START_TEST(test_congested_drained)
{
	static struct rec	 r;
	struct peer	*p;
	char		 buf[256];
	size_t		 n, total = 0;
	int		 i, got = 0;

	p = pair_peer(&r);
	n = mkframe(buf, sizeof(buf), 0);
	ck_assert(!peer_congested(p));
	for (i = 0; total <= lim.high_water; i++) {
		n = mkframe(buf, sizeof(buf), i);
		ck_assert_int_eq(peer_write(p, buf, n), 0);
		total += n;
	}
	ck_assert(peer_congested(p));
	ck_assert_uint_eq(peer_unsent(p), total);
	ck_assert_uint_eq(peer_all_unsent(), total);
	wait_for(&r.drained, 1, "drained");
	ck_assert(!peer_congested(p));
	ck_assert_uint_eq(peer_unsent(p), 0);
	for (; got < i; got++)
		ck_assert_int_eq(far_seq(sv[1]), got);
}
END_TEST

START_TEST(test_close_in_callback)
{
	static struct rec	 r;
	char		 buf[512];
	size_t		 n = 0;
	int		 i;

	/* Closing from the message callback: no more messages, no closed. */
	pair_peer(&r);
	r.close_on_msg = 1;
	for (i = 0; i < 3; i++)
		n += mkframe(buf + n, sizeof(buf) - n, i);
	put(sv[1], buf, n);
	wait_for(&r.msgs, 1, "the first message");
	ck_far_eof(sv[1]);
	ck_assert_int_eq(r.msgs, 1);
	ck_assert_int_eq(r.closed, 0);
}
END_TEST

START_TEST(test_close_by_owner)
{
	static struct rec	 r;
	struct peer	*p = pair_peer(&r);
	char		 buf[256];

	peer_close(p);
	r.p = NULL;
	ck_assert(!peer_is_up(p));
	ck_assert_int_eq(peer_write(p, buf, mkframe(buf, sizeof(buf), 1)), -1);
	ck_far_eof(sv[1]);
	ck_assert_int_eq(r.closed, 0);
}
END_TEST

START_TEST(test_far_end_closes)
{
	static struct rec	 r;
	struct peer	*p = pair_peer(&r);

	(void)p;
	close(sv[1]);
	sv[1] = -1;
	wait_for(&r.closed, 1, "closed");
	ck_assert_int_eq(r.msgs, 0);
}
END_TEST

/* A listening socket at tmpdir/name; accepted connections are peers. */
static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*s = arg;
	int		 c;

	(void)what;
	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) != -1) {
		ck_assert_int_lt(s->nconn, MAXCONN);
		fd_peer(&s->conn[s->nconn], c);
		s->nconn++;
	}
}

static void
sock_path(char *buf, size_t size, const char *name)
{
	ck_assert_int_lt(snprintf(buf, size, "%s/%s", tmpdir, name),
	    (int)size);
}

static void
server_start(struct server *s, const char *name)
{
	struct sockaddr_un	 sun;

	memset(s, 0, sizeof(*s));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	sock_path(sun.sun_path, sizeof(sun.sun_path), name);
	ck_assert_int_ne(s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0), -1);
	ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(s->fd, 16), 0);
	s->ev = event_new(loop(), s->fd, EV_READ | EV_PERSIST, accept_cb, s);
	ck_assert_ptr_nonnull(s->ev);
	event_add(s->ev, NULL);
}

static void
server_stop(struct server *s)
{
	event_free(s->ev);
	close(s->fd);
}

START_TEST(test_outbound_hello_first)
{
	static struct server	 s;
	static struct rec	 c;
	struct peer	*p;
	char		 path[108], buf[256];

	server_start(&s, "worker.sock");
	sock_path(path, sizeof(path), "worker.sock");
	p = path_peer(&c, path, "coordinator:main");
	/* Written before the connection is up: sent after the Hello. */
	ck_assert_int_eq(peer_write(p, buf, mkframe(buf, sizeof(buf), 1)), 0);
	wait_for(&c.connected, 1, "connected");
	ck_assert(peer_is_up(p));
	ck_assert_str_eq(peer_name(p), "worker.sock");
	wait_for(&s.nconn, 1, "the accept");
	wait_for(&s.conn[0].msgs, 2, "Hello and the message");
	ck_assert_int_eq(s.conn[0].type[0], MSG_HELLO);
	ck_assert_int_eq(s.conn[0].num[0], getpid());
	ck_assert_int_eq(s.conn[0].type[1], MSG_PING);
	ck_assert_int_eq(s.conn[0].num[1], 1);
	/* Hello names us, and is addressed to the socket's kind. */
	ck_assert_str_eq(s.conn[0].hello_from, "coordinator:main");
	ck_assert_str_eq(s.conn[0].hello_to, "worker:main");
	ck_assert_int_eq(s.conn[0].closed, 0);
	ck_assert_int_eq(c.closed, 0);
	server_stop(&s);
}
END_TEST

START_TEST(test_outbound_reconnect)
{
	static struct server	 s;
	static struct rec	 c;
	struct peer	*p;
	char		 path[108], buf[256];

	server_start(&s, "eventlog.sock");
	sock_path(path, sizeof(path), "eventlog.sock");
	p = path_peer(&c, path, "worker:main");
	wait_for(&s.nconn, 1, "the first connection");
	wait_for(&s.conn[0].msgs, 1, "the first Hello");
	ck_assert_int_eq(s.conn[0].type[0], MSG_HELLO);

	/* The far side goes away: closed, then a new connection. */
	peer_close(s.conn[0].p);
	s.conn[0].p = NULL;
	wait_for(&c.closed, 1, "closed");
	ck_assert_int_eq(c.connected, 1);
	/* Written while down: kept for the next connection. */
	ck_assert_int_eq(peer_write(p, buf, mkframe(buf, sizeof(buf), 77)),
	    0);
	wait_for(&c.connected, 2, "the reconnect");
	wait_for(&s.nconn, 2, "the second connection");
	wait_for(&s.conn[1].msgs, 2, "Hello again and the message");
	ck_assert_int_eq(s.conn[1].type[0], MSG_HELLO);
	ck_assert_str_eq(s.conn[1].hello_from, "worker:main");
	ck_assert_str_eq(s.conn[1].hello_to, "eventlog:main");
	ck_assert_int_eq(s.conn[1].type[1], MSG_PING);
	ck_assert_int_eq(s.conn[1].num[1], 77);
	ck_assert(peer_is_up(p));
	/* And once more. */
	peer_close(s.conn[1].p);
	s.conn[1].p = NULL;
	wait_for(&c.connected, 3, "the second reconnect");
	wait_for(&s.nconn, 3, "the third connection");
	wait_for(&s.conn[2].msgs, 1, "the third Hello");
	ck_assert_int_eq(c.closed, 2);
	server_stop(&s);
}
END_TEST

/* Nothing listens yet: retry until something does. */
START_TEST(test_outbound_listener_later)
{
	static struct server	 s;
	static struct rec	 c;
	struct peer	*p;
	char		 path[108], buf[256];

	sock_path(path, sizeof(path), "coordinator.sock");
	p = path_peer(&c, path, "worker:main");
	ck_assert(!peer_is_up(p));
	ck_assert_int_eq(peer_write(p, buf, mkframe(buf, sizeof(buf), 5)), 0);
	/* A few turns of failing to connect. */
	event_base_loop(loop(), EVLOOP_NONBLOCK);
	ck_assert(!peer_is_up(p));
	ck_assert_int_eq(c.connected, 0);
	ck_assert_int_eq(c.closed, 0);	/* never up, so never closed */

	server_start(&s, "coordinator.sock");
	wait_for(&c.connected, 1, "connected");
	wait_for(&s.nconn, 1, "the accept");
	wait_for(&s.conn[0].msgs, 2, "Hello and the message");
	ck_assert_int_eq(s.conn[0].type[0], MSG_HELLO);
	ck_assert_int_eq(s.conn[0].num[1], 5);
	server_stop(&s);
}
END_TEST

/* A socket file nobody listens on (a dead process's): refused, retried. */
START_TEST(test_outbound_stale_socket)
{
	static struct server	 s;
	static struct rec	 c;
	struct peer	*p;
	char		 path[108];

	server_start(&s, "gateway.sock");
	server_stop(&s);		/* the file stays */
	sock_path(path, sizeof(path), "gateway.sock");
	p = path_peer(&c, path, "system:main");
	event_base_loop(loop(), EVLOOP_NONBLOCK);
	ck_assert(!peer_is_up(p));
	unlink(path);
	server_start(&s, "gateway.sock");
	wait_for(&c.connected, 1, "connected");
	wait_for(&s.nconn, 1, "the accept");
	wait_for(&s.conn[0].msgs, 1, "Hello");
	ck_assert_int_eq(s.conn[0].type[0], MSG_HELLO);
	server_stop(&s);
}
END_TEST

/* An outbound peer that is down sheds its backlog instead of dying. */
START_TEST(test_outbound_backlog_limit)
{
	static struct server	 s;
	static struct rec	 c;
	struct peer	*p;
	char		 path[108], buf[256];
	size_t		 n;
	int		 i, rc = 0;

	lim.max_queue = 1000;
	sock_path(path, sizeof(path), "worker.sock");
	p = path_peer(&c, path, "coordinator:main");
	n = mkframe(buf, sizeof(buf), 1);
	for (i = 0; i < 100 && rc == 0; i++)
		rc = peer_write(p, buf, n);
	ck_assert_int_eq(rc, -1);
	ck_logged("over the queue limit of 1000; dropping its backlog");
	ck_assert_int_eq(c.closed, 0);
	/* It lives on: the next frame is queued, the dropped ones are gone. */
	ck_assert_int_eq(peer_write(p, buf, mkframe(buf, sizeof(buf), 99)),
	    0);
	server_start(&s, "worker.sock");
	wait_for(&c.connected, 1, "connected");
	wait_for(&s.nconn, 1, "the accept");
	wait_for(&s.conn[0].msgs, 2, "Hello and the message");
	ck_assert_int_eq(s.conn[0].type[0], MSG_HELLO);
	ck_assert_int_eq(s.conn[0].num[1], 99);
	server_stop(&s);
}
END_TEST

/* A listener at tmpdir/name and an outbound peer to it, connected. */
static struct peer *
outbound_up(struct server *s, struct rec *c, const char *name)
{
	struct peer	*p;
	char		 path[108];

	server_start(s, name);
	sock_path(path, sizeof(path), name);
	p = path_peer(c, path, "worker:main");
	wait_for(&c->connected, 1, "connected");
	wait_for(&s->nconn, 1, "the accept");
	return p;
}

/*
 * The far side sends half a frame and goes: the outbound peer reconnects,
 * and the new connection's first frame is read as such, not as the rest
 * of the old one.
 */
START_TEST(test_outbound_reconnect_half_frame)
{
	static struct server	 s;
	static struct rec	 c;
	struct peer	*p;
	char		 buf[256];
	size_t		 n;

	p = outbound_up(&s, &c, "coordinator.sock");
	wait_for(&s.conn[0].msgs, 1, "the Hello");
	n = mkframe_pad(buf, sizeof(buf), MSG_PING, 1, 100);
	put(peer_fd(s.conn[0].p), buf, n / 2);
	/* Until the outbound peer has taken the half frame from the kernel. */
	ck_assert(run_until(loop(), kernel_empty, &(int){ peer_fd(p) },
	    WAIT_MS));
	ck_assert_uint_eq(peer_unread(p), n / 2);
	peer_close(s.conn[0].p);
	s.conn[0].p = NULL;
	wait_for(&c.closed, 1, "closed");
	ck_assert_uint_eq(peer_unread(p), 0);
	wait_for(&c.connected, 2, "the reconnect");
	wait_for(&s.nconn, 2, "the second connection");
	wait_for(&s.conn[1].msgs, 1, "the second Hello");
	n = mkframe(buf, sizeof(buf), 2);
	put(peer_fd(s.conn[1].p), buf, n);
	wait_for(&c.msgs, 1, "the new connection's frame");
	ck_assert_int_eq(c.msgs, 1);
	ck_assert_int_eq(c.num[0], 2);
	ck_assert_int_eq(c.closed, 1);
	ck_assert(peer_is_up(p));
	ck_assert_uint_eq(peer_unread(p), 0);
	server_stop(&s);
}
END_TEST

/*
 * An outbound peer fails inside its own message callback, with more
 * frames of the same read waiting: the callback can still read its frame,
 * the rest is never delivered, and after the reconnect only the new
 * connection's frames are.
 */
START_TEST(test_outbound_fail_in_callback)
{
	static struct server	 s;
	static struct rec	 c;
	struct peer	*p;
	char		 buf[512];
	size_t		 n = 0;
	int		 i;

	p = outbound_up(&s, &c, "eventlog.sock");
	c.fail_on_msg = 1;
	for (i = 1; i <= 3; i++)
		n += mkframe(buf + n, sizeof(buf) - n, i);
	n += mkframe(buf + n, sizeof(buf) - n, 4) / 2;	/* and half a 4th */
	put(peer_fd(s.conn[0].p), buf, n);
	wait_for(&c.closed, 1, "closed");
	ck_assert_int_eq(c.msgs, 1);
	ck_assert_int_eq(c.num[0], 1);
	ck_assert_int_eq(c.seq_after_fail, 1);
	ck_assert_uint_eq(c.unread_after_fail, 0);
	ck_logged("over the queue limit");
	wait_for(&c.connected, 2, "the reconnect");
	wait_for(&s.nconn, 2, "the second connection");
	n = mkframe(buf, sizeof(buf), 5);
	put(peer_fd(s.conn[1].p), buf, n);
	wait_for(&c.msgs, 2, "the new connection's frame");
	ck_assert_int_eq(c.num[1], 5);
	/* Nothing else: the old frames 2-4 are gone. */
	ck_assert(!run_until(loop(), reached, &(struct at_least){ &c.msgs, 3 },
	    100));
	ck_assert_int_eq(c.closed, 1);
	ck_assert(peer_is_up(p));
	server_stop(&s);
}
END_TEST

/* A brokered peer to kind: the test is its broker. */
static struct peer *
brokered_peer(struct rec *r, const char *kind)
{
	struct peer	*p;

	memset(r, 0, sizeof(*r));
	loop();
	p = peer_new_brokered(kind, &lim, &cbs, r);
	track(r, p, 1);
	return p;
}

/* Be the broker: a connection to tmpdir/name, Hello said as from. */
static int
broker_connect(const char *name, const char *from)
{
	char	 path[108];
	int	 fd;

	sock_path(path, sizeof(path), name);
	ck_assert_msg((fd = peer_connect_as(path, from, NULL)) != -1,
	    "peer_connect_as %s: %s", path, strerror(errno));
	return fd;
}

/*
 * A brokered peer asks for its connection, from the loop; what it was
 * given carries the broker's Hello and nothing of its own before what
 * was written meanwhile; when it drops, the peer asks again, and again
 * after a refusal.
 */
START_TEST(test_brokered_given)
{
	static struct server	 s;
	static struct rec	 c;
	struct peer	*p;
	char		 buf[256];

	server_start(&s, "coordinator.sock");
	p = brokered_peer(&c, "coordinator");
	ck_assert_int_eq(c.wanted, 0);		/* not inside the call */
	ck_assert_int_eq(peer_write(p, buf, mkframe(buf, sizeof(buf), 1)), 0);
	wait_for(&c.wanted, 1, "the first ask");
	ck_assert(!peer_is_up(p));
	ck_assert_int_eq(peer_give_fd(p, broker_connect("coordinator.sock",
	    "session:0123abcd")), 0);
	ck_assert(peer_is_up(p));
	ck_assert_int_eq(c.connected, 1);
	ck_assert_str_eq(peer_name(p), "coordinator");
	wait_for(&s.nconn, 1, "the accept");
	wait_for(&s.conn[0].msgs, 2, "the Hello and the message");
	ck_assert_int_eq(s.conn[0].type[0], MSG_HELLO);
	ck_assert_str_eq(s.conn[0].hello_from, "session:0123abcd");
	ck_assert_str_eq(s.conn[0].hello_to, "coordinator:main");
	ck_assert_int_eq(s.conn[0].type[1], MSG_PING);
	ck_assert_int_eq(s.conn[0].num[1], 1);
	/* Up: another descriptor is not taken. */
	ck_assert_int_eq(peer_give_fd(p, broker_connect("coordinator.sock",
	    "session:other")), -1);
	ck_assert_int_eq(c.wanted, 1);

	/* The far side goes: asked again; refused; asked again. */
	wait_for(&s.nconn, 2, "the refused one's accept");
	peer_close(s.conn[0].p);
	s.conn[0].p = NULL;
	wait_for(&c.closed, 1, "closed");
	ck_assert_int_eq(peer_write(p, buf, mkframe(buf, sizeof(buf), 2)), 0);
	wait_for(&c.wanted, 2, "the second ask");
	peer_give_none(p);
	ck_assert(!peer_is_up(p));
	wait_for(&c.wanted, 3, "the ask after a refusal");
	ck_assert_int_eq(peer_give_fd(p, broker_connect("coordinator.sock",
	    "session:0123abcd")), 0);
	wait_for(&c.connected, 2, "connected again");
	wait_for(&s.nconn, 3, "the third accept");
	wait_for(&s.conn[2].msgs, 2, "the Hello and the message kept");
	ck_assert_int_eq(s.conn[2].type[0], MSG_HELLO);
	ck_assert_int_eq(s.conn[2].type[1], MSG_PING);
	ck_assert_int_eq(s.conn[2].num[1], 2);
	ck_assert_int_eq(s.conn[2].msgs, 2);
	server_stop(&s);
}
END_TEST

/* peer_connect_as fails at once: nothing there, nobody listening. */
START_TEST(test_connect_as_refused)
{
	static struct server	 s;
	char			 path[108];

	sock_path(path, sizeof(path), "worker.sock");
	ck_assert_int_eq(peer_connect_as(path, "session:x", NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	server_start(&s, "worker.sock");
	server_stop(&s);		/* the file stays */
	ck_assert_int_eq(peer_connect_as(path, "session:x", NULL), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
}
END_TEST

/* Send a frame of seq, with fd (SCM_RIGHTS) unless -1. */
static void
send_with_fd(int sock, int64_t seq, int fd)
{
	struct iovec	 iov;
	char		 buf[256];

	iov.iov_base = buf;
	iov.iov_len = mkframe(buf, sizeof(buf), seq);
	if (fd == -1)
		put(sock, buf, iov.iov_len);
	else
		ck_assert_int_eq(fd_send(sock, &iov, 1, fd),
		    (ssize_t)iov.iov_len);
}

/*
 * A peer that takes descriptors: each is the one that came with its
 * frame, whatever frames without one came between; past 8 waiting, more
 * are closed.
 */
START_TEST(test_take_fds)
{
	static struct rec	 r;
	struct peer	*p;
	int		 a[2], b[2], i;
	char		 c;

	ck_assert_int_eq(pipe(a), 0);
	ck_assert_int_eq(pipe(b), 0);
	p = pair_peer(&r);
	peer_take_fds(p);
	r.pop_fds = 1;
	send_with_fd(sv[1], 1, -1);
	send_with_fd(sv[1], 100, a[1]);
	send_with_fd(sv[1], 2, -1);
	send_with_fd(sv[1], 3, -1);
	send_with_fd(sv[1], 101, b[1]);
	close(a[1]);
	close(b[1]);
	wait_for(&r.msgs, 5, "five frames");
	ck_assert_int_eq(r.num[1], 100);
	ck_assert_int_eq(r.num[4], 101);
	/* Each frame's own: a byte written to it comes out of its pipe. */
	ck_assert_int_eq(write(r.fd[1], "a", 1), 1);
	ck_assert_int_eq(write(r.fd[4], "b", 1), 1);
	ck_assert_int_eq(read(a[0], &c, 1), 1);
	ck_assert_int_eq(c, 'a');
	ck_assert_int_eq(read(b[0], &c, 1), 1);
	ck_assert_int_eq(c, 'b');
	ck_assert(fcntl(r.fd[1], F_GETFD) & FD_CLOEXEC);
	close(r.fd[1]);
	close(r.fd[4]);
	ck_assert_int_eq(peer_next_fd(p), -1);

	/* Nine nobody takes: the ninth is closed, with a line. */
	r.pop_fds = 0;
	for (i = 0; i < 9; i++)
		send_with_fd(sv[1], 200 + i, a[0]);
	wait_for(&r.msgs, 14, "nine more frames");
	ck_logged("more than 8 descriptors waiting; one closed");
	for (i = 0; i < 8; i++)
		ck_assert_int_ge(close(peer_next_fd(p)), 0);
	ck_assert_int_eq(peer_next_fd(p), -1);
	close(a[0]);
	close(b[0]);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("peer");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_deliver);
	tcase_add_test(tc, test_split_reads);
	tcase_add_test(tc, test_many_one_write);
	tcase_add_test(tc, test_frames_then_eof);
	tcase_add_test(tc, test_frame_across_writes);
	tcase_add_test(tc, test_payload_formats);
	tcase_add_test(tc, test_close_in_callback);
	tcase_add_test(tc, test_close_by_owner);
	tcase_add_test(tc, test_far_end_closes);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_oversize_huge);
	tcase_add_test(tc, test_oversize_after_good);
	tcase_add_test(tc, test_zero_length);
	tcase_add_test(tc, test_garbage_not_msgpack);
	tcase_add_test(tc, test_garbage_truncated);
	tcase_add_test(tc, test_garbage_two_objects);
	tcase_add_test(tc, test_garbage_huge_count);
	tcase_add_test(tc, test_garbage_not_envelope);
	tcase_add_test(tc, test_garbage_bad_envelope);
	tcase_add_test(tc, test_garbage_unknown_type);
	tcase_add_test(tc, test_garbage_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("gate");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gate_turn);
	tcase_add_test(tc, test_gate_flush);
	tcase_add_test(tc, test_gate_one_commit);
	tcase_add_test(tc, test_gate_touch);
	tcase_add_test(tc, test_gate_commit_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_max_frame_exact);
	tcase_add_test(tc, test_big_frames);
	tcase_add_test(tc, test_max_queue);
	tcase_add_test(tc, test_congested_drained);
	suite_add_tcase(s, tc);

	tc = tcase_create("outbound");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_outbound_hello_first);
	tcase_add_test(tc, test_outbound_reconnect);
	tcase_add_test(tc, test_outbound_listener_later);
	tcase_add_test(tc, test_outbound_stale_socket);
	tcase_add_test(tc, test_outbound_backlog_limit);
	tcase_add_test(tc, test_outbound_reconnect_half_frame);
	tcase_add_test(tc, test_outbound_fail_in_callback);
	suite_add_tcase(s, tc);

	tc = tcase_create("brokered");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_brokered_given);
	tcase_add_test(tc, test_connect_as_refused);
	tcase_add_test(tc, test_take_fds);
	suite_add_tcase(s, tc);
	return s;
}
