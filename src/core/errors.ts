/** The CLI's exit codes: 0 success, 1 failures found, 2 bad usage or input, 3 the environment failed, 130 cancelled. */
export const EXIT = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  environment: 3,
  cancelled: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the user can act on: printed as one message, no stack, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** Extra text shown after the message (e.g. an install log tail). */
    readonly details?: string,
    /** Extra fields for the --json document (e.g. what add detected before it stopped). */
    readonly json?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
export const environmentError = (message: string, details?: string) => new CliError(message, EXIT.environment, details);
