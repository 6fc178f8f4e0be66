// What our board on an RCP says it is (identify, boot banner): not the simulated
// bench's firmware but our stack on a radio co-processor, whose firmware version
// it names, so that a suite deciding from identity (an air with no airtime, a
// firmware's own retry cycle) decides right.
import { FIRMWARE_VERSION } from '../firmware/agent.ts';

export const RCP_BOARD_KIND = 'meshbench-rcp';

export interface RcpBoardIdentity {
  firmware: string;
  version: string;
  extra: Record<string, string>;
}

/**
 * The air from the RCP's version string, `OPENTHREAD/<git>; <PLATFORM>; <build date>`
 * (OpenThread's otGetVersionString, which ot-rcp answers to NCP_VERSION):
 * SIMULATION is OpenThread's POSIX simulation, a radio with no airtime on which
 * every node hears every other; any other platform is a real 802.15.4 radio.
 * Another vendor's string says nothing we can read: no claim.
 */
export function airOfRcp(ncpVersion: string): 'ieee802154' | 'no-airtime' | undefined {
  if (!ncpVersion.startsWith('OPENTHREAD/')) return undefined;
  const platform = ncpVersion.split(';')[1]?.trim();
  if (!platform) return undefined;
  return platform === 'SIMULATION' ? 'no-airtime' : 'ieee802154';
}

export function rcpBoardIdentity(ncpVersion: string): RcpBoardIdentity {
  const air = airOfRcp(ncpVersion);
  return {
    firmware: RCP_BOARD_KIND,
    // Ours and the radio's: a rig's `version` may name either (it is matched as a part).
    version: `${FIRMWARE_VERSION} on ${ncpVersion}`,
    extra: { rcp: ncpVersion, ...(air ? { air } : {}) },
  };
}
