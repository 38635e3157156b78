import { describe, expect, it } from "vitest";
import { CliError } from "../src/core/errors.js";
import { packageManagerFromUserAgent } from "../src/core/package-managers.js";
import {
  parsePort,
  parseScopes,
  toValidPackageName,
  validatePackageName,
  validateUrl,
  withoutTrailingSlash,
} from "../src/core/validate.js";
import { exampleToolsFor } from "../src/create/context.js";
import { openQuestions, resolveOptions } from "../src/create/options.js";
import { isLoopbackHost } from "../src/oauth-syntax.js";
import { validateResourceId } from "../src/providers.js";

describe("package names", () => {
  it.each(["my-server", "@acme/mcp", "a.b_c~d", "x"])("accepts %s", (name) => {
    expect(validatePackageName(name)).toBeUndefined();
  });
  it.each(["My Server", ".hidden", "_x", "a/b/c", "node_modules", "ä", ""])("refuses %j with a suggestion", (name) => {
    expect(validatePackageName(name)).toBeTypeOf("string");
  });
  it("suggests a valid fix", () => {
    expect(toValidPackageName("My Cool Server!")).toBe("my-cool-server");
    expect(validatePackageName(toValidPackageName("..Weird__Name.."))).toBeUndefined();
    expect(validatePackageName("My Server")).toContain('"my-server"');
  });
});

describe("scopes", () => {
  it("splits on commas and spaces", () => {
    expect(parseScopes("todo:read, todo:write  admin")).toEqual({ scopes: ["todo:read", "todo:write", "admin"] });
  });
  it('accepts every RFC 6749 scope-token character except " and \\', () => {
    expect(parseScopes("a$b{c}'d*/e`f").error).toBeUndefined();
  });
  it.each([
    ["", /at least one/],
    ['a"b', /not a valid OAuth scope/],
    ["a\\b", /not a valid OAuth scope/],
    ["ä", /not a valid OAuth scope/],
    ["x,x", /twice/],
  ])("refuses %j", (input, message) => {
    expect(parseScopes(input).error).toMatch(message);
  });
});

describe("URLs", () => {
  const rules = { what: "the server URL", httpsUnlessLoopback: true };
  it("accepts https anywhere and http on loopback", () => {
    expect(validateUrl("https://mcp.example.com/mcp", rules)).toBeUndefined();
    for (const host of ["localhost", "127.0.0.1", "[::1]", "app.localhost"]) {
      expect(validateUrl(`http://${host}:3000/mcp`, rules)).toBeUndefined();
    }
  });
  it("refuses http elsewhere, fragments, other schemes, credentials and garbage", () => {
    expect(validateUrl("http://mcp.example.com/mcp", rules)).toMatch(/must use https/);
    expect(validateUrl("https://x.example.com/mcp#a", rules)).toMatch(/fragment/);
    expect(validateUrl("ftp://x.example.com", rules)).toMatch(/https/);
    expect(validateUrl("https://u:p@x.example.com", rules)).toMatch(/password/);
    expect(validateUrl("not a url", rules)).toMatch(/absolute URL/);
  });
  it("knows loopback hosts", () => {
    expect(isLoopbackHost("127.9.9.9")).toBe(true);
    expect(isLoopbackHost("127.0.0.1.example.com")).toBe(false);
    expect(isLoopbackHost("localhost.example.com")).toBe(false);
  });
  it("strips one trailing slash", () => {
    expect(withoutTrailingSlash("https://a.example/")).toBe("https://a.example");
  });
});

describe("ports and resource ids", () => {
  it("ports 1-65535 only", () => {
    expect(parsePort("3000")).toEqual({ port: 3000 });
    for (const bad of ["0", "65536", "-1", "3.5", "abc", ""]) expect(parsePort(bad).error).toBeDefined();
  });
  it("resource ids are res_... or a URL", () => {
    expect(validateResourceId("res_123abc")).toBeUndefined();
    expect(validateResourceId("https://mcp.example.com/mcp")).toBeUndefined();
    expect(validateResourceId("123")).toMatch(/res_/);
  });
});

describe("options model", () => {
  it("names the open questions", () => {
    expect(openQuestions({})).toEqual(["dir", "framework", "scopes", "provider"]);
    expect(openQuestions({ dir: "x", framework: "express", scopes: "a", settings: { envUrl: "https://e.example" } })).toEqual([]);
    expect(openQuestions({ dir: "x", framework: "express", scopes: "a" }, { OIDC_ISSUER_URL: "https://tenant.example.com/" })).toEqual([]);
    // --provider alone leaves open whether to use local mode or enter its settings.
    expect(openQuestions({ dir: "x", framework: "express", scopes: "a", provider: "oidc" })).toEqual(["provider"]);
  });
  it("takes the package manager from the user agent", () => {
    expect(packageManagerFromUserAgent("pnpm/9.0.0 npm/? node/v20")).toBe("pnpm");
    expect(packageManagerFromUserAgent(undefined)).toBeUndefined();
  });
  it("resolves defaults into local mode", () => {
    const options = resolveOptions({ dir: "demo", yes: true }, {}, "/tmp");
    expect(options).toMatchObject({ root: "/tmp/demo", packageName: "demo", scopes: ["todo:read", "todo:write"], port: 3000, local: true });
    expect(options.provider.name).toBe("scalekit");
    expect(options.settings).toEqual({ envUrl: "http://127.0.0.1:4444", resourceId: "res_local" });
    expect(options.serverUrl).toBe("http://localhost:3000/mcp");
  });
  it("reports every problem at once, naming the flags", () => {
    try {
      resolveOptions({ dir: "Bad Name", scopes: 'a"b', port: "0", settings: { envUrl: "http://scalekit.example.com" } }, {}, "/tmp");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CliError);
      const message = (error as CliError).message;
      for (const flag of ["[dir]", "--scopes", "--port", "--env-url", "--resource-id"]) expect(message).toContain(flag);
      expect((error as CliError).exitCode).toBe(2);
    }
  });
});

describe("example tools", () => {
  const PROTOTYPE = Object.getOwnPropertyNames(Object.prototype);

  it("never names a tool after an Object.prototype member (the SDK looks tools up in a plain object)", () => {
    const tools = exampleToolsFor([
      "constructor",
      "toString",
      "hasOwnProperty",
      "__proto__",
      "valueOf",
      "isPrototypeOf",
      "__defineGetter__",
      "toLocaleString",
    ]);
    for (const tool of tools) expect(PROTOTYPE).not.toContain(tool.name);
    expect(new Set(tools.map((t) => t.name)).size).toBe(tools.length);
    expect(tools.map((t) => t.scope)).toEqual([
      "constructor",
      "toString",
      "hasOwnProperty",
      "__proto__",
      "valueOf",
      "isPrototypeOf",
      "__defineGetter__",
      "toLocaleString",
    ]);
  });

  it("any scopes give unique, client-safe names that are not prototype members", async () => {
    const fc = (await import("fast-check")).default;
    const { SCOPE_TOKEN } = await import("../src/oauth-syntax.js");
    const scopeChar = fc.constantFrom(
      ...[...Array(94).keys()].map((i) => String.fromCharCode(0x21 + i)).filter((c) => SCOPE_TOKEN.test(c) && c !== ","),
    );
    const scope = fc.oneof(
      fc.constantFrom(...PROTOTYPE, "whoami", "tool", "tool_2", "a_2"),
      fc.string({ unit: scopeChar, minLength: 1, maxLength: 70 }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(scope, { maxLength: 12 }), (scopes) => {
        const names = exampleToolsFor(scopes).map((t) => t.name);
        expect(new Set([...names, "whoami"]).size).toBe(names.length + 1);
        for (const name of names) {
          expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
          expect(PROTOTYPE).not.toContain(name);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("names one tool per scope, unique and client-safe", () => {
    const tools = exampleToolsFor(["todo:read", "todo.read", "whoami", "$$$"]);
    expect(tools.map((t) => t.name)).toEqual(["todo_read", "todo_read_2", "whoami_2", "tool"]);
    for (const tool of tools) expect(tool.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });
});
