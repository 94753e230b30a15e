/*
 * The coordinator's task handlers: AssignTask, CancelTask, RetryTask and
 * DeleteTask from clients, GetStatus, and the worker process's reports
 * of each run (TaskStarted, TaskCompleted, TaskFailed, TaskOutput).  The
 * life of a task is in coordinator_queue.c.
 */
#include <stdio.h>
#include <string.h>

#include "coordinator.h"
#include "db.h"
#include "kinds.h"
#include "log.h"

/* A task's settings as AssignTask asks them, checked against its kind. */
struct assign {
	const struct kind_conf	*kind;
	const char		*queue;
	int64_t			 run_at;	/* 0: now */
	int64_t			 timeout_ms;	/* 0: none */
	int64_t			 now;		/* the message's time */
};

/*
 * Check m against its kind and the coordinator's rules, filling a; -1
 * with why (bad_payload, naming the field) when it does not fit.
 */
static int
assign_check(struct coord *c, const struct msg_assign_task *m,
    struct assign *a, char *why, size_t whylen)
{
	const char	*kind = m->kind[0] != '\0' ? m->kind : "sleep";
	int64_t		 now = coord_now(c);

	memset(a, 0, sizeof(*a));
	a->now = now;
	if ((a->kind = kind_find(c->conf.cfg, kind)) == NULL) {
		snprintf(why, whylen, "'kind' %s is not a task kind here "
		    "(GetKinds lists them)", kind);
		return -1;
	}
	if (kind_check_input(a->kind, m->input.obj, why, whylen) == -1)
		return -1;
	if (m->has_timeout_ms && a->kind->timeout_max_ms > 0 &&
	    m->timeout_ms > a->kind->timeout_max_ms) {
		snprintf(why, whylen, "'timeoutMs' is over kind %s's limit of "
		    "%llu ms", a->kind->name,
		    (unsigned long long)a->kind->timeout_max_ms);
		return -1;
	}
	a->timeout_ms = (int64_t)(m->has_timeout_ms ? m->timeout_ms :
	    a->kind->timeout_ms);
	if (m->has_retry && m->retry.backoff[0] != '\0' &&
	    strcmp(m->retry.backoff, "fixed") != 0 &&
	    strcmp(m->retry.backoff, "exponential") != 0) {
		snprintf(why, whylen, "'retry.backoff' must be \"fixed\" or "
		    "\"exponential\"");
		return -1;
	}
	if (m->has_run_at && m->has_delay_ms) {
		snprintf(why, whylen, "'runAt' and 'delayMs' cannot both be "
		    "given");
		return -1;
	}
	if (m->has_run_at) {
		/* A little in the past is a clock apart, or a retry. */
		if ((int64_t)m->run_at < now -
		    (int64_t)c->conf.dedupe_window_s * 1000 - 1000) {
			snprintf(why, whylen, "'runAt' is in the past");
			return -1;
		}
		if ((int64_t)m->run_at > now + (int64_t)DELAY_MAX_MS) {
			snprintf(why, whylen, "'runAt' is more than a year "
			    "ahead (delayMs has the same bound)");
			return -1;
		}
		if ((int64_t)m->run_at > now)
			a->run_at = (int64_t)m->run_at;
	} else if (m->has_delay_ms && m->delay_ms > 0)
		a->run_at = now + (int64_t)m->delay_ms;
	a->queue = m->queue[0] != '\0' ? m->queue : DEFAULT_QUEUE;
	return queue_admits(c, a->queue, why, whylen);
}

/*
 * The input stored for m in sb (initialized here): as given, or the
 * default task's {ms: 1000}, or none.
 */
static void
assign_input(const struct msg_assign_task *m, msgpack_sbuffer *sb)
{
	msgpack_packer	 pk;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	if (m->input.obj != NULL)
		msgpack_pack_object(&pk, *m->input.obj);
	else if (m->kind[0] == '\0') {
		msgpack_pack_map(&pk, 1);
		mp_pack_kv_uint(&pk, "ms", 1000);
	}
}

/*
 * Is task id (there) the task m asks for, its kind and input the same?
 * 1 yes, 0 no, -1 error.
 */
static int
assign_same(struct coord *c, const char *id, const struct msg_assign_task *m,
    const struct assign *a)
{
	msgpack_sbuffer	 input;
	sqlite3_stmt	*st = cdb_stmt(c, ST_TASK_SAME);
	int		 rc;

	assign_input(m, &input);
	cdb_bind_text(st, 1, id);
	cdb_bind_text(st, 2, a->kind->name);
	if (input.size > 0)
		sqlite3_bind_blob(st, 3, input.data, (int)input.size,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	msgpack_sbuffer_destroy(&input);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * AssignTask again for task id, which is there (t): a client that sent it
 * before its connection dropped gets TaskAccepted with the task's status
 * now, and with watch its TaskFinished (at once when finished).  Another
 * kind or input under the same id is refused.
 */
static int
assign_again(struct coord *c, const struct envelope *env, const char *id,
    const struct assign *a, const struct trow *t, struct outbox *ob)
{
	const struct msg_assign_task	*m = &env->body->assign_task;
	struct msg_task_accepted	 acc;
	int				 r;

	if ((r = assign_same(c, id, m, a)) != 1) {
		if (r == 0)
			outbox_error(ob, env, ERR_BAD_PAYLOAD, "'taskId' %s "
			    "already exists (%s) with another kind or input",
			    id, task_status_name(t->status));
		return r;
	}
	if (m->watch && (r = watch_start(c, env, id, t, ob)) != 0)
		return r == 1 ? 0 : -1;
	memset(&acc, 0, sizeof(acc));
	snprintf(acc.task_id, sizeof(acc.task_id), "%s", id);
	snprintf(acc.status, sizeof(acc.status), "%s",
	    task_status_name(t->status));
	if (t->status == TASK_RUNNING)
		snprintf(acc.worker_id, sizeof(acc.worker_id), "%s",
		    t->worker);
	outbox_msg(ob, NULL, env->from, MSG_TASK_ACCEPTED, 1, &acc);
	if (m->watch && TASK_FINISHED(t->status))
		return finished_now(c, env, id, ob);
	return 0;
}

/* Store a new task: queued, or scheduled when it waits for its time. */
static int
assign_insert(struct coord *c, const char *id,
    const struct msg_assign_task *m, const struct assign *a,
    struct trow *t)
{
	msgpack_sbuffer	 input, retry;
	msgpack_packer	 pk;
	sqlite3_stmt	*st;
	int64_t		 chg = coord_chg(c), qseq = chg;
	int		 rc;

	queue_make(c, a->queue);
	if (a->run_at == 0 && m->worker_id[0] == '\0') {
		if (queue_base(c, a->queue, &qseq) == -1)
			return -1;
		qseq += ((int64_t)(PRIORITY_MAX - m->priority) <<
		    QSEQ_PRI_SHIFT) + chg + QSEQ_BIAS;
	}
	assign_input(m, &input);
	msgpack_sbuffer_init(&retry);
	if (m->has_retry) {
		msgpack_packer_init(&pk, &retry, msgpack_sbuffer_write);
		msg_encode(&pk, &msg_shape_retry, &m->retry);
	}
	memset(t, 0, sizeof(*t));
	t->status = a->run_at != 0 ? TASK_SCHEDULED : TASK_QUEUED;
	name_copy(t->pin, m->worker_id, sizeof(t->pin));
	name_copy(t->queue, a->queue, sizeof(t->queue));
	name_copy(t->kind, a->kind->name, sizeof(t->kind));
	st = cdb_stmt(c, ST_TASK_INSERT);
	cdb_bind_text(st, 1, id);
	cdb_bind_text(st, 2, a->kind->name);
	if (input.size > 0)
		sqlite3_bind_blob(st, 3, input.data, (int)input.size,
		    SQLITE_STATIC);
	cdb_bind_text(st, 4, m->worker_id);
	sqlite3_bind_int(st, 5, t->status);
	if (t->status == TASK_QUEUED)
		sqlite3_bind_int64(st, 6, qseq);
	sqlite3_bind_int64(st, 7, a->now);
	sqlite3_bind_int64(st, 8, chg);
	cdb_bind_text(st, 9, a->queue);
	sqlite3_bind_int64(st, 10, (int64_t)m->priority);
	if (a->run_at != 0)
		sqlite3_bind_int64(st, 11, a->run_at);
	if (a->timeout_ms > 0)
		sqlite3_bind_int64(st, 12, a->timeout_ms);
	if (retry.size > 0)
		sqlite3_bind_blob(st, 13, retry.data, (int)retry.size,
		    SQLITE_STATIC);
	rc = cdb_run(c, st);
	msgpack_sbuffer_destroy(&input);
	msgpack_sbuffer_destroy(&retry);
	if (rc == -1)
		return -1;
	task_count(c, t, TASK_NEW, t->status);
	if (t->status == TASK_SCHEDULED)
		sched_due_note(c, a->run_at);
	recent_touch(c, id, t->status, NULL, 0, NULL, 0, NULL);
	return 0;
}

/*
 * AssignTask {taskId?, kind?, input?, workerId?, watch?, timeoutMs?,
 * retry?, runAt? | delayMs?, priority?, queue?}.
 */
int
coord_assign_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord			*c = self->data;
	const struct msg_assign_task	*m = &env->body->assign_task;
	struct msg_task_accepted	 acc;
	struct assign			 a;
	struct cworker			*w = NULL, *ran = NULL;
	struct trow			 t;
	char				 id[NAME_MAX_LEN + 1];
	char				 why[256];
	int				 r = 0;

	if (assign_check(c, m, &a, why, sizeof(why)) == -1) {
		outbox_error(ob, env, ERR_BAD_PAYLOAD, "%s", why);
		return 0;
	}
	if (m->task_id[0] == '\0') {
		id[0] = 't';
		env_new_id(id + 1, sizeof(id) - 1);
	} else if ((r = task_get(c, m->task_id, &t)) != 1)
		return r == -1 ? -1 : assign_again(c, env, m->task_id, &a, &t,
		    ob);
	else
		name_copy(id, m->task_id, sizeof(id));
	if (m->worker_id[0] != '\0' &&
	    (w = coord_worker(c, m->worker_id)) == NULL) {
		outbox_error(ob, env, ERR_UNKNOWN_ACTOR, "Unknown worker: %s",
		    m->worker_id);
		return 0;
	}
	if (m->watch && (r = watch_add(c, id, env->from, why,
	    sizeof(why))) != 0) {
		if (r == -1)
			return -1;
		outbox_error(ob, env, ERR_RATE_LIMITED, "%s", why);
		return 0;
	}
	if (assign_insert(c, id, m, &a, &t) == -1)
		return -1;
	r = 0;
	if (t.status == TASK_QUEUED &&
	    (r = task_offer(c, id, &t, &ran, ob)) == -1)
		return -1;

	memset(&acc, 0, sizeof(acc));
	name_copy(acc.task_id, id, sizeof(acc.task_id));
	if (r == 1) {
		name_copy(acc.status, "assigned", sizeof(acc.status));
		name_copy(acc.worker_id, ran->id, sizeof(acc.worker_id));
	} else {
		name_copy(acc.status, task_status_name(t.status),
		    sizeof(acc.status));
		if (w != NULL)
			name_copy(acc.worker_id, w->id, sizeof(acc.worker_id));
		if (t.status == TASK_QUEUED) {
			acc.position = c->ntasks[TASK_QUEUED];
			acc.has_position = true;
		}
	}
	outbox_msg(ob, NULL, env->from, MSG_TASK_ACCEPTED, 1, &acc);
	return 0;
}

/* CancelTask {taskId}: queued, waiting or running. */
int
coord_cancel_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord		*c = self->data;
	const char		*id = env->body->task_id.task_id;
	struct cworker		*w;
	struct trow		 t;
	int			 r;

	if ((r = task_find(c, env, id, &t, ob)) != 0)
		return r == 1 ? 0 : -1;
	switch (t.status) {
	case TASK_QUEUED:
	case TASK_SCHEDULED:
	case TASK_RETRYING:
		if (activity(c, ob, "info", id, NULL, t.attempts,
		    "task %s cancelled while %s", id,
		    task_status_name(t.status)) == -1 ||
		    task_finish(c, id, TASK_CANCELLED, &t, NULL, 0, NULL, NULL,
		    ob) == -1)
			return -1;
		break;
	case TASK_RUNNING:
		if (task_finish(c, id, TASK_CANCELLED, &t, NULL, 0, NULL, NULL,
		    ob) == -1)
			return -1;
		if (activity(c, ob, "info", id, t.worker, t.attempts,
		    "task %s cancelled while running on %s", id,
		    t.worker) == -1)
			return -1;
		w = coord_worker(c, t.worker);
		if (w != NULL && strcmp(w->task, id) == 0) {
			to_worker(ob, w->id, w->host, MSG_ABORT_TASK, id);
			w->task[0] = '\0';
			if (w->status == WORKER_BUSY &&
			    worker_freed(c, w, ob) == -1)
				return -1;
		}
		break;
	case TASK_CANCELLED:
		break;
	default:
		outbox_error(ob, env, ERR_BAD_PAYLOAD, "Task %s already %s", id,
		    task_status_name(t.status));
		return 0;
	}
	outbox_msg(ob, NULL, env->from, MSG_TASK_CANCELLED, 1,
	    &env->body->task_id);
	return c->redispatch ? coord_dispatch(c, ob) : 0;
}

/*
 * RetryTask {taskId}: a failed or cancelled task back to the back of its
 * queue, the same id, its attempts going on.
 */
int
coord_retry_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord			*c = self->data;
	const char			*id = env->body->task_id.task_id;
	struct msg_task_accepted	 acc;
	struct cworker			*ran = NULL;
	struct trow			 t;
	sqlite3_stmt			*st;
	char				 why[256];
	int64_t				 chg, base;
	int				 r;

	if ((r = task_find(c, env, id, &t, ob)) != 0)
		return r == 1 ? 0 : -1;
	if (t.status != TASK_FAILED && t.status != TASK_CANCELLED) {
		outbox_error(ob, env, ERR_BAD_PAYLOAD, "Task %s is %s: only a "
		    "failed or cancelled task is retried", id,
		    task_status_name(t.status));
		return 0;
	}
	/* Its queue may be gone since (closed by config, or forgotten). */
	if (queue_admits(c, t.queue, why, sizeof(why)) == -1) {
		outbox_error(ob, env, ERR_BAD_PAYLOAD, "Task %s cannot go back: "
		    "%s", id, why);
		return 0;
	}
	queue_make(c, t.queue);
	if (queue_base(c, t.queue, &base) == -1)
		return -1;
	chg = coord_chg(c);
	st = cdb_stmt(c, ST_TASK_RETRY);
	cdb_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, chg);
	sqlite3_bind_int64(st, 3, coord_now(c));
	sqlite3_bind_int64(st, 4, chg);
	sqlite3_bind_int64(st, 5, base + QSEQ_BIAS);
	if (cdb_run(c, st) == -1)
		return -1;
	c->nfinished_kept--;
	task_count(c, &t, t.status, TASK_QUEUED);
	t.status = TASK_QUEUED;
	recent_touch(c, id, TASK_QUEUED, NULL, t.attempts, NULL, 0, NULL);
	if (activity(c, ob, "info", id, NULL, t.attempts, "task %s queued "
	    "again (RetryTask)", id) == -1 ||
	    (r = task_offer(c, id, &t, &ran, ob)) == -1)
		return -1;
	memset(&acc, 0, sizeof(acc));
	snprintf(acc.task_id, sizeof(acc.task_id), "%s", id);
	snprintf(acc.status, sizeof(acc.status), r == 1 ? "assigned" :
	    "queued");
	if (r == 1)
		snprintf(acc.worker_id, sizeof(acc.worker_id), "%s", ran->id);
	else {
		acc.position = c->ntasks[TASK_QUEUED];
		acc.has_position = true;
	}
	outbox_msg(ob, NULL, env->from, MSG_TASK_ACCEPTED, 1, &acc);
	return 0;
}

/* DeleteTask {taskId}: a finished task, with its runs and watches. */
int
coord_delete_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord	*c = self->data;
	const char	*id = env->body->task_id.task_id;
	struct trow	 t;
	sqlite3_stmt	*st;
	int		 r;

	if ((r = task_find(c, env, id, &t, ob)) != 0)
		return r == 1 ? 0 : -1;
	if (!TASK_FINISHED(t.status)) {
		outbox_error(ob, env, ERR_BAD_PAYLOAD, "Task %s is %s: cancel "
		    "it first", id, task_status_name(t.status));
		return 0;
	}
	st = cdb_stmt(c, ST_TASK_DELETE);
	cdb_bind_text(st, 1, id);
	if (cdb_run(c, st) == -1)
		return -1;
	c->nfinished_kept--;
	recent_forget(c, id);
	outbox_msg(ob, NULL, env->from, MSG_TASK_DELETED, 1,
	    &env->body->task_id);
	return 0;
}

/* GetStatus: the StatusUpdated snapshot. */
int
coord_get_status(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	msgpack_packer	*pk;

	pk = outbox_begin(ob, NULL, env->from, MSG_STATUS_UPDATED, 1);
	if (coord_pack_status(self->data, pk) == -1)
		return -1;
	outbox_end(ob);
	return 0;
}

/*
 * A report of one run from the worker process, for the worker running it
 * now; anything else is stale (the coordinator has moved on) and ignored,
 * but a TaskStarted of a task that is not the worker's is stopped.  NULL
 * when the report is done with.
 */
static struct cworker *
report_worker(struct coord *c, const struct envelope *env,
    const struct msg_task_report *m, struct outbox *ob)
{
	struct cworker	*w = coord_worker(c, m->worker_id);

	if (w != NULL && strcmp(w->task, m->task_id) == 0)
		return w;
	log_debug("%s %s from %s: not its task (now); ignored",
	    msg_name(env->type), m->task_id, m->worker_id);
	if (w != NULL && env->type == MSG_TASK_STARTED)
		to_worker(ob, w->id, w->host, MSG_ABORT_TASK, m->task_id);
	return NULL;
}

/* TaskStarted {taskId, workerId}: nothing to do, unless it is stale. */
int
coord_task_started(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	report_worker(self->data, env, &env->body->task_started, ob);
	return 0;
}

/* A run's outcome: record it, count it, and give the worker its next. */
static int
task_done(struct coord *c, const struct envelope *env,
    const struct msg_task_report *m, int failed, struct outbox *ob)
{
	struct cworker	*w;

	if ((w = report_worker(c, env, m, ob)) == NULL)
		return 0;
	if (db_begin(c->db) == -1)
		return -1;
	if (task_outcome(c, w, m->task_id, failed, &m->result,
	    m->error[0] != '\0' ? m->error : "failed", m->code, ob) == -1)
		return -1;
	if (worker_set_processed(c, w, m->has_processed ?
	    m->processed : w->processed + 1) == -1)
		return -1;
	if (w->status == WORKER_BUSY && worker_freed(c, w, ob) == -1)
		return -1;
	return c->redispatch ? coord_dispatch(c, ob) : 0;
}

/* TaskCompleted {taskId, workerId, result, processedCount}. */
int
coord_task_completed(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	return task_done(self->data, env, &env->body->task_completed, 0, ob);
}

/* TaskFailed {taskId, workerId, error, code?, result?, processedCount}. */
int
coord_task_failed(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	return task_done(self->data, env, &env->body->task_failed, 1, ob);
}

/* TaskOutput from a worker: to whoever watches its task. */
int
coord_task_output(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	return watch_output(self->data, &env->body->task_output, ob);
}
