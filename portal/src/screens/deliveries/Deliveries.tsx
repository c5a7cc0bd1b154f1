// The delivery log: newest first, filtered, refreshed every 2 s in place (stable row keys, fixed
// column widths, no spinner), so rows do not jump while someone reads or clicks them. Back from a
// delivery finds it as it was left: filters (in the address), "Show more" and the scroll position.
import { useCallback, useMemo, useState } from 'react';
import { api, call, isPlanLacksWebhooks } from '../../api/client';
import type { DeliveryStatus, EventType, Webhook } from '../../api/types';
import { CheckboxField } from '../../components/Field';
import { LoadProblem } from '../../components/ProblemBanner';
import { formatTime } from '../../components/Time';
import { useLoad } from '../../hooks';
import { navigate, usePageState, useLocation, useRestoreScroll } from '../../router';
import { useTitle } from '../../title';
import { ReplayForm } from '../integrations/ReplayForm';
import { useOrg } from '../org/org-context';
import { DeliveryFilters, type Filters } from './DeliveryFilters';
import { DeliveryTable } from './DeliveryTable';

const POLL_MS = 2_000;
const PAGE = 50;

export function Deliveries() {
  const { org, base } = useOrg();
  useTitle('Deliveries', org.name);
  const { query } = useLocation();
  const filters: Filters = useMemo(
    () => ({ webhookId: query.get('webhookId') ?? '', event: query.get('event') ?? '', callId: query.get('callId') ?? '', status: query.get('status') ?? '' }),
    [query.toString()], // eslint-disable-line react-hooks/exhaustive-deps
  );
  // Filters live in the address, so a filtered log can be linked to and survives a reload.
  const setFilters = useCallback(
    (f: Filters) => {
      const q = new URLSearchParams(Object.entries(f).filter(([, v]) => v));
      navigate(`${base}/deliveries${q.toString() ? `?${q.toString()}` : ''}`, { replace: true });
    },
    [base],
  );
  const [limit, setLimit] = usePageState('limit', PAGE);
  const [live, setLive] = useState(true);

  const webhooks = useLoad(() => call(api.GET('/v1/orgs/{orgId}/webhooks', { params: { path: { orgId: org.id }, query: { limit: 200 } } })), [org.id]);
  const webhookList: Webhook[] = webhooks.data?.data ?? [];
  const deliveries = useLoad(
    () =>
      call(
        api.GET('/v1/orgs/{orgId}/deliveries', {
          params: {
            path: { orgId: org.id },
            query: {
              limit,
              ...(filters.webhookId ? { webhookId: filters.webhookId } : {}),
              ...(filters.event ? { event: filters.event as EventType } : {}),
              ...(filters.callId ? { callId: filters.callId } : {}),
              ...(filters.status ? { status: filters.status as DeliveryStatus } : {}),
            },
          },
        }),
      ),
    [org.id, filters, limit],
    { pollMs: POLL_MS, paused: !live },
  );
  const rows = deliveries.data?.data ?? [];
  useRestoreScroll(deliveries.data !== null && webhooks.data !== null);

  return (
    <>
      <div className="page-head">
        <h2>Deliveries</h2>
        <div className="live">
          <CheckboxField id="deliveries-live" label="Live updates" checked={live} onChange={(e) => setLive(e.target.checked)} />
          <span className="live-time muted" aria-live="off">
            {deliveries.updatedAt ? `Updated ${formatTime(new Date(deliveries.updatedAt).toISOString(), true)}` : ''}
          </span>
        </div>
      </div>
      <p className="lead">Every request callhook makes to your webhooks, newest first. Open one to see each attempt's request and answer, and to retry it.</p>
      <DeliveryFilters filters={filters} webhooks={webhookList} onChange={setFilters} />
      <LoadProblem problem={deliveries.problem} onRetry={() => void deliveries.reload()} />
      <DeliveryTable rows={rows} webhooks={webhookList} loading={deliveries.loading} />
      {deliveries.data?.nextCursor && limit < 200 ? (
        <button type="button" className="secondary" onClick={() => setLimit(Math.min(200, limit + PAGE))}>
          Show more
        </button>
      ) : null}

      <section className="card" aria-labelledby="replay-title">
        <h2 id="replay-title">Replay failed or held deliveries</h2>
        {isPlanLacksWebhooks(webhooks.problem) ? (
          <p className="muted">The organization's plan does not include webhooks.</p>
        ) : webhookList.length === 0 ? (
          <p className="muted">No webhooks yet.</p>
        ) : (
          <ReplayForm orgId={org.id} webhooks={webhookList} onReplayed={() => void deliveries.reload()} />
        )}
      </section>
    </>
  );
}
