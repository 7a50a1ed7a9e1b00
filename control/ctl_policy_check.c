/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_policy_check.c - checks of the values in policy documents, on plain
 * strings: object names and labels as Kubernetes has them, interface names
 * as Linux has them, addresses and CIDRs, DNS names and patterns, SQL
 * tables and statement kinds. Nothing here reports: callers word the
 * message.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/dpi.h"
#include "ctl_eve.h"
#include "ctl_policy_int.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Kubernetes' IsDNS1123Subdomain: lower-case labels of letters, digits and
 * '-' (not at either end) joined by dots, at most 253 in all. */
bool ctl_policy_check_name(const char *s, size_t n)
{
	bool start = true;

	if (!n || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (start || s[i - 1] == '-')
				return false;
			start = true;
		} else if (s[i] == '-') {
			if (start)
				return false;
		} else if (is_lower_alnum(s[i])) {
			start = false;
		} else {
			return false;
		}
	}
	return !start && s[n - 1] != '-';
}

/* A label name or value: [A-Za-z0-9] at both ends, [-_.A-Za-z0-9] inside,
 * at most 63. */
static bool label_word(const char *s, size_t n)
{
	if (!n || n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* [prefix/]name, the prefix a DNS subdomain. */
bool ctl_policy_check_label_key(const char *k)
{
	const char *slash = strchr(k, '/'), *name = slash ? slash + 1 : k;

	if (slash && !ctl_policy_check_name(k, (size_t)(slash - k)))
		return false;
	return label_word(name, strlen(name));
}

bool ctl_policy_check_label_value(const char *v)
{
	return !*v || label_word(v, strlen(v));
}

/* The kernel's dev_valid_name(). */
bool ctl_policy_check_ifname(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= 16 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))
			return false;
	return true;
}

/* An HTTP field name: a token (RFC 9110, 5.1). */
bool ctl_policy_check_http_token(const char *s)
{
	if (!*s || strlen(s) > 256)
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

static void mask_addr(union bh_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;

		a->b[i] &= (uint8_t)(0xff00u >> keep);
	}
}

void ctl_policy_check_format_cidr(char *buf, size_t size, const struct bh_cidr *c)
{
	bool v4 = c->plen >= 96 && ctl_addr_mapped(&c->net);
	char s[INET6_ADDRSTRLEN];

	ctl_addr_text(&c->net, v4 ? AF_INET : AF_INET6, s);
	snprintf(buf, size, "%s/%u", s, v4 ? c->plen - 96u : c->plen);
}

static const char *parse_prefix(const char *s, unsigned max, bool v4, unsigned *ret)
{
	size_t nd = strspn(s, "0123456789");

	if (!nd || nd > 3 || s[nd])
		return "the prefix length after `/` must be a number";
	*ret = (unsigned)strtoul(s, NULL, 10);
	if (*ret > max)
		return v4 ? "the prefix length is out of range for IPv4 (0..32)"
			  : "the prefix length is out of range for IPv6 (0..128)";
	return NULL;
}

const char *ctl_policy_check_cidr(const char *text, struct bh_cidr *c, char *why, size_t whysize)
{
	static const char *const bad = "expected an IPv4 or IPv6 address, or a CIDR such as "
				       "10.0.0.0/8";
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned max = 128, plen;
	union bh_addr net;
	const char *p;
	bool v4 = false;

	if (strlen(text) >= sizeof(buf))
		return bad;
	memcpy(buf, text, strlen(text) + 1);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(&net, 0, sizeof(net));
	if (inet_pton(AF_INET, buf, net.b + 12) == 1) {
		net.b[10] = net.b[11] = 0xff;
		v4 = true;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, net.b) != 1) {
		return bad;
	}
	plen = max;
	if (slash && (p = parse_prefix(slash + 1, max, v4, &plen)))
		return p;
	c->plen = (uint8_t)(v4 ? 96 + plen : plen);
	c->net = net;
	mask_addr(&c->net, c->plen);
	if (memcmp(&c->net, &net, sizeof(net)) != 0) {
		char nb[INET6_ADDRSTRLEN + 8];

		ctl_policy_check_format_cidr(nb, sizeof(nb), c);
		snprintf(why, whysize, "host bits are set; the network is %s", nb);
		return why;
	}
	return NULL;
}

bool ctl_policy_check_inside(const struct bh_cidr *in, const struct bh_cidr *out)
{
	union bh_addr a = in->net;

	if (in->plen < out->plen)
		return false;
	mask_addr(&a, out->plen);
	return !memcmp(&a, &out->net, sizeof(a));
}

/* A label of @len bytes; @star: it held a '*'. */
static const char *dns_label(size_t len, bool star, bool pattern)
{
	if (!len)
		return "the name has an empty label";
	if (len > 63)
		return "a label is longer than 63 characters";
	if (star && !pattern)
		return "`*` is for matchPattern";
	if (star && len != 1)
		return "`*` must be a whole label, as in `*.example.com`";
	return NULL;
}

const char *ctl_policy_check_dns(const char *s, bool pattern, char *out)
{
	size_t n = strlen(s), label = 0, stars = 0;
	const char *why;
	bool star = false;

	if (n && s[n - 1] == '.')
		n--;
	if (!n)
		return "the name is empty";
	if (n > 253)
		return "the name is longer than 253 characters";
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';

		if (i < n)
			out[i] = to_lower(c);
		if (c == '.') {
			if ((why = dns_label(label, star, pattern)))
				return why;
			stars += star;
			label = 0;
			star = false;
			continue;
		}
		if (c == '*')
			star = true;
		else if (!is_alnum(c) && c != '-' && c != '_')
			return "a DNS name is labels of letters, digits, '-' and '_' between dots";
		label++;
	}
	out[n] = '\0';
	if (!stars && pattern)
		return "the pattern has no `*`; use matchName for one name";
	return NULL;
}

bool ctl_policy_check_table(const char *s, char *out)
{
	size_t part = 0, dots = 0, i;

	for (i = 0; s[i]; i++) {
		if (s[i] == '.') {
			if (!part || ++dots > 2)
				return false;
			part = 0;
		} else if (is_alnum(s[i]) || s[i] == '_' || s[i] == '$') {
			if (++part > 64)
				return false;
		} else {
			return false;
		}
		out[i] = to_lower(s[i]);
	}
	out[i] = '\0';
	return part > 0;
}

bool ctl_policy_check_verb(const char *s, char *out)
{
	size_t i;

	for (i = 0; s[i] && i < 32; i++)
		out[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
	out[i] = '\0';
	return !s[i] && dpi_sql_verb_known(out);
}
