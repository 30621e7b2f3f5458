/**
 * Debian's chromium, driven by playwright-core: never a browser download. Without chromium the
 * browser tests skip, unless REQUIRE_CHROMIUM is set (CI), where they fail instead.
 */
import { execFileSync } from "node:child_process";
import { chromium, type Browser } from "playwright-core";

/** The path of `chromium` on PATH, or null. */
export function findChromium(): string | null {
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

export const CHROMIUM = findChromium();
/** Skip only where chromium is missing and nobody asked for it. */
export const SKIP_BROWSER_TESTS = CHROMIUM === null && !process.env.REQUIRE_CHROMIUM;

export function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error("REQUIRE_CHROMIUM is set but no chromium is on PATH (apt-get install chromium)");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --disable-dev-shm-usage: containers have a small /dev/shm.
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
}
