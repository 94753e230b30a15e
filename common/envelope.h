/*
 * The envelope: the six fields every message carries, the same on the
 * WebSocket (JSON) and between processes (a msgpack map):
 *
 *	{ to, from, type, id, timestamp, [replyTo,] payload }
 *
 * A decoded envelope copies the short strings and borrows the payload from
 * the unpacked frame: valid until the handler returns.
 */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stdint.h>

#include <msgpack.h>

#include "msg.h"

struct envelope {
	enum msg_type		 type;
	char			 to[ADDR_MAX + 1];
	char			 from[ADDR_MAX + 1];
	char			 id[ID_MAX + 1];
	char			 reply_to[ID_MAX + 1];	/* "" unless a reply */
	int64_t			 timestamp;		/* ms since the epoch */
	const msgpack_object	*payload;		/* never NULL */
	/* The payload decoded through its shape, for handlers; or NULL. */
	const union msg_body	*body;
};

/*
 * Decode obj into env.  On failure returns -1 with *code set to
 * ERR_BAD_ENVELOPE (a field missing or of the wrong type), ERR_BAD_ADDRESS
 * or ERR_UNKNOWN_TYPE, and why holding the protocol's error text.
 * Unknown fields are ignored.
 */
int	env_decode(const msgpack_object *obj, struct envelope *env,
	    enum err_code *code, char *why, size_t whylen);

/*
 * Pack every field but the payload's value; the caller packs exactly one
 * object next.  reply_to may be NULL or "".
 */
void	env_pack_header(msgpack_packer *pk, const char *to, const char *from,
	    enum msg_type type, const char *id, const char *reply_to,
	    int64_t timestamp);

/* A fresh message id, unique for this process's lifetime and across restarts. */
void	env_new_id(char *buf, size_t size);
int64_t	env_now_ms(void);

#endif
