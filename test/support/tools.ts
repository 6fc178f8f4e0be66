// External tools the tests check our output with (tshark decoding a capture,
// xmllint validating a report). A tool missing on a fresh machine is installed
// from Debian's packages on first use, once per test process, whichever test
// asks first. Where it cannot be installed a test skips and says why, except in
// CI (CI=true, or MESHBENCH_REQUIRE_TOOLS=1 as .ci/run sets it): there a missing
// tool fails the test, so an outside check can never vanish silently.
import { ensureDebianTool, type EnsureResult } from '../../scripts/ensure-tool.ts';

const installs = new Map<string, Promise<EnsureResult>>();

/** True where a missing outside tool must fail, not skip: CI=true or MESHBENCH_REQUIRE_TOOLS=1. */
export function toolsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MESHBENCH_REQUIRE_TOOLS === '1' || env.CI === 'true';
}

/** Thrown where a tool is required and cannot be had. */
export class MissingToolError extends Error {
  constructor(binary: string, reason: string) {
    super(`${binary} is required here (CI=true or MESHBENCH_REQUIRE_TOOLS=1) and missing: ${reason}`);
    this.name = 'MissingToolError';
  }
}

/**
 * Installs `binary` (Debian package `pkg`) if it can, once; the path or the
 * reason it cannot. Where tools are required, a tool that cannot be had
 * rejects with a MissingToolError instead, failing whichever test asked.
 */
export async function ensureTool(binary: string, pkg: string): Promise<EnsureResult> {
  let install = installs.get(binary);
  if (!install) {
    install = ensureDebianTool(binary, pkg);
    installs.set(binary, install);
  }
  const tool = await install;
  if (!tool.ok && toolsRequired()) throw new MissingToolError(binary, tool.reason);
  return tool;
}

/**
 * The path of `binary`, for a `before` hook or a test: installs it first where
 * needed (allowing the hook the minutes an apt install takes). Where it cannot
 * be had, skips the caller with the reason printed, or fails it where tools are
 * required.
 */
export async function toolOrSkip(ctx: Mocha.Context, binary: string, pkg: string): Promise<string> {
  ctx.timeout(Math.max(ctx.timeout(), 300_000));
  const tool = await ensureTool(binary, pkg);
  if (!tool.ok) {
    console.warn(`    skipping: ${tool.reason}`);
    ctx.skip();
  }
  return tool.path;
}

/** tshark, the decoder every capture check trusts. */
export const tsharkOrSkip = (ctx: Mocha.Context): Promise<string> => toolOrSkip(ctx, 'tshark', 'tshark');
