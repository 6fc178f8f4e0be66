// The light-control app of mbed-os-example-mesh-minimal (mesh_led_control_example.cpp;
// reference mbed-mesh-api.md §5): a UDP socket joined to the light group, a button that
// toggles the light and multicasts the lights message (protocol/light-control.ts), every
// receiver switching its LED to the state it reads and re-advertising the state
// 30 + rand()%30 s after each message it hears.
// It runs on any interface that opens UDP sockets (6LoWPAN-ND or Thread alike).
import type { DatagramSocket, UdpEndpoint } from '../mesh/udp-socket.ts';
import type { ReceivedDatagram } from '../net/datagram.ts';
import { SECOND, after, type Rng, type Timer, type Timers } from '../runtime.ts';
import { formatIpv6Address, ipv6 } from '../wire/ipv6-address.ts';
import { LIGHT_GROUP, LIGHT_HOP_LIMIT, LIGHT_PORT, lightMessage, parseLightMessage } from '../../protocol/light-control.ts';
import { Nsapi } from '../../protocol/mesh.ts';

export interface LightControlEnv {
  udp: UdpEndpoint;
  timers: Timers;
  rng: Rng;
}

/** What the LED did on a lights message: its new state, who sent it and how many radio hops it came. */
export interface LightChange {
  on: boolean;
  from: string;
  hops: number;
}

export class LightControl {
  /** The state the board last sent or heard; the LED shows it. */
  private state = false;
  private led = false;
  private socket: DatagramSocket | undefined;
  private readvertise: Timer | undefined;
  /** Lights messages received (own multicast included) and sent. */
  received = 0;
  sent = 0;
  private readonly listeners: Array<(change: LightChange) => void> = [];

  constructor(private readonly env: LightControlEnv) {}

  /** Opens the socket and joins the group; false if the light port is taken. */
  start(): boolean {
    if (this.socket) return true;
    const r = this.env.udp.openUdp(LIGHT_PORT, (d) => this.onReceive(d), { hopLimit: LIGHT_HOP_LIMIT });
    if (!r.socket) return false;
    this.socket = r.socket;
    this.socket.joinGroup(ipv6(LIGHT_GROUP));
    return true;
  }

  stop(): void {
    this.readvertise?.cancel();
    this.readvertise = undefined;
    this.socket?.close(); // leaves the group too
    this.socket = undefined;
  }

  /** The button's falling edge: toggle and send. Returns the sendto() result (bytes sent, or a negative nsapi_error_t). */
  pressButton(): number {
    if (!this.socket) return Nsapi.NO_SOCKET;
    this.state = !this.state;
    return this.send();
  }

  /** The state the next press toggles from (what the board last sent or heard). */
  get currentState(): boolean {
    return this.state;
  }

  /** The LED (logical: true = lit; the board's pin is active-low). */
  get ledOn(): boolean {
    return this.led;
  }

  /** Every lights message heard (the sender's own included, with hops 0). */
  onChange(listener: (change: LightChange) => void): void {
    this.listeners.push(listener);
  }

  private send(): number {
    this.sent++;
    return this.socket!.sendTo(ipv6(LIGHT_GROUP), LIGHT_PORT, lightMessage(this.state), { hopLimit: LIGHT_HOP_LIMIT });
  }

  private onReceive(d: ReceivedDatagram): void {
    const on = parseLightMessage(d.payload);
    if (on === undefined) return;
    this.received++;
    this.state = on;
    this.led = on;
    const change: LightChange = { on, from: formatIpv6Address(d.src), hops: d.hops };
    for (const l of this.listeners) l(change);
    // g:001 parses as group 0 (strtol on "g:..."), so every message (re)arms the re-advertisement.
    this.readvertise?.cancel();
    this.readvertise = after(this.env.timers, (30 + this.env.rng.int(30)) * SECOND, () => {
      this.readvertise = undefined;
      if (this.socket) this.send();
    });
  }
}
