// The part every benchmark server child shares, so the baseline and idcloud run as the same kind of
// process: start listening, send one `ready` (or `failed`) message to the parent over IPC, and exit
// on SIGTERM/SIGINT or as soon as the parent goes away (its IPC channel closes).
import type { AddressInfo } from 'node:net';
import type { ChildMessage } from '../protocol.js';

export interface StartedServer {
  ready: Extract<ChildMessage, { type: 'ready' }>;
  close(): Promise<void>;
}

/** How long a child may take to close before it exits anyway. */
const CLOSE_TIMEOUT_MS = 5_000;

export function portOf(address: string | AddressInfo | null): number {
  if (typeof address === 'object' && address !== null) return address.port;
  throw new Error(`server is not listening on a TCP port (address: ${String(address)})`);
}

export function serveChild(start: () => Promise<StartedServer>): void {
  const send = process.send?.bind(process);
  if (send === undefined) {
    process.stderr.write('this is a benchmark server child: `npm run bench` starts it (it needs an IPC channel)\n');
    process.exit(2);
  }

  let started: StartedServer | undefined;
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(code), CLOSE_TIMEOUT_MS).unref();
    const closing = started ? started.close() : Promise.resolve();
    closing.then(
      () => process.exit(code),
      (err: unknown) => {
        process.stderr.write(`error while closing: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  process.on('disconnect', () => stop(0));

  start().then(
    (server) => {
      started = server;
      if (stopping) {
        void server.close();
        return;
      }
      send(server.ready);
    },
    (err: unknown) => {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      const failed: ChildMessage = { type: 'failed', message };
      send(failed, () => process.exit(1));
    },
  );
}
