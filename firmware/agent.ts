// The board-side agent: answers agent-protocol requests arriving on the UART
// with calls into the stack's MeshInterface, and reports mesh events.
// docs/agent-protocol.md is the contract; a C++ agent on a real Mbed OS board
// implements the same lines.
import { formatEvent, formatResponse, LineSplitter, PROTOCOL_VERSION, type Args } from '../protocol/agent.ts';
import { Nsapi } from '../protocol/mesh.ts';
import type { MeshEventRecord, MeshInterface } from '../stack/mesh/mesh-interface.ts';
import { ND_DEFAULTS, type NdConfig } from '../stack/mesh/nd-interface.ts';
import type { StackNode } from '../stack/node.ts';
import { toHex } from '../stack/wire/bytes.ts';
import { THREAD_DEFAULTS, type ThreadConfig } from '../stack/mesh/thread-interface.ts';
import { AgentError, type Handler } from './agent-error.ts';
import { LightCommands } from './light-commands.ts';
import { PingCommands } from './ping-commands.ts';
import { parseMeshConfig, parseThreadConfig } from './mesh-config.ts';
import { RouteCommands } from './route-commands.ts';
import { UdpCommands, type AppHost } from './udp-commands.ts';

export const FIRMWARE_KIND = 'meshbench-sim';
export const FIRMWARE_VERSION = '0.1.0';

export interface AgentHost {
  readonly boardId: string;
  /** Bytes to the host, through the board's UART. */
  write(text: string): void;
  /** Restart the firmware (the host drops this agent and its stack and boots a new one). */
  reboot(): void;
  /** The board's clock at timer time `t` (µs); absent: the timers' time itself. */
  clock?(t: number): number;
  /**
   * What this firmware is, when it is not the simulated bench's: the host-process
   * board on an RCP reports its own kind, a version that names the radio's, and
   * keys of its own (docs/agent-protocol.md, "Boot banner").
   */
  readonly identity?: { firmware: string; version: string; extra?: Args };
}

/** The id of a request line that failed to parse, if its id field is intact (1–999999999); else 0. */
function readableId(text: string): number {
  const m = /^MB> ([1-9]\d{0,8})(?: |$)/.exec(text);
  return m ? Number(m[1]) : 0;
}

export class Agent {
  private readonly splitter = new LineSplitter();
  private readonly handlers: Record<string, Handler>;
  private pendingNd: NdConfig = { ...ND_DEFAULTS };
  private pendingThread: ThreadConfig = { ...THREAD_DEFAULTS };
  private readonly light: LightCommands;

  constructor(
    private readonly host: AgentHost,
    private readonly node: StackNode,
  ) {
    const apps: AppHost = {
      timers: node.env.timers,
      clock: () => this.now(),
      mesh: () => this.mesh(),
      event: (name, args) => this.host.write(formatEvent(this.now(), name, args)),
    };
    this.light = new LightCommands(apps);
    this.handlers = {
      ...new UdpCommands(apps).handlers(),
      ...this.light.handlers(),
      ...new PingCommands(apps).handlers(),
      ...new RouteCommands(() => this.mesh()).handlers(),
      identify: () => this.identify(),
      noop: () => ({}),
      'mesh.init': (a) => this.meshInit(a),
      'mesh.config': (a) => this.meshConfig(a),
      'mesh.connect': () => ({ result: String(this.mesh().connect()) }),
      'mesh.disconnect': () => ({ result: String(this.node.mesh ? this.node.mesh.disconnect() : Nsapi.NO_CONNECTION) }),
      'mesh.status': () => this.status(),
      'ip.addrs': () => ({ addrs: (this.node.mesh?.ipAddresses() ?? []).join(',') }),
      reset: () => {
        // Answer first, then reboot: the host sees `ok`, then the boot banner.
        this.node.env.timers.at(this.node.env.timers.now() + 1000, () => this.host.reboot());
        return {};
      },
    };
  }

  /** Power-on: a little boot noise as real firmware prints, then the banner. */
  boot(): void {
    const who = this.host.identity ? `${this.host.identity.firmware} ${this.host.identity.version}` : `sim firmware ${FIRMWARE_VERSION}`;
    this.host.write(`\r\nmeshbench ${who} (board ${this.host.boardId})\r\n`);
    this.host.write(this.banner());
  }

  banner(): string {
    return formatEvent(this.now(), 'boot', this.identity());
  }

  receive(bytes: Uint8Array): void {
    for (const line of this.splitter.push(bytes)) {
      if (line.kind === 'request') this.handle(line.id, line.command, line.args);
      else if (line.kind === 'log' && line.why !== 'text') {
        // A line that tried to be a request but was not: say so, with its id when that much
        // parsed, so the host's pending request ends (docs/agent-protocol.md "Errors"). An
        // over-long line was cut and is not read at all: id 0, once (the splitter reports the
        // cut, then an empty entry where the line ends).
        if (line.why === 'overlong' && line.text === '') continue;
        if (line.text.startsWith('MB>') || line.why === 'overlong') {
          const id = line.why === 'overlong' ? 0 : readableId(line.text);
          this.reply(id, false, { code: 'E_SYNTAX', msg: `unparsable request (${line.why})` });
        }
      }
    }
  }

  private handle(id: number, command: string, args: Args): void {
    const handler = this.handlers[command];
    if (!handler) return this.reply(id, false, { code: 'E_UNKNOWN_COMMAND', msg: `unknown command '${command}'` });
    try {
      this.reply(id, true, handler(args));
    } catch (e) {
      if (e instanceof AgentError) this.reply(id, false, { code: e.code, msg: e.message });
      else this.reply(id, false, { code: 'E_INTERNAL', msg: e instanceof Error ? e.message : String(e) });
    }
  }

  private reply(id: number, ok: boolean, args: Args): void {
    this.host.write(formatResponse(id, ok, { t: String(Math.round(this.now())), ...args }));
  }

  private now(): number {
    return this.boardTime(this.node.env.timers.now());
  }

  /** Timer time → the board's clock. */
  private boardTime(t: number): number {
    return this.host.clock ? this.host.clock(t) : t;
  }

  private identity(): Args {
    const own = this.host.identity;
    return {
      firmware: own?.firmware ?? FIRMWARE_KIND,
      version: own?.version ?? FIRMWARE_VERSION,
      protocol: String(PROTOCOL_VERSION),
      board: this.host.boardId,
      eui64: toHex(this.node.env.eui64),
      stacks: this.node.supportedStacks().join(','),
      ...own?.extra,
    };
  }

  private identify(): Args {
    return this.identity();
  }

  private mesh() {
    if (!this.node.mesh) throw new AgentError('E_STATE', 'mesh.init first');
    return this.node.mesh;
  }

  private meshInit(args: Args): Args {
    const { stack, ...rest } = args;
    if (stack !== 'nd' && stack !== 'thread') throw new AgentError('E_BAD_ARGUMENT', "stack must be 'nd' or 'thread'");
    if (!this.node.supportedStacks().includes(stack)) throw new AgentError('E_UNSUPPORTED', `this firmware has no '${stack}' stack`);
    if (stack === 'thread') {
      const thread = parseThreadConfig(rest, { ...THREAD_DEFAULTS });
      if (!thread.ok) throw new AgentError('E_BAD_ARGUMENT', thread.error);
      this.pendingThread = thread.value;
      const r = this.node.initMesh({ kind: 'thread', thread: this.pendingThread });
      if (r === 0) this.started(this.node.mesh!);
      return { result: String(r) };
    }
    const parsed = parseMeshConfig(stack, rest, { ...ND_DEFAULTS });
    if (!parsed.ok) throw new AgentError('E_BAD_ARGUMENT', parsed.error);
    this.pendingNd = parsed.value;
    const result = this.node.initMesh({ kind: 'nd', nd: this.pendingNd });
    if (result === 0) this.started(this.node.mesh!);
    return { result: String(result) };
  }

  /** A new interface: report its events, and start the light-control example on it. */
  private started(mesh: MeshInterface): void {
    mesh.onEvent((r) => this.meshEvent(r));
    this.light.start(mesh);
  }

  /** Agent extension: change configuration keys; they apply from the next bootstrap attempt. */
  private meshConfig(args: Args): Args {
    const mesh = this.mesh();
    if (mesh.kind === 'thread') {
      const thread = parseThreadConfig(args, this.pendingThread);
      if (!thread.ok) throw new AgentError('E_BAD_ARGUMENT', thread.error);
      Object.assign(this.pendingThread, thread.value);
      if ('config' in mesh) Object.assign((mesh as { config: ThreadConfig }).config, thread.value);
      return {};
    }
    const parsed = parseMeshConfig(mesh.kind, args, this.pendingNd);
    if (!parsed.ok) throw new AgentError('E_BAD_ARGUMENT', parsed.error);
    Object.assign(this.pendingNd, parsed.value);
    if ('config' in mesh) Object.assign((mesh as { config: NdConfig }).config, parsed.value);
    return {};
  }

  private status(): Args {
    const mesh = this.node.mesh;
    if (!mesh) return { status: 'DISCONNECTED', initialized: '0' };
    return { status: mesh.getConnectionStatus(), stack: mesh.kind, ...mesh.details() };
  }

  private meshEvent(r: MeshEventRecord): void {
    this.host.write(formatEvent(this.boardTime(r.at), 'mesh', { event: r.event, status: r.status, callback: r.callback ? '1' : '0' }));
  }
}
