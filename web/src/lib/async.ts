// A fetch tied to a reactive source, without Suspense (a slow preview must not blank the page).
// createResource keeps only the latest request's answer; the value is read from our own signal
// (its `storage`), which neither suspends nor throws after a failed refetch: the last value stays.
import { createResource, createSignal } from "solid-js";

export function useAsync<S, T>(source: () => S | undefined | null | false, fetcher: (s: S) => Promise<T>) {
  const [value, setValue] = createSignal<T | undefined>();
  const [resource, { refetch, mutate }] = createResource(source, fetcher, { storage: () => [value, setValue] });
  return {
    value,
    error: () => resource.error as unknown,
    loading: () => resource.loading,
    refetch: () => void refetch(),
    set: (v: T) => mutate(() => v),
  };
}
