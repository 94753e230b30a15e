/*
 * The actor runtime.  A process hosts actors of one or more kinds; a kind
 * is a table of callbacks, an actor is an address and the kind's data.
 *
 * Addresses are "<kind>:<name>".  A message to another process goes to
 * $RUN/<kind>.sock over a connection made on first use and kept (it
 * reconnects when that process restarts; a session's are made by its
 * parent: rt_use_broker()); a process that connected to us said who it is
 * in its Hello, and replies to it go back the same way.  A connection
 * whose Hello named a session takes only what a client may send, from
 * that session.
 *
 * A kind says what it takes in two tables at the top of its
 * <prog>_actor.c: its handlers (message type -> function) and its peers
 * (a connection's identity -> what to do when it comes and goes).  The
 * runtime answers Ping for every actor, decodes each payload once through
 * the catalogue's shape before the handler runs (env->body), answers
 * unknown names and types with the protocol's Error, and drops replies
 * nobody handles.  What a handler appends to its outbox is held until the
 * end of the loop turn and leaves after the kind's commit (see peer.h).
 *
 * Adding a kind: a folder with a main() that calls actor_main() with a
 * struct actor_kind; see docs/architecture.md.
 */
#ifndef ACTOR_H
#define ACTOR_H

#include <msgpack.h>

#include "config.h"
#include "envelope.h"

#include "outbox.h"

struct actor;
struct db;
struct event_base;
struct metrics;
struct peer;

/*
 * One row of a handler table: a message type the kind takes and its
 * function.  fn sees the payload decoded (env->body, the member its
 * catalogue row's shape names); what it appends to ob leaves after the
 * loop turn's commit, replies answering env.  It returns 0, or -1 when a
 * database write failed: the process exits, and its restart recovers the
 * last commit (nothing of the turn has left).  A row of type MSG_UNKNOWN
 * takes every type the others do not, undecoded (env->body NULL).
 */
struct handler {
	enum msg_type	 type;
	int		(*fn)(struct actor *self, const struct envelope *env,
			    struct outbox *ob);
	unsigned	 flags;
};
#define H_COMMAND	0x1	/* through the kind's command(): applied once */

/*
 * One row of a peer table: a connection whose identity is name (an
 * inbound peer's Hello, or the kind an outbound one serves; NULL: any
 * other) came up or went down.
 */
struct peer_rule {
	const char	*name;
	void		(*up)(const char *identity);
	void		(*down)(const char *identity);
};

struct actor_kind {
	const char		*name;		/* the kind: "coordinator" */
	const struct handler	*handlers;	/* what it takes */
	size_t			 nhandlers;
	const struct peer_rule	*peers;		/* who it watches */
	size_t			 npeers;
	/*
	 * A command (H_COMMAND): wrap h->fn with what makes it safe to retry,
	 * e.g. the coordinator's dedupe by message id.  NULL: call h->fn.
	 */
	int			(*command)(struct actor *self,
				    const struct envelope *env,
				    struct outbox *ob, const struct handler *h);
	/* After each message's outbox was handed on (NULL: nothing). */
	void			(*handled)(void);
	/*
	 * Instead of handlers: take every message as it is.  The session
	 * does, translating each into JSON for its client.
	 */
	void			(*receive)(struct actor *self,
				    const struct envelope *env);
	/* Open the database, recover, spawn standing actors; 0 or -1. */
	int			(*setup)(const struct config *cfg);
	/* Make an actor for an unknown name, or NULL: unknown_actor. */
	struct actor		*(*resolve)(const char *name,
				    const struct envelope *env);
	/* Orderly stop (SIGTERM): last writes, before the final commit. */
	void			(*stop)(void);
	/* Pack one map summarising the kind's state for `inspect`. */
	void			(*inspect)(msgpack_packer *pk);
	/*
	 * Add the kind's own families for GetMetrics (metrics.h).  NULL: the
	 * kind does not answer GetMetrics (its table decides).
	 */
	void			(*metrics)(struct metrics *m);
	/* Reload: the config was re-read after SIGHUP. */
	void			(*reload)(const struct config *cfg);
};

struct actor {
	const struct actor_kind	*kind;
	char			 address[ADDR_MAX + 1];
	const char		*name;		/* after the ':' */
	void			*data;		/* the kind's */
};

struct rt_stats {
	uint64_t	 msgs_in;	/* messages received */
	uint64_t	 msgs_out;	/* messages sent */
	uint64_t	 errors_out;	/* Error replies sent */
	uint64_t	 dropped;	/* unroutable or oversize sends */
};

/* Process set-up, for programs with their own main (actord, session). */
void	rt_init(struct event_base *base, const struct config *cfg,
	    const char *identity);
void	rt_register(const struct actor_kind *kind);
int	rt_listen(int fd);
/*
 * Adopt fd as the channel to the parent at parent_address: Ready goes
 * there, and every address of the parent's kind is routed to it.  gone
 * runs if the parent goes away (NULL: rt_stop()).
 */
struct peer *rt_adopt_parent(int fd, const char *parent_address,
	    void (*gone)(void));
/*
 * For a process that may not connect(2) (a session): from now on every
 * connection to another process is asked of the parent (ConnectActor),
 * which makes it, says its Hello, and hands it over (ActorConnected with
 * the descriptor); so again each time it drops.  After rt_adopt_parent().
 */
void	rt_use_broker(void);
/*
 * Have the connection a message to address `to` would leave by made now,
 * sending nothing: 0, or -1 when there is no route.
 */
int	rt_prepare(const char *to);
/*
 * The link's hooks (link/): forward() takes every message a connection
 * brings for an actor this process does not host (after a session's
 * checks), remote() every frame the runtime would send to another host.
 */
struct rt_link {
	void	(*forward)(const char *identity, struct envelope *env);
	int	(*remote)(const struct addr *to, const void *frame,
		    size_t len);
};
void	rt_use_link(const struct rt_link *link);
/*
 * Whether a message to a goes through the link: it names another host,
 * or a singleton (coordinator, eventlog) this host does not run.  Never
 * without [cluster].
 */
int	rt_is_remote(const struct addr *a);
/* Wire the database into the output gate: commit before every flush. */
void	rt_use_db(struct db *db);
int	rt_ready(void);
const struct config *rt_config(void);
const char *rt_identity(void);
struct event_base *rt_base(void);
const struct rt_stats *rt_stats(void);
size_t	rt_mailbox_bytes(void);
/* Pack the process summary `inspect` shows (a map). */
void	rt_pack_inspect(msgpack_packer *pk);
/*
 * Add the process's families to m: its messages, mailbox and connections
 * (process="<process>", NULL: its identity's kind), its database's
 * commits, and every kind's own.  The runtime answers GetMetrics with
 * them at any address of a kind that has a metrics callback.
 */
void	rt_metrics(struct metrics *m, const char *process);
/* Start an orderly stop: kind stop(), flush, drain, leave the loop. */
void	rt_stop(void);

/* The whole program of a simple actor kind: the standard main(). */
int	actor_main(int argc, char *argv[], const struct actor_kind *kind);

/*
 * Handle env with kind's handler table, without sockets: find the row,
 * decode the payload once (a bad one: an Error reply on ob), run the
 * handler, through kind->command() for a command.  A type the kind does
 * not take gets unknown_type; a reply or push it does not take is
 * dropped.  Returns the handler's result (-1: the database failed).  The
 * runtime calls it for every message; unit tests call it directly.
 */
int	actor_handle(const struct actor_kind *kind, struct actor *self,
	    struct envelope *env, struct outbox *ob);
/* actor_handle() for a stand-in actor at address with data: the tests'. */
int	actor_handle_at(const struct actor_kind *kind, const char *address,
	    void *data, struct envelope *env, struct outbox *ob);

/*
 * Hand on what a handler of kind queued on ob (replies answering req), or
 * what its state queued outside a message (a timer, a peer that came or
 * went; req NULL): from `from` unless a message names its sender; then
 * the kind's handled().  rc -1, a failed database write, ends the
 * process instead: its restart recovers the last commit.
 */
void	actor_settle(const struct actor_kind *kind, int rc, struct outbox *ob,
	    const char *from, const struct envelope *req);
/*
 * Send every message of ob and empty it: messages without a sender go
 * from `from`; replies answer req (if not NULL).
 */
void	actor_send_outbox(struct outbox *ob, const char *from,
	    const struct envelope *req);

struct actor *actor_spawn(const struct actor_kind *kind, const char *name,
	    void *data);
struct actor *actor_find(const char *address);
/* Forget an actor; its memory is freed from the loop. */
void	actor_destroy(struct actor *a);
size_t	actor_count(void);

/*
 * Sending.  actor_begin() packs the envelope and returns a packer for
 * exactly one payload object; actor_end() frames and queues it.  from is
 * an address; NULL means the process identity.
 */
msgpack_packer *actor_begin(const char *from, const char *to,
	    enum msg_type type, const char *reply_to);
/*
 * The same with the message id chosen by the caller (NULL or too long: a
 * fresh one), for a message that forwards someone else's: a session
 * passes its client's ids on, so that a retried command is recognised.
 */
msgpack_packer *actor_begin_id(const char *from, const char *to,
	    enum msg_type type, const char *id, const char *reply_to);
int	actor_end(void);
/* Finish the message and queue it on p, whatever its address says. */
/*
 * actor_end() for a frame from another host to system:supervisor (the
 * link's): never by the channel to our parent, but to system.sock, as a
 * client's would.
 */
int	actor_end_afar(void);
int	actor_end_peer(struct peer *p);
/* The id of the message last begun, to match its reply. */
const char *actor_last_id(void);
/* A message with an empty map as payload. */
int	actor_send(const char *from, const char *to, enum msg_type type);
/*
 * A message whose payload is body, packed through the shape of its type:
 * actor_msg() checks at compile time that body is that shape's struct.
 */
int	actor_put(const char *from, const char *to, enum msg_type type,
	    const char *reply_to, const void *body);
#define actor_msg(from, to, type, reply_to, body)			\
	actor_put(from, to, type, reply_to, (const type##_body *){ (body) })
/* Begin the reply to req: to its sender, replyTo its id. */
msgpack_packer *actor_reply(const struct actor *self,
	    const struct envelope *req, enum msg_type type);
/* Reply Error {code, error} to req (nothing if req is itself a reply). */
int	actor_error(const char *from, const struct envelope *req,
	    enum err_code code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

#endif
