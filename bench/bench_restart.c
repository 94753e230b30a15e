/*
 * bench_restart: how long the real tree takes to bring a child back after
 * kill -9.
 *
 * It starts bin/actord with a temporary config (its own state and run
 * directories, the gateway on a free port, restarts without backoff and an
 * intensity limit the run cannot reach), connects to the control socket
 * once, waits for the whole tree, and then k times:
 *
 *	kill(pid, SIGKILL); CtlWait {name, state up, notPid pid}
 *
 * on the open connection.  The time from kill(2) to the reply is the
 * restart latency as an operator sees it: SIGCHLD and reap in actord,
 * fork, exec, the child's setup (its SQLite database), Ready on the
 * control channel, the reply.  No actorctl process start is in it.
 * Beside it, actord's own log line "NAME: up, pid N (X ms)" gives the
 * fork-to-Ready part (whole milliseconds).
 *
 * A program missing from the program directory (a child still being
 * written) is replaced by bench/stub_actor, which only reports Ready; the
 * output says so.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "bench_util.h"
#include "config.h"
#include "envelope.h"
#include "frame.h"
#include "log.h"
#include "xmalloc.h"

#define MAX_KILLS	10000
#define MAX_REPS	9
#define WAIT_MS		5000		/* per restart, then it failed */

static const char *const programs[] = {
	"eventlog", "coordinator", "worker", "gateway",
};

static struct {
	int		 kills;
	int		 pause_ms;	/* between a Ready and the next kill */
	const char	*name;		/* the child killed */
	char		 bindir[PATH_MAX];
	char		 dir[64];	/* the temporary directory */
	int		 stubbed;	/* programs replaced by the stub */
	pid_t		 actord;
} opt = { 100, 20, "worker", "", "", 0, -1 };

/*
 * The program directory: the real one, or a temporary one with links to
 * every program that exists and to the stub for every one that does not.
 */
static void
program_dir(char *out, size_t size)
{
	char	 path[2 * PATH_MAX], exe[PATH_MAX], *slash;
	ssize_t	 n;
	size_t	 i;

	for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", opt.bindir, programs[i]);
		if (access(path, X_OK) == -1)
			opt.stubbed |= 1 << i;
	}
	if (opt.stubbed == 0) {
		snprintf(out, size, "%s", opt.bindir);
		return;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	snprintf(out, size, "%s/bin", opt.dir);
	if (mkdir(out, 0700) == -1)
		fatal("mkdir %s", out);
	for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		char	 link[2 * PATH_MAX];

		if (opt.stubbed & (1 << i))
			snprintf(path, sizeof(path), "%s/stub_actor", exe);
		else
			snprintf(path, sizeof(path), "%s/%s", opt.bindir,
			    programs[i]);
		snprintf(link, sizeof(link), "%s/%s", out, programs[i]);
		if (symlink(path, link) == -1)
			fatal("symlink %s", link);
	}
}

static void
write_config(const char *cfgpath, const char *progdir)
{
	FILE	*fp;

	if ((fp = fopen(cfgpath, "w")) == NULL)
		fatal("%s", cfgpath);
	fprintf(fp, "[actord]\n"
	    "state_dir = %s/state\n"
	    "run_dir = %s/run\n"
	    "program_dir = %s\n"
	    "log_level = info\n"
	    "\n"
	    "[supervisor]\n"
	    "max_restarts = 1000\n"
	    "max_seconds = 1\n"
	    "backoff_initial_ms = 0\n"
	    "stable_ms = 0\n"
	    "\n"
	    "[gateway]\n"
	    "listen = 127.0.0.1:0\n", opt.dir, opt.dir, progdir);
	if (fclose(fp) == EOF)
		fatal("%s", cfgpath);
}

/* Start actord with its stderr (the log) in logpath. */
static void
start_actord(const char *cfgpath, const char *logpath)
{
	char	 path[PATH_MAX + 16];
	int	 fd;

	snprintf(path, sizeof(path), "%s/actord", opt.bindir);
	if ((opt.actord = fork()) == -1)
		fatal("fork");
	if (opt.actord > 0)
		return;
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		_exit(111);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("JOURNAL_STREAM");
	execl(path, "actord", "-c", cfgpath, (char *)NULL);
	_exit(111);
}

/* actord's "NAME: up, pid N (X ms)" lines, in order, into ms[]. */
static int
read_log(const char *logpath, double *ms, int max)
{
	FILE	*fp;
	char	 line[2048], pat[64], *p;
	long	 pid;
	long long x;
	int	 n = 0;

	if ((fp = fopen(logpath, "r")) == NULL)
		return 0;
	snprintf(pat, sizeof(pat), " %s: up, pid ", opt.name);
	while (n < max && fgets(line, sizeof(line), fp) != NULL) {
		if ((p = strstr(line, pat)) == NULL)
			continue;
		if (sscanf(p + strlen(pat), "%ld (%lld ms)", &pid, &x) == 2)
			ms[n++] = (double)x;
	}
	fclose(fp);
	return n;
}

/* Ask actord to stop the tree and wait for it (SIGKILL after 10 s). */
static void
stop_actord(int fd)
{
	int	 i, status;

	if (fd != -1)
		(void)ctl_call(fd, NULL, NULL, 0, WAIT_MS);
	for (i = 0; i < 1000; i++) {
		if (waitpid(opt.actord, &status, WNOHANG) == opt.actord)
			return;
		if (i == 0 && fd == -1)
			kill(opt.actord, SIGTERM);
		usleep(10000);
	}
	log_warnx("actord did not stop; killing it");
	kill(opt.actord, SIGKILL);
	waitpid(opt.actord, &status, 0);
}

/* Percentiles of one run, in milliseconds. */
struct dist {
	double	 p50, p90, max, mean;
	int	 n;
};

static void
dist_of(double *v, int n, struct dist *d)
{
	double	 sum = 0;
	int	 i;

	memset(d, 0, sizeof(*d));
	if (n == 0)
		return;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	d->p50 = v[n / 2];
	d->p90 = v[(n * 9) / 10];
	d->max = v[n - 1];
	d->mean = sum / n;
	d->n = n;
}

static void
print_dist(const char *label, const struct dist *d)
{
	if (d->n == 0)
		printf("  %-34s no data\n", label);
	else
		printf("  %-34s p50 %5.2f ms  p90 %5.2f ms  max %5.2f ms  "
		    "mean %5.2f ms  (n=%d)\n", label, d->p50, d->p90, d->max,
		    d->mean, d->n);
}

/*
 * One run: a fresh tree in a fresh directory, k kills, shut down.  lat
 * gets kill -> Ready, fr fork -> Ready; -1 if the run failed.
 */
static int
run_once(struct dist *lat, struct dist *fr)
{
	char		 tmpl[] = "/tmp/actord-restart.XXXXXX";
	char		 cfgpath[128], logpath[128], progdir[PATH_MAX + 64];
	char		 path[128];
	double		*v, *w;
	uint64_t	 t0;
	long		 pid, npid;
	int		 fd, i, done = 0, nfr, failed = 0;

	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp");
	snprintf(opt.dir, sizeof(opt.dir), "%s", tmpl);
	snprintf(path, sizeof(path), "%s/state", opt.dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/run", opt.dir);
	mkdir(path, 0700);
	snprintf(cfgpath, sizeof(cfgpath), "%s/actord.ini", opt.dir);
	snprintf(logpath, sizeof(logpath), "%s/actord.log", opt.dir);
	program_dir(progdir, sizeof(progdir));
	write_config(cfgpath, progdir);

	v = xcalloc((size_t)opt.kills, sizeof(*v));
	w = xcalloc((size_t)opt.kills + 1, sizeof(*w));
	start_actord(cfgpath, logpath);
	fd = ctl_connect(opt.dir, opt.actord);
	/* The gateway starts last: when it is up, so is the tree. */
	if (ctl_call(fd, "gateway", "up", 0, WAIT_MS) == -1 ||
	    (pid = ctl_call(fd, opt.name, "up", 0, WAIT_MS)) <= 0) {
		log_warnx("the tree did not come up; see %s", logpath);
		close(fd);
		stop_actord(-1);
		return -1;
	}
	for (i = 0; i < opt.kills; i++) {
		if (opt.pause_ms > 0)
			usleep((useconds_t)opt.pause_ms * 1000);
		t0 = now_ns();
		if (kill((pid_t)pid, SIGKILL) == -1)
			fatal("kill %ld", pid);
		if ((npid = ctl_call(fd, opt.name, "up", pid, WAIT_MS)) <= 0) {
			log_warnx("kill %d: %s did not come back within %d "
			    "ms; see %s", i + 1, opt.name, WAIT_MS, logpath);
			failed = 1;
			break;
		}
		v[done++] = (double)(now_ns() - t0) / 1e6;
		pid = npid;
	}
	stop_actord(fd);
	close(fd);
	/* The first line is the initial start, the rest the restarts. */
	nfr = read_log(logpath, w, opt.kills + 1);
	dist_of(v, done, lat);
	dist_of(w + 1, nfr > 1 ? nfr - 1 : 0, fr);
	free(v);
	free(w);
	if (failed) {
		printf("FAILED after %d restarts; log kept in %s\n", done,
		    logpath);
		return -1;
	}
	rm_tree(opt.dir);
	return 0;
}

static double
median_of(const struct dist *d, int n, size_t off)
{
	double	 v[MAX_REPS];
	int	 i;

	for (i = 0; i < n; i++)
		v[i] = *(const double *)(const void *)((const char *)&d[i] +
		    off);
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median of each figure over the runs. */
static void
median_dist(const struct dist *d, int n, struct dist *out)
{
	int	 i;

	out->p50 = median_of(d, n, offsetof(struct dist, p50));
	out->p90 = median_of(d, n, offsetof(struct dist, p90));
	out->max = median_of(d, n, offsetof(struct dist, max));
	out->mean = median_of(d, n, offsetof(struct dist, mean));
	for (out->n = 0, i = 0; i < n; i++)
		out->n += d[i].n;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: bench_restart [-b bindir] [-k kills] "
	    "[-n name] [-p pause_ms] [-r runs]\n");
	exit(100);
}

int
main(int argc, char *argv[])
{
	struct dist	 lat[MAX_REPS], fr[MAX_REPS], m;
	const char	*bindir = "bin";
	double		 worst = 0;
	int		 ch, i, reps = 1;

	while ((ch = getopt(argc, argv, "b:k:n:p:r:")) != -1) {
		switch (ch) {
		case 'b':
			bindir = optarg;
			break;
		case 'k':
			opt.kills = atoi(optarg);
			break;
		case 'n':
			opt.name = optarg;
			break;
		case 'p':
			opt.pause_ms = atoi(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (opt.kills < 1 || opt.kills > MAX_KILLS || opt.pause_ms < 0 ||
	    reps < 1 || reps > MAX_REPS)
		usage();
	log_init("bench_restart", LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	if (realpath(bindir, opt.bindir) == NULL)
		fatal("%s", bindir);

	printf("restart latency of %s: %d x kill -9, %d ms apart, %d run%s; "
	    "%s/actord\n", opt.name, opt.kills, opt.pause_ms, reps,
	    reps == 1 ? "" : "s", opt.bindir);
	for (i = 0; i < reps; i++) {
		if (run_once(&lat[i], &fr[i]) == -1)
			return 1;
		if (i == 0 && opt.stubbed) {
			printf("  (not built, a stand-in that only reports "
			    "Ready:");
			for (ch = 0; ch < (int)(sizeof(programs) /
			    sizeof(programs[0])); ch++)
				if (opt.stubbed & (1 << ch))
					printf(" %s", programs[ch]);
			printf(")\n");
		}
		printf("run %d:\n", i + 1);
		print_dist("kill -> Ready (control socket):", &lat[i]);
		print_dist("fork -> Ready (actord log, 1 ms):", &fr[i]);
		if (lat[i].max > worst)
			worst = lat[i].max;
	}
	if (reps > 1) {
		printf("median of %d runs:\n", reps);
		median_dist(lat, reps, &m);
		print_dist("kill -> Ready (control socket):", &m);
		median_dist(fr, reps, &m);
		print_dist("fork -> Ready (actord log, 1 ms):", &m);
		printf("  worst single restart over all runs: %.2f ms\n",
		    worst);
	}
	return 0;
}
