/** Base class of every error the domain raises; `code` is the SPEC §2.5 error code. */
export class DomainError extends Error {
  override name = "DomainError";
  /** Machine-readable, snake_case. */
  readonly code: string;
  /** Optional structured details (per-field messages for validation errors). */
  readonly details?: Record<string, unknown>;
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** Input that breaks a format rule (bad id, wrong type, out of range). */
export class ValidationError extends DomainError {
  override name = "ValidationError";
}

/** A well-formed command that the current state refuses. */
export class RuleViolation extends DomainError {
  override name = "RuleViolation";
}

/** A command about something that does not exist for this user. */
export class NotFoundError extends DomainError {
  override name = "NotFoundError";
  constructor(message: string, details?: Record<string, unknown>) {
    super("not_found", message, details);
  }
}
