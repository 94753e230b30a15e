/*
 * The task kinds: see kinds.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "kinds.h"
#include "mpjson.h"

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
	return cfg != NULL && i < (size_t)cfg->nkinds ? &cfg->kinds[i] : NULL;
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

uint64_t
kind_result_max(const struct kind_conf *k)
{
	uint64_t	 one = k->max_output_bytes + KIND_CUT_MAX;

	return 2 * ((one + 2) / 3 * 4) + 256;
}

const char *
kind_input_name(enum kind_input input)
{
	return input_names[input];
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

char *
kind_stdin_json(const msgpack_object *input, size_t *len)
{
	json_t	*j;
	char	*s;

	if (input == NULL)
		j = json_null();
	else if ((j = mpjson_from_msgpack(input)) == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	if (s != NULL)
		*len = strlen(s);
	return s;
}

/* stdin: the input as JSON, at most max_stdin_bytes of it. */
static int
check_stdin(const struct kind_conf *k, const msgpack_object *input,
    char *why, size_t whylen)
{
	char	*s;
	size_t	 len = 0;

	if ((s = kind_stdin_json(input, &len)) == NULL) {
		snprintf(why, whylen, "'input' cannot be written as JSON");
		return -1;
	}
	free(s);
	if (len > k->max_stdin_bytes) {
		snprintf(why, whylen, "'input' is %zu bytes as JSON; kind %s "
		    "takes at most %llu on stdin", len, k->name,
		    (unsigned long long)k->max_stdin_bytes);
		return -1;
	}
	return 0;
}

/* args: absent, or an array of at most max_args strings, each bounded. */
static int
check_args(const struct kind_conf *k, const msgpack_object *input,
    char *why, size_t whylen)
{
	const msgpack_object	*v;
	uint32_t		 i;

	if (input == NULL || input->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (input->type != MSGPACK_OBJECT_ARRAY) {
		snprintf(why, whylen, "'input' must be an array of strings: "
		    "kind %s appends them to its command", k->name);
		return -1;
	}
	if (input->via.array.size > k->max_args) {
		snprintf(why, whylen, "'input' has %u strings; kind %s takes "
		    "at most %llu", input->via.array.size, k->name,
		    (unsigned long long)k->max_args);
		return -1;
	}
	for (i = 0; i < input->via.array.size; i++) {
		v = &input->via.array.ptr[i];
		if (v->type != MSGPACK_OBJECT_STR) {
			snprintf(why, whylen, "'input[%u]' must be a string",
			    i);
			return -1;
		}
		if (memchr(v->via.str.ptr, '\0', v->via.str.size) != NULL) {
			snprintf(why, whylen, "'input[%u]' has a NUL byte", i);
			return -1;
		}
		if (v->via.str.size > k->max_arg_bytes) {
			snprintf(why, whylen, "'input[%u]' is longer than "
			    "%llu bytes", i,
			    (unsigned long long)k->max_arg_bytes);
			return -1;
		}
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
		return check_stdin(k, input, why, whylen);
	case KIND_INPUT_ARGS:
		return check_args(k, input, why, whylen);
	}
	return 0;
}

void
kind_pack(msgpack_packer *pk, const struct kind_conf *k)
{
	size_t	 n = 5;

	if (k->input == KIND_INPUT_ARGS || k->input == KIND_INPUT_STDIN)
		n++;
	msgpack_pack_map(pk, n);
	mp_pack_kv_str(pk, "name", k->name);
	mp_pack_kv_bool(pk, "builtin", k->builtin);
	mp_pack_kv_str(pk, "input", input_names[k->input]);
	mp_pack_kv_uint(pk, "timeoutMs", k->timeout_ms);
	mp_pack_kv_uint(pk, "timeoutMaxMs", k->timeout_max_ms);
	if (k->input == KIND_INPUT_ARGS)
		mp_pack_kv_uint(pk, "maxArgs", k->max_args);
	else if (k->input == KIND_INPUT_STDIN)
		mp_pack_kv_uint(pk, "maxStdinBytes", k->max_stdin_bytes);
}

/* Append byte c to the word being built; -1 when buf is full. */
static int
put(char *buf, size_t size, size_t *used, char c)
{
	if (*used >= size)
		return -1;
	buf[(*used)++] = c;
	return 0;
}

int
kind_split(const char *line, char *buf, size_t size, size_t *used, int *n,
    int max, char *why, size_t whylen)
{
	const char	*p = line;
	size_t		 u = *used;
	int		 count = *n;
	char		 q;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (count >= max) {
			snprintf(why, whylen, "more than %d words", max);
			return -1;
		}
		while (*p != '\0' && *p != ' ' && *p != '\t') {
			if (*p == '\'' || *p == '"') {
				q = *p++;
				while (*p != '\0' && *p != q) {
					if (q == '"' && *p == '\\' &&
					    (p[1] == '"' || p[1] == '\\'))
						p++;
					if (put(buf, size, &u, *p++) == -1)
						goto full;
				}
				if (*p == '\0') {
					snprintf(why, whylen, "no closing %c",
					    q);
					return -1;
				}
				p++;
				continue;
			}
			if (*p == '\\' && *++p == '\0') {
				snprintf(why, whylen, "a backslash at the end");
				return -1;
			}
			if (put(buf, size, &u, *p++) == -1)
				goto full;
		}
		if (put(buf, size, &u, '\0') == -1)
			goto full;
		count++;
	}
	*used = u;
	*n = count;
	return 0;
full:
	snprintf(why, whylen, "longer than %zu bytes in all", size);
	return -1;
}

void
kind_quote(FILE *fp, const char *word)
{
	const char	*p;

	/*
	 * Backslashes rather than quotes: the config's parser takes a ';'
	 * after a blank for a comment even between quotes, never "\;".
	 */
	if (word[0] == '\0') {
		fputs("''", fp);
		return;
	}
	for (p = word; *p != '\0'; p++) {
		if (strchr(" \t'\"\\;#", *p) != NULL)
			fputc('\\', fp);
		fputc(*p, fp);
	}
}
