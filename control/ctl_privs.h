/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_privs.h - bulkheadd's privileges after setup: the capabilities it
 * names and nothing else, for itself and for the iptables it runs at exit.
 */
#ifndef CTL_PRIVS_H
#define CTL_PRIVS_H

#include <stddef.h>

/*
 * Keep exactly the capabilities @keep[0..@nkeep-1] (CAP_* numbers; repeats
 * are fine, @nkeep may be 0) in the permitted, effective, inheritable and
 * ambient sets; remove every other capability from those sets and from the
 * bounding set; set no_new_privs; and set and lock SECBIT_NOROOT, so a
 * program the process executes (it stays uid 0) gets exactly the kept set,
 * from the ambient set, and can't gain more (see ctl_privs.c).
 *
 * Capabilities are per thread: call it before starting any thread. A
 * process with more than one thread gets -EBUSY and keeps its privileges.
 * Each kept capability must be in the permitted set already (-EPERM);
 * trimming a bounding set that holds more than @keep needs CAP_SETPCAP
 * (-EPERM). Returns 0, or -errno with a message naming what failed in @err
 * (@errlen bytes, may be 0). A failure after the first change leaves the
 * process with fewer privileges, never more. @keep and @err stay the
 * caller's. Not thread-safe (see above).
 */
int ctl_privs_drop(const int *keep, size_t nkeep, char *err, size_t errlen);

/*
 * The calling thread's effective set as lower-case names joined by commas,
 * e.g. "cap_net_admin,cap_net_raw", or "none"; a capability this file has
 * no name for prints as "cap_N". Writes into @buf (@len bytes, always
 * NUL-terminated when @len > 0) and returns the string's length, -ENOSPC if
 * it was cut short, or -errno if capget failed. Thread-safe.
 */
int ctl_privs_report(char *buf, size_t len);

#endif
