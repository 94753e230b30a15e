/*
 * The configuration: one INI file (libinih) parsed whole into a fresh
 * struct, every error reported as file:line, validated, then swapped in.
 * Every key is a row of one table in config.c, with its default and a line
 * of documentation, so that `actord -p` prints a commented sample config.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <limits.h>
#include <stdio.h>

#include "child.h"		/* the process tree: enum child_id */
#include "kinds.h"
#include "msg.h"

enum strategy {
	STRATEGY_ONE_FOR_ONE,	/* restart the child that died */
	STRATEGY_REST_FOR_ONE,	/* ... and every child started after it */
	STRATEGY_ONE_FOR_ALL,	/* ... and every other child */
};

#define CONFIG_MAX_ERRORS	32
#define CONFIG_PATH_MAX		256

/* A child's [name] section; its defaults are its row in child.h. */
struct child_conf {
	int	 restart;		/* enum restart_type */
	int	 shutdown_timeout_ms;	/* SIGTERM to SIGKILL */
	char	 log_level[16];		/* "" = [actord] log_level */
};

struct config {
	char	 path[CONFIG_PATH_MAX];	/* file read; "" for defaults */

	/* [actord] */
	char	 state_dir[CONFIG_PATH_MAX];	/* SQLite databases */
	char	 run_dir[CONFIG_PATH_MAX];	/* sockets, pid file */
	char	 program_dir[CONFIG_PATH_MAX];	/* child programs */
	char	 web_dir[CONFIG_PATH_MAX];	/* dashboard files */
	int	 log_level;			/* LOG_* */
	int	 control_mode;			/* actord.sock permissions */
	int	 socket_mode;			/* actor sockets' permissions */

	/* [supervisor] */
	int	 strategy;		/* enum strategy */
	int	 max_restarts;		/* restart intensity ... */
	int	 max_seconds;		/* ... per this many seconds */
	int	 backoff_initial_ms;	/* delay of the 2nd quick restart */
	int	 backoff_max_ms;	/* cap of the doubling */
	int	 stable_ms;		/* up this long resets the backoff */
	int	 ready_timeout_ms;	/* a child must be Ready within */
	int	 tree_refresh_ms;	/* counters re-read, tree watched */

	/* [transport] */
	long	 max_frame_bytes;	/* larger frames drop the peer */
	long	 queue_high_bytes;	/* a peer over this is congested */
	long	 queue_max_bytes;	/* a peer over this is dropped */
	int	 reconnect_initial_ms;	/* first reconnect delay */
	int	 reconnect_max_ms;	/* reconnect delay cap */

	struct child_conf child[CHILD_COUNT];

	/* [coordinator] */
	int	 max_attempts;		/* runs of a task before it fails */
	int	 dedupe_window_s;	/* how long a message id is remembered */
	int	 push_interval_ms;	/* StatusUpdated coalescing */
	int	 coordinator_sync;	/* PRAGMA synchronous: 1 NORMAL, 2 FULL */
	int	 recent_tasks;		/* 'recent' list length */
	int	 queue_preview;		/* 'next' list length */
	int	 finished_tasks;	/* finished tasks kept; 0: all */
	int	 unacked_events;	/* events kept for the event log */
	int	 group_commit;		/* one commit per turn; 0: per message */
	int	 finished_max_age_s;	/* finished tasks kept this long; 0 */
	char	 queues[1024];		/* "name[:concurrency] ..." */
	int	 queues_open;		/* tasks may name other queues */
	int	 watches_per_watcher;	/* tasks one session may watch */
	int	 watches_per_task;	/* sessions watching one task */
	int	 watch_keep_ms;		/* a watcher's return after a restart */
	int	 max_workers;		/* workers registered at once */
	int	 metrics_series;	/* (kind, queue) label pairs, then "other" */

	/* [worker] */
	int	 worker_sync;

	/* [kind.NAME]: the operator's task kinds (kinds.h) */
	struct kind_conf kinds[KINDS_MAX];
	int	 nkinds;

	/* [eventlog] */
	int	 retention;		/* events kept */
	int	 eventlog_sync;

	/* [gateway] */
	char	 listen[128];		/* host:port */
	int	 max_sessions;		/* concurrent WebSocket sessions */
	int	 session_pool;		/* pre-started idle sessions */
	int	 max_header_bytes;	/* request head limit */
	int	 header_timeout_ms;	/* whole request head within */
	char	 allowed_origins[1024];	/* space-separated; "" = any */
	char	 access_token[256];	/* "" = none required */
	int	 echo;			/* serve /echo */
	int	 metrics;		/* serve /metrics */
	char	 metrics_token[256];	/* also accepted on /metrics */
	int	 metrics_timeout_ms;	/* a scrape's wait per process */

	/* [session] */
	long	 max_message_bytes;	/* WebSocket message limit */
	long	 echo_max_message_bytes;/* ... on /echo */
	int	 rate_limit;		/* messages per second */
	int	 rate_burst;		/* messages above the rate */
	int	 ping_interval_ms;	/* server pings */
	int	 pong_timeout_ms;	/* close if no pong within */
	int	 actor_wait_ms;		/* wait for a restarting actor */
	long	 send_queue_bytes;	/* slow client: coalesce, then 1008 */
	int	 sandbox;		/* confine sessions (sandbox.c) */

	/* [cluster]: empty host, no cluster (docs/cluster.md) */
	char	 cluster_name[64];	/* the NATS subjects' prefix */
	char	 host[HOST_MAX + 1];	/* this host's name; "": one host */
	char	 nats[1024];		/* NATS server URLs */
	char	 roles_text[128];	/* "coordinator worker gateway" */
	unsigned roles;			/* ROLE_* of roles_text */
	char	 nats_user[128];
	char	 nats_password[256];
	char	 nats_nkey[128];		/* the nkey's public key */
	char	 nats_nkey_seed_file[CONFIG_PATH_MAX];
	char	 nats_ca_file[CONFIG_PATH_MAX];	/* TLS to NATS if set */
	int	 announce_ms;		/* presence every */
	int	 host_down_after_ms;	/* silent this long: down */
	int	 host_dead_after_s;	/* down this long: tasks requeued */
	long	 link_batch_bytes;	/* frames per NATS message, at most */
	long	 link_pending_bytes;	/* held while NATS is away, at most */
	int	 link_wait_ms;		/* a send waits for NATS this long */
	int	 link_remote_sessions_max; /* other hosts' sessions known */

	/* errors of the last load, "file:line: text" */
	int	 nerrors;
	char	 errors[CONFIG_MAX_ERRORS][256];
};

void	config_defaults(struct config *cfg);
/* Load path (NULL: defaults only); -1 with cfg->errors filled in. */
int	config_load(struct config *cfg, const char *path);
/*
 * Look on disk for what the file names (each kind's program and cwd);
 * actord does, its children do not.  -1 with cfg->errors filled in.
 */
int	config_check_files(struct config *cfg);
/* Load the file named by $ACTORD_CONFIG, or defaults; for child programs. */
int	config_load_env(struct config *cfg);
void	config_print_errors(const struct config *cfg, FILE *fp);
/* Write the effective configuration as a commented INI file. */
void	config_write(const struct config *cfg, FILE *fp);
/* The log level of child program name: its own, or the tree's. */
int	config_log_level(const struct config *cfg, const char *name);
/* Whether this tree runs child id: its role is this host's (and link: a cluster). */
int	config_child_runs(const struct config *cfg, int id);
const char *restart_name(int restart);
const char *strategy_name(int strategy);

#endif
