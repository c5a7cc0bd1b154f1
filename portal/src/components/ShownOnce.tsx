// A secret the server shows one time only (an ingest token, an API key): the value, a Copy button
// and a warning that it will not come back.
import { useEffect, useRef } from 'react';
import { CopyButton } from './CopyButton';

export function ShownOnce({ title, value, what, onDone }: { title: string; value: string; what: string; onDone: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="banner banner-warn shown-once" role="region" aria-label={title} tabIndex={-1} ref={ref}>
      <strong>{title}</strong>
      <p>
        Copy the {what} now and keep it somewhere safe. <strong>It will not be shown again</strong>; if it is lost, make a new one and revoke this one.
      </p>
      <div className="secret-row">
        <code className="secret" data-testid="shown-once-value">
          {value}
        </code>
        <CopyButton value={value} />
      </div>
      <button type="button" className="secondary" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
