// The page as index.html shows it before the app's script runs: a plain sign-in form people can
// already type into (or, when this browser was signed in, a loading line). The app takes over what
// was typed and where the caret was, so no keystroke made while it loads is lost.
export interface EarlyInput {
  email: string;
  password: string;
  /** Id of the field that had focus, and its caret. */
  focus: { id: string; start: number | null; end: number | null } | null;
}

/** Reads the static form (if the page still shows it); call right before the app renders over it. */
export function readEarlyInput(): EarlyInput | null {
  const form = document.getElementById('early-signin');
  if (!form) return null;
  const field = (id: string) => document.getElementById(id) as HTMLInputElement | null;
  const active = document.activeElement;
  const focused = active instanceof HTMLInputElement && form.contains(active) ? active : null;
  return {
    email: field('signin-email')?.value ?? '',
    password: field('signin-password')?.value ?? '',
    focus: focused ? { id: focused.id, start: focused.selectionStart, end: focused.selectionEnd } : null,
  };
}

// Whether this browser may have a session. Without one, asking the server would only earn a 401 (an
// error in the console on every visit), so the sign-in form shows at once. public/early.js reads
// the same key to choose between the form and "Loading…" before the app runs.
const KEY = 'callhook:signed-in';

export function maybeSignedIn(): boolean {
  try {
    return window.localStorage.getItem(KEY) === '1';
  } catch {
    return true; // storage blocked: ask the server
  }
}

export function rememberSignedIn(signedIn: boolean): void {
  try {
    if (signedIn) window.localStorage.setItem(KEY, '1');
    else window.localStorage.removeItem(KEY);
  } catch {
    // storage blocked: the next visit asks the server
  }
}
