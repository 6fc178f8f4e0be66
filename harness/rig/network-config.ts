// Network configuration from an mbed_app.json-shaped file, so a lab uses one
// file for the real firmware build and the simulated bench (reference
// mbed-mesh-api.md §4). The `mbed-mesh-api.*` keys become the key=value pairs
// of the agent's `mesh.init`; other libraries' keys are ignored.
import { resolve } from 'node:path';
import { BoundedReadError, NETWORK_CONFIG_CAP_BYTES, readBounded } from './bounded-read.ts';
import { ErrorCode } from '../errors.ts';

const PREFIX = 'mbed-mesh-api.';

export class NetworkConfigError extends Error {
  readonly code = ErrorCode.NETWORK_CONFIG;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Keys whose values are secrets (network key, PSKc, PSKd, 6LoWPAN-ND PSK): never quoted in an error. */
const SECRET_KEY = /master-key|pskc|pskd|psk-key/;

/** Turns one mbed_app.json value into the agent's text form. */
export function agentValue(key: string, value: Json): string {
  const shown = (text: string) => (SECRET_KEY.test(key) ? '(value not shown: a secret)' : text);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value !== 'string') throw new NetworkConfigError(`${key}: expected a number, boolean or string, got ${shown(JSON.stringify(value))}`);
  const s = value.trim();
  // A C string literal with inner quotes: "\"Thread Network\"" → Thread Network
  if (s.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"$/.exec(s);
    if (!m) throw new NetworkConfigError(`${key}: unterminated string literal ${shown(s)}`);
    return m[1]!.replace(/\\(.)/g, '$1');
  }
  // A byte array: "{0x10, 0x11, ...}" → 1011...
  if (s.startsWith('{')) {
    const m = /^\{([^}]*)\}$/.exec(s);
    const items = m?.[1]!.split(',').map((t) => t.trim()).filter((t) => t.length > 0) ?? [];
    if (!m || items.length === 0) throw new NetworkConfigError(`${key}: malformed byte array ${shown(s)}`);
    return items
      .map((t) => {
        const n = /^0[xX][0-9a-fA-F]{1,2}$/.test(t) ? parseInt(t, 16) : /^\d{1,3}$/.test(t) ? Number(t) : NaN;
        if (!(n >= 0 && n <= 255)) throw new NetworkConfigError(`${key}: byte array item ${shown(`'${t}'`)} is not a byte`);
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

/**
 * Where JSON.parse failed, as line and column, and what went wrong, in words that
 * quote nothing of the text (V8's messages quote the text around the error, and a
 * wrong path can name a file of secrets).
 */
export function jsonErrorAt(text: string, e: SyntaxError): { line: number; column: number; what: string } {
  const pos = /at position (\d+)/.exec(e.message);
  let offset: number;
  if (pos) offset = Number(pos[1]);
  else if (/end of JSON input/.test(e.message)) offset = text.length;
  else {
    // The error is at a fixed offset: a prefix that ends before it fails only for ending
    // early; the shortest prefix that fails otherwise ends just past it.
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      let early = true;
      try {
        JSON.parse(text.slice(0, mid + 1));
      } catch (err) {
        const m = (err as Error).message;
        early = /end of JSON input/.test(m) || Number(/at position (\d+)/.exec(m)?.[1]) === mid + 1;
      }
      if (early) lo = mid + 1;
      else hi = mid;
    }
    offset = lo;
  }
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const what = /end of JSON input/.test(e.message)
    ? 'the JSON ends too early'
    : pos
      ? e.message.replace(/ in JSON at position \d+.*$/, '').replace(/ JSON at position \d+.*$/, ' the JSON')
      : 'an unexpected character: not valid JSON';
  return { line, column, what };
}

export function loadNetworkConfig(rigDir: string, file: string, target?: string): Record<string, string> {
  const path = resolve(rigDir, file);
  let text: string;
  try {
    text = readBounded(path, NETWORK_CONFIG_CAP_BYTES);
  } catch (e) {
    if (e instanceof BoundedReadError) throw new NetworkConfigError(`${file}: ${e.message}`);
    throw e;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const at = jsonErrorAt(text, e as SyntaxError);
    throw new NetworkConfigError(`${file}: line ${at.line}, column ${at.column}: ${at.what}`);
  }
  return meshKeysFromMbedApp(doc, file, target);
}
