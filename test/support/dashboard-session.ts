/** Signing in to the dashboard over plain HTTP (no browser), for tests that drive /admin with fetch. */

export interface DashboardSession {
  /** The cookie pair to send back ("prospecta_sesion=…"). */
  cookie: string;
  /** The session's CSRF token, as pages give it in <meta name="csrf-token">. */
  csrf: string;
}

/** Signs in through the form and reads the CSRF token from the Tablero. */
export async function signInOverHttp(baseUrl: string, email: string, password: string): Promise<DashboardSession> {
  const response = await fetch(`${baseUrl}/admin/entrar`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ correo: email, contrasena: password }).toString(),
  });
  const setCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith("prospecta_sesion="));
  if (response.status !== 303 || !setCookie) throw new Error(`sign-in failed with ${response.status}`);
  const cookie = setCookie.split(";", 1)[0]!;
  const page = await (await fetch(`${baseUrl}/admin/tablero`, { headers: { cookie } })).text();
  const csrf = /<meta name="csrf-token" content="([\w-]+)">/.exec(page)?.[1];
  if (!csrf) throw new Error("no CSRF token on the Tablero");
  return { cookie, csrf };
}
