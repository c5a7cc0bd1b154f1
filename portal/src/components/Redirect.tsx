// Screens that only send the person elsewhere, or say there is nothing here.
import { useEffect } from 'react';
import { navigate } from '../router';
import { useTitle } from '../title';

export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function NotFound() {
  useTitle('Page not found');
  return (
    <div className="card">
      <h1>Page not found</h1>
      <p>There is nothing at this address. Use the links above to find your way.</p>
    </div>
  );
}
