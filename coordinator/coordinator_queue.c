/*
 * The coordinator's state machine: the worker registry, the task queue and
 * the reconciliation with the worker process.  Every input is one function
 * that changes the database (inside the loop turn's transaction, which the
 * runtime commits before anything of the turn is sent) and the in-memory
 * indexes, and appends what must be sent to an outbox.
 *
 * Task life:  queued -> running -> completed | failed
 *	       queued | running -> cancelled
 *	       running -> queued again when its worker's process dies
 *	       (attempts counts the runs; after max_attempts it fails)
 *
 * Workers are offline until the worker process announces them with a
 * WorkerState push: after RegisterWorker (which sends StartWorker), after
 * the coordinator starts, and after the worker process comes back.  The
 * announcement carries the worker's current task and its last outcome, so
 * that a TaskCompleted lost with a dead coordinator is not run twice.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "coordinator.h"
#include "db.h"
#include "log.h"
#include "strmap.h"
#include "xmalloc.h"

#define PRUNE_EVERY	64	/* commands between two dedupe prunes */
#define PRUNE_MAX	256	/* expired dedupe rows deleted per prune */

/* A task's row, as the state machine needs it. */
struct trow {
	enum task_status	 status;
	char			 worker[NAME_MAX_LEN + 1];
	char			 pin[NAME_MAX_LEN + 1];
	int64_t			 attempts;
};

static int	task_offer(struct coord *, const char *, const char *,
		    struct cworker **, struct outbox *);
static int	worker_freed(struct coord *, struct cworker *,
		    struct outbox *);

static const char *const task_status_names[TASK_NSTATUS] = {
	"queued", "running", "completed", "failed", "cancelled",
};
static const char *const worker_status_names[WORKER_NSTATUS] = {
	"offline", "idle", "busy",
};

const char *
task_status_name(enum task_status s)
{
	return (unsigned)s < TASK_NSTATUS ? task_status_names[s] : "unknown";
}

const char *
worker_status_name(enum worker_status s)
{
	return (unsigned)s < WORKER_NSTATUS ? worker_status_names[s] :
	    "unknown";
}

int64_t
coord_now(const struct coord *c)
{
	return c->fake_now != 0 ? c->fake_now : env_now_ms();
}

struct db *
coord_db(const struct coord *c)
{
	return c->db;
}

bool
coord_take_dirty(struct coord *c)
{
	bool	 d = c->dirty != 0;

	c->dirty = 0;
	return d;
}

struct cworker *
coord_worker(const struct coord *c, const char *id)
{
	return strmap_get(c->workers, id);
}

/*
 * Log an activity line for the event log: kept in coordinator.db with the
 * change it tells of until the event log has it (coordinator_events.c).
 */
static int __attribute__((format(printf, 7, 8)))
activity(struct coord *c, struct outbox *ob, const char *level,
    const char *task, const char *worker, int64_t attempts,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 text[256];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return events_add(c, ob, level, task, worker, attempts, text);
}

/* Queue a message {workerId|taskId: id} for worker:<worker>. */
static void
to_worker(struct outbox *ob, const char *worker, enum msg_type type,
    const char *task)
{
	msgpack_packer	*pk;
	char		 addr[ADDR_MAX + 1];

	snprintf(addr, sizeof(addr), "worker:%s", worker);
	pk = outbox_begin(ob, NULL, addr, type, 0);
	if (task != NULL)
		msg_task_id_encode(pk, task);
	else
		msg_worker_id_encode(pk, worker);
	outbox_end(ob);
}

/* Reply Error {code, error} to the message being handled. */
static void
reply_error(const struct envelope *env, struct outbox *ob,
    enum err_code code, const char *fmt, ...)
{
	msgpack_packer	*pk;
	va_list		 ap;
	char		 text[512];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pk = outbox_begin(ob, NULL, env->from, MSG_ERROR, 1);
	msg_error_encode(pk, code, text);
	outbox_end(ob);
}

/* Move w to status s, keeping the idle list and the counts. */
static void
worker_set_status(struct coord *c, struct cworker *w, enum worker_status s)
{
	if (w->status == s)
		return;
	if (w->status == WORKER_IDLE)
		TAILQ_REMOVE(&c->idle, w, idle_entry);
	c->nstatus[w->status]--;
	w->status = s;
	c->nstatus[s]++;
	if (s == WORKER_IDLE)
		TAILQ_INSERT_TAIL(&c->idle, w, idle_entry);
	c->dirty = 1;
}

/* Add a worker to the in-memory registry (offline). */
static struct cworker *
worker_add(struct coord *c, const char *id, uint64_t processed)
{
	struct cworker	*w = xcalloc(1, sizeof(*w));

	snprintf(w->id, sizeof(w->id), "%s", id);
	w->status = WORKER_OFFLINE;
	w->processed = processed;
	strmap_put(c->workers, w->id, w);
	TAILQ_INSERT_TAIL(&c->all, w, entry);
	c->nworkers++;
	c->nstatus[WORKER_OFFLINE]++;
	c->dirty = 1;
	return w;
}

/* Remove a worker from the in-memory registry and free it. */
static void
worker_remove(struct coord *c, struct cworker *w)
{
	if (w->status == WORKER_IDLE)
		TAILQ_REMOVE(&c->idle, w, idle_entry);
	c->nstatus[w->status]--;
	TAILQ_REMOVE(&c->all, w, entry);
	strmap_del(c->workers, w->id);
	c->nworkers--;
	c->dirty = 1;
	free(w);
}

/* Read a task's row; 0 found, 1 not found, -1 error. */
static int
task_get(struct coord *c, const char *id, struct trow *t)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_TASK_GET);
	const char	*s;
	int		 rc;

	memset(t, 0, sizeof(*t));
	cdb_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t->status = (enum task_status)sqlite3_column_int(st, 0);
		if ((s = (const char *)sqlite3_column_text(st, 1)) != NULL)
			snprintf(t->worker, sizeof(t->worker), "%s", s);
		if ((s = (const char *)sqlite3_column_text(st, 2)) != NULL)
			snprintf(t->pin, sizeof(t->pin), "%s", s);
		t->attempts = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	log_warnx("coordinator.db: task %s: %s", id,
	    sqlite3_errmsg(db_handle(c->db)));
	return -1;
}

/* Delete the oldest finished rows beyond finished_tasks, a few a time. */
static int
prune_finished(struct coord *c)
{
	sqlite3_stmt	*st;
	uint64_t	 excess;

	if (c->conf.finished_tasks <= 0 ||
	    c->nfinished_kept <= (uint64_t)c->conf.finished_tasks)
		return 0;
	excess = c->nfinished_kept - (uint64_t)c->conf.finished_tasks;
	st = cdb_stmt(c, ST_DONE_PRUNE);
	sqlite3_bind_int64(st, 1, excess > 64 ? 64 : (int64_t)excess);
	if (cdb_run(c, st) == -1)
		return -1;
	c->nfinished_kept -= (uint64_t)sqlite3_changes(db_handle(c->db));
	return 0;
}

/*
 * Finish task id (it was in status from) as completed, failed or
 * cancelled, with its result (msgpack) or error.
 */
static int
task_finish(struct coord *c, const char *id, enum task_status from,
    enum task_status to, const struct trow *t, const void *result,
    size_t resultlen, const char *error)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_TASK_FINISH);

	cdb_bind_text(st, 1, id);
	sqlite3_bind_int(st, 2, to);
	if (result != NULL)
		sqlite3_bind_blob(st, 3, result, (int)resultlen,
		    SQLITE_STATIC);
	cdb_bind_text(st, 4, error);
	sqlite3_bind_int64(st, 5, coord_now(c));
	sqlite3_bind_int64(st, 6, ++c->chg);
	if (cdb_run(c, st) == -1)
		return -1;
	st = cdb_stmt(c, ST_TOTAL_ADD);
	sqlite3_bind_int(st, 1, to);
	if (cdb_run(c, st) == -1)
		return -1;
	c->ntasks[from]--;
	c->ntasks[to]++;
	c->nfinished_kept++;
	recent_touch(c, id, to, t->worker, t->attempts, result, resultlen,
	    error);
	return prune_finished(c);
}

/*
 * Hand queued task id to worker w (idle, or offline only in tests of the
 * reconciliation): running, attempts + 1, and ProcessTask to it.
 */
static int
task_start(struct coord *c, const char *id, struct cworker *w,
    struct outbox *ob)
{
	struct process_task	 pt;
	sqlite3_stmt		*st = cdb_stmt(c, ST_TASK_START);
	msgpack_packer		*pk;
	char			 addr[ADDR_MAX + 1];
	int64_t			 attempts;
	int			 rc;

	cdb_bind_text(st, 1, id);
	cdb_bind_text(st, 2, w->id);
	sqlite3_bind_int64(st, 3, coord_now(c));
	sqlite3_bind_int64(st, 4, ++c->chg);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		log_warnx("coordinator.db: start task %s: %s", id,
		    rc == SQLITE_DONE ? "not queued" :
		    sqlite3_errmsg(db_handle(c->db)));
		sqlite3_reset(st);
		return -1;
	}
	pt.task_id = id;
	pt.kind = (const char *)sqlite3_column_text(st, 0);
	pt.input = sqlite3_column_blob(st, 1);
	pt.inputlen = (size_t)sqlite3_column_bytes(st, 1);
	attempts = sqlite3_column_int64(st, 2);
	snprintf(addr, sizeof(addr), "worker:%s", w->id);
	pk = outbox_begin(ob, NULL, addr, MSG_PROCESS_TASK, 0);
	msg_process_task_encode(pk, &pt);
	outbox_end(ob);
	sqlite3_reset(st);

	snprintf(w->task, sizeof(w->task), "%s", id);
	worker_set_status(c, w, WORKER_BUSY);
	c->ntasks[TASK_QUEUED]--;
	c->ntasks[TASK_RUNNING]++;
	recent_touch(c, id, TASK_RUNNING, w->id, attempts, NULL, 0, NULL);
	return activity(c, ob, "info", id, w->id, attempts,
	    "task %s assigned to %s", id, w->id);
}

/* Read one (id, qseq) head row; 0 found, 1 none, -1 error. */
static int
head_row(struct coord *c, sqlite3_stmt *st, char *id, size_t size,
    int64_t *seq)
{
	int	 rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		snprintf(id, size, "%s", sqlite3_column_text(st, 0));
		*seq = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	log_warnx("coordinator.db: queue head: %s",
	    sqlite3_errmsg(db_handle(c->db)));
	return -1;
}

/*
 * The task w should run next: the older of the unpinned head and the head
 * of the tasks pinned to w.  Two index probes; 0 found, 1 none, -1 error.
 */
static int
queue_head_for(struct coord *c, const struct cworker *w, char *id,
    size_t size)
{
	sqlite3_stmt	*st;
	char		 pid[NAME_MAX_LEN + 1];
	int64_t		 fseq = 0, pseq = 0;
	int		 fr, pr;

	if (c->ntasks[TASK_QUEUED] == 0)
		return 1;
	if ((fr = head_row(c, cdb_stmt(c, ST_FREE_HEAD), id, size,
	    &fseq)) == -1)
		return -1;
	st = cdb_stmt(c, ST_PIN_HEAD);
	cdb_bind_text(st, 1, w->id);
	if ((pr = head_row(c, st, pid, sizeof(pid), &pseq)) == -1)
		return -1;
	if (pr == 0 && (fr == 1 || pseq < fseq)) {
		snprintf(id, size, "%s", pid);
		return 0;
	}
	return fr;
}

/* w is online and has no task: give it the next one, or make it idle. */
static int
worker_freed(struct coord *c, struct cworker *w, struct outbox *ob)
{
	char	 id[NAME_MAX_LEN + 1];
	int	 r;

	w->task[0] = '\0';
	if ((r = queue_head_for(c, w, id, sizeof(id))) == -1)
		return -1;
	if (r == 0)
		return task_start(c, id, w, ob);
	worker_set_status(c, w, WORKER_IDLE);
	return 0;
}

/*
 * A task just became queued: start it if a worker may take it now.  Idle
 * workers exist only while no queued task fits them, so the task jumps no
 * one: an unpinned one goes to the longest idle worker, a pinned one to
 * its worker if that is idle.  1 started (on *wp), 0 queued, -1 error.
 */
static int
task_offer(struct coord *c, const char *id, const char *pin,
    struct cworker **wp, struct outbox *ob)
{
	struct cworker	*w;

	if (pin != NULL && *pin != '\0')
		w = coord_worker(c, pin);
	else
		w = TAILQ_FIRST(&c->idle);
	if (w == NULL || w->status != WORKER_IDLE)
		return 0;
	if (task_start(c, id, w, ob) == -1)
		return -1;
	if (wp != NULL)
		*wp = w;
	return 1;
}

/*
 * Take running task id off its worker (already detached by the caller):
 * back to the front of the queue, or failed when its worker died and it
 * has run max_attempts times.
 */
static int
task_requeue(struct coord *c, const char *id, int died, struct outbox *ob)
{
	struct trow	 t;
	sqlite3_stmt	*st;
	char		 err[128];
	int		 r;

	if ((r = task_get(c, id, &t)) != 0)
		return r == 1 ? 0 : -1;
	if (t.status != TASK_RUNNING)
		return 0;
	if (died && t.attempts >= c->conf.max_attempts) {
		snprintf(err, sizeof(err), "its worker died %lld times; "
		    "max_attempts is %d", (long long)t.attempts,
		    c->conf.max_attempts);
		if (task_finish(c, id, TASK_RUNNING, TASK_FAILED, &t, NULL, 0,
		    err) == -1)
			return -1;
		return activity(c, ob, "error", id, t.worker, t.attempts,
		    "task %s failed: %s", id, err);
	}
	st = cdb_stmt(c, ST_TASK_REQUEUE);
	cdb_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, c->qhead--);
	sqlite3_bind_int64(st, 3, coord_now(c));
	sqlite3_bind_int64(st, 4, ++c->chg);
	if (cdb_run(c, st) == -1)
		return -1;
	c->ntasks[TASK_RUNNING]--;
	c->ntasks[TASK_QUEUED]++;
	recent_touch(c, id, TASK_QUEUED, NULL, t.attempts, NULL, 0, NULL);
	if (activity(c, ob, "warn", id, t.worker, t.attempts, "task %s "
	    "requeued (%s on %s)", id, died ? "worker died" :
	    "worker unregistered", t.worker) == -1)
		return -1;
	return task_offer(c, id, t.pin, NULL, ob) == -1 ? -1 : 0;
}

/* Record a worker's processed count. */
static int
worker_set_processed(struct coord *c, struct cworker *w, uint64_t n)
{
	sqlite3_stmt	*st;

	if (w->processed == n)
		return 0;
	w->processed = n;
	c->dirty = 1;
	st = cdb_stmt(c, ST_WORKER_PROCESSED);
	cdb_bind_text(st, 1, w->id);
	sqlite3_bind_int64(st, 2, (int64_t)n);
	return cdb_run(c, st);
}

/* Pack obj (NULL: nothing) into sb; the bytes are sb->data, sb->size. */
static void
pack_object(msgpack_sbuffer *sb, const msgpack_object *obj)
{
	msgpack_packer	 pk;

	msgpack_sbuffer_init(sb);
	if (obj == NULL)
		return;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_object(&pk, *obj);
}

/*
 * The outcome of running task id on w: completed with result or failed
 * with error.  w is left without a task; the caller frees it.
 */
static int
task_outcome(struct coord *c, struct cworker *w, const char *id,
    int failed, const msgpack_object *result, const char *error,
    struct outbox *ob)
{
	msgpack_sbuffer	 sb;
	struct trow	 t;
	int		 r;

	w->task[0] = '\0';
	if ((r = task_get(c, id, &t)) != 0)
		return r == 1 ? 0 : -1;
	if (t.status != TASK_RUNNING)
		return 0;
	pack_object(&sb, result);
	r = task_finish(c, id, TASK_RUNNING, failed ? TASK_FAILED :
	    TASK_COMPLETED, &t, sb.size ? sb.data : NULL, sb.size,
	    failed ? error : NULL);
	msgpack_sbuffer_destroy(&sb);
	if (r == -1)
		return -1;
	if (failed)
		return activity(c, ob, "warn", id, w->id, t.attempts,
		    "task %s failed on %s: %s", id, w->id, error);
	return activity(c, ob, "info", id, w->id, t.attempts,
	    "task %s completed by %s", id, w->id);
}

/* RegisterWorker {workerId}: idempotent. */
static int
cmd_register(struct coord *c, const struct envelope *env, struct outbox *ob)
{
	struct cworker	*w;
	sqlite3_stmt	*st;
	msgpack_packer	*pk;
	enum err_code	 code;
	char		 id[NAME_MAX_LEN + 1], why[256];

	if (msg_worker_id_decode(env->payload, id, sizeof(id), &code, why,
	    sizeof(why)) == -1) {
		reply_error(env, ob, code, "%s", why);
		return 0;
	}
	if ((w = coord_worker(c, id)) == NULL) {
		st = cdb_stmt(c, ST_WORKER_INSERT);
		cdb_bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, coord_now(c));
		if (cdb_run(c, st) == -1)
			return -1;
		w = worker_add(c, id, 0);
		if (activity(c, ob, "info", NULL, id, -1,
		    "worker %s registered", id) == -1)
			return -1;
	}
	if (w->status == WORKER_OFFLINE)
		to_worker(ob, id, MSG_START_WORKER, NULL);
	pk = outbox_begin(ob, NULL, env->from, MSG_WORKER_REGISTERED, 1);
	msg_worker_id_encode(pk, id);
	outbox_end(ob);
	return 0;
}

/* UnregisterWorker {workerId}: its running task goes back to the queue. */
static int
cmd_unregister(struct coord *c, const struct envelope *env,
    struct outbox *ob)
{
	struct cworker	*w;
	sqlite3_stmt	*st;
	msgpack_packer	*pk;
	enum err_code	 code;
	char		 id[NAME_MAX_LEN + 1], task[NAME_MAX_LEN + 1];
	char		 why[256];

	if (msg_worker_id_decode(env->payload, id, sizeof(id), &code, why,
	    sizeof(why)) == -1) {
		reply_error(env, ob, code, "%s", why);
		return 0;
	}
	if ((w = coord_worker(c, id)) == NULL) {
		reply_error(env, ob, ERR_UNKNOWN_ACTOR, "Unknown worker: %s",
		    id);
		return 0;
	}
	snprintf(task, sizeof(task), "%s", w->task);
	worker_remove(c, w);
	st = cdb_stmt(c, ST_WORKER_DELETE);
	cdb_bind_text(st, 1, id);
	if (cdb_run(c, st) == -1)
		return -1;
	to_worker(ob, id, MSG_STOP_WORKER, NULL);
	if (activity(c, ob, "info", NULL, id, -1, "worker %s unregistered",
	    id) == -1)
		return -1;
	if (task[0] != '\0' && task_requeue(c, task, 0, ob) == -1)
		return -1;
	pk = outbox_begin(ob, NULL, env->from, MSG_WORKER_UNREGISTERED, 1);
	msg_worker_id_encode(pk, id);
	outbox_end(ob);
	return 0;
}

/* AssignTask {taskId?, kind?, input?, workerId?}. */
static int
cmd_assign(struct coord *c, const struct envelope *env, struct outbox *ob)
{
	struct assign_task	 m;
	struct task_accepted	 acc;
	struct cworker		*w = NULL, *ran = NULL;
	struct trow		 t;
	msgpack_sbuffer		 sb;
	msgpack_packer		 ipk, *pk;
	sqlite3_stmt		*st;
	enum err_code		 code;
	char			 why[256], gen[40];
	const char		*id, *kind;
	int			 r, rc = -1;

	if (msg_assign_task_decode(env->payload, &m, &code, why,
	    sizeof(why)) == -1) {
		reply_error(env, ob, code, "%s", why);
		return 0;
	}
	if (m.task_id[0] == '\0') {
		env_new_id(gen, sizeof(gen));
		snprintf(m.task_id, sizeof(m.task_id), "t%s", gen);
	} else if ((r = task_get(c, m.task_id, &t)) != 1) {
		if (r == -1)
			return -1;
		reply_error(env, ob, ERR_BAD_PAYLOAD, "'taskId' %s already "
		    "exists (%s)", m.task_id, task_status_name(t.status));
		return 0;
	}
	if (m.worker_id[0] != '\0' &&
	    (w = coord_worker(c, m.worker_id)) == NULL) {
		reply_error(env, ob, ERR_UNKNOWN_ACTOR, "Unknown worker: %s",
		    m.worker_id);
		return 0;
	}
	id = m.task_id;
	kind = m.kind[0] != '\0' ? m.kind : "sleep";

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&ipk, &sb, msgpack_sbuffer_write);
	if (m.input != NULL)
		msgpack_pack_object(&ipk, *m.input);
	else if (m.kind[0] == '\0') {
		msgpack_pack_map(&ipk, 1);
		mp_pack_str(&ipk, "ms");
		msgpack_pack_uint32(&ipk, 1000);
	}
	st = cdb_stmt(c, ST_TASK_INSERT);
	cdb_bind_text(st, 1, id);
	cdb_bind_text(st, 2, kind);
	if (sb.size > 0)
		sqlite3_bind_blob(st, 3, sb.data, (int)sb.size,
		    SQLITE_STATIC);
	cdb_bind_text(st, 4, m.worker_id);
	sqlite3_bind_int64(st, 5, c->qtail++);
	sqlite3_bind_int64(st, 6, coord_now(c));
	sqlite3_bind_int64(st, 7, ++c->chg);
	if (cdb_run(c, st) == -1)
		goto out;
	c->ntasks[TASK_QUEUED]++;
	recent_touch(c, id, TASK_QUEUED, NULL, 0, NULL, 0, NULL);
	if ((r = task_offer(c, id, m.worker_id, &ran, ob)) == -1)
		goto out;

	memset(&acc, 0, sizeof(acc));
	acc.task_id = id;
	if (r == 1) {
		acc.status = "assigned";
		acc.worker_id = ran->id;
	} else {
		acc.status = "queued";
		acc.worker_id = w != NULL ? w->id : NULL;
		acc.position = c->ntasks[TASK_QUEUED];
	}
	pk = outbox_begin(ob, NULL, env->from, MSG_TASK_ACCEPTED, 1);
	msg_task_accepted_encode(pk, &acc);
	outbox_end(ob);
	rc = 0;
out:
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/* CancelTask {taskId}: queued or running. */
static int
cmd_cancel(struct coord *c, const struct envelope *env, struct outbox *ob)
{
	struct cworker	*w;
	struct trow	 t;
	msgpack_packer	*pk;
	enum err_code	 code;
	char		 id[NAME_MAX_LEN + 1], why[256];
	int		 r;

	if (msg_task_id_decode(env->payload, id, sizeof(id), &code, why,
	    sizeof(why)) == -1) {
		reply_error(env, ob, code, "%s", why);
		return 0;
	}
	if ((r = task_get(c, id, &t)) == -1)
		return -1;
	if (r == 1) {
		reply_error(env, ob, ERR_BAD_PAYLOAD, "Unknown task: %s", id);
		return 0;
	}
	switch (t.status) {
	case TASK_QUEUED:
		if (task_finish(c, id, TASK_QUEUED, TASK_CANCELLED, &t, NULL, 0,
		    NULL) == -1)
			return -1;
		if (activity(c, ob, "info", id, NULL, t.attempts,
		    "task %s cancelled while queued", id) == -1)
			return -1;
		break;
	case TASK_RUNNING:
		if (task_finish(c, id, TASK_RUNNING, TASK_CANCELLED, &t, NULL,
		    0, NULL) == -1)
			return -1;
		if (activity(c, ob, "info", id, t.worker, t.attempts,
		    "task %s cancelled while running on %s", id,
		    t.worker) == -1)
			return -1;
		w = coord_worker(c, t.worker);
		if (w != NULL && strcmp(w->task, id) == 0) {
			to_worker(ob, w->id, MSG_ABORT_TASK, id);
			w->task[0] = '\0';
			if (w->status == WORKER_BUSY &&
			    worker_freed(c, w, ob) == -1)
				return -1;
		}
		break;
	case TASK_CANCELLED:
		break;
	default:
		reply_error(env, ob, ERR_BAD_PAYLOAD, "Task %s already %s", id,
		    task_status_name(t.status));
		return 0;
	}
	pk = outbox_begin(ob, NULL, env->from, MSG_TASK_CANCELLED, 1);
	msg_task_id_encode(pk, id);
	outbox_end(ob);
	return 0;
}

/*
 * Delete expired dedupe rows, oldest first: at most PRUNE_MAX every
 * PRUNE_EVERY commands, more than the one row each command adds, so the
 * table stays at what the window holds and no message pays for a backlog.
 * The oldest row is looked at first, so that the usual case, nothing
 * expired yet, costs one probe per PRUNE_EVERY commands.  After the clock
 * went back a newer row may expire before the oldest, and waits for it:
 * the lookup ignores it meanwhile.
 */
static int
dedupe_prune(struct coord *c, int64_t since)
{
	sqlite3_stmt	*st;
	int		 rc, expired;

	if (++c->prune_pace < PRUNE_EVERY)
		return 0;
	c->prune_pace = 0;
	st = cdb_stmt(c, ST_DEDUPE_OLDEST);
	rc = sqlite3_step(st);
	expired = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) < since;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("coordinator.db: oldest dedupe row: %s",
		    sqlite3_errmsg(db_handle(c->db)));
		return -1;
	}
	if (!expired)
		return 0;
	st = cdb_stmt(c, ST_DEDUPE_PRUNE);
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int(st, 2, PRUNE_MAX);
	return cdb_run(c, st);
}

/*
 * A command: applied once per (sender, message id) within the dedupe
 * window.  A retry gets the reply the first one got, byte for byte, and
 * changes nothing.
 */
static int
command(struct coord *c, const struct envelope *env, struct outbox *ob,
    int (*fn)(struct coord *, const struct envelope *, struct outbox *))
{
	sqlite3_stmt	*st;
	struct outmsg	*m;
	enum msg_type	 type;
	const char	*name;
	size_t		 first = ob->n, i;
	int64_t		 now = coord_now(c);
	int64_t		 since = now - (int64_t)c->conf.dedupe_window_s * 1000;
	int		 rc;

	if (c->conf.dedupe_window_s > 0 && env->id[0] != '\0') {
		st = cdb_stmt(c, ST_DEDUPE_GET);
		cdb_bind_text(st, 1, env->from);
		cdb_bind_text(st, 2, env->id);
		sqlite3_bind_int64(st, 3, since);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			name = (const char *)sqlite3_column_text(st, 0);
			type = msg_lookup(name, strlen(name));
			if (type != MSG_UNKNOWN) {
				outbox_add_raw(ob, NULL, env->from, type, 1,
				    sqlite3_column_blob(st, 1),
				    (size_t)sqlite3_column_bytes(st, 1));
				sqlite3_reset(st);
				log_debug("%s from %s: id %s seen; same reply",
				    msg_name(env->type), env->from, env->id);
				return 0;
			}
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return -1;
	}
	if (db_begin(c->db) == -1)
		return -1;
	if (fn(c, env, ob) == -1)
		return -1;
	if (c->conf.dedupe_window_s <= 0 || env->id[0] == '\0')
		return 0;
	for (i = first; i < ob->n; i++) {
		m = &ob->v[i];
		if (!m->reply)
			continue;
		st = cdb_stmt(c, ST_DEDUPE_PUT);
		cdb_bind_text(st, 1, env->from);
		cdb_bind_text(st, 2, env->id);
		sqlite3_bind_int64(st, 3, now);
		cdb_bind_text(st, 4, msg_name(m->type));
		sqlite3_bind_blob(st, 5, outbox_payload(ob, i), (int)m->len,
		    SQLITE_STATIC);
		if (cdb_run(c, st) == -1)
			return -1;
		break;
	}
	return dedupe_prune(c, since);
}

/* TaskStarted, TaskCompleted, TaskFailed from the worker process. */
static int
task_report(struct coord *c, const struct envelope *env, struct outbox *ob)
{
	struct task_report	 m;
	struct cworker		*w;
	enum err_code		 code;
	char			 why[256];
	int			 failed = env->type == MSG_TASK_FAILED;

	if (msg_task_report_decode(env->type, env->payload, &m, &code, why,
	    sizeof(why)) == -1) {
		log_warnx("%s from %s: %s; dropped", msg_name(env->type),
		    env->from, why);
		return 0;
	}
	w = coord_worker(c, m.worker_id);
	if (w == NULL || strcmp(w->task, m.task_id) != 0) {
		log_debug("%s %s from %s: not its task (now); ignored",
		    msg_name(env->type), m.task_id, m.worker_id);
		/* It runs something it should not: stop that. */
		if (w != NULL && env->type == MSG_TASK_STARTED)
			to_worker(ob, w->id, MSG_ABORT_TASK, m.task_id);
		return 0;
	}
	if (env->type == MSG_TASK_STARTED)
		return 0;
	if (db_begin(c->db) == -1)
		return -1;
	if (task_outcome(c, w, m.task_id, failed, m.result, m.error,
	    ob) == -1)
		return -1;
	if (worker_set_processed(c, w, m.has_processed ? m.processed :
	    w->processed + 1) == -1)
		return -1;
	if (w->status == WORKER_BUSY)
		return worker_freed(c, w, ob);
	return 0;
}

/*
 * A worker's announcement, the WorkerState its process pushes when it
 * (re)creates the worker.  Only an offline worker listens: it compares its
 * own idea of the worker's task with the report, settles the difference,
 * and comes online.
 *
 *	we think t runs, it runs t		busy with t
 *	we think t runs, its last outcome is t	take that outcome
 *	we think t runs, it does not		t's run died: requeue
 *	it runs u we do not know of		AbortTask u
 *	we do not know the worker		StopWorker
 */
static int
worker_report(struct coord *c, const struct envelope *env,
    struct outbox *ob)
{
	struct worker_report	 m;
	struct cworker		*w;
	enum err_code		 code;
	char			 why[256], task[NAME_MAX_LEN + 1];
	int			 failed;

	if (msg_worker_report_decode(env->payload, &m, &code, why,
	    sizeof(why)) == -1) {
		log_warnx("WorkerState from %s: %s; dropped", env->from, why);
		return 0;
	}
	if (strncmp(env->from, "worker:", 7) != 0 ||
	    strcmp(env->from + 7, m.worker_id) != 0) {
		log_warnx("WorkerState for %s from %s; dropped", m.worker_id,
		    env->from);
		return 0;
	}
	if ((w = coord_worker(c, m.worker_id)) == NULL) {
		to_worker(ob, m.worker_id, MSG_STOP_WORKER, NULL);
		return 0;
	}
	if (w->status != WORKER_OFFLINE)
		return 0;
	if (db_begin(c->db) == -1)
		return -1;
	if (worker_set_processed(c, w, m.processed) == -1)
		return -1;
	if (w->task[0] != '\0') {
		if (strcmp(m.current, w->task) == 0) {
			worker_set_status(c, w, WORKER_BUSY);
			return 0;
		}
		snprintf(task, sizeof(task), "%s", w->task);
		failed = strcmp(m.last_status, "failed") == 0;
		if (strcmp(m.last_task, task) == 0 &&
		    (failed || strcmp(m.last_status, "completed") == 0)) {
			if (task_outcome(c, w, task, failed, m.last_result,
			    m.last_error[0] ? m.last_error : "failed",
			    ob) == -1)
				return -1;
		} else {
			w->task[0] = '\0';
			if (task_requeue(c, task, 1, ob) == -1)
				return -1;
		}
	}
	if (m.current[0] != '\0')
		to_worker(ob, w->id, MSG_ABORT_TASK, m.current);
	return worker_freed(c, w, ob);
}

/*
 * One message for coordinator:main: commands, queries, the worker process's
 * reports.
 */
int
coord_handle(struct coord *c, const struct envelope *env, struct outbox *ob)
{
	msgpack_packer	*pk;

	switch (env->type) {
	case MSG_REGISTER_WORKER:
		return command(c, env, ob, cmd_register);
	case MSG_UNREGISTER_WORKER:
		return command(c, env, ob, cmd_unregister);
	case MSG_ASSIGN_TASK:
		return command(c, env, ob, cmd_assign);
	case MSG_CANCEL_TASK:
		return command(c, env, ob, cmd_cancel);
	case MSG_GET_STATUS:
		pk = outbox_begin(ob, NULL, env->from, MSG_STATUS_UPDATED, 1);
		if (coord_pack_status(c, pk) == -1)
			return -1;
		outbox_end(ob);
		return 0;
	case MSG_TASK_STARTED:
	case MSG_TASK_COMPLETED:
	case MSG_TASK_FAILED:
		return task_report(c, env, ob);
	case MSG_WORKER_STATE:
		return worker_report(c, env, ob);
	case MSG_LOG_EVENT_ACK:
		return events_ack(c, env, ob);
	case MSG_ERROR:
		log_debug("Error from %s (replyTo %s); ignored", env->from,
		    env->reply_to);
		return 0;
	default:
		if (msg_info(env->type) != NULL &&
		    msg_info(env->type)->who == MSG_WHO_SERVER)
			return 0;
		reply_error(env, ob, ERR_UNKNOWN_TYPE,
		    "Unknown message type for coordinator: %s",
		    msg_name(env->type));
		return 0;
	}
}

/*
 * The worker process went away: every worker offline.  Their running
 * tasks stay theirs until each worker's announcement, when the process is
 * back, says what became of them (worker_report): a task the worker
 * finished and recorded before dying is then taken as finished instead of
 * being run again, and one that died with the process is requeued there.
 * Every worker lives in that one process, so requeueing now would gain
 * nothing: no other worker could take the task meanwhile.
 */
int
coord_workers_down(struct coord *c, struct outbox *ob)
{
	struct cworker	*w;
	size_t		 ntasks = 0, nworkers = 0;

	if (db_begin(c->db) == -1)
		return -1;
	TAILQ_FOREACH(w, &c->all, entry) {
		if (w->status != WORKER_OFFLINE)
			nworkers++;
		if (w->task[0] != '\0')
			ntasks++;
		worker_set_status(c, w, WORKER_OFFLINE);
	}
	if (nworkers > 0 || ntasks > 0)
		return activity(c, ob, "warn", NULL, NULL, -1, "worker "
		    "process went away: %zu workers offline, %zu running "
		    "tasks wait for their outcome", nworkers, ntasks);
	return 0;
}

/* StartWorker to every offline worker: each answers with its announcement. */
int
coord_workers_up(struct coord *c, struct outbox *ob)
{
	struct cworker	*w;

	TAILQ_FOREACH(w, &c->all, entry)
		if (w->status == WORKER_OFFLINE)
			to_worker(ob, w->id, MSG_START_WORKER, NULL);
	return 0;
}

/*
 * At start every worker is offline: ask the worker process for each.  And
 * the event log's place is unknown: probe it with the oldest event kept
 * (what loading queued went nowhere).
 */
int
coord_start(struct coord *c, struct outbox *ob)
{
	coord_events_down(c);
	if (coord_events_up(c, ob) == -1)
		return -1;
	return coord_workers_up(c, ob);
}

/*
 * Load the registry and the running tasks.  A running task whose worker
 * is not registered (it cannot happen, but a database is edited by hand
 * sometimes) goes to *orphans, to be requeued once the queue is loaded.
 */
static int
load_workers(struct coord *c, char ***orphans, size_t *norphans)
{
	struct cworker	*w;
	sqlite3_stmt	*st;
	const char	*id, *wid;
	int		 rc;

	if ((st = db_prepare(c->db, "SELECT id, processed FROM workers "
	    "ORDER BY rowid")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		worker_add(c, (const char *)sqlite3_column_text(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;

	if ((st = db_prepare(c->db, "SELECT id, worker FROM tasks "
	    "WHERE status = 1")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		wid = (const char *)sqlite3_column_text(st, 1);
		c->ntasks[TASK_RUNNING]++;
		w = wid != NULL ? coord_worker(c, wid) : NULL;
		if (w != NULL && w->task[0] == '\0')
			snprintf(w->task, sizeof(w->task), "%s", id);
		else {
			*orphans = xreallocarray(*orphans, *norphans + 1,
			    sizeof(**orphans));
			(*orphans)[(*norphans)++] = xstrdup(id);
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Rebuild the in-memory indexes from the database. */
static int
coord_load(struct coord *c)
{
	struct outbox	 ob;
	sqlite3_stmt	*st;
	char		**orphans = NULL;
	size_t		 norphans = 0, i;
	int64_t		 v;
	int		 rc, ret = -1;

	outbox_init(&ob);
	if (events_load(c) == -1 ||
	    load_workers(c, &orphans, &norphans) == -1)
		goto out;
	if (db_query_int(c->db, "SELECT (SELECT count(*) FROM tasks WHERE "
	    "status = 0 AND pin IS NULL) + (SELECT count(*) FROM tasks WHERE "
	    "status = 0 AND pin IS NOT NULL)", &v) == -1)
		goto out;
	c->ntasks[TASK_QUEUED] = (uint64_t)v;
	if ((st = db_prepare(c->db, "SELECT status, n FROM totals")) == NULL)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		if (v >= TASK_COMPLETED && v < TASK_NSTATUS)
			c->ntasks[v] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto out;
	if (db_query_int(c->db, "SELECT count(*) FROM tasks WHERE status >= 2",
	    &v) == -1)
		goto out;
	c->nfinished_kept = (uint64_t)v;
	if (db_query_int(c->db, "SELECT min(q) FROM (SELECT (SELECT qseq FROM "
	    "tasks WHERE status = 0 AND pin IS NULL ORDER BY qseq LIMIT 1) "
	    "AS q UNION ALL SELECT (SELECT qseq FROM tasks WHERE status = 0 "
	    "AND pin IS NOT NULL ORDER BY qseq LIMIT 1))", &v) == -1)
		goto out;
	c->qhead = v - 1;
	if (db_query_int(c->db, "SELECT max(q) FROM (SELECT (SELECT qseq FROM "
	    "tasks WHERE status = 0 AND pin IS NULL ORDER BY qseq DESC LIMIT "
	    "1) AS q UNION ALL SELECT (SELECT qseq FROM tasks WHERE status = "
	    "0 AND pin IS NOT NULL ORDER BY qseq DESC LIMIT 1))", &v) == -1)
		goto out;
	c->qtail = v + 1;
	if (recent_last_chg(c, &c->chg) == -1 || recent_load(c) == -1)
		goto out;
	for (i = 0; i < norphans; i++) {
		log_warnx("task %s runs on no registered worker; requeued",
		    orphans[i]);
		if (db_begin(c->db) == -1 ||
		    task_requeue(c, orphans[i], 0, &ob) == -1)
			goto out;
	}
	c->dirty = 1;
	ret = 0;
out:
	for (i = 0; i < norphans; i++)
		free(orphans[i]);
	free(orphans);
	outbox_free(&ob);
	return ret;
}

/* Open coordinator.db (refusing a bad one) and rebuild the indexes from it. */
struct coord *
coord_open(const char *path, const struct coord_conf *conf)
{
	struct coord	*c = xcalloc(1, sizeof(*c));

	c->conf = *conf;
	c->workers = strmap_new();
	c->recent_map = strmap_new();
	TAILQ_INIT(&c->all);
	TAILQ_INIT(&c->idle);
	TAILQ_INIT(&c->recent);
	if ((c->db = cdb_open(path, conf->synchronous)) == NULL)
		goto fail;
	if (cdb_prepare(c) == -1 || coord_load(c) == -1)
		goto fail;
	if (db_commit(c->db) == -1)
		goto fail;
	return c;
fail:
	log_warnx("%s: cannot use the coordinator's database", path);
	coord_close(c);
	return NULL;
}

/* Commit, close the database, free the indexes. */
void
coord_close(struct coord *c)
{
	struct cworker	*w;

	if (c == NULL)
		return;
	if (c->db != NULL)
		db_commit(c->db);
	cdb_finalize(c);
	db_close(c->db);
	events_free(c);
	while ((w = TAILQ_FIRST(&c->all)) != NULL) {
		TAILQ_REMOVE(&c->all, w, entry);
		free(w);
	}
	recent_clear(c);
	strmap_free(c->workers);
	strmap_free(c->recent_map);
	free(c);
}

/* New settings (SIGHUP); the recent list follows a new length. */
void
coord_reconf(struct coord *c, const struct coord_conf *conf)
{
	int	 old_recent = c->conf.recent_tasks;

	c->conf = *conf;
	if (conf->recent_tasks != old_recent) {
		recent_clear(c);
		if (recent_load(c) == -1)
			log_warnx("reload: cannot reload the recent tasks");
	}
	c->dirty = 1;
}
