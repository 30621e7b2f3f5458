import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "web/test/**/*.test.ts"],
    // TEST_DATABASE=postgres starts one PostgreSQL cluster for the run (npm run test:postgres).
    globalSetup: ["test/support/test-database-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
