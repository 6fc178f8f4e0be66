// mbed-mesh-api configuration keys as the agent receives them in `mesh.init`
// (key names without the "mbed-mesh-api." prefix; reference mbed-mesh-api.md §4),
// plus the agent's own keys for roles a Mesh API app does not configure.
import { ND_SECURITY_DEFAULTS, type NdConfig, type NdRole, type NdSecurity } from '../stack/mesh/nd-interface.ts';
import type { SecurityLevel } from '../stack/mac/security.ts';
import type { ThreadConfig } from '../stack/mesh/thread-interface.ts';
import type { StackKind } from '../protocol/mesh.ts';
import type { ThreadDeviceType } from '../stack/thread/mle-engine.ts';
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

/** The security settings so far, as a fresh object (configs are shallow copies of each other). */
function securityOf(cfg: NdConfig): NdSecurity {
  return { ...(cfg.security ?? ND_SECURITY_DEFAULTS) };
}

const PSK_KEY_ERROR = 'expected 16 bytes as {0x.., ...}';

const ND_KEYS: Record<string, Apply> = {
  '6lowpan-nd-channel': int('channel', 0, 26),
  '6lowpan-nd-channel-mask': int('channelMask', 0, 0x07fff800),
  '6lowpan-nd-channel-page': (_cfg, v) => (evalCInteger(v) === 0 ? undefined : 'only channel page 0 (2.4 GHz) is simulated'),
  '6lowpan-nd-panid-filter': int('panIdFilter', 0, 0xffff),
  // Reference mbed-mesh-api.md §4: NONE or PSK; key id 1, key {0xa0…0xaf}, level 5 (1–7) by default.
  '6lowpan-nd-security-mode': (cfg, v) => {
    if (v !== 'NONE' && v !== 'PSK') return 'expected NONE or PSK';
    cfg.security = { ...securityOf(cfg), mode: v };
    return undefined;
  },
  '6lowpan-nd-psk-key': (cfg, v) => {
    const key = byteArray(v, 16);
    if (!key) return PSK_KEY_ERROR;
    cfg.security = { ...securityOf(cfg), key };
    return undefined;
  },
  '6lowpan-nd-psk-key-id': (cfg, v) => {
    const n = evalCInteger(v);
    if (n === undefined || n < 1 || n > 255) return 'expected an integer in 1..255';
    cfg.security = { ...securityOf(cfg), keyId: n };
    return undefined;
  },
  '6lowpan-nd-sec-level': (cfg, v) => {
    const n = evalCInteger(v);
    if (n === undefined || n < 1 || n > 7) return 'expected an integer in 1..7';
    cfg.security = { ...securityOf(cfg), level: n as SecurityLevel };
    return undefined;
  },
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
    if (problem) return { ok: false, error: `${key}=${SECRET_KEYS.has(key) ? '<redacted>' : value}: ${problem}` };
  }
  return { ok: true, value: cfg };
}

// ---------------------------------------------------------------------------
// Thread keys (mbed-mesh-api.md §4). Key material and the PSKd never appear in
// error messages: a malformed value is reported without echoing it.

export type ThreadConfigResult = { ok: true; value: ThreadConfig } | { ok: false; error: string };

type ThreadApply = (cfg: ThreadConfig, value: string) => string | undefined;

/** "{0x10, 0x11, ...}" (mbed_app.json byte arrays) or plain hex → bytes of length `n`. */
function byteArray(value: string, n: number): Uint8Array | undefined {
  const t = value.trim();
  let parts: string[];
  if (t.startsWith('{') && t.endsWith('}')) parts = t.slice(1, -1).split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  else if (/^(0x)?[0-9a-fA-F]+$/.test(t)) parts = (t.replace(/^0x/, '').match(/../g) ?? []).map((h) => '0x' + h);
  else return undefined;
  if (parts.length !== n) return undefined;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = evalCInteger(parts[i]!);
    if (v === undefined || v < 0 || v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

/** A C string as mbed_app.json writes it ("\"Thread Network\"") or bare. */
function cString(value: string): string {
  const t = value.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

const bytesKey =
  (field: 'extendedPanId' | 'networkKey' | 'meshLocalPrefix', n: number): ThreadApply =>
  (cfg, value) => {
    const b = byteArray(value, n);
    if (!b) return `expected ${n} bytes as {0x.., ...}`;
    cfg[field] = b;
    return undefined;
  };

const threadInt =
  (field: 'channel' | 'channelMask' | 'panId' | 'routerSelectionJitterS' | 'childTimeoutS', min: number, max: number): ThreadApply =>
  (cfg, value) => {
    const n = evalCInteger(value);
    if (n === undefined || n < min || n > max) return `expected an integer in ${min}..${max}`;
    cfg[field] = n;
    return undefined;
  };

const THREAD_DEVICE_TYPES: Record<string, ThreadDeviceType> = {
  MESH_DEVICE_TYPE_THREAD_ROUTER: 'router',
  MESH_DEVICE_TYPE_THREAD_SLEEPY_END_DEVICE: 'sleepy-end-device',
  MESH_DEVICE_TYPE_THREAD_MINIMAL_END_DEVICE: 'minimal-end-device',
};

/** Keys whose values are secrets. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['thread-master-key', 'thread-pskd', 'thread-config-pskc', '6lowpan-nd-psk-key']);

const THREAD_KEYS: Record<string, ThreadApply> = {
  'thread-config-channel': threadInt('channel', 11, 26),
  'thread-config-channel-mask': threadInt('channelMask', 0, 0x07fff800),
  'thread-config-channel-page': (_cfg, v) => (evalCInteger(v) === 0 ? undefined : 'only channel page 0 (2.4 GHz) is simulated'),
  'thread-config-panid': threadInt('panId', 0, 0xfffe),
  'thread-config-extended-panid': bytesKey('extendedPanId', 8),
  'thread-config-network-name': (cfg, v) => {
    const name = cString(v);
    if (name.length < 1 || name.length > 16) return 'expected 1 to 16 characters';
    cfg.networkName = name;
    return undefined;
  },
  'thread-master-key': bytesKey('networkKey', 16),
  'thread-config-ml-prefix': bytesKey('meshLocalPrefix', 8),
  'thread-config-pskc': (_cfg, v) => (byteArray(v, 16) ? undefined : 'expected 16 bytes as {0x.., ...}'),
  'thread-pskd': (cfg, v) => {
    const pskd = cString(v);
    // 6–32 characters of 0-9 and A-Y without I, O, Q, Z (mbed_lib.json).
    if (!/^[0-9A-HJ-NPR-Y]{6,32}$/.test(pskd)) return 'expected 6 to 32 characters of 0-9, A-Y without I, O, Q, Z';
    cfg.pskd = pskd;
    return undefined;
  },
  'thread-device-type': (cfg, v) => {
    const t = THREAD_DEVICE_TYPES[v];
    if (!t) return `expected one of ${Object.keys(THREAD_DEVICE_TYPES).join(', ')}`;
    cfg.deviceType = t;
    return undefined;
  },
  'thread-use-static-link-config': (_cfg, v) => (v === 'true' ? undefined : 'only the static link configuration (true) is simulated; commissioning is not'),
  'thread-config-commissioning-dataset-timestamp': (_cfg, v) => (evalCInteger(v) !== undefined ? undefined : 'expected an integer'),
  'thread-security-policy': (_cfg, v) => (evalCInteger(v) !== undefined ? undefined : 'expected an integer'),
  'heap-size': (_cfg, v) => (evalCInteger(v) !== undefined ? undefined : 'expected an integer'),
  'mac-neigh-table-size': (_cfg, v) => {
    const n = evalCInteger(v);
    return n !== undefined && n >= 5 && n <= 255 ? undefined : 'expected an integer in 5..255';
  },
  'use-malloc-for-heap': (_cfg, v) => (v === 'true' || v === 'false' ? undefined : 'expected true or false'),
  // Agent keys: Thread knobs a Mesh API app does not set, and the border router's prefix.
  'router-selection-jitter': threadInt('routerSelectionJitterS', 1, 600),
  'child-timeout': threadInt('childTimeoutS', 1, 100_000),
  'border-router-prefix': (cfg, v) => {
    const b = byteArray(v, 8);
    if (!b) return 'expected the /64 prefix as 8 bytes';
    cfg.borderRouterPrefix = b;
    return undefined;
  },
};

export function parseThreadConfig(args: Record<string, string>, base: ThreadConfig): ThreadConfigResult {
  const cfg: ThreadConfig = { ...base };
  for (const [key, value] of Object.entries(args)) {
    const apply = THREAD_KEYS[key];
    if (!apply) return { ok: false, error: `unknown key '${key}'` };
    const problem = apply(cfg, value);
    if (problem) return { ok: false, error: `${key}=${SECRET_KEYS.has(key) ? '<redacted>' : value}: ${problem}` };
  }
  return { ok: true, value: cfg };
}
