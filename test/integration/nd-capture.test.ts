// A whole 6LoWPAN-ND join and some traffic, captured on the medium and read by
// Wireshark's own dissectors: a border router and three routers in a line join
// (RS/RA with 6LoWPAN context and ABRO options, NS/NA with ARO, RPL DIO, DAO with
// transit information, DAO-ACK), the border router sends a datagram down to the far
// end (RPL source routing header, RFC 6554), and the far end presses the light, whose
// multicast crosses every hop. No frame may be malformed or fail its FCS. Skipped,
// saying why, where tshark cannot be installed.
import { expect } from 'chai';
import { tsharkFields } from '../support/tshark.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsharkOrSkip } from '../support/tools.ts';
import { DEFAULT_BOUNDS } from '../../harness/rig/common.ts';
import { SECOND } from '../../stack/runtime.ts';
import { toHex } from '../../stack/wire/bytes.ts';
import { ipv6 } from '../../stack/wire/ipv6-address.ts';
import { line, ndBed } from '../unit/nd/bed.ts';

const IDS = ['br', 'r1', 'r2', 'r3'];
// ICMPv6 types (RFC 4861 §4, RFC 6550 §6) and ND option types (RFC 6775 §4: ARO 33, 6CO 34, ABRO 35).
const RS = 133;
const RA = 134;
const NS = 135;
const NA = 136;
const RPL = 155;
const [ARO, SIX_CO, ABRO] = [33, 34, 35];
// RPL codes (RFC 6550 §6): DIO 1, DAO 2, DAO-ACK 3; the Transit Information option is type 6 (§6.7.8).
const [DIO, DAO, DAO_ACK] = [1, 2, 3];
const TRANSIT_INFORMATION = 6;
const MARKER = 'down the source route';

describe('a 6LoWPAN-ND join and traffic through tshark (3-hop line)', function () {
  this.timeout(300_000); // installing tshark on a fresh machine takes a while
  let tshark = '';
  let dir = '';
  let pcap = '';
  const ext: Record<string, string> = {};
  let brGlobal = '';

  /** Field rows of the frames matching `filter`. */
  // 6LoWPAN-ND's context 0 is the mesh prefix the RAs announce.
  const fields = (filter: string, names: string[]): Promise<string[][]> => tsharkFields(tshark, pcap, ['-o', '6lowpan.context0:fd00:db8::/64'], filter, names);


  before(async function () {
    tshark = await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'meshbench-nd-capture-'));
    pcap = join(dir, 'nd.pcap');

    const b = ndBed(91, line(3));
    for (const id of IDS) ext[id] = toHex(b.bed.node(id).extAddress);
    b.bed.capture.start(pcap);
    b.nd('br').connect();
    b.connectAll(['r1', 'r2', 'r3']);
    expect(b.runUntilUp(['r1', 'r2', 'r3'], 60), 'line joined').to.equal(true);
    brGlobal = b.nd('br').ipAddresses()[1]!;
    for (const id of IDS) b.nd(id).light();
    // Downward: border router → r3, three hops, source-routed by the root.
    const got: string[] = [];
    b.nd('r3').openUdp(5000, (d) => got.push(new TextDecoder().decode(d.payload)));
    const sock = b.nd('br').openUdp(0, () => undefined).socket!;
    sock.sendTo(ipv6(b.nd('r3').ipAddresses()[1]!), 5000, new TextEncoder().encode(MARKER));
    b.bed.runFor(1 * SECOND);
    expect(got).to.deep.equal([MARKER]);
    // The far end presses the light.
    expect(b.nd('r3').light().pressButton()).to.equal(20);
    // Nanostack's MPL: at Trickle times, or through control messages where k = 1 silenced a router.
    b.bed.runUntil(() => IDS.every((id) => b.nd(id).light().ledOn), DEFAULT_BOUNDS.ndLightWithinS * SECOND);
    // The border router, last in the line, sends it on too: 3 intervals of 500 ms (k = 20).
    b.bed.runFor(2 * SECOND);
    b.bed.capture.stop();
    for (const id of IDS) expect(b.nd(id).light().ledOn, `${id} LED`).to.equal(true);
  });

  after(() => {
    if (dir && !process.env.KEEP_PCAP) rmSync(dir, { recursive: true, force: true });
  });

  it('decodes every frame: no malformed frame, no bad FCS, no expert error', async () => {
    const all = await fields('frame', ['frame.number', 'frame.protocols', 'wpan.fcs_ok']);
    expect(all.length).to.be.above(30);
    for (const [n, protocols, fcs] of all) {
      expect(protocols, `frame ${n}`).to.match(/^wpan-tap\b/);
      expect(fcs, `frame ${n} FCS`).to.match(/^(1|True)$/);
    }
    // Expert infos at warning level or above (warning = 0x00600000) mean trouble; chat and notes do not.
    const bad = await fields('_ws.malformed || _ws.expert.severity >= 0x00600000', ['frame.number', 'frame.protocols', '_ws.expert.message']);
    expect(bad.map((r) => r.join(' ')).join('\n')).to.equal('');
  });

  it('RS and RA, the RA with 6LoWPAN context and ABRO options', async () => {
    expect((await fields(`icmpv6.type == ${RS}`, ['frame.number'])).length).to.be.at.least(3);
    const ras = await fields(`icmpv6.type == ${RA}`, ['icmpv6.opt.type', 'icmpv6.opt.6co.context_prefix', 'icmpv6.opt.abro.6lbr_address']);
    expect(ras.length).to.be.at.least(3);
    for (const [types, prefix, abro] of ras) {
      expect(types!.split(',').map(Number)).to.include.members([SIX_CO, ABRO]);
      expect(prefix).to.equal('fd00:db8::');
      expect(abro).to.equal(brGlobal);
    }
  });

  it('NS and NA with the address registration option', async () => {
    const ns = await fields(`icmpv6.type == ${NS} && icmpv6.opt.type == ${ARO}`, ['icmpv6.opt.aro.registration_lifetime']);
    const na = await fields(`icmpv6.type == ${NA} && icmpv6.opt.type == ${ARO}`, ['icmpv6.opt.aro.status']);
    expect(ns.length).to.be.at.least(3);
    expect(na.length).to.be.at.least(3);
    expect(na.every(([status]) => status === '0')).to.equal(true); // registration accepted
  });

  it('RPL: DIO, DAO with transit information, DAO-ACK', async () => {
    expect((await fields(`icmpv6.type == ${RPL} && icmpv6.code == ${DIO}`, ['frame.number'])).length).to.be.at.least(4);
    const daos = await fields(`icmpv6.type == ${RPL} && icmpv6.code == ${DAO}`, ['icmpv6.rpl.opt.type']);
    expect(daos.length).to.be.at.least(3);
    for (const [types] of daos) expect(types!.split(',').map(Number)).to.include(TRANSIT_INFORMATION);
    expect((await fields(`icmpv6.type == ${RPL} && icmpv6.code == ${DAO_ACK}`, ['frame.number'])).length).to.be.at.least(3);
  });

  it('downward UDP carries a type 3 routing header (RFC 6554), forwarded hop by hop', async () => {
    const marker = toHex(new TextEncoder().encode(MARKER));
    const rows = await fields(`ipv6.routing.type == 3 && udp.dstport == 5000`, ['wpan.src64', 'udp.payload', 'ipv6.routing.segleft']);
    // The root sends it, r1 and r2 forward it: three transmissions, segments left counting down.
    expect(rows.map((r) => r[0])).to.deep.equal(['br', 'r1', 'r2'].map((id) => colons(ext[id]!)));
    expect(rows.every((r) => r[1] === marker)).to.equal(true);
    expect(rows.map((r) => Number(r[2]))).to.deep.equal([2, 1, 0]);
  });

  it('the light message crosses every hop: sent by r3, forwarded by r2, r1 and the border router', async () => {
    const rows = await fields('udp.dstport == 1234 && ipv6.dst == ff15::810a:64d1', ['wpan.src64', 'udp.payload', 'ipv6.hlim']);
    const light = toHex(new TextEncoder().encode('t:lights;g:001;s:1;\0'));
    expect(rows.every((r) => r[1] === light)).to.equal(true);
    const firstBy = (id: string): string[] | undefined => rows.find((r) => r[0] === colons(ext[id]!));
    // Hop limit 10 from the sender, one less per router that forwarded it (flooding: the border router too).
    expect(['r3', 'r2', 'r1', 'br'].map((id) => Number(firstBy(id)?.[2]))).to.deep.equal([10, 9, 8, 7]);
  });
});

/** 0012…0001 → 00:12:…:00:01, as tshark prints EUI-64s. */
function colons(hex: string): string {
  return hex.match(/../g)!.join(':');
}
