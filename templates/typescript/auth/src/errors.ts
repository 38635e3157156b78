/** Why a request was refused. Mapped to an HTTP challenge in one place: challenge.ts. */
export abstract class AuthError extends Error {
  abstract readonly reason: string;
}

/** No usable credentials: no Authorization header, or not a Bearer one. */
export class MissingTokenError extends AuthError {
  readonly reason = "missing_token";
  constructor() {
    super("No bearer token in the Authorization header");
    this.name = "MissingTokenError";
  }
}

export type InvalidTokenReason =
  | "malformed"
  | "unsupported_algorithm"
  | "too_large"
  | "unknown_key"
  | "invalid_signature"
  | "expired"
  | "not_yet_valid"
  | "missing_exp"
  | "wrong_issuer"
  | "wrong_audience"
  | "not_an_access_token"
  | "keys_unavailable"
  | "invalid";

/** A token was sent but cannot be accepted. The message is safe to show to the client. */
export class InvalidTokenError extends AuthError {
  constructor(
    readonly reason: InvalidTokenReason,
    message: string,
  ) {
    super(message);
    this.name = "InvalidTokenError";
  }
}

/** A valid token that lacks scopes the requested tool needs. */
export class InsufficientScopeError extends AuthError {
  readonly reason = "insufficient_scope";
  constructor(
    readonly required: string[],
    readonly granted: string[],
  ) {
    super(`This request needs scope: ${required.join(" ")}`);
    this.name = "InsufficientScopeError";
  }
}
