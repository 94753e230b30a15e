/*
 * SQLite with WAL and group commit: see db.h.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

struct db {
	sqlite3		*h;
	char		*path;
	int		 in_tx;
	int		 version;
	void		(*begin_hook)(void *);
	void		*begin_arg;
	int		(*commit_hook)(void *);
	void		*commit_arg;
	uint64_t	 commits;	/* transactions committed */
	struct histogram commit_time;	/* COMMIT's duration, seconds */
};

int
db_exec(struct db *db, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("%s: %s: %s", db->path, sql, err ? err :
		    sqlite3_errmsg(db->h));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
db_run(struct db *db, sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: %s: %s", db->path, sqlite3_sql(st),
		    sqlite3_errmsg(db->h));
		return -1;
	}
	return 0;
}

int
db_query_int(struct db *db, const char *sql, int64_t *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	*out = 0;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("%s: %s: %s", db->path, sql, sqlite3_errmsg(db->h));
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("%s: %s: %s", db->path, sql, sqlite3_errmsg(db->h));
		return -1;
	}
	return 0;
}

/* Bring the schema from its version up to nmigrations. */
static int
migrate(struct db *db, const char *const *migrations, int n)
{
	char		 sql[64];
	int64_t		 v;

	if (db_query_int(db, "PRAGMA user_version", &v) == -1)
		return -1;
	if (v > n) {
		log_warnx("%s: schema version %lld is newer than this "
		    "program's %d; refusing to open it", db->path, (long long)v, n);
		return -1;
	}
	for (; v < n; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
		    (long long)v + 1);
		if (db_exec(db, "BEGIN IMMEDIATE") == -1)
			return -1;
		if (db_exec(db, migrations[v]) == -1 ||
		    db_exec(db, sql) == -1) {
			db_exec(db, "ROLLBACK");
			return -1;
		}
		if (db_exec(db, "COMMIT") == -1)
			return -1;
		if (v > 0)
			log_info("%s: schema upgraded to version %lld",
			    db->path, (long long)v + 1);
	}
	db->version = n;
	return 0;
}

/*
 * SQLite counts every allocation for sqlite3_memory_used() under a global
 * mutex; nothing here reads the counts, and keeping them cost the
 * coordinator about 8% of an AssignTask.  It can only be turned off
 * before SQLite initializes, which the first open does.
 */
static void
db_config_once(void)
{
	static int	 done;

	if (done)
		return;
	done = 1;
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		log_debug("sqlite3_config(MEMSTATUS): SQLite already in use");
}

struct db *
db_open(const char *path, int synchronous, const char *const *migrations,
    int nmigrations)
{
	static const char *const sync_sql[] = {
		"PRAGMA synchronous = OFF", "PRAGMA synchronous = NORMAL",
		"PRAGMA synchronous = FULL",
	};
	struct db	*db = xcalloc(1, sizeof(*db));
	sqlite3_stmt	*st;
	const char	*res;
	int		 rc;

	db_config_once();
	db->path = xstrdup(path);
	rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("%s: cannot open: %s", path, db->h ?
		    sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(db->h, 5000);
	sqlite3_extended_result_codes(db->h, 1);
	/* A file that is not a database fails here, not later. */
	if (db_exec(db, "PRAGMA journal_mode = WAL") == -1)
		goto fail;
	if (sqlite3_prepare_v2(db->h, "PRAGMA quick_check", -1, &st,
	    NULL) != SQLITE_OK) {
		log_warnx("%s: %s", path, sqlite3_errmsg(db->h));
		goto fail;
	}
	rc = sqlite3_step(st);
	res = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) :
	    NULL;
	if (res == NULL || strcmp(res, "ok") != 0) {
		log_warnx("%s: integrity check failed: %s", path,
		    res ? res : sqlite3_errmsg(db->h));
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	if (synchronous < 0 || synchronous > 2)
		synchronous = 2;
	if (db_exec(db, sync_sql[synchronous]) == -1 ||
	    db_exec(db, "PRAGMA foreign_keys = ON") == -1)
		goto fail;
	if (migrate(db, migrations, nmigrations) == -1)
		goto fail;
	return db;
fail:
	db_close(db);
	return NULL;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->in_tx)
		db_commit(db);
	sqlite3_close_v2(db->h);
	free(db->path);
	free(db);
}

sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

void
db_set_begin_hook(struct db *db, void (*hook)(void *), void *arg)
{
	db->begin_hook = hook;
	db->begin_arg = arg;
}

void
db_set_commit_hook(struct db *db, int (*hook)(void *), void *arg)
{
	db->commit_hook = hook;
	db->commit_arg = arg;
}

int
db_begin(struct db *db)
{
	if (db->in_tx)
		return 0;
	if (db_exec(db, "BEGIN IMMEDIATE") == -1)
		return -1;
	db->in_tx = 1;
	if (db->begin_hook != NULL)
		db->begin_hook(db->begin_arg);
	return 0;
}

int
db_commit(void *arg)
{
	struct db	*db = arg;
	struct timespec	 t0, t1;
	int		 rc;

	if (db == NULL || !db->in_tx)
		return 0;
	if (db->commit_hook != NULL && db->commit_hook(db->commit_arg) == -1)
		return -1;
	db->in_tx = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = db_exec(db, "COMMIT");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0) {
		db->commits++;
		histogram_observe(&db->commit_time, (double)(t1.tv_sec -
		    t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	return rc;
}

/* The database's families: commits, their time, the file's size. */
void
db_metrics(struct db *db, struct metrics *m, const char *name)
{
	char	 l[METRICS_LABELS_MAX];

	metrics_labels(l, sizeof(l), "db", name, NULL);
	metrics_counter(m, "actord_db_commits_total", "Transactions "
	    "committed to the actor's database since its process started.",
	    l, (double)db->commits);
	metrics_histogram(m, "actord_db_commit_duration_seconds", "Time a "
	    "COMMIT took (one per loop turn that changed state).", l,
	    &db->commit_time);
	metrics_gauge(m, "actord_db_size_bytes", "Size of the database "
	    "file and its WAL.", l, (double)db_size(db));
}

sqlite3_stmt *
db_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		log_warnx("%s: prepare %s: %s", db->path, sql,
		    sqlite3_errmsg(db->h));
		return NULL;
	}
	return st;
}

long long
db_size(struct db *db)
{
	struct stat	 sb;
	char		 wal[4096];
	long long	 n = 0;

	if (stat(db->path, &sb) == 0)
		n += sb.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", db->path);
	if (stat(wal, &sb) == 0)
		n += sb.st_size;
	return n;
}

int
db_version(struct db *db)
{
	return db->version;
}
