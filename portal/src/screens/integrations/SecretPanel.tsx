// The signing secret: hidden until Reveal (GET …/secret), Copy, and Rotate after a confirmation
// (the old secret keeps signing for 24 hours so receivers can switch over).
import { useState } from 'react';
import { api, call } from '../../api/client';
import type { Webhook } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { CopyButton } from '../../components/CopyButton';
import { ProblemBanner } from '../../components/ProblemBanner';
import { Time } from '../../components/Time';
import { useSubmit } from '../../hooks';

interface Secret {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
}

export function SecretPanel({ webhook, onRotated }: { webhook: Webhook; onRotated: () => void }) {
  const path = { orgId: webhook.orgId, webhookId: webhook.id };
  const [secret, setSecret] = useState<Secret | null>(null);
  const [shown, setShown] = useState(false);
  const [note, setNote] = useState('');
  const submit = useSubmit();

  const fetchSecret = async (): Promise<Secret | null> => {
    const result = await submit.run(() => call(api.GET('/v1/orgs/{orgId}/webhooks/{webhookId}/secret', { params: { path } })));
    if (!result.ok) return null;
    setSecret(result.data);
    return result.data;
  };
  const reveal = async () => {
    if (shown) return setShown(false);
    if (await fetchSecret()) setShown(true);
  };
  const rotate = async () => {
    const result = await submit.run(() => call(api.POST('/v1/orgs/{orgId}/webhooks/{webhookId}/rotate-secret', { params: { path } })));
    if (!result.ok) return;
    await fetchSecret();
    setShown(true);
    setNote('New secret made. The old one keeps signing alongside it for 24 hours; update your receiver before then.');
    onRotated();
  };

  return (
    <section className="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p className="muted">
        Every request carries <code>webhook-id</code>, <code>webhook-timestamp</code> and <code>webhook-signature</code> headers (Standard Webhooks). Your
        receiver checks the signature with this secret.
      </p>
      <ProblemBanner problem={submit.problem} />
      <div className="secret-row">
        <code className="secret" data-testid="webhook-secret" aria-label="Signing secret">
          {shown && secret ? secret.secret : 'whsec_••••••••••••••••••••••••'}
        </code>
        <button type="button" className="secondary" disabled={submit.busy} onClick={() => void reveal()} aria-pressed={shown}>
          {shown ? 'Hide' : 'Reveal'}
        </button>
        <CopyButton value={async () => (secret ?? (await fetchSecret()))?.secret ?? null} />
        <ConfirmButton label="Rotate" question="Make a new signing secret?" confirmLabel="Yes, rotate" onConfirm={rotate} />
      </div>
      {shown && secret?.previousSecret ? (
        <p className="small">
          The previous secret <code>{secret.previousSecret}</code> still signs too until <Time iso={secret.previousSecretExpiresAt} />.
        </p>
      ) : null}
      <p className="form-status" role="status">
        {note}
      </p>
    </section>
  );
}
