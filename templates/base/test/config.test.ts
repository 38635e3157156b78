import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/auth/config.js";
import { prmUrls } from "../src/auth/metadata.js";

const env = {
  SCALEKIT_ENVIRONMENT_URL: "https://acme.scalekit.dev/",
  SCALEKIT_RESOURCE_ID: "res_123",
  MCP_SERVER_URL: "https://mcp.example.com/api/mcp/",
};

describe("loadConfig", () => {
  it("derives the resource, metadata URLs, issuers and audiences", () => {
    const config = loadConfig(env);
    expect(config.resourceUrl).toBe("https://mcp.example.com/api/mcp");
    expect(config.mcpPath).toBe("/api/mcp");
    expect(config.authorizationServer).toBe("https://acme.scalekit.dev/resources/res_123");
    expect(config.issuers).toEqual(["https://acme.scalekit.dev", "https://acme.scalekit.dev/resources/res_123"]);
    expect(config.audiences).toEqual(["https://mcp.example.com/api/mcp", "https://mcp.example.com/api/mcp/", "res_123"]);
    expect(config.port).toBe(3000);
    expect(config.host).toBeUndefined();
    expect(prmUrls(config)).toEqual({
      pathSuffixed: "https://mcp.example.com/.well-known/oauth-protected-resource/api/mcp",
      root: "https://mcp.example.com/.well-known/oauth-protected-resource",
    });
  });

  it("accepts a resource named by URL: it is an audience, and the environment is the authorization server", () => {
    const config = loadConfig({ ...env, SCALEKIT_RESOURCE_ID: "https://mcp.example.com/api/mcp" });
    expect(config.authorizationServer).toBe("https://acme.scalekit.dev");
    expect(config.issuers).toEqual(["https://acme.scalekit.dev"]);
    expect(config.audiences).toContain("https://mcp.example.com/api/mcp");
  });

  it("listens on loopback only when the public URL is on localhost", () => {
    expect(loadConfig({ ...env, MCP_SERVER_URL: "http://localhost:3000/mcp" }).host).toBe("127.0.0.1");
    expect(loadConfig({ ...env, MCP_SERVER_URL: "http://localhost:3000/mcp", HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
  });

  const bad: [string, Record<string, string>][] = [
    ["SCALEKIT_ENVIRONMENT_URL", { SCALEKIT_ENVIRONMENT_URL: "" }],
    ["SCALEKIT_ENVIRONMENT_URL", { SCALEKIT_ENVIRONMENT_URL: "http://acme.scalekit.dev" }],
    ["SCALEKIT_RESOURCE_ID", { SCALEKIT_RESOURCE_ID: "123" }],
    ["SCALEKIT_RESOURCE_ID", { SCALEKIT_RESOURCE_ID: "http://mcp.example.com/mcp" }],
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "mcp.example.com" }],
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "https://mcp.example.com/mcp#x" }],
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "http://mcp.example.com/mcp" }],
    ["PORT", { PORT: "0" }],
    ["PORT", { PORT: "65536" }],
  ];
  for (const [variable, override] of bad) {
    it(`names ${variable} when it is ${JSON.stringify(Object.values(override)[0])}`, () => {
      let error: unknown;
      try {
        loadConfig({ ...env, ...override });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as Error).message).toMatch(new RegExp(`^${variable} .*Example: ${variable}=`));
    });
  }
});
