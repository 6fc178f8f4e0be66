// A structural check of JUnit XML that needs no external tool: the document is XML 1.0
// text, counts add up, each testcase has at most one verdict, retries are shaped as
// Surefire writes them, and no test appears twice (GitLab keeps only the first).
import { isXmlSafe } from './sanitize.ts';
import { attr, children, parseXml } from './xml.ts';

type Node = Record<string, unknown>;

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;
const SECONDS = /^\d+(\.\d+)?$/;
const VERDICTS = ['failure', 'error', 'skipped'] as const;

// What the Jenkins xunit-plugin's junit-10.xsd allows (fixtures/junit/junit-10.xsd), so
// that a report that xmllint would reject is caught also where xmllint is absent.
const ALLOWED_ATTRIBUTES = {
  testsuites: ['name', 'time', 'tests', 'failures', 'errors'],
  testsuite: ['name', 'tests', 'failures', 'errors', 'group', 'time', 'skipped', 'timestamp', 'hostname', 'id', 'package', 'file', 'log', 'url'],
  testcase: ['name', 'time', 'classname', 'group'],
} as const;

function unknownAttributes(node: Node, element: keyof typeof ALLOWED_ATTRIBUTES, where: string): string[] {
  const attrs = node['$'];
  if (attrs === null || typeof attrs !== 'object') return [];
  const allowed: readonly string[] = ALLOWED_ATTRIBUTES[element];
  return Object.keys(attrs)
    .filter((a) => !allowed.includes(a))
    .map((a) => `${where}: attribute ${a} is not allowed on ${element} by junit-10`);
}

/** Problems found, each naming where; empty when the report is sound. */
export async function checkJUnit(xml: string): Promise<string[]> {
  const problems: string[] = [];
  if (!isXmlSafe(xml)) problems.push('document: contains characters XML 1.0 forbids');
  let doc: Node;
  try {
    doc = await parseXml(xml);
  } catch (e) {
    return [...problems, `document: not well-formed: ${(e as Error).message.split('\n')[0] ?? ''}`];
  }
  const root = doc['testsuites'];
  if (root === null || typeof root !== 'object') return [...problems, 'document: root is not testsuites'];
  problems.push(...unknownAttributes(root as Node, 'testsuites', 'testsuites'));
  for (const child of Object.keys(root)) {
    if (child !== '$' && child !== '_' && child !== 'testsuite') {
      problems.push(`testsuites: element ${child} is not allowed in testsuites by junit-10 (run facts go in each testsuite's properties)`);
    }
  }
  const sums = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const seen = new Set<string>();
  children(root, 'testsuite').forEach((ts, i) => {
    const where = `testsuite[${i}] ${JSON.stringify(attr(ts, 'name') ?? '')}`;
    problems.push(...unknownAttributes(ts, 'testsuite', where));
    for (const required of ['name', 'tests', 'failures', 'errors', 'timestamp', 'hostname']) {
      if (attr(ts, required) === undefined) problems.push(`${where}: no ${required} attribute`);
    }
    const timestamp = attr(ts, 'timestamp');
    if (timestamp !== undefined && !TIMESTAMP.test(timestamp)) {
      problems.push(`${where}: timestamp ${JSON.stringify(timestamp)} is not YYYY-MM-DDTHH:MM:SS`);
    }
    const count = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    children(ts, 'testcase').forEach((tc, j) => {
      const name = attr(tc, 'name');
      const at = `${where} testcase[${j}] ${JSON.stringify(name ?? '')}`;
      if (name === undefined) problems.push(`${at}: no name attribute`);
      problems.push(...unknownAttributes(tc, 'testcase', at));
      const time = attr(tc, 'time');
      if (time !== undefined && !SECONDS.test(time)) problems.push(`${at}: time ${JSON.stringify(time)} is not seconds`);
      const key = JSON.stringify([attr(tc, 'classname') ?? '', name ?? '']);
      if (seen.has(key)) problems.push(`${at}: the same classname and name appear twice`);
      seen.add(key);
      const verdicts = VERDICTS.filter((v) => children(tc, v).length > 0);
      const verdictCount = VERDICTS.reduce((n, v) => n + children(tc, v).length, 0);
      if (verdictCount > 1) problems.push(`${at}: ${verdictCount} verdict elements (${verdicts.join(', ')}), at most one allowed`);
      const flaky = children(tc, 'flakyFailure').length + children(tc, 'flakyError').length;
      const rerun = children(tc, 'rerunFailure').length + children(tc, 'rerunError').length;
      if (flaky > 0 && verdicts.length > 0) problems.push(`${at}: flaky attempts on a case that did not pass`);
      // A case interrupted after failed attempts is skipped with its reruns.
      if (rerun > 0 && verdicts.length === 0) problems.push(`${at}: rerun attempts on a case that passed (flaky attempts, then)`);
      count.tests += 1;
      if (verdicts[0] === 'failure') count.failures += 1;
      if (verdicts[0] === 'error') count.errors += 1;
      if (verdicts[0] === 'skipped') count.skipped += 1;
    });
    for (const k of ['tests', 'failures', 'errors', 'skipped'] as const) {
      const declared = attr(ts, k);
      if (declared !== undefined && Number(declared) !== count[k]) {
        problems.push(`${where}: ${k}=${declared} but the cases give ${count[k]}`);
      }
      sums[k] += count[k];
    }
  });
  for (const k of ['tests', 'failures', 'errors'] as const) {
    const declared = attr(root as Node, k);
    if (declared !== undefined && Number(declared) !== sums[k]) {
      problems.push(`testsuites: ${k}=${declared} but the suites give ${sums[k]}`);
    }
  }
  return problems;
}
