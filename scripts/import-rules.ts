// DESIGN.md's import rules as data: which rooms a room may import from.
// Rooms are matched by the longest prefix, so `stack/wire` is stricter than `stack`.
export interface Room {
  prefix: string;
  /** Rooms (prefixes) this room may import. */
  mayImport: string[];
  /** Packages from npm or node: builtins this room may import; undefined = any. */
  packages?: RegExp;
  why: string;
}

export const ROOMS: Room[] = [
  { prefix: 'protocol', mayImport: ['protocol'], packages: /^$/, why: 'the agent/control protocol codecs and the Mesh API vocabulary are shared by every part and depend on nothing' },
  { prefix: 'stack/wire', mayImport: ['stack/wire'], packages: /^node:crypto$/, why: 'wire formats are pure and import nothing of ours' },
  { prefix: 'stack', mayImport: ['stack', 'protocol'], packages: /^node:crypto$/, why: 'the stack is pure: no I/O, no clock; beside itself it reads only protocol/ (the Mesh API codes it returns), which imports nothing' },
  { prefix: 'firmware', mayImport: ['firmware', 'stack', 'protocol'], packages: /^node:crypto$/, why: 'the agent runs on the stack and speaks the protocol; it owns no I/O' },
  { prefix: 'host/wire', mayImport: ['host/wire', 'stack/wire'], packages: /^$/, why: 'the RCP link formats (HDLC-lite, Spinel) are pure parse/emit pairs' },
  { prefix: 'host', mayImport: ['host', 'firmware', 'stack', 'protocol', 'sim/capture/pcap.ts'], why: 'the host-process board runs the agent on the stack with an RCP as its radio; a sniffer RCP writes the sim\'s capture format (pcap.ts imports nothing)' },
  { prefix: 'sim', mayImport: ['sim', 'firmware', 'stack', 'protocol'], why: 'the sim hosts boards (firmware on stack) and names frames in captures' },
  { prefix: 'harness/suite-api', mayImport: ['harness', 'protocol'], why: 'the test API is part of the harness' },
  { prefix: 'harness', mayImport: ['harness', 'protocol'], why: 'the harness reaches the sim only through its process, serial ports and control channel' },
  { prefix: 'suites', mayImport: ['suites', 'harness/suite-api'], packages: /^(chai|node:.*)$/, why: 'suites are written once against the harness test API and run on any rig' },
];
