/**
 * What a bench passes to the product process when someone investigates it:
 * BENCH_PRODUCT_NODE_OPTIONS (e.g. --import of a statement counter or a GC
 * observer) and BENCH_PRODUCT_ENV ("NAME=value NAME=value", e.g.
 * DATABASE_POOL_SIZE=4). Empty in a plain run. startBenchProduct passes
 * them to every bench's product, after the bench's own settings.
 */
export function productEnvFromBench(): Record<string, string> {
  const pairs = (process.env.BENCH_PRODUCT_ENV ?? "").split(/\s+/).filter(Boolean);
  const env = Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
  return { ...env, ...(process.env.BENCH_PRODUCT_NODE_OPTIONS && { NODE_OPTIONS: process.env.BENCH_PRODUCT_NODE_OPTIONS }) };
}
