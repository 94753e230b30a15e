/*
 * main() for the Check binaries: see check_main.h.
 */
#include <check.h>

#include "check_main.h"

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
