/*
 * system:supervisor, the read-only view of the tree that sessions may
 * reach on $RUN/system.sock: GetTree, and Subscribe for TreeUpdated on
 * every change (coalesced per loop turn).  Writes stay on actord.sock.
 * It also keeps the gateway's last session list, and logs the tree's
 * events to the event log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "actor.h"
#include "log.h"
#include "strmap.h"
#include "supervisor.h"
#include "xmalloc.h"

#define PUSH_DELAY_MS	20	/* coalesce changes this long */

static struct actor	*self;
static struct strmap	*subscribers;	/* address -> self */
static struct event	*push_ev;
static msgpack_sbuffer	 sessions;	/* packed array from the gateway */

static void
pack_tree(msgpack_packer *pk)
{
	int	 i;

	msgpack_pack_map(pk, 2);
	mp_pack_str(pk, "processes");
	msgpack_pack_array(pk, CHILD_COUNT);
	for (i = 0; i < CHILD_COUNT; i++)
		tree_pack_process(pk, &sup->child[i], 1);
	mp_pack_kv_int(pk, "sessions", sup->nsessions);
}

static void
push_one(const char *key, void *val, void *arg)
{
	(void)val;
	(void)arg;
	pack_tree(actor_begin(self->address, key, MSG_TREE_UPDATED, NULL));
	actor_end();
}

/* The tree to a child that asked on its control channel (the gateway). */
static void
push_child(struct child *c)
{
	char	 to[ADDR_MAX + 1];

	if (c->ctl == NULL)
		return;
	snprintf(to, sizeof(to), "%s:main", c->name);
	pack_tree(actor_begin(self->address, to, MSG_TREE_UPDATED, NULL));
	actor_end_peer(c->ctl);
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
	for (i = 0; i < CHILD_COUNT; i++)
		if (sup->child[i].tree_sub)
			push_child(&sup->child[i]);
}

/*
 * A child subscribes (on) or unsubscribes on its control channel, which
 * the runtime's routing does not reach: it gets the tree there now and on
 * every change while it runs.
 */
void
system_child_subscribe(struct child *c, int on)
{
	c->tree_sub = on;
	if (on)
		push_child(c);
}

void
system_tree_changed(void)
{
	if (push_ev == NULL || (strmap_count(subscribers) == 0 &&
	    child_subscribers() == 0) || evtimer_pending(push_ev, NULL))
		return;
	{
		struct timeval	 tv = { 0, PUSH_DELAY_MS * 1000 };

		evtimer_add(push_ev, &tv);
	}
}

static void
system_receive(struct actor *a, const struct envelope *env)
{
	switch (env->type) {
	case MSG_GET_TREE:
		pack_tree(actor_reply(a, env, MSG_TREE_UPDATED));
		actor_end();
		break;
	case MSG_SUBSCRIBE:
		strmap_put(subscribers, env->from, a);
		msgpack_pack_map(actor_reply(a, env, MSG_SUBSCRIBED), 0);
		actor_end();
		pack_tree(actor_begin(a->address, env->from, MSG_TREE_UPDATED,
		    NULL));
		actor_end();
		break;
	case MSG_UNSUBSCRIBE:
		strmap_del(subscribers, env->from);
		msgpack_pack_map(actor_reply(a, env, MSG_UNSUBSCRIBED), 0);
		actor_end();
		break;
	default:
		actor_error(a->address, env, ERR_FORBIDDEN,
		    "%s is read-only here: %s", a->address,
		    msg_name(env->type));
		break;
	}
}

/* A session went away: forget its subscription. */
static void
system_peer_down(const char *identity)
{
	strmap_del(subscribers, identity);
}

const struct actor_kind system_kind = {
	.name = "system",
	.receive = system_receive,
	.peer_down = system_peer_down,
};

void
system_init(void)
{
	subscribers = strmap_new();
	msgpack_sbuffer_init(&sessions);
	self = actor_spawn(&system_kind, "supervisor", NULL);
	if ((push_ev = evtimer_new(rt_base(), push_cb, NULL)) == NULL)
		fatalx("evtimer_new");
}

/* Keep the gateway's session list (an array) as it sent it. */
void
system_sessions_changed(const msgpack_object *payload)
{
	const msgpack_object	*list = mp_get(payload, "sessions");
	msgpack_packer		 pk;
	uint64_t		 count;

	if (list == NULL || list->type != MSGPACK_OBJECT_ARRAY)
		return;
	msgpack_sbuffer_clear(&sessions);
	msgpack_packer_init(&pk, &sessions, msgpack_sbuffer_write);
	msgpack_pack_object(&pk, *list);
	/* The list is cut to fit a frame; the count is the whole truth. */
	if (mp_uint(mp_get(payload, "count"), &count) == -1 ||
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

/* Log a tree event to eventlog:main (a cast). */
void
system_log_event(const char *level, const char *fmt, ...)
{
	msgpack_packer	*pk;
	va_list		 ap;
	char		 msg[512];

	if (self == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pk = actor_begin(self->address, "eventlog:main", MSG_LOG_EVENT, NULL);
	msgpack_pack_map(pk, 3);
	mp_pack_kv_str(pk, "level", level);
	mp_pack_kv_str(pk, "source", self->address);
	mp_pack_kv_str(pk, "message", msg);
	actor_end();
}
