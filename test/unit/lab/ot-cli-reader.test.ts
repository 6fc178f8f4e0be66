// The OpenThread CLI's line protocol as the driver reads it (reference §4):
// a command's answer starts with its echo; a Done or Error before the echo
// is not its answer (a late one of a command that timed out, boot noise); and
// OpenThread log lines are never output, wherever they fall.
import { expect } from 'chai';
import { FakeTransport } from '../../../harness/board/transport.ts';
import { OT_LOG_LINE, OtCli } from '../../../harness/board/drivers/ot-cli.ts';

function cli(answer: (cmd: string) => string): { c: OtCli; logs: string[] } {
  const t = new FakeTransport('fake://ot');
  void t.open();
  t.onWrite = (text) => t.emitData(answer(text.replace(/\r?\n$/, '')));
  const c = new OtCli(t);
  const logs: string[] = [];
  c.onLog((l) => logs.push(l));
  return { c, logs };
}

describe('OpenThread CLI reader', () => {
  it('takes no Done or Error before the echo as the answer', async () => {
    const { c, logs } = cli((cmd) => `Done\r\nError 13: InvalidState\r\n> ${cmd}\r\nleader\r\nDone\r\n> `);
    expect(await c.command('state')).to.deep.equal(['leader']);
    expect(logs).to.deep.equal(['Done', 'Error 13: InvalidState']);
  });

  it('a late Done of a command that timed out does not answer the next one', async () => {
    let n = 0;
    const t = new FakeTransport('fake://ot');
    void t.open();
    t.onWrite = (text) => {
      const cmd = text.replace(/\r?\n$/, '');
      // The first command echoes and then says nothing in time; its Done comes with the next command's bytes.
      if (n++ === 0) t.emitData(`${cmd}\r\n`);
      else t.emitData(`Done\r\n> ${cmd}\r\n0xface\r\nDone\r\n> `);
    };
    const c = new OtCli(t);
    await c.command('scan', 30).then(
      () => expect.fail('answered'),
      (e: Error) => expect(e.message).to.match(/^scan: no Done\/Error/),
    );
    expect(await c.command('panid')).to.deep.equal(['0xface']);
  });

  it('keeps log lines out of the output, between the echo and the result too', async () => {
    const { c, logs } = cli(
      (cmd) => `${cmd}\r\nfd00::1\r\n[N] Mle-----------: Role detached -> leader\r\nfe80::1\r\n00:00:07.355 [I] MeshForwarder-: Sent IPv6 UDP msg\r\n[INFO]-MLE-----: Send Data Request\r\nDone\r\n> `,
    );
    expect(await c.command('ipaddr')).to.deep.equal(['fd00::1', 'fe80::1']);
    expect(logs).to.deep.equal(['[N] Mle-----------: Role detached -> leader', '00:00:07.355 [I] MeshForwarder-: Sent IPv6 UDP msg', '[INFO]-MLE-----: Send Data Request']);
  });

  it('tells log lines from what commands print', () => {
    for (const l of ['[N] Mle-----------: Role detached -> leader', '[W] Mac-----------: Frame tx failed', '[C] Platform------: Assert', '12:00:07.355 [D] SubMac--------: RadioState: Receive -> Transmit', '[NOTE]-MLE-----: Role detached -> leader'])
      expect(OT_LOG_LINE.test(l), l).to.equal(true);
    for (const l of ['leader', '| ID | RLOC16 | Next Hop |', '+----+--------+', 'Network Key: 00112233445566778899aabbccddeeff', 'fd85:ebb0:4363:4807:0:ff:fe00:b000', 'Active Timestamp: 1', 'Done', '[fd00::1]:1234', 'OPENTHREAD/fake-1.4.0; SIMULATION; Mar  1 2026 00:00:00'])
      expect(OT_LOG_LINE.test(l), l).to.equal(false);
  });
});
