// The agent's answers to request lines that do not parse (docs/agent-protocol.md
// "Errors", E_SYNTAX): the request's id when that much can be read, so the host's
// pending request ends; id 0 only when no id can be read or the line was cut.
// Also the doc's own example exchange, sent byte for byte.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Agent } from '../../../firmware/agent.ts';
import { LineSplitter, MAX_LINE, parseLine, type AgentLine } from '../../../protocol/agent.ts';
import { createTestbed } from '../../../sim/testbed.ts';
import { StackNode } from '../../../stack/node.ts';

function board(): { send(text: string): AgentLine[] } {
  let agent: Agent | undefined;
  const out: AgentLine[] = [];
  const splitter = new LineSplitter();
  createTestbed<StackNode>({
    seed: 1,
    topology: { kind: 'matrix', lossDb: {}, defaultLossDb: 200 },
    nodes: [{ id: 'b1' }],
    build: (env) => {
      const node = new StackNode({ radio: env.radio, timers: env.timers, rng: env.rng, eui64: env.eui64 });
      agent = new Agent({ boardId: env.id, write: (t) => out.push(...splitter.push(new TextEncoder().encode(t))), reboot: () => undefined }, node);
      return node;
    },
  });
  return {
    send(text) {
      out.length = 0;
      agent!.receive(new Uint8Array(Buffer.from(text, 'latin1')));
      return out.filter((l) => l.kind === 'response');
    },
  };
}

describe('agent: unparsable request lines (E_SYNTAX)', () => {
  for (const [line, id] of [
    ['MB> 7 noop =x', 7], // the doc's example: the arguments fail, the id is there
    ['MB> 123456789 mesh.init stack="nd', 123456789], // an unterminated quote
    ['MB> 12', 12], // no command
    ['MB> 5 Noop', 5], // a command name out of [a-z][a-z0-9_.-]*
    ['MB> 8 noop k=\x01', 8], // a control byte: a 'binary' line
    ['MB> x noop', 0], // no id to read
    ['MB> 0 noop =x', 0], // 0 is no request id (ids are 1–999999999)
    ['MB> 1234567890 noop =x', 0], // ten digits: not an id
  ] as const) {
    it(`${JSON.stringify(line)} → err id ${id}`, () => {
      const r = board().send(line + '\n');
      expect(r).to.have.length(1);
      expect(r[0]).to.deep.include({ kind: 'response', id, ok: false });
      expect(r[0]!.kind === 'response' && r[0]!.args.code).to.equal('E_SYNTAX');
    });
  }

  it('an over-long line is cut and answered with id 0, and the next request is answered', () => {
    const b = board();
    const r = b.send(`MB> 47 noop x=${'a'.repeat(MAX_LINE + 100)}\n`);
    expect(r).to.have.length(1);
    expect(r[0]).to.deep.include({ id: 0, ok: false });
    expect(b.send('MB> 48 noop\n')[0]).to.deep.include({ id: 48, ok: true });
  });
});

describe('docs/agent-protocol.md', () => {
  const doc = readFileSync(new URL('../../../docs/agent-protocol.md', import.meta.url), 'utf8');

  it('every request line of the examples parses as a request (values quoted where the codec needs it)', () => {
    const requests = doc.split('\n').filter((l) => l.startsWith('MB> '));
    expect(requests.length).to.be.greaterThan(3);
    for (const l of requests) expect(parseLine(l).kind, l).to.equal('request');
  });

  it('the bare-value character class has no accidental range', () => {
    const m = /Values are bare \(`\[([^\]]+)\]\+`\)/.exec(doc);
    expect(m, 'the sentence on bare values').to.not.equal(null);
    const cls = m![1]!;
    // A '-' anywhere but first or last makes a range, e.g. '+-@' would take in '0'…'9', '<', '=' …
    const inner = cls.replace(/[A-Za-z]-[A-Za-z]|0-9/g, '');
    expect(inner.slice(1, -1), cls).to.not.contain('-');
    // What the doc says is what the codec takes: every character of the class is bare, '=' and '<' are not.
    const chars = cls.replace(/A-Z/, '').replace(/a-z/, '').replace(/0-9/, '');
    for (const ch of chars) expect(parseLine(`MB> 1 noop k=a${ch}b`).kind, ch).to.equal('request');
    for (const ch of '<>()="') expect(parseLine(`MB> 1 noop k=a${ch}b`).kind, ch).to.not.equal('request');
  });
});
