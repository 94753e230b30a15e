/*
 * The event log actor's logic: LogEvent appends (a cast: no reply) and
 * pushes the event to every subscriber; GetEvents answers a page; Subscribe
 * answers Subscribed {lastSeq}, pushes the backlog after `since` when
 * given, then every new event.  Whatever leaves goes on an outbox.
 *
 * Paging: GetEvents {since, limit} answers the events after since, oldest
 * first, at most limit (default 100, at most 1000, and at most 512 KiB);
 * without since, the newest `limit` events.  lastSeq is always the newest
 * seq in the log, so a client can tell whether it has everything.
 *
 * A numbered LogEvent (see eventlog.h) is taken only in order: sourceSeq
 * one past the source's cursor, or any number above it when the sender
 * says it keeps nothing older (sourceFirst: what it had before was
 * acknowledged, or dropped past its own bound).  Each source heard from
 * gets one LogEventAck per loop turn with its cursor.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "db.h"
#include "eventlog.h"
#include "log.h"
#include "metrics.h"
#include "strmap.h"
#include "xmalloc.h"

struct esub {
	TAILQ_ENTRY(esub)	 entry;
	char			 addr[ADDR_MAX + 1];
};

/* A numbered source: its cursor, and the acknowledgement it is due. */
struct esrc {
	TAILQ_ENTRY(esrc)	 due_entry;	/* on the due list */
	char			 source[SOURCE_MAX + 1];
	char			 to[ADDR_MAX + 1];	/* its last sender */
	uint64_t		 seq;		/* the cursor */
	int			 due;		/* an ack is due */
	int			 gap;		/* one past a gap was refused */
};

struct elog {
	struct evstore		*s;
	struct strmap		*map;		/* addr -> struct esub */
	TAILQ_HEAD(, esub)	 subs;
	size_t			 n;
	uint64_t		 pushed;
	struct strmap		*srcs;		/* source -> struct esrc */
	TAILQ_HEAD(, esrc)	 due;		/* sources owed an ack */
	uint64_t		 duplicates;	/* numbered, seen before */
	uint64_t		 refused;	/* numbered events past a gap */
	msgpack_sbuffer		 tmp;		/* a reply's events */
	msgpack_packer		 tpk;
};

/* Events packed into l->tmp, for a reply, or pushed, for a backlog. */
struct collect {
	struct elog	*l;
	size_t		 n;
	const char	*push_to;	/* push each instead of collecting */
	struct outbox	*ob;		/* where pushes go */
};

/* The numbered source of that name, made with cursor 0 if new. */
static struct esrc *
source_get(struct elog *l, const char *source)
{
	struct esrc	*e;

	if ((e = strmap_get(l->srcs, source)) != NULL)
		return e;
	e = xcalloc(1, sizeof(*e));
	snprintf(e->source, sizeof(e->source), "%s", source);
	strmap_put(l->srcs, e->source, e);
	return e;
}

/* evstore_each_cursor() callback: a cursor from the database. */
static void
source_load(const char *source, uint64_t seq, void *arg)
{
	source_get(arg, source)->seq = seq;
}

/* strmap_each() callback: free a source. */
static void
source_free(const char *key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	free(val);
}

/*
 * The log over store s.  NULL (logged) if the sources' cursors cannot be
 * read.
 */
struct elog *
elog_new(struct evstore *s)
{
	struct elog	*l = xcalloc(1, sizeof(*l));

	l->s = s;
	l->map = strmap_new();
	TAILQ_INIT(&l->subs);
	l->srcs = strmap_new();
	TAILQ_INIT(&l->due);
	msgpack_sbuffer_init(&l->tmp);
	msgpack_packer_init(&l->tpk, &l->tmp, msgpack_sbuffer_write);
	if (evstore_each_cursor(s, source_load, l) == -1) {
		log_warnx("eventlog.db: cannot read the sources' cursors");
		elog_free(l);
		return NULL;
	}
	return l;
}

/* Forget the subscribers and free the log (not its store). */
void
elog_free(struct elog *l)
{
	struct esub	*e;

	if (l == NULL)
		return;
	while ((e = TAILQ_FIRST(&l->subs)) != NULL) {
		TAILQ_REMOVE(&l->subs, e, entry);
		free(e);
	}
	strmap_free(l->map);
	strmap_each(l->srcs, source_free, NULL);
	strmap_free(l->srcs);
	msgpack_sbuffer_destroy(&l->tmp);
	free(l);
}

size_t
elog_subscribers(const struct elog *l)
{
	return l->n;
}

/* A stored event as LogEvent pushes and Events replies carry it. */
static void
event_msg(const struct event_row *ev, struct msg_log_event *m)
{
	memset(m, 0, sizeof(*m));
	m->seq = ev->seq;
	m->has_seq = true;
	m->timestamp = (uint64_t)ev->timestamp;
	m->has_timestamp = true;
	snprintf(m->level, sizeof(m->level), "%s", ev->level);
	snprintf(m->source, sizeof(m->source), "%s", ev->source);
	snprintf(m->message, sizeof(m->message), "%s", ev->message);
	m->data.raw = ev->data;
	m->data.len = ev->datalen;
}

/* evstore_each() callback: pack one event, or push it. */
static int
collect_cb(const struct event_row *ev, void *arg)
{
	struct collect		*c = arg;
	struct elog		*l = c->l;
	struct msg_log_event	 m;

	if (c->push_to == NULL && l->tmp.size >= EVENTS_BYTES_MAX)
		return -1;
	event_msg(ev, &m);
	if (c->push_to != NULL) {
		outbox_msg(c->ob, NULL, c->push_to, MSG_LOG_EVENT, 0, &m);
		l->pushed++;
	} else
		msg_encode(&l->tpk, &msg_shape_log_event, &m);
	c->n++;
	return 0;
}

/* Store one event and push it to every subscriber. */
static int
append(struct elog *l, const struct msg_log_event *m, struct outbox *ob)
{
	struct event_row	 ev;
	struct msg_log_event	 push;
	struct esub		*e;
	msgpack_packer		 dpk;
	size_t			 first;

	l->tmp.size = 0;
	if (m->data.obj != NULL) {
		msgpack_packer_init(&dpk, &l->tmp, msgpack_sbuffer_write);
		msgpack_pack_object(&dpk, *m->data.obj);
	}
	memset(&ev, 0, sizeof(ev));
	ev.timestamp = env_now_ms();
	ev.level = m->level;
	ev.source = m->source;
	ev.message = m->message;
	ev.data = l->tmp.size > 0 ? l->tmp.data : NULL;
	ev.datalen = l->tmp.size;
	if (evstore_append(l->s, &ev) == -1)
		return -1;
	if (l->n == 0)
		return 0;
	/* Packed once, copied to each subscriber. */
	event_msg(&ev, &push);
	first = ob->n;
	TAILQ_FOREACH(e, &l->subs, entry) {
		if (ob->n == first)
			outbox_msg(ob, NULL, e->addr, MSG_LOG_EVENT, 0, &push);
		else
			outbox_repeat(ob, first, e->addr);
		l->pushed++;
	}
	return 0;
}

/* Does this LogEvent come numbered from a source that keeps a cursor? */
static bool
numbered(const struct envelope *env, const struct msg_log_event *m)
{
	struct addr	 a;

	if (!m->has_source_seq || strcmp(env->from, m->source) != 0)
		return false;
	return addr_parse(env->from, strlen(env->from), &a) == 0 &&
	    (a.kindbit & NUMBERED_KINDS) != 0;
}

/*
 * A numbered event: taken if it is the next of its source (or the oldest
 * the source still has), dropped if seen before, refused past a gap.
 * Either way the source is owed an ack with its cursor: for a resend or a
 * refusal that is how the sender learns where to go on from.
 */
static int
log_numbered(struct elog *l, const struct envelope *env,
    const struct msg_log_event *m, struct outbox *ob)
{
	struct esrc	*e = source_get(l, m->source);

	snprintf(e->to, sizeof(e->to), "%s", env->from);
	if (!e->due) {
		TAILQ_INSERT_TAIL(&l->due, e, due_entry);
		e->due = 1;
	}
	if (m->source_seq <= e->seq) {
		l->duplicates++;
		return 0;
	}
	if (m->source_seq != e->seq + 1 && !m->source_first) {
		if (!e->gap)
			log_info("%s: event %llu refused: %llu is the last "
			    "taken", e->source,
			    (unsigned long long)m->source_seq,
			    (unsigned long long)e->seq);
		l->refused++;
		e->gap = 1;
		return 0;
	}
	if (append(l, m, ob) == -1 ||
	    evstore_set_cursor(l->s, e->source, m->source_seq) == -1)
		return -1;
	e->seq = m->source_seq;
	return 0;
}

/* LogEvent: append (numbered or not) and push to every subscriber. */
int
elog_log_event(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct elog			*l = self->data;
	const struct msg_log_event	*m = &env->body->log_event;

	if (numbered(env, m))
		return log_numbered(l, env, m, ob);
	return append(l, m, ob);
}

bool
elog_acks_due(const struct elog *l)
{
	return !TAILQ_EMPTY(&l->due);
}

/*
 * LogEventAck {source, sourceSeq, gap?} to each source heard from since
 * the last call.  Sent at the end of a loop turn, it leaves after the
 * commit of every event it covers (the output gate).
 */
void
elog_send_acks(struct elog *l, struct outbox *ob)
{
	struct msg_log_event_ack	 a;
	struct esrc			*e;

	while ((e = TAILQ_FIRST(&l->due)) != NULL) {
		TAILQ_REMOVE(&l->due, e, due_entry);
		e->due = 0;
		snprintf(a.source, sizeof(a.source), "%s", e->source);
		a.source_seq = e->seq;
		a.gap = e->gap;
		e->gap = 0;
		outbox_msg(ob, NULL, e->to, MSG_LOG_EVENT_ACK, 0, &a);
	}
}

/* GetEvents {since?, limit?}: Events {events, lastSeq}. */
int
elog_get_events(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct elog		*l = self->data;
	const struct msg_range	*m = &env->body->get_events;
	struct collect		 c;
	msgpack_packer		*pk;
	uint64_t		 last = evstore_last_seq(l->s), limit, since;

	limit = m->has_limit ? m->limit : EVENTS_LIMIT_DEFAULT;
	if (limit > EVENTS_LIMIT_MAX)
		limit = EVENTS_LIMIT_MAX;
	if (m->has_since)
		since = m->since;
	else
		since = last > limit ? last - limit : 0;
	memset(&c, 0, sizeof(c));
	c.l = l;
	l->tmp.size = 0;
	if (limit > 0 && evstore_each(l->s, since, limit, collect_cb,
	    &c) == -1)
		return -1;
	/* The Events snapshot: {events: [...], lastSeq}. */
	pk = outbox_begin(ob, NULL, env->from, MSG_EVENTS, 1);
	msgpack_pack_map(pk, 2);
	mp_pack_str(pk, "events");
	msgpack_pack_array(pk, c.n);
	mp_pack_raw(pk, l->tmp.data, l->tmp.size);
	mp_pack_kv_uint(pk, "lastSeq", last);
	outbox_end(ob);
	l->tmp.size = 0;
	return 0;
}

/* Subscribe {since?}: Subscribed {lastSeq}, the backlog, then pushes. */
int
elog_subscribe(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct elog		*l = self->data;
	const struct msg_range	*m = &env->body->subscribe;
	struct msg_subscribed	 sm;
	struct collect		 c;
	struct esub		*e;
	uint64_t		 last = evstore_last_seq(l->s), since;

	if (strmap_get(l->map, env->from) == NULL) {
		if (l->n >= SUBSCRIBERS_MAX) {
			outbox_error(ob, env, ERR_UNAVAILABLE,
			    "Too many subscribers");
			return 0;
		}
		e = xcalloc(1, sizeof(*e));
		snprintf(e->addr, sizeof(e->addr), "%s", env->from);
		strmap_put(l->map, e->addr, e);
		TAILQ_INSERT_TAIL(&l->subs, e, entry);
		l->n++;
	}
	sm.last_seq = last;
	sm.has_last_seq = true;
	outbox_msg(ob, NULL, env->from, MSG_SUBSCRIBED, 1, &sm);
	if (!m->has_since || m->since >= last)
		return 0;
	since = m->since;
	if (last - since > BACKLOG_MAX)
		since = last - BACKLOG_MAX;
	memset(&c, 0, sizeof(c));
	c.l = l;
	c.push_to = env->from;
	c.ob = ob;
	return evstore_each(l->s, since, BACKLOG_MAX, collect_cb, &c);
}

/* Forget the subscriber addr; -1 if it was not one. */
static int
unsubscribe(struct elog *l, const char *addr)
{
	struct esub	*e;

	if ((e = strmap_del(l->map, addr)) == NULL)
		return -1;
	TAILQ_REMOVE(&l->subs, e, entry);
	l->n--;
	free(e);
	return 0;
}

/* Unsubscribe {}. */
int
elog_unsubscribe(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	unsubscribe(self->data, env->from);
	outbox_msg(ob, NULL, env->from, MSG_UNSUBSCRIBED, 1, NULL);
	return 0;
}

/* A connection went: forget the subscriber of that address. */
void
elog_peer_down(struct elog *l, const char *identity)
{
	if (unsubscribe(l, identity) == 0)
		log_debug("subscriber %s went away", identity);
}

/* Pack the event log's `inspect` summary. */
void
elog_pack_inspect(struct elog *l, msgpack_packer *pk)
{
	msgpack_pack_map(pk, 9);
	mp_pack_kv_uint(pk, "events", evstore_count(l->s));
	mp_pack_kv_uint(pk, "lastSeq", evstore_last_seq(l->s));
	mp_pack_kv_uint(pk, "subscribers", l->n);
	mp_pack_kv_uint(pk, "pushed", l->pushed);
	mp_pack_kv_uint(pk, "sources", strmap_count(l->srcs));
	mp_pack_kv_uint(pk, "duplicates", l->duplicates);
	mp_pack_kv_uint(pk, "refused", l->refused);
	mp_pack_kv_int(pk, "dbBytes", db_size(evstore_db(l->s)));
	mp_pack_kv_int(pk, "schemaVersion", db_version(evstore_db(l->s)));
}

/* The event log's families: its size, its sequence, its subscribers. */
void
elog_metrics(struct elog *l, struct metrics *m)
{
	metrics_gauge(m, "actord_eventlog_events", "Events the event log "
	    "keeps (at most retention).", "", (double)evstore_count(l->s));
	metrics_counter(m, "actord_eventlog_events_appended_total", "The number of the "
	    "last event appended: events ever logged.", "",
	    (double)evstore_last_seq(l->s));
	metrics_gauge(m, "actord_eventlog_subscribers", "Sessions subscribed "
	    "to the event log.", "", (double)l->n);
	metrics_counter(m, "actord_eventlog_duplicates_total", "Events sent "
	    "again by their source and recognised, since the process "
	    "started.", "", (double)l->duplicates);
}
