/*
 * An actor's SQLite database: WAL, a schema version in PRAGMA
 * user_version brought up to date by migrations in code, and one write
 * transaction per event-loop turn (group commit).
 *
 * db_begin() opens the turn's transaction if none is open and tells the
 * runtime (the begin hook), which commits it with db_commit() before any
 * reply of that turn leaves the process.
 */
#ifndef DB_H
#define DB_H

#include <stdint.h>

#include <sqlite3.h>

struct db;
struct metrics;

/*
 * Open path, check it, switch to WAL with the given synchronous level
 * (0 off, 1 normal, 2 full) and run migrations[v..n-1] for a database at
 * version v: migration i takes version i to i+1.  NULL (logged) when the
 * file is not a database, is corrupt, or is from a newer schema.
 */
struct db	*db_open(const char *path, int synchronous,
		    const char *const *migrations, int nmigrations);
void		 db_close(struct db *db);
sqlite3		*db_handle(struct db *db);
void		 db_set_begin_hook(struct db *db, void (*hook)(void *),
		    void *arg);
/* Call hook inside each transaction, last before its COMMIT. */
void		 db_set_commit_hook(struct db *db, int (*hook)(void *),
		    void *arg);
int		 db_begin(struct db *db);
/* Commit the open transaction, if any. */
int		 db_commit(void *db);
int		 db_exec(struct db *db, const char *sql);
/* Step a bound write statement to its end, then reset it; -1 logged. */
int		 db_run(struct db *db, sqlite3_stmt *st);
/* One integer from a query or pragma (NULL or no row: 0); -1 logged. */
int		 db_query_int(struct db *db, const char *sql, int64_t *out);
/* Prepare a statement the caller keeps and finalizes; NULL logged. */
sqlite3_stmt	*db_prepare(struct db *db, const char *sql);
/* Size of the database file and its WAL, bytes. */
long long	 db_size(struct db *db);
int		 db_version(struct db *db);
/* Add the database's families (commits, commit time, size), db=name. */
void		 db_metrics(struct db *db, struct metrics *m, const char *name);

#endif
