/*
 * stub_actor: a stand-in for an actor program that is not built yet, so
 * that bench_restart can start the whole tree.  It takes its kind from
 * argv[0] (actord execs every child with its name there), reports Ready
 * and answers Ping; nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "actor.h"

static struct actor_kind	 stub_kind;

static int
stub_setup(const struct config *cfg)
{
	(void)cfg;
	actor_spawn(&stub_kind, "main", NULL);
	return 0;
}

static void
stub_receive(struct actor *a, const struct envelope *env)
{
	actor_error(a->address, env, ERR_UNKNOWN_TYPE,
	    "Unknown message type for %s: %s", a->kind->name,
	    msg_name(env->type));
}

int
main(int argc, char *argv[])
{
	const char	*slash = strrchr(argv[0], '/');

	stub_kind.name = slash != NULL ? slash + 1 : argv[0];
	stub_kind.setup = stub_setup;
	stub_kind.receive = stub_receive;
	return actor_main(argc, argv, &stub_kind);
}
