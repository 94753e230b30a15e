/*
 * bench_coordinator: the coordinator's scheduling cost with a big registry
 * and a long queue, in process, against a real SQLite file with the
 * production settings (synchronous=FULL, the dedupe window on).
 *
 *  1. 10,000 workers registered and online, each running a task, then
 *     1,000,000 tasks queued behind them (-w, -q).
 *  2. Latency of one AssignTask (queued at the tail) and one TaskCompleted
 *     (the freed worker takes the head of the queue), each with its own
 *     commit: the handling alone and handling + commit (fsync), as
 *     p50/p99/max over -n samples; beside the same on an empty queue.
 *  3. AssignTask throughput committing every 1, 10 and 100 messages (what
 *     a loop turn holds with 1, 10 or 100 senders: group commit), and
 *     full task cycles (assign -> TaskCompleted, kind echo) with 100
 *     workers.
 *  4. Memory (RSS) and database size with the long queue.
 *
 * The state machine is driven directly, without sockets: this measures
 * the coordinator, not the transport (bench_transport does that).
 *
 * Build: bench/Makefile links the coordinator's sources, as its unit
 * test does:
 *
 *	make -f bench/Makefile build/rel/bench/bench_coordinator
 *	build/rel/bench/bench_coordinator [-w workers] [-q queued] [-n samples]
 *	    [-d dir]
 */
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "coordinator.h"
#include "db.h"
#include "envelope.h"
#include "log.h"
#include "msg.h"
#include "outbox.h"
#include "payload.h"

struct bench {
	struct coord		*c;
	struct outbox		 ob;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_zone		 zone;
	uint64_t		 msgid;
};

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
rss_kb(void)
{
	FILE	*fp = fopen("/proc/self/status", "r");
	char	 line[256];
	long	 kb = -1;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

/* Hand the coordinator one message; fields are key/value string pairs. */
static void
deliver(struct bench *b, enum msg_type type, const char *from, int with_id,
    const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct envelope	 env;
	msgpack_object	 obj;
	size_t		 off = 0;

	b->sb.size = 0;
	msgpack_pack_map(&b->pk, (k1 != NULL) + (k2 != NULL));
	if (k1 != NULL)
		mp_pack_kv_str(&b->pk, k1, v1);
	if (k2 != NULL)
		mp_pack_kv_str(&b->pk, k2, v2);
	msgpack_zone_clear(&b->zone);
	if (msgpack_unpack(b->sb.data, b->sb.size, &off, &b->zone, &obj) !=
	    MSGPACK_UNPACK_SUCCESS)
		fatalx("unpack");
	memset(&env, 0, sizeof(env));
	env.type = type;
	snprintf(env.to, sizeof(env.to), "%s", COORDINATOR_ADDRESS);
	snprintf(env.from, sizeof(env.from), "%s", from);
	if (with_id)
		snprintf(env.id, sizeof(env.id), "m%llu",
		    (unsigned long long)++b->msgid);
	env.payload = &obj;
	if (coord_handle(b->c, &env, &b->ob) == -1)
		fatalx("coord_handle failed");
	outbox_clear(&b->ob);
}

static void
commit(struct bench *b)
{
	if (db_commit(b->c->db) == -1)
		fatalx("commit failed");
}

static void
assign(struct bench *b, const char *task)
{
	deliver(b, MSG_ASSIGN_TASK, "session:bench", 1, "taskId", task,
	    "kind", "echo");
}

static void
completed(struct bench *b, const char *task, const char *worker)
{
	char	 from[ADDR_MAX + 1];

	snprintf(from, sizeof(from), "worker:%s", worker);
	deliver(b, MSG_TASK_COMPLETED, from, 0, "taskId", task, "workerId",
	    worker);
}

/* Register and announce n workers, named w0 ... */
static void
add_workers(struct bench *b, int n)
{
	char	 id[32], from[64];
	int	 i;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		snprintf(from, sizeof(from), "worker:%s", id);
		deliver(b, MSG_REGISTER_WORKER, "session:bench", 1, "workerId",
		    id, NULL, NULL);
		deliver(b, MSG_WORKER_STATE, from, 0, "workerId", id, NULL,
		    NULL);
		if (i % 1000 == 999)
			commit(b);
	}
	commit(b);
}

/* Remove a database and its WAL files. */
static void
remove_db(const char *path)
{
	char	 p[PATH_MAX + 8];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void
bench_open(struct bench *b, const char *path, int fresh)
{
	struct coord_conf	 conf = {
		.max_attempts = 3, .dedupe_window_s = 600, .recent_tasks = 20,
		.queue_preview = 10, .finished_tasks = 100000,
		.unacked_events = 100000, .synchronous = 2,
		.max_workers = 1000000, .watch_keep_ms = 10000,
	};

	memset(b, 0, sizeof(*b));
	if (fresh)
		remove_db(path);
	if ((b->c = coord_open(path, &conf)) == NULL)
		fatalx("cannot open %s", path);
	outbox_init(&b->ob);
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
	msgpack_zone_init(&b->zone, 4096);
}

static void
bench_close(struct bench *b)
{
	coord_close(b->c);
	outbox_free(&b->ob);
	msgpack_sbuffer_destroy(&b->sb);
	msgpack_zone_destroy(&b->zone);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("  %-34s p50 %8.1f us  p99 %8.1f us  max %8.1f us\n", what,
	    v[n / 2] * 1e6, v[(n * 99) / 100] * 1e6, v[n - 1] * 1e6);
}

/*
 * n rounds of: AssignTask (queued), commit; TaskCompleted for the task a
 * worker runs (it takes the queue's head), commit.  Worker i of the round
 * robin completes; the task it runs is read from the registry.
 */
static void
measure(struct bench *b, int n, int nworkers, const char *label)
{
	double	*a = calloc((size_t)n, sizeof(double));
	double	*ac = calloc((size_t)n, sizeof(double));
	double	*t = calloc((size_t)n, sizeof(double));
	double	*tc = calloc((size_t)n, sizeof(double));
	struct cworker *w;
	char	 id[32], task[NAME_MAX_LEN + 1], wid[NAME_MAX_LEN + 1];
	double	 t0, t1;
	int	 i;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "m%c-%d", label[0], i);
		t0 = now_s();
		assign(b, id);
		t1 = now_s();
		commit(b);
		a[i] = t1 - t0;
		ac[i] = now_s() - t0;

		snprintf(wid, sizeof(wid), "w%d", i % nworkers);
		w = coord_worker(b->c, wid);
		snprintf(task, sizeof(task), "%s", w->task);
		t0 = now_s();
		completed(b, task, wid);
		t1 = now_s();
		commit(b);
		t[i] = t1 - t0;
		tc[i] = now_s() - t0;
		if (coord_worker(b->c, wid)->task[0] == '\0')
			fatalx("worker %s took nothing from the queue", wid);
	}
	printf("%s (queue %llu, workers %d, %d samples):\n", label,
	    (unsigned long long)b->c->ntasks[TASK_QUEUED], nworkers, n);
	report("AssignTask, handling", a, n);
	report("AssignTask, handling + commit", ac, n);
	report("TaskCompleted, handling", t, n);
	report("TaskCompleted, handling + commit", tc, n);
	free(a);
	free(ac);
	free(t);
	free(tc);
}

/* AssignTask to a queue with no worker, committing every batch. */
static void
throughput(const char *dir, int batch, int n)
{
	struct bench	 b;
	char		 path[PATH_MAX], id[32];
	double		 t0, dt;
	int		 i;

	snprintf(path, sizeof(path), "%s/tp.db", dir);
	bench_open(&b, path, 1);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		assign(&b, id);
		if (i % batch == batch - 1)
			commit(&b);
	}
	commit(&b);
	dt = now_s() - t0;
	printf("  commit every %3d: %8.0f AssignTask/s (%d in %.2f s)\n",
	    batch, n / dt, n, dt);
	bench_close(&b);
	remove_db(path);
}

/* Full cycles: assign echo, the worker's TaskCompleted; 100 per commit. */
static void
cycles(const char *dir, int nworkers, int n)
{
	struct bench	 b;
	struct cworker	*w;
	char		 path[PATH_MAX], id[32], wid[32];
	char		 task[NAME_MAX_LEN + 1];
	double		 t0, dt;
	int		 i, k;

	snprintf(path, sizeof(path), "%s/cy.db", dir);
	bench_open(&b, path, 1);
	add_workers(&b, nworkers);
	t0 = now_s();
	for (i = 0; i < n; i += nworkers) {
		for (k = 0; k < nworkers && i + k < n; k++) {
			snprintf(id, sizeof(id), "c%d", i + k);
			assign(&b, id);
		}
		commit(&b);
		for (k = 0; k < nworkers; k++) {
			snprintf(wid, sizeof(wid), "w%d", k);
			w = coord_worker(b.c, wid);
			if (w->task[0] == '\0')
				continue;
			snprintf(task, sizeof(task), "%s", w->task);
			completed(&b, task, wid);
		}
		commit(&b);
	}
	dt = now_s() - t0;
	printf("  %d workers: %8.0f cycles/s (%d in %.2f s, %llu completed)\n",
	    nworkers, n / dt, n, dt,
	    (unsigned long long)b.c->ntasks[TASK_COMPLETED]);
	bench_close(&b);
	remove_db(path);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_coordinator [-w workers] [-q queued] "
	    "[-n samples] [-d dir]\n");
	exit(100);
}

int
main(int argc, char *argv[])
{
	struct bench	 b;
	char		 dir[PATH_MAX] = "", path[PATH_MAX + 32], id[32];
	double		 t0, dt;
	long		 rss0, rss1;
	int		 ch, nworkers = 10000, nqueued = 1000000, n = 1000, i;

	while ((ch = getopt(argc, argv, "d:n:q:w:")) != -1) {
		switch (ch) {
		case 'd':
			snprintf(dir, sizeof(dir), "%s", optarg);
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'q':
			nqueued = atoi(optarg);
			break;
		case 'w':
			nworkers = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (n < 1 || nworkers < 1 || nqueued < 0)
		usage();
	log_init("bench_coordinator", LOG_WARNING);
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/bench_coordinator.XXXXXX");
		if (mkdtemp(dir) == NULL)
			fatal("mkdtemp");
	}
	printf("database: %s, synchronous=FULL, dedupe window on\n\n", dir);

	/* The empty queue: every worker busy, nothing waiting. */
	snprintf(path, sizeof(path), "%s/empty.db", dir);
	bench_open(&b, path, 1);
	add_workers(&b, nworkers);
	for (i = 0; i < nworkers; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		assign(&b, id);
	}
	commit(&b);
	measure(&b, n, nworkers, "empty queue");
	bench_close(&b);
	remove_db(path);

	/* The long queue. */
	snprintf(path, sizeof(path), "%s/full.db", dir);
	rss0 = rss_kb();
	bench_open(&b, path, 1);
	add_workers(&b, nworkers);
	t0 = now_s();
	for (i = 0; i < nworkers + nqueued; i++) {
		snprintf(id, sizeof(id), "q%d", i);
		assign(&b, id);
		if (i % 10000 == 9999)
			commit(&b);
	}
	commit(&b);
	dt = now_s() - t0;
	rss1 = rss_kb();
	printf("\nfilled: %d workers busy, %d queued in %.1f s (%.0f "
	    "AssignTask/s, 10,000 per commit)\n", nworkers, nqueued, dt,
	    (nworkers + nqueued) / dt);
	printf("memory: RSS %ld KiB (+%ld KiB), database %lld MiB\n\n", rss1,
	    rss1 - rss0, db_size(b.c->db) / (1024 * 1024));
	measure(&b, n, nworkers, "long queue");
	bench_close(&b);

	/* A restart with that queue: load the registry and the counts. */
	t0 = now_s();
	bench_open(&b, path, 0);
	printf("  restart: coordinator database opened and loaded in %.2f s "
	    "(queue %llu)\n", now_s() - t0,
	    (unsigned long long)b.c->ntasks[TASK_QUEUED]);
	bench_close(&b);
	remove_db(path);

	printf("\nAssignTask throughput, synchronous=FULL:\n");
	throughput(dir, 1, 2000);
	throughput(dir, 10, 20000);
	throughput(dir, 100, 100000);
	printf("\nfull cycles (assign -> TaskCompleted, echo), 100 per "
	    "commit:\n");
	cycles(dir, 100, 100000);
	rmdir(dir);
	return 0;
}
