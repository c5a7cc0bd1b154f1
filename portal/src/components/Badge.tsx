// Small coloured labels: a delivery's status, a webhook's state. The word is always there, so
// colour is never the only signal.
const TONE: Record<string, string> = {
  succeeded: 'ok',
  enabled: 'ok',
  pending: 'info',
  waiting: 'muted',
  failed: 'bad',
  disabled: 'bad',
  held: 'warn',
  revoked: 'muted',
  main: 'info',
};

export function Badge({ value, label }: { value: string; label?: string }) {
  return <span className={`badge badge-${TONE[value] ?? 'muted'}`}>{label ?? value}</span>;
}
