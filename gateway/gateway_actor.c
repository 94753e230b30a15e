/*
 * The gateway actor, gateway:main: what it takes, and the glue to the
 * runtime.
 *
 * It takes TreeUpdated: the tree actord pushes on the control channel
 * after main() subscribed to system:supervisor, and on every change.
 * Each process's name and state go to the HTTP side for /healthz
 * (conn_set_tree).  And Metrics, the processes' answers to a scrape's
 * GetMetrics, which go to gateway_metrics.c; the gateway's own families
 * (HTTP, sessions) are its kind's metrics callback.  The runtime answers Ping and an unknown type,
 * and drops a reply or push nothing here takes.
 *
 * No peer table: the runtime's only connection here is the one to actord,
 * whose loss main() handles (rt_adopt_parent); the sessions' channels are
 * gateway_sessions.c's own peers.
 */
#include <stdint.h>

#include "actor.h"
#include "gateway.h"

static int	tree_updated(struct actor *, const struct envelope *,
		    struct outbox *);

static int	metrics_reply(struct actor *, const struct envelope *,
		    struct outbox *);

static const struct handler handlers[] = {
	{ MSG_METRICS,		metrics_reply,	0 },
	{ MSG_TREE_UPDATED,	tree_updated,	0 },
};

static void	gateway_inspect(msgpack_packer *);
static void	gateway_metrics(struct metrics *);

const struct actor_kind gateway_kind = {
	.name = "gateway",
	.handlers = handlers,
	.nhandlers = nitems(handlers),
	.inspect = gateway_inspect,
	.metrics = gateway_metrics,
};

/* Metrics: a process's answer to the scrape's GetMetrics. */
static int
metrics_reply(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	(void)self;
	(void)ob;
	scrape_reply(env);
	return 0;
}

/* The gateway's families: HTTP requests, sessions. */
static void
gateway_metrics(struct metrics *m)
{
	conn_metrics(m);
	sessions_metrics(m);
}

/* TreeUpdated {processes: [{name, state, ...}]}: keep each name and state. */
static int
tree_updated(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	const msgpack_object	*procs = mp_get(env->payload, "processes"), *p;
	struct tree_proc	 tree[TREE_MAX];
	uint32_t		 i;
	int			 n = 0;

	(void)self;
	(void)ob;
	if (procs == NULL || procs->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	for (i = 0; i < procs->via.array.size && n < TREE_MAX; i++) {
		p = &procs->via.array.ptr[i];
		if (mp_strcpy(mp_get(p, "name"), tree[n].name,
		    sizeof(tree[n].name)) == -1 ||
		    mp_strcpy(mp_get(p, "state"), tree[n].state,
		    sizeof(tree[n].state)) == -1)
			continue;
		n++;
	}
	conn_set_tree(tree, n);
	return 0;
}

/* The gateway's summary for `inspect`: sessions and HTTP connections. */
static void
gateway_inspect(msgpack_packer *pk)
{
	const struct sessions_counters	*c = sessions_counters();

	msgpack_pack_map(pk, 7);
	mp_pack_kv_uint(pk, "sessions", sessions_busy());
	mp_pack_kv_uint(pk, "idleSessions", sessions_idle());
	mp_pack_kv_int(pk, "maxSessions", rt_config()->max_sessions);
	mp_pack_kv_uint(pk, "httpConnections", conn_count());
	mp_pack_kv_uint(pk, "sessionsEnded", c->ended);
	mp_pack_kv_uint(pk, "sessionsFailed", c->failed);
	mp_pack_kv_uint(pk, "sessionsUnreported", c->unreported);
}
