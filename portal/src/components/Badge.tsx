// Small coloured labels for states. The word is always there, so colour is never the only signal,
// and each colour means one thing on every screen (status.ts).
import type { ReactNode } from 'react';
import type { Tone } from './status';

export function Badge({ tone, children, testId }: { tone: Tone; children: ReactNode; testId?: string }) {
  return (
    <span className={`badge badge-${tone}`} data-tone={tone} data-testid={testId}>
      {children}
    </span>
  );
}

/** A label that is not a state (a number's "Main number", an account's role): neutral, outlined. */
export function Tag({ children }: { children: ReactNode }) {
  return <span className="badge badge-tag">{children}</span>;
}
