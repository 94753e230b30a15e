/*
 * The outbox: the messages one input wants sent, in order, with their
 * payloads packed back to back in one buffer; each names its sender, since
 * one process speaks for many worker actors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "worker.h"
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

/*
 * Start a message from one worker; pack one payload object, then
 * outbox_end().
 */
msgpack_packer *
outbox_begin(struct outbox *ob, const char *from, const char *to,
    enum msg_type type, int reply)
{
	struct outmsg	*m;

	if (ob->n == ob->cap) {
		ob->cap = ob->cap ? ob->cap * 2 : 16;
		ob->v = xreallocarray(ob->v, ob->cap, sizeof(*ob->v));
	}
	m = &ob->v[ob->n++];
	if (strlen(from) >= sizeof(m->from) || strlen(to) >= sizeof(m->to))
		fatalx("outbox: address too long");
	snprintf(m->from, sizeof(m->from), "%s", from);
	snprintf(m->to, sizeof(m->to), "%s", to);
	m->type = type;
	m->reply = reply;
	m->off = ob->sb.size;
	m->len = 0;
	return &ob->pk;
}

/* Close the message begun last: its payload is what was packed since. */
void
outbox_end(struct outbox *ob)
{
	struct outmsg	*m = &ob->v[ob->n - 1];

	m->len = ob->sb.size - m->off;
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
