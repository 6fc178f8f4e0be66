// An OpenThread simulation node draws its entropy from /dev/urandom (its
// platform's otPlatEntropyGet: one open, buffered reads), which seeds its
// random stream: MLE jitter, trickle intervals, backoffs, keys. With the host's
// urandom no two runs of a seed are alike. So each node runs in a mount
// namespace of its own (an unprivileged user namespace) where /dev/urandom is a
// file of bytes drawn from the bench's seed: the same seed, the same node.
import { execFileSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rng } from '../../stack/runtime.ts';

/** Bytes a node may draw before its urandom runs dry (it reads 4 KiB at boot and seeds a DRBG from them). */
const ENTROPY_BYTES = 1 << 20;

/**
 * The shell step that binds the file over /dev/urandom and then becomes the node. The file,
 * program and arguments reach it as positional parameters ($0, $@): the shell runs only
 * this fixed text and never parses a path or anything else from the rig.
 */
const BIND_AND_EXEC = 'mount --bind "$0" /dev/urandom && exec "$@"';

/** The command that starts `program args` with `entropyFile` as its /dev/urandom. */
export function withSeededUrandom(entropyFile: string, program: string, args: string[]): { command: string; args: string[] } {
  return { command: 'unshare', args: ['--user', '--map-root-user', '--mount', '--', 'sh', '-c', BIND_AND_EXEC, entropyFile, program, ...args] };
}

/** Writes a boot's entropy: an AES-128-CTR keystream under a key drawn from `rng`. */
export function writeSeededEntropy(path: string, rng: Rng): void {
  const key = Buffer.alloc(16);
  for (let i = 0; i < 16; i += 4) key.writeUInt32BE(rng.int(2 ** 32), i);
  const stream = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(ENTROPY_BYTES));
  writeFileSync(path, stream);
}

/**
 * Whether this host lets an unprivileged process bind a file over /dev/urandom in a
 * namespace of its own (some containers forbid user namespaces). Why not, when not.
 */
export function seededUrandomAvailable(): { ok: true } | { ok: false; why: string } {
  const dir = mkdtempSync(join(tmpdir(), 'meshbench-entropy-'));
  try {
    const file = join(dir, 'probe');
    writeFileSync(file, 'meshbench');
    const { command, args } = withSeededUrandom(file, 'head', ['-c', '9', '/dev/urandom']);
    const out = execFileSync(command, args, { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
    return out === 'meshbench' ? { ok: true } : { ok: false, why: 'the bound file did not replace /dev/urandom' };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { ok: false, why: (err.stderr || err.message).trim().split('\n')[0] ?? 'unshare failed' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
