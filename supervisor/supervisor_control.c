/*
 * The control socket, $RUN/actord.sock: what actorctl talks to.
 *
 * Each request is one envelope (CtlStatus, CtlRestart, ...), decoded once
 * through its shape and handed to its row of requests[], and gets one
 * CtlReply {ok, error?, ...}.  Commands that change the tree reply when
 * the change has happened or their timeout passed: a waiter holds the
 * request and is checked on every change of the tree (its watcher hook),
 * or on the child's reply on its channel.  Only the owner of
 * actord (or root) may connect: SO_PEERCRED is checked on accept; and no
 * session, nor anything else under the gateway (peer_refusal()).
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "actor.h"
#include "clock.h"
#include "log.h"
#include "peer.h"
#include "supervisor.h"
#include "supervisor_proc.h"
#include "version.h"
#include "xmalloc.h"

#define CTL_DEFAULT_TIMEOUT_MS	15000
#define CTL_INSPECT_TIMEOUT_MS	500
#define CTL_ANCESTRY_DEPTH	256	/* parents walked; deeper: refused */

enum wait_for {
	WAIT_NONE,
	WAIT_UP,	/* state up, pid != not_pid */
	WAIT_DOWN,	/* not running */
	WAIT_EXITED,	/* pid gone_pid has exited */
	WAIT_STATE,	/* state == state, pid != not_pid */
	WAIT_INSPECT,	/* Inspected replies */
	WAIT_REPLY,	/* any reply to an injected message */
	WAIT_SHUTDOWN,	/* the tree is down */
};

struct client {
	LIST_ENTRY(client)	 entry;
	struct peer		*peer;
	char			 from[ADDR_MAX + 1];
	const char		*refused;	/* every request's answer */
};

struct waiter {
	TAILQ_ENTRY(waiter)	 entry;
	struct client		*cl;		/* NULL: client went away */
	enum msg_type		 type;		/* the request */
	char			 id[ID_MAX + 1];	/* request id */
	enum wait_for		 what;
	int			 child;		/* -1: all */
	enum child_state	 state;
	pid_t			 pid;		/* not_pid or gone_pid */
	int			 pending;	/* Inspected replies due */
	char			 sent_id[CHILD_COUNT][ID_MAX + 1];
	struct event		*timeout;
};

static LIST_HEAD(, client)	 clients = LIST_HEAD_INITIALIZER(clients);
static TAILQ_HEAD(, waiter)	 waiters = TAILQ_HEAD_INITIALIZER(waiters);
static struct evconnlistener	*listener;

static void	client_message(struct peer *, struct envelope *, void *);
static void	client_closed(struct peer *, void *);
static void	waiter_done(struct waiter *, int ok, const char *error);
static void	answer_waiters(void);
static void	answer_shutdown(void);

static const struct peer_cb client_cb = {
	.message = client_message,
	.closed = client_closed,
};

static const struct tree_watcher watcher = {
	.changed = answer_waiters,
	.down = answer_shutdown,
};

/* Begin a CtlReply to the waiter's client with n more map entries. */
static msgpack_packer *
reply_begin(struct client *cl, const char *id, int ok, const char *error,
    size_t n)
{
	msgpack_packer	*pk;

	pk = actor_begin(SUPERVISOR_ADDRESS, cl->from, MSG_CTL_REPLY, id);
	msgpack_pack_map(pk, 1 + (error != NULL) + n);
	mp_pack_str(pk, "ok");
	if (ok)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	if (error != NULL)
		mp_pack_kv_str(pk, "error", error);
	return pk;
}

static void
reply_end(struct client *cl)
{
	actor_end_peer(cl->peer);
}

static void
reply_simple(struct client *cl, const char *id, int ok, const char *error)
{
	reply_begin(cl, id, ok, error, 0);
	reply_end(cl);
}

/* The process a request needs is down: say which, and in what state. */
static void
reply_not_running(struct client *cl, const struct envelope *env, int id)
{
	char	 why[128];

	snprintf(why, sizeof(why), "%s is not running (state %s)",
	    sup->child[id].name, tree_state_name(sup->child[id].state));
	reply_simple(cl, env->id, 0, why);
}

/* Pack the whole tree as status shows it. */
static void
pack_status(msgpack_packer *pk)
{
	int	 i;

	mp_pack_str(pk, "processes");
	msgpack_pack_array(pk, tree_count());
	for (i = 0; i < CHILD_COUNT; i++)
		if (!sup->child[i].absent)
			tree_pack_process(pk, &sup->child[i], 0);
	mp_pack_kv_int(pk, "pid", getpid());
	mp_pack_kv_int(pk, "uptime_ms", mono_ms() - sup->start_ms);
	mp_pack_kv_int(pk, "sessions", sup->nsessions);
	mp_pack_kv_str(pk, "listen", sup->listen_addr);
	mp_pack_kv_str(pk, "version", ACTORD_VERSION);
	mp_pack_kv_str(pk, "state", sup->shutting_down ? "stopping" :
	    sup->ready_sent ? "running" : "starting");
}

static void
pack_process_entry(msgpack_packer *pk, int child)
{
	mp_pack_str(pk, "process");
	tree_pack_process(pk, &sup->child[child], 0);
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct waiter	*w = arg;

	(void)fd;
	(void)what;
	if (w->what == WAIT_INSPECT && w->type == MSG_CTL_STATUS)
		waiter_done(w, 1, NULL);	/* answer with what we have */
	else
		waiter_done(w, 0, "timed out");
}

static struct waiter *
waiter_new(struct client *cl, const struct envelope *env, enum wait_for what,
    int child, int timeout_ms)
{
	struct waiter	*w = xcalloc(1, sizeof(*w));

	w->cl = cl;
	w->type = env->type;
	snprintf(w->id, sizeof(w->id), "%s", env->id);
	w->what = what;
	w->child = child;
	w->timeout = evtimer_new(rt_base(), timeout_cb, w);
	timer_ms(w->timeout, timeout_ms);
	TAILQ_INSERT_TAIL(&waiters, w, entry);
	return w;
}

/* Answer a waiter and forget it. */
static void
waiter_done(struct waiter *w, int ok, const char *error)
{
	msgpack_packer	*pk;
	char		 buf[128];

	TAILQ_REMOVE(&waiters, w, entry);
	event_free(w->timeout);
	if (w->cl == NULL)
		goto out;
	if (!ok && w->child >= 0 && error != NULL) {
		snprintf(buf, sizeof(buf), "%s: %s (state %s)",
		    sup->child[w->child].name, error,
		    tree_state_name(sup->child[w->child].state));
		error = buf;
	}
	switch (w->type) {
	case MSG_CTL_STATUS:
		pk = reply_begin(w->cl, w->id, ok, error, 7);
		pack_status(pk);
		break;
	case MSG_CTL_SHUTDOWN:
		pk = reply_begin(w->cl, w->id, ok, error, 1);
		mp_pack_kv_int(pk, "exit_code", sup->exit_code);
		break;
	case MSG_CTL_KILL:
		pk = reply_begin(w->cl, w->id, ok, error, 2);
		pack_process_entry(pk, w->child);
		mp_pack_kv_str(pk, "last_exit",
		    sup->child[w->child].last_exit);
		break;
	default:
		if (w->child >= 0) {
			pk = reply_begin(w->cl, w->id, ok, error, 1);
			pack_process_entry(pk, w->child);
		} else
			pk = reply_begin(w->cl, w->id, ok, error, 0);
		break;
	}
	reply_end(w->cl);
out:
	free(w);
}

/* Has what the waiter waits for happened? */
static int
waiter_met(const struct waiter *w)
{
	const struct child	*c = w->child >= 0 ? &sup->child[w->child] :
				    NULL;

	switch (w->what) {
	case WAIT_UP:
		return c->state == CS_UP && c->pid != w->pid;
	case WAIT_DOWN:
		return c->state == CS_DOWN || c->state == CS_FAILED;
	case WAIT_EXITED:
		return c->pid != w->pid;
	case WAIT_STATE:
		return c->state == w->state && c->pid != w->pid;
	default:
		/* WAIT_INSPECT, WAIT_REPLY: the child's reply or the timeout. */
		return 0;
	}
}

/* The tree changed: answer every waiter whose change has happened. */
static void
answer_waiters(void)
{
	struct waiter	*w, *next;

	for (w = TAILQ_FIRST(&waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->what == WAIT_UP && w->child >= 0 &&
		    sup->child[w->child].state == CS_FAILED) {
			waiter_done(w, 0, "failed to start");
			continue;
		}
		if (waiter_met(w))
			waiter_done(w, 1, NULL);
	}
}

/* The tree is down and actord is about to exit: answer shutdown. */
static void
answer_shutdown(void)
{
	struct waiter	*w, *next;

	for (w = TAILQ_FIRST(&waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		waiter_done(w, w->what == WAIT_SHUTDOWN, w->what ==
		    WAIT_SHUTDOWN ? NULL : "actord is shutting down");
	}
	peer_flush();
}

/*
 * CtlStatus {}: the tree, after asking every running child for its
 * counters; the waiter collects them.
 */
static void
do_status(struct client *cl, const struct envelope *env)
{
	struct waiter	*w = waiter_new(cl, env, WAIT_INSPECT, -1,
	    CTL_INSPECT_TIMEOUT_MS);
	struct child	*c;
	int		 i;

	for (i = 0; i < CHILD_COUNT; i++) {
		c = &sup->child[i];
		if (c->state != CS_UP || c->chan == NULL)
			continue;
		tree_send(c, MSG_INSPECT, NULL);
		snprintf(w->sent_id[i], sizeof(w->sent_id[i]), "%s",
		    actor_last_id());
		w->pending++;
	}
	if (w->pending == 0)
		waiter_done(w, 1, NULL);
}

/* Inspected, on c's channel: its counters, and the reply to a waiter. */
void
control_inspected(struct child *c, const struct envelope *env)
{
	if (env->reply_to[0] != '\0')
		tree_counters(c, env);
	control_reply(c, env);
}

/*
 * A reply on c's channel to what a waiter sent down it (Inspect, or a
 * message injected by CtlSend), whatever its type: the waiter's answer.
 */
void
control_reply(struct child *c, const struct envelope *env)
{
	struct waiter		*w, *next;
	msgpack_packer		*pk;

	if (env->reply_to[0] == '\0') {
		log_debug("%s: unexpected %s on its channel", c->name,
		    msg_name(env->type));
		return;
	}
	for (w = TAILQ_FIRST(&waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->what == WAIT_INSPECT && w->type == MSG_CTL_STATUS &&
		    strcmp(w->sent_id[c->id], env->reply_to) == 0) {
			w->sent_id[c->id][0] = '\0';
			if (--w->pending == 0)
				waiter_done(w, 1, NULL);
			return;
		}
		if ((w->what == WAIT_INSPECT || w->what == WAIT_REPLY) &&
		    strcmp(w->sent_id[0], env->reply_to) == 0) {
			TAILQ_REMOVE(&waiters, w, entry);
			event_free(w->timeout);
			if (w->cl != NULL) {
				pk = reply_begin(w->cl, w->id, 1, NULL, 1);
				mp_pack_str(pk, w->what == WAIT_INSPECT ?
				    "inspect" : "reply");
				if (w->what == WAIT_INSPECT)
					msgpack_pack_object(pk, *env->payload);
				else {
					msgpack_pack_map(pk, 4);
					mp_pack_kv_str(pk, "type",
					    msg_name(env->type));
					mp_pack_kv_str(pk, "from", env->from);
					mp_pack_kv_str(pk, "replyTo",
					    env->reply_to);
					mp_pack_str(pk, "payload");
					msgpack_pack_object(pk, *env->payload);
				}
				reply_end(w->cl);
			}
			free(w);
			return;
		}
	}
}

/* The child named name, or -1 after replying that it is unknown. */
static int
find_child(struct client *cl, const struct envelope *env, const char *name)
{
	char	 err[256], known[128];
	int	 id;

	if ((id = child_lookup(name)) == -1) {
		snprintf(err, sizeof(err), "unknown process '%s' (known: %s)",
		    name, child_list(known, sizeof(known), ", "));
		reply_simple(cl, env->id, 0, err);
	} else if (sup->child[id].absent) {
		snprintf(err, sizeof(err), "process '%s' does not run on this "
		    "host ([cluster] roles)", name);
		reply_simple(cl, env->id, 0, err);
		id = -1;
	}
	return id;
}

/* The child a command changes, or -1 after replying why not. */
static int
find_operable(struct client *cl, const struct envelope *env,
    const char *name)
{
	int	 id;

	if ((id = find_child(cl, env, name)) == -1)
		return -1;
	if (sup->shutting_down) {
		reply_simple(cl, env->id, 0, "actord is shutting down");
		return -1;
	}
	return id;
}

/* A request's timeoutMs, or the default. */
static int
timeout_of(bool has, uint64_t ms)
{
	return has && ms > 0 ? (int)ms : CTL_DEFAULT_TIMEOUT_MS;
}

/* Answer the waiter now if what it waits for is already there. */
static void
waiter_check(struct waiter *w)
{
	if (waiter_met(w))
		waiter_done(w, 1, NULL);
}

/* Hello {}: who the client is; no answer. */
static void
do_hello(struct client *cl, const struct envelope *env)
{
	(void)cl;
	(void)env;
}

/* Ping: Pong with the same payload. */
static void
do_ping(struct client *cl, const struct envelope *env)
{
	msgpack_packer	*pk;

	pk = actor_begin(SUPERVISOR_ADDRESS, env->from, MSG_PONG, env->id);
	msgpack_pack_object(pk, *env->payload);
	reply_end(cl);
}

/* CtlVersion {}. */
static void
do_version(struct client *cl, const struct envelope *env)
{
	msgpack_packer	*pk;

	pk = reply_begin(cl, env->id, 1, NULL, 2);
	mp_pack_kv_str(pk, "version", ACTORD_VERSION);
	mp_pack_kv_int(pk, "protocol", PROTOCOL_VERSION);
	reply_end(cl);
}

/* CtlSessions {}: the gateway's last list. */
static void
do_sessions(struct client *cl, const struct envelope *env)
{
	system_pack_sessions(reply_begin(cl, env->id, 1, NULL, 1));
	reply_end(cl);
}

/* CtlShutdown {}: stop the tree; answered when it is down. */
static void
do_shutdown(struct client *cl, const struct envelope *env)
{
	log_info("shutdown requested (actorctl)");
	waiter_new(cl, env, WAIT_SHUTDOWN, -1, 3600 * 1000);
	tree_shutdown(0);
}

/* CtlReload {}: as SIGHUP does; the config's errors if it has any. */
static void
do_reload(struct client *cl, const struct envelope *env)
{
	msgpack_packer	*pk;
	struct config	*fresh = xcalloc(1, sizeof(*fresh));
	int		 i;

	if (supervisor_reload(fresh) == -1) {
		pk = reply_begin(cl, env->id, 0, "the config has errors; "
		    "kept the running one", 1);
		mp_pack_str(pk, "errors");
		msgpack_pack_array(pk, (size_t)fresh->nerrors);
		for (i = 0; i < fresh->nerrors; i++)
			mp_pack_str(pk, fresh->errors[i]);
		reply_end(cl);
	} else
		reply_simple(cl, env->id, 1, NULL);
	free(fresh);
}

/*
 * CtlKill {name, signal?}: send it; for a signal that ends a process,
 * answer when it has exited.
 */
static void
do_kill(struct client *cl, const struct envelope *env)
{
	const struct msg_ctl_kill	*m = &env->body->ctl_kill;
	struct child			*c;
	struct waiter			*w;
	int				 id, sig;

	if ((id = find_child(cl, env, m->name)) == -1)
		return;
	c = &sup->child[id];
	sig = m->has_signal ? (int)m->signal : SIGTERM;
	if (sig <= 0 || sig >= NSIG) {
		reply_simple(cl, env->id, 0, "unknown signal");
		return;
	}
	if (c->pid <= 0) {
		reply_not_running(cl, env, id);
		return;
	}
	log_info("%s: sending SIG%s to pid %ld (actorctl)", c->name,
	    sigabbrev_np(sig), (long)c->pid);
	if (kill(c->pid, sig) == -1) {
		reply_simple(cl, env->id, 0, strerror(errno));
		return;
	}
	if (sig == SIGKILL || sig == SIGTERM || sig == SIGINT ||
	    sig == SIGQUIT || sig == SIGABRT || sig == SIGSEGV) {
		w = waiter_new(cl, env, WAIT_EXITED, id,
		    timeout_of(m->has_timeout_ms, m->timeout_ms));
		w->pid = c->pid;
	} else {
		pack_process_entry(reply_begin(cl, env->id, 1, NULL, 1), id);
		reply_end(cl);
	}
}

/*
 * CtlSend {to, type, payload?}: inject a message into the actor process
 * that hosts `to`, down its channel; answer with the reply.
 */
static void
do_send(struct client *cl, const struct envelope *env)
{
	const struct msg_ctl_send	*m = &env->body->ctl_send;
	struct waiter			*w;
	struct addr			 a;
	msgpack_packer			*pk;
	char				 from[ADDR_MAX + 16];
	enum msg_type			 t;
	int				 id;

	if (addr_parse(m->to, strlen(m->to), &a) == -1) {
		reply_simple(cl, env->id, 0, "bad address: expected "
		    "<kind>:<name>");
		return;
	}
	if ((t = msg_lookup(m->type, strlen(m->type))) == MSG_UNKNOWN) {
		reply_simple(cl, env->id, 0, "unknown message type");
		return;
	}
	/* For another host: by the link, which answers on its channel. */
	id = rt_is_remote(&a) ? CHILD_LINK : child_of_kind(a.kindbit);
	if (id == -1) {
		reply_simple(cl, env->id, 0, "no actor process of that kind");
		return;
	}
	if (sup->child[id].chan == NULL) {
		reply_not_running(cl, env, id);
		return;
	}
	w = waiter_new(cl, env, WAIT_REPLY, id,
	    timeout_of(m->has_timeout_ms, m->timeout_ms));
	/* A system:* sender: the child routes the reply to its parent. */
	snprintf(from, sizeof(from), "system:%.*s", ADDR_MAX - 8, cl->from);
	pk = actor_begin(from, m->to, t, NULL);
	if (m->payload.obj != NULL)
		msgpack_pack_object(pk, *m->payload.obj);
	else
		msgpack_pack_map(pk, 0);
	actor_end_peer(sup->child[id].chan);
	snprintf(w->sent_id[0], sizeof(w->sent_id[0]), "%s", actor_last_id());
}

/* CtlInspect {name}: the process's own summary, from its channel. */
static void
do_inspect(struct client *cl, const struct envelope *env)
{
	const struct msg_name	*m = &env->body->name;
	struct waiter		*w;
	int			 id;

	if ((id = find_child(cl, env, m->name)) == -1)
		return;
	if (sup->child[id].chan == NULL || sup->child[id].state != CS_UP) {
		reply_not_running(cl, env, id);
		return;
	}
	w = waiter_new(cl, env, WAIT_INSPECT, id,
	    timeout_of(m->has_timeout_ms, m->timeout_ms));
	tree_send(&sup->child[id], MSG_INSPECT, NULL);
	snprintf(w->sent_id[0], sizeof(w->sent_id[0]), "%s", actor_last_id());
}

/*
 * CtlStart {name}: answered when it is up.  Here and in stop and restart,
 * the waiter is made after the tree has acted: a change that happens at
 * once (a stop in backoff) is then seen by waiter_check().
 */
static void
do_start(struct client *cl, const struct envelope *env)
{
	const struct msg_name	*m = &env->body->name;
	int			 id;

	if ((id = find_operable(cl, env, m->name)) == -1)
		return;
	log_info("%s: start (actorctl)", sup->child[id].name);
	tree_start(id);
	waiter_check(waiter_new(cl, env, WAIT_UP, id,
	    timeout_of(m->has_timeout_ms, m->timeout_ms)));
}

/* CtlStop {name}: answered when it is down. */
static void
do_stop(struct client *cl, const struct envelope *env)
{
	const struct msg_name	*m = &env->body->name;
	int			 id;

	if ((id = find_operable(cl, env, m->name)) == -1)
		return;
	log_info("%s: stop (actorctl)", sup->child[id].name);
	tree_stop(id);
	waiter_check(waiter_new(cl, env, WAIT_DOWN, id,
	    timeout_of(m->has_timeout_ms, m->timeout_ms)));
}

/* CtlRestart {name}: answered when it is up with another pid. */
static void
do_restart(struct client *cl, const struct envelope *env)
{
	const struct msg_name	*m = &env->body->name;
	struct waiter		*w;
	pid_t			 old;
	int			 id;

	if ((id = find_operable(cl, env, m->name)) == -1)
		return;
	log_info("%s: restart (actorctl)", sup->child[id].name);
	old = sup->child[id].pid;
	tree_restart(id);
	w = waiter_new(cl, env, WAIT_UP, id,
	    timeout_of(m->has_timeout_ms, m->timeout_ms));
	w->pid = old;
	waiter_check(w);
}

/* CtlWait {name, state, notPid?}: until it is in state, with a new pid. */
static void
do_wait(struct client *cl, const struct envelope *env)
{
	const struct msg_ctl_wait	*m = &env->body->ctl_wait;
	struct waiter			*w;
	int				 id, i;

	if ((id = find_operable(cl, env, m->name)) == -1)
		return;
	w = waiter_new(cl, env, WAIT_STATE, id,
	    timeout_of(m->has_timeout_ms, m->timeout_ms));
	w->state = CS_DOWN;		/* a state it does not know: down */
	for (i = 0; i < CS_COUNT; i++)
		if (strcmp(m->state, tree_state_name(i)) == 0)
			w->state = i;
	if (m->has_not_pid)
		w->pid = (pid_t)m->not_pid;
	waiter_check(w);
}

/*
 * The control socket's requests: the type, and the function that takes
 * it with its payload decoded through the type's shape (env->body).
 * Anything else is "not a control command".
 */
static const struct request {
	enum msg_type	 type;
	void		(*fn)(struct client *, const struct envelope *);
} requests[] = {
	{ MSG_HELLO,		do_hello },
	{ MSG_PING,		do_ping },
	{ MSG_CTL_STATUS,	do_status },
	{ MSG_CTL_VERSION,	do_version },
	{ MSG_CTL_SESSIONS,	do_sessions },
	{ MSG_CTL_SHUTDOWN,	do_shutdown },
	{ MSG_CTL_RELOAD,	do_reload },
	{ MSG_CTL_KILL,		do_kill },
	{ MSG_CTL_SEND,		do_send },
	{ MSG_CTL_INSPECT,	do_inspect },
	{ MSG_CTL_START,	do_start },
	{ MSG_CTL_STOP,		do_stop },
	{ MSG_CTL_RESTART,	do_restart },
	{ MSG_CTL_WAIT,		do_wait },
};

/* One request from actorctl: its row, its payload decoded once. */
static void
client_message(struct peer *p, struct envelope *env, void *arg)
{
	struct client		*cl = arg;
	const struct request	*r = NULL;
	union msg_body		 body;
	enum err_code		 code;
	char			 why[256];
	size_t			 i;

	(void)p;
	snprintf(cl->from, sizeof(cl->from), "%s", env->from);
	if (cl->refused != NULL) {
		if (env->type != MSG_HELLO)
			reply_simple(cl, env->id, 0, cl->refused);
		return;
	}
	for (i = 0; i < nitems(requests) && r == NULL; i++)
		if (requests[i].type == env->type)
			r = &requests[i];
	if (r == NULL) {
		reply_simple(cl, env->id, 0, "not a control command");
		return;
	}
	if (msg_decode(env->type, env->payload, &body, &code, why,
	    sizeof(why)) == -1) {
		reply_simple(cl, env->id, 0, why);
		return;
	}
	env->body = &body;
	r->fn(cl, env);
	env->body = NULL;
}

static void
client_closed(struct peer *p, void *arg)
{
	struct client	*cl = arg;
	struct waiter	*w;

	(void)p;
	TAILQ_FOREACH(w, &waiters, entry)
		if (w->cl == cl)
			w->cl = NULL;
	LIST_REMOVE(cl, entry);
	free(cl);
}

/*
 * Why a peer of actord's own uid is refused, or NULL.  A session runs as
 * actord's user, so the uid does not tell it from an operator's actorctl;
 * its place in the tree does: every session runs under the gateway.  That
 * holds only together with the session's seccomp filter, which denies it
 * fork and exec (session/sandbox.c).  A process it could fork would stay
 * under the gateway only while the gateway lives (the gateway is a
 * subreaper, so even a double fork lands back on it); once the gateway
 * exits or restarts, such orphans move up out of its tree and past this
 * check.  A sandboxed session is one process without children, under the
 * gateway until the gateway exits (a session then ends by itself; one
 * running an attacker's code need not: docs/security.md, "Known gaps").
 * A peer whose /proc entry we cannot read is refused too: under the unit's
 * ProtectProc=invisible, that is what a session, not dumpable, looks like.
 */
static const char *
peer_refusal(pid_t pid)
{
	pid_t	 gw = sup->child[CHILD_GATEWAY].pid;

	switch (proc_descends_from(pid, gw, CTL_ANCESTRY_DEPTH)) {
	case 0:
		return NULL;
	case 1:
		log_warnx("control socket: refused pid %ld: it is the gateway "
		    "(pid %ld) or runs under it, as sessions do", (long)pid,
		    (long)gw);
		return "refused: this process is the gateway or runs under it "
		    "(a session); the control socket is for operators";
	default:
		log_warnx("control socket: refused pid %ld: cannot read its "
		    "ancestry from /proc (gone, hidden, or more than %d "
		    "parents deep)", (long)pid, CTL_ANCESTRY_DEPTH);
		return "refused: actord cannot tell whether this process runs "
		    "under the gateway";
	}
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct client	*cl;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);

	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		log_warnx("control socket: refused uid %ld (pid %ld)",
		    (long)cred.uid, (long)cred.pid);
		close(fd);
		return;
	}
	cl = xcalloc(1, sizeof(*cl));
	snprintf(cl->from, sizeof(cl->from), "ctl-%ld", (long)cred.pid);
	if (cred.uid == geteuid())
		cl->refused = peer_refusal(cred.pid);
	cl->peer = peer_new_fd(fd, &(struct peer_limits){
	    .max_frame = (size_t)sup->cfg.max_frame_bytes,
	    .high_water = (size_t)sup->cfg.queue_high_bytes,
	    .max_queue = (size_t)sup->cfg.queue_max_bytes,
	    .retry_initial_ms = 1, .retry_max_ms = 1 }, &client_cb, cl);
	peer_set_name(cl->peer, cl->from);
	LIST_INSERT_HEAD(&clients, cl, entry);
}

/* Watch the tree: waiters are answered on its changes. */
void
control_init(void)
{
	tree_watch(&watcher);
}

/* Take actorctl's connections on fd, $RUN/actord.sock. */
int
control_listen(int fd)
{
	evutil_make_socket_nonblocking(fd);
	listener = evconnlistener_new(rt_base(), accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	return listener == NULL ? -1 : 0;
}
