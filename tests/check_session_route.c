/*
 * Unit tests for session/session_route.c: route_check() with every Error
 * code of PROTOCOL.md and its text, then the whole session in-process (a
 * WebSocket over a socketpair, the runtime with no actor listening): the
 * codes only a running session gives (rate_limited, too_large,
 * unavailable), local Ping, replies and pushes routed to the client actor
 * that asked, and SessionClose from the gateway.
 */
#include <sys/socket.h>

#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "actor.h"
#include "check_main.h"
#include "config.h"
#include "log.h"
#include "../session/session.h"

#define TIMEOUT		30	/* seconds per test */
#define SELF		"0123456789abcdef"

static struct route_req	 req;
static const char	*reply_to;
static enum err_code	 code;
static char		 why[512];

/* route_check() on a JSON text. */
static int
check(const char *text)
{
	static json_t	*msg;

	json_decref(msg);
	msg = mpjson_parse(text, strlen(text));
	return route_check(msg, SELF, &req, &reply_to, &code, why,
	    sizeof(why));
}

/* A message with every field right but one replaced by field. */
static const char *
msg(const char *to, const char *type, const char *more)
{
	static char	 buf[2048];

	snprintf(buf, sizeof(buf), "{\"to\":\"%s\",\"from\":\"client:t\","
	    "\"type\":\"%s\",\"id\":\"m1\",\"timestamp\":1%s}", to, type, more);
	return buf;
}

static void
fails(const char *text, enum err_code want, const char *want_why)
{
	ck_assert_msg(check(text) == -1, "%s passed", text);
	ck_assert_msg(code == want, "%s: code %s, want %s (%s)", text,
	    err_code_name(code), err_code_name(want), why);
	if (want_why != NULL)
		ck_assert_msg(strcmp(why, want_why) == 0, "%s: '%s', want '%s'",
		    text, why, want_why);
}

START_TEST(test_check_ok)
{
	ck_assert_int_eq(check(msg("coordinator:main", "GetStatus",
	    ",\"payload\":{}")), 0);
	ck_assert_int_eq(req.type, MSG_GET_STATUS);
	ck_assert_str_eq(req.to, "coordinator:main");
	ck_assert_str_eq(req.from, "client:t");
	ck_assert_str_eq(req.id, "m1");
	ck_assert_str_eq(reply_to, "m1");
	ck_assert_int_eq(req.kindbit, K_COORD);
	ck_assert(!req.local);
	ck_assert_int_eq(check(msg("session", "Ping", "")), 0);
	ck_assert(req.local);
	ck_assert_ptr_null(req.payload);
	ck_assert_int_eq(check(msg("session:" SELF, "Ping",
	    ",\"payload\":[1]")), 0);
	ck_assert(req.local);
	ck_assert_int_eq(check(msg("worker:w-1.a_b", "GetState", "")), 0);
	ck_assert_int_eq(check(msg("system:supervisor", "GetTree", "")), 0);
	ck_assert_int_eq(check(msg("system:supervisor", "Subscribe", "")), 0);
	ck_assert_int_eq(check(msg("system:supervisor", "Unsubscribe", "")),
	    0);
	ck_assert_int_eq(check(msg("eventlog:main", "LogEvent", "")), 0);
	/* Unknown fields are ignored; timestamp may be absent or real. */
	ck_assert_int_eq(check("{\"to\":\"coordinator:main\",\"from\":"
	    "\"client:x\",\"type\":\"Ping\",\"id\":\"i\",\"extra\":[1]}"), 0);
	ck_assert_int_eq(check(msg("coordinator:main", "Ping",
	    ",\"timestamp\":1.5e12")), 0);
}
END_TEST

START_TEST(test_check_bad_json)
{
	fails("[1,2]", ERR_BAD_JSON, "Invalid message format");
	ck_assert_ptr_null(reply_to);
	ck_assert_int_eq(route_check(NULL, SELF, &req, &reply_to, &code, why,
	    sizeof(why)), -1);
	ck_assert_int_eq(code, ERR_BAD_JSON);
}
END_TEST

START_TEST(test_check_bad_envelope)
{
	fails("{\"to\":\"coordinator:main\",\"from\":\"client:t\",\"id\":\"a\"}",
	    ERR_BAD_ENVELOPE, "Missing or invalid 'type' field");
	ck_assert_str_eq(reply_to, "a");
	fails(msg("coordinator:main", "", ""), ERR_BAD_ENVELOPE,
	    "Missing or invalid 'type' field");
	fails("{\"type\":\"Ping\",\"from\":\"client:t\",\"id\":\"a\"}",
	    ERR_BAD_ENVELOPE, "Missing or invalid 'to' field: expected a "
	    "string of 1-160 bytes");
	fails("{\"type\":\"Ping\",\"to\":7,\"from\":\"client:t\",\"id\":\"a\"}",
	    ERR_BAD_ENVELOPE, NULL);
	fails("{\"type\":\"Ping\",\"to\":\"session\",\"id\":\"a\"}",
	    ERR_BAD_ENVELOPE, "Missing or invalid 'from' field: expected "
	    "client:<name>");
	fails("{\"type\":\"Ping\",\"to\":\"session\",\"id\":\"a\","
	    "\"from\":\"coordinator:main\"}", ERR_BAD_ENVELOPE,
	    "Missing or invalid 'from' field: expected client:<name>");
	fails("{\"type\":\"Ping\",\"to\":\"session\",\"from\":\"client:t\"}",
	    ERR_BAD_ENVELOPE, "Missing or invalid 'id' field: expected a "
	    "string of 1-128 bytes");
	ck_assert_ptr_null(reply_to);
	fails("{\"type\":\"Ping\",\"to\":\"session\",\"from\":\"client:t\","
	    "\"id\":\"\"}", ERR_BAD_ENVELOPE, NULL);
	fails("{\"type\":\"Ping\",\"to\":\"session\",\"from\":\"client:t\","
	    "\"id\":\"a\\u0000b\"}", ERR_BAD_ENVELOPE, NULL);
	fails(msg("session", "Ping", ",\"timestamp\":\"now\""),
	    ERR_BAD_ENVELOPE, "Invalid 'timestamp' field: expected "
	    "milliseconds since the epoch");
	fails(msg("session", "Ping", ",\"timestamp\":-1"), ERR_BAD_ENVELOPE,
	    NULL);
}
END_TEST

START_TEST(test_check_bad_address)
{
	static const char *const bad[] = {
		"coordinator", "Coordinator:main", ":main", "coordinator:",
		"co-ord:main", "coordinator:a b", "coordinator:\\u0001",
		"abcdefghijklmnopq:x",
	};
	char	 want[256];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(check(msg(bad[i], "Ping", "")), -1);
		ck_assert_msg(code == ERR_BAD_ADDRESS, "%s: %s", bad[i], why);
		ck_assert_str_eq(reply_to, "m1");
	}
	check(msg("Coordinator:main", "Ping", ""));
	snprintf(want, sizeof(want), "Invalid 'to' field: %s",
	    "Coordinator:main");
	ck_assert_str_eq(why, want);
}
END_TEST

START_TEST(test_check_unknown_actor)
{
	fails(msg("nope:main", "Ping", ""), ERR_UNKNOWN_ACTOR,
	    "Unknown actor type: nope");
	fails(msg("client:ui", "Ping", ""), ERR_UNKNOWN_ACTOR,
	    "Unknown actor type: client");
	fails(msg("session:ffffffffffffffff", "Ping", ""), ERR_UNKNOWN_ACTOR,
	    "Unknown actor: session:ffffffffffffffff");
}
END_TEST

START_TEST(test_check_unknown_type)
{
	fails(msg("coordinator:main", "Frobnicate", ""), ERR_UNKNOWN_TYPE,
	    "Unknown message type: Frobnicate");
	fails(msg("coordinator:main", "ping", ""), ERR_UNKNOWN_TYPE, NULL);
	fails(msg("coordinator:main", "GetTree", ""), ERR_UNKNOWN_TYPE,
	    "Unknown message type for coordinator: GetTree");
	fails(msg("worker:w1", "AssignTask", ""), ERR_UNKNOWN_TYPE,
	    "Unknown message type for worker: AssignTask");
	fails(msg("session", "GetStatus", ""), ERR_UNKNOWN_TYPE,
	    "Unknown message type for session: GetStatus");
	fails(msg("eventlog:main", "GetState", ""), ERR_UNKNOWN_TYPE, NULL);
}
END_TEST

START_TEST(test_check_forbidden)
{
	static const char *const internal[] = {
		"ProcessTask", "TaskCompleted", "TaskFailed", "TaskStarted",
		"Hello", "Ready", "Inspect", "CtlShutdown", "SessionClose",
		"SessionOpen", "SessionsChanged", "StartWorker",
		"StatusUpdated", "Pong", "Error", "SessionEstablished",
	};
	size_t	 i;

	for (i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
		ck_assert_int_eq(check(msg("coordinator:main", internal[i],
		    "")), -1);
		ck_assert_msg(code == ERR_FORBIDDEN, "%s: %s", internal[i],
		    why);
	}
	fails(msg("coordinator:main", "ProcessTask", ""), ERR_FORBIDDEN,
	    "ProcessTask is not a message clients may send");
	fails(msg("system:supervisor", "RegisterWorker", ""), ERR_FORBIDDEN,
	    "system:supervisor is read-only from the WebSocket: "
	    "RegisterWorker is not allowed");
	fails(msg("system:supervisor", "LogEvent", ""), ERR_FORBIDDEN, NULL);
	fails(msg("system:other", "GetStatus", ""), ERR_FORBIDDEN, NULL);
}
END_TEST

/* The whole session in this process. */

static struct event_base	*base;
static struct config		 cfg;
static int			 cfd = -1;
static char			 inbuf[1 << 20];
static size_t			 inlen;
static int			 closed_code = -1;

static void
closed_cb(uint16_t c)
{
	closed_code = c;
}

static const struct ws_cb route_cb = {
	.message = route_client_message,
	.closed = closed_cb,
};

/* Send one masked text frame from the client end. */
static void
send_text(const char *s)
{
	unsigned char	 hdr[14], mask[4] = { 0x11, 0x22, 0x33, 0x44 };
	size_t		 n = strlen(s), h = 0, i;
	unsigned char	*buf;

	hdr[h++] = 0x81;
	if (n < 126)
		hdr[h++] = 0x80 | (unsigned char)n;
	else {
		hdr[h++] = 0x80 | 126;
		hdr[h++] = (unsigned char)(n >> 8);
		hdr[h++] = (unsigned char)n;
	}
	memcpy(hdr + h, mask, 4);
	h += 4;
	buf = malloc(h + n);
	memcpy(buf, hdr, h);
	for (i = 0; i < n; i++)
		buf[h + i] = (unsigned char)s[i] ^ mask[i & 3];
	ck_assert_int_eq(write(cfd, buf, h + n), (ssize_t)(h + n));
	free(buf);
}

/* Run the loop and read what the session wrote, for ms at most. */
static void
pump(int ms)
{
	struct pollfd	 pfd = { .fd = cfd, .events = POLLIN };
	ssize_t		 n;
	int		 i;

	for (i = 0; i < ms; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (poll(&pfd, 1, 1) == 1 &&
		    (n = read(cfd, inbuf + inlen, sizeof(inbuf) - inlen)) > 0)
			inlen += (size_t)n;
	}
}

/* The next server frame: opcode and payload (NUL-terminated); -1 none. */
static int
next_frame(char **payload, size_t *len, int ms)
{
	size_t	 n, off;
	int	 op, waited = 0;

	for (;;) {
		if (inlen >= 2) {
			n = (unsigned char)inbuf[1] & 0x7f;
			off = 2;
			if (n == 126 && inlen >= 4) {
				n = ((size_t)(unsigned char)inbuf[2] << 8) |
				    (unsigned char)inbuf[3];
				off = 4;
			}
			if ((n < 126 || off == 4) && inlen >= off + n) {
				op = inbuf[0] & 0xf;
				*payload = malloc(n + 1);
				memcpy(*payload, inbuf + off, n);
				(*payload)[n] = '\0';
				*len = n;
				memmove(inbuf, inbuf + off + n, inlen - off - n);
				inlen -= off + n;
				return op;
			}
		}
		if (waited >= ms)
			return -1;
		pump(10);
		waited += 10;
	}
}

/* The next JSON message from the session. */
static json_t *
next_json(int ms)
{
	json_t	*j;
	char	*p;
	size_t	 n;
	int	 op;

	op = next_frame(&p, &n, ms);
	ck_assert_msg(op == 1, "no text frame (%d)", op);
	j = json_loads(p, 0, NULL);
	ck_assert_msg(j != NULL, "not JSON: %s", p);
	free(p);
	return j;
}

static const char *
jstr(const json_t *j, const char *path)
{
	const json_t	*v = j;
	char		 key[64];
	const char	*dot;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		v = json_object_get(v, key);
		path = dot + 1;
	}
	v = json_object_get(v, path);
	return json_is_string(v) ? json_string_value(v) : "";
}

/* Expect an Error with code for id. */
static void
expect_error(const char *id, const char *want)
{
	json_t	*j = next_json(2000);

	ck_assert_str_eq(jstr(j, "type"), "Error");
	ck_assert_str_eq(jstr(j, "payload.code"), want);
	ck_assert_str_eq(jstr(j, "replyTo"), id);
	ck_assert_str_eq(jstr(j, "from"), "session:" SELF);
	json_decref(j);
}

static void
setup_session(void)
{
	char		 dir[] = "/tmp/check_session.XXXXXX";
	struct ws_limits lim = { 1 << 20, 1 << 20, 60000, 10000 };
	int		 sv[2];
	char		*p;
	size_t		 n;

	log_init("check", LOG_ERR);
	config_defaults(&cfg);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cfg.run_dir, sizeof(cfg.run_dir), "%s", dir);
	cfg.actor_wait_ms = 300;
	cfg.rate_limit = 10;
	cfg.rate_burst = 10;
	cfg.max_frame_bytes = 4096;
	/*
	 * The runtime has no teardown (a process has one runtime for its
	 * life): set it up once per process, which under CK_FORK=no (as
	 * for Valgrind) is once for all the tests.
	 */
	if (base == NULL) {
		base = event_base_new();
		rt_init(base, &cfg, "session:" SELF);
		rt_register(&session_kind);
		actor_spawn(&session_kind, SELF, NULL);
	}
	route_init(&cfg, SELF);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cfd = sv[1];
	fcntl(cfd, F_SETFL, O_NONBLOCK);
	ck_assert_int_eq(ws_start(base, sv[0], "HTTP/1.1 101 x\r\n\r\n",
	    NULL, 0, &lim, &route_cb), 0);
	route_established();
	pump(20);
	ck_assert_uint_ge(inlen, 18);
	ck_assert(memcmp(inbuf, "HTTP/1.1 101 x\r\n\r\n", 18) == 0);
	memmove(inbuf, inbuf + 18, inlen - 18);
	inlen -= 18;
	ck_assert_int_eq(next_frame(&p, &n, 1000), 1);
	ck_assert_ptr_nonnull(strstr(p, "\"SessionEstablished\""));
	ck_assert_ptr_nonnull(strstr(p, "\"sessionId\":\"" SELF "\""));
	free(p);
}

static void
teardown_session(void)
{
	route_free();
	ws_free();
	close(cfd);
	cfd = -1;
	rmdir(cfg.run_dir);	/* nothing was made in it */
}

START_TEST(test_local_ping)
{
	json_t	*j, *want;

	send_text(msg("session", "Ping", ",\"payload\":{\"k\":[1,\"v\"]}"));
	j = next_json(1000);
	ck_assert_str_eq(jstr(j, "type"), "Pong");
	ck_assert_str_eq(jstr(j, "to"), "client:t");
	ck_assert_str_eq(jstr(j, "replyTo"), "m1");
	ck_assert_str_eq(jstr(j, "from"), "session:" SELF);
	want = json_pack("{s:[i,s]}", "k", 1, "v");
	ck_assert(json_equal(json_object_get(j, "payload"), want));
	json_decref(want);
	json_decref(j);
}
END_TEST

START_TEST(test_errors_in_session)
{
	json_t	*j;
	char	 big[8192];
	size_t	 n;

	/* Not JSON, binary: bad_json to client:ui, no replyTo. */
	send_text("{{");
	j = next_json(1000);
	ck_assert_str_eq(jstr(j, "payload.code"), "bad_json");
	ck_assert_str_eq(jstr(j, "payload.error"), "Invalid message format");
	ck_assert_str_eq(jstr(j, "to"), "client:ui");
	ck_assert_ptr_null(json_object_get(j, "replyTo"));
	json_decref(j);
	/*
	 * A payload the session cannot translate: nested too deep.  (One
	 * that does not fit its type is the actor's to refuse, when it
	 * decodes it: tests/ws/protocol.test.mjs, "bad_payload names the
	 * field".)
	 */
	send_text(msg("coordinator:main", "AssignTask", ",\"payload\":"
	    "{\"input\":[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]}"));
	expect_error("m1", "bad_payload");
	/* Over max_frame_bytes between processes. */
	snprintf(big, sizeof(big), "{\"to\":\"coordinator:main\",\"from\":"
	    "\"client:t\",\"type\":\"AssignTask\",\"id\":\"big\","
	    "\"payload\":{\"input\":\"");
	n = strlen(big);
	memset(big + n, 'x', 5000);
	big[n + 5000] = '\0';
	strcat(big, "\"}}");
	send_text(big);
	expect_error("big", "too_large");
	/* No coordinator listening: unavailable after actor_wait_ms. */
	send_text(msg("coordinator:main", "GetStatus", ""));
	j = next_json(2000);
	ck_assert_str_eq(jstr(j, "payload.code"), "unavailable");
	ck_assert_ptr_nonnull(strstr(jstr(j, "payload.error"),
	    "coordinator:main"));
	ck_assert_str_eq(jstr(j, "to"), "client:t");
	json_decref(j);
}
END_TEST

START_TEST(test_rate_limited)
{
	json_t	*j;
	int	 i, pongs = 0, limited = 0;

	for (i = 0; i < 15; i++)
		send_text(msg("session", "Ping", ""));
	for (i = 0; i < 15; i++) {
		j = next_json(1000);
		if (strcmp(jstr(j, "type"), "Pong") == 0)
			pongs++;
		else {
			ck_assert_str_eq(jstr(j, "payload.code"),
			    "rate_limited");
			ck_assert_str_eq(jstr(j, "replyTo"), "m1");
			limited++;
		}
		json_decref(j);
	}
	ck_assert_int_eq(pongs, 10);
	ck_assert_int_eq(limited, 5);
	/* 10 per second: one more after 150 ms. */
	pump(150);
	send_text(msg("session", "Ping", ""));
	j = next_json(1000);
	ck_assert_str_eq(jstr(j, "type"), "Pong");
	json_decref(j);
}
END_TEST

/* Deliver an envelope to the session as the runtime would. */
static void
deliver(enum msg_type type, const char *from, const char *reply_to_id,
    const char *payload_json)
{
	struct envelope	 env;
	msgpack_sbuffer	 sb;
	msgpack_packer	 p;
	msgpack_zone	 z;
	msgpack_object	 o;
	json_t		*pj = mpjson_parse(payload_json, strlen(payload_json));
	size_t		 off = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&p, &sb, msgpack_sbuffer_write);
	msgpack_zone_init(&z, 1024);
	ck_assert_int_eq(mpjson_pack(&p, pj, 30), 0);
	msgpack_unpack(sb.data, sb.size, &off, &z, &o);
	memset(&env, 0, sizeof(env));
	env.type = type;
	snprintf(env.to, sizeof(env.to), "session:" SELF);
	snprintf(env.from, sizeof(env.from), "%s", from);
	snprintf(env.id, sizeof(env.id), "actor-msg-1");
	snprintf(env.reply_to, sizeof(env.reply_to), "%s",
	    reply_to_id != NULL ? reply_to_id : "");
	env.timestamp = 1234;
	env.payload = &o;
	session_kind.receive(actor_find("session:" SELF), &env);
	msgpack_zone_destroy(&z);
	msgpack_sbuffer_destroy(&sb);
	json_decref(pj);
}

START_TEST(test_reply_routing)
{
	json_t	*j;
	char	 fwd[ID_MAX + 1];

	send_text("{\"to\":\"coordinator:main\",\"from\":\"client:proxy\","
	    "\"type\":\"GetStatus\",\"id\":\"mine\",\"payload\":{}}");
	pump(20);
	/* The request left with a fresh id; the reply names it. */
	snprintf(fwd, sizeof(fwd), "%s", actor_last_id());
	ck_assert_str_ne(fwd, "mine");
	deliver(MSG_STATUS_UPDATED, "coordinator:main", fwd,
	    "{\"workers\":[],\"n\":18446744073709551615}");
	j = next_json(1000);
	ck_assert_str_eq(jstr(j, "type"), "StatusUpdated");
	ck_assert_str_eq(jstr(j, "to"), "client:proxy");
	ck_assert_str_eq(jstr(j, "from"), "coordinator:main");
	ck_assert_str_eq(jstr(j, "replyTo"), "mine");
	ck_assert_str_eq(jstr(j, "id"), "actor-msg-1");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "timestamp")),
	    1234);
	json_decref(j);
	/* A second reply to the same id: nothing waits for it. */
	deliver(MSG_STATUS_UPDATED, "coordinator:main", fwd, "{}");
	ck_assert_int_eq(route_pending(), 0);
	/* The request is no longer waiting: no unavailable later. */
	pump(400);
	ck_assert_uint_eq(inlen, 0);
}
END_TEST

START_TEST(test_push_routing)
{
	json_t	*j;

	/* No subscriber: client:ui. */
	deliver(MSG_STATUS_UPDATED, "coordinator:main", NULL, "{\"a\":1}");
	j = next_json(1000);
	ck_assert_str_eq(jstr(j, "to"), "client:ui");
	ck_assert_ptr_null(json_object_get(j, "replyTo"));
	json_decref(j);
	/* Two client actors subscribe: each gets the push. */
	send_text("{\"to\":\"coordinator:main\",\"from\":\"client:a\","
	    "\"type\":\"Subscribe\",\"id\":\"s1\",\"payload\":{}}");
	send_text("{\"to\":\"coordinator:main\",\"from\":\"client:b\","
	    "\"type\":\"Subscribe\",\"id\":\"s2\",\"payload\":{}}");
	pump(20);
	ck_assert_uint_eq(route_subscriptions(), 1);
	deliver(MSG_STATUS_UPDATED, "coordinator:main", NULL, "{\"a\":2}");
	j = next_json(1000);
	ck_assert_str_eq(jstr(j, "to"), "client:a");
	json_decref(j);
	j = next_json(1000);
	ck_assert_str_eq(jstr(j, "to"), "client:b");
	json_decref(j);
	/* client:a leaves: answered here, client:b still subscribed. */
	send_text("{\"to\":\"coordinator:main\",\"from\":\"client:a\","
	    "\"type\":\"Unsubscribe\",\"id\":\"u1\",\"payload\":{}}");
	j = next_json(1000);
	ck_assert_str_eq(jstr(j, "type"), "Unsubscribed");
	ck_assert_str_eq(jstr(j, "replyTo"), "u1");
	ck_assert_str_eq(jstr(j, "from"), "coordinator:main");
	json_decref(j);
	deliver(MSG_LOG_EVENT, "eventlog:main", NULL,
	    "{\"seq\":5,\"level\":\"info\",\"source\":\"x\",\"message\":\"m\"}");
	j = next_json(1000);
	ck_assert_str_eq(jstr(j, "type"), "LogEvent");
	ck_assert_str_eq(jstr(j, "to"), "client:ui");
	json_decref(j);
	deliver(MSG_STATUS_UPDATED, "coordinator:main", NULL, "{\"a\":3}");
	j = next_json(1000);
	ck_assert_str_eq(jstr(j, "to"), "client:b");
	json_decref(j);
}
END_TEST

START_TEST(test_session_close)
{
	char	*p;
	size_t	 n;

	deliver(MSG_SESSION_CLOSE, "gateway:main", NULL,
	    "{\"code\":1001,\"reason\":\"server going away\"}");
	ck_assert_int_eq(next_frame(&p, &n, 1000), 8);
	ck_assert_uint_ge(n, 2);
	ck_assert_int_eq(((unsigned char)p[0] << 8) | (unsigned char)p[1],
	    1001);
	ck_assert_str_eq(p + 2, "server going away");
	free(p);
	ck_assert(!ws_is_open());
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("session_route");
	TCase	*tc;

	tc = tcase_create("check");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_check_ok);
	tcase_add_test(tc, test_check_bad_json);
	tcase_add_test(tc, test_check_bad_envelope);
	tcase_add_test(tc, test_check_bad_address);
	tcase_add_test(tc, test_check_unknown_actor);
	tcase_add_test(tc, test_check_unknown_type);
	tcase_add_test(tc, test_check_forbidden);
	suite_add_tcase(s, tc);

	tc = tcase_create("session");
	tcase_add_checked_fixture(tc, setup_session, teardown_session);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_local_ping);
	tcase_add_test(tc, test_errors_in_session);
	tcase_add_test(tc, test_rate_limited);
	tcase_add_test(tc, test_reply_routing);
	tcase_add_test(tc, test_push_routing);
	tcase_add_test(tc, test_session_close);
	suite_add_tcase(s, tc);
	return s;
}
