/**
 * Interruption of `create` once writing has begun: the run shared with `add`
 * (src/core/interrupt.ts), undoing create's WriteJournal.
 */
export { InterruptibleRun as CreateRun } from "../core/interrupt.js";
