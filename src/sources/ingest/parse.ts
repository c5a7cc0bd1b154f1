// Reads an ingest request body into call steps, or says exactly what is wrong and where
// (`steps[1].topics`). One bad item rejects the whole request.
// Never an empty string (receivers reject empty values): an optional text field that is empty or
// blank is the same as leaving it out; a required one (callId, summary, a topic) is refused.
// Numbers are refused when they look like a public number that cannot be written in E.164
// (calls/phone-number.ts readNumber) rather than sent wrong; extensions are fine.
import type { ValidateFunction } from 'ajv';
import { STEP_TYPES, type StepType } from '../../calls/call.ts';
import { isPhoneNumberLike, isWithheld, readNumber } from '../../calls/phone-number.ts';
import type { CallStep } from '../../calls/steps.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { fieldErrors, strictAjv } from '../../json-schema.ts';
import { MAX_STEPS_PER_REQUEST, STEP_SCHEMAS } from './schema.ts';

const validators = Object.fromEntries(
  Object.entries(STEP_SCHEMAS).map(([type, schema]) => [type, strictAjv.compile(schema)]),
) as Record<StepType, ValidateFunction>;

/** Whether the body was a batch (`{steps: […]}`), so errors name `steps[i].field` as the client wrote it. */
export function isBatch(body: unknown): boolean {
  return isObject(body) && 'steps' in body;
}

/** Optional text fields of the steps: blank means absent. */
export const OPTIONAL_TEXT_FIELDS = ['user', 'answeredBy', 'choice', 'subject', 'description'] as const;
/** Required text fields: blank is refused. */
const REQUIRED_TEXT_FIELDS = ['callId', 'summary'] as const;

export interface ParseContext {
  /** The organization's default country, for reading national numbers (null: none). */
  defaultCountry: string | null;
}

export function parseIngestBody(body: unknown, context: ParseContext): CallStep[] {
  const errors: FieldError[] = [];
  const steps: CallStep[] = [];
  if (!isObject(body)) throw validationError([{ field: '(body)', detail: 'must be a JSON object: one step, or {"steps": [...]}' }]);

  let items: Array<{ value: unknown; path: string }>;
  if ('steps' in body) {
    const extra = Object.keys(body).filter((key) => key !== 'steps');
    if (extra.length > 0) throw validationError(extra.map((key) => ({ field: key, detail: 'is not a known field of a batch' })));
    const list = body.steps;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_STEPS_PER_REQUEST) {
      throw validationError([{ field: 'steps', detail: `must be an array of 1 to ${MAX_STEPS_PER_REQUEST} steps` }]);
    }
    items = list.map((value, index) => ({ value, path: `steps[${index}]` }));
  } else {
    items = [{ value: body, path: '' }];
  }

  for (const { value, path } of items) {
    const step = parseStep(value, path, errors, context);
    if (step) steps.push(step);
  }
  if (errors.length > 0) throw validationError(errors);
  return steps;
}

function parseStep(input: unknown, path: string, errors: FieldError[], context: ParseContext): CallStep | null {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  if (!isObject(input)) {
    errors.push({ field: path || '(body)', detail: 'must be an object' });
    return null;
  }
  const type = input.type;
  if (typeof type !== 'string' || !(STEP_TYPES as readonly string[]).includes(type)) {
    errors.push({ field: at('type'), detail: `must be one of ${STEP_TYPES.map((t) => `"${t}"`).join(', ')}` });
    return null;
  }
  const value = withoutBlankOptionals(input, type as StepType);
  const validate = validators[type as StepType];
  if (!validate(value)) {
    errors.push(...fieldErrors(validate.errors, path));
    return null;
  }
  const before = errors.length;
  const step = { ...value } as Record<string, unknown>;
  for (const field of ['at'] as const) {
    if (step[field] === undefined) continue;
    const ms = parseTime(step[field]);
    if (ms === null) errors.push({ field: at(field), detail: 'must be a real time between 2000 and 2100, as ISO 8601 with a time zone (2024-10-23T13:56:24.969Z) or epoch milliseconds' });
    else step[field] = ms;
  }
  for (const field of REQUIRED_TEXT_FIELDS) {
    if (typeof step[field] === 'string' && (step[field] as string).trim() === '') errors.push({ field: at(field), detail: 'must not be empty' });
  }
  if (Array.isArray(step.topics)) {
    (step.topics as unknown[]).forEach((topic, i) => {
      if (typeof topic === 'string' && topic.trim() === '') errors.push({ field: at(`topics[${i}]`), detail: 'must not be empty' });
    });
  }
  for (const field of ['from', 'to'] as const) {
    const raw = step[field];
    if (typeof raw !== 'string') continue;
    if (!isPhoneNumberLike(raw)) {
      errors.push({ field: at(field), detail: `"${raw}" is not a phone number (digits with an optional leading +, or "anonymous")` });
      continue;
    }
    const reading = readNumber(raw, context.defaultCountry);
    if (reading.kind === 'invalid') errors.push({ field: at(field), detail: reading.reason });
    else if (isWithheld(raw)) step[field] = 'anonymous';
  }
  if (type === 'recording' && !isHttpUrl(String(step.url))) {
    errors.push({ field: at('url'), detail: 'must be an absolute http or https URL' });
  }
  return errors.length === before ? (step as unknown as CallStep) : null;
}

/** Times a phone system can mean: from 2000 up to 2100 (anything else is a unit or clock mistake). */
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);

/** ISO 8601 with an explicit zone, or epoch milliseconds; null when malformed, impossible or out of range. */
export function parseTime(value: unknown): number | null {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return null;
    ms = value;
  } else if (typeof value === 'string') {
    const match = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.exec(value);
    if (!match) return null;
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    // Date.parse rolls 2024-02-30 over into March; a phone system never means that.
    if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
    ms = Date.parse(value);
    if (Number.isNaN(ms)) return null;
  } else {
    return null;
  }
  return ms >= EARLIEST_MS && ms < LATEST_MS ? ms : null;
}

/** The step without its optional text fields that are empty or blank (the same as leaving them out); a field the step type does not have stays, to be refused. */
function withoutBlankOptionals(step: Record<string, unknown>, type: StepType): Record<string, unknown> {
  const kept = { ...step };
  for (const field of OPTIONAL_TEXT_FIELDS) {
    if (!(field in STEP_SCHEMAS[type].properties)) continue;
    const value = kept[field];
    if (typeof value === 'string' && value.trim() === '') delete kept[field];
  }
  return kept;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validationError(errors: FieldError[]): AppError {
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new AppError('VALIDATION_FAILED', `${first.field} ${first.detail}${more}`, { errors });
}
