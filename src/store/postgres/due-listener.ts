// LISTEN/NOTIFY: wakes idle dispatchers in every process the moment deliveries become claimable,
// so nothing waits for a poll interval. One dedicated connection, opened on the first subscriber,
// re-opened after it drops (polling covers the gap). Other channels (webhook changes) share it.
import pg from 'pg';
import { DueSignal } from '../due-signal.ts';
import { DUE_CHANNEL } from './calls.ts';

const RECONNECT_MS = 1_000;

/** Another channel on the same connection: each notification's payload, and each (re)connect (some may have been missed). */
export interface ListenChannel {
  name: string;
  notified(payload: string): void;
  connected(): void;
}

export class DueListener {
  private readonly signal = new DueSignal();
  private client: pg.Client | null = null;
  private subscribers = 0;
  private closed = false;
  private readonly url: string;
  private readonly channels: ListenChannel[];

  constructor(url: string, channels: ListenChannel[] = []) {
    this.url = url;
    this.channels = channels;
  }

  on(listener: () => void): () => void {
    const off = this.signal.on(listener);
    const release = this.hold();
    return () => {
      off();
      release();
    };
  }

  /** Keeps the connection (and so every channel) listening until the returned function is called. */
  hold(): () => void {
    if (this.subscribers++ === 0) void this.connect();
    return () => {
      this.subscribers--;
    };
  }

  private notified(message: pg.Notification): void {
    if (message.channel === DUE_CHANNEL) this.signal.emit();
    else this.channels.find((c) => c.name === message.channel)?.notified(message.payload ?? '');
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => this.notified(message));
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${DUE_CHANNEL}`);
      for (const channel of this.channels) await client.query(`LISTEN ${channel.name}`);
      this.client = client;
      this.signal.emit(); // whatever became due while not listening
      for (const channel of this.channels) channel.connected();
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
