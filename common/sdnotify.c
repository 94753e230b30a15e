/*
 * sd_notify without libsystemd: see sdnotify.h.  The protocol is small and
 * documented as stable; linking libsystemd for one sendto() is not worth it.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

bool
sdnotify_enabled(void)
{
	const char	*s = getenv("NOTIFY_SOCKET");

	return s != NULL && s[0] != '\0';
}

int
sdnotify(const char *fmt, ...)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	char			 msg[512];
	va_list			 ap;
	socklen_t		 len;
	size_t			 plen;
	int			 fd, n, r;

	if (path == NULL || path[0] == '\0')
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg)) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')		/* abstract namespace */
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sun,
	    len) == n ? 0 : -1;
	close(fd);
	return r;
}

unsigned long long
sdnotify_watchdog_usec(void)
{
	const char	*s = getenv("WATCHDOG_USEC"), *p = getenv("WATCHDOG_PID");
	char		*end;
	unsigned long long v;

	if (s == NULL)
		return 0;
	if (p != NULL && strtol(p, NULL, 10) != (long)getpid())
		return 0;
	v = strtoull(s, &end, 10);
	return *end == '\0' ? v : 0;
}
