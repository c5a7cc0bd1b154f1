// A webhook's health, the same on every screen: healthy, failing since T (N failures in a row, the
// last error, the next retry) or disabled. The API computes it (`health`); a server without it yet
// is read from `enabled` alone.
import type { Webhook, WebhookHealth } from '../../api/types';
import { Badge } from '../../components/Badge';
import { healthState } from '../../components/status';
import { Time } from '../../components/Time';
import { Link } from '../../router';

/** The webhook's health as the API computed it (src/delivery/webhook-health.ts). */
export function healthOf(w: Webhook): WebhookHealth {
  return w.health;
}

export function HealthBadge({ webhook }: { webhook: Webhook }) {
  const shown = healthState(healthOf(webhook).state);
  return (
    <Badge tone={shown.tone} testId="health-badge">
      {shown.label}
    </Badge>
  );
}

const failures = (n: number) => `${n} failure${n === 1 ? '' : 's'} in a row`;

/** One line under a webhook's name: since when it fails and what happens next, or when it last delivered. */
export function HealthLine({ webhook, withError = true }: { webhook: Webhook; withError?: boolean }) {
  const h = healthOf(webhook);
  if (h.state === 'failing') {
    return (
      <p className="health-line health-failing" data-testid="health-line">
        Failing since <Time iso={h.failingSince} short /> · {failures(h.consecutiveFailures)}
        {h.nextAttemptAt ? (
          <>
            {' '}
            · next retry <Time iso={h.nextAttemptAt} short />
          </>
        ) : null}
        {withError && h.lastError ? <span className="health-error"> · Last error: {h.lastError}</span> : null}
      </p>
    );
  }
  if (h.state === 'disabled') {
    return (
      <p className="health-line health-disabled" data-testid="health-line">
        Disabled{webhook.disabledAt ? <> since <Time iso={webhook.disabledAt} short /></> : null}: new events are held, not sent.
      </p>
    );
  }
  return (
    <p className="health-line muted" data-testid="health-line">
      {h.lastSuccessAt ? (
        <>
          Healthy · last delivered <Time iso={h.lastSuccessAt} short />
        </>
      ) : (
        'Healthy · nothing sent yet'
      )}
    </p>
  );
}

/** The health facts of a webhook's page. */
export function HealthFacts({ webhook }: { webhook: Webhook }) {
  const h = healthOf(webhook);
  return (
    <dl className="facts" data-testid="health-facts">
      <dt>Health</dt>
      <dd>
        <HealthBadge webhook={webhook} />
      </dd>
      {h.state === 'failing' ? (
        <>
          <dt>Failing since</dt>
          <dd>
            <Time iso={h.failingSince} />
          </dd>
          <dt>Failures in a row</dt>
          <dd>{h.consecutiveFailures}</dd>
          <dt>Next retry</dt>
          <dd>
            <Time iso={h.nextAttemptAt} />
          </dd>
        </>
      ) : null}
      {h.state === 'disabled' ? (
        <>
          <dt>Disabled</dt>
          <dd>{webhook.disabledReason ?? 'no reason given'}</dd>
        </>
      ) : null}
      <dt>Last error</dt>
      <dd className="break">{h.lastError ?? <span className="muted">none</span>}</dd>
      <dt>Last attempt</dt>
      <dd>
        <Time iso={h.lastAttemptAt} />
      </dd>
      <dt>Last success</dt>
      <dd>
        <Time iso={h.lastSuccessAt} />
      </dd>
    </dl>
  );
}

/** The red banner on a failing webhook's page: since when, how often, the last error, the next retry. */
export function FailingBanner({ webhook, deliveriesTo }: { webhook: Webhook; deliveriesTo: string }) {
  const h = healthOf(webhook);
  if (h.state !== 'failing') return null;
  return (
    <div className="banner banner-error" role="alert" data-testid="webhook-failing-banner">
      <strong>This webhook is failing.</strong>
      <p>
        Since <Time iso={h.failingSince} />, {failures(h.consecutiveFailures)}.{' '}
        {h.nextAttemptAt ? (
          <>
            Next retry <Time iso={h.nextAttemptAt} />.
          </>
        ) : null}
      </p>
      <p className="break">Last error: {h.lastError ?? 'none recorded'}</p>
      <p className="small">
        If it keeps failing until a delivery runs out of retries, callhook disables it and e-mails the organization. <Link to={deliveriesTo}>See its deliveries</Link>
      </p>
    </div>
  );
}
