/*
 * The coordinator's database at start and on reload: open it (refusing a
 * bad one), rebuild the in-memory indexes from it, close it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "coordinator.h"
#include "db.h"
#include "log.h"
#include "strmap.h"
#include "xmalloc.h"

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

	st = cdb_stmt(c, ST_LOAD_WORKERS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		worker_add(c, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 2),
		    (uint64_t)sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;

	st = cdb_stmt(c, ST_LOAD_RUNNING);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		wid = (const char *)sqlite3_column_text(st, 1);
		w = wid != NULL ? coord_worker(c, wid) : NULL;
		if (w != NULL && w->task[0] == '\0')
			snprintf(w->task, sizeof(w->task), "%s", id);
		else {
			*orphans = xreallocarray(*orphans, *norphans + 1,
			    sizeof(**orphans));
			(*orphans)[(*norphans)++] = xstrdup(id);
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The queues and the task counts: per queue and status (through the
 * partial indexes, no table scan), the paused queues, the queued tasks
 * pinned to each worker; the finished ones from totals.
 */
static int
load_counts(struct coord *c)
{
	struct cqueue	*q;
	struct cworker	*w;
	sqlite3_stmt	*st;
	int64_t		 v, n;
	int		 rc;

	queues_configure(c);
	st = cdb_stmt(c, ST_LOAD_COUNTS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 1);
		if ((n = sqlite3_column_int64(st, 2)) == 0)
			continue;	/* a numbered queue without ready tasks */
		q = queue_make(c, (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 3) == SQLITE_INTEGER)
			q->num = sqlite3_column_int64(st, 3);
		if (v < 0 || v >= TASK_COMPLETED)
			continue;
		c->ntasks[v] += (uint64_t)n;
		if (v == TASK_QUEUED)
			q->queued += (uint64_t)n;
		else if (v == TASK_RUNNING)
			q->running += (uint64_t)n;
		else
			q->waiting += (uint64_t)n;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	st = cdb_stmt(c, ST_LOAD_QUEUES);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		queue_make(c, (const char *)sqlite3_column_text(st, 0))->
		    paused = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	st = cdb_stmt(c, ST_LOAD_PINNED);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((w = coord_worker(c, (const char *)sqlite3_column_text(st,
		    0))) != NULL)
			w->pinned = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	st = cdb_stmt(c, ST_LOAD_TOTALS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		if (TASK_FINISHED(v) && v < TASK_NSTATUS)
			c->ntasks[v] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (cdb_int(c, ST_COUNT_FINISHED, &v) == -1)
		return -1;
	c->nfinished_kept = (uint64_t)v;
	return 0;
}

/* Rebuild the in-memory indexes from the database. */
static int
coord_load(struct coord *c)
{
	struct outbox	 ob;
	char		**orphans = NULL;
	size_t		 norphans = 0, i;
	int		 ret = -1;

	outbox_init(&ob);
	if (events_load(c) == -1 ||
	    load_workers(c, &orphans, &norphans) == -1 ||
	    load_counts(c) == -1 || watch_load(c) == -1 ||
	    sched_due_reload(c) == -1)
		goto out;
	if (cdb_int(c, ST_CHG, &c->chg) == -1)
		goto out;
	c->chg_saved = c->chg;
	if (recent_load(c) == -1)
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
	c->queues = strmap_new();
	c->watchers = strmap_new();
	c->unheard = strmap_new();
	TAILQ_INIT(&c->all);
	TAILQ_INIT(&c->idle);
	TAILQ_INIT(&c->recent);
	TAILQ_INIT(&c->queue_list);
	cmet_init(c);
	if ((c->db = cdb_open(path, conf->synchronous)) == NULL)
		goto fail;
	if (cdb_prepare(c) == -1)
		goto fail;
	db_set_commit_hook(c->db, coord_save_chg, c);
	if (coord_load(c) == -1 || cmet_load(c) == -1)
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
	queues_free(c);
	watch_free(c);
	cmet_free(c);
	strmap_free(c->workers);
	strmap_free(c->recent_map);
	strmap_free(c->queues);
	free(c);
}

/* New settings (SIGHUP); the recent list follows a new length. */
void
coord_reconf(struct coord *c, const struct coord_conf *conf)
{
	int	 old_recent = c->conf.recent_tasks;

	c->conf = *conf;
	queues_configure(c);
	c->redispatch = 1;	/* a limit may have grown */
	if (conf->recent_tasks != old_recent) {
		recent_clear(c);
		if (recent_load(c) == -1)
			log_warnx("reload: cannot reload the recent tasks");
	}
	c->dirty = 1;
}
