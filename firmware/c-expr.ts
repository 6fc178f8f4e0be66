// Integer values as mbed_app.json writes them: 12, 0x0700, "(1<<12)",
// "(1<<11)|(1<<12)". A tiny recursive-descent evaluator over | & ^ << >> + - ~ ( ).

export function evalCInteger(text: string): number | undefined {
  const tokens = text.match(/0[xX][0-9a-fA-F]+|\d+|<<|>>|[()|&^+\-~]|\S/g);
  if (!tokens) return undefined;
  let i = 0;
  const peek = () => tokens[i];
  const binary = (ops: string[], next: () => number | undefined) => (): number | undefined => {
    let left = next();
    while (left !== undefined && ops.includes(peek() ?? '')) {
      const op = tokens[i++]!;
      const right = next();
      if (right === undefined) return undefined;
      left = apply(op, left, right);
    }
    return left;
  };
  const unary = (): number | undefined => {
    const t = tokens[i++];
    if (t === undefined) return undefined;
    if (t === '(') {
      const v = or();
      return tokens[i++] === ')' ? v : undefined;
    }
    if (t === '-') {
      const v = unary();
      return v === undefined ? undefined : -v;
    }
    if (t === '~') {
      const v = unary();
      return v === undefined ? undefined : ~v >>> 0;
    }
    if (/^0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t, 16);
    if (/^\d+$/.test(t)) return parseInt(t, 10);
    return undefined;
  };
  const additive = binary(['+', '-'], unary);
  const shift = binary(['<<', '>>'], additive);
  const and = binary(['&'], shift);
  const xor = binary(['^'], and);
  const or = binary(['|'], xor);
  const v = or();
  return i === tokens.length ? v : undefined;
}

function apply(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '<<':
      return (a * 2 ** b) >>> 0;
    case '>>':
      return a >>> b;
    case '&':
      return (a & b) >>> 0;
    case '^':
      return (a ^ b) >>> 0;
    default:
      return (a | b) >>> 0;
  }
}
