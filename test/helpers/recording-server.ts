// A PBX's recording server on loopback: serves files by path, optionally only with credentials,
// answers scripted statuses first (a file not written yet: 404, a busy server: 503), and records
// what it was asked — so a test sees callhook fetch, retry, and sign in where it should.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  /** Serves `bytes` at `path`; `before` are statuses answered first, one per request. */
  serve(path: string, bytes: Buffer, options?: { before?: number[]; contentType?: string }): void;
  /** Requests must carry this Authorization header (401 otherwise). */
  requireAuthorization(value: string | null): void;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const files = new Map<string, { bytes: Buffer; before: number[]; contentType: string }>();
  const requests: RecordingServer['requests'] = [];
  let authorization: string | null = null;
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]!;
    requests.push({ path, headers: request.headers });
    if (authorization !== null && request.headers.authorization !== authorization) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="recordings"' }).end('sign in');
      return;
    }
    const file = files.get(path);
    if (!file) {
      response.writeHead(404).end('no such recording');
      return;
    }
    const status = file.before.shift();
    if (status !== undefined) {
      response.writeHead(status).end(`status ${status}`);
      return;
    }
    response.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.bytes.length) }).end(file.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    serve(path, bytes, options = {}) {
      files.set(path, { bytes, before: [...(options.before ?? [])], contentType: options.contentType ?? 'application/octet-stream' });
    },
    requireAuthorization(value) {
      authorization = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
