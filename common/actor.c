/*
 * The actor runtime: see actor.h.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "actor.h"
#include "child.h"
#include "clock.h"
#include "db.h"
#include "frame.h"
#include "log.h"
#include "metrics.h"
#include "peer.h"
#include "strmap.h"
#include "version.h"
#include "xmalloc.h"

/*
 * What the runtime knows of each connection.  One whose Hello named a
 * session is untrusted: its identity is bound for good, it may send only
 * what a client may, and its messages are stamped with that identity
 * (see dispatch()).
 */
struct conn {
	LIST_ENTRY(conn)	 entry;
	struct peer		*peer;
	int			 parent;	/* the channel to our parent */
	int			 outbound;	/* we connected to $RUN/kind.sock */
	int			 untrusted;	/* a session's */
	char			 client[CLIENT_ID_MAX + 1];	/* its ?client= */
	uint64_t		 refused;	/* its messages refused */
	char			 identity[ADDR_MAX + 1];	/* from Hello */
};

static struct {
	struct event_base		*base;
	const struct config		*cfg;
	struct peer_limits		 lim;
	char				 identity[ADDR_MAX + 1];
	const struct actor_kind		*kinds[4];
	int				 nkinds;
	struct strmap			*actors;	/* address -> actor */
	struct strmap			*inbound;	/* identity -> conn */
	struct strmap			*outbound;	/* kind -> conn */
	LIST_HEAD(, conn)		 conns;
	struct evconnlistener		*listener;
	struct conn			*parent;
	char				 parent_addr[ADDR_MAX + 1];
	void				(*parent_gone)(void);
	int				 broker;	/* the parent connects */
	struct db			*db;
	const struct rt_link		*link;		/* the link's hooks */
	int				 afar;	/* sending a frame from afar */
	struct rt_stats			 stats;
	msgpack_sbuffer			 sb;		/* message being packed */
	msgpack_packer			 pk;
	int				 packing;
	char				 dest[ADDR_MAX + 1];	/* of the packing message */
	int				 dest_ok;
	enum msg_type			 type;	/* of the packing message */
	struct outbox			 ob;	/* what a handler sends */
	char				 last_id[ID_MAX + 1];	/* of the last message begun */
	int				 stopping;
	struct event			*drain_ev;
	int				 drain_ticks;
} rt;

static const struct peer_cb conn_cb;

static void	 dispatch(struct peer *, struct envelope *, void *);
static void	 conn_wanted(struct peer *, void *);

void
rt_init(struct event_base *base, const struct config *cfg,
    const char *identity)
{
	rt.base = base;
	rt.cfg = cfg;
	snprintf(rt.identity, sizeof(rt.identity), "%s", identity);
	peer_default_limits(&rt.lim);
	rt.lim.max_frame = (size_t)cfg->max_frame_bytes;
	rt.lim.high_water = (size_t)cfg->queue_high_bytes;
	rt.lim.max_queue = (size_t)cfg->queue_max_bytes;
	rt.lim.retry_initial_ms = cfg->reconnect_initial_ms;
	rt.lim.retry_max_ms = cfg->reconnect_max_ms;
	rt.actors = strmap_new();
	rt.inbound = strmap_new();
	rt.outbound = strmap_new();
	LIST_INIT(&rt.conns);
	msgpack_sbuffer_init(&rt.sb);
	msgpack_packer_init(&rt.pk, &rt.sb, msgpack_sbuffer_write);
	outbox_init(&rt.ob);
	peer_init(base);
}

void
rt_register(const struct actor_kind *kind)
{
	if (rt.nkinds == (int)(sizeof(rt.kinds) / sizeof(rt.kinds[0])))
		fatalx("rt_register: too many kinds");
	rt.kinds[rt.nkinds++] = kind;
}

const struct config *
rt_config(void)
{
	return rt.cfg;
}

const char *
rt_identity(void)
{
	return rt.identity;
}

struct event_base *
rt_base(void)
{
	return rt.base;
}

const struct rt_stats *
rt_stats(void)
{
	return &rt.stats;
}

static const struct actor_kind *
local_kind(const char *kind, size_t len)
{
	int	 i;

	for (i = 0; i < rt.nkinds; i++)
		if (strlen(rt.kinds[i]->name) == len &&
		    memcmp(rt.kinds[i]->name, kind, len) == 0)
			return rt.kinds[i];
	return NULL;
}

/* Tell every kind's peer table that identity came up (or went down). */
static void
peers_notify(const char *identity, int up)
{
	const struct peer_rule	*r;
	void			(*fn)(const char *);
	size_t			 j;
	int			 i;

	for (i = 0; i < rt.nkinds; i++)
		for (j = 0; j < rt.kinds[i]->npeers; j++) {
			r = &rt.kinds[i]->peers[j];
			if (r->name != NULL && strcmp(r->name, identity) != 0)
				continue;
			if ((fn = up ? r->up : r->down) != NULL)
				fn(identity);
			break;
		}
}

static struct conn *
conn_new(struct peer *p)
{
	struct conn	*c = xcalloc(1, sizeof(*c));

	c->peer = p;
	LIST_INSERT_HEAD(&rt.conns, c, entry);
	return c;
}

/* Forget a connection's routes; free it unless it reconnects. */
static void
conn_gone(struct conn *c)
{
	if (c->identity[0] != '\0' &&
	    strmap_get(rt.inbound, c->identity) == c) {
		strmap_del(rt.inbound, c->identity);
		peers_notify(c->identity, 0);
	}
	if (c->outbound)
		return;
	LIST_REMOVE(c, entry);
	free(c);
}

static void
conn_closed(struct peer *p, void *arg)
{
	struct conn	*c = arg;

	(void)p;
	if (c->parent) {
		log_info("parent went away; stopping");
		rt.parent = NULL;
		conn_gone(c);
		if (rt.parent_gone != NULL)
			rt.parent_gone();
		else
			rt_stop();
		return;
	}
	if (c->outbound) {
		/* An outbound peer's name is the kind it serves. */
		peers_notify(peer_name(p), 0);
		return;
	}
	conn_gone(c);
}

static void
conn_connected(struct peer *p, void *arg)
{
	(void)arg;
	peers_notify(peer_name(p), 1);
}

static const struct peer_cb conn_cb = {
	.message = dispatch,
	.closed = conn_closed,
	.connected = conn_connected,
	.wanted = conn_wanted,
};

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct conn	*c;

	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	c = conn_new(NULL);
	c->peer = peer_new_fd(fd, &rt.lim, &conn_cb, c);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	/* EMFILE and friends: say so, keep listening. */
	log_warn("accept");
}

/* Accept connections from other processes on an inherited socket. */
int
rt_listen(int fd)
{
	evutil_make_socket_nonblocking(fd);
	rt.listener = evconnlistener_new(rt.base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (rt.listener == NULL)
		return -1;
	evconnlistener_set_error_cb(rt.listener, accept_error_cb);
	return 0;
}

struct peer *
rt_adopt_parent(int fd, const char *parent_address, void (*gone)(void))
{
	struct conn	*c = conn_new(NULL);
	const char	*colon = strchr(parent_address, ':');
	size_t		 klen = colon ? (size_t)(colon - parent_address) :
			    strlen(parent_address);

	c->parent = 1;
	c->peer = peer_new_fd(fd, &rt.lim, &conn_cb, c);
	peer_set_name(c->peer, parent_address);
	/* Everything for the parent's kind leaves by this channel. */
	snprintf(c->identity, sizeof(c->identity), "%.*s", (int)klen,
	    parent_address);
	snprintf(rt.parent_addr, sizeof(rt.parent_addr), "%s",
	    parent_address);
	strmap_put(rt.inbound, c->identity, c);
	rt.parent = c;
	rt.parent_gone = gone;
	return c->peer;
}

void
rt_use_broker(void)
{
	if (rt.parent == NULL)
		fatalx("rt_use_broker: no parent to ask");
	rt.broker = 1;
	peer_take_fds(rt.parent->peer);
}

/*
 * A brokered connection to a kind is wanted: ask the parent for it
 * (ConnectActor); its ActorConnected answers (broker_answer()).
 */
static void
conn_wanted(struct peer *p, void *arg)
{
	struct msg_actor_conn	 m;

	(void)arg;
	memset(&m, 0, sizeof(m));
	snprintf(m.kind, sizeof(m.kind), "%s", peer_name(p));
	if (rt.parent == NULL || actor_msg(NULL, rt.parent_addr,
	    MSG_CONNECT_ACTOR, NULL, &m) == -1)
		peer_give_none(p);
}

/*
 * ActorConnected {kind, ok} from the parent: the connection we asked for,
 * its descriptor the oldest that came on the parent's channel.
 */
static void
broker_answer(struct conn *parent, const struct envelope *env)
{
	union msg_body	 body;
	enum err_code	 code;
	struct conn	*c;
	char		 why[256];
	int		 fd = -1;

	if (msg_decode(env->type, env->payload, &body, &code, why,
	    sizeof(why)) == -1) {
		log_warnx("%s from %s: %s", msg_name(env->type), env->from,
		    why);
		/* Whose descriptors they are is lost: close them all. */
		while ((fd = peer_next_fd(parent->peer)) != -1)
			close(fd);
		return;
	}
	if (body.actor_connected.ok &&
	    (fd = peer_next_fd(parent->peer)) == -1)
		log_warnx("%s for %s came without its descriptor",
		    msg_name(env->type), body.actor_connected.kind);
	c = strmap_get(rt.outbound, body.actor_connected.kind);
	if (c == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (fd == -1)
		peer_give_none(c->peer);
	else
		peer_give_fd(c->peer, fd);
}

static int
commit_db(void *arg)
{
	return db_commit(arg);
}

static void
db_began(void *arg)
{
	(void)arg;
	peer_touch();
}

void
rt_use_db(struct db *db)
{
	rt.db = db;
	peer_set_commit_hook(commit_db, db);
	db_set_begin_hook(db, db_began, NULL);
}

/* Tell the parent we are ready to serve. */
int
rt_ready(void)
{
	if (rt.parent == NULL)
		return 0;
	actor_begin(NULL, rt.parent_addr, MSG_READY, NULL);
	msgpack_pack_map(&rt.pk, 1);
	mp_pack_kv_int(&rt.pk, "pid", getpid());
	return actor_end();
}

size_t
rt_mailbox_bytes(void)
{
	struct conn	*c;
	size_t		 n = 0;

	LIST_FOREACH(c, &rt.conns, entry)
		n += peer_unread(c->peer);
	return n;
}

void
rt_pack_inspect(msgpack_packer *pk)
{
	struct conn	*c;
	size_t		 unsent = 0, nconns = 0;
	int		 i, extra = 0;

	LIST_FOREACH(c, &rt.conns, entry) {
		unsent += peer_unsent(c->peer);
		nconns++;
	}
	for (i = 0; i < rt.nkinds; i++)
		if (rt.kinds[i]->inspect != NULL)
			extra++;
	msgpack_pack_map(pk, 9 + (size_t)extra);
	mp_pack_kv_str(pk, "identity", rt.identity);
	mp_pack_kv_int(pk, "pid", getpid());
	mp_pack_kv_uint(pk, "msgsIn", rt.stats.msgs_in);
	mp_pack_kv_uint(pk, "msgsOut", rt.stats.msgs_out);
	mp_pack_kv_uint(pk, "errorsOut", rt.stats.errors_out);
	mp_pack_kv_uint(pk, "dropped", rt.stats.dropped);
	mp_pack_kv_uint(pk, "mailboxBytes", rt_mailbox_bytes());
	mp_pack_kv_uint(pk, "unsentBytes", unsent);
	mp_pack_kv_uint(pk, "connections", nconns);
	for (i = 0; i < rt.nkinds; i++)
		if (rt.kinds[i]->inspect != NULL) {
			mp_pack_str(pk, rt.kinds[i]->name);
			rt.kinds[i]->inspect(pk);
		}
}

void
rt_metrics(struct metrics *m, const char *process)
{
	struct conn	*c;
	size_t		 unsent = 0, nconns = 0;
	char		 proc[ADDR_MAX + 1], l[METRICS_LABELS_MAX];
	int		 i;

	LIST_FOREACH(c, &rt.conns, entry) {
		unsent += peer_unsent(c->peer);
		nconns++;
	}
	if (process != NULL)
		snprintf(proc, sizeof(proc), "%s", process);
	else
		snprintf(proc, sizeof(proc), "%.*s",
		    (int)strcspn(rt.identity, ":"), rt.identity);
	metrics_labels(l, sizeof(l), "process", proc, NULL);
	metrics_counter(m, "actord_messages_received_total", "Messages the "
	    "process received from other processes since it started.", l,
	    (double)rt.stats.msgs_in);
	metrics_counter(m, "actord_messages_sent_total", "Messages the "
	    "process sent since it started.", l, (double)rt.stats.msgs_out);
	metrics_counter(m, "actord_error_replies_total", "Error replies the "
	    "process sent since it started.", l, (double)rt.stats.errors_out);
	metrics_counter(m, "actord_messages_dropped_total", "Messages the "
	    "process could not route or that were too large.", l,
	    (double)rt.stats.dropped);
	metrics_gauge(m, "actord_mailbox_bytes", "Bytes received and not "
	    "yet handled, over every connection.", l,
	    (double)rt_mailbox_bytes());
	metrics_gauge(m, "actord_unsent_bytes", "Bytes queued for other "
	    "processes and not yet written.", l, (double)unsent);
	metrics_gauge(m, "actord_connections", "Connections the process "
	    "holds to other processes.", l, (double)nconns);
	if (rt.db != NULL)
		db_metrics(rt.db, m, proc);
	for (i = 0; i < rt.nkinds; i++)
		if (rt.kinds[i]->metrics != NULL)
			rt.kinds[i]->metrics(m);
}

/* Answer GetMetrics with the process's families (metrics.h). */
static void
metrics_reply(const struct envelope *env)
{
	struct metrics	*m = metrics_new();
	msgpack_packer	*pk;

	rt_metrics(m, NULL);
	pk = actor_begin(env->to, env->from, MSG_METRICS, env->id);
	metrics_pack(m, pk);
	actor_end();
	metrics_free(m);
}

void
rt_use_link(const struct rt_link *link)
{
	rt.link = link;
}

/* Whether a names this host ([cluster] host), which it may leave out. */
static int
own_host(const struct addr *a)
{
	return a->hostlen > 0 && a->hostlen == strlen(rt.cfg->host) &&
	    memcmp(a->host, rt.cfg->host, a->hostlen) == 0;
}

int
rt_is_remote(const struct addr *a)
{
	if (rt.cfg->host[0] == '\0')
		return 0;
	if (a->hostlen > 0)
		return !own_host(a);
	return (a->kindbit & (K_COORD | K_EVENTLOG)) &&
	    !(rt.cfg->roles & ROLE_COORDINATOR);
}

/*
 * Find or make the connection a message to `to` leaves by: the one whose
 * Hello named it, or its kind's; for another host, the link's.
 */
static struct conn *
route(const char *to, const struct addr *a)
{
	struct conn	*c;
	char		 kind[KIND_MAX + 1], path[CONFIG_PATH_MAX + 32];
	char		 local[ADDR_MAX + 1];
	unsigned	 kindbit = a->kindbit;

	if (own_host(a)) {
		/* Our own host's name: known here without it. */
		snprintf(local, sizeof(local), "%.*s",
		    (int)addr_local_len(to, a), to);
		to = local;
	}
	if ((c = strmap_get(rt.inbound, to)) != NULL && !(rt.afar && c->parent))
		return c;
	if (rt_is_remote(a)) {
		snprintf(kind, sizeof(kind), "link");
		kindbit = K_LINK;
	} else {
		memcpy(kind, a->kind, a->kindlen);
		kind[a->kindlen] = '\0';
		if ((c = strmap_get(rt.inbound, kind)) != NULL &&
		    !(rt.afar && c->parent))
			return c;
	}
	if ((c = strmap_get(rt.outbound, kind)) != NULL)
		return c;
	if (rt.broker) {
		/* We may not connect: the parent makes each connection. */
		if (!(kindbit & child_socket_kinds()))
			return NULL;
		c = conn_new(NULL);
		c->outbound = 1;
		c->peer = peer_new_brokered(kind, &rt.lim, &conn_cb, c);
		strmap_put(rt.outbound, kind, c);
		return c;
	}
	if (local_kind(kind, strlen(kind)) != NULL) {
		/* Our own kind: loop back through our own socket. */
	} else if (!(kindbit & child_socket_kinds()))
		return NULL;	/* no socket under $RUN: the process tree */
	snprintf(path, sizeof(path), "%s/%s.sock", rt.cfg->run_dir, kind);
	c = conn_new(NULL);
	c->outbound = 1;
	c->peer = peer_new_path(path, rt.identity, &rt.lim, &conn_cb, c);
	peer_set_name(c->peer, kind);
	strmap_put(rt.outbound, kind, c);
	return c;
}

int
rt_prepare(const char *to)
{
	struct addr	 a;

	if (addr_parse(to, strlen(to), &a) == -1)
		return -1;
	return route(to, &a) == NULL ? -1 : 0;
}

msgpack_packer *
actor_begin(const char *from, const char *to, enum msg_type type,
    const char *reply_to)
{
	return actor_begin_id(from, to, type, NULL, reply_to);
}

msgpack_packer *
actor_begin_id(const char *from, const char *to, enum msg_type type,
    const char *id, const char *reply_to)
{
	size_t	 len;

	if (rt.packing)
		fatalx("actor_begin: %s begun inside another message",
		    msg_name(type));
	rt.packing = 1;
	rt.type = type;
	len = strlen(to);
	rt.dest_ok = len < sizeof(rt.dest);
	if (rt.dest_ok)
		memcpy(rt.dest, to, len + 1);
	if (id != NULL && id[0] != '\0' && strlen(id) < sizeof(rt.last_id))
		memcpy(rt.last_id, id, strlen(id) + 1);
	else
		env_new_id(rt.last_id, sizeof(rt.last_id));
	rt.sb.size = 0;
	msgpack_sbuffer_write(&rt.sb, "\0\0\0\0", FRAME_HDR);
	env_pack_header(&rt.pk, to, from != NULL ? from : rt.identity, type,
	    rt.last_id, reply_to, env_now_ms());
	return &rt.pk;
}

/*
 * The frame begun is complete: its length into the header, unless it is
 * over max_frame_bytes (dropped, -1).
 */
static int
frame_close(void)
{
	size_t	 body = rt.sb.size - FRAME_HDR;

	if (body > rt.lim.max_frame) {
		log_warnx("send to %s: %zu bytes is over max_frame_bytes "
		    "(%zu); dropped", rt.dest, body, rt.lim.max_frame);
		rt.stats.dropped++;
		return -1;
	}
	frame_put_len(rt.sb.data, (uint32_t)body);
	return 0;
}

/*
 * A reply over max_frame_bytes was dropped: its asker gets an Error
 * too_large instead, not a wait for nothing.  Its header is read back
 * from the frame (this is rare; the sends that fit pay nothing for it).
 */
static void
reply_too_large(void)
{
	msgpack_unpacked	 u;
	struct envelope		 env;
	struct msg_error	 m;
	enum err_code		 code;
	char			 why[128];
	size_t			 body = rt.sb.size - FRAME_HDR;

	if (rt.type == MSG_ERROR)
		return;
	snprintf(m.code, sizeof(m.code), "%s", err_code_name(ERR_TOO_LARGE));
	snprintf(m.error, sizeof(m.error), "The %s reply is %zu bytes, over "
	    "max_frame_bytes (%zu)", msg_name(rt.type), body,
	    rt.lim.max_frame);
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, rt.sb.data + FRAME_HDR, body, NULL) ==
	    MSGPACK_UNPACK_SUCCESS && env_decode(&u.data, &env, &code, why,
	    sizeof(why)) == 0 && env.reply_to[0] != '\0')
		actor_msg(env.from, env.to, MSG_ERROR, env.reply_to, &m);
	msgpack_unpacked_destroy(&u);
}

int
actor_end(void)
{
	struct addr	 a;
	struct conn	*c;

	if (!rt.packing)
		fatalx("actor_end without actor_begin");
	rt.packing = 0;
	if (!rt.dest_ok || addr_parse(rt.dest, strlen(rt.dest), &a) == -1) {
		log_warnx("send: bad destination address");
		rt.stats.dropped++;
		return -1;
	}
	if (frame_close() == -1) {
		reply_too_large();
		return -1;
	}
	if (rt.link != NULL && rt_is_remote(&a)) {
		if (rt.link->remote(&a, rt.sb.data, rt.sb.size) == -1) {
			rt.stats.dropped++;
			return -1;
		}
	} else if ((c = route(rt.dest, &a)) == NULL) {
		log_debug("send: no route to %s; dropped", rt.dest);
		rt.stats.dropped++;
		return -1;
	} else if (peer_write(c->peer, rt.sb.data, rt.sb.size) == -1) {
		rt.stats.dropped++;
		return -1;
	}
	rt.stats.msgs_out++;
	if (rt.type == MSG_ERROR)
		rt.stats.errors_out++;
	return 0;
}

int
actor_end_afar(void)
{
	int	 rc;

	rt.afar = 1;
	rc = actor_end();
	rt.afar = 0;
	return rc;
}

int
actor_end_peer(struct peer *p)
{
	if (!rt.packing)
		fatalx("actor_end_peer without actor_begin");
	rt.packing = 0;
	if (frame_close() == -1)
		return -1;
	if (peer_write(p, rt.sb.data, rt.sb.size) == -1) {
		rt.stats.dropped++;
		return -1;
	}
	rt.stats.msgs_out++;
	return 0;
}

const char *
actor_last_id(void)
{
	return rt.last_id;
}

int
actor_send(const char *from, const char *to, enum msg_type type)
{
	msgpack_packer	*pk = actor_begin(from, to, type, NULL);

	msgpack_pack_map(pk, 0);
	return actor_end();
}

int
actor_put(const char *from, const char *to, enum msg_type type,
    const char *reply_to, const void *body)
{
	msg_encode(actor_begin(from, to, type, reply_to),
	    msg_info(type)->shape, body);
	return actor_end();
}

msgpack_packer *
actor_reply(const struct actor *self, const struct envelope *req,
    enum msg_type type)
{
	return actor_begin(self != NULL ? self->address : req->to, req->from,
	    type, req->id);
}

int
actor_error(const char *from, const struct envelope *req, enum err_code code,
    const char *fmt, ...)
{
	struct msg_error	 m;
	const struct msg_info	*mi = msg_info(req->type);
	va_list			 ap;

	/* Never answer a reply or push with an Error: no ping-pong. */
	if (mi != NULL && mi->who == MSG_WHO_SERVER)
		return 0;
	snprintf(m.code, sizeof(m.code), "%s", err_code_name(code));
	va_start(ap, fmt);
	vsnprintf(m.error, sizeof(m.error), fmt, ap);
	va_end(ap);
	return actor_msg(from != NULL ? from : req->to, req->from, MSG_ERROR,
	    req->id, &m);
}

/*
 * Answer Inspect from the parent with the process summary.  Neither the
 * Inspect nor this answer counts as a message: the supervisor asks every
 * tree_refresh_ms while the tree is watched, and its looking must not
 * show as the process's traffic (a rate of 2 a second when idle).
 */
static void
inspect_reply(const struct envelope *env)
{
	uint64_t	 out = rt.stats.msgs_out;

	rt_pack_inspect(actor_begin(NULL, env->from, MSG_INSPECTED, env->id));
	actor_end();
	rt.stats.msgs_out = out;
}

/* Forget a session's connection that another one of its replaced. */
static void
conn_drop(struct conn *c)
{
	log_debug("%s: a newer connection replaces this one", c->identity);
	peer_close(c->peer);
	LIST_REMOVE(c, entry);
	free(c);
}

/*
 * A Hello names the connection: replies to that identity go back on it.
 *
 * A session's (session:<id>) makes the connection untrusted for good.
 * The gateway said that Hello, on a connection it made for the session
 * before handing it over, and a session cannot connect(2) itself, so
 * whatever a session sends comes after its Hello: a second one, with
 * whatever name, is ignored.  A session keeps one connection here: a
 * newer one (it reconnected before we saw the old one close) replaces it,
 * so that asking the gateway again and again gathers nothing.
 */
static void
hello(struct conn *c, const struct envelope *env)
{
	struct conn	*old;
	union msg_body	 body;
	enum err_code	 code;
	char		 why[256];

	if (c->outbound || c->parent)
		return;
	if (c->untrusted) {
		log_debug("%s said Hello again, as %s; ignored", c->identity,
		    env->from);
		return;
	}
	peer_set_name(c->peer, env->from);
	if (strncmp(env->from, "session:", 8) == 0) {
		c->untrusted = 1;
		if (msg_decode(MSG_HELLO, env->payload, &body, &code, why,
		    sizeof(why)) == 0)
			snprintf(c->client, sizeof(c->client), "%s",
			    body.hello.client);
	}
	/*
	 * The parent (actord) also connects to our socket to send us casts,
	 * saying Hello as its kind: its channel stays the route for that
	 * kind, or replies to system:ctl:* would leave by the wrong way.
	 */
	if ((old = strmap_get(rt.inbound, env->from)) != NULL && old->parent)
		return;
	snprintf(c->identity, sizeof(c->identity), "%s", env->from);
	if ((old = strmap_put(rt.inbound, env->from, c)) != NULL &&
	    old != c) {
		old->identity[0] = '\0';	/* superseded */
		if (old->untrusted) {
			peers_notify(env->from, 0);
			conn_drop(old);
		}
	}
	peers_notify(env->from, 1);
}

/*
 * A message on a session's connection: only what a client may send
 * (`forbidden` otherwise; a reply or push is dropped, as actor_error()
 * never answers one), and from the identity its Hello bound, whatever its
 * `from` says.  The connection stays: a session that sends what it may
 * not is refused, not cut off.  Returns whether to go on.
 */
static int
from_session(struct conn *c, struct envelope *env)
{
	size_t	 n = strlen(CLIENT_ID_PREFIX), k = strlen(c->client);

	snprintf(env->from, sizeof(env->from), "%s", c->identity);
	/* An id of a client's (the dedupe window's key) is its own. */
	if (strncmp(env->id, CLIENT_ID_PREFIX, n) == 0 && (k == 0 ||
	    strncmp(env->id + n, c->client, k) != 0 || env->id[n + k] !=
	    '/')) {
		log_warnx("%s sent %s with id %s, another client's: refused",
		    c->identity, msg_name(env->type), env->id);
		actor_error(rt.identity, env, ERR_FORBIDDEN, "The id %s is "
		    "not this session's client's", env->id);
		return 0;
	}
	if (msg_client_may_send(env->type))
		return 1;
	if (c->refused++ == 0)
		log_warnx("%s sent %s, which a client may not send: refused "
		    "(more from it are logged at debug level)", c->identity,
		    msg_name(env->type));
	else
		log_debug("%s sent %s: refused", c->identity,
		    msg_name(env->type));
	actor_error(rt.identity, env, ERR_FORBIDDEN, "%s is not a message "
	    "clients may send", msg_name(env->type));
	return 0;
}

/*
 * PeerGone or PeerBack {address} from another process of ours (the link):
 * a peer it carries for us went away or came back; the peer tables hear it
 * as of a connection closed or made again.
 */
static void
peer_news(const struct envelope *env)
{
	union msg_body	 body;
	enum err_code	 code;
	char		 why[256];

	if (msg_decode(env->type, env->payload, &body, &code, why,
	    sizeof(why)) == -1) {
		log_warnx("%s from %s: %s", msg_name(env->type), env->from,
		    why);
		return;
	}
	peers_notify(body.peer.address, env->type == MSG_PEER_BACK);
}

/*
 * One message from a connection: Hello and Inspect are the runtime's; the
 * rest goes to the addressed actor after the checks every actor needs.
 */
static void
dispatch(struct peer *p, struct envelope *env, void *arg)
{
	struct conn			*c = arg;
	const struct actor_kind		*k;
	struct actor			*a;
	struct addr			 ad;
	msgpack_packer			*pk;

	(void)p;
	if (env->type == MSG_INSPECT && c->parent) {
		inspect_reply(env);
		return;
	}
	rt.stats.msgs_in++;
	if (env->type == MSG_HELLO) {
		hello(c, env);
		return;
	}
	if (env->type == MSG_ACTOR_CONNECTED && c->parent && rt.broker) {
		broker_answer(c, env);
		return;
	}
	if (c->untrusted && !from_session(c, env))
		return;
	if ((env->type == MSG_PEER_GONE || env->type == MSG_PEER_BACK) &&
	    !c->untrusted) {
		peer_news(env);
		return;
	}
	k = NULL;
	if (addr_parse(env->to, strlen(env->to), &ad) == -1) {
		ad.kind = "";
		ad.kindlen = 0;
	} else if (rt.link != NULL && !(ad.kindbit & K_LINK)) {
		rt.link->forward(c->identity, env);
		return;
	} else if (ad.hostlen == 0)
		k = local_kind(ad.kind, ad.kindlen);
	else if (own_host(&ad)) {
		/* Our own host's name: the actor is known without it. */
		env->to[addr_local_len(env->to, &ad)] = '\0';
		k = local_kind(ad.kind, ad.kindlen);
	}
	if (k == NULL) {
		/* From a session: its client's business, not a bug of ours. */
		if (c->untrusted)
			log_debug("%s for %s, not hosted here; dropped",
			    msg_name(env->type), env->to);
		else
			log_warnx("message %s from %s for %s, which this "
			    "process does not host; dropped",
			    msg_name(env->type), env->from, env->to);
		actor_error(rt.identity, env, ERR_UNKNOWN_ACTOR,
		    "Unknown actor type: %.*s", (int)ad.kindlen, ad.kind);
		return;
	}
	/*
	 * GetMetrics: at any address of a kind that reports metrics, no
	 * actor needed.  A kind without them (system:, the read-only view
	 * on system.sock) takes it through its table: refused.
	 */
	if (env->type == MSG_GET_METRICS && k->metrics != NULL) {
		metrics_reply(env);
		return;
	}
	if ((a = strmap_get(rt.actors, env->to)) == NULL &&
	    (k->resolve == NULL || (a = k->resolve(ad.name, env)) == NULL)) {
		actor_error(NULL, env, ERR_UNKNOWN_ACTOR, "Unknown actor: %s",
		    env->to);
		return;
	}
	if (env->type == MSG_PING) {
		pk = actor_reply(a, env, MSG_PONG);
		msgpack_pack_object(pk, *env->payload);
		actor_end();
		return;
	}
	if (k->receive != NULL) {
		k->receive(a, env);
		return;
	}
	actor_settle(k, actor_handle(k, a, env, &rt.ob), &rt.ob, a->address,
	    env);
}

void
actor_settle(const struct actor_kind *kind, int rc, struct outbox *ob,
    const char *from, const struct envelope *req)
{
	if (rc == -1)
		fatalx("%s: a database write failed; exiting so that the "
		    "restart recovers the last committed state", kind->name);
	actor_send_outbox(ob, from, req);
	if (kind->handled != NULL)
		kind->handled();
}

/* The row of kind's handler table for type, its MSG_UNKNOWN row, or NULL. */
static const struct handler *
handler_find(const struct actor_kind *kind, enum msg_type type)
{
	const struct handler	*any = NULL;
	size_t			 i;

	for (i = 0; i < kind->nhandlers; i++) {
		if (kind->handlers[i].type == type)
			return &kind->handlers[i];
		if (kind->handlers[i].type == MSG_UNKNOWN)
			any = &kind->handlers[i];
	}
	return any;
}

int
actor_handle(const struct actor_kind *kind, struct actor *self,
    struct envelope *env, struct outbox *ob)
{
	const struct handler	*h = handler_find(kind, env->type);
	const struct msg_info	*mi = msg_info(env->type);
	union msg_body		 body;
	int			 rc;
	enum err_code		 code;
	char			 why[256];

	if (h == NULL) {
		if (mi != NULL && mi->who == MSG_WHO_SERVER)
			log_debug("%s from %s (replyTo %s): nothing takes it "
			    "here; dropped", mi->name, env->from,
			    env->reply_to);
		else
			outbox_error(ob, env, ERR_UNKNOWN_TYPE, "Unknown "
			    "message type for %s: %s", kind->name,
			    msg_name(env->type));
		return 0;
	}
	if (h->type == MSG_UNKNOWN)
		return h->fn(self, env, ob);
	if (msg_decode(env->type, env->payload, &body, &code, why,
	    sizeof(why)) == -1) {
		/* From another process of ours: a bug worth a line. */
		if (mi->who != MSG_WHO_CLIENT)
			log_warnx("%s from %s: %s", mi->name, env->from, why);
		outbox_error(ob, env, code, "%s", why);
		return 0;
	}
	env->body = &body;
	if ((h->flags & H_COMMAND) && kind->command != NULL)
		rc = kind->command(self, env, ob, h);
	else
		rc = h->fn(self, env, ob);
	env->body = NULL;	/* body dies here */
	return rc;
}

void
actor_send_outbox(struct outbox *ob, const char *from,
    const struct envelope *req)
{
	struct outmsg	*m;
	msgpack_packer	*pk;
	size_t		 i;

	for (i = 0; i < ob->n; i++) {
		m = &ob->v[i];
		pk = actor_begin(m->from[0] != '\0' ? m->from : from, m->to,
		    m->type, m->reply && req != NULL ? req->id : NULL);
		mp_pack_raw(pk, outbox_payload(ob, i), m->len);
		actor_end();
	}
	outbox_clear(ob);
}

int
actor_handle_at(const struct actor_kind *kind, const char *address,
    void *data, struct envelope *env, struct outbox *ob)
{
	struct actor	 a = { .kind = kind, .data = data };

	snprintf(a.address, sizeof(a.address), "%s", address);
	a.name = strchr(a.address, ':') != NULL ? strchr(a.address, ':') + 1 :
	    a.address;
	return actor_handle(kind, &a, env, ob);
}

struct actor *
actor_spawn(const struct actor_kind *kind, const char *name, void *data)
{
	struct actor	*a = xcalloc(1, sizeof(*a));

	a->kind = kind;
	snprintf(a->address, sizeof(a->address), "%s:%s", kind->name, name);
	a->name = a->address + strlen(kind->name) + 1;
	a->data = data;
	if (strmap_put(rt.actors, a->address, a) != NULL)
		fatalx("actor_spawn: %s exists", a->address);
	return a;
}

struct actor *
actor_find(const char *address)
{
	return strmap_get(rt.actors, address);
}

static void
actor_free_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	free(arg);
}

void
actor_destroy(struct actor *a)
{
	strmap_del(rt.actors, a->address);
	if (event_base_once(rt.base, -1, EV_TIMEOUT, actor_free_cb, a,
	    NULL) == -1)
		fatalx("actor_destroy: event_base_once");
}

size_t
actor_count(void)
{
	return strmap_count(rt.actors);
}

/* Leave the loop once every connection has sent what it holds (or 1 s). */
static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (peer_all_unsent() == 0 || ++rt.drain_ticks >= 200)
		event_base_loopbreak(rt.base);
}

void
rt_stop(void)
{
	int	 i;

	if (rt.stopping)
		return;
	rt.stopping = 1;
	if (rt.listener != NULL)
		evconnlistener_disable(rt.listener);
	for (i = 0; i < rt.nkinds; i++)
		if (rt.kinds[i]->stop != NULL)
			rt.kinds[i]->stop();
	peer_flush();
	if (rt.db != NULL && db_commit(rt.db) == -1)
		log_warnx("final commit failed");
	rt.drain_ev = event_new(rt.base, -1, EV_PERSIST, drain_cb, NULL);
	timer_ms(rt.drain_ev, 5);
	event_active(rt.drain_ev, EV_TIMEOUT, 0);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	const struct actor_kind	*kind = arg;
	static struct config	 fresh;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_debug("%s: stopping", strsignal((int)sig));
		rt_stop();
		break;
	case SIGHUP:
		if (config_load_env(&fresh) == -1) {
			log_warnx("reload: the config has errors; keeping "
			    "the old one");
			break;
		}
		log_setlevel(config_log_level(&fresh, kind->name));
		if (kind->reload != NULL)
			kind->reload(&fresh);
		break;
	}
}

static void
usage(const char *name)
{
	fprintf(stderr, "usage: %s [-hV]\n"
	    "The %s actor of actord.  It is started by actord, which hands it\n"
	    "its control channel on fd %d and its listening socket on fd %d;\n"
	    "it is not meant to be run by hand.\n", name, name, CHILD_FD_CTL,
	    CHILD_FD_LISTEN);
}

/*
 * The standard main of an actor program: configuration from the
 * environment actord sets, the inherited descriptors, signals, the kind's
 * setup, Ready, then the loop until SIGTERM or the parent goes away.
 */
int
actor_main(int argc, char *argv[], const struct actor_kind *kind)
{
	static struct config	 cfg;
	struct event_base	*base;
	struct event		*sigs[3];
	const int		 signos[3] = { SIGTERM, SIGINT, SIGHUP };
	int			 ch, i;

	while ((ch = getopt(argc, argv, "hV")) != -1) {
		switch (ch) {
		case 'V':
			printf("%s (actord) %s\n", kind->name, ACTORD_VERSION);
			return 0;
		case 'h':
			usage(kind->name);
			return 0;
		default:
			usage(kind->name);
			return EXIT_USAGE;
		}
	}
	log_init(kind->name, LOG_INFO);
	if (fcntl(CHILD_FD_CTL, F_GETFD) == -1 ||
	    fcntl(CHILD_FD_LISTEN, F_GETFD) == -1) {
		log_warnx("no control channel on fd %d or socket on fd %d: "
		    "%s is started by actord", CHILD_FD_CTL, CHILD_FD_LISTEN,
		    kind->name);
		return EXIT_USAGE;
	}
	if (config_load_env(&cfg) == -1) {
		config_print_errors(&cfg, stderr);
		return EXIT_USAGE;
	}
	log_setlevel(config_log_level(&cfg, kind->name));
	/*
	 * Keep up to 1 MiB free at the top of the heap rather than handing
	 * it back at once.  SQLite's b-tree code allocates and frees about
	 * 150 KiB on many deletes; with glibc's defaults every time was a
	 * brk(2) to grow the heap, page faults, and a brk(2) to trim it: two
	 * brk per task cycle in the coordinator, a fifth of its CPU.
	 */
	mallopt(M_TOP_PAD, 1024 * 1024);
	signal(SIGPIPE, SIG_IGN);
	if ((base = loop_new()) == NULL)
		fatalx("loop_new");
	rt_init(base, &cfg, kind->name);
	rt_register(kind);
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(base, signos[i], signal_cb,
		    (void *)(uintptr_t)kind);
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) == -1)
			fatalx("evsignal_new");
	}
	rt_adopt_parent(CHILD_FD_CTL, "system:supervisor", NULL);
	if (rt_listen(CHILD_FD_LISTEN) == -1)
		fatal("listen on fd %d", CHILD_FD_LISTEN);
	if (kind->setup != NULL && kind->setup(&cfg) == -1) {
		log_warnx("setup failed; exiting");
		return EXIT_SYSTEM;
	}
	rt_ready();
	log_debug("ready");
	event_base_dispatch(base);
	peer_flush();
	log_debug("stopped");
	return 0;
}
