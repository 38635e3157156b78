/**
 * The official MCP SDK clients, as the probes use them: v1
 * (`@modelcontextprotocol/sdk`) for the 2025 era, v2
 * (`@modelcontextprotocol/client`, loaded on first use) for 2026-07-28;
 * timeouts on every request, minimal tool arguments.
 */

import type { OAuthClientProvider as ModernOAuthProvider } from "@modelcontextprotocol/client";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type BodyTooLargeError, boundedResponse, MAX_BODY_BYTES } from "../core/http-body.js";
import type { ToolInfo } from "./context.js";
import { timeoutSignal } from "./http.js";

export interface SeenResponse {
  method: string;
  url: string;
  status: number;
  wwwAuthenticate: string | null;
}

/** Where a fetch records the first body it cut at the size cap. */
export interface CutBody {
  error?: BodyTooLargeError;
}

/**
 * fetch with a timeout on each request (headers and body: the signal aborts
 * both) and a size cap on each body, whoever reads it; records every answer in
 * `seen` and the first cut body in `cut`, when given.
 */
export function timedFetch(timeoutMs: number, seen?: SeenResponse[], cut?: CutBody): FetchLike {
  return async (url, init) => {
    const res = await fetch(url, { ...init, signal: timeoutSignal(timeoutMs, init?.signal) });
    seen?.push({
      method: init?.method ?? "GET",
      url: String(url),
      status: res.status,
      wwwAuthenticate: res.headers.get("www-authenticate"),
    });
    return boundedResponse(res, MAX_BODY_BYTES, (error) => {
      if (cut) cut.error ??= error;
    });
  };
}

export interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

export interface ConnectOptions {
  timeoutMs: number;
  token?: string;
  authProvider?: OAuthClientProvider;
  seen?: SeenResponse[];
  cut?: CutBody;
}

/** A new transport and Client; `connect()` runs initialize. */
export function newConnection(url: string, o: ConnectOptions): Connection {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: timedFetch(o.timeoutMs, o.seen, o.cut),
    ...(o.token ? { requestInit: { headers: { Authorization: `Bearer ${o.token}` } } } : {}),
    ...(o.authProvider ? { authProvider: o.authProvider } : {}),
  });
  const client = new Client({ name: "create-mcp-auth-check", version: "1" });
  return {
    client,
    transport,
    close: () => client.close().catch(() => {}),
  };
}

/** 2025 era (SDK v1, initialize): connect with a fixed bearer token and list the tools; always closes. */
export async function listToolsWithToken(url: string, token: string, timeoutMs: number): Promise<ToolInfo[]> {
  const cut: CutBody = {};
  const c = newConnection(url, { timeoutMs, token, cut });
  try {
    await c.client.connect(c.transport, { timeout: timeoutMs });
    const { tools } = await c.client.listTools(undefined, { timeout: timeoutMs });
    return tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema, annotations: t.annotations }));
  } catch (err) {
    // The SDK reports a cut SSE stream as a timeout: the cut is the cause.
    throw cut.error ?? err;
  } finally {
    await c.close();
  }
}

/** The v2 client's era negotiation: `pin` speaks only 2026-07-28; `auto` probes with server/discover and falls back to initialize. */
export type Negotiation = { pin: "2026-07-28" } | "auto";

export interface ModernConnectOptions {
  timeoutMs: number;
  negotiation: Negotiation;
  token?: string;
  authProvider?: ModernOAuthProvider;
  seen?: SeenResponse[];
  cut?: CutBody;
}

/** SDK v2: a Client and a Streamable HTTP transport; `connect()` negotiates the era. */
export async function newModernConnection(url: string, o: ModernConnectOptions) {
  const { Client, StreamableHTTPClientTransport } = await import("@modelcontextprotocol/client");
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: timedFetch(o.timeoutMs, o.seen, o.cut),
    ...(o.token ? { requestInit: { headers: { Authorization: `Bearer ${o.token}` } } } : {}),
    ...(o.authProvider ? { authProvider: o.authProvider } : {}),
  });
  const client = new Client(
    { name: "create-mcp-auth-check", version: "1" },
    { versionNegotiation: { mode: o.negotiation, probe: { timeoutMs: o.timeoutMs } } },
  );
  return { client, transport, close: () => client.close().catch(() => {}) };
}

export type ModernConnection = Awaited<ReturnType<typeof newModernConnection>>;

/** 2026-07-28 (SDK v2, pinned): connect with a fixed bearer token and list the tools; always closes. */
export async function listToolsModern(url: string, token: string, timeoutMs: number): Promise<ToolInfo[]> {
  const cut: CutBody = {};
  const c = await newModernConnection(url, { timeoutMs, token, negotiation: { pin: "2026-07-28" }, cut });
  try {
    await c.client.connect(c.transport, { timeout: timeoutMs });
    const { tools } = await c.client.listTools(undefined, { timeout: timeoutMs });
    return tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema, annotations: t.annotations }));
  } catch (err) {
    // The SDK reports a cut SSE stream as a timeout: the cut is the cause.
    throw cut.error ?? err;
  } finally {
    await c.close();
  }
}

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
  minItems?: number;
};

/** The smallest valid value for a JSON Schema: "x", 1, true, required properties only. */
function minimalValue(s: Schema | undefined, depth = 0): unknown {
  if (!s || depth > 8) return "x";
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const alternative = s.anyOf?.[0] ?? s.oneOf?.[0];
  if (!s.type && alternative) return minimalValue(alternative, depth + 1);
  const types = Array.isArray(s.type) ? s.type : [s.type ?? "string"];
  const type = types.find((t) => t !== "null") ?? "null";
  switch (type) {
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      return Array.from({ length: s.minItems ?? 0 }, () => minimalValue(s.items, depth + 1));
    case "object":
      return minimalObject(s, depth + 1);
    default:
      return "x";
  }
}

function minimalObject(s: Schema, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of s.required ?? []) out[name] = minimalValue(s.properties?.[name], depth);
  return out;
}

/** Minimal valid arguments for a tool, from its inputSchema. */
export function minimalArguments(inputSchema: unknown): Record<string, unknown> {
  return inputSchema && typeof inputSchema === "object" ? minimalObject(inputSchema as Schema, 0) : {};
}
