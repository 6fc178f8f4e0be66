// `meshbench check-agent PORT`: a verdict per agent-protocol requirement; exit 0
// when none failed, 1 otherwise, 3 when the port cannot be opened.
import { SerialTransport } from '../../board/transport.ts';
import type { Transport } from '../../board/transport.ts';
import { checkAgent, formatVerdicts, type CheckOptions } from '../../lab/check-agent.ts';
import { InfraError } from '../../lab/errors.ts';
import { consoleIo, guarded, LabUsageError, type Io, type LabCommand, type Values } from './shared.ts';
import { ErrorCode } from '../../errors.ts';

export async function checkAgentCommand(port: string | Transport, opts: CheckOptions = {}, io: Io = consoleIo): Promise<number> {
  return guarded(io, 'check-agent', async () => {
    const t = typeof port === 'string' ? new SerialTransport(port) : port;
    try {
      await t.open();
    } catch (e) {
      throw new InfraError(ErrorCode.PORT_OPEN, (e as Error).message);
    }
    try {
      const vs = await checkAgent(t, opts);
      io.out(formatVerdicts(vs));
      return vs.some((v) => v.verdict === 'fail') ? 1 : 0;
    } finally {
      await t.close();
    }
  });
}

export const checkAgentLabCommand: LabCommand = {
  summary: 'check a board\'s agent against the agent protocol, requirement by requirement',
  usage: 'meshbench check-agent [--no-reset] PORT',
  help: [
    "Checks the agent on the board at PORT (a serial device, e.g. /dev/serial/by-id/...) against",
    'docs/agent-protocol.md, one verdict per requirement (pass, fail, skip) with what the board answered:',
    'identify, request ids, split and garbled lines, unknown commands, bad arguments, the mesh, UDP',
    '(open, send, burst, stats, close, join, leave) and light commands with their events, reset banner.',
    'One board alone proves the UDP and light exchanges by its own copies of multicasts it sends.',
  ].join('\n'),
  exitCodes: 'exit codes: 0 no requirement failed, 1 one failed, 2 usage error, 3 the port cannot be opened',
  options: [{ flags: '--no-reset', description: 'skip the requirements that reset the board' }],
  args: '<port>',
  run: (v: Values, positionals: string[]) => {
    const port = positionals[0];
    if (!port || positionals.length > 1) throw new LabUsageError('expects exactly one PORT');
    return checkAgentCommand(port, { skipReset: v.reset === false });
  },
};
