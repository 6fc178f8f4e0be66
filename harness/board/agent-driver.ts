// The driver for firmware that speaks the agent protocol natively
// (meshbench's simulated firmware, or a lab's C++ agent).
import type { StackKind } from '../rig/schema.ts';
import type { AgentClient } from './agent-client.ts';
import type { BoardDriver, BoardIdentity, BoardStatus, MeshEventRecord, Timed } from './driver.ts';

function identityOf(args: Record<string, string>): BoardIdentity {
  return {
    firmware: args.firmware ?? 'unknown',
    version: args.version ?? 'unknown',
    protocol: args.protocol,
    eui64: args.eui64,
    stacks: (args.stacks ?? '').split(',').filter((s): s is StackKind => s === 'nd' || s === 'thread'),
  };
}

export class AgentDriver implements BoardDriver {
  readonly kind = 'agent';
  private readonly eventCbs: Array<(e: MeshEventRecord) => void> = [];
  private readonly bootCbs: Array<(i: Partial<BoardIdentity>) => void> = [];

  constructor(readonly client: AgentClient) {
    client.listen({
      event: (e) => {
        if (e.name === 'mesh') {
          const rec: MeshEventRecord = { t: e.t, event: e.args.event ?? '?', status: e.args.status ?? '?', callback: e.args.callback === '1' };
          for (const cb of this.eventCbs) cb(rec);
        } else if (e.name === 'boot') {
          for (const cb of this.bootCbs) cb(identityOf(e.args));
        }
      },
    });
  }

  async identify(): Promise<BoardIdentity> {
    return identityOf((await this.client.request('identify')).args);
  }

  private async result(command: string, args: Record<string, string> = {}): Promise<Timed<number>> {
    const r = await this.client.request(command, args);
    const value = Number(r.args.result);
    if (!Number.isInteger(value)) throw new Error(`${command}: answer without an integer result (${JSON.stringify(r.args)})`);
    return { value, t: r.t };
  }

  meshInit(stack: StackKind, config: Record<string, string>): Promise<Timed<number>> {
    return this.result('mesh.init', { stack, ...config });
  }
  async meshConfig(config: Record<string, string>): Promise<void> {
    await this.client.request('mesh.config', config);
  }
  connect(): Promise<Timed<number>> {
    return this.result('mesh.connect');
  }
  disconnect(): Promise<Timed<number>> {
    return this.result('mesh.disconnect');
  }
  async status(): Promise<BoardStatus> {
    const { args } = await this.client.request('mesh.status');
    const { status, t: _t, ...details } = args;
    return { status: status ?? 'unknown', details };
  }
  async ipAddresses(): Promise<string[]> {
    const { args } = await this.client.request('ip.addrs');
    return (args.addrs ?? '').split(',').filter((a) => a.length > 0);
  }
  async softReset(): Promise<void> {
    await this.client.request('reset');
  }
  onMeshEvent(cb: (e: MeshEventRecord) => void): void {
    this.eventCbs.push(cb);
  }
  onBoot(cb: (identity: Partial<BoardIdentity>) => void): void {
    this.bootCbs.push(cb);
  }
  close(): Promise<void> {
    return this.client.transport.close();
  }
}
