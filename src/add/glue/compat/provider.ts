// Written by `create-mcp-auth add`: the verifier of the configured
// authorization server (Scalekit).
import type { Config } from "./config.js";
import { ScalekitTokenVerifier } from "./verifier.js";

export function createVerifier(config: Config): ScalekitTokenVerifier {
  return new ScalekitTokenVerifier(config);
}
