/*
 * The event outbox: the coordinator's activity events, delivered at least
 * once and recorded once.
 *
 * An event is a row of events_out, written in the transaction of the
 * change it tells of and numbered (seq, one past the last: the source's
 * sequence).  It leaves as LogEvent {..., sourceSeq} once that transaction
 * has committed (the output gate), and its row stays until the event log
 * acknowledges it: LogEventAck {source, sourceSeq} says that every event
 * up to sourceSeq is committed there.  The event log drops a number it has
 * taken already and refuses one past a gap, so sending again is always
 * safe, and in order is the only order it takes.
 *
 * In memory (struct cevents): floor = max(acked, lo - 1) is the last
 * event that is done with (acknowledged, or dropped past the bound), and
 * floor + 1 .. sent are in flight on the current connection.
 *
 *	live	   while in step (synced, nothing waiting before it, fewer
 *		   than EVENTS_WINDOW in flight) a new event is sent as it is
 *		   added: one INSERT, no query.
 *	rewind	   when the connection drops, what was in flight may be lost
 *		   anywhere between the two processes: sent goes back to
 *		   floor and live sending stops.
 *	probe	   out of step, only the oldest event not done goes out, one
 *		   probe at a time; the ack it draws tells where the event
 *		   log is (if it had the event, the ack says how far it got).
 *	pump	   in step again, the rows after sent go out in order,
 *		   EVENTS_BATCH a turn: each ack pumps the next batch.
 *	gap	   an ack with gap: the event log refused one past a hole
 *		   (it should not happen): rewind to its cursor and pump.
 *	stall	   no ack for EVENTS_RESEND_MS with events in flight: rewind
 *		   and probe again (the tick).
 *
 * sourceFirst marks the oldest event not done: nothing before it will be
 * sent again, so the event log takes it whatever its cursor (after the
 * oldest rows were dropped, the cursor would otherwise wait forever).
 *
 * Acknowledged rows are deleted EVENTS_TRIM at a time inside a turn that
 * adds an event, or by the tick, so that an ack costs no commit of its
 * own.  Past unacked_events rows (a long outage of the event log) the
 * oldest are deleted as each new one comes: counted, and logged once per
 * outage.
 *
 * Numbering starts, for a new outbox, at the clock in microseconds: a
 * coordinator.db started afresh beside an old eventlog.db then numbers
 * above anything the event log has seen from the old one.  If the event
 * log is ahead all the same (an ack past our last number), the rows kept
 * are renumbered past its cursor and sent again.
 */
#include <stdio.h>
#include <string.h>

#include "coordinator.h"
#include "db.h"
#include "log.h"

/* Everything up to this is done with. */
static int64_t
events_floor(const struct coord *c)
{
	return c->ev.acked > c->ev.lo - 1 ? c->ev.acked : c->ev.lo - 1;
}

/* The events not yet acknowledged (and not dropped). */
static int64_t
events_unacked(const struct coord *c)
{
	return c->ev.next - 1 - events_floor(c);
}

int64_t
coord_events_unacked(const struct coord *c)
{
	return events_unacked(c);
}

/* Read the outbox's range and the numbering; everything is out of step. */
int
events_load(struct coord *c)
{
	struct cevents	*ev = &c->ev;
	int64_t		 lo, hi, done;

	msgpack_sbuffer_init(&ev->data);
	if (cdb_int(c, ST_EVENTS_FIRST, &lo) == -1 ||
	    cdb_int(c, ST_EVENTS_LAST, &hi) == -1 ||
	    cdb_int(c, ST_EVENTS_DONE, &done) == -1)
		return -1;
	if (hi > 0) {
		ev->lo = lo;
		ev->next = hi + 1;
	} else {
		ev->next = done > 0 ? done + 1 : coord_now(c) * 1000;
		ev->lo = ev->next;
	}
	ev->acked = ev->sent = ev->lo - 1;
	ev->high = ev->sent;
	ev->gap_at = -1;
	ev->synced = 0;
	return 0;
}

void
events_free(struct coord *c)
{
	msgpack_sbuffer_destroy(&c->ev.data);
}

/* Remember the last number gone from the outbox, for after a restart. */
static int
events_set_done(struct coord *c, int64_t upto)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_EVENT_DONE);

	sqlite3_bind_int64(st, 1, upto);
	return cdb_run(c, st);
}

/* Delete the rows up to upto. */
static int
events_trim(struct coord *c, int64_t upto)
{
	sqlite3_stmt	*st;

	if (upto < c->ev.lo)
		return 0;
	if (db_begin(c->db) == -1)
		return -1;
	st = cdb_stmt(c, ST_EVENT_TRIM);
	sqlite3_bind_int64(st, 1, upto);
	if (cdb_run(c, st) == -1 || events_set_done(c, upto) == -1)
		return -1;
	c->ev.lo = upto + 1;
	if (c->ev.sent < events_floor(c))
		c->ev.sent = events_floor(c);
	return 0;
}

/* Queue LogEvent number seq for the event log. */
static void
events_send(struct coord *c, struct outbox *ob, int64_t seq,
    const char *level, const char *message, const void *data, size_t len)
{
	struct msg_log_event	 m;
	int64_t			 floor = events_floor(c);

	/* Nothing was in flight: the wait for an ack starts now. */
	if (c->ev.sent == floor)
		c->ev.progress_at = coord_now(c);
	memset(&m, 0, sizeof(m));
	snprintf(m.level, sizeof(m.level), "%s", level);
	snprintf(m.source, sizeof(m.source), "%s", COORDINATOR_ADDRESS);
	snprintf(m.message, sizeof(m.message), "%s", message);
	m.data.raw = data;
	m.data.len = len;
	m.source_seq = (uint64_t)seq;
	m.has_source_seq = true;
	m.source_first = seq == floor + 1;
	outbox_msg(ob, NULL, EVENTLOG_ADDRESS, MSG_LOG_EVENT, 0, &m);
	c->ev.sent = seq;
	c->ev.probing = !c->ev.synced;
	if (seq <= c->ev.high)
		c->ev.resent++;
	else
		c->ev.high = seq;
}

/*
 * Send the rows after sent: out of step, only the probe (the oldest row
 * not done), unless one is out already; in step, up to EVENTS_BATCH within
 * the window.
 */
static int
events_pump(struct coord *c, struct outbox *ob)
{
	sqlite3_stmt	*st;
	int64_t		 floor = events_floor(c), limit;
	int		 rc;

	if (!c->ev.synced) {
		if (c->ev.probing)
			return 0;
		c->ev.sent = floor;
		limit = 1;
	} else {
		limit = EVENTS_WINDOW - (c->ev.sent - floor);
		if (limit > EVENTS_BATCH)
			limit = EVENTS_BATCH;
	}
	if (limit <= 0 || c->ev.sent >= c->ev.next - 1)
		return 0;
	st = cdb_stmt(c, ST_EVENT_FROM);
	sqlite3_bind_int64(st, 1, c->ev.sent);
	sqlite3_bind_int64(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		events_send(c, ob, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    sqlite3_column_blob(st, 3),
		    (size_t)sqlite3_column_bytes(st, 3));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("coordinator.db: events to send: %s",
		    sqlite3_errmsg(db_handle(c->db)));
		return -1;
	}
	return 0;
}

/* Past unacked_events rows: drop the oldest, count what was not acked. */
static int
events_bound(struct coord *c)
{
	int64_t	 upto = c->ev.next - 1 - c->conf.unacked_events;
	int64_t	 lost = upto - events_floor(c);

	if (upto < c->ev.lo)
		return 0;
	if (lost > 0) {
		if (!c->ev.dropping)
			log_warnx("%lld events wait for the event log "
			    "(unacked_events is %d): dropping the oldest",
			    (long long)(c->ev.next - 1 - events_floor(c)),
			    c->conf.unacked_events);
		c->ev.dropping = 1;
		c->ev.dropped += (uint64_t)lost;
	}
	return events_trim(c, upto);
}

/*
 * Log one activity line: its row in this turn's transaction, and the
 * LogEvent now if in step (it leaves after the commit), else later.
 */
int
events_add(struct coord *c, struct outbox *ob, const char *level,
    const char *task, const char *worker, int64_t attempts, const char *text)
{
	struct msg_event_data	 d;
	msgpack_sbuffer		*sb = &c->ev.data;
	msgpack_packer		 pk;
	sqlite3_stmt		*st;
	int64_t			 seq = c->ev.next;

	memset(&d, 0, sizeof(d));
	if (task != NULL)
		snprintf(d.task_id, sizeof(d.task_id), "%s", task);
	if (worker != NULL)
		snprintf(d.worker_id, sizeof(d.worker_id), "%s", worker);
	d.attempts = (uint64_t)attempts;
	d.has_attempts = attempts >= 0;
	sb->size = 0;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msg_encode(&pk, &msg_shape_event_data, &d);
	if (db_begin(c->db) == -1)
		return -1;
	st = cdb_stmt(c, ST_EVENT_INSERT);
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, level, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sb->data, (int)sb->size, SQLITE_STATIC);
	if (cdb_run(c, st) == -1)
		return -1;
	c->ev.next++;
	if (c->ev.acked - c->ev.lo + 1 >= EVENTS_TRIM &&
	    events_trim(c, c->ev.acked) == -1)
		return -1;
	if (events_bound(c) == -1)
		return -1;
	if (c->ev.synced && c->ev.sent == seq - 1 &&
	    seq - 1 - events_floor(c) < EVENTS_WINDOW) {
		events_send(c, ob, seq, level, text, sb->data, sb->size);
		return 0;
	}
	return events_pump(c, ob);
}

/*
 * The event log is ahead of our numbering (k past the last number given):
 * it has seen another coordinator.db's events.  Number the rows kept past
 * k, so that it takes them.  Every new number is above every old one, so
 * one UPDATE cannot collide.
 */
static int
events_renumber(struct coord *c, int64_t k)
{
	sqlite3_stmt	*st;
	int64_t		 d = k + 1 - c->ev.lo;

	log_warnx("the event log has events of %s up to %lld, past this "
	    "database's last, %lld (a new coordinator.db?): numbering on "
	    "from %lld", COORDINATOR_ADDRESS, (long long)k,
	    (long long)(c->ev.next - 1), (long long)(k + 1));
	if (db_begin(c->db) == -1)
		return -1;
	st = cdb_stmt(c, ST_EVENT_SHIFT);
	sqlite3_bind_int64(st, 1, d);
	if (cdb_run(c, st) == -1 || events_set_done(c, k) == -1)
		return -1;
	c->ev.lo += d;
	c->ev.next += d;
	c->ev.high = c->ev.sent = k;
	return 0;
}

/*
 * LogEventAck {source, sourceSeq, gap?}: the event log has every event up
 * to sourceSeq.  Forget them (the rows go later, EVENTS_TRIM at a time),
 * get in step, and send what follows.
 */
int
coord_log_event_ack(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct coord			*c = self->data;
	const struct msg_log_event_ack	*m = &env->body->log_event_ack;
	int64_t				 seq = (int64_t)m->source_seq;

	if (strcmp(m->source, COORDINATOR_ADDRESS) != 0) {
		log_warnx("LogEventAck from %s for %s; dropped", env->from,
		    m->source);
		return 0;
	}
	if (seq > c->ev.next - 1 && events_renumber(c, seq) == -1)
		return -1;
	if (seq > c->ev.acked) {
		c->ev.acked = seq;
		c->ev.progress_at = coord_now(c);
		c->ev.stalled = c->ev.dropping = 0;
	}
	if (c->ev.sent < events_floor(c))
		c->ev.sent = events_floor(c);
	c->ev.synced = 1;
	c->ev.probing = 0;
	if (m->gap && seq == c->ev.acked && seq < c->ev.sent &&
	    seq != c->ev.gap_at) {
		log_info("the event log refused an event after %lld (a gap); "
		    "sending again from there", (long long)seq);
		c->ev.gap_at = seq;
		c->ev.sent = events_floor(c);
	}
	return events_pump(c, ob);
}

void
coord_events_down(struct coord *c)
{
	c->ev.synced = c->ev.probing = 0;
	c->ev.sent = events_floor(c);
	c->ev.gap_at = -1;
}

int
coord_events_up(struct coord *c, struct outbox *ob)
{
	return events_pump(c, ob);
}

/*
 * Trim what was acknowledged; when events (or a probe) are in flight and
 * no ack came for EVENTS_RESEND_MS, rewind and probe again.  Out of step
 * with no probe out, probe.
 */
int
coord_events_tick(struct coord *c, struct outbox *ob)
{
	int64_t	 now = coord_now(c);

	if (c->ev.acked >= c->ev.lo && events_trim(c, c->ev.acked) == -1)
		return -1;
	if ((c->ev.probing || c->ev.sent > events_floor(c)) &&
	    now - c->ev.progress_at >= EVENTS_RESEND_MS) {
		if (!c->ev.stalled)
			log_info("no acknowledgement from the event log for "
			    "%lld ms; sending again from event %lld",
			    (long long)(now - c->ev.progress_at),
			    (long long)(events_floor(c) + 1));
		c->ev.stalled = 1;
		coord_events_down(c);
	}
	return events_pump(c, ob);
}

/* The outbox's part of `inspect`: three keys. */
void
events_pack_inspect(struct coord *c, msgpack_packer *pk)
{
	mp_pack_kv_int(pk, "eventsUnacked", events_unacked(c));
	mp_pack_kv_uint(pk, "eventsDropped", c->ev.dropped);
	mp_pack_kv_uint(pk, "eventsResent", c->ev.resent);
}
