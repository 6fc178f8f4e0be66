// A Spinel host on a byte link: HDLC-lite framing, transaction ids (1..15, 0 for
// unsolicited frames, spec §3.1.3), one answer per request, and the frames the
// RCP sends on its own (received frames, resets). Every frame both ways goes to
// the log as one line, so a board's serial log shows its radio's exchange.
import { emitHdlc, HdlcSplitter } from '../wire/hdlc.ts';
import {
  Cmd,
  cmdName,
  emitPropPayload,
  emitSpinelFrame,
  isPropCommand,
  parseLastStatus,
  parsePropPayload,
  parseSpinelFrame,
  Prop,
  propName,
  statusName,
} from '../wire/spinel.ts';
import type { ByteLink } from './byte-link.ts';

export interface PropAnswer {
  command: number;
  key: number;
  value: Uint8Array;
}

/** The RCP answered a request with LAST_STATUS other than OK, or not at all. */
export class SpinelError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** What the answer to each command is (spec §4): GET/SET → IS, INSERT → INSERTED, REMOVE → REMOVED. */
const ANSWER: Record<number, number> = {
  [Cmd.PROP_VALUE_GET]: Cmd.PROP_VALUE_IS,
  [Cmd.PROP_VALUE_SET]: Cmd.PROP_VALUE_IS,
  [Cmd.PROP_VALUE_INSERT]: Cmd.PROP_VALUE_INSERTED,
  [Cmd.PROP_VALUE_REMOVE]: Cmd.PROP_VALUE_REMOVED,
};

interface Pending {
  command: number;
  key: number;
  resolve: (a: PropAnswer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Queued {
  command: number;
  key: number;
  value: Uint8Array;
  resolve: (a: PropAnswer) => void;
  reject: (e: Error) => void;
}

const hex = (b: Uint8Array, max = 160) => {
  const s = Buffer.from(b.subarray(0, max)).toString('hex');
  return b.length > max ? `${s}…(${b.length} bytes)` : s;
};

export class SpinelLink {
  private readonly splitter = new HdlcSplitter();
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: Queued[] = [];
  private nextTid = 1;
  private unsolicited: (a: PropAnswer) => void = () => {};
  private endedWhy: string | undefined;
  /** Frames that failed their FCS or did not parse. */
  badFrames = 0;
  /** Resolves with why when the byte link ends under us (the RCP's process died, the port went away); never rejects. */
  readonly ended: Promise<string>;

  constructor(
    private readonly link: ByteLink,
    private readonly log: (line: string) => void,
    /** Wall milliseconds an RCP gets to answer a request. */
    private readonly answerTimeoutMs = 2000,
  ) {
    link.onData((bytes) => this.receive(bytes));
    let ended: (why: string) => void = () => {};
    this.ended = new Promise((r) => (ended = r));
    // No answer comes over a link that ended: what waits for one fails now, with the reason.
    link.onClose((why) => {
      this.endedWhy ??= why;
      this.failAll(`the link to the RCP ended: ${why}`);
      ended(why);
    });
  }

  /** Why the byte link ended, or undefined while it is up. */
  get endedReason(): string | undefined {
    return this.endedWhy;
  }

  /** Frames with TID 0: received frames (STREAM_RAW), LAST_STATUS resets, logs. */
  onUnsolicited(fn: (a: PropAnswer) => void): void {
    this.unsolicited = fn;
  }

  get(key: number): Promise<PropAnswer> {
    return this.request(Cmd.PROP_VALUE_GET, key, new Uint8Array());
  }
  set(key: number, value: Uint8Array): Promise<PropAnswer> {
    return this.request(Cmd.PROP_VALUE_SET, key, value);
  }
  insert(key: number, value: Uint8Array): Promise<PropAnswer> {
    return this.request(Cmd.PROP_VALUE_INSERT, key, value);
  }
  remove(key: number, value: Uint8Array): Promise<PropAnswer> {
    return this.request(Cmd.PROP_VALUE_REMOVE, key, value);
  }

  /** CMD_RESET (reset type 2 = stack, spinel.h SPINEL_RESET_STACK); the RCP answers with an unsolicited LAST_STATUS reset. */
  reset(): void {
    this.sendFrame(emitSpinelFrame({ iid: 0, tid: 0, command: Cmd.RESET, payload: Uint8Array.of(2) }));
  }

  /** Fails every request in flight (the RCP reset or the link closed: no answer will come). */
  failAll(why: string): void {
    for (const [tid, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(tid);
      p.reject(new SpinelError(`${cmdName(p.command)} ${propName(p.key)}: ${why}`, undefined));
    }
    for (const q of this.waiting.splice(0)) q.reject(new SpinelError(`${cmdName(q.command)} ${propName(q.key)}: ${why}`, undefined));
  }

  request(command: number, key: number, value: Uint8Array): Promise<PropAnswer> {
    if (this.endedWhy !== undefined) return Promise.reject(new SpinelError(`${cmdName(command)} ${propName(key)}: the link to the RCP ended: ${this.endedWhy}`, undefined));
    return new Promise((resolve, reject) => {
      this.waiting.push({ command, key, value, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const tid = this.freeTid();
      if (tid === undefined) return;
      const q = this.waiting.shift()!;
      // The verdict waits for the input already read (setImmediate runs after the event loop's
      // poll, a timer's callback before it): a host that was not scheduled for a while wakes with
      // the answer in its pipe, which came in time.
      const timer = setTimeout(
        () =>
          setImmediate(() => {
            if (this.pending.get(tid) !== p) return;
            this.pending.delete(tid);
            this.log(`spinel ! tid=${tid} ${cmdName(q.command)} ${propName(q.key)}: no answer in ${this.answerTimeoutMs} ms`);
            q.reject(new SpinelError(`${cmdName(q.command)} ${propName(q.key)}: no answer within ${this.answerTimeoutMs} ms`, undefined));
            this.pump();
          }),
        this.answerTimeoutMs,
      );
      const p: Pending = { command: q.command, key: q.key, resolve: q.resolve, reject: q.reject, timer };
      this.pending.set(tid, p);
      this.logFrame('>', tid, q.command, q.key, q.value);
      this.sendFrame(emitSpinelFrame({ iid: 0, tid, command: q.command, payload: emitPropPayload({ key: q.key, value: q.value }) }));
    }
  }

  private freeTid(): number | undefined {
    for (let i = 0; i < 15; i++) {
      const tid = ((this.nextTid - 1 + i) % 15) + 1;
      if (!this.pending.has(tid)) {
        this.nextTid = (tid % 15) + 1;
        return tid;
      }
    }
    return undefined;
  }

  private sendFrame(frame: Uint8Array): void {
    if (frame[1] === Cmd.RESET) this.log(`spinel > tid=0 RESET ${hex(frame.subarray(2))}`);
    this.link.write(emitHdlc(frame));
  }

  private logFrame(dir: '>' | '<', tid: number, command: number, key: number, value: Uint8Array): void {
    let text = hex(value);
    if (key === Prop.LAST_STATUS) {
      const st = parseLastStatus(value);
      if (st.ok) text = `${statusName(st.value)}${value.length > 1 ? ' ' + hex(value.subarray(1)) : ''}`;
    }
    this.log(`spinel ${dir} tid=${tid} ${cmdName(command)} ${propName(key)} ${text}`.trimEnd());
  }

  private receive(bytes: Uint8Array): void {
    for (const r of this.splitter.push(bytes)) {
      if (!r.ok) {
        this.badFrames++;
        this.log(`spinel ! dropped a frame: ${r.error.code}: ${r.error.message}`);
        continue;
      }
      const f = parseSpinelFrame(r.value);
      if (!f.ok || !isPropCommand(f.value.command)) {
        this.badFrames++;
        this.log(`spinel ! ${f.ok ? `unexpected command ${cmdName(f.value.command)}` : f.error.message}: ${hex(r.value)}`);
        continue;
      }
      const prop = parsePropPayload(f.value.payload);
      if (!prop.ok) {
        this.badFrames++;
        this.log(`spinel ! ${prop.error.message}: ${hex(r.value)}`);
        continue;
      }
      const answer: PropAnswer = { command: f.value.command, key: prop.value.key, value: prop.value.value };
      this.logFrame('<', f.value.tid, answer.command, answer.key, answer.value);
      if (f.value.tid === 0) {
        this.unsolicited(answer);
        continue;
      }
      const p = this.pending.get(f.value.tid);
      if (!p) {
        this.log(`spinel ! tid=${f.value.tid}: an answer to no request of ours`);
        continue;
      }
      clearTimeout(p.timer);
      this.pending.delete(f.value.tid);
      this.settle(p, answer);
      this.pump();
    }
  }

  /**
   * The answer is the property with the expected command, or LAST_STATUS: OK for a
   * SET whose property echoes nothing, any other status an error (spec §4.1, §5.1).
   * A transmit's answer is LAST_STATUS by design; its caller reads the status itself.
   */
  private settle(p: Pending, a: PropAnswer): void {
    if (a.command === ANSWER[p.command] && a.key === p.key) return p.resolve(a);
    if (a.command === Cmd.PROP_VALUE_IS && a.key === Prop.LAST_STATUS) {
      if (p.key === Prop.STREAM_RAW && p.command === Cmd.PROP_VALUE_SET) return p.resolve(a);
      const st = parseLastStatus(a.value);
      const status = st.ok ? st.value : undefined;
      if (status === 0) return p.resolve(a);
      return p.reject(new SpinelError(`${cmdName(p.command)} ${propName(p.key)}: ${status === undefined ? 'unreadable status' : statusName(status)}`, status));
    }
    p.reject(new SpinelError(`${cmdName(p.command)} ${propName(p.key)}: answered with ${cmdName(a.command)} ${propName(a.key)}`, undefined));
  }
}
