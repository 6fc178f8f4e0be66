// A lab sniffer's case capture ends at the mark the sniffer sends when asked at the case's
// stop (every frame its RCP heard before comes before it), however late the frames reach the
// harness; a sniffer that cannot be asked leaves the case the records stamped before the stop.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabSniffer, STOP_SYNC_MS } from '../../../harness/host/lab-sniffer.ts';

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
    expect(Date.now() - t0, 'closed by the later record, not the drain limit').to.be.below(STOP_SYNC_MS);
    expect(payloads(path)).to.deep.equal([2, 3]);
    expect(s.frames).to.equal(4);
  });

  it('asks the sniffer for a mark at stopCase and holds every record before it, stamped late or not', async () => {
    const s = new LabSniffer(['unused'], 22);
    const asked: string[] = [];
    (s as unknown as { child: unknown }).child = { stdin: { writable: true, write: (t: string) => asked.push(t) } };
    const take = (b: Buffer) => (s as unknown as { take(chunk: Buffer): void }).take(b);
    take(Buffer.alloc(24));
    const path = join(dir, 'marked.pcap');
    s.startCase(path);
    take(record(nowUs(), 1));
    const stopped = s.stopCase();
    expect(asked).to.deep.equal(['sync\n']);
    // Read from the RCP after the stop (a sniffer that fell behind), heard before the mark: the case's.
    take(record(nowUs() + 500_000, 2));
    const t0 = Date.now();
    take(record(nowUs() + 600_000, 0).subarray(0, 16).fill(0, 8, 16)); // the mark: a record of length 0
    await stopped;
    expect(Date.now() - t0, 'closed by the mark').to.be.below(STOP_SYNC_MS);
    take(record(nowUs(), 3)); // after the mark: not the case's
    expect(payloads(path)).to.deep.equal([1, 2]);
    expect(s.frames, 'the mark is no frame').to.equal(3);
  });

  it('closes a stopped case after the drain limit when no later frame comes', async function () {
    this.timeout(STOP_SYNC_MS + 5000);
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
