/**
 * Finds promises that are created but not handled.
 *
 * The product moved from synchronous to asynchronous database access. A call
 * that used to run at once now returns a promise, and a promise nobody awaits
 * is a bug that type-checks: inside a transaction it writes outside it or after
 * the commit, and if it rejects the error is dropped (or crashes the process as
 * an unhandled rejection). tsc says nothing about these, so this script uses the
 * type checker to list them:
 *
 *  1. a promise in statement position, its value discarded (also through
 *     `a && b()`, `a ?? b()`, `c ? b() : d`), unless it is `void`-ed, awaited,
 *     assigned, or its outermost call is `.catch(handler)` or
 *     `.then(onFulfilled, onRejected)`;
 *  2. a promise in a boolean position (the condition of if/while/for/`?:`, the
 *     operand of `!`, `&&`, `||`): always truthy, an `await` is missing;
 *  3. a function returning a promise passed where the parameter is a function
 *     returning exactly `void` (`items.forEach(async (x) => ...)`): the caller
 *     neither waits for it nor sees its error. A parameter whose return type is
 *     a union (`void | Promise<void>`, ...) is taken to handle promises;
 *  4. an array of promises in statement position (`items.map(async ...)`).
 *
 * Usage:
 *   npx tsx scripts/check-floating-promises.ts [path-prefix ...]
 *
 * Reads ./tsconfig.json, checks every file of the program (those the config
 * includes and those they import, without node_modules and .d.ts files), prints
 * `path:line:col message` lines sorted (paths relative to the current
 * directory) and a count on stderr, and exits 1 if there are any, else 0 (2 if
 * tsconfig.json cannot be read). Path prefixes (`src/services db`) restrict the
 * report to those files; one that matches no file gets a warning.
 */
import path from "node:path";
import ts from "typescript";

const MESSAGES = {
  floating: "floating promise: its value is discarded (await it, return it, handle it with .catch(...), or mark it with void)",
  floatingArray: "array of promises discarded (await Promise.all(...) on it?)",
  condition: "promise in a boolean position is always truthy (missing await?)",
  voidCallback: "async callback where a void function is expected (nobody awaits it or sees its error)",
} as const;

interface Finding {
  file: string;
  line: number;
  col: number;
  message: string;
}

function loadProgram(cwd: string): ts.Program {
  const configPath = path.join(cwd, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) fail([read.error]);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configPath), undefined, configPath);
  if (parsed.errors.length > 0) fail(parsed.errors);
  return ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    ...(parsed.projectReferences ? { projectReferences: parsed.projectReferences } : {}),
  });
}

function fail(diagnostics: readonly ts.Diagnostic[]): never {
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => "\n",
  };
  process.stderr.write(ts.formatDiagnostics(diagnostics, host));
  process.exit(2);
}

/** The CLI arguments as prefixes of relative paths: a directory stands for the files under it. */
function pathPrefixes(cwd: string, args: readonly string[]): string[] {
  return args.map((arg) => {
    const relative = path.relative(cwd, path.resolve(cwd, arg)).split(path.sep).join("/");
    const isDir = ts.sys.directoryExists(path.resolve(cwd, arg));
    return isDir && relative !== "" ? `${relative}/` : relative;
  });
}

function main(): void {
  const cwd = process.cwd();
  const args = process.argv.slice(2);
  const prefixes = pathPrefixes(cwd, args);
  const matched = new Set<number>();
  const wanted = (file: string): boolean => {
    if (prefixes.length === 0) return true;
    let any = false;
    prefixes.forEach((p, i) => {
      if (p === "" || file.startsWith(p)) {
        matched.add(i);
        any = true;
      }
    });
    return any;
  };
  const program = loadProgram(cwd);
  const checker = program.getTypeChecker();
  const findings: Finding[] = [];

  const unionParts = (type: ts.Type): readonly ts.Type[] => (type.isUnion() ? type.types : [type]);

  function isThenablePart(type: ts.Type, at: ts.Node): boolean {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never)) return false;
    if (type.flags & ts.TypeFlags.TypeParameter) {
      const constraint = checker.getBaseConstraintOfType(type);
      return constraint !== undefined && isThenable(constraint, at);
    }
    const then = checker.getPropertyOfType(type, "then");
    if (!then) return false;
    const thenType = checker.getTypeOfSymbolAtLocation(then, at);
    return unionParts(thenType).some((p) => p.getCallSignatures().length > 0);
  }

  /** The value may be a promise: some part of the type has a callable `then`. */
  function isThenable(type: ts.Type, at: ts.Node): boolean {
    return unionParts(type).some((p) => isThenablePart(p, at));
  }

  /** The value is a promise whatever it holds: every part of the type is thenable. */
  function isAlwaysThenable(type: ts.Type, at: ts.Node): boolean {
    const parts = unionParts(type);
    return parts.length > 0 && parts.every((p) => isThenablePart(p, at));
  }

  function isArrayOfPromises(type: ts.Type, at: ts.Node): boolean {
    return unionParts(type).some((t) => {
      if (checker.isTupleType(t)) {
        return checker.getTypeArguments(t as ts.TypeReference).some((e) => isThenable(e, at));
      }
      if (checker.isArrayType(t)) {
        const element = checker.getTypeArguments(t as ts.TypeReference)[0];
        return element !== undefined && isThenable(element, at);
      }
      return false;
    });
  }

  const callSignaturesOf = (type: ts.Type): readonly ts.Signature[] => unionParts(type).flatMap((t) => t.getCallSignatures());

  const acceptsFunction = (type: ts.Type): boolean => callSignaturesOf(type).length > 0;

  /** A function type whose every signature returns exactly `void` (not `void | Promise<void>`, not `unknown`). */
  function expectsVoidFunctionOnly(type: ts.Type): boolean {
    const signatures = callSignaturesOf(type);
    return (
      signatures.length > 0 &&
      signatures.every((s) => {
        const r = checker.getReturnTypeOfSignature(s);
        return !r.isUnion() && (r.flags & ts.TypeFlags.Void) !== 0;
      })
    );
  }

  /** The type a signature gives its argument at `index` (through a rest parameter too). */
  function parameterTypeAt(signature: ts.Signature, index: number, at: ts.Node): ts.Type | undefined {
    const parameters = signature.getParameters();
    const last = parameters[parameters.length - 1];
    const lastDeclaration = last?.valueDeclaration;
    const hasRest = lastDeclaration !== undefined && ts.isParameter(lastDeclaration) && lastDeclaration.dotDotDotToken !== undefined;
    if (index < parameters.length - (hasRest ? 1 : 0)) return checker.getTypeOfSymbolAtLocation(parameters[index]!, at);
    if (!hasRest || !last) return undefined;
    const rest = checker.getTypeOfSymbolAtLocation(last, at);
    if (checker.isArrayType(rest)) return checker.getTypeArguments(rest as ts.TypeReference)[0];
    if (checker.isTupleType(rest)) return checker.getTypeArguments(rest as ts.TypeReference)[index - (parameters.length - 1)];
    return undefined;
  }

  const skipParens = (e: ts.Expression): ts.Expression => {
    while (ts.isParenthesizedExpression(e)) e = e.expression;
    return e;
  };

  const isNullish = (e: ts.Expression | undefined): boolean => {
    if (!e) return true;
    const s = skipParens(e);
    return s.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(s) && s.text === "undefined");
  };

  /** `p.catch(h)`, `p.then(f, h)`, or `.finally(...)` on one of those: the rejection is handled. */
  function isHandledChain(call: ts.CallExpression): boolean {
    const callee = skipParens(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return false;
    const name = callee.name.text;
    if (name === "catch") return !isNullish(call.arguments[0]);
    if (name === "then") return call.arguments.length >= 2 && !isNullish(call.arguments[1]);
    if (name === "finally") {
      const inner = skipParens(callee.expression);
      return ts.isCallExpression(inner) && isHandledChain(inner);
    }
    return false;
  }

  /** What a discarded expression leaves unhandled: a promise, an array of promises, or nothing. */
  function unhandled(expr: ts.Expression): keyof typeof MESSAGES | undefined {
    const e = skipParens(expr);
    if (ts.isVoidExpression(e) || ts.isAwaitExpression(e)) return undefined;
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment) return undefined;
      if (op === ts.SyntaxKind.CommaToken || op === ts.SyntaxKind.QuestionQuestionToken) {
        return unhandled(e.left) ?? unhandled(e.right);
      }
      // The left operand of && and || is a boolean position (reported as such).
      if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
        return unhandled(e.right);
      }
    }
    if (ts.isConditionalExpression(e)) return unhandled(e.whenTrue) ?? unhandled(e.whenFalse);
    if (ts.isCallExpression(e) && isHandledChain(e)) return undefined;
    const type = checker.getTypeAtLocation(e);
    if (isThenable(type, e)) return "floating";
    if (isArrayOfPromises(type, e)) return "floatingArray";
    return undefined;
  }

  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || sf.fileName.split(/[\\/]/).includes("node_modules")) continue;
    const file = path.relative(cwd, sf.fileName).split(path.sep).join("/");
    if (!wanted(file)) continue;

    const reportedConditions = new Set<ts.Node>();
    const report = (node: ts.Node, message: string): void => {
      const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      findings.push({ file, line: line + 1, col: character + 1, message });
    };

    /** `expr` is tested for truthiness; so are both operands of && and || inside it. */
    const checkCondition = (expr: ts.Expression | undefined): void => {
      if (!expr) return;
      const e = skipParens(expr);
      if (
        ts.isBinaryExpression(e) &&
        (e.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)
      ) {
        checkCondition(e.left);
        checkCondition(e.right);
        return;
      }
      if (reportedConditions.has(e)) return;
      if (isAlwaysThenable(checker.getTypeAtLocation(e), e)) {
        reportedConditions.add(e);
        report(e, MESSAGES.condition);
      }
    };

    const checkVoidCallback = (fn: ts.ArrowFunction | ts.FunctionExpression): void => {
      const call = fn.parent;
      if (!(ts.isCallExpression(call) || ts.isNewExpression(call)) || !call.arguments?.includes(fn)) return;
      const expected = checker.getContextualType(fn);
      if (!expected || !expectsVoidFunctionOnly(expected)) return;
      const signature = checker.getSignatureFromDeclaration(fn);
      if (!signature || !isThenable(checker.getReturnTypeOfSignature(signature), fn)) return;
      // An overloaded callee may resolve to its void overload while another one
      // takes async functions (fastify's register): not reported then.
      const index = call.arguments.indexOf(fn);
      const calleeType = checker.getTypeAtLocation(call.expression);
      const overloads = ts.isNewExpression(call) ? calleeType.getConstructSignatures() : calleeType.getCallSignatures();
      for (const overload of overloads) {
        const parameter = parameterTypeAt(overload, index, call);
        if (parameter && acceptsFunction(parameter) && !expectsVoidFunctionOnly(parameter)) return;
      }
      report(fn, MESSAGES.voidCallback);
    };

    const visit = (node: ts.Node): void => {
      if (ts.isExpressionStatement(node)) {
        const kind = unhandled(node.expression);
        if (kind) report(node.expression, MESSAGES[kind]);
      } else if (ts.isIfStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)) {
        checkCondition(node.expression);
      } else if (ts.isForStatement(node)) {
        checkCondition(node.condition);
      } else if (ts.isConditionalExpression(node)) {
        checkCondition(node.condition);
      } else if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
        checkCondition(node.operand);
      } else if (
        ts.isBinaryExpression(node) &&
        (node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || node.operatorToken.kind === ts.SyntaxKind.BarBarToken)
      ) {
        // The left operand is always tested; the right one only when the whole
        // expression is (`const x = a || load()` keeps a promise on purpose).
        checkCondition(node.left);
      } else if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
        checkVoidCallback(node);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  // A mistyped path must not pass silently.
  prefixes.forEach((_, i) => {
    if (!matched.has(i)) process.stderr.write(`warning: no file of the program matches ${args[i]}\n`);
  });

  findings.sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col || a.message.localeCompare(b.message),
  );
  for (const f of findings) process.stdout.write(`${f.file}:${f.line}:${f.col} ${f.message}\n`);
  process.stderr.write(`${findings.length} unhandled promise${findings.length === 1 ? "" : "s"} found\n`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}

main();
