/*
 * RFC 6455 for the session, on wslay's event API, one read event and one
 * bufferevent for the output.
 *
 * wslay parses and builds frames, answers pings, checks masks, reserved
 * bits, opcodes, fragmentation and UTF-8 (fail fast, across fragments)
 * and the message size, and runs the closing handshake.  Debian's wslay
 * 1.1.1 was checked against each of these (tests/ws/conformance); where it
 * falls short this file makes up for it:
 *
 *  - a frame-level protocol error (a control frame over 125 bytes or
 *    fragmented, a non-minimal length) makes wslay queue a close frame
 *    without a code; we send 1002 instead;
 *  - a close frame with a one-byte payload is answered with 1002, not
 *    with an empty close frame;
 *  - text is checked a second time by our own streaming UTF-8 check, so
 *    that what reaches the router is valid whatever the library does.
 *
 * Output.  wslay's send callback never blocks: it appends to the
 * bufferevent's output, so wslay holds no half-sent frame and a close
 * frame of our own can always be appended.  A message sent while that
 * output is over OUT_HIGH waits, unframed, on the `later` list, where a
 * push with a coalescing key replaces an older one with the same key.
 * More than send_queue bytes waiting closes the connection with 1008.
 * While the output is over OUT_HIGH we also stop reading the client, so
 * that a client sending requests without reading the replies is slowed
 * by TCP rather than by our memory.
 *
 * Input.  wslay's receive callback reads the socket itself, straight into
 * wslay's frame buffer; a read that comes back short means the socket is
 * empty, and the next call this turn says "would block" without asking
 * the kernel.  An echo is then epoll_wait, read and write: a bufferevent
 * would add an ioctl(FIONREAD) before every read, and a copy.  The read
 * event is armed only while we want input (see rd_update).
 *
 * Closing.  After both close frames (or a failure), the output is flushed,
 * the write side shut down, and the socket read until EOF, so that the
 * close frame is not destroyed by a reset; CLOSE_LINGER_MS bounds every
 * step.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <wslay/wslay.h>

#include "clock.h"
#include "log.h"
#include "session.h"
#include "xmalloc.h"

#define READ_BUDGET	(256 * 1024)	/* bytes parsed per loop turn */
#define OUT_HIGH	(64 * 1024) /* output bytes: stop framing, reading */
#define OUT_LOW		(16 * 1024)	/* ... resume under this */
#define CLOSE_LINGER_MS	1000		/* closing handshake, flush, drain */

enum ws_state {
	WS_OPEN,		/* messages flow */
	WS_CLOSING,		/* our close frame is out; waiting for theirs */
	WS_FLUSHING,		/* both closes done: sending what is left */
	WS_DRAINING,		/* write side shut: reading until EOF */
	WS_CLOSED,		/* gone */
};

/* A message not yet framed. */
struct outmsg {
	TAILQ_ENTRY(outmsg)	 entry;
	char			*key;		/* coalescing key or NULL */
	int			 opcode;
	size_t			 len;
	uint8_t			 data[];
};

static struct {
	struct event_base		*base;
	struct bufferevent		*bev;		/* output only */
	struct event			*rd_ev;		/* the socket is readable */
	int				 fd;
	int				 rd_dry;	/* read came short */
	struct evbuffer			*early;		/* before the 101 */
	struct evbuffer			*obuf;		/* just framed */
	wslay_event_context_ptr		 ctx;
	struct ws_limits		 lim;
	const struct ws_cb		*cb;
	enum ws_state			 state;
	int				 io_error; /* socket, not protocol */
	int				 eof;
	int				 budget; /* bytes left this turn */
	int				 paused; /* not reading the client */
	int				 in_recv;	/* parsing input */
	uint16_t			 fail_code;	/* ours to send, or 0 */
	uint16_t			 code;		/* the close code */
	int				 frame_opcode;	/* frame being read */
	int				 text;		/* message is text */
	struct utf8_state		 utf8;
	struct event			*again_ev;	/* parse more input */
	struct event			*ping_ev;
	struct event			*pong_ev;	/* no answer: close */
	struct event			*linger_ev;	/* closing bound */
	TAILQ_HEAD(, outmsg)		 later;
	size_t				 later_bytes;
	struct ws_stats			 stats;
} ws;

static void	ws_pump(void);
static void	ws_flush_later(void);
static void	ws_finish(void);
static size_t	ws_outbytes(void);

void
utf8_stream_init(struct utf8_state *st)
{
	st->need = 0;
	st->lo = 0x80;
	st->hi = 0xbf;
}

/*
 * Feed bytes to the check; false at the first byte that no valid UTF-8
 * text could contain at that point (RFC 3629: shortest forms only, no
 * surrogates, nothing above U+10FFFF).
 */
bool
utf8_stream(struct utf8_state *st, const uint8_t *p, size_t len)
{
	const uint8_t	*end = p + len;
	uint64_t	 w;
	uint8_t		 b;

	while (p < end) {
		if (st->need == 0) {
			/* Skip ASCII eight bytes at a time. */
			while (end - p >= 8) {
				memcpy(&w, p, 8);
				if (w & 0x8080808080808080ULL)
					break;
				p += 8;
			}
			if (p == end)
				break;
			b = *p++;
			if (b < 0x80)
				continue;
			st->lo = 0x80;
			st->hi = 0xbf;
			if (b >= 0xc2 && b <= 0xdf)
				st->need = 1;
			else if (b >= 0xe0 && b <= 0xef) {
				st->need = 2;
				if (b == 0xe0)
					st->lo = 0xa0;	/* overlong */
				else if (b == 0xed)
					st->hi = 0x9f;	/* surrogates */
			} else if (b >= 0xf0 && b <= 0xf4) {
				st->need = 3;
				if (b == 0xf0)
					st->lo = 0x90;	/* overlong */
				else if (b == 0xf4)
					st->hi = 0x8f;	/* > U+10FFFF */
			} else
				return false;
			continue;
		}
		b = *p++;
		if (b < st->lo || b > st->hi)
			return false;
		st->need--;
		st->lo = 0x80;
		st->hi = 0xbf;
	}
	return true;
}

bool
utf8_stream_done(const struct utf8_state *st)
{
	return st->need == 0;
}

/*
 * Read the socket into buf: the byte count, or 0 when there is nothing
 * more this turn (the socket is empty, at its end, or failed: ws.eof and
 * ws.io_error say which).
 */
static size_t
sock_read(void *buf, size_t len)
{
	ssize_t	 n;

	if (ws.rd_dry || ws.eof || ws.io_error)
		return 0;
	while ((n = read(ws.fd, buf, len)) == -1 && errno == EINTR)
		;
	if (n > 0) {
		if ((size_t)n < len)
			ws.rd_dry = 1;
		return (size_t)n;
	}
	ws.rd_dry = 1;
	if (n == 0)
		ws.eof = 1;
	else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		log_debug("read: %s", strerror(errno));
		ws.io_error = 1;
		if (ws.code == 0)
			ws.code = WSLAY_CODE_ABNORMAL_CLOSURE;
	}
	return 0;
}

/* wslay wants bytes: hand it what the client sent, within budget. */
static ssize_t
recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	size_t	 n;

	(void)flags;
	(void)arg;
	/*
	 * Stop at the budget, and as soon as the answers to what was read
	 * fill the output: the client that does not read is not read.  Not
	 * while closing: their close frame is what we wait for, and
	 * rd_update keeps the read event armed then, so a read refused here
	 * would wake us again at once, for as long as the output stays full.
	 */
	if (ws.budget <= 0 || (ws.state == WS_OPEN && (ws.paused ||
	    ws_outbytes() + ws.later_bytes > OUT_HIGH))) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (len > (size_t)ws.budget)
		len = (size_t)ws.budget;
	/* What the gateway read past the request head comes first. */
	if (evbuffer_get_length(ws.early) > 0)
		n = (size_t)evbuffer_remove(ws.early, buf, len);
	else
		n = sock_read(buf, len);
	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	ws.budget -= (int)n;
	/* Anything from the client proves it is alive. */
	if (ws.pong_ev != NULL)
		evtimer_del(ws.pong_ev);
	return n;
}

/* wslay has frame bytes: append them to the output, never blocking. */
static ssize_t
send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	(void)flags;
	(void)arg;
	if (evbuffer_add(ws.obuf, data, len) == -1) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

/*
 * A frame begins: note its opcode, start the UTF-8 check, catch 1-byte
 * closes.
 */
static void
frame_start_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_start_arg *a, void *arg)
{
	(void)arg;
	ws.frame_opcode = a->opcode;
	if (a->opcode == WSLAY_TEXT_FRAME) {
		ws.text = 1;
		utf8_stream_init(&ws.utf8);
	} else if (a->opcode == WSLAY_BINARY_FRAME)
		ws.text = 0;
	else if (a->opcode == WSLAY_CONNECTION_CLOSE &&
	    a->payload_length == 1) {
		/* wslay would answer with an empty close frame. */
		ws.fail_code = WSLAY_CODE_PROTOCOL_ERROR;
		wslay_event_shutdown_read(ctx);
	}
}

static void
frame_chunk_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_chunk_arg *a, void *arg)
{
	(void)arg;
	if (!ws.text || (ws.frame_opcode != WSLAY_TEXT_FRAME &&
	    ws.frame_opcode != WSLAY_CONTINUATION_FRAME))
		return;
	if (!utf8_stream(&ws.utf8, a->data, a->data_length) &&
	    ws.fail_code == 0) {
		ws.fail_code = WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA;
		wslay_event_shutdown_read(ctx);
	}
}

/* A whole text or binary message: hand it to the session. */
static void
msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
    void *arg)
{
	(void)ctx;
	(void)arg;
	if (a->opcode != WSLAY_TEXT_FRAME && a->opcode != WSLAY_BINARY_FRAME)
		return;
	if (ws.state != WS_OPEN || ws.fail_code != 0)
		return;
	if (a->opcode == WSLAY_TEXT_FRAME && !utf8_stream_done(&ws.utf8)) {
		ws.fail_code = WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA;
		wslay_event_shutdown_read(ws.ctx);
		return;
	}
	ws.stats.msgs_in++;
	ws.cb->message(a->opcode, a->msg, a->msg_length);
}

static const struct wslay_event_callbacks wslay_cbs = {
	.recv_callback = recv_cb,
	.send_callback = send_cb,
	.on_frame_recv_start_callback = frame_start_cb,
	.on_frame_recv_chunk_callback = frame_chunk_cb,
	.on_msg_recv_callback = msg_cb,
};

static void
linger_add(void)
{
	timer_ms(ws.linger_ev, CLOSE_LINGER_MS);
}

/*
 * Arm the read event while we want the client's bytes: open or closing
 * (their close frame is awaited) and not held back, or draining to EOF.
 * Level-triggered, so what is left in the socket wakes us again.
 */
static void
rd_update(void)
{
	bool	 want;

	if (ws.rd_ev == NULL)
		return;
	if (ws.state == WS_DRAINING)
		want = !ws.eof;
	else
		want = ws.state <= WS_CLOSING && !ws.paused && !ws.eof &&
		    !ws.io_error && wslay_event_want_read(ws.ctx);
	if (want)
		event_add(ws.rd_ev, NULL);
	else
		event_del(ws.rd_ev);
}

/* Drop whatever waits unframed. */
static void
later_clear(void)
{
	struct outmsg	*m;

	while ((m = TAILQ_FIRST(&ws.later)) != NULL) {
		TAILQ_REMOVE(&ws.later, m, entry);
		free(m->key);
		free(m);
	}
	ws.later_bytes = 0;
}

/*
 * Fail the connection with code: a close frame of our own (wslay may have
 * queued one without a code), then flush and go.
 */
static void
ws_fail(uint16_t code)
{
	uint8_t	 f[4];

	if (ws.state >= WS_FLUSHING)
		return;
	later_clear();
	if (!wslay_event_get_close_sent(ws.ctx)) {
		/* FIN + close opcode, unmasked, 2-byte payload: the code. */
		f[0] = 0x88;
		f[1] = 2;
		f[2] = code >> 8;
		f[3] = code & 0xff;
		evbuffer_add(bufferevent_get_output(ws.bev), f, sizeof(f));
		ws.code = code;
	}
	wslay_event_shutdown_read(ws.ctx);
	wslay_event_shutdown_write(ws.ctx);
	log_debug("failing the connection with %u", code);
	ws.state = WS_FLUSHING;
	rd_update();
	linger_add();
}

/* The socket is done: free it and tell the session. */
static void
ws_finish(void)
{
	if (ws.state == WS_CLOSED)
		return;
	ws.state = WS_CLOSED;
	later_clear();
	if (ws.rd_ev != NULL)
		event_del(ws.rd_ev);
	if (ws.bev != NULL) {
		bufferevent_free(ws.bev);
		ws.bev = NULL;
	}
	evtimer_del(ws.ping_ev);
	evtimer_del(ws.pong_ev);
	evtimer_del(ws.linger_ev);
	ws.stats.close_code = ws.code;
	ws.cb->closed(ws.code);
}

/* Move on from FLUSHING once the output is out. */
static void
ws_progress(void)
{
	if (ws.state == WS_FLUSHING &&
	    evbuffer_get_length(bufferevent_get_output(ws.bev)) == 0) {
		shutdown(ws.fd, SHUT_WR);
		ws.state = WS_DRAINING;
		if (ws.eof) {
			ws_finish();
			return;
		}
		rd_update();
	}
}

/* Update the state from wslay's view after reading or sending. */
static void
ws_after_io(void)
{
	if (ws.state >= WS_FLUSHING)
		return;
	if (wslay_event_get_close_sent(ws.ctx)) {
		if (ws.code == 0)
			ws.code = wslay_event_get_status_code_sent(ws.ctx);
		if (wslay_event_get_close_received(ws.ctx) ||
		    !wslay_event_get_read_enabled(ws.ctx)) {
			ws.state = WS_FLUSHING;
			linger_add();
		} else if (ws.state == WS_OPEN) {
			ws.state = WS_CLOSING;
			linger_add();
		}
		rd_update();
	}
}

/* Bytes on their way out: framed, or queued in wslay. */
static size_t
ws_outbytes(void)
{
	return evbuffer_get_length(bufferevent_get_output(ws.bev)) +
	    wslay_event_get_queued_msg_length(ws.ctx);
}

/*
 * Frame what wslay holds into the output.  This runs inside
 * wslay_event_recv too (an echo, a reply): the messages of a batch of
 * input then leave in order, ahead of a close frame that a later frame of
 * the same batch may cause (wslay sends control frames first).
 */
static void
ws_send_now(void)
{
	struct evbuffer	*out;
	int		 r;

	if (ws.state >= WS_FLUSHING)
		return;
	r = wslay_event_send(ws.ctx);
	/*
	 * While the connection is open, what was just framed goes straight
	 * to the socket when nothing waits ahead of it.  Through the
	 * bufferevent every message costs an epoll_ctl to ask for EPOLLOUT,
	 * an epoll_wait to hear it and an epoll_ctl to withdraw it (an echo
	 * took 7 system calls; now 4).  What the socket does not take, an
	 * error (which the bufferevent then reports), and everything once a
	 * close frame is involved go to the bufferevent as before.
	 */
	out = bufferevent_get_output(ws.bev);
	if (evbuffer_get_length(ws.obuf) > 0) {
		if (ws.state == WS_OPEN && evbuffer_get_length(out) == 0 &&
		    !wslay_event_get_close_sent(ws.ctx))
			(void)evbuffer_write(ws.obuf,
			    bufferevent_getfd(ws.bev));
		if (evbuffer_get_length(ws.obuf) > 0)
			evbuffer_add_buffer(out, ws.obuf);
	}
	if (r != 0) {
		ws.io_error = 1;
		if (!ws.in_recv)
			ws_finish();
		return;
	}
	ws_after_io();
}

/* Stop or resume reading the client by the output's size. */
static void
ws_backpressure(void)
{
	size_t	 out;

	if (ws.state != WS_OPEN)
		return;
	out = ws_outbytes() + ws.later_bytes;
	if (!ws.paused && out > OUT_HIGH) {
		ws.paused = 1;
		rd_update();
	} else if (ws.paused && out < OUT_LOW) {
		ws.paused = 0;
		rd_update();
		event_active(ws.again_ev, EV_TIMEOUT, 0);
	}
}

/* Parse what was read, within this turn's budget, and answer it. */
/*
 * After the closing handshake: read to EOF, a bounded amount per turn.
 * The buffer is static so that ws_pump's frame stays small: every
 * session's stack would otherwise go 4 KiB deeper, for a step that runs
 * once, at the end.
 */
static void
ws_drain(void)
{
	static uint8_t	 junk[4096];
	int		 i;

	for (i = 0; i < 64 && sock_read(junk, sizeof(junk)) > 0; i++)
		;
	if (ws.eof || ws.io_error)
		ws_finish();
}

static void
ws_pump(void)
{
	int	 r;

	if (ws.state == WS_CLOSED)
		return;
	ws.rd_dry = 0;
	if (ws.state == WS_DRAINING) {
		ws_drain();
		return;
	}
	if (ws.paused || ws.state >= WS_FLUSHING) {
		rd_update();
		return;
	}
	ws.budget = READ_BUDGET;
	r = 0;
	if (wslay_event_want_read(ws.ctx)) {
		ws.in_recv = 1;
		r = wslay_event_recv(ws.ctx);
		ws.in_recv = 0;
	}
	if (ws.state == WS_CLOSED)
		return;
	if (ws.io_error) {
		ws_finish();
		return;
	}
	if (ws.fail_code != 0) {
		ws_fail(ws.fail_code);
		ws_progress();
		return;
	}
	if (r != 0) {
		/* A frame-level protocol error; wslay queued a bare close. */
		ws_fail(WSLAY_CODE_PROTOCOL_ERROR);
		ws_progress();
		return;
	}
	ws_send_now();
	if (ws.state == WS_CLOSED)
		return;
	/* The socket wakes us for what it still holds; the early bytes not. */
	if (wslay_event_want_read(ws.ctx) && ws.budget <= 0 &&
	    evbuffer_get_length(ws.early) > 0)
		event_active(ws.again_ev, EV_TIMEOUT, 0);
	if (ws.eof && ws.state < WS_FLUSHING &&
	    evbuffer_get_length(ws.early) == 0) {
		/*
		 * The client went away without a close frame.  It may only
		 * have shut its write side: what is framed (the 101, answers
		 * to what it sent) still goes, within the linger.
		 */
		ws.code = WSLAY_CODE_ABNORMAL_CLOSURE;
		later_clear();
		ws.state = WS_FLUSHING;
		rd_update();
		linger_add();
		ws_progress();
		return;
	}
	ws_backpressure();
	ws_progress();
	rd_update();
}

static void
again_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ws_pump();
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ws_pump();
}

/* The output fell under the low water mark. */
static void
write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
	if (ws.state == WS_OPEN) {
		ws_flush_later();
		ws_backpressure();
	}
	ws_progress();
}

/* An error writing the socket (the bufferevent does not read it). */
static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		ws.io_error = 1;
		if (ws.code == 0)
			ws.code = WSLAY_CODE_ABNORMAL_CLOSURE;
		ws_finish();
	}
}

/* Ping the client, and expect an answer within pong_timeout_ms. */
static void
ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wslay_event_msg	 m = { WSLAY_PING, (const uint8_t *)"ka", 2 };

	(void)fd;
	(void)what;
	(void)arg;
	if (ws.state != WS_OPEN)
		return;
	if (wslay_event_queue_msg(ws.ctx, &m) == 0)
		ws_send_now();
	if (!evtimer_pending(ws.pong_ev, NULL))
		timer_ms(ws.pong_ev, ws.lim.pong_timeout_ms);
}

static void
pong_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_info("no answer to a ping within %d ms; closing",
	    ws.lim.pong_timeout_ms);
	ws_fail(WSLAY_CODE_GOING_AWAY);
	ws_progress();
}

/* A closing step took too long: move on, or drop the connection. */
static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (ws.state == WS_CLOSING) {
		/* No close frame came back: give up on the handshake. */
		ws.state = WS_FLUSHING;
		rd_update();
		linger_add();
		ws_progress();
		return;
	}
	ws_finish();
}

/* Take over an upgraded connection and start speaking WebSocket on it. */
int
ws_start(struct event_base *base, int fd, const char *head,
    const void *early, size_t earlylen, const struct ws_limits *lim,
    const struct ws_cb *cb)
{
	int	 one = 1;

	memset(&ws, 0, sizeof(ws));
	ws.base = base;
	ws.lim = *lim;
	ws.cb = cb;
	TAILQ_INIT(&ws.later);
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (wslay_event_context_server_init(&ws.ctx, &wslay_cbs, NULL) != 0)
		return -1;
	wslay_event_config_set_max_recv_msg_length(ws.ctx, lim->max_message);
	ws.fd = fd;
	ws.bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	ws.rd_ev = event_new(base, fd, EV_READ | EV_PERSIST, read_cb, NULL);
	ws.again_ev = event_new(base, -1, 0, again_cb, NULL);
	ws.ping_ev = event_new(base, -1, EV_PERSIST, ping_cb, NULL);
	ws.pong_ev = evtimer_new(base, pong_cb, NULL);
	ws.linger_ev = evtimer_new(base, linger_cb, NULL);
	if (ws.bev == NULL || ws.rd_ev == NULL || ws.again_ev == NULL || ws.ping_ev == NULL ||
	    ws.pong_ev == NULL || ws.linger_ev == NULL)
		return -1;
	bufferevent_setcb(ws.bev, NULL, write_cb, event_cb, NULL);
	bufferevent_setwatermark(ws.bev, EV_WRITE, OUT_LOW, 0);
	bufferevent_set_max_single_write(ws.bev, 1024 * 1024);
	evbuffer_add(bufferevent_get_output(ws.bev), head, strlen(head));
	/* The socket's input buffer only takes what the socket reads. */
	if ((ws.obuf = evbuffer_new()) == NULL ||
	    (ws.early = evbuffer_new()) == NULL ||
	    evbuffer_add(ws.early, early, earlylen) == -1)
		return -1;
	if (earlylen > 0)
		event_active(ws.again_ev, EV_TIMEOUT, 0);
	bufferevent_enable(ws.bev, EV_WRITE);
	event_add(ws.rd_ev, NULL);
	timer_ms(ws.ping_ev, lim->ping_interval_ms);
	return 0;
}

/*
 * Free everything ws_start() made, whatever state the connection is in.
 * A session exits instead; this is for the tests, which start many
 * connections in one process.
 */
void
ws_free(void)
{
	later_clear();
	if (ws.rd_ev != NULL)
		event_free(ws.rd_ev);
	if (ws.bev != NULL)
		bufferevent_free(ws.bev);
	if (ws.ctx != NULL)
		wslay_event_context_free(ws.ctx);
	if (ws.early != NULL)
		evbuffer_free(ws.early);
	if (ws.obuf != NULL)
		evbuffer_free(ws.obuf);
	if (ws.again_ev != NULL)
		event_free(ws.again_ev);
	if (ws.ping_ev != NULL)
		event_free(ws.ping_ev);
	if (ws.pong_ev != NULL)
		event_free(ws.pong_ev);
	if (ws.linger_ev != NULL)
		event_free(ws.linger_ev);
	memset(&ws, 0, sizeof(ws));
	ws.state = WS_CLOSED;
}

/* Frame one message now. */
static int
frame(int opcode, const void *data, size_t len)
{
	struct wslay_event_msg	 m = { (uint8_t)opcode, data, len };

	if (wslay_event_queue_msg(ws.ctx, &m) != 0)
		return -1;
	ws.stats.msgs_out++;
	ws_send_now();
	return 0;
}

/* Frame waiting messages while the output has room. */
static void
ws_flush_later(void)
{
	struct outmsg	*m;

	while (ws.state == WS_OPEN && (m = TAILQ_FIRST(&ws.later)) != NULL &&
	    ws_outbytes() < OUT_HIGH) {
		TAILQ_REMOVE(&ws.later, m, entry);
		ws.later_bytes -= m->len;
		frame(m->opcode, m->data, m->len);
		free(m->key);
		free(m);
	}
}

/* Queue a message, coalescing keyed pushes while the client does not read. */
int
ws_send(int opcode, const void *data, size_t len, const char *key)
{
	struct outmsg	*m, *old = NULL;
	size_t		 out;

	if (ws.state != WS_OPEN)
		return -1;
	out = ws_outbytes();
	if (TAILQ_EMPTY(&ws.later) && out < OUT_HIGH)
		return frame(opcode, data, len);
	if (key != NULL)
		TAILQ_FOREACH(old, &ws.later, entry)
			if (old->key != NULL && strcmp(old->key, key) == 0)
				break;
	m = xmalloc(sizeof(*m) + len);
	m->key = key != NULL ? xstrdup(key) : NULL;
	m->opcode = opcode;
	m->len = len;
	memcpy(m->data, data, len);
	if (old != NULL) {
		/* A newer state replaces the one the client has not read. */
		TAILQ_INSERT_AFTER(&ws.later, old, m, entry);
		TAILQ_REMOVE(&ws.later, old, entry);
		ws.later_bytes -= old->len;
		free(old->key);
		free(old);
		ws.stats.coalesced++;
	} else
		TAILQ_INSERT_TAIL(&ws.later, m, entry);
	ws.later_bytes += len;
	if (out + ws.later_bytes > ws.lim.send_queue) {
		log_info("client is not reading: %zu bytes unsent, over "
		    "send_queue_bytes (%zu); closing", out + ws.later_bytes,
		    ws.lim.send_queue);
		later_clear();
		ws_close(WSLAY_CODE_POLICY_VIOLATION, "send queue limit");
		return -1;
	}
	ws_backpressure();
	return 0;
}

/* Start the closing handshake with code and reason. */
void
ws_close(uint16_t code, const char *reason)
{
	if (ws.state != WS_OPEN)
		return;
	later_clear();
	ws.code = code;
	if (wslay_event_queue_close(ws.ctx, code, (const uint8_t *)reason,
	    strlen(reason)) != 0) {
		ws_fail(code);
		ws_progress();
		return;
	}
	ws_send_now();
	if (ws.state == WS_OPEN) {
		ws.state = WS_CLOSING;
		linger_add();
	}
	/* Keep reading: their close frame is the answer we wait for. */
	ws.paused = 0;
	ws_progress();
	rd_update();
}

bool
ws_is_open(void)
{
	return ws.state == WS_OPEN;
}

size_t
ws_unsent(void)
{
	if (ws.bev == NULL)
		return 0;
	return ws_outbytes() + ws.later_bytes;
}

const struct ws_stats *
ws_stats(void)
{
	return &ws.stats;
}
