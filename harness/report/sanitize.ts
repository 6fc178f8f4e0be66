// Making text safe for XML 1.0: serial logs carry ESC sequences, NUL, other control
// bytes, and invalid UTF-8 decoded to U+FFFD; JavaScript strings may hold lone
// surrogates. xml2js throws on some of these and writes invalid XML for others, so every
// string is cleaned before it reaches the builder.

/** What replaces a secret, wherever it appears. */
export const REDACTED = '<redacted>';

// XML 1.0 §2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// DEL and the C1 controls are legal but "discouraged" (same section) and are terminal
// control codes in practice, so they are escaped too. With the `u` flag a surrogate pair
// is one code point, so the surrogate range here matches only lone halves.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF\uFFFE\uFFFF]/gu;

function visibleEscape(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Replaces each character XML 1.0 forbids (and DEL/C1) by a visible escape: `\x1b`,
 * `\x00`, `\ud800`, `\ufffe`. Tab, LF and CR are kept.
 */
export function xmlSafe(text: string): string {
  return text.replace(FORBIDDEN, visibleEscape);
}

/** True when every character of `text` is allowed by XML 1.0 (and not DEL/C1). */
export function isXmlSafe(text: string): boolean {
  return text.search(FORBIDDEN) < 0;
}

export type Redactor = (text: string) => string;

/**
 * Builds a function that replaces every occurrence of each secret by `<redacted>`.
 * Secrets written in hex (network keys) match in either letter case, since logs print
 * them either way.
 */
export function redactor(secrets: readonly string[]): Redactor {
  const usable = [...new Set(secrets.filter((s) => s.length > 0))]
    // Longest first, so a secret that contains another is replaced whole.
    .sort((a, b) => b.length - a.length);
  if (usable.length === 0) return redactSecretKeys;
  const alternatives = usable.map((s) => {
    const literal = s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Spelled out per letter: inline `(?i:)` groups need a newer Node than 20.
    return /^[0-9a-fA-F]+$/.test(s)
      ? literal.replace(/[a-fA-F]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`)
      : literal;
  });
  const pattern = new RegExp(alternatives.join('|'), 'g');
  return (text) => redactSecretKeys(text.replace(pattern, REDACTED));
}

/** Configuration keys whose values are secrets (network keys, PSKs, the joiner's PSKd). */
export const SECRET_KEYS = ['thread-master-key', 'thread-pskd', 'thread-config-pskc', '6lowpan-nd-psk-key'] as const;

// `key=value` or `key="quoted value"` on an agent line, for any secret key: a
// case may send a secret the rig never named (a deliberately wrong key).
const SECRET_ASSIGNMENT = new RegExp(`\\b(${SECRET_KEYS.join('|')})=("(?:[^"\\\\]|\\\\.)*"|[^\\s]+)`, 'g');

function redactSecretKeys(text: string): string {
  return text.replace(SECRET_ASSIGNMENT, (_m, key: string) => `${key}=${REDACTED}`);
}

/** Redaction first (a secret may contain bytes escaping would change), then escaping. */
export function cleaner(secrets: readonly string[]): (text: string) => string {
  const redact = redactor(secrets);
  return (text) => xmlSafe(redact(text));
}
