/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_nfq.c - the NFQUEUE packet source: one netlink socket and one worker
 * thread per queue, with libmnl and libnetfilter_queue's message helpers.
 *
 * A thread receives up to RX_BATCH packets per system call (recvmmsg),
 * decodes and processes each on its worker, and answers them all with one
 * sendto: runs of plain accepts become one NFQNL_MSG_VERDICT_BATCH, every
 * other verdict (drop, or a mark for the kernel's fast path) its own message,
 * in packet order. Packets arrive whole even when the kernel kept them as
 * one GSO super-packet (NFQA_CFG_F_GSO): the engine never checks or rewrites
 * checksums, so a partial one (NFQA_SKB_CSUMNOTREADY) passes as it is; only
 * --write-dropped completes it, for the file.
 *
 * A denied flow is handed to the kernel's rules with a mark (they reset its
 * sender); its receiver gets a reset from here, over a raw socket.
 */
#include <arpa/inet.h> /* before the linux/ headers: they defer to it */
#include <netinet/in.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "bulkhead/dp_inline.h"
#include "bulkhead/dpi.h"
#include "dp_csum.h"
#include "dp_decode.h"
#include "dp_edges.h"
#include "dp_worker.h"

#define RX_BATCH 64
#define COPY_RANGE 0xffff
/* A message: the packet and its attributes (headers, marks, devices). */
#define RX_BUF MNL_ALIGN(COPY_RANGE + 4096) /* each buffer aligned for nlmsghdr */
/* A verdict message is well under 64 bytes. */
#define TX_BUF (RX_BATCH * 2 * 64)
#define POLL_MS 100
#define EDGES_MAX 4096 /* per queue */
#define DLT_RAW_LINUX 12 /* pcap's DLT_RAW on Linux: raw IPv4/IPv6 */

struct qthread {
	struct dp_inline *d;
	unsigned idx;
	uint16_t qnum;
	struct mnl_socket *nl;
	uint32_t portid;
	struct dp_worker *w;
	pthread_t th;
	bool started;

	/* Receive room and the verdicts of one batch. */
	uint8_t (*rx)[RX_BUF];
	struct mmsghdr msg[RX_BATCH];
	struct iovec iov[RX_BATCH];
	char tx[TX_BUF];
	size_t txlen;
	uint32_t accept_upto;    /* highest accepted id not yet answered */
	uint32_t last_id;        /* last packet id seen, for gaps */
	struct dp_queue_stats qs;
	uint64_t last_pub_us;

	/* Published for other threads (lock). */
	pthread_mutex_t lock;
	struct dp_queue_stats pub_qs;
	struct dp_stats pub_st;
	unsigned stats_req, stats_done; /* a reader wants fresh counters */
	/* A function the control thread runs on this thread (dp_inline_call). */
	void (*call_fn)(struct qthread *t, void *ctx);
	void *call_ctx;
	unsigned call_req, call_done;
	pthread_cond_t cv;
	int wake_fd;             /* eventfd: look at call_req / the policy now */

	/* The policy this worker decides with: the published one, taken at the
	 * top of each round (policy_take()). */
	uint64_t pol_seq;
	uint32_t mark_offload;   /* its generation's mark */
};

/*
 * The policy in force, published with RCU (QSBR flavour): the control thread
 * swaps the pointer and waits for a grace period; each worker announces a
 * quiescent state after every round and is offline while it waits in
 * poll(), so a grace period lasts at most one round of packets. A worker
 * adopts a new snapshot at the top of a round, before it touches any flow,
 * so no flow is looked at under a freed policy.
 */
struct polref {
	const struct dpi_policy *p;
	unsigned generation;
	uint64_t seq;                        /* grows with every publication */
	struct dpi_policy_scratch **scratch; /* per worker, taken on adoption */
};

struct dp_inline {
	struct dp_inline_config icfg;
	int raw4, raw6;          /* for resets toward the receiver of a denial */
	unsigned n;
	struct qthread *qt;
	int stop_fd;             /* eventfd: stop */
	int stopping;            /* atomic */
	struct polref *ref;      /* RCU */
	uint64_t seq;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------ config */

/* Send one config message to queue @q and wait for the kernel's answer. */
static int cfg_send(struct qthread *t, struct nlmsghdr *nlh)
{
	char buf[8192];
	uint32_t seq = (uint32_t)time(NULL) ^ t->qnum;
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(t->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(t->nl, buf, sizeof(buf));
		if (n < 0)
			return errno == ENOBUFS ? -EAGAIN : -errno;
		n = mnl_cb_run(buf, (size_t)n, seq, t->portid, NULL, NULL);
		if (n <= 0)
			return n < 0 ? -errno : 0;
	}
}

static int queue_bind(struct qthread *t, const struct dp_inline_config *c, char *err,
		      size_t errlen)
{
	char buf[8192];
	struct nlmsghdr *nlh;
	uint32_t flags = NFQA_CFG_F_GSO | (c->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
	uint32_t mask = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;
	int rcv = (int)c->rcvbuf;
	int r;

	t->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!t->nl) {
		r = -errno;
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		return r;
	}
	if (mnl_socket_bind(t->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		snprintf(err, errlen, "netlink bind: %s", strerror(errno));
		return r;
	}
	t->portid = mnl_socket_get_portid(t->nl);
	/* Beyond rmem_max needs CAP_NET_ADMIN, which we have at this point. */
	if (setsockopt(mnl_socket_get_fd(t->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(t->nl), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, t->qnum);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	r = cfg_send(t, nlh);
	if (r < 0) {
		snprintf(err, errlen, "bind queue %u: %s%s", t->qnum, strerror(-r),
			 r == -EBUSY ? " (another process holds it)"
			 : r == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return r;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, t->qnum);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, COPY_RANGE);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	if (c->queue_maxlen)
		nfq_nlmsg_cfg_put_qmaxlen(nlh, c->queue_maxlen);
	r = cfg_send(t, nlh);
	if (r < 0) {
		snprintf(err, errlen, "configure queue %u: %s", t->qnum, strerror(-r));
		return r;
	}
	return 0;
}

/* ------------------------------------------------------------ verdicts */

static void tx_flush(struct qthread *t)
{
	if (!t->txlen)
		return;
	if (mnl_socket_sendto(t->nl, t->tx, t->txlen) < 0)
		t->qs.errors++;
	t->txlen = 0;
}

static struct nlmsghdr *tx_put(struct qthread *t, int type)
{
	struct nlmsghdr *nlh;

	if (t->txlen + 128 > sizeof(t->tx))
		tx_flush(t);
	nlh = nfq_nlmsg_put(t->tx + t->txlen, type, t->qnum);
	return nlh;
}

static void tx_done(struct qthread *t, struct nlmsghdr *nlh)
{
	t->txlen += NLMSG_ALIGN(nlh->nlmsg_len);
	t->qs.verdict_msgs++;
}

/* Answer every accepted packet held so far with one batch message. */
static void accept_flush(struct qthread *t)
{
	struct nlmsghdr *nlh;

	if (!t->accept_upto)
		return;
	nlh = tx_put(t, NFQNL_MSG_VERDICT_BATCH);
	nfq_nlmsg_verdict_put(nlh, (int)t->accept_upto, NF_ACCEPT);
	tx_done(t, nlh);
	t->accept_upto = 0;
}

static void verdict(struct qthread *t, uint32_t id, uint32_t mark, enum dp_verdict v)
{
	struct nlmsghdr *nlh;
	uint32_t m = 0;

	switch (v) {
	case DP_V_ACCEPT:
		t->qs.accepted++;
		t->accept_upto = id;
		return;
	case DP_V_DROP:
		t->qs.dropped++;
		break;
	case DP_V_OFFLOAD:
		t->qs.accepted++;
		t->qs.offloaded++;
		m = t->mark_offload;
		break;
	case DP_V_DENY:
		t->qs.dropped++;
		t->qs.denied++;
		m = DP_MARK_DENY;
		break;
	}
	accept_flush(t); /* keep the answers in packet order */
	nlh = tx_put(t, NFQNL_MSG_VERDICT);
	if (m) {
		/* Repeat the hook with the mark: the rules save it to the
		 * connection and act on it, for this packet and every later. */
		nfq_nlmsg_verdict_put(nlh, (int)id, NF_REPEAT);
		nfq_nlmsg_verdict_put_mark(nlh, (mark & ~DP_MARK_MASK) | m);
	} else {
		nfq_nlmsg_verdict_put(nlh, (int)id, NF_DROP);
	}
	tx_done(t, nlh);
}

/* ------------------------------------------------------------ packets */

/*
 * The kernel's REJECT answers the sender of a denied packet; its receiver
 * (the server, after a denied request) would wait on a half-open
 * connection, holding a worker or a database backend. Send it the reset the
 * sender would have: from the sender's address and port, at the sequence
 * number the receiver expects next (the dropped packet's). Not for a SYN:
 * the receiver never saw the connection.
 */
static void reset_receiver(struct qthread *t, const struct dp_packet *p)
{
	uint8_t pkt[60] = {0};
	uint8_t *th;
	uint32_t hl;
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int fd;

	if (p->proto != IPPROTO_TCP || !p->has_l4 || (p->tcp_flags & (DP_TH_SYN | DP_TH_RST)))
		return;
	if (p->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		/* The kernel fills in an IPv4 raw header's checksum. */
		fd = t->d->raw4;
		hl = 20;
		pkt[0] = 0x45;
		pkt[3] = 40;
		pkt[8] = 64;
		pkt[9] = IPPROTO_TCP;
		memcpy(pkt + 12, p->src.b + 12, 4);
		memcpy(pkt + 16, p->dst.b + 12, 4);
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, p->dst.b + 12, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		fd = t->d->raw6;
		hl = 40;
		pkt[0] = 0x60;
		pkt[5] = 20;
		pkt[6] = IPPROTO_TCP;
		pkt[7] = 64;
		memcpy(pkt + 8, p->src.b, 16);
		memcpy(pkt + 24, p->dst.b, 16);
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, p->dst.b, 16);
		sl = sizeof(*sin6);
	}
	if (fd < 0)
		return;
	th = pkt + hl;
	th[0] = (uint8_t)(p->sport >> 8);
	th[1] = (uint8_t)p->sport;
	th[2] = (uint8_t)(p->dport >> 8);
	th[3] = (uint8_t)p->dport;
	th[4] = (uint8_t)(p->seq >> 24);
	th[5] = (uint8_t)(p->seq >> 16);
	th[6] = (uint8_t)(p->seq >> 8);
	th[7] = (uint8_t)p->seq;
	th[12] = 5 << 4;
	th[13] = DP_TH_RST;
	dp_csum_l4(pkt, hl + 20);
	if (sendto(fd, pkt, hl + 20, 0, (struct sockaddr *)&ss, sl) < 0)
		t->qs.errors++;
	else
		t->qs.resets_sent++;
}

static void packet(struct qthread *t, const struct nlmsghdr *nlh, uint64_t ts)
{
	struct nlattr *a[NFQA_MAX + 1] = {0};
	const struct nfqnl_msg_packet_hdr *ph;
	struct dp_packet p;
	uint32_t id, mark = 0;
	enum dp_verdict v;
	int rc;

	if (nfq_nlmsg_parse(nlh, a) < 0 || !a[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(a[NFQA_PACKET_HDR]) < sizeof(*ph)) {
		t->qs.errors++;
		return;
	}
	ph = mnl_attr_get_payload(a[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	if (t->last_id && id > t->last_id + 1)
		t->qs.missed += id - t->last_id - 1;
	t->last_id = id;
	if (a[NFQA_MARK])
		mark = ntohl(mnl_attr_get_u32(a[NFQA_MARK]));

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.pkt_no = ++t->qs.packets;
	p.dlt = DLT_RAW_LINUX;
	if (a[NFQA_PAYLOAD]) {
		p.data = mnl_attr_get_payload(a[NFQA_PAYLOAD]);
		p.caplen = mnl_attr_get_payload_len(a[NFQA_PAYLOAD]);
	}
	p.wirelen = a[NFQA_CAP_LEN] ? ntohl(mnl_attr_get_u32(a[NFQA_CAP_LEN])) : (uint32_t)p.caplen;
	if (a[NFQA_IFINDEX_PHYSINDEV])
		p.in_ifindex = ntohl(mnl_attr_get_u32(a[NFQA_IFINDEX_PHYSINDEV]));
	if (a[NFQA_SKB_INFO])
		p.csum_partial = ntohl(mnl_attr_get_u32(a[NFQA_SKB_INFO])) & NFQA_SKB_CSUMNOTREADY;
	t->qs.bytes += p.wirelen;
	rc = dp_decode_ip(&p);
	dp_worker_process(t->w, &p, rc);
	v = dp_worker_verdict(t->w);
	verdict(t, id, mark, v);
	if (v == DP_V_DENY && rc == 0)
		reset_receiver(t, &p);
}

static int on_msg(const struct nlmsghdr *nlh, void *ctx)
{
	struct qthread *t = ctx;

	if ((nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET)
		packet(t, nlh, now_us());
	return MNL_CB_OK;
}

/* An error message: a verdict the kernel refused (the packet is gone). */
static int on_err(const struct nlmsghdr *nlh, void *ctx)
{
	struct qthread *t = ctx;

	(void)nlh;
	t->qs.errors++;
	return MNL_CB_OK;
}

static void publish(struct qthread *t, bool force)
{
	uint64_t now = now_us();

	if (!force && now - t->last_pub_us < 100000 &&
	    __atomic_load_n(&t->stats_req, __ATOMIC_ACQUIRE) == t->stats_done)
		return;
	t->last_pub_us = now;
	dp_worker_sync_stats(t->w);
	pthread_mutex_lock(&t->lock);
	t->pub_qs = t->qs;
	t->pub_st = *dp_worker_stats(t->w);
	t->pub_st.flows_active = dp_worker_active_flows(t->w);
	t->stats_done = t->stats_req;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->lock);
}

/* At the top of a round, online: the published policy, if it is new. */
static void policy_take(struct qthread *t)
{
	struct polref *ref = rcu_dereference(t->d->ref);
	struct dpi_policy_scratch *s;

	if (!ref || ref->seq == t->pol_seq)
		return;
	s = __atomic_exchange_n(&ref->scratch[t->idx], NULL, __ATOMIC_ACQ_REL);
	dp_worker_adopt_policy(t->w, ref->p, s);
	t->pol_seq = ref->seq;
	t->mark_offload = dp_mark_offload(ref->generation);
}

/* A call the control thread asked for (dp_inline_call()). */
static void call_take(struct qthread *t)
{
	unsigned want = __atomic_load_n(&t->call_req, __ATOMIC_ACQUIRE);

	if (want == t->call_done)
		return;
	t->call_fn(t, t->call_ctx);
	pthread_mutex_lock(&t->lock);
	t->call_done = want;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->lock);
}

static void receive(struct qthread *t)
{
	int fd = mnl_socket_get_fd(t->nl);
	int n;

	for (unsigned i = 0; i < RX_BATCH; i++) {
		t->iov[i] = (struct iovec){t->rx[i], RX_BUF};
		t->msg[i].msg_hdr = (struct msghdr){.msg_iov = &t->iov[i], .msg_iovlen = 1};
	}
	n = recvmmsg(fd, t->msg, RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == ENOBUFS)
			t->qs.enobufs++; /* packets were lost; carry on */
		else if (errno != EAGAIN && errno != EINTR)
			t->qs.errors++;
		return;
	}
	for (int i = 0; i < n; i++) {
		static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {[NLMSG_ERROR] = on_err};

		if (t->msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			t->qs.errors++;
			continue;
		}
		mnl_cb_run2(t->rx[i], t->msg[i].msg_len, 0, t->portid, on_msg, t, ctl,
			    NLMSG_MIN_TYPE);
	}
	accept_flush(t);
	tx_flush(t);
}

static void *qthread_main(void *arg)
{
	struct qthread *t = arg;
	struct dp_inline *d = t->d;
	struct pollfd pf[3] = {{.fd = mnl_socket_get_fd(t->nl), .events = POLLIN},
			       {.fd = d->stop_fd, .events = POLLIN},
			       {.fd = t->wake_fd, .events = POLLIN}};

	rcu_register_thread();
	while (!__atomic_load_n(&d->stopping, __ATOMIC_ACQUIRE)) {
		uint64_t v;
		int r;

		rcu_thread_offline();
		r = poll(pf, 3, POLL_MS);
		rcu_thread_online();
		policy_take(t);
		if (r > 0 && (pf[2].revents & POLLIN) && read(t->wake_fd, &v, sizeof(v)) < 0) {
			/* EAGAIN: someone else's wake-up was read already */
		}
		if (r > 0 && (pf[0].revents & (POLLIN | POLLERR)))
			receive(t);
		else if (r == 0)
			dp_worker_advance(t->w, now_us()); /* idle: expire flows */
		call_take(t);
		publish(t, false);
		rcu_quiescent_state();
	}
	policy_take(t);
	receive(t); /* answer what arrived meanwhile */
	call_take(t);
	rcu_unregister_thread();
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

int dp_inline_new(const struct dp_engine_config *cfg, const struct dp_inline_config *icfg,
		  bh_event_fn ev, void *ev_ctx, struct dp_inline **ret, char *err, size_t errlen)
{
	struct dp_engine_config wc = *cfg;
	struct dp_inline *d;
	int r;

	if (!cfg->workers || cfg->workers > DP_MAX_WORKERS ||
	    (unsigned)icfg->queue_base + cfg->workers > 65536) {
		snprintf(err, errlen, "bad queue range %u + %u", icfg->queue_base, cfg->workers);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->icfg = *icfg;
	d->n = cfg->workers;
	d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* IPPROTO_RAW: we write the IP header (needs CAP_NET_RAW); a family
	 * the node lacks just sends no resets. */
	d->raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	d->raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	d->qt = calloc(d->n, sizeof(*d->qt));
	if (d->stop_fd < 0 || !d->qt) {
		r = d->stop_fd < 0 ? -errno : -ENOMEM;
		snprintf(err, errlen, "%s", strerror(-r));
		goto fail;
	}
	wc.defrag = false; /* conntrack reassembles before the FORWARD hook */
	for (unsigned i = 0; i < d->n; i++) {
		struct qthread *t = &d->qt[i];

		t->d = d;
		t->idx = i;
		t->qnum = (uint16_t)(icfg->queue_base + i);
		pthread_mutex_init(&t->lock, NULL);
		pthread_cond_init(&t->cv, NULL);
		t->mark_offload = dp_mark_offload(0);
		t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->wake_fd < 0) {
			r = -errno;
			snprintf(err, errlen, "eventfd: %s", strerror(-r));
			goto fail;
		}
		t->rx = malloc(sizeof(*t->rx) * RX_BATCH);
		if (!t->rx) {
			r = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		r = dp_worker_new(&wc, i, ev, ev_ctx, &t->w);
		if (r == 0)
			r = dp_worker_enable_edges(t->w, EDGES_MAX);
		if (r < 0) {
			snprintf(err, errlen, "worker %u: %s", i, strerror(-r));
			goto fail;
		}
		dp_worker_set_offload(t->w, icfg->offload);
		dp_worker_set_inline(t->w);
		r = queue_bind(t, icfg, err, errlen);
		if (r < 0)
			goto fail;
	}
	*ret = d;
	return 0;
fail:
	dp_inline_free(d);
	return r;
}

int dp_inline_start(struct dp_inline *d)
{
	for (unsigned i = 0; i < d->n; i++) {
		int r = pthread_create(&d->qt[i].th, NULL, qthread_main, &d->qt[i]);

		if (r)
			return -r;
		d->qt[i].started = true;
	}
	return 0;
}

void dp_inline_stop(struct dp_inline *d)
{
	uint64_t one = 1;

	__atomic_store_n(&d->stopping, 1, __ATOMIC_RELEASE);
	if (write(d->stop_fd, &one, sizeof(one)) < 0) {
		/* the threads still see `stopping` within POLL_MS */
	}
	for (unsigned i = 0; i < d->n; i++) {
		struct qthread *t = &d->qt[i];

		if (t->started) {
			pthread_join(t->th, NULL);
			t->started = false;
		}
	}
	for (unsigned i = 0; i < d->n; i++) {
		struct qthread *t = &d->qt[i];

		if (!t->w)
			continue;
		dp_worker_finish(t->w, now_us());
		publish(t, true);
	}
}

static void polref_free(struct polref *ref, unsigned n)
{
	if (!ref)
		return;
	for (unsigned i = 0; i < n; i++)
		dpi_policy_scratch_free(ref->scratch[i]);
	free(ref->scratch);
	free(ref);
}

static void wake(struct qthread *t)
{
	uint64_t one = 1;

	if (write(t->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full of wake-ups already */
	}
}

int dp_inline_set_policy(struct dp_inline *d, const struct dpi_policy *p, unsigned generation)
{
	struct polref *ref = calloc(1, sizeof(*ref)), *old;

	/* Everything a worker needs is made here, so adopting can't fail. */
	if (!ref || !(ref->scratch = calloc(d->n, sizeof(*ref->scratch))))
		goto nomem;
	for (unsigned i = 0; p && i < d->n; i++)
		if (dpi_policy_scratch_new(p, &ref->scratch[i]) < 0)
			goto nomem;
	ref->p = p;
	ref->generation = generation;
	ref->seq = ++d->seq;
	old = rcu_xchg_pointer(&d->ref, ref);
	for (unsigned i = 0; i < d->n; i++) {
		if (d->qt[i].started)
			wake(&d->qt[i]); /* re-decide now, not at the next packet */
		else
			policy_take(&d->qt[i]);
	}
	synchronize_rcu();
	polref_free(old, d->n);
	return 0;
nomem:
	if (ref)
		polref_free(ref, ref->scratch ? d->n : 0);
	return -ENOMEM;
}

/* Run @fn on every worker's thread (inline when not started) and wait. */
static void inline_call(struct dp_inline *d, void (*fn)(struct qthread *t, void *ctx), void *ctx)
{
	for (unsigned i = 0; i < d->n; i++) {
		struct qthread *t = &d->qt[i];

		if (!t->started) {
			fn(t, ctx);
			continue;
		}
		pthread_mutex_lock(&t->lock);
		t->call_fn = fn;
		t->call_ctx = ctx;
		__atomic_add_fetch(&t->call_req, 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&t->lock);
		wake(t);
	}
	for (unsigned i = 0; i < d->n; i++) {
		struct qthread *t = &d->qt[i];

		if (!t->started)
			continue;
		pthread_mutex_lock(&t->lock);
		while (t->call_done != t->call_req)
			pthread_cond_wait(&t->cv, &t->lock);
		pthread_mutex_unlock(&t->lock);
	}
}

struct flows_call {
	dp_flow_info_fn fn;
	void *ctx;
};

static void flows_on(struct qthread *t, void *ctx)
{
	struct flows_call *c = ctx;

	dp_worker_flows(t->w, t->idx, c->fn, c->ctx);
}

int dp_inline_flows(struct dp_inline *d, dp_flow_info_fn fn, void *ctx)
{
	struct flows_call c = {fn, ctx};

	inline_call(d, flows_on, &c);
	return 0;
}

struct edges_call {
	dp_edge_fn fn;
	void *ctx;
	unsigned queue;
};

static int edge_one(void *ctx, const struct dp_edge *e)
{
	struct edges_call *c = ctx;

	return c->fn(c->ctx, c->queue, e);
}

static void edges_on(struct qthread *t, void *ctx)
{
	const struct dp_edges *e = dp_worker_edges(t->w);
	struct edges_call c = *(struct edges_call *)ctx;

	c.queue = t->idx;
	if (e)
		dp_edges_foreach(e, edge_one, &c);
}

int dp_inline_edges(struct dp_inline *d, dp_edge_fn fn, void *ctx)
{
	struct edges_call c = {fn, ctx, 0};

	inline_call(d, edges_on, &c);
	return 0;
}

unsigned dp_inline_queues(const struct dp_inline *d)
{
	return d->n;
}

/* Ask a running worker to publish, and wait for it (a bounded time: a
 * worker busy for longer serves its last numbers). */
static void refresh(struct qthread *t)
{
	struct timespec until;
	unsigned want;

	if (!t->started)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 3 * POLL_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&t->lock);
	want = __atomic_add_fetch(&t->stats_req, 1, __ATOMIC_RELEASE);
	while ((int)(t->stats_done - want) < 0)
		if (pthread_cond_timedwait(&t->cv, &t->lock, &until))
			break;
	pthread_mutex_unlock(&t->lock);
}

void dp_inline_queue_stats(struct dp_inline *d, unsigned i, struct dp_queue_stats *ret)
{
	struct qthread *t = &d->qt[i];

	refresh(t);
	pthread_mutex_lock(&t->lock);
	*ret = t->pub_qs;
	pthread_mutex_unlock(&t->lock);
}

_Static_assert(sizeof(struct dp_stats) % sizeof(uint64_t) == 0, "dp_stats: counters only");

void dp_inline_stats(struct dp_inline *d, struct dp_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (unsigned i = 0; i < d->n; i++) {
		struct qthread *t = &d->qt[i];
		const uint64_t *s;
		uint64_t *o = (uint64_t *)ret;

		refresh(t);
		pthread_mutex_lock(&t->lock);
		s = (const uint64_t *)&t->pub_st;
		for (size_t k = 0; k < sizeof(*ret) / sizeof(uint64_t); k++)
			o[k] += s[k];
		pthread_mutex_unlock(&t->lock);
	}
}

void dp_inline_free(struct dp_inline *d)
{
	if (!d)
		return;
	for (unsigned i = 0; d->qt && i < d->n; i++) {
		struct qthread *t = &d->qt[i];

		if (t->nl)
			mnl_socket_close(t->nl); /* unbinds the queue */
		dp_worker_free(t->w);
		if (t->wake_fd > 0)
			close(t->wake_fd);
		free(t->rx);
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->cv);
	}
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	if (d->raw4 >= 0)
		close(d->raw4);
	if (d->raw6 >= 0)
		close(d->raw6);
	free(d->qt);
	polref_free(d->ref, d->n);
	free(d);
}
