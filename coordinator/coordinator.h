/*
 * The coordinator: the worker registry and the task queue.
 *
 * The state machine (coordinator_queue.c) is a set of functions over the
 * database and a few in-memory indexes; each takes one message or event
 * and appends what must be sent to an outbox, so that the Check tests
 * drive it without sockets.  The actor glue (coordinator_actor.c) feeds it
 * messages, sends the outbox and pushes StatusUpdated to subscribers
 * (coordinator_push.c).
 *
 * Indexes, so that no message costs more than O(log n) at 10,000 workers
 * and 1,000,000 queued tasks:
 *	workers		a hash map by id, and a list in registration order
 *	idle		the idle workers, longest idle first
 *	queue		SQLite partial indexes on the queue sequence: every
 *			queued task, the unpinned ones, and (pin, seq) for
 *			the pinned ones; the head is one LIMIT 1 probe
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

#include <msgpack.h>
#include <sqlite3.h>

#include "envelope.h"
#include "outbox.h"

struct db;
struct event_base;
struct strmap;

#define COORD_ADDRESS	"coordinator:main"
#define EVENTLOG_ADDRESS "eventlog:main"
#define KIND_MAX_LEN	32	/* bytes in a task kind */
#define RESULT_RECENT_MAX 1024	/* result bytes shown in 'recent' */
#define STATUS_WORKERS_MAX 5000	/* workers listed in StatusUpdated */
#define ERROR_TEXT_MAX	4096	/* bytes of a task's error */
#define EVENTS_BATCH	512	/* events sent again in one loop turn */
#define EVENTS_WINDOW	10000	/* events sent and not yet acknowledged */
#define EVENTS_TRIM	256	/* acknowledged rows deleted together */
#define EVENTS_RESEND_MS 2000	/* no ack this long: send again */
#define EVENTS_TICK_MS	1000	/* how often the glue calls the tick */


enum task_status {
	TASK_QUEUED,
	TASK_RUNNING,
	TASK_COMPLETED,
	TASK_FAILED,
	TASK_CANCELLED,
	TASK_NSTATUS
};

enum worker_status {
	WORKER_OFFLINE,		/* its process has not announced it */
	WORKER_IDLE,
	WORKER_BUSY,
	WORKER_NSTATUS
};

struct coord_conf {
	int	 max_attempts;		/* runs before a task fails */
	int	 dedupe_window_s;	/* command ids remembered; 0: off */
	int	 recent_tasks;		/* 'recent' length */
	int	 queue_preview;		/* 'next' length */
	int	 finished_tasks;	/* finished tasks kept; 0: all */
	int	 unacked_events;	/* events kept for the event log */
	int	 synchronous;		/* PRAGMA synchronous, 0-2 */
};

struct cworker {
	TAILQ_ENTRY(cworker)	 entry;		/* every worker, in order */
	TAILQ_ENTRY(cworker)	 idle_entry;	/* on the idle list */
	char			 id[NAME_MAX_LEN + 1];
	enum worker_status	 status;
	char			 task[NAME_MAX_LEN + 1];	/* "" none */
	uint64_t		 processed;	/* tasks it finished */
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

/* Prepared statements, one per row of coordinator_db.c's table. */
enum cstmt {
	ST_TASK_INSERT,
	ST_TASK_GET,
	ST_TASK_START,
	ST_TASK_FINISH,
	ST_TASK_REQUEUE,
	ST_FREE_HEAD,
	ST_PIN_HEAD,
	ST_QUEUE_NEXT,
	ST_WORKER_INSERT,
	ST_WORKER_DELETE,
	ST_WORKER_PROCESSED,
	ST_TOTAL_ADD,
	ST_DONE_PRUNE,
	ST_DEDUPE_GET,
	ST_DEDUPE_PUT,
	ST_DEDUPE_OLDEST,
	ST_DEDUPE_PRUNE,
	ST_EVENT_INSERT,
	ST_EVENT_FROM,
	ST_EVENT_TRIM,
	ST_EVENT_DONE,
	ST_EVENT_SHIFT,
	ST_COUNT
};

struct coord {
	struct db		*db;
	sqlite3_stmt		*st[ST_COUNT];
	struct coord_conf	 conf;
	struct strmap		*workers;	/* id -> struct cworker */
	struct cworker_list	 all;
	struct cworker_list	 idle;
	size_t			 nworkers;
	size_t			 nstatus[WORKER_NSTATUS];
	uint64_t		 ntasks[TASK_NSTATUS];
	uint64_t		 nfinished_kept; /* finished rows on disk */
	int64_t			 qhead;		/* next front-of-queue seq */
	int64_t			 qtail;		/* next back-of-queue seq */
	int64_t			 chg;		/* last change number */
	int			 prune_pace;	/* commands since a prune */
	struct strmap		*recent_map;	/* task -> struct recent */
	struct recent_list	 recent;
	size_t			 nrecent;
	int			 dirty;		/* a StatusUpdated is due */
	struct cevents		 ev;		/* the event outbox */
	int64_t			 fake_now;	/* tests: the clock, or 0 */
};

/* coordinator_db.c: the schema and the statements. */
struct db	*cdb_open(const char *path, int synchronous);
int		 cdb_prepare(struct coord *c);
void		 cdb_finalize(struct coord *c);
sqlite3_stmt	*cdb_stmt(struct coord *c, enum cstmt which);
/* Step a write statement to completion and reset it; 0 or -1 logged. */
int		 cdb_run(struct coord *c, sqlite3_stmt *st);
int		 cdb_bind_text(sqlite3_stmt *st, int i, const char *s);
extern const char *const coord_migrations[];
extern const int coord_nmigrations;

/* coordinator_queue.c: the state machine. */
struct coord	*coord_open(const char *path, const struct coord_conf *conf);
void		 coord_close(struct coord *c);
void		 coord_reconf(struct coord *c, const struct coord_conf *conf);
struct db	*coord_db(const struct coord *c);
int64_t		 coord_now(const struct coord *c);
/* Ask the worker process for every registered worker (start-up). */
int		 coord_start(struct coord *c, struct outbox *ob);
/* One message for coordinator:main, its payload already checked. */
int		 coord_handle(struct coord *c, const struct envelope *env,
		    struct outbox *ob);
/* The worker process went away: requeue, mark every worker offline. */
int		 coord_workers_down(struct coord *c, struct outbox *ob);
/* The worker process is back: ask it for every offline worker. */
int		 coord_workers_up(struct coord *c, struct outbox *ob);
/* The event log's connection went down: what is in flight is lost. */
void		 coord_events_down(struct coord *c);
/* It is back: send the oldest unacknowledged event to learn its place. */
int		 coord_events_up(struct coord *c, struct outbox *ob);
/* Every EVENTS_TICK_MS: trim acked rows, resend when acks stopped. */
int		 coord_events_tick(struct coord *c, struct outbox *ob);
/* True once after any change a subscriber should see. */
bool		 coord_take_dirty(struct coord *c);
struct cworker	*coord_worker(const struct coord *c, const char *id);
const char	*task_status_name(enum task_status s);
const char	*worker_status_name(enum worker_status s);

/* coordinator_events.c: the event outbox. */
int		 events_load(struct coord *c);
void		 events_free(struct coord *c);
/* Log an activity line: a row now, a LogEvent after the commit. */
int		 events_add(struct coord *c, struct outbox *ob,
		    const char *level, const char *task, const char *worker,
		    int64_t attempts, const char *text);
/* LogEventAck from the event log. */
int		 events_ack(struct coord *c, const struct envelope *env,
		    struct outbox *ob);
void		 events_pack_inspect(struct coord *c, msgpack_packer *pk);

/* coordinator_status.c: the snapshot and the 'recent' list. */
int		 coord_pack_status(struct coord *c, msgpack_packer *pk);
void		 coord_pack_inspect(struct coord *c, msgpack_packer *pk,
		    size_t subscribers);
void		 recent_touch(struct coord *c, const char *task,
		    enum task_status status, const char *worker,
		    int64_t attempts, const void *result, size_t resultlen,
		    const char *error);
void		 recent_clear(struct coord *c);
int		 recent_load(struct coord *c);
int		 recent_last_chg(struct coord *c, int64_t *chg);

/* coordinator_msg.c: payload codecs. */
struct assign_task {
	char			 task_id[NAME_MAX_LEN + 1];	/* "" absent */
	char			 kind[KIND_MAX_LEN + 1];	/* "" absent */
	const msgpack_object	*input;		/* NULL absent; borrowed */
	char			 worker_id[NAME_MAX_LEN + 1];	/* "" absent */
};

struct task_accepted {
	const char	*task_id;
	const char	*status;	/* "assigned" or "queued" */
	const char	*worker_id;	/* NULL: none */
	uint64_t	 position;	/* 0: none */
};

struct task_report {
	char			 task_id[NAME_MAX_LEN + 1];
	char			 worker_id[NAME_MAX_LEN + 1];
	const msgpack_object	*result;	/* TaskCompleted; borrowed */
	char			 error[ERROR_TEXT_MAX + 1];	/* TaskFailed */
	int			 has_processed;
	uint64_t		 processed;	/* the worker's count */
};

/* A worker's announcement (WorkerState pushed by the worker process). */
struct worker_report {
	char			 worker_id[NAME_MAX_LEN + 1];
	char			 current[NAME_MAX_LEN + 1];	/* "" none */
	uint64_t		 processed;
	char			 last_task[NAME_MAX_LEN + 1];	/* "" none */
	char			 last_status[16];	/* completed, ... */
	const msgpack_object	*last_result;	/* borrowed */
	char			 last_error[ERROR_TEXT_MAX + 1];
};

struct process_task {
	const char	*task_id;
	const char	*kind;
	const void	*input;		/* msgpack bytes; NULL: nil */
	size_t		 inputlen;
};

/* A numbered LogEvent, as kept in events_out. */
struct log_event {
	const char	*level;
	const char	*message;
	const void	*data;		/* msgpack map; NULL: none */
	size_t		 datalen;
	int64_t		 seq;		/* sourceSeq */
	int		 first;		/* sourceFirst: none kept before it */
};

/* LogEventAck {source, sourceSeq, gap?}. */
struct log_event_ack {
	char		 source[ADDR_MAX + 1];
	int64_t		 seq;		/* the event log has up to this */
	int		 gap;		/* it refused one past a gap */
};

int	msg_assign_task_decode(const msgpack_object *p, struct assign_task *m,
	    enum err_code *code, char *why, size_t whylen);
int	msg_task_accepted_encode(msgpack_packer *pk,
	    const struct task_accepted *m);
int	msg_worker_id_decode(const msgpack_object *p, char *id, size_t size,
	    enum err_code *code, char *why, size_t whylen);
int	msg_worker_id_encode(msgpack_packer *pk, const char *id);
int	msg_task_id_decode(const msgpack_object *p, char *id, size_t size,
	    enum err_code *code, char *why, size_t whylen);
int	msg_task_id_encode(msgpack_packer *pk, const char *id);
int	msg_task_report_decode(enum msg_type type, const msgpack_object *p,
	    struct task_report *m, enum err_code *code, char *why,
	    size_t whylen);
int	msg_worker_report_decode(const msgpack_object *p,
	    struct worker_report *m, enum err_code *code, char *why,
	    size_t whylen);
int	msg_process_task_encode(msgpack_packer *pk,
	    const struct process_task *m);
int	msg_log_event_encode(msgpack_packer *pk, const struct log_event *m);
/* An event's data {taskId?, workerId?, attempts?}. */
int	msg_event_data_encode(msgpack_packer *pk, const char *task_id,
	    const char *worker_id, int64_t attempts);
int	msg_log_event_ack_decode(const msgpack_object *p,
	    struct log_event_ack *m, enum err_code *code, char *why,
	    size_t whylen);
int	msg_error_encode(msgpack_packer *pk, enum err_code code,
	    const char *text);
int	msg_empty_encode(msgpack_packer *pk);

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
