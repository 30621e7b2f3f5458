/**
 * `npm start`: runs the compiled product (dist/src/main.js), building it first
 * when dist/ is missing or older than the sources (scripts/build-stamp.mjs).
 * Plain JavaScript run by node, so a start compiles nothing when dist/ is up
 * to date, and neither does the live-audio child process it forks.
 *
 * The product is imported into this process rather than started as another
 * one: SIGTERM and SIGINT reach main.ts's shutdown directly, and its exit code
 * is this process's.
 */
import { setFlagsFromString } from "node:v8";
import { pathToFileURL } from "node:url";
import { DIST_MAIN, staleReason } from "./build-stamp.mjs";

// V8 lets the heap grow up to four times what a full collection leaves alive before the next
// one. Under a burst of chats most of that is garbage: bench:bot and bench:whatsapp peaked at
// 340–380 MB RSS on 70 MB alive. At most 1.75 times keeps their peaks and bench:api's near
// 225–235 MB at the same throughput (within the runs' own noise; 1.5 times cost about a tenth
// more CPU per WhatsApp message). Read at each collection, so setting it here, before the
// product allocates anything, is enough. NODE_OPTIONS cannot carry this flag.
setFlagsFromString("--heap-growing-percent=75");

const reason = staleReason();
if (reason !== null) {
  process.stderr.write(`Compilando Prospecta en dist/ (${reason})…\n`);
  try {
    const { build } = await import("./build.mjs");
    const built = await build({ ifStale: true });
    if (built) process.stderr.write(`Compilado en ${built.seconds.toFixed(1)} s.\n`);
  } catch (error) {
    process.stderr.write(`No se pudo compilar: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

// Stack traces name dist/…js. dist/ has source maps, but reading them at every start costs about a tenth
// of it: NODE_OPTIONS=--enable-source-maps npm start, for traces that name src/….ts lines.
await import(pathToFileURL(DIST_MAIN).href);
