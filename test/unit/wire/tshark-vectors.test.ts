// The wire vectors through Wireshark's own dissectors: each 802.15.4 frame, 6LoWPAN
// frame, ICMPv6/ND/RPL message and MLE message of vectors.ts goes into a pcap
// (LINKTYPE_IEEE802_15_4_WITHFCS, 195), wrapped where needed in a MAC header and an
// IPHC header laid out by hand from RFC 6282 (not by our compressor), tshark decodes
// it, and what each vector's comments claim is checked field by field, with no
// malformed frame and no expert info at warning level or above.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex, toHex } from '../../../stack/wire/bytes.ts';
import { crc16Kermit } from '../../../stack/wire/crc.ts';
import { decodeFrames, EXPERT_WARNING } from '../../support/tshark.ts';
import { tsharkOrSkip } from '../../support/tools.ts';
import { ICMPV6, LOWPAN, MAC_FRAMES, MLE_FRAMES, MLE_MESSAGES, ND_BEACON_PAYLOAD, type Icmpv6Vector } from './vectors.ts';

/** Fields every frame is checked with: FCS, malformed, expert severity. */
const HEALTH = ['frame.protocols', 'wpan.fcs_ok', '_ws.malformed', '_ws.expert.severity', '_ws.expert.message'];
/** IPHC contexts the 6LoWPAN vectors use (tshark's 6lowpan.contextN preferences). */
const CONTEXTS = ['-o', '6lowpan.context0:2001:db8:1::/64', '-o', '6lowpan.context1:2001:db8:1::/64', '-o', '6lowpan.context2:2001:db8:2::/64'];
/** ... and UDP checksums verified. */
const CONTEXT_PREFS = [...CONTEXTS, '-o', 'udp.check_checksum:TRUE'];

/** A PSDU: `header` then `payload`, FCS appended (IEEE 802.15.4-2006 §7.2.1.9, CRC-16/KERMIT, low byte first). */
function psdu(header: string, payload: Uint8Array): Uint8Array {
  const h = hex(header);
  const out = new Uint8Array(h.length + payload.length + 2);
  out.set(h);
  out.set(payload, h.length);
  const fcs = crc16Kermit(out, 0, out.length - 2);
  out[out.length - 2] = fcs & 0xff;
  out[out.length - 1] = fcs >> 8;
  return out;
}

// Data frames (§7.2.2.2), PAN 0xABCD, PAN ID compression, sequence 1.
const EXT_A_ON_AIR = '03 02 01 00 00 4B 12 00'; // 00:12:4b:00:00:01:02:03, reversed
const EXT_B_ON_AIR = '06 05 04 00 00 4B 12 00';
const DATA_EXT_EXT = `41 CC 01 CD AB ${EXT_B_ON_AIR} ${EXT_A_ON_AIR}`; //  FCF 0xCC41: data, PAN ID compression, dst ext, src ext
const DATA_EXT_BCAST = `41 C8 01 CD AB FF FF ${EXT_A_ON_AIR}`; //        FCF 0xC841: dst short 0xFFFF, src ext
const DATA_SHORT_SHORT = (src: number, dst: number): string => `41 88 01 CD AB ${le16(dst)} ${le16(src)}`; // FCF 0x8841: short/short

function le16(v: number): string {
  return `${(v & 0xff).toString(16).padStart(2, '0')} ${(v >> 8).toString(16).padStart(2, '0')}`;
}

/**
 * RFC 6282 §3.1.1 IPHC for an uncompressed next header: TF=11, NH=0, HLIM=11 (255), no
 * contexts. A link-local address goes as SAM/DAM=01 (its IID inline), ff02::XX as
 * M=1 DAM=11 (one byte), anything else in full (00).
 */
function iphc(src: Uint8Array, dst: Uint8Array, nextHeader: number): Uint8Array {
  const linkLocal = (a: Uint8Array): boolean => a[0] === 0xfe && a[1] === 0x80 && a.subarray(2, 8).every((b) => b === 0);
  const out: number[] = [0x7b, 0x00, nextHeader];
  if (linkLocal(src)) {
    out[1]! |= 0x10; // SAM=01
    out.push(...src.subarray(8));
  } else out.push(...src);
  if (dst[0] === 0xff && dst[1] === 0x02 && dst.subarray(2, 15).every((b) => b === 0)) {
    out[1]! |= 0x0b; // M=1 DAM=11
    out.push(dst[15]!);
  } else if (linkLocal(dst)) {
    out[1]! |= 0x01; // DAM=01
    out.push(...dst.subarray(8));
  } else out.push(...dst);
  return Uint8Array.from(out);
}

function icmpFrame(v: Icmpv6Vector): Uint8Array {
  const head = iphc(v.src, v.dst, 58);
  const payload = new Uint8Array(head.length + v.bytes.length);
  payload.set(head);
  payload.set(v.bytes, head.length);
  return psdu(DATA_SHORT_SHORT(1, 2), payload);
}

/** An MLE UDP payload from fe80::1 to ff02::1, port 19788 both ways, UDP checksum left for tshark to verify. */
function mleFrame(mle: Uint8Array): Uint8Array {
  const src = hex('fe800000000000000000000000000001');
  const dst = hex('ff020000000000000000000000000001');
  const udp = new Uint8Array(8 + mle.length);
  const v = new DataView(udp.buffer);
  v.setUint16(0, 19788); // MLE port (Thread 1.1 §4.2)
  v.setUint16(2, 19788);
  v.setUint16(4, udp.length);
  udp.set(mle, 8);
  // RFC 8200 §8.1 checksum over the pseudo-header, written out here.
  const pseudo = new Uint8Array(40 + udp.length + (udp.length & 1));
  pseudo.set(src, 0);
  pseudo.set(dst, 16);
  new DataView(pseudo.buffer).setUint32(32, udp.length);
  pseudo[39] = 17;
  pseudo.set(udp, 40);
  let sum = 0;
  for (let i = 0; i < pseudo.length; i += 2) sum += (pseudo[i]! << 8) | pseudo[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(6, ~sum & 0xffff || 0xffff);
  const head = iphc(src, dst, 17);
  const payload = new Uint8Array(head.length + udp.length);
  payload.set(head);
  payload.set(udp, head.length);
  return psdu(DATA_EXT_BCAST, payload);
}

interface Case {
  name: string;
  frame: Uint8Array;
  claims: Record<string, string>;
  /** Expert infos expected (the payload is opaque by design), matched exactly. */
  expectedExpert?: string;
}

const MAC_CASES: Case[] = [
  { name: 'ACK, seq 42', frame: MAC_FRAMES.ack!, claims: { 'wpan.frame_type': '0x0002', 'wpan.seq_no': '42', 'wpan.pending': '0' } },
  { name: 'ACK with frame pending', frame: MAC_FRAMES.ackPending!, claims: { 'wpan.frame_type': '0x0002', 'wpan.seq_no': '42', 'wpan.pending': '1' } },
  { name: 'beacon request', frame: MAC_FRAMES.beaconRequest!, claims: { 'wpan.frame_type': '0x0003', 'wpan.seq_no': '1', 'wpan.dst_pan': '0xffff', 'wpan.dst16': '0xffff', 'wpan.cmd': '0x07' } },
  {
    name: 'data, ext/ext, reference §5 "ping"',
    frame: MAC_FRAMES.dataExtExt!,
    claims: { 'wpan.frame_type': '0x0001', 'wpan.seq_no': '7', 'wpan.dst_pan': '0xabcd', 'wpan.dst64': '00:12:4b:00:00:04:05:06', 'wpan.src64': '00:12:4b:00:00:01:02:03', 'udp.srcport': '61617', 'udp.dstport': '61618', 'udp.checksum.status': '1' },
  },
  {
    name: 'beacon carrying the 6LoWPAN-ND beacon payload',
    frame: MAC_FRAMES.beacon!,
    claims: { 'wpan.frame_type': '0x0000', 'wpan.seq_no': '66', 'wpan.src_pan': '0xabcd', 'wpan.src16': '0x0000', 'wpan.beacon_order': '15', 'wpan.superframe_order': '15', 'wpan.gts.count': '0', 'data.data': toHex(ND_BEACON_PAYLOAD) },
  },
  {
    name: 'beacon with a GTS and pending addresses',
    frame: MAC_FRAMES.beaconGts!,
    claims: { 'wpan.frame_type': '0x0000', 'wpan.seq_no': '16', 'wpan.beacon_order': '6', 'wpan.superframe_order': '4', 'wpan.gts.count': '1', 'wpan.gts.permit': '1', 'wpan.gts.address': '0x0001', 'wpan.pending16': '0x0002', 'wpan.pending64': '00:12:4b:00:00:04:05:06' },
  },
  { name: 'association request', frame: MAC_FRAMES.associationRequest!, claims: { 'wpan.frame_type': '0x0003', 'wpan.seq_no': '51', 'wpan.cmd': '0x01', 'wpan.src64': '00:12:4b:00:00:01:02:03', 'wpan.dst16': '0x0000' } },
  { name: 'coordinator realignment', frame: MAC_FRAMES.coordinatorRealignment!, claims: { 'wpan.frame_type': '0x0003', 'wpan.seq_no': '33', 'wpan.cmd': '0x08' } },
  {
    name: 'secured, level 5, key id mode 1',
    frame: MAC_FRAMES.securedLevel5!,
    claims: { 'wpan.aux_sec.sec_level': '0x05', 'wpan.aux_sec.key_id_mode': '0x01', 'wpan.aux_sec.frame_counter': '258', 'wpan.aux_sec.key_index': '0x01', 'wpan.dst16': '0x1c00', 'wpan.dst_pan': '0xface' },
    expectedExpert: "No encryption key set - can't decrypt",
  },
  {
    name: 'secured, level 1, key id mode 2',
    frame: MAC_FRAMES.securedLevel1!,
    claims: { 'wpan.aux_sec.sec_level': '0x01', 'wpan.aux_sec.key_id_mode': '0x02', 'wpan.aux_sec.frame_counter': '16909060', 'wpan.aux_sec.key_index': '0x05' },
    expectedExpert: "No encryption key set - can't decrypt",
  },
  {
    name: 'secured, level 6, key id mode 3',
    frame: MAC_FRAMES.securedLevel6!,
    claims: { 'wpan.aux_sec.sec_level': '0x06', 'wpan.aux_sec.key_id_mode': '0x03', 'wpan.aux_sec.frame_counter': '0', 'wpan.aux_sec.key_index': '0xff' },
    expectedExpert: "No encryption key set - can't decrypt",
  },
];

const LOWPAN_CASES: Case[] = [
  { name: 'IPHC link-local UDP', frame: psdu(DATA_EXT_EXT, LOWPAN.iphcLinkLocal!), claims: { 'ipv6.src': 'fe80::212:4b00:1:203', 'ipv6.dst': 'fe80::212:4b00:4:506', 'ipv6.hlim': '255', 'udp.srcport': '61617', 'udp.dstport': '61618', 'udp.checksum.status': '1' } },
  {
    name: 'IPHC with contexts, TF=01',
    frame: psdu(DATA_SHORT_SHORT(1, 3), LOWPAN.iphcContexts!),
    claims: { 'ipv6.src': '2001:db8:1::ff:fe00:1', 'ipv6.dst': '2001:db8:2::ff:fe00:2', 'ipv6.flow': '0x012345', 'ipv6.hlim': '42', 'udp.dstport': '5683', 'udp.checksum.status': '1' },
  },
  { name: 'IPHC multicast ff02::1', frame: psdu(DATA_EXT_BCAST, LOWPAN.iphcMulticast!), claims: { 'ipv6.src': 'fe80::1122:3344:5566:7788', 'ipv6.dst': 'ff02::1', 'ipv6.tclass': '0x000000b8', 'udp.dstport': '61445', 'udp.checksum.status': '1' } },
  { name: 'IPHC unspecified source', frame: psdu(DATA_EXT_BCAST, LOWPAN.iphcUnspecified!), claims: { 'ipv6.src': '::', 'ipv6.dst': 'ff02::1:ff00:1', 'ipv6.nxt': '59' } },
  { name: 'NHC hop-by-hop with the RPL option', frame: psdu(DATA_EXT_EXT, LOWPAN.iphcHopByHop!), claims: { 'ipv6.nxt': '0', 'ipv6.opt.rpl.instance_id': '0x1e', 'ipv6.opt.rpl.sender_rank': '0x0300', 'udp.srcport': '61617', 'udp.checksum.status': '1' } },
  { name: 'mesh header + FRAG1', frame: psdu(DATA_EXT_EXT, LOWPAN.meshFrag1!), claims: { '6lowpan.mesh.hops': '5', '6lowpan.mesh.orig16': '0x0001', '6lowpan.mesh.dest16': '0x0002', '6lowpan.frag.size': '1280', '6lowpan.frag.tag': '0x1234' } },
  { name: 'mesh header (EUI-64, deep hops) + FRAGN', frame: psdu(DATA_EXT_EXT, LOWPAN.meshFragN!), claims: { '6lowpan.mesh.hops8': '32', '6lowpan.mesh.orig64': '0x00124b0000010203', '6lowpan.mesh.dest64': '0x00124b0000040506', '6lowpan.frag.offset': '144' } },
  { name: 'BC0 then IPHC', frame: psdu(DATA_EXT_BCAST, LOWPAN.bc0!), claims: { '6lowpan.bcast.seqnum': '42', 'ipv6.dst': 'ff02::1' } },
];

// An elided UDP checksum (RFC 6282 §4.3.2): tshark fills in no value, so it is decoded without checksum checking.
const ELIDED_CHECKSUM_CASES: Case[] = [
  { name: 'IPHC 32-bit multicast, elided UDP checksum', frame: psdu(DATA_EXT_BCAST, LOWPAN.iphcElidedChecksum!), claims: { 'ipv6.src': 'fe80::ff:fe00:42', 'ipv6.dst': 'ff05::ab:cdef', 'ipv6.flow': '0x0abcde', 'udp.srcport': '61491', 'udp.dstport': '5683' } },
];

const ICMP_CASES: Case[] = [
  { name: 'echo request', frame: icmpFrame(ICMPV6.echoRequest!), claims: { 'icmpv6.type': '128', 'icmpv6.echo.identifier': '0x1234', 'icmpv6.echo.sequence_number': '1' } },
  { name: 'RS with SLLAO', frame: icmpFrame(ICMPV6.rs!), claims: { 'icmpv6.type': '133', 'icmpv6.opt.type': '1', 'icmpv6.opt.src_linkaddr_eui64': '00:12:4b:00:00:01:02:03' } },
  {
    name: 'RA with PIO, 6CO, ABRO',
    frame: icmpFrame(ICMPV6.ra!),
    claims: {
      'icmpv6.type': '134',
      'icmpv6.nd.ra.cur_hop_limit': '64',
      'icmpv6.nd.ra.router_lifetime': '1800',
      'icmpv6.opt.prefix': '2001:db8:1::',
      'icmpv6.opt.prefix.length': '64',
      'icmpv6.opt.prefix.flag.a': '1',
      'icmpv6.opt.prefix.valid_lifetime': '2592000',
      'icmpv6.opt.prefix.preferred_lifetime': '604800',
      'icmpv6.opt.6co.context_length': '64',
      'icmpv6.opt.6co.flag.c': '1',
      'icmpv6.opt.6co.flag.cid': '1',
      'icmpv6.opt.6co.valid_lifetime': '10000',
      'icmpv6.opt.abro.version_low': '5',
      'icmpv6.opt.abro.valid_lifetime': '10000',
      'icmpv6.opt.abro.6lbr_address': '2001:db8:1::1',
    },
  },
  { name: 'NS with ARO', frame: icmpFrame(ICMPV6.nsAro!), claims: { 'icmpv6.type': '135', 'icmpv6.nd.ns.target_address': '2001:db8:1:0:212:4b00:1:203', 'icmpv6.opt.aro.status': '0', 'icmpv6.opt.aro.registration_lifetime': '10', 'icmpv6.opt.aro.eui64': '00:12:4b:00:00:01:02:03' } },
  { name: 'NA with ARO duplicate', frame: icmpFrame(ICMPV6.naAro!), claims: { 'icmpv6.type': '136', 'icmpv6.nd.na.flag.s': '1', 'icmpv6.nd.na.flag.r': '0', 'icmpv6.opt.aro.status': '1' } },
  { name: 'DAR', frame: icmpFrame(ICMPV6.dar!), claims: { 'icmpv6.type': '157', 'icmpv6.6lowpannd.da.status': '0', 'icmpv6.6lowpannd.da.lifetime': '10', 'icmpv6.6lowpannd.da.eui64': '00:12:4b:00:00:01:02:03', 'icmpv6.6lowpannd.da.reg_addr': '2001:db8:1:0:212:4b00:1:203' } },
  { name: 'DAC', frame: icmpFrame(ICMPV6.dac!), claims: { 'icmpv6.type': '158', 'icmpv6.6lowpannd.da.status': '1' } },
  { name: 'RPL DIS', frame: icmpFrame(ICMPV6.dis!), claims: { 'icmpv6.type': '155', 'icmpv6.code': '0' } },
  {
    name: 'RPL DIO with configuration and prefix',
    frame: icmpFrame(ICMPV6.dio!),
    claims: {
      'icmpv6.code': '1',
      'icmpv6.rpl.dio.instance': '30',
      'icmpv6.rpl.dio.version': '240',
      'icmpv6.rpl.dio.rank': '256',
      'icmpv6.rpl.dio.flag.g': '1',
      'icmpv6.rpl.dio.flag.mop': '0x01',
      'icmpv6.rpl.dio.dtsn': '10',
      'icmpv6.rpl.dio.dagid': '2001:db8:1::1',
      'icmpv6.rpl.opt.config.interval_double': '20',
      'icmpv6.rpl.opt.config.interval_min': '12',
      'icmpv6.rpl.opt.config.redundancy': '10',
      'icmpv6.rpl.opt.config.max_rank_inc': '2048',
      'icmpv6.rpl.opt.config.min_hop_rank_inc': '256',
      'icmpv6.rpl.opt.config.def_lifetime': '30',
      'icmpv6.rpl.opt.config.lifetime_unit': '60',
      'icmpv6.rpl.opt.prefix.length': '64',
      'icmpv6.rpl.opt.prefix.valid_lifetime': '2592000',
    },
  },
  {
    name: 'RPL DAO, non-storing',
    frame: icmpFrame(ICMPV6.dao!),
    claims: { 'icmpv6.code': '2', 'icmpv6.rpl.dao.instance': '30', 'icmpv6.rpl.dao.flag.k': '1', 'icmpv6.rpl.dao.sequence': '5', 'icmpv6.rpl.opt.target.prefix_length': '128', 'icmpv6.rpl.opt.transit.pathseq': '1', 'icmpv6.rpl.opt.transit.pathlifetime': '30', 'icmpv6.rpl.opt.transit.parent': '2001:db8:1::1' },
  },
  {
    name: 'MPL control',
    frame: icmpFrame(ICMPV6.mplControl!),
    claims: {
      'icmpv6.type': '159',
      'icmpv6.mpl.seed_info.min_sequence': '5,254',
      'icmpv6.mpl.seed_info.bm_len': '1,1',
      'icmpv6.mpl.seed_info.s': '0,3',
      'icmpv6.mpl.seed_info.sequence': '5,7,254,255',
    },
  },
  { name: 'RPL DAO-ACK', frame: icmpFrame(ICMPV6.daoAck!), claims: { 'icmpv6.code': '3', 'icmpv6.rpl.daoack.instance': '30', 'icmpv6.rpl.daoack.flag.d': '1', 'icmpv6.rpl.daoack.sequence': '5', 'icmpv6.rpl.daoack.status': '0', 'icmpv6.rpl.daoack.dodagid': '2001:db8:1::1' } },
];

const MLE_CASES: Case[] = [
  {
    name: 'Advertisement (Thread 1.1 §7.1.4 vector)',
    frame: mleFrame(Uint8Array.of(0xff, ...MLE_MESSAGES.advertisement!)),
    claims: { 'mle.cmd': '4', 'mle.tlv.source_addr': '0000', 'mle.tlv.route64.id_seq': '143', 'mle.tlv.leader_data.partition_id': '0x655e0f83', 'mle.tlv.leader_data.weighting': '64', 'mle.tlv.leader_data.data_version': '199', 'mle.tlv.leader_data.stable_data_version': '131', 'mle.tlv.leader_data.router_id': '49' },
  },
  {
    name: 'Parent Request',
    frame: mleFrame(Uint8Array.of(0xff, ...MLE_MESSAGES.parentRequest!)),
    claims: { 'mle.cmd': '9', 'mle.tlv.type': '1,3,14,18', 'mle.tlv.mode.idle_rx': '1', 'mle.tlv.mode.nwk_data': '1', 'mle.tlv.challenge': '0102030405060708', 'mle.tlv.scan_mask.r': '1', 'mle.tlv.scan_mask.e': '0', 'mle.tlv.version': '4' },
  },
  {
    name: 'Parent Response',
    frame: mleFrame(Uint8Array.of(0xff, ...MLE_MESSAGES.parentResponse!)),
    claims: { 'mle.cmd': '10', 'mle.tlv.ll_frm_cntr': '16', 'mle.tlv.mle_frm_cntr': '32', 'mle.tlv.response': 'a1a2a3a4', 'mle.tlv.link_margin': '30', 'mle.tlv.conn.lq3': '2', 'mle.tlv.conn.lq2': '1', 'mle.tlv.conn.lq1': '0', 'mle.tlv.conn.leader_cost': '1', 'mle.tlv.conn.id_seq': '143', 'mle.tlv.conn.active_rtrs': '3' },
  },
  {
    name: 'Child ID Request',
    frame: mleFrame(Uint8Array.of(0xff, ...MLE_MESSAGES.childIdRequest!)),
    claims: { 'mle.cmd': '11', 'mle.tlv.timeout': '240', 'mle.tlv.addr_reg_iid': '1122334455667788', 'mle.tlv.addr_reg_ipv6': 'fd00:db8::1' },
  },
  { name: 'Discovery Request in the clear', frame: mleFrame(MLE_FRAMES.discoveryRequest!), claims: { 'mle.cmd': '16', 'mle.tlv.type': '26' } },
];

describe('the wire vectors through tshark', function () {
  this.timeout(120_000);
  let tshark = '';
  let dir = '';

  before(async function () {
    tshark = await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'meshbench-wire-tshark-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [family, cases, prefs] of [
    ['802.15.4 frames', MAC_CASES, CONTEXT_PREFS],
    ['6LoWPAN frames', LOWPAN_CASES, CONTEXT_PREFS],
    ['6LoWPAN frame with an elided UDP checksum', ELIDED_CHECKSUM_CASES, CONTEXTS],
    ['ICMPv6, 6LoWPAN-ND and RPL messages', ICMP_CASES, CONTEXT_PREFS],
    ['MLE messages', MLE_CASES, CONTEXT_PREFS],
  ] as const) {
    it(`${family}: every field a vector claims, FCS good, nothing malformed, no expert warning`, async () => {
      const fields = [...new Set([...HEALTH, ...cases.flatMap((c) => Object.keys(c.claims))])];
      const rows = await decodeFrames(tshark, join(dir, `${family.split(' ')[0]}.pcap`), cases.map((c) => c.frame), fields, [...prefs]);
      expect(rows).to.have.length(cases.length);
      // Every disagreement at once, so one run shows them all.
      const wrong: string[] = [];
      cases.forEach((c, i) => {
        const row = rows[i]!;
        const where = `${c.name} (${row['frame.protocols']})`;
        if (!/^(1|True)$/.test(row['wpan.fcs_ok']!)) wrong.push(`${where}: FCS ${row['wpan.fcs_ok']}`);
        if (row['_ws.malformed'] !== '') wrong.push(`${where}: malformed`);
        const warnings = row['_ws.expert.severity']!.split(',').filter((x) => x !== '' && Number(x) >= EXPERT_WARNING);
        if (c.expectedExpert ? row['_ws.expert.message'] !== c.expectedExpert : warnings.length > 0) wrong.push(`${where}: expert infos ${row['_ws.expert.message']}`);
        for (const [field, value] of Object.entries(c.claims)) if (row[field] !== value) wrong.push(`${where}: ${field} is ${row[field]}, the vector says ${value}`);
      });
      expect(wrong).to.deep.equal([]);
    });
  }
});
