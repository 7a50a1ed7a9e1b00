/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_privs.c - ctl_privs_drop() as the kernel sees it: every case runs in
 * a forked child (a drop can't be undone), reads /proc/self/status, and
 * execs /bin/cat /proc/self/status to read what a program the daemon runs
 * (iptables at exit) really gets. Needs root; skips (77) otherwise.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bh_test.h"
#include "ctl_privs.h"

#define BIT(c) (UINT64_C(1) << (c))
#define NET (BIT(CAP_NET_ADMIN) | BIT(CAP_NET_RAW))

struct status {
	unsigned long long inh, prm, eff, bnd, amb;
	int nnp;
	int fields;  /* how many of the six were found */
};

static const int keep_net[] = { CAP_NET_ADMIN, CAP_NET_RAW };

static void status_parse(FILE *f, struct status *st)
{
	char line[256];

	memset(st, 0, sizeof(*st));
	while (fgets(line, sizeof(line), f)) {
		st->fields += sscanf(line, "CapInh: %llx", &st->inh) == 1;
		st->fields += sscanf(line, "CapPrm: %llx", &st->prm) == 1;
		st->fields += sscanf(line, "CapEff: %llx", &st->eff) == 1;
		st->fields += sscanf(line, "CapBnd: %llx", &st->bnd) == 1;
		st->fields += sscanf(line, "CapAmb: %llx", &st->amb) == 1;
		st->fields += sscanf(line, "NoNewPrivs: %d", &st->nnp) == 1;
	}
}

static void status_self(struct status *st)
{
	FILE *f = fopen("/proc/self/status", "re");

	memset(st, 0, sizeof(*st));
	if (!f)
		return;
	status_parse(f, st);
	fclose(f);
}

/* Run @argv with stdout on @out (/dev/null if < 0, and stderr too if
 * @quiet); return its exit status or -1. */
static int run(char *const argv[], int out, bool quiet)
{
	int ws;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(out >= 0 ? out : devnull, STDOUT_FILENO);
		if (quiet)
			dup2(devnull, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws))
		return -1;
	return WEXITSTATUS(ws);
}

/* The status of an exec'd /bin/cat: what a program the daemon runs gets. */
static void status_exec(struct status *st)
{
	char *const argv[] = { "/bin/cat", "/proc/self/status", NULL };
	int p[2];
	FILE *f;

	memset(st, 0, sizeof(*st));
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	int rc = run(argv, p[1], false);

	close(p[1]);
	f = fdopen(p[0], "r");
	if (!f) {
		close(p[0]);
		return;
	}
	status_parse(f, st);
	fclose(f);
	CHECK_EQ(rc, 0);
}

static void check_exact(const struct status *st, uint64_t keep, const char *who)
{
	printf("# %s: CapInh %llx CapPrm %llx CapEff %llx CapBnd %llx CapAmb %llx NoNewPrivs %d\n",
	       who, st->inh, st->prm, st->eff, st->bnd, st->amb, st->nnp);
	CHECK_EQ(st->fields, 6);
	CHECK_EQ(st->inh, keep);
	CHECK_EQ(st->prm, keep);
	CHECK_EQ(st->eff, keep);
	CHECK_EQ(st->bnd, keep);
	CHECK_EQ(st->amb, keep);
	CHECK_EQ(st->nnp, 1);
}

/* Both the process and what it executes hold exactly @keep. */
static void check_both(uint64_t keep)
{
	struct status st;

	status_self(&st);
	check_exact(&st, keep, "self");
	status_exec(&st);
	check_exact(&st, keep, "exec'd /bin/cat");
}

/* Run @fn in a forked child (a drop can't be undone) and check that its
 * checks passed; the child reports each failure on stderr. */
static void in_child(void (*fn)(void))
{
	int ws = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(bh_test_failures ? 1 : 0);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &ws, 0) == pid);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

#define RUN_CHILD(fn)                                                                  \
	do {                                                                          \
		int _before = bh_test_failures;                                       \
		in_child(fn);                                                         \
		printf("%s %s\n", bh_test_failures == _before ? "ok" : "not ok", #fn); \
	} while (0)

static void drop_net(void)
{
	char err[256] = "", rep[64];
	int bits;

	CHECK_EQ(ctl_privs_drop(keep_net, 2, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "ctl_privs_drop: %s\n", err);
	check_both(NET);
	bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	CHECK_EQ(bits & (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED), SECBIT_NOROOT | SECBIT_NOROOT_LOCKED);
	CHECK(prctl(PR_SET_SECUREBITS, 0, 0, 0, 0) < 0 && errno == EPERM);
	CHECK_EQ(ctl_privs_report(rep, sizeof(rep)), (int)strlen("cap_net_admin,cap_net_raw"));
	CHECK(strcmp(rep, "cap_net_admin,cap_net_raw") == 0);
	CHECK_EQ(ctl_privs_report(rep, 10), -ENOSPC);
	CHECK(strlen(rep) < 10);
	/* A second drop to the same set is a no-op that succeeds. */
	CHECK_EQ(ctl_privs_drop(keep_net, 2, err, sizeof(err)), 0);
	check_both(NET);
}

static void drop_none(void)
{
	char err[256] = "", rep[64];

	CHECK_EQ(ctl_privs_drop(NULL, 0, err, sizeof(err)), 0);
	check_both(0);
	CHECK_EQ(ctl_privs_report(rep, sizeof(rep)), 4);
	CHECK(strcmp(rep, "none") == 0);
}

static void drop_repeated(void)
{
	const int keep[] = { CAP_NET_RAW, CAP_NET_ADMIN, CAP_NET_RAW };

	CHECK_EQ(ctl_privs_drop(keep, 3, NULL, 0), 0);
	check_both(NET);
}

/* Refusals change nothing; narrowing later can't widen again. */
static void drop_errors(void)
{
	const int bad1[] = { -1 }, bad2[] = { 99 }, admin[] = { CAP_NET_ADMIN };
	struct status before, after;
	char err[256];

	status_self(&before);
	err[0] = '\0';
	CHECK_EQ(ctl_privs_drop(bad1, 1, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "capability -1") != NULL);
	err[0] = '\0';
	CHECK_EQ(ctl_privs_drop(bad2, 1, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "capability 99") != NULL);
	status_self(&after);
	CHECK_EQ(after.eff, before.eff);
	CHECK_EQ(after.bnd, before.bnd);
	CHECK_EQ(after.nnp, before.nnp);

	CHECK_EQ(ctl_privs_drop(admin, 1, err, sizeof(err)), 0);
	check_both(BIT(CAP_NET_ADMIN));
	err[0] = '\0';
	CHECK_EQ(ctl_privs_drop(keep_net, 2, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "cap_net_raw") && strstr(err, "permitted"));
	check_both(BIT(CAP_NET_ADMIN));
}

static void *idle_thread(void *arg)
{
	char c;

	(void)!read(*(int *)arg, &c, 1);
	return NULL;
}

static void drop_threaded(void)
{
	struct status before, after;
	pthread_t t;
	char err[256] = "";
	int p[2];

	CHECK(pipe(p) == 0);
	status_self(&before);
	CHECK(pthread_create(&t, NULL, idle_thread, &p[0]) == 0);
	CHECK_EQ(ctl_privs_drop(keep_net, 2, err, sizeof(err)), -EBUSY);
	CHECK(strstr(err, "2 threads") != NULL);
	status_self(&after);
	CHECK_EQ(after.eff, before.eff);
	CHECK_EQ(after.bnd, before.bnd);
	(void)!write(p[1], "x", 1);
	pthread_join(t, NULL);
	CHECK_EQ(ctl_privs_drop(keep_net, 2, err, sizeof(err)), 0);
	check_both(NET);
}

/* A container started with only NET_ADMIN and NET_RAW: no cap_setpcap, so
 * no securebits, and the bounding set is right already. */
static void drop_without_setpcap(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { .permitted = (uint32_t)NET,
						 .effective = (uint32_t)NET } };
	const int admin[] = { CAP_NET_ADMIN };
	char err[256] = "";

	for (int c = 0; c < 64; c++)
		if (!(NET & BIT(c)) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) > 0)
			CHECK(prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0);
	CHECK(syscall(SYS_capset, &hdr, d) == 0);

	CHECK_EQ(ctl_privs_drop(admin, 1, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "cap_net_raw") && strstr(err, "cap_setpcap"));
	err[0] = '\0';
	CHECK_EQ(ctl_privs_drop(keep_net, 2, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "ctl_privs_drop: %s\n", err);
	CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) & SECBIT_NOROOT, 0);
	check_both(NET);
}

/* "iptables -N/-X" on a chain in a fresh network namespace. */
static bool iptables_ok(const char *bin, bool quiet)
{
	char *const mk[] = { (char *)bin, "-w", "-t", "filter", "-N", "BHPRIVS", NULL };
	char *const rm[] = { (char *)bin, "-w", "-t", "filter", "-X", "BHPRIVS", NULL };

	return run(mk, -1, quiet) == 0 && run(rm, -1, quiet) == 0;
}

static const char *const iptables_bins[] = {
	"/usr/sbin/iptables-nft",
	"/usr/sbin/ip6tables-nft",
	"/usr/sbin/iptables-legacy",
	"/usr/sbin/ip6tables-legacy",
};

/* What the daemon really runs at exit works with what it keeps. Only the
 * variants that work here before the drop are held to it. */
static void drop_then_iptables(void)
{
	bool works[4];
	char err[256] = "";

	CHECK(unshare(CLONE_NEWNET) == 0);
	for (int i = 0; i < 4; i++) {
		works[i] = access(iptables_bins[i], X_OK) == 0 && iptables_ok(iptables_bins[i], true);
		if (!works[i])
			printf("# %s unavailable here: not checked\n", iptables_bins[i]);
	}
	CHECK_EQ(ctl_privs_drop(keep_net, 2, err, sizeof(err)), 0);
	for (int i = 0; i < 4; i++)
		if (works[i]) {
			bool ok = iptables_ok(iptables_bins[i], false);

			printf("# %s with cap_net_admin,cap_net_raw: %s\n", iptables_bins[i],
			       ok ? "works" : "FAILS");
			CHECK(ok);
		}
}

/* Why NET_RAW is kept: the legacy tools open a raw socket. Informational. */
static void legacy_without_net_raw(void)
{
	const int admin[] = { CAP_NET_ADMIN };

	if (unshare(CLONE_NEWNET) < 0 || !iptables_ok(iptables_bins[2], true))
		return;
	CHECK_EQ(ctl_privs_drop(admin, 1, NULL, 0), 0);
	printf("# %s with cap_net_admin only: %s\n", iptables_bins[2],
	       iptables_ok(iptables_bins[2], true) ? "works" : "fails");
}

static bool have_caps(void)
{
	struct status st;
	uint64_t need = NET | BIT(CAP_SETPCAP) | BIT(CAP_SYS_ADMIN);

	status_self(&st);
	return (st.prm & need) == need;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIP: test_privs changes capabilities and needs root\n");
		return 77;
	}
	if (!have_caps()) {
		printf("SKIP: test_privs needs cap_net_admin, cap_net_raw, cap_setpcap and "
		       "cap_sys_admin in the permitted set\n");
		return 77;
	}
	RUN_CHILD(drop_net);
	RUN_CHILD(drop_none);
	RUN_CHILD(drop_repeated);
	RUN_CHILD(drop_errors);
	RUN_CHILD(drop_threaded);
	RUN_CHILD(drop_without_setpcap);
	RUN_CHILD(drop_then_iptables);
	RUN_CHILD(legacy_without_net_raw);
	return bh_test_summary();
}
