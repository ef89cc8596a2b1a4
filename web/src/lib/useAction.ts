import { type FormEvent, useCallback, useState } from 'react';

export interface Action {
  /** true while `run` is waiting for its function */
  busy: boolean;
  /** what the last run threw (undefined once a new run starts) */
  error: unknown;
  setError(error: unknown): void;
  /** Clears the error, marks busy, runs `fn` and keeps what it throws for <ErrorMessage>. */
  run(fn: () => Promise<void>): Promise<void>;
  /** A form's onSubmit: runs `fn` instead of the browser's submit. */
  submit(fn: () => Promise<void>): (event: FormEvent) => void;
}

/** The busy flag and failure of one user action (a form submit or a button). */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  const submit = useCallback(
    (fn: () => Promise<void>) => (event: FormEvent) => {
      event.preventDefault();
      void run(fn);
    },
    [run],
  );
  return { busy, error, setError, run, submit };
}
