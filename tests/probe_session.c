/*
 * probe_session: a session process running an attacker's code, for
 * tests/it_security.sh.
 *
 * The gateway starts it exactly as it starts a session it fork+execs (its
 * channel on fd 3; the test has the zygote down and the program slot run
 * this once).  It then does what a session does before it has a client:
 * reads the configuration, applies the session's sandbox
 * (session/sandbox.c), says Ready, and has the gateway make its
 * connections to the actors the way a session's runtime has them made
 * (ConnectActor, the descriptor passed back with ActorConnected).  From
 * there on it is the attacker, with nothing a session does not have but
 * one AF_UNIX socket made before the sandbox, to show that connect(2)
 * is refused even so.  It tries:
 *
 *  - socket(2) of any family, socketpair(2), connect(2) to an actor socket;
 *  - ProcessTask to the worker, TaskCompleted for a running task,
 *    StartWorker, each with a payload its handler would take;
 *  - every other type a client may not send, to every actor;
 *  - Hello as the worker process, the coordinator, the gateway and
 *    another session (PROBE_VICTIM), then a Ping from the victim's
 *    address (its Pong must come here, to us), and an AssignTask of its
 *    own: the task must run on the real worker, no ProcessTask come here;
 *
 * and checks that each connection still answers afterwards, with nothing
 * it did not ask for.  Then the gateway's side: a second Ready, as the
 * victim, changes the name of no new connection; no connection is made to
 * what is no actor's socket; twenty requests at once go past the rate.
 *
 * It prints one line on stderr, "probe-report <JSON>", and exits 0; the
 * test judges.
 *
 * Environment (the test's wrapper sets it): PROBE_VICTIM, another serving
 * session's address; PROBE_TASK, a task running on PROBE_WORKER.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "child.h"
#include "clock.h"
#include "config.h"
#include "envelope.h"
#include "frame.h"
#include "log.h"
#include "mpjson.h"
#include "../session/sandbox.h"

#define WAIT_MS		5000	/* for one answer */
#define TASK_WAIT_MS	15000	/* for a task to finish */

/* One of the connections the gateway made for us. */
struct aconn {
	const char	*kind;
	int		 fd;
	size_t		 len;
	unsigned char	 buf[1 << 17];
};

/* A frame read back. */
struct got {
	enum msg_type	 type;
	char		 to[ADDR_MAX + 1], from[ADDR_MAX + 1];
	char		 reply_to[ID_MAX + 1];
	char		 code[64];		/* an Error's */
	char		 status[32];		/* a TaskFinished's */
	json_t		*payload;
};

static struct aconn	 conns[] = {
	{ "coordinator", -1, 0, { 0 } },
	{ "worker", -1, 0, { 0 } },
	{ "eventlog", -1, 0, { 0 } },
	{ "system", -1, 0, { 0 } },
};
static char		 self[ADDR_MAX + 1];
static int		 seq;

static const char *
errname(int err)
{
	static char	 buf[32];

	switch (err) {
	case 0:
		return "allowed";
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	default:
		snprintf(buf, sizeof(buf), "errno %d", err);
		return buf;
	}
}

static int
err_of(long r)
{
	return r == -1 ? errno : 0;
}

/* Frame and write one message whose payload is p (taken). */
static int
put(int fd, const char *to, const char *from, enum msg_type type,
    const char *id, json_t *p)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	size_t		 off = 0;
	ssize_t		 n;
	int		 r = 0;

	if (p == NULL)
		p = json_object();
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_write(&sb, "\0\0\0\0", FRAME_HDR);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	env_pack_header(&pk, to, from, type, id, NULL, env_now_ms());
	mpjson_pack(&pk, p, 16);
	json_decref(p);
	frame_put_len(sb.data, (uint32_t)(sb.size - FRAME_HDR));
	while (off < sb.size) {
		if ((n = write(fd, sb.data + off, sb.size - off)) == -1) {
			if (errno == EINTR)
				continue;
			r = -1;
			break;
		}
		off += (size_t)n;
	}
	msgpack_sbuffer_destroy(&sb);
	return r;
}

/* Decode one frame body into g. */
static int
decode(const void *body, size_t len, struct got *g)
{
	struct envelope	 env;
	msgpack_zone	 zone;
	msgpack_object	 obj;
	enum err_code	 code;
	char		 why[256];
	size_t		 off = 0;
	int		 r = -1;

	memset(g, 0, sizeof(*g));
	if (!msgpack_zone_init(&zone, 4096))
		return -1;
	if (msgpack_unpack(body, len, &off, &zone, &obj) ==
	    MSGPACK_UNPACK_SUCCESS &&
	    env_decode(&obj, &env, &code, why, sizeof(why)) == 0) {
		g->type = env.type;
		snprintf(g->to, sizeof(g->to), "%s", env.to);
		snprintf(g->from, sizeof(g->from), "%s", env.from);
		snprintf(g->reply_to, sizeof(g->reply_to), "%s",
		    env.reply_to);
		mp_strcpy(mp_get(env.payload, "code"), g->code,
		    sizeof(g->code));
		mp_strcpy(mp_get(env.payload, "status"), g->status,
		    sizeof(g->status));
		g->payload = mpjson_from_msgpack(env.payload);
		r = 0;
	}
	msgpack_zone_destroy(&zone);
	return r;
}

/* The next frame on c within ms: 1, 0 if none came, -1 at its end. */
static int
next(struct aconn *c, int ms, struct got *g)
{
	struct pollfd	 pfd = { .fd = c->fd, .events = POLLIN };
	int64_t		 end = mono_ms() + ms;
	size_t		 body;
	ssize_t		 n;

	for (;;) {
		if (c->len >= FRAME_HDR && c->len >= FRAME_HDR +
		    (body = frame_get_len(c->buf))) {
			if (decode(c->buf + FRAME_HDR, body, g) == -1)
				return -1;
			memmove(c->buf, c->buf + FRAME_HDR + body,
			    c->len - FRAME_HDR - body);
			c->len -= FRAME_HDR + body;
			return 1;
		}
		if (mono_ms() >= end)
			return 0;
		if (poll(&pfd, 1, (int)(end - mono_ms())) <= 0)
			continue;
		if ((n = read(c->fd, c->buf + c->len, sizeof(c->buf) -
		    c->len)) == 0 || (n == -1 && errno != EINTR))
			return -1;
		if (n > 0)
			c->len += (size_t)n;
	}
}

/*
 * Wait for the answer to id on c; frames before it go to other (if not
 * NULL: counted by type).  1, 0 on a timeout, -1 if c ended.
 */
static int
answer(struct aconn *c, const char *id, int ms, struct got *g,
    int *other)
{
	int64_t	 end = mono_ms() + ms;
	int	 r;

	for (;;) {
		if ((r = next(c, (int)(end - mono_ms()), g)) != 1)
			return r;
		if (strcmp(g->reply_to, id) == 0)
			return 1;
		if (other != NULL && g->type < MSG_COUNT)
			other[g->type]++;
		json_decref(g->payload);
	}
}

/* What came back for id: the Error's code, the type, or why none. */
static const char *
outcome(struct aconn *c, const char *id, char *buf, size_t size)
{
	struct got	 g;
	int		 r = answer(c, id, WAIT_MS, &g, NULL);

	if (r == 0)
		return "none";
	if (r == -1)
		return "closed";
	snprintf(buf, size, "%s", g.type == MSG_ERROR ? g.code :
	    msg_name(g.type));
	json_decref(g.payload);
	return buf;
}

/* A fresh message id. */
static const char *
fresh_id(char *buf, size_t size, const char *what)
{
	snprintf(buf, size, "probe-%s-%d", what, ++seq);
	return buf;
}

/* Read a frame on the channel, with the descriptor it may carry. */
static int
chan_frame(struct got *g, int *fd)
{
	struct pollfd	 pfd = { .fd = CHILD_FD_CHAN, .events = POLLIN };
	unsigned char	 hdr[FRAME_HDR], *body;
	size_t		 got = 0, len, off = 0;
	ssize_t		 n;
	int		 one;

	*fd = -1;
	while (got < FRAME_HDR) {
		if (poll(&pfd, 1, WAIT_MS) != 1)
			return -1;
		if ((n = fd_recv(CHILD_FD_CHAN, hdr + got, FRAME_HDR - got,
		    &one)) <= 0)
			return -1;
		if (one != -1)
			*fd = one;
		got += (size_t)n;
	}
	len = frame_get_len(hdr);
	if (len == 0 || len > 65536 || (body = malloc(len)) == NULL)
		return -1;
	while (off < len) {
		if ((n = read(CHILD_FD_CHAN, body + off, len - off)) <= 0) {
			free(body);
			return -1;
		}
		off += (size_t)n;
	}
	n = decode(body, len, g);
	free(body);
	return (int)n;
}

/*
 * Ask the gateway for a connection to kind, as a session's runtime does:
 * its descriptor, or -1 when the answer is "not ok" or none came.
 */
static int
ask_connection(const char *kind)
{
	struct got	 g;
	char		 id[ID_MAX + 1];
	int		 fd;

	if (put(CHILD_FD_CHAN, "gateway:main", self, MSG_CONNECT_ACTOR,
	    fresh_id(id, sizeof(id), "connect"), json_pack("{s:s}", "kind",
	    kind)) == -1)
		return -1;
	for (;;) {
		if (chan_frame(&g, &fd) == -1)
			return -1;
		if (g.type == MSG_ACTOR_CONNECTED) {
			json_decref(g.payload);
			return fd;
		}
		json_decref(g.payload);
		if (fd != -1)
			close(fd);
	}
}

/* Our connection to c's kind. */
static int
get_connection(struct aconn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->len = 0;
	return (c->fd = ask_connection(c->kind)) == -1 ? -1 : 0;
}

/* Say Ready, as a session does first. */
static int
say_ready(const char *sid)
{
	char	 id[ID_MAX + 1];

	return put(CHILD_FD_CHAN, "gateway:main", self, MSG_READY,
	    fresh_id(id, sizeof(id), "ready"), json_pack("{s:i, s:s}", "pid",
	    (int)getpid(), "sessionId", sid));
}

static struct aconn *
conn_of(const char *kind)
{
	size_t	 i;

	for (i = 0; i < nitems(conns); i++)
		if (strcmp(conns[i].kind, kind) == 0)
			return &conns[i];
	return NULL;
}

/* A payload each internal type's handler would take. */
static json_t *
payload_for(enum msg_type type, const char *task, const char *worker)
{
	switch (type) {
	case MSG_PROCESS_TASK:
		return json_pack("{s:s, s:s, s:{s:s}}", "taskId", "forged-run",
		    "kind", "echo", "input", "value", "forged");
	case MSG_TASK_COMPLETED:
		return json_pack("{s:s, s:s, s:s}", "taskId", task,
		    "workerId", worker, "result", "forged");
	case MSG_TASK_FAILED:
		return json_pack("{s:s, s:s, s:s}", "taskId", task,
		    "workerId", worker, "error", "forged");
	case MSG_TASK_STARTED:
		return json_pack("{s:s, s:s}", "taskId", task, "workerId",
		    worker);
	case MSG_ABORT_TASK:
		return json_pack("{s:s}", "taskId", task);
	case MSG_START_WORKER:
		return json_pack("{s:s}", "workerId", "forged-w");
	case MSG_STOP_WORKER:
		return json_pack("{s:s}", "workerId", worker);
	case MSG_STREAM_OUTPUT:
		return json_pack("{s:s, s:b}", "taskId", task, "on", 1);
	case MSG_LOG_EVENT_ACK:
		return json_pack("{s:s, s:i}", "source", "coordinator:main",
		    "sourceSeq", 1000000);
	case MSG_PAUSE_QUEUE:
	case MSG_RESUME_QUEUE:
		return json_pack("{s:s}", "queue", "default");
	case MSG_CTL_SHUTDOWN:
	case MSG_CTL_STATUS:
		return json_object();
	case MSG_CTL_STOP:
	case MSG_CTL_RESTART:
		return json_pack("{s:s}", "name", "coordinator");
	case MSG_SESSIONS_CHANGED:
		return json_pack("{s:[], s:i, s:i, s:i}", "sessions", "count",
		    0, "idle", 0, "max", 1);
	default:
		return json_object();
	}
}

/*
 * If the StatusUpdated payload p shows task id ended (among the recent
 * ones), its status and result into into, and 1; else 0.
 */
static int
finished(const json_t *p, const json_t *id, json_t *into)
{
	const json_t	*t;
	const char	*st;
	size_t		 i;

	json_array_foreach(json_object_get(p, "recent"), i, t) {
		st = json_string_value(json_object_get(t, "status"));
		if (!json_equal(json_object_get(t, "taskId"), id) ||
		    st == NULL || (strcmp(st, "completed") != 0 &&
		    strcmp(st, "failed") != 0 && strcmp(st, "cancelled") != 0))
			continue;
		json_object_set(into, "status", json_object_get(t, "status"));
		json_object_set(into, "result", json_object_get(t, "result"));
		return 1;
	}
	return 0;
}

/* Where each kind's actor is: the worker's is the one running the task. */
static void
address_of(const struct aconn *c, const char *worker, char *buf,
    size_t size)
{
	if (strcmp(c->kind, "worker") == 0)
		snprintf(buf, size, "worker:%s", worker);
	else if (strcmp(c->kind, "system") == 0)
		snprintf(buf, size, "system:supervisor");
	else
		snprintf(buf, size, "%s:main", c->kind);
}

int
main(int argc, char *argv[])
{
	static struct config	 cfg;
	struct sockaddr_un	 sun;
	struct aconn		*c;
	struct got		 g;
	json_t			*report, *forged, *sandbox, *conn_ok;
	json_t			*not_refused, *up, *unasked, *after, *mine;
	json_t			*gw;
	static const char *const nokinds[] = { "session", "gateway",
				    "client", "nosuch" };
	const char		*victim = getenv("PROBE_VICTIM");
	const char		*task = getenv("PROBE_TASK");
	const char		*worker = getenv("PROBE_WORKER");
	char			 sid[17], id[ID_MAX + 1], to[ADDR_MAX + 1];
	char			 buf[64], *text;
	static char		 answers[MSG_COUNT][64];
	uint8_t			 rnd[8];
	size_t			 i;
	int			 spare, sp[2], t, r, n, fd, swept = 0;
	int			 other[MSG_COUNT + 1];

	(void)argc;
	(void)argv;
	log_init("probe", LOG_INFO);
	if (victim == NULL || task == NULL || worker == NULL) {
		fprintf(stderr, "probe: PROBE_VICTIM, PROBE_TASK and "
		    "PROBE_WORKER, please\n");
		return EXIT_USAGE;
	}
	/* What a session has before its sandbox: config, an id. */
	if (config_load_env(&cfg) == -1)
		return EXIT_USAGE;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return EXIT_SYSTEM;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(sid + 2 * i, 3, "%02x", rnd[i]);
	snprintf(self, sizeof(self), "session:%s", sid);
	/* And one thing more: an unconnected socket, to try connect(2). */
	if ((spare = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return EXIT_SYSTEM;
	if (sandbox_apply() == -1 || say_ready(sid) == -1)
		return EXIT_SYSTEM;

	report = json_object();
	json_object_set_new(report, "self", json_string(self));
	sandbox = json_object();
	json_object_set_new(sandbox, "socketUnix",
	    json_string(errname(err_of(socket(AF_UNIX, SOCK_STREAM, 0)))));
	json_object_set_new(sandbox, "socketInet",
	    json_string(errname(err_of(socket(AF_INET, SOCK_STREAM, 0)))));
	json_object_set_new(sandbox, "socketpair",
	    json_string(errname(err_of(socketpair(AF_UNIX, SOCK_STREAM, 0,
	    sp)))));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (child_socket_path(sun.sun_path, sizeof(sun.sun_path), cfg.run_dir,
	    "worker") == -1)
		return EXIT_USAGE;
	json_object_set_new(sandbox, "connect", json_string(errname(err_of(
	    connect(spare, (struct sockaddr *)&sun, sizeof(sun))))));
	json_object_set_new(report, "sandbox", sandbox);

	/* The connections a session gets, made by the gateway. */
	conn_ok = json_object();
	for (i = 0; i < nitems(conns); i++)
		json_object_set_new(conn_ok, conns[i].kind,
		    json_boolean(get_connection(&conns[i]) == 0));
	json_object_set_new(report, "connections", conn_ok);
	for (i = 0; i < nitems(conns); i++)
		if (conns[i].fd == -1)
			goto out;

	/* The forgeries that matter most, each with a payload that fits. */
	forged = json_object();
	c = conn_of("worker");
	snprintf(to, sizeof(to), "worker:%s", worker);
	fresh_id(id, sizeof(id), "ProcessTask");
	put(c->fd, to, "coordinator:main", MSG_PROCESS_TASK, id,
	    payload_for(MSG_PROCESS_TASK, task, worker));
	json_object_set_new(forged, "ProcessTask",
	    json_string(outcome(c, id, buf, sizeof(buf))));
	fresh_id(id, sizeof(id), "StartWorker");
	put(c->fd, "worker:forged-w", "coordinator:main", MSG_START_WORKER,
	    id, payload_for(MSG_START_WORKER, task, worker));
	json_object_set_new(forged, "StartWorker",
	    json_string(outcome(c, id, buf, sizeof(buf))));
	c = conn_of("coordinator");
	fresh_id(id, sizeof(id), "TaskCompleted");
	put(c->fd, "coordinator:main", "worker", MSG_TASK_COMPLETED, id,
	    payload_for(MSG_TASK_COMPLETED, task, worker));
	json_object_set_new(forged, "TaskCompleted",
	    json_string(outcome(c, id, buf, sizeof(buf))));
	json_object_set_new(report, "forged", forged);

	/*
	 * Every other type a client may not send, to every actor: an
	 * internal one must be refused with `forbidden`, a reply or push
	 * dropped.  A Ping last: its Pong comes after every answer.
	 */
	not_refused = json_array();
	for (i = 0; i < nitems(conns); i++) {
		c = &conns[i];
		address_of(c, worker, to, sizeof(to));
		for (t = 0; t < MSG_COUNT; t++) {
			answers[t][0] = '\0';
			if (msg_client_may_send(t) || t == MSG_HELLO)
				continue;
			snprintf(id, sizeof(id), "sweep-%s", msg_name(t));
			put(c->fd, to, "coordinator:main", t, id,
			    payload_for(t, task, worker));
			swept++;
		}
		put(c->fd, to, victim, MSG_PING, "sweep-end", NULL);
		while ((r = next(c, WAIT_MS, &g)) == 1) {
			json_decref(g.payload);
			if (strcmp(g.reply_to, "sweep-end") == 0)
				break;
			t = strncmp(g.reply_to, "sweep-", 6) == 0 ?
			    msg_lookup(g.reply_to + 6, strlen(g.reply_to + 6)) :
			    MSG_UNKNOWN;
			if (t != MSG_UNKNOWN)
				snprintf(answers[t], sizeof(answers[t]), "%s",
				    g.type == MSG_ERROR ? g.code :
				    msg_name(g.type));
		}
		if (r != 1) {
			json_array_append_new(not_refused, json_sprintf(
			    "%s: %s before the end", c->kind, r == 0 ?
			    "no answer" : "closed"));
			continue;
		}
		for (t = 0; t < MSG_COUNT; t++) {
			if (msg_client_may_send(t) || t == MSG_HELLO)
				continue;
			if (msg_info(t)->who == MSG_WHO_INTERNAL ?
			    strcmp(answers[t], "forbidden") == 0 :
			    answers[t][0] == '\0')
				continue;
			json_array_append_new(not_refused, json_sprintf(
			    "%s to %s: %s", msg_name(t), to, answers[t][0] ?
			    answers[t] : "none"));
		}
	}
	json_object_set_new(report, "swept", json_integer(swept));
	json_object_set_new(report, "notRefused", not_refused);

	/*
	 * Hello as someone else on every connection: as the worker process
	 * to the coordinator, as the coordinator to the worker and the event
	 * log, as the gateway to the supervisor, and as another session
	 * everywhere.  Had one taken, the coordinator and the worker would
	 * talk to us, or the victim's replies come here.
	 */
	for (i = 0; i < nitems(conns); i++) {
		c = &conns[i];
		address_of(c, worker, to, sizeof(to));
		put(c->fd, to, strcmp(c->kind, "coordinator") == 0 ? "worker" :
		    strcmp(c->kind, "system") == 0 ? "gateway:main" :
		    "coordinator", MSG_HELLO, fresh_id(id, sizeof(id), "hello"),
		    json_pack("{s:i}", "pid", 1));
		put(c->fd, to, victim, MSG_HELLO, fresh_id(id, sizeof(id),
		    "hello"), json_pack("{s:i}", "pid", 1));
	}
	c = conn_of("coordinator");
	/* A Ping from the victim's address: its Pong comes to us. */
	put(c->fd, "coordinator:main", victim, MSG_PING, "stamp", NULL);
	if (answer(c, "stamp", WAIT_MS, &g, NULL) == 1) {
		json_object_set_new(report, "pongTo", json_string(g.to));
		json_decref(g.payload);
	}
	/*
	 * A task of our own: the real worker must run it, and its end show
	 * in the coordinator's pushes (we subscribe for them), while no
	 * ProcessTask comes here.
	 */
	memset(other, 0, sizeof(other));
	after = json_object();
	put(c->fd, "coordinator:main", victim, MSG_SUBSCRIBE, "sub", NULL);
	if (answer(c, "sub", WAIT_MS, &g, other) == 1)
		json_decref(g.payload);
	put(c->fd, "coordinator:main", victim, MSG_ASSIGN_TASK, "assign",
	    json_pack("{s:s, s:{s:s}}", "kind", "echo", "input", "value",
	    "after-hello"));
	if (answer(c, "assign", WAIT_MS, &g, other) == 1) {
		json_object_set_new(after, "accepted",
		    json_string(msg_name(g.type)));
		mine = json_incref(json_object_get(g.payload, "taskId"));
		json_decref(g.payload);
		while (mine != NULL && next(c, TASK_WAIT_MS, &g) == 1) {
			if (g.type == MSG_STATUS_UPDATED &&
			    finished(g.payload, mine, after)) {
				json_decref(g.payload);
				break;
			}
			if (g.type < MSG_COUNT)
				other[g.type]++;
			json_decref(g.payload);
		}
		json_decref(mine);
	}
	put(c->fd, "coordinator:main", victim, MSG_UNSUBSCRIBE, "unsub", NULL);
	if (answer(c, "unsub", WAIT_MS, &g, other) == 1)
		json_decref(g.payload);
	json_object_set_new(after, "processTaskHere",
	    json_integer(other[MSG_PROCESS_TASK]));
	json_object_set_new(report, "assignAfterHello", after);

	/*
	 * Still served on every connection, and nothing came that we did
	 * not ask for (a route someone's Hello would have taken).
	 */
	up = json_object();
	unasked = json_object();
	for (i = 0; i < nitems(conns); i++) {
		c = &conns[i];
		address_of(c, worker, to, sizeof(to));
		memset(other, 0, sizeof(other));
		put(c->fd, to, victim, MSG_PING, fresh_id(id, sizeof(id), "up"),
		    NULL);
		r = answer(c, id, WAIT_MS, &g, other);
		json_object_set_new(up, c->kind, json_boolean(r == 1 &&
		    g.type == MSG_PONG && strcmp(g.to, self) == 0));
		if (r == 1)
			json_decref(g.payload);
		n = 0;
		for (t = 0; t < MSG_COUNT; t++)
			n += other[t];
		json_object_set_new(unasked, c->kind, json_integer(n));
	}
	json_object_set_new(report, "stillUp", up);
	json_object_set_new(report, "unasked", unasked);

	/*
	 * The gateway's side.  Ready again, as the victim, then a new
	 * connection: it still carries our name (the first Ready's).
	 */
	gw = json_object();
	say_ready(victim + strlen("session:"));
	c = conn_of("coordinator");
	if (get_connection(c) == 0) {
		put(c->fd, "coordinator:main", victim, MSG_PING, "again",
		    NULL);
		if (answer(c, "again", WAIT_MS, &g, NULL) == 1) {
			json_object_set_new(gw, "pongToAfterReady",
			    json_string(g.to));
			json_decref(g.payload);
		}
	}
	/* No connection to what is no actor's socket. */
	for (i = 0; i < nitems(nokinds); i++) {
		if ((fd = ask_connection(nokinds[i])) != -1) {
			close(fd);
			json_object_set_new(gw, nokinds[i], json_true());
		}
	}
	/* Twenty at once: past the bucket, "not ok". */
	n = r = 0;
	for (i = 0; i < 20; i++) {
		if ((fd = ask_connection("eventlog")) == -1) {
			r++;
			continue;
		}
		n++;
		c = conn_of("eventlog");
		if (c->fd != -1)
			close(c->fd);
		c->fd = fd;
		c->len = 0;
	}
	json_object_set_new(gw, "burstGiven", json_integer(n));
	json_object_set_new(gw, "burstRefused", json_integer(r));
	/* The last one given serves (the older ones are replaced). */
	c = conn_of("eventlog");
	put(c->fd, "eventlog:main", victim, MSG_PING, "last", NULL);
	r = answer(c, "last", WAIT_MS, &g, NULL);
	json_object_set_new(gw, "lastServes", json_boolean(r == 1 &&
	    strcmp(g.to, self) == 0));
	if (r == 1)
		json_decref(g.payload);
	json_object_set_new(report, "gateway", gw);

out:
	text = json_dumps(report, JSON_COMPACT);
	fprintf(stderr, "probe-report %s\n", text);
	free(text);
	json_decref(report);
	return 0;
}
