// Agent conformance: exercises a board's agent against docs/agent-protocol.md
// and gives a verdict per requirement, so a lab knows its C++ agent is right
// before it runs suites. It reads the raw lines itself (not through the agent
// client, which is built to forgive): every answer is checked as sent.
import { LineSplitter, MAX_LINE, type AgentLine, type Args } from '../../protocol/agent.ts';
import { LIGHT_GROUP, LIGHT_PORT } from '../../protocol/light-control.ts';
import { CONNECTION_STATUSES, Nsapi, type ConnectionStatus } from '../../protocol/mesh.ts';
import type { Transport } from '../board/transport.ts';
import { terminalSafe } from '../log/terminal.ts';

export type VerdictKind = 'pass' | 'fail' | 'skip';

export interface Verdict {
  id: string;
  requirement: string;
  verdict: VerdictKind;
  detail?: string;
}

type Response = Extract<AgentLine, { kind: 'response' }>;
const STATUSES: readonly string[] = CONNECTION_STATUSES;
type Event = Extract<AgentLine, { kind: 'event' }>;

/** The board went away (its port closed, its process ended) in the middle of the check. */
class BoardGoneError extends Error {}

class RawSession {
  readonly lines: AgentLine[] = [];
  private readonly splitter = new LineSplitter();
  private wake: (() => void) | undefined;
  /** Every response seen, in order, for the once-only and monotonic-t checks. */
  readonly responses: Response[] = [];
  /** Why the port closed, once it has. */
  gone: string | undefined;
  /** The last request written, to say where the board went away. */
  lastRequest: string | undefined;

  constructor(readonly transport: Transport) {
    transport.onData((b) => {
      for (const l of this.splitter.push(b)) {
        this.lines.push(l);
        if (l.kind === 'response') this.responses.push(l);
      }
      this.wake?.();
    });
    transport.onClose((why) => {
      this.gone ??= why;
      this.wake?.();
    });
  }

  async write(text: string | Uint8Array): Promise<void> {
    if (typeof text === 'string') {
      const m = /^MB> \d+ (\S+)/.exec(text);
      if (m) this.lastRequest = m[1];
    }
    if (this.gone || !this.transport.isOpen) throw new BoardGoneError(this.gone ?? 'the port is closed');
    try {
      await this.transport.write(text);
    } catch (e) {
      this.gone ??= (e as Error).message;
      throw new BoardGoneError(this.gone);
    }
  }

  async waitFor<T extends AgentLine>(pred: (l: AgentLine) => l is T, ms: number, from = 0): Promise<T | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
      if (this.gone) throw new BoardGoneError(this.gone);
      const left = until - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  async request(id: number, text: string, ms: number): Promise<Response | undefined> {
    const from = this.lines.length;
    await this.write(text);
    return this.waitFor((l): l is Response => l.kind === 'response' && l.id === id, ms, from);
  }
}

export interface CheckOptions {
  /** Wall ms to wait for one answer. */
  answerMs?: number;
  /** Wall ms to wait for the boot banner after `reset`. */
  bootMs?: number;
  /** Wall ms to wait for the first answer: a port just opened may be a board still starting (default 10 s, at least answerMs). */
  startMs?: number;
  /** Skip `reset` (e.g. a board whose reset takes its port away). */
  skipReset?: boolean;
  /** Wall ms to wait, after mesh.connect, for the board to be up on its own before the UDP and light checks that need an address (default 10 s). */
  upMs?: number;
}

const BANNER_KEYS = ['firmware', 'version', 'protocol', 'board', 'eui64', 'stacks'];

function bannerProblems(args: Args): string[] {
  const p: string[] = [];
  for (const k of BANNER_KEYS) if (args[k] === undefined) p.push(`no '${k}'`);
  if (args.protocol !== undefined && args.protocol !== '1') p.push(`protocol=${args.protocol}, expected 1`);
  if (args.eui64 !== undefined && !/^[0-9a-fA-F]{16}$/.test(args.eui64)) p.push(`eui64 '${args.eui64}' is not 16 hex digits`);
  if (args.stacks !== undefined && !args.stacks.split(',').every((s) => s === 'nd' || s === 'thread')) p.push(`stacks '${args.stacks}' is not a list of nd,thread`);
  return p;
}

/**
 * Every requirement's verdict. A board that goes away mid-check ends it with a
 * verdict saying so, at which request and after which requirement, never an
 * uncaught error.
 */
export async function checkAgent(transport: Transport, opts: CheckOptions = {}): Promise<Verdict[]> {
  const s = new RawSession(transport);
  const out: Verdict[] = [];
  try {
    return await runChecks(s, transport, opts, out);
  } catch (e) {
    if (!(e instanceof BoardGoneError)) throw e;
    const after = out.at(-1);
    out.push({
      id: 'board-gone',
      requirement: 'the board stays attached and answering through the check',
      verdict: 'fail',
      detail: `the board went away (${e.message}) ${s.lastRequest ? `at the request '${s.lastRequest}'` : 'before the first request'}${after ? `, after the requirement '${after.id}'` : ''}; the requirements after it were not checked`,
    });
    return out;
  }
}

async function runChecks(s: RawSession, transport: Transport, opts: CheckOptions, out: Verdict[]): Promise<Verdict[]> {
  const ms = opts.answerMs ?? 3000;
  const verdict = (id: string, requirement: string, ok: boolean | 'skip', detail?: string) =>
    out.push({ id, requirement, verdict: ok === 'skip' ? 'skip' : ok ? 'pass' : 'fail', ...(detail ? { detail } : {}) });
  const describe = (r: Response | undefined) => (r ? `answered ${r.ok ? 'ok' : 'err'} ${Object.entries(r.args).map(([k, v]) => `${k}=${v}`).join(' ')}` : `no answer within ${ms} ms`);
  let nextId = 100;
  const req = (command: string, args = '', id = nextId++) => s.request(id, `MB> ${id} ${command}${args ? ' ' + args : ''}\n`, ms);
  const isErr = (r: Response | undefined, code: string) => r !== undefined && !r.ok && r.args.code === code;

  // Drain boot noise and anything left from before we opened the port.
  await s.write('\n');
  const startMs = Math.max(ms, opts.startMs ?? 10_000);
  const ident = await s.request(nextId, `MB> ${nextId++} identify\n`, startMs);
  if (!ident) {
    verdict('identify', 'identify answers ok with the banner keys', false, `no answer within ${startMs} ms`);
    verdict('session', 'the agent answers at all', false, `no answer to identify within ${startMs} ms on ${transport.path}; is it the right port and baud rate?`);
    return out;
  }
  const identProblems = ident.ok ? bannerProblems(ident.args) : [describe(ident)];
  verdict('identify', 'identify answers ok with firmware, version, protocol=1, board, eui64 (16 hex), stacks', identProblems.length === 0, identProblems.join('; ') || undefined);
  const stacks = (ident.args.stacks ?? '').split(',').filter((x) => x === 'nd' || x === 'thread');

  const noop = await req('noop');
  verdict('noop', 'noop answers ok', noop?.ok === true, noop?.ok ? undefined : describe(noop));

  const ids = [1, 999_999_999, 42];
  const echoed: string[] = [];
  for (const id of ids) {
    const r = await req('noop', '', id);
    if (!r) echoed.push(`id ${id}: no answer`);
  }
  verdict('ids', 'responses echo the request id (1, 999999999, 42)', echoed.length === 0, echoed.join('; ') || undefined);

  const crlf = await s.request(43, 'MB> 43 noop\r\n', ms);
  verdict('crlf', 'a CR before the LF is ignored', crlf?.ok === true, crlf?.ok ? undefined : describe(crlf));

  const unknown = await req('no.such.command');
  verdict('unknown-command', 'an unknown command answers err code=E_UNKNOWN_COMMAND', isErr(unknown, 'E_UNKNOWN_COMMAND'), isErr(unknown, 'E_UNKNOWN_COMMAND') ? undefined : describe(unknown));

  const badStack = await req('mesh.init', 'stack=bogus');
  const badOk = isErr(badStack, 'E_BAD_ARGUMENT') && /stack/.test(badStack?.args.msg ?? '');
  verdict('bad-argument', "a malformed value answers err code=E_BAD_ARGUMENT naming the key (mesh.init stack=bogus)", badOk, badOk ? undefined : describe(badStack));
  const missing = await req('mesh.init');
  verdict('missing-argument', 'a missing key answers err code=E_BAD_ARGUMENT (mesh.init without stack)', isErr(missing, 'E_BAD_ARGUMENT'), isErr(missing, 'E_BAD_ARGUMENT') ? undefined : describe(missing));

  {
    const from = s.lines.length;
    await s.write('MB> 44 noop =x\n');
    const r = await s.waitFor((l): l is Response => l.kind === 'response' && (l.id === 44 || l.id === 0), ms, from);
    verdict('syntax', 'an unparsable request answers err code=E_SYNTAX (MB> 44 noop =x)', isErr(r, 'E_SYNTAX'), isErr(r, 'E_SYNTAX') ? undefined : describe(r));
  }

  {
    const text = 'MB> 45 noop\n';
    const from = s.lines.length;
    for (const ch of text) {
      await s.write(ch);
      await new Promise((r) => setTimeout(r, 5));
    }
    const r = await s.waitFor((l): l is Response => l.kind === 'response' && l.id === 45, ms, from);
    verdict('split', 'a request that arrives one byte at a time is answered', r?.ok === true, r?.ok ? undefined : describe(r));
  }

  {
    await s.write(new Uint8Array([0x00, 0x1b, 0x5b, 0x32, 0x4a, 0xff, 0x67, 0x61, 0x72, 0x62, 0x61, 0x67, 0x65, 0x0a]));
    await s.write('just some text\nMB\n\x00\x00\x1b');
    await s.write('\n');
    const r = await req('noop', '', 46);
    verdict('noise', 'garbage, NUL and ESC bytes between requests do not break the session', r?.ok === true, r?.ok ? undefined : describe(r));
  }

  {
    const from = s.lines.length;
    await s.write(`MB> 47 noop x=${'a'.repeat(MAX_LINE + 100)}\n`);
    const r = await s.waitFor((l): l is Response => l.kind === 'response' && (l.id === 0 || l.id === 47), ms, from);
    const after = await req('noop', '', 48);
    const ok = isErr(r, 'E_SYNTAX') && r?.id === 0 && after?.ok === true;
    verdict('overlong', `a line over ${MAX_LINE} bytes answers err id 0 code=E_SYNTAX, and the next request is answered`, ok, ok ? undefined : `${describe(r)}; next request: ${describe(after)}`);
  }

  // Every command of the protocol.
  if (stacks.length === 0) verdict('mesh.init', 'mesh.init answers ok with an integer result', 'skip', 'the board reports no stacks');
  else {
    const r = await req('mesh.init', `stack=${stacks[0]}`);
    verdict('mesh.init', `mesh.init stack=${stacks[0]} answers ok with an integer result`, r?.ok === true && /^-?\d+$/.test(r.args.result ?? ''), describe(r));
    const c = await req('mesh.config', '');
    const cOk = c?.ok === true || isErr(c, 'E_UNSUPPORTED');
    verdict('mesh.config', 'mesh.config answers ok (or E_UNSUPPORTED)', cOk, cOk ? undefined : describe(c));
    const from = s.lines.length;
    const con = await req('mesh.connect');
    verdict('mesh.connect', 'mesh.connect answers ok with an integer result at once', con?.ok === true && /^-?\d+$/.test(con.args.result ?? ''), describe(con));
    const ev = await s.waitFor((l): l is Event => l.kind === 'event' && l.name === 'mesh', ms, from);
    const evOk = ev !== undefined && ev.args.event !== undefined && STATUSES.includes(ev.args.status ?? '') && (ev.args.callback === '0' || ev.args.callback === '1');
    verdict('mesh-event', 'mesh events carry event=, status= (an NSAPI status) and callback=0|1', con?.args.result === '0' ? evOk : 'skip', evOk ? undefined : ev ? `MB! ${ev.t} mesh ${JSON.stringify(ev.args)}` : con?.args.result === '0' ? `no mesh event within ${ms} ms of connect` : 'connect did not start');
    const st = await req('mesh.status');
    const stOk = st?.ok === true && STATUSES.includes(st.args.status ?? '');
    verdict('mesh.status', `mesh.status answers status=${CONNECTION_STATUSES.join('|')}`, stOk, describe(st));
    const ip = await req('ip.addrs');
    verdict('ip.addrs', 'ip.addrs answers addrs=<comma-separated IPv6>', ip?.ok === true && ip.args.addrs !== undefined && (ip.args.addrs ?? '').split(',').filter(Boolean).every((a) => a.includes(':')), describe(ip));
    await checkUdpAndLight({ s, ms, req, verdict, describe, isErr, upMs: opts.upMs ?? 10_000, wasUp: ev?.args.status === 'LOCAL_UP' || ev?.args.status === 'GLOBAL_UP' });
    const dis = await req('mesh.disconnect');
    verdict('mesh.disconnect', 'mesh.disconnect answers ok with an integer result', dis?.ok === true && /^-?\d+$/.test(dis.args.result ?? ''), describe(dis));
  }

  if (opts.skipReset) verdict('reset', 'reset answers ok, then the boot banner follows', 'skip', 'skipped by request');
  else {
    const from = s.lines.length;
    const r = await req('reset');
    const banner = await s.waitFor((l): l is Event => l.kind === 'event' && l.name === 'boot', opts.bootMs ?? 10_000, from);
    const problems = banner ? bannerProblems(banner.args) : ['no boot banner'];
    verdict('reset', 'reset answers ok, then the boot banner follows with firmware, version, protocol, board, eui64, stacks', r?.ok === true && problems.length === 0, r?.ok ? problems.join('; ') || undefined : describe(r));
    if (banner) {
      // After a reboot the board's clock starts again: check t only up to here.
      const again = await req('identify');
      verdict('after-reset', 'the agent answers after its reset', again?.ok === true, again?.ok ? undefined : describe(again));
    }
  }

  // Whole-session properties.
  const counts = new Map<number, number>();
  for (const r of s.responses) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  const dup = [...counts].filter(([id, n]) => n > 1 && id !== 0).map(([id, n]) => `id ${id} answered ${n} times`);
  verdict('once', 'each request is answered exactly once', dup.length === 0, dup.join('; ') || undefined);
  const bootAt = s.lines.findIndex((l) => l.kind === 'event' && l.name === 'boot');
  const timed = s.lines.slice(0, bootAt < 0 ? undefined : bootAt).flatMap((l) => (l.kind === 'response' ? [Number(l.args.t)] : l.kind === 'event' ? [l.t] : []));
  const missingT = s.responses.filter((r) => !/^\d+$/.test(r.args.t ?? '')).map((r) => r.id);
  const back = timed.findIndex((t, i) => i > 0 && t < timed[i - 1]!);
  verdict('t', 't= is on every response and never goes backwards (until a reboot)', missingT.length === 0 && back < 0, [missingT.length ? `no t= on responses ${missingT.join(',')}` : '', back >= 0 ? `t went from ${timed[back - 1]} to ${timed[back]}` : ''].filter(Boolean).join('; ') || undefined);
  return out;
}

interface Checker {
  s: RawSession;
  ms: number;
  req: (command: string, args?: string) => Promise<Response | undefined>;
  verdict: (id: string, requirement: string, ok: boolean | 'skip', detail?: string) => void;
  describe: (r: Response | undefined) => string;
  isErr: (r: Response | undefined, code: string) => boolean;
  upMs: number;
  wasUp: boolean;
}

const INT = /^-?\d+$/;
const UP: readonly string[] = ['LOCAL_UP', 'GLOBAL_UP'] satisfies ConnectionStatus[];
/** A realm-local group for the multicast loop to self (flooded, so the sender's own socket hears it with hops=0). */
const CHECK_GROUP = 'ff03::6d62';

/**
 * The UDP and light commands, on one board alone. What one board can prove by
 * itself: every command's answer and error codes; and, once it is up (a lone
 * Thread board becomes leader; a lone 6LoWPAN-ND border router is up), that
 * a datagram to a group its socket joined comes back to that socket as a
 * `udp` event (the sender's own copy, hops=0), that a burst ends in a
 * `udp.burst` event, that udp.stats counts both, and that a light press comes
 * back as a `light` event from itself. A board that is not up alone gets
 * those verdicts skipped with what its sends answered.
 */
async function checkUdpAndLight(c: Checker): Promise<void> {
  const { s, ms, req, verdict, describe, isErr } = c;
  const codeOf = (r: Response | undefined) => (r?.ok ? `result=${r.args.result ?? '(none)'}` : describe(r));
  const resultIs = (r: Response | undefined, v: number) => r?.ok === true && r.args.result === String(v);

  // Up on its own? (asked only when a send fails: a board's own multicast may loop back before it is up.)
  let up = c.wasUp;
  const waitUp = async (): Promise<boolean> => {
    const until = Date.now() + c.upMs;
    while (Date.now() < until) {
      const st = await req('mesh.status');
      if (st?.ok && UP.includes(st.args.status ?? '')) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  };
  const notUp = `the board is not up on its own within ${c.upMs} ms (one board alone: an ND router needs a border router)`;

  // udp.open: an ephemeral port, events on.
  const open = await req('udp.open', 'port=0 events=1');
  const sock = open?.args.socket ?? '';
  const port = Number(open?.args.port);
  const openOk = resultIs(open, Nsapi.OK) && /^\d+$/.test(sock) && Number.isInteger(port) && port >= 1 && port <= 65535;
  verdict('udp.open', 'udp.open port=0 events=1 answers result=0 socket=<n> port=<the ephemeral port bound>', openOk, openOk ? undefined : describe(open));
  if (!openOk) {
    for (const id of ['udp.open-in-use', 'udp.send', 'udp.send-args', 'udp.join', 'udp.leave', 'udp-event', 'udp.burst', 'udp.burst-event', 'udp.stats', 'udp.close']) verdict(id, `${id} (needs a socket)`, 'skip', 'udp.open did not give a socket');
  } else {
    const again = await req('udp.open', `port=${port}`);
    const light = await req('udp.open', `port=${LIGHT_PORT}`);
    const inUseOk = resultIs(again, Nsapi.PARAMETER) && resultIs(light, Nsapi.PARAMETER);
    verdict('udp.open-in-use', `udp.open on a bound port answers result=${Nsapi.PARAMETER} (its own, and ${LIGHT_PORT} of the light app)`, inUseOk, inUseOk ? undefined : `port ${port}: ${codeOf(again)}; port ${LIGHT_PORT}: ${codeOf(light)}`);
    for (const r of [again, light]) if (r?.ok && r.args.socket) await req('udp.close', `socket=${r.args.socket}`);

    // Argument errors and a socket that was never opened.
    const both = await req('udp.send', `socket=${sock} addr=${CHECK_GROUP} port=${port} data=00 len=12`);
    const short = await req('udp.send', `socket=${sock} addr=${CHECK_GROUP} port=${port} len=5`);
    const badAddr = await req('udp.send', `socket=${sock} addr=nowhere port=${port} data=00`);
    const argsOk = isErr(both, 'E_BAD_ARGUMENT') && isErr(short, 'E_BAD_ARGUMENT') && isErr(badAddr, 'E_BAD_ARGUMENT');
    verdict('udp.send-args', 'udp.send answers E_BAD_ARGUMENT for data= and len= together, len below 12, and an address that is not IPv6', argsOk, argsOk ? undefined : `both: ${describe(both)}; len=5: ${describe(short)}; addr=nowhere: ${describe(badAddr)}`);
    const ghost = await req('udp.send', `socket=999999 addr=${CHECK_GROUP} port=${port} data=00`);
    const ghostClose = await req('udp.close', 'socket=999999');
    const ghostJoin = await req('udp.join', `socket=999999 group=${CHECK_GROUP}`);
    const ghostOk = resultIs(ghost, Nsapi.NO_SOCKET) && resultIs(ghostClose, Nsapi.NO_SOCKET) && resultIs(ghostJoin, Nsapi.NO_SOCKET);
    verdict('udp.no-socket', `udp.send, udp.close and udp.join on a socket never opened answer result=${Nsapi.NO_SOCKET}`, ghostOk, ghostOk ? undefined : `send: ${codeOf(ghost)}; close: ${codeOf(ghostClose)}; join: ${codeOf(ghostJoin)}`);

    // Membership: join, a second join, a unicast "group", leave, a second leave; then join for the loop.
    const j1 = await req('udp.join', `socket=${sock} group=${CHECK_GROUP}`);
    const j2 = await req('udp.join', `socket=${sock} group=${CHECK_GROUP}`);
    const jUni = await req('udp.join', `socket=${sock} group=fd00::1`);
    const joinOk = resultIs(j1, Nsapi.OK) && resultIs(j2, Nsapi.PARAMETER) && resultIs(jUni, Nsapi.PARAMETER);
    verdict('udp.join', `udp.join answers result=${Nsapi.OK}, then ${Nsapi.PARAMETER} for a second join and for an address that is not multicast`, joinOk, joinOk ? undefined : `join: ${codeOf(j1)}; again: ${codeOf(j2)}; fd00::1: ${codeOf(jUni)}`);
    const l1 = await req('udp.leave', `socket=${sock} group=${CHECK_GROUP}`);
    const l2 = await req('udp.leave', `socket=${sock} group=${CHECK_GROUP}`);
    const leaveOk = resultIs(l1, Nsapi.OK) && resultIs(l2, Nsapi.PARAMETER);
    verdict('udp.leave', `udp.leave answers result=${Nsapi.OK}, then ${Nsapi.PARAMETER} when the socket is no member`, leaveOk, leaveOk ? undefined : `leave: ${codeOf(l1)}; again: ${codeOf(l2)}`);
    if (resultIs(j1, Nsapi.OK)) await req('udp.join', `socket=${sock} group=${CHECK_GROUP}`);

    // The loop to self: a datagram to the joined group comes back to this socket.
    let from = s.lines.length;
    const probe = () => req('udp.send', `socket=${sock} addr=${CHECK_GROUP} port=${port} data=6d6228636865636b29`);
    let send = await probe();
    if (send?.ok && Number(send.args.result) < 0 && !up) {
      up = await waitUp();
      from = s.lines.length;
      if (up) send = await probe();
    }
    const sent = send?.ok === true && INT.test(send.args.result ?? '');
    const bytes = Number(send?.args.result);
    verdict('udp.send', 'udp.send data=<hex> answers result=<bytes sent> (9), or a negative nsapi_error_t', sent && (bytes === 9 || (bytes < 0 && up === false)), codeOf(send));
    let events = 0;
    if (bytes === 9) {
      const ev = await s.waitFor((l): l is Event => l.kind === 'event' && l.name === 'udp' && l.args.socket === sock, ms, from);
      const evOk = ev !== undefined && ev.args.len === '9' && ev.args.head === '6d6228636865636b29' && ev.args.sport === String(port) && (ev.args.src ?? '').includes(':') && ev.args.hops === '0';
      if (ev) events++;
      verdict('udp-event', 'a datagram to a group the socket joined comes back as MB! udp socket= src= sport= len= hops=0 head= (its own copy)', evOk, evOk ? undefined : ev ? `MB! ${ev.t} udp ${JSON.stringify(ev.args)}` : `no udp event within ${ms} ms`);
    } else verdict('udp-event', 'a datagram to a group the socket joined comes back as a udp event (its own copy)', 'skip', up ? `udp.send answered ${codeOf(send)}` : `${notUp}; udp.send answered ${codeOf(send)}`);

    // A burst: answered at once, then its event.
    const bFrom = s.lines.length;
    const burst = await req('udp.burst', `socket=${sock} addr=${CHECK_GROUP} port=${port} len=12 count=3`);
    const bOk = burst?.ok === true && INT.test(burst.args.result ?? '') && (burst.args.result === '0' || (Number(burst.args.result) < 0 && !up));
    verdict('udp.burst', 'udp.burst answers result=0 at once (or a negative nsapi_error_t)', bOk, codeOf(burst));
    if (resultIs(burst, Nsapi.OK)) {
      const ev = await s.waitFor((l): l is Event => l.kind === 'event' && l.name === 'udp.burst' && l.args.socket === sock, Math.max(ms, 5000), bFrom);
      const evOk = ev !== undefined && INT.test(ev.args.sent ?? '') && INT.test(ev.args.failed ?? '') && Number(ev.args.sent) + Number(ev.args.failed) === 3;
      verdict('udp.burst-event', 'a burst ends with MB! udp.burst socket= sent= failed= (sent + failed = count)', evOk, evOk ? undefined : ev ? `MB! ${ev.t} udp.burst ${JSON.stringify(ev.args)}` : 'no udp.burst event');
      // Its own copies come back too, one udp event each, when the loop works.
      if (events > 0) await new Promise((r) => setTimeout(r, 200));
      events += s.lines.slice(bFrom).filter((l) => l.kind === 'event' && l.name === 'udp' && l.args.socket === sock).length;
    } else verdict('udp.burst-event', 'a burst ends with a udp.burst event', 'skip', `udp.burst answered ${codeOf(burst)}`);

    const st = await req('udp.stats', `socket=${sock}`);
    const keys = ['rx_packets', 'rx_bytes', 'rx_first_t', 'rx_last_t', 'max_hops', 'lat_p50_us', 'lat_p99_us', 'tx_packets', 'tx_failed'];
    const missingKeys = st?.ok ? keys.filter((k) => !INT.test(st.args[k] ?? '')) : keys;
    const counts: string[] = [];
    if (st?.ok && missingKeys.length === 0) {
      if (bytes === 9 && Number(st.args.tx_packets) < 1) counts.push(`tx_packets=${st.args.tx_packets} after a send of ${bytes} bytes`);
      if (Number(st.args.rx_packets) !== events) counts.push(`rx_packets=${st.args.rx_packets}, but ${events} udp events came`);
      if (events > 0 && st.args.max_hops !== '0') counts.push(`max_hops=${st.args.max_hops} for its own copies (hops=0)`);
    }
    const stOk = st?.ok === true && missingKeys.length === 0 && counts.length === 0;
    verdict('udp.stats', 'udp.stats answers every counter as an integer, rx_packets matching the udp events and tx_packets the sends', stOk, stOk ? undefined : st?.ok ? [missingKeys.length ? `no integer ${missingKeys.join(', ')}` : '', ...counts].filter(Boolean).join('; ') : describe(st));

    const close = await req('udp.close', `socket=${sock}`);
    const close2 = await req('udp.close', `socket=${sock}`);
    const afterSend = await req('udp.send', `socket=${sock} addr=${CHECK_GROUP} port=${port} data=00`);
    const afterStats = await req('udp.stats', `socket=${sock}`);
    const closeOk = resultIs(close, Nsapi.OK) && resultIs(close2, Nsapi.NO_SOCKET) && resultIs(afterSend, Nsapi.NO_SOCKET) && afterStats?.ok === true;
    verdict('udp.close', `udp.close answers result=${Nsapi.OK}, then ${Nsapi.NO_SOCKET}; a send on the closed socket ${Nsapi.NO_SOCKET}; its udp.stats stay readable`, closeOk, closeOk ? undefined : `close: ${codeOf(close)}; again: ${codeOf(close2)}; send: ${codeOf(afterSend)}; stats: ${describe(afterStats)}`);
  }

  // Light control: the button, the LED, and its own copy of the lights message.
  const get = await req('light.get');
  const getOk = get?.ok === true && /^[01]$/.test(get.args.led ?? '') && /^\d+$/.test(get.args.received ?? '') && /^\d+$/.test(get.args.sent ?? '');
  verdict('light.get', 'light.get answers led=0|1 received=<n> sent=<n>', getOk, getOk ? undefined : describe(get));
  const lFrom = s.lines.length;
  const press = await req('light.press');
  const pressOk = press?.ok === true && INT.test(press.args.result ?? '') && /^[01]$/.test(press.args.state ?? '') && (!getOk || press.args.state !== get.args.led || Number(press.args.result) < 0);
  verdict('light.press', 'light.press answers result=<sendto() result> state=0|1, the state toggled', pressOk, pressOk ? undefined : `${describe(press)}${getOk ? ` (led was ${get.args.led})` : ''}`);
  if (press?.ok && press.args.result === '20') {
    const ev = await s.waitFor((l): l is Event => l.kind === 'event' && l.name === 'light', ms, lFrom);
    const evOk = ev !== undefined && ev.args.led === press.args.state && ev.args.hops === '0' && (ev.args.from ?? '').includes(':');
    const after = await req('light.get');
    const countsOk = !getOk || (after?.ok === true && Number(after.args.sent) === Number(get.args.sent) + 1 && Number(after.args.received) === Number(get.args.received) + 1 && after.args.led === press.args.state);
    verdict('light-event', `a press comes back as MB! light led=<the state> from=<ipv6> hops=0 (its own copy of the message to ${LIGHT_GROUP}), and light.get counts it sent and received`, evOk && countsOk, evOk && countsOk ? undefined : [ev ? (evOk ? '' : `MB! ${ev.t} light ${JSON.stringify(ev.args)}`) : `no light event within ${ms} ms`, countsOk ? '' : `light.get after: ${describe(after)}`].filter(Boolean).join('; '));
  } else verdict('light-event', 'a press comes back as a light event (its own copy)', 'skip', up ? `light.press answered ${codeOf(press)}` : `${notUp}; light.press answered ${codeOf(press)}`);
}

export function formatVerdicts(vs: Verdict[]): string {
  // What a board answered is data: its escapes and control bytes are shown escaped, never sent to the terminal.
  const lines = vs.map((v) => `${v.verdict.toUpperCase().padEnd(4)}  ${v.id.padEnd(16)} ${v.requirement}${v.detail && v.verdict !== 'pass' ? `\n      ${terminalSafe(v.detail)}` : ''}`);
  const n = (k: VerdictKind) => vs.filter((v) => v.verdict === k).length;
  lines.push('', `${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped`);
  return lines.join('\n');
}
