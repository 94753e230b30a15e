/*
 * gateway: the HTTP and WebSocket front door of actord.
 *
 * actord starts it with its control channel on fd 3 (framed msgpack, the
 * runtime's parent channel: Ready, Inspect, SessionsChanged) and the
 * listening TCP socket on fd 4, already bound.  It serves files and
 * /healthz itself, and gives every WebSocket connection to a session
 * process of its own (gateway_sessions.c).
 *
 * SIGTERM (or actord going away): stop accepting, have every session
 * close its WebSocket with 1001, wait for them (bounded), exit 0.
 * SIGHUP: read the config again; the new limits apply to new requests,
 * and new sessions read it themselves.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "actor.h"
#include "child.h"
#include "config.h"
#include "gateway.h"
#include "log.h"
#include "peer.h"
#include "version.h"

static struct config		 configs[2];	/* current and the next */
static struct config		*cfg = &configs[0];
static struct event_base	*base;
static struct evconnlistener	*listener;
static int			 stopping;

static void
usage(void)
{
	fprintf(stderr, "usage: gateway [-hV]\n"
	    "The HTTP and WebSocket front door of actord.  actord starts it\n"
	    "with its control channel on fd %d and the listening socket on\n"
	    "fd %d; it is not meant to be run by hand.\n", CHILD_FD_CTL,
	    CHILD_FD_LISTEN);
}

/* "host:port" of a peer, for logs and the session list. */
static void
peer_name_of(const struct sockaddr *sa, char *buf, size_t size)
{
	char	 host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(s4->sin_port));
	} else
		snprintf(buf, size, "?");
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	char	 peer[64];

	(void)l;
	(void)salen;
	(void)arg;
	peer_name_of(sa, peer, sizeof(peer));
	conn_accept(fd, peer);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	/* EMFILE and friends: say so and keep listening. */
	log_warn("accept");
}

static void
all_closed(void)
{
	log_debug("every session is gone; exiting");
	rt_stop();
}

/* Stop: no new connections, sessions close with 1001, then exit. */
static void
gateway_stop(void)
{
	if (stopping)
		return;
	stopping = 1;
	log_debug("stopping: closing every session with 1001");
	if (listener != NULL)
		evconnlistener_disable(listener);
	conn_shutdown();
	sessions_shutdown(all_closed);
}

static void
parent_gone(void)
{
	log_info("actord went away; stopping");
	gateway_stop();
}

/* Read the configuration again (SIGHUP); keep the old one on errors. */
static void
reload(void)
{
	struct config	*next = cfg == &configs[0] ? &configs[1] : &configs[0];

	if (config_load_env(next) == -1) {
		log_warnx("reload: the config has errors; keeping the old one");
		return;
	}
	log_setlevel(config_log_level(next, "gateway"));
	/*
	 * The runtime, the connections and the sessions keep pointers to
	 * the config: the new values are copied into the one they hold.
	 */
	*cfg = *next;
	sessions_reload(cfg);
	scrape_reload(cfg);
	log_info("configuration reloaded");
}

/* Signals arrive here from the loop: stop, reload, reap. */
static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		gateway_stop();
		break;
	case SIGHUP:
		reload();
		break;
	case SIGCHLD:
		sessions_reap();
		break;
	}
}

/* One descriptor per session, plus the HTTP connections: ask for all. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE");
	}
}

/* Set up from the inherited descriptors, then serve until stopped. */
int
main(int argc, char *argv[])
{
	const int	 signos[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	struct event	*sigs[4];
	size_t		 i;
	int		 ch;

	while ((ch = getopt(argc, argv, "hV")) != -1) {
		switch (ch) {
		case 'V':
			printf("gateway (actord) %s\n", ACTORD_VERSION);
			return 0;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	log_init("gateway", LOG_INFO);
	if (fcntl(CHILD_FD_CTL, F_GETFD) == -1 ||
	    fcntl(CHILD_FD_LISTEN, F_GETFD) == -1) {
		log_warnx("no control channel on fd %d or socket on fd %d: "
		    "the gateway is started by actord", CHILD_FD_CTL,
		    CHILD_FD_LISTEN);
		return EXIT_USAGE;
	}
	if (config_load_env(cfg) == -1) {
		config_print_errors(cfg, stderr);
		return EXIT_USAGE;
	}
	log_setlevel(config_log_level(cfg, "gateway"));
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	/* Our sessions must not inherit the listening socket. */
	evutil_make_socket_closeonexec(CHILD_FD_LISTEN);
	evutil_make_socket_nonblocking(CHILD_FD_LISTEN);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	rt_init(base, cfg, "gateway:main");
	rt_register(&gateway_kind);
	actor_spawn(&gateway_kind, "main", NULL);
	for (i = 0; i < sizeof(signos) / sizeof(signos[0]); i++) {
		sigs[i] = evsignal_new(base, signos[i], signal_cb, NULL);
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) == -1)
			fatalx("evsignal_new");
	}
	rt_adopt_parent(CHILD_FD_CTL, SUPERVISOR_ADDRESS, parent_gone);
	conn_init(base, cfg);
	scrape_init(base, cfg);
	if (sessions_init(base, cfg) == -1) {
		log_warnx("cannot start sessions; exiting");
		return EXIT_SYSTEM;
	}
	/* Backlog 0: keep the listen(2) backlog actord chose. */
	listener = evconnlistener_new(base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_EXEC, 0, CHILD_FD_LISTEN);
	if (listener == NULL)
		fatal("listen on fd %d", CHILD_FD_LISTEN);
	evconnlistener_set_error_cb(listener, accept_error_cb);
	rt_ready();
	/* The tree's state for /healthz, pushed on every change. */
	actor_send("gateway:main", SUPERVISOR_ADDRESS, MSG_SUBSCRIBE);
	log_debug("ready");
	event_base_dispatch(base);
	peer_flush();
	log_debug("stopped");
	return 0;
}
