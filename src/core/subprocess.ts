/**
 * Child processes that can be stopped for good. Each runs in its own process
 * group, so stopping it also stops what it started (npm's install scripts, a
 * shell's `sleep`, tsx's server), and a Ctrl-C on the terminal reaches only
 * the CLI, which then decides the order: stop children, then clean up.
 */
import { execa, type Options, type ResultPromise } from "execa";

/** The run was interrupted (SIGINT / SIGTERM): what was under way has stopped. */
export class Interrupted extends Error {
  constructor() {
    super("interrupted");
    this.name = "Interrupted";
  }
}

const GROUPS = process.platform !== "win32";
const live = new Set<number>();

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(GROUPS ? -pid : pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

function groupAlive(pid: number): boolean {
  return signalGroup(pid, 0 as unknown as NodeJS.Signals);
}

// A CLI that exits any other way (an uncaught error, process.exit) takes its children with it.
process.on("exit", () => {
  for (const pid of live) signalGroup(pid, "SIGKILL");
});

/**
 * Stops a child and everything in its process group: SIGTERM, then SIGKILL
 * after `graceMs`; resolves once the group is gone (or after a last bound).
 */
export async function stopGroup(child: GroupChild, graceMs = 3000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  signalGroup(pid, "SIGTERM");
  const exited = child.then(
    () => undefined,
    () => undefined,
  );
  const deadline = Date.now() + graceMs;
  await within(exited, graceMs);
  while (GROUPS && groupAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (GROUPS ? groupAlive(pid) : child.exitCode === null) {
    signalGroup(pid, "SIGKILL");
    await within(exited, 1000);
  }
  live.delete(pid);
}

/**
 * Waits for `promise` at most `ms`. The timer is cleared when the promise
 * wins: a pending one would keep the CLI alive for the whole grace period
 * after its children are gone (2 s at the end of every self-check).
 */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** A child with its combined output (`all`) kept. */
export type GroupChild = ResultPromise<{ all: true }>;

/** Starts `file` in its own process group; `signal` stops the group (see stopGroup). */
export function spawnGroup(
  file: string,
  args: string[],
  options: Options & { signal?: AbortSignal },
): { child: GroupChild; stopped: () => Promise<void> | undefined } {
  const { signal, ...rest } = options;
  const child = execa(file, args, { ...rest, all: true, detached: GROUPS }) as unknown as GroupChild;
  if (child.pid !== undefined) live.add(child.pid);
  let stopping: Promise<void> | undefined;
  const onAbort = () => {
    stopping ??= stopGroup(child);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const forget = () => {
    signal?.removeEventListener("abort", onAbort);
    if (child.pid !== undefined && !stopping) live.delete(child.pid);
  };
  child.then(forget, forget);
  return { child, stopped: () => stopping };
}

/**
 * Runs a command to completion in its own process group. When `signal`
 * aborts, the group is stopped and this rejects with Interrupted once it is
 * gone, whatever the command's own exit said. With `stopLeftovers`, what the
 * command left running in its group when it ended (a test suite's servers)
 * is stopped too, before this returns.
 */
export async function runGroup(file: string, args: string[], options: Options & { signal?: AbortSignal; stopLeftovers?: boolean }) {
  const { stopLeftovers, ...rest } = options;
  const { child, stopped } = spawnGroup(file, args, rest);
  try {
    const result = await child;
    if (stopLeftovers && !stopped() && child.pid !== undefined && GROUPS && groupAlive(child.pid)) await stopGroup(child, 1000);
    const stopping = stopped();
    if (stopping) {
      await stopping;
      throw new Interrupted();
    }
    return result;
  } catch (error) {
    const stopping = stopped();
    if (stopping) {
      await stopping;
      throw new Interrupted();
    }
    throw error;
  }
}
