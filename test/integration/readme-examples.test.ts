// Every command line in the README's shell examples runs as printed: a
// meshbench command's options are parsed by the CLI's own parser (an unknown
// or misspelt option fails) and the command answers --help; an npm script is
// found by its name in package.json (`npm start` also through its meshbench
// command). A broken README example fails npm test.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../harness/cli/main.ts';
import { buildProgram } from '../../harness/cli/program.ts';

const ROOT = join(import.meta.dirname, '../..');

/** The commands of the README's ```sh blocks: comments dropped, `a && b` split. */
export function readmeCommands(markdown: string): string[][] {
  const out: string[][] = [];
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    for (const raw of block[1]!.split('\n')) {
      const line = raw.replace(/(^|\s)#.*$/, '').trim();
      if (!line) continue;
      for (const part of line.split('&&')) out.push(part.trim().split(/\s+/));
    }
  }
  return out;
}

/** Options of `meshbench <args>` the CLI's parser does not know (nothing runs). */
function unknownOptions(args: string[]): string[] {
  const [name, ...rest] = args;
  const cmd = buildProgram({ code: 0 }).commands.find((c) => c.name() === name);
  if (!cmd) return name !== undefined && !name.startsWith('-') ? [`no command '${name}'`] : [];
  return cmd.parseOptions(rest).unknown;
}

/** `meshbench <args> --help` through the CLI's own entry point (bin/meshbench.js calls it), its output captured. */
async function meshbenchHelp(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => lines.push(a.join(' '));
  console.error = console.log;
  try {
    return { code: await main([...args, '--help']), out: lines.join('\n') };
  } finally {
    Object.assign(console, { log, error });
  }
}

describe("the README's examples", function () {
  this.timeout(20_000);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const commands = readmeCommands(readme);

  it('has shell examples to check', () => {
    expect(commands.length).to.be.at.least(5);
    expect(commands.some((c) => c[0] === 'npx' && c[1] === 'meshbench')).to.equal(true);
  });

  it('every command line runs as printed (meshbench with --help, npm scripts by name)', async () => {
    const broken: string[] = [];
    for (const c of commands) {
      const shown = c.join(' ');
      if (c[0] === 'npx' && c[1] === 'meshbench') {
        const unknown = unknownOptions(c.slice(2));
        if (unknown.length) broken.push(`${shown}: not understood: ${unknown.join(' ')}`);
        const r = await meshbenchHelp(c.slice(2));
        if (r.code !== 0 || !/usage: meshbench/.test(r.out)) broken.push(`${shown}: exit ${r.code}: ${r.out.split('\n')[0]}`);
      } else if (c[0] === 'npm') {
        const script = c[1] === 'run' ? c[2] : c[1];
        if (script === 'ci') continue; // npm's own command
        const body = script === undefined ? undefined : scripts[script];
        if (body === undefined) broken.push(`${shown}: no script '${script}' in package.json`);
        else if (/^node bin\/meshbench\.js\b/.test(body)) {
          const r = await meshbenchHelp(body.split(/\s+/).slice(2));
          if (r.code !== 0) broken.push(`${shown} (${body}): exit ${r.code}: ${r.out.split('\n')[0]}`);
        }
      } else broken.push(`${shown}: neither meshbench nor an npm script; teach this test to check it`);
    }
    expect(broken, broken.join('\n')).to.deep.equal([]);
  });

  it('a broken example is caught: an unknown option or command; a value starting with - is read as a value', async () => {
    expect(unknownOptions(['run', '--no-such-option'])).to.deep.equal(['--no-such-option']);
    expect(unknownOptions(['runn'])).to.deep.equal(["no command 'runn'"]);
    expect(unknownOptions(['run', '--grep', '-TH-', '--retries', '1'])).to.deep.equal([]);
    expect((await meshbenchHelp(['run', '--grep', '-TH-', '--retries', '1'])).code).to.equal(0);
  });
});
