/*
 * What a client may ask of the tasks: GetTask (one task with its runs),
 * ListTasks (pages, newest first), WatchTask (a TaskFinished owed), and
 * GetKinds; an operator's PauseQueue and ResumeQueue.
 *
 * Task {taskId, kind, input, status, queue, priority, attempts, workerId,
 *	 pinnedTo, createdAt, startedAt, finishedAt, runAt, timeoutMs,
 *	 retry, result, error, errorCode, history: [{attempt, workerId,
 *	 startedAt, finishedAt, status, error}]}, nil where a value has none.
 *
 * Tasks {tasks: [the same without input, result and history], nextCursor}:
 * newest first, by creation (the rowid).  The cursor is the rowid to go on
 * below, so a page never repeats or skips a task whatever is added
 * meanwhile.  A finished or running status goes through an index; a
 * kind, queue or worker filter, or a waiting status (queued, scheduled,
 * retrying: mostly the newest tasks), looks at LIST_SCAN tasks at most
 * per page, and the page may come back short with a cursor to go on
 * from: the work per page is bounded however rare the match.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator.h"
#include "db.h"
#include "kinds.h"
#include "log.h"

#define LIST_DEFAULT	50		/* tasks in a page without a limit */
#define LIST_SCAN	10000		/* tasks looked at for a filtered page */
#define LIST_BYTES	(512 * 1024)	/* packed bytes of one page at most */
#define HISTORY_MAX	100		/* runs in a Task's history: the last */

/* The columns of ST_RECORD, ST_LIST and ST_LIST_STATUS (RECORD_COLS). */
enum rec_col {
	RC_ID, RC_KIND, RC_INPUT, RC_STATUS, RC_QUEUE, RC_PRIORITY,
	RC_ATTEMPTS, RC_WORKER, RC_CREATED, RC_STARTED, RC_FINISHED,
	RC_RUN_AT, RC_RESULT, RC_ERROR, RC_CODE, RC_TIMEOUT, RC_RETRY, RC_PIN,
	RC_ROWID
};

/* Pack key and column i: text, integer, msgpack bytes, or nil. */
static void
pack_col(msgpack_packer *pk, const char *key, sqlite3_stmt *st, int i)
{
	mp_pack_str(pk, key);
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		msgpack_pack_int64(pk, sqlite3_column_int64(st, i));
		break;
	case SQLITE_TEXT:
		mp_pack_str(pk, (const char *)sqlite3_column_text(st, i));
		break;
	case SQLITE_BLOB:
		mp_pack_raw(pk, sqlite3_column_blob(st, i),
		    (size_t)sqlite3_column_bytes(st, i));
		break;
	default:
		msgpack_pack_nil(pk);
		break;
	}
}

/*
 * The runs of task id: history [{attempt, workerId, ...}], the last
 * HISTORY_MAX (RetryTask lets attempts go on without end).
 */
static int
pack_history(struct coord *c, msgpack_packer *pk, const char *id)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_RUNS);
	msgpack_sbuffer	 sb;
	msgpack_packer	 hpk;
	size_t		 n = 0;
	int		 rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&hpk, &sb, msgpack_sbuffer_write);
	cdb_bind_text(st, 1, id);
	sqlite3_bind_int(st, 2, HISTORY_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		msgpack_pack_map(&hpk, 6);
		pack_col(&hpk, "attempt", st, 0);
		pack_col(&hpk, "workerId", st, 1);
		pack_col(&hpk, "startedAt", st, 2);
		pack_col(&hpk, "finishedAt", st, 3);
		mp_pack_kv_str(&hpk, "status",
		    task_status_name(sqlite3_column_int(st, 4)));
		pack_col(&hpk, "error", st, 5);
		n++;
	}
	sqlite3_reset(st);
	mp_pack_str(pk, "history");
	msgpack_pack_array(pk, n);
	mp_pack_raw(pk, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Pack the task st is on; whole (input, result, history) or a summary. */
static int
pack_record(struct coord *c, msgpack_packer *pk, sqlite3_stmt *st,
    int whole)
{
	msgpack_pack_map(pk, whole ? 19 : 16);
	pack_col(pk, "taskId", st, RC_ID);
	pack_col(pk, "kind", st, RC_KIND);
	mp_pack_kv_str(pk, "status",
	    task_status_name(sqlite3_column_int(st, RC_STATUS)));
	pack_col(pk, "queue", st, RC_QUEUE);
	pack_col(pk, "priority", st, RC_PRIORITY);
	pack_col(pk, "attempts", st, RC_ATTEMPTS);
	pack_col(pk, "workerId", st, RC_WORKER);
	pack_col(pk, "pinnedTo", st, RC_PIN);
	pack_col(pk, "createdAt", st, RC_CREATED);
	pack_col(pk, "startedAt", st, RC_STARTED);
	pack_col(pk, "finishedAt", st, RC_FINISHED);
	pack_col(pk, "runAt", st, RC_RUN_AT);
	pack_col(pk, "timeoutMs", st, RC_TIMEOUT);
	pack_col(pk, "retry", st, RC_RETRY);
	pack_col(pk, "error", st, RC_ERROR);
	pack_col(pk, "errorCode", st, RC_CODE);
	if (!whole)
		return 0;
	pack_col(pk, "input", st, RC_INPUT);
	pack_col(pk, "result", st, RC_RESULT);
	return pack_history(c, pk, (const char *)sqlite3_column_text(st,
	    RC_ID));
}

/*
 * Queue the Task reply for task id to env; 1 when there is no such task,
 * with *status its status otherwise.
 */
static int
reply_record(struct coord *c, const struct envelope *env, const char *id,
    enum task_status *status, struct outbox *ob)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_RECORD);
	msgpack_packer	*pk;
	int		 rc;

	cdb_bind_text(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 1 : -1;
	}
	*status = (enum task_status)sqlite3_column_int(st, RC_STATUS);
	pk = outbox_begin(ob, NULL, env->from, MSG_TASK, 1);
	rc = pack_record(c, pk, st, 1);
	outbox_end(ob);
	sqlite3_reset(st);
	return rc;
}

/* GetTask {taskId}: Task, or not_found. */
int
coord_get_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	enum task_status	 status;
	int			 r;

	r = reply_record(self->data, env, env->body->task_id.task_id, &status,
	    ob);
	if (r == 1)
		outbox_error(ob, env, ERR_NOT_FOUND, "Unknown task: %s",
		    env->body->task_id.task_id);
	return r == 1 ? 0 : r;
}

/* TaskFinished for task id, already finished, to env's sender alone. */
int
finished_now(struct coord *c, const struct envelope *env, const char *id,
    struct outbox *ob)
{
	struct msg_task_finished	 m;
	sqlite3_stmt			*st = cdb_stmt(c, ST_RECORD);
	int				 rc;

	cdb_bind_text(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		snprintf(m.task_id, sizeof(m.task_id), "%s", id);
		snprintf(m.status, sizeof(m.status), "%s",
		    task_status_name(sqlite3_column_int(st, RC_STATUS)));
		m.result.raw = sqlite3_column_blob(st, RC_RESULT);
		m.result.len = (size_t)sqlite3_column_bytes(st, RC_RESULT);
		if (sqlite3_column_text(st, RC_ERROR) != NULL)
			snprintf(m.error, sizeof(m.error), "%s",
			    sqlite3_column_text(st, RC_ERROR));
		if (sqlite3_column_text(st, RC_CODE) != NULL)
			snprintf(m.code, sizeof(m.code), "%s",
			    sqlite3_column_text(st, RC_CODE));
		m.attempts = (uint64_t)sqlite3_column_int64(st, RC_ATTEMPTS);
		outbox_msg(ob, NULL, env->from, MSG_TASK_FINISHED, 0, &m);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/*
 * env's sender watches task id (t its row): one TaskFinished when it
 * reaches a final state; a running command starts sending its output.
 * Nothing for a finished task (the caller sends TaskFinished at once).
 * 1 when refused, with the Error queued.
 */
int
watch_start(struct coord *c, const struct envelope *env, const char *id,
    const struct trow *t, struct outbox *ob)
{
	struct msg_stream_output so;
	char			 why[256], addr[ADDR_MAX + 1];
	int			 r, watched;

	if (TASK_FINISHED(t->status))
		return 0;
	if ((watched = watch_any(c, id)) == -1 ||
	    (r = watch_add(c, id, env->from, why, sizeof(why))) == -1)
		return -1;
	if (r == 1) {
		outbox_error(ob, env, ERR_RATE_LIMITED, "%s", why);
		return 1;
	}
	if (!watched && t->status == TASK_RUNNING) {
		memset(&so, 0, sizeof(so));
		snprintf(so.task_id, sizeof(so.task_id), "%s", id);
		so.on = true;
		worker_address(c, t->worker, addr, sizeof(addr));
		outbox_msg(ob, NULL, addr, MSG_STREAM_OUTPUT, 0, &so);
	}
	return 0;
}

/*
 * WatchTask {taskId}: Task now, and one TaskFinished when it reaches a
 * final state (at once when it has).  A running command starts sending
 * its output.
 */
int
coord_watch_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord		*c = self->data;
	const char		*id = env->body->task_id.task_id;
	enum task_status	 status;
	struct trow		 t;
	int			 r;

	if ((r = task_find(c, env, id, &t, ob)) != 0)
		return r == 1 ? 0 : -1;
	if ((r = watch_start(c, env, id, &t, ob)) != 0)
		return r == 1 ? 0 : -1;
	if ((r = reply_record(c, env, id, &status, ob)) != 0)
		return r == 1 ? 0 : -1;
	return TASK_FINISHED(status) ? finished_now(c, env, id, ob) : 0;
}

/* ListTasks {status?, kind?, queue?, workerId?, cursor?, limit?}: Tasks. */
int
coord_list_tasks(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord			*c = self->data;
	const struct msg_list_tasks	*m = &env->body->list_tasks;
	msgpack_sbuffer			 sb;
	msgpack_packer			 tpk, *pk;
	sqlite3_stmt			*st;
	char				*end, cur[24];
	int64_t				 below = INT64_MAX, above = 0, last = 0;
	int64_t				 top;
	uint64_t			 limit, n = 0;
	int				 status = -1, filtered, rc;

	if (m->status[0] != '\0' &&
	    (status = task_status_lookup(m->status)) == -1) {
		outbox_error(ob, env, ERR_BAD_PAYLOAD, "'status' must be one "
		    "of queued, running, scheduled, retrying, completed, "
		    "failed, cancelled");
		return 0;
	}
	if (m->cursor[0] != '\0') {
		errno = 0;
		below = strtoll(m->cursor, &end, 10);
		/* Digits only, as Tasks gives them: no sign, space or 2^63. */
		if (m->cursor[0] < '0' || m->cursor[0] > '9' || *end != '\0' ||
		    errno != 0 || below <= 0) {
			outbox_error(ob, env, ERR_BAD_PAYLOAD, "'cursor' is not "
			    "one a Tasks reply gave");
			return 0;
		}
	}
	limit = m->has_limit && m->limit > 0 ? m->limit : LIST_DEFAULT;
	filtered = m->kind[0] != '\0' || m->queue[0] != '\0' ||
	    m->worker_id[0] != '\0' || TASK_WAITING(status) ||
	    status == TASK_QUEUED;
	if (filtered) {
		/* A window of LIST_SCAN rowids below the cursor. */
		top = below;
		if (top == INT64_MAX && cdb_int(c, ST_NEWEST_ROWID, &top) ==
		    -1)
			return -1;
		if (below == INT64_MAX)
			top++;
		above = top > LIST_SCAN ? top - LIST_SCAN : 0;
	}
	st = cdb_stmt(c, status == TASK_RUNNING ? ST_LIST_RUNNING :
	    status >= 0 && TASK_FINISHED(status) ? ST_LIST_FINISHED :
	    ST_LIST);
	sqlite3_bind_int64(st, 1, below);
	sqlite3_bind_int64(st, 2, above);
	cdb_bind_text(st, 3, m->kind);
	cdb_bind_text(st, 4, m->queue);
	cdb_bind_text(st, 5, m->worker_id);
	sqlite3_bind_int64(st, 6, (int64_t)limit + 1);
	if (status >= 0)
		sqlite3_bind_int(st, 7, status);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&tpk, &sb, msgpack_sbuffer_write);
	last = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit || sb.size >= LIST_BYTES)
			break;	/* there is more: go on below the last */
		pack_record(c, &tpk, st, 0);
		last = sqlite3_column_int64(st, RC_ROWID);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		msgpack_sbuffer_destroy(&sb);
		return -1;
	}
	pk = outbox_begin(ob, NULL, env->from, MSG_TASKS, 1);
	msgpack_pack_map(pk, 2);
	mp_pack_str(pk, "tasks");
	msgpack_pack_array(pk, n);
	mp_pack_raw(pk, sb.data, sb.size);
	mp_pack_str(pk, "nextCursor");
	if (rc == SQLITE_ROW || above > 0) {
		/* More below: past the last one sent, or the window. */
		snprintf(cur, sizeof(cur), "%lld", (long long)(rc ==
		    SQLITE_ROW ? last : above));
		mp_pack_str(pk, cur);
	} else
		msgpack_pack_nil(pk);
	outbox_end(ob);
	msgpack_sbuffer_destroy(&sb);
	return 0;
}

/* GetKinds {}: Kinds {kinds: [{name, builtin, input, timeoutMs}]}. */
int
coord_get_kinds(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord	*c = self->data;
	msgpack_packer	*pk;
	size_t		 i, n = kind_count(c->conf.cfg);

	pk = outbox_begin(ob, NULL, env->from, MSG_KINDS, 1);
	msgpack_pack_map(pk, 1);
	mp_pack_str(pk, "kinds");
	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++)
		kind_pack(pk, kind_at(c->conf.cfg, i));
	outbox_end(ob);
	return 0;
}

/* Pause or resume a queue, and say how it stands. */
static int
queue_set(struct coord *c, const struct envelope *env, int paused,
    struct outbox *ob)
{
	const char		*name = env->body->queue_name.queue;
	struct msg_queue_state	 m;
	struct cqueue		*q;
	sqlite3_stmt		*st;

	if ((q = queue_get(c, name)) == NULL) {
		outbox_error(ob, env, ERR_NOT_FOUND, "Unknown queue: %s", name);
		return 0;
	}
	if (q->paused != paused) {
		if (db_begin(c->db) == -1)
			return -1;
		st = cdb_stmt(c, ST_QUEUE_PAUSE);
		cdb_bind_text(st, 1, name);
		sqlite3_bind_int(st, 2, paused);
		if (cdb_run(c, st) == -1)
			return -1;
		q->paused = paused;
		c->dirty = 1;
		if (activity(c, ob, "info", NULL, NULL, -1, "queue %s %s", name,
		    paused ? "paused" : "resumed") == -1)
			return -1;
	}
	memset(&m, 0, sizeof(m));
	snprintf(m.queue, sizeof(m.queue), "%s", q->name);
	m.paused = q->paused;
	m.queued = q->queued;
	m.running = q->running;
	m.concurrency = q->concurrency;
	outbox_msg(ob, NULL, env->from, MSG_QUEUE_STATE, 1, &m);
	return paused ? 0 : coord_dispatch(c, ob);
}

/* PauseQueue {queue}: none of its tasks starts; running ones go on. */
int
coord_pause_queue(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	return queue_set(self->data, env, 1, ob);
}

/* ResumeQueue {queue}: its tasks start again. */
int
coord_resume_queue(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	return queue_set(self->data, env, 0, ob);
}
