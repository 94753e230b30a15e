/*
 * Restart policy as pure functions, so that the rules can be tested
 * without processes: restart intensity (OTP's MaxR in MaxT) and the
 * exponential backoff between quick restarts of one child.
 */
#ifndef SUPERVISOR_POLICY_H
#define SUPERVISOR_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#define INTENSITY_SLOTS	1024	/* restarts remembered; bounds max_restarts */

struct intensity {
	int64_t		 at[INTENSITY_SLOTS];	/* ring of restart times, ms */
	int		 head;			/* next slot */
	int		 count;			/* slots in use */
};

/*
 * Note a restart at now_ms; true when that makes more than max_restarts
 * within the last max_seconds: the supervisor must give up.
 */
bool	intensity_exceeded(struct intensity *in, int64_t now_ms,
	    int max_restarts, int max_seconds);

/*
 * Delay before restart number `quick` (0 for the first) of a child that
 * keeps dying: 0, then initial, doubling to max.
 */
int	backoff_delay_ms(int quick, int initial_ms, int max_ms);

/* Whether a child that ended this way is restarted under its spec. */
bool	restart_wanted(int restart_type, int wstatus);

#endif
