// Reading captures and byte vectors with tshark: what Wireshark's dissectors
// make of them, and every frame they call malformed or flag at expert level
// warning or above.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

/** _ws.expert.severity of a warning (PI_WARN, epan/proto.h); errors are 0x00800000. */
export const EXPERT_WARNING = 0x00600000;

/** A 16-byte key written as an mbed_app.json byte list, "{0x10, 0x11, ...}". */
const KEY_LIST = /\{\s*(?:0x[0-9a-f]{1,2}\s*,\s*){15}0x[0-9a-f]{1,2}\s*\}/gi;

/** Every 16-byte key the given files write as a byte list, as 32 hex digits. */
export function keysIn(files: string[]): string[] {
  const keys = new Set<string>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(KEY_LIST)) {
      keys.add([...m[0].matchAll(/0x([0-9a-f]{1,2})/gi)].map((b) => b[1]!.padStart(2, '0').toLowerCase()).join(''));
    }
  }
  return [...keys];
}

/** Files under `dir` whose names end with `suffix`. */
export function filesUnder(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p, suffix));
    else if (entry.name.endsWith(suffix)) out.push(p);
  }
  return out;
}

/**
 * tshark preferences that decrypt 802.15.4 frames with `keys`: each as a Thread
 * network key (MAC and MLE keys derived by Wireshark's "Thread hash", key sequence 0,
 * as OpenThread's pktverify sets it up) and as a plain MAC key (6LoWPAN-ND PSK).
 */
export function decryptPrefs(keys: string[]): string[] {
  return [
    ...keys.flatMap((k) => ['-o', `uat:ieee802154_keys:"${k}","1","Thread hash"`, '-o', `uat:ieee802154_keys:"${k}","1","No hash"`]),
    '-o', 'wpan.802154_sec_suite:AES-128 Encryption, 32-bit Integrity Protection',
    '-o', 'thread.thr_seq_ctr:00000000',
  ];
}

export interface FrameProblem {
  frame: number;
  protocols: string;
  messages: string;
}

/** One record per line of `tshark -T fields`, fields split on tabs (several occurrences joined by commas). */
export async function tsharkFields(tshark: string, pcap: string, prefs: string[], filter: string, fields: string[]): Promise<string[][]> {
  const r = await execa(tshark, ['-r', pcap, ...prefs, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])], {
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0) throw new Error(`tshark -r ${pcap} failed: ${String(r.all ?? '').slice(-500)}`);
  return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

/**
 * The frames of `pcap` that tshark calls malformed or flags with an expert info
 * of warning level or above (decrypting with `keys`).
 */
export async function frameProblems(tshark: string, pcap: string, keys: string[] = [], extraPrefs: string[] = []): Promise<FrameProblem[]> {
  const rows = await tsharkFields(tshark, pcap, [...decryptPrefs(keys), ...extraPrefs], `_ws.malformed || _ws.expert.severity >= ${EXPERT_WARNING}`, [
    'frame.number',
    'frame.protocols',
    '_ws.expert.message',
  ]);
  return rows.map(([frame, protocols, messages]) => ({ frame: Number(frame), protocols: protocols ?? '', messages: messages ?? '' }));
}

/** An MLE message that ties a short address to an extended one. */
interface ShortAddressNote {
  frame: number;
  short: string;
  ext: string;
}

const short4 = (text: string | undefined): string => (text ?? '').replace(/^0x/, '').padStart(4, '0').toLowerCase();

/**
 * Where the capture ties short addresses to devices, by the MLE messages that hand
 * them out or announce them: a Child ID Response gives its receiver an Address16
 * (Thread 1.1 §4.5.26), a router's MLE names its own RLOC16 in the Source Address
 * TLV (§4.5.2). Wireshark learns the same from them to build the CCM* nonce of a
 * frame with a short source address.
 */
async function shortAddressNotes(tshark: string, pcap: string, keys: string[]): Promise<ShortAddressNote[]> {
  const given = await tsharkFields(tshark, pcap, decryptPrefs(keys), 'mle.cmd == 12 && mle.tlv.addr16', ['frame.number', 'wpan.dst64', 'mle.tlv.addr16']);
  const announced = await tsharkFields(tshark, pcap, decryptPrefs(keys), 'mle.tlv.source_addr && wpan.src64', ['frame.number', 'wpan.src64', 'mle.tlv.source_addr']);
  return [...given, ...announced].map(([frame, ext, short]) => ({ frame: Number(frame), short: short4(short), ext: ext ?? '' }));
}

/** Why a frame Wireshark could not decrypt is no fault of the frame, or undefined. */
function whyUndecryptable(p: FrameProblem, source: string | undefined, notes: ShortAddressNote[]): string | undefined {
  if (source === undefined || p.protocols !== 'wpan-tap:data') return undefined;
  const holders = new Set(notes.filter((n) => n.short === source).map((n) => n.ext));
  // Two partitions (before they merge) both use an RLOC16: Wireshark maps it to one holder only.
  if (p.messages === "No encryption key set - can't decrypt" && holders.size > 1) return `short address ${source} held by ${holders.size} devices`;
  // The sender got its short address before the capture began (a case's capture starts while the last one's network still runs).
  if (p.messages === "No extended source address - can't decrypt" && !notes.some((n) => n.short === source && n.frame < p.frame)) return `short address ${source} given out before the capture began`;
  return undefined;
}

/**
 * What `frameProblems` finds, less the frames Wireshark cannot decrypt only because
 * it cannot know their sender's extended address from the capture: a short source
 * address two devices held, or one given out before the capture began. Those are
 * returned apart, with the reason, to be reported.
 */
export async function captureProblems(
  tshark: string,
  pcap: string,
  keys: string[],
  /** More tshark preferences, e.g. the 6LoWPAN contexts a network uses and announces in no RA (Thread's mesh-local prefix). */
  extraPrefs: string[] = [],
): Promise<{ problems: FrameProblem[]; undecryptable: Array<FrameProblem & { why: string }> }> {
  const all = await frameProblems(tshark, pcap, keys, extraPrefs);
  const candidates = all.filter((p) => /can't decrypt$/.test(p.messages) && p.protocols === 'wpan-tap:data');
  if (candidates.length === 0) return { problems: all, undecryptable: [] };
  const notes = await shortAddressNotes(tshark, pcap, keys);
  const sources = new Map(
    (await tsharkFields(tshark, pcap, decryptPrefs(keys), candidates.map((p) => `frame.number == ${p.frame}`).join(' || '), ['frame.number', 'wpan.src16'])).map(([n, s]) => [
      Number(n),
      s ? short4(s) : undefined,
    ]),
  );
  const problems: FrameProblem[] = [];
  const undecryptable: Array<FrameProblem & { why: string }> = [];
  for (const p of all) {
    const why = candidates.includes(p) ? whyUndecryptable(p, sources.get(p.frame), notes) : undefined;
    if (why) undecryptable.push({ ...p, why });
    else problems.push(p);
  }
  return { problems, undecryptable };
}

/** pcap-savefile(5): little-endian, µs timestamps, one record per frame, 1 ms apart. */
export function pcapOf(linktype: number, frames: Uint8Array[]): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true); // magic: µs timestamps
  v.setUint16(4, 2, true); //          version 2.4
  v.setUint16(6, 4, true);
  v.setUint32(16, 65535, true); //     snaplen
  v.setUint32(20, linktype, true);
  let at = 24;
  frames.forEach((f, i) => {
    v.setUint32(at + 4, i * 1000, true); // timestamp: i ms
    v.setUint32(at + 8, f.length, true); // captured length
    v.setUint32(at + 12, f.length, true); // original length
    out.set(f, at + 16);
    at += 16 + f.length;
  });
  return out;
}

/** LINKTYPE_IEEE802_15_4_WITHFCS: the PSDU as sent, FCS included (tcpdump.org link types). */
export const LINKTYPE_IEEE802_15_4_WITHFCS = 195;

/** Writes `frames` (PSDUs with FCS) to `path` and returns the tshark field values of each frame. */
export async function decodeFrames(tshark: string, path: string, frames: Uint8Array[], fields: string[], prefs: string[] = []): Promise<Array<Record<string, string>>> {
  writeFileSync(path, pcapOf(LINKTYPE_IEEE802_15_4_WITHFCS, frames));
  const rows = await tsharkFields(tshark, path, prefs, 'frame', ['frame.number', ...fields]);
  return rows.map((row) => Object.fromEntries(fields.map((f, i) => [f, row[i + 1] ?? ''])));
}
