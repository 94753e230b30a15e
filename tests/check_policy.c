/*
 * Unit tests for supervisor/supervisor_policy.c: restart intensity over a
 * sliding window, the backoff between quick restarts, and which endings a
 * restart type restarts.  Pure functions; the exit statuses come from real
 * child processes.
 */
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "config.h"
#include "../supervisor/supervisor_policy.h"

#define TIMEOUT		10	/* seconds per test */

static struct intensity	 in;

static void
setup(void)
{
	memset(&in, 0, sizeof(in));
}

/* Note n restarts at the times t0, t0 + step, ...; how many tripped. */
static int
restarts(int n, int64_t t0, int64_t step, int max_restarts, int max_seconds)
{
	int	 i, tripped = 0;

	for (i = 0; i < n; i++)
		if (intensity_exceeded(&in, t0 + i * step, max_restarts,
		    max_seconds))
			tripped++;
	return tripped;
}

START_TEST(test_intensity_exact)
{
	/* max_restarts = 3 in 10 s: three are allowed ... */
	ck_assert(!intensity_exceeded(&in, 1000, 3, 10));
	ck_assert(!intensity_exceeded(&in, 2000, 3, 10));
	ck_assert(!intensity_exceeded(&in, 3000, 3, 10));
	/* ... the fourth inside the window trips. */
	ck_assert(intensity_exceeded(&in, 4000, 3, 10));
}
END_TEST

START_TEST(test_intensity_same_instant)
{
	/* A burst within one millisecond counts every restart. */
	ck_assert_int_eq(restarts(5, 42, 0, 5, 1), 0);
	ck_assert(intensity_exceeded(&in, 42, 5, 1));
}
END_TEST

START_TEST(test_intensity_expire)
{
	ck_assert_int_eq(restarts(3, 1000, 1000, 3, 10), 0);	/* 1, 2, 3 s */
	/*
	 * At 11 s the restart at 1 s is exactly max_seconds old: out of the
	 * window, so 2 s, 3 s and 11 s make three, still allowed.
	 */
	ck_assert(!intensity_exceeded(&in, 11000, 3, 10));
	/* At 11.5 s: 2, 3, 11 and 11.5 s are four within 10 s. */
	ck_assert(intensity_exceeded(&in, 11500, 3, 10));
}
END_TEST

START_TEST(test_intensity_window_slides)
{
	/* Three quick restarts, a quiet spell, three more: never four. */
	ck_assert_int_eq(restarts(3, 0, 100, 3, 10), 0);
	ck_assert_int_eq(restarts(3, 10200, 100, 3, 10), 0);
	ck_assert_int_eq(restarts(3, 20400, 100, 3, 10), 0);
	/* But one more right away trips. */
	ck_assert(intensity_exceeded(&in, 20700, 3, 10));
}
END_TEST

START_TEST(test_intensity_zero)
{
	/* max_restarts 0: the very first restart is one too many. */
	ck_assert(intensity_exceeded(&in, 5000, 0, 10));
}
END_TEST

START_TEST(test_intensity_zero_expired)
{
	/* Even with max 0, a restart long after the last one trips. */
	ck_assert(intensity_exceeded(&in, 0, 0, 1));
	ck_assert(intensity_exceeded(&in, 100000, 0, 1));
}
END_TEST

START_TEST(test_intensity_steady)
{
	/*
	 * Five per second allowed, a restart every 201 ms: any 1 s window
	 * holds five, never six.  3000 restarts wrap the ring of remembered
	 * times more than twice.
	 */
	ck_assert_int_eq(restarts(3000, 0, 201, 5, 1), 0);
	/*
	 * 199 ms after the last one the oldest of the five has just left
	 * the window: still five.  101 ms later there are six.
	 */
	ck_assert(!intensity_exceeded(&in, 2999 * 201 + 199, 5, 1));
	ck_assert(intensity_exceeded(&in, 2999 * 201 + 300, 5, 1));
}
END_TEST

START_TEST(test_intensity_ring_limit)
{
	/* The largest max_restarts the ring can count still trips. */
	ck_assert_int_eq(restarts(INTENSITY_SLOTS - 1, 7, 1,
	    INTENSITY_SLOTS - 1, 3600), 0);
	ck_assert(intensity_exceeded(&in, 7 + INTENSITY_SLOTS,
	    INTENSITY_SLOTS - 1, 3600));
}
END_TEST

START_TEST(test_intensity_config_bound)
{
	struct config	 cfg;
	char		 path[] = "/tmp/check_policy.XXXXXX";
	FILE		*fp;
	int		 fd;

	/*
	 * The config must not accept a max_restarts the ring cannot count:
	 * such a tree would restart-loop forever.
	 */
	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
	fprintf(fp, "[supervisor]\nmax_restarts = %d\n", INTENSITY_SLOTS);
	fclose(fp);
	ck_assert_int_eq(config_load(&cfg, path), -1);
	ck_assert_int_eq(cfg.nerrors, 1);
	ck_assert_ptr_nonnull(strstr(cfg.errors[0], "max_restarts"));
	unlink(path);
}
END_TEST

START_TEST(test_backoff_sequence)
{
	static const int	 want[] = {
		0, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000,
	};
	size_t			 i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(backoff_delay_ms((int)i, 100, 5000) == want[i],
		    "restart %zu: %d ms, want %d", i,
		    backoff_delay_ms((int)i, 100, 5000), want[i]);
}
END_TEST

START_TEST(test_backoff_cap)
{
	/* The cap is exact even when doubling jumps over it. */
	ck_assert_int_eq(backoff_delay_ms(1, 300, 1000), 300);
	ck_assert_int_eq(backoff_delay_ms(2, 300, 1000), 600);
	ck_assert_int_eq(backoff_delay_ms(3, 300, 1000), 1000);
	/* Many quick restarts: capped, no overflow. */
	ck_assert_int_eq(backoff_delay_ms(1000, 100, 5000), 5000);
	ck_assert_int_eq(backoff_delay_ms(1 << 30, 3600000, 3600000), 3600000);
	ck_assert_int_eq(backoff_delay_ms(62, 1, 3600000), 3600000);
}
END_TEST

START_TEST(test_backoff_edges)
{
	/* The first restart is immediate whatever the settings. */
	ck_assert_int_eq(backoff_delay_ms(0, 5000, 5000), 0);
	ck_assert_int_eq(backoff_delay_ms(-1, 100, 5000), 0);
	/* No initial delay: never any delay. */
	ck_assert_int_eq(backoff_delay_ms(1, 0, 5000), 0);
	ck_assert_int_eq(backoff_delay_ms(10, 0, 5000), 0);
	/* A cap of 0 wins. */
	ck_assert_int_eq(backoff_delay_ms(3, 100, 0), 0);
}
END_TEST

/* The wait status of a real child that exits with code or dies of sig. */
static int
status_of(int code, int sig)
{
	pid_t	 pid;
	int	 status;

	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if (sig != 0) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		_exit(code);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (sig != 0)
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == sig);
	else
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == code);
	return status;
}

START_TEST(test_restart_wanted)
{
	static const struct {
		int	 type;
		int	 code, sig;
		bool	 want;
	} cases[] = {
		{ RESTART_PERMANENT, 0, 0, true },
		{ RESTART_PERMANENT, 1, 0, true },
		{ RESTART_PERMANENT, 0, SIGTERM, true },
		{ RESTART_PERMANENT, 0, SIGKILL, true },
		{ RESTART_TRANSIENT, 0, 0, false },
		{ RESTART_TRANSIENT, 1, 0, true },
		{ RESTART_TRANSIENT, 0, SIGTERM, false },
		{ RESTART_TRANSIENT, 0, SIGKILL, true },
		{ RESTART_TRANSIENT, 0, SIGSEGV, true },
		{ RESTART_TEMPORARY, 0, 0, false },
		{ RESTART_TEMPORARY, 1, 0, false },
		{ RESTART_TEMPORARY, 0, SIGTERM, false },
		{ RESTART_TEMPORARY, 0, SIGKILL, false },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(restart_wanted(cases[i].type,
		    status_of(cases[i].code, cases[i].sig)) == cases[i].want,
		    "%s, exit %d, signal %d: want %s",
		    restart_name(cases[i].type), cases[i].code, cases[i].sig,
		    cases[i].want ? "restart" : "none");
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("policy");
	TCase	*tc;

	tc = tcase_create("intensity");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_intensity_exact);
	tcase_add_test(tc, test_intensity_same_instant);
	tcase_add_test(tc, test_intensity_expire);
	tcase_add_test(tc, test_intensity_window_slides);
	tcase_add_test(tc, test_intensity_zero);
	tcase_add_test(tc, test_intensity_zero_expired);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_intensity_steady);
	tcase_add_test(tc, test_intensity_ring_limit);
	tcase_add_test(tc, test_intensity_config_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("backoff");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_backoff_sequence);
	tcase_add_test(tc, test_backoff_cap);
	tcase_add_test(tc, test_backoff_edges);
	suite_add_tcase(s, tc);

	tc = tcase_create("restart");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_restart_wanted);
	suite_add_tcase(s, tc);
	return s;
}
