/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_packet.c - libFuzzer target for the packet path: decode, IP
 * defragmentation, flow tracking and TCP stream reassembly, with every event
 * formatted as EVE JSON.
 *
 * Input: one byte selecting the link type, then records of
 *   [time step: 1 byte][length: 2 bytes, big endian][packet bytes]
 * Each packet is copied into its own allocation of exactly its length, so
 * AddressSanitizer sees any read past a packet, as Suricata's app-layer
 * fuzzer does with stream segments. The limits are small so that eviction,
 * buffer caps, memcaps and timeouts are all reached. Every built-in
 * signature set runs, plus a few raw-stream rules (streaming mode, block
 * mode, UDP), compiled once per process. The high bits of the first byte
 * choose a policy mode (none, protect, monitor, learn): the policy binds the
 * addresses of the committed captures to workloads with HTTP, DNS and SQL
 * rules, signatures that deny and onUnparsed, so every decision path runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/dpi.h"

#include "ctl_eve.h"
#include "ctl_policy.h"
#include "dp_decode.h"
#include "dp_worker.h"

static void sink(void *ctx, unsigned worker, const struct bh_event *ev)
{
	struct ctl_buf *b = ctx;

	(void)worker;
	ctl_buf_reset(b);
	ctl_eve_format(b, ev);
}

static void tap(void *ctx, unsigned worker, uint64_t flow_id, unsigned dir, const uint8_t *data,
		uint32_t len, unsigned flags)
{
	uint8_t x = 0;

	(void)ctx;
	(void)worker;
	(void)flow_id;
	(void)dir;
	(void)flags;
	/* Touch every delivered byte: a bad pointer or length must fault here. */
	for (uint32_t i = 0; data && i < len; i++)
		x ^= data[i];
	__asm__ volatile("" : : "r"(x));
}

static const char stream_rules[] =
	"alert tcp any any -> any any (msg:\"s1\"; content:\"GET \"; depth:4; "
	"content:\"evil\"; nocase; sid:1;)\n"
	"alert tcp any any -> any any (msg:\"s2\"; pcre:\"/a[bc]{2,5}d/i\"; sid:2;)\n"
	"alert tcp any any -> any any (msg:\"b1\"; content:\"x\"; content:\"y\"; distance:0; "
	"within:3; sid:3;)\n"
	"alert udp any any -> any any (msg:\"u1\"; content:\"|00 00 01|\"; sid:4;)\n"
	"alert http any any -> any any (msg:\"h1\"; content:\"HTTP/1.1\"; sid:5;)\n";

/* The engine every input runs with: built once, shared. */
static const struct dpi_sigs *sigs(void)
{
	static struct dpi_sigs *s;
	char path[] = "/tmp/fuzz_packet_rules.XXXXXX";
	const char *f = path;
	struct dpi_sigs_config c = {.sets = DPI_SETS_BUILTIN, .rule_files = &f, .n_rule_files = 1};
	int fd;

	if (s)
		return s;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, stream_rules, sizeof(stream_rules) - 1) !=
			      (ssize_t)(sizeof(stream_rules) - 1))
		abort();
	close(fd);
	if (dpi_sigs_new(&c, &s) < 0)
		abort();
	unlink(path);
	return s;
}

#define WL(name, app, addrs)                                                          \
	"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: " name "}\n"          \
	"labels: {app: " app "}\naddresses: " addrs "\n---\n"

static const char policy_doc[] =
	WL("web", "web", "[10.99.2.10, 10.99.1.10, 10.99.7.20, \"fd00:99::10\"]")
	WL("dns", "dns", "[10.99.2.53, 10.99.1.53, 10.99.7.53]")
	WL("db", "db", "[10.99.2.33, 10.99.7.31]")
	WL("pg", "pg", "[10.99.2.54, 10.99.7.30]")
	WL("clients", "cli", "[10.99.2.64/26, 10.99.1.0/25, 10.99.7.0/28, \"fd00:99::/96\"]")
	"apiVersion: bulkhead/v1\nkind: WorkloadPolicy\nmetadata: {name: web}\nspec:\n"
	"  selector: {matchLabels: {app: web}}\n  mode: %s\n"
	"  signatures: {sets: [sqli, cmdi, traversal, xss, jndi, http-anomaly], action: deny}\n"
	"  ingress:\n  - name: http\n    from: [{selector: {matchLabels: {app: cli}}}]\n"
	"    ports: [{port: 80}, {port: 8080}, {port: 443}]\n    rules:\n      http:\n"
	"      - {method: \"GET|POST|HEAD\", path: \"/[a-z0-9/._-]*\"}\n"
	"      - {path: /api/.*, headers: [{name: X-Key, value: \"[0-9a-f]{8}\"}]}\n"
	"  egress:\n  - name: dns\n    to: [{selector: {matchLabels: {app: dns}}}]\n"
	"    ports: [{port: 53, protocol: UDP}, {port: 53}]\n"
	"    rules:\n      dns: [{matchPattern: \"*.example\"}, {matchName: a.test}]\n"
	"  - name: sql\n    to: [{cidr: 10.99.0.0/16, except: [10.99.2.53/32]}]\n"
	"    ports: [{port: 3306}, {port: 5432}]\n    rules:\n      sql:\n        allow:\n"
	"        - {statements: [SELECT, INSERT], tables: [t, s.u]}\n"
	"        - {statements: [BEGIN, COMMIT, SET, SHOW]}\n---\n"
	"apiVersion: bulkhead/v1\nkind: WorkloadPolicy\nmetadata: {name: data}\nspec:\n"
	"  selector: {matchExpressions: [{key: app, operator: In, values: [db, pg, dns]}]}\n"
	"  mode: %s\n  onUnparsed: allow\n"
	"  signatures: {sets: [dns-tunnel, dns-anomaly], action: deny}\n"
	"  ingress:\n  - name: clients\n    from: [{selector: {}}]\n"
	"    ports: [{port: 53, protocol: UDP}, {port: 53}, {port: 3306}, {port: 5432}]\n"
	"    rules:\n      dns: [{matchPattern: \"*\"}]\n      sql:\n        allow:\n"
	"        - {tables: [t]}\n";

/* The policy of mode @m (1 protect, 2 monitor, 3 learn), built once. */
static const struct dpi_policy *policy(unsigned m)
{
	static const char *const modes[] = {"", "protect", "monitor", "learn"};
	static struct dpi_policy *p[4];
	struct ctl_policy *docs = NULL;
	char doc[sizeof(policy_doc) + 32];

	if (!m || p[m])
		return p[m];
	snprintf(doc, sizeof(doc), policy_doc, modes[m], modes[m]);
	if (ctl_policy_load_mem("fuzz.yaml", doc, strlen(doc), NULL, NULL, &docs) < 0 ||
	    dpi_policy_new(ctl_policy_doc(docs), NULL, NULL, &p[m]) < 0)
		abort();
	ctl_policy_free(docs);
	return p[m];
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct dp_engine_config cfg;
	struct ctl_buf out = {0};
	struct dp_worker *w;
	uint64_t ts = 1700000000ull * 1000000u, n = 0;
	enum dp_link link;
	size_t off = 1;

	if (len < 1)
		return 0;
	link = (enum dp_link)(buf[0] % (DP_LINK_LOOP + 1));
	dp_engine_config_init(&cfg);
	cfg.max_flows = 16;
	cfg.stream_cap = 1024;
	cfg.defrag_mem_cap = 8192;
	cfg.stream_tap = tap;
	cfg.sigs = sigs();
	cfg.policy = policy((buf[0] >> 4) & 3);
	if (dp_worker_new(&cfg, 0, sink, &out, &w) < 0)
		abort();
	while (off + 3 <= len) {
		uint8_t step = buf[off];
		size_t plen = (size_t)buf[off + 1] << 8 | buf[off + 2];
		struct dp_packet p;
		uint8_t *copy;

		off += 3;
		if (plen > len - off)
			plen = len - off;
		copy = malloc(plen ? plen : 1);
		if (!copy)
			abort();
		memcpy(copy, buf + off, plen);
		off += plen;
		/* 0xff jumps past every timeout; otherwise small steps. */
		ts += step == 0xff ? 700ull * 1000000u : (uint64_t)step * 10000u;
		memset(&p, 0, sizeof(p));
		p.data = copy;
		p.caplen = p.wirelen = (uint32_t)plen;
		p.ts_us = ts;
		p.pkt_no = ++n;
		dp_worker_process(w, &p, dp_decode(&p, link));
		free(copy);
	}
	dp_worker_finish(w, ts);
	dp_worker_free(w);
	ctl_buf_free(&out);
	return 0;
}
