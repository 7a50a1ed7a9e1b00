/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_cli.c - the `bulkhead` client commands against a stand-in daemon: a
 * thread that listens on a temporary control socket, checks each request
 * with ctl_req_decode() and answers with canned replies. The client is the
 * built binary (argv[1]), run with --socket; its exit status, stdout and
 * stderr are checked: policy apply (changed, no change, dry run, refused
 * with details, --json), workloads, flows with 0 and 2 rows (aligned, no
 * trailing spaces, fields missing or mistyped), stats, events (a dropped
 * frame, the end frame, --json lines, a reader that goes away), graph (DOT
 * and its colours, read by Graphviz where it is installed), and the errors: no daemon, usage, a reply that is not
 * one, a frame over the limit.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "bh_test.h"
#include "ctl_proto.h"

static const char *bin;
static char dir[64], sock_path[128];

/* ------------------------------------------------------------ the daemon */

struct canned {
	const char *op;
	const char *result;        /* JSON; NULL: the error below */
	const char *code, *message;
	const char *details;       /* JSON array or NULL */
	const char *const *after;  /* frames sent after the reply, "id" set */
};

enum srv_mode {
	SRV_NORMAL,
	SRV_FLOOD,       /* after the replies, events until the client goes */
	SRV_WRONG_ID,    /* replies carry another id */
	SRV_HUGE,        /* answers with a frame header of 0xffffffff, then closes */
};

#define MAX_REQ 8

struct srv {
	int lfd;
	enum srv_mode mode;
	const struct canned *steps;
	size_t nsteps;
	json_t *args[MAX_REQ];     /* what each request carried */
	char ops[MAX_REQ][32];
	size_t nreq;
	unsigned refused;          /* requests ctl_req_decode() refused */
	unsigned flooded;
};

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int send_json(int fd, json_t *msg)
{
	char *frame = NULL;
	size_t len;
	int r = -1;

	if (msg && ctl_frame_encode(msg, &frame, &len) == 0)
		r = send_all(fd, frame, len);
	free(frame);
	json_decref(msg);
	return r;
}

static void answer(struct srv *s, int fd, struct ctl_req *req)
{
	const struct canned *c = NULL;
	json_t *id = req->id, *other = NULL;

	if (s->nreq < MAX_REQ) {
		s->args[s->nreq] = json_incref(req->args);
		snprintf(s->ops[s->nreq], sizeof(s->ops[0]), "%s", ctl_op_name(req->op));
		s->nreq++;
	}
	for (size_t i = 0; i < s->nsteps; i++)
		if (!strcmp(s->steps[i].op, ctl_op_name(req->op))) {
			c = &s->steps[i];
			break;
		}
	if (s->mode == SRV_HUGE) {
		send_all(fd, "\xff\xff\xff\xff{}", 6);
		return;
	}
	if (s->mode == SRV_WRONG_ID)
		id = other = json_integer(999);
	if (!c)
		send_json(fd, ctl_reply_error(id, "unknown-op", "not in the script", NULL));
	else if (c->result)
		send_json(fd, ctl_reply_ok(id, json_loads(c->result, 0, NULL)));
	else
		send_json(fd, ctl_reply_error(id, c->code, c->message,
					      c->details ? json_loads(c->details, 0, NULL) : NULL));
	json_decref(other);
	for (const char *const *a = c ? c->after : NULL; a && *a; a++) {
		json_t *f = json_loads(*a, 0, NULL);

		if (!f)
			abort();
		json_object_set(f, "id", req->id);
		send_json(fd, f);
	}
	if (s->mode == SRV_FLOOD && req->op == CTL_OP_EVENTS_SUBSCRIBE) {
		static const char eve[] = "{\"timestamp\":\"2026-11-22T10:51:42.123456Z\","
					  "\"event_type\":\"dns\",\"dns\":{\"rrname\":\"a.example\"}}";

		/* Bounded: the client must go away long before. */
		for (unsigned i = 0; i < 200000; i++) {
			char *frame;
			size_t len;

			if (ctl_frame_encode_event(req->id, eve, sizeof(eve) - 1, &frame, &len) < 0)
				abort();
			int r = send_all(fd, frame, len);

			free(frame);
			if (r < 0)
				break;
			s->flooded++;
		}
	}
}

static void *serve(void *arg)
{
	struct srv *s = arg;
	struct pollfd p = {.fd = s->lfd, .events = POLLIN};
	struct ctl_frame_rx rx;
	char buf[65536];
	int fd;

	if (poll(&p, 1, 30000) != 1)
		return NULL;
	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return NULL;
	ctl_frame_rx_init(&rx, CTL_FRAME_MAX);
	for (;;) {
		const char *msg;
		size_t len;
		ssize_t k = recv(fd, buf, sizeof(buf), 0);
		int r;

		if (k <= 0 || ctl_frame_rx_push(&rx, buf, (size_t)k) < 0)
			break;
		while ((r = ctl_frame_rx_next(&rx, &msg, &len)) != CTL_RX_NONE) {
			struct ctl_req req;
			struct ctl_err err;

			if (r != CTL_RX_FRAME || ctl_req_decode(msg, len, &req, &err) < 0) {
				fprintf(stderr, "server: refused: %s\n", r == CTL_RX_FRAME ? err.message : "frame");
				s->refused++;
				ctl_err_free(&err);
				continue;
			}
			answer(s, fd, &req);
			ctl_req_free(&req);
			/* Each step is played once; then the daemon hangs up. */
			if (s->mode == SRV_HUGE || s->mode == SRV_FLOOD || s->nreq >= s->nsteps)
				goto out;
		}
	}
out:
	ctl_frame_rx_free(&rx);
	close(fd);
	return NULL;
}

/* ------------------------------------------------------------ the client */

struct run {
	int status;       /* exit status, or 128 + signal */
	char *out, *err;
};

static char *slurp(FILE *f)
{
	long n;
	char *p;

	fflush(f);
	n = ftell(f);
	p = calloc(1, (size_t)(n < 0 ? 0 : n) + 1);
	if (!p)
		abort();
	rewind(f);
	if (n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	return p;
}

/* Runs `bulkhead --socket SOCK ARGS...` against a daemon playing @steps in
 * @mode (none when @steps is NULL and @mode SRV_NORMAL). @closed_stdout:
 * stdout is a pipe nobody reads. */
static struct run run_mode(struct srv *s, enum srv_mode mode, const struct canned *steps,
			   size_t nsteps, bool closed_stdout, const char *const *args)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct run r = {0};
	FILE *out = tmpfile(), *err = tmpfile();
	const char *argv[32];
	pthread_t th;
	int n = 0, st, pipefd[2] = {-1, -1};
	pid_t pid;

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->steps = steps;
	s->nsteps = nsteps;
	s->lfd = -1;
	if (!out || !err)
		abort();
	if (steps) {
		unlink(sock_path);
		s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		memcpy(sa.sun_path, sock_path, strlen(sock_path));
		if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(s->lfd, 4) < 0)
			abort();
		if (pthread_create(&th, NULL, serve, s) != 0)
			abort();
	}
	argv[n++] = bin;
	argv[n++] = "--socket";
	argv[n++] = sock_path;
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (closed_stdout && pipe2(pipefd, O_CLOEXEC) < 0)
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		dup2(closed_stdout ? pipefd[1] : fileno(out), 1);
		dup2(fileno(err), 2);
		if (closed_stdout)
			close(pipefd[0]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	if (closed_stdout) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (steps) {
		/* The server gives up when no client came (a usage error). */
		shutdown(s->lfd, SHUT_RDWR);
		pthread_join(th, NULL);
		close(s->lfd);
		unlink(sock_path);
	}
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

static struct run run(struct srv *s, const struct canned *steps, size_t nsteps,
		      const char *const *args)
{
	return run_mode(s, SRV_NORMAL, steps, nsteps, false, args);
}

static void run_free(struct run *r, struct srv *s)
{
	free(r->out);
	free(r->err);
	for (size_t i = 0; i < s->nreq; i++)
		json_decref(s->args[i]);
	s->nreq = 0;
}

static void show(const struct run *r)
{
	fprintf(stderr, "--- status %d\n--- stdout\n%s--- stderr\n%s---\n", r->status, r->out,
		r->err);
}

#define EXPECT(r, cond)                 \
	do {                            \
		bool _ok = (cond);      \
		CHECK(cond);            \
		if (!_ok)               \
			show(&(r));     \
	} while (0)

/* No line of @s ends in a space, and it ends in a newline. */
static bool tidy(const char *s)
{
	size_t n = strlen(s);

	if (!n || s[n - 1] != '\n')
		return false;
	for (const char *p = s; (p = strchr(p, '\n')); p++)
		if (p > s && p[-1] == ' ')
			return false;
	return true;
}

/* Every line of @table has its right-aligned column @col ending where the
 * header's does. */
static bool aligned_right(const char *table, const char *col)
{
	const char *head_col = strstr(table, col), *line = table;
	size_t end;

	if (!head_col)
		return false;
	end = (size_t)(head_col - table) + strlen(col);
	for (const char *nl; (nl = strchr(line, '\n')); line = nl + 1)
		if ((size_t)(nl - line) < end || line[end - 1] == ' ' ||
		    (line[end] != ' ' && line[end] != '\n'))
			return false;
	return true;
}

/* Every line of @table has its column @col where the header has it: two
 * spaces before (or the column's padding), something after. */
static bool aligned(const char *table, const char *col)
{
	const char *head_col = strstr(table, col), *line = table;
	size_t off;

	if (!head_col)
		return false;
	off = (size_t)(head_col - table);
	for (;;) {
		const char *end = strchr(line, '\n');

		if (!end)
			return true;
		if (!strncmp(line, "0 of", 4) || strstr(line, " of ") == line + strcspn(line, " "))
			return true; /* the summary line */
		if ((size_t)(end - line) <= off || line[off - 1] != ' ' || line[off] == ' ')
			return false;
		line = end + 1;
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

/* ------------------------------------------------------------ policy */

#define PING_RESULT "{\"version\":\"0.7.0\",\"protocol\":1,\"generation\":3,\"pid\":123}"

static void test_policy_apply(void)
{
	static const char changed[] =
		"{\"generation\":4,\"previous_generation\":3,\"dry_run\":false,\"changed\":true,\"compile_ms\":12.5,"
		"\"documents\":9,\"warnings\":[\"shop.yaml:4:1: warning: rule 'x' allows nothing\"],"
		"\"diff\":{\"added\":[{\"kind\":\"WorkloadPolicy\",\"name\":\"api\"}],"
		"\"removed\":[{\"kind\":\"Workload\",\"name\":\"old\"}],"
		"\"changed\":[{\"kind\":\"WorkloadPolicy\",\"name\":\"db\",\"diff\":"
		"\"--- running\\n+++ new\\n@@ -1 +1 @@\\n-port: 1\\n+port: 2\\n\"}]}}";
	const struct canned steps[] = {{.op = "policy.apply", .result = changed}};
	char file[128], file2[128];
	struct srv s;
	struct run r;
	json_t *files;

	snprintf(file, sizeof(file), "%s/shop.yaml", dir);
	snprintf(file2, sizeof(file2), "%s/more.yaml", dir);
	write_file(file, "kind: Workload\nname: web\n");
	write_file(file2, "kind: WorkloadPolicy\n");

	r = run(&s, steps, 1, (const char *const[]){"policy", "apply", file, file2, NULL});
	EXPECT(r, r.status == 0);
	EXPECT(r, !strncmp(r.out, "generation 4 in force (was 3)", 29));
	EXPECT(r, strstr(r.out, ", 9 documents, compiled in 12.5 ms\n") != NULL);
	EXPECT(r, strstr(r.out, "\nadded    WorkloadPolicy api\n"
				"removed  Workload old\n"
				"changed  WorkloadPolicy db\n"
				"--- running\n+++ new\n@@ -1 +1 @@\n-port: 1\n+port: 2\n") != NULL);
	EXPECT(r, !strcmp(r.err, "bulkhead: shop.yaml:4:1: warning: rule 'x' allows nothing\n"));
	EXPECT(r, tidy(r.out));
	/* What was sent: both files, whole, named as given; not a dry run. */
	CHECK_EQ(s.nreq, 1);
	CHECK(!strcmp(s.ops[0], "policy.apply"));
	files = json_object_get(s.args[0], "files");
	CHECK_EQ(json_array_size(files), 2);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(files, 0), "name")), file));
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(files, 0), "text")),
		      "kind: Workload\nname: web\n"));
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(files, 1), "text")),
		      "kind: WorkloadPolicy\n"));
	CHECK(json_is_false(json_object_get(s.args[0], "dry_run")));
	CHECK_EQ(s.refused, 0);
	run_free(&r, &s);

	/* --json: the result, as it came, and nothing else. */
	r = run(&s, steps, 1, (const char *const[]){"policy", "apply", file, "--json", NULL});
	{
		json_t *got = json_loads(r.out, 0, NULL), *want = json_loads(changed, 0, NULL);

		EXPECT(r, r.status == 0 && got && json_equal(got, want));
		json_decref(got);
		json_decref(want);
	}
	run_free(&r, &s);
}

static void test_policy_nochange(void)
{
	const struct canned same[] = {
		{.op = "policy.apply", .result = "{\"generation\":4,\"dry_run\":false,\"changed\":false,\"warnings\":[],"
				 "\"diff\":{\"added\":[],\"removed\":[],\"changed\":[]}}"},
	};
	const struct canned dry[] = {
		{.op = "policy.apply", .result = "{\"generation\":4,\"dry_run\":true,\"changed\":true,"
				 "\"diff\":{\"added\":[{\"kind\":\"Workload\",\"name\":\"n\"}]}}"},
	};
	char file[128];
	struct srv s;
	struct run r;

	snprintf(file, sizeof(file), "%s/shop.yaml", dir);
	write_file(file, "kind: Workload\n");
	r = run(&s, same, 1, (const char *const[]){"policy", "apply", file, NULL});
	EXPECT(r, r.status == 0 && !strcmp(r.out, "no change (generation 4)\n") && !*r.err);
	run_free(&r, &s);

	/* policy diff = apply --dry-run. */
	r = run(&s, dry, 1, (const char *const[]){"policy", "diff", file, NULL});
	EXPECT(r, r.status == 0 &&
			  !strcmp(r.out, "dry run: generation stays 4\nadded    Workload n\n"));
	CHECK(s.nreq == 1 && json_is_true(json_object_get(s.args[0], "dry_run")));
	run_free(&r, &s);
	r = run(&s, dry, 1, (const char *const[]){"--json", "policy", "apply", "--dry-run", file, NULL});
	EXPECT(r, r.status == 0 && r.out[0] == '{');
	CHECK(s.nreq == 1 && json_is_true(json_object_get(s.args[0], "dry_run")));
	run_free(&r, &s);
}

static void test_policy_refused(void)
{
	const struct canned steps[] = {
		{.op = "policy.apply", .code = "invalid-policy", .message = "2 errors in the documents",
		 .details = "[\"shop.yaml:3:5: unknown key 'prot'\",\"shop.yaml:9:1: no such workload\"]"},
	};
	char file[128];
	struct srv s;
	struct run r;

	snprintf(file, sizeof(file), "%s/shop.yaml", dir);
	write_file(file, "kind: Workload\n");
	r = run(&s, steps, 1, (const char *const[]){"policy", "apply", file, NULL});
	EXPECT(r, r.status == 1 && !*r.out);
	EXPECT(r, !strcmp(r.err, "bulkhead: policy.apply: 2 errors in the documents\n"
				 "shop.yaml:3:5: unknown key 'prot'\n"
				 "shop.yaml:9:1: no such workload\n"));
	run_free(&r, &s);

	/* A file that is not there: nothing is sent. */
	snprintf(file, sizeof(file), "%s/missing.yaml", dir);
	r = run(&s, steps, 1, (const char *const[]){"policy", "apply", file, NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "missing.yaml: No such file") && s.nreq == 0);
	run_free(&r, &s);

	/* Binary junk is not a policy. */
	snprintf(file, sizeof(file), "%s/junk.bin", dir);
	write_file(file, "\xff\xfe\x01");
	r = run(&s, steps, 1, (const char *const[]){"policy", "apply", file, NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "not UTF-8 text") && s.nreq == 0);
	run_free(&r, &s);
}

static void test_workloads(void)
{
	const struct canned none[] = {{.op = "workloads.list", .result = "{\"generation\":1,\"workloads\":[]}"}};
	const struct canned two[] = {{.op = "workloads.list", .result = "{\"generation\":1,\"workloads\":["
		"{\"name\":\"api\",\"labels\":{\"app\":\"shop\",\"tier\":\"api\"},"
		"\"addresses\":[\"10.0.0.2\",\"fd00::2\"],\"interface\":\"veth1\"},"
		"{\"name\":\"db-long-name\",\"labels\":{},\"addresses\":[],\"interface\":null}]}"}};
	const struct canned rm[] = {
		{.op = "workloads.remove", .result = "{\"generation\":4,\"previous_generation\":3,\"dry_run\":false,\"changed\":true,"
				     "\"diff\":{\"removed\":[{\"kind\":\"Workload\",\"name\":\"db\"}]}}"},
	};
	struct srv s;
	struct run r;

	r = run(&s, none, 1, (const char *const[]){"workloads", NULL});
	EXPECT(r, r.status == 0 && !strcmp(r.out, "NAME  ADDRESSES  INTERFACE  LABELS\n"));
	run_free(&r, &s);
	r = run(&s, two, 1, (const char *const[]){"workloads", "list", NULL});
	EXPECT(r, r.status == 0 &&
			  !strcmp(r.out, "NAME          ADDRESSES         INTERFACE  LABELS\n"
					 "api           10.0.0.2,fd00::2  veth1      app=shop,tier=api\n"
					 "db-long-name  -                 -          -\n"));
	run_free(&r, &s);
	r = run(&s, rm, 1, (const char *const[]){"workloads", "rm", "db", "--dry-run", NULL});
	EXPECT(r, r.status == 0 && !strncmp(r.out, "generation 4 in force (was 3)\n", 30));
	CHECK(s.nreq == 1 && json_is_true(json_object_get(s.args[0], "dry_run")) &&
	      !strcmp(json_string_value(json_array_get(json_object_get(s.args[0], "names"), 0)),
		      "db"));
	run_free(&r, &s);
}

/* ------------------------------------------------------------ flows */

static void test_flows(void)
{
	const struct canned none[] = {
		{.op = "flows.list", .result = "{\"flows\":[],\"total\":0,\"truncated\":false}"}};
	const struct canned two[] = {{.op = "flows.list", .result = "{\"flows\":["
		"{\"flow_id\":1,\"queue\":0,\"src_ip\":\"10.0.0.1\",\"src_port\":43512,"
		"\"dest_ip\":\"10.0.0.2\",\"dest_port\":8080,\"proto\":\"TCP\",\"app_proto\":\"http\","
		"\"src_workload\":\"web\",\"dest_workload\":\"api\","
		"\"verdict\":{\"action\":\"allow\",\"reason\":\"web-to-api\"},"
		"\"pkts_toserver\":12,\"pkts_toclient\":10,\"bytes_toserver\":1400,"
		"\"bytes_toclient\":52000,\"start\":\"2000-01-01T00:00:00.000000Z\","
		"\"last\":\"2000-01-01T00:00:01.000000Z\",\"state\":\"established\",\"offloaded\":true},"
		"{\"flow_id\":2,\"src_ip\":\"fd00::1\",\"src_port\":5353,\"dest_ip\":\"fd00::53\","
		"\"dest_port\":\"53\",\"proto\":\"UDP\",\"app_proto\":null,\"src_workload\":null,"
		"\"dest_workload\":{\"name\":\"dns\"},\"verdict\":null,\"pkts_toserver\":\"x\","
		"\"state\":\"new\\u001b[31m\"}],"
		"\"total\":5,\"truncated\":true}"}};
	struct srv s;
	struct run r;
	json_t *want;

	r = run(&s, none, 1, (const char *const[]){"flows", NULL});
	EXPECT(r, r.status == 0 &&
			  !strcmp(r.out, "CLIENT -> SERVER  PROTO  APP  WORKLOADS  VERDICT/REASON  "
					 "PKTS  BYTES  AGE/STATE  OFFLOADED\n0 of 0 flows\n"));
	CHECK(s.nreq == 1 && json_object_size(s.args[0]) == 0);
	run_free(&r, &s);

	r = run(&s, two, 1,
		(const char *const[]){"flows", "--workload", "web", "--port", "8080", "--proto",
				      "tcp", "--limit", "2", "--offloaded", "--src", "10.0.0.0/8",
				      "--action", "ALLOW", "--app", "http", NULL});
	EXPECT(r, r.status == 0 && tidy(r.out));
	EXPECT(r, strstr(r.out, "10.0.0.1:43512 -> 10.0.0.2:8080") != NULL);
	EXPECT(r, strstr(r.out, "web -> api") && strstr(r.out, "allow/web-to-api"));
	EXPECT(r, strstr(r.out, "12/10") && strstr(r.out, "1400/52000") && strstr(r.out, "yes"));
	/* Mistyped and missing fields print as "-"; escapes never reach the
	 * terminal. */
	EXPECT(r, strstr(r.out, "[fd00::1]:5353 -> fd00::53 ") != NULL);
	EXPECT(r, strstr(r.out, "- -> dns") && strstr(r.out, "-/-") && strstr(r.out, "-/-"));
	EXPECT(r, strchr(r.out, '\x1b') == NULL && strstr(r.out, "new?[31m"));
	EXPECT(r, strstr(r.out, "d/established"));
	EXPECT(r, aligned(r.out, "PROTO") && aligned(r.out, "WORKLOADS") &&
			  aligned(r.out, "AGE/STATE") && aligned(r.out, "OFFLOADED"));
	EXPECT(r, strstr(r.out, "\n2 of 5 flows (more than --limit)\n") != NULL);
	want = json_loads("{\"filter\":{\"workload\":\"web\",\"port\":8080,\"proto\":\"TCP\","
			  "\"offloaded\":true,\"src\":\"10.0.0.0/8\",\"action\":\"allow\","
			  "\"app_proto\":\"http\"},\"limit\":2}",
			  0, NULL);
	CHECK(s.nreq == 1 && json_equal(s.args[0], want));
	json_decref(want);
	run_free(&r, &s);

	/* Bad options are the user's: exit 2, nothing sent. */
	r = run(&s, two, 1, (const char *const[]){"flows", "--port", "70000", NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "--port") && s.nreq == 0);
	run_free(&r, &s);
	r = run(&s, two, 1, (const char *const[]){"flows", "--src", "10.0.0.0/40", NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "--src") && s.nreq == 0);
	run_free(&r, &s);
	r = run(&s, two, 1, (const char *const[]){"flows", "--offloaded", "--not-offloaded", NULL});
	EXPECT(r, r.status == 2 && s.nreq == 0);
	run_free(&r, &s);
	r = run(&s, two, 1, (const char *const[]){"flows", "--follow", NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "--follow is not an option") && s.nreq == 0);
	run_free(&r, &s);
}

static void test_stats(void)
{
	const struct canned steps[] = {{.op = "stats", .result = "{\"uptime\":60,\"policy\":{\"generation\":4,\"compile_ms\":1.5,\"closed\":false},"
		"\"queues\":[{\"queue\":0,\"packets\":100,\"enobufs\":2,\"missed\":1},"
		"{\"queue\":1,\"packets\":\"many\"}],"
		"\"flows\":{\"active\":3},\"decisions\":{\"flow\":{\"allow\":5,\"deny\":1}},"
		"\"events\":{\"written\":10,\"dropped\":0}}"}};
	struct srv s;
	struct run r;

	r = run(&s, steps, 1, (const char *const[]){"stats", NULL});
	EXPECT(r, r.status == 0 && tidy(r.out));
	EXPECT(r, strstr(r.out, "policy       generation 4, compiled in 1.5 ms\n") != NULL);
	EXPECT(r, strstr(r.out, "flows        3 active, - created") != NULL);
	EXPECT(r, strstr(r.out, "decisions    flows: 5 allow, 1 deny; transactions: -\n") != NULL);
	EXPECT(r, strstr(r.out, "events       10 written, 0 dropped") != NULL);
	EXPECT(r, strstr(r.out, "QUEUE  PACKETS  ACCEPTED") && aligned_right(strstr(r.out, "QUEUE"), "ENOBUFS") &&
			  aligned_right(strstr(r.out, "QUEUE"), "ERRORS"));
	run_free(&r, &s);
}

/* ------------------------------------------------------------ events */

static const char ev_http[] =
	"{\"v\":1,\"event\":{\"timestamp\":\"2026-11-22T10:51:42.123456Z\",\"event_type\":\"http\","
	"\"src_ip\":\"10.0.0.1\",\"src_port\":43512,\"dest_ip\":\"10.0.0.2\",\"dest_port\":8080,"
	"\"src_workload\":{\"name\":\"web\",\"labels\":{}},\"dest_workload\":{\"name\":\"api\"},"
	"\"http\":{\"http_method\":\"GET\",\"url\":\"/admin\"},"
	"\"verdict\":{\"action\":\"deny\",\"reason\":\"l7-no-match\"}}}";
static const char ev_dns[] =
	"{\"v\":1,\"event\":{\"timestamp\":\"2026-11-22T10:51:43.000000Z\",\"event_type\":\"dns\","
	"\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.3\",\"dns\":{\"rrname\":\"x.example\"}}}";

static void test_events(void)
{
	static const char *const after[] = {ev_http, "{\"v\":1,\"dropped\":3}", ev_dns,
					    "{\"v\":1,\"end\":true}", NULL};
	static const char *const no_end[] = {ev_http, NULL};
	const struct canned steps[] = {
		{.op = "events.subscribe", .result = "{\"subscribed\":true,\"recent\":2}", .after = after}};
	const struct canned cut[] = {
		{.op = "events.subscribe", .result = "{\"subscribed\":true,\"recent\":2}", .after = no_end}};
	struct srv s;
	struct run r;
	json_t *want;

	r = run(&s, steps, 1, (const char *const[]){"events", "--last", "5", "--type", "http",
						    "--type", "dns", NULL});
	EXPECT(r, r.status == 0);
	EXPECT(r, !strcmp(r.out, "2026-11-22T10:51:42.123456Z http 10.0.0.1:43512 -> "
				 "10.0.0.2:8080 web -> api deny l7-no-match GET /admin\n"
				 "2026-11-22T10:51:43.000000Z dns 10.0.0.1 -> 10.0.0.3 - -> - - - "
				 "x.example\n"));
	EXPECT(r, !strcmp(r.err, "bulkhead: 3 events lost (reading too slowly)\n"));
	want = json_loads("{\"types\":[\"http\",\"dns\"],\"recent\":5,\"follow\":false}", 0, NULL);
	CHECK(s.nreq == 1 && json_equal(s.args[0], want));
	json_decref(want);
	run_free(&r, &s);

	/* --json: the EVE lines themselves. */
	r = run(&s, steps, 1, (const char *const[]){"events", "--json", NULL});
	EXPECT(r, r.status == 0);
	{
		char *nl = strchr(r.out, '\n');
		json_t *first = nl ? json_loadb(r.out, (size_t)(nl - r.out), 0, NULL) : NULL;
		json_t *w = json_loads(ev_http, 0, NULL);

		CHECK(first && json_equal(first, json_object_get(w, "event")));
		CHECK(nl && strchr(nl + 1, '\n') && !strchr(strchr(nl + 1, '\n') + 1, '\n'));
		json_decref(first);
		json_decref(w);
	}
	/* Without --last: the 20 most recent. */
	CHECK(s.nreq == 1 && json_integer_value(json_object_get(s.args[0], "recent")) == 20);
	run_free(&r, &s);

	/* The connection ends before the end frame: an error. */
	r = run(&s, cut, 1, (const char *const[]){"events", NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "before the end"));
	run_free(&r, &s);

	/* --follow: until the daemon closes; recent 0 unless --last. */
	r = run(&s, cut, 1, (const char *const[]){"events", "--follow", NULL});
	EXPECT(r, r.status == 0 && strstr(r.out, " GET /admin\n"));
	CHECK(s.nreq == 1 && json_integer_value(json_object_get(s.args[0], "recent")) == 0 &&
	      json_is_true(json_object_get(s.args[0], "follow")));
	run_free(&r, &s);

	/* A reader that goes away (`| head`) ends it quietly. */
	r = run_mode(&s, SRV_FLOOD, cut, 1, true, (const char *const[]){"events", "--follow", NULL});
	EXPECT(r, r.status == 0 && !*r.err);
	CHECK(s.flooded < 200000);
	run_free(&r, &s);

	/* An unknown type is a usage error. */
	r = run(&s, steps, 1, (const char *const[]){"events", "--type", "bogus", NULL});
	EXPECT(r, r.status == 2 && s.nreq == 0);
	run_free(&r, &s);
}

/* ------------------------------------------------------------ graph */

/* The DOT line of @text that contains @needle. */
static char *line_with(const char *text, const char *needle, char *out, size_t size)
{
	const char *p = strstr(text, needle), *b, *e;

	out[0] = '\0';
	if (!p)
		return out;
	for (b = p; b > text && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	snprintf(out, size, "%.*s", (int)((e ? e : p + strlen(p)) - b), b);
	return out;
}

static void test_graph(void)
{
	const struct canned steps[] = {{.op = "graph", .result = "{\"edges\":["
		"{\"src\":\"web\",\"dst\":\"api\",\"proto\":\"TCP\",\"port\":8080,\"allow\":10,"
		"\"deny\":0,\"audit\":0,\"learn\":0},"
		"{\"src\":\"web\",\"dst\":\"10.0.0.9\",\"proto\":\"UDP\",\"port\":53,\"allow\":1,"
		"\"deny\":2,\"audit\":1},"
		"{\"src\":\"we\\\"ird\\\\\",\"dst\":\"api\",\"proto\":\"TCP\",\"port\":1,\"audit\":4},"
		"{\"src\":\"batch\",\"dst\":\"api\",\"proto\":\"TCP\",\"port\":5432,\"learn\":3,"
		"\"allow\":\"x\"}]}"}};
	const struct canned empty[] = {{.op = "graph", .result = "{\"edges\":[]}"}};
	struct srv s;
	struct run r;
	char l[512];

	r = run(&s, steps, 1, (const char *const[]){"graph", NULL});
	EXPECT(r, r.status == 0 && !strncmp(r.out, "digraph ", 8) && tidy(r.out));
	EXPECT(r, strstr(line_with(r.out, "\"web\" -> \"api\"", l, sizeof(l)), "color=green") &&
			  strstr(l, "label=\"TCP/8080\\n10 allow\""));
	EXPECT(r, strstr(line_with(r.out, "\"web\" -> \"10.0.0.9\"", l, sizeof(l)), "color=red") &&
			  strstr(l, "UDP/53\\n1 allow, 2 deny, 1 audit"));
	EXPECT(r, strstr(line_with(r.out, "\"we\\\"ird\\\\\" -> \"api\"", l, sizeof(l)),
			 "color=orange"));
	EXPECT(r, strstr(line_with(r.out, "\"batch\" -> \"api\"", l, sizeof(l)), "color=blue"));
	EXPECT(r, strstr(r.out, "\t\"10.0.0.9\" [shape=ellipse];\n") &&
			  strstr(r.out, "\t\"api\";\n"));
	EXPECT(r, r.out[strlen(r.out) - 2] == '}');
	/* Graphviz itself reads it, where it is installed. */
	if (access("/usr/bin/dot", X_OK) == 0) {
		FILE *dot = popen("/usr/bin/dot -Tplain >/dev/null 2>&1", "w");
		int st;

		CHECK(dot != NULL);
		if (dot) {
			fputs(r.out, dot);
			st = pclose(dot);
			EXPECT(r, st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
	}
	run_free(&r, &s);

	r = run(&s, empty, 1, (const char *const[]){"graph", NULL});
	EXPECT(r, r.status == 0 && !strncmp(r.out, "digraph ", 8) && !strstr(r.out, "->"));
	run_free(&r, &s);
}

/* ------------------------------------------------------------ errors */

static void test_errors(void)
{
	const struct canned ping[] = {{.op = "ping", .result = PING_RESULT}};
	struct srv s;
	struct run r;

	r = run(&s, ping, 1, (const char *const[]){"ping", NULL});
	EXPECT(r, r.status == 0 &&
			  !strcmp(r.out, "bulkheadd 0.7.0, protocol 1, policy generation 3, pid 123\n"));
	run_free(&r, &s);

	/* No daemon. */
	r = run(&s, NULL, 0, (const char *const[]){"ping", NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "the daemon isn't running at") &&
			  strstr(r.err, sock_path));
	run_free(&r, &s);

	/* Usage. */
	r = run(&s, NULL, 0, (const char *const[]){"frobnicate", NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "unknown command 'frobnicate'"));
	run_free(&r, &s);
	r = run(&s, NULL, 0, (const char *const[]){"policy", NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "needs a sub-command"));
	run_free(&r, &s);
	r = run(&s, NULL, 0, (const char *const[]){"policy", "apply", NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "needs a file"));
	run_free(&r, &s);
	r = run(&s, NULL, 0, (const char *const[]){"stats", "extra", NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "unexpected argument 'extra'"));
	run_free(&r, &s);
	r = run(&s, NULL, 0, (const char *const[]){"stats", "--help", NULL});
	EXPECT(r, r.status == 0 && strstr(r.out, "bulkhead stats"));
	run_free(&r, &s);

	/* A reply to another request, and a frame over the limit. */
	r = run_mode(&s, SRV_WRONG_ID, ping, 1, false, (const char *const[]){"ping", NULL});
	EXPECT(r, r.status == 2 && strstr(r.err, "not a reply to request 1"));
	run_free(&r, &s);
	r = run_mode(&s, SRV_HUGE, ping, 1, false, (const char *const[]){"ping", NULL});
	EXPECT(r, r.status == 2 && *r.err && !*r.out);
	run_free(&r, &s);

	/* An op the daemon does not know (an older daemon): refused, 1. */
	r = run(&s, ping, 1, (const char *const[]){"logs", "reopen", NULL});
	EXPECT(r, r.status == 1 && !strcmp(r.err, "bulkhead: logs.reopen: not in the script\n"));
	run_free(&r, &s);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-OF-bulkhead\n", argv[0]);
		return 2;
	}
	bin = argv[1];
	signal(SIGPIPE, SIG_IGN);
	/* A client that hangs fails the test instead of stalling it. */
	alarm(200);
	snprintf(dir, sizeof(dir), "/tmp/bh-cli-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);
	RUN(test_policy_apply);
	RUN(test_policy_nochange);
	RUN(test_policy_refused);
	RUN(test_workloads);
	RUN(test_flows);
	RUN(test_stats);
	RUN(test_events);
	RUN(test_graph);
	RUN(test_errors);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return bh_test_summary();
}
