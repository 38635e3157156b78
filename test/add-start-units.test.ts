import { describe, expect, it } from "vitest";
import { withPortShown, withServeSwitch } from "../src/add/detect/start.js";

// How the switch that selects Streamable HTTP joins the project's start command, per package manager
// (brief h22): npm passes a script's arguments after `--`, pnpm, yarn and bun as they are; a variable goes
// before the command that starts the server (after the build), and a script that already says it gets nothing.
describe("withServeSwitch / withPortShown", () => {
  const http = { args: ["--transport", "http"], env: {}, from: "dist/cli.js:3" };
  const envSwitch = { args: [], env: { MCP_TRANSPORT_TYPE: "http" }, from: "dist/config.js:4" };

  it("npm: after --; pnpm, yarn: as they are; node and npx: appended to the file's arguments", () => {
    expect(withServeSwitch({ display: "npm start", file: "npm", args: ["start"] }, http, { start: "node cli.js" })).toEqual({
      display: "npm start -- --transport http",
      file: "npm",
      args: ["start", "--", "--transport", "http"],
      selects: "dist/cli.js:3",
    });
    expect(withServeSwitch({ display: "pnpm run dev", file: "pnpm", args: ["run", "dev"] }, http, { dev: "tsx cli.ts" })).toEqual({
      display: "pnpm run dev --transport http",
      file: "pnpm",
      args: ["run", "dev", "--transport", "http"],
      selects: "dist/cli.js:3",
    });
    expect(withServeSwitch({ display: "node dist/cli.js", file: process.execPath, args: ["dist/cli.js"] }, http, {})?.args).toEqual([
      "dist/cli.js",
      "--transport",
      "http",
    ]);
    expect(withServeSwitch({ display: "npx tsx src/cli.ts", file: "npx", args: ["tsx", "src/cli.ts"] }, http, {})?.display).toBe(
      "npx tsx src/cli.ts --transport http",
    );
  });

  it("a variable goes on the command that starts the server, after the build; the script's own setting wins", () => {
    const built = { display: "npm run build && npm start", build: { file: "npm", args: ["run", "build"] }, file: "npm", args: ["start"] };
    expect(withServeSwitch(built, envSwitch, { start: "node dist/index.js" })).toEqual({
      ...built,
      display: "npm run build && MCP_TRANSPORT_TYPE=http npm start",
      env: { MCP_TRANSPORT_TYPE: "http" },
      selects: "dist/config.js:4",
    });
    const own = { display: "npm run start:http", file: "npm", args: ["run", "start:http"] };
    expect(withServeSwitch(own, envSwitch, { "start:http": "MCP_TRANSPORT_TYPE=http node dist/index.js" })).toBe(own);
    const flagged = { display: "npm start", file: "npm", args: ["start"] };
    expect(withServeSwitch(flagged, http, { start: "node dist/index.js --transport http" })).toBe(flagged);
  });

  it("--port is shown with the port the next steps name, only when the port comes from that option", () => {
    const start = { display: "npm start -- --transport http", file: "npm", args: ["start", "--", "--transport", "http"] };
    expect(withPortShown(start, { fromEnv: false, fallback: 3077, arg: "--port" })?.display).toBe(
      "npm start -- --transport http --port 3077",
    );
    expect(
      withPortShown({ display: "npm start", file: "npm", args: ["start"] }, { fromEnv: false, fallback: 3000, arg: "--port" })?.display,
    ).toBe("npm start -- --port 3000");
    expect(withPortShown(start, { fromEnv: true, fallback: 3000, arg: "--port" })).toBe(start);
    expect(withPortShown(start, { fromEnv: false, fallback: 3010, env: "MCP_HTTP_PORT" })).toBe(start);
  });
});
