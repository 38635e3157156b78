import type { AddressInfo } from "node:net";
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
