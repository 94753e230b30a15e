/*
 * The event table.  Schema version 3:
 *
 *	events (seq INTEGER PRIMARY KEY, ts, level, source, message, data)
 *	sources (source TEXT PRIMARY KEY, seq)
 *
 * seq is the rowid: one past the newest, assigned here, so the events kept
 * are always a contiguous range [first, last] and "the last N" is a range
 * delete on the primary key.  data is msgpack (NULL when absent).
 *
 * sources holds the cursor of each numbered source: the last sourceSeq
 * taken, written with the event in one transaction.  Retention does not
 * touch it: a cursor must outlive the events it let in.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "eventlog.h"
#include "log.h"
#include "xmalloc.h"

const char *const eventlog_migrations[] = {
	/* 1: the placeholder that shipped first. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value)",

	/* 2: the events. */
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  ts INTEGER NOT NULL,"
	"  level TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  message TEXT NOT NULL,"
	"  data BLOB)",

	/* 3: the cursors of numbered sources. */
	"CREATE TABLE sources ("
	"  source TEXT PRIMARY KEY,"
	"  seq INTEGER NOT NULL)",
};
const int eventlog_nmigrations = sizeof(eventlog_migrations) /
    sizeof(eventlog_migrations[0]);

enum {
	ST_INSERT,
	ST_PRUNE,
	ST_RANGE,
	ST_CURSOR,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_INSERT] = "INSERT INTO events (seq, ts, level, source, message,"
	    " data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_PRUNE] = "DELETE FROM events WHERE seq <= ?1",
	[ST_RANGE] = "SELECT seq, ts, level, source, message, data FROM events"
	    " WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	[ST_CURSOR] = "INSERT OR REPLACE INTO sources (source, seq)"
	    " VALUES (?1, ?2)",
};

struct evstore {
	struct db	*db;
	sqlite3_stmt	*st[ST_COUNT];
	uint64_t	 retention;	/* events kept */
	uint64_t	 first;		/* oldest kept; last + 1 when empty */
	uint64_t	 last;		/* newest ever */
};

struct db *
evstore_db(const struct evstore *s)
{
	return s->db;
}

uint64_t
evstore_last_seq(const struct evstore *s)
{
	return s->last;
}

uint64_t
evstore_count(const struct evstore *s)
{
	return s->last + 1 - s->first;
}

/* Delete the events beyond the retention. */
static int
prune(struct evstore *s)
{
	sqlite3_stmt	*st = s->st[ST_PRUNE];
	uint64_t	 upto;
	int		 rc;

	if (evstore_count(s) <= s->retention)
		return 0;
	upto = s->last - s->retention;
	if (db_begin(s->db) == -1)
		return -1;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (int64_t)upto);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("eventlog.db: prune: %s",
		    sqlite3_errmsg(db_handle(s->db)));
		return -1;
	}
	s->first = upto + 1;
	return 0;
}

/* Keep the last n events from now on; drop the older ones now. */
void
evstore_set_retention(struct evstore *s, uint64_t n)
{
	s->retention = n > 0 ? n : 1;
	if (prune(s) == -1)
		log_warnx("eventlog.db: cannot apply the new retention now");
}

/* Store ev with the next seq, then drop what the retention exceeds. */
int
evstore_append(struct evstore *s, struct event_row *ev)
{
	sqlite3_stmt	*st = s->st[ST_INSERT];
	int		 rc;

	if (db_begin(s->db) == -1)
		return -1;
	ev->seq = s->last + 1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, (int64_t)ev->seq);
	sqlite3_bind_int64(st, 2, ev->timestamp);
	sqlite3_bind_text(st, 3, ev->level, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ev->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ev->message, -1, SQLITE_STATIC);
	if (ev->data != NULL && ev->datalen > 0)
		sqlite3_bind_blob(st, 6, ev->data, (int)ev->datalen,
		    SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_warnx("eventlog.db: append: %s",
		    sqlite3_errmsg(db_handle(s->db)));
		return -1;
	}
	s->last = ev->seq;
	return prune(s);
}

/* Call fn for each event after since, oldest first, at most limit. */
int
evstore_each(struct evstore *s, uint64_t since, size_t limit,
    int (*fn)(const struct event_row *, void *), void *arg)
{
	struct event_row	 ev;
	sqlite3_stmt		*st = s->st[ST_RANGE];
	int			 rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, since > INT64_MAX ? INT64_MAX :
	    (int64_t)since);
	sqlite3_bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX :
	    (int64_t)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev.seq = (uint64_t)sqlite3_column_int64(st, 0);
		ev.timestamp = sqlite3_column_int64(st, 1);
		ev.level = (const char *)sqlite3_column_text(st, 2);
		ev.source = (const char *)sqlite3_column_text(st, 3);
		ev.message = (const char *)sqlite3_column_text(st, 4);
		ev.data = sqlite3_column_blob(st, 5);
		ev.datalen = (size_t)sqlite3_column_bytes(st, 5);
		if (fn(&ev, arg) == -1)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("eventlog.db: query: %s",
		    sqlite3_errmsg(db_handle(s->db)));
		return -1;
	}
	return 0;
}

/* Record the last number taken from source, with its event. */
int
evstore_set_cursor(struct evstore *s, const char *source, uint64_t seq)
{
	sqlite3_stmt	*st = s->st[ST_CURSOR];
	int		 rc;

	if (db_begin(s->db) == -1)
		return -1;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_warnx("eventlog.db: cursor of %s: %s", source,
		    sqlite3_errmsg(db_handle(s->db)));
		return -1;
	}
	return 0;
}

/* Call fn for every numbered source's cursor. */
int
evstore_each_cursor(struct evstore *s,
    void (*fn)(const char *source, uint64_t seq, void *), void *arg)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_prepare(s->db, "SELECT source, seq FROM sources")) ==
	    NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1), arg);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Open eventlog.db (refusing a bad one) and find the range kept. */
struct evstore *
evstore_open(const char *path, int synchronous, uint64_t retention)
{
	struct evstore	*s = xcalloc(1, sizeof(*s));
	int64_t		 min, last;
	int		 i;

	s->retention = retention > 0 ? retention : 1;
	if ((s->db = db_open(path, synchronous, eventlog_migrations,
	    eventlog_nmigrations)) == NULL)
		goto fail;
	for (i = 0; i < ST_COUNT; i++)
		if ((s->st[i] = db_prepare(s->db, stmt_sql[i])) == NULL)
			goto fail;
	if (db_query_int(s->db, "SELECT max(seq) FROM events", &last) == -1 ||
	    db_query_int(s->db, "SELECT min(seq) FROM events", &min) == -1)
		goto fail;
	s->last = (uint64_t)last;
	s->first = s->last == 0 ? 1 : (uint64_t)min;
	if (prune(s) == -1 || db_commit(s->db) == -1)
		goto fail;
	return s;
fail:
	log_warnx("%s: cannot use the event log's database", path);
	evstore_close(s);
	return NULL;
}

/* Finalize the statements and close the database. */
void
evstore_close(struct evstore *s)
{
	int	 i;

	if (s == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	db_close(s->db);
	free(s);
}
