/*
 * The session's router: the wire protocol of PROTOCOL.md between one
 * WebSocket client and the actors.
 *
 * Client to actor.  Every text message is parsed, checked (route_check:
 * the envelope, the address, the catalogue's `forbidden`; forward(): the
 * payload's depth and size) and, if it passes, sent with from =
 * session:<id> to the actor's process through the runtime, which connects
 * to $RUN/<kind>.sock on first use and reconnects when the actor
 * restarts.  The payload's fields are the actor's to check: it decodes
 * them once and answers a bad one with bad_payload.  Anything wrong gets
 * an Error with replyTo = the message's id, and the connection stays.
 *
 * Actor to client.  The runtime gives each message a fresh id; a request
 * waiting for its reply is remembered under that id with the client's
 * own id and `from`, so the reply goes back with replyTo = the client's
 * id and to = the client actor that asked.  A push (no replyTo) goes to
 * every client actor that subscribed to its sender (client:ui if none).
 * A request not answered within actor_wait_ms gets Error unavailable.
 *
 * Actor restarts.  When an actor the client subscribed to goes away, the
 * client actors subscribed are told with an Error unavailable pushed from
 * the actor's address.  When the connection to its process comes back,
 * their subscriptions are sent again (with since = the last event seen,
 * for the event log) and the answer is pushed to them: Subscribed, once
 * pushes resume.  A renewal answered unavailable is sent again after
 * actor_wait_ms.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "actor.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "strmap.h"
#include "version.h"
#include "xmalloc.h"

#define MAX_PENDING	1024	/* requests waiting for a reply */
#define PENDING_BYTES	(1024 * 1024)	/* their payloads kept for resending */
#define MAX_SUBS	16	/* subscribed actors */
#define MAX_SUB_FROMS	8	/* client actors per subscribed actor */
#define STATS_MS	5000	/* SessionStats to the gateway, if changed */
#define DEFAULT_CLIENT	"client:ui"

/* A request sent to an actor, waiting for its reply. */
struct pending {
	TAILQ_ENTRY(pending)	 entry;		/* by deadline */
	int64_t			 deadline;	/* monotonic ms */
	enum msg_type		 type;
	char			*fwd_id;	/* the id it left with */
	char			*client_id;	/* NULL: our own resubscribe */
	char			*client_from;
	char			*to;
	char			*payload;	/* msgpack; NULL: not resendable */
	size_t			 payload_len;
};

/* An actor some client actors subscribed to. */
struct sub {
	LIST_ENTRY(sub)		 entry;
	char			*target;	/* coordinator:main */
	unsigned		 kindbit;
	char			*froms[MAX_SUB_FROMS];
	int			 nfroms;
	char			*payload;	/* the Subscribe's, msgpack */
	size_t			 payload_len;
	uint64_t		 last_seq;	/* event log: last pushed */
	char			 renew_id[ID_MAX + 1];	/* our Subscribe */
	int			 lost;		/* its clients told it went */
	int			 retry;		/* renew when retry_ev fires */
};

static struct {
	const struct config	*cfg;
	char			 self_id[SESSION_ID_LEN + 1];
	char			 client[CLIENT_ID_MAX + 1];	/* ?client= */
	char			 self[ADDR_MAX + 1];	/* session:<id> */
	double			 tokens;		/* rate limit bucket */
	int64_t			 tokens_ms;
	struct strmap		*pending;	/* fwd id -> pending */
	TAILQ_HEAD(, pending)	 by_deadline;
	size_t			 npending;
	size_t			 pending_bytes;	/* of kept payloads */
	struct event		*deadline_ev;
	struct event		*retry_ev;	/* renewals refused */
	LIST_HEAD(, sub)	 subs;
	size_t			 nsubs;
	unsigned		 down;	/* K_* whose process went away */
	msgpack_sbuffer		 sb;		/* a payload being translated */
	msgpack_packer		 pk;
	struct event		*stats_ev;
	uint64_t		 stats_in, stats_out;
	uint64_t		 errors[ERR_COUNT];	/* Error replies sent */
	int			 errors_moved;	/* since the last report */
	int			 stopped;
} R;

static struct sub	*sub_find(const char *);

/* A string member of 1 to max bytes without NUL, or NULL. */
static const char *
member_str(const json_t *msg, const char *key, size_t max)
{
	const json_t	*v = json_object_get(msg, key);
	size_t		 n;

	if (!json_is_string(v))
		return NULL;
	n = json_string_length(v);
	if (n == 0 || n > max || memchr(json_string_value(v), '\0', n))
		return NULL;
	return json_string_value(v);
}

/* Check one client message against PROTOCOL.md; the first failure wins. */
int
route_check(const json_t *msg, const char *self_id, struct route_req *req,
    const char **reply_to, enum err_code *code, char *why, size_t whylen)
{
	const json_t	*ts;
	struct addr	 a;
	const char	*type;
	size_t		 n;

	memset(req, 0, sizeof(*req));
	*reply_to = NULL;
	if (!json_is_object(msg)) {
		*code = ERR_BAD_JSON;
		snprintf(why, whylen, "Invalid message format");
		return -1;
	}
	*reply_to = member_str(msg, "id", ID_MAX);
	*code = ERR_BAD_ENVELOPE;
	if ((type = member_str(msg, "type", 64)) == NULL) {
		snprintf(why, whylen, "Missing or invalid 'type' field");
		return -1;
	}
	if ((req->to = member_str(msg, "to", ADDR_MAX)) == NULL) {
		snprintf(why, whylen, "Missing or invalid 'to' field: "
		    "expected a string of 1-%d bytes", ADDR_MAX);
		return -1;
	}
	req->from = member_str(msg, "from", ADDR_MAX);
	if (req->from == NULL || addr_parse(req->from, strlen(req->from),
	    &a) == -1 || a.kindbit != K_CLIENT) {
		snprintf(why, whylen, "Missing or invalid 'from' field: "
		    "expected client:<name>");
		return -1;
	}
	if ((req->id = member_str(msg, "id", ID_MAX)) == NULL) {
		snprintf(why, whylen, "Missing or invalid 'id' field: "
		    "expected a string of 1-%d bytes", ID_MAX);
		return -1;
	}
	ts = json_object_get(msg, "timestamp");
	if (ts != NULL && (!json_is_number(ts) || json_number_value(ts) < 0)) {
		snprintf(why, whylen, "Invalid 'timestamp' field: expected "
		    "milliseconds since the epoch");
		return -1;
	}
	req->payload = json_object_get(msg, "payload");

	n = strlen(req->to);
	if (strcmp(req->to, "session") == 0 || (n == 8 + strlen(self_id) &&
	    strncmp(req->to, "session:", 8) == 0 &&
	    strcmp(req->to + 8, self_id) == 0)) {
		req->local = true;
		req->kindbit = K_SESSION;
	} else {
		if (addr_parse(req->to, n, &a) == -1) {
			*code = ERR_BAD_ADDRESS;
			snprintf(why, whylen, "Invalid 'to' field: %s",
			    req->to);
			return -1;
		}
		req->kindbit = a.kindbit;
		if (a.kindbit == 0 || a.kindbit == K_CLIENT) {
			*code = ERR_UNKNOWN_ACTOR;
			snprintf(why, whylen, "Unknown actor type: %.*s",
			    (int)a.kindlen, a.kind);
			return -1;
		}
		if (a.kindbit == K_SESSION) {
			*code = ERR_UNKNOWN_ACTOR;
			snprintf(why, whylen, "Unknown actor: %s", req->to);
			return -1;
		}
	}
	if ((req->type = msg_lookup(type, strlen(type))) == MSG_UNKNOWN) {
		*code = ERR_UNKNOWN_TYPE;
		snprintf(why, whylen, "Unknown message type: %s", type);
		return -1;
	}
	if (!msg_client_may_send(req->type)) {
		*code = ERR_FORBIDDEN;
		snprintf(why, whylen, "%s is not a message clients may send",
		    type);
		return -1;
	}
	if (req->kindbit == K_SYSTEM && req->type != MSG_GET_TREE &&
	    req->type != MSG_SUBSCRIBE && req->type != MSG_UNSUBSCRIBE &&
	    req->type != MSG_PING) {
		*code = ERR_FORBIDDEN;
		snprintf(why, whylen, "%s is read-only from the WebSocket: "
		    "%s is not allowed", req->to, type);
		return -1;
	}
	if (req->type != MSG_PING && (req->local ||
	    !(msg_info(req->type)->kinds & req->kindbit))) {
		*code = ERR_UNKNOWN_TYPE;
		snprintf(why, whylen, "Unknown message type for %s: %s",
		    kind_name(req->kindbit), type);
		return -1;
	}
	return 0;
}

/* Send one JSON object to the client; key names a coalescible push. */
static void
send_json(json_t *o, const char *key)
{
	char	*text;

	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL) {
		log_warnx("cannot encode a message for the client");
		return;
	}
	ws_send(WS_TEXT, text, strlen(text), key);
	free(text);
}

/* An envelope from us; payload is taken. */
static json_t *
envelope(const char *to, const char *from, const char *type, const char *id,
    int64_t timestamp, const char *reply_to, json_t *payload)
{
	json_t	*o = json_object();
	char	 fresh[ID_MAX + 1];

	if (id == NULL) {
		env_new_id(fresh, sizeof(fresh));
		id = fresh;
	}
	json_object_set_new(o, "to", json_string(to));
	json_object_set_new(o, "from", json_string(from));
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "timestamp", json_integer(timestamp));
	if (reply_to != NULL)
		json_object_set_new(o, "replyTo", json_string(reply_to));
	json_object_set_new(o, "payload", payload != NULL ? payload :
	    json_null());
	return o;
}

/* Error {code, error} from `from` to the client actor `to`. */
static void
send_error(const char *to, const char *from, const char *reply_to,
    enum err_code code, const char *text)
{
	send_json(envelope(to, from, msg_name(MSG_ERROR), NULL, env_now_ms(),
	    reply_to, json_pack("{s:s, s:s}", "code", err_code_name(code),
	    "error", text)), NULL);
}

/* Error {code, error} from the session to the client. */
static void
client_error(const char *to, const char *reply_to, enum err_code code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
client_error(const char *to, const char *reply_to, enum err_code code,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 text[512];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if ((unsigned)code < ERR_COUNT) {
		R.errors[code]++;
		R.errors_moved = 1;
	}
	send_error(to, R.self, reply_to, code, text);
}

/* The client actor a message came from, for addressing an Error. */
static const char *
client_of(const json_t *msg)
{
	const char	*from;
	struct addr	 a;

	if (!json_is_object(msg) ||
	    (from = member_str(msg, "from", ADDR_MAX)) == NULL ||
	    addr_parse(from, strlen(from), &a) == -1 || a.kindbit != K_CLIENT)
		return DEFAULT_CLIENT;
	return from;
}

/* Take one token from the per-connection bucket; false if empty. */
static bool
rate_ok(void)
{
	int64_t	 now = mono_ms();

	R.tokens += (double)(now - R.tokens_ms) * R.cfg->rate_limit / 1000.0;
	R.tokens_ms = now;
	if (R.tokens > R.cfg->rate_burst)
		R.tokens = R.cfg->rate_burst;
	if (R.tokens < 1.0)
		return false;
	R.tokens -= 1.0;
	return true;
}

static void
pending_free(struct pending *p)
{
	if (p->payload != NULL)
		R.pending_bytes -= p->payload_len;
	free(p->payload);
	free(p->fwd_id);
	free(p->client_id);
	free(p->client_from);
	free(p->to);
	free(p);
}

/* Arm the timer for the oldest waiting request. */
static void
deadline_arm(void)
{
	struct pending	*p = TAILQ_FIRST(&R.by_deadline);

	if (p == NULL) {
		evtimer_del(R.deadline_ev);
		return;
	}
	/* Past due already: at once (timer_ms takes a negative as 0). */
	timer_ms(R.deadline_ev, p->deadline - mono_ms());
}

/*
 * Remember a request until its reply; deadlines are in insertion order.
 * Its payload is kept (within PENDING_BYTES in all) so that it can be sent
 * again if the actor's process restarts before answering.
 */
static void
pending_add(const char *fwd_id, enum msg_type type, const char *client_id,
    const char *client_from, const char *to, const void *payload,
    size_t payload_len)
{
	struct pending	*p = xcalloc(1, sizeof(*p));
	int		 first = TAILQ_EMPTY(&R.by_deadline);

	if (payload != NULL && R.pending_bytes + payload_len <=
	    PENDING_BYTES) {
		p->payload = xmalloc(payload_len);
		memcpy(p->payload, payload, payload_len);
		p->payload_len = payload_len;
		R.pending_bytes += payload_len;
	}

	p->deadline = mono_ms() + R.cfg->actor_wait_ms;
	p->type = type;
	p->fwd_id = xstrdup(fwd_id);
	p->client_id = client_id != NULL ? xstrdup(client_id) : NULL;
	p->client_from = xstrdup(client_from);
	p->to = xstrdup(to);
	TAILQ_INSERT_TAIL(&R.by_deadline, p, entry);
	strmap_put(R.pending, p->fwd_id, p);
	R.npending++;
	if (first)
		deadline_arm();
}

static struct pending *
pending_take(const char *fwd_id)
{
	struct pending	*p;

	if ((p = strmap_del(R.pending, fwd_id)) == NULL)
		return NULL;
	TAILQ_REMOVE(&R.by_deadline, p, entry);
	R.npending--;
	return p;
}

/* Send s's Subscribe again in ms (retry_cb), with any others due. */
static void
renew_in(struct sub *s, int ms)
{
	s->retry = 1;
	if (R.retry_ev != NULL && !evtimer_pending(R.retry_ev, NULL))
		timer_ms(R.retry_ev, ms);
}

/*
 * Our renewed Subscribe p had no answer within actor_wait_ms: send it
 * again now, in case it was lost.  A process in backoff answers both
 * when it is up; the answer to the last one counts (renew_id).
 */
static void
renew_late(const struct pending *p)
{
	struct sub	*s;

	if (p->type == MSG_SUBSCRIBE && (s = sub_find(p->to)) != NULL &&
	    strcmp(s->renew_id, p->fwd_id) == 0)
		renew_in(s, 0);
}

/* Requests past actor_wait_ms: the actor is not coming back in time. */
static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pending	*p;
	int64_t		 now = mono_ms();

	(void)fd;
	(void)what;
	(void)arg;
	while ((p = TAILQ_FIRST(&R.by_deadline)) != NULL &&
	    p->deadline <= now) {
		p = pending_take(p->fwd_id);
		if (p->client_id != NULL) {
			log_info("%s did not answer %s within %d ms",
			    p->to, msg_name(p->type), R.cfg->actor_wait_ms);
			client_error(p->client_from, p->client_id,
			    ERR_UNAVAILABLE, "Actor unavailable: %s did not "
			    "answer within %d ms", p->to,
			    R.cfg->actor_wait_ms);
		} else
			renew_late(p);
		pending_free(p);
	}
	deadline_arm();
}

static struct sub *
sub_find(const char *target)
{
	struct sub	*s;

	LIST_FOREACH(s, &R.subs, entry)
		if (strcmp(s->target, target) == 0)
			return s;
	return NULL;
}

static void
sub_free(struct sub *s)
{
	int	 i;

	LIST_REMOVE(s, entry);
	R.nsubs--;
	for (i = 0; i < s->nfroms; i++)
		free(s->froms[i]);
	free(s->target);
	free(s->payload);
	free(s);
}

static int
sub_has(const struct sub *s, const char *from)
{
	int	 i;

	for (i = 0; i < s->nfroms; i++)
		if (strcmp(s->froms[i], from) == 0)
			return i;
	return -1;
}

/* Forget one client actor's subscription; the last one frees it. */
static void
sub_drop(const char *target, const char *from)
{
	struct sub	*s = sub_find(target);
	int		 i;

	if (s == NULL || (i = sub_has(s, from)) == -1)
		return;
	free(s->froms[i]);
	s->froms[i] = s->froms[--s->nfroms];
	if (s->nfroms == 0)
		sub_free(s);
}

/* Pack the scratch payload as a Subscribe's or Unsubscribe's (copy). */
static void
sub_record(const struct route_req *req)
{
	struct sub	*s;

	if ((s = sub_find(req->to)) == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->target = xstrdup(req->to);
		s->kindbit = req->kindbit;
		LIST_INSERT_HEAD(&R.subs, s, entry);
		R.nsubs++;
	}
	if (sub_has(s, req->from) == -1)
		s->froms[s->nfroms++] = xstrdup(req->from);
	free(s->payload);
	s->payload = xmalloc(R.sb.size);
	memcpy(s->payload, R.sb.data, R.sb.size);
	s->payload_len = R.sb.size;
}

/* Is there room to record this Subscribe? */
static bool
sub_room(const struct route_req *req)
{
	struct sub	*s = sub_find(req->to);

	if (s == NULL)
		return R.nsubs < MAX_SUBS;
	return sub_has(s, req->from) != -1 || s->nfroms < MAX_SUB_FROMS;
}

/* Answer Ping to this session without leaving the process. */
static void
local_ping(const struct route_req *req)
{
	json_t	*payload = req->payload != NULL ?
	    json_deep_copy(req->payload) : json_null();

	send_json(envelope(req->from, R.self, msg_name(MSG_PONG), NULL,
	    env_now_ms(), req->id, payload), NULL);
}

/*
 * Send the request on, its payload translated.  The actor decodes the
 * payload, once, and answers a bad one with bad_payload naming the field:
 * the session checks the envelope only (who may send what to whom).
 */
static void
forward(const struct route_req *req)
{
	msgpack_packer	*pk;
	struct sub	*s;
	char		 fwd_id[ID_MAX + 1];

	R.sb.size = 0;
	if (mpjson_pack(&R.pk, req->payload != NULL ? req->payload :
	    json_null(), SJSON_MAX_DEPTH) == -1) {
		client_error(req->from, req->id, ERR_BAD_PAYLOAD,
		    "'payload' is nested deeper than %d levels",
		    SJSON_MAX_DEPTH);
		return;
	}
	/* The envelope's other fields take at most ~700 bytes. */
	if (R.sb.size + 1024 > (size_t)R.cfg->max_frame_bytes) {
		client_error(req->from, req->id, ERR_TOO_LARGE,
		    "Message too large: over the %ld-byte limit between "
		    "processes", R.cfg->max_frame_bytes);
		return;
	}
	if (R.npending >= MAX_PENDING) {
		client_error(req->from, req->id, ERR_RATE_LIMITED,
		    "Too many requests waiting for a reply (limit %d)",
		    MAX_PENDING);
		return;
	}
	if (req->type == MSG_SUBSCRIBE && !sub_room(req)) {
		client_error(req->from, req->id, ERR_RATE_LIMITED,
		    "Too many subscriptions (limit %d actors, %d client "
		    "actors each)", MAX_SUBS, MAX_SUB_FROMS);
		return;
	}
	if (req->type == MSG_UNSUBSCRIBE && (s = sub_find(req->to)) != NULL &&
	    (s->nfroms > 1 || sub_has(s, req->from) == -1)) {
		/* Other client actors still want these pushes. */
		sub_drop(req->to, req->from);
		send_json(envelope(req->from, req->to,
		    msg_name(MSG_UNSUBSCRIBED), NULL, env_now_ms(), req->id,
		    json_object()), NULL);
		return;
	}
	/*
	 * The request leaves with "<client actor>|<client id>" as its id, so
	 * that the actor recognises a retry (same sender, same id) and
	 * applies it once; with a client identity (?client=) as
	 * "c/<client>/<client actor>|<client id>", which the coordinator
	 * recognises from any session.  Too long for an id: a fresh one,
	 * no dedupe.
	 */
	if ((R.client[0] != '\0' ? snprintf(fwd_id, sizeof(fwd_id),
	    CLIENT_ID_PREFIX "%s/%s|%s", R.client, req->from, req->id) :
	    snprintf(fwd_id, sizeof(fwd_id), "%s|%s", req->from, req->id)) >=
	    (int)sizeof(fwd_id))
		fwd_id[0] = '\0';
	pk = actor_begin_id(R.self, req->to, req->type, fwd_id, NULL);
	pk->callback(pk->data, R.sb.data, R.sb.size);
	if (actor_end() == -1) {
		client_error(req->from, req->id, ERR_UNAVAILABLE,
		    "Actor unavailable: %s", req->to);
		return;
	}
	if (req->type == MSG_SUBSCRIBE)
		sub_record(req);
	else if (req->type == MSG_UNSUBSCRIBE)
		sub_drop(req->to, req->from);
	/* A retry of a request still waiting shares its reply. */
	if (req->type != MSG_LOG_EVENT &&
	    strmap_get(R.pending, actor_last_id()) == NULL)
		pending_add(actor_last_id(), req->type, req->id, req->from,
		    req->to, R.sb.data, R.sb.size);
}

/* One WebSocket message from the client: parse, limit, check, route. */
void
route_client_message(int opcode, const uint8_t *data, size_t len)
{
	struct route_req	 req;
	enum err_code		 code;
	const char		*reply_to;
	json_t			*msg = NULL;
	char			 why[512];

	if (R.stopped)
		return;
	if (opcode != WS_TEXT) {
		/* Binary frames are not part of protocol v1. */
		client_error(DEFAULT_CLIENT, NULL, ERR_BAD_JSON,
		    "Invalid message format");
		return;
	}
	msg = mpjson_parse(data, len);
	if (msg == NULL || !json_is_object(msg)) {
		client_error(DEFAULT_CLIENT, NULL, ERR_BAD_JSON,
		    "Invalid message format");
		goto done;
	}
	if (!rate_ok()) {
		client_error(client_of(msg), member_str(msg, "id", ID_MAX),
		    ERR_RATE_LIMITED, "Rate limit exceeded: %d messages per "
		    "second (burst %d)", R.cfg->rate_limit,
		    R.cfg->rate_burst);
		goto done;
	}
	if (route_check(msg, R.self_id, &req, &reply_to, &code, why,
	    sizeof(why)) == -1) {
		client_error(client_of(msg), reply_to, code, "%s", why);
		goto done;
	}
	if (req.local)
		local_ping(&req);
	else
		forward(&req);
done:
	json_decref(msg);
}

/* One reply or push from an actor, to the client actor(s) it is for. */
static void
to_client(const struct envelope *env, const char *to, const char *reply_to,
    const char *key)
{
	json_t	*payload = mpjson_from_msgpack(env->payload);

	if (payload == NULL) {
		log_warnx("cannot translate %s from %s", msg_name(env->type),
		    env->from);
		return;
	}
	send_json(envelope(to, env->from, msg_name(env->type), env->id,
	    env->timestamp, reply_to, payload), key);
}

/* A push: to every client actor subscribed to its sender. */
static void
push(const struct envelope *env)
{
	struct sub	*s = sub_find(env->from);
	uint64_t	 seq;
	char		 key[2 * ADDR_MAX + 64];
	int		 i, coalesce;

	coalesce = env->type == MSG_STATUS_UPDATED ||
	    env->type == MSG_TREE_UPDATED;
	if (s != NULL && env->type == MSG_LOG_EVENT &&
	    mp_uint(mp_get(env->payload, "seq"), &seq) == 0 &&
	    seq > s->last_seq)
		s->last_seq = seq;
	if (s == NULL) {
		snprintf(key, sizeof(key), "%s %s %s", env->from,
		    msg_name(env->type), DEFAULT_CLIENT);
		to_client(env, DEFAULT_CLIENT, NULL, coalesce ? key : NULL);
		return;
	}
	for (i = 0; i < s->nfroms; i++) {
		snprintf(key, sizeof(key), "%s %s %s", env->from,
		    msg_name(env->type), s->froms[i]);
		to_client(env, s->froms[i], NULL, coalesce ? key : NULL);
	}
}

/*
 * The answer to the Subscribe we sent again (renew_id, "" once answered)
 * for the client actors subscribed to target, within actor_wait_ms or
 * later.  Subscribed: pushed to each of them (no replyTo) if they were
 * told it went away, so that they know pushes resume.  Error unavailable
 * (the link away from NATS, say): sent again after actor_wait_ms.  Another
 * Error: pushed to them, as why pushes do not resume.  0 when env answers
 * no renewal of target's.
 */
static int
renewed(const char *target, const struct envelope *env)
{
	struct sub	*s;
	char		 code[32] = "";
	int		 i;

	if ((s = sub_find(target)) == NULL || s->renew_id[0] == '\0' ||
	    strcmp(env->reply_to, s->renew_id) != 0)
		return 0;
	s->renew_id[0] = '\0';
	if (env->type == MSG_ERROR) {
		mp_strcpy(mp_get(env->payload, "code"), code, sizeof(code));
		if (strcmp(code, err_code_name(ERR_UNAVAILABLE)) == 0) {
			log_info("%s unavailable to our renewed Subscribe; "
			    "again in %d ms", target, R.cfg->actor_wait_ms);
			renew_in(s, R.cfg->actor_wait_ms);
			return 1;
		}
		log_info("%s refused our renewed Subscribe", target);
	} else if (!s->lost)
		return 1;
	s->lost = 0;
	for (i = 0; i < s->nfroms && !R.stopped; i++)
		to_client(env, s->froms[i], NULL, NULL);
	return 1;
}

/* The runtime delivers what actors (and the gateway) send us here. */
static void
session_receive(struct actor *self, const struct envelope *env)
{
	struct pending	*p;
	struct sub	*s;
	uint64_t	 code = 1001;
	char		 reason[124] = "";

	(void)self;
	if (env->type == MSG_SESSION_CLOSE) {
		if (mp_uint(mp_get(env->payload, "code"), &code) == -1 ||
		    code < 1000 || code > 4999)
			code = 1001;
		mp_strcpy(mp_get(env->payload, "reason"), reason,
		    sizeof(reason));
		log_debug("the gateway asks us to close with %llu",
		    (unsigned long long)code);
		ws_close((uint16_t)code, reason);
		return;
	}
	if (msg_info(env->type)->who == MSG_WHO_INTERNAL) {
		log_warnx("%s from %s is not for sessions; dropped",
		    msg_name(env->type), env->from);
		return;
	}
	if (R.stopped)
		return;
	if (env->reply_to[0] == '\0') {
		push(env);
		return;
	}
	if ((p = pending_take(env->reply_to)) == NULL) {
		/*
		 * A process in backoff answers after actor_wait_ms, from
		 * the socket actord kept listening: our Subscribe's wait
		 * is over, not the clients' wait for its answer.
		 */
		if (!renewed(env->from, env))
			log_debug("%s from %s answers nothing waiting (late?); "
			    "dropped", msg_name(env->type), env->from);
		return;
	}
	if (p->client_id != NULL) {
		to_client(env, p->client_from, p->client_id, NULL);
		if (p->type == MSG_SUBSCRIBE && env->type == MSG_ERROR)
			sub_drop(p->to, p->client_from);
		else if (env->type == MSG_SUBSCRIBED &&
		    (s = sub_find(p->to)) != NULL)
			s->lost = 0;
	} else
		(void)renewed(p->to, env);
	pending_free(p);
}

/* Send one subscription again, after its actor's process came back. */
static void
resubscribe(struct sub *s)
{
	msgpack_packer	*pk;

	pk = actor_begin(R.self, s->target, MSG_SUBSCRIBE, NULL);
	if (s->kindbit == K_EVENTLOG && s->last_seq > 0) {
		msgpack_pack_map(pk, 1);
		mp_pack_kv_uint(pk, "since", s->last_seq);
	} else
		pk->callback(pk->data, s->payload, s->payload_len);
	s->renew_id[0] = '\0';
	if (actor_end() == 0) {
		pending_add(actor_last_id(), MSG_SUBSCRIBE, NULL,
		    s->froms[0], s->target, NULL, 0);
		snprintf(s->renew_id, sizeof(s->renew_id), "%s",
		    actor_last_id());
	} else {
		/* Not sent: again on the next news of its process. */
		R.down |= s->kindbit;
	}
}

/* Renewals answered unavailable: send them again. */
static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sub	*s;

	(void)fd;
	(void)what;
	(void)arg;
	LIST_FOREACH(s, &R.subs, entry)
		if (s->retry) {
			s->retry = 0;
			resubscribe(s);
		}
}

/*
 * Send again what an actor's process had not answered when it went away:
 * the request may have died with it.  The same id, so an actor that did
 * apply it (and stored its reply) answers again without applying it twice.
 */
static void
resend_pending(unsigned kindbit)
{
	struct pending	*p;
	struct addr	 a;
	msgpack_packer	*pk;
	int		 n = 0;

	TAILQ_FOREACH(p, &R.by_deadline, entry) {
		if (p->payload == NULL || p->type == MSG_SUBSCRIBE ||
		    addr_parse(p->to, strlen(p->to), &a) == -1 ||
		    a.kindbit != kindbit)
			continue;
		pk = actor_begin_id(R.self, p->to, p->type, p->fwd_id, NULL);
		pk->callback(pk->data, p->payload, p->payload_len);
		if (actor_end() == 0)
			n++;
	}
	if (n > 0)
		log_info("sent %d waiting request%s again", n, n == 1 ? "" :
		    "s");
}

/*
 * The kind of a peer: a local process is named by its kind ("coordinator"),
 * a singleton whose host the link lost and found again by its address
 * ("coordinator:main", PeerGone and PeerBack).
 */
static unsigned
peer_kind(const char *identity)
{
	return kind_lookup(identity, strcspn(identity, ":"));
}

/* The runtime (re)connected to an actor process: renew subscriptions. */
static void
session_peer_up(const char *identity)
{
	unsigned	 bit = peer_kind(identity);
	struct sub	*s;

	if (bit == 0 || !(R.down & bit))
		return;
	R.down &= ~bit;
	LIST_FOREACH(s, &R.subs, entry)
		if (s->kindbit == bit) {
			log_info("%s is back; subscribing again",
			    s->target);
			resubscribe(s);
		}
	resend_pending(bit);
}

/*
 * An actor's process went away (identity "coordinator"), or the link lost
 * a singleton's host ("coordinator:main"): tell each client actor
 * subscribed to it, once until it answers again, with an Error push (no
 * replyTo) from the actor, that its pushes stop until it is back.  Also
 * when it was down already: a client may have subscribed meanwhile, the
 * link telling us of the host before that of the process.
 */
static void
session_peer_down(const char *identity)
{
	unsigned	 bit = peer_kind(identity);
	struct sub	*s;
	const char	*why;
	char		 text[ADDR_MAX + 128];
	int		 i;

	if (bit == 0)
		return;
	R.down |= bit;
	if (R.stopped)
		return;
	why = strchr(identity, ':') != NULL ? "out of this host's reach" :
	    "its process stopped";
	LIST_FOREACH(s, &R.subs, entry) {
		if (s->kindbit != bit || s->lost)
			continue;
		s->lost = 1;
		log_info("%s went away (%s); subscribing again when it is "
		    "back", s->target, why);
		snprintf(text, sizeof(text), "%s went away (%s); its pushes "
		    "resume when it is back", s->target, why);
		for (i = 0; i < s->nfroms && !R.stopped; i++)
			send_error(s->froms[i], s->target, NULL,
			    ERR_UNAVAILABLE, text);
		if (R.stopped)
			return;
	}
}

/* Any actor's process coming back or going away. */
static const struct peer_rule session_peers[] = {
	{ NULL,		session_peer_up,	session_peer_down },
};

static void
session_inspect(msgpack_packer *pk)
{
	const struct ws_stats	*st = ws_stats();

	msgpack_pack_map(pk, 6);
	mp_pack_kv_str(pk, "id", R.self_id);
	mp_pack_kv_uint(pk, "wsIn", st->msgs_in);
	mp_pack_kv_uint(pk, "wsOut", st->msgs_out);
	mp_pack_kv_uint(pk, "unsentBytes", ws_unsent());
	mp_pack_kv_uint(pk, "pending", R.npending);
	mp_pack_kv_uint(pk, "subscriptions", R.nsubs);
}

const struct actor_kind session_kind = {
	.name = "session",
	.receive = session_receive,
	.peers = session_peers,
	.npeers = nitems(session_peers),
	.inspect = session_inspect,
};

/* Tell the gateway our counters now and then, when they moved. */
static void
stats_cb(evutil_socket_t fd, short what, void *arg)
{
	const struct ws_stats	*st = ws_stats();
	msgpack_packer		*pk;
	int			 i;

	(void)what;
	(void)arg;
	/* fd -1: the last report, with the close code. */
	if (st->msgs_in == R.stats_in && st->msgs_out == R.stats_out &&
	    !R.errors_moved && fd != -1)
		return;
	R.stats_in = st->msgs_in;
	R.stats_out = st->msgs_out;
	R.errors_moved = 0;
	pk = actor_begin(R.self, "gateway:main", MSG_SESSION_STATS, NULL);
	msgpack_pack_map(pk, st->close_code != 0 ? 4 : 3);
	mp_pack_kv_uint(pk, "msgsIn", st->msgs_in);
	mp_pack_kv_uint(pk, "msgsOut", st->msgs_out);
	/* Error replies by code, indexed by enum err_code (msg.h). */
	mp_pack_str(pk, "errors");
	msgpack_pack_array(pk, ERR_COUNT);
	for (i = 0; i < ERR_COUNT; i++)
		msgpack_pack_uint64(pk, R.errors[i]);
	if (st->close_code != 0)
		mp_pack_kv_uint(pk, "closeCode", st->close_code);
	actor_end();
}

/* Set up the router for session self_id. */
void
route_init(const struct config *cfg, const char *self_id)
{
	R.cfg = cfg;
	snprintf(R.self_id, sizeof(R.self_id), "%s", self_id);
	snprintf(R.self, sizeof(R.self), "session:%s", self_id);
	R.tokens = cfg->rate_burst;
	R.tokens_ms = mono_ms();
	R.pending = strmap_new();
	TAILQ_INIT(&R.by_deadline);
	LIST_INIT(&R.subs);
	msgpack_sbuffer_init(&R.sb);
	msgpack_packer_init(&R.pk, &R.sb, msgpack_sbuffer_write);
	if (rt_base() != NULL) {
		R.deadline_ev = evtimer_new(rt_base(), deadline_cb, NULL);
		R.retry_ev = evtimer_new(rt_base(), retry_cb, NULL);
		R.stats_ev = event_new(rt_base(), -1, EV_PERSIST, stats_cb,
		    NULL);
		if (R.deadline_ev == NULL || R.retry_ev == NULL ||
		    R.stats_ev == NULL)
			fatalx("evtimer_new");
		timer_ms(R.stats_ev, STATS_MS);
	}
}

void
route_set_client(const char *client)
{
	snprintf(R.client, sizeof(R.client), "%s", client);
}

void
route_established(void)
{
	send_json(envelope(DEFAULT_CLIENT, R.self,
	    msg_name(MSG_SESSION_ESTABLISHED), NULL, env_now_ms(), NULL,
	    json_pack("{s:s, s:{s:s, s:s, s:i}, s:{s:I, s:i, s:i}}",
	    "sessionId", R.self_id,
	    "server", "name", "actord", "version", ACTORD_VERSION,
	    "protocol", PROTOCOL_VERSION,
	    "limits", "maxMessageBytes", (json_int_t)R.cfg->max_message_bytes,
	    "rateLimit", R.cfg->rate_limit, "rateBurst", R.cfg->rate_burst)),
	    NULL);
}

/* The connection is gone: unsubscribe and forget waiting requests. */
void
route_stop(void)
{
	struct pending	*p;
	struct sub	*s;

	if (R.stopped)
		return;
	R.stopped = 1;
	while ((s = LIST_FIRST(&R.subs)) != NULL) {
		actor_send(R.self, s->target, MSG_UNSUBSCRIBE);
		sub_free(s);
	}
	while ((p = TAILQ_FIRST(&R.by_deadline)) != NULL)
		pending_free(pending_take(p->fwd_id));
	if (R.deadline_ev != NULL)
		evtimer_del(R.deadline_ev);
	if (R.retry_ev != NULL)
		evtimer_del(R.retry_ev);
	if (R.stats_ev != NULL) {
		stats_cb(-1, 0, NULL);
		evtimer_del(R.stats_ev);
	}
}

/*
 * Free the router after route_stop(): a session exits instead; the tests
 * set up many routers in one process.
 */
void
route_free(void)
{
	route_stop();
	if (R.deadline_ev != NULL)
		event_free(R.deadline_ev);
	if (R.retry_ev != NULL)
		event_free(R.retry_ev);
	if (R.stats_ev != NULL)
		event_free(R.stats_ev);
	strmap_free(R.pending);
	msgpack_sbuffer_destroy(&R.sb);
	memset(&R, 0, sizeof(R));
}

size_t
route_pending(void)
{
	return R.npending;
}

size_t
route_subscriptions(void)
{
	return R.nsubs;
}
