// The 6LoWPAN-ND beacon payload straight from bytes (stack/wire/nd-beacon.ts layout),
// and inside the beacon frame tshark decodes in tshark-vectors.test.ts.
import { expect } from 'chai';
import { parseMacFrame } from '../../../stack/wire/ieee802154.ts';
import { parseNdBeaconPayload, PROTOCOL_ID_6LOWPAN_ND } from '../../../stack/wire/nd-beacon.ts';
import { unwrap } from '../../../stack/wire/result.ts';
import { hex } from '../../../stack/wire/bytes.ts';
import { MAC_FRAMES, ND_BEACON_PAYLOAD } from './vectors.ts';

describe('wire/nd-beacon', () => {
  it('parses protocol 4, accept join + border router (flags 0x03), network id "meshbench"', () => {
    expect(unwrap(parseNdBeaconPayload(ND_BEACON_PAYLOAD))).to.deep.equal({ protocolId: PROTOCOL_ID_6LOWPAN_ND, acceptJoin: true, borderRouter: true, networkId: 'meshbench' });
  });
  it('is the payload of the beacon frame vector', () => {
    const f = unwrap(parseMacFrame(MAC_FRAMES.beacon!));
    expect(f.type === 'beacon' && unwrap(parseNdBeaconPayload(f.beacon.payload)).networkId).to.equal('meshbench');
  });
  it('flags one by one, a 16-byte id without NUL, and a truncated payload', () => {
    expect(unwrap(parseNdBeaconPayload(hex('04 01 6d657368 000000000000000000000000')))).to.include({ acceptJoin: true, borderRouter: false, networkId: 'mesh' });
    expect(unwrap(parseNdBeaconPayload(hex('04 02 41424344454647484950515253545556')))).to.include({ acceptJoin: false, borderRouter: true, networkId: 'ABCDEFGHIPQRSTUV' });
    const short = parseNdBeaconPayload(ND_BEACON_PAYLOAD.subarray(0, 17));
    expect(!short.ok && short.error.code).to.equal('truncated');
  });
});
