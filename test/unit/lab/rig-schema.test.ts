import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { rigJsonSchema, RIG_SCHEMA_FILE } from '../../../harness/lab/json-schema.ts';
import { loadLabRig, parseLabRig } from '../../../harness/lab/rig-file.ts';
import { resetMethodOf } from '../../../harness/rig/lab.ts';

const RIGS = join(import.meta.dirname, '../../../rigs');

function board(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'b1', stack: 'nd', roles: ['router'], firmware: 'meshbench-agent', port: { kind: 'usb-serial', serial: '0240000012345678' }, ...extra };
}
function rig(boards: unknown[]): unknown {
  return { name: 't', kind: 'lab', networks: { nd: 'nd.json' }, boards };
}

describe('lab rig schema', () => {
  it('rigs/rig.schema.json is what the zod schemas generate (run `npx tsx harness/lab/json-schema.ts`)', () => {
    expect(readFileSync(RIG_SCHEMA_FILE, 'utf8')).to.equal(rigJsonSchema());
  });

  it('every rigs/lab-*.example.yaml loads', () => {
    const files = readdirSync(RIGS).filter((f) => /^lab-.*\.example\.yaml$/.test(f));
    expect(files.length).to.be.greaterThan(0);
    for (const f of files) expect(() => loadLabRig(join(RIGS, f)), f).not.to.throw();
  });

  it('warns about a bare /dev/ttyACMn, and accepts it', () => {
    const loaded = parseLabRig('x.yaml', rig([board({ port: { kind: 'tty', path: '/dev/ttyACM0' } })]));
    expect(loaded.warnings.join('\n')).to.match(/boards\[0\]\.port: \/dev\/ttyACM0 is a bare device node/);
  });

  it('takes command templates as argument arrays with known placeholders only', () => {
    expect(() => parseLabRig('x.yaml', rig([board({ flasher: { kind: 'command', argv: ['flash', '{image}', '--port', '{port}'] } })]))).not.to.throw();
    expect(() => parseLabRig('x.yaml', rig([board({ flasher: { kind: 'command', argv: ['flash', '{img}'] } })]))).to.throw(/boards\[0\]\.flasher\.argv: unknown placeholder/);
    expect(() => parseLabRig('x.yaml', rig([board({ flasher: { kind: 'command', argv: 'flash {image}' } })]))).to.throw(/boards\[0\]\.flasher\.argv/);
  });

  it('names the field of every problem', () => {
    const bad = rig([
      board({ reset: 'power' }),
      board({ id: 'b1', port: { kind: 'usb-serial', serial: '0240000012345678' } }),
    ]);
    expect(() => parseLabRig('x.yaml', bad)).to.throw(/boards\[0\]\.reset: 'power' needs a power control[\s\S]*boards\[1\]\.id: duplicate board id 'b1'[\s\S]*boards\[1\]\.port: '0240000012345678' is also board 'b1'/);
    expect(() => parseLabRig('x.yaml', rig([board({ colour: 'red' })]))).to.throw(/boards\[0\]: unknown field\(s\) 'colour'/);
    expect(() => parseLabRig('x.yaml', rig([board({ power: { kind: 'uhubctl', hub: 'one', port: 2 } })]))).to.throw(/boards\[0\]\.power\.hub/);
  });

  it('defaults the reset method: break for serial boards, power for process boards', () => {
    const loaded = parseLabRig('x.yaml', rig([board(), board({ id: 'p', port: { kind: 'process', command: ['ot-cli-ftd', '1'] } })]));
    expect(loaded.rig.boards.map(resetMethodOf)).to.deep.equal(['break', 'power']);
    expect(() => parseLabRig('x.yaml', rig([board({ id: 'p', reset: 'break', port: { kind: 'process', command: ['x'] } })]))).to.throw(/no serial break/);
  });
});
