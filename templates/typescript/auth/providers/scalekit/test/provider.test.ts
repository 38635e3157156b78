import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { createVerifier } from "../src/provider.js";
import { TestIssuer } from "./issuer.js";
import { RESOURCE_ID } from "./provider-env.js";

const env = {
  SCALEKIT_ENVIRONMENT_URL: "https://acme.scalekit.dev/",
  SCALEKIT_RESOURCE_ID: "res_123",
  MCP_SERVER_URL: "https://mcp.example.com/api/mcp/",
};

describe("Scalekit settings", () => {
  it("derive the authorization server, both issuer forms, the audiences and the key set URL", () => {
    const { provider } = loadConfig(env);
    expect(provider.authorizationServer).toBe("https://acme.scalekit.dev/resources/res_123");
    expect(provider.issuers).toEqual(["https://acme.scalekit.dev", "https://acme.scalekit.dev/resources/res_123"]);
    expect(provider.audiences).toEqual(["https://mcp.example.com/api/mcp", "https://mcp.example.com/api/mcp/", "res_123"]);
    expect(provider.jwksUri).toBe("https://acme.scalekit.dev/keys");
  });

  it("accept a resource named by URL: an audience, with the environment as authorization server", () => {
    const { provider } = loadConfig({ ...env, SCALEKIT_RESOURCE_ID: "https://mcp.example.com/api/mcp" });
    expect(provider.authorizationServer).toBe("https://acme.scalekit.dev");
    expect(provider.issuers).toEqual(["https://acme.scalekit.dev"]);
    expect(provider.audiences).toContain("https://mcp.example.com/api/mcp");
  });

  const bad: [string, Record<string, string>][] = [
    ["SCALEKIT_ENVIRONMENT_URL", { SCALEKIT_ENVIRONMENT_URL: "" }],
    ["SCALEKIT_ENVIRONMENT_URL", { SCALEKIT_ENVIRONMENT_URL: "http://acme.scalekit.dev" }],
    ["SCALEKIT_ENVIRONMENT_URL", { SCALEKIT_ENVIRONMENT_URL: "https://acme.scalekit.dev?x=1" }],
    ["SCALEKIT_RESOURCE_ID", { SCALEKIT_RESOURCE_ID: "" }],
    ["SCALEKIT_RESOURCE_ID", { SCALEKIT_RESOURCE_ID: "resource-1" }],
    ["SCALEKIT_RESOURCE_ID", { SCALEKIT_RESOURCE_ID: "http://mcp.example.com/mcp" }],
  ];
  for (const [variable, override] of bad) {
    it(`name ${variable} when it is ${JSON.stringify(Object.values(override)[0])}`, () => {
      expect(() => loadConfig({ ...env, ...override })).toThrow(ConfigError);
      try {
        loadConfig({ ...env, ...override });
      } catch (error) {
        expect((error as ConfigError).variable).toBe(variable);
      }
    });
  }
});

describe("Scalekit tokens", () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });
  afterAll(() => issuer.close());

  const cases: [string, (issuerUrl: string) => { issuer: string; audience: string | string[] }][] = [
    ["the environment URL as issuer", (url) => ({ issuer: url, audience: [RESOURCE_ID] })],
    ["the per-resource issuer", (url) => ({ issuer: `${url}/resources/${RESOURCE_ID}`, audience: [RESOURCE_ID] })],
    ["the resource id as a plain string audience", (url) => ({ issuer: url, audience: RESOURCE_ID })],
    ["the server URL with a trailing slash as audience", (url) => ({ issuer: url, audience: "https://mcp.example.com/mcp/" })],
  ];
  for (const [what, claims] of cases) {
    it(`are accepted with ${what}`, async () => {
      const config = loadConfig({
        SCALEKIT_ENVIRONMENT_URL: issuer.url,
        SCALEKIT_RESOURCE_ID: RESOURCE_ID,
        MCP_SERVER_URL: "https://mcp.example.com/mcp",
      });
      const verifier = createVerifier(config, { keySet: { log: () => {} } });
      await expect(verifier.verify(await issuer.mint(claims(issuer.url)))).resolves.toMatchObject({ subject: "user-123" });
    });
  }

  it("of a sibling resource are refused", async () => {
    const config = loadConfig({
      SCALEKIT_ENVIRONMENT_URL: issuer.url,
      SCALEKIT_RESOURCE_ID: RESOURCE_ID,
      MCP_SERVER_URL: "https://mcp.example.com/mcp",
    });
    const verifier = createVerifier(config, { keySet: { log: () => {} } });
    await expect(
      verifier.verify(await issuer.mint({ issuer: `${issuer.url}/resources/res_other`, audience: [RESOURCE_ID] })),
    ).rejects.toMatchObject({ reason: "wrong_issuer" });
    await expect(verifier.verify(await issuer.mint({ audience: ["res_other"] }))).rejects.toMatchObject({ reason: "wrong_audience" });
  });
});
