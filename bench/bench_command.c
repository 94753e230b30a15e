/*
 * bench_command: tasks of a command kind on the real tree, beside what
 * the machine can do at all.
 *
 * Every tree is bin/actord with a temporary config (its own state and run
 * directories, the gateway on a free port) and the kinds below; the
 * senders are connections to $RUN/coordinator.sock made with common/'s
 * peer.c, each saying Hello as bench:<name>.  Three measurements:
 *
 *	cycles	the spawn floor, then command task cycles, in turn, -r
 *		times.  The floor: posix_spawn() + waitpid() of /bin/true
 *		from this process, -c (100) in flight, for -t seconds.  The
 *		cycles: -c workers, AssignTask {kind: "true"} (argv
 *		/bin/true) from 10 senders with at most -Q accepted and not
 *		completed, a subscriber counting tasks.completed in the
 *		coalesced StatusUpdated pushes over -t seconds after one of
 *		warm-up; once with the coordinator at synchronous = full
 *		(its default: a worker waits for the commit's fsync before
 *		its next task) and once at normal.  All are completed
 *		programs per second; each ratio is the median of each run's
 *		pair.
 *	latency	AssignTask of a command kind to its program's first
 *		instruction: bench_stamp (static) prints CLOCK_REALTIME at
 *		the top of main(); one task at a time to one idle worker,
 *		watched (TaskFinished brings the result).  p50 and p99 of
 *		stamp - send over -n tasks, and the same for posix_spawn()
 *		of bench_stamp from this process.
 *	memory	-m (200) workers, the worker process's RSS idle, then with
 *		as many `sleep` commands running; GetState round trips to a
 *		worker, one at a time, all through their start, run and
 *		end: p50, p99 and the largest.
 *
 *	make -f bench/Makefile
 *	build/rel/bench/bench_command [-b bindir] [-c workers] [-m commands]
 *	    [-n samples] [-Q ahead] [-r runs] [-s cycles|latency|memory]
 *	    [-t seconds]
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <msgpack.h>

#include "clock.h"
#include "bench_util.h"
#include "config.h"
#include "envelope.h"
#include "frame.h"
#include "log.h"
#include "peer.h"
#include "xmalloc.h"

#define COORD		"coordinator:main"
#define MAX_REPS	9
#define MAX_SENDERS	10
#define MAX_SAMPLES	100000
#define WARMUP_S	1.0
#define LAT_WARM	20
#define PROBE_MS	2		/* GetState this often */

extern char	**environ;

enum scenario { S_CYCLES, S_LATENCY, S_MEMORY, S_ALL };
static const char *const scenario_names[] = { "cycles", "latency", "memory" };

static struct {
	char		 bindir[PATH_MAX];
	char		 stamp[PATH_MAX + 16];	/* bench_stamp */
	int		 reps;
	int		 scenario;
	double		 secs;
	int		 workers;	/* cycles: workers, and the floor's */
	int		 commands;	/* memory: commands at once */
	long		 samples;	/* latency */
	long		 ahead;		/* cycles: accepted, not completed */
} opt = { "", "", 3, S_ALL, 5.0, 100, 200, 500, 400 };

struct tree {
	char		 dir[64];
	char		 conf[96];
	pid_t		 actord;
	int		 sync;		/* coordinator: 0 full, 1 normal */
};

struct sender {
	struct peer	*p;
	char		 name[32];
	int		 out;		/* unanswered */
};

enum phase { P_IDLE, P_CYCLES, P_LATENCY, P_MEMORY };

static struct {
	struct event_base	*base;
	struct peer_limits	 lim;
	struct tree		*t;
	enum phase		 phase;
	struct sender		 s[MAX_SENDERS];
	int			 ns;
	struct peer		*watch;		/* bench:watch, subscribed */
	struct peer		*probe;		/* bench:probe on worker.sock */
	uint64_t		 sent, completed, accepted;
	int			 idle, running;	/* from the last push */
	int			 want_idle;	/* workers registered */
	double			 t0;		/* measuring since */
	uint64_t		 c0;		/* completed then */
	double			 rate;
	/* latency */
	double			 t_sent;	/* CLOCK_REALTIME, ns */
	long			 warm;
	double			*lat;
	long			 nlat;
	char			 task[64];
	/* memory: GetState round trips */
	double			 probe_sent;	/* monotonic ns; 0: none out */
	double			*rtt;
	long			 nrtt;
	struct event		*timer;
	struct event		*probe_ev;
	long			 errors;
	char			 last_error[256];
} r;

/* The real time in ns, to compare with what a program wrote. */
static double
real_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The q-quantile of v[0..n) (sorted in place). */
static double
quantile(double *v, long n, double q)
{
	long	 i;

	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	i = (long)(q * (double)(n - 1) + 0.5);
	return v[i];
}

/* ---- the tree ---- */

/* Run actorctl on t with args; its stdout, malloc'd (NULL: it failed). */
static char *
actorctl(const struct tree *t, const char *args)
{
	char	 cmd[PATH_MAX * 2], *out = NULL;
	size_t	 len = 0, n;
	char	 buf[4096];
	FILE	*fp;

	snprintf(cmd, sizeof(cmd), "%s/actorctl -c %s %s", opt.bindir,
	    t->conf, args);
	if ((fp = popen(cmd, "r")) == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		out = xreallocarray(out, len + n + 1, 1);
		memcpy(out + len, buf, n);
		len += n;
		out[len] = '\0';
	}
	if (pclose(fp) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* A fresh tree with the command kinds, up to the gateway. */
static void
tree_start(struct tree *t)
{
	char	 tmpl[] = "/tmp/actord-bench-cmd.XXXXXX", *out;
	char	 path[PATH_MAX + 16];
	FILE	*fp;
	int	 fd, i;

	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp");
	snprintf(t->dir, sizeof(t->dir), "%s", tmpl);
	snprintf(t->conf, sizeof(t->conf), "%s/actord.conf", t->dir);
	if ((fp = fopen(t->conf, "w")) == NULL)
		fatal("%s", t->conf);
	fprintf(fp, "[actord]\nstate_dir = %s/state\nrun_dir = %s/run\n"
	    "program_dir = %s\nlog_level = warning\n"
	    "[coordinator]\nsynchronous = %s\n"
	    "[gateway]\nlisten = 127.0.0.1:0\n"
	    "[kind.true]\nargv = /bin/true\n"
	    "[kind.stamp]\nargv = %s\n"
	    "[kind.hold]\nargv = /bin/sleep\ninput = args\n",
	    t->dir, t->dir, opt.bindir, t->sync ? "normal" : "full",
	    opt.stamp);
	if (fclose(fp) == EOF)
		fatal("%s", t->conf);
	if ((t->actord = fork()) == -1)
		fatal("fork");
	if (t->actord == 0) {
		snprintf(path, sizeof(path), "%s/actord.log", t->dir);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
		    -1)
			_exit(111);
		dup2(fd, 1);
		dup2(fd, 2);
		unsetenv("NOTIFY_SOCKET");
		snprintf(path, sizeof(path), "%s/actord", opt.bindir);
		execl(path, "actord", "-c", t->conf, (char *)NULL);
		_exit(111);
	}
	snprintf(path, sizeof(path), "%s/run/actord.sock", t->dir);
	for (i = 0; i < 1000 && access(path, F_OK) == -1; i++) {
		if (waitpid(t->actord, NULL, WNOHANG) == t->actord)
			fatalx("actord exited; see %s/actord.log", t->dir);
		usleep(10000);
	}
	if ((out = actorctl(t, "-t 10000 wait gateway up")) == NULL)
		fatalx("the tree did not come up; see %s/actord.log", t->dir);
	free(out);
	r.t = t;
}

static void
tree_stop(struct tree *t)
{
	int	 i, status;

	kill(t->actord, SIGTERM);
	for (i = 0; i < 1500; i++) {
		if (waitpid(t->actord, &status, WNOHANG) == t->actord)
			break;
		usleep(10000);
	}
	if (i == 1500) {
		kill(t->actord, SIGKILL);
		waitpid(t->actord, &status, 0);
	}
	rm_tree(t->dir);
}

/* The worker process's pid and RSS from `actorctl --json status`. */
static long long
worker_rss(const struct tree *t, long *pid)
{
	json_t		*j, *ps, *p;
	json_error_t	 err;
	char		*out;
	size_t		 i;
	long long	 rss = 0;

	if ((out = actorctl(t, "--json status")) == NULL)
		return 0;
	if ((j = json_loads(out, 0, &err)) != NULL &&
	    (ps = json_object_get(j, "processes")) != NULL)
		json_array_foreach(ps, i, p)
			if (strcmp(json_string_value(json_object_get(p,
			    "name")), "worker") == 0) {
				rss = json_integer_value(json_object_get(p,
				    "rss_bytes"));
				if (pid != NULL)
					*pid = (long)json_integer_value(
					    json_object_get(p, "pid"));
			}
	json_decref(j);
	free(out);
	return rss;
}

/* ---- messages ---- */

/* AssignTask {kind[, input: [arg]][, taskId, watch]} from s. */
static void
send_assign(struct sender *s, const char *kind, const char *arg,
    const char *task)
{
	msgpack_packer	*p = msg_begin(COORD, s->name, MSG_ASSIGN_TASK);

	msgpack_pack_map(p, 1 + (arg != NULL) + 2 * (task != NULL));
	mp_pack_kv_str(p, "kind", kind);
	if (arg != NULL) {
		msgpack_pack_str_with_body(p, "input", 5);
		msgpack_pack_array(p, 1);
		msgpack_pack_str_with_body(p, arg, strlen(arg));
	}
	if (task != NULL) {
		mp_pack_kv_str(p, "taskId", task);
		msgpack_pack_str_with_body(p, "watch", 5);
		msgpack_pack_true(p);
	}
	msg_end(s->p);
	s->out++;
	r.sent++;
}

static void
note_error(const struct envelope *env)
{
	const msgpack_object	*e = mp_get(env->payload, "error");

	r.errors++;
	if (e != NULL && e->type == MSGPACK_OBJECT_STR)
		snprintf(r.last_error, sizeof(r.last_error), "%.*s",
		    (int)e->via.str.size, e->via.str.ptr);
}

/* Keep s's share of the tasks ahead going (cycles). */
static void
pump(struct sender *s)
{
	if (r.phase != P_CYCLES)
		return;
	while (s->out < 16 && r.sent - r.completed < (uint64_t)opt.ahead)
		send_assign(s, "true", NULL, NULL);
}

static void
pump_all(void)
{
	int	 i;

	for (i = 0; i < r.ns; i++)
		pump(&r.s[i]);
}

/* The latency probe's next task. */
static void
latency_next(void)
{
	static unsigned	 seq;

	snprintf(r.task, sizeof(r.task), "stamp-%u", ++seq);
	r.t_sent = real_ns();
	send_assign(&r.s[0], "stamp", NULL, r.task);
}

static void
sender_message(struct peer *p, struct envelope *env, void *arg)
{
	struct sender		*s = arg;
	const msgpack_object	*v, *res;
	char			 buf[64];

	(void)p;
	if (env->type == MSG_ERROR) {
		note_error(env);
		s->out--;
	} else if (env->type == MSG_TASK_ACCEPTED ||
	    env->type == MSG_WORKER_REGISTERED) {
		r.accepted++;
		s->out--;
	} else if (env->type == MSG_TASK_FINISHED && r.phase == P_LATENCY) {
		v = mp_get(env->payload, "taskId");
		if (v == NULL || !mp_streq(v, r.task))
			return;
		res = mp_get(env->payload, "result");
		if (mp_strcpy(mp_get(res, "stdout"), buf, sizeof(buf)) == -1)
			fatalx("a stamp task without its stamp");
		if (r.warm > 0)
			r.warm--;
		else
			r.lat[r.nlat++] = (strtod(buf, NULL) - r.t_sent) / 1e6;
		if (r.nlat >= opt.samples) {
			r.phase = P_IDLE;
			event_base_loopbreak(r.base);
			return;
		}
		latency_next();
		return;
	}
	pump(s);
}

static void
sender_closed(struct peer *p, void *arg)
{
	(void)arg;
	fatalx("%s: connection closed; see %s/actord.log", peer_name(p),
	    r.t->dir);
}

static const struct peer_cb sender_cb = {
	.message = sender_message,
	.closed = sender_closed,
};

/* Count the idle and running workers and the completed tasks of a push. */
static void
watch_message(struct peer *p, struct envelope *env, void *arg)
{
	const msgpack_object	*w, *st;
	uint64_t		 done = 0;
	uint32_t		 i;

	(void)p;
	(void)arg;
	if (env->type != MSG_STATUS_UPDATED)
		return;
	mp_uint(mp_get(mp_get(env->payload, "tasks"), "completed"), &done);
	r.completed = done;
	r.idle = r.running = 0;
	w = mp_get(env->payload, "workers");
	for (i = 0; w != NULL && w->type == MSGPACK_OBJECT_ARRAY &&
	    i < w->via.array.size; i++) {
		st = mp_get(&w->via.array.ptr[i], "status");
		r.idle += mp_streq(st, "idle");
		r.running += mp_streq(st, "busy");
	}
	pump_all();
}

static const struct peer_cb watch_cb = {
	.message = watch_message,
	.closed = sender_closed,
};

/* A GetState round trip to worker:w1 came back; the next goes. */
static void
probe_send(void)
{
	msgpack_packer	*p = msg_begin("worker:w1", "bench:probe",
	    MSG_GET_STATE);

	msgpack_pack_map(p, 0);
	msg_end(r.probe);
	r.probe_sent = now_ns();
}

static void
probe_message(struct peer *p, struct envelope *env, void *arg)
{
	(void)p;
	(void)arg;
	if (env->type != MSG_WORKER_STATE || r.probe_sent == 0)
		return;
	if (r.nrtt < MAX_SAMPLES)
		r.rtt[r.nrtt++] = (now_ns() - r.probe_sent) / 1e6;
	r.probe_sent = 0;
}

/* Every PROBE_MS, a GetState if none is out. */
static void
probe_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (r.phase == P_MEMORY && r.probe_sent == 0)
		probe_send();
}

static const struct peer_cb probe_cb = {
	.message = probe_message,
	.closed = sender_closed,
};

/* Connect n senders and the subscriber to t's coordinator. */
static void
connect_all(struct tree *t, int n)
{
	char		 path[PATH_MAX];
	msgpack_packer	*p;
	int		 i;

	snprintf(path, sizeof(path), "%s/run/coordinator.sock", t->dir);
	for (i = 0; i < n; i++) {
		snprintf(r.s[i].name, sizeof(r.s[i].name), "bench:s%d", i + 1);
		r.s[i].out = 0;
		r.s[i].p = peer_new_path(path, r.s[i].name, &r.lim,
		    &sender_cb, &r.s[i]);
	}
	r.ns = n;
	r.watch = peer_new_path(path, "bench:watch", &r.lim, &watch_cb,
	    NULL);
	p = msg_begin(COORD, "bench:watch", MSG_SUBSCRIBE);
	msgpack_pack_map(p, 0);
	msg_end(r.watch);
}

static void
close_all(void)
{
	int	 i;

	for (i = 0; i < r.ns; i++)
		peer_close(r.s[i].p);
	r.ns = 0;
	if (r.watch != NULL)
		peer_close(r.watch);
	r.watch = NULL;
	if (r.probe != NULL)
		peer_close(r.probe);
	r.probe = NULL;
	event_base_loop(r.base, EVLOOP_NONBLOCK);
}

/* Run the loop for ms, or until stop() says so. */
static void
loop_until(int (*stop)(void), double ms)
{
	struct timeval	 tv = { 0, 50000 };
	double		 end = now_ns() + ms * 1e6;

	while (!stop() && now_ns() < end) {
		event_base_loopexit(r.base, &tv);
		event_base_dispatch(r.base);
	}
}

static int
all_idle(void)
{
	return r.idle >= r.want_idle;
}

static int
never(void)
{
	return 0;
}

static int
all_running(void)
{
	return r.running >= opt.commands;
}

static int
none_running(void)
{
	return r.running == 0 && r.completed >= (uint64_t)opt.commands;
}

/* RegisterWorker w1..wn, until the pushes show them all idle. */
static void
register_workers(int n)
{
	msgpack_packer	*p;
	char		 id[16];
	int		 i;

	r.want_idle = n;
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "w%d", i + 1);
		p = msg_begin(COORD, r.s[0].name, MSG_REGISTER_WORKER);
		msgpack_pack_map(p, 1);
		mp_pack_kv_str(p, "workerId", id);
		msg_end(r.s[0].p);
		r.s[0].out++;
	}
	loop_until(all_idle, 20000);
	if (!all_idle())
		fatalx("%d of %d workers idle (%ld errors, last: %s)", r.idle,
		    n, r.errors, r.last_error);
}

/* ---- cycles: the spawn floor and command task cycles ---- */

/* posix_spawn() + waitpid() of /bin/true, c in flight, for secs. */
static double
spawn_floor(int c, double secs)
{
	char		*argv[] = { "/bin/true", NULL };
	double		 t0, end;
	pid_t		 pid;
	long		 n = 0;
	int		 i, status, inflight = 0;

	t0 = now_ns();
	end = t0 + secs * 1e9;
	for (i = 0; i < c; i++) {
		if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
			fatal("posix_spawn");
		inflight++;
	}
	while (inflight > 0) {
		if (wait(&status) == -1)
			fatal("wait");
		inflight--;
		n++;
		if (now_ns() < end) {
			if (posix_spawn(&pid, argv[0], NULL, NULL, argv,
			    environ) != 0)
				fatal("posix_spawn");
			inflight++;
		}
	}
	return (double)n / ((now_ns() - t0) / 1e9);
}

static void
cycles_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (r.t0 == 0) {
		r.t0 = now_ns();
		r.c0 = r.completed;
		timer_ms(r.timer, (int64_t)(opt.secs * 1000));
		return;
	}
	r.rate = (double)(r.completed - r.c0) / ((now_ns() - r.t0) / 1e9);
	r.phase = P_IDLE;
	event_base_loopbreak(r.base);
}

/*
 * One run of command task cycles, the coordinator at synchronous full
 * (its default) or normal; completed per second.
 */
static double
run_cycles(int normal)
{
	struct tree	 t;

	t.sync = normal;
	tree_start(&t);
	connect_all(&t, MAX_SENDERS);
	register_workers(opt.workers);
	r.sent = r.completed = 0;
	r.t0 = 0;
	r.phase = P_CYCLES;
	pump_all();
	timer_ms(r.timer, (int64_t)(WARMUP_S * 1000));
	event_base_dispatch(r.base);
	r.phase = P_IDLE;
	close_all();
	tree_stop(&t);
	return r.rate;
}

static void
scenario_cycles(void)
{
	double	 floor[MAX_REPS], full[MAX_REPS], normal[MAX_REPS];
	double	 rfull[MAX_REPS], rnormal[MAX_REPS];
	int	 i;

	printf("== command task cycles beside the spawn floor (%d workers, "
	    "%d in flight for the floor, %.0f s each, %d runs)\n",
	    opt.workers, opt.workers, opt.secs, opt.reps);
	print_load("before");
	printf("fdatasync of 4 KiB in /tmp: p50 %.2f ms\n", fsync_ms());
	for (i = 0; i < opt.reps; i++) {
		floor[i] = spawn_floor(opt.workers, opt.secs);
		full[i] = run_cycles(0);
		normal[i] = run_cycles(1);
		rfull[i] = full[i] / floor[i];
		rnormal[i] = normal[i] / floor[i];
		printf("run %d: floor %.0f/s; cycles %.0f/s (%.2f) with the "
		    "coordinator's synchronous = full, %.0f/s (%.2f) with "
		    "normal%s\n", i + 1, floor[i], full[i], rfull[i],
		    normal[i], rnormal[i], r.errors ? " (errors!)" : "");
	}
	printf("median: floor %.0f spawns/s; command task cycles %.0f/s, "
	    "ratio %.2f (synchronous = full, the default), %.0f/s, ratio "
	    "%.2f (normal); target: at least 0.6\n",
	    quantile(floor, opt.reps, 0.5), quantile(full, opt.reps, 0.5),
	    quantile(rfull, opt.reps, 0.5), quantile(normal, opt.reps, 0.5),
	    quantile(rnormal, opt.reps, 0.5));
	if (r.errors)
		printf("errors: %ld, last: %s\n", r.errors, r.last_error);
	print_load("after");
}

/* ---- latency: AssignTask to the program's first instruction ---- */

/* posix_spawn() of bench_stamp to its stamp, n times: ms each into v. */
static void
spawn_latency(double *v, long n)
{
	char		*argv[] = { opt.stamp, NULL };
	posix_spawn_file_actions_t fa;
	char		 buf[64];
	double		 t0;
	ssize_t		 len;
	pid_t		 pid;
	long		 i;
	int		 p[2], status;

	for (i = 0; i < n + LAT_WARM; i++) {
		if (pipe(p) == -1)
			fatal("pipe");
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_addclose(&fa, p[0]);
		t0 = real_ns();
		if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
			fatal("posix_spawn");
		posix_spawn_file_actions_destroy(&fa);
		close(p[1]);
		len = read(p[0], buf, sizeof(buf) - 1);
		close(p[0]);
		waitpid(pid, &status, 0);
		if (len <= 0)
			fatalx("bench_stamp said nothing");
		buf[len] = '\0';
		if (i >= LAT_WARM)
			v[i - LAT_WARM] = (strtod(buf, NULL) - t0) / 1e6;
	}
}

static void
scenario_latency(void)
{
	struct tree	 t = { .sync = 0 };
	double		*floor = xcalloc((size_t)opt.samples, sizeof(double));

	printf("== AssignTask to the program's first instruction (one task "
	    "at a time, %ld tasks)\n", opt.samples);
	print_load("before");
	spawn_latency(floor, opt.samples);
	tree_start(&t);
	connect_all(&t, 1);
	register_workers(1);
	r.lat = xcalloc((size_t)opt.samples, sizeof(double));
	r.nlat = 0;
	r.warm = LAT_WARM;
	r.phase = P_LATENCY;
	latency_next();
	event_base_dispatch(r.base);
	close_all();
	tree_stop(&t);
	printf("command task: p50 %.3f ms, p99 %.3f ms (target: p50 under "
	    "2 ms on an idle machine)\n", quantile(r.lat, r.nlat, 0.5),
	    quantile(r.lat, r.nlat, 0.99));
	printf("posix_spawn from a small process: p50 %.3f ms, p99 %.3f ms\n",
	    quantile(floor, opt.samples, 0.5),
	    quantile(floor, opt.samples, 0.99));
	if (r.errors)
		printf("errors: %ld, last: %s\n", r.errors, r.last_error);
	print_load("after");
	free(r.lat);
	free(floor);
}

/* ---- memory: the worker with many commands running ---- */

static void
scenario_memory(void)
{
	struct tree	 t = { .sync = 0 };
	char		 path[PATH_MAX];
	long long	 idle, busy;
	long		 pid = 0;
	int		 i;

	printf("== the worker process with %d commands running (sleep 3, "
	    "%d workers)\n", opt.commands, opt.commands);
	print_load("before");
	tree_start(&t);
	connect_all(&t, MAX_SENDERS);
	register_workers(opt.commands);
	loop_until(never, 500);
	idle = worker_rss(&t, &pid);
	snprintf(path, sizeof(path), "%s/run/worker.sock", t.dir);
	r.probe = peer_new_path(path, "bench:probe", &r.lim, &probe_cb, NULL);
	r.rtt = xcalloc(MAX_SAMPLES, sizeof(double));
	r.nrtt = 0;
	r.phase = P_MEMORY;
	if ((r.probe_ev = event_new(r.base, -1, EV_PERSIST, probe_timer,
	    NULL)) == NULL)
		fatalx("event_new");
	timer_ms(r.probe_ev, PROBE_MS);
	r.sent = r.completed = 0;
	for (i = 0; i < opt.commands; i++)
		send_assign(&r.s[i % MAX_SENDERS], "hold", "3", NULL);
	loop_until(all_running, 10000);
	busy = worker_rss(&t, NULL);
	printf("%d running: worker RSS idle %.1f MiB, busy %.1f MiB: "
	    "%.1f KiB per running command (target: under 1024)\n",
	    r.running, (double)idle / 1048576, (double)busy / 1048576,
	    (double)(busy - idle) / 1024 / (r.running ? r.running : 1));
	loop_until(none_running, 20000);
	loop_until(never, 200);
	r.phase = P_IDLE;
	event_free(r.probe_ev);
	printf("GetState to a worker (one every %d ms) through their start, "
	    "run and end: "
	    "%ld round trips, p50 %.3f ms, p99 %.3f ms, max %.3f ms "
	    "(target: p99 within 10 ms)\n", PROBE_MS, r.nrtt,
	    quantile(r.rtt, r.nrtt, 0.5), quantile(r.rtt, r.nrtt, 0.99),
	    quantile(r.rtt, r.nrtt, 1.0));
	if (r.errors)
		printf("errors: %ld, last: %s\n", r.errors, r.last_error);
	close_all();
	tree_stop(&t);
	free(r.rtt);
	print_load("after");
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_command [-b bindir] [-c workers] "
	    "[-m commands] [-n samples] [-Q ahead] [-r runs] "
	    "[-s cycles|latency|memory] [-t seconds]\n");
	exit(100);
}

int
main(int argc, char *argv[])
{
	const char	*bindir = "bin";
	char		 self[PATH_MAX];
	ssize_t		 n;
	int		 ch, s;

	while ((ch = getopt(argc, argv, "b:c:m:n:Q:r:s:t:")) != -1) {
		switch (ch) {
		case 'b':
			bindir = optarg;
			break;
		case 'c':
			opt.workers = atoi(optarg);
			break;
		case 'm':
			opt.commands = atoi(optarg);
			break;
		case 'n':
			opt.samples = strtol(optarg, NULL, 10);
			break;
		case 'Q':
			opt.ahead = strtol(optarg, NULL, 10);
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
		default:
			usage();
		}
	}
	if (opt.reps < 1 || opt.reps > MAX_REPS || opt.secs <= 0 ||
	    opt.workers < 1 || opt.commands < 1 || opt.samples < 1 ||
	    opt.samples > MAX_SAMPLES || opt.ahead < 1)
		usage();
	log_init("bench_command", LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (realpath(bindir, opt.bindir) == NULL)
		fatal("%s", bindir);
	/* bench_stamp sits beside this program. */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		fatal("readlink");
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(opt.stamp, sizeof(opt.stamp), "%s/bench_stamp", self);
	if (access(opt.stamp, X_OK) == -1)
		fatal("%s", opt.stamp);

	if ((r.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	peer_init(r.base);
	peer_default_limits(&r.lim);
	if ((r.timer = evtimer_new(r.base, cycles_timer, NULL)) == NULL)
		fatalx("evtimer_new");

	if (opt.scenario == S_ALL || opt.scenario == S_CYCLES)
		scenario_cycles();
	if (opt.scenario == S_ALL || opt.scenario == S_LATENCY)
		scenario_latency();
	if (opt.scenario == S_ALL || opt.scenario == S_MEMORY)
		scenario_memory();
	return 0;
}
