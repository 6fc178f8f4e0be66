// The README's first command, as a test: the default run on the simulated
// bench runs every suite on both network kinds with no case skipped, all
// passing, and the report carries the evidence (ids, stack, hops, boards,
// attachments, a capture per case under reports/latest).
import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { meshbench, propertiesOf, type JUnitXml } from '../support/cli.ts';
import { captureProblems, keysIn } from '../support/tshark.ts';
import { tsharkOrSkip } from '../support/tools.ts';

const ROOT = join(import.meta.dirname, '../..');

function filesUnder(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, suffix));
    else if (name.endsWith(suffix)) out.push(p);
  }
  return out;
}

describe('the default run (npm start)', function () {
  this.timeout(600_000);

  it('runs every suite on both network kinds, none skipped, all passing, with the evidence in reports/latest', async function () {
    // No rerun: a flaky case is a bug to find, not a retry (DESIGN.md, CI users).
    const r = await meshbench(['run', '--quiet'], { cwd: ROOT });
    expect(r.code, r.stdout.slice(-4000) + r.stderr).to.equal(0);
    const latest = realpathSync(join(ROOT, 'reports', 'latest'));
    const xml = (await parseStringPromise(readFileSync(join(latest, 'junit.xml'), 'utf8'))) as JUnitXml;
    const cases = xml.testsuites.testsuite.flatMap((s) => s.testcase);
    const ids = cases.map((c) => c.$.name.split(' ')[0]!);
    for (const prefix of ['JOIN', 'DISC', 'RECOV', 'THRU', 'LIGHT']) {
      for (const kind of ['ND', 'TH']) expect(ids.some((id) => id.startsWith(`${prefix}-${kind}-`)), `${prefix}-${kind}-* cases`).to.equal(true);
    }
    expect(cases.filter((c) => c.skipped).map((c) => c.$.name), 'skipped').to.deep.equal([]);
    expect(cases.filter((c) => c.failure || c.error).map((c) => c.$.name), 'failed').to.deep.equal([]);
    expect(cases.filter((c) => c.flakyFailure).map((c) => c.$.name), 'flaky').to.deep.equal([]);
    let maxHops = 0;
    for (const c of cases) {
      const p = propertiesOf(c);
      expect(p.get('id'), c.$.name).to.have.length(1);
      expect(p.get('stack')?.[0], c.$.name).to.be.oneOf(['nd', 'thread']);
      expect(p.get('board')?.length ?? 0, `${c.$.name} names its boards`).to.be.greaterThan(0);
      maxHops = Math.max(maxHops, Number(p.get('hops')?.[0] ?? 0));
      const attachments = [...(c['system-out']?.[0] ?? '').matchAll(/\[\[ATTACHMENT\|([^\]]+)\]\]/g)].map((m) => m[1]!);
      expect(attachments.some((a) => a.endsWith('.pcap')), `${c.$.name} capture`).to.equal(true);
      for (const a of attachments) expect(existsSync(join(latest, a)), a).to.equal(true);
    }
    expect(maxHops, 'a case whose datagrams travelled three hops').to.be.at.least(3);
    expect(filesUnder(latest, '.pcap').length).to.be.at.least(cases.length);

    // Every capture decodes in Wireshark: no malformed frame, no expert warning, secured
    // frames decrypted with the keys the networks and suites configure.
    const tshark = await tsharkOrSkip(this);
    const keys = keysIn([...filesUnder(join(ROOT, 'suites'), '.ts'), ...filesUnder(join(ROOT, 'fixtures/networks'), '.json')]);
    const captures = filesUnder(join(latest, 'cases'), '.pcap');
    // Thread compresses with context 0 = its mesh-local prefix, carried in network data, which
    // tshark does not read (6LoWPAN-ND announces its contexts in RAs, which tshark learns from).
    const mlPrefix = [...readFileSync(join(ROOT, 'fixtures/networks/thread-default.json'), 'utf8').match(/ml-prefix": "\{([^}]*)\}/)![1]!.matchAll(/0x([0-9a-f]+)/gi)].map((m) => parseInt(m[1]!, 16));
    const mlContext = ['-o', `6lowpan.context0:${[0, 2, 4, 6].map((i) => ((mlPrefix[i]! << 8) | mlPrefix[i + 1]!).toString(16)).join(':')}::/64`];
    const found: string[] = [];
    for (let i = 0; i < captures.length; i += 2) {
      for (const [pcap, r] of await Promise.all(captures.slice(i, i + 2).map(async (p) => [p, await captureProblems(tshark, p, keys, /-TH-\d+/.test(p) ? mlContext : [])] as const))) {
        for (const x of r.problems) found.push(`${pcap.slice(latest.length + 1)} frame ${x.frame} (${x.protocols}): ${x.messages}`);
        if (r.undecryptable.length) console.warn(`    ${pcap.slice(latest.length + 1)}: ${r.undecryptable.length} frame(s) Wireshark cannot decrypt: ${[...new Set(r.undecryptable.map((x) => x.why))].join('; ')}`);
      }
    }
    expect(found, 'frames tshark calls malformed or warns about').to.deep.equal([]);
  });
});
