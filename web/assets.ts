/**
 * The dashboard's static files, served from this installation (no CDN: agencies may have no internet).
 * Only the files named here are reachable: our own web/assets/ and two vendor builds from node_modules.
 * Every link carries a hash of the file, so browsers keep each one for a year and never reuse a stale one.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { HIDDEN } from "./deps";

const require = createRequire(import.meta.url);

interface Asset {
  directory: string;
  file: string;
}

/** URL path under /admin/assets/ → where the file is. */
function listAssets(): Map<string, Asset> {
  const own = fileURLToPath(new URL("./assets", import.meta.url));
  const assets = new Map<string, Asset>();
  for (const file of readdirSync(own)) assets.set(file, { directory: own, file });
  assets.set("vendor/htmx.min.js", { directory: dirname(require.resolve("htmx.org/dist/htmx.min.js")), file: "htmx.min.js" });
  // chart.js does not export its dist/ files as subpaths; its main entry sits in that folder.
  assets.set("vendor/chart.umd.min.js", { directory: dirname(require.resolve("chart.js")), file: "chart.umd.min.js" });
  return assets;
}

/** Maps an asset's name ("app.css", "vendor/htmx.min.js") to its cache-busting URL. */
export type AssetUrl = (name: string) => string;

export async function registerAssets(admin: FastifyInstance): Promise<AssetUrl> {
  const assets = listAssets();
  const versions = new Map<string, string>();
  for (const [name, { directory, file }] of assets) {
    versions.set(name, createHash("sha256").update(readFileSync(join(directory, file))).digest("hex").slice(0, 10));
  }
  await admin.register(fastifyStatic, { root: fileURLToPath(new URL("./assets", import.meta.url)), serve: false });
  admin.get("/assets/*", HIDDEN, async (request, reply) => {
    const name = (request.params as { "*": string })["*"];
    const asset = assets.get(name);
    if (!asset) return reply.code(404).type("text/plain; charset=utf-8").send("No existe ese archivo.");
    return reply.sendFile(asset.file, asset.directory, { maxAge: "365d", immutable: true });
  });
  return (name) => {
    const version = versions.get(name);
    if (!version) throw new Error(`unknown dashboard asset ${name}`);
    return `/admin/assets/${name}?v=${version}`;
  };
}
