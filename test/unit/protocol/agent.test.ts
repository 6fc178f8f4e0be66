import { expect } from 'chai';
import { formatEvent, formatRequest, formatResponse, LineSplitter, MAX_LINE, parseArgs, parseLine, quote, type AgentLine } from '../../../protocol/agent.ts';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('agent protocol (docs/agent-protocol.md)', () => {
  describe('values', () => {
    it('writes bare values bare and quotes the rest with \\\\ \\" \\xHH escapes', () => {
      expect(quote('0x0691')).to.equal('0x0691');
      expect(quote('(1<<12)')).to.equal('"(1<<12)"');
      expect(quote('Thread Network')).to.equal('"Thread Network"');
      expect(quote('a"b\\c')).to.equal('"a\\"b\\\\c"');
      expect(quote('\x1b[0m')).to.equal('"\\x1b[0m"');
      expect(quote('')).to.equal('""');
    });
    it('reads back what it writes, including UTF-8', () => {
      const args = { a: 'plain', b: 'with space', c: 'q"uo\\te', d: '\x00\x1b\xff', e: 'héllo', '6lowpan-nd-channel': '12' };
      const line = formatRequest(7, 'mesh.init', args).trimEnd();
      const parsed = parseLine(line);
      expect(parsed).to.deep.equal({ kind: 'request', id: 7, command: 'mesh.init', args });
    });
    it('rejects malformed argument text', () => {
      for (const bad of ['=x', 'k', 'k="open', 'k="x"y', 'k=a k=b', 'k=a"b', 'k="\\q"']) expect(parseArgs(bad), bad).to.equal(undefined);
    });
  });

  describe('lines', () => {
    it('classifies requests, responses, events and log', () => {
      expect(parseLine('MB> 1 identify')).to.deep.equal({ kind: 'request', id: 1, command: 'identify', args: {} });
      expect(parseLine('MB< 12 ok t=5 result=-3012')).to.deep.equal({ kind: 'response', id: 12, ok: true, args: { t: '5', result: '-3012' } });
      expect(parseLine('MB< 3 err t=9 code=E_STATE msg="mesh.init first"')).to.deep.equal({ kind: 'response', id: 3, ok: false, args: { t: '9', code: 'E_STATE', msg: 'mesh.init first' } });
      expect(parseLine('MB! 141200 mesh event=MESH_CONNECTED status=LOCAL_UP callback=1')).to.deep.equal({ kind: 'event', t: 141200, name: 'mesh', args: { event: 'MESH_CONNECTED', status: 'LOCAL_UP', callback: '1' } });
      expect(parseLine('Start mesh-minimal application')).to.deep.equal({ kind: 'log', text: 'Start mesh-minimal application', why: 'text' });
      expect(parseLine('MB< x ok')).to.include({ kind: 'log', why: 'malformed' });
      expect(parseLine('MB> 1 noop =')).to.include({ kind: 'log', why: 'malformed' });
    });
    it('formats responses and events the parser reads', () => {
      expect(parseLine(formatResponse(4, false, { t: '1', code: 'E_BAD_ARGUMENT' }).trimEnd())).to.deep.equal({ kind: 'response', id: 4, ok: false, args: { t: '1', code: 'E_BAD_ARGUMENT' } });
      expect(parseLine(formatEvent(12.6, 'boot', { protocol: '1' }).trimEnd())).to.deep.equal({ kind: 'event', t: 13, name: 'boot', args: { protocol: '1' } });
    });
  });

  describe('LineSplitter', () => {
    const stream = 'boot noise\r\nMB! 0 boot firmware=x version=1 protocol=1\r\nMB< 1 ok t=5 addrs=fe80::1,fd00:db8::1\nMB! 9 mesh event=MESH_BOOTSTRAP_STARTED status=CONNECTING callback=1\n';
    const expected = (lines: AgentLine[]) => lines.map((l) => l.kind);

    it('yields the same lines whichever byte the reads split at', () => {
      const whole = new LineSplitter().push(bytes(stream));
      expect(expected(whole)).to.deep.equal(['log', 'event', 'response', 'event']);
      for (let cut = 0; cut <= stream.length; cut++) {
        const s = new LineSplitter();
        const got = [...s.push(bytes(stream.slice(0, cut))), ...s.push(bytes(stream.slice(cut)))];
        expect(got, `split at ${cut}`).to.deep.equal(whole);
      }
      const s = new LineSplitter();
      const oneByOne = [...stream].flatMap((c) => s.push(bytes(c)));
      expect(oneByOne).to.deep.equal(whole);
    });

    it('keeps NUL, ESC and high bytes as log shown \\xHH, and the session goes on', () => {
      const s = new LineSplitter();
      const out = s.push(new Uint8Array([0x00, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0x0a, ...bytes('MB< 2 ok t=1\n')]));
      expect(out[0]).to.deep.equal({ kind: 'log', text: '\\x00\\x1b[31m\\xff', why: 'binary' });
      expect(out[1]).to.deep.include({ kind: 'response', id: 2 });
    });

    it('cuts an over-long line once, drops the rest of it, and resynchronises at the next LF', () => {
      const s = new LineSplitter();
      const long = 'x'.repeat(MAX_LINE * 3);
      const out = [...s.push(bytes(long)), ...s.push(bytes('tail\nMB< 3 ok t=2\n'))];
      expect(out.filter((l) => l.kind === 'log' && l.why === 'overlong')).to.have.length(2);
      expect(out[out.length - 1]).to.deep.include({ kind: 'response', id: 3 });
      expect(out.every((l) => l.kind !== 'log' || l.text.length <= MAX_LINE + 1)).to.equal(true);
    });

    it('treats a line of exactly MAX_LINE bytes as a line', () => {
      const s = new LineSplitter();
      const out = s.push(bytes('y'.repeat(MAX_LINE) + '\n'));
      expect(out).to.deep.equal([{ kind: 'log', text: 'y'.repeat(MAX_LINE), why: 'text' }]);
    });

    it('flushes a last line without LF when the port closes', () => {
      const s = new LineSplitter();
      expect(s.push(bytes('MB< 5 ok t=3'))).to.deep.equal([]);
      expect(s.flush()).to.deep.equal([{ kind: 'response', id: 5, ok: true, args: { t: '3' } }]);
      expect(s.flush()).to.deep.equal([]);
    });
  });
});
