// Per-case evidence: the properties a case records, the boards it used, its
// slice of every board's serial log and its capture, gathered into files in the
// run directory and attached to the case's report.
import { closeSync, existsSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { Board } from '../board/board.ts';
import type { Bench } from '../bench/bench.ts';
import type { Property } from '../report/model.ts';
import { LockstepClock } from '../sim/lockstep.ts';
import type { Series } from '../report/results.ts';
import type { CaseControls, SuiteBench } from '../suite-api/index.ts';

/** A case's evidence directory name: its id, or its title when it has none. */
export function caseSlug(idOrTitle: string): string {
  return idOrTitle.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 80);
}

/**
 * The command that runs one case again on the same rig and seed. On the simulated
 * bench (lockstep, and each case drawing from its own epoch) it reruns exactly that
 * case: same captures, same figures, same verdict.
 */
export function rerunCommand(bench: Pick<Bench, 'rigFile' | 'seed'>, caseId: string): string {
  const rel = relative(process.cwd(), bench.rigFile);
  const rig = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : bench.rigFile;
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return ['meshbench', 'run', '--rig', rig, '--seed', String(bench.seed), '--grep', caseId].map(quote).join(' ');
}

/** The bench as one case sees it: its rig controls are the case's own (undone after it). */
export function suiteBenchOf(bench: Bench, controls: CaseControls): SuiteBench {
  return {
    rig: bench.rigName,
    seed: bench.seed,
    clock: bench.clock,
    controls,
    bounds: bench.bounds,
    boards: bench.boards,
    board(id) {
      const b = bench.boards.find((x) => x.id === id);
      if (!b) throw new Error(`rig '${bench.rigName}' has no board '${id}'`);
      return b;
    },
    select(stack, role) {
      const roles = role === undefined ? undefined : Array.isArray(role) ? role : [role];
      return bench.boards.filter((b) => b.serves(stack, roles));
    },
  };
}

/** One attempt of one case. */
export class CaseRecorder {
  readonly properties: Property[] = [];
  readonly used = new Set<Board>();
  /** Time series the case sampled (a soak's delivery ratio over bench time...). */
  readonly series: Series[] = [];
  /** Files the runner adds to the case's evidence (its mesh snapshot). */
  readonly extraAttachments: string[] = [];
  private readonly logStart = new Map<string, number>();
  private readonly appStart = new Map<string, number>();
  /** Hops a suite measured itself (e.g. from a route table), beside those seen on datagrams. */
  notedHops = -1;
  /** The reason the case gave when it skipped itself. */
  skipReason: string | undefined;
  readonly dir: string;
  private capturing = false;

  constructor(
    private readonly bench: Bench,
    /** The case's id, or its title when it has none. */
    private readonly key: string,
    private readonly attempt: number,
  ) {
    this.dir = join(bench.runDir, 'cases', caseSlug(key) + (attempt > 0 ? `.retry${attempt}` : ''));
    for (const [id, log] of bench.serialLogs) this.logStart.set(id, log.offset);
    for (const b of bench.boards) this.appStart.set(b.id, b.markApp());
  }

  record(name: string, value: string | number | boolean): void {
    this.properties.push({ name, value: String(value) });
  }

  sample(name: string, atBenchS: number, value: number, unit: string): void {
    let s = this.series.find((x) => x.name === name);
    if (!s) this.series.push((s = { name, unit, points: [] }));
    s.points.push([atBenchS, value]);
  }

  /**
   * The most radio hops a datagram of this case travelled, as the receiving stacks
   * counted them: 0 when none was received, `unknown` when firmware could not count.
   */
  hops(): string {
    let max = this.notedHops;
    let datagrams = 0;
    for (const b of this.bench.boards) {
      const h = b.hopsSince(this.appStart.get(b.id) ?? 0);
      datagrams += h.datagrams;
      max = Math.max(max, h.maxHops);
    }
    if (max >= 0) return String(max);
    return datagrams > 0 ? 'unknown' : '0';
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    if (this.bench.sim) {
      // The case's own random draws and time grid: run alone (--grep) it runs as it did here.
      // A retry draws afresh; on a bench in lockstep the same draws would fail the same way.
      const key = this.key + (this.attempt > 0 ? `#retry${this.attempt}` : '');
      if (this.bench.clock instanceof LockstepClock) await this.bench.sim.control.call({ op: 'epoch', key });
      await this.bench.sim.control.call({ op: 'captureStart', path: join(this.dir, 'capture.pcap') });
      this.capturing = true;
    } else if (this.bench.sniffer) {
      this.bench.sniffer.startCase(join(this.dir, 'capture.pcap'));
      this.capturing = true;
    }
  }

  /** Stops the capture and writes the serial slices; returns the attachment paths. */
  async finish(): Promise<string[]> {
    const files: string[] = [];
    if (this.capturing && this.bench.sim) {
      this.capturing = false;
      try {
        await this.bench.sim.control.call({ op: 'captureStop' });
      } catch {
        /* the sim may be gone (interrupted run); keep what was written */
      }
      const pcap = join(this.dir, 'capture.pcap');
      if (existsSync(pcap)) files.push(pcap);
    } else if (this.capturing && this.bench.sniffer) {
      this.capturing = false;
      // A lab sniffer resolves once the frames stamped before the stop have all come through.
      await this.bench.sniffer.stopCase();
      const pcap = join(this.dir, 'capture.pcap');
      if (existsSync(pcap)) files.push(pcap);
    }
    for (const [id, log] of this.bench.serialLogs) {
      const slice = sliceOf(log, this.logStart.get(id) ?? 0);
      if (!slice) continue;
      const path = join(this.dir, `serial-${id}.log`);
      writeFileSync(path, slice);
      files.push(path);
    }
    return [...files, ...this.extraAttachments];
  }
}

/**
 * The bytes a serial log got since `from` (a byte offset), read from that offset on: a
 * case's slice costs what the case logged, however long the run before it.
 */
export function sliceOf(log: { path: string; offset: number; flush(): void }, from: number): Buffer | undefined {
  const end = log.offset;
  if (end <= from || !existsSync(log.path)) return undefined;
  log.flush();
  const buf = Buffer.alloc(end - from);
  const fd = openSync(log.path, 'r');
  try {
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
