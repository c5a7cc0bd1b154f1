// Recordings in tests: push a file as a phone system does, and follow callhook's links on the
// test service (links name CALLHOOK_PUBLIC_URL; a test service listens on a port of its own).
import type { TestService } from './service.ts';

export async function pushRecording(t: TestService, ingestToken: string, callId: string, body: Uint8Array | string, contentType = 'audio/wav'): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${t.url}/v1/ingest/calls/${encodeURIComponent(callId)}/recording`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ingestToken}`, 'content-type': contentType },
    // A copy on its own ArrayBuffer: what every lib's BodyInit takes (DOM's too, for the portal's tests).
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await response.text();
  return { status: response.status, body: text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text, headers: response.headers };
}

/** A link callhook made, pointed at the test service. */
export function local(t: TestService, link: string): string {
  const url = new URL(link);
  return `${t.url}${url.pathname}${url.search}`;
}

/** GETs (or HEADs) a URL; the body as bytes. */
export async function getBytes(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** A started inbound call (ingest API). */
export async function startCall(t: TestService, ingestToken: string, callId: string, at = t.clock.now()): Promise<void> {
  const response = await fetch(`${t.url}/v1/ingest/calls`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'started', callId, direction: 'inbound', from: '+31612345678', to: '500', user: '500', at }),
  });
  if (response.status !== 202) throw new Error(`started: ${response.status} ${await response.text()}`);
}
