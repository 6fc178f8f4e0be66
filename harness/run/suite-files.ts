// Suite files by glob (Node 20 has no fs.glob): `suites/**/*.spec.ts`, `suites/join*`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function findSuiteFiles(root: string, glob: string): string[] {
  // A bare name or prefix ("join") means suites/join*.spec.ts.
  const pattern = glob.includes('/') || glob.includes('.') ? glob : `suites/**/${glob}*.spec.ts`;
  const re = globToRegExp(pattern);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (re.test(relative(root, path).split(sep).join('/'))) out.push(path);
    }
  };
  walk(join(root, pattern.split('/')[0]!.includes('*') ? '' : pattern.split('/')[0]!));
  return out.sort();
}

/**
 * The suite files of a run: every `*.spec.ts` under a lab's own directories when
 * given (narrowed by `suiteGlob` relative to each), else the project's by glob.
 */
export function suiteFilesOf(root: string, opts: { suiteGlob?: string; suiteDirs?: readonly string[] }): string[] {
  if (opts.suiteDirs?.length) {
    return opts.suiteDirs.flatMap((d) => {
      const dir = resolve(d);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SuiteDirError(`--suites ${d}: not a directory`);
      return findSuiteFiles(dir, opts.suiteGlob ?? '**/*.spec.ts');
    });
  }
  return findSuiteFiles(root, opts.suiteGlob ?? 'suites/**/*.spec.ts');
}

export class SuiteDirError extends Error {}
