/*
 * The coordinator actor: the glue between the runtime and the state
 * machine.  Each message goes to coord_handle(); what it appended to the
 * outbox is sent (the runtime holds it until the loop turn's commit); a
 * change marks the subscribers for a coalesced StatusUpdated.
 *
 * The worker process is watched through the runtime's peer callbacks:
 * when its connection drops ("worker"), its running tasks are requeued and
 * every worker goes offline; when it is back, every offline worker is asked
 * for (StartWorker) and comes online with the worker's announcement.
 *
 * So is the event log ("eventlog"): when its connection drops, the events
 * in flight count as lost; when it is back, the oldest unacknowledged one
 * goes out and its ack resumes the sending.  A timer trims acknowledged
 * events and sends again when acks stop (coord_events_tick).
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "actor.h"
#include "config.h"
#include "coordinator.h"
#include "db.h"
#include "log.h"
#include "peer.h"

extern const struct actor_kind coordinator_kind;

static struct {
	struct coord	*c;
	struct actor	*self;
	struct pushset	*push;
	struct event	*tick;		/* the event outbox's timer */
	struct outbox	 ob;
	int		 worker_gone;	/* since we last asked for workers */
	int		 group_commit;	/* 0: commit after every message */
} co;

/* The state machine's settings from the configuration. */
static void
conf_from(const struct config *cfg, struct coord_conf *conf)
{
	conf->max_attempts = cfg->max_attempts;
	conf->dedupe_window_s = cfg->dedupe_window_s;
	conf->recent_tasks = cfg->recent_tasks;
	conf->queue_preview = cfg->queue_preview;
	conf->finished_tasks = cfg->finished_tasks;
	conf->unacked_events = cfg->unacked_events;
	conf->synchronous = cfg->coordinator_sync;
}

/*
 * Send what the state machine queued (replies answer req) and tell the
 * subscribers about a change.  A failed database write leaves the memory
 * and the database apart: exit, and let the restart recover from the last
 * commit (nothing of this turn has left the process).
 *
 * Without group commit ([coordinator] group_commit = no, for comparison)
 * each message is committed and its replies sent here, before the next
 * message is handled, instead of once at the end of the loop turn: the
 * flush runs the commit before it releases anything (the output gate).
 */
static void
settle(int rc, const struct envelope *req)
{
	if (rc == -1)
		fatalx("coordinator.db: a write failed; exiting so that the "
		    "restart recovers the last committed state");
	outbox_send(&co.ob, COORD_ADDRESS, req);
	if (coord_take_dirty(co.c))
		push_changed(co.push);
	if (!co.group_commit)
		peer_flush();
}

/* Pack the snapshot for a push (push_ops). */
static int
push_snapshot(msgpack_packer *pk, void *arg)
{
	(void)arg;
	return coord_pack_status(co.c, pk);
}

/* Send one subscriber a StatusUpdated push (push_ops). */
static void
push_send(const char *to, const void *payload, size_t len, void *arg)
{
	msgpack_packer	*pk;

	(void)arg;
	pk = actor_begin(COORD_ADDRESS, to, MSG_STATUS_UPDATED, NULL);
	mp_pack_raw(pk, payload, len);
	actor_end();
}

static const struct push_ops push_ops = {
	.snapshot = push_snapshot,
	.send = push_send,
};

/* Every EVENTS_TICK_MS: the event outbox's housekeeping. */
static void
events_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	settle(coord_events_tick(co.c, &co.ob), NULL);
}

/* Open and load coordinator.db, spawn coordinator:main, ask for the workers. */
static int
coordinator_setup(const struct config *cfg)
{
	struct coord_conf	 conf;
	struct timeval		 tv;
	char			 path[CONFIG_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/coordinator.db", cfg->state_dir);
	conf_from(cfg, &conf);
	co.group_commit = cfg->group_commit;
	if ((co.c = coord_open(path, &conf)) == NULL)
		return -1;
	rt_use_db(coord_db(co.c));
	outbox_init(&co.ob);
	co.self = actor_spawn(&coordinator_kind, "main", NULL);
	co.push = push_new(rt_base(), cfg->push_interval_ms, &push_ops, NULL);
	tv.tv_sec = EVENTS_TICK_MS / 1000;
	tv.tv_usec = (EVENTS_TICK_MS % 1000) * 1000;
	if ((co.tick = event_new(rt_base(), -1, EV_PERSIST, events_tick,
	    NULL)) == NULL || event_add(co.tick, &tv) == -1)
		fatalx("coordinator: the event outbox's timer");
	settle(coord_start(co.c, &co.ob), NULL);
	log_info("%s: %zu workers, %llu tasks queued, %llu running", path,
	    co.c->nworkers, (unsigned long long)co.c->ntasks[TASK_QUEUED],
	    (unsigned long long)co.c->ntasks[TASK_RUNNING]);
	return 0;
}

/* One message: subscriptions here, everything else to the state machine. */
static void
coordinator_receive(struct actor *a, const struct envelope *env)
{
	msgpack_packer	*pk;

	switch (env->type) {
	case MSG_SUBSCRIBE:
		if (push_add(co.push, env->from) == -1) {
			actor_error(a->address, env, ERR_UNAVAILABLE,
			    "Too many subscribers");
			return;
		}
		pk = actor_reply(a, env, MSG_SUBSCRIBED);
		msgpack_pack_map(pk, 0);
		actor_end();
		push_now(co.push, env->from);
		return;
	case MSG_UNSUBSCRIBE:
		push_del(co.push, env->from);
		pk = actor_reply(a, env, MSG_UNSUBSCRIBED);
		msgpack_pack_map(pk, 0);
		actor_end();
		return;
	default:
		settle(coord_handle(co.c, env, &co.ob), env);
		return;
	}
}

/*
 * A connection went: the worker process (requeue), the event log (what
 * was in flight is sent again) or a subscriber.
 */
static void
coordinator_peer_down(const char *identity)
{
	if (strcmp(identity, "eventlog") == 0) {
		coord_events_down(co.c);
		return;
	}
	if (strcmp(identity, "worker") == 0) {
		log_info("the worker process went away");
		co.worker_gone = 1;
		settle(coord_workers_down(co.c, &co.ob), NULL);
		return;
	}
	if (push_del(co.push, identity) == 0)
		log_debug("subscriber %s went away", identity);
}

/*
 * The event log is back: probe it.  The worker process is back after
 * going away: ask it for its workers.
 */
static void
coordinator_peer_up(const char *identity)
{
	if (strcmp(identity, "eventlog") == 0) {
		settle(coord_events_up(co.c, &co.ob), NULL);
		return;
	}
	if (strcmp(identity, "worker") != 0 || !co.worker_gone)
		return;
	log_info("the worker process is back; asking for its workers");
	co.worker_gone = 0;
	settle(coord_workers_up(co.c, &co.ob), NULL);
}

/* The coordinator's part of `inspect`. */
static void
coordinator_inspect(msgpack_packer *pk)
{
	coord_pack_inspect(co.c, pk, push_count(co.push));
}

/* SIGHUP: the new settings, and a push if they change the snapshot. */
static void
coordinator_reload(const struct config *cfg)
{
	struct coord_conf	 conf;

	conf_from(cfg, &conf);
	coord_reconf(co.c, &conf);
	co.group_commit = cfg->group_commit;
	push_set_interval(co.push, cfg->push_interval_ms);
	if (coord_take_dirty(co.c))
		push_changed(co.push);
}

const struct actor_kind coordinator_kind = {
	.name = "coordinator",
	.setup = coordinator_setup,
	.receive = coordinator_receive,
	.inspect = coordinator_inspect,
	.peer_up = coordinator_peer_up,
	.peer_down = coordinator_peer_down,
	.reload = coordinator_reload,
};
