/**
 * @module dashboard/hooks
 * Small hooks shared by the views: reading the live store, loading server data without
 * flicker or stale answers, and throttling refetches driven by the live stream.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { LiveState, LiveStore } from "./live/store.ts";

/**
 * The store's state, re-rendering on its (per-animation-frame) notifications; with `throttleMs`
 * at most once per that interval (the trailing update is never lost).
 */
export function useLiveState(store: LiveStore, throttleMs = 0): LiveState {
  const [state, setState] = useState(store.get());
  useEffect(() => {
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const publish = () => {
      timer = undefined;
      last = Date.now();
      setState(store.get());
    };
    const unsubscribe = store.subscribe(() => {
      const wait = last + throttleMs - Date.now();
      if (wait <= 0) publish();
      else timer ??= setTimeout(publish, wait);
    });
    setState(store.get());
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [store, throttleMs]);
  return state;
}

function shallowEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Part of the store's state; re-renders only when the selected value changes (shallowly). */
export function useLiveSelect<T>(store: LiveStore, select: (s: LiveState) => T): T {
  const [value, setValue] = useState(() => select(store.get()));
  const selectRef = useRef(select);
  selectRef.current = select;
  useEffect(() => {
    const update = () => {
      const next = selectRef.current(store.get());
      setValue((prev) => (shallowEqual(prev, next) ? prev : next));
    };
    update();
    return store.subscribe(update);
  }, [store]);
  return value;
}

/** `value`, but changing at most once per `ms` (trailing edge): for refetches driven by a busy stream. */
export function useThrottled<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const wait = last.current + ms - Date.now();
    const apply = () => {
      last.current = Date.now();
      setCurrent(value);
    };
    if (wait <= 0) {
      apply();
      return;
    }
    const timer = setTimeout(apply, wait);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return current;
}

export interface Request<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload(): void;
}

/**
 * Runs `load` whenever `deps` change (or `reload` is called). The previous data stays on screen
 * while a new request runs, and answers that arrive after a newer request started are dropped.
 */
export function useRequest<T>(load: () => Promise<T>, deps: unknown[]): Request<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const id = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => id === latest.current && setState({ data, loading: false }),
      (error: Error) => id === latest.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    // `load` is recreated each render; the caller's deps say when it really changed.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** The current time, refreshed every `ms` (for "5s ago" labels and periodic refetches). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
