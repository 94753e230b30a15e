/*
 * The task kinds: see kinds.h.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "kinds.h"

/* The built-in kinds, kept sorted; worker/worker_tasks.c runs them. */
static const struct kind_conf builtins[] = {
	{ .name = "echo", .builtin = true, .input = KIND_INPUT_BUILTIN },
	{ .name = "fail", .builtin = true, .input = KIND_INPUT_BUILTIN },
	{ .name = "sleep", .builtin = true, .input = KIND_INPUT_BUILTIN },
};

static const char *const input_names[] = {
	[KIND_INPUT_BUILTIN] = "builtin", [KIND_INPUT_STDIN] = "stdin",
	[KIND_INPUT_ARGS] = "args", [KIND_INPUT_NONE] = "none",
};

size_t
kind_count(const struct config *cfg)
{
	return nitems(builtins) + (cfg != NULL ? (size_t)cfg->nkinds : 0);
}

const struct kind_conf *
kind_at(const struct config *cfg, size_t i)
{
	if (i < nitems(builtins))
		return &builtins[i];
	i -= nitems(builtins);
	return i < (size_t)cfg->nkinds ? &cfg->kinds[i] : NULL;
}

const struct kind_conf *
kind_find(const struct config *cfg, const char *name)
{
	size_t	 i, n = kind_count(cfg);

	for (i = 0; i < n; i++)
		if (strcmp(kind_at(cfg, i)->name, name) == 0)
			return kind_at(cfg, i);
	return NULL;
}

/* The built-ins' rules: sleep takes {ms}; echo and fail take anything. */
static int
check_builtin(const struct kind_conf *k, const msgpack_object *input,
    char *why, size_t whylen)
{
	const msgpack_object	*v;
	uint64_t		 ms;

	if (strcmp(k->name, "sleep") != 0)
		return 0;
	if (input == NULL || input->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (input->type != MSGPACK_OBJECT_MAP) {
		snprintf(why, whylen, "'input' must be an object");
		return -1;
	}
	v = mp_get(input, "ms");
	if (v != NULL && v->type != MSGPACK_OBJECT_NIL &&
	    (mp_uint(v, &ms) == -1 || ms > SLEEP_MAX_MS)) {
		snprintf(why, whylen, "'input.ms' must be an integer from 0 "
		    "to %llu", (unsigned long long)SLEEP_MAX_MS);
		return -1;
	}
	return 0;
}

int
kind_check_input(const struct kind_conf *k, const msgpack_object *input,
    char *why, size_t whylen)
{
	bool	 absent = input == NULL || input->type == MSGPACK_OBJECT_NIL;

	switch (k->input) {
	case KIND_INPUT_BUILTIN:
		return check_builtin(k, input, why, whylen);
	case KIND_INPUT_NONE:
		if (absent)
			return 0;
		snprintf(why, whylen, "'input' must be absent: kind %s "
		    "takes none", k->name);
		return -1;
	case KIND_INPUT_STDIN:
	case KIND_INPUT_ARGS:
		/* The command kinds' rules come with them. */
		return 0;
	}
	return 0;
}

void
kind_pack(msgpack_packer *pk, const struct kind_conf *k)
{
	msgpack_pack_map(pk, 4);
	mp_pack_kv_str(pk, "name", k->name);
	mp_pack_str(pk, "builtin");
	if (k->builtin)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	mp_pack_kv_str(pk, "input", input_names[k->input]);
	mp_pack_kv_uint(pk, "timeoutMs", k->timeout_ms);
}
