/*
 * Subscribers and their StatusUpdated pushes, coalesced: a change marks
 * every subscriber pending; a timer sends each pending subscriber the
 * snapshot of that moment once its interval since the last push to it has
 * passed.  So a subscriber gets at most one push per interval, and the
 * last push it gets shows the latest state.  The snapshot is packed once
 * per timer tick, whatever the number of subscribers.
 *
 * Subscribers are addresses (a session's, usually); the actor glue drops
 * them when their connection goes (peer_down) or on Unsubscribe.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "coordinator.h"
#include "log.h"
#include "strmap.h"
#include "xmalloc.h"

#define PUSH_MAX_SUBSCRIBERS	4096

struct sub {
	TAILQ_ENTRY(sub)	 entry;
	char			 addr[ADDR_MAX + 1];
	int64_t			 last_ms;	/* monotonic, last push */
	int			 pending;	/* a change it has not seen */
};

struct pushset {
	struct event		*timer;
	int			 interval_ms;
	const struct push_ops	*ops;
	void			*arg;
	struct strmap		*map;		/* addr -> struct sub */
	TAILQ_HEAD(, sub)	 subs;
	size_t			 n;
	size_t			 npending;
	uint64_t		 sent;
	msgpack_sbuffer		 sb;		/* this tick's snapshot */
	msgpack_packer		 pk;
	int			 have_snapshot;
};

/* Pack the snapshot unless this tick has one already. */
static int
snapshot(struct pushset *ps)
{
	if (ps->have_snapshot)
		return 0;
	ps->sb.size = 0;
	if (ps->ops->snapshot(&ps->pk, ps->arg) == -1)
		return -1;
	ps->have_snapshot = 1;
	return 0;
}

/* Send the packed snapshot to one subscriber; it is up to date now. */
static void
push_one(struct pushset *ps, struct sub *s, int64_t now)
{
	ps->ops->send(s->addr, ps->sb.data, ps->sb.size, ps->arg);
	ps->sent++;
	s->last_ms = now;
	if (s->pending) {
		s->pending = 0;
		ps->npending--;
	}
}

/* Arm the timer for the earliest pending subscriber. */
static void
arm(struct pushset *ps, int64_t now)
{
	struct sub	*s;
	int64_t		 due, min = -1;

	TAILQ_FOREACH(s, &ps->subs, entry) {
		if (!s->pending)
			continue;
		due = s->last_ms + ps->interval_ms;
		if (min == -1 || due < min)
			min = due;
	}
	if (min == -1) {
		evtimer_del(ps->timer);
		return;
	}
	timer_ms(ps->timer, min > now ? min - now : 0);
}

/* The timer: push to every pending subscriber whose interval has passed. */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct pushset	*ps = arg;
	struct sub	*s;
	int64_t		 now = mono_ms();

	(void)fd;
	(void)what;
	ps->have_snapshot = 0;
	TAILQ_FOREACH(s, &ps->subs, entry) {
		if (!s->pending || s->last_ms + ps->interval_ms > now)
			continue;
		if (snapshot(ps) == -1) {
			log_warnx("StatusUpdated: cannot pack the snapshot");
			break;
		}
		push_one(ps, s, now);
	}
	ps->have_snapshot = 0;
	arm(ps, now);
}

/* A set of subscribers whose pushes are at most one per interval_ms. */
struct pushset *
push_new(struct event_base *base, int interval_ms, const struct push_ops *ops,
    void *arg)
{
	struct pushset	*ps = xcalloc(1, sizeof(*ps));

	if ((ps->timer = evtimer_new(base, tick, ps)) == NULL)
		fatalx("push_new: evtimer_new");
	ps->interval_ms = interval_ms;
	ps->ops = ops;
	ps->arg = arg;
	ps->map = strmap_new();
	TAILQ_INIT(&ps->subs);
	msgpack_sbuffer_init(&ps->sb);
	msgpack_packer_init(&ps->pk, &ps->sb, msgpack_sbuffer_write);
	return ps;
}

/* Forget every subscriber and the timer. */
void
push_free(struct pushset *ps)
{
	struct sub	*s;

	if (ps == NULL)
		return;
	while ((s = TAILQ_FIRST(&ps->subs)) != NULL) {
		TAILQ_REMOVE(&ps->subs, s, entry);
		free(s);
	}
	event_free(ps->timer);
	strmap_free(ps->map);
	msgpack_sbuffer_destroy(&ps->sb);
	free(ps);
}

/* A new interval (reload); the timer follows it. */
void
push_set_interval(struct pushset *ps, int interval_ms)
{
	ps->interval_ms = interval_ms;
	arm(ps, mono_ms());
}

/* Add a subscriber; a second Subscribe from the same address is a no-op. */
int
push_add(struct pushset *ps, const char *addr)
{
	struct sub	*s;

	if (strmap_get(ps->map, addr) != NULL)
		return 0;
	if (ps->n >= PUSH_MAX_SUBSCRIBERS)
		return -1;
	s = xcalloc(1, sizeof(*s));
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	strmap_put(ps->map, s->addr, s);
	TAILQ_INSERT_TAIL(&ps->subs, s, entry);
	ps->n++;
	return 0;
}

/* Send one subscriber the snapshot at once (after Subscribed). */
int
push_now(struct pushset *ps, const char *addr)
{
	struct sub	*s;
	int		 rc = 0;

	if ((s = strmap_get(ps->map, addr)) == NULL)
		return -1;
	ps->have_snapshot = 0;
	if (snapshot(ps) == -1)
		rc = -1;
	else
		push_one(ps, s, mono_ms());
	ps->have_snapshot = 0;
	return rc;
}

/* Forget a subscriber. */
int
push_del(struct pushset *ps, const char *addr)
{
	struct sub	*s;

	if ((s = strmap_del(ps->map, addr)) == NULL)
		return -1;
	if (s->pending)
		ps->npending--;
	TAILQ_REMOVE(&ps->subs, s, entry);
	ps->n--;
	free(s);
	return 0;
}

/* The state changed: every subscriber is pending; arm the timer. */
void
push_changed(struct pushset *ps)
{
	struct sub	*s;

	/* Everyone already waits for the armed timer: nothing to do. */
	if (ps->npending == ps->n)
		return;
	TAILQ_FOREACH(s, &ps->subs, entry)
		if (!s->pending) {
			s->pending = 1;
			ps->npending++;
		}
	arm(ps, mono_ms());
}

size_t
push_count(const struct pushset *ps)
{
	return ps->n;
}

uint64_t
push_sent(const struct pushset *ps)
{
	return ps->sent;
}
