/**
 * A throwaway PostgreSQL cluster for tests: its own data directory, port and
 * socket directory, so tests never touch a server someone else runs and can
 * run in parallel. Durability is switched off: the data dies with the test.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

export interface PostgresCluster {
  /** postgres:// URL of the test database, over TCP on 127.0.0.1. */
  url: string;
  /** The same database through the server's Unix socket, as a client on the same machine would reach it. */
  socketUrl: string;
  /** Stops the server and deletes its files; safe to call twice. */
  stop(): Promise<void>;
}

/** The directory of the PostgreSQL server binaries, or undefined when PostgreSQL is not installed. */
export function findPostgresBinDir(): string | undefined {
  try {
    return execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/**
 * `durable`: for benchmarks, the server flushes its WAL to disk like a production server
 * (fsync, full page writes). Commits still return before their flush (synchronous_commit = off),
 * which is what the product's SQLite does in WAL mode with synchronous = NORMAL, so the two
 * databases are compared on the same promise.
 */
export async function startPostgresCluster({ database = "prospecta_test", durable = false } = {}): Promise<PostgresCluster> {
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error("PostgreSQL is not installed: pg_config was not found on PATH");
  // libpq-dev alone brings a pg_config too, without the server.
  if (!existsSync(join(binDir, "initdb"))) throw new Error(`the PostgreSQL server is not installed: no initdb in ${binDir}`);

  const account = await serverAccount();
  const dir = await mkdtemp(join(tmpdir(), "prospecta-pg-"));
  const dataDir = join(dir, "data");
  const logFile = join(dir, "server.log");
  // The server user may not be allowed into the caller's working directory, so its tools run in their own.
  const runTool = (tool: string, args: string[]) => account.run(join(binDir, tool), args, dir);
  let stopped = false;
  let serverMayBeRunning = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (serverMayBeRunning) await runTool("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  let port = 0;
  try {
    await account.own(dir);
    port = await freePort();
    await runTool("initdb", [
      "-D", dataDir,
      "-U", "postgres",
      "--auth=trust",
      "--encoding=UTF8",
      // The C locale exists everywhere, whatever LANG the CI image has.
      "--locale=C",
      "--no-sync",
    ]);
    await appendFile(
      join(dataDir, "postgresql.conf"),
      [
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        // Sockets beside the data, not in /var/run/postgresql, which a non-root user cannot write to.
        `unix_socket_directories = '${dir}'`,
        ...(durable ? [] : ["fsync = off", "full_page_writes = off"]),
        "synchronous_commit = off",
        // A whole test run shares one cluster (TEST_DATABASE=postgres): many products, each with its pool.
        "max_connections = 400",
        "",
      ].join("\n"),
    );
    serverMayBeRunning = true;
    await runTool("pg_ctl", ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "30"]);
    await createDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`, database);
  } catch (error) {
    const log = await readFile(logFile, "utf8").catch(() => "");
    // The start failure is the error to report; a stop that fails after it (no server was up) adds nothing.
    await stop().catch(() => {});
    throw new Error(`could not start a PostgreSQL test cluster: ${(error as Error).message}\n${log}`, { cause: error });
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    socketUrl: `postgres://postgres@${encodeURIComponent(dir)}:${port}/${database}`,
    stop,
  };
}

interface ServerAccount {
  run(bin: string, args: string[], cwd: string): Promise<unknown>;
  /** Hands a directory over to the account, so the server can write its files there. */
  own(dir: string): Promise<void>;
}

/**
 * initdb and postgres refuse to run as root. As root, the server runs as the
 * `postgres` account the Debian package creates; otherwise it runs as whoever
 * runs the tests.
 */
async function serverAccount(): Promise<ServerAccount> {
  if (process.getuid?.() !== 0) {
    return { run: (bin, args, cwd) => run(bin, args, { cwd }), own: async () => {} };
  }
  const [uid, gid] = await Promise.all(["-u", "-g"].map(async (flag) => Number((await run("id", [flag, "postgres"])).stdout)));
  return {
    run: (bin, args, cwd) => run("runuser", ["-u", "postgres", "--", bin, ...args], { cwd }),
    own: (dir) => chown(dir, uid!, gid!),
  };
}

/** A port the kernel just handed out, so that parallel test files do not collide. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Creates `database` on the server at `adminUrl`, as a copy of `template` when one is named. */
export async function createDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  await asAdmin(adminUrl, (client) =>
    client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}${template ? ` TEMPLATE ${client.escapeIdentifier(template)}` : ""}`),
  );
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  await asAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`));
}

async function asAdmin(adminUrl: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
