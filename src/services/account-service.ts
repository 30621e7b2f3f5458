/**
 * Dashboard accounts: the first admin from the environment, signing in and
 * out, the session behind each request, and the accounts an admin creates.
 * Passwords reach this file in plain text and leave it only as scrypt hashes;
 * nothing here logs, and no audit row holds a hash.
 */
import { createHash, randomBytes } from "node:crypto";
import { claimAppState, findAppState } from "../../db/repositories/app-state-repository";
import { insertAudit } from "../../db/repositories/audit-repository";
import {
  deleteExpiredSessions,
  deleteSession,
  deleteSessionsOfUser,
  findSessionWithUser,
  insertSession,
  touchSession,
} from "../../db/repositories/sessions-repository";
import {
  clearSignInFailures,
  deleteEndedSignInFailures,
  findSignInFailures,
  recordSignInFailure,
} from "../../db/repositories/sign-in-failures-repository";
import {
  anyUserExists,
  findCredentialsByEmail,
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  markSignedIn,
  setUserDisabledAt,
  type User,
} from "../../db/repositories/users-repository";
import type { Executor } from "../../db/executor";
import { isUniqueViolation } from "../../db/unique-violation";
import { checkSession, isValidEmail, newSessionTimes, normalizeEmail, PASSWORD_MAX_LENGTH, passwordProblem, SESSION_TOUCH_EVERY_MS } from "../domain/accounts";
import { isLocked, throttleKeys } from "../domain/sign-in-throttle";
import { USER_ROLES, type UserRole } from "../domain/vocabulary";
import { ConflictError, ForbiddenError, NotFoundError, SignInLockedError, ValidationError, WrongCredentialsError, type Problem } from "../errors";
import type { ServiceDeps } from "./context";
import { CURRENT_PARAMS, dummyHash, hashPassword, needsRehash, verifyPassword, type ScryptParams } from "./password-hashing";

export type { User } from "../../db/repositories/users-repository";

/** Set in app_state when the first admin was created: later starts read it and skip hashing the password. */
export const FIRST_ADMIN_STATE_KEY = "dashboard_first_admin_created_at";
/** Who created the first admin, in its audit row. */
export const CONFIG_ACTOR = "system:config";

export interface NewUser {
  email: string;
  name: string;
  role: UserRole;
  password: string;
}

export interface SignedIn {
  /** What the cookie holds: 32 random bytes, base64url. The database keeps only its SHA-256. */
  token: string;
  user: User;
  /** When the session ends unless it is used again. */
  expires_at: Date;
}

export interface ActiveSession {
  user: User;
  expires_at: Date;
}

export interface AccountOptions {
  /** scrypt parameters for new hashes; tests pass cheaper ones. */
  passwordParams?: ScryptParams;
}

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;
const NAME_MAX_LENGTH = 120;

export function createAccountService({ db, clock }: ServiceDeps, options: AccountOptions = {}) {
  const params = options.passwordParams ?? CURRENT_PARAMS;

  /** The acting admin's account, or a refusal: a disabled or demoted admin may no longer act. */
  async function requireAdmin(q: Executor, actorEmail: string, refusal = "Solo un administrador puede crear usuarios."): Promise<User> {
    const actor = await findUserByEmail(q, normalizeEmail(actorEmail));
    if (!actor || actor.disabled_at || actor.role !== "admin") throw new ForbiddenError(refusal);
    return actor;
  }

  async function countFailure(keys: ReturnType<typeof throttleKeys>): Promise<void> {
    await db.transaction(async (tx) => {
      const now = clock.now();
      await deleteEndedSignInFailures(tx, now);
      for (const { key, limit } of [keys.emailAndIp, keys.ip]) await recordSignInFailure(tx, key, now, limit);
    });
  }

  return {
    /**
     * Creates the admin named by DASHBOARD_ADMIN_EMAIL and DASHBOARD_ADMIN_PASSWORD, once per
     * database: true when this call created it. Once done, a start costs one read (no scrypt), and
     * a later change of the variables creates or resets no one. Instances starting together each
     * try to claim it; one does.
     */
    async ensureFirstAdmin({ email, password }: { email: string; password: string }): Promise<boolean> {
      if ((await db.run((q) => findAppState(q, FIRST_ADMIN_STATE_KEY))) !== undefined) return false;
      const fields = checkedNewUser({ email, name: "Administrador", role: "admin", password });
      // Outside the transaction: on SQLite a transaction holds the whole database while scrypt runs.
      const password_hash = await hashPassword(password, params);
      return db.transaction(async (tx) => {
        const now = clock.now();
        if (!(await claimAppState(tx, FIRST_ADMIN_STATE_KEY, now.toISOString()))) return false;
        // Someone already has that e-mail: the account is kept as it is, password included.
        if (await findUserByEmail(tx, fields.email)) return false;
        const user = await insertUser(tx, { ...fields, password_hash, created_at: now, updated_at: now });
        await insertAudit(tx, { actor: CONFIG_ACTOR, action: "user.create", entity: "user", entity_id: user.id, after: auditView(user) }, now);
        return true;
      });
    },

    /**
     * Opens a session for the account with this e-mail and password, or refuses with
     * WrongCredentialsError (401: which of the two was wrong is not said) or, after too many
     * failures from `ip`, SignInLockedError (429) before any password is checked. The session
     * `previousToken` names (this browser's earlier one) ends: a session id is never carried
     * across a sign-in.
     */
    async signIn(email: string, password: string, ip: string, previousToken?: string): Promise<SignedIn> {
      const normalized = normalizeEmail(email);
      const keys = throttleKeys(normalized, ip);
      const failures = await db.run((q) => findSignInFailures(q, [keys.emailAndIp.key, keys.ip.key]));
      const checkedAt = clock.now();
      if (failures.some((failure) => isLocked(failure, checkedAt))) throw new SignInLockedError();

      const credentials = await db.run((q) => findCredentialsByEmail(q, normalized));
      // An unknown e-mail is verified against a dummy hash, so it takes as long as a wrong password.
      const matches =
        [...password].length <= PASSWORD_MAX_LENGTH && (await verifyPassword(password, credentials?.password_hash ?? (await dummyHash(params))));
      if (!credentials || !matches || credentials.user.disabled_at) {
        await countFailure(keys);
        throw new WrongCredentialsError();
      }

      const rehashed = needsRehash(credentials.password_hash, params) ? await hashPassword(password, params) : null;
      const token = randomBytes(32).toString("base64url");
      return db.transaction(async (tx) => {
        const now = clock.now();
        const times = newSessionTimes(now);
        await clearSignInFailures(tx, keys.emailAndIp.key);
        // Housekeeping with no job of its own: sign-ins are rare, and the index finds the expired rows.
        await deleteExpiredSessions(tx, now);
        if (previousToken && TOKEN_FORMAT.test(previousToken)) await deleteSession(tx, tokenHash(previousToken));
        await insertSession(tx, { token_hash: tokenHash(token), user_id: credentials.user.id, ...times });
        await markSignedIn(tx, credentials.user.id, now, rehashed);
        const user = { ...credentials.user, last_sign_in_at: now, updated_at: rehashed ? now : credentials.user.updated_at };
        return { token, user, expires_at: times.expires_at };
      });
    },

    /**
     * The signed-in account behind a cookie's token, or null when there is none: unknown,
     * expired (12 h unused, or 7 days after sign-in) or its account disabled. Its use is
     * written at most every 5 minutes, so most requests cost this one read.
     */
    async sessionFor(token: string): Promise<ActiveSession | null> {
      if (!TOKEN_FORMAT.test(token)) return null;
      const hash = tokenHash(token);
      const found = await db.run((q) => findSessionWithUser(q, hash));
      if (!found || found.user.disabled_at) return null;
      const now = clock.now();
      const check = checkSession(found.session, now);
      switch (check.kind) {
        case "expired":
          await db.run((q) => deleteSession(q, hash));
          return null;
        case "valid":
          return { user: found.user, expires_at: found.session.expires_at };
        case "touch":
          await db.run((q) => touchSession(q, hash, check.last_seen_at, check.expires_at, new Date(now.getTime() - SESSION_TOUCH_EVERY_MS)));
          return { user: found.user, expires_at: check.expires_at };
      }
    },

    /** Ends the session of this token, on every instance at its next request. Ending one already gone is no error. */
    async signOut(token: string): Promise<void> {
      if (!TOKEN_FORMAT.test(token)) return;
      await db.run((q) => deleteSession(q, tokenHash(token)));
    },

    /** An admin creates an account (audited as web:<admin's e-mail>); anyone else is refused with ForbiddenError. */
    async createUser(input: NewUser, actorEmail: string): Promise<User> {
      // Before hashing: a refusal costs no scrypt.
      await db.run((q) => requireAdmin(q, actorEmail));
      const fields = checkedNewUser(input);
      const password_hash = await hashPassword(input.password, params);
      try {
        return await db.transaction(async (tx) => {
          // Again where it is written: the actor may have been disabled while the hash was made.
          const actor = await requireAdmin(tx, actorEmail);
          const now = clock.now();
          const user = await insertUser(tx, { ...fields, password_hash, created_at: now, updated_at: now });
          await insertAudit(tx, { actor: `web:${actor.email}`, action: "user.create", entity: "user", entity_id: user.id, after: auditView(user) }, now);
          return user;
        });
      } catch (error) {
        // The unique index decides, so two admins adding the same person at once get one account.
        if (!isUniqueViolation(error)) throw error;
        const message = "Ya existe un usuario con ese correo.";
        throw new ConflictError(message, [{ path: "email", message }]);
      }
    },

    /**
     * An admin disables an account (it can no longer sign in, and its sessions end at once, on every
     * instance) or enables it again; audited user.disable / user.enable as web:<admin's e-mail>.
     * Nobody disables their own account: the dashboard always keeps the admin who acts.
     */
    setUserDisabled(id: number, disabled: boolean, actorEmail: string): Promise<User> {
      return db.transaction(async (tx) => {
        const actor = await requireAdmin(tx, actorEmail, "Solo un administrador puede activar o desactivar usuarios.");
        const user = await findUserById(tx, id);
        if (!user) throw new NotFoundError("un usuario", id);
        if (disabled && user.id === actor.id) throw new ConflictError("No puedes desactivar tu propia cuenta.");
        // Already so: nothing changes, nothing to audit (a second click, two admins at once).
        if ((user.disabled_at !== null) === disabled) return user;
        const now = clock.now();
        const updated = await setUserDisabledAt(tx, id, disabled ? now : null, now);
        if (disabled) await deleteSessionsOfUser(tx, id);
        await insertAudit(
          tx,
          { actor: `web:${actor.email}`, action: disabled ? "user.disable" : "user.enable", entity: "user", entity_id: id, before: auditView(user), after: auditView(updated) },
          now,
        );
        return updated;
      });
    },

    listUsers: (): Promise<User[]> => db.run((q) => listUsers(q)),

    /** Whether anyone can sign in yet (start-up says how to create the first admin when not). */
    hasAccounts: (): Promise<boolean> => db.run((q) => anyUserExists(q)),
  };
}

export type AccountService = ReturnType<typeof createAccountService>;

/** The SHA-256 of a session token, as sessions.token_hash stores it. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new account's fields, normalised, or a ValidationError naming each problem (Spanish, for the admin). */
function checkedNewUser(input: NewUser): { email: string; name: string; role: UserRole } {
  const problems: Problem[] = [];
  const email = normalizeEmail(input.email);
  if (!isValidEmail(email)) problems.push({ path: "email", message: "Escribe un correo válido." });
  const name = input.name.trim();
  if (!name) problems.push({ path: "name", message: "Escribe el nombre." });
  else if (name.length > NAME_MAX_LENGTH) problems.push({ path: "name", message: `El nombre debe tener como máximo ${NAME_MAX_LENGTH} caracteres.` });
  if (!(USER_ROLES as readonly string[]).includes(input.role)) problems.push({ path: "role", message: "El rol debe ser admin o asesor." });
  const passwordRefusal = passwordProblem(input.password);
  if (passwordRefusal) problems.push({ path: "password", message: passwordRefusal });
  if (problems.length) throw new ValidationError(problems);
  return { email, name, role: input.role };
}

/** An account as its audit row shows it: never the password hash (the User type has none). */
function auditView(user: User): Record<string, unknown> {
  return { email: user.email, name: user.name, role: user.role, disabled_at: user.disabled_at };
}
