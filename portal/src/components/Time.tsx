// Times as the person's locale shows them, with the exact ISO value on hover.
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function formatTime(iso: string | null | undefined, short = false): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const today = new Date().toDateString() === date.toDateString();
  return short && today ? TIME.format(date) : DATE_TIME.format(date);
}

export function Time({ iso, short }: { iso: string | null | undefined; short?: boolean }) {
  if (!iso) return <span className="muted">—</span>;
  return <time dateTime={iso} title={iso}>{formatTime(iso, short)}</time>;
}

/** Talk time and durations: "1 min 05 s", "27 s". */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(s % 60).padStart(2, '0')} s`;
}
