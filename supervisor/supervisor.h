/*
 * actord, the supervisor: shared declarations of its parts.
 *
 *	actord.c		main: arguments, config, sockets, the loop
 *	supervisor_tree.c	the children: spawn, reap, restart, stop
 *	supervisor_ctl.c	the control socket actorctl talks to
 *	supervisor_system.c	system:supervisor, the read-only tree view
 *	supervisor_policy.c	restart intensity and backoff (pure)
 */
#ifndef SUPERVISOR_H
#define SUPERVISOR_H

#include <sys/types.h>

#include <stdint.h>

#include <msgpack.h>

#include "config.h"
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
	const char		*name;
	enum child_state	 state;
	pid_t			 pid;
	int			 want;		/* should be running */
	int			 stop_pending;	/* stop it, in order */
	int			 term_sent;	/* we sent SIGTERM */
	int			 listen_fd;	/* the socket it serves */
	struct peer		*ctl;		/* control channel */
	struct event		*timer;		/* backoff, ready, kill */
	int64_t			 started_ms;	/* monotonic */
	int64_t			 up_ms;		/* monotonic, when Ready */
	int			 starts;	/* spawns so far */
	int			 quick;		/* restarts without a stable run */
	int			 ever_ready;
	int			 wstatus;	/* how it last ended */
	int			 tree_sub;	/* wants TreeUpdated (ctl) */
	char			 last_exit[64];	/* "" until it exits */
	/* Counters from the child's last Inspected reply. */
	uint64_t		 msgs_in, msgs_out, mailbox;
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
	int			 ctl_fd;
	int			 lock_fd;
	int			 nsessions;
	int			 total_restarts;
	/* The gateway's last SessionsChanged payload, packed. */
	char			*sessions_buf;
	size_t			 sessions_len;
};

extern struct sup	*sup;

int64_t	 mono_ms(void);

/* supervisor_tree.c */
void	 tree_init(void);
void	 tree_step(void);
void	 tree_reaped(pid_t pid, int status);
void	 tree_shutdown(int code);
void	 tree_stop(int id);
void	 tree_start(int id);
void	 tree_restart(int id);
const char *tree_state_name(enum child_state st);
int	 tree_up_count(void);
void	 tree_pack_process(msgpack_packer *pk, const struct child *c,
	    int camel);
/* Called on every change a waiter or a subscriber may care about. */
void	 tree_changed(void);

/* actord.c */
int	 supervisor_reload(struct config *fresh);

/* supervisor_ctl.c */
int	 ctl_listen(int fd);
void	 ctl_tree_changed(void);
void	 ctl_finish(void);
void	 ctl_child_message(struct child *c, const void *env);

/* supervisor_system.c */
extern const struct actor_kind	 system_kind;
void	 system_init(void);
void	 system_tree_changed(void);
void	 system_child_subscribe(struct child *c, int on);
void	 system_sessions_changed(const msgpack_object *payload);
void	 system_pack_sessions(msgpack_packer *pk);
void	 system_log_event(const char *level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
