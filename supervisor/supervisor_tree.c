/*
 * The children of actord: their life as one state x event table, and the
 * walk that enforces the start order beside it.
 *
 * Every child has a state (enum child_state) and two wishes: `want` (it
 * should be running) and `stop_pending` (it must be stopped first, e.g.
 * for a restart).  An event (an operator's command, Ready, a timer, an
 * exit, or the walk's turn) runs the action that actions[] names for the
 * child's state, and only those actions change a state.  tree_step() then
 * does the one next thing the wishes call for, in order: stops in reverse
 * start order, one at a time, then starts in start order, each after the
 * one before it is Ready.  So the initial start, the strategies, operator
 * commands and shutdown are all the same walk.
 *
 * The tree names no part above it.  They watch it through hooks
 * (tree_watch()), and hand it the table of what a child may say on its
 * channel (tree_init()), which the tree dispatches.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "actor.h"
#include "child.h"
#include "clock.h"
#include "log.h"
#include "peer.h"
#include "sdnotify.h"
#include "supervisor.h"

#define WATCHERS_MAX	4	/* parts watching the tree */

enum child_event {
	EV_START,	/* operator: run it, even after a failure */
	EV_STOP,	/* operator, or the tree's shutdown: keep it down */
	EV_RESTART,	/* operator: stop it if it runs, then run it */
	EV_SIBLING,	/* the strategy restarts it with a sibling that died */
	EV_TERM,	/* the walk: its turn to stop (stop_pending) */
	EV_SPAWN,	/* the walk: its turn to start (want, down) */
	EV_READY,	/* it said Ready on its channel */
	EV_TIMER,	/* its timer: backoff over, Ready or exit overdue */
	EV_EXIT,	/* it was reaped; c->wstatus says how it ended */
	EV_COUNT
};

typedef void	(*action_fn)(struct child *);

static void	nop(struct child *);
static void	on(struct child *);
static void	off(struct child *);
static void	wake(struct child *);
static void	halt(struct child *);
static void	cancel(struct child *);
static void	again(struct child *);
static void	mark(struct child *);
static void	clear(struct child *);
static void	drop(struct child *);
static void	term(struct child *);
static void	spawn(struct child *);
static void	ready(struct child *);
static void	retry(struct child *);
static void	late(struct child *);
static void	force(struct child *);
static void	died(struct child *);
static void	gone(struct child *);

/*
 * The life of a child: actions[state][event].  A row is a state, a column
 * an event, a cell the action that event takes in that state:
 *
 *	nop	nothing (an event that cannot matter there)
 *	on	want it running (and forget its quick restarts)
 *	off	want it down
 *	wake	on, and out of backoff or failed into down now
 *	halt	off, and have the walk stop it
 *	cancel	off, and out of backoff into down now
 *	again	want it running, and have the walk stop it first
 *	mark	have the walk stop it (want stays: it comes back)
 *	clear	the walk found nothing to stop
 *	drop	the walk found it in backoff: down now if not wanted
 *	term	SIGTERM, then stopping, with the shutdown timer
 *	spawn	fork and exec it: starting, with the Ready timer
 *	ready	up
 *	retry	backoff over: down, so that the walk starts it
 *	late	not Ready in time: SIGKILL
 *	force	still running after SIGTERM: SIGKILL
 *	died	it ended while running: stopped if asked, else by its
 *		restart type, the intensity and the backoff (failed after
 *		exit 100)
 *	gone	it ended while stopping: down
 *
 *	  START	STOP	RESTART	SIBLING	TERM	SPAWN	READY	TIMER	EXIT
 */
static const action_fn actions[CS_COUNT][EV_COUNT] = {
	[CS_DOWN] =
	{ on,	off,	on,	nop,	clear,	spawn,	nop,	nop,	nop },
	[CS_STARTING] =
	{ on,	halt,	again,	mark,	term,	nop,	ready,	late,	died },
	[CS_UP] =
	{ on,	halt,	again,	mark,	term,	nop,	nop,	nop,	died },
	[CS_BACKOFF] =
	{ wake,	cancel,	wake,	nop,	drop,	nop,	nop,	retry,	nop },
	[CS_STOPPING] =
	{ on,	off,	on,	nop,	clear,	nop,	nop,	force,	gone },
	[CS_FAILED] =
	{ wake,	off,	wake,	nop,	clear,	nop,	nop,	nop,	nop },
};

static const char *const state_names[CS_COUNT] = {
	[CS_DOWN] = "down", [CS_STARTING] = "starting", [CS_UP] = "up",
	[CS_BACKOFF] = "backoff", [CS_STOPPING] = "stopping",
	[CS_FAILED] = "failed",
};

static const struct chan_handler *chan_table;	/* tree_init()'s */
static size_t			 chan_rows;
static const struct tree_watcher *watchers[WATCHERS_MAX];
static int			 nwatchers;

static void	child_timer_cb(evutil_socket_t, short, void *);
static void	chan_message(struct peer *, struct envelope *, void *);
static void	chan_closed(struct peer *, void *);
static void	shutdown_begin(int code);
static void	tree_log(const char *level, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static const struct peer_cb chan_cb = {
	.message = chan_message,
	.closed = chan_closed,
};

const char *
tree_state_name(enum child_state st)
{
	return state_names[st];
}

/* Every child down and wanted; chan is what they may say on a channel. */
void
tree_init(const struct chan_handler *chan, size_t nchan)
{
	struct child	*c;
	int		 i;

	chan_table = chan;
	chan_rows = nchan;
	for (i = 0; i < CHILD_COUNT; i++) {
		c = &sup->child[i];
		c->id = i;
		c->name = child_specs[i].name;
		c->state = CS_DOWN;
		c->absent = !config_child_runs(&sup->cfg, i);
		c->want = !c->absent;
		c->timer = evtimer_new(rt_base(), child_timer_cb, c);
		if (c->timer == NULL)
			fatalx("evtimer_new");
	}
}

/* Add a watcher: its hooks run on every change from now on. */
void
tree_watch(const struct tree_watcher *w)
{
	if (nwatchers == WATCHERS_MAX)
		fatalx("tree_watch: more than %d watchers", WATCHERS_MAX);
	watchers[nwatchers++] = w;
}

/* Hand an event of the tree to the watchers that log them. */
static void
tree_log(const char *level, const char *fmt, ...)
{
	char	 text[512];
	va_list	 ap;
	int	 i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (i = 0; i < nwatchers; i++)
		if (watchers[i]->event != NULL)
			watchers[i]->event(level, text);
}

/* Run the action the table names for c's state and ev. */
static void
child_event(struct child *c, enum child_event ev)
{
	actions[c->state][ev](c);
}

/* The one way to a new state, for the actions only. */
static void
set_state(struct child *c, enum child_state st)
{
	if (c->state == st)
		return;
	log_debug("%s: %s -> %s", c->name, state_names[c->state],
	    state_names[st]);
	c->state = st;
	tree_changed();
}

/*
 * The actions of the table, as its legend says; each changes the wishes,
 * the state, or sends a signal, and leaves the next step to the walk.
 */
static void
nop(struct child *c)
{
	(void)c;
}

static void
on(struct child *c)
{
	c->want = 1;
	c->quick = 0;
}

static void
off(struct child *c)
{
	c->want = 0;
}

/* Out of backoff or failed: down now, so that the walk starts it. */
static void
wake(struct child *c)
{
	on(c);
	evtimer_del(c->timer);
	set_state(c, CS_DOWN);
}

static void
halt(struct child *c)
{
	c->want = 0;
	c->stop_pending = 1;
}

static void
cancel(struct child *c)
{
	c->want = 0;
	evtimer_del(c->timer);
	set_state(c, CS_DOWN);
}

static void
again(struct child *c)
{
	c->want = 1;
	c->stop_pending = 1;
}

static void
mark(struct child *c)
{
	c->stop_pending = 1;
}

static void
clear(struct child *c)
{
	c->stop_pending = 0;
}

/* The walk met it in backoff: a restart it no longer wants is off. */
static void
drop(struct child *c)
{
	c->stop_pending = 0;
	if (!c->want)
		cancel(c);
}

/* Send SIGTERM and arm the SIGKILL timer. */
static void
term(struct child *c)
{
	c->stop_pending = 0;
	if (c->pid <= 0) {
		set_state(c, CS_DOWN);
		return;
	}
	log_debug("%s: stopping pid %ld", c->name, (long)c->pid);
	c->term_sent = 1;
	kill(c->pid, SIGTERM);
	set_state(c, CS_STOPPING);
	evtimer_del(c->timer);
	timer_ms(c->timer, sup->cfg.child[c->id].shutdown_timeout_ms);
}

/* Fork and exec one child with its channel and its socket. */
static void
spawn(struct child *c)
{
	struct child_fds	 fds;
	char			 path[CONFIG_PATH_MAX + 32];
	char			 envcfg[CONFIG_PATH_MAX + 16];
	char			*argv[2], *env[2];
	int			 sv[2];
	pid_t			 pid;

	snprintf(path, sizeof(path), "%s/%s", sup->cfg.program_dir, c->name);
	snprintf(envcfg, sizeof(envcfg), "ACTORD_CONFIG=%s",
	    sup->config_path ? sup->cfg.path : "");
	argv[0] = (char *)(uintptr_t)c->name;
	argv[1] = NULL;
	env[0] = envcfg;
	env[1] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: socketpair", c->name);
		goto fail;
	}
	fds.fds[0] = sv[1];
	fds.fds[1] = c->listen_fd;
	fds.nfds = 2;
	if ((pid = child_spawn(path, argv, &fds, env)) == -1) {
		log_warn("%s: fork", c->name);
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	close(sv[1]);
	c->pid = pid;
	c->chan = peer_new_fd(sv[0], &(struct peer_limits){
	    .max_frame = (size_t)sup->cfg.max_frame_bytes,
	    .high_water = (size_t)sup->cfg.queue_high_bytes,
	    .max_queue = (size_t)sup->cfg.queue_max_bytes,
	    .retry_initial_ms = 1, .retry_max_ms = 1 }, &chan_cb, c);
	peer_set_name(c->chan, c->name);
	c->started_ms = mono_ms();
	c->term_sent = 0;
	c->starts++;
	c->msgs_in = c->msgs_out = c->mailbox = 0;
	c->counted_ms = 0;
	c->counts_moved = 0;
	log_debug("%s: started, pid %ld", c->name, (long)pid);
	set_state(c, CS_STARTING);
	timer_ms(c->timer, sup->cfg.ready_timeout_ms);
	return;
fail:
	/* Treat like an immediate crash, so intensity applies. */
	c->pid = 0;
	set_state(c, CS_BACKOFF);
	timer_ms(c->timer, sup->cfg.backoff_max_ms ? sup->cfg.backoff_max_ms :
	    1000);
}

/* The child reported Ready on its channel. */
static void
ready(struct child *c)
{
	evtimer_del(c->timer);
	c->up_ms = mono_ms();
	c->ever_ready = 1;
	log_info("%s: up, pid %ld (%lld ms)", c->name, (long)c->pid,
	    (long long)(c->up_ms - c->started_ms));
	set_state(c, CS_UP);
}

static void
retry(struct child *c)
{
	set_state(c, CS_DOWN);
}

/* Not Ready within ready_timeout_ms: kill it; its exit restarts it. */
static void
late(struct child *c)
{
	log_warnx("%s: not ready within %d ms; killing pid %ld",
	    c->name, sup->cfg.ready_timeout_ms, (long)c->pid);
	kill(c->pid, SIGKILL);
}

/* Still there shutdown_timeout_ms after SIGTERM: SIGKILL. */
static void
force(struct child *c)
{
	log_warnx("%s: still running %d ms after SIGTERM; sending "
	    "SIGKILL to pid %ld", c->name,
	    sup->cfg.child[c->id].shutdown_timeout_ms, (long)c->pid);
	kill(c->pid, SIGKILL);
}

/* Mark the siblings the strategy restarts along with c. */
static void
apply_strategy(struct child *c)
{
	struct child	*s;
	int		 i;

	for (i = 0; i < CHILD_COUNT; i++) {
		s = &sup->child[i];
		if (s == c || s->absent)
			continue;
		if (sup->cfg.strategy == STRATEGY_ONE_FOR_ALL ||
		    (sup->cfg.strategy == STRATEGY_REST_FOR_ONE &&
		    s->id > c->id))
			child_event(s, EV_SIBLING);
	}
}

/* It ended while running: asked to, or decide what follows. */
static void
died(struct child *c)
{
	int64_t	 uptime = mono_ms() - c->started_ms;
	int	 status = c->wstatus, delay;

	if (c->term_sent || sup->shutting_down) {
		set_state(c, CS_DOWN);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_USAGE) {
		log_warnx("%s: configuration or usage error; not restarting "
		    "it (fix it, then: actorctl start %s)", c->name, c->name);
		c->want = 0;
		set_state(c, CS_FAILED);
		if (!sup->ready_sent)
			shutdown_begin(EXIT_USAGE);
		return;
	}
	if (!restart_wanted(sup->cfg.child[c->id].restart, status)) {
		c->want = 0;
		set_state(c, CS_DOWN);
		return;
	}
	if (intensity_exceeded(&sup->intensity, mono_ms(),
	    sup->cfg.max_restarts, sup->cfg.max_seconds)) {
		log_warnx("more than %d restarts in %d s: stopping the tree",
		    sup->cfg.max_restarts, sup->cfg.max_seconds);
		tree_log("error", "restart intensity exceeded: stopping the "
		    "tree");
		set_state(c, CS_DOWN);
		shutdown_begin(EXIT_FAILURE_RT);
		return;
	}
	if (uptime >= sup->cfg.stable_ms)
		c->quick = 0;
	delay = backoff_delay_ms(c->quick, sup->cfg.backoff_initial_ms,
	    sup->cfg.backoff_max_ms);
	c->quick++;
	sup->total_restarts++;
	apply_strategy(c);
	if (delay > 0) {
		log_info("%s: restarting in %d ms", c->name, delay);
		set_state(c, CS_BACKOFF);
		timer_ms(c->timer, delay);
	} else
		set_state(c, CS_DOWN);
}

static void
gone(struct child *c)
{
	set_state(c, CS_DOWN);
}

/* One-line summary for STATUS= and logs. */
static void
status_line(char *buf, size_t size)
{
	snprintf(buf, size, "%d/%d up, %d sessions, %d restarts",
	    tree_up_count(), tree_count(), sup->nsessions,
	    sup->total_restarts);
}

/* Stop in reverse order, then start in order; one step at a time. */
void
tree_step(void)
{
	struct child	*c;
	char		 st[128];
	int		 i, all_down = 1, all_up = 1;

	for (i = CHILD_COUNT - 1; i >= 0; i--) {
		c = &sup->child[i];
		if (c->state == CS_STOPPING)
			return;
		if (c->stop_pending) {
			child_event(c, EV_TERM);
			if (c->state == CS_STOPPING)
				return;
		}
	}
	for (i = 0; i < CHILD_COUNT && !sup->shutting_down; i++) {
		c = &sup->child[i];
		if (c->state == CS_STARTING)
			break;
		if (c->want && c->state == CS_DOWN) {
			child_event(c, EV_SPAWN);
			break;
		}
	}
	for (i = 0; i < CHILD_COUNT; i++) {
		c = &sup->child[i];
		if (c->state != CS_DOWN && c->state != CS_FAILED)
			all_down = 0;
		if (c->want && c->state != CS_UP)
			all_up = 0;
	}
	if (sup->shutting_down && all_down) {
		for (i = 0; i < nwatchers; i++)
			if (watchers[i]->down != NULL)
				watchers[i]->down();
		rt_stop();	/* send what is held, then leave the loop */
		return;
	}
	if (all_up && !sup->ready_sent && !sup->shutting_down) {
		sup->ready_sent = 1;
		status_line(st, sizeof(st));
		log_info("ready: %s; dashboard on http://%s/", st,
		    sup->listen_addr);
		sdnotify("READY=1\nSTATUS=%s", st);
	}
}

/* The children this host runs. */
int
tree_count(void)
{
	int	 i, n = 0;

	for (i = 0; i < CHILD_COUNT; i++)
		n += !sup->child[i].absent;
	return n;
}

int
tree_up_count(void)
{
	int	 i, n = 0;

	for (i = 0; i < CHILD_COUNT; i++)
		if (sup->child[i].state == CS_UP)
			n++;
	return n;
}

/* Every wanted child is up or on its way: the watchdog may be fed. */
bool
tree_healthy(void)
{
	int	 i;

	for (i = 0; i < CHILD_COUNT; i++)
		if (sup->child[i].want && sup->child[i].state != CS_UP &&
		    sup->child[i].state != CS_STARTING)
			return false;
	return true;
}

/* STATUS= for systemd, then every watcher's changed hook. */
void
tree_changed(void)
{
	char	 st[128];
	int	 i;

	if (sup->ready_sent && !sup->shutting_down) {
		status_line(st, sizeof(st));
		sdnotify("STATUS=%s", st);
	}
	for (i = 0; i < nwatchers; i++)
		if (watchers[i]->changed != NULL)
			watchers[i]->changed();
}

/* Ready, on c's channel: its row of the channel table. */
void
tree_ready(struct child *c, const struct envelope *env)
{
	(void)env;
	child_event(c, EV_READY);
	tree_step();
}

/*
 * A message on c's channel: to its row of the channel table, decoded
 * once through its type's shape (the MSG_UNKNOWN row's: undecoded).  A
 * child is one of ours: a payload that does not fit is a bug, logged.
 */
static void
chan_message(struct peer *p, struct envelope *env, void *arg)
{
	struct child			*c = arg;
	const struct chan_handler	*h = NULL;
	union msg_body			 body;
	enum err_code			 code;
	char				 why[256];
	size_t				 i;

	(void)p;
	for (i = 0; i < chan_rows; i++) {
		if (chan_table[i].type == env->type) {
			h = &chan_table[i];
			break;
		}
		if (chan_table[i].type == MSG_UNKNOWN)
			h = &chan_table[i];
	}
	if (h == NULL) {
		log_debug("%s: unexpected %s on its channel", c->name,
		    msg_name(env->type));
		return;
	}
	if (h->type != MSG_UNKNOWN) {
		if (msg_decode(env->type, env->payload, &body, &code, why,
		    sizeof(why)) == -1) {
			log_warnx("%s: %s on its channel: %s; dropped",
			    c->name, msg_name(env->type), why);
			return;
		}
		env->body = &body;
	}
	h->fn(c, env);
	env->body = NULL;
}

/*
 * c's channel is gone, closed by the child or by us at its exit, which
 * comes first: forget it, and tell the watchers.
 */
static void
chan_gone(struct child *c)
{
	int	 i;

	c->chan = NULL;
	c->tree_sub = 0;
	for (i = 0; i < nwatchers; i++)
		if (watchers[i]->closed != NULL)
			watchers[i]->closed(c);
}

/* c's channel closed: forget it (its exit comes by SIGCHLD). */
static void
chan_closed(struct peer *p, void *arg)
{
	(void)p;
	chan_gone(arg);
}

/* Timers: backoff over, Ready overdue, or shutdown timeout. */
static void
child_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child	*c = arg;

	(void)fd;
	(void)what;
	child_event(c, EV_TIMER);
	tree_step();
}

/* A child exited: record it, log it, decide, step. */
void
tree_reaped(pid_t pid, int status)
{
	struct child	*c = NULL;
	char		 how[64];
	int64_t		 uptime;
	int		 i, expected;

	for (i = 0; i < CHILD_COUNT; i++)
		if (sup->child[i].pid == pid)
			c = &sup->child[i];
	child_exit_text(status, how, sizeof(how));
	if (c == NULL) {
		/* Adopted: actord is a subreaper (actord.c, end_orphans()). */
		log_debug("reaped pid %ld, left behind by the tree: %s",
		    (long)pid, how);
		return;
	}
	snprintf(c->last_exit, sizeof(c->last_exit), "%s", how);
	uptime = mono_ms() - c->started_ms;
	expected = (c->term_sent || sup->shutting_down) &&
	    ((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
	    (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
	if (expected)
		log_info("%s: stopped (pid %ld)", c->name, (long)pid);
	else
		log_warnx("%s: pid %ld %s after %lld ms", c->name, (long)pid,
		    how, (long long)uptime);
	tree_log(expected ? "info" : "warn", "%s (pid %ld) %s", c->name,
	    (long)pid, expected ? "stopped" : how);
	c->pid = 0;
	c->wstatus = status;
	evtimer_del(c->timer);
	if (c->chan != NULL) {
		peer_close(c->chan);	/* calls no closed callback */
		chan_gone(c);
	}
	c->tree_sub = 0;
	child_event(c, EV_EXIT);
	tree_step();
}

/*
 * The tree is to stop, and actord to leave with code: every child is
 * stopped (an action may begin it too, e.g. when the intensity is
 * exceeded: the walk follows the event).
 */
static void
shutdown_begin(int code)
{
	int	 i;

	if (!sup->shutting_down) {
		sup->shutting_down = 1;
		sup->exit_code = code;
		sdnotify("STOPPING=1");
		log_info("stopping the tree");
	}
	for (i = 0; i < CHILD_COUNT; i++)
		child_event(&sup->child[i], EV_STOP);
	tree_changed();
}

/* Stop everything in reverse order and leave with code. */
void
tree_shutdown(int code)
{
	shutdown_begin(code);
	tree_step();
}

/* The operator's commands: the event, then the walk. */
void
tree_stop(int id)
{
	child_event(&sup->child[id], EV_STOP);
	tree_step();
}

void
tree_start(int id)
{
	child_event(&sup->child[id], EV_START);
	tree_step();
}

void
tree_restart(int id)
{
	child_event(&sup->child[id], EV_RESTART);
	tree_step();
}

/* Send sig to every child that runs (SIGHUP: the config was re-read). */
void
tree_signal(int sig)
{
	int	 i;

	for (i = 0; i < CHILD_COUNT; i++)
		if (sup->child[i].pid > 0)
			kill(sup->child[i].pid, sig);
}

/* Pack one process for status (snake_case) or TreeUpdated (camelCase). */
void
tree_pack_process(msgpack_packer *pk, const struct child *c, int camel)
{
	int64_t	 up = c->state == CS_UP ? mono_ms() - c->up_ms : 0;

	msgpack_pack_map(pk, 11);
	mp_pack_kv_str(pk, "name", c->name);
	mp_pack_kv_int(pk, "pid", c->pid);
	mp_pack_kv_str(pk, "state", state_names[c->state]);
	mp_pack_kv_int(pk, camel ? "uptimeMs" : "uptime_ms", up);
	mp_pack_kv_int(pk, "restarts", c->starts > 0 ? c->starts - 1 : 0);
	mp_pack_str(pk, camel ? "lastExit" : "last_exit");
	if (c->last_exit[0] != '\0')
		mp_pack_str(pk, c->last_exit);
	else
		msgpack_pack_nil(pk);
	mp_pack_kv_uint(pk, camel ? "rssBytes" : "rss_bytes",
	    c->pid > 0 ? child_rss(c->pid) : 0);
	mp_pack_kv_uint(pk, camel ? "msgsIn" : "msgs_in", c->msgs_in);
	mp_pack_kv_uint(pk, camel ? "msgsOut" : "msgs_out", c->msgs_out);
	mp_pack_kv_uint(pk, camel ? "mailboxBytes" : "mailbox_bytes",
	    c->mailbox);
	mp_pack_str(pk, camel ? "countersAt" : "counters_at");
	if (c->counted_ms > 0)
		msgpack_pack_int64(pk, c->counted_ms);
	else
		msgpack_pack_nil(pk);
}

/* Send a message with payload (NULL: {}) down a child's channel. */
int
tree_send(struct child *c, enum msg_type type, const msgpack_object *payload)
{
	msgpack_packer	*pk;
	char		 to[ADDR_MAX + 1];

	snprintf(to, sizeof(to), "%s:main", c->name);
	pk = actor_begin(SUPERVISOR_ADDRESS, to, type, NULL);
	if (payload != NULL)
		msgpack_pack_object(pk, *payload);
	else
		msgpack_pack_map(pk, 0);
	return actor_end_peer(c->chan);
}

/*
 * The counters of c's Inspected reply, as of its envelope's timestamp
 * (when the child packed them).  The watchers hear of it when a message
 * counter moved, and once more when they stopped moving, so that a rate
 * drawn from the pushes falls back to 0.
 */
void
tree_counters(struct child *c, const struct envelope *env)
{
	uint64_t	 in = c->msgs_in, out = c->msgs_out, v;
	int		 moved, i;

	if (mp_uint(mp_get(env->payload, "msgsIn"), &v) == 0)
		c->msgs_in = v;
	if (mp_uint(mp_get(env->payload, "msgsOut"), &v) == 0)
		c->msgs_out = v;
	if (mp_uint(mp_get(env->payload, "mailboxBytes"), &v) == 0)
		c->mailbox = v;
	c->counted_ms = env->timestamp > 0 ? env->timestamp : env_now_ms();
	moved = c->msgs_in != in || c->msgs_out != out;
	if (moved || c->counts_moved)
		for (i = 0; i < nwatchers; i++)
			if (watchers[i]->counted != NULL)
				watchers[i]->counted();
	c->counts_moved = moved;
}
