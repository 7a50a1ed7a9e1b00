/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_docset.c - the running document set (ctl_docset.h), with the policies
 * of tests/data/policy (argv[1]):
 *
 *   split      a YAML stream with comments, `---` with comments after it, an
 *              empty document, a last document without a newline: each
 *              document's text exactly; `%YAML 1.2` and `...`; YAML flow
 *              documents and JSON in YAML; JSON files (an object, an array);
 *              a list of documents; every text also split from a buffer
 *              that ends at a guard page, and every prefix of a stream
 *   reload     shop.yaml, shop-monitor.yaml and the good/ files: the documents as
 *              sources load (and compile) to the same structures as the
 *              files, and so does the whole set as one text, which splits
 *              again into the same documents
 *   errors     no kind, no name, not a document, a duplicate across
 *              sources, not UTF-8, a syntax error: -EINVAL, FILE:LINE:COL
 *   edit       upsert, remove, find, copy (independent of its original)
 *   diff       added, removed and changed documents, the exact unified diff
 *              of a small change, several hunks, nothing changed, a
 *              document too large to show
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>

#include "bh_policy_desc.h"
#include "bh_test.h"
#include "bulkhead/dpi.h"
#include "ctl_docset.h"

static const char *data_dir;

/* --------------------------------------------------------------- helpers */

#define MAX_MSGS 64

struct msgs {
	char *m[MAX_MSGS];
	unsigned n;
};

static void collect(void *ctx, const char *msg)
{
	struct msgs *c = ctx;

	if (c->n < MAX_MSGS)
		c->m[c->n] = strdup(msg);
	c->n++;
}

static void msgs_free(struct msgs *c)
{
	for (unsigned i = 0; i < c->n && i < MAX_MSGS; i++)
		free(c->m[i]);
	c->n = 0;
}

static bool has_msg(const struct msgs *c, const char *text)
{
	for (unsigned i = 0; i < c->n && i < MAX_MSGS; i++)
		if (strstr(c->m[i], text))
			return true;
	return false;
}

static void show_msgs(const struct msgs *c)
{
	for (unsigned i = 0; i < c->n && i < MAX_MSGS; i++)
		fprintf(stderr, "  message: %s\n", c->m[i]);
}

#define CHECK_STR(a, b)                                                               \
	do {                                                                          \
		const char *_a = (a), *_b = (b);                                      \
		bh_test_checks++;                                                     \
		if (!_a || strcmp(_a, _b) != 0) {                                     \
			bh_test_failures++;                                           \
			fprintf(stderr, "%s:%d: %s is\n[%s]\nexpected\n[%s]\n", __FILE__, \
				__LINE__, #a, _a ? _a : "(null)", _b);                \
		}                                                                     \
	} while (0)

static struct ctl_source src_of(const char *name, const char *text)
{
	return (struct ctl_source){ .name = name, .text = text, .len = strlen(text) };
}

/* The text of @kind/@name in @s, or NULL. */
static const char *text_of(const struct ctl_docset *s, const char *kind, const char *name)
{
	const struct ctl_doc *d = ctl_docset_find(s, kind, name);

	return d ? d->text : NULL;
}

static int split1(const char *name, const char *text, struct msgs *m, struct ctl_docset *s)
{
	struct ctl_source src = src_of(name, text);

	return ctl_docset_split(&src, 1, collect, m, s);
}

/* Every document's kind, name, text and len of @a equal @b's. */
static bool same_docs(const struct ctl_docset *a, const struct ctl_docset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct ctl_doc *x = &a->docs[i], *y = &b->docs[i];

		if (strcmp(x->kind, y->kind) || strcmp(x->name, y->name) || x->len != y->len ||
		    memcmp(x->text, y->text, x->len) || strlen(x->text) != x->len)
			return false;
	}
	return true;
}

/* The set's invariants: sorted, unique, texts ending in '\n', YAML texts
 * never starting like JSON. */
static void check_invariants(const struct ctl_docset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct ctl_doc *d = &s->docs[i];

		size_t k = strspn(d->text, " \t\r\n");

		CHECK(d->len > 0 && d->text[d->len - 1] == '\n');
		CHECK(strlen(d->text) == d->len);
		/* What starts like JSON (and is read as JSON) is JSON. */
		if (d->text[k] == '{' || d->text[k] == '[') {
			json_t *j = json_loadb(d->text, d->len, 0, NULL);

			CHECK(j != NULL);
			json_decref(j);
		}
		if (i) {
			int c = strcmp(s->docs[i - 1].kind, d->kind);

			CHECK(c < 0 || (c == 0 && strcmp(s->docs[i - 1].name, d->name) < 0));
		}
	}
}

/* ------------------------------------------------- documents as one text */


/* ------------------------------------------------------------------ split */

static const char stream[] =
	"# shop: two workloads and a policy\n"
	"---\n"
	"# the web front end\n"
	"apiVersion: bulkhead/v1\n"
	"kind: Workload\n"
	"metadata: {name: frontend}   # by name\n"
	"labels: {app: frontend}\n"
	"addresses: [10.99.7.10]\n"
	"\n"
	"# end of frontend\n"
	"\n"
	"---   # the API's policy\n"
	"apiVersion: bulkhead/v1\n"
	"kind: WorkloadPolicy\n"
	"metadata:\n"
	"  name: api\n"
	"spec:\n"
	"  selector: {matchLabels: {app: api}}\n"
	"  ingress:\n"
	"  - from: [{selector: {matchLabels: {app: frontend}}}]\n"
	"    ports: [{port: 8080}]\n"
	"---\n"
	"---\n"
	"apiVersion: bulkhead/v1\n"
	"kind: Workload\n"
	"metadata: {name: \"api\"}\n"
	"labels: {app: api}\n"
	"addresses: [10.99.7.20]";

static const char stream_frontend[] =
	"# shop: two workloads and a policy\n"
	"# the web front end\n"
	"apiVersion: bulkhead/v1\n"
	"kind: Workload\n"
	"metadata: {name: frontend}   # by name\n"
	"labels: {app: frontend}\n"
	"addresses: [10.99.7.10]\n"
	"\n"
	"# end of frontend\n";

static const char stream_policy[] =
	"# the API's policy\n"
	"apiVersion: bulkhead/v1\n"
	"kind: WorkloadPolicy\n"
	"metadata:\n"
	"  name: api\n"
	"spec:\n"
	"  selector: {matchLabels: {app: api}}\n"
	"  ingress:\n"
	"  - from: [{selector: {matchLabels: {app: frontend}}}]\n"
	"    ports: [{port: 8080}]\n";

static const char stream_api[] =
	"apiVersion: bulkhead/v1\n"
	"kind: Workload\n"
	"metadata: {name: \"api\"}\n"
	"labels: {app: api}\n"
	"addresses: [10.99.7.20]\n";

static void check_stream_set(const struct ctl_docset *s)
{
	CHECK_EQ(s->n, 3);
	if (s->n != 3)
		return;
	CHECK_STR(s->docs[0].kind, "Workload");
	CHECK_STR(s->docs[0].name, "api");
	CHECK_STR(s->docs[1].name, "frontend");
	CHECK_STR(s->docs[2].kind, "WorkloadPolicy");
	CHECK_STR(s->docs[2].name, "api");
	CHECK_STR(s->docs[0].file, "shop.yaml");
	CHECK_STR(text_of(s, "Workload", "frontend"), stream_frontend);
	CHECK_STR(text_of(s, "WorkloadPolicy", "api"), stream_policy);
	CHECK_STR(text_of(s, "Workload", "api"), stream_api);
	CHECK_EQ(s->docs[0].len, strlen(stream_api));
	check_invariants(s);
}

static void test_split_stream(void)
{
	struct ctl_docset s = { 0 };
	struct ctl_policy *p = NULL;
	struct msgs m = { 0 };
	struct ctl_source src = src_of("shop.yaml", stream);
	uint8_t *g;

	/* Callers load first: the stream is a valid policy. */
	CHECK_EQ(ctl_policy_load_bufs(&src, 1, collect, &m, &p), 0);
	ctl_policy_free(p);
	CHECK_EQ(ctl_docset_split(&src, 1, collect, &m, &s), 0);
	CHECK_EQ(m.n, 0);
	check_stream_set(&s);
	ctl_docset_free(&s);
	CHECK(s.docs == NULL && s.n == 0);

	/* The same from a buffer whose last byte is followed by a guard page
	 * (the stream ends without a newline). */
	g = guard_dup(stream, sizeof(stream) - 1);
	src.text = (const char *)g;
	CHECK_EQ(ctl_docset_split(&src, 1, collect, &m, &s), 0);
	check_stream_set(&s);
	ctl_docset_free(&s);
	guard_free(g, sizeof(stream) - 1);
	msgs_free(&m);
}

static void test_split_directive(void)
{
	static const char text[] = "# leading comment\n"
				   "%YAML 1.2\n"
				   "---\n"
				   "kind: Workload\n"
				   "apiVersion: bulkhead/v1\n"
				   "metadata: {name: w}\n"
				   "...\n"
				   "# between documents\n"
				   "---\n"
				   "apiVersion: bulkhead/v1\n"
				   "kind: Workload\n"
				   "metadata: {name: x}\n"
				   "...\n"
				   "apiVersion: bulkhead/v1\n"
				   "kind: Workload\n"
				   "metadata: {name: y}\n";
	struct ctl_source src = src_of("d.yaml", text);
	struct ctl_docset s = { 0 };
	struct ctl_policy *p = NULL;
	struct msgs m = { 0 };

	CHECK_EQ(ctl_policy_load_bufs(&src, 1, collect, &m, &p), 0);
	CHECK_EQ(p ? ctl_policy_doc(p)->nworkloads : 0, 3);
	ctl_policy_free(p);
	CHECK_EQ(ctl_docset_split(&src, 1, collect, &m, &s), 0);
	CHECK_EQ(s.n, 3);
	/* The directive and the comment before it are the file's, not the
	 * document's; comments after a `...` belong to the next one. */
	CHECK_STR(text_of(&s, "Workload", "w"),
		  "kind: Workload\napiVersion: bulkhead/v1\nmetadata: {name: w}\n");
	CHECK_STR(text_of(&s, "Workload", "x"),
		  "# between documents\napiVersion: bulkhead/v1\nkind: Workload\n"
		  "metadata: {name: x}\n");
	CHECK_STR(text_of(&s, "Workload", "y"),
		  "apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: y}\n");
	ctl_docset_free(&s);
	show_msgs(&m);
	msgs_free(&m);
}

static void test_split_flow(void)
{
	static const char text[] =
		"--- {apiVersion: bulkhead/v1, kind: Workload, metadata: {name: f1}}\n"
		"---\n"
		"{\"apiVersion\": \"bulkhead/v1\", \"kind\": \"Workload\", \"metadata\": {\"name\": \"f2\"}}\n"
		"---\n"
		"# a list of one\n"
		"- {apiVersion: bulkhead/v1, kind: Workload, metadata: {name: f3}}\n"
		"---\n"
		"[{apiVersion: bulkhead/v1, kind: Workload, metadata: {name: f4}},\n"
		" {\"apiVersion\": \"bulkhead/v1\", \"kind\": \"Workload\",\n"
		"  \"metadata\": {\"name\": \"f5\"}}]\n";
	struct ctl_source src = src_of("flow.yaml", text), *srcs = NULL;
	struct ctl_docset s = { 0 };
	struct ctl_policy *p = NULL;
	struct msgs m = { 0 };

	CHECK_EQ(ctl_policy_load_bufs(&src, 1, collect, &m, &p), 0);
	ctl_policy_free(p);
	CHECK_EQ(ctl_docset_split(&src, 1, collect, &m, &s), 0);
	CHECK_EQ(s.n, 5);
	/* A YAML flow mapping must not start its text: it would be read as
	 * JSON. JSON stays JSON. */
	CHECK_STR(text_of(&s, "Workload", "f1"),
		  "--- {apiVersion: bulkhead/v1, kind: Workload, metadata: {name: f1}}\n");
	CHECK_STR(text_of(&s, "Workload", "f2"),
		  "{\"apiVersion\": \"bulkhead/v1\", \"kind\": \"Workload\", \"metadata\": {\"name\": "
		  "\"f2\"}}\n");
	CHECK_STR(text_of(&s, "Workload", "f3"),
		  "# a list of one\n- {apiVersion: bulkhead/v1, kind: Workload, metadata: {name: "
		  "f3}}\n");
	CHECK_STR(text_of(&s, "Workload", "f4"),
		  "--- {apiVersion: bulkhead/v1, kind: Workload, metadata: {name: f4}}\n");
	CHECK_STR(text_of(&s, "Workload", "f5"),
		  "{\"apiVersion\": \"bulkhead/v1\", \"kind\": \"Workload\",\n"
		  " \"metadata\": {\"name\": \"f5\"}}\n");
	check_invariants(&s);
	/* Each one loads by itself. */
	CHECK_EQ(ctl_docset_sources(&s, &srcs), 0);
	for (size_t i = 0; srcs && i < s.n; i++) {
		CHECK_EQ(ctl_policy_load_bufs(&srcs[i], 1, collect, &m, &p), 0);
		CHECK_EQ(p ? ctl_policy_doc(p)->nworkloads : 0, 1);
		ctl_policy_free(p);
		p = NULL;
	}
	CHECK_STR(srcs ? srcs[0].name : NULL, "flow.yaml#Workload/f1");
	free(srcs);
	ctl_docset_free(&s);
	CHECK_EQ(m.n, 0);
	show_msgs(&m);
	msgs_free(&m);
}

static char *read_data(const char *sub, const char *name, size_t *len)
{
	char dir[4096];
	struct bh_corpus c;

	snprintf(dir, sizeof(dir), "%s%s%s", data_dir, sub[0] ? "/" : "", sub);
	if (bh_corpus_load(dir, name, &c) < 0) {
		CHECK(!"test data readable");
		return NULL;
	}
	c.data[c.size] = '\0'; /* bh_corpus_load() leaves it out */
	*len = c.size;
	return c.data;
}

static void test_split_json(void)
{
	struct ctl_docset s = { 0 };
	struct ctl_source src;
	struct msgs m = { 0 };
	const char *t;
	size_t len;
	char *obj = read_data("good", "04-object.json", &len);
	char *arr = read_data("good", "02-model.json", &len);

	if (!obj || !arr)
		goto out;
	/* A JSON file of one object: the object is the whole file. */
	CHECK_EQ(split1("04-object.json", obj, &m, &s), 0);
	CHECK_EQ(s.n, 1);
	CHECK_STR(text_of(&s, "WorkloadPolicy", "web"), obj);
	ctl_docset_free(&s);

	/* An array: one document per entry, less the array's indentation. */
	src = src_of("02-model.json", arr);
	CHECK_EQ(ctl_docset_split(&src, 1, collect, &m, &s), 0);
	CHECK_EQ(s.n, 2);
	CHECK_STR(text_of(&s, "Workload", "orders-api-7f9c"),
		  "{\n"
		  "  \"apiVersion\": \"bulkhead/v1\",\n"
		  "  \"kind\": \"Workload\",\n"
		  "  \"metadata\": {\"name\": \"orders-api-7f9c\"},\n"
		  "  \"labels\": {\"app\": \"orders-api\", \"team\": \"payments\"},\n"
		  "  \"addresses\": [\"10.42.1.17\", \"fd00::17\"],\n"
		  "  \"interface\": \"veth3a9f\"\n"
		  "}\n");
	t = text_of(&s, "WorkloadPolicy", "orders-api");
	CHECK(t && strncmp(t, "{\n  \"apiVersion\": \"bulkhead/v1\",\n  \"kind\": \"WorkloadPolicy\",\n",
			   strlen("{\n  \"apiVersion\": \"bulkhead/v1\",\n  \"kind\": \"WorkloadPolicy\",\n")) == 0);
	CHECK(t && strlen(t) > 3 && strcmp(t + strlen(t) - 3, "\n}\n") == 0);
	CHECK_STR(s.n ? s.docs[0].file : NULL, "02-model.json");
	check_invariants(&s);
	ctl_docset_free(&s);
out:
	CHECK_EQ(m.n, 0);
	show_msgs(&m);
	msgs_free(&m);
	free(obj);
	free(arr);
}

static void test_split_list(void)
{
	struct ctl_docset s = { 0 };
	struct msgs m = { 0 };
	size_t len;
	char *list = read_data("good", "03-list.yaml", &len);

	if (!list)
		return;
	CHECK_EQ(split1("03-list.yaml", list, &m, &s), 0);
	CHECK_EQ(s.n, 4);
	/* The file's comment before its first `---` goes to the first entry. */
	CHECK_STR(text_of(&s, "Workload", "a"),
		  "# A top-level list of documents, empty documents around it, and the\n"
		  "# smallest policies: deny all ingress; egress to anything on any port.\n"
		  "- apiVersion: bulkhead/v1\n"
		  "  kind: Workload\n"
		  "  metadata: {name: a}\n");
	CHECK_STR(text_of(&s, "Workload", "b.example"),
		  "- apiVersion: bulkhead/v1\n"
		  "  kind: Workload\n"
		  "  metadata: {name: b.example}\n"
		  "  labels: {}\n"
		  "  addresses: []\n");
	CHECK_STR(text_of(&s, "WorkloadPolicy", "deny-all-in"),
		  "- apiVersion: bulkhead/v1\n"
		  "  kind: WorkloadPolicy\n"
		  "  metadata: {name: deny-all-in}\n"
		  "  spec: {selector: {}, ingress: []}\n");
	/* An empty document's comment goes to the next one. */
	CHECK_STR(text_of(&s, "WorkloadPolicy", "open-out"),
		  "# nothing here\n"
		  "apiVersion: bulkhead/v1\n"
		  "kind: WorkloadPolicy\n"
		  "metadata: {name: open-out}\n"
		  "spec:\n"
		  "  selector: {matchLabels: {app: a}}\n"
		  "  egress:\n"
		  "  - {}\n");
	ctl_docset_free(&s);

	/* An indented list loses its indentation; comments between entries
	 * go with the entry below them. */
	CHECK_EQ(split1("ind.yaml",
			"---\n"
			"  - apiVersion: bulkhead/v1\n"
			"    kind: Workload\n"
			"    metadata: {name: a}   # first\n"
			"  # second:\n"
			"  - apiVersion: bulkhead/v1\n"
			"    kind: Workload\n"
			"    metadata:\n"
			"      name: b\n"
			"# the end\n",
			&m, &s),
		 0);
	CHECK_STR(text_of(&s, "Workload", "a"),
		  "- apiVersion: bulkhead/v1\n  kind: Workload\n  metadata: {name: a}   # first\n");
	CHECK_STR(text_of(&s, "Workload", "b"),
		  "# second:\n- apiVersion: bulkhead/v1\n  kind: Workload\n  metadata:\n"
		  "    name: b\n# the end\n");
	ctl_docset_free(&s);
	CHECK_EQ(m.n, 0);
	show_msgs(&m);
	msgs_free(&m);
	free(list);
}

static void test_split_empty(void)
{
	struct ctl_docset s = { .n = 99 };
	struct ctl_source none = { .name = "n.yaml" };
	struct msgs m = { 0 };
	char *t;
	size_t len = 1;

	CHECK_EQ(split1("e.yaml", "# only a comment\n---\n---\n", &m, &s), 0);
	CHECK_EQ(s.n, 0);
	CHECK_EQ(ctl_docset_split(&none, 1, collect, &m, &s), 0);
	CHECK_EQ(s.n, 0);
	CHECK_EQ(ctl_docset_split(NULL, 0, collect, &m, &s), 0);
	CHECK_EQ(s.n, 0);
	t = ctl_docset_text(&s, &len);
	CHECK_STR(t, "");
	CHECK_EQ(len, 0);
	free(t);
	ctl_docset_free(&s);
	ctl_docset_free(NULL);
	CHECK_EQ(m.n, 0);
	msgs_free(&m);
}

/* Every prefix of a stream, each ending at a guard page: split succeeds or
 * says why, and never reads past the end; where the loader takes the
 * prefix, split does too, with as many documents. */
static void test_split_prefixes(void)
{
	size_t n = sizeof(stream) - 1, loaded = 0;

	for (size_t len = 0; len <= n; len++) {
		uint8_t *g = guard_dup(stream, len);
		struct ctl_source src = { .name = "p.yaml", .text = (const char *)g, .len = len };
		struct ctl_docset s = { 0 };
		struct ctl_policy *p = NULL;
		struct msgs m = { 0 };
		int r = ctl_docset_split(&src, 1, collect, &m, &s);

		CHECK(r == 0 || r == -EINVAL);
		CHECK(r == 0 || m.n > 0);
		if (r == 0)
			check_invariants(&s);
		if (ctl_policy_load_bufs(&src, 1, NULL, NULL, &p) == 0) {
			const struct bh_policy_doc *d = ctl_policy_doc(p);

			loaded++;
			CHECK_EQ(r, 0);
			CHECK_EQ(s.n, d->nworkloads + d->npolicies);
			ctl_policy_free(p);
		}
		ctl_docset_free(&s);
		msgs_free(&m);
		guard_free(g, len);
	}
	CHECK(loaded > 3);
}

/* ----------------------------------------------------------------- reload */

/* @name (in @sub of the data) loaded from its file, split, and loaded again
 * through the documents' sources and through the set's text: the same
 * structures each time. */
static void check_reload(const char *sub, const char *name)
{
	char path[4096], *desc0 = NULL, *desc1 = NULL, *desc2 = NULL, *text = NULL;
	const char *files[1] = { path };
	struct ctl_docset s = { 0 }, s2 = { 0 }, s3 = { 0 };
	struct ctl_policy *p0 = NULL, *p1 = NULL, *p2 = NULL;
	struct ctl_source src, *srcs = NULL;
	struct dpi_policy *dp = NULL;
	struct msgs m = { 0 }, w = { 0 };
	size_t len, tlen = 0;
	char *buf = read_data(sub, name, &len);
	uint8_t *g;

	if (!buf)
		return;
	snprintf(path, sizeof(path), "%s%s%s/%s", data_dir, sub[0] ? "/" : "", sub, name);
	CHECK_EQ(ctl_policy_load(files, 1, collect, &m, &p0), 0);
	if (!p0)
		goto out;
	desc0 = bh_policy_describe(ctl_policy_doc(p0));
	src = (struct ctl_source){ .name = name, .text = buf, .len = len };
	CHECK_EQ(ctl_docset_split(&src, 1, collect, &m, &s), 0);
	CHECK_EQ(s.n, ctl_policy_doc(p0)->nworkloads + ctl_policy_doc(p0)->npolicies);
	check_invariants(&s);

	/* The same from a buffer that ends at a guard page. */
	g = guard_dup(buf, len);
	src.text = (const char *)g;
	CHECK_EQ(ctl_docset_split(&src, 1, collect, &m, &s3), 0);
	CHECK(same_docs(&s, &s3));
	ctl_docset_free(&s3);
	guard_free(g, len);

	/* Each document by itself, named so that a user finds it. */
	CHECK_EQ(ctl_docset_sources(&s, &srcs), 0);
	for (size_t i = 0; srcs && i < s.n; i++) {
		char want[512];

		snprintf(want, sizeof(want), "%s#%s/%s", name, s.docs[i].kind, s.docs[i].name);
		CHECK_STR(srcs[i].name, want);
		CHECK(srcs[i].text == s.docs[i].text && srcs[i].len == s.docs[i].len);
	}
	CHECK_EQ(ctl_policy_build_bufs(srcs, s.n, collect, &w, &p1, &dp), 0); /* warnings */
	if (p1) {
		desc1 = bh_policy_describe(ctl_policy_doc(p1));
		CHECK_STR(desc1, desc0);
	}
	dpi_policy_free(dp);

	/* The whole set as one text, as `policy get` gives it. */
	text = ctl_docset_text(&s, &tlen);
	CHECK(text && strlen(text) == tlen);
	CHECK_EQ(text ? ctl_policy_load_mem("all.yaml", text, tlen, collect, &m, &p2) : -1, 0);
	if (p2) {
		desc2 = bh_policy_describe(ctl_policy_doc(p2));
		CHECK_STR(desc2, desc0);
	}
	src = (struct ctl_source){ .name = "all.yaml", .text = text, .len = tlen };
	CHECK_EQ(ctl_docset_split(&src, 1, collect, &m, &s2), 0);
	CHECK(same_docs(&s, &s2));
	CHECK_STR(s2.n ? s2.docs[0].file : "all.yaml", "all.yaml");
out:
	if (m.n) {
		fprintf(stderr, "%s:\n", path);
		show_msgs(&m);
	}
	CHECK_EQ(m.n, 0);
	msgs_free(&m);
	msgs_free(&w);
	ctl_docset_free(&s);
	ctl_docset_free(&s2);
	ctl_policy_free(p0);
	ctl_policy_free(p1);
	ctl_policy_free(p2);
	free(srcs);
	free(text);
	free(desc0);
	free(desc1);
	free(desc2);
	free(buf);
}

static void test_reload(void)
{
	check_reload("", "shop.yaml");
	check_reload("", "shop-monitor.yaml");
	check_reload("good", "01-full.yaml");
	check_reload("good", "02-model.yaml");
	check_reload("good", "02-model.json");
	check_reload("good", "03-list.yaml");
	check_reload("good", "04-object.json");
}

/* Several sources at once, as policy.apply sends them. */
static void test_reload_many(void)
{
	size_t l1, l2;
	char *shop = read_data("", "shop.yaml", &l1), *model = read_data("good", "02-model.json", &l2);
	struct ctl_source src[2] = { { "shop.yaml", shop, l1 }, { "model.json", model, l2 } };
	struct ctl_docset s = { 0 };
	struct msgs m = { 0 };

	if (!shop || !model)
		goto out;
	CHECK_EQ(ctl_docset_split(src, 2, collect, &m, &s), 0);
	CHECK_EQ(s.n, 12);
	CHECK_STR(ctl_docset_find(&s, "Workload", "orders-api-7f9c") ?
			  ctl_docset_find(&s, "Workload", "orders-api-7f9c")->file :
			  NULL,
		  "model.json");
	CHECK_STR(ctl_docset_find(&s, "WorkloadPolicy", "api") ?
			  ctl_docset_find(&s, "WorkloadPolicy", "api")->file :
			  NULL,
		  "shop.yaml");
	check_invariants(&s);
	ctl_docset_free(&s);
out:
	CHECK_EQ(m.n, 0);
	msgs_free(&m);
	free(shop);
	free(model);
}

/* A document made invalid: the loader's message names it by its source. */
static void test_source_names(void)
{
	struct ctl_docset s = { 0 };
	struct ctl_source *srcs = NULL;
	struct ctl_policy *p = NULL;
	struct msgs m = { 0 };
	char *bad;

	CHECK_EQ(split1("shop.yaml", stream, &m, &s), 0);
	if (s.n != 3)
		goto out;
	bad = strdup("apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: api}\nlabelz: {}\n");
	if (!bad)
		abort();
	free(s.docs[0].text);
	s.docs[0].text = bad;
	s.docs[0].len = strlen(bad);
	CHECK_EQ(ctl_docset_sources(&s, &srcs), 0);
	CHECK_EQ(ctl_policy_load_bufs(srcs, s.n, collect, &m, &p), -EINVAL);
	CHECK(p == NULL);
	CHECK(has_msg(&m, "shop.yaml#Workload/api:4:1: "));
	free(srcs);
out:
	ctl_docset_free(&s);
	msgs_free(&m);
}

/* ----------------------------------------------------------------- errors */

static void expect_error(const char *name, const char *text, const char *msg)
{
	struct ctl_docset s = { .n = 12345 };
	struct msgs m = { 0 };

	CHECK_EQ(split1(name, text, &m, &s), -EINVAL);
	CHECK_EQ(s.n, 12345); /* untouched */
	if (!has_msg(&m, msg)) {
		bh_test_failures++;
		fprintf(stderr, "no message `%s`; got:\n", msg);
		show_msgs(&m);
	}
	msgs_free(&m);
}

static void test_errors(void)
{
	struct ctl_source two[2] = {
		src_of("a.yaml", "apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: a}\n"),
		src_of("b.yaml", "# again\n---\n  apiVersion: bulkhead/v1\n  kind: Workload\n"
				 "  metadata: {name: a}\n"),
	};
	struct ctl_docset s = { 0 };
	struct msgs m = { 0 };

	expect_error("k.yaml", "apiVersion: bulkhead/v1\nmetadata: {name: a}\n",
		     "k.yaml:1:1: a document without `kind`");
	expect_error("n.yaml", "kind: Workload\n---\nkind: Workload\nmetadata: {nam: a}\n",
		     "n.yaml:1:1: a document without `metadata.name`");
	expect_error("n.yaml", "kind: Workload\n---\nkind: Workload\nmetadata: {nam: a}\n",
		     "n.yaml:3:1: a document without `metadata.name`");
	expect_error("n2.yaml", "kind: Workload\nmetadata: {name: [a]}\n",
		     "n2.yaml:1:1: a document without `metadata.name`");
	expect_error("n3.json", "[{\"kind\": \"Workload\", \"metadata\": {\"name\": \"\"}}]",
		     "n3.json:1:2: a document without `metadata.name`");
	expect_error("s.yaml", "hello\n", "s.yaml:1:1: not a document");
	expect_error("l.yaml", "- kind: Workload\n  metadata: {name: a}\n- 7\n",
		     "l.yaml:3:3: not a document");
	expect_error("u.yaml", "kind: Work\xffload\n", "u.yaml: not UTF-8 at byte 10");
	expect_error("x.yaml", "kind: [Workload\n", "x.yaml: cannot be split into documents: ");

	CHECK_EQ(ctl_docset_split(two, 2, collect, &m, &s), -EINVAL);
	CHECK(has_msg(&m, "b.yaml:3:3: duplicate Workload `a` (first in a.yaml:1:1)"));
	CHECK(s.docs == NULL);
	msgs_free(&m);
	/* Without a message function. */
	CHECK_EQ(ctl_docset_split(two, 2, NULL, NULL, &s), -EINVAL);
	CHECK_EQ(ctl_docset_split(two, 1, NULL, NULL, &s), 0);
	CHECK_EQ(s.n, 1);
	ctl_docset_free(&s);
}

/* ------------------------------------------------------------------- edit */

static void test_edit(void)
{
	struct ctl_docset s = { 0 }, c = { 0 }, add = { 0 };
	struct msgs m = { 0 };
	const struct ctl_doc *d;

	CHECK_EQ(split1("shop.yaml", stream, &m, &s), 0);
	CHECK_EQ(ctl_docset_copy(&s, &c), 0);
	CHECK(same_docs(&s, &c));
	CHECK(c.n == 3 && c.docs != s.docs && c.docs[0].text != s.docs[0].text);

	/* find */
	d = ctl_docset_find(&s, "Workload", "frontend");
	CHECK(d && strcmp(d->name, "frontend") == 0);
	CHECK(ctl_docset_find(&s, "Workload", "nope") == NULL);
	CHECK(ctl_docset_find(&s, "WorkloadPolicy", "frontend") == NULL);
	CHECK(ctl_docset_find(&s, "WorkloadPolicy", "api") == &s.docs[2]);

	/* upsert: one replaced, two inserted (before and after) */
	CHECK_EQ(split1("more.yaml",
			"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: frontend}\n"
			"labels: {app: web}\n"
			"---\n"
			"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: aaa}\n"
			"---\n"
			"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: zzz}\n",
			&m, &add),
		 0);
	CHECK_EQ(ctl_docset_upsert(&s, &add), 0);
	CHECK_EQ(s.n, 5);
	check_invariants(&s);
	CHECK_STR(s.n == 5 ? s.docs[0].name : NULL, "aaa");
	CHECK_STR(s.n == 5 ? s.docs[3].name : NULL, "zzz");
	CHECK_STR(text_of(&s, "Workload", "frontend"),
		  "apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: frontend}\n"
		  "labels: {app: web}\n");
	CHECK_STR(ctl_docset_find(&s, "Workload", "frontend")->file, "more.yaml");
	CHECK_STR(text_of(&s, "Workload", "api"), stream_api);
	/* @add is copied, not taken */
	CHECK(add.n == 3 && add.docs[0].text != ctl_docset_find(&s, "Workload", "aaa")->text);
	CHECK_EQ(ctl_docset_upsert(&s, &(struct ctl_docset){ 0 }), 0);
	CHECK_EQ(s.n, 5);

	/* remove */
	CHECK_EQ(ctl_docset_remove(&s, "Workload", "nope"), -ENOENT);
	CHECK_EQ(ctl_docset_remove(&s, "WorkloadPolicy", "frontend"), -ENOENT);
	CHECK_EQ(s.n, 5);
	CHECK_EQ(ctl_docset_remove(&s, "Workload", "aaa"), 0);
	CHECK_EQ(ctl_docset_remove(&s, "WorkloadPolicy", "api"), 0);
	CHECK_EQ(s.n, 3);
	check_invariants(&s);
	CHECK(ctl_docset_find(&s, "Workload", "aaa") == NULL);
	CHECK(ctl_docset_find(&s, "Workload", "zzz") != NULL);

	/* the copy did not change */
	CHECK_EQ(c.n, 3);
	CHECK_STR(text_of(&c, "Workload", "frontend"), stream_frontend);
	CHECK_STR(text_of(&c, "WorkloadPolicy", "api"), stream_policy);
	CHECK_STR(c.docs[0].file, "shop.yaml");

	/* down to nothing and up again */
	while (s.n)
		CHECK_EQ(ctl_docset_remove(&s, s.docs[0].kind, s.docs[0].name), 0);
	CHECK_EQ(ctl_docset_upsert(&s, &c), 0);
	CHECK(same_docs(&s, &c));

	ctl_docset_free(&s);
	ctl_docset_free(&c);
	ctl_docset_free(&add);
	CHECK_EQ(m.n, 0);
	msgs_free(&m);
}

/* ------------------------------------------------------------------- diff */

static const char *diff_of(json_t *d, const char *kind, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(d, "changed"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "kind")), kind) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return json_string_value(json_object_get(e, "diff"));
	return NULL;
}

static void test_diff(void)
{
	struct ctl_docset a = { 0 }, b = { 0 };
	struct msgs m = { 0 };
	bool changed = true;
	json_t *d;
	char *dump;

	CHECK_EQ(split1("shop.yaml", stream, &m, &a), 0);

	/* nothing changed */
	CHECK_EQ(ctl_docset_copy(&a, &b), 0);
	free(b.docs[1].file);
	b.docs[1].file = strdup("elsewhere.yaml"); /* the file doesn't count */
	d = ctl_docset_diff(&a, &b, &changed);
	CHECK(d != NULL);
	CHECK(!changed);
	dump = json_dumps(d, JSON_COMPACT);
	CHECK_STR(dump, "{\"added\":[],\"removed\":[],\"changed\":[]}");
	free(dump);
	json_decref(d);

	/* one port changed, one workload gone, one added */
	ctl_docset_free(&b);
	CHECK_EQ(split1("new.yaml",
			"# the API's policy\n"
			"apiVersion: bulkhead/v1\n"
			"kind: WorkloadPolicy\n"
			"metadata:\n"
			"  name: api\n"
			"spec:\n"
			"  selector: {matchLabels: {app: api}}\n"
			"  ingress:\n"
			"  - from: [{selector: {matchLabels: {app: frontend}}}]\n"
			"    ports: [{port: 8443}]\n"
			"---\n"
			"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: \"api\"}\n"
			"labels: {app: api}\naddresses: [10.99.7.20]\n"
			"---\n"
			"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: db}\n",
			&m, &b),
		 0);
	changed = false;
	d = ctl_docset_diff(&a, &b, &changed);
	CHECK(d != NULL && changed);
	dump = json_dumps(d, JSON_COMPACT);
	CHECK_STR(dump,
		  "{\"added\":[{\"kind\":\"Workload\",\"name\":\"db\"}],"
		  "\"removed\":[{\"kind\":\"Workload\",\"name\":\"frontend\"}],"
		  "\"changed\":[{\"kind\":\"WorkloadPolicy\",\"name\":\"api\",\"diff\":"
		  "\"--- running\\n+++ new\\n@@ -7,4 +7,4 @@\\n"
		  "   selector: {matchLabels: {app: api}}\\n"
		  "   ingress:\\n"
		  "   - from: [{selector: {matchLabels: {app: frontend}}}]\\n"
		  "-    ports: [{port: 8080}]\\n"
		  "+    ports: [{port: 8443}]\\n\"}]}");
	free(dump);
	json_decref(d);
	/* and back */
	d = ctl_docset_diff(&b, &a, NULL);
	CHECK_EQ(json_array_size(json_object_get(d, "added")), 1);
	CHECK_EQ(json_array_size(json_object_get(d, "removed")), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(d, "added"), 0),
						    "name")),
		  "frontend");
	CHECK(diff_of(d, "WorkloadPolicy", "api") &&
	      strstr(diff_of(d, "WorkloadPolicy", "api"), "-    ports: [{port: 8443}]\n+    ports"));
	json_decref(d);
	/* from and to nothing */
	d = ctl_docset_diff(&(struct ctl_docset){ 0 }, &a, &changed);
	CHECK(changed);
	CHECK_EQ(json_array_size(json_object_get(d, "added")), 3);
	json_decref(d);
	d = ctl_docset_diff(&(struct ctl_docset){ 0 }, &(struct ctl_docset){ 0 }, &changed);
	CHECK(d && !changed);
	json_decref(d);

	ctl_docset_free(&a);
	ctl_docset_free(&b);
	CHECK_EQ(m.n, 0);
	msgs_free(&m);
}

static void test_unified(void)
{
	static const char a[] = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n";
	static const char b[] = "0\n1\n2\n3\n4\n5\n6\n7\nx\n9\n10\n11\n12\n13\n14\n15\n";
	char *u;

	/* three hunks: changes 7 lines apart (as GNU diff -u gives them) */
	u = ctl_docset_unified_diff(a, strlen(a), b, strlen(b));
	CHECK_STR(u, "--- running\n+++ new\n"
		     "@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n"
		     "@@ -5,7 +6,7 @@\n 5\n 6\n 7\n-8\n+x\n 9\n 10\n 11\n"
		     "@@ -13,4 +14,3 @@\n 13\n 14\n 15\n-16\n");
	free(u);
	/* one hunk when the changes are 6 lines apart */
	u = ctl_docset_unified_diff("a\nb\nc\nd\ne\nf\ng\nh\n", 16, "A\nb\nc\nd\ne\nf\ng\nH\n", 16);
	CHECK_STR(u, "--- running\n+++ new\n@@ -1,8 +1,8 @@\n-a\n+A\n b\n c\n d\n e\n f\n g\n-h\n+H\n");
	free(u);
	/* from nothing, to nothing, equal */
	u = ctl_docset_unified_diff("", 0, "a\nb\n", 4);
	CHECK_STR(u, "--- running\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n");
	free(u);
	u = ctl_docset_unified_diff("a\n", 2, "", 0);
	CHECK_STR(u, "--- running\n+++ new\n@@ -1 +0,0 @@\n-a\n");
	free(u);
	u = ctl_docset_unified_diff("a\n", 2, "a\n", 2);
	CHECK_STR(u, "");
	free(u);
	/* a last line without a newline */
	u = ctl_docset_unified_diff("a\nb", 3, "a\nc\n", 4);
	CHECK_STR(u, "--- running\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n");
	free(u);
}

/* A Workload of @lines lines, its last label's value @last. */
static char *make_big(size_t lines, char last)
{
	size_t cap = 128 + lines * 16, len;
	char *big = malloc(cap);

	if (!big)
		abort();
	len = (size_t)snprintf(big, cap,
			       "apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: big}\n"
			       "labels:\n");
	for (size_t i = 0; i + 4 < lines; i++)
		len += (size_t)snprintf(big + len, cap - len, "  k%zu: %c\n", i,
					i + 5 == lines ? last : 'v');
	return big;
}

static void test_diff_large(void)
{
	size_t n = CTL_DOCSET_DIFF_MAX_LINES;
	struct ctl_docset a = { 0 }, b = { 0 };
	struct msgs m = { 0 };
	char *big = make_big(n + 1, 'v'), *big2 = make_big(n + 1, 'w');
	json_t *d;
	bool changed = false;

	CHECK_EQ(split1("big.yaml", big, &m, &a), 0);
	CHECK_EQ(split1("big.yaml", big2, &m, &b), 0);
	d = ctl_docset_diff(&a, &b, &changed);
	CHECK(changed);
	CHECK_STR(diff_of(d, "Workload", "big"), "(5001 lines -> 5001 lines; too large to show)");
	json_decref(d);
	ctl_docset_free(&b);
	free(big2);
	/* One side is enough. */
	big2 = make_big(n, 'w');
	CHECK_EQ(split1("big.yaml", big2, &m, &b), 0);
	d = ctl_docset_diff(&b, &a, &changed);
	CHECK_STR(diff_of(d, "Workload", "big"), "(5000 lines -> 5001 lines; too large to show)");
	json_decref(d);
	ctl_docset_free(&a);
	free(big);
	/* At the limit, the diff is shown. */
	big = make_big(n, 'v');
	CHECK_EQ(split1("big.yaml", big, &m, &a), 0);
	d = ctl_docset_diff(&a, &b, &changed);
	CHECK_STR(diff_of(d, "Workload", "big"),
		  "--- running\n+++ new\n@@ -4997,4 +4997,4 @@\n"
		  "   k4992: v\n   k4993: v\n   k4994: v\n-  k4995: v\n+  k4995: w\n");
	json_decref(d);
	ctl_docset_free(&a);
	ctl_docset_free(&b);
	free(big);
	free(big2);

	/* Five such documents rewritten whole: the first four are shown,
	 * then the budget of the call is spent. */
	for (int k = 0; k < 5; k++) {
		struct ctl_docset one = { 0 };

		big = make_big(n, 'v');
		big2 = make_big(n, 'v');
		for (char *q = big2; (q = strstr(q, ": v\n")); q++)
			q[2] = 'w';
		/* the names: aig, big, cig, ... */
		strstr(big, "name: big")[6] = strstr(big2, "name: big")[6] = (char)('a' + k);
		CHECK_EQ(split1("big.yaml", big, &m, &one), 0);
		CHECK_EQ(ctl_docset_upsert(&a, &one), 0);
		ctl_docset_free(&one);
		CHECK_EQ(split1("big.yaml", big2, &m, &one), 0);
		CHECK_EQ(ctl_docset_upsert(&b, &one), 0);
		ctl_docset_free(&one);
		free(big);
		free(big2);
	}
	d = ctl_docset_diff(&a, &b, &changed);
	CHECK_EQ(json_array_size(json_object_get(d, "changed")), 5);
	for (int k = 0; k < 5; k++) {
		const char *u = diff_of(d, "Workload", (char[]){ (char)('a' + k), 'i', 'g', 0 });

		CHECK(u != NULL);
		if (k < 4)
			CHECK(u && strncmp(u, "--- running\n+++ new\n@@ -2,4999 +2,4999 @@\n",
					   strlen("--- running\n+++ new\n@@ -2,4999 +2,4999 @@\n")) == 0);
		else
			CHECK_STR(u, "(5000 lines -> 5000 lines; too large to show)");
	}
	json_decref(d);
	ctl_docset_free(&a);
	ctl_docset_free(&b);
	CHECK_EQ(m.n, 0);
	show_msgs(&m);
	msgs_free(&m);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR (tests/data/policy)\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	RUN(test_split_stream);
	RUN(test_split_directive);
	RUN(test_split_flow);
	RUN(test_split_json);
	RUN(test_split_list);
	RUN(test_split_empty);
	RUN(test_split_prefixes);
	RUN(test_reload);
	RUN(test_reload_many);
	RUN(test_source_names);
	RUN(test_errors);
	RUN(test_edit);
	RUN(test_diff);
	RUN(test_unified);
	RUN(test_diff_large);
	return bh_test_summary();
}
