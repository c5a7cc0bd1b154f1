// Flag values for the CLI commands: parseArgs gives strings; these turn them into checked numbers
// and lists, or throw a UsageError that the command prints with its usage text.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function numberFlag(
  value: string | undefined,
  name: string,
  fallback: number,
  limits: { min: number; max?: number; integer?: boolean },
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  const integer = limits.integer ?? true;
  const max = limits.max ?? Number.MAX_SAFE_INTEGER;
  if (value.trim() === '' || !Number.isFinite(number) || (integer && !Number.isInteger(number)) || number < limits.min || number > max) {
    const kind = integer ? 'a whole number' : 'a number';
    throw new UsageError(`--${name} must be ${kind} from ${limits.min}${limits.max !== undefined ? ` to ${limits.max}` : ' up'}, not "${value}"`);
  }
  return number;
}

export function listFlag(value: string | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
