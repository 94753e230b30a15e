/*
 * Framed connections: see peer.h.  A bufferevent carries the output (and
 * the outbound connect); the input is read by our own event, straight into
 * space reserved at the end of the peer's input evbuffer.  libevent 2.1's
 * bufferevent would ask ioctl(FIONREAD) before every read and read at
 * most 4 KiB at a time.  Here the first read of a turn asks for 4 KiB
 * (what a lone message needs, without making an idle process touch more
 * memory), and while reads fill up, the next ones ask for READ_CHUNK; a
 * read that comes back short ends the turn: the socket is empty.
 */
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "child.h"
#include "clock.h"
#include "frame.h"
#include "log.h"
#include "peer.h"
#include "xmalloc.h"

#define PEER_HEALTHY_MS	1000	/* up this long: reconnect without backoff */

#define READ_FIRST	4096		/* the first read(2) of a turn */
#define READ_CHUNK	(64 * 1024)	/* the next ones */
#define READ_BUDGET	(256 * 1024)	/* bytes read per peer per turn */
#define PEER_FDS_MAX	8		/* descriptors waiting: peer_take_fds */

enum peer_state {
	PEER_UP,		/* connected */
	PEER_CONNECTING,	/* outbound, connect(2) in progress, or asked */
	PEER_WAITING,		/* outbound, waiting to retry */
	PEER_CLOSED,		/* peer_close() called or inbound gone */
};

struct peer {
	TAILQ_ENTRY(peer)	 held_entry;	/* on the held list */
	LIST_ENTRY(peer)	 all_entry;	/* on the list of all peers */
	struct bufferevent	*bev;		/* NULL unless up/connecting */
	struct event		*rd_ev;		/* NULL unless up */
	struct evbuffer		*in;		/* read, not yet delivered */
	struct evbuffer		*held;		/* written this turn */
	struct evbuffer		*backlog;	/* written while down */
	struct event		*retry_ev;	/* reconnect timer */
	struct event		*free_ev;	/* deferred free */
	enum peer_state		 state;
	int			 on_held;
	int			 retry_ms;	/* next reconnect delay */
	int64_t			 up_since;	/* mono_ms() it came up; 0 */
	size_t			 handling;	/* bytes of the frame in hand */
	char			*path;		/* outbound: socket path */
	char			*hello_from;	/* outbound: our identity */
	int			 brokered;	/* outbound, connections given */
	int			 takes_fds;	/* keeps SCM_RIGHTS descriptors */
	int			 fdq[PEER_FDS_MAX];	/* ... oldest first */
	int			 nfdq;
	char			 name[ADDR_MAX + 1];	/* for logs, routes */
	struct peer_limits	 lim;
	const struct peer_cb	*cb;
	void			*arg;
	struct peer_stats	 stats;
};

static struct event_base	*pbase;
static struct event		*flush_ev;
static int			(*commit_hook)(void *);
static void			*commit_arg;
static TAILQ_HEAD(, peer)	 held_list = TAILQ_HEAD_INITIALIZER(held_list);
static LIST_HEAD(, peer)	 all_peers = LIST_HEAD_INITIALIZER(all_peers);
static msgpack_zone		 zone;
static int			 touched;	/* a commit is due */

static void	peer_fail(struct peer *, const char *);
static void	peer_connect(struct peer *);
static void	schedule_retry(struct peer *);
static void	flush_cb(evutil_socket_t, short, void *);

/* Set up the module for one event base; call once per process. */
void
peer_init(struct event_base *base)
{
	pbase = base;
	if ((flush_ev = event_new(base, -1, 0, flush_cb, NULL)) == NULL)
		fatalx("peer_init: event_new");
	if (!msgpack_zone_init(&zone, 8192))
		fatalx("peer_init: msgpack_zone_init");
}

/* The commit hook runs at every flush before any held frame is sent. */
void
peer_set_commit_hook(int (*hook)(void *), void *arg)
{
	commit_hook = hook;
	commit_arg = arg;
}

void
peer_default_limits(struct peer_limits *l)
{
	l->max_frame = FRAME_MAX_DEFAULT;
	l->high_water = 4 * 1024 * 1024;
	l->max_queue = 64 * 1024 * 1024;
	l->retry_initial_ms = 10;
	l->retry_max_ms = 1000;
}

static struct peer *
peer_alloc(const struct peer_limits *l, const struct peer_cb *cb, void *arg)
{
	struct peer	*p = xcalloc(1, sizeof(*p));

	p->lim = *l;
	p->cb = cb;
	p->arg = arg;
	if ((p->held = evbuffer_new()) == NULL ||
	    (p->backlog = evbuffer_new()) == NULL ||
	    (p->in = evbuffer_new()) == NULL)
		fatalx("peer: evbuffer_new");
	LIST_INSERT_HEAD(&all_peers, p, all_entry);
	return p;
}

/*
 * Decode and deliver every whole frame in the input buffer; 0, or -1 when
 * the peer failed or was closed meanwhile (its bufferevent may be gone).
 */
static int
deliver(struct peer *p, struct evbuffer *in)
{
	struct envelope		 env;
	msgpack_object		 obj;
	unsigned char		 hdr[FRAME_HDR], *data;
	enum err_code		 code;
	char			 why[512];
	size_t			 len, body, off;

	while (p->state == PEER_UP) {
		len = evbuffer_get_length(in);
		if (len < FRAME_HDR)
			break;
		evbuffer_copyout(in, hdr, FRAME_HDR);
		body = frame_get_len(hdr);
		if (body == 0 || body > p->lim.max_frame) {
			snprintf(why, sizeof(why), "%s (%zu bytes, limit %zu)",
			    frame_status_str(body ? FRAME_TOO_LARGE :
			    FRAME_EMPTY), body, p->lim.max_frame);
			peer_fail(p, why);
			return -1;
		}
		if (len < FRAME_HDR + body)
			break;
		data = evbuffer_pullup(in, (ev_ssize_t)(FRAME_HDR + body));
		off = 0;
		if (!mp_sane(data + FRAME_HDR, body) ||
		    msgpack_unpack((const char *)data + FRAME_HDR, body, &off,
		    &zone, &obj) != MSGPACK_UNPACK_SUCCESS || off != body) {
			msgpack_zone_clear(&zone);
			peer_fail(p, "frame body is not one msgpack object");
			return -1;
		}
		if (env_decode(&obj, &env, &code, why, sizeof(why)) == -1) {
			msgpack_zone_clear(&zone);
			peer_fail(p, why);
			return -1;
		}
		p->stats.msgs_in++;
		p->stats.bytes_in += FRAME_HDR + body;
		p->retry_ms = 0;	/* a healthy exchange resets backoff */
		p->handling = FRAME_HDR + body;
		p->cb->message(p, &env, p->arg);
		p->handling = 0;
		msgpack_zone_clear(&zone);
		if (p->state == PEER_CLOSED)
			return -1;
		evbuffer_drain(in, FRAME_HDR + body);
	}
	return p->state == PEER_UP ? 0 : -1;
}

/*
 * read(2), or for a peer that takes descriptors recvmsg(2), keeping the
 * one that may come with the bytes (each comes with the first byte of its
 * frame, and a frame carries at most one: they queue in frame order).
 */
static ssize_t
peer_read(struct peer *p, int fd, void *buf, size_t len)
{
	ssize_t	 n;
	int	 one;

	if (!p->takes_fds)
		return read(fd, buf, len);
	if ((n = fd_recv(fd, buf, len, &one)) == -1 || one == -1)
		return n;
	if (p->nfdq == PEER_FDS_MAX) {
		log_warnx("peer %s: more than %d descriptors waiting; one "
		    "closed", p->name, PEER_FDS_MAX);
		close(one);
	} else
		p->fdq[p->nfdq++] = one;
	return n;
}

/*
 * The socket is readable: read and deliver, chunk by chunk, until a read
 * comes short or READ_BUDGET is read.  The budget keeps one busy peer
 * from starving the others; it is large because every loop turn ends
 * with a flush and so a commit: a connection that carries many messages
 * (the worker process's reports to the coordinator) would otherwise get
 * one fsync per small read and group commit would batch little.
 */
static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer		*p = arg;
	struct evbuffer_iovec	 v;
	size_t			 want = READ_FIRST, total = 0;
	ssize_t			 n;

	(void)what;
	while (total < READ_BUDGET) {
		if (evbuffer_reserve_space(p->in, (ev_ssize_t)want, &v, 1) != 1)
			fatalx("peer: evbuffer_reserve_space");
		if ((n = peer_read(p, fd, v.iov_base, want)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				peer_fail(p, strerror(errno));
			return;
		}
		if (n == 0) {
			/* Frames before the end were delivered already. */
			peer_fail(p, NULL);
			return;
		}
		v.iov_len = (size_t)n;
		if (evbuffer_commit_space(p->in, &v, 1) == -1)
			fatalx("peer: evbuffer_commit_space");
		if (deliver(p, p->in) == -1 || (size_t)n < want)
			return;
		total += (size_t)n;
		want = READ_CHUNK;
	}
}

/* Start reading a connection that is up. */
static void
peer_read_start(struct peer *p)
{
	p->rd_ev = event_new(pbase, bufferevent_getfd(p->bev),
	    EV_READ | EV_PERSIST, read_cb, p);
	if (p->rd_ev == NULL || event_add(p->rd_ev, NULL) == -1)
		fatalx("peer: read event");
}

/*
 * Drop the connection's descriptor and events.  What it left unread in
 * p->in goes when the next connection is attached: this may run inside
 * deliver(), whose message the callback may still hold.
 */
static void
peer_detach(struct peer *p)
{
	if (p->rd_ev != NULL) {
		event_free(p->rd_ev);
		p->rd_ev = NULL;
	}
	if (p->bev != NULL) {
		bufferevent_free(p->bev);
		p->bev = NULL;
	}
}

/* Output fell to the low water mark. */
static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct peer	*p = arg;

	(void)bev;
	if (p->cb->drained != NULL && !peer_congested(p))
		p->cb->drained(p, p->arg);
}

/*
 * An outbound peer's connection is up: what waited goes first.  With
 * nothing ahead of it (a given connection: no Hello of ours), it is
 * written now, as release_held() writes a turn's frames, rather than on
 * the next turn's write event.
 */
static void
peer_up(struct peer *p)
{
	struct evbuffer	*out = bufferevent_get_output(p->bev);

	p->state = PEER_UP;
	p->up_since = mono_ms();
	log_debug("peer %s: connected", p->name);
	if (evbuffer_get_length(out) == 0 &&
	    evbuffer_get_length(p->backlog) <= p->lim.high_water)
		(void)evbuffer_write(p->backlog, bufferevent_getfd(p->bev));
	evbuffer_add_buffer(out, p->backlog);
	peer_read_start(p);
	if (p->cb->connected != NULL)
		p->cb->connected(p, p->arg);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct peer	*p = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		peer_up(p);
		return;
	}
	if (what & BEV_EVENT_EOF)
		peer_fail(p, NULL);
	else if (what & BEV_EVENT_ERROR)
		peer_fail(p, strerror(EVUTIL_SOCKET_ERROR()));
}

/* Wrap fd in a bufferevent for the output, with our limits. */
static void
peer_attach(struct peer *p, int fd)
{
	p->bev = bufferevent_socket_new(pbase, fd, BEV_OPT_CLOSE_ON_FREE);
	if (p->bev == NULL)
		fatalx("peer: bufferevent_socket_new");
	bufferevent_setcb(p->bev, NULL, write_cb, event_cb, p);
	evbuffer_drain(p->in, evbuffer_get_length(p->in));
	bufferevent_setwatermark(p->bev, EV_WRITE, p->lim.high_water / 2, 0);
	bufferevent_set_max_single_write(p->bev, 256 * 1024);
	bufferevent_enable(p->bev, EV_WRITE);
}

struct peer *
peer_new_fd(int fd, const struct peer_limits *l, const struct peer_cb *cb,
    void *arg)
{
	struct peer	*p = peer_alloc(l, cb, arg);

	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	snprintf(p->name, sizeof(p->name), "fd%d", fd);
	peer_attach(p, fd);
	p->state = PEER_UP;
	peer_read_start(p);
	return p;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	peer_connect(arg);
}

struct peer *
peer_new_path(const char *path, const char *hello_from,
    const struct peer_limits *l, const struct peer_cb *cb, void *arg)
{
	struct peer	*p = peer_alloc(l, cb, arg);
	const char	*base = strrchr(path, '/');

	p->path = xstrdup(path);
	p->hello_from = xstrdup(hello_from);
	snprintf(p->name, sizeof(p->name), "%s", base ? base + 1 : path);
	if ((p->retry_ev = evtimer_new(pbase, retry_cb, p)) == NULL)
		fatalx("peer: evtimer_new");
	peer_connect(p);
	return p;
}

/*
 * Pack the frame of a Hello from `from` (with the session's client id,
 * or NULL) to the process behind the socket named name
 * ("coordinator.sock" or "coordinator": "coordinator:main") into sb,
 * header included.
 */
static void
pack_hello(msgpack_sbuffer *sb, const char *name, const char *from,
    const char *client)
{
	struct msg_hello h;
	msgpack_packer	 pk;
	char		 id[ID_MAX + 1], to[ADDR_MAX + 1];

	msgpack_sbuffer_write(sb, "\0\0\0\0", FRAME_HDR);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	env_new_id(id, sizeof(id));
	snprintf(to, sizeof(to), "%.*s:main", (int)strcspn(name, "."), name);
	env_pack_header(&pk, to, from, MSG_HELLO, id, NULL, env_now_ms());
	memset(&h, 0, sizeof(h));
	h.pid = (uint64_t)getpid();
	snprintf(h.client, sizeof(h.client), "%s", client != NULL ? client :
	    "");
	msg_encode(&pk, &msg_shape_hello, &h);
	frame_put_len(sb->data, (uint32_t)(sb->size - FRAME_HDR));
}

/* Queue the Hello that names us to the far side. */
static void
write_hello(struct peer *p, struct evbuffer *out)
{
	msgpack_sbuffer	 sb;

	msgpack_sbuffer_init(&sb);
	pack_hello(&sb, p->name, p->hello_from, NULL);
	evbuffer_add(out, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

struct peer *
peer_new_brokered(const char *name, const struct peer_limits *l,
    const struct peer_cb *cb, void *arg)
{
	struct peer	*p = peer_alloc(l, cb, arg);

	p->brokered = 1;
	peer_set_name(p, name);
	if ((p->retry_ev = evtimer_new(pbase, retry_cb, p)) == NULL)
		fatalx("peer: evtimer_new");
	/* Ask from the loop: the caller may be in the middle of a send. */
	p->state = PEER_WAITING;
	timer_ms(p->retry_ev, 0);
	return p;
}

int
peer_give_fd(struct peer *p, int fd)
{
	if (!p->brokered || p->state != PEER_CONNECTING) {
		close(fd);
		return -1;
	}
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	peer_attach(p, fd);
	peer_up(p);
	return 0;
}

void
peer_give_none(struct peer *p)
{
	if (p->brokered && p->state == PEER_CONNECTING) {
		log_debug("peer %s: no connection given", p->name);
		schedule_retry(p);
	}
}

int
peer_connect_as(const char *path, const char *from, const char *client)
{
	msgpack_sbuffer		 sb;
	const char		*base = strrchr(path, '/');
	ssize_t			 n;
	int			 fd, saved;

	/* A Unix socket connects at once, or fails at once. */
	if ((fd = frame_connect(path)) == -1)
		return -1;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	msgpack_sbuffer_init(&sb);
	pack_hello(&sb, base != NULL ? base + 1 : path, from, client);
	do
		n = send(fd, sb.data, sb.size, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	saved = n == -1 ? errno : EAGAIN;
	if (n != (ssize_t)sb.size) {
		msgpack_sbuffer_destroy(&sb);
		close(fd);
		errno = saved;
		return -1;
	}
	msgpack_sbuffer_destroy(&sb);
	return fd;
}

void
peer_take_fds(struct peer *p)
{
	p->takes_fds = 1;
}

int
peer_next_fd(struct peer *p)
{
	int	 fd;

	if (p->nfdq == 0)
		return -1;
	fd = p->fdq[0];
	memmove(p->fdq, p->fdq + 1, (size_t)--p->nfdq * sizeof(int));
	return fd;
}

/*
 * Start connecting.  A Unix socket connect either succeeds at once (the
 * listener exists, even if its process is restarting: the connection waits
 * in the backlog) or fails at once; either way the outcome is reported from
 * the loop.
 */
static void
peer_connect(struct peer *p)
{
	struct sockaddr_un	 sun;
	int			 fd;

	if (p->brokered) {
		/* Its owner has the connection made; the answer may wait. */
		p->state = PEER_CONNECTING;
		p->cb->wanted(p, p->arg);
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", p->path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("peer %s: socket", p->name);
		goto retry;
	}
	p->state = PEER_CONNECTING;
	peer_attach(p, fd);
	write_hello(p, bufferevent_get_output(p->bev));
	if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&sun,
	    sizeof(sun)) == 0)
		return;
	log_debug("peer %s: connect: %s", p->name, strerror(errno));
	peer_detach(p);
retry:
	schedule_retry(p);
}

/* Schedule the next reconnect with exponential backoff. */
static void
schedule_retry(struct peer *p)
{
	/*
	 * A connection that stayed up a while was healthy, even if it only
	 * sent: start the backoff over.  One that failed at once backs off.
	 */
	if (p->up_since != 0 && mono_ms() - p->up_since >= PEER_HEALTHY_MS)
		p->retry_ms = 0;
	p->up_since = 0;
	if (p->retry_ms == 0)
		p->retry_ms = p->lim.retry_initial_ms;
	else if ((p->retry_ms *= 2) > p->lim.retry_max_ms)
		p->retry_ms = p->lim.retry_max_ms;
	p->state = PEER_WAITING;
	timer_ms(p->retry_ev, p->retry_ms);
}

/*
 * The connection failed or ended.  Bytes still in the bufferevent's output
 * are dropped with it: a frame may have been half written, and the far side
 * is gone.  Frames held this turn survive into the backlog of an outbound
 * peer.
 */
static void
peer_fail(struct peer *p, const char *why)
{
	int	 was_up = p->state == PEER_UP;

	if (p->state == PEER_CLOSED)
		return;
	if (why != NULL && was_up)
		log_warnx("peer %s: %s; dropping the connection", p->name,
		    why);
	else if (why != NULL)
		log_debug("peer %s: %s", p->name, why);
	else
		log_debug("peer %s: connection closed", p->name);
	peer_detach(p);
	if (p->path == NULL && !p->brokered) {
		peer_close(p);
		p->cb->closed(p, p->arg);
		return;
	}
	schedule_retry(p);
	if (was_up)
		p->cb->closed(p, p->arg);
}

static void
free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer	*p = arg;

	(void)fd;
	(void)what;
	if (p->on_held)
		TAILQ_REMOVE(&held_list, p, held_entry);
	LIST_REMOVE(p, all_entry);
	peer_detach(p);
	if (p->retry_ev != NULL)
		event_free(p->retry_ev);
	event_free(p->free_ev);
	evbuffer_free(p->held);
	evbuffer_free(p->backlog);
	evbuffer_free(p->in);
	while (p->nfdq > 0)
		close(p->fdq[--p->nfdq]);
	free(p->path);
	free(p->hello_from);
	free(p);
}

void
peer_close(struct peer *p)
{
	if (p->free_ev != NULL)
		return;
	p->state = PEER_CLOSED;
	if (p->rd_ev != NULL)
		event_del(p->rd_ev);
	if (p->bev != NULL)
		bufferevent_disable(p->bev, EV_READ | EV_WRITE);
	if (p->retry_ev != NULL)
		evtimer_del(p->retry_ev);
	if ((p->free_ev = event_new(pbase, -1, 0, free_cb, p)) == NULL)
		fatalx("peer_close: event_new");
	event_active(p->free_ev, 0, 0);
}

size_t
peer_unsent(const struct peer *p)
{
	size_t	 n = evbuffer_get_length(p->held) +
	    evbuffer_get_length(p->backlog);

	if (p->bev != NULL)
		n += evbuffer_get_length(bufferevent_get_output(p->bev));
	return n;
}

/* Bytes every connected peer still has to send: 0 means all is out. */
size_t
peer_all_unsent(void)
{
	struct peer	*p;
	size_t		 n = 0;

	LIST_FOREACH(p, &all_peers, all_entry)
		if (p->state == PEER_UP)
			n += peer_unsent(p);
	return n;
}

int
peer_write(struct peer *p, const void *frame, size_t len)
{
	char	 why[128];

	if (p->state == PEER_CLOSED)
		return -1;
	if (peer_unsent(p) + len > p->lim.max_queue) {
		snprintf(why, sizeof(why), "%zu bytes unsent, over the queue "
		    "limit of %zu", peer_unsent(p), p->lim.max_queue);
		if (p->state != PEER_UP)
			log_warnx("peer %s: %s; dropping its backlog",
			    p->name, why);
		evbuffer_drain(p->backlog, evbuffer_get_length(p->backlog));
		evbuffer_drain(p->held, evbuffer_get_length(p->held));
		if (p->state == PEER_UP)
			peer_fail(p, why);
		return -1;
	}
	if (evbuffer_add(p->held, frame, len) == -1)
		fatalx("peer_write: evbuffer_add");
	p->stats.msgs_out++;
	p->stats.bytes_out += len;
	if (!p->on_held) {
		TAILQ_INSERT_TAIL(&held_list, p, held_entry);
		p->on_held = 1;
		event_active(flush_ev, 0, 0);
	}
	return 0;
}

void
peer_touch(void)
{
	touched = 1;
	event_active(flush_ev, 0, 0);
}

/*
 * Hand a connected peer's held frames to the kernel.  When nothing is
 * queued ahead of them, write them now: through the bufferevent, every
 * turn would cost an epoll_ctl to ask for EPOLLOUT, an epoll_wait to hear
 * it and an epoll_ctl to withdraw it, which is most of a round trip.
 * Whatever the socket does not take (or an error) goes to the bufferevent
 * as before, which writes it when it can or reports the error.
 *
 * Only when the held bytes are under the high water mark: a peer that
 * was congested this turn then still hears drained from the bufferevent's
 * write callback, which a direct write would bypass.
 */
static void
release_held(struct peer *p)
{
	struct evbuffer	*out = bufferevent_get_output(p->bev);

	if (evbuffer_get_length(out) == 0 &&
	    evbuffer_get_length(p->held) <= p->lim.high_water)
		(void)evbuffer_write(p->held, bufferevent_getfd(p->bev));
	if (evbuffer_get_length(p->held) > 0)
		evbuffer_add_buffer(out, p->held);
}

void
peer_flush(void)
{
	struct peer	*p;

	if (TAILQ_EMPTY(&held_list) && !touched)
		return;
	touched = 0;
	if (commit_hook != NULL && commit_hook(commit_arg) == -1)
		fatalx("commit failed: no reply leaves before its state is "
		    "durable");
	while ((p = TAILQ_FIRST(&held_list)) != NULL) {
		TAILQ_REMOVE(&held_list, p, held_entry);
		p->on_held = 0;
		if (p->state == PEER_UP)
			release_held(p);
		else
			evbuffer_add_buffer(p->backlog, p->held);
	}
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	peer_flush();
}

void
peer_set_name(struct peer *p, const char *name)
{
	snprintf(p->name, sizeof(p->name), "%s", name);
}

const char *
peer_name(const struct peer *p)
{
	return p->name;
}

bool
peer_is_up(const struct peer *p)
{
	return p->state == PEER_UP;
}

bool
peer_congested(const struct peer *p)
{
	return peer_unsent(p) > p->lim.high_water;
}

/* Bytes received but not yet handled: the kernel's and ours. */
size_t
peer_unread(const struct peer *p)
{
	int	 n = 0;
	size_t	 total = 0;

	if (p->bev == NULL)
		return 0;
	total = evbuffer_get_length(p->in) - p->handling;
	if (ioctl(bufferevent_getfd(p->bev), FIONREAD, &n) == 0 && n > 0)
		total += (size_t)n;
	return total;
}

int
peer_fd(const struct peer *p)
{
	return p->bev == NULL ? -1 : bufferevent_getfd(p->bev);
}

const struct peer_stats *
peer_stats(const struct peer *p)
{
	return &p->stats;
}

void *
peer_arg(const struct peer *p)
{
	return p->arg;
}

void
peer_set_arg(struct peer *p, void *arg)
{
	p->arg = arg;
}
