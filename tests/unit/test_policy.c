/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_policy.c - every semantic of ../shared/policy-model.md through a dpi
 * worker: documents are loaded with the real loader, compiled, and flows and
 * transactions are decided the way the dataplane asks for them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "bh_test.h"
#include "bh_wire.h"
#include "bulkhead/dpi.h"
#include "ctl_policy.h"
#include "dpi_policy_int.h"

#define MAXR 32

/* What the worker reported: records with their verdicts, and verdicts
 * taken outside a record (unparsed data, stream signatures). */
struct cap {
	int n;
	int type[MAXR];
	bool has_v[MAXR];
	struct bh_verdict v[MAXR];
	char names[MAXR][3][128]; /* v's strings live only during the call */
	int nv;
	struct bh_verdict late[MAXR];
	char alert_action[MAXR][12];
	uint32_t alert_sid[MAXR];
	int nalerts;
};

static void on_record(void *ctx, void *cookie, struct bh_event *ev)
{
	struct cap *c = ctx;

	(void)cookie;
	if (ev->type == BH_EV_ALERT) {
		if (c->nalerts < MAXR) {
			snprintf(c->alert_action[c->nalerts], sizeof(c->alert_action[0]), "%s",
				 ev->alert.action);
			c->alert_sid[c->nalerts] = ev->alert.sid;
		}
		c->nalerts++;
		return;
	}
	if (c->n < MAXR) {
		c->type[c->n] = ev->type;
		c->has_v[c->n] = ev->verdict != NULL;
		if (ev->verdict) {
			struct bh_verdict *v = &c->v[c->n];
			const char **field[3] = {&v->reason, &v->policy, &v->rule};

			*v = *ev->verdict;
			for (int i = 0; i < 3; i++) {
				if (!*field[i])
					continue;
				snprintf(c->names[c->n][i], sizeof(c->names[0][0]), "%s", *field[i]);
				*field[i] = c->names[c->n][i];
			}
		}
	}
	c->n++;
}

static void on_verdict(void *ctx, void *cookie, const struct bh_verdict *v)
{
	struct cap *c = ctx;

	(void)cookie;
	if (c->nv < MAXR)
		c->late[c->nv] = *v;
	c->nv++;
}

static char first_err[512];

static void on_load_err(void *ctx, const char *msg)
{
	(void)ctx;
	if (!first_err[0])
		snprintf(first_err, sizeof(first_err), "%s", msg);
}

static void on_compile_err(void *ctx, bool warning, const char *msg)
{
	(void)ctx;
	if (!warning && !first_err[0])
		snprintf(first_err, sizeof(first_err), "%s", msg);
}

/* Load and compile @yaml; NULL (and first_err) when it's rejected. */
static struct dpi_policy *compile(const char *yaml)
{
	struct ctl_policy *docs = NULL;
	struct dpi_policy *p = NULL;

	first_err[0] = 0;
	if (ctl_policy_load_mem("t.yaml", yaml, strlen(yaml), on_load_err, NULL, &docs) == 0)
		dpi_policy_new(ctl_policy_doc(docs), on_compile_err, NULL, &p);
	ctl_policy_free(docs);
	return p;
}

static void addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET6, s, out) == 1)
		return;
	out[10] = out[11] = 0xff;
	if (inet_pton(AF_INET, s, out + 12) != 1)
		abort();
}

/* One flow through one worker. */
struct tf {
	struct dpi_worker *w;
	struct dpi_flow *f;
	struct dpi_flow_meta m;
	uint8_t a[2][16];
	struct cap c;
	const struct bh_verdict *open;
};

static void tf_open(struct tf *t, const struct dpi_policy *p, const struct dpi_sigs *s,
		    const char *client, const char *server, uint8_t ipproto, uint16_t port)
{
	struct dpi_ops ops = {.record = on_record, .verdict = on_verdict};

	memset(t, 0, sizeof(*t));
	ops.ctx = &t->c;
	addr(client, t->a[0]);
	addr(server, t->a[1]);
	t->m = (struct dpi_flow_meta){.ipproto = ipproto, .client_port = 40000, .server_port = port,
				      .client_addr = t->a[0], .server_addr = t->a[1]};
	if (dpi_worker_new(&ops, &t->w) < 0 || dpi_worker_set_policy(t->w, p) < 0 ||
	    (s && dpi_worker_set_sigs(t->w, s) < 0))
		abort();
	t->open = dpi_flow_open(t->w, &t->f, &t->c, &t->m);
}

static void tf_send(struct tf *t, unsigned dir, const void *buf, size_t n)
{
	uint8_t *g = guard_dup(buf, n);

	if (t->m.ipproto == IPPROTO_UDP)
		dpi_datagram(t->w, &t->f, &t->c, &t->m, dir, g, (uint32_t)n);
	else
		dpi_stream(t->w, &t->f, &t->c, &t->m, dir, g, (uint32_t)n, 0);
	guard_free(g, n);
}

static void tf_close(struct tf *t)
{
	dpi_flow_end(t->w, &t->f, &t->c);
	dpi_worker_free(t->w);
}

/* The L3/L4 verdict of a flow. */
static struct bh_verdict l4(const struct dpi_policy *p, const char *c, const char *s,
			    uint8_t proto, uint16_t port)
{
	struct tf t;
	struct bh_verdict v;

	tf_open(&t, p, NULL, c, s, proto, port);
	v = t.open ? *t.open : (struct bh_verdict){.action = BH_ACT__MAX};
	tf_close(&t);
	return v;
}

/* The verdict of one HTTP request (its record's), or of the flow when the
 * request produced none. */
static struct bh_verdict http(const struct dpi_policy *p, const struct dpi_sigs *s,
			      const char *c, const char *srv, uint16_t port, const char *req,
			      struct cap *ret)
{
	struct tf t;
	struct bh_verdict v = {.action = BH_ACT__MAX};

	struct bh_verdict open;

	tf_open(&t, p, s, c, srv, IPPROTO_TCP, port);
	open = *t.open;
	tf_send(&t, 0, req, strlen(req));
	tf_close(&t);
	for (int i = 0; i < t.c.n && i < MAXR; i++)
		if (t.c.type[i] == BH_EV_HTTP && t.c.has_v[i]) {
			v = t.c.v[i];
			break;
		}
	if (v.action == BH_ACT__MAX && t.c.nv)
		v = t.c.late[0];
	if (v.action == BH_ACT__MAX && open.action != BH_ACT_ALLOW)
		v = open; /* denied at L3/L4: nothing was inspected */
	if (ret)
		*ret = t.c;
	return v;
}

static size_t dns_query(uint8_t *out, const char *name)
{
	size_t n = 12;

	memset(out, 0, 12);
	out[0] = 0x12;
	out[1] = 0x34;
	out[2] = 0x01; /* RD */
	out[5] = 1;    /* one question */
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		out[n++] = (uint8_t)l;
		memcpy(out + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	out[n++] = 0;
	out[n++] = 0;
	out[n++] = 1; /* A */
	out[n++] = 0;
	out[n++] = 1; /* IN */
	return n;
}

static struct bh_verdict dns(const struct dpi_policy *p, const char *c, const char *s,
			     const char *name)
{
	struct tf t;
	uint8_t buf[512];
	size_t n = dns_query(buf, name);
	struct bh_verdict v = {.action = BH_ACT__MAX};

	tf_open(&t, p, NULL, c, s, IPPROTO_UDP, 53);
	tf_send(&t, 0, buf, n);
	tf_close(&t);
	for (int i = 0; i < t.c.n && i < MAXR; i++)
		if (t.c.type[i] == BH_EV_DNS && t.c.has_v[i])
			v = t.c.v[i];
	if (v.action == BH_ACT__MAX && t.c.nv)
		v = t.c.late[0];
	return v;
}

static struct bh_verdict sql(const struct dpi_policy *p, const char *sqltext)
{
	struct tf t;
	uint8_t *buf = malloc(strlen(sqltext) + 64);
	size_t n;
	struct bh_verdict v = {.action = BH_ACT__MAX};

	if (!buf)
		abort();
	n = bh_pg_query(buf, sqltext);
	tf_open(&t, p, NULL, "10.0.0.2", "10.0.0.5", IPPROTO_TCP, 5432);
	tf_send(&t, 0, buf, n);
	tf_close(&t);
	free(buf);
	for (int i = 0; i < t.c.n && i < MAXR; i++)
		if (t.c.type[i] == BH_EV_SQL && t.c.has_v[i])
			v = t.c.v[i];
	if (v.action == BH_ACT__MAX && t.c.nv)
		v = t.c.late[0];
	return v;
}

#define CHECK_V(v, act, why)                                                          \
	do {                                                                          \
		struct bh_verdict _v = (v);                                           \
		CHECK_EQ(_v.action, act);                                             \
		if (_v.action != (act) || strcmp(_v.reason ? _v.reason : "", why)) { \
			CHECK(!strcmp(_v.reason ? _v.reason : "", why));              \
			fprintf(stderr, "  got %s %s\n", bh_action_name(_v.action),   \
				_v.reason ? _v.reason : "(null)");                    \
		}                                                                     \
	} while (0)

#define ALLOW BH_ACT_ALLOW
#define DENY BH_ACT_DENY

/* Workloads shared by the tests: a client, an API, a database, DNS. */
#define WORKLOADS                                                                        \
	"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: web-1}\n"                \
	"labels: {app: web}\naddresses: [10.0.0.1]\n---\n"                                  \
	"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: api-1}\n"                \
	"labels: {app: api, team: shop}\naddresses: [10.0.0.2, \"fd00::2\"]\n---\n"         \
	"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: api-2}\n"                \
	"labels: {app: api, team: shop}\naddresses: [10.0.0.3]\n---\n"                      \
	"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: dns}\n"                  \
	"labels: {app: dns}\naddresses: [10.0.0.53]\n---\n"                                 \
	"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: pg}\n"                   \
	"labels: {app: pg}\naddresses: [10.0.0.5]\n---\n"                                   \
	"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: lab}\n"                  \
	"labels: {app: lab}\naddresses: [10.9.0.0/16]\n---\n"

#define POLICY(name, app, mode, body)                                                  \
	"apiVersion: bulkhead/v1\nkind: WorkloadPolicy\nmetadata: {name: " name "}\n"        \
	"spec:\n  selector: {matchLabels: {app: " app "}}\n  mode: " mode "\n" body "---\n"

static void test_default_deny(void)
{
	struct dpi_policy *p = compile(WORKLOADS POLICY("api", "api", "protect",
		"  ingress:\n  - name: from-web\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"    ports: [{port: 8080, protocol: TCP}]\n")
		POLICY("pg", "pg", "protect", "  ingress: []\n"));

	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "%s\n", first_err);
		return;
	}
	/* selected for ingress: only what a rule allows */
	CHECK_V(l4(p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8080), ALLOW, "from-web");
	CHECK_V(l4(p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8081), DENY, "no-rule");
	CHECK_V(l4(p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 8080), DENY, "no-rule");
	CHECK_V(l4(p, "10.0.0.53", "10.0.0.2", IPPROTO_TCP, 8080), DENY, "no-rule");
	/* world (no workload) is no selector's peer */
	CHECK_V(l4(p, "192.0.2.1", "10.0.0.2", IPPROTO_TCP, 8080), DENY, "no-rule");
	/* its egress isn't restricted, and unselected workloads are free */
	CHECK_V(l4(p, "10.0.0.2", "10.0.0.53", IPPROTO_UDP, 53), ALLOW, "unrestricted");
	CHECK_V(l4(p, "10.0.0.1", "10.0.0.53", IPPROTO_UDP, 53), ALLOW, "unrestricted");
	/* ingress: [] denies everything */
	CHECK_V(l4(p, "10.0.0.2", "10.0.0.5", IPPROTO_TCP, 5432), DENY, "no-rule");
	/* the verdict names the policy, the mode and the end */
	{
		struct bh_verdict v = l4(p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8081);

		CHECK(v.policy && !strcmp(v.policy, "api"));
		CHECK_EQ(v.mode, BH_MODE_PROTECT);
		CHECK(v.direction && !strcmp(v.direction, "ingress"));
		v = l4(p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8080);
		CHECK(v.rule && !strcmp(v.rule, "from-web"));
	}
	/* the IPv6 address of the same workload */
	CHECK_V(l4(p, "10.0.0.1", "fd00::2", IPPROTO_TCP, 8080), ALLOW, "from-web");
	dpi_policy_free(p);
}

static void test_union_both_ends(void)
{
	struct dpi_policy *p = compile(WORKLOADS POLICY("api-a", "api", "protect",
		"  ingress:\n  - name: from-web\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"    ports: [{port: 8080}]\n")
		POLICY("api-b", "api", "protect",
		"  ingress:\n  - name: from-lab\n    from: [{cidr: 10.9.0.0/16, except: [10.9.9.0/24]}]\n"
		"    ports: [{port: 8080}, {port: 9000, endPort: 9010}]\n")
		POLICY("web", "web", "protect",
		"  egress:\n  - name: to-dns\n    to: [{selector: {matchLabels: {app: dns}}}]\n"
		"    ports: [{port: 53, protocol: UDP}]\n"));

	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "%s\n", first_err);
		return;
	}
	/* two policies select api: their rules are one union */
	CHECK_V(l4(p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8080), DENY, "no-rule");
	CHECK_V(l4(p, "10.9.1.1", "10.0.0.2", IPPROTO_TCP, 8080), ALLOW, "from-lab");
	CHECK_V(l4(p, "10.9.1.1", "10.0.0.2", IPPROTO_TCP, 9005), ALLOW, "from-lab");
	CHECK_V(l4(p, "10.9.1.1", "10.0.0.2", IPPROTO_TCP, 9011), DENY, "no-rule");
	CHECK_V(l4(p, "10.9.9.1", "10.0.0.2", IPPROTO_TCP, 8080), DENY, "no-rule");
	/* web's egress is restricted: web -> api needs web's egress too */
	{
		struct bh_verdict v = l4(p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8080);

		CHECK(v.direction && !strcmp(v.direction, "egress"));
		CHECK(v.policy && !strcmp(v.policy, "web"));
	}
	CHECK_V(l4(p, "10.0.0.1", "10.0.0.53", IPPROTO_UDP, 53), ALLOW, "to-dns");
	/* the lab's 10.9/16 is a workload by prefix: 10.9.1.1 is "lab" */
	CHECK_V(l4(p, "10.9.1.1", "10.0.0.53", IPPROTO_UDP, 53), ALLOW, "unrestricted");
	dpi_policy_free(p);
}

static void test_modes(void)
{
	static const char *const modes[] = {"protect", "monitor", "learn"};
	static const enum bh_action want[] = {BH_ACT_DENY, BH_ACT_AUDIT, BH_ACT_LEARN};

	for (unsigned i = 0; i < 3; i++) {
		char doc[4096];
		struct dpi_policy *p;
		struct bh_verdict v;

		snprintf(doc, sizeof(doc), "%s" POLICY("api", "api", "%s",
			 "  ingress:\n  - name: from-web\n    from: [{selector: {matchLabels: {app: web}}}]\n"
			 "    ports: [{port: 8080}]\n    rules:\n      http: [{method: GET, path: /ok}]\n"),
			 WORKLOADS, modes[i]);
		p = compile(doc);
		CHECK(p != NULL);
		if (!p)
			continue;
		v = l4(p, "10.0.0.53", "10.0.0.2", IPPROTO_TCP, 8080);
		CHECK_EQ(v.action, want[i]);
		CHECK_EQ(v.mode, i);
		v = http(p, NULL, "10.0.0.1", "10.0.0.2", 8080, "GET /no HTTP/1.1\r\nHost: a\r\n\r\n",
			 NULL);
		CHECK_EQ(v.action, want[i]);
		CHECK(v.reason && !strcmp(v.reason, "l7-no-match"));
		dpi_policy_free(p);
	}
	/* each end fails in its own mode: a monitored client, a protected server */
	{
		struct dpi_policy *p = compile(WORKLOADS POLICY("api", "api", "protect",
			"  ingress:\n  - name: from-web\n    from: [{selector: {matchLabels: {app: web}}}]\n")
			POLICY("web", "web", "monitor", "  egress: []\n"));

		CHECK(p != NULL);
		if (p) {
			CHECK_V(l4(p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8080), BH_ACT_AUDIT,
				"no-rule");
			CHECK_V(l4(p, "10.0.0.53", "10.0.0.2", IPPROTO_TCP, 8080), DENY, "no-rule");
			dpi_policy_free(p);
		}
	}
}

#define API_HTTP(rules)                                                                  \
	WORKLOADS POLICY("api", "api", "protect",                                          \
		"  ingress:\n  - name: from-web\n    from: [{selector: {matchLabels: {app: web}}}]\n" \
		"    ports: [{port: 8080}]\n    rules:\n      http:\n" rules)

static struct bh_verdict req(const struct dpi_policy *p, const char *r)
{
	return http(p, NULL, "10.0.0.1", "10.0.0.2", 8080, r, NULL);
}

static void test_http(void)
{
	struct dpi_policy *p = compile(API_HTTP(
		"      - {method: \"GET|POST\", path: \"/v1/orders(/[0-9]+)?\"}\n"
		"      - {method: GET, path: /healthz, headers: [{name: X-Probe, value: kubelet}]}\n"
		"      - {path: /public/.*, host: \"static\\\\.shop\\\\.example\"}\n"));

	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "%s\n", first_err);
		return;
	}
	CHECK_V(req(p, "GET /v1/orders HTTP/1.1\r\nHost: a\r\n\r\n"), ALLOW, "from-web");
	CHECK_V(req(p, "POST /v1/orders/17 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
		ALLOW, "from-web");
	/* fields of an entry are AND'd */
	CHECK_V(req(p, "DELETE /v1/orders/17 HTTP/1.1\r\nHost: a\r\n\r\n"), DENY, "l7-no-match");
	/* whole-field regexes */
	CHECK_V(req(p, "GET /v1/orders/17/x HTTP/1.1\r\nHost: a\r\n\r\n"), DENY, "l7-no-match");
	CHECK_V(req(p, "GET /x/v1/orders HTTP/1.1\r\nHost: a\r\n\r\n"), DENY, "l7-no-match");
	CHECK_V(req(p, "PUT /v1/orders HTTP/1.1\r\nHost: a\r\n\r\n"), DENY, "l7-no-match");
	/* not a method HTTP knows: not HTTP, so not inspectable */
	CHECK_V(req(p, "GETX /v1/orders HTTP/1.1\r\nHost: a\r\n\r\n"), DENY, "unparsed");
	/* paths after normalisation */
	CHECK_V(req(p, "GET /v1/x/../orders/%31%37 HTTP/1.1\r\nHost: a\r\n\r\n"), ALLOW,
		"from-web");
	CHECK_V(req(p, "GET /v1/orders/17/../../../admin HTTP/1.1\r\nHost: a\r\n\r\n"), DENY,
		"l7-no-match");
	CHECK_V(req(p, "GET //v1//orders HTTP/1.1\r\nHost: a\r\n\r\n"), ALLOW, "from-web");
	/* headers: name case-insensitive, value whole */
	CHECK_V(req(p, "GET /healthz HTTP/1.1\r\nHost: a\r\nx-probe: kubelet\r\n\r\n"), ALLOW,
		"from-web");
	CHECK_V(req(p, "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Probe: kubelet2\r\n\r\n"), DENY,
		"l7-no-match");
	CHECK_V(req(p, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"), DENY, "l7-no-match");
	/* host, case-insensitively, without its port */
	CHECK_V(req(p, "GET /public/a.css HTTP/1.1\r\nHost: STATIC.shop.example:8080\r\n\r\n"),
		ALLOW, "from-web");
	CHECK_V(req(p, "GET /public/a.css HTTP/1.1\r\nHost: static.shop.example.evil\r\n\r\n"),
		DENY, "l7-no-match");
	/* a request the L4 check refused never gets to L7 */
	CHECK_V(http(p, NULL, "10.0.0.53", "10.0.0.2", 8080, "GET /v1/orders HTTP/1.1\r\n\r\n", NULL),
		DENY, "no-rule");
	dpi_policy_free(p);
}

/* Regexes are split into a literal prefix compared as bytes and a tail for
 * Hyperscan where that means the same: quantifiers, alternation, classes
 * and escapes right after the prefix. */
static void test_http_prefix(void)
{
	struct dpi_policy *p = compile(API_HTTP(
		"      - {path: \"/ab+\"}\n"
		"      - {path: \"/c|/d\"}\n"
		"      - {path: \"/x[^/]+\"}\n"
		"      - {path: \"/e\\\\.f\"}\n"
		"      - {path: \"/g(h|i)?\"}\n"
		"      - {path: \"/k{2}\"}\n"
		"      - {path: \"/m[]x]\"}\n"));
	static const struct {
		const char *path;
		bool ok;
	} cases[] = {
		{"/ab", true},   {"/abbb", true}, {"/a", false},     {"/c", true},
		{"/d", true},    {"/cd", false},  {"/xyz", true},    {"/x", false},
		{"/x/y", false}, {"/e.f", true},  {"/eXf", false},   {"/g", true},
		{"/gh", true},   {"/gj", false},  {"/kk", true},     {"/k", false},
		{"/mx", true},   {"/m]", true},   {"/my", false},
	};

	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "%s\n", first_err);
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char r[128];
		struct bh_verdict v;

		snprintf(r, sizeof(r), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", cases[i].path);
		v = req(p, r);
		CHECK_EQ(v.action, cases[i].ok ? ALLOW : DENY);
		if (v.action != (cases[i].ok ? ALLOW : DENY))
			fprintf(stderr, "  path %s\n", cases[i].path);
	}
	dpi_policy_free(p);
}

/* After a denial the flow is reset: a pipelined request behind it is not
 * reported, the one before it keeps its verdict. */
static void test_reset(void)
{
	struct dpi_policy *p = compile(API_HTTP("      - {method: GET, path: /ok}\n"));
	struct cap c;

	CHECK(p != NULL);
	if (!p)
		return;
	http(p, NULL, "10.0.0.1", "10.0.0.2", 8080,
	     "GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /no HTTP/1.1\r\nHost: a\r\n\r\n"
	     "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n",
	     &c);
	CHECK_EQ(c.n, 2);
	CHECK_EQ(c.nv, 1);
	CHECK(c.has_v[0] && c.has_v[1]);
	CHECK_EQ(c.v[0].action + c.v[1].action, BH_ACT_DENY); /* one allow, one deny */
	dpi_policy_free(p);
}

static void test_shadow(void)
{
	struct dpi_policy *p = compile(WORKLOADS POLICY("api", "api", "protect",
		"  ingress:\n  - name: l7\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"    ports: [{port: 8080}]\n    rules:\n      http: [{path: /a}]\n"
		"  - name: wide\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"    ports: [{port: 8000, endPort: 9000}]\n"));

	CHECK(p == NULL);
	CHECK(strstr(first_err, "t.yaml:") && strstr(first_err, "shadowed"));
	if (!strstr(first_err, "shadowed"))
		fprintf(stderr, "  got: %s\n", first_err);
	/* another peer with no L7 rules is no shadow: a different peer */
	p = compile(WORKLOADS POLICY("api", "api", "protect",
		"  ingress:\n  - name: l7\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"    ports: [{port: 8080}]\n    rules:\n      http: [{path: /a}]\n"
		"  - name: other\n    from: [{selector: {matchLabels: {app: dns}}}]\n"
		"    ports: [{port: 8080}]\n"));
	CHECK(p != NULL);
	dpi_policy_free(p);
	/* two policies meeting on one workload */
	p = compile(WORKLOADS POLICY("api-a", "api", "protect",
		"  ingress:\n  - name: l7\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"    ports: [{port: 8080}]\n    rules:\n      http: [{path: /a}]\n")
		POLICY("api-b", "api", "protect",
		"  ingress:\n  - name: any\n")); /* every peer, every port */
	CHECK(p == NULL);
	CHECK(strstr(first_err, "api-b") != NULL);
	dpi_policy_free(p);
	/* three policies on one workload: the first and the third meet too */
	p = compile(WORKLOADS POLICY("api-a", "api", "protect",
		"  ingress:\n  - name: l7\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"    ports: [{port: 8080}]\n    rules:\n      http: [{path: /a}]\n")
		POLICY("api-b", "api", "protect",
		"  ingress:\n  - name: other\n    from: [{selector: {matchLabels: {app: dns}}}]\n")
		POLICY("api-c", "api", "protect",
		"  ingress:\n  - name: wide\n    from: [{selector: {matchLabels: {app: web}}}]\n"));
	CHECK(p == NULL);
	CHECK(strstr(first_err, "api-c") != NULL && strstr(first_err, "shadowed"));
	if (!strstr(first_err, "api-c"))
		fprintf(stderr, "  got: %s\n", first_err);
	dpi_policy_free(p);
	/* a regex Hyperscan refuses, at its place */
	p = compile(API_HTTP("      - {path: \"(a)\\\\1\"}\n"));
	CHECK(p == NULL);
	CHECK(strstr(first_err, "Hyperscan") != NULL);
}

static void test_dns(void)
{
	struct dpi_policy *p = compile(WORKLOADS POLICY("api", "api", "protect",
		"  egress:\n  - name: to-dns\n    to: [{selector: {matchLabels: {app: dns}}}]\n"
		"    ports: [{port: 53, protocol: UDP}]\n    rules:\n      dns:\n"
		"      - {matchPattern: \"*.svc.cluster.local\"}\n"
		"      - {matchName: api.example.com}\n"
		"      - {matchPattern: \"cdn.*.example.net\"}\n"));

	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "%s\n", first_err);
		return;
	}
	CHECK_V(dns(p, "10.0.0.2", "10.0.0.53", "pg.svc.cluster.local"), ALLOW, "to-dns");
	CHECK_V(dns(p, "10.0.0.2", "10.0.0.53", "a.b.svc.cluster.local"), ALLOW, "to-dns");
	CHECK_V(dns(p, "10.0.0.2", "10.0.0.53", "PG.Svc.Cluster.LOCAL"), ALLOW, "to-dns");
	CHECK_V(dns(p, "10.0.0.2", "10.0.0.53", "svc.cluster.local"), DENY, "l7-no-match");
	CHECK_V(dns(p, "10.0.0.2", "10.0.0.53", "xsvc.cluster.local"), DENY, "l7-no-match");
	CHECK_V(dns(p, "10.0.0.2", "10.0.0.53", "API.example.com"), ALLOW, "to-dns");
	CHECK_V(dns(p, "10.0.0.2", "10.0.0.53", "x.api.example.com"), DENY, "l7-no-match");
	CHECK_V(dns(p, "10.0.0.2", "10.0.0.53", "cdn.eu.example.net"), ALLOW, "to-dns");
	CHECK_V(dns(p, "10.0.0.2", "10.0.0.53", "cdn.eu.west.example.net"), ALLOW, "to-dns");
	CHECK_V(dns(p, "10.0.0.2", "10.0.0.53", "cdn.example.net"), DENY, "l7-no-match");
	dpi_policy_free(p);
}

/* The label matcher behind matchPattern, against a brute-force reading of
 * "'*' is one or more labels". */
static bool brute(const char *const *pat, int np, const char *const *lab, int nl)
{
	if (!np)
		return !nl;
	if (!strcmp(pat[0], "*")) {
		for (int k = 1; k <= nl; k++)
			if (brute(pat + 1, np - 1, lab + k, nl - k))
				return true;
		return false;
	}
	return nl && !strcasecmp(pat[0], lab[0]) && brute(pat + 1, np - 1, lab + 1, nl - 1);
}

static void test_dns_labels(void)
{
	static const char *const words[] = {"a", "b", "x", "*"};
	unsigned seed = 7, tried = 0;

	for (int iter = 0; iter < 20000; iter++) {
		const char *pat[5], *lab[7];
		struct pol_dlabel dl[10];
		char name[64] = "";
		int np = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 4, nl, k = 0;

		nl = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 6;
		for (int i = 0; i < np; i++) {
			pat[i] = words[((seed = seed * 1103515245 + 12345) >> 16) % 4];
			if (!strcmp(pat[i], "*")) {
				dl[k++] = (struct pol_dlabel){DL_ANY, 0, NULL};
				dl[k++] = (struct pol_dlabel){DL_STAR, 0, NULL};
			} else {
				dl[k++] = (struct pol_dlabel){DL_LIT, 1, pat[i]};
			}
		}
		for (int i = 0; i < nl; i++) {
			lab[i] = words[((seed = seed * 1103515245 + 12345) >> 16) % 3];
			strcat(name, i ? "." : "");
			strcat(name, lab[i]);
		}
		CHECK_EQ(dpi_pol_dns_match(dl, (uint32_t)k, name, (uint32_t)strlen(name)),
			 brute(pat, np, lab, nl));
		tried++;
	}
	CHECK_EQ(tried, 20000);
	{
		struct pol_dlabel any[2] = {{DL_ANY, 0, NULL}, {DL_STAR, 0, NULL}};

		CHECK(!dpi_pol_dns_match(any, 2, "", 0));
		CHECK(dpi_pol_dns_match(any, 2, "A.B", 3));
	}
}

static void test_sql(void)
{
	struct dpi_policy *p = compile(WORKLOADS POLICY("api", "api", "protect",
		"  egress:\n  - name: to-pg\n    to: [{selector: {matchLabels: {app: pg}}}]\n"
		"    ports: [{port: 5432}]\n    rules:\n      sql:\n        allow:\n"
		"        - {statements: [SELECT, INSERT], tables: [orders, order_items]}\n"
		"        - {statements: [SELECT], tables: [shop.catalog]}\n"
		"        - {statements: [BEGIN, COMMIT]}\n"
		"        - {tables: [scratch]}\n"));

	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "%s\n", first_err);
		return;
	}
	CHECK_V(sql(p, "SELECT * FROM orders WHERE id = 1"), ALLOW, "to-pg");
	CHECK_V(sql(p, "insert into order_items values (1, 2)"), ALLOW, "to-pg");
	CHECK_V(sql(p, "UPDATE orders SET x = 1"), DENY, "l7-no-match");
	CHECK_V(sql(p, "SELECT * FROM users"), DENY, "l7-no-match");
	/* every table of a statement: joins and subqueries */
	CHECK_V(sql(p, "SELECT * FROM orders o JOIN order_items i ON i.o = o.id"), ALLOW, "to-pg");
	CHECK_V(sql(p, "SELECT * FROM orders WHERE id IN (SELECT id FROM users)"), DENY,
		"l7-no-match");
	/* every statement of a query */
	CHECK_V(sql(p, "BEGIN; INSERT INTO orders VALUES (1); COMMIT"), ALLOW, "to-pg");
	CHECK_V(sql(p, "SELECT 1 FROM orders; DELETE FROM orders"), DENY, "l7-no-match");
	/* statements without tables: all tables; tables without statements:
	 * all statements */
	CHECK_V(sql(p, "DELETE FROM scratch"), ALLOW, "to-pg");
	CHECK_V(sql(p, "DROP TABLE scratch"), ALLOW, "to-pg");
	CHECK_V(sql(p, "ROLLBACK"), ALLOW, "to-pg"); /* kind with no table: scratch entry */
	/* schema-qualified against the session's database (shop) */
	CHECK_V(sql(p, "SELECT * FROM catalog"), DENY, "l7-no-match"); /* public.catalog */
	CHECK_V(sql(p, "SELECT * FROM shop.catalog"), ALLOW, "to-pg");
	CHECK_V(sql(p, "SELECT * FROM public.orders"), ALLOW, "to-pg");
	/* A long statement is decided whole; one longer than the parser holds
	 * (DPI_MAX_PENDING, 64 KiB) can't be, and is unparsed. */
	for (size_t cap = 60000; cap <= 100000; cap += 40000) {
		char *big = malloc(cap);

		if (!big)
			abort();
		strcpy(big, "INSERT INTO orders VALUES (0)");
		for (size_t n = strlen(big); n + 8 < cap - 1;)
			n += (size_t)snprintf(big + n, cap - n, ",(%zu)", n % 1000);
		if (cap < 64 * 1024)
			CHECK_V(sql(p, big), ALLOW, "to-pg");
		else
			CHECK_V(sql(p, big), DENY, "unparsed");
		free(big);
	}
	dpi_policy_free(p);
}

/* A TLS ClientHello, for data an HTTP rule can't read. */
static const char hello[] = "\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03"
			    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x00\x00\x02\x00\x2f\x01\x00";

static void test_unparsed(void)
{
	struct dpi_policy *p = compile(API_HTTP("      - {path: /ok}\n"));
	struct bh_verdict v;
	struct cap c;

	CHECK(p != NULL);
	if (!p)
		return;
	/* TLS on a plain-text HTTP rule */
	v = http(p, NULL, "10.0.0.1", "10.0.0.2", 8080, "", &c);
	{
		struct tf t;

		tf_open(&t, p, NULL, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8080);
		tf_send(&t, 0, hello, sizeof(hello) - 1);
		tf_close(&t);
		CHECK_EQ(t.c.nv, 1);
		CHECK_V(t.c.late[0], DENY, "unparsed");
	}
	/* garbage that is no HTTP */
	{
		struct tf t;
		static const char junk[] = "\x01\x02\x03\x04 not http at all\r\n\r\n";

		tf_open(&t, p, NULL, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8080);
		for (int i = 0; i < 40; i++)
			tf_send(&t, 0, junk, sizeof(junk) - 1);
		tf_close(&t);
		CHECK(t.c.nv >= 1);
		if (t.c.nv)
			CHECK_V(t.c.late[0], DENY, "unparsed");
	}
	/* a hole in the request stream */
	{
		struct tf t;

		tf_open(&t, p, NULL, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8080);
		tf_send(&t, 0, "GET /ok HTTP/1.1\r\n", 18);
		dpi_stream(t.w, &t.f, &t.c, &t.m, 0, NULL, 100, DPI_DATA_GAP);
		tf_close(&t);
		CHECK(t.c.nv >= 1);
		if (t.c.nv)
			CHECK_V(t.c.late[0], DENY, "unparsed");
	}
	dpi_policy_free(p);
	/* onUnparsed: allow */
	p = compile(WORKLOADS POLICY("api", "api", "protect",
		"  onUnparsed: allow\n  ingress:\n  - name: from-web\n"
		"    from: [{selector: {matchLabels: {app: web}}}]\n"
		"    ports: [{port: 8080}]\n    rules:\n      http: [{path: /ok}]\n"));
	CHECK(p != NULL);
	if (p) {
		struct tf t;

		tf_open(&t, p, NULL, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8080);
		tf_send(&t, 0, hello, sizeof(hello) - 1);
		tf_close(&t);
		CHECK_EQ(t.c.nv, 0);
		dpi_policy_free(p);
	}
	(void)v;
}

static void test_signatures(void)
{
	static const char *const sqli = "GET /v1/orders?id=1%27%20OR%20%271%27=%271 HTTP/1.1\r\n"
					"Host: a\r\n\r\n";
	struct dpi_sigs_config sc = {.sets = DPI_SETS_BUILTIN};
	struct dpi_sigs *s = NULL;
	struct dpi_policy *p;
	struct bh_verdict v;
	struct cap c;

	CHECK_EQ(dpi_sigs_new(&sc, &s), 0);
	p = compile(WORKLOADS POLICY("api", "api", "protect",
		"  ingress:\n  - name: from-web\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"  signatures: {sets: [sqli], action: deny}\n"));
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ(dpi_policy_sig_sets(p), 1u << DPI_SET_SQLI);
		v = http(p, s, "10.0.0.1", "10.0.0.2", 8080, sqli, &c);
		CHECK_V(v, DENY, "signature");
		CHECK(v.sid != 0);
		CHECK(c.nalerts >= 1 && !strcmp(c.alert_action[0], "blocked"));
		v = http(p, s, "10.0.0.1", "10.0.0.2", 8080,
			 "GET /v1/orders?id=17 HTTP/1.1\r\nHost: a\r\n\r\n", NULL);
		CHECK_V(v, ALLOW, "from-web");
		dpi_policy_free(p);
	}
	/* action: alert only alerts; monitor mode alerts too */
	p = compile(WORKLOADS POLICY("api", "api", "protect",
		"  ingress:\n  - name: from-web\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"  signatures: {sets: [sqli], action: alert}\n"));
	CHECK(p != NULL);
	if (p) {
		v = http(p, s, "10.0.0.1", "10.0.0.2", 8080, sqli, &c);
		CHECK_V(v, ALLOW, "from-web");
		CHECK(c.nalerts >= 1 && !strcmp(c.alert_action[0], "allowed"));
		dpi_policy_free(p);
	}
	p = compile(WORKLOADS POLICY("api", "api", "monitor",
		"  ingress:\n  - name: from-web\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"  signatures: {sets: [sqli], action: deny}\n"));
	CHECK(p != NULL);
	if (p) {
		v = http(p, s, "10.0.0.1", "10.0.0.2", 8080, sqli, &c);
		CHECK_V(v, BH_ACT_AUDIT, "signature");
		CHECK(c.nalerts >= 1 && !strcmp(c.alert_action[0], "allowed"));
		dpi_policy_free(p);
	}
	dpi_sigs_free(s);
}

/* A class of more than POL_SLICE regexes is compiled in slices: every
 * slice matches, and a bad regex in any of them is named at its place. */
static void test_many_regexes(void)
{
	enum { N = 600 }; /* three slices of POL_SLICE */
	size_t cap = N * 48 + 4096, n;
	char *doc = malloc(cap);
	struct dpi_policy *p;
	unsigned bad_line;

	if (!doc)
		abort();
	for (int pass = 0; pass < 2; pass++) {
		/* the document without its closing "---" line */
		n = (size_t)snprintf(doc, cap, "%s", API_HTTP("")) - 4;
		bad_line = 0;
		for (int i = 0; i < N; i++) {
			bool bad = pass == 1 && i == N - 7;

			/* a leading group: no literal prefix to split off, so
			 * every regex is Hyperscan's */
			n += (size_t)snprintf(doc + n, cap - n, "      - {path: \"(/s%d)/%s\"}\n", i,
					      bad ? "(a)\\\\1" : "[0-9]+");
			if (bad) {
				bad_line = 1;
				for (const char *c = doc; c < doc + n - 1; c++)
					bad_line += *c == '\n';
			}
		}
		p = compile(doc);
		if (pass == 0) {
			CHECK(p != NULL);
			if (!p) {
				fprintf(stderr, "%s\n", first_err);
				continue;
			}
			CHECK_V(req(p, "GET /s0/1 HTTP/1.1\r\nHost: a\r\n\r\n"), ALLOW, "from-web");
			CHECK_V(req(p, "GET /s300/12 HTTP/1.1\r\nHost: a\r\n\r\n"), ALLOW, "from-web");
			CHECK_V(req(p, "GET /s599/7 HTTP/1.1\r\nHost: a\r\n\r\n"), ALLOW, "from-web");
			CHECK_V(req(p, "GET /s599/x HTTP/1.1\r\nHost: a\r\n\r\n"), DENY, "l7-no-match");
			CHECK_V(req(p, "GET /s600/1 HTTP/1.1\r\nHost: a\r\n\r\n"), DENY, "l7-no-match");
			dpi_policy_free(p);
		} else {
			char want[32];

			snprintf(want, sizeof(want), "t.yaml:%u:", bad_line);
			CHECK(p == NULL);
			CHECK(!strncmp(first_err, want, strlen(want)) && strstr(first_err, "Hyperscan"));
			if (strncmp(first_err, want, strlen(want)))
				fprintf(stderr, "  want %s, got %s\n", want, first_err);
			dpi_policy_free(p);
		}
	}
	free(doc);
}


/* What inline enforcement asks of a flow: spoofed bridge ports, the fast
 * path's "nothing more to see", decisions again under a new policy, and an
 * empty connection on an L7 port (a TCP health probe). */
static void test_inline(void)
{
	static const char *const yaml =
		"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: web-1}\n"
		"labels: {app: web}\naddresses: [10.0.0.1]\ninterface: vethweb\n---\n"
		"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: api-1}\n"
		"labels: {app: api}\naddresses: [10.0.0.2]\n---\n"
		POLICY("api", "api", "protect",
		       "  ingress:\n  - name: web-http\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		       "    ports: [{port: 8080}]\n    rules:\n      http: [{path: /ok}]\n"
		       "  - name: web-bulk\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		       "    ports: [{port: 9000}]\n");
	struct dpi_policy *p = compile(yaml), *p2;
	const struct bh_verdict *v;
	struct tf t;

	CHECK(p != NULL);
	if (!p)
		return;
	/* L4-only rule: final at once; L7 rule: never */
	tf_open(&t, p, NULL, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 9000);
	CHECK_V(*t.open, ALLOW, "web-bulk");
	CHECK(dpi_flow_final(t.w, t.f));
	/* the client's own port: fine; another port: spoofed, denied */
	CHECK(dpi_flow_port(t.w, t.f, 0, "vethweb") == NULL);
	CHECK(dpi_flow_port(t.w, t.f, 1, "vethother") == NULL); /* api has no interface */
	v = dpi_flow_port(t.w, t.f, 0, "vethother");
	CHECK(v != NULL);
	if (v)
		CHECK_V(*v, DENY, "spoofed");
	CHECK(!dpi_flow_final(t.w, t.f));
	tf_close(&t);
	tf_open(&t, p, NULL, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 8080);
	CHECK_V(*t.open, ALLOW, "web-http");
	CHECK(!dpi_flow_final(t.w, t.f));
	/* no byte either way, then the end: no decision beyond L4 */
	dpi_stream(t.w, &t.f, &t.c, &t.m, 0, NULL, 0, DPI_DATA_EOF);
	dpi_stream(t.w, &t.f, &t.c, &t.m, 1, NULL, 0, DPI_DATA_EOF);
	tf_close(&t);
	CHECK_EQ(t.c.nv, 0);
	CHECK_EQ(t.c.n, 0);
	/* a new policy without the bulk rule: the open flow is denied */
	p2 = compile(WORKLOADS POLICY("api", "api", "protect", "  ingress: []\n"));
	CHECK(p2 != NULL);
	tf_open(&t, p, NULL, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 9000);
	if (p2 && dpi_worker_set_policy(t.w, p2) == 0) {
		v = dpi_flow_redecide(t.w, t.f, &t.c, &t.m);
		CHECK(v != NULL);
		if (v)
			CHECK_V(*v, DENY, "no-rule");
		CHECK(!dpi_flow_final(t.w, t.f));
	}
	tf_close(&t);
	dpi_policy_free(p2);
	/* TLS allowed at L4 only, then a policy with HTTP rules on its port:
	 * onUnparsed decides it, detection being long over */
	p2 = compile(WORKLOADS POLICY("api", "api", "protect",
		"  ingress:\n  - name: web-http\n    from: [{selector: {matchLabels: {app: web}}}]\n"
		"    ports: [{port: 9000}]\n    rules:\n      http: [{path: /ok}]\n"));
	CHECK(p2 != NULL);
	tf_open(&t, p, NULL, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 9000);
	tf_send(&t, 0, hello, sizeof(hello) - 1);
	CHECK_EQ(t.c.nv, 0);
	if (p2 && dpi_worker_set_policy(t.w, p2) == 0) {
		dpi_flow_redecide(t.w, t.f, &t.c, &t.m);
		CHECK_EQ(t.c.nv, 1);
		if (t.c.nv == 1)
			CHECK_V(t.c.late[0], DENY, "unparsed");
	}
	tf_close(&t);
	dpi_policy_free(p2);
	dpi_policy_free(p);
}

int main(void)
{
	RUN(test_default_deny);
	RUN(test_union_both_ends);
	RUN(test_modes);
	RUN(test_http);
	RUN(test_http_prefix);
	RUN(test_reset);
	RUN(test_shadow);
	RUN(test_dns);
	RUN(test_dns_labels);
	RUN(test_sql);
	RUN(test_unparsed);
	RUN(test_signatures);
	RUN(test_many_regexes);
	RUN(test_inline);
	return bh_test_summary();
}
