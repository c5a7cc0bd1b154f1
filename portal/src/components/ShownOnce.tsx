// A secret the server shows one time only (an ingest token, an API key, a reset password): the
// value, a Copy button and a warning that it will not come back.
import { useEffect, useRef, type ReactNode } from 'react';
import { CopyButton } from './CopyButton';

export function ShownOnce({
  title,
  value,
  what,
  ifLost = 'make a new one and revoke this one',
  note,
  children,
  onDone,
}: {
  title: string;
  value: string;
  what: string;
  ifLost?: string;
  note?: string;
  children?: ReactNode;
  onDone: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="banner banner-warn shown-once" role="region" aria-label={title} tabIndex={-1} ref={ref}>
      <strong>{title}</strong>
      <p>
        Copy the {what} now and keep it somewhere safe. <strong>It will not be shown again</strong>; if it is lost, {ifLost}.
        {note ? ` ${note}` : ''}
      </p>
      <div className="secret-row">
        <code className="secret" data-testid="shown-once-value">
          {value}
        </code>
        <CopyButton value={value} />
      </div>
      {children}
      <button type="button" className="secondary" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
