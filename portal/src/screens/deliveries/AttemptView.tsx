// One attempt of a delivery: the request as sent (URL, headers, body) and the receiver's answer
// (status, headers, body, time taken) or the error that stopped it.
import type { Attempt } from '../../api/types';
import { ScrollPre, ScrollRegion } from '../../components/ScrollRegion';
import { Time } from '../../components/Time';

function Headers({ headers, label }: { headers: Record<string, string>; label: string }) {
  const entries = Object.entries(headers);
  if (entries.length === 0) return <p className="muted small">No headers.</p>;
  return (
    <ScrollRegion label={label}>
      <table className="table compact stack headers" aria-label={label}>
        <tbody>
          {entries.map(([name, value]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td className="mono break">{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

/** Pretty-prints JSON bodies; anything else is shown as it is. */
function bodyText(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** Why the attempt failed; the status is not said again right under "HTTP 500 in 12 ms". */
function whyFailed(attempt: Attempt): string {
  const error = attempt.error ?? '';
  const said = attempt.response ? `HTTP ${attempt.response.status}: ` : null;
  return said && error.startsWith(said) ? `Not delivered: ${error.slice(said.length)}` : `Error: ${error}`;
}

export function AttemptView({ attempt }: { attempt: Attempt }) {
  const title = `Attempt ${attempt.number}`;
  return (
    <article className={`attempt ${attempt.succeeded ? 'attempt-ok' : 'attempt-bad'}`} aria-label={title} data-testid={`attempt-${attempt.number}`}>
      <header className="attempt-head">
        <h3>
          <span className="attempt-mark">{attempt.succeeded ? '✓' : '✗'}</span> {title}
        </h3>
        <span className="muted">
          <Time iso={attempt.startedAt} /> · {attempt.trigger === 'manual' ? 'retried by hand' : 'scheduled'} · {attempt.durationMs} ms
        </span>
      </header>
      <div className="attempt-grid">
        <section aria-label={`${title} request`}>
          <h4>Request</h4>
          <p className="mono break">
            {attempt.request.method} {attempt.request.url}
          </p>
          <Headers headers={attempt.request.headers} label="Request headers" />
          <ScrollPre label={`${title} request body`}>{bodyText(attempt.request.body)}</ScrollPre>
        </section>
        <section aria-label={`${title} response`}>
          <h4>Response</h4>
          {attempt.response ? (
            <>
              <p>
                <strong>HTTP {attempt.response.status}</strong> in {attempt.durationMs} ms
              </p>
              <Headers headers={attempt.response.headers} label="Response headers" />
              <ScrollPre label={`${title} response body`}>{attempt.response.body ? bodyText(attempt.response.body) : '(empty body)'}</ScrollPre>
              {attempt.response.bodyTruncated ? <p className="muted small">The body was longer; only its start is kept.</p> : null}
            </>
          ) : null}
          {attempt.error ? (
            <p className="field-error" data-testid="attempt-error">
              {whyFailed(attempt)}
            </p>
          ) : null}
        </section>
      </div>
    </article>
  );
}
