/**
 * One counter of a service's `stats()` (a `Record<string, number>`). A name the
 * service does not report fails the test here, instead of comparing
 * `undefined` (always false) in an assertion that then says nothing useful.
 */
export function counter(stats: Readonly<Record<string, number>>, name: string): number {
  const value = stats[name];
  if (value === undefined) throw new Error(`no counter "${name}" in stats (${Object.keys(stats).join(', ')})`);
  return value;
}
