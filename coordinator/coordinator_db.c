/*
 * The coordinator's database: its schema, brought up to date by the
 * migrations below (PRAGMA user_version counts them), and every statement
 * the state machine runs, prepared once.
 *
 * Schema version 4:
 *
 *	workers	  the registry: id, the finished-task count, when it was
 *		  registered (its rowid keeps the registration order)
 *	tasks	  every task not yet pruned.  status 0 queued, 1 running,
 *		  2 completed, 3 failed, 4 cancelled; qseq orders the queue
 *		  while queued; worker is the one running it (or that ran
 *		  it); pin the worker it must run on; chg the change number
 *		  of its last change ('recent' and pruning follow it)
 *	totals	  finished tasks ever, per status, so that pruning old
 *		  rows keeps the counters
 *	dedupe	  (sender, message id) -> the reply that was sent, for
 *		  dedupe_window_s; rowids follow the order of insertion
 *		  (a replaced row gets a new one), so the rows that expire
 *		  first lead the table (version 4)
 *	events_out  the event outbox (version 3): each activity event
 *		  (seq, level, message, data) until the event log has
 *		  acknowledged it; seq numbers the coordinator's events
 *	meta	  from version 1; 'events_done' holds the last event
 *		  number deleted, so that the numbering goes on after the
 *		  outbox was emptied
 *
 * The partial indexes are the queue: tasks_free orders the unpinned
 * queued tasks, tasks_pinned the pinned ones per worker, so that the head
 * for a worker is two LIMIT 1 probes whatever the queue's length;
 * tasks_pinq orders the pinned ones across workers, for the 'next' list.
 *
 * Every index costs each write of a task (AssignTask, start, finish), so
 * version 4 keeps only those a message needs: 'next' merges tasks_free
 * and tasks_pinq instead of a third index over the whole queue, and the
 * newest changes are found at start from the ends of the queue, the
 * running tasks and tasks_done instead of an index on chg (see
 * newest_tasks() in coordinator_status.c).  The dedupe table lost its
 * index on the time: the rowid order serves the pruning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator.h"
#include "db.h"
#include "log.h"

const char *const coord_migrations[] = {
	/* 1: the placeholder that shipped first. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value)",

	/* 2: the registry, the queue, the counters, the dedupe window. */
	"CREATE TABLE workers ("
	"  id TEXT PRIMARY KEY,"
	"  processed INTEGER NOT NULL DEFAULT 0,"
	"  registered INTEGER NOT NULL);"
	"CREATE TABLE tasks ("
	"  id TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  input BLOB,"
	"  pin TEXT,"
	"  status INTEGER NOT NULL,"
	"  worker TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  qseq INTEGER,"
	"  result BLOB,"
	"  error TEXT,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  chg INTEGER NOT NULL);"
	"CREATE INDEX tasks_queue ON tasks(qseq) WHERE status = 0;"
	"CREATE INDEX tasks_free ON tasks(qseq)"
	"  WHERE status = 0 AND pin IS NULL;"
	"CREATE INDEX tasks_pinned ON tasks(pin, qseq)"
	"  WHERE status = 0 AND pin IS NOT NULL;"
	"CREATE INDEX tasks_running ON tasks(worker) WHERE status = 1;"
	"CREATE INDEX tasks_chg ON tasks(chg);"
	"CREATE INDEX tasks_done ON tasks(chg) WHERE status >= 2;"
	"CREATE TABLE totals ("
	"  status INTEGER PRIMARY KEY,"
	"  n INTEGER NOT NULL);"
	"INSERT INTO totals VALUES (2, 0), (3, 0), (4, 0);"
	"CREATE TABLE dedupe ("
	"  sender TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  payload BLOB NOT NULL,"
	"  UNIQUE (sender, id));"
	"CREATE INDEX dedupe_at ON dedupe(at);",

	/* 3: the event outbox. */
	"CREATE TABLE events_out ("
	"  seq INTEGER PRIMARY KEY,"
	"  level TEXT NOT NULL,"
	"  message TEXT NOT NULL,"
	"  data BLOB)",

	/* 4: fewer indexes to write per command (see the top). */
	"DROP INDEX tasks_queue;"
	"DROP INDEX tasks_chg;"
	"CREATE INDEX tasks_pinq ON tasks(qseq)"
	"  WHERE status = 0 AND pin IS NOT NULL;"
	"DROP INDEX dedupe_at;",
};
const int coord_nmigrations = sizeof(coord_migrations) /
    sizeof(coord_migrations[0]);

#define NEWEST_COLS	"id, status, worker, attempts, result, error, chg"

/* The statements, indexed by enum cstmt. */
static const char *const stmt_sql[ST_COUNT] = {
	[ST_TASK_INSERT] =
	    "INSERT INTO tasks (id, kind, input, pin, status, attempts, qseq,"
	    " created, updated, chg) VALUES (?1, ?2, ?3, ?4, 0, 0, ?5, ?6,"
	    " ?6, ?7)",
	[ST_TASK_GET] =
	    "SELECT status, worker, pin, attempts FROM tasks WHERE id = ?1",
	[ST_TASK_START] =
	    "UPDATE tasks SET status = 1, worker = ?2, attempts = attempts + 1,"
	    " qseq = NULL, updated = ?3, chg = ?4 WHERE id = ?1 AND status = 0"
	    " RETURNING kind, input, attempts",
	[ST_TASK_FINISH] =
	    "UPDATE tasks SET status = ?2, result = ?3, error = ?4,"
	    " qseq = NULL, updated = ?5, chg = ?6 WHERE id = ?1",
	[ST_TASK_REQUEUE] =
	    "UPDATE tasks SET status = 0, worker = NULL, qseq = ?2,"
	    " updated = ?3, chg = ?4 WHERE id = ?1",
	[ST_FREE_HEAD] =
	    "SELECT id, qseq FROM tasks WHERE status = 0 AND pin IS NULL"
	    " ORDER BY qseq LIMIT 1",
	[ST_PIN_HEAD] =
	    "SELECT id, qseq FROM tasks WHERE status = 0 AND pin = ?1"
	    " ORDER BY qseq LIMIT 1",
	[ST_QUEUE_NEXT] =
	    "SELECT id, qseq FROM (SELECT id, qseq FROM tasks"
	    " WHERE status = 0 AND pin IS NULL ORDER BY qseq LIMIT ?1)"
	    " UNION ALL SELECT id, qseq FROM (SELECT id, qseq FROM tasks"
	    " WHERE status = 0 AND pin IS NOT NULL ORDER BY qseq LIMIT ?1)"
	    " ORDER BY 2 LIMIT ?1",
	[ST_WORKER_INSERT] =
	    "INSERT INTO workers (id, processed, registered)"
	    " VALUES (?1, 0, ?2)",
	[ST_WORKER_DELETE] =
	    "DELETE FROM workers WHERE id = ?1",
	[ST_WORKER_PROCESSED] =
	    "UPDATE workers SET processed = ?2 WHERE id = ?1",
	[ST_TOTAL_ADD] =
	    "UPDATE totals SET n = n + 1 WHERE status = ?1",
	[ST_DONE_PRUNE] =
	    "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks"
	    " WHERE status >= 2 ORDER BY chg LIMIT ?1)",
	[ST_DEDUPE_GET] =
	    "SELECT type, payload FROM dedupe WHERE sender = ?1 AND id = ?2"
	    " AND at >= ?3",
	[ST_DEDUPE_PUT] =
	    "INSERT OR REPLACE INTO dedupe (sender, id, at, type, payload)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_DEDUPE_OLDEST] =
	    "SELECT at FROM dedupe ORDER BY rowid LIMIT 1",
	[ST_DEDUPE_PRUNE] =
	    "DELETE FROM dedupe WHERE rowid IN (SELECT rowid FROM (SELECT"
	    " rowid, at FROM dedupe ORDER BY rowid LIMIT ?2) WHERE at < ?1)",
	[ST_EVENT_INSERT] =
	    "INSERT INTO events_out (seq, level, message, data)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[ST_EVENT_FROM] =
	    "SELECT seq, level, message, data FROM events_out WHERE seq > ?1"
	    " ORDER BY seq LIMIT ?2",
	[ST_EVENT_TRIM] =
	    "DELETE FROM events_out WHERE seq <= ?1",
	[ST_EVENT_DONE] =
	    "INSERT OR REPLACE INTO meta (key, value)"
	    " VALUES ('events_done', ?1)",
	[ST_EVENT_SHIFT] =
	    "UPDATE events_out SET seq = seq + ?1",
	[ST_LOAD_WORKERS] =
	    "SELECT id, processed FROM workers ORDER BY rowid",
	[ST_LOAD_RUNNING] =
	    "SELECT id, worker FROM tasks WHERE status = 1",
	[ST_LOAD_TOTALS] =
	    "SELECT status, n FROM totals",
	/* Through each partial index of the queue: no table scan. */
	[ST_COUNT_QUEUED] =
	    "SELECT (SELECT count(*) FROM tasks WHERE status = 0"
	    " AND pin IS NULL) + (SELECT count(*) FROM tasks WHERE status = 0"
	    " AND pin IS NOT NULL)",
	[ST_COUNT_FINISHED] =
	    "SELECT count(*) FROM tasks WHERE status >= 2",
	[ST_QUEUE_FIRST] =
	    "SELECT min(q) FROM (SELECT (SELECT qseq FROM tasks"
	    " WHERE status = 0 AND pin IS NULL ORDER BY qseq LIMIT 1) AS q"
	    " UNION ALL SELECT (SELECT qseq FROM tasks WHERE status = 0"
	    " AND pin IS NOT NULL ORDER BY qseq LIMIT 1))",
	[ST_QUEUE_LAST] =
	    "SELECT max(q) FROM (SELECT (SELECT qseq FROM tasks"
	    " WHERE status = 0 AND pin IS NULL ORDER BY qseq DESC LIMIT 1)"
	    " AS q UNION ALL SELECT (SELECT qseq FROM tasks WHERE status = 0"
	    " AND pin IS NOT NULL ORDER BY qseq DESC LIMIT 1))",
	[ST_EVENTS_FIRST] =
	    "SELECT min(seq) FROM events_out",
	[ST_EVENTS_LAST] =
	    "SELECT max(seq) FROM events_out",
	[ST_EVENTS_DONE] =
	    "SELECT value FROM meta WHERE key = 'events_done'",
	/*
	 * The n tasks that changed last, without an index on chg, which
	 * every write of a task would pay for.  A queued task entered its
	 * queue at the back (new) or at the front (requeued), each time past
	 * every task queued then, so the n newest of a queue are among its
	 * first n and its last n by qseq; running tasks are at most one per
	 * worker; finished ones have tasks_done.  The candidates are the
	 * union of those: a few probes at start.
	 */
	[ST_NEWEST] =
	    "SELECT * FROM ("
	    " SELECT * FROM (SELECT " NEWEST_COLS " FROM tasks WHERE status = 0"
	    "  AND pin IS NULL ORDER BY qseq LIMIT ?1)"
	    " UNION SELECT * FROM (SELECT " NEWEST_COLS " FROM tasks"
	    "  WHERE status = 0 AND pin IS NULL ORDER BY qseq DESC LIMIT ?1)"
	    " UNION SELECT * FROM (SELECT " NEWEST_COLS " FROM tasks"
	    "  WHERE status = 0 AND pin IS NOT NULL ORDER BY qseq LIMIT ?1)"
	    " UNION SELECT * FROM (SELECT " NEWEST_COLS " FROM tasks"
	    "  WHERE status = 0 AND pin IS NOT NULL ORDER BY qseq DESC"
	    "  LIMIT ?1)"
	    " UNION SELECT " NEWEST_COLS " FROM tasks WHERE status = 1"
	    " UNION SELECT * FROM (SELECT " NEWEST_COLS " FROM tasks"
	    "  WHERE status >= 2 ORDER BY chg DESC LIMIT ?1))"
	    " ORDER BY chg DESC LIMIT ?1",
};

/* Open coordinator.db and bring its schema up to date. */
struct db *
cdb_open(const char *path, int synchronous)
{
	return db_open(path, synchronous, coord_migrations, coord_nmigrations);
}

/* Prepare every statement of the table; -1 (logged) if one fails. */
int
cdb_prepare(struct coord *c)
{
	int	 i;

	for (i = 0; i < ST_COUNT; i++)
		if ((c->st[i] = db_prepare(c->db, stmt_sql[i])) == NULL)
			return -1;
	return 0;
}

/* Finalize every prepared statement. */
void
cdb_finalize(struct coord *c)
{
	int	 i;

	for (i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(c->st[i]);
		c->st[i] = NULL;
	}
}

/* A statement ready to bind: reset, its old bindings cleared. */
sqlite3_stmt *
cdb_stmt(struct coord *c, enum cstmt which)
{
	sqlite3_stmt	*st = c->st[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Step a write statement to completion and reset it. */
int
cdb_run(struct coord *c, sqlite3_stmt *st)
{
	int	 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("coordinator.db: %s: %s", sqlite3_sql(st),
		    sqlite3_errmsg(db_handle(c->db)));
		return -1;
	}
	return 0;
}

int
cdb_int(struct coord *c, enum cstmt which, int64_t *v)
{
	sqlite3_stmt	*st = cdb_stmt(c, which);
	int		 rc = sqlite3_step(st);

	*v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("coordinator.db: %s: %s", sqlite3_sql(st),
		    sqlite3_errmsg(db_handle(c->db)));
		return -1;
	}
	return 0;
}

/*
 * Bind a string, or NULL for NULL or "".  Not copied (SQLITE_STATIC, as
 * every blob bound here): each statement is stepped and reset in the
 * function that binds it, while the bytes are still there, and the next
 * use clears the bindings first (cdb_stmt()).
 */
int
cdb_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || *s == '\0')
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

