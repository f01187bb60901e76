// A fetch tied to a reactive source, without Suspense (a slow preview must not blank the page).
import { createEffect, createSignal, on, onCleanup } from "solid-js";

export function useAsync<S, T>(source: () => S | undefined | null | false, fetcher: (s: S) => Promise<T>) {
  const [value, setValue] = createSignal<T | undefined>();
  const [error, setError] = createSignal<unknown>();
  const [loading, setLoading] = createSignal(false);
  let run = 0;
  const load = (s: S) => {
    const mine = ++run;
    setLoading(true);
    setError(undefined);
    fetcher(s)
      .then((v) => mine === run && setValue(() => v))
      .catch((e) => mine === run && setError(e))
      .finally(() => mine === run && setLoading(false));
  };
  createEffect(
    on(source, (s) => {
      if (s === undefined || s === null || s === false) return;
      load(s);
    }),
  );
  onCleanup(() => run++);
  return {
    value,
    error,
    loading,
    refetch: () => {
      const s = source();
      if (s !== undefined && s !== null && s !== false) load(s);
    },
    set: (v: T) => setValue(() => v),
  };
}
