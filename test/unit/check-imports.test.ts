import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkImports } from '../../scripts/check-imports.ts';

describe('import rules (DESIGN.md)', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'imports-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('accepts imports that follow the rooms', () => {
    write('stack/wire/a.ts', "export const a = 1;\n");
    write('stack/mac/b.ts', "import { a } from '../wire/a.ts';\nexport const b = a;\n");
    write('firmware/c.ts', "import { b } from '../stack/mac/b.ts';\nexport const c = b;\n");
    write('sim/d.ts', "import { c } from '../firmware/c.ts';\nimport { a } from '../stack/wire/a.ts';\nimport fs from 'node:fs';\n");
    write('harness/e.ts', "import { x } from '../protocol/x.ts';\nimport { execa } from 'execa';\n");
    write('suites/f.spec.ts', "import { bench } from '../harness/suite-api/index.ts';\nimport { expect } from 'chai';\n");
    expect(checkImports(root)).to.deep.equal([]);
  });

  const slips: Array<[string, string, string]> = [
    ['stack/wire/a.ts', "import { m } from '../mac/m.ts';", 'stack/wire'],
    ['stack/mac/m.ts', "import { f } from '../../firmware/f.ts';", 'stack/'],
    ['stack/mac/m.ts', "import fs from 'node:fs';", 'package'],
    ['firmware/f.ts', "import { s } from '../sim/s.ts';", 'firmware/'],
    ['sim/s.ts', "import { h } from '../harness/h.ts';", 'sim/'],
    ['harness/h.ts', "import { s } from '../sim/s.ts';", 'harness/'],
    ['harness/h.ts', "export { m } from '../stack/mac/m.ts';", 'harness/'],
    ['harness/h.ts', "const m = await import('../firmware/f.ts');", 'harness/'],
    ['suites/j.spec.ts', "import { s } from '../sim/s.ts';", 'suites/'],
    ['suites/j.spec.ts', "import { b } from '../harness/board/b.ts';", 'suites/'],
    ['protocol/p.ts', "import { x } from '../stack/x.ts';", 'protocol/'],
  ];
  for (const [file, line, room] of slips) {
    it(`rejects ${file}: ${line}`, () => {
      write(file, line + '\n');
      const v = checkImports(root);
      expect(v).to.have.length(1);
      expect(v[0]!.file).to.equal(file);
      expect(v[0]!.reason).to.contain(room);
    });
  }
});
