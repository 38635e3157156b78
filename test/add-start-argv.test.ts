import { spawn } from "node:child_process";
import { symlink } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { addFixtureSuite, copyFixture, parseDocument } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

// A CLI that serves stdio unless started with --transport http, on --port (not PORT): the shape of
// mcp-server-code-runner and notion-mcp-server (issue 18, brief h22). `npm start` alone serves stdio and
// the self-check used to end in "the server exited before it was ready". add now starts it the way its
// code selects Streamable HTTP, for the self-check and in the next steps.
const scopes = "read_note=notes:read,write_note=notes:write";

addFixtureSuite({
  fixture: "start-cli-transport",
  scopes,
  modifies: ["package.json", "dist/index.js"],
  more(root) {
    it("detects the switch and the port option from the code: npm start -- --transport http --port 3077", async () => {
      const run = await runCli(["add", root(), "--dry-run", "--json", "--scopes", scopes]);
      const doc = parseDocument(run.stdout, run.stderr) as unknown as { detected: { start: string } };
      expect(run.exitCode, run.stderr).toBe(0);
      expect(doc.detected.start).toBe("npm start -- --transport http --port 3077");
    });

    it("the next steps, pasted into sh as printed, start the server on Streamable HTTP, on the port they name, behind the auth", async () => {
      const work = await tempDir("cma-add-start-argv-");
      try {
        const fresh = await copyFixture("start-cli-transport", work.dir);
        // The dependencies the first run installed (the project's and add's), shared.
        await symlink(path.join(root(), "node_modules"), path.join(fresh, "node_modules"), "dir");
        const run = await runCli(["add", fresh, "--yes", "--no-install", "--no-check", "--no-steps", "--scopes", scopes], { cwd: fresh });
        expect(run.exitCode, run.stderr).toBe(0);
        const lines = run.stdout.split("\n").map((l) => l.replace(/^\s{2}/, ""));
        const steps = lines.slice(lines.findIndex((l) => /^Next steps/.test(l)) + 1);
        const from = steps.findIndex((l) => /^In another/.test(l));
        const commands = steps.slice(from + 1, steps.indexOf("", from)).join("\n");
        // Long commands are wrapped with backslashes, which sh joins back.
        const joined = commands.replace(/\s*\\\n\s*/g, " ");
        expect(joined).toMatch(/npm start -- --transport http --port 3077$/);
        expect(joined).toMatch(/MCP_SERVER_URL=http:\/\/localhost:3077\/mcp/);
        const server = spawn("sh", ["-c", commands], { cwd: fresh, detached: true, stdio: "ignore", env: { PATH: process.env.PATH } });
        try {
          let answer: Response | undefined;
          for (let i = 0; i < 200 && !answer; i++) {
            answer = await fetch("http://127.0.0.1:3077/mcp", {
              method: "POST",
              headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
              body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
            }).catch(() => undefined);
            if (!answer) await new Promise((resolve) => setTimeout(resolve, 100));
          }
          expect(answer?.status).toBe(401);
          expect(answer?.headers.get("www-authenticate")).toMatch(
            /^Bearer .*resource_metadata="http:\/\/localhost:3077\/\.well-known\/oauth-protected-resource\/mcp"/,
          );
        } finally {
          if (server.pid) process.kill(-server.pid, "SIGTERM");
        }
      } finally {
        await work.cleanup();
      }
    }, 120_000);
  },
});
