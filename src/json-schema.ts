// JSON Schema validation shared by the API and the sources: bodies are validated strictly (an
// unknown field is an error, nothing is coerced or stripped); query strings are coerced.
import { Ajv, type ErrorObject } from 'ajv';
import { Type, type TSchema } from 'typebox';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from './errors.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export const strictAjv = addFormats(new Ajv({ allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: false, strict: false }));
export const coercingAjv = addFormats(new Ajv({ allErrors: true, removeAdditional: false, coerceTypes: true, useDefaults: true, strict: false }));

/** A string from a fixed list (a plain `enum`, which reads better in errors than a union of literals). */
export const Enum = <T extends string>(values: readonly T[], options: { description?: string; default?: T } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Ajv errors as `{field, detail}` with readable paths: `steps[1].topics`. */
export function fieldErrors(errors: ErrorObject[] | null | undefined, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors ?? []) {
    // anyOf/oneOf summaries repeat what their branches said.
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'if') continue;
    let path = pointerToPath(error.instancePath);
    let detail = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') {
      path = join(path, String(error.params.additionalProperty));
      detail = 'is not a known field';
    } else if (error.keyword === 'required') {
      path = join(path, String(error.params.missingProperty));
      detail = 'is required';
    } else if (error.keyword === 'enum') {
      detail = `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const field = join(prefix, path) || '(body)';
    if (!out.some((e) => e.field === field && e.detail === detail)) out.push({ field, detail });
  }
  return out;
}

function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : join(path, part)), '');
}

function join(path: string, part: string): string {
  if (!path) return part;
  if (!part) return path;
  return part.startsWith('[') ? path + part : `${path}.${part}`;
}
