/*
 * The configuration: see config.h.  Adding a key is one field in struct
 * config and one row in keys[] below; parsing, defaults, range checks and
 * `actord -p` follow from the row.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "log.h"

enum ctype {
	C_STR,		/* string, up to the field's size */
	C_PATH,		/* string, made absolute against the cwd */
	C_LEVELSTR,	/* string: a log level name, or empty */
	C_INT,		/* integer in [min, max] */
	C_SIZE,		/* bytes, with an optional k, m or g suffix */
	C_ENUM,		/* one of names[] */
	C_LEVEL,	/* a log level name */
	C_MODE,		/* octal file mode */
	C_BOOL,		/* yes/no, true/false, on/off, 1/0 */
	/* A [kind.NAME]'s own (set_kind_key()): */
	C_OPT,		/* empty, or an integer in [min, max]; with a has_ */
	C_FRAC,		/* empty, or a number from 0 to 1; with a has_ */
	C_OPTSTR,	/* empty, or one of names[], kept as text */
	C_WORDS,	/* argv: words, appended line after line */
	C_ENV,		/* env: NAME=value words, appended */
	C_ABS,		/* an absolute path, taken as it is */
	C_INPUT,	/* stdin, args or none */
};

struct key {
	const char		*section;
	const char		*name;
	enum ctype		 type;
	size_t			 off;
	size_t			 size;
	long			 min, max;
	const char *const	*names;
	const char		*def;		/* parsed like file input */
	const char		*doc;
	/* A child's own key: its section, its default in its tree row. */
	const char *const	*tree_section;	/* NULL: section */
	const char *const	*tree_def;	/* NULL: def */
	size_t			 has;		/* C_OPT, C_FRAC: its has_ */
};

static const char *const restart_names[] = {
	"permanent", "transient", "temporary", NULL,
};
static const char *const strategy_names[] = {
	"one_for_one", "rest_for_one", "one_for_all", NULL,
};
static const char *const sync_names[] = {
	"off", "normal", "full", NULL,
};

#define FIELD(f)	offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define KEY(s, k, t, f, lo, hi, n, d, doc)				\
	{ s, k, t, FIELD(f), lo, hi, n, d, doc, NULL, NULL, 0 }
#define STR(s, k, f, d, doc)	KEY(s, k, C_STR, f, 0, 0, NULL, d, doc)
#define PATH(s, k, f, d, doc)	KEY(s, k, C_PATH, f, 0, 0, NULL, d, doc)
#define INT(s, k, f, lo, hi, d, doc) KEY(s, k, C_INT, f, lo, hi, NULL, d, doc)
#define SIZE(s, k, f, lo, hi, d, doc) KEY(s, k, C_SIZE, f, lo, hi, NULL, d, doc)
#define ENUM(s, k, f, n, d, doc) KEY(s, k, C_ENUM, f, 0, 0, n, d, doc)
#define LEVEL(s, k, f, d, doc)	KEY(s, k, C_LEVEL, f, 0, 0, NULL, d, doc)
#define MODE(s, k, f, d, doc)	KEY(s, k, C_MODE, f, 0, 0777, NULL, d, doc)
#define BOOL(s, k, f, d, doc)	KEY(s, k, C_BOOL, f, 0, 1, NULL, d, doc)
/*
 * A child's own keys, in the section its row of the process tree names
 * (child.h), with that row's defaults.
 */
#define CHILD(id)							\
	{ NULL, "restart", C_ENUM, FIELD(child[id].restart), 0, 0,	\
	    restart_names, NULL, "permanent, transient (only after a "	\
	    "failure) or temporary", &child_specs[id].name,		\
	    &child_specs[id].restart, 0 },				\
	{ NULL, "shutdown_timeout_ms", C_INT,				\
	    FIELD(child[id].shutdown_timeout_ms), 1, 600000, NULL, NULL, \
	    "SIGTERM, then SIGKILL after this long", &child_specs[id].name, \
	    &child_specs[id].shutdown_timeout_ms, 0 },			\
	{ NULL, "log_level", C_LEVELSTR, FIELD(child[id].log_level), 0, 0, \
	    NULL, "", "this process's log level; empty: [actord] log_level", \
	    &child_specs[id].name, NULL, 0 }

#define KiB	1024L
#define MiB	(1024L * 1024)

static const struct key keys[] = {
	PATH("actord", "state_dir", state_dir, "./var/state",
	    "SQLite databases, one per actor kind"),
	PATH("actord", "run_dir", run_dir, "./var/run",
	    "sockets and the pid file"),
	PATH("actord", "program_dir", program_dir, "",
	    "where the child programs are; empty: next to actord"),
	PATH("actord", "web_dir", web_dir, "./web",
	    "the dashboard's files"),
	LEVEL("actord", "log_level", log_level, "info",
	    "debug, info, notice, warning or error"),
	MODE("actord", "control_mode", control_mode, "0600",
	    "permissions of the control socket actord.sock"),
	MODE("actord", "socket_mode", socket_mode, "0660",
	    "permissions of the actor sockets"),

	ENUM("supervisor", "strategy", strategy, strategy_names,
	    "one_for_one", "one_for_one, rest_for_one or one_for_all"),
	/* At most INTENSITY_SLOTS - 1: the restart times the policy keeps. */
	INT("supervisor", "max_restarts", max_restarts, 0, 1000, "10",
	    "more restarts than this within max_seconds stop the tree"),
	INT("supervisor", "max_seconds", max_seconds, 1, 86400, "10",
	    "the restart intensity window"),
	INT("supervisor", "backoff_initial_ms", backoff_initial_ms, 0,
	    3600000, "100", "delay before a child's second quick restart; "
	    "doubles after"),
	INT("supervisor", "backoff_max_ms", backoff_max_ms, 0, 3600000,
	    "5000", "cap of the restart delay"),
	INT("supervisor", "stable_ms", stable_ms, 0, 3600000, "10000",
	    "a child up this long restarts without delay again"),
	INT("supervisor", "ready_timeout_ms", ready_timeout_ms, 10, 600000,
	    "10000", "a child not Ready within this is killed"),
	INT("supervisor", "tree_refresh_ms", tree_refresh_ms, 100, 60000,
	    "1000", "each process's message counters are read this often "
	    "while a session watches the tree"),

	SIZE("transport", "max_frame_bytes", max_frame_bytes, 64, 1024 * MiB,
	    "1M", "larger frames between processes drop the connection"),
	SIZE("transport", "queue_high_bytes", queue_high_bytes, 1024,
	    4096 * MiB, "4M", "a peer with more unsent bytes is congested"),
	SIZE("transport", "queue_max_bytes", queue_max_bytes, 1024,
	    4096 * MiB, "64M", "a peer with more unsent bytes is dropped"),
	INT("transport", "reconnect_initial_ms", reconnect_initial_ms, 1,
	    60000, "10", "first delay before reconnecting to a peer"),
	INT("transport", "reconnect_max_ms", reconnect_max_ms, 1, 600000,
	    "1000", "cap of the reconnect delay"),

	CHILD(CHILD_EVENTLOG),
	INT("eventlog", "retention", retention, 1, 100000000, "10000",
	    "events kept; older ones are deleted"),
	ENUM("eventlog", "synchronous", eventlog_sync, sync_names, "normal",
	    "SQLite synchronous: off, normal or full"),

	CHILD(CHILD_COORDINATOR),
	INT("coordinator", "max_attempts", max_attempts, 1, 1000, "3",
	    "runs of a task (its worker died) before it fails"),
	INT("coordinator", "dedupe_window_s", dedupe_window_s, 0, 86400 * 7,
	    "600", "how long a command's message id is remembered"),
	INT("coordinator", "push_interval_ms", push_interval_ms, 0, 60000,
	    "50", "at most one StatusUpdated per subscriber this often"),
	ENUM("coordinator", "synchronous", coordinator_sync, sync_names,
	    "full", "SQLite synchronous: off, normal or full"),
	INT("coordinator", "recent_tasks", recent_tasks, 0, 1000, "20",
	    "finished tasks listed in StatusUpdated"),
	INT("coordinator", "queue_preview", queue_preview, 0, 1000, "10",
	    "queued task ids listed in StatusUpdated"),
	INT("coordinator", "finished_tasks", finished_tasks, 0, 1000000000,
	    "100000", "finished tasks kept in the database; 0: all"),
	INT("coordinator", "unacked_events", unacked_events, 1, 100000000,
	    "100000", "events kept until the event log acks them; past it: "
	    "drop the oldest"),
	BOOL("coordinator", "group_commit", group_commit, "yes",
	    "one commit per loop turn; no: one per message (for comparison)"),
	INT("coordinator", "finished_max_age_s", finished_max_age_s, 0,
	    86400 * 3650, "0", "finished tasks older than this are deleted; "
	    "0: kept by count alone"),
	STR("coordinator", "queues", queues, "default",
	    "named queues, each name[:concurrency] (at most that many of its "
	    "tasks run at once), space-separated"),
	BOOL("coordinator", "queues_open", queues_open, "yes",
	    "a task may name a queue not listed (at most 64 queues)"),
	INT("coordinator", "watches_per_watcher", watches_per_watcher, 1,
	    1000000, "1000", "tasks one session may watch at once"),
	INT("coordinator", "watches_per_task", watches_per_task, 1, 100000,
	    "64", "sessions that may watch one task"),
	INT("coordinator", "max_workers", max_workers, 1, 1000000, "10000",
	    "workers registered at once; RegisterWorker past it is refused"),
	INT("coordinator", "watch_keep_ms", watch_keep_ms, 100, 3600000,
	    "10000", "after a restart, how long the watches of a session of "
	    "this host wait for it to connect again before they are dropped "
	    "(at least twice reconnect_max_ms)"),
	INT("coordinator", "metrics_series", metrics_series, 1, 10000, "100",
	    "(kind, queue) pairs the task metrics name; later pairs are "
	    "counted as kind and queue \"other\""),

	CHILD(CHILD_WORKER),
	ENUM("worker", "synchronous", worker_sync, sync_names, "normal",
	    "SQLite synchronous: off, normal or full"),

	CHILD(CHILD_LINK),
	CHILD(CHILD_GATEWAY),
	STR("gateway", "listen", listen, "127.0.0.1:8787",
	    "host:port of the HTTP and WebSocket listener; port 0: any"),
	INT("gateway", "max_sessions", max_sessions, 1, 1000000, "1024",
	    "concurrent WebSocket sessions; past it: 503"),
	INT("gateway", "session_pool", session_pool, 0, 1024, "4",
	    "idle session processes kept ready"),
	INT("gateway", "max_header_bytes", max_header_bytes, 512, 1 * MiB,
	    "8192", "largest HTTP request head"),
	INT("gateway", "header_timeout_ms", header_timeout_ms, 100, 600000,
	    "10000", "a request head must arrive within this"),
	STR("gateway", "allowed_origins", allowed_origins, "",
	    "space-separated Origin values; empty: any"),
	STR("gateway", "access_token", access_token, "",
	    "required ?token= or Bearer token; empty: none"),
	BOOL("gateway", "echo", echo, "yes", "serve the /echo endpoint"),
	BOOL("gateway", "metrics", metrics, "yes",
	    "serve GET /metrics (Prometheus text format)"),
	STR("gateway", "metrics_token", metrics_token, "",
	    "a Bearer or ?token= also accepted on /metrics (besides "
	    "access_token); either set: one is required"),
	INT("gateway", "metrics_timeout_ms", metrics_timeout_ms, 10, 10000,
	    "500", "a scrape waits at most this long for the processes' "
	    "answers; one that did not answer is reported actord_up 0"),

	STR("cluster", "host", host, "",
	    "this host's name in the cluster (1-32 of a-z 0-9 -); empty: "
	    "one host, no cluster, no link"),
	STR("cluster", "name", cluster_name, "actord",
	    "the cluster's name, the prefix of its NATS subjects"),
	STR("cluster", "nats", nats, "nats://127.0.0.1:4222",
	    "NATS server URLs, space-separated: this host's first"),
	STR("cluster", "roles", roles_text, "coordinator worker gateway",
	    "what runs here: coordinator (with the event log; one host), "
	    "worker, gateway"),
	STR("cluster", "user", nats_user, "", "NATS user name"),
	STR("cluster", "password", nats_password, "", "NATS password"),
	STR("cluster", "nkey", nats_nkey, "",
	    "NATS nkey (the public key, U...), with nkey_seed_file"),
	PATH("cluster", "nkey_seed_file", nats_nkey_seed_file, "",
	    "the nkey's seed file, instead of user and password"),
	PATH("cluster", "ca_file", nats_ca_file, "",
	    "CA certificates: TLS to NATS, verified; empty: no TLS"),
	INT("cluster", "announce_ms", announce_ms, 50, 60000, "1000",
	    "each host announces itself this often"),
	INT("cluster", "host_down_after_ms", host_down_after_ms, 100, 600000,
	    "3000", "a host silent this long is down: its workers offline"),
	INT("cluster", "host_dead_after_s", host_dead_after_s, 0, 86400,
	    "30", "a host down this long is dead: its running tasks are "
	    "requeued (at-least-once)"),
	SIZE("cluster", "batch_bytes", link_batch_bytes, 4 * KiB, 64 * MiB,
	    "1M", "largest NATS message of batched frames"),
	SIZE("cluster", "pending_bytes", link_pending_bytes, 64 * KiB,
	    1024 * MiB, "16M", "frames held for NATS while it is away"),
	INT("cluster", "wait_ms", link_wait_ms, 0, 600000, "5000",
	    "a frame held that long for NATS is answered: unavailable"),
	INT("cluster", "remote_sessions_max", link_remote_sessions_max, 16,
	    10000000, "65536", "other hosts' sessions remembered, to purge "
	    "their subscriptions here when their host dies"),

	SIZE("session", "max_message_bytes", max_message_bytes, 128,
	    64 * MiB, "64k", "largest WebSocket message; larger: close 1009"),
	SIZE("session", "echo_max_message_bytes", echo_max_message_bytes, 128,
	    256 * MiB, "16M", "largest message on /echo"),
	INT("session", "rate_limit", rate_limit, 1, 1000000, "200",
	    "messages per second per connection"),
	INT("session", "rate_burst", rate_burst, 1, 1000000, "400",
	    "messages allowed above the rate in a burst"),
	INT("session", "ping_interval_ms", ping_interval_ms, 100, 3600000,
	    "30000", "the server pings this often"),
	INT("session", "pong_timeout_ms", pong_timeout_ms, 100, 3600000,
	    "10000", "no pong within this closes the connection"),
	INT("session", "actor_wait_ms", actor_wait_ms, 0, 600000, "5000",
	    "a restarting actor's messages wait this long, then: unavailable"),
	SIZE("session", "send_queue_bytes", send_queue_bytes, 4 * KiB,
	    1024 * MiB, "1M", "unsent bytes to a slow client before 1008"),
	BOOL("session", "sandbox", sandbox, "yes",
	    "confine each session: no files, exec, fork or ptrace; "
	    "docs/security.md"),
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/*
 * The keys of a [kind.NAME] section, a task kind that runs a command
 * (kinds.h): fields of its struct kind_conf.
 */
#define KFIELD(f)	offsetof(struct kind_conf, f),			\
	sizeof(((struct kind_conf *)0)->f)
#define KKEY(k, t, f, lo, hi, n, d, doc)				\
	{ "kind.NAME", k, t, KFIELD(f), lo, hi, n, d, doc, NULL, NULL, 0 }
#define KOPT(k, t, f, lo, hi, n, doc)					\
	{ "kind.NAME", k, t, KFIELD(retry.f), lo, hi, n, "", doc, NULL,	\
	    NULL, offsetof(struct kind_conf, retry.has_##f) }

static const char *const backoff_names[] = {
	"fixed", "exponential", NULL,
};
static const char *const kind_input_names[] = {
	"stdin", "args", "none", NULL,
};

static const struct key kind_keys[] = {
	KKEY("argv", C_WORDS, argv, 0, 0, NULL, "",
	    "required: the program (an absolute path) and its fixed "
	    "arguments, split as sh would without any expansion; more argv "
	    "lines add words"),
	KKEY("env", C_ENV, env, 0, 0, NULL, "",
	    "NAME=value words: the program's whole environment, nothing "
	    "inherited; more env lines add entries"),
	KKEY("cwd", C_ABS, cwd, 0, 0, NULL, "/",
	    "the program's working directory, an absolute path"),
	KKEY("input", C_INPUT, input, 0, 0, kind_input_names, "none",
	    "stdin: the task's input as JSON on stdin; args: an array of "
	    "strings after argv; none: no input"),
	KKEY("max_args", C_INT, max_args, 0, KIND_ARGS_MAX, NULL, "64",
	    "input = args: the most strings a task may give"),
	KKEY("max_arg_bytes", C_SIZE, max_arg_bytes, 1, 128 * KiB, NULL, "4k",
	    "input = args: the longest string"),
	KKEY("max_stdin_bytes", C_SIZE, max_stdin_bytes, 0, 64 * MiB, NULL,
	    "64k", "input = stdin: the most bytes of JSON"),
	KKEY("timeout_ms", C_INT, timeout_ms, 0, (long)TASK_TIMEOUT_MAX_MS,
	    NULL, "0", "a task that asks no timeoutMs is killed after this "
	    "long; 0: never"),
	KKEY("timeout_max_ms", C_INT, timeout_max_ms, 0,
	    (long)TASK_TIMEOUT_MAX_MS, NULL, "0",
	    "the longest timeoutMs a task may ask; 0: no cap"),
	KKEY("grace_ms", C_INT, grace_ms, 0, 600000, NULL, "5000",
	    "on timeout or cancel: SIGTERM to the process group, SIGKILL "
	    "this long after"),
	KKEY("max_output_bytes", C_SIZE, max_output_bytes, 64, 256 * MiB,
	    NULL, "64k", "of stdout and of stderr each kept; past it the "
	    "first and last halves, a marker between"),
	KKEY("rlimit_cpu_s", C_INT, rlimit_cpu_s, 0, 7 * 86400L, NULL, "0",
	    "RLIMIT_CPU seconds; 0: the worker's"),
	KKEY("rlimit_as_bytes", C_SIZE, rlimit_as_bytes, 0, 1024L * 1024 * MiB,
	    NULL, "0", "RLIMIT_AS, address space; 0: the worker's"),
	KKEY("rlimit_nofile", C_INT, rlimit_nofile, 0, 1048576, NULL, "0",
	    "RLIMIT_NOFILE, open files; 0: the worker's"),
	{ "kind.NAME", "nice", C_OPT, KFIELD(nice), -20, 19, NULL, "",
	    "the program's nice value, -20 to 19; empty: the worker's",
	    NULL, NULL, offsetof(struct kind_conf, has_nice) },
	KOPT("max_attempts", C_OPT, max_attempts, 1, 1000, NULL,
	    "runs of a task in all when it fails; empty: the task's or the "
	    "coordinator's"),
	{ "kind.NAME", "backoff", C_OPTSTR, KFIELD(retry.backoff), 0, 0,
	    backoff_names, "", "before a retry: fixed or exponential; empty: "
	    "the task's or the coordinator's", NULL, NULL, 0 },
	KOPT("backoff_base_ms", C_OPT, base_ms, 0, (long)DELAY_MAX_MS, NULL,
	    "the first delay before a retry"),
	KOPT("backoff_max_ms", C_OPT, max_ms, 0, (long)DELAY_MAX_MS, NULL,
	    "the longest delay before a retry"),
	KOPT("jitter", C_FRAC, jitter, 0, 1, NULL,
	    "a random part of each delay, from 0 to 1"),
};

#define NKINDKEYS	(sizeof(kind_keys) / sizeof(kind_keys[0]))

/* The section a key is in: its own, or its child's name. */
static const char *
key_section(const struct key *k)
{
	return k->tree_section != NULL ? *k->tree_section : k->section;
}

/* A key's default, as config text: its own, or its child's row's. */
static const char *
key_default(const struct key *k)
{
	return k->tree_def != NULL ? *k->tree_def : k->def;
}

struct parse {
	struct config	*cfg;
	const char	*file;
	FILE		*fp;
	int		 line;
};

/* The kind whose section is called section ("kind.NAME"), or NULL. */
static struct kind_conf *
kind_section(struct config *cfg, const char *section)
{
	int	 i;

	if (strncmp(section, "kind.", 5) != 0)
		return NULL;
	for (i = 0; i < cfg->nkinds; i++)
		if (strcmp(cfg->kinds[i].name, section + 5) == 0)
			return &cfg->kinds[i];
	return NULL;
}

/* Record an error as "file:line: text". */
static void
add_error(struct config *cfg, const char *file, int line, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
add_error(struct config *cfg, const char *file, int line, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*e;
	int	 n = 0;

	if (cfg->nerrors >= CONFIG_MAX_ERRORS)
		return;
	e = cfg->errors[cfg->nerrors++];
	if (line > 0)
		n = snprintf(e, 256, "%s:%d: ", file, line);
	else
		n = snprintf(e, 256, "%s: ", file);
	if (n < 0 || n >= 256)
		return;
	va_start(ap, fmt);
	vsnprintf(e + n, 256 - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Parse a size with an optional k/m/g suffix, refusing overflow. */
static int
parse_size(const char *s, long *out)
{
	char		*end;
	long long	 v, mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		mult = 1024, end++;
		break;
	case 'm': case 'M':
		mult = 1024 * 1024, end++;
		break;
	case 'g': case 'G':
		mult = 1024 * 1024 * 1024, end++;
		break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0' || v > LONG_MAX / mult)
		return -1;
	*out = (long)(v * mult);
	return 0;
}

/* The words of a NUL-separated list: the bytes its n words take. */
static size_t
words_used(const char *buf, int n)
{
	size_t	 u = 0;

	while (n-- > 0)
		u += strlen(buf + u) + 1;
	return u;
}

/* Does one of the n words in buf start with the len bytes of prefix? */
static int
words_find(const char *buf, int n, const char *prefix, size_t len)
{
	while (n-- > 0) {
		if (strncmp(buf, prefix, len) == 0)
			return 1;
		buf += strlen(buf) + 1;
	}
	return 0;
}

/* A variable's name: a letter or '_', then letters, digits or '_'. */
static int
env_name_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/*
 * argv or env of kind kc: the words of one more line, appended.  argv's
 * first word is the program: an absolute path (config_check_files()
 * looks for it on disk); env's are NAME=value, each name once, and
 * none the marker the worker keeps for itself.
 */
static const char *
set_words(struct kind_conf *kc, const struct key *k, const char *value)
{
	static char	 why[160];
	char		 tmp[KIND_TEXT_MAX], *w, *eq;
	size_t		 used = 0, len, off;
	int		 n = 0, i, total;

	if (kind_split(value, tmp, sizeof(tmp), &used, &n, KIND_WORDS_MAX,
	    why, sizeof(why)) == -1)
		return why;
	if (n == 0)
		return "no words";
	if (k->type == C_WORDS) {
		if (kc->argc == 0 && tmp[0] != '/')
			return "the program must be an absolute path";
		total = kc->argc;
		off = words_used(kc->argv, kc->argc);
		w = kc->argv;
	} else {
		for (w = tmp, i = 0; i < n; i++, w += strlen(w) + 1) {
			if ((eq = strchr(w, '=')) == NULL ||
			    !env_name_valid(w, (size_t)(eq - w))) {
				snprintf(why, sizeof(why), "'%.40s' is not "
				    "NAME=value", w);
				return why;
			}
			len = (size_t)(eq - w) + 1;
			if (strncmp(w, KIND_MARKER "=", len) == 0)
				return KIND_MARKER " is the worker's own";
			if (words_find(kc->env, kc->nenv, w, len) ||
			    words_find(tmp, i, w, len)) {
				snprintf(why, sizeof(why), "%.*s is set twice",
				    (int)len - 1, w);
				return why;
			}
		}
		total = kc->nenv;
		off = words_used(kc->env, kc->nenv);
		w = kc->env;
	}
	if (total + n > KIND_WORDS_MAX) {
		snprintf(why, sizeof(why), "more than %d words in all",
		    KIND_WORDS_MAX);
		return why;
	}
	if (off + used > KIND_TEXT_MAX) {
		snprintf(why, sizeof(why), "longer than %d bytes in all",
		    KIND_TEXT_MAX);
		return why;
	}
	memcpy(w + off, tmp, used);
	if (k->type == C_WORDS)
		kc->argc += n;
	else
		kc->nenv += n;
	return NULL;
}

/*
 * Store value into the field a key describes, at base (the struct config,
 * or a struct kind_conf for a kind's key); NULL or an error text.
 */
static const char *
set_key(void *base, const struct key *k, const char *value)
{
	static char	 why[160];
	char		*p = (char *)base + k->off, *end;
	long		 v = 0;
	double		 d;
	int		 i;

	switch (k->type) {
	case C_STR:
	case C_PATH:
	case C_LEVELSTR:
	case C_ABS:
		if (strlen(value) >= k->size) {
			snprintf(why, sizeof(why), "longer than %zu bytes",
			    k->size - 1);
			return why;
		}
		if (k->type == C_LEVELSTR && value[0] != '\0' &&
		    log_level_parse(value) == -1)
			return "not a log level (debug, info, notice, "
			    "warning, error)";
		if (k->type == C_ABS && value[0] != '/')
			return "not an absolute path";
		if (k->type == C_PATH && value[0] != '\0' &&
		    value[0] != '/') {
			char	 cwd[CONFIG_PATH_MAX];
			int	 n;

			if (getcwd(cwd, sizeof(cwd)) == NULL)
				return "cannot get the current directory";
			if (strncmp(value, "./", 2) == 0)
				value += 2;
			n = snprintf(p, k->size, "%s/%s", cwd, value);
			if (n < 0 || (size_t)n >= k->size)
				return "path too long";
			return NULL;
		}
		memcpy(p, value, strlen(value) + 1);
		return NULL;
	case C_WORDS:
	case C_ENV:
		if (value[0] == '\0')		/* a default: none */
			return NULL;
		return set_words(base, k, value);
	case C_OPTSTR:
		if (value[0] != '\0') {
			for (i = 0; k->names[i] != NULL; i++)
				if (strcmp(value, k->names[i]) == 0)
					break;
			if (k->names[i] == NULL)
				return "not one of the allowed values";
		}
		snprintf(p, k->size, "%s", value);
		return NULL;
	case C_FRAC:
		*(bool *)((char *)base + k->has) = value[0] != '\0';
		d = 0;
		if (value[0] != '\0') {
			errno = 0;
			d = strtod(value, &end);
			if (errno != 0 || end == value || *end != '\0' ||
			    !(d >= 0 && d <= 1))
				return "not a number from 0 to 1";
		}
		*(double *)(void *)p = d;
		return NULL;
	case C_OPT:
		*(bool *)((char *)base + k->has) = value[0] != '\0';
		if (value[0] == '\0')
			break;
		/* FALLTHROUGH */
	case C_INT:
	case C_SIZE:
		if (k->type != C_SIZE) {
			errno = 0;
			v = strtol(value, &end, 10);
			if (errno != 0 || end == value || *end != '\0')
				return "not an integer";
		} else if (parse_size(value, &v) == -1)
			return "not a size (a number with k, m or g)";
		if (v < k->min || v > k->max) {
			snprintf(why, sizeof(why), "out of range %ld..%ld",
			    k->min, k->max);
			return why;
		}
		break;
	case C_ENUM:
	case C_INPUT:
		for (i = 0; k->names[i] != NULL; i++)
			if (strcmp(value, k->names[i]) == 0)
				break;
		if (k->names[i] == NULL)
			return "not one of the allowed values";
		v = k->type == C_INPUT ? KIND_INPUT_STDIN + i : i;
		break;
	case C_LEVEL:
		if ((v = log_level_parse(value)) == -1)
			return "not a log level (debug, info, notice, "
			    "warning, error)";
		break;
	case C_MODE:
		errno = 0;
		v = strtol(value, &end, 8);
		if (errno != 0 || end == value || *end != '\0' || v < 0 ||
		    v > 0777)
			return "not an octal file mode";
		break;
	case C_BOOL:
		if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") ||
		    !strcasecmp(value, "on") || !strcmp(value, "1"))
			v = 1;
		else if (!strcasecmp(value, "no") ||
		    !strcasecmp(value, "false") ||
		    !strcasecmp(value, "off") || !strcmp(value, "0"))
			v = 0;
		else
			return "not a boolean (yes or no)";
		break;
	}
	if (k->size == sizeof(long))
		*(long *)(void *)p = v;
	else
		*(int *)(void *)p = (int)v;
	return NULL;
}

void
config_defaults(struct config *cfg)
{
	size_t		 i;
	const char	*why;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++)
		if ((why = set_key(cfg, &keys[i], key_default(&keys[i]))) !=
		    NULL)
			fatalx("config: default of %s.%s: %s",
			    key_section(&keys[i]), keys[i].name, why);
	cfg->roles = ROLE_ALL;
}

static void	kind_open(struct parse *, const char *);

/*
 * inih reader: fgets that counts lines for error messages.  Leading blanks
 * are dropped: inih takes an indented line for the continuation of the
 * previous key's value, so an indented "echo = no" under "access_token = x"
 * would set the token to "echo = no".  Here an indented key is a key.
 *
 * A line longer than inih's buffer (num - 1 bytes) would reach it in
 * pieces: the key with a cut value, then the rest as a line of its own,
 * and every later line number one off.  It is one error at its line and
 * an empty line for inih.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct parse	*ps = stream;
	size_t		 len, skip;
	int		 c;

	if (fgets(str, num, ps->fp) == NULL)
		return NULL;
	ps->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' &&
	    (c = getc(ps->fp)) != EOF && c != '\n') {
		add_error(ps->cfg, ps->file, ps->line, "line too long (the "
		    "limit is %d bytes)", num - 1);
		while ((c = getc(ps->fp)) != EOF && c != '\n')
			;
		str[0] = '\0';
		return str;
	}
	skip = strspn(str, " \t");
	memmove(str, str + skip, strlen(str + skip) + 1);
	if (strncmp(str, "[kind.", 6) == 0)
		kind_open(ps, str + 1);
	return str;
}

/*
 * A [kind.NAME] header, seen by the reader (inih calls the handler for
 * keys only, so an empty section would go unseen): the kind is made with
 * its defaults, or the header is refused here, at its line.  Its keys
 * then find it by name; those of a refused header are dropped quietly.
 */
static void
kind_open(struct parse *ps, const char *header)
{
	struct config	*cfg = ps->cfg;
	struct kind_conf *kc;
	const char	*name = header + 5, *why;
	size_t		 len = strcspn(name, "]"), i;

	if (name[len] != ']')
		return;			/* inih says it is a syntax error */
	if (len == 0 || len > TASK_KIND_MAX || !name_valid(name, len)) {
		add_error(cfg, ps->file, ps->line, "[kind.%.*s]: a kind's "
		    "name is 1-%d letters, digits, '.', '_' or '-'",
		    (int)(len > 64 ? 64 : len), name, TASK_KIND_MAX);
		return;
	}
	for (i = 0; i < kind_count(NULL); i++)
		if (strncmp(kind_at(NULL, i)->name, name, len) == 0 &&
		    kind_at(NULL, i)->name[len] == '\0') {
			add_error(cfg, ps->file, ps->line, "[kind.%.*s]: a "
			    "built-in kind's name", (int)len, name);
			return;
		}
	for (i = 0; i < (size_t)cfg->nkinds; i++)
		if (strncmp(cfg->kinds[i].name, name, len) == 0 &&
		    cfg->kinds[i].name[len] == '\0') {
			add_error(cfg, ps->file, ps->line, "[kind.%.*s] is "
			    "defined twice (first at line %d)", (int)len, name,
			    cfg->kinds[i].line);
			return;
		}
	if (cfg->nkinds >= KINDS_MAX) {
		add_error(cfg, ps->file, ps->line, "[kind.%.*s]: more than "
		    "%d kinds", (int)len, name, KINDS_MAX);
		return;
	}
	kc = &cfg->kinds[cfg->nkinds++];
	memset(kc, 0, sizeof(*kc));
	snprintf(kc->name, sizeof(kc->name), "%.*s", (int)len, name);
	kc->line = ps->line;
	for (i = 0; i < NKINDKEYS; i++)
		if ((why = set_key(kc, &kind_keys[i], kind_keys[i].def)) !=
		    NULL)
			fatalx("config: default of kind %s: %s",
			    kind_keys[i].name, why);
}

/* One key of a [kind.NAME] section. */
static int
kind_handler(struct parse *ps, const char *section, const char *name,
    const char *value)
{
	struct kind_conf	*kc;
	const char		*why;
	size_t			 i;

	if ((kc = kind_section(ps->cfg, section)) == NULL)
		return 1;		/* its header was refused */
	for (i = 0; i < NKINDKEYS; i++) {
		if (strcmp(name, kind_keys[i].name) != 0)
			continue;
		/* A refused argv is not also a missing one. */
		if (kind_keys[i].type == C_WORDS && kc->argv_line == 0 &&
		    value[0] != '\0')
			kc->argv_line = ps->line;
		if ((why = set_key(kc, &kind_keys[i], value)) != NULL)
			add_error(ps->cfg, ps->file, ps->line,
			    "[%s] %s = %s: %s", section, name, value, why);
		return 1;
	}
	add_error(ps->cfg, ps->file, ps->line, "unknown key '%s' in [%s]",
	    name, section);
	return 1;
}

/* inih handler: one key; errors are recorded, parsing goes on. */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse	*ps = user;
	const char	*why;
	size_t		 i;
	int		 known_section = 0;

	if (name == NULL)		/* a section header alone */
		return 1;
	if (strncmp(section, "kind.", 5) == 0)
		return kind_handler(ps, section, name, value);
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(section, key_section(&keys[i])) != 0)
			continue;
		known_section = 1;
		if (strcmp(name, keys[i].name) != 0)
			continue;
		if ((why = set_key(ps->cfg, &keys[i], value)) != NULL)
			add_error(ps->cfg, ps->file, ps->line,
			    "[%s] %s = %s: %s", section, name, value, why);
		return 1;
	}
	if (!known_section)
		add_error(ps->cfg, ps->file, ps->line,
		    "unknown section [%s]", section);
	else
		add_error(ps->cfg, ps->file, ps->line,
		    "unknown key '%s' in [%s]", name, section);
	return 1;
}

/* The longest "/<name>.sock" actord makes under run_dir, with its NUL. */
static size_t
longest_socket(void)
{
	size_t	 n = sizeof("/" CONTROL_SOCKET ".sock"), len;
	int	 i;

	if (sizeof("/" SYSTEM_SOCKET ".sock") > n)
		n = sizeof("/" SYSTEM_SOCKET ".sock");
	for (i = 0; i < CHILD_COUNT; i++) {
		len = sizeof("/.sock") + strlen(child_specs[i].name);
		if (child_specs[i].listen == LISTEN_UNIX && len > n)
			n = len;
	}
	return n;
}

/* Each kind's cross-field checks, at its [kind.NAME] line. */
static void
validate_kinds(struct config *cfg, const char *file)
{
	struct kind_conf	*kc;
	const struct msg_retry	*r;
	uint64_t		 need;
	int			 i;

	for (i = 0; i < cfg->nkinds; i++) {
		kc = &cfg->kinds[i];
		r = &kc->retry;
		if (kc->argv_line == 0)
			add_error(cfg, file, kc->line, "[kind.%s]: argv is "
			    "required (the program and its fixed arguments)",
			    kc->name);
		if (kc->timeout_max_ms > 0 && kc->timeout_ms == 0)
			add_error(cfg, file, kc->line, "[kind.%s]: "
			    "timeout_max_ms caps a task's timeout: set "
			    "timeout_ms, from 1 to %llu", kc->name,
			    (unsigned long long)kc->timeout_max_ms);
		else if (kc->timeout_max_ms > 0 &&
		    kc->timeout_ms > kc->timeout_max_ms)
			add_error(cfg, file, kc->line, "[kind.%s]: timeout_ms "
			    "%llu is over timeout_max_ms %llu", kc->name,
			    (unsigned long long)kc->timeout_ms,
			    (unsigned long long)kc->timeout_max_ms);
		if (r->has_base_ms && r->has_max_ms && r->base_ms > r->max_ms)
			add_error(cfg, file, kc->line, "[kind.%s]: "
			    "backoff_base_ms is over backoff_max_ms", kc->name);
		need = kind_result_max(kc) + KIND_REPORT_SLACK;
		if (need > (uint64_t)cfg->max_frame_bytes)
			add_error(cfg, file, kc->line, "[kind.%s]: "
			    "max_output_bytes %llu makes reports of up to %llu "
			    "bytes (stdout and stderr, base64 at worst), over "
			    "[transport] max_frame_bytes %ld", kc->name,
			    (unsigned long long)kc->max_output_bytes,
			    (unsigned long long)need, cfg->max_frame_bytes);
	}
}

/* Cross-field checks, after every key is read. */
/* [coordinator] queues: "name[:concurrency] ...", each name a name. */
static void
validate_queues(struct config *cfg, const char *file)
{
	char	 list[sizeof(cfg->queues)], *p, *word, *colon, *end;
	int	 n = 0;

	snprintf(list, sizeof(list), "%s", cfg->queues);
	for (p = list; (word = strsep(&p, " \t,")) != NULL;) {
		if (*word == '\0')
			continue;
		if ((colon = strchr(word, ':')) != NULL)
			*colon++ = '\0';
		if (!name_valid(word, strlen(word)))
			add_error(cfg, file, 0, "[coordinator] queues: %s is "
			    "not a name (letters, digits, '.', '_', '-')",
			    word);
		else if (colon != NULL && (strtoll(colon, &end, 10) < 0 ||
		    *colon == '\0' || *end != '\0'))
			add_error(cfg, file, 0, "[coordinator] queues: %s's "
			    "concurrency %s is not a number", word, colon);
		if (++n > 64)
			add_error(cfg, file, 0, "[coordinator] queues: more "
			    "than 64");
	}
}

/* [cluster]: the host's name, its roles. */
static void
validate_cluster(struct config *cfg, const char *file)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} roles[] = {
		{ "coordinator", ROLE_COORDINATOR },
		{ "worker", ROLE_WORKER },
		{ "gateway", ROLE_GATEWAY },
	};
	char	 list[sizeof(cfg->roles_text)], *p, *word;
	size_t	 i;

	cfg->roles = 0;
	snprintf(list, sizeof(list), "%s", cfg->roles_text);
	for (p = list; (word = strsep(&p, " \t,")) != NULL;) {
		if (*word == '\0')
			continue;
		for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
			if (strcmp(word, roles[i].name) == 0)
				break;
		if (i == sizeof(roles) / sizeof(roles[0]))
			add_error(cfg, file, 0, "[cluster] roles: %s is not "
			    "coordinator, worker or gateway", word);
		else
			cfg->roles |= roles[i].bit;
	}
	if (cfg->host[0] == '\0') {
		cfg->roles = ROLE_ALL;	/* one host runs everything */
		return;
	}
	if (!host_valid(cfg->host, strlen(cfg->host)))
		add_error(cfg, file, 0, "[cluster] host %s is not a host "
		    "name (1-%d of a-z, 0-9, '-')", cfg->host, HOST_MAX);
	if (!name_valid(cfg->cluster_name, strlen(cfg->cluster_name)))
		add_error(cfg, file, 0, "[cluster] name %s is not a name "
		    "(letters, digits, '.', '_', '-')", cfg->cluster_name);
	if (cfg->roles == 0)
		add_error(cfg, file, 0, "[cluster] roles: none");
	if (cfg->nats[strspn(cfg->nats, " \t,")] == '\0')
		add_error(cfg, file, 0, "[cluster] nats: no server URL");
	if (cfg->nats_nkey_seed_file[0] != '\0' && cfg->nats_user[0] != '\0')
		add_error(cfg, file, 0, "[cluster] user and nkey_seed_file: "
		    "one or the other");
	if (cfg->host_down_after_ms < 2 * cfg->announce_ms)
		add_error(cfg, file, 0, "[cluster] host_down_after_ms (%d) "
		    "must be at least twice announce_ms (%d): a host would go "
		    "down between two announcements", cfg->host_down_after_ms,
		    cfg->announce_ms);
	if ((cfg->nats_nkey[0] == '\0') != (cfg->nats_nkey_seed_file[0] ==
	    '\0'))
		add_error(cfg, file, 0, "[cluster] nkey and nkey_seed_file "
		    "go together");
}

int
config_child_runs(const struct config *cfg, int id)
{
	switch (id) {
	case CHILD_LINK:
		return cfg->host[0] != '\0';
	case CHILD_COORDINATOR:
	case CHILD_EVENTLOG:
		return (cfg->roles & ROLE_COORDINATOR) != 0;
	case CHILD_WORKER:
		return (cfg->roles & ROLE_WORKER) != 0;
	case CHILD_GATEWAY:
		return (cfg->roles & ROLE_GATEWAY) != 0;
	}
	return 1;
}

static void
validate(struct config *cfg, const char *file)
{
	struct sockaddr_un	 sun;
	const char		*colon;
	char			*end;
	long			 port;

	if (strlen(cfg->run_dir) + longest_socket() > sizeof(sun.sun_path))
		add_error(cfg, file, 0, "run_dir %s is too long for a "
		    "socket path (max %zu bytes)", cfg->run_dir,
		    sizeof(sun.sun_path) - longest_socket());
	if (cfg->queue_max_bytes < cfg->max_frame_bytes + 4)
		add_error(cfg, file, 0, "queue_max_bytes must hold at least "
		    "one frame of max_frame_bytes");
	if (cfg->queue_high_bytes > cfg->queue_max_bytes)
		add_error(cfg, file, 0, "queue_high_bytes is over "
		    "queue_max_bytes");
	if (cfg->backoff_initial_ms > cfg->backoff_max_ms)
		add_error(cfg, file, 0, "backoff_initial_ms is over "
		    "backoff_max_ms");
	if (cfg->reconnect_initial_ms > cfg->reconnect_max_ms)
		add_error(cfg, file, 0, "reconnect_initial_ms is over "
		    "reconnect_max_ms");
	validate_queues(cfg, file);
	colon = strrchr(cfg->listen, ':');
	port = colon == NULL ? -1 : strtol(colon + 1, &end, 10);
	if (colon == NULL || colon == cfg->listen || colon[1] == '\0' ||
	    *end != '\0' || port < 0 || port > 65535)
		add_error(cfg, file, 0, "[gateway] listen %s is not "
		    "host:port", cfg->listen);
	validate_kinds(cfg, file);
	validate_cluster(cfg, file);
}

int
config_load(struct config *cfg, const char *path)
{
	struct parse	 ps;
	int		 r;

	config_defaults(cfg);
	if (path == NULL) {
		validate(cfg, "defaults");
		return cfg->nerrors ? -1 : 0;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	memset(&ps, 0, sizeof(ps));
	ps.cfg = cfg;
	ps.file = path;
	if ((ps.fp = fopen(path, "r")) == NULL) {
		add_error(cfg, path, 0, "%s", strerror(errno));
		return -1;
	}
	r = ini_parse_stream(reader, &ps, handler, &ps);
	fclose(ps.fp);
	if (r > 0)
		add_error(cfg, path, r, "syntax error: expected [section] "
		    "or key = value");
	else if (r < 0)
		add_error(cfg, path, 0, "cannot parse");
	validate(cfg, path);
	return cfg->nerrors ? -1 : 0;
}

int
config_load_env(struct config *cfg)
{
	const char	*path = getenv("ACTORD_CONFIG");

	if (path != NULL && path[0] == '\0')
		path = NULL;
	return config_load(cfg, path);
}

void
config_print_errors(const struct config *cfg, FILE *fp)
{
	int	 i;

	for (i = 0; i < cfg->nerrors; i++)
		fprintf(fp, "%s\n", cfg->errors[i]);
}

/* Format one key's current value at base as config syntax. */
static void
format_key(const void *base, const struct key *k, char *buf, size_t size)
{
	const char	*p = (const char *)base + k->off;
	long		 v;

	switch (k->type) {
	case C_STR:
	case C_PATH:
	case C_LEVELSTR:
	case C_ABS:
	case C_OPTSTR:
		snprintf(buf, size, "%s", p);
		return;
	case C_WORDS:
	case C_ENV:
		buf[0] = '\0';		/* kind_write() writes them */
		return;
	case C_OPT:
	case C_FRAC:
		if (!*(const bool *)((const char *)base + k->has)) {
			buf[0] = '\0';
			return;
		}
		if (k->type == C_FRAC) {
			snprintf(buf, size, "%g",
			    *(const double *)(const void *)p);
			return;
		}
		break;
	default:
		break;
	}
	v = k->size == sizeof(long) ? *(const long *)(const void *)p :
	    *(const int *)(const void *)p;
	switch (k->type) {
	case C_ENUM:
		snprintf(buf, size, "%s", k->names[v]);
		break;
	case C_INPUT:
		snprintf(buf, size, "%s", k->names[v - KIND_INPUT_STDIN]);
		break;
	case C_LEVEL:
		snprintf(buf, size, "%s", log_level_name((int)v));
		break;
	case C_MODE:
		snprintf(buf, size, "0%lo", (unsigned long)v);
		break;
	case C_BOOL:
		snprintf(buf, size, "%s", v ? "yes" : "no");
		break;
	default:
		snprintf(buf, size, "%ld", v);
		break;
	}
}

/* A key's documentation line: its text and its default. */
static void
write_doc(FILE *fp, const struct key *k)
{
	fprintf(fp, "# %s (default: %s)\n", k->doc,
	    key_default(k)[0] ? key_default(k) : "empty");
}

/*
 * argv's or env's words as key lines that read back the same: argv's
 * packed a few to a line (a line of the file holds at most 199 bytes),
 * env's one entry to a line.
 */
static void
write_words(FILE *fp, const char *key, const char *buf, int n, int per_line)
{
	char	*line = NULL;
	size_t	 len = 0;
	FILE	*w;
	int	 i, on_line = 0;

	if (n == 0) {
		fprintf(fp, "%s =\n", key);
		return;
	}
	for (i = 0; i < n; i++, buf += strlen(buf) + 1) {
		if ((w = open_memstream(&line, &len)) == NULL)
			fatal("open_memstream");
		kind_quote(w, buf);
		fclose(w);
		if (on_line > 0 && (!per_line || on_line + len + 1 > 150)) {
			fputc('\n', fp);
			on_line = 0;
		}
		if (on_line == 0) {
			fprintf(fp, "%s =", key);
			on_line = (int)strlen(key) + 2;
		}
		fprintf(fp, " %s", line);
		on_line += (int)len + 1;
		free(line);
		line = NULL;
	}
	fputc('\n', fp);
}

/* One [kind.NAME] section; a commented template for kc NULL. */
static void
kind_write(const struct kind_conf *kc, FILE *fp)
{
	char	 val[KIND_PATH_MAX];
	size_t	 i;

	if (kc == NULL) {
		fprintf(fp, "\n# [kind.NAME]: a task kind that runs a command, "
		    "one section per kind\n# (none is configured: its keys "
		    "follow, each at its default).\n#[kind.NAME]\n");
		for (i = 0; i < NKINDKEYS; i++) {
			write_doc(fp, &kind_keys[i]);
			fprintf(fp, "#%s = %s\n", kind_keys[i].name,
			    kind_keys[i].def);
		}
		return;
	}
	fprintf(fp, "\n[kind.%s]\n", kc->name);
	for (i = 0; i < NKINDKEYS; i++) {
		write_doc(fp, &kind_keys[i]);
		if (kind_keys[i].type == C_WORDS)
			write_words(fp, "argv", kc->argv, kc->argc, 1);
		else if (kind_keys[i].type == C_ENV)
			write_words(fp, "env", kc->env, kc->nenv, 0);
		else {
			format_key(kc, &kind_keys[i], val, sizeof(val));
			fprintf(fp, "%s = %s\n", kind_keys[i].name, val);
		}
	}
}

void
config_write(const struct config *cfg, FILE *fp)
{
	const char	*section = NULL;
	char		 val[CONFIG_PATH_MAX];
	size_t		 i;
	int		 j;

	fprintf(fp, "# actord.conf: every key with its value; see "
	    "actord.conf(5).\n");
	for (i = 0; i < NKEYS; i++) {
		if (section == NULL || strcmp(section, key_section(&keys[i]))) {
			section = key_section(&keys[i]);
			fprintf(fp, "\n[%s]\n", section);
		}
		format_key(cfg, &keys[i], val, sizeof(val));
		write_doc(fp, &keys[i]);
		fprintf(fp, "%s = %s\n", keys[i].name, val);
	}
	if (cfg->nkinds == 0)
		kind_write(NULL, fp);
	for (j = 0; j < cfg->nkinds; j++)
		kind_write(&cfg->kinds[j], fp);
}

/*
 * What config_load() leaves to the machine it runs on: each kind's
 * program must be an executable file and its cwd a directory.  actord
 * checks them (-n, start, reload); its children do not, so that a
 * program removed while the tree runs fails its tasks (code "spawn")
 * instead of every child's restart.  0, or -1 with cfg->errors.
 */
int
config_check_files(struct config *cfg)
{
	const struct kind_conf	*kc;
	struct stat		 sb;
	const char		*file = cfg->path[0] ? cfg->path : "defaults";
	int			 i, n = cfg->nerrors;

	for (i = 0; i < cfg->nkinds; i++) {
		kc = &cfg->kinds[i];
		if (kc->argc == 0)
			continue;
		if (stat(kc->argv, &sb) == -1)
			add_error(cfg, file, kc->argv_line, "[kind.%s] argv: "
			    "%s: %s", kc->name, kc->argv, strerror(errno));
		else if (!S_ISREG(sb.st_mode))
			add_error(cfg, file, kc->argv_line, "[kind.%s] argv: "
			    "%s is not a file", kc->name, kc->argv);
		else if (access(kc->argv, X_OK) == -1)
			add_error(cfg, file, kc->argv_line, "[kind.%s] argv: "
			    "%s is not executable: %s", kc->name, kc->argv,
			    strerror(errno));
		if (stat(kc->cwd, &sb) == -1)
			add_error(cfg, file, kc->line, "[kind.%s] cwd: %s: %s",
			    kc->name, kc->cwd, strerror(errno));
		else if (!S_ISDIR(sb.st_mode))
			add_error(cfg, file, kc->line, "[kind.%s] cwd: %s is "
			    "not a directory", kc->name, kc->cwd);
	}
	return cfg->nerrors > n ? -1 : 0;
}

int
config_log_level(const struct config *cfg, const char *name)
{
	int	 i = child_lookup(name);

	if (i >= 0 && cfg->child[i].log_level[0] != '\0')
		return log_level_parse(cfg->child[i].log_level);
	return cfg->log_level;
}

const char *
restart_name(int restart)
{
	return restart_names[restart];
}

const char *
strategy_name(int strategy)
{
	return strategy_names[strategy];
}
