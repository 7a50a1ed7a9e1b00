/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_dnstun.h - DNS tunnelling and exfiltration heuristic for one query
 * name.
 *
 * A tunnel (iodine, dnscat2, dns2tcp, DNSExfiltrator, Cobalt Strike's DNS
 * channel, ad-hoc "nslookup <base32>.evil.example") has to put its data in
 * the labels left of a domain whose name server it runs, encoded in the few
 * bytes a resolver passes on: hex, base32, base64 folded to lower case, or
 * raw high bytes. So the heuristic looks at that part of the name:
 *
 *   - the registered domain is the last two labels, three when the last two
 *     are a public suffix such as co.uk (a small built-in list); a last
 *     label that cannot be a TLD (digits, longer than 24) means there is no
 *     domain to strip (dnscat2's "dnscat.<hex>" sent straight to a server);
 *   - labels that begin with '_' (SRV, _dmarc, ACM validation tokens), the
 *     DKIM selectors left of "_domainkey" and the DC GUIDs left of "_msdcs"
 *     are not data; names in in-addr.arpa and ip6.arpa are exempt;
 *   - each remaining label is cut at '-' and '_' into tokens, and a token
 *     counts as encoded data when it looks like no word, number or short
 *     code: letters and digits switching often (hex, base32, base36), a
 *     mixed run of hex digits, letter pairs no English word has (a 26x26
 *     bit table), too few vowels or long consonant runs, long digit runs,
 *     base64's '+', '/', '=' or bytes outside printable ASCII;
 *   - the score grows with the bytes of encoded data, with the number of
 *     labels that carry it, with labels filled close to 63 bytes, with the
 *     Shannon entropy of those labels (base32 and base64 use a larger
 *     alphabet than a hex id does), and with query types tunnels prefer
 *     (NULL, TXT, KEY; CNAME, MX, SRV a little; a label "dnscat" too);
 *   - it falls for a registered domain of a large provider that answers
 *     for its own zone and delegates no part of it (amazonaws.com,
 *     cloudfront.net, cluster.local, ...): a tunnel needs a name server
 *     the attacker runs.
 *
 * A single short random label (a CDN node id, a cloud tenant's hash, a
 * dnscat2 keep-alive sent as an A query) is below the threshold on purpose:
 * such names are everyday cloud traffic. What a single query cannot show,
 * a tunnel's volume of distinct names under one domain, is for a per-domain
 * counter above this function. Reputation services that put hashes in names
 * on purpose (Team Cymru's hash registry, DNSBL hash lists, antivirus cloud
 * lookups) do look like tunnels; a policy allows those zones.
 *
 * The name is read as bulkhead's DNS parser prints it (dpi_dns.h): lower
 * case, labels joined by '.', no trailing dot, "\." "\\" and "\DDD" escapes
 * inside labels, which count as the one byte they stand for. Other input is
 * read the same way, byte by byte. Bounded work: at most DPI_DNSTUN_MAX_NAME
 * characters and DPI_DNSTUN_MAX_LABELS labels are looked at, in one pass
 * plus one per label. Nothing allocates; a call uses about 3 KB of stack. No
 * global state: thread-safe.
 */
#ifndef DPI_DNSTUN_H
#define DPI_DNSTUN_H

#include <stddef.h>
#include <stdint.h>

#define DPI_DNSTUN_MAX_NAME 1024u /* characters of the name looked at */
#define DPI_DNSTUN_MAX_LABELS 128u
#define DPI_DNSTUN_THRESHOLD 50u /* score from which a name is tunnel-like */

/* Reasons (bits of dpi_dnstun_result.reasons); set when they added to the
 * score, whatever the verdict. */
#define DPI_DNSTUN_LONG_LABEL 0x01   /* a label of 50 bytes or more holding encoded data */
#define DPI_DNSTUN_HIGH_ENTROPY 0x02 /* the labels holding data have the entropy of base32/64 */
#define DPI_DNSTUN_LONG_NAME 0x04    /* 100 bytes or more left of the domain, or a name
				      * longer than DNS allows */
#define DPI_DNSTUN_TXT_NULL 0x08     /* a query type tunnels use (NULL, TXT, KEY, ANY;
				      * CNAME, MX, SRV) with data in the name */
#define DPI_DNSTUN_ENCODED 0x10      /* tokens shaped like hex/base32/base64 data */
#define DPI_DNSTUN_MULTI_LABEL 0x20  /* encoded data in two or more labels */
#define DPI_DNSTUN_BINARY 0x40       /* base64 punctuation or bytes outside printable ASCII */
#define DPI_DNSTUN_PROVIDER 0x80     /* a provider zone: the score was lowered */
#define DPI_DNSTUN_TOOL 0x100        /* a label a tunnel tool writes ("dnscat") */

/* Query types the heuristic weighs (RFC 1035 and later). */
#define DPI_DNSTUN_QTYPE_NULL 10u
#define DPI_DNSTUN_QTYPE_TXT 16u

struct dpi_dnstun_result {
	unsigned reasons;       /* DPI_DNSTUN_* bits */
	uint32_t score;         /* 0..100; >= DPI_DNSTUN_THRESHOLD is tunnel-like */
	double entropy;         /* bits per byte of the part left of the domain, dots
				 * and exempt labels left out; 0 when empty */
	uint32_t longest_label; /* bytes (escapes decoded) of its longest label */
	uint32_t sub_len;       /* bytes of the name left of the registered domain,
				 * dots included, escapes decoded */
	uint32_t encoded;       /* bytes of it that look like encoded data */
	uint32_t off, len;      /* the part left of the domain in the caller's
				 * characters (for an excerpt); 0, 0 when empty */
};

/*
 * Rate the query name at @name (@len characters, not NUL-terminated; any
 * bytes) asked with query type @qtype, and fill @ret. Exempt names (reverse
 * zones) and names with nothing left of the registered domain score 0.
 *
 * Returns 1 (tunnel-like: score >= DPI_DNSTUN_THRESHOLD), 0, or -EINVAL
 * (@ret NULL, or @name NULL with @len > 0; @ret untouched). Never reads
 * outside [@name, @name + @len), keeps no pointer to it. Thread-safe.
 */
int dpi_dnstun_check(const uint8_t *name, size_t len, uint16_t qtype,
		     struct dpi_dnstun_result *ret);

#endif
