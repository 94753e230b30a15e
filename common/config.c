/*
 * The configuration: see config.h.  Adding a key is one field in struct
 * config and one row in keys[] below; parsing, defaults, range checks and
 * `actord -p` follow from the row.
 */
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
	{ s, k, t, FIELD(f), lo, hi, n, d, doc, NULL, NULL }
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
	    &child_specs[id].restart },					\
	{ NULL, "shutdown_timeout_ms", C_INT,				\
	    FIELD(child[id].shutdown_timeout_ms), 1, 600000, NULL, NULL, \
	    "SIGTERM, then SIGKILL after this long", &child_specs[id].name, \
	    &child_specs[id].shutdown_timeout_ms },			\
	{ NULL, "log_level", C_LEVELSTR, FIELD(child[id].log_level), 0, 0, \
	    NULL, "", "this process's log level; empty: [actord] log_level", \
	    &child_specs[id].name, NULL }

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
	INT("coordinator", "metrics_series", metrics_series, 1, 10000, "100",
	    "(kind, queue) pairs the task metrics name; later pairs are "
	    "counted as kind and queue \"other\""),

	CHILD(CHILD_WORKER),
	ENUM("worker", "synchronous", worker_sync, sync_names, "normal",
	    "SQLite synchronous: off, normal or full"),

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

/* Store value into the field a key describes; NULL or an error text. */
static const char *
set_key(struct config *cfg, const struct key *k, const char *value)
{
	static char	 why[160];
	char		*p = (char *)cfg + k->off, *end;
	long		 v = 0;
	int		 i;

	switch (k->type) {
	case C_STR:
	case C_PATH:
	case C_LEVELSTR:
		if (strlen(value) >= k->size) {
			snprintf(why, sizeof(why), "longer than %zu bytes",
			    k->size - 1);
			return why;
		}
		if (k->type == C_LEVELSTR && value[0] != '\0' &&
		    log_level_parse(value) == -1)
			return "not a log level (debug, info, notice, "
			    "warning, error)";
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
	case C_INT:
	case C_SIZE:
		if (k->type == C_INT) {
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
		for (i = 0; k->names[i] != NULL; i++)
			if (strcmp(value, k->names[i]) == 0)
				break;
		if (k->names[i] == NULL)
			return "not one of the allowed values";
		v = i;
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
}

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
	return str;
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

/* Format one key's current value as config syntax. */
static void
format_key(const struct config *cfg, const struct key *k, char *buf,
    size_t size)
{
	const char	*p = (const char *)cfg + k->off;
	long		 v;

	if (k->type == C_STR || k->type == C_PATH || k->type == C_LEVELSTR) {
		snprintf(buf, size, "%s", p);
		return;
	}
	v = k->size == sizeof(long) ? *(const long *)(const void *)p :
	    *(const int *)(const void *)p;
	switch (k->type) {
	case C_ENUM:
		snprintf(buf, size, "%s", k->names[v]);
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

void
config_write(const struct config *cfg, FILE *fp)
{
	const char	*section = NULL;
	char		 val[CONFIG_PATH_MAX];
	size_t		 i;

	fprintf(fp, "# actord.conf: every key with its value; see "
	    "actord.conf(5).\n");
	for (i = 0; i < NKEYS; i++) {
		if (section == NULL || strcmp(section, key_section(&keys[i]))) {
			section = key_section(&keys[i]);
			fprintf(fp, "\n[%s]\n", section);
		}
		format_key(cfg, &keys[i], val, sizeof(val));
		fprintf(fp, "# %s (default: %s)\n%s = %s\n", keys[i].doc,
		    key_default(&keys[i])[0] ? key_default(&keys[i]) : "empty",
		    keys[i].name, val);
	}
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
