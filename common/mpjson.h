/*
 * msgpack <-> JSON (jansson) for tools and tests that show or take JSON:
 * actorctl's --json and `send`.  Maps with non-string keys get their keys
 * rendered as JSON text; binary becomes a string of hex digits.
 */
#ifndef MPJSON_H
#define MPJSON_H

#include <jansson.h>
#include <msgpack.h>

/* A new reference, or NULL when out of memory. */
json_t	*mpjson_to_json(const msgpack_object *o);
/* Pack a JSON value; 0, or -1 if it holds something msgpack cannot. */
int	 mpjson_pack(msgpack_packer *pk, const json_t *j);

#endif
