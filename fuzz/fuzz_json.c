/*
 * Fuzz the session's translation between the client's JSON and the
 * actors' msgpack (common/mpjson.c) and its checks of a client
 * message (route_check in session/session_route.c).  The first byte picks
 * what the rest is:
 *
 *	0	a text message from a WebSocket client: parsed, checked and,
 *		when it passes, packed and checked exactly as forward() does.
 *		What passes must then be a frame the receiving actor accepts
 *		(mp_sane, one object, env_decode, the payload's schema): a
 *		session must never send what would cost it its connection.
 *	1	a msgpack payload from an actor, turned into JSON for the
 *		client: the text must be valid UTF-8 and parse again.
 *	2	text in fragments: the streaming UTF-8 check of session_ws.c
 *		must agree with utf8_valid() on the whole, wherever it is cut.
 *
 * Never a crash, a leak, an out-of-bounds read, or a broken invariant
 * (abort()).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "log.h"
#include "../session/session.h"

#define SELF_ID		"0123456789abcdef"
#define SELF		"session:" SELF_ID

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static msgpack_zone	 fj_zone;

/* The frame forward() would send must pass the receiver's decode steps. */
static void
check_receiver(const struct route_req *req, const msgpack_sbuffer *payload)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	msgpack_object	 obj;
	struct envelope	 env;
	enum err_code	 code;
	union msg_body	 body;
	char		 why[512];
	size_t		 off = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	env_pack_header(&pk, req->to, SELF, req->type, "fuzz-1", NULL,
	    1764000000000LL);
	msgpack_sbuffer_write(&sb, payload->data, payload->size);
	if (!mp_sane(sb.data, sb.size) ||
	    msgpack_unpack(sb.data, sb.size, &off, &fj_zone, &obj) !=
	    MSGPACK_UNPACK_SUCCESS || off != sb.size ||
	    env_decode(&obj, &env, &code, why, sizeof(why)) == -1 ||
	    env.type != req->type ||
	    msg_decode(env.type, env.payload, &body, &code, why,
	    sizeof(why)) == -1)
		abort();
	msgpack_zone_clear(&fj_zone);
	msgpack_sbuffer_destroy(&sb);
}

/* Mode 0: one client text message, as route_client_message sees it. */
static void
client_text(const uint8_t *data, size_t size)
{
	struct route_req	 req;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_object		 obj;
	enum err_code		 code;
	const char		*reply_to;
	json_t			*msg, *back;
	union msg_body		 body;
	char			 why[512];
	size_t			 off = 0;

	if ((msg = mpjson_parse(data, size)) == NULL)
		return;
	if (route_check(msg, SELF_ID, &req, &reply_to, &code, why,
	    sizeof(why)) == -1) {
		/* An Error names the message's id only when it is usable. */
		if (reply_to != NULL && (strlen(reply_to) == 0 ||
		    strlen(reply_to) > ID_MAX))
			abort();
		json_decref(msg);
		return;
	}
	if (req.local) {
		json_decref(msg);
		return;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (mpjson_pack(&pk, req.payload != NULL ? req.payload : json_null(),
	    SJSON_MAX_DEPTH) == -1)
		goto done;
	if (msgpack_unpack(sb.data, sb.size, &off, &fj_zone, &obj) !=
	    MSGPACK_UNPACK_SUCCESS)
		goto done;
	/* The reply direction must be able to show it back. */
	if ((back = mpjson_from_msgpack(&obj)) == NULL)
		abort();
	json_decref(back);
	if (msg_decode(req.type, &obj, &body, &code, why, sizeof(why)) == 0) {
		msgpack_zone_clear(&fj_zone);
		check_receiver(&req, &sb);
	}
done:
	msgpack_zone_clear(&fj_zone);
	msgpack_sbuffer_destroy(&sb);
	json_decref(msg);
}

/* Mode 1: a payload from an actor, to the client as JSON text. */
static void
actor_payload(const uint8_t *data, size_t size)
{
	msgpack_object	 obj;
	json_t		*j, *again;
	char		*text, *p;
	size_t		 off = 0;

	if (!mp_sane(data, size) || msgpack_unpack((const char *)data, size,
	    &off, &fj_zone, &obj) != MSGPACK_UNPACK_SUCCESS) {
		msgpack_zone_clear(&fj_zone);
		return;
	}
	j = mpjson_from_msgpack(&obj);
	msgpack_zone_clear(&fj_zone);
	if (j == NULL)
		abort();
	text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	if (text == NULL || !utf8_valid(text, strlen(text)))
		abort();
	/* jansson (not JSON) refuses NUL in a key: spell it otherwise. */
	for (p = text; (p = strstr(p, "\\u0000")) != NULL; p += 6)
		p[5] = '1';
	if ((again = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    NULL)) == NULL)
		abort();
	json_decref(again);
	free(text);
}

/*
 * Mode 2: the streaming check over fragments.  The first byte gives the
 * cut length (1-16); the rest is the text.
 */
static void
utf8_fragments(const uint8_t *data, size_t size)
{
	struct utf8_state	 st;
	size_t			 cut, off, n;
	bool			 ok = true;

	if (size == 0)
		return;
	cut = (data[0] & 0x0f) + 1;
	data++;
	size--;
	utf8_stream_init(&st);
	for (off = 0; off < size && ok; off += n) {
		n = size - off < cut ? size - off : cut;
		ok = utf8_stream(&st, data + off, n);
	}
	if ((ok && utf8_stream_done(&st)) != utf8_valid(data, size))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;

	if (!init) {
		msgpack_zone_init(&fj_zone, 8192);
		log_init("fuzz", LOG_CRIT);
		init = 1;
	}
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		client_text(data + 1, size - 1);
		break;
	case 1:
		actor_payload(data + 1, size - 1);
		break;
	default:
		utf8_fragments(data + 1, size - 1);
		break;
	}
	return 0;
}
