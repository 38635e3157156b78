import { existsSync } from "node:fs";
import { type Config, ConfigError, loadConfig } from "./auth/config.js";
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
console.error(`MCP server listening on ${server.url}, public URL ${config.resourceUrl}`);

// SIGTERM (docker stop, Kubernetes) and Ctrl-C: finish the requests in flight, then exit 0.
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second signal: stop now
    stopping = true;
    console.error(`${signal}: finishing requests in flight, then stopping...`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
