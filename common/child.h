/*
 * Child processes: the descriptor layout a child inherits, the exit codes
 * that are the interface between a child and its supervisor, spawning and
 * describing how a child ended.
 */
#ifndef CHILD_H
#define CHILD_H

#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>

#define CHILD_FD_CTL	3	/* socketpair to the parent */
#define CHILD_FD_LISTEN	4	/* the listening socket it serves */
#define CHILD_FD_EXTRA	5	/* first extra descriptor (sessions) */

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

#endif
