import { describe, expect, it } from "vitest";
import { drive } from "./helpers/pty.js";

describe("python: the framework prompt", () => {
  it("lists the Python frameworks with the TypeScript ones; picking FastAPI writes a Python project", async () => {
    let pyproject = "";
    const { exitCode, screen } = await drive(
      [
        [/Where should the project go/, "py-tools\r"],
        // express, fastify, hono, fastmcp (TypeScript), fastmcp (Python), then FastAPI: five arrows down.
        [/FastAPI \+ MCP SDK \(Python\)/, "\x1b[B\x1b[B\x1b[B\x1b[B\x1b[B\r"],
        [/Which OAuth scopes/, "notes:read\r"],
        [/Authorization server/, "\r"],
      ],
      "--no-install --no-git --no-check",
      {
        inspect: async (dir) => {
          const { readFile } = await import("node:fs/promises");
          pyproject = await readFile(`${dir}/py-tools/pyproject.toml`, "utf8");
        },
      },
    );
    expect(exitCode, screen).toBe(0);
    expect(screen).toMatch(/FastMCP \(Python\)/);
    expect(pyproject).toContain('"fastapi>=');
    expect(pyproject).toContain('serve = "py_tools.main:serve"');
  }, 60_000);
});
