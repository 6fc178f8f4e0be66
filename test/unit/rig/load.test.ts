import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRig, RigFileError } from '../../../harness/rig/load.ts';
import { agentValue, meshKeysFromMbedApp, NetworkConfigError } from '../../../harness/rig/network-config.ts';

describe('rig files (docs/rig-file.md)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rig-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const rig = (text: string) => {
    const path = join(dir, 'rig.yaml');
    writeFileSync(path, text);
    return path;
  };
  const good = `name: t
kind: sim
networks: { nd: nd.json }
topology: { kind: positions }
boards:
  - { id: br, nd: { role: border-router }, position: { x: 0, y: 0 } }
  - { id: r1, nd: { role: router }, position: { x: 10, y: 0 } }
`;
  const problems = (text: string): string[] => {
    try {
      loadRig(rig(text));
    } catch (e) {
      expect(e).to.be.instanceOf(RigFileError);
      return (e as RigFileError).problems;
    }
    throw new Error('expected the rig file to be refused');
  };

  it('loads a valid rig with defaults filled in', () => {
    const { rig: r } = loadRig(rig(good));
    if (r.kind !== 'sim') throw new Error(`loaded as a '${r.kind}' rig`);
    expect(r.speed).to.equal(10);
    expect(r.boards[1]!.firmware).to.equal('meshbench-sim');
    expect(r.bounds.bootstrapFailedWithinS).to.equal(21);
  });

  it('loads the default rig shipped in rigs/', () => {
    const { rig: r } = loadRig('rigs/sim-default.yaml');
    expect(r.boards.length).to.be.greaterThan(1);
  });

  it('names the field and line of a bad value', () => {
    const p = problems(good.replace('nd: { role: router }', 'nd: { role: coordinator }'));
    expect(p).to.have.length(1);
    expect(p[0]).to.match(/^boards\[1\]\.nd\.role \(line 7\): /);
  });

  it('names unknown fields', () => {
    expect(problems(good + 'colour: blue\n')[0]).to.match(/unknown field\(s\) 'colour'/);
    expect(problems(good.replace('{ x: 10, y: 0 }', '{ x: 10, y: 0, w: 1 }'))[0]).to.match(/^boards\[1\]\.position.*'w'/);
  });

  it('names missing fields and cross-field problems', () => {
    expect(problems(good.replace('name: t\n', ''))[0]).to.match(/^name/);
    expect(problems(good.replace(', position: { x: 10, y: 0 }', ''))).to.deep.equal(["boards[1].position: required when topology.kind is 'positions'"]);
    expect(problems(good.replace('id: r1', 'id: br'))).to.deep.equal(["boards[1].id: duplicate board id 'br'"]);
    expect(problems(good.replace('networks: { nd: nd.json }\n', ''))[0]).to.match(/^networks\.nd/);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('name: [unclosed\nkind: sim\n')[0]).to.match(/^YAML line \d+/);
  });

  it('reports an unreadable file', () => {
    expect(() => loadRig(join(dir, 'missing.yaml'))).to.throw(RigFileError, /cannot read/);
  });
});

describe('mbed_app.json network configs (reference mbed-mesh-api.md §4)', () => {
  it('takes mbed-mesh-api keys from config and target_overrides, later wins, others ignored', () => {
    const doc = {
      config: { 'mbed-mesh-api.heap-size': { value: 32500, help: 'heap' }, 'app.thing': 1 },
      target_overrides: {
        '*': { 'mbed-mesh-api.6lowpan-nd-channel': 12, 'mbed-mesh-api.heap-size': 14000, 'nsapi.default-mesh-type': 'LOWPAN' },
        K64F: { 'mbed-mesh-api.6lowpan-nd-channel': 17 },
      },
    };
    expect(meshKeysFromMbedApp(doc, 'x')).to.deep.equal({ 'heap-size': '14000', '6lowpan-nd-channel': '12' });
    expect(meshKeysFromMbedApp(doc, 'x', 'K64F')).to.deep.equal({ 'heap-size': '14000', '6lowpan-nd-channel': '17' });
  });
  it('turns mbed_app value forms into agent values', () => {
    expect(agentValue('k', 12)).to.equal('12');
    expect(agentValue('k', true)).to.equal('true');
    expect(agentValue('k', '0x0700')).to.equal('0x0700');
    expect(agentValue('k', '(1<<12)')).to.equal('(1<<12)');
    expect(agentValue('k', '"Thread Network"')).to.equal('Thread Network'); // JSON "\"Thread Network\""
    expect(agentValue('k', '{0x10,0x11, 0x22,0xff}')).to.equal('101122ff');
  });
  it('names the key of a bad value', () => {
    expect(() => agentValue('mbed-mesh-api.6lowpan-nd-channel-mask', '{0x10, 0x1ff}')).to.throw(NetworkConfigError, /channel-mask.*0x1ff/);
    // A secret's value is never quoted, not even when it is malformed.
    expect(() => agentValue('mbed-mesh-api.thread-master-key', '{0x10, 0x1ff}')).to.throw(NetworkConfigError, /thread-master-key: byte array item \(value not shown: a secret\) is not a byte/);
    expect(() => agentValue('mbed-mesh-api.x', [1] as never)).to.throw(NetworkConfigError, /mbed-mesh-api.x/);
  });
});
