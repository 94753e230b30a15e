/*
 * The coordinator's state machine against real SQLite files: queue order,
 * pinning, requeue on worker death with attempts and max_attempts,
 * cancel, idempotency, the restart reconciliation, pruning, migrations
 * and refusing a corrupt database; and the coalesced pushes on a real
 * event loop.  No sockets: every input is a call, every output an outbox
 * entry.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "../coordinator/coordinator.h"
#include "actor.h"
#include "check_main.h"
#include "db.h"
#include "log.h"
#include "mpjson.h"

static char			 tmpdir[PATH_MAX];
static char			 dbpath[PATH_MAX + 32];
static struct coord		*c;
static struct coord_conf	 conf;
static struct outbox		 ob;
static msgpack_unpacked		 slots[8];
static msgpack_sbuffer		 slotbuf[8];	/* the objects point into it */
static int			 slot;
static msgpack_unpacked		 outview;

static void
conf_default(void)
{
	conf.max_attempts = 3;
	conf.dedupe_window_s = 600;
	conf.recent_tasks = 20;
	conf.queue_preview = 10;
	conf.finished_tasks = 0;
	conf.unacked_events = 100000;
	conf.synchronous = 1;
	snprintf(conf.queues, sizeof(conf.queues), "default");
	conf.queues_open = 1;
	conf.watches_per_watcher = 1000;
	conf.watches_per_task = 64;
	conf.watch_keep_ms = 10000;
	conf.max_workers = 10000;
	conf.metrics_series = 100;
	conf.finished_max_age_s = 0;
	conf.cfg = NULL;
}

static void
setup(void)
{
	int	 i;

	log_init("check_coordinator", LOG_WARNING);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_coordinator.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/coordinator.db", tmpdir);
	conf_default();
	for (i = 0; i < 8; i++) {
		msgpack_unpacked_init(&slots[i]);
		msgpack_sbuffer_init(&slotbuf[i]);
	}
	msgpack_unpacked_init(&outview);
	outbox_init(&ob);
	c = NULL;
}

static void
teardown(void)
{
	char	 cmd[PATH_MAX + 16];
	int	 i;

	coord_close(c);
	c = NULL;
	outbox_free(&ob);
	for (i = 0; i < 8; i++) {
		msgpack_unpacked_destroy(&slots[i]);
		msgpack_sbuffer_destroy(&slotbuf[i]);
	}
	msgpack_unpacked_destroy(&outview);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

/* LogEventAck {source, sourceSeq: seq, gap?} from the event log. */
static void
ack_events(int64_t seq, int gap)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	msgpack_unpacked up;
	struct envelope	 env;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, gap ? 3 : 2);
	mp_pack_kv_str(&pk, "source", COORDINATOR_ADDRESS);
	mp_pack_kv_uint(&pk, "sourceSeq", (uint64_t)seq);
	if (gap) {
		mp_pack_str(&pk, "gap");
		msgpack_pack_true(&pk);
	}
	msgpack_unpacked_init(&up);
	ck_assert_int_eq(msgpack_unpack_next(&up, sb.data, sb.size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	memset(&env, 0, sizeof(env));
	env.type = MSG_LOG_EVENT_ACK;
	snprintf(env.to, sizeof(env.to), "%s", COORDINATOR_ADDRESS);
	snprintf(env.from, sizeof(env.from), "%s", EVENTLOG_ADDRESS);
	env.payload = &up.data;
	ck_assert_int_eq(coord_handle(c, &env, &ob), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * Open (or reopen) the coordinator with conf, without the event log: out
 * of step, so that only a probe would go out.
 */
static void
open_coord_alone(void)
{
	if (c != NULL)
		coord_close(c);
	c = coord_open(dbpath, &conf);
	ck_assert_ptr_nonnull(c);
	outbox_clear(&ob);
}

/*
 * Open (or reopen) the coordinator with conf beside an event log that has
 * every event so far: new events go out as they happen.
 */
static void
open_coord(void)
{
	open_coord_alone();
	ack_events(c->ev.next - 1, 0);
	outbox_clear(&ob);
}

/*
 * Build a payload map from key/value string pairs, NULL-ended.  A key
 * "=k" packs the value as an integer; "input.k" and "input.=k" go into a
 * nested map "input" (one such key at most).  An empty value packs nil.
 */
static const msgpack_object *
payload(const char *k, ...)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	va_list		 ap;
	const char	*keys[16], *vals[16];
	int		 n = 0, i, has_input = -1;

	va_start(ap, k);
	for (; k != NULL; k = va_arg(ap, const char *)) {
		keys[n] = k;
		vals[n] = va_arg(ap, const char *);
		if (strncmp(k, "input.", 6) == 0)
			has_input = n;
		n++;
	}
	va_end(ap);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, (size_t)n);
	for (i = 0; i < n; i++) {
		k = keys[i];
		if (i == has_input) {
			mp_pack_str(&pk, "input");
			msgpack_pack_map(&pk, 1);
			k += 6;
		}
		if (*vals[i] == '\0') {
			mp_pack_str(&pk, *k == '=' ? k + 1 : k);
			msgpack_pack_nil(&pk);
		} else if (*k == '=') {
			mp_pack_str(&pk, k + 1);
			msgpack_pack_uint64(&pk, strtoull(vals[i], NULL, 10));
		} else {
			mp_pack_str(&pk, k);
			mp_pack_str(&pk, vals[i]);
		}
	}
	slot = (slot + 1) % 8;
	msgpack_unpacked_destroy(&slots[slot]);
	msgpack_unpacked_init(&slots[slot]);
	msgpack_sbuffer_destroy(&slotbuf[slot]);
	slotbuf[slot] = sb;
	ck_assert_int_eq(msgpack_unpack_next(&slots[slot], sb.data, sb.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	return &slots[slot].data;
}

/* Hand one message to the state machine and commit like the runtime. */
static int
send_msg(enum msg_type type, const char *from, const char *id,
    const msgpack_object *p)
{
	struct envelope	 env;
	int		 rc;

	memset(&env, 0, sizeof(env));
	env.type = type;
	snprintf(env.to, sizeof(env.to), "%s", COORDINATOR_ADDRESS);
	snprintf(env.from, sizeof(env.from), "%s", from);
	snprintf(env.id, sizeof(env.id), "%s", id != NULL ? id : "");
	env.payload = p;
	rc = coord_handle(c, &env, &ob);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	return rc;
}

/* View outbox entry i's payload. */
static const msgpack_object *
out_payload(size_t i)
{
	ck_assert_uint_lt(i, ob.n);
	msgpack_unpacked_destroy(&outview);
	msgpack_unpacked_init(&outview);
	ck_assert_int_eq(msgpack_unpack_next(&outview, outbox_payload(&ob, i),
	    ob.v[i].len, NULL), MSGPACK_UNPACK_SUCCESS);
	return &outview.data;
}

/* Index of the first entry of type (to, if not NULL), from start; -1. */
static int
find_out(size_t start, enum msg_type type, const char *to)
{
	size_t	 i;

	for (i = start; i < ob.n; i++)
		if (ob.v[i].type == type && (to == NULL ||
		    strcmp(ob.v[i].to, to) == 0))
			return (int)i;
	return -1;
}

static int
count_out(enum msg_type type)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < ob.n; i++)
		n += ob.v[i].type == type;
	return n;
}

/* The string field key of entry i ("" if absent or not a string). */
static const char *
out_str(size_t i, const char *key)
{
	static char		 buf[256];
	const msgpack_object	*v = mp_get(out_payload(i), key);

	buf[0] = '\0';
	if (v != NULL)
		mp_strcpy(v, buf, sizeof(buf));
	return buf;
}

static uint64_t
out_uint(size_t i, const char *key)
{
	uint64_t	 u = 0;

	mp_uint(mp_get(out_payload(i), key), &u);
	return u;
}

/* The reply to the last command: the entry marked reply. */
static int
reply_index(void)
{
	size_t	 i;

	for (i = 0; i < ob.n; i++)
		if (ob.v[i].reply)
			return (int)i;
	return -1;
}

static void
register_worker(const char *w)
{
	outbox_clear(&ob);
	ck_assert_int_eq(send_msg(MSG_REGISTER_WORKER, "session:t", NULL,
	    payload("workerId", w, NULL)), 0);
}

/* The worker process announces w: idle, nothing done. */
static void
announce(const char *w, const char *current, const char *last,
    const char *last_status)
{
	char	 from[ADDR_MAX + 1];

	snprintf(from, sizeof(from), "worker:%s", w);
	ck_assert_int_eq(send_msg(MSG_WORKER_STATE, from, NULL,
	    payload("workerId", w, "currentTask", current ? current : "",
	    "lastTask", last ? last : "", "lastStatus",
	    last_status ? last_status : "none", NULL)), 0);
}

static void
online_worker(const char *w)
{
	register_worker(w);
	announce(w, NULL, NULL, NULL);
}

/* AssignTask {taskId, kind echo, workerId?}; returns the reply index. */
static int
assign(const char *task, const char *pin)
{
	outbox_clear(&ob);
	if (pin != NULL)
		ck_assert_int_eq(send_msg(MSG_ASSIGN_TASK, "session:t", NULL,
		    payload("taskId", task, "kind", "echo", "workerId", pin,
		    NULL)), 0);
	else
		ck_assert_int_eq(send_msg(MSG_ASSIGN_TASK, "session:t", NULL,
		    payload("taskId", task, "kind", "echo", NULL)), 0);
	return reply_index();
}

static void
complete(const char *task, const char *w)
{
	char	 from[ADDR_MAX + 1];

	snprintf(from, sizeof(from), "worker:%s", w);
	outbox_clear(&ob);
	ck_assert_int_eq(send_msg(MSG_TASK_COMPLETED, from, NULL,
	    payload("taskId", task, "workerId", w, "result", "ok", NULL)), 0);
}

/* The task of the ProcessTask sent to w in the outbox, or "". */
static const char *
processed_by(const char *w)
{
	char	 to[ADDR_MAX + 1];
	int	 i;

	snprintf(to, sizeof(to), "worker:%s", w);
	if ((i = find_out(0, MSG_PROCESS_TASK, to)) == -1)
		return "";
	return out_str((size_t)i, "taskId");
}

/*
 * w is sent each task of ids (space-separated) in turn, the next once it
 * completed the one before.
 */
static void
runs_in_order(const char *w, const char *ids)
{
	char	 list[256], *p, *id;

	snprintf(list, sizeof(list), "%s", ids);
	for (p = list; (id = strsep(&p, " ")) != NULL;) {
		ck_assert_str_eq(processed_by(w), id);
		complete(id, w);
	}
}

/* A task's status and attempts, straight from the database. */
static int
task_row(const char *id, int64_t *attempts)
{
	sqlite3_stmt	*st;
	int		 status = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(coord_db(c)),
	    "SELECT status, attempts FROM tasks WHERE id = ?1", -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		status = sqlite3_column_int(st, 0);
		if (attempts != NULL)
			*attempts = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return status;
}

START_TEST(test_register_idempotent)
{
	int	 r;

	open_coord();
	register_worker("w1");
	ck_assert_int_eq((r = reply_index()), find_out(0,
	    MSG_WORKER_REGISTERED, "session:t"));
	ck_assert_str_eq(out_str((size_t)r, "workerId"), "w1");
	ck_assert_int_ge(find_out(0, MSG_START_WORKER, "worker:w1"), 0);
	ck_assert_int_eq(count_out(MSG_LOG_EVENT), 1);
	register_worker("w1");
	ck_assert_int_ge(find_out(0, MSG_WORKER_REGISTERED, NULL), 0);
	ck_assert_int_eq(count_out(MSG_LOG_EVENT), 0);
	ck_assert_uint_eq(c->nworkers, 1);
	ck_assert_int_eq(coord_worker(c, "w1")->status, WORKER_OFFLINE);
	announce("w1", NULL, NULL, NULL);
	ck_assert_int_eq(coord_worker(c, "w1")->status, WORKER_IDLE);
	/* Online: registering again asks the worker process for nothing. */
	register_worker("w1");
	ck_assert_int_eq(find_out(0, MSG_START_WORKER, NULL), -1);
}
END_TEST

START_TEST(test_assign_to_idle)
{
	int	 r;

	open_coord();
	online_worker("w1");
	r = assign("t1", NULL);
	ck_assert_int_ge(r, 0);
	ck_assert_int_eq(ob.v[r].type, MSG_TASK_ACCEPTED);
	ck_assert_str_eq(out_str((size_t)r, "status"), "assigned");
	ck_assert_str_eq(out_str((size_t)r, "workerId"), "w1");
	ck_assert_str_eq(processed_by("w1"), "t1");
	ck_assert_int_eq(coord_worker(c, "w1")->status, WORKER_BUSY);
	ck_assert_str_eq(coord_worker(c, "w1")->task, "t1");
	ck_assert_int_eq(task_row("t1", NULL), TASK_RUNNING);
}
END_TEST

START_TEST(test_assign_defaults)
{
	const msgpack_object	*p, *in;
	uint64_t		 ms = 0;
	int			 r, i;

	open_coord();
	online_worker("w1");
	outbox_clear(&ob);
	ck_assert_int_eq(send_msg(MSG_ASSIGN_TASK, "session:t", NULL,
	    payload(NULL)), 0);
	r = reply_index();
	ck_assert_int_ge(r, 0);
	ck_assert_int_eq(ob.v[r].type, MSG_TASK_ACCEPTED);
	ck_assert_int_gt(strlen(out_str((size_t)r, "taskId")), 1);
	i = find_out(0, MSG_PROCESS_TASK, "worker:w1");
	ck_assert_int_ge(i, 0);
	p = out_payload((size_t)i);
	ck_assert(mp_streq(mp_get(p, "kind"), "sleep"));
	in = mp_get(p, "input");
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(mp_uint(mp_get(in, "ms"), &ms), 0);
	ck_assert_uint_eq(ms, 1000);
}
END_TEST

START_TEST(test_queue_fifo)
{
	char	 id[16];
	int	 i, r;

	open_coord();
	for (i = 1; i <= 5; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		r = assign(id, NULL);
		ck_assert_str_eq(out_str((size_t)r, "status"), "queued");
		ck_assert_uint_eq(out_uint((size_t)r, "position"), (uint64_t)i);
	}
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 5);
	online_worker("w1");
	ck_assert_str_eq(processed_by("w1"), "t1");
	for (i = 2; i <= 5; i++) {
		snprintf(id, sizeof(id), "t%d", i - 1);
		complete(id, "w1");
		snprintf(id, sizeof(id), "t%d", i);
		ck_assert_str_eq(processed_by("w1"), id);
	}
	complete("t5", "w1");
	ck_assert_str_eq(processed_by("w1"), "");
	ck_assert_int_eq(coord_worker(c, "w1")->status, WORKER_IDLE);
	ck_assert_uint_eq(c->ntasks[TASK_COMPLETED], 5);
	ck_assert_uint_eq(coord_worker(c, "w1")->processed, 5);
}
END_TEST

START_TEST(test_idle_round_robin)
{
	open_coord();
	online_worker("w1");
	online_worker("w2");
	assign("t1", NULL);
	ck_assert_str_eq(processed_by("w1"), "t1");
	assign("t2", NULL);
	ck_assert_str_eq(processed_by("w2"), "t2");
	assign("t3", NULL);
	ck_assert_int_eq(find_out(0, MSG_PROCESS_TASK, NULL), -1);
	/* The first worker to finish takes the waiting task at once. */
	complete("t2", "w2");
	ck_assert_str_eq(processed_by("w2"), "t3");
}
END_TEST

START_TEST(test_pinning)
{
	int	 r;

	open_coord();
	online_worker("w1");
	online_worker("w2");
	assign("t1", "w1");
	ck_assert_str_eq(processed_by("w1"), "t1");
	r = assign("t2", "w1");
	ck_assert_str_eq(out_str((size_t)r, "status"), "queued");
	ck_assert_str_eq(out_str((size_t)r, "workerId"), "w1");
	/* w2 is idle, but t2 waits for w1; an unpinned task goes to w2. */
	ck_assert_int_eq(find_out(0, MSG_PROCESS_TASK, NULL), -1);
	assign("t3", NULL);
	ck_assert_str_eq(processed_by("w2"), "t3");
	complete("t3", "w2");
	ck_assert_str_eq(processed_by("w2"), "");
	ck_assert_int_eq(coord_worker(c, "w2")->status, WORKER_IDLE);
	complete("t1", "w1");
	ck_assert_str_eq(processed_by("w1"), "t2");
}
END_TEST

START_TEST(test_pinned_and_free_order)
{
	open_coord();
	online_worker("w1");
	online_worker("w2");
	assign("a", NULL);
	assign("b", NULL);
	assign("p2", "w2");	/* queued first ... */
	assign("f", NULL);	/* ... then an unpinned one */
	assign("p1", "w1");
	complete("a", "w1");	/* w1: f (p2 is not its) */
	ck_assert_str_eq(processed_by("w1"), "f");
	complete("b", "w2");	/* w2: p2, older than anything else */
	ck_assert_str_eq(processed_by("w2"), "p2");
	complete("f", "w1");
	ck_assert_str_eq(processed_by("w1"), "p1");
}
END_TEST

START_TEST(test_assign_errors)
{
	int	 r;

	open_coord();
	r = assign("t1", "nobody");
	ck_assert_int_eq(ob.v[r].type, MSG_ERROR);
	ck_assert_str_eq(out_str((size_t)r, "code"), "unknown_actor");
	ck_assert_int_eq(task_row("t1", NULL), -1);
	assign("t1", NULL);
	/* The same task again is the one task (test_assign_again). */
	r = assign("t1", NULL);
	ck_assert_int_eq(ob.v[r].type, MSG_TASK_ACCEPTED);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 1);
}
END_TEST

START_TEST(test_worker_death_requeue)
{
	int64_t	 attempts = 0;
	int	 i;

	open_coord();
	online_worker("w1");
	assign("t1", NULL);
	assign("t2", NULL);
	ck_assert_int_eq(coord_workers_down(c, &ob), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	ck_assert_int_eq(coord_worker(c, "w1")->status, WORKER_OFFLINE);
	/* t1 waits for w1's word on it: it may have finished. */
	ck_assert_str_eq(coord_worker(c, "w1")->task, "t1");
	ck_assert_int_eq(task_row("t1", &attempts), TASK_RUNNING);
	ck_assert_int_eq(attempts, 1);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 1);
	ck_assert_uint_eq(c->ntasks[TASK_RUNNING], 1);
	/* The worker process is back: it is asked for w1, which announces. */
	outbox_clear(&ob);
	ck_assert_int_eq(coord_workers_up(c, &ob), 0);
	ck_assert_int_ge(find_out(0, MSG_START_WORKER, "worker:w1"), 0);
	outbox_clear(&ob);
	/* Nothing of t1: its run died with the process, it is requeued. */
	announce("w1", NULL, NULL, NULL);
	/* The requeued task went to the front: it runs before t2. */
	ck_assert_str_eq(processed_by("w1"), "t1");
	ck_assert_int_eq(task_row("t1", &attempts), TASK_RUNNING);
	ck_assert_int_eq(attempts, 2);
	complete("t1", "w1");
	ck_assert_str_eq(processed_by("w1"), "t2");
	ck_assert_uint_eq(c->ntasks[TASK_COMPLETED], 1);
	/* Two downs in a row lose nothing: t2 waits, then runs again. */
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(coord_workers_down(c, &ob), 0);
	ck_assert_int_eq(task_row("t2", NULL), TASK_RUNNING);
	outbox_clear(&ob);
	announce("w1", NULL, NULL, NULL);
	ck_assert_str_eq(processed_by("w1"), "t2");
	ck_assert_int_eq(task_row("t2", &attempts), TASK_RUNNING);
	ck_assert_int_eq(attempts, 2);
}
END_TEST

/*
 * The worker process died after its worker finished t1 and recorded it,
 * before the TaskCompleted reached us: the worker's announcement carries
 * the outcome, and t1 is completed once, not run a second time.
 */
START_TEST(test_worker_death_outcome_kept)
{
	int64_t	 attempts = 0;

	open_coord();
	online_worker("w1");
	assign("t1", NULL);
	assign("t2", NULL);
	outbox_clear(&ob);
	ck_assert_int_eq(coord_workers_down(c, &ob), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	ck_assert_int_eq(coord_worker(c, "w1")->status, WORKER_OFFLINE);
	outbox_clear(&ob);
	ck_assert_int_eq(coord_workers_up(c, &ob), 0);
	outbox_clear(&ob);
	announce("w1", NULL, "t1", "completed");
	ck_assert_int_eq(task_row("t1", &attempts), TASK_COMPLETED);
	ck_assert_int_eq(attempts, 1);
	ck_assert_str_eq(processed_by("w1"), "t2");
	ck_assert_uint_eq(c->ntasks[TASK_COMPLETED], 1);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 0);
}
END_TEST

START_TEST(test_max_attempts)
{
	int64_t	 attempts = 0;
	int	 i, r;

	conf.max_attempts = 2;
	open_coord();
	online_worker("w1");
	assign("t1", NULL);
	for (i = 0; i < 2; i++) {
		ck_assert_str_eq(coord_worker(c, "w1")->task, "t1");
		outbox_clear(&ob);
		ck_assert_int_eq(coord_workers_down(c, &ob), 0);
		ck_assert_int_eq(db_commit(coord_db(c)), 0);
		announce("w1", NULL, NULL, NULL);
	}
	ck_assert_int_eq(task_row("t1", &attempts), TASK_FAILED);
	ck_assert_int_eq(attempts, 2);
	ck_assert_uint_eq(c->ntasks[TASK_FAILED], 1);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 0);
	ck_assert_int_eq(coord_worker(c, "w1")->status, WORKER_IDLE);
	/* The failure is in 'recent', with the reason. */
	outbox_clear(&ob);
	send_msg(MSG_GET_STATUS, "session:t", NULL, payload(NULL));
	r = reply_index();
	ck_assert_int_eq(ob.v[r].type, MSG_STATUS_UPDATED);
	{
		const msgpack_object	*rec = mp_get(out_payload((size_t)r),
		    "recent");

		ck_assert_ptr_nonnull(rec);
		ck_assert_uint_ge(rec->via.array.size, 1);
		ck_assert(mp_streq(mp_get(&rec->via.array.ptr[0], "status"),
		    "failed"));
		ck_assert_ptr_nonnull(mp_get(&rec->via.array.ptr[0],
		    "error"));
	}
}
END_TEST

START_TEST(test_unregister_requeues)
{
	int	 r;

	open_coord();
	online_worker("w1");
	assign("t1", NULL);
	online_worker("w2");
	outbox_clear(&ob);
	send_msg(MSG_UNREGISTER_WORKER, "session:t", NULL,
	    payload("workerId", "w1", NULL));
	r = reply_index();
	ck_assert_int_eq(ob.v[r].type, MSG_WORKER_UNREGISTERED);
	ck_assert_int_ge(find_out(0, MSG_STOP_WORKER, "worker:w1"), 0);
	ck_assert_str_eq(processed_by("w2"), "t1");
	ck_assert_ptr_null(coord_worker(c, "w1"));
	/* A late report from the gone worker changes nothing. */
	complete("t1", "w1");
	ck_assert_int_eq(task_row("t1", NULL), TASK_RUNNING);
	outbox_clear(&ob);
	send_msg(MSG_UNREGISTER_WORKER, "session:t", NULL,
	    payload("workerId", "w1", NULL));
	ck_assert_str_eq(out_str((size_t)reply_index(), "code"),
	    "unknown_actor");
}
END_TEST

START_TEST(test_cancel)
{
	int	 r;

	open_coord();
	online_worker("w1");
	assign("t1", NULL);
	assign("t2", NULL);
	assign("t3", NULL);
	/* Queued. */
	outbox_clear(&ob);
	send_msg(MSG_CANCEL_TASK, "session:t", NULL,
	    payload("taskId", "t2", NULL));
	r = reply_index();
	ck_assert_int_eq(ob.v[r].type, MSG_TASK_CANCELLED);
	ck_assert_str_eq(out_str((size_t)r, "taskId"), "t2");
	ck_assert_int_eq(task_row("t2", NULL), TASK_CANCELLED);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 1);
	/* Running: the worker is told, and takes the next task (not t2). */
	outbox_clear(&ob);
	send_msg(MSG_CANCEL_TASK, "session:t", NULL,
	    payload("taskId", "t1", NULL));
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_TASK_CANCELLED);
	r = find_out(0, MSG_ABORT_TASK, "worker:w1");
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(out_str((size_t)r, "taskId"), "t1");
	ck_assert_int_gt(find_out(0, MSG_PROCESS_TASK, "worker:w1"), r);
	ck_assert_str_eq(processed_by("w1"), "t3");
	/* Its late completion is ignored. */
	complete("t1", "w1");
	ck_assert_int_eq(task_row("t1", NULL), TASK_CANCELLED);
	ck_assert_str_eq(coord_worker(c, "w1")->task, "t3");
	/* Again: the same answer; finished or unknown: an Error. */
	outbox_clear(&ob);
	send_msg(MSG_CANCEL_TASK, "session:t", NULL,
	    payload("taskId", "t1", NULL));
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_TASK_CANCELLED);
	complete("t3", "w1");
	outbox_clear(&ob);
	send_msg(MSG_CANCEL_TASK, "session:t", NULL,
	    payload("taskId", "t3", NULL));
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_ERROR);
	outbox_clear(&ob);
	send_msg(MSG_CANCEL_TASK, "session:t", NULL,
	    payload("taskId", "nope", NULL));
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_ERROR);
	ck_assert_uint_eq(c->ntasks[TASK_CANCELLED], 2);
	ck_assert_uint_eq(c->ntasks[TASK_COMPLETED], 1);
}
END_TEST

START_TEST(test_task_failed)
{
	int	 r;

	open_coord();
	online_worker("w1");
	assign("t1", NULL);
	assign("t2", NULL);
	outbox_clear(&ob);
	send_msg(MSG_TASK_FAILED, "worker:w1", NULL, payload("taskId", "t1",
	    "workerId", "w1", "error", "boom", NULL));
	ck_assert_int_eq(task_row("t1", NULL), TASK_FAILED);
	ck_assert_str_eq(processed_by("w1"), "t2");
	r = find_out(0, MSG_LOG_EVENT, EVENTLOG_ADDRESS);
	ck_assert_int_ge(r, 0);
	ck_assert_str_eq(out_str((size_t)r, "level"), "warn");
	/* A failed task is not retried: max_attempts is for dead workers. */
	ck_assert_uint_eq(c->ntasks[TASK_FAILED], 1);
}
END_TEST

START_TEST(test_idempotent_same_reply)
{
	size_t	 len1;
	char	 first[512];
	int	 r;

	open_coord();
	outbox_clear(&ob);
	send_msg(MSG_ASSIGN_TASK, "session:a", "m1", payload("kind", "echo",
	    NULL));
	r = reply_index();
	ck_assert_int_eq(ob.v[r].type, MSG_TASK_ACCEPTED);
	len1 = ob.v[r].len;
	ck_assert_uint_lt(len1, sizeof(first));
	memcpy(first, outbox_payload(&ob, (size_t)r), len1);
	/* The same id from the same sender: the same bytes, nothing new. */
	outbox_clear(&ob);
	send_msg(MSG_ASSIGN_TASK, "session:a", "m1", payload("kind", "echo",
	    NULL));
	ck_assert_uint_eq(ob.n, 1);
	ck_assert_int_eq(ob.v[0].type, MSG_TASK_ACCEPTED);
	ck_assert_uint_eq(ob.v[0].len, len1);
	ck_assert_int_eq(memcmp(outbox_payload(&ob, 0), first, len1), 0);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 1);
	/* It survives a restart. */
	open_coord();
	send_msg(MSG_ASSIGN_TASK, "session:a", "m1", payload("kind", "echo",
	    NULL));
	ck_assert_uint_eq(ob.v[0].len, len1);
	ck_assert_int_eq(memcmp(outbox_payload(&ob, 0), first, len1), 0);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 1);
	/* Another sender, or another id: a new command. */
	outbox_clear(&ob);
	send_msg(MSG_ASSIGN_TASK, "session:b", "m1", payload("kind", "echo",
	    NULL));
	send_msg(MSG_ASSIGN_TASK, "session:a", "m2", payload("kind", "echo",
	    NULL));
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 3);
}
END_TEST

START_TEST(test_idempotent_errors_and_window)
{
	int	 r;

	conf.dedupe_window_s = 10;
	open_coord();
	c->fake_now = 1000000;
	online_worker("w1");
	/* Register applied once: one LogEvent, however often it is sent. */
	outbox_clear(&ob);
	send_msg(MSG_UNREGISTER_WORKER, "session:a", "u1",
	    payload("workerId", "w1", NULL));
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_WORKER_UNREGISTERED);
	outbox_clear(&ob);
	send_msg(MSG_UNREGISTER_WORKER, "session:a", "u1",
	    payload("workerId", "w1", NULL));
	ck_assert_uint_eq(ob.n, 1);
	ck_assert_int_eq(ob.v[0].type, MSG_WORKER_UNREGISTERED);
	/* An Error is remembered too. */
	outbox_clear(&ob);
	send_msg(MSG_CANCEL_TASK, "session:a", "c1", payload("taskId", "x",
	    NULL));
	ck_assert_int_eq(ob.v[0].type, MSG_ERROR);
	assign("x", NULL);
	outbox_clear(&ob);
	send_msg(MSG_CANCEL_TASK, "session:a", "c1", payload("taskId", "x",
	    NULL));
	ck_assert_int_eq(ob.v[0].type, MSG_ERROR);
	ck_assert_int_eq(task_row("x", NULL), TASK_QUEUED);
	/* After the window the id is new again. */
	c->fake_now += 11000;
	outbox_clear(&ob);
	send_msg(MSG_CANCEL_TASK, "session:a", "c1", payload("taskId", "x",
	    NULL));
	r = reply_index();
	ck_assert_int_eq(ob.v[r].type, MSG_TASK_CANCELLED);
	ck_assert_int_eq(task_row("x", NULL), TASK_CANCELLED);
}
END_TEST

START_TEST(test_restart_keeps_running)
{
	open_coord();
	online_worker("w1");
	assign("t1", NULL);
	assign("t2", NULL);
	open_coord();	/* the coordinator restarts */
	ck_assert_int_eq(coord_worker(c, "w1")->status, WORKER_OFFLINE);
	ck_assert_str_eq(coord_worker(c, "w1")->task, "t1");
	ck_assert_uint_eq(c->ntasks[TASK_RUNNING], 1);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 1);
	ck_assert_int_eq(coord_start(c, &ob), 0);
	ck_assert_int_ge(find_out(0, MSG_START_WORKER, "worker:w1"), 0);
	/* The worker still runs t1: busy, nothing requeued or re-sent. */
	outbox_clear(&ob);
	announce("w1", "t1", NULL, NULL);
	ck_assert_int_eq(coord_worker(c, "w1")->status, WORKER_BUSY);
	ck_assert_str_eq(processed_by("w1"), "");
	/* A second, stale announcement is ignored. */
	announce("w1", NULL, NULL, NULL);
	ck_assert_str_eq(coord_worker(c, "w1")->task, "t1");
	complete("t1", "w1");
	ck_assert_str_eq(processed_by("w1"), "t2");
}
END_TEST

START_TEST(test_restart_lost_completion)
{
	int64_t	 attempts;

	open_coord();
	online_worker("w1");
	assign("t1", NULL);
	assign("t2", NULL);
	open_coord();
	/* t1 finished while we were down and its TaskCompleted was lost. */
	announce("w1", NULL, "t1", "completed");
	ck_assert_int_eq(task_row("t1", &attempts), TASK_COMPLETED);
	ck_assert_int_eq(attempts, 1);
	ck_assert_str_eq(processed_by("w1"), "t2");
	/* The late TaskCompleted itself changes nothing. */
	complete("t1", "w1");
	ck_assert_uint_eq(c->ntasks[TASK_COMPLETED], 1);
	/* A failure learned so keeps its code (a timeout's, say). */
	open_coord();
	ck_assert_int_eq(send_msg(MSG_WORKER_STATE, "worker:w1", NULL,
	    payload("workerId", "w1", "lastTask", "t2", "lastStatus",
	    "failed", "lastError", "timeout after 5 ms", "lastCode",
	    "timeout", NULL)), 0);
	ck_assert_int_eq(task_row("t2", NULL), TASK_FAILED);
	ck_assert_int_eq(send_msg(MSG_GET_TASK, "session:t", NULL,
	    payload("taskId", "t2", NULL)), 0);
	ck_assert_str_eq(out_str((size_t)reply_index(), "errorCode"),
	    "timeout");
}
END_TEST

START_TEST(test_restart_lost_run)
{
	int64_t	 attempts;

	open_coord();
	online_worker("w1");
	assign("t1", NULL);
	open_coord();
	/* The worker process lost t1 (it died too): t1 runs again. */
	announce("w1", NULL, "t0", "completed");
	ck_assert_str_eq(processed_by("w1"), "t1");
	ck_assert_int_eq(task_row("t1", &attempts), TASK_RUNNING);
	ck_assert_int_eq(attempts, 2);
	/* It runs something we do not know of: AbortTask. */
	open_coord();
	announce("w1", "zz", "t0", "completed");
	ck_assert_int_ge(find_out(0, MSG_ABORT_TASK, "worker:w1"), 0);
	/* An unregistered worker: StopWorker. */
	outbox_clear(&ob);
	announce("ghost", NULL, NULL, NULL);
	ck_assert_int_ge(find_out(0, MSG_STOP_WORKER, "worker:ghost"), 0);
}
END_TEST

START_TEST(test_status_snapshot)
{
	const msgpack_object	*p, *q, *next, *recent, *tasks;
	char			 id[16];
	uint64_t		 u;
	int			 i, r;

	conf.queue_preview = 3;
	conf.recent_tasks = 4;
	open_coord();
	online_worker("w1");
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		assign(id, NULL);
	}
	outbox_clear(&ob);
	send_msg(MSG_GET_STATUS, "session:t", "g1", payload(NULL));
	r = reply_index();
	ck_assert_int_eq(ob.v[r].type, MSG_STATUS_UPDATED);
	p = out_payload((size_t)r);
	ck_assert_uint_eq(mp_get(p, "workers")->via.array.size, 1);
	ck_assert(mp_streq(mp_get(&mp_get(p, "workers")->via.array.ptr[0],
	    "status"), "busy"));
	q = mp_get(p, "queue");
	ck_assert_int_eq(mp_uint(mp_get(q, "length"), &u), 0);
	ck_assert_uint_eq(u, 9);
	next = mp_get(q, "next");
	ck_assert_uint_eq(next->via.array.size, 3);
	ck_assert(mp_streq(&next->via.array.ptr[0], "t1"));
	ck_assert(mp_streq(&next->via.array.ptr[2], "t3"));
	recent = mp_get(p, "recent");
	ck_assert_uint_eq(recent->via.array.size, 4);
	ck_assert(mp_streq(mp_get(&recent->via.array.ptr[0], "taskId"),
	    "t9"));
	tasks = mp_get(p, "tasks");
	ck_assert_int_eq(mp_uint(mp_get(tasks, "running"), &u), 0);
	ck_assert_uint_eq(u, 1);
	/* 'recent' comes back after a restart. */
	open_coord();
	ck_assert_uint_eq(c->nrecent, 4);
	ck_assert_str_eq(TAILQ_FIRST(&c->recent)->task, "t9");
}
END_TEST

/*
 * 'recent' and the change numbers come back after a restart without an
 * index on chg: a task requeued at the front of the queue changed last.
 */
START_TEST(test_restart_recent_order)
{
	int64_t	 chg;

	open_coord();
	online_worker("w1");
	assign("t1", NULL);
	assign("t2", NULL);
	assign("t3", NULL);
	ck_assert_int_eq(coord_workers_down(c, &ob), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	/* w1 comes back without t1: t1 goes to the front, behind nothing. */
	ck_assert_int_eq(coord_workers_up(c, &ob), 0);
	outbox_clear(&ob);
	announce("w1", NULL, NULL, NULL);
	ck_assert_str_eq(processed_by("w1"), "t1");
	complete("t1", "w1");
	ck_assert_str_eq(processed_by("w1"), "t2");
	ck_assert_int_eq(coord_workers_down(c, &ob), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	announce("w1", NULL, NULL, NULL);
	chg = c->chg;
	open_coord();
	ck_assert_int_eq(c->chg, chg);
	ck_assert_str_eq(TAILQ_FIRST(&c->recent)->task, "t2");
	ck_assert_str_eq(TAILQ_NEXT(TAILQ_FIRST(&c->recent), entry)->task,
	    "t1");
	/* A new task is newer still, after another restart too. */
	assign("t4", NULL);
	open_coord();
	ck_assert_int_eq(c->chg, chg + 1);
	ck_assert_str_eq(TAILQ_FIRST(&c->recent)->task, "t4");
	ck_assert_uint_eq(c->nrecent, 4);
}
END_TEST

START_TEST(test_prune_finished)
{
	char	 id[16];
	int64_t	 n;
	int	 i;
	sqlite3_stmt *st;

	conf.finished_tasks = 5;
	open_coord();
	online_worker("w1");
	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		assign(id, NULL);
		complete(id, "w1");
	}
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(coord_db(c)),
	    "SELECT count(*) FROM tasks", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	ck_assert_int_eq(n, 5);
	open_coord();
	ck_assert_uint_eq(c->ntasks[TASK_COMPLETED], 20);
	ck_assert_uint_eq(coord_worker(c, "w1")->processed, 20);
}
END_TEST

/* Make a database at schema version 1 (the first shipped). */
static void
make_v1(void)
{
	sqlite3	*h;

	ck_assert_int_eq(sqlite3_open(dbpath, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "CREATE TABLE meta (key TEXT "
	    "PRIMARY KEY, value); INSERT INTO meta VALUES ('k', 'v'); "
	    "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

START_TEST(test_migrate_v1)
{
	sqlite3_stmt	*st;

	make_v1();
	open_coord();
	ck_assert_int_eq(db_version(coord_db(c)), coord_nmigrations);
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(coord_db(c)),
	    "SELECT value FROM meta WHERE key = 'k'", -1, &st, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "v");
	sqlite3_finalize(st);
	online_worker("w1");
	assign("t1", NULL);
	ck_assert_str_eq(processed_by("w1"), "t1");
}
END_TEST

static int64_t
count_rows(const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 n;

	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(coord_db(c)), sql, -1,
	    &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* n AssignTask from session:<sender> with ids <prefix>1 ... */
static void
assign_many(const char *sender, const char *prefix, int n)
{
	char	 from[ADDR_MAX + 1], id[32];
	int	 i;

	snprintf(from, sizeof(from), "session:%s", sender);
	for (i = 1; i <= n; i++) {
		snprintf(id, sizeof(id), "%s%d", prefix, i);
		outbox_clear(&ob);
		ck_assert_int_eq(send_msg(MSG_ASSIGN_TASK, from, id,
		    payload("kind", "echo", NULL)), 0);
	}
}

/*
 * Expired dedupe rows go oldest first, 256 every 64 commands: never more
 * in one message, never a row still in the window, and the table keeps
 * up with the commands.  The same across a restart.
 */
START_TEST(test_dedupe_prune_bounded)
{
	conf.dedupe_window_s = 10;
	open_coord();
	c->fake_now = 1000000;
	assign_many("a", "m", 600);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM dedupe"), 600);
	/* All 600 expire; the next 64 commands delete 256 of them. */
	c->fake_now += 11000;
	assign_many("b", "n", 64);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM dedupe"),
	    600 + 64 - 256);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM dedupe WHERE "
	    "sender = 'session:b'"), 64);
	/* The oldest went first. */
	ck_assert_int_eq(count_rows("SELECT count(*) FROM dedupe WHERE "
	    "sender = 'session:a' AND CAST(substr(id, 2) AS INTEGER) <= 256"),
	    0);
	open_coord();
	c->fake_now = 1011000;
	assign_many("b", "o", 128);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM dedupe WHERE "
	    "sender = 'session:a'"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM dedupe"), 64 + 128);
	/* A retry of a pruned id is a new command; a kept one is not. */
	outbox_clear(&ob);
	send_msg(MSG_ASSIGN_TASK, "session:a", "m600", payload("kind",
	    "echo", NULL));
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 600 + 64 + 128 + 1);
	send_msg(MSG_ASSIGN_TASK, "session:b", "n1", payload("kind", "echo",
	    NULL));
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 600 + 64 + 128 + 1);
}
END_TEST

/*
 * A database as schema version 3 left it (an index over the whole queue,
 * one on chg and one on the dedupe time), with tasks in every state and
 * dedupe rows: it upgrades in place, and the queue, 'recent', the
 * counters and the remembered replies are the same after.
 */
START_TEST(test_migrate_v3)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	struct db	*old;
	sqlite3_stmt	*st;
	const msgpack_object	*p, *next;
	int64_t		 now = env_now_ms();
	int		 r;

	old = db_open(dbpath, 1, coord_migrations, 3);
	ck_assert_ptr_nonnull(old);
	/*
	 * w1 runs r1; queued: t0 (requeued to the front, the last change),
	 * t1, t2 (pinned to w1), t3; d1 completed.
	 */
	ck_assert_int_eq(db_exec(old,
	    "INSERT INTO workers VALUES ('w1', 1, 1);"
	    "INSERT INTO tasks (id, kind, status, worker, pin, attempts, qseq,"
	    " created, updated, chg) VALUES"
	    " ('d1', 'echo', 2, 'w1', NULL, 1, NULL, 1, 1, 2),"
	    " ('r1', 'echo', 1, 'w1', NULL, 1, NULL, 1, 1, 4),"
	    " ('t1', 'echo', 0, NULL, NULL, 0, 5, 1, 1, 5),"
	    " ('t2', 'echo', 0, NULL, 'w1', 0, 6, 1, 1, 6),"
	    " ('t3', 'echo', 0, NULL, NULL, 0, 7, 1, 1, 7),"
	    " ('t0', 'echo', 0, NULL, NULL, 1, 3, 1, 1, 9);"
	    "UPDATE totals SET n = 1 WHERE status = 2"), 0);
	/* Two remembered replies: one in the window, one expired. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "taskId", "old");
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(old), "INSERT INTO "
	    "dedupe VALUES ('session:a', ?1, ?2, 'TaskAccepted', ?3)", -1,
	    &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, "m0", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now - 700 * 1000);
	sqlite3_bind_blob(st, 3, sb.data, (int)sb.size, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "m1", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now - 1000);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	db_close(old);

	open_coord();
	ck_assert_int_eq(db_version(coord_db(c)), coord_nmigrations);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM sqlite_master WHERE "
	    "name IN ('tasks_queue', 'tasks_chg', 'dedupe_at')"), 0);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 4);
	ck_assert_uint_eq(c->ntasks[TASK_RUNNING], 1);
	ck_assert_uint_eq(c->ntasks[TASK_COMPLETED], 1);
	ck_assert_str_eq(coord_worker(c, "w1")->task, "r1");
	ck_assert_int_eq(c->chg, 9);
	ck_assert_str_eq(TAILQ_FIRST(&c->recent)->task, "t0");
	ck_assert_str_eq(TAILQ_LAST(&c->recent, recent_list)->task, "d1");
	/* The queue in order, pinned and unpinned together. */
	outbox_clear(&ob);
	send_msg(MSG_GET_STATUS, "session:t", NULL, payload(NULL));
	p = out_payload((size_t)reply_index());
	next = mp_get(mp_get(p, "queue"), "next");
	ck_assert_uint_eq(next->via.array.size, 4);
	ck_assert(mp_streq(&next->via.array.ptr[0], "t0"));
	ck_assert(mp_streq(&next->via.array.ptr[1], "t1"));
	ck_assert(mp_streq(&next->via.array.ptr[2], "t2"));
	ck_assert(mp_streq(&next->via.array.ptr[3], "t3"));
	/* The reply in the window, byte for byte; the expired id is new. */
	outbox_clear(&ob);
	send_msg(MSG_ASSIGN_TASK, "session:a", "m1", payload("kind", "echo",
	    NULL));
	ck_assert_uint_eq(ob.n, 1);
	ck_assert_uint_eq(ob.v[0].len, sb.size);
	ck_assert_int_eq(memcmp(outbox_payload(&ob, 0), sb.data, sb.size), 0);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 4);
	outbox_clear(&ob);
	send_msg(MSG_ASSIGN_TASK, "session:a", "m0", payload("taskId", "t4",
	    "kind", "echo", NULL));
	r = reply_index();
	ck_assert_str_eq(out_str((size_t)r, "status"), "queued");
	ck_assert_uint_eq(out_uint((size_t)r, "position"), 5);
	msgpack_sbuffer_destroy(&sb);
	/* New work goes to the back and is the newest change. */
	ck_assert_int_eq(task_row("t4", NULL), TASK_QUEUED);
	ck_assert_str_eq(TAILQ_FIRST(&c->recent)->task, "t4");
	/* w1 comes back with r1 done: it takes t0, the older head. */
	announce("w1", "r1", NULL, NULL);
	complete("r1", "w1");
	ck_assert_str_eq(processed_by("w1"), "t0");
	complete("t0", "w1");
	ck_assert_str_eq(processed_by("w1"), "t1");
	complete("t1", "w1");
	ck_assert_str_eq(processed_by("w1"), "t2");
}
END_TEST

START_TEST(test_corrupt_refused)
{
	struct stat	 sb;
	char		 junk[8192], back[8192];
	int		 fd;

	memset(junk, 'x', sizeof(junk));
	memcpy(junk, "SQLite format 3", 16);	/* a header, then garbage */
	fd = open(dbpath, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	ck_assert_ptr_null(coord_open(dbpath, &conf));
	/* Never reset: the bytes are still there. */
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_eq(sb.st_size, (off_t)sizeof(junk));
	fd = open(dbpath, O_RDONLY);
	ck_assert_int_eq(read(fd, back, sizeof(back)), (ssize_t)sizeof(back));
	close(fd);
	ck_assert_int_eq(memcmp(junk, back, sizeof(junk)), 0);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
	sqlite3	*h;

	ck_assert_int_eq(sqlite3_open(dbpath, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	ck_assert_ptr_null(coord_open(dbpath, &conf));
}
END_TEST

/* The event outbox: n new workers registered, one event each. */
static void
log_events(int n)
{
	static int	 k;
	char		 w[32];
	int		 i;

	for (i = 0; i < n; i++) {
		snprintf(w, sizeof(w), "e%d", ++k);
		ck_assert_int_eq(send_msg(MSG_REGISTER_WORKER, "session:t",
		    NULL, payload("workerId", w, NULL)), 0);
	}
}

/* The sourceSeq of every LogEvent in the outbox, in order; their count. */
static int
sent_seqs(int64_t *v, int max)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < ob.n; i++) {
		if (ob.v[i].type != MSG_LOG_EVENT)
			continue;
		ck_assert_str_eq(ob.v[i].to, EVENTLOG_ADDRESS);
		ck_assert_str_eq(out_str(i, "source"), COORDINATOR_ADDRESS);
		ck_assert_int_lt(n, max);
		v[n++] = (int64_t)out_uint(i, "sourceSeq");
	}
	return n;
}

/* Does the outbox's LogEvent number seq carry sourceFirst? */
static bool
sent_first(int64_t seq)
{
	const msgpack_object	*v;
	size_t			 i;

	for (i = 0; i < ob.n; i++)
		if (ob.v[i].type == MSG_LOG_EVENT &&
		    out_uint(i, "sourceSeq") == (uint64_t)seq) {
			v = mp_get(out_payload(i), "sourceFirst");
			return v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN &&
			    v->via.boolean;
		}
	ck_abort_msg("event %lld not sent", (long long)seq);
	return false;
}

/* Rows in events_out, and the lowest number among them. */
static int64_t
outbox_rows(int64_t *lowest)
{
	int64_t	 n;

	ck_assert_int_eq(db_query_int(c->db, "SELECT count(*) FROM events_out",
	    &n), 0);
	if (lowest != NULL)
		ck_assert_int_eq(db_query_int(c->db, "SELECT min(seq) FROM "
		    "events_out", lowest), 0);
	return n;
}

/* Each event is a row, sent at once in step, numbered one after another. */
START_TEST(test_events_numbered)
{
	int64_t	 seq[8], first;
	int	 i;

	open_coord();
	first = c->ev.next;
	log_events(1);
	ck_assert_int_eq(sent_seqs(seq, 8), 1);
	ck_assert_int_eq(seq[0], first);
	ck_assert(sent_first(first));	/* nothing older is kept */
	outbox_clear(&ob);
	log_events(3);
	ck_assert_int_eq(sent_seqs(seq, 8), 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(seq[i], first + 1 + i);
	ck_assert(!sent_first(first + 1));
	/* Kept until acknowledged, in the transaction of their change. */
	ck_assert_int_eq(outbox_rows(NULL), 4);
	ck_assert_int_eq(c->ev.next - 1 - c->ev.acked, 4);
	/* Numbered by the clock at first: above an old database's numbers. */
	ck_assert_int_gt(first, (int64_t)1600000000000LL * 1000);
}
END_TEST

/* An ack forgets the events; the rows go, and the numbering survives. */
START_TEST(test_events_ack_deletes)
{
	int64_t	 seq[EVENTS_TRIM + 8], last, done;
	int	 n;

	open_coord();
	log_events(5);
	n = sent_seqs(seq, 8);
	last = seq[n - 1];
	outbox_clear(&ob);
	ack_events(last - 2, 0);
	ck_assert_int_eq(ob.n, 0);		/* nothing to send again */
	ck_assert_int_eq(outbox_rows(NULL), 5);	/* deleted later ... */
	ck_assert_int_eq(coord_events_tick(c, &ob), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	ck_assert_int_eq(outbox_rows(&done), 2);	/* ... by the tick */
	ck_assert_int_eq(done, last - 1);
	ack_events(last, 0);
	ck_assert_int_eq(coord_events_tick(c, &ob), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	ck_assert_int_eq(outbox_rows(NULL), 0);
	/* Or EVENTS_TRIM at a time as new events are added. */
	outbox_clear(&ob);
	log_events(EVENTS_TRIM + 1);
	n = sent_seqs(seq, EVENTS_TRIM + 8);
	ck_assert_int_eq(n, EVENTS_TRIM + 1);
	ack_events(seq[n - 2], 0);
	log_events(1);
	ck_assert_int_eq(outbox_rows(NULL), 2);
	/* An empty outbox still numbers on after a restart. */
	outbox_clear(&ob);
	ack_events(c->ev.next - 1, 0);
	ck_assert_int_eq(coord_events_tick(c, &ob), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	ck_assert_int_eq(outbox_rows(NULL), 0);
	last = c->ev.next - 1;
	open_coord();
	ck_assert_int_eq(c->ev.next, last + 1);
	log_events(1);
	ck_assert_int_eq(sent_seqs(seq, 8), 1);
	ck_assert_int_eq(seq[0], last + 1);
}
END_TEST

/* The connection drops: probe with the oldest, then the rest in order. */
START_TEST(test_events_resend_after_reconnect)
{
	int64_t	 seq[8], first;
	int	 n, i;

	open_coord();
	first = c->ev.next;
	log_events(3);		/* sent, then lost with the connection */
	coord_events_down(c);
	outbox_clear(&ob);
	ck_assert_int_eq(coord_events_up(c, &ob), 0);
	ck_assert_int_eq(sent_seqs(seq, 8), 1);
	ck_assert_int_eq(seq[0], first);
	ck_assert(sent_first(first));
	/* The probe waits for its ack: nothing more goes out meanwhile. */
	outbox_clear(&ob);
	log_events(3);
	ck_assert_int_eq(coord_events_up(c, &ob), 0);
	ck_assert_int_eq(count_out(MSG_LOG_EVENT), 0);
	/* The event log had the first two: the rest follows, in order. */
	ack_events(first + 1, 0);
	n = sent_seqs(seq, 8);
	ck_assert_int_eq(n, 4);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(seq[i], first + 2 + i);
	ck_assert_uint_eq(c->ev.resent, 2);	/* the probe and first + 2 */
	/* In step again: the next one goes at once. */
	outbox_clear(&ob);
	log_events(1);
	ck_assert_int_eq(sent_seqs(seq, 8), 1);
	ck_assert_int_eq(seq[0], first + 6);
}
END_TEST

/* A restart: the kept events go again, probe first. */
START_TEST(test_events_resend_after_restart)
{
	int64_t	 seq[8], first;
	int	 n;

	open_coord();
	first = c->ev.next;
	log_events(4);
	open_coord_alone();
	ck_assert_int_eq(c->ev.next, first + 4);
	ck_assert_int_eq(coord_start(c, &ob), 0);
	ck_assert_int_eq(sent_seqs(seq, 8), 1);
	ck_assert_int_eq(seq[0], first);
	outbox_clear(&ob);
	ack_events(first - 1, 0);	/* it had none of them */
	n = sent_seqs(seq, 8);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(seq[2], first + 3);
}
END_TEST

/* Refused past a gap: send again from the event log's cursor, once. */
START_TEST(test_events_gap)
{
	int64_t	 seq[8], first;
	int	 n;

	open_coord();
	first = c->ev.next;
	log_events(5);
	outbox_clear(&ob);
	ack_events(first + 1, 1);
	n = sent_seqs(seq, 8);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(seq[0], first + 2);
	ck_assert_int_eq(seq[2], first + 4);
	/* More refusals at the same cursor were for the same hole. */
	outbox_clear(&ob);
	ack_events(first + 1, 1);
	ck_assert_int_eq(count_out(MSG_LOG_EVENT), 0);
	/* A gap flag at an older cursor than we know is stale. */
	ack_events(first + 3, 0);
	ack_events(first + 2, 1);
	ck_assert_int_eq(count_out(MSG_LOG_EVENT), 0);
}
END_TEST

/* No ack for EVENTS_RESEND_MS: rewind and probe again. */
START_TEST(test_events_stall)
{
	int64_t	 seq[8], first;

	open_coord();
	c->fake_now = 1000000;
	first = c->ev.next;
	log_events(3);
	outbox_clear(&ob);
	c->fake_now += EVENTS_RESEND_MS - 1;
	ck_assert_int_eq(coord_events_tick(c, &ob), 0);
	ck_assert_int_eq(ob.n, 0);
	c->fake_now += 1;
	ck_assert_int_eq(coord_events_tick(c, &ob), 0);
	ck_assert_int_eq(sent_seqs(seq, 8), 1);
	ck_assert_int_eq(seq[0], first);
	outbox_clear(&ob);
	ack_events(first, 0);
	ck_assert_int_eq(sent_seqs(seq, 8), 2);
	ck_assert_int_eq(seq[1], first + 2);
}
END_TEST

/* Out of step with a long backlog: EVENTS_BATCH a turn, each ack pumps. */
START_TEST(test_events_batches)
{
	int64_t	 seq[EVENTS_BATCH + 1], first;
	int	 n;

	open_coord();
	first = c->ev.next;
	coord_events_down(c);
	log_events(EVENTS_BATCH + 100);
	ck_assert_int_eq(coord_events_up(c, &ob), 0);
	outbox_clear(&ob);
	ack_events(first, 0);
	n = sent_seqs(seq, EVENTS_BATCH + 1);
	ck_assert_int_eq(n, EVENTS_BATCH);
	ck_assert_int_eq(seq[0], first + 1);
	outbox_clear(&ob);
	ack_events(first + 10, 0);
	n = sent_seqs(seq, EVENTS_BATCH + 1);
	ck_assert_int_eq(n, 99);
	ck_assert_int_eq(seq[98], first + EVENTS_BATCH + 99);
}
END_TEST

/* Past unacked_events the oldest go; the oldest kept is sent as first. */
START_TEST(test_events_bound)
{
	int64_t	 seq[8], first, lowest;

	conf.unacked_events = 5;
	open_coord();
	first = c->ev.next;
	coord_events_down(c);
	outbox_clear(&ob);
	log_events(12);
	ck_assert_int_eq(outbox_rows(&lowest), 5);
	ck_assert_int_eq(lowest, first + 7);
	ck_assert_uint_eq(c->ev.dropped, 7);
	/* Out of step, the first new event sent a probe: just the one. */
	ck_assert_int_eq(sent_seqs(seq, 8), 1);
	ck_assert_int_eq(seq[0], first);
	/* Unanswered, it goes again with the oldest kept, taken as first. */
	outbox_clear(&ob);
	c->fake_now = coord_now(c) + EVENTS_RESEND_MS;
	ck_assert_int_eq(coord_events_tick(c, &ob), 0);
	ck_assert_int_eq(sent_seqs(seq, 8), 1);
	ck_assert_int_eq(seq[0], first + 7);
	ck_assert(sent_first(first + 7));
	/* Acknowledged rows do not count as dropped. */
	outbox_clear(&ob);
	ack_events(first + 11, 0);
	log_events(5);
	ck_assert_uint_eq(c->ev.dropped, 7);
}
END_TEST

/* The event log is ahead (a new coordinator.db): renumber past it. */
START_TEST(test_events_ahead)
{
	int64_t	 seq[8], first, lowest;

	open_coord();
	first = c->ev.next;
	coord_events_down(c);
	log_events(2);
	ck_assert_int_eq(coord_events_up(c, &ob), 0);
	outbox_clear(&ob);
	ack_events(first + 1000, 0);
	ck_assert_int_eq(sent_seqs(seq, 8), 2);
	ck_assert_int_eq(seq[0], first + 1001);
	ck_assert_int_eq(seq[1], first + 1002);
	ck_assert_int_eq(outbox_rows(&lowest), 2);
	ck_assert_int_eq(lowest, first + 1001);
	ck_assert_int_eq(c->ev.next, first + 1003);
}
END_TEST

/* A database of the previous schema (2) opens, upgraded, its tasks kept. */
START_TEST(test_migrate_v2)
{
	struct db	*old;
	int64_t		 seq[8];

	old = db_open(dbpath, 1, coord_migrations, 2);
	ck_assert_ptr_nonnull(old);
	ck_assert_int_eq(db_exec(old, "INSERT INTO workers (id, processed, "
	    "registered) VALUES ('w1', 7, 1); INSERT INTO tasks (id, kind, "
	    "status, qseq, created, updated, chg) VALUES ('t1', 'echo', 0, "
	    "1, 1, 1, 1)"), 0);
	db_close(old);
	open_coord();
	ck_assert_int_eq(db_version(coord_db(c)), coord_nmigrations);
	ck_assert_uint_eq(coord_worker(c, "w1")->processed, 7);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 1);
	announce("w1", NULL, NULL, NULL);
	ck_assert_str_eq(processed_by("w1"), "t1");
	ck_assert_int_eq(sent_seqs(seq, 8), 1);	/* "task t1 assigned" */
	ck_assert_int_eq(outbox_rows(NULL), 1);
}
END_TEST

/* Pushes: a counter stands for the state; every push records its value. */
static int	 state_value;
static int	 pushes, last_pushed;
static int64_t	 push_times[256];

static int
fake_snapshot(msgpack_packer *pk, void *arg)
{
	(void)arg;
	msgpack_pack_int(pk, state_value);
	return 0;
}

static int64_t
mono_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
fake_send(const char *to, const void *payload_bytes, size_t len, void *arg)
{
	msgpack_unpacked	 u;

	(void)arg;
	ck_assert_str_eq(to, "session:s1");
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, payload_bytes, len, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	last_pushed = (int)u.data.via.i64;
	msgpack_unpacked_destroy(&u);
	if (pushes < 256)
		push_times[pushes] = mono_now();
	pushes++;
}

static const struct push_ops fake_ops = {
	.snapshot = fake_snapshot,
	.send = fake_send,
};

static void
change_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pushset	*ps = arg;

	(void)fd;
	(void)what;
	state_value++;
	push_changed(ps);
}

START_TEST(test_push_coalesced)
{
	struct event_base	*base = event_base_new();
	struct pushset		*ps = push_new(base, 50, &fake_ops, NULL);
	struct event		*ev;
	struct timeval		 tv = { 0, 2000 }, stop = { 0, 400000 };
	int			 i;

	pushes = 0;
	state_value = 0;
	ck_assert_int_eq(push_add(ps, "session:s1"), 0);
	ck_assert_int_eq(push_now(ps, "session:s1"), 0);
	ck_assert_int_eq(pushes, 1);
	/* A change every 2 ms for 300 ms. */
	ev = event_new(base, -1, EV_PERSIST, change_cb, ps);
	event_add(ev, &tv);
	event_base_loopexit(base, &(struct timeval){ 0, 300000 });
	event_base_dispatch(base);
	event_free(ev);
	/* Then quiet: the last push must show the last state. */
	event_base_loopexit(base, &stop);
	event_base_dispatch(base);
	ck_assert_int_gt(state_value, 50);
	ck_assert_int_le(pushes, 1 + 300 / 50 + 2);
	ck_assert_int_ge(pushes, 3);
	ck_assert_int_eq(last_pushed, state_value);
	for (i = 1; i < pushes && i < 256; i++)
		ck_assert_int_ge(push_times[i] - push_times[i - 1], 45);
	ck_assert_int_eq(push_del(ps, "session:s1"), 0);
	ck_assert_int_eq(push_del(ps, "session:s1"), -1);
	push_free(ps);
	event_base_free(base);
}
END_TEST

/* ---- the life of a task: queues, priorities, delays, retries ---- */

/* Send type from `from` with a payload written as JSON; the result. */
static int
jsend(enum msg_type type, const char *from, const char *json)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	json_error_t	 err;
	json_t		*j;

	ck_assert_msg((j = json_loads(json, JSON_DECODE_ANY, &err)) != NULL,
	    "bad test JSON %s: %s", json, err.text);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ck_assert_int_eq(mpjson_pack(&pk, j, 64), 0);
	json_decref(j);
	slot = (slot + 1) % 8;
	msgpack_unpacked_destroy(&slots[slot]);
	msgpack_unpacked_init(&slots[slot]);
	msgpack_sbuffer_destroy(&slotbuf[slot]);
	slotbuf[slot] = sb;
	ck_assert_int_eq(msgpack_unpack_next(&slots[slot], sb.data, sb.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	outbox_clear(&ob);
	return send_msg(type, from, NULL, &slots[slot].data);
}

/* The reply's error code, or "" when the reply is no Error. */
static const char *
reply_error(void)
{
	int	 r = reply_index();

	ck_assert_int_ge(r, 0);
	return ob.v[r].type == MSG_ERROR ? out_str((size_t)r, "code") : "";
}

/* Complete the task w runs, with a report like a worker's. */
static void
fail_run(const char *task, const char *w, const char *code)
{
	char	 from[ADDR_MAX + 1];

	snprintf(from, sizeof(from), "worker:%s", w);
	outbox_clear(&ob);
	ck_assert_int_eq(send_msg(MSG_TASK_FAILED, from, NULL,
	    payload("taskId", task, "workerId", w, "error", "boom", "code",
	    code, NULL)), 0);
}

/* Make due whatever is due at the test clock. */
static void
run_due(void)
{
	outbox_clear(&ob);
	ck_assert_int_ge(coord_due(c, &ob), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
}

START_TEST(test_priority_order)
{
	open_coord();
	register_worker("w1");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"low\", \"kind\": \"echo\"}"), 0);
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"high1\", \"kind\": \"echo\", \"priority\": 9}"), 0);
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"mid\", \"kind\": \"echo\", \"priority\": 5}"), 0);
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"high2\", \"kind\": \"echo\", \"priority\": 9}"), 0);
	/* Higher first, first come first within a priority. */
	outbox_clear(&ob);
	announce("w1", NULL, NULL, NULL);
	runs_in_order("w1", "high1 high2 mid");
	ck_assert_str_eq(processed_by("w1"), "low");
}
END_TEST

/* The ids of GetStatus's 'next', joined by spaces. */
static const char *
next_ids(void)
{
	static char		 buf[512];
	const msgpack_object	*next;
	size_t			 i, n = 0;

	outbox_clear(&ob);
	send_msg(MSG_GET_STATUS, "session:t", NULL, payload(NULL));
	next = mp_get(mp_get(out_payload((size_t)reply_index()), "queue"),
	    "next");
	buf[0] = '\0';
	for (i = 0; i < next->via.array.size; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%.*s",
		    i > 0 ? " " : "", (int)next->via.array.ptr[i].via.str.size,
		    next->via.array.ptr[i].via.str.ptr);
	return buf;
}

/*
 * Version 9 puts a ready task's queue and priority into its qseq: the
 * queued tasks of a version 8 database keep their order, through a
 * restart too, and new queues take the numbers left.
 */
START_TEST(test_migrate_v8)
{
	struct db	*old;

	old = db_open(dbpath, 1, coord_migrations, 8);
	ck_assert_ptr_nonnull(old);
	/*
	 * a (0), b (5), d (5, requeued to the front) in default, c (9) in
	 * other, p (0) pinned to w1.
	 */
	ck_assert_int_eq(db_exec(old,
	    "INSERT INTO workers VALUES ('w1', 0, 1, '');"
	    "INSERT INTO tasks (id, kind, status, pin, qseq, created, updated,"
	    " chg, queue, priority) VALUES"
	    " ('p', 'echo', 0, 'w1', 9, 1, 1, 9, 'default', 0),"
	    " ('a', 'echo', 0, NULL, 10, 1, 1, 10, 'default', 0),"
	    " ('b', 'echo', 0, NULL, 11, 1, 1, 11, 'default', 5),"
	    " ('c', 'echo', 0, NULL, 12, 1, 1, 12, 'other', 9),"
	    " ('d', 'echo', 0, NULL, -13, 1, 1, 13, 'default', 5);"
	    "INSERT OR REPLACE INTO meta VALUES ('chg', 13)"), 0);
	db_close(old);

	open_coord();
	ck_assert_int_eq(db_version(coord_db(c)), coord_nmigrations);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM queue_nums"), 2);
	ck_assert_uint_eq(queue_get(c, "default")->queued, 4);
	ck_assert_uint_eq(queue_get(c, "other")->queued, 1);
	ck_assert_str_eq(next_ids(), "c d b p a");
	open_coord();
	ck_assert_str_eq(next_ids(), "c d b p a");
	/* A new queue takes a number no other holds. */
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"e\", \"kind\": \"echo\", \"queue\": \"third\","
	    " \"priority\": 9}"), 0);
	ck_assert_int_eq(count_rows("SELECT count(DISTINCT num) FROM "
	    "queue_nums"), 3);
	ck_assert_str_eq(next_ids(), "c e d b p a");
	/* An unpinned worker takes them in that order, p left to w1. */
	online_worker("w2");
	runs_in_order("w2", "c e d b");
	ck_assert_str_eq(processed_by("w2"), "a");
}
END_TEST

START_TEST(test_queue_concurrency)
{
	snprintf(conf.queues, sizeof(conf.queues), "default thumbs:1");
	open_coord();
	online_worker("w1");
	online_worker("w2");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"a\", \"kind\": \"echo\", \"queue\": \"thumbs\"}"),
	    0);
	ck_assert_str_eq(out_str((size_t)reply_index(), "status"), "assigned");
	/* thumbs runs one at a time: b waits though w2 is idle. */
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"b\", \"kind\": \"echo\", \"queue\": \"thumbs\"}"),
	    0);
	ck_assert_str_eq(out_str((size_t)reply_index(), "status"), "queued");
	ck_assert_int_eq(coord_worker(c, "w2")->status, WORKER_IDLE);
	/* Another queue is not held up. */
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"x\", \"kind\": \"echo\"}"), 0);
	ck_assert_str_eq(processed_by("w2"), "x");
	ck_assert_uint_eq(queue_get(c, "thumbs")->running, 1);
	/* a done: b starts. */
	complete("a", "w1");
	ck_assert_str_eq(processed_by("w1"), "b");
	ck_assert_uint_eq(queue_get(c, "thumbs")->running, 1);
	ck_assert_uint_eq(queue_get(c, "thumbs")->queued, 0);
	/* A queue without a limit counts its running tasks down too. */
	ck_assert_uint_eq(queue_get(c, "default")->running, 1);
	complete("x", "w2");
	ck_assert_uint_eq(queue_get(c, "default")->running, 0);
	ck_assert_uint_eq(queue_get(c, "default")->queued, 0);
	/* Closed queues: only the configured ones. */
	conf.queues_open = 0;
	open_coord();
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\": \"echo\", \"queue\": \"other\"}"), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
	ck_assert_ptr_nonnull(strstr(out_str((size_t)reply_index(), "error"),
	    "'queue'"));
}
END_TEST

START_TEST(test_queue_pause_resume)
{
	int	 r;

	open_coord();
	online_worker("w1");
	ck_assert_int_eq(jsend(MSG_PAUSE_QUEUE, "system:ctl",
	    "{\"queue\": \"default\"}"), 0);
	r = reply_index();
	ck_assert_int_eq(ob.v[r].type, MSG_QUEUE_STATE);
	ck_assert(mp_get(out_payload((size_t)r), "paused")->via.boolean);
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"p1\", \"kind\": \"echo\"}"), 0);
	ck_assert_str_eq(out_str((size_t)reply_index(), "status"), "queued");
	ck_assert_int_eq(coord_worker(c, "w1")->status, WORKER_IDLE);
	/* Paused across a restart too. */
	open_coord();
	announce("w1", NULL, NULL, NULL);
	ck_assert_str_eq(processed_by("w1"), "");
	ck_assert_int_eq(jsend(MSG_RESUME_QUEUE, "system:ctl",
	    "{\"queue\": \"default\"}"), 0);
	ck_assert_str_eq(processed_by("w1"), "p1");
	ck_assert_int_eq(jsend(MSG_PAUSE_QUEUE, "system:ctl",
	    "{\"queue\": \"nosuch\"}"), 0);
	ck_assert_str_eq(reply_error(), "not_found");
}
END_TEST

START_TEST(test_delayed_tasks)
{
	int64_t	 now = 1700000000000LL;
	char	 json[256];

	open_coord();
	c->fake_now = now;
	online_worker("w1");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"d1\", \"kind\": \"echo\", \"delayMs\": 1000}"), 0);
	ck_assert_str_eq(out_str((size_t)reply_index(), "status"),
	    "scheduled");
	ck_assert_int_eq(task_row("d1", NULL), TASK_SCHEDULED);
	ck_assert_int_eq(c->due_at, now + 1000);
	snprintf(json, sizeof(json), "{\"taskId\": \"d2\", \"kind\": "
	    "\"echo\", \"runAt\": %lld}", (long long)(now + 500));
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t", json), 0);
	ck_assert_int_eq(c->due_at, now + 500);
	/* Not before its time, and on time across a restart. */
	c->fake_now = now + 499;
	run_due();
	ck_assert_str_eq(processed_by("w1"), "");
	open_coord();
	ck_assert_int_eq(c->due_at, now + 500);
	c->fake_now = now + 500;
	announce("w1", NULL, NULL, NULL);
	run_due();
	ck_assert_str_eq(processed_by("w1"), "d2");
	ck_assert_int_eq(c->due_at, now + 1000);
	c->fake_now = now + 2000;
	run_due();
	ck_assert_int_eq(task_row("d1", NULL), TASK_QUEUED);
	ck_assert_int_eq(c->due_at, 0);
	/* Long in the past, both at once: refused. */
	snprintf(json, sizeof(json), "{\"kind\": \"echo\", \"runAt\": %lld}",
	    (long long)(now - 3600 * 1000));
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t", json), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\": \"echo\", \"runAt\": 5, \"delayMs\": 5}"), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
}
END_TEST

START_TEST(test_retry_backoff)
{
	int64_t	 now = 1700000000000LL, attempts;
	int	 r;

	open_coord();
	c->fake_now = now;
	online_worker("w1");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"r1\", \"kind\": \"echo\", \"retry\": "
	    "{\"maxAttempts\": 3, \"backoff\": \"exponential\", "
	    "\"baseMs\": 100, \"maxMs\": 150}}"), 0);
	ck_assert_str_eq(processed_by("w1"), "r1");
	/* Run 1 fails: retrying, 100 ms later. */
	fail_run("r1", "w1", "exit");
	ck_assert_int_eq(task_row("r1", &attempts), TASK_RETRYING);
	ck_assert_int_eq(attempts, 1);
	ck_assert_int_eq(c->due_at, now + 100);
	c->fake_now = now + 100;
	run_due();
	ck_assert_str_eq(processed_by("w1"), "r1");
	/* Run 2 fails: doubled, but at most maxMs. */
	fail_run("r1", "w1", "timeout");
	ck_assert_int_eq(c->due_at, now + 100 + 150);
	c->fake_now = now + 250;
	run_due();
	/* Run 3 fails: no more. */
	fail_run("r1", "w1", "exit");
	ck_assert_int_eq(task_row("r1", &attempts), TASK_FAILED);
	ck_assert_int_eq(attempts, 3);
	/* The history has every run. */
	ck_assert_int_eq(jsend(MSG_GET_TASK, "session:t",
	    "{\"taskId\": \"r1\"}"), 0);
	r = reply_index();
	ck_assert_int_eq(ob.v[r].type, MSG_TASK);
	ck_assert_uint_eq(mp_get(out_payload((size_t)r), "history")->
	    via.array.size, 3);
	ck_assert_str_eq(out_str((size_t)r, "errorCode"), "exit");
	/* Without a policy a failure is final, as before. */
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"r2\", \"kind\": \"echo\"}"), 0);
	fail_run("r2", "w1", "exit");
	ck_assert_int_eq(task_row("r2", NULL), TASK_FAILED);
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\": \"echo\", \"retry\": {\"backoff\": \"linear\"}}"), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
}
END_TEST

START_TEST(test_retry_delay_math)
{
	struct msg_retry	 p;
	uint64_t		 a;
	double			 rnd;
	int64_t			 d;

	memset(&p, 0, sizeof(p));
	ck_assert_uint_eq(retry_max_attempts(&p), 1);
	ck_assert_int_eq(retry_delay_ms(&p, 1, 0), 1000);
	p.base_ms = 200;
	p.has_base_ms = true;
	ck_assert_int_eq(retry_delay_ms(&p, 5, 0), 200);	/* fixed */
	snprintf(p.backoff, sizeof(p.backoff), "exponential");
	p.max_ms = 3000;
	p.has_max_ms = true;
	ck_assert_int_eq(retry_delay_ms(&p, 1, 0), 200);
	ck_assert_int_eq(retry_delay_ms(&p, 2, 0), 400);
	ck_assert_int_eq(retry_delay_ms(&p, 4, 0), 1600);
	ck_assert_int_eq(retry_delay_ms(&p, 5, 0), 3000);
	ck_assert_int_eq(retry_delay_ms(&p, 60, 0), 3000);
	/* Jitter takes at most its part of the delay, at random. */
	p.jitter = 0.25;
	p.has_jitter = true;
	for (a = 1; a < 8; a++)
		for (rnd = 0; rnd < 1; rnd += 0.125) {
			d = retry_delay_ms(&p, a, rnd);
			ck_assert_int_le(d, retry_delay_ms(&p, a, 0));
			ck_assert_int_ge(d, retry_delay_ms(&p, a, 0) * 3 / 4);
		}
}
END_TEST

START_TEST(test_worker_death_policy)
{
	int64_t	 now = 1700000000000LL;

	open_coord();
	c->fake_now = now;
	online_worker("w1");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"k1\", \"kind\": \"echo\", \"retry\": "
	    "{\"maxAttempts\": 2, \"baseMs\": 50}}"), 0);
	ck_assert_int_eq(coord_workers_down(c, &ob), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	/* Back without k1: with a policy, a death is a failed run. */
	announce("w1", NULL, NULL, NULL);
	ck_assert_int_eq(task_row("k1", NULL), TASK_RETRYING);
	ck_assert_int_eq(c->due_at, now + 50);
}
END_TEST

START_TEST(test_get_and_list)
{
	char	 id[16], json[128], cursor[32];
	int	 i, r, seen = 0, n, pages = 0;
	const msgpack_object *tasks, *cur;

	open_coord();
	ck_assert_int_eq(jsend(MSG_GET_TASK, "session:t",
	    "{\"taskId\": \"nosuch\"}"), 0);
	ck_assert_str_eq(reply_error(), "not_found");
	for (i = 0; i < 120; i++) {
		snprintf(json, sizeof(json), "{\"taskId\": \"L%03d\", "
		    "\"kind\": \"%s\"}", i, i % 3 == 0 ? "fail" : "echo");
		ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t", json), 0);
	}
	/* Newest first, in pages, none twice or missed as tasks come. */
	cursor[0] = '\0';
	for (;;) {
		if (cursor[0] == '\0')
			snprintf(json, sizeof(json), "{\"limit\": 50}");
		else
			snprintf(json, sizeof(json), "{\"limit\": 50, "
			    "\"cursor\": \"%s\"}", cursor);
		ck_assert_int_eq(jsend(MSG_LIST_TASKS, "session:t", json), 0);
		r = reply_index();
		ck_assert_int_eq(ob.v[r].type, MSG_TASKS);
		tasks = mp_get(out_payload((size_t)r), "tasks");
		n = (int)tasks->via.array.size;
		for (i = 0; i < n; i++) {
			snprintf(id, sizeof(id), "L%03d", 119 - seen);
			ck_assert(mp_streq(mp_get(&tasks->via.array.ptr[i],
			    "taskId"), id));
			seen++;
		}
		pages++;
		cur = mp_get(out_payload((size_t)r), "nextCursor");
		if (cur->type == MSGPACK_OBJECT_NIL)
			break;
		mp_strcpy(cur, cursor, sizeof(cursor));
		/* A new task meanwhile does not move the pages. */
		snprintf(json, sizeof(json), "{\"kind\": \"echo\"}");
		ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t", json), 0);
	}
	ck_assert_int_eq(seen, 120);
	ck_assert_int_eq(pages, 3);
	/* By kind: 40 fail tasks. */
	ck_assert_int_eq(jsend(MSG_LIST_TASKS, "session:t",
	    "{\"kind\": \"fail\", \"limit\": 500}"), 0);
	tasks = mp_get(out_payload((size_t)reply_index()), "tasks");
	ck_assert_uint_eq(tasks->via.array.size, 40);
	ck_assert_int_eq(jsend(MSG_LIST_TASKS, "session:t",
	    "{\"status\": \"queued\", \"limit\": 3}"), 0);
	tasks = mp_get(out_payload((size_t)reply_index()), "tasks");
	ck_assert_uint_eq(tasks->via.array.size, 3);
	ck_assert_int_eq(jsend(MSG_LIST_TASKS, "session:t",
	    "{\"status\": \"lost\"}"), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
	ck_assert_int_eq(jsend(MSG_LIST_TASKS, "session:t",
	    "{\"cursor\": \"abc\"}"), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
}
END_TEST

/* The TaskFinished entries of the outbox to `to`. */
static int
finished_to(const char *to)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < ob.n; i++)
		n += ob.v[i].type == MSG_TASK_FINISHED &&
		    strcmp(ob.v[i].to, to) == 0;
	return n;
}

START_TEST(test_watch_finished)
{
	int	 i;

	open_coord();
	online_worker("w1");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"taskId\": \"w1t\", \"kind\": \"echo\", \"watch\": true}"), 0);
	/* A second watcher, and the watches outlive a restart. */
	outbox_clear(&ob);
	ck_assert_int_eq(send_msg(MSG_WATCH_TASK, "session:u", NULL,
	    payload("taskId", "w1t", NULL)), 0);
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_TASK);
	ck_assert_int_ge(find_out(0, MSG_STREAM_OUTPUT, "worker:w1"), -1);
	open_coord();
	announce("w1", "w1t", NULL, NULL);
	complete("w1t", "w1");
	ck_assert_int_eq(finished_to("session:t"), 1);
	ck_assert_int_eq(finished_to("session:u"), 1);
	i = find_out(0, MSG_TASK_FINISHED, "session:t");
	ck_assert_str_eq(out_str((size_t)i, "status"), "completed");
	/* Watching a finished task: TaskFinished at once, to it alone. */
	outbox_clear(&ob);
	ck_assert_int_eq(send_msg(MSG_WATCH_TASK, "session:v", NULL,
	    payload("taskId", "w1t", NULL)), 0);
	ck_assert_int_eq(finished_to("session:v"), 1);
	ck_assert_int_eq(count_out(MSG_TASK_FINISHED), 1);
	/* Bounded per watcher. */
	conf.watches_per_watcher = 1;
	open_coord();
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\": \"echo\", \"watch\": true}"), 0);
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\": \"echo\", \"watch\": true}"), 0);
	ck_assert_str_eq(reply_error(), "rate_limited");
}
END_TEST

/*
 * A client whose connection dropped sends AssignTask again from a new
 * session, same taskId: TaskAccepted for the one task, with its status
 * now; with watch, its TaskFinished.  Another kind or input under the id
 * is refused.
 */
START_TEST(test_assign_again)
{
	size_t	 i;

	open_coord();
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:a",
	    "{\"taskId\": \"again\", \"kind\": \"echo\", "
	    "\"input\": {\"value\": 7}}"), 0);
	ck_assert_str_eq(out_str(reply_index(), "status"), "queued");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:b",
	    "{\"taskId\": \"again\", \"kind\": \"echo\", "
	    "\"input\": {\"value\": 7}}"), 0);
	i = reply_index();
	ck_assert_int_eq(ob.v[i].type, MSG_TASK_ACCEPTED);
	ck_assert_str_eq(out_str(i, "taskId"), "again");
	ck_assert_str_eq(out_str(i, "status"), "queued");
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], 1);

	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:b",
	    "{\"taskId\": \"again\", \"kind\": \"echo\", "
	    "\"input\": {\"value\": 8}}"), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:b",
	    "{\"taskId\": \"again\", \"kind\": \"sleep\", "
	    "\"input\": {\"value\": 7}}"), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");

	online_worker("w1");
	ck_assert_int_eq(task_row("again", NULL), TASK_RUNNING);
	complete("again", "w1");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:c",
	    "{\"taskId\": \"again\", \"kind\": \"echo\", "
	    "\"input\": {\"value\": 7}, \"watch\": true}"), 0);
	i = reply_index();
	ck_assert_int_eq(ob.v[i].type, MSG_TASK_ACCEPTED);
	ck_assert_str_eq(out_str(i, "status"), "completed");
	ck_assert_int_eq(finished_to("session:c"), 1);
	ck_assert_int_gt(find_out(0, MSG_TASK_FINISHED, "session:c"),
	    (int)i);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED] + c->ntasks[TASK_RUNNING],
	    0);
}
END_TEST

START_TEST(test_retry_and_delete)
{
	int64_t	 attempts;

	open_coord();
	online_worker("w1");
	assign("f1", NULL);
	fail_run("f1", "w1", "exit");
	ck_assert_int_eq(jsend(MSG_DELETE_TASK, "session:t",
	    "{\"taskId\": \"nosuch\"}"), 0);
	ck_assert_str_eq(reply_error(), "not_found");
	/* Failed: back in the queue, same id, attempts going on. */
	ck_assert_int_eq(jsend(MSG_RETRY_TASK, "session:t",
	    "{\"taskId\": \"f1\"}"), 0);
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_TASK_ACCEPTED);
	ck_assert_str_eq(processed_by("w1"), "f1");
	ck_assert_int_eq(task_row("f1", &attempts), TASK_RUNNING);
	ck_assert_int_eq(attempts, 2);
	/* Running: neither retried nor deleted. */
	ck_assert_int_eq(jsend(MSG_RETRY_TASK, "session:t",
	    "{\"taskId\": \"f1\"}"), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
	ck_assert_int_eq(jsend(MSG_DELETE_TASK, "session:t",
	    "{\"taskId\": \"f1\"}"), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
	complete("f1", "w1");
	ck_assert_int_eq(jsend(MSG_DELETE_TASK, "session:t",
	    "{\"taskId\": \"f1\"}"), 0);
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_TASK_DELETED);
	ck_assert_int_eq(task_row("f1", NULL), -1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM runs WHERE "
	    "task = 'f1'"), 0);
}
END_TEST

/*
 * What a client cannot do to the queues: make them with refused
 * requests, or past QUEUES_MAX by retrying tasks of queues forgotten at
 * a restart (the coordinator once ran out of queue numbers there and
 * exited at every start).  And the bounds of a few fields.
 */
START_TEST(test_queue_and_field_bounds)
{
	char	 json[256];
	size_t	 n;
	int	 i, refused = 0;

	conf.queues_open = 1;
	open_coord();
	/* Refused for an unknown worker: no queue is made. */
	n = c->nqueues;
	for (i = 0; i < QUEUES_MAX + 6; i++) {
		snprintf(json, sizeof(json), "{\"kind\": \"echo\", \"queue\": "
		    "\"junk%d\", \"workerId\": \"nope\"}", i);
		ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t", json), 0);
		ck_assert_str_eq(reply_error(), "unknown_actor");
	}
	ck_assert_uint_eq(c->nqueues, n);
	/* Tasks in QUEUES_MAX - n queues, cancelled; then as many more. */
	for (i = 0; i < 2 * (QUEUES_MAX - (int)n); i++) {
		if (i == QUEUES_MAX - (int)n)
			open_coord();	/* forgets the queues of the first */
		snprintf(json, sizeof(json), "{\"taskId\": \"q%d\", \"kind\": "
		    "\"echo\", \"queue\": \"q%d\"}", i, i);
		ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t", json), 0);
		ck_assert_int_eq(ob.v[reply_index()].type, MSG_TASK_ACCEPTED);
		snprintf(json, sizeof(json), "{\"taskId\": \"q%d\"}", i);
		ck_assert_int_eq(jsend(MSG_CANCEL_TASK, "session:t", json), 0);
	}
	open_coord();
	/* Every one retried: at most QUEUES_MAX queues, the rest refused. */
	for (i = 0; i < 2 * (QUEUES_MAX - (int)n); i++) {
		snprintf(json, sizeof(json), "{\"taskId\": \"q%d\"}", i);
		ck_assert_int_eq(jsend(MSG_RETRY_TASK, "session:t", json), 0);
		if (ob.v[reply_index()].type == MSG_ERROR) {
			ck_assert_str_eq(reply_error(), "bad_payload");
			ck_assert_ptr_nonnull(strstr(out_str(
			    (size_t)reply_index(), "error"), "one too many"));
			refused++;
		}
	}
	ck_assert_uint_eq(c->nqueues, QUEUES_MAX);
	ck_assert_int_eq(refused, QUEUES_MAX - (int)n);
	/* And they start again after a restart, all of them queued. */
	open_coord();
	ck_assert_uint_eq(c->nqueues, QUEUES_MAX);
	ck_assert_uint_eq(c->ntasks[TASK_QUEUED], QUEUES_MAX - n);

	/* runAt: at most a year ahead, as delayMs. */
	snprintf(json, sizeof(json), "{\"kind\": \"echo\", \"runAt\": "
	    "%lld}", (long long)(env_now_ms() + 367LL * 86400 * 1000));
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t", json), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
	ck_assert_ptr_nonnull(strstr(out_str((size_t)reply_index(), "error"),
	    "'runAt' is more than a year ahead"));
	/* A cursor is digits, as Tasks gives it. */
	for (i = 0; i < 3; i++) {
		snprintf(json, sizeof(json), "{\"cursor\": \"%s\"}",
		    (const char *[]){ " 5", "+5", "99999999999999999999" }[i]);
		ck_assert_int_eq(jsend(MSG_LIST_TASKS, "session:t", json), 0);
		ck_assert_str_eq(reply_error(), "bad_payload");
	}
	/* A watch already there is not a new one: no bound refuses it. */
	conf.watches_per_watcher = 1;
	open_coord();
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:w",
	    "{\"taskId\": \"wt\", \"kind\": \"echo\", \"watch\": true}"), 0);
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_TASK_ACCEPTED);
	ck_assert_int_eq(jsend(MSG_WATCH_TASK, "session:w",
	    "{\"taskId\": \"wt\"}"), 0);
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_TASK);
}
END_TEST

/* A Task's history is its last 100 runs, however often it was retried. */
START_TEST(test_history_bounded)
{
	const msgpack_object	*h;
	int			 i;

	open_coord();
	online_worker("w1");
	assign("h1", NULL);
	for (i = 0; i < 105; i++) {
		fail_run("h1", "w1", "exit");
		ck_assert_int_eq(jsend(MSG_RETRY_TASK, "session:t",
		    "{\"taskId\": \"h1\"}"), 0);
	}
	ck_assert_int_eq(jsend(MSG_GET_TASK, "session:t",
	    "{\"taskId\": \"h1\"}"), 0);
	h = mp_get(out_payload((size_t)reply_index()), "history");
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->via.array.size, 100);
	ck_assert_uint_eq(mp_get(&h->via.array.ptr[0], "attempt")->via.u64, 7);
	ck_assert_uint_eq(mp_get(&h->via.array.ptr[99], "attempt")->via.u64,
	    106);
}
END_TEST

/*
 * A session goes: every running task that nobody watches any more stops
 * streaming its output, also past one that another session still watches
 * (the walk once stopped there).
 */
START_TEST(test_watcher_gone)
{
	open_coord();
	online_worker("w1");
	online_worker("w2");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:s",
	    "{\"taskId\": \"a\", \"kind\": \"echo\", \"watch\": true}"), 0);
	ck_assert_int_eq(jsend(MSG_WATCH_TASK, "session:u",
	    "{\"taskId\": \"a\"}"), 0);
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:s",
	    "{\"taskId\": \"b\", \"kind\": \"echo\", \"watch\": true}"), 0);
	ck_assert_str_eq(processed_by("w2"), "b");
	outbox_clear(&ob);
	ck_assert_int_eq(watch_drop(c, "session:s", &ob), 0);
	ck_assert_int_eq(count_out(MSG_STREAM_OUTPUT), 1);
	ck_assert_int_ge(find_out(0, MSG_STREAM_OUTPUT, "worker:w2"), 0);
	/* u still gets a's end, s nothing. */
	complete("a", "w1");
	ck_assert_int_eq(finished_to("session:u"), 1);
	ck_assert_int_eq(finished_to("session:s"), 0);
}
END_TEST

/*
 * After a restart, the watches of a session of this host that does not
 * connect again (it went while the coordinator was down) are dropped;
 * those of one that did, and of sessions of other hosts, stay.
 */
START_TEST(test_unheard_watchers)
{
	open_coord();
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:back",
	    "{\"taskId\": \"u1\", \"kind\": \"echo\", \"watch\": true}"), 0);
	ck_assert_int_eq(jsend(MSG_WATCH_TASK, "session:gone",
	    "{\"taskId\": \"u1\"}"), 0);
	ck_assert_int_eq(jsend(MSG_WATCH_TASK, "session:far@h2",
	    "{\"taskId\": \"u1\"}"), 0);
	open_coord();
	watch_heard(c, "session:back");
	outbox_clear(&ob);
	ck_assert_int_eq(watch_unheard_drop(c, &ob), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM watches"), 2);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM watches WHERE "
	    "watcher = 'session:gone'"), 0);
	/* Once only: a watcher that comes later is a new one. */
	ck_assert_int_eq(jsend(MSG_WATCH_TASK, "session:gone",
	    "{\"taskId\": \"u1\"}"), 0);
	ck_assert_int_eq(watch_unheard_drop(c, &ob), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM watches"), 3);
	online_worker("w1");
	complete("u1", "w1");
	ck_assert_int_eq(finished_to("session:back"), 1);
	ck_assert_int_eq(finished_to("session:gone"), 1);
	ck_assert_int_eq(finished_to("session:far@h2"), 1);
}
END_TEST

/* Workers are bounded: a new one past max_workers is refused. */
START_TEST(test_max_workers)
{
	conf.max_workers = 2;
	open_coord();
	register_worker("m1");
	register_worker("m2");
	ck_assert_int_eq(jsend(MSG_REGISTER_WORKER, "session:t",
	    "{\"workerId\": \"m3\"}"), 0);
	ck_assert_str_eq(reply_error(), "rate_limited");
	ck_assert_ptr_nonnull(strstr(out_str((size_t)reply_index(), "error"),
	    "at most 2 (max_workers)"));
	/* One already there is no new one. */
	ck_assert_int_eq(jsend(MSG_REGISTER_WORKER, "session:t",
	    "{\"workerId\": \"m2\"}"), 0);
	ck_assert_int_eq(ob.v[reply_index()].type, MSG_WORKER_REGISTERED);
	ck_assert_uint_eq(c->nworkers, 2);
}
END_TEST

START_TEST(test_kinds_checked)
{
	static struct config	 cfg;
	struct kind_conf	*k;
	int			 i;

	memset(&cfg, 0, sizeof(cfg));
	k = &cfg.kinds[cfg.nkinds++];
	snprintf(k->name, sizeof(k->name), "thumb");
	k->input = KIND_INPUT_NONE;
	k->timeout_ms = 5000;
	k->timeout_max_ms = 10000;
	conf.cfg = &cfg;
	open_coord();
	online_worker("w1");
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\": \"nosuch\"}"), 0);
	ck_assert_str_eq(reply_error(), "bad_payload");
	ck_assert_ptr_nonnull(strstr(out_str((size_t)reply_index(), "error"),
	    "'kind'"));
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\": \"sleep\", \"input\": {\"ms\": -1}}"), 0);
	ck_assert_ptr_nonnull(strstr(out_str((size_t)reply_index(), "error"),
	    "'input.ms'"));
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\": \"thumb\", \"input\": [1]}"), 0);
	ck_assert_ptr_nonnull(strstr(out_str((size_t)reply_index(), "error"),
	    "'input'"));
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\": \"thumb\", \"timeoutMs\": 10001}"), 0);
	ck_assert_ptr_nonnull(strstr(out_str((size_t)reply_index(), "error"),
	    "'timeoutMs'"));
	/* The kind's default timeout and the run's number go with it. */
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\": \"thumb\"}"), 0);
	i = find_out(0, MSG_PROCESS_TASK, "worker:w1");
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(out_uint((size_t)i, "timeoutMs"), 5000);
	ck_assert_uint_eq(out_uint((size_t)i, "attempt"), 1);
	ck_assert_int_eq(jsend(MSG_GET_KINDS, "session:t", "{}"), 0);
	ck_assert_uint_eq(mp_get(out_payload((size_t)reply_index()),
	    "kinds")->via.array.size, 4);
}
END_TEST

START_TEST(test_retention_age)
{
	int64_t	 now = 1700000000000LL;

	conf.finished_max_age_s = 60;
	open_coord();
	c->fake_now = now;
	online_worker("w1");
	assign("old", NULL);
	complete("old", "w1");
	assign("new", NULL);
	c->fake_now = now + 59 * 1000;
	complete("new", "w1");
	ck_assert_int_eq(prune_finished(c), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	ck_assert_int_eq(task_row("old", NULL), TASK_COMPLETED);
	c->fake_now = now + 61 * 1000;
	ck_assert_int_eq(prune_finished(c), 0);
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	ck_assert_int_eq(task_row("old", NULL), -1);
	ck_assert_int_eq(task_row("new", NULL), TASK_COMPLETED);
	ck_assert_uint_eq(c->nfinished_kept, 1);
}
END_TEST

/*
 * Every statement that runs per message or per timer visits O(log n)
 * rows: no sort of what it found (a temporary b-tree) and no walk of the
 * table.  SQLite, without statistics, took schema 5's index on status
 * for "status = 0" over the partial index of the queue and sorted every
 * queued task for the 'next' preview (a StatusUpdated 12x slower with
 * 20,000 queued); the plans say so before a benchmark does.  Only the
 * statements of the start may scan.
 */
START_TEST(test_statement_plans)
{
	static const enum cstmt at_start[] = {
		ST_LOAD_WORKERS, ST_LOAD_RUNNING, ST_LOAD_TOTALS,
		ST_LOAD_QUEUES, ST_LOAD_COUNTS, ST_LOAD_WATCHES,
		ST_COUNT_FINISHED, ST_NEWEST_ROWID, ST_LOAD_PINNED,
		ST_EVENTS_FIRST, ST_EVENTS_LAST, ST_EVENTS_DONE, ST_NEWEST,
		ST_EVENT_SHIFT, ST_LOAD_TASK_COUNTS, ST_LOAD_METRIC_STATE,
	};
	sqlite3		*h;
	sqlite3_stmt	*st;
	char		 sql[4096];
	const char	*detail;
	size_t		 i;
	int		 k, start;

	open_coord();
	h = db_handle(coord_db(c));
	for (k = 0; k < ST_COUNT; k++) {
		start = 0;
		for (i = 0; i < sizeof(at_start) / sizeof(at_start[0]); i++)
			if (at_start[i] == (enum cstmt)k)
				start = 1;
		if (start)
			continue;
		snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
		    sqlite3_sql(cdb_stmt(c, k)));
		ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL),
		    SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			detail = (const char *)sqlite3_column_text(st, 3);
			/* The running ones are few: as many as workers. */
			ck_assert_msg((k == ST_LIST_RUNNING ||
			    strstr(detail, "TEMP B-TREE") == NULL) &&
			    strcmp(detail, "SCAN tasks") != 0,
			    "statement %d: %s\n  in %s", k, detail, sql);
		}
		sqlite3_finalize(st);
	}
}
END_TEST

/* ---- metrics ---- */

/* The value of one sample line of the coordinator's families, or -1. */
static double
metric(const char *line_start)
{
	struct metrics	*m = metrics_new();
	const char	*p;
	char		*text;
	size_t		 len, n = strlen(line_start);
	double		 v = -1;

	coord_metrics(c, m);
	text = metrics_text(m, &len);
	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, line_start, n) == 0 && p[n] == ' ') {
			v = strtod(p + n + 1, NULL);
			break;
		}
	free(text);
	metrics_free(m);
	return v;
}

/*
 * The counters of GetMetrics: by (kind, queue), from the transitions,
 * kept in coordinator.db across a restart; the histograms too.
 */
START_TEST(test_metrics_counters_kept)
{
	open_coord();
	online_worker("w1");
	assign("m1", NULL);
	complete("m1", "w1");
	assign("m2", NULL);
	fail_run("m2", "w1", "timeout");
	ck_assert_int_eq(db_commit(coord_db(c)), 0);
	ck_assert(metric("actord_tasks_assigned_total{kind=\"echo\","
	    "queue=\"default\"}") == 2);
	ck_assert(metric("actord_tasks_completed_total{kind=\"echo\","
	    "queue=\"default\"}") == 1);
	ck_assert(metric("actord_tasks_failed_total{kind=\"echo\","
	    "queue=\"default\"}") == 1);
	ck_assert(metric("actord_tasks_timed_out_total{kind=\"echo\","
	    "queue=\"default\"}") == 1);
	ck_assert(metric("actord_task_wait_seconds_count") == 2);
	ck_assert(metric("actord_task_run_seconds_count") == 2);
	ck_assert(metric("actord_tasks{status=\"completed\"}") == 1);
	ck_assert(metric("actord_queue_length{queue=\"default\"}") == 0);
	ck_assert(metric("actord_queue_running{queue=\"default\"}") == 0);

	open_coord();		/* a restart: the counters come back */
	ck_assert(metric("actord_tasks_assigned_total{kind=\"echo\","
	    "queue=\"default\"}") == 2);
	ck_assert(metric("actord_tasks_completed_total{kind=\"echo\","
	    "queue=\"default\"}") == 1);
	ck_assert(metric("actord_task_run_seconds_count") == 2);
	assign("m3", NULL);
	ck_assert(metric("actord_tasks_assigned_total{kind=\"echo\","
	    "queue=\"default\"}") == 3);
}
END_TEST

/* Past metrics_series (kind, queue) pairs, a pair is counted as other. */
START_TEST(test_metrics_series_bound)
{
	conf.metrics_series = 1;
	open_coord();
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\":\"echo\",\"queue\":\"a\"}"), 0);
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\":\"echo\",\"queue\":\"b\"}"), 0);
	ck_assert_int_eq(jsend(MSG_ASSIGN_TASK, "session:t",
	    "{\"kind\":\"echo\",\"queue\":\"c\"}"), 0);
	ck_assert(metric("actord_tasks_assigned_total{kind=\"echo\","
	    "queue=\"a\"}") == 1);
	ck_assert(metric("actord_tasks_assigned_total{kind=\"echo\","
	    "queue=\"b\"}") == -1);
	ck_assert(metric("actord_tasks_assigned_total{kind=\"other\","
	    "queue=\"other\"}") == 2);
	/* The gauges per queue are bounded by QUEUES_MAX instead. */
	ck_assert(metric("actord_queue_length{queue=\"c\"}") == 1);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("coordinator");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_register_idempotent);
	tcase_add_test(tc, test_assign_to_idle);
	tcase_add_test(tc, test_assign_defaults);
	tcase_add_test(tc, test_queue_fifo);
	tcase_add_test(tc, test_idle_round_robin);
	tcase_add_test(tc, test_pinning);
	tcase_add_test(tc, test_pinned_and_free_order);
	tcase_add_test(tc, test_assign_errors);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_task_failed);
	tcase_add_test(tc, test_status_snapshot);
	suite_add_tcase(s, tc);

	tc = tcase_create("recovery");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_worker_death_requeue);
	tcase_add_test(tc, test_worker_death_outcome_kept);
	tcase_add_test(tc, test_max_attempts);
	tcase_add_test(tc, test_unregister_requeues);
	tcase_add_test(tc, test_restart_keeps_running);
	tcase_add_test(tc, test_restart_lost_completion);
	tcase_add_test(tc, test_restart_lost_run);
	tcase_add_test(tc, test_restart_recent_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("idempotency");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_idempotent_same_reply);
	tcase_add_test(tc, test_idempotent_errors_and_window);
	tcase_add_test(tc, test_dedupe_prune_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("database");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_prune_finished);
	tcase_add_test(tc, test_migrate_v1);
	tcase_add_test(tc, test_migrate_v3);
	tcase_add_test(tc, test_corrupt_refused);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_statement_plans);
	suite_add_tcase(s, tc);

	tc = tcase_create("events");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_events_numbered);
	tcase_add_test(tc, test_events_ack_deletes);
	tcase_add_test(tc, test_events_resend_after_reconnect);
	tcase_add_test(tc, test_events_resend_after_restart);
	tcase_add_test(tc, test_events_gap);
	tcase_add_test(tc, test_events_stall);
	tcase_add_test(tc, test_events_batches);
	tcase_add_test(tc, test_events_bound);
	tcase_add_test(tc, test_events_ahead);
	tcase_add_test(tc, test_migrate_v2);
	suite_add_tcase(s, tc);

	tc = tcase_create("life");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_priority_order);
	tcase_add_test(tc, test_migrate_v8);
	tcase_add_test(tc, test_queue_concurrency);
	tcase_add_test(tc, test_queue_pause_resume);
	tcase_add_test(tc, test_delayed_tasks);
	tcase_add_test(tc, test_retry_backoff);
	tcase_add_test(tc, test_retry_delay_math);
	tcase_add_test(tc, test_worker_death_policy);
	tcase_add_test(tc, test_get_and_list);
	tcase_add_test(tc, test_watch_finished);
	tcase_add_test(tc, test_assign_again);
	tcase_add_test(tc, test_retry_and_delete);
	tcase_add_test(tc, test_queue_and_field_bounds);
	tcase_add_test(tc, test_history_bounded);
	tcase_add_test(tc, test_watcher_gone);
	tcase_add_test(tc, test_unheard_watchers);
	tcase_add_test(tc, test_max_workers);
	tcase_add_test(tc, test_kinds_checked);
	tcase_add_test(tc, test_retention_age);
	suite_add_tcase(s, tc);

	tc = tcase_create("metrics");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_metrics_counters_kept);
	tcase_add_test(tc, test_metrics_series_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("push");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_push_coalesced);
	suite_add_tcase(s, tc);
	return s;
}
