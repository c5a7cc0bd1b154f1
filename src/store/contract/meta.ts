// Contract: the key/value meta table, and each organization's outcome rules.
import { describe, expect, it } from 'vitest';
import type { ContractContext } from './index.ts';
import { T0, createTenant } from './fixtures.ts';

export function metaContract(ctx: ContractContext): void {
  describe('meta', () => {
    it('answers null for an unknown key, and stores values per key', async () => {
      const { meta } = ctx.store;
      expect(await meta.get('instance-id')).toBeNull();
      await meta.set('instance-id', 'proc_1');
      await meta.set('last-poll', '2025-03-03T09:00:00Z');
      expect(await meta.get('instance-id')).toBe('proc_1');
      expect(await meta.get('last-poll')).toBe('2025-03-03T09:00:00Z');
    });

    it('overwrites a value on a second set', async () => {
      const { meta } = ctx.store;
      await meta.set('instance-id', 'proc_1');
      await meta.set('instance-id', 'proc_2');
      expect(await meta.get('instance-id')).toBe('proc_2');
      await meta.set('instance-id', '');
      expect(await meta.get('instance-id')).toBe('');
    });
  });

  describe('outcome rules', () => {
    it('has none until they are put, replaces them on a second put, and drops them with the organization', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      expect(await store.outcomeRules.get(tenant.org.id)).toBeNull();
      const rules = { timeZone: 'Europe/Amsterdam', operatingHours: { mon: [{ from: '09:00', to: '17:00' }] }, voicemailTargets: ['599'], answeringServiceTargets: [], blocklist: ['+31612345678'] };
      await store.outcomeRules.put(tenant.org.id, rules, T0);
      expect(await store.outcomeRules.get(tenant.org.id)).toEqual(rules);
      const later = { ...rules, operatingHours: null, blocklist: [] };
      await store.outcomeRules.put(tenant.org.id, later, T0 + 1);
      expect(await store.outcomeRules.get(tenant.org.id)).toEqual(later);
      await store.orgs.delete(tenant.org.id);
      expect(await store.outcomeRules.get(tenant.org.id)).toBeNull();
    });
  });
}
