// The Settings tab: one page of sections, each a labelled region (find them by their heading).
import { ApiKeys } from './ApiKeys';
import { Connections } from './Connections';
import { Numbers } from './Numbers';
import { OrgInfo } from './OrgInfo';
import { OutcomeRulesSection } from './OutcomeRules';
import { Users } from './Users';

export function Settings() {
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
      <Users />
      <Numbers />
      <OutcomeRulesSection />
      <ApiKeys />
    </>
  );
}
