import { ScalekitClient } from "@scalekit-sdk/node";
import type { Config } from "./config.js";
import { ConfigError } from "./env.js";

let client: ScalekitClient | undefined;

/**
 * Scalekit's management API client (users, organizations, connections) for
 * your tools, built on first use from SCALEKIT_CLIENT_ID and
 * SCALEKIT_CLIENT_SECRET. Token checks do not use it: they run against
 * Scalekit's published signing keys (src/auth/provider.ts).
 */
export function scalekitClient(config: Config): ScalekitClient {
  const { environmentUrl, clientId, clientSecret } = config.provider;
  if (!clientId) throw new ConfigError("SCALEKIT_CLIENT_ID", "is needed for Scalekit's management API", "skc_1234567890");
  if (!clientSecret)
    throw new ConfigError(
      "SCALEKIT_CLIENT_SECRET",
      "is needed for Scalekit's management API",
      "(from Dashboard > Settings > API credentials)",
    );
  // The constructor makes no network call.
  client ??= new ScalekitClient(environmentUrl, clientId, clientSecret);
  return client;
}
