/*
 * The outbox: the messages one input of the state machine wants sent, in
 * order, with their payloads packed back to back in one buffer.  The actor
 * glue turns each into an envelope; the tests read them as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator.h"
#include "log.h"
#include "xmalloc.h"

void
outbox_init(struct outbox *ob)
{
	memset(ob, 0, sizeof(*ob));
	msgpack_sbuffer_init(&ob->sb);
	msgpack_packer_init(&ob->pk, &ob->sb, msgpack_sbuffer_write);
}

void
outbox_clear(struct outbox *ob)
{
	ob->n = 0;
	ob->sb.size = 0;
}

void
outbox_free(struct outbox *ob)
{
	free(ob->v);
	msgpack_sbuffer_destroy(&ob->sb);
	memset(ob, 0, sizeof(*ob));
}

/* Add an entry whose payload starts at the end of the buffer. */
static struct outmsg *
outbox_push(struct outbox *ob, const char *to, enum msg_type type, int reply)
{
	struct outmsg	*m;

	if (ob->n == ob->cap) {
		ob->cap = ob->cap ? ob->cap * 2 : 16;
		ob->v = xreallocarray(ob->v, ob->cap, sizeof(*ob->v));
	}
	m = &ob->v[ob->n++];
	if (strlen(to) >= sizeof(m->to))
		fatalx("outbox: address too long");
	memcpy(m->to, to, strlen(to) + 1);
	m->type = type;
	m->reply = reply;
	m->off = ob->sb.size;
	m->len = 0;
	return m;
}

/* Start a message; the caller packs one payload object, then outbox_end(). */
msgpack_packer *
outbox_begin(struct outbox *ob, const char *to, enum msg_type type,
    int reply)
{
	outbox_push(ob, to, type, reply);
	return &ob->pk;
}

/* Close the message begun last: its payload is what was packed since. */
void
outbox_end(struct outbox *ob)
{
	struct outmsg	*m = &ob->v[ob->n - 1];

	m->len = ob->sb.size - m->off;
}

/* Add a message whose payload is already packed (a stored reply). */
void
outbox_add_raw(struct outbox *ob, const char *to, enum msg_type type,
    int reply, const void *payload, size_t len)
{
	struct outmsg	*m = outbox_push(ob, to, type, reply);

	msgpack_sbuffer_write(&ob->sb, payload, len);
	m->len = len;
}

const void *
outbox_payload(const struct outbox *ob, size_t i)
{
	return ob->sb.data + ob->v[i].off;
}

/* Append bytes that are already msgpack to what pk is packing. */
void
mp_pack_raw(msgpack_packer *pk, const void *buf, size_t len)
{
	pk->callback(pk->data, buf, len);
}
