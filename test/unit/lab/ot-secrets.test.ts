// Secrets never leave the OpenThread CLI driver in clear: the serial log's
// shapes, and the commands its errors (timeout, Error n, port gone) quote.
import { expect } from 'chai';
import { FakeTransport } from '../../../harness/board/transport.ts';
import { OtCli, OtCliError } from '../../../harness/board/drivers/ot-cli.ts';
import { redactOtCommand, redactOtSecrets } from '../../../harness/board/drivers/ot-secrets.ts';

const KEY = '00112233445566778899aabbccddeeff';
const TLVS = '0e080000000000010000000300001935060004001fffe00208dead00beef00cafe0708fddead00beef000005100011223344556677889900aabbccddeeff';

describe('OpenThread CLI secrets', () => {
  it('redacts keys, datasets, passphrases and PSKd by their shape', () => {
    expect(redactOtSecrets(`dataset networkkey ${KEY}`)).to.equal('dataset networkkey <redacted>');
    expect(redactOtSecrets(`Network Key: ${KEY}`)).to.equal('Network Key: <redacted>');
    expect(redactOtSecrets(`PSKc: ${KEY.toUpperCase()}`)).to.equal('PSKc: <redacted>');
    expect(redactOtSecrets(`dataset set active ${TLVS}`)).to.equal('dataset set active <redacted>');
    expect(redactOtSecrets(`dataset init tlvs ${TLVS}`)).to.equal('dataset init tlvs <redacted>');
    expect(redactOtSecrets('dataset pskc -p my-passphrase')).to.equal('dataset pskc -p <redacted>');
    expect(redactOtSecrets('joiner start J01NME')).to.equal('joiner start <redacted>');
    expect(redactOtSecrets('commissioner joiner add * J01NME 120')).to.equal('commissioner joiner add * <redacted> 120');
    expect(redactOtSecrets('panid 0xface')).to.equal('panid 0xface');
  });

  it('redacts any value given to networkkey or pskc in a command, also a short one', () => {
    expect(redactOtCommand('networkkey 0011')).to.equal('networkkey <redacted>');
    expect(redactOtCommand('dataset pskc zz')).to.equal('dataset pskc <redacted>');
    expect(redactOtCommand(`dataset networkkey ${KEY}`)).to.equal('dataset networkkey <redacted>');
    expect(redactOtCommand('networkkey'), 'the getter has no value').to.equal('networkkey');
    expect(redactOtCommand('dataset channel 15')).to.equal('dataset channel 15');
  });

  function cli(answer: (cmd: string) => string | undefined): { cli: OtCli; t: FakeTransport } {
    const t = new FakeTransport('fake://ot');
    void t.open();
    t.onWrite = (text) => {
      const cmd = text.replace(/\r?\n$/, '');
      const a = answer(cmd);
      if (a !== undefined) t.emitData(`${cmd}\r\n${a}\r\n> `);
    };
    return { cli: new OtCli(t), t };
  }

  it("keeps secrets out of the CLI's error messages: Error n, a timeout, a port gone", async () => {
    const { cli: c } = cli((cmd) => (cmd.startsWith('networkkey') ? 'Error 13: InvalidState' : cmd.startsWith('dataset set') ? undefined : 'Done'));
    const refused = await c.command(`networkkey ${KEY}`).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused).to.be.instanceOf(OtCliError);
    expect(refused!.message).to.equal('networkkey <redacted>: Error 13: InvalidState');
    expect((refused as OtCliError).command).to.equal('networkkey <redacted>');
    const timedOut = await c.command(`dataset set active ${TLVS}`, 50).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(timedOut!.message).to.match(/^dataset set active <redacted>: no Done\/Error from fake:\/\/ot within 50 ms/);
    const { cli: c2, t: t2 } = cli(() => undefined);
    const gone = c2.command(`dataset pskc ${KEY}`).then(
      () => undefined,
      (e: Error) => e,
    );
    await new Promise((r) => setTimeout(r, 10));
    await t2.close();
    const e = await gone;
    expect(e!.message).to.match(/^dataset pskc <redacted>: the board's port went away/);
    for (const m of [refused!.message, timedOut!.message, e!.message]) expect(m).to.not.include(KEY).and.not.include(TLVS);
  });
});
