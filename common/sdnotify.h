/*
 * The systemd notification protocol (sd_notify(3)): one datagram of
 * "KEY=value" lines to $NOTIFY_SOCKET.  Every call is a no-op when the
 * variable is absent, so actord runs the same under systemd and by hand.
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <stdbool.h>

bool	sdnotify_enabled(void);
int	sdnotify(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* WatchdogSec in microseconds when systemd asks for pings, else 0. */
unsigned long long sdnotify_watchdog_usec(void);

#endif
