// The ceiling: plain undici POSTs of a typical ~600-byte webhook body to the same receiver, with
// the connection cap and in-flight count callhook uses per origin (32 / 32 by default).
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface RawResult {
  posts: number;
  seconds: number;
  postsPerS: number;
  failures: number;
}

/** A body shaped like a standard-format `call.answered` delivery, padded to ~600 bytes. */
export function typicalBody(n: number): string {
  return JSON.stringify({
    type: 'call.answered',
    id: `evt_raw${String(n).padStart(20, '0')}`,
    timestamp: new Date().toISOString(),
    data: {
      callId: `raw-${n}`, direction: 'inbound', from: '+31201234567', to: '500', fromE164: '+31201234567', toE164: '500',
      user: { id: 'u-500', extension: '500', email: 'anna@bench.example', name: 'Anna' },
      startedAt: new Date().toISOString(), answeredAt: new Date().toISOString(),
      answeredBy: { id: 'u-500', extension: '500', email: 'anna@bench.example', name: 'Anna' },
      choice: null, endedAt: null, outcome: null, sipCode: null, talkTimeS: 0, recordingUrl: null, insights: null,
      subject: null, description: null,
      connection: { id: 'conn_01JBENCHBENCHBENCHBENCHBENC', name: 'PBX' },
      organization: { id: 'org_01JBENCHBENCHBENCHBENCHBENC', domain: 'bench.example' },
    },
  });
}

export async function measureRaw(url: string, options: { count: number; connections: number; concurrency: number }): Promise<RawResult> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: options.connections, keepAliveTimeout: 4_000 });
  const body = typicalBody(0);
  let failures = 0;
  const post = async (n: number) => {
    const timestampS = String(Math.floor(Date.now() / 1_000));
    try {
      const response = await pool.request({
        path: target.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'callhook-bench-raw',
          'webhook-id': `raw_${n}`,
          'webhook-timestamp': timestampS,
          'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
        },
        body,
      });
      await response.body.text();
      if (response.statusCode !== 200) failures++;
    } catch {
      failures++;
    }
  };
  const run = async (from: number, count: number) => {
    let next = from;
    const end = from + count;
    const worker = async () => {
      while (next < end) await post(next++);
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  };
  try {
    await run(-Math.min(1_000, Math.ceil(options.count / 10)) - 1, Math.min(1_000, Math.ceil(options.count / 10))); // warm-up
    failures = 0;
    const started = performance.now();
    await run(0, options.count);
    const seconds = (performance.now() - started) / 1_000;
    return { posts: options.count, seconds, postsPerS: options.count / seconds, failures };
  } finally {
    await pool.close();
  }
}
