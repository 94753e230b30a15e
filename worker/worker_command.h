/*
 * Running the operator's commands (command kinds, [kind.NAME]) in the
 * worker process: worker_command.c starts and ends them, worker_output.c
 * keeps what they write.  The state (worker_state.c) starts a command and
 * hears how it ended through a callback; nothing here knows the state.
 *
 * A command is one run of a kind's argv: a process group of its own, the
 * kind's environment only (plus ACTORD_RUN, the run's marker), its
 * stdin, stdout and stderr on pipes the loop reads.  It ends when its
 * first process exits: whatever it left in its group, or anywhere among
 * the worker's adopted children with its marker, is killed then.  See
 * docs/actors.md, "Commands".
 */
#ifndef WORKER_COMMAND_H
#define WORKER_COMMAND_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "kinds.h"
#include "msg.h"

struct event_base;
struct cmd;
struct cmd_runner;

#define RUN_ID_MAX	48	/* bytes of a run's marker value */
#define OUTPUT_RAW_MAX	(OUTPUT_CHUNK_MAX / 4 * 3)	/* base64 fits */
#define OUTPUT_FLUSH_MS	250	/* TaskOutput at most this often */

/* How a run ended, as the runner reports it, once. */
struct cmd_outcome {
	bool		 failed;
	const char	*code;		/* exit, signal, timeout, spawn */
	char		 error[ERROR_TEXT_MAX + 1];	/* failed: why */
	const void	*result;	/* one packed map: docs/actors.md */
	size_t		 resultlen;
};

/* What a run tells the one who started it; arg is theirs. */
struct cmd_hooks {
	/* It ended (never after cmd_abort()); o is valid during the call. */
	void	(*done)(void *arg, const struct cmd_outcome *o);
	/* Output for a watcher (TaskOutput); encoding "" or "base64". */
	void	(*output)(void *arg, const char *stream, uint64_t offset,
		    const char *data, const char *encoding);
};

/* What to run. */
struct cmd_spec {
	const struct kind_conf	*kind;		/* read while it starts only */
	const char		*task_id;
	const msgpack_object	*input;		/* NULL: none */
	uint64_t		 timeout_ms;	/* 0: none */
	bool			 stream;	/* output hook from the start */
};

/*
 * The runner: one per worker process.  It makes the process a child
 * subreaper, ignores SIGPIPE and reaps every child on SIGCHLD.  gone(run)
 * tells when a run's processes are all accounted for (its record may go).
 */
struct cmd_runner *cmd_runner_new(struct event_base *base,
		    void (*gone)(void *arg, const char *run), void *arg);
/* SIGKILL to every run's group and marked processes; free it all. */
void		 cmd_runner_free(struct cmd_runner *r);
/* SIGKILL to every run (the worker process stops). */
void		 cmd_runner_kill_all(struct cmd_runner *r);
size_t		 cmd_runner_count(const struct cmd_runner *r);

/*
 * Start a run.  NULL when it could not start (o says why, code "spawn",
 * its result valid until the next call); otherwise the run reports
 * through hooks (arg theirs), never from inside this call.
 */
struct cmd	*cmd_start(struct cmd_runner *r, const struct cmd_spec *s,
		    const struct cmd_hooks *hooks, void *arg,
		    struct cmd_outcome *o);
/*
 * Cancel a run: its hooks are forgotten at once (no report), its group
 * gets SIGTERM, SIGKILL after the kind's grace; the runner frees it.
 */
void		 cmd_abort(struct cmd *c);
/* Send its output to the output hook from now on, or stop. */
void		 cmd_stream(struct cmd *c, bool on);
const char	*cmd_run_id(const struct cmd *c);
pid_t		 cmd_pgid(const struct cmd *c);

/*
 * After a restart: SIGKILL to every process whose ACTORD_RUN is one of
 * runs[n], and to the process groups pgids[n] that hold one.  Returns
 * how many processes were killed.
 */
int		 cmd_kill_leftovers(const char *const *runs, const pid_t *pgids,
		    size_t n);

/*
 * worker_output.c: one stream of a run, stdout or stderr, kept within
 * cap bytes however much comes: the first cap - cap / 2 bytes, then a
 * ring of the last cap / 2.  Memory grows with what came, up to cap.
 */
struct capture {
	char		*buf;
	size_t		 alloc;		/* bytes of buf */
	size_t		 cap;		/* the most kept */
	size_t		 head;		/* bytes kept from the start */
	uint64_t	 total;		/* bytes that came */
};

void	capture_init(struct capture *c, size_t cap);
void	capture_free(struct capture *c);
void	capture_add(struct capture *c, const void *p, size_t len);
/*
 * The latest bytes kept, at most max of them, in order and contiguous,
 * into out (not starting inside a UTF-8 character when it can help it):
 * how many, with *off their offset in the stream.
 */
size_t	capture_last(const struct capture *c, char *out, size_t max,
	    uint64_t *off);
/*
 * What is kept, into a fresh buffer (*len bytes): everything, or the
 * first and last bytes with a marker naming the bytes cut between them
 * (a cut never splits a UTF-8 character); *cut says which.
 */
char	*capture_text(const struct capture *c, size_t *len, bool *cut);
/* Pack p[0..len) as a string: UTF-8 text as it is, else base64 (true). */
bool	 pack_output(msgpack_packer *pk, const char *p, size_t len);
/* Is p[0..len) text: valid UTF-8 without a NUL byte? */
bool	 output_is_text(const char *p, size_t len);
/* The length of p[0..len) without a UTF-8 character cut at its end. */
size_t	 utf8_whole(const char *p, size_t len);
/*
 * How many bytes of a UTF-8 character cut at the start of p[0..len) to
 * leave out: its continuation bytes, at most three, never all of p.
 */
size_t	 utf8_cut_start(const char *p, size_t len);

#endif
