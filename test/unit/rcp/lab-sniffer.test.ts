// A lab sniffer's case capture is cut by the records' own timestamps: a frame the sniffer
// stamped before the case stopped but that reached the harness after (a busy host's lagging
// pipe) is the case's; one stamped after is not, and its arrival closes the case's file.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabSniffer, STOP_DRAIN_MS } from '../../../harness/host/lab-sniffer.ts';

const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

function record(us: number, byte: number): Buffer {
  const r = Buffer.alloc(16 + 1);
  r.writeUInt32LE(Math.floor(us / 1e6), 0);
  r.writeUInt32LE(us % 1e6, 4);
  r.writeUInt32LE(1, 8);
  r.writeUInt32LE(1, 12);
  r[16] = byte;
  return r;
}

/** The one-byte payloads of a pcap file's records. */
function payloads(path: string): number[] {
  const b = readFileSync(path);
  const out: number[] = [];
  for (let at = 24; at + 16 < b.length; at += 16 + b.readUInt32LE(at + 8)) out.push(b[at + 16]!);
  return out;
}

describe('lab sniffer: a case\'s capture', function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-lab-sniffer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the frames stamped while the case ran, also those that arrive after stopCase; a later one closes it', async () => {
    const s = new LabSniffer(['unused'], 22);
    const take = (b: Buffer) => (s as unknown as { take(chunk: Buffer): void }).take(b);
    take(Buffer.alloc(24)); // the pcap header
    const path = join(dir, 'case.pcap');
    const beforeUs = nowUs() - 1000;
    take(record(beforeUs, 1)); // stamped before the case: not its
    s.startCase(path);
    const inUs = nowUs();
    take(record(inUs, 2));
    const stopped = s.stopCase();
    // Stamped before the stop, still in the pipe when it came: the case's.
    take(record(inUs + 1, 3));
    const t0 = Date.now();
    take(record(nowUs() + 1000, 4)); // stamped after: not the case's, and the case is complete
    await stopped;
    expect(Date.now() - t0, 'closed by the later record, not the drain limit').to.be.below(STOP_DRAIN_MS);
    expect(payloads(path)).to.deep.equal([2, 3]);
    expect(s.frames).to.equal(4);
  });

  it('closes a stopped case after the drain limit when no later frame comes', async () => {
    const s = new LabSniffer(['unused'], 22);
    const take = (b: Buffer) => (s as unknown as { take(chunk: Buffer): void }).take(b);
    take(Buffer.alloc(24));
    const path = join(dir, 'quiet.pcap');
    s.startCase(path);
    take(record(nowUs(), 7));
    await s.stopCase();
    take(record(nowUs() - 10_000_000, 8)); // the file is closed: nothing more is written
    expect(payloads(path)).to.deep.equal([7]);
  });
});
