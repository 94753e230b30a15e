/*
 * The outbox: see outbox.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
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

void
outbox_put(struct outbox *ob, const char *from, const char *to,
    enum msg_type type, int reply, const void *body)
{
	outbox_begin(ob, from, to, type, reply);
	msg_encode(&ob->pk, msg_info(type)->shape, body);
	outbox_end(ob);
}

void
outbox_error(struct outbox *ob, const struct envelope *req,
    enum err_code code, const char *fmt, ...)
{
	struct msg_error	 m;
	const struct msg_info	*mi = msg_info(req->type);
	va_list			 ap;

	if (mi != NULL && mi->who == MSG_WHO_SERVER)
		return;
	snprintf(m.code, sizeof(m.code), "%s", err_code_name(code));
	va_start(ap, fmt);
	vsnprintf(m.error, sizeof(m.error), fmt, ap);
	va_end(ap);
	outbox_msg(ob, NULL, req->from, MSG_ERROR, 1, &m);
}

void
outbox_repeat(struct outbox *ob, size_t i, const char *to)
{
	struct outmsg	 src = ob->v[i];	/* the push may move ob->v */
	struct outmsg	*m = outbox_push(ob, src.from, to, src.type, src.reply);
	size_t		 need = ob->sb.size + src.len;

	/* Grown here: msgpack_sbuffer_write() could move the source. */
	if (need > ob->sb.alloc) {
		ob->sb.alloc = need * 2;
		ob->sb.data = xreallocarray(ob->sb.data, ob->sb.alloc, 1);
	}
	memcpy(ob->sb.data + ob->sb.size, ob->sb.data + src.off, src.len);
	ob->sb.size += src.len;
	m->len = src.len;
}

const void *
outbox_payload(const struct outbox *ob, size_t i)
{
	return ob->sb.data + ob->v[i].off;
}
