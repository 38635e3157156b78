import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { prmUrls } from "../src/metadata.js";
import { checkOrigin } from "../src/origin.js";
import { providerEnv } from "./provider-env.js";

const env = { ...providerEnv("https://auth.example.com"), MCP_SERVER_URL: "https://mcp.example.com/api/mcp/" };

function configError(override: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...env, ...override });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(override)}`);
}

describe("loadConfig", () => {
  it("derives the resource, the metadata URLs, the port and the listen address", () => {
    const config = loadConfig(env);
    expect(config.resourceUrl).toBe("https://mcp.example.com/api/mcp");
    expect(config.mcpPath).toBe("/api/mcp");
    expect(config.local).toBe(false);
    expect(config.port).toBe(3000);
    expect(config.host).toBeUndefined();
    expect(config.allowedOrigins).toEqual(["https://mcp.example.com"]);
    expect(prmUrls(config)).toEqual({
      pathSuffixed: "https://mcp.example.com/.well-known/oauth-protected-resource/api/mcp",
      root: "https://mcp.example.com/.well-known/oauth-protected-resource",
    });
  });

  it("listens on the loopback address of a local server URL, [::1] included", () => {
    expect(loadConfig({ ...env, MCP_SERVER_URL: "http://localhost:3000/mcp" }).host).toBe("127.0.0.1");
    expect(loadConfig({ ...env, MCP_SERVER_URL: "http://127.0.0.2:3000/mcp" }).host).toBe("127.0.0.2");
    expect(loadConfig({ ...env, MCP_SERVER_URL: "http://[::1]:3000/mcp" }).host).toBe("::1");
    expect(loadConfig({ ...env, MCP_SERVER_URL: "http://localhost:3000/mcp", HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
  });

  it("takes MCP_ALLOWED_ORIGINS as exact origins", () => {
    const config = loadConfig({ ...env, MCP_ALLOWED_ORIGINS: "https://app.example.com, http://localhost:6274" });
    expect(config.allowedOrigins).toEqual(["https://mcp.example.com", "https://app.example.com", "http://localhost:6274"]);
  });

  const bad: [string, Record<string, string>][] = [
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "" }],
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "not a url" }],
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "http://mcp.example.com/mcp" }],
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "https://mcp.example.com/mcp?x=1" }],
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "https://mcp.example.com/mcp#f" }],
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "https://user:pw@mcp.example.com/mcp" }],
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "https://mcp.example.com/healthz" }],
    ["MCP_SERVER_URL", { MCP_SERVER_URL: "https://mcp.example.com/.well-known/mcp" }],
    ["MCP_ALLOWED_ORIGINS", { MCP_ALLOWED_ORIGINS: "*" }],
    ["MCP_ALLOWED_ORIGINS", { MCP_ALLOWED_ORIGINS: "https://app.example.com/path" }],
    ["MCP_ALLOWED_ORIGINS", { MCP_ALLOWED_ORIGINS: "http://app.example.com" }],
    ["MCP_ALLOWED_ORIGINS", { MCP_ALLOWED_ORIGINS: "app.example.com" }],
    ["PORT", { PORT: "abc" }],
    ["PORT", { PORT: "0" }],
    ["PORT", { PORT: "65536" }],
  ];
  for (const [variable, override] of bad) {
    it(`names ${variable} when it is ${JSON.stringify(Object.values(override)[0])}`, () => {
      const error = configError(override);
      expect(error.variable).toBe(variable);
      expect(error.message).toMatch(new RegExp(`^${variable} .*Example: ${variable}=`));
    });
  }
});

describe("checkOrigin", () => {
  const publicConfig = loadConfig({ ...env, MCP_ALLOWED_ORIGINS: "https://app.example.com" });
  const localConfig = loadConfig({ ...env, MCP_SERVER_URL: "http://localhost:3000/mcp" });

  it("allows no Origin, the server's own and the listed ones; refuses the rest with 403", () => {
    expect(checkOrigin(publicConfig, undefined, "mcp.example.com")).toBeUndefined();
    expect(checkOrigin(publicConfig, "https://mcp.example.com", "mcp.example.com")).toBeUndefined();
    expect(checkOrigin(publicConfig, "https://app.example.com", "mcp.example.com")).toBeUndefined();
    for (const origin of [
      "https://evil.example",
      "null",
      "http://localhost:6274",
      "https://mcp.example.com.evil.example",
      "HTTPS://MCP.EXAMPLE.COM",
    ]) {
      expect(checkOrigin(publicConfig, origin, "mcp.example.com")?.status, origin).toBe(403);
    }
  });

  it("on a local server: loopback origins on any port; Host must be loopback", () => {
    for (const origin of ["http://localhost:6274", "http://127.0.0.1:5173", "http://[::1]:8080"]) {
      expect(checkOrigin(localConfig, origin, "localhost:3000"), origin).toBeUndefined();
    }
    expect(checkOrigin(localConfig, "https://evil.example", "localhost:3000")?.status).toBe(403);
    for (const host of ["evil.example:3000", "evil.example@127.0.0.1:3000", "", "127.0.0.1:3000/x"]) {
      expect(checkOrigin(localConfig, undefined, host)?.status, host).toBe(403);
    }
    for (const host of ["localhost:3000", "127.0.0.1:3000", "[::1]:3000", "localhost"]) {
      expect(checkOrigin(localConfig, undefined, host), host).toBeUndefined();
    }
  });
});
