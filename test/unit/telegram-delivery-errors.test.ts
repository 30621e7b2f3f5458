/**
 * Which Telegram failures may be sent again: only those that prove the
 * request never reached Telegram. The network errors are shaped as grammY
 * hands them over on Node 20 (HttpError.error = node-fetch's FetchError, code
 * copied from the socket), plus the `cause` and AggregateError shapes other
 * fetch implementations and happy-eyeballs connects produce.
 */
import { GrammyError, HttpError } from "grammy";
import { describe, expect, it } from "vitest";
import { classifyTelegramError, PermanentDeliveryError, TransientDeliveryError, UnknownDeliveryError } from "../../src/channels/telegram-sender";
import { neverReachedTelegram } from "../../src/channels/telegram-retry";

/** What node-fetch 2 rejects with for a socket error: message with the URL (and so the token), type "system", the socket's code. */
function fetchError(code: string, reason: string): Error {
  return Object.assign(new Error(`request to https://api.telegram.org/bot123456:SECRET/sendMessage failed, reason: ${reason}`), {
    name: "FetchError",
    type: "system",
    code,
    errno: code,
  });
}

const systemError = (code: string, syscall: string) => Object.assign(new Error(`${syscall} ${code}`), { code, syscall });

describe("neverReachedTelegram", () => {
  it.each([
    ["connection refused", fetchError("ECONNREFUSED", "connect ECONNREFUSED 149.154.167.220:443"), true],
    ["no such host", fetchError("ENOTFOUND", "getaddrinfo ENOTFOUND api.telegram.org"), true],
    ["DNS try again", fetchError("EAI_AGAIN", "getaddrinfo EAI_AGAIN api.telegram.org"), true],
    ["host unreachable", fetchError("EHOSTUNREACH", "connect EHOSTUNREACH"), true],
    ["network unreachable", fetchError("ENETUNREACH", "connect ENETUNREACH"), true],
    ["connection reset (socket hang up)", fetchError("ECONNRESET", "socket hang up"), false],
    ["broken pipe while writing", fetchError("EPIPE", "write EPIPE"), false],
    ["ETIMEDOUT with no phase known", fetchError("ETIMEDOUT", "read ETIMEDOUT"), false],
    ["grammY's own timeout", new Error("Request to 'sendMessage' timed out after 60 seconds"), false],
    ["an invalid JSON answer", Object.assign(new Error("invalid json response body"), { type: "invalid-json" }), false],
    ["fetch failed, refused in its cause", Object.assign(new TypeError("fetch failed"), { cause: systemError("ECONNREFUSED", "connect") }), true],
    ["fetch failed, connect timeout in its cause", Object.assign(new TypeError("fetch failed"), { cause: systemError("ETIMEDOUT", "connect") }), true],
    ["fetch failed, reset in its cause", Object.assign(new TypeError("fetch failed"), { cause: systemError("ECONNRESET", "read") }), false],
    ["every address refused", new AggregateError([systemError("ECONNREFUSED", "connect"), systemError("ECONNREFUSED", "connect")]), true],
    ["one address refused, one reset", new AggregateError([systemError("ECONNREFUSED", "connect"), systemError("ECONNRESET", "read")]), false],
    ["nothing at all", undefined, false],
  ])("%s → %s", (_case, error, expected) => {
    expect(neverReachedTelegram(error)).toBe(expected);
  });
});

describe("classifyTelegramError", () => {
  const http = (inner: unknown) => new HttpError("Network request for 'sendMessage' failed!", inner);
  const api = (error_code: number, description: string) => new GrammyError("Call to 'sendMessage' failed!", { ok: false, error_code, description }, "sendMessage", {});

  it.each([
    ["403 blocked", api(403, "Forbidden: bot was blocked by the user"), PermanentDeliveryError, "Telegram 403: Forbidden: bot was blocked by the user"],
    ["400 bad markup", api(400, "Bad Request: can't parse entities"), PermanentDeliveryError, "Telegram 400: Bad Request: can't parse entities"],
    ["429 left over", api(429, "Too Many Requests: retry after 300"), TransientDeliveryError, "Telegram 429: Too Many Requests: retry after 300"],
    ["502 left over", api(502, "Bad Gateway"), TransientDeliveryError, "Telegram 502: Bad Gateway"],
    ["refused", http(fetchError("ECONNREFUSED", "connect ECONNREFUSED")), TransientDeliveryError, "Sin conexión con Telegram (ECONNREFUSED): el mensaje no salió"],
    ["cut", http(fetchError("ECONNRESET", "socket hang up")), UnknownDeliveryError, "Telegram no confirmó el envío (ECONNRESET)"],
    ["timed out", http(new Error("Request to 'sendMessage' timed out after 60 seconds")), UnknownDeliveryError, "Telegram no confirmó el envío (timeout)"],
  ])("%s", (_case, error, kind, message) => {
    const classified = classifyTelegramError(error);
    expect(classified).toBeInstanceOf(kind);
    expect(classified.message).toBe(message);
  });

  it("a 403 marks the chat unreachable; a 400 about the message does not", () => {
    expect((classifyTelegramError(api(403, "Forbidden: bot was blocked by the user")) as PermanentDeliveryError).chatUnreachable).toBe(true);
    expect((classifyTelegramError(api(400, "Bad Request: can't parse entities")) as PermanentDeliveryError).chatUnreachable).toBe(false);
  });

  it("never carries the request URL (it holds the bot token) into the text stored for admins", () => {
    expect(classifyTelegramError(http(fetchError("ECONNRESET", "socket hang up"))).message).not.toMatch(/SECRET|api\.telegram\.org/);
  });
});
