// 6lowpan-nd-security-mode PSK (reference mbed-mesh-api.md §4): every data frame of the
// network MAC-secured with the PSK (IEEE 802.15.4-2006 §7.5.8.2), key ID mode 1 with the
// key index = psk-key-id, at the configured level. A node with another PSK, or none, hears
// the beacons (they stay in the clear) but never joins: MESH_BOOTSTRAP_FAILED, CONNECTING,
// a new attempt 5 s later (reference §3).
import { expect } from 'chai';
import { BOOTSTRAP_RETRY_US, ND_SECURITY_DEFAULTS, type LoWPANNDInterface, type NdSecurity } from '../../../stack/mesh/nd-interface.ts';
import { StackNode } from '../../../stack/node.ts';
import { SECOND } from '../../../stack/runtime.ts';
import { hex } from '../../../stack/wire/bytes.ts';
import { parseIpv6Address } from '../../../stack/wire/ipv6-address.ts';
import type { MacFrame } from '../../../stack/wire/ieee802154.ts';
import { line, ndBed, type BedNode } from './bed.ts';

const PSK: NdSecurity = { ...ND_SECURITY_DEFAULTS, mode: 'PSK' };
const OTHER_PSK: NdSecurity = { ...PSK, key: hex('00112233445566778899aabbccddeeff') };

function secured(nodes: BedNode[], security: NdSecurity): BedNode[] {
  return nodes.map((n) => ({ ...n, config: { ...n.config, security } }));
}

describe('6LoWPAN-ND PSK link security', function () {
  it('nodes with the same PSK join over 2 hops; every data frame on air is secured at level 5, key index 1', function () {
    const b = ndBed(21, secured(line(2), PSK));
    const frames: MacFrame[] = [];
    b.node('r1').mac.onFrame((ev) => {
      if (ev.frame) frames.push(ev.frame);
    });
    b.nd('br').connect();
    b.connectAll(['r1', 'r2']);
    expect(b.runUntilUp(['r1', 'r2'], 60), 'both GLOBAL_UP').to.equal(true);
    const data = frames.filter((f) => f.type === 'data');
    expect(data.length).to.be.greaterThan(10);
    for (const f of data) {
      expect(f.security, `data frame seq ${f.seq}`).to.deep.include({ level: 5, keyId: { mode: 1, index: 1 } });
    }
    // Beacons and beacon requests stay in the clear: a joining node has no link yet.
    expect(frames.filter((f) => f.type !== 'data' && f.type !== 'ack').every((f) => f.security === undefined)).to.equal(true);
    expect(b.node('r1').mac.securityCounters?.rxSecurityErrors).to.equal(0);
  });

  it('UDP across 2 hops at level 7 (MIC-128): fragments leave room for the aux header and MIC', function () {
    const level7: NdSecurity = { ...PSK, level: 7, keyId: 200 };
    const b = ndBed(22, secured(line(2), level7));
    b.nd('br').connect();
    b.connectAll(['r1', 'r2']);
    expect(b.runUntilUp(['r1', 'r2'], 60)).to.equal(true);
    const got: number[] = [];
    b.nd('br').openUdp(7000, (d) => got.push(d.payload.length));
    const tx = b.nd('r2').openUdp(0, () => undefined).socket!;
    const brGlobal = parseIpv6Address(b.nd('br').ipAddresses()[1]!);
    expect(brGlobal.ok).to.equal(true);
    if (!brGlobal.ok) return;
    expect(tx.sendTo(brGlobal.value, 7000, new Uint8Array(400))).to.equal(400); // several fragments per hop
    b.bed.runFor(3 * SECOND);
    expect(got).to.deep.equal([400]);
  });

  it('a node with another PSK never joins: MESH_BOOTSTRAP_FAILED, CONNECTING, a new attempt every 5 s', function () {
    const b = ndBed(23, [
      { id: 'br', x: 0, y: 0, role: 'border-router', config: { security: PSK } },
      { id: 'good', x: 40, y: 0, config: { security: PSK } },
      { id: 'bad', x: 0, y: 40, config: { security: OTHER_PSK } },
    ]);
    b.nd('br').connect();
    b.connectAll(['good', 'bad']);
    b.bed.runFor(120 * SECOND);
    expect(b.nd('good').getConnectionStatus()).to.equal('GLOBAL_UP');
    const bad = b.nd('bad');
    expect(bad.getConnectionStatus()).to.equal('CONNECTING');
    expect(bad.history.some((e) => e.event === 'MESH_CONNECTED')).to.equal(false);
    const failed = bad.history.filter((e) => e.event === 'MESH_BOOTSTRAP_FAILED');
    expect(failed.length).to.be.at.least(2);
    expect(failed.every((e) => e.status === 'CONNECTING' && !e.callback)).to.equal(true);
    const restart = bad.history.find((e) => e.event === 'MESH_BOOTSTRAP_STARTED' && e.at > failed[0]!.at);
    expect(restart!.at - failed[0]!.at).to.be.closeTo(BOOTSTRAP_RETRY_US, 1000);
    // It heard the beacon and chose the PAN; its RS never got through the border router's MAC.
    expect(bad.details().last_failure).to.equal('no router advertisement');
    expect(b.node('br').mac.securityCounters!.rxSecurityErrors).to.be.greaterThan(0);
    expect(Number(b.nd('br').details().rx_sec_errors), 'mesh.status shows it').to.be.greaterThan(0);
    expect(b.nd('good').details()).to.include({ rx_sec_errors: '0', rx_replay_dropped: '0' });
    expect(bad.ipAddresses().some((a) => !a.startsWith('fe80'))).to.equal(false);
  });

  it('a node without security (NONE) does not join a PSK network, and a PSK node does not join an unsecured one', function () {
    const b = ndBed(24, [
      { id: 'br', x: 0, y: 0, role: 'border-router', config: { security: PSK } },
      { id: 'clear', x: 40, y: 0, config: { security: { ...PSK, mode: 'NONE' } } },
    ]);
    b.nd('br').connect();
    b.nd('clear').connect();
    b.bed.runFor(60 * SECOND);
    expect(b.nd('clear').getConnectionStatus()).to.equal('CONNECTING');
    expect(b.node('br').mac.securityCounters!.rxInsecureDropped).to.be.greaterThan(0);

    const c = ndBed(25, [
      { id: 'br', x: 0, y: 0, role: 'border-router' },
      { id: 'psk', x: 40, y: 0, config: { security: PSK } },
    ]);
    c.nd('br').connect();
    c.nd('psk').connect();
    c.bed.runFor(60 * SECOND);
    expect(c.nd('psk').getConnectionStatus()).to.equal('CONNECTING');
    // The unsecured border router cannot read the secured RS: to its 6LoWPAN layer it is garbage.
    expect(c.nd('br').net.counters.malformed).to.be.greaterThan(0);
    expect(c.nd('psk').history.some((e) => e.event === 'MESH_CONNECTED')).to.equal(false);
  });

  it('the same key under another psk-key-id is another key: no join', function () {
    const b = ndBed(26, [
      { id: 'br', x: 0, y: 0, role: 'border-router', config: { security: PSK } },
      { id: 'r1', x: 40, y: 0, config: { security: { ...PSK, keyId: 2 } } },
    ]);
    b.nd('br').connect();
    b.nd('r1').connect();
    b.bed.runFor(60 * SECOND);
    expect(b.nd('r1').getConnectionStatus()).to.equal('CONNECTING');
  });

  it('NONE stays unsecured: no data frame on air carries the security bit', function () {
    const b = ndBed(27, line(1));
    const frames: MacFrame[] = [];
    b.node('br').mac.onFrame((ev) => {
      if (ev.frame?.type === 'data') frames.push(ev.frame);
    });
    b.nd('br').connect();
    b.nd('r1').connect();
    expect(b.runUntilUp(['r1'], 30)).to.equal(true);
    expect(frames.length).to.be.greaterThan(5);
    expect(frames.every((f) => f.security === undefined && f.version === 0)).to.equal(true);
    expect(b.node('br').mac.securityCounters).to.equal(undefined);
    expect(b.nd('br').details().rx_sec_errors).to.equal(undefined);
  });

  it('a router that resets rejoins its secured network: its new frame counters are above the old ones', function () {
    const b = ndBed(28, secured(line(1), PSK));
    b.nd('br').connect();
    b.nd('r1').connect();
    expect(b.runUntilUp(['r1'], 30)).to.equal(true);
    b.bed.runFor(20 * SECOND);
    // A reset: a new stack on the same radio, as the sim builds it; nothing of the old MAC survives.
    const r1 = b.bed.node('r1');
    expect(b.nd('r1').disconnect()).to.equal(0);
    b.bed.runFor(1 * SECOND);
    const reborn = b.node('r1');
    const fresh = new StackNode(reborn.env);
    fresh.initMesh({ kind: 'nd', nd: { ...(reborn.mesh as LoWPANNDInterface).config } });
    expect(fresh.mesh!.connect()).to.equal(0);
    expect(b.bed.runUntil(() => fresh.mesh!.getConnectionStatus() === 'GLOBAL_UP', 60 * SECOND), `${r1.id} up again`).to.equal(true);
    expect(b.node('br').mac.securityCounters!.rxReplayDropped).to.equal(0);
  });
});
