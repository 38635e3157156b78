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

/**
 * Output whose reader has gone (EPIPE: `create-mcp-auth --help | head -1`) ends quietly, as it does for
 * command-line tools, instead of an unhandled error event: the descriptors it happened to, and the guarded
 * streams. ui.ts writes through these; cli.ts gives them to commander for help and version.
 */
export const closedOutputs = new Set<number>();
const guarded = new Set<number>();

/** process.stdout or process.stderr, where a reader that has gone (EPIPE) ends the output instead of an unhandled error. */
export function outputStream(fd: 1 | 2): NodeJS.WriteStream {
  const stream = fd === 2 ? process.stderr : process.stdout;
  if (!guarded.has(fd)) {
    guarded.add(fd);
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && !closedOutputs.has(fd)) throw error;
      closedOutputs.add(fd);
    });
  }
  return stream;
}
