// The Mbed OS Mesh API's vocabulary, once for every part of meshbench: the stack
// returns these codes and raises these events, the agent prints them, the harness
// and its drivers compare against them. Names and numbers are Mbed OS's
// (mesh_interface_types.h, nsapi_types.h; reference mbed-mesh-api.md §1, §2), so a
// C++ agent prints its enums verbatim.

/** mesh_connection_status_t: the events a MeshInterface raises. */
export const MeshEvent = {
  MESH_CONNECTED: 0,
  MESH_CONNECTED_LOCAL: 1,
  MESH_CONNECTED_GLOBAL: 2,
  MESH_DISCONNECTED: 3,
  MESH_BOOTSTRAP_START_FAILED: 4,
  MESH_BOOTSTRAP_FAILED: 5,
  MESH_BOOTSTRAP_STARTED: 6,
} as const;
export type MeshEventName = keyof typeof MeshEvent;

/** nsapi_connection_status_t without its NSAPI_STATUS_ prefix. */
export const CONNECTION_STATUSES = ['LOCAL_UP', 'GLOBAL_UP', 'DISCONNECTED', 'CONNECTING'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** nsapi_error_t values without their NSAPI_ERROR_ prefix. */
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

/** The network kinds a board may run: 6LoWPAN-ND (LoWPANNDInterface) and Thread (ThreadInterface). */
export const STACK_KINDS = ['nd', 'thread'] as const;
export type StackKind = (typeof STACK_KINDS)[number];
