/*
 * Every flat payload: one struct, shared by the sender and the receiver,
 * with its field table right beneath it.  A row says the key on the wire,
 * the member it lands in, and what it must be:
 *
 *	P_STR	 a non-empty UTF-8 string; its limit is the array's size - 1
 *	P_NAME	 a name usable in an address: 1-64 of [A-Za-z0-9._-]
 *	P_UINT	 a non-negative integer of at most max, 0 when absent, always
 *		 packed (P_UINT_OPT: with a has_<member> flag saying it was
 *		 there, packed only when set)
 *	P_NUM_OPT a number (integer or not) from 0 to max, with its has_ flag
 *	P_BOOL	 true or false (absent: false)
 *	P_ANY	 any value, borrowed from the frame (struct mp_any)
 *	P_OBJ_OPT a map read through another shape into a struct member,
 *		 with its has_ flag; errors name the field as 'outer.inner' 
 *
 * and when it may be missing:
 *
 *	REQ	 required: refused when absent or null; always packed
 *	OPT	 optional: absent or null is the zero value; packed only when
 *		 set (a non-empty string, a has_ flag, true, a value)
 *	NUL	 optional, and packed as nil when not set
 *	OUT	 packed when set, never read: the receiver makes it itself
 *
 * msg_decode() reads a payload through a table into its struct (once, in
 * the runtime, before the handler runs); msg_encode() packs the struct
 * back.  A decoded struct borrows the frame for its P_ANY members: valid
 * until the handler returns.
 *
 * Adding a payload: its struct and FIELDS() here, a line in MSG_SHAPES,
 * and the shape's name in its catalogue row (msgtypes.h).  Included by
 * msg.h, after the protocol's limits.
 */
#ifndef PAYLOAD_H
#define PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* Any msgpack value: one decoded (borrowed), or packed bytes to send. */
struct mp_any {
	const msgpack_object	*obj;	/* decoded: points into the frame */
	const void		*raw;	/* or one packed object to send */
	size_t			 len;
};

enum field_type {
	FT_STR,
	FT_NAME,
	FT_UINT,
	FT_NUM,
	FT_BOOL,
	FT_ANY,
	FT_OBJ,
};

enum field_flag {
	F_OPT = 0x0,
	F_REQ = 0x1,
	F_NUL = 0x2,
	F_OUT = 0x4,
};
#define NO_HAS	SIZE_MAX

/* Short names for the tables below; undefined at the end of this file. */
#define OPT	F_OPT
#define REQ	F_REQ
#define NUL	F_NUL
#define OUT	F_OUT

struct msg_shape;

struct msg_field {
	const char	*key;		/* on the wire; NULL ends the table */
	enum field_type	 type;
	unsigned	 flags;		/* F_REQ, F_NUL, F_OUT */
	uint64_t	 max;		/* FT_UINT, FT_NUM: the largest value */
	size_t		 off;		/* offsetof the member */
	size_t		 size;		/* sizeof the member */
	size_t		 has;		/* offsetof its has_ flag, or NO_HAS */
	const struct msg_shape *sub;	/* FT_OBJ: the member's shape */
};

struct msg_shape {
	const char		*name;
	const struct msg_field	*fields;	/* NULL: none, any value */
	size_t			 size;		/* of its struct */
};

#define P_(t, s, m, key, fl, max, has)					\
	{ key, t, fl, max, offsetof(struct s, m),			\
	    sizeof(((struct s *)0)->m), has, NULL }
#define P_STR(s, m, key, fl)	P_(FT_STR, s, m, key, fl, 0, NO_HAS)
#define P_NAME(s, m, key, fl)	P_(FT_NAME, s, m, key, fl, 0, NO_HAS)
#define P_UINT(s, m, key, fl, max) P_(FT_UINT, s, m, key, fl, max, NO_HAS)
#define P_UINT_OPT(s, m, key, fl, max)					\
	P_(FT_UINT, s, m, key, fl, max, offsetof(struct s, has_##m))
#define P_NUM_OPT(s, m, key, fl, max)					\
	P_(FT_NUM, s, m, key, fl, max, offsetof(struct s, has_##m))
#define P_OBJ_OPT(s, m, key, fl, shape)					\
	{ key, FT_OBJ, fl, 0, offsetof(struct s, m),			\
	    sizeof(((struct s *)0)->m), offsetof(struct s, has_##m), &shape }
#define P_BOOL(s, m, key, fl)	P_(FT_BOOL, s, m, key, fl, 0, NO_HAS)
#define P_ANY(s, m, key, fl)	P_(FT_ANY, s, m, key, fl, 0, NO_HAS)

/* payload.c defines the tables; everyone else sees their declarations. */
#ifdef PAYLOAD_TABLES
#define FIELDS(shape, ...)						\
	const struct msg_field msg_##shape##_fields[] = {		\
		__VA_ARGS__, { NULL, FT_ANY, 0, 0, 0, 0, NO_HAS, NULL }	\
	}
#else
#define FIELDS(shape, ...)						\
	extern const struct msg_field msg_##shape##_fields[]
#endif

#define SEQ_MAX		((uint64_t)INT64_MAX)	/* numbers kept in SQLite */

/* {taskId}: CancelTask, TaskCancelled, AbortTask. */
struct msg_task_id {
	char		 task_id[NAME_MAX_LEN + 1];
};
FIELDS(task_id,
	P_NAME(msg_task_id, task_id, "taskId", REQ));

/* {workerId}: (Un)RegisterWorker, Worker(Un)Registered, Start/StopWorker. */
struct msg_worker_id {
	char		 worker_id[NAME_MAX_LEN + 1];
};
FIELDS(worker_id,
	P_NAME(msg_worker_id, worker_id, "workerId", REQ));

/*
 * RegisterWorker {workerId, host?}: host names the cluster host the
 * worker runs on; without it the coordinator chooses (one host: this).
 */
struct msg_register_worker {
	char		 worker_id[NAME_MAX_LEN + 1];
	char		 host[HOST_MAX + 1];
};
FIELDS(register_worker,
	P_NAME(msg_register_worker, worker_id, "workerId", REQ),
	P_NAME(msg_register_worker, host, "host", OPT));

/*
 * HostState, from the link to the coordinator and to actord (on its
 * channel; actord lists the hosts in its tree): a cluster host came up
 * (announced itself, or with a new incarnation), went silent (down), or
 * stayed silent for host_dead_after_s (dead).  roles: ROLE_* bits.
 */
struct msg_host_state {
	char		 host[HOST_MAX + 1];
	char		 state[STATUS_MAX + 1];		/* up, down, dead */
	char		 incarnation[NAME_MAX_LEN + 1];
	uint64_t	 roles;
};
FIELDS(host_state,
	P_NAME(msg_host_state, host, "host", REQ),
	P_STR(msg_host_state, state, "state", REQ),
	P_NAME(msg_host_state, incarnation, "incarnation", OPT),
	P_UINT(msg_host_state, roles, "roles", OPT, 0xff));

/*
 * PeerGone {address} and PeerBack {address}, from the link: a peer on
 * another host that the receiver knows only through the link went away
 * (a session there, or a host dead or back as a new incarnation), or the
 * host of one came back: the receiver's peer table hears it as of a local
 * connection closed or made again.
 */
struct msg_peer {
	char		 address[ADDR_MAX + 1];
};
FIELDS(peer,
	P_STR(msg_peer, address, "address", REQ));

/*
 * A retry policy, AssignTask's or a kind's: a failed run (TaskFailed, a
 * timeout, its worker's death) runs again after a delay, until
 * maxAttempts runs in all.  backoff: "fixed" (baseMs each time) or
 * "exponential" (baseMs, doubling, at most maxMs); jitter: a random part
 * of the delay, 0 to 1.
 */
struct msg_retry {
	uint64_t	 max_attempts;
	bool		 has_max_attempts;
	char		 backoff[STATUS_MAX + 1];
	uint64_t	 base_ms;
	bool		 has_base_ms;
	uint64_t	 max_ms;
	bool		 has_max_ms;
	double		 jitter;
	bool		 has_jitter;
};
FIELDS(retry,
	P_UINT_OPT(msg_retry, max_attempts, "maxAttempts", OPT, 1000),
	P_STR(msg_retry, backoff, "backoff", OPT),
	P_UINT_OPT(msg_retry, base_ms, "baseMs", OPT, DELAY_MAX_MS),
	P_UINT_OPT(msg_retry, max_ms, "maxMs", OPT, DELAY_MAX_MS),
	P_NUM_OPT(msg_retry, jitter, "jitter", OPT, 1));
extern const struct msg_shape msg_shape_retry;

/*
 * AssignTask: kind defaults to sleep {ms: 1000}; workerId pins it; watch
 * asks for TaskFinished; runAt (ms since the epoch) or delayMs delays it;
 * priority 0-9 (higher first) in a named queue ("default").
 */
struct msg_assign_task {
	char		 task_id[NAME_MAX_LEN + 1];	/* "": one is made */
	char		 kind[TASK_KIND_MAX + 1];	/* "": sleep */
	struct mp_any	 input;
	char		 worker_id[NAME_MAX_LEN + 1];	/* "": any worker */
	bool		 watch;
	uint64_t	 timeout_ms;
	bool		 has_timeout_ms;
	struct msg_retry retry;
	bool		 has_retry;
	uint64_t	 run_at;
	bool		 has_run_at;
	uint64_t	 delay_ms;
	bool		 has_delay_ms;
	uint64_t	 priority;
	bool		 has_priority;
	char		 queue[NAME_MAX_LEN + 1];	/* "": default */
};
FIELDS(assign_task,
	P_NAME(msg_assign_task, task_id, "taskId", OPT),
	P_STR(msg_assign_task, kind, "kind", OPT),
	P_ANY(msg_assign_task, input, "input", OPT),
	P_NAME(msg_assign_task, worker_id, "workerId", OPT),
	P_BOOL(msg_assign_task, watch, "watch", OPT),
	P_UINT_OPT(msg_assign_task, timeout_ms, "timeoutMs", OPT,
	    TASK_TIMEOUT_MAX_MS),
	P_OBJ_OPT(msg_assign_task, retry, "retry", OPT, msg_shape_retry),
	P_UINT_OPT(msg_assign_task, run_at, "runAt", OPT, SEQ_MAX),
	P_UINT_OPT(msg_assign_task, delay_ms, "delayMs", OPT, DELAY_MAX_MS),
	P_UINT_OPT(msg_assign_task, priority, "priority", OPT, PRIORITY_MAX),
	P_NAME(msg_assign_task, queue, "queue", OPT));

/* TaskAccepted: the answer to AssignTask. */
struct msg_task_accepted {
	char		 task_id[NAME_MAX_LEN + 1];
	char		 status[STATUS_MAX + 1];	/* assigned, queued */
	char		 worker_id[NAME_MAX_LEN + 1];	/* "": none */
	uint64_t	 position;			/* in the queue */
	bool		 has_position;
};
FIELDS(task_accepted,
	P_NAME(msg_task_accepted, task_id, "taskId", REQ),
	P_STR(msg_task_accepted, status, "status", REQ),
	P_NAME(msg_task_accepted, worker_id, "workerId", OPT),
	P_UINT_OPT(msg_task_accepted, position, "position", OPT, UINT64_MAX));

/* ProcessTask: the coordinator hands a worker a task. */
struct msg_process_task {
	char		 task_id[NAME_MAX_LEN + 1];
	char		 kind[TASK_KIND_MAX + 1];
	struct mp_any	 input;				/* nil: none */
	uint64_t	 timeout_ms;			/* 0: none */
	uint64_t	 attempt;			/* 1 for the first run */
	bool		 stream;			/* send TaskOutput */
};
FIELDS(process_task,
	P_NAME(msg_process_task, task_id, "taskId", REQ),
	P_STR(msg_process_task, kind, "kind", REQ),
	P_ANY(msg_process_task, input, "input", NUL),
	P_UINT(msg_process_task, timeout_ms, "timeoutMs", OPT,
	    TASK_TIMEOUT_MAX_MS),
	P_UINT(msg_process_task, attempt, "attempt", OPT, SEQ_MAX),
	P_BOOL(msg_process_task, stream, "stream", OPT));

/*
 * TaskStarted, TaskCompleted {result}, TaskFailed {error, code?,
 * result?}: a worker's report of one run, with its processed count after
 * it.  A command's failure carries its result too (its exit, its output);
 * code says why it failed: exit, signal, timeout, spawn, ...
 */
struct msg_task_report {
	char		 task_id[NAME_MAX_LEN + 1];
	char		 worker_id[NAME_MAX_LEN + 1];
	struct mp_any	 result;			/* TaskCompleted */
	char		 error[ERROR_TEXT_MAX + 1];	/* TaskFailed */
	char		 code[CODE_MAX + 1];		/* TaskFailed */
	uint64_t	 processed;
	bool		 has_processed;
};
FIELDS(task_started,
	P_NAME(msg_task_report, task_id, "taskId", REQ),
	P_NAME(msg_task_report, worker_id, "workerId", REQ));
FIELDS(task_completed,
	P_NAME(msg_task_report, task_id, "taskId", REQ),
	P_NAME(msg_task_report, worker_id, "workerId", REQ),
	P_ANY(msg_task_report, result, "result", NUL),
	P_UINT_OPT(msg_task_report, processed, "processedCount", OPT, SEQ_MAX));
FIELDS(task_failed,
	P_NAME(msg_task_report, task_id, "taskId", REQ),
	P_NAME(msg_task_report, worker_id, "workerId", REQ),
	P_STR(msg_task_report, error, "error", REQ),
	P_STR(msg_task_report, code, "code", OPT),
	P_ANY(msg_task_report, result, "result", OPT),
	P_UINT_OPT(msg_task_report, processed, "processedCount", OPT, SEQ_MAX));

/*
 * TaskFinished: pushed to whoever watches a task when it reaches a final
 * state (completed, failed, cancelled), once.
 */
struct msg_task_finished {
	char		 task_id[NAME_MAX_LEN + 1];
	char		 status[STATUS_MAX + 1];
	struct mp_any	 result;
	char		 error[ERROR_TEXT_MAX + 1];
	char		 code[CODE_MAX + 1];
	uint64_t	 attempts;
};
FIELDS(task_finished,
	P_NAME(msg_task_finished, task_id, "taskId", REQ),
	P_STR(msg_task_finished, status, "status", REQ),
	P_ANY(msg_task_finished, result, "result", OPT),
	P_STR(msg_task_finished, error, "error", OPT),
	P_STR(msg_task_finished, code, "errorCode", OPT),
	P_UINT(msg_task_finished, attempts, "attempts", REQ, SEQ_MAX));

/*
 * TaskOutput: what a running command wrote, from offset (bytes of that
 * stream so far), for whoever watches the task; data is UTF-8, or base64
 * with encoding "base64" when the bytes are not.
 */
struct msg_task_output {
	char		 task_id[NAME_MAX_LEN + 1];
	char		 stream[STATUS_MAX + 1];	/* stdout, stderr */
	uint64_t	 offset;
	char		 data[OUTPUT_CHUNK_MAX + 1];
	char		 encoding[STATUS_MAX + 1];	/* "": UTF-8 */
};
FIELDS(task_output,
	P_NAME(msg_task_output, task_id, "taskId", REQ),
	P_STR(msg_task_output, stream, "stream", REQ),
	P_UINT(msg_task_output, offset, "offset", REQ, SEQ_MAX),
	P_STR(msg_task_output, data, "data", REQ),
	P_STR(msg_task_output, encoding, "encoding", OPT));

/* StreamOutput: the coordinator tells a worker to send TaskOutput or not. */
struct msg_stream_output {
	char		 task_id[NAME_MAX_LEN + 1];
	bool		 on;
};
FIELDS(stream_output,
	P_NAME(msg_stream_output, task_id, "taskId", REQ),
	P_BOOL(msg_stream_output, on, "on", OPT));

/* ListTasks: a page of tasks, newest first, filtered; cursor from Tasks. */
struct msg_list_tasks {
	char		 status[STATUS_MAX + 1];
	char		 kind[TASK_KIND_MAX + 1];
	char		 queue[NAME_MAX_LEN + 1];
	char		 worker_id[NAME_MAX_LEN + 1];
	char		 cursor[CURSOR_MAX + 1];
	uint64_t	 limit;
	bool		 has_limit;
};
FIELDS(list_tasks,
	P_STR(msg_list_tasks, status, "status", OPT),
	P_STR(msg_list_tasks, kind, "kind", OPT),
	P_NAME(msg_list_tasks, queue, "queue", OPT),
	P_NAME(msg_list_tasks, worker_id, "workerId", OPT),
	P_STR(msg_list_tasks, cursor, "cursor", OPT),
	P_UINT_OPT(msg_list_tasks, limit, "limit", OPT, LIST_LIMIT_MAX));

/* {queue}: PauseQueue, ResumeQueue (an operator's). */
struct msg_queue_name {
	char		 queue[NAME_MAX_LEN + 1];
};
FIELDS(queue_name,
	P_NAME(msg_queue_name, queue, "queue", REQ));

/* QueueState: a queue now. */
struct msg_queue_state {
	char		 queue[NAME_MAX_LEN + 1];
	bool		 paused;
	uint64_t	 queued;
	uint64_t	 running;
	uint64_t	 concurrency;			/* 0: no limit */
};
FIELDS(queue_state,
	P_NAME(msg_queue_state, queue, "queue", REQ),
	P_BOOL(msg_queue_state, paused, "paused", REQ),
	P_UINT(msg_queue_state, queued, "queued", REQ, SEQ_MAX),
	P_UINT(msg_queue_state, running, "running", REQ, SEQ_MAX),
	P_UINT(msg_queue_state, concurrency, "concurrency", REQ, SEQ_MAX));

/*
 * WorkerState: a worker's state, the answer to GetState and its
 * announcement to the coordinator, with its last outcome (completed,
 * failed, interrupted) for the coordinator's reconciliation.
 */
struct msg_worker_state {
	char		 worker_id[NAME_MAX_LEN + 1];
	char		 status[STATUS_MAX + 1];	/* idle, busy */
	char		 current_task[NAME_MAX_LEN + 1];	/* "": none */
	uint64_t	 processed;
	char		 last_task[NAME_MAX_LEN + 1];
	char		 last_status[STATUS_MAX + 1];
	struct mp_any	 last_result;
	char		 last_error[ERROR_TEXT_MAX + 1];
	char		 last_code[CODE_MAX + 1];	/* its failure's code */
};
FIELDS(worker_state,
	P_NAME(msg_worker_state, worker_id, "workerId", REQ),
	P_STR(msg_worker_state, status, "status", OPT),
	P_NAME(msg_worker_state, current_task, "currentTask", NUL),
	P_UINT(msg_worker_state, processed, "processedCount", OPT, SEQ_MAX),
	P_NAME(msg_worker_state, last_task, "lastTask", NUL),
	P_STR(msg_worker_state, last_status, "lastStatus", NUL),
	P_ANY(msg_worker_state, last_result, "lastResult", NUL),
	P_STR(msg_worker_state, last_error, "lastError", NUL),
	P_STR(msg_worker_state, last_code, "lastCode", NUL));

/*
 * LogEvent: an activity event.  Sent to eventlog:main it asks for a row
 * (sourceSeq and sourceFirst from a numbering source, see eventlog.h);
 * pushed by the event log it is a row, with its seq and timestamp.
 */
struct msg_log_event {
	uint64_t	 seq;
	bool		 has_seq;
	uint64_t	 timestamp;		/* ms since the epoch */
	bool		 has_timestamp;
	char		 level[LEVEL_MAX + 1];
	char		 source[SOURCE_MAX + 1];
	char		 message[MESSAGE_MAX + 1];
	struct mp_any	 data;
	uint64_t	 source_seq;
	bool		 has_source_seq;
	bool		 source_first;
};
FIELDS(log_event,
	P_UINT_OPT(msg_log_event, seq, "seq", OUT, SEQ_MAX),
	P_UINT_OPT(msg_log_event, timestamp, "timestamp", OUT, SEQ_MAX),
	P_STR(msg_log_event, level, "level", REQ),
	P_STR(msg_log_event, source, "source", REQ),
	P_STR(msg_log_event, message, "message", REQ),
	P_ANY(msg_log_event, data, "data", NUL),
	P_UINT_OPT(msg_log_event, source_seq, "sourceSeq", OPT, SEQ_MAX),
	P_BOOL(msg_log_event, source_first, "sourceFirst", OPT));

/* LogEventAck: the event log has every event of source up to sourceSeq. */
struct msg_log_event_ack {
	char		 source[SOURCE_MAX + 1];
	uint64_t	 source_seq;
	bool		 gap;			/* refused one past a gap */
};
FIELDS(log_event_ack,
	P_STR(msg_log_event_ack, source, "source", REQ),
	P_UINT(msg_log_event_ack, source_seq, "sourceSeq", REQ, SEQ_MAX),
	P_BOOL(msg_log_event_ack, gap, "gap", OPT));

/* An activity event's data: what it is about. */
struct msg_event_data {
	char		 task_id[NAME_MAX_LEN + 1];
	char		 worker_id[NAME_MAX_LEN + 1];
	uint64_t	 attempts;
	bool		 has_attempts;
};
FIELDS(event_data,
	P_NAME(msg_event_data, task_id, "taskId", OPT),
	P_NAME(msg_event_data, worker_id, "workerId", OPT),
	P_UINT_OPT(msg_event_data, attempts, "attempts", OPT, SEQ_MAX));

/* GetEvents {since?, limit?}, Subscribe {since?}. */
struct msg_range {
	uint64_t	 since;
	bool		 has_since;
	uint64_t	 limit;
	bool		 has_limit;
};
FIELDS(get_events,
	P_UINT_OPT(msg_range, since, "since", OPT, SEQ_MAX),
	P_UINT_OPT(msg_range, limit, "limit", OPT, UINT32_MAX));
FIELDS(subscribe,
	P_UINT_OPT(msg_range, since, "since", OPT, SEQ_MAX));

/* Subscribed {lastSeq?}: the event log says where its log stands. */
struct msg_subscribed {
	uint64_t	 last_seq;
	bool		 has_last_seq;
};
FIELDS(subscribed,
	P_UINT_OPT(msg_subscribed, last_seq, "lastSeq", OPT, SEQ_MAX));

/* Error {code, error}: code for programs, error for people. */
struct msg_error {
	char		 code[32 + 1];
	char		 error[ERROR_TEXT_MAX + 1];
};
FIELDS(error,
	P_STR(msg_error, code, "code", REQ),
	P_STR(msg_error, error, "error", REQ));

/*
 * {name, timeoutMs?}: a process of the tree, for actorctl's requests
 * (CtlStart, CtlStop, CtlRestart, CtlInspect), and how long to wait.
 */
struct msg_name {
	char		 name[64 + 1];
	uint64_t	 timeout_ms;
	bool		 has_timeout_ms;
};
FIELDS(name,
	P_STR(msg_name, name, "name", REQ),
	P_UINT_OPT(msg_name, timeout_ms, "timeoutMs", OPT, TIMEOUT_MAX_MS));

/*
 * CtlKill {name, signal?, timeoutMs?}: a signal's number (actorctl turns
 * a name, "KILL" or "SIGHUP", into it); none: SIGTERM.
 */
struct msg_ctl_kill {
	char		 name[64 + 1];
	uint64_t	 signal;
	bool		 has_signal;
	uint64_t	 timeout_ms;
	bool		 has_timeout_ms;
};
FIELDS(ctl_kill,
	P_STR(msg_ctl_kill, name, "name", REQ),
	P_UINT_OPT(msg_ctl_kill, signal, "signal", OPT, 64),
	P_UINT_OPT(msg_ctl_kill, timeout_ms, "timeoutMs", OPT,
	    TIMEOUT_MAX_MS));

/* CtlSend {to, type, payload?, timeoutMs?}: inject a message. */
struct msg_ctl_send {
	char		 to[ADDR_MAX + 1];
	char		 type[64 + 1];
	struct mp_any	 payload;
	uint64_t	 timeout_ms;
	bool		 has_timeout_ms;
};
FIELDS(ctl_send,
	P_STR(msg_ctl_send, to, "to", REQ),
	P_STR(msg_ctl_send, type, "type", REQ),
	P_ANY(msg_ctl_send, payload, "payload", OPT),
	P_UINT_OPT(msg_ctl_send, timeout_ms, "timeoutMs", OPT,
	    TIMEOUT_MAX_MS));

/* CtlWait {name, state, notPid?, timeoutMs?}. */
struct msg_ctl_wait {
	char		 name[64 + 1];
	char		 state[STATUS_MAX + 1];
	uint64_t	 not_pid;
	bool		 has_not_pid;
	uint64_t	 timeout_ms;
	bool		 has_timeout_ms;
};
FIELDS(ctl_wait,
	P_STR(msg_ctl_wait, name, "name", REQ),
	P_STR(msg_ctl_wait, state, "state", REQ),
	P_UINT_OPT(msg_ctl_wait, not_pid, "notPid", OPT, INT32_MAX),
	P_UINT_OPT(msg_ctl_wait, timeout_ms, "timeoutMs", OPT,
	    TIMEOUT_MAX_MS));

/*
 * ConnectActor {kind}: a session asks the gateway for a connection to the
 * socket of an actor kind (a session may not connect(2)); ActorConnected
 * {kind, ok}: the answer, with the connection's descriptor (SCM_RIGHTS)
 * when ok.  docs/security.md says why.
 */
struct msg_actor_conn {
	char		 kind[KIND_MAX + 1];
	bool		 ok;
};
FIELDS(connect_actor,
	P_NAME(msg_actor_conn, kind, "kind", REQ));
FIELDS(actor_connected,
	P_NAME(msg_actor_conn, kind, "kind", REQ),
	P_BOOL(msg_actor_conn, ok, "ok", OPT));

/*
 * Hello {pid, client?}: a connection names its sender (the envelope's
 * from).  client: the ?client= of the session the gateway made it for.
 */
struct msg_hello {
	uint64_t	 pid;
	char		 client[CLIENT_ID_MAX + 1];
};
FIELDS(hello,
	P_UINT(msg_hello, pid, "pid", OPT, (uint64_t)INT32_MAX),
	P_STR(msg_hello, client, "client", OPT));

/*
 * Every shape: its name (the catalogue's column, the member of union
 * msg_body, the table msg_<name>_fields) and its struct.  "empty" (a map
 * whose fields are ignored) and "none" (any value, not decoded) have no
 * struct.
 */
#define MSG_SHAPES(S)							\
	S(task_id,		msg_task_id)				\
	S(worker_id,		msg_worker_id)				\
	S(register_worker,	msg_register_worker)			\
	S(host_state,		msg_host_state)				\
	S(peer,			msg_peer)				\
	S(assign_task,		msg_assign_task)			\
	S(task_accepted,	msg_task_accepted)			\
	S(process_task,		msg_process_task)			\
	S(task_started,		msg_task_report)			\
	S(task_completed,	msg_task_report)			\
	S(task_failed,		msg_task_report)			\
	S(task_finished,	msg_task_finished)			\
	S(task_output,		msg_task_output)			\
	S(stream_output,	msg_stream_output)			\
	S(retry,		msg_retry)				\
	S(list_tasks,		msg_list_tasks)				\
	S(queue_name,		msg_queue_name)				\
	S(queue_state,		msg_queue_state)			\
	S(worker_state,		msg_worker_state)			\
	S(log_event,		msg_log_event)				\
	S(log_event_ack,	msg_log_event_ack)			\
	S(event_data,		msg_event_data)				\
	S(get_events,		msg_range)				\
	S(subscribe,		msg_range)				\
	S(subscribed,		msg_subscribed)				\
	S(error,		msg_error)				\
	S(name,			msg_name)				\
	S(ctl_kill,		msg_ctl_kill)				\
	S(ctl_send,		msg_ctl_send)				\
	S(ctl_wait,		msg_ctl_wait)				\
	S(connect_actor,	msg_actor_conn)				\
	S(actor_connected,	msg_actor_conn)				\
	S(hello,		msg_hello)

/* A decoded payload, as the runtime hands it to a handler (env->body). */
union msg_body {
#define MSG_BODY_MEMBER(shape, type) struct type shape;
	MSG_SHAPES(MSG_BODY_MEMBER)
#undef MSG_BODY_MEMBER
};

#define MSG_SHAPE_DECL(shape, type)					\
	extern const struct msg_shape msg_shape_##shape;
MSG_SHAPES(MSG_SHAPE_DECL)
#undef MSG_SHAPE_DECL
extern const struct msg_shape msg_shape_empty;
extern const struct msg_shape msg_shape_none;

#undef OPT
#undef REQ
#undef NUL
#undef OUT

#endif
