// IEEE 802.15.4 FCS (§7.2.1.9): ITU-T CRC-16, G(x) = x^16 + x^12 + x^5 + 1, initial
// value 0, no final XOR, bits taken LSB first. As a reflected table-free loop that is
// CRC-16/KERMIT: reversed polynomial 0x8408, check("123456789") = 0x2189.

const POLY_REFLECTED = 0x8408;

export function crc16Kermit(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i] ?? 0;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLY_REFLECTED : crc >>> 1;
  }
  return crc;
}
