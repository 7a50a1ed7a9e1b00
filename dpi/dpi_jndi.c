/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_jndi.c - Log4Shell detection by resolving lookups as Log4j 2 would.
 * See dpi_jndi.h for the semantics; this file follows the structure of
 * StrSubstitutor.substitute():
 *
 *   subst()  scans a text for "${", handles the "$${" escape, finds the
 *            closing '}' the way Log4j does (counting nested "${", not
 *            '{'), and hands each expression to expr();
 *   expr()   substitutes the expression's inner text (recursively), splits
 *            off the default, runs the lookup, and substitutes the value
 *            again, writing the result to the caller's output.
 *
 * Texts are slices either of the value (or its decoded copy) or of the
 * arena, a stack of intermediate outputs: a nested expression's inner text
 * is substituted into the arena right above the output being built, the
 * value is computed in place there, substituted once more above it, and
 * moved down into the parent's output. Outputs at the top level are not
 * kept at all (only their last byte matters, for the escape check), so the
 * arena holds only what is inside lookups.
 *
 * The matching '}' of a "${" is found by a forward scan like Log4j's; after
 * an expression is handled the scan continues behind its '}', and a text
 * whose "${" has no '}' ends there (Log4j's behaviour, and at the top level
 * the virtual closing braces described in dpi_jndi.h make every "${" end).
 * So each nesting level scans each byte a bounded number of times, and the
 * work budget catches the rest (values re-substituted at many levels).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dpi_jndi.h"
#include "dpi_uri.h"

#define NONE SIZE_MAX

/* A text being substituted. Bytes at [len, end) read as '}': the closing
 * braces the top level supplies for a "${" the value leaves open. */
struct text {
	const uint8_t *p;
	size_t len, end;
	bool raw; /* a slice of the value (or its decoded copy), not a lookup result */
};

/* Where a substitution's output goes. */
struct sink {
	size_t start, len; /* in the arena, when @keep */
	bool keep;
	int last; /* last byte written, -1 before the first */
};

struct jx {
	size_t top;  /* first free arena byte */
	size_t work; /* bytes that may still be scanned */
	bool fail;   /* a bound was hit */
	bool hit;
	bool obf;
	size_t cur_off, cur_end; /* the top-level expression being resolved */
	char scheme[16];
	uint8_t arena[DPI_JNDI_ARENA];
};

static inline uint8_t at(const struct text *t, size_t i)
{
	return i < t->len ? t->p[i] : '}';
}

static inline bool lookup_start(const struct text *t, size_t i)
{
	return at(t, i) == '$' && i + 1 < t->end && at(t, i + 1) == '{';
}

static bool charge(struct jx *x, size_t n)
{
	if (n > x->work) {
		x->fail = true;
		return false;
	}
	x->work -= n;
	return true;
}

static void emit(struct jx *x, struct sink *o, uint8_t c)
{
	o->last = c;
	if (!o->keep)
		return;
	if (x->top >= DPI_JNDI_ARENA) {
		x->fail = true;
		return;
	}
	x->arena[x->top++] = c;
	o->len++;
}

static struct text sub(const struct text *t, size_t from, size_t to)
{
	struct text s = {.p = t->p + from, .raw = t->raw};

	s.end = to - from;
	s.len = t->len > from ? (t->len < to ? t->len : to) - from : 0;
	if (from > t->len) /* wholly virtual: keep p in bounds of the caller's bytes */
		s.p = t->p + t->len;
	return s;
}

/*
 * Log4j's search for the '}' that closes the "${" at @i: nested "${" count,
 * a '}' closes the innermost open one. Returns its index, or NONE with the
 * number of nested "${" still open in @ret_open.
 */
static size_t find_close(struct jx *x, const struct text *t, size_t i, size_t *ret_open)
{
	size_t open = 0, j = i + 2;

	while (j < t->end) {
		if (lookup_start(t, j)) {
			open++;
			j += 2;
			continue;
		}
		if (at(t, j) == '}') {
			if (open == 0)
				break;
			open--;
		}
		j++;
	}
	if (!charge(x, j - i))
		return NONE;
	if (j < t->end)
		return j;
	*ret_open = open;
	return NONE;
}

static bool prefix_is(const uint8_t *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	if (n != w)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		if (c != (uint8_t)word[i])
			return false;
	}
	return true;
}

/* Java's toLowerCase/toUpperCase where it matters here: ASCII, and the
 * non-ASCII letters that fold to ASCII ones (U+212A KELVIN SIGN -> 'k';
 * U+0131 dotless i -> 'I', U+017F long s -> 'S'). Other bytes are kept.
 * In place; returns the new length (never longer). */
static size_t fold_case(uint8_t *s, size_t n, bool upper)
{
	size_t r = 0, w = 0;

	while (r < n) {
		uint8_t c = s[r];

		if (upper && c >= 'a' && c <= 'z') {
			s[w++] = c & ~0x20;
			r++;
		} else if (!upper && c >= 'A' && c <= 'Z') {
			s[w++] = c | 0x20;
			r++;
		} else if (upper && r + 1 < n && c == 0xc4 && s[r + 1] == 0xb1) {
			s[w++] = 'I';
			r += 2;
		} else if (upper && r + 1 < n && c == 0xc5 && s[r + 1] == 0xbf) {
			s[w++] = 'S';
			r += 2;
		} else if (!upper && r + 2 < n && c == 0xe2 && s[r + 1] == 0x84 && s[r + 2] == 0xaa) {
			s[w++] = 'k';
			r += 3;
		} else {
			s[w++] = c;
			r++;
		}
	}
	return w;
}

/* ${date:PATTERN}: SimpleDateFormat's reading of @pat. Quoted text is
 * literal ("''" is a quote), a pattern letter stands for a date field (a
 * digit here: no field of a date spells a piece of "jndi"), other bytes are
 * literal; an unknown letter or an open quote throws, and DateLookup then
 * formats with the default pattern. Writes at most max(@n, 16) bytes. */
static size_t date_format(const uint8_t *pat, size_t n, uint8_t *out)
{
	static const char dflt[] = "1/1/70, 12:00 AM";
	static const char letters[] = "GyYMLwWDdFEuaHkKhmsSzZX";
	bool quoted = false;
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = pat[i];

		if (c == '\'') {
			if (i + 1 < n && pat[i + 1] == '\'') {
				out[w++] = '\'';
				i++;
			} else {
				quoted = !quoted;
			}
		} else if (quoted) {
			out[w++] = c;
		} else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
			if (!strchr(letters, c))
				goto invalid;
			out[w++] = '0';
		} else {
			out[w++] = c;
		}
	}
	if (!quoted)
		return w;
invalid:
	memcpy(out, dflt, sizeof(dflt) - 1);
	return sizeof(dflt) - 1;
}

/* The scheme of a jndi key: before "://", else before the first ':'. */
static void take_scheme(struct jx *x, const uint8_t *k, size_t n)
{
	size_t e = NONE;

	x->scheme[0] = 0;
	for (size_t i = 0; i + 2 < n; i++)
		if (k[i] == ':' && k[i + 1] == '/' && k[i + 2] == '/') {
			e = i;
			break;
		}
	if (e == NONE) {
		const uint8_t *c = memchr(k, ':', n);

		e = c ? (size_t)(c - k) : NONE;
	}
	if (e == NONE || e == 0 || e >= sizeof(x->scheme))
		return;
	for (size_t i = 0; i < e; i++) {
		uint8_t c = k[i];

		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		if (!((c >= 'a' && c <= 'z') ||
		      (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))) {
			x->scheme[0] = 0;
			return;
		}
		x->scheme[i] = (char)c;
	}
	x->scheme[e] = 0;
}

/* Split the substituted inner text @a (@n bytes) at the value delimiter
 * ":-", honouring the escaped delimiter ":\-" as Log4j does (the name keeps
 * the ':' and loses what the escape spans). Rewrites @a in place. Returns
 * the name's length; the default is [*ret_def, @n) or absent (NONE). */
static size_t split_default(uint8_t *a, size_t n, size_t *ret_def)
{
	*ret_def = NONE;
	for (size_t i = 0; i + 1 < n; i++) {
		if (a[i] != ':')
			continue;
		if (i + 2 < n && a[i + 1] == '\\' && a[i + 2] == '-') {
			for (size_t j = i + 3; j + 1 < n; j++)
				if (a[j] == ':' && a[j + 1] == '-') {
					memmove(a + i + 1, a + i + 3, j - i - 3);
					*ret_def = j + 2;
					return j - 2;
				}
			memmove(a + i + 1, a + i + 2, n - i - 2);
			return n - 1;
		}
		if (a[i + 1] == '-') {
			*ret_def = i + 2;
			return i;
		}
	}
	return n;
}

static void subst(struct jx *x, const struct text *in, unsigned depth, struct sink *o);

/* The expression "${...}" at [@i, @e] of @t: its result goes to @o. */
static void expr(struct jx *x, const struct text *t, size_t i, size_t e, unsigned depth,
		 struct sink *o)
{
	struct text inner = sub(t, i + 2, e), vt;
	struct sink nm = {.start = x->top, .keep = true, .last = -1}, ro;
	size_t save = x->top, nlen, def, colon, vstart = NONE, vlen = 0;
	uint8_t *a;

	subst(x, &inner, depth + 1, &nm);
	if (x->fail || x->hit)
		return;
	a = x->arena + nm.start;
	nlen = split_default(a, nm.len, &def);
	colon = NONE;
	for (size_t k = 0; k < nlen; k++)
		if (a[k] == ':') {
			colon = k;
			break;
		}
	if (colon != NONE) {
		uint8_t *key = a + colon + 1;
		size_t klen = nlen - colon - 1;

		if (prefix_is(a, colon, "jndi")) {
			static const char lit[] = "jndi:";
			size_t sl;
			bool plain = t->raw;

			take_scheme(x, key, klen);
			sl = strlen(x->scheme);
			/* written out as-is in the value: "jndi:" and the scheme */
			for (size_t k = 0; plain && k < sizeof(lit) - 1 + sl; k++) {
				uint8_t want = k < sizeof(lit) - 1 ? (uint8_t)lit[k]
								   : (uint8_t)x->scheme[k - 5];

				plain = i + 2 + k < t->len && t->p[i + 2 + k] == want;
			}
			x->obf = !plain;
			x->hit = true;
			return;
		}
		if (prefix_is(a, colon, "lower") || prefix_is(a, colon, "upper")) {
			vstart = nm.start + colon + 1;
			vlen = fold_case(key, klen, a[0] == 'u' || a[0] == 'U');
		} else if (prefix_is(a, colon, "date")) {
			size_t need = klen > 16 ? klen : 16;

			if (DPI_JNDI_ARENA - x->top < need) {
				x->fail = true;
				return;
			}
			vstart = x->top;
			vlen = date_format(key, klen, x->arena + x->top);
			x->top += vlen;
		}
	}
	if (vstart == NONE && def != NONE) {
		vstart = nm.start + def;
		vlen = nm.len - def;
	}
	if (vstart == NONE) {
		/* found nothing, no default: the expression stays as written */
		x->top = save;
		for (size_t k = i; k <= e && !x->fail; k++)
			emit(x, o, at(t, k));
		return;
	}
	vt = (struct text){.p = x->arena + vstart, .len = vlen, .end = vlen, .raw = false};
	ro = (struct sink){.start = x->top, .keep = o->keep, .last = -1};
	subst(x, &vt, depth + 1, &ro);
	if (x->fail || x->hit)
		return;
	if (o->keep) {
		memmove(x->arena + save, x->arena + ro.start, ro.len);
		o->len += ro.len;
		x->top = save + ro.len;
	} else {
		x->top = save;
	}
	if (ro.last >= 0)
		o->last = ro.last;
}

static void subst(struct jx *x, const struct text *in, unsigned depth, struct sink *o)
{
	struct text t = *in;
	size_t i = 0;

	if (depth > DPI_JNDI_MAX_DEPTH) {
		x->fail = true;
		return;
	}
	if (!charge(x, t.end))
		return;
	while (i < t.end && !x->fail && !x->hit) {
		size_t e, open = 0;

		if (!lookup_start(&t, i)) {
			emit(x, o, at(&t, i++));
			continue;
		}
		if (o->last == '$') {
			/* "$${": Log4j deletes the escape and goes on at '{'; the
			 * '$' already written stands for this one */
			i++;
			continue;
		}
		e = find_close(x, &t, i, &open);
		if (x->fail)
			return;
		if (e == NONE) {
			if (depth > 0) {
				/* Log4j stops substituting this text here */
				while (i < t.end && !x->fail)
					emit(x, o, at(&t, i++));
				return;
			}
			t.end += open + 1;
			e = t.end - 1;
		}
		if (depth == 0) {
			x->cur_off = i;
			x->cur_end = e + 1;
		}
		expr(x, &t, i, e, depth, o);
		i = e + 1;
	}
}

/* 1 hit, 2 a bound was hit first, 0 nothing. */
static int resolve(struct jx *x, const uint8_t *s, size_t n)
{
	struct text t = {.p = s, .len = n, .end = n, .raw = true};
	struct sink o = {.keep = false, .last = -1};

	x->top = 0;
	x->work = (size_t)DPI_JNDI_WORK_PER_BYTE * (n + 64);
	x->fail = x->hit = x->obf = false;
	x->cur_off = x->cur_end = 0;
	x->scheme[0] = 0;
	subst(x, &t, 0, &o);
	return x->hit ? 1 : x->fail ? 2 : 0;
}

/* ---------------------------------------------------------------- decoding */

static int hexn(const uint8_t *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		int h = dpi_hexval(s[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* One unit of the decoded copy at @v[@i]: "%XX", "%uXXXX", "\uXXXX",
 * "\xXX" or a plain byte. Writes 1..3 bytes to @out (UTF-8 for code
 * points) and their count to *@ret_n; returns the raw bytes consumed. */
static size_t dec_unit(const uint8_t *v, size_t len, size_t i, uint8_t out[3], size_t *ret_n)
{
	int cp = -1;
	size_t used = 1;

	if (v[i] == '%' && len - i >= 6 && (v[i + 1] | 0x20) == 'u' && (cp = hexn(v + i + 2, 4)) >= 0)
		used = 6;
	else if (v[i] == '%' && len - i >= 3 && (cp = hexn(v + i + 1, 2)) >= 0) {
		out[0] = (uint8_t)cp; /* a byte, not a code point */
		*ret_n = 1;
		return 3;
	} else if (v[i] == '\\' && len - i >= 6 && v[i + 1] == 'u' && (cp = hexn(v + i + 2, 4)) >= 0)
		used = 6;
	else if (v[i] == '\\' && len - i >= 4 && v[i + 1] == 'x' && (cp = hexn(v + i + 2, 2)) >= 0) {
		out[0] = (uint8_t)cp;
		*ret_n = 1;
		return 4;
	}
	if (cp < 0) {
		out[0] = v[i];
		*ret_n = 1;
		return 1;
	}
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		*ret_n = 1;
	} else if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		*ret_n = 2;
	} else {
		out[0] = (uint8_t)(0xe0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		*ret_n = 3;
	}
	return used;
}

/* Decode @v into @out (never longer than @len). Returns the decoded length,
 * or 0 when nothing in @v decodes. */
static size_t decode(const uint8_t *v, size_t len, uint8_t *out)
{
	size_t i = 0, w = 0, n;
	bool any = false;

	while (i < len) {
		size_t used = dec_unit(v, len, i, out + w, &n);

		any |= used > 1;
		i += used;
		w += n;
	}
	return any ? w : 0;
}

/* The raw offset where decoded byte @p begins (@p == decoded length: @len). */
static size_t raw_offset(const uint8_t *v, size_t len, size_t p, bool end)
{
	size_t i = 0, w = 0, n;
	uint8_t tmp[3];

	while (i < len) {
		size_t used = dec_unit(v, len, i, tmp, &n);

		if (end ? w + n >= p : w + n > p)
			return end ? i + used : i;
		i += used;
		w += n;
	}
	return len;
}

static bool has_lookup(const uint8_t *s, size_t n)
{
	const uint8_t *p = s, *end = s + n;

	while (p < end && (p = memchr(p, '$', (size_t)(end - p))) != NULL) {
		if (p + 1 < end && p[1] == '{')
			return true;
		p++;
	}
	return false;
}

static bool maybe_encoded(const uint8_t *s, size_t n)
{
	return memchr(s, '%', n) || memchr(s, '\\', n);
}

int dpi_jndi_check(const uint8_t *v, size_t len, struct dpi_jndi_result *ret)
{
	struct jx x;
	uint8_t dec[DPI_JNDI_MAX_INPUT];
	size_t n, dn = 0, off = 0, end = 0;
	bool truncated, unresolved = false, decoded = false;
	int rc = 0, r;

	if (!ret || (!v && len))
		return -EINVAL;
	truncated = len > DPI_JNDI_MAX_INPUT;
	n = truncated ? DPI_JNDI_MAX_INPUT : len;
	memset(ret, 0, sizeof(*ret));
	ret->truncated = truncated;
	if (n == 0)
		return 0;

	if (has_lookup(v, n)) {
		r = resolve(&x, v, n);
		if (r == 1) {
			rc = 1;
			off = x.cur_off;
			end = x.cur_end < n ? x.cur_end : n;
			goto out;
		}
		if (r == 2) {
			unresolved = true;
			off = x.cur_off < n ? x.cur_off : n;
			end = x.cur_end < n ? x.cur_end : n;
		}
	}
	if (maybe_encoded(v, n) && (dn = decode(v, n, dec)) > 0 && has_lookup(dec, dn)) {
		r = resolve(&x, dec, dn);
		if (r == 1 || (r == 2 && !unresolved)) {
			size_t s = x.cur_off < dn ? x.cur_off : dn;
			size_t t = x.cur_end < dn ? x.cur_end : dn;

			off = raw_offset(v, n, s, false);
			end = t > s ? raw_offset(v, n, t, true) : off;
			decoded = true;
			unresolved = r == 2;
			rc = r == 1;
		}
	}
	if (!rc && !unresolved)
		return 0;
	rc = 1;
out:
	ret->off = (uint32_t)off;
	ret->len = (uint32_t)(end - off);
	ret->decoded = decoded;
	ret->unresolved = unresolved;
	ret->obfuscated = unresolved || x.obf;
	if (!unresolved)
		memcpy(ret->scheme, x.scheme, sizeof(ret->scheme));
	return rc;
}
