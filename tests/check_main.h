/*
 * The main() of every Check binary, once: tests/check_main.c, linked into
 * each tests/check_<module> by the Makefile.  A tests/check_<module>.c
 * defines suite(); main() runs it with Check's defaults (CK_FORK,
 * CK_RUN_CASE, CK_DEFAULT_TIMEOUT ... from the environment) and exits 0
 * if every test passed, else 1.
 */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <check.h>

/* The module's TCases, and any set-up the whole process needs first. */
Suite	*suite(void);

/*
 * Optional: a test binary that is also a helper process of its own tests
 * (check_envelope runs itself again for a fresh process's first id)
 * defines suite_helper().  main() calls it first: -1 runs the tests, any
 * other value is the exit status.
 */
int	 suite_helper(int argc, char *argv[]) __attribute__((weak));

/* Remove dir and everything below it (a test's temporary directory). */
void	 ck_rm_tree(const char *dir);

#endif
