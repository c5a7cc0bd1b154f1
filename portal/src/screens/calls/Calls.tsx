// Recent calls, newest first: who called whom, when, and how it ended. On a phone each call is a
// card: time, direction and outcome first.
import { api, call } from '../../api/client';
import type { Call } from '../../api/types';
import { LoadProblem } from '../../components/ProblemBanner';
import { ScrollRegion } from '../../components/ScrollRegion';
import { formatSeconds, Time } from '../../components/Time';
import { useLoad } from '../../hooks';
import { Link, navigate, seg, useRestoreScroll } from '../../router';
import { useTitle } from '../../title';
import { useOrg } from '../org/org-context';

export const OUTCOME_LABELS: Record<string, string> = {
  ANSWERED: 'Answered',
  UNANSWERED: 'Not answered',
  BLACKLISTED: 'Blocked',
  VOICEMAIL: 'Voicemail',
  CALLCENTER: 'Answering service',
  OUTSIDE_OPERATION_TIMES: 'Outside opening hours',
};

export function userName(user: Call['user']): string {
  if (!user) return '—';
  const u = user as { name?: string | null; extension?: string | null; email?: string | null; id?: string };
  return u.name ?? u.extension ?? u.email ?? u.id ?? '—';
}

export function Calls() {
  const { org, base } = useOrg();
  useTitle('Calls', org.name);
  const calls = useLoad(() => call(api.GET('/v1/orgs/{orgId}/calls', { params: { path: { orgId: org.id }, query: { limit: 100 } } })), [org.id], { pollMs: 5_000 });
  const rows = calls.data?.data ?? [];
  useRestoreScroll(calls.data !== null);
  return (
    <>
      <div className="page-head">
        <h2>Calls</h2>
        <button type="button" className="secondary" onClick={() => void calls.reload()}>
          Refresh
        </button>
      </div>
      <p className="lead">The most recent calls of this organization. Open one to see its steps and what was sent for each.</p>
      <LoadProblem problem={calls.problem} onRetry={() => void calls.reload()} />
      <div className="card flush">
        <ScrollRegion label="Calls">
          <table className="table fixed stack calls-table">
            <colgroup>
              <col style={{ width: '11rem' }} />
              <col style={{ width: '6rem' }} />
              <col style={{ width: '10rem' }} />
              <col style={{ width: '10rem' }} />
              <col style={{ width: '10rem' }} />
              <col style={{ width: '9rem' }} />
              <col style={{ width: '7rem' }} />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Direction</th>
                <th scope="col">Outcome</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">User</th>
                <th scope="col">Talk time</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => {
                const to = `${base}/calls/${seg(c.callId)}`;
                return (
                  <tr key={c.callId} data-testid={`call-${c.callId}`} className="clickable" onClick={(e) => (e.target as HTMLElement).closest('a') || navigate(to)}>
                    <td>
                      {/* The visible time is the link's name (WCAG 2.5.3); the row's other cells say which call. */}
                      <Link to={to}>
                        <Time iso={c.startedAt} short />
                      </Link>
                    </td>
                    <td>{c.direction === 'inbound' ? 'Incoming' : 'Outgoing'}</td>
                    <td>{c.outcome ? (OUTCOME_LABELS[c.outcome] ?? c.outcome) : c.endedAt ? '—' : c.answeredAt ? 'In progress' : 'Ringing'}</td>
                    <td className="ellipsis mono" data-label="From">
                      {c.from}
                    </td>
                    <td className="ellipsis mono" data-label="To">
                      {c.to}
                    </td>
                    <td className="ellipsis" data-label="User">
                      {userName(c.user)}
                    </td>
                    <td className="num" data-label="Talk time">
                      {formatSeconds(c.talkTimeS)}
                    </td>
                  </tr>
                );
              })}
              {!calls.loading && rows.length === 0 ? (
                <tr>
                  <td colSpan={7} className="empty">
                    No calls yet. They appear here once a connection sends them.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </ScrollRegion>
      </div>
    </>
  );
}
