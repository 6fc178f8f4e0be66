// mbed-mesh-api's Thread configuration keys (mbed-mesh-api.md §4) as
// OpenThread CLI commands. Values may come as mbed_app.json writes them
// (`{0x10, 0x11, ...}`, `"Thread Network"`) or already as plain text.
import { agentValue } from '../../rig/network-config.ts';
import { cliArg } from './ot-cli.ts';

/** A config value in plain text: byte arrays to hex, C strings unquoted (as the network-config loader does). */
export function plainValue(key: string, value: string): string {
  try {
    return agentValue(key, value);
  } catch {
    return value;
  }
}

const hex = (v: string) => v.replace(/^0x/i, '').toLowerCase();

/** A /64 written as bytes ("20010db800010000", `{0x20, 0x01, ...}`) or as text ("2001:db8:1::/64"), as CLI text. */
export function prefix64(value: string): string | undefined {
  const v = plainValue('prefix', value).trim();
  if (/^[0-9a-f:]+\/64$/i.test(v)) return v.toLowerCase();
  if (!/^[0-9a-f]{16}$/i.test(v)) return undefined;
  const groups = [0, 4, 8, 12].map((i) => parseInt(v.slice(i, i + 4), 16).toString(16));
  return `${groups.join(':')}::/64`.replace(/(^|:)0(:0)*::\/64$/, '::/64');
}

/** A channel mask as mbed_app.json writes it: a number (`0x7fff800`) or shifts joined by `|` (`(1<<12)|(1<<13)`). */
export function channelMask(text: string): number {
  const t = text.trim();
  if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) return Number(t);
  const terms = t.split('|').map((x) => /^\(?\s*1\s*<<\s*(\d+)\s*\)?$/.exec(x.trim()));
  if (terms.some((m) => !m || Number(m[1]) > 31)) throw new Error(`channel mask: '${text}' is neither a number nor (1<<n)|...`);
  return terms.reduce((acc, m) => (acc | (1 << Number(m![1]))) >>> 0, 0);
}

/**
 * ThreadInterface's static link configuration when mbed_app.json leaves a key
 * out (mbed-os mesh-api/mbed_lib.json, mbed-mesh-api.md §4): an Mbed board
 * always starts from a complete dataset.
 */
export const MBED_THREAD_DEFAULTS: Readonly<Record<string, string>> = {
  'thread-master-key': '10112233445566778899aabbccddeeff',
  'thread-config-panid': '0x0700',
  'thread-config-channel': '22',
  'thread-config-channel-mask': '0x7fff800',
  'thread-config-extended-panid': 'f1b5a1b2c4d5a1bd',
  'thread-config-network-name': 'Thread Network',
  'thread-config-ml-prefix': 'fd000db800000000',
  'thread-config-commissioning-dataset-timestamp': '0x10000',
};

/**
 * Dataset field commands for the keys present (`dataset <field> <value>`; the
 * caller commits). With `complete`, keys left out take Mbed's defaults and an
 * Active Timestamp is written: OpenThread treats a dataset without one as
 * partially complete and then never forms a partition, only attaches to one
 * (MeshCoP::ActiveDatasetManager; seen on ot-cli-ftd: the leader stays
 * detached for ever).
 */
export function datasetCommands(given: Record<string, string>, complete = false): string[] {
  const config = complete ? { ...MBED_THREAD_DEFAULTS, ...given } : given;
  const get = (k: string) => (config[k] === undefined ? undefined : plainValue(k, config[k]));
  const out: string[] = [];
  const key = get('thread-master-key');
  if (key !== undefined) out.push(`dataset networkkey ${hex(key)}`);
  const panid = get('thread-config-panid') ?? get('panid');
  if (panid !== undefined) out.push(`dataset panid 0x${Number(panid).toString(16).padStart(4, '0')}`);
  const channel = get('thread-config-channel');
  if (channel !== undefined) out.push(`dataset channel ${Number(channel)}`);
  const mask = get('thread-config-channel-mask');
  if (mask !== undefined) out.push(`dataset channelmask 0x${channelMask(mask).toString(16).padStart(8, '0')}`);
  const ext = get('thread-config-extended-panid');
  if (ext !== undefined) out.push(`dataset extpanid ${hex(ext)}`);
  const name = get('thread-config-network-name');
  if (name !== undefined) out.push(`dataset networkname ${cliArg(name)}`);
  const ml = get('thread-config-ml-prefix');
  if (ml !== undefined) {
    const h = hex(ml).padEnd(16, '0');
    const groups = [0, 4, 8, 12].map((i) => parseInt(h.slice(i, i + 4), 16).toString(16));
    out.push(`dataset meshlocalprefix ${groups.join(':')}::`);
  }
  const stamp = get('thread-config-commissioning-dataset-timestamp');
  // The Thread timestamp's upper 48 bits are seconds, its lower 16 ticks and the U bit (Thread 1.1 §8.10.1.14):
  // Mbed's 0x10000 is 1 s. OpenThread's CLI takes the seconds.
  if (complete && stamp !== undefined) out.push(`dataset activetimestamp ${Math.max(1, Math.floor(Number(stamp) / 0x10000))}`);
  return out;
}

/**
 * The device type as a link mode (`mode`): a router-capable FTD is `rdn`; a
 * minimal end device is an rx-on MTD, `rn`; a sleepy one `-` (Thread 1.1
 * §4.5.2: r rx-on-when-idle, d full Thread device, n full network data).
 */
export function modeOf(config: Record<string, string>): { mode: string; routerEligible: boolean } | undefined {
  const type = config['thread-device-type'] === undefined ? undefined : plainValue('thread-device-type', config['thread-device-type']);
  if (type === undefined) return undefined;
  if (type.includes('MINIMAL_END_DEVICE')) return { mode: 'rn', routerEligible: false };
  if (type.includes('SLEEPY_END_DEVICE')) return { mode: '-', routerEligible: false };
  return { mode: 'rdn', routerEligible: true };
}

/** A CLI table (header, `+---+` rule, rows) as records keyed by the header's names (reference §4: split on `|`). */
export function parseTable(lines: string[]): Array<Record<string, string>> {
  const cells = (l: string) => l.split('|').slice(1, -1).map((c) => c.trim());
  const header = lines.find((l) => l.startsWith('|'));
  if (!header) return [];
  const names = cells(header);
  return lines
    .filter((l) => l.startsWith('|') && l !== header)
    .map((l) => Object.fromEntries(cells(l).map((c, i) => [names[i] ?? String(i), c])));
}

/** `Key: value` lines (dataset active, leaderdata, counters) as a record. */
export function parseFields(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) out[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  return out;
}
