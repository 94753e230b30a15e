/*
 * Message types, addresses and the payload codec, generated from the one
 * catalogue in msgtypes.h and the field tables in payload.h.
 */
#ifndef MSG_H
#define MSG_H

#include <stdbool.h>
#include <stddef.h>

#include <msgpack.h>

#include "msgtypes.h"

/* The protocol's limits. */
#define ADDR_MAX	160	/* bytes in "<kind>:<name>" */
#define KIND_MAX	16	/* bytes in an actor kind */
#define ID_MAX		128	/* bytes in a message id */
#define NAME_MAX_LEN	64	/* bytes in a worker id or other name */
#define HOST_MAX	32	/* bytes in a host's name: "<name>@<host>" */
#define TASK_KIND_MAX	32	/* bytes in a task kind */
#define ERROR_TEXT_MAX	4096	/* bytes of a task's error, an Error's text */
#define LEVEL_MAX	16	/* bytes in an event's level */
#define SOURCE_MAX	128	/* bytes in an event's source */
#define MESSAGE_MAX	4096	/* bytes in an event's message */
#define STATUS_MAX	16	/* bytes in a status word: "interrupted" */
#define CODE_MAX	32	/* bytes in an error code: "bad_payload" */
#define PRIORITY_MAX	9	/* priorities are 0 (default) to 9 (first) */
#define DELAY_MAX_MS	(366ULL * 86400 * 1000)	/* runAt, backoff: a year */
#define TIMEOUT_MAX_MS	3600000	/* a control request's wait */
#define TASK_TIMEOUT_MAX_MS (7ULL * 86400 * 1000)	/* a task's, a week */
#define OUTPUT_CHUNK_MAX 16384	/* bytes of output in one TaskOutput */
#define LIST_LIMIT_MAX	500	/* tasks in one Tasks page */
#define CURSOR_MAX	64	/* bytes in a ListTasks cursor */
#define CLIENT_ID_MAX	64	/* bytes in a client's ?client= identity */
#define CLIENT_ID_PREFIX "c/"	/* message ids deduplicated across senders */

#include "payload.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

enum msg_type {
#define MSG_ENUM(id, name, who, kinds, schema) MSG_##id,
	MSG_TYPES(MSG_ENUM)
#undef MSG_ENUM
	MSG_COUNT,
	MSG_UNKNOWN = MSG_COUNT		/* a name not in the catalogue */
};

enum msg_who {
	MSG_WHO_CLIENT,		/* a client may send it */
	MSG_WHO_SERVER,		/* replies and pushes */
	MSG_WHO_INTERNAL,	/* between actord processes only */
};

/* Actor kinds, as bits so that a message can name several. */
#define K_COORD		0x01
#define K_WORKER	0x02
#define K_EVENTLOG	0x04
#define K_SYSTEM	0x08
#define K_SESSION	0x10
#define K_CLIENT	0x20
#define K_LINK		0x40	/* the cluster's link, link.sock */
#define K_ANY		0x7f

/* A cluster host's roles ([cluster] roles; HostState's roles). */
#define ROLE_COORDINATOR	0x01	/* the coordinator and the event log */
#define ROLE_WORKER		0x02	/* the worker process */
#define ROLE_GATEWAY		0x04	/* the gateway and its sessions */
#define ROLE_ALL		0x07

/* The well-known addresses: the singletons and the supervisor. */
#define COORDINATOR_ADDRESS	"coordinator:main"
#define EVENTLOG_ADDRESS	"eventlog:main"
#define SUPERVISOR_ADDRESS	"system:supervisor"

/* The protocol's error codes (PROTOCOL.md, "Errors"). */
#define ERR_CODES(E)							\
	E(BAD_JSON, "bad_json")						\
	E(BAD_ENVELOPE, "bad_envelope")					\
	E(BAD_ADDRESS, "bad_address")					\
	E(UNKNOWN_ACTOR, "unknown_actor")				\
	E(UNKNOWN_TYPE, "unknown_type")					\
	E(BAD_PAYLOAD, "bad_payload")					\
	E(TOO_LARGE, "too_large")					\
	E(RATE_LIMITED, "rate_limited")					\
	E(UNAVAILABLE, "unavailable")					\
	E(FORBIDDEN, "forbidden")					\
	E(NOT_FOUND, "not_found")					\
	E(INTERNAL, "internal")

enum err_code {
#define ERR_ENUM(id, name) ERR_##id,
	ERR_CODES(ERR_ENUM)
#undef ERR_ENUM
	ERR_COUNT
};

struct msg_info {
	const char		*name;		/* wire name */
	enum msg_who		 who;		/* who may send it */
	unsigned		 kinds;		/* K_* it may be sent to */
	const struct msg_shape	*shape;		/* NULL: any payload */
};

/*
 * The struct each type's payload decodes into: MSG_<ID>_body, for the
 * typed senders (actor.h, outbox.h), which refuse at compile time a
 * struct of another shape; void for "empty" and "none".
 */
#define MSG_STRUCT_TYPEDEF(shape, type) typedef struct type msg_struct_##shape;
MSG_SHAPES(MSG_STRUCT_TYPEDEF)
#undef MSG_STRUCT_TYPEDEF
typedef void msg_struct_empty;
typedef void msg_struct_none;
#define MSG_BODY_TYPEDEF(id, name, who, kinds, shape)			\
	typedef msg_struct_##shape MSG_##id##_body;
MSG_TYPES(MSG_BODY_TYPEDEF)
#undef MSG_BODY_TYPEDEF

/* A parsed address: kind and name point into the caller's string. */
struct addr {
	const char	*kind;
	size_t		 kindlen;
	const char	*name;
	size_t		 namelen;	/* without "@host" */
	const char	*host;		/* after the name's last '@'; or NULL */
	size_t		 hostlen;
	unsigned	 kindbit;	/* K_* or 0 for an unknown kind */
};

const struct msg_info *msg_info(enum msg_type type);
const char	*msg_name(enum msg_type type);
enum msg_type	 msg_lookup(const char *name, size_t len);
bool		 msg_client_may_send(enum msg_type type);
const char	*err_code_name(enum err_code code);

int		 addr_parse(const char *s, size_t len, struct addr *a);
/* The length of s, which a was parsed from, without its "@host". */
size_t		 addr_local_len(const char *s, const struct addr *a);
unsigned	 kind_lookup(const char *kind, size_t len);
const char	*kind_name(unsigned kindbit);
bool		 name_valid(const char *s, size_t len);
/* A host's name: 1-32 of [a-z0-9-], not starting with '-'. */
bool		 host_valid(const char *s, size_t len);

/*
 * Decode a payload through its type's field table into body: the whole
 * check of a payload, done once.  On failure returns -1 with *code set
 * (ERR_BAD_PAYLOAD, or ERR_UNKNOWN_TYPE for a type not in the catalogue)
 * and a sentence naming the field in why.  A type of shape "none" decodes
 * to nothing and takes any payload.  The body borrows the payload's
 * strings-to-be and values: see payload.h.
 */
int		 msg_decode(enum msg_type type, const msgpack_object *payload,
		    union msg_body *body, enum err_code *code, char *why,
		    size_t whylen);
/*
 * Read packed bytes (one map, a struct kept as msgpack: a task's retry
 * policy in SQLite) through shape into out; -1 with why set.  Its P_ANY
 * members would point into freed memory: for shapes without them.
 */
int		 msg_decode_bytes(const struct msg_shape *shape,
		    const void *buf, size_t len, void *out, char *why,
		    size_t whylen);
/*
 * Pack the struct at in as a map through its shape (NULL, or "empty": an
 * empty map).  0, or -1 if the packer failed.
 */
int		 msg_encode(msgpack_packer *pk, const struct msg_shape *shape,
		    const void *in);
/* Pack v, one value: its decoded object, its bytes, or nil. */
int		 mp_pack_any(msgpack_packer *pk, const struct mp_any *v);
/* Packing helpers: 0, or -1 if the packer's buffer failed. */
int		 mp_pack_str(msgpack_packer *pk, const char *s);
int		 mp_pack_kv_str(msgpack_packer *pk, const char *k,
		    const char *v);
int		 mp_pack_kv_int(msgpack_packer *pk, const char *k, int64_t v);
int		 mp_pack_kv_uint(msgpack_packer *pk, const char *k, uint64_t v);
int		 mp_pack_kv_bool(msgpack_packer *pk, const char *k, bool v);
/* Append bytes that are already one msgpack object. */
void		 mp_pack_raw(msgpack_packer *pk, const void *buf, size_t len);

/* Find key in a msgpack map; NULL when absent or when obj is not a map. */
const msgpack_object *mp_get(const msgpack_object *obj, const char *key);
/* Copy a msgpack string into buf (NUL-terminated); -1 if not a string/too long. */
int		 mp_strcpy(const msgpack_object *o, char *buf, size_t size);
bool		 mp_streq(const msgpack_object *o, const char *s);
/* Non-negative integer into *v; -1 if o is not one. */
int		 mp_uint(const msgpack_object *o, uint64_t *v);



/*
 * True if buf[0..len) can be one msgpack object whose every container
 * could really hold its declared elements.  msgpack-c allocates a
 * container's elements up front, trusting the count in its header: a
 * 20-byte frame claiming 2^32 elements would ask for 100 GB.  Every
 * element needs at least one byte, so a count beyond the bytes left is a
 * lie; this walks the headers (no allocation) and refuses those.
 */
bool		 mp_sane(const void *buf, size_t len);

/* True if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool		 utf8_valid(const void *s, size_t len);
#endif
