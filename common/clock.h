/*
 * Time, once: the monotonic clock in milliseconds, and arming a libevent
 * timer for a number of milliseconds.  (The wall clock in milliseconds,
 * for message timestamps, is env_now_ms() in envelope.h.)
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

struct event;

/* Milliseconds on CLOCK_MONOTONIC: for intervals, never for dates. */
int64_t	mono_ms(void);
/* Arm ev to fire once (or again, for EV_PERSIST) every ms milliseconds. */
int	timer_ms(struct event *ev, int64_t ms);

#endif
