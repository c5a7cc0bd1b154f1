// Contract: the key/value meta table.
import { describe, expect, it } from 'vitest';
import type { ContractContext } from './index.ts';

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
}
