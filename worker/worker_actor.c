/*
 * The worker actors: the glue between the runtime and worker_state.c.
 * Each worker:<id> is an actor whose data is its struct wactor; a
 * StartWorker for an id this process does not host creates it (resolve),
 * StopWorker forgets it.  What the state queued goes out after the loop
 * turn's commit, replies answering the message being handled.
 */
#include <stdio.h>
#include <string.h>

#include "actor.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "worker.h"

extern const struct actor_kind worker_kind;

static struct wstate	*ws;

/* Send what the state queued; a database failure ends the process. */
static void
settle(int rc, const struct envelope *req)
{
	if (rc == -1)
		fatalx("worker.db: a write failed; exiting so that the "
		    "restart recovers the last committed state");
	outbox_send(&ws->ob, NULL, req);
}

/* Output made by a timer (a sleep task finished). */
static void
timer_output(struct wstate *s, void *arg)
{
	(void)s;
	(void)arg;
	settle(0, NULL);
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
	settle(0, NULL);
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

/* One message for a worker actor; StopWorker also ends the actor. */
static void
worker_receive(struct actor *a, const struct envelope *env)
{
	struct wactor	*w = a->data;

	if (env->type == MSG_STOP_WORKER) {
		actor_destroy(a);
		settle(ws_stop(ws, w), env);
		return;
	}
	settle(ws_handle(ws, w, env), env);
}

/* The worker process's part of `inspect`. */
static void
worker_inspect(msgpack_packer *pk)
{
	ws_pack_inspect(ws, pk);
}

const struct actor_kind worker_kind = {
	.name = "worker",
	.setup = worker_setup,
	.receive = worker_receive,
	.resolve = worker_resolve,
	.inspect = worker_inspect,
};
