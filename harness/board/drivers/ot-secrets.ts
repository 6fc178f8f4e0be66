// Secrets in OpenThread CLI text: the network key and PSKc (bare hex after
// `networkkey`, `pskc`, `Network Key:`, `PSKc:`), whole datasets as TLV hex
// (`dataset set active <hex>`, `dataset init tlvs <hex>`; the network key is
// one of their TLVs), a PSKc passphrase (`dataset pskc -p <text>`) and a
// joiner's PSKd (`joiner start <pskd>`, `commissioner joiner add <id> <pskd>`).
// Redacted by their shape, since a case may use a key the rig never named.

/** Redacts the secrets in any CLI text (serial logs, error messages). */
export function redactOtSecrets(text: string): string {
  return text
    .replace(/\b(networkkey|pskc|Network Key:|PSKc:)(\s+)(?:0x)?[0-9a-fA-F]{32}\b/g, '$1$2<redacted>')
    .replace(/\b(dataset\s+(?:set\s+(?:active|pending)|init\s+tlvs|tlvs))(\s+)[0-9a-fA-F]{8,}\b/g, '$1$2<redacted>')
    .replace(/\b(dataset\s+pskc\s+-p)(\s+)\S+/g, '$1$2<redacted>')
    .replace(/\b(joiner\s+start)(\s+)\S+/g, '$1$2<redacted>')
    .replace(/\b(commissioner\s+joiner\s+add\s+\S+)(\s+)\S+/g, '$1$2<redacted>');
}

/**
 * A CLI command as it may be shown (error messages, notes, reports): the
 * shapes above, and any value given to `networkkey` or `pskc`, whatever its
 * length (a short or malformed key is a secret too).
 */
export function redactOtCommand(command: string): string {
  return redactOtSecrets(command).replace(/^((?:dataset\s+)?(?:networkkey|pskc))(\s+)(?!<redacted>)(?!-p\b)\S.*$/, '$1$2<redacted>');
}
