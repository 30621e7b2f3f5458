/**
 * Domain errors. Services throw them; the API error handler (and later the bot)
 * turns them into an HTTP answer or a friendly reply. Messages are Spanish:
 * an admin reads them.
 */
export interface Problem {
  /** Where the problem is, e.g. "trigger_condition.stage". Empty for the whole request. */
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(entity: string, id: number | string) {
    super(`No existe ${entity} con id ${id}`, "not_found");
  }
}

export class ValidationError extends DomainError {
  constructor(problems: Problem[], message = "La solicitud tiene errores") {
    super(message, "validation_error", problems);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, problems: Problem[] = []) {
    super(message, "conflict", problems);
  }
}

/**
 * A stage move the pipeline rules refuse (src/domain/pipeline.ts). Its message is the API's answer,
 * which says how to force it; `reason` is the same without that hint, for the dashboard and the bot.
 */
export class StageMoveRefusedError extends ConflictError {
  constructor(
    readonly reason: string,
    readonly forceable: boolean,
    forceHint: string | null,
  ) {
    super(reason + (forceHint ?? ""));
  }
}

/** A booking for a lead whose other booking is still being confirmed by the calendar: it is not refused for good, so no new slots are offered. */
export class BookingInProgressError extends ConflictError {
  constructor() {
    super("Ya estoy agendando tu cita; en un momento te la confirmo");
  }
}

/** A feature that needs an external provider that is not configured. */
export class UnavailableError extends DomainError {
  constructor(message: string) {
    super(message, "service_unavailable");
  }
}

/** Too much at once (e.g. the concurrent-call limit): try again later. */
export class TooManyError extends DomainError {
  constructor(message: string) {
    super(message, "too_many");
  }
}

/** An external provider refused or failed the request. */
export class ProviderError extends DomainError {
  constructor(message: string) {
    super(message, "provider_error");
  }
}

/** The person asking may not do this (an asesor creating accounts). */
export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super(message, "forbidden");
  }
}

/** A sign-in whose e-mail and password do not open an account. It never says which of the two was wrong. */
export class WrongCredentialsError extends DomainError {
  constructor() {
    super("Correo o contraseña incorrectos.", "unauthorized");
  }
}

/** Too many failed sign-ins from this address (src/domain/sign-in-throttle.ts): refused before any password is checked. */
export class SignInLockedError extends TooManyError {
  constructor() {
    super("Demasiados intentos fallidos. Inténtalo de nuevo en 15 minutos.");
  }
}
