// What the server's ids look like (worker/lib/ids.ts): 9 base36 characters of milliseconds, then 12
// random base36 characters. A route parameter that is not one never reaches an API path.
const ID = /^[0-9a-z]{21}$/;

export const isId = (value: string): boolean => ID.test(value);
