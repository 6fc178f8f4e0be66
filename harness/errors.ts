// The harness's error codes, in one table: an error the harness makes with a
// `code` takes it from here, so a caller tells errors apart by code (or class),
// never by message. Node's own codes (ENOENT, ERR_PARSE_ARGS_*) and the agent protocol's
// (E_*, docs/agent-protocol.md) are not ours and are not listed here.
export const ErrorCode = {
  // A serial port or a process board's pseudo-terminal.
  PORT_OPEN: 'ERR_PORT_OPEN',
  PORT_CLOSED: 'ERR_PORT_CLOSED',
  PORT_WRITE: 'ERR_PORT_WRITE',
  /** A port that did not come back after a power cycle. */
  PORT_GONE: 'ERR_PORT_GONE',

  // A command over a board's link (harness/board/link-errors.ts): the agent protocol or the OpenThread CLI.
  /** The CLI answered `Error N` (the agent's own refusals carry its E_* code). */
  OT_CLI: 'ERR_OT_CLI',
  AGENT_TIMEOUT: 'ERR_AGENT_TIMEOUT',
  OT_CLI_TIMEOUT: 'ERR_OT_CLI_TIMEOUT',
  AGENT_GONE: 'ERR_AGENT_GONE',
  OT_CLI_GONE: 'ERR_OT_CLI_GONE',

  // The bench and its boards.
  /** A case waited longer than its bench-time bound for a board. */
  BENCH_TIMEOUT: 'ERR_BENCH_TIMEOUT',
  BENCH_UP: 'ERR_BENCH_UP',
  SIM_START: 'ERR_SIM_START',
  CONTROL_UNSUPPORTED: 'ERR_CONTROL_UNSUPPORTED',
  BOARD_UNHEALTHY: 'ERR_BOARD_UNHEALTHY',
  BOARD_NOT_ANSWERING: 'ERR_BOARD_NOT_ANSWERING',
  BOARD_LOCKED: 'ERR_BOARD_LOCKED',
  BOARD_MISSING: 'ERR_BOARD_MISSING',
  NO_BOARD: 'ERR_NO_BOARD',
  RESET: 'ERR_RESET',

  // Outside tools and flashing.
  TOOL_MISSING: 'ERR_TOOL_MISSING',
  TOOL_TIMEOUT: 'ERR_TOOL_TIMEOUT',
  TOOL_FAILED: 'ERR_TOOL_FAILED',
  TEMPLATE: 'ERR_TEMPLATE',
  IMAGE: 'ERR_IMAGE',
  NO_FLASHER: 'ERR_NO_FLASHER',
  NO_PROBE: 'ERR_NO_PROBE',
  DAPLINK_MOUNT: 'ERR_DAPLINK_MOUNT',
  DAPLINK_REMOUNT: 'ERR_DAPLINK_REMOUNT',
  DAPLINK_COPY: 'ERR_DAPLINK_COPY',
  DAPLINK_FAIL: 'ERR_DAPLINK_FAIL',
  NO_BOOT: 'ERR_NO_BOOT',
  VERSION: 'ERR_VERSION',

  // Input files and flags.
  RIG_FILE: 'ERR_RIG_FILE',
  NETWORK_CONFIG: 'ERR_NETWORK_CONFIG',
  BOUNDED_READ: 'ERR_BOUNDED_READ',
  SOAK_PROFILE: 'ERR_SOAK_PROFILE',
  OUT_DIR: 'ERR_OUT_DIR',
  PARSE_ARGS_LAB: 'ERR_PARSE_ARGS_LAB',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The `code` a thrown value carries, if any (ours, Node's or a library's). */
export function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
