import net from 'node:net';

/** A port nothing listens on right now (the OS picked it and it was released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface RawExchange {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `raw` on a new connection exactly as given (no client library to fix it up) and reads
 * one response with a Content-Length. Resolves when the server closes the connection, so a
 * request that keeps it open must say `Connection: close`; a server that refuses a request
 * without reading it must close on its own, or this never resolves.
 */
export function rawExchange(port: number, raw: string | Buffer): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(raw));
    let received = Buffer.alloc(0);
    let answer: RawExchange | undefined;
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      answer ??= parseResponse(received);
    });
    // A server that stops reading may reset the connection while the client still writes; the answer counts.
    socket.on('error', (error) => (answer ? undefined : reject(error)));
    socket.on('close', () => (answer ? resolve(answer) : reject(new Error(`no complete response: ${received}`))));
  });
}

function parseResponse(received: Buffer): RawExchange | undefined {
  const headEnd = received.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...lines] = received.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  const body = received.subarray(headEnd + 4);
  if (body.length < Number(headers['content-length'] ?? 0)) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}
