/**
 * Usuarios (admins only): the accounts, a form to create one, and disabling or enabling one. Plain
 * forms that work without JavaScript: a change answers 303 back to the list, which says what
 * happened; a refusal shows the page again with the reason and the form as it was sent.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { USER_ROLES } from "../../src/domain/vocabulary";
import { DomainError, type Problem } from "../../src/errors";
import { STATUS_BY_CODE } from "../../src/api/error-handler";
import type { User } from "../../src/services/account-service";
import { HIDDEN, type PageKit } from "../deps";
import { formatDateTime } from "../display";
import { parseInput } from "../parse-input";
import { frameOf, personOf, requireAdmin } from "../session-guard";

const ADMIN_ONLY = { ...HIDDEN, preHandler: requireAdmin };

/** The form's fields, named as its labels are; the service checks the rest (e-mail format, password length). */
const newUserForm = z.object({
  correo: z.string({ error: "Escribe el correo." }).trim().min(1, "Escribe el correo.").max(320, "El correo es demasiado largo."),
  nombre: z.string({ error: "Escribe el nombre." }).trim().min(1, "Escribe el nombre.").max(200, "El nombre es demasiado largo."),
  rol: z.enum(USER_ROLES, { error: "Elige el rol: admin o asesor." }),
  contrasena: z.string({ error: "Escribe la contraseña inicial." }).min(1, "Escribe la contraseña inicial.").max(1024, "La contraseña es demasiado larga."),
});

/** The service names fields as the account does; the form as its labels. */
const FORM_FIELD: Record<string, string> = { email: "correo", name: "nombre", role: "rol", password: "contrasena" };

const userParams = z.object({
  id: z.coerce.number({ error: "El usuario no es válido." }).int("El usuario no es válido.").positive("El usuario no es válido.").max(2 ** 31 - 1, "El usuario no es válido."),
});

/** What the list says after a change (the 303 carries which change and whose account). */
const noticeQuery = z.object({
  creado: z.coerce.number().int().positive().optional(),
  desactivado: z.coerce.number().int().positive().optional(),
  activado: z.coerce.number().int().positive().optional(),
});

type Done = { kind: keyof z.infer<typeof noticeQuery>; id: number };
const DONE_SAYS: Record<Done["kind"], string> = {
  creado: "Se creó la cuenta de",
  desactivado: "Se desactivó la cuenta de",
  activado: "Se activó la cuenta de",
};

interface FormState {
  values: { correo: string; nombre: string; rol: string };
  /** Problems by form field ("" for the whole form). */
  problems: Problem[];
}

const EMPTY_FORM: FormState = { values: { correo: "", nombre: "", rol: "asesor" }, problems: [] };

export function usersRoutes(admin: FastifyInstance, { deps, render }: PageKit): void {
  async function usersPage(request: FastifyRequest, reply: FastifyReply, state: { form?: FormState; done?: Done; refusal?: string | null } = {}) {
    const users = await deps.services.accounts.listUsers();
    const changed = state.done && users.find((user) => user.id === state.done!.id);
    const me = personOf(request).user.id;
    const form = state.form ?? EMPTY_FORM;
    return render(reply, "users", {
      ...frameOf(request, "Usuarios", "usuarios"),
      styles: ["users.css"],
      users: users.map((user) => userRow(user, me, deps.timeZone)),
      form: { values: form.values, errors: Object.fromEntries(form.problems.map((problem) => [problem.path, problem.message])), hasErrors: form.problems.length > 0 },
      notice: changed ? `${DONE_SAYS[state.done!.kind]} ${changed.email}.` : null,
      refusal: state.refusal ?? null,
    });
  }

  admin.get("/usuarios", ADMIN_ONLY, async (request, reply) => {
    const query = noticeQuery.safeParse(request.query ?? {});
    const done = query.success ? (Object.entries(query.data).find(([, id]) => id !== undefined) as [Done["kind"], number] | undefined) : undefined;
    return usersPage(request, reply, done ? { done: { kind: done[0], id: done[1] } } : {});
  });

  admin.post("/usuarios", ADMIN_ONLY, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { correo: String(body.correo ?? ""), nombre: String(body.nombre ?? ""), rol: String(body.rol ?? "asesor") };
    const parsed = newUserForm.safeParse(body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => ({ path: String(issue.path[0] ?? ""), message: issue.message }));
      return usersPage(request, reply.code(400), { form: { values, problems } });
    }
    const { correo, nombre, rol, contrasena } = parsed.data;
    try {
      const user = await deps.services.accounts.createUser({ email: correo, name: nombre, role: rol, password: contrasena }, personOf(request).user.email);
      return reply.redirect(`/admin/usuarios?creado=${user.id}`, 303);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code === "forbidden") throw error;
      const problems = error.problems.length
        ? error.problems.map((problem) => ({ path: FORM_FIELD[problem.path] ?? "", message: problem.message }))
        : [{ path: "", message: error.message }];
      return usersPage(request, reply.code(STATUS_BY_CODE[error.code] ?? 400), { form: { values, problems } });
    }
  });

  for (const [path, disabled, notice] of [
    ["desactivar", true, "desactivado"],
    ["activar", false, "activado"],
  ] as const) {
    admin.post(`/usuarios/:id/${path}`, ADMIN_ONLY, async (request, reply) => {
      const { id } = parseInput(userParams, request.params);
      try {
        await deps.services.accounts.setUserDisabled(id, disabled, personOf(request).user.email);
      } catch (error) {
        if (!(error instanceof DomainError) || error.code === "forbidden") throw error;
        return usersPage(request, reply.code(STATUS_BY_CODE[error.code] ?? 400), { refusal: error.message });
      }
      return reply.redirect(`/admin/usuarios?${notice}=${id}`, 303);
    });
  }
}

function userRow(user: User, me: number, timeZone: string) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    roleLabel: user.role === "admin" ? "Administrador" : "Asesor",
    disabled: user.disabled_at !== null,
    state: user.disabled_at ? `Desactivada desde ${formatDateTime(user.disabled_at, timeZone)}` : "Activa",
    lastSignIn: user.last_sign_in_at ? formatDateTime(user.last_sign_in_at, timeZone) : "Nunca",
    isMe: user.id === me,
  };
}
