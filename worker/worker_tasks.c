/*
 * The task kinds a worker runs: one function and one row each.
 *
 * Adding a kind:
 *  1. write `static int kind_<name>(struct task *t, const msgpack_object
 *     *input)`: read what it needs from input (which may be NULL), then
 *     call exactly one of
 *	task_complete(t, result)		done now, with a result
 *	task_complete_after(t, ms, result)	done after ms, on a timer
 *	return task_error(t, fmt, ...)		failed, with a reason;
 *     never block: the process runs every worker's tasks on one loop;
 *  2. add { "<name>", kind_<name> } to kinds[] below, kept sorted;
 *  3. document it in docs/actors.md ("Task kinds").
 * The coordinator does not know the kinds: an unknown kind fails on the
 * worker with "unknown task kind".
 */
#include <stdio.h>
#include <string.h>

#include "worker.h"

/* sleep {ms}: done after ms (default 1000); the result is {sleptMs}. */
static int
kind_sleep(struct task *t, const msgpack_object *input)
{
	msgpack_object_kv	 kv;
	msgpack_object		 result;
	const msgpack_object	*v = mp_get(input, "ms");
	uint64_t		 ms = 1000;

	if (v != NULL && v->type != MSGPACK_OBJECT_NIL &&
	    (mp_uint(v, &ms) == -1 || ms > SLEEP_MAX_MS))
		return task_error(t, "'ms' must be an integer from 0 to %llu",
		    (unsigned long long)SLEEP_MAX_MS);
	memset(&kv, 0, sizeof(kv));
	kv.key.type = MSGPACK_OBJECT_STR;
	kv.key.via.str.ptr = "sleptMs";
	kv.key.via.str.size = 7;
	kv.val.type = MSGPACK_OBJECT_POSITIVE_INTEGER;
	kv.val.via.u64 = ms;
	result.type = MSGPACK_OBJECT_MAP;
	result.via.map.size = 1;
	result.via.map.ptr = &kv;
	return task_complete_after(t, ms, &result);
}

/* echo {value}: the result is the value (nil when absent). */
static int
kind_echo(struct task *t, const msgpack_object *input)
{
	return task_complete(t, mp_get(input, "value"));
}

/* fail {message}: fails with the message; for tests and demos. */
static int
kind_fail(struct task *t, const msgpack_object *input)
{
	const msgpack_object	*v = mp_get(input, "message");

	if (v != NULL && v->type == MSGPACK_OBJECT_STR && v->via.str.size > 0)
		return task_error(t, "%.*s", (int)v->via.str.size,
		    v->via.str.ptr);
	return task_error(t, "task %s failed on purpose", task_id(t));
}

static const struct task_kind kinds[] = {
	{ "echo",	kind_echo },
	{ "fail",	kind_fail },
	{ "sleep",	kind_sleep },
};

/* The kind called name, or NULL. */
const struct task_kind *
task_kind_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

/* The table of kinds and its length. */
const struct task_kind *
task_kinds(size_t *n)
{
	*n = sizeof(kinds) / sizeof(kinds[0]);
	return kinds;
}
