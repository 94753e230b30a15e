/*
 * worker: the process hosting every worker:<id> actor, with
 * $STATE/worker.db.  The program is the standard actor main; the actors
 * are in worker_actor.c, their state in worker_state.c and the task kinds
 * in worker_tasks.c.
 */
#include "actor.h"

extern const struct actor_kind worker_kind;

int
main(int argc, char *argv[])
{
	return actor_main(argc, argv, &worker_kind);
}
