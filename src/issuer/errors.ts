/** OAuth-style errors (RFC 6749 5.2, RFC 7591 3.2.2, RFC 8707). */

export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "invalid_scope"
  | "invalid_target"
  | "access_denied"
  | "invalid_redirect_uri"
  | "invalid_client_metadata"
  | "not_found"
  | "method_not_allowed"
  | "server_error";

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(error: OAuthErrorCode, description: string, status = 400, headers: Record<string, string> = {}) {
    super(description);
    this.name = "OAuthError";
    this.error = error;
    this.status = status;
    this.headers = headers;
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}
