// External tools the tests check our output with (tshark decoding a capture,
// xmllint validating a report). A tool missing on a fresh machine is installed
// from Debian's packages on first use, once per test process, whichever test
// asks first; where it cannot be installed the test skips and says why.
import { ensureDebianTool, type EnsureResult } from '../../scripts/ensure-tool.ts';

const installs = new Map<string, Promise<EnsureResult>>();

/** Installs `binary` (Debian package `pkg`) if it can, once; the path or the reason it cannot. */
export function ensureTool(binary: string, pkg: string): Promise<EnsureResult> {
  let install = installs.get(binary);
  if (!install) {
    install = ensureDebianTool(binary, pkg);
    installs.set(binary, install);
  }
  return install;
}

/**
 * The path of `binary`, for a `before` hook or a test: installs it first where
 * needed (allowing the hook the minutes an apt install takes), or skips the
 * caller with the reason printed.
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
