/*
 * The coordinator's snapshot (StatusUpdated), its inspect summary and the
 * bounded 'recent' list behind both.
 *
 * StatusUpdated {
 *	workers: [{workerId, status, currentTask, processedCount}],
 *	workersTotal,			(workers may be cut at 5,000)
 *	queue: {length, next: [taskId...]},	(queue_preview ids)
 *	tasks: {queued, running, completed, failed, cancelled},
 *	recent: [{taskId, status, workerId, attempts, result?, error?}]
 * }
 * 'recent' holds the recent_tasks tasks that changed last, newest first,
 * each once; a result over 1 KiB is left out of it.
 */
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "coordinator.h"
#include "db.h"
#include "log.h"
#include "strmap.h"
#include "xmalloc.h"


static const char *const task_status_names[TASK_NSTATUS] = {
	"queued", "running", "completed", "failed", "cancelled", "scheduled",
	"retrying",
};
static const char *const worker_status_names[WORKER_NSTATUS] = {
	"offline", "idle", "busy",
};

const char *
task_status_name(enum task_status s)
{
	return (unsigned)s < TASK_NSTATUS ? task_status_names[s] : "unknown";
}

int
task_status_lookup(const char *name)
{
	int	 i;

	for (i = 0; i < TASK_NSTATUS; i++)
		if (strcmp(task_status_names[i], name) == 0)
			return i;
	return -1;
}

const char *
worker_status_name(enum worker_status s)
{
	return (unsigned)s < WORKER_NSTATUS ? worker_status_names[s] :
	    "unknown";
}

/* Forget one entry of the 'recent' list. */
static void
recent_drop(struct coord *c, struct recent *r)
{
	TAILQ_REMOVE(&c->recent, r, entry);
	strmap_del(c->recent_map, r->task);
	c->nrecent--;
	free(r->result);
	free(r->error);
	free(r);
}

/* Fill an entry's fields (the old result and error are freed). */
static void
recent_fill(struct recent *r, enum task_status status, const char *worker,
    int64_t attempts, const void *result, size_t resultlen,
    const char *error)
{
	free(r->result);
	free(r->error);
	r->result = NULL;
	r->resultlen = 0;
	r->error = NULL;
	r->status = status;
	r->attempts = attempts;
	name_copy(r->worker, worker != NULL ? worker : "", sizeof(r->worker));
	if (result != NULL && resultlen > 0 && resultlen <= RESULT_RECENT_MAX) {
		r->result = xmalloc(resultlen);
		memcpy(r->result, result, resultlen);
		r->resultlen = resultlen;
	}
	if (error != NULL)
		r->error = xstrdup(error);
}

/* Task task changed: move it to the head of 'recent', dropping the oldest. */
void
recent_touch(struct coord *c, const char *task, enum task_status status,
    const char *worker, int64_t attempts, const void *result,
    size_t resultlen, const char *error)
{
	struct recent	*r;

	c->dirty = 1;
	if (c->conf.recent_tasks <= 0)
		return;
	if ((r = strmap_get(c->recent_map, task)) != NULL)
		TAILQ_REMOVE(&c->recent, r, entry);
	else {
		/* A new task takes the oldest entry's place when full. */
		if (c->nrecent >= (size_t)c->conf.recent_tasks) {
			r = TAILQ_LAST(&c->recent, recent_list);
			TAILQ_REMOVE(&c->recent, r, entry);
			strmap_del(c->recent_map, r->task);
		} else {
			r = xcalloc(1, sizeof(*r));
			c->nrecent++;
		}
		name_copy(r->task, task, sizeof(r->task));
		strmap_put(c->recent_map, r->task, r);
	}
	recent_fill(r, status, worker, attempts, result, resultlen, error);
	TAILQ_INSERT_HEAD(&c->recent, r, entry);
	while (c->nrecent > (size_t)c->conf.recent_tasks)
		recent_drop(c, TAILQ_LAST(&c->recent, recent_list));
}

void
recent_forget(struct coord *c, const char *task)
{
	struct recent	*r;

	if ((r = strmap_get(c->recent_map, task)) != NULL) {
		recent_drop(c, r);
		c->dirty = 1;
	}
}

/* Empty the 'recent' list. */
void
recent_clear(struct coord *c)
{
	struct recent	*r;

	while ((r = TAILQ_FIRST(&c->recent)) != NULL)
		recent_drop(c, r);
}

/*
 * The n tasks that changed last, newest first (id, status, worker,
 * attempts, result, error, chg): ST_NEWEST, which says how without an
 * index on chg.
 */
static sqlite3_stmt *
newest_tasks(struct coord *c, int n)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_NEWEST);

	sqlite3_bind_int(st, 1, n);
	return st;
}

/* Step a newest_tasks() statement; SQLITE_ROW, SQLITE_DONE or logged. */
static int
newest_step(struct coord *c, sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		log_warnx("coordinator.db: the newest tasks: %s",
		    sqlite3_errmsg(db_handle(c->db)));
	return rc;
}

/* Fill the 'recent' list from the tasks that changed last. */
int
recent_load(struct coord *c)
{
	struct recent	*r;
	sqlite3_stmt	*st;
	const char	*id, *worker, *error;
	int		 rc;

	if (c->conf.recent_tasks <= 0)
		return 0;
	st = newest_tasks(c, c->conf.recent_tasks);
	while ((rc = newest_step(c, st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		if (strmap_get(c->recent_map, id) != NULL)
			continue;
		worker = (const char *)sqlite3_column_text(st, 2);
		error = (const char *)sqlite3_column_text(st, 5);
		r = xcalloc(1, sizeof(*r));
		snprintf(r->task, sizeof(r->task), "%s", id);
		recent_fill(r, (enum task_status)sqlite3_column_int(st, 1),
		    worker, sqlite3_column_int64(st, 3),
		    sqlite3_column_blob(st, 4),
		    (size_t)sqlite3_column_bytes(st, 4), error);
		strmap_put(c->recent_map, r->task, r);
		TAILQ_INSERT_TAIL(&c->recent, r, entry);
		c->nrecent++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Pack the workers list, cut at STATUS_WORKERS_MAX. */
static void
pack_workers(struct coord *c, msgpack_packer *pk)
{
	struct cworker	*w;
	size_t		 n = c->nworkers, i = 0;

	if (n > STATUS_WORKERS_MAX)
		n = STATUS_WORKERS_MAX;
	mp_pack_str(pk, "workers");
	msgpack_pack_array(pk, n);
	TAILQ_FOREACH(w, &c->all, entry) {
		if (i++ == n)
			break;
		msgpack_pack_map(pk, w->host[0] != '\0' ? 5 : 4);
		mp_pack_kv_str(pk, "workerId", w->id);
		if (w->host[0] != '\0')	/* on another cluster host */
			mp_pack_kv_str(pk, "host", w->host);
		mp_pack_kv_str(pk, "status", worker_status_name(w->status));
		mp_pack_str(pk, "currentTask");
		if (w->task[0] != '\0')
			mp_pack_str(pk, w->task);
		else
			msgpack_pack_nil(pk);
		mp_pack_kv_uint(pk, "processedCount", w->processed);
	}
	mp_pack_kv_uint(pk, "workersTotal", c->nworkers);
}

/*
 * Pack queue {length, next, queues}: the first queue_preview ids in the
 * order they would start, and each queue: {name, paused, queued, running,
 * waiting, concurrency}.
 */
static int
pack_queue(struct coord *c, msgpack_packer *pk)
{
	struct cqueue	*q;
	char		(*ids)[NAME_MAX_LEN + 1];
	size_t		 n = 0, max = (size_t)c->conf.queue_preview, i;
	int		 rc;

	ids = xcalloc(max ? max : 1, sizeof(*ids));
	rc = sched_preview(c, ids, max, &n);
	mp_pack_str(pk, "queue");
	msgpack_pack_map(pk, 3);
	mp_pack_kv_uint(pk, "length", c->ntasks[TASK_QUEUED]);
	mp_pack_str(pk, "next");
	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++)
		mp_pack_str(pk, ids[i]);
	free(ids);
	mp_pack_str(pk, "queues");
	msgpack_pack_array(pk, c->nqueues);
	TAILQ_FOREACH(q, &c->queue_list, entry) {
		msgpack_pack_map(pk, 6);
		mp_pack_kv_str(pk, "name", q->name);
		mp_pack_kv_bool(pk, "paused", q->paused);
		mp_pack_kv_uint(pk, "queued", q->queued);
		mp_pack_kv_uint(pk, "running", q->running);
		mp_pack_kv_uint(pk, "waiting", q->waiting);
		mp_pack_kv_uint(pk, "concurrency", q->concurrency);
	}
	return rc;
}

/* Pack the 'recent' list, newest first. */
static void
pack_recent(struct coord *c, msgpack_packer *pk)
{
	struct recent	*r;

	mp_pack_str(pk, "recent");
	msgpack_pack_array(pk, c->nrecent);
	TAILQ_FOREACH(r, &c->recent, entry) {
		msgpack_pack_map(pk, 4 + (r->result != NULL) +
		    (r->error != NULL));
		mp_pack_kv_str(pk, "taskId", r->task);
		mp_pack_kv_str(pk, "status", task_status_name(r->status));
		mp_pack_str(pk, "workerId");
		if (r->worker[0] != '\0')
			mp_pack_str(pk, r->worker);
		else
			msgpack_pack_nil(pk);
		mp_pack_kv_uint(pk, "attempts", (uint64_t)r->attempts);
		if (r->result != NULL) {
			mp_pack_str(pk, "result");
			mp_pack_raw(pk, r->result, r->resultlen);
		}
		if (r->error != NULL)
			mp_pack_kv_str(pk, "error", r->error);
	}
}

/* Pack the StatusUpdated payload. */
int
coord_pack_status(struct coord *c, msgpack_packer *pk)
{
	int	 i;

	msgpack_pack_map(pk, c->conf.host[0] != '\0' ? 6 : 5);
	if (c->conf.host[0] != '\0')
		hosts_pack(pk, &c->hosts, c->conf.host, c->conf.roles);
	pack_workers(c, pk);
	if (pack_queue(c, pk) == -1)
		return -1;
	mp_pack_str(pk, "tasks");
	msgpack_pack_map(pk, TASK_NSTATUS);
	for (i = 0; i < TASK_NSTATUS; i++)
		mp_pack_kv_uint(pk, task_status_name(i), c->ntasks[i]);
	pack_recent(c, pk);
	return 0;
}

/* Pack the coordinator's `inspect` summary. */
void
coord_pack_inspect(struct coord *c, msgpack_packer *pk, size_t subscribers)
{
	int	 i;

	msgpack_pack_map(pk, 11 + TASK_NSTATUS + WORKER_NSTATUS);
	mp_pack_kv_uint(pk, "subscribers", subscribers);
	mp_pack_kv_uint(pk, "watchers", strmap_count(c->watchers));
	mp_pack_kv_uint(pk, "watchersUnheard", c->unheard != NULL ?
	    strmap_count(c->unheard) : 0);
	mp_pack_kv_uint(pk, "queueLength", c->ntasks[TASK_QUEUED]);
	mp_pack_kv_int(pk, "nextDueAt", c->due_at);
	for (i = 0; i < TASK_NSTATUS; i++)
		mp_pack_kv_uint(pk, task_status_name(i), c->ntasks[i]);
	mp_pack_kv_uint(pk, "workers", c->nworkers);
	for (i = 0; i < WORKER_NSTATUS; i++)
		mp_pack_kv_uint(pk, worker_status_name(i), c->nstatus[i]);
	mp_pack_kv_int(pk, "dbBytes", db_size(c->db));
	mp_pack_kv_int(pk, "schemaVersion", db_version(c->db));
	events_pack_inspect(c, pk);
}
