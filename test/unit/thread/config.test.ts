// mbed-mesh-api Thread keys (mbed-mesh-api.md §4) through the agent: `mesh.init
// stack=thread`, the status details, and no key material in anything printed.
import { expect } from 'chai';
import { Agent } from '../../../firmware/agent.ts';
import { parseThreadConfig } from '../../../firmware/mesh-config.ts';
import { formatRequest } from '../../../protocol/agent.ts';
import { createTestbed } from '../../../sim/testbed.ts';
import { THREAD_DEFAULTS, redactThreadConfig } from '../../../stack/mesh/thread-interface.ts';
import { StackNode } from '../../../stack/node.ts';
import { toHex } from '../../../stack/wire/bytes.ts';
import { S } from './thread-bench.ts';

describe('Thread configuration (mbed-mesh-api.md §4)', () => {
  it('defaults are Mbed\'s: channel 22, PAN 0x0700, "Thread Network", fd00:db8::/64, router', () => {
    expect(THREAD_DEFAULTS.channel).to.equal(22);
    expect(THREAD_DEFAULTS.panId).to.equal(0x0700);
    expect(THREAD_DEFAULTS.networkName).to.equal('Thread Network');
    expect(toHex(THREAD_DEFAULTS.extendedPanId)).to.equal('f1b5a1b2c4d5a1bd');
    expect(toHex(THREAD_DEFAULTS.networkKey)).to.equal('10112233445566778899aabbccddeeff');
    expect(toHex(THREAD_DEFAULTS.meshLocalPrefix)).to.equal('fd000db800000000');
    expect(THREAD_DEFAULTS.deviceType).to.equal('router');
    expect(THREAD_DEFAULTS.routerSelectionJitterS).to.equal(120);
  });

  it('reads mesh-minimal configs/mesh_thread.json values as mbed_app.json writes them', () => {
    const r = parseThreadConfig(
      {
        'thread-device-type': 'MESH_DEVICE_TYPE_THREAD_MINIMAL_END_DEVICE',
        'thread-use-static-link-config': 'true',
        'thread-config-channel': '26',
        'thread-config-panid': '0xBAAB',
        'thread-config-network-name': '"Lab Network"',
        'thread-master-key': '{0x00,0x11,0x22,0x33,0x44,0x55,0x66,0x77,0x88,0x99,0xaa,0xbb,0xcc,0xdd,0xee,0xff}',
        'thread-config-ml-prefix': '{0xfd, 0x00, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00}',
        'thread-config-extended-panid': '{0xde,0xad,0x00,0xbe,0xef,0x00,0xca,0xfe}',
        'thread-pskd': '"J01NME"',
        'heap-size': '30000',
      },
      { ...THREAD_DEFAULTS },
    );
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.value.deviceType).to.equal('minimal-end-device');
    expect(r.value.channel).to.equal(26);
    expect(r.value.panId).to.equal(0xbaab);
    expect(r.value.networkName).to.equal('Lab Network');
    expect(toHex(r.value.networkKey)).to.equal('00112233445566778899aabbccddeeff');
    expect(toHex(r.value.extendedPanId)).to.equal('dead00beef00cafe');
    expect(r.value.pskd).to.equal('J01NME');
  });

  it('refuses bad values naming the key, and never echoes a key or PSKd', () => {
    const bad = parseThreadConfig({ 'thread-master-key': '{0x10,0x11,0x22}' }, { ...THREAD_DEFAULTS });
    expect(bad.ok).to.equal(false);
    if (!bad.ok) {
      expect(bad.error).to.contain('thread-master-key');
      expect(bad.error).to.not.contain('0x11');
    }
    const pskd = parseThreadConfig({ 'thread-pskd': 'SECRETQ' }, { ...THREAD_DEFAULTS });
    expect(pskd.ok).to.equal(false);
    if (!pskd.ok) expect(pskd.error).to.not.contain('SECRETQ');
    expect(parseThreadConfig({ 'thread-config-channel': '27' }, { ...THREAD_DEFAULTS }).ok).to.equal(false);
    expect(parseThreadConfig({ 'thread-use-static-link-config': 'false' }, { ...THREAD_DEFAULTS }).ok).to.equal(false);
    const shown = JSON.stringify(redactThreadConfig(THREAD_DEFAULTS));
    expect(shown).to.not.contain('10112233');
    expect(shown).to.not.contain('ABCDEFGH');
  });

  it('agent: mesh.init stack=thread, connect, and mesh.status shows role, RLOC16 and partition id; no key on the UART', () => {
    const out: string[] = [];
    const tb = createTestbed<{ agent: Agent; node: StackNode }>({
      seed: 9,
      topology: { kind: 'matrix', lossDb: {}, defaultLossDb: 60 },
      nodes: [{ id: 'a', channel: 22 }],
      build: (env) => {
        const node = new StackNode(env);
        const agent = new Agent({ boardId: env.id, write: (t) => out.push(t), reboot: () => undefined }, node);
        return { agent, node };
      },
    });
    const { agent } = tb.node('a').app;
    const send = (id: number, cmd: string, args: Record<string, string> = {}): void => agent.receive(new TextEncoder().encode(formatRequest(id, cmd, args)));
    send(1, 'mesh.init', { stack: 'thread', 'thread-config-channel': '22', 'thread-master-key': '{0x00,0x11,0x22,0x33,0x44,0x55,0x66,0x77,0x88,0x99,0xaa,0xbb,0xcc,0xdd,0xee,0xff}' });
    send(2, 'mesh.connect');
    tb.runFor(8 * S);
    send(3, 'mesh.status');
    const text = out.join('');
    expect(text).to.match(/MB< 1 ok .*result=0/);
    expect(text).to.match(/MB< 2 ok .*result=0/);
    const status = text.split('\n').find((l) => l.startsWith('MB< 3 ok')) ?? '';
    expect(status).to.match(/status=LOCAL_UP/);
    expect(status).to.match(/role=leader/);
    expect(status).to.match(/rloc16=[0-9a-f]{2}00/);
    expect(status).to.match(/partition_id=\d+/);
    expect(status).to.match(/leader_router_id=\d+/);
    expect(text).to.match(/MB! \d+ mesh .*event=MESH_CONNECTED_LOCAL/);
    expect(text.toLowerCase()).to.not.contain('00112233445566778899aabbccddeeff');
  });
});
