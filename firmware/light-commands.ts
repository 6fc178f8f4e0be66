// The agent's light-control commands (docs/agent-protocol.md "Light control"): the
// mesh-minimal example runs on every board from mesh.init on, as the example starts it
// on every board; the host presses the button, reads the LED, and hears each lights
// message as an event with the hops it travelled.
import type { Args } from '../protocol/agent.ts';
import type { LightControl } from '../stack/apps/light-control.ts';
import type { MeshInterface } from '../stack/mesh/mesh-interface.ts';
import type { Handler } from './agent-error.ts';
import { onlyKeys } from './agent-error.ts';
import type { AppHost } from './udp-commands.ts';

export class LightCommands {
  constructor(private readonly host: AppHost) {}

  /** Starts the example on a freshly initialised interface and reports its LED changes. */
  start(mesh: MeshInterface): void {
    mesh.light().onChange((c) => this.host.event('light', { led: c.on ? '1' : '0', from: c.from, hops: String(c.hops) }));
  }

  handlers(): Record<string, Handler> {
    return {
      'light.press': (a) => {
        onlyKeys(a, []);
        const light = this.light();
        const result = light.pressButton();
        return { result: String(result), state: light.currentState ? '1' : '0' };
      },
      'light.get': (a): Args => {
        onlyKeys(a, []);
        const light = this.light();
        return { led: light.ledOn ? '1' : '0', received: String(light.received), sent: String(light.sent) };
      },
    };
  }

  private light(): LightControl {
    return this.host.mesh().light();
  }
}
