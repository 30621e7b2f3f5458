/** Signing in to the dashboard with fetch, as a browser would, for HTTP-level tests of its pages. */
import { startTestServer, type TestServer } from "./test-server";

/** The first admin the test product is started with. */
export const DASHBOARD_ADMIN = { email: "direccion@agencia.mx", password: "una-clave-de-arranque" };

/** The product with the dashboard (api role only) and its first admin. */
export function startDashboardServer(): Promise<TestServer> {
  return startTestServer({ env: { DASHBOARD_ADMIN_EMAIL: DASHBOARD_ADMIN.email, DASHBOARD_ADMIN_PASSWORD: DASHBOARD_ADMIN.password, PROSPECTA_ROLES: "api" } });
}

/** The first admin's session on `server`. */
export function signInAsAdmin(server: TestServer): Promise<DashboardSession> {
  return signInToDashboard(server.baseUrl, DASHBOARD_ADMIN.email, DASHBOARD_ADMIN.password);
}

export interface DashboardSession {
  /** The cookie pair to send back ("prospecta_sesion=…"). */
  cookie: string;
  /** The session's CSRF token, as its pages carry it. */
  csrf: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** A form post with the CSRF token added (unless the form sets `_csrf` itself). */
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
}

export function postForm(baseUrl: string, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

export async function signInToDashboard(baseUrl: string, email: string, password: string): Promise<DashboardSession> {
  const response = await postForm(baseUrl, "/admin/entrar", { correo: email, contrasena: password });
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith("prospecta_sesion="));
  if (response.status !== 303 || !setCookie) throw new Error(`sign-in as ${email} failed: ${response.status}`);
  const cookie = setCookie.split(";", 1)[0]!;
  const page = await (await fetch(`${baseUrl}/admin/tablero`, { headers: { cookie } })).text();
  const csrf = /<meta name="csrf-token" content="([\w-]+)">/.exec(page)?.[1];
  if (!csrf) throw new Error("no CSRF token on the Tablero");
  return {
    cookie,
    csrf,
    get: (path, headers = {}) => fetch(`${baseUrl}${path}`, { redirect: "manual", headers: { cookie, ...headers } }),
    post: (path, form, headers = {}) => postForm(baseUrl, path, { _csrf: csrf, ...form }, { cookie, ...headers }),
  };
}
