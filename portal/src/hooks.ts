// Loading data for a screen: the last good answer stays on screen while a newer one is fetched,
// so a reload or a poll never blanks or shifts what the person is reading.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Problem, Result } from './api/client';

export interface Loaded<T> {
  data: T | null;
  problem: Problem | null;
  /** True only until the first answer; later refreshes happen in the background. */
  loading: boolean;
  /** When the data was last fetched (ms), for "updated at" hints. */
  updatedAt: number | null;
  reload: () => Promise<void>;
  setData: (data: T) => void;
}

export function useLoad<T>(load: () => Promise<Result<T>>, deps: readonly unknown[], options: { pollMs?: number; paused?: boolean } = {}): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; problem: Problem | null; loading: boolean; updatedAt: number | null }>({
    data: null,
    problem: null,
    loading: true,
    updatedAt: null,
  });
  // Answers to an older request (filters changed meanwhile) are dropped.
  const generation = useRef(0);
  const inFlight = useRef(false);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    inFlight.current = true;
    const result = await loadRef.current();
    if (mine !== generation.current) return;
    inFlight.current = false;
    setState((prev) =>
      result.ok
        ? { data: result.data, problem: null, loading: false, updatedAt: Date.now() }
        : { data: prev.data, problem: result.problem, loading: false, updatedAt: prev.updatedAt },
    );
  }, []);

  useEffect(() => {
    setState((prev) => ({ ...prev, loading: prev.data === null }));
    void reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  const { pollMs, paused } = options;
  useEffect(() => {
    if (!pollMs || paused) return;
    const timer = window.setInterval(() => {
      // Skip a tick rather than stack requests behind a slow answer, and rest in a hidden tab.
      if (inFlight.current || document.visibilityState === 'hidden') return;
      void reload();
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [pollMs, paused, reload]);

  const setData = useCallback((data: T) => setState((prev) => ({ ...prev, data, problem: null })), []);
  return { ...state, reload, setData };
}

/**
 * A problem without the errors of `field` (and of the entries inside it): the person changed that
 * field, so what was said about the old value no longer holds. A problem that was only about fields
 * goes once none of them is left.
 */
export function withoutField(problem: Problem | null, field: string): Problem | null {
  if (!problem) return null;
  const entries = Object.entries(problem.fieldErrors);
  const kept = entries.filter(([key]) => key !== field && !key.startsWith(`${field}.`) && !key.startsWith(`${field}[`));
  if (kept.length === entries.length) return problem;
  if (kept.length === 0) return null;
  return { ...problem, fieldErrors: Object.fromEntries(kept) };
}

/** A submit in progress and its problem, for forms. */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  /** Forgets what was said about `field`: call it when the field changes. */
  const clearField = useCallback((field: string) => setProblem((p) => withoutField(p, field)), []);
  /** Runs the call; its problem (if any) is kept for the form to show. */
  const run = useCallback(async <T,>(action: () => Promise<Result<T>>): Promise<Result<T>> => {
    setBusy(true);
    setProblem(null);
    const result = await action();
    setBusy(false);
    if (!result.ok) setProblem(result.problem);
    return result;
  }, []);
  return { busy, problem, setProblem, clearField, run };
}
