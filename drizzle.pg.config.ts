import { defineConfig } from "drizzle-kit";

// PostgreSQL keeps its own migration history: the SQLite one cannot be replayed there.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/pg/schema.ts",
  out: "./db/migrations-pg",
});
