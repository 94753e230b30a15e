/*
 * The outbox: what one input of an actor's state machine wants sent, in
 * order, with the payloads packed back to back in one buffer.  State
 * machines append to an outbox instead of sending, so that unit tests can
 * read what they would send without sockets; the runtime then sends the
 * whole outbox (actor_send_outbox(), actor_settle() in actor.h).
 */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stddef.h>

#include <msgpack.h>

#include "envelope.h"

struct outmsg {
	char		 from[ADDR_MAX + 1];	/* "": the sender's default */
	char		 to[ADDR_MAX + 1];
	enum msg_type	 type;
	int		 reply;		/* answers the message being handled */
	size_t		 off;		/* payload: offset in the buffer */
	size_t		 len;
};

struct outbox {
	struct outmsg	*v;
	size_t		 n;
	size_t		 cap;
	msgpack_sbuffer	 sb;		/* every payload, back to back */
	msgpack_packer	 pk;
};

void		 outbox_init(struct outbox *ob);
void		 outbox_clear(struct outbox *ob);
void		 outbox_free(struct outbox *ob);
/*
 * Start a message from `from` (NULL: the default sender); pack exactly one
 * payload object with the returned packer, then outbox_end().
 */
msgpack_packer	*outbox_begin(struct outbox *ob, const char *from,
		    const char *to, enum msg_type type, int reply);
void		 outbox_end(struct outbox *ob);
/* A message whose payload is already packed (a stored reply). */
void		 outbox_add_raw(struct outbox *ob, const char *from,
		    const char *to, enum msg_type type, int reply,
		    const void *payload, size_t len);
/*
 * A message whose payload is body, packed through the shape of its type;
 * outbox_msg() checks at compile time that body is that shape's struct.
 */
void		 outbox_put(struct outbox *ob, const char *from,
		    const char *to, enum msg_type type, int reply,
		    const void *body);
#define outbox_msg(ob, from, to, type, reply, body)			\
	outbox_put(ob, from, to, type, reply, (const type##_body *){ (body) })
/*
 * Reply Error {code, error} to req; nothing when req is itself a reply or
 * a push (no ping-pong of Errors).
 */
void		 outbox_error(struct outbox *ob, const struct envelope *req,
		    enum err_code code, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
/* Message i of the outbox again, to another address (a fan-out). */
void		 outbox_repeat(struct outbox *ob, size_t i, const char *to);
const void	*outbox_payload(const struct outbox *ob, size_t i);
#endif
