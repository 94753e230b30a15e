/*
 * Restart policy: see supervisor_policy.h.
 */
#include <sys/wait.h>

#include <signal.h>

#include "config.h"
#include "child.h"
#include "supervisor_policy.h"

bool
intensity_exceeded(struct intensity *in, int64_t now_ms, int max_restarts,
    int max_seconds)
{
	int64_t	 since = now_ms - (int64_t)max_seconds * 1000;
	int	 i, n = 0, slot;

	in->at[in->head] = now_ms;
	in->head = (in->head + 1) % INTENSITY_SLOTS;
	if (in->count < INTENSITY_SLOTS)
		in->count++;
	for (i = 0; i < in->count; i++) {
		slot = (in->head - 1 - i + INTENSITY_SLOTS) % INTENSITY_SLOTS;
		if (in->at[slot] > since)
			n++;
		else
			break;		/* the ring is in time order */
	}
	return n > max_restarts;
}

int
backoff_delay_ms(int quick, int initial_ms, int max_ms)
{
	int64_t	 d;

	if (quick <= 0)
		return 0;
	d = initial_ms;
	while (--quick > 0 && d < max_ms)
		d *= 2;
	return d > max_ms ? max_ms : (int)d;
}

bool
restart_wanted(int restart_type, int wstatus)
{
	bool	 normal;

	switch (restart_type) {
	case RESTART_PERMANENT:
		return true;
	case RESTART_TEMPORARY:
		return false;
	default:
		/* transient: only after an abnormal end */
		normal = (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) ||
		    (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGTERM);
		return !normal;
	}
}
