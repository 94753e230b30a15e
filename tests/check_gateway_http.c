/*
 * Unit tests for gateway/gateway_http.c: request heads fed whole, byte by
 * byte and pipelined, their bounds, the WebSocket handshake (accept key,
 * version 13, key, Connection, Origin, token), routes and every refusal,
 * file paths that must not escape web_dir, content types.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "config.h"
#include "../gateway/gateway.h"

#define TIMEOUT		30	/* seconds per test */
#define KEY		"dGhlIHNhbXBsZSBub25jZQ=="

static struct config		 cfg;
static struct http_req		 req;
static struct http_decision	 d;

static void
setup(void)
{
	config_defaults(&cfg);
}

/* Feed a whole head; the decision for it. */
static enum http_feed
feed(const char *s, size_t *used)
{
	size_t	 u;

	http_req_init(&req, (size_t)cfg.max_header_bytes);
	return http_req_feed(&req, s, strlen(s), used != NULL ? used : &u);
}

static void
decide(const char *s)
{
	ck_assert_int_eq(feed(s, NULL), HTTP_DONE);
	http_decide(&req, &cfg, &d);
}

/* An upgrade request to path with extra header lines. */
static const char *
upgrade(const char *path, const char *extra)
{
	static char	 buf[4096];

	snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"
	    "%s\r\n", path, extra);
	return buf;
}

/* s with the first occurrence of from replaced by to. */
static const char *
replace(const char *s, const char *from, const char *to)
{
	static char	 bufs[2][4096];
	static int	 which;
	const char	*p = strstr(s, from);
	char		*buf = bufs[which = !which];

	ck_assert_ptr_nonnull(p);
	snprintf(buf, sizeof(bufs[0]), "%.*s%s%s", (int)(p - s), s, to,
	    p + strlen(from));
	return buf;
}

START_TEST(test_accept_key_rfc)
{
	char	 out[32];

	/* RFC 6455 section 1.3. */
	ck_assert_int_eq(ws_accept_key(KEY, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_int_eq(ws_accept_key(KEY, out, 10), -1);
}
END_TEST

START_TEST(test_key_valid)
{
	ck_assert(ws_key_valid(KEY));
	ck_assert(ws_key_valid("AAAAAAAAAAAAAAAAAAAAAA=="));
	ck_assert(!ws_key_valid(""));
	ck_assert(!ws_key_valid("dGhlIHNhbXBsZSBub25jZQ="));	/* 23 */
	ck_assert(!ws_key_valid("dGhlIHNhbXBsZSBub25jZQ==="));
	ck_assert(!ws_key_valid("dGhlIHNhbXBsZSBub25jZ!=="));
	ck_assert(!ws_key_valid("dGhlIHNhbXBsZSBub25jZR=="));	/* bits */
	ck_assert(!ws_key_valid("dGhlIHNhbXBsZSBub25jZQAA"));
	ck_assert(!ws_key_valid("aGVsbG8gd29ybGQgaGVsbG8="));	/* 17 */
}
END_TEST

START_TEST(test_upgrade_ok)
{
	decide(upgrade("/ws", ""));
	ck_assert_int_eq(d.status, 0);
	ck_assert_int_eq(d.route, ROUTE_WS);
	ck_assert_str_eq(d.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_str_eq(d.path, "/ws");
	decide(upgrade("/", ""));
	ck_assert_int_eq(d.route, ROUTE_WS);
	decide(upgrade("/echo", ""));
	ck_assert_int_eq(d.route, ROUTE_ECHO);
	ck_assert_str_eq(d.path, "/echo");
	/* Header names and tokens in any case; lists. */
	decide(replace(replace(upgrade("/ws?x=1", ""), "Upgrade: websocket",
	    "UPGRADE: WebSocket"), "Connection: Upgrade",
	    "connection: keep-alive, upgrade"));
	ck_assert_int_eq(d.status, 0);
	ck_assert_int_eq(d.route, ROUTE_WS);
}
END_TEST

START_TEST(test_upgrade_version)
{
	decide(replace(upgrade("/ws", ""), "Version: 13", "Version: 8"));
	ck_assert_int_eq(d.status, 426);
	ck_assert_ptr_nonnull(strstr(d.extra, "Sec-WebSocket-Version: 13"));
	decide(replace(upgrade("/ws", ""), "Sec-WebSocket-Version: 13\r\n",
	    ""));
	ck_assert_int_eq(d.status, 426);
	decide(replace(upgrade("/ws", ""), "Version: 13", "Version: 13, 8"));
	ck_assert_int_eq(d.status, 426);
}
END_TEST

START_TEST(test_upgrade_bad_headers)
{
	decide(replace(upgrade("/ws", ""), "Sec-WebSocket-Key: " KEY "\r\n",
	    ""));
	ck_assert_int_eq(d.status, 400);
	ck_assert_str_eq(d.text, "Missing or invalid Sec-WebSocket-Key");
	decide(replace(upgrade("/ws", ""), KEY, "not-a-key"));
	ck_assert_int_eq(d.status, 400);
	/* Two keys join into a list: not one key. */
	decide(upgrade("/ws", "Sec-WebSocket-Key: " KEY "\r\n"));
	ck_assert_int_eq(d.status, 400);
	decide(replace(upgrade("/ws", ""), "Connection: Upgrade",
	    "Connection: keep-alive"));
	ck_assert_int_eq(d.status, 400);
	ck_assert_str_eq(d.text, "Missing 'Connection: Upgrade'");
	decide(replace(upgrade("/ws", ""), "HTTP/1.1", "HTTP/1.0"));
	ck_assert_int_eq(d.status, 400);
	decide(replace(upgrade("/ws", ""), "Host: localhost\r\n", ""));
	ck_assert_int_eq(d.status, 400);
	ck_assert_str_eq(d.text, "Missing Host header");
	decide(replace(upgrade("/ws", ""), "GET", "HEAD"));
	ck_assert_int_eq(d.status, 400);
	decide(upgrade("/other", ""));
	ck_assert_int_eq(d.status, 404);
	decide(upgrade("/ws", "X-Long: y\r\nOrigin: http://"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".example\r\n"));
	ck_assert_int_eq(d.status, 431);
}
END_TEST

START_TEST(test_expected_websocket)
{
	decide("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(d.status, 400);
	ck_assert_str_eq(d.text, "Expected WebSocket");
	decide("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(d.status, 400);
	/* / without an upgrade is the dashboard. */
	decide("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(d.status, 0);
	ck_assert_int_eq(d.route, ROUTE_FILE);
	ck_assert_str_eq(d.file, "index.html");
	cfg.echo = 0;
	decide(upgrade("/echo", ""));
	ck_assert_int_eq(d.status, 404);
}
END_TEST

START_TEST(test_origin)
{
	snprintf(cfg.allowed_origins, sizeof(cfg.allowed_origins),
	    "http://a.example  https://b.example:8443");
	decide(upgrade("/ws", "Origin: http://a.example\r\n"));
	ck_assert_int_eq(d.status, 0);
	decide(upgrade("/ws", "Origin: HTTPS://B.example:8443\r\n"));
	ck_assert_int_eq(d.status, 0);
	decide(upgrade("/ws", "Origin: http://evil.example\r\n"));
	ck_assert_int_eq(d.status, 403);
	decide(upgrade("/ws", "Origin: http://a.example.evil\r\n"));
	ck_assert_int_eq(d.status, 403);
	decide(upgrade("/ws", "Origin: http://a.exampl\r\n"));
	ck_assert_int_eq(d.status, 403);
	/* No Origin: not a browser, nothing to protect. */
	decide(upgrade("/ws", ""));
	ck_assert_int_eq(d.status, 0);
	cfg.allowed_origins[0] = '\0';
	decide(upgrade("/ws", "Origin: http://anything\r\n"));
	ck_assert_int_eq(d.status, 0);
}
END_TEST

START_TEST(test_token)
{
	snprintf(cfg.access_token, sizeof(cfg.access_token), "s3cr%%t");
	decide(upgrade("/ws", ""));
	ck_assert_int_eq(d.status, 401);
	ck_assert_ptr_nonnull(strstr(d.extra, "WWW-Authenticate: Bearer"));
	decide(upgrade("/ws?token=s3cr%25t", ""));
	ck_assert_int_eq(d.status, 0);
	decide(upgrade("/ws?a=b&token=s3cr%25t&c=d", ""));
	ck_assert_int_eq(d.status, 0);
	decide(upgrade("/ws?token=s3cr%25", ""));
	ck_assert_int_eq(d.status, 401);
	decide(upgrade("/ws?token=s3cr%25tt", ""));
	ck_assert_int_eq(d.status, 401);
	decide(upgrade("/ws?xtoken=s3cr%25t", ""));
	ck_assert_int_eq(d.status, 401);
	decide(upgrade("/ws?token=%zz", ""));
	ck_assert_int_eq(d.status, 401);
	decide(upgrade("/ws", "Authorization: Bearer s3cr%t\r\n"));
	ck_assert_int_eq(d.status, 0);
	decide(upgrade("/ws", "Authorization: bearer s3cr%t\r\n"));
	ck_assert_int_eq(d.status, 0);
	decide(upgrade("/ws", "Authorization: Basic s3cr%t\r\n"));
	ck_assert_int_eq(d.status, 401);
	/* Static files need no token. */
	decide("GET /js/app.js HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(d.status, 0);
}
END_TEST

START_TEST(test_routes)
{
	decide("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(d.route, ROUTE_HEALTH);
	decide("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(d.route, ROUTE_HEALTH);
	decide("GET /dashboard-actors.html HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_str_eq(d.file, "index.html");
	decide("GET /js/runtime.js?v=2 HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(d.status, 0);
	ck_assert_str_eq(d.file, "js/runtime.js");
	decide("GET /a%20b.txt HTTP/1.0\r\n\r\n");
	ck_assert_int_eq(d.status, 0);
	ck_assert_str_eq(d.file, "a b.txt");
	decide("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(d.status, 405);
	ck_assert_str_eq(d.extra, "Allow: GET, HEAD\r\n");
	decide("GET * HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(d.status, 400);
	decide("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(d.status, 400);
}
END_TEST

START_TEST(test_file_paths)
{
	static const char *const bad[] = {
		"/..", "/../etc/passwd", "/js/../../x", "/%2e%2e/x",
		"/js/%2E%2E/x", "/.git/config", "/js/.hidden", "//x",
		"/js//x", "/js/", "/a\\b", "/a%5cb", "/a%00b", "/%", "/%4",
		"/%zz", "x", "",
	};
	char	 out[256];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(http_file_path(bad[i], strlen(bad[i]), out,
		    sizeof(out)) == -1, "%s was allowed", bad[i]);
	ck_assert_int_eq(http_file_path("/", 1, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "index.html");
	ck_assert_int_eq(http_file_path("/css/app.css", 12, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "css/app.css");
	ck_assert_int_eq(http_file_path("/a.b..c", 7, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a.b..c");
	ck_assert_int_eq(http_file_path("/abcdef", 7, out, 4), -1);
}
END_TEST

START_TEST(test_content_types)
{
	ck_assert_str_eq(http_content_type("index.html"),
	    "text/html; charset=utf-8");
	ck_assert_str_eq(http_content_type("js/a.js"),
	    "text/javascript; charset=utf-8");
	ck_assert_str_eq(http_content_type("js/a.MJS"),
	    "text/javascript; charset=utf-8");
	ck_assert_str_eq(http_content_type("a.css"), "text/css; charset=utf-8");
	ck_assert_str_eq(http_content_type("a.svg"), "image/svg+xml");
	ck_assert_str_eq(http_content_type("a.json"), "application/json");
	ck_assert_str_eq(http_content_type("x.d/noext"),
	    "application/octet-stream");
	ck_assert_str_eq(http_content_type("README"),
	    "application/octet-stream");
}
END_TEST

START_TEST(test_token_list)
{
	ck_assert(http_token_list_has("Upgrade", "upgrade"));
	ck_assert(http_token_list_has("keep-alive, Upgrade", "upgrade"));
	ck_assert(http_token_list_has(" upgrade ,x", "upgrade"));
	ck_assert(!http_token_list_has("upgrades", "upgrade"));
	ck_assert(!http_token_list_has("", "upgrade"));
	ck_assert(!http_token_list_has("up grade", "upgrade"));
}
END_TEST

START_TEST(test_feed_byte_by_byte)
{
	const char	*s = upgrade("/ws?token=x", "Origin: http://o\r\n");
	size_t		 i, used, total = 0;
	enum http_feed	 f = HTTP_MORE;

	http_req_init(&req, 8192);
	for (i = 0; i < strlen(s); i++) {
		f = http_req_feed(&req, s + i, 1, &used);
		total += used;
		if (f != HTTP_MORE)
			break;
	}
	ck_assert_int_eq(f, HTTP_DONE);
	ck_assert_uint_eq(total, strlen(s));
	ck_assert_str_eq(req.hdr[H_WS_KEY], KEY);
	ck_assert_str_eq(req.hdr[H_ORIGIN], "http://o");
	ck_assert_str_eq(req.url, "/ws?token=x");
	http_decide(&req, &cfg, &d);
	ck_assert_int_eq(d.status, 0);
}
END_TEST

START_TEST(test_feed_leftover)
{
	char		 buf[8192];
	size_t		 used;
	const char	*s = upgrade("/echo", "");

	/* The first frame rides in the same packet: it is not the head's. */
	ck_assert_uint_lt(strlen(s) + 12, sizeof(buf));
	memcpy(buf, s, strlen(s));
	memcpy(buf + strlen(s), "\x81\x85" "abcdefghi", 12);
	ck_assert_int_eq(feed(buf, &used), HTTP_DONE);
	ck_assert_uint_eq(used, strlen(s));
	/* Pipelined requests: one at a time. */
	ck_assert_int_eq(feed("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: x\r\n\r\n", &used), HTTP_DONE);
	ck_assert_uint_eq(used, 28);
	ck_assert_str_eq(req.url, "/a");
	ck_assert(req.keep_alive);
	ck_assert_int_eq(feed("GET /a HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", &used), HTTP_DONE);
	ck_assert(!req.keep_alive);
}
END_TEST

START_TEST(test_feed_bounds)
{
	char	 buf[20000];
	size_t	 used;

	cfg.max_header_bytes = 1024;
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: x\r\nX-A: %0900d"
	    "\r\nX-B: %0200d\r\n\r\n", 0, 0);
	ck_assert_int_eq(feed(buf, &used), HTTP_BAD);
	ck_assert_int_eq(req.status, 431);
	/* Too long even without the end of the head. */
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nX-A: %01100d", 0);
	ck_assert_int_eq(feed(buf, &used), HTTP_BAD);
	ck_assert_int_eq(req.status, 431);
	cfg.max_header_bytes = 16384;
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	memcpy(buf + 5 + HTTP_URL_MAX, " HTTP/1.1\r\n\r\n", 14);
	ck_assert_int_eq(feed(buf, &used), HTTP_BAD);
	ck_assert_int_eq(req.status, 414);
	ck_assert_int_eq(feed("GET / HTTP/1.1\r\nHost: x\r\n", &used),
	    HTTP_MORE);
}
END_TEST

START_TEST(test_feed_bad)
{
	static const char *const bad[] = {
		"HELLO WORLD\r\n\r\n",
		"GET / HTTP/9.9.9\r\n\r\n",
		"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",	/* TLS */
	};
	size_t	 i, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(feed(bad[i], &used) == HTTP_BAD, "case %zu", i);
		ck_assert_int_eq(req.status, 400);
	}
	ck_assert_int_eq(feed("POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3\r\n\r\nabc", &used), HTTP_BAD);
	ck_assert_int_eq(req.status, 405);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("gateway_http");
	TCase	*tc;

	tc = tcase_create("handshake");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_accept_key_rfc);
	tcase_add_test(tc, test_key_valid);
	tcase_add_test(tc, test_upgrade_ok);
	tcase_add_test(tc, test_upgrade_version);
	tcase_add_test(tc, test_upgrade_bad_headers);
	tcase_add_test(tc, test_expected_websocket);
	tcase_add_test(tc, test_origin);
	tcase_add_test(tc, test_token);
	suite_add_tcase(s, tc);

	tc = tcase_create("routes");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_routes);
	tcase_add_test(tc, test_file_paths);
	tcase_add_test(tc, test_content_types);
	tcase_add_test(tc, test_token_list);
	suite_add_tcase(s, tc);

	tc = tcase_create("parsing");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_feed_byte_by_byte);
	tcase_add_test(tc, test_feed_leftover);
	tcase_add_test(tc, test_feed_bounds);
	tcase_add_test(tc, test_feed_bad);
	suite_add_tcase(s, tc);
	return s;
}
