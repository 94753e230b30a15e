/*
 * The event log actor: the glue between the runtime and eventlog_log.c.
 * What the log sends goes out through actor_begin()/actor_end(), held by
 * the runtime until the loop turn's commit.
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

extern const struct actor_kind eventlog_kind;

static struct {
	struct evstore	*store;
	struct elog	*log;
	struct event	*ack_ev;	/* sends the acks due, once a turn */
} el;

/* What the log sends leaves through the runtime (after the commit). */
static void
sink(const char *to, enum msg_type type, const char *reply_to,
    const void *payload, size_t len, void *arg)
{
	msgpack_packer	*pk;

	(void)arg;
	pk = actor_begin(EVENTLOG_ADDRESS, to, type, reply_to);
	pk->callback(pk->data, payload, len);
	actor_end();
}

/* The end of a turn that took numbered events: acknowledge them. */
static void
send_acks(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	elog_send_acks(el.log);
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
	if ((el.log = elog_new(el.store, sink, NULL)) == NULL)
		return -1;
	if ((el.ack_ev = event_new(rt_base(), -1, 0, send_acks, NULL)) ==
	    NULL)
		fatalx("eventlog: event_new");
	actor_spawn(&eventlog_kind, "main", NULL);
	log_info("%s: %llu events, last seq %llu", path,
	    (unsigned long long)evstore_count(el.store),
	    (unsigned long long)evstore_last_seq(el.store));
	return 0;
}

/* One message for eventlog:main. */
static void
eventlog_receive(struct actor *a, const struct envelope *env)
{
	(void)a;
	if (elog_handle(el.log, env) == -1)
		fatalx("eventlog.db: a write failed; exiting so that the "
		    "restart recovers the last committed state");
	if (elog_acks_due(el.log))
		event_active(el.ack_ev, EV_TIMEOUT, 1);
}

/* A connection went: forget its subscription. */
static void
eventlog_peer_down(const char *identity)
{
	elog_peer_down(el.log, identity);
}

/* The event log's part of `inspect`. */
static void
eventlog_inspect(msgpack_packer *pk)
{
	elog_pack_inspect(el.log, pk);
}

/* SIGHUP: a new retention. */
static void
eventlog_reload(const struct config *cfg)
{
	evstore_set_retention(el.store, (uint64_t)cfg->retention);
}

const struct actor_kind eventlog_kind = {
	.name = "eventlog",
	.setup = eventlog_setup,
	.receive = eventlog_receive,
	.peer_down = eventlog_peer_down,
	.inspect = eventlog_inspect,
	.reload = eventlog_reload,
};
