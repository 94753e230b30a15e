/*
 * The gateway: actord's HTTP and WebSocket front door, and the supervisor
 * of the session processes.
 *
 *   gateway.c		main: descriptors, signals, the listener, shutdown
 *   gateway_actor.c	gateway:main: its handler table (TreeUpdated), and
 *			what `inspect` shows
 *   gateway_conn.c	HTTP connections: read a head within its bounds,
 *			answer it (files, /healthz, errors), or hand an
 *			upgrade to a session
 *   gateway_http.c	request heads (http-parser), what to do with a
 *			request, the WebSocket handshake checks, file paths
 *   gateway_metrics.c	GET /metrics: GetMetrics to every process, the
 *			replies merged with the gateway's own numbers
 *   gateway_sessions.c	session processes: the zygote, the pre-started pool,
 *			fork+exec, SCM_RIGHTS hand-off, exits, the list for
 *			actord
 *
 * Calls go one way, down this list: gateway.c calls gateway_conn.c,
 * gateway_metrics.c and gateway_sessions.c, and names gateway_actor.c's
 * kind; gateway_actor.c hands gateway_conn.c the tree actord pushed (for
 * /healthz), hands gateway_metrics.c the Metrics replies, and reads the
 * counters of both; gateway_conn.c calls gateway_http.c,
 * gateway_metrics.c and gateway_sessions.c; those call no other file of
 * the gateway (the scrape adds the gateway's own numbers through the
 * runtime, which asks gateway_actor.c's kind).
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#include "msg.h"

struct actor_kind;
struct config;
struct event_base;
struct metrics;

/* Request headers the gateway looks at. */
enum http_hdr {
	H_HOST,
	H_UPGRADE,
	H_CONNECTION,
	H_WS_KEY,
	H_WS_VERSION,
	H_ORIGIN,
	H_AUTHORIZATION,
	H_IF_NONE_MATCH,
	H_COUNT
};

#define HTTP_URL_MAX	2048	/* request target bytes; more: 414 */
#define HTTP_HDR_MAX	512	/* bytes kept of one header's value */

enum http_feed {
	HTTP_MORE,		/* the head is not complete yet */
	HTTP_DONE,		/* one request head, *used bytes of input */
	HTTP_BAD,		/* the status says what is wrong */
};

/* One request head, as http-parser saw it. */
struct http_req {
	http_parser	 parser;
	size_t		 max_head;		/* max_header_bytes */
	size_t		 head_bytes;		/* parsed so far */
	int		 done;			/* message complete */
	int		 status;	/* an error found while parsing */
	int		 method;		/* enum http_method */
	int		 major, minor;
	int		 keep_alive;
	char		 url[HTTP_URL_MAX + 1];
	size_t		 urllen;
	char		 field[64];		/* header name being read */
	size_t		 fieldlen;
	int		 in_value;		/* reading a value */
	int		 cur;			/* enum http_hdr or -1 */
	char		 hdr[H_COUNT][HTTP_HDR_MAX + 1];
	size_t		 hdrlen[H_COUNT];
	int		 hdr_long[H_COUNT];	/* value did not fit */
};

enum http_route {
	ROUTE_FILE,		/* a file under web_dir */
	ROUTE_HEALTH,		/* GET /healthz */
	ROUTE_WS,		/* WebSocket at / or /ws */
	ROUTE_ECHO,		/* WebSocket at /echo */
	ROUTE_METRICS,		/* GET /metrics */
};

/* What to do with a request: a route, or an error response. */
struct http_decision {
	int		 status;	/* 0: route; else the error status */
	const char	*text;		/* error body */
	const char	*extra;		/* extra header lines or "" */
	enum http_route	 route;
	char		 file[HTTP_URL_MAX + 1]; /* ROUTE_FILE, relative */
	char		 accept[32];	/* Sec-WebSocket-Accept */
	char		 path[16];	/* of a WebSocket */
	char		 client[CLIENT_ID_MAX + 2];	/* ?client=, or "" */
};

/* gateway_http.c */
void	 http_req_init(struct http_req *r, size_t max_head);
enum http_feed http_req_feed(struct http_req *r, const char *data,
	    size_t len, size_t *used);
void	 http_decide(const struct http_req *r, const struct config *cfg,
	    struct http_decision *d);
int	 ws_accept_key(const char *key, char *out, size_t size);
bool	 ws_key_valid(const char *key);
bool	 http_token_list_has(const char *list, const char *token);
int	 http_file_path(const char *path, size_t len, char *out, size_t size);
const char *http_content_type(const char *file);
const char *http_reason(int status);

/* gateway_actor.c */
extern const struct actor_kind gateway_kind;

/* gateway_conn.c */
#define TREE_MAX	8	/* processes of the tree kept for /healthz */

/* One process of the tree as actord last pushed it (TreeUpdated). */
struct tree_proc {
	char	 name[32];	/* "coordinator" */
	char	 state[16];	/* "up", "backoff", ... */
};

void	 conn_init(struct event_base *base, const struct config *cfg);
void	 conn_accept(int fd, const char *peer);
void	 conn_shutdown(void);
size_t	 conn_count(void);
/* The tree for /healthz, n <= TREE_MAX processes (copied). */
void	 conn_set_tree(const struct tree_proc *procs, int n);
void	 conn_metrics(struct metrics *m);

/* gateway_metrics.c */
struct envelope;
struct scrape_waiter;
/* A scrape's answer: the exposition text, len bytes (borrowed). */
typedef void (*scrape_done_fn)(void *arg, const char *text, size_t len);

void	 scrape_init(struct event_base *base, const struct config *cfg);
void	 scrape_reload(const struct config *cfg);
/* Join or start a scrape; done runs from the loop, never from here. */
struct scrape_waiter *scrape_start(scrape_done_fn done, void *arg);
/* The waiter's connection went: done will not run. */
void	 scrape_cancel(struct scrape_waiter *w);
/* A Metrics reply (gateway_actor.c). */
void	 scrape_reply(const struct envelope *env);

/* gateway_sessions.c */
struct handoff {
	const char	*accept;
	const char	*path;
	const char	*client;	/* ?client=, or "" */
	const char	*peer;
	int		 echo;
	const void	*early;
	size_t		 earlylen;
};

#define CLOSE_SLOT_APP	16	/* close codes 4000-4999 */
#define CLOSE_SLOT_OTHER 17	/* any other */
#define CLOSE_SLOT_NONE	18	/* the session reported none */
#define CLOSE_SLOTS	19

/* How sessions ended, for Inspect. */
struct sessions_counters {
	uint64_t	 ended;		/* exit status known */
	uint64_t	 failed;	/* ... not 0, or a signal we did not send */
	uint64_t	 unreported;	/* no exit status came */
	uint64_t	 opened;	/* connections handed to a session */
	uint64_t	 closed;	/* ... whose session ended */
	uint64_t	 msgs_in;	/* WebSocket messages of those */
	uint64_t	 msgs_out;
	uint64_t	 errors[ERR_COUNT];	/* ... their Error replies */
	uint64_t	 close_codes[CLOSE_SLOTS];	/* 1000-1015, ... */
};

int	 sessions_init(struct event_base *base, const struct config *cfg);
void	 sessions_reload(const struct config *cfg);
bool	 sessions_full(void);
/* Give the connection fd to a session; the caller closes its copy. */
int	 sessions_handoff(int fd, const struct handoff *h);
/* Close every session with 1001, then call done (bounded wait). */
void	 sessions_shutdown(void (*done)(void));
size_t	 sessions_busy(void);
size_t	 sessions_idle(void);
void	 sessions_reap(void);
const struct sessions_counters *sessions_counters(void);
void	 sessions_metrics(struct metrics *m);

#endif
