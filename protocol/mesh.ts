// Mesh API vocabulary as it travels in agent-protocol events and responses.
// Names and numbers are Mbed OS's (mesh_interface_types.h, nsapi_types.h;
// reference mbed-mesh-api.md §2), so a C++ agent prints its enums verbatim.

export const MESH_EVENTS = [
  'MESH_CONNECTED', // 0
  'MESH_CONNECTED_LOCAL', // 1
  'MESH_CONNECTED_GLOBAL', // 2
  'MESH_DISCONNECTED', // 3
  'MESH_BOOTSTRAP_START_FAILED', // 4
  'MESH_BOOTSTRAP_FAILED', // 5
  'MESH_BOOTSTRAP_STARTED', // 6
] as const;
export type MeshEventName = (typeof MESH_EVENTS)[number];

export const NSAPI_STATUSES = ['LOCAL_UP', 'GLOBAL_UP', 'DISCONNECTED', 'CONNECTING'] as const;
export type NsapiStatus = (typeof NSAPI_STATUSES)[number];

/** nsapi_error_t values (mbed-os nsapi_types.h; reference mbed-mesh-api.md §1). */
export const Nsapi = {
  OK: 0,
  WOULD_BLOCK: -3001,
  UNSUPPORTED: -3002,
  PARAMETER: -3003,
  NO_CONNECTION: -3004,
  NO_SOCKET: -3005,
  NO_ADDRESS: -3006,
  NO_MEMORY: -3007,
  DEVICE_ERROR: -3012,
  IN_PROGRESS: -3013,
  ALREADY: -3014,
  IS_CONNECTED: -3015,
  CONNECTION_LOST: -3016,
  CONNECTION_TIMEOUT: -3017,
  ADDRESS_IN_USE: -3018,
  TIMEOUT: -3019,
  BUSY: -3020,
} as const;

/** Code → `NSAPI_ERROR_<NAME>`. */
export const NSAPI_ERRORS: Record<number, string> = Object.fromEntries(Object.entries(Nsapi).map(([name, code]) => [code, `NSAPI_ERROR_${name}`]));

export function nsapiErrorName(code: number): string {
  return NSAPI_ERRORS[code] ?? `nsapi_error(${code})`;
}

export type StackKind = 'nd' | 'thread';
