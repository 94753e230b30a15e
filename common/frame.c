/*
 * Frame codec: see frame.h.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "frame.h"

/* Look at buf[0..len) and tell whether it starts with a whole frame. */
enum frame_status
frame_parse(const void *buf, size_t len, size_t max, size_t *bodylen)
{
	uint32_t	 n;

	if (len < FRAME_HDR)
		return FRAME_NEED_MORE;
	n = frame_get_len(buf);
	if (n == 0)
		return FRAME_EMPTY;
	if (n > max)
		return FRAME_TOO_LARGE;
	if (len - FRAME_HDR < n)
		return FRAME_NEED_MORE;
	*bodylen = n;
	return FRAME_OK;
}

void
frame_put_len(void *hdr, uint32_t bodylen)
{
	unsigned char	*p = hdr;

	p[0] = (unsigned char)(bodylen >> 24);
	p[1] = (unsigned char)(bodylen >> 16);
	p[2] = (unsigned char)(bodylen >> 8);
	p[3] = (unsigned char)bodylen;
}

uint32_t
frame_get_len(const void *hdr)
{
	const unsigned char	*p = hdr;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

const char *
frame_status_str(enum frame_status st)
{
	switch (st) {
	case FRAME_NEED_MORE:
		return "incomplete frame";
	case FRAME_OK:
		return "ok";
	case FRAME_EMPTY:
		return "zero-length frame";
	case FRAME_TOO_LARGE:
		return "frame over the size limit";
	}
	return "?";
}

/* Write all of buf, retrying on short writes and EINTR. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
frame_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
frame_write_fd(int fd, const void *body, size_t len)
{
	unsigned char	 hdr[FRAME_HDR];

	if (len == 0 || len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	frame_put_len(hdr, (uint32_t)len);
	if (write_all(fd, hdr, sizeof(hdr)) == -1)
		return -1;
	return write_all(fd, body, len);
}

/* Read exactly len bytes before the deadline (-1: none). */
static int
read_all(int fd, void *buf, size_t len, long long deadline)
{
	char		*p = buf;
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	ssize_t		 n;
	int		 wait, r;

	while (len > 0) {
		wait = -1;
		if (deadline >= 0) {
			wait = (int)(deadline - mono_ms());
			if (wait < 0)
				wait = 0;
		}
		if ((r = poll(&pfd, 1, wait)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if ((n = read(fd, p, len)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
frame_read_fd(int fd, size_t max, int timeout_ms, char **body, size_t *len)
{
	unsigned char	 hdr[FRAME_HDR];
	long long	 deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	uint32_t	 n;
	char		*b;

	if (read_all(fd, hdr, sizeof(hdr), deadline) == -1)
		return -1;
	n = frame_get_len(hdr);
	if (n == 0) {
		errno = EBADMSG;
		return -1;
	}
	if (n > max) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((b = malloc(n)) == NULL)
		return -1;
	if (read_all(fd, b, n, deadline) == -1) {
		free(b);
		return -1;
	}
	*body = b;
	*len = n;
	return 0;
}
