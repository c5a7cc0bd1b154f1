// Reads an ingest request body into call steps, or says exactly what is wrong and where
// (`steps[1].topics`). One bad item rejects the whole request.
import type { ValidateFunction } from 'ajv';
import { STEP_TYPES, type StepType } from '../../calls/call.ts';
import { isPhoneNumberLike, isWithheld } from '../../calls/phone-number.ts';
import type { CallStep } from '../../calls/steps.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { fieldErrors, strictAjv } from '../../json-schema.ts';
import { MAX_STEPS_PER_REQUEST, STEP_SCHEMAS } from './schema.ts';

const validators = Object.fromEntries(
  Object.entries(STEP_SCHEMAS).map(([type, schema]) => [type, strictAjv.compile(schema)]),
) as Record<StepType, ValidateFunction>;

export function parseIngestBody(body: unknown): CallStep[] {
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
    const step = parseStep(value, path, errors);
    if (step) steps.push(step);
  }
  if (errors.length > 0) throw validationError(errors);
  return steps;
}

function parseStep(value: unknown, path: string, errors: FieldError[]): CallStep | null {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  if (!isObject(value)) {
    errors.push({ field: path || '(body)', detail: 'must be an object' });
    return null;
  }
  const type = value.type;
  if (typeof type !== 'string' || !(STEP_TYPES as readonly string[]).includes(type)) {
    errors.push({ field: at('type'), detail: `must be one of ${STEP_TYPES.map((t) => `"${t}"`).join(', ')}` });
    return null;
  }
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
    if (ms === null) errors.push({ field: at(field), detail: 'must be ISO 8601 with a time zone (2024-10-23T13:56:24.969Z) or epoch milliseconds' });
    else step[field] = ms;
  }
  for (const field of ['from', 'to'] as const) {
    const raw = step[field];
    if (typeof raw !== 'string') continue;
    if (!isPhoneNumberLike(raw)) errors.push({ field: at(field), detail: `"${raw}" is not a phone number (digits with an optional leading +, or "anonymous")` });
    else if (isWithheld(raw)) step[field] = 'anonymous';
  }
  if (type === 'recording' && !isHttpUrl(String(step.url))) {
    errors.push({ field: at('url'), detail: 'must be an absolute http or https URL' });
  }
  return errors.length === before ? (step as unknown as CallStep) : null;
}

/** ISO 8601 with an explicit zone, or epoch milliseconds. */
export function parseTime(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
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
