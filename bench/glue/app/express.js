// Express on SDK v2, the shape of most Express projects: express() and express.json(), the glue first as
// add wires it; with MCP_AUTH=off the same server without the glue.
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler } from "@modelcontextprotocol/server";
import express from "express";
import { mcpAuth } from "./auth/express.js";
import { createMcpServer } from "./mcp.js";

const mcp = toNodeHandler(createMcpHandler(createMcpServer, { legacy: "stateless" }));
const app = express();
if (process.env.MCP_AUTH !== "off") app.use(mcpAuth({ endpoint: "/mcp" }));
app.use(express.json());
app.all("/mcp", (req, res) => {
  void mcp(req, res, req.body);
});
app.listen(Number(process.env.PORT), "127.0.0.1");
