/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_state.c - libFuzzer target for the state file's reader
 * (ctl_state_parse(), what bulkheadd reads from --state-dir at its start).
 *
 * Input: the bytes of a state file, copied into an allocation of exactly
 * their size, so ASan sees any read past it. A random change almost never
 * keeps the checksum right, so when the reader's only complaint is the
 * checksum, the stored one is replaced by the computed one (from the
 * message) and the input read again: the documents' checks are reached.
 *
 * The promises checked (a violation aborts): the result is 0, -EBADMSG or
 * -ENOMEM; a failure says "fuzz.state: ..." and leaves the out-parameters
 * alone; reading twice gives the same answer. A set read is sorted and
 * unique, its texts end in '\n'; its text (ctl_docset_text()) and its
 * sources (ctl_docset_sources()) are what ctl_docset.h says; when each
 * document's text splits (ctl_docset_split()) into that document alone,
 * the set's text splits into the same set; saved (ctl_state_save(), to a
 * directory on tmpfs when there is one) and loaded again, it is the same
 * set, generation and time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_state.h"
#include "fuzz_docs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.state"
/* Inputs past this are not saved and loaded (a file system round trip per
 * input is the slowest step). */
#define MAX_SAVE 16384u

/* A new directory for one save, its path in @buf (@size bytes); false when
 * none can be made. */
static bool temp_dir(char *buf, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	/* tmpfs: fsync() costs nothing there. */
	snprintf(buf, size, "/dev/shm/fuzz_state.XXXXXX");
	if (mkdtemp(buf))
		return true;
	snprintf(buf, size, "%s/fuzz_state.XXXXXX", tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	return mkdtemp(buf) != NULL;
}

static void remove_dir(const char *dir)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/" CTL_STATE_FILE, dir);
	unlink(path);
	rmdir(dir);
}

struct result {
	int r;
	struct ctl_docset s;
	uint64_t gen, at;
	char err[512];
};

static void parse(const char *buf, size_t len, struct result *res)
{
	char *c = malloc(len ? len : 1);

	if (!c)
		abort();
	memcpy(c, buf, len);
	res->s = (struct ctl_docset){ .n = 12345 };
	res->gen = res->at = 777;
	res->err[0] = '\0';
	res->r = ctl_state_parse(NAME, c, len, &res->s, &res->gen, &res->at, res->err,
				 sizeof(res->err));
	free(c);
	if (res->r == 0) {
		fuzz_check_set(&res->s);
		return;
	}
	if ((res->r != -EBADMSG && res->r != -ENOMEM) || res->s.n != 12345 || res->s.docs ||
	    res->gen != 777 || res->at != 777 || strncmp(res->err, NAME ": ", sizeof(NAME) + 1) ||
	    !res->err[sizeof(NAME) + 1])
		abort();
	res->s = (struct ctl_docset){ 0 };
}

/* With the checksum the reader computed in place of the stored one: a copy
 * of @buf, or NULL when the message or the input doesn't allow it. */
static char *fix_checksum(const char *buf, size_t len, const char *err)
{
	char stored[9], computed[9], pat[16];
	const char *at;
	char *c;

	if (sscanf(err, NAME ": checksum mismatch: stored %8[0-9a-f], computed %8[0-9a-f]",
		   stored, computed) != 2 || strlen(stored) != 8 || strlen(computed) != 8)
		return NULL;
	snprintf(pat, sizeof(pat), "crc32c:%s", stored);
	at = memmem(buf, len, pat, 15);
	if (!at)
		return NULL; /* written with escapes */
	c = malloc(len);
	if (!c)
		abort();
	memcpy(c, buf, len);
	memcpy(c + (at - buf) + 7, computed, 8);
	return c;
}

/* Whether every document's text, split by itself, is that document again. */
static bool canonical(const struct ctl_docset *s, const struct ctl_source *src)
{
	for (size_t i = 0; i < s->n; i++) {
		struct ctl_docset one = { 0 };
		struct fuzz_msgs m = { .src = &src[i], .nsrc = 1 };
		int r = ctl_docset_split(&src[i], 1, fuzz_on_msg, &m, &one);
		bool same = r == 0 && one.n == 1 && !strcmp(one.docs[0].kind, s->docs[i].kind) &&
			    !strcmp(one.docs[0].name, s->docs[i].name) &&
			    one.docs[0].len == s->docs[i].len &&
			    !memcmp(one.docs[0].text, s->docs[i].text, s->docs[i].len);

		if ((r == 0) != (m.n == 0) && r != -ENOMEM)
			abort();
		if (r == 0)
			fuzz_check_set(&one);
		ctl_docset_free(&one);
		if (!same)
			return false;
	}
	return true;
}

/* A set whose documents are each what splitting its text gives: its text
 * splits into the same set. */
static void check_resplit(const struct ctl_docset *s, const struct ctl_source *src,
			  const char *text, size_t tlen)
{
	struct ctl_source all = { .name = "all.yaml", .text = text, .len = tlen };
	struct fuzz_msgs m = { .src = &all, .nsrc = 1 };
	struct ctl_docset again = { 0 };
	int r;

	if (!canonical(s, src))
		return;
	r = ctl_docset_split(&all, 1, fuzz_on_msg, &m, &again);
	if (r == -ENOMEM)
		return;
	if (r != 0 || !fuzz_same_docs(s, &again, false)) {
		fprintf(stderr, "the set's text does not split into the set (%d)\n", r);
		abort();
	}
	ctl_docset_free(&again);
}

/* Saved and loaded again, @res is the same. A directory per save: libFuzzer
 * ends with _Exit(), so one kept for the run would stay behind. */
static void check_save(const struct result *res)
{
	struct ctl_docset back = { 0 };
	uint64_t gen = 0, at = 0;
	char dir[64], err[512];
	int r;

	if (!temp_dir(dir, sizeof(dir)))
		return;
	r = ctl_state_save(dir, &res->s, res->gen, res->at, err, sizeof(err));
	/* What was read can be written (unless the disk is full). */
	if (r == -EINVAL || r == -EOVERFLOW || r == -EFBIG) {
		fprintf(stderr, "save: %s\n", err);
		abort();
	}
	if (r == 0) {
		r = ctl_state_load(dir, &back, &gen, &at, err, sizeof(err));
		if (r != 0 && r != -ENOMEM) {
			fprintf(stderr, "load after save: %s\n", err);
			abort();
		}
		if (r == 0 && (gen != res->gen || at != res->at ||
			       !fuzz_same_docs(&res->s, &back, true)))
			abort();
		ctl_docset_free(&back);
	}
	remove_dir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	const char *buf = (const char *)data;
	char *fixed;

	if (!a || !b)
		abort();
	parse(buf, size, a);
	parse(buf, size, b);
	if (a->r != b->r || strcmp(a->err, b->err) || a->gen != b->gen || a->at != b->at ||
	    (a->r == 0 && !fuzz_same_docs(&a->s, &b->s, true)))
		abort();
	ctl_docset_free(&b->s);
	fixed = a->r == -EBADMSG ? fix_checksum(buf, size, a->err) : NULL;
	if (fixed) {
		/* (A checksum written with escapes, and the same text in a
		 * document, make this replace the wrong one: no promise.) */
		parse(fixed, size, a);
		free(fixed);
	}
	if (a->r == 0) {
		struct ctl_source *src = fuzz_check_sources(&a->s);
		size_t tlen;
		char *text = fuzz_check_text(&a->s, &tlen);

		check_resplit(&a->s, src, text, tlen);
		if (size <= MAX_SAVE)
			check_save(a);
		free(text);
		free(src);
	}
	ctl_docset_free(&a->s);
	free(a);
	free(b);
	return 0;
}
