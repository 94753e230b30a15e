/*
 * session: one process per WebSocket connection.
 *
 * A session starts with a control channel to the gateway on fd 3 (a
 * socketpair).  It gets ready first (event loop, runtime, its random
 * session id), says Ready, and waits, blocked in recvmsg(2), for the one
 * SessionOpen frame that carries the client's socket (SCM_RIGHTS) with
 * what the gateway learnt from the request head: the Sec-WebSocket-Accept
 * value, the path, the peer address, and any bytes read past the head.  A
 * pre-started session thus costs a connection one sendmsg and one
 * recvmsg; a session started for a connection gets the same frame, which
 * waits in the socketpair while it starts.
 *
 * Then fd 3 becomes the runtime's channel to its parent (SessionClose,
 * Inspect, ActorConnected; SessionStats, ConnectActor go the other way),
 * the session writes the 101 response, and serves the connection until it
 * closes, when the process exits.  SIGTERM or the gateway going away
 * closes the WebSocket with 1001 first.
 *
 * A session never connects to anything: its sandbox refuses socket(2) and
 * connect(2), and the gateway makes each of its connections to an actor,
 * on request (rt_use_broker(); see docs/security.md).
 *
 * With -z the program is instead the zygote that forks the sessions and
 * reaps them (see zygote() and gateway_sessions.c); when the zygote is
 * down, the gateway fork+execs sessions itself.
 */
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "actor.h"
#include "child.h"
#include "config.h"
#include "frame.h"
#include "log.h"
#include "peer.h"
#include "sandbox.h"
#include "session.h"
#include "version.h"
#include "zygote.h"

#define OPEN_MAX_BYTES	(128 * 1024)	/* a SessionOpen frame */
#define REPORT_BATCH	64		/* exits reported per zygote turn */

static struct config	 cfg;
static char		 self_id[SESSION_ID_LEN + 1];
static char		 self_addr[ADDR_MAX + 1];
static int		 echo;

static void
usage(void)
{
	fprintf(stderr, "usage: session [-hVz]\n"
	    "One WebSocket connection of actord.  The gateway starts it with\n"
	    "its control channel on fd %d; it is not meant to be run by "
	    "hand.\n"
	    "  -z  be the zygote that forks the sessions\n", CHILD_FD_CTL);
}

/* A random id: 16 hex digits from getrandom(2). */
static void
make_id(char *buf)
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 r[SESSION_ID_LEN / 2];
	size_t			 i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		fatal("getrandom");
	for (i = 0; i < sizeof(r); i++) {
		buf[2 * i] = hex[r[i] >> 4];
		buf[2 * i + 1] = hex[r[i] & 0xf];
	}
	buf[SESSION_ID_LEN] = '\0';
}

/* Say Ready on the control channel before the runtime owns it. */
static int
say_ready(void)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	char		 id[ID_MAX + 1];
	int		 r;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	env_new_id(id, sizeof(id));
	env_pack_header(&pk, "gateway:main", self_addr, MSG_READY, id, NULL,
	    env_now_ms());
	msgpack_pack_map(&pk, 2);
	mp_pack_kv_int(&pk, "pid", getpid());
	mp_pack_kv_str(&pk, "sessionId", self_id);
	r = frame_write_fd(CHILD_FD_CTL, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

/* Read exactly len bytes, blocking. */
static int
read_full(int fd, void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Wait for SessionOpen: its 4-byte header comes with the client's
 * descriptor.  Returns the descriptor and the frame body in *body, or -1
 * (the gateway went away: nothing to do but exit).
 */
static int
wait_open(char **body, size_t *len)
{
	unsigned char	 hdr[FRAME_HDR];
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd = -1, one;

	while (got < FRAME_HDR) {
		n = fd_recv(CHILD_FD_CTL, hdr + got, FRAME_HDR - got, &one);
		if (one != -1) {
			if (fd != -1)
				close(fd);
			fd = one;
		}
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	*len = frame_get_len(hdr);
	if (*len == 0 || *len > OPEN_MAX_BYTES) {
		log_warnx("SessionOpen of %zu bytes; giving up", *len);
		goto fail;
	}
	*body = malloc(*len);
	if (*body == NULL || read_full(CHILD_FD_CTL, *body, *len) == -1) {
		free(*body);
		goto fail;
	}
	if (fd == -1) {
		log_warnx("SessionOpen without a descriptor");
		free(*body);
		goto fail;
	}
	return fd;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

/* Everything the gateway tells us about the connection. */
struct open_info {
	char		 accept[64];
	char		 path[16];
	char		 client[CLIENT_ID_MAX + 1];	/* ?client=, or "" */
	char		 peer[64];
	const char	*early;
	size_t		 earlylen;
	int		 echo;
};

/* Decode SessionOpen into oi (pointing into body); -1 if it is not one. */
static int
decode_open(const char *body, size_t len, msgpack_zone *zone,
    struct open_info *oi)
{
	msgpack_object		 obj;
	const msgpack_object	*v;
	struct envelope		 env;
	enum err_code		 code;
	char			 why[256];
	size_t			 off = 0;

	memset(oi, 0, sizeof(*oi));
	if (msgpack_unpack(body, len, &off, zone, &obj) !=
	    MSGPACK_UNPACK_SUCCESS || off != len ||
	    env_decode(&obj, &env, &code, why, sizeof(why)) == -1 ||
	    env.type != MSG_SESSION_OPEN) {
		log_warnx("the gateway's first frame is not SessionOpen");
		return -1;
	}
	if (mp_strcpy(mp_get(env.payload, "accept"), oi->accept,
	    sizeof(oi->accept)) == -1) {
		log_warnx("SessionOpen without 'accept'");
		return -1;
	}
	mp_strcpy(mp_get(env.payload, "path"), oi->path, sizeof(oi->path));
	mp_strcpy(mp_get(env.payload, "client"), oi->client,
	    sizeof(oi->client));
	mp_strcpy(mp_get(env.payload, "peer"), oi->peer, sizeof(oi->peer));
	v = mp_get(env.payload, "echo");
	oi->echo = v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN &&
	    v->via.boolean;
	v = mp_get(env.payload, "early");
	if (v != NULL && v->type == MSGPACK_OBJECT_BIN) {
		oi->early = v->via.bin.ptr;
		oi->earlylen = v->via.bin.size;
	}
	return 0;
}

/* An echo session sends every message back as it came. */
static void
echo_message(int opcode, const uint8_t *data, size_t len)
{
	ws_send(opcode, data, len, NULL);
}

static void
closed(uint16_t code)
{
	log_debug("connection closed (%u)", code);
	if (!echo)
		route_stop();
	rt_stop();
}

static const struct ws_cb echo_cb = {
	.message = echo_message,
	.closed = closed,
};

static const struct ws_cb route_cb = {
	.message = route_client_message,
	.closed = closed,
};

static void
parent_gone(void)
{
	log_info("the gateway went away; closing");
	ws_close(1001, "server going away");
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	if (sig == SIGTERM || sig == SIGINT)
		ws_close(1001, "server going away");
}

/*
 * Serve one connection: everything after the configuration, in a process
 * of its own (exec'd by the gateway, or forked by the zygote).
 */
static int
session_run(void)
{
	struct event_base	*base;
	struct event		*sigterm, *sigint;
	struct ws_limits	 lim;
	struct open_info	 oi;
	msgpack_zone		 zone;
	char			*body = NULL, head[256];
	size_t			 len;
	int			 fd;

	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	make_id(self_id);
	snprintf(self_addr, sizeof(self_addr), "session:%s", self_id);
	rt_init(base, &cfg, self_addr);
	rt_register(&session_kind);
	actor_spawn(&session_kind, self_id, NULL);
	/* Give up what serving a stranger does not need (sandbox.c). */
	if (cfg.sandbox && sandbox_apply() == -1)
		return EXIT_SYSTEM;
	if (!msgpack_zone_init(&zone, 1024))
		fatalx("msgpack_zone_init");

	/* Idle until the gateway hands us a connection. */
	if (say_ready() == -1 || (fd = wait_open(&body, &len)) == -1) {
		msgpack_zone_destroy(&zone);
		return 0;
	}
	if (decode_open(body, len, &zone, &oi) == -1) {
		close(fd);
		return EXIT_FAILURE_RT;
	}
	echo = oi.echo;
	log_debug("%s from %s on %s (%zu early bytes)", self_id, oi.peer,
	    oi.path, oi.earlylen);

	if ((sigterm = evsignal_new(base, SIGTERM, signal_cb, NULL)) == NULL ||
	    (sigint = evsignal_new(base, SIGINT, signal_cb, NULL)) == NULL ||
	    evsignal_add(sigterm, NULL) == -1 ||
	    evsignal_add(sigint, NULL) == -1)
		fatalx("evsignal_new");
	signal(SIGHUP, SIG_IGN);
	rt_adopt_parent(CHILD_FD_CTL, "gateway:main", parent_gone);
	/* Our connections to the actors are the gateway's to make. */
	rt_use_broker();

	snprintf(head, sizeof(head), "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", oi.accept);
	memset(&lim, 0, sizeof(lim));
	lim.max_message = (uint64_t)(echo ? cfg.echo_max_message_bytes :
	    cfg.max_message_bytes);
	/* Echo replies are bounded by not reading: room for one message. */
	lim.send_queue = echo ? (size_t)cfg.echo_max_message_bytes * 2 +
	    (size_t)cfg.send_queue_bytes : (size_t)cfg.send_queue_bytes;
	lim.ping_interval_ms = cfg.ping_interval_ms;
	lim.pong_timeout_ms = cfg.pong_timeout_ms;
	if (!echo) {
		route_init(&cfg, self_id);
		route_set_client(oi.client);
		/*
		 * Most clients' first message is for the coordinator: the
		 * gateway makes that connection while the 101 travels.
		 */
		rt_prepare(COORDINATOR_ADDRESS);
	}
	if (ws_start(base, fd, head, oi.early, oi.earlylen, &lim,
	    echo ? &echo_cb : &route_cb) == -1) {
		log_warnx("cannot set up the connection");
		return EXIT_SYSTEM;
	}
	free(body);
	msgpack_zone_destroy(&zone);
	if (!echo)
		route_established();
	event_base_dispatch(base);
	peer_flush();
	return 0;
}

/* Read the configuration and set the log level from it. */
static int
load_config(void)
{
	int	 i;

	if (config_load_env(&cfg) == -1) {
		config_print_errors(&cfg, stderr);
		return -1;
	}
	i = child_lookup("gateway");
	log_setlevel(cfg.child[i].log_level[0] ?
	    log_level_parse(cfg.child[i].log_level) : cfg.log_level);
	return 0;
}

/*
 * In the zygote's child: become a session.  Its parent stays the zygote,
 * so no parent-death signal: the zygote's death must not end a connection
 * (the session then becomes the gateway's child, a subreaper's).  The
 * gateway's death ends it all the same: its control channel, which only
 * the gateway holds, reaches end of file (see parent_gone()).
 */
static int
zygote_child(int ctl, const sigset_t *mask, char *flag)
{
	struct sigaction	 sa;

	/* `ps` shows "session", not the zygote's "session -z". */
	memset(flag, 0, strlen(flag));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	/* fd 3 is the zygote's channel until the session's own replaces it. */
	if (dup2(ctl, CHILD_FD_CTL) == -1)
		_exit(EXIT_SYSTEM);
	close(ctl);
	prctl(PR_SET_NAME, "session");
	/*
	 * The zygote's configuration is ours: reading it again would copy
	 * its pages into every session.  The gateway starts a new zygote
	 * when the configuration is reloaded.
	 */
	log_init("session", log_getlevel());
	return session_run();
}

/* The wait(2) status of an exit that waitid(2) described. */
static int
wait_status(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return W_EXITCODE(si->si_status & 0xff, 0);
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | WCOREFLAG;
	default:
		return si->si_status & 0x7f;
	}
}

/*
 * Tell the gateway how our children ended, at most REPORT_BATCH of them.
 * A child is reaped only once its report is sent: while the channel is
 * full it stays a zombie, so the zygote queues nothing, and if it is
 * killed in between the gateway (our subreaper) reaps the child itself.
 * Returns 1 if more may be waiting; *full says the channel was full.
 */
static int
report_exits(int *full)
{
	siginfo_t	 si;
	int		 i;

	*full = 0;
	for (i = 0; i < REPORT_BATCH; i++) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1) {
			if (errno == EINTR)
				continue;
			return 0;		/* ECHILD: none */
		}
		if (si.si_pid == 0)
			return 0;		/* none has exited */
		if (zygote_send_exit(CHILD_FD_CTL, si.si_pid,
		    wait_status(&si)) == -1) {
			if (errno == EAGAIN || errno == ENOBUFS) {
				*full = 1;
				return 0;
			}
			exit(0);		/* the gateway went away */
		}
		while (waitpid(si.si_pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	return 1;
}

/* SIGCHLD only interrupts the zygote's ppoll(2); the loop reaps. */
static void
sigchld_wake(int sig)
{
	(void)sig;
}

/*
 * The zygote: a session process that serves no connection but forks the
 * sessions.  A fork of this small, already linked and configured process
 * costs a tenth of a fork+exec and shares every page of the libraries
 * with its siblings.  The gateway sends one request per session with the
 * session's end of its control socketpair (common/zygote.h); we fork once
 * and stay the session's parent: we reap it and report its exit status
 * to the gateway.  SIGCHLD is blocked except inside ppoll(2), so that it
 * can only wake the loop.  Fork requests come first: a connection may be
 * waiting for one; exit reports only feed the gateway's logs and
 * counters.  Returns in the session; exits otherwise.
 */
static int
zygote(char *flag)
{
	struct sigaction	 sa;
	struct pollfd		 pfd;
	const struct timespec	 now = { 0, 0 };
	sigset_t		 chld, old, inpoll;
	pid_t			 pid;
	int			 fd, r, more = 0, full = 0;

	prctl(PR_SET_NAME, "session-zygote");
	/* One seccomp program for every session, in pages they share. */
	if (cfg.sandbox && sandbox_prepare() == -1)
		exit(EXIT_SYSTEM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigchld_wake;
	sa.sa_flags = SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	inpoll = old;
	sigdelset(&inpoll, SIGCHLD);
	for (;;) {
		pfd.fd = CHILD_FD_CTL;
		pfd.events = POLLIN | (full ? POLLOUT : 0);
		pfd.revents = 0;
		r = ppoll(&pfd, 1, more && !full ? &now : NULL, &inpoll);
		if (r == -1 && errno != EINTR)
			fatal("zygote: ppoll");
		if (r > 0 && (pfd.revents & POLLIN)) {
			if ((r = zygote_recv_fork(CHILD_FD_CTL, &fd)) == 0)
				exit(0);	/* the gateway went away */
			if (r == -1 && errno == EBADMSG)
				log_warnx("zygote: a request that is not one");
			else if (r == -1 && errno != EINTR && errno != EAGAIN)
				fatal("zygote: recvmsg");
			else if (r == 1) {
				if ((pid = fork()) == 0)
					return zygote_child(fd, &old, flag);
				if (pid == -1)
					log_warn("zygote: fork");
				close(fd);
			}
		} else if (r > 0 && (pfd.revents & (POLLHUP | POLLERR)))
			exit(0);
		more = report_exits(&full);
	}
}

/* A session, or with -z the zygote that forks them. */
int
main(int argc, char *argv[])
{
	int	 ch, zflag = 0;

	while ((ch = getopt(argc, argv, "hVz")) != -1) {
		switch (ch) {
		case 'V':
			printf("session (actord) %s\n", ACTORD_VERSION);
			return 0;
		case 'h':
			usage();
			return 0;
		case 'z':
			zflag = 1;
			break;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	log_init("session", LOG_INFO);
	if (fcntl(CHILD_FD_CTL, F_GETFD) == -1) {
		usage();
		return EXIT_USAGE;
	}
	if (load_config() == -1)
		return EXIT_USAGE;
	if (zflag) {
		signal(SIGPIPE, SIG_IGN);
		return zygote(argv[optind - 1]);
	}
	return session_run();
}
