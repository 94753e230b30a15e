/*
 * The event log: eventlog:main, the activity of every actor in
 * $STATE/eventlog.db, numbered by seq, the last `retention` kept.
 *
 * eventlog_store.c is the table; eventlog_log.c the actor's logic (append,
 * queries, subscribers), which sends through a sink so that the tests see
 * what would leave the process; eventlog_actor.c plugs the sink into the
 * runtime.
 *
 * Numbered sources.  A server actor that keeps its events until they are
 * acknowledged (the coordinator) numbers them per source: LogEvent
 * {..., sourceSeq, sourceFirst?}.  The log keeps a cursor per source, the
 * last number it took, written in the transaction of the event: a number
 * at or below the cursor is a resend and is dropped, one past a gap is
 * refused, and after each loop turn every source heard from gets one
 * LogEventAck {source, sourceSeq: cursor, gap?} (after the commit, like
 * everything else the log sends).  So a resent event is recorded once.
 */
#ifndef EVENTLOG_H
#define EVENTLOG_H

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

#include "actor.h"

struct db;
struct evstore;

#define EVENTS_LIMIT_DEFAULT	100	/* GetEvents without a limit */
#define EVENTS_LIMIT_MAX	1000	/* events in one Events reply */
#define EVENTS_BYTES_MAX	(512 * 1024)	/* bytes of one Events reply */
#define BACKLOG_MAX		10000	/* events pushed after Subscribe */
#define SUBSCRIBERS_MAX		4096
/*
 * The kinds whose numbered events get a cursor, when an actor of that
 * kind logs as itself (from == source).  A client's LogEvent, through its
 * session, is stored as before whatever numbers it carries: it could
 * otherwise move the coordinator's cursor, or make one row per session.
 */
#define NUMBERED_KINDS		K_COORD

/* One event, as stored and as sent. */
struct event_row {
	uint64_t	 seq;
	int64_t		 timestamp;	/* ms since the epoch */
	const char	*level;
	const char	*source;
	const char	*message;
	const void	*data;		/* msgpack; NULL: nil */
	size_t		 datalen;
};

/* eventlog_store.c */
extern const char *const eventlog_migrations[];
extern const int eventlog_nmigrations;
struct evstore	*evstore_open(const char *path, int synchronous,
		    uint64_t retention);
void		 evstore_close(struct evstore *s);
struct db	*evstore_db(const struct evstore *s);
void		 evstore_set_retention(struct evstore *s, uint64_t n);
/* Store ev (its seq is assigned), then drop what retention exceeds. */
int		 evstore_append(struct evstore *s, struct event_row *ev);
uint64_t	 evstore_last_seq(const struct evstore *s);
uint64_t	 evstore_count(const struct evstore *s);
/* Call fn for the events after since, oldest first, at most limit. */
int		 evstore_each(struct evstore *s, uint64_t since,
		    size_t limit, int (*fn)(const struct event_row *, void *),
		    void *arg);
/* Record source's cursor (in the turn's transaction, with its event). */
int		 evstore_set_cursor(struct evstore *s, const char *source,
		    uint64_t seq);
/* Call fn for every source's cursor (at start). */
int		 evstore_each_cursor(struct evstore *s,
		    void (*fn)(const char *source, uint64_t seq, void *),
		    void *arg);

/* eventlog_log.c: the log's logic; what it sends goes on an outbox. */
struct elog;
struct elog	*elog_new(struct evstore *s);
void		 elog_free(struct elog *l);
/* True when a LogEventAck is due: call elog_send_acks() after the turn. */
bool		 elog_acks_due(const struct elog *l);
/* One LogEventAck per numbered source heard from since the last call. */
void		 elog_send_acks(struct elog *l, struct outbox *ob);
/* A connection went away: forget the subscriber of that address. */
void		 elog_peer_down(struct elog *l, const char *identity);
size_t		 elog_subscribers(const struct elog *l);
void		 elog_pack_inspect(struct elog *l, msgpack_packer *pk);
struct metrics;
void		 elog_metrics(struct elog *l, struct metrics *m);

/* The handlers, one per row of the table in eventlog_actor.c. */
int	elog_log_event(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	elog_get_events(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	elog_subscribe(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	elog_unsubscribe(struct actor *self, const struct envelope *env,
	    struct outbox *ob);

/* eventlog_actor.c: one message through the handler table (tests). */
int	elog_handle(struct elog *l, struct envelope *env,
	    struct outbox *ob);

#endif
