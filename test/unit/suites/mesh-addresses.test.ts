// The suites' choice of a Thread node's ML-EID, from the address lists the two
// firmwares give: OpenThread's `ipaddr` (a SLAAC address first) and our agent's
// `ip.addrs` (the ML-EID first). The throughput streams go to it, the address
// the analytic limit's encapsulation assumes.
import { expect } from 'chai';
import { addressOf, meshLocalEid } from '../../../suites/support/mesh.ts';
import type { Board } from '../../../harness/suite-api/index.ts';

// ot-cli-ftd-vt `ipaddr` on the mixed rig: SLAAC under the border router's prefix, RLOC, ML-EID, link-local.
const OPENTHREAD = ['2001:db8:1:0:d825:4fbb:e269:afb7', 'fd00:db8:0:0:0:ff:fe00:801', 'fd00:db8:0:0:c5af:e33:839c:3aa0', 'fe80:0:0:0:3475:b02e:1bd9:72f0'];
// Our agent's `ip.addrs` on the default rig: link-local, ML-EID, RLOC, SLAAC.
const OURS = ['fe80::2016:4c94:19c1:c88a', 'fd00:db8::6070:d249:3124:7e16', 'fd00:db8::ff:fe00:0', '2001:db8:1:0:6070:d249:3124:7e16'];

const boardWith = (addrs: string[]): Board => ({ id: 'b', ipAddresses: async () => addrs }) as unknown as Board;

describe('suites: a Thread node ML-EID among its addresses', function () {
  it('is the address under the RLOC\'s prefix that is no locator, whatever order the firmware lists', () => {
    expect(meshLocalEid(OPENTHREAD)).to.equal('fd00:db8:0:0:c5af:e33:839c:3aa0');
    expect(meshLocalEid(OURS)).to.equal('fd00:db8::6070:d249:3124:7e16');
    expect(meshLocalEid([...OPENTHREAD].reverse())).to.equal('fd00:db8:0:0:c5af:e33:839c:3aa0');
  });

  it('is not the first routable address on OpenThread, which is the SLAAC one', async () => {
    expect(await addressOf(boardWith(OPENTHREAD))).to.equal('2001:db8:1:0:d825:4fbb:e269:afb7');
  });

  it("skips a locator and a link-local address in any spelling, our agent's compressed one too", async () => {
    // The mesh-local prefix fd00:db8::/64 ends in zero groups, so our agent's RLOC compresses to `::ff:fe00:…`.
    expect(await addressOf(boardWith(['fe80::2', 'fd00:db8::ff:fe00:400', 'fd00:db8::ff:fe00:fc00', '2001:db8:1::5']))).to.equal('2001:db8:1::5');
    expect(await addressOf(boardWith(['FE80:0:0:0:0:0:0:2', 'FD00:DB8:0:0:0:FF:FE00:400', 'FD00:DB8::1:2:3:4']))).to.equal('FD00:DB8::1:2:3:4');
    expect(meshLocalEid(['FD00:DB8:0:0:0:FF:FE00:400', '2001:db8:1::6', 'fd00:db8::abcd'])).to.equal('fd00:db8::abcd');
    await addressOf(boardWith(['fe80::2', 'fd00:db8::ff:fe00:400', 'fe80::1%wpan0'])).then(
      () => expect.fail('a board with only a link-local address and an RLOC has no routable one'),
      (e: Error) => expect(e.message).to.match(/no routable address .*fe80::2, fd00:db8::ff:fe00:400, fe80::1%wpan0/),
    );
  });

  it('is an ALOC never, and none without an RLOC (detached, or a 6LoWPAN-ND board)', () => {
    expect(meshLocalEid(['fd00:db8::ff:fe00:fc00', 'fd00:db8::ff:fe00:400', 'fd00:db8::1:2:3:4'])).to.equal('fd00:db8::1:2:3:4');
    expect(meshLocalEid(['fe80::1', '2001:db8:1::1'])).to.equal(undefined);
    expect(meshLocalEid(['fd00:db8::ff:fe00:400'])).to.equal(undefined);
  });
});
