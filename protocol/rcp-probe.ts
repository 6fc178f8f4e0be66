// What `meshbench board --probe` prints (one JSON line) and `doctor` reads: whether a
// rig's RCP answered Spinel, and what it is.

export interface RcpProbeResult {
  ok: boolean;
  /** The link it answered on. */
  link: string;
  ncpVersion?: string;
  protocol?: string;
  caps?: number[];
  radioCaps?: string[];
  eui64?: string;
  channel?: number;
  problem?: string;
}
