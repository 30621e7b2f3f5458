/**
 * Compiles the product to JavaScript in dist/ (`npm run build`, and `npm start`
 * when dist/ is missing or stale), so starting it costs no TypeScript
 * compilation. Plain JavaScript, run by node: `npm start` calls it without tsx.
 *
 * Each file of tsconfig.build.json is compiled on its own by TypeScript
 * (transpileModule): the config has isolatedModules and verbatimModuleSyntax,
 * so that is exactly what a whole-program emit would write, in seconds
 * instead of the half minute a type-checked one takes. Type errors are `npm run typecheck`'s job (and
 * `npm run build` runs it first); `npm start` builds without it, as tsx ran
 * the sources without it.
 *
 * The sources import each other without extensions ("./config", "../bot"),
 * which tsx and the Bundler resolution accept but Node's ESM loader does not:
 * the compiled imports are rewritten to the files they name ("./config.js",
 * "../bot/index.js"), and so is a path into a package that does not map its
 * paths itself. An import that names no file fails the build.
 *
 * Files read at run time from next to the code (the SQL migrations and their
 * journals, prompts/) are copied to the same places under dist/, so paths
 * built from import.meta.url find them there as they do in the sources.
 *
 * The new build is written beside dist/ and moved into place at the end, under
 * a lock: dist/ is never half written, and of two starts that find it stale
 * at once, one builds and the other waits for it.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ASSET_DIRS, BUILD_CONFIG, DIST, ROOT, STAMP_NAME, currentInputs, sourceDirs, staleReason } from "./build-stamp.mjs";

/**
 * Builds dist/; resolves with what it compiled, or null when `ifStale` and another process had just built it.
 * Throws (and leaves dist/ as it was) on an error.
 */
export async function build({ ifStale = false } = {}) {
  const started = performance.now();
  const release = await lockBuild();
  try {
    if (ifStale && staleReason() === null) return null;
    return await buildLocked(started);
  } finally {
    release();
  }
}

async function buildLocked(started) {
  // Before compiling: a source saved during the build makes the next start build again.
  const inputs = currentInputs();
  const { default: ts } = await import("typescript").catch((error) => {
    if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new Error("TypeScript is not installed (an install without dev dependencies?): run `npm ci`, or build dist/ where it is");
  });
  const config = ts.getParsedCommandLineOfConfigFile(BUILD_CONFIG, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(ts, [d]) });
  if (config.errors.length > 0) fail(ts, config.errors);

  // Under the lock, no other build is using them: what is left there was a build interrupted (Ctrl-C).
  for (const entry of readdirSync(ROOT)) if (/^dist\.(building|old)-\d+$/.test(entry)) rmSync(join(ROOT, entry), { recursive: true, force: true });
  const out = `${DIST}.building-${process.pid}`;
  try {
    for (const file of config.fileNames) compileFile(ts, file, config.options, out);
    copyRunTimeFiles(out);
    writeFileSync(join(out, STAMP_NAME), `${JSON.stringify({ builtAt: new Date().toISOString(), inputs })}\n`);
    moveIntoPlace(out);
  } catch (error) {
    rmSync(out, { recursive: true, force: true });
    throw error;
  }
  return { modules: config.fileNames.length, seconds: (performance.now() - started) / 1000 };
}

function compileFile(ts, file, options, out) {
  const source = ts.sys.readFile(file);
  if (source === undefined) throw new Error(`cannot read ${file}`);
  const target = join(out, relative(ROOT, file)).replace(/\.(m|c)?tsx?$/, (ext) => ext.replace("t", "j").replace("x", ""));
  const result = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: { ...options, noEmit: false, sourceMap: true, inlineSourceMap: false, declaration: false },
    reportDiagnostics: true,
    transformers: { after: [rewriteImports(ts, file)] },
  });
  if (result.diagnostics?.length) fail(ts, result.diagnostics);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, result.outputText);
  // The map names the source as a path from the compiled file (the same from dist/, a sibling of `out`),
  // so stack traces point to src/….ts.
  const map = JSON.parse(result.sourceMapText);
  map.sources = [relative(dirname(target), file)];
  writeFileSync(`${target}.map`, JSON.stringify(map));
}

/** The file an import names, as Node's ESM loader needs it: with its extension, or the folder's index.js. */
function resolvedSpecifier(fromFile, specifier) {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return packageFileSpecifier(fromFile, specifier);
  const ext = extname(specifier);
  if ([".js", ".mjs", ".cjs", ".json", ".node"].includes(ext)) return specifier;
  if ([".ts", ".mts", ".cts"].includes(ext)) return specifier.slice(0, -ext.length) + ext.replace("t", "j");
  const base = resolve(dirname(fromFile), specifier);
  if (existsSync(`${base}.ts`)) return `${specifier}.js`;
  if (existsSync(join(base, "index.ts"))) return `${specifier.replace(/\/$/, "")}/index.js`;
  throw new Error(`${relative(ROOT, fromFile)}: cannot resolve the import "${specifier}" to a source file`);
}

/**
 * A path inside a package ("googleapis/build/src/apis/calendar") is left to Node when the package maps its
 * paths (`exports`); without that map Node's ESM loader wants the file itself, so it is named as
 * require.resolve finds it ("googleapis/build/src/apis/calendar/index.js").
 */
function packageFileSpecifier(fromFile, specifier) {
  if (isBuiltin(specifier) || specifier.startsWith("#")) return specifier;
  const parts = specifier.split("/");
  const nameLength = specifier.startsWith("@") ? 2 : 1;
  if (parts.length <= nameLength) return specifier;
  const name = parts.slice(0, nameLength).join("/");
  const packageDir = findPackageDir(dirname(fromFile), name);
  if (!packageDir) throw new Error(`${relative(ROOT, fromFile)}: cannot find the package of "${specifier}"`);
  if (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).exports !== undefined) return specifier;
  const file = createRequire(fromFile).resolve(specifier);
  return `${name}/${relative(packageDir, file).split(sep).join("/")}`;
}

function findPackageDir(from, name) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

function rewriteImports(ts, fromFile) {
  return (context) => {
    const { factory } = context;
    const literal = (node) => (node && ts.isStringLiteral(node) ? factory.createStringLiteral(resolvedSpecifier(fromFile, node.text)) : undefined);
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        return factory.updateImportDeclaration(node, node.modifiers, node.importClause, literal(node.moduleSpecifier), node.attributes);
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        return factory.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, literal(node.moduleSpecifier), node.attributes);
      }
      // import("./agents/llm-agent"): loaded only when needed, rewritten the same way.
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0])) {
        const [specifier, ...rest] = node.arguments;
        return factory.updateCallExpression(node, node.expression, node.typeArguments, [literal(specifier), ...rest.map((arg) => ts.visitNode(arg, visit))]);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return (sourceFile) => ts.visitNode(sourceFile, visit);
  };
}

/** Everything in the source folders that is not TypeScript (SQL migrations, their journals), and the asset folders. */
function copyRunTimeFiles(out) {
  for (const dir of sourceDirs()) {
    const from = join(ROOT, dir);
    if (!existsSync(from)) continue;
    cpSync(from, join(out, dir), { recursive: true, filter: (path) => !/\.(m|c)?tsx?$/.test(path) });
  }
  for (const dir of ASSET_DIRS) cpSync(join(ROOT, dir), join(out, dir), { recursive: true });
}

/**
 * One build at a time (two instances started together, `npm run build` during a start): the others wait,
 * then find dist/ fresh. A lock left by a process that died is taken over.
 */
async function lockBuild() {
  const lock = `${DIST}.lock`;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    let holder;
    try {
      holder = Number(readFileSync(lock, "utf8"));
    } catch {
      continue; // released meanwhile
    }
    // (Empty for a moment, while its holder writes its pid.)
    const abandoned = holder > 0 ? !isAlive(holder) : Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 5_000;
    if (abandoned) {
      rmSync(lock, { force: true });
      continue;
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

function isAlive(pid) {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function moveIntoPlace(out) {
  const old = `${DIST}.old-${process.pid}`;
  try {
    renameSync(DIST, old);
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
  }
  renameSync(out, DIST);
  rmSync(old, { recursive: true, force: true });
}

function fail(ts, diagnostics) {
  const host = { getCanonicalFileName: (name) => name, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" };
  throw new Error(ts.formatDiagnostics(diagnostics, host));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { modules, seconds } = await build();
    console.log(`${basename(DIST)}/: ${modules} modules compiled in ${seconds.toFixed(1)} s`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
