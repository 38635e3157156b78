import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { issuerMismatch } from "../src/check/context.js";
import { headerValue, modernRequest, SseEvents } from "../src/check/http.js";
import { minimalArguments } from "../src/check/mcp-client.js";
import { authServerMetadataUrls, prmUrls } from "../src/check/metadata.js";
import { issuerMatches } from "../src/check/probes/authserver.js";
import { resourceMismatch } from "../src/check/probes/discovery.js";
import { endpointUrlProblem } from "../src/check/run.js";
import { bearerChallenge, parseWwwAuthenticate } from "../src/check/www-authenticate.js";
import { oneLine, printable } from "../src/core/printable.js";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";

describe("parseWwwAuthenticate", () => {
  it("reads quoted and bare parameters, case-insensitive names, escapes", () => {
    expect(
      parseWwwAuthenticate('Bearer resource_metadata="https://x/.well-known/a", Scope="a b", error=invalid_token, d="say \\"hi\\""'),
    ).toEqual([
      { scheme: "Bearer", params: { resource_metadata: "https://x/.well-known/a", scope: "a b", error: "invalid_token", d: 'say "hi"' } },
    ]);
  });

  it("splits several challenges and finds the Bearer one, whatever its case", () => {
    const header = 'Basic realm="x", bearer error="insufficient_scope", scope="todo:write"';
    expect(parseWwwAuthenticate(header).map((c) => c.scheme)).toEqual(["Basic", "bearer"]);
    expect(bearerChallenge(header)?.params).toEqual({ error: "insufficient_scope", scope: "todo:write" });
  });

  it("keeps commas inside quoted values and survives junk", () => {
    expect(bearerChallenge('Bearer error_description="a, b", scope="x"')?.params).toEqual({ error_description: "a, b", scope: "x" });
    expect(parseWwwAuthenticate("Negotiate abc==")[0]?.scheme).toBe("Negotiate");
    expect(bearerChallenge(null)).toBeUndefined();
    expect(bearerChallenge('Bearer x="unterminated')?.params).toEqual({ x: "unterminated" });
  });
});

describe("minimalArguments", () => {
  it("fills required properties only: strings x, numbers 1, booleans true", () => {
    const schema = {
      type: "object",
      properties: { s: { type: "string" }, n: { type: "number" }, i: { type: "integer" }, b: { type: "boolean" }, opt: { type: "string" } },
      required: ["s", "n", "i", "b"],
    };
    expect(minimalArguments(schema)).toEqual({ s: "x", n: 1, i: 1, b: true });
  });

  it("uses enums, consts, nested objects, arrays and nullable types", () => {
    const schema = {
      type: "object",
      properties: {
        e: { enum: ["low", "high"] },
        c: { const: 7 },
        o: { type: "object", properties: { deep: { type: "string" } }, required: ["deep"] },
        a: { type: "array", items: { type: "number" }, minItems: 1 },
        n: { type: ["null", "integer"] },
        u: { anyOf: [{ type: "boolean" }, { type: "string" }] },
      },
      required: ["e", "c", "o", "a", "n", "u"],
    };
    expect(minimalArguments(schema)).toEqual({ e: "low", c: 7, o: { deep: "x" }, a: [1], n: 1, u: true });
    expect(minimalArguments(undefined)).toEqual({});
  });
});

describe("resourceMismatch", () => {
  const endpoint = new URL("https://api.example.com/mcp");
  it("accepts the endpoint itself, a path prefix, and the origin", () => {
    expect(resourceMismatch("https://api.example.com/mcp", endpoint, endpoint.href)).toBeUndefined();
    expect(resourceMismatch("https://api.example.com", endpoint, endpoint.href)).toBeUndefined();
  });
  it("refuses a trailing slash, another origin, a non-prefix path", () => {
    expect(resourceMismatch("https://api.example.com/mcp/", endpoint, endpoint.href)).toMatch(/ends with a slash/);
    expect(resourceMismatch("https://other.example.com/mcp", endpoint, endpoint.href)).toMatch(/origin/);
    expect(resourceMismatch("https://api.example.com/mc", endpoint, endpoint.href)).toMatch(/not a prefix/);
    expect(resourceMismatch("https://api.example.com/other", endpoint, endpoint.href)).toMatch(/not a prefix/);
  });
});

describe("discovery URLs", () => {
  it("PRM: path-suffixed and root", () => {
    expect(prmUrls(new URL("http://127.0.0.1:3000/mcp"))).toEqual({
      path: "http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp",
      root: "http://127.0.0.1:3000/.well-known/oauth-protected-resource",
    });
    expect(prmUrls(new URL("http://h/")).path).toBe("http://h/.well-known/oauth-protected-resource");
  });

  it("AS metadata: RFC 8414 path-inserted first, then path-appended, then OpenID", () => {
    expect(authServerMetadataUrls("http://127.0.0.1:4444/resources/res_1").map((u) => u.url)).toEqual([
      "http://127.0.0.1:4444/.well-known/oauth-authorization-server/resources/res_1",
      "http://127.0.0.1:4444/resources/res_1/.well-known/oauth-authorization-server",
      "http://127.0.0.1:4444/.well-known/openid-configuration/resources/res_1",
      "http://127.0.0.1:4444/resources/res_1/.well-known/openid-configuration",
    ]);
    expect(authServerMetadataUrls("https://auth.example.com").map((u) => u.url)).toEqual([
      "https://auth.example.com/.well-known/oauth-authorization-server",
      "https://auth.example.com/.well-known/openid-configuration",
    ]);
  });
});

describe('the issuer\'s standby key (mint option key: "standby")', () => {
  const kids = async (issuer: LocalIssuer) =>
    ((await (await fetch(issuer.jwksUri)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

  it("is published from its first use on, after the current key, and never becomes the current key", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true });
    try {
      const current = decodeProtectedHeader(await issuer.mint()).kid!;
      expect(await kids(issuer)).toEqual([current]);
      const standby = decodeProtectedHeader(await issuer.mint({ key: "standby" })).kid!;
      expect(standby).not.toBe(current);
      expect(await kids(issuer)).toEqual([current, standby]);
      // Used again: the same key; the current key has not changed.
      expect(decodeProtectedHeader(await issuer.mint({ key: "standby" })).kid).toBe(standby);
      expect(decodeProtectedHeader(await issuer.mint()).kid).toBe(current);
      expect(await kids(issuer)).toEqual([current, standby]);
      // It outlives a rotation that drops the old keys.
      const rotated = await issuer.rotateKey({ keepOld: false });
      expect(await kids(issuer)).toEqual([rotated, standby]);
    } finally {
      await issuer.close();
    }
  });

  it("verifies against the published key set", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true });
    try {
      const token = await issuer.mint({ key: "standby" });
      const { payload } = await jwtVerify(token, createLocalJWKSet((await (await fetch(issuer.jwksUri)).json()) as JSONWebKeySet));
      expect(payload.iss).toBe(issuer.issuer);
    } finally {
      await issuer.close();
    }
  });

  it("/_dev/mint accepts it and names the three choices when given another", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true });
    try {
      const mint = (key: string) =>
        fetch(`${issuer.url}/_dev/mint`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ key }),
        });
      const ok = (await (await mint("standby")).json()) as { token: string };
      expect(await kids(issuer)).toContain(decodeProtectedHeader(ok.token).kid);
      const bad = await mint("spare");
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('key must be \\"current\\", \\"unknown\\" or \\"standby\\"');
    } finally {
      await issuer.close();
    }
  });
});

describe("printable: what a server sends is shown, never interpreted", () => {
  it("escapes C0 and C1 controls, DEL and the bidi and line-separator format characters", () => {
    expect(printable("\x1b[31mred\x1b[0m\x07\x00\x7f\x9b\u202e\u2066\u2028")).toBe(
      "\\x1b[31mred\\x1b[0m\\x07\\x00\\x7f\\x9b\\u202e\\u2066\\u2028",
    );
  });
  it("keeps printable text as it is, non-ASCII included", () => {
    expect(printable("café ✔ → 日本 \\x1b")).toBe("café ✔ → 日本 \\x1b");
  });
  it("oneLine folds whitespace, then escapes, then shortens", () => {
    expect(oneLine("a\r\n\tb  \x1bc")).toBe("a b \\x1bc");
    expect(oneLine("x".repeat(300), 10)).toBe(`${"x".repeat(9)}…`);
  });
});

describe("endpointUrlProblem", () => {
  it("suggests the scheme when there is none: http on loopback, https elsewhere", () => {
    expect(endpointUrlProblem("localhost:3000/mcp")).toBe('"localhost:3000/mcp" has no scheme: did you mean http://localhost:3000/mcp?');
    expect(endpointUrlProblem("127.0.0.1:3000/mcp")).toContain("did you mean http://127.0.0.1:3000/mcp?");
    expect(endpointUrlProblem("[::1]:3000/mcp")).toContain("did you mean http://[::1]:3000/mcp?");
    expect(endpointUrlProblem("api.example.com/mcp")).toContain("did you mean https://api.example.com/mcp?");
  });
  it("accepts http(s) URLs and refuses other schemes", () => {
    expect(endpointUrlProblem("http://localhost:3000/mcp")).toBeUndefined();
    expect(endpointUrlProblem("https://api.example.com/mcp")).toBeUndefined();
    expect(endpointUrlProblem("ftp://example.com/mcp")).toMatch(/not an http\(s\) URL/);
  });
});

describe("2026-07-28 requests", () => {
  it("carry the _meta envelope and mirror method and name into headers", () => {
    const r = modernRequest("tools/call", { name: "add_todo", arguments: { text: "x" } });
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({ jsonrpc: "2.0", method: "tools/call", params: { name: "add_todo", arguments: { text: "x" } } });
    expect(body.params._meta).toMatchObject({
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
    });
    expect(r.headers).toEqual({ "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "add_todo" });
    expect(modernRequest("tools/list").headers).toEqual({ "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list" });
  });
  it("write a name that is not safe ASCII in the Base64 sentinel form", () => {
    expect(headerValue("us-west1")).toBe("us-west1");
    expect(headerValue("Hello, 世界")).toBe("=?base64?SGVsbG8sIOS4lueVjA==?=");
    expect(headerValue(" padded ")).toBe("=?base64?IHBhZGRlZCA=?=");
    expect(headerValue("=?base64?literal?=")).toBe("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
  });
});

describe("issuer matching", () => {
  const issuer = {
    url: "http://127.0.0.1:4444",
    issuer: "http://127.0.0.1:4444",
    resourceId: "res_local",
    authorizationServer: "http://127.0.0.1:4444/resources/res_local",
    mint: async () => "",
  };
  it("--issuer must be one of the server's authorization_servers (either issuer form, trailing slash aside)", () => {
    expect(issuerMismatch(issuer, ["http://127.0.0.1:4444/resources/res_local/"])).toBeUndefined();
    expect(issuerMismatch(issuer, ["http://127.0.0.1:4444"])).toBeUndefined();
    expect(issuerMismatch(issuer, undefined)).toBeUndefined();
    expect(issuerMismatch(issuer, ["https://acme.scalekit.dev/resources/res_1"])).toBe(
      "--issuer http://127.0.0.1:4444 is the authorization server http://127.0.0.1:4444/resources/res_local (iss http://127.0.0.1:4444), " +
        "but the server advertises https://acme.scalekit.dev/resources/res_1 (authorization_servers): it would refuse every token this issuer mints; " +
        "start the server against this issuer or give the issuer it trusts",
    );
  });
  it("AS metadata issuer: identical, or the authorization server URL without its final slash (as the SDK v2 client)", () => {
    expect(issuerMatches("https://as.example.com/", "https://as.example.com/")).toBe(true);
    expect(issuerMatches("https://as.example.com/", "https://as.example.com")).toBe(true);
    expect(issuerMatches("https://as.example.com", "https://as.example.com/")).toBe(false);
    expect(issuerMatches("https://as.example.com/t1", "https://as.example.com/t2")).toBe(false);
  });
});

describe("printableJson", () => {
  it("is the same JSON data, with every character a terminal acts on as a \\u escape, laid out as asked", async () => {
    const { printableJson } = await import("../src/core/printable.js");
    const value = { a: "x\x1b[2J\u009b\u202e\u2028\x7f", b: [1, { c: "plain" }] };
    for (const space of [undefined, 2]) {
      const text = printableJson(value, space);
      expect(JSON.parse(text)).toEqual(value);
      expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u202e]/);
      expect(text).toContain("\\u009b\\u202e\\u2028\\u007f");
    }
    expect(printableJson(value, 2).split("\n")).toHaveLength(9);
  });
});

describe("plural", () => {
  it("1 warning, 2 warnings, 0 tools; the self-check's summary too", async () => {
    const { plural } = await import("../src/core/plural.js");
    expect([plural(1, "warning"), plural(2, "warning"), plural(0, "tool")]).toEqual(["1 warning", "2 warnings", "0 tools"]);
    const { summaryLines } = await import("../src/selfcheck.js");
    const report = { summary: { passed: 3, failed: 0, warnings: 1, skipped: 0 }, results: [], durationMs: 1000 } as never;
    expect(summaryLines(report).headline).toBe("Self-check passed: 3 passed, 0 failed, 1 warning (1.0 s)");
  });
});

describe("bodies read with a cap (core/http-body)", () => {
  const endless = (chunk: Uint8Array, headers: Record<string, string> = {}) =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.enqueue(chunk);
        },
      }),
      { status: 200, headers },
    );

  it("an endless body: readBodyBytes and a bounded Response's json() both stop past the cap", async () => {
    const { BodyTooLargeError, boundedResponse, readBodyBytes } = await import("../src/core/http-body.js");
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    await expect(readBodyBytes(endless(chunk), 256 * 1024)).rejects.toBeInstanceOf(BodyTooLargeError);
    await expect(boundedResponse(endless(chunk), 256 * 1024).json()).rejects.toThrow(/over 256 KB/);
    // A declared length past the cap is refused before a byte is read.
    await expect(readBodyBytes(endless(chunk, { "content-length": String(2 ** 40) }), 1024)).rejects.toThrow(/over 1 KB/);
  });

  it("a body within the cap comes through whole, status and headers kept; a 204 stays bodiless", async () => {
    const { boundedResponse, readBodyJson } = await import("../src/core/http-body.js");
    const res = boundedResponse(new Response('{"a":1}', { status: 201, headers: { "x-y": "z" } }), 1024);
    expect(res.status).toBe(201);
    expect(res.headers.get("x-y")).toBe("z");
    expect(await res.json()).toEqual({ a: 1 });
    expect(await readBodyJson(new Response("not json"))).toBeUndefined();
    expect(boundedResponse(new Response(null, { status: 204 })).status).toBe(204);
  });
});

describe("SseEvents: an SSE stream's messages as its text arrives", () => {
  const stream = [
    ": a comment\r\n\r\n",
    'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n',
    'data: {"jsonrpc":"2.0",\ndata: "id":1,"result":{}}\r\r',
    "data: not json\n\n",
    'id: 7\r\ndata: {"jsonrpc":"2.0","id":2,"error":{"code":-32600,"message":"no"}}\r\n\r\n',
    'data: {"jsonrpc":"2.0","id":3,"result":{"unfinished":true}}\n',
  ].join("");
  const whole = [
    { jsonrpc: "2.0", method: "notifications/progress" },
    { jsonrpc: "2.0", id: 1, result: {} },
    { jsonrpc: "2.0", id: 2, error: { code: -32600, message: "no" } },
  ];

  it("finds the same complete events wherever the text is cut, and none unfinished", () => {
    for (let i = 0; i <= stream.length; i++) {
      for (const j of [i, Math.min(stream.length, i + 1), Math.min(stream.length, i + 7)]) {
        const events = new SseEvents();
        const got = [stream.slice(0, i), stream.slice(i, j), stream.slice(j)].flatMap((piece) => events.push(piece));
        expect(got, `cut at ${i} and ${j}`).toEqual(whole);
      }
    }
  });

  it("one character at a time", () => {
    const events = new SseEvents();
    expect([...stream].flatMap((c) => events.push(c))).toEqual(whole);
  });
});
