/*
 * Message types, addresses and payload checks: see msg.h and msgtypes.h.
 */
#include <stdio.h>
#include <string.h>

#include "msg.h"

static const struct msg_info msg_table[] = {
#define MSG_ROW(id, name, who, kinds, shape)				\
	{ name, MSG_WHO_##who, kinds, &msg_shape_##shape },
	MSG_TYPES(MSG_ROW)
#undef MSG_ROW
};

static const char *const err_names[] = {
#define ERR_NAME(id, name) name,
	ERR_CODES(ERR_NAME)
#undef ERR_NAME
};

static const struct {
	const char	*name;
	unsigned	 bit;
} kinds[] = {
	{ "client", K_CLIENT },
	{ "coordinator", K_COORD },
	{ "eventlog", K_EVENTLOG },
	{ "link", K_LINK },
	{ "session", K_SESSION },
	{ "system", K_SYSTEM },
	{ "worker", K_WORKER },
};

const struct msg_info *
msg_info(enum msg_type type)
{
	if ((unsigned)type >= MSG_COUNT)
		return NULL;
	return &msg_table[type];
}

const char *
msg_name(enum msg_type type)
{
	if ((unsigned)type >= MSG_COUNT)
		return "?";
	return msg_table[type].name;
}

/* Compare a counted string with a NUL-terminated one, strcmp-style. */
static int
cmp_counted(const char *s, size_t len, const char *z)
{
	size_t	 zl = strlen(z);
	int	 r;

	r = memcmp(s, z, len < zl ? len : zl);
	if (r != 0)
		return r;
	return len < zl ? -1 : len > zl;
}

/* Find a wire name by bisecting the sorted table. */
enum msg_type
msg_lookup(const char *name, size_t len)
{
	size_t	 lo = 0, hi = MSG_COUNT, mid;
	int	 r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = cmp_counted(name, len, msg_table[mid].name);
		if (r == 0)
			return (enum msg_type)mid;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return MSG_UNKNOWN;
}

bool
msg_client_may_send(enum msg_type type)
{
	return (unsigned)type < MSG_COUNT &&
	    msg_table[type].who == MSG_WHO_CLIENT;
}

const char *
err_code_name(enum err_code code)
{
	if ((unsigned)code >= ERR_COUNT)
		return "internal";
	return err_names[code];
}

unsigned
kind_lookup(const char *kind, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (cmp_counted(kind, len, kinds[i].name) == 0)
			return kinds[i].bit;
	return 0;
}

const char *
kind_name(unsigned kindbit)
{
	size_t	 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].bit == kindbit)
			return kinds[i].name;
	return "?";
}

/* A name is 1-64 bytes of letters, digits, '.', '_' and '-'. */
bool
name_valid(const char *s, size_t len)
{
	size_t	 i;
	char	 c;

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/*
 * Split "<kind>:<name>".  The kind must be a lower-case word, the name
 * non-empty and printable; the whole at most ADDR_MAX bytes.  A name may
 * end in "@<host>": when what follows its last '@' is a host's name
 * (host_valid()), that is the host the actor lives on, split off into
 * a->host; otherwise the '@' is part of the name.  An unknown kind parses (kindbit 0): telling bad_address
 * from unknown_actor is the caller's business.
 */
int
addr_parse(const char *s, size_t len, struct addr *a)
{
	const char	*colon, *at;
	size_t		 i;

	if (len == 0 || len > ADDR_MAX)
		return -1;
	if ((colon = memchr(s, ':', len)) == NULL)
		return -1;
	a->kind = s;
	a->kindlen = (size_t)(colon - s);
	a->name = colon + 1;
	a->namelen = len - a->kindlen - 1;
	a->host = NULL;
	a->hostlen = 0;
	if (a->kindlen == 0 || a->kindlen > KIND_MAX || a->namelen == 0)
		return -1;
	for (i = 0; i < a->kindlen; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return -1;
	for (i = 0; i < a->namelen; i++)
		if ((unsigned char)a->name[i] <= 0x20 ||
		    (unsigned char)a->name[i] == 0x7f)
			return -1;
	if (!utf8_valid(a->name, a->namelen))
		return -1;
	if ((at = memrchr(a->name, '@', a->namelen)) != NULL &&
	    host_valid(at + 1, a->namelen - (size_t)(at + 1 - a->name))) {
		a->host = at + 1;
		a->hostlen = a->namelen - (size_t)(a->host - a->name);
		a->namelen = (size_t)(at - a->name);
		if (a->namelen == 0)
			return -1;
	}
	a->kindbit = kind_lookup(a->kind, a->kindlen);
	return 0;
}

size_t
addr_local_len(const char *s, const struct addr *a)
{
	return (size_t)(a->name + a->namelen - s);
}

bool
host_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > HOST_MAX || s[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

const msgpack_object *
mp_get(const msgpack_object *obj, const char *key)
{
	const msgpack_object_kv	*kv;
	size_t			 klen = strlen(key);
	uint32_t		 i;

	if (obj == NULL || obj->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (i = 0; i < obj->via.map.size; i++) {
		kv = &obj->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == klen &&
		    memcmp(kv->key.via.str.ptr, key, klen) == 0)
			return &kv->val;
	}
	return NULL;
}

int
mp_strcpy(const msgpack_object *o, char *buf, size_t size)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR ||
	    o->via.str.size >= size)
		return -1;
	memcpy(buf, o->via.str.ptr, o->via.str.size);
	buf[o->via.str.size] = '\0';
	return 0;
}

bool
mp_streq(const msgpack_object *o, const char *s)
{
	return o != NULL && o->type == MSGPACK_OBJECT_STR &&
	    cmp_counted(o->via.str.ptr, o->via.str.size, s) == 0;
}

int
mp_uint(const msgpack_object *o, uint64_t *v)
{
	if (o == NULL)
		return -1;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		*v = o->via.u64;
		return 0;
	}
	/* JSON numbers like 5.0 arrive as floats: accept exact integers. */
	if ((o->type == MSGPACK_OBJECT_FLOAT64 ||
	    o->type == MSGPACK_OBJECT_FLOAT32) && o->via.f64 >= 0 &&
	    o->via.f64 < 9007199254740992.0 &&
	    o->via.f64 == (double)(uint64_t)o->via.f64) {
		*v = (uint64_t)o->via.f64;
		return 0;
	}
	return -1;
}

static int	decode_fields(const struct msg_field *, const msgpack_object *,
		    char *, char *, size_t);

/* Make "'inner' ..." say "'outer.inner' ...": a field of a nested map. */
static void
why_within(const char *outer, char *why, size_t whylen)
{
	char	 inner[256];

	if (why[0] != '\'')
		return;
	snprintf(inner, sizeof(inner), "%s", why + 1);
	snprintf(why, whylen, "'%s.%s", outer, inner);
}

/*
 * Read one present field's value into its member at out; -1 with why
 * naming the field when it does not fit.
 */
static int
decode_field(const struct msg_field *f, const msgpack_object *v, char *out,
    char *why, size_t whylen)
{
	uint64_t	 u;
	double		 d;

	switch (f->type) {
	case FT_STR:
		if (v->type != MSGPACK_OBJECT_STR || v->via.str.size == 0) {
			snprintf(why, whylen, "'%s' must be a non-empty string",
			    f->key);
			return -1;
		}
		if (v->via.str.size > f->size - 1) {
			snprintf(why, whylen, "'%s' is longer than %zu bytes",
			    f->key, f->size - 1);
			return -1;
		}
		if (!utf8_valid(v->via.str.ptr, v->via.str.size)) {
			snprintf(why, whylen, "'%s' is not valid UTF-8",
			    f->key);
			return -1;
		}
		/* It becomes a C string: a NUL would cut it short. */
		if (memchr(v->via.str.ptr, '\0', v->via.str.size) != NULL) {
			snprintf(why, whylen, "'%s' must not contain a NUL "
			    "character", f->key);
			return -1;
		}
		break;
	case FT_NAME:
		if (v->type != MSGPACK_OBJECT_STR ||
		    !name_valid(v->via.str.ptr, v->via.str.size) ||
		    v->via.str.size > f->size - 1) {
			snprintf(why, whylen, "'%s' must be 1-%d letters, "
			    "digits, '.', '_' or '-'", f->key, NAME_MAX_LEN);
			return -1;
		}
		break;
	case FT_UINT:
		if (mp_uint(v, &u) == -1 || u > f->max) {
			snprintf(why, whylen, "'%s' must be an integer from 0 "
			    "to %llu", f->key, (unsigned long long)f->max);
			return -1;
		}
		memcpy(out + f->off, &u, sizeof(u));
		return 0;
	case FT_NUM:
		if (v->type == MSGPACK_OBJECT_FLOAT32 ||
		    v->type == MSGPACK_OBJECT_FLOAT64)
			d = v->via.f64;
		else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			d = (double)v->via.u64;
		else
			d = -1;
		if (!(d >= 0 && d <= (double)f->max)) {
			snprintf(why, whylen, "'%s' must be a number from 0 "
			    "to %llu", f->key, (unsigned long long)f->max);
			return -1;
		}
		memcpy(out + f->off, &d, sizeof(d));
		return 0;
	case FT_OBJ:
		if (v->type != MSGPACK_OBJECT_MAP) {
			snprintf(why, whylen, "'%s' must be an object",
			    f->key);
			return -1;
		}
		if (decode_fields(f->sub->fields, v, out + f->off, why,
		    whylen) == -1) {
			why_within(f->key, why, whylen);
			return -1;
		}
		return 0;
	case FT_BOOL:
		if (v->type != MSGPACK_OBJECT_BOOLEAN) {
			snprintf(why, whylen, "'%s' must be true or false",
			    f->key);
			return -1;
		}
		out[f->off] = v->via.boolean;
		return 0;
	case FT_ANY:
		((struct mp_any *)(void *)(out + f->off))->obj = v;
		return 0;
	}
	/* A string or a name: copy it, NUL-terminated. */
	memcpy(out + f->off, v->via.str.ptr, v->via.str.size);
	out[f->off + v->via.str.size] = '\0';
	return 0;
}

/*
 * Read the fields of payload (a map, or nil) into out, zeroed first.
 * Once as many fields were found as the map has entries, the others are
 * absent: a message names a few of its shape's fields, and looking each
 * of the rest up in the map was most of an AssignTask's decoding.
 */
static int
decode_fields(const struct msg_field *f, const msgpack_object *payload,
    char *out, char *why, size_t whylen)
{
	const msgpack_object	*v;
	uint32_t		 left = payload != NULL &&
				    payload->type == MSGPACK_OBJECT_MAP ?
				    payload->via.map.size : 0;

	for (; f->key != NULL; f++) {
		if (f->flags & F_OUT)
			continue;
		v = left > 0 ? mp_get(payload, f->key) : NULL;
		if (v != NULL)
			left--;
		if (v == NULL || v->type == MSGPACK_OBJECT_NIL) {
			if (f->flags & F_REQ) {
				snprintf(why, whylen, "'%s' is required",
				    f->key);
				return -1;
			}
			continue;
		}
		if (decode_field(f, v, out, why, whylen) == -1)
			return -1;
		if (f->has != NO_HAS)
			out[f->has] = 1;
	}
	return 0;
}

int
msg_decode_bytes(const struct msg_shape *shape, const void *buf, size_t len,
    void *out, char *why, size_t whylen)
{
	msgpack_unpacked	 up;
	int			 rc = -1;

	memset(out, 0, shape->size);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, buf, len, NULL) != MSGPACK_UNPACK_SUCCESS)
		snprintf(why, whylen, "not one msgpack object");
	else if (up.data.type != MSGPACK_OBJECT_MAP)
		snprintf(why, whylen, "not a map");
	else
		rc = decode_fields(shape->fields, &up.data, out, why, whylen);
	msgpack_unpacked_destroy(&up);
	return rc;
}

int
msg_decode(enum msg_type type, const msgpack_object *payload,
    union msg_body *body, enum err_code *code, char *why, size_t whylen)
{
	const struct msg_shape	*shape;

	*code = ERR_BAD_PAYLOAD;
	if ((unsigned)type >= MSG_COUNT) {
		*code = ERR_UNKNOWN_TYPE;
		snprintf(why, whylen, "unknown message type");
		return -1;
	}
	if ((shape = msg_table[type].shape)->fields == NULL)
		return 0;		/* none: any value */
	if (payload != NULL && payload->type != MSGPACK_OBJECT_NIL &&
	    payload->type != MSGPACK_OBJECT_MAP) {
		snprintf(why, whylen, "'payload' must be an object");
		return -1;
	}
	memset(body, 0, shape->size);
	return decode_fields(shape->fields, payload, (char *)body, why,
	    whylen);
}

/* Is the member of f at in set: to be packed when optional? */
static bool
field_set(const struct msg_field *f, const char *in)
{
	const struct mp_any	*a;

	if (f->has != NO_HAS)
		return in[f->has] != 0;
	switch (f->type) {
	case FT_STR:
	case FT_NAME:
		return in[f->off] != '\0';
	case FT_BOOL:
		return in[f->off] != 0;
	case FT_ANY:
		a = (const struct mp_any *)(const void *)(in + f->off);
		return a->obj != NULL || a->raw != NULL;
	default:
		return true;	/* a required number */
	}
}

int
mp_pack_any(msgpack_packer *pk, const struct mp_any *v)
{
	if (v->obj != NULL)
		return msgpack_pack_object(pk, *v->obj) != 0 ? -1 : 0;
	if (v->raw != NULL && v->len > 0) {
		mp_pack_raw(pk, v->raw, v->len);
		return 0;
	}
	return msgpack_pack_nil(pk) != 0 ? -1 : 0;
}

/* Pack one field's value (nil when it is not set). */
static int
encode_field(msgpack_packer *pk, const struct msg_field *f, const char *in)
{
	uint64_t	 u;
	double		 d;

	if (!field_set(f, in) && !(f->flags & F_REQ))
		return msgpack_pack_nil(pk) != 0 ? -1 : 0;
	switch (f->type) {
	case FT_STR:
	case FT_NAME:
		return mp_pack_str(pk, in + f->off);
	case FT_UINT:
		memcpy(&u, in + f->off, sizeof(u));
		return msgpack_pack_uint64(pk, u) != 0 ? -1 : 0;
	case FT_NUM:
		memcpy(&d, in + f->off, sizeof(d));
		return msgpack_pack_double(pk, d) != 0 ? -1 : 0;
	case FT_OBJ:
		return msg_encode(pk, f->sub, in + f->off);
	case FT_BOOL:
		return (in[f->off] ? msgpack_pack_true(pk) :
		    msgpack_pack_false(pk)) != 0 ? -1 : 0;
	case FT_ANY:
		return mp_pack_any(pk,
		    (const struct mp_any *)(const void *)(in + f->off));
	}
	return -1;
}

int
msg_encode(msgpack_packer *pk, const struct msg_shape *shape, const void *in)
{
	const struct msg_field	*f;
	const char		*p = in;
	size_t			 n = 0;

	/* Packed: what is required, nil when unset, or set. */
	if (shape == NULL || shape->fields == NULL)
		return msgpack_pack_map(pk, 0) != 0 ? -1 : 0;
	for (f = shape->fields; f->key != NULL; f++)
		n += (f->flags & (F_REQ | F_NUL)) || field_set(f, p);
	if (msgpack_pack_map(pk, n) != 0)
		return -1;
	for (f = shape->fields; f->key != NULL; f++) {
		if (!(f->flags & (F_REQ | F_NUL)) && !field_set(f, p))
			continue;
		if (mp_pack_str(pk, f->key) == -1 ||
		    encode_field(pk, f, p) == -1)
			return -1;
	}
	return 0;
}

int
mp_pack_str(msgpack_packer *pk, const char *s)
{
	size_t	 n = strlen(s);

	if (msgpack_pack_str(pk, n) != 0 ||
	    msgpack_pack_str_body(pk, s, n) != 0)
		return -1;
	return 0;
}

int
mp_pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	return mp_pack_str(pk, k) == -1 || mp_pack_str(pk, v) == -1 ? -1 : 0;
}

int
mp_pack_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
	return mp_pack_str(pk, k) == -1 || msgpack_pack_int64(pk, v) != 0 ?
	    -1 : 0;
}

int
mp_pack_kv_uint(msgpack_packer *pk, const char *k, uint64_t v)
{
	return mp_pack_str(pk, k) == -1 || msgpack_pack_uint64(pk, v) != 0 ?
	    -1 : 0;
}

int
mp_pack_kv_bool(msgpack_packer *pk, const char *k, bool v)
{
	return mp_pack_str(pk, k) == -1 || (v ? msgpack_pack_true(pk) :
	    msgpack_pack_false(pk)) != 0 ? -1 : 0;
}

void
mp_pack_raw(msgpack_packer *pk, const void *buf, size_t len)
{
	pk->callback(pk->data, buf, len);
}

/* Validate UTF-8 per RFC 3629: shortest form, no surrogates, <= U+10FFFF. */
bool
utf8_valid(const void *s, size_t len)
{
	const unsigned char	*p = s, *end;
	unsigned char		 c;

	/* msgpack-c gives an empty string a NULL pointer: no arithmetic. */
	if (len == 0)
		return true;
	end = p + len;
	while (p < end) {
		c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			if (end - p < 2 || (p[1] & 0xc0) != 0x80)
				return false;
			p += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			if (end - p < 3 || (p[1] & 0xc0) != 0x80 ||
			    (p[2] & 0xc0) != 0x80)
				return false;
			if (c == 0xe0 && p[1] < 0xa0)
				return false;	/* overlong */
			if (c == 0xed && p[1] > 0x9f)
				return false;	/* surrogate */
			p += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			if (end - p < 4 || (p[1] & 0xc0) != 0x80 ||
			    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
				return false;
			if (c == 0xf0 && p[1] < 0x90)
				return false;	/* overlong */
			if (c == 0xf4 && p[1] > 0x8f)
				return false;	/* over U+10FFFF */
			p += 4;
		} else
			return false;
	}
	return true;
}

/* Big-endian integer of n bytes at p. */
static uint64_t
be(const unsigned char *p, int n)
{
	uint64_t	 v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

bool
mp_sane(const void *buf, size_t len)
{
	const unsigned char	*p = buf, *end = p + len;
	uint64_t		 need = 1, n, skip;
	unsigned char		 c;
	int			 hdr;

	while (need > 0) {
		if (p >= end || need > (uint64_t)(end - p))
			return false;
		need--;
		c = *p;
		hdr = 1;
		skip = 0;
		n = 0;			/* elements this object adds */
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 ||
		    c == 0xc3)
			;		/* fixint, nil, bool */
		else if (c >= 0x80 && c <= 0x8f)
			n = 2 * (uint64_t)(c & 0x0f);
		else if (c >= 0x90 && c <= 0x9f)
			n = c & 0x0f;
		else if (c >= 0xa0 && c <= 0xbf)
			skip = c & 0x1f;
		else {
			switch (c) {
			case 0xc4: case 0xd9:		/* bin8, str8 */
				hdr = 2;
				break;
			case 0xc5: case 0xda:		/* bin16, str16 */
				hdr = 3;
				break;
			case 0xc6: case 0xdb:		/* bin32, str32 */
				hdr = 5;
				break;
			case 0xc7: hdr = 3; break;	/* ext8 */
			case 0xc8: hdr = 4; break;	/* ext16 */
			case 0xc9: hdr = 6; break;	/* ext32 */
			case 0xca: skip = 4; break;	/* float32 */
			case 0xcb: skip = 8; break;	/* float64 */
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xce: case 0xd2: skip = 4; break;
			case 0xcf: case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;	/* fixext 1..16 */
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc: hdr = 3; break;	/* array16 */
			case 0xdd: hdr = 5; break;	/* array32 */
			case 0xde: hdr = 3; break;	/* map16 */
			case 0xdf: hdr = 5; break;	/* map32 */
			default:
				return false;		/* 0xc1: never used */
			}
			if ((uint64_t)(end - p) < (uint64_t)hdr)
				return false;
			switch (c) {
			case 0xc4: case 0xc5: case 0xc6:
			case 0xd9: case 0xda: case 0xdb:
				skip = be(p + 1, hdr - 1);
				break;
			case 0xc7: case 0xc8: case 0xc9:
				skip = be(p + 1, hdr - 2);	/* type: in hdr */
				break;
			case 0xdc: case 0xdd:
				n = be(p + 1, hdr - 1);
				break;
			case 0xde: case 0xdf:
				n = 2 * be(p + 1, hdr - 1);
				break;
			}
		}
		p += hdr;
		if (skip > (uint64_t)(end - p))
			return false;
		p += skip;
		need += n;
	}
	return p == end;
}
