/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_notify.c - ctl_notify() against a datagram socket standing in for
 * the service manager: a path, the abstract namespace, and the refusals.
 */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "bh_test.h"
#include "ctl_notify.h"

/* Bind a datagram socket at @name ("@..." for abstract); returns the fd. */
static int listen_at(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || n >= sizeof(sa.sun_path))
		abort();
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	if (bind(fd, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] != '@'))) < 0) {
		perror(name);
		abort();
	}
	return fd;
}

/* The datagram waiting on @fd (sent synchronously: no wait needed). */
static void expect_datagram(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	CHECK_EQ(n, (ssize_t)strlen(want));
	if (n >= 0) {
		buf[n] = '\0';
		CHECK(strcmp(buf, want) == 0);
	}
}

static void test_unset(void)
{
	unsetenv("NOTIFY_SOCKET");
	CHECK_EQ(ctl_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	CHECK_EQ(ctl_notify("READY=1"), 0);
}

static void test_path(void)
{
	char dir[] = "/tmp/bh-notify-XXXXXX", path[64];
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listen_at(path);
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK_EQ(ctl_notify("READY=1"), 1);
	expect_datagram(fd, "READY=1");
	CHECK_EQ(ctl_notify("STATUS=enforcing on br0\nREADY=1"), 1);
	expect_datagram(fd, "STATUS=enforcing on br0\nREADY=1");
	close(fd);
	unlink(path);
	/* Nobody listening any more: the error comes back, nothing else. */
	CHECK_EQ(ctl_notify("STOPPING=1"), -ENOENT);
	rmdir(dir);
}

static void test_abstract(void)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "@bulkhead-test-notify-%d", (int)getpid());
	fd = listen_at(name);
	setenv("NOTIFY_SOCKET", name, 1);
	CHECK_EQ(ctl_notify("READY=1"), 1);
	expect_datagram(fd, "READY=1");
	CHECK_EQ(ctl_notify("RELOADING=1"), 1);
	expect_datagram(fd, "RELOADING=1");
	close(fd);
	CHECK_EQ(ctl_notify("READY=1"), -ECONNREFUSED);
}

static void test_refused(void)
{
	char longpath[200];

	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	CHECK_EQ(ctl_notify("READY=1"), -EAFNOSUPPORT);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK_EQ(ctl_notify("READY=1"), -EAFNOSUPPORT);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longpath, 1);
	CHECK_EQ(ctl_notify("READY=1"), -ENAMETOOLONG);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	RUN(test_unset);
	RUN(test_path);
	RUN(test_abstract);
	RUN(test_refused);
	return bh_test_summary();
}
