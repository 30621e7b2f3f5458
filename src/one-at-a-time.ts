/**
 * Runs the work given to it one piece at a time, in the order given: each
 * starts once the one before settled, and a failure is its own caller's alone
 * (the next piece still runs).
 */
export function oneAtATime() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => T | Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };
}
