// LISTEN/NOTIFY: wakes idle dispatchers in every process the moment deliveries become claimable,
// so nothing waits for a poll interval. One dedicated connection, opened on the first subscriber;
// other channels (webhook changes) share it.
// States: connecting → listening → lost → (a second later) connecting …, until close(). However
// many ways a connection says it is gone ('error', 'end', a failed connect), it is mourned once, so
// there is only ever one connection and one reconnect timer — and close() ends both.
import pg from 'pg';
import { DueSignal } from '../due-signal.ts';
import { endWithin } from './database.ts';

/** Notified when deliveries become claimable (ingest, released leases, replays). */
export const DUE_CHANNEL = 'callhook_due';

const RECONNECT_MS = 1_000;
/** A silent connection (a black hole) is found out by a ping this often; polling covers the gap. */
const PING_MS = 30_000;
const END_WITHIN_MS = 1_000;

export interface DueListenerOptions {
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
  /** More channels on the same connection. */
  channels?: ListenChannel[];
}

/** Another channel on the same connection: each notification's payload, and each (re)connect (some may have been missed). */
export interface ListenChannel {
  name: string;
  notified(payload: string): void;
  connected(): void;
}

export class DueListener {
  private readonly signal = new DueSignal();
  private client: pg.Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private ping: NodeJS.Timeout | null = null;
  private subscribers = 0;
  private closed = false;
  private readonly url: string;
  private readonly options: DueListenerOptions;

  constructor(url: string, options: DueListenerOptions = {}) {
    this.url = url;
    this.options = options;
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
    if (this.subscribers++ === 0) this.connect();
    return () => {
      this.subscribers--;
    };
  }

  private notified(message: pg.Notification): void {
    if (message.channel === DUE_CHANNEL) this.signal.emit();
    else this.options.channels?.find((c) => c.name === message.channel)?.notified(message.payload ?? '');
  }

  /** Whether a connection is open or being opened, or a reconnect is waiting (tests look). */
  get state(): 'connected' | 'waiting' | 'idle' {
    return this.client ? 'connected' : this.retry ? 'waiting' : 'idle';
  }

  private connect(): void {
    if (this.closed || this.client || this.retry) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'callhook-due-listener',
      keepAlive: true,
      ...(this.options.connectTimeoutMs ? { connectionTimeoutMillis: this.options.connectTimeoutMs } : {}),
      ...(this.options.queryTimeoutMs ? { query_timeout: this.options.queryTimeoutMs } : {}),
    });
    this.client = client;
    const lost = () => this.lost(client);
    client.on('notification', (message) => this.notified(message));
    client.on('error', lost);
    client.on('end', lost);
    client
      .connect()
      .then(async () => {
        await client.query(`LISTEN ${DUE_CHANNEL}`);
        for (const channel of this.options.channels ?? []) await client.query(`LISTEN ${channel.name}`);
      })
      .then(() => {
        if (this.client !== client) return;
        this.ping = setInterval(() => void client.query('SELECT 1').catch(lost), PING_MS).unref();
        this.signal.emit(); // whatever became due while not listening
        for (const channel of this.options.channels ?? []) channel.connected();
      }, lost);
  }

  /** The connection went, or never came: forget it (once) and try again in a moment. */
  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.stopPing();
    void this.dispose(client);
    if (!this.closed) {
      this.retry = setTimeout(() => {
        this.retry = null;
        this.connect();
      }, RECONNECT_MS);
      this.retry.unref();
    }
  }

  private stopPing(): void {
    if (this.ping) clearInterval(this.ping);
    this.ping = null;
  }

  private async dispose(client: pg.Client): Promise<void> {
    client.removeAllListeners();
    client.on('error', () => undefined); // a dead connection may still report; nobody must have to hear it
    await endWithin(client, END_WITHIN_MS);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.stopPing();
    const client = this.client;
    this.client = null;
    if (client) await this.dispose(client);
  }
}
