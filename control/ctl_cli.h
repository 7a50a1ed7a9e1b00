/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_cli.h - the `bulkhead` client's commands that talk to the daemon over
 * its control socket (PROTOCOL.md): policy, workloads, flows, stats,
 * events, learn, graph, logs and ping.
 *
 * The printers turn a reply's result into what a person reads. The result
 * comes from another process: every field may be missing or of another
 * type, and is then shown as "-"; strings have their control characters
 * replaced, so that nothing the daemon relays (a URL, a statement) can
 * drive the terminal.
 */
#ifndef CTL_CLI_H
#define CTL_CLI_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

/* The default control socket. */
#define CTL_CLI_SOCKET "/run/bulkhead/control.sock"

/*
 * Runs the command line @argv (argv[0] the program; then global options
 * --socket PATH and --json, the command words, their options and
 * arguments, global options also after the command words). Prints to
 * stdout and stderr. Returns the exit status: 0 done, 1 the daemon refused
 * (an error reply), 2 usage, connection or I/O error. Ignores SIGPIPE for
 * the rest of the process, and for `events --follow` catches SIGINT. Not
 * thread-safe (getopt, signals).
 */
int ctl_cli_main(int argc, char **argv);

/* The usage lines of the client commands, to @f. */
void ctl_cli_usage(FILE *f);

/* Printers of one result each (all borrowed; @out and @err are open
 * streams). Thread-safe for distinct streams. */

/* ping: version, protocol, generation, pid on one line. */
void ctl_cli_print_ping(FILE *out, const json_t *result);
/* policy.apply, workloads.add and .remove: what changed, the diff of each
 * changed document, then the warnings on @err. @prev is the generation in
 * force before (-1 when unknown). */
void ctl_cli_print_change(FILE *out, FILE *err, const json_t *result, long long prev);
/* workloads.list: NAME ADDRESSES INTERFACE LABELS. */
void ctl_cli_print_workloads(FILE *out, const json_t *result);
/* flows.list: the table and the "N of M flows" line; ages against @now. */
void ctl_cli_print_flows(FILE *out, const json_t *result, time_t now);
/* stats: a readable summary. */
void ctl_cli_print_stats(FILE *out, const json_t *result);
/* One EVE event on one line: TIME TYPE CLIENT -> SERVER SRC_WL -> DEST_WL
 * ACTION REASON DETAIL. */
void ctl_cli_print_event(FILE *out, const json_t *event);
/* graph: Graphviz DOT. */
void ctl_cli_print_graph(FILE *out, const json_t *result);

/* An RFC 3339 timestamp ("2026-11-22T10:51:42.123456Z", "...+01:00",
 * "...+0100") as seconds since the epoch: 0 or -EINVAL. */
int ctl_cli_parse_time(const char *s, time_t *ret);

#endif
