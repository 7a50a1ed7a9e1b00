/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_rules.c - the kernel rules that send bridged traffic to the queues.
 *
 * Everything lives in two chains of the filter table, in iptables and
 * ip6tables alike, written with iptables-restore --noflush so each family
 * changes atomically:
 *
 *   FORWARD  -i BR -o BR -m physdev --physdev-is-bridged  -> BULKHEAD  (per bridge)
 *   BULKHEAD
 *     1 packet marked by a verdict      -> CONNMARK --save-mark (its connection keeps it)
 *     2 packet marked offload (this gen) -> ACCEPT
 *     3 connection marked offload        -> ACCEPT              "bulkhead offload"
 *     4 packet marked deny               -> BULKHEAD-DENY
 *     5 connection marked deny           -> BULKHEAD-DENY       "bulkhead deny"
 *     6 TCP without payload, established -> ACCEPT              "bulkhead no-payload"
 *     7 everything else                  -> NFQUEUE --queue-balance [--queue-bypass]
 *   BULKHEAD-DENY: TCP -> REJECT tcp-reset, UDP -> REJECT port-unreachable, DROP
 *
 * The xtables NFQUEUE target is used (iptables-nft runs it through the
 * compat layer): the nftables `queue` expression is missing on some kernels.
 * Rule 6 spells "no payload" exactly: an IPv4 header without options (or an
 * IPv6 header followed by TCP) whose length is that of the TCP header, one
 * rule per TCP header length; anything else goes to user space.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulkhead/dp_inline.h"

extern char **environ;

#define CHAIN "BULKHEAD"
#define CHAIN_DENY "BULKHEAD-DENY"
#define OUT_MAX (4u << 20)

static const char *const variant_name[] = {[DP_IPT_NFT] = "nft", [DP_IPT_LEGACY] = "legacy"};

struct text {
	char *s;
	size_t len, cap;
	bool oom;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = t->cap - t->len;

		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if (t->s && (size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		size_t ncap = (t->cap ? t->cap : 512) * 2 + (size_t)n;
		char *ns = realloc(t->s, ncap);

		if (!ns) {
			t->oom = true;
			return;
		}
		t->s = ns;
		t->cap = ncap;
	}
}

/* The program @prog of @variant for @family: "iptables-nft-restore". */
static void tool(char *out, size_t len, int family, enum dp_ipt variant, const char *what)
{
	snprintf(out, len, "/usr/sbin/%s-%s%s%s", family == 6 ? "ip6tables" : "iptables",
		 variant_name[variant], what ? "-" : "", what ? what : "");
}

static bool tool_exists(int family, enum dp_ipt variant)
{
	char path[128];

	tool(path, sizeof(path), family, variant, NULL);
	return access(path, X_OK) == 0;
}

/*
 * Run @argv with @input (may be NULL) on its stdin; its stdout and stderr,
 * up to OUT_MAX bytes, into *@out (malloc'd, NUL-terminated). Returns its
 * exit status (0..255), or -errno when it could not run.
 */
static int run(char *const *argv, const char *input, char **out)
{
	int in[2] = {-1, -1}, op[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	struct text t = {0};
	pid_t pid;
	int r, st;

	*out = NULL;
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(op, O_CLOEXEC) < 0) {
		r = -errno;
		close(in[0]);
		close(in[1]);
		return r;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, op[1], 2);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(op[1]);
	if (r) {
		close(in[1]);
		close(op[0]);
		return -r;
	}
	if (input) {
		size_t len = strlen(input), off = 0;

		while (off < len) {
			ssize_t n = write(in[1], input + off, len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* it exited early: its status tells */
			off += (size_t)n;
		}
	}
	close(in[1]);
	for (;;) {
		char buf[4096];
		ssize_t n = read(op[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (t.len < OUT_MAX)
			text_add(&t, "%.*s", (int)n, buf);
	}
	close(op[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!t.s)
		text_add(&t, "%s", "");
	*out = t.s;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Feed @script to the restore tool of @family/@variant (--noflush). */
static int restore(int family, enum dp_ipt variant, const char *script, char *err, size_t errlen)
{
	char path[128];
	char *argv[] = {path, "--noflush", "--wait", NULL};
	char *out;
	int r;

	tool(path, sizeof(path), family, variant, "restore");
	r = run(argv, script, &out);
	if (r != 0) {
		char *nl;

		if (out && (nl = strrchr(out, '\n')) && !nl[1])
			*nl = 0;
		snprintf(err, errlen, "%s: %s", path,
			 r < 0 ? strerror(-r) : out && *out ? out : "failed");
		free(out);
		return r < 0 ? r : -EIO;
	}
	free(out);
	return 0;
}

static int save(int family, enum dp_ipt variant, const char *table, char **out, char *err,
		size_t errlen)
{
	char path[128];
	char *argv[] = {path, "-t", (char *)table, NULL};
	int r;

	tool(path, sizeof(path), family, variant, "save");
	if (!table)
		argv[1] = NULL;
	r = run(argv, NULL, out);
	if (r != 0) {
		snprintf(err, errlen, "%s: %s", path, r < 0 ? strerror(-r) : *out ? *out : "failed");
		free(*out);
		*out = NULL;
		return r < 0 ? r : -EIO;
	}
	return 0;
}

/* Rules in every table of @variant, bulkhead's own left out. */
static long count_rules(enum dp_ipt variant)
{
	char err[256];
	long n = 0;

	for (int fam = 4; fam <= 6; fam += 2) {
		char *out, *line, *save_ptr = NULL;

		if (!tool_exists(fam, variant) || save(fam, variant, NULL, &out, err, sizeof(err)) < 0)
			continue;
		for (line = strtok_r(out, "\n", &save_ptr); line;
		     line = strtok_r(NULL, "\n", &save_ptr))
			if (!strncmp(line, "-A ", 3) && !strstr(line, CHAIN))
				n++;
		free(out);
	}
	return n;
}

int dp_rules_detect(enum dp_ipt *ipt, const char **ret_name, char *err, size_t errlen)
{
	bool nft = tool_exists(4, DP_IPT_NFT), legacy = tool_exists(4, DP_IPT_LEGACY);

	if (*ipt == DP_IPT_AUTO) {
		if (!nft && !legacy) {
			snprintf(err, errlen,
				 "neither iptables-nft nor iptables-legacy found in /usr/sbin "
				 "(apt-get install iptables)");
			return -ENOENT;
		}
		/* The variant already in use wins: rules in the other would
		 * run beside it, unseen by its users' tools. */
		*ipt = nft && !(legacy && count_rules(DP_IPT_LEGACY) > count_rules(DP_IPT_NFT))
			       ? DP_IPT_NFT
			       : DP_IPT_LEGACY;
	} else if (!tool_exists(4, *ipt) || !tool_exists(6, *ipt)) {
		snprintf(err, errlen, "iptables-%s / ip6tables-%s not found in /usr/sbin",
			 variant_name[*ipt], variant_name[*ipt]);
		return -ENOENT;
	}
	*ret_name = variant_name[*ipt];
	return 0;
}

/* The script removing bulkhead's rules from a `-save -t filter` dump. */
static void cleanup_script(char *dump, struct text *t, int *jumps, bool *chains)
{
	char *line, *sp = NULL;
	bool main_chain = false, deny_chain = false;

	text_add(t, "*filter\n");
	for (line = strtok_r(dump, "\n", &sp); line; line = strtok_r(NULL, "\n", &sp)) {
		if (!strncmp(line, ":" CHAIN " ", strlen(":" CHAIN " ")))
			main_chain = true;
		else if (!strncmp(line, ":" CHAIN_DENY " ", strlen(":" CHAIN_DENY " ")))
			deny_chain = true;
		else if (!strncmp(line, "-A ", 3) && strncmp(line, "-A " CHAIN, strlen("-A " CHAIN)) &&
			 (strstr(line, " -j " CHAIN " ") || strstr(line, " -g " CHAIN " ") ||
			  (strlen(line) > strlen(" -j " CHAIN) &&
			   !strcmp(line + strlen(line) - strlen(" -j " CHAIN), " -j " CHAIN)))) {
			text_add(t, "-D %s\n", line + 3);
			(*jumps)++;
		}
	}
	if (main_chain)
		text_add(t, "-F " CHAIN "\n");
	if (deny_chain)
		text_add(t, "-F " CHAIN_DENY "\n");
	if (main_chain)
		text_add(t, "-X " CHAIN "\n");
	if (deny_chain)
		text_add(t, "-X " CHAIN_DENY "\n");
	text_add(t, "COMMIT\n");
	*chains = main_chain || deny_chain;
}

int dp_rules_cleanup(char *err, size_t errlen)
{
	int removed = 0;

	for (int v = DP_IPT_NFT; v <= DP_IPT_LEGACY; v++) {
		for (int fam = 4; fam <= 6; fam += 2) {
			struct text t = {0};
			char *dump;
			int jumps = 0, r;
			bool chains;

			if (!tool_exists(fam, (enum dp_ipt)v))
				continue;
			r = save(fam, (enum dp_ipt)v, "filter", &dump, err, errlen);
			if (r < 0)
				return r;
			cleanup_script(dump, &t, &jumps, &chains);
			free(dump);
			if (t.oom) {
				free(t.s);
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			r = jumps || chains ? restore(fam, (enum dp_ipt)v, t.s, err, errlen) : 0;
			free(t.s);
			if (r < 0)
				return r;
			removed += jumps;
		}
	}
	return removed;
}

/* Rules 2 and 3: appended, or (@replace) replacing the ones in place. */
static void offload_rules(struct text *t, unsigned gen, bool replace)
{
	uint32_t g = dp_mark_offload(gen);

	text_add(t, "%s -m mark --mark 0x%x/0x%x -j ACCEPT\n",
		 replace ? "-R " CHAIN " 2" : "-A " CHAIN, g, DP_MARK_MASK);
	text_add(t,
		 "%s -m connmark --mark 0x%x/0x%x -m comment --comment \"bulkhead offload\" "
		 "-j ACCEPT\n",
		 replace ? "-R " CHAIN " 3" : "-A " CHAIN, g, DP_MARK_MASK);
}

/* Rule 6: pure ACKs, one rule per TCP header length (5..15 words). */
static void no_payload_rules(struct text *t, int family)
{
	for (unsigned doff = 5; doff <= 15; doff++) {
		char u32[96];

		if (family == 4)
			snprintf(u32, sizeof(u32), "0>>24=0x45&&0&0xFFFF=%u&&32>>28=%u", 20 + doff * 4,
				 doff);
		else
			snprintf(u32, sizeof(u32), "4>>8&0xFF=6&&4>>16=%u&&52>>28=%u", doff * 4, doff);
		text_add(t,
			 "-A " CHAIN " -p tcp --tcp-flags SYN,FIN,RST,ACK ACK -m conntrack --ctstate "
			 "ESTABLISHED -m u32 --u32 \"%s\" -m comment --comment \"bulkhead no-payload\" "
			 "-j ACCEPT\n",
			 u32);
	}
}

static void install_script(const struct dp_rules_config *c, int family, struct text *t)
{
	text_add(t, "*filter\n:" CHAIN " - [0:0]\n:" CHAIN_DENY " - [0:0]\n");
	text_add(t,
		 "-A " CHAIN " -m mark ! --mark 0x0/0x%x -j CONNMARK --save-mark --nfmask 0x%x "
		 "--ctmask 0x%x\n",
		 DP_MARK_MASK, DP_MARK_MASK, DP_MARK_MASK);
	offload_rules(t, c->generation, false);
	text_add(t, "-A " CHAIN " -m mark --mark 0x%x/0x%x -j " CHAIN_DENY "\n", DP_MARK_DENY,
		 DP_MARK_DENY);
	text_add(t,
		 "-A " CHAIN " -m connmark --mark 0x%x/0x%x -m comment --comment \"bulkhead deny\" "
		 "-j " CHAIN_DENY "\n",
		 DP_MARK_DENY, DP_MARK_DENY);
	if (c->offload)
		no_payload_rules(t, family);
	if (c->queues > 1)
		text_add(t, "-A " CHAIN " -m comment --comment \"bulkhead queue\" -j NFQUEUE "
			    "--queue-balance %u:%u%s\n",
			 c->queue_base, c->queue_base + c->queues - 1,
			 c->fail_open ? " --queue-bypass" : "");
	else
		text_add(t, "-A " CHAIN " -m comment --comment \"bulkhead queue\" -j NFQUEUE "
			    "--queue-num %u%s\n",
			 c->queue_base, c->fail_open ? " --queue-bypass" : "");
	text_add(t, "-A " CHAIN_DENY " -p tcp -j REJECT --reject-with tcp-reset\n");
	text_add(t, "-A " CHAIN_DENY " -p udp -j REJECT --reject-with %s\n",
		 family == 4 ? "icmp-port-unreachable" : "icmp6-port-unreachable");
	text_add(t, "-A " CHAIN_DENY " -j DROP\n");
	for (size_t i = c->nbridges; i-- > 0;)
		text_add(t,
			 "-I FORWARD 1 -i %s -o %s -m physdev --physdev-is-bridged -m comment "
			 "--comment bulkhead -j " CHAIN "\n",
			 c->bridges[i], c->bridges[i]);
	text_add(t, "COMMIT\n");
}

int dp_rules_install(const struct dp_rules_config *c, char *err, size_t errlen)
{
	int r = dp_rules_cleanup(err, errlen);

	if (r < 0)
		return r;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct text t = {0};

		install_script(c, fam, &t);
		r = t.oom ? -ENOMEM : restore(fam, c->ipt, t.s, err, errlen);
		free(t.s);
		if (r < 0) {
			char e2[256];

			dp_rules_cleanup(e2, sizeof(e2)); /* no half-installed state */
			return r;
		}
	}
	return 0;
}

int dp_rules_queue_packets(const struct dp_rules_config *c, uint64_t *ret, char *err,
			   size_t errlen)
{
	uint64_t sum = 0;

	for (int fam = 4; fam <= 6; fam += 2) {
		char path[128];
		char *argv[] = {path, "-c", "-t", "filter", NULL};
		char *out, *line, *save_ptr = NULL;
		int r;

		tool(path, sizeof(path), fam, c->ipt, "save");
		r = run(argv, NULL, &out);
		if (r != 0) {
			snprintf(err, errlen, "%s -c: %s", path,
				 r < 0 ? strerror(-r) : out && *out ? out : "failed");
			free(out);
			return r < 0 ? r : -EIO;
		}
		/* "[packets:bytes] -A BULKHEAD ... bulkhead queue ... -j NFQUEUE" */
		for (line = strtok_r(out, "\n", &save_ptr); line;
		     line = strtok_r(NULL, "\n", &save_ptr)) {
			unsigned long long pk, by;

			if (strstr(line, "-A " CHAIN " ") && strstr(line, "bulkhead queue") &&
			    sscanf(line, "[%llu:%llu]", &pk, &by) == 2)
				sum += pk;
		}
		free(out);
	}
	*ret = sum;
	return 0;
}

int dp_rules_set_generation(const struct dp_rules_config *c, char *err, size_t errlen)
{
	for (int fam = 4; fam <= 6; fam += 2) {
		struct text t = {0};
		int r;

		text_add(&t, "*filter\n");
		offload_rules(&t, c->generation, true);
		text_add(&t, "COMMIT\n");
		r = t.oom ? -ENOMEM : restore(fam, c->ipt, t.s, err, errlen);
		free(t.s);
		if (r < 0)
			return r;
	}
	return 0;
}

static int sysctl_get(const char *path, int *val)
{
	char buf[16] = {0}, *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	errno = 0;
	*val = (int)strtol(buf, &end, 10);
	return errno || end == buf ? -EIO : 0;
}

static int sysctl_set(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

int dp_rules_check_sysctls(bool fix, char *err, size_t errlen)
{
	static const char *const names[] = {"bridge-nf-call-iptables", "bridge-nf-call-ip6tables"};
	struct stat st;

	if (stat("/proc/sys/net/bridge", &st) < 0 && fix) {
		char *argv[] = {"/usr/sbin/modprobe", "br_netfilter", NULL}, *out = NULL;

		run(argv, NULL, &out);
		free(out);
	}
	if (stat("/proc/sys/net/bridge", &st) < 0) {
		snprintf(err, errlen,
			 "br_netfilter is not loaded (no /proc/sys/net/bridge): bridged traffic never "
			 "reaches iptables; run `modprobe br_netfilter`, or start with --setup-sysctls");
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[96];
		int v = 0, r;

		snprintf(path, sizeof(path), "/proc/sys/net/bridge/%s", names[i]);
		if (fix && (r = sysctl_set(path, "1")) < 0) {
			snprintf(err, errlen, "cannot set net.bridge.%s=1: %s", names[i], strerror(-r));
			return r;
		}
		r = sysctl_get(path, &v);
		if (r < 0) {
			snprintf(err, errlen, "cannot read net.bridge.%s: %s", names[i], strerror(-r));
			return r;
		}
		if (v != 1) {
			snprintf(err, errlen,
				 "net.bridge.%s is %d: bridged traffic bypasses %s, nothing would be "
				 "inspected; set it with `sysctl -w net.bridge.%s=1`, or start with "
				 "--setup-sysctls",
				 names[i], v, i ? "ip6tables" : "iptables", names[i]);
			return -EPERM;
		}
	}
	return 0;
}
