/*
 * JSON (jansson) <-> msgpack, both ways: the session's translation of its
 * client's messages, and actorctl's --json and `send`.  See mpjson.c for
 * how numbers, binary, invalid UTF-8 and non-string keys are mapped.
 */
#ifndef MPJSON_H
#define MPJSON_H

#include <stddef.h>

#include <jansson.h>
#include <msgpack.h>

/*
 * Parse one JSON text.  Integers beyond the int64 range are accepted as
 * doubles, as a browser would read them.  NULL if it is not JSON.
 */
json_t	*mpjson_parse(const void *buf, size_t len);
/*
 * Pack j as msgpack.  -1 if j is nested deeper than maxdepth containers;
 * what was packed so far must then be thrown away.
 */
int	 mpjson_pack(msgpack_packer *pk, const json_t *j, int maxdepth);
/* base64 (RFC 4648) of p[0..len) into out (4 * ceil(len / 3) + 1 bytes). */
size_t	 base64_encode(const void *p, size_t len, char *out);
/* A new JSON value for a msgpack object (binary becomes base64). */
json_t	*mpjson_from_msgpack(const msgpack_object *o);

#endif
