/*
 * The envelope codec: see envelope.h.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "envelope.h"
#include "log.h"

/* Copy a required string field, or say which field is wrong. */
static int
get_str(const msgpack_object *obj, const char *key, char *buf, size_t size,
    int required, char *why, size_t whylen)
{
	const msgpack_object	*v = mp_get(obj, key);

	if (v == NULL && !required) {
		buf[0] = '\0';
		return 0;
	}
	if (v == NULL || v->type != MSGPACK_OBJECT_STR ||
	    v->via.str.size == 0 || v->via.str.size >= size ||
	    memchr(v->via.str.ptr, '\0', v->via.str.size) != NULL ||
	    !utf8_valid(v->via.str.ptr, v->via.str.size)) {
		snprintf(why, whylen, "Missing or invalid '%s' field: "
		    "expected a string of 1-%zu bytes", key, size - 1);
		return -1;
	}
	memcpy(buf, v->via.str.ptr, v->via.str.size);
	buf[v->via.str.size] = '\0';
	return 0;
}

int
env_decode(const msgpack_object *obj, struct envelope *env,
    enum err_code *code, char *why, size_t whylen)
{
	static const msgpack_object	 nil = { .type = MSGPACK_OBJECT_NIL };
	const msgpack_object		*v, *to;
	struct addr			 a;
	char				 esc[LOG_ESCAPE_BUF];

	*code = ERR_BAD_ENVELOPE;
	if (obj->type != MSGPACK_OBJECT_MAP) {
		*code = ERR_BAD_JSON;
		snprintf(why, whylen, "Invalid message format");
		return -1;
	}
	v = mp_get(obj, "type");
	if (v == NULL || v->type != MSGPACK_OBJECT_STR ||
	    v->via.str.size == 0) {
		snprintf(why, whylen, "Missing or invalid 'type' field");
		return -1;
	}
	env->type = msg_lookup(v->via.str.ptr, v->via.str.size);
	/*
	 * 'to' must be a non-empty string here; whether the string is an
	 * address (its length, its bytes) is bad_address, judged below.
	 */
	to = mp_get(obj, "to");
	if (to == NULL || to->type != MSGPACK_OBJECT_STR ||
	    to->via.str.size == 0) {
		snprintf(why, whylen, "Missing or invalid 'to' field: "
		    "expected a string of 1-%d bytes", ADDR_MAX);
		return -1;
	}
	env->to[0] = '\0';
	if (to->via.str.size <= ADDR_MAX) {
		memcpy(env->to, to->via.str.ptr, to->via.str.size);
		env->to[to->via.str.size] = '\0';
	}
	if (get_str(obj, "from", env->from, sizeof(env->from), 1, why,
	    whylen) == -1 ||
	    get_str(obj, "id", env->id, sizeof(env->id), 1, why,
	    whylen) == -1 ||
	    get_str(obj, "replyTo", env->reply_to, sizeof(env->reply_to), 0,
	    why, whylen) == -1)
		return -1;
	env->timestamp = 0;
	if ((v = mp_get(obj, "timestamp")) != NULL) {
		if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    v->via.u64 <= INT64_MAX)
			env->timestamp = (int64_t)v->via.u64;
		else if ((v->type == MSGPACK_OBJECT_FLOAT64 ||
		    v->type == MSGPACK_OBJECT_FLOAT32) && v->via.f64 >= 0 &&
		    v->via.f64 < 9.2e18)
			env->timestamp = (int64_t)v->via.f64;
		else {
			snprintf(why, whylen, "Invalid 'timestamp' field: "
			    "expected milliseconds since the epoch");
			return -1;
		}
	}
	if ((v = mp_get(obj, "payload")) == NULL)
		v = &nil;
	env->payload = v;
	env->body = NULL;
	if (addr_parse(to->via.str.ptr, to->via.str.size, &a) == -1) {
		*code = ERR_BAD_ADDRESS;
		snprintf(why, whylen, "Invalid 'to' field: %s",
		    log_escape(to->via.str.ptr, to->via.str.size, esc,
		    sizeof(esc)));
		return -1;
	}
	if (env->type == MSG_UNKNOWN) {
		v = mp_get(obj, "type");
		*code = ERR_UNKNOWN_TYPE;
		snprintf(why, whylen, "Unknown message type: %s",
		    log_escape(v->via.str.ptr, v->via.str.size, esc,
		    sizeof(esc)));
		return -1;
	}
	return 0;
}

/* Pack a NUL-terminated string. */
static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t	 n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void
env_pack_header(msgpack_packer *pk, const char *to, const char *from,
    enum msg_type type, const char *id, const char *reply_to,
    int64_t timestamp)
{
	int	 reply = reply_to != NULL && reply_to[0] != '\0';

	msgpack_pack_map(pk, reply ? 7 : 6);
	pack_str(pk, "to");
	pack_str(pk, to);
	pack_str(pk, "from");
	pack_str(pk, from);
	pack_str(pk, "type");
	pack_str(pk, msg_name(type));
	pack_str(pk, "id");
	pack_str(pk, id);
	pack_str(pk, "timestamp");
	msgpack_pack_int64(pk, timestamp);
	if (reply) {
		pack_str(pk, "replyTo");
		pack_str(pk, reply_to);
	}
	pack_str(pk, "payload");
}

/*
 * Ids are a random 48-bit prefix drawn once per process and a counter, in
 * base 36: short, unique across restarts without any state on disk.
 */
void
env_new_id(char *buf, size_t size)
{
	static char		 prefix[24];	/* "<48 bits in hex>-" */
	static size_t		 plen;
	static uint64_t		 counter;
	static const char	 digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char			 tmp[16];
	uint64_t		 v;
	size_t			 n = 0, i;

	if (plen == 0) {
		if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
			v = (uint64_t)getpid() << 20 ^ (uint64_t)time(NULL);
		plen = (size_t)snprintf(prefix, sizeof(prefix), "%llx-",
		    (unsigned long long)((v & 0xffffffffffffULL) | 1));
	}
	v = ++counter;
	do {
		tmp[n++] = digits[v % 36];
		v /= 36;
	} while (v != 0);
	if (size == 0)
		return;
	/* Like snprintf: as much as fits, always terminated. */
	i = plen < size - 1 ? plen : size - 1;
	memcpy(buf, prefix, i);
	while (n > 0 && i < size - 1)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
}

int64_t
env_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
