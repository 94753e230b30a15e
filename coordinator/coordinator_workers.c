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

/*
 * Where a new worker runs: the host asked for ("" for this one), or the
 * live worker host with the fewest workers.  -1 with why when none is.
 */
static int
choose_host(struct coord *c, const char *asked, char *host, size_t size,
    char *why, size_t whylen)
{
	struct cworker	*w;
	struct host_entry *h;
	size_t		 i, n, best = SIZE_MAX;

	host[0] = '\0';
	if (asked[0] != '\0') {
		if (!host_valid(asked, strlen(asked))) {
			snprintf(why, whylen, "Invalid 'host': %s is not a "
			    "host name", asked);
			return -1;
		}
		if (c->conf.host[0] == '\0') {
			snprintf(why, whylen, "Invalid 'host': no cluster is "
			    "configured");
			return -1;
		}
		if (strcmp(asked, c->conf.host) == 0) {
			if (c->conf.roles & ROLE_WORKER)
				return 0;	/* this host: "" */
			snprintf(why, whylen, "Invalid 'host': %s runs no "
			    "workers ([cluster] roles)", asked);
			return -1;
		}
		if ((h = hosts_find(&c->hosts, asked)) == NULL ||
		    !(h->roles & ROLE_WORKER)) {
			snprintf(why, whylen, "Invalid 'host': %s is not a "
			    "worker host of the cluster", asked);
			return -1;
		}
		snprintf(host, size, "%s", asked);
		return 0;
	}
	if (c->conf.host[0] == '\0')
		return 0;
	if (c->conf.roles & ROLE_WORKER) {
		best = 0;
		TAILQ_FOREACH(w, &c->all, entry)
			best += w->host[0] == '\0';
	}
	for (i = 0; i < c->hosts.n; i++) {
		h = &c->hosts.h[i];
		if (!h->up || !(h->roles & ROLE_WORKER))
			continue;
		n = 0;
		TAILQ_FOREACH(w, &c->all, entry)
			n += strcmp(w->host, h->name) == 0;
		if (n < best) {
			best = n;
			snprintf(host, size, "%s", h->name);
		}
	}
	if (best == SIZE_MAX) {
		snprintf(why, whylen, "No worker host is up");
		return -1;
	}
	return 0;
}

/* RegisterWorker {workerId, host?}: idempotent. */
int
coord_register_worker(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord			*c = self->data;
	const struct msg_register_worker *m = &env->body->register_worker;
	const char			*id = m->worker_id;
	struct msg_worker_id		 reply;
	struct cworker			*w;
	sqlite3_stmt			*st;
	char				 host[HOST_MAX + 1], why[256];

	if ((w = coord_worker(c, id)) == NULL) {
		if (c->nworkers >= (size_t)c->conf.max_workers) {
			outbox_error(ob, env, ERR_RATE_LIMITED, "Too many "
			    "workers: at most %d (max_workers)",
			    c->conf.max_workers);
			return 0;
		}
		if (choose_host(c, m->host, host, sizeof(host), why,
		    sizeof(why)) == -1) {
			outbox_error(ob, env, m->host[0] != '\0' ?
			    ERR_BAD_PAYLOAD : ERR_UNAVAILABLE, "%s", why);
			return 0;
		}
		st = cdb_stmt(c, ST_WORKER_INSERT);
		cdb_bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, coord_now(c));
		sqlite3_bind_text(st, 3, host, -1, SQLITE_STATIC);
		if (cdb_run(c, st) == -1)
			return -1;
		w = worker_add(c, id, host, 0);
		if (activity(c, ob, "info", NULL, id, -1,
		    "worker %s registered%s%s", id, host[0] ? " on " : "",
		    host) == -1)
			return -1;
	}
	if (w->status == WORKER_OFFLINE)
		to_worker(ob, id, w->host, MSG_START_WORKER, NULL);
	snprintf(reply.worker_id, sizeof(reply.worker_id), "%s", id);
	outbox_msg(ob, NULL, env->from, MSG_WORKER_REGISTERED, 1, &reply);
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
	char			 host[HOST_MAX + 1];

	if ((w = coord_worker(c, id)) == NULL) {
		outbox_error(ob, env, ERR_UNKNOWN_ACTOR, "Unknown worker: %s",
		    id);
		return 0;
	}
	snprintf(task, sizeof(task), "%s", w->task);
	snprintf(host, sizeof(host), "%s", w->host);
	worker_remove(c, w);
	st = cdb_stmt(c, ST_WORKER_DELETE);
	cdb_bind_text(st, 1, id);
	if (cdb_run(c, st) == -1)
		return -1;
	to_worker(ob, id, host, MSG_STOP_WORKER, NULL);
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
	struct addr			 from;
	char				 task[NAME_MAX_LEN + 1];
	char				 host[HOST_MAX + 1];
	int				 failed;

	if (addr_parse(env->from, strlen(env->from), &from) == -1 ||
	    from.kindbit != K_WORKER || from.namelen !=
	    strlen(m->worker_id) || memcmp(from.name, m->worker_id,
	    from.namelen) != 0) {
		log_warnx("WorkerState for %s from %s; dropped", m->worker_id,
		    env->from);
		return 0;
	}
	snprintf(host, sizeof(host), "%.*s", (int)from.hostlen,
	    from.host != NULL ? from.host : "");
	if ((w = coord_worker(c, m->worker_id)) == NULL) {
		to_worker(ob, m->worker_id, host, MSG_STOP_WORKER, NULL);
		return 0;
	}
	if (strcmp(w->host, host) != 0) {
		/* Left on a host it no longer belongs to: stop that one. */
		to_worker(ob, m->worker_id, host, MSG_STOP_WORKER, NULL);
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
			    m->last_error[0] ? m->last_error : "failed",
			    m->last_code[0] ? m->last_code : NULL, ob) == -1)
				return -1;
		} else {
			w->task[0] = '\0';
			if (task_requeue(c, task, 1, ob) == -1)
				return -1;
		}
	}
	if (m->current_task[0] != '\0')
		to_worker(ob, w->id, w->host, MSG_ABORT_TASK, m->current_task);
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
		if (w->host[0] != '\0')
			continue;	/* on another host: its own rules */
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
		if (w->status == WORKER_OFFLINE && w->host[0] == '\0')
			to_worker(ob, w->id, w->host, MSG_START_WORKER, NULL);
	return 0;
}

/*
 * HostState {host, state, incarnation, roles} from the link: a cluster
 * host is
 *
 *	up	StartWorker to its offline workers; each answers with its
 *		announcement, reconciled as the worker process's are
 *	down	its workers offline at once; their running tasks wait
 *	dead	down for host_dead_after_s: its workers' running tasks are
 *		requeued (they may have run there: at-least-once)
 *
 * A host that comes back as a new incarnation was down first (the link
 * says so), so its stale runs are aborted by the reconciliation.
 */
int
coord_host_state(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord			*c = self->data;
	const struct msg_host_state	*m = &env->body->host_state;
	struct host_entry		*h;
	struct cworker			*w;
	char				 task[NAME_MAX_LEN + 1];
	size_t				 nworkers = 0, ntasks = 0;

	if (strcmp(m->host, c->conf.host) == 0)
		return 0;
	if ((h = hosts_update(&c->hosts, m)) == NULL)
		return 0;
	c->dirty = 1;		/* the status lists the hosts */
	if (db_begin(c->db) == -1)
		return -1;
	TAILQ_FOREACH(w, &c->all, entry) {
		if (strcmp(w->host, m->host) != 0)
			continue;
		if (h->up) {
			if (w->status == WORKER_OFFLINE)
				to_worker(ob, w->id, w->host,
				    MSG_START_WORKER, NULL);
			continue;
		}
		if (w->status != WORKER_OFFLINE)
			nworkers++;
		worker_set_status(c, w, WORKER_OFFLINE);
		if (strcmp(m->state, "dead") == 0 && w->task[0] != '\0') {
			snprintf(task, sizeof(task), "%s", w->task);
			w->task[0] = '\0';
			ntasks++;
			if (task_requeue(c, task, 1, ob) == -1)
				return -1;
		}
	}
	log_info("host %s is %s", m->host, m->state);
	if (!h->up && (nworkers > 0 || ntasks > 0) && activity(c, ob, "warn",
	    NULL, NULL, -1, "host %s is %s: %zu workers offline, %zu running "
	    "tasks requeued", m->host, m->state, nworkers, ntasks) == -1)
		return -1;
	return c->redispatch ? coord_dispatch(c, ob) : 0;
}
