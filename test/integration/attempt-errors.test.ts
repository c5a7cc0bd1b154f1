// Every line of the attempt-error catalogue, produced by a real loopback server misbehaving that
// way (or, for the target guard and DNS, a real DNS server on loopback): the sender's report is
// the catalogue's plain line — one line, no library file paths — and whether an answer had begun.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPT_ERRORS, type AttemptErrorKind } from '../../src/delivery/attempt-errors.ts';
import { type Sender, type SendResult, createHttpSender } from '../../src/delivery/sender.ts';
import { type DnsServer, startDnsServer } from '../helpers/dns-server.ts';

const TIMEOUT_MS = 600;
const tls = (name: string): ServerOptions => ({ key: readFileSync(new URL(`../fixtures/tls/${name}.key`, import.meta.url)), cert: readFileSync(new URL(`../fixtures/tls/${name}.pem`, import.meta.url)) });
const TEST_CA = readFileSync(new URL('../fixtures/tls/ca.pem', import.meta.url), 'utf8');

/** Kinds no loopback server can produce, and why. */
const NOT_ON_LOOPBACK: Partial<Record<AttemptErrorKind, string>> = {
  unreachable: 'needs a network without a route (ENETUNREACH); loopback always has one',
  other: 'the catch-all for errors no other line describes',
};

interface Case {
  kind: AttemptErrorKind;
  what: string;
  /** Starts the misbehaving server; returns the URL to send to. */
  url: () => Promise<string>;
  sender?: 'strict' | 'untrusting';
  /** The answer had begun: status recorded, the error is about its body. */
  status?: number;
}

const servers: Array<Server | HttpServer> = [];
const sockets = new Set<Socket>();
async function listen(server: Server | HttpServer): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => (sockets.add(socket), socket.on('close', () => sockets.delete(socket))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
/** A TCP server that does `onData` with each connection's first bytes. */
const tcp = async (onData: (socket: Socket) => void) => listen(createTcpServer((socket) => socket.once('data', () => onData(socket))));
const https = async (name: string, extra: ServerOptions = {}) => listen(createHttpsServer({ ...tls(name), ...extra }, (_q, r) => r.end('ok')));

let dns: DnsServer;
/** Where the loopback name points: it must never see a connection. */
const guarded = { port: 0, connections: 0 };

const cases: Case[] = [
  { kind: 'connect-timeout', what: 'a TLS handshake that never gets an answer', url: async () => `https://127.0.0.1:${await tcp(() => undefined)}/hook` },
  { kind: 'response-timeout', what: 'a receiver that never answers', url: async () => `http://127.0.0.1:${await listen(createHttpServer(() => undefined))}/hook` },
  {
    kind: 'body-timeout', what: 'a 200 whose body never finishes', status: 200,
    url: async () => `http://127.0.0.1:${await listen(createHttpServer((_q, r) => (r.writeHead(200, { 'content-length': '100' }), r.write('the start'))))}/hook`,
  },
  {
    kind: 'refused', what: 'a port nothing listens on',
    url: async () => {
      const server = createTcpServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      await new Promise((resolve) => server.close(resolve));
      return `http://127.0.0.1:${port}/hook`;
    },
  },
  { kind: 'reset', what: 'a connection reset (RST) before an answer', url: async () => `http://127.0.0.1:${await tcp((s) => s.resetAndDestroy())}/hook` },
  { kind: 'closed', what: 'a connection closed (FIN) before an answer', url: async () => `http://127.0.0.1:${await tcp((s) => s.destroy())}/hook` },
  {
    kind: 'body-cut', what: 'a connection closed in the middle of the body', status: 200,
    url: async () => `http://127.0.0.1:${await tcp((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nthe start', () => setTimeout(() => s.destroy(), 20)))}/hook`,
  },
  { kind: 'not-http', what: 'something that is not HTTP', url: async () => `http://127.0.0.1:${await tcp((s) => s.end('SSH-2.0-OpenSSH_9.6\r\n'))}/hook` },
  { kind: 'tls-not-tls', what: 'TLS to a plain HTTP server', url: async () => `https://127.0.0.1:${await listen(createHttpServer((_q, r) => r.end('ok')))}/hook` },
  { kind: 'tls-not-tls', what: 'TLS to a TCP server that hangs up', url: async () => `https://127.0.0.1:${await tcp((s) => s.destroy())}/hook` },
  { kind: 'tls-untrusted', what: 'a self-signed certificate', url: async () => `https://127.0.0.1:${await https('self-signed')}/hook` },
  { kind: 'tls-untrusted', what: 'a certificate from an authority the client does not trust', sender: 'untrusting', url: async () => `https://127.0.0.1:${await https('receiver')}/hook` },
  { kind: 'tls-expired', what: 'an expired certificate', url: async () => `https://127.0.0.1:${await https('expired')}/hook` },
  { kind: 'tls-not-yet-valid', what: 'a certificate not valid yet', url: async () => `https://127.0.0.1:${await https('not-yet-valid')}/hook` },
  { kind: 'tls-wrong-host', what: 'a certificate for another host name', url: async () => `https://127.0.0.1:${await https('other-host')}/hook` },
  {
    kind: 'tls-old-version', what: 'a receiver that speaks only TLS 1.0 and 1.1',
    url: async () => `https://127.0.0.1:${await https('receiver', { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })}/hook`,
  },
  {
    kind: 'tls-other', what: 'a TLS 1.2 receiver that wants a client certificate',
    url: async () => `https://127.0.0.1:${await https('receiver', { maxVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: true })}/hook`,
  },
  { kind: 'host-not-found', what: 'a name DNS does not know', sender: 'strict', url: async () => 'https://nowhere.callhook.test/hook' },
  { kind: 'dns-failed', what: 'a name the DNS server fails to look up', sender: 'strict', url: async () => 'https://broken.callhook.test/hook' },
  { kind: 'target-blocked', what: 'a public-looking name that resolves to loopback', sender: 'strict', url: async () => `https://inside.callhook.test:${guarded.port}/hook` },
];

describe('the attempt-error catalogue, against misbehaving receivers', () => {
  let open: Sender;
  let strict: Sender;
  let untrusting: Sender;

  beforeAll(async () => {
    dns = await startDnsServer({ 'inside.callhook.test': ['127.0.0.1'], 'broken.callhook.test': 'SERVFAIL' });
    guarded.port = await listen(createTcpServer((socket) => (guarded.connections++, socket.destroy())));
    open = createHttpSender({ policy: { allowPrivate: true }, responseBodyCapBytes: 1_024, maxTimeoutMs: 20_000, trustedCa: [TEST_CA] });
    strict = createHttpSender({ policy: { allowPrivate: false }, responseBodyCapBytes: 1_024, maxTimeoutMs: 20_000, trustedCa: [TEST_CA], resolve: dns.resolve });
    untrusting = createHttpSender({ policy: { allowPrivate: true }, responseBodyCapBytes: 1_024, maxTimeoutMs: 20_000 });
  });
  afterAll(async () => {
    await Promise.all([open, strict, untrusting].map((sender) => sender.close()));
    for (const socket of sockets) socket.destroy();
    for (const server of servers) server.close();
    await dns.close();
  });

  it('has a misbehaving receiver for every line, but those loopback cannot produce', () => {
    const covered = new Set([...cases.map((c) => c.kind), ...Object.keys(NOT_ON_LOOPBACK)]);
    expect([...covered].sort()).toEqual(Object.keys(ATTEMPT_ERRORS).sort());
  });

  it.each(cases)('$kind: $what', async ({ kind, url, sender, status }) => {
    const target = await url();
    const via = sender === 'strict' ? strict : sender === 'untrusting' ? untrusting : open;
    const result: SendResult = await via.send({ url: target, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: TIMEOUT_MS });
    // The catalogue's line, with any error code it quotes (`ESERVFAIL`, `ERR_SSL_…`) left open.
    const line = ATTEMPT_ERRORS[kind]({ timeoutMs: TIMEOUT_MS, host: new URL(target).hostname, code: '\u0000' });
    const [head, tail = ''] = line.split('\u0000');
    // The line as given, where a quoted code is one upper-case word (ERR_SSL_…, ESERVFAIL).
    const matches = (text: string) =>
      line.includes('\u0000')
        ? text.startsWith(head!) && text.endsWith(tail) && /^[A-Z][A-Z0-9_/]+$/.test(text.slice(head!.length, text.length - tail.length))
        : text === line;
    const said = status ? (result as { bodyError?: string }).bodyError : (result as { error?: string }).error;
    if (status) expect(result).toMatchObject({ kind: 'response', status, body: 'the start' });
    else expect(result).toMatchObject({ kind: 'error' });
    expect(said !== undefined && matches(said), `"${said}" is the catalogue's line "${line.replace('\u0000', '<CODE>')}"`).toBe(true);
    if (!status) expect(said).not.toMatch(/\n|\.c:\d|deps\/|openssl\//i);
    expect(result.durationMs).toBeLessThan(TIMEOUT_MS + 1_000);
    if (kind === 'target-blocked') expect(guarded.connections, 'the guard refuses before connecting').toBe(0);
  });
});
