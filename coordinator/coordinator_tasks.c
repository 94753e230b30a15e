/*
 * The coordinator's task handlers: AssignTask and CancelTask from
 * clients, GetStatus, and the worker process's reports of each run
 * (TaskStarted, TaskCompleted, TaskFailed).
 *
 * Task life:  queued -> running -> completed | failed
 *	       queued | running -> cancelled
 *	       running -> queued again when its worker's process dies
 *	       (attempts counts the runs; after max_attempts it fails)
 */
#include <stdio.h>
#include <string.h>

#include "coordinator.h"
#include "db.h"
#include "log.h"

/* AssignTask {taskId?, kind?, input?, workerId?}. */
int
coord_assign_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord			*c = self->data;
	const struct msg_assign_task	*m = &env->body->assign_task;
	struct msg_task_accepted	 acc;
	struct cworker			*w = NULL, *ran = NULL;
	struct trow			 t;
	msgpack_sbuffer			 sb;
	msgpack_packer			 ipk;
	sqlite3_stmt			*st;
	char				 gen[40], id[NAME_MAX_LEN + 1];
	const char			*kind;
	int				 r, rc = -1;

	if (m->task_id[0] == '\0') {
		env_new_id(gen, sizeof(gen));
		snprintf(id, sizeof(id), "t%s", gen);
	} else if ((r = task_get(c, m->task_id, &t)) != 1) {
		if (r == -1)
			return -1;
		outbox_error(ob, env, ERR_BAD_PAYLOAD, "'taskId' %s already "
		    "exists (%s)", m->task_id, task_status_name(t.status));
		return 0;
	} else
		snprintf(id, sizeof(id), "%s", m->task_id);
	if (m->worker_id[0] != '\0' &&
	    (w = coord_worker(c, m->worker_id)) == NULL) {
		outbox_error(ob, env, ERR_UNKNOWN_ACTOR, "Unknown worker: %s",
		    m->worker_id);
		return 0;
	}
	kind = m->kind[0] != '\0' ? m->kind : "sleep";

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&ipk, &sb, msgpack_sbuffer_write);
	if (m->input.obj != NULL)
		msgpack_pack_object(&ipk, *m->input.obj);
	else if (m->kind[0] == '\0') {
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
	cdb_bind_text(st, 4, m->worker_id);
	sqlite3_bind_int64(st, 5, c->qtail++);
	sqlite3_bind_int64(st, 6, coord_now(c));
	sqlite3_bind_int64(st, 7, ++c->chg);
	if (cdb_run(c, st) == -1)
		goto out;
	c->ntasks[TASK_QUEUED]++;
	recent_touch(c, id, TASK_QUEUED, NULL, 0, NULL, 0, NULL);
	if ((r = task_offer(c, id, m->worker_id, &ran, ob)) == -1)
		goto out;

	memset(&acc, 0, sizeof(acc));
	snprintf(acc.task_id, sizeof(acc.task_id), "%s", id);
	if (r == 1) {
		snprintf(acc.status, sizeof(acc.status), "assigned");
		snprintf(acc.worker_id, sizeof(acc.worker_id), "%s", ran->id);
	} else {
		snprintf(acc.status, sizeof(acc.status), "queued");
		if (w != NULL)
			snprintf(acc.worker_id, sizeof(acc.worker_id), "%s",
			    w->id);
		acc.position = c->ntasks[TASK_QUEUED];
		acc.has_position = true;
	}
	outbox_msg(ob, NULL, env->from, MSG_TASK_ACCEPTED, 1, &acc);
	rc = 0;
out:
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/* CancelTask {taskId}: queued or running. */
int
coord_cancel_task(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord		*c = self->data;
	const char		*id = env->body->task_id.task_id;
	struct cworker		*w;
	struct trow		 t;
	int			 r;

	if ((r = task_get(c, id, &t)) == -1)
		return -1;
	if (r == 1) {
		outbox_error(ob, env, ERR_BAD_PAYLOAD, "Unknown task: %s", id);
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
		outbox_error(ob, env, ERR_BAD_PAYLOAD, "Task %s already %s", id,
		    task_status_name(t.status));
		return 0;
	}
	outbox_msg(ob, NULL, env->from, MSG_TASK_CANCELLED, 1,
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
		to_worker(ob, w->id, MSG_ABORT_TASK, m->task_id);
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
	    m->error[0] != '\0' ? m->error : "failed", ob) == -1)
		return -1;
	if (worker_set_processed(c, w, m->has_processed ?
	    m->processed : w->processed + 1) == -1)
		return -1;
	if (w->status == WORKER_BUSY)
		return worker_freed(c, w, ob);
	return 0;
}

/* TaskCompleted {taskId, workerId, result, processedCount}. */
int
coord_task_completed(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	return task_done(self->data, env, &env->body->task_completed, 0, ob);
}

/* TaskFailed {taskId, workerId, error, processedCount}. */
int
coord_task_failed(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	return task_done(self->data, env, &env->body->task_failed, 1, ob);
}
