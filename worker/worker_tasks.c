/*
 * The task kinds a worker runs: one function and one row each.
 *
 * Adding a kind:
 *  1. write `static int kind_<name>(struct task *t, const msgpack_object
 *     *input)`: read what it needs from input (which may be NULL), then
 *     pack its result on t->result (or nothing: nil) and return 0, with
 *     t->after_ms set to finish on a timer; or return task_error(t, fmt,
 *     ...), failed with a reason.  Never block: the process runs every
 *     worker's tasks on one loop;
 *  2. add { "<name>", kind_<name> } to kinds[] below, kept sorted;
 *  3. document it in docs/actors.md ("Task kinds").
 * The coordinator does not know the kinds: an unknown kind fails on the
 * worker with "unknown task kind".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "worker.h"

/* sleep {ms}: done after ms (default 1000); the result is {sleptMs}. */
static int
kind_sleep(struct task *t, const msgpack_object *input)
{
	const msgpack_object	*v = mp_get(input, "ms");
	uint64_t		 ms = 1000;

	if (v != NULL && v->type != MSGPACK_OBJECT_NIL &&
	    (mp_uint(v, &ms) == -1 || ms > SLEEP_MAX_MS))
		return task_error(t, "'ms' must be an integer from 0 to %llu",
		    (unsigned long long)SLEEP_MAX_MS);
	msgpack_pack_map(t->result, 1);
	mp_pack_kv_uint(t->result, "sleptMs", ms);
	t->after_ms = ms;
	return 0;
}

/* echo {value}: the result is the value (nil when absent). */
static int
kind_echo(struct task *t, const msgpack_object *input)
{
	const msgpack_object	*v = mp_get(input, "value");

	if (v != NULL)
		msgpack_pack_object(t->result, *v);
	return 0;
}

/* fail {message}: fails with the message; for tests and demos. */
static int
kind_fail(struct task *t, const msgpack_object *input)
{
	const msgpack_object	*v = mp_get(input, "message");

	if (v != NULL && v->type == MSGPACK_OBJECT_STR && v->via.str.size > 0)
		return task_error(t, "%.*s", (int)v->via.str.size,
		    v->via.str.ptr);
	return task_error(t, "task %s failed on purpose", t->id);
}

static const struct task_kind kinds[] = {
	{ "echo",	kind_echo },
	{ "fail",	kind_fail },
	{ "sleep",	kind_sleep },
};

int
task_error(struct task *t, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 len;

	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	/* Truncation may have cut a character: keep valid UTF-8 only. */
	len = strlen(t->error);
	while (len > 0 && !utf8_valid(t->error, len))
		t->error[--len] = '\0';
	if (len == 0)
		snprintf(t->error, sizeof(t->error), "failed");
	return -1;
}

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
