/*
 * The actor runtime.  A process hosts actors of one or more kinds; a kind
 * is a table of callbacks, an actor is an address and the kind's data.
 *
 * Addresses are "<kind>:<name>".  A message to another process goes to
 * $RUN/<kind>.sock over a connection made on first use and kept (it
 * reconnects when that process restarts); a process that connected to us
 * said who it is in its Hello, and replies to it go back the same way.
 *
 * The runtime answers Ping for every actor, checks every payload against
 * the catalogue before receive() sees it, and answers unknown names and
 * types with the protocol's Error.  What an actor sends is held until the
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

struct actor;
struct db;
struct event_base;
struct peer;

struct actor_kind {
	const char	*name;		/* the kind: "coordinator" */
	/* Open the database, recover, spawn standing actors; 0 or -1. */
	int		(*setup)(const struct config *cfg);
	/* Handle one message, its payload already checked. */
	void		(*receive)(struct actor *self,
			    const struct envelope *env);
	/* Make an actor for an unknown name, or NULL: unknown_actor. */
	struct actor	*(*resolve)(const char *name,
			    const struct envelope *env);
	/* Orderly stop (SIGTERM): last writes, before the final commit. */
	void		(*stop)(void);
	/* Pack one map summarising the kind's state for `inspect`. */
	void		(*inspect)(msgpack_packer *pk);
	/* A process that connected to us said Hello / went away. */
	void		(*peer_up)(const char *identity);
	void		(*peer_down)(const char *identity);
	/* Reload: the config was re-read after SIGHUP. */
	void		(*reload)(const struct config *cfg);
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
/* Start an orderly stop: kind stop(), flush, drain, leave the loop. */
void	rt_stop(void);

/* The whole program of a simple actor kind: the standard main(). */
int	actor_main(int argc, char *argv[], const struct actor_kind *kind);

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
int	actor_end_peer(struct peer *p);
/* The id of the message last begun, to match its reply. */
const char *actor_last_id(void);
/* A message with an empty map as payload. */
int	actor_send(const char *from, const char *to, enum msg_type type);
/* Begin the reply to req: to its sender, replyTo its id. */
msgpack_packer *actor_reply(const struct actor *self,
	    const struct envelope *req, enum msg_type type);
/* Reply Error {code, error} to req (nothing if req is itself a reply). */
int	actor_error(const char *from, const struct envelope *req,
	    enum err_code code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Packing helpers: 0, or -1 if the packer's buffer failed. */
int	mp_pack_str(msgpack_packer *pk, const char *s);
int	mp_pack_kv_str(msgpack_packer *pk, const char *k, const char *v);
int	mp_pack_kv_int(msgpack_packer *pk, const char *k, int64_t v);
int	mp_pack_kv_uint(msgpack_packer *pk, const char *k, uint64_t v);
/* Append bytes that are already one msgpack object. */
void	mp_pack_raw(msgpack_packer *pk, const void *buf, size_t len);

#endif
