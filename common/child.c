/*
 * Child processes: see child.h.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "msg.h"

extern char **environ;

const struct child_spec child_specs[CHILD_COUNT] = {
#define CHILD_ROW(id, name, kind, listen, restart, shutdown)		\
	[CHILD_##id] = { name, kind, LISTEN_##listen, #restart, #shutdown },
	PROCESS_TREE(CHILD_ROW)
#undef CHILD_ROW
};

int
child_lookup(const char *name)
{
	int	 i;

	for (i = 0; i < CHILD_COUNT; i++)
		if (strcmp(name, child_specs[i].name) == 0)
			return i;
	return -1;
}

int
child_of_kind(unsigned kind)
{
	int	 i;

	for (i = 0; i < CHILD_COUNT; i++)
		if (kind != 0 && child_specs[i].kind == kind)
			return i;
	return -1;
}

unsigned
child_socket_kinds(void)
{
	unsigned	 kinds = K_SYSTEM;
	int		 i;

	for (i = 0; i < CHILD_COUNT; i++)
		if (child_specs[i].listen == LISTEN_UNIX)
			kinds |= child_specs[i].kind;
	return kinds;
}

const char *
child_list(char *buf, size_t size, const char *last)
{
	size_t	 len = 0;
	int	 i, n;

	buf[0] = '\0';
	for (i = 0; i < CHILD_COUNT && len < size; i++) {
		n = snprintf(buf + len, size - len, "%s%s", i == 0 ? "" :
		    i == CHILD_COUNT - 1 ? last : ", ", child_specs[i].name);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return buf;
}

int
child_socket_path(char *buf, size_t size, const char *run_dir,
    const char *name)
{
	int	 n;

	n = snprintf(buf, size, "%s/%s.sock", run_dir, name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

pid_t
child_spawn(const char *path, char *const argv[], const struct child_fds *fds,
    char *const env[])
{
	sigset_t	 all, old;
	pid_t		 pid, parent = getpid();
	int		 i, moved[CHILD_MAX_FDS];

	/* Block signals so the child cannot run our handlers pre-exec. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = fork()) != 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return pid;
	}

	/* Child: only async-signal-safe calls until exec. */
	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(EXIT_SYSTEM);
	/* Move the descriptors out of the way of 3.. before placing them. */
	for (i = 0; i < fds->nfds && i < CHILD_MAX_FDS; i++) {
		moved[i] = -1;
		if (fds->fds[i] >= 0 &&
		    (moved[i] = fcntl(fds->fds[i], F_DUPFD_CLOEXEC, 64)) == -1)
			_exit(EXIT_SYSTEM);
	}
	/* dup2 leaves the placed descriptors without close-on-exec. */
	for (i = 0; i < fds->nfds && i < CHILD_MAX_FDS; i++)
		if (moved[i] >= 0 && dup2(moved[i], CHILD_FD_CHAN + i) == -1)
			_exit(EXIT_SYSTEM);
	for (i = 0; env != NULL && env[i] != NULL; i++)
		putenv(env[i]);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	execv(path, argv);
	_exit(errno == ENOENT ? EXIT_USAGE : EXIT_SYSTEM);
}

const char *
child_exit_text(int status, char *buf, size_t size)
{
	const char	*why = "";

	if (WIFEXITED(status)) {
		switch (WEXITSTATUS(status)) {
		case EXIT_OK:
			why = "";
			break;
		case EXIT_USAGE:
			why = " (usage or config error)";
			break;
		case EXIT_SYSTEM:
			why = " (system failure)";
			break;
		default:
			why = " (failure)";
			break;
		}
		snprintf(buf, size, "exited %d%s", WEXITSTATUS(status), why);
	} else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by SIG%s%s",
		    sigabbrev_np(WTERMSIG(status)) ?
		    sigabbrev_np(WTERMSIG(status)) : "?",
		    WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, size, "status %#x", status);
	return buf;
}

unsigned long long
child_rss(pid_t pid)
{
	char			 path[64];
	FILE			*fp;
	unsigned long long	 pages = 0, rss = 0;

	snprintf(path, sizeof(path), "/proc/%ld/statm", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(fp, "%llu %llu", &pages, &rss) != 2)
		rss = 0;
	fclose(fp);
	return rss * (unsigned long long)sysconf(_SC_PAGESIZE);
}

double
child_cpu_seconds(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	FILE			*fp;
	unsigned long long	 ut = 0, st = 0;
	size_t			 n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* The name may hold spaces and parentheses: fields follow the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

ssize_t
fd_send(int sock, struct iovec *iov, int iovcnt, int fd)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)iovcnt;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	return n;
}

#define RECV_FDS_MAX	4	/* room to see (and close) extra descriptors */

ssize_t
fd_recv(int sock, void *buf, size_t len, int *fd)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(RECV_FDS_MAX * sizeof(int))];
	} cmsgbuf;
	ssize_t		 n;
	size_t		 i, nfds;
	int		 fds[RECV_FDS_MAX], got = 0;

	*fd = -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds && got < RECV_FDS_MAX; i++)
			memcpy(&fds[got++], CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
	}
	if (got > 1 || (msg.msg_flags & MSG_CTRUNC)) {
		while (got > 0)
			close(fds[--got]);
		errno = EBADMSG;
		return -1;
	}
	if (got == 1)
		*fd = fds[0];
	return n;
}
