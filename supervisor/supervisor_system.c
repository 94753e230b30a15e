/*
 * system:supervisor, the read-only view of the tree that sessions may
 * reach on $RUN/system.sock: GetTree, and Subscribe for TreeUpdated on
 * every change (coalesced per loop turn).  Writes stay on actord.sock.
 * While a session is subscribed, it asks every running child for its
 * message counters each tree_refresh_ms, and pushes the tree to the
 * sessions when one moved: the dashboard draws each process's message
 * rate from that.  It also keeps the gateway's last session list and,
 * in a cluster, the other hosts as this host's link sees them, and logs
 * the tree's events to the event log.  It watches the tree through its
 * hooks.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "actor.h"
#include "child.h"
#include "clock.h"
#include "hosts.h"
#include "log.h"
#include "metrics.h"
#include "strmap.h"
#include "supervisor.h"
#include "xmalloc.h"

#define PUSH_DELAY_MS	20	/* coalesce changes this long */

static struct actor	*sysactor;
static struct strmap	*subscribers;	/* address -> sysactor */
static struct event	*push_ev;
static int		 push_children;	/* a state changed, not only counts */
static struct event	*refresh_ev;	/* Inspect, while sessions watch */
static msgpack_sbuffer	 sessions;	/* packed array from the gateway */
static struct hosts	 hosts;		/* the others, as the link says */

static void	push_soon(void);
static void	push_counts_soon(void);
static void	log_tree_event(const char *, const char *);
static void	chan_closed(const struct child *);

static const struct tree_watcher watcher = {
	.changed = push_soon,
	.counted = push_counts_soon,
	.event = log_tree_event,
	.closed = chan_closed,
};

static void
pack_tree(msgpack_packer *pk)
{
	int	 i;

	/* A cluster's: whose tree, and the hosts seen from here. */
	msgpack_pack_map(pk, sup->cfg.host[0] != '\0' ? 4 : 2);
	if (sup->cfg.host[0] != '\0') {
		mp_pack_kv_str(pk, "host", sup->cfg.host);
		hosts_pack(pk, &hosts, sup->cfg.host, sup->cfg.roles);
	}
	mp_pack_str(pk, "processes");
	msgpack_pack_array(pk, tree_count());
	for (i = 0; i < CHILD_COUNT; i++)
		if (!sup->child[i].absent)
			tree_pack_process(pk, &sup->child[i], 1);
	mp_pack_kv_int(pk, "sessions", sup->nsessions);
}

static void
push_one(const char *key, void *val, void *arg)
{
	(void)val;
	(void)arg;
	pack_tree(actor_begin(sysactor->address, key, MSG_TREE_UPDATED, NULL));
	actor_end();
}

/* The tree to a child that asked on its channel (the gateway). */
static void
push_child(struct child *c)
{
	char	 to[ADDR_MAX + 1];

	if (c->chan == NULL)
		return;
	snprintf(to, sizeof(to), "%s:main", c->name);
	pack_tree(actor_begin(sysactor->address, to, MSG_TREE_UPDATED, NULL));
	actor_end_peer(c->chan);
}

static int
child_subscribers(void)
{
	int	 i, n = 0;

	for (i = 0; i < CHILD_COUNT; i++)
		n += sup->child[i].tree_sub;
	return n;
}

static void
push_cb(evutil_socket_t fd, short what, void *arg)
{
	int	 i;

	(void)fd;
	(void)what;
	(void)arg;
	strmap_each(subscribers, push_one, NULL);
	for (i = 0; push_children && i < CHILD_COUNT; i++)
		if (sup->child[i].tree_sub)
			push_child(&sup->child[i]);
	push_children = 0;
}

/*
 * Subscribe or Unsubscribe from a child, on its channel, which the
 * runtime's routing does not reach: it gets the tree there now and on
 * every change while it runs.
 */
void
system_child_subscribe(struct child *c, const struct envelope *env)
{
	c->tree_sub = env->type == MSG_SUBSCRIBE;
	if (c->tree_sub)
		push_child(c);
}

/* The tree changed: push it to the subscribers soon, coalesced. */
static void
push_soon(void)
{
	if (push_ev == NULL || (strmap_count(subscribers) == 0 &&
	    child_subscribers() == 0))
		return;
	push_children = 1;
	if (!evtimer_pending(push_ev, NULL))
		timer_ms(push_ev, PUSH_DELAY_MS);
}

/*
 * Counters moved: push the tree to the sessions soon, coalesced with the
 * other children's answers.  A child that subscribed on its channel (the
 * gateway, for /healthz) wants the states only: pushing it the counts
 * would move its own counters and so keep the pushes going.
 */
static void
push_counts_soon(void)
{
	if (push_ev != NULL && strmap_count(subscribers) > 0 &&
	    !evtimer_pending(push_ev, NULL))
		timer_ms(push_ev, PUSH_DELAY_MS);
}

/* Ask every running child for its counters; again while sessions watch. */
static void
refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child	*c;
	int		 i;

	(void)fd;
	(void)what;
	(void)arg;
	if (strmap_count(subscribers) == 0)
		return;
	for (i = 0; i < CHILD_COUNT; i++) {
		c = &sup->child[i];
		if (c->state == CS_UP && c->chan != NULL)
			tree_send(c, MSG_INSPECT, NULL);
	}
	timer_ms(refresh_ev, sup->cfg.tree_refresh_ms);
}

/* GetTree {}: the tree. */
static int
get_tree(struct actor *self, const struct envelope *env, struct outbox *ob)
{
	(void)self;
	pack_tree(outbox_begin(ob, NULL, env->from, MSG_TREE_UPDATED, 1));
	outbox_end(ob);
	return 0;
}

/* Subscribe {}: Subscribed, the tree now, and on every change. */
static int
subscribe(struct actor *self, const struct envelope *env, struct outbox *ob)
{
	strmap_put(subscribers, env->from, self);
	/* The first watcher: fresh counters now, then every refresh. */
	if (!evtimer_pending(refresh_ev, NULL))
		timer_ms(refresh_ev, 0);
	outbox_msg(ob, NULL, env->from, MSG_SUBSCRIBED, 1,
	    &(struct msg_subscribed){ 0 });
	pack_tree(outbox_begin(ob, NULL, env->from, MSG_TREE_UPDATED, 0));
	outbox_end(ob);
	return 0;
}

/* Unsubscribe {}. */
static int
unsubscribe(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	(void)self;
	strmap_del(subscribers, env->from);
	outbox_msg(ob, NULL, env->from, MSG_UNSUBSCRIBED, 1, NULL);
	return 0;
}

/* Everything else: writes stay on actord.sock. */
static int
read_only(struct actor *self, const struct envelope *env, struct outbox *ob)
{
	outbox_error(ob, env, ERR_FORBIDDEN, "%s is read-only here: %s",
	    self->address, msg_name(env->type));
	return 0;
}

/* A session went away: forget its subscription. */
static void
subscriber_down(const char *identity)
{
	strmap_del(subscribers, identity);
}

static const struct handler handlers[] = {
	{ MSG_GET_TREE,		get_tree,	0 },
	{ MSG_SUBSCRIBE,	subscribe,	0 },
	{ MSG_UNSUBSCRIBE,	unsubscribe,	0 },
	{ MSG_UNKNOWN,		read_only,	0 },
};

static const struct peer_rule peers[] = {
	{ NULL,		NULL,		subscriber_down },
};

const struct actor_kind system_kind = {
	.name = "system",
	.handlers = handlers,
	.nhandlers = nitems(handlers),
	.peers = peers,
	.npeers = nitems(peers),
};

/* Spawn system:supervisor and watch the tree. */
void
system_init(void)
{
	subscribers = strmap_new();
	msgpack_sbuffer_init(&sessions);
	sysactor = actor_spawn(&system_kind, "supervisor", NULL);
	if ((push_ev = evtimer_new(rt_base(), push_cb, NULL)) == NULL ||
	    (refresh_ev = evtimer_new(rt_base(), refresh_cb, NULL)) == NULL)
		fatalx("evtimer_new");
	tree_watch(&watcher);
}

/*
 * HostState, on the link's channel: another host came up, went down or
 * died, as this host's link sees its announcements.  The tree lists the
 * hosts, so that a dashboard on any host sees the cluster without the
 * coordinator, also when the coordinator's host is the one out of reach.
 */
void
system_host_state(struct child *c, const struct envelope *env)
{
	const struct msg_host_state	*m = &env->body->host_state;

	if (child_specs[c->id].kind != K_LINK) {
		log_warnx("%s: HostState on its channel; only the link's "
		    "count, dropped", c->name);
		return;
	}
	if (strcmp(m->host, sup->cfg.host) == 0)
		return;		/* our own worker process, for the coordinator */
	if (hosts_update(&hosts, m) != NULL)
		push_soon();
}

/*
 * A channel closed: when it is the link's, no other host is within reach
 * until a link is back and hears from them again.
 */
static void
chan_closed(const struct child *c)
{
	size_t	 i;

	if (child_specs[c->id].kind != K_LINK || hosts.n == 0)
		return;
	for (i = 0; i < hosts.n; i++)
		hosts.h[i].up = 0;
	push_soon();
}

/*
 * SessionsChanged, on the gateway's channel: keep its session list (an
 * array, a snapshot packed by hand) as it sent it.
 */
void
system_sessions_changed(struct child *c, const struct envelope *env)
{
	const msgpack_object	*list = mp_get(env->payload, "sessions");
	msgpack_packer		 pk;
	uint64_t		 count;

	if (c->id != CHILD_GATEWAY) {
		log_debug("%s: unexpected %s on its channel", c->name,
		    msg_name(env->type));
		return;
	}
	if (list == NULL || list->type != MSGPACK_OBJECT_ARRAY)
		return;
	msgpack_sbuffer_clear(&sessions);
	msgpack_packer_init(&pk, &sessions, msgpack_sbuffer_write);
	msgpack_pack_object(&pk, *list);
	/* The list is cut to fit a frame; the count is the whole truth. */
	if (mp_uint(mp_get(env->payload, "count"), &count) == -1 ||
	    count > INT32_MAX)
		count = list->via.array.size;
	if (sup->nsessions != (int)count) {
		sup->nsessions = (int)count;
		tree_changed();
	}
}

void
system_pack_sessions(msgpack_packer *pk)
{
	mp_pack_str(pk, "sessions");
	if (sessions.size == 0)
		msgpack_pack_array(pk, 0);
	else
		pk->callback(pk->data, sessions.data, sessions.size);
}

/* An event of the tree, to eventlog:main (a cast). */
static void
log_tree_event(const char *level, const char *text)
{
	struct msg_log_event	 m;

	if (sysactor == NULL)
		return;
	memset(&m, 0, sizeof(m));
	snprintf(m.level, sizeof(m.level), "%s", level);
	snprintf(m.source, sizeof(m.source), "%s", SUPERVISOR_ADDRESS);
	snprintf(m.message, sizeof(m.message), "%s", text);
	actor_msg(sysactor->address, EVENTLOG_ADDRESS, MSG_LOG_EVENT, NULL,
	    &m);
}

/* One process's families, as the supervisor sees it from outside. */
static void
child_metrics(struct metrics *m, const char *name, pid_t pid,
    int64_t started_ms, int running, double restarts, int exited,
    int wstatus)
{
	struct timespec	 now;
	char		 l[METRICS_LABELS_MAX];
	double		 start;

	clock_gettime(CLOCK_REALTIME, &now);
	start = (double)now.tv_sec + (double)now.tv_nsec / 1e9 -
	    (double)(mono_ms() - started_ms) / 1000.0;
	metrics_labels(l, sizeof(l), "process", name, NULL);
	metrics_gauge(m, "actord_process_running", "1 when the supervisor "
	    "sees the process up (Ready), else 0.", l, running);
	metrics_counter(m, "actord_process_restarts_total", "Times the "
	    "supervisor restarted the process since actord started.", l,
	    restarts);
	metrics_gauge(m, "actord_process_last_exit_code", "Exit code of the "
	    "process's last exit; -1: none yet, or killed by a signal.", l,
	    exited && WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
	metrics_gauge(m, "actord_process_last_exit_signal", "Signal that "
	    "ended the process last; 0: none.", l,
	    exited && WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
	if (pid <= 0)
		return;
	metrics_gauge(m, "actord_process_start_time_seconds", "When the "
	    "running process started, seconds since the epoch: its own "
	    "counters start from 0 then.", l, start);
	metrics_gauge(m, "actord_process_resident_memory_bytes", "Resident "
	    "memory of the process.", l, (double)child_rss(pid));
	metrics_counter(m, "actord_process_cpu_seconds_total", "User and "
	    "system CPU time of the running process.", l,
	    child_cpu_seconds(pid));
}

/*
 * GetMetrics on a child's channel (the gateway's scrape): every process
 * of the tree as the supervisor sees it, and actord's own runtime.
 */
void
system_metrics(struct child *c, const struct envelope *env)
{
	struct metrics	*m = metrics_new();
	struct child	*k;
	msgpack_packer	*pk;
	int		 i;

	child_metrics(m, "actord", getpid(), sup->start_ms, 1, 0, 0, 0);
	for (i = 0; i < CHILD_COUNT; i++) {
		k = &sup->child[i];
		if (k->absent)
			continue;
		child_metrics(m, k->name, k->pid, k->started_ms,
		    k->state == CS_UP, k->starts > 0 ? k->starts - 1 : 0,
		    k->last_exit[0] != '\0', k->wstatus);
	}
	metrics_gauge(m, "actord_sessions_reported", "Sessions the gateway "
	    "last reported to the supervisor.", "", sup->nsessions);
	rt_metrics(m, "actord");
	pk = actor_begin(SUPERVISOR_ADDRESS, env->from, MSG_METRICS, env->id);
	metrics_pack(m, pk);
	actor_end_peer(c->chan);
	metrics_free(m);
}
