/*
 * Who a process is in the tree, from /proc: see supervisor_proc.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor_proc.h"

/*
 * The parent of pid from /proc/<pid>/stat, or -1.  The second field is
 * the command name in parentheses, which may itself hold spaces and ')':
 * the parent is the second number after the last ')'.
 */
static pid_t
proc_ppid(pid_t pid)
{
	char	 path[32], buf[512], *p, *end;
	ssize_t	 n;
	long	 ppid;
	int	 fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0' ||
	    p[3] != ' ')
		return -1;
	ppid = strtol(p + 4, &end, 10);
	if (end == p + 4 || *end != ' ' || ppid < 0)
		return -1;
	return (pid_t)ppid;
}

/*
 * Walk up the parents.  Only the first link must be readable: an
 * ancestor we cannot read (another user's, under hidepid) is not one of
 * ours, and the walk ends there as it does at pid 1, or at 0 (a parent
 * outside our pid namespace).
 */
int
proc_descends_from(pid_t pid, pid_t ancestor, int max_depth)
{
	int	 depth;

	if (ancestor <= 0)
		return 0;
	for (depth = 0; depth <= max_depth; depth++) {
		if (pid == ancestor)
			return 1;
		if (pid <= 1)
			return 0;
		if ((pid = proc_ppid(pid)) == -1)
			return depth == 0 ? -1 : 0;
	}
	return -1;
}

/*
 * From /proc/<pid>/task/<pid>/children: the children of pid's main thread,
 * which are all of them for a process that makes no threads, as actord.
 */
int
proc_children(pid_t pid, pid_t *pids, int max)
{
	char	 path[64], buf[8192], *p, *end;
	ssize_t	 n;
	long	 v;
	int	 fd, count = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)pid, (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; count < max; p = end) {
		v = strtol(p, &end, 10);
		if (end == p || v <= 0)
			break;
		pids[count++] = (pid_t)v;
	}
	return count;
}
