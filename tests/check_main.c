/*
 * main() for the Check binaries: see check_main.h.
 */
#include <sys/stat.h>

#include <check.h>
#include <ftw.h>
#include <stdio.h>

#include "check_main.h"

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void
ck_rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Run the helper if asked, else the suite; 0 if every test passed. */
int
main(int argc, char *argv[])
{
	SRunner	*sr;
	int	 failed, rc;

	if (suite_helper != NULL && (rc = suite_helper(argc, argv)) != -1)
		return rc;
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
