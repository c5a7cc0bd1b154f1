// The Store contract suite: what every implementation of the port (store.ts) must do. A runner
// per implementation calls `describeStoreContract` with a way to open a fresh, empty store; each
// test gets its own store, closed after it.
import { afterEach, beforeEach, describe } from 'vitest';
import type { Store } from '../store.ts';
import type { OrgRows, OrgRowsReader } from './org-rows.ts';
import { accountsContract } from './accounts.ts';
import { deliveriesContract } from './deliveries.ts';
import { healthContract } from './health.ts';
import { ingestContract } from './ingest.ts';
import { isolationContract } from './isolation.ts';
import { metaContract } from './meta.ts';
import { notificationsContract } from './notifications.ts';
import { outcomesContract } from './outcomes.ts';
import { recordingsContract } from './recordings.ts';
import { sharedWorkContract } from './shared-work.ts';
import { tenancyContract } from './tenancy.ts';
import { webhooksContract } from './webhooks.ts';

export interface OpenedStore {
  store: Store;
  /** Reads an organization's rows straight from the database, past the port. */
  orgRows: OrgRowsReader;
  close(): Promise<void>;
}

/** Gives each test the store opened for it. */
export interface ContractContext {
  readonly store: Store;
  /** Every row `orgId` owns, table by table (contract/org-rows.ts). */
  orgRows(orgId: string): Promise<OrgRows>;
}

export function describeStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract: ${name}`, () => {
    let opened: OpenedStore | null = null;
    const context: ContractContext = {
      get store(): Store {
        if (!opened) throw new Error('no store is open (used outside a test?)');
        return opened.store;
      },
      orgRows(orgId) {
        if (!opened) throw new Error('no store is open (used outside a test?)');
        return opened.orgRows.rows(orgId);
      },
    };

    beforeEach(async () => {
      opened = await open();
    });
    afterEach(async () => {
      const current = opened;
      opened = null;
      await current?.close();
    });

    tenancyContract(context);
    accountsContract(context);
    webhooksContract(context);
    ingestContract(context);
    deliveriesContract(context);
    outcomesContract(context);
    healthContract(context);
    notificationsContract(context);
    metaContract(context);
    recordingsContract(context);
    sharedWorkContract(context);
    isolationContract(context);
  });
}
