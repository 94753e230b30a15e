/*
 * The coordinator's database: its schema, brought up to date by the
 * migrations below (PRAGMA user_version counts them), and every statement
 * the coordinator runs, prepared once.
 *
 * Schema version 9:
 *
 *	workers	  the registry: id, the finished-task count, when it was
 *		  registered (its rowid keeps the registration order)
 *	tasks	  every task not yet pruned; its rowid is the order of
 *		  creation (ListTasks pages by it, newest first).  status 0
 *		  queued, 1 running, 2 completed, 3 failed, 4 cancelled, 5
 *		  scheduled (waiting for run_at), 6 retrying (waiting for
 *		  run_at after a failed run); queue and priority (0-9)
 *		  order it with qseq while queued; worker is the one running
 *		  it (or that ran it last); pin the worker it must run on;
 *		  timeout_ms its effective timeout; retry its own policy
 *		  (msgpack, NULL: its kind's); code why it failed; chg the
 *		  change number of its last change ('recent' and pruning
 *		  follow it)
 *	runs	  one row per run of a task (attempt 1, 2, ...): worker,
 *		  start, end, outcome; GetTask's history
 *	watches	  (task, watcher): who is owed a TaskFinished
 *	queues	  the queues an operator paused
 *	queue_nums  a number (1-255) per queue that has or had ready
 *		  tasks, the top bits of their qseq (coordinator.h)
 *	totals	  finished tasks ever, per status, so that pruning old
 *		  rows keeps the counters
 *	dedupe	  (sender, message id) -> the reply that was sent, for
 *		  dedupe_window_s; rowids follow the order of insertion
 *		  (a replaced row gets a new one), so the rows that expire
 *		  first lead the table
 *	events_out  the event outbox: each activity event (seq, level,
 *		  message, data) until the event log has acknowledged it
 *	task_counts  the metrics' counters per (kind, queue): tasks
 *		  assigned, completed, failed, retried, cancelled, timed
 *		  out, ever (coordinator_metrics.c), so that a restart does
 *		  not take a Prometheus counter back
 *	metric_state  the other metrics kept across restarts: the wait and
 *		  run time histograms, the dedupe hits, as text
 *	meta	  'events_done' holds the last event number deleted, so that
 *		  the numbering goes on after the outbox was emptied
 *
 * The partial indexes are the queue: tasks_ready orders the unpinned
 * queued tasks of each queue by priority, then age (all three in qseq,
 * each queue a range of it), tasks_pinned the
 * pinned ones per worker, so that the head for a worker is one LIMIT 1
 * probe per queue that may run a task now; tasks_pinq orders the pinned
 * ones across workers, for the 'next' list; tasks_due the delayed ones by
 * their time.  ListTasks by status goes through tasks_fin for the
 * finished ones and tasks_running for the running ones, newest first; the
 * waiting ones (queued, scheduled, retrying) are looked for in a window of
 * rowids, like the other filters.  An index on status alone (version 5's
 * tasks_status) cost every AssignTask, start and finish one more b-tree
 * write: about a fifth of AssignTask's throughput.
 *
 * Without statistics SQLite may take a less fitting index (version 5's
 * tasks_status for "status = 0") over a partial index whose condition and
 * order match, and sort what it finds: the 'next' preview, the timer and
 * the pruning walked every queued or finished task.  The statements that
 * run per event name their index (INDEXED BY), which also makes their
 * preparation fail, at start, should the index ever stop serving them;
 * check_coordinator's plan test holds them to it.
 *
 * Every index costs each write of a task (AssignTask, start, finish), so
 * only those a message needs are kept: the newest changes are found at
 * start from the ends of the queues, the running tasks and tasks_done
 * instead of an index on chg (see ST_NEWEST), and the dedupe table has
 * no index on the time: the rowid order serves the pruning.
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

	/*
	 * 5: the life of a task: queues, priorities, delays, retries,
	 * runs, watches; statuses 5 scheduled and 6 retrying.
	 */
	"DROP INDEX tasks_free;"
	"DROP INDEX tasks_pinned;"
	"DROP INDEX tasks_pinq;"
	"DROP INDEX tasks_done;"
	"ALTER TABLE tasks ADD COLUMN queue TEXT NOT NULL DEFAULT 'default';"
	"ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tasks ADD COLUMN run_at INTEGER;"
	"ALTER TABLE tasks ADD COLUMN timeout_ms INTEGER;"
	"ALTER TABLE tasks ADD COLUMN retry BLOB;"
	"ALTER TABLE tasks ADD COLUMN started INTEGER;"
	"ALTER TABLE tasks ADD COLUMN finished INTEGER;"
	"ALTER TABLE tasks ADD COLUMN code TEXT;"
	"CREATE INDEX tasks_ready ON tasks(queue, priority DESC, qseq)"
	"  WHERE status = 0 AND pin IS NULL;"
	"CREATE INDEX tasks_pinned ON tasks(pin, priority DESC, qseq)"
	"  WHERE status = 0 AND pin IS NOT NULL;"
	"CREATE INDEX tasks_pinq ON tasks(priority DESC, qseq)"
	"  WHERE status = 0 AND pin IS NOT NULL;"
	"CREATE INDEX tasks_due ON tasks(run_at) WHERE status IN (5, 6);"
	"CREATE INDEX tasks_done ON tasks(chg) WHERE status BETWEEN 2 AND 4;"
	"CREATE INDEX tasks_status ON tasks(status);"
	"CREATE TABLE runs ("
	"  task TEXT NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  worker TEXT,"
	"  started INTEGER,"
	"  finished INTEGER,"
	"  status INTEGER NOT NULL,"
	"  error TEXT,"
	"  PRIMARY KEY (task, attempt)) WITHOUT ROWID;"
	"CREATE TABLE watches ("
	"  task TEXT NOT NULL,"
	"  watcher TEXT NOT NULL,"
	"  PRIMARY KEY (task, watcher)) WITHOUT ROWID;"
	"CREATE INDEX watches_by ON watches(watcher);"
	"CREATE TABLE queues ("
	"  name TEXT PRIMARY KEY,"
	"  paused INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"INSERT INTO runs (task, attempt, worker, started, status)"
	"  SELECT id, attempts, worker, updated, 1 FROM tasks WHERE status = 1;"
	"CREATE TRIGGER tasks_gone AFTER DELETE ON tasks BEGIN"
	"  DELETE FROM runs WHERE task = old.id;"
	"  DELETE FROM watches WHERE task = old.id;"
	"END;"
	"INSERT OR REPLACE INTO meta (key, value)"
	"  SELECT 'chg', coalesce(max(chg), 0) FROM tasks;",

	/*
	 * 6: ListTasks by status without a b-tree that every AssignTask,
	 * start and finish writes: the finished ones through tasks_fin,
	 * written once when a task finishes.
	 */
	"DROP INDEX tasks_status;"
	"CREATE INDEX tasks_fin ON tasks(status) WHERE status BETWEEN 2 AND 4;",

	/* 7: the metrics' counters, kept across restarts. */
	"CREATE TABLE task_counts ("
	"  kind TEXT NOT NULL,"
	"  queue TEXT NOT NULL,"
	"  assigned INTEGER NOT NULL,"
	"  completed INTEGER NOT NULL,"
	"  failed INTEGER NOT NULL,"
	"  retried INTEGER NOT NULL,"
	"  cancelled INTEGER NOT NULL,"
	"  timed_out INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, queue)) WITHOUT ROWID;"
	"CREATE TABLE metric_state ("
	"  name TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL) WITHOUT ROWID;",

	/* 8: the cluster host a worker runs on; '': the coordinator's. */
	"ALTER TABLE workers ADD COLUMN host TEXT NOT NULL DEFAULT '';",

	/*
	 * 9: tasks_ready on one integer: a ready task's qseq takes its
	 * queue's number and its priority (coordinator.h).  An index whose
	 * first column is a text equal in every entry, then a priority
	 * equal in most, had SQLite decode and compare whole records on
	 * every AssignTask's insert: about 3,000 instructions of 50,000.
	 */
	"CREATE TABLE queue_nums ("
	"  num INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE);"
	"INSERT INTO queue_nums (name) SELECT DISTINCT queue FROM tasks"
	"  INDEXED BY tasks_ready WHERE status = 0 AND pin IS NULL;"
	"UPDATE tasks SET qseq = ((SELECT num FROM queue_nums"
	"  WHERE name = queue) << 55) + ((9 - priority) << 51)"
	"  + qseq + (1 << 50) WHERE status = 0 AND pin IS NULL;"
	"DROP INDEX tasks_ready;"
	"CREATE INDEX tasks_ready ON tasks(qseq)"
	"  WHERE status = 0 AND pin IS NULL;",
};
const int coord_nmigrations = sizeof(coord_migrations) /
    sizeof(coord_migrations[0]);

#define NEWEST_COLS	"id, status, worker, attempts, result, error, chg"

/* A task as GetTask and ListTasks show it: enum rec_col's order. */
#define RECORD_COLS	"id, kind, input, status, queue, priority, attempts," \
			" worker, created, started, finished, run_at, result," \
			" error, code, timeout_ms, retry, pin, rowid"

/* The statements, indexed by enum cstmt. */
static const char *const stmt_sql[ST_COUNT] = {
	/*
	 * A ready task's qseq is its queue's number (?5 of REQUEUE and
	 * RETRY: the number's bits plus QSEQ_BIAS), 9 - its priority, and
	 * its sequence number (?2); a pinned one's the sequence number.
	 */
	[ST_TASK_INSERT] =
	    "INSERT INTO tasks (id, kind, input, pin, status, attempts, qseq,"
	    " created, updated, chg, queue, priority, run_at, timeout_ms,"
	    " retry) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?7, ?8, ?9, ?10,"
	    " ?11, ?12, ?13)",
	[ST_TASK_GET] =
	    "SELECT status, worker, pin, attempts, queue, kind, retry,"
	    " timeout_ms, run_at, created, started FROM tasks WHERE id = ?1",
	[ST_TASK_SAME] =
	    "SELECT 1 FROM tasks WHERE id = ?1 AND kind = ?2"
	    " AND input IS ?3",
	[ST_TASK_START] =
	    "UPDATE tasks SET status = 1, worker = ?2, attempts = attempts + 1,"
	    " qseq = NULL, started = ?3, updated = ?3, chg = ?4"
	    " WHERE id = ?1 AND status = 0"
	    " RETURNING kind, input, attempts, timeout_ms",
	[ST_TASK_FINISH] =
	    "UPDATE tasks SET status = ?2, result = ?3, error = ?4, code = ?7,"
	    " qseq = NULL, run_at = NULL, finished = ?5, updated = ?5, chg = ?6"
	    " WHERE id = ?1",
	[ST_TASK_REQUEUE] =
	    "UPDATE tasks SET status = 0, worker = NULL, qseq = CASE WHEN"
	    " pin IS NULL THEN ?5 + ((9 - priority) << 51) + ?2 ELSE ?2 END,"
	    " run_at = NULL, updated = ?3, chg = ?4 WHERE id = ?1",
	[ST_TASK_DELAY] =
	    "UPDATE tasks SET status = ?2, run_at = ?3, qseq = NULL,"
	    " error = ?4, code = ?5, updated = ?6, chg = ?7 WHERE id = ?1",
	[ST_TASK_RETRY] =
	    "UPDATE tasks SET status = 0, qseq = CASE WHEN pin IS NULL"
	    " THEN ?5 + ((9 - priority) << 51) + ?2 ELSE ?2 END,"
	    " run_at = NULL, finished = NULL, result = NULL, updated = ?3,"
	    " chg = ?4 WHERE id = ?1",
	[ST_TASK_DELETE] =
	    "DELETE FROM tasks WHERE id = ?1",
	[ST_RUN_START] =
	    "INSERT OR REPLACE INTO runs (task, attempt, worker, started,"
	    " status) VALUES (?1, ?2, ?3, ?4, 1)",
	[ST_RUN_END] =
	    "UPDATE runs SET finished = ?3, status = ?4, error = ?5"
	    " WHERE task = ?1 AND attempt = ?2",
	/* The sequence number back: qseq & QSEQ_SEQ_MASK, less QSEQ_BIAS. */
	[ST_QUEUE_HEAD] =
	    "SELECT id, priority, (qseq & 2251799813685247) - 1125899906842624"
	    " FROM tasks INDEXED BY tasks_ready WHERE status = 0"
	    " AND pin IS NULL AND qseq BETWEEN ?1 AND ?2 ORDER BY qseq"
	    " LIMIT ?3",
	[ST_QUEUE_NUM_SET] =
	    "INSERT OR REPLACE INTO queue_nums (num, name) VALUES (?1, ?2)",
	[ST_PIN_HEAD] =
	    "SELECT id, priority, qseq, queue FROM tasks WHERE status = 0"
	    " AND pin = ?1 ORDER BY priority DESC, qseq LIMIT ?2",
	[ST_PINQ_HEAD] =
	    "SELECT id, priority, qseq FROM tasks INDEXED BY tasks_pinq"
	    " WHERE status = 0 AND pin IS NOT NULL"
	    " ORDER BY priority DESC, qseq LIMIT ?1",
	[ST_DUE] =
	    "SELECT id FROM tasks INDEXED BY tasks_due"
	    " WHERE status IN (5, 6) AND run_at <= ?1 ORDER BY run_at LIMIT ?2",
	[ST_DUE_NEXT] =
	    "SELECT min(run_at) FROM tasks INDEXED BY tasks_due"
	    " WHERE status IN (5, 6)",
	[ST_WORKER_INSERT] =
	    "INSERT INTO workers (id, processed, registered, host)"
	    " VALUES (?1, 0, ?2, ?3)",
	[ST_WORKER_DELETE] =
	    "DELETE FROM workers WHERE id = ?1",
	[ST_WORKER_PROCESSED] =
	    "UPDATE workers SET processed = ?2 WHERE id = ?1",
	[ST_TOTAL_ADD] =
	    "UPDATE totals SET n = n + 1 WHERE status = ?1",
	[ST_DONE_PRUNE] =
	    "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks"
	    " INDEXED BY tasks_done WHERE status BETWEEN 2 AND 4"
	    " ORDER BY chg LIMIT ?1)"
	    " AND coalesce(finished, updated) < ?2",
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
	[ST_WATCH_ADD] =
	    "INSERT OR IGNORE INTO watches (task, watcher) VALUES (?1, ?2)",
	[ST_WATCHERS] =
	    "SELECT watcher FROM watches WHERE task = ?1",
	[ST_WATCH_DONE] =
	    "DELETE FROM watches WHERE task = ?1",
	[ST_WATCH_DROP] =
	    "DELETE FROM watches WHERE watcher = ?1 RETURNING task",
	[ST_QUEUE_PAUSE] =
	    "INSERT OR REPLACE INTO queues (name, paused) VALUES (?1, ?2)",
	[ST_RECORD] =
	    "SELECT " RECORD_COLS " FROM tasks WHERE id = ?1",
	[ST_RUNS] =
	    "SELECT attempt, worker, started, finished, status, error"
	    " FROM runs WHERE task = ?1 AND attempt > (SELECT max(attempt)"
	    " FROM runs WHERE task = ?1) - ?2 ORDER BY attempt",
	/*
	 * A page of tasks, newest first, below a cursor (a rowid) and
	 * within a window of rowids: at most that many rows are looked at,
	 * whatever the filters match.  A finished status through tasks_fin,
	 * running through tasks_running (as many as there are workers, at
	 * most: sorted), a waiting one as a filter of the window.
	 */
	[ST_LIST] =
	    "SELECT " RECORD_COLS " FROM tasks WHERE rowid < ?1"
	    " AND rowid >= ?2 AND (?3 IS NULL OR kind = ?3)"
	    " AND (?4 IS NULL OR queue = ?4) AND (?5 IS NULL OR worker = ?5)"
	    " AND (?7 IS NULL OR status = ?7)"
	    " ORDER BY rowid DESC LIMIT ?6",
	[ST_LIST_FINISHED] =
	    "SELECT " RECORD_COLS " FROM tasks INDEXED BY tasks_fin"
	    " WHERE status = ?7 AND status BETWEEN 2 AND 4"
	    " AND rowid < ?1 AND rowid >= ?2 AND (?3 IS NULL OR kind = ?3)"
	    " AND (?4 IS NULL OR queue = ?4) AND (?5 IS NULL OR worker = ?5)"
	    " ORDER BY rowid DESC LIMIT ?6",
	[ST_LIST_RUNNING] =
	    "SELECT " RECORD_COLS " FROM tasks INDEXED BY tasks_running"
	    " WHERE status = 1 AND ?7 = 1"
	    " AND rowid < ?1 AND rowid >= ?2 AND (?3 IS NULL OR kind = ?3)"
	    " AND (?4 IS NULL OR queue = ?4) AND (?5 IS NULL OR worker = ?5)"
	    " ORDER BY rowid DESC LIMIT ?6",
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
	    "SELECT id, processed, host FROM workers ORDER BY rowid",
	[ST_LOAD_RUNNING] =
	    "SELECT id, worker FROM tasks WHERE status = 1",
	[ST_LOAD_TOTALS] =
	    "SELECT status, n FROM totals",
	[ST_LOAD_QUEUES] =
	    "SELECT name, paused FROM queues",
	/*
	 * Per queue and status, through the partial indexes of the queued,
	 * running and delayed tasks: no walk of the finished ones.  A queue
	 * and status may come twice (pinned and not): add them up.  The
	 * ready ones per numbered queue, a range of tasks_ready each, with
	 * the number (NULL in the other rows; a count of 0 is no queue).
	 */
	[ST_LOAD_COUNTS] =
	    "SELECT name, 0, (SELECT count(*) FROM tasks"
	    " INDEXED BY tasks_ready WHERE status = 0 AND pin IS NULL"
	    " AND qseq BETWEEN num << 55 AND (num << 55) + 36028797018963967),"
	    " num FROM queue_nums"
	    " UNION ALL SELECT queue, 0, count(*), NULL FROM tasks"
	    " INDEXED BY tasks_pinned WHERE status = 0 AND pin IS NOT NULL"
	    " GROUP BY queue"
	    " UNION ALL SELECT queue, 1, count(*), NULL FROM tasks"
	    " INDEXED BY tasks_running WHERE status = 1 GROUP BY queue"
	    " UNION ALL SELECT queue, status, count(*), NULL FROM tasks"
	    " INDEXED BY tasks_due WHERE status IN (5, 6)"
	    " GROUP BY queue, status",
	[ST_LOAD_WATCHES] =
	    "SELECT watcher, count(*) FROM watches GROUP BY watcher",
	[ST_COUNT_FINISHED] =
	    "SELECT count(*) FROM tasks WHERE status BETWEEN 2 AND 4",
	[ST_NEWEST_ROWID] =
	    "SELECT max(rowid) FROM tasks",
	[ST_LOAD_PINNED] =
	    "SELECT pin, count(*) FROM tasks INDEXED BY tasks_pinned"
	    " WHERE status = 0 AND pin IS NOT NULL GROUP BY pin",
	[ST_EVENTS_FIRST] =
	    "SELECT min(seq) FROM events_out",
	[ST_EVENTS_LAST] =
	    "SELECT max(seq) FROM events_out",
	[ST_EVENTS_DONE] =
	    "SELECT value FROM meta WHERE key = 'events_done'",
	/*
	 * About the n tasks that changed last, for the 'recent' list after a
	 * restart, without an index on chg, which every write of a task
	 * would pay for: the newest created of each waiting status (through
	 * tasks_status), every running one, and the last finished (through
	 * tasks_done).  A task requeued at the front may be left out.
	 */
	[ST_NEWEST] =
	    "SELECT * FROM ("
	    " SELECT * FROM (SELECT " NEWEST_COLS " FROM tasks WHERE status = 0"
	    "  ORDER BY rowid DESC LIMIT ?1)"
	    " UNION SELECT " NEWEST_COLS " FROM tasks WHERE status = 1"
	    " UNION SELECT * FROM (SELECT " NEWEST_COLS " FROM tasks"
	    "  WHERE status = 5 ORDER BY rowid DESC LIMIT ?1)"
	    " UNION SELECT * FROM (SELECT " NEWEST_COLS " FROM tasks"
	    "  WHERE status = 6 ORDER BY rowid DESC LIMIT ?1)"
	    " UNION SELECT * FROM (SELECT " NEWEST_COLS " FROM tasks"
	    "  INDEXED BY tasks_done WHERE status BETWEEN 2 AND 4"
	    "  ORDER BY chg DESC LIMIT ?1))"
	    " ORDER BY chg DESC LIMIT ?1",
	[ST_CHG] =
	    "SELECT value FROM meta WHERE key = 'chg'",
	/*
	 * Once per transaction: an UPDATE of the value writes meta's table
	 * alone, where INSERT OR REPLACE deleted and inserted the row, and
	 * wrote the page of its index on key too.  Version 5 made the row.
	 */
	[ST_CHG_SET] =
	    "UPDATE meta SET value = ?1 WHERE key = 'chg'",
	[ST_CHG_ADD] =
	    "INSERT OR REPLACE INTO meta (key, value) VALUES ('chg', ?1)",
	[ST_LOAD_TASK_COUNTS] =
	    "SELECT kind, queue, assigned, completed, failed, retried,"
	    " cancelled, timed_out FROM task_counts",
	[ST_TASK_COUNTS_SET] =
	    "INSERT OR REPLACE INTO task_counts VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_LOAD_METRIC_STATE] =
	    "SELECT name, value FROM metric_state",
	[ST_METRIC_STATE_SET] =
	    "INSERT OR REPLACE INTO metric_state VALUES (?1, ?2)",
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

