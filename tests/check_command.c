/*
 * The worker's command runner against real programs and a real event
 * loop (worker/worker_command.c), and the capture of their output
 * (worker/worker_output.c): head, tail and marker, UTF-8 or base64; how
 * a run ends (exit, signal, timeout, a cancel racing its exit, a failed
 * start), what it gets (argv, env, cwd, descriptors, limits, its own
 * group), live output, and what its processes leave behind.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "../worker/worker_command.h"
#include "check_main.h"
#include "clock.h"
#include "log.h"
#include "mpjson.h"
#include "xmalloc.h"

#define TIMEOUT		30	/* seconds per test */

static struct event_base	*base;
static struct cmd_runner	*r;
static struct kind_conf		 kc;
static msgpack_unpacked		 res;		/* the last result */
static char			*resbuf;	/* its bytes */
static struct cmd_outcome	 out;		/* the last outcome */
static char			 error[ERROR_TEXT_MAX + 1];
static char			 code[CODE_MAX + 1];
static int			 ndone, ngone;
static char			 streamed[2][65536];	/* stdout, stderr */
static size_t			 nstreamed[2];
static int			 nchunks;
static uint64_t			 next_off[2];
static bool			 chunk_b64, chunk_gap;

static void
setup(void)
{
	log_init("check_command", LOG_WARNING);
	base = event_base_new();
	msgpack_unpacked_init(&res);
	ndone = ngone = nchunks = 0;
	memset(nstreamed, 0, sizeof(nstreamed));
	memset(next_off, 0, sizeof(next_off));
	chunk_b64 = chunk_gap = false;
}

static void
gone(void *arg, const char *run)
{
	(void)arg;
	ck_assert_ptr_nonnull(strchr(run, '.'));
	ngone++;
}

static void
teardown(void)
{
	cmd_runner_free(r);
	r = NULL;
	event_base_free(base);
	msgpack_unpacked_destroy(&res);
	free(resbuf);
	resbuf = NULL;
}

static void
new_runner(void)
{
	r = cmd_runner_new(base, gone, NULL);
	ck_assert_ptr_nonnull(r);
}

/* A kind running line (split as the config splits argv), input none. */
static void
kind(const char *line)
{
	char	 why[80];
	size_t	 used = 0;

	memset(&kc, 0, sizeof(kc));
	snprintf(kc.name, sizeof(kc.name), "test");
	kc.input = KIND_INPUT_NONE;
	snprintf(kc.cwd, sizeof(kc.cwd), "/");
	kc.grace_ms = 5000;
	kc.max_output_bytes = 64 * 1024;
	kc.max_args = 8;
	kc.max_arg_bytes = 64;
	kc.max_stdin_bytes = 1024;
	ck_assert_int_eq(kind_split(line, kc.argv, sizeof(kc.argv), &used,
	    &kc.argc, KIND_WORDS_MAX, why, sizeof(why)), 0);
	used = 0;
	ck_assert_int_eq(kind_split("PATH=/usr/bin:/bin", kc.env,
	    sizeof(kc.env), &used, &kc.nenv, KIND_WORDS_MAX, why,
	    sizeof(why)), 0);
}

static void
done(void *arg, const struct cmd_outcome *o)
{
	(void)arg;
	ndone++;
	out = *o;
	snprintf(error, sizeof(error), "%s", o->error);
	snprintf(code, sizeof(code), "%s", o->code);
	out.error[0] = '\0';
	/* The result is the runner's until we return: a copy. */
	free(resbuf);
	resbuf = xmalloc(o->resultlen);
	memcpy(resbuf, o->result, o->resultlen);
	msgpack_unpacked_destroy(&res);
	msgpack_unpacked_init(&res);
	ck_assert_int_eq(msgpack_unpack_next(&res, resbuf, o->resultlen,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(res.data.type, MSGPACK_OBJECT_MAP);
}

/* A chunk of live output: offsets follow on, unless bytes were skipped. */
static void
output(void *arg, const char *stream, uint64_t offset, const char *data,
    const char *encoding)
{
	int	 i = strcmp(stream, "stderr") == 0;
	size_t	 n = strlen(data);

	(void)arg;
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, OUTPUT_CHUNK_MAX);
	nchunks++;
	if (offset != next_off[i])
		chunk_gap = true;
	if (*encoding != '\0') {
		ck_assert_str_eq(encoding, "base64");
		chunk_b64 = true;
		n = n / 4 * 3;	/* close enough for the offsets' sake */
	} else if (nstreamed[i] + n < sizeof(streamed[i])) {
		memcpy(streamed[i] + nstreamed[i], data, n);
		nstreamed[i] += n;
	}
	next_off[i] = offset + n;
}

static const struct cmd_hooks	hooks = { done, output };

static int64_t
now_ms(void)
{
	return mono_ms();
}

/* Run the loop until *counter reaches want, or fail after ms. */
static void
run_until(int *counter, int want, int ms)
{
	int64_t	 end = now_ms() + ms;

	while (*counter < want && now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_msg(*counter >= want, "%d of %d after %d ms", *counter,
	    want, ms);
}

/* Run the loop for ms whatever happens. */
static void
run_for(int ms)
{
	int64_t	 end = now_ms() + ms;
	struct timeval	 tv = { 0, 10000 };

	while (now_ms() < end) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

/* Start the kind with input (NULL: none) and timeout; the run. */
static struct cmd *
start(const msgpack_object *input, uint64_t timeout_ms, bool stream)
{
	struct cmd_spec		 s;
	struct cmd		*c;

	memset(&s, 0, sizeof(s));
	s.kind = &kc;
	s.task_id = "t1";
	s.input = input;
	s.timeout_ms = timeout_ms;
	s.stream = stream;
	c = cmd_start(r, &s, &hooks, NULL, &out);
	ck_assert_msg(c != NULL, "did not start: %s", out.error);
	return c;
}

/* Start it and wait for its end. */
static void
run(const msgpack_object *input, uint64_t timeout_ms)
{
	int	 before = ndone;

	start(input, timeout_ms, false);
	run_until(&ndone, before + 1, 20000);
}

/* A field of the last result. */
static const msgpack_object *
field(const char *key)
{
	return mp_get(&res.data, key);
}

static bool
field_is(const char *key, const char *want)
{
	return mp_streq(field(key), want);
}

static int64_t
field_int(const char *key)
{
	const msgpack_object	*v = field(key);

	ck_assert_ptr_nonnull(v);
	ck_assert(v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER);
	return v->via.i64;
}

/* The string s of the last result, NUL-ended, in buf. */
static const char *
field_str(const char *key, char *buf, size_t size)
{
	ck_assert_int_eq(mp_strcpy(field(key), buf, size), 0);
	return buf;
}

static bool
truncated(const char *stream)
{
	const msgpack_object	*v = mp_get(field("truncated"), stream);

	ck_assert_ptr_nonnull(v);
	return v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
}

/* Does pid still exist (not reaped)? */
static bool
alive(pid_t pid)
{
	return kill(pid, 0) == 0;
}

/* ---- output capture ---------------------------------------------- */

START_TEST(test_capture_small)
{
	struct capture	 c;
	char		*t;
	size_t		 len;
	bool		 cut;

	capture_init(&c, 64);
	capture_add(&c, "hello ", 6);
	capture_add(&c, "world", 5);
	t = capture_text(&c, &len, &cut);
	ck_assert(!cut);
	ck_assert_uint_eq(len, 11);
	ck_assert(memcmp(t, "hello world", 11) == 0);
	free(t);
	/* Exactly the cap: everything, not cut. */
	capture_add(&c, "0123456789012345678901234567890123456789012345678901",
	    53);
	ck_assert_uint_eq(c.total, 64);
	t = capture_text(&c, &len, &cut);
	ck_assert(!cut);
	ck_assert_uint_eq(len, 64);
	free(t);
	ck_assert_uint_le(c.alloc, 64);
	capture_free(&c);
	/* Nothing at all. */
	capture_init(&c, 64);
	t = capture_text(&c, &len, &cut);
	ck_assert(!cut);
	ck_assert_uint_eq(len, 0);
	free(t);
	capture_free(&c);
}
END_TEST

/*
 * What a watcher that comes late is sent first: the latest bytes kept, in
 * order, with their offset in the stream, whether the ring has wrapped or
 * not, at most the chunk's size, not starting inside a character.
 */
START_TEST(test_capture_last)
{
	struct capture	 c;
	char		 got[64], chunk[1000];
	uint64_t	 off, n, i;
	size_t		 k;

	capture_init(&c, 64);
	ck_assert_uint_eq(capture_last(&c, got, sizeof(got), &off), 0);
	capture_add(&c, "hello world\n", 12);
	k = capture_last(&c, got, sizeof(got), &off);
	ck_assert_uint_eq(k, 12);
	ck_assert_uint_eq(off, 0);
	ck_assert(memcmp(got, "hello world\n", 12) == 0);
	k = capture_last(&c, got, 6, &off);
	ck_assert_uint_eq(off, 6);
	ck_assert(memcmp(got, "world\n", 6) == 0);
	/* Wrapped many times: the ring's 32 latest bytes. */
	for (n = 0; n < 5000; n += 37) {
		for (i = 0; i < 37; i++)
			chunk[i] = (char)('a' + (n + i) % 26);
		capture_add(&c, chunk, 37);
	}
	k = capture_last(&c, got, sizeof(got), &off);
	ck_assert_uint_eq(k, 32);
	ck_assert_uint_eq(off, c.total - 32);
	for (i = 0; i < 32; i++)
		ck_assert_int_eq(got[i], 'a' + (off - 12 + i) % 26);
	capture_free(&c);
	/* A cut character's continuation bytes are left got. */
	capture_init(&c, 64);
	capture_add(&c, "x\xc3\xa9t\xc3\xa9", 6);
	k = capture_last(&c, got, 4, &off);
	ck_assert_uint_eq(k, 3);
	ck_assert_uint_eq(off, 3);
	ck_assert(memcmp(got, "t\xc3\xa9", 3) == 0);
	capture_free(&c);
}
END_TEST

START_TEST(test_capture_cut)
{
	struct capture	 c;
	char		*t, want[256], chunk[1000];
	size_t		 len, i, sizes[] = { 1, 7, 31, 32, 33, 999, 1000 }, k;
	uint64_t	 n;
	bool		 cut;

	/* However it comes, the first 32 and the last 32 bytes stay. */
	for (k = 0; k < nitems(sizes); k++) {
		capture_init(&c, 64);
		for (n = 0; n < 5000; ) {
			for (i = 0; i < sizes[k]; i++)
				chunk[i] = (char)('a' + (n + i) % 26);
			capture_add(&c, chunk, sizes[k]);
			n += sizes[k];
		}
		ck_assert_uint_eq(c.total, n);
		ck_assert_uint_le(c.alloc, 64);
		t = capture_text(&c, &len, &cut);
		ck_assert(cut);
		for (i = 0; i < 32; i++) {
			ck_assert_int_eq(t[i], 'a' + i % 26);
			ck_assert_int_eq(t[len - 32 + i],
			    'a' + (n - 32 + i) % 26);
		}
		snprintf(want, sizeof(want), "\n... [%llu bytes cut] ...\n",
		    (unsigned long long)n - 64);
		ck_assert_uint_eq(len, 64 + strlen(want));
		ck_assert(memcmp(t + 32, want, strlen(want)) == 0);
		free(t);
		capture_free(&c);
	}
	/* One byte over. */
	capture_init(&c, 64);
	memset(chunk, 'x', 65);
	capture_add(&c, chunk, 65);
	t = capture_text(&c, &len, &cut);
	ck_assert(cut);
	ck_assert_ptr_nonnull(memmem(t, len, "[1 bytes cut]", 13));
	free(t);
	capture_free(&c);
}
END_TEST

START_TEST(test_capture_utf8_cut)
{
	struct capture	 c;
	char		*t;
	size_t		 len, i;
	bool		 cut;

	/* "é" is two bytes: 31 x then é spans the head's end (32 bytes). */
	capture_init(&c, 64);
	for (i = 0; i < 31; i++)
		capture_add(&c, "x", 1);
	for (i = 0; i < 100; i++)
		capture_add(&c, "\xc3\xa9", 2);
	capture_add(&c, "\xe2\x82\xac", 3);	/* the euro sign, last */
	t = capture_text(&c, &len, &cut);
	ck_assert(cut);
	/* No character is cut: the text is UTF-8 and goes as it is. */
	ck_assert(output_is_text(t, len));
	ck_assert(memcmp(t + len - 3, "\xe2\x82\xac", 3) == 0);
	ck_assert_ptr_nonnull(memmem(t, len, "bytes cut", 9));
	free(t);
	capture_free(&c);
	ck_assert_uint_eq(utf8_whole("ab\xc3", 3), 2);
	ck_assert_uint_eq(utf8_whole("ab\xc3\xa9", 4), 4);
	ck_assert_uint_eq(utf8_whole("\xe2\x82", 2), 0);
	ck_assert_uint_eq(utf8_whole("\xf0\x9f\x98", 3), 0);
	ck_assert_uint_eq(utf8_whole("\xf0\x9f\x98\x80", 4), 4);
	ck_assert_uint_eq(utf8_whole("", 0), 0);
}
END_TEST

START_TEST(test_encoding)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	msgpack_unpacked u;
	char		 b[64];
	size_t		 i;
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};

	for (i = 0; i < nitems(v); i++) {
		ck_assert_uint_eq(base64_encode(v[i][0], strlen(v[i][0]), b),
		    strlen(v[i][1]));
		ck_assert_str_eq(b, v[i][1]);
	}
	ck_assert(output_is_text("h\xc3\xa9llo", 6));
	ck_assert(!output_is_text("h\xc3llo", 5));
	ck_assert(!output_is_text("a\0b", 3));
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ck_assert(!pack_output(&pk, "plain", 5));
	ck_assert(pack_output(&pk, "ok\xff\xfe\0z", 6));
	msgpack_unpacked_init(&u);
	i = 0;
	ck_assert_int_eq(msgpack_unpack_next(&u, sb.data, sb.size, &i),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert(mp_streq(&u.data, "plain"));
	ck_assert_int_eq(msgpack_unpack_next(&u, sb.data, sb.size, &i),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert(mp_streq(&u.data, "b2v//gB6"));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* ---- how a run ends ---------------------------------------------- */

START_TEST(test_exit_codes)
{
	char	 buf[256];

	new_runner();
	kind("/bin/sh -c 'echo out; echo err >&2'");
	run(NULL, 0);
	ck_assert(!out.failed);
	ck_assert_str_eq(code, "");
	ck_assert_int_eq(field_int("exitCode"), 0);
	ck_assert_str_eq(field_str("stdout", buf, sizeof(buf)), "out\n");
	ck_assert_str_eq(field_str("stderr", buf, sizeof(buf)), "err\n");
	ck_assert(!truncated("stdout") && !truncated("stderr"));
	ck_assert_ptr_null(field("signal"));
	ck_assert_ptr_null(field("stdoutEncoding"));
	ck_assert_int_ge(field_int("durationMs"), 0);
	kind("/bin/sh -c 'exit 3'");
	run(NULL, 0);
	ck_assert(out.failed);
	ck_assert_str_eq(code, "exit");
	ck_assert_str_eq(error, "exit 3");
	ck_assert_int_eq(field_int("exitCode"), 3);
	kind("/bin/sh -c 'kill -SEGV $$'");
	run(NULL, 0);
	ck_assert_str_eq(code, "signal");
	ck_assert_str_eq(error, "killed by SIGSEGV");
	ck_assert_int_eq(field("exitCode")->type, MSGPACK_OBJECT_NIL);
	ck_assert(field_is("signal", "SIGSEGV"));
	ck_assert_int_eq(ngone, 3);
	ck_assert_uint_eq(cmd_runner_count(r), 0);
}
END_TEST

START_TEST(test_timeout)
{
	int64_t	 t0;

	new_runner();
	/* sleep dies on SIGTERM: the grace is not waited for. */
	kind("/bin/sleep 10");
	t0 = now_ms();
	run(NULL, 100);
	ck_assert(out.failed);
	ck_assert_str_eq(code, "timeout");
	ck_assert_str_eq(error, "timeout after 100 ms");
	ck_assert(field_is("signal", "SIGTERM"));
	ck_assert_int_lt(now_ms() - t0, 2000);
	/* SIGTERM ignored: SIGKILL after the grace. */
	kind("/bin/sh -c 'trap \"\" TERM; sleep 10; exit 0'");
	kc.grace_ms = 200;
	t0 = now_ms();
	run(NULL, 100);
	ck_assert_str_eq(code, "timeout");
	ck_assert(field_is("signal", "SIGKILL"));
	/*
	 * 100 + 200 ms, give or take the few ms libevent's timers may fire
	 * early by (they start from the loop's cached time; CI saw 297):
	 * without the grace it would be about 100.
	 */
	ck_assert_int_ge(now_ms() - t0, 290);
	ck_assert_int_lt(now_ms() - t0, 3000);
	/* A program that handles SIGTERM and exits 0 still timed out. */
	kind("/bin/sh -c 'trap \"exit 0\" TERM; sleep 10 & wait'");
	run(NULL, 100);
	ck_assert_str_eq(code, "timeout");
	ck_assert_int_eq(field_int("exitCode"), 0);
	/* Done before its timeout: completed. */
	kind("/bin/true");
	run(NULL, 5000);
	ck_assert(!out.failed);
}
END_TEST

START_TEST(test_timeout_races_exit)
{
	int	 i, n = 20;

	/* Exit and timeout at about the same time: one report each. */
	new_runner();
	kind("/bin/sleep 0.05");
	for (i = 0; i < n; i++)
		start(NULL, 50, false);
	run_until(&ndone, n, 20000);
	run_for(100);
	ck_assert_int_eq(ndone, n);
	run_until(&ngone, n, 5000);
	ck_assert_uint_eq(cmd_runner_count(r), 0);
}
END_TEST

START_TEST(test_cancel)
{
	struct cmd	*c;
	pid_t		 pid;
	int64_t		 t0;

	new_runner();
	/* A cancel: no report ever; SIGTERM, then SIGKILL after the grace. */
	kind("/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'");
	kc.grace_ms = 150;
	c = start(NULL, 0, false);
	pid = cmd_pgid(c);
	run_for(50);
	t0 = now_ms();
	cmd_abort(c);
	run_until(&ngone, 1, 5000);
	ck_assert_int_ge(now_ms() - t0, 140);
	ck_assert(!alive(pid));
	ck_assert_int_eq(ndone, 0);
	/* A cancel before the loop saw its exit: still no report. */
	kind("/bin/true");
	c = start(NULL, 0, false);
	usleep(100000);		/* it has exited; SIGCHLD is pending */
	cmd_abort(c);
	run_until(&ngone, 2, 5000);
	run_for(50);
	ck_assert_int_eq(ndone, 0);
	ck_assert_uint_eq(cmd_runner_count(r), 0);
	/* A cancel after a timeout's SIGTERM: one SIGKILL, no report. */
	kind("/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'");
	kc.grace_ms = 100;
	c = start(NULL, 50, false);
	run_for(80);
	cmd_abort(c);
	run_until(&ngone, 3, 5000);
	ck_assert_int_eq(ndone, 0);
}
END_TEST

/*
 * A first process that left its own group (joined another): the timeout
 * and a cancel still reach it, by its pid, which is ours until reaped.
 */
START_TEST(test_left_its_group)
{
	struct cmd	*c;
	int64_t		 t0;

	new_runner();
	kind("/usr/bin/perl -e 'setpgrp(0, getpgrp(getppid())) and "
	    "sleep 30'");
	t0 = now_ms();
	run(NULL, 200);
	ck_assert_int_eq(ndone, 1);
	ck_assert_str_eq(code, "timeout");
	ck_assert(field_is("signal", "SIGTERM"));
	ck_assert_int_lt(now_ms() - t0, 5000);
	c = start(NULL, 0, false);
	run_for(300);		/* perl has left its group */
	cmd_abort(c);
	run_until(&ngone, 2, 5000);
	ck_assert_uint_eq(cmd_runner_count(r), 0);
}
END_TEST

START_TEST(test_start_fails)
{
	struct cmd_spec	 s;
	struct cmd	*c;
	msgpack_unpacked u;

	new_runner();
	memset(&s, 0, sizeof(s));
	s.kind = &kc;
	s.task_id = "t1";
	kind("/nonexistent/program -x");
	c = cmd_start(r, &s, &hooks, NULL, &out);
	ck_assert_ptr_null(c);
	ck_assert(out.failed);
	ck_assert_str_eq(out.code, "spawn");
	ck_assert_str_eq(out.error, "cannot run /nonexistent/program: No such "
	    "file or directory");
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, out.result, out.resultlen,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(mp_get(&u.data, "exitCode")->type,
	    MSGPACK_OBJECT_NIL);
	ck_assert(mp_streq(mp_get(&u.data, "stdout"), ""));
	msgpack_unpacked_destroy(&u);
	kind("/etc/passwd");
	ck_assert_ptr_null(cmd_start(r, &s, &hooks, NULL, &out));
	ck_assert_str_eq(out.error, "cannot run /etc/passwd: Permission "
	    "denied");
	kind("/bin/true");
	snprintf(kc.cwd, sizeof(kc.cwd), "/nonexistent");
	ck_assert_ptr_null(cmd_start(r, &s, &hooks, NULL, &out));
	ck_assert_str_eq(out.error, "cannot start /bin/true: chdir: No such "
	    "file or directory");
	/* The input breaks the kind's rule (the coordinator checks it too). */
	kind("/bin/echo");
	kc.input = KIND_INPUT_ARGS;
	kc.max_args = 0;
	{
		msgpack_object	 v, a;

		v.type = MSGPACK_OBJECT_STR;
		v.via.str.ptr = "x";
		v.via.str.size = 1;
		a.type = MSGPACK_OBJECT_ARRAY;
		a.via.array.size = 1;
		a.via.array.ptr = &v;
		s.input = &a;
		ck_assert_ptr_null(cmd_start(r, &s, &hooks, NULL, &out));
		ck_assert_str_eq(out.code, "spawn");
		ck_assert_str_eq(out.error, "'input' has 1 strings; kind test "
		    "takes at most 0");
	}
	/* Nothing left over, nothing reported. */
	run_for(50);
	ck_assert_int_eq(ndone, 0);
	ck_assert_uint_eq(cmd_runner_count(r), 0);
}
END_TEST

/* ---- what a run gets --------------------------------------------- */

/* One msgpack object from pk's buffer, into u. */
static const msgpack_object *
unpack(msgpack_sbuffer *sb, msgpack_unpacked *u)
{
	ck_assert_int_eq(msgpack_unpack_next(u, sb->data, sb->size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	return &u->data;
}

START_TEST(test_input)
{
	msgpack_sbuffer	 sb[2];
	msgpack_packer	 pk;
	msgpack_unpacked u[2];
	char		 buf[256];
	int		 i;

	new_runner();
	for (i = 0; i < 2; i++) {
		msgpack_sbuffer_init(&sb[i]);
		msgpack_unpacked_init(&u[i]);
	}
	msgpack_packer_init(&pk, &sb[0], msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 3);
	mp_pack_str(&pk, "a b");
	mp_pack_str(&pk, "");
	mp_pack_str(&pk, "$HOME");
	msgpack_packer_init(&pk, &sb[1], msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "k", "v\"");
	/* args: after the kind's words, each one argument, nothing expanded. */
	kind("/bin/sh -c 'printf \"<%s>\" \"$@\"' sh fixed");
	kc.input = KIND_INPUT_ARGS;
	run(unpack(&sb[0], &u[0]), 0);
	ck_assert_str_eq(field_str("stdout", buf, sizeof(buf)),
	    "<fixed><a b><><$HOME>");
	/* stdin: the input as JSON; none is null. */
	kind("/bin/cat");
	kc.input = KIND_INPUT_STDIN;
	run(unpack(&sb[1], &u[1]), 0);
	ck_assert_str_eq(field_str("stdout", buf, sizeof(buf)),
	    "{\"k\":\"v\\\"\"}");
	run(NULL, 0);
	ck_assert_str_eq(field_str("stdout", buf, sizeof(buf)), "null");
	/* none: stdin is empty. */
	kind("/bin/cat");
	run(NULL, 0);
	ck_assert_str_eq(field_str("stdout", buf, sizeof(buf)), "");
	for (i = 0; i < 2; i++) {
		msgpack_unpacked_destroy(&u[i]);
		msgpack_sbuffer_destroy(&sb[i]);
	}
}
END_TEST

START_TEST(test_environment)
{
	char	 buf[1024], want[128];

	new_runner();
	/* Exactly the kind's environment, and the run's marker first. */
	kind("/usr/bin/env");
	run(NULL, 0);
	field_str("stdout", buf, sizeof(buf));
	ck_assert_int_eq(strncmp(buf, "ACTORD_RUN=", 11), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\nPATH=/usr/bin:/bin\n"));
	ck_assert_int_eq(strchr(strchr(buf, '\n') + 1, '\n')[1], '\0');
	/* cwd. */
	kind("/bin/pwd");
	snprintf(kc.cwd, sizeof(kc.cwd), "/tmp");
	run(NULL, 0);
	ck_assert_str_eq(field_str("stdout", buf, sizeof(buf)), "/tmp\n");
	/* Descriptors 0-2 only: ls sees its own directory's on 3. */
	kind("/bin/ls /proc/self/fd");
	run(NULL, 0);
	ck_assert_str_eq(field_str("stdout", buf, sizeof(buf)),
	    "0\n1\n2\n3\n");
	/*
	 * A process group of its own, with default signal dispositions:
	 * even signal 33 (glibc's own, which sigaction() refuses to touch)
	 * that this process ignores, as make(1) passes it on.
	 */
	ck_assert_int_eq(syscall(SYS_rt_sigaction, 33,
	    (unsigned long[4]){ (unsigned long)SIG_IGN }, NULL,
	    (size_t)(NSIG / 8)), 0);
	kind("/bin/sh -c 'set -- $(cat /proc/$$/stat); echo $1 $5; "
	    "grep -E \"^Sig(Ign|Blk)\" /proc/self/status'");
	run(NULL, 0);
	field_str("stdout", buf, sizeof(buf));
	{
		long	 pid, pgrp;

		ck_assert_int_eq(sscanf(buf, "%ld %ld", &pid, &pgrp), 2);
		ck_assert_int_eq(pid, pgrp);
	}
	ck_assert_msg(strstr(buf, "SigBlk:\t0000000000000000\n") != NULL,
	    "%s", buf);
	/* The shell ignores nothing the worker ignored (SIGPIPE). */
	snprintf(want, sizeof(want), "SigIgn:\t%016llx", 0ULL);
	ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
	/*
	 * Limits and nice.  Valgrind (make valgrind) refuses to change
	 * RLIMIT_NOFILE's hard limit: not tried under it.
	 */
	kind("/bin/sh -c 'ulimit -n; ulimit -t; cut -d\" \" -f19 "
	    "/proc/$$/stat'");
	kc.rlimit_nofile = getenv("VALGRIND") != NULL ? 0 : 77;
	kc.rlimit_cpu_s = 9;
	kc.has_nice = true;
	kc.nice = 7;
	run(NULL, 0);
	field_str("stdout", buf, sizeof(buf));
	ck_assert_str_eq(strchr(buf, '\n') + 1, "9\n7\n");
	if (kc.rlimit_nofile > 0)
		ck_assert_str_eq(buf, "77\n9\n7\n");
	kind("/bin/sh -c 'ulimit -v'");
	kc.rlimit_as_bytes = 512 * 1024 * 1024;
	run(NULL, 0);
	ck_assert_str_eq(field_str("stdout", buf, sizeof(buf)), "524288\n");
}
END_TEST

START_TEST(test_output_capped)
{
	char	 buf[4096];

	new_runner();
	/* 5 MB into 1 KiB: the first and last bytes, a marker between. */
	kind("/bin/sh -c 'printf start; head -c 5000000 /dev/zero | "
	    "tr \"\\\\0\" x; printf end; echo e >&2'");
	kc.max_output_bytes = 1024;
	run(NULL, 0);
	ck_assert(!out.failed);
	ck_assert(truncated("stdout"));
	ck_assert(!truncated("stderr"));
	field_str("stdout", buf, sizeof(buf));
	ck_assert_int_eq(strncmp(buf, "startxxx", 8), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\n... [4998984 bytes cut] ...\n"));
	ck_assert_str_eq(buf + strlen(buf) - 6, "xxxend");
	/* Not UTF-8: base64, said so. */
	kind("/bin/sh -c 'printf \"\\\\377\\\\001\" >&2'");
	run(NULL, 0);
	ck_assert(field_is("stderr", "/wE="));
	ck_assert(field_is("stderrEncoding", "base64"));
	ck_assert_ptr_null(field("stdoutEncoding"));
	/* Its stdout closed early: it runs on. */
	kind("/bin/sh -c 'exec >&-; sleep 0.1; echo late >&2; exit 4'");
	run(NULL, 0);
	ck_assert_str_eq(error, "exit 4");
	ck_assert_str_eq(field_str("stderr", buf, sizeof(buf)), "late\n");
}
END_TEST

/* ---- live output ------------------------------------------------- */

START_TEST(test_stream)
{
	struct cmd	*c;

	new_runner();
	/* Coalesced: 1000 lines in a few chunks, offsets following on. */
	kind("/bin/sh -c 'i=0; while [ $i -lt 1000 ]; do echo line $i; "
	    "i=$((i+1)); done; sleep 0.3; echo last'");
	start(NULL, 0, true);
	run_until(&ndone, 1, 10000);
	ck_assert(!chunk_gap);
	ck_assert(!chunk_b64);
	ck_assert_int_le(nchunks, 4);
	ck_assert_uint_eq(next_off[0], 8895);
	ck_assert_uint_eq(nstreamed[0], 8895);
	ck_assert_int_eq(strncmp(streamed[0], "line 0\nline 1\n", 14), 0);
	ck_assert(memcmp(streamed[0] + 8890, "last\n", 5) == 0);
	/* A flood: bounded chunks, a few of them, bytes skipped between. */
	nchunks = 0;
	memset(next_off, 0, sizeof(next_off));
	kind("/bin/sh -c 'head -c 3000000 /dev/zero | tr \"\\\\0\" y; "
	    "sleep 0.3; echo tail'");
	start(NULL, 0, true);
	run_until(&ndone, 2, 10000);
	ck_assert_int_le(nchunks, 4);
	ck_assert(chunk_gap);
	ck_assert_uint_eq(next_off[0], 3000005);
	/* A character in two writes comes whole. */
	memset(nstreamed, 0, sizeof(nstreamed));
	memset(next_off, 0, sizeof(next_off));
	chunk_gap = false;
	kind("/bin/sh -c 'printf \"\\\\303\"; sleep 0.4; "
	    "printf \"\\\\251\"; sleep 0.4'");
	start(NULL, 0, true);
	run_until(&ndone, 3, 10000);
	ck_assert(!chunk_b64);
	ck_assert(!chunk_gap);
	ck_assert_uint_eq(nstreamed[0], 2);
	ck_assert(memcmp(streamed[0], "\xc3\xa9", 2) == 0);
	/* Binary: base64. */
	kind("/bin/sh -c 'printf \"\\\\377\\\\376\" >&2'");
	start(NULL, 0, true);
	run_until(&ndone, 4, 10000);
	ck_assert(chunk_b64);
	/*
	 * Off unless asked: no chunk; on later: what was written so far
	 * (a watcher that comes late), then the rest.
	 */
	nchunks = 0;
	kind("/bin/sh -c 'echo before; sleep 0.4; echo after; sleep 0.4'");
	c = start(NULL, 0, false);
	run_for(200);
	ck_assert_int_eq(nchunks, 0);
	cmd_stream(c, true);
	memset(nstreamed, 0, sizeof(nstreamed));
	run_until(&ndone, 5, 10000);
	ck_assert_int_eq(nchunks, 2);
	ck_assert_uint_eq(nstreamed[0], 13);
	ck_assert(memcmp(streamed[0], "before\nafter\n", 13) == 0);
	ck_assert_uint_eq(next_off[0], 13);
}
END_TEST

/* ---- what is left behind ----------------------------------------- */

/* The pid a run printed (an escaped process of its). */
static pid_t
printed_pid(void)
{
	char	 buf[64];

	return (pid_t)atol(field_str("stdout", buf, sizeof(buf)));
}

START_TEST(test_group_killed)
{
	pid_t	 pid;

	new_runner();
	/* Its background child, same group, ignoring SIGTERM: killed. */
	kind("/bin/sh -c 'trap \"\" TERM; sleep 30 & echo $!'");
	run(NULL, 0);
	pid = printed_pid();
	ck_assert_int_gt(pid, 0);
	run_for(100);
	ck_assert(!alive(pid));
}
END_TEST

START_TEST(test_escapee_killed)
{
	pid_t	 pid;

	new_runner();
	/* Its own session, by a double fork: found by its marker. */
	kind("/bin/sh -c 'setsid sh -c \"sleep 30 & echo \\$!\" & wait'");
	run(NULL, 0);
	pid = printed_pid();
	ck_assert_int_gt(pid, 0);
	run_for(200);
	ck_assert_msg(!alive(pid), "pid %ld is still there", (long)pid);
	/* With its environment replaced too: killed once its run ended. */
	kind("/bin/sh -c 'setsid env -i /bin/sh -c \"sleep 30 & echo \\$!\" "
	    "& wait'");
	run(NULL, 0);
	pid = printed_pid();
	ck_assert_int_gt(pid, 0);
	run_for(200);
	ck_assert_msg(!alive(pid), "pid %ld is still there", (long)pid);
}
END_TEST

/*
 * A timeout's SIGTERM reaches a process of the run that started a
 * session of its own while its parent still runs (not the worker's child
 * yet): found by its marker, it has the grace to end as it likes.
 */
START_TEST(test_escapee_termed)
{
	char	 buf[256];

	new_runner();
	kind("/bin/sh -c 'trap : TERM; setsid sh -c \"trap \\\"echo got-term "
	    ">&2; exit 0\\\" TERM; while :; do sleep 0.05; done\" & while :; "
	    "do sleep 0.05; done'");
	kc.grace_ms = 1500;
	run(NULL, 300);
	ck_assert_str_eq(code, "timeout");
	ck_assert_ptr_nonnull(strstr(field_str("stderr", buf, sizeof(buf)),
	    "got-term"));
}
END_TEST

START_TEST(test_leftovers)
{
	posix_spawnattr_t	 attr;
	char			*argv[] = { "/bin/sleep", "30", NULL };
	char			*envp[] = { "ACTORD_RUN=1.2.3", NULL };
	const char		*runs[] = { "1.2.3", "1.2.4" };
	pid_t			 pid, pgids[2] = { 0, 0 };
	int			 status, i, n = 0;

	/* A process of a run the last worker process recorded. */
	ck_assert_int_eq(posix_spawnattr_init(&attr), 0);
	ck_assert_int_eq(posix_spawnattr_setflags(&attr,
	    POSIX_SPAWN_SETPGROUP), 0);
	ck_assert_int_eq(posix_spawn(&pid, argv[0], NULL, &attr, argv, envp),
	    0);
	posix_spawnattr_destroy(&attr);
	pgids[0] = pid;
	/* Found once it has exec'd, with the environment it was given. */
	for (i = 0; i < 500 && (n = cmd_kill_leftovers(runs, pgids, 2)) == 0;
	    i++)
		usleep(10000);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(cmd_kill_leftovers(runs, pgids, 2), 0);
}
END_TEST

START_TEST(test_many)
{
	int	 i, n = 100;

	/* 100 at once on one loop. */
	new_runner();
	kind("/bin/sh -c 'sleep 0.2; echo done'");
	for (i = 0; i < n; i++)
		start(NULL, 0, false);
	ck_assert_uint_eq(cmd_runner_count(r), (size_t)n);
	run_until(&ndone, n, 20000);
	ck_assert(!out.failed);
	run_until(&ngone, n, 5000);
	ck_assert_uint_eq(cmd_runner_count(r), 0);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("command");
	TCase	*tc;

	tc = tcase_create("output");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_capture_small);
	tcase_add_test(tc, test_capture_cut);
	tcase_add_test(tc, test_capture_last);
	tcase_add_test(tc, test_capture_utf8_cut);
	tcase_add_test(tc, test_encoding);
	tcase_add_test(tc, test_output_capped);
	tcase_add_test(tc, test_stream);
	suite_add_tcase(s, tc);

	tc = tcase_create("end");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_exit_codes);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_timeout_races_exit);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_left_its_group);
	tcase_add_test(tc, test_start_fails);
	tcase_add_test(tc, test_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("process");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_input);
	tcase_add_test(tc, test_environment);
	tcase_add_test(tc, test_group_killed);
	tcase_add_test(tc, test_escapee_killed);
	tcase_add_test(tc, test_escapee_termed);
	tcase_add_test(tc, test_leftovers);
	suite_add_tcase(s, tc);
	return s;
}
