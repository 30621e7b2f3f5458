/**
 * The dashboard's sign-in over real HTTP (web/dashboard.ts): the session cookie and its flags, the
 * guard on every page, wrong passwords, the lock after too many, and CSRF on sign-out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

const EMAIL = "direccion@agencia.mx";
const PASSWORD = "una-clave-de-arranque";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { DASHBOARD_ADMIN_EMAIL: EMAIL, DASHBOARD_ADMIN_PASSWORD: PASSWORD, PROSPECTA_ROLES: "api" } });
});
afterAll(async () => {
  await server?.close();
});

function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

function signIn(correo: string, contrasena: string, headers: Record<string, string> = {}): Promise<Response> {
  return post("/admin/entrar", { correo, contrasena }, headers);
}

/** The cookie pair ("prospecta_sesion=…") to send back. */
function sessionCookie(response: Response): string {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith("prospecta_sesion="));
  if (!cookie) throw new Error("no session cookie");
  return cookie.split(";", 1)[0]!;
}

describe("signing in to the dashboard", () => {
  it("sends a visitor without a session to the sign-in form, which has labelled fields", async () => {
    for (const path of ["/admin", "/admin/", "/admin/tablero", "/admin/leads/1", "/admin/no-existe"]) {
      const response = await fetch(`${server.baseUrl}${path}`, { redirect: "manual" });
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe(`/admin/entrar?siguiente=${encodeURIComponent(path)}`);
    }
    // What scripts read (htmx swaps, the JSON endpoints) gets 401, and htmx is told where to sign in.
    for (const [path, headers] of [["/admin/api/metricas", {}], ["/admin/tablero", { "hx-request": "true" }]] as const) {
      const response = await fetch(`${server.baseUrl}${path}`, { redirect: "manual", headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("hx-redirect")).toBe("/admin/entrar");
      expect(await response.json()).toMatchObject({ error: "unauthorized" });
    }
    const form = await fetch(`${server.baseUrl}/admin/entrar`);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('<label for="correo">Correo</label>');
    expect(html).toContain('<label for="contrasena">Contraseña</label>');
    expect(html).toMatch(/<button type="submit">Entrar<\/button>/);
    expect(form.headers.get("content-security-policy")).toContain("default-src 'self'");
    const css = await fetch(`${server.baseUrl}/admin/assets/app.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toContain("text/css");
  });

  it("sets an HttpOnly, SameSite=Lax cookie on /admin and lands on the Tablero with its seven stages", async () => {
    await server.api("POST", "/leads", { name: "Ana López", source: "facebook", budget_min: 2_000_000, budget_max: 3_000_000, location: "Roma Norte" });
    const response = await signIn(EMAIL, PASSWORD);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/admin/tablero");
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith("prospecta_sesion="))!;
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Lax/i);
    expect(setCookie).toMatch(/; Path=\/admin(;|$)/);
    expect(setCookie).toMatch(/; Max-Age=\d+/);
    expect(setCookie).not.toMatch(/; Secure/i); // plain http here

    const board = await fetch(`${server.baseUrl}/admin/tablero`, { headers: { cookie: sessionCookie(response) } });
    expect(board.status).toBe(200);
    const html = await board.text();
    for (const title of ["Entrada", "Perfilamiento", "Calificación financiera", "Agendado", "Seguimiento", "Ganado", "Perdido"]) {
      expect(html).toMatch(new RegExp(`<h2 id="etapa-\\w+">${title}</h2>`));
    }
    expect(html).toContain("Ana López");
    expect(html).toContain("Roma Norte");
    expect(html).toMatch(/<meta name="csrf-token" content="[\w-]{43}">/);
  });

  it("goes back after signing in to the page that asked for it, and never to another site", async () => {
    const back = await post("/admin/entrar", { correo: EMAIL, contrasena: PASSWORD, siguiente: "/admin/metricas" });
    expect(back.headers.get("location")).toBe("/admin/metricas");
    for (const elsewhere of ["https://otro-sitio.example/", "//otro-sitio.example/admin/", "/api/v1/leads"]) {
      const response = await post("/admin/entrar", { correo: EMAIL, contrasena: PASSWORD, siguiente: elsewhere });
      expect(response.headers.get("location")).toBe("/admin/tablero");
    }
  });

  it("serves the vendor scripts from this installation, cached for a year, and nothing else of node_modules", async () => {
    const html = await (await fetch(`${server.baseUrl}/admin/entrar`)).text();
    const htmx = /src="(\/admin\/assets\/vendor\/htmx\.min\.js\?v=[0-9a-f]{10})"/.exec(html)?.[1];
    expect(htmx).toBeDefined();
    const script = await fetch(`${server.baseUrl}${htmx}`);
    expect(script.status).toBe(200);
    expect(script.headers.get("cache-control")).toContain("immutable");
    expect((await script.text()).length).toBeGreaterThan(10_000);
    for (const path of ["/admin/assets/vendor/package.json", "/admin/assets/../../package.json", "/admin/assets/vendor/htmx.js"]) {
      expect((await fetch(`${server.baseUrl}${path}`)).status).toBe(404);
    }
  });

  it("answers a wrong password with the form again, 401 and a plain message, and no cookie", async () => {
    const response = await signIn(EMAIL, "no-es-la-clave");
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.text()).toContain("Correo o contraseña incorrectos.");
  });

  it("refuses a sign-in posted from another site", async () => {
    const response = await signIn(EMAIL, PASSWORD, { origin: "https://otro-sitio.example", "sec-fetch-site": "cross-site" });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("keeps the /api/v1 bearer-only: a session cookie is no token", async () => {
    const session = sessionCookie(await signIn(EMAIL, PASSWORD));
    const response = await fetch(`${server.baseUrl}/api/v1/leads`, { headers: { cookie: session } });
    expect(response.status).toBe(401);
  });

  it("signs out only with the page's CSRF token", async () => {
    const session = sessionCookie(await signIn(EMAIL, PASSWORD));
    const page = await (await fetch(`${server.baseUrl}/admin/tablero`, { headers: { cookie: session } })).text();
    const csrf = /name="_csrf" value="([\w-]+)"/.exec(page)![1]!;

    const refused = await post("/admin/salir", {}, { cookie: session });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("La sesión expiró");
    expect((await post("/admin/salir", { _csrf: "x".repeat(43) }, { cookie: session })).status).toBe(403);
    expect((await fetch(`${server.baseUrl}/admin/tablero`, { headers: { cookie: session }, redirect: "manual" })).status).toBe(200);

    const out = await post("/admin/salir", { _csrf: csrf }, { cookie: session });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/admin/entrar");
    const after = await fetch(`${server.baseUrl}/admin/tablero`, { headers: { cookie: session }, redirect: "manual" });
    expect(after.status).toBe(303);
  });

  it("locks an address out after five wrong passwords, before checking any: 429 with its Spanish message", async () => {
    const email = "otra@agencia.mx";
    for (let i = 0; i < 5; i++) expect((await signIn(email, `mala-${i}`)).status).toBe(401);
    const locked = await signIn(email, "mala-6");
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain("Demasiados intentos fallidos. Inténtalo de nuevo en 15 minutos.");
  });
});

describe("behind a TLS proxy (TRUST_PROXY)", () => {
  it("gives the cookie its Secure flag when the trusted proxy says https, and ignores the header from anyone else", async () => {
    const behindProxy = await startTestServer({
      env: { DASHBOARD_ADMIN_EMAIL: EMAIL, DASHBOARD_ADMIN_PASSWORD: PASSWORD, PROSPECTA_ROLES: "api", TRUST_PROXY: "127.0.0.1" },
    });
    try {
      const form = new URLSearchParams({ correo: EMAIL, contrasena: PASSWORD }).toString();
      const signIn = (baseUrl: string) =>
        fetch(`${baseUrl}/admin/entrar`, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7" },
          body: form,
        });
      const trusted = (await signIn(behindProxy.baseUrl)).headers.getSetCookie().find((c) => c.startsWith("prospecta_sesion="))!;
      expect(trusted).toMatch(/; Secure/i);
      const untrusted = (await signIn(server.baseUrl)).headers.getSetCookie().find((c) => c.startsWith("prospecta_sesion="))!;
      expect(untrusted).not.toMatch(/; Secure/i);
    } finally {
      await behindProxy.close();
    }
  });
});
