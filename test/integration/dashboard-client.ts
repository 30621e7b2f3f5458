/**
 * A person using the dashboard over plain HTTP (no browser), as the Campañas and Plantillas tests
 * drive it: a session from dashboard-session.ts, with forms posted as a page or htmx posts them.
 */
import { postForm, signInToDashboard as signIn } from "./dashboard-session";
import type { TestServer } from "./test-server";

export interface DashboardClient {
  /** GET with the session's cookie; `headers` e.g. `{ "hx-request": "true" }` for what htmx asks. */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** A form posted with the session's `_csrf`, or with `csrf` (null: none); `htmx` adds HX-Request. */
  post(path: string, form: Record<string, string | number>, options?: { csrf?: string | null; htmx?: boolean }): Promise<Response>;
}

export async function signInToDashboard(server: TestServer, { email, password }: { email: string; password: string }): Promise<DashboardClient> {
  const session = await signIn(server.baseUrl, email, password);
  return {
    get: session.get,
    post(path, form, options = {}) {
      const fields = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, String(v)]));
      const csrf = options.csrf === undefined ? session.csrf : options.csrf;
      if (csrf !== null) fields._csrf = csrf;
      return postForm(server.baseUrl, path, fields, { cookie: session.cookie, ...(options.htmx && { "hx-request": "true" }) });
    },
  };
}
