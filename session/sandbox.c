/*
 * The session's sandbox.
 *
 * A session parses a stranger's bytes (WebSocket frames, JSON) and runs as
 * actord's user.  If a bug lets the stranger run code in it, what the
 * process may still do is what this file leaves it: read and write the
 * descriptors it has (its client, its channel to the gateway, and the
 * connections to the actors that the gateway made for it and passed over
 * that channel), receive more descriptors there, log to stderr, exit.
 * Everything else a process of actord's user could do is taken away, in
 * this order:
 *
 *  1. PR_SET_NO_NEW_PRIVS: nothing it could still run gains privilege
 *     (and Landlock and an unprivileged seccomp filter require it);
 *  2. PR_SET_DUMPABLE 0: no other process of the user may ptrace it or
 *     read its memory through /proc/<pid>/mem, so one session cannot read
 *     another's client traffic; no core dump either;
 *  3. Landlock: no file or directory is opened, created, removed or
 *     executed by path, TCP bind and connect are refused, and signals and
 *     abstract Unix sockets stop at the session itself (each to the
 *     extent the running kernel's Landlock ABI knows them);
 *  4. seccomp: no exec, no new process, no ptrace, no signal to another
 *     process, no socket at all (socket, socketpair, connect), no
 *     io_uring (whose operations seccomp does not see), no way back to
 *     being dumpable.  Denied calls fail with EPERM rather than killing
 *     the process, so that a bug in our own code shows up as a logged
 *     error, not as a silent death.
 *
 * Landlock has no right for connect(2) to a pathname Unix socket (up to
 * ABI 7 at least), so seccomp refuses the calls themselves: a session
 * reaches no socket but the ones it was given, and the actors know those
 * for a session's (common/actor.c, docs/security.md).
 * tests/check_sandbox.c holds each of these to a test.
 *
 * Building the seccomp filter with libseccomp costs about 100 us and 27 KB
 * of heap that each session would dirty for itself.  So the zygote builds
 * it once (sandbox_prepare()) and each session it forks loads the same
 * compiled program from the zygote's pages.  That program must then be
 * the same for every session; the one rule that would name the session's
 * own pid (signals to other processes) is left to Landlock's signal scope
 * where the kernel has it (ABI 6), and only where it does not is the
 * filter built in each session, with the rule.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"
#include "sandbox.h"

/* Rights and scopes newer than Debian 12's <linux/landlock.h>. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP		(1ULL << 1)	/* ABI 4 */
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)	/* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL			(1ULL << 1)	/* ABI 6 */
#endif

/* Every filesystem right of Landlock's first ABI. */
#define FS_ABI1	(LANDLOCK_ACCESS_FS_EXECUTE |				\
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |	\
	LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR |	\
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |	\
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |	\
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |	\
	LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

/*
 * The kernel's struct landlock_ruleset_attr as of ABI 6 (Debian 12's
 * header has only the first field).  The kernel accepts a struct longer
 * than it knows as long as the tail it does not know is zero, so fields
 * are set only for the ABI the kernel reported.
 */
struct ruleset_attr {
	uint64_t	 handled_access_fs;
	uint64_t	 handled_access_net;	/* ABI 4 */
	uint64_t	 scoped;		/* ABI 6 */
};

/*
 * Under AddressSanitizer, LeakSanitizer checks for leaks when the process
 * exits: it clones a tracer that shares the session's memory (CLONE_VM,
 * not CLONE_THREAD), which ptraces the session, makes it dumpable for the
 * time, and reads /proc/self/maps and /proc/self/task.  A sanitizer build
 * (make SANITIZE=1, a test build, never installed) lets it do that much,
 * so that sessions stay leak-checked; exec, fork and the rest stay denied.
 */
#if defined(__SANITIZE_ADDRESS__)
#define LSAN_AT_EXIT	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LSAN_AT_EXIT	1
#endif
#endif
#ifndef LSAN_AT_EXIT
#define LSAN_AT_EXIT	0
#endif

/* clone(2)'s flags are its first argument, except on s390. */
#if defined(__s390__)
#define CLONE_FLAGS_ARG(how, ...)	SCMP_A1(how, __VA_ARGS__)
#else
#define CLONE_FLAGS_ARG(how, ...)	SCMP_A0(how, __VA_ARGS__)
#endif

static int
ruleset_create(const struct ruleset_attr *attr, size_t size,
    uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

#if LSAN_AT_EXIT
/* Let LeakSanitizer read /proc at exit (see LSAN_AT_EXIT). */
static int
landlock_allow_proc(int ruleset)
{
	struct landlock_path_beneath_attr	 pb;
	int					 r;

	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE |
	    LANDLOCK_ACCESS_FS_READ_DIR;
	if ((pb.parent_fd = open("/proc", O_PATH | O_CLOEXEC)) == -1)
		return -1;
	r = (int)syscall(SYS_landlock_add_rule, ruleset,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(pb.parent_fd);
	return r;
}
#endif

/*
 * The kernel's Landlock ABI; 0 when there is no Landlock to use: not
 * built, not in the kernel's lsm= list, or its calls refused by a seccomp
 * policy around actord (a container's; the unit allows them), files being
 * then left to the uid and the unit's sandbox; or -1.
 */
static int
landlock_abi(void)
{
	int	 abi;

	if ((abi = ruleset_create(NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION)) == -1) {
		if (errno != ENOSYS && errno != EOPNOTSUPP && errno != EPERM) {
			log_warn("sandbox: Landlock ABI version");
			return -1;
		}
		log_debug("sandbox: no Landlock here (%s): files are "
		    "confined only by the uid", strerror(errno));
		return 0;
	}
	return abi;
}

/*
 * Handle every right the kernel's Landlock ABI knows and grant none.
 * Returns the ABI, 0 without Landlock (see landlock_abi()), or -1.
 */
static int
sandbox_landlock(void)
{
	struct ruleset_attr	 attr;
	int			 abi, fd;

	if ((abi = landlock_abi()) <= 0)
		return abi;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = FS_ABI1;
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 4)
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP |
		    LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (abi >= 5)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
		    LANDLOCK_SCOPE_SIGNAL;
	if ((fd = ruleset_create(&attr, sizeof(attr), 0)) == -1) {
		log_warn("sandbox: Landlock ruleset (ABI %d)", abi);
		return -1;
	}
#if LSAN_AT_EXIT
	if (landlock_allow_proc(fd) == -1) {
		log_warn("sandbox: Landlock rule for /proc");
		close(fd);
		return -1;
	}
#endif
	if (syscall(SYS_landlock_restrict_self, fd, 0) == -1) {
		log_warn("sandbox: Landlock restrict_self (ABI %d)", abi);
		close(fd);
		return -1;
	}
	close(fd);
	return abi;
}

/* Add one rule answering errno err; -1 on failure (logged). */
static int
deny(scmp_filter_ctx ctx, int err, int nr, unsigned int argc,
    const struct scmp_arg_cmp *cmp)
{
	int	 r;

	if ((r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(err), nr, argc,
	    cmp)) < 0) {
		log_warnx("sandbox: seccomp rule for syscall %d: %s", nr,
		    strerror(-r));
		return -1;
	}
	return 0;
}

/*
 * The filter's rules: see the comment at the top.  With by_pid, signals to
 * another pid are refused here (for a kernel whose Landlock cannot scope
 * them); the filter then holds this process's pid.
 */
static int
seccomp_rules(scmp_filter_ctx ctx, int by_pid)
{
	static const int	 never[] = {
		SCMP_SYS(execve), SCMP_SYS(execveat),
		SCMP_SYS(fork), SCMP_SYS(vfork),
#if !LSAN_AT_EXIT
		SCMP_SYS(ptrace),
#endif
		SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
		SCMP_SYS(pidfd_open), SCMP_SYS(pidfd_getfd),
		SCMP_SYS(pidfd_send_signal),
		SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
		SCMP_SYS(io_uring_register),
		/* Its connections are made for it: it makes none. */
		SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect),
	};
	static const int	 signals[] = {	/* first argument: a pid */
		SCMP_SYS(kill), SCMP_SYS(tkill), SCMP_SYS(tgkill),
		SCMP_SYS(rt_sigqueueinfo), SCMP_SYS(rt_tgsigqueueinfo),
	};
	struct scmp_arg_cmp	 other_pid = SCMP_A0(SCMP_CMP_NE,
				    (scmp_datum_t)getpid());
	struct scmp_arg_cmp	 cmp;
	size_t			 i;

	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (deny(ctx, EPERM, never[i], 0, NULL) == -1)
			return -1;
	for (i = 0; by_pid && i < sizeof(signals) / sizeof(signals[0]); i++)
		if (deny(ctx, EPERM, signals[i], 1, &other_pid) == -1)
			return -1;

	/* A thread may be made, a process may not (fork(3) is a clone). */
#if LSAN_AT_EXIT
	cmp = CLONE_FLAGS_ARG(SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_VM, 0);
#else
	cmp = CLONE_FLAGS_ARG(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0);
#endif
	if (deny(ctx, EPERM, SCMP_SYS(clone), 1, &cmp) == -1)
		return -1;
	/*
	 * clone3's flags are in memory, which seccomp cannot read: ENOSYS
	 * makes glibc fall back to clone(2), checked above, as it does on
	 * kernels older than clone3.
	 */
	if (deny(ctx, ENOSYS, SCMP_SYS(clone3), 0, NULL) == -1)
		return -1;
#if !LSAN_AT_EXIT
	cmp = SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE);
	if (deny(ctx, EPERM, SCMP_SYS(prctl), 1, &cmp) == -1)
		return -1;
#endif
	return 0;
}

/* The compiled filter, built by sandbox_prepare() for every session. */
static struct sock_fprog	 prepared;

/*
 * Build the filter.  A call of another architecture's ABI (a 32-bit int
 * 0x80 on x86-64) would slip past rules written for the native one: such
 * a call kills the process.
 */
static scmp_filter_ctx
seccomp_build(int by_pid)
{
	scmp_filter_ctx	 ctx;
	int		 r;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		log_warnx("sandbox: seccomp_init failed");
		return NULL;
	}
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0) {
		log_warnx("sandbox: seccomp bad-arch action: %s", strerror(-r));
		seccomp_release(ctx);
		return NULL;
	}
	if (seccomp_rules(ctx, by_pid) == -1) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/* Load the prepared program, or build and load one of our own. */
static int
sandbox_seccomp(int abi)
{
	scmp_filter_ctx	 ctx;
	int		 r;

	if (prepared.filter != NULL) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prepared) ==
		    -1) {
			log_warn("sandbox: loading the seccomp filter");
			return -1;
		}
		return 0;
	}
	if ((ctx = seccomp_build(abi < 6)) == NULL)
		return -1;
	if ((r = seccomp_load(ctx)) < 0)
		log_warnx("sandbox: seccomp_load: %s", strerror(-r));
	seccomp_release(ctx);
	return r < 0 ? -1 : 0;
}

/*
 * Compile the filter once, in the process that forks the sessions (the
 * zygote), when it can be the same for all of them.  libseccomp 2.5
 * exports the program only to a descriptor: a memfd, read back.
 */
int
sandbox_prepare(void)
{
	scmp_filter_ctx	 ctx;
	void		*buf = NULL;
	off_t		 size;
	int		 fd = -1, r = -1;

	if (landlock_abi() < 6)
		return 0;	/* each session builds its own, with its pid */
	if ((ctx = seccomp_build(0)) == NULL)
		return -1;
	if ((fd = memfd_create("seccomp-bpf", MFD_CLOEXEC)) == -1) {
		log_warn("sandbox: memfd_create");
		goto done;
	}
	if ((r = seccomp_export_bpf(ctx, fd)) < 0) {
		log_warnx("sandbox: seccomp_export_bpf: %s", strerror(-r));
		r = -1;
		goto done;
	}
	r = -1;
	if ((size = lseek(fd, 0, SEEK_END)) <= 0 ||
	    size % sizeof(struct sock_filter) != 0 ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		log_warnx("sandbox: a seccomp program of %lld bytes",
		    (long long)size);
		goto done;
	}
	buf = malloc((size_t)size);
	if (buf == NULL || pread(fd, buf, (size_t)size, 0) != size) {
		log_warn("sandbox: reading the seccomp program");
		goto done;
	}
	prepared.len = (unsigned short)(size / sizeof(struct sock_filter));
	prepared.filter = buf;
	buf = NULL;
	r = 1;
done:
	free(buf);
	if (fd != -1)
		close(fd);
	seccomp_release(ctx);
	return r;
}

int
sandbox_apply(void)
{
	int	 abi;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("sandbox: PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		log_warn("sandbox: PR_SET_DUMPABLE");
		return -1;
	}
	if ((abi = sandbox_landlock()) == -1 || sandbox_seccomp(abi) == -1)
		return -1;
	if (abi > 0)
		log_debug("sandbox: applied (Landlock ABI %d)", abi);
	return 0;
}
