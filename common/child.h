/*
 * Child processes: the process tree (which children actord runs, in what
 * order, serving what), the descriptor layout a child inherits, the exit
 * codes that are the interface between a child and its supervisor,
 * spawning and describing how a child ended.
 */
#ifndef CHILD_H
#define CHILD_H

#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>

/*
 * The process tree: every child of actord, one row each, in start order
 * (they stop in reverse).  actord spawns each from program_dir and makes
 * what it listens on; actorctl and the control socket know the names from
 * it; the runtime connects to $RUN/<kind>.sock only for the kinds it lists
 * with a Unix socket; the config takes each child's [name] section and
 * that section's defaults from it.
 *
 * CHILD(id, name, kind, listen, restart, shutdown_timeout_ms)
 *
 *   id		CHILD_<id>: the row's index, its place in the start order
 *   name	its program, its config section, its socket's name
 *   kind	the K_* bit of the actors it hosts (<kind>:<name>); 0: none
 *   listen	UNIX: $RUN/<name>.sock; TCP: [gateway] listen, or systemd's
 *   restart	the default of [name] restart
 *   shutdown	the default of [name] shutdown_timeout_ms
 */
#define PROCESS_TREE(CHILD)						\
	CHILD(EVENTLOG,	   "eventlog",	  K_EVENTLOG, UNIX, permanent, 5000) \
	CHILD(COORDINATOR, "coordinator", K_COORD,    UNIX, permanent, 5000) \
	CHILD(WORKER,	   "worker",	  K_WORKER,   UNIX, permanent, 5000) \
	CHILD(LINK,	   "link",	  K_LINK,     UNIX, permanent, 5000) \
	CHILD(GATEWAY,	   "gateway",	  0,	      TCP,  permanent, 5000)

enum child_id {				/* also the start order */
#define CHILD_ENUM(id, ...)	CHILD_##id,
	PROCESS_TREE(CHILD_ENUM)
#undef CHILD_ENUM
	CHILD_COUNT
};

enum child_listen {
	LISTEN_UNIX,		/* $RUN/<name>.sock, made by actord */
	LISTEN_TCP,		/* the TCP listener, [gateway] listen */
};

enum restart_type {
	RESTART_PERMANENT,	/* always restarted */
	RESTART_TRANSIENT,	/* restarted after an abnormal exit */
	RESTART_TEMPORARY,	/* never restarted */
};

/* One row of the process tree. */
struct child_spec {
	const char		*name;		/* program, section, socket */
	unsigned		 kind;		/* K_* it hosts; 0: none */
	enum child_listen	 listen;	/* what CHILD_FD_LISTEN is */
	const char		*restart;	/* default, as config text */
	const char		*shutdown_timeout_ms;	/* the same */
};

extern const struct child_spec child_specs[CHILD_COUNT];

/* actord's own sockets under $RUN, beside its children's. */
#define SYSTEM_SOCKET	"system"	/* system:supervisor, read-only */
#define CONTROL_SOCKET	"actord"	/* the control socket, actorctl's */

/* The child named name, or -1. */
int	child_lookup(const char *name);
/* The child that hosts the actors of kind (a K_* bit), or -1. */
int	child_of_kind(unsigned kind);
/* K_* of every kind with a socket under $RUN: the children's, system. */
unsigned child_socket_kinds(void);
/*
 * The children's names in start order, joined by ", " and the last by
 * last ("eventlog, coordinator, worker or gateway"), into buf.
 */
const char *child_list(char *buf, size_t size, const char *last);
/* $RUN/<name>.sock into buf; -1 if it does not fit. */
int	child_socket_path(char *buf, size_t size, const char *run_dir,
	    const char *name);

/*
 * The descriptors a child inherits.  Its channel is the socketpair to
 * actord (Ready, Inspect, its counters), not the control socket, which is
 * the operator's (actorctl).
 */
#define CHILD_FD_CHAN	3	/* the channel: a socketpair to the parent */
#define CHILD_FD_LISTEN	4	/* the listening socket it serves */
#define CHILD_FD_EXTRA	5	/* first extra descriptor (sessions) */
#define CHILD_FD_CTL	CHILD_FD_CHAN	/* its old name, for its last users */

/* Exit codes, s6-style: an interface, not an accident. */
#define EXIT_OK		0
#define EXIT_FAILURE_RT	1	/* runtime failure */
#define EXIT_USAGE	100	/* usage or config error: do not restart */
#define EXIT_SYSTEM	111	/* system failure: database, sockets */

#define CHILD_MAX_FDS	4

struct child_fds {
	int	 fds[CHILD_MAX_FDS];	/* placed at 3, 4, ...; -1: none */
	int	 nfds;
};

/*
 * fork+exec path with argv; the child gets fds->fds[i] at descriptor 3+i
 * (with close-on-exec cleared on those only), a parent-death signal, a
 * reset signal mask and the environment plus env (NAME=value, NULL-ended).
 * Returns the pid or -1.
 */
pid_t	child_spawn(const char *path, char *const argv[],
	    const struct child_fds *fds, char *const env[]);
/* "exited 0", "exited 100 (usage or config error)", "killed by SIGKILL". */
const char *child_exit_text(int status, char *buf, size_t size);
/*
 * Send iov with descriptor fd attached (SCM_RIGHTS) on a Unix socket,
 * without blocking or SIGPIPE; EINTR is retried.  Returns sendmsg's count
 * (the descriptor went with the first byte) or -1.
 */
ssize_t	fd_send(int sock, struct iovec *iov, int iovcnt, int fd);
/*
 * Receive up to len bytes into buf and at most one descriptor with them
 * (close-on-exec); EINTR is retried.  Returns recvmsg's count (0 at EOF),
 * the descriptor in *fd or -1 there if none came; or -1 with errno, and
 * EBADMSG when more than one descriptor came or the control data was cut
 * short (every descriptor that arrived is closed).
 */
ssize_t	fd_recv(int sock, void *buf, size_t len, int *fd);
/* Resident set size of pid in bytes, from /proc; 0 if unknown. */
unsigned long long child_rss(pid_t pid);
/* CPU time pid used, user and system, in seconds (0 if unknown). */
double	child_cpu_seconds(pid_t pid);

#endif
