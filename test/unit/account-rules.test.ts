import { describe, expect, it } from "vitest";
import {
  checkSession,
  isValidEmail,
  newSessionTimes,
  normalizeEmail,
  passwordProblem,
  SESSION_ABSOLUTE_MS,
  SESSION_IDLE_MS,
} from "../../src/domain/accounts";

const HOUR = 3_600_000;
const MINUTE = 60_000;
const signedInAt = new Date("2026-01-15T16:00:00Z");
const after = (ms: number) => new Date(signedInAt.getTime() + ms);

describe("account e-mails", () => {
  it.each([
    ["  Ana.Lopez@Agencia.MX ", "ana.lopez@agencia.mx"],
    ["JOSE@agencia.mx", "jose@agencia.mx"],
    // A decomposed accent (e + U+0301) is the same e-mail as the composed one.
    ["rene\u0301@agencia.mx", "ren\u00e9@agencia.mx"],
  ])("%j is kept as %j", (typed, kept) => {
    expect(normalizeEmail(typed)).toBe(kept);
  });

  it.each([
    ["ana@agencia.mx", true],
    ["ana.lopez+dashboard@sub.agencia.com.mx", true],
    ["ana@agencia", false],
    ["ana agencia@x.mx", false],
    ["@agencia.mx", false],
    ["ana@@agencia.mx", false],
    ["ana@agencia..mx", false],
    [`${"a".repeat(250)}@x.mx`, false],
  ])("%j valid: %s", (email, valid) => {
    expect(isValidEmail(email)).toBe(valid);
  });
});

describe("account passwords", () => {
  it.each([
    ["corta", "La contraseña debe tener al menos 12 caracteres."],
    ["once-letras", "La contraseña debe tener al menos 12 caracteres."],
    ["doce-letras!", null],
    // Characters as a person counts them: twelve accented letters are twelve.
    ["ñññññññññññ", "La contraseña debe tener al menos 12 caracteres."],
    ["x".repeat(200), null],
    ["x".repeat(201), "La contraseña debe tener como máximo 200 caracteres."],
  ])("%j: %s", (password, problem) => {
    expect(passwordProblem(password)).toBe(problem);
  });
});

describe("dashboard sessions", () => {
  const fresh = newSessionTimes(signedInAt);

  it("start with 12 hours to live unused and 7 days at most", () => {
    expect(fresh).toEqual({ created_at: signedInAt, last_seen_at: signedInAt, expires_at: after(12 * HOUR), absolute_expires_at: after(7 * 24 * HOUR) });
  });

  it.each([
    { name: "used a minute later: nothing to write", session: fresh, at: after(MINUTE), expect: { kind: "valid" } },
    { name: "used just under 5 minutes later: nothing to write", session: fresh, at: after(5 * MINUTE - 1), expect: { kind: "valid" } },
    {
      name: "used 5 minutes later: its use is written and it lives 12 hours from then",
      session: fresh,
      at: after(5 * MINUTE),
      expect: { kind: "touch", last_seen_at: after(5 * MINUTE), expires_at: after(5 * MINUTE + SESSION_IDLE_MS) },
    },
    { name: "unused for 12 hours: over", session: fresh, at: after(SESSION_IDLE_MS), expect: { kind: "expired" } },
    {
      name: "used until its last day: it never lives past 7 days after sign-in",
      session: { last_seen_at: after(SESSION_ABSOLUTE_MS - 6 * HOUR), expires_at: fresh.absolute_expires_at, absolute_expires_at: fresh.absolute_expires_at },
      at: after(SESSION_ABSOLUTE_MS - HOUR),
      expect: { kind: "touch", last_seen_at: after(SESSION_ABSOLUTE_MS - HOUR), expires_at: fresh.absolute_expires_at },
    },
    {
      name: "7 days after sign-in: over, however recently used",
      // A row whose idle expiry passed the absolute one (written by hand, or by an older rule) still ends with it.
      session: { last_seen_at: after(SESSION_ABSOLUTE_MS - MINUTE), expires_at: after(SESSION_ABSOLUTE_MS + 11 * HOUR), absolute_expires_at: fresh.absolute_expires_at },
      at: after(SESSION_ABSOLUTE_MS),
      expect: { kind: "expired" },
    },
    { name: "a clock gone back before its last use: valid, nothing written", session: { ...fresh, last_seen_at: after(HOUR) }, at: after(30 * MINUTE), expect: { kind: "valid" } },
  ])("$name", ({ session, at, expect: expected }) => {
    expect(checkSession(session, at)).toEqual(expected);
  });
});
