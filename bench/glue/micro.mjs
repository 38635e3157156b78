#!/usr/bin/env node
// bench/glue/micro.mjs: the CPU the glue itself adds to one MCP request, in process, without HTTP or
// the MCP SDK, so that a busy machine moves it little. Run bench/glue/run.mjs once first (it installs
// .cache/bench-glue and renders the glue there).
//
//   node bench/glue/micro.mjs [--iterations 20000]
//
// Per framework, the same authenticated `tools/list` request (a remembered token, as every request
// after a client's first) goes N times through:
//   glue      the glue as `add` writes it (Express middleware, Fastify's three hooks, Hono middleware),
//             reading the body itself (Express, Hono) or handing it to Fastify's parser (Fastify);
//   baseline  what the same app does without it: read the body and JSON.parse it, the way
//             express.json / Fastify's parser / c.req.json() do.
// The difference is what the glue costs per request; divide by a whole request's CPU (bench/glue/run.mjs,
// column "CPU us/req off") for its share.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { startLocalIssuer, stopAll, stopProcess } from "../../lib/harness.mjs";
import { machineInfo, machineLine } from "../results-file.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const work = path.join(here, "..", "..", ".cache", "bench-glue");
const { values: args } = parseArgs({ options: { iterations: { type: "string", default: "20000" } } });
const N = Number(args.iterations);
const log = (line) => process.stderr.write(`[glue-micro] ${line}\n`);

const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
const bytes = Buffer.from(body);

function nodeRequest(token) {
  const req = Readable.from([bytes], { objectMode: false });
  req.method = "POST";
  req.url = "/mcp";
  req.headers = {
    host: "127.0.0.1:3000",
    "content-type": "application/json",
    "content-length": String(bytes.length),
    authorization: `Bearer ${token}`,
  };
  return req;
}

function nodeResponse() {
  return {
    statusCode: 200,
    headers: {},
    setHeader() {},
    writeHead() {
      return this;
    },
    end() {},
  };
}

/** What express.json / Fastify's parser do without the glue: read the stream by events, JSON.parse. */
function readByEvents(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
  });
}

async function time(label, fn) {
  for (let i = 0; i < Math.min(N, 2000); i++) await fn(); // warm-up
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn();
  const cpu = process.cpuUsage(cpu0);
  const us = (cpu.user + cpu.system) / N;
  log(`${label}: ${us.toFixed(1)} us CPU per request`);
  return us;
}

async function main() {
  const issuer = await startLocalIssuer(work);
  const url = "http://127.0.0.1:3000/mcp";
  Object.assign(process.env, {
    SCALEKIT_ENVIRONMENT_URL: issuer.url,
    SCALEKIT_RESOURCE_ID: issuer.resourceId,
    MCP_SERVER_URL: url,
    HOST: "127.0.0.1",
  });
  const token = await issuer.mint([url, issuer.resourceId]);
  const load = (name) => import(pathToFileURL(path.join(work, "auth", `${name}.js`)).href);
  const require = createRequire(path.join(work, "package.json"));
  const results = {};

  // Express: the middleware, then the route reads req.body.
  {
    const { mcpAuth } = await load("express");
    const middleware = mcpAuth({ endpoint: "/mcp" });
    const run = (req) =>
      new Promise((resolve, reject) => {
        middleware(req, nodeResponse(), (error) => (error ? reject(error) : resolve(req.body)));
      });
    await run(nodeRequest(token)); // loads the key set
    const glue = await time("express glue", () => run(nodeRequest(token)));
    const base = await time("express baseline", () => readByEvents(nodeRequest(token)));
    results.express = { glue, base, added: glue - base };
  }

  // Fastify: the three hooks on a real instance, through fastify.inject (light-my-request), against the same route without them.
  {
    const Fastify = require("fastify");
    const { mcpAuth } = await load("fastify");
    const make = (withGlue) => {
      const app = Fastify();
      if (withGlue) mcpAuth(app, { endpoint: "/mcp" });
      app.post("/mcp", async (request) => ({ ok: request.body !== undefined }));
      return app;
    };
    const on = make(true);
    const off = make(false);
    const headers = { host: "127.0.0.1:3000", "content-type": "application/json", authorization: `Bearer ${token}` };
    const inject = (app) => app.inject({ method: "POST", url: "/mcp", headers, payload: body });
    const first = await inject(on);
    if (first.statusCode !== 200) throw new Error(`fastify with the glue answered ${first.statusCode}: ${first.body}`);
    const glue = await time("fastify with the glue (inject)", () => inject(on));
    const base = await time("fastify without it (inject)", () => inject(off));
    results.fastify = { glue, base, added: glue - base };
  }

  // Hono: the middleware on a real app, through app.request, against the same route without it.
  {
    const { Hono } = require("hono");
    const { mcpAuth } = await load("hono");
    const make = (withGlue) => {
      const app = new Hono();
      if (withGlue) app.use(mcpAuth({ endpoint: "/mcp" }));
      app.post("/mcp", async (c) => c.json({ ok: (await c.req.raw.json()) !== undefined }));
      return app;
    };
    const on = make(true);
    const off = make(false);
    const headers = { host: "127.0.0.1:3000", "content-type": "application/json", authorization: `Bearer ${token}` };
    const request = (app) => app.request("http://127.0.0.1:3000/mcp", { method: "POST", headers, body });
    const first = await request(on);
    if (first.status !== 200) throw new Error(`hono with the glue answered ${first.status}: ${await first.text()}`);
    const glue = await time("hono with the glue (app.request)", () => request(on).then((r) => r.arrayBuffer()));
    const base = await time("hono without it (app.request)", () => request(off).then((r) => r.arrayBuffer()));
    results.hono = { glue, base, added: glue - base };
  }

  await stopProcess(issuer.child);
  const lines = [
    "## The glue's own cost (bench/glue/micro.mjs)",
    "",
    `In process, ${N} authenticated \`tools/list\` requests per variant (a remembered token), no HTTP server, no MCP SDK: ` +
      "Express: the middleware against reading and parsing the body by events (what express.json does); Fastify: `inject` with " +
      "the glue's hooks against the same app without them; Hono: `app.request` with the middleware against the same app without it.",
    "",
    machineLine({ date: new Date().toISOString(), machine: machineInfo() }),
    `- Command: \`node bench/glue/micro.mjs --iterations ${N}\``,
    "",
    "| framework | with the glue, us CPU per request | without, us CPU | added by the glue, us CPU per request |",
    "|---|---:|---:|---:|",
    ...Object.entries(results).map(([fw, r]) => `| ${fw} | ${r.glue.toFixed(1)} | ${r.base.toFixed(1)} | ${r.added.toFixed(1)} |`),
  ];
  writeFileSync(path.join(here, "micro.md"), `${lines.join("\n")}\n`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

try {
  await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
