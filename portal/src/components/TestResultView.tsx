// The answer of a test send: ✓ or ✗, the receiver's HTTP status and the time it took, and why it
// failed when it did (Rinkel shows a green check or a red cross; the status and time say more).
import type { TestResult } from '../api/types';
import type { Problem } from '../api/client';

export function TestResultView({ result, problem, busy }: { result: TestResult | null; problem: Problem | null; busy: boolean }) {
  // The region is always there (fixed height), so a result appearing does not push the form down.
  let content = null;
  if (busy) content = <span className="muted">Sending a test event…</span>;
  else if (problem) {
    content = (
      <span className="test-bad">
        <span className="test-mark">✗</span> Not sent · {problem.fieldErrors.url ?? problem.detail ?? problem.title}
      </span>
    );
  } else if (result) {
    content = (
      <span className={result.ok ? 'test-ok' : 'test-bad'}>
        <span className="test-mark">{result.ok ? '✓' : '✗'}</span> {result.ok ? 'Passed' : 'Failed'} ·{' '}
        {result.status !== null ? `HTTP ${result.status}` : 'no answer'} · {result.durationMs} ms
        {result.error ? <span className="test-error"> · {result.error}</span> : null}
      </span>
    );
  }
  return (
    <div className="test-result" data-testid="test-result" role="status" aria-live="polite">
      {content}
    </div>
  );
}
