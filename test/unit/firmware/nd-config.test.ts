// mbed-mesh-api 6LoWPAN-ND keys (reference mbed-mesh-api.md §4) as `mesh.init stack=nd`
// takes them: mesh-minimal's own configs/mesh_6lowpan.json loads, the security keys are
// validated, errors name the key and never echo key material, and PSK boards join
// each other and nobody else.
import { expect } from 'chai';
import { parseMeshConfig, SECRET_KEYS } from '../../../firmware/mesh-config.ts';
import { ND_DEFAULTS } from '../../../stack/mesh/nd-interface.ts';
import { SECOND } from '../../../stack/runtime.ts';
import { toHex } from '../../../stack/wire/bytes.ts';
import { agentBed } from './agent-bed.ts';

const KEY_TEXT = '{0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f}';
const KEY_HEX = '102132435465768798a9bacbdcedfe0f';

describe('6LoWPAN-ND configuration keys (mbed-mesh-api.md §4)', () => {
  it('loads mesh-minimal configs/mesh_6lowpan.json, security-mode NONE included', () => {
    // The mbed-mesh-api.* keys of the reference's copy of that file, prefix stripped.
    const r = parseMeshConfig(
      'nd',
      {
        '6lowpan-nd-device-type': 'NET_6LOWPAN_ROUTER',
        '6lowpan-nd-channel-page': '0',
        '6lowpan-nd-channel': '12',
        '6lowpan-nd-channel-mask': '(1<<12)',
        '6lowpan-nd-security-mode': 'NONE',
        'heap-size': '14000',
      },
      ND_DEFAULTS,
    );
    expect(r.ok, r.ok ? '' : r.error).to.equal(true);
    if (!r.ok) return;
    expect(r.value.channel).to.equal(12);
    expect(r.value.security?.mode).to.equal('NONE');
  });

  it('PSK: the key as an mbed_app.json byte array or as hex, key id, level; defaults key {0xa0…0xaf}, id 1, level 5', () => {
    const r = parseMeshConfig('nd', { '6lowpan-nd-security-mode': 'PSK', '6lowpan-nd-psk-key': KEY_TEXT, '6lowpan-nd-psk-key-id': '7', '6lowpan-nd-sec-level': '6' }, ND_DEFAULTS);
    expect(r.ok && r.value.security).to.deep.include({ mode: 'PSK', keyId: 7, level: 6 });
    expect(r.ok && toHex(r.value.security!.key)).to.equal(KEY_HEX);
    // The harness hands byte arrays over as hex; the order of the keys does not matter.
    const h = parseMeshConfig('nd', { '6lowpan-nd-psk-key': KEY_HEX, '6lowpan-nd-security-mode': 'PSK' }, ND_DEFAULTS);
    expect(h.ok && toHex(h.value.security!.key)).to.equal(KEY_HEX);
    const d = parseMeshConfig('nd', { '6lowpan-nd-security-mode': 'PSK' }, ND_DEFAULTS);
    expect(d.ok && d.value.security).to.deep.include({ mode: 'PSK', keyId: 1, level: 5 });
    expect(d.ok && toHex(d.value.security!.key)).to.equal('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
    // The base config is not touched (the agent keeps it as the next attempt's).
    expect(ND_DEFAULTS.security).to.equal(undefined);
  });

  for (const [key, value, why] of [
    ['6lowpan-nd-security-mode', 'AES', 'expected NONE or PSK'],
    ['6lowpan-nd-security-mode', 'psk', 'expected NONE or PSK'],
    ['6lowpan-nd-psk-key-id', '0', 'expected an integer in 1..255'],
    ['6lowpan-nd-psk-key-id', '256', 'expected an integer in 1..255'],
    ['6lowpan-nd-sec-level', '0', 'expected an integer in 1..7'],
    ['6lowpan-nd-sec-level', '8', 'expected an integer in 1..7'],
  ] as const) {
    it(`refuses ${key}=${value}, naming the key`, () => {
      const r = parseMeshConfig('nd', { [key]: value }, ND_DEFAULTS);
      expect(r.ok).to.equal(false);
      expect(!r.ok && r.error).to.equal(`${key}=${value}: ${why}`);
    });
  }

  it('refuses a malformed 6lowpan-nd-psk-key without echoing any of it', () => {
    for (const bad of ['{0x10, 0x21, 0x32}', KEY_HEX.slice(2), KEY_TEXT.replace('0x0f', '0x1ff'), 'secret-words']) {
      const r = parseMeshConfig('nd', { '6lowpan-nd-psk-key': bad }, ND_DEFAULTS);
      expect(r.ok).to.equal(false);
      const msg = r.ok ? '' : r.error;
      expect(msg).to.equal('6lowpan-nd-psk-key=<redacted>: expected 16 bytes as {0x.., ...}');
    }
    expect(SECRET_KEYS.has('6lowpan-nd-psk-key')).to.equal(true);
  });
});

describe('6LoWPAN-ND PSK through the agent', function () {
  this.timeout(60_000);

  it('boards with the same PSK join; a board with another PSK stays CONNECTING; a bad key is refused with E_BAD_ARGUMENT and no key bytes', () => {
    const ids = ['br', 'r1', 'x1'];
    const positions = { br: { x: 0, y: 0 }, r1: { x: 40, y: 0 }, x1: { x: 0, y: 40 } };
    const bed = agentBed(41, ids, { kind: 'positions', positions, exponent: 3, refLossDb: 40.2, shadowingSigmaDb: 0 });
    const base = { stack: 'nd', '6lowpan-nd-channel': '12', '6lowpan-nd-channel-mask': '(1<<12)', '6lowpan-nd-security-mode': 'PSK' };
    const refused = bed.board('x1').request('mesh.init', { ...base, '6lowpan-nd-psk-key': '{0x10, 0x21, 0x32}' });
    expect(refused.ok).to.equal(false);
    expect(refused.args.code).to.equal('E_BAD_ARGUMENT');
    expect(refused.args.msg).to.contain('6lowpan-nd-psk-key');
    expect(refused.args.msg).to.not.contain('0x21');
    bed.board('br').ok('mesh.init', { ...base, role: 'border-router', '6lowpan-nd-psk-key': KEY_TEXT });
    bed.board('r1').ok('mesh.init', { ...base, '6lowpan-nd-psk-key': KEY_TEXT });
    bed.board('x1').ok('mesh.init', { ...base }); // the default key: another PSK
    for (const id of ids) expect(bed.board(id).ok('mesh.connect').result).to.equal('0');
    bed.runFor(60 * SECOND);
    expect(bed.board('r1').ok('mesh.status').status).to.equal('GLOBAL_UP');
    const x1 = bed.board('x1').ok('mesh.status');
    expect(x1.status).to.equal('CONNECTING');
    expect(x1.last_failure).to.equal('no router advertisement');
    const events = bed.board('x1').events.filter((e) => e.name === 'mesh').map((e) => e.args.event);
    expect(events).to.include('MESH_BOOTSTRAP_FAILED');
    expect(events).to.not.include('MESH_CONNECTED');
  });
});

describe('MESH_BOOTSTRAP_START_FAILED through the agent (docs/agent-protocol.md, ND facts)', () => {
  it('a mask without page-0 channels: result=0, the event with status=DISCONNECTED callback=0, connect refused until disconnect', () => {
    const bed = agentBed(42, ['br', 'r1'], { kind: 'positions', positions: { br: { x: 0, y: 0 }, r1: { x: 40, y: 0 } }, exponent: 3, refLossDb: 40.2, shadowingSigmaDb: 0 });
    bed.board('br').ok('mesh.init', { stack: 'nd', role: 'border-router', '6lowpan-nd-channel': '12' });
    expect(bed.board('br').ok('mesh.connect').result).to.equal('0');
    const r1 = bed.board('r1');
    r1.ok('mesh.init', { stack: 'nd', '6lowpan-nd-channel-mask': '0x400' }); // channel 10 only
    expect(r1.ok('mesh.connect').result).to.equal('0');
    expect(r1.events.filter((e) => e.name === 'mesh').map((e) => e.args)).to.deep.equal([{ event: 'MESH_BOOTSTRAP_START_FAILED', status: 'DISCONNECTED', callback: '0' }]);
    expect(r1.ok('mesh.status')).to.include({ status: 'DISCONNECTED', phase: 'start-failed' });
    bed.runFor(20 * SECOND);
    expect(r1.events.filter((e) => e.name === 'mesh')).to.have.length(1);
    expect(r1.ok('mesh.connect').result).to.equal('-3012');
    expect(r1.ok('mesh.disconnect').result).to.equal('0');
    r1.ok('mesh.config', { '6lowpan-nd-channel-mask': '(1<<12)' });
    expect(r1.ok('mesh.connect').result).to.equal('0');
    expect(bed.runUntil(() => r1.node.mesh?.getConnectionStatus() === 'GLOBAL_UP', 30 * SECOND)).to.equal(true);
  });
});
