/*
 * Unit tests for common/msg.c: the message catalogue (sorted, lookups, who
 * may send what), payload schemas, addresses, names, UTF-8 and the error
 * code table.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "hosts.h"
#include "msg.h"
#include "payload.h"
#include "mpjson.h"

#define TIMEOUT		60	/* seconds per test */

static msgpack_sbuffer	 sb;
static msgpack_packer	 pk;
static msgpack_unpacked	 up;
static enum err_code	 code;
static char		 why[512];

static void
setup(void)
{
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&up);
}

static void
teardown(void)
{
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

static enum msg_type
lookup(const char *name)
{
	return msg_lookup(name, strlen(name));
}

/* Unpack what is in sb (one object). */
static const msgpack_object *
unpacked(void)
{
	size_t	 off = 0;

	msgpack_unpacked_destroy(&up);
	msgpack_unpacked_init(&up);
	ck_assert_int_eq(msgpack_unpack_next(&up, sb.data, sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);
	return &up.data;
}

/* Check the payload in sb against type's schema. */
static int
check_sb(enum msg_type type)
{
	const msgpack_object	*o = unpacked();
	union msg_body		 body;

	code = ERR_COUNT;
	snprintf(why, sizeof(why), "(untouched)");
	return msg_decode(type, o, &body, &code, why, sizeof(why));
}

/* Check a payload given as JSON text against the named type. */
static int
chk(const char *type, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
chk(const char *type, const char *fmt, ...)
{
	char		 text[8192];
	json_error_t	 err;
	json_t		*j;
	va_list		 ap;

	ck_assert_msg(lookup(type) != MSG_UNKNOWN, "no type %s", type);
	va_start(ap, fmt);
	ck_assert_int_lt(vsnprintf(text, sizeof(text), fmt, ap),
	    (int)sizeof(text));
	va_end(ap);
	ck_assert_msg((j = json_loads(text, JSON_DECODE_ANY, &err)) != NULL,
	    "bad test JSON %s: %s", text, err.text);
	msgpack_sbuffer_clear(&sb);
	ck_assert_int_eq(mpjson_pack(&pk, j, 64), 0);
	json_decref(j);
	return check_sb(lookup(type));
}

/* A string of n copies of c (static buffer, overwritten per call). */
static const char *
rep(char c, size_t n)
{
	static char	 buf[2][8192];
	static int	 which;

	which = !which;
	ck_assert_uint_lt(n, sizeof(buf[0]));
	memset(buf[which], c, n);
	buf[which][n] = '\0';
	return buf[which];
}

/* The check failed as bad_payload with exactly this text. */
#define ck_payload_err(rc, text) do {					\
	ck_assert_int_eq((rc), -1);					\
	ck_assert_str_eq(err_code_name(code), "bad_payload");		\
	ck_assert_str_eq(why, (text));					\
} while (0)

#define ck_payload_ok(rc) do {						\
	ck_assert_msg((rc) == 0, "refused: %s", why);			\
} while (0)

/* The catalogue: strictly sorted by wire name, so no duplicates. */
START_TEST(test_catalogue_sorted)
{
	int	 t;

	ck_assert_int_gt(MSG_COUNT, 1);
	for (t = 1; t < MSG_COUNT; t++)
		ck_assert_msg(strcmp(msg_name(t - 1), msg_name(t)) < 0,
		    "rows %d and %d out of order: %s, %s", t - 1, t,
		    msg_name(t - 1), msg_name(t));
}
END_TEST

START_TEST(test_catalogue_rows)
{
	const struct msg_info	*mi;
	const char		*n;
	int			 t;

	for (t = 0; t < MSG_COUNT; t++) {
		ck_assert_ptr_nonnull(mi = msg_info(t));
		n = mi->name;
		ck_assert_str_eq(n, msg_name(t));
		/* PascalCase wire names. */
		ck_assert_msg(n[0] >= 'A' && n[0] <= 'Z', "%s", n);
		ck_assert_msg(strspn(n, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == strlen(n),
		    "%s", n);
		ck_assert_msg(mi->kinds != 0 && (mi->kinds & ~K_ANY) == 0,
		    "%s: kinds %#x", n, mi->kinds);
		ck_assert_msg(mi->who == MSG_WHO_CLIENT ||
		    mi->who == MSG_WHO_SERVER || mi->who == MSG_WHO_INTERNAL,
		    "%s", n);
		/* Replies and pushes go to whoever asked. */
		if (mi->who == MSG_WHO_SERVER)
			ck_assert_msg(mi->kinds == K_ANY, "%s", n);
	}
	ck_assert_ptr_null(msg_info(MSG_COUNT));
	ck_assert_ptr_null(msg_info((enum msg_type)-1));
	ck_assert_str_eq(msg_name(MSG_UNKNOWN), "?");
	ck_assert_str_eq(msg_name((enum msg_type)-1), "?");
}
END_TEST

START_TEST(test_lookup_every_row)
{
	int	 t;

	for (t = 0; t < MSG_COUNT; t++)
		ck_assert_msg(lookup(msg_name(t)) == (enum msg_type)t,
		    "%s not found", msg_name(t));
	/* A sample by name, so that the enum and the table agree. */
	ck_assert_int_eq(lookup("AssignTask"), MSG_ASSIGN_TASK);
	ck_assert_int_eq(lookup("Ping"), MSG_PING);
	ck_assert_int_eq(lookup("WorkerUnregistered"), MSG_WORKER_UNREGISTERED);
	ck_assert_int_eq(lookup("Error"), MSG_ERROR);
	ck_assert_int_eq(lookup("Hello"), MSG_HELLO);
}
END_TEST

START_TEST(test_lookup_near_misses)
{
	enum msg_type	 r;
	char		 buf[128];
	size_t		 n;
	int		 t;

	for (t = 0; t < MSG_COUNT; t++) {
		n = strlen(msg_name(t));
		snprintf(buf, sizeof(buf), "%s", msg_name(t));
		/* Every strict prefix (unless it is a name itself). */
		for (; n > 0; n--) {
			r = msg_lookup(buf, n - 1);
			ck_assert_msg(r == MSG_UNKNOWN ||
			    (strlen(msg_name(r)) == n - 1 &&
			    strncmp(msg_name(r), buf, n - 1) == 0),
			    "prefix %.*s of %s", (int)(n - 1), buf, buf);
		}
		n = strlen(buf);
		/* One more byte, counted: a NUL or a letter. */
		ck_assert_int_eq(msg_lookup(buf, n + 1), MSG_UNKNOWN);
		snprintf(buf, sizeof(buf), "%sx", msg_name(t));
		ck_assert_int_eq(lookup(buf), MSG_UNKNOWN);
		/* Case matters. */
		snprintf(buf, sizeof(buf), "%s", msg_name(t));
		buf[0] = (char)(buf[0] - 'A' + 'a');
		ck_assert_msg(lookup(buf) == MSG_UNKNOWN, "%s", buf);
		snprintf(buf, sizeof(buf), "%s", msg_name(t));
		buf[n - 1] ^= 0x20;
		ck_assert_msg(lookup(buf) == MSG_UNKNOWN, "%s", buf);
	}
	ck_assert_int_eq(lookup(""), MSG_UNKNOWN);
	ck_assert_int_eq(lookup("A"), MSG_UNKNOWN);
	ck_assert_int_eq(lookup("Zzzz"), MSG_UNKNOWN);
	ck_assert_int_eq(lookup("\xff"), MSG_UNKNOWN);
	ck_assert_int_eq(lookup(" Ping"), MSG_UNKNOWN);
	/* Counted, not NUL-terminated: the length decides. */
	ck_assert_int_eq(msg_lookup("PingPong", 4), MSG_PING);
}
END_TEST

/*
 * What a WebSocket client may send: exactly PROTOCOL.md's requests, and
 * protocol 2's (the life of a task; PauseQueue and ResumeQueue are an
 * operator's, not a client's).
 */
START_TEST(test_client_may_send)
{
	static const char *const client[] = {
		"AssignTask", "CancelTask", "GetEvents", "GetState",
		"GetStatus", "GetTree", "LogEvent", "Ping", "RegisterWorker",
		"Subscribe", "UnregisterWorker", "Unsubscribe",
		"DeleteTask", "GetKinds", "GetTask", "ListTasks", "RetryTask",
		"WatchTask",
	};
	size_t			 i;
	int			 t, want;

	for (i = 0; i < sizeof(client) / sizeof(client[0]); i++)
		ck_assert_msg(lookup(client[i]) != MSG_UNKNOWN, "%s",
		    client[i]);
	for (t = 0; t < MSG_COUNT; t++) {
		want = 0;
		for (i = 0; i < sizeof(client) / sizeof(client[0]); i++)
			if (strcmp(client[i], msg_name(t)) == 0)
				want = 1;
		ck_assert_msg(msg_client_may_send(t) == want,
		    "%s: a client %s send it", msg_name(t),
		    want ? "may" : "may not");
	}
	/* Replies and internal messages, by name. */
	ck_assert(!msg_client_may_send(MSG_ERROR));
	ck_assert(!msg_client_may_send(MSG_PONG));
	ck_assert(!msg_client_may_send(MSG_HELLO));
	ck_assert(!msg_client_may_send(MSG_CTL_SHUTDOWN));
	ck_assert(!msg_client_may_send(MSG_PROCESS_TASK));
	ck_assert(!msg_client_may_send(MSG_TASK_COMPLETED));
	ck_assert(!msg_client_may_send(MSG_PAUSE_QUEUE));
	ck_assert(!msg_client_may_send(MSG_TASK_OUTPUT));
	ck_assert(!msg_client_may_send(MSG_UNKNOWN));
	ck_assert(!msg_client_may_send((enum msg_type)-1));
}
END_TEST

START_TEST(test_err_code_names)
{
	static const char *const names[] = {
		"bad_json", "bad_envelope", "bad_address", "unknown_actor",
		"unknown_type", "bad_payload", "too_large", "rate_limited",
		"unavailable", "forbidden", "not_found", "internal",
	};
	size_t			 i;

	ck_assert_int_eq(ERR_COUNT, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_str_eq(err_code_name((enum err_code)i), names[i]);
	ck_assert_str_eq(err_code_name(ERR_BAD_JSON), "bad_json");
	ck_assert_str_eq(err_code_name(ERR_FORBIDDEN), "forbidden");
	ck_assert_str_eq(err_code_name(ERR_COUNT), "internal");
	ck_assert_str_eq(err_code_name((enum err_code)-1), "internal");
}
END_TEST

/*
 * Every type with a shape, requests and replies: one valid payload and
 * its required fields.  The test removes each required field, and sets it
 * to null, in turn.
 */
static const struct {
	const char	*type;
	const char	*valid;
	const char	*required[4];
} schemas[] = {
	{ "AbortTask", "{\"taskId\": \"t1\"}", { "taskId" } },
	{ "AssignTask", "{\"taskId\": \"t-1\", \"kind\": \"echo\", "
	    "\"input\": {\"value\": [1]}, \"workerId\": \"w1\"}", { NULL } },
	{ "CancelTask", "{\"taskId\": \"t1\"}", { "taskId" } },
	{ "CtlInspect", "{\"name\": \"coordinator\"}", { "name" } },
	{ "CtlKill", "{\"name\": \"worker\", \"signal\": 9}", { "name" } },
	{ "CtlRestart", "{\"name\": \"worker\"}", { "name" } },
	{ "CtlSend", "{\"to\": \"worker:w1\", \"type\": \"Ping\", "
	    "\"payload\": [1, 2]}", { "to", "type" } },
	{ "CtlStart", "{\"name\": \"worker\"}", { "name" } },
	{ "CtlStop", "{\"name\": \"worker\"}", { "name" } },
	{ "CtlWait", "{\"name\": \"worker\", \"state\": \"up\", "
	    "\"notPid\": 1234, \"timeoutMs\": 1000}", { "name", "state" } },
	{ "Error", "{\"code\": \"bad_json\", \"error\": \"Invalid message "
	    "format\"}", { "code", "error" } },
	{ "GetEvents", "{\"since\": 10, \"limit\": 100}", { NULL } },
	{ "Hello", "{\"pid\": 1234, \"client\": \"alice\"}", { NULL } },
	{ "LogEvent", "{\"level\": \"info\", \"source\": \"worker:w1\", "
	    "\"message\": \"done\", \"data\": {\"ms\": 3}}",
	    { "level", "source", "message" } },
	{ "LogEventAck", "{\"source\": \"coordinator:main\", "
	    "\"sourceSeq\": 12, \"gap\": true}", { "source", "sourceSeq" } },
	{ "ProcessTask", "{\"taskId\": \"t1\", \"kind\": \"sleep\", "
	    "\"input\": {\"ms\": 1}}", { "taskId", "kind" } },
	{ "RegisterWorker", "{\"workerId\": \"w1\"}", { "workerId" } },
	{ "StartWorker", "{\"workerId\": \"w1\"}", { "workerId" } },
	{ "StopWorker", "{\"workerId\": \"w1\"}", { "workerId" } },
	{ "Subscribe", "{\"since\": 0}", { NULL } },
	{ "Subscribed", "{\"lastSeq\": 12}", { NULL } },
	{ "TaskAccepted", "{\"taskId\": \"t1\", \"status\": \"queued\", "
	    "\"workerId\": \"w1\", \"position\": 3}", { "taskId", "status" } },
	{ "TaskCancelled", "{\"taskId\": \"t1\"}", { "taskId" } },
	{ "TaskCompleted", "{\"taskId\": \"t1\", \"workerId\": \"w1\", "
	    "\"result\": null}", { "taskId", "workerId" } },
	{ "TaskFailed", "{\"taskId\": \"t1\", \"workerId\": \"w1\", "
	    "\"error\": \"boom\"}", { "taskId", "workerId", "error" } },
	{ "TaskStarted", "{\"taskId\": \"t1\", \"workerId\": \"w1\"}",
	    { "taskId", "workerId" } },
	{ "UnregisterWorker", "{\"workerId\": \"w1\"}", { "workerId" } },
	{ "WorkerRegistered", "{\"workerId\": \"w1\"}", { "workerId" } },
	{ "WorkerState", "{\"workerId\": \"w1\", \"status\": \"busy\", "
	    "\"currentTask\": \"t1\", \"processedCount\": 4, "
	    "\"lastTask\": \"t0\", \"lastStatus\": \"completed\", "
	    "\"lastResult\": [1], \"lastError\": null}", { "workerId" } },
	{ "WorkerUnregistered", "{\"workerId\": \"w1\"}", { "workerId" } },
};

/* Types whose payload must be a map but has no fields of its own. */
static const char *const empty_schemas[] = {
	"CtlReload", "CtlSessions", "CtlShutdown", "CtlStatus", "CtlVersion",
	"GetState", "GetStatus", "GetTree", "Unsubscribe", "Unsubscribed",
};

/* Types that take any payload at all. */
static const char *const free_payloads[] = {
	"CtlReply", "Events", "Inspect", "Inspected", "Ping", "Pong",
	"Ready", "SessionClose", "SessionEstablished", "SessionOpen",
	"SessionStats", "SessionsChanged", "StatusUpdated", "TreeUpdated",
};

START_TEST(test_schema_valid)
{
	size_t	 i;

	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		ck_assert_msg(chk(schemas[i].type, "%s", schemas[i].valid) ==
		    0, "%s %s: %s", schemas[i].type, schemas[i].valid, why);
}
END_TEST

START_TEST(test_schema_required)
{
	json_t	*j;
	char	*text, want[128];
	size_t	 i, r;

	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		for (r = 0; schemas[i].required[r] != NULL; r++) {
			snprintf(want, sizeof(want), "'%s' is required",
			    schemas[i].required[r]);
			j = json_loads(schemas[i].valid, 0, NULL);
			ck_assert_ptr_nonnull(j);
			json_object_del(j, schemas[i].required[r]);
			text = json_dumps(j, 0);
			ck_payload_err(chk(schemas[i].type, "%s", text), want);
			free(text);
			/* null is the same as absent */
			json_object_set_new(j, schemas[i].required[r],
			    json_null());
			text = json_dumps(j, 0);
			ck_payload_err(chk(schemas[i].type, "%s", text), want);
			free(text);
			json_decref(j);
		}
	/* No payload at all is an empty one: the first field is missing. */
	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
		if (schemas[i].required[0] == NULL)
			continue;
		snprintf(want, sizeof(want), "'%s' is required",
		    schemas[i].required[0]);
		ck_payload_err(chk(schemas[i].type, "{}"), want);
		ck_payload_err(chk(schemas[i].type, "null"), want);
	}
}
END_TEST

START_TEST(test_schema_optional)
{
	/* Optional fields may be absent or null; nil payload is {}. */
	ck_payload_ok(chk("AssignTask", "{}"));
	ck_payload_ok(chk("AssignTask", "null"));
	ck_payload_ok(chk("AssignTask", "{\"taskId\": null, \"kind\": null, "
	    "\"workerId\": null}"));
	ck_payload_ok(chk("GetEvents", "{}"));
	ck_payload_ok(chk("GetEvents", "null"));
	ck_payload_ok(chk("Subscribe", "{\"since\": null}"));
	ck_payload_ok(chk("CtlKill", "{\"name\": \"w\"}"));
	ck_payload_ok(chk("LogEvent", "{\"level\": \"info\", \"source\": "
	    "\"s\", \"message\": \"m\"}"));
	/* Fields the schema does not name are ignored. */
	ck_payload_ok(chk("CancelTask", "{\"taskId\": \"t1\", \"x\": [1], "
	    "\"reason\": 5}"));
}
END_TEST

START_TEST(test_schema_not_a_map)
{
	static const char *const bad[] = {
		"[]", "[{\"taskId\": \"t1\"}]", "\"t1\"", "5", "true", "1.5",
	};
	size_t			 i, s;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (s = 0; s < sizeof(schemas) / sizeof(schemas[0]); s++)
			ck_payload_err(chk(schemas[s].type, "%s", bad[i]),
			    "'payload' must be an object");
		for (s = 0; s < sizeof(empty_schemas) /
		    sizeof(empty_schemas[0]); s++)
			ck_payload_err(chk(empty_schemas[s], "%s", bad[i]),
			    "'payload' must be an object");
	}
}
END_TEST

START_TEST(test_schema_empty)
{
	size_t	 s;

	for (s = 0; s < sizeof(empty_schemas) / sizeof(empty_schemas[0]);
	    s++) {
		ck_payload_ok(chk(empty_schemas[s], "{}"));
		ck_payload_ok(chk(empty_schemas[s], "null"));
		ck_payload_ok(chk(empty_schemas[s], "{\"anything\": [1]}"));
	}
}
END_TEST

START_TEST(test_schema_free)
{
	static const char *const any[] = {
		"null", "{}", "[1, \"x\"]", "\"text\"", "-5", "2.5", "false",
		"{\"taskId\": 7}",
	};
	size_t			 s, i;

	for (s = 0; s < sizeof(free_payloads) / sizeof(free_payloads[0]); s++)
		for (i = 0; i < sizeof(any) / sizeof(any[0]); i++)
			ck_assert_msg(chk(free_payloads[s], "%s", any[i]) == 0,
			    "%s %s: %s", free_payloads[s], any[i], why);
}
END_TEST

/* Every catalogue row, listed above or not, answers in one of two ways. */
START_TEST(test_schema_every_type)
{
	static const char *const any[] = {
		"null", "{}", "[1]", "7", "\"s\"", "{\"zz\": [null]}",
	};
	const char		*req = "' is required";
	size_t			 i, n;
	int			 t, free_form;

	for (t = 0; t < MSG_COUNT; t++) {
		free_form = chk(msg_name(t), "[1]") == 0;
		if (!free_form)
			ck_assert_str_eq(why, "'payload' must be an object");
		for (i = 0; i < sizeof(any) / sizeof(any[0]); i++) {
			if (chk(msg_name(t), "%s", any[i]) == 0)
				continue;
			ck_assert_msg(!free_form, "%s: %s refused", msg_name(t),
			    any[i]);
			ck_assert_int_eq(code, ERR_BAD_PAYLOAD);
			n = strlen(why);
			ck_assert_msg((n > strlen(req) &&
			    strcmp(why + n - strlen(req), req) == 0) ||
			    strcmp(why, "'payload' must be an object") == 0,
			    "%s %s: %s", msg_name(t), any[i], why);
		}
	}
}
END_TEST

START_TEST(test_schema_unknown_type)
{
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 0);
	ck_assert_int_eq(check_sb(MSG_UNKNOWN), -1);
	ck_assert_int_eq(code, ERR_UNKNOWN_TYPE);
	ck_assert_int_eq(check_sb((enum msg_type)-1), -1);
	ck_assert_int_eq(code, ERR_UNKNOWN_TYPE);
}
END_TEST

START_TEST(test_str_fields)
{
	/* F_STR: a non-empty string of at most max bytes. */
	ck_payload_err(chk("AssignTask", "{\"kind\": \"\"}"),
	    "'kind' must be a non-empty string");
	ck_payload_err(chk("AssignTask", "{\"kind\": 5}"),
	    "'kind' must be a non-empty string");
	ck_payload_err(chk("AssignTask", "{\"kind\": [\"echo\"]}"),
	    "'kind' must be a non-empty string");
	ck_payload_ok(chk("AssignTask", "{\"kind\": \"%s\"}", rep('k', 32)));
	ck_payload_err(chk("AssignTask", "{\"kind\": \"%s\"}", rep('k', 33)),
	    "'kind' is longer than 32 bytes");
	ck_payload_ok(chk("LogEvent", "{\"level\": \"info\", \"source\": "
	    "\"s\", \"message\": \"%s\"}", rep('m', 4096)));
	ck_payload_err(chk("LogEvent", "{\"level\": \"info\", \"source\": "
	    "\"s\", \"message\": \"%s\"}", rep('m', 4097)),
	    "'message' is longer than 4096 bytes");
	ck_payload_err(chk("Error", "{\"code\": \"%s\", \"error\": \"e\"}",
	    rep('c', 33)), "'code' is longer than 32 bytes");
	ck_payload_err(chk("CtlWait", "{\"name\": \"w\", \"state\": \"%s\"}",
	    rep('s', 17)), "'state' is longer than 16 bytes");
	ck_payload_ok(chk("CtlSend", "{\"to\": \"%s\", \"type\": \"Ping\"}",
	    rep('t', ADDR_MAX)));
	ck_payload_err(chk("CtlSend", "{\"to\": \"%s\", \"type\": \"Ping\"}",
	    rep('t', ADDR_MAX + 1)), "'to' is longer than 160 bytes");
	/* The limit is in bytes: 11 two-byte characters are 22 bytes. */
	ck_payload_err(chk("LogEvent", "{\"level\": \"\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\", \"source\": "
	    "\"s\", \"message\": \"m\"}"), "'level' is longer than 16 bytes");
}
END_TEST

START_TEST(test_str_utf8)
{
	/* Invalid UTF-8 can only come from msgpack: pack it raw. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str(&pk, 8);
	msgpack_pack_str_body(&pk, "workerId", 8);
	msgpack_pack_str(&pk, 2);
	msgpack_pack_str_body(&pk, "w1", 2);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "kind", 4);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "a\xed\xa0", 3);
	ck_assert_int_eq(check_sb(MSG_ASSIGN_TASK), -1);
	ck_assert_int_eq(code, ERR_BAD_PAYLOAD);
	ck_assert_str_eq(why, "'kind' is not valid UTF-8");
	/* A NUL would cut the C string short: refused, found by fuzzing. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "kind", 4);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "a\0b", 3);
	ck_assert_int_eq(check_sb(MSG_ASSIGN_TASK), -1);
	ck_assert_str_eq(why, "'kind' must not contain a NUL character");
	/* A name field with bytes over 0x7f is not a name. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str(&pk, 8);
	msgpack_pack_str_body(&pk, "workerId", 8);
	msgpack_pack_str(&pk, 2);
	msgpack_pack_str_body(&pk, "\xc3\xa9", 2);
	ck_assert_int_eq(check_sb(MSG_REGISTER_WORKER), -1);
	ck_assert_str_eq(why, "'workerId' must be 1-64 letters, digits, "
	    "'.', '_' or '-'");
	/* Binary where a string belongs. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "name", 4);
	msgpack_pack_bin(&pk, 6);
	msgpack_pack_bin_body(&pk, "worker", 6);
	ck_assert_int_eq(check_sb(MSG_CTL_STOP), -1);
	ck_assert_str_eq(why, "'name' must be a non-empty string");
}
END_TEST

START_TEST(test_name_fields)
{
	static const char *const good[] = {
		"w1", "W-1", "a.b_c-d", "0", "task.2024-01-01_x",
	};
	static const char *const bad[] = {
		"", "w 1", "w/1", "w:1", "w\\\\1", "w\\n", "w*", "\xc3\xa9",
		"w\\u0000",
	};
	const char		*want = "'workerId' must be 1-64 letters, "
	    "digits, '.', '_' or '-'";
	size_t			 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(chk("RegisterWorker", "{\"workerId\": \"%s\"}",
		    good[i]) == 0, "%s refused: %s", good[i], why);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (strstr(bad[i], "\\u0000") != NULL)
			continue;	/* jansson refuses it without a flag */
		ck_payload_err(chk("RegisterWorker", "{\"workerId\": \"%s\"}",
		    bad[i]), want);
	}
	ck_payload_err(chk("RegisterWorker", "{\"workerId\": 1}"), want);
	ck_payload_ok(chk("RegisterWorker", "{\"workerId\": \"%s\"}",
	    rep('w', NAME_MAX_LEN)));
	ck_payload_err(chk("RegisterWorker", "{\"workerId\": \"%s\"}",
	    rep('w', NAME_MAX_LEN + 1)), want);
	ck_payload_err(chk("AssignTask", "{\"taskId\": \"a b\"}"),
	    "'taskId' must be 1-64 letters, digits, '.', '_' or '-'");
	ck_payload_err(chk("TaskStarted", "{\"taskId\": \"t\", \"workerId\": "
	    "\"\"}"), want);
}
END_TEST

START_TEST(test_uint_fields)
{
	const char	*since = "'since' must be an integer from 0 to "
	    "9223372036854775807";
	const char	*limit = "'limit' must be an integer from 0 to "
	    "4294967295";

	ck_payload_ok(chk("GetEvents", "{\"since\": 0, \"limit\": 0}"));
	ck_payload_ok(chk("GetEvents", "{\"since\": 5}"));
	/* JSON numbers like 5.0 arrive as floats: exact integers pass. */
	ck_payload_ok(chk("GetEvents", "{\"since\": 5.0}"));
	ck_payload_ok(chk("GetEvents", "{\"limit\": 1e3}"));
	ck_payload_err(chk("GetEvents", "{\"since\": 5.5}"), since);
	ck_payload_err(chk("GetEvents", "{\"since\": 0.1}"), since);
	ck_payload_err(chk("GetEvents", "{\"since\": -1}"), since);
	ck_payload_err(chk("GetEvents", "{\"since\": -1.0}"), since);
	ck_payload_err(chk("GetEvents", "{\"since\": \"5\"}"), since);
	ck_payload_err(chk("GetEvents", "{\"since\": true}"), since);
	ck_payload_err(chk("GetEvents", "{\"since\": [5]}"), since);
	ck_payload_err(chk("GetEvents", "{\"since\": 1e300}"), since);
	ck_payload_ok(chk("GetEvents", "{\"since\": 9223372036854775807}"));
	ck_payload_ok(chk("GetEvents", "{\"limit\": 4294967295}"));
	ck_payload_err(chk("GetEvents", "{\"limit\": 4294967296}"), limit);
	ck_payload_err(chk("Subscribe", "{\"since\": 1.25}"), since);
	ck_payload_ok(chk("CtlKill", "{\"name\": \"w\", \"signal\": 64}"));
	ck_payload_err(chk("CtlKill", "{\"name\": \"w\", \"signal\": 65}"),
	    "'signal' must be an integer from 0 to 64");
	ck_payload_ok(chk("CtlWait", "{\"name\": \"w\", \"state\": \"up\", "
	    "\"timeoutMs\": 3600000}"));
	ck_payload_err(chk("CtlWait", "{\"name\": \"w\", \"state\": \"up\", "
	    "\"timeoutMs\": 3600001}"),
	    "'timeoutMs' must be an integer from 0 to 3600000");
	ck_payload_err(chk("CtlWait", "{\"name\": \"w\", \"state\": \"up\", "
	    "\"notPid\": 2147483648}"),
	    "'notPid' must be an integer from 0 to 2147483647");
}
END_TEST

/* F_BOOL, and the numbering fields of LogEvent (internal senders'). */
START_TEST(test_bool_fields)
{
	const char	*ev = "\"level\": \"info\", \"source\": \"s\", "
	    "\"message\": \"m\"";

	ck_payload_ok(chk("LogEvent", "{%s, \"sourceSeq\": 1, "
	    "\"sourceFirst\": true}", ev));
	ck_payload_ok(chk("LogEvent", "{%s, \"sourceSeq\": 2, "
	    "\"sourceFirst\": false}", ev));
	ck_payload_ok(chk("LogEvent", "{%s, \"sourceFirst\": null}", ev));
	ck_payload_err(chk("LogEvent", "{%s, \"sourceFirst\": 1}", ev),
	    "'sourceFirst' must be true or false");
	ck_payload_err(chk("LogEvent", "{%s, \"sourceFirst\": \"true\"}",
	    ev), "'sourceFirst' must be true or false");
	ck_payload_err(chk("LogEvent", "{%s, \"sourceSeq\": -1}", ev),
	    "'sourceSeq' must be an integer from 0 to 9223372036854775807");
	ck_payload_ok(chk("LogEventAck", "{\"source\": \"s\", "
	    "\"sourceSeq\": 0}"));
	ck_payload_err(chk("LogEventAck", "{\"source\": \"s\", "
	    "\"sourceSeq\": 1, \"gap\": [true]}"),
	    "'gap' must be true or false");
	/* Internal: a WebSocket client may not send it. */
	ck_assert(!msg_client_may_send(MSG_LOG_EVENT_ACK));
	ck_assert_int_eq(msg_info(MSG_LOG_EVENT_ACK)->who, MSG_WHO_INTERNAL);
}
END_TEST

/* A nested map through its own shape, and numbers that need not be whole. */
START_TEST(test_nested_fields)
{
	ck_payload_ok(chk("AssignTask", "{\"kind\": \"echo\", \"retry\": "
	    "{\"maxAttempts\": 5, \"backoff\": \"exponential\", "
	    "\"baseMs\": 100, \"maxMs\": 10000, \"jitter\": 0.25}, "
	    "\"priority\": 9, \"queue\": \"thumbs\", \"delayMs\": 50, "
	    "\"watch\": true, \"timeoutMs\": 1000}"));
	ck_payload_ok(chk("AssignTask", "{\"retry\": {}}"));
	ck_payload_ok(chk("AssignTask", "{\"retry\": {\"jitter\": 1}}"));
	ck_payload_err(chk("AssignTask", "{\"retry\": [5]}"),
	    "'retry' must be an object");
	ck_payload_err(chk("AssignTask", "{\"retry\": {\"maxAttempts\": "
	    "1001}}"), "'retry.maxAttempts' must be an integer from 0 to 1000");
	ck_payload_err(chk("AssignTask", "{\"retry\": {\"jitter\": 1.5}}"),
	    "'retry.jitter' must be a number from 0 to 1");
	ck_payload_err(chk("AssignTask", "{\"retry\": {\"jitter\": -0.1}}"),
	    "'retry.jitter' must be a number from 0 to 1");
	ck_payload_err(chk("AssignTask", "{\"retry\": {\"jitter\": \"x\"}}"),
	    "'retry.jitter' must be a number from 0 to 1");
	ck_payload_err(chk("AssignTask", "{\"priority\": 10}"),
	    "'priority' must be an integer from 0 to 9");
	ck_payload_err(chk("ListTasks", "{\"limit\": 501}"),
	    "'limit' must be an integer from 0 to 500");
	ck_payload_err(chk("PauseQueue", "{}"), "'queue' is required");
}
END_TEST

START_TEST(test_uint_packed)
{
	static const double	 bad[] = { NAN, INFINITY, -INFINITY, 5.5,
	    9007199254740992.0 };
	size_t			 i;

	/* An unsigned 64-bit value over since's maximum. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str(&pk, 5);
	msgpack_pack_str_body(&pk, "since", 5);
	msgpack_pack_uint64(&pk, (uint64_t)1 << 63);
	ck_assert_int_eq(check_sb(MSG_GET_EVENTS), -1);
	/* A float32 5.0 is an integer too. */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str(&pk, 5);
	msgpack_pack_str_body(&pk, "since", 5);
	msgpack_pack_float(&pk, 5.0f);
	ck_assert_msg(check_sb(MSG_GET_EVENTS) == 0, "%s", why);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msgpack_sbuffer_clear(&sb);
		msgpack_pack_map(&pk, 1);
		msgpack_pack_str(&pk, 5);
		msgpack_pack_str_body(&pk, "since", 5);
		msgpack_pack_double(&pk, bad[i]);
		ck_assert_msg(check_sb(MSG_GET_EVENTS) == -1, "%g accepted",
		    bad[i]);
	}
}
END_TEST

START_TEST(test_small_why)
{
	union msg_body	 body;
	char		 small[8];

	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 0);
	memset(small, 'Z', sizeof(small));
	ck_assert_int_eq(msg_decode(MSG_CANCEL_TASK, unpacked(), &body, &code,
	    small, sizeof(small)), -1);
	ck_assert_str_eq(small, "'taskId");
}
END_TEST

/* Parse s as an address, expecting success. */
static struct addr
addr_ok(const char *s)
{
	struct addr	 a;

	memset(&a, 0, sizeof(a));
	ck_assert_msg(addr_parse(s, strlen(s), &a) == 0, "%s refused", s);
	return a;
}

START_TEST(test_addr_parse)
{
	struct addr	 a;
	char		 buf[ADDR_MAX + 2];

	a = addr_ok("worker:w1");
	ck_assert_uint_eq(a.kindlen, 6);
	ck_assert_mem_eq(a.kind, "worker", 6);
	ck_assert_uint_eq(a.namelen, 2);
	ck_assert_mem_eq(a.name, "w1", 2);
	ck_assert_uint_eq(a.kindbit, K_WORKER);
	ck_assert_uint_eq(addr_ok("coordinator:main").kindbit, K_COORD);
	ck_assert_uint_eq(addr_ok("eventlog:main").kindbit, K_EVENTLOG);
	ck_assert_uint_eq(addr_ok("system:supervisor").kindbit, K_SYSTEM);
	ck_assert_uint_eq(addr_ok("session:s-1").kindbit, K_SESSION);
	ck_assert_uint_eq(addr_ok("client:ui").kindbit, K_CLIENT);
	/* Unknown kinds parse, with no bit. */
	ck_assert_uint_eq(addr_ok("nosuch:x").kindbit, 0);
	ck_assert_uint_eq(addr_ok("workers:x").kindbit, 0);
	ck_assert_uint_eq(addr_ok("work:x").kindbit, 0);
	/* The first colon splits; the name may hold more. */
	a = addr_ok("session:a:b");
	ck_assert_uint_eq(a.kindlen, 7);
	ck_assert_uint_eq(a.namelen, 3);
	ck_assert_mem_eq(a.name, "a:b", 3);
	/* Printable UTF-8 names. */
	addr_ok("worker:\xc3\xa9t\xc3\xa9");
	addr_ok("client:{ui}");
	/* Counted: bytes past len are not looked at. */
	ck_assert_int_eq(addr_parse("worker:w1 junk", 9, &a), 0);
	ck_assert_uint_eq(a.namelen, 2);
	/* Length limits: kind 16, whole ADDR_MAX. */
	addr_ok("abcdefghijklmnop:x");
	snprintf(buf, sizeof(buf), "worker:%s", rep('n', ADDR_MAX - 7));
	addr_ok(buf);
	snprintf(buf, sizeof(buf), "worker:%s", rep('n', ADDR_MAX - 6));
	ck_assert_int_eq(addr_parse(buf, strlen(buf), &a), -1);
}
END_TEST

/* "<kind>:<name>@<host>": the host after the name's last '@'. */
START_TEST(test_addr_host)
{
	struct addr	 a;

	a = addr_ok("worker:w1@h2");
	ck_assert_uint_eq(a.namelen, 2);
	ck_assert_mem_eq(a.name, "w1", 2);
	ck_assert_uint_eq(a.hostlen, 2);
	ck_assert_mem_eq(a.host, "h2", 2);
	ck_assert_uint_eq(a.kindbit, K_WORKER);
	a = addr_ok("worker:w1");
	ck_assert_ptr_null(a.host);
	ck_assert_uint_eq(a.hostlen, 0);
	a = addr_ok("session:a@b@node-3");
	ck_assert_uint_eq(a.namelen, 3);
	ck_assert_mem_eq(a.host, "node-3", 6);
	/*
	 * A host is 1-32 of a-z 0-9 '-', not starting with '-'; after the
	 * last '@' anything else is the name's (as before clusters).
	 */
	ck_assert_int_eq(addr_parse("worker:@h1", 10, &a), -1);
	a = addr_ok("client:alice@Example.com");
	ck_assert_uint_eq(a.hostlen, 0);
	ck_assert_uint_eq(a.namelen, 17);
	ck_assert_uint_eq(addr_ok("worker:w1@").hostlen, 0);
	ck_assert_uint_eq(addr_ok("worker:w1@H1").hostlen, 0);
	ck_assert_uint_eq(addr_ok("worker:w1@-h").hostlen, 0);
	ck_assert_uint_eq(addr_ok("worker:w1@h_1").hostlen, 0);
	ck_assert_uint_eq(addr_ok("worker:w1@abcdefghijklmnopqrstuvwxyz012345")
	    .hostlen, 32);
	ck_assert_uint_eq(addr_ok(
	    "worker:w1@abcdefghijklmnopqrstuvwxyz0123456").hostlen, 0);
	ck_assert(host_valid("h1", 2));
	ck_assert(!host_valid("", 0));
}
END_TEST

START_TEST(test_addr_bad)
{
	static const char *const bad[] = {
		"", "worker", ":", ":w1", "worker:", "Worker:w1", "wOrker:w1",
		"work3r:w1", "work_er:w1", "wor ker:w1", "\xc3\xa9:w1",
		"worker:w 1", "worker:w\t1", "worker:\x7f", "worker:w\x01",
		"worker:\xff", "worker:\xc0\x80", "abcdefghijklmnopq:x",
	};
	struct addr		 a;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(addr_parse(bad[i], strlen(bad[i]), &a) == -1,
		    "'%s' accepted", bad[i]);
	/* A NUL inside the name. */
	ck_assert_int_eq(addr_parse("worker:a\0b", 10, &a), -1);
}
END_TEST

START_TEST(test_kinds)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} kinds[] = {
		{ "client", K_CLIENT }, { "coordinator", K_COORD },
		{ "eventlog", K_EVENTLOG }, { "link", K_LINK },
		{ "session", K_SESSION },
		{ "system", K_SYSTEM }, { "worker", K_WORKER },
	};
	unsigned		 all = 0;
	size_t			 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		ck_assert_uint_eq(kind_lookup(kinds[i].name,
		    strlen(kinds[i].name)), kinds[i].bit);
		ck_assert_str_eq(kind_name(kinds[i].bit), kinds[i].name);
		ck_assert_uint_eq(all & kinds[i].bit, 0);
		all |= kinds[i].bit;
	}
	ck_assert_uint_eq(all, K_ANY);
	ck_assert_uint_eq(kind_lookup("work", 4), 0);
	ck_assert_uint_eq(kind_lookup("Worker", 6), 0);
	ck_assert_uint_eq(kind_lookup("", 0), 0);
	ck_assert_uint_eq(kind_lookup("workerX", 6), K_WORKER);
	ck_assert_str_eq(kind_name(0), "?");
	ck_assert_str_eq(kind_name(K_WORKER | K_COORD), "?");
}
END_TEST

START_TEST(test_name_valid)
{
	ck_assert(name_valid("w1", 2));
	ck_assert(name_valid("a.b_c-D9", 8));
	ck_assert(name_valid(rep('x', NAME_MAX_LEN), NAME_MAX_LEN));
	ck_assert(!name_valid(rep('x', NAME_MAX_LEN + 1), NAME_MAX_LEN + 1));
	ck_assert(!name_valid("", 0));
	ck_assert(!name_valid("a b", 3));
	ck_assert(!name_valid("a:b", 3));
	ck_assert(!name_valid("a/b", 3));
	ck_assert(!name_valid("a\0b", 3));
	ck_assert(!name_valid("\xc3\xa9", 2));
	/* Counted. */
	ck_assert(name_valid("ab cd", 2));
}
END_TEST

/*
 * The hosts table (hosts.c): entries made on first mention and changed in
 * place, bounded at HOSTS_MAX with the rest ignored, packed with this
 * host first and each other's roles as words.
 */
START_TEST(test_hosts_table)
{
	static struct hosts	 t;
	struct msg_host_state	 m;
	const msgpack_object	*o, *a, *e;
	int			 i;

	memset(&t, 0, sizeof(t));
	memset(&m, 0, sizeof(m));
	snprintf(m.host, sizeof(m.host), "h2");
	snprintf(m.state, sizeof(m.state), "up");
	snprintf(m.incarnation, sizeof(m.incarnation), "10-1");
	m.roles = ROLE_WORKER | ROLE_GATEWAY;
	ck_assert_ptr_nonnull(hosts_update(&t, &m));
	snprintf(m.state, sizeof(m.state), "dead");
	m.incarnation[0] = '\0';		/* kept when not said */
	ck_assert_ptr_nonnull(hosts_update(&t, &m));
	ck_assert_uint_eq(t.n, 1);
	ck_assert_int_eq(hosts_find(&t, "h2")->up, 0);
	ck_assert_str_eq(hosts_find(&t, "h2")->incarnation, "10-1");
	ck_assert_ptr_null(hosts_find(&t, "h3"));
	for (i = 3; i <= HOSTS_MAX + 1; i++) {
		snprintf(m.host, sizeof(m.host), "h%d", i);
		ck_assert_ptr_nonnull(hosts_update(&t, &m));
	}
	ck_assert_uint_eq(t.n, HOSTS_MAX);
	snprintf(m.host, sizeof(m.host), "h%d", HOSTS_MAX + 2);
	ck_assert_ptr_null(hosts_update(&t, &m));
	ck_assert_uint_eq(t.n, HOSTS_MAX);

	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 1);
	hosts_pack(&pk, &t, "h1", ROLE_ALL);
	o = unpacked();
	ck_assert_ptr_nonnull(a = mp_get(o, "hosts"));
	ck_assert_uint_eq(a->via.array.size, 1 + HOSTS_MAX);
	e = &a->via.array.ptr[0];
	ck_assert(mp_streq(mp_get(e, "host"), "h1"));
	ck_assert(mp_get(e, "up")->via.boolean);
	ck_assert_uint_eq(mp_get(e, "roles")->via.array.size, 3);
	e = &a->via.array.ptr[1];
	ck_assert(mp_streq(mp_get(e, "host"), "h2"));
	ck_assert(!mp_get(e, "up")->via.boolean);
	ck_assert(mp_streq(mp_get(e, "incarnation"), "10-1"));
	ck_assert_uint_eq(mp_get(e, "roles")->via.array.size, 2);
	ck_assert(mp_streq(&mp_get(e, "roles")->via.array.ptr[0], "worker"));
	ck_assert(mp_streq(&mp_get(e, "roles")->via.array.ptr[1], "gateway"));
}
END_TEST

START_TEST(test_mp_helpers)
{
	const msgpack_object	*o, *v;
	char			 buf[4];
	uint64_t		 u;

	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 4);
	msgpack_pack_int(&pk, 1);		/* a non-string key */
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "one", 3);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "s", 1);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "abc", 3);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "n", 1);
	msgpack_pack_int(&pk, -3);
	msgpack_pack_str(&pk, 2);
	msgpack_pack_str_body(&pk, "ss", 2);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "abcd", 4);
	o = unpacked();

	ck_assert_ptr_null(mp_get(o, "one"));	/* a value, not a key */
	ck_assert_ptr_null(mp_get(o, ""));
	ck_assert_ptr_null(mp_get(o, "x"));
	ck_assert_ptr_null(mp_get(NULL, "s"));
	ck_assert_ptr_nonnull(v = mp_get(o, "s"));
	ck_assert(mp_streq(v, "abc"));
	ck_assert(!mp_streq(v, "ab"));
	ck_assert(!mp_streq(v, "abcd"));
	ck_assert(!mp_streq(NULL, "abc"));
	ck_assert_int_eq(mp_strcpy(v, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "abc");
	ck_assert_int_eq(mp_strcpy(mp_get(o, "ss"), buf, sizeof(buf)), -1);
	ck_assert_int_eq(mp_strcpy(mp_get(o, "n"), buf, sizeof(buf)), -1);
	ck_assert_int_eq(mp_strcpy(NULL, buf, sizeof(buf)), -1);
	ck_assert_int_eq(mp_uint(mp_get(o, "n"), &u), -1);
	ck_assert_int_eq(mp_uint(v, &u), -1);
	ck_assert_int_eq(mp_uint(NULL, &u), -1);
	/* mp_get on something that is not a map. */
	ck_assert_ptr_null(mp_get(v, "s"));
}
END_TEST

/* Pack one object holding every msgpack format; big adds the 32-bit ones. */
static void
pack_everything(msgpack_packer *p, int big)
{
	static char	 blob[70000];
	uint32_t	 i;

	memset(blob, 'b', sizeof(blob));
	msgpack_pack_array(p, big ? 34 : 31);
	msgpack_pack_nil(p);
	msgpack_pack_true(p);
	msgpack_pack_false(p);
	msgpack_pack_int(p, 5);				/* positive fixint */
	msgpack_pack_int(p, -5);			/* negative fixint */
	msgpack_pack_uint64(p, 200);			/* uint8 */
	msgpack_pack_uint64(p, 60000);			/* uint16 */
	msgpack_pack_uint64(p, 4000000000u);		/* uint32 */
	msgpack_pack_uint64(p, UINT64_MAX);		/* uint64 */
	msgpack_pack_int64(p, -100);			/* int8 */
	msgpack_pack_int64(p, -30000);			/* int16 */
	msgpack_pack_int64(p, -2000000000);		/* int32 */
	msgpack_pack_int64(p, INT64_MIN);		/* int64 */
	msgpack_pack_float(p, 1.5f);
	msgpack_pack_double(p, 2.5);
	msgpack_pack_str(p, 3);				/* fixstr */
	msgpack_pack_str_body(p, blob, 3);
	msgpack_pack_str(p, 0);				/* empty fixstr */
	msgpack_pack_str(p, 40);			/* str8 */
	msgpack_pack_str_body(p, blob, 40);
	msgpack_pack_str(p, 300);			/* str16 */
	msgpack_pack_str_body(p, blob, 300);
	msgpack_pack_bin(p, 3);				/* bin8 */
	msgpack_pack_bin_body(p, blob, 3);
	msgpack_pack_bin(p, 300);			/* bin16 */
	msgpack_pack_bin_body(p, blob, 300);
	for (i = 1; i <= 16; i *= 2) {			/* fixext 1..16 */
		msgpack_pack_ext(p, i, 1);
		msgpack_pack_ext_body(p, blob, i);
	}
	msgpack_pack_ext(p, 3, 2);			/* ext8 */
	msgpack_pack_ext_body(p, blob, 3);
	msgpack_pack_ext(p, 300, 2);			/* ext16 */
	msgpack_pack_ext_body(p, blob, 300);
	msgpack_pack_array(p, 0);			/* empty fixarray */
	msgpack_pack_array(p, 20);			/* array16 */
	for (i = 0; i < 20; i++)
		msgpack_pack_array(p, 0);
	msgpack_pack_map(p, 17);			/* map16, nested */
	for (i = 0; i < 17; i++) {
		msgpack_pack_int(p, (int)i);
		msgpack_pack_map(p, 1);
		msgpack_pack_nil(p);
		msgpack_pack_str(p, 1);
		msgpack_pack_str_body(p, "v", 1);
	}
	if (!big)
		return;
	msgpack_pack_str(p, sizeof(blob));		/* str32 */
	msgpack_pack_str_body(p, blob, sizeof(blob));
	msgpack_pack_array(p, 70000);			/* array32 */
	for (i = 0; i < 70000; i++)
		msgpack_pack_nil(p);
	msgpack_pack_map(p, 70000);			/* map32 */
	for (i = 0; i < 70000; i++) {
		msgpack_pack_true(p);
		msgpack_pack_false(p);
	}
}

/* msgpack-c decodes buf[0..len) as exactly one object. */
static bool
unpacks_whole(const void *buf, size_t len)
{
	msgpack_zone	 zone;
	msgpack_object	 obj;
	size_t		 off = 0;
	bool		 ok;

	msgpack_zone_init(&zone, 4096);
	ok = msgpack_unpack(buf, len, &off, &zone, &obj) ==
	    MSGPACK_UNPACK_SUCCESS && off == len;
	msgpack_zone_destroy(&zone);
	return ok;
}

START_TEST(test_sane_valid)
{
	size_t	 n;
	char	*copy;

	/* Every format, as msgpack-c packs it, is sane; cut or padded not. */
	pack_everything(&pk, 0);
	ck_assert(unpacks_whole(sb.data, sb.size));
	ck_assert(mp_sane(sb.data, sb.size));
	for (n = 0; n < sb.size; n++)
		ck_assert_msg(!mp_sane(sb.data, n), "prefix of %zu/%zu bytes",
		    n, sb.size);
	copy = malloc(sb.size + 1);
	memcpy(copy, sb.data, sb.size);
	copy[sb.size] = '\0';
	ck_assert(!mp_sane(copy, sb.size + 1));
	free(copy);

	msgpack_sbuffer_clear(&sb);
	pack_everything(&pk, 1);
	ck_assert(unpacks_whole(sb.data, sb.size));
	ck_assert(mp_sane(sb.data, sb.size));
	ck_assert(!mp_sane(sb.data, sb.size - 1));
	ck_assert(!mp_sane(sb.data, sb.size / 2));
	ck_assert(!mp_sane(sb.data, 1));
}
END_TEST

START_TEST(test_sane_lies)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} bad[] = {
		{ "", 0 },
		{ "\xc1", 1 },				/* never used */
		{ "\xdd\xff\xff\xff\xff", 5 },		/* array32, 2^32-1 */
		{ "\xdf\xff\xff\xff\xff", 5 },		/* map32 */
		{ "\xdc\xff\xff", 3 },			/* array16 */
		{ "\xde\x00\x02\xc0\xc0\xc0", 6 },	/* map16, 3 of 4 */
		{ "\x9f\xc0", 2 },			/* fixarray of 15 */
		{ "\x81\xc0", 2 },			/* fixmap, no value */
		{ "\xdb\xff\xff\xff\xff" "abc", 8 },	/* str32 */
		{ "\xc6\x00\x01\x00\x00" "x", 6 },	/* bin32 */
		{ "\xc9\xff\xff\xff\xff\x01", 6 },	/* ext32 */
		{ "\xd8\x01" "short", 7 },		/* fixext16 */
		{ "\xcf\x00\x00", 3 },			/* uint64 cut */
		{ "\xdd\x00\x00", 3 },			/* array32 header cut */
		{ "\xc0\xc0", 2 },			/* two objects */
	};
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!mp_sane(bad[i].s, bad[i].len), "case %zu", i);
	ck_assert(mp_sane("\xc0", 1));
	ck_assert(mp_sane("\x90", 1));
	ck_assert(mp_sane("\x80", 1));
	ck_assert(mp_sane("\xdd\x00\x00\x00\x00", 5));
}
END_TEST

/* Whatever mp_sane lets through, msgpack-c decodes whole. */
START_TEST(test_sane_sound)
{
	uint32_t	 seed = 12345;
	unsigned char	*orig, *buf;
	size_t		 len, j;
	int		 i, passed = 0;

	pack_everything(&pk, 0);
	len = sb.size;
	orig = malloc(len);
	buf = malloc(len);
	memcpy(orig, sb.data, len);
	for (i = 0; i < 20000; i++) {
		memcpy(buf, orig, len);
		for (j = 1 + (size_t)i % 3; j > 0; j--) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			buf[seed % len] = (unsigned char)(seed >> 8);
		}
		if (mp_sane(buf, len)) {
			passed++;
			ck_assert_msg(unpacks_whole(buf, len),
			    "mutation %d: sane, but msgpack-c refuses it", i);
		}
	}
	/* The mutations were not all refused: the check did something. */
	ck_assert_int_gt(passed, 1000);
	free(orig);
	free(buf);
}
END_TEST

/*
 * A second, independent UTF-8 check: decode the code point and test its
 * range, the way RFC 3629 states it.
 */
static bool
ref_utf8(const unsigned char *p, size_t len)
{
	size_t		 i = 0, n, k;
	uint32_t	 cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return false;
		if (len - i < n)
			return false;
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

START_TEST(test_utf8_cases)
{
	static const struct {
		const char	*s;
		bool		 ok;
	} cases[] = {
		{ "", true },
		{ "plain ascii ~\x7f", true },
		{ "\xc2\x80", true },			/* U+0080 */
		{ "\xc3\xa9", true },			/* U+00E9 */
		{ "\xdf\xbf", true },			/* U+07FF */
		{ "\xe0\xa0\x80", true },		/* U+0800 */
		{ "\xe2\x82\xac", true },		/* U+20AC */
		{ "\xed\x9f\xbf", true },		/* U+D7FF */
		{ "\xee\x80\x80", true },		/* U+E000 */
		{ "\xef\xbf\xbf", true },		/* U+FFFF */
		{ "\xf0\x90\x80\x80", true },		/* U+10000 */
		{ "\xf0\x9f\x98\x80", true },		/* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", true },		/* U+10FFFF */
		{ "a\xc3\xa9z\xe2\x82\xac\xf0\x9f\x98\x80!", true },
		/* overlongs */
		{ "\xc0\x80", false },
		{ "\xc0\xaf", false },
		{ "\xc1\xbf", false },
		{ "\xe0\x80\x80", false },
		{ "\xe0\x9f\xbf", false },
		{ "\xf0\x80\x80\x80", false },
		{ "\xf0\x8f\xbf\xbf", false },
		/* surrogates */
		{ "\xed\xa0\x80", false },		/* U+D800 */
		{ "\xed\xaf\xbf", false },
		{ "\xed\xb0\x80", false },
		{ "\xed\xbf\xbf", false },		/* U+DFFF */
		{ "\xed\xa0\xbd\xed\xb8\x80", false },	/* CESU pair */
		/* over U+10FFFF */
		{ "\xf4\x90\x80\x80", false },
		{ "\xf5\x80\x80\x80", false },
		{ "\xf7\xbf\xbf\xbf", false },
		{ "\xf8\x88\x80\x80\x80", false },
		{ "\xfc\x84\x80\x80\x80\x80", false },
		{ "\xfe", false },
		{ "\xff", false },
		/* truncated */
		{ "\xc3", false },
		{ "\xe2\x82", false },
		{ "\xf0\x9f\x98", false },
		{ "abc\xe2\x82", false },
		{ "\xf0\x9f", false },
		/* stray or bad continuation bytes */
		{ "\x80", false },
		{ "\xbf", false },
		{ "a\x80z", false },
		{ "\xc3\x28", false },
		{ "\xc3\xc3\xa9", false },
		{ "\xe2\x28\xa1", false },
		{ "\xe2\x82\x28", false },
		{ "\xf0\x28\x8c\xbc", false },
		{ "\xf0\x90\x28\xbc", false },
		{ "\xf0\x90\x8c\x28", false },
	};
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(utf8_valid(cases[i].s, strlen(cases[i].s)) ==
		    cases[i].ok, "case %zu", i);
		ck_assert_msg(ref_utf8((const unsigned char *)cases[i].s,
		    strlen(cases[i].s)) == cases[i].ok, "reference, case %zu",
		    i);
	}
	/* U+0000 is a character; the length is what counts. */
	ck_assert(utf8_valid("a\0b", 3));
	ck_assert(utf8_valid("\xc3\xa9", 1) == false);
}
END_TEST

/* Every sequence of up to three bytes agrees with the reference. */
START_TEST(test_utf8_exhaustive)
{
	unsigned char	 b[4];
	unsigned	 v;
	int		 n;

	for (n = 1; n <= 3; n++)
		for (v = 0; v < (1u << (8 * n)); v++) {
			b[0] = (unsigned char)(v >> 16);
			b[1] = (unsigned char)(v >> 8);
			b[2] = (unsigned char)v;
			if (utf8_valid(b + 3 - n, (size_t)n) !=
			    ref_utf8(b + 3 - n, (size_t)n))
				ck_abort_msg("%d bytes %06x: utf8_valid %d",
				    n, v, utf8_valid(b + 3 - n, (size_t)n));
		}
}
END_TEST

/* Four-byte sequences: every lead and second byte, sampled tails. */
START_TEST(test_utf8_four)
{
	static const unsigned char tails[] = {
		0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0xa0, 0xbf, 0xc0, 0xff,
	};
	unsigned char		 b[4];
	unsigned		 lead, second;
	size_t			 i, j;

	for (lead = 0; lead < 256; lead++)
		for (second = 0; second < 256; second++)
			for (i = 0; i < sizeof(tails); i++)
				for (j = 0; j < sizeof(tails); j++) {
					b[0] = (unsigned char)lead;
					b[1] = (unsigned char)second;
					b[2] = tails[i];
					b[3] = tails[j];
					if (utf8_valid(b, 4) != ref_utf8(b, 4))
						ck_abort_msg("%02x %02x %02x "
						    "%02x", b[0], b[1], b[2],
						    b[3]);
				}
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("msg");
	TCase	*tc;

	tc = tcase_create("catalogue");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_catalogue_sorted);
	tcase_add_test(tc, test_catalogue_rows);
	tcase_add_test(tc, test_lookup_every_row);
	tcase_add_test(tc, test_lookup_near_misses);
	tcase_add_test(tc, test_client_may_send);
	tcase_add_test(tc, test_err_code_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("payload");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_schema_valid);
	tcase_add_test(tc, test_schema_required);
	tcase_add_test(tc, test_schema_optional);
	tcase_add_test(tc, test_schema_not_a_map);
	tcase_add_test(tc, test_schema_empty);
	tcase_add_test(tc, test_schema_free);
	tcase_add_test(tc, test_schema_unknown_type);
	tcase_add_test(tc, test_schema_every_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_str_fields);
	tcase_add_test(tc, test_str_utf8);
	tcase_add_test(tc, test_name_fields);
	tcase_add_test(tc, test_uint_fields);
	tcase_add_test(tc, test_nested_fields);
	tcase_add_test(tc, test_uint_packed);
	tcase_add_test(tc, test_bool_fields);
	tcase_add_test(tc, test_small_why);
	suite_add_tcase(s, tc);

	tc = tcase_create("addresses");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_addr_parse);
	tcase_add_test(tc, test_addr_host);
	tcase_add_test(tc, test_addr_bad);
	tcase_add_test(tc, test_kinds);
	tcase_add_test(tc, test_name_valid);
	tcase_add_test(tc, test_mp_helpers);
	tcase_add_test(tc, test_hosts_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("mp_sane");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sane_valid);
	tcase_add_test(tc, test_sane_lies);
	tcase_add_test(tc, test_sane_sound);
	suite_add_tcase(s, tc);

	tc = tcase_create("utf8");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_utf8_cases);
	tcase_add_test(tc, test_utf8_exhaustive);
	tcase_add_test(tc, test_utf8_four);
	suite_add_tcase(s, tc);
	return s;
}
