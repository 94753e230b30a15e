/*
 * The session: one process per WebSocket connection, the SessionActor.
 *
 *   session.c		main: configuration, the hand-off from the gateway
 *   session_ws.c	RFC 6455 over wslay: frames, ping/pong, close,
 *			the outgoing queue with coalescing and its bound
 *   session_route.c	the wire protocol: checks every client message,
 *			routes it to an actor, and routes replies and pushes
 *			back to the client actor that asked
 *
 * Only one connection lives in a session process, so each file keeps its
 * state in one static struct.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <msgpack.h>

#include "envelope.h"
#include "mpjson.h"

#define SESSION_ID_LEN		16	/* hex digits of a session id */
#define SJSON_MAX_DEPTH		20	/* nesting of a payload, both ways */

struct config;
struct event_base;

/* JSON <-> msgpack: common/mpjson.h */

/* session_ws.c */

#define WS_TEXT		0x1
#define WS_BINARY	0x2

struct ws_limits {
	uint64_t	 max_message;	/* bytes; larger: close 1009 */
	size_t		 send_queue;	/* unsent bytes; more: close 1008 */
	int		 ping_interval_ms;
	int		 pong_timeout_ms;
};

struct ws_cb {
	/* One whole message (text already valid UTF-8). */
	void	(*message)(int opcode, const uint8_t *data, size_t len);
	/* The connection is gone for good; the process may end. */
	void	(*closed)(uint16_t code);
};

struct ws_stats {
	uint64_t	 msgs_in;
	uint64_t	 msgs_out;
	uint64_t	 coalesced;	/* pushes replaced by a later one */
	uint16_t	 close_code;	/* once closed: the code it closed with */
};

/*
 * Take over fd, an upgraded connection: send head (the 101 response),
 * then feed early (bytes the gateway read past the request head) to the
 * frame parser before reading the socket.
 */
int	 ws_start(struct event_base *base, int fd, const char *head,
	    const void *early, size_t earlylen, const struct ws_limits *lim,
	    const struct ws_cb *cb);
/*
 * Queue one message.  key, when not NULL, names a push that a later push
 * with the same key may replace while the client is not reading.
 * -1 once the connection is closing.
 */
int	 ws_send(int opcode, const void *data, size_t len, const char *key);
/* Start the closing handshake with code; the connection ends after it. */
void	 ws_close(uint16_t code, const char *reason);
void	 ws_free(void);
bool	 ws_is_open(void);
size_t	 ws_unsent(void);
const struct ws_stats *ws_stats(void);

/* A streaming UTF-8 check (fail fast: the first bad byte is reported). */
struct utf8_state {
	uint8_t		 need;		/* continuation bytes still due */
	uint8_t		 lo, hi;	/* range of the next byte */
};
void	 utf8_stream_init(struct utf8_state *st);
/* false at the first byte that cannot be part of valid UTF-8. */
bool	 utf8_stream(struct utf8_state *st, const uint8_t *p, size_t len);
/* true if the stream ended on a character boundary. */
bool	 utf8_stream_done(const struct utf8_state *st);

/* session_route.c */

/* A client message that passed every check (pointers into the JSON). */
struct route_req {
	enum msg_type	 type;
	const char	*to;
	const char	*from;
	const char	*id;
	const json_t	*payload;
	unsigned	 kindbit;	/* K_* of the target */
	bool		 local;		/* for this session itself */
};

/*
 * Check a parsed client message against the wire protocol.  0 and req
 * filled in, or -1 with *code and why set; *reply_to is the message's id
 * when it had a usable one (for the Error's replyTo), else NULL.
 */
int	 route_check(const json_t *msg, const char *self_id,
	    struct route_req *req, const char **reply_to,
	    enum err_code *code, char *why, size_t whylen);
void	 route_init(const struct config *cfg, const char *self_id);
/*
 * The client's identity across its connections (?client=, "" none): the
 * requests leave with ids the coordinator deduplicates whatever session
 * they come from.
 */
void	 route_set_client(const char *client);
/* A text or binary message from the client. */
void	 route_client_message(int opcode, const uint8_t *data, size_t len);
/* Say SessionEstablished to the client. */
void	 route_established(void);
/* The connection is closing: unsubscribe, drop pending requests. */
void	 route_stop(void);
void	 route_free(void);
size_t	 route_pending(void);
size_t	 route_subscriptions(void);

extern const struct actor_kind session_kind;

#endif
