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

/** nsapi_error_t values (nsapi_types.h). */
export const NSAPI_ERRORS: Record<number, string> = {
  0: 'NSAPI_ERROR_OK',
  [-3001]: 'NSAPI_ERROR_WOULD_BLOCK',
  [-3002]: 'NSAPI_ERROR_UNSUPPORTED',
  [-3003]: 'NSAPI_ERROR_PARAMETER',
  [-3004]: 'NSAPI_ERROR_NO_CONNECTION',
  [-3005]: 'NSAPI_ERROR_NO_SOCKET',
  [-3006]: 'NSAPI_ERROR_NO_ADDRESS',
  [-3007]: 'NSAPI_ERROR_NO_MEMORY',
  [-3012]: 'NSAPI_ERROR_DEVICE_ERROR',
  [-3013]: 'NSAPI_ERROR_IN_PROGRESS',
  [-3014]: 'NSAPI_ERROR_ALREADY',
  [-3015]: 'NSAPI_ERROR_IS_CONNECTED',
  [-3016]: 'NSAPI_ERROR_CONNECTION_LOST',
  [-3017]: 'NSAPI_ERROR_CONNECTION_TIMEOUT',
  [-3018]: 'NSAPI_ERROR_ADDRESS_IN_USE',
  [-3019]: 'NSAPI_ERROR_TIMEOUT',
  [-3020]: 'NSAPI_ERROR_BUSY',
};

export function nsapiErrorName(code: number): string {
  return NSAPI_ERRORS[code] ?? `nsapi_error(${code})`;
}

export type StackKind = 'nd' | 'thread';
