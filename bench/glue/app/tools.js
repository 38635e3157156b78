// The tools every benchmarked server serves (and the peer, bench/overhead/peer-server.ts, which imports
// `serverName` and `tools` from ./tools.js and `createMcpServer` from ./mcp.js).
import { z } from "zod";

export const serverName = "bench-glue";
const todos = ["measure the glue"];

export const tools = [
  {
    name: "list_todos",
    title: "List todos",
    description: "Lists the todos.",
    inputSchema: z.object({}),
    async run() {
      return { content: [{ type: "text", text: JSON.stringify(todos) }] };
    },
  },
  {
    name: "add_todo",
    title: "Add a todo",
    description: "Adds a todo.",
    inputSchema: z.object({ title: z.string().max(200) }),
    async run({ title }) {
      todos.push(title);
      return { content: [{ type: "text", text: `added ${title}` }] };
    },
  },
];
