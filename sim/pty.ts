// A board's UART on the simulated bench: a real pseudo-terminal. The sim keeps
// the master side; the harness opens the slave through a stable link
// (<run dir>/dev/<board id>), exactly as it opens /dev/ttyACM0 in a lab.
//
// Facts that bite (DESIGN.md): node-pty's JS `open()` starts a reader on the
// slave that steals bytes, so we call its native openpty directly; a new PTY
// echoes, so it is put in raw mode before the board speaks; PTY numbers are
// reused at once, hence the stable link; closing the master is what a pulled
// USB cable looks like from the harness.
import { closeSync, constants, mkdirSync, openSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import tty from 'node:tty';

interface NativePty {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
}

let native: NativePty | undefined;
function nativePty(): NativePty {
  if (!native) {
    const require = createRequire(import.meta.url);
    const { requireBinary } = require('@lydell/node-pty/requireBinary.js') as { requireBinary(f: string): unknown };
    native = requireBinary('pty.node') as NativePty;
  }
  return native;
}

/**
 * Raw, no echo, before anything is written: the board's own output must not come back
 * to it as input. Termios is per terminal, so the harness's serialport open re-applies
 * its own settings on top (it clears c_oflag and c_lflag). libuv's raw mode clears what
 * matters here on the input side (ECHO, ICANON, ISIG, IEXTEN, ICRNL, IXON, ISTRIP,
 * INPCK, BRKINT); unlike `stty raw` it leaves OPOST on, which only touches what the
 * harness writes before its port applies its own settings, and it writes nothing then.
 * Running `stty` instead cost a process per board: 150 ms each on a loaded machine,
 * minutes for a 1024-board bench (docs/benchmarks.md).
 */
function makeRaw(ptsPath: string): void {
  // A second descriptor of the slave: libuv reopens a terminal it wraps and this one is
  // closed after, leaving the sim's own slave descriptor untouched. Wrapping starts no
  // read before the next turn of the event loop, and destroy() comes first.
  const fd = openSync(ptsPath, constants.O_RDWR | constants.O_NOCTTY);
  try {
    const stream = new tty.ReadStream(fd);
    stream.setRawMode(true);
    stream.destroy();
  } finally {
    closeSync(fd);
  }
}

export class BoardPty {
  private readonly master: number;
  private readonly slave: number;
  private readonly reader: tty.ReadStream;
  private closed = false;
  private pending = '';
  private flushQueued = false;
  readonly ptsPath: string;

  constructor(
    readonly linkPath: string,
    onData: (bytes: Uint8Array) => void,
    /**
     * Keep what the harness has not read yet instead of dropping it (a lockstep bench
     * counts every byte, and the harness reads all of it; see control-lockstep.ts).
     */
    private readonly lossless = false,
  ) {
    const t = nativePty().open(80, 24);
    this.master = t.master;
    this.slave = t.slave;
    this.ptsPath = t.pty;
    makeRaw(t.pty);
    mkdirSync(dirname(linkPath), { recursive: true });
    rmSync(linkPath, { force: true });
    symlinkSync(t.pty, linkPath);
    this.reader = new tty.ReadStream(t.master);
    this.reader.on('data', (chunk: Buffer) => onData(new Uint8Array(chunk)));
    // EIO on the master means no process has the slave open: not an error here.
    this.reader.on('error', () => undefined);
  }

  /**
   * Queues text for the harness. Everything written in one turn of the event loop (a
   * whole slice of bench events, or the answer to one request) goes out in one write
   * when the turn ends: at 'max' a busy board prints many lines per slice, and one
   * system call per line was a measurable share of the sim's time (docs/benchmarks.md).
   */
  write(text: string): void {
    if (this.closed) return;
    this.pending += text;
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.closed || this.pending.length === 0) return;
    const buf = Buffer.from(this.pending, 'latin1');
    this.pending = '';
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.master, buf, off);
      } catch (e) {
        // The harness is not reading fast enough (or not at all): a real UART
        // drops bytes too. Keep the sim running.
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        if (this.lossless) {
          this.pending = buf.subarray(off).toString('latin1') + this.pending;
          this.flushQueued = true;
          setTimeout(() => this.flush(), 1);
        }
        return;
      }
    }
  }

  /** Unplug: the harness sees its port hang up. */
  close(): void {
    if (this.closed) return;
    // What the board printed before it lost power did leave the UART.
    this.flush();
    this.closed = true;
    rmSync(this.linkPath, { force: true });
    // The read stream owns the master fd and closes it; closing it here too
    // could close an fd number already reused by the next board's PTY.
    this.reader.destroy();
    closeSync(this.slave);
  }
}
