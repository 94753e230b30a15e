/*
 * The event log actor, eventlog:main: what it takes, from whom it hears,
 * and the glue to the runtime.  What the log queues goes out after the
 * loop turn's commit.
 *
 * Acknowledgements of numbered events go once per loop turn: the first
 * message that makes one due activates ack_ev, which runs after the
 * messages read in this turn and sends one LogEventAck per source.
 */
#include <stdio.h>

#include <event2/event.h>

#include "actor.h"
#include "config.h"
#include "eventlog.h"
#include "log.h"

static const struct handler handlers[] = {
	{ MSG_LOG_EVENT,	elog_log_event,		0 },
	{ MSG_GET_EVENTS,	elog_get_events,	0 },
	{ MSG_SUBSCRIBE,	elog_subscribe,		0 },
	{ MSG_UNSUBSCRIBE,	elog_unsubscribe,	0 },
};

static void	subscriber_down(const char *);

static const struct peer_rule peers[] = {
	{ NULL,		NULL,		subscriber_down },
};

static int	eventlog_setup(const struct config *);
static void	eventlog_handled(void);
static void	eventlog_inspect(msgpack_packer *);
static void	eventlog_metrics(struct metrics *);
static void	eventlog_reload(const struct config *);

const struct actor_kind eventlog_kind = {
	.name = "eventlog",
	.handlers = handlers,
	.nhandlers = nitems(handlers),
	.peers = peers,
	.npeers = nitems(peers),
	.handled = eventlog_handled,
	.setup = eventlog_setup,
	.inspect = eventlog_inspect,
	.metrics = eventlog_metrics,
	.reload = eventlog_reload,
};

static struct {
	struct evstore	*store;
	struct elog	*log;
	struct event	*ack_ev;	/* sends the acks due, once a turn */
	struct outbox	 ob;		/* the acks */
} el;

/* One message for the log, through the handler table (for the tests). */
int
elog_handle(struct elog *l, struct envelope *env, struct outbox *ob)
{
	return actor_handle_at(&eventlog_kind, EVENTLOG_ADDRESS, l, env, ob);
}

/* A message took numbered events: acknowledge them after the turn. */
static void
eventlog_handled(void)
{
	if (elog_acks_due(el.log))
		event_active(el.ack_ev, EV_TIMEOUT, 1);
}

/* The end of a turn that took numbered events: acknowledge them. */
static void
send_acks(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	elog_send_acks(el.log, &el.ob);
	actor_settle(&eventlog_kind, 0, &el.ob, EVENTLOG_ADDRESS, NULL);
}

/* A connection went: forget its subscription. */
static void
subscriber_down(const char *identity)
{
	elog_peer_down(el.log, identity);
}

/* Open eventlog.db and spawn eventlog:main. */
static int
eventlog_setup(const struct config *cfg)
{
	char	 path[CONFIG_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/eventlog.db", cfg->state_dir);
	if ((el.store = evstore_open(path, cfg->eventlog_sync,
	    (uint64_t)cfg->retention)) == NULL)
		return -1;
	rt_use_db(evstore_db(el.store));
	if ((el.log = elog_new(el.store)) == NULL)
		return -1;
	outbox_init(&el.ob);
	if ((el.ack_ev = event_new(rt_base(), -1, 0, send_acks, NULL)) ==
	    NULL)
		fatalx("eventlog: event_new");
	actor_spawn(&eventlog_kind, "main", el.log);
	log_info("%s: %llu events, last seq %llu", path,
	    (unsigned long long)evstore_count(el.store),
	    (unsigned long long)evstore_last_seq(el.store));
	return 0;
}

/* The event log's part of `inspect`. */
static void
eventlog_inspect(msgpack_packer *pk)
{
	elog_pack_inspect(el.log, pk);
}

/* The event log's part of GetMetrics. */
static void
eventlog_metrics(struct metrics *m)
{
	elog_metrics(el.log, m);
}

/* SIGHUP: a new retention. */
static void
eventlog_reload(const struct config *cfg)
{
	evstore_set_retention(el.store, (uint64_t)cfg->retention);
}
