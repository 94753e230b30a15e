/*
 * Regressions found by fuzzing: every input in tests/regress/ goes through
 * the decode path it once broke, and must be refused or accepted without a
 * crash, a sanitizer report or a runaway allocation.
 *
 *	frame-*		a byte stream on an actor socket (peer.c's read loop)
 *	config-*	an actord.conf (config_load)
 *	json-*		the session's JSON <-> msgpack and checks (fuzz_json)
 *	http-*		the gateway's request heads (fuzz_http)
 *	handshake-*	the WebSocket handshake checks (fuzz_handshake)
 *
 * They go through the fuzz target's own code (all but the configs),
 * included below with its entry point renamed, so that a replay checks
 * the very invariants the fuzzer checked (a broken one is an abort()):
 * for a frame, that a payload which decodes encodes and decodes again to
 * the same bytes.
 */
#include <sys/resource.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "config.h"
#include "envelope.h"
#include "log.h"
#include "frame.h"
#include "msg.h"

#define REGRESS_DIR	"tests/regress"

#define LLVMFuzzerTestOneInput	fuzz_frame_input
#include "../fuzz/fuzz_frame.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput	fuzz_json_input
#include "../fuzz/fuzz_json.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput	fuzz_http_input
#include "../fuzz/fuzz_http.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput	fuzz_handshake_input
#include "../fuzz/fuzz_handshake.c"
#undef LLVMFuzzerTestOneInput

/* Read a whole file; NULL if it cannot be read. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE		*fp = fopen(path, "rb");
	unsigned char	*buf;
	long		 n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

START_TEST(frames_from_fuzzing)
{
	struct rlimit	 rl = { 512 << 20, 512 << 20 };
	struct dirent	*de;
	DIR		*d;
	unsigned char	*buf;
	char		 path[512];
	size_t		 len;
	int		 seen = 0;

	/*
	 * A runaway allocation fails the test instead of the machine.  Not
	 * under ASan, which maps terabytes of shadow memory and reports a
	 * huge allocation itself.
	 */
#ifndef __SANITIZE_ADDRESS__
	setrlimit(RLIMIT_AS, &rl);
#else
	(void)rl;
#endif
	ck_assert_ptr_nonnull(d = opendir(REGRESS_DIR));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "frame-", 6) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", REGRESS_DIR, de->d_name);
		ck_assert_ptr_nonnull(buf = slurp(path, &len));
		fuzz_frame_input(buf, len);
		free(buf);
		seen++;
	}
	closedir(d);
	ck_assert_int_gt(seen, 0);
}
END_TEST

START_TEST(configs_from_fuzzing)
{
	static struct config	 cfg;
	struct dirent		*de;
	DIR			*d;
	char			 path[512];
	int			 seen = 0;

	log_init("check_regress", LOG_CRIT);
	ck_assert_ptr_nonnull(d = opendir(REGRESS_DIR));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "config-", 7) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", REGRESS_DIR, de->d_name);
		/* Each is malformed: it must be refused with errors. */
		ck_assert_int_eq(config_load(&cfg, path), -1);
		ck_assert_int_gt(cfg.nerrors, 0);
		seen++;
	}
	closedir(d);
	ck_assert_int_gt(seen, 0);
}
END_TEST

/* Every file of dir named prefix* through fn; how many there were. */
static int
replay(const char *dir, const char *prefix,
    int (*fn)(const uint8_t *, size_t))
{
	struct rlimit	 rl = { 512 << 20, 512 << 20 };
	struct dirent	*de;
	DIR		*d;
	unsigned char	*buf;
	char		 path[512];
	size_t		 len;
	int		 seen = 0;

	/* As above: no address-space limit under ASan. */
#ifndef __SANITIZE_ADDRESS__
	setrlimit(RLIMIT_AS, &rl);
#else
	(void)rl;
#endif
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_ptr_nonnull(buf = slurp(path, &len));
		fn(buf, len);
		free(buf);
		seen++;
	}
	closedir(d);
	return seen;
}

/* The regressions, and the seed corpus: its invariants hold there too. */
START_TEST(json_from_fuzzing)
{
	ck_assert_int_gt(replay(REGRESS_DIR, "json-", fuzz_json_input), 0);
	ck_assert_int_gt(replay("fuzz/corpus/json", "", fuzz_json_input), 0);
}
END_TEST

START_TEST(http_from_fuzzing)
{
	replay(REGRESS_DIR, "http-", fuzz_http_input);
	ck_assert_int_gt(replay("fuzz/corpus/http", "", fuzz_http_input), 0);
}
END_TEST

START_TEST(handshake_from_fuzzing)
{
	replay(REGRESS_DIR, "handshake-", fuzz_handshake_input);
	ck_assert_int_gt(replay("fuzz/corpus/handshake", "",
	    fuzz_handshake_input), 0);
}
END_TEST

START_TEST(huge_declared_counts_refused)
{
	/* Each claims more elements than there are bytes left. */
	static const unsigned char arr32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const unsigned char map16[] = { 0xde, 0x00, 0x10, 0x01, 0x02 };
	static const unsigned char str8[] = { 0xd9, 0x05, 'a', 'b' };
	static const unsigned char nested[] = { 0x91, 0x91, 0x91, 0xdc, 0x7f,
	    0xff };
	static const unsigned char ok[] = { 0x82, 0xa1, 'a', 0x01, 0xa1, 'b',
	    0x92, 0xc0, 0xc3 };

	ck_assert(!mp_sane(arr32, sizeof(arr32)));
	ck_assert(!mp_sane(map16, sizeof(map16)));
	ck_assert(!mp_sane(str8, sizeof(str8)));
	ck_assert(!mp_sane(nested, sizeof(nested)));
	ck_assert(!mp_sane((const unsigned char *)"\xc1", 1));
	ck_assert(mp_sane(ok, sizeof(ok)));
	/* Trailing bytes after the one object are refused too. */
	ck_assert(!mp_sane((const unsigned char *)"\x01\x02", 2));
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("regress");
	TCase	*tc = tcase_create("fuzz");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, frames_from_fuzzing);
	tcase_add_test(tc, configs_from_fuzzing);
	tcase_add_test(tc, huge_declared_counts_refused);
	tcase_add_test(tc, json_from_fuzzing);
	tcase_add_test(tc, http_from_fuzzing);
	tcase_add_test(tc, handshake_from_fuzzing);
	suite_add_tcase(s, tc);
	return s;
}
