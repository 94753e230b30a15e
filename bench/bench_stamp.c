/*
 * bench_stamp: print CLOCK_REALTIME in nanoseconds, first thing, and
 * exit.  bench_command runs it as a command kind's program and measures
 * AssignTask to this instruction.  Linked statically (bench/Makefile):
 * no dynamic loader between execve() and main().
 */
#include <stdio.h>
#include <time.h>

int
main(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	return 0;
}
