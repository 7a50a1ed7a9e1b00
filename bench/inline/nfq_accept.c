/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nfq_accept - the bare NFQUEUE accept loop, the baseline of bench/inline.
 *
 *   nfq_accept [--queues N] [--rcvbuf BYTES] QUEUE
 *
 * Binds queues QUEUE .. QUEUE+N-1 (one thread and one netlink socket each),
 * asks for whole packets (NFQNL_COPY_PACKET, 0xffff bytes) and accepts every
 * packet with a verdict of its own: one recvfrom and one sendto per packet.
 * It is deliberately the naive program: no batched verdicts, no
 * NFQA_CFG_F_GSO (so the kernel segments GSO packets and completes partial
 * checksums before queueing them), no fast path. It looks at nothing but
 * the packet id. What it is fair about: a large receive buffer (--rcvbuf,
 * default 8 MiB, SO_RCVBUFFORCE) so it is not slowed by overruns it could
 * easily avoid; overruns (ENOBUFS) are counted all the same.
 *
 * Once every queue is bound it prints one line to stderr starting with
 * "nfq_accept: bound " (run.sh waits for it). On SIGINT or SIGTERM it prints
 * per-queue counters to stdout and exits 0. Exit 1 on a runtime failure, 2
 * on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define MAX_QUEUES 16
#define COPY_RANGE 0xffff
/* A whole packet plus its netlink headers and attributes; verdicts and
 * config messages are far smaller. (MNL_SOCKET_BUFFER_SIZE is not a
 * constant: it calls sysconf.) */
#define RECV_SIZE (COPY_RANGE + 4096)
#define SEND_SIZE 1024

struct worker {
	uint16_t queue;
	int rcvbuf;
	const atomic_bool *stop;
	struct mnl_socket *nl;
	unsigned int portid;
	char *rbuf;
	char sbuf[SEND_SIZE];
	/* counters, read by main() only after the thread is joined */
	uint64_t packets, bytes, enobufs, send_errors;
	int err;                /* -errno of the failure that ended the thread */
	const char *err_what;
	pthread_t thread;
};

static int send_cfg(struct worker *w, bool bind)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(w->sbuf, NFQNL_MSG_CONFIG, w->queue);

	if (bind)
		nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	else
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, COPY_RANGE);
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(w->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* The ack (or the error: EBUSY when another program holds the queue). */
	ssize_t n = mnl_socket_recvfrom(w->nl, w->rbuf, RECV_SIZE);

	if (n < 0)
		return -errno;
	if (mnl_cb_run(w->rbuf, (size_t)n, 0, w->portid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

/* Opens, binds and configures the worker's queue; on failure w->err_what
 * names the step. */
static int worker_open(struct worker *w)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	int r;

	w->rbuf = malloc(RECV_SIZE);
	if (!w->rbuf) {
		w->err_what = "malloc";
		return -ENOMEM;
	}
	w->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!w->nl) {
		w->err_what = "mnl_socket_open";
		return -errno;
	}
	if (mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		w->err_what = "mnl_socket_bind";
		return -errno;
	}
	w->portid = mnl_socket_get_portid(w->nl);
	/* Best effort: without CAP_NET_ADMIN the default buffer stays. */
	(void)setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE,
			 &w->rcvbuf, sizeof(w->rcvbuf));
	/* A timeout, so the loop sees the stop flag without a signal handler. */
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		w->err_what = "SO_RCVTIMEO";
		return -errno;
	}
	r = send_cfg(w, true);
	if (r < 0) {
		w->err_what = "bind queue";
		return r;
	}
	r = send_cfg(w, false);
	if (r < 0) {
		w->err_what = "set copy mode";
		return r;
	}
	return 0;
}

static int on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct worker *w = data;
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;
	struct nlmsghdr *v;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;       /* not a packet: nothing to answer */
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	w->packets++;
	if (attr[NFQA_PAYLOAD])
		w->bytes += mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);

	v = nfq_nlmsg_put(w->sbuf, NFQNL_MSG_VERDICT, w->queue);
	nfq_nlmsg_verdict_put(v, (int)ntohl(ph->packet_id), NF_ACCEPT);
	if (mnl_socket_sendto(w->nl, v, v->nlmsg_len) < 0)
		w->send_errors++;
	return MNL_CB_OK;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		ssize_t n = mnl_socket_recvfrom(w->nl, w->rbuf, RECV_SIZE);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;
			if (errno == ENOBUFS) {         /* the kernel dropped some */
				w->enobufs++;
				continue;
			}
			w->err = -errno;
			w->err_what = "recvfrom";
			break;
		}
		if (mnl_cb_run(w->rbuf, (size_t)n, 0, w->portid, on_packet, w) < 0) {
			w->err = -errno;
			w->err_what = "mnl_cb_run";
			break;
		}
	}
	return NULL;
}

static void worker_close(struct worker *w)
{
	if (w->nl)
		mnl_socket_close(w->nl);        /* unbinds the queue */
	free(w->rbuf);
}

static void usage(FILE *f)
{
	fputs("usage: nfq_accept [--queues N] [--rcvbuf BYTES] QUEUE\n"
	      "  binds NFQUEUE queues QUEUE..QUEUE+N-1 (default N=1), one thread each,\n"
	      "  and accepts every packet with one verdict per packet; counters on\n"
	      "  SIGINT/SIGTERM\n", f);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return false;
	*ret = v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "queues", required_argument, NULL, 'n' },
		{ "rcvbuf", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long nq = 1, base, rcvbuf = 8u << 20;
	struct worker *w = NULL;
	atomic_bool stop = false;
	uint64_t tp = 0, tb = 0;
	unsigned int started = 0;
	sigset_t sigs;
	int c, sig, rc = 1;

	while ((c = getopt_long(argc, argv, "n:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_uint(optarg, MAX_QUEUES, &nq) || nq == 0) {
				fprintf(stderr, "nfq_accept: --queues: 1..%d\n", MAX_QUEUES);
				return 2;
			}
			break;
		case 'b':
			if (!parse_uint(optarg, 1ul << 30, &rcvbuf)) {
				fputs("nfq_accept: --rcvbuf: bytes, at most 1 GiB\n", stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || !parse_uint(argv[optind], 65535 - (nq - 1), &base)) {
		usage(stderr);
		return 2;
	}

	/* Every thread inherits the blocked set; main() takes the signals with
	 * sigwait(), so there is no handler at all. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	w = calloc(nq, sizeof(*w));
	if (!w) {
		perror("nfq_accept: calloc");
		return 1;
	}
	for (unsigned long i = 0; i < nq; i++) {
		int r;

		w[i].queue = (uint16_t)(base + i);
		w[i].rcvbuf = (int)rcvbuf;
		w[i].stop = &stop;
		r = worker_open(&w[i]);
		if (r < 0) {
			fprintf(stderr, "nfq_accept: queue %u: %s: %s\n", w[i].queue,
				w[i].err_what, strerror(-r));
			goto out;
		}
	}
	for (; started < nq; started++) {
		int r = pthread_create(&w[started].thread, NULL, worker_run, &w[started]);

		if (r) {
			fprintf(stderr, "nfq_accept: pthread_create: %s\n", strerror(r));
			goto out;
		}
	}
	fprintf(stderr, "nfq_accept: bound queues %lu..%lu, one verdict per packet\n",
		base, base + nq - 1);

	if (sigwait(&sigs, &sig) == 0)
		rc = 0;
out:
	atomic_store(&stop, true);
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].err < 0) {
			fprintf(stderr, "nfq_accept: queue %u: %s: %s\n", w[i].queue,
				w[i].err_what, strerror(-w[i].err));
			rc = 1;
		}
	}
	for (unsigned long i = 0; w && i < nq; i++) {
		if (i < started) {
			printf("nfq_accept: queue %u packets %" PRIu64 " bytes %" PRIu64
			       " enobufs %" PRIu64 " send_errors %" PRIu64 "\n", w[i].queue,
			       w[i].packets, w[i].bytes, w[i].enobufs, w[i].send_errors);
			tp += w[i].packets;
			tb += w[i].bytes;
		}
		worker_close(&w[i]);
	}
	if (started)
		printf("nfq_accept: total packets %" PRIu64 " bytes %" PRIu64 "\n", tp, tb);
	free(w);
	return rc;
}
