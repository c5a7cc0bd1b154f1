// Reads the service's own OpenAPI document and derives, for each operation, requests to send
// (a minimal valid one, then invalid ones: wrong types, missing and unknown fields, too long
// strings, a body too large or not JSON, bad path and query parameters) and checks an answer
// against what the document says: a documented status, its content type, its schema (ajv).
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type Schema = Record<string, any>;

export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

export interface Operation {
  parameters?: Array<{ in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema: Schema }>;
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
}

export interface Op {
  method: string;
  path: string;
  /** `METHOD /path/{param}` as in the document: names the operation in messages and tables. */
  name: string;
  operation: Operation;
}

export function operationsOf(doc: OpenApiDoc): Op[] {
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({ method: method.toUpperCase(), path, name: `${method.toUpperCase()} ${path}`, operation })),
  );
}

/** The request an input case makes: path parameters, query, and a body (JSON value or raw text). */
export interface Input {
  label: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body?: { json: unknown } | { raw: string | Uint8Array; contentType: string } | { none: true };
}

/** What makes up a valid value where the schema alone does not say (a URL that is reachable…). */
export interface Hints {
  /** A value for a property of this name, or undefined to derive one from its schema. */
  property(name: string, schema: Schema, serial: number): unknown;
}

let serial = 0;

/** The smallest value the schema accepts: required properties only, the first of a union or enum. */
export function sample(schema: Schema, doc: OpenApiDoc, hints: Hints, name = ''): unknown {
  schema = resolve(schema, doc);
  const n = ++serial;
  const hinted = name ? hints.property(name, schema, n) : undefined;
  if (hinted !== undefined) return hinted;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return sample(union.find((branch: Schema) => branch.type !== 'null') ?? union[0], doc, hints, name);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) out[key] = sample(schema.properties?.[key] ?? {}, doc, hints, key);
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sample(schema.items ?? {}, doc, hints, name));
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, Math.min(1, schema.maximum ?? 1));
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return stringFor(schema, n);
  }
}

const patternCheck = new Ajv2020({ strict: false, unicodeRegExp: true });

function stringFor(schema: Schema, n: number): string {
  if (schema.format === 'email') return `walk-${n}@example.com`;
  if (schema.format === 'date-time') return new Date(Date.UTC(2026, 0, 1)).toISOString();
  if (schema.format === 'uri') return `https://example.com/${n}`;
  const candidates = [`walk${n}`, `${n}`, `+3185${String(n).padStart(7, '0')}`, '09:00', 'NL', 'whsec_' + 'A'.repeat(32)];
  // The document's own patterns, checked the way the server checks them (ajv), not compiled here.
  const fitsPattern = schema.pattern ? patternCheck.compile({ type: 'string', pattern: schema.pattern }) : () => true;
  const fits = candidates.find((c) => fitsPattern(c) && c.length >= (schema.minLength ?? 0) && c.length <= (schema.maxLength ?? Infinity));
  return fits ?? 'x'.repeat(Math.max(1, schema.minLength ?? 1));
}

export function resolve(schema: Schema, doc: OpenApiDoc): Schema {
  const ref = schema?.$ref as string | undefined;
  if (!ref) return schema ?? {};
  return resolve(doc.components.schemas[ref.replace('#/components/schemas/', '')]!, doc);
}

/** A value of another JSON type than the schema wants. */
function wrongType(schema: Schema): unknown {
  const types = new Set([schema.type, ...(schema.anyOf ?? schema.oneOf ?? []).map((b: Schema) => b.type)].flat().filter(Boolean));
  if (schema.enum) return 12345;
  for (const candidate of [12345, 'not-the-right-type', true, ['a', 'list'], { an: 'object' }]) {
    const kind = Array.isArray(candidate) ? 'array' : typeof candidate === 'number' ? 'number' : typeof candidate;
    if (!types.has(kind) && !(kind === 'number' && types.has('integer'))) return candidate;
  }
  return null;
}

/** Just past what the schema allows, or very long where it sets no limit (a column, an index…). */
function tooLong(schema: Schema, unbounded = 20_000): unknown {
  const type = schema.type ?? (schema.anyOf ?? []).map((b: Schema) => b.type).find((t: string) => t !== 'null');
  const inner = schema.anyOf?.find((b: Schema) => b.type === type) ?? schema;
  if (type === 'string' && !inner.enum && !inner.pattern) return 'x'.repeat((inner.maxLength ?? unbounded) + 1);
  if (type === 'array') return Array.from({ length: (inner.maxItems ?? 1_000) + 1 }, (_, i) => (inner.items?.type === 'integer' ? i + 1 : `x${i}`));
  if (type === 'integer' || type === 'number') return inner.maximum === undefined ? Number.MAX_SAFE_INTEGER : inner.maximum + 1;
  return undefined;
}

function isString(schema: Schema): boolean {
  return schema.type === 'string' || (schema.anyOf ?? []).some((branch: Schema) => branch.type === 'string');
}

/** The valid input first, then the invalid ones derived from the operation's schemas. */
export function inputsFor(op: Op, doc: OpenApiDoc, valid: Input): Input[] {
  const inputs: Input[] = [valid];
  const pathParams = (op.operation.parameters ?? []).filter((p) => p.in === 'path');
  const queryParams = (op.operation.parameters ?? []).filter((p) => p.in === 'query');
  for (const param of pathParams) {
    for (const [label, value] of [['unknown', 'no-such-thing'], ['too long', 'x'.repeat(300)], ['not decodable', '%E0%A4%A'], ['with a NUL', '%00x']] as const) {
      inputs.push({ ...valid, label: `path ${param.name} ${label}`, params: { ...valid.params, [param.name]: value } });
    }
  }
  for (const param of queryParams) {
    const schema = resolve(param.schema, doc);
    for (const [label, value] of [['wrong type', wrongType(schema)], ['too long', tooLong(schema, 4_000)], ['empty', ''], ['with a NUL', 'a\u0000b']] as const) {
      if (value === undefined || value === null) continue;
      inputs.push({ ...valid, label: `query ${param.name} ${label}`, query: { ...valid.query, [param.name]: typeof value === 'string' ? value : JSON.stringify(value) } });
    }
  }
  const bodySchema = op.operation.requestBody?.content['application/json']?.schema;
  if (!bodySchema && op.operation.requestBody) {
    // A file as the body (a recording): none at all, and what is not one.
    inputs.push({ ...valid, label: 'no body', body: { none: true } });
    inputs.push({ ...valid, label: 'body not a file of the kind', body: { raw: '<html>not audio</html>', contentType: Object.keys(op.operation.requestBody.content)[0]! } });
    inputs.push({ ...valid, label: 'body as JSON', body: { raw: '{"a": 1}', contentType: 'application/json' } });
    return inputs;
  }
  if (!bodySchema) return inputs;
  const schema = resolve(bodySchema, doc);
  const validBody = valid.body && 'json' in valid.body ? (valid.body.json as Record<string, unknown>) : {};
  const body = (label: string, json: unknown): Input => ({ ...valid, label, body: { json } });
  inputs.push({ ...valid, label: 'no body', body: { none: true } });
  inputs.push({ ...valid, label: 'body not JSON', body: { raw: '{"broken": ', contentType: 'application/json' } });
  inputs.push({ ...valid, label: 'body as text/plain', body: { raw: 'hello', contentType: 'text/plain' } });
  inputs.push({ ...valid, label: 'body as a form', body: { raw: 'a=1', contentType: 'application/x-www-form-urlencoded' } });
  inputs.push(body('body over 1 MiB', { padding: 'x'.repeat(1_100_000) }));
  inputs.push(body('body an array', [validBody]));
  inputs.push(body('body null', null));
  if (schema.type !== 'object') return inputs;
  if ((schema.required ?? []).length > 0) inputs.push(body('required fields missing', {}));
  inputs.push(body('unknown field', { ...validBody, notAField: 1 }));
  for (const [key, propSchema] of Object.entries<Schema>(schema.properties ?? {})) {
    const prop = resolve(propSchema, doc);
    inputs.push(body(`${key} wrong type`, { ...validBody, [key]: wrongType(prop) }));
    const long = tooLong(prop);
    if (long !== undefined) inputs.push(body(`${key} too long`, { ...validBody, [key]: long }));
    // PostgreSQL text cannot hold U+0000: a store that passes it on fails, it must be refused first.
    if (isString(prop)) inputs.push(body(`${key} with a NUL`, { ...validBody, [key]: 'a\u0000b' }));
  }
  return inputs;
}

/** ajv (JSON Schema 2020-12, as OpenAPI 3.1) over the document's schemas, compiled once each. */
export function responseChecker(doc: OpenApiDoc) {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true, validateSchema: false }));
  // The document's `#/components/schemas/X` as schemas of their own.
  const rename = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(rename)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', 'urn:components:') : rename(v)]))
        : value;
  for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema({ ...(rename(schema) as Schema), $id: `urn:components:${name}` });
  const compiled = new Map<Schema, ReturnType<typeof ajv.compile>>();
  const validator = (schema: Schema) => {
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(rename(schema) as Schema)));
    return validate;
  };

  /** What is wrong with an answer to `op`, or null when it is as documented. */
  return (op: Op, status: number, contentType: string | null, text: string): string | null => {
    if (status >= 500) return `answered ${status}: ${text.slice(0, 300)}`;
    const documented = op.operation.responses[String(status)];
    if (!documented) return `answered ${status}, which is not documented (documented: ${Object.keys(op.operation.responses).join(', ')}): ${text.slice(0, 300)}`;
    if (!documented.content) return text === '' ? null : `answered ${status} with a body where none is documented: ${text.slice(0, 200)}`;
    const type = (contentType ?? '').split(';')[0]!.trim();
    const media = documented.content[type];
    if (!media) return `answered ${status} as ${type || '(no content type)'}, documented as ${Object.keys(documented.content).join(', ')}: ${text.slice(0, 200)}`;
    // A file (a recording) is what it says it is; its schema is `format: binary`.
    if (!type.endsWith('json')) return media.schema?.format === 'binary' && text.length > 0 ? null : `answered ${status} as ${type} with ${text.length === 0 ? 'no body' : 'a body not documented as a file'}`;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return `answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`;
    }
    const validate = validator(media.schema);
    if (validate(body)) return null;
    return `answered ${status} with a body its schema refuses: ${ajv.errorsText(validate.errors)} — ${text.slice(0, 300)}`;
  };
}
