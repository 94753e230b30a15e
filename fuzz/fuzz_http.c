/*
 * Fuzz the gateway's request-head handling (gateway/gateway_http.c): any
 * bytes a TCP client may send before an upgrade, fed in pieces the way
 * gateway_conn.c feeds what it read (pipelined requests included), each
 * complete head then decided on with one of a few configurations.  The
 * first byte picks the piece size and the configuration.
 *
 * Invariants (abort() when broken): bounds hold (the target, each kept
 * header value, the head against max_header_bytes); a file to serve is
 * relative and has no empty, dot or backslash segment; an upgrade has an
 * accept key; every refusal has a known status and a text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "../gateway/gateway.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The file a request maps to may not leave web_dir. */
static void
http_check_file(const char *file)
{
	const char	*seg, *slash;
	size_t		 n;

	if (file[0] == '\0' || file[0] == '/')
		abort();
	for (seg = file; ; seg = slash + 1) {
		slash = strchr(seg, '/');
		n = slash != NULL ? (size_t)(slash - seg) : strlen(seg);
		if (n == 0 || seg[0] == '.' || memchr(seg, '\\', n) != NULL)
			abort();
		if (slash == NULL)
			break;
	}
}

static void
http_check_decision(const struct http_req *r, const struct http_decision *d,
    const struct config *cfg)
{
	int	 i;

	if (r->urllen > HTTP_URL_MAX || strlen(r->url) != r->urllen ||
	    r->head_bytes > r->max_head)
		abort();
	for (i = 0; i < H_COUNT; i++)
		if (r->hdrlen[i] > HTTP_HDR_MAX ||
		    strlen(r->hdr[i]) > r->hdrlen[i])
			abort();
	if (d->status != 0) {
		if (d->text == NULL || d->extra == NULL ||
		    strcmp(http_reason(d->status), "Error") == 0)
			abort();
		return;
	}
	switch (d->route) {
	case ROUTE_FILE:
		http_check_file(d->file);
		(void)http_content_type(d->file);
		break;
	case ROUTE_WS:
	case ROUTE_ECHO:
		if (strlen(d->accept) != 28 || r->method != HTTP_GET ||
		    !ws_key_valid(r->hdr[H_WS_KEY]) ||
		    (d->route == ROUTE_ECHO && !cfg->echo))
			abort();
		break;
	case ROUTE_HEALTH:
		break;
	case ROUTE_METRICS:
		/* Served only when on, and only to a GET or HEAD. */
		if (!cfg->metrics || (r->method != HTTP_GET &&
		    r->method != HTTP_HEAD))
			abort();
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config	 cfgs[4];
	static int		 init;
	struct http_req		 r;
	struct http_decision	 d;
	const struct config	*cfg;
	enum http_feed		 f;
	size_t			 piece, used, n, buffered = 0;
	int			 i;

	if (!init) {
		log_init("fuzz", LOG_CRIT);
		for (i = 0; i < 4; i++)
			config_defaults(&cfgs[i]);
		cfgs[1].max_header_bytes = 256;
		cfgs[1].echo = 0;
		snprintf(cfgs[2].allowed_origins,
		    sizeof(cfgs[2].allowed_origins),
		    "http://127.0.0.1:8787 https://a.example");
		snprintf(cfgs[2].access_token, sizeof(cfgs[2].access_token),
		    "s3cret");
		snprintf(cfgs[3].access_token, sizeof(cfgs[3].access_token),
		    "%s", "a b%");
		init = 1;
	}
	if (size == 0)
		return 0;
	cfg = &cfgs[data[0] & 3];
	piece = (data[0] >> 2) == 0 ? size : (size_t)(data[0] >> 2);
	data++;
	size--;

	/*
	 * Like gateway_conn.c: each read appends to the buffer, the parser
	 * sees everything buffered, and what it used is drained.
	 */
	http_req_init(&r, (size_t)cfg->max_header_bytes);
	while (size > 0 || buffered > 0) {
		n = size < piece ? size : piece;
		buffered += n;
		size -= n;
		f = http_req_feed(&r, (const char *)data, buffered, &used);
		if (used > buffered)
			abort();
		data += used;
		buffered -= used;
		if (f == HTTP_MORE) {
			if (used == 0 && n == 0)
				break;
			continue;
		}
		if (f == HTTP_BAD) {
			if (r.status < 400 || r.status > 599)
				abort();
			break;
		}
		http_decide(&r, cfg, &d);
		http_check_decision(&r, &d, cfg);
		if (d.status != 0 || d.route == ROUTE_WS ||
		    d.route == ROUTE_ECHO || !r.keep_alive)
			break;
		http_req_init(&r, (size_t)cfg->max_header_bytes);
	}
	return 0;
}
