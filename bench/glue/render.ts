// Writes the auth core and the Express, Fastify and Hono glue as `add` renders them for a JavaScript
// ESM project (src/add/core.ts renderCore) into <dir>/auth, for bench/glue/run.mjs.
//   node --import tsx bench/glue/render.ts <dir>
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { renderCore } from "../../src/add/core.js";

const dir = path.join(process.argv[2] ?? ".", "auth");
await mkdir(dir, { recursive: true });
const toolScopes = { list_todos: ["todo:read"], add_todo: ["todo:write"] };
for (const framework of ["express", "fastify", "hono"]) {
  const core = await renderCore(
    { language: "js", module: "esm", extension: ".js", specifierExtension: ".js", framework, provider: "scalekit" },
    { serverName: "bench-glue", toolScopes },
  );
  for (const file of core.files) await writeFile(path.join(dir, file.name), file.content);
}
