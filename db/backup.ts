/**
 * A consistent copy of the live database, through SQLite's online backup API
 * (better-sqlite3's `backup`): it can run while the product writes.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export async function backupDatabase(databaseFile: string, destination: string): Promise<{ pages: number }> {
  mkdirSync(dirname(destination), { recursive: true });
  const source = new Database(databaseFile, { readonly: true, fileMustExist: true });
  try {
    const result = await source.backup(destination);
    return { pages: result.totalPages };
  } finally {
    source.close();
  }
}
