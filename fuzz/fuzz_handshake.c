/*
 * Fuzz the WebSocket handshake checks of the gateway (http_decide,
 * ws_key_valid, ws_accept_key in gateway/gateway_http.c) against a
 * reference written from RFC 6455 section 4.2.1 here, independently.
 *
 * The input is a flag byte and then the header values, one per line:
 * Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version, Origin,
 * Authorization, and the ?token= query value.  They are put into a
 * request head that goes through the real parser; the gateway must
 * upgrade exactly when the reference says so, with the accept key the
 * reference computes (its own SHA-1 call and base64), and must refuse
 * everything else.
 *
 *	flag bit 0	allowed_origins configured
 *	flag bit 1	access_token configured
 *	flag bit 2	echo = no
 *	flag bits 3-4	path: /ws, /, /echo, /other
 *	flag bit 5	HEAD instead of GET
 *	flag bit 6	HTTP/1.0
 *	flag bit 7	no query
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "config.h"
#include "log.h"
#include "../gateway/gateway.h"

#define NFIELDS		7
#define ORIGINS		"http://127.0.0.1:8787 https://Dash.example"
#define TOKEN		"s3cret"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { HS_UPGRADE, HS_CONNECTION, HS_KEY, HS_VERSION, HS_ORIGIN, HS_AUTH,
    HS_QUERY };

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
hs_b64_encode(const unsigned char *in, size_t len, char *out)
{
	size_t		 i;
	uint32_t	 v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = b64[(v >> 6) & 63];
		*out++ = b64[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = b64[(v >> 6) & 63];
		*out++ = '=';
	}
	*out = '\0';
}

/* RFC 6455: the key is the base64 of 16 bytes (canonical encoding). */
static bool
hs_key_ok(const char *key)
{
	unsigned char	 raw[18];
	char		 again[32];
	const char	*p;
	uint32_t	 v = 0;
	size_t		 i, n = 0;

	if (strlen(key) != 24 || strcmp(key + 22, "==") != 0)
		return false;
	for (i = 0; i < 22; i++) {
		if (key[i] == '\0' || (p = strchr(b64, key[i])) == NULL)
			return false;
		v = v << 6 | (uint32_t)(p - b64);
		if (i % 4 == 3) {
			raw[n++] = (unsigned char)(v >> 16);
			raw[n++] = (unsigned char)(v >> 8);
			raw[n++] = (unsigned char)v;
			v = 0;
		}
	}
	/* 22 digits: 5 groups of 4 (15 bytes) and 2 digits (1 byte). */
	raw[n++] = (unsigned char)(v >> 4);
	hs_b64_encode(raw, 16, again);
	return n == 16 && strcmp(again, key) == 0;
}

/* A comma-separated header holds token (any case, blanks around). */
static bool
hs_list_has(const char *list, const char *token)
{
	char		 buf[HTTP_HDR_MAX + 1], *item, *save = NULL;
	size_t		 n;

	snprintf(buf, sizeof(buf), "%s", list);
	for (item = strtok_r(buf, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		item += strspn(item, " \t");
		n = strlen(item);
		while (n > 0 && (item[n - 1] == ' ' || item[n - 1] == '\t'))
			n--;
		if (n == strlen(token) && strncasecmp(item, token, n) == 0)
			return true;
	}
	return false;
}

static bool
hs_origin_ok(const char *origin, bool configured)
{
	char		 buf[] = ORIGINS, *item, *save = NULL;

	if (!configured || origin[0] == '\0')
		return true;
	for (item = strtok_r(buf, " ", &save); item != NULL;
	    item = strtok_r(NULL, " ", &save))
		if (strcasecmp(item, origin) == 0)
			return true;
	return false;
}

static int
hs_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The first name= parameter of the target's query (name with its '='),
 * decoded into dec: 1; 0 without one; -1 if it does not decode.
 */
static int
hs_query_param(const char *url, const char *name, char *dec)
{
	const char	*q = strchr(url, '?'), *end, *p;
	size_t		 o = 0, nlen = strlen(name);
	int		 hi, lo;

	if (q == NULL)
		return 0;
	q++;
	end = q + strcspn(q, "#");
	while (q < end) {
		p = q + strcspn(q, "&#");
		if ((size_t)(p - q) >= nlen && strncmp(q, name, nlen) == 0)
			break;
		q = *p == '&' ? p + 1 : end;
	}
	if (q >= end)
		return 0;
	for (q += nlen; q < p; q++) {
		if (*q == '%') {
			if (p - q < 3 || (hi = hs_hex(q[1])) < 0 ||
			    (lo = hs_hex(q[2])) < 0)
				return -1;
			dec[o] = (char)(hi << 4 | lo);
			q += 2;
		} else
			dec[o] = *q;
		if (dec[o++] == '\0')
			return -1;
	}
	dec[o] = '\0';
	return 1;
}

/* The first token= parameter of the target's query, decoded, is TOKEN. */
static bool
hs_query_token_ok(const char *url)
{
	char	 dec[HTTP_URL_MAX + 1];

	return hs_query_param(url, "token=", dec) == 1 &&
	    strcmp(dec, TOKEN) == 0;
}

/* No client= parameter, or 1 to 64 of A-Z a-z 0-9 . _ : - decoded. */
static bool
hs_client_ok(const char *url)
{
	char	 dec[HTTP_URL_MAX + 1];
	size_t	 i;
	int	 rc = hs_query_param(url, "client=", dec);

	if (rc <= 0)
		return rc == 0;
	if (dec[0] == '\0' || strlen(dec) > 64)
		return false;
	for (i = 0; dec[i] != '\0'; i++)
		if (!isalnum((unsigned char)dec[i]) &&
		    strchr("._:-", dec[i]) == NULL)
			return false;
	return true;
}

static bool
hs_token_ok(const struct http_req *r, bool configured)
{
	const char	*auth = r->hdr[H_AUTHORIZATION];

	if (!configured)
		return true;
	if (strncasecmp(auth, "Bearer ", 7) == 0 && strcmp(auth + 7,
	    TOKEN) == 0)
		return true;
	return hs_query_token_ok(r->url);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/ws", "/", "/echo", "/other" };
	static const char *const names[NFIELDS] = { "Upgrade", "Connection",
	    "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Origin",
	    "Authorization", NULL };
	static struct config	 cfgs[8];
	static int		 init;
	static char		 head[16384];
	const struct config	*cfg;
	struct http_req		 r;
	struct http_decision	 d;
	const char		*field[NFIELDS], *path;
	size_t			 flen[NFIELDS], used, n, i, k;
	unsigned char		 md[SHA_DIGEST_LENGTH];
	char			 buf[4096], want[32], key[64];
	bool			 expect, ws_path;
	int			 flags, len;

	if (!init) {
		log_init("fuzz", LOG_CRIT);
		for (i = 0; i < 8; i++) {
			config_defaults(&cfgs[i]);
			if (i & 1)
				snprintf(cfgs[i].allowed_origins,
				    sizeof(cfgs[i].allowed_origins), ORIGINS);
			if (i & 2)
				snprintf(cfgs[i].access_token,
				    sizeof(cfgs[i].access_token), TOKEN);
			cfgs[i].echo = !(i & 4);
		}
		init = 1;
	}
	if (size == 0 || size > sizeof(buf) - 1)
		return 0;
	flags = data[0];
	cfg = &cfgs[flags & 7];
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';

	/* Split the rest into lines: the header values. */
	for (i = 0, k = 0; i < NFIELDS; i++) {
		field[i] = buf + k;
		n = strcspn(buf + k, "\n");
		flen[i] = n;
		k += n;
		if (buf[k] == '\n')
			buf[k++] = '\0';
	}
	/* ws_key_valid and the reference agree on any key. */
	snprintf(key, sizeof(key), "%.*s", (int)flen[HS_KEY], field[HS_KEY]);
	if (ws_key_valid(key) != hs_key_ok(key))
		abort();

	path = paths[(flags >> 3) & 3];
	len = snprintf(head, sizeof(head), "%s %s%s%.*s HTTP/1.%d\r\n"
	    "Host: 127.0.0.1\r\n", (flags & 0x20) ? "HEAD" : "GET", path,
	    (flags & 0x80) ? "" : "?token=",
	    (flags & 0x80) ? 0 : (int)flen[HS_QUERY], field[HS_QUERY],
	    (flags & 0x40) ? 0 : 1);
	for (i = 0; i < HS_QUERY; i++)
		if (flen[i] > 0)
			len += snprintf(head + len, sizeof(head) - (size_t)len,
			    "%s: %.*s\r\n", names[i], (int)flen[i], field[i]);
	len += snprintf(head + len, sizeof(head) - (size_t)len, "\r\n");

	http_req_init(&r, (size_t)cfg->max_header_bytes);
	if (http_req_feed(&r, head, (size_t)len, &used) != HTTP_DONE)
		return 0;	/* the parser refused it: not a handshake */
	http_decide(&r, cfg, &d);

	ws_path = strcmp(path, "/other") != 0 &&
	    (strcmp(path, "/echo") != 0 || cfg->echo);
	expect = ws_path && !(flags & 0x60) &&
	    hs_list_has(r.hdr[H_UPGRADE], "websocket") &&
	    hs_list_has(r.hdr[H_CONNECTION], "upgrade") &&
	    strcmp(r.hdr[H_WS_VERSION], "13") == 0 &&
	    hs_key_ok(r.hdr[H_WS_KEY]) &&
	    hs_origin_ok(r.hdr[H_ORIGIN], cfg->allowed_origins[0] != '\0') &&
	    hs_token_ok(&r, cfg->access_token[0] != '\0') &&
	    (strcmp(path, "/echo") == 0 || hs_client_ok(r.url));
	for (i = 0; i < H_COUNT; i++)
		if (r.hdr_long[i])
			expect = false;
	if (expect != (d.status == 0 && (d.route == ROUTE_WS ||
	    d.route == ROUTE_ECHO)))
		abort();
	if (!expect)
		return 0;
	/* Sec-WebSocket-Accept: base64(SHA-1(key + the GUID)). */
	snprintf(buf, sizeof(buf), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
	    r.hdr[H_WS_KEY]);
	SHA1((const unsigned char *)buf, strlen(buf), md);
	hs_b64_encode(md, sizeof(md), want);
	if (strcmp(want, d.accept) != 0)
		abort();
	return 0;
}
