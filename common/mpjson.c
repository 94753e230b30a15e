/*
 * msgpack <-> JSON: see mpjson.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpjson.h"

json_t *
mpjson_to_json(const msgpack_object *o)
{
	json_t		*j, *v;
	char		 key[64], *hex;
	uint32_t	 i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > (uint64_t)INT64_MAX)
			return json_real((double)o->via.u64);
		return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer((json_int_t)o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR:
		return json_stringn_nocheck(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_BIN:
		if ((hex = malloc((size_t)o->via.bin.size * 2 + 1)) == NULL)
			return NULL;
		for (i = 0; i < o->via.bin.size; i++)
			snprintf(hex + i * 2, 3, "%02x",
			    (unsigned char)o->via.bin.ptr[i]);
		hex[o->via.bin.size * 2] = '\0';
		j = json_string(hex);
		free(hex);
		return j;
	case MSGPACK_OBJECT_ARRAY:
		if ((j = json_array()) == NULL)
			return NULL;
		for (i = 0; i < o->via.array.size; i++)
			json_array_append_new(j,
			    mpjson_to_json(&o->via.array.ptr[i]));
		return j;
	case MSGPACK_OBJECT_MAP:
		if ((j = json_object()) == NULL)
			return NULL;
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;

			v = mpjson_to_json(&o->via.map.ptr[i].val);
			if (k->type == MSGPACK_OBJECT_STR)
				json_object_setn_new_nocheck(j, k->via.str.ptr,
				    k->via.str.size, v);
			else {
				if (k->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
					snprintf(key, sizeof(key), "%llu",
					    (unsigned long long)k->via.u64);
				else
					snprintf(key, sizeof(key), "?");
				json_object_set_new_nocheck(j, key, v);
			}
		}
		return j;
	default:
		return json_null();
	}
}

int
mpjson_pack(msgpack_packer *pk, const json_t *j)
{
	const char	*k;
	json_t		*v;
	size_t		 i, n;

	switch (json_typeof(j)) {
	case JSON_NULL:
		return msgpack_pack_nil(pk);
	case JSON_TRUE:
		return msgpack_pack_true(pk);
	case JSON_FALSE:
		return msgpack_pack_false(pk);
	case JSON_INTEGER:
		return msgpack_pack_int64(pk, json_integer_value(j));
	case JSON_REAL:
		return msgpack_pack_double(pk, json_real_value(j));
	case JSON_STRING:
		n = json_string_length(j);
		msgpack_pack_str(pk, n);
		return msgpack_pack_str_body(pk, json_string_value(j), n);
	case JSON_ARRAY:
		n = json_array_size(j);
		msgpack_pack_array(pk, n);
		for (i = 0; i < n; i++)
			if (mpjson_pack(pk, json_array_get(j, i)) == -1)
				return -1;
		return 0;
	case JSON_OBJECT:
		msgpack_pack_map(pk, json_object_size(j));
		json_object_foreach((json_t *)(uintptr_t)j, k, v) {
			n = strlen(k);
			msgpack_pack_str(pk, n);
			msgpack_pack_str_body(pk, k, n);
			if (mpjson_pack(pk, v) == -1)
				return -1;
		}
		return 0;
	}
	return -1;
}
