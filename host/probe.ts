// What `doctor` asks of a rig's RCP before a run: that it answers Spinel, is an
// RCP with a sub-MAC, and which firmware version and channel it has.
import { describeRadio, openByteLink, type RadioSpec } from './rcp/byte-link.ts';
import { RadioCaps, RcpRadio } from './rcp/rcp-radio.ts';
import { SpinelLink } from './rcp/spinel-link.ts';
import { WallTimers } from './wall-timers.ts';
import type { RcpProbeResult } from '../protocol/rcp-probe.ts';

export async function probeRcp(spec: RadioSpec): Promise<RcpProbeResult> {
  let link;
  try {
    link = await openByteLink(spec);
  } catch (e) {
    return { ok: false, link: describeRadio(spec), problem: (e as Error).message, problemKind: 'unreachable' };
  }
  const lines: string[] = [];
  const timers = new WallTimers(1);
  const spinel = new SpinelLink(link, (l) => lines.push(l));
  const radio = new RcpRadio(spinel, timers, (l) => lines.push(l));
  try {
    const info = await radio.open();
    const channel = await radio.readChannel();
    return {
      ok: true,
      link: link.description,
      ncpVersion: info.ncpVersion,
      protocol: `${info.protocol.major}.${info.protocol.minor}`,
      rcpApiVersion: info.rcpApiVersion,
      rcpMinHostApiVersion: info.rcpMinHostApiVersion,
      caps: info.caps,
      radioCaps: Object.entries(RadioCaps)
        .filter(([, bit]) => info.radioCaps & bit)
        .map(([name]) => name.toLowerCase().replace(/_/g, '-')),
      eui64: Buffer.from(info.eui64).toString('hex'),
      channel,
    };
  } catch (e) {
    return {
      ok: false,
      link: link.description,
      problem: `${(e as Error).message}${lines.length ? ` (last: ${lines.slice(-3).join(' | ')})` : ''}`,
      problemKind: spinel.endedReason === undefined ? 'not-an-rcp' : 'unreachable',
    };
  } finally {
    timers.stop();
    await link.close();
  }
}
