/*
 * actord: the supervisor.  Reads the config, creates the run and state
 * directories and every listening socket, then forks one process per actor
 * kind and the gateway, restarts them by their specs, and answers actorctl
 * on $RUN/actord.sock.  Runs in the foreground: systemd's main PID.
 *
 * This file is the top of the supervisor's layers (supervisor.h): it
 * wires the parts together, and its channel table says which part takes
 * what a child sends on its channel.
 */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "actor.h"
#include "child.h"
#include "clock.h"
#include "log.h"
#include "sdnotify.h"
#include "supervisor.h"
#include "supervisor_proc.h"
#include "version.h"

/*
 * What a child may send actord on its channel, and which part takes it;
 * the tree decodes each payload once through its shape first.  Replies
 * to what the control socket sent down a channel (Inspect, a message
 * injected by actorctl send) go back to it, whatever their type.
 */
static const struct chan_handler chan_handlers[] = {
	{ MSG_GET_METRICS,	system_metrics },
	{ MSG_HOST_STATE,	system_host_state },
	{ MSG_READY,		tree_ready },
	{ MSG_SESSIONS_CHANGED,	system_sessions_changed },
	{ MSG_SUBSCRIBE,	system_child_subscribe },
	{ MSG_UNSUBSCRIBE,	system_child_subscribe },
	{ MSG_INSPECTED,	control_inspected },
	{ MSG_UNKNOWN,		control_reply },
};

static struct sup	 the_sup;
struct sup		*sup = &the_sup;
static struct event	*watchdog_ev;

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: actord [-dhnpV] [-c file]\n"
"Run the actord supervisor tree in the foreground.\n"
"\n"
"  -c file  read this configuration (default: built-in, state under ./var)\n"
"  -d       log debug messages\n"
"  -n       check the configuration and exit\n"
"  -p       print the effective configuration and exit\n"
"  -V       print the version and exit\n"
"  -h       this help\n"
"\n"
"Exit codes: 0 stopped cleanly, 1 runtime failure (e.g. restart intensity\n"
"exceeded, another actord running), 100 usage or configuration error,\n"
"111 system failure (sockets, directories).\n");
}

/* mkdir -p with mode for the last component. */
static int
mkdir_p(const char *path, mode_t mode)
{
	char	 buf[CONFIG_PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* Take $RUN/actord.pid with an exclusive lock: one actord per run dir. */
static int
take_lock(void)
{
	char	 path[CONFIG_PATH_MAX + 16], other[32] = "?";
	ssize_t	 n;
	int	 fd;

	snprintf(path, sizeof(path), "%s/actord.pid", sup->cfg.run_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if ((n = read(fd, other, sizeof(other) - 1)) > 0) {
			other[n] = '\0';
			other[strcspn(other, "\n")] = '\0';
		}
		log_warnx("another actord (pid %s) is running with run_dir "
		    "%s; not starting", other, sup->cfg.run_dir);
		close(fd);
		return -2;
	}
	if (ftruncate(fd, 0) == 0)
		dprintf(fd, "%ld\n", (long)getpid());
	sup->lock_fd = fd;
	return 0;
}

/*
 * A listening Unix socket at path with mode, replacing a stale one.  It is
 * bound and listening under a temporary name first and then renamed into
 * place, so that whoever sees the path can connect: a client started
 * right after actord (a test, a unit's ExecStartPost) never meets a
 * socket that exists but refuses connections.
 */
static int
unix_listen(const char *path, int mode)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	char			 tmp[sizeof(sun.sun_path)];
	const char		*slash;
	mode_t			 old;
	int			 fd, r;

	if (lstat(path, &sb) == 0 && !S_ISSOCK(sb.st_mode)) {
		log_warnx("%s exists and is not a socket", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* In the same directory, no longer than any socket's name. */
	slash = strrchr(path, '/');
	if (strlen(path) >= sizeof(tmp) || (size_t)snprintf(tmp, sizeof(tmp),
	    "%.*s/.new.sock", slash == NULL ? 1 : (int)(slash - path),
	    slash == NULL ? "." : path) >= sizeof(tmp)) {
		log_warnx("%s: path too long for a socket", path);
		return -1;
	}
	strcpy(sun.sun_path, tmp);
	unlink(tmp);		/* stale: we hold the run dir's lock */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("socket");
		return -1;
	}
	old = umask(0777 & ~(mode_t)mode);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1 || chmod(tmp, (mode_t)mode) == -1 ||
	    listen(fd, SOMAXCONN) == -1 || rename(tmp, path) == -1) {
		log_warn("%s", path);
		if (r == 0)
			unlink(tmp);
		close(fd);
		return -1;
	}
	return fd;
}

/* Describe a bound TCP socket as host:port. */
static void
sock_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 host[INET6_ADDRSTRLEN];
	int			 port;

	buf[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(buf, size, "[%s]:%d", host, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(buf, size, "%s:%d", host, port);
	}
}

/* The gateway's TCP socket: from systemd (LISTEN_FDS) or bound here. */
static int
tcp_listen(const char *spec)
{
	struct addrinfo	 hints, *res, *ai;
	char		 host[128], *port;
	const char	*pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	int		 fd = -1, one = 1, r;

	if (pid != NULL && nfds != NULL && atol(pid) == (long)getpid() &&
	    atoi(nfds) >= 1) {
		fd = 3;		/* SD_LISTEN_FDS_START */
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		log_info("using the listening socket from systemd");
		return fd;
	}
	snprintf(host, sizeof(host), "%s", spec);
	port = strrchr(host, ':');
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0) {
		log_warnx("listen %s: %s", spec, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		log_warn("listen %s", spec);
	freeaddrinfo(res);
	return fd;
}

static void
socket_path(char *buf, size_t size, const char *name)
{
	if (child_socket_path(buf, size, sup->cfg.run_dir, name) == -1)
		fatalx("%s/%s.sock: path too long", sup->cfg.run_dir, name);
}

/*
 * Create every socket the tree serves, as its table says (child.h): the
 * children inherit theirs; system.sock and the control socket are ours.
 */
static int
make_sockets(void)
{
	char	 path[CONFIG_PATH_MAX + 32];
	int	 i, fd = -1;

	for (i = 0; i < CHILD_COUNT; i++) {
		if (!config_child_runs(&sup->cfg, i)) {
			sup->child[i].listen_fd = -1;	/* not on this host */
			continue;
		}
		switch (child_specs[i].listen) {
		case LISTEN_UNIX:
			socket_path(path, sizeof(path), child_specs[i].name);
			fd = unix_listen(path, sup->cfg.socket_mode);
			break;
		case LISTEN_TCP:
			if ((fd = tcp_listen(sup->cfg.listen)) == -1)
				break;
			sup->tcp_fd = fd;
			sock_name(fd, sup->listen_addr,
			    sizeof(sup->listen_addr));
			break;
		}
		if ((sup->child[i].listen_fd = fd) == -1)
			return -1;
	}
	socket_path(path, sizeof(path), SYSTEM_SOCKET);
	if ((sup->system_fd = unix_listen(path, sup->cfg.socket_mode)) == -1)
		return -1;
	socket_path(path, sizeof(path), CONTROL_SOCKET);
	if ((sup->control_fd = unix_listen(path, sup->cfg.control_mode)) ==
	    -1)
		return -1;
	return 0;
}

static void
remove_sockets(void)
{
	char	 path[CONFIG_PATH_MAX + 32];
	int	 i;

	for (i = 0; i < CHILD_COUNT; i++)
		if (child_specs[i].listen == LISTEN_UNIX) {
			socket_path(path, sizeof(path), child_specs[i].name);
			unlink(path);
		}
	socket_path(path, sizeof(path), SYSTEM_SOCKET);
	unlink(path);
	socket_path(path, sizeof(path), CONTROL_SOCKET);
	unlink(path);
	snprintf(path, sizeof(path), "%s/actord.pid", sup->cfg.run_dir);
	unlink(path);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	static struct config	 fresh;
	pid_t			 pid;
	int			 status;

	(void)what;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			tree_reaped(pid, status);
		break;
	case SIGHUP:
		supervisor_reload(&fresh);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("%s: stopping", strsignal((int)sig));
		tree_shutdown(0);
		break;
	}
}

#define ORPHANS_MAX	1024	/* looked at in one pass */
#define ORPHAN_TERM_MS	1000	/* SIGTERM, then SIGKILL this long after */

/*
 * actord is a child subreaper: what its children leave when they die (a
 * killed gateway's zygote and idle sessions, the processes of a killed
 * worker's commands) becomes actord's, not init's, and the loop reaps it
 * with the children.  When the tree has stopped, whatever is still there
 * gets SIGTERM, and SIGKILL after ORPHAN_TERM_MS; each pass looks again,
 * for the children of those that died.
 */
static void
end_orphans(void)
{
	pid_t		 pids[ORPHANS_MAX];
	int64_t		 start = mono_ms();
	int		 i, n, status, sig, told = 0;
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };

	for (;;) {
		while (waitpid(-1, &status, WNOHANG) > 0)
			;
		if ((n = proc_children(getpid(), pids, ORPHANS_MAX)) <= 0)
			return;
		if (!told++)
			log_info("ending %d processes the tree left behind", n);
		sig = mono_ms() - start < ORPHAN_TERM_MS ? SIGTERM : SIGKILL;
		if (mono_ms() - start > 2 * ORPHAN_TERM_MS) {
			log_warnx("%d processes the tree left behind did not "
			    "end", n);
			return;
		}
		for (i = 0; i < n; i++)
			kill(pids[i], sig);
		nanosleep(&ts, NULL);
	}
}

/* WATCHDOG=1 only while every wanted child is up or coming up. */
static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (tree_healthy())
		sdnotify("WATCHDOG=1");
}

int
main(int argc, char *argv[])
{
	static const int	 signos[] = { SIGCHLD, SIGHUP, SIGTERM,
				    SIGINT };
	struct event_base	*base;
	struct event		*ev;
	static char		 cfgpath[CONFIG_PATH_MAX];
	const char		*file = NULL;
	unsigned long long	 wd;
	size_t			 i;
	int			 ch, nflag = 0, pflag = 0, dflag = 0, r;

	while ((ch = getopt(argc, argv, "c:dhnpV")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'd':
			dflag = 1;
			break;
		case 'n':
			nflag = 1;
			break;
		case 'p':
			pflag = 1;
			break;
		case 'V':
			printf("actord %s (protocol %d)\n", ACTORD_VERSION,
			    PROTOCOL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_init("actord", dflag ? LOG_DEBUG : LOG_INFO);
	if (file != NULL && realpath(file, cfgpath) != NULL)
		file = cfgpath;
	sup->config_path = file;
	if (config_load(&sup->cfg, file) == -1 ||
	    (!pflag && config_check_files(&sup->cfg) == -1)) {
		config_print_errors(&sup->cfg, stderr);
		return EXIT_USAGE;
	}
	if (nflag) {
		printf("%s: configuration ok\n", file ? file : "defaults");
		return 0;
	}
	if (pflag) {
		config_write(&sup->cfg, stdout);
		return 0;
	}
	if (!dflag)
		log_setlevel(sup->cfg.log_level);
	if (supervisor_programs(&sup->cfg) == -1)
		return EXIT_USAGE;
	if (mkdir_p(sup->cfg.run_dir, 0755) == -1 ||
	    mkdir_p(sup->cfg.state_dir, 0750) == -1) {
		log_warn("creating %s or %s", sup->cfg.run_dir,
		    sup->cfg.state_dir);
		return EXIT_SYSTEM;
	}
	if ((r = take_lock()) == -2)
		return EXIT_FAILURE_RT;
	if (r == -1)
		return EXIT_SYSTEM;
	if (make_sockets() == -1) {
		remove_sockets();
		return EXIT_SYSTEM;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("prctl PR_SET_CHILD_SUBREAPER: what the tree leaves "
		    "behind goes to init");
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	rt_init(base, &sup->cfg, "system");
	rt_register(&system_kind);
	tree_init(chan_handlers, nitems(chan_handlers));
	system_init();
	control_init();
	if (rt_listen(sup->system_fd) == -1 ||
	    control_listen(sup->control_fd) == -1)
		fatalx("cannot listen on the system or control socket");
	for (i = 0; i < sizeof(signos) / sizeof(signos[0]); i++) {
		ev = evsignal_new(base, signos[i], signal_cb, NULL);
		if (ev == NULL || evsignal_add(ev, NULL) == -1)
			fatalx("evsignal_new");
	}
	if ((wd = sdnotify_watchdog_usec()) > 0) {
		watchdog_ev = event_new(base, -1, EV_PERSIST, watchdog_cb,
		    NULL);
		timer_ms(watchdog_ev, (int64_t)(wd / 2 / 1000));
	}
	sup->start_ms = mono_ms();
	log_info("actord %s starting: state %s, sockets %s, listening on %s",
	    ACTORD_VERSION, sup->cfg.state_dir, sup->cfg.run_dir,
	    sup->listen_addr);
	tree_step();
	event_base_dispatch(base);
	end_orphans();
	remove_sockets();
	log_info("stopped%s", sup->exit_code ? " with errors" : "");
	return sup->exit_code;
}
