// The Spinel host's answer timeout on a host that was not scheduled: an answer the
// RCP sent in time is in our pipe when we wake, after the timeout fell due; it is
// the answer, not "no answer" (and not an answer to no request later).
import { expect } from 'chai';
import type { ByteLink } from '../../../host/rcp/byte-link.ts';
import { SpinelLink } from '../../../host/rcp/spinel-link.ts';
import { emitHdlc } from '../../../host/wire/hdlc.ts';
import { Cmd, emitPropPayload, emitSpinelFrame, Prop } from '../../../host/wire/spinel.ts';
import { socketPair, stall, type SocketPair } from './stall.ts';

/** The host's end of the pair as its byte link; what it writes is dropped (the test answers for the RCP). */
function hostLink(pair: SocketPair): ByteLink {
  return {
    description: 'test socket',
    write: () => {},
    onData: (fn) => pair.reader.on('data', (d: Buffer) => fn(new Uint8Array(d))),
    onClose: () => {},
    close: () => Promise.resolve(),
  };
}

describe('Spinel link: answers on a stalled host', () => {
  let pair: SocketPair | undefined;
  afterEach(() => {
    pair?.close();
    pair = undefined;
  });

  it('an answer that came within the timeout but is read after it fell due settles the request', async () => {
    pair = await socketPair();
    const log: string[] = [];
    const link = new SpinelLink(hostLink(pair), (l) => log.push(l), 20);
    const asked = link.get(Prop.PROTOCOL_VERSION);
    // The RCP answers at once (tid 1: the link's first request): PROTOCOL_VERSION 4.3, as ot-rcp does.
    const value = Uint8Array.of(4, 3);
    pair.writer.write(emitHdlc(emitSpinelFrame({ iid: 0, tid: 1, command: Cmd.PROP_VALUE_IS, payload: emitPropPayload({ key: Prop.PROTOCOL_VERSION, value }) })));
    stall(60); // we run again only after the 20 ms timeout
    const answer = await asked;
    expect([answer.command, answer.key, [...answer.value]]).to.deep.equal([Cmd.PROP_VALUE_IS, Prop.PROTOCOL_VERSION, [4, 3]]);
    expect(log.filter((l) => l.startsWith('spinel !')), log.join('\n')).to.deep.equal([]);
  });

  it('a request with no answer still fails after the timeout, named', async () => {
    pair = await socketPair();
    const log: string[] = [];
    const link = new SpinelLink(hostLink(pair), (l) => log.push(l), 20);
    const err = await link.get(Prop.NCP_VERSION).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.equal('PROP_VALUE_GET NCP_VERSION: no answer within 20 ms');
    expect(log).to.include('spinel ! tid=1 PROP_VALUE_GET NCP_VERSION: no answer in 20 ms');
  });
});
