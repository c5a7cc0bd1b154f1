// A disabled webhook's red banner: why, the last error, and the two ways back — re-enable, or
// re-enable and send what was held meanwhile (nothing was dropped while it was off).
import type { Webhook } from '../../api/types';
import { Time } from '../../components/Time';

interface Props {
  webhook: Webhook;
  busy: boolean;
  onReEnable: () => void;
  onReplayHeld: () => void;
}

export function DisabledBanner({ webhook, busy, onReEnable, onReplayHeld }: Props) {
  return (
    <div className="banner banner-error disabled-banner" role="alert" data-testid="webhook-disabled-banner">
      <strong>This webhook is disabled.</strong>
      <p>
        Reason: <span data-testid="disabled-reason">{reasonWithoutLastError(webhook.disabledReason) ?? 'not given'}</span>
        {webhook.disabledAt ? (
          <>
            {' '}
            (since <Time iso={webhook.disabledAt} />)
          </>
        ) : null}
      </p>
      <p>
        Last error: <span data-testid="disabled-last-error">{webhook.lastError ?? 'none recorded'}</span>
      </p>
      <p className="small">New call events are kept (held) while it is disabled. Re-enable it once the receiver works again, then send the held ones.</p>
      <div className="form-actions">
        <button type="button" className="primary" disabled={busy} onClick={onReEnable}>
          Re-enable
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={onReplayHeld}>
          Replay held deliveries
        </button>
      </div>
    </div>
  );
}

/** callhook's reason ends with "; last error: …" (it is also the e-mail's); the banner shows that on its own line. */
function reasonWithoutLastError(reason: string | null | undefined): string | null {
  return reason ? reason.replace(/; last error: [\s\S]*$/, '') : null;
}
