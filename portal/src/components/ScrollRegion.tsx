// A box that may scroll (a wide table, a long body): while it does, it is a named region that takes
// keyboard focus, so it can be scrolled without a mouse (WCAG 2.1.1; axe's scrollable-region-focusable).
import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';

function useScrolls<E extends HTMLElement>() {
  const ref = useRef<E>(null);
  const [scrolls, setScrolls] = useState(false);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    check();
    const observer = new ResizeObserver(check);
    observer.observe(el);
    for (const child of Array.from(el.children)) observer.observe(child);
    return () => observer.disconnect();
  }, []);
  return { ref, focusable: scrolls ? { tabIndex: 0, role: 'region' as const } : {} };
}

export function ScrollRegion({ label, className = 'table-wrap', children }: { label: string; className?: string; children: ReactNode }) {
  const { ref, focusable } = useScrolls<HTMLDivElement>();
  return (
    <div ref={ref} className={className} aria-label={'role' in focusable ? label : undefined} {...focusable}>
      {children}
    </div>
  );
}

/** Preformatted text (a request or response body) that scrolls past its maximum height. */
export function ScrollPre({ label, className = 'body', children }: { label: string; className?: string; children: ReactNode }) {
  const { ref, focusable } = useScrolls<HTMLPreElement>();
  return (
    <pre ref={ref} className={className} aria-label={'role' in focusable ? label : undefined} {...focusable}>
      {children}
    </pre>
  );
}
