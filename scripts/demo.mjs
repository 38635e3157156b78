// `npm run demo`: scaffold a demo MCP server in local mode, install it, run
// its own tests, then the self-check (local issuer + server + every probe).
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const base = path.join(repo, ".cache", "demo");
const project = path.join(base, "mcp-demo");
const cli = path.join(repo, "bin", "create-mcp-auth.js");

function run(title, command, args, cwd) {
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(command, args, {
    cwd,
    stdio: "inherit",
    env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" },
  });
  if (result.status !== 0) {
    process.stderr.write(`\ndemo: "${title}" failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status ?? 1);
  }
}

rmSync(base, { recursive: true, force: true });
mkdirSync(base, { recursive: true });
run(
  "scaffold and install (local mode)",
  process.execPath,
  [cli, project, "--framework", "express", "--scopes", "todo:read,todo:write", "--yes", "--no-git", "--no-check"],
  repo,
);
run("the generated project's own tests", "npm", ["test"], project);
run("self-check: local issuer + the server + every probe + the OAuth flow", process.execPath, [cli, "check", "--project", project], repo);
process.stdout.write(`\nDemo project: ${path.relative(process.cwd(), project)}\n`);
