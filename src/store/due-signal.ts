// Wake-ups for dispatchers when deliveries become claimable without a lease. Within a process this
// is enough; the PostgreSQL store also carries it to other processes with LISTEN/NOTIFY.
export class DueSignal {
  private readonly listeners = new Set<() => void>();

  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(): void {
    for (const listener of this.listeners) listener();
  }
}
