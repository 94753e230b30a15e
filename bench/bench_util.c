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

long
ctl_call(int fd, const char *name, const char *state, long not_pid,
    int wait_ms)
{
	static unsigned		 seq;
	msgpack_sbuffer		 csb;
	msgpack_packer		 cpk;
	msgpack_unpacked	 up;
	struct envelope		 env;
	enum err_code		 code;
	const msgpack_object	*ok, *proc;
	uint64_t		 pid = 0;
	char			 id[16], self[32], why[256], *buf;
	size_t			 len;
	long			 rv = -1;

	snprintf(id, sizeof(id), "%u", ++seq);
	snprintf(self, sizeof(self), "ctl:bench-%ld", (long)getpid());
	msgpack_sbuffer_init(&csb);
	msgpack_packer_init(&cpk, &csb, msgpack_sbuffer_write);
	env_pack_header(&cpk, "system:supervisor", self, name != NULL ?
	    MSG_CTL_WAIT : MSG_CTL_SHUTDOWN, id, NULL, env_now_ms());
	if (name != NULL) {
		msgpack_pack_map(&cpk, 4);
		msgpack_pack_str_with_body(&cpk, "name", 4);
		msgpack_pack_str_with_body(&cpk, name, strlen(name));
		msgpack_pack_str_with_body(&cpk, "state", 5);
		msgpack_pack_str_with_body(&cpk, state, strlen(state));
		msgpack_pack_str_with_body(&cpk, "notPid", 6);
		msgpack_pack_uint64(&cpk, (uint64_t)not_pid);
		msgpack_pack_str_with_body(&cpk, "timeoutMs", 9);
		msgpack_pack_uint64(&cpk, (uint64_t)wait_ms);
	} else
		msgpack_pack_map(&cpk, 0);
	if (frame_write_fd(fd, csb.data, csb.size) == -1) {
		msgpack_sbuffer_destroy(&csb);
		return -1;
	}
	msgpack_sbuffer_destroy(&csb);
	for (;;) {
		if (frame_read_fd(fd, FRAME_MAX_DEFAULT, wait_ms + 2000, &buf,
		    &len) == -1)
			return -1;
		msgpack_unpacked_init(&up);
		if (msgpack_unpack_next(&up, buf, len, NULL) ==
		    MSGPACK_UNPACK_SUCCESS && env_decode(&up.data, &env,
		    &code, why, sizeof(why)) == 0 &&
		    strcmp(env.reply_to, id) == 0)
			break;
		msgpack_unpacked_destroy(&up);
		free(buf);
	}
	ok = mp_get(env.payload, "ok");
	if (ok != NULL && ok->type == MSGPACK_OBJECT_BOOLEAN &&
	    ok->via.boolean) {
		if ((proc = mp_get(env.payload, "process")) != NULL)
			mp_uint(mp_get(proc, "pid"), &pid);
		rv = (long)pid;
	}
	msgpack_unpacked_destroy(&up);
	free(buf);
	return rv;
}
