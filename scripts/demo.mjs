// `npm run demo`: scaffold a demo MCP server in local mode, install it, run
// its own tests, then the self-check (local issuer + server + every probe).
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const base = path.join(repo, ".cache", "demo");
const project = path.join(base, "mcp-demo");
const cli = path.join(repo, "bin", "create-mcp-auth.js");

const COLUMNS = 80;

/** Breaks a line longer than COLUMNS at spaces; the rest is indented under its start, 4 columns in. */
function wrap(line) {
  const plain = line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  if (plain.length <= COLUMNS) return [line];
  const indent = " ".repeat(Math.min(/^ */.exec(plain)[0].length + 4, 40));
  const out = [];
  let rest = plain;
  let prefix = "";
  while (prefix.length + rest.length > COLUMNS) {
    const room = COLUMNS - prefix.length;
    const space = rest.lastIndexOf(" ", room);
    const cut = space > prefix.length ? space : room;
    out.push(prefix + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    prefix = indent;
  }
  out.push(prefix + rest);
  return out;
}

/** Runs one stage, its output shown as it comes (within COLUMNS), and returns what it printed. */
async function run(title, command, args, cwd) {
  process.stdout.write(`\n== ${title}\n`);
  const child = spawn(command, args, {
    cwd,
    stdio: ["inherit", "pipe", "pipe"],
    env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" },
  });
  let printed = "";
  const show = (from, to) => {
    let partial = "";
    const write = (lines) => {
      const text = lines
        .flatMap(wrap)
        .map((l) => `${l}\n`)
        .join("");
      printed += text;
      to.write(text);
    };
    from.setEncoding("utf8");
    from.on("data", (chunk) => {
      const lines = (partial + chunk).split(/\r?\n/);
      partial = lines.pop();
      write(lines);
    });
    from.on("end", () => partial && write([partial]));
  };
  show(child.stdout, process.stdout);
  show(child.stderr, process.stderr);
  const [code, signal] = await new Promise((resolve) => child.on("close", (c, s) => resolve([c, s])));
  if (code !== 0) {
    process.stderr.write(`\ndemo: "${title}" failed (exit ${code ?? signal})\n`);
    process.exit(code ?? 1);
  }
  return printed;
}

rmSync(base, { recursive: true, force: true });
mkdirSync(base, { recursive: true });
const scaffolded = await run(
  "scaffold and install (local mode)",
  process.execPath,
  [cli, project, "--framework", "express", "--scopes", "todo:read,todo:write", "--yes", "--no-git", "--no-check"],
  repo,
);
await run("the generated project's own tests", "npm", ["test"], project);
await run(
  "self-check: local issuer + the server + every probe + the OAuth flow",
  process.execPath,
  [cli, "check", "--project", project],
  repo,
);
// The last screen: create's next steps (from "Next steps" to its last line), where the eye lands.
const start = scaffolded.lastIndexOf("\nNext steps");
if (start < 0) {
  process.stderr.write("\ndemo: create printed no next steps\n");
  process.exit(1);
}
process.stdout.write(scaffolded.slice(start));
