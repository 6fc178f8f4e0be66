// A transport that copies every byte both ways into the board's serial log,
// whichever client speaks over it (agent or OpenThread CLI) and however often
// the controls reopen the port.
import type { Transport } from '../board/transport.ts';
import type { SerialLog } from '../log/logger.ts';

export class TappedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly log: SerialLog,
  ) {
    inner.onData((bytes) => log.bytes(bytes, 'rx'));
    inner.onClose((why) => log.note(`port closed (${why})`));
  }
  get path(): string {
    return this.inner.path;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  get closedWhy(): string | undefined {
    return this.inner.closedWhy;
  }
  async open(): Promise<void> {
    await this.inner.open();
    this.log.note(`opened ${this.inner.path}`);
  }
  write(data: string | Uint8Array): Promise<void> {
    this.log.bytes(typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'latin1')) : data, 'tx');
    return this.inner.write(data);
  }
  onData(cb: (bytes: Uint8Array) => void): void {
    this.inner.onData(cb);
  }
  onClose(cb: (why: string) => void): void {
    this.inner.onClose(cb);
  }
  sendBreak(ms: number): Promise<void> {
    this.log.note(`serial break ${ms} ms`);
    return this.inner.sendBreak(ms);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The OpenThread CLI's secrets, redacted by their shape (kept here for the serial log's users). */
export { redactOtSecrets } from '../board/drivers/ot-secrets.ts';
