// Creating and editing an organization (operator): name, Ringotel domain, plan, who gets e-mailed
// when a webhook is disabled, and the country national numbers are read in. A new organization
// is followed by its next steps: its admin, its phone system's connection, its webhooks.
import { useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { Org } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { linesOf, SelectField, TextAreaField, TextField } from '../../components/Field';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { useLoad, useSubmit } from '../../hooks';
import { Link, navigate, seg } from '../../router';
import { useTitle } from '../../title';

const FIELDS = ['name', 'domain', 'plan', 'notificationEmails', 'defaultCountry'] as const;
/** The form's values and the API fields they are sent as. */
const FIELD_OF: Record<keyof Values, string> = { name: 'name', domain: 'domain', plan: 'plan', emails: 'notificationEmails', country: 'defaultCountry' };

/** The form's values, forgetting what was said about a field once it changes. */
function useValues(initial: Values, submit: ReturnType<typeof useSubmit>) {
  const [values, setValues] = useState<Values>(initial);
  const set = (v: Partial<Values>) => {
    setValues((old) => ({ ...old, ...v }));
    for (const key of Object.keys(v) as Array<keyof Values>) submit.clearField(FIELD_OF[key]);
  };
  return [values, set] as const;
}

interface Values {
  name: string;
  domain: string;
  plan: string;
  emails: string;
  country: string;
}

function OrgFields({ values, set, problem }: { values: Values; set: (v: Partial<Values>) => void; problem: ReturnType<typeof useSubmit>['problem'] }) {
  const plans = useLoad(() => call(api.GET('/v1/plans')), []);
  const list = plans.data?.data ?? [];
  const describe = (p: { name: string; webhooks: boolean }) => `${p.name} — ${p.webhooks ? 'webhooks included' : 'no webhooks (calls are recorded only)'}`;
  const fallback = list.find((p) => p.default);
  const planOptions = [
    // A new organization may leave it to the instance's default; an existing one keeps its plan listed even if no longer configured.
    ...(values.plan === '' ? [{ value: '', label: fallback ? `Default: ${describe(fallback)}` : 'Default plan' }] : []),
    ...(values.plan !== '' && !list.some((p) => p.name === values.plan) ? [{ value: values.plan, label: values.plan }] : []),
    ...list.map((p) => ({ value: p.name, label: describe(p) })),
  ];
  return (
    <>
      <TextField id="org-name" label="Name" required value={values.name} onChange={(e) => set({ name: e.target.value })} error={fieldError(problem, 'name')} />
      <TextField
        id="org-domain"
        label="Domain"
        required
        value={values.domain}
        onChange={(e) => set({ domain: e.target.value })}
        hint="A short unique name (letters, digits, dots, dashes), e.g. newcompany123. Ringotel webhooks send it as “domain”."
        error={fieldError(problem, 'domain')}
      />
      <SelectField
        id="org-plan"
        label="Plan"
        value={values.plan}
        onChange={(e) => set({ plan: e.target.value })}
        options={planOptions}
        hint={plans.problem ? 'The plans could not be loaded; the default plan is used.' : 'Which plans include webhooks is set by this instance (CALLHOOK_PLANS).'}
        error={fieldError(problem, 'plan')}
      />
      <TextAreaField
        id="org-emails"
        label="Notification e-mails"
        rows={3}
        value={values.emails}
        onChange={(e) => set({ emails: e.target.value })}
        hint="One address per line. They get an e-mail when a webhook is disabled after failing for a day."
        error={fieldError(problem, 'notificationEmails')}
      />
      <TextField
        id="org-country"
        label="Default country (optional)"
        maxLength={2}
        value={values.country}
        onChange={(e) => set({ country: e.target.value })}
        hint="Two-letter code, e.g. NL. Numbers without a country code are read as numbers in this country."
        error={fieldError(problem, 'defaultCountry')}
      />
    </>
  );
}

export function OrgNew() {
  useTitle('New organization');
  const submit = useSubmit();
  const [values, set] = useValues({ name: '', domain: '', plan: '', emails: '', country: '' }, submit);
  const [created, setCreated] = useState<Org | null>(null);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await submit.run(() =>
      call(
        api.POST('/v1/orgs', {
          body: {
            name: values.name.trim(),
            domain: values.domain.trim(),
            ...(values.plan.trim() ? { plan: values.plan.trim() } : {}),
            notificationEmails: linesOf(values.emails),
            ...(values.country.trim() ? { defaultCountry: values.country.trim() } : {}),
          },
        }),
      ),
    );
    if (created.ok) setCreated(created.data);
  };
  if (created) return <NextSteps org={created} />;
  return (
    <>
      <p className="crumbs">
        <Link to="/orgs">Organizations</Link> /
      </p>
      <h1>New organization</h1>
      <form className="card form" onSubmit={onSubmit} noValidate>
        <ProblemBanner problem={submit.problem} fields={FIELDS} />
        <OrgFields values={values} set={set} problem={submit.problem} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={submit.busy}>
            Create organization
          </button>
          <Link to="/orgs">Cancel</Link>
        </div>
      </form>
    </>
  );
}

export function OrgEdit({ orgId }: { orgId: string }) {
  const org = useLoad(() => call(api.GET('/v1/orgs/{orgId}', { params: { path: { orgId } } })), [orgId]);
  if (!org.data) return <LoadProblem problem={org.problem} onRetry={() => void org.reload()} />;
  return <OrgEditForm org={org.data} />;
}

function OrgEditForm({ org }: { org: Org }) {
  useTitle(`Edit ${org.name}`);
  const submit = useSubmit();
  const [values, set] = useValues({ name: org.name, domain: org.domain, plan: org.plan, emails: org.notificationEmails.join('\n'), country: org.defaultCountry ?? '' }, submit);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const saved = await submit.run(() =>
      call(
        api.PATCH('/v1/orgs/{orgId}', {
          params: { path: { orgId: org.id } },
          body: {
            name: values.name.trim(),
            domain: values.domain.trim(),
            plan: values.plan.trim(),
            notificationEmails: linesOf(values.emails),
            defaultCountry: values.country.trim() || null,
          },
        }),
      ),
    );
    if (saved.ok) navigate('/orgs');
  };
  const remove = async () => {
    const result = await submit.run(() => call(api.DELETE('/v1/orgs/{orgId}', { params: { path: { orgId: org.id } } })));
    if (result.ok) navigate('/orgs');
  };
  return (
    <>
      <p className="crumbs">
        <Link to="/orgs">Organizations</Link> /
      </p>
      <h1>Edit {org.name}</h1>
      <form className="card form" onSubmit={onSubmit} noValidate>
        <ProblemBanner problem={submit.problem} fields={FIELDS} />
        <OrgFields values={values} set={set} problem={submit.problem} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={submit.busy}>
            Save
          </button>
          <Link to="/orgs">Cancel</Link>
        </div>
      </form>
      <section className="card danger-zone" aria-labelledby="org-delete-title">
        <h2 id="org-delete-title">Delete this organization</h2>
        <p>Deletes the organization with its connections, users, numbers, webhooks, calls and delivery log. This cannot be undone.</p>
        <ConfirmButton label="Delete organization" question={`Delete ${org.name} and everything it owns?`} confirmLabel="Yes, delete it" onConfirm={remove} />
      </section>
    </>
  );
}

/** After creating an organization: what it still needs before calls can flow, each a link. */
function NextSteps({ org }: { org: Org }) {
  const base = `/orgs/${seg(org.id)}`;
  return (
    <>
      <p className="crumbs">
        <Link to="/orgs">Organizations</Link> /
      </p>
      <h1>{org.name} is created</h1>
      <section className="card next-steps" aria-labelledby="next-steps-title" data-testid="org-next-steps">
        <h2 id="next-steps-title">Next steps</h2>
        <ol>
          <li>
            <Link to={`/accounts?orgId=${encodeURIComponent(org.id)}`}>Add its admin</Link> — the person at {org.name} who signs in to manage its webhooks.
          </li>
          <li>
            <Link to={`${base}/settings#settings-connections`}>Add its connection</Link> — the phone system that sends its calls (an ingest token, or a HEP capture id).
          </li>
          <li>
            <Link to={`${base}/integrations`}>Set up its webhooks</Link> — or leave that to its admin.
          </li>
        </ol>
        <p>
          <Link to="/orgs">Back to all organizations</Link>
        </p>
      </section>
    </>
  );
}
