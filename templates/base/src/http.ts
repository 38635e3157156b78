import { once } from "node:events";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { TokenVerifier } from "./auth/verifier.js";

/** What every framework adapter (src/server.ts) takes and returns. */
export interface AppOptions {
  /** Replaces the Scalekit verifier (tests, benchmarks). */
  verifier?: TokenVerifier;
}

export interface RunningServer {
  /** Where this process listens (not the public URL). */
  url: string;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 1024 * 1024;

// Browser-based clients (MCP Inspector) must be able to read the challenge.
export const mcpCorsHeaders: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": "WWW-Authenticate, Mcp-Session-Id",
};

export const mcpPreflightHeaders: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-ID",
  "Access-Control-Max-Age": "86400",
};

export function rpcError(code: number, message: string) {
  return { jsonrpc: "2.0" as const, error: { code, message }, id: null };
}

/** Stateless server: no SSE stream to open (GET) and no session to end (DELETE). */
export const METHOD_NOT_ALLOWED = rpcError(-32000, "Method not allowed: send JSON-RPC with POST");

export const INTERNAL_ERROR = rpcError(-32603, "Internal error");

/** A body the server will not run: every adapter answers it the same way, never with a 500. */
export interface BodyError {
  status: 400 | 413 | 415;
  body: ReturnType<typeof rpcError>;
}

export const BODY_TOO_LARGE: BodyError = { status: 413, body: rpcError(-32600, `Request body larger than ${MAX_BODY_BYTES} bytes`) };
export const BODY_NOT_JSON: BodyError = { status: 400, body: rpcError(-32700, "Parse error: invalid JSON") };
// Only a body parsed as JSON reaches the transport, so the scope check saw what runs.
export const BODY_WRONG_TYPE: BodyError = { status: 415, body: rpcError(-32000, "Content-Type must be application/json") };

/** `application/json`, with or without parameters such as charset. */
export function isJsonContentType(value: string | null | undefined): boolean {
  return value?.split(";", 1)[0]?.trim().toLowerCase() === "application/json";
}

/** The URL a listening socket answers on, for logs. */
export function listenUrl(address: AddressInfo): string {
  const host =
    address.address === "::" || address.address === "0.0.0.0"
      ? "localhost"
      : address.address.includes(":")
        ? `[${address.address}]`
        : address.address;
  return `http://${host}:${address.port}`;
}

/** What runs one MCP request: a new SDK McpServer, or a fastmcp session, per request. */
export interface McpRequestServer {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs one authenticated, authorized request on `server` with the SDK's
 * Streamable HTTP transport (stateless, JSON answers) on Node's request and
 * response. `body` is the parsed body the scope check saw; `authInfo` reaches
 * the tools. Server and transport are closed when the response is.
 */
export async function runMcpRequest(
  server: McpRequestServer,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  authInfo: AuthInfo,
): Promise<void> {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(Object.assign(req, { auth: authInfo }), res, body);
}

/** Serves `listener` on `port` (every interface unless `host` is given) with `node:http`. */
export async function listen(listener: RequestListener, port: number, host?: string): Promise<RunningServer> {
  const server = createServer(listener);
  server.listen(port, host);
  await once(server, "listening");
  return { url: listenUrl(server.address() as AddressInfo), close: () => closeServer(server) };
}

/** Stops accepting, ends idle keep-alive connections now and busy ones after 5 s. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5_000).unref();
  });
}
