// Our signer against the reference verifier (the standardwebhooks package), and our verifier
// (used by `callhook listen`) against the reference signer.
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { newSigningSecret, signatureHeaders, verifySignature } from './signature.ts';

describe('Standard Webhooks signatures', () => {
  const body = '{"method":"StartCallActivity","params":{"call_id":"x"}}';

  it('makes headers the standardwebhooks library accepts, and it rejects a changed body', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const headers = signatureHeaders([secret], 'dlv_1', Date.now(), body);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(secret).verify(body + ' ', headers)).toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
  });

  it('signs with every active secret during a rotation, so either verifies', () => {
    const [oldSecret, newSecret] = [newSigningSecret(), newSigningSecret()];
    const headers = signatureHeaders([newSecret, oldSecret], 'dlv_2', Date.now(), body);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
  });

  it('verifies what the reference signer signs, and refuses stale or forged requests', () => {
    const secret = newSigningSecret();
    const now = Date.now();
    const signature = new Webhook(secret).sign('msg_1', new Date(now), body);
    const headers = { id: 'msg_1', timestamp: String(Math.floor(now / 1000)), signature };
    expect(verifySignature(secret, headers, body, now)).toEqual({ ok: true });
    expect(verifySignature(secret, headers, body + 'x', now).ok).toBe(false);
    expect(verifySignature(secret, headers, body, now + 10 * 60_000)).toMatchObject({ ok: false, reason: expect.stringContaining('timestamp') });
    expect(verifySignature(secret, { id: 'msg_1' }, body, now)).toMatchObject({ ok: false });
  });
});
