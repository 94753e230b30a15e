/*
 * Watchers: who is owed a TaskFinished, and who sees a running command's
 * output.
 *
 * A watch is a row (task, watcher address) of the watches table, written
 * in the transaction of the AssignTask {watch: true} or WatchTask that
 * asks for it, so that a coordinator restart loses none: when the task
 * reaches a final state, each watcher gets one TaskFinished and the rows
 * go (in the transaction of that change, so it is sent once).  A watcher
 * that goes away (its session closes) loses its watches: it watches
 * again by id when it comes back, and gets the TaskFinished at once if
 * the task finished meanwhile.
 *
 * Bounds: at most watches_per_watcher per address (counted in memory,
 * rebuilt at start) and watches_per_task per task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator.h"
#include "db.h"
#include "log.h"
#include "strmap.h"
#include "xmalloc.h"

/* The watch count of an address, as kept in c->watchers. */
static uint64_t *
watch_count(struct coord *c, const char *watcher, int make)
{
	uint64_t	*n = strmap_get(c->watchers, watcher);

	if (n == NULL && make) {
		n = xcalloc(1, sizeof(*n));
		strmap_put(c->watchers, watcher, n);
	}
	return n;
}

/* Take one from an address's count; forget it at zero. */
static void
watch_uncount(struct coord *c, const char *watcher)
{
	uint64_t	*n = strmap_get(c->watchers, watcher);

	if (n != NULL && --*n == 0)
		free(strmap_del(c->watchers, watcher));
}

/* Does task have a watcher?  1 yes, 0 no, -1 error. */
int
watch_any(struct coord *c, const char *task)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_WATCHERS);
	int		 rc;

	cdb_bind_text(st, 1, task);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
watch_add(struct coord *c, const char *task, const char *watcher,
    char *why, size_t whylen)
{
	sqlite3_stmt	*st;
	uint64_t	*n = watch_count(c, watcher, 0);
	int		 ntask = 0, rc;

	st = cdb_stmt(c, ST_WATCHERS);
	cdb_bind_text(st, 1, task);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (strcmp((const char *)sqlite3_column_text(st, 0),
		    watcher) == 0) {
			sqlite3_reset(st);
			return 0;	/* watching already */
		}
		ntask++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	/* Only a new watch counts against the bounds. */
	if (n != NULL && *n >= (uint64_t)c->conf.watches_per_watcher) {
		snprintf(why, whylen, "Too many watched tasks: at most %d",
		    c->conf.watches_per_watcher);
		return 1;
	}
	if (ntask >= c->conf.watches_per_task) {
		snprintf(why, whylen, "Too many watchers of task %s: at most "
		    "%d", task, c->conf.watches_per_task);
		return 1;
	}
	if (db_begin(c->db) == -1)
		return -1;
	st = cdb_stmt(c, ST_WATCH_ADD);
	cdb_bind_text(st, 1, task);
	cdb_bind_text(st, 2, watcher);
	if (cdb_run(c, st) == -1)
		return -1;
	(*watch_count(c, watcher, 1))++;
	return 0;
}

/* TaskFinished m to every watcher of its task, then no more watches. */
int
watch_finished(struct coord *c, const struct msg_task_finished *m,
    struct outbox *ob)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_WATCHERS);
	const char	*w;
	int		 rc, n = 0;

	cdb_bind_text(st, 1, m->task_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		w = (const char *)sqlite3_column_text(st, 0);
		outbox_msg(ob, NULL, w, MSG_TASK_FINISHED, 0, m);
		watch_uncount(c, w);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (n == 0)
		return 0;
	st = cdb_stmt(c, ST_WATCH_DONE);
	cdb_bind_text(st, 1, m->task_id);
	return cdb_run(c, st);
}

/* A running command's output to every watcher of its task. */
int
watch_output(struct coord *c, const struct msg_task_output *m,
    struct outbox *ob)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_WATCHERS);
	int		 rc;

	cdb_bind_text(st, 1, m->task_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		outbox_msg(ob, NULL, (const char *)sqlite3_column_text(st, 0),
		    MSG_TASK_OUTPUT, 0, m);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * A watcher went away: its watches go, and a running task that nobody
 * watches any more is told to stop streaming its output.
 */
int
watch_drop(struct coord *c, const char *watcher, struct outbox *ob)
{
	struct msg_stream_output	 so;
	struct trow			 t;
	sqlite3_stmt			*st;
	char				(*tasks)[NAME_MAX_LEN + 1] = NULL;
	char				 addr[ADDR_MAX + 1];
	size_t				 n = 0, i;
	int				 rc;

	if (watch_count(c, watcher, 0) == NULL)
		return 0;
	if (db_begin(c->db) == -1)
		return -1;
	st = cdb_stmt(c, ST_WATCH_DROP);
	cdb_bind_text(st, 1, watcher);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tasks = xreallocarray(tasks, n + 1, sizeof(*tasks));
		snprintf(tasks[n++], sizeof(*tasks), "%s",
		    (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	free(strmap_del(c->watchers, watcher));
	rc = rc == SQLITE_DONE ? 0 : -1;
	for (i = 0; i < n && rc != -1; i++) {
		/* Watched by another still, or gone: nothing to stop. */
		if ((rc = watch_any(c, tasks[i])) != 0)
			continue;
		if ((rc = task_get(c, tasks[i], &t)) != 0 ||
		    t.status != TASK_RUNNING)
			continue;
		memset(&so, 0, sizeof(so));
		snprintf(so.task_id, sizeof(so.task_id), "%s", tasks[i]);
		worker_address(c, t.worker, addr, sizeof(addr));
		outbox_msg(ob, NULL, addr, MSG_STREAM_OUTPUT, 0, &so);
	}
	free(tasks);
	return rc == -1 ? -1 : 0;
}

/*
 * The watch counts per address, from the watches table (start).  A
 * watcher of this host is unheard until it connects again: one that went
 * while we were down never will, and nothing else would tell us.  (One
 * of another host is the link's to tell of: PeerGone.)
 */
int
watch_load(struct coord *c)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_LOAD_WATCHES);
	const char	*addr;
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		addr = (const char *)sqlite3_column_text(st, 0);
		*watch_count(c, addr, 1) =
		    (uint64_t)sqlite3_column_int64(st, 1);
		if (strchr(addr, '@') == NULL)
			strmap_put(c->unheard, addr, c);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void
watch_heard(struct coord *c, const char *addr)
{
	strmap_del(c->unheard, addr);
}

/* Addresses, gathered from a map before it changes. */
struct addrs {
	char	(*v)[ADDR_MAX + 1];
	size_t	  n;
};

/* strmap_each() callback: collect an unheard watcher's address. */
static void
unheard_take(const char *key, void *val, void *arg)
{
	struct addrs	*a = arg;

	(void)val;
	snprintf(a->v[a->n++], sizeof(*a->v), "%s", key);
}

int
watch_unheard_drop(struct coord *c, struct outbox *ob)
{
	struct addrs	 a;
	uint64_t	*n;
	size_t		 i;
	int		 rc = 0;

	a.n = 0;
	a.v = xreallocarray(NULL, strmap_count(c->unheard) + 1,
	    sizeof(*a.v));
	strmap_each(c->unheard, unheard_take, &a);
	for (i = 0; i < a.n && rc == 0; i++) {
		strmap_del(c->unheard, a.v[i]);
		if ((n = watch_count(c, a.v[i], 0)) == NULL)
			continue;
		log_info("%s did not connect again within %d ms of the start: "
		    "its %llu watches dropped", a.v[i], c->conf.watch_keep_ms,
		    (unsigned long long)*n);
		rc = watch_drop(c, a.v[i], ob);
	}
	free(a.v);
	return rc;
}

/* strmap_each() callback: free a count. */
static void
count_free(const char *key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	free(val);
}

void
watch_free(struct coord *c)
{
	if (c->watchers == NULL)
		return;
	strmap_each(c->watchers, count_free, NULL);
	strmap_free(c->watchers);
	c->watchers = NULL;
	if (c->unheard != NULL)
		strmap_free(c->unheard);
	c->unheard = NULL;
}
