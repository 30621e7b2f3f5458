/**
 * How a message's delivery ended, for every channel (Telegram, WhatsApp):
 * - permanent: will fail again (blocked, the chat or number is gone or invalid);
 * - transient: certainly not delivered, and the retries allowed are spent;
 * - unknown: the request may have reached the provider; never send it again blindly.
 */
export abstract class DeliveryError extends Error {
  /** Attempts the retry layer made before this outcome. */
  attempts = 1;
}

/** Delivery failed and will fail again. `chatUnreachable`: the chat itself is gone or blocked us. */
export class PermanentDeliveryError extends DeliveryError {
  override name = "PermanentDeliveryError";
  constructor(
    message: string,
    readonly chatUnreachable: boolean,
  ) {
    super(message);
  }
}

/** Not delivered, for sure (rate limit, server trouble, no connection), after the retries allowed. */
export class TransientDeliveryError extends DeliveryError {
  override name = "TransientDeliveryError";
}

/** The request may have reached the provider (connection cut, timeout): the message may or may not have arrived. */
export class UnknownDeliveryError extends DeliveryError {
  override name = "UnknownDeliveryError";
}


/** A free-form WhatsApp message outside the 24-hour window: Twilio's 63016. Nothing went out; only a template may. */
export class OutsideWindowError extends PermanentDeliveryError {
  override name = "OutsideWindowError";
  constructor(message = "Fuera de la ventana de 24 horas de WhatsApp (Twilio 63016): solo se puede enviar una plantilla aprobada") {
    super(message, false);
  }
}

/**
 * System error codes that happen before a connection exists: the request was
 * never written, so sending it again cannot duplicate it. ETIMEDOUT is not
 * here on its own: it is also what a connection that died mid-answer reports.
 */
const CONNECT_PHASE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NONAME", "EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "EHOSTDOWN", "EADDRNOTAVAIL"]);

/**
 * True when a network error proves the request never reached the server: the
 * system error's `code` (on the error, its `cause`, or each of an
 * AggregateError's `errors`, as Node's happy-eyeballs connect reports them).
 */
export function neverReachedServer(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  const { code, syscall, cause, errors } = error as { code?: unknown; syscall?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && CONNECT_PHASE_CODES.has(code)) return true;
  if (code === "ETIMEDOUT" && syscall === "connect") return true;
  if (Array.isArray(errors) && errors.length > 0) return errors.every((each) => neverReachedServer(each, depth + 1));
  return neverReachedServer(cause, depth + 1);
}
