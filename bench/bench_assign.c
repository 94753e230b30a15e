/*
 * bench_assign: the coordinator's throughput and latency through its
 * socket, on the real tree.
 *
 * Every run starts bin/actord with a temporary config (its own state and
 * run directories, the gateway on a free port, [coordinator] synchronous =
 * full) and waits for the tree on the control socket.  The senders are
 * connections to $RUN/coordinator.sock made with common/'s peer.c, each
 * saying Hello as its own identity (bench:s1, bench:s2, ...), and each
 * keeping a window of requests unanswered so that the coordinator finds
 * many messages in one loop turn.  Three measurements:
 *
 *	assign	AssignTask {kind echo, input} from 1, 10 and 100 senders,
 *		no workers registered: every task is queued and answered
 *		TaskAccepted.  TaskAccepted per second over -t seconds after
 *		a second of warm-up, with group commit (the default: one
 *		commit per loop turn) and with [coordinator] group_commit =
 *		no (a commit after every message), back to back.
 *	cycles	100 workers registered (RegisterWorker, then idle), then
 *		AssignTask kind echo from 10 senders; a subscriber
 *		(bench:watch) follows tasks.completed in the coalesced
 *		StatusUpdated pushes.  Completed tasks per second between two
 *		pushes -t seconds apart, after a second of warm-up.  At most
 *		-Q tasks are accepted and not yet completed, so that the
 *		queue stays short.
 *	queue	two trees side by side: -q tasks queued in one by 100
 *		senders, the other's queue empty.  Then round trips, one
 *		request at a time, in blocks of 100 taken in turn from the
 *		empty tree and the long one, so that both see the same
 *		minutes of the disk and of the machine's load: AssignTask
 *		(each waits for its commit's fsync), GetStatus (no write,
 *		no commit), GetTask of a random task of the tree, ListTasks
 *		{limit: 100} (the newest page) and ListTasks {status:
 *		queued, kind: echo, limit: 100}.  p50 and p99, each
 *		coordinator's RSS (`actorctl --json status`) and
 *		coordinator.db's size.  During the round trips the bench
 *		and both coordinators run on one CPU: left to the
 *		scheduler, one coordinator was woken on the bench's CPU
 *		and the other on the second CPU, and a wake-up across
 *		CPUs (about 20 us each way in this VM) was then the whole
 *		of the difference between the trees: GetTask 3-4x instead
 *		of 1.2x.
 *
 * With -m every AssignTask uses what a task system's users do: priority
 * n % 10, queue q0..q3 in turn, and one in ten delayed by an hour
 * (delayMs), against the plain FIFO of the default queue without -m.
 *
 * The disk's own fsync latency changes from minute to minute on a shared
 * machine, and a commit is mostly that: each assign pair and the queue
 * runs print the p50 of 100 fdatasync(2) of a 4 KiB write in /tmp, taken
 * just before.
 *
 * Each measurement runs -r times in a fresh tree and the tables show the
 * median; the group / per-message ratio is the median of the back-to-back
 * pairs, so that a change in the machine's load between runs cancels out.
 *
 *	make -f bench/Makefile
 *	build/rel/bench/bench_assign [-b bindir] [-c senders] [-r runs]
 *	    [-s scenario] [-t seconds] [-w window] [-q queued] [-n samples]
 *	    [-Q ahead] [-m]
 */
#include <sys/stat.h>
#include <sched.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <msgpack.h>

#include "bench_util.h"
#include "config.h"
#include "envelope.h"
#include "frame.h"
#include "log.h"
#include "peer.h"
#include "xmalloc.h"

#define COORD		"coordinator:main"
#define WATCH		"bench:watch"
#define MAX_REPS	9
#define MAX_SENDERS	1000
#define WAIT_MS		10000		/* the tree's start, per CtlWait */
#define WARMUP_S	1.0		/* not counted */
#define LAT_WARM	200		/* round trips not counted */
#define LAT_BLOCK	100		/* round trips per tree in turn */
#define MAX_GRAVES	64		/* trees stopped, not yet removed */
#define FILL_SENDERS	100

enum scenario { S_ASSIGN, S_CYCLES, S_QUEUE, S_ALL };

static const char *const scenario_names[] = { "assign", "cycles", "queue" };
#define NCOUNTS		3
static int	 sender_counts[NCOUNTS] = { 1, 10, 100 };	/* -c: one */
static int	 ncounts = NCOUNTS;

static struct {
	char		 bindir[PATH_MAX];
	int		 reps;
	int		 scenario;	/* S_ALL: every one */
	double		 secs;		/* measured seconds per run */
	int		 window;	/* unanswered requests per sender */
	long		 queue;		/* tasks queued for the long queue */
	long		 samples;	/* round trips per latency figure */
	long		 ahead;		/* cycles: accepted, not completed */
	int		 workers;	/* cycles: workers registered */
	int		 csenders;	/* cycles: senders */
	int		 mixed;		/* -m: priorities, queues, delays */
} opt = { "", 3, S_ALL, 5.0, 16, 1000000, 2000, 5000, 100, 10, 0 };

/* A running tree: actord and its children, in a temporary directory. */
struct tree {
	char		 dir[64];
	pid_t		 actord;
	int		 ctl;		/* control connection */
};

struct sender {
	struct peer	*p;
	struct tree	*t;		/* the tree it talks to */
	char		 name[32];	/* bench:sN */
	char		 pfx;		/* its task ids: 'e' empty tree, 't' */
	long		 out;		/* requests unanswered */
	uint64_t	 t_sent;	/* latency: when the request left */
};

enum phase {
	P_IDLE,			/* nothing to send */
	P_FLOOD,		/* every sender keeps its window full */
	P_LATENCY,		/* the probe, one request at a time */
	P_REGISTER,		/* cycles: waiting for idle workers */
	P_CYCLES,		/* cycles: flooding, gated by completions */
};

/* The state of the run in progress. */
static struct {
	struct event_base	*base;
	struct peer_limits	 lim;
	struct sender		 s[MAX_SENDERS];
	int			 n;		/* senders connected */
	int			 active;	/* senders sending */
	enum phase		 phase;
	uint64_t		 sent, accepted, errors;
	uint64_t		 esent;		/* AssignTask to the empty tree */
	int			 ids;		/* AssignTask names its taskId */
	long			 limit;		/* flood: sends at most */
	/* latency */
	struct sender		*probe;		/* the sender timed */
	struct sender		 probe_e;	/* in the empty tree */
	uint64_t		*lat;		/* round trips, ns */
	long			 nlat, want, warm;
	enum msg_type		 lat_type;	/* the request timed */
	int			 filtered;	/* ListTasks with filters */
	/* cycles */
	struct peer		*watch;
	uint64_t		 completed, failed;
	int			 idle;
	uint64_t		 t_go;		/* flooding began */
	uint64_t		 ta, ca;	/* first counted push */
	uint64_t		 tb, cb;	/* last counted push */
	int			 measuring;
	/* timers */
	struct event		*timer;
	uint64_t		 t0, a0, t1, a1;
	char			 last_error[256];
} r;

static char		 graves[MAX_GRAVES][64];
static int		 ngraves;

static double
median(const double *v, int n)
{
	double	 t[MAX_REPS];

	memcpy(t, v, sizeof(*v) * (size_t)n);
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- the tree: actord with a temporary config, the control socket ---- */

static void
write_config(const struct tree *t, const char *cfgpath, int group_commit)
{
	FILE	*fp;

	if ((fp = fopen(cfgpath, "w")) == NULL)
		fatal("%s", cfgpath);
	fprintf(fp, "[actord]\n"
	    "state_dir = %s/state\n"
	    "run_dir = %s/run\n"
	    "program_dir = %s\n"
	    "log_level = info\n"
	    "\n"
	    "[coordinator]\n"
	    "synchronous = full\n"
	    "group_commit = %s\n"
	    "\n"
	    "[gateway]\n"
	    "listen = 127.0.0.1:0\n", t->dir, t->dir, opt.bindir,
	    group_commit ? "yes" : "no");
	if (fclose(fp) == EOF)
		fatal("%s", cfgpath);
}

/* Start actord with its stderr (the log) in $DIR/actord.log. */
static void
start_actord(struct tree *t, const char *cfgpath)
{
	char	 path[PATH_MAX + 16], logpath[128];
	int	 fd;

	snprintf(path, sizeof(path), "%s/actord", opt.bindir);
	snprintf(logpath, sizeof(logpath), "%s/actord.log", t->dir);
	if ((t->actord = fork()) == -1)
		fatal("fork");
	if (t->actord > 0)
		return;
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		_exit(111);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("JOURNAL_STREAM");
	execl(path, "actord", "-c", cfgpath, (char *)NULL);
	_exit(111);
}

/* A fresh tree in a fresh directory, up to the gateway. */
static void
tree_start(struct tree *t, int group_commit)
{
	char	 tmpl[] = "/tmp/actord-assign.XXXXXX", path[PATH_MAX];

	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp");
	snprintf(t->dir, sizeof(t->dir), "%s", tmpl);
	snprintf(path, sizeof(path), "%s/state", t->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/run", t->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/actord.conf", t->dir);
	write_config(t, path, group_commit);
	start_actord(t, path);
	t->ctl = ctl_connect(t->dir, t->actord);
	/* The gateway starts last: when it is up, so is the tree. */
	if (ctl_call(t->ctl, "gateway", "up", 0, WAIT_MS) == -1 ||
	    ctl_call(t->ctl, "coordinator", "up", 0, WAIT_MS) == -1)
		fatalx("the tree did not come up; see %s/actord.log",
		    t->dir);
}

/*
 * Shut the tree down (SIGKILL after 10 s).  Its directory goes at the
 * end, in bury(): removing a database of a few hundred MB slows the
 * fsyncs of the next seconds (the file system discards the freed
 * blocks), and the per-message commit run right after a group commit run
 * measured 560-980 tasks/s instead of 2,800-3,400/s.  keep: leave the
 * directory for good, and say where.
 */
static void
tree_stop(struct tree *t, int keep)
{
	int	 i, status;

	(void)ctl_call(t->ctl, NULL, NULL, 0, WAIT_MS);
	close(t->ctl);
	t->ctl = -1;
	for (i = 0; i < 1000; i++) {
		if (waitpid(t->actord, &status, WNOHANG) == t->actord)
			break;
		usleep(10000);
	}
	if (i == 1000) {
		log_warnx("actord did not stop; killing it");
		kill(t->actord, SIGKILL);
		waitpid(t->actord, &status, 0);
	}
	if (keep)
		printf("  (kept %s)\n", t->dir);
	else if (ngraves < MAX_GRAVES)
		snprintf(graves[ngraves++], sizeof(graves[0]), "%s", t->dir);
	else
		rm_tree(t->dir);
}

/* Remove the directories of the trees stopped so far. */
static void
bury(void)
{
	int	 i;

	for (i = 0; i < ngraves; i++)
		rm_tree(graves[i]);
	ngraves = 0;
}

/*
 * A number of the coordinator's row in `actorctl --json status`: its
 * "rss_bytes" or its "pid"; -1 when there is none.
 */
static long long
coordinator_int(const struct tree *t, const char *field)
{
	json_t		*root, *procs, *p;
	json_error_t	 err;
	FILE		*fp;
	char		 cmd[PATH_MAX + 256];
	char		*out = NULL;
	size_t		 len = 0, cap = 0, n;
	long long	 v = -1;
	size_t		 i;

	snprintf(cmd, sizeof(cmd), "'%s/actorctl' -c '%s/actord.conf' --json "
	    "status", opt.bindir, t->dir);
	if ((fp = popen(cmd, "r")) == NULL)
		fatal("popen");
	for (;;) {
		if (len + 4096 > cap)
			out = xreallocarray(out, 1, cap = cap * 2 + 4096);
		if ((n = fread(out + len, 1, cap - len - 1, fp)) == 0)
			break;
		len += n;
	}
	out[len] = '\0';
	pclose(fp);
	if ((root = json_loads(out, 0, &err)) == NULL) {
		log_warnx("actorctl status: %s", err.text);
		free(out);
		return -1;
	}
	procs = json_object_get(root, "processes");
	json_array_foreach(procs, i, p) {
		if (strcmp(json_string_value(json_object_get(p, "name")) ?
		    json_string_value(json_object_get(p, "name")) : "",
		    "coordinator") == 0)
			v = json_integer_value(json_object_get(p, field));
	}
	json_decref(root);
	free(out);
	return v;
}

/*
 * Run pid (0: this process) on CPU cpu alone, or on every CPU again when
 * cpu is -1.
 */
static void
pin(pid_t pid, int cpu)
{
	cpu_set_t	 set;
	long		 i, n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		if (cpu == -1 || i == cpu)
			CPU_SET(i, &set);
	if (pid < 0 || sched_setaffinity(pid, sizeof(set), &set) == -1)
		log_warn("sched_setaffinity %ld", (long)pid);
}

/* coordinator.db and its WAL, bytes. */
static long long
db_bytes(const struct tree *t)
{
	struct stat	 st;
	char		 path[PATH_MAX];
	long long	 n = 0;

	snprintf(path, sizeof(path), "%s/state/coordinator.db", t->dir);
	if (stat(path, &st) == 0)
		n += st.st_size;
	snprintf(path, sizeof(path), "%s/state/coordinator.db-wal", t->dir);
	if (stat(path, &st) == 0)
		n += st.st_size;
	return n;
}

/* ---- the senders: peers on coordinator.sock ---- */

/*
 * AssignTask {kind: echo, input: {value: n}} from s; with r.ids its
 * taskId <pfx><n>, n counting the tree's tasks; with -m a priority, a
 * queue and for one in ten a delay.
 */
static void
send_assign(struct sender *s)
{
	msgpack_packer	*p = msg_begin(COORD, s->name, MSG_ASSIGN_TASK);
	uint64_t	*n = s->pfx == 'e' ? &r.esent : &r.sent;
	char		 id[32], q[4];
	int		 delay = opt.mixed && *n % 10 == 9;

	msgpack_pack_map(p, 2 + (r.ids ? 1 : 0) + (opt.mixed ? 2 : 0) +
	    (delay ? 1 : 0));
	mp_pack_kv_str(p, "kind", "echo");
	msgpack_pack_str_with_body(p, "input", 5);
	msgpack_pack_map(p, 1);
	mp_pack_kv_uint(p, "value", *n);
	if (r.ids) {
		snprintf(id, sizeof(id), "%c%llu", s->pfx,
		    (unsigned long long)*n);
		mp_pack_kv_str(p, "taskId", id);
	}
	if (opt.mixed) {
		mp_pack_kv_uint(p, "priority", *n % 10);
		snprintf(q, sizeof(q), "q%u", (unsigned)(*n % 4));
		mp_pack_kv_str(p, "queue", q);
	}
	if (delay)
		mp_pack_kv_uint(p, "delayMs", 3600000);
	msg_end(s->p);
	s->out++;
	(*n)++;
}

/* GetTask of a random task that s's tree was given. */
static void
send_get_task(struct sender *s)
{
	msgpack_packer	*p = msg_begin(COORD, s->name, MSG_GET_TASK);
	uint64_t	 n = s->pfx == 'e' ? r.esent : r.sent;
	char		 id[32];

	snprintf(id, sizeof(id), "%c%llu", s->pfx,
	    (unsigned long long)(n > 0 ? (uint64_t)random() % n : 0));
	msgpack_pack_map(p, 1);
	mp_pack_kv_str(p, "taskId", id);
	msg_end(s->p);
	s->out++;
}

/* ListTasks {limit: 100}, or with status queued and kind echo. */
static void
send_list_tasks(struct sender *s, int filtered)
{
	msgpack_packer	*p = msg_begin(COORD, s->name, MSG_LIST_TASKS);

	msgpack_pack_map(p, filtered ? 3 : 1);
	mp_pack_kv_uint(p, "limit", 100);
	if (filtered) {
		mp_pack_kv_str(p, "status", "queued");
		mp_pack_kv_str(p, "kind", "echo");
	}
	msg_end(s->p);
	s->out++;
}

/* GetStatus {} from s. */
static void
send_status(struct sender *s)
{
	msgpack_packer	*p = msg_begin(COORD, s->name, MSG_GET_STATUS);

	msgpack_pack_map(p, 0);
	msg_end(s->p);
	s->out++;
}

/* Keep s's window full, within the phase's limits. */
static void
pump(struct sender *s)
{
	switch (r.phase) {
	case P_FLOOD:
		while (s->out < opt.window &&
		    (r.limit < 0 || (long)r.sent < r.limit))
			send_assign(s);
		break;
	case P_CYCLES:
		while (s->out < opt.window &&
		    r.sent - r.completed < (uint64_t)opt.ahead)
			send_assign(s);
		break;
	case P_LATENCY:
		if (s == r.probe && s->out == 0) {
			s->t_sent = now_ns();
			switch (r.lat_type) {
			case MSG_GET_STATUS:
				send_status(s);
				break;
			case MSG_GET_TASK:
				send_get_task(s);
				break;
			case MSG_LIST_TASKS:
				send_list_tasks(s, r.filtered);
				break;
			default:
				send_assign(s);
			}
		}
		break;
	default:
		break;
	}
}

static void
pump_all(void)
{
	int	 i;

	for (i = 0; i < r.active; i++)
		pump(&r.s[i]);
}

/* Remember the text of an Error reply. */
static void
note_error(const struct envelope *env)
{
	const msgpack_object	*e = mp_get(env->payload, "error");

	r.errors++;
	if (e != NULL && e->type == MSGPACK_OBJECT_STR)
		snprintf(r.last_error, sizeof(r.last_error), "%.*s",
		    (int)e->via.str.size, e->via.str.ptr);
}

/* A reply to a sender. */
static void
sender_message(struct peer *p, struct envelope *env, void *arg)
{
	struct sender	*s = arg;

	(void)p;
	if (env->type == MSG_ERROR)
		note_error(env);
	else if (env->type == MSG_TASK_ACCEPTED)
		r.accepted++;
	else if (env->type != MSG_STATUS_UPDATED && env->type != MSG_TASK &&
	    env->type != MSG_TASKS)
		return;
	s->out--;
	if (r.phase == P_LATENCY && s == r.probe) {
		if (r.warm > 0)
			r.warm--;
		else
			r.lat[r.nlat++] = now_ns() - s->t_sent;
		if (r.warm == 0 && r.nlat >= r.want) {
			r.phase = P_IDLE;
			event_base_loopbreak(r.base);
			return;
		}
	}
	if (r.phase == P_FLOOD && r.limit >= 0 &&
	    r.accepted >= (uint64_t)r.limit) {
		r.phase = P_IDLE;
		event_base_loopbreak(r.base);
		return;
	}
	pump(s);
}

static void
sender_closed(struct peer *p, void *arg)
{
	struct sender	*s = arg;

	fatalx("%s: the coordinator closed the connection; see %s/actord.log",
	    peer_name(p), s->t->dir);
}

static const struct peer_cb sender_cb = {
	.message = sender_message,
	.closed = sender_closed,
};

/* Connect s to t's coordinator.sock, saying Hello as bench:<name>. */
static void
sender_connect(struct sender *s, struct tree *t, const char *name)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/run/coordinator.sock", t->dir);
	snprintf(s->name, sizeof(s->name), "bench:%s", name);
	s->pfx = strcmp(name, "probe") == 0 ? 'e' : 't';
	s->t = t;
	s->out = 0;
	s->p = peer_new_path(path, s->name, &r.lim, &sender_cb, s);
}

/* Connect n senders to t; they are the active ones. */
static void
senders(struct tree *t, int n)
{
	char	 name[16];

	for (; r.n < n; r.n++) {
		snprintf(name, sizeof(name), "s%d", r.n + 1);
		sender_connect(&r.s[r.n], t, name);
	}
	r.active = n;
}

/* Close every peer and let the loop free them. */
static void
close_all(void)
{
	int	 i;

	for (i = 0; i < r.n; i++)
		peer_close(r.s[i].p);
	r.n = r.active = 0;
	if (r.probe_e.p != NULL)
		peer_close(r.probe_e.p);
	r.probe_e.p = NULL;
	if (r.watch != NULL)
		peer_close(r.watch);
	r.watch = NULL;
	event_base_loop(r.base, EVLOOP_NONBLOCK);
}

/* ---- assign: throughput ---- */

/* Warm-up over: start counting; then the end of the run. */
static void
assign_timer(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv;

	(void)fd;
	(void)what;
	(void)arg;
	if (r.t0 == 0) {
		r.t0 = now_ns();
		r.a0 = r.accepted;
		tv.tv_sec = (time_t)opt.secs;
		tv.tv_usec = (suseconds_t)((opt.secs - (double)tv.tv_sec) *
		    1e6);
		evtimer_add(r.timer, &tv);
		return;
	}
	r.t1 = now_ns();
	r.a1 = r.accepted;
	r.phase = P_IDLE;
	event_base_loopbreak(r.base);
}

/* One throughput run: n senders, each with its window; tasks/s. */
static double
run_assign(int n, int group_commit)
{
	struct timeval	 tv = { (time_t)WARMUP_S, 0 };
	struct tree	 t;
	double		 rate;

	tree_start(&t, group_commit);
	memset(&r.s, 0, sizeof(r.s));
	r.sent = r.accepted = r.errors = 0;
	r.t0 = r.t1 = 0;
	r.limit = -1;
	senders(&t, n);
	r.phase = P_FLOOD;
	pump_all();
	evtimer_assign(r.timer, r.base, assign_timer, NULL);
	evtimer_add(r.timer, &tv);
	event_base_dispatch(r.base);
	close_all();
	rate = (double)(r.a1 - r.a0) / ((double)(r.t1 - r.t0) / 1e9);
	if (r.errors > 0)
		log_warnx("%llu Error replies, the last: %s",
		    (unsigned long long)r.errors, r.last_error);
	tree_stop(&t, r.errors > 0);
	if (r.errors > 0)
		exit(1);
	return rate;
}

static void
scenario_assign(void)
{
	double	 g[NCOUNTS][MAX_REPS], m[NCOUNTS][MAX_REPS];
	double	 f[NCOUNTS * MAX_REPS], ratio[MAX_REPS];
	int	 i, c, nf = 0;

	printf("== AssignTask throughput: ");
	for (c = 0; c < ncounts; c++)
		printf("%s%d", c == 0 ? "" : c == ncounts - 1 ? " and " : ", ",
		    sender_counts[c]);
	printf(" senders, %d unanswered each, %.0f s per run after %.0f s "
	    "warm-up, synchronous=full%s, %d runs\n", opt.window, opt.secs,
	    WARMUP_S, opt.mixed ? ", priorities, queues and delays" : "",
	    opt.reps);
	fflush(stdout);
	print_load("before");
	for (i = 0; i < opt.reps; i++)
		for (c = 0; c < ncounts; c++) {
			f[nf] = fsync_ms();
			g[c][i] = run_assign(sender_counts[c], 1);
			m[c][i] = run_assign(sender_counts[c], 0);
			printf("run %d, %3d senders: group commit %8.0f/s, "
			    "per-message commit %6.0f/s (%.1fx); fsync p50 "
			    "%.2f ms\n", i + 1, sender_counts[c], g[c][i],
			    m[c][i], g[c][i] / m[c][i], f[nf]);
			fflush(stdout);
			nf++;
		}
	printf("\n| senders x %d unanswered | group commit, tasks/s | "
	    "per-message commit, tasks/s | ratio |\n|---:|---:|---:|---:|\n",
	    opt.window);
	for (c = 0; c < ncounts; c++) {
		for (i = 0; i < opt.reps; i++)
			ratio[i] = g[c][i] / m[c][i];
		printf("| %d | %.0f | %.0f | **%.1fx** |\n", sender_counts[c],
		    median(g[c], opt.reps), median(m[c], opt.reps),
		    median(ratio, opt.reps));
	}
	qsort(f, (size_t)nf, sizeof(*f), cmp_double);
	printf("\nfsync p50 before each pair: %.2f to %.2f ms, median %.2f "
	    "ms\n", f[0], f[nf - 1], f[nf / 2]);
	printf("targets: at least 20,000 tasks/s with group commit, and "
	    "at least 20x the per-message rate\n");
	print_load("after");
	printf("\n");
}

/* ---- cycles: assign -> complete with 100 workers ---- */

/* Count the workers of a StatusUpdated snapshot whose status is idle. */
static int
count_idle(const msgpack_object *snap)
{
	const msgpack_object	*ws = mp_get(snap, "workers"), *st;
	uint32_t		 i;
	int			 n = 0;

	if (ws == NULL || ws->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	for (i = 0; i < ws->via.array.size; i++) {
		st = mp_get(&ws->via.array.ptr[i], "status");
		if (st != NULL && st->type == MSGPACK_OBJECT_STR &&
		    st->via.str.size == 4 &&
		    memcmp(st->via.str.ptr, "idle", 4) == 0)
			n++;
	}
	return n;
}

/* A push or reply to bench:watch. */
static void
watch_message(struct peer *p, struct envelope *env, void *arg)
{
	const msgpack_object	*tasks;
	uint64_t		 t = now_ns(), v;

	(void)p;
	(void)arg;
	if (env->type == MSG_ERROR) {
		note_error(env);
		return;
	}
	if (env->type != MSG_STATUS_UPDATED)
		return;
	tasks = mp_get(env->payload, "tasks");
	if (mp_uint(mp_get(tasks, "completed"), &v) == 0)
		r.completed = v;
	if (mp_uint(mp_get(tasks, "failed"), &v) == 0)
		r.failed = v;
	switch (r.phase) {
	case P_REGISTER:
		if ((r.idle = count_idle(env->payload)) < opt.workers)
			return;
		r.phase = P_CYCLES;
		r.t_go = t;
		pump_all();
		return;
	case P_CYCLES:
		if (!r.measuring &&
		    t - r.t_go >= (uint64_t)(WARMUP_S * 1e9)) {
			r.measuring = 1;
			r.ta = t;
			r.ca = r.completed;
		} else if (r.measuring &&
		    t - r.ta >= (uint64_t)(opt.secs * 1e9)) {
			r.tb = t;
			r.cb = r.completed;
			r.phase = P_IDLE;
			event_base_loopbreak(r.base);
			return;
		}
		pump_all();
		return;
	default:
		return;
	}
}

static void
watch_closed(struct peer *p, void *arg)
{
	fatalx("%s: the coordinator closed the connection; see %s/actord.log",
	    peer_name(p), ((const struct tree *)arg)->dir);
}

static const struct peer_cb watch_cb = {
	.message = watch_message,
	.closed = watch_closed,
};

/* Give up on a run that makes no progress. */
static void
stall_timer(evutil_socket_t fd, short what, void *arg)
{
	const struct tree	*t = arg;

	(void)fd;
	(void)what;
	fatalx("no progress in %d s (phase %d, %d idle workers, %llu sent, "
	    "%llu accepted, %llu completed); see %s/actord.log", WAIT_MS /
	    1000 + (int)opt.secs, r.phase, r.idle,
	    (unsigned long long)r.sent, (unsigned long long)r.accepted,
	    (unsigned long long)r.completed, t->dir);
}

/* One cycles run: register the workers, subscribe, flood; cycles/s. */
static double
run_cycles(void)
{
	struct timeval	 tv = { WAIT_MS / 1000 + (time_t)opt.secs +
			    (time_t)WARMUP_S, 0 };
	struct tree	 t;
	msgpack_packer	*p;
	char		 path[PATH_MAX], id[16];
	double		 rate;
	int		 i;

	tree_start(&t, 1);
	memset(&r.s, 0, sizeof(r.s));
	r.sent = r.accepted = r.errors = r.completed = r.failed = 0;
	r.measuring = 0;
	r.idle = 0;
	r.limit = -1;
	snprintf(path, sizeof(path), "%s/run/coordinator.sock", t.dir);
	r.watch = peer_new_path(path, WATCH, &r.lim, &watch_cb, &t);
	p = msg_begin(COORD, WATCH, MSG_SUBSCRIBE);
	msgpack_pack_map(p, 0);
	msg_end(r.watch);
	for (i = 0; i < opt.workers; i++) {
		snprintf(id, sizeof(id), "w%d", i + 1);
		p = msg_begin(COORD, WATCH, MSG_REGISTER_WORKER);
		msgpack_pack_map(p, 1);
		mp_pack_kv_str(p, "workerId", id);
		msg_end(r.watch);
	}
	senders(&t, opt.csenders);
	r.phase = P_REGISTER;
	evtimer_assign(r.timer, r.base, stall_timer, &t);
	evtimer_add(r.timer, &tv);
	event_base_dispatch(r.base);
	evtimer_del(r.timer);
	close_all();
	rate = (double)(r.cb - r.ca) / ((double)(r.tb - r.ta) / 1e9);
	if (r.errors > 0 || r.failed > 0)
		log_warnx("%llu Error replies (the last: %s), %llu tasks "
		    "failed", (unsigned long long)r.errors, r.last_error,
		    (unsigned long long)r.failed);
	tree_stop(&t, r.errors > 0 || r.failed > 0);
	if (r.errors > 0 || r.failed > 0)
		exit(1);
	return rate;
}

static void
scenario_cycles(void)
{
	double	 v[MAX_REPS];
	int	 i;

	printf("== Full task cycles: %d workers, AssignTask kind echo from "
	    "%d senders (%d unanswered each, at most %ld accepted and not "
	    "completed), %.0f s per run after %.0f s warm-up, %d runs\n",
	    opt.workers, opt.csenders, opt.window, opt.ahead, opt.secs,
	    WARMUP_S, opt.reps);
	fflush(stdout);
	print_load("before");
	for (i = 0; i < opt.reps; i++) {
		v[i] = run_cycles();
		printf("run %d: %.0f cycles/s\n", i + 1, v[i]);
		fflush(stdout);
	}
	printf("\nmedian: **%.0f cycles/s** (target: 10,000/s)\n",
	    median(v, opt.reps));
	print_load("after");
	printf("\n");
}

/* ---- queue: latency and memory with a long queue ---- */

/* The round trips of the queue scenario, in the order they run. */
static const struct probe {
	enum msg_type	 type;
	int		 filtered;	/* ListTasks with status and kind */
	const char	*label;
} probes[] = {
	{ MSG_ASSIGN_TASK, 0, "AssignTask" },
	{ MSG_GET_STATUS, 0, "GetStatus" },
	{ MSG_GET_TASK, 0, "GetTask" },
	{ MSG_LIST_TASKS, 0, "ListTasks, newest 100" },
	{ MSG_LIST_TASKS, 1, "ListTasks, queued echo 100" },
};
#define NPROBES		(int)(sizeof(probes) / sizeof(probes[0]))

struct qresult {
	double		 p50[NPROBES][2];	/* empty, long queue; us */
	double		 p99[NPROBES][2];
	double		 rss[2], db[2];		/* MiB */
	double		 fill_s;		/* seconds to queue them */
	double		 fsync;			/* ms, before the round trips */
};

/*
 * n round trips of type from s, one at a time, after warm of them not
 * counted; the times (ns) go to v[*nv..].
 */
static void
round_trips(struct sender *s, enum msg_type type, long warm, long n,
    uint64_t *v, long *nv)
{
	r.probe = s;
	r.lat_type = type;
	r.lat = v + *nv;
	r.nlat = 0;
	r.want = n;
	r.warm = warm;
	r.phase = P_LATENCY;
	pump(s);
	event_base_dispatch(r.base);
	*nv += r.nlat;
	r.probe = NULL;
}

/* p50 and p99 of n round trips, in microseconds. */
static void
percentiles(uint64_t *v, long n, double *p50, double *p99)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	*p50 = (double)v[n / 2] / 1e3;
	*p99 = (double)v[(n * 99) / 100] / 1e3;
}

/*
 * Round trips of type on the empty tree (probe_e) and on the long one
 * (sender 0), LAT_BLOCK at a time from each in turn: p50 and p99 of each.
 */
static void
latency(const struct probe *pr, double p50[2], double p99[2])
{
	enum msg_type	 type = pr->type;
	uint64_t	*v[2];
	long		 n[2] = { 0, 0 }, k, m;

	r.filtered = pr->filtered;
	v[0] = xcalloc((size_t)opt.samples, sizeof(*v[0]));
	v[1] = xcalloc((size_t)opt.samples, sizeof(*v[1]));
	round_trips(&r.probe_e, type, LAT_WARM, 0, v[0], &n[0]);
	round_trips(&r.s[0], type, LAT_WARM, 0, v[1], &n[1]);
	for (k = 0; k < opt.samples; k += m) {
		m = opt.samples - k < LAT_BLOCK ? opt.samples - k : LAT_BLOCK;
		round_trips(&r.probe_e, type, 0, m, v[0], &n[0]);
		round_trips(&r.s[0], type, 0, m, v[1], &n[1]);
	}
	percentiles(v[0], n[0], &p50[0], &p99[0]);
	percentiles(v[1], n[1], &p50[1], &p99[1]);
	free(v[0]);
	free(v[1]);
}

/*
 * One queue run: two trees, one filled with opt.queue tasks; round trips
 * on both in turn; RSS and database sizes.
 */
static void
run_queue(struct qresult *q)
{
	struct tree	 t[2];		/* the empty one, the long one */
	uint64_t	 t0;
	int		 k;

	tree_start(&t[0], 1);
	tree_start(&t[1], 1);
	memset(&r.s, 0, sizeof(r.s));
	r.sent = r.esent = r.accepted = r.errors = 0;
	r.ids = 1;
	sender_connect(&r.probe_e, &t[0], "probe");
	senders(&t[1], FILL_SENDERS);

	t0 = now_ns();
	r.limit = opt.queue;
	r.phase = P_FLOOD;
	pump_all();
	event_base_dispatch(r.base);
	q->fill_s = (double)(now_ns() - t0) / 1e9;

	q->fsync = fsync_ms();
	for (k = 0; k < 2; k++)
		pin((pid_t)coordinator_int(&t[k], "pid"), 0);
	pin(0, 0);
	for (k = 0; k < NPROBES; k++)
		latency(&probes[k], q->p50[k], q->p99[k]);
	pin(0, -1);
	for (k = 0; k < 2; k++) {
		q->rss[k] = (double)coordinator_int(&t[k], "rss_bytes") / 1048576.0;
		q->db[k] = (double)db_bytes(&t[k]) / 1048576.0;
	}
	close_all();
	if (r.errors > 0)
		log_warnx("%llu Error replies, the last: %s",
		    (unsigned long long)r.errors, r.last_error);
	tree_stop(&t[0], r.errors > 0);
	tree_stop(&t[1], r.errors > 0);
	if (r.errors > 0)
		exit(1);
}

/*
 * One row of the queue table: figure f (0 p50, 1 p99, 2 RSS) of probe k,
 * the medians on the empty and the long queue, and the median ratio.
 */
static void
queue_row(const struct qresult *q, int f, int k)
{
	double	 e[MAX_REPS], l[MAX_REPS], ratio[MAX_REPS];
	int	 i;

	for (i = 0; i < opt.reps; i++) {
		e[i] = f == 2 ? q[i].rss[0] : f == 1 ? q[i].p99[k][0] :
		    q[i].p50[k][0];
		l[i] = f == 2 ? q[i].rss[1] : f == 1 ? q[i].p99[k][1] :
		    q[i].p50[k][1];
		ratio[i] = l[i] / e[i];
	}
	if (f == 2)
		printf("| coordinator RSS, MiB");
	else
		printf("| %s round trip %s, us", probes[k].label,
		    f == 1 ? "p99" : "p50");
	printf(" | %.*f | %.*f | %s%.2fx%s |\n", f == 2 ? 1 : 0,
	    median(e, opt.reps), f == 2 ? 1 : 0, median(l, opt.reps),
	    f == 0 ? "**" : "", median(ratio, opt.reps), f == 0 ? "**" : "");
}

static void
scenario_queue(void)
{
	struct qresult	 q[MAX_REPS];
	double		 v[4][MAX_REPS];
	int		 i, k;

	printf("== Latency and memory with %ld tasks queued%s: two trees, "
	    "one filled by %d senders (%d unanswered each), the other "
	    "empty; %ld round trips of each request, one at a time, %d at a "
	    "time from each tree in turn (after %d warm-up); %d runs\n",
	    opt.queue, opt.mixed ? " (priorities, queues, delays)" : "",
	    FILL_SENDERS, opt.window, opt.samples, LAT_BLOCK, LAT_WARM,
	    opt.reps);
	fflush(stdout);
	print_load("before");
	for (i = 0; i < opt.reps; i++) {
		run_queue(&q[i]);
		printf("run %d: queued %ld in %.1f s (%.0f/s); fsync p50 %.2f "
		    "ms; rss %.1f / %.1f MiB; db %.0f MiB; empty / long:",
		    i + 1, opt.queue, q[i].fill_s,
		    (double)opt.queue / q[i].fill_s, q[i].fsync, q[i].rss[0],
		    q[i].rss[1], q[i].db[1]);
		for (k = 0; k < NPROBES; k++)
			printf("%s %s p50 %.0f / %.0f us, p99 %.0f / %.0f us",
			    k == 0 ? "" : ";", probes[k].label,
			    q[i].p50[k][0], q[i].p50[k][1], q[i].p99[k][0],
			    q[i].p99[k][1]);
		printf("\n");
		fflush(stdout);
	}
	printf("\n| median of %d runs | empty queue | %ld queued | ratio |\n"
	    "|---|---:|---:|---:|\n", opt.reps, opt.queue);
	for (k = 0; k < NPROBES; k++) {
		queue_row(q, 0, k);
		queue_row(q, 1, k);
	}
	queue_row(q, 2, 0);
	for (i = 0; i < opt.reps; i++) {
		v[0][i] = q[i].db[1];
		v[1][i] = (double)opt.queue / q[i].fill_s;
		v[2][i] = q[i].fill_s;
		v[3][i] = q[i].fsync;
	}
	printf("| coordinator.db + WAL, MiB | | %.0f | |\n",
	    median(v[0], opt.reps));
	printf("\nfilling: %.0f tasks/s, %.1f s; fsync p50 before the round "
	    "trips: %.2f ms; target: p50 within 2x of the empty queue\n",
	    median(v[1], opt.reps), median(v[2], opt.reps),
	    median(v[3], opt.reps));
	print_load("after");
	printf("\n");
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: bench_assign [-b bindir] [-c senders] "
	    "[-m] [-n samples] [-Q ahead] [-q queued] [-r runs] "
	    "[-s assign|cycles|queue] [-t seconds] [-w window]\n");
	exit(100);
}

int
main(int argc, char *argv[])
{
	const char	*bindir = "bin";
	int		 ch, s;

	while ((ch = getopt(argc, argv, "b:c:mn:Q:q:r:s:t:w:")) != -1) {
		switch (ch) {
		case 'b':
			bindir = optarg;
			break;
		case 'c':
			sender_counts[0] = atoi(optarg);
			if (sender_counts[0] < 1 ||
			    sender_counts[0] > MAX_SENDERS)
				usage();
			ncounts = 1;
			break;
		case 'm':
			opt.mixed = 1;
			break;
		case 'n':
			opt.samples = strtol(optarg, NULL, 10);
			break;
		case 'Q':
			opt.ahead = strtol(optarg, NULL, 10);
			break;
		case 'q':
			opt.queue = strtol(optarg, NULL, 10);
			break;
		case 'r':
			opt.reps = atoi(optarg);
			break;
		case 's':
			for (s = 0; s < S_ALL; s++)
				if (strcmp(optarg, scenario_names[s]) == 0)
					opt.scenario = s;
			if (opt.scenario == S_ALL)
				usage();
			break;
		case 't':
			opt.secs = strtod(optarg, NULL);
			break;
		case 'w':
			opt.window = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (opt.reps < 1 || opt.reps > MAX_REPS || opt.secs <= 0 ||
	    opt.window < 1 || opt.queue < 1 || opt.samples < 1 ||
	    opt.ahead < 1)
		usage();
	log_init("bench_assign", LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	if (realpath(bindir, opt.bindir) == NULL)
		fatal("%s", bindir);

	if ((r.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	peer_init(r.base);
	peer_default_limits(&r.lim);
	if ((r.timer = evtimer_new(r.base, assign_timer, NULL)) == NULL)
		fatalx("evtimer_new");

	if (opt.scenario == S_ALL || opt.scenario == S_ASSIGN)
		scenario_assign();
	if (opt.scenario == S_ALL || opt.scenario == S_CYCLES)
		scenario_cycles();
	if (opt.scenario == S_ALL || opt.scenario == S_QUEUE)
		scenario_queue();
	bury();
	return 0;
}
