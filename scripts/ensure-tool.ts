// Makes sure an external tool a test depends on (tshark, for one) is present,
// installing its Debian package when we are allowed to: root, with apt-get.
// Where it cannot be installed, the caller gets the reason, so a test can skip
// with a message instead of failing on a machine without the tool.
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';

export type EnsureResult = { ok: true; path: string } | { ok: false; reason: string };

/** The first executable named `binary` on PATH, like `command -v`. */
export async function findOnPath(binary: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = join(dir, binary);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };

async function aptInstall(aptGet: string, pkg: string): Promise<{ ok: boolean; output: string }> {
  const r = await execa(aptGet, ['install', '-y', '--no-install-recommends', pkg], {
    env: APT_ENV,
    reject: false,
    all: true,
  });
  return { ok: r.exitCode === 0, output: String(r.all ?? '') };
}

/** Last lines of a tool's output, enough to say why it failed. */
function tail(text: string, lines = 3): string {
  return text.trim().split('\n').slice(-lines).join(' | ');
}

/**
 * Returns the path of `binary`, installing Debian package `pkg` first if it is
 * missing and we are root with apt-get. A failed install is retried once after
 * `apt-get update` (a fresh container has no package lists).
 */
export async function ensureDebianTool(binary: string, pkg: string): Promise<EnsureResult> {
  const found = await findOnPath(binary);
  if (found) return { ok: true, path: found };

  const aptGet = await findOnPath('apt-get');
  if (!aptGet) return { ok: false, reason: `${binary} is not installed and there is no apt-get to install ${pkg}` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { ok: false, reason: `${binary} is not installed; install it with: sudo apt-get install ${pkg}` };
  }

  let install = await aptInstall(aptGet, pkg);
  if (!install.ok) {
    const update = await execa(aptGet, ['update'], { env: APT_ENV, reject: false, all: true });
    if (update.exitCode !== 0) {
      return { ok: false, reason: `apt-get update failed: ${tail(String(update.all ?? ''))}` };
    }
    install = await aptInstall(aptGet, pkg);
  }
  if (!install.ok) return { ok: false, reason: `apt-get install ${pkg} failed: ${tail(install.output)}` };

  const path = await findOnPath(binary);
  if (!path) return { ok: false, reason: `installed ${pkg} but ${binary} is still not on PATH` };
  return { ok: true, path };
}

// `tsx scripts/ensure-tool.ts <binary> <package>` installs a tool by hand.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [binary, pkg] = process.argv.slice(2);
  if (!binary || !pkg) {
    console.error('usage: tsx scripts/ensure-tool.ts <binary> <debian package>');
    process.exit(2);
  }
  const r = await ensureDebianTool(binary, pkg);
  if (r.ok) console.log(r.path);
  else {
    console.error(r.reason);
    process.exit(3);
  }
}
