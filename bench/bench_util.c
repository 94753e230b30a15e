/* What the benchmarks share: see bench_util.h. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "envelope.h"
#include "frame.h"
#include "log.h"

#define FSYNC_PROBES	100

static msgpack_sbuffer	 sb;
static msgpack_packer	 pk;
static int		 sb_ready;

uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
print_load(const char *when)
{
	FILE	*fp;
	char	 line[128] = "?\n";

	if ((fp = fopen("/proc/loadavg", "r")) != NULL) {
		if (fgets(line, sizeof(line), fp) == NULL)
			snprintf(line, sizeof(line), "?\n");
		fclose(fp);
	}
	printf("load %s: %s", when, line);
	fflush(stdout);
}

double
fsync_ms(void)
{
	char		 path[] = "/tmp/actord-fsync.XXXXXX", page[4096];
	double		 v[FSYNC_PROBES];
	uint64_t	 t;
	int		 fd, i;

	if ((fd = mkstemp(path)) == -1)
		fatal("mkstemp");
	unlink(path);
	memset(page, 'x', sizeof(page));
	for (i = 0; i < FSYNC_PROBES; i++) {
		if (pwrite(fd, page, sizeof(page), (off_t)(i % 8) *
		    (off_t)sizeof(page)) != (ssize_t)sizeof(page))
			fatal("pwrite");
		t = now_ns();
		if (fdatasync(fd) == -1)
			fatal("fdatasync");
		v[i] = (double)(now_ns() - t) / 1e6;
	}
	close(fd);
	qsort(v, FSYNC_PROBES, sizeof(*v), cmp_double);
	return v[FSYNC_PROBES / 2];
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

msgpack_packer *
msg_begin(const char *to, const char *from, enum msg_type type)
{
	char	 id[ID_MAX + 1];

	if (!sb_ready) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		sb_ready = 1;
	}
	sb.size = 0;
	msgpack_sbuffer_write(&sb, "\0\0\0\0", FRAME_HDR);
	env_new_id(id, sizeof(id));
	env_pack_header(&pk, to, from, type, id, NULL, env_now_ms());
	return &pk;
}

void
msg_end(struct peer *p)
{
	frame_put_len(sb.data, (uint32_t)(sb.size - FRAME_HDR));
	if (peer_write(p, sb.data, sb.size) == -1)
		fatalx("peer %s: dropped", peer_name(p));
}

int
ctl_connect(const char *dir, pid_t actord)
{
	char	 path[PATH_MAX];
	int	 fd, i;

	snprintf(path, sizeof(path), "%s/run/actord.sock", dir);
	for (i = 0; i < 1000; i++) {
		if ((fd = frame_connect(path)) != -1)
			return fd;
		if (waitpid(actord, NULL, WNOHANG) == actord)
			fatalx("actord exited; see %s/actord.log", dir);
		usleep(10000);
	}
	fatalx("no control socket at %s", path);
}
