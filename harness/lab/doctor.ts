// `meshbench doctor`: everything that would stop a lab run, found before the
// run, one line per problem with what to do about it.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RigFileError } from '../rig/load.ts';
import { loadNetworkConfig } from '../rig/network-config.ts';
import type { LabBoard, LabRig } from '../rig/lab.ts';
import { discover, matchBoards, openPath, type BoardMatch, type DiscoveryOptions } from './discovery.ts';
import { notTheDrive } from './flash.ts';
import { BoardLock, defaultLockDir, describeOwner, ensureLockDir, LockHeldError, SYSTEM_LOCK_DIR } from './lock.ts';
import { describeMatch, lockKey, openBoard, processSpecOf, type OpenContext } from './open.ts';
import { versionMatches } from './probe.ts';
import { loadLabRig } from './rig-file.ts';
import { portOf, queryHub, type HubQuery } from './uhubctl.ts';
import { which } from './which.ts';
import { baudOf, probeRcp, radioWordsOf } from '../host/launcher.ts';
import type { RcpProbeResult } from '../../protocol/rcp-probe.ts';

export { which } from './which.ts';

export interface DoctorOptions extends DiscoveryOptions {
  env?: Record<string, string | undefined>;
  answerMs?: number;
  /** Skip opening ports and asking boards (e.g. another run holds them). */
  noProbe?: boolean;
}

export interface DoctorReport {
  ok: string[];
  problems: string[];
  warnings: string[];
}

/** The external tools a board's methods need, with what each is for. */
export function toolsFor(b: LabBoard): Array<{ tool: string; why: string; install?: string }> {
  const out: Array<{ tool: string; why: string; install?: string }> = [];
  if (b.flasher.kind === 'pyocd') out.push({ tool: 'pyocd', why: 'flasher.kind pyocd', install: 'pip install pyocd' });
  if (b.flasher.kind === 'command') out.push({ tool: b.flasher.argv[0]!, why: 'flasher.argv' });
  if (b.power.kind === 'uhubctl') out.push({ tool: 'uhubctl', why: 'power.kind uhubctl', install: 'apt-get install uhubctl' });
  if (b.power.kind === 'command') out.push({ tool: b.power.on[0]!, why: 'power.on' }, { tool: b.power.off[0]!, why: 'power.off' });
  if (b.port.kind === 'process') out.push({ tool: b.port.command[0]!, why: 'port.command' });
  return out;
}

export async function doctor(rigFile: string, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const r: DoctorReport = { ok: [], problems: [], warnings: [] };
  let loaded;
  try {
    loaded = loadLabRig(rigFile);
  } catch (e) {
    if (e instanceof RigFileError) {
      r.problems.push(...e.problems.map((p) => `rig file ${rigFile}: ${p}`));
      return r;
    }
    throw e;
  }
  r.ok.push(`rig file ${rigFile}: valid (${loaded.rig.boards.length} boards)`);
  r.warnings.push(...loaded.warnings);
  for (const [kind, file] of Object.entries(loaded.rig.networks)) {
    if (file && !existsSync(resolve(loaded.dir, file))) r.problems.push(`networks.${kind}: ${resolve(loaded.dir, file)} does not exist; fix the path in the rig file`);
  }
  checkLockDir(r, loaded.rig.lockDir);
  const env = opts.env ?? process.env;
  const seen = new Set<string>();
  for (const b of loaded.rig.boards) {
    for (const t of toolsFor(b)) {
      if (seen.has(t.tool)) continue;
      seen.add(t.tool);
      if (which(t.tool, env)) r.ok.push(`tool ${t.tool}: found`);
      else r.problems.push(`${b.id}: '${t.tool}' (${t.why}) is not on PATH; ${t.install ? `install it (${t.install})` : 'install it or fix the rig file'}`);
    }
    if (b.flasher.kind === 'daplink') {
      const wrong = notTheDrive(b.flasher.mount, b.port.kind === 'usb-serial' ? b.port.serial : undefined);
      if (wrong) r.problems.push(`${b.id}: ${wrong}${existsSync(b.flasher.mount) ? '' : '; plug the board in, or fix flasher.mount'}`);
    }
  }
  await checkHubs(r, loaded.rig.boards, env);
  const found = await discover(opts);
  const matching = matchBoards(loaded.rig.boards, found.devices);
  const groups = process.getgroups?.() ?? [];
  for (const m of matching.boards) {
    if (m.state === 'missing' || m.state === 'duplicate') {
      r.problems.push(`${describeMatch(m)}; run \`meshbench boards\` to see what is attached`);
      continue;
    }
    if (m.state === 'present') {
      const path = openPath(m)!;
      const real = opts.devRoot ? join(opts.devRoot, path.replace(/^\/dev\//, '')) : path;
      try {
        accessSync(real, constants.R_OK | constants.W_OK);
      } catch {
        const gid = (() => {
          try {
            return statSync(real).gid;
          } catch {
            return undefined;
          }
        })();
        r.problems.push(
          `${m.board.id}: no read/write access to ${path}${gid !== undefined && !groups.includes(gid) ? ` (owned by group ${gid}, which you are not in)` : ''}; add yourself to the dialout group (sudo usermod -aG dialout $USER) and log in again`,
        );
        continue;
      }
    }
    if (opts.noProbe) continue;
    // A board another run holds is not opened: its run owns the port.
    const held = await lockForProbe(m, { rigDir: loaded.dir, speed: loaded.rig.speed }, loaded.rig.lockDir);
    if (typeof held === 'string') {
      r.warnings.push(`${m.board.id}: ${held}; not probed (run doctor again when that run is over)`);
      continue;
    }
    // Our board on an RCP: the RCP first (version, capabilities, channel), then the board's answer.
    // The probe runs as the board would: its command, directory and environment, placeholders filled.
    const spec = m.board.port.kind === 'process' ? processSpecOf(m.board, { rigDir: loaded.dir, speed: loaded.rig.speed }) : undefined;
    const radio = spec ? radioWordsOf(spec.command) : undefined;
    if (spec && radio) {
      // The probe starts node and sets up the RCP as the board itself does at a reset, so it
      // waits as long as a reset board gets to answer: twice the rig's answerTimeoutS (15 s at
      // least). A fixed 15 s killed both probes of a loaded 2-core CI runner before they answered.
      const timeoutMs = Math.max(15_000, 2 * loaded.rig.answerTimeoutS * 1000);
      const p = await probeRcp(radio, { cwd: spec.cwd, env: { ...spec.env, ...devRootEnv(opts) }, baud: baudOf(spec.command), timeoutMs });
      if (!p.ok) {
        r.problems.push(rcpProblem(m.board.id, radio, p));
        held.release();
        continue;
      }
      r.ok.push(`${m.board.id}: ${rcpSummary(p)}`);
    }
    try {
      const h = await openBoard(m, { rigDir: loaded.dir, speed: loaded.rig.speed });
      try {
        // Only an answer counts: a boot banner alone (a board that prints and then stays silent) is not one.
        const a = await h.link.identify(opts.answerMs ?? 3000, 500, { answerOnly: true });
        if (!a) r.problems.push(`${m.board.id}: ${h.port} is open but the board does not answer (${m.board.firmware === 'openthread-cli' ? '`version`' : 'identify'}); check firmware kind and baud rate, reset or reflash it (meshbench flash --board ${m.board.id} IMAGE)`);
        else if (!versionMatches(a, m.board.version)) r.problems.push(`${m.board.id}: runs version '${a.version}', the rig expects '${m.board.version}'; reflash it (meshbench flash --board ${m.board.id} IMAGE)`);
        else r.ok.push(`${m.board.id}: answers (${a.firmware} ${a.version})`);
      } finally {
        await h.link.transport.close();
      }
    } catch (e) {
      r.problems.push(`${m.board.id}: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      held.release();
    }
  }
  if (loaded.rig.sniffer) checkSnifferChannel(r, loaded.rig.sniffer.channel, loaded.rig.networks, loaded.dir);
  if (loaded.rig.sniffer && !opts.noProbe) await checkSniffer(r, loaded.rig.sniffer, { rigDir: loaded.dir, speed: loaded.rig.speed }, opts);
  return r;
}

/** The RCP's answer to a probe, in one line. */
function rcpSummary(p: RcpProbeResult): string {
  return `RCP ${p.ncpVersion} (Spinel ${p.protocol}, RCP API ${p.rcpApiVersion ?? '?'}; ${p.radioCaps?.join(', ')}; channel ${p.channel}; EUI-64 ${p.eui64})`;
}

/** What to do about an RCP that did not answer: one that cannot be reached is not attached or misnamed; one that answers otherwise runs other firmware. */
function rcpProblem(who: string, radio: string[], p: RcpProbeResult): string {
  const named = `${who}: its RCP (${radio.join(' ')})`;
  if (p.problemKind === 'unreachable' && p.problem?.includes(' is in use by another process')) return `${named} cannot be reached: ${p.problem}; run doctor again when that run is over`;
  if (p.problemKind === 'unreachable') return `${named} cannot be reached: ${p.problem}; plug it in, or fix the --radio words in the rig file (\`meshbench boards\` lists what is attached)`;
  return `${named} does not answer as an RCP: ${p.problem}; check the dongle is flashed with ot-rcp and the baud rate (docs/rcp.md)`;
}

/** A probe reads the same /dev and sysfs trees as discovery (MESHBENCH_DEV_ROOT, MESHBENCH_SYSFS_ROOT), so `usb:SERIAL` is looked up where the boards were. */
function devRootEnv(opts: DoctorOptions): Record<string, string> {
  return { ...(opts.devRoot ? { MESHBENCH_DEV_ROOT: opts.devRoot } : {}), ...(opts.sysRoot ? { MESHBENCH_SYSFS_ROOT: opts.sysRoot } : {}) };
}

/** A sniffer on another channel than every network of the rig hears none of their frames. */
function checkSnifferChannel(r: DoctorReport, channel: number, networks: LabRig['networks'], rigDir: string): void {
  const channels: string[] = [];
  for (const [kind, file] of Object.entries(networks)) {
    if (!file) continue;
    let keys: Record<string, string>;
    try {
      keys = loadNetworkConfig(rigDir, file);
    } catch {
      continue; // a network file that does not load is a problem of its own (above, and at the run)
    }
    const ch = keys[kind === 'nd' ? '6lowpan-nd-channel' : 'thread-config-channel'];
    if (ch === undefined) continue;
    if (Number(ch) === channel) return;
    channels.push(`networks.${kind} on ${ch}`);
  }
  if (channels.length) r.warnings.push(`sniffer: channel ${channel}, but ${channels.join(', ')}: its captures will hold none of their frames; set sniffer.channel`);
}

/** The rig's sniffer RCP answers as one, as a board's RCP must. */
async function checkSniffer(r: DoctorReport, sniffer: NonNullable<LabRig['sniffer']>, ctx: OpenContext, opts: DoctorOptions): Promise<void> {
  const spec = processSpecOf({ id: 'sniffer', port: { kind: 'process', command: sniffer.radio, cwd: sniffer.cwd, env: sniffer.env } } as LabBoard, ctx);
  const p = await probeRcp(spec.command, { cwd: spec.cwd, env: { ...spec.env, ...devRootEnv(opts) } });
  if (p.ok) r.ok.push(`sniffer: ${rcpSummary(p)}; captures channel ${sniffer.channel}`);
  else r.problems.push(rcpProblem('sniffer', sniffer.radio, p));
}

/**
 * Takes a board's lock for a probe (doctor, boards), as a run would: the lock,
 * or what holds it, in words. Commands that only look never wait.
 */
export async function lockForProbe(m: BoardMatch, ctx: OpenContext, rigLockDir: string | undefined): Promise<BoardLock | string> {
  try {
    return await BoardLock.acquire(m.board.id, lockKey(m.board, ctx, m), { dir: rigLockDir ?? defaultLockDir(), runId: `probe-${process.pid}`, waitS: 0 });
  } catch (e) {
    if (e instanceof LockHeldError) return `in use by ${e.owner ? describeOwner(e.owner) : 'another run'}`;
    throw e;
  }
}

/** Where this rig's locks live, and whether every user of the runner (a CI service user, a person at a desk) can lock there. */
function checkLockDir(r: DoctorReport, rigLockDir: string | undefined, system = SYSTEM_LOCK_DIR): void {
  const dir = rigLockDir ?? defaultLockDir(system);
  if (!ensureLockDir(dir)) {
    r.problems.push(`locks: ${dir} (lockDir) cannot be created or written; create it (sudo install -d -m 1777 ${dir}) or fix lockDir in the rig file`);
    return;
  }
  if (!rigLockDir && dir !== system) r.warnings.push(`locks: ${system} cannot be created, so locks live in ${dir}, where runs of other users may not see them; create it (sudo install -d -m 1777 ${system})`);
  else if ((statSync(dir).mode & 0o002) === 0) r.warnings.push(`locks: ${dir} is not writable by other users, so their runs cannot lock boards there (chmod 1777 ${dir})`);
  r.ok.push(`locks: ${dir}`);
}

/**
 * Power by uhubctl: being on PATH is not enough. uhubctl must list the
 * board's hub and port (asked once per hub, status only), or the first power
 * cycle of the run fails instead.
 */
async function checkHubs(r: DoctorReport, boards: readonly LabBoard[], env: Record<string, string | undefined>): Promise<void> {
  const wanted = boards.flatMap((b) => (b.power.kind === 'uhubctl' ? [{ board: b.id, hub: b.power.hub, port: b.power.port }] : []));
  if (wanted.length === 0 || !which('uhubctl', env)) return; // a missing uhubctl is already a problem above
  const hubs = new Map<string, HubQuery>();
  for (const w of wanted) {
    let q = hubs.get(w.hub);
    if (!q) {
      q = await queryHub(w.hub, env);
      hubs.set(w.hub, q);
    }
    const p = q.ok ? portOf(q.hub, w.port) : q;
    if (p.ok) r.ok.push(`${w.board}: uhubctl reaches hub ${w.hub} port ${w.port} (${p.status})`);
    else r.problems.push(`${w.board}: power (uhubctl, hub ${w.hub} port ${w.port}): ${p.problem}; check the hub location and port with \`uhubctl\` (it needs a hub with per-port power switching, and root or a udev rule for the hub)`);
  }
}
