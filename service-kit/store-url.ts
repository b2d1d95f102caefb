// Where a store lives is given as one string: a file path (SQLite, the
// embedded default) or a postgres:// URL (a city's shared database). Kept
// apart from service-kit/postgres.ts so deciding does not load pg.

/** True for postgres:// and postgresql:// URLs (any case). */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}
