// The operator's organizations: name, domain and plan (and which have webhooks failing or
// disabled, when the API says); open one, edit one, or make a new one.
import { api, call } from '../../api/client';
import type { Org } from '../../api/types';
import { Badge } from '../../components/Badge';
import { LoadProblem } from '../../components/ProblemBanner';
import { ScrollRegion } from '../../components/ScrollRegion';
import { useLoad } from '../../hooks';
import { Link, seg } from '../../router';
import { useTitle } from '../../title';

export function OrgList() {
  useTitle('Organizations');
  const orgs = useLoad(() => call(api.GET('/v1/orgs', { params: { query: { limit: 200 } } })), []);
  const rows: Org[] = orgs.data?.data ?? [];
  return (
    <>
      <div className="page-head">
        <h1>Organizations</h1>
        <Link to="/orgs/new" className="button primary">
          New organization
        </Link>
      </div>
      <p className="lead">Each organization is one customer: its phone system connections, users, numbers and webhooks.</p>
      <LoadProblem problem={orgs.problem} onRetry={() => void orgs.reload()} />
      <div className="card flush">
        <ScrollRegion label="Organizations">
          <table className="table stack actions-first">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Domain</th>
                <th scope="col">Plan</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((org) => (
                <tr key={org.id} data-testid={`org-${org.id}`}>
                  <td>
                    <Link to={`/orgs/${seg(org.id)}/integrations`}>{org.name}</Link>
                    {org.webhookHealth?.failing ? <> <Badge tone="bad">{org.webhookHealth.failing} failing</Badge></> : null}
                    {org.webhookHealth?.disabled ? <> <Badge tone="bad">{org.webhookHealth.disabled} disabled</Badge></> : null}
                  </td>
                  <td data-label="Domain">{org.domain}</td>
                  <td data-label="Plan">{org.plan}</td>
                  <td className="actions">
                    <Link to={`/orgs/${seg(org.id)}/edit`}>
                      Edit
                    </Link>
                  </td>
                </tr>
              ))}
              {!orgs.loading && rows.length === 0 ? (
                <tr>
                  <td colSpan={4} className="empty">
                    No organizations yet. Press <em>New organization</em> to add the first one.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </ScrollRegion>
      </div>
      {orgs.data?.nextCursor ? <p className="muted">Showing the first 200 organizations.</p> : null}
    </>
  );
}
