/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_state.h - the last applied document set, kept under --state-dir so
 * that bulkheadd enforces it again at its next start, before it installs
 * any rule.
 *
 * DIR/policy.state is JSON written with jansson:
 *
 *   {"format": "bulkhead-state", "version": 1, "generation": N,
 *    "applied_at": "2026-11-22T10:51:42.123456Z",
 *    "checksum": "crc32c:XXXXXXXX",
 *    "documents": [{"kind", "name", "file", "text"}, ...]}
 *
 * then a newline. The checksum (CRC-32C, lower-case hex) covers the
 * documents array as json_dumps(JSON_COMPACT | JSON_SORT_KEYS) writes it.
 * Documents are in the order of a ctl_docset (by kind, then name). A file
 * that is in any way not what this writes (cut short, a byte changed, a key
 * missing or unknown, a newer version) is corrupt: the caller fails closed.
 *
 * Whether the documents are a valid policy is not checked here: the caller
 * loads them (ctl_docset_sources(), ctl_policy_build_bufs()).
 */
#ifndef CTL_STATE_H
#define CTL_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_docset.h"

#define CTL_STATE_FILE     "policy.state"
#define CTL_STATE_FORMAT   "bulkhead-state"
#define CTL_STATE_VERSION  1
#define CTL_STATE_MAX_SIZE (256u << 20) /* bytes of the file */

/*
 * Atomically replace DIR/policy.state with @s: write DIR/.policy.state.XXXXXX
 * (mode 0600), fsync it, rename it over DIR/policy.state, fsync DIR. DIR is
 * created (0700) when missing; its parent must exist. @applied_us is the
 * time of the apply in microseconds since the epoch, @generation at most
 * INT64_MAX.
 *
 * Returns 0, or -errno with "PATH: step: reason" in @err (@errlen bytes,
 * may be 0): the old state file is untouched and no temporary file is left,
 * except when only the last fsync of DIR fails (the new file is in place
 * then, but may not survive a crash; @err says so). -EINVAL when a
 * document's kind, name or text is not UTF-8; -EFBIG when the file would be
 * larger than CTL_STATE_MAX_SIZE. @s is only read. Thread-safe; concurrent
 * saves to one DIR each write their own file, the last rename wins.
 */
int ctl_state_save(const char *dir, const struct ctl_docset *s, uint64_t generation,
		   uint64_t applied_us, char *err, size_t errlen);

/*
 * Read DIR/policy.state back into *@ret (a new set: ctl_docset_free() it),
 * *@ret_generation and *@ret_applied_us (either may be NULL).
 *
 * Returns 0; -ENOENT when there is no state yet (not an error for the
 * caller; @err says "PATH: no state"); -EBADMSG when the file is corrupt,
 * with @err saying what, e.g. "PATH: line 3 column 7: invalid JSON: ...",
 * "PATH: checksum mismatch: stored X, computed Y", "PATH:
 * documents[2].kind: missing", "PATH: format: not bulkhead-state", "PATH:
 * version 9 is newer than this bulkheadd (1)"; -EISDIR when it is a
 * directory; -EFBIG past CTL_STATE_MAX_SIZE; -ENOMEM; another -errno when
 * it can't be read. Anything but 0 and -ENOENT means: fail closed. The
 * out-parameters are untouched on failure. Thread-safe.
 */
int ctl_state_load(const char *dir, struct ctl_docset *ret, uint64_t *ret_generation,
		   uint64_t *ret_applied_us, char *err, size_t errlen);

/*
 * What ctl_state_load() does with the bytes it read: parse the @len bytes
 * at @buf (need not be NUL-terminated; only read during the call) as the
 * text of a state file. @name stands for the file in messages ("PATH: ..."
 * above); NULL is "<buffer>". Returns 0 with *@ret (a new set:
 * ctl_docset_free() it), *@ret_generation and *@ret_applied_us (either may
 * be NULL) set; -EBADMSG when the text is not a state file this writes,
 * -EFBIG past CTL_STATE_MAX_SIZE, -ENOMEM; each with the reason in @err
 * (@errlen bytes, may be 0), as ctl_state_load() words it. The
 * out-parameters are untouched on failure. Thread-safe.
 */
int ctl_state_parse(const char *name, const char *buf, size_t len, struct ctl_docset *ret,
		    uint64_t *ret_generation, uint64_t *ret_applied_us, char *err, size_t errlen);

/* CRC-32C (Castagnoli) of @len bytes at @buf, continuing @crc (0 to start):
 * ctl_state_crc32c(0, "123456789", 9) is 0xe3069283. Thread-safe. */
uint32_t ctl_state_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
