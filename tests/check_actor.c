/*
 * Unit tests for the runtime's accept path (common/actor.c), over a real
 * listening socket and a real libevent loop: a connection whose Hello
 * named a session takes only what a client may send (`forbidden`
 * otherwise, before any actor is made for it; a reply or push dropped),
 * and from that session whatever `from` says; a second Hello, as anyone,
 * changes nothing; a session keeps one connection; a trusted connection
 * beside it is served as before.  No sleeps: every wait pumps the loop
 * until the answer is there, within a bound.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "actor.h"
#include "check_main.h"
#include "clock.h"
#include "config.h"
#include "frame.h"
#include "log.h"

#define TIMEOUT		30	/* seconds per test */
#define WAIT_MS		3000	/* longest wait for a frame */
#define QUIET_MS	100	/* "nothing comes": this long */

/* What the test kind's handlers and peer rule saw. */
static struct {
	int	 process_task;		/* ProcessTask handled */
	int	 get_state;		/* GetState handled */
	int	 resolved;		/* actors made by resolve */
	char	 last_from[ADDR_MAX + 1];
	char	 ups[1024];		/* "name+ name- ..." */
} seen;

static struct event_base	*base;
static struct config		 cfg;
static char			 tmpdir[64], sockpath[108];
static int			 saved_stderr = -1;

static int
handled_process_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	(void)self;
	(void)ob;
	seen.process_task++;
	snprintf(seen.last_from, sizeof(seen.last_from), "%s", env->from);
	return 0;
}

static int
handled_get_state(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct msg_worker_state	 m;

	seen.get_state++;
	snprintf(seen.last_from, sizeof(seen.last_from), "%s", env->from);
	memset(&m, 0, sizeof(m));
	snprintf(m.worker_id, sizeof(m.worker_id), "%s", self->name);
	outbox_msg(ob, NULL, env->from, MSG_WORKER_STATE, 1, &m);
	return 0;
}

static const struct handler handlers[] = {
	{ MSG_PROCESS_TASK,	handled_process_task,	0 },
	{ MSG_START_WORKER,	handled_process_task,	0 },
	{ MSG_GET_STATE,	handled_get_state,	0 },
};

static void
peer_up(const char *identity)
{
	size_t	 n = strlen(seen.ups);

	snprintf(seen.ups + n, sizeof(seen.ups) - n, "%s+ ", identity);
}

static void
peer_down(const char *identity)
{
	size_t	 n = strlen(seen.ups);

	snprintf(seen.ups + n, sizeof(seen.ups) - n, "%s- ", identity);
}

static const struct peer_rule peers[] = {
	{ NULL,		peer_up,	peer_down },
};

static const struct actor_kind	 test_kind;

/* As the worker does: StartWorker for an unknown name makes the actor. */
static struct actor *
resolve(const char *name, const struct envelope *env)
{
	if (env->type != MSG_START_WORKER)
		return NULL;
	seen.resolved++;
	return actor_spawn(&test_kind, name, NULL);
}

static const struct actor_kind	 test_kind = {
	.name = "worker",
	.handlers = handlers,
	.nhandlers = nitems(handlers),
	.peers = peers,
	.npeers = nitems(peers),
	.resolve = resolve,
};

/*
 * The runtime has no teardown (a process has one for its life): it is
 * set up once per process, which under CK_FORK=no is once for all the
 * tests, each of which uses identities of its own.
 */
static void
setup(void)
{
	struct sockaddr_un	 sun;
	char			 logpath[128];
	int			 fd;

	memset(&seen, 0, sizeof(seen));
	if (base != NULL)
		return;
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_actor.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	ck_assert_int_ne(fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC,
	    0600), -1);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_init("check_actor", LOG_INFO);
	config_defaults(&cfg);
	snprintf(cfg.run_dir, sizeof(cfg.run_dir), "%s", tmpdir);
	ck_assert_ptr_nonnull(base = event_base_new());
	rt_init(base, &cfg, "worker");
	rt_register(&test_kind);
	actor_spawn(&test_kind, "w1", NULL);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sockpath, sizeof(sockpath), "%s/worker.sock", tmpdir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(rt_listen(fd), 0);
}

/* Once per process: the log goes back to stderr, the directory goes. */
static void
cleanup(void)
{
	if (saved_stderr != -1) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	ck_rm_tree(tmpdir);
}

/*
 * What the peer rule saw of one identity, "+" up and "-" down, in order
 * (the earlier tests' connections may come and go meanwhile).
 */
static const char *
events_of(const char *identity)
{
	static char	 out[64];
	const char	*p = seen.ups;
	size_t		 n = strlen(identity), k = 0;

	while ((p = strstr(p, identity)) != NULL) {
		if ((p == seen.ups || p[-1] == ' ') &&
		    (p[n] == '+' || p[n] == '-') && k < sizeof(out) - 1)
			out[k++] = p[n];
		p += n;
	}
	out[k] = '\0';
	return out;
}

/* How many log lines hold needle. */
static int
logged(const char *needle)
{
	char	 p[128], buf[65536], *at;
	FILE	*fp;
	size_t	 n;
	int	 count = 0;

	snprintf(p, sizeof(p), "%s/log", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(p, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	for (at = buf; (at = strstr(at, needle)) != NULL; at++)
		count++;
	return count;
}

/* A frame to `to` from `from`, of type, with body packed by its shape. */
static void
cl_send(int fd, const char *to, const char *from, enum msg_type type,
    const char *id, const void *body)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;

	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_write(&sb, "\0\0\0\0", FRAME_HDR);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	env_pack_header(&pk, to, from, type, id, NULL, env_now_ms());
	if (body == NULL)
		msgpack_pack_map(&pk, 0);
	else
		msg_encode(&pk, msg_info(type)->shape, body);
	frame_put_len(sb.data, (uint32_t)(sb.size - FRAME_HDR));
	ck_assert_int_eq(write(fd, sb.data, sb.size), (ssize_t)sb.size);
	msgpack_sbuffer_destroy(&sb);
}

/* What was read from each client connection and not yet taken. */
static struct inbuf {
	int		 fd;
	size_t		 len;
	unsigned char	 buf[1 << 16];
} inbufs[8];

static struct inbuf *
inbuf_of(int fd)
{
	size_t	 i;

	for (i = 0; i < nitems(inbufs); i++)
		if (inbufs[i].fd == fd)
			return &inbufs[i];
	ck_abort_msg("no input buffer for fd %d", fd);
	return NULL;
}

/* Connect to the runtime's socket and say Hello as from. */
static int
cl_connect_client(const char *from, const char *client)
{
	struct sockaddr_un	 sun;
	struct msg_hello	 h;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	memset(&h, 0, sizeof(h));
	snprintf(h.client, sizeof(h.client), "%s", client);
	cl_send(fd, "worker:main", from, MSG_HELLO, "hello", &h);
	inbufs[fd % nitems(inbufs)].fd = fd;
	inbufs[fd % nitems(inbufs)].len = 0;
	return fd;
}

static int
cl_connect(const char *from)
{
	return cl_connect_client(from, "");
}

/* One frame read back: its envelope's strings. */
struct got {
	enum msg_type	 type;
	char		 to[ADDR_MAX + 1], from[ADDR_MAX + 1];
	char		 reply_to[ID_MAX + 1];
	char		 code[64];	/* an Error's */
};

/*
 * The next frame on fd within ms, the loop running meanwhile: 1, 0 when
 * none came, -1 at end of file.
 */
static int
cl_next(int fd, int ms, struct got *g)
{
	struct inbuf		*in = inbuf_of(fd);
	struct envelope		 env;
	msgpack_zone		 zone;
	msgpack_object		 obj;
	enum err_code		 code;
	char			 why[256];
	size_t			 body, off = 0;
	ssize_t			 n;
	int64_t			 end = mono_ms() + ms;

	for (;;) {
		if (in->len >= FRAME_HDR && in->len >= FRAME_HDR +
		    (body = frame_get_len(in->buf)))
			break;
		if (mono_ms() >= end)
			return 0;
		event_base_loop(base, EVLOOP_NONBLOCK);
		poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 1);
		if ((n = read(fd, in->buf + in->len, sizeof(in->buf) -
		    in->len)) == 0)
			return -1;
		if (n > 0)
			in->len += (size_t)n;
	}
	ck_assert(msgpack_zone_init(&zone, 4096));
	ck_assert_int_eq(msgpack_unpack((const char *)in->buf + FRAME_HDR, body,
	    &off, &zone, &obj), MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(env_decode(&obj, &env, &code, why, sizeof(why)), 0);
	memset(g, 0, sizeof(*g));
	g->type = env.type;
	snprintf(g->to, sizeof(g->to), "%s", env.to);
	snprintf(g->from, sizeof(g->from), "%s", env.from);
	snprintf(g->reply_to, sizeof(g->reply_to), "%s", env.reply_to);
	mp_strcpy(mp_get(env.payload, "code"), g->code, sizeof(g->code));
	msgpack_zone_destroy(&zone);
	memmove(in->buf, in->buf + FRAME_HDR + body, in->len - FRAME_HDR -
	    body);
	in->len -= FRAME_HDR + body;
	return 1;
}

/* The next frame must come, answering reply_to, of type. */
static void
expect(int fd, enum msg_type type, const char *reply_to, struct got *g)
{
	ck_assert_msg(cl_next(fd, WAIT_MS, g) == 1, "no answer to %s",
	    reply_to);
	ck_assert_msg(g->type == type, "%s: %s, not %s", reply_to,
	    msg_name(g->type), msg_name(type));
	ck_assert_str_eq(g->reply_to, reply_to);
}

/* Pump the loop for QUIET_MS: nothing may come on fd. */
static void
expect_nothing(int fd)
{
	struct got	 g;

	ck_assert_msg(cl_next(fd, QUIET_MS, &g) == 0, "unexpected %s",
	    msg_name(g.type));
}

/*
 * Ping from `from` as a barrier: every earlier message on fd was handled;
 * the Pong goes to to_self.
 */
static void
barrier(int fd, const char *from, const char *to_self)
{
	struct got	 g;

	cl_send(fd, "worker:w1", from, MSG_PING, "barrier", NULL);
	expect(fd, MSG_PONG, "barrier", &g);
	ck_assert_str_eq(g.to, to_self);
}

/*
 * A session's internal types are forbidden, before any actor is made for
 * them (StartWorker would make one); a reply is dropped; a client type is
 * handled, from the session whatever `from` says; the connection stays.
 */
START_TEST(test_session_forbidden)
{
	struct msg_process_task	 pt;
	struct msg_worker_id	 sw;
	struct got		 g;
	int			 fd;

	fd = cl_connect("session:aaaa");
	memset(&pt, 0, sizeof(pt));
	snprintf(pt.task_id, sizeof(pt.task_id), "forged");
	snprintf(pt.kind, sizeof(pt.kind), "echo");
	cl_send(fd, "worker:w1", "coordinator", MSG_PROCESS_TASK, "p1", &pt);
	expect(fd, MSG_ERROR, "p1", &g);
	ck_assert_str_eq(g.code, "forbidden");
	ck_assert_str_eq(g.to, "session:aaaa");

	memset(&sw, 0, sizeof(sw));
	snprintf(sw.worker_id, sizeof(sw.worker_id), "w9");
	cl_send(fd, "worker:w9", "coordinator", MSG_START_WORKER, "s1", &sw);
	expect(fd, MSG_ERROR, "s1", &g);
	ck_assert_str_eq(g.code, "forbidden");
	ck_assert_ptr_null(actor_find("worker:w9"));

	cl_send(fd, "worker:w1", "coordinator", MSG_TASK_ACCEPTED, "r1",
	    NULL);
	barrier(fd, "whoever:x", "session:aaaa");		/* no Error for r1 before */

	cl_send(fd, "worker:w1", "coordinator:main", MSG_GET_STATE, "g1",
	    NULL);
	expect(fd, MSG_WORKER_STATE, "g1", &g);
	ck_assert_str_eq(g.to, "session:aaaa");
	ck_assert_str_eq(seen.last_from, "session:aaaa");
	ck_assert_int_eq(seen.get_state, 1);
	ck_assert_int_eq(seen.process_task, 0);
	ck_assert_int_eq(seen.resolved, 0);
	/* One line at warning level per connection; the rest at debug. */
	ck_assert_int_eq(logged("session:aaaa sent ProcessTask, which a "
	    "client may not send: refused"), 1);
	ck_assert_int_eq(logged("session:aaaa sent StartWorker"), 0);
	barrier(fd, "whoever:x", "session:aaaa");
	close(fd);
}
END_TEST

/*
 * A session whose client named itself (?client=, in the Hello the gateway
 * said) sends ids "c/<client>/...": the coordinator's dedupe window keys
 * them by the id alone, so an id naming another client, or any such id
 * without a client, is refused.
 */
START_TEST(test_session_client_ids)
{
	struct got	 g;
	int		 fd, nc;

	fd = cl_connect_client("session:ffff", "alice");
	cl_send(fd, "worker:w1", "x", MSG_GET_STATE, "c/alice/client:ui|1",
	    NULL);
	expect(fd, MSG_WORKER_STATE, "c/alice/client:ui|1", &g);
	cl_send(fd, "worker:w1", "x", MSG_GET_STATE, "c/bob/client:ui|2",
	    NULL);
	expect(fd, MSG_ERROR, "c/bob/client:ui|2", &g);
	ck_assert_str_eq(g.code, "forbidden");
	cl_send(fd, "worker:w1", "x", MSG_GET_STATE, "c/alicex/client:ui|3",
	    NULL);
	expect(fd, MSG_ERROR, "c/alicex/client:ui|3", &g);
	ck_assert_str_eq(g.code, "forbidden");
	cl_send(fd, "worker:w1", "x", MSG_GET_STATE, "client:ui|4", NULL);
	expect(fd, MSG_WORKER_STATE, "client:ui|4", &g);
	nc = cl_connect("session:gggg");
	cl_send(nc, "worker:w1", "x", MSG_GET_STATE, "c/alice/client:ui|5",
	    NULL);
	expect(nc, MSG_ERROR, "c/alice/client:ui|5", &g);
	ck_assert_str_eq(g.code, "forbidden");
	close(nc);
	close(fd);
}
END_TEST

/*
 * Hello again on a session's connection, as a trusted process or as
 * another session: ignored.  The trusted connection keeps its route, and
 * the session's messages keep its name.
 */
START_TEST(test_session_hello_again)
{
	struct got	 g;
	int		 t, fd;

	t = cl_connect("coordinator");
	barrier(t, "coordinator:main", "coordinator:main");
	fd = cl_connect("session:bbbb");
	cl_send(fd, "worker:main", "coordinator", MSG_HELLO, "h2", NULL);
	cl_send(fd, "worker:main", "session:cccc", MSG_HELLO, "h3", NULL);
	cl_send(fd, "worker:w1", "session:cccc", MSG_PING, "q1", NULL);
	expect(fd, MSG_PONG, "q1", &g);
	ck_assert_str_eq(g.to, "session:bbbb");
	ck_assert_str_eq(events_of("session:cccc"), "");

	/* The runtime's own message for the coordinator goes to it. */
	ck_assert_int_eq(actor_send("worker:w1", "coordinator:main",
	    MSG_PING), 0);
	ck_assert_int_eq(cl_next(t, WAIT_MS, &g), 1);
	ck_assert_int_eq(g.type, MSG_PING);
	ck_assert_str_eq(g.to, "coordinator:main");
	expect_nothing(fd);
	ck_assert_str_eq(events_of("coordinator"), "+");
	ck_assert_str_eq(events_of("session:bbbb"), "+");
	close(fd);
	close(t);
}
END_TEST

/* A trusted connection's internal types are handled, from as sent. */
START_TEST(test_trusted_served)
{
	struct msg_process_task	 pt;
	int			 t;

	t = cl_connect("coordinator");
	memset(&pt, 0, sizeof(pt));
	snprintf(pt.task_id, sizeof(pt.task_id), "t1");
	snprintf(pt.kind, sizeof(pt.kind), "echo");
	cl_send(t, "worker:w1", "coordinator:main", MSG_PROCESS_TASK, "p2",
	    &pt);
	barrier(t, "coordinator:main", "coordinator:main");
	ck_assert_int_eq(seen.process_task, 1);
	ck_assert_str_eq(seen.last_from, "coordinator:main");
	close(t);
}
END_TEST

/*
 * A session connects again while its first connection is still open:
 * the newer one replaces it (a session gathers no connections).
 */
START_TEST(test_session_replaced)
{
	struct got	 g;
	int		 a, b;

	a = cl_connect("session:dddd");
	barrier(a, "coordinator:main", "session:dddd");
	b = cl_connect("session:dddd");
	barrier(b, "session:eeee", "session:dddd");
	ck_assert_int_eq(cl_next(a, WAIT_MS, &g), -1);	/* closed */
	ck_assert_str_eq(events_of("session:dddd"), "+-+");
	barrier(b, "session:eeee", "session:dddd");
	close(b);
}
END_TEST

/*
 * The parent's Inspect and the Inspected answer are not the process's
 * traffic (the supervisor asks once a second while the tree is watched):
 * the counters stay as they were.  A Ping on the same channel counts.
 */
START_TEST(test_inspect_uncounted)
{
	struct got	 g;
	uint64_t	 in, out;
	int		 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	inbufs[sv[1] % nitems(inbufs)].fd = sv[1];
	inbufs[sv[1] % nitems(inbufs)].len = 0;
	rt_adopt_parent(sv[0], "system:supervisor", NULL);
	in = rt_stats()->msgs_in;
	out = rt_stats()->msgs_out;
	cl_send(sv[1], "worker:main", "system:supervisor", MSG_INSPECT,
	    "look", NULL);
	expect(sv[1], MSG_INSPECTED, "look", &g);
	ck_assert_uint_eq(rt_stats()->msgs_in, in);
	ck_assert_uint_eq(rt_stats()->msgs_out, out);
	cl_send(sv[1], "worker:w1", "system:supervisor", MSG_PING, "ping",
	    NULL);
	expect(sv[1], MSG_PONG, "ping", &g);
	ck_assert_uint_eq(rt_stats()->msgs_in, in + 1);
	ck_assert_uint_eq(rt_stats()->msgs_out, out + 1);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("actor");
	TCase	*tc;

	atexit(cleanup);
	tc = tcase_create("untrusted");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_session_forbidden);
	tcase_add_test(tc, test_session_client_ids);
	tcase_add_test(tc, test_session_hello_again);
	tcase_add_test(tc, test_trusted_served);
	tcase_add_test(tc, test_session_replaced);
	suite_add_tcase(s, tc);
	tc = tcase_create("counters");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_inspect_uncounted);
	suite_add_tcase(s, tc);
	return s;
}
