/*
 * What the link knows of sessions, kept in $RUN/link.db so that a
 * restarted link still knows it (docs/cluster.md):
 *
 *	visitors	other hosts' sessions that reached an actor here,
 *			purged here when their host dies
 *	sessions	this host's sessions connected to the link, told
 *			gone to the other hosts when they go
 *
 * The file belongs to one incarnation of the tree: a link of another
 * (actord restarted, so every session went with it) starts it empty.
 * It is a cache of the link's memory, not state anyone replies from:
 * synchronous off, on the run directory's file system, written in the
 * turn's one transaction.  If it cannot be used the link goes on
 * without it, as before it existed.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "actor.h"
#include "db.h"
#include "link.h"
#include "log.h"
#include "msg.h"

static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE meta (incarnation TEXT NOT NULL);"
	"CREATE TABLE visitors ("
	"  address TEXT PRIMARY KEY,"
	"  host TEXT NOT NULL,"
	"  kinds INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE sessions (address TEXT PRIMARY KEY) WITHOUT ROWID;",
};

enum {
	ST_VISITOR_PUT, ST_VISITOR_DEL, ST_SESSION_PUT, ST_SESSION_DEL,
	ST_COUNT
};
static const char *const stmt_sql[ST_COUNT] = {
	"INSERT OR REPLACE INTO visitors (address, host, kinds) "
	    "VALUES (?, ?, ?)",
	"DELETE FROM visitors WHERE address = ?",
	"INSERT OR IGNORE INTO sessions (address) VALUES (?)",
	"DELETE FROM sessions WHERE address = ?",
};

static struct {
	struct db	*db;
	sqlite3_stmt	*st[ST_COUNT];
	int		 broken;	/* a change failed: kept no longer */
} S;

static void
state_close(void)
{
	int	 i;

	for (i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(S.st[i]);
		S.st[i] = NULL;
	}
	db_close(S.db);
	S.db = NULL;
}

/* Start the file over for this incarnation, unless it is already its. */
static int
state_claim(const char *incarnation)
{
	sqlite3_stmt	*st;
	int		 mine;

	if ((st = db_prepare(S.db, "SELECT 1 FROM meta WHERE incarnation = "
	    "?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, incarnation, -1, SQLITE_STATIC);
	mine = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (mine)
		return 0;
	if (db_begin(S.db) == -1 ||
	    db_exec(S.db, "DELETE FROM meta; DELETE FROM visitors; "
	    "DELETE FROM sessions") == -1 ||
	    (st = db_prepare(S.db, "INSERT INTO meta (incarnation) "
	    "VALUES (?)")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, incarnation, -1, SQLITE_STATIC);
	if (db_run(S.db, st) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return db_commit(S.db);
}

int
link_state_open(const char *run_dir, const char *incarnation)
{
	char	 path[PATH_MAX];
	int	 i;

	snprintf(path, sizeof(path), "%s/link.db", run_dir);
	if ((S.db = db_open(path, 0, migrations, (int)nitems(migrations))) ==
	    NULL)
		goto fail;
	for (i = 0; i < ST_COUNT; i++)
		if ((S.st[i] = db_prepare(S.db, stmt_sql[i])) == NULL)
			goto fail;
	if (state_claim(incarnation) == -1)
		goto fail;
	rt_use_db(S.db);
	return 0;
fail:
	log_warnx("%s: cannot keep what the link knows of sessions there; "
	    "a restart of the link forgets it", path);
	state_close();
	return -1;
}

/* Each row of a query, as its columns' text and the integer after. */
static void
each_row(const char *sql, void (*fn)(const char *, const char *, unsigned))
{
	sqlite3_stmt	*st;
	int		 rc;

	if (S.db == NULL || (st = db_prepare(S.db, sql)) == NULL)
		return;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (unsigned)sqlite3_column_int64(st, 2));
	if (rc != SQLITE_DONE)
		log_warnx("link.db: %s: %s", sql,
		    sqlite3_errmsg(db_handle(S.db)));
	sqlite3_finalize(st);
}

static void	(*session_fn)(const char *);

static void
session_row(const char *address, const char *unused, unsigned unused2)
{
	(void)unused;
	(void)unused2;
	session_fn(address);
}

void
link_state_load(void (*visitor)(const char *, const char *, unsigned),
    void (*session)(const char *))
{
	each_row("SELECT address, host, kinds FROM visitors", visitor);
	session_fn = session;
	each_row("SELECT address, '', 0 FROM sessions", session_row);
}

/*
 * One change, in the turn's transaction.  The first that fails (a full
 * file system) ends the keeping, with one warning: the file would no
 * longer say what the link knows.
 */
static void
change(int which, const char *address, const char *host, unsigned kinds)
{
	sqlite3_stmt	*st;

	if (S.db == NULL || S.broken)
		return;
	st = S.st[which];
	sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	if (host != NULL) {
		sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, kinds);
	}
	if (db_begin(S.db) == -1 || db_run(S.db, st) == -1) {
		sqlite3_clear_bindings(st);
		S.broken = 1;
		log_warnx("link.db: no longer kept; a restart of the link "
		    "will forget the sessions it knows");
	}
}

void
link_state_visitor(const char *address, const char *host, unsigned kinds)
{
	change(ST_VISITOR_PUT, address, host, kinds);
}

void
link_state_visitor_gone(const char *address)
{
	change(ST_VISITOR_DEL, address, NULL, 0);
}

void
link_state_session(const char *address)
{
	change(ST_SESSION_PUT, address, NULL, 0);
}

void
link_state_session_gone(const char *address)
{
	change(ST_SESSION_DEL, address, NULL, 0);
}
