import { createMcpHandler, McpServer, type ScopeChallengeHandler, type StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { AuthInfo } from "./auth/authorize.js";
import { challengeScopes, missingScopes } from "./auth/scopes.js";
import { scopeHierarchy, serverName, type ToolName, toolScopes, tools } from "./tools.js";

/** Runs one authenticated, authorized MCP request (the last step of src/endpoint.ts). */
export interface McpRunner {
  /** `body` is the parsed body the scope check saw; the SDK runs exactly that. */
  run(request: Request, body: unknown, authInfo: AuthInfo): Promise<Response>;
  /** Ends requests still running (SSE streams) once the HTTP server has drained. */
  close(): Promise<void>;
}

/**
 * The MCP TypeScript SDK v2 entry point: one factory serves 2026-07-28
 * requests (per-request `_meta`, `server/discover`, `Mcp-Method` / `Mcp-Name`
 * checked against the body) and 2025-era clients (`initialize`, stateless).
 */
export function createMcpRunner(): McpRunner {
  const handler = createMcpHandler(() => createMcpServer(), { legacy: "stateless" });
  return {
    run: (request, body, authInfo) => handler.fetch(request, { parsedBody: body, authInfo }),
    close: () => handler.close(),
  };
}

// The SDK keeps tools in a plain object: a tool named like an Object.prototype
// member ("constructor", "toString") would make every request fail.
const clash = tools.find((tool) => tool.name in Object.prototype);
if (clash) throw new Error(`Tool name "${clash.name}" is reserved by JavaScript objects; rename it in src/tools.ts`);

/**
 * A new McpServer for every request: an McpServer serves one exchange, and
 * nothing is shared between requests (a server reused across requests fails
 * from the second one on).
 */
export function createMcpServer(): McpServer {
  const server = new McpServer({ name: serverName, version: "0.1.0" });
  for (const { name, run, inputSchema, outputSchema, ...config } of registered) {
    server.registerTool(name, { ...config, inputSchema, outputSchema, scopeChallenge: scopeCheck(name) }, (args, ctx) =>
      run(args, ctx.http?.authInfo),
    );
  }
  return server;
}

/**
 * The tools with each schema's JSON Schema computed once: the SDK asks for it
 * on every `tools/list`, and as a server is built per request, converting the
 * zod schema again each time was a tenth of the CPU of a request.
 */
const registered = tools.map((tool) => ({
  ...tool,
  inputSchema: memoJsonSchema(tool.inputSchema),
  outputSchema: tool.outputSchema && memoJsonSchema(tool.outputSchema),
}));

function memoJsonSchema<S extends StandardSchemaWithJSON>(schema: S): S {
  const standard = schema["~standard"];
  const cache = new Map<string, Record<string, unknown>>();
  type Options = Parameters<typeof standard.jsonSchema.input>[0];
  const convert = (io: "input" | "output") => (options: Options) => {
    const key = `${io} ${options.target}`;
    let json = cache.get(key);
    if (!json) {
      json = standard.jsonSchema[io](options);
      cache.set(key, json);
    }
    return structuredClone(json);
  };
  return { "~standard": { ...standard, jsonSchema: { input: convert("input"), output: convert("output") } } } as unknown as S;
}

/**
 * The same rule the HTTP layer applies (src/auth/scopes.ts), again inside the
 * SDK on the message it runs: a second line, should this server ever be
 * mounted without src/endpoint.ts in front.
 */
function scopeCheck(name: ToolName): ScopeChallengeHandler | undefined {
  const required = toolScopes[name] as readonly string[];
  if (required.length === 0) return undefined;
  return ({ authInfo }) => {
    if (!authInfo) return undefined; // authentication is the HTTP layer's job
    return missingScopes(required, authInfo.scopes, scopeHierarchy).length > 0
      ? { scopes: challengeScopes([...required, ...authInfo.scopes]) as [string, ...string[]] }
      : undefined;
  };
}
