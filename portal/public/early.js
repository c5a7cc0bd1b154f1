// Runs before the page is drawn (a plain, render-blocking script: the CSP allows no inline one).
// A browser that was signed in sees "Loading…" while the app loads; any other sees the sign-in form
// at once and can type into it. The app (src/early-input.ts) uses the same key.
try {
  if (window.localStorage.getItem('callhook:signed-in') === '1') document.documentElement.classList.add('maybe-signed-in');
} catch {
  document.documentElement.classList.add('maybe-signed-in');
}
