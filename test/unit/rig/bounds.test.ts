// Rig input is bounded: what a wrong path or a hostile file can cost is a
// clear error naming the file and line, never the machine's memory, CPU or
// PTYs, and never the file's content.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardConfigs } from '../../../harness/bench/bench.ts';
import { RIG_FILE_CAP_BYTES } from '../../../harness/rig/bounded-read.ts';
import { MAX_BOARDS } from '../../../harness/rig/common.ts';
import { loadRig, RigFileError } from '../../../harness/rig/load.ts';
import { loadNetworkConfig, NetworkConfigError } from '../../../harness/rig/network-config.ts';

describe('rig input is bounded', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rig-bounds-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const refusal = (path: string): RigFileError => {
    try {
      loadRig(path);
    } catch (e) {
      expect(e, (e as Error).stack).to.be.instanceOf(RigFileError);
      return e as RigFileError;
    }
    throw new Error(`expected ${path} to be refused`);
  };
  const boards = (n: number) => Array.from({ length: n }, (_, i) => `  - { id: b${i}, nd: { role: ${i === 0 ? 'border-router' : 'router'} } }`).join('\n');
  const rigWith = (n: number) => `name: t\nkind: sim\nnetworks: { nd: nd.json }\ntopology: { kind: matrix, links: {} }\nboards:\n${boards(n)}\n`;

  it('refuses /dev/zero, a directory and a FIFO as a rig file at once, as not regular files', () => {
    expect(refusal('/dev/zero').problems).to.deep.equal(['a character device, not a regular file']);
    expect(refusal(dir).problems).to.deep.equal(['a directory, not a regular file']);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(refusal(fifo).problems).to.deep.equal(['a FIFO, not a regular file']);
  });

  it('refuses a rig file over 1 MB before parsing it', () => {
    const big = write('big.yaml', `name: t\ndescription: "${'x'.repeat(RIG_FILE_CAP_BYTES)}"\n`);
    expect(refusal(big).problems[0]).to.match(/^\d+ bytes, more than the 1048576 bytes a file of this kind may have$/);
  });

  it(`refuses more than ${MAX_BOARDS} boards with the count, the cap and the line`, () => {
    const p = refusal(write('many.yaml', rigWith(MAX_BOARDS + 1))).problems;
    expect(p).to.deep.equal([`boards (line 5): ${MAX_BOARDS + 1} boards; a rig has at most ${MAX_BOARDS} (each board takes a pseudo-terminal or a serial port, and a run a process or port per board)`]);
  });

  it('finds duplicate keys with their line, in one pass over a map of ~50,000 keys', function () {
    this.timeout(60_000);
    expect(refusal(write('dup.yaml', 'name: t\nkind: sim\nname: u\n')).problems).to.deep.equal(["YAML line 3: duplicate key 'name'"]);
    // yaml's own check compares every key with every other (an 8 MB file of 500,000 keys took minutes).
    const keys = Array.from({ length: 50_000 }, (_, i) => `  k${i}: 1`).join('\n');
    const text = `name: t\nkind: sim\ntopology: { kind: matrix, links: {} }\nboards:\n  - id: b0\n    nd:\n      role: router\n      config:\n${keys.replace(/^/gm, '      ')}\n        k7: 2\n`;
    expect(text.length).to.be.below(RIG_FILE_CAP_BYTES);
    expect(refusal(write('dups.yaml', text)).problems).to.deep.equal([`YAML line ${50_000 + 9}: duplicate key 'k7'`]);
  });

  it('refuses a YAML alias bomb with the line of its first alias, not a ReferenceError', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    expect(refusal(write('bomb.yaml', bomb + '\n')).problems).to.deep.equal(['YAML line 2: aliases expand too many times (at most 100); write the values out']);
  });

  it('names the file and line of every parse failure', () => {
    const e = refusal(write('syntax.yaml', 'name: t\nkind: [sim\n'));
    expect(e.message).to.contain(join(dir, 'syntax.yaml'));
    expect(e.problems[0]).to.match(/^YAML line \d+: /);
  });

  describe('network configs', () => {
    const rigNaming = (net: string) => loadRig(write('rig.yaml', rigWith(2).replace('nd: nd.json', `nd: ${JSON.stringify(net)}`)));
    const netRefusal = (net: string): string => {
      try {
        boardConfigs(rigNaming(net));
      } catch (e) {
        expect(e).to.be.instanceOf(NetworkConfigError);
        return (e as Error).message;
      }
      throw new Error(`expected ${net} to be refused`);
    };

    it('refuses /dev/zero and a config over 64 KB', () => {
      expect(netRefusal('/dev/zero')).to.equal('/dev/zero: a character device, not a regular file');
      const big = write('big.json', JSON.stringify({ config: { pad: 'x'.repeat(64 * 1024) } }));
      expect(netRefusal(big)).to.match(/more than the 65536 bytes/);
    });

    it('names the line and column of a JSON error and quotes nothing of the file (a wrong path may name a file of secrets)', () => {
      const secret = 'root:$6$S3cr3tSalt$hashhashhash:19000:0:99999:7:::';
      const shadow = write('shadow', `${secret}\ndaemon:*:19000:0:99999:7:::\n`);
      const m = netRefusal(shadow);
      expect(m).to.equal(`${shadow}: line 1, column 1: an unexpected character: not valid JSON`);
      const broken = write('broken.json', '{\n  "config": {\n    "mbed-mesh-api.thread-master-key": "S3cr3t" x\n  }\n}\n');
      const b = netRefusal(broken);
      expect(b).to.equal(`${broken}: line 3, column 49: Expected ',' or '}' after property value`);
      expect(() => loadNetworkConfig(dir, 'missing.json')).to.throw(NetworkConfigError, /missing\.json: cannot read \(ENOENT\)/);
    });
  });
});
