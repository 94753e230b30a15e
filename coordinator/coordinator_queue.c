/*
 * The coordinator's state: tasks and workers moving on.  Every function
 * changes the database (inside the loop turn's transaction, which the
 * runtime commits before anything of the turn is sent) and the in-memory
 * indexes, and appends what must be sent to an outbox.  The handlers
 * (coordinator_tasks.c, coordinator_workers.c) are built on these.
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
int
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

/* Queue a message {workerId} (task NULL) or {taskId} for worker:<worker>. */
void
to_worker(struct outbox *ob, const char *worker, enum msg_type type,
    const char *task)
{
	struct msg_worker_id	 wm;
	struct msg_task_id	 tm;
	char			 addr[ADDR_MAX + 1];

	snprintf(addr, sizeof(addr), "worker:%s", worker);
	if (task != NULL) {
		snprintf(tm.task_id, sizeof(tm.task_id), "%s", task);
		outbox_put(ob, NULL, addr, type, 0, &tm);
	} else {
		snprintf(wm.worker_id, sizeof(wm.worker_id), "%s", worker);
		outbox_put(ob, NULL, addr, type, 0, &wm);
	}
}

/* Move w to status s, keeping the idle list and the counts. */
void
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
struct cworker *
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
void
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
int
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
int
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
	struct msg_process_task	 pt;
	sqlite3_stmt		*st = cdb_stmt(c, ST_TASK_START);
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
	memset(&pt, 0, sizeof(pt));
	snprintf(pt.task_id, sizeof(pt.task_id), "%s", id);
	snprintf(pt.kind, sizeof(pt.kind), "%s",
	    (const char *)sqlite3_column_text(st, 0));
	pt.input.raw = sqlite3_column_blob(st, 1);
	pt.input.len = (size_t)sqlite3_column_bytes(st, 1);
	attempts = sqlite3_column_int64(st, 2);
	snprintf(addr, sizeof(addr), "worker:%s", w->id);
	outbox_msg(ob, NULL, addr, MSG_PROCESS_TASK, 0, &pt);
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
int
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
int
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
int
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
int
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

/* Pack v (nothing when not set) into sb: the bytes are sb->data, size. */
static void
pack_any(msgpack_sbuffer *sb, const struct mp_any *v)
{
	msgpack_packer	 pk;

	msgpack_sbuffer_init(sb);
	if (v == NULL || (v->obj == NULL && v->raw == NULL))
		return;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	mp_pack_any(&pk, v);
}

/*
 * The outcome of running task id on w: completed with result or failed
 * with error.  w is left without a task; the caller frees it.
 */
int
task_outcome(struct coord *c, struct cworker *w, const char *id,
    int failed, const struct mp_any *result, const char *error,
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
	pack_any(&sb, result);
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

