/*
 * The worker actors, worker:<id>: what they take, and the glue to the
 * runtime.  Each is an actor whose data is its struct wactor; a
 * StartWorker for an id this process does not host creates it (resolve),
 * StopWorker forgets it.  What a handler queued goes out after the loop
 * turn's commit, replies answering the message being handled; what a
 * timer or a command queued (a sleep task finished, a command's output
 * or end) goes out through timer_output().
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
	{ MSG_STREAM_OUTPUT,	worker_stream_output,	0 },
};

static int		 worker_setup(const struct config *);
static struct actor	*worker_resolve(const char *,
			    const struct envelope *);
static void		 worker_inspect(msgpack_packer *);
static void		 worker_reload(const struct config *);
static void		 worker_halt(void);
static void		 worker_metrics(struct metrics *);

const struct actor_kind worker_kind = {
	.name = "worker",
	.handlers = handlers,
	.nhandlers = nitems(handlers),
	.setup = worker_setup,
	.resolve = worker_resolve,
	.stop = worker_halt,
	.inspect = worker_inspect,
	.reload = worker_reload,
	.metrics = worker_metrics,
};

static struct wstate	*ws;
static struct config	 kinds_cfg;	/* the command kinds new tasks run */

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
	kinds_cfg = *cfg;
	ws_set_config(ws, &kinds_cfg);
	TAILQ_FOREACH(w, &ws->all, entry)
		w->actor = actor_spawn(&worker_kind, w->id, w);
	ws_announce_all(ws);
	timer_output(ws, NULL);
	log_info("%s: %zu workers, %d command kinds", path, ws->n,
	    cfg->nkinds);
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

/*
 * The config was read again (SIGHUP): new tasks run the command kinds as
 * they are now; running ones keep what they started with.
 */
static void
worker_reload(const struct config *cfg)
{
	kinds_cfg = *cfg;
	log_info("%d command kinds", kinds_cfg.nkinds);
}

/* SIGTERM: no command outlives the worker process. */
static void
worker_halt(void)
{
	ws_kill_commands(ws);
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
