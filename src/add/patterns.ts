/**
 * What `add` recognises in a project's code, per framework: a table, like
 * the framework table of src/frameworks.ts (one row per framework). A fifth
 * framework is a row here and an adapter in src/add/glue/.
 */

export interface Creator {
  /** Module the factory comes from. */
  source: string;
  /** The export: "default" (or the CommonJS module itself), or a named export. */
  imported: string;
  /** `express()` is a call, `new Hono()` a constructor. */
  kind: "call" | "new";
}

export interface AddPattern {
  framework: string;
  /** Packages whose presence in package.json means this framework. */
  packages: string[];
  /** Ways the project creates its app (or, for fastmcp, its server). */
  creators: Creator[];
  /** Method names of route registrations on the app. */
  routeMethods: string[];
  /** How the wiring registers the auth step, as inserted after the line that creates the app. */
  wiring: "use" | "call" | "start";
}

export const ADD_PATTERNS: readonly AddPattern[] = [
  {
    framework: "express",
    packages: ["express", "@modelcontextprotocol/express"],
    creators: [
      { source: "express", imported: "default", kind: "call" },
      { source: "@modelcontextprotocol/express", imported: "createMcpExpressApp", kind: "call" },
    ],
    routeMethods: ["get", "post", "put", "patch", "delete", "all", "use", "options"],
    wiring: "use",
  },
  {
    framework: "fastify",
    packages: ["fastify", "@modelcontextprotocol/fastify"],
    creators: [
      { source: "fastify", imported: "default", kind: "call" },
      { source: "fastify", imported: "fastify", kind: "call" },
      { source: "fastify", imported: "Fastify", kind: "call" },
      { source: "@modelcontextprotocol/fastify", imported: "createMcpFastifyApp", kind: "call" },
    ],
    routeMethods: ["get", "post", "put", "patch", "delete", "all", "options", "route"],
    wiring: "call",
  },
  {
    framework: "hono",
    packages: ["hono", "@modelcontextprotocol/hono"],
    creators: [
      { source: "hono", imported: "Hono", kind: "new" },
      { source: "hono/tiny", imported: "Hono", kind: "new" },
      { source: "hono/quick", imported: "Hono", kind: "new" },
      { source: "@modelcontextprotocol/hono", imported: "createMcpHonoApp", kind: "call" },
    ],
    routeMethods: ["get", "post", "put", "patch", "delete", "all", "on", "options"],
    wiring: "use",
  },
  {
    framework: "fastmcp",
    packages: ["fastmcp"],
    creators: [{ source: "fastmcp", imported: "FastMCP", kind: "new" }],
    routeMethods: [],
    wiring: "start",
  },
];

export function patternFor(framework: string): AddPattern {
  const pattern = ADD_PATTERNS.find((p) => p.framework === framework);
  if (!pattern) throw new Error(`no add pattern for ${framework}`);
  return pattern;
}

/** The SDK's HTTP transports: a handler that builds one serves MCP. */
export const MCP_TRANSPORTS = new Set([
  "StreamableHTTPServerTransport",
  "NodeStreamableHTTPServerTransport",
  "WebStandardStreamableHTTPServerTransport",
  "StreamableHTTPTransport",
]);

/** v2 handler factories: a value made by one of these serves MCP. */
export const MCP_HANDLER_FACTORIES = new Set(["createMcpHandler", "toNodeHandler"]);

/** Adapters that serve MCP from route handlers (Next.js, Vercel functions), which add does not edit. */
export const ROUTE_HANDLER_PACKAGES = ["mcp-handler", "@vercel/mcp-adapter"];

export const SSE_TRANSPORTS = new Set(["SSEServerTransport"]);
export const STDIO_TRANSPORTS = new Set(["StdioServerTransport"]);
export const MCP_SERVER_CLASSES = new Set(["McpServer", "Server"]);

/** Packages of each SDK generation. */
export const SDK_V1 = "@modelcontextprotocol/sdk";
export const SDK_V2 = [
  "@modelcontextprotocol/server",
  "@modelcontextprotocol/node",
  "@modelcontextprotocol/express",
  "@modelcontextprotocol/hono",
  "@modelcontextprotocol/fastify",
];

/**
 * The project's own security and infrastructure middleware, by package: the
 * auth step goes after it on the MCP route (so a rate limit counts bad tokens
 * and a 401 carries the security headers), before the MCP handler.
 */
export const INFRA_MIDDLEWARE: Record<string, string> = {
  helmet: "helmet",
  cors: "CORS",
  "express-rate-limit": "rate limit",
  "express-slow-down": "slow down",
  "express-request-id": "request ids",
  morgan: "request log",
  "pino-http": "request log",
  "hono/secure-headers": "secure headers",
  "hono/cors": "CORS",
  "hono/body-limit": "body size limit",
  "hono/request-id": "request ids",
  "hono/logger": "request log",
  "hono-rate-limiter": "rate limit",
  "@hono-rate-limiter/redis": "rate limit",
  "@fastify/helmet": "helmet",
  "@fastify/cors": "CORS",
  "@fastify/rate-limit": "rate limit",
  "@fastify/request-context": "request context",
};

/** Auth a project may already have on its MCP route, by package: named, then kept or replaced. */
export const AUTH_MIDDLEWARE: Record<string, string> = {
  passport: "passport",
  "express-jwt": "express-jwt",
  "express-oauth2-jwt-bearer": "express-oauth2-jwt-bearer",
  "express-openid-connect": "express-openid-connect",
  "express-basic-auth": "express-basic-auth",
  "hono/bearer-auth": "hono bearerAuth",
  "hono/jwt": "hono jwt",
  "hono/basic-auth": "hono basicAuth",
  "@fastify/jwt": "@fastify/jwt",
  "@fastify/auth": "@fastify/auth",
  "@fastify/bearer-auth": "@fastify/bearer-auth",
};
