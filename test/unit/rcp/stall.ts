// What the host tests share: a host that is not scheduled (the event loop held), and
// two connected ends of a Unix socket, whose bytes are in the other end's receive
// buffer when write() returns, as an RCP's answer is in our pipe while we are not running.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Holds the event loop for `ms`, as a host that is not scheduled does. */
export function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* busy */
  }
}

export interface SocketPair {
  writer: Socket;
  reader: Socket;
  close(): void;
}

export async function socketPair(): Promise<SocketPair> {
  const dir = mkdtempSync(join(tmpdir(), 'mb-socket-pair-'));
  const path = join(dir, 's');
  let accept: (s: Socket) => void = () => {};
  const accepted = new Promise<Socket>((resolve) => (accept = resolve));
  const server = createServer((s) => accept(s));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const writer = connect(path);
  await new Promise<void>((resolve) => writer.once('connect', resolve));
  const reader = await accepted;
  return {
    writer,
    reader,
    close() {
      writer.destroy();
      reader.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
