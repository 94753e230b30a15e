/*
 * Session processes: the gateway is their supervisor.
 *
 * Each session has one descriptor, fd 3: its end of a socketpair whose
 * other end the gateway keeps (as a peer), the only descriptor the
 * gateway holds per session.  A pool of session_pool sessions is kept
 * started and idle, each waiting for its first frame; an upgrade takes one
 * and sends it SessionOpen with the client's descriptor (SCM_RIGHTS), so
 * that a connection does not wait for a process to start.  When the pool
 * is empty a session is started for the connection, and the same frame
 * waits in its socketpair while it starts.
 *
 * Sessions are forked by a zygote: one `session -z` process, started
 * once, that forks once per request (common/zygote.h).  A fork of that
 * small, linked and configured process is ten times cheaper than a
 * fork+exec, and its children share every library page: an idle session
 * costs about 100 KB instead of 270.  The price: sessions share the
 * zygote's address-space layout (as Android apps share theirs).  Without
 * a zygote (it died, and is restarted with a delay), sessions are
 * fork+exec'd as before.
 *
 * The zygote stays the parent of the sessions it forks: it reaps them
 * and reports each exit (pid and wait status) on its channel.  So we know
 * such a session by its control channel, learn its pid from its Ready,
 * see its end as that channel closing, and learn how it ended from the
 * zygote's report.  If the zygote dies, its sessions become our children
 * (we are a subreaper) and we reap them ourselves, as we reap the
 * sessions we fork+exec.  A session whose exit status never comes (a lost
 * report) is forgotten STATUS_WAIT_MS after its channel closed; a garbled
 * report drops the zygote's channel (it exits, and its sessions are ours).
 *
 * A session may not connect(2): its connections to the actors are ours to
 * make (connect_actor()).  It asks with ConnectActor {kind} on its
 * channel, first when it has something for that kind, then whenever the
 * connection drops; we connect to $RUN/<kind>.sock, say Hello there as
 * session:<id>, the id of its first Ready (said before it had a client),
 * and hand it the descriptor with ActorConnected.  The actor takes from
 * such a connection only what a client may send (common/actor.c), and the
 * session cannot say Hello before ours.  docs/security.md says why.
 *
 * Sessions are temporary: never restarted; the pool is refilled, with a
 * growing delay when sessions die before serving anyone (a broken program
 * or config must not become a fork loop).  The list of serving sessions
 * goes to actord as SessionsChanged whenever it changes (coalesced), and
 * with fresh counters every few seconds.  On shutdown every session is
 * told to close its WebSocket with 1001 and waited for, within a bound.
 */
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "actor.h"
#include "child.h"
#include "clock.h"
#include "config.h"
#include "frame.h"
#include "gateway.h"
#include "log.h"
#include "metrics.h"
#include "peer.h"
#include "strmap.h"
#include "xmalloc.h"
#include "zygote.h"

#define CHANGED_DELAY_MS	100	/* SessionsChanged coalescing */
#define COUNTERS_MS		5000	/* ... and with fresh counters */
#define STOP_WAIT_MS		3000	/* sessions close within, or SIGKILL */
#define KILL_WAIT_MS		500
#define RESPAWN_MAX_MS		5000	/* cap of the pool refill delay */
#define REFILL_DELAY_MS		2	/* after a hand-off, then refill */
#define ZYGOTE_RETRY_MS		1000	/* restart a dead zygote after */
#define ZYGOTE_READ_BATCH	256	/* exit reports read per wake-up */
#define STATUS_WAIT_MS		5000	/* an exit status, after the channel */
#define REAPED_RING		64	/* exits of pids not known yet */
#define REAPED_KEEP_MS		2000	/* ... remembered this long */
#define CONNECT_BURST		16	/* actor connections a session asks */
#define CONNECT_RATE		4	/* ... then this many per second */

enum gs_state {
	GS_IDLE,		/* in the pool: started, waiting */
	GS_BUSY,		/* serving a connection */
	GS_GONE,		/* out of the lists; channel still open */
	GS_ENDED,		/* channel closed; waiting for its status */
};

struct gsession {
	TAILQ_ENTRY(gsession)	 entry;		/* pool, busy or ended list */
	pid_t			 pid;		/* 0 until Ready (zygote) */
	struct peer		*ctl;		/* NULL once closed */
	enum gs_state		 state;
	int			 ready;		/* said Ready */
	char			 id[24];
	char			 peer[64];
	char			 client[CLIENT_ID_MAX + 1];	/* ?client= */
	int64_t			 started;	/* ms, monotonic */
	int64_t			 busy_since;
	int64_t			 closed_at;	/* GS_ENDED since */
	uint64_t		 msgs_in, msgs_out;
	uint64_t		 errors[ERR_COUNT];	/* Error replies, by code */
	int			 close_code;	/* WebSocket close; 0 unknown */
	int			 signalled;	/* we sent a signal */
	int			 id_ok;		/* id is its first Ready's */
	double			 conn_tokens;	/* ConnectActor bucket */
	int64_t			 conn_ms;	/* ... last filled */
};

TAILQ_HEAD(gs_list, gsession);

static struct {
	struct event_base	*base;
	const struct config	*cfg;
	char			 program[PATH_MAX];
	struct peer_limits	 lim;
	struct gs_list		 pool;
	struct gs_list		 busy;
	struct gs_list		 ended;		/* oldest first */
	size_t			 npool, nbusy;
	struct strmap		*by_pid;
	struct event		*changed_ev;
	struct event		*counters_ev;
	struct event		*refill_ev;
	struct event		*stop_ev;
	int			 dirty;		/* counters moved */
	int			 refill_ms;	/* delay after failures */
	int			 stopping;
	int			 killed;
	void			(*done)(void);
	int			 zfd;		/* to the zygote, or -1 */
	struct event		*zread_ev;	/* its exit reports */
	int			 zforks;	/* it takes requests */
	pid_t			 zpid;
	int			 zrestart;	/* new config: new zygote */
	struct event		*zygote_ev;	/* restart it */
	struct {
		pid_t		 pid;
		int64_t		 at;		/* ms, monotonic */
	}			 reaped[REAPED_RING];	/* before Ready */
	int			 nreaped;
	struct sessions_counters counters;
} S;

static void	refill(void);
static void	gone(struct gsession *, int);
static void	forget(struct gsession *);
static void	exited(pid_t, int);
static void	stopped(void);
static void	sweep_ended(void);

static void
pid_key(pid_t pid, char *buf, size_t size)
{
	snprintf(buf, size, "%ld", (long)pid);
}

/* The set of sessions changed: tell actord soon, once. */
static void
changed(void)
{
	if (!evtimer_pending(S.changed_ev, NULL))
		timer_ms(S.changed_ev, CHANGED_DELAY_MS);
}

/* Send SessionsChanged to system:supervisor. */
static void
report(void)
{
	struct gsession	*gs;
	msgpack_packer	*pk;
	int64_t		 now = mono_ms();
	size_t		 n, max;

	/* Stay well inside one frame: ~100 bytes per session. */
	max = ((size_t)S.cfg->max_frame_bytes - 1024) / 128;
	n = S.nbusy < max ? S.nbusy : max;
	pk = actor_begin(NULL, "system:supervisor", MSG_SESSIONS_CHANGED,
	    NULL);
	msgpack_pack_map(pk, 4);
	mp_pack_str(pk, "sessions");
	msgpack_pack_array(pk, n);
	TAILQ_FOREACH(gs, &S.busy, entry) {
		if (n-- == 0)
			break;
		msgpack_pack_map(pk, 6);
		mp_pack_kv_str(pk, "id", gs->id);
		mp_pack_kv_int(pk, "pid", gs->pid);
		mp_pack_kv_str(pk, "peer", gs->peer);
		mp_pack_kv_int(pk, "ageMs", now - gs->busy_since);
		mp_pack_kv_uint(pk, "msgsIn", gs->msgs_in);
		mp_pack_kv_uint(pk, "msgsOut", gs->msgs_out);
	}
	mp_pack_kv_uint(pk, "count", S.nbusy);
	mp_pack_kv_uint(pk, "idle", S.npool);
	mp_pack_kv_int(pk, "max", S.cfg->max_sessions);
	actor_end();
	S.dirty = 0;
}

static void
changed_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	report();
}

static void
counters_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (S.dirty && !evtimer_pending(S.changed_ev, NULL))
		report();
	sweep_ended();
}

/* Signal a session, if we know its pid; else end its channel. */
static void
gs_kill(struct gsession *gs, int sig)
{
	gs->signalled = 1;
	if (gs->pid > 0)
		kill(gs->pid, sig);
	else if (gs->ctl != NULL) {
		/* Without its channel a session stops of its own accord. */
		peer_close(gs->ctl);
		gs->ctl = NULL;
		gone(gs, 0);
	}
}

/*
 * Find the session by its pid from now on.  A record still holding the
 * pid belongs to a session whose exit status never came and whose pid has
 * been reused: forget it.
 */
static void
map_pid(struct gsession *gs, pid_t pid)
{
	struct gsession	*old;
	char		 key[24];

	pid_key(pid, key, sizeof(key));
	if ((old = strmap_get(S.by_pid, key)) != NULL) {
		log_warnx("session %s (pid %ld): its exit status was not "
		    "reported before the pid was reused", old->id, (long)pid);
		S.counters.unreported++;
		strmap_del(S.by_pid, key);
		old->pid = 0;
		if (old->state == GS_ENDED) {
			TAILQ_REMOVE(&S.ended, old, entry);
			free(old);
		}
	}
	gs->pid = pid;
	strmap_put(S.by_pid, key, gs);
}

/* A session forked by the zygote said its pid; its exit may have come. */
static void
known_pid(struct gsession *gs, pid_t pid)
{
	int64_t		 now = mono_ms();
	int		 i;

	for (i = 0; i < REAPED_RING; i++)
		if (S.reaped[i].pid == pid &&
		    now - S.reaped[i].at < REAPED_KEEP_MS) {
			/* It died before its Ready was read. */
			S.reaped[i].pid = 0;
			gs_kill(gs, SIGKILL);
			return;
		}
	map_pid(gs, pid);
}

/* Take one from the session's ConnectActor bucket; false if empty. */
static bool
connect_rate_ok(struct gsession *gs)
{
	int64_t	 now = mono_ms();

	gs->conn_tokens += (double)(now - gs->conn_ms) * CONNECT_RATE /
	    1000.0;
	gs->conn_ms = now;
	if (gs->conn_tokens > CONNECT_BURST)
		gs->conn_tokens = CONNECT_BURST;
	if (gs->conn_tokens < 1.0)
		return false;
	gs->conn_tokens -= 1.0;
	return true;
}

/* Pack the frame of ActorConnected {kind, ok} to the session into sb. */
static void
pack_connected(msgpack_sbuffer *sb, struct gsession *gs, const char *kind,
    int ok)
{
	struct msg_actor_conn	 m;
	msgpack_packer		 pk;
	char			 id[ID_MAX + 1], to[ADDR_MAX + 1];

	memset(&m, 0, sizeof(m));
	snprintf(m.kind, sizeof(m.kind), "%s", kind);
	m.ok = ok;
	snprintf(to, sizeof(to), "session:%s", gs->id);
	env_new_id(id, sizeof(id));
	msgpack_sbuffer_clear(sb);
	msgpack_sbuffer_write(sb, "\0\0\0\0", FRAME_HDR);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	env_pack_header(&pk, to, "gateway:main", MSG_ACTOR_CONNECTED, id, NULL,
	    env_now_ms());
	msg_encode(&pk, msg_info(MSG_ACTOR_CONNECTED)->shape, &m);
	frame_put_len(sb->data, (uint32_t)(sb->size - FRAME_HDR));
}

/*
 * ActorConnected to the session, with fd (ours to close) unless -1.  The
 * descriptor goes with the frame's first byte, straight on the channel,
 * so only while nothing is queued there (a frame half out would be cut
 * in two); otherwise, or if the socket takes nothing, the answer is "not
 * ok" through the peer, and the session asks again after its backoff.
 */
static void
send_connected(struct gsession *gs, const char *kind, int fd)
{
	msgpack_sbuffer	 sb;
	struct iovec	 iov;
	ssize_t		 n;
	int		 ctlfd;

	msgpack_sbuffer_init(&sb);
	if (fd != -1) {
		pack_connected(&sb, gs, kind, 1);
		iov.iov_base = sb.data;
		iov.iov_len = sb.size;
		if (peer_unsent(gs->ctl) == 0 &&
		    (ctlfd = peer_fd(gs->ctl)) != -1 &&
		    (n = fd_send(ctlfd, &iov, 1, fd)) > 0) {
			/* What the socket did not take follows, first. */
			if ((size_t)n < sb.size)
				peer_write(gs->ctl, sb.data + n,
				    sb.size - (size_t)n);
			close(fd);
			msgpack_sbuffer_destroy(&sb);
			return;
		}
		log_debug("session %s: cannot pass its %s connection now",
		    gs->id, kind);
		close(fd);
	}
	pack_connected(&sb, gs, kind, 0);
	peer_write(gs->ctl, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * ConnectActor {kind}: a session wants a connection to an actor's socket
 * (see the top of this file).  Asked before its Ready, for something that
 * is no actor's socket, or faster than CONNECT_RATE a second after a
 * burst: "not ok", and the session's runtime asks again after its
 * backoff.
 */
static void
connect_actor(struct gsession *gs, const struct envelope *env)
{
	union msg_body	 body;
	enum err_code	 code;
	const char	*kind, *why = NULL;
	char		 path[CONFIG_PATH_MAX + 32], from[ADDR_MAX + 1];
	char		 text[256];
	unsigned	 bit;
	int		 fd = -1;

	if (msg_decode(env->type, env->payload, &body, &code, text,
	    sizeof(text)) == -1) {
		log_warnx("session %s: %s: %s", gs->id, msg_name(env->type),
		    text);
		return;
	}
	kind = body.connect_actor.kind;
	bit = kind_lookup(kind, strlen(kind));
	if (!gs->id_ok)
		why = "it has not said Ready";
	else if (bit == 0 || !(bit & child_socket_kinds()))
		why = "no actor socket of that name";
	else if (!connect_rate_ok(gs))
		why = "asked too often";
	else if (child_socket_path(path, sizeof(path), S.cfg->run_dir,
	    kind) == -1)
		why = "path too long";
	else {
		snprintf(from, sizeof(from), "session:%s", gs->id);
		if ((fd = peer_connect_as(path, from, gs->client)) == -1)
			why = strerror(errno);
	}
	if (why != NULL)
		log_debug("session %s: no connection to %s: %s", gs->id,
		    kind, why);
	send_connected(gs, kind, fd);
}

/*
 * A session's first Ready, said before it had a client: its pid and its
 * id, the identity its actor connections carry.  A later one is ignored:
 * it could come from a client's code.
 */
static void
session_ready(struct gsession *gs, const struct envelope *env)
{
	char		 id[sizeof(gs->id)];
	uint64_t	 v;

	if (gs->ready) {
		log_warnx("session %s (pid %ld): Ready again; ignored",
		    gs->id, (long)gs->pid);
		return;
	}
	gs->ready = 1;
	if (mp_strcpy(mp_get(env->payload, "sessionId"), id,
	    sizeof(id)) == 0 && name_valid(id, strlen(id))) {
		memcpy(gs->id, id, sizeof(id));
		gs->id_ok = 1;
	} else
		log_warnx("session (pid %ld): Ready without a usable "
		    "sessionId", (long)gs->pid);
	if (gs->pid == 0 && mp_uint(mp_get(env->payload, "pid"), &v) == 0 &&
	    v > 1 && v < INT32_MAX)
		known_pid(gs, (pid_t)v);
	/* A session that starts fine earns the pool its pace back. */
	S.refill_ms = 0;
}

/* A SessionStats' Error replies by code and its close code, if sent. */
static void
session_errors(struct gsession *gs, const msgpack_object *payload)
{
	const msgpack_object	*e = mp_get(payload, "errors");
	uint64_t		 v;
	uint32_t		 i;

	if (e != NULL && e->type == MSGPACK_OBJECT_ARRAY)
		for (i = 0; i < e->via.array.size && i < ERR_COUNT; i++)
			if (mp_uint(&e->via.array.ptr[i], &v) == 0)
				gs->errors[i] = v;
	if (mp_uint(mp_get(payload, "closeCode"), &v) == 0 && v >= 1000 &&
	    v <= 4999)
		gs->close_code = (int)v;
}

/* The counter of a close code: 1000-1015 each, 4xxx, other, none (0). */
static int
close_slot(int code)
{
	if (code >= 1000 && code <= 1015)
		return code - 1000;
	if (code >= 4000 && code <= 4999)
		return CLOSE_SLOT_APP;
	return code == 0 ? CLOSE_SLOT_NONE : CLOSE_SLOT_OTHER;
}

/* A frame from a session: Ready, its counters, or ConnectActor. */
static void
ctl_message(struct peer *p, struct envelope *env, void *arg)
{
	struct gsession	*gs = arg;
	uint64_t	 v;

	(void)p;
	switch (env->type) {
	case MSG_READY:
		session_ready(gs, env);
		break;
	case MSG_CONNECT_ACTOR:
		connect_actor(gs, env);
		break;
	case MSG_SESSION_STATS:
		if (mp_uint(mp_get(env->payload, "msgsIn"), &v) == 0)
			gs->msgs_in = v;
		if (mp_uint(mp_get(env->payload, "msgsOut"), &v) == 0)
			gs->msgs_out = v;
		session_errors(gs, env->payload);
		S.dirty = 1;
		break;
	default:
		log_debug("session %ld: unexpected %s", (long)gs->pid,
		    msg_name(env->type));
		break;
	}
}

/*
 * A session leaves the pool or the busy list.  abnormal: a pool session
 * that died before serving anyone slows the refill.
 */
static void
leave(struct gsession *gs, int abnormal)
{
	int	 i;

	switch (gs->state) {
	case GS_IDLE:
		TAILQ_REMOVE(&S.pool, gs, entry);
		S.npool--;
		if (abnormal && !S.stopping) {
			S.refill_ms = S.refill_ms == 0 ? 100 :
			    S.refill_ms * 2 > RESPAWN_MAX_MS ? RESPAWN_MAX_MS :
			    S.refill_ms * 2;
			evtimer_del(S.refill_ev);
			timer_ms(S.refill_ev, S.refill_ms);
		}
		break;
	case GS_BUSY:
		TAILQ_REMOVE(&S.busy, gs, entry);
		S.nbusy--;
		S.counters.closed++;
		S.counters.msgs_in += gs->msgs_in;
		S.counters.msgs_out += gs->msgs_out;
		for (i = 0; i < ERR_COUNT; i++)
			S.counters.errors[i] += gs->errors[i];
		S.counters.close_codes[close_slot(gs->close_code)]++;
		changed();
		break;
	case GS_GONE:
	case GS_ENDED:
		return;
	}
	gs->state = GS_GONE;
}

/*
 * A session is over for its clients: it leaves its list (see leave()).
 * Once its channel is closed too (it exited, or is about to), it waits on
 * the ended list for its exit status, from the zygote or the reaper; with
 * its pid unknown nothing can tell it, so it is freed at once.
 */
static void
gone(struct gsession *gs, int abnormal)
{
	leave(gs, abnormal);
	if (gs->ctl != NULL || gs->state == GS_ENDED)
		return;
	if (gs->pid == 0) {
		free(gs);
		return;
	}
	gs->state = GS_ENDED;
	gs->closed_at = mono_ms();
	TAILQ_INSERT_TAIL(&S.ended, gs, entry);
}

/* Free a session whose exit is known (or will never be). */
static void
forget(struct gsession *gs)
{
	char	 key[24];

	if (gs->state == GS_ENDED)
		TAILQ_REMOVE(&S.ended, gs, entry);
	if (gs->pid > 0) {
		pid_key(gs->pid, key, sizeof(key));
		if (strmap_get(S.by_pid, key) == gs)
			strmap_del(S.by_pid, key);
	}
	free(gs);
}

/* Sessions whose exit status did not come in time: say so, forget them. */
static void
sweep_ended(void)
{
	struct gsession	*gs;
	int64_t		 now = mono_ms();

	while ((gs = TAILQ_FIRST(&S.ended)) != NULL &&
	    now - gs->closed_at >= STATUS_WAIT_MS) {
		log_warnx("session %s (pid %ld) ended; its exit status was "
		    "not reported", gs->id, (long)gs->pid);
		S.counters.unreported++;
		forget(gs);
	}
}

static void
ctl_closed(struct peer *p, void *arg)
{
	struct gsession	*gs = arg;

	(void)p;
	gs->ctl = NULL;
	gone(gs, gs->state == GS_IDLE && !gs->signalled);
	if (S.stopping)
		stopped();
}

static const struct peer_cb ctl_cb = {
	.message = ctl_message,
	.closed = ctl_closed,
};

/* Ask the zygote to fork a session with this control channel. */
static int
zygote_fork(int fd)
{
	if (S.zfd == -1 || !S.zforks)
		return -1;
	if (zygote_send_fork(S.zfd, fd) == -1) {
		/* A full queue is a burst: fork+exec this one. */
		if (errno == EAGAIN)
			log_debug("zygote: busy; fork+exec instead");
		else
			log_warn("zygote: sendmsg");
		return -1;
	}
	return 0;
}

/* Start one session process; it joins the pool. */
static struct gsession *
spawn(void)
{
	struct gsession		*gs;
	struct child_fds	 fds;
	char			*argv[2];
	int			 sv[2];
	pid_t			 pid = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("session: socketpair");
		return NULL;
	}
	if (zygote_fork(sv[1]) == -1) {
		argv[0] = (char *)(uintptr_t)"session";
		argv[1] = NULL;
		fds.fds[0] = sv[1];
		fds.nfds = 1;
		if ((pid = child_spawn(S.program, argv, &fds, NULL)) == -1) {
			log_warn("session: fork");
			close(sv[0]);
			close(sv[1]);
			return NULL;
		}
	}
	close(sv[1]);
	gs = xcalloc(1, sizeof(*gs));
	gs->state = GS_IDLE;
	gs->started = mono_ms();
	gs->conn_tokens = CONNECT_BURST;
	gs->conn_ms = gs->started;
	snprintf(gs->id, sizeof(gs->id), "?");
	gs->ctl = peer_new_fd(sv[0], &S.lim, &ctl_cb, gs);
	peer_set_name(gs->ctl, "session");
	if (pid != 0)
		map_pid(gs, pid);
	TAILQ_INSERT_TAIL(&S.pool, gs, entry);
	S.npool++;
	return gs;
}

/* Close the zygote's channel: it exits when it sees so. */
static void
zygote_close(void)
{
	if (S.zread_ev != NULL)
		event_free(S.zread_ev);
	S.zread_ev = NULL;
	if (S.zfd != -1)
		close(S.zfd);
	S.zfd = -1;
	S.zforks = 0;
}

/*
 * Ask the zygote to exit (new config, shutdown): no more requests, but
 * its reports are read until it closes its end.
 */
static void
zygote_stop(void)
{
	if (S.zfd == -1)
		return;
	S.zforks = 0;
	if (shutdown(S.zfd, SHUT_WR) == -1) {
		log_warn("zygote: shutdown");
		zygote_close();
	}
}

/*
 * Read the zygote's exit reports, at most max.  A garbled one is a bug
 * of the zygote's: drop its channel (it exits; its sessions become our
 * children, and we reap them).  End of file: it exited or is exiting.
 */
static void
zygote_read(int max)
{
	unsigned char	 buf[ZYGOTE_EXIT_LEN + 1];
	ssize_t		 n;
	pid_t		 pid;
	int		 i, status;

	for (i = 0; S.zfd != -1 && i < max; i++) {
		n = recv(S.zfd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			zygote_close();
			return;
		}
		if (zygote_decode_exit(buf, (size_t)n, &pid, &status) == -1) {
			log_warnx("zygote %ld: a garbled exit report (%zd "
			    "bytes); closing its channel", (long)S.zpid, n);
			zygote_close();
			return;
		}
		exited(pid, status);
	}
}

static void
zygote_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	zygote_read(ZYGOTE_READ_BATCH);
	if (S.stopping)
		stopped();
}

/* Start the zygote; sessions are fork+exec'd until it runs. */
static void
zygote_start(void)
{
	struct child_fds	 fds;
	char			*argv[3];
	int			 sv[2];
	pid_t			 pid;

	if (S.stopping)
		return;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("zygote: socketpair");
		timer_ms(S.zygote_ev, ZYGOTE_RETRY_MS);
		return;
	}
	argv[0] = (char *)(uintptr_t)"session";
	argv[1] = (char *)(uintptr_t)"-z";
	argv[2] = NULL;
	fds.fds[0] = sv[1];
	fds.nfds = 1;
	if ((pid = child_spawn(S.program, argv, &fds, NULL)) == -1) {
		log_warn("zygote: fork");
		close(sv[0]);
		close(sv[1]);
		timer_ms(S.zygote_ev, ZYGOTE_RETRY_MS);
		return;
	}
	close(sv[1]);
	S.zfd = sv[0];
	S.zpid = pid;
	S.zforks = 1;
	evutil_make_socket_nonblocking(S.zfd);
	S.zread_ev = event_new(S.base, S.zfd, EV_READ | EV_PERSIST,
	    zygote_read_cb, NULL);
	if (S.zread_ev == NULL || event_add(S.zread_ev, NULL) == -1)
		fatalx("zygote: event_new");
}

static void
zygote_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	zygote_start();
}

/*
 * The zygote exited: take the reports it sent before, say why it ended,
 * and start another in a while.  The sessions it left are our children.
 */
static void
zygote_reaped(int status)
{
	char	 why[64];

	zygote_read(INT_MAX);
	zygote_close();
	S.zpid = 0;
	if (S.stopping)
		return;
	if (S.zrestart) {
		/* It read the old configuration; this one reads the new. */
		S.zrestart = 0;
		zygote_start();
		return;
	}
	log_warnx("session zygote %s; restarting it",
	    child_exit_text(status, why, sizeof(why)));
	timer_ms(S.zygote_ev, ZYGOTE_RETRY_MS);
}

static void
refill_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	refill();
}

/* Keep session_pool sessions waiting, within max_sessions. */
static void
refill(void)
{
	if (S.stopping || evtimer_pending(S.refill_ev, NULL))
		return;
	while (S.npool < (size_t)S.cfg->session_pool &&
	    S.npool + S.nbusy < (size_t)S.cfg->max_sessions +
	    (size_t)S.cfg->session_pool)
		if (spawn() == NULL) {
			timer_ms(S.refill_ev, 1000);
			return;
		}
}

/*
 * Send SessionOpen with the client's descriptor.  The session's channel
 * carries nothing else before this frame and holds nothing unsent, so
 * the frame goes whole, at once, or not at all.
 */
static int
send_open(struct gsession *gs, int fd, const struct handoff *h)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	struct iovec	 iov[2];
	unsigned char	 hdr[FRAME_HDR];
	char		 id[ID_MAX + 1];
	ssize_t		 n;
	int		 ctlfd, r = -1;

	if (gs->ctl == NULL || (ctlfd = peer_fd(gs->ctl)) == -1 ||
	    peer_unsent(gs->ctl) != 0)
		return -1;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	env_new_id(id, sizeof(id));
	env_pack_header(&pk, "session:new", "gateway:main", MSG_SESSION_OPEN,
	    id, NULL, env_now_ms());
	msgpack_pack_map(&pk, 6);
	mp_pack_kv_str(&pk, "accept", h->accept);
	mp_pack_kv_str(&pk, "path", h->path);
	mp_pack_kv_str(&pk, "client", h->client != NULL ? h->client : "");
	mp_pack_kv_str(&pk, "peer", h->peer);
	mp_pack_kv_bool(&pk, "echo", h->echo);
	mp_pack_str(&pk, "early");
	msgpack_pack_bin(&pk, h->earlylen);
	msgpack_pack_bin_body(&pk, h->early, h->earlylen);
	frame_put_len(hdr, (uint32_t)sb.size);

	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = sb.data;
	iov[1].iov_len = sb.size;
	n = fd_send(ctlfd, iov, 2, fd);
	if (n == (ssize_t)(sizeof(hdr) + sb.size))
		r = 0;
	else if (n == -1)
		log_warn("session %ld: sendmsg", (long)gs->pid);
	else
		log_warnx("session %ld: SessionOpen cut short", (long)gs->pid);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

static void
to_busy(struct gsession *gs, const struct handoff *h)
{
	TAILQ_REMOVE(&S.pool, gs, entry);
	S.npool--;
	gs->state = GS_BUSY;
	gs->busy_since = mono_ms();
	snprintf(gs->peer, sizeof(gs->peer), "%s", h->peer);
	/* Its connections made from now on say it in their Hello. */
	snprintf(gs->client, sizeof(gs->client), "%s", h->client != NULL ?
	    h->client : "");
	TAILQ_INSERT_TAIL(&S.busy, gs, entry);
	S.nbusy++;
	S.counters.opened++;
	changed();
}

/* A session that failed us: it goes, and the reaper forgets it. */
static void
discard(struct gsession *gs)
{
	gs->signalled = 1;
	if (gs->pid > 0)
		kill(gs->pid, SIGKILL);
	if (gs->ctl != NULL) {
		peer_close(gs->ctl);
		gs->ctl = NULL;
	}
	gone(gs, 0);
}

/* Hand a connection to an idle session (or a new one); -1 if none took it. */
int
sessions_handoff(int fd, const struct handoff *h)
{
	struct gsession	*gs;
	int		 tries;

	for (tries = 0; tries < 3; tries++) {
		/* A session that said Ready first; else the oldest. */
		TAILQ_FOREACH(gs, &S.pool, entry)
			if (gs->ready && gs->ctl != NULL)
				break;
		if (gs == NULL)
			gs = TAILQ_FIRST(&S.pool);
		if (gs == NULL && (gs = spawn()) == NULL)
			return -1;
		if (send_open(gs, fd, h) == 0) {
			to_busy(gs, h);
			/*
			 * Not now: a fork+exec here competes for the CPU
			 * with the session we just woke, and makes its 101
			 * wait (1.8 ms instead of 0.2 ms, measured).
			 */
			if (!evtimer_pending(S.refill_ev, NULL))
				timer_ms(S.refill_ev, REFILL_DELAY_MS);
			return 0;
		}
		discard(gs);
	}
	return -1;
}

bool
sessions_full(void)
{
	return S.nbusy >= (size_t)S.cfg->max_sessions;
}

size_t
sessions_busy(void)
{
	return S.nbusy;
}

size_t
sessions_idle(void)
{
	return S.npool;
}

/*
 * A session's exit status is known: say why it ended if that is news,
 * count it, and forget it.
 */
static void
reaped(struct gsession *gs, int status)
{
	char	 why[64];
	int	 abnormal;

	child_exit_text(status, why, sizeof(why));
	abnormal = !(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
	    !(gs->signalled && WIFSIGNALED(status));
	if (gs->busy_since == 0 && abnormal)
		log_warnx("idle session %ld %s", (long)gs->pid, why);
	else if (abnormal)
		log_warnx("session %s (pid %ld, %s) %s", gs->id,
		    (long)gs->pid, gs->peer, why);
	else
		log_debug("session %s (pid %ld) %s", gs->id, (long)gs->pid,
		    why);
	S.counters.ended++;
	if (abnormal)
		S.counters.failed++;
	if (gs->ctl != NULL) {
		peer_close(gs->ctl);
		gs->ctl = NULL;
	}
	leave(gs, abnormal);
	forget(gs);
}

/*
 * A child's exit: from waitpid(2) (the sessions we fork+exec, and those
 * of a zygote that died), or from the zygote's report.
 */
static void
exited(pid_t pid, int status)
{
	struct gsession	*gs;
	char		 key[24];

	pid_key(pid, key, sizeof(key));
	if ((gs = strmap_get(S.by_pid, key)) != NULL) {
		reaped(gs, status);
		return;
	}
	/* A zygote's session whose Ready we have not read. */
	S.reaped[S.nreaped % REAPED_RING].pid = pid;
	S.reaped[S.nreaped % REAPED_RING].at = mono_ms();
	S.nreaped++;
	log_debug("session %ld ended before its Ready", (long)pid);
}

/* While stopping: call done once every session and the zygote are gone. */
static void
stopped(void)
{
	if (S.npool == 0 && S.nbusy == 0 && strmap_count(S.by_pid) == 0 &&
	    S.zpid == 0 && S.done != NULL) {
		evtimer_del(S.stop_ev);
		S.done();
		S.done = NULL;
	}
}

/* Reap every child that has exited (from the SIGCHLD event). */
void
sessions_reap(void)
{
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == S.zpid)
			zygote_reaped(status);
		else
			exited(pid, status);
	}
	if (S.stopping) {
		stopped();
		return;
	}
	refill();
}

const struct sessions_counters *
sessions_counters(void)
{
	return &S.counters;
}

/* Sessions that did not close in time get SIGKILL, then we give up. */
static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gsession	*gs;

	(void)fd;
	(void)what;
	(void)arg;
	if (!S.killed) {
		S.killed = 1;
		TAILQ_FOREACH(gs, &S.busy, entry) {
			log_warnx("session %s (pid %ld) did not close in "
			    "time; killing it", gs->id, (long)gs->pid);
			if (gs->pid > 0)
				kill(gs->pid, SIGKILL);
			gs->signalled = 1;
		}
		TAILQ_FOREACH(gs, &S.pool, entry) {
			if (gs->pid > 0)
				kill(gs->pid, SIGKILL);
			gs->signalled = 1;
		}
		if (S.zpid > 0)
			kill(S.zpid, SIGKILL);
		timer_ms(S.stop_ev, KILL_WAIT_MS);
		return;
	}
	if (S.done != NULL) {
		S.done();
		S.done = NULL;
	}
}

/* Ask a serving session to close its WebSocket with 1001. */
static void
ask_close(struct gsession *gs)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	char		 id[ID_MAX + 1], to[ADDR_MAX + 1];
	unsigned char	 hdr[FRAME_HDR];

	if (gs->ctl == NULL) {
		gs_kill(gs, SIGTERM);
		return;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_write(&sb, "\0\0\0\0", FRAME_HDR);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	env_new_id(id, sizeof(id));
	snprintf(to, sizeof(to), "session:%s", gs->id);
	env_pack_header(&pk, to, "gateway:main", MSG_SESSION_CLOSE, id, NULL,
	    env_now_ms());
	msgpack_pack_map(&pk, 2);
	mp_pack_kv_int(&pk, "code", 1001);
	mp_pack_kv_str(&pk, "reason", "server going away");
	frame_put_len(hdr, (uint32_t)(sb.size - FRAME_HDR));
	memcpy(sb.data, hdr, FRAME_HDR);
	if (peer_write(gs->ctl, sb.data, sb.size) == -1)
		gs_kill(gs, SIGTERM);
	msgpack_sbuffer_destroy(&sb);
}

/* Stop: close every session with 1001 and call done once all are gone. */
void
sessions_shutdown(void (*done)(void))
{
	struct gsession	*gs, *next;

	S.stopping = 1;
	S.done = done;
	evtimer_del(S.refill_ev);
	evtimer_del(S.zygote_ev);
	zygote_stop();
	for (gs = TAILQ_FIRST(&S.pool); gs != NULL; gs = next) {
		next = TAILQ_NEXT(gs, entry);
		gs_kill(gs, SIGTERM);
	}
	for (gs = TAILQ_FIRST(&S.busy); gs != NULL; gs = next) {
		next = TAILQ_NEXT(gs, entry);
		ask_close(gs);
	}
	timer_ms(S.stop_ev, STOP_WAIT_MS);
	sessions_reap();
}

/* The session program: program_dir, or next to the running gateway. */
static int
find_program(const struct config *cfg)
{
	char	 exe[PATH_MAX];
	ssize_t	 n;

	if (cfg->program_dir[0] != '\0') {
		snprintf(S.program, sizeof(S.program), "%s/session",
		    cfg->program_dir);
		return 0;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1) {
		log_warn("readlink /proc/self/exe");
		return -1;
	}
	exe[n] = '\0';
	snprintf(S.program, sizeof(S.program), "%s/session", dirname(exe));
	return 0;
}

/*
 * Find the session program, become a subreaper, start the zygote and the
 * pool.
 */
int
sessions_init(struct event_base *base, const struct config *cfg)
{
	S.base = base;
	S.cfg = cfg;
	TAILQ_INIT(&S.pool);
	TAILQ_INIT(&S.busy);
	TAILQ_INIT(&S.ended);
	S.by_pid = strmap_new();
	peer_default_limits(&S.lim);
	S.lim.max_frame = 64 * 1024;
	S.lim.high_water = 256 * 1024;
	S.lim.max_queue = 1024 * 1024;
	if (find_program(cfg) == -1)
		return -1;
	if (access(S.program, X_OK) == -1) {
		log_warn("%s", S.program);
		return -1;
	}
	/* The sessions of a zygote that dies become our children. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("PR_SET_CHILD_SUBREAPER");
	S.zfd = -1;
	S.zygote_ev = evtimer_new(base, zygote_cb, NULL);
	S.changed_ev = evtimer_new(base, changed_cb, NULL);
	S.counters_ev = event_new(base, -1, EV_PERSIST, counters_cb, NULL);
	S.refill_ev = evtimer_new(base, refill_cb, NULL);
	S.stop_ev = evtimer_new(base, stop_cb, NULL);
	if (S.changed_ev == NULL || S.counters_ev == NULL ||
	    S.refill_ev == NULL || S.stop_ev == NULL || S.zygote_ev == NULL)
		return -1;
	timer_ms(S.counters_ev, COUNTERS_MS);
	zygote_start();
	refill();
	changed();
	return 0;
}

/* A new config: the pool grows or shrinks to the new size. */
void
sessions_reload(const struct config *cfg)
{
	struct gsession	*gs;

	S.cfg = cfg;
	if (S.zfd != -1 && S.zforks) {
		/* The zygote exits; then a new one reads the new config. */
		zygote_stop();
		S.zrestart = 1;
	}
	while (S.npool > (size_t)cfg->session_pool &&
	    (gs = TAILQ_LAST(&S.pool, gs_list)) != NULL) {
		if (gs->pid > 0) {
			gs->signalled = 1;
			kill(gs->pid, SIGTERM);
			gone(gs, 0);
		} else
			gs_kill(gs, SIGTERM);	/* frees it */
	}
	refill();
	changed();
}

/* The sessions' families: open, opened and closed, their messages. */
void
sessions_metrics(struct metrics *m)
{
	struct gsession	*gs;
	uint64_t	 in = S.counters.msgs_in, out = S.counters.msgs_out, err;
	char		 l[METRICS_LABELS_MAX], code[8];
	int		 i;

	TAILQ_FOREACH(gs, &S.busy, entry) {
		in += gs->msgs_in;
		out += gs->msgs_out;
	}
	metrics_gauge(m, "actord_sessions_open", "WebSocket sessions "
	    "serving a connection.", "", (double)S.nbusy);
	metrics_gauge(m, "actord_sessions_idle", "Session processes started "
	    "and waiting in the pool.", "", (double)S.npool);
	metrics_gauge(m, "actord_sessions_max", "The max_sessions limit.",
	    "", S.cfg->max_sessions);
	metrics_counter(m, "actord_sessions_opened_total", "WebSocket "
	    "connections handed to a session since the gateway started.", "",
	    (double)S.counters.opened);
	metrics_counter(m, "actord_sessions_closed_total", "Sessions that "
	    "served a connection and ended.", "", (double)S.counters.closed);
	metrics_counter(m, "actord_session_exits_failed_total", "Session "
	    "processes that exited non-zero or by a signal not sent to them.",
	    "", (double)S.counters.failed);
	for (i = 0; i < CLOSE_SLOTS; i++) {
		if (S.counters.close_codes[i] == 0)
			continue;
		if (i < 16)
			snprintf(code, sizeof(code), "%d", 1000 + i);
		metrics_labels(l, sizeof(l), "code", i < 16 ? code :
		    i == CLOSE_SLOT_APP ? "4xxx" : i == CLOSE_SLOT_NONE ?
		    "none" : "other", NULL);
		metrics_counter(m, "actord_sessions_closed_by_code_total",
		    "Sessions ended, by the WebSocket close code (none: the "
		    "session ended without reporting one).", l,
		    (double)S.counters.close_codes[i]);
	}
	for (i = 0; i < ERR_COUNT; i++) {
		err = S.counters.errors[i];
		TAILQ_FOREACH(gs, &S.busy, entry)
			err += gs->errors[i];
		metrics_labels(l, sizeof(l), "code", err_code_name(i), NULL);
		metrics_counter(m, "actord_websocket_errors_total", "Error "
		    "messages the sessions sent their clients, by code.", l,
		    (double)err);
	}
	metrics_counter(m, "actord_websocket_messages_received_total",
	    "WebSocket messages received from clients (as the sessions last "
	    "reported).", "", (double)in);
	metrics_counter(m, "actord_websocket_messages_sent_total",
	    "WebSocket messages sent to clients (as the sessions last "
	    "reported).", "", (double)out);
}
