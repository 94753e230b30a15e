/*
 * The coordinator: the worker registry and the task queue.
 *
 * Its files, each using only those below it:
 *
 *	coordinator_actor.c	the handler and peer tables, the glue
 *	coordinator_tasks.c	AssignTask, CancelTask, RetryTask, DeleteTask,
 *				the workers' reports of each run
 *	coordinator_records.c	GetTask, ListTasks, WatchTask, GetKinds,
 *				the queues' Pause and Resume
 *	coordinator_workers.c	(Un)RegisterWorker, the reconciliation
 *	coordinator_command.c	commands applied once (the dedupe window)
 *	coordinator_load.c	open, load, close, reload
 *	coordinator_queue.c	the state: tasks and workers moving on
 *	coordinator_sched.c	queues, priorities, delays, retry backoff
 *	coordinator_watch.c	watchers: TaskFinished, TaskOutput
 *	coordinator_status.c	StatusUpdated, inspect, the 'recent' list
 *	coordinator_events.c	the event outbox
 *	coordinator_metrics.c	the counters and gauges of GetMetrics
 *	coordinator_push.c	subscribers and coalesced pushes
 *	coordinator_db.c	the schema and every statement
 *
 * The state is a set of functions over the database and a few in-memory
 * indexes; each handler takes one message (its payload decoded by the
 * runtime) and appends what must be sent to an outbox, so that the Check
 * tests drive it without sockets (coord_handle()).
 *
 * Indexes, so that no message costs more than O(log n) at 10,000 workers
 * and 1,000,000 queued tasks:
 *	workers		a hash map by id, and a list in registration order
 *	idle		the idle workers, longest idle first
 *	queue		SQLite partial indexes: (queue, priority, seq) for
 *			the unpinned queued tasks, (pin, priority, seq) for
 *			the pinned ones; the head is one LIMIT 1 probe per
 *			queue that may start a task now
 *	queues		a hash map by name: paused, concurrency, counts
 *	delays		an index on the time of the delayed tasks, and the
 *			earliest in memory for the timer
 *	counts		tasks per status, kept in memory
 *	recent		the last recent_tasks tasks that changed, in memory
 *
 * The activity it logs is kept in coordinator.db until the event log has
 * it (coordinator_events.c): each event is written in the transaction of
 * the change it tells of, and resent until acknowledged.
 */
#ifndef COORDINATOR_H
#define COORDINATOR_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <msgpack.h>
#include <sqlite3.h>

#include "actor.h"
#include "hosts.h"
#include "metrics.h"

struct db;
struct event_base;
struct strmap;

#define RESULT_RECENT_MAX 1024	/* result bytes shown in 'recent' */
#define STATUS_WORKERS_MAX 5000	/* workers listed in StatusUpdated */
#define EVENTS_BATCH	512	/* events sent again in one loop turn */
#define EVENTS_WINDOW	10000	/* events sent and not yet acknowledged */
#define EVENTS_TRIM	256	/* acknowledged rows deleted together */
#define EVENTS_RESEND_MS 2000	/* no ack this long: send again */
#define EVENTS_TICK_MS	1000	/* how often the glue calls the tick */


enum task_status {
	TASK_QUEUED,		/* ready, in its queue */
	TASK_RUNNING,
	TASK_COMPLETED,		/* the finished ones: 2 to 4 */
	TASK_FAILED,
	TASK_CANCELLED,
	TASK_SCHEDULED,		/* delayed: waits for its runAt */
	TASK_RETRYING,		/* a run failed: waits for its backoff */
	TASK_NSTATUS
};
#define TASK_NEW		TASK_NSTATUS	/* task_count(): not yet a task */
#define TASK_FINISHED(s)	((s) >= TASK_COMPLETED && (s) <= TASK_CANCELLED)
#define TASK_WAITING(s)		((s) == TASK_SCHEDULED || (s) == TASK_RETRYING)

#define DEFAULT_QUEUE	"default"
#define QUEUES_MAX	64	/* queues, named by config or by tasks */

/*
 * A ready task's qseq (queued, not pinned) is its place in one integer,
 * so that tasks_ready is an index on an integer alone, which SQLite
 * compares without decoding a record: its queue's number (bits 55-62,
 * queue_nums), 9 - its priority (bits 51-54), and its sequence number
 * (a change number, negated at the front of the queue) plus QSEQ_BIAS.
 * A pinned task's qseq is the sequence number alone.
 */
#define QNUM_MAX	255
#define QSEQ_NUM_SHIFT	55
#define QSEQ_PRI_SHIFT	51
#define QSEQ_BIAS	(INT64_C(1) << 50)
#define QSEQ_SEQ_MASK	((INT64_C(1) << QSEQ_PRI_SHIFT) - 1)
#define DUE_BATCH	256	/* delayed tasks made ready in one turn */

enum worker_status {
	WORKER_OFFLINE,		/* its process has not announced it */
	WORKER_IDLE,
	WORKER_BUSY,
	WORKER_NSTATUS
};

struct coord_conf {
	int	 max_attempts;		/* runs before a dying worker's task fails */
	int	 dedupe_window_s;	/* command ids remembered; 0: off */
	int	 recent_tasks;		/* 'recent' length */
	int	 queue_preview;		/* 'next' length */
	int	 finished_tasks;	/* finished tasks kept; 0: all */
	int	 finished_max_age_s;	/* ... and at most this old; 0: any */
	int	 unacked_events;	/* events kept for the event log */
	int	 synchronous;		/* PRAGMA synchronous, 0-2 */
	char	 queues[1024];		/* "name[:concurrency] ..." */
	int	 queues_open;		/* tasks may name other queues */
	int	 watches_per_watcher;	/* WatchTask bound per session */
	int	 watches_per_task;	/* ... and per task */
	int	 watch_keep_ms;		/* unheard watchers kept after start */
	int	 max_workers;		/* RegisterWorker of a new one past it:
					   refused */
	int	 metrics_series;	/* (kind, queue) label pairs */
	char	 host[HOST_MAX + 1];	/* this host in a cluster; "": none */
	unsigned roles;			/* this host's ROLE_* */
	const struct config *cfg;	/* the kinds; NULL: the built-ins */
};

/* A queue: its tasks run at most concurrency at once; paused: none start. */
struct cqueue {
	TAILQ_ENTRY(cqueue)	 entry;
	char			 name[NAME_MAX_LEN + 1];
	int64_t			 num;		/* in tasks_ready's key; 0: none */
	int			 paused;
	uint64_t		 concurrency;	/* 0: no limit */
	uint64_t		 queued;	/* ready in it */
	uint64_t		 running;
	uint64_t		 waiting;	/* scheduled or retrying */
};
TAILQ_HEAD(cqueue_list, cqueue);

struct cworker {
	TAILQ_ENTRY(cworker)	 entry;		/* every worker, in order */
	TAILQ_ENTRY(cworker)	 idle_entry;	/* on the idle list */
	char			 id[NAME_MAX_LEN + 1];
	char			 host[HOST_MAX + 1];	/* "": this host */
	enum worker_status	 status;
	char			 task[NAME_MAX_LEN + 1];	/* "" none */
	uint64_t		 processed;	/* tasks it finished */
	uint64_t		 pinned;	/* queued tasks pinned to it */
};
TAILQ_HEAD(cworker_list, cworker);

/* One entry of the 'recent' list. */
struct recent {
	TAILQ_ENTRY(recent)	 entry;		/* newest first */
	char			 task[NAME_MAX_LEN + 1];
	enum task_status	 status;
	char			 worker[NAME_MAX_LEN + 1];	/* "" none */
	int64_t			 attempts;
	char			*result;	/* msgpack, NULL: none */
	size_t			 resultlen;
	char			*error;		/* NULL: none */
};
TAILQ_HEAD(recent_list, recent);

/*
 * The event outbox (coordinator_events.c).  Rows lo .. next - 1 of
 * events_out are kept; everything up to floor = max(acked, lo - 1) is
 * done (acknowledged, or dropped past unacked_events), floor + 1 .. sent
 * is in flight on the current connection to the event log.
 */
struct cevents {
	int64_t		 next;		/* the number of the next event */
	int64_t		 lo;		/* the oldest row kept */
	int64_t		 acked;		/* the event log has up to this */
	int64_t		 sent;		/* sent up to this, this connection */
	int64_t		 gap_at;	/* cursor of the last gap resend; -1 */
	int64_t		 progress_at;	/* ms: the last ack that moved */
	int		 synced;	/* an ack came since the last rewind */
	int		 probing;	/* out of step, a probe is out */
	int		 stalled;	/* logged the stall; quiet till acked */
	int		 dropping;	/* logged the drop; quiet till an ack */
	int64_t		 high;		/* the highest number ever sent */
	uint64_t	 dropped;	/* events dropped past the bound */
	uint64_t	 resent;	/* events sent more than once */
	msgpack_sbuffer	 data;		/* the data of the event being added */
};

/* The counters of the metrics, per (kind, queue) (coordinator_metrics.c). */
enum cmet_counter {
	CM_ASSIGNED,
	CM_COMPLETED,
	CM_FAILED,
	CM_RETRIED,
	CM_CANCELLED,
	CM_TIMED_OUT,
	CM_COUNT
};

struct cmet_series {
	TAILQ_ENTRY(cmet_series) entry;
	char			 kind[TASK_KIND_MAX + 1];
	char			 queue[NAME_MAX_LEN + 1];
	uint64_t		 n[CM_COUNT];
	int			 dirty;		/* to be written */
};
TAILQ_HEAD(cmet_list, cmet_series);

struct cmetrics {
	struct strmap		*series;	/* "kind/queue" -> series */
	struct cmet_list	 list;		/* in the order made */
	struct cmet_series	*last;		/* the pair counted last */
	size_t			 nseries;	/* named pairs (not "other") */
	size_t			 ndirty;
	int			 overflowed;	/* logged the bound */
	struct histogram	 wait, run;	/* seconds */
	int			 wait_dirty, run_dirty;
	uint64_t		 dedupe_hits;
	int			 dedupe_dirty;
};

/* Prepared statements, one per row of coordinator_db.c's table. */
enum cstmt {
	ST_TASK_INSERT,
	ST_TASK_GET,
	ST_TASK_SAME,
	ST_TASK_START,
	ST_TASK_FINISH,
	ST_TASK_REQUEUE,
	ST_TASK_DELAY,
	ST_TASK_RETRY,
	ST_TASK_DELETE,
	ST_RUN_START,
	ST_RUN_END,
	ST_QUEUE_HEAD,
	ST_QUEUE_NUM_SET,
	ST_PIN_HEAD,
	ST_PINQ_HEAD,
	ST_DUE,
	ST_DUE_NEXT,
	ST_WORKER_INSERT,
	ST_WORKER_DELETE,
	ST_WORKER_PROCESSED,
	ST_TOTAL_ADD,
	ST_DONE_PRUNE,
	ST_DEDUPE_GET,
	ST_DEDUPE_PUT,
	ST_DEDUPE_OLDEST,
	ST_DEDUPE_PRUNE,
	ST_WATCH_ADD,
	ST_WATCHERS,
	ST_WATCH_DONE,
	ST_WATCH_DROP,
	ST_QUEUE_PAUSE,
	ST_RECORD,
	ST_RUNS,
	ST_LIST,
	ST_LIST_FINISHED,
	ST_LIST_RUNNING,
	ST_EVENT_INSERT,
	ST_EVENT_FROM,
	ST_EVENT_TRIM,
	ST_EVENT_DONE,
	ST_EVENT_SHIFT,
	ST_LOAD_WORKERS,
	ST_LOAD_RUNNING,
	ST_LOAD_TOTALS,
	ST_LOAD_QUEUES,
	ST_LOAD_COUNTS,
	ST_LOAD_WATCHES,
	ST_COUNT_FINISHED,
	ST_NEWEST_ROWID,
	ST_LOAD_PINNED,
	ST_EVENTS_FIRST,
	ST_EVENTS_LAST,
	ST_EVENTS_DONE,
	ST_NEWEST,
	ST_CHG,
	ST_CHG_SET,
	ST_CHG_ADD,
	ST_LOAD_TASK_COUNTS,
	ST_TASK_COUNTS_SET,
	ST_LOAD_METRIC_STATE,
	ST_METRIC_STATE_SET,
	ST_COUNT
};

struct coord {
	struct db		*db;
	sqlite3_stmt		*st[ST_COUNT];
	struct coord_conf	 conf;
	struct strmap		*workers;	/* id -> struct cworker */
	struct hosts		 hosts;		/* the cluster's other hosts */
	struct cworker_list	 all;
	struct cworker_list	 idle;
	size_t			 nworkers;
	size_t			 nstatus[WORKER_NSTATUS];
	uint64_t		 ntasks[TASK_NSTATUS];
	uint64_t		 nfinished_kept; /* finished rows on disk */
	int64_t			 chg;		/* last change number */
	int64_t			 chg_saved;	/* the last in meta */
	int			 prune_pace;	/* commands since a prune */
	struct strmap		*queues;	/* name -> struct cqueue */
	struct cqueue_list	 queue_list;	/* in the order named */
	size_t			 nqueues;
	int64_t			 due_at;	/* earliest runAt; 0: none */
	int			 redispatch;	/* a queue may start more */
	struct strmap		*watchers;	/* address -> its watch count */
	struct strmap		*unheard;	/* watchers of this host loaded
						   at start, not connected since */
	struct strmap		*recent_map;	/* task -> struct recent */
	struct recent_list	 recent;
	size_t			 nrecent;
	int			 dirty;		/* a StatusUpdated is due */
	struct cevents		 ev;		/* the event outbox */
	struct cmetrics		 met;		/* counters for GetMetrics */
	int64_t			 fake_now;	/* tests: the clock, or 0 */
};

/* coordinator_db.c: the schema and the statements. */
struct db	*cdb_open(const char *path, int synchronous);
int		 cdb_prepare(struct coord *c);
void		 cdb_finalize(struct coord *c);
sqlite3_stmt	*cdb_stmt(struct coord *c, enum cstmt which);
/* Step a write statement to completion and reset it; 0 or -1 logged. */
int		 cdb_run(struct coord *c, sqlite3_stmt *st);
/* The integer a one-row query gives (0 for NULL or no row); -1 logged. */
int		 cdb_int(struct coord *c, enum cstmt which, int64_t *v);
int		 cdb_bind_text(sqlite3_stmt *st, int i, const char *s);
extern const char *const coord_migrations[];
extern const int coord_nmigrations;

/*
 * Copy src into dst of size bytes, cut to fit and always terminated, as
 * snprintf(dst, size, "%s", src) does, without parsing a format: the
 * handlers copy a few names per message, and snprintf was about a tenth
 * of an AssignTask.
 */
static inline void
name_copy(char *dst, const char *src, size_t size)
{
	size_t	 n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The clock of the state: the wall clock, or the tests' own. */
static inline int64_t
coord_now(const struct coord *c)
{
	return c->fake_now != 0 ? c->fake_now : env_now_ms();
}

/* A task's row, as the state needs it (coordinator_queue.c). */
struct trow {
	enum task_status	 status;
	char			 worker[NAME_MAX_LEN + 1];
	char			 pin[NAME_MAX_LEN + 1];
	int64_t			 attempts;
	char			 queue[NAME_MAX_LEN + 1];
	char			 kind[TASK_KIND_MAX + 1];
	struct msg_retry	 retry;		/* its own policy, or its kind's */
	bool			 has_retry;	/* a policy was given */
	int64_t			 timeout_ms;
	int64_t			 run_at;
	int64_t			 created;	/* ms */
	int64_t			 started;	/* ms, its last run; 0 none */
};

/* coordinator_queue.c: the state, tasks and workers moving on. */
struct cworker	*coord_worker(const struct coord *c, const char *id);
struct cworker	*worker_add(struct coord *c, const char *id,
		    const char *host, uint64_t processed);
void		 worker_remove(struct coord *c, struct cworker *w);
void		 worker_set_status(struct coord *c, struct cworker *w,
		    enum worker_status s);
int		 worker_set_processed(struct coord *c, struct cworker *w,
		    uint64_t n);
/* w is online and has no task: give it the next one, or make it idle. */
int		 worker_freed(struct coord *c, struct cworker *w,
		    struct outbox *ob);
/* The next change number; saved in meta by the commit hook. */
int64_t		 coord_chg(struct coord *c);
int		 coord_save_chg(void *c);
/* Read a task's row; 0 found, 1 not found, -1 error. */
int		 task_get(struct coord *c, const char *id, struct trow *t);
int		 task_find(struct coord *c, const struct envelope *env,
		    const char *id, struct trow *t, struct outbox *ob);
/* Move a task's counts (memory) from one status to another. */
void		 task_count(struct coord *c, const struct trow *t,
		    enum task_status from, enum task_status to);
int		 task_finish(struct coord *c, const char *id,
		    enum task_status to, const struct trow *t,
		    const void *result, size_t resultlen, const char *error,
		    const char *code, struct outbox *ob);
/* A task just became queued: start it now if a worker may take it. */
int		 task_offer(struct coord *c, const char *id,
		    const struct trow *t, struct cworker **wp,
		    struct outbox *ob);
/* Into its queue, at the back or the front, and offered. */
int		 task_enqueue(struct coord *c, const char *id, struct trow *t,
		    int front, struct outbox *ob);
/* Waiting until run_at: scheduled, or retrying. */
int		 task_delay(struct coord *c, const char *id, struct trow *t,
		    enum task_status to, int64_t run_at, const char *error,
		    const char *code);
/* A running task off its worker: queued again, retrying, or failed. */
int		 task_requeue(struct coord *c, const char *id, int died,
		    struct outbox *ob);
/* The outcome of a run of task id on w: completed, retrying or failed. */
int		 task_outcome(struct coord *c, struct cworker *w,
		    const char *id, int failed, const struct mp_any *result,
		    const char *error, const char *code, struct outbox *ob);
/* Idle workers take what may start now (after c->redispatch). */
int		 coord_dispatch(struct coord *c, struct outbox *ob);
/* Due delayed tasks into their queues; 1 when more are due now. */
int		 coord_due(struct coord *c, struct outbox *ob);
/* Prune finished tasks past their count or age, a step at a time. */
int		 prune_finished(struct coord *c);
/* Queue a message {workerId} (task NULL) or {taskId} for worker:<worker>. */
void		 to_worker(struct outbox *ob, const char *worker,
		    const char *host, enum msg_type type, const char *task);
/* worker:<id>, or worker:<id>@<host> for a worker on another host. */
void		 worker_address(const struct coord *c, const char *id,
		    char *buf, size_t size);
int		 activity(struct coord *c, struct outbox *ob,
		    const char *level, const char *task, const char *worker,
		    int64_t attempts, const char *fmt, ...)
		    __attribute__((format(printf, 7, 8)));
const char	*task_status_name(enum task_status s);
/* The status called name; -1 if none is. */
int		 task_status_lookup(const char *name);
const char	*worker_status_name(enum worker_status s);
/* True once after any change a subscriber should see. */
bool		 coord_take_dirty(struct coord *c);
struct db	*coord_db(const struct coord *c);

/* coordinator_sched.c: queues, heads, delays, backoff. */
struct cqueue	*queue_get(const struct coord *c, const char *name);
struct cqueue	*queue_make(struct coord *c, const char *name);
/* A task may name the queue: known, or new when open; -1 with why. */
int		 queue_admits(const struct coord *c, const char *name,
		    char *why, size_t whylen);
/*
 * The high bits of the qseq of queue's ready tasks (*base): its number,
 * given now (in the turn's transaction) if it has none.  0 or -1 logged.
 */
int		 queue_base(struct coord *c, const char *queue, int64_t *base);
void		 queues_configure(struct coord *c);
void		 queues_free(struct coord *c);
bool		 queue_may_start(const struct cqueue *q);
/* The task w should run next; 0 found (id), 1 none, -1 error. */
int		 sched_head_for(struct coord *c, const struct cworker *w,
		    char *id, size_t size);
/* Whether an unpinned task may start now (*left). */
int		 sched_unpinned_left(struct coord *c, int *left);
/* The first n queued ids, in the order they would start. */
int		 sched_preview(struct coord *c,
		    char (*ids)[NAME_MAX_LEN + 1], size_t n, size_t *got);
void		 sched_due_note(struct coord *c, int64_t run_at);
int		 sched_due_reload(struct coord *c);
int		 sched_due(struct coord *c, char (**ids)[NAME_MAX_LEN + 1],
		    size_t *n);
uint64_t	 retry_max_attempts(const struct msg_retry *p);
int64_t		 retry_delay_ms(const struct msg_retry *p, uint64_t attempt,
		    double rnd);

/* coordinator_watch.c: TaskFinished owed, TaskOutput forwarded. */
int		 watch_any(struct coord *c, const char *task);
/* 0 watching, 1 refused (a bound: why), -1 error. */
int		 watch_add(struct coord *c, const char *task,
		    const char *watcher, char *why, size_t whylen);
int		 watch_finished(struct coord *c,
		    const struct msg_task_finished *m, struct outbox *ob);
int		 watch_output(struct coord *c,
		    const struct msg_task_output *m, struct outbox *ob);
/* A watcher went away (a session): its watches, and the output. */
int		 watch_drop(struct coord *c, const char *watcher,
		    struct outbox *ob);
int		 watch_load(struct coord *c);
/* A connection said Hello as addr: a watcher of before the start is back. */
void		 watch_heard(struct coord *c, const char *addr);
/*
 * watch_keep_ms after the start: the watchers of this host that did not
 * connect again went while the coordinator was down; their watches go.
 */
int		 watch_unheard_drop(struct coord *c, struct outbox *ob);
void		 watch_free(struct coord *c);

/*
 * coordinator_records.c: env's sender watches a task (0, 1 refused with
 * the Error queued, -1); TaskFinished of a finished task to it alone.
 */
int		 watch_start(struct coord *c, const struct envelope *env,
		    const char *id, const struct trow *t, struct outbox *ob);
int		 finished_now(struct coord *c, const struct envelope *env,
		    const char *id, struct outbox *ob);

/* The handlers, one per row of the table in coordinator_actor.c. */
int	coord_assign_task(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_cancel_task(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_retry_task(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_delete_task(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_get_status(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_task_output(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_get_task(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_list_tasks(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_watch_task(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_get_kinds(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_pause_queue(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_resume_queue(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_task_started(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_task_completed(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_task_failed(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_register_worker(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_unregister_worker(struct actor *self,
	    const struct envelope *env, struct outbox *ob);
int	coord_worker_state(struct actor *self, const struct envelope *env,
	    struct outbox *ob);
int	coord_log_event_ack(struct actor *self, const struct envelope *env,
	    struct outbox *ob);

/* coordinator_command.c: a command applied once per sender and id. */
int	coord_command(struct actor *self, const struct envelope *env,
	    struct outbox *ob, const struct handler *h);

/* coordinator_workers.c: the worker process went away, came back. */
int	coord_workers_down(struct coord *c, struct outbox *ob);
int	coord_workers_up(struct coord *c, struct outbox *ob);
int	coord_host_state(struct actor *self, const struct envelope *env,
	    struct outbox *ob);

/* coordinator_load.c */
struct coord	*coord_open(const char *path, const struct coord_conf *conf);
void		 coord_close(struct coord *c);
void		 coord_reconf(struct coord *c, const struct coord_conf *conf);
/* Ask the worker process for every registered worker (start-up). */
int		 coord_start(struct coord *c, struct outbox *ob);

/* coordinator_actor.c: one message through the handler table (tests). */
int	coord_handle(struct coord *c, struct envelope *env,
	    struct outbox *ob);

/* coordinator_events.c: the event outbox. */
int		 events_load(struct coord *c);
void		 events_free(struct coord *c);
/* Log an activity line: a row now, a LogEvent after the commit. */
int		 events_add(struct coord *c, struct outbox *ob,
		    const char *level, const char *task, const char *worker,
		    int64_t attempts, const char *text);
void		 events_pack_inspect(struct coord *c, msgpack_packer *pk);
/* The event log's connection went down: what is in flight is lost. */
void		 coord_events_down(struct coord *c);
/* It is back: send the oldest unacknowledged event to learn its place. */
int		 coord_events_up(struct coord *c, struct outbox *ob);
/* Every EVENTS_TICK_MS: trim acked rows, resend when acks stopped. */
int		 coord_events_tick(struct coord *c, struct outbox *ob);
/* Events kept until the event log acknowledges them. */
int64_t		 coord_events_unacked(const struct coord *c);

/* coordinator_metrics.c: the counters and families of GetMetrics. */
void		 cmet_init(struct coord *c);
void		 cmet_free(struct coord *c);
int		 cmet_load(struct coord *c);
/* Write the counters that moved (in the commit hook); 0 or -1. */
int		 cmet_save(struct coord *c);
/* A task moved from one status to another (task_count()). */
void		 cmet_transition(struct coord *c, const struct trow *t,
		    enum task_status from, enum task_status to);
/* A run of t ended at its timeout. */
void		 cmet_timed_out(struct coord *c, const struct trow *t);
/* A command answered from the dedupe window. */
void		 cmet_dedupe_hit(struct coord *c);
void		 coord_metrics(struct coord *c, struct metrics *m);

/* coordinator_status.c: the snapshot and the 'recent' list. */
int		 coord_pack_status(struct coord *c, msgpack_packer *pk);
void		 coord_pack_inspect(struct coord *c, msgpack_packer *pk,
		    size_t subscribers);
void		 recent_touch(struct coord *c, const char *task,
		    enum task_status status, const char *worker,
		    int64_t attempts, const void *result, size_t resultlen,
		    const char *error);
void		 recent_clear(struct coord *c);
/* A deleted task leaves the 'recent' list. */
void		 recent_forget(struct coord *c, const char *task);
int		 recent_load(struct coord *c);

/* coordinator_push.c: subscribers and coalesced StatusUpdated pushes. */
struct pushset;
struct push_ops {
	/* Pack the current snapshot (one payload object). */
	int	(*snapshot)(msgpack_packer *pk, void *arg);
	/* Send StatusUpdated with this payload to one subscriber. */
	void	(*send)(const char *to, const void *payload, size_t len,
		    void *arg);
};

struct pushset	*push_new(struct event_base *base, int interval_ms,
		    const struct push_ops *ops, void *arg);
void		 push_free(struct pushset *ps);
void		 push_set_interval(struct pushset *ps, int interval_ms);
/* Add a subscriber (again: no-op); 0, or -1 when full. */
int		 push_add(struct pushset *ps, const char *addr);
/* Send a subscriber the snapshot now, outside the coalescing. */
int		 push_now(struct pushset *ps, const char *addr);
/* Forget a subscriber; 0, or -1 when it was not one. */
int		 push_del(struct pushset *ps, const char *addr);
/* The state changed: every subscriber gets it within the interval. */
void		 push_changed(struct pushset *ps);
size_t		 push_count(const struct pushset *ps);
uint64_t	 push_sent(const struct pushset *ps);

#endif
