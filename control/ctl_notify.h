/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_notify.h - tell the service manager how the daemon is doing
 * (sd_notify(3)'s protocol, without libsystemd).
 */
#ifndef CTL_NOTIFY_H
#define CTL_NOTIFY_H

/*
 * Send @state (e.g. "READY=1", "RELOADING=1", "STOPPING=1", several
 * assignments separated by newlines) as one datagram to the unix socket
 * named by $NOTIFY_SOCKET: a path, or "@name" for the abstract namespace.
 * Returns 1 when sent, 0 when $NOTIFY_SOCKET is unset or empty (not run by
 * a service manager: nothing to do), or -errno: -EAFNOSUPPORT for an
 * address that is neither (e.g. systemd's "vsock:"), -ENAMETOOLONG, or what
 * socket/sendmsg said. Callers may ignore the result, as sd_notify's
 * callers do: a lost notification is the manager's timeout to report.
 * @state is borrowed. Thread-safe (as long as nobody calls setenv).
 */
int ctl_notify(const char *state);

#endif
