// Soak profiles: the default one loads; bad ones are refused with what is wrong where.
import { expect } from 'chai';
import { join } from 'node:path';
import { loadSoakProfile, parseSoakProfile, SoakProfileError } from '../../../harness/soak/profile.ts';
import { soakBounds } from '../../../harness/soak/soak.ts';
import { loadRig } from '../../../harness/rig/load.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe('harness/soak: profile', () => {
  it('the default profile loads: a day of 6LoWPAN-ND in 15-minute windows, every kind of churn', () => {
    const p = loadSoakProfile(join(ROOT, 'fixtures', 'soak', 'default.yaml'));
    expect(p).to.include({ name: 'default', stack: 'nd', durationS: 86_400, windowS: 900 });
    expect(p.churn.map((c) => c.kind).sort()).to.deep.equal(['channel', 'disconnect', 'fade', 'partition', 'power-cycle', 'reset']);
  });

  it('takes the bounds it leaves out from the rig, and caps Thread tables at the standard sizes', () => {
    const p = parseSoakProfile('{name: t, stack: thread, durationS: 60, windowS: 60, traffic: {}}', 'inline');
    const rig = loadRig(join(ROOT, 'rigs', 'sim-default.yaml')).rig;
    const b = soakBounds(p, rig.bounds, 64, 3);
    expect(b).to.deep.equal({
      deliveryMin: rig.bounds.deliveryRatio,
      latencyP99MaxMs: rig.bounds.latencyP99MsPerHop * 3,
      backWithinS: rig.bounds.joinWithinS,
      maxNeighbours: 31,
      maxChildren: 10,
      maxRoutes: 63,
    });
  });

  for (const [what, text, error] of [
    ['not YAML', 'name: [', /not YAML/],
    ['an unknown churn kind', '{name: x, stack: nd, durationS: 60, windowS: 10, traffic: {}, churn: [{kind: meteor, perHour: 1}]}', /churn\.0\.kind/],
    ['a window longer than the soak', '{name: x, stack: nd, durationS: 60, windowS: 600, traffic: {}}', /windowS: windowS is longer than durationS/],
    ['an unknown key', '{name: x, stack: nd, durationS: 60, windowS: 60, traffic: {}, speed: 3}', /Unrecognized key/],
    ['a channel off page 0', '{name: x, stack: nd, durationS: 60, windowS: 60, traffic: {}, churn: [{kind: channel, perHour: 1, channel: 27}]}', /churn\.0\.channel/],
  ] as const) {
    it(`refuses ${what}, saying where`, () => {
      expect(() => parseSoakProfile(text, 'p.yaml')).to.throw(SoakProfileError, error);
    });
  }
});
