/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_privs.c - drop every capability bulkheadd doesn't name.
 *
 * Raw syscalls (capget/capset through syscall(), prctl) rather than
 * libcap-ng: what is needed is three capset/prctl families, about as many
 * lines as the libcap-ng calls plus their error handling, and libcap-ng
 * would still leave no_new_privs, the securebits choice and the ambient
 * ordering to us. No new dependency.
 *
 * The process stays uid 0 (it owns root's files in /run and /var) and runs
 * iptables/ip6tables at exit. What such a program gets at execve(2), for a
 * file without capabilities (capabilities(7)):
 *   - uid 0 without SECBIT_NOROOT:  P' = bounding | P(inh) | P(amb),
 *     E' = P'  (root's "all file capabilities" rule, cut by the bounding set)
 *   - with SECBIT_NOROOT:           P' = E' = P(amb)
 * With bounding = inheritable = ambient = the kept set both give exactly the
 * kept set; tests/unit/test_privs.c checks it on an exec'd /bin/cat.
 *
 * SECBIT_NOROOT|SECBIT_NOROOT_LOCKED is still set: it makes the ambient set,
 * which we state explicitly, the only source of an exec'd program's
 * capabilities instead of a rule about uid 0, and the lock costs nothing
 * since no thread or child keeps the CAP_SETPCAP needed to change it. Its
 * price is that a kernel without ambient capabilities (< 4.3) would start
 * iptables with none, so a failed ambient raise is an error, never ignored.
 * no_new_privs (and the emptied bounding set) stop a setuid or
 * file-capability binary from gaining anything. A process that holds no
 * CAP_SETPCAP but whose bounding set is already within the kept set (a
 * container started with only these capabilities) can't set securebits and
 * doesn't need to: the first rule above already gives exactly the kept set.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl_privs.h"

#define CAP_BIT(c) (UINT64_C(1) << (c))

struct caps {
	uint64_t perm, eff, inh;
};

static const char *const cap_names[] = {
	[CAP_CHOWN] = "cap_chown",
	[CAP_DAC_OVERRIDE] = "cap_dac_override",
	[CAP_DAC_READ_SEARCH] = "cap_dac_read_search",
	[CAP_FOWNER] = "cap_fowner",
	[CAP_FSETID] = "cap_fsetid",
	[CAP_KILL] = "cap_kill",
	[CAP_SETGID] = "cap_setgid",
	[CAP_SETUID] = "cap_setuid",
	[CAP_SETPCAP] = "cap_setpcap",
	[CAP_LINUX_IMMUTABLE] = "cap_linux_immutable",
	[CAP_NET_BIND_SERVICE] = "cap_net_bind_service",
	[CAP_NET_BROADCAST] = "cap_net_broadcast",
	[CAP_NET_ADMIN] = "cap_net_admin",
	[CAP_NET_RAW] = "cap_net_raw",
	[CAP_IPC_LOCK] = "cap_ipc_lock",
	[CAP_IPC_OWNER] = "cap_ipc_owner",
	[CAP_SYS_MODULE] = "cap_sys_module",
	[CAP_SYS_RAWIO] = "cap_sys_rawio",
	[CAP_SYS_CHROOT] = "cap_sys_chroot",
	[CAP_SYS_PTRACE] = "cap_sys_ptrace",
	[CAP_SYS_PACCT] = "cap_sys_pacct",
	[CAP_SYS_ADMIN] = "cap_sys_admin",
	[CAP_SYS_BOOT] = "cap_sys_boot",
	[CAP_SYS_NICE] = "cap_sys_nice",
	[CAP_SYS_RESOURCE] = "cap_sys_resource",
	[CAP_SYS_TIME] = "cap_sys_time",
	[CAP_SYS_TTY_CONFIG] = "cap_sys_tty_config",
	[CAP_MKNOD] = "cap_mknod",
	[CAP_LEASE] = "cap_lease",
	[CAP_AUDIT_WRITE] = "cap_audit_write",
	[CAP_AUDIT_CONTROL] = "cap_audit_control",
	[CAP_SETFCAP] = "cap_setfcap",
	[CAP_MAC_OVERRIDE] = "cap_mac_override",
	[CAP_MAC_ADMIN] = "cap_mac_admin",
	[CAP_SYSLOG] = "cap_syslog",
	[CAP_WAKE_ALARM] = "cap_wake_alarm",
	[CAP_BLOCK_SUSPEND] = "cap_block_suspend",
	[CAP_AUDIT_READ] = "cap_audit_read",
	[CAP_PERFMON] = "cap_perfmon",
	[CAP_BPF] = "cap_bpf",
	[CAP_CHECKPOINT_RESTORE] = "cap_checkpoint_restore",
};

/* @cap's name, or "cap_N" written into @tmp. */
static const char *cap_name(int cap, char tmp[16])
{
	if (cap >= 0 && (size_t)cap < sizeof(cap_names) / sizeof(cap_names[0]) && cap_names[cap])
		return cap_names[cap];
	snprintf(tmp, 16, "cap_%d", cap);
	return tmp;
}

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, int r,
						      const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int caps_get(struct caps *ret)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, d) < 0)
		return -errno;
	ret->perm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	ret->eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	ret->inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return 0;
}

static int caps_set(const struct caps *c)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	for (int i = 0; i < 2; i++) {
		d[i].permitted = (uint32_t)(c->perm >> (32 * i));
		d[i].effective = (uint32_t)(c->eff >> (32 * i));
		d[i].inheritable = (uint32_t)(c->inh >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, d) < 0)
		return -errno;
	return 0;
}

/* The highest capability number this kernel knows: PR_CAPBSET_READ says
 * EINVAL past it. Headers can be older or newer than the kernel, so
 * CAP_LAST_CAP is no answer. */
static int cap_last(void)
{
	int last = -1;

	for (int c = 0; c < 64; c++) {
		if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			return -errno;
		}
		last = c;
	}
	return last < 0 ? -EINVAL : last;
}

static uint64_t bounding_get(int last)
{
	uint64_t m = 0;

	for (int c = 0; c <= last; c++)
		if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) > 0)
			m |= CAP_BIT(c);
	return m;
}

static uint64_t ambient_get(int last)
{
	uint64_t m = 0;

	for (int c = 0; c <= last; c++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, (unsigned long)c, 0, 0) > 0)
			m |= CAP_BIT(c);
	return m;
}

/* "Threads:" of /proc/self/status, or 0 when it can't be read (no /proc:
 * then nobody can tell, and the caller is trusted). */
static long thread_count(void)
{
	char line[256];
	long n = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "Threads:", 8) == 0) {
			n = strtol(line + 8, NULL, 10);
			break;
		}
	fclose(f);
	return n;
}

/* The lowest capability in @m, for messages. */
static int first_cap(uint64_t m)
{
	return __builtin_ctzll(m);
}

static int keep_mask(const int *keep, size_t nkeep, int last, const struct caps *cur,
		     uint64_t bnd, uint64_t *ret, char *err, size_t errlen)
{
	uint64_t m = 0;
	char tmp[16];

	for (size_t i = 0; i < nkeep; i++) {
		if (keep[i] < 0 || keep[i] > last)
			return fail(err, errlen, -EINVAL,
				    "dropping capabilities: capability %d is unknown to this kernel "
				    "(the last is %d)",
				    keep[i], last);
		m |= CAP_BIT(keep[i]);
	}
	if (m & ~cur->perm)
		return fail(err, errlen, -EPERM,
			    "dropping capabilities: %s is to be kept but is not in the permitted set",
			    cap_name(first_cap(m & ~cur->perm), tmp));
	if (m & ~bnd)
		return fail(err, errlen, -EPERM,
			    "dropping capabilities: %s is to be kept but is not in the bounding set, "
			    "so it can't be made inheritable and ambient",
			    cap_name(first_cap(m & ~bnd), tmp));
	*ret = m;
	return 0;
}

static int bounding_drop(uint64_t drop, bool setpcap, int last, char *err, size_t errlen)
{
	char tmp[16];

	if (drop && !setpcap)
		return fail(err, errlen, -EPERM,
			    "dropping %s from the bounding set needs cap_setpcap, which this "
			    "process lacks",
			    cap_name(first_cap(drop), tmp));
	for (int c = 0; c <= last; c++) {
		if (!(drop & CAP_BIT(c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0) {
			int r = -errno;

			return fail(err, errlen, r, "dropping %s from the bounding set: %s",
				    cap_name(c, tmp), strerror(-r));
		}
	}
	return 0;
}

static int securebits_lock(bool setpcap, char *err, size_t errlen)
{
	const unsigned long want = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED;
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	int r;

	if (bits < 0) {
		r = -errno;
		return fail(err, errlen, r, "reading securebits: %s", strerror(-r));
	}
	/* Without cap_setpcap the bounding set is already within the kept set
	 * (bounding_drop() said so), which is all the header comment needs. */
	if (((unsigned long)bits & want) == want || !setpcap)
		return 0;
	if (prctl(PR_SET_SECUREBITS, (unsigned long)bits | want, 0, 0, 0) < 0) {
		r = -errno;
		return fail(err, errlen, r, "setting securebits noroot,noroot_locked: %s",
			    strerror(-r));
	}
	return 0;
}

static int ambient_raise(uint64_t keep, int last, char *err, size_t errlen)
{
	char tmp[16];
	int r;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		r = -errno;
		return fail(err, errlen, r,
			    "clearing the ambient capability set: %s (ambient capabilities "
			    "need Linux 4.3)",
			    strerror(-r));
	}
	for (int c = 0; c <= last; c++) {
		if (!(keep & CAP_BIT(c)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) < 0) {
			r = -errno;
			return fail(err, errlen, r, "raising %s into the ambient set: %s",
				    cap_name(c, tmp), strerror(-r));
		}
	}
	return 0;
}

/* Read everything back: a kernel that silently ignored a step must not
 * leave a daemon that believes it dropped what it still holds. */
static int verify(uint64_t keep, int last, char *err, size_t errlen)
{
	struct caps c = {0};
	uint64_t bnd = bounding_get(last), amb = ambient_get(last);
	int r = caps_get(&c);

	if (r < 0)
		return fail(err, errlen, r, "capget: %s", strerror(-r));
	if (c.perm != keep || c.eff != keep || c.inh != keep || bnd != keep || amb != keep)
		return fail(err, errlen, -EIO,
			    "capabilities after the drop are not the kept set %#llx: permitted "
			    "%#llx effective %#llx inheritable %#llx bounding %#llx ambient %#llx",
			    (unsigned long long)keep, (unsigned long long)c.perm,
			    (unsigned long long)c.eff, (unsigned long long)c.inh,
			    (unsigned long long)bnd, (unsigned long long)amb);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return fail(err, errlen, -EIO, "no_new_privs is not set after setting it");
	return 0;
}

int ctl_privs_drop(const int *keep, size_t nkeep, char *err, size_t errlen)
{
	struct caps cur, want;
	uint64_t bnd, keepm = 0;
	long threads = thread_count();
	int last, r;
	bool setpcap;

	if (threads > 1)
		return fail(err, errlen, -EBUSY,
			    "dropping capabilities: the process has %ld threads, and capabilities "
			    "are per thread; drop them before starting any",
			    threads);
	last = cap_last();
	if (last < 0)
		return fail(err, errlen, last, "reading the bounding set: %s", strerror(-last));
	r = caps_get(&cur);
	if (r < 0)
		return fail(err, errlen, r, "capget: %s", strerror(-r));
	bnd = bounding_get(last);
	r = keep_mask(keep, nkeep, last, &cur, bnd, &keepm, err, errlen);
	if (r < 0)
		return r;

	/* cap_setpcap, when permitted, must be effective for the bounding set
	 * and the securebits; the capset below takes it away again. */
	setpcap = cur.perm & CAP_BIT(CAP_SETPCAP);
	if (setpcap && !(cur.eff & CAP_BIT(CAP_SETPCAP))) {
		want = cur;
		want.eff |= CAP_BIT(CAP_SETPCAP);
		r = caps_set(&want);
		if (r < 0)
			return fail(err, errlen, r, "making cap_setpcap effective: %s",
				    strerror(-r));
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		return fail(err, errlen, r, "setting no_new_privs: %s", strerror(-r));
	}
	r = bounding_drop(bnd & ~keepm, setpcap, last, err, errlen);
	if (r < 0)
		return r;
	r = securebits_lock(setpcap, err, errlen);
	if (r < 0)
		return r;
	want = (struct caps){ .perm = keepm, .eff = keepm, .inh = keepm };
	r = caps_set(&want);
	if (r < 0)
		return fail(err, errlen, r, "capset to the kept capabilities: %s", strerror(-r));
	r = ambient_raise(keepm, last, err, errlen);
	if (r < 0)
		return r;
	return verify(keepm, last, err, errlen);
}

int ctl_privs_report(char *buf, size_t len)
{
	struct caps c = {0};
	size_t used = 0;
	char tmp[16];
	int r = caps_get(&c);

	if (len)
		buf[0] = '\0';
	if (r < 0)
		return r;
	for (int cap = 0; cap < 64; cap++) {
		if (!(c.eff & CAP_BIT(cap)))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
				 cap_name(cap, tmp));

		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	if (!c.eff) {
		if (len < 5)
			return -ENOSPC;
		memcpy(buf, "none", 5);
		used = 4;
	}
	return (int)used;
}
