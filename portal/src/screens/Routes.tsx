// Which screen a path shows. An admin works in one organization, so the operator's lists are not
// theirs: they land in their organization wherever they start.
import { NotFound, Redirect } from '../components/Redirect';
import { match, useLocation } from '../router';
import { useSession } from '../session-context';
import { AccountPage } from './account/AccountPage';
import { Accounts } from './accounts/Accounts';
import { OrgArea } from './org/OrgArea';
import { OrgEdit, OrgNew } from './orgs/OrgForm';
import { OrgList } from './orgs/OrgList';

export function Routes() {
  const { account } = useSession();
  const { path } = useLocation();
  const home = account.role === 'operator' ? '/orgs' : `/orgs/${encodeURIComponent(account.orgId ?? '')}/integrations`;

  if (path === '/') return <Redirect to={home} />;
  if (path === '/account') return <AccountPage />;

  const inOrg = /^\/orgs\/([^/]+)(\/.*)?$/.exec(path);
  if (account.role === 'admin') {
    // Their own organization only; anything else leads home.
    if (inOrg && decodeURIComponent(inOrg[1]!) === account.orgId && inOrg[1] !== 'new') return <OrgArea orgId={account.orgId} rest={inOrg[2] ?? ''} />;
    return <Redirect to={home} />;
  }

  if (path === '/orgs') return <OrgList />;
  if (path === '/orgs/new') return <OrgNew />;
  if (path === '/accounts') return <Accounts />;
  const edit = match('/orgs/:orgId/edit', path);
  if (edit) return <OrgEdit key={edit.orgId} orgId={edit.orgId!} />;
  if (inOrg) {
    const orgId = decodeURIComponent(inOrg[1]!);
    return <OrgArea key={orgId} orgId={orgId} rest={inOrg[2] ?? ''} />;
  }
  return <NotFound />;
}
