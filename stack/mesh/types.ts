// The Mbed OS Mesh API's enums (mesh_interface_types.h, nsapi_types.h;
// reference mbed-mesh-api.md §2).

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

export type ConnectionStatus = 'LOCAL_UP' | 'GLOBAL_UP' | 'DISCONNECTED' | 'CONNECTING';

/** nsapi_error_t. */
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
  BUSY: -3020,
} as const;

export type StackKind = 'nd' | 'thread';
