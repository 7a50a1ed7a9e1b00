/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_state.c - the last applied document set under --state-dir
 * (ctl_state.h): written whole to a temporary file and renamed over the old
 * one, so that a crash leaves either the old state or the new one; read back
 * strictly, so that anything else is reported as corrupt instead of being
 * half enforced.
 *
 * The file ends in a newline that load requires: without it, cutting the
 * file right after its closing brace would leave valid JSON behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_state.h"
#include "ctl_utf8.h"

#define PATH_BUF 4096

__attribute__((format(printf, 3, 4))) static void say(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* "PATH: step: reason" for the -errno @r; returns @r. */
static int fail(char *err, size_t errlen, int r, const char *path, const char *step)
{
	char b[128];

	say(err, errlen, "%s: %s: %s", path, step, strerror_r(-r, b, sizeof(b)));
	return r;
}

uint32_t ctl_state_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t t[256];

	/* The table costs 2K steps: nothing next to a state file, and no
	 * global to initialise. */
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		t[i] = c;
	}
	crc = ~crc;
	while (len--)
		crc = t[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ------------------------------------------------------------------ times */

/* "2026-11-22T10:51:42.123456Z" into @buf (32 bytes); false past year
 * 9999. */
static bool format_time(uint64_t us, char *buf, size_t size)
{
	time_t t = (time_t)(us / 1000000u);
	struct tm tm;
	char s[32];

	if (us / 1000000u > (uint64_t)253402300799u || !gmtime_r(&t, &tm) ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm) != 19)
		return false;
	return snprintf(buf, size, "%s.%06uZ", s, (unsigned)(us % 1000000u)) < (int)size;
}

static bool digits(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return true;
}

/* The inverse of format_time(), which must give @s back exactly. */
static bool parse_time(const char *s, uint64_t *ret)
{
	unsigned y, mo, d, h, mi, sec, frac;
	struct tm tm = { 0 };
	char again[32];
	time_t t;

	if (strlen(s) != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != '.' || s[26] != 'Z' || !digits(s, 4, &y) ||
	    !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
	    !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec) || !digits(s + 20, 6, &frac) ||
	    y < 1970)
		return false;
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	t = timegm(&tm);
	if (t < 0)
		return false;
	*ret = (uint64_t)t * 1000000u + frac;
	/* 2026-02-30 normalises to March: not the same text. */
	return format_time(*ret, again, sizeof(again)) && strcmp(again, s) == 0;
}

/* ------------------------------------------------------------------ UTF-8 */

/* @s as a JSON string; bytes that are not UTF-8 become '?' (a file name is
 * only shown). NULL when out of memory. */
static json_t *lossy_string(const char *s)
{
	size_t n = strlen(s), i = 0;
	char *c = malloc(n + 1);
	json_t *j;

	if (!c)
		return NULL;
	memcpy(c, s, n + 1);
	while (i < n) {
		size_t k = ctl_utf8_seq((const uint8_t *)c + i, n - i);

		if (!k) {
			c[i++] = '?';
			continue;
		}
		i += k;
	}
	j = json_stringn(c, n);
	free(c);
	return j;
}

/* ------------------------------------------------------------------- save */

/* The documents array; -EINVAL (said) or -ENOMEM. */
static int documents_json(const struct ctl_docset *s, json_t **ret, char *err, size_t errlen)
{
	json_t *arr = json_array();
	int r = -ENOMEM;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		const struct ctl_doc *d = &s->docs[i];
		json_t *o;

		if (!ctl_utf8_valid(d->kind, strlen(d->kind)) || !ctl_utf8_valid(d->name, strlen(d->name)) ||
		    !ctl_utf8_valid(d->text, d->len)) {
			say(err, errlen, "documents[%zu] (%s): not UTF-8", i, d->file ? d->file : "");
			r = -EINVAL;
			goto fail;
		}
		o = json_object();
		if (!o || json_array_append_new(arr, o) < 0 ||
		    json_object_set_new(o, "kind", json_string(d->kind)) < 0 ||
		    json_object_set_new(o, "name", json_string(d->name)) < 0 ||
		    json_object_set_new(o, "file", lossy_string(d->file ? d->file : "")) < 0 ||
		    json_object_set_new(o, "text", json_stringn(d->text, d->len)) < 0)
			goto fail;
	}
	*ret = arr;
	return 0;
fail:
	if (r == -ENOMEM)
		say(err, errlen, "out of memory");
	json_decref(arr);
	return r;
}

/* The checksum of a documents array: "crc32c:xxxxxxxx" into @buf (16+). */
static int checksum(const json_t *docs, char *buf, size_t size)
{
	char *dump = json_dumps(docs, JSON_COMPACT | JSON_SORT_KEYS);

	if (!dump)
		return -ENOMEM;
	snprintf(buf, size, "crc32c:%08" PRIx32, ctl_state_crc32c(0, dump, strlen(dump)));
	free(dump);
	return 0;
}

/* The whole file's text, malloc'd, its length in *@ret_len. */
static int state_text(const struct ctl_docset *s, uint64_t generation, uint64_t applied_us,
		      char **ret, size_t *ret_len, char *err, size_t errlen)
{
	json_t *root = NULL, *docs = NULL;
	char sum[32], when[40], *text = NULL;
	size_t len;
	int r;

	if (generation > INT64_MAX) {
		say(err, errlen, "generation %" PRIu64 " is too large", generation);
		return -EOVERFLOW;
	}
	if (!format_time(applied_us, when, sizeof(when))) {
		say(err, errlen, "applied time %" PRIu64 " is out of range", applied_us);
		return -EINVAL;
	}
	r = documents_json(s, &docs, err, errlen);
	if (r < 0)
		return r;
	r = -ENOMEM;
	root = json_object();
	if (checksum(docs, sum, sizeof(sum)) < 0 || !root ||
	    json_object_set_new(root, "format", json_string(CTL_STATE_FORMAT)) < 0 ||
	    json_object_set_new(root, "version", json_integer(CTL_STATE_VERSION)) < 0 ||
	    json_object_set_new(root, "generation", json_integer((json_int_t)generation)) < 0 ||
	    json_object_set_new(root, "applied_at", json_string(when)) < 0 ||
	    json_object_set_new(root, "checksum", json_string(sum)) < 0 ||
	    json_object_set(root, "documents", docs) < 0)
		goto out;
	text = json_dumps(root, JSON_INDENT(1));
	if (!text)
		goto out;
	len = strlen(text);
	if (len >= CTL_STATE_MAX_SIZE) {
		say(err, errlen, "the state would be %zu bytes, more than the limit of %u MiB", len + 1,
		    CTL_STATE_MAX_SIZE >> 20);
		r = -EFBIG;
		goto out;
	}
	text[len] = '\n'; /* over the NUL: the file has none */
	*ret = text;
	*ret_len = len + 1;
	text = NULL;
	r = 0;
out:
	if (r == -ENOMEM)
		say(err, errlen, "out of memory");
	free(text);
	json_decref(docs);
	json_decref(root);
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ctl_state_save(const char *dir, const struct ctl_docset *s, uint64_t generation,
		   uint64_t applied_us, char *err, size_t errlen)
{
	char path[PATH_BUF], tmp[PATH_BUF], *text = NULL;
	int dfd = -1, fd = -1, r;
	bool have_tmp = false;
	size_t len = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/" CTL_STATE_FILE, dir) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/." CTL_STATE_FILE ".XXXXXX", dir) >=
		    sizeof(tmp)) {
		say(err, errlen, "%s: the path is too long", dir);
		return -ENAMETOOLONG;
	}
	r = state_text(s, generation, applied_us, &text, &len, err, errlen);
	if (r < 0)
		return r;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = fail(err, errlen, -errno, dir, "create the directory");
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = fail(err, errlen, -errno, dir, "open the directory");
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = fail(err, errlen, -errno, tmp, "create");
		goto out;
	}
	have_tmp = true;
	/* mkostemp()'s mode is 0600 less the umask: 0600 whatever it is. */
	if (fchmod(fd, 0600) < 0) {
		r = fail(err, errlen, -errno, tmp, "chmod");
		goto out;
	}
	r = write_all(fd, text, len);
	if (r < 0) {
		fail(err, errlen, r, tmp, "write");
		goto out;
	}
	if (fsync(fd) < 0) {
		r = fail(err, errlen, -errno, tmp, "fsync");
		goto out;
	}
	r = close(fd);
	fd = -1;
	if (r < 0) {
		r = fail(err, errlen, -errno, tmp, "close");
		goto out;
	}
	if (rename(tmp, path) < 0) {
		r = fail(err, errlen, -errno, tmp, "rename over " CTL_STATE_FILE);
		goto out;
	}
	have_tmp = false;
	if (fsync(dfd) < 0) {
		r = fail(err, errlen, -errno, dir,
			 "fsync (the new state is in place but may not survive a crash)");
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlink(tmp);
	if (dfd >= 0)
		close(dfd);
	free(text);
	return r;
}

/* ------------------------------------------------------------------- load */

static int read_state(const char *path, char **ret, size_t *ret_len, char *err, size_t errlen)
{
	size_t cap, len = 0;
	char *buf = NULL;
	struct stat st;
	int fd, r;

	/* O_NONBLOCK: a FIFO put there must not hang the daemon's start. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			say(err, errlen, "%s: no state", path);
		else
			fail(err, errlen, r, path, "open");
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = fail(err, errlen, -errno, path, "stat");
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		say(err, errlen, "%s: is a directory, not a state file", path);
		r = -EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		say(err, errlen, "%s: not a regular file", path);
		r = -EBADMSG;
		goto out;
	}
	if (st.st_size > (off_t)CTL_STATE_MAX_SIZE) {
		say(err, errlen, "%s: %jd bytes, more than the limit of %u MiB", path,
		    (intmax_t)st.st_size, CTL_STATE_MAX_SIZE >> 20);
		r = -EFBIG;
		goto out;
	}
	cap = (size_t)st.st_size + 1; /* one more, to see the end in one read */
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		say(err, errlen, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap > CTL_STATE_MAX_SIZE) { /* it grew */
				say(err, errlen, "%s: more than the limit of %u MiB", path,
				    CTL_STATE_MAX_SIZE >> 20);
				r = -EFBIG;
				goto out;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				say(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = fail(err, errlen, -errno, path, "read");
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CTL_STATE_MAX_SIZE) {
		say(err, errlen, "%s: more than the limit of %u MiB", path, CTL_STATE_MAX_SIZE >> 20);
		r = -EFBIG;
		goto out;
	}
	*ret = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

/* Says "PATH: WHAT: PROBLEM"; returns -EBADMSG. */
__attribute__((format(printf, 4, 5))) static int corrupt(char *err, size_t errlen,
							 const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say(err, errlen, "%s: %s", path, msg);
	return -EBADMSG;
}

static bool only_keys(const json_t *o, const char *const *keys, const char **ret_unknown)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v) {
		size_t i = 0;

		while (keys[i] && strcmp(keys[i], k) != 0)
			i++;
		if (!keys[i]) {
			*ret_unknown = k;
			return false;
		}
	}
	return true;
}

/* A string member: NULL after saying what is wrong. */
static const char *member_str(const json_t *o, const char *key, const char *where, bool nonempty,
			      const char *path, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	if (!v) {
		corrupt(err, errlen, path, "%s%s: missing", where, key);
		return NULL;
	}
	if (!json_is_string(v)) {
		corrupt(err, errlen, path, "%s%s: not a string", where, key);
		return NULL;
	}
	if (nonempty && !json_string_length(v)) {
		corrupt(err, errlen, path, "%s%s: empty", where, key);
		return NULL;
	}
	if (nonempty && memchr(json_string_value(v), '\0', json_string_length(v))) {
		corrupt(err, errlen, path, "%s%s: holds a NUL", where, key);
		return NULL;
	}
	return json_string_value(v);
}

static int read_documents(const json_t *arr, struct ctl_docset *ret, const char *path, char *err,
			  size_t errlen)
{
	static const char *const keys[] = { "kind", "name", "file", "text", NULL };
	struct ctl_docset s = { 0 };
	size_t n = json_array_size(arr);
	int r = 0;

	if (n) {
		s.docs = calloc(n, sizeof(*s.docs));
		if (!s.docs) {
			say(err, errlen, "%s: out of memory", path);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(arr, i);
		const char *kind, *name, *file, *text, *unknown = NULL;
		struct ctl_doc *d = &s.docs[i];
		char where[48];

		snprintf(where, sizeof(where), "documents[%zu].", i);
		if (!json_is_object(o)) {
			r = corrupt(err, errlen, path, "documents[%zu]: not an object", i);
			goto out;
		}
		if (!only_keys(o, keys, &unknown)) {
			r = corrupt(err, errlen, path, "documents[%zu]: unknown key `%s`", i, unknown);
			goto out;
		}
		kind = member_str(o, "kind", where, true, path, err, errlen);
		name = kind ? member_str(o, "name", where, true, path, err, errlen) : NULL;
		file = name ? member_str(o, "file", where, false, path, err, errlen) : NULL;
		text = file ? member_str(o, "text", where, true, path, err, errlen) : NULL;
		if (!text) {
			r = -EBADMSG;
			goto out;
		}
		if (text[json_string_length(json_object_get(o, "text")) - 1] != '\n') {
			r = corrupt(err, errlen, path, "%stext: does not end in a newline", where);
			goto out;
		}
		d->len = json_string_length(json_object_get(o, "text"));
		d->kind = strdup(kind);
		d->name = strdup(name);
		d->file = strdup(file);
		d->text = malloc(d->len + 1);
		s.n = i + 1;
		if (!d->kind || !d->name || !d->file || !d->text) {
			say(err, errlen, "%s: out of memory", path);
			r = -ENOMEM;
			goto out;
		}
		memcpy(d->text, text, d->len + 1);
		if (i && (strcmp(s.docs[i - 1].kind, kind) > 0 ||
			  (strcmp(s.docs[i - 1].kind, kind) == 0 &&
			   strcmp(s.docs[i - 1].name, name) >= 0))) {
			r = corrupt(err, errlen, path,
				    "documents[%zu]: %s `%s` is out of order or repeated", i, kind,
				    name);
			goto out;
		}
	}
	*ret = s;
	s = (struct ctl_docset){ 0 };
out:
	ctl_docset_free(&s);
	return r;
}

int ctl_state_parse(const char *name, const char *buf, size_t len, struct ctl_docset *ret,
		    uint64_t *ret_generation, uint64_t *ret_applied_us, char *err, size_t errlen)
{
	static const char *const keys[] = { "format",	"version",  "generation",
					    "applied_at", "checksum", "documents", NULL };
	const char *path = name ? name : "<buffer>";
	const json_t *v, *docs;
	const char *s, *unknown = NULL;
	uint64_t generation, applied;
	json_t *root = NULL;
	json_error_t je;
	json_int_t ver;
	char sum[32];
	int r;

	if (len > CTL_STATE_MAX_SIZE) {
		say(err, errlen, "%s: %zu bytes, more than the limit of %u MiB", path, len,
		    CTL_STATE_MAX_SIZE >> 20);
		return -EFBIG;
	}
	if (!len)
		return corrupt(err, errlen, path, "empty file");
	if (buf[len - 1] != '\n')
		return corrupt(err, errlen, path, "truncated: the file does not end in a newline");
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!root) {
		if (json_error_code(&je) == json_error_out_of_memory) {
			say(err, errlen, "%s: out of memory", path);
			return -ENOMEM;
		}
		return corrupt(err, errlen, path, "line %d column %d: invalid JSON: %s", je.line,
			       je.column, je.text);
	}
	r = -EBADMSG;
	if (!json_is_object(root)) {
		corrupt(err, errlen, path, "not a JSON object");
		goto out;
	}
	v = json_object_get(root, "format");
	if (!v) {
		corrupt(err, errlen, path, "format: missing");
		goto out;
	}
	if (!json_is_string(v) || strcmp(json_string_value(v), CTL_STATE_FORMAT) != 0) {
		corrupt(err, errlen, path, "format: not " CTL_STATE_FORMAT);
		goto out;
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v)) {
		corrupt(err, errlen, path, "version: %s", v ? "not an integer" : "missing");
		goto out;
	}
	ver = json_integer_value(v);
	if (ver > CTL_STATE_VERSION) {
		corrupt(err, errlen, path, "version %" JSON_INTEGER_FORMAT
			" is newer than this bulkheadd (%d)", ver, CTL_STATE_VERSION);
		goto out;
	}
	if (ver < 1) {
		corrupt(err, errlen, path, "version %" JSON_INTEGER_FORMAT ": not a version", ver);
		goto out;
	}
	if (!only_keys(root, keys, &unknown)) {
		corrupt(err, errlen, path, "unknown key `%s`", unknown);
		goto out;
	}
	v = json_object_get(root, "generation");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		corrupt(err, errlen, path, "generation: %s",
			v ? "not a non-negative integer" : "missing");
		goto out;
	}
	generation = (uint64_t)json_integer_value(v);
	s = member_str(root, "applied_at", "", true, path, err, errlen);
	if (!s)
		goto out;
	if (!parse_time(s, &applied)) {
		corrupt(err, errlen, path, "applied_at: not a time like 2026-11-22T10:51:42.123456Z");
		goto out;
	}
	s = member_str(root, "checksum", "", true, path, err, errlen);
	if (!s)
		goto out;
	if (strlen(s) != 15 || strncmp(s, "crc32c:", 7) != 0 ||
	    strspn(s + 7, "0123456789abcdef") != 8) {
		corrupt(err, errlen, path, "checksum: not crc32c:XXXXXXXX");
		goto out;
	}
	docs = json_object_get(root, "documents");
	if (!json_is_array(docs)) {
		corrupt(err, errlen, path, "documents: %s", docs ? "not a list" : "missing");
		goto out;
	}
	if (checksum(docs, sum, sizeof(sum)) < 0) {
		say(err, errlen, "%s: out of memory", path);
		r = -ENOMEM;
		goto out;
	}
	if (strcmp(sum, s) != 0) {
		corrupt(err, errlen, path, "checksum mismatch: stored %s, computed %s", s + 7,
			sum + 7);
		goto out;
	}
	r = read_documents(docs, ret, path, err, errlen);
	if (r < 0)
		goto out;
	if (ret_generation)
		*ret_generation = generation;
	if (ret_applied_us)
		*ret_applied_us = applied;
out:
	json_decref(root);
	return r;
}

int ctl_state_load(const char *dir, struct ctl_docset *ret, uint64_t *ret_generation,
		   uint64_t *ret_applied_us, char *err, size_t errlen)
{
	char path[PATH_BUF], *buf = NULL;
	size_t len = 0;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/" CTL_STATE_FILE, dir) >= sizeof(path)) {
		say(err, errlen, "%s: the path is too long", dir);
		return -ENAMETOOLONG;
	}
	r = read_state(path, &buf, &len, err, errlen);
	if (r < 0)
		return r;
	r = ctl_state_parse(path, buf, len, ret, ret_generation, ret_applied_us, err, errlen);
	free(buf);
	return r;
}
