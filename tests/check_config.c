/*
 * Unit tests for common/config.c: defaults, a full file, every error with
 * its file:line, cross-field checks, relative paths, and config_write()
 * output that parses back to the same values.  Each test runs in a fresh
 * temporary directory, which is also its working directory.
 */
#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "check_main.h"
#include "config.h"
#include "frame.h"
#include "kinds.h"
#include "mpjson.h"
#include "msg.h"
#include "peer.h"

#define TIMEOUT		10	/* seconds per test */

static char		 tmpdir[64];		/* the test's directory */
static char		 cwd[PATH_MAX];		/* as getcwd() says it */
static char		 oldcwd[PATH_MAX];
static char		 path[128];		/* the config file */
static struct config	 cfg;

static void
setup(void)
{
	ck_assert_ptr_nonnull(getcwd(oldcwd, sizeof(oldcwd)));
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(chdir(tmpdir), 0);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(path, sizeof(path), "%s/actord.conf", tmpdir);
	memset(&cfg, 0, sizeof(cfg));
}

static void
teardown(void)
{
	if (chdir(oldcwd) == -1)
		perror(oldcwd);
	ck_rm_tree(tmpdir);
}

/* Write text to file p. */
static void
write_file(const char *p, const char *text)
{
	FILE	*fp;

	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Write text as the config file and load it. */
static int
load(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
load(const char *fmt, ...)
{
	char	*text;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	write_file(path, text);
	free(text);
	return config_load(&cfg, path);
}

/* Error i is "<path>:<line>: <text>" (or "<path>: <text>" for line 0). */
static void
ck_error(int i, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ck_error(int i, int line, const char *fmt, ...)
{
	char	 want[1024], text[400];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: %s", path, line, text);
	else
		snprintf(want, sizeof(want), "%s: %s", path, text);
	ck_assert_msg(i < cfg.nerrors, "no error %d (%d errors), want %s",
	    i, cfg.nerrors, want);
	ck_assert_str_eq(cfg.errors[i], want);
}

/* Exactly one error, at line, with this text. */
#define ck_one_error(rc, line, ...) do {				\
	ck_assert_int_eq((rc), -1);					\
	ck_assert_msg(cfg.nerrors == 1, "%d errors, first: %s",		\
	    cfg.nerrors, cfg.nerrors ? cfg.errors[0] : "");		\
	ck_error(0, (line), __VA_ARGS__);				\
} while (0)

#define ck_loaded(rc) do {						\
	ck_assert_msg((rc) == 0, "%d errors, first: %s", cfg.nerrors,	\
	    cfg.nerrors ? cfg.errors[0] : "");				\
	ck_assert_int_eq(cfg.nerrors, 0);				\
} while (0)

/* cwd + "/" + rel */
static const char *
under_cwd(const char *rel)
{
	static char	 buf[PATH_MAX + 64];

	snprintf(buf, sizeof(buf), "%s/%s", cwd, rel);
	return buf;
}

/* Every value the key table names as its default. */
static void
ck_defaults(const struct config *c)
{
	int	 i;

	ck_assert_str_eq(c->state_dir, under_cwd("var/state"));
	ck_assert_str_eq(c->run_dir, under_cwd("var/run"));
	ck_assert_str_eq(c->program_dir, "");
	ck_assert_str_eq(c->web_dir, under_cwd("web"));
	ck_assert_int_eq(c->log_level, LOG_INFO);
	ck_assert_int_eq(c->control_mode, 0600);
	ck_assert_int_eq(c->socket_mode, 0660);

	ck_assert_int_eq(c->strategy, STRATEGY_ONE_FOR_ONE);
	ck_assert_int_eq(c->max_restarts, 10);
	ck_assert_int_eq(c->max_seconds, 10);
	ck_assert_int_eq(c->backoff_initial_ms, 100);
	ck_assert_int_eq(c->backoff_max_ms, 5000);
	ck_assert_int_eq(c->stable_ms, 10000);
	ck_assert_int_eq(c->ready_timeout_ms, 10000);
	ck_assert_int_eq(c->tree_refresh_ms, 1000);

	ck_assert_int_eq(c->max_frame_bytes, 1024 * 1024);
	ck_assert_int_eq(c->queue_high_bytes, 4 * 1024 * 1024);
	ck_assert_int_eq(c->queue_max_bytes, 64 * 1024 * 1024);
	ck_assert_int_eq(c->reconnect_initial_ms, 10);
	ck_assert_int_eq(c->reconnect_max_ms, 1000);

	for (i = 0; i < CHILD_COUNT; i++) {
		ck_assert_int_eq(c->child[i].restart, RESTART_PERMANENT);
		ck_assert_int_eq(c->child[i].shutdown_timeout_ms, 5000);
		ck_assert_str_eq(c->child[i].log_level, "");
	}

	ck_assert_int_eq(c->max_attempts, 3);
	ck_assert_int_eq(c->dedupe_window_s, 600);
	ck_assert_int_eq(c->push_interval_ms, 50);
	ck_assert_int_eq(c->coordinator_sync, 2);	/* full */
	ck_assert_int_eq(c->recent_tasks, 20);
	ck_assert_int_eq(c->queue_preview, 10);
	ck_assert_int_eq(c->finished_tasks, 100000);
	ck_assert_int_eq(c->worker_sync, 1);		/* normal */
	ck_assert_int_eq(c->retention, 10000);
	ck_assert_int_eq(c->eventlog_sync, 1);		/* normal */

	ck_assert_str_eq(c->listen, "127.0.0.1:8787");
	ck_assert_int_eq(c->max_sessions, 1024);
	ck_assert_int_eq(c->session_pool, 4);
	ck_assert_int_eq(c->max_header_bytes, 8192);
	ck_assert_int_eq(c->header_timeout_ms, 10000);
	ck_assert_str_eq(c->allowed_origins, "");
	ck_assert_str_eq(c->access_token, "");
	ck_assert_int_eq(c->echo, 1);

	ck_assert_int_eq(c->max_message_bytes, 64 * 1024);
	ck_assert_int_eq(c->echo_max_message_bytes, 16 * 1024 * 1024);
	ck_assert_int_eq(c->rate_limit, 200);
	ck_assert_int_eq(c->rate_burst, 400);
	ck_assert_int_eq(c->ping_interval_ms, 30000);
	ck_assert_int_eq(c->pong_timeout_ms, 10000);
	ck_assert_int_eq(c->actor_wait_ms, 5000);
	ck_assert_int_eq(c->send_queue_bytes, 1024 * 1024);
}

START_TEST(test_defaults)
{
	ck_loaded(config_load(&cfg, NULL));
	ck_assert_str_eq(cfg.path, "");
	ck_defaults(&cfg);
}
END_TEST

START_TEST(test_defaults_agree)
{
	struct config	 loaded;

	/* config_defaults() and a load without a file agree. */
	memset(&cfg, 0x5a, sizeof(cfg));
	config_defaults(&cfg);
	ck_defaults(&cfg);
	ck_assert_int_eq(cfg.nerrors, 0);
	ck_assert_int_eq(config_load(&loaded, NULL), 0);
	ck_assert(memcmp(&cfg, &loaded, sizeof(cfg)) == 0);
}
END_TEST

START_TEST(test_defaults_transport)
{
	struct peer_limits	 l;

	/* The transport defaults are the peer module's own. */
	ck_loaded(config_load(&cfg, NULL));
	peer_default_limits(&l);
	ck_assert_int_eq(cfg.max_frame_bytes, (long)l.max_frame);
	ck_assert_int_eq(cfg.max_frame_bytes, FRAME_MAX_DEFAULT);
	ck_assert_int_eq(cfg.queue_high_bytes, (long)l.high_water);
	ck_assert_int_eq(cfg.queue_max_bytes, (long)l.max_queue);
	ck_assert_int_eq(cfg.reconnect_initial_ms, l.retry_initial_ms);
	ck_assert_int_eq(cfg.reconnect_max_ms, l.retry_max_ms);
}
END_TEST

START_TEST(test_empty_file)
{
	ck_loaded(load("%s", ""));
	ck_assert_str_eq(cfg.path, path);
	ck_defaults(&cfg);
	/* Comments and blank lines only. */
	ck_loaded(load("# a comment\n; another\n\n   \n[actord]\n"));
	ck_defaults(&cfg);
}
END_TEST

static const char full_conf[] =
    "# every section, no default left\n"
    "[actord]\n"
    "state_dir = /srv/actord/state\n"
    "run_dir = /run/actord\n"
    "program_dir = /usr/libexec/actord\n"
    "web_dir = /usr/share/actord/web\n"
    "log_level = debug\n"
    "control_mode = 0660\n"
    "socket_mode = 600\n"
    "\n"
    "[supervisor]\n"
    "strategy = rest_for_one\n"
    "max_restarts = 0\n"
    "max_seconds = 86400\n"
    "backoff_initial_ms = 0\n"
    "backoff_max_ms = 3600000\n"
    "stable_ms = 1\n"
    "ready_timeout_ms = 10\n"
    "tree_refresh_ms = 60000\n"
    "\n"
    "[transport]\n"
    "max_frame_bytes = 64k\n"
    "queue_high_bytes = 128KB\n"
    "queue_max_bytes = 2m\n"
    "reconnect_initial_ms = 1\n"
    "reconnect_max_ms = 600000\n"
    "\n"
    "[eventlog]\n"
    "restart = temporary\n"
    "shutdown_timeout_ms = 1\n"
    "log_level = warning\n"
    "retention = 100000000\n"
    "synchronous = off\n"
    "\n"
    "[coordinator]\n"
    "restart = transient\n"
    "shutdown_timeout_ms = 600000\n"
    "max_attempts = 1000\n"
    "dedupe_window_s = 0\n"
    "push_interval_ms = 60000\n"
    "synchronous = normal\n"
    "recent_tasks = 0\n"
    "queue_preview = 1000\n"
    "finished_tasks = 0\n"
    "\n"
    "[worker]\n"
    "restart = temporary\n"
    "log_level = debug\n"
    "synchronous = full\n"
    "\n"
    "[gateway]\n"
    "restart = transient\n"
    "listen = [::1]:0\n"
    "max_sessions = 1\n"
    "session_pool = 0\n"
    "max_header_bytes = 512\n"
    "header_timeout_ms = 100\n"
    "allowed_origins = http://a.example https://b.example:8443\n"
    "access_token = s3cr3t;token\n"
    "echo = off\n"
    "\n"
    "[session]\n"
    "max_message_bytes = 128\n"
    "echo_max_message_bytes = 256M\n"
    "rate_limit = 1\n"
    "rate_burst = 1000000\n"
    "ping_interval_ms = 100\n"
    "pong_timeout_ms = 3600000\n"
    "actor_wait_ms = 0\n"
    "send_queue_bytes = 1g\n";

START_TEST(test_full_file)
{
	ck_loaded(load("%s", full_conf));
	ck_assert_str_eq(cfg.state_dir, "/srv/actord/state");
	ck_assert_str_eq(cfg.run_dir, "/run/actord");
	ck_assert_str_eq(cfg.program_dir, "/usr/libexec/actord");
	ck_assert_str_eq(cfg.web_dir, "/usr/share/actord/web");
	ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
	ck_assert_int_eq(cfg.control_mode, 0660);
	ck_assert_int_eq(cfg.socket_mode, 0600);
	ck_assert_int_eq(cfg.strategy, STRATEGY_REST_FOR_ONE);
	ck_assert_int_eq(cfg.max_restarts, 0);
	ck_assert_int_eq(cfg.max_seconds, 86400);
	ck_assert_int_eq(cfg.backoff_initial_ms, 0);
	ck_assert_int_eq(cfg.backoff_max_ms, 3600000);
	ck_assert_int_eq(cfg.stable_ms, 1);
	ck_assert_int_eq(cfg.ready_timeout_ms, 10);
	ck_assert_int_eq(cfg.tree_refresh_ms, 60000);
	ck_assert_int_eq(cfg.max_frame_bytes, 64 * 1024);
	ck_assert_int_eq(cfg.queue_high_bytes, 128 * 1024);
	ck_assert_int_eq(cfg.queue_max_bytes, 2 * 1024 * 1024);
	ck_assert_int_eq(cfg.reconnect_initial_ms, 1);
	ck_assert_int_eq(cfg.reconnect_max_ms, 600000);
	ck_assert_int_eq(cfg.child[CHILD_EVENTLOG].restart, RESTART_TEMPORARY);
	ck_assert_int_eq(cfg.child[CHILD_EVENTLOG].shutdown_timeout_ms, 1);
	ck_assert_str_eq(cfg.child[CHILD_EVENTLOG].log_level, "warning");
	ck_assert_int_eq(cfg.retention, 100000000);
	ck_assert_int_eq(cfg.eventlog_sync, 0);
	ck_assert_int_eq(cfg.child[CHILD_COORDINATOR].restart,
	    RESTART_TRANSIENT);
	ck_assert_int_eq(cfg.child[CHILD_COORDINATOR].shutdown_timeout_ms,
	    600000);
	ck_assert_str_eq(cfg.child[CHILD_COORDINATOR].log_level, "");
	ck_assert_int_eq(cfg.max_attempts, 1000);
	ck_assert_int_eq(cfg.dedupe_window_s, 0);
	ck_assert_int_eq(cfg.push_interval_ms, 60000);
	ck_assert_int_eq(cfg.coordinator_sync, 1);
	ck_assert_int_eq(cfg.recent_tasks, 0);
	ck_assert_int_eq(cfg.queue_preview, 1000);
	ck_assert_int_eq(cfg.finished_tasks, 0);
	ck_assert_int_eq(cfg.child[CHILD_WORKER].restart, RESTART_TEMPORARY);
	ck_assert_int_eq(cfg.child[CHILD_WORKER].shutdown_timeout_ms, 5000);
	ck_assert_str_eq(cfg.child[CHILD_WORKER].log_level, "debug");
	ck_assert_int_eq(cfg.worker_sync, 2);
	ck_assert_int_eq(cfg.child[CHILD_GATEWAY].restart, RESTART_TRANSIENT);
	ck_assert_str_eq(cfg.listen, "[::1]:0");
	ck_assert_int_eq(cfg.max_sessions, 1);
	ck_assert_int_eq(cfg.session_pool, 0);
	ck_assert_int_eq(cfg.max_header_bytes, 512);
	ck_assert_int_eq(cfg.header_timeout_ms, 100);
	ck_assert_str_eq(cfg.allowed_origins,
	    "http://a.example https://b.example:8443");
	ck_assert_str_eq(cfg.access_token, "s3cr3t;token");
	ck_assert_int_eq(cfg.echo, 0);
	ck_assert_int_eq(cfg.max_message_bytes, 128);
	ck_assert_int_eq(cfg.echo_max_message_bytes, 256L * 1024 * 1024);
	ck_assert_int_eq(cfg.rate_limit, 1);
	ck_assert_int_eq(cfg.rate_burst, 1000000);
	ck_assert_int_eq(cfg.ping_interval_ms, 100);
	ck_assert_int_eq(cfg.pong_timeout_ms, 3600000);
	ck_assert_int_eq(cfg.actor_wait_ms, 0);
	ck_assert_int_eq(cfg.send_queue_bytes, 1024L * 1024 * 1024);
}
END_TEST

START_TEST(test_value_forms)
{
	/* Spacing, case of suffixes and booleans, inline comments. */
	ck_loaded(load("[supervisor]\nmax_restarts=7\n  max_seconds   =   9  \n"
	    "[transport]\nmax_frame_bytes = 2K\nqueue_high_bytes = 3MB\n"
	    "queue_max_bytes = 1G ; one gig\n"
	    "[gateway]\necho = FALSE\n"
	    "[actord]\nlog_level = warn\n"));
	ck_assert_int_eq(cfg.max_restarts, 7);
	ck_assert_int_eq(cfg.max_seconds, 9);
	ck_assert_int_eq(cfg.max_frame_bytes, 2048);
	ck_assert_int_eq(cfg.queue_high_bytes, 3 * 1024 * 1024);
	ck_assert_int_eq(cfg.queue_max_bytes, 1024L * 1024 * 1024);
	ck_assert_int_eq(cfg.echo, 0);
	ck_assert_int_eq(cfg.log_level, LOG_WARNING);
	ck_loaded(load("[gateway]\necho = 1\n[actord]\nlog_level = error\n"));
	ck_assert_int_eq(cfg.echo, 1);
	ck_assert_int_eq(cfg.log_level, LOG_ERR);
	/* An indented key is a key, not the previous value continued. */
	ck_loaded(load("[gateway]\n  access_token = abc\n\techo = no\n"
	    "    [supervisor]\n    max_restarts = 5\n"));
	ck_assert_str_eq(cfg.access_token, "abc");
	ck_assert_int_eq(cfg.echo, 0);
	ck_assert_int_eq(cfg.max_restarts, 5);
	/* The last of two settings wins. */
	ck_loaded(load("[supervisor]\nmax_restarts = 1\nmax_restarts = 2\n"));
	ck_assert_int_eq(cfg.max_restarts, 2);
}
END_TEST

START_TEST(test_relative_paths)
{
	ck_loaded(load("[actord]\nstate_dir = st\nrun_dir = ./r/un\n"
	    "web_dir = ../w\nprogram_dir = /abs/bin\n"));
	ck_assert_str_eq(cfg.state_dir, under_cwd("st"));
	ck_assert_str_eq(cfg.run_dir, under_cwd("r/un"));
	ck_assert_str_eq(cfg.web_dir, under_cwd("../w"));
	ck_assert_str_eq(cfg.program_dir, "/abs/bin");
	ck_assert_int_eq(cfg.state_dir[0], '/');
	/* Made absolute against the cwd, not the config file's directory. */
	ck_assert_int_eq(mkdir("sub", 0700), 0);
	ck_assert_int_eq(chdir("sub"), 0);
	ck_loaded(load("[actord]\nstate_dir = st\n"));
	ck_assert_str_eq(cfg.state_dir, under_cwd("sub/st"));
}
END_TEST

START_TEST(test_missing_file)
{
	snprintf(path, sizeof(path), "%s/nosuch.conf", tmpdir);
	ck_one_error(config_load(&cfg, path), 0, "No such file or directory");
}
END_TEST

START_TEST(test_err_unknown_section)
{
	ck_one_error(load("[actord]\nlog_level = info\n\n[nosuch]\nx = 1\n"),
	    5, "unknown section [nosuch]");
	/* Section names are case-sensitive. */
	ck_one_error(load("[Supervisor]\nmax_restarts = 1\n"), 2,
	    "unknown section [Supervisor]");
	/* A key before any section. */
	ck_one_error(load("max_restarts = 1\n"), 1, "unknown section []");
}
END_TEST

START_TEST(test_err_unknown_key)
{
	ck_one_error(load("[actord]\nstate_dir = /x\nbogus = 1\n"), 3,
	    "unknown key 'bogus' in [actord]");
	/* A key of another section. */
	ck_one_error(load("[gateway]\nmax_restarts = 3\n"), 2,
	    "unknown key 'max_restarts' in [gateway]");
	/* A child's key under a section that is not a child. */
	ck_one_error(load("[session]\nrestart = permanent\n"), 2,
	    "unknown key 'restart' in [session]");
}
END_TEST

START_TEST(test_err_not_integer)
{
	ck_one_error(load("[supervisor]\nmax_restarts = ten\n"), 2,
	    "[supervisor] max_restarts = ten: not an integer");
	ck_one_error(load("\n\n[supervisor]\nmax_seconds = 10s\n"), 4,
	    "[supervisor] max_seconds = 10s: not an integer");
	ck_one_error(load("[supervisor]\nmax_seconds = 1.5\n"), 2,
	    "[supervisor] max_seconds = 1.5: not an integer");
	ck_one_error(load("[supervisor]\nmax_seconds =\n"), 2,
	    "[supervisor] max_seconds = : not an integer");
	ck_one_error(load("[supervisor]\nmax_seconds = 99999999999999999999\n"),
	    2, "[supervisor] max_seconds = 99999999999999999999: "
	    "not an integer");
}
END_TEST

START_TEST(test_err_range)
{
	ck_one_error(load("[supervisor]\nmax_seconds = 0\n"), 2,
	    "[supervisor] max_seconds = 0: out of range 1..86400");
	ck_one_error(load("[supervisor]\nmax_restarts = -1\n"), 2,
	    "[supervisor] max_restarts = -1: out of range 0..1000");
	ck_one_error(load("[supervisor]\ntree_refresh_ms = 99\n"), 2,
	    "[supervisor] tree_refresh_ms = 99: out of range 100..60000");
	ck_one_error(load("[coordinator]\nshutdown_timeout_ms = 600001\n"), 2,
	    "[coordinator] shutdown_timeout_ms = 600001: out of range "
	    "1..600000");
	ck_one_error(load("[transport]\nmax_frame_bytes = 63\n"), 2,
	    "[transport] max_frame_bytes = 63: out of range 64..1073741824");
	ck_one_error(load("[transport]\nmax_frame_bytes = 2g\n"), 2,
	    "[transport] max_frame_bytes = 2g: out of range 64..1073741824");
	/* An int key given a value past INT_MAX is out of range, not cut. */
	ck_one_error(load("[eventlog]\nretention = 4294967297\n"), 2,
	    "[eventlog] retention = 4294967297: out of range 1..100000000");
}
END_TEST

START_TEST(test_err_enum)
{
	ck_one_error(load("[supervisor]\nstrategy = all_for_none\n"), 2,
	    "[supervisor] strategy = all_for_none: not one of the allowed "
	    "values");
	ck_one_error(load("[supervisor]\nstrategy = One_For_One\n"), 2,
	    "[supervisor] strategy = One_For_One: not one of the allowed "
	    "values");
	ck_one_error(load("[worker]\nrestart = sometimes\n"), 2,
	    "[worker] restart = sometimes: not one of the allowed values");
	ck_one_error(load("[eventlog]\nsynchronous = extra\n"), 2,
	    "[eventlog] synchronous = extra: not one of the allowed values");
}
END_TEST

START_TEST(test_err_size)
{
	static const char *const bad[] = {
		"1x", "1.5M", "-1k", "k", "", "1 k", "1kk", "1kbb", "0x10",
		"111111111111111111M", "9223372036854775807k",
		"99999999999999999999",
	};
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_one_error(load("[session]\nmax_message_bytes = %s\n",
		    bad[i]), 2, "[session] max_message_bytes = %s: not a size "
		    "(a number with k, m or g)", bad[i]);
}
END_TEST

START_TEST(test_err_mode)
{
	static const char *const bad[] = {
		"0800", "rw-------", "01000", "-1", "", "0o600", "6OO",
	};
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_one_error(load("[actord]\ncontrol_mode = %s\n", bad[i]), 2,
		    "[actord] control_mode = %s: not an octal file mode",
		    bad[i]);
	ck_loaded(load("[actord]\ncontrol_mode = 0\nsocket_mode = 0777\n"));
	ck_assert_int_eq(cfg.control_mode, 0);
	ck_assert_int_eq(cfg.socket_mode, 0777);
}
END_TEST

START_TEST(test_err_bool)
{
	static const char *const bad[] = { "maybe", "2", "", "y", "enabled" };
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_one_error(load("[gateway]\necho = %s\n", bad[i]), 2,
		    "[gateway] echo = %s: not a boolean (yes or no)", bad[i]);
}
END_TEST

START_TEST(test_err_log_level)
{
	ck_one_error(load("[actord]\nlog_level = loud\n"), 2,
	    "[actord] log_level = loud: not a log level (debug, info, notice, "
	    "warning, error)");
	ck_one_error(load("[actord]\nlog_level = INFO\n"), 2,
	    "[actord] log_level = INFO: not a log level (debug, info, notice, "
	    "warning, error)");
	/* A child's log level: reported at its line too. */
	ck_one_error(load("[worker]\nrestart = permanent\nlog_level = loud\n"),
	    3, "[worker] log_level = loud: not a log level (debug, info, "
	    "notice, warning, error)");
}
END_TEST

START_TEST(test_err_syntax)
{
	ck_one_error(load("[actord]\nlog_level = info\nthis is not ini\n"), 3,
	    "syntax error: expected [section] or key = value");
	/*
	 * A broken section header: its keys are in no section.  (inih
	 * reports only its first syntax error; it comes after the others.)
	 */
	ck_assert_int_eq(load("[actord\nlog_level = info\n"), -1);
	ck_assert_int_eq(cfg.nerrors, 2);
	ck_error(0, 2, "unknown section []");
	ck_error(1, 1, "syntax error: expected [section] or key = value");
}
END_TEST

START_TEST(test_err_long_line)
{
	char	 origins[400];

	/*
	 * A line longer than the parser's buffer is one error at its own
	 * line; later lines keep their numbers.
	 */
	snprintf(origins, sizeof(origins), "%0300d", 0);
	ck_assert_int_eq(load("[gateway]\nallowed_origins = %s\n"
	    "max_sessions = many\n", origins), -1);
	ck_assert_int_eq(cfg.nerrors, 2);
	ck_error(0, 2, "line too long (the limit is %d bytes)",
	    INI_MAX_LINE - 1);
	ck_error(1, 3, "[gateway] max_sessions = many: not an integer");
	/* The value was not taken in part. */
	ck_assert_str_eq(cfg.allowed_origins, "");
	/* The longest line that fits, with and without a newline. */
	snprintf(origins, sizeof(origins), "allowed_origins = %0*d",
	    INI_MAX_LINE - 1 - 18, 7);
	ck_assert_uint_eq(strlen(origins), INI_MAX_LINE - 1);
	ck_loaded(load("[gateway]\n%s\necho = no\n", origins));
	ck_assert_uint_eq(strlen(cfg.allowed_origins), INI_MAX_LINE - 1 - 18);
	ck_assert_int_eq(cfg.echo, 0);
	ck_loaded(load("[gateway]\n%s", origins));
	ck_assert_uint_eq(strlen(cfg.allowed_origins), INI_MAX_LINE - 1 - 18);
	/* One byte more. */
	ck_one_error(load("[gateway]\n%s0\n", origins), 2,
	    "line too long (the limit is %d bytes)", INI_MAX_LINE - 1);
}
END_TEST

START_TEST(test_err_many)
{
	/* Every error is reported, each at its line, in order. */
	ck_assert_int_eq(load(
	    "[actord]\n"			/* 1 */
	    "log_level = loud\n"		/* 2 */
	    "state_dir = /ok\n"			/* 3 */
	    "[supervisor]\n"			/* 4 */
	    "strategy = all_for_none\n"		/* 5 */
	    "max_restarts = -1\n"		/* 6 */
	    "[nosuch]\n"			/* 7 */
	    "x = 1\n"				/* 8 */
	    "[gateway]\n"			/* 9 */
	    "echo = maybe\n"			/* 10 */
	    "colour = blue\n"			/* 11 */
	    "[transport]\n"			/* 12 */
	    "max_frame_bytes = 1x\n"),		/* 13 */
	    -1);
	ck_assert_int_eq(cfg.nerrors, 7);
	ck_error(0, 2, "[actord] log_level = loud: not a log level (debug, "
	    "info, notice, warning, error)");
	ck_error(1, 5, "[supervisor] strategy = all_for_none: not one of the "
	    "allowed values");
	ck_error(2, 6, "[supervisor] max_restarts = -1: out of range 0..1000");
	ck_error(3, 8, "unknown section [nosuch]");
	ck_error(4, 10, "[gateway] echo = maybe: not a boolean (yes or no)");
	ck_error(5, 11, "unknown key 'colour' in [gateway]");
	ck_error(6, 13, "[transport] max_frame_bytes = 1x: not a size (a "
	    "number with k, m or g)");
	/* The good keys around them were still read. */
	ck_assert_str_eq(cfg.state_dir, "/ok");
}
END_TEST

START_TEST(test_err_cap)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&text, &len);
	int	 i;

	/* More errors than the struct holds: the first ones, no overflow. */
	fprintf(fp, "[gateway]\n");
	for (i = 0; i < CONFIG_MAX_ERRORS + 20; i++)
		fprintf(fp, "bogus%d = 1\n", i);
	fclose(fp);
	ck_assert_int_eq(load("%s", text), -1);
	free(text);
	ck_assert_int_eq(cfg.nerrors, CONFIG_MAX_ERRORS);
	ck_error(0, 2, "unknown key 'bogus0' in [gateway]");
	ck_error(CONFIG_MAX_ERRORS - 1, CONFIG_MAX_ERRORS + 1,
	    "unknown key 'bogus%d' in [gateway]", CONFIG_MAX_ERRORS - 1);
}
END_TEST

START_TEST(test_err_print)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp;
	char	 want[2048];

	ck_assert_int_eq(load("[x]\na = 1\n[gateway]\necho = 2\n"), -1);
	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	config_print_errors(&cfg, fp);
	fclose(fp);
	snprintf(want, sizeof(want), "%s:2: unknown section [x]\n"
	    "%s:4: [gateway] echo = 2: not a boolean (yes or no)\n", path,
	    path);
	ck_assert_str_eq(out, want);
	free(out);
}
END_TEST

START_TEST(test_validate_queue)
{
	/* A queue must hold one whole frame (body + 4-byte header). */
	ck_one_error(load("[transport]\nmax_frame_bytes = 1M\n"
	    "queue_high_bytes = 1024\nqueue_max_bytes = 1M\n"), 0,
	    "queue_max_bytes must hold at least one frame of max_frame_bytes");
	ck_loaded(load("[transport]\nmax_frame_bytes = 1020\n"
	    "queue_high_bytes = 1024\nqueue_max_bytes = 1024\n"));
	ck_one_error(load("[transport]\nmax_frame_bytes = 1021\n"
	    "queue_high_bytes = 1024\nqueue_max_bytes = 1024\n"), 0,
	    "queue_max_bytes must hold at least one frame of max_frame_bytes");
	ck_one_error(load("[transport]\nqueue_high_bytes = 65M\n"), 0,
	    "queue_high_bytes is over queue_max_bytes");
}
END_TEST

START_TEST(test_validate_backoff)
{
	ck_one_error(load("[supervisor]\nbackoff_initial_ms = 6000\n"), 0,
	    "backoff_initial_ms is over backoff_max_ms");
	ck_one_error(load("[transport]\nreconnect_initial_ms = 1001\n"), 0,
	    "reconnect_initial_ms is over reconnect_max_ms");
}
END_TEST

START_TEST(test_validate_run_dir)
{
	struct sockaddr_un	 sun;
	size_t			 max = sizeof(sun.sun_path) -
	    sizeof("/coordinator.sock");
	char			 dir[256];

	/* The longest run_dir whose sockets still fit sun_path. */
	memset(dir, 'r', sizeof(dir));
	dir[0] = '/';
	dir[max] = '\0';
	ck_loaded(load("[actord]\nrun_dir = %s\n", dir));
	ck_assert_uint_eq(strlen(dir) + strlen("/coordinator.sock"),
	    sizeof(sun.sun_path) - 1);
	dir[max] = 'r';
	dir[max + 1] = '\0';
	ck_one_error(load("[actord]\nrun_dir = %s\n", dir), 0,
	    "run_dir %s is too long for a socket path (max %zu bytes)", dir,
	    max);
	/* A relative one is judged after it is made absolute. */
	memset(dir, 'r', sizeof(dir));
	dir[max + 1 - strlen(cwd)] = '\0';
	ck_assert_int_eq(load("[actord]\nrun_dir = %s\n", dir), -1);
	ck_assert_ptr_nonnull(strstr(cfg.errors[0], "too long for a socket"));
}
END_TEST

/* [cluster]: none by default; a host, its roles, what runs where. */
START_TEST(test_cluster)
{
	ck_loaded(load("[actord]\n"));
	ck_assert_str_eq(cfg.host, "");
	ck_assert_uint_eq(cfg.roles, ROLE_ALL);
	ck_assert(config_child_runs(&cfg, CHILD_COORDINATOR));
	ck_assert(config_child_runs(&cfg, CHILD_GATEWAY));
	ck_assert(!config_child_runs(&cfg, CHILD_LINK));

	ck_loaded(load("[cluster]\nhost = h2\nroles = worker gateway\n"
	    "nats = nats://10.0.0.1:4222 nats://10.0.0.2:4222\n"));
	ck_assert_uint_eq(cfg.roles, ROLE_WORKER | ROLE_GATEWAY);
	ck_assert(config_child_runs(&cfg, CHILD_LINK));
	ck_assert(config_child_runs(&cfg, CHILD_WORKER));
	ck_assert(!config_child_runs(&cfg, CHILD_COORDINATOR));
	ck_assert(!config_child_runs(&cfg, CHILD_EVENTLOG));
	ck_assert_int_eq(cfg.host_dead_after_s, 30);

	ck_one_error(load("[cluster]\nhost = H_2\n"), 0, "[cluster] host "
	    "H_2 is not a host name (1-32 of a-z, 0-9, '-')");
	ck_one_error(load("[cluster]\nhost = h2\nroles = worker db\n"), 0,
	    "[cluster] roles: db is not coordinator, worker or gateway");
	ck_one_error(load("[cluster]\nhost = h2\nroles = ,\n"), 0,
	    "[cluster] roles: none");
	ck_one_error(load("[cluster]\nhost = h2\nnats = ,\n"), 0,
	    "[cluster] nats: no server URL");
	ck_one_error(load("[cluster]\nhost = h2\nnkey = UABC\n"), 0,
	    "[cluster] nkey and nkey_seed_file go together");
	ck_one_error(load("[cluster]\nhost = h2\nannounce_ms = 2000\n"), 0,
	    "[cluster] host_down_after_ms (3000) must be at least twice "
	    "announce_ms (2000): a host would go down between two "
	    "announcements");
}
END_TEST

START_TEST(test_validate_listen)
{
	static const char *const good[] = {
		"127.0.0.1:8787", "0.0.0.0:65535", "[::1]:0", "localhost:80",
	};
	static const char *const bad[] = {
		"localhost", ":80", "host:", "host:65536", "host:-1",
		"host:8x", "host:99999999999999999999",
	};
	size_t			 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_loaded(load("[gateway]\nlisten = %s\n", good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_one_error(load("[gateway]\nlisten = %s\n", bad[i]), 0,
		    "[gateway] listen %s is not host:port", bad[i]);
	ck_one_error(load("[gateway]\nlisten =\n"), 0,
	    "[gateway] listen  is not host:port");
}
END_TEST

START_TEST(test_validate_with_parse_errors)
{
	/* Parse errors and cross-field errors are reported together. */
	ck_assert_int_eq(load("[gateway]\nlisten = nowhere\necho = 2\n"), -1);
	ck_assert_int_eq(cfg.nerrors, 2);
	ck_error(0, 3, "[gateway] echo = 2: not a boolean (yes or no)");
	ck_error(1, 0, "[gateway] listen nowhere is not host:port");
}
END_TEST

/* Write cfg with config_write and load the output into out. */
static void
rewrite(const struct config *in, struct config *out)
{
	char	 p2[128];
	FILE	*fp;

	snprintf(p2, sizeof(p2), "%s/written.conf", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(p2, "w"));
	config_write(in, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_msg(config_load(out, p2) == 0, "written config refused: %s",
	    out->nerrors ? out->errors[0] : "");
}

/* Every value equal: the whole struct but the file name. */
static void
ck_same(const struct config *a, const struct config *b)
{
	struct config	 x = *a, y = *b;

	memset(x.path, 0, sizeof(x.path));
	memset(y.path, 0, sizeof(y.path));
	ck_assert_str_eq(x.state_dir, y.state_dir);
	ck_assert_str_eq(x.allowed_origins, y.allowed_origins);
	ck_assert_int_eq(x.max_frame_bytes, y.max_frame_bytes);
	ck_assert(memcmp(&x, &y, sizeof(x)) == 0);
}

START_TEST(test_write_defaults)
{
	struct config	 again;

	ck_loaded(config_load(&cfg, NULL));
	rewrite(&cfg, &again);
	ck_same(&cfg, &again);
	ck_defaults(&again);
}
END_TEST

START_TEST(test_write_full)
{
	struct config	 again;

	ck_loaded(load("%s", full_conf));
	rewrite(&cfg, &again);
	ck_same(&cfg, &again);
	ck_assert_str_eq(again.access_token, "s3cr3t;token");
	ck_assert_int_eq(again.echo, 0);
	ck_assert_int_eq(again.socket_mode, 0600);
}
END_TEST

START_TEST(test_write_text)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp;

	ck_loaded(load("[supervisor]\nstrategy = one_for_all\n"
	    "[transport]\nmax_frame_bytes = 64k\n[actord]\ncontrol_mode = 640\n"
	    "log_level = notice\n"));
	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	config_write(&cfg, fp);
	fclose(fp);
	/* Values as a person would write them, each under its section. */
	ck_assert_ptr_nonnull(strstr(out, "\n[supervisor]\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nstrategy = one_for_all\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nmax_frame_bytes = 65536\n"));
	ck_assert_ptr_nonnull(strstr(out, "\ncontrol_mode = 0640\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nlog_level = notice\n"));
	ck_assert_ptr_nonnull(strstr(out, "\necho = yes\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nrestart = permanent\n"));
	/* Each key documented with its default. */
	ck_assert_ptr_nonnull(strstr(out, "(default: one_for_one)\n"
	    "strategy = one_for_all\n"));
	ck_assert(strstr(out, "[nosuch]") == NULL);
	free(out);
}
END_TEST

START_TEST(test_names)
{
	int	 i;

	ck_assert_str_eq(restart_name(RESTART_PERMANENT), "permanent");
	ck_assert_str_eq(restart_name(RESTART_TRANSIENT), "transient");
	ck_assert_str_eq(restart_name(RESTART_TEMPORARY), "temporary");
	ck_assert_str_eq(strategy_name(STRATEGY_ONE_FOR_ONE), "one_for_one");
	ck_assert_str_eq(strategy_name(STRATEGY_REST_FOR_ONE),
	    "rest_for_one");
	ck_assert_str_eq(strategy_name(STRATEGY_ONE_FOR_ALL), "one_for_all");
	/* Children in start order. */
	ck_assert_str_eq(child_specs[CHILD_EVENTLOG].name, "eventlog");
	ck_assert_str_eq(child_specs[CHILD_COORDINATOR].name, "coordinator");
	ck_assert_str_eq(child_specs[CHILD_WORKER].name, "worker");
	ck_assert_str_eq(child_specs[CHILD_GATEWAY].name, "gateway");
	for (i = 0; i < CHILD_COUNT; i++)
		ck_assert_int_eq(child_lookup(child_specs[i].name), i);
	ck_assert_int_eq(child_lookup("session"), -1);
	ck_assert_int_eq(child_lookup("Worker"), -1);
	ck_assert_int_eq(child_lookup(""), -1);
}
END_TEST

/* The process tree (child.h): what the runtime, actord and actorctl read. */
START_TEST(test_process_tree)
{
	char	 buf[128];

	ck_assert_uint_eq(child_socket_kinds(), K_COORD | K_WORKER |
	    K_EVENTLOG | K_SYSTEM | K_LINK);
	ck_assert_int_eq(child_of_kind(K_COORD), CHILD_COORDINATOR);
	ck_assert_int_eq(child_of_kind(K_EVENTLOG), CHILD_EVENTLOG);
	ck_assert_int_eq(child_of_kind(K_SYSTEM), -1);
	ck_assert_int_eq(child_of_kind(0), -1);
	ck_assert_int_eq(child_specs[CHILD_GATEWAY].listen, LISTEN_TCP);
	ck_assert_int_eq(child_specs[CHILD_WORKER].listen, LISTEN_UNIX);
	ck_assert_str_eq(child_list(buf, sizeof(buf), " or "),
	    "eventlog, coordinator, worker, link or gateway");
	ck_assert_str_eq(child_list(buf, sizeof(buf), ", "),
	    "eventlog, coordinator, worker, link, gateway");
	ck_assert_str_eq(child_list(buf, 12, ", "), "eventlog, c");
	ck_assert_int_eq(child_socket_path(buf, sizeof(buf), "/run/a",
	    "worker"), 0);
	ck_assert_str_eq(buf, "/run/a/worker.sock");
	ck_assert_int_eq(child_socket_path(buf, 10, "/run/a", "worker"), -1);
}
END_TEST

START_TEST(test_load_env)
{
	/* $ACTORD_CONFIG names the file; unset or empty: defaults. */
	write_file(path, "[supervisor]\nmax_restarts = 4\n");
	ck_assert_int_eq(setenv("ACTORD_CONFIG", path, 1), 0);
	ck_loaded(config_load_env(&cfg));
	ck_assert_int_eq(cfg.max_restarts, 4);
	ck_assert_str_eq(cfg.path, path);
	ck_assert_int_eq(setenv("ACTORD_CONFIG", "", 1), 0);
	ck_loaded(config_load_env(&cfg));
	ck_assert_int_eq(cfg.max_restarts, 10);
	ck_assert_int_eq(unsetenv("ACTORD_CONFIG"), 0);
	ck_loaded(config_load_env(&cfg));
	ck_assert_str_eq(cfg.path, "");
}
END_TEST


/* The i-th word of a NUL-separated list of n. */
static const char *
word(const char *buf, int n, int i)
{
	ck_assert_int_lt(i, n);
	while (i-- > 0)
		buf += strlen(buf) + 1;
	return buf;
}

START_TEST(test_kind_full)
{
	const struct kind_conf	*k;

	ck_loaded(load("[kind.thumb]\n"
	    "argv = /bin/sh -c 'echo \"$1\"; exit 3' x\\ y \"\"\n"
	    "argv = \"a \\\"q\\\" b\"   c\\\\d\n"
	    "env = PATH=/usr/bin:/bin LANG=C.UTF-8\n"
	    "env = 'X=with space'\n"
	    "cwd = /tmp\ninput = args\nmax_args = 3\nmax_arg_bytes = 1k\n"
	    "timeout_ms = 1000\ntimeout_max_ms = 5000\ngrace_ms = 250\n"
	    "max_output_bytes = 4k\nrlimit_cpu_s = 10\nrlimit_as_bytes = 1g\n"
	    "rlimit_nofile = 256\nnice = -5\nmax_attempts = 4\n"
	    "backoff = fixed\nbackoff_base_ms = 100\nbackoff_max_ms = 1000\n"
	    "jitter = 0.25\n"
	    "[kind.plain]\nargv = /bin/true\n"));
	ck_assert_int_eq(cfg.nkinds, 2);
	k = &cfg.kinds[0];
	ck_assert_str_eq(k->name, "thumb");
	ck_assert(!k->builtin);
	ck_assert_int_eq(k->line, 1);
	ck_assert_int_eq(k->argv_line, 2);
	ck_assert_int_eq(k->argc, 7);
	ck_assert_str_eq(word(k->argv, k->argc, 0), "/bin/sh");
	ck_assert_str_eq(word(k->argv, k->argc, 1), "-c");
	ck_assert_str_eq(word(k->argv, k->argc, 2), "echo \"$1\"; exit 3");
	ck_assert_str_eq(word(k->argv, k->argc, 3), "x y");
	ck_assert_str_eq(word(k->argv, k->argc, 4), "");
	ck_assert_str_eq(word(k->argv, k->argc, 5), "a \"q\" b");
	ck_assert_str_eq(word(k->argv, k->argc, 6), "c\\d");
	ck_assert_int_eq(k->nenv, 3);
	ck_assert_str_eq(word(k->env, k->nenv, 0), "PATH=/usr/bin:/bin");
	ck_assert_str_eq(word(k->env, k->nenv, 2), "X=with space");
	ck_assert_str_eq(k->cwd, "/tmp");
	ck_assert_int_eq(k->input, KIND_INPUT_ARGS);
	ck_assert_uint_eq(k->max_args, 3);
	ck_assert_uint_eq(k->max_arg_bytes, 1024);
	ck_assert_uint_eq(k->timeout_ms, 1000);
	ck_assert_uint_eq(k->timeout_max_ms, 5000);
	ck_assert_uint_eq(k->grace_ms, 250);
	ck_assert_uint_eq(k->max_output_bytes, 4096);
	ck_assert_uint_eq(k->rlimit_cpu_s, 10);
	ck_assert_uint_eq(k->rlimit_as_bytes, 1024 * 1024 * 1024);
	ck_assert_uint_eq(k->rlimit_nofile, 256);
	ck_assert(k->has_nice);
	ck_assert_int_eq(k->nice, -5);
	ck_assert(k->retry.has_max_attempts);
	ck_assert_uint_eq(k->retry.max_attempts, 4);
	ck_assert_str_eq(k->retry.backoff, "fixed");
	ck_assert_uint_eq(k->retry.base_ms, 100);
	ck_assert_uint_eq(k->retry.max_ms, 1000);
	ck_assert(k->retry.has_jitter);
	ck_assert(k->retry.jitter == 0.25);
	/* A kind with argv alone: every other key at its default. */
	k = &cfg.kinds[1];
	ck_assert_int_eq(k->argc, 1);
	ck_assert_int_eq(k->nenv, 0);
	ck_assert_str_eq(k->cwd, "/");
	ck_assert_int_eq(k->input, KIND_INPUT_NONE);
	ck_assert_uint_eq(k->timeout_ms, 0);
	ck_assert_uint_eq(k->grace_ms, 5000);
	ck_assert_uint_eq(k->max_output_bytes, 64 * 1024);
	ck_assert_uint_eq(k->max_stdin_bytes, 64 * 1024);
	ck_assert(!k->has_nice);
	ck_assert(!k->retry.has_max_attempts && !k->retry.has_base_ms &&
	    !k->retry.has_max_ms && !k->retry.has_jitter);
	ck_assert_str_eq(k->retry.backoff, "");
	/* The registry sees them after the built-ins. */
	ck_assert_uint_eq(kind_count(&cfg), 5);
	ck_assert_ptr_eq(kind_find(&cfg, "plain"), &cfg.kinds[1]);
	ck_assert(kind_find(&cfg, "sleep")->builtin);
	ck_assert_ptr_null(kind_find(&cfg, "nope"));
	ck_assert_ptr_null(kind_find(NULL, "plain"));
}
END_TEST

START_TEST(test_kind_split)
{
	char	 buf[64], why[80];
	size_t	 used = 0;
	int	 n = 0;

	ck_assert_int_eq(kind_split("  a\t'b c'\"d\"e  \\'\\ f ", buf,
	    sizeof(buf), &used, &n, 8, why, sizeof(why)), 0);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(word(buf, n, 0), "a");
	ck_assert_str_eq(word(buf, n, 1), "b cde");
	ck_assert_str_eq(word(buf, n, 2), "' f");
	/* Nothing expands; single quotes take backslashes as they are. */
	ck_assert_int_eq(kind_split("$HOME ~ * '\\\"'", buf, sizeof(buf),
	    &used, &n, 8, why, sizeof(why)), 0);
	ck_assert_int_eq(n, 7);
	ck_assert_str_eq(word(buf, n, 3), "$HOME");
	ck_assert_str_eq(word(buf, n, 4), "~");
	ck_assert_str_eq(word(buf, n, 6), "\\\"");
	used = 0, n = 0;
	ck_assert_int_eq(kind_split("a 'b", buf, sizeof(buf), &used, &n, 8,
	    why, sizeof(why)), -1);
	ck_assert_str_eq(why, "no closing '");
	ck_assert_int_eq(kind_split("\"a\\\"", buf, sizeof(buf), &used, &n,
	    8, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "no closing \"");
	ck_assert_int_eq(kind_split("a\\", buf, sizeof(buf), &used, &n, 8,
	    why, sizeof(why)), -1);
	ck_assert_str_eq(why, "a backslash at the end");
	ck_assert_int_eq(kind_split("a b c", buf, sizeof(buf), &used, &n, 2,
	    why, sizeof(why)), -1);
	ck_assert_str_eq(why, "more than 2 words");
	ck_assert_int_eq(kind_split("abcdefgh", buf, 8, &used, &n, 8, why,
	    sizeof(why)), -1);
	ck_assert_str_eq(why, "longer than 8 bytes in all");
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

/* kind_quote(word) splits back into word, and only word. */
static void
ck_quote(const char *w)
{
	char	*out = NULL, buf[256], why[80];
	size_t	 len = 0, used = 0;
	FILE	*fp;
	int	 n = 0;

	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	kind_quote(fp, w);
	fclose(fp);
	ck_assert_msg(strstr(out, " ;") == NULL, "a comment in %s", out);
	ck_assert_int_eq(kind_split(out, buf, sizeof(buf), &used, &n, 4, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(buf, w);
	free(out);
}

START_TEST(test_kind_quote)
{
	ck_quote("plain");
	ck_quote("");
	ck_quote("two words");
	ck_quote("it's \"quoted\" \\ back");
	ck_quote("a ;comment? #no");
	ck_quote("\ttab");
}
END_TEST

START_TEST(test_kind_errors)
{
	ck_one_error(load("[kind.x]\nargv = bin/convert\n"), 2,
	    "[kind.x] argv = bin/convert: the program must be an absolute "
	    "path");
	ck_one_error(load("\n[kind.x]\ncwd = /tmp\n"), 2,
	    "[kind.x]: argv is required (the program and its fixed "
	    "arguments)");
	ck_one_error(load("[kind.x]\n"), 1,
	    "[kind.x]: argv is required (the program and its fixed "
	    "arguments)");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nprogram = /bin/x\n"),
	    3, "unknown key 'program' in [kind.x]");
	ck_one_error(load("[kind.x]\nargv = /bin/true 'a\n"), 2,
	    "[kind.x] argv = /bin/true 'a: no closing '");
	ck_one_error(load("[kind.x]\nargv =\n"), 1,
	    "[kind.x]: argv is required (the program and its fixed "
	    "arguments)");
	ck_one_error(load("[kind.a b]\nargv = /bin/true\n"), 1,
	    "[kind.a b]: a kind's name is 1-32 letters, digits, '.', '_' or "
	    "'-'");
	ck_one_error(load("[kind.]\nargv = /bin/true\n"), 1,
	    "[kind.]: a kind's name is 1-32 letters, digits, '.', '_' or "
	    "'-'");
	ck_one_error(load("[kind.sleep]\nargv = /bin/true\n"), 1,
	    "[kind.sleep]: a built-in kind's name");
	ck_one_error(load("[kind.x]\nargv = /bin/true\n[kind.y]\nargv = /a\n"
	    "[kind.x]\nargv = /bin/false\n"), 5,
	    "[kind.x] is defined twice (first at line 1)");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nenv = 1X=2\n"), 3,
	    "[kind.x] env = 1X=2: '1X=2' is not NAME=value");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nenv = PATH\n"), 3,
	    "[kind.x] env = PATH: 'PATH' is not NAME=value");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nenv = A=1 A=2\n"), 3,
	    "[kind.x] env = A=1 A=2: A is set twice");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nenv = A=1\nenv = A=2\n"),
	    4, "[kind.x] env = A=2: A is set twice");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nenv = ACTORD_RUN=1\n"),
	    3, "[kind.x] env = ACTORD_RUN=1: ACTORD_RUN is the worker's own");
	ck_one_error(load("[kind.x]\nargv = /bin/true\ncwd = tmp\n"), 3,
	    "[kind.x] cwd = tmp: not an absolute path");
	ck_one_error(load("[kind.x]\nargv = /bin/true\ninput = json\n"), 3,
	    "[kind.x] input = json: not one of the allowed values");
	ck_one_error(load("[kind.x]\nargv = /bin/true\ninput = builtin\n"), 3,
	    "[kind.x] input = builtin: not one of the allowed values");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nnice = 20\n"), 3,
	    "[kind.x] nice = 20: out of range -20..19");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nmax_args = 1025\n"), 3,
	    "[kind.x] max_args = 1025: out of range 0..1024");
	ck_one_error(load("[kind.x]\nargv = /bin/true\njitter = 1.5\n"), 3,
	    "[kind.x] jitter = 1.5: not a number from 0 to 1");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nbackoff = linear\n"),
	    3, "[kind.x] backoff = linear: not one of the allowed values");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nmax_attempts = 0\n"),
	    3, "[kind.x] max_attempts = 0: out of range 1..1000");
	ck_one_error(load("[kind.x]\nargv = /bin/true\nrlimit_nofile = -1\n"),
	    3, "[kind.x] rlimit_nofile = -1: out of range 0..1048576");
	ck_one_error(load("[kind.x]\nargv = /bin/true\ngrace_ms = soon\n"),
	    3, "[kind.x] grace_ms = soon: not an integer");
}
END_TEST

START_TEST(test_kind_cross)
{
	ck_one_error(load("[kind.x]\nargv = /bin/true\ntimeout_ms = 5000\n"
	    "timeout_max_ms = 1000\n"), 1,
	    "[kind.x]: timeout_ms 5000 is over timeout_max_ms 1000");
	ck_one_error(load("[kind.x]\nargv = /bin/true\n"
	    "timeout_max_ms = 1000\n"), 1, "[kind.x]: timeout_max_ms caps a "
	    "task's timeout: set timeout_ms, from 1 to 1000");
	ck_one_error(load("\n[kind.x]\nargv = /bin/true\nbackoff_base_ms = 10\n"
	    "backoff_max_ms = 5\n"), 2,
	    "[kind.x]: backoff_base_ms is over backoff_max_ms");
	ck_one_error(load("[kind.x]\nargv = /bin/true\n"
	    "max_output_bytes = 1m\n"), 1, "[kind.x]: max_output_bytes "
	    "1048576 makes reports of up to 2804824 bytes (stdout and stderr, "
	    "base64 at worst), over [transport] max_frame_bytes 1048576");
	/* With frames that large, it fits. */
	ck_loaded(load("[transport]\nmax_frame_bytes = 4m\nqueue_max_bytes = 8m"
	    "\n[kind.x]\nargv = /bin/true\nmax_output_bytes = 1m\n"));
	/* Several kinds, several errors, each at its own line. */
	ck_assert_int_eq(load("[kind.a]\n[kind.b]\nargv = /x\n[kind.c]\n"), -1);
	ck_assert_int_eq(cfg.nerrors, 2);
	ck_error(0, 1, "[kind.a]: argv is required (the program and its fixed "
	    "arguments)");
	ck_error(1, 4, "[kind.c]: argv is required (the program and its fixed "
	    "arguments)");
}
END_TEST

START_TEST(test_kind_too_many)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp;
	int	 i;

	ck_assert_ptr_nonnull(fp = open_memstream(&text, &len));
	for (i = 0; i <= KINDS_MAX; i++)
		fprintf(fp, "[kind.k%d]\nargv = /bin/true\n", i);
	fclose(fp);
	ck_one_error(load("%s", text), 2 * KINDS_MAX + 1,
	    "[kind.k%d]: more than %d kinds", KINDS_MAX, KINDS_MAX);
	free(text);
}
END_TEST

START_TEST(test_kind_files)
{
	char	 prog[PATH_MAX + 16];

	/* config_load() leaves the disk alone; config_check_files() looks. */
	ck_loaded(load("[kind.x]\nargv = /nonexistent/convert -q\n"
	    "cwd = /nonexistent\n"));
	ck_assert_int_eq(config_check_files(&cfg), -1);
	ck_assert_int_eq(cfg.nerrors, 2);
	ck_error(0, 2, "[kind.x] argv: /nonexistent/convert: No such file or "
	    "directory");
	ck_error(1, 1, "[kind.x] cwd: /nonexistent: No such file or directory");
	snprintf(prog, sizeof(prog), "%s/script", cwd);
	write_file(prog, "#!/bin/sh\nexit 0\n");
	ck_loaded(load("[kind.x]\nargv = %s\n", prog));
	ck_assert_int_eq(config_check_files(&cfg), -1);
	ck_error(0, 2, "[kind.x] argv: %s is not executable: Permission "
	    "denied", prog);
	ck_loaded(load("\n[kind.x]\nargv = %s\ncwd = %s\n", cwd, prog));
	ck_assert_int_eq(config_check_files(&cfg), -1);
	ck_assert_int_eq(cfg.nerrors, 2);
	ck_error(0, 3, "[kind.x] argv: %s is not a file", cwd);
	ck_error(1, 2, "[kind.x] cwd: %s is not a directory", prog);
	ck_assert_int_eq(chmod(prog, 0755), 0);
	ck_loaded(load("[kind.x]\nargv = %s\ncwd = %s\n", prog, cwd));
	ck_assert_int_eq(config_check_files(&cfg), 0);
}
END_TEST

START_TEST(test_kind_write)
{
	struct config	 again;
	struct kind_conf a, b;
	char		*out = NULL;
	size_t		 len = 0;
	FILE		*fp;
	int		 i;

	ck_loaded(load("[kind.x]\n"
	    "argv = /bin/sh -c 'echo \"a '\\;'b\" # c' '' \\\\\n"
	    "argv = 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\n"
	    "argv = 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41\n"
	    "env = A=1 'B=two words'\ninput = stdin\nnice = 3\njitter = 0.5\n"
	    "[kind.y]\nargv = /bin/true\n"));
	rewrite(&cfg, &again);
	ck_assert_int_eq(again.nkinds, 2);
	for (i = 0; i < 2; i++) {
		a = cfg.kinds[i];
		b = again.kinds[i];
		a.line = b.line = a.argv_line = b.argv_line = 0;
		ck_assert_str_eq(a.name, b.name);
		ck_assert_int_eq(a.argc, b.argc);
		ck_assert(memcmp(&a, &b, sizeof(a)) == 0);
	}
	/* Without kinds, a commented template documents their keys. */
	ck_loaded(config_load(&cfg, NULL));
	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	config_write(&cfg, fp);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(out, "\n#[kind.NAME]\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "(default: 5000)\n#grace_ms = 5000\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n#rlimit_nofile = 0\n"));
	free(out);
}
END_TEST

/* kind_check_input() of JSON text (NULL: absent); why into whybuf. */
static char	 whybuf[256];

static int
check_input(const struct kind_conf *k, const char *json)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	msgpack_unpacked u;
	json_t		*j;
	char		 text[256];
	int		 rc;

	whybuf[0] = '\0';
	if (json == NULL)
		return kind_check_input(k, NULL, whybuf, sizeof(whybuf));
	/* The parser takes an array or an object: the value goes in one. */
	snprintf(text, sizeof(text), "[%s]", json);
	ck_assert_ptr_nonnull(j = mpjson_parse(text, strlen(text)));
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ck_assert_int_eq(mpjson_pack(&pk, j, 32), 0);
	json_decref(j);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, sb.data, sb.size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	rc = kind_check_input(k, &u.data.via.array.ptr[0], whybuf,
	    sizeof(whybuf));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/* kind_check_input() of ["a", "b\0"], which JSON cannot carry here. */
static int
check_nul(const struct kind_conf *k)
{
	msgpack_object	 v[2], arr;

	memset(v, 0, sizeof(v));
	v[0].type = v[1].type = MSGPACK_OBJECT_STR;
	v[0].via.str.ptr = "a";
	v[0].via.str.size = 1;
	v[1].via.str.ptr = "b\0";
	v[1].via.str.size = 2;
	arr.type = MSGPACK_OBJECT_ARRAY;
	arr.via.array.size = 2;
	arr.via.array.ptr = v;
	return kind_check_input(k, &arr, whybuf, sizeof(whybuf));
}

START_TEST(test_kind_input)
{
	const struct kind_conf	*in, *args, *none;

	ck_loaded(load("[kind.in]\nargv = /bin/cat\ninput = stdin\n"
	    "max_stdin_bytes = 16\n[kind.args]\nargv = /bin/echo\n"
	    "input = args\nmax_args = 4\nmax_arg_bytes = 3\n"
	    "[kind.none]\nargv = /bin/true\n"));
	in = kind_find(&cfg, "in");
	args = kind_find(&cfg, "args");
	none = kind_find(&cfg, "none");
	/* stdin: any JSON up to the cap, absent is null. */
	ck_assert_int_eq(check_input(in, "{\"a\":[1,2,3]}"), 0);
	ck_assert_int_eq(check_input(in, NULL), 0);
	ck_assert_int_eq(check_input(in, "\"0123456789abcd\""), 0);
	ck_assert_int_eq(check_input(in, "\"0123456789abcde\""), -1);
	ck_assert_str_eq(whybuf, "'input' is 17 bytes as JSON; kind in takes "
	    "at most 16 on stdin");
	/* args: an array of bounded strings. */
	ck_assert_int_eq(check_input(args, "[\"a\",\"bb\",\"ccc\",\"\"]"), 0);
	ck_assert_int_eq(check_input(args, NULL), 0);
	ck_assert_int_eq(check_input(args, "null"), 0);
	ck_assert_int_eq(check_input(args, "[]"), 0);
	ck_assert_int_eq(check_input(args, "{\"a\":1}"), -1);
	ck_assert_str_eq(whybuf, "'input' must be an array of strings: kind "
	    "args appends them to its command");
	ck_assert_int_eq(check_input(args, "[\"a\",\"b\",\"c\",\"d\",\"e\"]"),
	    -1);
	ck_assert_str_eq(whybuf, "'input' has 5 strings; kind args takes at "
	    "most 4");
	ck_assert_int_eq(check_input(args, "[\"a\",\"b\",\"c\",7]"), -1);
	ck_assert_str_eq(whybuf, "'input[3]' must be a string");
	ck_assert_int_eq(check_nul(args), -1);
	ck_assert_str_eq(whybuf, "'input[1]' has a NUL byte");
	ck_assert_int_eq(check_input(args, "[\"abcd\"]"), -1);
	ck_assert_str_eq(whybuf, "'input[0]' is longer than 3 bytes");
	/* none: absent or null only. */
	ck_assert_int_eq(check_input(none, NULL), 0);
	ck_assert_int_eq(check_input(none, "null"), 0);
	ck_assert_int_eq(check_input(none, "{}"), -1);
	ck_assert_str_eq(whybuf, "'input' must be absent: kind none takes "
	    "none");
	/* The built-ins keep their rules. */
	ck_assert_int_eq(check_input(kind_find(&cfg, "sleep"),
	    "{\"ms\":\"x\"}"), -1);
	ck_assert_int_eq(check_input(kind_find(&cfg, "echo"), "[1]"), 0);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_defaults_agree);
	tcase_add_test(tc, test_defaults_transport);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_full_file);
	tcase_add_test(tc, test_value_forms);
	tcase_add_test(tc, test_relative_paths);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_process_tree);
	tcase_add_test(tc, test_load_env);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_err_unknown_section);
	tcase_add_test(tc, test_err_unknown_key);
	tcase_add_test(tc, test_err_not_integer);
	tcase_add_test(tc, test_err_range);
	tcase_add_test(tc, test_err_enum);
	tcase_add_test(tc, test_err_size);
	tcase_add_test(tc, test_err_mode);
	tcase_add_test(tc, test_err_bool);
	tcase_add_test(tc, test_err_log_level);
	tcase_add_test(tc, test_err_syntax);
	tcase_add_test(tc, test_err_long_line);
	tcase_add_test(tc, test_err_many);
	tcase_add_test(tc, test_err_print);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_err_cap);
	tcase_add_test(tc, test_validate_queue);
	tcase_add_test(tc, test_validate_backoff);
	tcase_add_test(tc, test_validate_run_dir);
	tcase_add_test(tc, test_validate_listen);
	tcase_add_test(tc, test_cluster);
	tcase_add_test(tc, test_validate_with_parse_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_write_defaults);
	tcase_add_test(tc, test_write_full);
	tcase_add_test(tc, test_write_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("kinds");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_kind_full);
	tcase_add_test(tc, test_kind_split);
	tcase_add_test(tc, test_kind_quote);
	tcase_add_test(tc, test_kind_errors);
	tcase_add_test(tc, test_kind_cross);
	tcase_add_test(tc, test_kind_too_many);
	tcase_add_test(tc, test_kind_files);
	tcase_add_test(tc, test_kind_write);
	tcase_add_test(tc, test_kind_input);
	suite_add_tcase(s, tc);
	return s;
}
