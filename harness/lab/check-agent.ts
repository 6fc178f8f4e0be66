// Agent conformance: exercises a board's agent against docs/agent-protocol.md
// and gives a verdict per requirement, so a lab knows its C++ agent is right
// before it runs suites. It reads the raw lines itself (not through the agent
// client, which is built to forgive): every answer is checked as sent.
import { LineSplitter, MAX_LINE, type AgentLine, type Args } from '../../protocol/agent.ts';
import type { Transport } from '../board/transport.ts';

export type VerdictKind = 'pass' | 'fail' | 'skip';

export interface Verdict {
  id: string;
  requirement: string;
  verdict: VerdictKind;
  detail?: string;
}

type Response = Extract<AgentLine, { kind: 'response' }>;
type Event = Extract<AgentLine, { kind: 'event' }>;

class RawSession {
  readonly lines: AgentLine[] = [];
  private readonly splitter = new LineSplitter();
  private wake: (() => void) | undefined;
  /** Every response seen, in order, for the once-only and monotonic-t checks. */
  readonly responses: Response[] = [];

  constructor(readonly transport: Transport) {
    transport.onData((b) => {
      for (const l of this.splitter.push(b)) {
        this.lines.push(l);
        if (l.kind === 'response') this.responses.push(l);
      }
      this.wake?.();
    });
  }

  write(text: string | Uint8Array): Promise<void> {
    return this.transport.write(text);
  }

  async waitFor<T extends AgentLine>(pred: (l: AgentLine) => l is T, ms: number, from = 0): Promise<T | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
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
  /** Skip `reset` (e.g. a board whose reset takes its port away). */
  skipReset?: boolean;
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

export async function checkAgent(transport: Transport, opts: CheckOptions = {}): Promise<Verdict[]> {
  const ms = opts.answerMs ?? 3000;
  const s = new RawSession(transport);
  const out: Verdict[] = [];
  const verdict = (id: string, requirement: string, ok: boolean | 'skip', detail?: string) =>
    out.push({ id, requirement, verdict: ok === 'skip' ? 'skip' : ok ? 'pass' : 'fail', ...(detail ? { detail } : {}) });
  const describe = (r: Response | undefined) => (r ? `answered ${r.ok ? 'ok' : 'err'} ${Object.entries(r.args).map(([k, v]) => `${k}=${v}`).join(' ')}` : `no answer within ${ms} ms`);
  let nextId = 100;
  const req = (command: string, args = '', id = nextId++) => s.request(id, `MB> ${id} ${command}${args ? ' ' + args : ''}\n`, ms);
  const isErr = (r: Response | undefined, code: string) => r !== undefined && !r.ok && r.args.code === code;

  // Drain boot noise and anything left from before we opened the port.
  await s.write('\n');
  const ident = await req('identify');
  if (!ident) {
    verdict('identify', 'identify answers ok with the banner keys', false, describe(ident));
    verdict('session', 'the agent answers at all', false, `no answer to identify within ${ms} ms on ${transport.path}; is it the right port and baud rate?`);
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
    const evOk = ev !== undefined && ev.args.event !== undefined && ['LOCAL_UP', 'GLOBAL_UP', 'DISCONNECTED', 'CONNECTING'].includes(ev.args.status ?? '') && (ev.args.callback === '0' || ev.args.callback === '1');
    verdict('mesh-event', 'mesh events carry event=, status= (an NSAPI status) and callback=0|1', con?.args.result === '0' ? evOk : 'skip', evOk ? undefined : ev ? `MB! ${ev.t} mesh ${JSON.stringify(ev.args)}` : con?.args.result === '0' ? `no mesh event within ${ms} ms of connect` : 'connect did not start');
    const st = await req('mesh.status');
    const stOk = st?.ok === true && ['LOCAL_UP', 'GLOBAL_UP', 'DISCONNECTED', 'CONNECTING'].includes(st.args.status ?? '');
    verdict('mesh.status', 'mesh.status answers status=LOCAL_UP|GLOBAL_UP|DISCONNECTED|CONNECTING', stOk, describe(st));
    const ip = await req('ip.addrs');
    verdict('ip.addrs', 'ip.addrs answers addrs=<comma-separated IPv6>', ip?.ok === true && ip.args.addrs !== undefined && (ip.args.addrs ?? '').split(',').filter(Boolean).every((a) => a.includes(':')), describe(ip));
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

export function formatVerdicts(vs: Verdict[]): string {
  const lines = vs.map((v) => `${v.verdict.toUpperCase().padEnd(4)}  ${v.id.padEnd(16)} ${v.requirement}${v.detail && v.verdict !== 'pass' ? `\n      ${v.detail}` : ''}`);
  const n = (k: VerdictKind) => vs.filter((v) => v.verdict === k).length;
  lines.push('', `${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped`);
  return lines.join('\n');
}
