/*
 * actord, the supervisor: shared declarations of its parts.
 *
 * The parts are layers, listed from the bottom: each calls only the parts
 * before it, and hears from the later ones through the tree's hooks
 * (struct tree_watcher) and the channel table (struct chan_handler), which
 * they hand down; no part calls back into one that calls it.
 *
 *	supervisor_policy.c	restart intensity and backoff (pure)
 *	supervisor_proc.c	who a process is, from /proc
 *	supervisor_tree.c	the children: their life as a state x event
 *				table, the walk, their channels
 *	supervisor_config.c	the running configuration: programs, reload
 *	supervisor_system.c	system:supervisor, the read-only tree view,
 *				the sessions, the tree's events to the log
 *	supervisor_control.c	the control socket actorctl talks to
 *	actord.c		main: sockets, signals, the channel table
 *
 * Two channels, two names: a child's channel is the socketpair to actord
 * it inherits (CHILD_FD_CHAN: Ready, Inspect, its counters); the control
 * socket is the operator's, $RUN/actord.sock, where actorctl sends its
 * Ctl* requests.
 */
#ifndef SUPERVISOR_H
#define SUPERVISOR_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

#include "config.h"
#include "envelope.h"
#include "supervisor_policy.h"

struct peer;
struct event;

enum child_state {
	CS_DOWN,	/* not running, not scheduled */
	CS_STARTING,	/* forked, waiting for Ready */
	CS_UP,		/* Ready */
	CS_BACKOFF,	/* waiting out a restart delay */
	CS_STOPPING,	/* SIGTERM sent, waiting for the exit */
	CS_FAILED,	/* exited 100: not restarted until `start` */
	CS_COUNT
};

struct child {
	int			 id;		/* enum child_id, start order */
	const char		*name;		/* its row's (child.h) */
	enum child_state	 state;
	pid_t			 pid;
	int			 want;		/* should be running */
	int			 absent;	/* not on this host (roles) */
	int			 stop_pending;	/* stop it, in order */
	int			 term_sent;	/* we sent SIGTERM */
	int			 listen_fd;	/* the socket it serves */
	struct peer		*chan;		/* its channel to us */
	struct event		*timer;		/* backoff, ready, kill */
	int64_t			 started_ms;	/* monotonic */
	int64_t			 up_ms;		/* monotonic, when Ready */
	int			 starts;	/* spawns so far */
	int			 quick;		/* restarts, none stable */
	int			 ever_ready;
	int			 wstatus;	/* how it last ended */
	int			 tree_sub;	/* TreeUpdated on its channel */
	char			 last_exit[64];	/* "" until it exits */
	/* Counters from the child's last Inspected reply. */
	uint64_t		 msgs_in, msgs_out, mailbox;
	int64_t			 counted_ms;	/* when it took them, wall
						   clock; 0: not yet */
	int			 counts_moved;	/* at the last Inspected */
};

struct sup {
	struct config		 cfg;
	const char		*config_path;	/* NULL: built-in defaults */
	struct child		 child[CHILD_COUNT];
	struct intensity	 intensity;
	int			 shutting_down;
	int			 exit_code;
	int			 ready_sent;
	int64_t			 start_ms;
	char			 listen_addr[128];	/* gateway, bound */
	int			 tcp_fd;
	int			 system_fd;
	int			 control_fd;
	int			 lock_fd;
	int			 nsessions;
	int			 total_restarts;
};

extern struct sup	*sup;

/*
 * One row of the channel table (actord.c): a message type a child may
 * send actord on its channel, and who takes it.  The payload is decoded
 * through the type's shape first (env->body); a row of type MSG_UNKNOWN
 * takes every other type, undecoded.
 */
struct chan_handler {
	enum msg_type	 type;
	void		(*fn)(struct child *c, const struct envelope *env);
};

/*
 * A watcher of the tree: the parts above it register their hooks, so that
 * the tree never names them.  Every registered watcher's hook runs; a
 * hook may be NULL.
 */
struct tree_watcher {
	/* A state, a pid or a count changed. */
	void	(*changed)(void);
	/* A child's message counters moved, or stopped moving. */
	void	(*counted)(void);
	/* Something for the event log: an exit, the intensity exceeded. */
	void	(*event)(const char *level, const char *text);
	/* The shutdown is done, every child is down: actord leaves. */
	void	(*down)(void);
	/* A child's channel closed: it exited, or is about to. */
	void	(*closed)(const struct child *c);
};

/* supervisor_tree.c */
void	 tree_init(const struct chan_handler *chan, size_t nchan);
void	 tree_watch(const struct tree_watcher *w);
void	 tree_step(void);
void	 tree_reaped(pid_t pid, int status);
void	 tree_ready(struct child *c, const struct envelope *env);
void	 tree_shutdown(int code);
void	 tree_stop(int id);
void	 tree_start(int id);
void	 tree_restart(int id);
void	 tree_signal(int sig);
bool	 tree_healthy(void);
const char *tree_state_name(enum child_state st);
int	 tree_count(void);
int	 tree_up_count(void);
void	 tree_pack_process(msgpack_packer *pk, const struct child *c,
	    int camel);
int	 tree_send(struct child *c, enum msg_type type,
	    const msgpack_object *payload);
void	 tree_counters(struct child *c, const struct envelope *env);
/* Tell every watcher: call it on every change they may care about. */
void	 tree_changed(void);

/* supervisor_config.c */
int	 supervisor_programs(struct config *cfg);
int	 supervisor_reload(struct config *fresh);

/* supervisor_system.c */
extern const struct actor_kind	 system_kind;
void	 system_init(void);
void	 system_pack_sessions(msgpack_packer *pk);
void	 system_host_state(struct child *c, const struct envelope *env);
void	 system_sessions_changed(struct child *c, const struct envelope *env);
void	 system_child_subscribe(struct child *c, const struct envelope *env);
void	 system_metrics(struct child *c, const struct envelope *env);

/* supervisor_control.c */
void	 control_init(void);
int	 control_listen(int fd);
void	 control_inspected(struct child *c, const struct envelope *env);
void	 control_reply(struct child *c, const struct envelope *env);

#endif
