/*
 * The task kinds: the built-in ones (sleep, echo, fail) and the operator's
 * command kinds, one [kind.NAME] section of actord.conf each.  The
 * coordinator checks every AssignTask against its kind (it must exist, its
 * input must fit the kind's input rule, its timeout the kind's cap); a
 * worker runs it.  A client never names a program: only a kind.
 */
#ifndef KINDS_H
#define KINDS_H

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

#include "msg.h"

#define KINDS_MAX	64		/* [kind.NAME] sections */
#define SLEEP_MAX_MS	(24 * 3600 * 1000ULL)	/* the longest sleep task */

struct config;

/* How a task's input reaches its program. */
enum kind_input {
	KIND_INPUT_BUILTIN,	/* a built-in kind reads it (its own rule) */
	KIND_INPUT_STDIN,	/* the input as JSON on stdin */
	KIND_INPUT_ARGS,	/* an array of strings after the fixed argv */
	KIND_INPUT_NONE,	/* none: the input must be absent or null */
};

struct kind_conf {
	char		 name[TASK_KIND_MAX + 1];
	bool		 builtin;
	enum kind_input	 input;
	uint64_t	 timeout_ms;		/* when a task asks none; 0: none */
	uint64_t	 timeout_max_ms;	/* the most a task may ask; 0: any */
	struct msg_retry retry;			/* when a task gives none */
	uint64_t	 max_args;		/* KIND_INPUT_ARGS: strings */
	uint64_t	 max_stdin_bytes;	/* KIND_INPUT_STDIN: JSON bytes */
};

/* The kind called name, built-in or cfg's (NULL cfg: built-ins); or NULL. */
const struct kind_conf *kind_find(const struct config *cfg, const char *name);
/* The i-th kind, built-ins first (i < kind_count()); for GetKinds. */
size_t		 kind_count(const struct config *cfg);
const struct kind_conf *kind_at(const struct config *cfg, size_t i);
/*
 * Does input (NULL: absent) fit k's input rule?  -1 with why naming the
 * field ('input', 'input.ms', 'input[3]') when it does not.
 */
int		 kind_check_input(const struct kind_conf *k,
		    const msgpack_object *input, char *why, size_t whylen);
/* Pack one kind as GetKinds shows it: {name, builtin, input, ...}. */
void		 kind_pack(msgpack_packer *pk, const struct kind_conf *k);

#endif
