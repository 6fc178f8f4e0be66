// "Does this board answer, and what is it?": the agent's identify, or the
// OpenThread CLI's `version`. Opening a port flushes what the board printed
// before, so we ask rather than wait for a banner (DESIGN.md), and keep asking
// for a while after a reset or a flash, while the board boots.
import { AgentClient } from '../board/agent-client.ts';
import { LinkGoneError } from '../board/link-errors.ts';
import { OtCli } from '../board/drivers/openthread-cli.ts';
import type { Transport } from '../board/transport.ts';
import { terminalSafe } from '../log/terminal.ts';
import type { FirmwareKind } from '../rig/lab.ts';

export interface Answer {
  firmware: string;
  version: string;
}

/** One session per open transport: the client that speaks the board's firmware. */
export class BoardLink {
  readonly agent: AgentClient | undefined;
  readonly cli: OtCli | undefined;
  private bootSeen: Answer | undefined;

  constructor(
    readonly transport: Transport,
    readonly firmware: FirmwareKind,
  ) {
    if (firmware === 'openthread-cli') this.cli = new OtCli(transport);
    else {
      this.agent = new AgentClient(transport);
      this.agent.listen({
        event: (e) => {
          if (e.name === 'boot') this.bootSeen = { firmware: terminalSafe(e.args.firmware ?? 'unknown'), version: terminalSafe(e.args.version ?? 'unknown') };
        },
      });
    }
  }

  /**
   * Asks until the board answers or `withinMs` passes; undefined when it never did.
   * A boot banner seen meanwhile stands in for an answer unless `answerOnly` (doctor:
   * a board that printed a banner but does not answer is not answering).
   */
  async identify(withinMs: number, tryMs = 500, opts: { answerOnly?: boolean } = {}): Promise<Answer | undefined> {
    const until = Date.now() + withinMs;
    for (;;) {
      if (!this.transport.isOpen) return undefined;
      try {
        // What a board says is data: shown escaped wherever it is printed.
        if (this.cli) return { firmware: 'openthread-cli', version: terminalSafe((await this.cli.command('version', Math.min(tryMs, Math.max(1, until - Date.now()))))[0] ?? '') };
        const r = await this.agent!.request('identify', {}, Math.min(tryMs, Math.max(1, until - Date.now())));
        return { firmware: terminalSafe(r.args.firmware ?? 'unknown'), version: terminalSafe(r.args.version ?? 'unknown') };
      } catch (e) {
        if (e instanceof LinkGoneError) return undefined;
        if (this.bootSeen && !opts.answerOnly && Date.now() >= until) return this.bootSeen;
      }
      if (Date.now() >= until) return undefined;
    }
  }
}

/** Whether a board's answer carries the version a rig asks for (the CLI's version is a longer string). */
export function versionMatches(answer: Answer, want: string | undefined): boolean {
  if (want === undefined) return true;
  return answer.version === want || answer.version.includes(want);
}
