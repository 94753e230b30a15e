/*
 * The link actor, link:main: frames between this host's processes and
 * NATS (link.h), and the presence of the cluster's hosts.
 *
 * Out: every message a local connection brings for another host reaches
 * forward() (the runtime's hook), is stamped with this host and packed
 * again; the runtime hands the frame to remote(), which appends it to its
 * subject's batch.  One event per loop turn publishes the batches.  While
 * NATS is away batches wait, bounded by pending_bytes; what waited
 * wait_ms is answered `unavailable` (requests) or dropped (the rest).
 *
 * In: a NATS message is a run of frames; each loses this host's name on
 * `to` and goes on to the local process that hosts it.
 *
 * Peers across hosts: a local actor hears of a session elsewhere only
 * through the link, so the link tells it what a closed connection would.
 * A session here that goes away: PeerGone to the singletons and the other
 * hosts' trees.  Another host's sessions that reached an actor here are
 * remembered (visitors); when their host dies, or comes back as a new
 * incarnation, each gets a PeerGone here, so nothing keeps subscribers
 * that will never read again.  And when the singletons' host goes down,
 * this host's sessions hear PeerGone {coordinator:main}, then PeerBack
 * when it is back, and subscribe again, as they do when a local actor's
 * process restarts.  What the link knows of sessions outlives a restart
 * of the link in $RUN/link.db (link_state.c).
 */
#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "actor.h"
#include "clock.h"
#include "config.h"
#include "envelope.h"
#include "frame.h"
#include "hosts.h"
#include "link.h"
#include "log.h"
#include "metrics.h"
#include "strmap.h"
#include "xmalloc.h"

/* The actors of one host that every host's sessions reach by subject. */
static const char *const singletons[] = {
	COORDINATOR_ADDRESS, EVENTLOG_ADDRESS,
};

static void	singleton_up(const char *);
static void	singleton_down(const char *);
static void	workers_up(const char *);
static void	workers_down(const char *);
static void	peer_up(const char *);
static void	peer_down(const char *);

static const struct peer_rule peers[] = {
	{ "coordinator", singleton_up,	singleton_down },
	{ "eventlog",	singleton_up,	singleton_down },
	{ "worker",	workers_up,	workers_down },
	{ NULL,		peer_up,	peer_down },
};

static int	link_setup(const struct config *);
static void	link_stop(void);
static void	link_inspect(msgpack_packer *);
static void	link_metrics(struct metrics *);

const struct actor_kind link_kind = {
	.name = "link",
	.peers = peers,
	.npeers = nitems(peers),
	.setup = link_setup,
	.stop = link_stop,
	.inspect = link_inspect,
	.metrics = link_metrics,
};

/* A subject's frames of this turn (or held while NATS is away). */
struct batch {
	char		 subject[LINK_SUBJECT_MAX + 1];
	char		 host[HOST_MAX + 1];	/* "": a singleton's */
	struct evbuffer	*frames;
	int64_t		 since_ms;	/* the oldest frame's time */
	TAILQ_ENTRY(batch) entry;
};

enum host_state { HOST_UP, HOST_DOWN, HOST_DEAD };
static const char *const host_state_names[] = { "up", "down", "dead" };

/* Another host's session that reached an actor here. */
struct visitor {
	char		 host[HOST_MAX + 1];
	unsigned	 kinds;		/* K_* of the actors it reached */
	int64_t		 seen_ms;	/* its last frame here */
};

struct host {
	char		 name[HOST_MAX + 1];
	char		 incarnation[NAME_MAX_LEN + 1];
	char		 link[NAME_MAX_LEN + 1];	/* its link's run and
							   connection */
	unsigned	 roles;
	enum host_state	 state;
	int64_t		 seen_ms;	/* last announcement */
	int64_t		 down_ms;	/* when it went down */
};

/* A session of this host that went away (gone_keep(), gone_tell()). */
struct gone {
	TAILQ_ENTRY(gone)	 entry;
	int64_t			 ms;		/* when */
	char			 address[ADDR_MAX + 1];	/* with @host */
};

static struct {
	const struct config	*cfg;
	char			 prefix[80];	/* "<cluster>." */
	char			 presence[LINK_SUBJECT_MAX + 1];
	char			 incarnation[NAME_MAX_LEN + 1];
	char			 run[32];	/* pid-start: this run of the link */
	char			 imposter[NAME_MAX_LEN + 1];	/* warned of */
	struct strmap		*batches;	/* subject -> batch */
	TAILQ_HEAD(, batch)	 all;
	size_t			 held;		/* bytes in every batch */
	int			 up;		/* NATS connected */
	struct event		*flush_ev;
	struct event		*tick_ev;
	int64_t			 announced_ms;
	struct host		 hosts[HOSTS_MAX];
	int			 nhosts;
	struct strmap		*visitors;	/* address -> struct visitor */
	struct strmap		*sessions;	/* this host's, connected here */
	struct strmap		*unsure;	/* of a link before this one */
	TAILQ_HEAD(, gone)	 gone;		/* oldest first */
	size_t			 ngone;
	struct event		*unsure_ev;
	uint64_t		 purged;	/* visitors of dead hosts */
	int			 visitors_full;	/* warned of */
	uint64_t		 frames_out, frames_in, nats_out, nats_in;
	uint64_t		 unavailable, dropped;
	uint64_t		 connects;	/* to NATS, the first too */
	int64_t			 up_ms;		/* the last connection to NATS */
	int			 stopping;
} L;

static void	flush(evutil_socket_t, short, void *);
static struct host *host_find(const char *, size_t);
static struct host *singletons_host(void);
static void	gone_tell(const struct host *, int64_t);

static int
is_singleton(const struct addr *a)
{
	return (a->kindbit & (K_COORD | K_EVENTLOG)) != 0;
}

/* The subject a frame for a leaves on. */
static void
subject_of(const struct addr *a, char *buf, size_t size)
{
	if (a->hostlen > 0)
		snprintf(buf, size, "%shost.%.*s", L.prefix, (int)a->hostlen,
		    a->host);
	else
		snprintf(buf, size, "%sone.%.*s", L.prefix, (int)a->kindlen,
		    a->kind);
}

/*
 * Each request in frames gets `unavailable` from where it was going, as a
 * restarting actor's does at a session; replies and pushes are dropped.
 */
static void
fail_frames(struct evbuffer *frames, const char *why)
{
	msgpack_unpacked	 u;
	struct envelope		 env;
	const struct msg_info	*mi;
	enum err_code		 code;
	unsigned char		*p;
	size_t			 len, off, body;
	char			 err[256];

	len = evbuffer_get_length(frames);
	p = evbuffer_pullup(frames, -1);
	msgpack_unpacked_init(&u);
	for (off = 0; off + FRAME_HDR <= len; off += FRAME_HDR + body) {
		body = frame_get_len(p + off);
		if (msgpack_unpack_next(&u, (const char *)p + off + FRAME_HDR,
		    body, NULL) != MSGPACK_UNPACK_SUCCESS ||
		    env_decode(&u.data, &env, &code, err, sizeof(err)) == -1)
			continue;
		mi = msg_info(env.type);
		if (mi != NULL && mi->who != MSG_WHO_SERVER) {
			L.unavailable++;
			actor_error(env.to, &env, ERR_UNAVAILABLE, "%s is not "
			    "reachable: %s", env.to, why);
		} else
			L.dropped++;
	}
	msgpack_unpacked_destroy(&u);
	evbuffer_drain(frames, len);
}

/*
 * Whether a names a host that is not there: one known to be down or dead,
 * or one not heard of (a singleton: no host with the coordinator's role).
 * Only a link connected to NATS for a whole host_down_after_ms knows:
 * while it is away, or just back, a host silent to it may be there all
 * the same, so its frames go (or wait for NATS, then wait_ms answers).
 */
static int
host_gone(const struct addr *a)
{
	struct host	*h;

	if (!L.up || mono_ms() - L.up_ms < L.cfg->host_down_after_ms)
		return 0;
	if (a->hostlen == 0)	/* a singleton: on the coordinator's host */
		h = singletons_host();
	else
		h = host_find(a->host, a->hostlen);
	return h == NULL || h->state != HOST_UP;
}

/* Whether b's frames go to an up host (or a singleton): b stays. */
static int
batch_kept(const struct batch *b)
{
	struct host	*h;

	if (b->host[0] == '\0')
		return 1;
	h = host_find(b->host, strlen(b->host));
	return h != NULL && h->state == HOST_UP;
}

/*
 * The runtime's remote hook: a frame for another host, into its batch,
 * published at the end of the turn (flush()).  Nothing is sent from here:
 * frame points into the runtime's packing buffer.  A frame for a host
 * known to be down is dropped.  A batch outlives its turn only for an up
 * host or a singleton, so what stays is bounded by the presence table.
 */
static int
remote(const struct addr *to, const void *frame, size_t len)
{
	struct batch	*b;
	char		 subject[LINK_SUBJECT_MAX + 1];

	if (host_gone(to)) {
		log_debug("a frame for %.*s, which is not up: dropped",
		    (int)to->hostlen, to->host);
		L.dropped++;
		return -1;
	}
	if (L.held + len > (size_t)L.cfg->link_pending_bytes) {
		log_warnx("NATS: over [cluster] pending_bytes held; a frame "
		    "for %.*s dropped", (int)(to->name + to->namelen +
		    (to->hostlen ? to->hostlen + 1 : 0) - to->kind),
		    to->kind);
		L.dropped++;
		return -1;
	}
	subject_of(to, subject, sizeof(subject));
	if ((b = strmap_get(L.batches, subject)) == NULL) {
		b = xcalloc(1, sizeof(*b));
		snprintf(b->subject, sizeof(b->subject), "%s", subject);
		snprintf(b->host, sizeof(b->host), "%.*s", (int)to->hostlen,
		    to->hostlen > 0 ? to->host : "");
		if ((b->frames = evbuffer_new()) == NULL)
			fatalx("evbuffer_new");
		strmap_put(L.batches, b->subject, b);
		TAILQ_INSERT_TAIL(&L.all, b, entry);
	}
	if (evbuffer_get_length(b->frames) == 0)
		b->since_ms = mono_ms();
	evbuffer_add(b->frames, frame, len);
	L.held += len;
	L.frames_out++;
	event_active(L.flush_ev, EV_TIMEOUT, 1);
	return 0;
}

/* Answer (or drop) the first n bytes of a batch's frames: why. */
static void
fail_first(struct batch *b, size_t n, const char *why)
{
	struct evbuffer	*some = evbuffer_new();

	if (some == NULL)
		fatalx("evbuffer_new");
	evbuffer_remove_buffer(b->frames, some, n);
	L.held -= n;
	fail_frames(some, why);
	evbuffer_free(some);
}

/*
 * End of the turn: each subject's frames in NATS messages of whole
 * frames, each at most batch_bytes and the server's max_payload.  A frame
 * larger than that alone is answered `unavailable`.
 */
static void
flush(evutil_socket_t fd, short what, void *arg)
{
	struct batch	*b, *next;
	unsigned char	*p;
	size_t		 len, n, body = 0, max;

	(void)fd;
	(void)what;
	(void)arg;
	if (!L.up)
		return;
	max = (size_t)L.cfg->link_batch_bytes;
	if ((n = link_nats_max_payload()) > 0 && n < max)
		max = n;
	for (b = TAILQ_FIRST(&L.all); b != NULL; b = next) {
		next = TAILQ_NEXT(b, entry);
		while ((len = evbuffer_get_length(b->frames)) > 0) {
			p = evbuffer_pullup(b->frames, -1);
			for (n = 0; n + FRAME_HDR <= len; n += FRAME_HDR + body) {
				body = frame_get_len(p + n);
				if (n + FRAME_HDR + body > max)
					break;
			}
			if (n == 0) {
				log_warnx("NATS: a frame of %zu bytes, over the "
				    "%zu a NATS message may carry; dropped",
				    FRAME_HDR + body, max);
				fail_first(b, FRAME_HDR + body, "the message is "
				    "larger than NATS carries");
				continue;
			}
			if (link_nats_publish(b->subject, p, n) == -1) {
				/*
				 * The connection broke under us, before its
				 * callback said so: the frames wait for the
				 * reconnection (or wait_ms), as they would
				 * have a moment later.
				 */
				if (!link_nats_connected())
					return;
				fail_first(b, n, "NATS refused the message");
				continue;
			}
			evbuffer_drain(b->frames, n);
			L.held -= n;
			L.nats_out++;
		}
		if (!batch_kept(b)) {
			strmap_del(L.batches, b->subject);
			TAILQ_REMOVE(&L.all, b, entry);
			evbuffer_free(b->frames);
			free(b);
		}
	}
}

/*
 * The runtime's forward hook: a message a local connection brought for
 * another host.  `from` gains this host (not a singleton's: one in the
 * cluster), and the frame goes out again through the runtime, which finds
 * it remote and hands it to remote().
 */
static void
forward(const char *identity, struct envelope *env)
{
	struct addr	 from;
	char		 stamped[ADDR_MAX + 1];
	msgpack_packer	*pk;
	int		 n;

	struct addr	 to;

	(void)identity;
	if (addr_parse(env->from, strlen(env->from), &from) == -1 ||
	    addr_parse(env->to, strlen(env->to), &to) == -1)
		return;
	/* Only what lives elsewhere: this host's is not the link's to carry. */
	if (!rt_is_remote(&to)) {
		actor_error(NULL, env, ERR_UNKNOWN_ACTOR, "Unknown actor: %s",
		    env->to);
		return;
	}
	if (host_gone(&to)) {
		L.unavailable++;
		actor_error(env->to, env, ERR_UNAVAILABLE, "%s is not "
		    "reachable: %s%.*s is not up", env->to, to.hostlen > 0 ?
		    "host " : "the coordinator's host", (int)to.hostlen,
		    to.host);
		return;
	}
	n = -1;
	if (from.hostlen == 0 && !is_singleton(&from))
		n = snprintf(stamped, sizeof(stamped), "%s@%s", env->from,
		    L.cfg->host);
	if (n < 0 || (size_t)n >= sizeof(stamped))
		snprintf(stamped, sizeof(stamped), "%s", env->from);
	pk = actor_begin_id(stamped, env->to, env->type, env->id,
	    env->reply_to);
	msgpack_pack_object(pk, *env->payload);
	actor_end();
}

static const struct rt_link hooks = { forward, remote };

/* ---- peers across hosts ---- */

/*
 * PeerGone or PeerBack {address} to an actor, local or not: system:
 * supervisor here is reached on system.sock, as a frame from afar
 * (deliver()).
 */
static void
peer_news(const char *to, enum msg_type type, const char *address)
{
	struct msg_peer	 m;

	snprintf(m.address, sizeof(m.address), "%s", address);
	msg_encode(actor_begin("link:main", to, type, NULL),
	    msg_info(type)->shape, &m);
	if (strcmp(to, SUPERVISOR_ADDRESS) == 0)
		actor_end_afar();
	else
		actor_end();
}

/* Forget a visitor; the bound's warning may come again. */
static void
visitor_forget(const char *address)
{
	free(strmap_del(L.visitors, address));
	link_state_visitor_gone(address);
	if (strmap_count(L.visitors) < (size_t)L.cfg->link_remote_sessions_max)
		L.visitors_full = 0;
}

/*
 * A frame from another host for a local actor that keeps subscribers (or
 * watches): remember its session, or forget one its link says is gone.
 */
static void
visitor(const struct envelope *env, unsigned kindbit)
{
	union msg_body	 body;
	struct visitor	*v;
	struct addr	 from;
	enum err_code	 code;
	char		 why[128];

	if (!(kindbit & (K_COORD | K_EVENTLOG | K_SYSTEM)))
		return;
	if (env->type == MSG_PEER_GONE) {
		if (msg_decode(env->type, env->payload, &body, &code, why,
		    sizeof(why)) == 0)
			visitor_forget(body.peer.address);
		return;
	}
	if (addr_parse(env->from, strlen(env->from), &from) == -1 ||
	    from.kindbit != K_SESSION || from.hostlen == 0)
		return;
	if ((v = strmap_get(L.visitors, env->from)) == NULL) {
		if (strmap_count(L.visitors) >=
		    (size_t)L.cfg->link_remote_sessions_max) {
			if (L.visitors_full++ == 0)
				log_warnx("more than remote_sessions_max (%d) "
				    "sessions of other hosts: the "
				    "subscriptions of the rest stay here when "
				    "their host dies",
				    L.cfg->link_remote_sessions_max);
			return;
		}
		v = xcalloc(1, sizeof(*v));
		snprintf(v->host, sizeof(v->host), "%.*s", (int)from.hostlen,
		    from.host);
		strmap_put(L.visitors, env->from, v);
	}
	if ((v->kinds & kindbit) == 0) {
		v->kinds |= kindbit;
		link_state_visitor(env->from, v->host, v->kinds);
	}
	v->seen_ms = mono_ms();
}

/* The visitors a walk picked, copied: sending may change the map. */
struct picked {
	/* Filters on a visitor; none on the sessions' map. */
	const char	*host;		/* NULL: any */
	unsigned	 kinds;		/* any of these; 0: any */
	int64_t		 before_ms;	/* last seen before; 0: any */
	char		**addr;
	size_t		 n;
};

static void
pick_one(const char *address, void *val, void *arg)
{
	struct visitor	*v = val;
	struct picked	*p = arg;

	if ((p->host == NULL || strcmp(v->host, p->host) == 0) &&
	    (p->kinds == 0 || v->kinds & p->kinds) &&
	    (p->before_ms == 0 || v->seen_ms < p->before_ms))
		p->addr[p->n++] = xstrdup(address);
}

static void
pick(struct strmap *map, struct picked *p)
{
	p->addr = xcalloc(strmap_count(map) + 1, sizeof(*p->addr));
	p->n = 0;
	strmap_each(map, pick_one, p);
}

static void
picked_free(struct picked *p)
{
	while (p->n > 0)
		free(p->addr[--p->n]);
	free(p->addr);
}

/*
 * host's sessions are gone (it died: those not heard of since it went
 * down; or a new incarnation replaced it: all of them): the local actors
 * they reached hear PeerGone of each.
 */
static void
purge(const char *host, int64_t before_ms)
{
	struct picked	 p = { host, 0, before_ms, NULL, 0 };
	struct visitor	*v;
	size_t		 i, n;

	pick(L.visitors, &p);
	for (i = 0; i < p.n; i++) {
		v = strmap_get(L.visitors, p.addr[i]);
		if (v->kinds & K_COORD && L.cfg->roles & ROLE_COORDINATOR)
			peer_news(COORDINATOR_ADDRESS, MSG_PEER_GONE,
			    p.addr[i]);
		if (v->kinds & K_EVENTLOG && L.cfg->roles & ROLE_COORDINATOR)
			peer_news(EVENTLOG_ADDRESS, MSG_PEER_GONE, p.addr[i]);
		if (v->kinds & K_SYSTEM)
			peer_news(SUPERVISOR_ADDRESS, MSG_PEER_GONE,
			    p.addr[i]);
		visitor_forget(p.addr[i]);
	}
	if ((n = p.n) > 0)
		log_info("host %s: its %zu session%s forgotten here", host,
		    n, n == 1 ? "" : "s");
	L.purged += n;
	picked_free(&p);
}

/* PeerGone or PeerBack of address to the visitors that reached kindbit. */
static void
visitors_news(unsigned kindbit, enum msg_type type, const char *address)
{
	struct picked	 p = { NULL, kindbit, 0, NULL, 0 };
	size_t		 i;

	pick(L.visitors, &p);
	for (i = 0; i < p.n; i++)
		peer_news(p.addr[i], type, address);
	picked_free(&p);
}

/* PeerGone or PeerBack of each singleton to session, one of this host. */
static void
singletons_news(const char *session, enum msg_type type)
{
	size_t	 i;

	for (i = 0; i < nitems(singletons); i++)
		peer_news(session, type, singletons[i]);
}

/*
 * The singletons' host went down or came back: this host's sessions
 * hear it as of a local actor's process, and subscribe again when it is
 * back.
 */
static void
session_news(enum msg_type type)
{
	struct picked	 p = { NULL, 0, 0, NULL, 0 };
	size_t		 i;

	pick(L.sessions, &p);
	for (i = 0; i < p.n; i++)
		singletons_news(p.addr[i], type);
	picked_free(&p);
}

/* A run of frames from NATS: each to the local process that hosts it. */
static void
deliver(const unsigned char *p, size_t len)
{
	msgpack_unpacked	 u;
	struct envelope		 env;
	struct addr		 to;
	enum err_code		 code;
	msgpack_packer		*pk;
	size_t			 off, body;
	char			 why[256];

	msgpack_unpacked_init(&u);
	for (off = 0; off + FRAME_HDR <= len; off += FRAME_HDR + body) {
		body = frame_get_len(p + off);
		if (body == 0 || body > (size_t)L.cfg->max_frame_bytes ||
		    off + FRAME_HDR + body > len) {
			log_warnx("NATS: a batch with a bad frame length; "
			    "the rest of it dropped");
			off = len;
			break;
		}
		if (!mp_sane(p + off + FRAME_HDR, body) ||
		    msgpack_unpack_next(&u, (const char *)p + off + FRAME_HDR,
		    body, NULL) != MSGPACK_UNPACK_SUCCESS ||
		    env_decode(&u.data, &env, &code, why, sizeof(why)) == -1 ||
		    addr_parse(env.to, strlen(env.to), &to) == -1) {
			log_warnx("NATS: a frame that is not an envelope; "
			    "dropped");
			continue;
		}
		if (rt_is_remote(&to)) {
			log_warnx("NATS: %s for %s, which is not here; dropped",
			    msg_name(env.type), env.to);
			continue;
		}
		/* Ours: the local actor's address, without the host. */
		env.to[addr_local_len(env.to, &to)] = '\0';
		L.frames_in++;
		visitor(&env, to.kindbit);
		pk = actor_begin_id(env.from, env.to, env.type, env.id,
		    env.reply_to);
		msgpack_pack_object(pk, *env.payload);
		/*
		 * The tree's actor takes clients on system.sock; any other
		 * system: address is actord's own (an actorctl request that
		 * went to another host): its channel.
		 */
		if (strcmp(env.to, SUPERVISOR_ADDRESS) == 0)
			actor_end_afar();
		else if (to.kindbit != K_SYSTEM || env.reply_to[0] != '\0')
			actor_end();
		else	/* a request: to system.sock, what clients may ask */
			actor_end_afar();
	}
	if (off != len)
		log_warnx("NATS: a batch that ends inside a frame header; "
		    "its last %zu bytes dropped", len - off);
	msgpack_unpacked_destroy(&u);
}

/* ---- presence ---- */

static struct host *
host_find(const char *name, size_t len)
{
	int	 i;

	for (i = 0; i < L.nhosts; i++)
		if (strlen(L.hosts[i].name) == len &&
		    memcmp(L.hosts[i].name, name, len) == 0)
			return &L.hosts[i];
	return NULL;
}

/*
 * The host of the singletons: the one announcing the coordinator's role
 * (an up one, if two do); NULL before any did.
 */
static struct host *
singletons_host(void)
{
	struct host	*found = NULL;
	int		 i;

	for (i = 0; i < L.nhosts; i++)
		if (L.hosts[i].roles & ROLE_COORDINATOR) {
			found = &L.hosts[i];
			if (found->state == HOST_UP)
				break;
		}
	return found;
}

/* HostState {name, state, incarnation, roles} to the coordinator or actord. */
static void
send_host_state(const char *to, const char *name, const char *state,
    const char *incarnation, unsigned roles)
{
	struct msg_host_state	 m;

	memset(&m, 0, sizeof(m));
	snprintf(m.host, sizeof(m.host), "%s", name);
	snprintf(m.state, sizeof(m.state), "%s", state);
	snprintf(m.incarnation, sizeof(m.incarnation), "%s", incarnation);
	m.roles = roles;
	actor_msg("link:main", to, MSG_HOST_STATE, NULL, &m);
}

/* Tell the coordinator of h, when it lives here. */
static void
tell_coordinator(const struct host *h)
{
	if (L.cfg->roles & ROLE_COORDINATOR)
		send_host_state(COORDINATOR_ADDRESS, h->name,
		    host_state_names[h->state], h->incarnation, h->roles);
}

/* Tell actord (its channel: the tree lists the hosts) and the coordinator. */
static void
tell(const struct host *h)
{
	send_host_state(SUPERVISOR_ADDRESS, h->name,
	    host_state_names[h->state], h->incarnation, h->roles);
	tell_coordinator(h);
}

static void
host_set(struct host *h, enum host_state st)
{
	if (h->state == st)
		return;
	h->state = st;
	if (st == HOST_DOWN)
		h->down_ms = mono_ms();
	log_info("host %s is %s", h->name, host_state_names[st]);
	tell(h);
	if (st == HOST_DEAD)
		purge(h->name, h->down_ms);
	if (h->roles & ROLE_COORDINATOR && !(L.cfg->roles & ROLE_COORDINATOR)
	    && st != HOST_DEAD)
		session_news(st == HOST_UP ? MSG_PEER_BACK : MSG_PEER_GONE);
}

/*
 * An announcement: {host, roles, incarnation, link}.  link names the run
 * of the host's link and its connection to NATS (absent from older
 * links): a new one under the same incarnation is a link that restarted
 * or connected again.  It, and a host back from down under the same
 * incarnation, is told again what it may have missed.
 */
static void
presence(const void *data, size_t len)
{
	msgpack_unpacked	 u;
	const msgpack_object	*host, *inc, *roles, *run;
	struct host		*h;
	char			 incarnation[NAME_MAX_LEN + 1];
	char			 link[NAME_MAX_LEN + 1] = "";
	int64_t			 since = -1;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, data, len, NULL) != MSGPACK_UNPACK_SUCCESS
	    || (host = mp_get(&u.data, "host")) == NULL ||
	    host->type != MSGPACK_OBJECT_STR ||
	    !host_valid(host->via.str.ptr, host->via.str.size) ||
	    (inc = mp_get(&u.data, "incarnation")) == NULL ||
	    mp_strcpy(inc, incarnation, sizeof(incarnation)) == -1 ||
	    (roles = mp_get(&u.data, "roles")) == NULL ||
	    roles->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    ((run = mp_get(&u.data, "link")) != NULL &&
	    mp_strcpy(run, link, sizeof(link)) == -1)) {
		log_warnx("NATS: an announcement that does not parse; "
		    "ignored");
		goto out;
	}
	if (host->via.str.size == strlen(L.cfg->host) &&
	    memcmp(host->via.str.ptr, L.cfg->host, host->via.str.size) == 0) {
		/* Our own, or another tree under our name: say so, once. */
		if (strcmp(incarnation, L.incarnation) != 0 &&
		    strcmp(incarnation, L.imposter) != 0) {
			log_warnx("another actord announces itself as host %s "
			    "(incarnation %s): two hosts with one name get "
			    "each other's frames; give each its own [cluster] "
			    "host", L.cfg->host, incarnation);
			snprintf(L.imposter, sizeof(L.imposter), "%s",
			    incarnation);
		}
		goto out;
	}
	if ((h = host_find(host->via.str.ptr, host->via.str.size)) == NULL) {
		if (L.nhosts == HOSTS_MAX) {
			log_warnx("more than %d hosts; %.*s ignored",
			    HOSTS_MAX, (int)host->via.str.size,
			    host->via.str.ptr);
			goto out;
		}
		h = &L.hosts[L.nhosts++];
		memset(h, 0, sizeof(*h));
		snprintf(h->name, sizeof(h->name), "%.*s",
		    (int)host->via.str.size, host->via.str.ptr);
		h->state = HOST_DEAD;	/* never seen: nothing to reconcile */
	} else if (strcmp(h->incarnation, incarnation) != 0) {
		/* The old incarnation's sessions are gone with it. */
		if (h->state == HOST_UP) {
			log_info("host %s came back as a new incarnation",
			    h->name);
			host_set(h, HOST_DOWN);
		}
		purge(h->name, 0);
	} else if (h->state != HOST_UP || (h->link[0] != '\0' &&
	    link[0] != '\0' && strcmp(h->link, link) != 0))
		since = h->seen_ms - L.cfg->announce_ms;
	h->seen_ms = mono_ms();
	h->roles = (unsigned)roles->via.u64 & ROLE_ALL;
	snprintf(h->incarnation, sizeof(h->incarnation), "%s", incarnation);
	snprintf(h->link, sizeof(h->link), "%s", link);
	host_set(h, HOST_UP);
	if (since != -1)
		gone_tell(h, since);
out:
	msgpack_unpacked_destroy(&u);
}

static void
announce(void)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	char		 run[NAME_MAX_LEN + 1];

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	mp_pack_kv_str(&pk, "host", L.cfg->host);
	mp_pack_kv_uint(&pk, "roles", L.cfg->roles);
	mp_pack_kv_str(&pk, "incarnation", L.incarnation);
	snprintf(run, sizeof(run), "%s.%" PRIu64, L.run, L.connects);
	mp_pack_kv_str(&pk, "link", run);
	link_nats_publish(L.presence, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	L.announced_ms = mono_ms();
}

/*
 * Every tick: announce when due, mark silent hosts down and long-silent
 * ones dead, answer what waited too long for NATS.
 */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct batch	*b;
	struct host	*h;
	int64_t		 now = mono_ms();
	int		 i;

	(void)fd;
	(void)what;
	(void)arg;
	if (L.up && now - L.announced_ms >= L.cfg->announce_ms)
		announce();
	for (i = 0; i < L.nhosts; i++) {
		h = &L.hosts[i];
		if (h->state == HOST_UP &&
		    now - h->seen_ms >= L.cfg->host_down_after_ms)
			host_set(h, HOST_DOWN);
		else if (h->state == HOST_DOWN &&
		    now - h->down_ms >= L.cfg->host_dead_after_s * 1000LL)
			host_set(h, HOST_DEAD);
	}
	TAILQ_FOREACH(b, &L.all, entry)
		if (!L.up && evbuffer_get_length(b->frames) > 0 &&
		    now - b->since_ms >= L.cfg->link_wait_ms)
			fail_first(b, evbuffer_get_length(b->frames),
			    "no connection to NATS");
	timer_ms(L.tick_ev, L.cfg->announce_ms < 400 ? L.cfg->announce_ms / 4 :
	    100);
}

static void
on_message(const char *subject, const void *data, size_t len)
{
	L.nats_in++;
	if (strcmp(subject, L.presence) == 0)
		presence(data, len);
	else
		deliver(data, len);
}

static void
on_state(int state)
{
	char	 url[256];

	if (state == LN_UP && !L.up) {
		log_info("NATS: connected to %s", link_nats_server(url,
		    sizeof(url)));
		L.up = 1;
		L.connects++;
		L.up_ms = mono_ms();
		announce();
		flush(-1, 0, NULL);
	} else if (state == LN_DOWN && L.up) {
		log_warnx("NATS: disconnected; reconnecting");
		L.up = 0;
	} else if (state == LN_CLOSED && !L.stopping) {
		log_warnx("NATS: the connection is closed for good (%s): this "
		    "host is cut off from the cluster until the link restarts "
		    "(actorctl restart link)", link_nats_error());
		L.up = 0;
	}
}

static const struct link_nats_cb nats_cb = { on_message, on_state };

/*
 * One of the singletons' processes here (kind: coordinator or eventlog)
 * came back or went away: the sessions of other hosts that reached it
 * hear it as their own host's sessions do of a local process, and
 * subscribe again when it is back.
 */
static void
singleton_news(const char *kind, enum msg_type type)
{
	size_t	 i, n = strlen(kind);

	for (i = 0; i < nitems(singletons); i++)
		if (strncmp(singletons[i], kind, n) == 0 &&
		    singletons[i][n] == ':')
			visitors_news(kind_lookup(kind, n), type,
			    singletons[i]);
}

/*
 * A singleton's process (re)connected; the coordinator also gets the
 * whole host table, so that it knows who is up.
 */
static void
singleton_up(const char *kind)
{
	int	 i;

	if (strcmp(kind, "coordinator") == 0)
		for (i = 0; i < L.nhosts; i++)
			tell_coordinator(&L.hosts[i]);
	singleton_news(kind, MSG_PEER_BACK);
}

static void
singleton_down(const char *kind)
{
	singleton_news(kind, MSG_PEER_GONE);
}

/*
 * This host's worker process came or went (on a host without the
 * coordinator, which watches its own): the coordinator hears it as this
 * host going down and up, the rules of a returning worker process.
 */
static void
workers_state(const char *state)
{
	static const char	*said;

	/*
	 * Both our connection to worker.sock and the worker process's to
	 * link.sock (its messages for the coordinator) tell of it: once.
	 */
	if (said != NULL && strcmp(said, state) == 0)
		return;
	said = state;
	log_info("worker process %s: telling the coordinator", state);
	send_host_state(COORDINATOR_ADDRESS, L.cfg->host, state, L.incarnation,
	    L.cfg->roles);
}

static void
workers_up(const char *identity)
{
	(void)identity;
	workers_state("up");
}

static void
workers_down(const char *identity)
{
	(void)identity;
	workers_state("down");
}

/*
 * A session here connected: it hears of the singletons' host from now
 * on, and at once if that host is down (so that it subscribes again when
 * it is back).
 */
static void
peer_up(const char *identity)
{
	struct host	*h;

	if (strncmp(identity, "session:", 8) != 0)
		return;
	/* One of an earlier link's is in link.db already. */
	if (strmap_del(L.unsure, identity) == NULL &&
	    strmap_get(L.sessions, identity) == NULL)
		link_state_session(identity);
	strmap_put(L.sessions, identity, L.sessions);
	if (!(L.cfg->roles & ROLE_COORDINATOR) &&
	    (h = singletons_host()) != NULL && h->state != HOST_UP)
		singletons_news(identity, MSG_PEER_GONE);
}

/*
 * The sessions of this host that went away are kept for another host
 * that did not hear of them (gone_tell()): its link restarted or
 * reconnected, or it was cut off.  Those of the time another host may
 * stay silent before it counts as dead (host_down_after_ms, then
 * host_dead_after_s, and one announcement), at most remote_sessions_max
 * (a link keeps no more other hosts' sessions than that).  Drop the
 * oldest past either bound, with room for `room` more.
 */
static void
gone_prune(size_t room)
{
	struct gone	*g;
	int64_t		 now = mono_ms(), keep;

	keep = L.cfg->host_down_after_ms + L.cfg->host_dead_after_s * 1000LL +
	    L.cfg->announce_ms;
	while ((g = TAILQ_FIRST(&L.gone)) != NULL &&
	    (L.ngone + room > (size_t)L.cfg->link_remote_sessions_max ||
	    now - g->ms > keep)) {
		TAILQ_REMOVE(&L.gone, g, entry);
		free(g);
		L.ngone--;
	}
}

/* Keep a session of this host that went away. */
static void
gone_keep(const char *address)
{
	struct gone	*g;
	int64_t		 now = mono_ms();

	gone_prune(1);
	g = xmalloc(sizeof(*g));
	g->ms = now;
	snprintf(g->address, sizeof(g->address), "%s", address);
	TAILQ_INSERT_TAIL(&L.gone, g, entry);
	L.ngone++;
}

/*
 * Host h is heard again as the same tree, but may have missed what was
 * sent it: its link restarted or connected to NATS again (a new run or
 * connection), or it was down for us (cut off; we sent it nothing).
 * Say again each of this host's sessions that went away since it was
 * last heard: to h's tree and, when the singletons live there, to them.
 * A PeerGone twice is harmless.
 */
static void
gone_tell(const struct host *h, int64_t since)
{
	struct msg_peer	 m;
	struct gone	*g;
	char		 to[ADDR_MAX + 1];
	size_t		 i, n = 0;

	gone_prune(0);
	snprintf(to, sizeof(to), SUPERVISOR_ADDRESS "@%s", h->name);
	TAILQ_FOREACH(g, &L.gone, entry) {
		if (g->ms < since)
			continue;
		snprintf(m.address, sizeof(m.address), "%s", g->address);
		actor_msg("link:main", to, MSG_PEER_GONE, NULL, &m);
		for (i = 0; h->roles & ROLE_COORDINATOR &&
		    i < nitems(singletons); i++)
			actor_msg("link:main", singletons[i], MSG_PEER_GONE,
			    NULL, &m);
		n++;
	}
	log_info("host %s: heard again after a gap (its link restarted or "
	    "reconnected, or it was down); %zu session%s of this host gone "
	    "since told again", h->name, n, n == 1 ? "" : "s");
}

/*
 * A session of this host is gone.  Its connection here carried its
 * messages to the singletons and to the other hosts' trees
 * (system:supervisor@<host>): tell them, as its closed connection tells a
 * local one.
 */
static void
session_gone(const char *identity)
{
	struct msg_peer		 m;
	struct addr		 a;
	char			 to[ADDR_MAX + 1];
	size_t			 i;
	int			 h;

	strmap_del(L.sessions, identity);
	link_state_session_gone(identity);
	snprintf(m.address, sizeof(m.address), "%s@%s", identity,
	    L.cfg->host);
	gone_keep(m.address);
	for (i = 0; i < nitems(singletons); i++) {
		addr_parse(singletons[i], strlen(singletons[i]), &a);
		if (rt_is_remote(&a))
			actor_msg("link:main", singletons[i], MSG_PEER_GONE,
			    NULL, &m);
	}
	for (h = 0; h < L.nhosts; h++)
		if (L.hosts[h].state == HOST_UP) {
			snprintf(to, sizeof(to), SUPERVISOR_ADDRESS "@%s",
			    L.hosts[h].name);
			actor_msg("link:main", to, MSG_PEER_GONE, NULL, &m);
		}
}

/* A local peer went away: a session's connection, or another. */
static void
peer_down(const char *identity)
{
	if (strncmp(identity, "session:", 8) == 0)
		session_gone(identity);
}

/*
 * What an earlier link of this tree knew (link_state.c): the other hosts'
 * sessions that reached an actor here, purged when their host dies; and
 * this host's sessions connected to it.  Those are unsure: a session
 * still there connects again at once, as its connection broke; one that
 * has not within a few reconnections and announcements went away while
 * no link was here to say so, and is told gone now.
 */
static void
visitor_loaded(const char *address, const char *host, unsigned kinds)
{
	struct visitor	*v;

	if (strmap_count(L.visitors) >= (size_t)L.cfg->link_remote_sessions_max)
		return;
	v = xcalloc(1, sizeof(*v));
	snprintf(v->host, sizeof(v->host), "%s", host);
	v->kinds = kinds;
	v->seen_ms = 0;		/* not heard of by this link */
	strmap_put(L.visitors, address, v);
}

static void
session_loaded(const char *address)
{
	strmap_put(L.unsure, address, L.unsure);
}

static void
unsure_gone(const char *address, void *val, void *arg)
{
	(void)val;
	(void)arg;
	session_gone(address);
}

static void
unsure_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t	 n = strmap_count(L.unsure);

	(void)fd;
	(void)what;
	(void)arg;
	if (n > 0)
		log_info("%zu session%s of this host went away while the link "
		    "was down: telling the other hosts", n, n == 1 ? "" : "s");
	strmap_each(L.unsure, unsure_gone, NULL);
	strmap_free(L.unsure);
	L.unsure = strmap_new();
}

/*
 * This tree's incarnation: actord's pid and start time, the same for
 * every restart of the link, new when the tree restarts.
 */
static void
incarnation(char *buf, size_t size)
{
	char		 path[64], stat[1024], *p;
	unsigned long long start = 0;
	FILE		*fp;
	int		 i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)getppid());
	if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(stat, sizeof(stat), fp) != NULL &&
		    (p = strrchr(stat, ')')) != NULL) {
			/* starttime is field 22; p is at the end of field 2 */
			for (i = 2; i < 22 && p != NULL; i++)
				p = strchr(p + 1, ' ');
			if (p != NULL)
				start = strtoull(p + 1, NULL, 10);
		}
		fclose(fp);
	}
	snprintf(buf, size, "%d-%llu", (int)getppid(), start);
}

static int
link_setup(const struct config *cfg)
{
	char	 subject[LINK_SUBJECT_MAX + 1];

	L.cfg = cfg;
	snprintf(L.prefix, sizeof(L.prefix), "%s.", cfg->cluster_name);
	snprintf(L.presence, sizeof(L.presence), "%spresence", L.prefix);
	incarnation(L.incarnation, sizeof(L.incarnation));
	snprintf(L.run, sizeof(L.run), "%d-%" PRId64, (int)getpid(),
	    mono_ms());
	TAILQ_INIT(&L.gone);
	L.batches = strmap_new();
	L.visitors = strmap_new();
	L.sessions = strmap_new();
	L.unsure = strmap_new();
	if (link_state_open(cfg->run_dir, L.incarnation) == 0)
		link_state_load(visitor_loaded, session_loaded);
	if (strmap_count(L.visitors) > 0 || strmap_count(L.unsure) > 0)
		log_info("restarted: %zu session%s of other hosts known here, "
		    "%zu of this host to hear from again",
		    strmap_count(L.visitors),
		    strmap_count(L.visitors) == 1 ? "" : "s",
		    strmap_count(L.unsure));
	TAILQ_INIT(&L.all);
	L.flush_ev = event_new(rt_base(), -1, 0, flush, NULL);
	L.tick_ev = evtimer_new(rt_base(), tick, NULL);
	L.unsure_ev = evtimer_new(rt_base(), unsure_cb, NULL);
	if (L.flush_ev == NULL || L.tick_ev == NULL || L.unsure_ev == NULL)
		return -1;
	/* Past a session's reconnection and the hosts' announcements. */
	if (strmap_count(L.unsure) > 0)
		timer_ms(L.unsure_ev, 2 * (cfg->reconnect_max_ms +
		    cfg->announce_ms));
	actor_spawn(&link_kind, "main", NULL);
	rt_use_link(&hooks);
	if (link_nats_open(cfg, rt_base(), &nats_cb) == -1)
		return -1;
	snprintf(subject, sizeof(subject), "%shost.%s", L.prefix, cfg->host);
	if (link_nats_subscribe(subject) == -1 ||
	    link_nats_subscribe(L.presence) == -1)
		return -1;
	if (cfg->roles & ROLE_COORDINATOR) {
		snprintf(subject, sizeof(subject), "%sone.coordinator",
		    L.prefix);
		if (link_nats_subscribe(subject) == -1)
			return -1;
		snprintf(subject, sizeof(subject), "%sone.eventlog", L.prefix);
		if (link_nats_subscribe(subject) == -1)
			return -1;
		/*
		 * Connected now, so that the coordinator hears the hosts at
		 * once, and both are watched (coordinator_up and the rest).
		 */
		rt_prepare(COORDINATOR_ADDRESS);
		rt_prepare(EVENTLOG_ADDRESS);
	} else if (cfg->roles & ROLE_WORKER)
		rt_prepare("worker:main");	/* watched: workers_up/down */
	timer_ms(L.tick_ev, 0);
	log_info("host %s of cluster %s (%s), NATS %s", cfg->host,
	    cfg->cluster_name, cfg->roles_text, cfg->nats);
	return 0;
}

static void
link_stop(void)
{
	L.stopping = 1;
	flush(-1, 0, NULL);
	link_nats_close();
}

static void
link_inspect(msgpack_packer *pk)
{
	char	 url[256];
	int	 i, up = 0;

	for (i = 0; i < L.nhosts; i++)
		if (L.hosts[i].state == HOST_UP)
			up++;
	msgpack_pack_map(pk, 16);
	mp_pack_kv_str(pk, "host", L.cfg->host);
	mp_pack_kv_uint(pk, "natsConnected", L.up);
	mp_pack_kv_str(pk, "natsServer", L.up ? link_nats_server(url,
	    sizeof(url)) : "");
	mp_pack_kv_uint(pk, "natsConnects", L.connects);
	mp_pack_kv_uint(pk, "hostsUp", (uint64_t)up);
	mp_pack_kv_uint(pk, "framesOut", L.frames_out);
	mp_pack_kv_uint(pk, "framesIn", L.frames_in);
	mp_pack_kv_uint(pk, "natsOut", L.nats_out);
	mp_pack_kv_uint(pk, "natsIn", L.nats_in);
	mp_pack_kv_uint(pk, "unavailable", L.unavailable);
	mp_pack_kv_uint(pk, "dropped", L.dropped);
	mp_pack_kv_uint(pk, "heldBytes", L.held);
	mp_pack_kv_uint(pk, "remoteSessions", strmap_count(L.visitors));
	mp_pack_kv_uint(pk, "remoteSessionsPurged", L.purged);
	mp_pack_kv_uint(pk, "sessions", strmap_count(L.sessions));
	mp_pack_kv_uint(pk, "sessionsGoneKept", L.ngone);
}

/* The link's families for /metrics (docs/operations.md). */
static void
link_metrics(struct metrics *m)
{
	static const char frames[] = "Frames carried to (out) and from (in) "
	    "other hosts.";
	static const char msgs[] = "NATS messages (batches of frames, "
	    "announcements) published and received.";
	char	 l[METRICS_LABELS_MAX];
	int	 i, up = 0;

	for (i = 0; i < L.nhosts; i++)
		up += L.hosts[i].state == HOST_UP;
	metrics_gauge(m, "actord_link_nats_connected", "1 while the link is "
	    "connected to a NATS server.", "", L.up);
	metrics_counter(m, "actord_link_nats_connects_total", "Connections "
	    "to NATS made, the first one too.", "", (double)L.connects);
	metrics_gauge(m, "actord_link_hosts_up", "Other hosts of the cluster "
	    "announcing themselves.", "", up);
	for (i = 0; i < L.nhosts; i++) {
		metrics_labels(l, sizeof(l), "host", L.hosts[i].name, NULL);
		metrics_gauge(m, "actord_link_host_up", "1 while another host "
		    "of the cluster announces itself, 0 once it went down or "
		    "died, as this host sees it.", l,
		    L.hosts[i].state == HOST_UP);
	}
	metrics_labels(l, sizeof(l), "direction", "out", NULL);
	metrics_counter(m, "actord_link_frames_total", frames, l,
	    (double)L.frames_out);
	metrics_counter(m, "actord_link_nats_messages_total", msgs, l,
	    (double)L.nats_out);
	metrics_labels(l, sizeof(l), "direction", "in", NULL);
	metrics_counter(m, "actord_link_frames_total", frames, l,
	    (double)L.frames_in);
	metrics_counter(m, "actord_link_nats_messages_total", msgs, l,
	    (double)L.nats_in);
	metrics_counter(m, "actord_link_unavailable_total", "Requests answered "
	    "unavailable: NATS away longer than wait_ms.", "",
	    (double)L.unavailable);
	metrics_counter(m, "actord_link_dropped_total", "Frames dropped: "
	    "over pending_bytes, or replies that waited too long.", "",
	    (double)L.dropped);
	metrics_gauge(m, "actord_link_held_bytes", "Bytes of frames waiting "
	    "for NATS.", "", (double)L.held);
	metrics_gauge(m, "actord_link_remote_sessions", "Other hosts' "
	    "sessions that reached an actor here, remembered until they or "
	    "their host go.", "", (double)strmap_count(L.visitors));
	metrics_counter(m, "actord_link_remote_sessions_purged_total",
	    "Other hosts' sessions forgotten here because their host died or "
	    "came back as a new incarnation.", "", (double)L.purged);
}
