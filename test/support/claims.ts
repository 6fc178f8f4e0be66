// Every number a case's `checks` text claims ("within the 5 s retry period") must be used
// by that case's code: read with the TypeScript compiler, the case body and the helpers it
// calls (in its own file and suites/support/) must hold the number as a literal, in the
// claim's unit or scaled to µs/ms. A claim no code uses is a claim nobody checks.
import { readFileSync } from 'node:fs';
import ts from 'typescript';

/** A number with a unit, not part of a clause or document reference (§7.5.1.4, RFC 4944, 802.15.4). */
const CLAIM = /(?<![§\w.\-/])(\d+(?:\.\d+)?)\s?(ms|µs|s|dB|dBm|%|hops?|bytes?|B|kbit\/s|times|routers|boards|datagrams|frames)(?![\w/])/g;

export interface Claim {
  caseId: string;
  text: string;
  value: number;
}

export interface UnusedClaim extends Claim {
  file: string;
}

function stringsIn(node: ts.Node): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) out.push(n.text);
    else if (ts.isTemplateExpression(n)) out.push(n.head.text, ...n.templateSpans.map((s) => s.literal.text));
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

function numbersIn(node: ts.Node): number[] {
  const out: number[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isNumericLiteral(n)) out.push(Number(n.text.replace(/_/g, '')));
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** Function declarations and `const f = (...) =>` of a file, by name. */
function functionsOf(file: ts.SourceFile): Map<string, ts.Node> {
  const out = new Map<string, ts.Node>();
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) && n.name) out.set(n.name.text, n);
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer))) out.set(n.name.text, n);
    ts.forEachChild(n, visit);
  };
  visit(file);
  return out;
}

function calledNames(node: ts.Node): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) out.push(n.expression.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

const parse = (path: string, text = readFileSync(path, 'utf8')): ts.SourceFile => ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);

/** The claims of every `testCase(...)` in `suiteFile` that no code of that case uses. */
export function unusedClaims(suiteFile: string, supportFiles: string[], text?: string): UnusedClaim[] {
  const file = parse(suiteFile, text);
  const helpers = new Map<string, ts.Node>([...supportFiles.flatMap((f) => [...functionsOf(parse(f))]), ...functionsOf(file)]);
  const out: UnusedClaim[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'testCase') {
      const [meta, body] = n.arguments;
      if (meta && body && ts.isObjectLiteralExpression(meta)) {
        const prop = (name: string) => meta.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === name);
        const caseId = stringsIn(prop('id')?.initializer ?? meta).join('…');
        // The body and the helpers it calls, two calls deep.
        const code: ts.Node[] = [body];
        const seen = new Set<string>();
        for (let depth = 0, frontier: ts.Node[] = [body]; depth < 2; depth++) {
          const next: ts.Node[] = [];
          for (const f of frontier)
            for (const name of calledNames(f)) {
              const h = helpers.get(name);
              if (h && !seen.has(name)) {
                seen.add(name);
                code.push(h);
                next.push(h);
              }
            }
          frontier = next;
        }
        const used = new Set(code.flatMap(numbersIn));
        const checks = prop('checks');
        for (const text of checks ? stringsIn(checks.initializer) : []) {
          for (const m of text.matchAll(CLAIM)) {
            const value = Number(m[1]);
            const unit = m[2]!;
            const forms = unit === 's' ? [value, value * 1e3, value * 1e6] : unit === 'ms' ? [value, value * 1e3, value / 1e3] : [value];
            if (!forms.some((f) => used.has(f))) out.push({ file: suiteFile, caseId, text: m[0], value });
          }
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(file);
  return out;
}
