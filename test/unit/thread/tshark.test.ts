// Cross-check with Wireshark's dissectors: what we secure (an MLE Advertisement,
// a MAC-secured data frame), carried in hand-assembled 802.15.4 / 6LoWPAN / IPv6 /
// UDP frames, must decrypt in tshark given the network key, and must not with
// another key. tshark is installed where missing (skipped, saying why, where it cannot be).
import { expect } from 'chai';
import { execa } from 'execa';
import { tsharkOrSkip } from '../../support/tools.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex } from '../../../stack/wire/bytes.ts';
import { KeyManager } from '../../../stack/thread/keys.ts';
import { secureMle } from '../../../stack/thread/mle-security.ts';
import { secureMacPayload } from '../../../stack/mac/frame-security.ts';

const NETWORK_KEY = '00112233445566778899aabbccddeeff';
const SRC = hex('fe80 0000 0000 0000 0235 cc94 d77a 07e8'); // fe80::235:cc94:d77a:7e8
const DST = hex('ff02 0000 0000 0000 0000 0000 0000 0002'); // ff02::2
const ADVERTISEMENT = hex('04 0002 0000 090b 8f 8000000000004000 01f1 0b08 655e0f83 40 c7 83 31');

/** RFC 8200 §8.1 upper-layer checksum over the IPv6 pseudo-header (RFC 768 for UDP). */
function udpChecksum(src: Uint8Array, dst: Uint8Array, udp: Uint8Array): number {
  const pseudo = new Uint8Array(40 + udp.length + (udp.length & 1));
  pseudo.set(src, 0);
  pseudo.set(dst, 16);
  new DataView(pseudo.buffer).setUint32(32, udp.length); // upper-layer packet length
  pseudo[39] = 17; //                                        next header: UDP
  pseudo.set(udp, 40);
  let sum = 0;
  for (let i = 0; i < pseudo.length; i += 2) sum += ((pseudo[i] ?? 0) << 8) | (pseudo[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  return c === 0 ? 0xffff : c;
}

function frameWith(mlePayload: Uint8Array): Uint8Array {
  const udp = new Uint8Array(8 + mlePayload.length);
  const v = new DataView(udp.buffer);
  v.setUint16(0, 19788); //             source port: MLE
  v.setUint16(2, 19788); //             destination port: MLE
  v.setUint16(4, udp.length); //        length
  udp.set(mlePayload, 8);
  v.setUint16(6, udpChecksum(SRC, DST, udp));
  const mac = hex(
    '41 c8' + //                    FCF 0xc841: data, no security, PAN ID compression, dst short, src ext (2003)
      '01' + //                     sequence number
      'ce fa' + //                  destination PAN 0xface
      'ff ff' + //                  destination 0xffff (broadcast)
      'e8 07 7a d7 94 cc 35 00', // source ext 0035cc94d77a07e8, little-endian
  );
  const lowpan = hex(
    '7b' + //   IPHC 011 TF=11 (elided) NH=0 (inline) HLIM=11 (255)
      '3b' + // CID=0 SAC=0 SAM=11 (from MAC: fe80::235:cc94:d77a:7e8) M=1 DAC=0 DAM=11 (ff02::XX)
      '11' + // next header: UDP
      '02', //  destination ff02::2
  );
  const out = new Uint8Array(mac.length + lowpan.length + udp.length);
  out.set(mac, 0);
  out.set(lowpan, mac.length);
  out.set(udp, mac.length + lowpan.length);
  return out;
}

/** pcap-savefile(5): little-endian, µs timestamps, LINKTYPE_IEEE802_15_4_NOFCS (230). */
function pcapOf(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(24 + 16 + frame.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true); // magic, µs
  v.setUint16(4, 2, true); //          version 2.4
  v.setUint16(6, 4, true);
  v.setUint32(16, 65535, true); //     snaplen
  v.setUint32(20, 230, true); //       LINKTYPE_IEEE802_15_4_NOFCS
  v.setUint32(32, frame.length, true); // captured length (timestamp 0)
  v.setUint32(36, frame.length, true); // original length
  out.set(frame, 40);
  return out;
}

async function decode(pcap: string, networkKey: string, fields: string[]): Promise<Record<string, string>> {
  // Settings of OpenThread's pktverify WIRESHARK_OVERRIDE_PREFS.
  const r = await execa('tshark', [
    '-r', pcap,
    '-o', `uat:ieee802154_keys:"${networkKey}","1","Thread hash"`,
    '-o', 'wpan.802154_sec_suite:AES-128 Encryption, 32-bit Integrity Protection',
    '-o', 'thread.thr_seq_ctr:00000000',
    '-o', 'udp.check_checksum:TRUE',
    '-T', 'fields', ...fields.flatMap((f) => ['-e', f]),
  ], { reject: false, all: true });
  expect(r.exitCode, r.all).to.equal(0);
  const values = r.stdout.replace(/\n$/, '').split('\t');
  return Object.fromEntries(fields.map((f, i) => [f, values[i] ?? '']));
}

const MLE_FIELDS = ['mle.cmd', 'mle.tlv.type', 'mle.tlv.leader_data.partition_id', 'mle.tlv.route64.id_seq', 'udp.checksum.status'];

describe('MLE security against tshark (Wireshark packet-mle.c)', function () {
  this.timeout(30_000);
  let dir: string;
  let pcap: string;

  before(async function () {
    await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'mle-tshark-'));
    pcap = join(dir, 'advertisement.pcap');
    const keys = new KeyManager(hex(NETWORK_KEY), 0);
    const payload = secureMle(ADVERTISEMENT, {
      source: SRC,
      destination: DST,
      keySequence: 0,
      frameCounter: 262165,
      mleKey: keys.current.mleKey,
    });
    writeFileSync(pcap, pcapOf(frameWith(payload)));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('decodes the command as Advertisement (4) and its TLVs with the network key', async () => {
    const d = await decode(pcap, NETWORK_KEY, MLE_FIELDS);
    expect(d['mle.cmd']).to.equal('4');
    expect(d['mle.tlv.type']).to.equal('0,9,11'); // Source Address, Route64, Leader Data
    expect(d['mle.tlv.leader_data.partition_id']).to.equal('0x655e0f83');
    expect(d['mle.tlv.route64.id_seq']).to.equal('143');
    expect(d['udp.checksum.status']).to.equal('1'); // good: the frame around it is sound
  });

  it('does not decode the command with another key', async () => {
    const d = await decode(pcap, 'ffeeddccbbaa99887766554433221100', MLE_FIELDS);
    expect(d['mle.cmd']).to.equal('');
    expect(d['mle.tlv.type']).to.equal('');
  });
});

// A MAC-secured data frame as Thread sends one: level 5, key ID mode 1, key index
// (seq & 0x7f) + 1, MAC key of key sequence 0, carrying a small UDP datagram.
function macSecuredFrame(macKey: Uint8Array): Uint8Array {
  const dst = hex('ff02 0000 0000 0000 0000 0000 0000 0001'); // ff02::1
  const udp = new Uint8Array(8 + 5);
  const v = new DataView(udp.buffer);
  v.setUint16(0, 5683); //            source port
  v.setUint16(2, 5683); //            destination port
  v.setUint16(4, udp.length); //      length
  udp.set(new TextEncoder().encode('hello'), 8);
  v.setUint16(6, udpChecksum(SRC, dst, udp));
  const header = hex(
    '49 d8' + //                    FCF 0xd849: data, security enabled, PAN ID compression, dst short, 2006, src ext
      '02' + //                     sequence number
      'ce fa' + //                  destination PAN 0xface
      'ff ff' + //                  destination 0xffff (broadcast)
      'e8 07 7a d7 94 cc 35 00' + // source ext 0035cc94d77a07e8, little-endian
      '0d' + //                     security control: level 5, key ID mode 1
      '2a 00 00 00' + //            frame counter 42, little-endian
      '01', //                      key index (0 & 0x7f) + 1
  );
  const lowpan = hex(
    '7b' + //   IPHC 011 TF=11 NH=0 HLIM=11 (255)
      '3b' + // SAM=11 (from MAC) M=1 DAM=11 (ff02::XX)
      '11' + // next header: UDP
      '01', //  destination ff02::1
  );
  const payload = new Uint8Array(lowpan.length + udp.length);
  payload.set(lowpan, 0);
  payload.set(udp, lowpan.length);
  const secured = secureMacPayload(header, payload, {
    key: macKey,
    extAddress: hex('0035cc94d77a07e8'),
    frameCounter: 42,
    securityLevel: 5,
  });
  const out = new Uint8Array(header.length + secured.length);
  out.set(header, 0);
  out.set(secured, header.length);
  return out;
}

const MAC_FIELDS = ['wpan.aux_sec.sec_level', 'ipv6.dst', 'udp.dstport', 'udp.length', 'udp.checksum.status'];

describe('MAC frame security against tshark (Wireshark packet-ieee802154.c)', function () {
  this.timeout(30_000);
  let dir: string;
  let pcap: string;

  before(async function () {
    await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'mac-tshark-'));
    pcap = join(dir, 'secured-data.pcap');
    writeFileSync(pcap, pcapOf(macSecuredFrame(new KeyManager(hex(NETWORK_KEY), 0).current.macKey)));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('decrypts the payload with the network key', async () => {
    const d = await decode(pcap, NETWORK_KEY, MAC_FIELDS);
    expect(d['wpan.aux_sec.sec_level']).to.equal('0x05');
    expect(d['ipv6.dst']).to.equal('ff02::1');
    expect(d['udp.dstport']).to.equal('5683');
    expect(d['udp.checksum.status']).to.equal('1');
    expect(d['udp.length']).to.equal('13'); // 8 + "hello"
  });

  it('stops at the aux header with another key', async () => {
    const d = await decode(pcap, 'ffeeddccbbaa99887766554433221100', MAC_FIELDS);
    expect(d['wpan.aux_sec.sec_level']).to.equal('0x05');
    expect(d['ipv6.dst']).to.equal('');
  });
});
