/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_pgsql.c - the PostgreSQL parser on bytes captured from PostgreSQL 15
 * with psql and pgbench (-M extended, -M prepared) on loopback, and on
 * crafted messages: encryption requests and answers, huge DataRows and
 * statements, hostile lengths.
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
#include "dpi_pgsql.h"

enum { C = DPI_TO_SERVER, S = DPI_TO_CLIENT };

/* ---- captured traces (tshark tcp.payload, in capture order) ------------ */

static const struct bh_seg pg_simple[] = {
	{C,
	 "000000380003000075736572006170700064617461626173650073686f700061"
	 "70706c69636174696f6e5f6e616d65006268746573740000"},
	{S,
	 "52000000170000000a534352414d2d5348412d3235360000"},
	{C,
	 "7000000036534352414d2d5348412d32353600000000206e2c2c6e3d2c723d42"
	 "386c656e5641583965664148664a4a7652732b6d793753"},
	{S,
	 "520000005c0000000b723d42386c656e5641583965664148664a4a7652732b6d"
	 "79375356754d4b7a6a617a4d534a63547a436e6b4442426d5457702c733d4c39"
	 "35446a6b56644946327868466b78556f6c3746513d3d2c693d34303936"},
	{C,
	 "700000006c633d626977732c723d42386c656e5641583965664148664a4a7652"
	 "732b6d79375356754d4b7a6a617a4d534a63547a436e6b4442426d5457702c70"
	 "3d694f32746b704e6a2f747832645259644b393764703458566b4d55507a545a"
	 "6b663466322b4d687879376f3d"},
	{S,
	 "52000000360000000c763d4c734638527858514c45346a33334d7058526f7148"
	 "3755744667764c6f33416b53736e414b6f4d744d45673d520000000800000000"
	 "530000001c6170706c69636174696f6e5f6e616d650062687465737400530000"
	 "0019636c69656e745f656e636f64696e67005554463800530000001744617465"
	 "5374796c650049534f2c204d445900530000002664656661756c745f7472616e"
	 "73616374696f6e5f726561645f6f6e6c79006f6666005300000017696e5f686f"
	 "745f7374616e646279006f6666005300000019696e74656765725f6461746574"
	 "696d6573006f6e00530000001b496e74657276616c5374796c6500706f737467"
	 "72657300530000001569735f737570657275736572006f666600530000001973"
	 "65727665725f656e636f64696e6700555446380053000000327365727665725f"
	 "76657273696f6e0031352e3138202844656269616e2031352e31382d302b6465"
	 "62313275312900530000001e73657373696f6e5f617574686f72697a6174696f"
	 "6e006170700053000000237374616e646172645f636f6e666f726d696e675f73"
	 "7472696e6773006f6e00530000001554696d655a6f6e65004574632f55544300"
	 "4b0000000c00007a8cac63f3ef5a0000000549"},
	{C,
	 "510000002d53454c4543542069642c206974656d2046524f4d206f7264657273"
	 "205748455245206964203d203100"},
	{S,
	 "54000000320002696400000040020001000000170004ffffffff00006974656d"
	 "0000004002000200000019ffffffffffff000044000000140002000000013100"
	 "0000056170706c65430000000d53454c4543542031005a0000000549"},
	{C,
	 "5800000004"},
};
static const struct bh_seg pg_ssl_n[] = {
	{C,
	 "0000000804d2162f"},
	{S,
	 "4e"},
	{C,
	 "000000360003000075736572006170700064617461626173650073686f700061"
	 "70706c69636174696f6e5f6e616d65007073716c0000"},
	{S,
	 "52000000170000000a534352414d2d5348412d3235360000"},
	{C,
	 "7000000036534352414d2d5348412d32353600000000206e2c2c6e3d2c723d75"
	 "4942727a4b76773565666b766d6e314c35764d67695231"},
	{S,
	 "520000005c0000000b723d754942727a4b76773565666b766d6e314c35764d67"
	 "695231636f63634e6c385874694f4d4f3042566c684c33494573762c733d4c39"
	 "35446a6b56644946327868466b78556f6c3746513d3d2c693d34303936"},
	{C,
	 "700000006c633d626977732c723d754942727a4b76773565666b766d6e314c35"
	 "764d67695231636f63634e6c385874694f4d4f3042566c684c33494573762c70"
	 "3d76674f336e3166365339314446377350636353795a346635627934674a3537"
	 "694470626c67444a594b506b3d"},
	{S,
	 "52000000360000000c763d3242305a3142786d4c574a6e374363576779784d78"
	 "6d476b2f5052422f62426843717261374f39764a64513d520000000800000000"
	 "530000001a6170706c69636174696f6e5f6e616d65007073716c005300000019"
	 "636c69656e745f656e636f64696e670055544638005300000017446174655374"
	 "796c650049534f2c204d445900530000002664656661756c745f7472616e7361"
	 "6374696f6e5f726561645f6f6e6c79006f6666005300000017696e5f686f745f"
	 "7374616e646279006f6666005300000019696e74656765725f6461746574696d"
	 "6573006f6e00530000001b496e74657276616c5374796c6500706f7374677265"
	 "7300530000001569735f737570657275736572006f6666005300000019736572"
	 "7665725f656e636f64696e6700555446380053000000327365727665725f7665"
	 "7273696f6e0031352e3138202844656269616e2031352e31382d302b64656231"
	 "3275312900530000001e73657373696f6e5f617574686f72697a6174696f6e00"
	 "6170700053000000237374616e646172645f636f6e666f726d696e675f737472"
	 "696e6773006f6e00530000001554696d655a6f6e65004574632f555443004b00"
	 "00000c00007b6743df4db45a0000000549"},
	{C,
	 "510000000d53454c454354203200"},
	{S,
	 "540000002100013f636f6c756d6e3f00000000000000000000170004ffffffff"
	 "0000440000000b00010000000132430000000d53454c4543542031005a000000"
	 "0549"},
	{C,
	 "5800000004"},
};
static const struct bh_seg pg_ssl_s[] = {
	{C,
	 "0000000804d2162f"},
	{S,
	 "53"},
	{C,
	 "16030101200100011c0303f7a97bcb25d2abd155f5b63d4c861302a5a0f7e7f5"
	 "5b3a21985ab11f2adabc5b20dcbb2d289718ed616bf94fa1988f0a162ac75e43"
	 "d6c23c24cd9b708aa31a2b32003e130213031301c02cc030009fcca9cca8ccaa"
	 "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
	 "009c003d003c0035002f00ff01000095000b000403000102000a00160014001d"
	 "0017001e0019001801000101010201030104002300000016000000170000000d"
	 "002a0028040305030603080708080809080a080b080408050806040105010601"
	 "030303010302040205020602002b00050403040303002d000201010033002600"
	 "24001d002088fffb9dff59dbb95785773493c375f7769f13f805770db2e59990"
	 "b896aaeb7f"},
	{S,
	 "1603030058020000540303cf21ad74e59a6111be1d8c021e65b891c2a211167a"
	 "bb8c5e079e09e2c8a8339c20dcbb2d289718ed616bf94fa1988f0a162ac75e43"
	 "d6c23c24cd9b708aa31a2b32130200000c002b00020304003300020017140303"
	 "000101"},
};
static const struct bh_seg pg_error[] = {
	{C,
	 "000000380003000075736572006170700064617461626173650073686f700061"
	 "70706c69636174696f6e5f6e616d65006268746573740000"},
	{S,
	 "52000000170000000a534352414d2d5348412d3235360000"},
	{C,
	 "7000000036534352414d2d5348412d32353600000000206e2c2c6e3d2c723d34"
	 "57534541396645512b67474f337568436c34382b772f32"},
	{S,
	 "520000005c0000000b723d3457534541396645512b67474f337568436c34382b"
	 "772f324f6f462f70546f746a332f38784e6e6e2b7374646f73357a2c733d4c39"
	 "35446a6b56644946327868466b78556f6c3746513d3d2c693d34303936"},
	{C,
	 "700000006c633d626977732c723d3457534541396645512b67474f337568436c"
	 "34382b772f324f6f462f70546f746a332f38784e6e6e2b7374646f73357a2c70"
	 "3d74485679796f4a575662644b586b59416b7559413744644f39494572697431"
	 "725a43414e714a56396735673d"},
	{S,
	 "52000000360000000c763d395a684c72756a637532507250445a51366f473531"
	 "374f786f2f4a6847756f366569745a6c796e75364a733d520000000800000000"
	 "530000001c6170706c69636174696f6e5f6e616d650062687465737400530000"
	 "0019636c69656e745f656e636f64696e67005554463800530000001744617465"
	 "5374796c650049534f2c204d445900530000002664656661756c745f7472616e"
	 "73616374696f6e5f726561645f6f6e6c79006f6666005300000017696e5f686f"
	 "745f7374616e646279006f6666005300000019696e74656765725f6461746574"
	 "696d6573006f6e00530000001b496e74657276616c5374796c6500706f737467"
	 "72657300530000001569735f737570657275736572006f666600530000001973"
	 "65727665725f656e636f64696e6700555446380053000000327365727665725f"
	 "76657273696f6e0031352e3138202844656269616e2031352e31382d302b6465"
	 "62313275312900530000001e73657373696f6e5f617574686f72697a6174696f"
	 "6e006170700053000000237374616e646172645f636f6e666f726d696e675f73"
	 "7472696e6773006f6e00530000001554696d655a6f6e65004574632f55544300"
	 "4b0000000c00007ab63e57b9355a0000000549"},
	{C,
	 "510000000d53454c454b54203100"},
	{S,
	 "450000005e534552524f5200564552524f5200433432363031004d73796e7461"
	 "78206572726f72206174206f72206e656172202253454c454b54220050310046"
	 "7363616e2e6c004c3131383800527363616e6e65725f79796572726f720000"},
	{S,
	 "5a0000000549"},
	{C,
	 "5800000004"},
};
static const struct bh_seg pg_badpw[] = {
	{C,
	 "000000380003000075736572006170700064617461626173650073686f700061"
	 "70706c69636174696f6e5f6e616d65006268746573740000"},
	{S,
	 "52000000170000000a534352414d2d5348412d3235360000"},
	{C,
	 "7000000036534352414d2d5348412d32353600000000206e2c2c6e3d2c723d59"
	 "3135486c39355a345966755264786b6c56555a4d496379"},
	{S,
	 "520000005c0000000b723d593135486c39355a345966755264786b6c56555a4d"
	 "4963793741566133796b67586f4e6979354c634c54566e6c5132422c733d4c39"
	 "35446a6b56644946327868466b78556f6c3746513d3d2c693d34303936"},
	{C,
	 "700000006c633d626977732c723d593135486c39355a345966755264786b6c56"
	 "555a4d4963793741566133796b67586f4e6979354c634c54566e6c5132422c70"
	 "3d694e4e454f50615a52494a367157625667664c31422f5a41384d69376f7432"
	 "7362755279344150696a504d3d"},
	{S,
	 "450000006353464154414c0056464154414c00433238503031004d7061737377"
	 "6f72642061757468656e7469636174696f6e206661696c656420666f72207573"
	 "65722022617070220046617574682e63004c3333340052617574685f6661696c"
	 "65640000"},
};
static const struct bh_seg pg_nodb[] = {
	{C,
	 "0000003500030000757365720061707000646174616261736500617070006170"
	 "706c69636174696f6e5f6e616d65007073716c0000"},
	{S,
	 "52000000170000000a534352414d2d5348412d3235360000"},
	{C,
	 "7000000036534352414d2d5348412d32353600000000206e2c2c6e3d2c723d6b"
	 "704d78372f72674b697534374638554977306b645a7133"},
	{S,
	 "520000005c0000000b723d6b704d78372f72674b697534374638554977306b64"
	 "5a71337159493742446b5944636c6f7479723144784b5172494a732c733d4c39"
	 "35446a6b56644946327868466b78556f6c3746513d3d2c693d34303936"},
	{C,
	 "700000006c633d626977732c723d6b704d78372f72674b697534374638554977"
	 "306b645a71337159493742446b5944636c6f7479723144784b5172494a732c70"
	 "3d58516a57586949747a63636d4552434e6a693779514838445a466f38643564"
	 "77507a53784c3050353634303d"},
	{S,
	 "52000000360000000c763d6a666e79693346337a674f6271522f59535850696b"
	 "4c4b336c6d54476d4a7861312f676d426436374d654d3d520000000800000000"
	 "450000005853464154414c0056464154414c00433344303030004d6461746162"
	 "61736520226170702220646f6573206e6f742065786973740046706f7374696e"
	 "69742e63004c3934380052496e6974506f7374677265730000"},
};
static const struct bh_seg pg_ext[] = {
	{C,
	 "0000003e000300007573657200706f7374677265730064617461626173650073"
	 "686f70006170706c69636174696f6e5f6e616d6500706762656e63680000"},
	{S,
	 "52000000170000000a534352414d2d5348412d3235360000"},
	{C,
	 "7000000036534352414d2d5348412d32353600000000206e2c2c6e3d2c723d4b"
	 "396d6a36775a372b457363392b66426766754156392b63"},
	{S,
	 "520000005c0000000b723d4b396d6a36775a372b457363392b66426766754156"
	 "392b6362356a55367439587046324438454b625943366b495659512c733d5264"
	 "7a3869324b736247325a766962512b3647554c773d3d2c693d34303936"},
	{C,
	 "700000006c633d626977732c723d4b396d6a36775a372b457363392b66426766"
	 "754156392b6362356a55367439587046324438454b625943366b495659512c70"
	 "3d774a64455851647843756a487674746f38414a524d70506a5a2b2f306b5535"
	 "3962772b5578586944586c4d3d"},
	{S,
	 "52000000360000000c763d66746337675a5151692b46554c424f4d4c6e547672"
	 "49792b6e5952557266527235784e6c5750703753476b3d520000000800000000"
	 "530000001d6170706c69636174696f6e5f6e616d6500706762656e6368005300"
	 "000019636c69656e745f656e636f64696e670055544638005300000017446174"
	 "655374796c650049534f2c204d445900530000002664656661756c745f747261"
	 "6e73616374696f6e5f726561645f6f6e6c79006f6666005300000017696e5f68"
	 "6f745f7374616e646279006f6666005300000019696e74656765725f64617465"
	 "74696d6573006f6e00530000001b496e74657276616c5374796c6500706f7374"
	 "6772657300530000001469735f737570657275736572006f6e00530000001973"
	 "65727665725f656e636f64696e6700555446380053000000327365727665725f"
	 "76657273696f6e0031352e3138202844656269616e2031352e31382d302b6465"
	 "62313275312900530000002373657373696f6e5f617574686f72697a6174696f"
	 "6e00706f7374677265730053000000237374616e646172645f636f6e666f726d"
	 "696e675f737472696e6773006f6e00530000001554696d655a6f6e6500457463"
	 "2f555443004b0000000c000017c6f3f2e8255a0000000549"},
	{C,
	 "500000003d0053454c454354206162616c616e63652046524f4d20706762656e"
	 "63685f6163636f756e747320574845524520616964203d2024313b0000004200"
	 "0000170000000000010000000539343232370001000044000000065000450000"
	 "000900000000005300000004"},
	{S,
	 "31000000043200000004540000002100016162616c616e636500000040150003"
	 "000000170004ffffffff0000440000000b00010000000130430000000d53454c"
	 "4543542031005a0000000549"},
	{C,
	 "500000003d0053454c454354206162616c616e63652046524f4d20706762656e"
	 "63685f6163636f756e747320574845524520616964203d2024313b0000004200"
	 "0000170000000000010000000536343030330001000044000000065000450000"
	 "000900000000005300000004"},
	{S,
	 "31000000043200000004540000002100016162616c616e636500000040150003"
	 "000000170004ffffffff0000440000000b00010000000130430000000d53454c"
	 "4543542031005a0000000549"},
	{C,
	 "5800000004"},
};
static const struct bh_seg pg_prep[] = {
	{C,
	 "0000003e000300007573657200706f7374677265730064617461626173650073"
	 "686f70006170706c69636174696f6e5f6e616d6500706762656e63680000"},
	{S,
	 "52000000170000000a534352414d2d5348412d3235360000"},
	{C,
	 "7000000036534352414d2d5348412d32353600000000206e2c2c6e3d2c723d49"
	 "48716332486833737535706e77316a676b767168495546"},
	{S,
	 "520000005c0000000b723d4948716332486833737535706e77316a676b767168"
	 "495546396d494c6d657467576e417a505239726d4e4944483337592c733d5264"
	 "7a3869324b736247325a766962512b3647554c773d3d2c693d34303936"},
	{C,
	 "700000006c633d626977732c723d4948716332486833737535706e77316a676b"
	 "767168495546396d494c6d657467576e417a505239726d4e4944483337592c70"
	 "3d6858637151794f697a3379626f4874422f7339755a6b6b3561424764792b42"
	 "6a6f6b7a324e4c596b492b593d"},
	{S,
	 "52000000360000000c763d79566368506d41374555447a625636622b4c315546"
	 "735353524c757275456c544e446b2b5037496b2b66493d520000000800000000"
	 "530000001d6170706c69636174696f6e5f6e616d6500706762656e6368005300"
	 "000019636c69656e745f656e636f64696e670055544638005300000017446174"
	 "655374796c650049534f2c204d445900530000002664656661756c745f747261"
	 "6e73616374696f6e5f726561645f6f6e6c79006f6666005300000017696e5f68"
	 "6f745f7374616e646279006f6666005300000019696e74656765725f64617465"
	 "74696d6573006f6e00530000001b496e74657276616c5374796c6500706f7374"
	 "6772657300530000001469735f737570657275736572006f6e00530000001973"
	 "65727665725f656e636f64696e6700555446380053000000327365727665725f"
	 "76657273696f6e0031352e3138202844656269616e2031352e31382d302b6465"
	 "62313275312900530000002373657373696f6e5f617574686f72697a6174696f"
	 "6e00706f7374677265730053000000237374616e646172645f636f6e666f726d"
	 "696e675f737472696e6773006f6e00530000001554696d655a6f6e6500457463"
	 "2f555443004b0000000c000017d39b71c8385a0000000549"},
	{C,
	 "5000000040505f300053454c454354206162616c616e63652046524f4d207067"
	 "62656e63685f6163636f756e747320574845524520616964203d2024313b0000"
	 "005300000004"},
	{S,
	 "31000000045a0000000549"},
	{C,
	 "420000001a00505f300000000001000000053134353632000100004400000006"
	 "5000450000000900000000005300000004"},
	{S,
	 "3200000004540000002100016162616c616e6365000000401500030000001700"
	 "04ffffffff0000440000000b00010000000130430000000d53454c4543542031"
	 "005a0000000549"},
	{C,
	 "420000001a00505f300000000001000000053433323832000100004400000006"
	 "5000450000000900000000005300000004"},
	{S,
	 "3200000004540000002100016162616c616e6365000000401500030000001700"
	 "04ffffffff0000440000000b00010000000130430000000d53454c4543542031"
	 "005a0000000549"},
	{C,
	 "5800000004"},
};
/* ---- recording the callbacks ------------------------------------------- */

struct rec {
	char log[16384];
	size_t n;
	unsigned anomalies, queries, tls, messages;
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

static void on_startup(void *ctx, const struct dpi_pgsql_startup *s)
{
	logf_(ctx, "startup %u user=%.*s db=%.*s%s app=%.*s\n", s->protocol, sl_len(s->user),
	      (const char *)s->user.p, sl_len(s->database), (const char *)s->database.p,
	      s->database_defaulted ? "(default)" : "", sl_len(s->application_name),
	      (const char *)s->application_name.p);
}

static void on_cancel(void *ctx, uint32_t pid)
{
	logf_(ctx, "cancel %u\n", pid);
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

static void on_gssenc(void *ctx, unsigned dir, const uint8_t *data, size_t len)
{
	struct rec *r = ctx;

	r->tls_len = len;
	r->tls_first = len ? data[0] : 0;
	logf_(ctx, "gssenc %u\n", dir);
}

static void on_query(void *ctx, const struct dpi_pgsql_query *q)
{
	struct rec *r = ctx;

	r->queries++;
	r->last_text_len = q->text.len;
	r->last_truncated = q->truncated;
	logf_(r, "query %d name=%.*s params=%u user=%.*s db=%.*s len=%u%s: %.*s\n", (int)q->kind,
	      sl_len(q->statement), (const char *)q->statement.p, q->param_types, sl_len(q->user),
	      (const char *)q->user.p, sl_len(q->database), (const char *)q->database.p, q->text.len,
	      q->truncated ? " truncated" : "", sl_len(q->text), (const char *)q->text.p);
}

static void on_error(void *ctx, const struct dpi_pgsql_error *e)
{
	logf_(ctx, "error %.*s %.*s startup=%d: %.*s\n", sl_len(e->severity),
	      (const char *)e->severity.p, sl_len(e->code), (const char *)e->code.p,
	      e->during_startup, sl_len(e->message), (const char *)e->message.p);
}

static void on_auth(void *ctx, uint32_t code)
{
	logf_(ctx, "auth %u\n", code);
}

static void on_complete(void *ctx, struct dpi_slice tag)
{
	logf_(ctx, "complete %.*s\n", sl_len(tag), (const char *)tag.p);
}

static void on_ready(void *ctx, uint8_t status)
{
	logf_(ctx, "ready %c\n", status);
}

static void on_message(void *ctx, unsigned dir, uint8_t type, uint32_t len)
{
	struct rec *r = ctx;

	r->messages++;
	if (type == 'D' && len > 1000)
		logf_(r, "message %u %c %u\n", dir, type, len);
}

static void on_anomaly(void *ctx, const char *ev)
{
	struct rec *r = ctx;

	r->anomalies++;
	logf_(r, "anomaly %s\n", ev);
}

static const struct dpi_pgsql_cb rec_cb = {
	.on_startup = on_startup,
	.on_cancel = on_cancel,
	.on_tls = on_tls,
	.on_gssenc = on_gssenc,
	.on_query = on_query,
	.on_error = on_error,
	.on_auth = on_auth,
	.on_complete = on_complete,
	.on_ready = on_ready,
	.on_message = on_message,
	.on_anomaly = on_anomaly,
};

/* ---- the caller: pending buffers, guard pages (bh_feed.h) ------------- */

BH_FEED_SIM(struct dpi_pgsql_state, dpi_pgsql_init, dpi_pgsql_fini, dpi_pgsql_parse, &rec_cb)

/* ---- captured sessions ------------------------------------------------- */

static void test_startup_simple_query(void)
{
	struct sim s;

	replay_all_cuts(&s, pg_simple, NSEG(pg_simple));
	CHECK(has(&s, "startup 196608 user=app db=shop app=bhtest\n"));
	CHECK(has(&s, "auth 10\nauth 11\nauth 12\nauth 0\n"));
	CHECK(has(&s, "ready I\n"));
	CHECK(has(&s, "query 0 name= params=0 user=app db=shop len=40: SELECT id, item FROM orders WHERE id = 1\n"));
	CHECK(has(&s, "complete SELECT 1\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	CHECK_EQ(s.rec.tls, 0);
	CHECK(dpi_pgsql_opaque(&s.st, C));	/* after Terminate */
	sim_fini(&s);
}

static void test_sslrequest_refused(void)
{
	struct sim s;

	replay_all_cuts(&s, pg_ssl_n, NSEG(pg_ssl_n));
	CHECK(has(&s, "startup 196608 user=app db=shop app=psql\n"));
	CHECK(has(&s, "query 0 name= params=0 user=app db=shop len=8: SELECT 2\n"));
	CHECK_EQ(s.rec.tls, 0);
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
}

static void test_sslrequest_accepted(void)
{
	struct sim s;
	struct bh_trace t;
	struct dpi_pgsql_state st;
	struct rec r = {0};
	uint8_t buf[4096], *g;
	size_t n;

	replay_all_cuts(&s, pg_ssl_s, NSEG(pg_ssl_s));
	CHECK(has(&s, "tls 1\ntls 0\n"));
	CHECK(!strstr(s.rec.log, "startup"));
	CHECK_EQ(s.rec.anomalies, 0);
	CHECK(dpi_pgsql_opaque(&s.st, C));
	CHECK(dpi_pgsql_opaque(&s.st, S));
	sim_fini(&s);

	/* SSLRequest and ClientHello in one call, before the server's 'S' is
	 * seen: all consumed, on_tls gets the TLS stream from its first byte. */
	bh_trace_load(&t, pg_ssl_s, NSEG(pg_ssl_s));
	dpi_pgsql_init(&st);
	memcpy(buf, t.data[0], t.len[0]);
	memcpy(buf + t.len[0], t.data[2], t.len[2]);
	n = t.len[0] + t.len[2];
	g = guard_dup(buf, n);
	CHECK_EQ(dpi_pgsql_parse(&st, C, g, n, &rec_cb, &r), (int)n);
	CHECK_EQ(r.tls, 1);
	CHECK_EQ(r.tls_len, n - 8);
	CHECK_EQ(r.tls_first, 0x16);
	CHECK_EQ(dpi_pgsql_parse(&st, C, g + 8, n - 8, &rec_cb, &r), (int)(n - 8));
	guard_free(g, n);
	/* The server's 'S' then TLS in one call. */
	memcpy(buf, t.data[1], t.len[1]);
	memcpy(buf + 1, "\x16\x03\x03\x00\x7a", 5);
	g = guard_dup(buf, 6);
	CHECK_EQ(dpi_pgsql_parse(&st, S, g, 6, &rec_cb, &r), 6);
	guard_free(g, 6);
	CHECK_EQ(r.tls, 2);
	CHECK_EQ(r.tls_len, 5);
	CHECK_EQ(r.tls_first, 0x16);
	CHECK_EQ(r.anomalies, 0);
	dpi_pgsql_fini(&st);
	bh_trace_free(&t);
}

static void test_error_response(void)
{
	struct sim s;

	replay_all_cuts(&s, pg_error, NSEG(pg_error));
	CHECK(has(&s, "query 0 name= params=0 user=app db=shop len=8: SELEKT 1\n"));
	CHECK(has(&s, "error ERROR 42601 startup=0: syntax error at or near \"SELEKT\"\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);

	replay_all_cuts(&s, pg_badpw, NSEG(pg_badpw));
	CHECK(has(&s, "error FATAL 28P01 startup=1: password authentication failed for user \"app\"\n"));
	CHECK_EQ(s.rec.queries, 0);
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
}

static void test_default_database(void)
{
	struct sim s;

	/* libpq names the database after the user itself... */
	replay_all_cuts(&s, pg_nodb, NSEG(pg_nodb));
	CHECK(has(&s, "startup 196608 user=app db=app app=psql\n"));
	CHECK(has(&s, "error FATAL 3D000 startup=1: database \"app\" does not exist\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);

	/* ...other clients leave it to the server. */
	sim_init(&s);
	sim_feed(&s, C, (const uint8_t *)"\x00\x00\x00\x12\x00\x03\x00\x00user\0bob\0", 18);
	sim_feed(&s, C, (const uint8_t *)"Q\x00\x00\x00\x0dSELECT 1", 14);
	CHECK(has(&s, "startup 196608 user=bob db=bob(default) app=\n"));
	CHECK(has(&s, "query 0 name= params=0 user=bob db=bob len=8: SELECT 1\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
}

static void test_extended(void)
{
	struct sim s;
	const char *q = "SELECT abalance FROM pgbench_accounts WHERE aid = $1;";
	char line[256];

	/* pgbench -M extended: an unnamed Parse before every Bind/Execute. */
	replay_all_cuts(&s, pg_ext, NSEG(pg_ext));
	snprintf(line, sizeof(line), "query 1 name= params=0 user=postgres db=shop len=%zu: %s\n",
		 strlen(q), q);
	CHECK(has(&s, line));
	CHECK_EQ(s.rec.queries, 2);
	CHECK(has(&s, "complete SELECT 1\nready I\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);

	/* -M prepared: Parse once as P_0, then Bind/Execute by name. */
	replay_all_cuts(&s, pg_prep, NSEG(pg_prep));
	snprintf(line, sizeof(line), "query 1 name=P_0 params=0 user=postgres db=shop len=%zu: %s\n",
		 strlen(q), q);
	CHECK(has(&s, line));
	CHECK_EQ(s.rec.queries, 1);
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
}

/* ---- crafted ----------------------------------------------------------- */

static size_t put_msg(uint8_t *out, uint8_t type, const void *payload, size_t n)
{
	uint32_t len = (uint32_t)n + 4;

	out[0] = type;
	out[1] = (uint8_t)(len >> 24);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	memcpy(out + 5, payload, n);
	return 5 + n;
}

static void start(struct sim *s)
{
	static const uint8_t msg[] = "\x00\x00\x00\x1e\x00\x03\x00\x00user\0bob\0database\0hr\0";

	sim_feed(s, C, msg, sizeof(msg));
	sim_feed(s, S, (const uint8_t *)"R\0\0\0\x08\0\0\0\0Z\0\0\0\x05I", 15);
}

static void test_huge_datarow(void)
{
	const size_t n = 3u << 20;
	struct sim s;
	uint8_t *row = malloc(n + 5), msg[64];
	uint64_t seed = 3;

	if (!row)
		abort();
	sim_init(&s);
	start(&s);
	sim_feed(&s, C, msg, put_msg(msg, 'Q', "SELECT b FROM big", 18));
	sim_feed(&s, S, msg, put_msg(msg, 'T',
					   "\x00\x01" "b\0" "\0\0\0\0" "\0\0" "\0\0\0\x19" "\xff\xff"
					   "\xff\xff\xff\xff" "\0\0", 22));
	row[0] = 'D';
	row[1] = (uint8_t)((n + 4) >> 24);
	row[2] = (uint8_t)((n + 4) >> 16);
	row[3] = (uint8_t)((n + 4) >> 8);
	row[4] = (uint8_t)(n + 4);
	memset(row + 5, 'x', n);
	row[5] = 0;
	row[6] = 1;
	for (size_t off = 0; off < n + 5;) {
		size_t k = 1 + bh_xorshift(&seed) % 9000;

		if (k > n + 5 - off)
			k = n + 5 - off;
		sim_feed(&s, S, row + off, k);
		off += k;
		/* Nothing held back: the row streams. */
		CHECK(s.f.plen[S] < 5);
	}
	sim_feed(&s, S, msg, put_msg(msg, 'C', "SELECT 1", 9));
	sim_feed(&s, S, msg, put_msg(msg, 'Z', "I", 1));
	CHECK(has(&s, "message 1 D 3145732\ncomplete SELECT 1\nready I\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	CHECK(!s.f.overflow);
	sim_fini(&s);
	free(row);
}

static void test_huge_statements(void)
{
	struct sim s;
	size_t n = 2u << 20;
	uint8_t *q = malloc(n + 64);

	if (!q)
		abort();
	/* 200 KB: longer than the pending buffer, kept whole. */
	sim_init(&s);
	start(&s);
	q[0] = 'Q';
	q[1] = 0;
	q[2] = 0x03;
	q[3] = 0x0d;
	q[4] = 0x44;	/* 200004: 199999 bytes of text, NUL */
	memset(q + 5, ' ', 200000);
	memcpy(q + 5, "INSERT", 6);
	q[5 + 199999] = 0;
	for (size_t off = 0; off < 200005; off += 30000)
		sim_feed(&s, C, q + off, 200005 - off < 30000 ? 200005 - off : 30000);
	CHECK_EQ(s.rec.queries, 1);
	CHECK_EQ(s.rec.last_text_len, 199999);
	CHECK(!s.rec.last_truncated);
	CHECK(has(&s, "query 0 name= params=0 user=bob db=hr len=199999: INSERT"));
	CHECK_EQ(s.rec.anomalies, 0);

	/* 2 MiB Parse: "s1", 2 MiB of text, NUL, no types; cut at the cap,
	 * reported truncated. */
	q[0] = 'P';
	q[1] = (uint8_t)((n + 10) >> 24);
	q[2] = (uint8_t)((n + 10) >> 16);
	q[3] = (uint8_t)((n + 10) >> 8);
	q[4] = (uint8_t)(n + 10);
	memcpy(q + 5, "s1\0SELECT ", 10);
	memset(q + 15, '1', n - 7);
	memset(q + 8 + n, 0, 3);
	for (size_t off = 0; off < n + 11;) {
		size_t k = n + 11 - off < 65536 ? n + 11 - off : 65536;

		sim_feed(&s, C, q + off, k);
		off += k;
	}
	CHECK_EQ(s.rec.queries, 2);
	CHECK(s.rec.last_truncated);
	CHECK(has(&s, "anomaly pgsql.statement_truncated\n"));
	CHECK(has(&s, "query 1 name=s1 params=0 user=bob db=hr len=1048573 truncated: SELECT 111"));
	sim_feed(&s, C, q, put_msg(q, 'Q', "SELECT 3", 9));
	CHECK(has(&s, "len=8: SELECT 3\n"));
	CHECK(!s.f.overflow);
	CHECK_EQ(s.f.err[0], 0);
	sim_fini(&s);
	free(q);
}

static void test_encryption_requests(void)
{
	struct sim s;
	static const uint8_t gss[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30};
	static const uint8_t ssl[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
	static const uint8_t cancel[] = {0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0x30, 0x39, 1, 2, 3, 4};
	static const uint8_t startup[] = "\x00\x00\x00\x1e\x00\x03\x00\x00user\0bob\0database\0hr\0";

	/* GSSENCRequest answered 'G'. */
	sim_init(&s);
	sim_feed(&s, C, gss, 8);
	sim_feed(&s, S, (const uint8_t *)"G", 1);
	sim_feed(&s, C, (const uint8_t *)"\x00\x00\x00\x40zzzz", 8);
	sim_feed(&s, S, (const uint8_t *)"\x00\x00\x00\x40yyyy", 8);
	CHECK(has(&s, "gssenc 1\ngssenc 0\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);

	/* GSS refused, then SSL refused, then the startup in clear. */
	sim_init(&s);
	sim_feed(&s, C, gss, 8);
	sim_feed(&s, S, (const uint8_t *)"N", 1);
	sim_feed(&s, C, ssl, 8);
	sim_feed(&s, S, (const uint8_t *)"N", 1);
	sim_feed(&s, C, startup, sizeof(startup));
	sim_feed(&s, S, (const uint8_t *)"R\0\0\0\x08\0\0\0\0", 9);
	CHECK(has(&s, "startup 196608 user=bob db=hr app=\nauth 0\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);

	/* The same with the server's bytes fed after the client's. */
	sim_init(&s);
	sim_feed(&s, C, ssl, 8);
	sim_feed(&s, C, startup, sizeof(startup));
	sim_feed(&s, S, (const uint8_t *)"NR\0\0\0\x08\0\0\0\0", 10);
	CHECK(has(&s, "startup 196608 user=bob db=hr app=\nauth 0\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);

	/* Direct SSL (no request): TLS from the first byte, both ways; a full
	 * pending buffer at the switch is not a stuck parser. */
	sim_init(&s);
	sim_feed(&s, C, (const uint8_t *)"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10);
	{
		uint8_t *junk = calloc(1, 3 * DPI_MAX_PENDING);

		if (!junk)
			abort();
		junk[0] = 0x16;
		sim_feed(&s, S, junk, 3 * DPI_MAX_PENDING);
		free(junk);
	}
	CHECK(has(&s, "tls 0\ntls 1\n"));
	CHECK(!s.f.overflow);
	CHECK_EQ(s.f.plen[S], 0);
	sim_fini(&s);

	/* CancelRequest. */
	sim_init(&s);
	sim_feed(&s, C, cancel, 16);
	CHECK(has(&s, "cancel 12345\n"));
	CHECK(dpi_pgsql_opaque(&s.st, C));
	sim_fini(&s);
}

static void test_hostile(void)
{
	struct sim s;
	uint8_t buf[4096];
	uint64_t seed = 11;
	static const struct {
		unsigned dir;
		const char *bytes;
		size_t n;
		const char *anomaly;
	} bad[] = {
		{C, "\x00\x00\x00\x07\x00\x03\x00\x00", 8, "pgsql.length_invalid"},
		{C, "\x00\x00\x4e\x21\x00\x03\x00\x00", 8, "pgsql.length_invalid"},
		{C, "\x00\x00\x00\x09\x00\x02\x00\x00x", 9, "pgsql.protocol_unsupported"},
		{C, "\x00\x00\x00\x09\x12\x34\x56\x78x", 9, "pgsql.malformed"},
		{C, "\x00\x00\x00\x09\x04\xd2\x16\x2fx", 9, "pgsql.length_invalid"},
		{S, "R\x40\x00\x00\x00", 5, "pgsql.length_invalid"},
		{S, "R\x00\x00\x00\x03", 5, "pgsql.length_invalid"},
		{S, "\x01\x00\x00\x00\x04", 5, "pgsql.malformed"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sim_init(&s);
		sim_feed(&s, bad[i].dir, (const uint8_t *)bad[i].bytes, bad[i].n);
		CHECK_EQ(s.f.err[bad[i].dir], -EBADMSG);
		CHECK(strstr(s.rec.log, bad[i].anomaly) != NULL);
		sim_fini(&s);
	}

	/* After the startup: a claimed 1 GiB message, an unknown type. */
	sim_init(&s);
	start(&s);
	sim_feed(&s, C, (const uint8_t *)"Q\x40\x00\x00\x00SELECT", 11);
	CHECK_EQ(s.f.err[C], -EBADMSG);
	CHECK(has(&s, "anomaly pgsql.length_invalid\n"));
	sim_feed(&s, S, (const uint8_t *)"q\x00\x00\x00\x04", 5);
	CHECK_EQ(s.f.err[S], -EBADMSG);
	sim_fini(&s);

	/* Broken bodies inside sound framing: anomalies, parsing goes on. */
	sim_init(&s);
	start(&s);
	sim_feed(&s, C, buf, put_msg(buf, 'Q', "no nul", 6));
	sim_feed(&s, C, buf, put_msg(buf, 'P', "s\0SELECT 1\0\0\x05", 14));
	sim_feed(&s, C, buf, put_msg(buf, 'S', "x", 1));
	sim_feed(&s, S, buf, put_msg(buf, 'E', "SERROR\0Mbroken", 14));
	sim_feed(&s, S, buf, put_msg(buf, 'Z', "II", 2));
	sim_feed(&s, C, buf, put_msg(buf, 'Q', "SELECT 9", 9));
	CHECK(has(&s, "len=8: SELECT 9\n"));
	CHECK_EQ(s.rec.anomalies, 5);
	CHECK_EQ(s.f.err[0], 0);
	CHECK_EQ(s.f.err[1], 0);
	sim_fini(&s);

	/* A long user name: kept truncated for on_query. */
	sim_init(&s);
	memset(buf, 'u', sizeof(buf));
	memcpy(buf, "\x00\x00\x01\x9f\x00\x03\x00\x00user\0", 13);
	buf[13 + 400] = 0;
	buf[13 + 401] = 0;
	sim_feed(&s, C, buf, 13 + 402);
	CHECK(has(&s, "anomaly pgsql.name_too_long\n"));
	CHECK_EQ(s.st.user_len, DPI_PGSQL_NAME_MAX);
	sim_fini(&s);

	/* Garbage after a startup: no crash, no hang. */
	for (int round = 0; round < 200; round++) {
		sim_init(&s);
		start(&s);
		for (int i = 0; i < 512; i++)
			buf[i] = (uint8_t)bh_xorshift(&seed);
		if (round & 1)
			buf[0] = "QPBESDd"[round % 7];
		sim_feed(&s, round & 2 ? S : C, buf, 512);
		sim_fini(&s);
	}
}

static void test_probe(void)
{
	struct bh_trace t;

	bh_trace_load(&t, pg_ssl_n, NSEG(pg_ssl_n));
	CHECK(dpi_pgsql_probe(t.data[0], t.len[0]));	/* SSLRequest */
	CHECK(dpi_pgsql_probe(t.data[2], t.len[2]));	/* StartupMessage */
	for (size_t k = 0; k <= t.len[2]; k++) {
		uint8_t *g = guard_dup(t.data[2], k);

		CHECK_EQ(dpi_pgsql_probe(g, k), k >= 8);
		guard_free(g, k);
	}
	CHECK(!dpi_pgsql_probe(t.data[3], t.len[3]));	/* server bytes */
	bh_trace_free(&t);
	CHECK(dpi_pgsql_probe((const uint8_t *)"\x00\x00\x00\x08\x04\xd2\x16\x30", 8));
	CHECK(dpi_pgsql_probe((const uint8_t *)"\x00\x00\x00\x10\x04\xd2\x16\x2e\0\0\0\1\0\0\0\2", 16));
	CHECK(!dpi_pgsql_probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
	CHECK(!dpi_pgsql_probe((const uint8_t *)"\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 9));
	CHECK(!dpi_pgsql_probe((const uint8_t *)"\x00\x00\x00\x09\x04\xd2\x16\x2f", 8));
	CHECK(!dpi_pgsql_probe((const uint8_t *)"\x00\x01\x00\x00\x00\x03\x00\x00", 8));
}

int main(void)
{
	RUN(test_startup_simple_query);
	RUN(test_sslrequest_refused);
	RUN(test_sslrequest_accepted);
	RUN(test_error_response);
	RUN(test_default_database);
	RUN(test_extended);
	RUN(test_huge_datarow);
	RUN(test_huge_statements);
	RUN(test_encryption_requests);
	RUN(test_hostile);
	RUN(test_probe);
	return bh_test_summary();
}
