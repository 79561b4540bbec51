// Graceful shutdown: on SIGTERM/SIGINT the server stops accepting, finishes the request in flight,
// closes the store and exits 0.
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import {
  CliProcess,
  createStoreUnderTest,
  killLiveChildren,
  PROCESS_TEST_TIMEOUT,
  sleep,
  tryConnect,
  type StoreUnderTest,
} from './helpers.js';

interface RawResponse {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

/** Collects one HTTP/1.1 response (Content-Length framed) from a socket. */
function readResponse(socket: Socket): Promise<RawResponse> {
  return new Promise((resolveResponse, rejectResponse) => {
    let buffered = Buffer.alloc(0);
    const tryParse = (): RawResponse | undefined => {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine = '', ...headerLines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const h of headerLines) {
        const colon = h.indexOf(':');
        headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? NaN);
      if (!Number.isInteger(length)) return undefined;
      const body = buffered.subarray(end + 4);
      if (body.length < length) return undefined;
      return { statusLine, headers, body: body.subarray(0, length).toString('utf8') };
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const parsed = tryParse();
      if (parsed) {
        socket.off('data', onData);
        resolveResponse(parsed);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => rejectResponse(new Error(`connection closed before a complete response; got ${JSON.stringify(buffered.toString('latin1'))}`)));
    socket.once('error', rejectResponse);
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolveSocket, rejectSocket) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolveSocket(socket));
    socket.once('error', rejectSocket);
  });
}

/** Polls (at most 100 tries, 100 ms apart) until connecting is refused. */
async function waitUntilRefused(port: number): Promise<'refused' | 'connected' | 'reset'> {
  let last: 'refused' | 'connected' | 'reset' = 'connected';
  for (let i = 0; i < 100 && last !== 'refused'; i++) {
    last = await tryConnect(port);
    if (last !== 'refused') await sleep(100);
  }
  return last;
}

describe.each(ENGINES)('graceful shutdown on %s', { timeout: PROCESS_TEST_TIMEOUT }, (engine) => {
  const stores: StoreUnderTest[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await killLiveChildren();
    for (const s of stores.splice(0)) await s.dispose();
  });

  async function startServe(): Promise<{ proc: CliProcess; port: number; s: StoreUnderTest }> {
    const s = await createStoreUnderTest(engine);
    stores.push(s);
    const proc = new CliProcess(['serve', '--port', '0', ...s.args]);
    const url = await proc.listening();
    return { proc, port: Number(new URL(url).port), s };
  }

  /** Sends a POST whose body is half there, and waits until the server has logged the request as begun. */
  async function halfSentRequest(proc: CliProcess, port: number): Promise<{ socket: Socket; response: Promise<RawResponse> }> {
    const socket = await openSocket(port);
    sockets.push(socket);
    const response = readResponse(socket);
    response.catch(() => undefined); // observed below; not an unhandled rejection if the test fails earlier
    socket.write('POST /healthz HTTP/1.1\r\nHost: idcloud.test\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n' + 'a'.repeat(50));
    await proc.waitFor(() => proc.logLines().find((l) => l.msg === 'incoming request' && (l.req as { method?: string } | undefined)?.method === 'POST'), 'the POST to be received');
    return { socket, response };
  }

  it('SIGTERM: refuses new connections, completes the request in flight, then exits 0', async () => {
    const { proc, port, s } = await startServe();
    const { socket, response } = await halfSentRequest(proc, port);

    proc.kill('SIGTERM');
    await proc.waitForLog('shutting down: finishing in-flight requests');
    expect(await waitUntilRefused(port)).toBe('refused');
    expect(proc.exited).toBe(false); // still waiting for our request

    socket.write('b'.repeat(50));
    const res = await response;
    expect(res.statusLine).toMatch(/^HTTP\/1\.1 \d{3} /);
    expect(Buffer.byteLength(res.body)).toBe(Number(res.headers['content-length']));
    // A complete, well-formed answer (POST /healthz has no route: the not-found envelope).
    expect(JSON.parse(res.body)).toMatchObject({ request_id: res.headers['x-request-id'] });
    socket.end();

    const result = await proc.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.signal).toBeNull();
    expect(proc.logLines().some((l) => l.msg === 'stopped')).toBe(true);
    if (engine === 'sqlite') expect(existsSync(`${s.sqliteFile}-wal`), 'store closed cleanly (WAL checkpointed)').toBe(false);
  });

  // Without "Connection: close" on answers given during shutdown, a keep-alive client's connection
  // stays open after its request is done, and the server only exits when --shutdown-timeout
  // (default 10 s) force-closes it.
  it('SIGTERM: the answer to the request in flight says "Connection: close"', async () => {
    const { proc, port } = await startServe();
    const { socket, response } = await halfSentRequest(proc, port);
    proc.kill('SIGTERM');
    await proc.waitForLog('shutting down: finishing in-flight requests');
    socket.write('b'.repeat(50));
    const res = await response;
    expect(res.statusLine).toMatch(/^HTTP\/1\.1 \d{3} /);
    expect(res.headers.connection?.toLowerCase()).toBe('close');
    socket.end();
    expect((await proc.done).code).toBe(0);
  });

  it('SIGINT exits 0 after closing the store', async () => {
    const { proc, port } = await startServe();
    proc.kill('SIGINT');
    const result = await proc.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.signal).toBeNull();
    expect(proc.logLines().find((l) => l.msg === 'shutting down: finishing in-flight requests')?.signal).toBe('SIGINT');
    expect(proc.logLines().some((l) => l.msg === 'stopped')).toBe(true);
    expect(await tryConnect(port)).toBe('refused');
  });
});
