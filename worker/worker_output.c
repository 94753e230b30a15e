/*
 * What a command writes, kept within its cap: see worker_command.h.
 *
 * One buffer of at most cap bytes.  Until cap bytes came it holds them
 * all, in order.  After that, its first `head` bytes stay the start of
 * the stream and the rest is a ring of the latest bytes: byte number n
 * (n >= head) of the stream is at head + (n - head) % (cap - head).
 * A flood costs no memory beyond cap and no copy beyond the ring's size
 * per read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpjson.h"
#include "worker_command.h"
#include "xmalloc.h"

#define CAPTURE_MIN	4096	/* first allocation */

void
capture_init(struct capture *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->cap = cap;
	c->head = cap - cap / 2;
}

void
capture_free(struct capture *c)
{
	free(c->buf);
	c->buf = NULL;
	c->alloc = 0;
}

size_t
capture_last(const struct capture *c, char *out, size_t max, uint64_t *off)
{
	uint64_t	 lo = 0, n;
	size_t		 k = 0, ring = c->cap - c->head;

	if (c->total > c->cap)
		lo = c->total - ring;	/* the ring's oldest byte */
	if (c->total - lo > max)
		lo = c->total - max;
	for (n = lo; n < c->total; n++)
		out[k++] = c->buf[n < c->head ? n : c->head +
		    (n - c->head) % ring];
	*off = lo;
	if ((n = utf8_cut_start(out, k)) > 0) {
		memmove(out, out + n, k - (size_t)n);
		k -= (size_t)n;
		*off += n;
	}
	return k;
}

/* Make room for the first n bytes of the buffer. */
static void
capture_grow(struct capture *c, size_t n)
{
	size_t	 a = c->alloc > 0 ? c->alloc : CAPTURE_MIN;

	if (n <= c->alloc)
		return;
	while (a < n)
		a *= 2;
	if (a > c->cap)
		a = c->cap;
	c->buf = xreallocarray(c->buf, a, 1);
	c->alloc = a;
}

void
capture_add(struct capture *c, const void *p, size_t len)
{
	const char	*s = p;
	size_t		 tail = c->cap - c->head, n, off;

	while (len > 0) {
		if (c->total < c->head) {
			n = c->head - c->total;
			if (n > len)
				n = len;
			capture_grow(c, (size_t)c->total + n);
			memcpy(c->buf + c->total, s, n);
		} else {
			if (len > tail) {
				/* Only its last `tail` bytes can stay. */
				c->total += len - tail;
				s += len - tail;
				len = tail;
			}
			off = (size_t)((c->total - c->head) % tail);
			n = tail - off;
			if (n > len)
				n = len;
			capture_grow(c, c->head + off + n);
			memcpy(c->buf + c->head + off, s, n);
		}
		c->total += n;
		s += n;
		len -= n;
	}
}

size_t
utf8_whole(const char *p, size_t len)
{
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 i, want;

	/* The last lead byte among the last four, and what it needs. */
	for (i = len; i > 0 && len - i < 4; i--) {
		if ((u[i - 1] & 0xc0) == 0x80)
			continue;
		if (u[i - 1] < 0x80)
			return len;
		want = u[i - 1] >= 0xf0 ? 4 : u[i - 1] >= 0xe0 ? 3 :
		    u[i - 1] >= 0xc0 ? 2 : 1;
		return i - 1 + want > len ? i - 1 : len;
	}
	return len;
}

size_t
utf8_cut_start(const char *p, size_t len)
{
	size_t	 n;

	for (n = 0; n < 3 && n + 1 < len &&
	    ((unsigned char)p[n] & 0xc0) == 0x80; n++)
		;
	return n;
}

char *
capture_text(const struct capture *c, size_t *len, bool *cut)
{
	size_t		 tail = c->cap - c->head, h, t, start, skip, n;
	char		*out, *ring, mark[KIND_CUT_MAX];
	int		 m;

	if (c->total <= c->cap) {
		*cut = false;
		*len = (size_t)c->total;
		out = xmalloc(*len + 1);
		if (*len > 0)
			memcpy(out, c->buf, *len);
		return out;
	}
	*cut = true;
	/* The ring, oldest byte first. */
	ring = xmalloc(tail);
	start = (size_t)((c->total - c->head) % tail);
	memcpy(ring, c->buf + c->head + start, tail - start);
	memcpy(ring + tail - start, c->buf + c->head, start);
	/* Neither side of the cut keeps part of a character. */
	h = utf8_whole(c->buf, c->head);
	skip = utf8_cut_start(ring, tail);
	t = tail - skip;
	m = snprintf(mark, sizeof(mark), "\n... [%llu bytes cut] ...\n",
	    (unsigned long long)(c->total - h - t));
	n = h + (size_t)m + t;
	out = xmalloc(n + 1);
	memcpy(out, c->buf, h);
	memcpy(out + h, mark, (size_t)m);
	memcpy(out + h + (size_t)m, ring + skip, t);
	free(ring);
	*len = n;
	return out;
}

bool
output_is_text(const char *p, size_t len)
{
	return memchr(p, '\0', len) == NULL && utf8_valid(p, len);
}

bool
pack_output(msgpack_packer *pk, const char *p, size_t len)
{
	char	*b;
	size_t	 n;

	if (output_is_text(p, len)) {
		msgpack_pack_str(pk, len);
		msgpack_pack_str_body(pk, p, len);
		return false;
	}
	b = xmalloc((len + 2) / 3 * 4 + 1);
	n = base64_encode(p, len, b);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, b, n);
	free(b);
	return true;
}
