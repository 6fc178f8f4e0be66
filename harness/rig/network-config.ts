// Network configuration from an mbed_app.json-shaped file, so a lab uses one
// file for the real firmware build and the simulated bench (reference
// mbed-mesh-api.md §4). The `mbed-mesh-api.*` keys become the key=value pairs
// of the agent's `mesh.init`; other libraries' keys are ignored.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const PREFIX = 'mbed-mesh-api.';

export class NetworkConfigError extends Error {
  readonly code = 'ERR_NETWORK_CONFIG';
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Turns one mbed_app.json value into the agent's text form. */
export function agentValue(key: string, value: Json): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value !== 'string') throw new NetworkConfigError(`${key}: expected a number, boolean or string, got ${JSON.stringify(value)}`);
  const s = value.trim();
  // A C string literal with inner quotes: "\"Thread Network\"" → Thread Network
  if (s.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"$/.exec(s);
    if (!m) throw new NetworkConfigError(`${key}: unterminated string literal ${s}`);
    return m[1]!.replace(/\\(.)/g, '$1');
  }
  // A byte array: "{0x10, 0x11, ...}" → 1011...
  if (s.startsWith('{')) {
    const m = /^\{([^}]*)\}$/.exec(s);
    const items = m?.[1]!.split(',').map((t) => t.trim()).filter((t) => t.length > 0) ?? [];
    if (!m || items.length === 0) throw new NetworkConfigError(`${key}: malformed byte array ${s}`);
    return items
      .map((t) => {
        const n = /^0[xX][0-9a-fA-F]{1,2}$/.test(t) ? parseInt(t, 16) : /^\d{1,3}$/.test(t) ? Number(t) : NaN;
        if (!(n >= 0 && n <= 255)) throw new NetworkConfigError(`${key}: byte array item '${t}' is not a byte`);
        return n.toString(16).padStart(2, '0');
      })
      .join('');
  }
  return s;
}

/**
 * Collects mbed-mesh-api keys: `config` entries, then `target_overrides["*"]`,
 * then the overrides of `target` if given (later wins, as Mbed's config system does).
 */
export function meshKeysFromMbedApp(doc: unknown, source: string, target?: string): Record<string, string> {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new NetworkConfigError(`${source}: expected a JSON object`);
  const root = doc as { config?: Record<string, Json>; target_overrides?: Record<string, Record<string, Json>> };
  const out: Record<string, string> = {};
  const take = (section: Record<string, Json> | undefined) => {
    for (const [k, v] of Object.entries(section ?? {})) {
      if (!k.startsWith(PREFIX)) continue;
      // config entries may be {"value": ..., "help": ...}
      const value = v && typeof v === 'object' && !Array.isArray(v) && 'value' in v ? (v.value as Json) : v;
      out[k.slice(PREFIX.length)] = agentValue(k, value);
    }
  };
  take(root.config);
  take(root.target_overrides?.['*']);
  if (target) take(root.target_overrides?.[target]);
  return out;
}

export function loadNetworkConfig(rigDir: string, file: string, target?: string): Record<string, string> {
  const path = resolve(rigDir, file);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new NetworkConfigError(`${file}: ${(e as Error).message}`);
  }
  return meshKeysFromMbedApp(doc, file, target);
}
