// OpenThread's own binaries for the simulation platform (built as the
// reference's README says), which tests run as real third-party firmware.
// They live beside the repository (../shared/openthread/bin) or where
// MESHBENCH_OT_BIN_DIR says. A test that needs one skips, saying why, where it
// is missing; in CI (CI=true or MESHBENCH_REQUIRE_TOOLS=1) it fails instead.
import { accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function otBinDir(): string {
  return process.env.MESHBENCH_OT_BIN_DIR ?? join(REPO, '..', 'shared', 'openthread', 'bin');
}

const required = () => process.env.CI === 'true' || process.env.MESHBENCH_REQUIRE_TOOLS === '1';

/** The path of OpenThread binary `name` (e.g. ot-cli-ftd-vt), or the caller is skipped (failed in CI). */
export function otBinaryOrSkip(ctx: Mocha.Context, name: string): string {
  const path = join(otBinDir(), name);
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    const why = `${name} is not at ${path} (set MESHBENCH_OT_BIN_DIR)`;
    if (required()) throw new Error(why);
    console.warn(`    skipping: ${why}`);
    ctx.skip();
  }
}
