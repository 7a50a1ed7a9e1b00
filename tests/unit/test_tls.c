/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_tls.c - the TLS hello parser on handshakes captured between
 * openssl s_client and s_server (OpenSSL 3.0) on loopback: TLS 1.3 with SNI
 * and ALPN, without SNI, TLS 1.2, and a ClientHello split across three
 * records (-max_send_frag 512); and on crafted hellos: many records, hostile
 * lengths, bad host names, GREASE.
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
#include "dpi_tls.h"

enum { C = DPI_TO_SERVER, S = DPI_TO_CLIENT };

/* ---- captured traces: the client's first flight, the server's --------- */

static const struct bh_seg tls13_sni[] = {
	{C,
	 "160301014f0100014b03030125ba06e2260ded21b64e9f6d662cbab9373f09cd"
	 "f44885c751204a54c795f920bf05029a61c8b62fa5450b1b69ed3e0a78c145ff"
	 "9e15bddd109d600d21be6773003e130213031301c02cc030009fcca9cca8ccaa"
	 "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
	 "009c003d003c0035002f00ff010000c40000001500130000106578616d706c65"
	 "2e696e7465726e616c000b000403000102000a00160014001d0017001e001900"
	 "1801000101010201030104002300000010000e000c02683208687474702f312e"
	 "310016000000170000000d002a0028040305030603080708080809080a080b08"
	 "0408050806040105010601030303010302040205020602002b00090803040303"
	 "03020301002d00020101003300260024001d0020833a60d82f7d3957a814e831"
	 "d5e5270bebe4d2f7b21bf0b4e8f8c28e09ee7202"},
	{S,
	 "160303007a020000760303e7e3e5178ad94e2b654a2a90d78e42948bf7529628"
	 "a838650223d5eb4208c5c020bf05029a61c8b62fa5450b1b69ed3e0a78c145ff"
	 "9e15bddd109d600d21be6773130200002e002b0002030400330024001d0020c3"
	 "1de98d702ac397ae1f1f65969eeb57658c5d555cba8bd943f9e138faabdb4c14"
	 "03030001011703030020e765e308ec882828c3b5e25343c49e71a4433122f2f0"
	 "80840dcf1aba53614703170303032f21edfbab4c0f3646d5ddc816340f699481"
	 "ea8cce507e28d71867bc63e48e882b944b4bf617117f150d09ce13578897aee1"
	 "a771dbcc072e4f191236caad25eba585bebf81c2d3c9a94d8a20e5498398dff4"
	 "0e9261f1de3423913aa99b1bf57296546c31db7944dbce6636331f9492dcff45"
	 "44d61485593bc8a3890a4b0c0b562ac381172a7be156a7e47dda6a3959b3cab4"
	 "cbecf85766b70168b0a6d34538d543b68e56cc86bc02d2e1139926d6c75e2cd4"
	 "7f5c9b564f57eb2b2aafb864beb75f90ae0db11d3dfee8e3c0b98719db784d10"
	 "1f7ffb5b44ede3b3906120d5479437416b61b4bdd8fc95e58d2c3eb7ccbb8a62"
	 "a4bfd1e90f20967ac45a83dcf75dddd967ed36621c79741be0ec3d42a0d0eeb8"
	 "cbf9ab936b91151aacacc1a87554b25323d939e4b1bb1e3988d2985bd6291ef0"
	 "d45c07dcd7f06db5b7ec7e92d515f8836cd5a0128646ecaa71cd014f2caf220b"
	 "7727d536fc07819f5ab8b9c46888dd5203dbe5d629d8df52049d75b9ef121032"
	 "9f9d5a7261b762345d1d5f647b1d1f81edced6eaeac3d3e1612542a294f1d7ca"
	 "b1024a2f5245702e6af0c742af454db5a062e462495bdaea3654f3302ba821f7"
	 "31970a4f04a6f01ef29d579e5a8abdd1dfd29d8c685daeac689eb90f587d5531"
	 "a36b2c457c105ad22080a9a3298e684236f48e36689cf525f87911d6d5156719"
	 "0731f096bf5af6acaebd3d9007b193648120625ea90bd9a06102dbe0da910806"
	 "08b1d8563a9ed5526bb2d8ff0cfa95f1d9fc54b065549bd95ed2515baef7d68a"
	 "74ed46a827269c76173aff2342829349d37e697d6ed73cbbf713397266e40f57"
	 "4604798c4b22ca6e180545eca0fc60012e439b73088b1c4dbfdcf33d346e63ec"
	 "e6e0e09461e9dda840bb43c46072265dbbb422180faf88600aa25db9d1e3b7cc"
	 "978af922d297a04adade747ba85829d5c2f495f9d81232d461f5b845fd5bba2e"
	 "451877b5403a22409a3bb2d5ba60bd228d34e7754b29acee9b8d1a9acea8fe0c"
	 "d2cde89964af4110988bec8515e36614cb1728f364c03d53f2e9c34fb21902f6"
	 "cd279f85fc7e732e8b5da1b43ba357836872cab4a3beebfaccdab8ff844afe73"
	 "d01530e969bf35054777fab0443efc907ad98647af881695d333cba7c7e21703"
	 "0301199895c2287b4e474d2dce07ceaf938a9ba6ba238b4a3a8a7534c3cb2839"
	 "37fb9c10590eb004bf2f3fb632587950ce97d9ba4bed3fb4469e5fa40dd6d891"
	 "10fa53450a48db04e8358620587a81b337529db3bf04d53cfd215533db3bb026"
	 "a921644a0f2ceeb74a75f8c6989923f7524f1fba97f838f8f3d21bfdbecf5736"
	 "7ad08433c958a164ca1c6780e3f583ded9e1e9201eccab7b9ded94f3d65a1608"
	 "ef213379bd2c21dd7518eaeeb81cf31c1924835a7e414c2f4074f244b67b569f"
	 "eaade55a162f23fb2e7d92f11c46edb0e5f753445a1522b9ae2d5aa689dd8a56"
	 "e7fe8851fa4b9816a4905009a6570703d3a9c40e6c2f4d158e8ba593d6979a42"
	 "05ba2d390dafa6ca3bf67d1ec238954d84f2e445e8a3b1b18118418717030300"
	 "45f63e86ffad6e8cb8563359598678f6a25608209679393ac3ab90e396a376b1"
	 "f460f75d558e5d1467dfb93a4e3e131f3ac16061dcb11613e7400ef5789a6e85"
	 "c8d41fc39630"},
};
static const struct bh_seg tls_nosni[] = {
	{C,
	 "1603010124010001200303ba7e48c154adfb371c9e66130cd23c3c0dccca33cb"
	 "9f69b6670dc44819c9c8ed2074be05d2fafb28f3fb02983c873dab4a732b8b1d"
	 "9d1bad0519c84862c4806797003e130213031301c02cc030009fcca9cca8ccaa"
	 "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
	 "009c003d003c0035002f00ff01000099000b000403000102000a00160014001d"
	 "0017001e0019001801000101010201030104002300000016000000170000000d"
	 "002a0028040305030603080708080809080a080b080408050806040105010601"
	 "030303010302040205020602002b0009080304030303020301002d0002010100"
	 "3300260024001d0020cc90fe0b6cb5080ada4ef5ae69599e626acb26cfc507ac"
	 "e5df76cdd17aa37642"},
	{S,
	 "160303007a020000760303611f748cbb219b4baf1543b35db83a0b7fbbdbbd56"
	 "af9e16efe93ba454f99e1c2074be05d2fafb28f3fb02983c873dab4a732b8b1d"
	 "9d1bad0519c84862c4806797130200002e002b0002030400330024001d002027"
	 "739f0dc729640eecda17898b5dd94a62b3accb829cf7699ac9a985e847c23414"
	 "03030001011703030017b710f08b03f21e42f8afeb9b6017b28261b1a2f2f12c"
	 "e1170303032fb6177a48a8dad958018470d13820615f436b4d557dbf01db7a0c"
	 "a9ee9c00314ed4232d019c279bcd6dce2a1bc52baee8d77c28212878b8e76d86"
	 "da69a027df68d2861c404a804971dec55e4caea9c44af8f374ebe6274fcba23d"
	 "f92e642bf295d3afe0e44cee9a733feeb1261baa64328982978d3d4e551b2a3d"
	 "008a25ac6773902b36f95fa2e2ca7b26a7321130d489f80859e9c9bb96f2b8d7"
	 "990da683aceb57b5b4b19ce10cd1ed01ff954d9fb8cbadf963cfeedd7df7815d"
	 "cc41d836216ba544a7160396ac1f37a8bcdf17da3a2b7b44ca5428d8e96efbdb"
	 "566294d682024ef312d0367a96832b6010b3d74bb1f81207287cfbe6bc285efd"
	 "850487259f0e62606db3aa3be92f9f1cb05fabf1bcd219deae520150bb08cd78"
	 "f75cece32c5b4cb1f3143fe42700773e3b56ddaddcd382ee75a0575cce1af626"
	 "24564e5c6d6b269771d8d4a556136047378cfe564f1f36657a0a17c4dc062529"
	 "a94a586733336b194744deec892e356f3582a69c17bc6582f00d14739eb9814b"
	 "06530d827ca78d15d62e47ba08d42ca04ab6e413086cce8d915380c4892425a8"
	 "9579870b227267286e552dca550db11655c72cdd7e06ff9d4579ea2e0736e22c"
	 "34a1994825a88dd406807389b428c3cdfa4de5c1ab707aacf208ecafc851dc4b"
	 "dc68e69ef9b82eee6097a522823203ae7c4754ef503d22a6cb81343ce50130d3"
	 "1c11fcea63a21ad1e1a6fe4107fcc1cfac05085c2959a809cadbde83f2aab11c"
	 "12095c8099a6f6ab237e03cc952e7e20fd4ad3ea946f3f944c8e73dd1147bbf6"
	 "31b0d611dabb2fa11d9c7f01f532aa6e6faba07019946876da4ae1bf3c989169"
	 "183feff4360203af794dd1cb86770014588f7eefed7e2c555e1f113141e2aeda"
	 "bd7e46330971b59c4e88f9bde70276db70faaae4cdf39451e1bc3c2e28714be7"
	 "72816ab9a275013918092d6c3710918110e781a8e759334c4401d5051fdde4b8"
	 "41c95a8e8baacf6ce773595a092cae6d159e9d5b469b30b856216fc29923adf9"
	 "c00f688cc4b2779e9bb3f67a8052d7fedc31f5dacf50e2e95637b79cfd56555b"
	 "bcb879bbfca0f91028012e43aa8d1f27d1eff64fb2b9cac7556b05d88addcd2e"
	 "87335b6a2d7b1277844615315015095a5859702f78170303011966676d5d014a"
	 "bf7c1fcb899323c960bef4b0c000f03d5e812cf948b5161480201a3faed2678f"
	 "8f02bc1c3ddbf1465a66e2c31ebceedf841ec8fe80fc68e9b9728cdf0bdd550e"
	 "6651b8d5516f8ed6ff056fcdf67a6667342fc5ee2012bcd4dbd9484045725e33"
	 "5a5a68fa9df75419809032bde7f77e60b0eb770a4005db3425f223415e4cac73"
	 "6d6a32595f74881140026e2abfbdb088c35b37bef41944d2a079b5f615d7fab8"
	 "cda4b21549810607d67d91791e653dcb7952d262130424480042b9e4dc18ba81"
	 "3087ee72864ba88f686ffe1e6ccf18da1475e7dbb54ca297fff269b0bc6eae91"
	 "e773f80e37532808d8252693e038eb6f06c2ad70e474649b598975f9e1d4cbc5"
	 "67b1d0278c73013dcc4167856d7c422bb081e31703030045209d9da346a28e74"
	 "ad3b440645000ffda9f5043c7b06ca2e3a6590770ee126fd61a165b96ee276ce"
	 "4c36a01afa0440426c21a0ea81226c393a1f0e909b39f00086e8fc5647"},
};
static const struct bh_seg tls12_sni[] = {
	{C,
	 "16030100d0010000cc0303c0a13f3662d29106752ac71c04c66d254a1fea3f71"
	 "1cdc053a325c8604835519000038c02cc030009fcca9cca8ccaac02bc02f009e"
	 "c024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c"
	 "0035002f00ff0100006b0000001500130000106578616d706c652e696e746572"
	 "6e616c000b000403000102000a000c000a001d0017001e001900180023000000"
	 "16000000170000000d002a0028040305030603080708080809080a080b080408"
	 "050806040105010601030303010302040205020602"},
	{S,
	 "16030300410200003d0303549744d01a88a3cc2aabb170f1d04673c908952d21"
	 "c7cd39444f574e4752440100c030000015ff01000100000b0004030001020023"
	 "000000170000160303031b0b0003170003140003113082030d308201f5a00302"
	 "010202144192e5845d39e2bfa76c2dbf4dea7f346fda378d300d06092a864886"
	 "f70d01010b050030163114301206035504030c0b64622e696e7465726e616c30"
	 "1e170d3236313132323131333235365a170d3236313232323131333235365a30"
	 "163114301206035504030c0b64622e696e7465726e616c30820122300d06092a"
	 "864886f70d01010105000382010f003082010a0282010100a427e8307ad51d4b"
	 "d64303ed10f77c0e22a5201168761e8168007ae5feb211c741905824ca39941f"
	 "66ff389befd11eae1093359080902a0b8ade4fc6356855fe8db5c8ef74528c28"
	 "e88a65b74f335c070fd3def571069e15ccd450750b0274af0f7fb55e6a6292c1"
	 "b4f5598c8bbc3bf50f261fafbed1e0c46e765e13c030034d1bc53c05c202a48a"
	 "fc6714736ce14783c1895da4008a946d3faf41bf39e88e6aa951643c65fd056c"
	 "855219527a267501278fb124d47c24976f7d9f732e8f83332d7907247c7fd53b"
	 "b7dc96c25b47db2265bb2a8d8443f43b86117bc91c6828681850d4c2958c4668"
	 "8cf9dcb1888d6d432217ba7e2571acde95512ab40c25b5110203010001a35330"
	 "51301d0603551d0e041604143627e930f98210e8bfc722e11ea0cd5721c07ce1"
	 "301f0603551d230418301680143627e930f98210e8bfc722e11ea0cd5721c07c"
	 "e1300f0603551d130101ff040530030101ff300d06092a864886f70d01010b05"
	 "0003820101008ed64443750ea62ee925ff5a2af04cf9f7f955a93d095d9d71a2"
	 "0f6499b55afd3caacffb1be867a16d9976b8b400f8c5e0f20d19a19c5da22bbf"
	 "cd7f3a6f87e7e6c173499452d395cc3a5cb97a6ef1b03c0301be9b4e059656e9"
	 "6f7641bb6aef1f3d1c83e77a9bf88bc199186383db5f321fba68668a7e42cebe"
	 "a6c447dc7487911a622e3a6b03f4964efd1be9b9f74f673022544dd5602f5c52"
	 "47d743657e1bddd87054f6c60bee6cefa5050e5d60d7a3920c890b924bdffb79"
	 "b8424d6807259fdaa8164147c611259780b1ba38006d6cd8afc689f4eef62a80"
	 "4b917d0405dd7fa9843055f050aa9b393d816fda42fba60a522ea285b5eb3600"
	 "786c8bfa85c2160303012c0c00012803001d20b978eb22e33198678176c52564"
	 "3ebd2ccad6e0a6b510cb6aa60a34896dddee170804010063b8a174c1c6754a7f"
	 "b75130c1fce70b5da2686d71bbd9d0aff3d7024d5f6a9e37cace3298bc171646"
	 "dda8261b785634e950ef0c50bdf347f7fd61674793ba1a70a87fbddefc383cfe"
	 "3fb4068438d0bc4ffec18da8d2f5d3747df66f927f26b20dbbadcaba9b04e0d4"
	 "542a6d86614e36ec6fc6099162623d192f146bd8f394d54c735da908913a33b1"
	 "49b64f7eb9c0020348fac6dd23a6ebae393dd80395bb9aba3c55d8c8ead331af"
	 "ca5936ccc0168e39287b6998c2ddcc57cc6f5e5029358cfe9c8f92763003b2da"
	 "8f8b89c0858c256426c0cb767380a3aab236b3852d57850ab5f175e88f325787"
	 "a8cf41734e4e7189c41391aba1deb1b68e702e023f10c016030300040e000000"},
};
static const struct bh_seg tls_frag[] = {
	{C,
	 "16030102000100044e03033b78b2c8b27b1ef2e4dc7dc710fe3f650a7588de16"
	 "d101d86b9d0316a8d33c88201f5f054740f9e8013e14e79b4a909b28fbb218a1"
	 "440d2d3144ad3f54fd6512fd003e130213031301c02cc030009fcca9cca8ccaa"
	 "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
	 "009c003d003c0035002f00ff010003c70000001500130000106578616d706c65"
	 "2e696e7465726e616c000b000403000102000a00160014001d0017001e001900"
	 "18010001010102010301040023000000100311030f1970726f746f2d30302d61"
	 "62636465666768696a6b6c6d6e6f701970726f746f2d30312d61626364656667"
	 "68696a6b6c6d6e6f701970726f746f2d30322d6162636465666768696a6b6c6d"
	 "6e6f701970726f746f2d30332d6162636465666768696a6b6c6d6e6f70197072"
	 "6f746f2d30342d6162636465666768696a6b6c6d6e6f701970726f746f2d3035"
	 "2d6162636465666768696a6b6c6d6e6f701970726f746f2d30362d6162636465"
	 "666768696a6b6c6d6e6f701970726f746f2d30372d6162636465666768696a6b"
	 "6c6d6e6f701970726f746f2d30382d6162636465666768696a6b6c6d6e6f7019"
	 "70726f746f2d30392d6162636465666768696a6b6c6d6e6f701970726f746f2d"
	 "31302d6162636465666768696a6b6c6d6e6f701970726f746f2d31312d616263"
	 "64656667681603010200696a6b6c6d6e6f701970726f746f2d31322d61626364"
	 "65666768696a6b6c6d6e6f701970726f746f2d31332d6162636465666768696a"
	 "6b6c6d6e6f701970726f746f2d31342d6162636465666768696a6b6c6d6e6f70"
	 "1970726f746f2d31352d6162636465666768696a6b6c6d6e6f701970726f746f"
	 "2d31362d6162636465666768696a6b6c6d6e6f701970726f746f2d31372d6162"
	 "636465666768696a6b6c6d6e6f701970726f746f2d31382d6162636465666768"
	 "696a6b6c6d6e6f701970726f746f2d31392d6162636465666768696a6b6c6d6e"
	 "6f701970726f746f2d32302d6162636465666768696a6b6c6d6e6f701970726f"
	 "746f2d32312d6162636465666768696a6b6c6d6e6f701970726f746f2d32322d"
	 "6162636465666768696a6b6c6d6e6f701970726f746f2d32332d616263646566"
	 "6768696a6b6c6d6e6f701970726f746f2d32342d6162636465666768696a6b6c"
	 "6d6e6f701970726f746f2d32352d6162636465666768696a6b6c6d6e6f701970"
	 "726f746f2d32362d6162636465666768696a6b6c6d6e6f701970726f746f2d32"
	 "372d6162636465666768696a6b6c6d6e6f701970726f746f2d32382d61626364"
	 "65666768696a6b6c6d6e6f701970726f746f2d32392d6162636465666768696a"
	 "6b6c6d6e6f700268320016000000170000000d002a0028040305030603080708"
	 "080809080a080b08040816030100520508060401050106010303030103020402"
	 "05020602002b0009080304030303020301002d00020101003300260024001d00"
	 "20802a4c9547ab85e64f897b61f1c56cdc6f8d7eb42efd87e4eeef5955ac2b0b"
	 "40"},
	{S,
	 "160303007a0200007603037bae577d2c5258ffd69bfabdf6d45297464e4aff33"
	 "1fa0340beb1c11c2f1302a201f5f054740f9e8013e14e79b4a909b28fbb218a1"
	 "440d2d3144ad3f54fd6512fd130200002e002b0002030400330024001d002079"
	 "eb278e0d73ca5ab21a7de91950536a385c56e924f201972fb2422a4952057d14"
	 "030300010117030300208c2924e82baa922d56ad4927a23fdae4fb7cd89dfbdf"
	 "30fa79468f34267bdff1170303032f63b0f9e54f5e60f9497f1cfb610756962c"
	 "4ba4db86caf90ef3d8750c2df2b6d0e64b8d42053904cad2483a3f6b366ccf06"
	 "ee07d87d77ba84858c6e3be11a061cb131c2b993c75523febdb58633cded5bfe"
	 "7424d40f76d2406bfb1f54feccf3e46dcfc770fc347eaf29bc07c1b23e50e9e6"
	 "c4cfeefb5487125bbf5245ba26037a74d6f2cb00c4db7d71598fc5a79d849ea3"
	 "c02b6fdaf24a19d3ca4fbf27338b7655eed66d6ec8d9d410ff31586b7ba3dbbd"
	 "2a7e9e3b272b0c5ea3a9f8e7a1c85a2e2017d8b7845e6b2063ce89c39baff153"
	 "2d1a056da707fde5ecc889d834de274b234eb596e208dacadfa57b5fccfba9cd"
	 "ce8b07b95d19dbfa7ae797159a6390c75a159f8e833849e45e16b43a5b27184c"
	 "f6841ac219a1c0cd3f6760b143522965dce063e7b125ce3052ade69f210ba29e"
	 "96b1ce87a6561c8a61842ab71b2e596689bda2fb1d3155f99daf2d4784fa6e1e"
	 "24a629312980deafa9d90269711c98a7856871c13f850ad82de5a6380fcf60fc"
	 "ad57b76aa306203fd6d0b7dd7037b9a78b07d6fdff9af86f86822e3e069a77d1"
	 "c8d81995adc037a7ede2a3966cd430b1424e89b79b3af46d562a353ecba4fb04"
	 "fdf5be27598106247d83fd86c0daa1bacdc1767accec1aa3739f1667e09db9a4"
	 "52d61513102edf0bc19108bffc2140fbce0e13c446a9a065a50138f800001025"
	 "07467421d23e762904dd7fa3eb10961d3514fdfa194b7a507a61a838830826c3"
	 "4671c4db26ee931ffab4437e39d0e0fba8635bd3ce367e700739051cdd2423d9"
	 "2f116a3f53f2298d71b8e44cc6d4718c11f88a58918a6d3ef2d19022074352fd"
	 "1cf1e1f38a863082b6019d29f37dc7e32f4f142dda4b81df424b4b3b86aac3a6"
	 "5cb69fc7ec9fcde6ef22fe5da7e8252effabcc94dd8ffb674791b661502d0134"
	 "b65781c5f3af7eb5f7c4f9f684a293820bd5e5118756616a8fdd41df29bdbec9"
	 "d8b50f2542172dd215724d1f0e0b2be30bbe130efa5c9d86fdcde6037a72579f"
	 "5590d7d67e11a531093790506a6473170ed6520b18dd2532abaaa6fdb6f25994"
	 "81ccf721c9dd99459a211a33cdf730ad0b9b924fccd4e3f6f8a30b22469907d9"
	 "f0816c5316e03b31e9b7e8b747cb2d24c0139860f4522518039052531cb81703"
	 "030119fe21b17a1eb1759fba5b1e017bc53a03383d43efe854dff32c60ae4677"
	 "aa43d52eeb7e85a3d1314e55fa276214139411440cc9cd71e3e1b99176661947"
	 "784e0741d9c173500e4f16c31d1f27b620f7464148dcffc2b67f77260a651e80"
	 "5c9f127fc6ba5c99ffd823677057cdd16749ff3ec2d0c110fa7a3c4083e297c9"
	 "536ce00651f8a5289c7dce3aa3e3478b8e67d5fcd48a45a03f41f16a7bcd91fc"
	 "e2df0bcc571c58f2d77ecb5d277193e5021a5f1cb80a270fa6b6a9206d8f9825"
	 "209b2116328c367b46f45250dce979015e39f5b7a72763f528ae0e2e0a8c180a"
	 "a6d83ea6ef078ef662ddd0b7347b74277db564f97761b77e21e5a736269a70a6"
	 "b6f2be8db01c8463328f6931248502b7abb04d827662cfc728a7909c17030300"
	 "451573126176a1de3821ab8215a49da885db6d2149799353b5fd746edf1083da"
	 "5a2cb9e2ae49b7540886bb47b34885ee8b236e75bcdd26c8b63c4d091579530e"
	 "4d7076f8e79e"},
};
/* ---- recording the callbacks ------------------------------------------- */

struct rec {
	char log[16384];
	size_t n;
	unsigned anomalies, clients, servers;
	struct dpi_tls_client_hello last;
	uint8_t sni[256];
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

static void on_client_hello(void *ctx, const struct dpi_tls_client_hello *h)
{
	struct rec *r = ctx;

	r->clients++;
	r->last = *h;
	if (h->sni.len)	/* the slice dies with the call */
		memcpy(r->sni, h->sni.p, h->sni.len);
	r->last.sni.p = r->sni;
	logf_(r, "client_hello record=%04x legacy=%04x version=%04x sni=%d,%d,%.*s alpn=%u%s",
	      h->record_version, h->legacy_version, h->version, h->has_sni, h->sni_valid,
	      sl_len(h->sni), (const char *)h->sni.p, h->alpn_count,
	      h->alpn_truncated ? "+" : "");
	for (unsigned i = 0; i < h->alpn_count; i++)
		logf_(r, " %.*s", sl_len(h->alpn[i]), (const char *)h->alpn[i].p);
	logf_(r, " suites=%u exts=%u\n", h->cipher_suites.len, h->extensions.len);
}

static void on_server_hello(void *ctx, const struct dpi_tls_server_hello *h)
{
	struct rec *r = ctx;

	r->servers++;
	logf_(r, "server_hello legacy=%04x version=%04x suite=%04x hrr=%d\n", h->legacy_version,
	      h->version, h->cipher_suite, h->hello_retry);
}

static void on_alert(void *ctx, unsigned dir, uint8_t level, uint8_t description)
{
	logf_(ctx, "alert %u %u %u\n", dir, level, description);
}

static void on_anomaly(void *ctx, const char *ev)
{
	struct rec *r = ctx;

	r->anomalies++;
	logf_(r, "anomaly %s\n", ev);
}

static const struct dpi_tls_cb rec_cb = {
	.on_client_hello = on_client_hello,
	.on_server_hello = on_server_hello,
	.on_alert = on_alert,
	.on_anomaly = on_anomaly,
};

/* ---- the caller: pending buffers, guard pages (bh_feed.h) ------------- */

BH_FEED_SIM(struct dpi_tls_state, dpi_tls_init, BH_FEED_NO_FINI, dpi_tls_parse, &rec_cb)

/* ---- captured handshakes ----------------------------------------------- */

static void test_tls13_sni_alpn(void)
{
	struct sim s;

	replay_all_cuts(&s, tls13_sni, NSEG(tls13_sni));
	CHECK(has(&s, "client_hello record=0301 legacy=0303 version=0304 sni=1,1,example.internal "
		      "alpn=2 h2 http/1.1 "));
	CHECK(has(&s, "server_hello legacy=0303 version=0304 suite=1302 hrr=0\n"));
	CHECK_EQ(s.rec.anomalies, 0);
	CHECK(dpi_tls_done(&s.st, C));
	CHECK(dpi_tls_done(&s.st, S));
	CHECK(!strcmp(dpi_tls_version_name(s.rec.last.version), "TLS 1.3"));
	sim_fini(&s);
}

static void test_no_sni(void)
{
	struct sim s;

	replay_all_cuts(&s, tls_nosni, NSEG(tls_nosni));
	CHECK(has(&s, "client_hello record=0301 legacy=0303 version=0304 sni=0,0, alpn=0 "));
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
}

static void test_tls12(void)
{
	struct sim s;

	replay_all_cuts(&s, tls12_sni, NSEG(tls12_sni));
	CHECK(has(&s, "client_hello record=0301 legacy=0303 version=0303 sni=1,1,example.internal "));
	CHECK(has(&s, "server_hello legacy=0303 version=0303 "));
	CHECK_EQ(s.rec.anomalies, 0);
	CHECK(!strcmp(dpi_tls_version_name(0x0303), "TLS 1.2"));
	sim_fini(&s);
}

static void test_split_records(void)
{
	struct sim s;
	struct bh_trace t;

	/* OpenSSL's own split: 512 + 512 + 82 bytes of one ClientHello. */
	bh_trace_load(&t, tls_frag, NSEG(tls_frag));
	CHECK_EQ(t.data[0][3] << 8 | t.data[0][4], 512);
	bh_trace_free(&t);
	replay_all_cuts(&s, tls_frag, NSEG(tls_frag));
	CHECK(has(&s, "version=0304 sni=1,1,example.internal alpn=8+ proto-00-abcdefghijklmnop "));
	CHECK_EQ(s.rec.clients, 1);
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
}

/* ---- crafted ----------------------------------------------------------- */

/* Cuts the handshake message of the first record of @in into records of at
 * most @frag bytes (record version 0x0301). Returns the bytes written. */
static size_t rerecord(const uint8_t *in, size_t n, size_t frag, uint8_t *out)
{
	size_t body = (size_t)in[3] << 8 | in[4], o = 0;

	(void)n;
	for (size_t off = 0; off < body; off += frag) {
		size_t k = body - off < frag ? body - off : frag;

		out[o++] = 22;
		out[o++] = 3;
		out[o++] = 1;
		out[o++] = (uint8_t)(k >> 8);
		out[o++] = (uint8_t)k;
		memcpy(out + o, in + 5 + off, k);
		o += k;
	}
	return o;
}

static void feed_all(struct sim *s, unsigned dir, const uint8_t *p, size_t n, size_t piece)
{
	for (size_t off = 0; off < n; off += piece)
		sim_feed(s, dir, p + off, n - off < piece ? n - off : piece);
}

static void test_many_records(void)
{
	struct bh_trace t;
	struct sim s;
	uint8_t out[8192];
	size_t n;

	bh_trace_load(&t, tls13_sni, NSEG(tls13_sni));
	/* 335 bytes in 11 records of 32: fine, in any pieces. */
	n = rerecord(t.data[0], t.len[0], 32, out);
	for (size_t piece = 1; piece < 64; piece += 7) {
		sim_init(&s);
		feed_all(&s, C, out, n, piece);
		CHECK(has(&s, "sni=1,1,example.internal alpn=2 h2 http/1.1 "));
		CHECK_EQ(s.rec.anomalies, 0);
		sim_fini(&s);
	}
	/* The header itself split over 1-byte records. */
	n = rerecord(t.data[0], t.len[0], 1, out);
	sim_init(&s);
	feed_all(&s, C, out, n, 1000);
	CHECK(has(&s, "anomaly tls.fragmented\n"));
	CHECK_EQ(s.f.err[C], -EBADMSG);
	sim_fini(&s);
	{
		/* Four 1-byte records, then the rest in one. */
		uint8_t mix[4096];
		size_t m = rerecord(t.data[0], t.len[0], 1, mix);

		(void)m;
		m = 4 * 6;
		mix[m++] = 22;
		mix[m++] = 3;
		mix[m++] = 1;
		mix[m++] = (uint8_t)((t.len[0] - 5 - 4) >> 8);
		mix[m++] = (uint8_t)(t.len[0] - 5 - 4);
		memcpy(mix + m, t.data[0] + 5 + 4, t.len[0] - 9);
		m += t.len[0] - 9;
		sim_init(&s);
		feed_all(&s, C, mix, m, 3);
		CHECK(has(&s, "sni=1,1,example.internal "));
		CHECK_EQ(s.rec.anomalies, 0);
		sim_fini(&s);
	}
	bh_trace_free(&t);
}

static void test_done_consumes(void)
{
	struct bh_trace t;
	struct dpi_tls_state st;
	struct rec r;
	uint8_t buf[2048], *g;
	size_t n;

	memset(&r, 0, sizeof(r));
	bh_trace_load(&t, tls13_sni, NSEG(tls13_sni));
	dpi_tls_init(&st);
	/* The hello and what follows it in one call: all consumed. */
	memcpy(buf, t.data[0], t.len[0]);
	memcpy(buf + t.len[0], "\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x02zz", 13);
	n = t.len[0] + 13;
	g = guard_dup(buf, n);
	CHECK_EQ(dpi_tls_parse(&st, C, g, n, &rec_cb, &r), (int)n);
	CHECK_EQ(dpi_tls_parse(&st, C, g + 5, 7, &rec_cb, &r), 7);
	guard_free(g, n);
	CHECK_EQ(r.clients, 1);
	/* Short: need more, nothing consumed. */
	dpi_tls_init(&st);
	g = guard_dup(t.data[0], t.len[0] - 1);
	CHECK_EQ(dpi_tls_parse(&st, C, g, t.len[0] - 1, &rec_cb, &r), DPI_NEED_MORE);
	guard_free(g, t.len[0] - 1);
	CHECK(!dpi_tls_done(&st, C));
	CHECK_EQ(dpi_tls_parse(&st, 2, buf, 1, &rec_cb, &r), -EINVAL);
	bh_trace_free(&t);
}

/* A ClientHello with the extensions @ext (already encoded, @n bytes). */
static size_t make_hello(uint8_t *out, const uint8_t *ext, size_t n)
{
	static const uint8_t head[] = {
		0x03, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
		23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 0x00, 0x00, 0x04, 0x13, 0x01, 0xc0, 0x2f, 0x01,
		0x00,
	};
	size_t body = sizeof(head) + 2 + n, o = 0;

	out[o++] = 22;
	out[o++] = 3;
	out[o++] = 1;
	out[o++] = (uint8_t)((body + 4) >> 8);
	out[o++] = (uint8_t)(body + 4);
	out[o++] = 1;
	out[o++] = 0;
	out[o++] = (uint8_t)(body >> 8);
	out[o++] = (uint8_t)body;
	memcpy(out + o, head, sizeof(head));
	o += sizeof(head);
	out[o++] = (uint8_t)(n >> 8);
	out[o++] = (uint8_t)n;
	memcpy(out + o, ext, n);
	return o + n;
}

static size_t sni_ext(uint8_t *out, const char *name, size_t len)
{
	out[0] = 0;
	out[1] = 0;
	out[2] = (uint8_t)((len + 5) >> 8);
	out[3] = (uint8_t)(len + 5);
	out[4] = (uint8_t)((len + 3) >> 8);
	out[5] = (uint8_t)(len + 3);
	out[6] = 0;
	out[7] = (uint8_t)(len >> 8);
	out[8] = (uint8_t)len;
	memcpy(out + 9, name, len);
	return 9 + len;
}

static void one(struct sim *s, const uint8_t *ext, size_t n)
{
	uint8_t hello[20000];
	size_t k = make_hello(hello, ext, n);

	sim_init(s);
	sim_feed(s, C, hello, k);
}

static void test_sni_validation(void)
{
	static const struct {
		const char *name;
		bool valid;
	} names[] = {
		{"example.internal", true}, {"a", true}, {"xn--bcher-kva.example", true},
		{"_acme-challenge.x.y", true}, {"exa mple.com", false}, {"example.com.", false},
		{".example.com", false}, {"a..b", false}, {"ex\"ample", false}, {"host\nname", false},
		{"", false},
	};
	struct sim s;
	uint8_t ext[1024];
	char longname[300];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char line[128];

		one(&s, ext, sni_ext(ext, names[i].name, strlen(names[i].name)));
		snprintf(line, sizeof(line), "sni=1,%d,", names[i].valid);
		CHECK(has(&s, line));
		CHECK_EQ(s.rec.anomalies, names[i].valid ? 0 : 1);
		CHECK_EQ(s.rec.clients, 1);
		sim_fini(&s);
	}
	/* A 64-byte label; a 300-byte name, reported cut to 255. */
	memset(longname, 'a', sizeof(longname));
	one(&s, ext, sni_ext(ext, longname, 64));
	CHECK(has(&s, "anomaly tls.sni_invalid\n"));
	sim_fini(&s);
	for (int i = 60; i < 300; i += 61)
		longname[i] = '.';
	one(&s, ext, sni_ext(ext, longname, 300));
	CHECK(has(&s, "anomaly tls.sni_invalid\n"));
	CHECK_EQ(s.rec.last.sni.len, 255);
	CHECK(!s.rec.last.sni_valid);
	sim_fini(&s);
	/* Two host names in one extension. */
	{
		size_t k = sni_ext(ext, "a.example", 9);

		ext[3] += 12;
		ext[5] += 12;
		memcpy(ext + k, "\x00\x00\x09" "b.example", 12);
		one(&s, ext, k + 12);
		CHECK(has(&s, "anomaly tls.sni_invalid\n"));
		CHECK(has(&s, "sni=1,0,a.example "));
		sim_fini(&s);
	}
	/* Two server_name extensions: the first counts. */
	{
		size_t k = sni_ext(ext, "a.example", 9);

		k += sni_ext(ext + k, "b.example", 9);
		one(&s, ext, k);
		CHECK(has(&s, "anomaly tls.duplicate_extension\n"));
		CHECK(has(&s, "sni=1,1,a.example "));
		sim_fini(&s);
	}
}

static void test_alert_instead_of_hello(void)
{
	struct sim s;
	static const uint8_t alert[] = {0x15, 0x03, 0x02, 0x00, 0x02, 0x02, 0x46, 0x17, 0x03};
	static const uint8_t long_alert[] = {0x15, 0x03, 0x03, 0x00, 0x20, 0x02};

	/* A server refusing TLS 1.1 (protocol_version): done, no anomaly. */
	sim_init(&s);
	for (size_t k = 0; k < sizeof(alert); k++)
		sim_feed(&s, S, alert + k, 1);
	CHECK(has(&s, "alert 1 2 70\n"));
	CHECK(dpi_tls_done(&s.st, S));
	CHECK_EQ(s.f.plen[S], 0);
	CHECK_EQ(s.rec.anomalies, 0);
	sim_fini(&s);
	/* Encrypted-looking alerts are not plaintext alerts. */
	sim_init(&s);
	sim_feed(&s, S, long_alert, sizeof(long_alert));
	CHECK(has(&s, "anomaly tls.malformed\n"));
	CHECK_EQ(s.f.err[S], -EBADMSG);
	sim_fini(&s);
}

static void test_versions(void)
{
	struct sim s;
	/* GREASE 0x7a7a first, 1.2, 1.3. */
	static const uint8_t sv[] = {0x00, 0x2b, 0x00, 0x07, 0x06, 0x7a, 0x7a, 0x03, 0x03, 0x03, 0x04};
	static const uint8_t sv_odd[] = {0x00, 0x2b, 0x00, 0x04, 0x03, 0x03, 0x03, 0x03};
	static const uint8_t sv_grease_only[] = {0x00, 0x2b, 0x00, 0x03, 0x02, 0x1a, 0x1a};

	one(&s, sv, sizeof(sv));
	CHECK(has(&s, "legacy=0303 version=0304 sni=0,0,"));
	sim_fini(&s);
	one(&s, sv_odd, sizeof(sv_odd));
	CHECK(has(&s, "anomaly tls.malformed\n"));
	CHECK_EQ(s.f.err[C], -EBADMSG);
	sim_fini(&s);
	one(&s, sv_grease_only, sizeof(sv_grease_only));
	CHECK(has(&s, "legacy=0303 version=0303 "));
	sim_fini(&s);
	CHECK(!strcmp(dpi_tls_version_name(0x0301), "TLSv1"));
	CHECK(!strcmp(dpi_tls_version_name(0x7a7a), "unknown"));
}

static void test_hostile(void)
{
	static const struct {
		const char *bytes;
		size_t n;
		const char *anomaly;
	} bad[] = {
		{"\x17\x03\x03\x00\x05hello", 10, "tls.malformed"},
		{"\x16\x03\x05\x00\x05hello", 10, "tls.malformed"},
		{"\x16\x03\x01\x40\x01", 5, "tls.record_too_large"},
		{"\x16\x03\x01\x00\x00", 5, "tls.malformed"},
		{"\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9, "tls.malformed"},
		{"\x16\x03\x01\x00\x04\x01\x00\x40\x01", 9, "tls.hello_too_large"},
		{"\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9, "tls.malformed"},
		{"\x16\x03\x01\x00\x01\x01\x15\x03\x01\x00\x01\x00", 12, "tls.malformed"},
	};
	static const uint8_t trunc_ext[] = {0x00, 0x00, 0x00, 0x09, 0x00, 0x07, 0x00, 0x00, 0x09, 'a'};
	static const uint8_t empty_alpn[] = {0x00, 0x10, 0x00, 0x03, 0x00, 0x01, 0x00};
	struct sim s;
	uint64_t seed = 5;
	uint8_t buf[4096];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sim_init(&s);
		sim_feed(&s, C, (const uint8_t *)bad[i].bytes, bad[i].n);
		CHECK_EQ(s.f.err[C], -EBADMSG);
		CHECK(strstr(s.rec.log, bad[i].anomaly) != NULL);
		CHECK_EQ(s.rec.clients, 0);
		sim_fini(&s);
	}
	one(&s, trunc_ext, sizeof(trunc_ext));
	CHECK(has(&s, "anomaly tls.malformed\n"));
	CHECK_EQ(s.rec.clients, 0);
	sim_fini(&s);
	one(&s, empty_alpn, sizeof(empty_alpn));
	CHECK(has(&s, "anomaly tls.malformed\n"));
	sim_fini(&s);

	/* The largest hello allowed, in 32 records: within the pending cap. */
	{
		uint8_t *big = calloc(1, 20000), *rec = malloc(20000 + 32 * 5);
		size_t body = DPI_TLS_MAX_HELLO, n;

		if (!big || !rec)
			abort();
		/* Padding extension (21) filling the message. */
		memcpy(big, "\x00\x15", 2);
		big[2] = (uint8_t)((body - 43 - 2 - 4) >> 8);
		big[3] = (uint8_t)(body - 43 - 2 - 4);
		n = make_hello(rec, big, body - 43 - 2);
		CHECK_EQ(n, 5 + 4 + body);
		rec[3] = (uint8_t)((4 + body) >> 8);	/* one record too large: */
		rec[4] = (uint8_t)(4 + body);
		sim_init(&s);
		sim_feed(&s, C, rec, n);
		CHECK(has(&s, "anomaly tls.record_too_large\n"));
		sim_fini(&s);
		memcpy(big, rec, n);
		n = rerecord(big, n, (4 + body + 31) / 32, rec);
		sim_init(&s);
		feed_all(&s, C, rec, n, 1460);
		CHECK_EQ(s.rec.clients, 1);
		CHECK_EQ(s.rec.anomalies, 0);
		CHECK(!s.f.overflow);
		sim_fini(&s);
		free(big);
		free(rec);
	}

	/* Random bytes behind a valid record header: no crash. */
	for (int round = 0; round < 500; round++) {
		size_t n = 9 + bh_xorshift(&seed) % 300;

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)bh_xorshift(&seed);
		memcpy(buf, "\x16\x03\x01", 3);
		buf[3] = (uint8_t)((n - 5) >> 8);
		buf[4] = (uint8_t)(n - 5);
		buf[5] = 1;
		buf[6] = 0;
		buf[7] = (uint8_t)((n - 9) >> 8);
		buf[8] = (uint8_t)(n - 9);
		sim_init(&s);
		sim_feed(&s, round & 1 ? S : C, buf, n);
		sim_fini(&s);
	}
}

static void test_probe(void)
{
	struct bh_trace t;

	bh_trace_load(&t, tls13_sni, NSEG(tls13_sni));
	for (size_t k = 0; k <= 16; k++) {
		uint8_t *g = guard_dup(t.data[0], k);

		CHECK_EQ(dpi_tls_probe(g, k), k >= 3);
		guard_free(g, k);
	}
	CHECK(!dpi_tls_probe(t.data[1], t.len[1]));	/* ServerHello */
	bh_trace_free(&t);
	CHECK(!dpi_tls_probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
	CHECK(!dpi_tls_probe((const uint8_t *)"\x16\x03\x05\x00\x10\x01", 6));
	CHECK(!dpi_tls_probe((const uint8_t *)"\x16\x03\x01\x00\x00\x01", 6));
	CHECK(!dpi_tls_probe((const uint8_t *)"\x16\x03\x01\x50\x00\x01", 6));
	CHECK(!dpi_tls_probe((const uint8_t *)"\x00\x00\x00\x08\x04\xd2\x16\x2f", 8));
	CHECK(dpi_tls_probe((const uint8_t *)"\x16\x03\x00\x00\x10", 5));
}

int main(void)
{
	RUN(test_tls13_sni_alpn);
	RUN(test_no_sni);
	RUN(test_tls12);
	RUN(test_split_records);
	RUN(test_many_records);
	RUN(test_done_consumes);
	RUN(test_sni_validation);
	RUN(test_alert_instead_of_hello);
	RUN(test_versions);
	RUN(test_hostile);
	RUN(test_probe);
	return bh_test_summary();
}
