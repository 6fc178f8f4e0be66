// The agent protocol: the line format a board speaks on its serial port
// (docs/agent-protocol.md is the specification; this is its codec, used by both
// ends: firmware/ answers requests, harness/ sends them).
//
//   host  → board   MB> <id> <command> [key=value ...]
//   board → host    MB< <id> ok  t=<µs> [key=value ...]
//                   MB< <id> err t=<µs> code=<E_...> [msg="..."]
//   board → host    MB! <t µs> <event> [key=value ...]
//
// Anything else a board prints is board log. Lines are ASCII, end in LF (a CR
// before it is dropped) and are at most MAX_LINE bytes.

export const PROTOCOL_VERSION = 1;
export const MAX_LINE = 512;

export const REQUEST_PREFIX = 'MB> ';
export const RESPONSE_PREFIX = 'MB< ';
export const EVENT_PREFIX = 'MB! ';

/** Stable error codes of `err` responses. */
export const ERROR_CODES = [
  'E_SYNTAX', // the request line could not be parsed (answered with id 0 when no id could be read)
  'E_UNKNOWN_COMMAND',
  'E_BAD_ARGUMENT', // missing, unknown or malformed key=value
  'E_STATE', // not allowed now (e.g. mesh.connect before mesh.init)
  'E_BUSY', // a request with this id is still running, or the board cannot take more
  'E_UNSUPPORTED', // a valid command this firmware does not implement
  'E_INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type Args = Record<string, string>;

export type AgentLine =
  | { kind: 'request'; id: number; command: string; args: Args }
  | { kind: 'response'; id: number; ok: boolean; args: Args }
  | { kind: 'event'; t: number; name: string; args: Args }
  | { kind: 'log'; text: string; why: LogReason };

export type LogReason = 'text' | 'malformed' | 'overlong' | 'binary';

const BARE = /^[A-Za-z0-9_.:,/+\-@]+$/;
const KEY = /^[A-Za-z0-9][A-Za-z0-9_.\-]*$/;
const COMMAND = /^[a-z][a-z0-9_.\-]*$/;

/** A value as it goes on the wire: bare when it can be, else quoted with \\ \" \xHH escapes. */
export function quote(value: string): string {
  if (value.length > 0 && BARE.test(value)) return value;
  let out = '"';
  for (const b of new TextEncoder().encode(value)) {
    if (b === 0x22 || b === 0x5c) out += '\\' + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return out + '"';
}

function formatArgs(args: Args): string {
  let out = '';
  for (const [k, v] of Object.entries(args)) {
    if (!KEY.test(k)) throw new Error(`bad argument key '${k}'`);
    out += ` ${k}=${quote(v)}`;
  }
  return out;
}

export function formatRequest(id: number, command: string, args: Args = {}): string {
  if (!COMMAND.test(command)) throw new Error(`bad command '${command}'`);
  return `${REQUEST_PREFIX}${id} ${command}${formatArgs(args)}\n`;
}

export function formatResponse(id: number, ok: boolean, args: Args): string {
  return `${RESPONSE_PREFIX}${id} ${ok ? 'ok' : 'err'}${formatArgs(args)}\n`;
}

export function formatEvent(t: number, name: string, args: Args = {}): string {
  return `${EVENT_PREFIX}${Math.round(t)} ${name}${formatArgs(args)}\n`;
}

/** Splits `key=value key="quoted value"` into a record; undefined when malformed. */
export function parseArgs(text: string): Args | undefined {
  const args: Args = {};
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ') i++;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    if (eq < 0) return undefined;
    const key = text.slice(i, eq);
    if (!KEY.test(key)) return undefined;
    i = eq + 1;
    let value = '';
    if (text[i] === '"') {
      i++;
      const bytes: number[] = [];
      for (;;) {
        const ch = text[i];
        if (ch === undefined) return undefined;
        i++;
        if (ch === '"') break;
        if (ch === '\\') {
          const e = text[i];
          if (e === '"' || e === '\\') {
            bytes.push(e.charCodeAt(0));
            i++;
          } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
            bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
            i += 3;
          } else return undefined;
        } else bytes.push(ch.charCodeAt(0));
      }
      value = new TextDecoder().decode(new Uint8Array(bytes));
      if (i < text.length && text[i] !== ' ') return undefined;
    } else {
      const end = text.indexOf(' ', i);
      value = text.slice(i, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
      if (!BARE.test(value)) return undefined;
    }
    if (key in args) return undefined;
    args[key] = value;
  }
  return args;
}

const REQUEST_RE = /^MB> (\d{1,9}) ([a-z][a-z0-9_.\-]*)(.*)$/;
const RESPONSE_RE = /^MB< (\d{1,9}) (ok|err)(.*)$/;
const EVENT_RE = /^MB! (\d{1,16}) ([a-z][a-z0-9_.\-]*)(.*)$/;

/** Classifies one line (without its terminator). Never throws: what is not protocol is log. */
export function parseLine(line: string): AgentLine {
  if (!line.startsWith('MB')) return { kind: 'log', text: line, why: 'text' };
  let m = REQUEST_RE.exec(line);
  if (m) {
    const args = parseArgs(m[3]!);
    if (args) return { kind: 'request', id: Number(m[1]), command: m[2]!, args };
  }
  m = RESPONSE_RE.exec(line);
  if (m) {
    const args = parseArgs(m[3]!);
    if (args) return { kind: 'response', id: Number(m[1]), ok: m[2] === 'ok', args };
  }
  m = EVENT_RE.exec(line);
  if (m) {
    const args = parseArgs(m[3]!);
    if (args) return { kind: 'event', t: Number(m[1]), name: m[2]!, args };
  }
  const looksLikeProtocol = /^MB[<>!] /.test(line);
  return { kind: 'log', text: line, why: looksLikeProtocol ? 'malformed' : 'text' };
}

/**
 * Turns a byte stream into lines. Robust to anything a UART delivers: split
 * reads, NUL and other control bytes, bytes ≥ 0x80, CR/LF, and lines without
 * end. A line longer than MAX_LINE is cut and reported as one 'overlong' log
 * line; a line with non-ASCII or control bytes is reported as 'binary' log
 * with those bytes shown as \xHH, so nothing a board sends is lost or breaks
 * the session.
 */
export class LineSplitter {
  private buf: number[] = [];
  private overlong = false;

  push(chunk: Uint8Array): AgentLine[] {
    const out: AgentLine[] = [];
    for (const b of chunk) {
      if (b === 0x0a) {
        out.push(this.finishLine());
        continue;
      }
      if (this.overlong) continue;
      this.buf.push(b);
      if (this.buf.length > MAX_LINE) {
        out.push({ kind: 'log', text: render(this.buf.slice(0, MAX_LINE)) + '…', why: 'overlong' });
        this.buf = [];
        this.overlong = true;
      }
    }
    return out;
  }

  /** What is buffered without a line end (e.g. when the port closes). */
  flush(): AgentLine[] {
    if (this.buf.length === 0) {
      this.overlong = false;
      return [];
    }
    return [this.finishLine()];
  }

  private finishLine(): AgentLine {
    const bytes = this.buf;
    const wasOverlong = this.overlong;
    this.buf = [];
    this.overlong = false;
    if (wasOverlong) return { kind: 'log', text: render(bytes), why: 'overlong' };
    if (bytes[bytes.length - 1] === 0x0d) bytes.pop();
    const clean = bytes.every((b) => b >= 0x20 && b < 0x7f);
    if (!clean) return { kind: 'log', text: render(bytes), why: 'binary' };
    return parseLine(String.fromCharCode(...bytes));
  }
}

/** Printable rendering of raw bytes: ASCII kept, everything else as \xHH. */
export function render(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    s += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : b === 0x5c ? '\\\\' : '\\x' + b.toString(16).padStart(2, '0');
  }
  return s;
}
