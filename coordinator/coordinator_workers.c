/*
 * The coordinator's worker handlers: RegisterWorker and UnregisterWorker
 * from clients, and the reconciliation with the worker process.
 *
 * Workers are offline until the worker process announces them with a
 * WorkerState push: after RegisterWorker (which sends StartWorker), after
 * the coordinator starts, and after the worker process comes back.  The
 * announcement carries the worker's current task and its last outcome, so
 * that a TaskCompleted lost with a dead coordinator is not run twice.
 */
#include <stdio.h>
#include <string.h>

#include "coordinator.h"
#include "db.h"
#include "log.h"

/* RegisterWorker {workerId}: idempotent. */
int
coord_register_worker(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord		*c = self->data;
	const char		*id = env->body->worker_id.worker_id;
	struct cworker		*w;
	sqlite3_stmt		*st;

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
	outbox_msg(ob, NULL, env->from, MSG_WORKER_REGISTERED, 1,
	    &env->body->worker_id);
	return 0;
}

/* UnregisterWorker {workerId}: its running task goes back to the queue. */
int
coord_unregister_worker(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord		*c = self->data;
	const char		*id = env->body->worker_id.worker_id;
	struct cworker		*w;
	sqlite3_stmt		*st;
	char			 task[NAME_MAX_LEN + 1];

	if ((w = coord_worker(c, id)) == NULL) {
		outbox_error(ob, env, ERR_UNKNOWN_ACTOR, "Unknown worker: %s",
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
	outbox_msg(ob, NULL, env->from, MSG_WORKER_UNREGISTERED, 1,
	    &env->body->worker_id);
	return c->redispatch ? coord_dispatch(c, ob) : 0;
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
int
coord_worker_state(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord			*c = self->data;
	const struct msg_worker_state	*m = &env->body->worker_state;
	struct cworker			*w;
	char				 task[NAME_MAX_LEN + 1];
	int				 failed;

	if (strncmp(env->from, "worker:", 7) != 0 ||
	    strcmp(env->from + 7, m->worker_id) != 0) {
		log_warnx("WorkerState for %s from %s; dropped", m->worker_id,
		    env->from);
		return 0;
	}
	if ((w = coord_worker(c, m->worker_id)) == NULL) {
		to_worker(ob, m->worker_id, MSG_STOP_WORKER, NULL);
		return 0;
	}
	if (w->status != WORKER_OFFLINE)
		return 0;
	if (db_begin(c->db) == -1)
		return -1;
	if (worker_set_processed(c, w, m->processed) == -1)
		return -1;
	if (w->task[0] != '\0') {
		if (strcmp(m->current_task, w->task) == 0) {
			worker_set_status(c, w, WORKER_BUSY);
			return 0;
		}
		snprintf(task, sizeof(task), "%s", w->task);
		failed = strcmp(m->last_status, "failed") == 0;
		if (strcmp(m->last_task, task) == 0 &&
		    (failed || strcmp(m->last_status, "completed") == 0)) {
			if (task_outcome(c, w, task, failed, &m->last_result,
			    m->last_error[0] ? m->last_error : "failed", NULL,
			    ob) == -1)
				return -1;
		} else {
			w->task[0] = '\0';
			if (task_requeue(c, task, 1, ob) == -1)
				return -1;
		}
	}
	if (m->current_task[0] != '\0')
		to_worker(ob, w->id, MSG_ABORT_TASK, m->current_task);
	if (worker_freed(c, w, ob) == -1)
		return -1;
	return c->redispatch ? coord_dispatch(c, ob) : 0;
}

/*
 * The worker process went away: every worker offline.  Their running
 * tasks stay theirs until each worker's announcement, when the process is
 * back, says what became of them (coord_worker_state): a task the worker
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
