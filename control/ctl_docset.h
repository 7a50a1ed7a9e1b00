/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_docset.h - the running document set: every Workload and WorkloadPolicy
 * document in force, each kept as the text its user wrote (comments and all),
 * so that `policy get` gives back what was applied, `workloads add/remove`
 * edit one document without touching the others, and `policy apply` can say
 * which documents it adds, removes or changes (with a unified diff).
 *
 * What a document's text is (ctl_docset_split()):
 *
 *  - YAML: the bytes between its `---` (or the start of the file) and the
 *    next `---` or `...`: the comments above its first key belong to it, and
 *    so do those after its last line. Blank lines around it are dropped.
 *    Comments before a `---` that no document above took (the file's
 *    first lines, those after a `...` or in an empty document) go to the
 *    document below, unless a directive (`%YAML 1.2`) sits among them.
 *    Without a `---`, a document starts after the last `...` above it (a
 *    `...` that ends no document takes the comments above it along).
 *    Directives and markers are not kept: the documents of a set are
 *    joined again with plain `---` lines. A CR alone ends a line, as in
 *    YAML.
 *  - A document whose top is a list of documents gives one document per
 *    entry. An entry of a block list (`- kind: ...`) keeps its `- `, so its
 *    text is a one-entry list (with the comments above the entry); an entry
 *    of a flow list or a JSON array is its own bytes, from `{` to `}`, less
 *    the indentation of the list.
 *  - JSON (a JSON file, or a YAML document that is a JSON object): the
 *    object, from `{` to `}`. A JSON document's text starts with '{', so it is
 *    read as JSON again; a YAML document's text never does: a YAML flow
 *    mapping (`{kind: Workload, ...}`) gets "--- " in front.
 *  - Every text ends in '\n' (one is added where the source ended without).
 *  - Empty documents (only comments) are skipped.
 *
 * A set is sorted by (kind, name), each pair at most once; every function
 * below keeps that so. Nothing here is shared: functions on different sets
 * may run in different threads; a set is not locked.
 */
#ifndef CTL_DOCSET_H
#define CTL_DOCSET_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ctl_policy.h"

struct ctl_doc {
	char *kind;  /* "Workload" or "WorkloadPolicy" */
	char *name;  /* metadata.name */
	char *file;  /* the source it came from ("shop.yaml") */
	char *text;  /* the document's own text (see above), NUL-terminated, ending in '\n' */
	size_t len;  /* of @text */
};

struct ctl_docset {
	struct ctl_doc *docs;  /* sorted by (kind, name) with strcmp(), no two alike */
	size_t n;
};

/* After a source's name in ctl_docset_sources() where it is needed. */
#define CTL_DOCSET_YAML_SUFFIX " (YAML)"

/* Lines of a document past which ctl_docset_diff() shows no diff. */
#define CTL_DOCSET_DIFF_MAX_LINES 5000u

/*
 * Split @n sources into documents, into *@ret (zeroed first; ctl_docset_free()
 * it). The sources should have been loaded (ctl_policy_load_bufs()) first:
 * this only finds the documents and their kind and name. Returns 0; -ENOMEM;
 * -EINVAL when a source can't be parsed or holds a NUL byte (which the
 * loader lets pass in a comment), a document has no kind or
 * metadata.name (a string), or a (kind, name) comes twice; each problem is
 * reported through @err (may be NULL) as "FILE:LINE:COL: message". *@ret
 * is untouched on failure. The sources are only read during the call.
 */
int ctl_docset_split(const struct ctl_source *src, size_t n, ctl_policy_error_fn err, void *ctx,
		     struct ctl_docset *ret);

/*
 * The documents as sources for ctl_policy_load_bufs(), one per document, in
 * the set's order, named "FILE#KIND/NAME" (shop.yaml#WorkloadPolicy/api):
 * messages about them read "shop.yaml#WorkloadPolicy/api:3:5: ...", lines
 * counted in the document's text. A YAML document whose name ends in ".json"
 * gets CTL_DOCSET_YAML_SUFFIX after it ("shop.yaml#Workload/w.json (YAML)"),
 * or the loader would read it as JSON. Returns 0 and sets *@ret to one malloc'd
 * block (free() it): the array, @s->n long, and the names; the texts point
 * into @s. -ENOMEM; an empty set gives *@ret NULL.
 */
int ctl_docset_sources(const struct ctl_docset *s, struct ctl_source **ret);

/* A deep copy of @s into *@ret. 0 or -ENOMEM (*@ret untouched). */
int ctl_docset_copy(const struct ctl_docset *s, struct ctl_docset *ret);

/* Every document of @add (copied) replaces the one of @s of the same kind and
 * name, or is inserted. 0, or -ENOMEM with @s unchanged. */
int ctl_docset_upsert(struct ctl_docset *s, const struct ctl_docset *add);

/* Removes and frees the document @kind/@name: 0, or -ENOENT (@s unchanged). */
int ctl_docset_remove(struct ctl_docset *s, const char *kind, const char *name);

/* The document @kind/@name of @s, or NULL; valid until @s changes. */
const struct ctl_doc *ctl_docset_find(const struct ctl_docset *s, const char *kind,
				      const char *name);

/*
 * Every document as one YAML stream, each after a "---" line (a text that
 * starts with its own "--- " gets none more); JSON documents as they are
 * (JSON is YAML). Splitting this text again gives the same kinds, names and
 * texts. Returns it malloc'd and NUL-terminated (*@ret_len bytes before the
 * NUL; @ret_len may be NULL), or NULL when out of memory. An empty set gives
 * "".
 */
char *ctl_docset_text(const struct ctl_docset *s, size_t *ret_len);

/*
 * What going from @old to @new_set does:
 * {"added": [{"kind", "name"}], "removed": [{"kind", "name"}], "changed":
 * [{"kind", "name", "diff"}]}, each array sorted by (kind, name). A document
 * changed when its text differs at all (whitespace too; the file it came
 * from doesn't count). "diff" is a unified diff ("--- running\n+++ new\n"
 * then "@@ -l,n +l,n @@" hunks with 3 lines of context) of the two texts;
 * when either has more than CTL_DOCSET_DIFF_MAX_LINES lines it is
 * "(N lines -> M lines; too large to show)", and so are the diffs past a
 * budget of work for the whole call (~100M pairs of lines compared: four
 * documents of CTL_DOCSET_DIFF_MAX_LINES lines rewritten whole, any number
 * of small changes), so that a reply stays quick. *@ret_changed (may be NULL) is
 * whether any array is not empty. Returns a new reference, or NULL when out
 * of memory.
 */
json_t *ctl_docset_diff(const struct ctl_docset *old, const struct ctl_docset *new_set,
			bool *ret_changed);

/* Frees every document and zeroes @s; fine on a zeroed set and on NULL. */
void ctl_docset_free(struct ctl_docset *s);

/* The unified diff of two texts as ctl_docset_diff() gives it ("" when they
 * are equal), malloc'd, or NULL when out of memory. For tests and tools. */
char *ctl_docset_unified_diff(const char *a, size_t alen, const char *b, size_t blen);

#endif
