// The Settings tab: one page of sections, each a labelled region (find them by their heading).
// Users and Numbers show each other's data (who has which direct number): a change in one reloads the other.
import { useState } from 'react';
import { useTitle } from '../../title';
import { useOrg } from '../org/org-context';
import { ApiKeys } from './ApiKeys';
import { Connections } from './Connections';
import { Numbers } from './Numbers';
import { OrgInfo } from './OrgInfo';
import { OutcomeRulesSection } from './OutcomeRules';
import { Users } from './Users';

export function Settings() {
  useTitle('Settings', useOrg().org.name);
  const [directory, setDirectory] = useState(0);
  const changed = () => setDirectory((n) => n + 1);
  return (
    <>
      <nav className="section-nav" aria-label="Settings sections">
        <a href="#settings-org">Organization</a>
        <a href="#settings-connections">Connections</a>
        <a href="#settings-users">Users &amp; extensions</a>
        <a href="#settings-numbers">Numbers</a>
        <a href="#settings-rules">Outcome rules</a>
        <a href="#settings-keys">API keys</a>
      </nav>
      <OrgInfo />
      <Connections />
      <Users version={directory} onChange={changed} />
      <Numbers version={directory} onChange={changed} />
      <OutcomeRulesSection />
      <ApiKeys />
    </>
  );
}
