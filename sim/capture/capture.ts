// Captures of the medium as pcap files Wireshark and tshark read: one record
// per transmission, stamped with bench time. Start and stop while the medium
// keeps running, so each test case can get its own file.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Medium, NodeId, TransmissionRecord } from '../medium/medium.ts';
import { LINKTYPE_IEEE802_15_4_TAP, TapFcsType, pcapGlobalHeader, pcapRecord, tapFrame, type TapMeta } from './pcap.ts';

export interface CaptureSink {
  write(bytes: Uint8Array): void;
  close(): void;
}

/** Writes straight to a file, record by record, so a killed run leaves a readable capture. */
export class FileSink implements CaptureSink {
  private fd: number | undefined;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  write(bytes: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`capture ${this.path} is closed`);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
  }
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Keeps the capture in memory (tests, determinism checks). */
export class MemorySink implements CaptureSink {
  private readonly chunks: Uint8Array[] = [];
  closed = false;
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
  }
  close(): void {
    this.closed = true;
  }
  bytes(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export interface CaptureOptions {
  /**
   * Capture as one node hears the air: only frames it received, with its RSSI
   * and LQI. Default: every frame sent, as a sniffer next to the best-placed
   * receiver would see it (the strongest RSSI among those that received it).
   */
  viewpoint?: NodeId;
  /** Bench time the capture's timestamps count from (default 0: bench time as it is). */
  originUs?: number;
}

/** What goes into the TAP header of a transmission's record; undefined = not in this capture. */
export function frameMeta(rec: TransmissionRecord, viewpoint?: NodeId): TapMeta | undefined {
  if (rec.truncated) return undefined;
  const base = { fcsType: TapFcsType.Crc16, channel: rec.channel, page: 0 };
  if (viewpoint !== undefined) {
    const mine = rec.receivers.find((r) => r.node === viewpoint);
    if (!mine?.received) return undefined;
    return { ...base, rssiDbm: mine.rssiDbm, ...(mine.lqi !== undefined ? { lqi: mine.lqi } : {}) };
  }
  let best = rec.receivers.find((r) => r.received);
  for (const r of rec.receivers) if (r.received && best && r.rssiDbm > best.rssiDbm) best = r;
  if (!best) for (const r of rec.receivers) if (!best || r.rssiDbm > best.rssiDbm) best = r;
  if (!best) return base;
  return { ...base, rssiDbm: best.rssiDbm, ...(best.lqi !== undefined ? { lqi: best.lqi } : {}) };
}

export class Capture {
  private sink: CaptureSink | undefined;
  private unsubscribe: (() => void) | undefined;
  private viewpoint: NodeId | undefined;
  private originUs = 0;
  /** Records written since the last start. */
  frames = 0;

  constructor(private readonly medium: Medium) {}

  get active(): boolean {
    return this.sink !== undefined;
  }

  /** Starts a new capture into a file path (or a sink); stops the previous one first. */
  start(target: string | CaptureSink, opts: CaptureOptions = {}): void {
    this.stop();
    const sink = typeof target === 'string' ? new FileSink(target) : target;
    sink.write(pcapGlobalHeader(LINKTYPE_IEEE802_15_4_TAP));
    this.sink = sink;
    this.viewpoint = opts.viewpoint;
    this.originUs = opts.originUs ?? 0;
    this.frames = 0;
    this.unsubscribe = this.medium.observe((rec) => this.onTransmission(rec));
  }

  /** Closes the current capture; frames still on air when it stops are not in it. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.sink?.close();
    this.sink = undefined;
  }

  private onTransmission(rec: TransmissionRecord): void {
    if (!this.sink) return;
    const meta = frameMeta(rec, this.viewpoint);
    if (!meta) return;
    this.sink.write(pcapRecord(Math.max(0, rec.startUs - this.originUs), tapFrame(meta, rec.psdu)));
    this.frames++;
  }
}
