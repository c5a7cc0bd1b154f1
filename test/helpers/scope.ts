// Per-test resources that clean themselves up: receivers and services started inside a test are
// closed after it, in reverse order, even when it fails.
import { afterEach } from 'vitest';
import { type Receiver, startReceiver } from './receiver.ts';
import { type Backend, type OrgSetup, type TestService, setupOrg, startTestService } from './service.ts';

export function testScope() {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    /** Runs `cleanup` after the current test. */
    defer(cleanup: () => Promise<void>): void {
      cleanups.push(cleanup);
    },
    async receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
      const receiver = await startReceiver(...args);
      cleanups.push(() => receiver.close());
      return receiver;
    },
    /** A service (with the given CALLHOOK_* settings, on `backend`) and an organization set up in it. */
    async service(env: Record<string, string> = {}, backend: Backend = 'sqlite'): Promise<{ t: TestService; org: OrgSetup }> {
      const t = await startTestService({ env, backend });
      cleanups.push(() => t.cleanup());
      return { t, org: await setupOrg(t.api) };
    },
  };
}
