// The error banner at the top of a form: what went wrong that no field on the form can show.
// Errors that name a field shown on the form appear next to that field instead.
import { unclaimedErrors, type Problem } from '../api/client';

export function ProblemBanner({ problem, fields = [] }: { problem: Problem | null; fields?: readonly string[] }) {
  if (!problem) return null;
  const others = unclaimedErrors(problem, fields);
  const allClaimed = Object.keys(problem.fieldErrors).length > 0 && others.length === 0;
  if (allClaimed) return null;
  return (
    <div className="banner banner-error" role="alert">
      <strong>{problem.title}</strong>
      {problem.detail ? <p>{problem.detail}</p> : null}
      {others.length > 1 ? (
        <ul>
          {others.map(([field, message]) => (
            <li key={field}>
              <code>{field}</code> {message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A problem while loading a screen's data. */
export function LoadProblem({ problem, onRetry }: { problem: Problem | null; onRetry?: () => void }) {
  if (!problem) return null;
  return (
    <div className="banner banner-error" role="alert">
      <strong>{problem.title}</strong>
      {problem.detail ? <p>{problem.detail}</p> : null}
      {onRetry ? (
        <button type="button" className="secondary" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
