/**
 * The clients a user connects with, against a generated Python server started as its README says (`uv run
 * serve`) and tokens of the local issuer: the TypeScript SDK v2 client pinned to 2026-07-28 and in its
 * 2025-era handshake, the TypeScript SDK v1 client (2025-11-25), and the official Python client in both eras.
 * Each lists the tools, calls one as the token's subject, and is refused a tool whose scope the token lacks.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalIssuer, startIssuer } from "../../src/issuer/index.js";
import { projectProvider } from "../../src/selfcheck.js";
import { cleanEnv } from "../helpers/cli.js";
import { startGeneratedServer } from "../helpers/project.js";

const SCOPES = ["todo:read", "todo:write"];

/** Every HTTP status a client's transport received, through its `fetch` option. */
function recordingFetch(statuses: number[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    statuses.push(response.status);
    return response;
  };
}

/** The official Python client (the project's own tests/mcp_auth_client.py), in its venv, against `url`: a JSON summary. */
const PYTHON_CLIENT = `
import asyncio, json, sys
from tests.mcp_auth_client import connect

async def main(url: str, era: str, token: str, narrow: str) -> None:
    out = {}
    async with connect(url, era, {"Authorization": f"Bearer {token}"}) as client:
        out["tools"] = sorted(t.name for t in (await client.list_tools()).tools)
        who = await client.call_tool("whoami", {})
        out["whoami"] = who.structured_content
        echoed = await client.call_tool("todo_read", {"message": "hi"})
        out["todo_read"] = [c.text for c in echoed.content]
    statuses: list[int] = []
    try:
        async with connect(url, era, {"Authorization": f"Bearer {narrow}"}, statuses) as client:
            await client.call_tool("todo_write", {})
        out["narrow"] = "called"
    except BaseException as error:  # the client raises (an exception group) on the 403
        out["narrow"] = type(error).__name__
    out["narrow_status"] = statuses[-1] if statuses else None
    print(json.dumps(out))

asyncio.run(main(*sys.argv[1:5]))
`;

export function pythonClientsSuite(framework: string, root: () => string): void {
  describe(`python ${framework}: the TypeScript v2 and v1 clients and the Python client, both eras`, () => {
    let issuer: LocalIssuer;
    let server: Awaited<ReturnType<typeof startGeneratedServer>>;

    beforeAll(async () => {
      issuer = await startIssuer({ port: 0, quiet: true, scopes: SCOPES, layout: projectProvider(root()).issuerLayout });
      server = await startGeneratedServer(root(), issuer);
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
      await issuer?.close();
    });

    const mint = (scopes: string[], sub: string) => issuer.mint({ audience: [server.url, issuer.resourceId], scopes, sub });

    for (const era of [{ pin: "2026-07-28" } as const, "legacy" as const]) {
      const label = era === "legacy" ? "its 2025-era handshake" : "pinned to 2026-07-28";
      it(`the TypeScript SDK v2 client, ${label}: lists, calls as the token's subject, gets 403 for a missing scope`, async () => {
        const connect = async (token: string, statuses: number[] = []) => {
          const client = new ClientV2({ name: "py-e2e-v2", version: "1.0.0" }, { versionNegotiation: { mode: era } });
          await client.connect(
            new TransportV2(new URL(server.url), {
              fetch: recordingFetch(statuses),
              requestInit: { headers: { Authorization: `Bearer ${token}` } },
            }),
          );
          return client;
        };
        const client = await connect(await mint(SCOPES, "v2@example.test"));
        try {
          const negotiated = client.getNegotiatedProtocolVersion();
          if (era === "legacy") expect(negotiated).not.toBe("2026-07-28");
          else expect(negotiated).toBe("2026-07-28");
          expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["todo_read", "todo_write", "whoami"]);
          const who = await client.callTool({ name: "whoami", arguments: {} });
          expect(who.structuredContent).toMatchObject({ subject: "v2@example.test", scopes: SCOPES });
          const echoed = await client.callTool({ name: "todo_read", arguments: { message: "hi" } });
          expect(echoed.content).toEqual([{ type: "text", text: "todo_read ran for v2@example.test: hi" }]);
        } finally {
          await client.close();
        }
        const statuses: number[] = [];
        const narrow = await connect(await mint(["todo:read"], "v2@example.test"), statuses);
        try {
          await expect(narrow.callTool({ name: "todo_write", arguments: {} })).rejects.toThrow();
          expect(statuses.at(-1)).toBe(403);
        } finally {
          await narrow.close();
        }
        expect(server.log()).not.toMatch(/Traceback/);
      }, 60_000);
    }

    it("the TypeScript SDK v1 client (2025-11-25): lists, calls as the token's subject, gets 403 for a missing scope", async () => {
      const connect = async (token: string, statuses: number[] = []) => {
        const client = new ClientV1({ name: "py-e2e-v1", version: "1.0.0" });
        await client.connect(
          new TransportV1(new URL(server.url), {
            fetch: recordingFetch(statuses),
            requestInit: { headers: { Authorization: `Bearer ${token}` } },
          }),
        );
        return client;
      };
      const client = await connect(await mint(SCOPES, "v1@example.test"));
      try {
        expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["todo_read", "todo_write", "whoami"]);
        const who = await client.callTool({ name: "whoami", arguments: {} });
        expect(who.structuredContent).toMatchObject({ subject: "v1@example.test", scopes: SCOPES });
      } finally {
        await client.close();
      }
      const statuses: number[] = [];
      const narrow = await connect(await mint(["todo:read"], "v1@example.test"), statuses);
      try {
        await expect(narrow.callTool({ name: "todo_write", arguments: {} })).rejects.toThrow();
        expect(statuses.at(-1)).toBe(403);
      } finally {
        await narrow.close();
      }
    }, 60_000);

    for (const era of ["2026-07-28", "legacy"]) {
      it(`the official Python client (mode=${era}): lists, calls as the token's subject, gets 403 for a missing scope`, async () => {
        const dir = await mkdtemp(path.join(tmpdir(), "cma-pyclient-"));
        try {
          const script = path.join(dir, "client.py");
          await writeFile(script, PYTHON_CLIENT);
          const run = await execa(
            path.join(root(), ".venv", "bin", "python"),
            [script, server.url, era, await mint(SCOPES, "py@example.test"), await mint(["todo:read"], "py@example.test")],
            { cwd: root(), env: cleanEnv({ PYTHONPATH: root() }), reject: false, all: true, timeout: 60_000 },
          );
          expect(run.exitCode, String(run.all)).toBe(0);
          const out = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
          expect(out.tools).toEqual(["todo_read", "todo_write", "whoami"]);
          expect(out.whoami).toMatchObject({ subject: "py@example.test", scopes: SCOPES });
          expect(out.todo_read).toEqual(["todo_read ran for py@example.test: hi"]);
          expect(out.narrow).not.toBe("called");
          expect(out.narrow_status).toBe(403);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }, 90_000);
    }
  });
}
