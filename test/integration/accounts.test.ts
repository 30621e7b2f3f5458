/**
 * Dashboard accounts on SQLite and PostgreSQL: the first admin from the
 * environment, signing in and its lockout, sessions that end, and accounts
 * an admin creates. scrypt runs with cheaper parameters here (the real ones
 * are tested in test/unit/passwords.test.ts); the clock is a manual one.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Database } from "../../db/database";
import { insertUser } from "../../db/repositories/users-repository";
import { recordSignInFailure } from "../../db/repositories/sign-in-failures-repository";
import { createManualClock, type ManualClock } from "../../src/clock";
import { recordFailure, type FailureWindow } from "../../src/domain/sign-in-throttle";
import { ConflictError, ForbiddenError, SignInLockedError, ValidationError, WrongCredentialsError } from "../../src/errors";
import { createAccountService, tokenHash, type AccountService } from "../../src/services/account-service";
import { createLeadEvents } from "../../src/services/lead-events";
import { hashPassword, type ScryptParams } from "../../src/services/password-hashing";
import { DIALECTS, skipPostgres, useBothDatabases } from "../support/both-databases";
import { minutes, START, THROTTLE_CASES } from "../support/sign-in-throttle-cases";

const databaseFor = useBothDatabases();

const CHEAP: ScryptParams = { logN: 10, r: 8, p: 1 };
const PASSWORD = "contraseña-de-prueba-1";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function accountsOn(database: Database, clock: ManualClock = createManualClock(START)): AccountService {
  return createAccountService({ db: database, clock, timeZone: "America/Mexico_City", events: createLeadEvents() }, { passwordParams: CHEAP });
}

/** An account written straight to the table, for tests that need one to act or sign in. */
async function existingUser(database: Database, email: string, role: "admin" | "asesor" = "admin") {
  const password_hash = await hashPassword(PASSWORD, CHEAP);
  return database.run((q) => insertUser(q, { email, name: email.split("@")[0]!, role, password_hash, created_at: START, updated_at: START }));
}

const userAudits = (database: Database, entityId: number) =>
  database.run((q) =>
    q.db
      .select()
      .from(q.t.auditLogs)
      .where(and(eq(q.t.auditLogs.entity, "user"), eq(q.t.auditLogs.entity_id, entityId))),
  );

const storedSession = (database: Database, token: string) =>
  database.run(async (q) => (await q.db.select().from(q.t.sessions).where(eq(q.t.sessions.token_hash, tokenHash(token))))[0]);

describe.each(DIALECTS)("dashboard accounts on %s", (dialect) => {
  const skip = dialect === "postgres" && skipPostgres;

  /** The service on this dialect's database with a clock of its own, and an account `<name>.<dialect>@agencia.mx`. */
  async function withAccount(name: string, role: "admin" | "asesor" = "admin") {
    const database = databaseFor(dialect);
    const clock = createManualClock(START);
    const email = `${name}.${dialect}@agencia.mx`;
    const user = await existingUser(database, email, role);
    return { database, clock, accounts: accountsOn(database, clock), email, user };
  }

  it.skipIf(skip)("create the first admin once: a second start, or two at once, create no one and change nothing", async () => {
    const database = databaseFor(dialect);
    const clock = createManualClock(START);
    const [first, second] = [accountsOn(database, clock), accountsOn(database, clock)];
    const created = await Promise.all([
      first.ensureFirstAdmin({ email: "  Direccion@Agencia.MX ", password: PASSWORD }),
      second.ensureFirstAdmin({ email: "direccion@agencia.mx", password: PASSWORD }),
    ]);
    expect(created.sort()).toEqual([false, true]);

    const admins = (await first.listUsers()).filter((user) => user.email === "direccion@agencia.mx");
    expect(admins).toEqual([expect.objectContaining({ role: "admin", name: "Administrador", disabled_at: null, created_at: START })]);
    expect(admins[0]).not.toHaveProperty("password_hash");
    const audits = await userAudits(database, admins[0]!.id);
    expect(audits).toEqual([
      expect.objectContaining({ actor: "system:config", action: "user.create", after: { email: "direccion@agencia.mx", name: "Administrador", role: "admin", disabled_at: null } }),
    ]);

    // A later start with other variables: nothing is created or reset.
    clock.advance(HOUR);
    expect(await first.ensureFirstAdmin({ email: "otra@agencia.mx", password: "otra-contraseña-larga" })).toBe(false);
    expect(await first.ensureFirstAdmin({ email: "direccion@agencia.mx", password: "otra-contraseña-larga" })).toBe(false);
    expect((await first.listUsers()).map((user) => user.email)).not.toContain("otra@agencia.mx");
    await expect(first.signIn("direccion@agencia.mx", "otra-contraseña-larga", "198.51.100.1")).rejects.toBeInstanceOf(WrongCredentialsError);
    await expect(first.signIn("direccion@agencia.mx", PASSWORD, "198.51.100.1")).resolves.toMatchObject({ user: { id: admins[0]!.id } });
  });

  it.skipIf(skip)("sign a person in whatever the case and spaces of the e-mail, and the session opens the dashboard", async () => {
    const { database, clock, accounts, user: ana } = await withAccount("ana", "asesor");
    clock.advance(MINUTE);

    const signedIn = await accounts.signIn(`  ANA.${dialect.toUpperCase()}@Agencia.mx`, PASSWORD, "198.51.100.2");
    expect(signedIn.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signedIn.user).toMatchObject({ id: ana.id, role: "asesor", last_sign_in_at: clock.now() });
    expect(signedIn.expires_at).toEqual(new Date(clock.now().getTime() + 12 * HOUR));
    expect(await accounts.sessionFor(signedIn.token)).toEqual({ user: signedIn.user, expires_at: signedIn.expires_at });
    // The database holds the token's hash, never the token.
    expect(await storedSession(database, signedIn.token)).toMatchObject({ user_id: ana.id, token_hash: tokenHash(signedIn.token) });
    expect(await accounts.sessionFor(signedIn.token.replace(/^./, (c) => (c === "A" ? "B" : "A")))).toBeNull();
    expect(await accounts.sessionFor("")).toBeNull();
  });

  it.skipIf(skip)("refuse a wrong password and an unknown e-mail with the same words", async () => {
    const { accounts, email: beto } = await withAccount("beto");
    for (const [email, password] of [
      [beto, "no-es-la-contraseña"],
      [`nadie.${dialect}@agencia.mx`, PASSWORD],
    ] as const) {
      const refusal = accounts.signIn(email, password, "198.51.100.3");
      await expect(refusal).rejects.toBeInstanceOf(WrongCredentialsError);
      await expect(refusal).rejects.toMatchObject({ message: "Correo o contraseña incorrectos.", code: "unauthorized" });
    }
  });

  it.skipIf(skip)("lock an e-mail from an address after five wrong passwords, until 15 minutes after the first; a success clears it", async () => {
    const { clock, accounts, email } = await withAccount("carla");
    const ip = "198.51.100.4";

    for (let attempt = 1; attempt <= 5; attempt++) {
      await expect(accounts.signIn(email, `intento-equivocado-${attempt}`, ip)).rejects.toBeInstanceOf(WrongCredentialsError);
      clock.advance(MINUTE);
    }
    // Even the right password is refused now, before it is checked.
    const locked = accounts.signIn(email, PASSWORD, ip);
    await expect(locked).rejects.toBeInstanceOf(SignInLockedError);
    await expect(locked).rejects.toMatchObject({ message: "Demasiados intentos fallidos. Inténtalo de nuevo en 15 minutos.", code: "too_many" });
    // Another address is another key.
    await expect(accounts.signIn(email, PASSWORD, "198.51.100.44")).resolves.toMatchObject({ user: { email } });

    clock.set(new Date(START.getTime() + 15 * MINUTE - 1));
    await expect(accounts.signIn(email, PASSWORD, ip)).rejects.toBeInstanceOf(SignInLockedError);
    clock.set(new Date(START.getTime() + 15 * MINUTE));
    await expect(accounts.signIn(email, PASSWORD, ip)).resolves.toMatchObject({ user: { email } });

    // The success forgot the failures: four more do not lock, the fifth does.
    for (let attempt = 1; attempt <= 4; attempt++) {
      await expect(accounts.signIn(email, "otra-vez-mal", ip)).rejects.toBeInstanceOf(WrongCredentialsError);
    }
    await expect(accounts.signIn(email, PASSWORD, ip)).resolves.toMatchObject({ user: { email } });
  });

  it.skipIf(skip)("lock an address after twenty failures, whichever e-mails they tried", async () => {
    const { clock, accounts, email } = await withAccount("dora");
    const ip = "198.51.100.5";
    for (let attempt = 0; attempt < 20; attempt++) {
      await expect(accounts.signIn(`prueba${attempt % 5}.${dialect}@agencia.mx`, PASSWORD, ip)).rejects.toBeInstanceOf(WrongCredentialsError);
    }
    await expect(accounts.signIn(email, PASSWORD, ip)).rejects.toBeInstanceOf(SignInLockedError);
    clock.advance(15 * MINUTE);
    await expect(accounts.signIn(email, PASSWORD, ip)).resolves.toMatchObject({ user: { email } });
  });

  it.skipIf(skip)("count failures in one statement exactly as the rule does", async () => {
    const database = databaseFor(dialect);
    for (const [index, testCase] of THROTTLE_CASES.entries()) {
      const key = `caso:${index}`;
      let expected: FailureWindow | undefined;
      for (const at of testCase.failures) {
        expected = recordFailure(expected, minutes(at), testCase.limit);
        const stored = await database.transaction((tx) => recordSignInFailure(tx, key, minutes(at), testCase.limit));
        expect(stored, `${testCase.name}, failure at minute ${at}`).toEqual(expected);
      }
    }
  });

  it.skipIf(skip)("end a session after 12 hours unused, writing its use at most every 5 minutes", async () => {
    const { database, clock, accounts, email } = await withAccount("elena");
    const { token } = await accounts.signIn(email, PASSWORD, "198.51.100.6");

    clock.advance(4 * MINUTE);
    expect(await accounts.sessionFor(token)).not.toBeNull();
    expect((await storedSession(database, token))?.last_seen_at).toEqual(START);
    clock.advance(MINUTE);
    expect((await accounts.sessionFor(token))?.expires_at).toEqual(new Date(START.getTime() + 5 * MINUTE + 12 * HOUR));
    expect(await storedSession(database, token)).toMatchObject({ last_seen_at: clock.now(), expires_at: new Date(clock.now().getTime() + 12 * HOUR) });

    clock.advance(12 * HOUR - 1);
    expect(await accounts.sessionFor(token)).not.toBeNull();
    clock.advance(12 * HOUR);
    expect(await accounts.sessionFor(token)).toBeNull();
    expect(await storedSession(database, token)).toBeUndefined();
  });

  it.skipIf(skip)("end a session 7 days after sign-in however much it is used", async () => {
    const { clock, accounts, email } = await withAccount("fer");
    const { token } = await accounts.signIn(email, PASSWORD, "198.51.100.7");
    const sevenDays = START.getTime() + 7 * 24 * HOUR;
    while (clock.now().getTime() + 6 * HOUR < sevenDays) {
      clock.advance(6 * HOUR);
      expect(await accounts.sessionFor(token), clock.now().toISOString()).not.toBeNull();
    }
    clock.set(new Date(sevenDays - MINUTE));
    expect((await accounts.sessionFor(token))?.expires_at).toEqual(new Date(sevenDays));
    clock.set(new Date(sevenDays));
    expect(await accounts.sessionFor(token)).toBeNull();
  });

  it.skipIf(skip)("end a session on sign-out, on a new sign-in from the same browser, and delete expired ones at the next sign-in", async () => {
    const { database, clock, accounts, email } = await withAccount("gabi");
    const ip = "198.51.100.8";

    const first = await accounts.signIn(email, PASSWORD, ip);
    await accounts.signOut(first.token);
    expect(await accounts.sessionFor(first.token)).toBeNull();
    await accounts.signOut(first.token);

    const second = await accounts.signIn(email, PASSWORD, ip);
    const third = await accounts.signIn(email, PASSWORD, ip, second.token);
    expect(await accounts.sessionFor(second.token)).toBeNull();
    expect(await accounts.sessionFor(third.token)).not.toBeNull();

    const forgotten = await accounts.signIn(email, PASSWORD, ip);
    clock.advance(13 * HOUR);
    expect(await storedSession(database, forgotten.token)).toBeDefined();
    await accounts.signIn(email, PASSWORD, ip);
    expect(await storedSession(database, forgotten.token)).toBeUndefined();
  });

  it.skipIf(skip)("let an admin create accounts, audited as web:<admin's e-mail>, and refuse an asesor", async () => {
    const { database, clock, accounts, email: admin } = await withAccount("hugo");
    const asesor = `ines.${dialect}@agencia.mx`;
    await existingUser(database, asesor, "asesor");

    const refused = accounts.createUser({ email: `nuevo.${dialect}@agencia.mx`, name: "Nuevo", role: "admin", password: PASSWORD }, asesor);
    await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
    await expect(refused).rejects.toMatchObject({ code: "forbidden", message: "Solo un administrador puede crear usuarios." });
    await expect(
      accounts.createUser({ email: `nuevo.${dialect}@agencia.mx`, name: "Nuevo", role: "admin", password: PASSWORD }, `nadie.${dialect}@agencia.mx`),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect((await accounts.listUsers()).map((user) => user.email)).not.toContain(`nuevo.${dialect}@agencia.mx`);

    clock.advance(MINUTE);
    const julia = await accounts.createUser({ email: ` Julia.${dialect}@Agencia.MX`, name: "  Julia Ruiz ", role: "asesor", password: PASSWORD }, admin.toUpperCase());
    expect(julia).toMatchObject({ email: `julia.${dialect}@agencia.mx`, name: "Julia Ruiz", role: "asesor", created_at: clock.now(), last_sign_in_at: null });
    expect(julia).not.toHaveProperty("password_hash");
    expect(await userAudits(database, julia.id)).toEqual([
      expect.objectContaining({
        actor: `web:${admin}`,
        action: "user.create",
        at: clock.now(),
        after: { email: `julia.${dialect}@agencia.mx`, name: "Julia Ruiz", role: "asesor", disabled_at: null },
      }),
    ]);
    await expect(accounts.signIn(`julia.${dialect}@agencia.mx`, PASSWORD, "198.51.100.9")).resolves.toMatchObject({ user: { id: julia.id } });
  });

  it.skipIf(skip)("refuse a second account with the same e-mail, whatever its case, with a clear error", async () => {
    const { accounts, email: admin } = await withAccount("karla");
    const fields = { email: `luis.${dialect}@agencia.mx`, name: "Luis", role: "asesor" as const, password: PASSWORD };
    await accounts.createUser(fields, admin);
    const duplicate = accounts.createUser({ ...fields, email: `LUIS.${dialect}@agencia.mx ` }, admin);
    await expect(duplicate).rejects.toBeInstanceOf(ConflictError);
    await expect(duplicate).rejects.toMatchObject({ message: "Ya existe un usuario con ese correo.", problems: [{ path: "email", message: "Ya existe un usuario con ese correo." }] });
    expect((await accounts.listUsers()).filter((user) => user.email === fields.email)).toHaveLength(1);
  });

  it.skipIf(skip)("check a new account's fields and name each problem", async () => {
    const { accounts, email: admin } = await withAccount("memo");
    const refused = accounts.createUser({ email: "no-es-correo", name: " ", role: "jefe" as "admin", password: "corta" }, admin);
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({
      problems: [
        { path: "email", message: "Escribe un correo válido." },
        { path: "name", message: "Escribe el nombre." },
        { path: "role", message: "El rol debe ser admin o asesor." },
        { path: "password", message: "La contraseña debe tener al menos 12 caracteres." },
      ],
    });
  });

  it.skipIf(skip)("let an admin disable an account, ending its sessions at once, and enable it again; audited, never their own", async () => {
    const { database, clock, accounts, email: admin, user: adminUser } = await withAccount("nora");
    const { user: asesor, email: asesorEmail } = await withAccount("olga", "asesor");
    const session = await accounts.signIn(asesorEmail, PASSWORD, "198.51.100.10");
    const other = await accounts.signIn(asesorEmail, PASSWORD, "198.51.100.11");

    clock.advance(MINUTE);
    const disabled = await accounts.setUserDisabled(asesor.id, true, admin);
    expect(disabled).toMatchObject({ id: asesor.id, disabled_at: clock.now() });
    for (const token of [session.token, other.token]) expect(await storedSession(database, token)).toBeUndefined();
    await expect(accounts.signIn(asesorEmail, PASSWORD, "198.51.100.10")).rejects.toBeInstanceOf(WrongCredentialsError);
    // A second click changes nothing and audits nothing.
    await accounts.setUserDisabled(asesor.id, true, admin);

    clock.advance(MINUTE);
    expect(await accounts.setUserDisabled(asesor.id, false, admin)).toMatchObject({ disabled_at: null });
    await expect(accounts.signIn(asesorEmail, PASSWORD, "198.51.100.12")).resolves.toMatchObject({ user: { id: asesor.id } });
    expect((await userAudits(database, asesor.id)).map((row) => [row.actor, row.action])).toEqual([
      [`web:${admin}`, "user.disable"],
      [`web:${admin}`, "user.enable"],
    ]);

    const self = accounts.setUserDisabled(adminUser.id, true, admin);
    await expect(self).rejects.toBeInstanceOf(ConflictError);
    await expect(self).rejects.toMatchObject({ message: "No puedes desactivar tu propia cuenta." });
    await expect(accounts.setUserDisabled(adminUser.id, true, asesorEmail)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(accounts.setUserDisabled(999_999, true, admin)).rejects.toMatchObject({ code: "not_found" });
  });
});
