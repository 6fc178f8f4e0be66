// Serial logs at flat cost: buffered writes, and a case's slice read by byte offset.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialLog } from '../../../harness/log/logger.ts';
import { redactor } from '../../../harness/report/sanitize.ts';
import { sliceOf } from '../../../harness/run/case-context.ts';

const lineBytes = (s: string) => new Uint8Array(Buffer.from(s + '\r\n', 'latin1'));

describe('harness/log: SerialLog', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-serial-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('buffers lines until flushed, counting their bytes as they are written', () => {
    const log = new SerialLog(dir, 'b1', redactor([]), 8192);
    log.bytes(lineBytes('MB! 1000 mesh event=connect'), 'rx');
    expect(log.lines).to.equal(1);
    expect(statSync(log.path).size, 'nothing written yet').to.equal(0);
    log.flush();
    expect(statSync(log.path).size).to.equal(log.offset);
    expect(readFileSync(log.path, 'utf8')).to.match(/ <- MB! 1000 mesh event=connect\n$/);
    log.close();
  });

  it('a slice holds exactly the lines since its offset, secrets redacted, from a log of any length', () => {
    const log = new SerialLog(dir, 'b1', redactor(['0011223344556677']));
    for (let i = 0; i < 2000; i++) log.bytes(lineBytes(`MB! ${i} noise`), 'rx');
    const from = log.offset;
    log.bytes(lineBytes('MB> 7 mesh.init network-key=0011223344556677'), 'tx');
    log.bytes(lineBytes('MB< 7 ok'), 'rx');
    const slice = sliceOf(log, from)!.toString('utf8');
    expect(slice.split('\n')).to.have.length(3);
    expect(slice).to.match(/^\S+ -> MB> 7 mesh\.init network-key=<redacted>\n\S+ <- MB< 7 ok\n$/);
    expect(sliceOf(log, log.offset), 'nothing new: no slice').to.equal(undefined);
    log.close();
    expect(statSync(log.path).size).to.equal(log.offset);
  });

  it('a flooding board: the log stops at its cap with one marker line, and counts what it dropped', () => {
    const log = new SerialLog(dir, 'b1', redactor([]), 4096, 64 * 1024);
    const flood = new Uint8Array(Buffer.from(`${'\x1b[2J'.repeat(50)}garbage\n`.repeat(200), 'latin1'));
    for (let i = 0; i < 20; i++) log.bytes(flood, 'rx');
    log.close();
    const size = statSync(log.path).size;
    expect(size).to.be.at.most(64 * 1024);
    expect(size, 'filled up to the cap').to.be.above(60 * 1024);
    const lines = readFileSync(log.path, 'utf8').trimEnd().split('\n');
    expect(lines.at(-1)).to.match(/ -- serial log capped at 65536 bytes: later traffic of this board is not logged$/);
    expect(lines.filter((l) => l.includes('capped'))).to.have.length(1);
    expect(log.stopped).to.equal('capped at 65536 bytes');
    expect(log.droppedBytes).to.be.above(20 * flood.length - 2 * 64 * 1024);
    // Escapes a board sends are logged as text, never raw.
    expect(readFileSync(log.path, 'latin1')).not.to.contain('\x1b');
  });
});
