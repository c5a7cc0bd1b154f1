// Operating hours as a week: per day, open spans (from–to, HH:MM; 24:00 ends the day). A day with
// no spans is closed.
import type { OutcomeRules } from '../../api/types';

export const DAYS = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
] as const;
export type Day = (typeof DAYS)[number][0];
export type Span = { from: string; to: string };
export type Week = Record<Day, Span[]>;

export function weekOf(hours: OutcomeRules['operatingHours']): Week {
  const h = (hours ?? {}) as Partial<Record<Day, Span[]>>;
  return Object.fromEntries(DAYS.map(([d]) => [d, h[d] ?? []])) as Week;
}

/** Office hours to start from: weekdays 09:00–17:00. */
export const OFFICE_HOURS: Week = Object.fromEntries(DAYS.map(([d]) => [d, d === 'sat' || d === 'sun' ? [] : [{ from: '09:00', to: '17:00' }]])) as Week;

export function WeekSchedule({ week, onChange, errorFor }: { week: Week; onChange: (w: Week, day: Day) => void; errorFor: (day: Day) => string | undefined }) {
  const setDay = (day: Day, spans: Span[]) => onChange({ ...week, [day]: spans }, day);
  return (
    <div className="week" role="group" aria-label="Weekly schedule">
      {DAYS.map(([day, name]) => {
        const spans = week[day];
        const error = errorFor(day);
        return (
          <div className="week-day" key={day} data-testid={`hours-${day}`}>
            <span className="week-name">{name}</span>
            <div className="week-spans">
              {spans.length === 0 ? <span className="muted">Closed</span> : null}
              {spans.map((span, i) => (
                <div className="span-row" key={i}>
                  <label htmlFor={`rules-${day}-${i}-from`}>
                    <span className="sr-only">{name} </span>from
                  </label>
                  <input
                    id={`rules-${day}-${i}-from`}
                    className="time-input"
                    placeholder="09:00"
                    value={span.from}
                    aria-invalid={error ? true : undefined}
                    onChange={(e) => setDay(day, spans.map((s, j) => (j === i ? { ...s, from: e.target.value } : s)))}
                  />
                  <label htmlFor={`rules-${day}-${i}-to`}>
                    <span className="sr-only">{name} </span>to
                  </label>
                  <input
                    id={`rules-${day}-${i}-to`}
                    className="time-input"
                    placeholder="17:00"
                    value={span.to}
                    aria-invalid={error ? true : undefined}
                    onChange={(e) => setDay(day, spans.map((s, j) => (j === i ? { ...s, to: e.target.value } : s)))}
                  />
                  <button type="button" className="link-button" aria-label={`Remove ${name} ${span.from}–${span.to}`} onClick={() => setDay(day, spans.filter((_, j) => j !== i))}>
                    Remove
                  </button>
                </div>
              ))}
              <button
                type="button"
                className="link-button"
                aria-label={`Add hours on ${name}`}
                onClick={() => setDay(day, [...spans, spans.length ? { from: '13:00', to: '17:00' } : { from: '09:00', to: '17:00' }])}
              >
                Add hours
              </button>
              {error ? <p className="field-error">{error}</p> : null}
            </div>
          </div>
        );
      })}
    </div>
  );
}
