/**
 * A person using the dashboard over plain HTTP (no browser): signs in through the form, keeps the
 * session cookie and the page's CSRF token, and posts forms as a page posts them.
 */
import type { TestServer } from "./test-server";

export interface DashboardClient {
  /** GET with the session's cookie; `headers` e.g. `{ "hx-request": "true" }` for what htmx asks. */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** A form posted with the session's `_csrf`, or with `csrf` (null: none); `htmx` adds HX-Request. */
  post(path: string, form: Record<string, string | number>, options?: { csrf?: string | null; htmx?: boolean }): Promise<Response>;
}

export async function signInToDashboard(server: TestServer, { email, password }: { email: string; password: string }): Promise<DashboardClient> {
  const response = await fetch(`${server.baseUrl}/admin/entrar`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ correo: email, contrasena: password }).toString(),
  });
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith("prospecta_sesion="))?.split(";", 1)[0];
  if (!cookie) throw new Error(`sign-in as ${email} failed with ${response.status}`);
  const page = await (await fetch(`${server.baseUrl}/admin/tablero`, { headers: { cookie } })).text();
  const token = /<meta name="csrf-token" content="([\w-]+)">/.exec(page)![1]!;

  return {
    get: (path, headers = {}) => fetch(`${server.baseUrl}${path}`, { redirect: "manual", headers: { cookie, ...headers } }),
    post(path, form, options = {}) {
      const fields = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, String(v)]));
      const csrf = options.csrf === undefined ? token : options.csrf;
      if (csrf !== null) fields._csrf = csrf;
      return fetch(`${server.baseUrl}${path}`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...(options.htmx && { "hx-request": "true" }) },
        body: new URLSearchParams(fields).toString(),
      });
    },
  };
}
