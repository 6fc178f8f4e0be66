// A lab rig's sniffer: `meshbench board --sniff` in a child process writes a pcap
// stream (LINKTYPE 283) of everything its RCP hears; each case gets the records
// stamped while it ran, as a capture.pcap of its own.
//
// A case is not cut when its stop reaches us: on a busy host the stream lags, at the
// sniffer's reading of its RCP and at ours of the sniffer, and frames heard before a
// case stopped were still on their way (a Child ID Request's second fragment and the
// Child ID Response were cut off a case that stopped at the attach, 3 of 7 runs). A
// stopped case asks the sniffer for a mark (`sync`, host/sniffer.ts): the RCP's answer
// comes after every frame it heard before, and the case holds every record up to the
// mark. Without a mark within STOP_SYNC_MS, the records stamped before the stop.
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { spawnSniffer } from './launcher.ts';

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
/**
 * How long a stopped case waits for the sniffer's mark: the RCP answers within the Spinel
 * answer timeout (2 s, host/rcp/spinel-link.ts) unless it is lost; from an RCP's frame to the
 * harness reading it, a loaded 2-core host took at most 0.8 s in 6544 frames (docs/rcp.md,
 * "A busy host"). Past it, the case keeps the records stamped before its stop.
 */
export const STOP_SYNC_MS = 5000;

interface CaseFile {
  fd: number;
  /** Records stamped from here (µs since the epoch, the pcap's clock) on belong to the case... */
  fromUs: number;
  /** ...and, once it stopped, before here, or every record before the mark it asked for. */
  untilUs?: number;
  awaitsMark?: boolean;
  drained?: Promise<void>;
  close?: () => void;
}

/** The wall clock in µs since the epoch, as the sniffer stamps records. */
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

export class LabSniffer {
  private child: ChildProcess | undefined;
  private buf = Buffer.alloc(0);
  private header: Buffer | undefined;
  private current: CaseFile | undefined;
  private draining: CaseFile[] = [];
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

  /** Frames stamped from now on go to `path` too (a pcap file of its own). */
  startCase(path: string): void {
    void this.stopCase();
    const fd = openSync(path, 'w');
    if (this.header) writeSync(fd, this.header);
    this.current = { fd, fromUs: nowUs() };
  }

  /** Frames stamped from now on are not the case's; resolves when its file is complete and closed. */
  stopCase(): Promise<void> {
    const c = this.current;
    if (!c) return Promise.resolve();
    this.current = undefined;
    c.untilUs = nowUs();
    const stdin = this.child?.stdin;
    if (stdin?.writable) {
      stdin.write('sync\n');
      c.awaitsMark = true;
    }
    c.drained = new Promise<void>((resolve) => {
      const timer = setTimeout(() => c.close?.(), STOP_SYNC_MS);
      c.close = () => {
        clearTimeout(timer);
        closeSync(c.fd);
        this.draining = this.draining.filter((d) => d !== c);
        c.close = undefined;
        resolve();
      };
    });
    this.draining.push(c);
    return c.drained;
  }

  async stop(): Promise<void> {
    void this.stopCase();
    for (const d of this.draining.slice()) d.close?.();
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
      this.buf = this.buf.subarray(len);
      if (len === RECORD_HEADER) {
        // A mark: the oldest case that asked for one has all its records.
        this.draining.find((d) => d.awaitsMark)?.close?.();
        continue;
      }
      this.frames++;
      const stampedUs = record.readUInt32LE(0) * 1e6 + record.readUInt32LE(4);
      for (const d of this.draining.slice()) {
        if (d.awaitsMark || stampedUs < d.untilUs!) writeSync(d.fd, record);
        else d.close?.();
      }
      if (this.current && stampedUs >= this.current.fromUs) writeSync(this.current.fd, record);
    }
  }
}
