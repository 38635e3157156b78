/**
 * Runs `work` with the event loop held open. fetch's deadlines
 * (AbortSignal.timeout) are unreferenced timers: when a hostile server leaves a
 * request with no live socket and no answer, nothing else keeps the process
 * alive, and Node would exit 0 in silence before the deadline fires. Held open,
 * the deadline fires and the command ends with its error.
 */
export async function whileAlive<T>(work: () => Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 60_000);
  try {
    return await work();
  } finally {
    clearInterval(hold);
  }
}
