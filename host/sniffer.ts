// An RCP in promiscuous mode as a capture device: every frame it hears on one
// channel, with its RSSI and LQI, as a pcap stream (LINKTYPE 283, the TAP header
// the simulated bench's captures use) on the output.
//
// A line `sync` on the input asks for a mark in the stream: the RCP is asked a property,
// and when it answers an empty record (length 0) follows every frame it had heard
// before it answered (its frames and its answers come on one line, in order). A lab run
// ends a case's capture there, so no frame heard before the case stopped is cut off
// however far the host's reading fell behind.
import { LINKTYPE_IEEE802_15_4_TAP, pcapGlobalHeader, pcapRecord, TapFcsType, tapFrame } from '../sim/capture/pcap.ts';
import { openByteLink, type RadioSpec } from './rcp/byte-link.ts';
import { RcpRadio } from './rcp/rcp-radio.ts';
import { SpinelLink } from './rcp/spinel-link.ts';
import { WallTimers } from './wall-timers.ts';

export async function runSniffer(opts: {
  radio: RadioSpec;
  channel: number;
  output: { write(b: Uint8Array): unknown };
  log: (line: string) => void;
  /** Where `sync` lines come from (a lab run's sniffer launcher). */
  input?: NodeJS.ReadableStream;
}): Promise<{ stop(): Promise<void>; closed: Promise<string> }> {
  const link = await openByteLink(opts.radio);
  let closedWhy: (why: string) => void = () => {};
  const closed = new Promise<string>((r) => (closedWhy = r));
  link.onClose((why) => closedWhy(why));
  const timers = new WallTimers(1);
  const radio = new RcpRadio(new SpinelLink(link, (l) => (l.includes(' ! ') ? opts.log(l) : undefined)), timers, opts.log, { promiscuous: true, onLost: (why) => closedWhy(why) });
  radio.setChannel(opts.channel);
  const info = await radio.open();
  opts.log(`sniffer: ${link.description}: ${info.ncpVersion}, channel ${opts.channel}`);
  opts.output.write(pcapGlobalHeader(LINKTYPE_IEEE802_15_4_TAP));
  radio.onFrame((f) => {
    // Wall-clock capture time, as a capture tool stamps it.
    const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
    opts.output.write(pcapRecord(us, tapFrame({ fcsType: TapFcsType.Crc16, channel: f.channel || opts.channel, rssiDbm: f.rssiDbm, lqi: f.lqi }, f.psdu)));
  });
  const mark = () => opts.output.write(pcapRecord(Math.round((performance.timeOrigin + performance.now()) * 1000), new Uint8Array(0)));
  let pending = '';
  opts.input?.on('data', (d: Buffer) => {
    const lines = (pending + d.toString('latin1')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() !== 'sync') continue;
      // Answered or not (a lost radio ends the sniffer anyway), the mark follows what was read before.
      radio.readChannel().then(mark, mark);
    }
  });
  return {
    closed,
    async stop() {
      timers.stop();
      await link.close();
    },
  };
}
