/*
 * The worker actor (minimal: opens its database, reports Ready, answers Ping).
 */
#include <stdio.h>

#include "actor.h"
#include "db.h"
#include "log.h"

static struct db	*db;

extern const struct actor_kind worker_kind;

static const char *const migrations[] = {
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value)",
};

static struct actor *self;

static int
worker_setup(const struct config *cfg)
{
	char	 path[CONFIG_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/worker.db", cfg->state_dir);
	if ((db = db_open(path, 1, migrations, 1)) == NULL)
		return -1;
	rt_use_db(db);
	self = actor_spawn(&worker_kind, "main", NULL);
	return 0;
}

static void
worker_receive(struct actor *a, const struct envelope *env)
{
	actor_error(a->address, env, ERR_UNKNOWN_TYPE,
	    "Unknown message type for worker: %s", msg_name(env->type));
}

const struct actor_kind worker_kind = {
	.name = "worker",
	.setup = worker_setup,
	.receive = worker_receive,
};

int
main(int argc, char *argv[])
{
	return actor_main(argc, argv, &worker_kind);
}
