import { describe, expect, it } from "vitest";
import { spawnGroup, stopGroup } from "../src/core/subprocess.js";

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("stopGroup", () => {
  it("leaves no timer behind once the child is gone (the CLI exits as soon as its work is done)", async () => {
    const { child } = spawnGroup(process.execPath, ["-e", "setInterval(() => {}, 1000); console.log('up')"], {
      stdin: "ignore",
      reject: false,
    });
    await new Promise<void>((resolve) => child.all.once("data", () => resolve()));
    const before = timers();
    const started = Date.now();
    await stopGroup(child, 5000);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(child.exitCode ?? child.signalCode).not.toBeNull();
    // Without clearing it, the 5 s grace timer would still be pending here and keep the process alive.
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
