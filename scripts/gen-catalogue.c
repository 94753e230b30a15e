/*
 * gen-catalogue: print web/js/catalogue.js, the dashboard's copy of the
 * client-visible part of the message catalogue, from the C that defines
 * it: the types in common/msgtypes.h (through msg_info()), the actor
 * kinds (kind_name()), the name rule (name_valid(), NAME_MAX_LEN), the
 * well-known addresses (msg.h) and the worker's task kinds (task_kinds()
 * in worker/worker_tasks.c).
 *
 *	make catalogue		rewrites web/js/catalogue.js
 *
 * tests/web/catalogue.test.mjs runs this program and fails while the
 * committed file differs from what it prints.  The output has no date and
 * no path, so the same C always prints the same bytes.
 *
 * The name rule is read off name_valid() itself rather than copied: every
 * byte is tried alone and at the middle and the end of a name, and every
 * length up to 4 times NAME_MAX_LEN; the program fails unless the rule is
 * "1 to NAME_MAX_LEN bytes, each from one set of ASCII bytes", which is
 * what the RegExp it prints can say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "../worker/worker.h"

#define PROBE_MAX	(4 * NAME_MAX_LEN)

static void __attribute__((noreturn))
die(const char *why)
{
	fprintf(stderr, "gen-catalogue: %s\n", why);
	exit(1);
}

/* A JS identifier, as an object key (a wire name is one). */
static void
put_key(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '_' || (p > s && *p >= '0' && *p <= '9')))
			die("a wire name that is not a JavaScript identifier");
	if (p == s)
		die("an empty wire name");
	printf("%s", s);
}

/* A JS string literal for s (names here are plain ASCII words). */
static void
put_str(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (*p < ' ' || *p > '~' || *p == '\'' || *p == '\\')
			die("a name that needs escaping in JavaScript");
	printf("'%s'", s);
}

static const char *
who_name(enum msg_who who)
{
	switch (who) {
	case MSG_WHO_CLIENT:
		return "client";
	case MSG_WHO_SERVER:
		return "server";
	case MSG_WHO_INTERNAL:
		return "internal";
	}
	die("a message type with an unknown sender");
}

/* The actor kinds, one bit each, in bit order. */
static void
put_kinds(void)
{
	unsigned	 bit;

	printf("// The actor kinds, as an address spells them (<kind>:<name>).\n"
	    "export const ACTOR_KINDS = Object.freeze([\n");
	for (bit = 1; bit <= K_ANY; bit <<= 1) {
		if (strcmp(kind_name(bit), "?") == 0)
			die("K_ANY has a bit that kind_name() does not name");
		printf("  ");
		put_str(kind_name(bit));
		printf(",\n");
	}
	printf("]);\n\n");
}

/* The kinds in mask, as an array literal; ANY for K_ANY. */
static void
put_kind_list(unsigned mask)
{
	unsigned	 bit;
	int		 first = 1;

	if (mask == K_ANY) {
		printf("ANY");
		return;
	}
	if (mask == 0 || (mask & ~(unsigned)K_ANY) != 0)
		die("a message type with no kind or an unknown kind");
	printf("[");
	for (bit = 1; bit <= K_ANY; bit <<= 1) {
		if ((mask & bit) == 0)
			continue;
		printf("%s", first ? "" : ", ");
		put_str(kind_name(bit));
		first = 0;
	}
	printf("]");
}

static void
put_types(void)
{
	const struct msg_info	*mi;
	int			 t;

	printf(
	    "// The message types a client sees, by wire name: who sends it\n"
	    "// ('client': a request a client may send; 'server': a reply or a\n"
	    "// push, which a client may not send) and the actor kinds it may be\n"
	    "// addressed to (ANY: every kind; a reply goes to whoever asked).\n"
	    "const ANY = ACTOR_KINDS;\n"
	    "const entry = (who, kinds) => Object.freeze({ who, kinds:\n"
	    "  Object.freeze(kinds) });\n"
	    "export const MESSAGE_TYPES = Object.freeze({\n");
	for (t = 0; t < MSG_COUNT; t++) {
		mi = msg_info((enum msg_type)t);
		if (mi->who == MSG_WHO_INTERNAL)
			continue;
		printf("  ");
		put_key(mi->name);
		printf(": entry(");
		put_str(who_name(mi->who));
		printf(", ");
		put_kind_list(mi->kinds);
		printf("),\n");
	}
	printf("});\n\n");

	printf(
	    "// The types that only actord's processes send each other; a\n"
	    "// client that sends one is refused (forbidden). Listed so that no\n"
	    "// local message of the dashboard takes one of these names.\n"
	    "export const INTERNAL_TYPES = Object.freeze([\n");
	for (t = 0; t < MSG_COUNT; t++) {
		mi = msg_info((enum msg_type)t);
		if (mi->who != MSG_WHO_INTERNAL)
			continue;
		printf("  ");
		put_str(mi->name);
		printf(",\n");
	}
	printf("]);\n\n");
}

/* Append byte c to a RegExp character class. */
static void
put_class_byte(int c)
{
	if (c == '\\' || c == ']' || c == '[' || c == '^' || c == '-' ||
	    c == '/')
		printf("\\%c", c);
	else if (c > ' ' && c <= '~')
		printf("%c", c);
	else
		printf("\\x%02x", c);
}

/*
 * The name rule, read off name_valid(): the set of bytes it takes alone,
 * checked to be the same set at the middle and at the end of a longest
 * name, and the lengths it takes, checked to be exactly 1..NAME_MAX_LEN.
 */
static void
put_name_rule(void)
{
	char	 ok[256], buf[PROBE_MAX + 1];
	int	 c, i, run, first = -1;
	size_t	 len;

	for (c = 0; c < 256; c++) {
		buf[0] = (char)c;
		ok[c] = name_valid(buf, 1);
		if (ok[c] && first == -1)
			first = c;
		if (ok[c] && c > '~')
			die("name_valid() takes a byte that is not ASCII: a "
			    "RegExp over UTF-16 would count it differently");
	}
	if (first == -1)
		die("name_valid() takes no byte at all");
	for (c = 0; c < 256; c++) {
		memset(buf, first, NAME_MAX_LEN);
		buf[NAME_MAX_LEN / 2] = (char)c;
		if (name_valid(buf, NAME_MAX_LEN) != ok[c])
			die("name_valid() depends on where a byte is");
		memset(buf, first, NAME_MAX_LEN);
		buf[NAME_MAX_LEN - 1] = (char)c;
		if (name_valid(buf, NAME_MAX_LEN) != ok[c])
			die("name_valid() depends on where a byte is");
	}
	memset(buf, first, sizeof(buf));
	for (len = 0; len <= PROBE_MAX; len++)
		if (name_valid(buf, len) != (len >= 1 && len <= NAME_MAX_LEN))
			die("name_valid() takes other lengths than "
			    "1..NAME_MAX_LEN");

	printf(
	    "// A name (a worker id, a task id, the <name> of an address): 1 to\n"
	    "// NAME_MAX_LEN bytes, each one of NAME_RE's; all ASCII, so the\n"
	    "// bytes are the characters (common/msg.c, name_valid()).\n"
	    "export const NAME_MAX_LEN = %d;\n"
	    "export const NAME_RE = /^[", NAME_MAX_LEN);
	for (c = 0; c < 256; c = run) {
		if (!ok[c]) {
			run = c + 1;
			continue;
		}
		for (run = c; run < 256 && ok[run]; run++)
			;
		if (run - c >= 3) {
			put_class_byte(c);
			printf("-");
			put_class_byte(run - 1);
		} else {
			for (i = c; i < run; i++)
				put_class_byte(i);
		}
	}
	printf("]{1,%d}$/;\n\n", NAME_MAX_LEN);
}

static void
put_addresses(void)
{
	printf("// The well-known addresses.\n"
	    "export const ADDRESSES = Object.freeze({\n"
	    "  coordinator: ");
	put_str(COORDINATOR_ADDRESS);
	printf(",\n  eventlog: ");
	put_str(EVENTLOG_ADDRESS);
	printf(",\n  supervisor: ");
	put_str(SUPERVISOR_ADDRESS);
	printf(",\n});\n\n");
}

static void
put_task_kinds(void)
{
	const struct task_kind	*k;
	size_t			 i, n;

	k = task_kinds(&n);
	printf("// The task kinds a worker runs (worker/worker_tasks.c).\n"
	    "export const TASK_KINDS = Object.freeze([\n");
	for (i = 0; i < n; i++) {
		printf("  ");
		put_str(k[i].name);
		printf(",\n");
	}
	printf("]);\n");
}

int
main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: gen-catalogue >web/js/catalogue.js\n");
		return 2;
	}
	printf(
	    "// Generated by `make catalogue` (scripts/gen-catalogue.c) from the\n"
	    "// C catalogue: common/msgtypes.h, common/msg.h, name_valid() in\n"
	    "// common/msg.c, and task_kinds() in worker/worker_tasks.c.\n"
	    "// Do not edit: change the C, run `make catalogue` and commit the\n"
	    "// result; tests/web/catalogue.test.mjs fails while they differ.\n"
	    "\n");
	put_kinds();
	put_types();
	put_name_rule();
	put_addresses();
	put_task_kinds();
	if (fflush(stdout) != 0 || ferror(stdout))
		die("cannot write the output");
	return 0;
}
