/*
 * Time, once: the monotonic clock in milliseconds, an event base whose
 * timers keep to it, and arming a libevent timer for a number of
 * milliseconds.  (The wall clock in milliseconds,
 * for message timestamps, is env_now_ms() in envelope.h.)
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

struct event;
struct event_base;

/* Milliseconds on CLOCK_MONOTONIC: for intervals, never for dates. */
int64_t	mono_ms(void);
/*
 * A new event base whose timers run on CLOCK_MONOTONIC.  libevent's
 * default is CLOCK_MONOTONIC_COARSE, one kernel tick (4 ms here) behind,
 * so a 100 ms timer could fire after 96 ms of mono_ms().  The price is a
 * timerfd_settime(2) per turn of the loop: the actors pay it, for their
 * task timers and delays; the gateway, the sessions and actord, whose
 * timers are timeouts of seconds, do not.  NULL on error.
 */
struct event_base *loop_new(void);
/* Arm ev to fire once (or again, for EV_PERSIST) every ms milliseconds. */
int	timer_ms(struct event *ev, int64_t ms);

#endif
