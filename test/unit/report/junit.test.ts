import { expect } from 'chai';
import * as fs from 'node:fs';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import xml2js from 'xml2js';
import { buildJUnit, junitTimestamp, writeJUnit } from '../../../harness/report/junit.ts';
import type { WriteIo } from '../../../harness/report/junit.ts';
import { checkJUnit } from '../../../harness/report/check.ts';
import { parseJUnit, readJUnit } from '../../../harness/report/merge.ts';
import type { Run } from '../../../harness/report/model.ts';
import { interruptedOutcome, isInterrupted, runTotals } from '../../../harness/report/model.ts';
import { REDACTED, redactor, xmlSafe } from '../../../harness/report/sanitize.ts';
import { haveXmllint, sampleRun, tempDir, xmllint } from './sample.ts';

type X = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('report: JUnit writer', function () {
  let xmllintReason: string | undefined;

  before(async function () {
    // Installing libxml2-utils may take a while on a fresh machine.
    this.timeout(300_000);
    const r = await haveXmllint();
    if (!r.ok) {
      xmllintReason = r.reason;
      console.warn(`    xmllint checks will be skipped: ${r.reason}`);
    }
  });

  function needXmllint(ctx: Mocha.Context): void {
    if (xmllintReason !== undefined) {
      ctx.test!.title += ` (skipped: ${xmllintReason})`;
      ctx.skip();
    }
  }

  describe('shape (Jenkins junit-10 / Surefire rerun report)', function () {
    let dir: string;
    let file: string;
    let doc: X;

    before(async function () {
      dir = tempDir();
      file = join(dir, 'junit.xml');
      writeJUnit(file, sampleRun(dir));
      doc = await xml2js.parseStringPromise(readFileSync(file, 'utf8'));
    });

    it('validates against fixtures/junit/junit-10.xsd with xmllint', async function () {
      needXmllint(this);
      expect(await xmllint(file)).to.equal('');
    });

    it('passes the structural check', async function () {
      expect(await checkJUnit(readFileSync(file, 'utf8'))).to.deep.equal([]);
    });

    it('testsuites carries totals that count tests, not attempts', function () {
      // 6 cases: pass, fail, error, skip, flaky (counted as passed), fail with 2 reruns.
      // junit-10 allows only name, time, tests, failures and errors on testsuites.
      expect(doc.testsuites.$).to.deep.equal({
        name: 'meshbench', tests: '6', failures: '2', errors: '1', time: '6.250',
      });
      const suite = doc.testsuites.testsuite[0];
      expect(suite.$).to.include({
        name: 'join', tests: '6', failures: '2', errors: '1', skipped: '1',
        timestamp: '2024-05-01T10:00:01', hostname: 'lab-runner-1', id: '0', package: 'join',
      });
      expect(suite.$.time).to.equal('6.250');
      expect(suite).to.have.property('system-out');
      expect(suite).to.have.property('system-err');
    });

    it('every testsuite carries its own properties, then the run facts headed by run.id, one board property per board', function () {
      expect(doc.testsuites).not.to.have.property('properties');
      const props = doc.testsuites.testsuite[0].properties[0].property.map((p: X) => [p.$.name, p.$.value]);
      expect(props).to.deep.equal([
        ['spec', 'Mbed Mesh API connect()'],
        ['run.id', 'run-7f3a'],
        ['run.started', '2024-05-01T10:00:00'],
        ['rig', 'sim-3-boards'],
        ['seed', '42'],
        ['board', 'A meshbench-agent 0.1.0'],
        ['board', 'B meshbench-agent 0.1.0'],
        ['sim.lag_ms', '3'],
      ]);
    });

    it('with two suites, each carries the run facts', async function () {
      const run = sampleRun(dir);
      run.suites.push({ ...run.suites[0]!, name: 'soak', properties: [], cases: [] });
      const two = await xml2js.parseStringPromise(buildJUnit(run, file));
      const names = (s: X): string[] => s.properties[0].property.map((p: X) => p.$.name);
      expect(names(two.testsuites.testsuite[1])).to.deep.equal(['run.id', 'run.started', 'rig', 'seed', 'board', 'board', 'sim.lag_ms']);
      expect(names(two.testsuites.testsuite[0])).to.deep.equal(['spec', ...names(two.testsuites.testsuite[1])]);
      expect((await parseJUnit(buildJUnit(run, file))).properties).to.deep.equal(run.properties);
    });

    it('a testcase has classname, name and time; its file is the suite\'s', function () {
      const c = doc.testsuites.testsuite[0].testcase[0];
      // junit-10 has no testcase@file.
      expect(c.$).to.deep.equal({
        classname: 'suites.join', name: 'JOIN-001 joins a 6LoWPAN-ND network', time: '1.250',
      });
      expect(doc.testsuites.testsuite[0].$.file).to.equal('suites/join.test.ts');
      expect(c.properties[0].property.map((p: X) => p.$.name)).to.deep.equal(['board', 'board', 'join_time_s']);
    });

    it('attachments are [[ATTACHMENT|path]] lines alone in system-out, relative to the report', function () {
      const out: string = doc.testsuites.testsuite[0].testcase[0]['system-out'][0];
      expect(out.split('\n')).to.deep.equal([
        'connected',
        '[[ATTACHMENT|serial/A.log]]',
        '[[ATTACHMENT|capture.pcap]]',
        '',
      ]);
    });

    it('attachments can be written absolute', function () {
      const xml = buildJUnit(sampleRun(dir), file, { attachmentPaths: 'absolute' });
      expect(xml).to.contain(`[[ATTACHMENT|${join(dir, 'serial', 'A.log')}]]\n`);
    });

    it('an assertion failure has type, message and expected/actual in the body', function () {
      const f = doc.testsuites.testsuite[0].testcase[1].failure[0];
      expect(f.$).to.deep.equal({ type: 'AssertionError', message: 'expected 0 to equal 1' });
      expect(f._).to.equal(
        'AssertionError: expected 0 to equal 1\n    at Context.<anonymous> (suites/join.test.ts:40:7)\n\n' +
          'expected:\n    1\nactual:\n    0',
      );
    });

    it('a rig problem is an error, a skip carries its reason', function () {
      const [, , err, skip] = doc.testsuites.testsuite[0].testcase;
      expect(err.error[0].$).to.deep.equal({ type: 'BoardDisconnectedError', message: 'board B: serial port closed' });
      expect(err).not.to.have.property('failure');
      expect(skip.skipped[0].$).to.deep.equal({ message: 'rig has no Thread firmware' });
    });

    it('SUREFIRE-1087: passed on retry is one testcase with a flakyFailure child and no verdict', function () {
      const cases = doc.testsuites.testsuite[0].testcase;
      expect(cases.filter((c: X) => c.$.name.startsWith('JOIN-005'))).to.have.length(1);
      const flaky = cases[4];
      expect(flaky).not.to.have.any.keys('failure', 'error', 'skipped');
      expect(flaky.flakyFailure).to.have.length(1);
      expect(flaky.flakyFailure[0].$).to.deep.equal({ type: 'AssertionError', message: 'no ACK within 2 s' });
      expect(flaky.flakyFailure[0].stackTrace).to.deep.equal(['AssertionError: no ACK within 2 s']);
      expect(flaky.flakyFailure[0]['system-out']).to.deep.equal(['attempt 1 log\n']);
    });

    it('SUREFIRE-2118: failing every attempt gives failure plus rerunFailure/rerunError', function () {
      const c = doc.testsuites.testsuite[0].testcase[5];
      expect(c.failure).to.have.length(1);
      expect(c.rerunFailure).to.have.length(1);
      expect(c.rerunError[0].$).to.deep.equal({ type: 'FlashError', message: 'board A: flash failed' });
      expect(c).not.to.have.property('flakyFailure');
    });

    it('reads back into the same model', async function () {
      const back = await readJUnit(file);
      const want: Run = sampleRun(dir);
      // Times and stamps go through the report's formats; everything else is kept.
      want.startedAt = '2024-05-01T10:00:00.000Z';
      want.time = 6.25;
      expect(back).to.deep.equal(want);
    });
  });

  describe('a case stopped by an interruption', function () {
    let dir: string;
    let file: string;
    let run: Run;

    before(function () {
      dir = tempDir();
      file = join(dir, 'junit.xml');
      run = sampleRun(dir);
      const c = run.suites[0]!.cases[2]!;
      c.outcome = interruptedOutcome('SIGTERM', { message: 'the simulated bench closed its control channel', details: 'Error: the simulated bench closed its control channel\n    at Socket' });
      writeJUnit(file, run);
    });

    it('is skipped with type interrupted and the signal, not an error, and counts as interrupted', async function () {
      const doc = await xml2js.parseStringPromise(readFileSync(file, 'utf8'));
      const c = doc.testsuites.testsuite[0].testcase[2];
      expect(c).not.to.have.property('error');
      expect(c.skipped[0].$).to.deep.equal({ type: 'interrupted', message: 'interrupted by SIGTERM' });
      expect(c.skipped[0]._).to.contain('the simulated bench closed its control channel');
      expect(doc.testsuites.$).to.include({ errors: '0' });
      expect(doc.testsuites.testsuite[0].$).to.include({ errors: '0', skipped: '2' });
      expect(runTotals(run)).to.include({ errors: 0, skipped: 2, interrupted: 1 });
      expect(await checkJUnit(readFileSync(file, 'utf8'))).to.deep.equal([]);
    });

    it('reads back as interrupted', async function () {
      const back = await readJUnit(file);
      expect(back.suites[0]!.cases[2]!.outcome).to.deep.equal(run.suites[0]!.cases[2]!.outcome);
      expect(isInterrupted(back.suites[0]!.cases[2]!.outcome)).to.equal(true);
      expect(isInterrupted(back.suites[0]!.cases[3]!.outcome), 'a plain skip').to.equal(false);
    });

    it('xmllint accepts the report', async function () {
      needXmllint(this);
      expect(await xmllint(file)).to.equal('');
    });
  });

  describe('escaping serial bytes (XML 1.0 §2.2 Char)', function () {
    const latin1 = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
    const invalidUtf8 = Buffer.from([0x6f, 0x6b, 0xc3, 0x28, 0xff, 0xfe]).toString('utf8');
    const log =
      `bytes:${latin1}|` +
      '\x1b[31mred\x1b[0m\x1b]0;title\x07|' +
      'lone:\ud800|low:\udc00|pair:\ud83d\udce1|' +
      'nonchar:\ufffe\uffff|' +
      `bad:${invalidUtf8}\n`;
    let dir: string;
    let file: string;

    before(function () {
      dir = tempDir();
      file = join(dir, 'junit.xml');
      const run = sampleRun(dir);
      const c = run.suites[0]!.cases[0]!;
      c.systemOut = log;
      c.name += ' \x1b[1m';
      c.properties.push({ name: 'last_line', value: 'rx\x00\x01' });
      writeJUnit(file, run);
    });

    it('xml2js alone refuses such text', function () {
      expect(() => new xml2js.Builder().buildObject({ r: 'a\x1bb' })).to.throw(/Invalid character/);
    });

    it('xmllint accepts the report', async function () {
      needXmllint(this);
      expect(await xmllint(file)).to.equal('');
    });

    it('forbidden characters become visible escapes; tab, LF, CR and printable text stay', async function () {
      const back = await readJUnit(file);
      const c = back.suites[0]!.cases[0]!;
      const out = c.systemOut ?? '';
      expect(out).to.contain('bytes:\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\t\n\\x0b\\x0c\r\\x0e');
      expect(out).to.contain('\\x1f !"#$%&\'()*+,-./0123456789');
      expect(out).to.contain('xyz{|}~\\x7f\\x80\\x81');
      expect(out).to.contain('\\x9f\u00a0\u00a1');
      expect(out).to.contain('\u00fe\u00ff|');
      expect(out).to.contain('\\x1b[31mred\\x1b[0m\\x1b]0;title\\x07|');
      expect(out).to.contain('lone:\\ud800|low:\\udc00|pair:\ud83d\udce1|');
      expect(out).to.contain('nonchar:\\ufffe\\uffff|');
      expect(out).to.contain('bad:ok\ufffd(\ufffd\ufffd\n');
      expect(c.name).to.equal('JOIN-001 joins a 6LoWPAN-ND network \\x1b[1m');
      expect(c.properties.at(-1)).to.deep.equal({ name: 'last_line', value: 'rx\\x00\\x01' });
    });

    it('every character of 0x00-0xFF comes out XML-valid', function () {
      for (let i = 0; i < 256; i++) {
        const ch = String.fromCharCode(i);
        const safe = xmlSafe(ch);
        const legal = i === 0x09 || i === 0x0a || i === 0x0d || (i >= 0x20 && i < 0x7f) || i >= 0xa0;
        expect(safe, `0x${i.toString(16)}`).to.equal(legal ? ch : `\\x${i.toString(16).padStart(2, '0')}`);
      }
    });
  });

  describe('redaction', function () {
    const networkKey = '00112233445566778899aabbccddeeff';
    const pskd = 'J01NME';

    it('replaces network keys (either case) and PSKd everywhere', async function () {
      const dir = tempDir();
      const run = sampleRun(dir);
      const c = run.suites[0]!.cases[1]!;
      c.systemOut = `> networkkey ${networkKey.toUpperCase()}\n> joiner start ${pskd}\n`;
      c.properties.push({ name: 'pskd', value: pskd });
      if (c.outcome.verdict === 'failed') c.outcome.details = `key was ${networkKey}`;
      run.properties.push({ name: 'network_key', value: networkKey });
      const xml = buildJUnit(run, join(dir, 'junit.xml'), { redact: [networkKey, pskd] });
      expect(xml.toLowerCase()).not.to.contain(networkKey);
      expect(xml).not.to.contain(pskd);
      const back = await parseJUnit(xml, { baseDir: dir });
      const bc = back.suites[0]!.cases[1]!;
      expect(bc.systemOut).to.equal(`> networkkey ${REDACTED}\n> joiner start ${REDACTED}\n`);
      expect(bc.properties).to.deep.include({ name: 'pskd', value: REDACTED });
      expect(back.properties).to.deep.include({ name: 'network_key', value: REDACTED });
      expect(bc.outcome).to.include({ details: `key was ${REDACTED}` });
    });

    it('redacts the value of a secret key on an agent line even when the value was never named as a secret', function () {
      const line = 'MB> 15 mesh.init stack=thread thread-master-key="{0xde, 0xad, 0xbe, 0xef}" thread-pskd=WR0NG9 thread-config-channel=22';
      for (const r of [redactor([]), redactor([pskd])]) {
        expect(r(line)).to.equal(`MB> 15 mesh.init stack=thread thread-master-key=${REDACTED} thread-pskd=${REDACTED} thread-config-channel=22`);
      }
      expect(redactor([])('6lowpan-nd-psk-key="a \\" b" next=1')).to.equal(`6lowpan-nd-psk-key=${REDACTED} next=1`);
    });
  });

  describe('atomic write', function () {
    function failingRename(io: Partial<WriteIo> = {}): WriteIo {
      return {
        openSync: fs.openSync,
        writeSync: (fd, data) => fs.writeSync(fd, data),
        fsyncSync: fs.fsyncSync,
        closeSync: fs.closeSync,
        renameSync: () => {
          throw Object.assign(new Error('EIO: simulated crash before rename'), { code: 'EIO' });
        },
        unlinkSync: fs.unlinkSync,
        ...io,
      };
    }

    it('replaces the report and leaves no temp file', function () {
      const dir = tempDir();
      const file = join(dir, 'junit.xml');
      writeFileSync(file, 'old');
      writeJUnit(file, sampleRun(dir));
      expect(readFileSync(file, 'utf8')).to.match(/^<\?xml/);
      expect(readdirSync(dir)).to.deep.equal(['junit.xml']);
    });

    it('keeps the previous valid report when the rename fails', async function () {
      const dir = tempDir();
      const file = join(dir, 'junit.xml');
      const first = sampleRun(dir);
      first.suites[0]!.cases.splice(1);
      writeJUnit(file, first);
      const before = readFileSync(file, 'utf8');
      expect(() => writeJUnit(file, sampleRun(dir), {}, failingRename())).to.throw(/simulated crash/);
      expect(readFileSync(file, 'utf8')).to.equal(before);
      expect(await checkJUnit(before)).to.deep.equal([]);
      expect(readdirSync(dir)).to.deep.equal(['junit.xml']);
    });

    it('a run killed between temp write and rename leaves the old report in place', async function () {
      const dir = tempDir();
      const file = join(dir, 'junit.xml');
      writeJUnit(file, sampleRun(dir));
      const before = readFileSync(file, 'utf8');
      // A killed process cleans nothing up: the temp file stays, the report is untouched.
      const killed = failingRename({ unlinkSync: () => undefined });
      expect(() => writeJUnit(file, { ...sampleRun(dir), suites: [] }, {}, killed)).to.throw();
      expect(readFileSync(file, 'utf8')).to.equal(before);
      expect((await readJUnit(file)).suites[0]!.cases).to.have.length(6);
      expect(readdirSync(dir).filter((f) => f !== 'junit.xml')).to.have.length(1);
    });
  });

  it('timestamps have no zone (Ant JUnit schema)', function () {
    expect(junitTimestamp('2024-05-01T12:34:56.789+02:00')).to.equal('2024-05-01T10:34:56');
  });
});
