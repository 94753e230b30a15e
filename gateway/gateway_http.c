/*
 * HTTP request heads and what to do with them.  No I/O here: the
 * connection code feeds bytes in and acts on the decision, so that the
 * unit tests can drive every case with plain strings.
 *
 * http-parser does the parsing; we keep the request target and the few
 * headers we act on, each bounded.  The parser pauses at the end of each
 * request head: a GET has no body here (one with a body, and every other
 * method, is refused), so the bytes after the head are the next request
 * or, after an upgrade, the client's first WebSocket frames.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config.h"
#include "gateway.h"

#define WS_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static const char *const hdr_names[H_COUNT] = {
	[H_HOST] = "host",
	[H_UPGRADE] = "upgrade",
	[H_CONNECTION] = "connection",
	[H_WS_KEY] = "sec-websocket-key",
	[H_WS_VERSION] = "sec-websocket-version",
	[H_ORIGIN] = "origin",
	[H_AUTHORIZATION] = "authorization",
	[H_IF_NONE_MATCH] = "if-none-match",
};

static int
on_url(http_parser *p, const char *at, size_t len)
{
	struct http_req	*r = p->data;

	if (r->urllen + len > HTTP_URL_MAX) {
		r->status = 414;
		return -1;
	}
	memcpy(r->url + r->urllen, at, len);
	r->urllen += len;
	r->url[r->urllen] = '\0';
	return 0;
}

/* A header name is complete: which of ours is it? */
static void
name_done(struct http_req *r)
{
	int	 i;

	r->cur = -1;
	if (r->fieldlen >= sizeof(r->field))
		return;
	r->field[r->fieldlen] = '\0';
	for (i = 0; i < H_COUNT; i++)
		if (strcasecmp(r->field, hdr_names[i]) == 0)
			r->cur = i;
	/* A repeated header: its values join as a list. */
	if (r->cur >= 0 && r->hdrlen[r->cur] > 0) {
		if (r->hdrlen[r->cur] + 2 > HTTP_HDR_MAX)
			r->hdr_long[r->cur] = 1;
		else {
			memcpy(r->hdr[r->cur] + r->hdrlen[r->cur], ", ", 2);
			r->hdrlen[r->cur] += 2;
			r->hdr[r->cur][r->hdrlen[r->cur]] = '\0';
		}
	}
}

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_req	*r = p->data;

	if (r->in_value) {
		r->in_value = 0;
		r->fieldlen = 0;
	}
	if (r->fieldlen + len < sizeof(r->field))
		memcpy(r->field + r->fieldlen, at, len);
	r->fieldlen += len;
	return 0;
}

/* Keep (bounded) the value of a header we act on. */
static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_req	*r = p->data;
	int		 h;

	if (!r->in_value) {
		r->in_value = 1;
		name_done(r);
	}
	if ((h = r->cur) < 0)
		return 0;
	if (r->hdrlen[h] + len > HTTP_HDR_MAX) {
		r->hdr_long[h] = 1;
		return 0;
	}
	memcpy(r->hdr[h] + r->hdrlen[h], at, len);
	r->hdrlen[h] += len;
	r->hdr[h][r->hdrlen[h]] = '\0';
	return 0;
}

/* The head is complete: note the method and version; refuse any body. */
static int
on_headers_complete(http_parser *p)
{
	struct http_req	*r = p->data;

	r->method = p->method;
	r->major = p->http_major;
	r->minor = p->http_minor;
	r->keep_alive = http_should_keep_alive(p);
	if ((p->flags & F_CHUNKED) || (p->content_length > 0 &&
	    p->content_length != ULLONG_MAX)) {
		/* No request we serve has a body. */
		r->status = (r->method == HTTP_GET || r->method == HTTP_HEAD) ?
		    400 : 405;
		return -1;
	}
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct http_req	*r = p->data;

	r->done = 1;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_message_complete = on_message_complete,
};

void
http_req_init(struct http_req *r, size_t max_head)
{
	memset(r, 0, sizeof(*r));
	http_parser_init(&r->parser, HTTP_REQUEST);
	r->parser.data = r;
	r->max_head = max_head;
	r->cur = -1;
}

/*
 * Feed bytes of the connection.  HTTP_DONE: a whole head was read and
 * *used bytes of data belong to it; the rest is the client's next bytes.
 */
enum http_feed
http_req_feed(struct http_req *r, const char *data, size_t len, size_t *used)
{
	size_t		 n;

	*used = 0;
	if (len == 0)
		return HTTP_MORE;
	n = http_parser_execute(&r->parser, &settings, data, len);
	*used = n;
	r->head_bytes += n;
	if (r->done)
		return r->head_bytes > r->max_head ? (r->status = 431,
		    HTTP_BAD) : HTTP_DONE;
	if (r->status != 0)
		return HTTP_BAD;
	if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK) {
		r->status = HTTP_PARSER_ERRNO(&r->parser) ==
		    HPE_HEADER_OVERFLOW ? 431 : 400;
		return HTTP_BAD;
	}
	if (r->head_bytes > r->max_head) {
		r->status = 431;
		return HTTP_BAD;
	}
	return HTTP_MORE;
}

/* Is token one of the comma-separated items of list (any case)? */
bool
http_token_list_has(const char *list, const char *token)
{
	size_t		 tlen = strlen(token), n;
	const char	*p = list, *end;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		end = p;
		while (*end != '\0' && *end != ',')
			end++;
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == tlen && strncasecmp(p, token, n) == 0)
			return true;
		p = end;
	}
	return false;
}

/* A Sec-WebSocket-Key is the base64 of 16 bytes: 22 digits and "==". */
bool
ws_key_valid(const char *key)
{
	size_t	 i;

	if (strlen(key) != 24 || key[22] != '=' || key[23] != '=')
		return false;
	for (i = 0; i < 22; i++)
		if (!isalnum((unsigned char)key[i]) && key[i] != '+' &&
		    key[i] != '/')
			return false;
	/* The last digit carries 2 bits: its low 4 must be zero. */
	return strchr("AQgw", key[21]) != NULL;
}

/* base64(SHA-1(key + GUID)), RFC 6455 section 4.2.2. */
int
ws_accept_key(const char *key, char *out, size_t size)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	char		 buf[128];
	int		 n;

	n = snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
	if (n < 0 || (size_t)n >= sizeof(buf) || size < 29)
		return -1;
	if (EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, md, 20);
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode [s, s+len) into out; -1 on a bad escape or a NUL. */
static int
pct_decode(const char *s, size_t len, char *out, size_t size)
{
	size_t	 i, o = 0;
	int	 hi, lo;
	char	 c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '%') {
			if (i + 2 >= len ||
			    (hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= size)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Map a URL path to a file name under web_dir, or -1 (404): the path is
 * decoded, and any segment that is empty or starts with a dot (".",
 * "..", hidden files), or holds a backslash, is refused.  The dashboard's
 * page is served at / and /dashboard-actors.html.
 */
int
http_file_path(const char *path, size_t len, char *out, size_t size)
{
	char		 dec[HTTP_URL_MAX + 1];
	const char	*seg, *slash;
	size_t		 n;

	if (pct_decode(path, len, dec, sizeof(dec)) == -1 || dec[0] != '/')
		return -1;
	if (strcmp(dec, "/") == 0 || strcmp(dec, "/dashboard-actors.html") == 0)
		return snprintf(out, size, "index.html") >= (int)size ? -1 : 0;
	for (seg = dec + 1; ; seg = slash + 1) {
		slash = strchr(seg, '/');
		n = slash != NULL ? (size_t)(slash - seg) : strlen(seg);
		if (n == 0 || seg[0] == '.' || memchr(seg, '\\', n) != NULL)
			return -1;
		if (slash == NULL)
			break;
	}
	if (strlen(dec + 1) >= size)
		return -1;
	memcpy(out, dec + 1, strlen(dec + 1) + 1);
	return 0;
}

/* The Content-Type of a file, by its extension. */
const char *
http_content_type(const char *file)
{
	static const struct {
		const char	*ext;
		const char	*type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "json", "application/json" },
		{ "map", "application/json" },
		{ "svg", "image/svg+xml" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "ico", "image/x-icon" },
		{ "webp", "image/webp" },
		{ "woff2", "font/woff2" },
		{ "woff", "font/woff" },
		{ "wasm", "application/wasm" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "md", "text/markdown; charset=utf-8" },
	};
	const char	*dot = strrchr(file, '.');
	size_t		 i;

	if (dot != NULL && strchr(dot, '/') == NULL)
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* The reason phrase of a status code. */
const char *
http_reason(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 426: return "Upgrade Required";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/*
 * The value of ?name= (name with its '=') in the request's query,
 * decoded into out: 1; 0 if there is none; -1 if it does not decode or
 * fit into size.
 */
static int
query_param(const struct http_req *r, const struct http_parser_url *u,
    const char *name, char *out, size_t size)
{
	const char	*p, *end, *amp;
	size_t		 nlen = strlen(name);

	if (!(u->field_set & (1 << UF_QUERY)))
		return 0;
	p = r->url + u->field_data[UF_QUERY].off;
	end = p + u->field_data[UF_QUERY].len;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if ((size_t)(amp - p) >= nlen && strncmp(p, name, nlen) == 0)
			return pct_decode(p + nlen, (size_t)(amp - p - nlen),
			    out, size) == 0 ? 1 : -1;
		p = amp + 1;
	}
	return 0;
}

/*
 * ?client=ID, the client's identity across its connections: 1 to
 * CLIENT_ID_MAX of A-Z a-z 0-9 . _ : -.  0 with out "" without one, -1
 * if it is not such an id.
 */
static int
client_id(const struct http_req *r, const struct http_parser_url *u,
    char *out, size_t size)
{
	size_t	 i;
	int	 rc;

	out[0] = '\0';
	if ((rc = query_param(r, u, "client=", out, size)) <= 0)
		return rc;
	if (out[0] == '\0' || strlen(out) > CLIENT_ID_MAX)
		return -1;
	for (i = 0; out[i] != '\0'; i++)
		if (!isalnum((unsigned char)out[i]) &&
		    strchr("._:-", out[i]) == NULL)
			return -1;
	return 0;
}

/* Does the request carry want (not empty) as ?token= or Bearer? */
static bool
token_is(const struct http_req *r, const char *want,
    const struct http_parser_url *u)
{
	const char	*auth = r->hdr[H_AUTHORIZATION];
	char		 got[512];
	size_t		 wlen = strlen(want);

	if (wlen == 0)
		return false;
	if (query_param(r, u, "token=", got, sizeof(got)) == 1 &&
	    strlen(got) == wlen &&
	    CRYPTO_memcmp(got, want, wlen) == 0)
		return true;
	if (strncasecmp(auth, "Bearer ", 7) == 0 && strlen(auth + 7) == wlen &&
	    CRYPTO_memcmp(auth + 7, want, wlen) == 0)
		return true;
	return false;
}

/* Does the request carry the configured access token? */
static bool
token_ok(const struct http_req *r, const struct config *cfg,
    const struct http_parser_url *u)
{
	return cfg->access_token[0] == '\0' ||
	    token_is(r, cfg->access_token, u);
}

/*
 * May the request read /metrics: no token configured, or the access
 * token, or the metrics token.
 */
static bool
metrics_token_ok(const struct http_req *r, const struct config *cfg,
    const struct http_parser_url *u)
{
	if (cfg->access_token[0] == '\0' && cfg->metrics_token[0] == '\0')
		return true;
	return token_is(r, cfg->access_token, u) ||
	    token_is(r, cfg->metrics_token, u);
}

/* Is origin in the space-separated allow-list (empty: any)? */
static bool
origin_ok(const char *origin, const char *allowed)
{
	const char	*p = allowed, *end;
	size_t		 n = strlen(origin);

	if (allowed[0] == '\0' || origin[0] == '\0')
		return true;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p;
		while (*end != '\0' && *end != ' ' && *end != '\t')
			end++;
		if ((size_t)(end - p) == n && strncasecmp(p, origin, n) == 0)
			return true;
		p = end;
	}
	return false;
}

static void
refuse(struct http_decision *d, int status, const char *text,
    const char *extra)
{
	d->status = status;
	d->text = text;
	d->extra = extra;
}

/* Decide what a complete request head asks for and whether it may. */
void
http_decide(const struct http_req *r, const struct config *cfg,
    struct http_decision *d)
{
	struct http_parser_url	 u;
	const char		*path;
	size_t			 plen;
	bool			 upgrade;
	int			 i, ws_path;

	memset(d, 0, sizeof(*d));
	d->extra = "";
	for (i = 0; i < H_COUNT; i++)
		if (r->hdr_long[i]) {
			refuse(d, 431, "A request header is too long", "");
			return;
		}
	http_parser_url_init(&u);
	if (r->urllen == 0 || r->url[0] != '/' ||
	    http_parser_parse_url(r->url, r->urllen, 0, &u) != 0 ||
	    !(u.field_set & (1 << UF_PATH))) {
		refuse(d, 400, "Bad request target", "");
		return;
	}
	path = r->url + u.field_data[UF_PATH].off;
	plen = u.field_data[UF_PATH].len;
	if (r->major == 1 && r->minor >= 1 && r->hdrlen[H_HOST] == 0) {
		refuse(d, 400, "Missing Host header", "");
		return;
	}
	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		refuse(d, 405, "Method not allowed", "Allow: GET, HEAD\r\n");
		return;
	}
	if (plen == 8 && memcmp(path, "/healthz", 8) == 0) {
		d->route = ROUTE_HEALTH;
		return;
	}
	if (plen == 8 && memcmp(path, "/metrics", 8) == 0 && cfg->metrics) {
		d->route = ROUTE_METRICS;	/* refused or not */
		if (!metrics_token_ok(r, cfg, &u)) {
			refuse(d, 401, "Missing or invalid token",
			    "WWW-Authenticate: Bearer\r\n");
			return;
		}
		return;
	}
	ws_path = (plen == 1 && path[0] == '/') ||
	    (plen == 3 && memcmp(path, "/ws", 3) == 0) ||
	    (plen == 5 && memcmp(path, "/echo", 5) == 0);
	upgrade = http_token_list_has(r->hdr[H_UPGRADE], "websocket");
	if (ws_path && plen == 5 && !cfg->echo) {
		refuse(d, 404, "Not found", "");
		return;
	}
	if (!upgrade) {
		if (ws_path && plen > 1) {
			refuse(d, 400, "Expected WebSocket", "");
			return;
		}
		d->route = ROUTE_FILE;
		if (http_file_path(path, plen, d->file, sizeof(d->file)) == -1)
			refuse(d, 404, "Not found", "");
		return;
	}
	if (!ws_path) {
		refuse(d, 404, "Not found", "");
		return;
	}
	if (r->method != HTTP_GET) {
		refuse(d, 400, "A WebSocket upgrade must be a GET", "");
		return;
	}
	if (r->major < 1 || (r->major == 1 && r->minor < 1)) {
		refuse(d, 400, "A WebSocket upgrade needs HTTP/1.1", "");
		return;
	}
	if (!http_token_list_has(r->hdr[H_CONNECTION], "upgrade")) {
		refuse(d, 400, "Missing 'Connection: Upgrade'", "");
		return;
	}
	if (strcmp(r->hdr[H_WS_VERSION], "13") != 0) {
		refuse(d, 426, "Unsupported WebSocket version (13 only)",
		    "Sec-WebSocket-Version: 13\r\n");
		return;
	}
	if (!ws_key_valid(r->hdr[H_WS_KEY])) {
		refuse(d, 400, "Missing or invalid Sec-WebSocket-Key", "");
		return;
	}
	if (!origin_ok(r->hdr[H_ORIGIN], cfg->allowed_origins)) {
		refuse(d, 403, "Origin not allowed", "");
		return;
	}
	if (!token_ok(r, cfg, &u)) {
		refuse(d, 401, "Missing or invalid access token",
		    "WWW-Authenticate: Bearer\r\n");
		return;
	}
	if (plen != 5 && client_id(r, &u, d->client, sizeof(d->client)) ==
	    -1) {
		refuse(d, 400, "Invalid 'client': 1 to 64 of A-Z a-z 0-9 . _ "
		    ": -", "");
		return;
	}
	if (ws_accept_key(r->hdr[H_WS_KEY], d->accept,
	    sizeof(d->accept)) == -1) {
		refuse(d, 500, "Internal error", "");
		return;
	}
	d->route = plen == 5 ? ROUTE_ECHO : ROUTE_WS;
	snprintf(d->path, sizeof(d->path), "%.*s", (int)plen, path);
}
