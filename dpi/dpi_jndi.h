/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_jndi.h - Log4Shell (CVE-2021-44228) detection in one user-controlled
 * value: a header value, a parameter, a JSON string.
 *
 * Matching "${jndi:" misses every obfuscated payload, and matching "jndi"
 * anywhere fires on text. This detector instead does what Log4j 2's
 * StrSubstitutor and Interpolator would do with the value (2.0 - 2.14, the
 * versions with message lookups):
 *
 *   - "${" opens a lookup, "}" closes it; a "${" right after a "$" is an
 *     escape: "$${x}" is the literal text "${x}" (the text inside is still
 *     substituted, as Log4j does);
 *   - the text inside a lookup is substituted first (innermost first), then
 *     split at the first ":-" into a name and a default (":\-" escapes the
 *     delimiter, with Log4j's quirks);
 *   - the name's prefix, up to its first ':', is looked up case-insensitively:
 *     "lower" and "upper" return their key case-folded (with Java's dotless-i
 *     and long-s folds, "${upper:\u0131}" is "I"), "date" returns its key
 *     formatted as a SimpleDateFormat pattern (quoted text is literal:
 *     "${date:'j'}" is "j"; pattern letters become digits; an invalid pattern
 *     gives the default format); every other lookup (env, sys, ctx, main,
 *     java, marker, bundle, ...; Log4j has no base64 lookup, that is Commons
 *     Text) is taken to find nothing, which is what an attacker relies on
 *     with "${env:NOPE:-j}"; "${::-j}" is an empty name with a default;
 *   - a lookup that finds nothing is replaced by its default, or, without
 *     one, stays in the text as it was written; a value that is found is
 *     substituted again (Log4j's recursive evaluation: "${::-$${jndi:x}}"
 *     runs the inner lookup).
 *
 * A lookup whose prefix resolves to "jndi" is a hit; the scheme of its key
 * (before "://" or ':') is reported.
 *
 * Differences from Log4j, all towards detection:
 *   - A value that ends inside a lookup ("${jndi:ldap://x") is read as if
 *     the log line supplied the missing '}': what follows the value in the
 *     message (a JSON layout's "}, a format string) can close it.
 *   - The value is also read once more after one round of decoding of
 *     "%XX", "%uXXXX", "\uXXXX" and "\xXX" when it holds any of them
 *     (reported offsets then map back to the caller's bytes).
 *   - Work is bounded (below); a value that exceeds a bound before a hit is
 *     found is reported as a hit with @unresolved set: Log4j would resolve
 *     it and this detector cannot rule "jndi" out. Ordinary text never gets
 *     near the bounds: it takes "${" nested DPI_JNDI_MAX_DEPTH deep.
 *
 * Bounded work: at most DPI_JNDI_MAX_INPUT bytes of the value are looked at,
 * lookups nest at most DPI_JNDI_MAX_DEPTH deep (counting re-substitution of
 * a found value as one more level), all intermediate text lives in one
 * fixed arena (DPI_JNDI_ARENA bytes), and the bytes scanned are capped at
 * DPI_JNDI_WORK_PER_BYTE per input byte: a hostile value costs O(n * depth).
 * Nothing allocates; a call uses about 42 KB of stack. No global state:
 * thread-safe.
 */
#ifndef DPI_JNDI_H
#define DPI_JNDI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DPI_JNDI_MAX_INPUT 8192u     /* bytes of the value looked at */
#define DPI_JNDI_MAX_DEPTH 16u       /* nested "${" (and re-substitutions) */
#define DPI_JNDI_ARENA (4u * DPI_JNDI_MAX_INPUT) /* bytes of intermediate text */
#define DPI_JNDI_WORK_PER_BYTE 64u   /* bytes scanned per input byte, at most */

struct dpi_jndi_result {
	uint32_t off, len; /* the outermost ${...} expression that resolves to a
			    * jndi lookup, in the caller's bytes (for an alert
			    * excerpt); 0, 0 when there is none */
	bool obfuscated;   /* nested lookups, defaults, case or date tricks were
			    * needed to see "jndi:<scheme>" */
	bool decoded;      /* seen only in the percent/unicode-decoded copy */
	bool unresolved;   /* a bound was hit first: reported without having seen
			    * "jndi" (scheme ""); see the top of this file */
	bool truncated;    /* the value is longer than DPI_JNDI_MAX_INPUT: set
			    * whenever that is so, hit or not */
	char scheme[16];   /* "ldap", "rmi", "dns", "ldaps", "iiop", "corba",
			    * "nds", "http", ... as resolved, lower case,
			    * NUL-terminated; "" if none can be told */
};

/*
 * Decide whether the @len bytes at @v (not NUL-terminated; any bytes) hold
 * a Log4j 2 lookup expression that resolves to a jndi lookup, and fill @ret
 * (all zero when there is none, except @truncated).
 *
 * Returns 1 (a jndi lookup, or @unresolved), 0 (none) or -EINVAL (@ret NULL,
 * or @v NULL with @len > 0; @ret untouched). Never reads outside [@v, @v +
 * @len), keeps no pointer to it. Thread-safe.
 */
int dpi_jndi_check(const uint8_t *v, size_t len, struct dpi_jndi_result *ret);

#endif
