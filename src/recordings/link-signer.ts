// Signs and checks recording links with the instance's secrets, kept in the store's meta table so
// every process shares them (made by the first process that needs one). Read again every minute,
// so a rotation by one process reaches the others; the previous secret stays valid until links
// signed with it have run out.
import type { Clock } from '../clock.ts';
import type { MetaStore } from '../store/store.ts';
import { type LinkCheck, type SignedLink, checkLink, newLinkSecret, signLink } from './recording-link.ts';

export const LINK_SECRETS_KEY = 'recording-link-secrets';
const REFRESH_MS = 60_000;
/** Secrets kept after a rotation: the newest signs, the previous still checks. */
const KEPT = 2;

export interface LinkSigner {
  /** A link to the recording with this key, valid for the configured time from now. */
  sign(linkKey: string): Promise<SignedLink>;
  check(input: { key: string; expires: string; signature: string }): Promise<LinkCheck>;
  /** A new secret signs from now on; links signed with the previous one keep working, older ones stop. */
  rotate(): Promise<void>;
}

export function createLinkSigner(deps: { meta: MetaStore; clock: Clock; publicUrl: string; linkMs: number }): LinkSigner {
  let cached: { secrets: string[]; until: number } | null = null;

  async function secrets(): Promise<string[]> {
    // Wall-clock time: this is a cache, not a schedule (a test's fake clock may stand still).
    if (cached && cached.until > Date.now()) return cached.secrets;
    const stored = await deps.meta.init(LINK_SECRETS_KEY, JSON.stringify([newLinkSecret()]));
    cached = { secrets: JSON.parse(stored) as string[], until: Date.now() + REFRESH_MS };
    return cached.secrets;
  }

  return {
    async sign(linkKey) {
      const [secret] = await secrets();
      return signLink({ publicUrl: deps.publicUrl, key: linkKey, expiresAt: deps.clock.now() + deps.linkMs, secret: secret! });
    },
    async check(input) {
      return checkLink({ ...input, secrets: await secrets(), now: deps.clock.now() });
    },
    async rotate() {
      const current = await secrets();
      await deps.meta.set(LINK_SECRETS_KEY, JSON.stringify([newLinkSecret(), ...current].slice(0, KEPT)));
      cached = null;
    },
  };
}
