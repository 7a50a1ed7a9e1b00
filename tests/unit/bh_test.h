/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bh_test.h - the unit tests' few helpers: checks that report file:line and
 * keep going, a TAP-style summary, and buffers that end at a guard page so a
 * one-byte over-read faults (picohttpparser's test.c does the same).
 */
#ifndef BH_TEST_H
#define BH_TEST_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int bh_test_failures;
static int bh_test_checks;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		bh_test_checks++;                                                     \
		if (!(cond)) {                                                        \
			bh_test_failures++;                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                               \
		}                                                                     \
	} while (0)

#define CHECK_EQ(a, b)                                                                \
	do {                                                                          \
		long long _a = (long long)(a), _b = (long long)(b);                   \
		bh_test_checks++;                                                     \
		if (_a != _b) {                                                       \
			bh_test_failures++;                                           \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n",   \
				__FILE__, __LINE__, #a, _a, #b, _b);                  \
		}                                                                     \
	} while (0)

/* A copy of @len bytes of @src whose last byte sits right before a
 * PROT_NONE page. Free with guard_free(). */
static inline uint8_t *guard_dup(const void *src, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + pg - 1) / pg * pg + pg;
	uint8_t *base = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);

	if (base == MAP_FAILED)
		abort();
	if (mprotect(base + span - pg, pg, PROT_NONE) < 0)
		abort();
	uint8_t *p = base + span - pg - len;
	if (len)
		memcpy(p, src, len);
	return p;
}

static inline void guard_free(uint8_t *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + pg - 1) / pg * pg + pg;
	uint8_t *base = p + len + pg - span;

	munmap(base, span);
}

/* xorshift64: a fast, reproducible generator for randomized tests. */
static inline uint32_t bh_xorshift(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state >> 16);
}

#define RUN(fn)                                                                       \
	do {                                                                          \
		int _before = bh_test_failures;                                       \
		fn();                                                                 \
		printf("%s %s\n", bh_test_failures == _before ? "ok" : "not ok", #fn); \
	} while (0)

/* Prints the plain summary and returns main()'s exit status. */
static inline int bh_test_summary(void)
{
	printf("%d checks, %d failed\n", bh_test_checks, bh_test_failures);
	return bh_test_failures ? 1 : 0;
}

/* A labelled corpus file DIR/NAME read whole (NUL-terminated); free c->data. */
struct bh_corpus {
	char *data;
	size_t size;
};

static inline int bh_corpus_load(const char *dir, const char *name, struct bh_corpus *c)
{
	char path[4096];
	FILE *f;
	long sz;

	memset(c, 0, sizeof(*c));
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -1;
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return -1;
	}
	c->data = malloc((size_t)sz + 1);
	if (!c->data || fread(c->data, 1, (size_t)sz, f) != (size_t)sz) {
		fclose(f);
		free(c->data);
		return -1;
	}
	fclose(f);
	c->size = (size_t)sz;
	return 0;
}

#endif
