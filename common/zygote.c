/*
 * The session zygote's channel: see zygote.h.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "zygote.h"

int
zygote_send_fork(int zfd, int ctlfd)
{
	struct iovec	 iov;
	char		 tag = ZYGOTE_FORK;

	iov.iov_base = &tag;
	iov.iov_len = 1;
	return fd_send(zfd, &iov, 1, ctlfd) == 1 ? 0 : -1;
}

int
zygote_recv_fork(int zfd, int *ctlfd)
{
	char		 tag[2];	/* a longer request reads as 2 bytes */
	ssize_t		 n;
	int		 fd;

	if ((n = fd_recv(zfd, tag, sizeof(tag), &fd)) == 1 &&
	    tag[0] == ZYGOTE_FORK && fd != -1) {
		*ctlfd = fd;
		return 1;
	}
	if (fd != -1)
		close(fd);
	if (n <= 0)
		return n;
	errno = EBADMSG;
	return -1;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
zygote_send_exit(int zfd, pid_t pid, int status)
{
	unsigned char	 buf[ZYGOTE_EXIT_LEN];
	ssize_t		 n;

	memset(buf, 0, sizeof(buf));
	buf[0] = ZYGOTE_EXIT;
	put32(buf + 4, (uint32_t)pid);
	put32(buf + 8, (uint32_t)status);
	do
		n = send(zfd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(buf) ? 0 : -1;
}

/* A wait status that an exit or a fatal signal can make. */
static int
status_valid(uint32_t st)
{
	uint32_t	 sig = st & 0x7f;

	if (sig == 0)				/* exited: code in 8-15 */
		return (st & ~(uint32_t)0xff00) == 0;
	return (st & ~(uint32_t)0xff) == 0 &&	/* killed, maybe a core */
	    sig < (uint32_t)NSIG && sig != 0x7f;
}

int
zygote_decode_exit(const void *buf, size_t len, pid_t *pid, int *status)
{
	const unsigned char	*p = buf;
	uint32_t		 v, st;

	if (len != ZYGOTE_EXIT_LEN || p[0] != ZYGOTE_EXIT || p[1] != 0 ||
	    p[2] != 0 || p[3] != 0)
		return -1;
	v = get32(p + 4);
	st = get32(p + 8);
	if (v < 2 || v > INT32_MAX || !status_valid(st))
		return -1;
	*pid = (pid_t)v;
	*status = (int)st;
	return 0;
}
