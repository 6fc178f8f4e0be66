// A lab rig's sniffer: `meshbench board --sniff` in a child process writes a pcap
// stream (LINKTYPE 283) of everything its RCP hears; each case gets the records
// that arrived while it ran, as a capture.pcap of its own.
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { spawnSniffer } from './launcher.ts';

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

export class LabSniffer {
  private child: ChildProcess | undefined;
  private buf = Buffer.alloc(0);
  private header: Buffer | undefined;
  private file: number | undefined;
  private stderr = '';
  /** Records seen since start. */
  frames = 0;

  constructor(
    private readonly radio: string[],
    private readonly channel: number,
    private readonly opts: { cwd?: string; env?: Record<string, string> } = {},
  ) {}

  /** Starts the sniffer; resolves when its RCP is set up (the pcap header arrived). */
  start(timeoutMs = 30_000): Promise<void> {
    const child = spawnSniffer(this.radio, this.channel, this.opts);
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    child.stdout!.on('data', (d: Buffer) => this.take(d));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sniffer (${this.radio.join(' ')}) not up within ${timeoutMs} ms: ${this.stderr.trim()}`)), timeoutMs);
      const check = setInterval(() => {
        if (this.header) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 20);
      child.once('exit', (code, signal) => {
        clearInterval(check);
        clearTimeout(timer);
        if (!this.header) reject(new Error(`sniffer (${this.radio.join(' ')}) exited (${signal ?? `code ${code}`}): ${this.stderr.trim()}`));
      });
    });
  }

  /** From now on, frames go to `path` too (a pcap file of its own). */
  startCase(path: string): void {
    this.stopCase();
    this.file = openSync(path, 'w');
    if (this.header) writeSync(this.file, this.header);
  }

  stopCase(): void {
    if (this.file !== undefined) closeSync(this.file);
    this.file = undefined;
  }

  async stop(): Promise<void> {
    this.stopCase();
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.stdin!.end();
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(killer);
  }

  private take(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    if (!this.header) {
      if (this.buf.length < GLOBAL_HEADER) return;
      this.header = this.buf.subarray(0, GLOBAL_HEADER);
      this.buf = this.buf.subarray(GLOBAL_HEADER);
    }
    // Whole records only: ts_sec, ts_usec, incl_len, orig_len (little-endian, as the header's magic says), then incl_len bytes.
    while (this.buf.length >= RECORD_HEADER) {
      const len = RECORD_HEADER + this.buf.readUInt32LE(8);
      if (this.buf.length < len) break;
      const record = this.buf.subarray(0, len);
      this.frames++;
      if (this.file !== undefined) writeSync(this.file, record);
      this.buf = this.buf.subarray(len);
    }
  }
}
