// A button for something that cannot be undone: the first press asks in place ("Rotate the secret?
// Yes, rotate / Cancel") instead of a browser dialog, so keyboard and tests use the same buttons.
import { useEffect, useRef, useState, type ReactNode } from 'react';

interface Props {
  /** The button's name, e.g. "Rotate". */
  label: string;
  /** The question shown after the first press. */
  question: ReactNode;
  /** The confirming button's name; default "Yes, <label lower-case>". */
  confirmLabel?: string;
  onConfirm: () => void | Promise<void>;
  danger?: boolean;
  disabled?: boolean;
}

export function ConfirmButton({ label, question, confirmLabel, onConfirm, danger = true, disabled }: Props) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const yesRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yesRef.current?.focus();
  }, [asking]);

  if (!asking) {
    return (
      <button type="button" className={danger ? 'danger-outline' : 'secondary'} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={`Confirm: ${label}`}>
      <span className="confirm-question">{question}</span>
      <button
        ref={yesRef}
        type="button"
        className={danger ? 'danger' : 'primary'}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {confirmLabel ?? `Yes, ${label.toLowerCase()}`}
      </button>
      <button type="button" className="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
