/*
 * The worker actors, worker:<id>: what they take, and the glue to the
 * runtime.  Each is an actor whose data is its struct wactor; a
 * StartWorker for an id this process does not host creates it (resolve),
 * StopWorker forgets it.  What a handler queued goes out after the loop
 * turn's commit, replies answering the message being handled; what a
 * timer queued (a sleep task finished) goes out through timer_output().
 */
#include <stdio.h>
#include <string.h>

#include "actor.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "worker.h"

static const struct handler handlers[] = {
	{ MSG_START_WORKER,	worker_start,		0 },
	{ MSG_STOP_WORKER,	worker_stop,		0 },
	{ MSG_GET_STATE,	worker_get_state,	0 },
	{ MSG_PROCESS_TASK,	worker_process_task,	0 },
	{ MSG_ABORT_TASK,	worker_abort_task,	0 },
};

static int		 worker_setup(const struct config *);
static struct actor	*worker_resolve(const char *,
			    const struct envelope *);
static void		 worker_inspect(msgpack_packer *);
static void		 worker_metrics(struct metrics *);

const struct actor_kind worker_kind = {
	.name = "worker",
	.handlers = handlers,
	.nhandlers = nitems(handlers),
	.setup = worker_setup,
	.resolve = worker_resolve,
	.inspect = worker_inspect,
	.metrics = worker_metrics,
};

static struct wstate	*ws;

/* One message for worker w, through the handler table (tests); on s->ob. */
int
ws_handle(struct wstate *s, struct wactor *w, struct envelope *env)
{
	return actor_handle_at(&worker_kind, w->address, w, env, &s->ob);
}

/* StopWorker {workerId}: the actor ends with its worker. */
int
worker_stop(struct actor *self, const struct envelope *env,
    struct outbox *ob)
{
	struct wactor	*w = self->data;

	(void)env;
	(void)ob;
	if (w->actor != NULL)
		actor_destroy(w->actor);
	return ws_stop(w->ws, w);
}

/* Output a timer made (a sleep task finished), or start-up made. */
static void
timer_output(struct wstate *s, void *arg)
{
	(void)arg;
	actor_settle(&worker_kind, 0, &s->ob, NULL, NULL);
}

/* Open worker.db, spawn an actor per stored worker, announce them all. */
static int
worker_setup(const struct config *cfg)
{
	struct wactor	*w;
	char		 path[CONFIG_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/worker.db", cfg->state_dir);
	if ((ws = ws_open(path, cfg->worker_sync, rt_base())) == NULL)
		return -1;
	rt_use_db(ws_db(ws));
	ws_set_output(ws, timer_output, NULL);
	TAILQ_FOREACH(w, &ws->all, entry)
		w->actor = actor_spawn(&worker_kind, w->id, w);
	ws_announce_all(ws);
	timer_output(ws, NULL);
	log_info("%s: %zu workers", path, ws->n);
	return 0;
}

/* A message for a worker this process does not host: StartWorker makes it. */
static struct actor *
worker_resolve(const char *name, const struct envelope *env)
{
	struct wactor	*w;

	if (env->type != MSG_START_WORKER || !name_valid(name, strlen(name)))
		return NULL;
	if ((w = ws_create(ws, name)) == NULL)
		fatalx("worker.db: a write failed; exiting so that the "
		    "restart recovers the last committed state");
	w->actor = actor_spawn(&worker_kind, name, w);
	return w->actor;
}

/* The worker process's part of GetMetrics. */
static void
worker_metrics(struct metrics *m)
{
	ws_metrics(ws, m);
}

/* The worker process's part of `inspect`. */
static void
worker_inspect(msgpack_packer *pk)
{
	ws_pack_inspect(ws, pk);
}
