// Hostile boards outside `run`: one that dies mid-check, one that prints a boot
// banner and then never answers, one whose answers carry terminal escapes and
// NUL. Each gets a verdict or a problem line, and its text reaches the terminal
// escaped.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boards } from '../../../harness/cli/commands/boards.ts';
import { checkAgentCommand } from '../../../harness/cli/commands/check-agent.ts';
import { doctorCommand } from '../../../harness/cli/commands/doctor.ts';
import type { Io } from '../../../harness/cli/commands/shared.ts';
import { checkAgent } from '../../../harness/lab/check-agent.ts';
import { PtyProcessTransport } from '../../../harness/lab/pty-process.ts';
import { terminalSafe } from '../../../harness/log/terminal.ts';

const BROKEN = join(import.meta.dirname, '../../../fixtures/fake-tools/broken-agent');

function capture(): Io & { text: () => string } {
  const lines: string[] = [];
  return { out: (l) => lines.push(l), err: (l) => lines.push(l), text: () => lines.join('\n') };
}

/** Control characters a terminal acts on (ESC, BEL, NUL, CR, C1). */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('hostile boards outside run: doctor, boards, check-agent', function () {
  this.timeout(40_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-hostile-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const rig = (mode: string) => {
    const path = join(dir, 'lab.yaml');
    writeFileSync(join(dir, 'nd.json'), JSON.stringify({ target_overrides: { '*': {} } }));
    writeFileSync(
      path,
      `name: hostile
kind: lab
networks: { nd: nd.json }
lockDir: ${JSON.stringify(join(dir, 'locks'))}
answerTimeoutS: 1
boards:
  - id: b1
    stack: nd
    roles: [router]
    firmware: meshbench-agent
    port: { kind: process, command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(BROKEN)}], env: { FAKE_AGENT_MODE: ${JSON.stringify(mode)} } }
`,
    );
    return path;
  };

  it('check-agent: a board that exits after identify gets a verdict naming where it went away, not an uncaught error', async () => {
    const t = new PtyProcessTransport({ command: [process.execPath, BROKEN], env: { FAKE_AGENT_MODE: 'exit-after-identify' } });
    await t.open();
    try {
      const vs = await checkAgent(t, { answerMs: 2000, skipReset: true });
      const gone = vs.find((v) => v.id === 'board-gone');
      expect(gone, JSON.stringify(vs)).to.include({ verdict: 'fail', requirement: 'the board stays attached and answering through the check' });
      expect(gone!.detail).to.match(/^the board went away \(.+\) at the request '[a-z.]+', after the requirement '[a-z.-]+'; the requirements after it were not checked$/);
    } finally {
      await t.close();
    }
    // Through the command: a failed verdict, exit 1.
    const io = capture();
    const t2 = new PtyProcessTransport({ command: [process.execPath, BROKEN], env: { FAKE_AGENT_MODE: 'exit-after-identify' } });
    expect(await checkAgentCommand(t2, { answerMs: 2000, skipReset: true }, io)).to.equal(1);
    expect(io.text()).to.match(/FAIL {2}board-gone/);
  });

  it('doctor: a board that printed its boot banner but does not answer identify is a problem, not "answers"', async () => {
    const io = capture();
    expect(await doctorCommand(rig('silent'), { answerMs: 1500 }, io)).to.equal(3);
    expect(io.text()).to.contain('PROBLEM  b1: process:');
    expect(io.text()).to.match(/is open but the board does not answer \(identify\)/);
    expect(io.text()).not.to.match(/ok {7}b1: answers/);
  });

  it('doctor and boards: escapes and NUL a board answers are shown escaped, never raw', async () => {
    const io = capture();
    expect(await doctorCommand(rig('escapes'), { answerMs: 3000 }, io)).to.equal(0);
    expect(io.text()).to.contain('ok       b1: answers (\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred\\x00nul 0.0.1)');
    expect(io.text()).not.to.match(RAW_CONTROL);
    const io2 = capture();
    expect(await boards({ rig: rig('escapes'), list: null, sysRoot: join(dir, 'nosys'), devRoot: join(dir, 'nodev') }, io2)).to.equal(0);
    expect(io2.text()).to.contain('b1: host process answers \\x1b]0;owned');
    expect(io2.text()).not.to.match(RAW_CONTROL);
  });

  it('terminal text: control characters as the JUnit shows them, CR too', () => {
    expect(terminalSafe('a\x1b[2Jb\x00c\rd\te\nf\x9b')).to.equal('a\\x1b[2Jb\\x00c\\x0dd\te\nf\\x9b');
  });
});
