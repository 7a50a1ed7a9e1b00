/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_ct.c - conntrack marks over ctnetlink (libmnl): before a policy
 * generation takes over the fast path, connections still marked with an
 * older generation that shares its 8 mark bits (256·k generations ago) lose
 * their mark, so they come back to user space instead of passing on a
 * verdict of a policy long gone.
 *
 * At start every offload mark goes: the connections a previous run handed
 * to the kernel are unknown to this one.
 *
 * The kernel filters the dump by mark (CTA_MARK/CTA_MARK_MASK), so the
 * usual case, nothing to clear, costs one empty dump per family.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bulkhead/dp_inline.h"

#define CT_MAX_CLEAR 65536 /* per call; the rest at the next wrap */

struct ct_entry {
	uint8_t family;
	uint32_t mark;
	uint16_t tlen;
	uint8_t tuple[256];      /* CTA_TUPLE_ORIG, as the kernel sent it */
};

struct ct_dump {
	struct ct_entry *e;
	size_t n, cap;
	bool oom;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int on_entry(const struct nlmsghdr *nlh, void *data)
{
	struct ct_dump *d = data;
	const struct nlattr *tb[CTA_MAX + 1] = {0};
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	struct ct_entry *e;

	if (mnl_attr_parse(nlh, sizeof(*g), attr_cb, tb) < 0 || !tb[CTA_TUPLE_ORIG] ||
	    !tb[CTA_MARK] || mnl_attr_validate(tb[CTA_MARK], MNL_TYPE_U32) < 0)
		return MNL_CB_OK;
	if (tb[CTA_TUPLE_ORIG]->nla_len > sizeof(e->tuple) || d->n >= CT_MAX_CLEAR)
		return MNL_CB_OK;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct ct_entry *ne = realloc(d->e, cap * sizeof(*ne));

		if (!ne) {
			d->oom = true;
			return MNL_CB_OK;
		}
		d->e = ne;
		d->cap = cap;
	}
	e = &d->e[d->n++];
	e->family = g->nfgen_family;
	e->mark = ntohl(mnl_attr_get_u32(tb[CTA_MARK]));
	e->tlen = tb[CTA_TUPLE_ORIG]->nla_len; /* the whole attribute, header too */
	memcpy(e->tuple, tb[CTA_TUPLE_ORIG], e->tlen);
	return MNL_CB_OK;
}

static struct nlmsghdr *ct_msg(char *buf, uint16_t type, uint16_t flags, uint8_t family,
			       uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return nlh;
}

/* Run the request in @buf; @cb for each answer (NULL: acks only). */
static int talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char rx[32768];
	uint32_t portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	ssize_t n;
	int r;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((n = mnl_socket_recvfrom(nl, rx, sizeof(rx))) > 0) {
		r = mnl_cb_run(rx, (size_t)n, seq, portid, cb, data);
		if (r < 0)
			return errno == ENOENT ? 0 : -errno; /* gone meanwhile: fine */
		if (r == MNL_CB_STOP)
			return 0;
	}
	return n < 0 ? -errno : 0;
}

int dp_ct_clear_offload(unsigned generation, bool any, uint64_t *ret_cleared, char *err,
			size_t errlen)
{
	uint32_t want = any ? DP_MARK_OFFLOAD : dp_mark_offload(generation);
	uint32_t mask = any ? DP_MARK_OFFLOAD : DP_MARK_OFFLOAD | DP_MARK_GEN_MASK;
	static const uint8_t families[] = {AF_INET, AF_INET6};
	char buf[8192];
	struct ct_dump d = {0};
	struct mnl_socket *nl;
	uint32_t seq = (uint32_t)time(NULL);
	uint64_t cleared = 0;
	int r = 0;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		snprintf(err, errlen, "ctnetlink: %s", strerror(-r));
		goto out;
	}
	for (size_t f = 0; f < sizeof(families); f++) {
		struct nlmsghdr *nlh = ct_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, families[f], ++seq);

		mnl_attr_put_u32(nlh, CTA_MARK, htonl(want));
		mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
		r = talk(nl, nlh, on_entry, &d);
		if (r < 0) {
			snprintf(err, errlen, "ctnetlink dump: %s", strerror(-r));
			goto out;
		}
	}
	for (size_t i = 0; i < d.n; i++) {
		const struct ct_entry *e = &d.e[i];
		struct nlmsghdr *nlh;

		/* The kernel filtered already; checked again, cheaply. */
		if ((e->mark & mask) != want)
			continue;
		nlh = ct_msg(buf, IPCTNL_MSG_CT_NEW, NLM_F_ACK, e->family, ++seq);
		memcpy(mnl_nlmsg_get_payload_tail(nlh), e->tuple, e->tlen);
		nlh->nlmsg_len += MNL_ALIGN(e->tlen);
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(e->mark & ~DP_MARK_MASK));
		r = talk(nl, nlh, NULL, NULL);
		if (r < 0) {
			snprintf(err, errlen, "ctnetlink update: %s", strerror(-r));
			goto out;
		}
		cleared++;
	}
	if (d.oom) {
		r = -ENOMEM;
		snprintf(err, errlen, "ctnetlink: out of memory");
	}
out:
	if (nl)
		mnl_socket_close(nl);
	free(d.e);
	if (ret_cleared)
		*ret_cleared = cleared;
	return r;
}
