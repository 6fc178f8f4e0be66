// Secrets never reach run.log: the run logger redacts every line it writes, and a
// board's non-protocol lines are redacted before they are logged, as the serial logs are.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nonProtocolLineLogger } from '../../../harness/bench/bench.ts';
import { boardLogger, createRunLogger, redactLogLine } from '../../../harness/log/logger.ts';
import { REDACTED, redactor } from '../../../harness/report/sanitize.ts';
import { tempDir } from './sample.ts';

// A Thread network key (hex) and a joiner PSKd, as a rig's network config gives them.
const NETWORK_KEY = '00112233445566778899aabbccddeeff';
const PSKD = 'J01NME7ESTKEY';

function runLog(dir: string): { text: string; lines: Record<string, unknown>[] } {
  const text = readFileSync(join(dir, 'run.log'), 'utf8');
  return { text, lines: text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('report: secrets in the run log', function () {
  it('a network key in a board noise line and in logged objects never appears in run.log', function () {
    const dir = tempDir();
    const redact = redactor([NETWORK_KEY, PSKD]);
    const log = createRunLogger(dir, { quiet: true, redact });
    const board = boardLogger(log, { id: 'br', port: join(dir, 'dev', 'br') });

    nonProtocolLineLogger(board, redact)(`boot: networkkey ${NETWORK_KEY.toUpperCase()} pskd ${PSKD}`, 'noise');
    log.info({ config: { 'thread-master-key': NETWORK_KEY, list: [`pskd=${PSKD}`] }, note: `key ${NETWORK_KEY}` }, `joining with ${NETWORK_KEY}`);
    log.error({ err: new Error(`board br rejected key ${NETWORK_KEY}`) }, 'join failed');
    log.child({ network: NETWORK_KEY }).warn('child bindings');
    board.debug({ [NETWORK_KEY]: 'as a key' }, 'odd');

    const { text, lines } = runLog(dir);
    expect(lines).to.have.length(5);
    expect(text.toLowerCase()).not.to.contain(NETWORK_KEY);
    expect(text).not.to.contain(PSKD);
    const noise = lines[0]!;
    expect(noise).to.include({ board: 'br', why: 'noise', msg: 'non-protocol line from board' });
    expect(noise['line']).to.equal(`boot: networkkey ${REDACTED} pskd ${REDACTED}`);
    expect(lines[1]!['config']).to.deep.equal({ 'thread-master-key': REDACTED, list: [`pskd=${REDACTED}`] });
    expect(lines[1]!['msg']).to.equal(`joining with ${REDACTED}`);
    expect((lines[2]!['err'] as { message: string }).message).to.equal(`board br rejected key ${REDACTED}`);
    expect(lines[3]!['network']).to.equal(REDACTED);
  });

  it('board noise is redacted even by a logger that knows no secrets', function () {
    const dir = tempDir();
    const log = createRunLogger(dir, { quiet: true });
    nonProtocolLineLogger(log, redactor([NETWORK_KEY]))(`key ${NETWORK_KEY}`, 'garbage');
    // Protocol text is the serial log's business, not the run log's.
    nonProtocolLineLogger(log, redactor([NETWORK_KEY]))('OK 1', 'text');
    const { text, lines } = runLog(dir);
    expect(lines).to.have.length(1);
    expect(text).not.to.contain(NETWORK_KEY);
  });

  it('without the run secrets, the value of a secret key on an agent line is still redacted', function () {
    const dir = tempDir();
    const log = createRunLogger(dir, { quiet: true });
    log.warn({ line: `set thread-pskd=${PSKD} thread-master-key="${NETWORK_KEY}"` }, 'echo');
    const { text, lines } = runLog(dir);
    expect(text).not.to.contain(PSKD);
    expect(text).not.to.contain(NETWORK_KEY);
    expect(lines[0]!['line']).to.equal(`set thread-pskd=${REDACTED} thread-master-key=${REDACTED}`);
  });

  it('a redacted line stays one JSON line', function () {
    const redact = redactor(['"quoted"']);
    const line = `${JSON.stringify({ level: 30, msg: 'a "quoted" word', n: 1 })}\n`;
    const out = redactLogLine(line, redact);
    expect(out.endsWith('\n')).to.equal(true);
    expect(JSON.parse(out)).to.deep.equal({ level: 30, msg: `a ${REDACTED} word`, n: 1 });
  });
});
