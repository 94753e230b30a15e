/*
 * The coordinator's scheduling: queues, which task a worker takes next,
 * delayed tasks, and the backoff between the runs of a task.
 *
 * A task waits in a named queue ("default" unless it names another) at a
 * priority, 0 to 9.  A queue may start a task when it is not paused and
 * runs fewer than its concurrency (0: no limit).  A worker takes the best
 * head among the queues that may start one, higher priority first, then
 * the oldest (qseq); a task pinned to a worker competes with them only
 * for that worker.  Each head is one LIMIT 1 probe of a partial index, so
 * choosing costs O(queues x log n) whatever the queues' lengths.
 *
 * qseq orders a queue: a task entering at the back takes the change
 * number of that moment, one requeued at the front (its worker died) the
 * same number negated, so no counter of its own is kept.  A ready task's
 * qseq also holds its queue's number and its priority (coordinator.h),
 * so that the one integer orders tasks_ready: a queue's head is the
 * lowest qseq in its range.
 *
 * Delayed tasks (scheduled: runAt in the future; retrying: waiting out a
 * backoff) sit in tasks_due by their time; the earliest is kept in
 * memory for the glue's timer, and sched_due() hands out the ones whose
 * time came, DUE_BATCH a call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator.h"
#include "db.h"
#include "log.h"
#include "strmap.h"
#include "xmalloc.h"

#define PIN_SCAN	16	/* pinned tasks looked at for one worker */
#define RETRY_BASE_MS	1000	/* a policy's defaults */
#define RETRY_MAX_MS	3600000

/* The queue called name, or NULL. */
struct cqueue *
queue_get(const struct coord *c, const char *name)
{
	return strmap_get(c->queues, name);
}

/* The queue called name, added (not paused, no limit) if new. */
struct cqueue *
queue_make(struct coord *c, const char *name)
{
	struct cqueue	*q;

	if ((q = queue_get(c, name)) != NULL)
		return q;
	q = xcalloc(1, sizeof(*q));

	snprintf(q->name, sizeof(q->name), "%s", name);
	strmap_put(c->queues, q->name, q);
	TAILQ_INSERT_TAIL(&c->queue_list, q, entry);
	c->nqueues++;
	return q;
}

/*
 * Whether a task may name a queue: a configured one, one in memory, or a
 * new one when queues are open and there are fewer than QUEUES_MAX.  0,
 * or -1 with why.  Nothing is made: a request refused later makes none.
 */
int
queue_admits(const struct coord *c, const char *name, char *why,
    size_t whylen)
{
	if (queue_get(c, name) != NULL)
		return 0;
	if (!c->conf.queues_open) {
		snprintf(why, whylen, "'queue' %s is not one of this "
		    "coordinator's queues", name);
		return -1;
	}
	if (c->nqueues >= QUEUES_MAX) {
		snprintf(why, whylen, "'queue' %s is one too many: at most %d "
		    "queues", name, QUEUES_MAX);
		return -1;
	}
	return 0;
}

/*
 * The smallest number no queue in memory holds, for a queue that has
 * none: a queue with ready tasks is always in memory (coord_load() makes
 * every queue with tasks, and none is forgotten while running), so a row
 * of queue_nums whose queue is not in memory is not in any task's qseq,
 * and INSERT OR REPLACE may take its number (or its name) over.
 */
int
queue_base(struct coord *c, const char *queue, int64_t *base)
{
	struct cqueue	*q = queue_make(c, queue), *o;
	uint64_t	 used[(QNUM_MAX + 1) / 64];
	sqlite3_stmt	*st;
	int64_t		 num;

	if (q->num == 0) {
		memset(used, 0, sizeof(used));
		TAILQ_FOREACH(o, &c->queue_list, entry)
			used[o->num / 64] |= UINT64_C(1) << (o->num % 64);
		for (num = 1; num <= QNUM_MAX; num++)
			if ((used[num / 64] & UINT64_C(1) << (num % 64)) == 0)
				break;
		if (num > QNUM_MAX)	/* one without ready tasks gives its up */
			TAILQ_FOREACH(o, &c->queue_list, entry)
				if (o != q && o->num != 0 && o->queued == 0) {
					num = o->num;
					o->num = 0;
					break;
				}
		if (num > QNUM_MAX) {
			log_warnx("queue %s: no queue number left", queue);
			return -1;
		}
		st = cdb_stmt(c, ST_QUEUE_NUM_SET);
		sqlite3_bind_int64(st, 1, num);
		cdb_bind_text(st, 2, q->name);
		if (cdb_run(c, st) == -1)
			return -1;
		q->num = num;
	}
	*base = q->num << QSEQ_NUM_SHIFT;
	return 0;
}

/*
 * The configured queues, "name[:concurrency] ...": made, or their limit
 * changed (a queue left out keeps its tasks and loses its limit).
 */
void
queues_configure(struct coord *c)
{
	struct cqueue	*q;
	char		 list[sizeof(c->conf.queues)], *p, *word, *colon;

	TAILQ_FOREACH(q, &c->queue_list, entry)
		q->concurrency = 0;
	if (queue_get(c, DEFAULT_QUEUE) == NULL)
		queue_make(c, DEFAULT_QUEUE);
	snprintf(list, sizeof(list), "%s", c->conf.queues);
	for (p = list; (word = strsep(&p, " \t,")) != NULL;) {
		if (*word == '\0')
			continue;
		if ((colon = strchr(word, ':')) != NULL)
			*colon++ = '\0';
		if (!name_valid(word, strlen(word)))
			continue;	/* config.c refused it already */
		if ((q = queue_get(c, word)) == NULL) {
			if (c->nqueues >= QUEUES_MAX)
				continue;
			q = queue_make(c, word);
		}
		q->concurrency = colon != NULL ? strtoull(colon, NULL, 10) :
		    0;
	}
}

/* Forget every queue (coord_close). */
void
queues_free(struct coord *c)
{
	struct cqueue	*q;

	while ((q = TAILQ_FIRST(&c->queue_list)) != NULL) {
		TAILQ_REMOVE(&c->queue_list, q, entry);
		strmap_del(c->queues, q->name);
		free(q);
	}
	c->nqueues = 0;
}

bool
queue_may_start(const struct cqueue *q)
{
	return !q->paused && (q->concurrency == 0 ||
	    q->running < q->concurrency);
}

/* A head candidate: a queued task and where it stands. */
struct head {
	char		 id[NAME_MAX_LEN + 1];
	int64_t		 priority;
	int64_t		 qseq;
	int		 found;
};

/* Keep the better of *best and the row st is on (id, priority, qseq). */
static void
head_take(struct head *best, sqlite3_stmt *st)
{
	int64_t	 pri = sqlite3_column_int64(st, 1);
	int64_t	 seq = sqlite3_column_int64(st, 2);

	if (best->found && (pri < best->priority ||
	    (pri == best->priority && seq > best->qseq)))
		return;
	snprintf(best->id, sizeof(best->id), "%s",
	    (const char *)sqlite3_column_text(st, 0));
	best->priority = pri;
	best->qseq = seq;
	best->found = 1;
}

/* Step a head query; SQLITE_ROW, SQLITE_DONE, or -1 logged. */
static int
head_step(struct coord *c, sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	log_warnx("coordinator.db: queue head: %s",
	    sqlite3_errmsg(db_handle(c->db)));
	return -1;
}

/* The first n ready tasks of q: the lowest qseq of its range. */
static sqlite3_stmt *
queue_head(struct coord *c, const struct cqueue *q, int64_t n)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_QUEUE_HEAD);
	int64_t		 base = q->num << QSEQ_NUM_SHIFT;

	sqlite3_bind_int64(st, 1, base);
	sqlite3_bind_int64(st, 2, base | ((INT64_C(1) << QSEQ_NUM_SHIFT) - 1));
	sqlite3_bind_int64(st, 3, n);
	return st;
}

/* The best unpinned head among the queues that may start one. */
static int
unpinned_head(struct coord *c, struct head *best)
{
	struct cqueue	*q;
	sqlite3_stmt	*st;
	int		 rc;

	TAILQ_FOREACH(q, &c->queue_list, entry) {
		if (q->queued == 0 || q->num == 0 || !queue_may_start(q))
			continue;
		st = queue_head(c, q, 1);
		if ((rc = head_step(c, st)) == SQLITE_ROW)
			head_take(best, st);
		sqlite3_reset(st);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
sched_head_for(struct coord *c, const struct cworker *w, char *id,
    size_t size)
{
	struct head	 best;
	struct cqueue	*q;
	sqlite3_stmt	*st;
	int		 rc;

	memset(&best, 0, sizeof(best));
	if (c->ntasks[TASK_QUEUED] == 0)
		return 1;
	if (unpinned_head(c, &best) == -1)
		return -1;
	if (w->pinned > 0) {
		/* The first of its pinned tasks whose queue may start one. */
		st = cdb_stmt(c, ST_PIN_HEAD);
		cdb_bind_text(st, 1, w->id);
		sqlite3_bind_int(st, 2, PIN_SCAN);
		while ((rc = head_step(c, st)) == SQLITE_ROW) {
			q = queue_get(c, (const char *)sqlite3_column_text(st,
			    3));
			if (q == NULL || queue_may_start(q)) {
				head_take(&best, st);
				break;
			}
		}
		sqlite3_reset(st);
		if (rc == -1)
			return -1;
	}
	if (!best.found)
		return 1;
	snprintf(id, size, "%s", best.id);
	return 0;
}

int
sched_unpinned_left(struct coord *c, int *left)
{
	struct head	 best;

	memset(&best, 0, sizeof(best));
	*left = 0;
	if (c->ntasks[TASK_QUEUED] == 0)
		return 0;
	if (unpinned_head(c, &best) == -1)
		return -1;
	*left = best.found;
	return 0;
}

/*
 * The ids of the first n queued tasks, in the order they would start if
 * every queue could (priority, then age), for StatusUpdated's 'next':
 * the first n of each queue and of the pinned ones, merged.
 */
/* Append the rows of a head query to h[*nh]. */
static int
heads_collect(struct coord *c, sqlite3_stmt *st, struct head **h, size_t *nh)
{
	int	 rc;

	while ((rc = head_step(c, st)) == SQLITE_ROW) {
		*h = xreallocarray(*h, *nh + 1, sizeof(**h));
		memset(&(*h)[*nh], 0, sizeof(**h));
		head_take(&(*h)[(*nh)++], st);
	}
	sqlite3_reset(st);
	return rc == -1 ? -1 : 0;
}

int
sched_preview(struct coord *c, char (*ids)[NAME_MAX_LEN + 1], size_t n,
    size_t *got)
{
	struct head	*h = NULL, tmp;
	struct cqueue	*q;
	sqlite3_stmt	*st;
	size_t		 nh = 0, i, j;
	int		 rc = 0;

	*got = 0;
	if (n == 0 || c->ntasks[TASK_QUEUED] == 0)
		return 0;
	TAILQ_FOREACH(q, &c->queue_list, entry) {
		if (q->queued == 0 || q->num == 0 || rc == -1)
			continue;
		rc = heads_collect(c, queue_head(c, q, (int64_t)n), &h, &nh);
	}
	if (rc == 0) {
		st = cdb_stmt(c, ST_PINQ_HEAD);
		sqlite3_bind_int64(st, 1, (int64_t)n);
		rc = heads_collect(c, st, &h, &nh);
	}
	/* Few and short: an insertion sort by (priority desc, qseq). */
	for (i = 1; i < nh; i++)
		for (j = i; j > 0 && (h[j].priority > h[j - 1].priority ||
		    (h[j].priority == h[j - 1].priority &&
		    h[j].qseq < h[j - 1].qseq)); j--) {
			tmp = h[j];
			h[j] = h[j - 1];
			h[j - 1] = tmp;
		}
	for (i = 0; i < nh && i < n; i++)
		snprintf(ids[i], sizeof(ids[i]), "%s", h[i].id);
	*got = i;
	free(h);
	return rc;
}

/* A delayed task's time: the timer fires no later than it. */
void
sched_due_note(struct coord *c, int64_t run_at)
{
	if (c->due_at == 0 || run_at < c->due_at) {
		c->due_at = run_at;
		c->dirty = 1;
	}
}

/* The earliest delayed task's time, from tasks_due (0: none). */
int
sched_due_reload(struct coord *c)
{
	return cdb_int(c, ST_DUE_NEXT, &c->due_at);
}

/*
 * The ids of at most DUE_BATCH delayed tasks whose time has come, in
 * *ids (freed by the caller), oldest time first.
 */
int
sched_due(struct coord *c, char (**ids)[NAME_MAX_LEN + 1], size_t *n)
{
	sqlite3_stmt	*st = cdb_stmt(c, ST_DUE);
	int		 rc;

	*ids = NULL;
	*n = 0;
	if (c->due_at == 0 || c->due_at > coord_now(c))
		return 0;
	sqlite3_bind_int64(st, 1, coord_now(c));
	sqlite3_bind_int(st, 2, DUE_BATCH);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
		snprintf((*ids)[(*n)++], sizeof(**ids), "%s",
		    (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("coordinator.db: due tasks: %s",
		    sqlite3_errmsg(db_handle(c->db)));
		free(*ids);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* The runs in all a policy allows (a task without one runs once). */
uint64_t
retry_max_attempts(const struct msg_retry *p)
{
	return p->has_max_attempts && p->max_attempts > 0 ? p->max_attempts :
	    1;
}

/*
 * The delay before run attempt + 1, after run attempt failed: fixed, the
 * base each time; exponential, the base doubled per run before, capped
 * at the maximum; then less a random part, jitter (0 to 1) of it at most.
 * rnd is a uniform random number in [0, 1).
 */
int64_t
retry_delay_ms(const struct msg_retry *p, uint64_t attempt, double rnd)
{
	uint64_t	 base = p->has_base_ms ? p->base_ms : RETRY_BASE_MS;
	uint64_t	 max = p->has_max_ms ? p->max_ms : RETRY_MAX_MS;
	uint64_t	 d = base;
	double		 jitter = p->has_jitter ? p->jitter : 0;

	if (strcmp(p->backoff, "exponential") == 0)
		while (attempt-- > 1 && d < max)
			d *= 2;
	if (d > max)
		d = max;
	return (int64_t)((double)d * (1.0 - jitter * rnd));
}
