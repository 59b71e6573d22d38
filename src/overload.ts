/** Errors that mean "come back shortly" (HTTP 503 with `Retry-After`). */

/** A bounded resource is full (a mailbox, the password-hashing pool). */
export class Overloaded extends Error {
  override name = "Overloaded";
  readonly code = "overloaded";
  readonly retryAfterSeconds: number;
  constructor(message = "Too many pending requests; retry shortly.", retryAfterSeconds = 1) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The process is shutting down. */
export class ShuttingDown extends Error {
  override name = "ShuttingDown";
  readonly code = "overloaded";
  readonly retryAfterSeconds = 5;
  constructor() {
    super("The server is shutting down; retry shortly.");
  }
}
