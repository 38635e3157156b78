import { existsSync } from "node:fs";
import { ConfigError, loadConfig, type Config } from "./auth/config.js";
import { startServer } from "./server.js";

// Values already in the environment win over .env.
if (existsSync(".env")) process.loadEnvFile(".env");

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Configuration error: ${error.message}`);
  process.exit(1);
}

const server = await startServer(config, { port: config.port, host: config.host });
console.log(`MCP server listening on ${server.url}, public URL ${config.resourceUrl}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log("Shutting down...");
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
