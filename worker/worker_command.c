/*
 * Running a command kind's program in the worker process: see
 * worker_command.h and docs/actors.md, "Commands".
 *
 * Starting.  clone(CLONE_VM | CLONE_VFORK), as glibc's posix_spawn()
 * does inside: the child borrows the worker's memory (no page tables
 * copied, whatever the worker's size) on a stack of its own, and the
 * worker waits the few microseconds until the child's execve().  Unlike
 * posix_spawn(), the child then runs our own steps, system calls only:
 * its own process group, PR_SET_PDEATHSIG (SIGKILL when the worker dies;
 * checked against a worker that died before it), the pipes on 0-2,
 * every other descriptor closed, cwd, rlimits, nice, default signal
 * dispositions and an empty mask, then execve() with exactly the kind's
 * environment.  A step that fails leaves its errno in memory the worker
 * shares, and the run fails with code "spawn".  A helper program would
 * cost a second execve() per command; fork() would copy the worker's
 * page tables for every command.
 *
 * Ending.  The worker is a child subreaper, so whatever a command leaves
 * behind when its parent dies becomes the worker's child, not init's.
 * SIGCHLD (on the loop) looks at each child that ended before reaping it
 * (waitid() with WNOWAIT): for a run's first process, SIGKILL goes to its
 * process group while the zombie still holds the group's id, then the run
 * ends.  Adopted children are told apart by ACTORD_RUN in their
 * environment (/proc/<pid>/environ): one whose run has ended is killed,
 * with its group if it leads one; one without the variable (it replaced
 * its environment) is killed once every run that was running when it
 * was first seen has ended.  A run's timeout or cancel sends SIGTERM
 * (and SIGCONT) to its group and its marked processes, SIGKILL after the
 * kind's grace.
 */
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "mpjson.h"
#include "worker_command.h"
#include "xmalloc.h"

#define SPAWN_STACK	(64 * 1024)	/* the child's until execve() */
#define PID_BUCKETS	256
#define READ_CHUNK	(64 * 1024)	/* one read(2) of a pipe */
#define DRAIN_MAX	(1024 * 1024)	/* read after its exit, per stream */
#define ORPHANS_MAX	1024		/* unmarked adopted children tracked */
#define ENV_READ_MAX	(128 * 1024)	/* of /proc/<pid>/environ */
#define MARKER_EQ	KIND_MARKER "="

enum cmd_state {
	CMD_RUNNING,	/* its first process runs */
	CMD_TERM,	/* SIGTERM sent; SIGKILL after the grace */
	CMD_KILLED,	/* SIGKILL sent */
};

/* stdout or stderr of a run. */
struct stream {
	const char	*name;
	int		 fd;		/* -1: closed */
	struct event	*ev;
	struct capture	 cap;
	char		*pend;		/* streaming: not sent yet */
	size_t		 npend;
	uint64_t	 pend_off;	/* its offset in the stream */
};

struct cmd {
	TAILQ_ENTRY(cmd)	 entry;		/* the runner's, oldest first */
	bool			 linked;	/* on the runner's list */
	struct cmd		*hnext;		/* its pid's bucket */
	struct cmd_runner	*r;
	uint64_t		 seq;		/* start order */
	char			 run[RUN_ID_MAX];	/* ACTORD_RUN */
	char			 task[NAME_MAX_LEN + 1];
	char			 prog[64];	/* for the log */
	pid_t			 pid;		/* its first process */
	pid_t			 pgid;
	enum cmd_state		 state;
	bool			 timed_out;
	uint64_t		 timeout_ms;
	uint64_t		 grace_ms;
	int64_t			 started;	/* mono_ms() */
	struct event		*timer;		/* timeout, then grace */
	int			 in_fd;		/* stdin being written; -1 */
	struct event		*in_ev;
	char			*in_buf;
	size_t			 in_len;
	size_t			 in_off;
	struct stream		 out[2];	/* stdout, stderr */
	bool			 streaming;
	struct event		*flush_ev;
	struct cmd_hooks	 hooks;		/* zeroed by cmd_abort() */
	void			*arg;
};
TAILQ_HEAD(cmd_list, cmd);

/* An adopted child without a marker, and the newest run when it showed. */
struct orphan {
	pid_t		 pid;
	uint64_t	 seen;
};

struct cmd_runner {
	struct event_base	*base;
	struct event		*sigchld;
	struct event		*sweep_ev;
	struct cmd_list		 all;
	size_t			 n;
	size_t			 nalive;	/* first processes not reaped */
	struct cmd		*bucket[PID_BUCKETS];
	uint64_t		 seq;
	long long		 born;		/* ms since the epoch */
	int			 devnull;
	void			*stack;
	struct rlimit		 nofile;	/* what commands get */
	bool			 raised;	/* the worker's is higher */
	void			(*gone)(void *, const char *);
	void			*gone_arg;
	struct orphan		 orphans[ORPHANS_MAX];
	size_t			 norphans;
	msgpack_sbuffer		 sb;		/* a failed start's result */
	char			 data[OUTPUT_CHUNK_MAX + 1];	/* TaskOutput */
	char			 rbuf[READ_CHUNK];
};

/* What the child needs, made ready before clone(). */
struct spawn {
	const char		*path;
	char *const		*argv;
	char *const		*envp;
	const char		*cwd;
	int			 fd[3];		/* to become 0, 1, 2 */
	int			 res[4];	/* rlimits to set */
	struct rlimit		 rl[4];
	int			 nrl;
	int			 nice;
	bool			 has_nice;
	pid_t			 parent;
	int			 report;	/* the child's errno and step */
	int			 err;		/* its errno; 0: it exec'd */
	const char		*step;		/* what failed */
};

static char	envbuf[ENV_READ_MAX];

static void	sigchld_cb(evutil_socket_t, short, void *);
static void	sweep_cb(evutil_socket_t, short, void *);
static void	timer_cb(evutil_socket_t, short, void *);
static void	read_cb(evutil_socket_t, short, void *);
static void	write_cb(evutil_socket_t, short, void *);
static void	flush_cb(evutil_socket_t, short, void *);
static int	spawn_child(void *) __attribute__((no_sanitize_address));

/* The run whose first process is pid, or NULL. */
static struct cmd *
pid_find(struct cmd_runner *r, pid_t pid)
{
	struct cmd	*c;

	for (c = r->bucket[(unsigned)pid % PID_BUCKETS]; c != NULL;
	    c = c->hnext)
		if (c->pid == pid)
			return c;
	return NULL;
}

/* Forget c's first process in the pid table. */
static void
pid_forget(struct cmd_runner *r, struct cmd *c)
{
	struct cmd	**pp;

	for (pp = &r->bucket[(unsigned)c->pid % PID_BUCKETS]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	c->hnext = NULL;
	r->nalive--;
}

/* The running (or dying) run with this marker, or NULL. */
static struct cmd *
run_find(struct cmd_runner *r, const char *run)
{
	struct cmd	*c;

	TAILQ_FOREACH(c, &r->all, entry)
		if (strcmp(c->run, run) == 0)
			return c;
	return NULL;
}

/*
 * ACTORD_RUN of pid's environment into buf: 1, 0 when it has none, -1
 * when it cannot be read (gone, another user's).
 */
static int
proc_marker(pid_t pid, char *buf, size_t size)
{
	char	 path[64], *p, *end;
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < sizeof(envbuf) - 1 &&
	    (n = read(fd, envbuf + len, sizeof(envbuf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	/* Empty: an environment emptied (env -i), or a zombie's. */
	envbuf[len] = '\0';
	for (p = envbuf, end = envbuf + len; p < end; p += strlen(p) + 1)
		if (strncmp(p, MARKER_EQ, sizeof(MARKER_EQ) - 1) == 0) {
			snprintf(buf, size, "%s", p + sizeof(MARKER_EQ) - 1);
			return 1;
		}
	return 0;
}

/* sig to pid, and to its process group if it leads one. */
static void
kill_proc(pid_t pid, int sig)
{
	if (getpgid(pid) == pid)
		kill(-pid, sig);
	kill(pid, sig);
}

/* Stop tracking an unmarked adopted child. */
static void
orphan_forget(struct cmd_runner *r, pid_t pid)
{
	size_t	 i;

	for (i = 0; i < r->norphans; i++)
		if (r->orphans[i].pid == pid) {
			r->orphans[i] = r->orphans[--r->norphans];
			return;
		}
}

/*
 * An adopted child without a marker: kill it once every run that ran
 * when it was first seen has ended (one of them left it).
 */
static void
orphan_judge(struct cmd_runner *r, pid_t pid)
{
	struct cmd	*oldest = TAILQ_FIRST(&r->all);
	size_t		 i;

	for (i = 0; i < r->norphans; i++)
		if (r->orphans[i].pid == pid)
			break;
	if (i == r->norphans) {
		if (r->norphans == ORPHANS_MAX) {
			log_info("killing pid %ld, left by a command without "
			    "its marker (too many to watch)", (long)pid);
			kill_proc(pid, SIGKILL);
			return;
		}
		r->orphans[r->norphans].pid = pid;
		r->orphans[r->norphans++].seen = r->seq;
	}
	if (oldest == NULL || oldest->seq > r->orphans[i].seen) {
		log_info("killing pid %ld, left by a command that has ended "
		    "(it had no %s)", (long)pid, KIND_MARKER);
		kill_proc(pid, SIGKILL);
	}
}

/*
 * The worker's children that are not a run's first process: SIGKILL to
 * those of runs that ended, and judgement on the unmarked ones.
 */
static void
sweep(struct cmd_runner *r)
{
	char	 path[64], val[RUN_ID_MAX], *p, *end;
	pid_t	 pid, self = getpid();
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd, m;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)self, (long)self);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	while (len < sizeof(envbuf) - 1 &&
	    (n = read(fd, envbuf + len, sizeof(envbuf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	envbuf[len] = '\0';
	/* Copied: proc_marker() reads into the same buffer. */
	p = xmalloc(len + 1);
	memcpy(p, envbuf, len + 1);
	for (end = p; *end != '\0'; ) {
		pid = (pid_t)strtol(end, &end, 10);
		if (pid <= 0)
			break;
		if (pid_find(r, pid) != NULL)
			continue;
		m = proc_marker(pid, val, sizeof(val));
		if (m == 1 && run_find(r, val) == NULL) {
			log_info("killing pid %ld, left by run %s", (long)pid,
			    val);
			kill_proc(pid, SIGKILL);
		} else if (m != 1)	/* no marker, or none we may read */
			orphan_judge(r, pid);
	}
	free(p);
}

/* A general sweep, soon: an adopted child ended, or a run. */
static void
sweep_soon(struct cmd_runner *r)
{
	event_active(r->sweep_ev, 0, 0);
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cmd_runner	*r = arg;

	(void)fd;
	(void)what;
	sweep(r);
}

/* sig through fd, or by pid where there are no pidfds (fd -1). */
static void
pid_signal(int fd, pid_t pid, int sig)
{
	if (fd != -1)
		pidfd_send_signal(fd, sig, NULL, 0);
	else	/* an old kernel, or valgrind, which does not know them */
		kill(pid, sig);
}

/*
 * sig to every process marked with c's run but those its group and its
 * first process get anyway: the escaped ones, the worker's children or
 * not (a setsid() child whose parent still runs).  Each through a pidfd
 * opened before its marker is read, so that a pid reused meanwhile gets
 * nothing; by its pid where there are no pidfds (the window is then the
 * microseconds between the read and the kill, as at a restart).  Then,
 * when not 0, a second signal to each (SIGCONT after SIGTERM): one walk.
 */
static void
signal_marked(struct cmd *c, int sig, int then)
{
	DIR		*d;
	struct dirent	*de;
	char		 val[RUN_ID_MAX], *end;
	pid_t		 pid, self = getpid();
	int		 fd;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		pid = (pid_t)strtol(de->d_name, &end, 10);
		if (pid <= 0 || *end != '\0' || pid == self || pid == c->pid)
			continue;
		if ((fd = pidfd_open(pid, 0)) == -1 && errno != ENOSYS)
			continue;	/* gone */
		if (proc_marker(pid, val, sizeof(val)) == 1 &&
		    strcmp(val, c->run) == 0 && getpgid(pid) != c->pgid) {
			pid_signal(fd, pid, sig);
			if (then != 0)
				pid_signal(fd, pid, then);
		}
		if (fd != -1)
			close(fd);
	}
	closedir(d);
}

/*
 * sig to c's process group, to its first process if that left the group
 * (it is our child, unreaped: its pid is still its own), and to the
 * other processes marked with its run.
 */
static void
signal_run(struct cmd *c, int sig)
{
	bool	 left = c->pid > 0 && getpgid(c->pid) != c->pgid;

	if (c->pgid > 0)
		kill(-c->pgid, sig);
	if (left)
		kill(c->pid, sig);
	/* After SIGTERM, SIGCONT: a stopped process would not see it. */
	signal_marked(c, sig, sig == SIGTERM ? SIGCONT : 0);
	if (sig == SIGTERM) {
		if (c->pgid > 0)
			kill(-c->pgid, SIGCONT);
		if (left)
			kill(c->pid, SIGCONT);
	}
}

/* SIGKILL to the whole run now. */
static void
kill_now(struct cmd *c)
{
	c->state = CMD_KILLED;
	evtimer_del(c->timer);
	signal_run(c, SIGKILL);
}

/* SIGTERM to the whole run, SIGKILL after the kind's grace. */
static void
terminate(struct cmd *c)
{
	if (c->state != CMD_RUNNING)
		return;
	if (c->grace_ms == 0) {
		kill_now(c);
		return;
	}
	c->state = CMD_TERM;
	signal_run(c, SIGTERM);
	timer_ms(c->timer, (int64_t)c->grace_ms);
}

/* The timeout, then the grace after SIGTERM. */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cmd	*c = arg;

	(void)fd;
	(void)what;
	switch (c->state) {
	case CMD_RUNNING:
		log_info("task %s: %s timed out after %llu ms", c->task,
		    c->prog, (unsigned long long)c->timeout_ms);
		c->timed_out = true;
		terminate(c);
		break;
	case CMD_TERM:
		kill_now(c);
		break;
	case CMD_KILLED:
		break;
	}
}

/* Send what c's stream st holds for a watcher; final: all of it. */
static void
flush_stream(struct cmd *c, struct stream *st, bool final)
{
	struct cmd_runner	*r = c->r;
	size_t			 k;
	bool			 text;

	if (st->npend == 0 || c->hooks.output == NULL)
		return;
	k = final ? st->npend : utf8_whole(st->pend, st->npend);
	text = k > 0 && output_is_text(st->pend, k);
	if (!text && k < st->npend && st->npend < 4 && !final)
		return;			/* a character's first bytes */
	if (!text)
		k = st->npend;
	if (text) {
		memcpy(r->data, st->pend, k);
		r->data[k] = '\0';
	} else
		base64_encode(st->pend, k, r->data);
	c->hooks.output(c->arg, st->name, st->pend_off, r->data,
	    text ? "" : "base64");
	memmove(st->pend, st->pend + k, st->npend - k);
	st->npend -= k;
	st->pend_off += k;
	/* A character's start that bytes skipped will never complete. */
	if (st->npend > 0 && st->pend_off + st->npend != st->cap.total)
		st->npend = 0;
}

/* Streaming output's coalescing timer. */
static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cmd	*c = arg;

	(void)fd;
	(void)what;
	flush_stream(c, &c->out[0], false);
	flush_stream(c, &c->out[1], false);
	if (c->out[0].npend > 0 || c->out[1].npend > 0)
		timer_ms(c->flush_ev, OUTPUT_FLUSH_MS);
}

/* len bytes came on st: keep them, and for a watcher. */
static void
stream_take(struct cmd *c, struct stream *st, const char *p, size_t len)
{
	uint64_t	 off = st->cap.total;
	size_t		 n;

	capture_add(&st->cap, p, len);
	if (!c->streaming)
		return;
	if (st->npend == 0)
		st->pend_off = off;
	if (st->pend_off + st->npend == off) {
		/* Contiguous; past the chunk, bytes are skipped. */
		n = OUTPUT_RAW_MAX - st->npend;
		if (n > len)
			n = len;
		memcpy(st->pend + st->npend, p, n);
		st->npend += n;
	}
	if (st->npend > 0 && !evtimer_pending(c->flush_ev, NULL))
		timer_ms(c->flush_ev, OUTPUT_FLUSH_MS);
}

/* Close st's pipe. */
static void
stream_close(struct stream *st)
{
	if (st->fd == -1)
		return;
	event_free(st->ev);
	st->ev = NULL;
	close(st->fd);
	st->fd = -1;
}

/* Read st once (max 0) or until it is empty, up to max bytes. */
static void
stream_read(struct cmd *c, struct stream *st, size_t max)
{
	struct cmd_runner	*r = c->r;
	ssize_t			 n;
	size_t			 got = 0;

	while (st->fd != -1) {
		n = read(st->fd, r->rbuf, sizeof(r->rbuf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			stream_close(st);	/* EOF: it closed its end */
			return;
		}
		stream_take(c, st, r->rbuf, (size_t)n);
		got += (size_t)n;
		if (got >= max)
			return;
	}
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cmd	*c = arg;
	struct stream	*st = c->out[0].fd == fd ? &c->out[0] : &c->out[1];

	(void)what;
	stream_read(c, st, 1);
}

/* Close stdin: all written, or the program will not read it. */
static void
stdin_close(struct cmd *c)
{
	if (c->in_fd == -1)
		return;
	if (c->in_ev != NULL)
		event_free(c->in_ev);
	c->in_ev = NULL;
	close(c->in_fd);
	c->in_fd = -1;
	free(c->in_buf);
	c->in_buf = NULL;
}

/* Write stdin as far as the pipe takes it; 1 when it is all written. */
static int
stdin_write(struct cmd *c)
{
	ssize_t	 n;

	while (c->in_off < c->in_len) {
		n = write(c->in_fd, c->in_buf + c->in_off,
		    c->in_len - c->in_off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			break;		/* EPIPE: it closed stdin */
		c->in_off += (size_t)n;
	}
	stdin_close(c);
	return 1;
}

static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	stdin_write(arg);
}

/* "SIGSEGV" for SIGSEGV. */
static const char *
sig_name(int sig, char *buf, size_t size)
{
	const char	*abbrev = sigabbrev_np(sig);

	if (abbrev != NULL)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "signal %d", sig);
	return buf;
}

/*
 * A run's result: {exitCode, signal?, stdout, stderr, truncated: {stdout,
 * stderr}, durationMs, stdoutEncoding?, stderrEncoding?}.  exitCode is nil
 * when it did not exit (a signal, or it never started).
 */
static void
pack_result(msgpack_packer *pk, int status, int64_t ms,
    const struct capture *cap)
{
	msgpack_sbuffer	 sb[2];
	msgpack_packer	 p2[2];
	char		*text, sig[32];
	size_t		 len;
	bool		 cut[2], b64[2];
	int		 i, n = 5;

	/* The streams first: whether each is base64 sizes the map. */
	for (i = 0; i < 2; i++) {
		msgpack_sbuffer_init(&sb[i]);
		msgpack_packer_init(&p2[i], &sb[i], msgpack_sbuffer_write);
		text = capture_text(&cap[i], &len, &cut[i]);
		b64[i] = pack_output(&p2[i], text, len);
		free(text);
		n += b64[i];
	}
	n += status != -1 && WIFSIGNALED(status);
	msgpack_pack_map(pk, n);
	mp_pack_str(pk, "exitCode");
	if (status != -1 && WIFEXITED(status))
		msgpack_pack_int(pk, WEXITSTATUS(status));
	else
		msgpack_pack_nil(pk);
	if (status != -1 && WIFSIGNALED(status))
		mp_pack_kv_str(pk, "signal", sig_name(WTERMSIG(status), sig,
		    sizeof(sig)));
	mp_pack_str(pk, "stdout");
	mp_pack_raw(pk, sb[0].data, sb[0].size);
	mp_pack_str(pk, "stderr");
	mp_pack_raw(pk, sb[1].data, sb[1].size);
	mp_pack_str(pk, "truncated");
	msgpack_pack_map(pk, 2);
	mp_pack_kv_bool(pk, "stdout", cut[0]);
	mp_pack_kv_bool(pk, "stderr", cut[1]);
	mp_pack_kv_uint(pk, "durationMs", ms > 0 ? (uint64_t)ms : 0);
	if (b64[0])
		mp_pack_kv_str(pk, "stdoutEncoding", "base64");
	if (b64[1])
		mp_pack_kv_str(pk, "stderrEncoding", "base64");
	for (i = 0; i < 2; i++)
		msgpack_sbuffer_destroy(&sb[i]);
}

/* Take c off the runner's list: its run no longer counts as running. */
static void
cmd_unlink(struct cmd *c)
{
	if (!c->linked)
		return;
	TAILQ_REMOVE(&c->r->all, c, entry);
	c->r->n--;
	c->linked = false;
}

/* Free c, its descriptors and events; its run is accounted for. */
static void
cmd_free(struct cmd *c)
{
	struct cmd_runner	*r = c->r;
	int			 i;

	cmd_unlink(c);
	if (c->pid > 0)
		pid_forget(r, c);
	event_free(c->timer);
	event_free(c->flush_ev);
	stdin_close(c);
	for (i = 0; i < 2; i++) {
		stream_close(&c->out[i]);
		capture_free(&c->out[i].cap);
		free(c->out[i].pend);
	}
	if (r->gone != NULL)
		r->gone(r->gone_arg, c->run);
	free(c);
}

/*
 * c's first process exited with status (its group already had SIGKILL):
 * read what is left in the pipes, report, kill what it left, free it.
 */
static void
cmd_exited(struct cmd *c, int status)
{
	struct cmd_runner	*r = c->r;
	struct cmd_outcome	 o;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	struct capture		 cap[2];
	char			 sig[32];
	int64_t			 ms = mono_ms() - c->started;

	pid_forget(r, c);
	c->pid = 0;
	evtimer_del(c->timer);
	stream_read(c, &c->out[0], DRAIN_MAX);
	stream_read(c, &c->out[1], DRAIN_MAX);
	stdin_close(c);
	memset(&o, 0, sizeof(o));
	if (c->timed_out) {
		o.failed = true;
		o.code = "timeout";
		snprintf(o.error, sizeof(o.error), "timeout after %llu ms",
		    (unsigned long long)c->timeout_ms);
	} else if (WIFSIGNALED(status)) {
		o.failed = true;
		o.code = "signal";
		snprintf(o.error, sizeof(o.error), "killed by %s",
		    sig_name(WTERMSIG(status), sig, sizeof(sig)));
	} else if (WEXITSTATUS(status) != 0) {
		o.failed = true;
		o.code = "exit";
		snprintf(o.error, sizeof(o.error), "exit %d",
		    WEXITSTATUS(status));
	} else
		o.code = "";
	log_debug("task %s: %s (pid %ld) ended: %s after %lld ms", c->task,
	    c->prog, (long)c->pgid, o.failed ? o.error : "exit 0",
	    (long long)ms);
	if (c->hooks.done != NULL) {
		flush_stream(c, &c->out[0], true);
		flush_stream(c, &c->out[1], true);
		cap[0] = c->out[0].cap;
		cap[1] = c->out[1].cap;
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		pack_result(&pk, status, ms, cap);
		o.result = sb.data;
		o.resultlen = sb.size;
		c->hooks.done(c->arg, &o);
		msgpack_sbuffer_destroy(&sb);
	}
	/* Off the list first: its marked processes are leftovers now. */
	cmd_unlink(c);
	sweep(r);
	cmd_free(c);
}

/* Reap every child that ended: runs' first processes and adopted ones. */
static void
sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cmd_runner	*r = arg;
	struct cmd		*c;
	siginfo_t		 si;
	int			 status, adopted = 0;

	(void)fd;
	(void)what;
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
		    si.si_pid == 0)
			break;
		/* While it is a zombie its group's id is still its own. */
		if ((c = pid_find(r, si.si_pid)) != NULL)
			kill(-c->pgid, SIGKILL);
		if (waitpid(si.si_pid, &status, 0) == -1)
			break;
		if (c != NULL)
			cmd_exited(c, status);
		else {
			orphan_forget(r, si.si_pid);
			adopted = 1;
		}
	}
	if (adopted)
		sweep_soon(r);
}

/* The child's steps, for its report of the one that failed. */
enum spawn_step {
	STEP_SETPGID, STEP_PRCTL, STEP_DUP2, STEP_CLOSE, STEP_CHDIR,
	STEP_RLIMIT, STEP_NICE, STEP_SIGMASK, STEP_EXEC,
};
static const char *const step_names[] = {
	"setpgid", "prctl", "dup2", "close_range", "chdir", "setrlimit",
	"setpriority", "sigprocmask", "exec",
};

/*
 * In the child, until execve(): it shares the worker's memory, so system
 * calls only, nothing that allocates or locks.  A failure writes its
 * errno and step on the report pipe (closed by a successful execve()),
 * and exits 127.
 */
static int
spawn_child(void *arg)
{
	static const unsigned long	 dfl[8];	/* SIG_DFL, no flags */
	struct spawn			*sp = arg;
	sigset_t			 none;
	int				 i, rep[2];

	/*
	 * The worker's handlers must not run here, nor any SIG_IGN stay:
	 * rt_sigaction() itself, since glibc's sigaction() refuses the two
	 * signals it keeps for itself (32 and 33), which an ignoring parent
	 * (make does) would otherwise pass on through execve().  A zeroed
	 * kernel struct sigaction is SIG_DFL with no flags on every arch.
	 */
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			(void)syscall(SYS_rt_sigaction, i, dfl, NULL,
			    (size_t)(NSIG / 8));
	rep[1] = STEP_SETPGID;
	if (setpgid(0, 0) == -1)
		goto fail;
	rep[1] = STEP_PRCTL;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		goto fail;
	if (getppid() != sp->parent)
		_exit(127);		/* the worker died already */
	rep[1] = STEP_DUP2;
	for (i = 0; i < 3; i++)
		if (dup2(sp->fd[i], i) == -1)
			goto fail;
	/* Every other descriptor goes, the report pipe at execve(). */
	rep[1] = STEP_CLOSE;
	if ((sp->report > 3 && syscall(SYS_close_range, 3U,
	    (unsigned)sp->report - 1, 0U) == -1) ||
	    syscall(SYS_close_range, (unsigned)sp->report + 1, ~0U, 0U) == -1)
		goto fail;
	rep[1] = STEP_CHDIR;
	if (chdir(sp->cwd) == -1)
		goto fail;
	rep[1] = STEP_RLIMIT;
	for (i = 0; i < sp->nrl; i++)
		if (setrlimit(sp->res[i], &sp->rl[i]) == -1)
			goto fail;
	rep[1] = STEP_NICE;
	if (sp->has_nice && setpriority(PRIO_PROCESS, 0, sp->nice) == -1)
		goto fail;
	sigemptyset(&none);
	rep[1] = STEP_SIGMASK;
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		goto fail;
	rep[1] = STEP_EXEC;
	execve(sp->path, sp->argv, sp->envp);
fail:
	rep[0] = errno;
	(void)!write(sp->report, rep, sizeof(rep));
	_exit(127);
}

/*
 * Start sp's program; its pid, or -1 with sp->err and sp->step.  The
 * child's report comes on a pipe rather than in the memory it shares:
 * under Valgrind, which turns CLONE_VM | CLONE_VFORK into a fork, the
 * pipe still tells.
 */
static pid_t
spawn(struct cmd_runner *r, struct spawn *sp)
{
	sigset_t	 all, old;
	pid_t		 pid;
	ssize_t		 n;
	int		 e, status, rep[2], p[2];

	(void)r;
	sp->parent = getpid();
	sp->err = 0;
	sp->step = NULL;
	if (pipe2(p, O_CLOEXEC) == -1) {
		sp->err = errno;
		sp->step = "pipe";
		return -1;
	}
	sp->report = p[1];
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = clone(spawn_child, (char *)r->stack + SPAWN_STACK,
	    CLONE_VM | CLONE_VFORK | SIGCHLD, sp);
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	if (pid == -1) {
		close(p[0]);
		sp->err = e;
		sp->step = "clone";
		return -1;
	}
	while ((n = read(p[0], rep, sizeof(rep))) == -1 && errno == EINTR)
		;
	close(p[0]);
	if (n == (ssize_t)sizeof(rep)) {
		sp->err = rep[0];
		sp->step = rep[1] >= 0 && rep[1] <= STEP_EXEC ?
		    step_names[rep[1]] : "?";
		/* It has exited (or is about to): reap it here. */
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		return -1;
	}
	return pid;
}

/* An rlimit for sp: v, or none for 0; hard at most the worker's. */
static void
spawn_limit(struct spawn *sp, int res, uint64_t v, uint64_t extra)
{
	struct rlimit	 cur;

	if (v == 0 || getrlimit(res, &cur) == -1)
		return;
	sp->res[sp->nrl] = res;
	sp->rl[sp->nrl].rlim_max = v + extra;
	if (cur.rlim_max != RLIM_INFINITY && sp->rl[sp->nrl].rlim_max >
	    cur.rlim_max)
		sp->rl[sp->nrl].rlim_max = cur.rlim_max;
	sp->rl[sp->nrl].rlim_cur = v < sp->rl[sp->nrl].rlim_max ? v :
	    sp->rl[sp->nrl].rlim_max;
	sp->nrl++;
}

/* A failed start: o says why, with a result of nothing. */
static void
start_failed(struct cmd_runner *r, struct cmd_outcome *o, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
start_failed(struct cmd_runner *r, struct cmd_outcome *o, const char *fmt,
    ...)
{
	struct capture	 none[2];
	msgpack_packer	 pk;
	va_list		 ap;

	memset(o, 0, sizeof(*o));
	o->failed = true;
	o->code = "spawn";
	va_start(ap, fmt);
	vsnprintf(o->error, sizeof(o->error), fmt, ap);
	va_end(ap);
	capture_init(&none[0], 64);
	capture_init(&none[1], 64);
	msgpack_sbuffer_clear(&r->sb);
	msgpack_packer_init(&pk, &r->sb, msgpack_sbuffer_write);
	pack_result(&pk, -1, 0, none);
	o->result = r->sb.data;
	o->resultlen = r->sb.size;
}

/* A pipe whose end `mine` (0 or 1) is the worker's, non-blocking. */
static int
make_pipe(int p[2], int mine)
{
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	return fcntl(p[mine], F_SETFL, O_NONBLOCK);
}

static void
close_pair(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	p[0] = p[1] = -1;
}

struct cmd *
cmd_start(struct cmd_runner *r, const struct cmd_spec *s,
    const struct cmd_hooks *hooks, void *arg, struct cmd_outcome *o)
{
	const struct kind_conf	*k = s->kind;
	const msgpack_object	*in = s->input;
	struct spawn		 sp;
	struct cmd		*c = NULL;
	char			**argv = NULL, **envp = NULL, *w;
	char			*marker = NULL;
	char			 why[ERROR_TEXT_MAX + 1], *json = NULL;
	int			 pin[2] = { -1, -1 }, pout[2] = { -1, -1 };
	int			 perr[2] = { -1, -1 }, i, nargs = 0;
	size_t			 jsonlen = 0;
	pid_t			 pid;

	if (kind_check_input(k, in, why, sizeof(why)) == -1) {
		start_failed(r, o, "%s", why);
		return NULL;
	}
	if (k->input == KIND_INPUT_STDIN &&
	    (json = kind_stdin_json(in, &jsonlen)) == NULL) {
		start_failed(r, o, "the input cannot be written as JSON");
		return NULL;
	}
	if (k->input == KIND_INPUT_ARGS && in != NULL &&
	    in->type == MSGPACK_OBJECT_ARRAY)
		nargs = (int)in->via.array.size;

	/* argv: the kind's words, then the task's; env: the marker first. */
	argv = xcalloc((size_t)(k->argc + nargs + 1), sizeof(*argv));
	for (i = 0, w = (char *)(uintptr_t)k->argv; i < k->argc; i++) {
		argv[i] = w;
		w += strlen(w) + 1;
	}
	for (i = 0; i < nargs; i++) {
		argv[k->argc + i] = xmalloc(in->via.array.ptr[i].via.str.size +
		    1);
		memcpy(argv[k->argc + i], in->via.array.ptr[i].via.str.ptr,
		    in->via.array.ptr[i].via.str.size);
		argv[k->argc + i][in->via.array.ptr[i].via.str.size] = '\0';
	}
	c = xcalloc(1, sizeof(*c));
	c->r = r;
	c->seq = ++r->seq;
	snprintf(c->run, sizeof(c->run), "%ld.%lld.%llu", (long)getpid(),
	    r->born, (unsigned long long)c->seq);
	xasprintf(&marker, "%s%s", MARKER_EQ, c->run);
	envp = xcalloc((size_t)k->nenv + 2, sizeof(*envp));
	envp[0] = marker;
	for (i = 0, w = (char *)(uintptr_t)k->env; i < k->nenv; i++) {
		envp[i + 1] = w;
		w += strlen(w) + 1;
	}

	if ((json != NULL && make_pipe(pin, 1) == -1) ||
	    make_pipe(pout, 0) == -1 || make_pipe(perr, 0) == -1) {
		start_failed(r, o, "cannot start %s: pipe: %s", k->argv,
		    strerror(errno));
		goto fail;
	}
	memset(&sp, 0, sizeof(sp));
	sp.path = k->argv;
	sp.argv = argv;
	sp.envp = envp;
	sp.cwd = k->cwd;
	sp.fd[0] = json != NULL ? pin[0] : r->devnull;
	sp.fd[1] = pout[1];
	sp.fd[2] = perr[1];
	spawn_limit(&sp, RLIMIT_CPU, k->rlimit_cpu_s, 1);
	spawn_limit(&sp, RLIMIT_AS, k->rlimit_as_bytes, 0);
	if (k->rlimit_nofile > 0)
		spawn_limit(&sp, RLIMIT_NOFILE, k->rlimit_nofile, 0);
	else if (r->raised) {
		sp.res[sp.nrl] = RLIMIT_NOFILE;
		sp.rl[sp.nrl++] = r->nofile;
	}
	sp.nice = k->nice;
	sp.has_nice = k->has_nice;
	if ((pid = spawn(r, &sp)) == -1) {
		if (strcmp(sp.step, "exec") == 0)
			start_failed(r, o, "cannot run %s: %s", k->argv,
			    strerror(sp.err));
		else
			start_failed(r, o, "cannot start %s: %s: %s", k->argv,
			    sp.step, strerror(sp.err));
		log_info("task %s: %s", s->task_id, o->error);
		goto fail;
	}

	c->pid = c->pgid = pid;
	snprintf(c->task, sizeof(c->task), "%s", s->task_id);
	snprintf(c->prog, sizeof(c->prog), "%.*s", (int)sizeof(c->prog) - 1,
	    k->argv);
	c->timeout_ms = s->timeout_ms;
	c->grace_ms = k->grace_ms;
	c->started = mono_ms();
	c->hooks = *hooks;
	c->arg = arg;
	c->hnext = r->bucket[(unsigned)pid % PID_BUCKETS];
	r->bucket[(unsigned)pid % PID_BUCKETS] = c;
	r->nalive++;
	TAILQ_INSERT_TAIL(&r->all, c, entry);
	c->linked = true;
	r->n++;
	if ((c->timer = evtimer_new(r->base, timer_cb, c)) == NULL ||
	    (c->flush_ev = evtimer_new(r->base, flush_cb, c)) == NULL)
		fatalx("worker: evtimer_new");
	for (i = 0; i < 2; i++) {
		c->out[i].name = i == 0 ? "stdout" : "stderr";
		c->out[i].fd = i == 0 ? pout[0] : perr[0];
		capture_init(&c->out[i].cap, (size_t)k->max_output_bytes);
		if ((c->out[i].ev = event_new(r->base, c->out[i].fd,
		    EV_READ | EV_PERSIST, read_cb, c)) == NULL ||
		    event_add(c->out[i].ev, NULL) == -1)
			fatalx("worker: event_new");
		close(i == 0 ? pout[1] : perr[1]);
	}
	c->in_fd = -1;
	if (json != NULL) {
		close(pin[0]);
		c->in_fd = pin[1];
		c->in_buf = json;
		c->in_len = jsonlen;
		json = NULL;
		if (!stdin_write(c) && ((c->in_ev = event_new(r->base,
		    c->in_fd, EV_WRITE | EV_PERSIST, write_cb, c)) == NULL ||
		    event_add(c->in_ev, NULL) == -1))
			fatalx("worker: event_new");
	}
	if (s->stream)
		cmd_stream(c, true);
	if (c->timeout_ms > 0)
		timer_ms(c->timer, (int64_t)c->timeout_ms);
	log_debug("task %s: %s started (pid %ld, run %s)", c->task, c->prog,
	    (long)pid, c->run);
	for (i = 0; i < nargs; i++)
		free(argv[k->argc + i]);
	free(argv);
	free(envp);
	free(marker);
	return c;
fail:
	close_pair(pin);
	close_pair(pout);
	close_pair(perr);
	for (i = 0; i < nargs; i++)
		free(argv[k->argc + i]);
	free(argv);
	free(envp);
	free(marker);
	free(json);
	free(c);
	return NULL;
}

void
cmd_abort(struct cmd *c)
{
	log_info("task %s: %s (pid %ld) cancelled", c->task, c->prog,
	    (long)c->pgid);
	cmd_stream(c, false);
	memset(&c->hooks, 0, sizeof(c->hooks));
	c->arg = NULL;
	terminate(c);
}

void
cmd_stream(struct cmd *c, bool on)
{
	int	 i;

	if (on == c->streaming)
		return;
	c->streaming = on;
	for (i = 0; i < 2; i++) {
		if (on && c->out[i].pend == NULL)
			c->out[i].pend = xmalloc(OUTPUT_RAW_MAX);
		c->out[i].npend = 0;
		/* A watcher that comes late sees what was written so far. */
		if (on)
			c->out[i].npend = capture_last(&c->out[i].cap,
			    c->out[i].pend, OUTPUT_RAW_MAX, &c->out[i].pend_off);
		if (!on) {
			free(c->out[i].pend);
			c->out[i].pend = NULL;
		}
	}
	if (!on)
		evtimer_del(c->flush_ev);
	else if (c->out[0].npend > 0 || c->out[1].npend > 0)
		timer_ms(c->flush_ev, 0);
}

const char *
cmd_run_id(const struct cmd *c)
{
	return c->run;
}

pid_t
cmd_pgid(const struct cmd *c)
{
	return c->pgid;
}

size_t
cmd_runner_count(const struct cmd_runner *r)
{
	return r->n;
}

struct cmd_runner *
cmd_runner_new(struct event_base *base, void (*gone)(void *, const char *),
    void *arg)
{
	struct cmd_runner	*r = xcalloc(1, sizeof(*r));
	struct timespec		 ts;
	int			 fd;

	/* Descriptors 0-2 open, so that no pipe lands on one of them. */
	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("prctl PR_SET_CHILD_SUBREAPER: processes that leave "
		    "a command's group will not be found");
	signal(SIGPIPE, SIG_IGN);
	/* Room for many pipes; commands get the limit as it was. */
	if (getrlimit(RLIMIT_NOFILE, &r->nofile) == 0 &&
	    r->nofile.rlim_cur < r->nofile.rlim_max) {
		struct rlimit	 raised = r->nofile;

		raised.rlim_cur = raised.rlim_max;
		r->raised = setrlimit(RLIMIT_NOFILE, &raised) == 0;
	}
	r->base = base;
	TAILQ_INIT(&r->all);
	clock_gettime(CLOCK_REALTIME, &ts);
	r->born = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	r->gone = gone;
	r->gone_arg = arg;
	msgpack_sbuffer_init(&r->sb);
	if ((r->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	r->stack = mmap(NULL, SPAWN_STACK, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (r->stack == MAP_FAILED)
		fatal("mmap");
	if ((r->sigchld = evsignal_new(base, SIGCHLD, sigchld_cb, r)) ==
	    NULL || evsignal_add(r->sigchld, NULL) == -1 ||
	    (r->sweep_ev = event_new(base, -1, 0, sweep_cb, r)) == NULL)
		fatalx("worker: evsignal_new");
	return r;
}

void
cmd_runner_kill_all(struct cmd_runner *r)
{
	struct cmd	*c;

	TAILQ_FOREACH(c, &r->all, entry)
		if (c->pid > 0)
			kill_now(c);
}

void
cmd_runner_free(struct cmd_runner *r)
{
	struct cmd	*c;
	int		 status;

	if (r == NULL)
		return;
	cmd_runner_kill_all(r);
	r->gone = NULL;		/* their records stay for the next start */
	while ((c = TAILQ_FIRST(&r->all)) != NULL) {
		if (c->pid > 0)
			while (waitpid(c->pid, &status, 0) == -1 &&
			    errno == EINTR)
				;
		cmd_free(c);
	}
	event_free(r->sigchld);
	event_free(r->sweep_ev);
	close(r->devnull);
	munmap(r->stack, SPAWN_STACK);
	msgpack_sbuffer_destroy(&r->sb);
	free(r);
}

int
cmd_kill_leftovers(const char *const *runs, const pid_t *pgids, size_t n)
{
	DIR		*d;
	struct dirent	*de;
	char		 val[RUN_ID_MAX], *end;
	pid_t		 pid, self = getpid(), pg;
	size_t		 i;
	int		 killed = 0;

	if (n == 0 || (d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid = (pid_t)strtol(de->d_name, &end, 10);
		if (pid <= 0 || *end != '\0' || pid == self ||
		    proc_marker(pid, val, sizeof(val)) != 1)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(val, runs[i]) == 0)
				break;
		if (i == n)
			continue;
		pg = getpgid(pid);
		if (pg > 0 && pg == pgids[i])
			kill(-pg, SIGKILL);
		kill_proc(pid, SIGKILL);
		log_info("killed pid %ld, left running by run %s of the "
		    "previous worker process", (long)pid, val);
		killed++;
	}
	closedir(d);
	return killed;
}
