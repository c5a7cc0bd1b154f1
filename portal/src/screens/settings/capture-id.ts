/** A HEP capture id as typed: "" → undefined; digits → number; anything else stays text so the form can say what is wrong. */
export function parseCaptureId(text: string): number | undefined | string {
  const t = text.trim();
  if (!t) return undefined;
  return /^\d+$/.test(t) ? Number(t) : t;
}
