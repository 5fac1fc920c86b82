// Ids, secrets, hashes and password hashing: every use of randomness and hashing in lubes-server.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
const ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** `proj_3k9x…`: a prefix naming the kind, then 20 random base-36 characters (about 103 bits). */
export function newId(prefix: string): string {
  const bytes = randomBytes(20);
  let id = "";
  for (const byte of bytes) id += ID_ALPHABET[byte % 36];
  return `${prefix}_${id}`;
}

/** A secret token with a recognisable prefix (`lubes_sk_…`, `lrt_…`), 256 random bits. */
export const newSecret = (prefix: string): string => `${prefix}${randomBytes(32).toString("base64url")}`;

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
export const hmac = (key: string, label: string): Buffer => createHmac("sha256", key).update(label).digest();

// scrypt with N=2^15, r=8, p=1 (OWASP's minimum is N=2^17 with p=1 or equivalent cost; 2^15 keeps tests quick
// while costing ~32 MiB and ~60 ms per hash). The parameters are stored with each hash, so they can be raised later.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize("NFKC"), salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !key) return false;
  const expected = Buffer.from(key, "base64");
  const actual = await scryptAsync(password.normalize("NFKC"), Buffer.from(salt, "base64"), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(actual, expected);
}

/**
 * A sensitive variable's digest: scrypt over the exact value with a salt of its own, `scrypt$N$r$p$salt$key`
 * (base64). A client that knows the value can check it; guessing costs one scrypt (~60 ms) per guess and variable.
 */
export async function digestSecretValue(value: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(value, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** AES-256-GCM with a key derived from `secret`: used to keep stored responses unreadable without the client's key. */
export function seal(secret: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", secret, iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

export function unseal(secret: Buffer, sealed: string): string {
  const data = Buffer.from(sealed, "base64");
  const decipher = createDecipheriv("aes-256-gcm", secret, data.subarray(0, 12));
  decipher.setAuthTag(data.subarray(12, 28));
  return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString("utf8");
}
