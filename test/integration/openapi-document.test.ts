/**
 * The OpenAPI document an agency's website form, Zapier/Make flow or script
 * starts from (/api/v1/openapi.json), as served by the running product:
 *  - Redocly's recommended rules find nothing (redocly.yaml turns off only what
 *    the README says);
 *  - every operation has a stable operationId and one described tag, every
 *    timestamp is a date-time string, every error answer is a shared response,
 *    and `servers` points at the API (WEBHOOK_BASE_URL, else the request's host);
 *  - a client generated from it (openapi-typescript + openapi-fetch) type-checks
 *    under strict TypeScript and does the guide's first steps against the
 *    product: create a lead, move it, read its calls.
 * No network: the packages are installed, the product listens on loopback.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import { Registry } from "prom-client";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/api/app";
import { createLogger } from "../../src/logger";
import type { CampaignEngine } from "../../src/campaigns/campaign-engine";
import type { Services } from "../../src/services";
import type { Readiness } from "../../src/services/readiness";
import { startTestServer, TEST_TOKEN, type TestServer } from "./test-server";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const require = createRequire(import.meta.url);

type Operation = { operationId?: string; tags?: string[]; responses: Record<string, { $ref?: string }> };
type Document = {
  openapi: string;
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }>; responses?: Record<string, unknown> };
};

/** Every operation's name: a client's method names come from these, so a change here breaks agencies' code. */
const OPERATION_IDS: Record<string, string> = {
  "POST /api/v1/leads": "createLead",
  "GET /api/v1/leads": "listLeads",
  "GET /api/v1/leads/{id}": "getLead",
  "PATCH /api/v1/leads/{id}": "updateLead",
  "POST /api/v1/pipeline/leads/{id}/move-stage": "moveLead",
  "POST /api/v1/pipeline/leads/{id}/auto-advance": "autoAdvanceLead",
  "GET /api/v1/pipeline/stages/{stage}/leads": "listStageLeads",
  "GET /api/v1/pipeline/stages/{stage}/inactive": "listInactiveLeads",
  "GET /api/v1/pipeline/metrics": "getPipelineMetrics",
  "POST /api/v1/campaigns/run": "runCampaigns",
  "POST /api/v1/campaigns": "createCampaign",
  "GET /api/v1/campaigns": "listCampaigns",
  "GET /api/v1/campaigns/{id}": "getCampaign",
  "PUT /api/v1/campaigns/{id}": "updateCampaign",
  "POST /api/v1/campaigns/{id}/steps": "addCampaignStep",
  "GET /api/v1/campaigns/{id}/stats": "getCampaignStats",
  "GET /api/v1/campaigns/{id}/logs": "listCampaignLogs",
  "POST /api/v1/templates": "createTemplate",
  "GET /api/v1/templates": "listTemplates",
  "GET /api/v1/templates/{id}": "getTemplate",
  "PUT /api/v1/templates/{id}": "updateTemplate",
  "DELETE /api/v1/templates/{id}": "deleteTemplate",
  "POST /api/v1/templates/{id}/render": "renderTemplate",
  "POST /api/v1/calls/initiate": "initiateCall",
  "GET /api/v1/calls/leads/{lead_id}": "listCallsForLead",
  "GET /api/v1/calls/{id}": "getCall",
};

let server: TestServer;
let document: Document;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  document = (await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json()) as Document;
  dir = mkdtempSync(join(tmpdir(), "prospecta-openapi-"));
  // The generated client resolves openapi-fetch (and tsx its loader) from the project's packages.
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `node ...args`; resolves with its exit code and output. */
function node(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      // Redocly's telemetry and update check stay off: the test works offline.
      { cwd, env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

function operations(): { key: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })),
  );
}

describe("the OpenAPI document", () => {
  it("passes Redocly's recommended rules with no problem", async () => {
    const file = join(dir, "openapi.json");
    writeFileSync(file, JSON.stringify(document, null, 2));
    const lint = await node([join(ROOT, "node_modules/@redocly/cli/bin/cli.js"), "lint", file, "--config", join(ROOT, "redocly.yaml"), "--format=json"], ROOT);
    const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf("{"))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; location: { pointer?: string }[] }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer).join(", ")}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(lint.code, lint.stderr).toBe(0);
  }, 60_000);

  it("names every operation with a stable operationId and one described tag", () => {
    const named = Object.fromEntries(operations().map(({ key, operation }) => [key, operation.operationId]));
    expect(named).toEqual(OPERATION_IDS);

    const described = new Map((document.tags ?? []).map((tag) => [tag.name, tag.description]));
    expect([...described.keys()]).toEqual(["Leads", "Pipeline", "Campaigns", "Templates", "Calls"]);
    for (const description of described.values()) expect(description).toBeTruthy();
    const used = new Set<string>();
    for (const { key, operation } of operations()) {
      expect(operation.tags, key).toHaveLength(1);
      expect(described.has(operation.tags![0]!), `${key}: ${operation.tags![0]}`).toBe(true);
      used.add(operation.tags![0]!);
    }
    expect(used.size).toBe(described.size);
  });

  it("types every timestamp as a date-time string, nullable where it can be null", () => {
    const timestamps: string[] = [];
    const visit = (where: string, schema: unknown): void => {
      if (typeof schema !== "object" || schema === null) return;
      const properties = (schema as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
      for (const [name, property] of Object.entries(properties)) {
        if (/(^at|_at|_since)$/.test(name)) {
          timestamps.push(`${where}.${name}`);
          expect({ type: property.type, format: property.format }, `${where}.${name}`).toEqual({ type: "string", format: "date-time" });
        }
        visit(`${where}.${name}`, property);
      }
      for (const key of ["items", "additionalProperties"]) visit(where, (schema as Record<string, unknown>)[key]);
    };
    for (const [name, schema] of Object.entries(document.components.schemas)) visit(name, schema);
    for (const { key, operation } of operations()) visit(key, operation);
    expect(timestamps).toEqual(expect.arrayContaining(["VoiceCall.started_at", "VoiceCall.ended_at", "Lead.handoff_at", "Campaign.activated_at"]));
    const calls = document.components.schemas.VoiceCall!.properties!;
    expect(calls.started_at).toMatchObject({ nullable: true });
    expect(calls.created_at!.nullable).toBeUndefined();
  });

  it("describes each error answer once and references it", () => {
    const shared = document.components.responses ?? {};
    expect(Object.keys(shared)).toEqual(expect.arrayContaining(["BadRequest", "Unauthorized", "NotFound", "Conflict", "ServiceUnavailable"]));
    for (const { key, operation } of operations()) {
      expect(operation.responses["401"], key).toEqual({ $ref: "#/components/responses/Unauthorized" });
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) expect(response.$ref, `${key} ${status}`).toMatch(/^#\/components\/responses\/\w+$/);
      }
    }
    // Only what the operations use: no request schema's output twin, no response schema's input twin.
    expect(Object.keys(document.components.schemas)).not.toContain("ErrorInput");
    expect(Object.keys(document.components.schemas)).not.toContain("LeadInput");
    expect(Object.keys(document.components.schemas)).not.toContain("LeadCreate");
  });

  it("points `servers` at the host the request came to, in the document and in /docs", async () => {
    expect(document.servers).toEqual([{ url: server.baseUrl }]);
    const docs = (await (await fetch(`${server.baseUrl}/docs/json`)).json()) as Document;
    expect(docs.servers).toEqual([{ url: server.baseUrl }]);
    const byName = (await (await fetch(`${server.baseUrl.replace("127.0.0.1", "localhost")}/api/v1/openapi.json`)).json()) as Document;
    expect(byName.servers).toEqual([{ url: server.baseUrl.replace("127.0.0.1", "localhost") }]);
  });

  it("points `servers` at WEBHOOK_BASE_URL when it is set, whatever the request's host", async () => {
    const app = await buildApp({
      // Building the document calls no service.
      services: {} as Services,
      campaignEngine: {} as CampaignEngine,
      readiness: {} as Readiness,
      adminToken: TEST_TOKEN,
      logger: createLogger("silent"),
      metrics: new Registry(),
      metricsToken: undefined,
      serveApi: true,
      publicBaseUrl: "https://crm.inmobiliaria.example/",
    });
    try {
      for (const url of ["/api/v1/openapi.json", "/docs/json"]) {
        const answer = await app.inject({ method: "GET", url, headers: { host: "10.0.0.5:3000" } });
        expect((answer.json() as Document).servers, url).toEqual([{ url: "https://crm.inmobiliaria.example" }]);
      }
    } finally {
      await app.close();
    }
  });
});

/** What an agency writes against the generated types: the guide's first steps. */
const CLIENT_SCRIPT = `import createClient from "openapi-fetch";
import type { components, paths } from "./api";

type Lead = components["schemas"]["Lead"];
type Call = components["schemas"]["VoiceCall"];
type MoveStage = NonNullable<paths["/api/v1/pipeline/leads/{id}/move-stage"]["post"]["requestBody"]>["content"]["application/json"];

export async function guideSteps(baseUrl: string, token: string): Promise<{ lead: Lead; movedTo: Lead["pipeline_stage"]; calls: Call[] }> {
  const api = createClient<paths>({ baseUrl, headers: { Authorization: \`Bearer \${token}\` } });

  const created = await api.POST("/api/v1/leads", {
    body: { name: "Ana López", phone: "+52 55 1234 5678", source: "facebook_ads", budget_max: 3500000, location: "Roma Norte" },
  });
  if (!created.data) throw new Error(\`createLead: \${created.error?.message}\`);
  const lead = created.data;
  const createdAt: string = lead.created_at;
  const handoffAt: string | null = lead.handoff_at;

  const move: MoveStage = { new_stage: "perfilamiento", reason: "Lead respondió inicial" };
  const moved = await api.POST("/api/v1/pipeline/leads/{id}/move-stage", { params: { path: { id: lead.id } }, body: move });
  if (!moved.data) throw new Error(\`moveLead: \${moved.error?.message} \${moved.error?.details.map((d) => d.path).join(", ")}\`);

  const calls = await api.GET("/api/v1/calls/leads/{lead_id}", { params: { path: { lead_id: lead.id } } });
  if (!calls.data) throw new Error(\`listCallsForLead: \${calls.error?.message}\`);
  const startedAt: (string | null)[] = calls.data.map((call) => call.started_at);

  void [createdAt, handoffAt, startedAt];
  return { lead, movedTo: moved.data.to_stage, calls: calls.data };
}

// The types say what the API takes and answers, none of it \`unknown\`.
// @ts-expect-error a stage the pipeline does not have
export const notAStage: MoveStage = { new_stage: "vendido" };
// @ts-expect-error a call's start is a date-time string (or null), not a number
export const notANumber: Call["started_at"] = 1_700_000_000;
// @ts-expect-error a campaign's activation time is a string on the wire, not a Date
export const notADate: components["schemas"]["Campaign"]["activated_at"] = new Date();
`;

const RUN_SCRIPT = `import { guideSteps } from "./client.ts";
const [baseUrl, token] = process.argv.slice(2);
process.stdout.write(JSON.stringify(await guideSteps(baseUrl!, token!)));
`;

describe("a client generated from the document", () => {
  it("type-checks under strict TypeScript and does the guide's first steps", async () => {
    const types = astToString(await openapiTS(new URL(`${server.baseUrl}/api/v1/openapi.json`)));
    for (const field of ["started_at", "ended_at", "handoff_at", "activated_at", "finished_at"]) expect(types).toContain(`${field}: string | null;`);
    expect(types).toContain("created_at: string;");
    expect(types).not.toMatch(/\w+_at\??: unknown/);
    for (const name of ["createLead", "moveLead", "listCallsForLead"]) expect(types).toContain(`operations["${name}"]`);

    writeFileSync(join(dir, "api.ts"), types);
    writeFileSync(join(dir, "client.ts"), CLIENT_SCRIPT);
    writeFileSync(join(dir, "run.mts"), RUN_SCRIPT);

    const program = ts.createProgram([join(dir, "client.ts")], {
      strict: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      types: [],
      skipLibCheck: true,
      verbatimModuleSyntax: true,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1} ` : "";
      return where + ts.flattenDiagnosticMessageText(d.messageText, "\n");
    });
    expect(diagnostics).toEqual([]);

    // The same script, run (through tsx) against the product at the document's server.
    const ran = await node(["--import", pathToFileURL(require.resolve("tsx")).href, join(dir, "run.mts"), document.servers![0]!.url, TEST_TOKEN], dir);
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    const { lead, movedTo, calls } = JSON.parse(ran.stdout) as { lead: { id: number; phone: string; pipeline_stage: string }; movedTo: string; calls: unknown[] };
    expect(lead).toMatchObject({ phone: "+525512345678", pipeline_stage: "entrada" });
    expect(movedTo).toBe("perfilamiento");
    expect(calls).toEqual([]);
    expect((await server.api("GET", `/leads/${lead.id}`)).body.pipeline_stage).toBe("perfilamiento");
  }, 60_000);
});
