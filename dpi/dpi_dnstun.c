/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_dnstun.c - DNS tunnelling heuristic. See dpi_dnstun.h for the idea;
 * this file has three steps:
 *
 *   labels   split the printed name into labels, decoding its escapes into
 *            a byte copy, and find the registered domain and the exempt
 *            labels;
 *   tokens   cut each label at '-' and '_' and tell encoded data from
 *            words, numbers and short codes;
 *   score    weigh the encoded bytes, the labels they fill, entropy and the
 *            query type.
 *
 * The weights were calibrated on tests/data/dnstun (see its README): a
 * single random label needs about 40 encoded bytes to reach the threshold
 * by itself in an A query; two or three labels of data, a tunnel's query
 * type, base64 punctuation or raw bytes get there sooner.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dpi_dnstun.h"

struct label {
	uint16_t off, tlen; /* in the caller's characters */
	uint16_t woff, wlen; /* in the decoded copy */
};

struct name {
	uint8_t w[DPI_DNSTUN_MAX_NAME]; /* decoded label bytes, no dots */
	struct label lab[DPI_DNSTUN_MAX_LABELS];
	unsigned n;     /* labels */
	bool overlong;  /* more than DNS allows: too long, too many labels, a label > 63 */
};

/* Second-level public suffixes under which names are registered one label
 * deeper. Not the Public Suffix List: the ones common enough to matter. */
static const char *const suffix2[] = {
	"ac.jp", "ac.uk", "co.id", "co.il", "co.in", "co.jp", "co.kr", "co.nz", "co.th",
	"co.uk", "co.za", "com.ar", "com.au", "com.br", "com.cn", "com.co", "com.eg",
	"com.hk", "com.mx", "com.my", "com.ng", "com.pe", "com.ph", "com.pk", "com.pl",
	"com.sa", "com.sg", "com.tr", "com.tw", "com.ua", "com.vn", "edu.au", "gov.au",
	"gov.br", "gov.cn", "gov.in", "gov.uk", "ltd.uk", "me.uk", "ne.jp", "net.au",
	"net.br", "net.cn", "net.in", "or.jp", "or.kr", "org.au", "org.br", "org.cn",
	"org.in", "org.nz", "org.uk", "org.za", "plc.uk",
};

/* Zones whose provider runs the name servers and delegates no part of them
 * to customers, so nobody else can answer (and tunnel) below them. Matched
 * as a label-aligned suffix of the name. */
static const char *const provider[] = {
	"1e100.net", "akadns.net", "akamai.net", "akamaiedge.net", "akamaized.net",
	"amazonaws.com", "appspot.com", "azmk8s.io", "azure.com", "azurecr.io",
	"azurefd.net", "azurewebsites.net", "cloudapp.net", "cloudflare.net",
	"cloudfront.net", "cluster.local", "compute.internal", "ec2.internal",
	"edgekey.net", "edgesuite.net", "fastly.net", "fbcdn.net", "firebaseapp.com",
	"googleapis.com", "googleusercontent.com", "googlevideo.com", "gstatic.com",
	"gvt1.com", "herokuapp.com", "msedge.net", "netlify.app", "nflxvideo.net",
	"on.aws", "pages.dev", "run.app", "trafficmanager.net", "vercel.app",
	"web.app", "windows.net", "workers.dev",
};

/* Letter pairs of English: bit b of row a is set when "ab" occurs more
 * than 20 times in Debian's wamerican word list (tests/data/dnstun/gen.py
 * --bigrams prints this table). Random letters hit a pair outside it about
 * a third of the time, words and names built of words almost never. */
static const uint32_t english_pairs[26] = {
	0x3fffffe, /* a */
	0x11e7b1f, /* b */
	0x11f4d95, /* c */
	0x17efbff, /* d */
	0x3ffffff, /* e */
	0x11e4931, /* f */
	0x15e79d3, /* g */
	0x15e793b, /* h */
	0x2bffdff, /* i */
	0x0104111, /* j */
	0x15ef9b3, /* k */
	0x17efdff, /* l */
	0x116f933, /* m */
	0x3ffffff, /* n */
	0x3ffffff, /* o */
	0x15ef99b, /* p */
	0x0100000, /* q */
	0x17fffff, /* r */
	0x15ffdff, /* s */
	0x35ef9ff, /* t */
	0x2aefd7f, /* u */
	0x1104111, /* v */
	0x00efdbb, /* w */
	0x198c195, /* x */
	0x05ef9ff, /* y */
	0x3004911, /* z */
};

/* ----------------------------------------------------------------- labels */

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(uint8_t c)
{
	return c >= 'a' && c <= 'z';
}

/* Split @s into labels, decoding "\DDD" and "\X". Empty labels (a leading
 * dot, "..") are skipped. */
static void split(const uint8_t *s, size_t n, struct name *nm)
{
	size_t i = 0, w = 0, start = 0, wstart = 0;

	nm->n = 0;
	nm->overlong = false;
	while (i <= n) {
		if (i == n || s[i] == '.') {
			if (w > wstart) {
				if (nm->n == DPI_DNSTUN_MAX_LABELS) {
					nm->overlong = true;
					return;
				}
				nm->lab[nm->n++] = (struct label){(uint16_t)start, (uint16_t)(i - start),
								  (uint16_t)wstart, (uint16_t)(w - wstart)};
				if (w - wstart > 63)
					nm->overlong = true;
			}
			i++;
			start = i;
			wstart = w;
			continue;
		}
		if (s[i] == '\\' && n - i >= 4 && is_digit(s[i + 1]) && is_digit(s[i + 2]) &&
		    is_digit(s[i + 3])) {
			unsigned v = (s[i + 1] - '0') * 100u + (s[i + 2] - '0') * 10u + (s[i + 3] - '0');

			nm->w[w++] = (uint8_t)(v > 255 ? 255 : v);
			i += 4;
		} else if (s[i] == '\\' && n - i >= 2) {
			nm->w[w++] = s[i + 1];
			i += 2;
		} else {
			nm->w[w++] = s[i++];
		}
	}
	/* wire form: a length byte per label, the root's zero byte */
	if (w + nm->n + 1 > 255)
		nm->overlong = true;
}

static bool label_is(const struct name *nm, unsigned k, const char *str)
{
	size_t sl = strlen(str);

	return nm->lab[k].wlen == sl && memcmp(nm->w + nm->lab[k].woff, str, sl) == 0;
}

/* Do the last labels of @nm spell the dotted @suffix? */
static bool ends_with(const struct name *nm, const char *suffix)
{
	size_t sl = strlen(suffix);
	unsigned k = nm->n;

	while (sl > 0) {
		size_t ls = 0;

		while (ls < sl && suffix[sl - ls - 1] != '.')
			ls++;
		if (k == 0)
			return false;
		k--;
		if (nm->lab[k].wlen != ls || memcmp(nm->w + nm->lab[k].woff, suffix + sl - ls, ls) != 0)
			return false;
		sl -= ls < sl ? ls + 1 : ls;
	}
	return true;
}

/* Letters only (2..24), or an IDN "xn--" label. */
static bool plausible_tld(const struct name *nm, unsigned k)
{
	const uint8_t *p = nm->w + nm->lab[k].woff;
	size_t l = nm->lab[k].wlen;

	if (l >= 5 && memcmp(p, "xn--", 4) == 0) {
		for (size_t i = 4; i < l; i++)
			if (!is_lower(p[i]) && !is_digit(p[i]) && p[i] != '-')
				return false;
		return true;
	}
	if (l < 2 || l > 24)
		return false;
	for (size_t i = 0; i < l; i++)
		if (!is_lower(p[i]))
			return false;
	return true;
}

/* Labels of the registered domain at the end of @nm: 0 when the last label
 * cannot be a TLD. A single-label name is all domain. */
static unsigned registered_labels(const struct name *nm)
{
	if (nm->n == 0 || !plausible_tld(nm, nm->n - 1))
		return 0;
	if (nm->n == 1)
		return 1;
	if (nm->n >= 3)
		for (size_t i = 0; i < sizeof(suffix2) / sizeof(suffix2[0]); i++)
			if (ends_with(nm, suffix2[i]))
				return 3;
	return 2;
}

/* ----------------------------------------------------------------- tokens */

struct tokstat {
	unsigned len, letters, digits, vowels, other, switches, crun, drun;
	unsigned pairs, rare; /* adjacent letter pairs; of those, not English */
	unsigned hex;         /* 0-9, a-f */
};

/* @seps: skip '-' and '_' (reading a whole label as one token). */
static void token_stats(const uint8_t *p, size_t l, bool seps, struct tokstat *t)
{
	unsigned crun = 0, drun = 0;
	int prev = 0; /* 1 letter, 2 digit */
	uint8_t prevc = 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < l; i++) {
		uint8_t c = p[i];
		int cls = 0;

		if (seps && (c == '-' || c == '_'))
			continue;
		t->len++;
		if (is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
			t->hex++;
		if (is_lower(c) || (c >= 'A' && c <= 'Z')) {
			c |= 0x20;
			cls = 1;
			t->letters++;
			if (prev == 1) {
				t->pairs++;
				if (!(english_pairs[prevc - 'a'] & (1u << (c - 'a'))))
					t->rare++;
			}
			prevc = c;
			if (strchr("aeiouy", c)) {
				t->vowels++;
				crun = 0;
			} else if (++crun > t->crun) {
				t->crun = crun;
			}
			drun = 0;
		} else if (is_digit(c)) {
			cls = 2;
			t->digits++;
			crun = 0;
			if (++drun > t->drun)
				t->drun = drun;
		} else {
			t->other++;
			crun = drun = 0;
		}
		if (cls && prev && cls != prev)
			t->switches++;
		prev = cls;
	}
}

/* Does the token look like encoded data rather than a word, a number or a
 * short code ("ec2", "r3", "lhr25s34", "web01", "android")? */
static bool token_random(const struct tokstat *t)
{
	if (t->other)
		return true; /* base64 punctuation, raw bytes */
	if (t->letters == 0)
		return t->len >= 16; /* account ids, ports, dates are shorter */
	if (t->len < 8)
		return false;
	if (t->rare >= 2 && t->rare * 4 >= t->pairs)
		return true; /* letter pairs no word has */
	if (t->digits == 0) /* letters only: a word has vowels and short consonant runs */
		return t->vowels * 10 < t->len || t->crun >= 6;
	return t->switches >= 3 || (t->len >= 14 && t->switches >= 2) ||
	       (t->len >= 20 && t->switches >= 1) || t->hex == t->len;
}

/* ------------------------------------------------------------------ score */

/* log2(@x) for x >= 1, without libm: exponent plus an atanh series on the
 * mantissa (error below 1e-6, plenty for an entropy estimate). */
static double log2u(unsigned x)
{
	int e = 31 - __builtin_clz(x);
	double m = (double)x / (double)(1u << e), z = (m - 1) / (m + 1), z2 = z * z;
	double ln = 2 * z * (1 + z2 * (1.0 / 3 + z2 * (1.0 / 5 + z2 * (1.0 / 7 + z2 * (1.0 / 9)))));

	return e + ln * 1.4426950408889634;
}

/* Shannon entropy, bits per byte, of @n bytes counted in @counts. */
static double entropy(const uint16_t *counts, unsigned n)
{
	double h = 0;

	if (n == 0)
		return 0;
	for (unsigned c = 0; c < 256; c++)
		if (counts[c])
			h -= counts[c] * (log2u(counts[c]) - log2u(n));
	return h / n;
}

static bool qtype_null(uint16_t q)
{
	/* NULL and the private-use range */
	return q == DPI_DNSTUN_QTYPE_NULL || q >= 65280;
}

static bool qtype_tunnel(uint16_t q)
{
	/* those, TXT, KEY, ANY */
	return qtype_null(q) || q == DPI_DNSTUN_QTYPE_TXT || q == 25 || q == 255;
}

static bool qtype_some(uint16_t q)
{
	/* CNAME, MX, SRV: dnscat2 and iodine rotate through them */
	return q == 5 || q == 15 || q == 33;
}

int dpi_dnstun_check(const uint8_t *name, size_t len, uint16_t qtype,
		     struct dpi_dnstun_result *ret)
{
	struct name nm;
	uint16_t counts[256], dcounts[256];
	unsigned reg, first = 0, nsub, enc = 0, enc_labels = 0, analysed = 0, longest = 0;
	unsigned longest_enc = 0, data = 0;
	double hdata = 0;
	bool binary = false, prov = false, tool = false;
	size_t n;
	int score = 0;

	if (!ret || (!name && len))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	n = len > DPI_DNSTUN_MAX_NAME ? DPI_DNSTUN_MAX_NAME : len;
	if (n == 0)
		return 0;
	split(name, n, &nm);
	if (len > DPI_DNSTUN_MAX_NAME)
		nm.overlong = true;
	if (ends_with(&nm, "in-addr.arpa") || ends_with(&nm, "ip6.arpa"))
		return 0;
	reg = registered_labels(&nm);
	nsub = nm.n - reg;
	if (nsub == 0 && !nm.overlong)
		return 0;
	for (size_t i = 0; i < sizeof(provider) / sizeof(provider[0]); i++)
		if (ends_with(&nm, provider[i])) {
			prov = true;
			break;
		}

	/* the excerpt and sub_len: everything left of the domain */
	if (nsub > 0) {
		const struct label *a = &nm.lab[0], *b = &nm.lab[nsub - 1];

		ret->off = a->off;
		ret->len = (uint32_t)(b->off + b->tlen - a->off);
		ret->sub_len = (uint32_t)(b->woff + b->wlen - a->woff + nsub - 1);
	}
	/* selectors left of _domainkey and GUIDs left of _msdcs are not data */
	for (unsigned k = 0; k < nsub; k++)
		if (label_is(&nm, k, "_domainkey") || label_is(&nm, k, "_msdcs"))
			first = k + 1;

	memset(counts, 0, sizeof(counts));
	memset(dcounts, 0, sizeof(dcounts));
	for (unsigned k = first; k < nsub; k++) {
		const uint8_t *p = nm.w + nm.lab[k].woff;
		size_t l = nm.lab[k].wlen, t0 = 0;
		unsigned rtok = 0, rmax = 0, rl;

		if (p[0] == '_')
			continue;
		for (size_t i = 0; i < l; i++)
			counts[p[i]]++;
		analysed += (unsigned)l;
		if (l > longest)
			longest = (unsigned)l;
		for (size_t i = 0; i <= l; i++) {
			struct tokstat ts;

			if (i < l && p[i] != '-' && p[i] != '_')
				continue;
			if (i > t0) {
				token_stats(p + t0, i - t0, false, &ts);
				if (token_random(&ts)) {
					rtok += ts.len;
					if (ts.len > rmax)
						rmax = ts.len;
					if (ts.other && ts.len >= 4)
						binary = true;
				}
			}
			t0 = i + 1;
		}
		/* a label with one long run of data is data throughout, and so is
		 * a long one with an '_' inside that reads as data with its '-'
		 * and '_' left out (base64url cut into short pieces; host names
		 * join words with '-' only) */
		rl = rmax >= 12 ? (unsigned)l : rtok;
		if (rl < l && l >= 24 && memchr(p + 1, '_', l - 1)) {
			struct tokstat ts;

			token_stats(p, l, true, &ts);
			if (token_random(&ts))
				rl = (unsigned)l;
		}
		if (label_is(&nm, k, "dnscat"))
			tool = true;
		enc += rl;
		if (rl >= 8) {
			enc_labels++;
			for (size_t i = 0; i < l; i++)
				dcounts[p[i]]++;
			data += (unsigned)l;
		}
		if (rl > longest_enc)
			longest_enc = rl;
	}

	ret->longest_label = longest;
	ret->encoded = enc;
	ret->entropy = entropy(counts, analysed);
	hdata = entropy(dcounts, data);

	if (enc >= 12 || (binary && enc >= 8)) {
		int s = (int)(enc - 10) * 50 / 26;

		score += s > 60 ? 60 : s;
		ret->reasons |= DPI_DNSTUN_ENCODED;
		if (enc_labels >= 2) {
			score += enc_labels >= 3 ? 20 : 10;
			ret->reasons |= DPI_DNSTUN_MULTI_LABEL;
		}
		if (longest >= 50 && longest_enc >= 40) {
			score += 15;
			ret->reasons |= DPI_DNSTUN_LONG_LABEL;
		}
		/* the labels that carry data use a large alphabet evenly: base32
		 * or base64 rather than hex (a hex id is a common cloud name) */
		if (data >= 24 && hdata >= (data >= 32 ? 4.3 : 0.9 * log2u(data))) {
			score += 10;
			ret->reasons |= DPI_DNSTUN_HIGH_ENTROPY;
		}
		if (ret->sub_len >= 100 && enc >= 40) {
			score += 10;
			ret->reasons |= DPI_DNSTUN_LONG_NAME;
		}
		if (qtype_tunnel(qtype) && !qtype_null(qtype)) {
			score += 40;
			ret->reasons |= DPI_DNSTUN_TXT_NULL;
		} else if (qtype_some(qtype)) {
			score += 35;
			ret->reasons |= DPI_DNSTUN_TXT_NULL;
		}
	}
	if (enc >= 8 && qtype_null(qtype)) {
		/* nothing but tunnels asks for NULL records: short data will do */
		score += 50;
		ret->reasons |= DPI_DNSTUN_TXT_NULL;
	}
	if (tool) {
		score += 30;
		ret->reasons |= DPI_DNSTUN_TOOL;
	}
	if (binary && enc >= 8) {
		score += 40;
		ret->reasons |= DPI_DNSTUN_BINARY;
	}
	if (nm.overlong) {
		score += 30;
		ret->reasons |= DPI_DNSTUN_LONG_NAME;
	}
	if (prov && score > 0) {
		score -= 50;
		ret->reasons |= DPI_DNSTUN_PROVIDER;
	}
	ret->score = (uint32_t)(score < 0 ? 0 : score > 100 ? 100 : score);
	return ret->score >= DPI_DNSTUN_THRESHOLD;
}
