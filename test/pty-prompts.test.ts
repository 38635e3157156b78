import { readFile } from "node:fs/promises";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { copyFixture } from "./add-suite.js";
import { drive } from "./helpers/pty.js";

/**
 * Issue 21.4: the provider questions in the order a person fills them
 * (required before optional, the server URL before the audience that
 * defaults to it), a way back to local mode, and examples of the right kind.
 */
const flags = "--no-install --no-git --no-check";
const firstQuestions = (dir: string, provider: string): [RegExp, string][] => [
  [/Where should the project go/, `${dir}\r`],
  [/Which framework/, "\r"],
  [/Which OAuth scopes/, "\r"],
  [/Authorization server/, provider],
];
const down = "\x1b[B";

/** Drives the questions, then reads the project's .env (empty when none was written). */
async function driveToEnv(project: string, steps: Parameters<typeof drive>[0]) {
  let env: Record<string, string> = {};
  const readEnv = async (dir: string) => {
    env = parseEnv(await readFile(`${dir}/${project}/.env`, "utf8").catch(() => "")) as Record<string, string>;
  };
  const { exitCode, screen } = await drive(steps, flags, { inspect: readEnv, cols: 80 });
  return { exitCode, screen, env };
}

/**
 * Text written in one run wider than 80 columns (the drive runs on an
 * 80-column pty). Colour codes are dropped; any other escape sequence (a
 * cursor move of a redraw) ends the run.
 */
const tooWide = (screen: string) =>
  screen
    .replace(/\x1b\[[0-9;]*m/g, "")
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "\n")
    .split(/\r?\n|\r/)
    .filter((row) => row.length > 80);

/** Where each question first appears on the screen, in the order given; -1 when it never does. */
const positions = (screen: string, questions: RegExp[]) => questions.map((q) => screen.search(q));

describe("provider questions in the order a person fills them", () => {
  it("Scalekit: environment URL, resource id, server URL, then the optional client id and secret", async () => {
    const order = [
      /Scalekit environment URL/,
      /Resource id of this MCP server/,
      /Public URL of the MCP endpoint/,
      /Scalekit API client id/,
      /Scalekit API client secret/,
    ];
    const { exitCode, screen, env } = await driveToEnv("sk-order", [
      ...firstQuestions("sk-order", `${down}\r`),
      [order[0]!, "https://acme.scalekit.dev\r"],
      [order[1]!, "res_42\r"],
      [order[2]!, "https://mcp.example.com/mcp\r"],
      [order[3]!, "\r"],
      [order[4]!, "\r"],
    ]);
    expect(exitCode, screen).toBe(0);
    expect(tooWide(screen)).toEqual([]);
    const at = positions(screen, order);
    expect(
      at.every((p) => p >= 0),
      screen,
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // Required ones say what Enter does; optional ones say they are optional.
    expect(screen).toMatch(/Scalekit environment URL \(Enter: back to local mode\)/);
    expect(screen).toMatch(/Scalekit API client id \(for its management API\) \(optional: Enter to skip\)/);
    expect(env).toMatchObject({
      SCALEKIT_ENVIRONMENT_URL: "https://acme.scalekit.dev",
      SCALEKIT_RESOURCE_ID: "res_42",
      MCP_SERVER_URL: "https://mcp.example.com/mcp",
    });
    expect(env.SCALEKIT_CLIENT_ID).toBeUndefined();
  });

  it("OpenID Connect: the server URL before the audience, whose Enter answer shows that URL", async () => {
    const { exitCode, screen, env } = await driveToEnv("oidc-order", [
      ...firstQuestions("oidc-order", `${down}${down}\r`),
      [/issuer URL/, "https://tenant.example.org\r"],
      [/Public URL of the MCP endpoint/, "https://tools.example.org/mcp\r"],
      [/Accepted audiences[\s\S]*tools\.example\.org\/mcp/, "\r"], // the placeholder: the server URL
    ]);
    expect(exitCode, screen).toBe(0);
    expect(tooWide(screen)).toEqual([]);
    const at = positions(screen, [/issuer URL/, /Public URL of the MCP endpoint/, /Accepted audiences/]);
    expect(
      at.every((p) => p >= 0),
      screen,
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(screen).toMatch(/Accepted audiences, comma separated \(optional: Enter for the server URL\)/);
    expect(env).toMatchObject({ OIDC_ISSUER_URL: "https://tenant.example.org", MCP_SERVER_URL: "https://tools.example.org/mcp" });
    // Enter kept the default: no audience written, the server URL applies.
    expect(env.OIDC_AUDIENCE).toBeUndefined();
  });
});

describe("a way back to local mode", () => {
  it("an empty Scalekit environment URL writes a local-mode project", async () => {
    const { exitCode, screen, env } = await driveToEnv("sk-back", [
      ...firstQuestions("sk-back", `${down}\r`),
      [/Scalekit environment URL/, "\r"],
    ]);
    expect(exitCode, screen).toBe(0);
    expect(screen).not.toMatch(/is needed/);
    expect(screen).toMatch(/Local mode: the local issuer\. To use Scalekit, edit \.env later\./);
    expect(screen).not.toMatch(/Resource id of this MCP server/);
    expect(env).toMatchObject({ SCALEKIT_ENVIRONMENT_URL: "http://127.0.0.1:4444", SCALEKIT_RESOURCE_ID: "res_local" });
  });

  it("an empty resource id, after an environment URL, goes back too", async () => {
    const { exitCode, screen, env } = await driveToEnv("sk-back2", [
      ...firstQuestions("sk-back2", `${down}\r`),
      [/Scalekit environment URL/, "https://acme.scalekit.dev\r"],
      [/Resource id/, "\r"],
    ]);
    expect(exitCode, screen).toBe(0);
    expect(env).toMatchObject({ SCALEKIT_ENVIRONMENT_URL: "http://127.0.0.1:4444", SCALEKIT_RESOURCE_ID: "res_local" });
  });

  it("an empty OpenID Connect issuer URL: local mode in the oidc layout", async () => {
    const { exitCode, screen, env } = await driveToEnv("oidc-back", [
      ...firstQuestions("oidc-back", `${down}${down}\r`),
      [/issuer URL/, "\r"],
    ]);
    expect(exitCode, screen).toBe(0);
    expect(screen).toMatch(/Local mode: the local issuer\. To use OpenID Connect/);
    expect(env).toMatchObject({ OIDC_ISSUER_URL: "http://127.0.0.1:4444" });
  });
});

describe("examples of the right kind", () => {
  it("a wrong environment URL is answered with an environment URL example, not a server URL", async () => {
    const { exitCode, screen } = await drive(
      [...firstQuestions("sk-example", `${down}\r`), [/Scalekit environment URL/, "acme\r"], [/is not an absolute URL/, "\x03"]],
      flags,
    );
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(/e\.g\. https:\/\/your-env\.scalekit\.dev/);
    expect(screen).not.toMatch(/example\.com\/mcp/);
  });
});

describe("add: the same questions from the same table", () => {
  it("an empty environment URL goes back to 'set it later': no .env, the variables left to .env.example", async () => {
    let files: string[] = [];
    const { exitCode, screen } = await drive(
      [
        [/Authorization server\?/, `${down}\r`],
        [/Scalekit environment URL \(Enter: set it later\)/, "\r"],
        [/Write these changes/, "y\r"],
      ],
      "add express-cjs --no-install --no-check --scopes get_alerts=weather:alerts",
      {
        setup: async (dir) => void (await copyFixture("express-cjs", dir)),
        inspect: async (dir) => {
          const { readdir } = await import("node:fs/promises");
          files = await readdir(`${dir}/express-cjs`);
        },
      },
    );
    expect(exitCode, screen).toBe(0);
    expect(screen).not.toMatch(/is needed/);
    expect(screen).not.toMatch(/Resource id of this MCP server/);
    expect(files).toContain(".env.example");
    expect(files).not.toContain(".env");
  });
});
