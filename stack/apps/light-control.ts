// The light-control app of mbed-os-example-mesh-minimal (mesh_led_control_example.cpp;
// reference mbed-mesh-api.md §5): a UDP socket on port 1234 joined to ff15::810a:64d1,
// a button that toggles the light and multicasts "t:lights;g:001;s:<0|1>;" + NUL
// (20 bytes, hop limit 10), every receiver switching its LED to the state it reads and
// re-advertising the state 30 + rand()%30 s after each message it hears.
import type { NetInterface, UdpReceived, UdpSocket } from '../net/net-interface.ts';
import { SECOND, after, type Rng, type Timer, type Timers } from '../runtime.ts';
import { formatIpv6Address, ipv6 } from '../wire/ipv6-address.ts';

export const LIGHT_PORT = 1234;
export const LIGHT_GROUP = 'ff15::810a:64d1';
export const LIGHT_HOP_LIMIT = 10;
/** sendto() always sends 20 bytes: 19 characters and the NUL. */
export const LIGHT_MESSAGE_LENGTH = 20;
/** The receiver reads at most 19 bytes. */
const RECEIVE_MAX = 19;

export function lightMessage(on: boolean): Uint8Array {
  const text = `t:lights;g:001;s:${on ? 1 : 0};`;
  const out = new Uint8Array(LIGHT_MESSAGE_LENGTH);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** What the example makes of a message: undefined when it is not a lights message or names no state. */
export function parseLightMessage(payload: Uint8Array): boolean | undefined {
  const end = payload.subarray(0, RECEIVE_MAX).indexOf(0);
  const text = String.fromCharCode(...payload.subarray(0, end < 0 ? RECEIVE_MAX : end));
  if (!text.includes('t:lights;')) return undefined;
  if (text.includes('s:1;')) return true;
  if (text.includes('s:0;')) return false;
  return undefined;
}

export interface LightControlEnv {
  net: NetInterface;
  timers: Timers;
  rng: Rng;
}

export class LightControl {
  /** The state the board last sent or heard; the LED shows it. */
  private state = false;
  private led = false;
  private socket: UdpSocket | undefined;
  private readvertise: Timer | undefined;
  /** Lights messages received (own multicast included) and sent. */
  received = 0;
  sent = 0;
  private readonly listeners: Array<(on: boolean, from: string) => void> = [];

  constructor(private readonly env: LightControlEnv) {}

  /** Opens the socket and joins the group; false if port 1234 is taken. */
  start(): boolean {
    if (this.socket) return true;
    this.socket = this.env.net.bindUdp(LIGHT_PORT, (d) => this.onReceive(d));
    if (!this.socket) return false;
    this.env.net.joinGroup(ipv6(LIGHT_GROUP));
    return true;
  }

  stop(): void {
    this.readvertise?.cancel();
    this.readvertise = undefined;
    this.socket?.close();
    this.socket = undefined;
    this.env.net.leaveGroup(ipv6(LIGHT_GROUP));
  }

  /** The button's falling edge: toggle and send. Returns the sendto() result (0 or a negative nsapi_error_t). */
  pressButton(): number {
    if (!this.socket) return -3005; // NSAPI_ERROR_NO_SOCKET
    this.state = !this.state;
    return this.send();
  }

  /** The LED (logical: true = lit; the board's pin is active-low). */
  get ledOn(): boolean {
    return this.led;
  }

  onChange(listener: (on: boolean, from: string) => void): void {
    this.listeners.push(listener);
  }

  private send(): number {
    this.sent++;
    return this.socket!.sendTo(ipv6(LIGHT_GROUP), LIGHT_PORT, lightMessage(this.state), { hopLimit: LIGHT_HOP_LIMIT });
  }

  private onReceive(d: UdpReceived): void {
    const on = parseLightMessage(d.payload);
    if (on === undefined) return;
    this.received++;
    this.state = on;
    this.led = on;
    const from = formatIpv6Address(d.src);
    for (const l of this.listeners) l(on, from);
    // g:001 parses as group 0 (strtol on "g:..."), so every message (re)arms the re-advertisement.
    this.readvertise?.cancel();
    this.readvertise = after(this.env.timers, (30 + this.env.rng.int(30)) * SECOND, () => {
      this.readvertise = undefined;
      if (this.socket) this.send();
    });
  }
}
