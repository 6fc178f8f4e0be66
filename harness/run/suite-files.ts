// Suite files by glob (Node 20 has no fs.glob): `suites/**/*.spec.ts`, `suites/join*`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

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
