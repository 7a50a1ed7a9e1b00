/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_dnstun.c - the DNS tunnelling heuristic (dpi/dpi_dnstun.c).
 *
 *   test_dnstun [DATA_DIR]
 *
 * Specific names (tools' shapes, cloud names, exempt zones), the API's
 * edges, and the labelled lists: DATA_DIR (or $BH_DNSTUN_DATA, else
 * tests/data/dnstun from the source root) holds tunnel.txt, benign.txt and
 * borderline.txt, one "NAME TYPE" a line, "# group" lines naming the
 * generator of the lines below them. tunnel.txt must give a true-positive
 * rate of at least 95% and benign.txt a false-positive rate of at most
 * 0.5%; the figures per group and the first misclassified lines are
 * printed (with $BH_DNSTUN_SHOW_ALL set, every missed tunnel).
 * borderline.txt (reputation lookups that carry hashes on purpose) is
 * reported only. Every name is copied to end at a guard page, so reading
 * one byte past it faults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bh_test.h"
#include "dpi_dnstun.h"

static int check_name(const void *v, size_t len, uint16_t qtype, struct dpi_dnstun_result *r)
{
	uint8_t *copy = guard_dup(v, len);
	int rc = dpi_dnstun_check(copy, len, qtype, r);

	/* the excerpt lies inside the name; the verdict follows the score */
	if (rc >= 0 && (r->off > len || r->len > len - r->off || r->score > 100 ||
			(rc == 1) != (r->score >= DPI_DNSTUN_THRESHOLD) || r->entropy < 0 ||
			r->entropy > 8.0001))
		rc = -100;
	guard_free(copy, len);
	return rc;
}

static void expect(const char *file, int line, const char *v, uint16_t qtype, int want)
{
	struct dpi_dnstun_result r;
	int rc = check_name(v, strlen(v), qtype, &r);

	bh_test_checks++;
	if (rc != want) {
		bh_test_failures++;
		fprintf(stderr, "%s:%d: [%s] type %u: got %d (score %u, reasons %#x, encoded %u, H %.2f)\n",
			file, line, v, qtype, rc, r.score, r.reasons, r.encoded, r.entropy);
	}
}

#define TUN(v, q) expect(__FILE__, __LINE__, v, q, 1)
#define OK(v, q) expect(__FILE__, __LINE__, v, q, 0)

enum { A = 1, CNAME = 5, NUL = 10, PTR = 12, MX = 15, TXT = 16, AAAA = 28, SRV = 33 };

static void test_tools(void)
{
	/* iodine, base32 upstream, labels of 57 */
	TUN("0aaa2ebsmtlbuyljgk4yvqbdgl2xg0hn5ksu4rb4zd3ujxqmzejyxwkqkuwc5.ahdyjbiqlyxzawt1frhmzt"
	    "vt2gbdowhcyehpfnw4kgqvhvedhvmmbr5usndmi5.t.tunnel-example.com", NUL);
	/* iodine, raw bytes (base128) as the parser prints them */
	TUN("0ab\\201\\193l1\\203\\205\\239\\205\\242\\216e3\\221\\193.t.example.com", NUL);
	/* dnscat2 */
	TUN("dnscat.64f20a05d5b95d26a5e7a7bba88c0054109b93eabc06c92d9820802aa6c2a5", MX);
	TUN("e821a1b17a7fef4bd1d6d80e5698e7e4b78cdba5985874af26cecd88646d157.4f471c248326d713d75e"
	    "706a04126fd963197f31d2efac3b41a40b31b31db6f.f3160938cee8298afa8bcc.t.example.com", CNAME);
	TUN("5a2b01e0ff00000000a1b2.t.example.com", TXT); /* a keep-alive, but TXT */
	/* dns2tcp, base64 */
	TUN("fwpgt+wz0vg7r/++mwbfy1amwt97zgjv+chabljpfbp6b4thno0z5z2xzcnoqke.a.example.info", 25);
	/* DNSExfiltrator */
	TUN("init.nnswo3lsn5wgkltuob2hwmzx.base32.example.net", TXT);
	TUN("17.ehblzgl0zxmgcghvdg8gc2tpzwqgzgvwcm9ncmftigdhbgxlcnkgam91cm5h.example.net", TXT);
	/* Cobalt Strike style */
	TUN("post.1c8f93eab2c40b81b1bb4a0c0aa25c25bcb74b45e81b5f4d9e01.2a8c7b4e.5bc3f0a1.example.com", A);
	TUN("api.34a1c5e6c42550ef9a0b1c2d3e4f5a6b.e234a20c.98074477.example.com", A);
	/* plain base32 of text in an A query */
	TUN("kruguidroviwg2zaojxxo3ramzxxqidkovwxa4zan5ygk4ramrxwozy.evil.example", A);
}

static void test_benign(void)
{
	OK("www.google.com", A);
	OK("google.com", TXT);
	OK("ec2-54-12-3-4.compute-1.amazonaws.com", A);
	OK("d1a2b3c4d5e6f7.cloudfront.net", A);
	OK("r3---sn-4g5e6nsz.googlevideo.com", A);
	OK("e1234.dscb.akamaiedge.net", A);
	OK("lhr25s34-in-f14.1e100.net", A);
	OK("my-company-logs-123456789012-us-east-1.s3.amazonaws.com", A);
	OK("mystorageacct01.blob.core.windows.net", A);
	OK("a3f1c2d4e5b6a7c8d9e0f1a2b3c4d5e-1234567890.us-east-1.elb.amazonaws.com", A);
	OK("3f2a9c0d1e7b4a5c6d8e9f0a1b2c3d4e.us-east-1.aws.found.io", A);
	OK("android-1a2b3c4d5e6f7a8b.corp.example.com", A);
	OK("kube-dns.kube-system.svc.cluster.local", A);
	OK("api.github.com.default.svc.cluster.local", AAAA);
	OK("customer-onboarding-service-notifications.prod.internal.example.com", A);
	OK("the-quick-brown-fox-jumps-over-the-lazy-dog-again-and-again.example.org", A);
	OK("_dmarc.example.com", TXT);
	OK("selector1._domainkey.example.com", TXT);
	OK("x7gh3ks9db2lrz5f2b6l5bj2mbk5l4kz._domainkey.example.com", CNAME);
	OK("_a79865eb4cd1a6ab990a45779b4e0b96.www.example.com", CNAME);
	OK("_ldap._tcp.dc._msdcs.corp.example.com", SRV);
	OK("3f2504e0-4f89-11d3-9a0c-0305e82c3301._msdcs.corp.example.com", CNAME);
	OK("4.3.2.1.in-addr.arpa", PTR);
	OK("b.a.9.8.7.6.5.4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", PTR);
	OK("bbc.co.uk", A);
	OK("news.bbc.co.uk", A);
	OK("localhost", A);
	OK("qwhfbzdlkx", A); /* Chrome's random probe: a single label */
}

static void test_edges(void)
{
	struct dpi_dnstun_result r;
	char buf[1200];

	memset(&r, 0x5a, sizeof(r));
	CHECK_EQ(dpi_dnstun_check(NULL, 1, A, &r), -EINVAL);
	CHECK_EQ(((uint8_t *)&r)[0], 0x5a);
	CHECK_EQ(dpi_dnstun_check((const uint8_t *)"a", 1, A, NULL), -EINVAL);
	CHECK_EQ(dpi_dnstun_check(NULL, 0, A, &r), 0);
	CHECK_EQ(r.score, 0);

	CHECK_EQ(check_name("", 0, A, &r), 0);
	CHECK_EQ(check_name(".", 1, A, &r), 0);
	CHECK_EQ(check_name("..", 2, TXT, &r), 0);
	CHECK_EQ(check_name("com", 3, TXT, &r), 0);
	CHECK_EQ(check_name("\\", 1, TXT, &r), 0);
	CHECK_EQ(check_name("a\\", 2, TXT, &r), 0);
	CHECK_EQ(check_name("a.b\\0", 5, TXT, &r), 0);
	CHECK_EQ(check_name("\\999.com", 8, TXT, &r), 0);

	/* the excerpt is the part left of the registered domain */
	CHECK_EQ(check_name("abc.def.example.co.uk", 21, A, &r), 0);
	CHECK_EQ(r.off, 0);
	CHECK_EQ(r.len, 7);
	CHECK_EQ(r.sub_len, 7);
	CHECK_EQ(r.longest_label, 3);

	/* escapes count as one byte each */
	CHECK_EQ(check_name("a\\.b\\\\c\\255.example.com", 23, A, &r), 0);
	CHECK_EQ(r.sub_len, 6);
	CHECK_EQ(r.len, 11);

	/* 253 characters of readable labels; of hex labels */
	{
		size_t w = 0;

		while (w < 240)
			w += (size_t)snprintf(buf + w, sizeof(buf) - w, "%s", "service-account.");
		memcpy(buf + w, "example.com", 11);
		w += 11;
		buf[w] = 0;
		CHECK_EQ(check_name(buf, w, A, &r), 0);
		CHECK(r.reasons == 0);
		w = 0;
		for (int k = 0; k < 3; k++) {
			for (int i = 0; i < 63; i++)
				buf[w++] = "0123456789abcdef"[(i * 7 + k * 3 + i / 5) % 16];
			buf[w++] = '.';
		}
		memcpy(buf + w, "t.example.com", 13);
		w += 13;
		CHECK_EQ(w, 205u);
		CHECK_EQ(check_name(buf, w, A, &r), 1);
		CHECK(r.reasons & DPI_DNSTUN_LONG_LABEL);
		CHECK(r.reasons & DPI_DNSTUN_MULTI_LABEL);
		CHECK_EQ(r.longest_label, 63);
		CHECK_EQ(r.sub_len, 193);
		CHECK_EQ(r.off, 0);
		CHECK_EQ(r.len, 193);
	}

	/* raw non-ASCII bytes (not what the parser prints, but any bytes are
	 * accepted) and their escaped form */
	{
		static const char raw[] = "\xc3\xa9t\xc3\xa9.caf\xc3\xa9.example.fr";
		static const char bin[] = "\x01\x02\xff\xfe\x80\x81\x90\x91\xa0\xa1.example.com";

		CHECK_EQ(check_name(raw, strlen(raw), A, &r), 0);
		CHECK(check_name(bin, strlen(bin), TXT, &r) == 1);
		CHECK(r.reasons & DPI_DNSTUN_BINARY);
	}

	/* longer than DNS allows: flagged, looked at up to the cap */
	memset(buf, 'a', sizeof(buf));
	for (size_t i = 63; i < sizeof(buf); i += 64)
		buf[i] = '.';
	CHECK(check_name(buf, sizeof(buf), A, &r) >= 0);
	CHECK(r.reasons & DPI_DNSTUN_LONG_NAME);
	/* 130 one-byte labels */
	for (size_t i = 0; i < 260; i += 2) {
		buf[i] = 'a';
		buf[i + 1] = '.';
	}
	CHECK(check_name(buf, 259, A, &r) >= 0);
	CHECK(r.reasons & DPI_DNSTUN_LONG_NAME);

	/* a last label that can't be a TLD: nothing is stripped */
	CHECK_EQ(check_name("dnscat.0bf2014f9c00000000", 25, A, &r), 0);
	CHECK_EQ(r.len, 25);
	CHECK_EQ(r.sub_len, 25);

	/* random bytes: any verdict, never a fault */
	{
		uint64_t seed = 0x51;

		for (int k = 0; k < 2000; k++) {
			size_t len = bh_xorshift(&seed) % sizeof(buf);

			for (size_t i = 0; i < len; i++) {
				uint32_t x = bh_xorshift(&seed);

				buf[i] = (char)(x % 5 == 0 ? '.' : x % 7 == 0 ? '\\' : (int)(x >> 8));
			}
			CHECK(check_name(buf, len, (uint16_t)bh_xorshift(&seed), &r) >= 0);
		}
	}
}

/* ------------------------------------------------------------------ lists */

static char *load(const char *dir, const char *name, size_t *ret_size)
{
	char path[4096];
	FILE *f;
	long sz;
	char *d;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return NULL;
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return NULL;
	}
	d = malloc((size_t)sz + 1);
	if (!d || fread(d, 1, (size_t)sz, f) != (size_t)sz) {
		fclose(f);
		free(d);
		return NULL;
	}
	fclose(f);
	d[sz] = 0;
	*ret_size = (size_t)sz;
	return d;
}

static uint16_t qtype_of(const char *s, size_t n)
{
	static const struct {
		const char *name;
		uint16_t type;
	} types[] = {{"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"NULL", 10}, {"PTR", 12},
		     {"MX", 15}, {"TXT", 16}, {"KEY", 25}, {"AAAA", 28}, {"SRV", 33}, {"TLSA", 52},
		     {"HTTPS", 65}, {"ANY", 255}};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == n && strncasecmp(types[i].name, s, n) == 0)
			return types[i].type;
	return 0;
}

struct tally {
	size_t lines, hits;
};

/* Rate every "NAME TYPE" line; per "# group" and in total count the names
 * flagged; print up to @show of those whose verdict isn't @want. */
static struct tally run_list(const char *data, size_t size, int want, const char *what, int show)
{
	struct tally all = {0, 0}, grp = {0, 0};
	char group[64] = "";
	size_t start = 0;
	int shown = 0;

	for (size_t i = 0; i <= size; i++) {
		const char *ln = data + start, *sp;
		size_t n = i - start;

		if (i < size && data[i] != '\n')
			continue;
		start = i + 1;
		if (n == 0)
			continue;
		if (ln[0] == '#') {
			if (grp.lines)
				printf("    %-16s %5zu names, %5zu flagged (%.2f%%)\n", group, grp.lines, grp.hits,
				       100.0 * (double)grp.hits / (double)grp.lines);
			grp = (struct tally){0, 0};
			snprintf(group, sizeof(group), "%.*s", (int)(n > 2 ? n - 2 : 0), ln + 2);
			continue;
		}
		sp = memchr(ln, ' ', n);
		{
			struct dpi_dnstun_result r;
			size_t nl = sp ? (size_t)(sp - ln) : n;
			uint16_t q = sp ? qtype_of(sp + 1, n - nl - 1) : 1;
			int rc = check_name(ln, nl, q, &r);

			CHECK(rc >= 0);
			CHECK(q != 0);
			grp.lines++;
			all.lines++;
			if (rc == 1) {
				grp.hits++;
				all.hits++;
			}
			if (rc != want && shown++ < show)
				printf("  %s: %.*s  (score %u, encoded %u, H %.2f, reasons %#x)\n", what, (int)n, ln,
				       r.score, r.encoded, r.entropy, r.reasons);
		}
	}
	if (grp.lines)
		printf("    %-16s %5zu names, %5zu flagged (%.2f%%)\n", group, grp.lines, grp.hits,
		       100.0 * (double)grp.hits / (double)grp.lines);
	return all;
}

static const char *data_dir = "tests/data/dnstun";

static void test_lists(void)
{
	size_t ts = 0, bs = 0, os = 0;
	char *tun = load(data_dir, "tunnel.txt", &ts);
	char *ben = load(data_dir, "benign.txt", &bs);
	char *bor = load(data_dir, "borderline.txt", &os);
	struct tally t, b, o;
	double tpr, fpr;

	if (!tun || !ben || !bor) {
		fprintf(stderr, "lists not found in %s (pass the directory as argv[1])\n", data_dir);
		CHECK(0);
		goto out;
	}
	printf("  tunnel.txt:\n");
	t = run_list(tun, ts, 1, "missed", getenv("BH_DNSTUN_SHOW_ALL") ? 100000 : 15);
	printf("  benign.txt:\n");
	b = run_list(ben, bs, 0, "false positive", 25);
	printf("  borderline.txt (not asserted):\n");
	o = run_list(bor, os, 0, "flagged", 0);
	tpr = t.lines ? 100.0 * (double)t.hits / (double)t.lines : 0;
	fpr = b.lines ? 100.0 * (double)b.hits / (double)b.lines : 100;
	printf("lists: tunnel %zu names, TPR %.2f%% (%zu missed); benign %zu names, FPR %.3f%% (%zu flagged); "
	       "borderline %zu names, %zu flagged\n",
	       t.lines, tpr, t.lines - t.hits, b.lines, fpr, b.hits, o.lines, o.hits);
	CHECK(t.lines >= 1000);
	CHECK(b.lines >= 3000);
	CHECK(tpr >= 95.0);
	CHECK(fpr <= 0.5);
out:
	free(tun);
	free(ben);
	free(bor);
}

int main(int argc, char **argv)
{
	const char *env = getenv("BH_DNSTUN_DATA");

	if (argc > 1)
		data_dir = argv[1];
	else if (env && *env)
		data_dir = env;
	RUN(test_tools);
	RUN(test_benign);
	RUN(test_edges);
	RUN(test_lists);
	return bh_test_summary();
}
