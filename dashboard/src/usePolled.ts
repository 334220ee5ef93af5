// Data a view fetches, fetched again when the store changes (at most once per `minMs`) so that it
// follows the host live without a request per event.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api/client.js";
import { useStore } from "./store.js";

/** What a fetch gave: the value, or the error code and message it failed with. */
export interface Polled<T> {
  /** The latest answer (kept while a later fetch fails, so the page does not go blank). */
  value: T | null;
  /** Why the latest fetch failed; "" when it did not. */
  error: string;
  /** Fetches now (after a control, say). */
  reload: () => void;
}

/**
 * Fetches `load()` now, whenever `key` changes, and again after store changes, at most once per
 * `minMs` (default 1 000 ms). Only the answer to the latest request is kept: a slow earlier one
 * arriving after it is dropped.
 */
export function usePolled<T>(load: () => Promise<T>, key: string, minMs = 1_000): Polled<T> {
  const s = useStore();
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState("");
  const last = useRef(0);
  const timer = useRef(0);
  const asked = useRef(0);
  const latestLoad = useRef(load);
  latestLoad.current = load;
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    setValue(null);
    setError("");
    last.current = 0;
  }, [key]);

  useEffect(() => {
    const run = (): void => {
      last.current = Date.now();
      const request = ++asked.current;
      latestLoad.current().then(
        (v) => {
          if (request !== asked.current) return;
          setValue(v);
          setError("");
        },
        (e: unknown) => {
          if (request !== asked.current) return;
          setError(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e));
        },
      );
    };
    const wait = last.current + minMs - Date.now();
    if (wait <= 0) run();
    else if (timer.current === 0)
      timer.current = window.setTimeout(() => {
        timer.current = 0;
        run();
      }, wait);
  }, [key, nonce, s.revision]);

  useEffect(() => () => clearTimeout(timer.current), []);
  return { value, error, reload: () => setNonce((n) => n + 1) };
}
