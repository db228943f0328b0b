import type { IncomingMessage } from 'node:http';

/** A body longer than the reader's limit, declared or streamed; the request is not read further. */
export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`The request body exceeds ${limitBytes} bytes.`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The whole body of a request, as every local server (the host, its control routes, the emulators)
 * reads it. With a limit, a declared `Content-Length` over it fails at once, before any byte is read,
 * and a chunked body fails as soon as it passes the limit, so memory stays bounded either way.
 */
export function readRequestBody(req: IncomingMessage, limitBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes) return Promise.reject(new BodyTooLargeError(limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limitBytes) {
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
