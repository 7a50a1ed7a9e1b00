/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_ct.c - dp_ct_clear_offload() against the kernel's conntrack table,
 * in a network namespace of its own (root): connections get marks from
 * CONNMARK rules (offload with generation 5, with generation 6, deny, and
 * a bit outside bulkhead's mask), then the offload marks of one generation,
 * then all of them, are cleared; what else a mark holds stays.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bh_test.h"
#include "bulkhead/dp_inline.h"

/* One UDP datagram to 127.0.0.1:@port (a conntrack entry). */
static void udp_to(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0);
	CHECK(sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) == 1);
	close(fd);
}

static int sh(const char *cmd)
{
	int r = system(cmd);

	if (r != 0)
		fprintf(stderr, "# `%s`: status %d\n", cmd, r);
	return r;
}

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, "lo", 3);
	r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return r < 0 ? -errno : 0;
}

/* A mark rule for datagrams to @port. */
static int mark_rule(uint16_t port, uint32_t mark)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "iptables -w -t mangle -A OUTPUT -p udp --dport %u -j CONNMARK --set-mark 0x%x",
		 port, mark);
	return sh(cmd);
}

int main(void)
{
	char err[256];
	uint64_t n = 99;
	int r;

	if (getuid() != 0) {
		printf("SKIP: needs root (a network namespace, iptables, conntrack)\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("SKIP: cannot create a network namespace: %s\n", strerror(errno));
		return 77;
	}
	if (lo_up() < 0 || sh("iptables -w -t mangle -L -n >/dev/null 2>&1") != 0) {
		printf("SKIP: no loopback or no iptables in the namespace\n");
		return 77;
	}
	CHECK(mark_rule(9001, dp_mark_offload(5)) == 0);
	CHECK(mark_rule(9002, dp_mark_offload(5) | 0x1) == 0); /* a bit of someone else's */
	CHECK(mark_rule(9003, dp_mark_offload(6)) == 0);
	CHECK(mark_rule(9004, DP_MARK_DENY) == 0);
	CHECK(mark_rule(9005, dp_mark_offload(5 + 256)) == 0); /* the same 8 bits as 5 */
	for (uint16_t p = 9001; p <= 9005; p++)
		udp_to(p);

	/* Nothing of generation 7. */
	r = dp_ct_clear_offload(7, false, &n, err, sizeof(err));
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 0);

	/* Generation 5 (and 5 + 256, the same bits): the datagrams to 9001,
	 * 9002 and 9005. */
	r = dp_ct_clear_offload(5, false, &n, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "# %s\n", err);
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 3);
	r = dp_ct_clear_offload(5, false, &n, err, sizeof(err));
	CHECK_EQ(n, 0); /* cleared for good */
	r = dp_ct_clear_offload(261, false, &n, err, sizeof(err));
	CHECK_EQ(n, 0);

	/* At start: every offload mark (6), never a denial. */
	r = dp_ct_clear_offload(0, true, &n, err, sizeof(err));
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 1);
	r = dp_ct_clear_offload(0, true, &n, err, sizeof(err));
	CHECK_EQ(n, 0);

	/* What stayed: the deny mark, and the foreign bit of 9002 (the dump
	 * reports it through conntrack's own listing). */
	CHECK(sh("iptables -w -t mangle -F OUTPUT") == 0);
	{
		FILE *f = popen("cat /proc/net/nf_conntrack 2>/dev/null", "r");
		char line[512];
		int deny = 0, foreign = 0, seen = 0;

		while (f && fgets(line, sizeof(line), f)) {
			char *m = strstr(line, " mark=");
			unsigned long mark;

			if (!m || !strstr(line, "dport=900"))
				continue;
			seen++;
			mark = strtoul(m + 6, NULL, 10);
			if (strstr(line, "dport=9004 ") && mark == DP_MARK_DENY)
				deny++;
			if (strstr(line, "dport=9002 ") && mark == 0x1)
				foreign++;
		}
		if (f)
			pclose(f);
		if (seen) { /* /proc/net/nf_conntrack exists on this kernel */
			CHECK_EQ(deny, 1);
			CHECK_EQ(foreign, 1);
		} else {
			printf("# /proc/net/nf_conntrack absent: marks left in place not listed\n");
		}
	}
	return bh_test_summary();
}
