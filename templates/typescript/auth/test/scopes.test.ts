import { describe, expect, it } from "vitest";
import { buildChallenge } from "../src/challenge.js";
import { InsufficientScopeError, MissingTokenError } from "../src/errors.js";
import { allScopes, effectiveScopes, missingScopes, requiredScopesFor, scopesFromClaims } from "../src/scopes.js";

describe("scopesFromClaims", () => {
  it("splits the scope claim on U+0020 only (RFC 6749 3.3)", () => {
    expect(scopesFromClaims({ scope: "a b\u00A0c d\u3000e  f" }).sort()).toEqual(["a", "b\u00A0c", "d\u3000e", "f"].sort());
  });

  it("reads the scp and scopes claims too, strings only", () => {
    expect(scopesFromClaims({ scp: ["x", 1, "y"], scopes: ["y", null, "z"] }).sort()).toEqual(["x", "y", "z"]);
    expect(scopesFromClaims({ scp: "p q" })).toEqual(["p", "q"]);
    expect(scopesFromClaims({ scope: 42, scopes: "x y" })).toEqual(["x", "y"]);
  });
});

describe("scope hierarchies (SEP-2350)", () => {
  const hierarchy = { "todo:admin": ["todo:read", "todo:write"], "todo:write": ["todo:draft"] };

  it("a broader scope implies the narrower ones, transitively", () => {
    expect([...effectiveScopes(["todo:admin"], hierarchy)].sort()).toEqual(["todo:admin", "todo:draft", "todo:read", "todo:write"]);
    expect(missingScopes(["todo:draft", "todo:read"], ["todo:admin"], hierarchy)).toEqual([]);
    expect(missingScopes(["todo:read"], ["todo:write"], hierarchy)).toEqual(["todo:read"]);
  });

  it("names every scope the operation needs at once", () => {
    const body = [
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "a" } },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "b" } },
    ];
    expect(requiredScopesFor(body, { a: ["s1"], b: ["s2", "s3"] }).sort()).toEqual(["s1", "s2", "s3"]);
  });

  it("advertises broader scopes, never offline_access", () => {
    expect(allScopes({ t: ["todo:read", "offline_access"] }, hierarchy).sort()).toEqual([
      "todo:admin",
      "todo:draft",
      "todo:read",
      "todo:write",
    ]);
  });

  it("looks tools up as own properties only", () => {
    expect(requiredScopesFor({ method: "tools/call", params: { name: "constructor" } }, {})).toEqual([]);
    expect(requiredScopesFor({ method: "tools/call", params: { name: "__proto__" } }, {})).toEqual([]);
  });
});

describe("challenges", () => {
  const config = { resourceUrl: "https://mcp.example.com/mcp", mcpPath: "/mcp" } as Parameters<typeof buildChallenge>[1];

  it("never ask for offline_access, nor for a scope that is not a scope token", () => {
    const challenge = buildChallenge(new InsufficientScopeError(["todo:read"], ["offline_access", 'bad"scope']), config, [
      "offline_access",
    ]);
    expect(challenge.status).toBe(403);
    expect(challenge.headers["WWW-Authenticate"]).toBe(
      'Bearer error="insufficient_scope", scope="todo:read", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"',
    );
    const unauthorized = buildChallenge(new MissingTokenError(), config, ["offline_access", "a"]);
    expect(unauthorized.headers["WWW-Authenticate"]).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="a"',
    );
  });
});
