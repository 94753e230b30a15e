/*
 * Unit tests for session/sandbox.c and supervisor/supervisor_proc.c.
 *
 * The sandbox cannot be taken back, so every probe runs in a child forked
 * for it, which applies the sandbox, tries what a session must still do
 * and what it must not, and writes what each try returned to a pipe.  The
 * ancestry walk that the control socket relies on is checked over real
 * chains of processes.
 */
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/landlock.h>
#include <linux/seccomp.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "child.h"
#include "log.h"
#include "../session/sandbox.h"
#include "../supervisor/supervisor_proc.h"

#define TIMEOUT		20	/* seconds per test */
#define NOUT		8	/* results one probe reports */

/* What sandbox.c relaxes for LeakSanitizer in a sanitizer build. */
#if defined(__SANITIZE_ADDRESS__)
#define LSAN_BUILD	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LSAN_BUILD	1
#endif
#endif
#ifndef LSAN_BUILD
#define LSAN_BUILD	0
#endif

extern char	**environ;

/* What a probe child reports. */
struct report {
	int	 applied;	/* sandbox_apply() returned 0 */
	int	 out[NOUT];	/* per try: 0, or the errno it failed with */
};

typedef void	 probe_fn(int *out, void *arg);

static char	 tmpdir[64];

/* errno of a call that returned -1, or 0. */
static int
err_of(long r)
{
	return r == -1 ? errno : 0;
}

static void
setup(void)
{
	char	 path[128];
	int	 fd;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_sandbox.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/state.db", tmpdir);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT, 0600), 0);
	ck_assert_int_eq(write(fd, "SQLite", 6), 6);
	close(fd);
}

static void
teardown(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The kernel's Landlock ABI, or 0 when it has none. */
static int
landlock_abi(void)
{
	long	 abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
		    LANDLOCK_CREATE_RULESET_VERSION);

	return abi > 0 ? (int)abi : 0;
}

/*
 * The same probes in sessions forked by a zygote: the filter compiled
 * once by sandbox_prepare() in this (test) process, loaded by each child.
 */
static void
setup_prepared(void)
{
	setup();
	ck_assert_int_eq(sandbox_prepare(), landlock_abi() >= 6 ? 1 : 0);
}

/* Run probe in a forked child under the sandbox; its report in *r. */
static void
in_sandbox(probe_fn *probe, void *arg, struct report *r)
{
	int	 p[2], status;
	pid_t	 pid;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		close(p[0]);
		memset(r, 0, sizeof(*r));
		memset(r->out, 0xff, sizeof(r->out));	/* -1: not reached */
		if ((r->applied = sandbox_apply() == 0))
			probe(r->out, arg);
		_exit(write(p[1], r, sizeof(*r)) == sizeof(*r) ? 0 : 1);
	}
	close(p[1]);
	memset(r, 0, sizeof(*r));
	ck_assert_msg(read(p[0], r, sizeof(*r)) == sizeof(*r),
	    "the probe child wrote no report (did it exec?)");
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "probe child: status %#x", status);
	ck_assert_msg(r->applied, "sandbox_apply() failed (see the log)");
}

/* A listening Unix socket at tmpdir/name. */
static int
unix_listen(const char *name, struct sockaddr_un *sun)
{
	int	 fd;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s", tmpdir, name);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)sun, sizeof(*sun)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	return fd;
}

/* Read exactly len bytes from fd into buf (NUL-terminated). */
static void
read_exact(int fd, char *buf, size_t len)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	buf[got] = '\0';
}

/* Files by path: read, create, mkdir, unlink, list, /proc. */
static void
probe_files(int *out, void *arg)
{
	char	 path[128];

	(void)arg;
	snprintf(path, sizeof(path), "%s/state.db", tmpdir);
	out[0] = err_of(open(path, O_RDONLY));
	out[1] = err_of(open(path, O_WRONLY));
	snprintf(path, sizeof(path), "%s/new", tmpdir);
	out[2] = err_of(open(path, O_WRONLY | O_CREAT, 0600));
	out[3] = err_of(mkdir(path, 0700));
	snprintf(path, sizeof(path), "%s/state.db", tmpdir);
	out[4] = err_of(unlink(path));
	out[5] = err_of(open(tmpdir, O_RDONLY | O_DIRECTORY));
	out[6] = err_of(open("/etc/passwd", O_RDONLY));
	out[7] = err_of(open("/proc/self/status", O_RDONLY));
}

START_TEST(test_files_refused)
{
	static const char *const	 what[] = {
		"read the database", "write the database", "create a file",
		"mkdir", "unlink", "list the directory", "read /etc/passwd",
	};
	struct report			 r;
	struct stat			 st;
	char				 path[128];
	size_t				 i;

	if (landlock_abi() == 0) {
		fprintf(stderr, "no Landlock in this kernel: skipped\n");
		return;
	}
	in_sandbox(probe_files, NULL, &r);
	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++)
		ck_assert_msg(r.out[i] == EACCES, "%s: %s, not EACCES",
		    what[i], r.out[i] == 0 ? "allowed" : strerror(r.out[i]));
	/* Sanitizer builds let LeakSanitizer read /proc (sandbox.c). */
	ck_assert_int_eq(r.out[7], LSAN_BUILD ? 0 : EACCES);
	snprintf(path, sizeof(path), "%s/new", tmpdir);
	ck_assert_int_eq(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/state.db", tmpdir);
	ck_assert_int_eq(stat(path, &st), 0);
}
END_TEST

/* A descriptor opened before the sandbox is still read (stderr's case). */
static void
probe_open_fd(int *out, void *arg)
{
	char	 buf[8];

	out[0] = read(*(int *)arg, buf, 6) == 6 && memcmp(buf, "SQLite",
	    6) == 0 ? 0 : EIO;
	out[1] = err_of(write(STDERR_FILENO, "", 0));
}

START_TEST(test_open_descriptors_work)
{
	struct report	 r;
	char		 path[128];
	int		 fd;

	snprintf(path, sizeof(path), "%s/state.db", tmpdir);
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	in_sandbox(probe_open_fd, &fd, &r);
	close(fd);
	ck_assert_int_eq(r.out[0], 0);
	ck_assert_int_eq(r.out[1], 0);
}
END_TEST

/* exec in every form. */
static void
probe_exec(int *out, void *arg)
{
	char *const	 argv[] = { "true", NULL };
	pid_t		 pid;

	(void)arg;
	out[0] = err_of(execve("/bin/true", argv, environ));
	out[1] = err_of(syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv,
	    environ, 0));
	out[2] = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
}

START_TEST(test_exec_refused)
{
	struct report	 r;

	in_sandbox(probe_exec, NULL, &r);
	ck_assert_msg(r.out[0] == EPERM, "execve: %s", strerror(r.out[0]));
	ck_assert_msg(r.out[1] == EPERM, "execveat: %s", strerror(r.out[1]));
	ck_assert_msg(r.out[2] == EPERM, "posix_spawn: %s",
	    strerror(r.out[2]));
}
END_TEST

static void *
thread_main(void *arg)
{
	return arg;
}

/* New processes, and a thread (which is allowed). */
static void
probe_fork(int *out, void *arg)
{
	pthread_t	 t;
	void		*ret = NULL;
	int		 token;
	pid_t		 pid;

	(void)arg;
	if ((pid = fork()) == 0)
		_exit(0);
	out[0] = err_of(pid);
	if ((pid = vfork()) == 0)
		_exit(0);
	out[1] = err_of(pid);
	out[2] = err_of(syscall(SYS_clone3, NULL, 0));
	if ((out[3] = pthread_create(&t, NULL, thread_main, &token)) == 0)
		out[4] = pthread_join(t, &ret) == 0 && ret == &token ? 0 : EIO;
}

START_TEST(test_fork_refused_threads_allowed)
{
	struct report	 r;

	in_sandbox(probe_fork, NULL, &r);
	ck_assert_msg(r.out[0] == EPERM, "fork: %s", strerror(r.out[0]));
	ck_assert_msg(r.out[1] == EPERM, "vfork: %s", strerror(r.out[1]));
	/* ENOSYS sends glibc to clone(2), where the flags are checked. */
	ck_assert_msg(r.out[2] == ENOSYS, "clone3: %s", strerror(r.out[2]));
	ck_assert_msg(r.out[3] == 0, "pthread_create: %s", strerror(r.out[3]));
	ck_assert_int_eq(r.out[4], 0);
}
END_TEST

/*
 * Another process of the same user (arg: its pid): ptrace, its memory,
 * signals; and the process's own state as the kernel reports it.
 */
static void
probe_others(int *out, void *arg)
{
	struct iovec	 local, remote;
	pid_t		 other = *(pid_t *)arg;
	char		 buf[8];

	local.iov_base = buf;
	local.iov_len = sizeof(buf);
	remote.iov_base = &local;
	remote.iov_len = sizeof(buf);
	out[0] = err_of(ptrace(PTRACE_ATTACH, other, NULL, NULL));
	out[1] = err_of(process_vm_readv(other, &local, 1, &remote, 1, 0));
	out[2] = err_of(kill(other, 0));
	out[3] = err_of(kill(getpid(), 0));
	out[4] = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	out[5] = err_of(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	out[6] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	out[7] = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
}

START_TEST(test_other_processes_refused)
{
	struct report	 r;
	pid_t		 other;

	if ((other = fork()) == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_ne(other, -1);
	in_sandbox(probe_others, &other, &r);
	kill(other, SIGKILL);
	ck_assert_int_eq(waitpid(other, NULL, 0), other);
	if (!LSAN_BUILD)
		ck_assert_msg(r.out[0] == EPERM, "ptrace: %s",
		    strerror(r.out[0]));
	ck_assert_msg(r.out[1] == EPERM, "process_vm_readv: %s",
	    strerror(r.out[1]));
	ck_assert_msg(r.out[2] == EPERM, "kill(other, 0): %s",
	    strerror(r.out[2]));
	ck_assert_msg(r.out[3] == 0, "kill(self, 0): %s", strerror(r.out[3]));
	ck_assert_int_eq(r.out[4], 0);		/* not dumpable */
	if (!LSAN_BUILD)
		ck_assert_msg(r.out[5] == EPERM, "PR_SET_DUMPABLE 1: %s",
		    strerror(r.out[5]));
	ck_assert_int_eq(r.out[6], 1);		/* no new privileges */
	ck_assert_int_eq(r.out[7], 2);		/* a seccomp filter */
}
END_TEST

/*
 * Sockets: none made, of any family, nor a pair; and a socket it holds
 * (arg: one made before the sandbox) connects nowhere, the actors'
 * sockets included: a session's connections are made for it.
 */
static void
probe_sockets(int *out, void *arg)
{
	const int		 fd = *(const int *)arg;
	struct sockaddr_un	 sun;
	int			 sp[2];

	out[0] = err_of(socket(AF_INET, SOCK_STREAM, 0));
	out[1] = err_of(socket(AF_INET6, SOCK_DGRAM, 0));
	out[2] = err_of(socket(AF_NETLINK, SOCK_RAW, 0));
	out[3] = err_of(socket(AF_UNIX, SOCK_STREAM, 0));
	out[4] = err_of(socket(AF_UNIX, SOCK_DGRAM, 0));
	out[5] = err_of(socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/coordinator.sock",
	    tmpdir);
	out[6] = err_of(connect(fd, (const struct sockaddr *)&sun,
	    sizeof(sun)));
}

START_TEST(test_sockets_refused)
{
	static const char *const	 what[] = {
		"socket AF_INET", "socket AF_INET6", "socket AF_NETLINK",
		"socket AF_UNIX", "socket AF_UNIX, SOCK_DGRAM", "socketpair",
		"connect to coordinator.sock",
	};
	struct sockaddr_un	 sun;
	struct report		 r;
	size_t			 i;
	int			 lfd, fd;

	lfd = unix_listen("coordinator.sock", &sun);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	in_sandbox(probe_sockets, &fd, &r);
	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++)
		ck_assert_msg(r.out[i] == EPERM, "%s: %s, not EPERM", what[i],
		    r.out[i] == 0 ? "allowed" : strerror(r.out[i]));
	/* Nothing reached the listener. */
	ck_assert_int_eq(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(accept(lfd, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(fd);
	close(lfd);
}
END_TEST

/*
 * The session's hand-off: a descriptor received over SCM_RIGHTS on an
 * inherited socketpair, written to; the socketpair itself answered.
 */
static void
probe_handoff(int *out, void *arg)
{
	char		 byte;
	int		 ctl = *(int *)arg, fd;

	if (fd_recv(ctl, &byte, 1, &fd) != 1) {
		out[0] = errno ? errno : EIO;
		return;
	}
	out[0] = 0;
	out[1] = fd == -1 ? EBADF : err_of(write(fd, "client", 6) == 6 ?
	    0 : -1);
	out[2] = err_of(write(ctl, "ready", 5) == 5 ? 0 : -1);
}

START_TEST(test_handoff_works)
{
	struct iovec	 iov = { "x", 1 };
	struct report	 r;
	char		 buf[8];
	int		 ctl[2], client[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, ctl), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, client), 0);
	/* Queued before the child starts; it reads it once sandboxed. */
	ck_assert_int_eq(fd_send(ctl[0], &iov, 1, client[1]), 1);
	close(client[1]);

	in_sandbox(probe_handoff, &ctl[1], &r);
	ck_assert_msg(r.out[0] == 0, "recvmsg: %s", strerror(r.out[0]));
	ck_assert_msg(r.out[1] == 0, "write to the received descriptor: %s",
	    strerror(r.out[1]));
	ck_assert_int_eq(r.out[2], 0);
	read_exact(client[0], buf, 6);
	ck_assert_str_eq(buf, "client");
	read_exact(ctl[0], buf, 5);
	ck_assert_str_eq(buf, "ready");
	close(ctl[0]);
	close(ctl[1]);
	close(client[0]);
}
END_TEST

/*
 * A chain of processes: this one, a child a, its child b, which names
 * itself so that /proc/<b>/stat's command field holds ") S 1 (", says its
 * pid, and waits for *hold to be closed.  Returns a's pid, b's in *b.
 */
static pid_t
chain(int *hold, pid_t *b)
{
	int	 p[2], q[2];
	pid_t	 a, me;
	char	 c;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pipe(q), 0);
	ck_assert_int_ne(a = fork(), -1);
	if (a == 0) {
		close(p[0]);
		close(q[1]);
		if ((me = fork()) == 0) {
			prctl(PR_SET_NAME, "x) S 1 (y");
			me = getpid();
			(void)!write(p[1], &me, sizeof(me));
			(void)!read(q[0], &c, 1);	/* until closed */
			_exit(0);
		}
		(void)!read(q[0], &c, 1);
		waitpid(me, NULL, 0);
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	ck_assert_int_eq(read(p[0], b, sizeof(*b)), sizeof(*b));
	close(p[0]);
	*hold = q[1];
	return a;
}

START_TEST(test_ancestry_chain)
{
	pid_t	 a, b, self = getpid();
	int	 hold;

	a = chain(&hold, &b);
	ck_assert_int_eq(proc_descends_from(b, a, 16), 1);
	ck_assert_int_eq(proc_descends_from(b, self, 16), 1);
	ck_assert_int_eq(proc_descends_from(a, a, 16), 1);   /* itself */
	ck_assert_int_eq(proc_descends_from(a, b, 16), 0);
	ck_assert_int_eq(proc_descends_from(self, a, 16), 0);
	ck_assert_int_eq(proc_descends_from(b, 0, 16), 0);   /* no gateway */
	/* The bound: b is two parents below us. */
	ck_assert_int_eq(proc_descends_from(b, self, 2), 1);
	ck_assert_int_eq(proc_descends_from(b, self, 1), -1);
	close(hold);
	ck_assert_int_eq(waitpid(a, NULL, 0), a);
	/* Gone: cannot tell, which the control socket refuses. */
	ck_assert_int_eq(proc_descends_from(a, self, 16), -1);
}
END_TEST

/*
 * The gateway is a subreaper: a grandchild whose parent exits is
 * reparented to it and still descends from it.
 */
START_TEST(test_ancestry_subreaper)
{
	pid_t	 a, b, self = getpid();
	int	 hold;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	a = chain(&hold, &b);
	ck_assert_int_eq(kill(a, SIGKILL), 0);
	ck_assert_int_eq(waitpid(a, NULL, 0), a);
	ck_assert_int_eq(proc_descends_from(b, a, 16), 0);
	ck_assert_int_eq(proc_descends_from(b, self, 1), 1);
	close(hold);
	ck_assert_int_eq(waitpid(b, NULL, 0), b);
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
}
END_TEST

/*
 * Can this process load a seccomp filter at all?  Not under Valgrind,
 * which does not implement seccomp(2) or Landlock's calls.
 */
static int
seccomp_available(void)
{
	uint32_t	 action = SECCOMP_RET_ERRNO;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

Suite *
suite(void)
{
	Suite	*s = suite_create("sandbox");
	TCase	*tc;

	log_init("check_sandbox", LOG_INFO);
	tc = tcase_create("ancestry");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_ancestry_chain);
	tcase_add_test(tc, test_ancestry_subreaper);
	suite_add_tcase(s, tc);
	if (!seccomp_available()) {
		fprintf(stderr, "check_sandbox: no seccomp(2) here (Valgrind?): "
		    "only the ancestry tests run\n");
		return s;
	}

	tc = tcase_create("refused");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_files_refused);
	tcase_add_test(tc, test_exec_refused);
	tcase_add_test(tc, test_fork_refused_threads_allowed);
	tcase_add_test(tc, test_other_processes_refused);
	tcase_add_test(tc, test_sockets_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("allowed");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_descriptors_work);
	tcase_add_test(tc, test_handoff_works);
	suite_add_tcase(s, tc);

	tc = tcase_create("prepared");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup_prepared, teardown);
	tcase_add_test(tc, test_files_refused);
	tcase_add_test(tc, test_exec_refused);
	tcase_add_test(tc, test_fork_refused_threads_allowed);
	tcase_add_test(tc, test_other_processes_refused);
	tcase_add_test(tc, test_sockets_refused);
	tcase_add_test(tc, test_handoff_works);
	suite_add_tcase(s, tc);
	return s;
}
