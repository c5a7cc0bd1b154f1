// Outcome rules: how a call that ends without a stated outcome is named in webhooks (Rinkel's
// `cause`): outside operating hours, voicemail, answering service, or blocked.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { OutcomeRules } from '../../api/types';
import { CheckboxField, linesOf, TextAreaField, TextField } from '../../components/Field';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { useLoad, useSubmit } from '../../hooks';
import { useOrg } from '../org/org-context';
import { DAYS, OFFICE_HOURS, weekOf, WeekSchedule, type Week } from './WeekSchedule';

const FIELDS = ['timeZone', 'operatingHours', 'voicemailTargets', 'answeringServiceTargets', 'blocklist'] as const;

export function OutcomeRulesSection() {
  const { org } = useOrg();
  const loaded = useLoad(() => call(api.GET('/v1/orgs/{orgId}/outcome-rules', { params: { path: { orgId: org.id } } })), [org.id]);
  return (
    <section className="card" id="settings-rules" aria-labelledby="settings-rules-title">
      <h2 id="settings-rules-title">Outcome rules</h2>
      <p className="muted">
        How callhook names the end of a call the phone system did not explain: outside operating hours, sent to voicemail, taken by an answering service, or
        blocked.
      </p>
      <LoadProblem problem={loaded.problem} onRetry={() => void loaded.reload()} />
      {loaded.data ? <RulesForm rules={loaded.data} onSaved={loaded.setData} /> : null}
    </section>
  );
}

function RulesForm({ rules, onSaved }: { rules: OutcomeRules; onSaved: (r: OutcomeRules) => void }) {
  const { org } = useOrg();
  const [timeZone, setTimeZone] = useState(rules.timeZone);
  const [useHours, setUseHours] = useState(rules.operatingHours !== null);
  const [week, setWeek] = useState<Week>(rules.operatingHours ? weekOf(rules.operatingHours) : OFFICE_HOURS);
  const [voicemail, setVoicemail] = useState(rules.voicemailTargets.join('\n'));
  const [answering, setAnswering] = useState(rules.answeringServiceTargets.join('\n'));
  const [blocklist, setBlocklist] = useState(rules.blocklist.join('\n'));
  const [saved, setSaved] = useState(false);
  const submit = useSubmit();
  const zones = useMemo(() => (typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []), []);
  useEffect(() => setSaved(false), [timeZone, useHours, week, voicemail, answering, blocklist]);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    // A day without spans is left out (closed), as the API reads it.
    const operatingHours = useHours ? Object.fromEntries(DAYS.filter(([d]) => week[d].length > 0).map(([d]) => [d, week[d].map((s) => ({ from: s.from.trim(), to: s.to.trim() }))])) : null;
    const body = {
      timeZone: timeZone.trim(),
      operatingHours,
      voicemailTargets: linesOf(voicemail),
      answeringServiceTargets: linesOf(answering),
      blocklist: linesOf(blocklist),
    } as OutcomeRules;
    const result = await submit.run(() => call(api.PUT('/v1/orgs/{orgId}/outcome-rules', { params: { path: { orgId: org.id } }, body })));
    if (result.ok) {
      onSaved(result.data);
      setSaved(true);
    }
  };

  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Outcome rules">
      <ProblemBanner problem={submit.problem} fields={FIELDS} />
      <TextField
        id="rules-timezone"
        label="Time zone"
        list="rules-timezones"
        value={timeZone}
        onChange={(e) => (setTimeZone(e.target.value), submit.clearField('timeZone'))}
        hint="The time zone of the operating hours, e.g. Europe/Amsterdam."
        error={fieldError(submit.problem, 'timeZone')}
      />
      <datalist id="rules-timezones">
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <fieldset className="field">
        <legend>Operating hours</legend>
        <CheckboxField
          id="rules-use-hours"
          label="Use operating hours"
          checked={useHours}
          onChange={(e) => (setUseHours(e.target.checked), submit.clearField('operatingHours'))}
          hint="Unanswered incoming calls outside these hours end as “outside operation times”. Unticked: always open."
        />
        {useHours ? <WeekSchedule
            week={week}
            onChange={(w, day) => (setWeek(w), submit.clearField(`operatingHours.${day}`))}
            errorFor={(day) => fieldError(submit.problem, `operatingHours.${day}`)} /> : null}
        {fieldError(submit.problem, 'operatingHours') && !DAYS.some(([d]) => fieldError(submit.problem, `operatingHours.${d}`)) ? (
          <p className="field-error">{fieldError(submit.problem, 'operatingHours')}</p>
        ) : null}
      </fieldset>
      <div className="grid-3">
        <TextAreaField
          id="rules-voicemail"
          label="Voicemail numbers or extensions"
          rows={3}
          value={voicemail}
          onChange={(e) => (setVoicemail(e.target.value), submit.clearField('voicemailTargets'))}
          hint="One per line. A call answered here ended in voicemail."
          error={fieldError(submit.problem, 'voicemailTargets')}
        />
        <TextAreaField
          id="rules-answering"
          label="Answering-service numbers or extensions"
          rows={3}
          value={answering}
          onChange={(e) => (setAnswering(e.target.value), submit.clearField('answeringServiceTargets'))}
          hint="One per line. A call answered here went to the answering service."
          error={fieldError(submit.problem, 'answeringServiceTargets')}
        />
        <TextAreaField
          id="rules-blocklist"
          label="Blocked callers"
          rows={3}
          value={blocklist}
          onChange={(e) => (setBlocklist(e.target.value), submit.clearField('blocklist'))}
          hint="One number per line. Their unanswered calls end as blocked."
          error={fieldError(submit.problem, 'blocklist')}
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={submit.busy}>
          Save rules
        </button>
        <span className="form-status" role="status">
          {saved ? 'Saved' : ''}
        </span>
      </div>
    </form>
  );
}
