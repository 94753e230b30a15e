/*
 * The coordinator actor, coordinator:main: what it takes, from whom it
 * hears, and the glue to the runtime.
 *
 * The handlers are the state's (coordinator_tasks.c, coordinator_workers.c,
 * coordinator_events.c); a command goes through coord_command() first,
 * which applies it once per sender and message id.  What a handler queued
 * leaves after the loop turn's commit; a change marks the subscribers for
 * a coalesced StatusUpdated (coordinator_push.c).
 *
 * Peers.  The worker process: when its connection drops, every worker goes
 * offline; when it is back, every offline worker is asked for
 * (StartWorker) and comes online with the worker's announcement.  The
 * event log: when its connection drops, the events in flight count as
 * lost; when it is back, the oldest unacknowledged one goes out and its
 * ack resumes the sending.  Anyone else going away was a subscriber.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "actor.h"
#include "clock.h"
#include "config.h"
#include "coordinator.h"
#include "db.h"
#include "log.h"
#include "peer.h"

static int	subscribe(struct actor *, const struct envelope *,
		    struct outbox *);
static int	unsubscribe(struct actor *, const struct envelope *,
		    struct outbox *);
static void	worker_process_up(const char *);
static void	worker_process_down(const char *);
static void	eventlog_up(const char *);
static void	eventlog_down(const char *);
static void	session_up(const char *);
static void	session_down(const char *);

static const struct handler handlers[] = {
	{ MSG_ASSIGN_TASK,	 coord_assign_task,	  H_COMMAND },
	{ MSG_CANCEL_TASK,	 coord_cancel_task,	  H_COMMAND },
	{ MSG_RETRY_TASK,	 coord_retry_task,	  H_COMMAND },
	{ MSG_DELETE_TASK,	 coord_delete_task,	  H_COMMAND },
	{ MSG_REGISTER_WORKER,	 coord_register_worker,	  H_COMMAND },
	{ MSG_UNREGISTER_WORKER, coord_unregister_worker, H_COMMAND },
	{ MSG_HOST_STATE,	 coord_host_state,	  0 },
	{ MSG_PAUSE_QUEUE,	 coord_pause_queue,	  H_COMMAND },
	{ MSG_RESUME_QUEUE,	 coord_resume_queue,	  H_COMMAND },
	{ MSG_WATCH_TASK,	 coord_watch_task,	  0 },
	{ MSG_GET_TASK,		 coord_get_task,	  0 },
	{ MSG_LIST_TASKS,	 coord_list_tasks,	  0 },
	{ MSG_GET_KINDS,	 coord_get_kinds,	  0 },
	{ MSG_GET_STATUS,	 coord_get_status,	  0 },
	{ MSG_SUBSCRIBE,	 subscribe,		  0 },
	{ MSG_UNSUBSCRIBE,	 unsubscribe,		  0 },
	{ MSG_TASK_STARTED,	 coord_task_started,	  0 },
	{ MSG_TASK_COMPLETED,	 coord_task_completed,	  0 },
	{ MSG_TASK_FAILED,	 coord_task_failed,	  0 },
	{ MSG_TASK_OUTPUT,	 coord_task_output,	  0 },
	{ MSG_WORKER_STATE,	 coord_worker_state,	  0 },
	{ MSG_LOG_EVENT_ACK,	 coord_log_event_ack,	  0 },
};

static const struct peer_rule peers[] = {
	{ "worker",	worker_process_up,	worker_process_down },
	{ "eventlog",	eventlog_up,		eventlog_down },
	{ NULL,		session_up,		session_down },
};

static int	coordinator_setup(const struct config *);
static void	coordinator_handled(void);
static void	coordinator_inspect(msgpack_packer *);
static void	coordinator_metrics(struct metrics *);
static void	coordinator_reload(const struct config *);

const struct actor_kind coordinator_kind = {
	.name = "coordinator",
	.handlers = handlers,
	.nhandlers = nitems(handlers),
	.peers = peers,
	.npeers = nitems(peers),
	.command = coord_command,
	.handled = coordinator_handled,
	.setup = coordinator_setup,
	.inspect = coordinator_inspect,
	.metrics = coordinator_metrics,
	.reload = coordinator_reload,
};

static struct config	 kinds_cfg;	/* the config the kinds come from */

static struct {
	struct coord	*c;
	struct actor	*self;
	struct pushset	*push;
	struct event	*tick;		/* the event outbox's timer */
	struct event	*due;		/* the delayed tasks' timer */
	struct event	*unheard;	/* watch_keep_ms after the start */
	int64_t		 due_armed;	/* for this time; 0: not armed */
	struct outbox	 ob;		/* what timers and peers queue */
	int		 worker_gone;	/* since we last asked for workers */
	int		 group_commit;	/* 0: commit after every message */
} co;

/* One message for the state, through the handler table (for the tests). */
int
coord_handle(struct coord *c, struct envelope *env, struct outbox *ob)
{
	return actor_handle_at(&coordinator_kind, COORDINATOR_ADDRESS, c, env,
	    ob);
}

/* Arm the delayed tasks' timer for the earliest of them. */
static void
due_arm(void)
{
	int64_t	 at = co.c->due_at, now;

	if (at == co.due_armed)
		return;		/* most messages: no clock read */
	co.due_armed = at;
	if (at == 0)
		evtimer_del(co.due);
	else {
		now = coord_now(co.c);
		timer_ms(co.due, at > now ? at - now : 0);
	}
}

/*
 * After each message, timer or peer event: tell the subscribers about a
 * change, and keep the delayed tasks' timer on the earliest.  Without group commit ([coordinator] group_commit = no, for
 * comparison) each message is committed and its replies sent here,
 * before the next message is handled, instead of once at the end of the
 * loop turn: the flush runs the commit before it releases anything (the
 * output gate).
 */
static void
coordinator_handled(void)
{
	if (coord_take_dirty(co.c))
		push_changed(co.push);
	due_arm();
	if (!co.group_commit)
		peer_flush();
}

/* Hand on what a timer or a peer event made the state queue. */
static void
settle(int rc)
{
	actor_settle(&coordinator_kind, rc, &co.ob, COORDINATOR_ADDRESS, NULL);
}

/* Subscribe {}: Subscribed, then the snapshot now and on every change. */
static int
subscribe(struct actor *self, const struct envelope *env, struct outbox *ob)
{
	(void)self;
	if (push_add(co.push, env->from) == -1) {
		outbox_error(ob, env, ERR_UNAVAILABLE, "Too many subscribers");
		return 0;
	}
	outbox_msg(ob, NULL, env->from, MSG_SUBSCRIBED, 1,
	    &(struct msg_subscribed){ 0 });
	/* Queued after the reply: sent after it, in the same turn. */
	actor_send_outbox(ob, COORDINATOR_ADDRESS, env);
	push_now(co.push, env->from);
	return 0;
}

/* Unsubscribe {}. */
static int
unsubscribe(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	(void)self;
	push_del(co.push, env->from);
	outbox_msg(ob, NULL, env->from, MSG_UNSUBSCRIBED, 1, NULL);
	return 0;
}

/* The worker process went away: every worker offline. */
static void
worker_process_down(const char *identity)
{
	(void)identity;
	log_info("the worker process went away");
	co.worker_gone = 1;
	settle(coord_workers_down(co.c, &co.ob));
}

/* The worker process is back after going away: ask it for its workers. */
static void
worker_process_up(const char *identity)
{
	(void)identity;
	if (!co.worker_gone)
		return;
	log_info("the worker process is back; asking for its workers");
	co.worker_gone = 0;
	settle(coord_workers_up(co.c, &co.ob));
}

/* The event log went away: what was in flight is sent again. */
static void
eventlog_down(const char *identity)
{
	(void)identity;
	coord_events_down(co.c);
}

/* The event log is back: probe it. */
static void
eventlog_up(const char *identity)
{
	(void)identity;
	settle(coord_events_up(co.c, &co.ob));
}

/* Anyone else connecting is a session (or actorctl): it is back. */
static void
session_up(const char *identity)
{
	watch_heard(co.c, identity);
}

/* watch_keep_ms after the start: the watchers that did not come back. */
static void
unheard_fire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	settle(watch_unheard_drop(co.c, &co.ob));
}

/*
 * Anyone else going away was a session: it may have subscribed, and its
 * watches go (it watches again when it comes back).  A running command
 * nobody watches any more stops sending its output.
 */
static void
session_down(const char *identity)
{
	if (push_del(co.push, identity) == 0)
		log_debug("subscriber %s went away", identity);
	settle(watch_drop(co.c, identity, &co.ob));
}

/* The delayed tasks' time came: into their queues, a batch a turn. */
static void
due_fire(evutil_socket_t fd, short what, void *arg)
{
	int	 more;

	(void)fd;
	(void)what;
	(void)arg;
	co.due_armed = 0;
	more = coord_due(co.c, &co.ob);
	if (more == 1) {
		co.due_armed = -1;	/* armed for now */
		timer_ms(co.due, 0);
	}
	settle(more == -1 ? -1 : 0);
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
	pk = actor_begin(COORDINATOR_ADDRESS, to, MSG_STATUS_UPDATED, NULL);
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
	settle(coord_events_tick(co.c, &co.ob) == -1 ||
	    prune_finished(co.c) == -1 ? -1 : 0);
}

/* The state's settings from the configuration. */
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
	conf->finished_max_age_s = cfg->finished_max_age_s;
	snprintf(conf->queues, sizeof(conf->queues), "%s", cfg->queues);
	conf->queues_open = cfg->queues_open;
	conf->watches_per_watcher = cfg->watches_per_watcher;
	conf->watches_per_task = cfg->watches_per_task;
	/* A live session may wait reconnect_max_ms before it comes back. */
	conf->watch_keep_ms = cfg->watch_keep_ms > 2 * cfg->reconnect_max_ms ?
	    cfg->watch_keep_ms : 2 * cfg->reconnect_max_ms;
	conf->max_workers = cfg->max_workers;
	conf->metrics_series = cfg->metrics_series;
	snprintf(conf->host, sizeof(conf->host), "%s", cfg->host);
	conf->roles = cfg->roles;
	/* The kinds, from a copy that a failed reload cannot touch. */
	kinds_cfg = *cfg;
	conf->cfg = &kinds_cfg;
}

/* Open and load coordinator.db, spawn coordinator:main, ask for the workers. */
static int
coordinator_setup(const struct config *cfg)
{
	struct coord_conf	 conf;
	char			 path[CONFIG_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/coordinator.db", cfg->state_dir);
	conf_from(cfg, &conf);
	co.group_commit = cfg->group_commit;
	if ((co.c = coord_open(path, &conf)) == NULL)
		return -1;
	rt_use_db(coord_db(co.c));
	outbox_init(&co.ob);
	co.self = actor_spawn(&coordinator_kind, "main", co.c);
	co.push = push_new(rt_base(), cfg->push_interval_ms, &push_ops, NULL);
	if ((co.tick = event_new(rt_base(), -1, EV_PERSIST, events_tick,
	    NULL)) == NULL || timer_ms(co.tick, EVENTS_TICK_MS) == -1)
		fatalx("coordinator: the event outbox's timer");
	if ((co.due = evtimer_new(rt_base(), due_fire, NULL)) == NULL)
		fatalx("coordinator: the delayed tasks' timer");
	if ((co.unheard = evtimer_new(rt_base(), unheard_fire, NULL)) ==
	    NULL || timer_ms(co.unheard, conf.watch_keep_ms) == -1)
		fatalx("coordinator: the watchers' timer");
	settle(coord_start(co.c, &co.ob));
	log_info("%s: %zu workers, %llu tasks queued, %llu running", path,
	    co.c->nworkers, (unsigned long long)co.c->ntasks[TASK_QUEUED],
	    (unsigned long long)co.c->ntasks[TASK_RUNNING]);
	return 0;
}

/* The coordinator's part of `inspect`. */
static void
coordinator_inspect(msgpack_packer *pk)
{
	coord_pack_inspect(co.c, pk, push_count(co.push));
}

/* The coordinator's part of GetMetrics. */
static void
coordinator_metrics(struct metrics *m)
{
	coord_metrics(co.c, m);
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
