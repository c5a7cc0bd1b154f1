// What a portal password must be: checked on CALLHOOK_PORTAL_PASSWORD at start-up (here in
// config, which imports nothing else of src) and on every password set through the API or CLI.

/** Where a password is too weak to accept: null when fine. */
export function passwordProblem(password: string): string | null {
  if (password.length < 10) return 'must be at least 10 characters';
  if (password.length > 200) return 'must be at most 200 characters';
  return null;
}
