// Posting to the ingest API for `callhook simulate`: at most `concurrency` requests in flight over
// one keep-alive pool, and every failure turned into a one-line message (problem+json `detail`).
import { request, type Agent } from 'undici';
import { VERSION } from '../version.ts';

/** `warnings`: what the ingest answer warned about (`field: detail`), e.g. a call Rinkel webhooks will not get. */
export type PostResult = { ok: true; warnings: string[] } | { ok: false; message: string };
/** A JSON body to the ingest API, or a call's recording file (PUT …/{callId}/recording). */
export type Post = (body: unknown, recording?: { callId: string; file: Buffer }) => Promise<PostResult>;

export interface PosterOptions {
  url: string;
  /** The connection's ingest token. */
  token: string;
  concurrency: number;
  agent: Agent;
}

export function createPoster(options: PosterOptions): Post {
  const limit = createLimiter(options.concurrency);
  const headers = {
    authorization: `Bearer ${options.token}`,
    'content-type': 'application/json',
    'user-agent': `callhook-simulate/${VERSION}`,
  };
  return (body, recording) =>
    limit(async () => {
      try {
        const response = recording
          ? await request(`${options.url}/${encodeURIComponent(recording.callId)}/recording`, { method: 'PUT', headers: { ...headers, 'content-type': 'audio/wav' }, body: recording.file, dispatcher: options.agent })
          : await request(options.url, { method: 'POST', headers, body: JSON.stringify(body), dispatcher: options.agent });
        if (response.statusCode >= 200 && response.statusCode < 300) {
          return { ok: true, warnings: warningsOf(await response.body.text()) };
        }
        return { ok: false, message: `HTTP ${response.statusCode}: ${problemDetail(await response.body.text())}` };
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        return { ok: false, message: `${(error as Error).message}${cause ? ` (${cause})` : ''}` };
      }
    });
}

function warningsOf(text: string): string[] {
  try {
    const answer = JSON.parse(text) as { results?: Array<{ warnings?: Array<{ field: string; detail: string }> }> };
    return (answer.results ?? []).flatMap((r) => (r.warnings ?? []).map((w) => `${w.field}: ${w.detail}`));
  } catch {
    return [];
  }
}

/** The problem+json `detail`, or the start of whatever else the server said. */
function problemDetail(text: string): string {
  try {
    const problem = JSON.parse(text) as { detail?: unknown; title?: unknown };
    if (typeof problem.detail === 'string') return problem.detail;
    if (typeof problem.title === 'string') return problem.title;
  } catch {
    // not JSON: show it as it is
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || '(empty response)';
}

function createLimiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await task();
    } finally {
      // A slot goes straight to the next waiter, so `running` only drops when nobody waits.
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}
