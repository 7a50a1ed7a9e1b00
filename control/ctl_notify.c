/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_notify.c - sd_notify(3) in a few lines: one datagram on a unix socket.
 * libsystemd would be a dependency for this one call; the protocol is a
 * stable interface (systemd's "Notify socket" documentation).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_notify.h"

/* $NOTIFY_SOCKET as an address; returns its length or -errno. */
static int notify_addr(const char *path, struct sockaddr_un *ret)
{
	size_t n = strlen(path);

	if (path[0] != '/' && path[0] != '@')
		return -EAFNOSUPPORT;
	if (n > sizeof(ret->sun_path) || (path[0] == '/' && n == sizeof(ret->sun_path)))
		return -ENAMETOOLONG;
	memset(ret, 0, sizeof(*ret));
	ret->sun_family = AF_UNIX;
	memcpy(ret->sun_path, path, n);
	if (path[0] == '@')
		ret->sun_path[0] = '\0';  /* abstract: the length says where it ends */
	return (int)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
}

int ctl_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	int alen, fd, r = 1;

	if (!path || !*path)
		return 0;
	alen = notify_addr(path, &sa);
	if (alen < 0)
		return alen;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)alen) < 0)
		r = -errno;
	close(fd);
	return r;
}
