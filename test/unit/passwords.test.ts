import { describe, expect, it } from "vitest";
import { CURRENT_PARAMS, dummyHash, hashPassword, needsRehash, verifyPassword, type ScryptParams } from "../../src/services/password-hashing";

const CHEAP: ScryptParams = { logN: 10, r: 8, p: 1 };
const PASSWORD = "casa-con-jardín-2026";

describe("password hashes", () => {
  it("name their parameters, salt and key, and verify the password they were made from", async () => {
    const stored = await hashPassword(PASSWORD);
    expect(stored).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    expect(needsRehash(stored)).toBe(false);
  });

  it("refuse a wrong password, even one differing only in case or a trailing space", async () => {
    const stored = await hashPassword(PASSWORD, CHEAP);
    for (const wrong of ["casa-con-jardín-2027", "CASA-CON-JARDÍN-2026", `${PASSWORD} `, ""]) {
      expect(await verifyPassword(wrong, stored), wrong).toBe(false);
    }
  });

  it("take the same password typed with composed or decomposed accents", async () => {
    const stored = await hashPassword("contraseña-segura", CHEAP);
    expect(await verifyPassword("contrasen\u0303a-segura", stored)).toBe(true);
  });

  it("are salted: the same password never gives the same hash", async () => {
    expect(await hashPassword(PASSWORD, CHEAP)).not.toBe(await hashPassword(PASSWORD, CHEAP));
  });

  it("match nothing once tampered with, and throw for none of it", async () => {
    const stored = await hashPassword(PASSWORD, CHEAP);
    const [, logN, r, p, salt, key] = stored.split("$") as [string, string, string, string, string, string];
    const flip = (text: string) => (text[0] === "A" ? "B" : "A") + text.slice(1);
    const tampered = [
      `scrypt$${logN}$${r}$${p}$${salt}$${flip(key)}`,
      `scrypt$${logN}$${r}$${p}$${flip(salt)}$${key}`,
      `scrypt$11$${r}$${p}$${salt}$${key}`,
      `scrypt$${logN}$4$${p}$${salt}$${key}`,
      `bcrypt$${logN}$${r}$${p}$${salt}$${key}`,
      `scrypt$${logN}$${r}$${p}$${salt}$${key}$extra`,
      `scrypt$${logN}$${r}$${p}$${salt}$${key.slice(0, -1)}!`,
      // Parameters that would make a sign-in allocate gigabytes are refused before any work.
      `scrypt$30$${r}$${p}$${salt}$${key}`,
      `scrypt$${logN}$${r}$${p}$${salt}$`,
      "",
    ];
    for (const hash of tampered) expect(await verifyPassword(PASSWORD, hash), hash).toBe(false);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
  });

  it("ask to be made again when made with other parameters, or unreadable", async () => {
    expect(needsRehash(await hashPassword(PASSWORD, CHEAP))).toBe(true);
    expect(needsRehash(await hashPassword(PASSWORD, CHEAP), CHEAP)).toBe(false);
    expect(needsRehash("not a hash")).toBe(true);
  });

  it("have a dummy for unknown e-mails made with the current parameters, which no password opens", async () => {
    const dummy = await dummyHash();
    expect(needsRehash(dummy, CURRENT_PARAMS)).toBe(false);
    expect(await verifyPassword(PASSWORD, dummy)).toBe(false);
    const cheapDummy = await dummyHash(CHEAP);
    expect(needsRehash(cheapDummy, CHEAP)).toBe(false);
    expect(await dummyHash(CHEAP)).toBe(cheapDummy);
  });
});
