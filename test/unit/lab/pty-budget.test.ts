import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PTY_RESERVE, ptyCount, ptyShortage } from '../../../harness/lab/pty-budget.ts';

describe('pseudo-terminals a bench needs, checked before bring-up', () => {
  let proc: string;
  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'mb-proc-'));
    mkdirSync(join(proc, 'sys/kernel/pty'), { recursive: true });
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));
  const host = (max: number, nr: number) => {
    writeFileSync(join(proc, 'sys/kernel/pty/max'), `${max}\n`);
    writeFileSync(join(proc, 'sys/kernel/pty/nr'), `${nr}\n`);
    return ptyCount(proc);
  };

  it('reads the limit and use from /proc/sys/kernel/pty, as Linux publishes them', () => {
    expect(host(4096, 5)).to.deep.equal({ max: 4096, inUse: 5 });
    expect(ptyCount(join(proc, 'nowhere'))).to.equal(undefined);
    expect(ptyCount()?.max, 'this host').to.be.a('number');
  });

  it('lets a bench up when its boards and the reserve fit, and says what is short otherwise', () => {
    expect(ptyShortage(64, host(4096, 5))).to.equal(undefined);
    expect(ptyShortage(4096 - 5 - PTY_RESERVE, host(4096, 5))).to.equal(undefined);
    expect(ptyShortage(256, host(4096, 3900))).to.equal(
      `the bench needs 256 pseudo-terminals (one per board) and ${PTY_RESERVE} are kept for the host, but only 196 of 4096 are free (kernel.pty.max 4096, 3900 in use); end other runs or use fewer boards`,
    );
    expect(ptyShortage(0, host(10, 10)), 'a lab of USB boards needs none').to.equal(undefined);
  });
});
