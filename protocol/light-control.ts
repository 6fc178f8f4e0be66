// The light-control example of mbed-os-example-mesh-minimal (mesh_led_control_example.cpp;
// reference mbed-mesh-api.md §5), once for every part that speaks it: the stack's app,
// the OpenThread driver that plays it over the CLI, and the agent checks.
// A UDP socket on port 1234 joined to ff15::810a:64d1; a button press toggles the light
// and multicasts "t:lights;g:001;s:<0|1>;" and its NUL (20 bytes, hop limit 10).

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
  return parseLightText(String.fromCharCode(...payload.subarray(0, RECEIVE_MAX)));
}

/** The same for a message as text (the OpenThread CLI prints a payload as a C string). */
export function parseLightText(text: string): boolean | undefined {
  const head = text.slice(0, RECEIVE_MAX);
  const end = head.indexOf('\0');
  const read = end < 0 ? head : head.slice(0, end);
  if (!read.includes('t:lights;')) return undefined;
  if (read.includes('s:1;')) return true;
  if (read.includes('s:0;')) return false;
  return undefined;
}
