import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { chmod, cp, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cleanEnv, cliBin, repoRoot, tempDir } from "./helpers/cli.js";
import { processesIn, sameTree, tree, violations } from "./helpers/hostile.js";

/**
 * Issue 22 (add side): a corpus of hostile repositories. In every case add
 * writes nothing outside the project, keeps every byte it did not insert
 * (links stay links, pointing where they pointed), leaves no process behind,
 * and exits with the contract's code: 0, or 2 for what the repository holds
 * (with the reason and nothing written), or 3 for the environment; never a
 * stack trace, never a hang.
 *
 * CMA_CLI_BIN runs the corpus against another build (e.g. the one before the fix).
 */
const bin = process.env.CMA_CLI_BIN ?? cliBin;
const FIXTURE = path.join(repoRoot, "test/fixtures/add/express-cjs");
const WRITE = ["--yes", "--no-install", "--no-check", "--scopes", "get_forecast=weather:read"];
/** Values given: .env (and .gitignore) are written too. */
const WRITE_ENV = [...WRITE, "--server-url", "http://localhost:3000/mcp"];
const isRoot = process.getuid?.() === 0;
/** root ignores mode bits: a read-only folder is then made with chattr +i, where the file system has it. */
const immutableFolders = (() => {
  if (!isRoot) return true;
  const dir = mkdtempSync(path.join(tmpdir(), "cma-chattr-"));
  try {
    execFileSync("chattr", ["+i", dir], { stdio: "ignore" });
    execFileSync("chattr", ["-i", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

interface Ctx {
  /** The project (a copy of the express-cjs fixture). */
  root: string;
  /** A folder beside it that add must never touch. */
  outside: string;
  /** Run right after add, before the checks (e.g. make a folder writable again). */
  cleanups: (() => Promise<void> | void)[];
  /** Run after the checks. */
  finally: (() => Promise<void> | void)[];
}

interface Case {
  name: string;
  setup: (ctx: Ctx) => Promise<void>;
  args?: string[] | ((ctx: Ctx) => string[]);
  /** Where add runs: the project by default. */
  dir?: (ctx: Ctx) => string;
  exit: number;
  output?: RegExp;
  check?: (ctx: Ctx, output: string) => Promise<void>;
  skip?: boolean;
}

const write = (file: string, content: string | Buffer) => writeFile(file, content);
const mkfifo = (file: string): void => {
  execFileSync("mkfifo", [file]);
};
const listen = async (ctx: Ctx, file: string) => {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(file, resolve));
  // Closing unlinks the socket: only once the case is checked.
  ctx.finally.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
};
const bytesOf = async (file: string) => readFile(file);
/** A package.json of the fixture with `edit` applied to its parsed object. */
const editPackage = async (ctx: Ctx, edit: (pkg: Record<string, unknown>) => unknown) => {
  const file = path.join(ctx.root, "package.json");
  const pkg = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  await write(file, `${JSON.stringify(edit(pkg) ?? pkg, null, 2)}\n`);
};
const deepJson = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

const cases: Case[] = [
  // 1. Stay inside the project.
  {
    name: "the auth folder is a link to an empty folder outside: refused by name, nothing written there",
    setup: async ({ root, outside }) => {
      await mkdir(path.join(outside, "empty"));
      await symlink(path.join(outside, "empty"), path.join(root, "auth"));
    },
    exit: 2,
    output: /auth is a symbolic link to .*empty, outside the project/,
  },
  {
    name: "the auth folder is a link to a folder outside with files: not add's, the next name (mcp-auth) is taken",
    setup: async ({ root, outside }) => symlink(path.join(outside, "target"), path.join(root, "auth")),
    exit: 0,
    check: async ({ root }) => expect(tree(root).get("mcp-auth/express.js")?.kind).toBe("file"),
  },
  {
    name: "the auth folder is a dangling link: refused by name (no EEXIST)",
    setup: async ({ root, outside }) => symlink(path.join(outside, "missing"), path.join(root, "auth")),
    exit: 2,
    output: /auth is a symbolic link to something that does not exist/,
  },
  {
    name: "the auth folder is a link to a folder inside the project: written through it, the link kept",
    setup: async ({ root }) => {
      await mkdir(path.join(root, "vendor-auth"));
      await symlink("vendor-auth", path.join(root, "auth"));
    },
    exit: 0,
    check: async ({ root }) => {
      const after = tree(root);
      expect(after.get("auth")).toEqual({ kind: "link", target: "vendor-auth" });
      expect(after.get("vendor-auth/express.js")?.kind).toBe("file");
    },
  },
  {
    name: "the auth folder is a link into node_modules: refused",
    setup: async ({ root }) => {
      await mkdir(path.join(root, "node_modules/some-auth"), { recursive: true });
      await symlink("node_modules/some-auth", path.join(root, "auth"));
    },
    exit: 2,
    output: /auth leads into node_modules/,
  },
  {
    name: "the auth folder is a link to itself: refused as a loop",
    setup: async ({ root }) => symlink("auth", path.join(root, "auth")),
    exit: 2,
    output: /auth is a loop of symbolic links/,
  },
  {
    name: "the auth folder is a file: add takes the next name (mcp-auth)",
    setup: async ({ root }) => write(path.join(root, "auth"), "not a folder\n"),
    exit: 0,
    check: async ({ root }) => expect(tree(root).get("mcp-auth/express.js")?.kind).toBe("file"),
  },
  {
    name: ".env is a link to a file outside: refused, the file outside unchanged",
    setup: async ({ root, outside }) => symlink(path.join(outside, "secret.env"), path.join(root, ".env")),
    args: WRITE_ENV,
    exit: 2,
    output: /\.env is a symbolic link to .*secret\.env, outside the project/,
  },
  {
    name: ".env is a link to a file inside: the target gets the lines, the link stays",
    setup: async ({ root }) => {
      await mkdir(path.join(root, "config"));
      await write(path.join(root, "config/app.env"), "PORT=3000\n");
      await symlink("config/app.env", path.join(root, ".env"));
    },
    args: WRITE_ENV,
    exit: 0,
    check: async ({ root }) => {
      expect(tree(root).get(".env")).toEqual({ kind: "link", target: "config/app.env" });
      expect(await readFile(path.join(root, "config/app.env"), "utf8")).toMatch(/^PORT=3000\n[\s\S]*MCP_SERVER_URL=/);
    },
  },
  {
    name: ".env.example is a link inside: edited in place, the link stays",
    setup: async ({ root }) => {
      await write(path.join(root, "env.sample"), "PORT=3000\n");
      await symlink("env.sample", path.join(root, ".env.example"));
    },
    exit: 0,
    check: async ({ root }) => {
      expect(tree(root).get(".env.example")).toEqual({ kind: "link", target: "env.sample" });
      expect(await readFile(path.join(root, "env.sample"), "utf8")).toMatch(/MCP_SERVER_URL=/);
    },
  },
  {
    name: ".gitignore is a link inside: edited in place, the link stays",
    setup: async ({ root }) => {
      await write(path.join(root, "ignore.txt"), "node_modules\n");
      await symlink("ignore.txt", path.join(root, ".gitignore"));
    },
    args: WRITE_ENV,
    exit: 0,
    check: async ({ root }) => {
      expect(tree(root).get(".gitignore")).toEqual({ kind: "link", target: "ignore.txt" });
      expect(await readFile(path.join(root, "ignore.txt"), "utf8")).toBe("node_modules\n.env\n");
    },
  },
  {
    name: "package.json is a link inside: the dependencies go into its target, the link stays",
    setup: async ({ root }) => {
      await mkdir(path.join(root, "meta"));
      await cp(path.join(root, "package.json"), path.join(root, "meta/package.json"));
      await rm(path.join(root, "package.json"));
      await symlink("meta/package.json", path.join(root, "package.json"));
    },
    exit: 0,
    check: async ({ root }) => {
      expect(tree(root).get("package.json")).toEqual({ kind: "link", target: "meta/package.json" });
      expect(await readFile(path.join(root, "meta/package.json"), "utf8")).toMatch(/"jose"/);
    },
  },
  {
    name: "package.json is a link to a file outside: refused",
    setup: async ({ root, outside }) => {
      await cp(path.join(root, "package.json"), path.join(outside, "package.json"));
      await rm(path.join(root, "package.json"));
      await symlink(path.join(outside, "package.json"), path.join(root, "package.json"));
    },
    exit: 2,
    output: /package\.json is a symbolic link to .*, outside the project/,
  },
  {
    name: ".env.example is a link to /dev/zero: refused at once (no endless read)",
    setup: async ({ root }) => symlink("/dev/zero", path.join(root, ".env.example")),
    exit: 2,
    output: /\.env\.example is a symbolic link to \/dev\/zero, outside the project/,
  },
  {
    name: ".env is a named pipe: refused by name at once (no hang)",
    setup: async ({ root }) => mkfifo(path.join(root, ".env")),
    args: WRITE_ENV,
    exit: 2,
    output: /\.env is a named pipe; add reads and writes only regular files/,
  },
  {
    name: ".env.example is a named pipe: refused by name",
    setup: async ({ root }) => mkfifo(path.join(root, ".env.example")),
    exit: 2,
    output: /\.env\.example is a named pipe/,
  },
  {
    name: "package.json is a named pipe: refused by name",
    setup: async ({ root }) => {
      await rm(path.join(root, "package.json"));
      mkfifo(path.join(root, "package.json"));
    },
    exit: 2,
    output: /package\.json is a named pipe/,
  },
  {
    name: ".gitignore is a named pipe: refused by name",
    setup: async ({ root }) => mkfifo(path.join(root, ".gitignore")),
    args: WRITE_ENV,
    exit: 2,
    output: /\.gitignore is a named pipe/,
  },
  {
    name: ".env is a socket: refused by name",
    setup: async (ctx) => listen(ctx, path.join(ctx.root, ".env")),
    args: WRITE_ENV,
    exit: 2,
    output: /\.env is a socket/,
  },
  {
    name: ".env is a character device: refused by name",
    skip: !isRoot,
    setup: async ({ root }) => {
      execFileSync("mknod", [path.join(root, ".env"), "c", "1", "5"]);
    },
    args: WRITE_ENV,
    exit: 2,
    output: /\.env is a character device/,
  },
  {
    name: "a file add must read in the auth folder is a named pipe: refused by name",
    setup: async ({ root }) => {
      // A folder add wrote before (its glue files are there): add reads each of its files.
      await mkdir(path.join(root, "auth"));
      await write(path.join(root, "auth/express.js"), "// edited\n");
      await write(path.join(root, "auth/mcp-auth.js"), "// edited\n");
      mkfifo(path.join(root, "auth/config.js"));
    },
    exit: 2,
    output: /auth\/config\.js is a named pipe/,
  },
  {
    name: "a named pipe among the sources is passed over (never opened)",
    setup: async ({ root }) => mkfifo(path.join(root, "lib/stream.js")),
    exit: 0,
  },
  {
    name: "a source folder that links outside is not walked",
    setup: async ({ root, outside }) => {
      await write(path.join(outside, "target/evil.js"), "app.post('/mcp', handler);\n");
      await symlink(path.join(outside, "target"), path.join(root, "vendor"));
    },
    exit: 0,
  },
  {
    name: "the project is inside node_modules: refused",
    setup: async ({ outside }) => {
      await cp(FIXTURE, path.join(outside, "node_modules/weather-mcp"), { recursive: true });
    },
    dir: ({ outside }) => path.join(outside, "node_modules/weather-mcp"),
    exit: 2,
    output: /is inside node_modules/,
  },
  {
    name: "--entry outside the project: refused",
    setup: async ({ outside }) => cp(path.join(FIXTURE, "server.js"), path.join(outside, "server.js")),
    args: [...WRITE, "--entry", "../outside/server.js"],
    exit: 2,
    output: /is not a path inside the project/,
  },
  {
    name: "--entry is a link to a file outside: refused",
    setup: async ({ root, outside }) => {
      await cp(path.join(FIXTURE, "server.js"), path.join(outside, "server.js"));
      await symlink(path.join(outside, "server.js"), path.join(root, "app.js"));
    },
    args: [...WRITE, "--entry", "app.js"],
    exit: 2,
    output: /app\.js is a symbolic link to .*, outside the project/,
  },

  {
    name: "a link whose target holds terminal escapes: refused, the target printed escaped",
    setup: async ({ root, outside }) => {
      await write(path.join(outside, "\x1b]0;title\x07x"), "A=1\n");
      await symlink(path.join(outside, "\x1b]0;title\x07x"), path.join(root, ".env.example"));
    },
    exit: 2,
    check: async (_ctx, output) => {
      expect(output).not.toMatch(/\x1b\]0;title/);
      expect(output).toMatch(/\.env\.example is a symbolic link to .*\\x1b\]0;title\\x07x/);
    },
  },
  {
    name: "the repository's git config names a program for git status (core.fsmonitor): it never runs",
    setup: async ({ root, outside }) => {
      const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "ignore" });
      git("init", "-q");
      git("config", "core.fsmonitor", `touch ${path.join(outside, "fsmonitor-ran")}; false`);
    },
    exit: 0,
    check: async ({ outside }) => expect(tree(outside).has("fsmonitor-ran")).toBe(false),
  },

  {
    name: "--entry that does not exist: refused by name",
    setup: async () => undefined,
    args: [...WRITE, "--entry", "src/app.js"],
    exit: 2,
    output: /--entry src\/app\.js: no such file in the project/,
  },
  {
    name: "--entry that does not parse: refused by name, never skipped",
    setup: async ({ root }) => write(path.join(root, "server.js"), "const app = express(;\n"),
    args: [...WRITE, "--entry", "server.js"],
    exit: 2,
    output: /--entry server\.js cannot be parsed/,
  },

  // 2. Every byte kept.
  {
    name: ".env with bytes that are not UTF-8: kept exactly, the lines appended after them",
    setup: async ({ root }) => write(path.join(root, ".env"), Buffer.from("DB_PASS=p\xe4ss\xff\n", "latin1")),
    args: WRITE_ENV,
    exit: 0,
    check: async ({ root }) => {
      const env = await bytesOf(path.join(root, ".env"));
      expect(env.subarray(0, 14).equals(Buffer.from("DB_PASS=p\xe4ss\xff\n", "latin1"))).toBe(true);
      expect(env.toString("latin1")).toMatch(/MCP_SERVER_URL=/);
    },
  },
  {
    name: ".env.example with Latin-1 and CRLF: kept exactly, the lines appended in CRLF",
    setup: async ({ root }) => write(path.join(root, ".env.example"), Buffer.from("# caf\xe9\r\nPORT=3000\r\n", "latin1")),
    exit: 0,
    check: async ({ root }) => {
      const text = (await bytesOf(path.join(root, ".env.example"))).toString("latin1");
      expect(text.startsWith("# caf\xe9\r\nPORT=3000\r\n")).toBe(true);
      expect(text.replace(/\r\n/g, "")).not.toMatch(/\n/);
    },
  },
  {
    name: ".gitignore with bytes that are not UTF-8: kept exactly",
    setup: async ({ root }) => write(path.join(root, ".gitignore"), Buffer.from("build\xff/\n", "latin1")),
    args: WRITE_ENV,
    exit: 0,
    check: async ({ root }) =>
      expect((await bytesOf(path.join(root, ".gitignore"))).equals(Buffer.from("build\xff/\n.env\n", "latin1"))).toBe(true),
  },
  {
    name: "package.json with a byte-order mark: accepted, the mark kept",
    setup: async ({ root }) =>
      write(
        path.join(root, "package.json"),
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), await bytesOf(path.join(FIXTURE, "package.json"))]),
      ),
    exit: 0,
    check: async ({ root }) => {
      const pkg = await bytesOf(path.join(root, "package.json"));
      expect([...pkg.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(pkg.toString("utf8")).toMatch(/"jose"/);
    },
  },
  {
    name: "package.json with CRLF: the dependencies inserted in CRLF",
    setup: async ({ root }) =>
      write(path.join(root, "package.json"), (await readFile(path.join(FIXTURE, "package.json"), "utf8")).replace(/\n/g, "\r\n")),
    exit: 0,
    check: async ({ root }) => {
      const text = await readFile(path.join(root, "package.json"), "utf8");
      expect(text).toMatch(/"jose"/);
      expect(text.replace(/\r\n/g, "")).not.toMatch(/\n/);
    },
  },
  {
    name: "package.json that is not UTF-8: refused with the reason",
    setup: async ({ root }) =>
      write(
        path.join(root, "package.json"),
        Buffer.from((await readFile(path.join(FIXTURE, "package.json"), "latin1")).replace("Weather", "W\xe9ather"), "latin1"),
      ),
    exit: 2,
    output: /package\.json is not valid UTF-8 \(byte \d+\)/,
  },
  {
    name: "the entry with CRLF line ends: the wiring in CRLF, every original byte kept",
    setup: async ({ root }) =>
      write(path.join(root, "server.js"), (await readFile(path.join(FIXTURE, "server.js"), "utf8")).replace(/\n/g, "\r\n")),
    exit: 0,
    check: async ({ root }) => {
      const text = await readFile(path.join(root, "server.js"), "utf8");
      expect(text).toMatch(/mcpAuth/);
      expect(text.replace(/\r\n/g, "")).not.toMatch(/\n/);
    },
  },
  {
    name: "the entry with a byte-order mark: wired, the mark kept",
    setup: async ({ root }) =>
      write(path.join(root, "server.js"), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), await bytesOf(path.join(FIXTURE, "server.js"))])),
    exit: 0,
    check: async ({ root }) => {
      const code = await bytesOf(path.join(root, "server.js"));
      expect([...code.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(code.toString("utf8")).toMatch(/mcpAuth/);
    },
  },
  {
    name: "--entry that is not UTF-8: refused by name with the reason",
    setup: async ({ root }) =>
      write(
        path.join(root, "server.js"),
        Buffer.concat([await bytesOf(path.join(FIXTURE, "server.js")), Buffer.from("// caf\xe9\n", "latin1")]),
      ),
    args: [...WRITE, "--entry", "server.js"],
    exit: 2,
    output: /server\.js is not valid UTF-8/,
  },
  {
    name: "another source file that is not UTF-8: not read, said, left as it is",
    setup: async ({ root }) =>
      write(
        path.join(root, "lib/forecast.js"),
        Buffer.concat([await bytesOf(path.join(FIXTURE, "lib/forecast.js")), Buffer.from("// \xff\n", "latin1")]),
      ),
    exit: 0,
    output: /1 source file not read: lib\/forecast\.js \(not valid UTF-8\)/,
  },

  // 4. Output is data.
  {
    name: "a tool name with terminal escapes is printed escaped",
    setup: async ({ root }) => {
      const file = path.join(root, "server.js");
      await write(file, (await readFile(file, "utf8")).replace("'get_alerts'", "'\\x1b]0;pwned\\x07\\x1b[2Jget_alerts'"));
    },
    exit: 0,
    check: async (_ctx, output) => {
      expect(output).not.toMatch(/\x1b\]0;pwned/);
      expect(output).not.toMatch(/\x1b\[2J/);
      expect(output).toContain("\\x1b]0;pwned\\x07\\x1b[2Jget_alerts");
    },
  },
  {
    name: "a route path with terminal escapes is printed escaped",
    setup: async ({ root }) => {
      const file = path.join(root, "server.js");
      await write(file, (await readFile(file, "utf8")).replaceAll("'/mcp'", "'/mcp\\x1b[8m'"));
    },
    args: [...WRITE, "--dry-run"],
    exit: 0,
    check: async (_ctx, output) => {
      expect(output).not.toMatch(/\x1b\[8m/);
      expect(output).toContain("/mcp\\x1b[8m");
    },
  },
  {
    name: "a file name with terminal escapes is printed escaped",
    setup: async ({ root }) => write(path.join(root, "lib/\x1b[31mred.js"), "export const = ;\n"),
    exit: 0,
    check: async (_ctx, output) => {
      expect(output).not.toMatch(/\x1b\[31m/);
      expect(output).toContain("lib/\\x1b[31mred.js");
    },
  },
  {
    name: "a code line with an escape next to the wiring: the dry-run diff shows it escaped",
    setup: async ({ root }) => {
      const file = path.join(root, "server.js");
      await write(file, (await readFile(file, "utf8")).replace("const app = express();", "const app = express(); // \x1b[2K\x1b[1A"));
    },
    args: [...WRITE, "--dry-run"],
    exit: 0,
    check: async (_ctx, output) => {
      expect(output).not.toMatch(/\x1b\[2K/);
      expect(output).toContain("// \\x1b[2K\\x1b[1A");
    },
  },

  // 5. Bounded.
  {
    name: "a source file over 1 MB is skipped with a word, not silently",
    setup: async ({ root }) => write(path.join(root, "lib/data.js"), `module.exports = ${JSON.stringify("x".repeat(1_200_000))};\n`),
    exit: 0,
    output: /1 source file over 1 MB not read: lib\/data\.js/,
  },
  {
    name: "more than 4 MB of source: what is past the budget is not parsed, and the count is said",
    setup: async ({ root }) => {
      await mkdir(path.join(root, "lib/gen"));
      const code = `module.exports = ${JSON.stringify("x".repeat(900_000))};\n`;
      for (let i = 0; i < 6; i++) await write(path.join(root, `lib/gen/f${i}.js`), code);
    },
    exit: 0,
    output: /2 source files not read: add parses at most 4 MB of source/,
  },
  {
    name: "the app's file over 1 MB named with --entry is read whole",
    setup: async ({ root }) => {
      const file = path.join(root, "server.js");
      await write(file, `${await readFile(file, "utf8")}\n// ${"x".repeat(1_200_000)}\n`);
    },
    args: [...WRITE, "--entry", "server.js"],
    exit: 0,
    check: async ({ root }) => expect(await readFile(path.join(root, "server.js"), "utf8")).toMatch(/mcpAuth/),
  },
  {
    name: "--entry over 8 MB is refused by name",
    setup: async ({ root }) => {
      const file = path.join(root, "server.js");
      await write(file, `${await readFile(file, "utf8")}\n// ${"x".repeat(9 * 1024 * 1024)}\n`);
    },
    args: [...WRITE, "--entry", "server.js"],
    exit: 2,
    output: /server\.js is 9\.0 MB; add reads files up to 8\.0 MB/,
  },
  {
    name: "past the 400-file limit: the count of files not read is printed",
    setup: async ({ root }) => {
      await mkdir(path.join(root, "lib/gen"));
      for (let i = 0; i < 450; i++) await write(path.join(root, `lib/gen/f${String(i).padStart(3, "0")}.js`), `exports.v = ${i};\n`);
    },
    exit: 2,
    output: /52 more source files not read: add reads the first 400/,
  },
  {
    name: "past the 400-file limit, the app named with --entry is still read",
    setup: async ({ root }) => {
      await mkdir(path.join(root, "lib/gen"));
      for (let i = 0; i < 450; i++) await write(path.join(root, `lib/gen/f${String(i).padStart(3, "0")}.js`), `exports.v = ${i};\n`);
    },
    args: [...WRITE, "--entry", "server.js"],
    exit: 0,
    output: /51 more source files not read/,
  },
  {
    name: "--scopes with 10,000 tools is refused at once",
    setup: async () => undefined,
    args: ["--yes", "--no-install", "--no-check", "--scopes", Array.from({ length: 10_000 }, (_, i) => `t${i}=s`).join(",")],
    exit: 2,
    output: /--scopes names 10000 tools; add takes at most 1000/,
  },
  {
    name: "--scopes with a tool name of control characters is refused",
    setup: async () => undefined,
    args: ["--yes", "--no-install", "--no-check", "--scopes", "\x1b[2Jx=s:read"],
    exit: 2,
    output: /--scopes: a tool name holds control characters/,
  },
  {
    name: "package.json nested 100,000 deep: exit 2 with what to do, no stack",
    setup: (ctx) =>
      editPackage(ctx, (pkg) => {
        pkg.config = "DEEP";
      }).then(async () => {
        const file = path.join(ctx.root, "package.json");
        await write(file, (await readFile(file, "utf8")).replace('"DEEP"', deepJson(100_000)));
      }),
    exit: 2,
    output: /package\.json nests deeper than 64 levels/,
  },
  {
    name: "a source file nested 20,000 deep: not parsed, said, the rest goes on",
    setup: async ({ root }) => write(path.join(root, "lib/deep.js"), `module.exports = ${deepJson(20_000)};\n`),
    exit: 0,
    output: /could not parse lib\/deep\.js/,
  },
  {
    name: "a non-string package name: exit 2 naming the field",
    setup: (ctx) =>
      editPackage(ctx, (pkg) => {
        pkg.name = { evil: true };
      }),
    exit: 2,
    output: /package\.json is not what npm expects: "name" is not a string/,
  },
  {
    name: "dependencies that are not an object of strings: exit 2 naming the field",
    setup: (ctx) =>
      editPackage(ctx, (pkg) => {
        pkg.dependencies = ["express"];
      }),
    exit: 2,
    output: /"dependencies" is not an object of strings/,
  },
  {
    name: "package.json that is an array: exit 2",
    setup: async ({ root }) => write(path.join(root, "package.json"), "[]\n"),
    exit: 2,
    output: /package\.json is not what npm expects: it is not a JSON object/,
  },
  {
    name: "a read-only project folder: exit 3 with what to do, nothing written",
    skip: !immutableFolders,
    setup: async (ctx) => {
      if (isRoot) {
        // root ignores mode bits: make the folder immutable instead.
        execFileSync("chattr", ["+i", ctx.root]);
        ctx.cleanups.push(() => {
          execFileSync("chattr", ["-i", ctx.root]);
        });
      } else {
        await chmod(ctx.root, 0o555);
        ctx.cleanups.push(() => chmod(ctx.root, 0o755));
      }
    },
    exit: 3,
    output: /permission denied|not permitted|read-only/,
  },
];

/** A fresh project and a folder beside it; everything removed afterwards, whatever happened. */
async function withCase(task: (ctx: Ctx) => Promise<void>): Promise<void> {
  const work = await tempDir("cma-add-hostile-");
  const ctx: Ctx = { root: path.join(work.dir, "project"), outside: path.join(work.dir, "outside"), cleanups: [], finally: [] };
  try {
    await cp(FIXTURE, ctx.root, { recursive: true });
    await mkdir(path.join(ctx.outside, "target"), { recursive: true });
    await write(path.join(ctx.outside, "secret.env"), "TOKEN=keep-me\n");
    await write(path.join(ctx.outside, "target/README"), "not add's\n");
    await task(ctx);
  } finally {
    for (const cleanup of [...ctx.cleanups.reverse(), ...ctx.finally.reverse()]) await cleanup();
    await work.cleanup();
  }
}

// Each case has folders of its own: they run a few at a time (vitest's maxConcurrency).
describe.concurrent("add: a corpus of hostile repositories (issue 22)", () => {
  it("holds at least 40 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of cases) {
    it.skipIf(Boolean(c.skip))(
      c.name,
      () =>
        withCase(async (ctx) => {
          await c.setup(ctx);
          const dir = c.dir?.(ctx) ?? ctx.root;
          const outsideBefore = tree(ctx.outside);
          const before = tree(dir);
          const args = typeof c.args === "function" ? c.args(ctx) : (c.args ?? WRITE);
          const run = await execa(process.execPath, [bin, "add", dir, ...args], {
            reject: false,
            stdin: "ignore",
            extendEnv: false,
            env: cleanEnv(),
            timeout: 40_000,
          });
          const output = `${run.stdout}\n${run.stderr}`;
          for (const cleanup of ctx.cleanups.splice(0).reverse()) await cleanup();
          expect(run.timedOut, "add hung").toBe(false);
          expect(run.exitCode, output).toBe(c.exit);
          if (c.output) expect(output).toMatch(c.output);
          expect(output).not.toMatch(/unexpected error/);
          expect(output).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
          // Nothing outside the project, and (exit 0 or not) no byte of the project changed outside insertions.
          expect(sameTree(outsideBefore, tree(ctx.outside)), "nothing written outside the project").toBe(true);
          const after = tree(dir);
          expect(violations(before, after)).toEqual([]);
          if (c.exit !== 0) expect(sameTree(before, after), "a refused run writes nothing").toBe(true);
          expect(processesIn(dir)).toEqual([]);
          await c.check?.(ctx, output);
        }),
      90_000,
    );
  }
});
