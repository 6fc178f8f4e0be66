// Lab rig files: boards on USB (or host processes on a PTY), each naming how to
// find it, what firmware it runs, how to flash, power and reset it
// (docs/rig-file.md). External tools are described as argument arrays, never
// as shell strings, so a board name or image path cannot inject a command.
import { z } from 'zod';
import { BoardIdSchema, BoundsSchema, DEFAULT_BOUNDS, ConfigValueSchema, MAX_BOARDS, NetworksSchema, RoleSchema, StackKindSchema } from './common.ts';

const id = BoardIdSchema;
const ConfigValue = ConfigValueSchema;

/** Placeholders a command template may use; anything else in braces is a typo. */
export const PLACEHOLDERS = ['{image}', '{port}', '{serial}', '{board}'] as const;
const Argv = z
  .array(z.string().min(1))
  .min(1)
  .refine((a) => a.every((arg) => (arg.match(/\{[^}]*\}/g) ?? []).every((p) => (PLACEHOLDERS as readonly string[]).includes(p))), {
    message: `unknown placeholder; known: ${PLACEHOLDERS.join(' ')}`,
  });

/** Placeholders a host-process board's command, cwd and env may use. */
export const PROCESS_PLACEHOLDERS = ['{runDir}', '{rigDir}', '{board}', '{speed}', '{portOffset}'] as const;
const knownProcessPlaceholders = (text: string) => (text.match(/\{[^}]*\}/g) ?? []).every((p) => (PROCESS_PLACEHOLDERS as readonly string[]).includes(p));
const processPlaceholderMessage = `unknown placeholder; known: ${PROCESS_PLACEHOLDERS.join(' ')}`;
const ProcessText = z.string().refine(knownProcessPlaceholders, { message: processPlaceholderMessage });

/** How the harness finds the board's serial port. */
export const PortSchema = z.discriminatedUnion('kind', [
  /** The USB serial number (iSerial; a DAPLink's is its target id): survives replugs and hub changes. */
  z.object({ kind: z.literal('usb-serial'), serial: z.string().min(4) }).strict(),
  /** A udev by-id link: stable too. */
  z.object({ kind: z.literal('by-id'), path: z.string().regex(/^\/dev\/serial\/by-id\//, 'a path under /dev/serial/by-id/') }).strict(),
  /** A bare device node: accepted with a warning, it can name another board after a replug. */
  z.object({ kind: z.literal('tty'), path: z.string().regex(/^\/dev\//, 'a path under /dev/') }).strict(),
  /**
   * Firmware built for the host (OpenThread simulation CLI, Zephyr native_sim), started on a PTY.
   * `cwd` defaults to the rig file's directory (a relative one is taken from there); `{runDir}`
   * (the run's own directory), `{rigDir}`, `{board}`, `{speed}` (the rig's speed) and
   * `{portOffset}` (an OpenThread simulation PORT_OFFSET of the run's own) are replaced in
   * command, cwd and env.
   */
  z
    .object({
      kind: z.literal('process'),
      command: z.array(ProcessText.pipe(z.string().min(1))).min(1),
      cwd: ProcessText.optional(),
      env: z.record(z.string(), ProcessText).default({}),
    })
    .strict(),
]);

export const FlasherSchema = z.discriminatedUnion('kind', [
  /** `pyocd flash -t <target> -u <probe uid> <image>`; the probe uid defaults to the port's USB serial. */
  z.object({ kind: z.literal('pyocd'), target: z.string().min(1), probe: z.string().optional(), extraArgs: z.array(z.string()).default([]) }).strict(),
  /** DAPLink drag-and-drop: copy to the mass-storage mount, wait for the remount, check FAIL.TXT. */
  z
    .object({
      kind: z.literal('daplink'),
      mount: z.string().min(1),
      /** Wall seconds to wait for the drive to come back after the copy. */
      remountTimeoutS: z.number().positive().default(30),
      /** Copies tried before giving up (htrun's --retry-copy default). */
      retries: z.number().int().min(1).max(10).default(3),
    })
    .strict(),
  z.object({ kind: z.literal('command'), argv: Argv, timeoutS: z.number().positive().default(120) }).strict(),
  z.object({ kind: z.literal('none') }).strict(),
]);

export const PowerSchema = z.discriminatedUnion('kind', [
  /** A per-port-power-switching USB hub: `uhubctl -l <hub> -p <port> -a off|on`. */
  z.object({ kind: z.literal('uhubctl'), hub: z.string().regex(/^\d+(-\d+(\.\d+)*)?$/, 'a hub location such as 1-1 or 2-1.4'), port: z.number().int().min(1).max(32) }).strict(),
  /** A relay or PDU driven by a command of our own. */
  z.object({ kind: z.literal('command'), on: Argv, off: Argv }).strict(),
  z.object({ kind: z.literal('none') }).strict(),
]);

export const ResetMethodSchema = z.enum(['break', 'flasher', 'power']);
export const FirmwareKindSchema = z.enum(['meshbench-agent', 'openthread-cli']);

export const LabBoardSchema = z
  .object({
    id,
    stack: StackKindSchema,
    /** Roles this board may take; the first is the one it takes when a suite does not say. */
    roles: z.array(RoleSchema).min(1),
    firmware: FirmwareKindSchema,
    /** A version the board must report (identify / `version`); checked after flashing and at bring-up. */
    version: z.string().optional(),
    port: PortSchema,
    baudRate: z.number().int().positive().default(115200),
    flasher: FlasherSchema.default({ kind: 'none' }),
    power: PowerSchema.default({ kind: 'none' }),
    /** Defaults: `power` for a process board, `break` otherwise. */
    reset: ResetMethodSchema.optional(),
    /** Free-form features suites may require (`border-router-uplink`, `attenuator`, ...). */
    capabilities: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/)).default([]),
    /** mbed-mesh-api keys (without the prefix) that override the network's config for this board. */
    config: z.record(z.string(), ConfigValue).default({}),
  })
  .strict();

export const LabRigSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('lab'),
    description: z.string().optional(),
    networks: NetworksSchema.default({}),
    bounds: BoundsSchema.default(DEFAULT_BOUNDS),
    /** Seeds the harness's own choices (payloads, orders); the radio itself is real. */
    seed: z.number().int().nonnegative().default(1),
    /**
     * Bench seconds per wall second. 1 for real boards; a rig of host-process
     * boards that run faster than real time (ot-cli-ftd --time-speed=N) says N,
     * so suites' bounds and waits are in the boards' time.
     */
    speed: z.number().positive().max(1000).default(1),
    /** Where board locks live; one directory per runner, shared by every run on it. */
    lockDir: z.string().optional(),
    /** Wall seconds a board gets to answer (identify / `version`) before it is reset. */
    answerTimeoutS: z.number().positive().default(5),
    /** Wall seconds a case may run before it is stopped as an error (default 300; `run --case-timeout` overrides). */
    caseTimeoutS: z.number().positive().optional(),
    boards: z.array(LabBoardSchema).min(1).max(MAX_BOARDS, `at most ${MAX_BOARDS} boards`),
    /**
     * An RCP in promiscuous mode on the network's channel (docs/rcp.md): every case then gets
     * a capture.pcap of what it heard, as simulated runs do. `radio` is `meshbench board
     * --radio`'s words (`usb:SERIAL`, a device path, or `spawn:ot-rcp`, NODE_ID); cwd and env
     * take the process boards' placeholders.
     */
    sniffer: z
      .object({
        radio: z.array(ProcessText.pipe(z.string().min(1))).min(1),
        channel: z.number().int().min(11).max(26),
        cwd: ProcessText.optional(),
        env: z.record(z.string(), ProcessText).default({}),
      })
      .strict()
      .optional(),
  })
  .strict();

export type LabRig = z.infer<typeof LabRigSchema>;
export type LabBoard = z.infer<typeof LabBoardSchema>;
export type PortSpec = z.infer<typeof PortSchema>;
export type FlasherSpec = z.infer<typeof FlasherSchema>;
export type PowerSpec = z.infer<typeof PowerSchema>;
export type ResetMethod = z.infer<typeof ResetMethodSchema>;
export type FirmwareKind = z.infer<typeof FirmwareKindSchema>;

/** The reset method in effect for a board (the schema leaves it optional). */
export function resetMethodOf(b: LabBoard): ResetMethod {
  return b.reset ?? (b.port.kind === 'process' ? 'power' : 'break');
}

/** Rules a schema cannot say on its own; warnings do not stop a run. */
export function checkLabRig(rig: LabRig): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const ids = new Set<string>();
  const serials = new Map<string, string>();
  rig.boards.forEach((b, i) => {
    const at = `boards[${i}]`;
    if (ids.has(b.id)) problems.push(`${at}.id: duplicate board id '${b.id}'`);
    ids.add(b.id);
    const key = b.port.kind === 'usb-serial' ? b.port.serial : b.port.kind === 'process' ? undefined : b.port.path;
    if (key !== undefined) {
      const other = serials.get(key);
      if (other) problems.push(`${at}.port: '${key}' is also board '${other}'`);
      serials.set(key, b.id);
    }
    if (b.port.kind === 'tty') warnings.push(`${at}.port: ${b.port.path} is a bare device node; after a replug it can name another board (use kind: usb-serial or by-id)`);
    const reset = resetMethodOf(b);
    if (reset === 'flasher' && b.flasher.kind !== 'pyocd') problems.push(`${at}.reset: 'flasher' needs flasher.kind pyocd (it is '${b.flasher.kind}')`);
    if (reset === 'power' && b.power.kind === 'none' && b.port.kind !== 'process') problems.push(`${at}.reset: 'power' needs a power control (power.kind is 'none')`);
    if (reset === 'break' && b.port.kind === 'process') problems.push(`${at}.reset: a process board has no serial break; use 'power'`);
    if (b.port.kind === 'process' && b.power.kind !== 'none') problems.push(`${at}.power: a process board's power is its process; leave power out`);
    if (b.flasher.kind === 'pyocd' && !b.flasher.probe && b.port.kind !== 'usb-serial') {
      problems.push(`${at}.flasher.probe: required unless port.kind is usb-serial (the probe uid defaults to the USB serial)`);
    }
    if (rig.speed !== 1 && b.port.kind !== 'process') problems.push(`speed: ${rig.speed} needs every board to be a host process (boards[${i}] '${b.id}' is a ${b.port.kind} port, which runs in real time)`);
    if (!rig.networks[b.stack]) problems.push(`networks.${b.stack}: board '${b.id}' uses stack '${b.stack}' but the rig names no network config for it`);
  });
  return { problems, warnings };
}
