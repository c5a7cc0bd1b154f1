// LISTEN/NOTIFY: wakes idle dispatchers in every process the moment deliveries become claimable,
// so nothing waits for a poll interval. One dedicated connection, opened on the first subscriber,
// re-opened after it drops (polling covers the gap).
import pg from 'pg';
import { DueSignal } from '../due-signal.ts';
import { DUE_CHANNEL } from './calls.ts';

const RECONNECT_MS = 1_000;

export class DueListener {
  private readonly signal = new DueSignal();
  private client: pg.Client | null = null;
  private subscribers = 0;
  private closed = false;
  private readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  on(listener: () => void): () => void {
    const off = this.signal.on(listener);
    if (this.subscribers++ === 0) void this.connect();
    return () => {
      off();
      this.subscribers--;
    };
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', () => this.signal.emit());
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${DUE_CHANNEL}`);
      this.client = client;
      this.signal.emit(); // whatever became due while not listening
    } catch {
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.client === client) this.client = null;
    client.removeAllListeners();
    client.end().catch(() => undefined);
    if (!this.closed) setTimeout(() => void this.connect(), RECONNECT_MS).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners();
      await client.end().catch(() => undefined);
    }
  }
}
