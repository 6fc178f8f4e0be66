// What `meshbench board --probe` prints (one JSON line) and `doctor` reads: whether a
// rig's RCP answered Spinel, and what it is.

export interface RcpProbeResult {
  ok: boolean;
  /** The link it answered on. */
  link: string;
  ncpVersion?: string;
  protocol?: string;
  /** RCP_API_VERSION, and the oldest host API it serves (RCP_MIN_HOST_API_VERSION), where it has them. */
  rcpApiVersion?: number;
  rcpMinHostApiVersion?: number;
  caps?: number[];
  radioCaps?: string[];
  eui64?: string;
  channel?: number;
  problem?: string;
  /**
   * What failed: `unreachable`, the device or process could not be opened or its link ended
   * (a dongle not plugged in, a wrong path or command); `not-an-rcp`, it was reached but did
   * not answer as an RCP (other firmware, a wrong baud rate).
   */
  problemKind?: 'unreachable' | 'not-an-rcp';
}
