/**
 * Passwords of dashboard accounts, hashed with scrypt (node:crypto). The
 * asynchronous scrypt runs on libuv's thread pool, so the 100–200 ms a hash
 * takes never blocks the event loop.
 *
 * A hash names its own parameters, `scrypt$<log2 N>$<r>$<p>$<salt>$<key>`
 * (salt and key in base64url), so stronger parameters can come later:
 * `needsRehash` says when a stored hash was made with others, and sign-in
 * then writes it again.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export interface ScryptParams {
  /** log2 of N, the CPU and memory cost. */
  logN: number;
  r: number;
  p: number;
}

/** N = 2^15, r = 8, p = 1: about 32 MiB and 100–200 ms per hash on the development machine. */
export const CURRENT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 1 };

const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Node's default limit is 32 MiB, and 2^15 with r = 8 needs exactly 128·N·r = 32 MiB plus a little. */
const MAX_MEMORY = 64 * 1024 * 1024;
/**
 * Bounds on what a stored hash may ask for, so a hand-edited row cannot make
 * a sign-in allocate gigabytes: 2^17 with r = 16 is 256 MiB.
 */
const LIMITS = { logN: [10, 17], r: [1, 16], p: [1, 4] } as const;

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, KEY_BYTES, params);
  return `scrypt$${params.logN}$${params.r}$${params.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** True when `password` is the one `stored` was made from. A malformed or tampered hash matches nothing. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await deriveKey(password, parsed.salt, parsed.key.length, parsed.params);
  // The lengths are equal by construction: the key is derived to the stored key's length.
  return timingSafeEqual(key, parsed.key);
}

/** True when `stored` was not made with `params` (or cannot be read): hash the password again once it is known. */
export function needsRehash(stored: string, params: ScryptParams = CURRENT_PARAMS): boolean {
  const parsed = parseHash(stored);
  return (
    !parsed ||
    parsed.params.logN !== params.logN ||
    parsed.params.r !== params.r ||
    parsed.params.p !== params.p ||
    parsed.salt.length !== SALT_BYTES ||
    parsed.key.length !== KEY_BYTES
  );
}

/**
 * A hash of a password nobody has, made with CURRENT_PARAMS. A sign-in for an
 * e-mail with no account verifies against it, so its answer takes as long as
 * a wrong password for a real account and does not reveal which e-mails exist.
 */
const CURRENT_DUMMY_HASH = "scrypt$15$8$1$0pw8a1BGNnTNoMc5zBls_A$nMFmLneYFMTByjaWxhlbYxB9tdOdrVXOYxBkXjmAbmM";

const dummyHashes = new Map<string, Promise<string>>();

/** The dummy hash for `params`: the constant above for the current ones, else made once per process (tests' cheaper parameters). */
export function dummyHash(params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  const label = `${params.logN}$${params.r}$${params.p}`;
  if (label === `${CURRENT_PARAMS.logN}$${CURRENT_PARAMS.r}$${CURRENT_PARAMS.p}`) return Promise.resolve(CURRENT_DUMMY_HASH);
  let made = dummyHashes.get(label);
  if (!made) dummyHashes.set(label, (made = hashPassword(randomBytes(24).toString("base64url"), params)));
  return made;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [logN, r, p] = parts.slice(1, 4).map((part) => (/^\d{1,2}$/.test(part) ? Number(part) : NaN)) as [number, number, number];
  const within = (value: number, [min, max]: readonly [number, number]) => Number.isInteger(value) && value >= min && value <= max;
  if (!within(logN, LIMITS.logN) || !within(r, LIMITS.r) || !within(p, LIMITS.p)) return null;
  const salt = fromBase64url(parts[4]!);
  const key = fromBase64url(parts[5]!);
  if (!salt || !key || salt.length < 8 || key.length < 16 || key.length > 64) return null;
  return { params: { logN, r, p }, salt, key };
}

/** Strict base64url: Buffer.from would skip characters it does not know instead of refusing them. */
function fromBase64url(text: string): Buffer | null {
  return /^[A-Za-z0-9_-]+$/.test(text) ? Buffer.from(text, "base64url") : null;
}

function deriveKey(password: string, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: Math.max(MAX_MEMORY, 256 * N * params.r) };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
