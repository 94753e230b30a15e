/*
 * The worker process: one actor worker:<id> per registered worker, all in
 * one process and one database ($STATE/worker.db).
 *
 * A worker runs one task at a time; the process runs many at once, since
 * no task kind blocks the event loop (sleep is a libevent timer, a
 * command kind's program a process the loop watches: worker_command.c).
 * The state (worker_state.c) is functions over the database and the
 * workers' memory that append what must be sent to an outbox, as the
 * coordinator's do; what a timer or a command's end produces is flushed
 * by the output hook.
 *
 * Restarts.  A worker's processed count, its current task and its last
 * outcome are in worker.db.  A task that was current when the process
 * died is not resumed or reported: the coordinator requeues it (it saw the
 * connection drop).  It becomes the worker's last outcome, "interrupted",
 * and the announcement says the worker is idle.
 */
#ifndef WORKER_H
#define WORKER_H

#include <sys/queue.h>

#include <stdarg.h>
#include <stdint.h>

#include <msgpack.h>
#include <sqlite3.h>

#include "actor.h"

struct cmd;
struct cmd_runner;
struct config;
struct db;
struct event;
struct event_base;
struct strmap;

struct wstate;

/* One worker actor's state. */
struct wactor {
	TAILQ_ENTRY(wactor)	 entry;
	struct wstate		*ws;
	char			 id[NAME_MAX_LEN + 1];
	char			 address[ADDR_MAX + 1];	/* worker:<id> */
	uint64_t		 processed;	/* tasks finished */
	char			 task[NAME_MAX_LEN + 1];	/* "" idle */
	char			 kind[TASK_KIND_MAX + 1];
	struct event		*timer;		/* after_ms, or a timeout */
	char			*pending;	/* its result (msgpack) */
	size_t			 pendinglen;
	uint64_t		 timeout_ms;	/* the timer is this timeout */
	bool			 timing_out;
	struct cmd		*cmd;		/* a command kind's run */
	char			 last_task[NAME_MAX_LEN + 1];
	char			 last_status[16];	/* completed ... */
	char			*last_result;	/* msgpack or NULL */
	size_t			 last_resultlen;
	char			*last_error;	/* or NULL */
	char			 last_code[CODE_MAX + 1];	/* failed */
	void			*actor;		/* the glue's */
};
TAILQ_HEAD(wactor_list, wactor);

enum wstmt {
	WST_INSERT,
	WST_DELETE,
	WST_START,
	WST_FINISH,
	WST_CLEAR,
	WST_CMD_INSERT,
	WST_CMD_DELETE,
	WST_COUNT
};

struct wstate {
	struct db		*db;
	sqlite3_stmt		*st[WST_COUNT];
	struct event_base	*base;
	struct strmap		*map;		/* id -> struct wactor */
	struct wactor_list	 all;
	size_t			 n;
	size_t			 nbusy;
	uint64_t		 nprocessed;	/* this process's lifetime */
	struct outbox		 ob;		/* what timers queue */
	void			(*output)(struct wstate *, void *);
	void			*output_arg;
	const struct config	*cfg;		/* the command kinds */
	struct cmd_runner	*runner;	/* their runs */
	int			 leftovers;	/* killed at start */
};

/*
 * A task as a task kind sees it.  The kind's run() reads the input and
 * fills in the outcome: its result packed on `result` (nothing packed:
 * nil), done after `after_ms` (0: now) on the worker's timer; or it
 * returns task_error(), failed with a reason.  A kind never blocks: the
 * process runs every worker's tasks on one loop.
 */
struct task {
	const char	*id;
	msgpack_packer	*result;	/* pack at most one object */
	uint64_t	 after_ms;
	char		 error[ERROR_TEXT_MAX + 1];
};

struct task_kind {
	const char	*name;
	/* Run the task: 0 done (now or after_ms), -1 after task_error(). */
	int		(*run)(struct task *t, const msgpack_object *input);
};

/* worker_tasks.c: the table of task kinds. */
const struct task_kind	*task_kind_find(const char *name);
const struct task_kind	*task_kinds(size_t *n);
/* The task failed: keep the reason (valid UTF-8) and return -1. */
int	task_error(struct task *t, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* worker_state.c: the workers. */
extern const char *const worker_migrations[];
extern const int worker_nmigrations;
struct wstate	*ws_open(const char *path, int synchronous,
		    struct event_base *base);
void		 ws_close(struct wstate *ws);
struct db	*ws_db(const struct wstate *ws);
/* Call fn after output produced outside a message (a timer) on ws->ob. */
void		 ws_set_output(struct wstate *ws,
		    void (*fn)(struct wstate *, void *), void *arg);
/* The config whose [kind.NAME] sections new tasks run (NULL: none). */
void		 ws_set_config(struct wstate *ws, const struct config *cfg);
/* The process stops: SIGKILL to every command still running. */
void		 ws_kill_commands(struct wstate *ws);
struct wactor	*ws_find(const struct wstate *ws, const char *id);
/* The worker id, made and stored if new; NULL on a database error. */
struct wactor	*ws_create(struct wstate *ws, const char *id);
/* Announce every worker to the coordinator (start-up), on ws->ob. */
void		 ws_announce_all(struct wstate *ws);
/* StopWorker: abort its task, forget it (its memory is freed). */
int		 ws_stop(struct wstate *ws, struct wactor *w);
void		 ws_pack_inspect(struct wstate *ws, msgpack_packer *pk);
struct metrics;
void		 ws_metrics(struct wstate *ws, struct metrics *m);

/* The handlers, one per row of the table in worker_actor.c. */
int	worker_start(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	worker_stop(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	worker_get_state(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	worker_process_task(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	worker_abort_task(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	worker_stream_output(struct actor *self, const struct envelope *env,
	    struct outbox *ob);

/* worker_actor.c: one message through the handler table (tests), on ws->ob. */
int	ws_handle(struct wstate *ws, struct wactor *w,
	    struct envelope *env);

#endif
