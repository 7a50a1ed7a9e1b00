/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_mysql.c - the MySQL parser on bytes captured from MariaDB 10.11 and
 * its client (mariadb(1), libmariadb prepared statements) on loopback, and on
 * crafted packets: multi-packet payloads across the 16 MiB boundary, query
 * attributes, compression, hostile lengths and sequence ids.
 *
 * Every trace is replayed the way the engine feeds a parser (a pending buffer
 * per direction, at most DPI_MAX_PENDING, consumed bytes dropped), whole, cut
 * at every byte position, in 1-byte pieces and in random pieces; each call
 * sees its input in a guard-page buffer. The event log must not depend on
 * the cuts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>

#include "bh_feed.h"
#include "bh_test.h"
#include "dpi_mysql.h"

enum { C = DPI_TO_SERVER, S = DPI_TO_CLIENT };

/* ---- captured traces (tshark tcp.payload, in capture order) ------------ */

static const struct bh_seg my_login_db[] = {
	{S,
	 "640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465"
	 "6231327531000a000000665f28497638537700feff080200ff81150000000000"
	 "001d000000223c473364237e7347476c6c006d7973716c5f6e61746976655f70"
	 "617373776f726400"},
	{C,
	 "d40000018ca2bf00000010002100000000000000000000000000000000000000"
	 "1d00000061707000149a4b7f39a3e1a69c47ea4fa49f2aa13bdd45ee4373686f"
	 "70006d7973716c5f6e61746976655f70617373776f7264007f035f6f73054c69"
	 "6e75780c5f636c69656e745f6e616d650a6c69626d617269616462045f706964"
	 "0533313134340f5f636c69656e745f76657273696f6e06332e332e3230095f70"
	 "6c6174666f726d067838365f36340c70726f6772616d5f6e616d65056d797371"
	 "6c0c5f7365727665725f686f7374093132372e302e302e31"},
	{S,
	 "1000000200000002400000000701050473686f70"},
	{C,
	 "1c0000000353454c4543542069642c206974656d2046524f4d206f7264657273"},
	{S,
	 "0200000102012b000002036465660473686f70066f7264657273066f72646572"
	 "73026964026964000c3f000b0000000303500000002f00000303646566047368"
	 "6f70066f7264657273066f7264657273046974656d046974656d000c21007800"
	 "0000fd000000000005000004fe00002200080000050131056170706c65070000"
	 "060132047065617205000007fe00002200"},
	{C,
	 "120000000353454c4543542044415441424153452829"},
	{S,
	 "02000001010121000002036465660000000a4441544142415345282900000c21"
	 "00c0000000fd000027000005000003fe00000200050000040473686f70050000"
	 "05fe00000200"},
	{C,
	 "06000000026f74686572"},
	{S,
	 "110000010000000240000000080106056f74686572"},
	{C,
	 "100000000353454c45435420782046524f4d2074"},
	{S,
	 "0200000101012000000203646566056f746865720174017401780178000c3f00"
	 "0b00000003000000000005000003fe0000220002000004013705000005fe0000"
	 "2200"},
	{C,
	 "0100000001"},
};
static const struct bh_seg my_login_nodb[] = {
	{S,
	 "640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465"
	 "6231327531000500000070286e747b2f752400feff080200ff81150000000000"
	 "001d0000004e3e2a544c5e734950365c4e006d7973716c5f6e61746976655f70"
	 "617373776f726400"},
	{C,
	 "cf00000184a2bf00000010002100000000000000000000000000000000000000"
	 "1d0000006170700014bf85f298ac7de0ef033a62aa7ec510fd1e5dff366d7973"
	 "716c5f6e61746976655f70617373776f7264007f035f6f73054c696e75780c5f"
	 "636c69656e745f6e616d650a6c69626d617269616462045f7069640533313033"
	 "370f5f636c69656e745f76657273696f6e06332e332e3230095f706c6174666f"
	 "726d067838365f36340c70726f6772616d5f6e616d65056d7973716c0c5f7365"
	 "727665725f686f7374093132372e302e302e31"},
	{S,
	 "0700000200000002000000"},
	{C,
	 "090000000353454c4543542031"},
	{S,
	 "0200000101011800000203646566000000013100000c3f000100000003810000"
	 "000005000003fe0000020002000004013105000005fe00000200"},
	{C,
	 "0100000001"},
};
static const struct bh_seg my_badpw[] = {
	{S,
	 "640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465"
	 "6231327531000600000063597253296e706800feff080200ff81150000000000"
	 "001d000000387e3321482b3b2959667538006d7973716c5f6e61746976655f70"
	 "617373776f726400"},
	{C,
	 "cf00000184a2bf00000010002100000000000000000000000000000000000000"
	 "1d0000006170700014812d3cb3a354adbd21480caf8abf13b2d4f90ed06d7973"
	 "716c5f6e61746976655f70617373776f7264007f035f6f73054c696e75780c5f"
	 "636c69656e745f6e616d650a6c69626d617269616462045f7069640533313035"
	 "320f5f636c69656e745f76657273696f6e06332e332e3230095f706c6174666f"
	 "726d067838365f36340c70726f6772616d5f6e616d65056d7973716c0c5f7365"
	 "727665725f686f7374093132372e302e302e31"},
	{S,
	 "47000002ff15042332383030304163636573732064656e69656420666f722075"
	 "73657220276170702740276c6f63616c686f73742720287573696e6720706173"
	 "73776f72643a2059455329"},
};
static const struct bh_seg my_syntax[] = {
	{S,
	 "640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465"
	 "623132753100070000003970495c734e6b5000feff080200ff81150000000000"
	 "001d0000002d2f454e3663712d2c335a4e006d7973716c5f6e61746976655f70"
	 "617373776f726400"},
	{C,
	 "d40000018ca2bf00000010002100000000000000000000000000000000000000"
	 "1d000000617070001416e5cab1c90aa351791aaf8a1ab77f527afb289e73686f"
	 "70006d7973716c5f6e61746976655f70617373776f7264007f035f6f73054c69"
	 "6e75780c5f636c69656e745f6e616d650a6c69626d617269616462045f706964"
	 "0533313036340f5f636c69656e745f76657273696f6e06332e332e3230095f70"
	 "6c6174666f726d067838365f36340c70726f6772616d5f6e616d65056d797371"
	 "6c0c5f7365727665725f686f7374093132372e302e302e31"},
	{S,
	 "1000000200000002400000000701050473686f70"},
	{C,
	 "090000000353454c454b542031"},
	{S,
	 "a5000001ff2804233432303030596f75206861766520616e206572726f722069"
	 "6e20796f75722053514c2073796e7461783b20636865636b20746865206d616e"
	 "75616c207468617420636f72726573706f6e647320746f20796f7572204d6172"
	 "69614442207365727665722076657273696f6e20666f72207468652072696768"
	 "742073796e74617820746f20757365206e656172202753454c454b5420312720"
	 "6174206c696e652031"},
	{C,
	 "0100000001"},
};
static const struct bh_seg my_prep[] = {
	{S,
	 "640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465"
	 "623132753100080000004a5c71413274756f00feff080200ff81150000000000"
	 "001d0000004d737b307b3e5e426d225c2c006d7973716c5f6e61746976655f70"
	 "617373776f726400"},
	{C,
	 "c10000018ca2be00000010002d00000000000000000000000000000000000000"
	 "1d000000617070001409e9fda06dd11fc582f12a6b26f96632d3bfda0273686f"
	 "70006d7973716c5f6e61746976655f70617373776f7264006c035f6f73054c69"
	 "6e75780c5f636c69656e745f6e616d650a6c69626d617269616462045f706964"
	 "0533313038300f5f636c69656e745f76657273696f6e06332e332e3230095f70"
	 "6c6174666f726d067838365f36340c5f7365727665725f686f7374093132372e"
	 "302e302e31"},
	{S,
	 "1000000200000002400000000701050473686f70"},
	{C,
	 "250000001653454c454354206974656d2046524f4d206f726465727320574845"
	 "5245206964203d203f"},
	{S,
	 "0c0000010001000000010001000000001800000203646566000000013f00000c"
	 "3f000000000006800000000005000003fe000002002f00000403646566047368"
	 "6f70066f7264657273066f7264657273046974656d046974656d000c2d00a000"
	 "0000fd000000000005000005fe00000200"},
	{C,
	 "12000000170100000000010000000001030002000000"},
	{S,
	 "02000001010005000002fe00000200070000030000047065617205000004fe00"
	 "000200"},
	{C,
	 "050000001901000000"},
	{C,
	 "0100000001"},
};
static const struct bh_seg my_ssl[] = {
	{S,
	 "640000000a352e352e352d31302e31312e31392d4d6172696144422d302b6465"
	 "623132753100090000005a4176506a455b7900feff080200ff81150000000000"
	 "001d0000006e3f2c5e734a585b406b7a47006d7973716c5f6e61746976655f70"
	 "617373776f726400"},
	{C,
	 "2000000184aabf00000010002100000000000000000000000000000000000000"
	 "1d000000"},
	{C,
	 "1603010200010001fc030376505083914cf2a0c6c0c24eb3e241e0d3f0096545"
	 "cb6e70d8c04e476740a8cf2064cd85238be550f111ede677e15abbcb76c57212"
	 "a595186472c8e3f7802dd9ca003e130213031301c02cc030009fcca9cca8ccaa"
	 "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
	 "009c003d003c0035002f00ff01000175000b000403000102000a00160014001d"
	 "0017001e0019001801000101010201030104002300000016000000170000000d"
	 "002a0028040305030603080708080809080a080b080408050806040105010601"
	 "030303010302040205020602002b0009080304030303020301002d0002010100"
	 "3300260024001d0020f855b4a42606f319bf50cd7c97fbe72cfba99d28eb9185"
	 "2f9e2ab3466365d931001500d800000000000000000000000000000000000000"
	 "0000000000000000000000000000000000000000000000000000000000000000"
	 "0000000000000000000000000000000000000000000000000000000000000000"
	 "0000000000000000000000000000000000000000000000000000000000000000"
	 "0000000000000000000000000000000000000000000000000000000000000000"
	 "0000000000000000000000000000000000000000000000000000000000000000"
	 "0000000000000000000000000000000000000000000000000000000000000000"
	 "0000000000"},
	{S,
	 "160303007a020000760303b3f3da5eebd9300936663d3b59f350b6dd38ac8d12"
	 "84cd3fa5b514fc3b061df52064cd85238be550f111ede677e15abbcb76c57212"
	 "a595186472c8e3f7802dd9ca130200002e002b0002030400330024001d0020f7"
	 "5e9c79bc3b5db36edfd81ca2e8c3af017e6bae606c66dd01a7a72fafb4355a14"
	 "03030001011703030017c456c8d09a0a08892e8980dab8d372db714275ac2690"
	 "13170303003efb31692ab13bc490e9787f760f880fe8350917b63f8080e86945"
	 "8b162c529c57a6cc666bc285845dd61ee5d244cc585615b726a7dc0fe1920b73"
	 "d91a2c4c170303032f700c98043372a1f8d5590bba68ae858bbcf6d5de2819d2"
	 "77f54c5cbf49d4f7c15c75ac20ad052342c3f450272f4930325f00ad8901d801"
	 "b9fbbea1954d9befff82f16d1d856b8e234070b6f1b296c65b82d2f58b49e11a"
	 "7334647f8b98a011ae77a3b4c86a06247fe5f014622e7a6b49d8ab2053be28bd"
	 "c9da4929fba22f3bde6952ee96f8bf6cf46c0ef75d6e00de55c04f98fab932ef"
	 "cc827f9804fd2a8ffce110e1a4205d901fcf438e3e6c6702ce85c33aee45747b"
	 "202ab755c6649e2584b489949e74b23f8837857c72c2682c0ab1050b34919a26"
	 "a9f560c96ce87ef81779370878ce794295cfd23213a03c7a314b3af866754c35"
	 "1f7b844cca87fa61e3abe683f0c17ce29c24628bfe0cc2eb1c278345f1517c53"
	 "9de43f5bf6a76572b71641a09cc430a78a78afc716e83e537bf3cbe4570869b2"
	 "3c9d237c3b0730a34c6def2ba0840bf29b357371cadb3d2c5eb628877207cd89"
	 "7dddc96507af7a3edfe7ff58806cd6cfff99fd5ab25ab9032b4aa4fd72e45097"
	 "a9a2be43e70f787b8bb230def84151ac8a1e12c0517cdd46d94ea60b2bb5ec01"
	 "6cbc689f1155c9b71bb00c110fd0c756364174816ed23879a5e68f6bb1fb0754"
	 "3624bc9e88c9d64b4f6bffab9090bcd60e99106aea0abcbe6793f2ed543237fa"
	 "3d2fdcbc2842999b6f6fa8cf9ff641a9b100d548f18a9a339bc88b8fa22c78d2"
	 "0dd8041d254420e24d0116c8bd1be0525eea94b7a144651e736d5dea0636cd99"
	 "54e94255b368c0b4deefe966b5edc90aa8dc0e22001400c0799d960fbd874f53"
	 "331b1b1ad2a1f767c6f34d65397d328a836c6a8c496a47696ac784f106742cd9"
	 "ce2cebbc5e800f683199d3206b8dca540fb7f7a7b81cfefa548427686bf649e9"
	 "35061051bf0f8eb18addf4cd6808a155adfd8a2a5ce29f24b521700c75f3565f"
	 "6c9de59d2ce9fb49c979055e9326e135aaa468ec7b6b7835a5250f71fa458467"
	 "7f948469eeddce1e2b68828d928e9980aad2caaec731b63a48ea3dc2b45a7a1c"
	 "d8392ceb4f5abf2455f11462d7acdb16bfa5531f2212e0c578d02bd18721b94f"
	 "26d261719246cc201aede545db16c9cef4d1b2661dd666a590a7de26298ca0ed"
	 "9ff90acac3a8dcfeebbb0cd5df69217f5f1e0dbb5f91461017030301193dc6fa"
	 "618f40861a6d5da5233d4e9fcf83c08e102bf161533b9fce5fa5967fbf57110e"
	 "fe120f8af977a70ca3b9e3e5b4bf71d825960f66b98b690d5f8f16f8d7159205"
	 "5529dfa6ec12bae5374f8683021ceeb86f65b067986835e8ec91dded695f1b79"
	 "ed1427a05602040a2c91cfab46d8ae44d94e9c1763f2904684488f6a2ddd714a"
	 "7863f81a84c065d5ec8dfc08a8a0280a41352bc37caede8809c3fa740a62414f"
	 "cd09cf1b072647fc30d89f76bb8635e4ab2b924ae842168a5b567f15b9cef285"
	 "f0a85e58148495fa3587d34baaf59eeb7ba7489807d5090db57d55626d155372"
	 "7ff06960975bff28f292cf9624cd802a42e515c654a40211935fca11b1d4eed0"
	 "9fc0bfb79df525f85c62f6c0cb63a6fa1cc3174591101703030045e9e03b4ddb"
	 "3553a6eb6be49ec1025e2f429c20a19510fc8ec58339e1c47e2a7332d079312b"
	 "c0dc051a5d806738b27f5facd4605b302a69ea5714ec4e280214d4f38e2529ce"},
};

/* ---- recording the callbacks ------------------------------------------- */

struct rec {
	char log[16384];
	size_t n;
	unsigned anomalies, queries, tls;
	size_t tls_len;
	uint8_t tls_first;
	uint32_t last_text_len;
	bool last_truncated;
};

static void logf_(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (r->n >= sizeof(r->log))
		return;
	va_start(ap, fmt);
	k = vsnprintf(r->log + r->n, sizeof(r->log) - r->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		r->n += (size_t)k < sizeof(r->log) - r->n ? (size_t)k : sizeof(r->log) - r->n - 1;
}

/* At most 80 bytes of a slice, for the log. */
static int sl_len(struct dpi_slice s)
{
	return s.len > 80 ? 80 : (int)s.len;
}

static void on_greeting(void *ctx, const struct dpi_mysql_greeting *g)
{
	logf_(ctx, "greeting %u %.*s id=%u caps=%08x plugin=%.*s\n", g->protocol,
	      sl_len(g->server_version), (const char *)g->server_version.p, g->connection_id,
	      g->capabilities, sl_len(g->auth_plugin), (const char *)g->auth_plugin.p);
}

static void on_login(void *ctx, const struct dpi_mysql_login *l)
{
	logf_(ctx, "login%s user=%.*s db=%.*s plugin=%.*s\n", l->change_user ? "(change)" : "",
	      sl_len(l->user), (const char *)l->user.p, sl_len(l->database),
	      (const char *)l->database.p, sl_len(l->auth_plugin), (const char *)l->auth_plugin.p);
}

static void on_tls(void *ctx, unsigned dir, const uint8_t *data, size_t len)
{
	struct rec *r = ctx;

	/* Where the cut fell decides how much of the TLS stream comes along:
	 * not in the log, which must not depend on it. */
	r->tls++;
	r->tls_len = len;
	r->tls_first = len ? data[0] : 0;
	logf_(r, "tls %u\n", dir);
}

static void on_query(void *ctx, const struct dpi_mysql_query *q)
{
	struct rec *r = ctx;

	r->queries++;
	r->last_text_len = q->text.len;
	r->last_truncated = q->truncated;
	logf_(r, "query %d user=%.*s db=%.*s len=%u%s: %.*s\n", (int)q->kind, sl_len(q->user),
	      (const char *)q->user.p, sl_len(q->database), (const char *)q->database.p, q->text.len,
	      q->truncated ? " truncated" : "", sl_len(q->text), (const char *)q->text.p);
}

static void on_command(void *ctx, uint8_t cmd)
{
	logf_(ctx, "command %s\n", dpi_mysql_command_name(cmd));
}

static void on_error(void *ctx, const struct dpi_mysql_error *e)
{
	logf_(ctx, "error %u %.*s login=%d: %.*s\n", e->code, sl_len(e->sqlstate),
	      (const char *)e->sqlstate.p, e->during_login, sl_len(e->message),
	      (const char *)e->message.p);
}

static void on_response(void *ctx, const struct dpi_mysql_response *r)
{
	logf_(ctx, "response kind=%d cmd=%u rows=%llu affected=%llu err=%u\n", (int)r->kind,
	      r->command, (unsigned long long)r->rows, (unsigned long long)r->affected_rows,
	      r->error_code);
}

static void on_anomaly(void *ctx, const char *ev)
{
	struct rec *r = ctx;

	r->anomalies++;
	logf_(r, "anomaly %s\n", ev);
}

static const struct dpi_mysql_cb rec_cb = {
	.on_greeting = on_greeting,
	.on_login = on_login,
	.on_tls = on_tls,
	.on_query = on_query,
	.on_command = on_command,
	.on_error = on_error,
	.on_response = on_response,
	.on_anomaly = on_anomaly,
};

/* ---- the caller: pending buffers, guard pages (bh_feed.h) ------------- */

BH_FEED_SIM(struct dpi_mysql_state, dpi_mysql_init, dpi_mysql_fini, dpi_mysql_parse, &rec_cb)

/* ---- captured sessions ------------------------------------------------- */

static void test_login_with_db(void)
{
	struct sim s;

	replay_all_cuts(&s, my_login_db, NSEG(my_login_db));
	CHECK(has(&s, "greeting 10 5.5.5-10.11.19-MariaDB-0+deb12u1 id=10 caps="));
	CHECK(has(&s, "plugin=mysql_native_password\n"));
	CHECK(has(&s, "login user=app db=shop plugin=mysql_native_password\n"));
	CHECK(has(&s, "response kind=0 cmd=255"));
	CHECK(has(&s, "query 0 user=app db=shop len=27: SELECT id, item FROM orders\n"));
	CHECK(has(&s, "response kind=2 cmd=3 rows=2 "));
	CHECK(has(&s, "query 2 user=app db=shop len=5: other\n"));
	CHECK(has(&s, "query 0 user=app db=other len=15: SELECT x FROM t\n"));
	CHECK(has(&s, "response kind=2 cmd=3 rows=1 "));
	CHECK(has(&s, "command COM_QUIT\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	CHECK_EQ(s.f.err[0], 0);
	CHECK_EQ(s.f.err[1], 0);
	sim_fini(&s);
}

static void test_login_without_db(void)
{
	struct sim s;

	replay_all_cuts(&s, my_login_nodb, NSEG(my_login_nodb));
	CHECK(has(&s, "login user=app db= plugin=mysql_native_password\n"));
	CHECK(has(&s, "query 0 user=app db= len=8: SELECT 1\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	CHECK_EQ(s.rec.queries, 1);
	sim_fini(&s);
}

static void test_access_denied(void)
{
	struct sim s;

	replay_all_cuts(&s, my_badpw, NSEG(my_badpw));
	CHECK(has(&s, "error 1045 28000 login=1: Access denied for user 'app'@'localhost'"));
	CHECK(has(&s, "response kind=1 cmd=255"));
	CHECK_EQ(s.rec.queries, 0);
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
}

static void test_syntax_error(void)
{
	struct sim s;

	replay_all_cuts(&s, my_syntax, NSEG(my_syntax));
	CHECK(has(&s, "query 0 user=app db=shop len=8: SELEKT 1\n"));
	CHECK(has(&s, "error 1064 42000 login=0: You have an error in your SQL syntax"));
	CHECK(has(&s, "response kind=1 cmd=3 "));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
}

static void test_prepared(void)
{
	struct sim s;

	replay_all_cuts(&s, my_prep, NSEG(my_prep));
	CHECK(has(&s, "login user=app db=shop"));
	CHECK(has(&s, "query 1 user=app db=shop len=36: SELECT item FROM orders WHERE id = ?\n"));
	CHECK(has(&s, "response kind=0 cmd=22 "));
	CHECK(has(&s, "command COM_STMT_EXECUTE\n"));
	/* MariaDB's cached metadata: no column definitions resent. */
	CHECK(has(&s, "response kind=2 cmd=23 rows=1 "));
	CHECK(has(&s, "command COM_STMT_CLOSE\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
}

static void test_ssl_switch(void)
{
	struct sim s;
	struct bh_trace t;
	struct dpi_mysql_state st;
	struct rec r = {0};
	uint8_t buf[4096];
	uint8_t *g;
	size_t n;
	int rc;

	replay_all_cuts(&s, my_ssl, NSEG(my_ssl));
	CHECK(has(&s, "greeting 10 "));
	CHECK(has(&s, "tls 0\ntls 1\n"));
	CHECK_EQ(s.rec.tls, 2);
	CHECK_EQ(s.rec.anomalies, 0);
	CHECK(!strstr(s.rec.log, "login"));
	CHECK(dpi_mysql_opaque(&s.st, C));
	CHECK(dpi_mysql_opaque(&s.st, S));
	sim_fini(&s);

	/* SSLRequest and ClientHello in one call: everything is consumed, and
	 * on_tls gets the TLS stream from its first byte (for dpi_tls). */
	bh_trace_load(&t, my_ssl, NSEG(my_ssl));
	dpi_mysql_init(&st);
	CHECK(dpi_mysql_parse(&st, S, t.data[0], t.len[0], &rec_cb, &r) == (int)t.len[0]);
	memcpy(buf, t.data[1], t.len[1]);
	memcpy(buf + t.len[1], t.data[2], t.len[2]);
	n = t.len[1] + t.len[2];
	g = guard_dup(buf, n);
	rc = dpi_mysql_parse(&st, C, g, n, &rec_cb, &r);
	CHECK_EQ(rc, (int)n);
	CHECK_EQ(r.tls, 1);
	CHECK_EQ(r.tls_len, n - 36);
	CHECK_EQ(r.tls_first, 0x16);
	CHECK_EQ(dpi_mysql_parse(&st, C, g + 36, n - 36, &rec_cb, &r), (int)(n - 36));
	guard_free(g, n);
	CHECK_EQ(r.tls, 1);
	/* The server's first TLS bytes too. */
	g = guard_dup(t.data[3], t.len[3]);
	CHECK_EQ(dpi_mysql_parse(&st, S, g, t.len[3], &rec_cb, &r), (int)t.len[3]);
	guard_free(g, t.len[3]);
	CHECK_EQ(r.tls, 2);
	CHECK_EQ(r.tls_len, t.len[3]);
	CHECK_EQ(r.tls_first, 0x16);
	dpi_mysql_fini(&st);
	bh_trace_free(&t);
}

/* ---- crafted ----------------------------------------------------------- */

static size_t put_pkt(uint8_t *out, uint8_t seq, const void *payload, size_t n)
{
	out[0] = (uint8_t)n;
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)(n >> 16);
	out[3] = seq;
	memcpy(out + 4, payload, n);
	return 4 + n;
}

/* Greeting, login (with the client capabilities @ccaps) and the server's OK,
 * fed whole. */
static void login(struct sim *s, uint32_t scaps, uint32_t ccaps, const char *db)
{
	uint8_t g[128], p[256], pkt[300];
	size_t n = 0;

	g[n++] = 10;
	memcpy(g + n, "8.0.36", 7);
	n += 7;
	memset(g + n, 0x11, 4 + 8 + 1);
	n += 13;
	g[n++] = (uint8_t)scaps;
	g[n++] = (uint8_t)(scaps >> 8);
	g[n++] = 0xff;			/* charset */
	g[n++] = 2;
	g[n++] = 0;			/* status */
	g[n++] = (uint8_t)(scaps >> 16);
	g[n++] = (uint8_t)(scaps >> 24);
	g[n++] = 21;
	memset(g + n, 0, 10);
	n += 10;
	memset(g + n, 0x22, 13);
	n += 13;
	memcpy(g + n, "caching_sha2_password", 22);
	n += 22;
	sim_feed(s, S, pkt, put_pkt(pkt, 0, g, n));

	n = 0;
	memcpy(p, (uint8_t[]){(uint8_t)ccaps, (uint8_t)(ccaps >> 8), (uint8_t)(ccaps >> 16),
			      (uint8_t)(ccaps >> 24), 0, 0, 0, 1, 0xff},
	       9);
	n = 9;
	memset(p + n, 0, 23);
	n += 23;
	memcpy(p + n, "root", 5);
	n += 5;
	p[n++] = 0;			/* empty auth response */
	if (ccaps & DPI_MYSQL_CLIENT_CONNECT_WITH_DB) {
		memcpy(p + n, db, strlen(db) + 1);
		n += strlen(db) + 1;
	}
	sim_feed(s, C, pkt, put_pkt(pkt, 1, p, n));
	sim_feed(s, S, pkt, put_pkt(pkt, 2, "\x00\x00\x00\x02\x00\x00\x00", 7));
}

#define CAPS_41 (DPI_MYSQL_CLIENT_PROTOCOL_41 | DPI_MYSQL_CLIENT_SECURE_CONNECTION | \
		 DPI_MYSQL_CLIENT_PLUGIN_AUTH)

static void test_multi_packet(void)
{
	const size_t big = 0xffffff;
	struct sim s;
	uint8_t *stream;
	size_t n = 0, total;
	uint64_t seed = 42;

	/* COM_QUERY of 0xffffff + 9 bytes payload: a full packet, the rest in
	 * the next; then a second query that must still parse. */
	total = 4 + big + 4 + 9 + 4 + 9;
	stream = malloc(total);
	if (!stream)
		abort();
	stream[n++] = 0xff;
	stream[n++] = 0xff;
	stream[n++] = 0xff;
	stream[n++] = 0;
	stream[n++] = DPI_MYSQL_COM_QUERY;
	memcpy(stream + n, "SELECT '", 8);
	memset(stream + n + 8, 'a', big - 9);
	n += big - 1;
	n += put_pkt(stream + n, 1, "aaaaaaaa'", 9);
	n += put_pkt(stream + n, 0, "\x03SELECT 2", 9);
	CHECK_EQ(n, total);

	for (int pass = 0; pass < 2; pass++) {
		sim_init(&s);
		login(&s, 0xffffffff & ~(DPI_MYSQL_CLIENT_COMPRESS | DPI_MYSQL_CLIENT_QUERY_ATTRIBUTES |
					 DPI_MYSQL_CLIENT_ZSTD_COMPRESSION | DPI_MYSQL_CLIENT_SSL),
		      CAPS_41, "");
		for (size_t off = 0; off < total;) {
			size_t k = pass ? 1 + bh_xorshift(&seed) % 70000 : 65536;

			if (k > total - off)
				k = total - off;
			sim_feed(&s, C, stream + off, k);
			off += k;
		}
		CHECK(!s.f.overflow);
		CHECK_EQ(s.f.err[0], 0);
		CHECK_EQ(s.rec.queries, 2);
		CHECK(has(&s, "anomaly mysql.statement_truncated\n"));
		CHECK(has(&s, "query 0 user=root db= len=1048575 truncated: SELECT 'aaaa"));
		CHECK(has(&s, "query 0 user=root db= len=8: SELECT 2\n"));
		CHECK_EQ(s.rec.anomalies, 1);
		sim_fini(&s);
	}
	free(stream);

	/* Exactly 0xffffff bytes: an empty packet ends the payload. A statement
	 * under the cap but over DPI_MAX_PENDING is kept whole, not truncated. */
	sim_init(&s);
	login(&s, 0xffffffff & ~(DPI_MYSQL_CLIENT_COMPRESS | DPI_MYSQL_CLIENT_QUERY_ATTRIBUTES |
				 DPI_MYSQL_CLIENT_ZSTD_COMPRESSION | DPI_MYSQL_CLIENT_SSL),
	      CAPS_41, "");
	stream = malloc(4 + big + 4);
	if (!stream)
		abort();
	memcpy(stream, "\xff\xff\xff\x00\x16", 5);
	memset(stream + 5, ' ', big - 1);
	memcpy(stream + 4 + big, "\x00\x00\x00\x01", 4);
	for (size_t off = 0; off < 4 + big + 4; off += 40000)
		sim_feed(&s, C, stream + off, 4 + big + 4 - off < 40000 ? 4 + big + 4 - off : 40000);
	CHECK(has(&s, "query 1 user=root db= len=1048575 truncated"));
	memset(stream, 'b', 200000);
	memcpy(stream, "\x40\x0d\x03\x00\x03SELECT '", 13);
	stream[4 + 200000 - 1] = '\'';
	sim_feed(&s, C, stream, 4 + 200001 - 1);
	CHECK_EQ(s.rec.queries, 2);
	CHECK_EQ(s.rec.last_text_len, 199999);
	CHECK(!s.rec.last_truncated);
	CHECK_EQ(s.rec.anomalies, 1);
	CHECK(!s.f.overflow);
	sim_fini(&s);
	free(stream);
}

static void test_query_attributes(void)
{
	struct sim s;
	uint8_t pkt[128];
	static const uint8_t attrs[] = {
		0x03, 0x01, 0x01, 0x00, 0x01, 0xfe, 0x00, 0x03, 'k', 'e', 'y',
		0x05, 'v', 'a', 'l', 'u', 'e', 'S', 'E', 'L', 'E', 'C', 'T', ' ', '2',
	};
	static const uint8_t attrs_int[] = {
		0x03, 0x02, 0x01, 0x02, 0x01, 0x08, 0x00, 0x01, 'a', 0x03, 0x00, 0x01, 'b',
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '3',
	};
	uint32_t caps = CAPS_41 | DPI_MYSQL_CLIENT_QUERY_ATTRIBUTES | DPI_MYSQL_CLIENT_CONNECT_WITH_DB;

	sim_init(&s);
	login(&s, caps, caps, "sales");
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x03\x00\x01SELECT 1", 11));
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, attrs, sizeof(attrs)));
	/* Two attributes, the second NULL (bit 1): an 8-byte LONGLONG value. */
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, attrs_int, sizeof(attrs_int)));
	CHECK(has(&s, "login user=root db=sales plugin=\n"));
	CHECK(has(&s, "query 0 user=root db=sales len=8: SELECT 1\n"));
	CHECK(has(&s, "query 0 user=root db=sales len=8: SELECT 2\n"));
	CHECK(has(&s, "query 0 user=root db=sales len=8: SELECT 3\n"));
	/* Attributes that overrun the packet: an anomaly, no bogus text. */
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x03\x01\x01\x00\x01\xfe\x00\x03key\x40", 12));
	CHECK(has(&s, "anomaly mysql.malformed\n"));
	CHECK_EQ(s.rec.queries, 3);
	sim_fini(&s);

	/* Without the capability on the server, the bytes are text. */
	sim_init(&s);
	login(&s, CAPS_41, caps, "");
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x03SELECT 4", 9));
	CHECK(has(&s, "query 0 user=root db= len=8: SELECT 4\n"));
	sim_fini(&s);
}

static void test_init_db_refused(void)
{
	struct sim s;
	uint8_t pkt[128];
	uint32_t caps = CAPS_41 | DPI_MYSQL_CLIENT_CONNECT_WITH_DB;

	sim_init(&s);
	login(&s, caps, caps, "a");
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x02secret", 7));
	sim_feed(&s, S, pkt, put_pkt(pkt, 1, "\xff\x15\x04#42000Access denied", 22));
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x03SELECT 1", 9));
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x02" "b", 2));
	sim_feed(&s, S, pkt, put_pkt(pkt, 1, "\x00\x00\x00\x02\x00\x00\x00", 7));
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x03SELECT 2", 9));
	/* COM_CHANGE_USER: a new login. */
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x11" "bob\0" "\x00" "hr\0" "\x21\x00", 11));
	sim_feed(&s, S, pkt, put_pkt(pkt, 1, "\xfe" "mysql_native_password\0" "12345678901234567890", 43));
	sim_feed(&s, C, pkt, put_pkt(pkt, 2, "01234567890123456789", 20));
	sim_feed(&s, S, pkt, put_pkt(pkt, 3, "\x00\x00\x00\x02\x00\x00\x00", 7));
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x03SELECT 3", 9));
	CHECK(has(&s, "error 1045 42000 login=0: Access denied\n"));
	CHECK(has(&s, "query 0 user=root db=a len=8: SELECT 1\n"));
	CHECK(has(&s, "query 0 user=root db=b len=8: SELECT 2\n"));
	CHECK(has(&s, "login(change) user=bob db=hr plugin=\n"));
	CHECK(has(&s, "query 0 user=bob db=hr len=8: SELECT 3\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
}

static void test_local_infile(void)
{
	struct sim s;
	uint8_t pkt[128];

	/* The file's contents (seq != 0) are never commands. */
	sim_init(&s);
	login(&s, CAPS_41, CAPS_41, "");
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x03LOAD DATA LOCAL INFILE 'f' INTO TABLE t", 40));
	sim_feed(&s, S, pkt, put_pkt(pkt, 1, "\xfb" "f", 2));
	sim_feed(&s, C, pkt, put_pkt(pkt, 2, "\x03SELECT evil", 12));
	sim_feed(&s, C, pkt, put_pkt(pkt, 3, "", 0));
	sim_feed(&s, S, pkt, put_pkt(pkt, 4, "\x00\x01\x00\x02\x00\x00\x00", 7));
	CHECK_EQ(s.rec.queries, 1);
	CHECK(has(&s, "response kind=0 cmd=3 rows=0 affected=1 "));
	CHECK_EQ(s.rec.anomalies, 0);
	/* A stray sequence id. */
	sim_feed(&s, S, pkt, put_pkt(pkt, 9, "\x00\x00\x00\x02\x00\x00\x00", 7));
	CHECK(has(&s, "anomaly mysql.seq_invalid\n"));
	sim_fini(&s);
}

static void test_compressed(void)
{
	struct sim s;
	uint8_t pkt[64];
	uint32_t caps = CAPS_41 | DPI_MYSQL_CLIENT_COMPRESS;

	sim_init(&s);
	login(&s, caps, caps, "");
	CHECK(dpi_mysql_opaque(&s.st, S));
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x09\x00\x00\x03SELECT", 10));
	CHECK(dpi_mysql_opaque(&s.st, C));
	CHECK_EQ(s.rec.queries, 0);
	CHECK(has(&s, "anomaly mysql.compressed\n"));
	CHECK_EQ(s.rec.anomalies, 1);
	sim_fini(&s);
}

static void test_hostile(void)
{
	struct sim s;
	uint8_t pkt[70000];
	uint64_t seed = 7;

	/* A greeting that is not protocol 10. */
	sim_init(&s);
	sim_feed(&s, S, (const uint8_t *)"\x05\x00\x00\x00\x09xyz\x00", 9);
	CHECK_EQ(s.f.err[1], -EBADMSG);
	CHECK(has(&s, "anomaly mysql.malformed\n"));
	sim_fini(&s);

	/* A handshake response larger than the caller can hold. */
	sim_init(&s);
	login(&s, CAPS_41, CAPS_41, "");
	sim_fini(&s);
	sim_init(&s);
	{
		uint8_t *zero = calloc(1, 65533);

		if (!zero)
			abort();
		sim_feed(&s, C, pkt, put_pkt(pkt, 1, zero, 65533));
		free(zero);
	}
	CHECK_EQ(s.f.err[0], -EBADMSG);
	CHECK(has(&s, "anomaly mysql.packet_too_large\n"));
	CHECK(!s.f.overflow);
	sim_fini(&s);

	/* Truncated handshake fields: anomalies, no crash, no login. */
	sim_init(&s);
	sim_feed(&s, C, pkt, put_pkt(pkt, 1, "\x00\x02\x00\x00", 4));
	CHECK(has(&s, "anomaly mysql.malformed\n"));
	CHECK(!strstr(s.rec.log, "login"));
	sim_fini(&s);

	/* Garbage after a login. */
	sim_init(&s);
	login(&s, CAPS_41, CAPS_41, "");
	for (int i = 0; i < 2000; i++)
		pkt[i] = (uint8_t)bh_xorshift(&seed);
	sim_feed(&s, C, pkt, 2000);
	sim_feed(&s, S, pkt, 2000);
	sim_fini(&s);

	/* A name over DPI_MYSQL_NAME_MAX is kept truncated. */
	sim_init(&s);
	login(&s, CAPS_41, CAPS_41, "");
	memset(pkt, 'd', 400);
	pkt[0] = DPI_MYSQL_COM_INIT_DB;
	{
		uint8_t p2[420];

		sim_feed(&s, C, p2, put_pkt(p2, 0, pkt, 400));
	}
	sim_feed(&s, S, pkt, put_pkt(pkt, 1, "\x00\x00\x00\x02\x00\x00\x00", 7));
	sim_feed(&s, C, pkt, put_pkt(pkt, 0, "\x03SELECT 1", 9));
	CHECK(has(&s, "anomaly mysql.name_too_long\n"));
	CHECK_EQ(s.st.db_len, DPI_MYSQL_NAME_MAX);
	sim_fini(&s);
}

static void test_probe(void)
{
	struct bh_trace t;

	bh_trace_load(&t, my_login_db, NSEG(my_login_db));
	CHECK(dpi_mysql_probe_greeting(t.data[0], t.len[0]));
	for (size_t k = 0; k < t.len[0]; k++) {
		uint8_t *g = guard_dup(t.data[0], k);

		/* Whole version string needed: false before, true after. */
		CHECK_EQ(dpi_mysql_probe_greeting(g, k), k > 37);
		guard_free(g, k);
	}
	CHECK(!dpi_mysql_probe_greeting((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
	CHECK(!dpi_mysql_probe_greeting((const uint8_t *)"\x16\x03\x01\x02\x00\x01\x00", 7));
	CHECK(!dpi_mysql_probe_greeting((const uint8_t *)"\x10\x00\x00\x00\x0a\x00", 6));
	CHECK(!dpi_mysql_probe_greeting(t.data[1], t.len[1]));
	bh_trace_free(&t);
	CHECK(!strcmp(dpi_mysql_command_name(3), "COM_QUERY"));
	CHECK(!strcmp(dpi_mysql_command_name(0xee), "COM_UNKNOWN"));
}

int main(void)
{
	RUN(test_login_with_db);
	RUN(test_login_without_db);
	RUN(test_access_denied);
	RUN(test_syntax_error);
	RUN(test_prepared);
	RUN(test_ssl_switch);
	RUN(test_multi_packet);
	RUN(test_query_attributes);
	RUN(test_init_db_refused);
	RUN(test_local_infile);
	RUN(test_compressed);
	RUN(test_hostile);
	RUN(test_probe);
	return bh_test_summary();
}
