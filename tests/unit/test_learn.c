/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_learn - the learner (ctl_learn.h): hand-built events in, WorkloadPolicy
 * YAML out. One small case is compared as text; the others read the output
 * back with libfyaml and look at the values, so that they test what was
 * learned rather than how libfyaml lays it out. Every output must also load
 * with the policy loader and compile (ctl_policy_load_mem(),
 * dpi_policy_new()); test_roundtrip() checks the loaded structures and the
 * decisions a dpi worker takes with them.
 */
#include <arpa/inet.h>
#include <libfyaml.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "bh_test.h"
#include "bulkhead/bh_policy.h"
#include "bulkhead/dpi.h"
#include "ctl_learn.h"
#include "ctl_policy.h"

/* ---- events ---------------------------------------------------------- */

static void addr(union bh_addr *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	if (strchr(ip, ':')) {
		if (inet_pton(AF_INET6, ip, a->b) != 1)
			abort();
		return;
	}
	a->b[10] = a->b[11] = 0xff;
	if (inet_pton(AF_INET, ip, a->b + 12) != 1)
		abort();
}

static struct bh_str bs(const char *s)
{
	return (struct bh_str){s, (uint32_t)strlen(s)};
}

/* An event of @type on the flow @cip -> @sip:@dport, with the workloads of
 * the ends (NULL: none). */
static struct bh_event ev_base(enum bh_event_type type, const struct bh_workload_ref *cw,
			       const char *cip, const struct bh_workload_ref *sw, const char *sip,
			       uint16_t dport, uint8_t proto)
{
	struct bh_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.has_tuple = true;
	ev.has_flow = true;
	ev.tuple.family = strchr(cip, ':') ? AF_INET6 : AF_INET;
	ev.tuple.proto = proto;
	ev.tuple.has_proto = true;
	ev.tuple.has_ports = true;
	addr(&ev.tuple.src, cip);
	addr(&ev.tuple.dst, sip);
	ev.tuple.sport = 40000;
	ev.tuple.dport = dport;
	ev.src_workload = cw;
	ev.dest_workload = sw;
	ev.app_proto = "unknown";
	return ev;
}

/* A flow record: answered (SYN/ACK from the server) or not; @app with 100
 * bytes of payload each way. */
static struct bh_event ev_flow(const struct bh_workload_ref *cw, const char *cip,
			       const struct bh_workload_ref *sw, const char *sip, uint16_t dport,
			       uint8_t proto, const char *app)
{
	struct bh_event ev = ev_base(BH_EV_FLOW, cw, cip, sw, sip, dport, proto);

	ev.app_proto = app;
	ev.flow.app_proto = app;
	ev.flow.pkts[0] = 4;
	ev.flow.pkts[1] = 3;
	ev.flow.bytes[0] = 400;
	ev.flow.bytes[1] = 300;
	if (proto == IPPROTO_TCP) {
		ev.flow.tcp_flags[0] = 0x1a;
		ev.flow.tcp_flags[1] = 0x1a;
		ev.flow.tcp_state = BH_TCP_CLOSED;
		ev.flow.stream[0].delivered = 100;
		ev.flow.stream[1].delivered = 100;
	}
	return ev;
}

static struct bh_event ev_http(const struct bh_workload_ref *cw, const char *cip,
			       const struct bh_workload_ref *sw, const char *sip, uint16_t dport,
			       const char *method, const char *path)
{
	struct bh_event ev = ev_base(BH_EV_HTTP, cw, cip, sw, sip, dport, IPPROTO_TCP);

	ev.app_proto = "http";
	ev.http.method = bs(method);
	ev.http.url = bs(path);
	ev.http.url_normalized = bs(path);
	ev.http.protocol = bs("HTTP/1.1");
	ev.http.status = 200;
	return ev;
}

static struct bh_event ev_dns(const struct bh_workload_ref *cw, const char *cip,
			      const struct bh_workload_ref *sw, const char *sip, const char *name,
			      bool response)
{
	struct bh_event ev = ev_base(BH_EV_DNS, cw, cip, sw, sip, 53, IPPROTO_UDP);

	ev.app_proto = "dns";
	ev.dns.response = response;
	ev.dns.rrname = bs(name);
	ev.dns.rrtype = 1;
	return ev;
}

static struct bh_event ev_sql(const struct bh_workload_ref *cw, const char *cip,
			      const struct bh_workload_ref *sw, const char *sip,
			      const struct bh_sql_command *cmds, uint32_t n)
{
	struct bh_event ev = ev_base(BH_EV_SQL, cw, cip, sw, sip, 5432, IPPROTO_TCP);

	ev.app_proto = "pgsql";
	ev.sql.dialect = "pgsql";
	ev.sql.kind = "query";
	ev.sql.statement = bs("...");
	ev.sql.commands = cmds;
	ev.sql.ncommands = n;
	return ev;
}

/* ---- workloads --------------------------------------------------------- */

static const struct bh_kv fe_labels[] = {{.key = "app", .value = "frontend"},
					 {.key = "team", .value = "web"}};
static const struct bh_workload_ref fe1 = {"frontend-1", fe_labels, 2};
static const struct bh_kv fe2_labels[] = {{.key = "app", .value = "frontend"},
					  {.key = "pod-template-hash", .value = "7f9c"}};
static const struct bh_workload_ref fe2 = {"frontend-2", fe2_labels, 2};
static const struct bh_kv api_labels[] = {{.key = "app", .value = "orders-api"}};
static const struct bh_workload_ref api = {"orders-api-1", api_labels, 1};
static const struct bh_kv pg_labels[] = {{.key = "app.kubernetes.io/name", .value = "orders-pg"},
					 {.key = "tier", .value = "db"}};
static const struct bh_workload_ref pg = {"orders-pg-0", pg_labels, 2};
static const struct bh_kv batch_labels[] = {{.key = "role", .value = "batch"},
					    {.key = "team", .value = "data"}};
static const struct bh_workload_ref batch = {"batch-1", batch_labels, 2};
static const struct bh_workload_ref bare = {"bare-1", NULL, 0};

#define FE "10.0.0.1"
#define FE2 "10.0.0.5"
#define API "10.0.0.2"
#define PG "10.0.0.3"
#define BATCH "10.0.0.4"
#define BARE "10.0.0.9"

/* ---- output ------------------------------------------------------------ */

static void load_error(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "loader: %s\n", msg);
}

static void compile_error(void *ctx, bool warning, const char *msg)
{
	unsigned *errors = ctx;

	/* Without Workload documents every selector names labels no
	 * workload has: those warnings are expected here. */
	if (warning)
		return;
	(*errors)++;
	fprintf(stderr, "compiler: %s\n", msg);
}

static void compile_any(void *ctx, bool warning, const char *msg)
{
	unsigned *n = ctx;

	(*n)++;
	fprintf(stderr, "compiler: %s: %s\n", warning ? "warning" : "error", msg);
}

/* @yaml loads and compiles; returns the loaded set (free it). */
static struct ctl_policy *load(const char *yaml)
{
	struct ctl_policy *p = NULL;
	struct dpi_policy *dp = NULL;
	unsigned errors = 0;
	int r = ctl_policy_load_mem("learned.yaml", yaml, strlen(yaml), load_error, NULL, &p);

	CHECK_EQ(r, 0);
	if (r < 0) {
		fprintf(stderr, "the learned policy doesn't load:\n%s", yaml);
		return NULL;
	}
	r = dpi_policy_new(ctl_policy_doc(p), compile_error, &errors, &dp);
	CHECK_EQ(r, 0);
	CHECK_EQ(errors, 0);
	dpi_policy_free(dp);
	return p;
}

/* The learned YAML; checked to load and compile. */
static char *learned(struct ctl_learn *l)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f)
		abort();
	r = ctl_learn_write(l, f, err, sizeof(err));
	CHECK_EQ(r, 0);
	if (r)
		fprintf(stderr, "ctl_learn_write: %s\n", err);
	fclose(f);
	ctl_policy_free(load(buf));
	return buf;
}

struct docs {
	struct fy_document *d[16];
	unsigned n;
};

/* Every document of @yaml, read back with libfyaml. */
static void read_docs(const char *yaml, struct docs *ds)
{
	struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET};
	struct fy_parser *p = fy_parser_create(&cfg);
	struct fy_document *d;

	memset(ds, 0, sizeof(*ds));
	if (!p || fy_parser_set_string(p, yaml, strlen(yaml)) != 0)
		abort();
	while ((d = fy_parse_load_document(p))) {
		if (ds->n == 16)
			abort();
		ds->d[ds->n++] = d;
	}
	CHECK(!fy_parser_get_stream_error(p));
	fy_parser_destroy(p);
}

static void free_docs(struct docs *ds)
{
	for (unsigned i = 0; i < ds->n; i++)
		fy_document_destroy(ds->d[i]);
}

static struct fy_node *node_at(struct fy_document *d, const char *path)
{
	return d ? fy_node_by_path(fy_document_root(d), path, FY_NT, FYNWF_DONT_FOLLOW) : NULL;
}

/* The scalar at @path, or "" (so that checks read as strcmp()s). */
static const char *at(struct fy_document *d, const char *path)
{
	struct fy_node *n = node_at(d, path);
	const char *s = n ? fy_node_get_scalar0(n) : NULL;

	return s ? s : "";
}

static int count_at(struct fy_document *d, const char *path)
{
	struct fy_node *n = node_at(d, path);

	if (!n)
		return -1;
	return fy_node_is_sequence(n) ? fy_node_sequence_item_count(n) :
					fy_node_mapping_item_count(n);
}

static struct fy_document *policy(struct docs *ds, const char *name)
{
	for (unsigned i = 0; i < ds->n; i++)
		if (!strcmp(at(ds->d[i], "/metadata/name"), name))
			return ds->d[i];
	return NULL;
}

/* The scalars of the sequence at @path joined with ',' into @buf. */
static const char *joined(struct fy_document *d, const char *path, char *buf, size_t len)
{
	struct fy_node *n = node_at(d, path), *c;
	void *it = NULL;
	size_t used = 0;

	buf[0] = '\0';
	if (!n)
		return buf;
	while ((c = fy_node_sequence_iterate(n, &it))) {
		const char *s = fy_node_get_scalar0(c);

		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
					 s ? s : "?");
		if (used >= len)
			abort();
	}
	return buf;
}

#define CHECK_STR(a, b)                                                               \
	do {                                                                          \
		const char *_a = (a), *_b = (b);                                      \
		bh_test_checks++;                                                     \
		if (strcmp(_a, _b) != 0) {                                            \
			bh_test_failures++;                                           \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, \
				__LINE__, #a, _a, _b);                                \
		}                                                                     \
	} while (0)

static void feed(struct ctl_learn *l, struct bh_event ev)
{
	ctl_learn_event(l, &ev);
}

/* ---- tests ------------------------------------------------------------- */

static const char small_expected[] =
	"# WorkloadPolicy documents learned by bulkhead: each allows exactly the flows\n"
	"# and transactions seen, whatever was decided while they were seen.\n"
	"# ICMP is not learned: rules name ports, and ICMP has none.\n"
	"---\n"
	"apiVersion: bulkhead/v1\n"
	"kind: WorkloadPolicy\n"
	"metadata:\n"
	"  name: learned-frontend\n"
	"spec:\n"
	"  selector:\n"
	"    matchLabels:\n"
	"      app: frontend\n"
	"  mode: protect\n"
	"  ingress: []\n"
	"  egress:\n"
	"  - name: learned-orders-api-8080-tcp\n"
	"    to:\n"
	"    - selector:\n"
	"        matchLabels:\n"
	"          app: orders-api\n"
	"    ports:\n"
	"    - port: 8080\n"
	"      protocol: TCP\n"
	"    rules:\n"
	"      http:\n"
	"      - method: GET\n"
	"        path: /healthz\n"
	"      - method: GET|POST\n"
	"        path: '/v1/orders/[0-9]+'\n"
	"---\n"
	"apiVersion: bulkhead/v1\n"
	"kind: WorkloadPolicy\n"
	"metadata:\n"
	"  name: learned-orders-api\n"
	"spec:\n"
	"  selector:\n"
	"    matchLabels:\n"
	"      app: orders-api\n"
	"  mode: protect\n"
	"  ingress:\n"
	"  - name: learned-frontend-8080-tcp\n"
	"    from:\n"
	"    - selector:\n"
	"        matchLabels:\n"
	"          app: frontend\n"
	"    ports:\n"
	"    - port: 8080\n"
	"      protocol: TCP\n"
	"    rules:\n"
	"      http:\n"
	"      - method: GET\n"
	"        path: /healthz\n"
	"      - method: GET|POST\n"
	"        path: '/v1/orders/[0-9]+'\n"
	"  egress:\n"
	"  - name: learned-192.0.2.53-32-53-udp\n"
	"    to:\n"
	"    - cidr: 192.0.2.53/32\n"
	"    ports:\n"
	"    - port: 53\n"
	"      protocol: UDP\n"
	"    rules:\n"
	"      dns:\n"
	"      - matchName: api.example.com\n";

/* Two replicas of frontend call orders-api; orders-api asks a DNS server
 * that is no workload. */
static void test_small_exact(void)
{
	struct ctl_learn *l;
	char *out;

	CHECK_EQ(ctl_learn_new(&l), 0);
	feed(l, ev_flow(&fe1, FE, &api, API, 8080, IPPROTO_TCP, "http"));
	feed(l, ev_flow(&fe2, FE2, &api, API, 8080, IPPROTO_TCP, "http"));
	feed(l, ev_http(&fe1, FE, &api, API, 8080, "GET", "/v1/orders/17"));
	feed(l, ev_http(&fe2, FE2, &api, API, 8080, "POST", "/v1/orders/18"));
	feed(l, ev_http(&fe1, FE, &api, API, 8080, "GET", "/v1/orders/19"));
	feed(l, ev_http(&fe1, FE, &api, API, 8080, "GET", "/healthz"));
	feed(l, ev_flow(&api, API, NULL, "192.0.2.53", 53, IPPROTO_UDP, "dns"));
	feed(l, ev_dns(&api, API, NULL, "192.0.2.53", "api.example.com", false));
	feed(l, ev_dns(&api, API, NULL, "192.0.2.53", "api.example.com", true));
	out = learned(l);
	CHECK_STR(out, small_expected);
	free(out);
	ctl_learn_free(l);
}

/* The path patterns learned from the paths @in (GET each), as one string
 * "pattern;pattern;..." in output order. */
static void http_patterns(const char *const *in, size_t n, char *buf, size_t len)
{
	struct ctl_learn *l;
	struct docs ds;
	struct fy_document *d;
	char *out;
	size_t used = 0;
	int cnt;

	CHECK_EQ(ctl_learn_new(&l), 0);
	feed(l, ev_flow(&fe1, FE, &api, API, 80, IPPROTO_TCP, "http"));
	for (size_t i = 0; i < n; i++)
		feed(l, ev_http(&fe1, FE, &api, API, 80, "GET", in[i]));
	out = learned(l);
	read_docs(out, &ds);
	d = policy(&ds, "learned-orders-api");
	cnt = count_at(d, "/spec/ingress/0/rules/http");
	buf[0] = '\0';
	for (int i = 0; i < cnt; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/spec/ingress/0/rules/http/%d/path", i);
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ";" : "", at(d, p));
		if (used >= len)
			abort();
	}
	free_docs(&ds);
	free(out);
	ctl_learn_free(l);
}

static void test_generalise(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"/v1/orders/12345", "/v1/orders/[0-9]+"},
		{"/v1/orders/12345/items/7", "/v1/orders/[0-9]+/items/[0-9]+"},
		{"/u/0b9f5a3c-1234-4abc-9DEF-0123456789ab",
		 "/u/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"},
		{"/blob/0123456789abcdef", "/blob/[0-9a-fA-F]+"},
		{"/blob/0123456789abcde", "/blob/0123456789abcde"}, /* 15: a word maybe */
		{"/c/deadbeefcafe", "/c/deadbeefcafe"},
		{"/v2/users/42/avatar-7.png", "/v2/users/[0-9]+/avatar-7\\.png"},
		{"/a.b+c(d)", "/a\\.b\\+c\\(d\\)"},
		{"/q?x=[1]|{2}$^*", "/q\\?x=\\[1\\]\\|\\{2\\}\\$\\^\\*"},
		{"/sp ace/t\tab", "/sp\\x20ace/t\\x09ab"},
		{"/caf\xc3\xa9", "/caf\\xc3\\xa9"},
		{"/back\\slash", "/back\\\\slash"},
		{"/", "/"},
		{"/dir/", "/dir/"},
		{"/x/v1", "/x/v1"},
		{"/x/0", "/x/[0-9]+"},
	};
	char got[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in = cases[i].in;

		http_patterns(&in, 1, got, sizeof(got));
		CHECK_STR(got, cases[i].want);
	}
	/* Different ids, one pattern; sorted output. */
	{
		static const char *const in[] = {"/v1/orders/2", "/healthz", "/v1/orders/1",
						 "/v1/orders/33"};

		http_patterns(in, 4, got, sizeof(got));
		CHECK_STR(got, "/healthz;/v1/orders/[0-9]+");
	}
}

static void test_methods(void)
{
	struct ctl_learn *l;
	struct docs ds;
	struct fy_document *d;
	char *out;

	CHECK_EQ(ctl_learn_new(&l), 0);
	feed(l, ev_flow(&fe1, FE, &api, API, 80, IPPROTO_TCP, "http"));
	feed(l, ev_http(&fe1, FE, &api, API, 80, "POST", "/v1/orders/1"));
	feed(l, ev_http(&fe1, FE, &api, API, 80, "GET", "/v1/orders/2"));
	feed(l, ev_http(&fe1, FE, &api, API, 80, "DELETE", "/v1/orders/3"));
	feed(l, ev_http(&fe1, FE, &api, API, 80, "GET", "/v1/orders/4"));
	feed(l, ev_http(&fe1, FE, &api, API, 80, "GET", "/v1/orders"));
	feed(l, ev_http(&fe1, FE, &api, API, 80, "PUT", "/v1/orders"));
	feed(l, ev_http(&fe1, FE, &api, API, 80, "M-SEARCH", "*"));
	out = learned(l);
	read_docs(out, &ds);
	d = policy(&ds, "learned-orders-api");
	CHECK_EQ(count_at(d, "/spec/ingress/0/rules/http"), 3);
	CHECK_STR(at(d, "/spec/ingress/0/rules/http/0/path"), "/v1/orders");
	CHECK_STR(at(d, "/spec/ingress/0/rules/http/0/method"), "GET|PUT");
	CHECK_STR(at(d, "/spec/ingress/0/rules/http/1/path"), "/v1/orders/[0-9]+");
	CHECK_STR(at(d, "/spec/ingress/0/rules/http/1/method"), "DELETE|GET|POST");
	CHECK_STR(at(d, "/spec/ingress/0/rules/http/2/path"), "\\*");
	CHECK_STR(at(d, "/spec/ingress/0/rules/http/2/method"), "M-SEARCH");
	/* The client's egress rule carries the same entries. */
	d = policy(&ds, "learned-frontend");
	CHECK_STR(at(d, "/spec/egress/0/rules/http/1/method"), "DELETE|GET|POST");
	CHECK_EQ(count_at(d, "/spec/egress/0/rules/http"), 3);
	free_docs(&ds);
	free(out);
	ctl_learn_free(l);
}

static void test_sql(void)
{
	static const struct bh_str t_orders[] = {{"orders", 6}, {"order_items", 11}};
	static const struct bh_str t_cat[] = {{"catalog", 7}};
	static const struct bh_str t_q[] = {{"Shop.AuditLog", 13}, {"a b", 3}, {"db.*", 4}};
	static const struct bh_sql_command q1[] = {
		{"BEGIN", NULL, 0},
		{"SELECT", t_orders, 2},
		{"INSERT", t_orders, 1},
		{"COMMIT", NULL, 0},
	};
	static const struct bh_sql_command q2[] = {
		{"INSERT", t_orders + 1, 1},
		{"UPDATE", t_orders, 2},
		{"SELECT", t_cat, 1},
		{"SELECT", NULL, 0}, /* SELECT 1: no table to refuse */
		{"SET", NULL, 0},
		{"DELETE", t_q, 1},
		{"DROP", t_q + 1, 1}, /* only a table no document can name: left out */
		{"GRANT", t_q + 2, 1},
	};
	struct ctl_learn *l;
	struct docs ds;
	struct fy_document *d;
	char *out, buf[256];

	CHECK_EQ(ctl_learn_new(&l), 0);
	feed(l, ev_flow(&api, API, &pg, PG, 5432, IPPROTO_TCP, "pgsql"));
	feed(l, ev_sql(&api, API, &pg, PG, q1, 4));
	feed(l, ev_sql(&api, API, &pg, PG, q2, 8));
	feed(l, ev_sql(&api, API, &pg, PG, q1, 4));
	out = learned(l);
	read_docs(out, &ds);
	d = policy(&ds, "learned-orders-pg");
	CHECK_STR(at(d, "/spec/selector/matchLabels/'app.kubernetes.io/name'"), "orders-pg");
	CHECK_STR(at(d, "/spec/ingress/0/name"), "learned-orders-api-5432-tcp");
	CHECK_EQ(count_at(d, "/spec/ingress/0/rules/sql/allow"), 4);
	/* In the order of each entry's first statement kind. */
	CHECK_STR(joined(d, "/spec/ingress/0/rules/sql/allow/0/statements", buf, sizeof(buf)),
		  "BEGIN,COMMIT,SET");
	CHECK_EQ(count_at(d, "/spec/ingress/0/rules/sql/allow/0/tables"), -1);
	CHECK_STR(joined(d, "/spec/ingress/0/rules/sql/allow/1/statements", buf, sizeof(buf)),
		  "DELETE");
	CHECK_STR(joined(d, "/spec/ingress/0/rules/sql/allow/1/tables", buf, sizeof(buf)),
		  "Shop.AuditLog");
	CHECK(strstr(out, "left out (what used them stays denied):\n#   table a b\n#   table db.*\n"));
	CHECK_STR(joined(d, "/spec/ingress/0/rules/sql/allow/2/statements", buf, sizeof(buf)),
		  "INSERT,UPDATE");
	CHECK_STR(joined(d, "/spec/ingress/0/rules/sql/allow/2/tables", buf, sizeof(buf)),
		  "order_items,orders");
	CHECK_STR(joined(d, "/spec/ingress/0/rules/sql/allow/3/statements", buf, sizeof(buf)),
		  "SELECT");
	CHECK_STR(joined(d, "/spec/ingress/0/rules/sql/allow/3/tables", buf, sizeof(buf)),
		  "catalog,order_items,orders");
	d = policy(&ds, "learned-orders-api");
	CHECK_STR(at(d, "/spec/egress/0/to/0/selector/matchLabels/'app.kubernetes.io/name'"),
		  "orders-pg");
	CHECK_STR(joined(d, "/spec/egress/0/rules/sql/allow/3/tables", buf, sizeof(buf)),
		  "catalog,order_items,orders");
	free_docs(&ds);
	free(out);
	ctl_learn_free(l);
}

/* SQL that no entry can allow is denied as unparsed behind SQL rules:
 * such a (peer, port) is L4 only. COM_INIT_DB is the statement USE. */
static void test_sql_unparsed(void)
{
	static const struct bh_str t[] = {{"orders", 6}};
	static const struct bh_sql_command sel[] = {{"SELECT", t, 1}};
	static const struct bh_sql_command other[] = {{"OTHER", NULL, 0}};
	struct ctl_learn *l;
	struct bh_event ev;
	struct docs ds;
	struct fy_document *d;
	char *out, buf[128];

	CHECK_EQ(ctl_learn_new(&l), 0);
	/* 5432: fine; 5433: a statement of no known kind; 5434: one cut
	 * short; 5435: an incomplete analysis (an anomaly event). */
	for (uint16_t port = 5432; port <= 5435; port++) {
		feed(l, ev_flow(&api, API, &pg, PG, port, IPPROTO_TCP, "pgsql"));
		ev = ev_sql(&api, API, &pg, PG, sel, 1);
		ev.tuple.dport = port;
		feed(l, ev);
	}
	ev = ev_sql(&api, API, &pg, PG, other, 1);
	ev.tuple.dport = 5433;
	feed(l, ev);
	ev = ev_sql(&api, API, &pg, PG, sel, 1);
	ev.tuple.dport = 5434;
	ev.sql.truncated = true;
	feed(l, ev);
	ev = ev_base(BH_EV_ANOMALY, &api, API, &pg, PG, 5435, IPPROTO_TCP);
	ev.anomaly.type = "applayer";
	ev.anomaly.event = "sql.analysis_incomplete";
	feed(l, ev);
	/* MySQL's COM_INIT_DB: no commands, the kind init_db. */
	feed(l, ev_flow(&api, API, &pg, PG, 3306, IPPROTO_TCP, "mysql"));
	ev = ev_sql(&api, API, &pg, PG, NULL, 0);
	ev.tuple.dport = 3306;
	ev.sql.dialect = "mysql";
	ev.sql.kind = "init_db";
	feed(l, ev);
	ev = ev_sql(&api, API, &pg, PG, sel, 1);
	ev.tuple.dport = 3306;
	feed(l, ev);
	out = learned(l);
	read_docs(out, &ds);
	d = policy(&ds, "learned-orders-pg");
	CHECK_STR(at(d, "/spec/ingress/0/name"), "learned-orders-api-3306-tcp");
	CHECK_STR(joined(d, "/spec/ingress/0/rules/sql/allow/0/statements", buf, sizeof(buf)),
		  "SELECT");
	CHECK_STR(joined(d, "/spec/ingress/0/rules/sql/allow/1/statements", buf, sizeof(buf)),
		  "USE");
	CHECK_STR(at(d, "/spec/ingress/1/name"), "learned-orders-api-5432-tcp");
	CHECK_STR(joined(d, "/spec/ingress/1/rules/sql/allow/0/tables", buf, sizeof(buf)),
		  "orders");
	for (int i = 2; i <= 4; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/spec/ingress/%d/rules", i);
		CHECK(!node_at(d, p));
	}
	CHECK(strstr(out, "# ingress learned-orders-api-5433-tcp: L4 only: SQL whose kinds or "
			  "tables can't be checked (a statement of no known kind, or cut short, or "
			  "too complex to list its tables) seen, which no L7 rule can inspect; "
			  "behind L7 rules it would be denied as unparsed.\n"));
	free_docs(&ds);
	free(out);
	ctl_learn_free(l);
}

static void test_dns(void)
{
	struct ctl_learn *l;
	struct docs ds;
	struct fy_document *d;
	char *out;

	CHECK_EQ(ctl_learn_new(&l), 0);
	feed(l, ev_flow(&api, API, NULL, "10.96.0.10", 53, IPPROTO_UDP, "dns"));
	feed(l, ev_dns(&api, API, NULL, "10.96.0.10", "orders-pg.shop.svc.cluster.local", false));
	feed(l, ev_dns(&api, API, NULL, "10.96.0.10", "api.example.com", false));
	feed(l, ev_dns(&api, API, NULL, "10.96.0.10", "orders-pg.shop.svc.cluster.local", false));
	feed(l, ev_dns(&api, API, NULL, "10.96.0.10", "only-in-an-answer.example", true));
	feed(l, ev_dns(&api, API, NULL, "10.96.0.10", "null", false)); /* must stay a string */
	feed(l, ev_dns(&api, API, NULL, "10.96.0.10", "bad\xff.example", false));
	feed(l, ev_dns(&api, API, NULL, "10.96.0.10", "*.example", false));
	out = learned(l);
	CHECK(strstr(out, "# Names policy documents can't hold were left out (what used them "
			  "stays denied):\n#   DNS name *.example\n#   DNS name bad?.example\n"));
	read_docs(out, &ds);
	d = policy(&ds, "learned-orders-api");
	CHECK_STR(at(d, "/spec/egress/0/name"), "learned-10.96.0.10-32-53-udp");
	CHECK_STR(at(d, "/spec/egress/0/to/0/cidr"), "10.96.0.10/32");
	CHECK_STR(at(d, "/spec/egress/0/ports/0/protocol"), "UDP");
	CHECK_EQ(count_at(d, "/spec/egress/0/rules/dns"), 3);
	CHECK_STR(at(d, "/spec/egress/0/rules/dns/0/matchName"), "api.example.com");
	CHECK_STR(at(d, "/spec/egress/0/rules/dns/1/matchName"), "null");
	CHECK_STR(at(d, "/spec/egress/0/rules/dns/2/matchName"),
		  "orders-pg.shop.svc.cluster.local");
	CHECK(strstr(out, "matchName: 'null'\n") || strstr(out, "matchName: \"null\"\n"));
	CHECK_EQ(count_at(d, "/spec/ingress"), 0);
	free_docs(&ds);
	free(out);
	ctl_learn_free(l);
}

static void test_world(void)
{
	struct ctl_learn *l;
	struct docs ds;
	struct fy_document *d;
	char *out;

	CHECK_EQ(ctl_learn_new(&l), 0);
	/* World clients, v4 and v6, reach orders-api. */
	feed(l, ev_flow(NULL, "192.0.2.7", &api, API, 8080, IPPROTO_TCP, "unknown"));
	feed(l, ev_flow(NULL, "2001:db8::7", &api, "fd00::2", 8080, IPPROTO_TCP, "unknown"));
	/* orders-api reaches a v6 server that is no workload. */
	feed(l, ev_flow(&api, "fd00::2", NULL, "2001:db8:1::443", 443, IPPROTO_TCP, "tls"));
	/* Nobody's: left out. */
	feed(l, ev_flow(NULL, "192.0.2.1", NULL, "192.0.2.2", 80, IPPROTO_TCP, "http"));
	/* A workload without labels can't be selected: an address. */
	feed(l, ev_flow(&bare, BARE, &api, API, 9090, IPPROTO_TCP, "unknown"));
	out = learned(l);
	CHECK(strstr(out, "# 1 client/server pair(s) with no workload at either end were left "
			  "out.\n"));
	CHECK(strstr(out, "# Workload bare-1 has no labels: no policy can select it alone; its "
			  "peers' rules name its addresses.\n"));
	read_docs(out, &ds);
	CHECK_EQ(ds.n, 1);
	d = policy(&ds, "learned-orders-api");
	CHECK_EQ(count_at(d, "/spec/ingress"), 3);
	CHECK_STR(at(d, "/spec/ingress/0/name"), "learned-10.0.0.9-32-9090-tcp");
	CHECK_STR(at(d, "/spec/ingress/0/from/0/cidr"), "10.0.0.9/32");
	CHECK_STR(at(d, "/spec/ingress/1/name"), "learned-192.0.2.7-32-8080-tcp");
	CHECK_STR(at(d, "/spec/ingress/1/from/0/cidr"), "192.0.2.7/32");
	CHECK_STR(at(d, "/spec/ingress/1/ports/0/port"), "8080");
	CHECK_STR(at(d, "/spec/ingress/2/name"), "learned-2001-db8--7-128-8080-tcp");
	CHECK_STR(at(d, "/spec/ingress/2/from/0/cidr"), "2001:db8::7/128");
	CHECK_STR(at(d, "/spec/egress/0/to/0/cidr"), "2001:db8:1::443/128");
	CHECK_STR(at(d, "/spec/egress/0/ports/0/port"), "443");
	free_docs(&ds);
	free(out);
	ctl_learn_free(l);
}

/* TCP flows count only when the server answered. */
static void test_tcp_answer(void)
{
	struct ctl_learn *l;
	struct bh_event ev;
	char *out;

	CHECK_EQ(ctl_learn_new(&l), 0);
	ev = ev_flow(&fe1, FE, &api, API, 8080, IPPROTO_TCP, "unknown");
	ev.flow.pkts[1] = 0; /* SYNs, no answer */
	ev.flow.tcp_flags[1] = 0;
	ev.flow.stream[0].delivered = ev.flow.stream[1].delivered = 0;
	feed(l, ev);
	ev.flow.pkts[1] = 1; /* refused: RST/ACK */
	ev.flow.tcp_flags[1] = 0x14;
	feed(l, ev);
	out = learned(l);
	CHECK(!strstr(out, "---"));
	CHECK(strstr(out, "# No workload was seen in a flow"));
	free(out);
	/* Picked up mid-stream: no SYN/ACK, but the server sent data. */
	ev = ev_flow(&fe1, FE, &api, API, 8081, IPPROTO_TCP, "http");
	ev.flow.tcp_flags[1] = 0x18;
	feed(l, ev);
	out = learned(l);
	CHECK(strstr(out, "name: learned-orders-api-8081-tcp\n"));
	CHECK(!strstr(out, "8080"));
	free(out);
	ctl_learn_free(l);
}

/* Data the rules can't inspect on a (peer, port): L4 only, and why. */
static void test_unparsed(void)
{
	struct ctl_learn *l;
	struct docs ds;
	struct fy_document *d;
	char *out;

	CHECK_EQ(ctl_learn_new(&l), 0);
	feed(l, ev_flow(&fe1, FE, &api, API, 443, IPPROTO_TCP, "tls"));
	/* HTTP and TLS on one port. */
	feed(l, ev_flow(&fe1, FE, &api, API, 8443, IPPROTO_TCP, "http"));
	feed(l, ev_http(&fe1, FE, &api, API, 8443, "GET", "/x"));
	feed(l, ev_flow(&fe1, FE, &api, API, 8443, IPPROTO_TCP, "tls"));
	/* Payload nobody recognised beside DNS. */
	feed(l, ev_flow(&fe1, FE, &api, API, 53, IPPROTO_UDP, "dns"));
	feed(l, ev_dns(&fe1, FE, &api, API, "a.example", false));
	feed(l, ev_flow(&fe1, FE, &api, API, 53, IPPROTO_UDP, "unknown"));
	/* Unknown without payload changes nothing. */
	feed(l, ev_flow(&fe1, FE, &api, API, 80, IPPROTO_TCP, "http"));
	feed(l, ev_http(&fe1, FE, &api, API, 80, "GET", "/y"));
	{
		struct bh_event ev = ev_flow(&fe1, FE, &api, API, 80, IPPROTO_TCP, "unknown");

		ev.flow.stream[0].delivered = ev.flow.stream[1].delivered = 0;
		feed(l, ev);
	}
	out = learned(l);
	read_docs(out, &ds);
	d = policy(&ds, "learned-orders-api");
	CHECK_EQ(count_at(d, "/spec/ingress"), 4);
	CHECK_STR(at(d, "/spec/ingress/0/name"), "learned-frontend-443-tcp");
	CHECK(!node_at(d, "/spec/ingress/0/rules"));
	CHECK_STR(at(d, "/spec/ingress/1/name"), "learned-frontend-53-udp");
	CHECK(!node_at(d, "/spec/ingress/1/rules"));
	CHECK_STR(at(d, "/spec/ingress/2/name"), "learned-frontend-80-tcp");
	CHECK_STR(at(d, "/spec/ingress/2/rules/http/0/path"), "/y");
	CHECK_STR(at(d, "/spec/ingress/3/name"), "learned-frontend-8443-tcp");
	CHECK(!node_at(d, "/spec/ingress/3/rules"));
	d = policy(&ds, "learned-frontend");
	CHECK(!node_at(d, "/spec/egress/3/rules"));
	CHECK(strstr(out, "# ingress learned-frontend-443-tcp: L4 only: TLS seen, which no L7 rule "
			  "can inspect; behind L7 rules it would be denied as unparsed.\n"));
	CHECK(strstr(out, "# egress learned-orders-api-8443-tcp: L4 only: TLS seen beside HTTP; "
			  "behind HTTP rules it would be denied as unparsed.\n"));
	CHECK(strstr(out, "# ingress learned-frontend-53-udp: L4 only: payload of no known "
			  "protocol seen beside DNS; behind DNS rules it would be denied as "
			  "unparsed.\n"));
	free_docs(&ds);
	free(out);
	ctl_learn_free(l);
}

static void test_icmp(void)
{
	struct ctl_learn *l;
	struct bh_event ev;
	char *out;

	CHECK_EQ(ctl_learn_new(&l), 0);
	ev = ev_flow(&fe1, FE, &api, API, 0, IPPROTO_ICMP, "unknown");
	ev.tuple.sport = 8; /* echo request */
	feed(l, ev);
	feed(l, ev);
	feed(l, ev_flow(&fe1, FE, &api, API, 8080, IPPROTO_TCP, "unknown"));
	out = learned(l);
	CHECK(strstr(out, "# ICMP is not learned: rules name ports, and ICMP has none (2 flow(s) "
			  "of ICMP or other protocols without ports left out).\n"));
	CHECK(strstr(out, "name: learned-orders-api-8080-tcp\n"));
	free(out);
	ctl_learn_free(l);
}

/* Selectors: replicas share a policy; app, then app.kubernetes.io/name,
 * then every label; names that clash get a suffix. */
static void test_selectors(void)
{
	static const struct bh_kv k8s_labels[] = {
		{.key = "app.kubernetes.io/name", .value = "frontend"}};
	static const struct bh_workload_ref k8s = {"k8s-fe", k8s_labels, 1};
	static const struct bh_kv odd_labels[] = {{.key = "app", .value = "true"}};
	static const struct bh_workload_ref odd = {"odd-1", odd_labels, 1};
	static const struct bh_kv caps_labels[] = {{.key = "app", .value = "Billing_Svc.v2"}};
	static const struct bh_workload_ref caps = {"billing-1", caps_labels, 1};
	struct ctl_learn *l;
	struct docs ds;
	struct fy_document *d;
	char *out;

	CHECK_EQ(ctl_learn_new(&l), 0);
	feed(l, ev_flow(&fe1, FE, &api, API, 80, IPPROTO_TCP, "unknown"));
	feed(l, ev_flow(&fe2, FE2, &api, API, 80, IPPROTO_TCP, "unknown"));
	feed(l, ev_flow(&batch, BATCH, &api, API, 80, IPPROTO_TCP, "unknown"));
	feed(l, ev_flow(&k8s, "10.0.0.6", &api, API, 80, IPPROTO_TCP, "unknown"));
	feed(l, ev_flow(&odd, "10.0.0.7", &api, API, 80, IPPROTO_TCP, "unknown"));
	feed(l, ev_flow(&caps, "10.0.0.8", &api, API, 80, IPPROTO_TCP, "unknown"));
	out = learned(l);
	read_docs(out, &ds);
	CHECK_EQ(ds.n, 6);
	/* Names as the loader takes them; the selector keeps the value. */
	d = policy(&ds, "learned-billing-svc.v2");
	CHECK_STR(at(d, "/spec/selector/matchLabels/app"), "Billing_Svc.v2");
	CHECK_STR(at(d, "/spec/egress/0/name"), "learned-orders-api-80-tcp");
	d = policy(&ds, "learned-frontend");
	CHECK_EQ(count_at(d, "/spec/selector/matchLabels"), 1);
	CHECK_STR(at(d, "/spec/selector/matchLabels/app"), "frontend");
	CHECK_EQ(count_at(d, "/spec/egress"), 1);
	d = policy(&ds, "learned-frontend-2");
	CHECK_STR(at(d, "/spec/selector/matchLabels/'app.kubernetes.io/name'"), "frontend");
	d = policy(&ds, "learned-batch-data");
	CHECK_EQ(count_at(d, "/spec/selector/matchLabels"), 2);
	CHECK_STR(at(d, "/spec/selector/matchLabels/role"), "batch");
	CHECK_STR(at(d, "/spec/selector/matchLabels/team"), "data");
	d = policy(&ds, "learned-true");
	CHECK_STR(at(d, "/spec/selector/matchLabels/app"), "true");
	CHECK(strstr(out, "app: 'true'\n") || strstr(out, "app: \"true\"\n"));
	d = policy(&ds, "learned-orders-api");
	CHECK_EQ(count_at(d, "/spec/ingress"), 5);
	CHECK_STR(at(d, "/spec/ingress/0/name"), "learned-batch-data-80-tcp");
	CHECK_STR(at(d, "/spec/ingress/1/name"), "learned-billing-svc.v2-80-tcp");
	CHECK_STR(at(d, "/spec/ingress/2/name"), "learned-frontend-80-tcp");
	CHECK_STR(at(d, "/spec/ingress/2/from/0/selector/matchLabels/app"), "frontend");
	CHECK_STR(at(d, "/spec/ingress/3/name"), "learned-frontend-80-tcp-2");
	CHECK_STR(at(d, "/spec/ingress/3/from/0/selector/matchLabels/'app.kubernetes.io/name'"),
		  "frontend");
	CHECK_STR(at(d, "/spec/ingress/4/name"), "learned-true-80-tcp");
	free_docs(&ds);
	free(out);
	ctl_learn_free(l);
}

/* Order independence: the same events fed in order by one thread, and in
 * two other orders by two threads at once, give the same bytes. */
#define NPATHS 64
static char paths[NPATHS][32];
static struct bh_event many[4 * NPATHS + 8];
static size_t nmany;

static void build_many(void)
{
	static const struct bh_str tabs[] = {{"orders", 6}, {"catalog", 7}, {"users", 5}};
	static const struct bh_sql_command cmds[][2] = {
		{{"SELECT", tabs, 1}, {"COMMIT", NULL, 0}},
		{{"SELECT", tabs + 1, 2}, {"BEGIN", NULL, 0}},
		{{"UPDATE", tabs + 2, 1}, {"INSERT", tabs, 1}},
	};
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
	static const char *const names[] = {"a.example", "b.example", "c.example"};

	nmany = 0;
	for (unsigned i = 0; i < NPATHS; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/r%u/%u/x%u", i % 5, i * 7919, i % 3);
		many[nmany++] = ev_http(i & 1 ? &fe1 : &fe2, i & 1 ? FE : FE2, &api, API, 8080,
					methods[i % 4], paths[i]);
		many[nmany++] = ev_sql(&api, API, &pg, PG, cmds[i % 3], 2);
		many[nmany++] = ev_dns(&api, API, NULL, "10.96.0.10", names[i % 3], false);
		many[nmany++] = ev_flow(NULL, i % 2 ? "192.0.2.1" : "2001:db8::1", &api, API,
					(uint16_t)(8000 + i % 4), IPPROTO_TCP, i % 4 ? "http" : "tls");
	}
	many[nmany++] = ev_flow(&fe1, FE, &api, API, 8080, IPPROTO_TCP, "http");
	many[nmany++] = ev_flow(&api, API, &pg, PG, 5432, IPPROTO_TCP, "pgsql");
	many[nmany++] = ev_flow(&api, API, NULL, "10.96.0.10", 53, IPPROTO_UDP, "dns");
}

struct feeder {
	struct ctl_learn *l;
	unsigned which;
};

static void *feed_thread(void *arg)
{
	struct feeder *f = arg;

	for (size_t k = 0; k < nmany; k++) {
		size_t i = f->which ? k : nmany - 1 - k; /* one forward, one backward */

		if (i % 2 == f->which)
			ctl_learn_event(f->l, &many[i]);
	}
	return NULL;
}

static void test_order(void)
{
	struct ctl_learn *a, *b;
	struct feeder f[2];
	pthread_t th[2];
	char *oa, *ob;

	build_many();
	CHECK_EQ(ctl_learn_new(&a), 0);
	CHECK_EQ(ctl_learn_new(&b), 0);
	for (size_t i = 0; i < nmany; i++)
		ctl_learn_event(a, &many[i]);
	for (unsigned t = 0; t < 2; t++) {
		f[t] = (struct feeder){b, t};
		CHECK_EQ(pthread_create(&th[t], NULL, feed_thread, &f[t]), 0);
	}
	for (unsigned t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	oa = learned(a);
	ob = learned(b);
	CHECK_STR(ob, oa);
	CHECK(strstr(oa, "name: learned-orders-api\n"));
	/* A second write of the same learner gives the same text. */
	free(ob);
	ob = learned(a);
	CHECK_STR(ob, oa);
	free(oa);
	free(ob);
	ctl_learn_free(a);
	ctl_learn_free(b);
}

/* ---- round trip ---------------------------------------------------------- */

static const char workloads_yaml[] =
	"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: frontend-1}\n"
	"labels: {app: frontend, team: web}\naddresses: [10.0.0.1]\n---\n"
	"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: orders-api-1}\n"
	"labels: {app: orders-api}\naddresses: [10.0.0.2, \"fd00::2\"]\n---\n"
	"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: orders-pg-0}\n"
	"labels: {app.kubernetes.io/name: orders-pg, tier: db}\naddresses: [10.0.0.3]\n---\n";

static const struct bh_policy *find_policy(const struct bh_policy_doc *d, const char *name)
{
	for (uint32_t i = 0; i < d->npolicies; i++)
		if (!strcmp(d->policies[i].name, name))
			return &d->policies[i];
	return NULL;
}

static bool sel_is(const struct bh_selector *s, const char *key, const char *value)
{
	return s->nlabels == 1 && s->nexprs == 0 && !strcmp(s->labels[0].key, key) &&
	       !strcmp(s->labels[0].value, value);
}

static bool port_is(const struct bh_rule *r, uint16_t port, uint8_t proto)
{
	return r->nports == 1 && r->ports[0].port == port && !r->ports[0].end_port &&
	       r->ports[0].proto == proto;
}

/* The L3/L4 decision for a flow @cip -> @sip:@port under @dp. */
static enum bh_action decide(struct dpi_worker *w, const char *cip, const char *sip,
			     uint16_t port, uint8_t proto)
{
	union bh_addr c, s;
	struct dpi_flow *slot = NULL;
	struct dpi_flow_meta m = {.ipproto = proto, .client_port = 40000, .server_port = port};
	const struct bh_verdict *v;
	enum bh_action a;

	addr(&c, cip);
	addr(&s, sip);
	m.client_addr = c.b;
	m.server_addr = s.b;
	v = dpi_flow_open(w, &slot, NULL, &m);
	a = v ? v->action : BH_ACT__MAX;
	dpi_flow_discard(w, &slot);
	return a;
}

static void test_roundtrip(void)
{
	static const struct bh_str tabs[] = {{"orders", 6}, {"order_items", 11}};
	static const struct bh_sql_command q[] = {
		{"SELECT", tabs, 2}, {"INSERT", tabs, 1}, {"BEGIN", NULL, 0}, {"COMMIT", NULL, 0}};
	struct ctl_learn *l;
	struct ctl_policy *p;
	const struct bh_policy_doc *doc;
	const struct bh_policy *pol;
	const struct bh_rule *r;
	struct dpi_policy *dp = NULL;
	struct dpi_worker *w = NULL;
	struct dpi_ops ops = {0};
	unsigned errors = 0;
	char *out, *all;

	CHECK_EQ(ctl_learn_new(&l), 0);
	feed(l, ev_flow(&fe1, FE, &api, API, 8080, IPPROTO_TCP, "http"));
	feed(l, ev_http(&fe1, FE, &api, API, 8080, "GET", "/v1/orders/17"));
	feed(l, ev_http(&fe1, FE, &api, API, 8080, "POST", "/v1/orders/18"));
	feed(l, ev_http(&fe1, FE, &api, API, 8080, "GET", "/static/app.v2+(x).js"));
	feed(l, ev_flow(&api, API, &pg, PG, 5432, IPPROTO_TCP, "pgsql"));
	feed(l, ev_sql(&api, API, &pg, PG, q, 4));
	feed(l, ev_flow(&api, API, NULL, "192.0.2.53", 53, IPPROTO_UDP, "dns"));
	feed(l, ev_dns(&api, API, NULL, "192.0.2.53", "api.example.com", false));
	feed(l, ev_flow(NULL, "2001:db8::7", &api, "fd00::2", 443, IPPROTO_TCP, "tls"));
	out = learned(l);
	all = malloc(strlen(workloads_yaml) + strlen(out) + 1);
	if (!all)
		abort();
	memcpy(all, workloads_yaml, strlen(workloads_yaml));
	memcpy(all + strlen(workloads_yaml), out, strlen(out) + 1);
	p = load(all);
	if (!p)
		goto out;
	doc = ctl_policy_doc(p);
	CHECK_EQ(doc->nworkloads, 3);
	CHECK_EQ(doc->npolicies, 3);

	pol = find_policy(doc, "learned-orders-api");
	CHECK(pol);
	if (!pol)
		goto out;
	CHECK(sel_is(&pol->selector, "app", "orders-api"));
	CHECK_EQ(pol->mode, BH_MODE_PROTECT);
	CHECK(pol->has_ingress && pol->has_egress);
	CHECK_EQ(pol->ningress, 2);
	CHECK_EQ(pol->negress, 2);
	r = &pol->ingress[0];
	CHECK_STR(r->name, "learned-2001-db8--7-128-443-tcp");
	CHECK(r->has_peers && r->npeers == 1 && r->peers[0].kind == BH_PEER_CIDR);
	if (r->npeers == 1) {
		union bh_addr a;

		addr(&a, "2001:db8::7");
		CHECK_EQ(r->peers[0].cidr.plen, 128);
		CHECK(!memcmp(r->peers[0].cidr.net.b, a.b, 16));
	}
	CHECK(port_is(r, 443, IPPROTO_TCP));
	CHECK(!r->has_l7);
	r = &pol->ingress[1];
	CHECK_STR(r->name, "learned-frontend-8080-tcp");
	CHECK(r->npeers == 1 && r->peers[0].kind == BH_PEER_SELECTOR &&
	      sel_is(&r->peers[0].sel, "app", "frontend"));
	CHECK(port_is(r, 8080, IPPROTO_TCP));
	CHECK(r->has_l7);
	CHECK_EQ(r->nhttp, 2);
	if (r->nhttp == 2) {
		CHECK_STR(r->http[0].method, "GET");
		CHECK_STR(r->http[0].path, "/static/app\\.v2\\+\\(x\\)\\.js");
		CHECK_STR(r->http[1].method, "GET|POST");
		CHECK_STR(r->http[1].path, "/v1/orders/[0-9]+");
		CHECK(!r->http[1].host && !r->http[1].nheaders);
	}
	r = &pol->egress[0];
	CHECK_STR(r->name, "learned-192.0.2.53-32-53-udp");
	CHECK(r->npeers == 1 && r->peers[0].kind == BH_PEER_CIDR);
	if (r->npeers == 1) {
		union bh_addr a;

		addr(&a, "192.0.2.53");
		CHECK_EQ(r->peers[0].cidr.plen, 96 + 32);
		CHECK(!memcmp(r->peers[0].cidr.net.b, a.b, 16));
	}
	CHECK(port_is(r, 53, IPPROTO_UDP));
	CHECK_EQ(r->ndns, 1);
	if (r->ndns == 1) {
		CHECK_STR(r->dns[0].match_name, "api.example.com");
		CHECK(!r->dns[0].match_pattern);
	}
	r = &pol->egress[1];
	CHECK_STR(r->name, "learned-orders-pg-5432-tcp");
	CHECK(r->npeers == 1 && sel_is(&r->peers[0].sel, "app.kubernetes.io/name", "orders-pg"));
	CHECK_EQ(r->nsql, 3);
	if (r->nsql == 3) {
		CHECK(r->sql[0].nstatements == 2 && !r->sql[0].ntables);
		CHECK_STR(r->sql[0].statements[0], "BEGIN");
		CHECK_STR(r->sql[0].statements[1], "COMMIT");
		CHECK(r->sql[1].nstatements == 1 && r->sql[1].ntables == 1);
		CHECK_STR(r->sql[1].statements[0], "INSERT");
		CHECK_STR(r->sql[1].tables[0], "orders");
		CHECK(r->sql[2].nstatements == 1 && r->sql[2].ntables == 2);
		CHECK_STR(r->sql[2].statements[0], "SELECT");
		CHECK_STR(r->sql[2].tables[0], "order_items");
		CHECK_STR(r->sql[2].tables[1], "orders");
	}
	pol = find_policy(doc, "learned-orders-pg");
	CHECK(pol && sel_is(&pol->selector, "app.kubernetes.io/name", "orders-pg"));
	CHECK(pol && pol->ningress == 1 && pol->has_egress && pol->negress == 0);
	pol = find_policy(doc, "learned-frontend");
	CHECK(pol && pol->has_ingress && pol->ningress == 0 && pol->negress == 1);

	/* With the workloads, the set compiles without a warning, and it
	 * allows the flows seen and nothing else. */
	CHECK_EQ(dpi_policy_new(doc, compile_any, &errors, &dp), 0);
	CHECK_EQ(errors, 0);
	if (!dp)
		goto out;
	CHECK_EQ(dpi_worker_new(&ops, &w), 0);
	CHECK_EQ(dpi_worker_set_policy(w, dp), 0);
	CHECK_EQ(decide(w, FE, API, 8080, IPPROTO_TCP), BH_ACT_ALLOW);
	CHECK_EQ(decide(w, API, PG, 5432, IPPROTO_TCP), BH_ACT_ALLOW);
	CHECK_EQ(decide(w, API, "192.0.2.53", 53, IPPROTO_UDP), BH_ACT_ALLOW);
	CHECK_EQ(decide(w, "2001:db8::7", "fd00::2", 443, IPPROTO_TCP), BH_ACT_ALLOW);
	CHECK_EQ(decide(w, API, FE, 8080, IPPROTO_TCP), BH_ACT_DENY);           /* reversed */
	CHECK_EQ(decide(w, FE, API, 8081, IPPROTO_TCP), BH_ACT_DENY);           /* other port */
	CHECK_EQ(decide(w, API, "192.0.2.53", 53, IPPROTO_TCP), BH_ACT_DENY);   /* other proto */
	CHECK_EQ(decide(w, FE, PG, 5432, IPPROTO_TCP), BH_ACT_DENY);            /* other client */
	CHECK_EQ(decide(w, "2001:db8::8", "fd00::2", 443, IPPROTO_TCP), BH_ACT_DENY);
out:
	dpi_worker_free(w);
	dpi_policy_free(dp);
	ctl_policy_free(p);
	free(all);
	free(out);
	ctl_learn_free(l);
}

static void test_write_error(void)
{
	struct ctl_learn *l;
	char err[256] = "";
	FILE *f = fopen("/dev/full", "w");
	int r;

	if (!f)
		return; /* no /dev/full here */
	CHECK_EQ(ctl_learn_new(&l), 0);
	feed(l, ev_flow(&fe1, FE, &api, API, 80, IPPROTO_TCP, "unknown"));
	r = ctl_learn_write(l, f, err, sizeof(err));
	CHECK_EQ(r, -ENOSPC);
	CHECK(strstr(err, "No space left on device"));
	fclose(f);
	ctl_learn_free(l);
	ctl_learn_free(NULL);
	ctl_learn_event(NULL, NULL);
}

int main(void)
{
	RUN(test_small_exact);
	RUN(test_generalise);
	RUN(test_methods);
	RUN(test_sql);
	RUN(test_sql_unparsed);
	RUN(test_dns);
	RUN(test_world);
	RUN(test_tcp_answer);
	RUN(test_unparsed);
	RUN(test_icmp);
	RUN(test_selectors);
	RUN(test_order);
	RUN(test_roundtrip);
	RUN(test_write_error);
	return bh_test_summary();
}
