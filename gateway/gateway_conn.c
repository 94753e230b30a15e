/*
 * HTTP connections.  Each accepted connection gets a bufferevent, a
 * request-head parser and a timer: the whole head must arrive within
 * header_timeout_ms and max_header_bytes, or the client gets 408 or 431
 * and the connection is closed, so that a slow or silent client costs a
 * descriptor for a bounded time only.  Requests for files and /healthz
 * are answered here (keep-alive included); an upgrade goes to a session
 * process with the connection's descriptor, and the gateway forgets it.
 * /healthz reports the tree as actord last pushed it to gateway:main,
 * which hands it here (conn_set_tree).
 */
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/openat2.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "clock.h"
#include "config.h"
#include "gateway.h"
#include "log.h"
#include "metrics.h"
#include "version.h"
#include "xmalloc.h"

#define MAX_CONNS	1024		/* HTTP connections before upgrade */
#define OUT_MAX		(256 * 1024)	/* queued output: stop reading */
#define EARLY_MAX	(64 * 1024)	/* bytes sent before the 101 */

/* What a request asked for, as the HTTP counters label it. */
enum path_class {
	PC_FILE,		/* the dashboard's files */
	PC_HEALTH,		/* /healthz */
	PC_METRICS,		/* /metrics */
	PC_WEBSOCKET,		/* an upgrade */
	PC_BAD,			/* refused before a route was known */
	PC_COUNT
};
static const char *const path_class_names[PC_COUNT] = {
	"file", "healthz", "metrics", "websocket", "bad",
};

/* Why an upgrade did not get a session. */
enum reject {
	RJ_MAX_SESSIONS,	/* max_sessions reached */
	RJ_NO_SESSION,		/* no session process took it */
	RJ_TOKEN,		/* 401 */
	RJ_ORIGIN,		/* 403 */
	RJ_HANDSHAKE,		/* any other refusal of the handshake */
	RJ_COUNT
};
static const char *const reject_names[RJ_COUNT] = {
	"max_sessions", "no_session", "token", "origin", "handshake",
};

#define HTTP_STATUS_END	600	/* HTTP status codes counted: 100-599 */

struct conn {
	LIST_ENTRY(conn)	 entry;
	struct bufferevent	*bev;
	struct event		*timer;		/* the head's deadline */
	struct http_req		 req;
	int			 closing;	/* close once flushed */
	enum path_class		 pclass;	/* of the current request */
	struct scrape_waiter	*scrape;	/* /metrics waiting, or NULL */
	char			 peer[64];
};

static struct {
	struct event_base	*base;
	const struct config	*cfg;
	LIST_HEAD(, conn)	 conns;
	size_t			 nconns;
	int			 webfd;		/* web_dir, or -1 */
	int64_t			 started;	/* ms, monotonic */
	int			 stopping;
	struct tree_proc	 tree[TREE_MAX];	/* for /healthz */
	int			 ntree;		/* -1: not heard yet */
	uint64_t		 requests[PC_COUNT][HTTP_STATUS_END];
	uint64_t		 rejected[RJ_COUNT];
	uint64_t		 accepted;	/* TCP connections */
} C = { .ntree = -1 };

static void	conn_process(struct conn *);

static void
conn_free(struct conn *c)
{
	LIST_REMOVE(c, entry);
	C.nconns--;
	if (c->scrape != NULL)
		scrape_cancel(c->scrape);
	event_free(c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	free(c);
}

/* (Re)start the head's deadline. */
static void
conn_arm(struct conn *c)
{
	timer_ms(c->timer, C.cfg->header_timeout_ms);
}

/* Start a response: status line and the headers every response has. */
static void
respond_head(struct conn *c, int status, const char *type, size_t len,
    const char *extra)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	if (status >= 100 && status < HTTP_STATUS_END)
		C.requests[c->pclass][status]++;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
	    "Server: actord/%s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s%s\r\n", status, http_reason(status), ACTORD_VERSION, type,
	    len, extra, c->closing ? "Connection: close\r\n" : "");
}

/* An error response; the connection closes after it. */
static void
respond_error(struct conn *c, int status, const char *text,
    const char *extra)
{
	char	 body[256];
	int	 n;

	n = snprintf(body, sizeof(body), "%d %s: %s\n", status,
	    http_reason(status), text);
	c->closing = 1;
	respond_head(c, status, "text/plain; charset=utf-8", (size_t)n, extra);
	if (c->req.method != HTTP_HEAD)
		evbuffer_add(bufferevent_get_output(c->bev), body, (size_t)n);
	log_debug("%s: %d %s", c->peer, status, text);
}

/* Open a file beneath web_dir: the kernel refuses any escape. */
static int
open_beneath(const char *file)
{
	struct open_how	 how;
	int		 fd;

	if (C.webfd == -1)
		return -1;
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, C.webfd, file, &how, sizeof(how));
	if (fd == -1 && errno == ENOSYS)
		/* Before Linux 5.6: http_file_path already refused "..". */
		fd = openat(C.webfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY |
		    O_NOFOLLOW | O_NONBLOCK);
	return fd;
}

/* Answer with a file under web_dir: 200, 304 or 404. */
static void
serve_file(struct conn *c, const char *file)
{
	struct stat	 st;
	char		 etag[80], extra[192];
	int		 fd;

	if ((fd = open_beneath(file)) == -1) {
		respond_error(c, 404, "Not found", "");
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		respond_error(c, 404, "Not found", "");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx-%lx\"",
	    (unsigned long long)st.st_size,
	    (unsigned long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	snprintf(extra, sizeof(extra), "ETag: %s\r\n"
	    "Cache-Control: no-cache\r\n", etag);
	if (c->req.hdrlen[H_IF_NONE_MATCH] > 0 &&
	    (http_token_list_has(c->req.hdr[H_IF_NONE_MATCH], etag) ||
	    strcmp(c->req.hdr[H_IF_NONE_MATCH], "*") == 0)) {
		close(fd);
		evbuffer_add_printf(bufferevent_get_output(c->bev),
		    "HTTP/1.1 304 Not Modified\r\nServer: actord/%s\r\n"
		    "%s%s\r\n",
		    ACTORD_VERSION, extra,
		    c->closing ? "Connection: close\r\n" : "");
		return;
	}
	respond_head(c, 200, http_content_type(file), (size_t)st.st_size,
	    extra);
	if (c->req.method == HTTP_HEAD || st.st_size == 0) {
		close(fd);
		return;
	}
	/* evbuffer_add_file owns fd from here, even on failure. */
	if (evbuffer_add_file(bufferevent_get_output(c->bev), fd, 0,
	    st.st_size) == -1) {
		log_warn("%s: sending %s", c->peer, file);
		c->closing = 1;
	}
}

/*
 * The tree's part of /healthz: {name: state} for each process, and the
 * status: "ok" when every one is up, "degraded" when one is not,
 * "starting" before actord's first TreeUpdated has arrived.
 */
static json_t *
health_tree(const char **status)
{
	const struct tree_proc	*p = C.tree;
	json_t			*t;
	int			 i;

	*status = C.ntree < 0 ? "starting" : "ok";
	if (C.ntree < 0)
		return json_null();
	t = json_object();
	for (i = 0; i < C.ntree; i++) {
		json_object_set_new(t, p[i].name, json_string(p[i].state));
		if (strcmp(p[i].state, "up") != 0)
			*status = "degraded";
	}
	return t;
}

/* Answer /healthz with the tree's state and the gateway's view as JSON. */
static void
serve_health(struct conn *c)
{
	json_t		*j, *tree;
	const char	*status;
	char		*text;
	size_t		 n;

	tree = health_tree(&status);
	j = json_pack("{s:s, s:o, s:s, s:I, s:i, s:I, s:I, s:i, s:I}",
	    "status", status, "tree", tree, "version", ACTORD_VERSION,
	    "uptimeMs", (json_int_t)(mono_ms() - C.started),
	    "pid", (int)getpid(),
	    "sessions", (json_int_t)sessions_busy(),
	    "idleSessions", (json_int_t)sessions_idle(),
	    "maxSessions", C.cfg->max_sessions,
	    "httpConnections", (json_int_t)C.nconns);
	text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL) {
		respond_error(c, 500, "Internal error", "");
		return;
	}
	n = strlen(text);
	respond_head(c, 200, "application/json", n + 1,
	    "Cache-Control: no-store\r\n");
	if (c->req.method != HTTP_HEAD) {
		evbuffer_add(bufferevent_get_output(c->bev), text, n);
		evbuffer_add(bufferevent_get_output(c->bev), "\n", 1);
	}
	free(text);
}

/*
 * Hand the upgraded connection to a session with the bytes read past the
 * head: 1, and the connection is gone from here; 0, refused and answered;
 * -1, no session took it (the caller answers).
 */
static int
upgrade(struct conn *c, const struct http_decision *d)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct handoff	 h;
	size_t		 n = evbuffer_get_length(in);

	if (n > EARLY_MAX) {
		/* A client waits for the 101 before it sends (RFC 6455 4.1). */
		respond_error(c, 400, "Too much data before the handshake",
		    "");
		return 0;
	}
	memset(&h, 0, sizeof(h));
	h.accept = d->accept;
	h.path = d->path;
	h.client = d->client;
	h.peer = c->peer;
	h.echo = d->route == ROUTE_ECHO;
	h.early = n > 0 ? evbuffer_pullup(in, -1) : NULL;
	h.earlylen = n;
	if (sessions_handoff(bufferevent_getfd(c->bev), &h) == -1)
		return -1;
	conn_free(c);
	return 1;
}

/* The class of a request for the counters. */
static enum path_class
request_class(const struct conn *c, const struct http_decision *d)
{
	if (http_token_list_has(c->req.hdr[H_UPGRADE], "websocket"))
		return PC_WEBSOCKET;
	if (d->status != 0 && d->route == ROUTE_FILE)
		return d->file[0] != '\0' ? PC_FILE : PC_BAD;
	switch (d->route) {
	case ROUTE_HEALTH:
		return PC_HEALTH;
	case ROUTE_METRICS:
		return PC_METRICS;
	case ROUTE_WS:
	case ROUTE_ECHO:
		return PC_WEBSOCKET;
	default:
		return PC_FILE;
	}
}

/* A scrape's answer for c, then the requests it held back. */
static void
metrics_done(void *arg, const char *text, size_t len)
{
	struct conn	*c = arg;

	c->scrape = NULL;
	respond_head(c, 200, "text/plain; version=0.0.4; charset=utf-8", len,
	    "Cache-Control: no-store\r\n");
	if (c->req.method != HTTP_HEAD)
		evbuffer_add(bufferevent_get_output(c->bev), text, len);
	if (!c->closing) {
		http_req_init(&c->req, (size_t)C.cfg->max_header_bytes);
		conn_arm(c);
	}
	conn_process(c);
}

/* One complete request head: answer it. Returns 1 if c is gone. */
static int
conn_request(struct conn *c)
{
	struct http_decision	 d;
	int			 r;

	http_decide(&c->req, C.cfg, &d);
	c->pclass = request_class(c, &d);
	if (d.status == 0 && (d.route == ROUTE_WS || d.route == ROUTE_ECHO)) {
		if (sessions_full()) {
			log_info("%s: max_sessions (%d) reached; 503",
			    c->peer, C.cfg->max_sessions);
			C.rejected[RJ_MAX_SESSIONS]++;
			respond_error(c, 503, "Too many sessions",
			    "Retry-After: 5\r\n");
			return 0;
		}
		if ((r = upgrade(c, &d)) == 1) {
			/* The session answers 101; it is counted here. */
			C.requests[PC_WEBSOCKET][101]++;
			return 1;
		}
		if (r == -1) {
			C.rejected[RJ_NO_SESSION]++;
			respond_error(c, 503, "No session available",
			    "Retry-After: 1\r\n");
		}
		return 0;
	}
	if (d.status != 0 && c->pclass == PC_WEBSOCKET)
		C.rejected[d.status == 401 ? RJ_TOKEN : d.status == 403 ?
		    RJ_ORIGIN : RJ_HANDSHAKE]++;
	if (!c->req.keep_alive || C.stopping)
		c->closing = 1;
	if (d.status != 0)
		respond_error(c, d.status, d.text, d.extra);
	else if (d.route == ROUTE_HEALTH)
		serve_health(c);
	else if (d.route == ROUTE_METRICS)
		c->scrape = scrape_start(metrics_done, c);
	else
		serve_file(c, d.file);
	return 0;
}

/* Parse what arrived; answer each complete request in turn. */
static void
conn_process(struct conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	enum http_feed	 f;
	size_t		 len, used;
	char		*data;

	while (!c->closing && c->scrape == NULL &&
	    (len = evbuffer_get_length(in)) > 0) {
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
		    OUT_MAX) {
			/* Pipelined requests wait for the output to drain. */
			bufferevent_disable(c->bev, EV_READ);
			return;
		}
		data = (char *)evbuffer_pullup(in, -1);
		f = http_req_feed(&c->req, data, len, &used);
		evbuffer_drain(in, used);
		if (f == HTTP_MORE)
			return;
		if (f == HTTP_BAD) {
			respond_error(c, c->req.status,
			    c->req.status == 431 ? "Request head too large" :
			    c->req.status == 414 ? "Request target too long" :
			    c->req.status == 405 ? "Method not allowed" :
			    "Malformed request", c->req.status == 405 ?
			    "Allow: GET, HEAD\r\n" : "");
			break;
		}
		event_del(c->timer);
		if (conn_request(c))
			return;
		if (c->scrape != NULL)
			return;		/* metrics_done() goes on */
		if (!c->closing) {
			http_req_init(&c->req,
			    (size_t)C.cfg->max_header_bytes);
			conn_arm(c);
		}
	}
	if (c->closing && c->scrape == NULL) {
		bufferevent_disable(c->bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			conn_free(c);
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free(c);
		return;
	}
	bufferevent_enable(bev, EV_READ);
	conn_process(c);
}

/*
 * The connection ended or failed; a half-closed one may still get its
 * answer.
 */
static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		/* Half-closed: the answer may still go out. */
		c->closing = 1;
		bufferevent_disable(bev, EV_READ);
		conn_arm(c);
		return;
	}
	conn_free(c);
}

/* The head did not arrive in time: 408, and the connection goes. */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	if (c->closing) {
		conn_free(c);
		return;
	}
	log_debug("%s: no complete request head within %d ms", c->peer,
	    C.cfg->header_timeout_ms);
	respond_error(c, 408, "Request head not received in time", "");
	bufferevent_disable(c->bev, EV_READ);
	/* Give the 408 one more timeout to leave, then drop. */
	conn_arm(c);
}

/*
 * Take a new TCP connection: a bufferevent, a parser and the head's
 * deadline.
 */
void
conn_accept(int fd, const char *peer)
{
	struct conn	*c;

	if (C.stopping || C.nconns >= MAX_CONNS) {
		log_info("%s: %zu HTTP connections open; refused", peer,
		    C.nconns);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->bev = bufferevent_socket_new(C.base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(C.base, timer_cb, c);
	if (c->bev == NULL || c->timer == NULL)
		fatalx("conn_accept: bufferevent_socket_new");
	LIST_INSERT_HEAD(&C.conns, c, entry);
	C.nconns++;
	C.accepted++;
	http_req_init(&c->req, (size_t)C.cfg->max_header_bytes);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    (size_t)C.cfg->max_header_bytes + 4096);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_arm(c);
}

void
conn_init(struct event_base *base, const struct config *cfg)
{
	C.base = base;
	C.cfg = cfg;
	C.started = mono_ms();
	LIST_INIT(&C.conns);
	C.webfd = open(cfg->web_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (C.webfd == -1)
		log_warn("web_dir %s; every file is 404", cfg->web_dir);
}

/* Stop taking requests: idle connections go now, busy ones when done. */
void
conn_shutdown(void)
{
	struct conn	*c, *next;

	C.stopping = 1;
	for (c = LIST_FIRST(&C.conns); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			conn_free(c);
		else
			c->closing = 1;
	}
}

size_t
conn_count(void)
{
	return C.nconns;
}

/* Keep the tree gateway:main was pushed, for the next /healthz. */
void
conn_set_tree(const struct tree_proc *procs, int n)
{
	if (n > TREE_MAX)
		n = TREE_MAX;
	memcpy(C.tree, procs, (size_t)n * sizeof(*procs));
	C.ntree = n;
}

/* The HTTP side's families: requests by class and status, rejections. */
void
conn_metrics(struct metrics *m)
{
	char	 l[METRICS_LABELS_MAX], st[8];
	int	 i, k;

	metrics_gauge(m, "actord_http_connections", "HTTP connections open "
	    "at the gateway (not yet upgraded).", "", (double)C.nconns);
	metrics_counter(m, "actord_http_connections_accepted_total", "TCP "
	    "connections the gateway accepted.", "", (double)C.accepted);
	for (i = 0; i < PC_COUNT; i++)
		for (k = 100; k < HTTP_STATUS_END; k++) {
			if (C.requests[i][k] == 0)
				continue;
			snprintf(st, sizeof(st), "%d", k);
			metrics_labels(l, sizeof(l), "path", path_class_names[i],
			    "code", st, NULL);
			metrics_counter(m, "actord_http_requests_total", "HTTP "
			    "requests answered, by path class and status (101: "
			    "handed to a session).", l,
			    (double)C.requests[i][k]);
		}
	for (i = 0; i < RJ_COUNT; i++) {
		metrics_labels(l, sizeof(l), "reason", reject_names[i], NULL);
		metrics_counter(m, "actord_sessions_rejected_total", "WebSocket "
		    "upgrades refused, by reason.", l, (double)C.rejected[i]);
	}
}
