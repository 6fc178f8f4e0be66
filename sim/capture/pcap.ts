// libpcap savefile framing for captures of the medium: LINKTYPE 283, the
// IEEE 802.15.4 TAP header (TLVs carrying FCS type, channel, RSSI, LQI per
// frame) followed by the PSDU including its FCS. Files are written little
// endian, which the magic number announces (pcap-savefile(5)).

/** Magic for microsecond timestamps, written in the file's byte order (pcap-savefile(5)). */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
/** Largest record we write: TAP header with all TLVs + 127-byte PSDU, with room to spare. */
export const PCAP_SNAPLEN = 65535;
export const PCAP_GLOBAL_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;

/** LINKTYPE_IEEE802_15_4_TAP (tcpdump.org link-layer header types). */
export const LINKTYPE_IEEE802_15_4_TAP = 283;

/** TAP TLV types (IEEE 802.15.4 TAP Link Type Specification v1.1, §3). */
export const TapTlv = {
  FcsType: 0,
  /** Received signal strength, IEEE-754 float32, dBm. */
  Rss: 1,
  /** Channel number (u16) + page (u8). */
  ChannelAssignment: 3,
  Lqi: 10,
} as const;

/** FCS type TLV values: 0 none, 1 16-bit CRC, 2 32-bit CRC. */
export const TapFcsType = { None: 0, Crc16: 1, Crc32: 2 } as const;

export interface TapMeta {
  fcsType: number;
  channel: number;
  /** Channel page, 0 for the 2.4 GHz O-QPSK PHY. */
  page?: number;
  rssiDbm?: number;
  lqi?: number;
}

/** The 24-byte global header: magic, version 2.4, thiszone 0, sigfigs 0, snaplen, linktype. */
export function pcapGlobalHeader(linktype: number, snaplen = PCAP_SNAPLEN): Uint8Array {
  const out = new Uint8Array(PCAP_GLOBAL_HEADER_LENGTH);
  const v = new DataView(out.buffer);
  v.setUint32(0, PCAP_MAGIC_US, true);
  v.setUint16(4, PCAP_VERSION_MAJOR, true);
  v.setUint16(6, PCAP_VERSION_MINOR, true);
  v.setInt32(8, 0, true); // thiszone: timestamps are UTC (here: bench time)
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linktype, true);
  return out;
}

/** One record: ts_sec, ts_usec, incl_len, orig_len, then the data. */
export function pcapRecord(timestampUs: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(PCAP_RECORD_HEADER_LENGTH + data.length);
  const v = new DataView(out.buffer);
  const us = Math.max(0, Math.floor(timestampUs));
  v.setUint32(0, Math.floor(us / 1_000_000), true);
  v.setUint32(4, us % 1_000_000, true);
  v.setUint32(8, data.length, true);
  v.setUint32(12, data.length, true);
  out.set(data, PCAP_RECORD_HEADER_LENGTH);
  return out;
}

function tlvLength(valueLength: number): number {
  return 4 + ((valueLength + 3) & ~3); // values are zero-padded to 32 bits
}

/** TAP header (version 0, reserved 0, u16 total length) and its TLVs, all little endian. */
export function tapHeader(meta: TapMeta): Uint8Array {
  const tlvs: Array<{ type: number; length: number; write: (v: DataView, at: number) => void }> = [
    { type: TapTlv.FcsType, length: 1, write: (v, at) => v.setUint8(at, meta.fcsType) },
    {
      type: TapTlv.ChannelAssignment,
      length: 3,
      write: (v, at) => {
        v.setUint16(at, meta.channel, true);
        v.setUint8(at + 2, meta.page ?? 0);
      },
    },
  ];
  if (meta.rssiDbm !== undefined && Number.isFinite(meta.rssiDbm)) {
    const rssi = meta.rssiDbm;
    tlvs.push({ type: TapTlv.Rss, length: 4, write: (v, at) => v.setFloat32(at, rssi, true) });
  }
  if (meta.lqi !== undefined) {
    const lqi = meta.lqi;
    tlvs.push({ type: TapTlv.Lqi, length: 1, write: (v, at) => v.setUint8(at, lqi) });
  }
  const total = 4 + tlvs.reduce((n, t) => n + tlvLength(t.length), 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint8(0, 0); // version
  v.setUint8(1, 0); // reserved
  v.setUint16(2, total, true);
  let at = 4;
  for (const t of tlvs) {
    v.setUint16(at, t.type, true);
    v.setUint16(at + 2, t.length, true);
    t.write(v, at + 4);
    at += tlvLength(t.length);
  }
  return out;
}

/** A LINKTYPE 283 frame: TAP header, then the PSDU as on air (FCS included). */
export function tapFrame(meta: TapMeta, psdu: Uint8Array): Uint8Array {
  const header = tapHeader(meta);
  const out = new Uint8Array(header.length + psdu.length);
  out.set(header, 0);
  out.set(psdu, header.length);
  return out;
}
