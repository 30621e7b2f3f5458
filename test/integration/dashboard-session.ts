/** A person signed in to the dashboard over plain HTTP (no browser): their cookie and CSRF token, and requests made as them. */
export interface DashboardSession {
  cookie: string;
  csrf: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** A form POST; the CSRF token goes in `_csrf` unless the form gives its own (or `csrf: false`). */
  post(path: string, form: Record<string, string>, options?: { headers?: Record<string, string>; csrf?: boolean }): Promise<Response>;
}

export async function signInOverHttp(baseUrl: string, email: string, password: string): Promise<DashboardSession> {
  const signedIn = await fetch(`${baseUrl}/admin/entrar`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ correo: email, contrasena: password }).toString(),
  });
  const cookie = signedIn.headers
    .getSetCookie()
    .find((c) => c.startsWith("prospecta_sesion="))
    ?.split(";", 1)[0];
  if (!cookie) throw new Error(`sign-in as ${email} failed: ${signedIn.status}`);
  const page = await (await fetch(`${baseUrl}/admin/tablero`, { headers: { cookie } })).text();
  const csrf = /<meta name="csrf-token" content="([\w-]+)">/.exec(page)?.[1];
  if (!csrf) throw new Error("no CSRF token on the board");
  return {
    cookie,
    csrf,
    get: (path, headers = {}) => fetch(`${baseUrl}${path}`, { redirect: "manual", headers: { cookie, ...headers } }),
    post: (path, form, options = {}) =>
      fetch(`${baseUrl}${path}`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...options.headers },
        body: new URLSearchParams(options.csrf === false ? form : { _csrf: csrf, ...form }).toString(),
      }),
  };
}
