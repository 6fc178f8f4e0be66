// mbed-mesh-api configuration keys as the agent receives them in `mesh.init`
// (key names without the "mbed-mesh-api." prefix; reference mbed-mesh-api.md §4),
// plus the agent's own keys for roles a Mesh API app does not configure.
import type { NdConfig, NdRole } from '../stack/mesh/nd-interface.ts';
import type { StackKind } from '../stack/mesh/types.ts';
import { evalCInteger } from './c-expr.ts';

export type ConfigResult = { ok: true; value: NdConfig } | { ok: false; error: string };

type Apply = (cfg: NdConfig, value: string) => string | undefined;

const int =
  (field: 'channel' | 'channelMask' | 'panIdFilter' | 'panId', min: number, max: number): Apply =>
  (cfg, value) => {
    const n = evalCInteger(value);
    if (n === undefined || n < min || n > max) return `expected an integer in ${min}..${max}`;
    cfg[field] = n;
    return undefined;
  };

const ND_KEYS: Record<string, Apply> = {
  '6lowpan-nd-channel': int('channel', 0, 26),
  '6lowpan-nd-channel-mask': int('channelMask', 0, 0x07fff800),
  '6lowpan-nd-channel-page': (_cfg, v) => (evalCInteger(v) === 0 ? undefined : 'only channel page 0 (2.4 GHz) is simulated'),
  '6lowpan-nd-panid-filter': int('panIdFilter', 0, 0xffff),
  '6lowpan-nd-device-type': (cfg, v) => {
    const map: Record<string, NdRole> = { NET_6LOWPAN_ROUTER: 'router', NET_6LOWPAN_HOST: 'host' };
    const role = map[v];
    if (!role) return 'expected NET_6LOWPAN_ROUTER or NET_6LOWPAN_HOST';
    if (cfg.role !== 'border-router') cfg.role = role;
    return undefined;
  },
  // Memory keys shape a real build; the simulated firmware has no heap to size.
  'heap-size': (_cfg, v) => (evalCInteger(v) !== undefined ? undefined : 'expected an integer'),
  'mac-neigh-table-size': (_cfg, v) => {
    const n = evalCInteger(v);
    return n !== undefined && n >= 5 && n <= 255 ? undefined : 'expected an integer in 5..255';
  },
  'use-malloc-for-heap': (_cfg, v) => (v === 'true' || v === 'false' ? undefined : 'expected true or false'),
  // Agent keys: the border router is a board too (nanostack-border-router's role).
  role: (cfg, v) => {
    if (v !== 'border-router' && v !== 'router' && v !== 'host') return 'expected border-router, router or host';
    cfg.role = v;
    return undefined;
  },
  panid: int('panId', 0, 0xfffe),
  'network-id': (cfg, v) => {
    if (v.length < 1 || v.length > 16) return 'expected 1 to 16 characters';
    cfg.networkId = v;
    return undefined;
  },
};

export function parseMeshConfig(stack: StackKind, args: Record<string, string>, base: NdConfig): ConfigResult {
  if (stack !== 'nd') return { ok: false, error: `no configuration keys for stack '${stack}' yet` };
  const cfg: NdConfig = { ...base };
  for (const [key, value] of Object.entries(args)) {
    const apply = ND_KEYS[key];
    if (!apply) return { ok: false, error: `unknown key '${key}'` };
    const problem = apply(cfg, value);
    if (problem) return { ok: false, error: `${key}=${value}: ${problem}` };
  }
  return { ok: true, value: cfg };
}
