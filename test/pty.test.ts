import { describe, expect, it } from "vitest";
import { drive } from "./helpers/pty.js";

describe("prompts on a terminal", () => {
  it("Ctrl-C at the first prompt exits 130 and leaves nothing on disk", async () => {
    const { exitCode, screen, files } = await drive([[/Where should the project go/, "\x03"]]);
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(/Cancelled/);
    expect(files).toEqual([]);
  });

  it("Ctrl-C at a later prompt, after answers were given, still leaves nothing", async () => {
    const { exitCode, files, screen } = await drive([
      [/Where should the project go/, "my-proj\r"],
      [/Which framework/, "\r"],
      [/Which OAuth scopes/, "\x03"],
    ]);
    expect(exitCode, screen).toBe(130);
    expect(files).toEqual([]);
  });
});

describe("a whole interactive session", () => {
  it("answers every question and writes the project", async () => {
    let pkg: { name?: string } = {};
    let tools = "";
    const { exitCode, screen, files } = await drive(
      [
        [/Where should the project go/, "chat-tools\r"],
        [/Which framework/, "\x1b[B\r"], // arrow down: the second framework
        [/Which OAuth scopes/, "notes:read notes:write\r"],
        [/Authorization server/, "\r"], // local issuer
      ],
      "--no-install --no-git --no-check",
      {
        inspect: async (dir) => {
          const { readFile } = await import("node:fs/promises");
          pkg = JSON.parse(await readFile(`${dir}/chat-tools/package.json`, "utf8")) as { name?: string };
          tools = await readFile(`${dir}/chat-tools/src/auth/tool-scopes.ts`, "utf8");
        },
      },
    );
    expect(exitCode, screen).toBe(0);
    expect(files).toEqual(["chat-tools"]);
    expect(pkg.name).toBe("chat-tools");
    expect(pkg).toHaveProperty("dependencies.fastify");
    expect(tools).toContain('"notes:write"');
  });

  it("re-asks until an invalid scope is fixed", async () => {
    const { exitCode, screen } = await drive([
      [/Where should the project go/, "fixme\r"],
      [/Which framework/, "\r"],
      [/Which OAuth scopes/, 'bad"scope\r'],
      [/not a valid OAuth scope/, "\x03"],
    ]);
    expect(exitCode, screen).toBe(130);
  });
});

describe("Scalekit answers on a terminal", () => {
  it("masks the client secret and writes it only to .env", async () => {
    const secret = "sup3r-s3cret-value";
    let env = "";
    const { exitCode, screen } = await drive(
      [
        [/Where should the project go/, "sk-proj\r"],
        [/Which framework/, "\r"],
        [/Which OAuth scopes/, "\r"],
        [/Authorization server/, "\x1b[B\r"],
        [/Scalekit environment URL/, "https://acme.scalekit.dev\r"],
        [/Resource id of this MCP server/, "res_123\r"],
        [/Public URL of the MCP endpoint/, "https://mcp.example.com/mcp\r"],
        [/Scalekit API client id/, "skc_123\r"],
        [/Scalekit API client secret/, `${secret}\r`],
      ],
      "--no-install --no-git --no-check",
      {
        inspect: async (dir) => {
          const { readFile } = await import("node:fs/promises");
          env = await readFile(`${dir}/sk-proj/.env`, "utf8");
        },
      },
    );
    expect(exitCode, screen).toBe(0);
    expect(screen).not.toContain(secret);
    expect(env).toContain(`SCALEKIT_CLIENT_SECRET=${secret}`);
    expect(env).toContain("SCALEKIT_RESOURCE_ID=res_123");
    expect(env).toContain("MCP_SERVER_URL=https://mcp.example.com/mcp");
  });
});

describe("hostile values at the prompts (issue 12.6)", () => {
  const clear = (n: number) => "\x7f".repeat(n);
  it("each is refused where it is typed with a message, or held exactly; an IPv6 loopback server URL is kept", async () => {
    const { parseEnv } = await import("node:util");
    const { readFile } = await import("node:fs/promises");
    let env: Record<string, string> = {};
    let tools = "";
    const badEnvUrl = "https://acme.scalekit.dev/x?y=1";
    const badServer = "http://[::1]:3000/mcp?debug=1";
    const quoted = 'https://acme.scalekit.dev/a"b';
    const { exitCode, screen } = await drive(
      [
        [/Where should the project go/, "hostile-proj\r"],
        [/Which framework/, "\r"],
        [/Which OAuth scopes/, "constructor toString hasOwnProperty __proto__ valueOf\r"],
        [/Authorization server/, "\x1b[B\r"],
        [/Scalekit environment URL/, `${badEnvUrl}\r`],
        [/cannot contain a query/, `${clear(badEnvUrl.length)}${quoted}\r`],
        [/write it as "https:\/\/acme\.scalekit\.dev\/a%22b"/, `${clear(quoted.length)}https://acme.scalekit.dev\r`],
        [/Resource id of this MCP server/, "res_a b\r"],
        [/should look like res_/, `${clear(7)}res_1\r`],
        [/Public URL of the MCP endpoint/, `${badServer}\r`],
        [/cannot contain a query/, `${clear(badServer.length)}http://[::1]:3000/mcp\r`],
        [/Scalekit API client id/, `a'b"c\`d\r`],
        [/Scalekit API client secret/, "q'w\\ne\r"],
      ],
      "--no-install --no-git --no-check",
      {
        inspect: async (dir) => {
          env = parseEnv(await readFile(`${dir}/hostile-proj/.env`, "utf8")) as Record<string, string>;
          tools = await readFile(`${dir}/hostile-proj/src/auth/tool-scopes.ts`, "utf8");
        },
      },
    );
    expect(exitCode, screen).toBe(0);
    expect(env).toMatchObject({
      SCALEKIT_ENVIRONMENT_URL: "https://acme.scalekit.dev",
      SCALEKIT_CLIENT_ID: `a'b"c\`d`,
      SCALEKIT_CLIENT_SECRET: "q'w\\ne",
      SCALEKIT_RESOURCE_ID: "res_1",
      MCP_SERVER_URL: "http://[::1]:3000/mcp",
    });
    for (const name of ["constructor", "toString", "hasOwnProperty", "valueOf"]) {
      expect(tools).toMatch(new RegExp(`^\\s*${name}_tool: \\[`, "m"));
      expect(tools).not.toMatch(new RegExp(`^\\s*"${name}": \\[`, "m"));
    }
  });
});
