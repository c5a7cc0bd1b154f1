// Each screen names itself in the document title ("Deliveries · New Company · callhook"): what a
// browser tab, the history list and a screen reader announce after a page change.
import { useEffect } from 'react';

export function useTitle(...parts: Array<string | null | undefined>): void {
  const title = [...parts.filter((p): p is string => !!p), 'callhook'].join(' · ');
  useEffect(() => {
    document.title = title;
  }, [title]);
}
