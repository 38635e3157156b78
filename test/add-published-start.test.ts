import { readFile, writeFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { copyFixture, parseDocument } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

// How a published package (only its compiled dist/ shipped) is started for the self-check when its scripts build first
// (`npm run build && node dist/x.js`): the build cannot run without the sources the package leaves out, so the shipped
// file the script runs after it is started with node (airtable-mcp-server, @brave/brave-search-mcp-server,
// @aashari/mcp-server-atlassian-jira in test/fixtures/real). Dry runs: nothing here installs.

type Detected = { detected: { start: string } };

it("a published package whose start script builds first is started with the shipped file the script runs (airtable-mcp-server's shape)", async () => {
  const work = await tempDir("cma-add-published-start-");
  try {
    const root = await copyFixture("published-express", work.dir);
    const pkgPath = `${root}/package.json`;
    const pkg = JSON.parse(await readFile(pkgPath, "utf8")) as { scripts: Record<string, string> };
    pkg.scripts = { build: "tsc --project tsconfig.build.json", start: "npm run build && node ./dist/index.js" };
    await writeFile(pkgPath, JSON.stringify(pkg, null, 2));
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "get_forecast=weather:read"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as Detected;
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.start).toBe("node ./dist/index.js");
  } finally {
    await work.cleanup();
  }
});

it("the app in a module of the bin: the serve script that runs the bin after its build is what starts it, not the app's module and not a stdio inspector script (brave-search / atlassian-jira's shape)", async () => {
  const work = await tempDir("cma-add-published-start-");
  try {
    const root = await copyFixture("published-build-first", work.dir);
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "get_forecast=weather:read"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as Detected & { detected: { app: string } };
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.start).toBe("node dist/cli.js");
  } finally {
    await work.cleanup();
  }
});

it("the transport switch the script already passes is not passed twice (brave-search's serve:http runs node dist/index.js --transport http)", async () => {
  const work = await tempDir("cma-add-published-start-");
  try {
    const root = await copyFixture("published-build-first", work.dir);
    const pkgPath = `${root}/package.json`;
    const pkg = JSON.parse(await readFile(pkgPath, "utf8")) as { scripts: Record<string, string> };
    pkg.scripts["serve:http"] = "npm run build && node dist/cli.js --transport http";
    await writeFile(pkgPath, JSON.stringify(pkg, null, 2));
    await writeFile(
      `${root}/dist/cli.js`,
      [
        "#!/usr/bin/env node",
        'import { start } from "./http.js";',
        'const i = process.argv.indexOf("--transport");',
        'const transport = i > 0 ? process.argv[i + 1] : "stdio";',
        'if (transport === "http") start();',
        'else console.error("stdio");',
        "",
      ].join("\n"),
    );
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "get_forecast=weather:read"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as Detected;
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.start).toBe("node dist/cli.js --transport http");
  } finally {
    await work.cleanup();
  }
});

it("mcp-mermaid's shape: the endpoint a parameter's default, start running the MCP inspector, an SSE script beside the streamable one: /mcp is found, the bin is started with the streamable script's arguments on the port the next steps name", async () => {
  const work = await tempDir("cma-add-published-start-");
  try {
    const root = await copyFixture("published-param-endpoint", work.dir);
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "render_diagram=diagrams:write"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as Detected & {
      detected: { endpoint: { path: string } };
    };
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.endpoint.path).toBe("/mcp");
    expect(doc.detected.start).toBe("node build/index.js --transport streamable --port 3033");
    const text = await runCli(["add", root, "--dry-run", "--scopes", "render_diagram=diagrams:write"]);
    expect(text.stdout + text.stderr).toMatch(/endpoint\s+\/mcp \(build\/services\/streamable\.js:15 post, the parameter endpoint unset\)/);
  } finally {
    await work.cleanup();
  }
});

it("drawio-mcp-server's shape: a dev script that runs the compiler in watch mode beside the server is not the start command; start is", async () => {
  const work = await tempDir("cma-add-published-start-");
  try {
    const root = await copyFixture("published-express", work.dir);
    const pkgPath = `${root}/package.json`;
    const pkg = JSON.parse(await readFile(pkgPath, "utf8")) as { scripts: Record<string, string> };
    pkg.scripts = {
      build: "rimraf dist && tsc",
      "dev:server": 'concurrently -n tsc,node "tsc --watch --preserveWatchOutput" "node --watch --watch-path=dist dist/index.js"',
      start: "node dist/index.js",
    };
    await writeFile(pkgPath, JSON.stringify(pkg, null, 2));
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "get_forecast=weather:read"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as Detected;
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.detected.start).toBe("npm start");
  } finally {
    await work.cleanup();
  }
});

it("AUTH.md starts the server the way the next steps do, with the project's own start command (not a dev script it lacks)", async () => {
  const work = await tempDir("cma-add-published-start-");
  try {
    const root = await copyFixture("published-build-first", work.dir);
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "get_forecast=weather:read"]);
    const doc = parseDocument(run.stdout, run.stderr) as unknown as Detected & { diff: string };
    expect(run.exitCode, run.stderr).toBe(0);
    const pkg = JSON.parse(await readFile(`${root}/package.json`, "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.dev).toBeUndefined();
    const authMd = doc.diff.slice(doc.diff.indexOf("+++ b/AUTH.md"));
    const run2 = authMd.slice(authMd.indexOf("## Run it with the local issuer"), authMd.indexOf("## Call a tool by hand"));
    expect(run2).toContain(`+${doc.detected.start}\n`);
    expect(run2).not.toContain("npm run dev");
  } finally {
    await work.cleanup();
  }
});
