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
#include <stdio.h>

#include <msgpack.h>

#include "msg.h"

#define KINDS_MAX	64		/* [kind.NAME] sections */
#define SLEEP_MAX_MS	(24 * 3600 * 1000ULL)	/* the longest sleep task */
#define KIND_WORDS_MAX	64		/* words of argv, entries of env */
#define KIND_TEXT_MAX	1024		/* their bytes, each NUL-ended */
#define KIND_PATH_MAX	256		/* bytes of cwd */
#define KIND_ARGS_MAX	1024		/* the most max_args allows */
#define KIND_CUT_MAX	64		/* bytes of the marker of cut output */
#define KIND_REPORT_SLACK 8192		/* a report's frame beside its result */
/* The variable a command finds its run by; argv and env may not set it. */
#define KIND_MARKER	"ACTORD_RUN"

struct config;

/* How a task's input reaches its program. */
enum kind_input {
	KIND_INPUT_BUILTIN,	/* a built-in kind reads it (its own rule) */
	KIND_INPUT_STDIN,	/* the input as JSON on stdin */
	KIND_INPUT_ARGS,	/* an array of strings after the fixed argv */
	KIND_INPUT_NONE,	/* none: the input must be absent or null */
};

/*
 * A task kind.  A command kind ([kind.NAME] in actord.conf, builtin
 * false) runs argv with exactly env, in cwd, its input on stdin or as
 * arguments; the worker kills its process group after the timeout or on
 * cancel (SIGTERM, SIGKILL grace_ms later) and keeps at most
 * max_output_bytes of stdout and of stderr (worker/worker_command.c).
 * A limit of 0 (rlimit_*) leaves the worker's own.
 */
struct kind_conf {
	char		 name[TASK_KIND_MAX + 1];
	bool		 builtin;
	enum kind_input	 input;
	uint64_t	 timeout_ms;		/* when a task asks none; 0: none */
	uint64_t	 timeout_max_ms;	/* the most a task may ask; 0: any */
	struct msg_retry retry;			/* when a task gives none */
	uint64_t	 max_args;		/* KIND_INPUT_ARGS: strings */
	uint64_t	 max_arg_bytes;		/* ... each at most this long */
	uint64_t	 max_stdin_bytes;	/* KIND_INPUT_STDIN: JSON bytes */

	/* A command kind's program and limits. */
	char		 argv[KIND_TEXT_MAX];	/* words, each NUL-ended */
	int		 argc;			/* argv[0]: the program */
	char		 env[KIND_TEXT_MAX];	/* NAME=value, each NUL-ended */
	int		 nenv;
	char		 cwd[KIND_PATH_MAX];	/* absolute */
	uint64_t	 grace_ms;		/* SIGTERM to SIGKILL */
	uint64_t	 max_output_bytes;	/* of stdout, of stderr */
	uint64_t	 rlimit_cpu_s;		/* 0: the worker's RLIMIT_CPU */
	uint64_t	 rlimit_as_bytes;	/* RLIMIT_AS; 0: the worker's */
	uint64_t	 rlimit_nofile;		/* 0: the worker's */
	int		 nice;			/* absolute, when has_nice */
	bool		 has_nice;
	int		 line;			/* of [kind.NAME], for errors */
	int		 argv_line;		/* of its first argv line */
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
/*
 * The input as a stdin kind's program reads it: one JSON text (null when
 * absent), malloc'd, its length in *len; NULL if it cannot be written.
 */
char		*kind_stdin_json(const msgpack_object *input, size_t *len);
/*
 * The most bytes a command's result may pack into: stdout and stderr at
 * max_output_bytes each, a cut's marker, base64, the other fields.
 */
uint64_t	 kind_result_max(const struct kind_conf *k);
/* The name of an input rule: "builtin", "stdin", "args", "none". */
const char	*kind_input_name(enum kind_input input);
/*
 * Split a line of words as sh(1) would, without any expansion: blanks
 * separate words; '...' takes everything up to the next ' as it is;
 * "..." too, but \" and \\ stand for " and \ in it; outside quotes a
 * backslash takes the next character as it is.  The words are appended
 * to buf (each NUL-ended, *used bytes of size already taken) and
 * counted in *n (at most max).  -1 with why on an unclosed quote, a
 * trailing backslash, or too many words or bytes.
 */
int		 kind_split(const char *line, char *buf, size_t size,
		    size_t *used, int *n, int max, char *why, size_t whylen);
/* Write word quoted so that kind_split() gives it back unchanged. */
void		 kind_quote(FILE *fp, const char *word);

#endif
