import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkJUnit } from '../../../harness/report/check.ts';
import { haveXmllint, tempDir, xmllint } from './sample.ts';

// Hand-written reports with one defect each.
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const suite = (attrs: string, body: string): string =>
  `${HEAD}<testsuites tests="1" failures="1" errors="0">` +
  `<testsuite name="s" ${attrs} timestamp="2024-05-01T10:00:00" hostname="h">${body}</testsuite></testsuites>\n`;

describe('report: structural check', function () {
  let xmllintReason: string | undefined;

  before(async function () {
    this.timeout(300_000);
    const r = await haveXmllint();
    if (!r.ok) xmllintReason = r.reason;
  });

  it('accepts a minimal sound report', async function () {
    const xml = suite('tests="1" failures="1" errors="0" skipped="0"', '<testcase name="a" classname="c" time="0.5"><failure type="T"/></testcase>');
    expect(await checkJUnit(xml)).to.deep.equal([]);
  });

  it('rejects two verdicts on one testcase, which junit-10 itself allows', async function () {
    const xml = suite('tests="1" failures="1" errors="0" skipped="0"', '<testcase name="a"><failure type="T"/><error type="E"/></testcase>');
    const problems = await checkJUnit(xml);
    expect(problems.join('\n')).to.match(/2 verdict elements/);
    if (xmllintReason !== undefined) this.skip();
    const file = join(tempDir(), 'two-verdicts.xml');
    writeFileSync(file, xml);
    // The upstream schema's testcase is an unbounded choice: only the check catches this.
    expect(await xmllint(file)).to.equal('');
  });

  describe('the schema is the upstream junit-10.xsd, not a relaxed one', function () {
    const sound = suite('tests="1" failures="1" errors="0" skipped="0"', '<testcase name="a" classname="c" time="0.5"><failure type="T"/><properties><property name="id" value="X-1"/></properties></testcase>');
    const cases: Array<[string, string, RegExp]> = [
      ['properties directly under testsuites', sound.replace('<testsuite ', '<properties><property name="rig" value="r"/></properties><testsuite '), /properties.*not expected/],
      ['skipped on testsuites', sound.replace('<testsuites ', '<testsuites skipped="0" '), /attribute 'skipped' is not allowed/],
      ['timestamp on testsuites', sound.replace('<testsuites ', '<testsuites timestamp="2024-05-01T10:00:00" '), /attribute 'timestamp' is not allowed/],
      ['file on a testcase', sound.replace('<testcase ', '<testcase file="suites/x.spec.ts" '), /attribute 'file' is not allowed/],
    ];

    it('accepts properties on a testcase (our one addition)', async function () {
      if (xmllintReason !== undefined) this.skip();
      const file = join(tempDir(), 'sound.xml');
      writeFileSync(file, sound);
      expect(await xmllint(file)).to.equal('');
    });

    it('the structural check rejects the same, also without xmllint', async function () {
      expect(await checkJUnit(sound)).to.deep.equal([]);
      expect(await checkJUnit(cases[0]![1])).to.deep.equal([
        "testsuites: element properties is not allowed in testsuites by junit-10 (run facts go in each testsuite's properties)",
      ]);
      expect(await checkJUnit(cases[1]![1])).to.deep.equal(['testsuites: attribute skipped is not allowed on testsuites by junit-10']);
      expect(await checkJUnit(cases[2]![1])).to.deep.equal(['testsuites: attribute timestamp is not allowed on testsuites by junit-10']);
      expect(await checkJUnit(cases[3]![1])).to.deep.equal(['testsuite[0] "s" testcase[0] "a": attribute file is not allowed on testcase by junit-10']);
    });

    for (const [what, xml, complaint] of cases) {
      it(`xmllint rejects ${what}`, async function () {
        if (xmllintReason !== undefined) this.skip();
        const file = join(tempDir(), 'bad.xml');
        writeFileSync(file, xml);
        expect(await xmllint(file)).to.match(complaint);
      });
    }
  });

  it('rejects totals that do not add up', async function () {
    const xml = suite('tests="2" failures="0" errors="0" skipped="0"', '<testcase name="a"><failure type="T"/></testcase>');
    expect(await checkJUnit(xml)).to.deep.equal([
      'testsuite[0] "s": tests=2 but the cases give 1',
      'testsuite[0] "s": failures=0 but the cases give 1',
    ]);
  });

  it('rejects a test reported twice (GitLab keeps only the first)', async function () {
    const body = '<testcase name="a" classname="c"/><testcase name="a" classname="c"><failure type="T"/></testcase>';
    const problems = await checkJUnit(suite('tests="2" failures="1" errors="0" skipped="0"', body).replace('tests="1"', 'tests="2"'));
    expect(problems).to.deep.equal(['testsuite[0] "s" testcase[1] "a": the same classname and name appear twice']);
  });

  it('rejects flaky attempts on a failed case and reruns on a passed one', async function () {
    const body =
      '<testcase name="a"><failure type="T"/><flakyFailure type="T"/></testcase>' +
      '<testcase name="b"><rerunFailure type="T"/></testcase>';
    const problems = await checkJUnit(suite('tests="2" failures="1" errors="0" skipped="0"', body).replace('tests="1"', 'tests="2"'));
    expect(problems).to.deep.equal([
      'testsuite[0] "s" testcase[0] "a": flaky attempts on a case that did not pass',
      'testsuite[0] "s" testcase[1] "b": rerun attempts on a case that passed (flaky attempts, then)',
    ]);
  });

  it('rejects a timestamp with a zone and raw control characters', async function () {
    const xml = suite('tests="1" failures="1" errors="0" skipped="0"', '<testcase name="a"><failure type="T"/></testcase>')
      .replace('2024-05-01T10:00:00', '2024-05-01T10:00:00Z')
      .replace('</testsuite>', '<system-out>\x1b[0m</system-out></testsuite>');
    const problems = await checkJUnit(xml);
    expect(problems[0]).to.equal('document: contains characters XML 1.0 forbids');
  });
});
