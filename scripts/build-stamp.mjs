/**
 * What the compiled product (dist/) is made from, and whether dist/ is still
 * up to date with it. Plain JavaScript with node:fs only: `npm start` asks this
 * on every start, so it must cost milliseconds (a stat per file, no TypeScript).
 *
 * The stamp (dist/.build-stamp.json) lists every input's size and modification
 * time as they were when the build started. dist/ is fresh when the inputs
 * listed now are exactly those: a file changed, added or removed (or restored
 * with an older time) makes it stale.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
export const BUILD_CONFIG = join(ROOT, "tsconfig.build.json");
export const DIST = join(ROOT, "dist");
export const STAMP_NAME = ".build-stamp.json";
/** The product's entry point, compiled. */
export const DIST_MAIN = join(DIST, "src", "main.js");

/** Folders read at run time from next to the code that are not in the source folders: copied into dist/ as they are. */
export const ASSET_DIRS = ["prompts"];

/** The source folders, from tsconfig.build.json's `include` (kept plain JSON so this can read it without TypeScript). */
export function sourceDirs() {
  return JSON.parse(readFileSync(BUILD_CONFIG, "utf8")).include;
}

/** Files outside the folders that change what the build produces. */
const BUILD_FILES = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "scripts/build.mjs", "scripts/build-stamp.mjs"];

function walk(dir, into) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (error.code === "ENOENT") return;
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, into);
    else if (entry.isFile()) into.push(path);
  }
}

/** Every input of the build: relative path → [size, mtimeMs]. */
export function currentInputs() {
  const files = [];
  for (const dir of [...sourceDirs(), ...ASSET_DIRS]) walk(join(ROOT, dir), files);
  for (const file of BUILD_FILES) files.push(join(ROOT, file));
  const inputs = {};
  for (const file of files.sort()) {
    try {
      const stat = statSync(file);
      inputs[relative(ROOT, file)] = [stat.size, stat.mtimeMs];
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
  }
  return inputs;
}

/** Why dist/ must be built again, or null when it is up to date with the sources. */
export function staleReason() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(DIST, STAMP_NAME), "utf8"));
  } catch {
    return "no hay compilación en dist/";
  }
  const built = stamp.inputs ?? {};
  const now = currentInputs();
  for (const [file, [size, mtime]] of Object.entries(now)) {
    const before = built[file];
    if (!before) return `${file} es nuevo`;
    if (before[0] !== size || before[1] !== mtime) return `${file} cambió`;
  }
  for (const file of Object.keys(built)) if (!(file in now)) return `${file} ya no existe`;
  return null;
}
