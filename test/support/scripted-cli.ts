// An OpenThread CLI session over a fake transport that answers each command from a
// table, framed as ot-cli-ftd frames it (openthread-cli.md §4): the echo, the lines,
// then Done; an unknown command gets the CLI's InvalidCommand error.
import { OtCli } from '../../harness/board/drivers/ot-cli.ts';
import { FakeTransport } from '../../harness/board/transport.ts';

export function scriptedCli(answers: Record<string, string[]>): OtCli {
  const t = new FakeTransport('fake://ot');
  void t.open();
  t.onWrite = (text) => {
    const cmd = text.replace(/\r?\n$/, '');
    const out = answers[cmd];
    t.emitData(`${cmd}\r\n${out ? [...out, 'Done'].join('\r\n') : 'Error 35: InvalidCommand'}\r\n> `);
  };
  return new OtCli(t);
}
