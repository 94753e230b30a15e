/*
 * The outbox: see outbox.h.
 */
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "log.h"
#include "outbox.h"
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
outbox_push(struct outbox *ob, const char *from, const char *to,
    enum msg_type type, int reply)
{
	struct outmsg	*m;

	if (from == NULL)
		from = "";
	if (ob->n == ob->cap) {
		ob->cap = ob->cap ? ob->cap * 2 : 16;
		ob->v = xreallocarray(ob->v, ob->cap, sizeof(*ob->v));
	}
	m = &ob->v[ob->n++];
	if (strlen(from) >= sizeof(m->from) || strlen(to) >= sizeof(m->to))
		fatalx("outbox: address too long");
	memcpy(m->from, from, strlen(from) + 1);
	memcpy(m->to, to, strlen(to) + 1);
	m->type = type;
	m->reply = reply;
	m->off = ob->sb.size;
	m->len = 0;
	return m;
}

msgpack_packer *
outbox_begin(struct outbox *ob, const char *from, const char *to,
    enum msg_type type, int reply)
{
	outbox_push(ob, from, to, type, reply);
	return &ob->pk;
}

void
outbox_end(struct outbox *ob)
{
	struct outmsg	*m = &ob->v[ob->n - 1];

	m->len = ob->sb.size - m->off;
}

void
outbox_add_raw(struct outbox *ob, const char *from, const char *to,
    enum msg_type type, int reply, const void *payload, size_t len)
{
	struct outmsg	*m = outbox_push(ob, from, to, type, reply);

	msgpack_sbuffer_write(&ob->sb, payload, len);
	m->len = len;
}

const void *
outbox_payload(const struct outbox *ob, size_t i)
{
	return ob->sb.data + ob->v[i].off;
}

void
outbox_send(struct outbox *ob, const char *from, const struct envelope *req)
{
	struct outmsg	*m;
	msgpack_packer	*pk;
	size_t		 i;

	for (i = 0; i < ob->n; i++) {
		m = &ob->v[i];
		pk = actor_begin(m->from[0] != '\0' ? m->from : from, m->to,
		    m->type, m->reply && req != NULL ? req->id : NULL);
		mp_pack_raw(pk, outbox_payload(ob, i), m->len);
		actor_end();
	}
	outbox_clear(ob);
}
