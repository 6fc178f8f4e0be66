// Fails when a module imports across DESIGN.md's room boundaries.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOMS, type Room } from './import-rules.ts';

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

const IMPORT_RE = /(?:^|[^\w.])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function roomOf(repoPath: string): Room | undefined {
  let best: Room | undefined;
  for (const room of ROOMS) {
    if (repoPath === room.prefix || repoPath.startsWith(room.prefix + '/')) {
      if (!best || room.prefix.length > best.prefix.length) best = room;
    }
  }
  return best;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) yield path;
  }
}

export function checkImports(root: string): Violation[] {
  const violations: Violation[] = [];
  for (const top of new Set(ROOMS.map((r) => r.prefix.split('/')[0]!))) {
    const dir = join(root, top);
    try {
      statSync(dir);
    } catch {
      continue;
    }
    for (const file of sourceFiles(dir)) {
      const rel = relative(root, file).split(sep).join('/');
      const room = roomOf(rel);
      if (!room) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT_RE)) {
        const spec = m[1] ?? m[2];
        if (!spec) continue;
        const line = text.slice(0, m.index).split('\n').length;
        if (spec.startsWith('.')) {
          const target = relative(root, resolve(dirname(file), spec)).split(sep).join('/');
          const ok = room.mayImport.some((p) => target === p || target.startsWith(p + '/'));
          if (!ok) violations.push({ file: rel, line, specifier: spec, reason: `${room.prefix}/ may import only ${room.mayImport.join(', ')}: ${room.why}` });
        } else if (room.packages && !room.packages.test(spec)) {
          violations.push({ file: rel, line, specifier: spec, reason: `${room.prefix}/ may not import package '${spec}': ${room.why}` });
        }
      }
    }
  }
  return violations;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const violations = checkImports(root);
  for (const v of violations) console.error(`${v.file}:${v.line}: import '${v.specifier}': ${v.reason}`);
  if (violations.length) {
    console.error(`${violations.length} import rule violation(s)`);
    process.exit(1);
  }
  console.log('import rules: ok');
}
