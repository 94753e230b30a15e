/*
 * The control socket, $RUN/actord.sock: what actorctl talks to.
 *
 * Each request is one envelope (CtlStatus, CtlRestart, ...) and gets one
 * CtlReply {ok, error?, ...}.  Commands that change the tree reply when
 * the change has happened or their timeout passed: a waiter holds the
 * request and is checked on every change of the tree.  Only the owner of
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
#include <strings.h>
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

static void	client_message(struct peer *, const struct envelope *, void *);
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

	pk = actor_begin("system:supervisor", cl->from, MSG_CTL_REPLY, id);
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

/* Pack the whole tree as status shows it. */
static void
pack_status(msgpack_packer *pk)
{
	int	 i;

	mp_pack_str(pk, "processes");
	msgpack_pack_array(pk, CHILD_COUNT);
	for (i = 0; i < CHILD_COUNT; i++)
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
	struct timeval	 tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	w->cl = cl;
	w->type = env->type;
	snprintf(w->id, sizeof(w->id), "%s", env->id);
	w->what = what;
	w->child = child;
	w->timeout = evtimer_new(rt_base(), timeout_cb, w);
	evtimer_add(w->timeout, &tv);
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
	case WAIT_INSPECT:
		return w->pending == 0;
	default:
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

/* Send a message with payload (NULL: {}) down a child's channel. */
static int
send_to_child(struct child *c, enum msg_type type,
    const msgpack_object *payload)
{
	msgpack_packer	*pk;
	char		 to[ADDR_MAX + 1];

	snprintf(to, sizeof(to), "%s:main", c->name);
	pk = actor_begin("system:supervisor", to, type, NULL);
	if (payload != NULL)
		msgpack_pack_object(pk, *payload);
	else
		msgpack_pack_map(pk, 0);
	return actor_end_peer(c->chan);
}

/* Ask every running child for its counters; the waiter collects them. */
static void
status_request(struct client *cl, const struct envelope *env)
{
	struct waiter	*w = waiter_new(cl, env, WAIT_INSPECT, -1,
	    CTL_INSPECT_TIMEOUT_MS);
	struct child	*c;
	int		 i;

	for (i = 0; i < CHILD_COUNT; i++) {
		c = &sup->child[i];
		if (c->state != CS_UP || c->chan == NULL)
			continue;
		send_to_child(c, MSG_INSPECT, NULL);
		snprintf(w->sent_id[i], sizeof(w->sent_id[i]), "%s",
		    actor_last_id());
		w->pending++;
	}
	if (w->pending == 0)
		waiter_done(w, 1, NULL);
}

/* Counters from a child's Inspected reply. */
static void
take_counters(struct child *c, const msgpack_object *p)
{
	uint64_t	 v;

	if (mp_uint(mp_get(p, "msgsIn"), &v) == 0)
		c->msgs_in = v;
	if (mp_uint(mp_get(p, "msgsOut"), &v) == 0)
		c->msgs_out = v;
	if (mp_uint(mp_get(p, "mailboxBytes"), &v) == 0)
		c->mailbox = v;
}

/* Inspected, on c's channel: its counters, and the reply to a waiter. */
void
control_inspected(struct child *c, const struct envelope *env)
{
	if (env->reply_to[0] != '\0')
		take_counters(c, env->payload);
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

/* Resolve the request's "name" to a child, or reply with the error. */
static int
find_child(struct client *cl, const struct envelope *env)
{
	char	 name[65], err[256], known[128];
	int	 id;

	if (mp_strcpy(mp_get(env->payload, "name"), name, sizeof(name)) == -1)
		name[0] = '\0';
	if ((id = child_lookup(name)) == -1) {
		snprintf(err, sizeof(err), "unknown process '%s' (known: %s)",
		    name, child_list(known, sizeof(known), ", "));
		reply_simple(cl, env->id, 0, err);
	}
	return id;
}

static int
timeout_of(const struct envelope *env)
{
	uint64_t	 v;

	if (mp_uint(mp_get(env->payload, "timeoutMs"), &v) == 0 && v > 0)
		return (int)v;
	return CTL_DEFAULT_TIMEOUT_MS;
}

/* A signal by number, or by name with or without "SIG". */
static int
parse_signal(const msgpack_object *o)
{
	char		 name[16], *end;
	uint64_t	 v;
	int		 i;

	if (o == NULL)
		return SIGTERM;
	if (mp_uint(o, &v) == 0)
		return v > 0 && v < NSIG ? (int)v : -1;
	if (mp_strcpy(o, name, sizeof(name)) == -1)
		return -1;
	if (name[0] >= '0' && name[0] <= '9') {	/* "9", as kill(1) takes */
		v = strtoull(name, &end, 10);
		return *end == '\0' && v > 0 && v < NSIG ? (int)v : -1;
	}
	for (i = 1; i < NSIG; i++) {
		const char *abbr = sigabbrev_np(i);

		if (abbr != NULL && (strcasecmp(name, abbr) == 0 ||
		    (strncasecmp(name, "SIG", 3) == 0 &&
		    strcasecmp(name + 3, abbr) == 0)))
			return i;
	}
	return -1;
}

static void
do_kill(struct client *cl, const struct envelope *env)
{
	struct child	*c;
	struct waiter	*w;
	int		 id, sig;

	if ((id = find_child(cl, env)) == -1)
		return;
	c = &sup->child[id];
	if ((sig = parse_signal(mp_get(env->payload, "signal"))) == -1) {
		reply_simple(cl, env->id, 0, "unknown signal");
		return;
	}
	if (c->pid <= 0) {
		reply_simple(cl, env->id, 0, "not running");
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
		w = waiter_new(cl, env, WAIT_EXITED, id, timeout_of(env));
		w->pid = c->pid;
	} else {
		pack_process_entry(reply_begin(cl, env->id, 1, NULL, 1), id);
		reply_end(cl);
	}
}

/* Inject a message into the actor process that hosts `to`. */
static void
do_send(struct client *cl, const struct envelope *env)
{
	struct waiter	*w;
	struct addr	 a;
	msgpack_packer	*pk;
	const msgpack_object *po;
	char		 to[ADDR_MAX + 1], type[65];
	char		 from[ADDR_MAX + 16];
	enum msg_type	 t;
	int		 id;

	if (mp_strcpy(mp_get(env->payload, "to"), to, sizeof(to)) == -1 ||
	    addr_parse(to, strlen(to), &a) == -1) {
		reply_simple(cl, env->id, 0, "bad address: expected "
		    "<kind>:<name>");
		return;
	}
	if (mp_strcpy(mp_get(env->payload, "type"), type, sizeof(type)) ==
	    -1 || (t = msg_lookup(type, strlen(type))) == MSG_UNKNOWN) {
		reply_simple(cl, env->id, 0, "unknown message type");
		return;
	}
	if ((id = child_of_kind(a.kindbit)) == -1 ||
	    sup->child[id].chan == NULL) {
		reply_simple(cl, env->id, 0, id == -1 ?
		    "no actor process of that kind" : "not running");
		return;
	}
	w = waiter_new(cl, env, WAIT_REPLY, id, timeout_of(env));
	/* A system:* sender: the child routes the reply to its parent. */
	snprintf(from, sizeof(from), "system:%.*s", ADDR_MAX - 8, cl->from);
	pk = actor_begin(from, to, t, NULL);
	if ((po = mp_get(env->payload, "payload")) != NULL)
		msgpack_pack_object(pk, *po);
	else
		msgpack_pack_map(pk, 0);
	actor_end_peer(sup->child[id].chan);
	snprintf(w->sent_id[0], sizeof(w->sent_id[0]), "%s", actor_last_id());
}

static void
do_inspect(struct client *cl, const struct envelope *env)
{
	struct waiter	*w;
	int		 id;

	if ((id = find_child(cl, env)) == -1)
		return;
	if (sup->child[id].chan == NULL || sup->child[id].state != CS_UP) {
		reply_simple(cl, env->id, 0, "not running");
		return;
	}
	w = waiter_new(cl, env, WAIT_INSPECT, id, timeout_of(env));
	send_to_child(&sup->child[id], MSG_INSPECT, NULL);
	snprintf(w->sent_id[0], sizeof(w->sent_id[0]), "%s", actor_last_id());
}

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

/* One request from actorctl. */
static void
client_message(struct peer *p, const struct envelope *env, void *arg)
{
	struct client	*cl = arg;
	struct waiter	*w;
	msgpack_packer	*pk;
	char		 state[17];
	uint64_t	 v;
	int		 id, i;

	(void)p;
	snprintf(cl->from, sizeof(cl->from), "%s", env->from);
	if (cl->refused != NULL) {
		if (env->type != MSG_HELLO)
			reply_simple(cl, env->id, 0, cl->refused);
		return;
	}
	switch (env->type) {
	case MSG_HELLO:
		return;
	case MSG_PING:
		pk = actor_begin("system:supervisor", env->from, MSG_PONG,
		    env->id);
		msgpack_pack_object(pk, *env->payload);
		reply_end(cl);
		return;
	case MSG_CTL_STATUS:
		status_request(cl, env);
		return;
	case MSG_CTL_VERSION:
		pk = reply_begin(cl, env->id, 1, NULL, 2);
		mp_pack_kv_str(pk, "version", ACTORD_VERSION);
		mp_pack_kv_int(pk, "protocol", PROTOCOL_VERSION);
		reply_end(cl);
		return;
	case MSG_CTL_SESSIONS:
		pk = reply_begin(cl, env->id, 1, NULL, 1);
		system_pack_sessions(pk);
		reply_end(cl);
		return;
	case MSG_CTL_SHUTDOWN:
		log_info("shutdown requested (actorctl)");
		waiter_new(cl, env, WAIT_SHUTDOWN, -1, 3600 * 1000);
		tree_shutdown(0);
		return;
	case MSG_CTL_RELOAD:
		do_reload(cl, env);
		return;
	case MSG_CTL_KILL:
		do_kill(cl, env);
		return;
	case MSG_CTL_SEND:
		do_send(cl, env);
		return;
	case MSG_CTL_INSPECT:
		do_inspect(cl, env);
		return;
	case MSG_CTL_START:
	case MSG_CTL_STOP:
	case MSG_CTL_RESTART:
	case MSG_CTL_WAIT:
		break;
	default:
		reply_simple(cl, env->id, 0, "not a control command");
		return;
	}
	if ((id = find_child(cl, env)) == -1)
		return;
	if (sup->shutting_down) {
		reply_simple(cl, env->id, 0, "actord is shutting down");
		return;
	}
	switch (env->type) {
	case MSG_CTL_START:
		log_info("%s: start (actorctl)", sup->child[id].name);
		w = waiter_new(cl, env, WAIT_UP, id, timeout_of(env));
		tree_start(id);
		break;
	case MSG_CTL_STOP:
		log_info("%s: stop (actorctl)", sup->child[id].name);
		w = waiter_new(cl, env, WAIT_DOWN, id, timeout_of(env));
		tree_stop(id);
		break;
	case MSG_CTL_RESTART:
		log_info("%s: restart (actorctl)", sup->child[id].name);
		w = waiter_new(cl, env, WAIT_UP, id, timeout_of(env));
		w->pid = sup->child[id].pid;
		tree_restart(id);
		break;
	default:	/* MSG_CTL_WAIT */
		w = waiter_new(cl, env, WAIT_STATE, id, timeout_of(env));
		mp_strcpy(mp_get(env->payload, "state"), state, sizeof(state));
		w->state = CS_DOWN;
		for (i = CS_DOWN; i <= CS_FAILED; i++)
			if (strcmp(state, tree_state_name(i)) == 0)
				w->state = i;
		if (mp_uint(mp_get(env->payload, "notPid"), &v) == 0)
			w->pid = (pid_t)v;
		break;
	}
	/* Already there (e.g. start of a running child)? */
	if (waiter_met(w))
		waiter_done(w, 1, NULL);
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
