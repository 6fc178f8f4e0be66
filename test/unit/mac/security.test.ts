// The MAC's own frame security (IEEE 802.15.4-2006 §7.5.8.2), as a 6LoWPAN-ND PSK
// network uses it: every data frame secured with one key, key ID mode 1, a frame
// counter per frame, replayed and foreign frames dropped. On-air bytes are checked
// field by field against §7.2.1 / §7.6.2, and the MIC with node:crypto's own CCM
// (nonce and authenticated data built here from Annex B.4.1.2, not by the stack).
import { createDecipheriv } from 'node:crypto';
import { expect } from 'chai';
import { Mac } from '../../../stack/mac/mac.ts';
import type { MacDataIndication, MacTxStatus } from '../../../stack/mac/api.ts';
import { initialFrameCounter, type MacKeyConfig } from '../../../stack/mac/security.ts';
import { SeededRng } from '../../../stack/runtime.ts';
import { hex, toHex } from '../../../stack/wire/bytes.ts';
import { EventQueue, FakeAir, type FakeRadio } from './fake-air.ts';

const PAN = 0x0691;
const EXT_A = hex('00124b0000000001');
const EXT_B = hex('00124b0000000002');
// 6lowpan-nd-psk-key default {0xa0 … 0xaf} (mbed-mesh-api.md §4).
const PSK = hex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
const KEY: MacKeyConfig = { key: PSK, keyIndex: 1, level: 5 };

interface Node {
  mac: Mac;
  radio: FakeRadio;
  rx: MacDataIndication[];
}

function bench(startUs = 0) {
  const q = new EventQueue();
  q.runUntil(startUs);
  const air = new FakeAir(q);
  const rng = new SeededRng(3);
  const node = (name: string, ext: Uint8Array, key: MacKeyConfig | undefined): Node => {
    const radio = air.radio(name, 12);
    const mac = new Mac({ radio, timers: q, rng: rng.fork(), extAddress: ext });
    mac.setPanId(PAN);
    mac.setFrameSecurity(key);
    const rx: MacDataIndication[] = [];
    mac.onDataIndication((ind) => rx.push(ind));
    return { mac, radio, rx };
  };
  return { q, air, node };
}

function send(from: Node, to: Uint8Array, payload: Uint8Array): MacTxStatus[] {
  const out: MacTxStatus[] = [];
  from.mac.dataRequest({ dstPan: PAN, dst: { mode: 'ext', ext: to }, srcMode: 'ext', payload, ackRequest: true }, (s) => out.push(s));
  return out;
}

const reversed = (b: Uint8Array): string => toHex(b.slice().reverse());

describe('MAC frame security with one key (IEEE 802.15.4-2006 §7.5.8.2)', () => {
  it('a data frame goes out at level 5 with key ID mode 1, and its MIC verifies with plain AES-CCM', () => {
    const { q, node } = bench(512_000); // frame counter starts at 512000 / 256 = 2000
    const a = node('a', EXT_A, KEY);
    const b = node('b', EXT_B, KEY);
    const payload = hex('41 60 00 00 00 00 00 3a 40'); // any bytes: the MAC does not look
    expect(send(a, EXT_B, payload)).to.deep.equal([]);
    q.runFor(50_000);
    const psdu = a.radio.calls.find((c) => c.op === 'tx')!;
    expect(psdu.op).to.equal('tx');
    const bytes = psdu.op === 'tx' ? psdu.psdu : new Uint8Array(0);
    const seq = bytes[2]!;
    const expectedHeader =
      '69 dc' + // FCF 0xdc69: data (1), security (b3), AR (b5), PAN ID compression (b6), dst ext (b10–11), 2006 (b12), src ext (b14–15)
      seq.toString(16).padStart(2, '0') + // sequence number
      '91 06' + // destination PAN 0x0691, LE
      reversed(EXT_B) + // destination extended address, reversed on air (§7.2.1)
      reversed(EXT_A) + // source extended address
      '0d' + // security control: level 5 (b0–2), key ID mode 1 (b3–4) (§7.6.2.2)
      'd0 07 00 00' + // frame counter 2000, LE
      '01'; // key index = 6lowpan-nd-psk-key-id
    const header = hex(expectedHeader.replace(/ /g, ''));
    expect(toHex(bytes.subarray(0, header.length))).to.equal(toHex(header));
    // Private payload ‖ MIC (4) ‖ FCS (2).
    expect(bytes.length).to.equal(header.length + payload.length + 4 + 2);
    const nonce = Buffer.concat([Buffer.from(EXT_A), Buffer.from([0x00, 0x00, 0x07, 0xd0, 0x05])]); // ext ‖ counter BE ‖ level
    const d = createDecipheriv('aes-128-ccm', PSK, nonce, { authTagLength: 4 });
    const body = bytes.subarray(header.length, bytes.length - 2 - 4);
    d.setAuthTag(bytes.subarray(bytes.length - 2 - 4, bytes.length - 2));
    d.setAAD(header, { plaintextLength: body.length });
    const plain = Buffer.concat([d.update(body), d.final()]);
    expect(toHex(plain)).to.equal(toHex(payload));
    expect(toHex(body)).to.not.equal(toHex(payload)); // encrypted on air
    // The receiver gets the plaintext, and no security fields to undo.
    expect(b.rx).to.have.length(1);
    expect(toHex(b.rx[0]!.payload)).to.equal(toHex(payload));
    expect(b.rx[0]!.security).to.equal(undefined);
    expect(a.mac.securityOverhead).to.equal(6 + 4);
  });

  it('each frame takes the next frame counter; a replayed older frame is dropped after its MIC verified', () => {
    const { q, node } = bench();
    const a = node('a', EXT_A, KEY);
    const b = node('b', EXT_B, KEY);
    send(a, EXT_B, hex('01'));
    q.runFor(50_000);
    send(a, EXT_B, hex('02'));
    q.runFor(50_000);
    const tx = a.radio.calls.filter((c) => c.op === 'tx').map((c) => (c.op === 'tx' ? c.psdu : new Uint8Array(0)));
    expect(tx).to.have.length(2);
    const counterOf = (p: Uint8Array): number => new DataView(p.buffer, p.byteOffset).getUint32(3 + 2 + 8 + 8 + 1, true);
    expect(counterOf(tx[1]!) - counterOf(tx[0]!)).to.equal(1);
    expect(b.rx.map((r) => toHex(r.payload))).to.deep.equal(['01', '02']);
    // The first frame again: another sequence number than the last one, so only the counter can stop it.
    b.radio.handler!(tx[0]!, { rssiDbm: -60, sinrDb: 20, lqi: 200, channel: 12, startUs: q.now(), endUs: q.now() + 1000 });
    q.runFor(10_000);
    expect(b.rx).to.have.length(2);
    expect(b.mac.securityCounters).to.include({ rxSecured: 2, rxReplayDropped: 1, rxSecurityErrors: 0 });
  });

  it('another key, another key index, or no security at all: nothing is delivered', () => {
    const { q, node } = bench();
    const b = node('b', EXT_B, KEY);
    const wrongKey = node('c', hex('00124b0000000003'), { ...KEY, key: hex('000102030405060708090a0b0c0d0e0f') });
    const wrongIndex = node('d', hex('00124b0000000004'), { ...KEY, keyIndex: 2 });
    const clear = node('e', hex('00124b0000000005'), undefined);
    send(wrongKey, EXT_B, hex('01'));
    q.runFor(50_000);
    send(wrongIndex, EXT_B, hex('02'));
    q.runFor(50_000);
    send(clear, EXT_B, hex('03'));
    q.runFor(50_000);
    expect(b.rx).to.have.length(0);
    expect(b.mac.securityCounters).to.include({ rxSecured: 0, rxSecurityErrors: 2, rxInsecureDropped: 1 });
    // Without a key the MAC hands secured frames up untouched (Thread unsecures above the MAC).
    send(b, hex('00124b0000000005'), hex('04'));
    q.runFor(50_000);
    expect(clear.rx).to.have.length(1);
    expect(clear.rx[0]!.security).to.deep.include({ level: 5, keyId: { mode: 1, index: 1 } });
  });

  it('level 7 (ENC-MIC-128) adds 6 + 16 bytes; the frame counter survives a key change, and starts above a board\'s earlier life', () => {
    const { q, node } = bench(2_560_000);
    const a = node('a', EXT_A, { ...KEY, level: 7 });
    const b = node('b', EXT_B, { ...KEY, level: 7 });
    expect(a.mac.securityOverhead).to.equal(6 + 16);
    send(a, EXT_B, hex('0102'));
    q.runFor(50_000);
    expect(b.rx.map((r) => toHex(r.payload))).to.deep.equal(['0102']);
    const first = a.radio.calls.find((c) => c.op === 'tx');
    expect(first?.op === 'tx' && first.psdu[21]).to.equal(0x0f); // security control: level 7, key ID mode 1
    expect(initialFrameCounter(2_560_000)).to.equal(10_000);
    a.mac.setFrameSecurity(undefined);
    a.mac.setFrameSecurity(KEY);
    send(a, EXT_B, hex('03'));
    q.runFor(50_000);
    const tx = a.radio.calls.filter((c) => c.op === 'tx');
    const last = tx[tx.length - 1]!;
    // 10 000 was used by the first frame: the next key continues at 10 001.
    expect(last.op === 'tx' && new DataView(last.psdu.buffer, last.psdu.byteOffset).getUint32(22, true)).to.equal(10_001);
  });
});
