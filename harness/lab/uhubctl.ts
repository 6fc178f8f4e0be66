// What uhubctl sees of a hub: `uhubctl -l <location>` prints each hub it can
// switch as a header line and one line per port, e.g.
//   Current status for hub 1-1.4 [2109:2817 VIA Labs, Inc. USB2.0 Hub, USB 2.10, 4 ports, ppps]
//     Port 2: 0103 power enable connect [0d28:0204 ARM DAPLink CMSIS-DAP 0240...]
// (the format of uhubctl.c's status listing, github.com/mvp/uhubctl), and says
// "No compatible devices detected" on stderr with exit code 1 when it finds no
// hub it may switch there (no such hub, no per-port power switching, or no
// permission on the hub's USB device). doctor asks it before a run, so a rig
// whose power control cannot reach its hub is found before a board needs a
// power cycle.
import { execa } from 'execa';

export interface HubStatus {
  /** The hub's location, as `-l` takes it (1-1, 2-1.4). */
  location: string;
  /** What uhubctl says of the hub: ids, name, USB version, port count, `ppps`. */
  description: string;
  /** Each listed port's status text (`0103 power enable connect [...]`), by port number. */
  ports: Map<number, string>;
}

/** The hubs of a uhubctl status listing, in the order printed. */
export function parseUhubctl(text: string): HubStatus[] {
  const hubs: HubStatus[] = [];
  let hub: HubStatus | undefined;
  for (const line of text.split('\n')) {
    const head = /^(?:Current|New) status for hub (\S+) \[(.*)\]\s*$/.exec(line);
    if (head) {
      hub = hubs.find((h) => h.location === head[1]);
      if (!hub) {
        hub = { location: head[1]!, description: head[2]!, ports: new Map() };
        hubs.push(hub);
      }
      continue;
    }
    const port = /^\s+Port (\d+): (.*?)\s*$/.exec(line);
    if (port && hub) hub.ports.set(Number(port[1]), port[2]!);
  }
  return hubs;
}

export type HubQuery = { ok: true; hub: HubStatus } | { ok: false; problem: string };

/** Asks uhubctl for the hub at `location` (status only, nothing switched). `env` is the tools' environment. */
export async function queryHub(location: string, env?: Record<string, string | undefined>): Promise<HubQuery> {
  const r = await execa('uhubctl', ['-l', location], { reject: false, timeout: 15_000, env, extendEnv: true, stdin: 'ignore' });
  const said = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').filter((l) => l.trim() !== '').slice(-2).join(' / ');
  if ((r as { code?: string }).code === 'ENOENT') return { ok: false, problem: "'uhubctl' is not on PATH" };
  if (r.timedOut) return { ok: false, problem: `'uhubctl -l ${location}' did not finish within 15 s` };
  if (r.failed) {
    const how = r.exitCode !== undefined ? `exit code ${r.exitCode}` : (r.signal ?? 'failed');
    return { ok: false, problem: `'uhubctl -l ${location}' finds no hub it can switch there (${how}${said ? `: ${said}` : ''})` };
  }
  const hub = parseUhubctl(r.stdout ?? '').find((h) => h.location === location);
  if (!hub) return { ok: false, problem: `'uhubctl -l ${location}' does not list hub ${location}${said ? ` (it says: ${said})` : ''}` };
  return { ok: true, hub };
}

/** A port of a listed hub: its status text, or what is wrong. */
export function portOf(hub: HubStatus, port: number): { ok: true; status: string } | { ok: false; problem: string } {
  const status = hub.ports.get(port);
  if (status !== undefined) return { ok: true, status };
  const listed = [...hub.ports.keys()].sort((a, b) => a - b);
  return { ok: false, problem: `hub ${hub.location} (${hub.description}) has no port ${port}${listed.length ? ` (uhubctl lists ports ${listed.join(', ')})` : ''}` };
}
