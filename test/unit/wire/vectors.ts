// Byte vectors of the wire formats, shared by the tshark cross-check and the fuzz
// tests. Each is laid out by hand from the standard's figure it names, or taken from
// a reference file or a published test vector (never produced by our emitters); the
// comment on each field says what it claims, and test/unit/wire/tshark-vectors.test.ts
// has Wireshark decode every one and checks those claims.
import { hex } from '../../../stack/wire/bytes.ts';
import { ipv6 } from '../../../stack/wire/ipv6-address.ts';

export const EXT_A = hex('00124b0000010203'); // natural order; on air 03 02 01 00 00 4b 12 00
export const EXT_B = hex('00124b0000040506');

/** 802.15.4 PSDUs, FCS included (IEEE 802.15.4-2006 §7.2). */
export const MAC_FRAMES: Record<string, Uint8Array> = {
  // Reference ieee802154-6lowpan.md §3 verified examples.
  ack: hex('02 00 2A E0 3B'), //                          ACK, seq 42, FCS 0x3BE0
  ackPending: hex('12 00 2A 75 BE'), //                   ACK with frame pending, seq 42
  beaconRequest: hex('03 08 01 FF FF FF FF 07 13 2D'), //  command 0x07, seq 1, to PAN/short 0xFFFF
  // Reference §5 worked example: link-local UDP "ping", ports 0xF0B1 → 0xF0B2.
  dataExtExt: hex('61 CC 07 CD AB 06 05 04 00 00 4B 12 00 03 02 01 00 00 4B 12 00 7F 33 F3 12 A1 6C 70 69 6E 67 7D 28'),
  // §7.2.2.1 beacon: superframe 0xCFFF (BO 15, SO 15, final CAP 15, PAN coordinator, association permit),
  // GTS spec 0, pending 0, payload: the 6LoWPAN-ND beacon payload below (protocol 4, accept join + border router, "meshbench").
  beacon: hex('00 80 42 CD AB 00 00 FF CF 00 00 04 03 6D 65 73 68 62 65 6E 63 68 00 00 00 00 00 00 00 DF 57'),
  // §7.2.2.1 beacon with a GTS (slot 14, length 1, device 0x0001, receive) and pending short 0x0002 + long EUI B.
  beaconGts: hex('00 C0 10 34 12 03 02 01 00 00 4B 12 00 46 4A 81 01 01 00 1E 11 02 00 06 05 04 00 00 4B 12 00 AA BB 82 1B'),
  // §7.3.1 association request: capability 0x8E (FFD, mains, RX on when idle, allocate address).
  associationRequest: hex('23 C8 33 CD AB 00 00 FF FF 03 02 01 00 00 4B 12 00 01 8E 1E 9B'),
  // §7.3.8 coordinator realignment, version 2006: PAN 0xABCD, coordinator 0x0000, channel 15, short 0xFFFF, page 0.
  coordinatorRealignment: hex('03 D8 21 FF FF FF FF 34 12 03 02 01 00 00 4B 12 00 08 CD AB 00 00 0F FF FF 00 9A 53'),
  // §7.6.2 aux security header: level 5, key id mode 1, frame counter 258, key index 1.
  securedLevel5: hex('69 D8 05 CE FA 00 1C 03 02 01 00 00 4B 12 00 0D 02 01 00 00 01 DE AD BE EF 01 02 03 04 BB C2'),
  // level 1 (MIC-32), key id mode 2, frame counter 0x01020304, key source 00000001, key index 5.
  securedLevel1: hex('49 98 77 34 12 01 00 02 00 11 04 03 02 01 00 00 00 01 05 68 69 AA BB CC DD E3 4C'),
  // level 6 (ENC-MIC-64), key id mode 3, key source 0102030405060708, key index 0xFF.
  securedLevel6: hex('49 9C 78 34 12 06 05 04 00 00 4B 12 00 02 00 1E 00 00 00 00 01 02 03 04 05 06 07 08 FF 11 22 A1 A2 A3 A4 A5 A6 A7 A8 60 C3'),
};

/** 6LoWPAN ND beacon payload (stack/wire/nd-beacon.ts layout): protocol 4, flags 0x03, network id "meshbench". */
export const ND_BEACON_PAYLOAD = hex('04 03 6D 65 73 68 62 65 6E 63 68 00 00 00 00 00 00 00');

/** 6LoWPAN frames (the MAC payload) from RFC 4944 / RFC 6282 figures, with the link addresses they assume. */
export const LOWPAN: Record<string, Uint8Array> = {
  // RFC 6282 §3.1.1 + §4.3: all addresses from the MAC, NHC UDP P=11, "ping" (reference §5).
  iphcLinkLocal: hex('7f 33 f3 12 a1 6c 70 69 6e 67'),
  // CID, TF=01, NH and HLIM inline, SAC=1 SAM=11, DAC=1 DAM=10; UDP inline.
  iphcContexts: hex('68 f6 12 41 23 45 11 2a 00 02 1633 1633 000c 9b27 70 69 6e 67'),
  // M=1 DAM=11 (ff02::1), SAM=01, TF=10, HLIM=01, NHC UDP P=01.
  iphcMulticast: hex('75 1b 2e 1122334455667788 01 f1 1633 05 0bf3 70 69 6e 67'),
  // DAM=10 (32-bit multicast), TF=00, SAM=10, NHC UDP C=1 P=10.
  iphcElidedChecksum: hex('66 2a 8a 0a bc de 00 42 05 ab cd ef f6 33 1633 70 69 6e 67'),
  // SAC=1 SAM=00 (::) to ff02::1:ff00:1, next header 59.
  iphcUnspecified: hex('7b 49 3b 02 01 ff 00 00 01'),
  // NHC extension: hop-by-hop with the RFC 6553 RPL option, then NHC UDP.
  iphcHopByHop: hex('7f 33 e1 06 63 04 00 1e 03 00 f3 12 a16c 70 69 6e 67'),
  // RFC 4944 §5.2 mesh header (16-bit) + §5.3 FRAG1 + IPHC.
  meshFrag1: hex('b5 0001 0002 c5 00 12 34 7f 33 f3 12 a1 6c'),
  // Mesh header with EUI-64 addresses and deep hops left + FRAGN.
  meshFragN: hex('8f 20 00124b0000010203 00124b0000040506 e5 00 12 34 12 00 01 02 03'),
  // RFC 4944 §11.1 LOWPAN_BC0 then IPHC.
  bc0: hex('50 2a 7b 3b 3b 01'),
};

/** An ICMPv6 message with the addresses its checksum covers. */
export interface Icmpv6Vector {
  src: Uint8Array;
  dst: Uint8Array;
  bytes: Uint8Array;
}

const v = (src: string, dst: string, bytes: string): Icmpv6Vector => ({ src: ipv6(src), dst: ipv6(dst), bytes: hex(bytes) });

/** ICMPv6, 6LoWPAN-ND and RPL messages laid out from the RFC figures (checksums as tshark computes them). */
export const ICMPV6: Record<string, Icmpv6Vector> = {
  // RFC 4443 §4.1: id 0x1234, seq 1, "ping".
  echoRequest: v('fe80::1', 'fe80::2', '80 00 91ae 1234 0001 70696e67'),
  // RFC 4861 §4.1 RS with an RFC 4944 §8 SLLAO (EUI-64 00:12:4b:00:00:01:02:03).
  rs: v('fe80::212:4b00:1:203', 'ff02::2', '85 00 dff8 00000000 01 02 00124b0000010203 000000000000'),
  // RFC 4861 §4.2 RA: hop limit 64, lifetime 1800; PIO /64 A, valid 2592000, preferred 604800, 2001:db8:1::;
  // RFC 6775 §4.2 6CO: context length 64, C=1 CID=1, lifetime 10000; §4.3 ABRO: version 5, lifetime 10000, 2001:db8:1::1.
  ra: v(
    'fe80::1',
    'fe80::212:4b00:1:203',
    '86 00 7eeb 40 00 0708 00000000 00000000' +
      '03 04 40 40 00278d00 00093a80 00000000 20010db8000100000000000000000000' +
      '22 02 40 11 0000 2710 20010db800010000' +
      '23 03 0005 0000 2710 20010db8000100000000000000000001',
  ),
  // RFC 6775 §5.5 NS with ARO (status 0, lifetime 10, EUI-64) and SLLAO.
  nsAro: v('2001:db8:1::212:4b00:1:203', 'fe80::1', '87 00 c42f 00000000 20010db80001000002124b0000010203 21 02 00 000000 000a 00124b0000010203 01 02 00124b0000010203 000000000000'),
  // RFC 6775 §5.5 NA, S flag, ARO status 1 (duplicate).
  naAro: v('fe80::1', '2001:db8:1::212:4b00:1:203', '88 00 d057 40000000 20010db80001000002124b0000010203 21 02 01 000000 000a 00124b0000010203'),
  // RFC 6775 §4.4 DAR (157), status 0, lifetime 10, EUI-64, registered address.
  dar: v('2001:db8:1::2', '2001:db8:1::1', '9d 00 3d3d 00 00 000a 00124b0000010203 20010db80001000002124b0000010203'),
  // RFC 6775 §4.4 DAC (158), status 1.
  dac: v('2001:db8:1::1', '2001:db8:1::2', '9e 00 3b3d 01 00 000a 00124b0000010203 20010db80001000002124b0000010203'),
  // RFC 6550 §6.2 DIS with Pad1 and PadN.
  dis: v('fe80::212:4b00:1:203', 'ff02::1a', '9b 00 1706 00 00 00 01 01 00'),
  // RFC 6550 §6.3 DIO: instance 30, version 240, rank 256, G=1 MOP=1, DTSN 10, DODAGID 2001:db8:1::1;
  // §6.7.6 DODAG configuration: doublings 20, Imin 12, k 10, MaxRankInc 2048, MinHopRankInc 256, OCP 0, lifetime 30 × 60 s;
  // §6.7.10 prefix information: /64, A, 2001:db8:1::.
  dio: v(
    'fe80::1',
    'ff02::1a',
    '9b 01 39d4 1e f0 0100 88 0a 00 00 20010db8000100000000000000000001' +
      '04 0e 00 14 0c 0a 0800 0100 0000 00 1e 003c' +
      '08 1e 40 40 00278d00 00093a80 00000000 20010db8000100000000000000000000',
  ),
  // RFC 6550 §6.4 non-storing DAO: instance 30, K=1, sequence 5; §6.7.7 target /128; §6.7.8 transit, path seq 1, lifetime 30, parent.
  dao: v(
    '2001:db8:1::212:4b00:1:203',
    '2001:db8:1::1',
    '9b 02 e430 1e 80 00 05 05 12 00 80 20010db80001000002124b0000010203 06 14 00 00 01 1e 20010db8000100000000000000000001',
  ),
  // RFC 6550 §6.5 DAO-ACK: instance 30, D=1, sequence 5, status 0, DODAGID.
  daoAck: v('2001:db8:1::1', '2001:db8:1::212:4b00:1:203', '9b 03 68e3 1e 80 05 00 20010db8000100000000000000000001'),
  // RFC 7731 §4.3 MPL Control Message (159) with two §4.4 seed infos: min-seqno 5, bm-len 1, S=0 (the source
  // fe80::1 is the seed), bitmap 0xa0 (5 and 7); min-seqno 254, bm-len 1, S=3, seed 2001:db8:1::2, bitmap 0xc0 (254, 255).
  mplControl: v('fe80::1', 'ff02::fc', '9f 00 f839 05 04 a0 fe 07 20010db8000100000000000000000002 c0'),
};

/** RFC 8200 §3 IPv6 header + RFC 6554 §3 source routing header (CmprI 15, CmprE 15, 2 addresses). */
export const IPV6_SRH = hex('60000000 0010 2b 40 20010db8000100000000000000000001 20010db8000100000000000000000002 3b 01 03 02 ff 60 0000 03 04 000000000000');
/** RFC 8200 §4.3 hop-by-hop header with the RFC 6553 RPL option (instance 0x1e, rank 0x0300). */
export const HOP_BY_HOP = hex('11 00 63 04 00 1e 03 00');

/**
 * MLE messages in the clear (command + TLVs), Thread 1.1 §4.4 / §4.5. The Advertisement is the
 * Thread 1.1 §7.1.4 vector of OpenThread's test_crypto.py; the others follow the TLV layouts
 * field by field (OpenThread mle_tlvs.hpp).
 */
export const MLE_MESSAGES: Record<string, Uint8Array> = {
  // Advertisement: Source Address 0x0000; Route64 ID seq 143, routers 0 and 49; Leader Data partition 0x655e0f83,
  // weighting 64, data version 199, stable 131, leader 49.
  advertisement: hex('04 00 02 0000 09 0b 8f 8000000000004000 01 f1 0b 08 655e0f83 40 c7 83 31'),
  // Parent Request: Mode R S D N (0x0f), Challenge 0102030405060708, Scan Mask routers (0x80), Version 4.
  parentRequest: hex('09 01 01 0f 03 08 0102030405060708 0e 01 80 12 02 0004'),
  // Parent Response: link frame counter 16, MLE frame counter 32, Response a1a2a3a4, Link Margin 30,
  // Connectivity: priority low, LQ3 2, LQ2 1, LQ1 0, leader cost 1, ID seq 143, active routers 3.
  parentResponse: hex('0a 05 04 00000010 08 04 00000020 04 04 a1a2a3a4 10 01 1e 0f 07 c0 02 01 00 01 8f 03'),
  // Child ID Request: Timeout 240; Address Registration (context 0 IID 1122334455667788, fd00:db8::1);
  // TLV Request Address16, Network Data, Route64; Active Timestamp 1 s.
  childIdRequest: hex('0b 02 04 000000f0 13 1a 80 1122334455667788 00 fd000db8000000000000000000000001 0d 03 0a 0c 09 16 08 000000000001 0003'),
};

/** MLE UDP payloads: suite, aux header, ciphertext, MIC (Thread 1.1 §7.1.4 vector) and a Discovery Request in the clear. */
export const MLE_FRAMES: Record<string, Uint8Array> = {
  securedAdvertisement: hex('00 15 15000400 00000000 01 9a5a9a5bba259c5e58a27e7574ef79bc4fa3f9aea834f6f237219360 e1b5a253'),
  discoveryRequest: hex('ff 10 1a 00'),
};
