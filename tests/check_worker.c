/*
 * The worker actors' state against real SQLite files and a real event
 * loop: the task kinds, many sleeps at once without blocking, abort,
 * duplicates, what survives a restart, migrations and refusing a corrupt
 * database.  No sockets: messages are calls, output is the outbox.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "../worker/worker.h"
#include "actor.h"
#include "check_main.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "xmalloc.h"

static char			 tmpdir[PATH_MAX];
static char			 dbpath[PATH_MAX + 32];
static struct event_base	*base;
static struct wstate		*ws;
static msgpack_unpacked		 view;
static msgpack_sbuffer		 pbuf;
static msgpack_unpacked		 pview;

/* Messages the timers produced, by type; the last report's payload. */
static int			 async_completed, async_failed, async_output;
static char			*async_report;
static size_t			 async_reportlen;
static msgpack_unpacked		 rview;
static struct config		 cfg;		/* the command kinds */

static void
setup(void)
{
	log_init("check_worker", LOG_WARNING);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_worker.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/worker.db", tmpdir);
	base = loop_new();
	msgpack_unpacked_init(&view);
	msgpack_unpacked_init(&pview);
	msgpack_sbuffer_init(&pbuf);
	ws = NULL;
	async_completed = async_failed = async_output = 0;
	msgpack_unpacked_init(&rview);
	memset(&cfg, 0, sizeof(cfg));
}

static void
teardown(void)
{
	char	 cmd[PATH_MAX + 16];

	ws_close(ws);
	event_base_free(base);
	free(async_report);
	async_report = NULL;
	msgpack_unpacked_destroy(&rview);
	msgpack_unpacked_destroy(&view);
	msgpack_unpacked_destroy(&pview);
	msgpack_sbuffer_destroy(&pbuf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

/* Count and drop what a timer produced. */
static void
on_output(struct wstate *s, void *arg)
{
	size_t	 i;

	(void)arg;
	for (i = 0; i < s->ob.n; i++) {
		async_completed += s->ob.v[i].type == MSG_TASK_COMPLETED;
		async_failed += s->ob.v[i].type == MSG_TASK_FAILED;
		async_output += s->ob.v[i].type == MSG_TASK_OUTPUT;
		if (s->ob.v[i].type != MSG_TASK_COMPLETED &&
		    s->ob.v[i].type != MSG_TASK_FAILED)
			continue;
		free(async_report);
		async_reportlen = s->ob.v[i].len;
		async_report = xmalloc(async_reportlen);
		memcpy(async_report, outbox_payload(&s->ob, i),
		    async_reportlen);
	}
	outbox_clear(&s->ob);
}

/* The last report a timer or a command produced. */
static const msgpack_object *
report(void)
{
	ck_assert_ptr_nonnull(async_report);
	msgpack_unpacked_destroy(&rview);
	msgpack_unpacked_init(&rview);
	ck_assert_int_eq(msgpack_unpack_next(&rview, async_report,
	    async_reportlen, NULL), MSGPACK_UNPACK_SUCCESS);
	return &rview.data;
}

static void
open_ws(void)
{
	ws_close(ws);
	ws = ws_open(dbpath, 1, base);
	ck_assert_ptr_nonnull(ws);
	ws_set_output(ws, on_output, NULL);
	ws_set_config(ws, &cfg);
}

/* A command kind in cfg: name runs line (argv as the config splits it). */
static struct kind_conf *
add_kind(const char *name, const char *line, uint64_t timeout_ms)
{
	struct kind_conf	*k = &cfg.kinds[cfg.nkinds++];
	char			 why[80];
	size_t			 used = 0;

	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->input = KIND_INPUT_NONE;
	snprintf(k->cwd, sizeof(k->cwd), "/");
	k->grace_ms = 200;
	k->max_output_bytes = 4096;
	k->timeout_ms = timeout_ms;
	ck_assert_int_eq(kind_split(line, k->argv, sizeof(k->argv), &used,
	    &k->argc, KIND_WORDS_MAX, why, sizeof(why)), 0);
	return k;
}

/* ProcessTask {taskId, kind, timeoutMs?, stream?}. */
static const msgpack_object *
process_payload(const char *task, const char *kind, uint64_t timeout_ms,
    bool stream)
{
	msgpack_packer	 pk;

	msgpack_sbuffer_destroy(&pbuf);
	msgpack_sbuffer_init(&pbuf);
	msgpack_packer_init(&pk, &pbuf, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2 + (timeout_ms > 0) + stream);
	mp_pack_kv_str(&pk, "taskId", task);
	mp_pack_kv_str(&pk, "kind", kind);
	if (timeout_ms > 0)
		mp_pack_kv_uint(&pk, "timeoutMs", timeout_ms);
	if (stream) {
		mp_pack_str(&pk, "stream");
		msgpack_pack_true(&pk);
	}
	msgpack_unpacked_destroy(&pview);
	msgpack_unpacked_init(&pview);
	ck_assert_int_eq(msgpack_unpack_next(&pview, pbuf.data, pbuf.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	return &pview.data;
}

/* {taskId, on}, as StreamOutput carries it. */
static const msgpack_object *
stream_payload(const char *task, bool on)
{
	msgpack_packer	 pk;

	msgpack_sbuffer_destroy(&pbuf);
	msgpack_sbuffer_init(&pbuf);
	msgpack_packer_init(&pk, &pbuf, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	mp_pack_kv_str(&pk, "taskId", task);
	mp_pack_str(&pk, "on");
	if (on)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	msgpack_unpacked_destroy(&pview);
	msgpack_unpacked_init(&pview);
	ck_assert_int_eq(msgpack_unpack_next(&pview, pbuf.data, pbuf.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	return &pview.data;
}

/* Rows in worker.db's commands table. */
static int
command_rows(void)
{
	sqlite3_stmt	*st;
	int		 n;

	st = db_prepare(ws_db(ws), "SELECT count(*) FROM commands");
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * A payload {taskId, kind, input: {key: value}}; a key starting with '='
 * packs an integer.  NULL kind: no kind; NULL key: no input.
 */
static const msgpack_object *
task_payload(const char *task, const char *kind, const char *key,
    const char *value)
{
	msgpack_packer	 pk;

	msgpack_sbuffer_destroy(&pbuf);
	msgpack_sbuffer_init(&pbuf);
	msgpack_packer_init(&pk, &pbuf, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1 + (kind != NULL) + (key != NULL));
	mp_pack_kv_str(&pk, "taskId", task);
	if (kind != NULL)
		mp_pack_kv_str(&pk, "kind", kind);
	if (key != NULL) {
		mp_pack_str(&pk, "input");
		msgpack_pack_map(&pk, 1);
		if (*key == '=')
			mp_pack_kv_uint(&pk, key + 1,
			    strtoull(value, NULL, 10));
		else
			mp_pack_kv_str(&pk, key, value);
	}
	msgpack_unpacked_destroy(&pview);
	msgpack_unpacked_init(&pview);
	ck_assert_int_eq(msgpack_unpack_next(&pview, pbuf.data, pbuf.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	return &pview.data;
}

/* {workerId: id}, as StartWorker carries it. */
static const msgpack_object *
worker_payload(const char *id)
{
	msgpack_packer	 pk;

	msgpack_sbuffer_destroy(&pbuf);
	msgpack_sbuffer_init(&pbuf);
	msgpack_packer_init(&pk, &pbuf, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "workerId", id);
	msgpack_unpacked_destroy(&pview);
	msgpack_unpacked_init(&pview);
	ck_assert_int_eq(msgpack_unpack_next(&pview, pbuf.data, pbuf.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	return &pview.data;
}

static const msgpack_object *
empty_payload(void)
{
	static msgpack_object	 o = { .type = MSGPACK_OBJECT_MAP };

	return &o;
}

/* Hand worker id a message; commit as the runtime would. */
static void
send_msg(const char *id, enum msg_type type, const msgpack_object *p)
{
	struct envelope	 env;
	struct wactor	*w = ws_find(ws, id);

	ck_assert_ptr_nonnull(w);
	memset(&env, 0, sizeof(env));
	env.type = type;
	snprintf(env.to, sizeof(env.to), "worker:%s", id);
	snprintf(env.from, sizeof(env.from), "%s", COORDINATOR_ADDRESS);
	snprintf(env.id, sizeof(env.id), "m1");
	env.payload = p;
	ck_assert_int_eq(ws_handle(ws, w, &env), 0);
	ck_assert_int_eq(db_commit(ws_db(ws)), 0);
}

static const msgpack_object *
out_payload(size_t i)
{
	ck_assert_uint_lt(i, ws->ob.n);
	msgpack_unpacked_destroy(&view);
	msgpack_unpacked_init(&view);
	ck_assert_int_eq(msgpack_unpack_next(&view, outbox_payload(&ws->ob, i),
	    ws->ob.v[i].len, NULL), MSGPACK_UNPACK_SUCCESS);
	return &view.data;
}

static int
find_out(enum msg_type type)
{
	size_t	 i;

	for (i = 0; i < ws->ob.n; i++)
		if (ws->ob.v[i].type == type)
			return (int)i;
	return -1;
}

static int
count_out(enum msg_type type)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < ws->ob.n; i++)
		n += ws->ob.v[i].type == type;
	return n;
}

static uint64_t
out_uint(size_t i, const char *key)
{
	uint64_t	 u = 0;

	ck_assert_int_eq(mp_uint(mp_get(out_payload(i), key), &u), 0);
	return u;
}

static bool
out_streq(size_t i, const char *key, const char *want)
{
	return mp_streq(mp_get(out_payload(i), key), want);
}

static bool
out_nil(size_t i, const char *key)
{
	const msgpack_object	*v = mp_get(out_payload(i), key);

	return v != NULL && v->type == MSGPACK_OBJECT_NIL;
}

static struct wactor *
create(const char *id)
{
	struct wactor	*w = ws_create(ws, id);

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(db_commit(ws_db(ws)), 0);
	return w;
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the loop until *counter reaches want or timeout_ms passes. */
static void
run_until(int *counter, int want, int timeout_ms)
{
	int64_t	 end = now_ms() + timeout_ms;

	while (*counter < want && now_ms() < end) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

/* Run the loop for ms, whatever comes. */
static void
run_for(int ms)
{
	int	 never = 0;

	run_until(&never, 1, ms);
}

START_TEST(test_start_announces)
{
	int	 i;

	open_ws();
	create("w1");
	send_msg("w1", MSG_START_WORKER, worker_payload("w1"));
	i = find_out(MSG_WORKER_STATE);
	ck_assert_int_ge(i, 0);
	ck_assert_str_eq(ws->ob.v[i].to, COORDINATOR_ADDRESS);
	ck_assert_str_eq(ws->ob.v[i].from, "worker:w1");
	ck_assert(out_streq((size_t)i, "workerId", "w1"));
	ck_assert(out_streq((size_t)i, "status", "idle"));
	ck_assert(out_nil((size_t)i, "currentTask"));
	ck_assert_uint_eq(out_uint((size_t)i, "processedCount"), 0);
	/* Creating it again is a no-op. */
	ck_assert_ptr_eq(ws_create(ws, "w1"), ws_find(ws, "w1"));
	ck_assert_uint_eq(ws->n, 1);
}
END_TEST

START_TEST(test_echo)
{
	int	 i;

	open_ws();
	create("w1");
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t1", "echo", "value",
	    "hello"));
	ck_assert_int_eq(ws->ob.v[0].type, MSG_TASK_STARTED);
	i = find_out(MSG_TASK_COMPLETED);
	ck_assert_int_eq(i, 1);
	ck_assert(out_streq((size_t)i, "taskId", "t1"));
	ck_assert(out_streq((size_t)i, "workerId", "w1"));
	ck_assert(out_streq((size_t)i, "result", "hello"));
	ck_assert_uint_eq(out_uint((size_t)i, "processedCount"), 1);
	outbox_clear(&ws->ob);
	send_msg("w1", MSG_GET_STATE, empty_payload());
	i = find_out(MSG_WORKER_STATE);
	ck_assert(ws->ob.v[i].reply);
	ck_assert(out_streq((size_t)i, "status", "idle"));
	ck_assert_uint_eq(out_uint((size_t)i, "processedCount"), 1);
	ck_assert(out_streq((size_t)i, "lastTask", "t1"));
	ck_assert(out_streq((size_t)i, "lastStatus", "completed"));
}
END_TEST

START_TEST(test_fail_and_unknown)
{
	int	 i;

	open_ws();
	create("w1");
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t1", "fail", "message",
	    "boom"));
	i = find_out(MSG_TASK_FAILED);
	ck_assert_int_ge(i, 0);
	ck_assert(out_streq((size_t)i, "error", "boom"));
	outbox_clear(&ws->ob);
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t2", "fail", NULL,
	    NULL));
	i = find_out(MSG_TASK_FAILED);
	ck_assert_int_ge(i, 0);
	outbox_clear(&ws->ob);
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t3", "juggle", NULL,
	    NULL));
	i = find_out(MSG_TASK_FAILED);
	ck_assert_int_ge(i, 0);
	ck_assert(out_streq((size_t)i, "error", "unknown task kind: juggle"));
	ck_assert_uint_eq(out_uint((size_t)i, "processedCount"), 3);
	outbox_clear(&ws->ob);
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t4", "sleep", "ms",
	    "soon"));
	ck_assert_int_ge(find_out(MSG_TASK_FAILED), 0);
	ck_assert_str_eq(ws_find(ws, "w1")->task, "");
}
END_TEST

START_TEST(test_sleep_concurrent)
{
	char	 id[16];
	int64_t	 t0, elapsed;
	int	 i;

	open_ws();
	for (i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		create(id);
	}
	t0 = now_ms();
	for (i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		send_msg(id, MSG_PROCESS_TASK, task_payload(id, "sleep", "=ms",
		    "100"));
	}
	ck_assert_int_eq(count_out(MSG_TASK_STARTED), 50);
	ck_assert_int_eq(count_out(MSG_TASK_COMPLETED), 0);
	ck_assert_uint_eq(ws->nbusy, 50);
	outbox_clear(&ws->ob);
	run_until(&async_completed, 50, 5000);
	elapsed = now_ms() - t0;
	ck_assert_int_eq(async_completed, 50);
	/* One at a time would take 5 s; together about 100 ms. */
	ck_assert_int_ge(elapsed, 95);
	ck_assert_int_lt(elapsed, 1500);
	ck_assert_uint_eq(ws->nbusy, 0);
}
END_TEST

START_TEST(test_abort)
{
	int	 i;

	open_ws();
	create("w1");
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t1", "sleep", "=ms",
	    "100"));
	outbox_clear(&ws->ob);
	/* Another task's id: ignored. */
	send_msg("w1", MSG_ABORT_TASK, task_payload("t9", NULL, NULL, NULL));
	ck_assert_str_eq(ws_find(ws, "w1")->task, "t1");
	send_msg("w1", MSG_ABORT_TASK, task_payload("t1", NULL, NULL, NULL));
	ck_assert_str_eq(ws_find(ws, "w1")->task, "");
	ck_assert_uint_eq(ws->ob.n, 0);
	run_until(&async_completed, 1, 300);
	ck_assert_int_eq(async_completed, 0);
	send_msg("w1", MSG_GET_STATE, empty_payload());
	i = find_out(MSG_WORKER_STATE);
	ck_assert_uint_eq(out_uint((size_t)i, "processedCount"), 0);
}
END_TEST

START_TEST(test_duplicates)
{
	open_ws();
	create("w1");
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t1", "sleep", "=ms",
	    "50"));
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t1", "sleep", "=ms",
	    "50"));
	ck_assert_int_eq(count_out(MSG_TASK_STARTED), 1);
	outbox_clear(&ws->ob);
	run_until(&async_completed, 1, 2000);
	ck_assert_int_eq(async_completed, 1);
	/* Its report was lost: asked again, it reports, it does not rerun. */
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t1", "sleep", "=ms",
	    "50"));
	ck_assert_int_eq(count_out(MSG_TASK_STARTED), 0);
	ck_assert_int_eq(count_out(MSG_TASK_COMPLETED), 1);
	ck_assert_uint_eq(ws_find(ws, "w1")->processed, 1);
}
END_TEST

START_TEST(test_reassigned_while_busy)
{
	open_ws();
	create("w1");
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t1", "sleep", "=ms",
	    "5000"));
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t2", "echo", "value",
	    "x"));
	ck_assert_int_eq(count_out(MSG_TASK_COMPLETED), 1);
	ck_assert_int_eq(find_out(MSG_TASK_COMPLETED),
	    (int)ws->ob.n - 1);
	ck_assert(out_streq(ws->ob.n - 1, "taskId", "t2"));
	ck_assert_str_eq(ws_find(ws, "w1")->task, "");
}
END_TEST

START_TEST(test_restart)
{
	struct wactor	*w;
	int		 i;

	open_ws();
	create("w1");
	create("w2");
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t1", "echo", "value",
	    "v"));
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t2", "sleep", "=ms",
	    "10000"));
	send_msg("w2", MSG_PROCESS_TASK, task_payload("t3", "echo", "value",
	    "v"));
	/* The process dies while t2 runs (its row says so); it restarts. */
	open_ws();
	ck_assert_uint_eq(ws->n, 2);
	w = ws_find(ws, "w1");
	ck_assert_uint_eq(w->processed, 1);
	ck_assert_str_eq(w->task, "");
	ck_assert_str_eq(w->last_task, "t2");
	ck_assert_str_eq(w->last_status, "interrupted");
	w = ws_find(ws, "w2");
	ck_assert_uint_eq(w->processed, 1);
	ck_assert_str_eq(w->last_task, "t3");
	ck_assert_str_eq(w->last_status, "completed");
	ck_assert_uint_eq(w->last_resultlen, 2);
	ws_announce_all(ws);
	ck_assert_int_eq(count_out(MSG_WORKER_STATE), 2);
	i = 0;
	ck_assert(out_streq((size_t)i, "workerId", "w1"));
	ck_assert(out_nil((size_t)i, "currentTask"));
	ck_assert(out_streq((size_t)i, "lastStatus", "interrupted"));
	ck_assert(out_streq(1, "lastResult", "v"));
	/* A second restart keeps it all. */
	open_ws();
	ck_assert_str_eq(ws_find(ws, "w1")->last_status, "interrupted");
	ck_assert_uint_eq(ws_find(ws, "w1")->processed, 1);
}
END_TEST

START_TEST(test_stop)
{
	open_ws();
	create("w1");
	create("w2");
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t1", "sleep", "=ms",
	    "50"));
	ck_assert_int_eq(ws_stop(ws, ws_find(ws, "w1")), 0);
	ck_assert_int_eq(db_commit(ws_db(ws)), 0);
	ck_assert_ptr_null(ws_find(ws, "w1"));
	ck_assert_uint_eq(ws->nbusy, 0);
	run_until(&async_completed, 1, 200);
	ck_assert_int_eq(async_completed, 0);
	open_ws();
	ck_assert_ptr_null(ws_find(ws, "w1"));
	ck_assert_ptr_nonnull(ws_find(ws, "w2"));
}
END_TEST

START_TEST(test_unknown_type)
{
	int	 i;

	open_ws();
	create("w1");
	send_msg("w1", MSG_ASSIGN_TASK, empty_payload());
	i = find_out(MSG_ERROR);
	ck_assert_int_ge(i, 0);
	ck_assert(out_streq((size_t)i, "code", "unknown_type"));
	ck_assert(ws->ob.v[i].reply);
}
END_TEST

START_TEST(test_kinds_table)
{
	const struct task_kind	*k;
	size_t			 n, i;

	k = task_kinds(&n);
	ck_assert_uint_ge(n, 3);
	for (i = 0; i < n; i++)
		ck_assert_ptr_eq(task_kind_find(k[i].name), &k[i]);
	ck_assert_ptr_null(task_kind_find("nope"));
}
END_TEST

START_TEST(test_migrate_v1)
{
	sqlite3	*h;

	ck_assert_int_eq(sqlite3_open(dbpath, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "CREATE TABLE meta (key TEXT "
	    "PRIMARY KEY, value); PRAGMA user_version = 1", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
	open_ws();
	ck_assert_int_eq(db_version(ws_db(ws)), worker_nmigrations);
	create("w1");
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t1", "echo", "value",
	    "v"));
	ck_assert_int_ge(find_out(MSG_TASK_COMPLETED), 0);
}
END_TEST

START_TEST(test_corrupt_refused)
{
	struct stat	 sb;
	char		 junk[4096];
	int		 fd;

	memset(junk, 0xa5, sizeof(junk));
	fd = open(dbpath, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	ck_assert_ptr_null(ws_open(dbpath, 1, base));
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_eq(sb.st_size, (off_t)sizeof(junk));
}
END_TEST


START_TEST(test_builtin_timeout)
{
	const msgpack_object	*m;

	open_ws();
	create("w1");
	/* A sleep longer than its timeout fails with code timeout. */
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t1", "sleep", 100,
	    false));
	outbox_clear(&ws->ob);
	run_until(&async_failed, 1, 3000);
	m = report();
	ck_assert(mp_streq(mp_get(m, "error"), "timeout after 100 ms"));
	ck_assert(mp_streq(mp_get(m, "code"), "timeout"));
	ck_assert_int_eq(async_completed, 0);
	/* One within its timeout completes. */
	send_msg("w1", MSG_PROCESS_TASK, task_payload("t2", "sleep", "=ms",
	    "10"));
	outbox_clear(&ws->ob);
	run_until(&async_completed, 1, 3000);
	ck_assert_int_eq(async_failed, 1);
}
END_TEST

START_TEST(test_command)
{
	const msgpack_object	*m, *res;
	int			 i;

	add_kind("hello", "/bin/sh -c 'echo hello; exit 0'", 0);
	add_kind("three", "/bin/sh -c 'echo oops >&2; exit 3'", 0);
	open_ws();
	create("w1");
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t1", "hello", 0,
	    false));
	ck_assert_int_eq(count_out(MSG_TASK_STARTED), 1);
	ck_assert_int_eq(count_out(MSG_TASK_COMPLETED), 0);
	ck_assert_str_eq(ws_find(ws, "w1")->task, "t1");
	ck_assert_int_eq(command_rows(), 1);
	outbox_clear(&ws->ob);
	run_until(&async_completed, 1, 5000);
	m = report();
	ck_assert(mp_streq(mp_get(m, "taskId"), "t1"));
	res = mp_get(m, "result");
	ck_assert(mp_streq(mp_get(res, "stdout"), "hello\n"));
	ck_assert_str_eq(ws_find(ws, "w1")->task, "");
	ck_assert_uint_eq(ws_find(ws, "w1")->processed, 1);
	ck_assert_int_eq(db_commit(ws_db(ws)), 0);
	ck_assert_int_eq(command_rows(), 0);
	/* A failure: its code and its result, again when asked again. */
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t2", "three", 0,
	    false));
	outbox_clear(&ws->ob);
	run_until(&async_failed, 1, 5000);
	m = report();
	ck_assert(mp_streq(mp_get(m, "error"), "exit 3"));
	ck_assert(mp_streq(mp_get(m, "code"), "exit"));
	ck_assert(mp_streq(mp_get(mp_get(m, "result"), "stderr"), "oops\n"));
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t2", "three", 0,
	    false));
	i = find_out(MSG_TASK_FAILED);
	ck_assert_int_ge(i, 0);
	ck_assert(out_streq((size_t)i, "code", "exit"));
	ck_assert_int_eq(count_out(MSG_TASK_STARTED), 0);
	/* ... and across a restart. */
	open_ws();
	ck_assert_str_eq(ws_find(ws, "w1")->last_code, "exit");
	ck_assert_ptr_nonnull(ws_find(ws, "w1")->last_result);
}
END_TEST

START_TEST(test_command_timeout)
{
	const msgpack_object	*m;

	/* The kind's timeout when the task brings none; the task's first. */
	add_kind("slow", "/bin/sleep 10", 150);
	open_ws();
	create("w1");
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t1", "slow", 0,
	    false));
	outbox_clear(&ws->ob);
	run_until(&async_failed, 1, 5000);
	m = report();
	ck_assert(mp_streq(mp_get(m, "error"), "timeout after 150 ms"));
	ck_assert(mp_streq(mp_get(m, "code"), "timeout"));
	ck_assert(mp_streq(mp_get(mp_get(m, "result"), "signal"), "SIGTERM"));
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t2", "slow", 80,
	    false));
	outbox_clear(&ws->ob);
	run_until(&async_failed, 2, 5000);
	ck_assert(mp_streq(mp_get(report(), "error"), "timeout after 80 ms"));
	/* The kind's cap holds whatever the task asked. */
	cfg.kinds[0].timeout_max_ms = 120;
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t3", "slow", 100000,
	    false));
	outbox_clear(&ws->ob);
	run_until(&async_failed, 3, 5000);
	ck_assert(mp_streq(mp_get(report(), "error"), "timeout after 120 ms"));
}
END_TEST

START_TEST(test_command_abort)
{
	struct wactor	*w;

	add_kind("long", "/bin/sh -c 'trap \"\" TERM; while :; do sleep "
	    "0.05; done'", 0);
	add_kind("quick", "/bin/true", 0);
	open_ws();
	w = create("w1");
	/* Cancelled while it runs: no report, ever; the worker is idle. */
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t1", "long", 0,
	    false));
	outbox_clear(&ws->ob);
	send_msg("w1", MSG_ABORT_TASK, task_payload("t1", NULL, NULL, NULL));
	ck_assert_uint_eq(ws->ob.n, 0);
	ck_assert_str_eq(w->task, "");
	ck_assert_ptr_null(w->cmd);
	run_for(600);		/* the grace, and more */
	ck_assert_int_eq(async_completed + async_failed, 0);
	ck_assert_int_eq(db_commit(ws_db(ws)), 0);
	ck_assert_int_eq(command_rows(), 0);
	/* Cancelled as it exits, before the loop saw it: no report. */
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t2", "quick", 0,
	    false));
	usleep(100000);
	send_msg("w1", MSG_ABORT_TASK, task_payload("t2", NULL, NULL, NULL));
	outbox_clear(&ws->ob);
	run_for(300);
	ck_assert_int_eq(async_completed + async_failed, 0);
	/* Reported before the cancel came: one report, the cancel ignored. */
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t3", "quick", 0,
	    false));
	outbox_clear(&ws->ob);
	run_until(&async_completed, 1, 5000);
	send_msg("w1", MSG_ABORT_TASK, task_payload("t3", NULL, NULL, NULL));
	ck_assert_uint_eq(ws->ob.n, 0);
	run_for(300);
	ck_assert_int_eq(async_completed, 1);
	ck_assert_uint_eq(w->processed, 1);
	/* Another task while one runs: the first is dropped, killed. */
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t4", "long", 0,
	    false));
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t5", "quick", 0,
	    false));
	outbox_clear(&ws->ob);
	run_until(&async_completed, 2, 5000);
	ck_assert(mp_streq(mp_get(report(), "taskId"), "t5"));
	run_for(600);
	ck_assert_int_eq(async_completed + async_failed, 2);
	/* StopWorker while it runs: no report, no process left. */
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t6", "long", 0,
	    false));
	ck_assert_int_eq(ws_stop(ws, w), 0);
	outbox_clear(&ws->ob);
	run_for(600);
	ck_assert_int_eq(async_completed + async_failed, 2);
	ck_assert_int_eq(db_commit(ws_db(ws)), 0);
	ck_assert_int_eq(command_rows(), 0);
}
END_TEST

START_TEST(test_command_stream)
{
	add_kind("talk", "/bin/sh -c 'echo one; sleep 0.4; echo two; "
	    "sleep 0.4'", 0);
	open_ws();
	create("w1");
	/* Nobody watches: no TaskOutput. */
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t1", "talk", 0,
	    false));
	outbox_clear(&ws->ob);
	run_until(&async_completed, 1, 5000);
	ck_assert_int_eq(async_output, 0);
	/* stream: TaskOutput as it comes; StreamOutput off stops it. */
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t2", "talk", 0,
	    true));
	outbox_clear(&ws->ob);
	run_until(&async_output, 1, 2000);
	send_msg("w1", MSG_STREAM_OUTPUT, stream_payload("t2", false));
	run_until(&async_completed, 2, 5000);
	ck_assert_int_eq(async_output, 1);
	/* StreamOutput on, later. */
	send_msg("w1", MSG_PROCESS_TASK, process_payload("t3", "talk", 0,
	    false));
	send_msg("w1", MSG_STREAM_OUTPUT, stream_payload("t3", true));
	/* For another task: ignored. */
	send_msg("w1", MSG_STREAM_OUTPUT, stream_payload("t9", false));
	outbox_clear(&ws->ob);
	run_until(&async_completed, 3, 5000);
	ck_assert_int_eq(async_output, 3);
}
END_TEST

START_TEST(test_command_leftovers)
{
	char		*argv[] = { "/bin/sleep", "30", NULL };
	char		*envp[] = { "ACTORD_RUN=9.9.9", NULL };
	char		 sql[128];
	pid_t		 pid;
	int		 status, i;

	/* The last worker process left a run's process; the next kills it. */
	open_ws();
	ck_assert_int_eq(posix_spawn(&pid, argv[0], NULL, NULL, argv, envp),
	    0);
	snprintf(sql, sizeof(sql), "INSERT INTO commands (run, pgid, worker, "
	    "task, started) VALUES ('9.9.9', %ld, 'w1', 't1', 1)", (long)pid);
	ck_assert_int_eq(db_exec(ws_db(ws), sql), 0);
	/* Until it has exec'd with the environment it was given. */
	for (i = 0; i < 500; i++) {
		char	 path[64], env[64] = "";
		FILE	*fp;

		snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
		if ((fp = fopen(path, "r")) != NULL) {
			if (fgets(env, sizeof(env), fp) == NULL)
				env[0] = '\0';
			fclose(fp);
		}
		if (strncmp(env, "ACTORD_RUN=", 11) == 0)
			break;
		usleep(10000);
	}
	open_ws();
	ck_assert_int_eq(ws->leftovers, 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(command_rows(), 0);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("worker");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_start_announces);
	tcase_add_test(tc, test_echo);
	tcase_add_test(tc, test_fail_and_unknown);
	tcase_add_test(tc, test_sleep_concurrent);
	tcase_add_test(tc, test_abort);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_reassigned_while_busy);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_test(tc, test_kinds_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("commands");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_builtin_timeout);
	tcase_add_test(tc, test_command);
	tcase_add_test(tc, test_command_timeout);
	tcase_add_test(tc, test_command_abort);
	tcase_add_test(tc, test_command_stream);
	tcase_add_test(tc, test_command_leftovers);
	suite_add_tcase(s, tc);

	tc = tcase_create("database");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_restart);
	tcase_add_test(tc, test_migrate_v1);
	tcase_add_test(tc, test_corrupt_refused);
	suite_add_tcase(s, tc);
	return s;
}
