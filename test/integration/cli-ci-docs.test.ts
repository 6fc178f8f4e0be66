// docs/ci.md's three CI recipes: the GitHub Actions and GitLab YAML parse and
// have the shape the text promises (a matrix or parallel job of shards, then a merge),
// the Jenkins pipeline's shell steps are found, and every meshbench command in them
// exists with every option it uses (its --help runs and names each one).
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { main } from '../../harness/cli/main.ts';

const ROOT = join(import.meta.dirname, '../..');
const DOC = readFileSync(join(ROOT, 'docs', 'ci.md'), 'utf8');

/** The fenced block of `lang` under the heading that starts with `heading`. */
function block(heading: string, lang: string): string {
  const at = DOC.indexOf(`\n## ${heading}`);
  expect(at, heading).to.be.greaterThan(0);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(DOC.slice(at));
  expect(m, `${heading}: a ${lang} block`).not.to.equal(null);
  return m![1]!;
}

/** Every string in a parsed YAML document. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

/** A CI variable as shard 1 of 3 sees it. */
function substitute(cmd: string): string {
  return cmd
    .replace(/\$\{\{\s*matrix\.shard\s*\}\}/g, '1')
    .replace(/\$\{?CI_NODE_INDEX\}?/g, '1')
    .replace(/\$\{?CI_NODE_TOTAL\}?/g, '3')
    .replace(/\$\{SHARD\}/g, '1');
}

/** `npx meshbench <command> <args>` lines, as argument lists after `meshbench`. */
function meshbenchCommands(lines: string[]): string[][] {
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => /(^|\s)npx meshbench\s/.test(l))
    .map((l) => substitute(l.trim()).split(/\s+/).slice(2));
}

async function help(args: string[]): Promise<{ code: number; text: string }> {
  const printed: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void printed.push(a.join(' '));
  try {
    const code = await main([...args, '--help']);
    return { code, text: printed.join('\n') };
  } finally {
    console.log = log;
  }
}

async function checkCommands(name: string, commands: string[][], envVars: string[]): Promise<void> {
  expect(commands.map((c) => c[0]), `${name}: doctor, run, merge`).to.include.members(['doctor', 'run', 'merge']);
  const helps = new Map<string, string>();
  for (const args of commands) {
    const h = await help(args);
    expect(h.code, `${name}: meshbench ${args.join(' ')} --help`).to.equal(0);
    expect(h.text, `${name}: ${args[0]}`).to.match(new RegExp(`^usage: meshbench ${args[0]} `));
    for (const flag of args.filter((a) => a.startsWith('--'))) expect(h.text, `${name}: meshbench ${args[0]} ${flag}`).to.match(new RegExp(`^  ${flag} `, 'm'));
    helps.set(args[0]!, h.text);
  }
  for (const v of envVars) expect([...helps.values()].some((t) => t.includes(`(env: ${v})`)), `${name}: ${v} is an option's variable`).to.equal(true);
  const shard = commands.find((c) => c[0] === 'run')!;
  expect(shard[shard.indexOf('--shard') + 1], `${name}: shard 1 of 3`).to.equal('1/3');
  const merge = commands.find((c) => c[0] === 'merge')!;
  expect(merge.filter((a) => !a.startsWith('-')).length - 1 - 1, `${name}: merges three shard directories`).to.equal(3);
}

describe('README: the opening and its examples', function () {
  this.timeout(60_000);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('opens with the name and one sentence, then one block of exactly the two commands', () => {
    const [title, sentence, fence] = readme.split('\n\n');
    expect(title).to.equal('# meshbench');
    expect(sentence!.trim().split(/(?<=\.)\s/), 'one sentence').to.have.length(1);
    expect(fence).to.equal('```sh\nnpm ci && npm start\nnpm test\n```');
  });

  it('every meshbench example names options its command has, and files that exist', async () => {
    const examples = [...readme.matchAll(/^npx meshbench (.*?)(?:\s+#.*)?$/gm)].map((m) => m[1]!.trim().split(/\s+/));
    expect(examples.length).to.be.greaterThan(5);
    for (const args of examples) {
      if (args[0] === '--help') continue;
      const h = await help(args);
      expect(h.code, `meshbench ${args.join(' ')} --help`).to.equal(0);
      for (const flag of args.filter((a) => a.startsWith('--'))) expect(h.text, `meshbench ${args.join(' ')}`).to.match(new RegExp(`^  ${flag} `, 'm'));
      for (const file of args.filter((a) => /^rigs\/.*\.yaml$/.test(a))) expect(existsSync(join(ROOT, file)), file).to.equal(true);
    }
    expect((await help([])).code, 'meshbench --help').to.equal(0);
  });
});

describe('docs/ci.md recipes', function () {
  this.timeout(60_000);

  it('GitHub Actions: a matrix of three shards, then a job that merges, publishes the JUnit and keeps the report', async () => {
    const wf = YAML.parse(block('GitHub Actions', 'yaml')) as { jobs: Record<string, { strategy?: { matrix?: { shard?: number[] } }; env?: Record<string, string>; needs?: string; steps: Array<{ run?: string; uses?: string }> }> };
    expect(wf.jobs['shard']!.strategy!.matrix!.shard).to.deep.equal([1, 2, 3]);
    expect(wf.jobs['report']!.needs).to.equal('shard');
    expect(wf.jobs['report']!.steps.some((s) => s.uses?.startsWith('mikepenz/action-junit-report'))).to.equal(true);
    await checkCommands('GitHub', meshbenchCommands(strings(wf)), Object.keys(wf.jobs['shard']!.env ?? {}));
  });

  it('GitLab CI: a parallel job of three shards with JUnit reports, then a merge job', async () => {
    const ci = YAML.parse(block('GitLab CI', 'yaml')) as Record<string, { parallel?: number; variables?: Record<string, string>; artifacts?: { reports?: { junit?: string } } }>;
    expect(ci['meshbench']!.parallel).to.equal(3);
    expect(ci['meshbench-report']!.artifacts!.reports!.junit).to.equal('reports/merged/junit.xml');
    await checkCommands('GitLab', meshbenchCommands(strings(ci)), Object.keys(ci['meshbench']!.variables ?? {}));
  });

  it('Jenkins: a matrix axis of three shards; each shell step\'s meshbench command exists with its options', async () => {
    const groovy = block('Jenkins', 'groovy');
    expect(/axis\s*\{\s*name 'SHARD'\s*values '1', '2', '3'/.test(groovy)).to.equal(true);
    const sh = [...groovy.matchAll(/\bsh '([^']*)'/g)].map((m) => m[1]!);
    expect(groovy).to.include("junit 'reports/merged/junit.xml'");
    const env = [...groovy.matchAll(/^\s*(MESHBENCH_[A-Z_]+) = /gm)].map((m) => m[1]!);
    await checkCommands('Jenkins', meshbenchCommands(sh), env);
  });
});
