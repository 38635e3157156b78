/**
 * Interruption of a command once writing has begun (`create` and `add`). On
 * SIGINT or SIGTERM the run aborts its signal (child processes are stopped
 * with their process groups, the file writer stops between files, the
 * self-check stops its server), waits for the stage under way to settle,
 * undoes what the run changed (its journal), prints one line, and exits 130.
 */
import { EXIT } from "./errors.js";
import type { Ui } from "./ui.js";

/** What a run changed, taken back synchronously; says in one phrase what it did. */
export interface Undoable {
  undo(): string;
}

/** How long a stage may take to stop before the undo goes ahead anyway. */
const SETTLE_MS = 10_000;

const never = new Promise<never>(() => undefined);

export class InterruptibleRun {
  private readonly controller = new AbortController();
  private current: Promise<unknown> = Promise.resolve();
  private interrupting = false;
  private readonly onSignal = (signal: NodeJS.Signals) => this.interrupt(signal);

  constructor(
    private readonly journal: Undoable,
    private readonly ui: Ui,
    /** Prints the one JSON document of --json for the cancelled run. */
    private readonly onCancelled: (message: string) => void,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): this {
    process.on("SIGINT", this.onSignal);
    process.on("SIGTERM", this.onSignal);
    return this;
  }

  stop(): void {
    process.removeListener("SIGINT", this.onSignal);
    process.removeListener("SIGTERM", this.onSignal);
  }

  /**
   * Runs one stage. Once the run is interrupted no stage starts, and a stage
   * that fails because of the interruption never returns: the signal
   * handler owns the exit.
   */
  async stage<T>(task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.interrupting) return never;
    const running = task(this.signal);
    this.current = running;
    try {
      return await running;
    } catch (error) {
      if (this.interrupting) return never;
      throw error;
    }
  }

  private interrupt(signal: NodeJS.Signals): void {
    if (this.interrupting) {
      // A second Ctrl-C: stop waiting for the stage.
      this.finish(signal);
      return;
    }
    this.interrupting = true;
    this.controller.abort();
    const timeout = new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    void Promise.race([
      this.current.then(
        () => undefined,
        () => undefined,
      ),
      timeout,
    ]).then(() => this.finish(signal));
  }

  private finished = false;

  private finish(signal: NodeJS.Signals): void {
    if (this.finished) return;
    this.finished = true;
    let removed: string;
    try {
      removed = this.journal.undo();
    } catch (error) {
      removed = `could not remove everything (${(error as Error).message})`;
    }
    const message = `Cancelled (${signal}): ${removed}.`;
    this.ui.cancel(message);
    this.onCancelled(message);
    process.exit(EXIT.cancelled);
  }
}
