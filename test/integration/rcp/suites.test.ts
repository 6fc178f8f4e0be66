// The Thread suites on a lab rig of our RCP boards and real OpenThread boards on one
// simulated air: two `meshbench board --radio spawn:ot-rcp N` and two ot-cli-ftd, as
// rigs/lab-rcp.example.yaml puts dongles on a runner. A subset of the Thread cases
// keeps npm test short (the full -TH- list on real OpenThread alone takes minutes, in
// test/integration/lab/openthread.test.ts); it is chosen to cover what is new with an
// RCP board: forming (ours leads), joining in a mixed network, a toggle reaching every
// board, a disconnect, and a reset of a process board mid-join (the board starts a
// runtime and sets up its RCP before its banner). Every selected case must pass in one run.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { casesOf, meshbench } from '../lab/support.ts';
import { MESHBENCH, otBinary, ROOT } from './support.ts';

const CASES = ['JOIN-TH-001', 'JOIN-TH-002', 'LIGHT-TH-001', 'DISC-TH-001', 'RECOV-TH-005'];

describe('the Thread suites on our RCP boards and ot-cli-ftd boards, one air', function () {
  this.timeout(480_000);
  let rcp: string;
  let ftd: string;
  let dir: string;

  before(function () {
    rcp = otBinary(this, 'MESHBENCH_OT_RCP', 'ot-rcp');
    ftd = otBinary(this, 'MESHBENCH_OT_CLI_FTD', 'ot-cli-ftd');
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-rcp-suites-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it(`${CASES.join(', ')} pass on 2 RCP boards and 2 ot-cli-ftd boards at --time-speed=10`, async () => {
    const q = JSON.stringify;
    const where = 'cwd: "{runDir}", env: { PORT_OFFSET: "{portOffset}" }';
    const ours = (id: string, node: number, roles: string, config: Record<string, unknown>) => [
      `  - id: ${id}`,
      '    stack: thread',
      `    roles: [${roles}]`,
      '    firmware: meshbench-agent',
      `    port: { kind: process, command: ${q([process.execPath, MESHBENCH, 'board', '--id', '{board}', '--time-speed', '{speed}', '--radio', `spawn:${rcp}`, String(node)])}, ${where} }`,
      `    config: ${q(config)}`,
    ];
    const ot = (id: string, node: number, roles: string) =>
      [`  - id: ${id}`, '    stack: thread', `    roles: [${roles}]`, '    firmware: openthread-cli', `    port: { kind: process, command: ${q([ftd, '--time-speed={speed}', String(node)])}, ${where} }`, '    config: { "router-selection-jitter": 1 }'];
    const rig = join(dir, 'rcp.yaml');
    writeFileSync(
      rig,
      [
        'name: rcp-mixed',
        'kind: lab',
        'speed: 10',
        // A process board starts node and sets up its RCP before it answers: 15 s (rigs/lab-rcp.example.yaml).
        'answerTimeoutS: 15',
        `networks: { thread: ${q(join(ROOT, 'fixtures/networks/thread-default.json'))} }`,
        `lockDir: ${q(join(dir, 'locks'))}`,
        'boards:',
        // Ours leads and offers the global prefix (GLOBAL_UP needs one).
        ...ours('ours1', 3, 'leader, router', { 'border-router-prefix': '{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00}', 'router-selection-jitter': 1 }),
        ...ot('ot1', 5, 'router'),
        ...ours('ours2', 8, 'router, end-device', { 'router-selection-jitter': 1 }),
        ...ot('ot2', 12, 'end-device, router'),
        '',
      ].join('\n'),
    );
    const out = join(dir, 'run');
    const r = await meshbench(['run', '--rig', rig, '--grep', `(${CASES.join('|')}) `, '--out', out, '--retries', '0', '--quiet']);
    const cases = await casesOf(join(out, 'junit.xml'));
    const summary = cases.map((c) => `${c.verdict.padEnd(7)} ${c.name.split(' ')[0]} ${c.message.split('\n')[0]}`).join('\n');
    expect(cases.map((c) => c.name.split(' ')[0]).sort(), summary).to.deep.equal([...CASES].sort());
    // A failure shows the end of every board's serial log (the run directory goes with the test).
    const serial = join(out, 'serial');
    const tails = () => (existsSync(serial) ? readdirSync(serial).map((f) => `--- ${f}\n${readFileSync(join(serial, f), 'utf8').split('\n').filter((l) => !l.startsWith('spinel')).slice(-25).join('\n')}`).join('\n') : '');
    for (const c of cases) if (c.verdict !== 'passed') expect.fail(`${c.name}: ${c.message}\n\n${summary}\n\n${tails()}`);
    expect(r.code, `exit code\n${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`).to.equal(0);
    // Our boards said what they are: our stack on the RCP, whose version they name.
    const boards = cases.flatMap((c) => c.properties.get('board') ?? []);
    expect(boards.filter((b) => b.startsWith('ours')), boards.join('\n')).to.satisfy((l: string[]) => l.length > 0 && l.every((b) => /^ours[12] meshbench-rcp 0\.1\.0 on OPENTHREAD\/\S+; SIMULATION;/.test(b)));
  });
});
