/*
 * The coordinator's state: tasks and workers moving on.  Every function
 * changes the database (inside the loop turn's transaction, which the
 * runtime commits before anything of the turn is sent) and the in-memory
 * indexes, and appends what must be sent to an outbox.  The handlers
 * (coordinator_tasks.c, coordinator_workers.c) are built on these.
 *
 * Task life:
 *
 *	scheduled --(its time)--> queued --(a worker)--> running
 *	running --> completed | failed | retrying (a run failed, and its
 *		    policy allows another: waits out the backoff) | queued
 *		    (at the front: its worker went away, no policy)
 *	retrying --(its time)--> queued
 *	any but finished --> cancelled;  failed | cancelled --> queued
 *		    (RetryTask: attempts go on)
 *
 * attempts counts the runs; runs keeps each run's outcome.  A task
 * without a retry policy (its own or its kind's) fails at once when it
 * fails, and is run again at the front of its queue when its worker dies,
 * up to max_attempts runs, as before policies existed.
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
#include "kinds.h"
#include "db.h"
#include "log.h"
#include "strmap.h"
#include "xmalloc.h"

#define PRUNE_STEP	64	/* finished rows pruned in one go */

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
to_worker(struct outbox *ob, const char *worker, const char *host,
    enum msg_type type, const char *task)
{
	struct msg_worker_id	 wm;
	struct msg_task_id	 tm;
	char			 addr[ADDR_MAX + 1];

	if (host[0] != '\0')
		snprintf(addr, sizeof(addr), "worker:%s@%s", worker, host);
	else
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
void
worker_address(const struct coord *c, const char *id, char *buf,
    size_t size)
{
	const struct cworker	*w = coord_worker(c, id);

	if (w != NULL && w->host[0] != '\0')
		snprintf(buf, size, "worker:%s@%s", id, w->host);
	else
		snprintf(buf, size, "worker:%s", id);
}

struct cworker *
worker_add(struct coord *c, const char *id, const char *host,
    uint64_t processed)
{
	struct cworker	*w = xcalloc(1, sizeof(*w));

	snprintf(w->id, sizeof(w->id), "%s", id);
	snprintf(w->host, sizeof(w->host), "%s", host);
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

/* The next change number (meta keeps the last, see coord_save_chg()). */
int64_t
coord_chg(struct coord *c)
{
	return ++c->chg;
}

/*
 * The last change number into meta, once per transaction, last before
 * its commit (the database's commit hook): a restart goes on from there
 * without an index on chg to find it.
 */
int
coord_save_chg(void *arg)
{
	struct coord	*c = arg;
	sqlite3_stmt	*st;

	if (cmet_save(c) == -1)
		return -1;
	if (c->chg == c->chg_saved)
		return 0;
	st = cdb_stmt(c, ST_CHG_SET);
	sqlite3_bind_int64(st, 1, c->chg);
	if (cdb_run(c, st) == -1)
		return -1;
	if (sqlite3_changes(db_handle(c->db)) == 0) {
		/* No row (it was deleted by hand): make it. */
		st = cdb_stmt(c, ST_CHG_ADD);
		sqlite3_bind_int64(st, 1, c->chg);
		if (cdb_run(c, st) == -1)
			return -1;
	}
	c->chg_saved = c->chg;
	return 0;
}

/* A task's policy: its own (stored packed), else its kind's. */
static void
task_policy(struct coord *c, sqlite3_stmt *st, int col, struct trow *t)
{
	const struct kind_conf	*k;
	char			 why[128];

	if (sqlite3_column_type(st, col) == SQLITE_BLOB &&
	    msg_decode_bytes(&msg_shape_retry, sqlite3_column_blob(st, col),
	    (size_t)sqlite3_column_bytes(st, col), &t->retry, why,
	    sizeof(why)) == 0) {
		t->has_retry = true;
		return;
	}
	if ((k = kind_find(c->conf.cfg, t->kind)) != NULL &&
	    k->retry.has_max_attempts) {
		t->retry = k->retry;
		t->has_retry = true;
	}
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
		snprintf(t->queue, sizeof(t->queue), "%s",
		    (const char *)sqlite3_column_text(st, 4));
		snprintf(t->kind, sizeof(t->kind), "%s",
		    (const char *)sqlite3_column_text(st, 5));
		task_policy(c, st, 6, t);
		t->timeout_ms = sqlite3_column_int64(st, 7);
		t->run_at = sqlite3_column_int64(st, 8);
		t->created = sqlite3_column_int64(st, 9);
		t->started = sqlite3_column_int64(st, 10);
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

/*
 * The task a request from env names: 0 found (*t), 1 not found with the
 * Error not_found queued, -1 error.
 */
int
task_find(struct coord *c, const struct envelope *env, const char *id,
    struct trow *t, struct outbox *ob)
{
	int	 r;

	if ((r = task_get(c, id, t)) == 1)
		outbox_error(ob, env, ERR_NOT_FOUND, "Unknown task: %s", id);
	return r;
}

/*
 * Move a task's count from one status to another (TASK_NEW: a new task),
 * in memory: the task counts and its queue's.  Finished statuses count
 * every task ever (totals), so nothing leaves them.
 */
void
task_count(struct coord *c, const struct trow *t, enum task_status from,
    enum task_status to)
{
	struct cqueue	*q = queue_get(c, t->queue);
	struct cworker	*w;

	cmet_transition(c, t, from, to);
	if (from != TASK_NEW && !TASK_FINISHED(from))
		c->ntasks[from]--;
	c->ntasks[to]++;
	if (q != NULL) {
		if (from == TASK_QUEUED)
			q->queued--;
		else if (from == TASK_RUNNING) {
			if (q->concurrency > 0 &&
			    q->running == q->concurrency)
				c->redispatch = 1;	/* a slot opened */
			q->running--;
		} else if (TASK_WAITING(from))
			q->waiting--;
		if (to == TASK_QUEUED)
			q->queued++;
		else if (to == TASK_RUNNING)
			q->running++;
		else if (TASK_WAITING(to))
			q->waiting++;
	}
	if (t->pin[0] != '\0' && (w = coord_worker(c, t->pin)) != NULL) {
		if (from == TASK_QUEUED)
			w->pinned--;
		if (to == TASK_QUEUED)
			w->pinned++;
	}
	c->dirty = 1;
}

/*
 * Delete the oldest finished rows beyond finished_tasks, or older than
 * finished_max_age_s, PRUNE_STEP at a time: called after each finish and
 * by the timer, so that no turn pays for a backlog.
 */
int
prune_finished(struct coord *c)
{
	sqlite3_stmt	*st;
	uint64_t	 n = 0;
	int64_t		 before = INT64_MAX;

	if (c->conf.finished_tasks > 0 &&
	    c->nfinished_kept > (uint64_t)c->conf.finished_tasks)
		n = c->nfinished_kept - (uint64_t)c->conf.finished_tasks;
	if (c->conf.finished_max_age_s > 0 && c->nfinished_kept > 0 &&
	    n == 0) {
		n = c->nfinished_kept;
		before = coord_now(c) -
		    (int64_t)c->conf.finished_max_age_s * 1000;
	}
	if (n == 0)
		return 0;
	if (db_begin(c->db) == -1)
		return -1;
	st = cdb_stmt(c, ST_DONE_PRUNE);
	sqlite3_bind_int64(st, 1, n > PRUNE_STEP ? PRUNE_STEP : (int64_t)n);
	sqlite3_bind_int64(st, 2, before);
	if (cdb_run(c, st) == -1)
		return -1;
	c->nfinished_kept -= (uint64_t)sqlite3_changes(db_handle(c->db));
	return 0;
}

/* The end of run attempt of task id: its row in runs. */
static int
run_end(struct coord *c, const char *id, int64_t attempt,
    enum task_status status, const char *error)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_RUN_END);

	cdb_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, attempt);
	sqlite3_bind_int64(st, 3, coord_now(c));
	sqlite3_bind_int(st, 4, status);
	cdb_bind_text(st, 5, error);
	return cdb_run(c, st);
}

/*
 * Finish task id (it was in status t->status) as completed, failed or
 * cancelled, with its result (msgpack), error and its code; its watchers
 * get TaskFinished.
 */
int
task_finish(struct coord *c, const char *id, enum task_status to,
    const struct trow *t, const void *result, size_t resultlen,
    const char *error, const char *code, struct outbox *ob)
{
	struct msg_task_finished	 m;
	sqlite3_stmt			*st = cdb_stmt(c, ST_TASK_FINISH);

	cdb_bind_text(st, 1, id);
	sqlite3_bind_int(st, 2, to);
	if (result != NULL)
		sqlite3_bind_blob(st, 3, result, (int)resultlen,
		    SQLITE_STATIC);
	cdb_bind_text(st, 4, error);
	sqlite3_bind_int64(st, 5, coord_now(c));
	sqlite3_bind_int64(st, 6, coord_chg(c));
	cdb_bind_text(st, 7, code);
	if (cdb_run(c, st) == -1)
		return -1;
	st = cdb_stmt(c, ST_TOTAL_ADD);
	sqlite3_bind_int(st, 1, to);
	if (cdb_run(c, st) == -1)
		return -1;
	if (t->status == TASK_RUNNING && run_end(c, id, t->attempts, to,
	    error) == -1)
		return -1;
	task_count(c, t, t->status, to);
	c->nfinished_kept++;
	recent_touch(c, id, to, t->worker, t->attempts, result, resultlen,
	    error);
	memset(&m, 0, sizeof(m));
	snprintf(m.task_id, sizeof(m.task_id), "%s", id);
	snprintf(m.status, sizeof(m.status), "%s", task_status_name(to));
	m.result.raw = result;
	m.result.len = resultlen;
	if (error != NULL)
		snprintf(m.error, sizeof(m.error), "%s", error);
	if (code != NULL)
		snprintf(m.code, sizeof(m.code), "%s", code);
	m.attempts = (uint64_t)t->attempts;
	if (watch_finished(c, &m, ob) == -1)
		return -1;
	return prune_finished(c);
}

/*
 * Hand queued task id to worker w (idle, or offline only in tests of the
 * reconciliation): running, attempts + 1, a run begun, and ProcessTask
 * to it (streaming its output when someone watches).
 */
static int
task_start(struct coord *c, const char *id, struct cworker *w,
    struct outbox *ob)
{
	struct msg_process_task	 pt;
	struct trow		 t;
	sqlite3_stmt		*st;
	char			 addr[ADDR_MAX + 1];
	int64_t			 attempts;
	int			 rc;

	if ((rc = task_get(c, id, &t)) != 0)
		return -1;
	st = cdb_stmt(c, ST_TASK_START);
	cdb_bind_text(st, 1, id);
	cdb_bind_text(st, 2, w->id);
	sqlite3_bind_int64(st, 3, coord_now(c));
	sqlite3_bind_int64(st, 4, coord_chg(c));
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
	pt.attempt = (uint64_t)attempts;
	pt.timeout_ms = (uint64_t)sqlite3_column_int64(st, 3);
	if ((rc = watch_any(c, id)) == -1) {
		sqlite3_reset(st);
		return -1;
	}
	pt.stream = rc == 1;
	worker_address(c, w->id, addr, sizeof(addr));
	outbox_msg(ob, NULL, addr, MSG_PROCESS_TASK, 0, &pt);
	sqlite3_reset(st);

	st = cdb_stmt(c, ST_RUN_START);
	cdb_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, attempts);
	cdb_bind_text(st, 3, w->id);
	sqlite3_bind_int64(st, 4, coord_now(c));
	if (cdb_run(c, st) == -1)
		return -1;
	snprintf(w->task, sizeof(w->task), "%s", id);
	worker_set_status(c, w, WORKER_BUSY);
	task_count(c, &t, TASK_QUEUED, TASK_RUNNING);
	recent_touch(c, id, TASK_RUNNING, w->id, attempts, NULL, 0, NULL);
	return activity(c, ob, "info", id, w->id, attempts,
	    "task %s assigned to %s", id, w->id);
}

/* w is online and has no task: give it the next one, or make it idle. */
int
worker_freed(struct coord *c, struct cworker *w, struct outbox *ob)
{
	char	 id[NAME_MAX_LEN + 1];
	int	 r;

	w->task[0] = '\0';
	if ((r = sched_head_for(c, w, id, sizeof(id))) == -1)
		return -1;
	if (r == 0)
		return task_start(c, id, w, ob);
	worker_set_status(c, w, WORKER_IDLE);
	return 0;
}

/*
 * Tasks may start that could not (a queue's slot freed, a queue resumed,
 * delayed tasks came due): give the idle workers what they may take now,
 * longest idle first.  A worker without pinned tasks is not even asked
 * once no unpinned task may start.
 */
int
coord_dispatch(struct coord *c, struct outbox *ob)
{
	struct cworker	*w, *next;
	char		 id[NAME_MAX_LEN + 1];
	int		 left, r;

	c->redispatch = 0;
	if (sched_unpinned_left(c, &left) == -1)
		return -1;
	for (w = TAILQ_FIRST(&c->idle); w != NULL &&
	    c->ntasks[TASK_QUEUED] > 0; w = next) {
		next = TAILQ_NEXT(w, idle_entry);
		if (!left && w->pinned == 0)
			continue;
		if ((r = sched_head_for(c, w, id, sizeof(id))) == -1)
			return -1;
		if (r == 1) {
			if (left && sched_unpinned_left(c, &left) == -1)
				return -1;
			continue;
		}
		if (task_start(c, id, w, ob) == -1)
			return -1;
	}
	return 0;
}

/*
 * A task just became queued: start it if a worker may take it now.  Idle
 * workers exist only while no queued task fits them, so the task jumps no
 * one: an unpinned one goes to the longest idle worker, a pinned one to
 * its worker if that is idle; either only if its queue may start one.
 * 1 started (on *wp), 0 queued, -1 error.
 */
int
task_offer(struct coord *c, const char *id, const struct trow *t,
    struct cworker **wp, struct outbox *ob)
{
	struct cqueue	*q = queue_get(c, t->queue);
	struct cworker	*w;

	if (q != NULL && !queue_may_start(q))
		return 0;
	if (t->pin[0] != '\0')
		w = coord_worker(c, t->pin);
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

/* Put task id (in t->status) in its queue: at the back, or the front. */
int
task_enqueue(struct coord *c, const char *id, struct trow *t, int front,
    struct outbox *ob)
{
	sqlite3_stmt	*st;
	int64_t		 chg, base;

	if (queue_base(c, t->queue, &base) == -1)
		return -1;
	chg = coord_chg(c);
	st = cdb_stmt(c, ST_TASK_REQUEUE);
	cdb_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, front ? -chg : chg);
	sqlite3_bind_int64(st, 3, coord_now(c));
	sqlite3_bind_int64(st, 4, chg);
	sqlite3_bind_int64(st, 5, base + QSEQ_BIAS);
	if (cdb_run(c, st) == -1)
		return -1;
	task_count(c, t, t->status, TASK_QUEUED);
	t->status = TASK_QUEUED;
	recent_touch(c, id, TASK_QUEUED, NULL, t->attempts, NULL, 0, NULL);
	return task_offer(c, id, t, NULL, ob) == -1 ? -1 : 0;
}

/*
 * Task id (in t->status) waits until run_at: scheduled, or retrying
 * after a failed run (with its error and code).
 */
int
task_delay(struct coord *c, const char *id, struct trow *t,
    enum task_status to, int64_t run_at, const char *error,
    const char *code)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_TASK_DELAY);

	cdb_bind_text(st, 1, id);
	sqlite3_bind_int(st, 2, to);
	sqlite3_bind_int64(st, 3, run_at);
	cdb_bind_text(st, 4, error);
	cdb_bind_text(st, 5, code);
	sqlite3_bind_int64(st, 6, coord_now(c));
	sqlite3_bind_int64(st, 7, coord_chg(c));
	if (cdb_run(c, st) == -1)
		return -1;
	task_count(c, t, t->status, to);
	t->status = to;
	sched_due_note(c, run_at);
	recent_touch(c, id, to, NULL, t->attempts, NULL, 0, error);
	return 0;
}

/*
 * A run of task id (running, in t) failed: again after its policy's
 * backoff while it allows more runs, or failed for good.
 */
static int
run_failed(struct coord *c, const char *id, struct trow *t,
    const void *result, size_t resultlen, const char *error,
    const char *code, struct outbox *ob)
{
	int64_t	 delay;

	if (code != NULL && strcmp(code, "timeout") == 0)
		cmet_timed_out(c, t);
	if (t->has_retry && (uint64_t)t->attempts <
	    retry_max_attempts(&t->retry)) {
		if (run_end(c, id, t->attempts, TASK_FAILED, error) == -1)
			return -1;
		delay = retry_delay_ms(&t->retry, (uint64_t)t->attempts,
		    (double)arc4random() / 4294967296.0);
		if (task_delay(c, id, t, TASK_RETRYING, coord_now(c) + delay,
		    error, code) == -1)
			return -1;
		return activity(c, ob, "warn", id, t->worker, t->attempts,
		    "task %s failed (%s); run %lld of %llu again in %lld ms",
		    id, error, (long long)t->attempts + 1,
		    (unsigned long long)retry_max_attempts(&t->retry),
		    (long long)delay);
	}
	return task_finish(c, id, TASK_FAILED, t, result, resultlen, error,
	    code, ob);
}

/*
 * Take running task id off its worker (already detached by the caller):
 * it died with its worker, or its worker was unregistered.  With a retry
 * policy a death is a failed run; without one the task goes back to the
 * front of its queue, and fails after max_attempts deaths.
 */
int
task_requeue(struct coord *c, const char *id, int died, struct outbox *ob)
{
	struct trow	 t;
	char		 err[128];
	int		 r;

	if ((r = task_get(c, id, &t)) != 0)
		return r == 1 ? 0 : -1;
	if (t.status != TASK_RUNNING)
		return 0;
	if (died && t.has_retry) {
		snprintf(err, sizeof(err), "its worker %s died", t.worker);
		return run_failed(c, id, &t, NULL, 0, err, "died", ob);
	}
	if (died && t.attempts >= c->conf.max_attempts) {
		snprintf(err, sizeof(err), "its worker died %lld times; "
		    "max_attempts is %d", (long long)t.attempts,
		    c->conf.max_attempts);
		if (task_finish(c, id, TASK_FAILED, &t, NULL, 0, err, "died",
		    ob) == -1)
			return -1;
		return activity(c, ob, "error", id, t.worker, t.attempts,
		    "task %s failed: %s", id, err);
	}
	if (run_end(c, id, t.attempts, TASK_QUEUED, died ? "its worker died" :
	    "its worker was unregistered") == -1)
		return -1;
	if (activity(c, ob, "warn", id, t.worker, t.attempts, "task %s "
	    "requeued (%s on %s)", id, died ? "worker died" :
	    "worker unregistered", t.worker) == -1)
		return -1;
	return task_enqueue(c, id, &t, 1, ob);
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
 * The outcome of running task id on w: completed with result, or failed
 * with error and code (and the result a command leaves): run again by
 * its policy, or failed.  w is left without a task; the caller frees it.
 */
int
task_outcome(struct coord *c, struct cworker *w, const char *id,
    int failed, const struct mp_any *result, const char *error,
    const char *code, struct outbox *ob)
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
	if (failed)
		r = run_failed(c, id, &t, sb.size ? sb.data : NULL, sb.size,
		    error, code != NULL && *code != '\0' ? code : NULL, ob);
	else
		r = task_finish(c, id, TASK_COMPLETED, &t, sb.size ? sb.data :
		    NULL, sb.size, NULL, NULL, ob);
	msgpack_sbuffer_destroy(&sb);
	if (r == -1)
		return -1;
	if (failed)
		return activity(c, ob, "warn", id, w->id, t.attempts,
		    "task %s failed on %s: %s", id, w->id, error);
	return activity(c, ob, "info", id, w->id, t.attempts,
	    "task %s completed by %s", id, w->id);
}

/*
 * Delayed tasks whose time came go to their queues (at the back), at
 * most DUE_BATCH a call; 1 when more are due at once, 0 when not.
 */
int
coord_due(struct coord *c, struct outbox *ob)
{
	char		(*ids)[NAME_MAX_LEN + 1];
	struct trow	 t;
	size_t		 n, i;
	int		 r = 0;

	if (sched_due(c, &ids, &n) == -1)
		return -1;
	if (n > 0 && db_begin(c->db) == -1)
		r = -1;
	for (i = 0; i < n && r == 0; i++) {
		if ((r = task_get(c, ids[i], &t)) == 1) {
			r = 0;
			continue;
		}
		if (r == 0 && TASK_WAITING(t.status))
			r = task_enqueue(c, ids[i], &t, 0, ob);
	}
	free(ids);
	if (r == -1 || sched_due_reload(c) == -1)
		return -1;
	return n == DUE_BATCH && c->due_at != 0 && c->due_at <= coord_now(c);
}
