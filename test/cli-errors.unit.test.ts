import { describe, expect, it } from "vitest";
import { unexpectedError } from "../src/cli.js";

describe("an unexpected error (a bug)", () => {
  const bug = new TypeError("Cannot read properties of undefined (reading 'x')");

  it("is one line without --verbose, with what to do", () => {
    const text = unexpectedError(bug, false);
    expect(text.split("\n")).toHaveLength(1);
    expect(text).not.toMatch(/\n\s+at /);
    expect(text).toBe(
      "unexpected error: Cannot read properties of undefined (reading 'x') (run again with --verbose for its stack trace, and please report it)",
    );
  });

  it("carries its stack trace with --verbose", () => {
    expect(unexpectedError(bug, true)).toMatch(/^unexpected error: TypeError: Cannot read properties[^\n]*\n\s+at /);
  });

  it("a thrown value that is not an Error is printed as it is", () => {
    expect(unexpectedError("boom", false)).toMatch(/^unexpected error: boom \(run again with --verbose/);
  });
});
