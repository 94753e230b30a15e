/*
 * The message catalogue: every message type actord knows, in one table.
 *
 * MSG(id, wire name, who may send it, which kinds accept it, payload shape)
 *
 *   who	CLIENT: a request a WebSocket client may send.
 *		SERVER: a reply or push; a client sending one is forbidden.
 *		INTERNAL: between actord processes only; forbidden to clients.
 *   kinds	bitmask of the actor kinds a request may be addressed to
 *		(K_ANY for replies, which are addressed to whoever asked).
 *   shape	the payload's struct and field table (payload.h); empty for a
 *		map whose fields are ignored, none for any value, not decoded.
 *
 * Keep the rows sorted by wire name: msg_lookup() bisects them, and a unit
 * test holds the table to it.  Nothing outside this file spells a type name.
 */
#ifndef MSGTYPES_H
#define MSGTYPES_H

#define MSG_TYPES(MSG)							\
	MSG(ABORT_TASK,		"AbortTask",	INTERNAL, K_WORKER,	task_id)	\
	MSG(ACTOR_CONNECTED,	"ActorConnected", INTERNAL, K_SESSION,	actor_connected) \
	MSG(ASSIGN_TASK,	"AssignTask",	CLIENT,	K_COORD,	assign_task)	\
	MSG(CANCEL_TASK,	"CancelTask",	CLIENT,	K_COORD,	task_id)	\
	MSG(CONNECT_ACTOR,	"ConnectActor",	INTERNAL, K_ANY,	connect_actor)	\
	MSG(CTL_INSPECT,	"CtlInspect",	INTERNAL, K_SYSTEM,	name)		\
	MSG(CTL_KILL,		"CtlKill",	INTERNAL, K_SYSTEM,	ctl_kill)	\
	MSG(CTL_RELOAD,		"CtlReload",	INTERNAL, K_SYSTEM,	empty)		\
	MSG(CTL_REPLY,		"CtlReply",	INTERNAL, K_ANY,	none)		\
	MSG(CTL_RESTART,	"CtlRestart",	INTERNAL, K_SYSTEM,	name)		\
	MSG(CTL_SEND,		"CtlSend",	INTERNAL, K_SYSTEM,	ctl_send)	\
	MSG(CTL_SESSIONS,	"CtlSessions",	INTERNAL, K_SYSTEM,	empty)		\
	MSG(CTL_SHUTDOWN,	"CtlShutdown",	INTERNAL, K_SYSTEM,	empty)		\
	MSG(CTL_START,		"CtlStart",	INTERNAL, K_SYSTEM,	name)		\
	MSG(CTL_STATUS,		"CtlStatus",	INTERNAL, K_SYSTEM,	empty)		\
	MSG(CTL_STOP,		"CtlStop",	INTERNAL, K_SYSTEM,	name)		\
	MSG(CTL_VERSION,	"CtlVersion",	INTERNAL, K_SYSTEM,	empty)		\
	MSG(CTL_WAIT,		"CtlWait",	INTERNAL, K_SYSTEM,	ctl_wait)	\
	MSG(DELETE_TASK,	"DeleteTask",	CLIENT,	K_COORD,	task_id)	\
	MSG(ERROR,		"Error",	SERVER,	K_ANY,		error)		\
	MSG(EVENTS,		"Events",	SERVER,	K_ANY,		none)		\
	MSG(GET_EVENTS,		"GetEvents",	CLIENT,	K_EVENTLOG,	get_events)	\
	MSG(GET_KINDS,		"GetKinds",	CLIENT,	K_COORD,	empty)		\
	MSG(GET_METRICS,	"GetMetrics",	INTERNAL, K_COORD | K_WORKER | K_EVENTLOG | K_SYSTEM | K_LINK, empty) \
	MSG(GET_STATE,		"GetState",	CLIENT,	K_WORKER,	empty)		\
	MSG(GET_STATUS,		"GetStatus",	CLIENT,	K_COORD,	empty)		\
	MSG(GET_TASK,		"GetTask",	CLIENT,	K_COORD,	task_id)	\
	MSG(GET_TREE,		"GetTree",	CLIENT,	K_SYSTEM,	empty)		\
	MSG(HELLO,		"Hello",	INTERNAL, K_ANY,	hello)		\
	MSG(HOST_STATE,		"HostState",	INTERNAL, K_COORD | K_SYSTEM, host_state) \
	MSG(INSPECT,		"Inspect",	INTERNAL, K_ANY,	none)		\
	MSG(INSPECTED,		"Inspected",	INTERNAL, K_ANY,	none)		\
	MSG(KINDS,		"Kinds",	SERVER,	K_ANY,		none)		\
	MSG(LIST_TASKS,		"ListTasks",	CLIENT,	K_COORD,	list_tasks)	\
	MSG(LOG_EVENT,		"LogEvent",	CLIENT,	K_EVENTLOG | K_SESSION, log_event) \
	MSG(LOG_EVENT_ACK,	"LogEventAck",	INTERNAL, K_COORD,	log_event_ack)	\
	MSG(METRICS,		"Metrics",	INTERNAL, K_ANY,	none)		\
	MSG(PAUSE_QUEUE,	"PauseQueue",	INTERNAL, K_COORD,	queue_name)	\
	MSG(PEER_BACK,		"PeerBack",	INTERNAL, K_SESSION,	peer)		\
	MSG(PEER_GONE,		"PeerGone",	INTERNAL, K_COORD | K_EVENTLOG | K_SYSTEM | K_SESSION, peer) \
	MSG(PING,		"Ping",		CLIENT,	K_ANY,		none)		\
	MSG(PONG,		"Pong",		SERVER,	K_ANY,		none)		\
	MSG(PROCESS_TASK,	"ProcessTask",	INTERNAL, K_WORKER,	process_task)	\
	MSG(QUEUE_STATE,	"QueueState",	SERVER,	K_ANY,		queue_state)	\
	MSG(READY,		"Ready",	INTERNAL, K_ANY,	none)		\
	MSG(REGISTER_WORKER,	"RegisterWorker", CLIENT, K_COORD,	register_worker)	\
	MSG(RESUME_QUEUE,	"ResumeQueue",	INTERNAL, K_COORD,	queue_name)	\
	MSG(RETRY_TASK,		"RetryTask",	CLIENT,	K_COORD,	task_id)	\
	MSG(SESSION_CLOSE,	"SessionClose",	INTERNAL, K_SESSION,	none)		\
	MSG(SESSION_ESTABLISHED, "SessionEstablished", SERVER, K_ANY,	none)		\
	MSG(SESSION_OPEN,	"SessionOpen",	INTERNAL, K_SESSION,	none)		\
	MSG(SESSION_STATS,	"SessionStats",	INTERNAL, K_ANY,	none)		\
	MSG(SESSIONS_CHANGED,	"SessionsChanged", INTERNAL, K_SYSTEM,	none)		\
	MSG(START_WORKER,	"StartWorker",	INTERNAL, K_WORKER,	worker_id)	\
	MSG(STATUS_UPDATED,	"StatusUpdated", SERVER, K_ANY,		none)		\
	MSG(STOP_WORKER,	"StopWorker",	INTERNAL, K_WORKER,	worker_id)	\
	MSG(STREAM_OUTPUT,	"StreamOutput",	INTERNAL, K_WORKER,	stream_output)	\
	MSG(SUBSCRIBE,		"Subscribe",	CLIENT,	K_COORD | K_EVENTLOG | K_SYSTEM, subscribe) \
	MSG(SUBSCRIBED,		"Subscribed",	SERVER,	K_ANY,		subscribed)		\
	MSG(TASK,		"Task",		SERVER,	K_ANY,		none)		\
	MSG(TASK_ACCEPTED,	"TaskAccepted",	SERVER,	K_ANY,		task_accepted)		\
	MSG(TASK_CANCELLED,	"TaskCancelled", SERVER, K_ANY,		task_id)		\
	MSG(TASK_COMPLETED,	"TaskCompleted", INTERNAL, K_COORD,	task_completed)	\
	MSG(TASK_DELETED,	"TaskDeleted",	SERVER,	K_ANY,		task_id)	\
	MSG(TASK_FAILED,	"TaskFailed",	INTERNAL, K_COORD,	task_failed)	\
	MSG(TASK_FINISHED,	"TaskFinished", SERVER, K_ANY,		task_finished)	\
	MSG(TASK_OUTPUT,	"TaskOutput",	SERVER,	K_ANY,		task_output)	\
	MSG(TASK_STARTED,	"TaskStarted",	INTERNAL, K_COORD,	task_started)	\
	MSG(TASKS,		"Tasks",	SERVER,	K_ANY,		none)		\
	MSG(TREE_UPDATED,	"TreeUpdated",	SERVER,	K_ANY,		none)		\
	MSG(UNREGISTER_WORKER,	"UnregisterWorker", CLIENT, K_COORD,	worker_id)	\
	MSG(UNSUBSCRIBE,	"Unsubscribe",	CLIENT,	K_COORD | K_EVENTLOG | K_SYSTEM, empty) \
	MSG(UNSUBSCRIBED,	"Unsubscribed",	SERVER,	K_ANY,		empty)		\
	MSG(WATCH_TASK,		"WatchTask",	CLIENT,	K_COORD,	task_id)	\
	MSG(WORKER_REGISTERED,	"WorkerRegistered", SERVER, K_ANY,	worker_id)		\
	MSG(WORKER_STATE,	"WorkerState",	SERVER,	K_ANY,		worker_state)		\
	MSG(WORKER_UNREGISTERED, "WorkerUnregistered", SERVER, K_ANY,	worker_id)

#endif
