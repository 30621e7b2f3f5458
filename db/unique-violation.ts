/**
 * A write refused by a unique index, on either database. Checks made before
 * an insert ("is this phone taken?") cannot see a row another transaction is
 * writing at the same moment (PostgreSQL runs them side by side); the index
 * is what refuses the second one, and this says that it did.
 */
export function isUniqueViolation(error: unknown): boolean {
  // drizzle wraps the driver's error as the cause of its own.
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") return true;
  }
  return false;
}

/**
 * Runs `work`, and once more when a unique index refused it: the second run's own checks see
 * the row that won. `work` learns which run it is, so a use case whose index settles the common
 * case may skip its checks on the first run and make them only on the second (one round trip
 * less per write on PostgreSQL).
 */
export async function retryOnUniqueViolation<T>(work: (attempt: "first" | "after_violation") => Promise<T>): Promise<T> {
  try {
    return await work("first");
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return work("after_violation");
  }
}
