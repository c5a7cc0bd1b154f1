// The organization's plan, notification e-mails and default country. Both the operator and the
// organization's admin change the e-mails and the country (PATCH /v1/orgs/{id}); name, domain and
// plan are the operator's alone (the API answers 403 to an admin), so an admin sees them read-only.
import { useEffect, useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import { linesOf, TextAreaField, TextField } from '../../components/Field';
import { ProblemBanner } from '../../components/ProblemBanner';
import { useSubmit } from '../../hooks';
import { Link } from '../../router';
import { useSession } from '../../session-context';
import { useOrg } from '../org/org-context';

export function OrgInfo() {
  const { org, base, reloadOrg } = useOrg();
  const { account } = useSession();
  const [emails, setEmails] = useState(org.notificationEmails.join('\n'));
  const [country, setCountry] = useState(org.defaultCountry ?? '');
  const [saved, setSaved] = useState(false);
  const submit = useSubmit();
  useEffect(() => {
    setEmails(org.notificationEmails.join('\n'));
    setCountry(org.defaultCountry ?? '');
  }, [org.notificationEmails, org.defaultCountry]);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const result = await submit.run(() =>
      call(api.PATCH('/v1/orgs/{orgId}', { params: { path: { orgId: org.id } }, body: { notificationEmails: linesOf(emails), defaultCountry: country.trim() || null } })),
    );
    if (result.ok) {
      setSaved(true);
      await reloadOrg();
    }
  };

  return (
    <section className="card" id="settings-org" aria-labelledby="settings-org-title">
      <h2 id="settings-org-title">Organization</h2>
      <dl className="facts">
        <dt>Name</dt>
        <dd>{org.name}</dd>
        <dt>Domain</dt>
        <dd>{org.domain}</dd>
        <dt>Plan</dt>
        <dd data-testid="org-plan">{org.plan}</dd>
        <dt>Organization id</dt>
        <dd className="mono">{org.id}</dd>
      </dl>
      <p className="muted small">
        {account.role === 'operator' ? (
          <Link to={`${base}/edit`}>Change the name, domain or plan</Link>
        ) : (
          'Name, domain and plan are set by your provider.'
        )}
      </p>
      <form className="form" onSubmit={onSubmit} noValidate aria-label="Notification settings">
        <ProblemBanner problem={submit.problem} fields={['notificationEmails', 'defaultCountry']} />
        <TextAreaField
          id="settings-emails"
          label="Notification e-mails"
          rows={3}
          value={emails}
          onChange={(e) => {
            setEmails(e.target.value);
            submit.clearField('notificationEmails');
          }}
          hint="One address per line. They get an e-mail when a webhook is disabled after failing for a day."
          error={fieldError(submit.problem, 'notificationEmails')}
        />
        <TextField
          id="settings-country"
          label="Default country (optional)"
          maxLength={2}
          value={country}
          onChange={(e) => {
            setCountry(e.target.value);
            submit.clearField('defaultCountry');
          }}
          hint="Two-letter code, e.g. NL. Numbers without a country code are read as numbers in this country."
          error={fieldError(submit.problem, 'defaultCountry')}
        />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={submit.busy}>
            Save
          </button>
          <span className="form-status" role="status">
            {saved ? 'Saved' : ''}
          </span>
        </div>
      </form>
    </section>
  );
}
