/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_state.c - the state file under --state-dir (ctl_state.h), with the
 * policies of tests/data/policy (argv[1]):
 *
 *   crc        CRC-32C against its check value, in pieces
 *   roundtrip  save and load give back every document field, the
 *              generation and the time; the directory is made 0700, the
 *              file is 0600 and alone in it (no temporary file left); the
 *              loaded texts load and compile as the policy they were
 *   failures   a save that fails (a directory under a regular file, a write
 *              cut short by RLIMIT_FSIZE, a text that is not UTF-8, a
 *              generation too large) leaves the old state as it was and no
 *              temporary file
 *   corrupt    every truncation of a state file, a changed byte in a text,
 *              invalid JSON, another format or version, each missing field,
 *              wrong types, bad documents (with a valid checksum), an empty
 *              file, a directory, a FIFO, a file over the size limit: each
 *              is refused with a message that names the problem, and the
 *              out-parameters are untouched; no state at all is -ENOENT
 */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <dirent.h>

#include "bh_test.h"
#include "bulkhead/dpi.h"
#include "ctl_state.h"

static const char *data_dir;
static char tmp_root[64];

/* --------------------------------------------------------------- helpers */

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

#define CHECK_HAS(hay, needle)                                                        \
	do {                                                                          \
		const char *_h = (hay), *_n = (needle);                               \
		bh_test_checks++;                                                     \
		if (!strstr(_h, _n)) {                                                \
			bh_test_failures++;                                           \
			fprintf(stderr, "%s:%d: [%s] does not hold [%s]\n", __FILE__,  \
				__LINE__, _h, _n);                                    \
		}                                                                     \
	} while (0)

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static char *read_data(const char *sub, const char *name, size_t *len)
{
	char dir[4096];
	struct bh_corpus c;

	snprintf(dir, sizeof(dir), "%s%s%s", data_dir, sub[0] ? "/" : "", sub);
	if (bh_corpus_load(dir, name, &c) < 0)
		die(name);
	c.data[c.size] = '\0';
	*len = c.size;
	return c.data;
}

/* A new directory path under the test's root (not created). */
static void new_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmp_root, name);
}

static char *read_whole(const char *path, size_t *len)
{
	struct bh_corpus c;
	char dir[4096];
	const char *slash = strrchr(path, '/');

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (bh_corpus_load(dir, slash + 1, &c) < 0)
		die(path);
	*len = c.size;
	return c.data;
}

static void write_whole(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (len && write(fd, buf, len) != (ssize_t)len) || close(fd) < 0)
		die(path);
}

static void write_str(const char *path, const char *s)
{
	write_whole(path, s, strlen(s));
}

/* The names in @dir, joined with ' ' ("" when empty). */
static void list_dir(const char *dir, char *buf, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t o = 0;

	buf[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? " " : "", e->d_name);
		if (o >= size)
			break;
	}
	closedir(d);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void split_data(struct ctl_docset *s)
{
	size_t l1, l2;
	char *shop = read_data("", "shop.yaml", &l1), *model = read_data("good", "02-model.json", &l2);
	struct ctl_source src[2] = { { "shop.yaml", shop, l1 }, { "02-model.json", model, l2 } };

	if (ctl_docset_split(src, 2, NULL, NULL, s) < 0)
		die("split");
	free(shop);
	free(model);
}

static bool same_docs(const struct ctl_docset *a, const struct ctl_docset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct ctl_doc *x = &a->docs[i], *y = &b->docs[i];

		if (strcmp(x->kind, y->kind) || strcmp(x->name, y->name) ||
		    strcmp(x->file, y->file) || x->len != y->len ||
		    memcmp(x->text, y->text, x->len) || strlen(y->text) != y->len)
			return false;
	}
	return true;
}

/* -------------------------------------------------------------------- crc */

static void test_crc(void)
{
	CHECK_EQ(ctl_state_crc32c(0, "123456789", 9), 0xe3069283u);
	CHECK_EQ(ctl_state_crc32c(ctl_state_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
	CHECK_EQ(ctl_state_crc32c(0, "", 0), 0);
	/* iSCSI's test vector: 32 zero bytes */
	CHECK_EQ(ctl_state_crc32c(0, (const char[32]){ 0 }, 32), 0x8a9136aau);
}

/* -------------------------------------------------------------- roundtrip */

static const uint64_t when_us = 1795000000123456ull; /* 2026-11-18T11:06:40.123456Z */

static void test_roundtrip(void)
{
	struct ctl_docset s = { 0 }, back = { 0 }, empty = { 0 };
	struct ctl_source *srcs = NULL;
	struct ctl_policy *p0 = NULL, *p1 = NULL;
	struct dpi_policy *dp = NULL;
	uint64_t gen = 0, at = 0;
	char dir[128], path[256], names[256], err[512] = "";
	struct stat st;
	size_t len;
	char *file;

	split_data(&s);
	CHECK_EQ(s.n, 12);
	new_dir(dir, sizeof(dir), "rt");
	snprintf(path, sizeof(path), "%s/policy.state", dir);
	CHECK_EQ(ctl_state_save(dir, &s, 42, when_us, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600);
	list_dir(dir, names, sizeof(names));
	CHECK_STR(names, "policy.state");

	/* What the file says, as a person reads it. */
	file = read_whole(path, &len);
	file[len] = '\0';
	CHECK(len > 0 && file[len - 1] == '\n');
	CHECK(strncmp(file, "{\n \"format\": \"bulkhead-state\",\n \"version\": 1,\n"
			    " \"generation\": 42,\n \"applied_at\": \"2026-11-18T11:06:40.123456Z\",\n"
			    " \"checksum\": \"crc32c:",
		      strlen("{\n \"format\": \"bulkhead-state\",\n \"version\": 1,\n"
			     " \"generation\": 42,\n \"applied_at\": \"2026-11-18T11:06:40.123456Z\",\n"
			     " \"checksum\": \"crc32c:")) == 0);
	free(file);

	CHECK_EQ(ctl_state_load(dir, &back, &gen, &at, err, sizeof(err)), 0);
	CHECK_EQ(gen, 42);
	CHECK_EQ(at, when_us);
	CHECK(same_docs(&s, &back));
	CHECK_STR(back.n ? back.docs[0].file : NULL, "shop.yaml");

	/* The documents loaded back are the policy that was saved. */
	CHECK_EQ(ctl_docset_sources(&back, &srcs), 0);
	CHECK_EQ(ctl_policy_build_bufs(srcs, back.n, NULL, NULL, &p1, &dp), 0);
	{
		char shop[4096], model[4096];
		const char *files[2] = { shop, model };

		snprintf(shop, sizeof(shop), "%s/shop.yaml", data_dir);
		snprintf(model, sizeof(model), "%s/good/02-model.json", data_dir);
		CHECK_EQ(ctl_policy_load(files, 2, NULL, NULL, &p0), 0);
	}
	if (p0 && p1) {
		CHECK_EQ(ctl_policy_doc(p1)->nworkloads, ctl_policy_doc(p0)->nworkloads);
		CHECK_EQ(ctl_policy_doc(p1)->npolicies, ctl_policy_doc(p0)->npolicies);
	}
	dpi_policy_free(dp);
	ctl_policy_free(p0);
	ctl_policy_free(p1);
	free(srcs);
	ctl_docset_free(&back);

	/* Saved again: replaced, still alone. */
	CHECK_EQ(ctl_docset_remove(&s, "Workload", "frontend"), 0);
	CHECK_EQ(ctl_state_save(dir, &s, 43, when_us + 1, err, sizeof(err)), 0);
	list_dir(dir, names, sizeof(names));
	CHECK_STR(names, "policy.state");
	CHECK_EQ(ctl_state_load(dir, &back, NULL, &at, err, sizeof(err)), 0);
	CHECK(same_docs(&s, &back));
	CHECK_EQ(at, when_us + 1);
	ctl_docset_free(&back);

	/* An empty set, time 0; and a name that is not UTF-8 (shown only). */
	CHECK_EQ(ctl_state_save(dir, &empty, 0, 0, err, sizeof(err)), 0);
	CHECK_EQ(ctl_state_load(dir, &back, &gen, &at, err, sizeof(err)), 0);
	CHECK_EQ(back.n, 0);
	CHECK_EQ(gen, 0);
	CHECK_EQ(at, 0);
	free(s.docs[0].file);
	s.docs[0].file = strdup("caf\xe9.yaml");
	CHECK_EQ(ctl_state_save(dir, &s, 44, when_us, err, sizeof(err)), 0);
	CHECK_EQ(ctl_state_load(dir, &back, &gen, NULL, err, sizeof(err)), 0);
	CHECK_STR(back.n ? back.docs[0].file : NULL, "caf?.yaml");
	CHECK_EQ(gen, 44);
	ctl_docset_free(&back);
	ctl_docset_free(&s);
}

/* --------------------------------------------------------------- failures */

/* The state in @dir is still the one of generation @gen, alone. */
static void check_intact(const char *dir, uint64_t gen, const struct ctl_docset *s)
{
	struct ctl_docset back = { 0 };
	char names[256], err[512];
	uint64_t g = 0;

	CHECK_EQ(ctl_state_load(dir, &back, &g, NULL, err, sizeof(err)), 0);
	CHECK_EQ(g, gen);
	CHECK(same_docs(s, &back));
	ctl_docset_free(&back);
	list_dir(dir, names, sizeof(names));
	CHECK_STR(names, "policy.state");
}

static void test_failures(void)
{
	struct ctl_docset s = { 0 }, bad = { 0 };
	char dir[128], file[128], under[256], err[512];
	struct rlimit old, small;

	split_data(&s);
	new_dir(dir, sizeof(dir), "fail");
	CHECK_EQ(ctl_state_save(dir, &s, 7, when_us, err, sizeof(err)), 0);

	/* A directory whose parent is a regular file (root ignores modes). */
	new_dir(file, sizeof(file), "a-file");
	write_whole(file, "x", 1);
	snprintf(under, sizeof(under), "%s/state", file);
	err[0] = '\0';
	CHECK_EQ(ctl_state_save(under, &s, 8, when_us, err, sizeof(err)), -ENOTDIR);
	CHECK_HAS(err, under);
	CHECK_HAS(err, "create the directory");
	/* Its parent missing. */
	snprintf(under, sizeof(under), "%s/no/such/dir", tmp_root);
	CHECK_EQ(ctl_state_save(under, &s, 8, when_us, err, sizeof(err)), -ENOENT);
	CHECK_HAS(err, under);

	/* A write that fails half way: the file size limit. */
	if (getrlimit(RLIMIT_FSIZE, &old) < 0)
		die("getrlimit");
	small = old;
	small.rlim_cur = 1000;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &small) < 0)
		die("setrlimit");
	err[0] = '\0';
	CHECK_EQ(ctl_state_save(dir, &s, 9, when_us, err, sizeof(err)), -EFBIG);
	if (setrlimit(RLIMIT_FSIZE, &old) < 0)
		die("setrlimit");
	signal(SIGXFSZ, SIG_DFL);
	CHECK_HAS(err, "/.policy.state.");
	CHECK_HAS(err, ": write: ");
	check_intact(dir, 7, &s);

	/* A text that is not UTF-8 can't be JSON. */
	CHECK_EQ(ctl_docset_copy(&s, &bad), 0);
	bad.docs[3].text[2] = '\xff';
	CHECK_EQ(ctl_state_save(dir, &bad, 10, when_us, err, sizeof(err)), -EINVAL);
	CHECK_HAS(err, "documents[3] (shop.yaml): not UTF-8");
	check_intact(dir, 7, &s);
	ctl_docset_free(&bad);

	/* Numbers out of range. */
	CHECK_EQ(ctl_state_save(dir, &s, (uint64_t)INT64_MAX + 1, when_us, err, sizeof(err)),
		 -EOVERFLOW);
	CHECK_EQ(ctl_state_save(dir, &s, 11, UINT64_MAX, err, sizeof(err)), -EINVAL);
	check_intact(dir, 7, &s);
	/* NULL or no room for the message is fine. */
	CHECK_EQ(ctl_state_save(dir, &s, (uint64_t)INT64_MAX + 1, when_us, NULL, 0), -EOVERFLOW);
	check_intact(dir, 7, &s);
	CHECK_EQ(ctl_state_save(dir, &s, INT64_MAX, when_us, NULL, 0), 0);
	check_intact(dir, INT64_MAX, &s);
	ctl_docset_free(&s);
}

/* ---------------------------------------------------------------- corrupt */

static char corrupt_dir[128], corrupt_path[256];

/* Loads the state file; -EBADMSG (or @want) with @msg in the message, and
 * nothing filled in. */
static void expect_load(int want, const char *msg)
{
	struct ctl_docset s = { .n = 777 };
	uint64_t gen = 555, at = 666;
	char err[1024] = "";

	CHECK_EQ(ctl_state_load(corrupt_dir, &s, &gen, &at, err, sizeof(err)), want);
	CHECK_EQ(s.n, 777);
	CHECK(s.docs == NULL);
	CHECK_EQ(gen, 555);
	CHECK_EQ(at, 666);
	CHECK_HAS(err, corrupt_path);
	CHECK_HAS(err, msg);
}

static void write_json(json_t *root)
{
	char *t = json_dumps(root, JSON_INDENT(1));
	size_t n;

	if (!t)
		die("json_dumps");
	n = strlen(t);
	t = realloc(t, n + 2);
	if (!t)
		die("realloc");
	t[n] = '\n';
	write_whole(corrupt_path, t, n + 1);
	free(t);
}

/* The checksum of the documents as they are now. */
static void fix_checksum(json_t *root)
{
	char *d = json_dumps(json_object_get(root, "documents"), JSON_COMPACT | JSON_SORT_KEYS);
	char sum[32];

	if (!d)
		die("json_dumps");
	snprintf(sum, sizeof(sum), "crc32c:%08x", ctl_state_crc32c(0, d, strlen(d)));
	json_object_set_new(root, "checksum", json_string(sum));
	free(d);
}

static json_t *good_json(const char *good, size_t len)
{
	json_t *j = json_loadb(good, len, 0, NULL);

	if (!j)
		die("json_loadb");
	return j;
}

/* Sets @key of @root to @v (NULL: deletes it), writes it, expects @msg. */
static void expect_field(const char *good, size_t len, const char *key, json_t *v, bool fix,
			 const char *msg)
{
	json_t *root = good_json(good, len);

	if (v)
		json_object_set_new(root, key, v);
	else
		json_object_del(root, key);
	if (fix)
		fix_checksum(root);
	write_json(root);
	json_decref(root);
	expect_load(-EBADMSG, msg);
}

/* The same for a document's key (@idx). */
static void expect_doc(const char *good, size_t len, size_t idx, const char *key, json_t *v,
		       const char *msg)
{
	json_t *root = good_json(good, len);
	json_t *d = json_array_get(json_object_get(root, "documents"), idx);

	if (v)
		json_object_set_new(d, key, v);
	else
		json_object_del(d, key);
	fix_checksum(root);
	write_json(root);
	json_decref(root);
	expect_load(-EBADMSG, msg);
}

static void test_corrupt(void)
{
	static const char small[] =
		"apiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: frontend}\n"
		"---\n"
		"# the API\napiVersion: bulkhead/v1\nkind: Workload\nmetadata: {name: api}\n";
	struct ctl_source src = { "small.yaml", small, sizeof(small) - 1 };
	struct ctl_docset s = { 0 };
	char err[512], *good, *copy, *p;
	json_t *root, *docs;
	size_t len;
	int fd;

	if (ctl_docset_split(&src, 1, NULL, NULL, &s) < 0)
		die("split");
	new_dir(corrupt_dir, sizeof(corrupt_dir), "corrupt");
	snprintf(corrupt_path, sizeof(corrupt_path), "%s/policy.state", corrupt_dir);

	/* No directory, no file: no state. */
	expect_load(-ENOENT, "no state");
	CHECK_EQ(ctl_state_save(corrupt_dir, &s, 3, when_us, err, sizeof(err)), 0);
	good = read_whole(corrupt_path, &len);
	copy = malloc(len + 1);
	if (!copy)
		die("malloc");

	/* Every truncation. */
	for (size_t n = 0; n < len; n++) {
		write_whole(corrupt_path, good, n);
		expect_load(-EBADMSG, n == 0 ? "empty file" : ": ");
	}
	write_whole(corrupt_path, good, len - 1);
	expect_load(-EBADMSG, "truncated: the file does not end in a newline");
	memcpy(copy, good, len);
	copy[len - 2] = '\n'; /* "}" cut, the newline kept */
	write_whole(corrupt_path, copy, len - 1);
	expect_load(-EBADMSG, "invalid JSON: ");

	/* One byte of a text changed: still JSON, not the same documents. */
	memcpy(copy, good, len);
	copy[len] = '\0';
	p = strstr(copy, "# the API");
	CHECK(p != NULL);
	if (p) {
		p[6] = 'a';
		write_whole(corrupt_path, copy, len);
		expect_load(-EBADMSG, "checksum mismatch: stored ");
	}
	/* ... or of the checksum itself. */
	memcpy(copy, good, len);
	copy[len] = '\0';
	p = strstr(copy, "crc32c:");
	if (p) {
		p[7] = p[7] == '0' ? '1' : '0';
		write_whole(corrupt_path, copy, len);
		expect_load(-EBADMSG, "checksum mismatch: stored ");
	}

	/* Not JSON, not an object. */
	write_str(corrupt_path, "{\n \"format\": bulkhead\n}\n");
	expect_load(-EBADMSG, "line 2 column 19: invalid JSON: invalid token near 'bulkhead'");
	write_str(corrupt_path, "[1, 2]\n");
	expect_load(-EBADMSG, "not a JSON object");
	write_str(corrupt_path, "{\"format\": \"bulkhead-state\", \"format\": \"x\"}\n");
	expect_load(-EBADMSG, "invalid JSON: duplicate object key");

	/* Format and version. */
	expect_field(good, len, "format", json_string("other"), false,
		     "format: not bulkhead-state");
	expect_field(good, len, "format", json_integer(1), false, "format: not bulkhead-state");
	expect_field(good, len, "version", json_integer(9), false,
		     "version 9 is newer than this bulkheadd (1)");
	expect_field(good, len, "version", json_integer(0), false, "version 0: not a version");
	expect_field(good, len, "version", json_string("1"), false, "version: not an integer");
	expect_field(good, len, "extra", json_true(), false, "unknown key `extra`");

	/* Each field missing. */
	expect_field(good, len, "format", NULL, false, "format: missing");
	expect_field(good, len, "version", NULL, false, "version: missing");
	expect_field(good, len, "generation", NULL, false, "generation: missing");
	expect_field(good, len, "applied_at", NULL, false, "applied_at: missing");
	expect_field(good, len, "checksum", NULL, false, "checksum: missing");
	expect_field(good, len, "documents", NULL, false, "documents: missing");

	/* Wrong types and values. */
	expect_field(good, len, "generation", json_integer(-1), false,
		     "generation: not a non-negative integer");
	expect_field(good, len, "generation", json_string("3"), false,
		     "generation: not a non-negative integer");
	expect_field(good, len, "applied_at", json_integer(5), false, "applied_at: not a string");
	expect_field(good, len, "applied_at", json_string("yesterday"), false,
		     "applied_at: not a time like");
	expect_field(good, len, "applied_at", json_string("2026-02-30T10:00:00.000000Z"), false,
		     "applied_at: not a time like");
	expect_field(good, len, "checksum", json_integer(7), false, "checksum: not a string");
	expect_field(good, len, "checksum", json_string("crc32:00000000"), false,
		     "checksum: not crc32c:XXXXXXXX");
	expect_field(good, len, "checksum", json_string("crc32c:ABCDEF01"), false,
		     "checksum: not crc32c:XXXXXXXX");
	expect_field(good, len, "documents", json_object(), false, "documents: not a list");

	/* Documents that don't hold up, with a checksum that does. */
	expect_doc(good, len, 1, "kind", NULL, "documents[1].kind: missing");
	expect_doc(good, len, 0, "name", json_integer(5), "documents[0].name: not a string");
	expect_doc(good, len, 0, "name", json_string(""), "documents[0].name: empty");
	expect_doc(good, len, 1, "file", NULL, "documents[1].file: missing");
	expect_doc(good, len, 1, "text", json_string("kind: Workload"),
		   "documents[1].text: does not end in a newline");
	expect_doc(good, len, 1, "text", json_stringn("a\0b\n", 4), "documents[1].text: holds a NUL");
	expect_doc(good, len, 0, "labels", json_object(), "documents[0]: unknown key `labels`");
	expect_doc(good, len, 1, "name", json_string("api"),
		   "documents[1]: Workload `api` is out of order or repeated");
	expect_doc(good, len, 0, "name", json_string("zzz"),
		   "documents[1]: Workload `frontend` is out of order or repeated");
	root = good_json(good, len);
	docs = json_object_get(root, "documents");
	json_array_append_new(docs, json_string("third"));
	fix_checksum(root);
	write_json(root);
	json_decref(root);
	expect_load(-EBADMSG, "documents[2]: not an object");

	/* Not a file: a directory, a FIFO; too large. */
	unlink(corrupt_path);
	if (mkdir(corrupt_path, 0700) < 0)
		die("mkdir");
	expect_load(-EISDIR, "is a directory");
	rmdir(corrupt_path);
	if (mkfifo(corrupt_path, 0600) < 0)
		die("mkfifo");
	expect_load(-EBADMSG, "not a regular file");
	unlink(corrupt_path);
	fd = open(corrupt_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)CTL_STATE_MAX_SIZE + 1) < 0)
		die("ftruncate");
	close(fd);
	expect_load(-EFBIG, "more than the limit of 256 MiB");
	unlink(corrupt_path);
	expect_load(-ENOENT, "no state");

	/* And the good one still loads. */
	write_whole(corrupt_path, good, len);
	{
		struct ctl_docset back = { 0 };

		CHECK_EQ(ctl_state_load(corrupt_dir, &back, NULL, NULL, NULL, 0), 0);
		CHECK(same_docs(&s, &back));
		ctl_docset_free(&back);
	}
	free(good);
	free(copy);
	ctl_docset_free(&s);
}

int main(int argc, char **argv)
{
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR (tests/data/policy)\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/bh-test-state-XXXXXX");
	if (!mkdtemp(tmp_root))
		die("mkdtemp");
	RUN(test_crc);
	RUN(test_roundtrip);
	RUN(test_failures);
	RUN(test_corrupt);
	r = bh_test_summary();
	nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}
