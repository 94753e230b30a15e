/*
 * actorctl: inspect and steer a running actord over its control socket.
 *
 * One request, one reply, blocking I/O: a control client needs no event
 * loop.  The task and queue commands send their requests to the
 * coordinator the same way, through CtlSend.  `logs -f` and `task watch`
 * (and `task submit --wait`) are the exceptions: they wait for pushes,
 * which the control socket cannot hand on, so they talk to the event
 * log's or the coordinator's socket directly, as any actor would.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <msgpack.h>

#include "actor.h"
#include "child.h"
#include "clock.h"
#include "config.h"
#include "envelope.h"
#include "frame.h"
#include "log.h"
#include "mpjson.h"
#include "version.h"

#define DEFAULT_TIMEOUT_MS	30000
#define SERVICE_RUN_DIR		"/run/actord"	/* RuntimeDirectory= */

static int		 jflag;		/* --json */
static int		 timeout_ms = DEFAULT_TIMEOUT_MS;
static int		 tflag;		/* -t given */
static char		 sock_path[CONFIG_PATH_MAX + 32];
static char		 run_dir[CONFIG_PATH_MAX];
static char		 self_addr[32];

static void __attribute__((noreturn))
usage(int code)
{
	char	 names[128];

	fprintf(code ? stderr : stdout,
"usage: actorctl [-j] [-c file | -s socket] [-t ms] command [args]\n"
"\n"
"Commands:\n"
"  status                   every process: state, pid, uptime, restarts,\n"
"                           last exit, memory, message counters, mailbox\n"
"  status --cluster         the same for every host of the cluster\n"
"  start NAME               start a stopped or failed process, wait until up\n"
"  stop NAME                stop a process (it stays down), wait until down\n"
"  restart NAME             stop and start a process, wait until up again\n"
"  kill NAME [SIGNAL]       send a signal (default TERM); for a fatal one,\n"
"                           wait until the process has exited\n"
"  wait NAME STATE [PID]    wait until NAME is in STATE (up, down, backoff,\n"
"                           starting, stopping, failed) with a pid != PID\n"
"  sessions                 the WebSocket sessions: pid, peer, age, messages\n"
"  inspect NAME             the process's own summary (queues, counters)\n"
"  send ADDRESS TYPE [JSON] deliver a message, print the reply as JSON\n"
"  logs [-n N] [-f]         the last N events of the event log; -f follows\n"
"  reload                   re-read the configuration (like SIGHUP)\n"
"  shutdown                 stop the whole tree and actord\n"
"  version                  versions of actorctl and actord\n"
"\n"
"Tasks and queues (the coordinator's):\n"
"  task submit KIND [JSON] [--queue Q] [--priority N] [--delay MS]\n"
"              [--worker W] [--id ID] [--attempts N] [--wait]\n"
"                           assign a task; JSON is its input; --wait: until\n"
"                           it ends, printing its result (exit 0 completed,\n"
"                           1 failed or cancelled)\n"
"  task get ID              a task's record: status, timings, input, result,\n"
"                           error, each attempt\n"
"  task list [--status S] [--kind K] [--queue Q] [--worker W] [--limit N]\n"
"            [--cursor C] [--all]\n"
"                           tasks, newest first (default 50; --all: all)\n"
"  task watch ID            wait until the task ends, printing its output as\n"
"                           it comes and then its result (exits as --wait)\n"
"  task retry ID            put a failed or cancelled task back in its queue\n"
"  task cancel ID           cancel a task that has not ended\n"
"  task delete ID           delete a task that has ended\n"
"  queue pause Q            start none of the queue's tasks until resumed\n"
"  queue resume Q           start them again\n"
"  worker add ID [--host H] register a worker (in a cluster: on host H, or\n"
"                           where the coordinator chooses); it starts at once\n"
"  worker remove ID         unregister it; its running task is queued again\n"
"  worker list              the workers: host, status, task, tasks done\n"
"\n"
"NAME is %s.\n"
"\n"
"Options:\n"
"  -j, --json     print JSON (read commands), for scripts\n"
"  -c FILE        find the control socket through this actord config\n"
"  -s SOCKET      the control socket (default: $RUN/actord.sock, where $RUN\n"
"                 is run_dir of the config; without one ./var/run, or\n"
"                 /run/actord when only the service's socket exists)\n"
"  -t MS          give up waiting after MS milliseconds (default %d, at\n"
"                 most %d; task watch and --wait: no limit by default)\n"
"\n"
"Exit codes: 0 done, 1 failed (refused, unknown name, timed out, an\n"
"Error reply to send or to a task command, the task failed or was\n"
"cancelled), 100 usage error, 111 cannot reach actord.\n",
	    child_list(names, sizeof(names), " or "), DEFAULT_TIMEOUT_MS,
	    TIMEOUT_MAX_MS);
	exit(code);
}

/*
 * Send one request: its payload is body, packed through its type's shape
 * (payload.h), the one actord decodes it with; NULL: {}.
 */
static int
send_request(int fd, const char *to, enum msg_type type, const char *id,
    const void *body)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	int		 r;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	env_pack_header(&pk, to, self_addr, type, id, NULL, env_now_ms());
	msg_encode(&pk, body != NULL ? msg_info(type)->shape : NULL, body);
	r = frame_write_fd(fd, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

struct reply {
	char			*buf;
	msgpack_unpacked	 up;
	struct envelope		 env;
};

/* Read frames until the reply to id (or any message if id is NULL). */
static int
read_reply(int fd, const char *id, struct reply *r, int wait_ms)
{
	enum err_code	 code;
	char		 why[256];
	size_t		 len;

	for (;;) {
		if (frame_read_fd(fd, 64 * 1024 * 1024, wait_ms, &r->buf,
		    &len) == -1)
			return -1;
		msgpack_unpacked_init(&r->up);
		if (mp_sane(r->buf, len) && msgpack_unpack_next(&r->up,
		    r->buf, len, NULL) == MSGPACK_UNPACK_SUCCESS && env_decode(&r->up.data, &r->env,
		    &code, why, sizeof(why)) == 0 && (id == NULL ||
		    strcmp(r->env.reply_to, id) == 0))
			return 0;
		msgpack_unpacked_destroy(&r->up);
		free(r->buf);
	}
}

static void
reply_free(struct reply *r)
{
	msgpack_unpacked_destroy(&r->up);
	free(r->buf);
}

static void __attribute__((noreturn))
unreachable(void)
{
	fprintf(stderr, "actorctl: cannot reach actord at %s: %s\n",
	    sock_path, strerror(errno));
	exit(EXIT_SYSTEM);
}

/* One round trip to the control socket; exits 111 when unreachable. */
static void
call(enum msg_type type, const void *body, struct reply *r)
{
	int	 fd;

	if ((fd = frame_connect(sock_path)) == -1)
		unreachable();
	if (send_request(fd, SUPERVISOR_ADDRESS, type, "1", body) == -1)
		unreachable();
	if (read_reply(fd, "1", r, timeout_ms + 2000) == -1) {
		if (errno == ETIMEDOUT)
			fprintf(stderr, "actorctl: no answer from actord "
			    "within %d ms\n", timeout_ms + 2000);
		else
			unreachable();
		exit(EXIT_FAILURE_RT);
	}
	close(fd);
}

static void
print_json(const msgpack_object *o)
{
	json_t	*j = mpjson_from_msgpack(o);

	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	fputc('\n', stdout);
	json_decref(j);
}

/* With --json, a failure without a reply: {ok: false, error}. */
static void
print_failure(const char *why)
{
	json_t	*j = json_pack("{s:b, s:s}", "ok", 0, "error", why);

	if (j == NULL)
		return;
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

static int
reply_ok(const struct reply *r)
{
	const msgpack_object	*ok = mp_get(r->env.payload, "ok");

	return ok != NULL && ok->type == MSGPACK_OBJECT_BOOLEAN &&
	    ok->via.boolean;
}

/* A reply that says ok: false (a reply without "ok" carries data). */
static int
reply_refused(const struct reply *r)
{
	const msgpack_object	*ok = mp_get(r->env.payload, "ok");

	return ok != NULL && ok->type == MSGPACK_OBJECT_BOOLEAN &&
	    !ok->via.boolean;
}

/* Print the error of a failed reply and return the exit code. */
static int
failed(const struct reply *r, const char *what)
{
	char	 err[512] = "failed";

	if (jflag)
		print_json(r->env.payload);
	mp_strcpy(mp_get(r->env.payload, "error"), err, sizeof(err));
	fprintf(stderr, "actorctl: %s: %s\n", what, err);
	return EXIT_FAILURE_RT;
}

static const char *
str_of(const msgpack_object *o, const char *key, char *buf, size_t size)
{
	if (mp_strcpy(mp_get(o, key), buf, size) == -1)
		snprintf(buf, size, "-");
	return buf;
}

static uint64_t
uint_of(const msgpack_object *o, const char *key)
{
	uint64_t	 v = 0;

	mp_uint(mp_get(o, key), &v);
	return v;
}

static const char *
fmt_ms(uint64_t ms, char *buf, size_t size)
{
	uint64_t	 s = ms / 1000;

	if (ms == 0)
		snprintf(buf, size, "-");
	else if (s < 60)
		snprintf(buf, size, "%llu.%llus", (unsigned long long)s,
		    (unsigned long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(buf, size, "%llum%02llus", (unsigned long long)s / 60,
		    (unsigned long long)s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lluh%02llum",
		    (unsigned long long)s / 3600,
		    (unsigned long long)s / 60 % 60);
	else
		snprintf(buf, size, "%llud%02lluh",
		    (unsigned long long)s / 86400,
		    (unsigned long long)s / 3600 % 24);
	return buf;
}

static const char *
fmt_bytes(uint64_t n, char *buf, size_t size)
{
	if (n == 0)
		snprintf(buf, size, "-");
	else if (n < 10 * 1024)
		snprintf(buf, size, "%llu", (unsigned long long)n);
	else if (n < 10 * 1024 * 1024)
		snprintf(buf, size, "%lluK", (unsigned long long)n / 1024);
	else
		snprintf(buf, size, "%lluM",
		    (unsigned long long)n / 1024 / 1024);
	return buf;
}

/*
 * status's table: its head, then one process a row, its keys as the
 * control socket's status has them (snake_case) or as a tree pushed to
 * clients (camelCase, status --cluster, which puts the host first).
 */
static void
print_process_head(int cluster)
{
	if (cluster)
		printf("%-10s ", "HOST");
	printf("%-12s %-9s %8s %9s %8s %7s %17s %7s  %s\n", "NAME", "STATE",
	    "PID", "UPTIME", "RESTARTS", "RSS", "MSGS IN/OUT", "MAILBOX",
	    "LAST EXIT");
}

static void
print_process(const char *host, const msgpack_object *p, int camel)
{
	char	 name[32], state[16], exit_[64], up[32], rss[32], box[32];
	char	 msgs[40];

	snprintf(msgs, sizeof(msgs), "%llu/%llu",
	    (unsigned long long)uint_of(p, camel ? "msgsIn" : "msgs_in"),
	    (unsigned long long)uint_of(p, camel ? "msgsOut" : "msgs_out"));
	if (host != NULL)
		printf("%-10s ", host);
	printf("%-12s %-9s %8llu %9s %8llu %7s %17s %7s  %s\n",
	    str_of(p, "name", name, sizeof(name)),
	    str_of(p, "state", state, sizeof(state)),
	    (unsigned long long)uint_of(p, "pid"),
	    fmt_ms(uint_of(p, camel ? "uptimeMs" : "uptime_ms"), up,
	    sizeof(up)),
	    (unsigned long long)uint_of(p, "restarts"),
	    fmt_bytes(uint_of(p, camel ? "rssBytes" : "rss_bytes"), rss,
	    sizeof(rss)), msgs,
	    fmt_bytes(uint_of(p, camel ? "mailboxBytes" : "mailbox_bytes"),
	    box, sizeof(box)),
	    str_of(p, camel ? "lastExit" : "last_exit", exit_,
	    sizeof(exit_)));
}

static int
cmd_status(void)
{
	struct reply		 r;
	const msgpack_object	*procs;
	char			 up[32], state[16], listen[128], ver[32];
	uint32_t		 i;
	int			 rc;

	call(MSG_CTL_STATUS, NULL, &r);
	if (reply_refused(&r)) {
		rc = failed(&r, "status");
		reply_free(&r);
		return rc;
	}
	if (jflag) {
		print_json(r.env.payload);
		reply_free(&r);
		return 0;
	}
	procs = mp_get(r.env.payload, "processes");
	print_process_head(0);
	for (i = 0; procs != NULL && procs->type == MSGPACK_OBJECT_ARRAY &&
	    i < procs->via.array.size; i++)
		print_process(NULL, &procs->via.array.ptr[i], 0);
	printf("actord %s, pid %llu, up %s, %s, %llu sessions, "
	    "listening on %s\n",
	    str_of(r.env.payload, "version", ver, sizeof(ver)),
	    (unsigned long long)uint_of(r.env.payload, "pid"),
	    fmt_ms(uint_of(r.env.payload, "uptime_ms"), up, sizeof(up)),
	    str_of(r.env.payload, "state", state, sizeof(state)),
	    (unsigned long long)uint_of(r.env.payload, "sessions"),
	    str_of(r.env.payload, "listen", listen, sizeof(listen)));
	reply_free(&r);
	return 0;
}

/* Copy an argument into a payload's string; -1 if it does not fit. */
static int
arg_copy(char *buf, size_t size, const char *arg)
{
	return snprintf(buf, size, "%s", arg) >= (int)size ? -1 : 0;
}

/* {name, timeoutMs}: start, stop, restart, inspect. */
static void
name_body(struct msg_name *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	/* Cut if too long: no process has such a name, actord says so. */
	arg_copy(m->name, sizeof(m->name), name);
	m->timeout_ms = (uint64_t)timeout_ms;
	m->has_timeout_ms = true;
}

/*
 * A signal by number, or by name with or without "SIG", as kill(1) takes
 * it: its number, or -1.
 */
static int
parse_signal(const char *name)
{
	unsigned long	 v;
	char		*end;
	int		 i;

	if (name[0] >= '0' && name[0] <= '9') {
		v = strtoul(name, &end, 10);
		return *end == '\0' && v > 0 && v < NSIG ? (int)v : -1;
	}
	for (i = 1; i < NSIG; i++) {
		const char *abbr = sigabbrev_np(i);

		if (abbr != NULL && (strcasecmp(name, abbr) == 0 ||
		    (strncasecmp(name, "SIG", 3) == 0 &&
		    strcasecmp(name + 3, abbr) == 0)))
			return i;
	}
	return -1;
}

/*
 * start, stop, restart, kill, wait: one process (name), body the request's
 * payload; wait for the change.
 */
static int
cmd_process(enum msg_type type, const char *verb, const char *name,
    const void *body)
{
	struct reply		 r;
	const msgpack_object	*p;
	char			 what[128], st[16], ex[64];

	call(type, body, &r);
	snprintf(what, sizeof(what), "%s %s", verb, name);
	if (!reply_ok(&r)) {
		int code = failed(&r, what);

		reply_free(&r);
		return code;
	}
	if (jflag)
		print_json(r.env.payload);
	else {
		p = mp_get(r.env.payload, "process");
		str_of(p, "state", st, sizeof(st));
		if (type == MSG_CTL_KILL && mp_get(r.env.payload,
		    "last_exit") != NULL)
			printf("%s: %s; now %s, pid %llu\n", name,
			    str_of(r.env.payload, "last_exit", ex, sizeof(ex)),
			    st, (unsigned long long)uint_of(p, "pid"));
		else if (uint_of(p, "pid") != 0)
			printf("%s: %s, pid %llu\n", name, st,
			    (unsigned long long)uint_of(p, "pid"));
		else
			printf("%s: %s\n", name, st);
	}
	reply_free(&r);
	return 0;
}

/* Commands whose reply is shown as it is: inspect, sessions, version. */
static int
cmd_show(enum msg_type type, const void *body, const char *what)
{
	struct reply	 r;
	int		 code = 0;

	call(type, body, &r);
	if (!reply_ok(&r))
		code = failed(&r, what);
	else if (type == MSG_CTL_SESSIONS && !jflag) {
		const msgpack_object	*s = mp_get(r.env.payload, "sessions"),
					*e;
		char			 id[40], peer[80], age[32];
		uint32_t		 i;

		printf("%-18s %8s %-24s %9s %10s %10s\n", "ID", "PID",
		    "PEER", "AGE", "MSGS IN", "MSGS OUT");
		for (i = 0; s && s->type == MSGPACK_OBJECT_ARRAY &&
		    i < s->via.array.size; i++) {
			e = &s->via.array.ptr[i];
			printf("%-18s %8llu %-24s %9s %10llu %10llu\n",
			    str_of(e, "id", id, sizeof(id)),
			    (unsigned long long)uint_of(e, "pid"),
			    str_of(e, "peer", peer, sizeof(peer)),
			    fmt_ms(uint_of(e, "ageMs"), age, sizeof(age)),
			    (unsigned long long)uint_of(e, "msgsIn"),
			    (unsigned long long)uint_of(e, "msgsOut"));
		}
	} else if (type == MSG_CTL_VERSION && !jflag) {
		char	 v[32];

		printf("actorctl %s\nactord %s (protocol %llu)\n",
		    ACTORD_VERSION, str_of(r.env.payload, "version", v,
		    sizeof(v)), (unsigned long long)uint_of(r.env.payload,
		    "protocol"));
	} else if (type == MSG_CTL_INSPECT && !jflag)
		print_json(mp_get(r.env.payload, "inspect"));
	else
		print_json(r.env.payload);
	reply_free(&r);
	return code;
}

static int
cmd_simple(enum msg_type type, const char *done)
{
	struct reply		 r;
	const msgpack_object	*errs;
	char			 e[300];
	uint32_t		 i;
	int			 code = 0;

	call(type, NULL, &r);
	if (!reply_ok(&r)) {
		code = failed(&r, msg_name(type) + 3);
		errs = mp_get(r.env.payload, "errors");
		for (i = 0; errs && errs->type == MSGPACK_OBJECT_ARRAY &&
		    i < errs->via.array.size; i++)
			if (mp_strcpy(&errs->via.array.ptr[i], e,
			    sizeof(e)) == 0)
				fprintf(stderr, "  %s\n", e);
	} else if (jflag)
		print_json(r.env.payload);
	else
		printf("%s\n", done);
	reply_free(&r);
	return code;
}

/*
 * CtlSend {to, type, payload, timeoutMs}: payload is packed (JSON, or a
 * struct through its type's shape) into sb, which the caller frees; to
 * and type must fit (1 if not, as actord would answer).
 */
static int
send_body(struct msg_ctl_send *m, msgpack_sbuffer *sb, const char *to,
    const char *type)
{
	memset(m, 0, sizeof(*m));
	if (arg_copy(m->to, sizeof(m->to), to) == -1) {
		fprintf(stderr, "actorctl: send: bad address: expected "
		    "<kind>:<name>\n");
		return EXIT_FAILURE_RT;
	}
	if (arg_copy(m->type, sizeof(m->type), type) == -1) {
		fprintf(stderr, "actorctl: send: unknown message type\n");
		return EXIT_FAILURE_RT;
	}
	m->payload.raw = sb->data;
	m->payload.len = sb->size;
	m->timeout_ms = (uint64_t)timeout_ms;
	m->has_timeout_ms = true;
	return 0;
}

static int
cmd_send(int argc, char *argv[])
{
	struct msg_ctl_send	 m;
	struct reply		 r;
	const msgpack_object	*reply;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	json_t			*payload = NULL;
	json_error_t		 err;
	int			 code = 0;

	if (argc < 2 || argc > 3)
		usage(EXIT_USAGE);
	if (argc == 3 && (payload = json_loads(argv[2],
	    JSON_DECODE_ANY, &err)) == NULL) {
		fprintf(stderr, "actorctl: send: bad JSON payload: %s\n",
		    err.text);
		return EXIT_USAGE;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (payload != NULL)
		mpjson_pack(&pk, payload, 64);
	else
		msgpack_pack_map(&pk, 0);
	json_decref(payload);
	if ((code = send_body(&m, &sb, argv[0], argv[1])) != 0) {
		msgpack_sbuffer_destroy(&sb);
		return code;
	}
	call(MSG_CTL_SEND, &m, &r);
	msgpack_sbuffer_destroy(&sb);
	if (!reply_ok(&r))
		code = failed(&r, "send");
	else {
		reply = mp_get(r.env.payload, "reply");
		print_json(reply);
		/* Delivered, but the actor refused it: scripts see 1. */
		if (mp_streq(mp_get(reply, "type"), msg_name(MSG_ERROR)))
			code = EXIT_FAILURE_RT;
	}
	reply_free(&r);
	return code;
}

/* Print one event as a log line (or JSON). */
static void
print_event(const msgpack_object *e)
{
	char		 lvl[17], src[129], msg[4097], ts[32];
	struct tm	 tm;
	time_t		 t;
	uint64_t	 ms = uint_of(e, "timestamp");

	if (jflag) {
		json_t	*j = mpjson_from_msgpack(e);

		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(j);
		fflush(stdout);
		return;
	}
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%6llu %s.%03lluZ %-5s %-20s %s\n",
	    (unsigned long long)uint_of(e, "seq"), ts,
	    (unsigned long long)(ms % 1000), str_of(e, "level", lvl,
	    sizeof(lvl)), str_of(e, "source", src, sizeof(src)),
	    str_of(e, "message", msg, sizeof(msg)));
	fflush(stdout);
}

/*
 * logs: GetEvents for the last n through the control socket; -f then
 * subscribes on the event log's own socket and prints every push.
 */
static int
cmd_logs(int argc, char *argv[])
{
	struct msg_ctl_send	 m;
	struct msg_range	 range;
	struct reply		 r;
	const msgpack_object	*ev, *reply;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	char			 path[CONFIG_PATH_MAX + 32];
	uint64_t		 last = 0, n = 20;
	uint32_t		 i;
	int			 ch, follow = 0, fd;

	optind = 1;
	while ((ch = getopt(argc, argv, "fn:")) != -1) {
		switch (ch) {
		case 'f':
			follow = 1;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	memset(&range, 0, sizeof(range));
	range.limit = n;
	range.has_limit = true;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msg_encode(&pk, msg_info(MSG_GET_EVENTS)->shape, &range);
	if (send_body(&m, &sb, EVENTLOG_ADDRESS,
	    msg_name(MSG_GET_EVENTS)) != 0)
		return EXIT_FAILURE_RT;
	call(MSG_CTL_SEND, &m, &r);
	msgpack_sbuffer_destroy(&sb);
	if (!reply_ok(&r)) {
		int code = failed(&r, "logs");

		reply_free(&r);
		return code;
	}
	reply = mp_get(r.env.payload, "reply");
	ev = mp_get(mp_get(reply, "payload"), "events");
	mp_uint(mp_get(mp_get(reply, "payload"), "lastSeq"), &last);
	for (i = 0; ev && ev->type == MSGPACK_OBJECT_ARRAY &&
	    i < ev->via.array.size; i++)
		print_event(&ev->via.array.ptr[i]);
	reply_free(&r);
	if (!follow)
		return 0;
	if (child_socket_path(path, sizeof(path), run_dir,
	    child_specs[CHILD_EVENTLOG].name) == -1 ||
	    (fd = frame_connect(path)) == -1) {
		fprintf(stderr, "actorctl: cannot reach the event log at %s: "
		    "%s\n", path, strerror(errno));
		return EXIT_SYSTEM;
	}
	/* Say who we are, so that pushes come back on this connection. */
	memset(&range, 0, sizeof(range));
	range.since = last;
	range.has_since = true;
	if (send_request(fd, self_addr, MSG_HELLO, "0", NULL) == -1 ||
	    send_request(fd, EVENTLOG_ADDRESS, MSG_SUBSCRIBE, "1",
	    &range) == -1) {
		fprintf(stderr, "actorctl: %s: %s\n", path, strerror(errno));
		return EXIT_SYSTEM;
	}
	for (;;) {
		if (read_reply(fd, NULL, &r, -1) == -1) {
			fprintf(stderr, "actorctl: the event log went away\n");
			return EXIT_FAILURE_RT;
		}
		if (r.env.type == MSG_LOG_EVENT)
			print_event(r.env.payload);
		reply_free(&r);
	}
}

/*
 * The tasks and queues of the coordinator: each a request to
 * coordinator:main through the control socket's CtlSend, its payload
 * packed through its type's shape.
 */

#define LIST_DEFAULT	50		/* tasks that task list prints */
#define WATCH_RETRY_MS	100		/* first wait to reconnect */
#define WATCH_RETRY_MAX	2000

/* The options of the task and queue commands. */
struct task_opts {
	const char	*queue, *status, *kind, *worker, *id, *cursor, *host;
	uint64_t	 priority, delay, limit, attempts;
	int		 has_priority, has_delay, has_attempts;
	int		 wait, all;
};

/* An Error reply from the coordinator: say why; 1. */
static int
refused(const msgpack_object *payload, const char *what)
{
	char	 err[ERROR_TEXT_MAX + 1], code[CODE_MAX + 1];

	if (jflag)
		print_json(payload);
	str_of(payload, "error", err, sizeof(err));
	str_of(payload, "code", code, sizeof(code));
	fprintf(stderr, "actorctl: %s: %s (%s)\n", what, err, code);
	return EXIT_FAILURE_RT;
}

/*
 * Send actor `to` a request of type with body (NULL: {}) and take its
 * reply: 0 with r holding it (the caller frees it) and *payload its
 * payload; or an exit code, why printed and r freed.
 */
static int
actor_request(const char *to, enum msg_type type, const void *body,
    const char *what, struct reply *r, const msgpack_object **payload)
{
	struct msg_ctl_send	 m;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	const msgpack_object	*reply;
	int			 code;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msg_encode(&pk, body != NULL ? msg_info(type)->shape : NULL, body);
	if ((code = send_body(&m, &sb, to, msg_name(type))) != 0) {
		msgpack_sbuffer_destroy(&sb);
		return code;
	}
	call(MSG_CTL_SEND, &m, r);
	msgpack_sbuffer_destroy(&sb);
	if (!reply_ok(r)) {
		code = failed(r, what);
		reply_free(r);
		return code;
	}
	reply = mp_get(r->env.payload, "reply");
	*payload = mp_get(reply, "payload");
	if (mp_streq(mp_get(reply, "type"), msg_name(MSG_ERROR))) {
		code = refused(*payload, what);
		reply_free(r);
		return code;
	}
	return 0;
}

static int
coord_request(enum msg_type type, const void *body, const char *what,
    struct reply *r, const msgpack_object **payload)
{
	return actor_request(COORDINATOR_ADDRESS, type, body, what, r,
	    payload);
}

/*
 * This host's tree as a client sees it: GetTree on $RUN/system.sock, the
 * socket beside the control socket.  0, or -1 with why printed.
 */
static int
local_tree(struct reply *r)
{
	char	 path[sizeof(sock_path)], *slash;
	int	 fd;

	snprintf(path, sizeof(path), "%s", sock_path);
	if ((slash = strrchr(path, '/')) != NULL)
		slash[1] = '\0';
	else
		path[0] = '\0';
	if (strlen(path) + sizeof(SYSTEM_SOCKET ".sock") > sizeof(path))
		return -1;
	strcat(path, SYSTEM_SOCKET ".sock");
	if ((fd = frame_connect(path)) == -1 ||
	    send_request(fd, SUPERVISOR_ADDRESS, MSG_HELLO, "0", NULL) == -1 ||
	    send_request(fd, SUPERVISOR_ADDRESS, MSG_GET_TREE, "1", NULL) ==
	    -1 || read_reply(fd, "1", r, timeout_ms) == -1) {
		fprintf(stderr, "actorctl: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * status --cluster: this host's tree from system.sock, with the hosts as
 * this host's link sees them (no coordinator needed: its host may be the
 * one down), and each other host's tree from its system:supervisor@<host>,
 * through the link.  A host that does not answer is shown with why.
 * --json: {hosts: [{host, up, processes | error}]}.
 */
static int
cmd_status_cluster(void)
{
	static const msgpack_object nil = { .type = MSGPACK_OBJECT_NIL };
	struct reply		 t, own;
	const msgpack_object	*hosts, *h, *up, *tree, *procs;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	char			 host[HOST_MAX + 1], self[HOST_MAX + 1];
	char			 to[ADDR_MAX + 1], what[80];
	uint32_t		 i, j;
	int			 here, rc = 0, quiet = jflag;

	if (local_tree(&own) == -1)
		return EXIT_SYSTEM;
	str_of(own.env.payload, "host", self, sizeof(self));
	if ((hosts = mp_get(own.env.payload, "hosts")) == NULL ||
	    hosts->type != MSGPACK_OBJECT_ARRAY) {
		fprintf(stderr, "actorctl: status --cluster: not a cluster "
		    "([cluster] host is not set)\n");
		reply_free(&own);
		return EXIT_FAILURE_RT;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, "hosts");
	msgpack_pack_array(&pk, hosts->via.array.size);
	if (!quiet)
		print_process_head(1);
	jflag = 0;	/* each host's failure on stderr, not as JSON */
	for (i = 0; i < hosts->via.array.size; i++) {
		h = &hosts->via.array.ptr[i];
		str_of(h, "host", host, sizeof(host));
		msgpack_pack_map(&pk, 3);
		mp_pack_kv_str(&pk, "host", host);
		mp_pack_str(&pk, "up");
		msgpack_pack_object(&pk, (up = mp_get(h, "up")) != NULL ?
		    *up : nil);
		snprintf(to, sizeof(to), SUPERVISOR_ADDRESS "@%s", host);
		snprintf(what, sizeof(what), "status of %s", host);
		if ((here = strcmp(host, self) == 0))
			tree = own.env.payload;
		else if (actor_request(to, MSG_GET_TREE, NULL, what, &t,
		    &tree) != 0) {
			mp_pack_kv_str(&pk, "error", "no answer");
			rc = EXIT_FAILURE_RT;
			continue;
		}
		procs = mp_get(tree, "processes");
		mp_pack_str(&pk, "processes");
		if (procs != NULL)
			msgpack_pack_object(&pk, *procs);
		else
			msgpack_pack_array(&pk, 0);
		for (j = 0; !quiet && procs != NULL &&
		    procs->type == MSGPACK_OBJECT_ARRAY &&
		    j < procs->via.array.size; j++)
			print_process(host, &procs->via.array.ptr[j], 1);
		if (!here)
			reply_free(&t);
	}
	jflag = quiet;
	if (jflag) {
		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, sb.data, sb.size, NULL) ==
		    MSGPACK_UNPACK_SUCCESS)
			print_json(&u.data);
		msgpack_unpacked_destroy(&u);
	}
	msgpack_sbuffer_destroy(&sb);
	reply_free(&own);
	return rc;
}

/* A value as JSON, strings quoted (a task's input and result); "-": none. */
static const char *
fmt_json(const msgpack_object *o, char *buf, size_t size)
{
	json_t	*j;
	char	*s;

	if (o == NULL || o->type == MSGPACK_OBJECT_NIL) {
		snprintf(buf, size, "-");
		return buf;
	}
	j = mpjson_from_msgpack(o);
	s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_PRESERVE_ORDER) : NULL;
	snprintf(buf, size, "%s", s != NULL ? s : "?");
	free(s);
	json_decref(j);
	return buf;
}

/* A value as one line: a string as it is, the rest as JSON; "-": none. */
static const char *
fmt_value(const msgpack_object *o, char *buf, size_t size)
{
	if (o != NULL && o->type == MSGPACK_OBJECT_STR) {
		snprintf(buf, size, "%.*s", (int)o->via.str.size,
		    o->via.str.ptr);
		return buf;
	}
	return fmt_json(o, buf, size);
}

/* A time in ms since the epoch as UTC "2026-11-26 12:00:01", or "-". */
static const char *
fmt_time(const msgpack_object *o, char *buf, size_t size)
{
	struct tm	 tm;
	uint64_t	 ms;
	time_t		 t;

	if (mp_uint(o, &ms) == -1 || ms == 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* A number, or "-" when the value is not one. */
static const char *
fmt_uint(const msgpack_object *o, char *buf, size_t size)
{
	uint64_t	 v;

	if (mp_uint(o, &v) == -1)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

/* A number from an option; exits 100 if it is not a whole one. */
static uint64_t
opt_uint(const char *opt, const char *arg)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0) {
		fprintf(stderr, "actorctl: --%s: '%s' is not a whole number "
		    "from 0 up\n", opt, arg);
		exit(EXIT_USAGE);
	}
	return v;
}

/*
 * Parse a task or queue command's options (argv[0] is the command, such
 * as "submit"); allowed names the ones it takes, by their short letter.
 * Returns the index of its first operand; exits 100 on a bad option.
 */
static int
task_options(int argc, char *argv[], const char *allowed,
    struct task_opts *o)
{
	static const struct option longopts[] = {
		{ "all",	no_argument,		NULL, 'A' },
		{ "attempts",	required_argument,	NULL, 'a' },
		{ "cursor",	required_argument,	NULL, 'C' },
		{ "delay",	required_argument,	NULL, 'd' },
		{ "host",	required_argument,	NULL, 'H' },
		{ "id",		required_argument,	NULL, 'i' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "kind",	required_argument,	NULL, 'k' },
		{ "limit",	required_argument,	NULL, 'n' },
		{ "priority",	required_argument,	NULL, 'p' },
		{ "queue",	required_argument,	NULL, 'q' },
		{ "status",	required_argument,	NULL, 'S' },
		{ "wait",	no_argument,		NULL, 'w' },
		{ "worker",	required_argument,	NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->limit = LIST_DEFAULT;
	optind = 0;		/* glibc: start over, options anywhere */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
		if (ch == 'j') {
			jflag = 1;
			continue;
		}
		if (ch == '?' || strchr(allowed, ch) == NULL) {
			fprintf(stderr, "actorctl: %s: unknown option '%s'\n",
			    argv[0], argv[optind - 1]);
			usage(EXIT_USAGE);
		}
		switch (ch) {
		case 'A':
			o->all = 1;
			break;
		case 'a':
			o->attempts = opt_uint("attempts", optarg);
			o->has_attempts = 1;
			break;
		case 'C':
			o->cursor = optarg;
			break;
		case 'd':
			o->delay = opt_uint("delay", optarg);
			o->has_delay = 1;
			break;
		case 'H':
			o->host = optarg;
			break;
		case 'i':
			o->id = optarg;
			break;
		case 'k':
			o->kind = optarg;
			break;
		case 'n':
			o->limit = opt_uint("limit", optarg);
			if (o->limit == 0) {
				fprintf(stderr, "actorctl: --limit: 0 lists "
				    "nothing; give 1 or more, or --all\n");
				exit(EXIT_USAGE);
			}
			break;
		case 'p':
			o->priority = opt_uint("priority", optarg);
			o->has_priority = 1;
			break;
		case 'q':
			o->queue = optarg;
			break;
		case 'S':
			o->status = optarg;
			break;
		case 'w':
			o->wait = 1;
			break;
		case 'W':
			o->worker = optarg;
			break;
		}
	}
	return optind;
}

/* Copy an operand or option into a payload's field; exits 1 if too long. */
static void
field_copy(char *buf, size_t size, const char *arg, const char *what)
{
	if (arg != NULL && arg_copy(buf, size, arg) == -1) {
		fprintf(stderr, "actorctl: %s '%.40s...' is too long (at most "
		    "%zu bytes)\n", what, arg, size - 1);
		exit(EXIT_FAILURE_RT);
	}
}

/* Decode base64 text in place; its length, or -1 if it is not base64. */
static ssize_t
base64_decode(char *s, size_t len)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char		*p;
	uint32_t		 acc = 0;
	size_t			 i, n = 0;
	int			 bits = 0;

	for (i = 0; i < len && s[i] != '='; i++) {
		if ((p = strchr(a, s[i])) == NULL || s[i] == '\0')
			return -1;
		acc = acc << 6 | (uint32_t)(p - a);
		if ((bits += 6) >= 8) {
			bits -= 8;
			s[n++] = (char)(acc >> bits & 0xff);
		}
	}
	return (ssize_t)n;
}

/* TaskOutput: what a running command wrote, as it wrote it. */
static void
print_output(const msgpack_object *p)
{
	const msgpack_object	*d = mp_get(p, "data");
	char			*buf;
	ssize_t			 n;
	FILE			*f;

	if (d == NULL || d->type != MSGPACK_OBJECT_STR)
		return;
	/* With --json, stdout is for the one JSON object at the end. */
	f = !jflag && mp_streq(mp_get(p, "stream"), "stdout") ? stdout :
	    stderr;
	if ((buf = malloc(d->via.str.size + 1)) == NULL)
		return;
	memcpy(buf, d->via.str.ptr, d->via.str.size);
	n = (ssize_t)d->via.str.size;
	if (mp_streq(mp_get(p, "encoding"), "base64"))
		n = base64_decode(buf, d->via.str.size);
	if (n > 0)
		fwrite(buf, 1, (size_t)n, f);
	fflush(f);
	free(buf);
}

/* TaskFinished: how it ended; 0 if it completed, else 1. */
static int
print_finished(const msgpack_object *p)
{
	const msgpack_object	*res = mp_get(p, "result");
	char			 id[NAME_MAX_LEN + 1], st[STATUS_MAX + 1];
	char			 err[ERROR_TEXT_MAX + 1], code[CODE_MAX + 1];
	uint64_t		 n = uint_of(p, "attempts");
	int			 ok;

	ok = mp_streq(mp_get(p, "status"), "completed");

	if (jflag)
		print_json(p);
	else {
		printf("%s: %s after %llu attempt%s",
		    str_of(p, "taskId", id, sizeof(id)),
		    str_of(p, "status", st, sizeof(st)),
		    (unsigned long long)n, n == 1 ? "" : "s");
		if (mp_get(p, "error") != NULL)
			printf(": %s", str_of(p, "error", err, sizeof(err)));
		if (mp_get(p, "errorCode") != NULL)
			printf(" (%s)", str_of(p, "errorCode", code,
			    sizeof(code)));
		putchar('\n');
		if (res != NULL && res->type != MSGPACK_OBJECT_NIL)
			print_json(res);
	}
	fflush(stdout);
	return ok ? 0 : EXIT_FAILURE_RT;
}

/*
 * The Task that WatchTask answers: say what the wait is for (on stderr,
 * as a human reads it; quiet for the first one of submit --wait, which
 * said it already).
 */
static void
print_watching(const msgpack_object *p, int again, int quiet)
{
	char	 id[NAME_MAX_LEN + 1], st[STATUS_MAX + 1];
	char	 w[NAME_MAX_LEN + 1];

	if (jflag || (quiet && !again) || mp_streq(mp_get(p, "status"),
	    "completed") || mp_streq(mp_get(p, "status"), "failed") ||
	    mp_streq(mp_get(p, "status"), "cancelled"))
		return;
	fprintf(stderr, "%s%s: %s", again ? "the coordinator is back; " : "",
	    str_of(p, "taskId", id, sizeof(id)),
	    str_of(p, "status", st, sizeof(st)));
	if (mp_get(p, "workerId") != NULL && mp_get(p, "workerId")->type ==
	    MSGPACK_OBJECT_STR)
		fprintf(stderr, ", worker %s", str_of(p, "workerId", w,
		    sizeof(w)));
	fprintf(stderr, ", attempt %llu; watching it\n",
	    (unsigned long long)uint_of(p, "attempts"));
}

/*
 * Wait for task id to end, and say how it ended: 0 completed, 1 failed or
 * cancelled (or the wait timed out, or the coordinator said no), 111 no
 * coordinator to ask.
 *
 * WatchTask on the coordinator's own socket, as any actor would (and as
 * logs -f does with the event log): the control socket answers a request
 * with one reply and has no way to hand on a push, so TaskFinished could
 * not come back through it.  A GetTask through the control socket first
 * says at once when the task or the coordinator is not there.  A watch
 * lasts as long as its connection: when the coordinator restarts, the
 * connection is made again and the task watched again, which answers at
 * once if it finished meanwhile.  Its output (TaskOutput, for a command)
 * is printed as it comes.  With -t the wait gives up after that long;
 * without, it waits for the end.
 */
static int
watch_task(const char *id, int quiet)
{
	struct msg_task_id	 m;
	struct reply		 r;
	const msgpack_object	*p;
	char			 path[CONFIG_PATH_MAX + 32], what[128];
	long long		 deadline = -1;
	int			 fd, code, wait, again = 0;
	int			 retry = WATCH_RETRY_MS;

	if (tflag)
		deadline = mono_ms() + timeout_ms;

	memset(&m, 0, sizeof(m));
	field_copy(m.task_id, sizeof(m.task_id), id, "task id");
	snprintf(what, sizeof(what), "task watch %s", m.task_id);
	if ((code = coord_request(MSG_GET_TASK, &m, what, &r, &p)) != 0)
		return code;
	reply_free(&r);
	if (child_socket_path(path, sizeof(path), run_dir,
	    child_specs[CHILD_COORDINATOR].name) == -1) {
		fprintf(stderr, "actorctl: %s: path too long\n", run_dir);
		return EXIT_USAGE;
	}
	for (;;) {
		if ((fd = frame_connect(path)) == -1) {
			fprintf(stderr, "actorctl: cannot reach the "
			    "coordinator at %s: %s\n", path, strerror(errno));
			return EXIT_SYSTEM;
		}
		/* Say who we are, so that pushes come back here. */
		if (send_request(fd, self_addr, MSG_HELLO, "0", NULL) == -1 ||
		    send_request(fd, COORDINATOR_ADDRESS, MSG_WATCH_TASK,
		    "1", &m) == -1)
			goto lost;
		for (;;) {
			wait = deadline < 0 ? -1 :
			    (int)(deadline - mono_ms());
			if (deadline >= 0 && wait < 0)
				wait = 0;
			if (read_reply(fd, NULL, &r, wait) == -1) {
				if (errno != ETIMEDOUT)
					break;
				fprintf(stderr, "actorctl: task %s has not "
				    "ended within %d ms\n", id, timeout_ms);
				close(fd);
				return EXIT_FAILURE_RT;
			}
			retry = WATCH_RETRY_MS;
			if (r.env.type == MSG_ERROR) {
				code = refused(r.env.payload, what);
				reply_free(&r);
				close(fd);
				return code;
			}
			if (!mp_streq(mp_get(r.env.payload, "taskId"), id)) {
				reply_free(&r);
				continue;
			}
			switch (r.env.type) {
			case MSG_TASK:
				print_watching(r.env.payload, again, quiet);
				break;
			case MSG_TASK_OUTPUT:
				print_output(r.env.payload);
				break;
			case MSG_TASK_FINISHED:
				code = print_finished(r.env.payload);
				reply_free(&r);
				close(fd);
				return code;
			default:
				break;
			}
			reply_free(&r);
		}
lost:
		/* The coordinator went away: watch again once it is back. */
		close(fd);
		again = 1;
		if (deadline >= 0 && mono_ms() + retry > deadline) {
			char	 why[NAME_MAX_LEN + 64];

			snprintf(why, sizeof(why), "task %s has not ended "
			    "within %d ms", id, timeout_ms);
			if (jflag)
				print_failure(why);
			fprintf(stderr, "actorctl: %s\n", why);
			return EXIT_FAILURE_RT;
		}
		usleep((useconds_t)retry * 1000);
		retry = retry * 2 > WATCH_RETRY_MAX ? WATCH_RETRY_MAX :
		    retry * 2;
	}
}

/* GetStatus {}: its workers, or NULL with why printed (r freed). */
static const msgpack_object *
status_workers(struct reply *r, const char *what)
{
	const msgpack_object	*p, *w;

	if (coord_request(MSG_GET_STATUS, NULL, what, r, &p) != 0)
		return NULL;
	if ((w = mp_get(p, "workers")) == NULL ||
	    w->type != MSGPACK_OBJECT_ARRAY) {
		fprintf(stderr, "actorctl: %s: a status without workers\n",
		    what);
		reply_free(r);
		return NULL;
	}
	return w;
}

/* Whether the coordinator has no worker at all (not: none idle). */
static int
no_workers(void)
{
	struct reply		 r;
	const msgpack_object	*w;
	int			 none;

	if ((w = status_workers(&r, "task submit")) == NULL)
		return 0;
	none = w->via.array.size == 0;
	reply_free(&r);
	return none;
}

/* task submit KIND [JSON]: AssignTask; with --wait, until it ends. */
static int
task_submit(int argc, char *argv[])
{
	struct msg_assign_task	 m;
	struct task_opts	 o;
	struct reply		 r;
	const msgpack_object	*p;
	msgpack_sbuffer		 in;
	msgpack_packer		 pk;
	json_t			*input = NULL;
	json_error_t		 jerr;
	char			 id[NAME_MAX_LEN + 1], st[STATUS_MAX + 1];
	char			 w[NAME_MAX_LEN + 1];
	int			 i, code;

	i = task_options(argc, argv, "adipqwW", &o);
	if (argc - i < 1 || argc - i > 2)
		usage(EXIT_USAGE);
	if (argc - i == 2 && (input = json_loads(argv[i + 1],
	    JSON_DECODE_ANY, &jerr)) == NULL) {
		fprintf(stderr, "actorctl: task submit: bad JSON input: %s\n",
		    jerr.text);
		return EXIT_USAGE;
	}
	memset(&m, 0, sizeof(m));
	field_copy(m.kind, sizeof(m.kind), argv[i], "kind");
	field_copy(m.task_id, sizeof(m.task_id), o.id, "task id");
	field_copy(m.worker_id, sizeof(m.worker_id), o.worker, "worker id");
	field_copy(m.queue, sizeof(m.queue), o.queue, "queue");
	m.priority = o.priority;
	m.has_priority = o.has_priority;
	m.delay_ms = o.delay;
	m.has_delay_ms = o.has_delay;
	m.retry.max_attempts = o.attempts;
	m.retry.has_max_attempts = m.has_retry = o.has_attempts;
	msgpack_sbuffer_init(&in);
	if (input != NULL) {
		msgpack_packer_init(&pk, &in, msgpack_sbuffer_write);
		mpjson_pack(&pk, input, 64);
		json_decref(input);
		m.input.raw = in.data;
		m.input.len = in.size;
	}
	code = coord_request(MSG_ASSIGN_TASK, &m, "task submit", &r, &p);
	msgpack_sbuffer_destroy(&in);
	if (code != 0)
		return code;
	str_of(p, "taskId", id, sizeof(id));
	if (mp_streq(mp_get(p, "status"), "queued") && no_workers())
		fprintf(stderr, "actorctl: no worker is registered: %s waits "
		    "in its queue until one is (actorctl worker add ID)\n",
		    id);
	if (o.wait) {
		/* The one JSON object --json prints is TaskFinished's. */
		if (!jflag)
			fprintf(stderr, "%s: %s\n", id, str_of(p, "status",
			    st, sizeof(st)));
		reply_free(&r);
		return watch_task(id, 1);
	}
	if (jflag)
		print_json(p);
	else if (mp_get(p, "workerId") != NULL)
		printf("%s: %s, worker %s\n", id, str_of(p, "status", st,
		    sizeof(st)), str_of(p, "workerId", w, sizeof(w)));
	else if (mp_get(p, "position") != NULL)
		printf("%s: %s, position %llu\n", id, str_of(p, "status", st,
		    sizeof(st)), (unsigned long long)uint_of(p, "position"));
	else
		printf("%s: %s\n", id, str_of(p, "status", st, sizeof(st)));
	reply_free(&r);
	return 0;
}

/* task get ID: the whole record, with its runs. */
static int
task_get(int argc, char *argv[])
{
	struct msg_task_id	 m;
	struct task_opts	 o;
	struct reply		 r;
	const msgpack_object	*p, *h, *e;
	char			 v[ERROR_TEXT_MAX + 1], a[32], b[32];
	char			 what[NAME_MAX_LEN + 16];
	uint32_t		 i;
	int			 code, k;
	static const struct {
		const char	*label, *key;
		int		 how;	/* 0 as it is, 1 a time, 2 JSON */
	} rows[] = {
		{ "task", "taskId", 0 },
		{ "kind", "kind", 0 },
		{ "status", "status", 0 },
		{ "queue", "queue", 0 },
		{ "priority", "priority", 0 },
		{ "attempts", "attempts", 0 },
		{ "worker", "workerId", 0 },
		{ "pinned to", "pinnedTo", 0 },
		{ "created", "createdAt", 1 },
		{ "started", "startedAt", 1 },
		{ "finished", "finishedAt", 1 },
		{ "run at", "runAt", 1 },
		{ "timeout ms", "timeoutMs", 0 },
		{ "retry", "retry", 0 },
		{ "input", "input", 2 },
		{ "result", "result", 2 },
		{ "error", "error", 0 },
		{ "error code", "errorCode", 0 },
	};

	i = (uint32_t)task_options(argc, argv, "", &o);
	if (argc - (int)i != 1)
		usage(EXIT_USAGE);
	memset(&m, 0, sizeof(m));
	field_copy(m.task_id, sizeof(m.task_id), argv[i], "task id");
	snprintf(what, sizeof(what), "task get %s", m.task_id);
	if ((code = coord_request(MSG_GET_TASK, &m, what, &r, &p)) != 0)
		return code;
	if (jflag) {
		print_json(p);
		reply_free(&r);
		return 0;
	}
	for (k = 0; k < (int)nitems(rows); k++)
		printf("%-11s %s\n", rows[k].label, rows[k].how == 1 ?
		    fmt_time(mp_get(p, rows[k].key), v, sizeof(v)) :
		    rows[k].how == 2 ?
		    fmt_json(mp_get(p, rows[k].key), v, sizeof(v)) :
		    fmt_value(mp_get(p, rows[k].key), v, sizeof(v)));
	h = mp_get(p, "history");
	if (h != NULL && h->type == MSGPACK_OBJECT_ARRAY &&
	    h->via.array.size > 0) {
		printf("\n%7s %-16s %-19s %-19s %-10s %s\n", "ATTEMPT",
		    "WORKER", "STARTED", "FINISHED", "STATUS", "ERROR");
		for (i = 0; i < h->via.array.size; i++) {
			e = &h->via.array.ptr[i];
			printf("%7s %-16s ", fmt_uint(mp_get(e, "attempt"), a,
			    sizeof(a)), str_of(e, "workerId", what,
			    sizeof(what)));
			printf("%-19s ", fmt_time(mp_get(e, "startedAt"), a,
			    sizeof(a)));
			printf("%-19s %-10s %s\n", fmt_time(mp_get(e,
			    "finishedAt"), b, sizeof(b)), str_of(e, "status",
			    a, sizeof(a)), fmt_value(mp_get(e, "error"), v,
			    sizeof(v)));
		}
	}
	reply_free(&r);
	return 0;
}

/* One row of task list. */
static void
print_task_row(const msgpack_object *t)
{
	char	 id[NAME_MAX_LEN + 1], st[STATUS_MAX + 1];
	char	 kind[TASK_KIND_MAX + 1], q[NAME_MAX_LEN + 1];
	char	 w[NAME_MAX_LEN + 1], pri[8], att[24], at[32];
	char	 err[ERROR_TEXT_MAX + 1];

	printf("%-20s %-9s %-10s %-10s %3s %4s %-16s %-19s %.60s\n",
	    str_of(t, "taskId", id, sizeof(id)),
	    str_of(t, "status", st, sizeof(st)),
	    str_of(t, "kind", kind, sizeof(kind)),
	    str_of(t, "queue", q, sizeof(q)),
	    fmt_uint(mp_get(t, "priority"), pri, sizeof(pri)),
	    fmt_uint(mp_get(t, "attempts"), att, sizeof(att)),
	    str_of(t, "workerId", w, sizeof(w)),
	    fmt_time(mp_get(t, "createdAt"), at, sizeof(at)),
	    mp_get(t, "error") != NULL && mp_get(t, "error")->type ==
	    MSGPACK_OBJECT_STR ? str_of(t, "error", err, sizeof(err)) : "");
}

/*
 * task list: pages of ListTasks, newest first, until --limit tasks
 * (default 50) or, with --all, every one.  A filtered page may come back
 * short with a cursor: the coordinator looks at a bounded number of tasks
 * per page; the next page goes on from there.  --json prints {tasks,
 * nextCursor} as one object, written as the pages come.
 */
static int
task_list(int argc, char *argv[])
{
	struct msg_list_tasks	 m;
	struct task_opts	 o;
	struct reply		 r;
	const msgpack_object	*p, *ts, *next;
	json_t			*j;
	uint64_t		 want, n = 0;
	uint32_t		 i;
	int			 code, first = 1;

	if (task_options(argc, argv, "ACknqSW", &o) != argc)
		usage(EXIT_USAGE);
	memset(&m, 0, sizeof(m));
	field_copy(m.status, sizeof(m.status), o.status, "status");
	field_copy(m.kind, sizeof(m.kind), o.kind, "kind");
	field_copy(m.queue, sizeof(m.queue), o.queue, "queue");
	field_copy(m.worker_id, sizeof(m.worker_id), o.worker, "worker id");
	field_copy(m.cursor, sizeof(m.cursor), o.cursor, "cursor");
	want = o.all ? UINT64_MAX : o.limit;
	for (;;) {
		m.limit = want - n < LIST_LIMIT_MAX ? want - n :
		    LIST_LIMIT_MAX;
		m.has_limit = true;
		if ((code = coord_request(MSG_LIST_TASKS, &m, "task list", &r,
		    &p)) != 0)
			return code;
		if (first) {
			first = 0;
			if (jflag)
				printf("{\"tasks\": [");
			else
				printf("%-20s %-9s %-10s %-10s %3s %4s %-16s "
				    "%-19s %s\n", "TASK", "STATUS", "KIND",
				    "QUEUE", "PRI", "ATT", "WORKER",
				    "CREATED (UTC)", "ERROR");
		}
		ts = mp_get(p, "tasks");
		for (i = 0; ts != NULL && ts->type == MSGPACK_OBJECT_ARRAY &&
		    i < ts->via.array.size; i++, n++) {
			if (!jflag) {
				print_task_row(&ts->via.array.ptr[i]);
				continue;
			}
			j = mpjson_from_msgpack(&ts->via.array.ptr[i]);
			printf("%s\n", n == 0 ? "" : ",");
			json_dumpf(j, stdout, JSON_COMPACT |
			    JSON_PRESERVE_ORDER);
			json_decref(j);
		}
		next = mp_get(p, "nextCursor");
		if (next == NULL || next->type != MSGPACK_OBJECT_STR ||
		    mp_strcpy(next, m.cursor, sizeof(m.cursor)) == -1)
			m.cursor[0] = '\0';
		reply_free(&r);
		if (m.cursor[0] == '\0' || n >= want)
			break;
	}
	if (jflag) {
		printf("%s], \"nextCursor\": ", n == 0 ? "" : "\n");
		if (m.cursor[0] != '\0')
			printf("\"%s\"}\n", m.cursor);
		else
			printf("null}\n");
	} else if (m.cursor[0] != '\0')
		fprintf(stderr, "(more: --cursor %s, or --all)\n", m.cursor);
	return 0;
}

/* task retry|cancel|delete ID: one request about one task. */
static int
task_one(enum msg_type type, const char *verb, int argc, char *argv[])
{
	struct msg_task_id	 m;
	struct task_opts	 o;
	struct reply		 r;
	const msgpack_object	*p;
	char			 what[NAME_MAX_LEN + 32], st[STATUS_MAX + 1];
	char			 w[NAME_MAX_LEN + 1];
	int			 i, code;

	i = task_options(argc, argv, "", &o);
	if (argc - i != 1)
		usage(EXIT_USAGE);
	memset(&m, 0, sizeof(m));
	field_copy(m.task_id, sizeof(m.task_id), argv[i], "task id");
	snprintf(what, sizeof(what), "task %s %s", verb, m.task_id);
	if ((code = coord_request(type, &m, what, &r, &p)) != 0)
		return code;
	if (jflag)
		print_json(p);
	else if (type != MSG_RETRY_TASK)
		printf("%s: %s\n", m.task_id, type == MSG_CANCEL_TASK ?
		    "cancelled" : "deleted");
	else if (mp_get(p, "workerId") != NULL)
		printf("%s: %s again, worker %s\n", m.task_id, str_of(p,
		    "status", st, sizeof(st)), str_of(p, "workerId", w,
		    sizeof(w)));
	else
		printf("%s: %s again, position %llu\n", m.task_id, str_of(p,
		    "status", st, sizeof(st)),
		    (unsigned long long)uint_of(p, "position"));
	reply_free(&r);
	return 0;
}

/* task watch ID: until it ends. */
static int
task_watch(int argc, char *argv[])
{
	struct task_opts	 o;
	int			 i;

	i = task_options(argc, argv, "", &o);
	if (argc - i != 1)
		usage(EXIT_USAGE);
	return watch_task(argv[i], 0);
}

/* task SUBCOMMAND ...: argv[0] is the subcommand. */
static int
cmd_task(int argc, char *argv[])
{
	if (argc < 1)
		usage(EXIT_USAGE);
	if (strcmp(argv[0], "submit") == 0)
		return task_submit(argc, argv);
	if (strcmp(argv[0], "get") == 0)
		return task_get(argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return task_list(argc, argv);
	if (strcmp(argv[0], "watch") == 0)
		return task_watch(argc, argv);
	if (strcmp(argv[0], "retry") == 0)
		return task_one(MSG_RETRY_TASK, "retry", argc, argv);
	if (strcmp(argv[0], "cancel") == 0)
		return task_one(MSG_CANCEL_TASK, "cancel", argc, argv);
	if (strcmp(argv[0], "delete") == 0)
		return task_one(MSG_DELETE_TASK, "delete", argc, argv);
	fprintf(stderr, "actorctl: task: unknown command '%s'\n", argv[0]);
	usage(EXIT_USAGE);
}

/* A command's subcommands that are one request each. */
struct subcmd {
	const char	*name;
	enum msg_type	 type;
};
static const struct subcmd queue_cmds[] = {
	{ "pause",	MSG_PAUSE_QUEUE },
	{ "resume",	MSG_RESUME_QUEUE },
};
static const struct subcmd worker_cmds[] = {
	{ "add",	MSG_REGISTER_WORKER },
	{ "remove",	MSG_UNREGISTER_WORKER },
};

/* The request of subcommand name of cmd; an unknown one is a usage error. */
static enum msg_type
subcommand(const char *cmd, const char *name, const struct subcmd *t,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(name, t[i].name) == 0)
			return t[i].type;
	fprintf(stderr, "actorctl: %s: unknown command '%s'\n", cmd, name);
	usage(EXIT_USAGE);
}

/* queue pause|resume Q: PauseQueue, ResumeQueue; how the queue stands. */
static int
cmd_queue(int argc, char *argv[])
{
	struct msg_queue_name	 m;
	struct task_opts	 o;
	struct reply		 r;
	const msgpack_object	*p, *paused;
	enum msg_type		 type;
	char			 what[NAME_MAX_LEN + 32], q[NAME_MAX_LEN + 1];
	uint64_t		 conc;
	int			 i, code;

	if (argc < 1)
		usage(EXIT_USAGE);
	type = subcommand("queue", argv[0], queue_cmds, nitems(queue_cmds));
	i = task_options(argc, argv, "", &o);
	if (argc - i != 1)
		usage(EXIT_USAGE);
	memset(&m, 0, sizeof(m));
	field_copy(m.queue, sizeof(m.queue), argv[i], "queue");
	snprintf(what, sizeof(what), "queue %s %s", argv[0], m.queue);
	if ((code = coord_request(type, &m, what, &r, &p)) != 0)
		return code;
	if (jflag)
		print_json(p);
	else {
		paused = mp_get(p, "paused");
		conc = uint_of(p, "concurrency");
		printf("queue %s: %s; %llu queued, %llu running, ",
		    str_of(p, "queue", q, sizeof(q)), paused != NULL &&
		    paused->type == MSGPACK_OBJECT_BOOLEAN &&
		    paused->via.boolean ? "paused" : "active",
		    (unsigned long long)uint_of(p, "queued"),
		    (unsigned long long)uint_of(p, "running"));
		if (conc == 0)
			printf("no concurrency limit\n");
		else
			printf("at most %llu at once\n",
			    (unsigned long long)conc);
	}
	reply_free(&r);
	return 0;
}

/* worker list: one line per worker of GetStatus; --json: the array. */
static int
worker_list(void)
{
	struct reply		 r;
	const msgpack_object	*ws, *w;
	char			 id[NAME_MAX_LEN + 1], st[STATUS_MAX + 1];
	char			 host[HOST_MAX + 1], task[NAME_MAX_LEN + 1];
	uint32_t		 i;

	if ((ws = status_workers(&r, "worker list")) == NULL)
		return EXIT_FAILURE_RT;
	if (jflag)
		print_json(ws);
	else {
		printf("%-20s %-12s %-8s %-20s %s\n", "WORKER", "HOST",
		    "STATUS", "TASK", "DONE");
		for (i = 0; i < ws->via.array.size; i++) {
			w = &ws->via.array.ptr[i];
			printf("%-20s %-12s %-8s %-20s %llu\n",
			    str_of(w, "workerId", id, sizeof(id)),
			    mp_get(w, "host") != NULL ?
			    str_of(w, "host", host, sizeof(host)) : "-",
			    str_of(w, "status", st, sizeof(st)),
			    mp_get(w, "currentTask") != NULL &&
			    mp_get(w, "currentTask")->type ==
			    MSGPACK_OBJECT_STR ? str_of(w, "currentTask", task,
			    sizeof(task)) : "-",
			    (unsigned long long)uint_of(w, "processedCount"));
		}
	}
	reply_free(&r);
	return 0;
}

/*
 * worker add ID [--host H] | remove ID | list: RegisterWorker,
 * UnregisterWorker, and the workers of the coordinator's status.
 */
static int
cmd_worker(int argc, char *argv[])
{
	union {
		struct msg_register_worker	 add;
		struct msg_worker_id		 remove;
	}				 m;
	struct task_opts		 o;
	struct reply			 r;
	const msgpack_object		*p;
	enum msg_type			 type;
	const char			*id;
	char				 what[NAME_MAX_LEN + 32];
	int				 i, code;

	if (argc < 1)
		usage(EXIT_USAGE);
	if (strcmp(argv[0], "list") == 0) {
		if (task_options(argc, argv, "", &o) != argc)
			usage(EXIT_USAGE);
		return worker_list();
	}
	type = subcommand("worker", argv[0], worker_cmds,
	    nitems(worker_cmds));
	i = task_options(argc, argv, type == MSG_REGISTER_WORKER ? "H" : "",
	    &o);
	if (argc - i != 1)
		usage(EXIT_USAGE);
	memset(&m, 0, sizeof(m));
	if (type == MSG_REGISTER_WORKER) {
		field_copy(m.add.worker_id, sizeof(m.add.worker_id), argv[i],
		    "worker id");
		field_copy(m.add.host, sizeof(m.add.host), o.host, "host");
		id = m.add.worker_id;
	} else {
		field_copy(m.remove.worker_id, sizeof(m.remove.worker_id),
		    argv[i], "worker id");
		id = m.remove.worker_id;
	}
	snprintf(what, sizeof(what), "worker %s %s", argv[0], id);
	if ((code = coord_request(type, &m, what, &r, &p)) != 0)
		return code;
	if (jflag)
		print_json(p);
	else
		printf("worker %s %s\n", id,
		    type == MSG_REGISTER_WORKER ? "registered" :
		    "unregistered");
	reply_free(&r);
	return 0;
}

/*
 * Where is the control socket: -s; else run_dir of the config (-c or
 * $ACTORD_CONFIG); else ./var/run/actord.sock from a source tree, or the
 * packaged service's /run/actord/actord.sock when only that exists.
 */
static void
find_socket(const char *sflag, const char *cfile)
{
	static struct config	 cfg;
	const char		*slash;

	if (sflag != NULL) {
		snprintf(sock_path, sizeof(sock_path), "%s", sflag);
		if ((slash = strrchr(sflag, '/')) != NULL)
			snprintf(run_dir, sizeof(run_dir), "%.*s",
			    (int)(slash - sflag), sflag);
		else
			snprintf(run_dir, sizeof(run_dir), ".");
		return;
	}
	if (config_load(&cfg, cfile) == -1) {
		config_print_errors(&cfg, stderr);
		exit(EXIT_USAGE);
	}
	snprintf(run_dir, sizeof(run_dir), "%s", cfg.run_dir);
	if (cfile == NULL && access(SERVICE_RUN_DIR "/" CONTROL_SOCKET ".sock",
	    F_OK) == 0 && access("var/run/" CONTROL_SOCKET ".sock", F_OK) == -1)
		snprintf(run_dir, sizeof(run_dir), "%s", SERVICE_RUN_DIR);
	if (child_socket_path(sock_path, sizeof(sock_path), run_dir,
	    CONTROL_SOCKET) == -1) {
		fprintf(stderr, "actorctl: %s: path too long\n", run_dir);
		exit(EXIT_USAGE);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct msg_name		 nm;
	struct msg_ctl_kill	 km;
	struct msg_ctl_wait	 wm;
	const char		*sflag = NULL, *cfile = getenv("ACTORD_CONFIG");
	const char		*cmd, *name;
	int			 ch, sig;

	log_init("actorctl", LOG_WARNING);
	/* A write to an actord that went away is EPIPE and exit 111. */
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "+c:hjs:t:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'j':
			jflag = 1;
			break;
		case 's':
			sflag = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg);
			tflag = 1;
			if (timeout_ms <= 0 || timeout_ms > TIMEOUT_MAX_MS)
				usage(EXIT_USAGE);
			break;
		case 'V':
			printf("actorctl %s\n", ACTORD_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	/* Allow --json after the command too: `actorctl status --json`. */
	if (argc > 1 && (strcmp(argv[argc - 1], "--json") == 0 ||
	    strcmp(argv[argc - 1], "-j") == 0)) {
		jflag = 1;
		argc--;
	}
	if (argc < 1)
		usage(EXIT_USAGE);
	/* `actorctl task submit --help`: the help, whatever comes before. */
	for (ch = 1; ch < argc; ch++)
		if (strcmp(argv[ch], "--help") == 0 ||
		    strcmp(argv[ch], "-h") == 0)
			usage(0);
	if (cfile != NULL && cfile[0] == '\0')
		cfile = NULL;
	find_socket(sflag, cfile);
	snprintf(self_addr, sizeof(self_addr), "ctl:%ld", (long)getpid());
	cmd = argv[0];
	name = argc > 1 ? argv[1] : NULL;
	if (name != NULL)
		name_body(&nm, name);

#define NEED(n)	do { if (argc != (n)) usage(EXIT_USAGE); } while (0)
	if (strcmp(cmd, "status") == 0) {
		if (argc == 2 && strcmp(argv[1], "--cluster") == 0)
			return cmd_status_cluster();
		NEED(1);
		return cmd_status();
	} else if (strcmp(cmd, "start") == 0) {
		NEED(2);
		return cmd_process(MSG_CTL_START, "start", name, &nm);
	} else if (strcmp(cmd, "stop") == 0) {
		NEED(2);
		return cmd_process(MSG_CTL_STOP, "stop", name, &nm);
	} else if (strcmp(cmd, "restart") == 0) {
		NEED(2);
		return cmd_process(MSG_CTL_RESTART, "restart", name, &nm);
	} else if (strcmp(cmd, "kill") == 0) {
		if (argc != 2 && argc != 3)
			usage(EXIT_USAGE);
		if ((sig = parse_signal(argc == 3 ? argv[2] : "TERM")) == -1) {
			fprintf(stderr, "actorctl: kill %s: unknown signal\n",
			    name);
			return EXIT_FAILURE_RT;
		}
		memset(&km, 0, sizeof(km));
		memcpy(km.name, nm.name, sizeof(km.name));
		km.signal = (uint64_t)sig;
		km.has_signal = true;
		km.timeout_ms = nm.timeout_ms;
		km.has_timeout_ms = true;
		return cmd_process(MSG_CTL_KILL, "kill", name, &km);
	} else if (strcmp(cmd, "wait") == 0) {
		if (argc != 3 && argc != 4)
			usage(EXIT_USAGE);
		memset(&wm, 0, sizeof(wm));
		memcpy(wm.name, nm.name, sizeof(wm.name));
		arg_copy(wm.state, sizeof(wm.state), argv[2]);
		if (argc == 4) {
			wm.not_pid = strtoull(argv[3], NULL, 10);
			wm.has_not_pid = true;
		}
		wm.timeout_ms = nm.timeout_ms;
		wm.has_timeout_ms = true;
		return cmd_process(MSG_CTL_WAIT, "wait", name, &wm);
	} else if (strcmp(cmd, "sessions") == 0) {
		NEED(1);
		return cmd_show(MSG_CTL_SESSIONS, NULL, "sessions");
	} else if (strcmp(cmd, "inspect") == 0) {
		NEED(2);
		return cmd_show(MSG_CTL_INSPECT, &nm, "inspect");
	} else if (strcmp(cmd, "version") == 0) {
		NEED(1);
		return cmd_show(MSG_CTL_VERSION, NULL, "version");
	} else if (strcmp(cmd, "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	else if (strcmp(cmd, "logs") == 0)
		return cmd_logs(argc, argv);
	else if (strcmp(cmd, "task") == 0)
		return cmd_task(argc - 1, argv + 1);
	else if (strcmp(cmd, "queue") == 0)
		return cmd_queue(argc - 1, argv + 1);
	else if (strcmp(cmd, "worker") == 0)
		return cmd_worker(argc - 1, argv + 1);
	else if (strcmp(cmd, "reload") == 0) {
		NEED(1);
		return cmd_simple(MSG_CTL_RELOAD, "reloaded");
	} else if (strcmp(cmd, "shutdown") == 0) {
		NEED(1);
		return cmd_simple(MSG_CTL_SHUTDOWN, "actord stopped");
	}
#undef NEED
	fprintf(stderr, "actorctl: unknown command '%s'\n", cmd);
	usage(EXIT_USAGE);
}
