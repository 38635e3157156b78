/** The shapes detection produces: the project, its parsed sources, and the sites in them that add edits or reports. */
import type { PackageManager } from "../../core/package-managers.js";
import type { Language, t } from "../ast.js";

export interface PackageJson {
  path: string;
  text: string;
  data: {
    name?: string;
    type?: string;
    main?: string;
    scripts?: Record<string, string>;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    workspaces?: string[] | { packages?: string[] };
  };
}

export interface SourceFile {
  /** Path relative to the project root, `/`-separated. */
  rel: string;
  language: Language;
  code: string;
  ast: t.File;
  imports: Map<string, Binding>;
}

/** What a local name is bound to by an import or a require. */
export interface Binding {
  source: string;
  /** "default", "*" (a namespace, or a CommonJS module object) or the export's name. */
  imported: string;
}

export interface AppSite {
  framework: string;
  file: SourceFile;
  /** The variable bound to the app (fastmcp: to the FastMCP server). */
  name: string;
  line: number;
  /** The statement that creates it, directly in a Program or block body (the wiring goes after it). */
  statement: t.Statement;
  /** The source text of the creation, for messages: `const app = express()`. */
  text: string;
}

export interface RouteSite {
  file: SourceFile;
  line: number;
  method: string;
  path: string | undefined;
  /** The path argument as written, when the route is on the app itself (not under a mount). */
  pathNode?: t.Node;
  /** The path comes from the environment, with the default in `path`: the env expression. */
  env?: string;
  /** The mount path the route is under (`app.use("/api", router)`). */
  prefix?: string;
  /** The path is a library's default (a Fastify MCP plugin): what says so. */
  library?: string;
  /** The handler builds an MCP transport or calls an MCP handler. */
  mcp: boolean;
  sse: boolean;
  handlers: t.Node[];
}

export interface FastmcpStart {
  file: SourceFile;
  line: number;
  call: t.CallExpression;
  /** The `server` in `server.start(...)`: the wiring wraps it. */
  callee: t.Node;
  transport: "httpStream" | "stdio" | "unknown";
  endpoint: string;
  /** The endpoint comes from the environment, with the default in `endpoint`. */
  env?: string;
}

export interface ToolSite {
  name: string;
  file: string;
  line: number;
}

/** One McpServer shared by every request, each with a new transport (the second request fails). */
export interface ReusedServer {
  file: SourceFile;
  name: string;
  line: number;
  handlerLine: number;
  /** Set when the fix (a server per request) can be made safely. */
  fix?: {
    run: t.Statement[];
    handlers: t.Function[];
    /** Server and transport made inside the function that sets up the app: the fix moves them into its request handler. */
    inFunction?: boolean;
    /**
     * The server made (or assigned: `serverInstance = new McpServer(...)`) in a block of the function enclosing the
     * one that connects it to a stateless transport: `run` (its creation, then the statements that set it up) becomes a
     * factory declared where it was made, the creation stays as a call of it, and each request handler makes its own
     * server and transport. `aliases` are the statements that copy the shared transport to another name
     * (`transportInstance = transport`), removed with it; `response` what each handler hands handleRequest as the response
     * (`res`, `reply.raw`: a node ServerResponse, whose close closes the request's server and transport).
     */
    factory?: { aliases: t.Statement[]; response: string[] };
  };
  /**
   * Set when it is a stateless transport that is reused, not only the server:
   * created and connected once at the top level, every request handled by it
   * (the SDK refuses the second request: HTTP 500). The fix builds both per request.
   */
  transport?: {
    name: string;
    /** `const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })` */
    statement: t.Statement;
    /** `await server.connect(transport)` */
    connect: t.Statement;
    /** The source text of the `new ...(...)` expression, repeated in the handler. */
    creation: string;
  };
  /**
   * Set when the server is handed to a function of another module whose request
   * handler connects it per request (`startHttp(server)`): the fix spans both files.
   */
  across?: { call: t.CallExpression; argument: number; file: SourceFile; fn: t.Function; handler: t.Function };
  /** Why it cannot be fixed automatically. */
  reason?: string;
}

/** `transport.handleRequest(req, res)` without the parsed body: once the auth step has read the body, the body must be passed on. */
export interface BodylessCall {
  file: SourceFile;
  call: t.CallExpression;
  request: string;
  line: number;
}

/** The project's own security or infrastructure middleware on the MCP route (helmet, CORS, a rate limit...). */
export interface InfraSite {
  file: SourceFile;
  line: number;
  /** What it is, for messages: "helmet", "rate limit (express-rate-limit)". */
  name: string;
  /** Its app-level registration (`app.use(helmet())`): the auth step goes after the last one. Absent: on the route itself. */
  statement?: t.Statement;
}

/** Auth the project already has on its MCP route: named, then kept or replaced (`--existing-auth`). */
export interface OptOut {
  text: string;
  flag?: string;
  at?: string;
}

export interface ExistingAuthSite {
  file: SourceFile;
  line: number;
  /** What it is, for messages: "passport", "requireApiKey (a bearer check of this project)". */
  name: string;
  /** The environment variable that switches it on, when it has one (AUTH_ENABLED). */
  switch?: string;
  /** Source ranges of `file` that `--existing-auth replace` removes; absent when that cannot be done safely. */
  removal?: [number, number][];
  /** Why it cannot be removed safely. */
  reason?: string;
  /**
   * When it is on unless a condition holds (`if (!options.unsafeDisableAuth)`): how that is said (`the server is
   * started with --unsafe-disable-auth`), the command-line flag when it is one, and where the flag is named.
   */
  optOut?: OptOut;
  /** Written in place of the first removed range (a comment, where removing the registration would leave a block empty). */
  replacement?: string;
  /** A check of the project's own code (a function reading the Authorization header), not an auth package's. */
  own?: boolean;
  /** Its local name, for a check of the project's own (`authenticateToken`). */
  local?: string;
  /** The lines of its function, for a check of the project's own: its read of the Authorization header is this check's. */
  lines?: [number, number];
}

export interface StartCommand {
  /** As shown to the user: `npm start`, `npm run build && npm start`, `node server.js`. */
  display: string;
  /** Run first, if the start script runs a build output. */
  build?: { file: string; args: string[] };
  file: string;
  args: string[];
  /** Variables the start command needs to serve Streamable HTTP (`MCP_TRANSPORT_TYPE=http`), shown before it. */
  env?: Record<string, string>;
  /** Where the code reads the switch add added to the command (`dist/cli.js:11`), for the detection note. */
  selects?: string;
}

export interface Detection {
  root: string;
  pkg: PackageJson;
  pm: PackageManager;
  /** Folder of the workspace this project is a member of, if any. */
  workspaceRoot: string | undefined;
  framework: { name: string; display: string; version: string | undefined; from: string } | undefined;
  /** Frameworks found in package.json, when more than one. */
  frameworkCandidates: string[];
  sdk: { generation: "v1" | "v2"; packages: string[] };
  language: Language;
  module: "esm" | "cjs";
  typescript: boolean;
  /** Folder of the entry, relative to the root ("." for the root). */
  sourceDir: string;
  /**
   * The build output folders read as the project's code (dist/, build/): the
   * project ships no sources of its own, only what its build wrote (a package
   * as published). Empty for a project with sources.
   */
  compiled: string[];
  files: SourceFile[];
  app: AppSite | undefined;
  appCandidates: AppSite[];
  /**
   * The MCP endpoint. `code`: the project's own expression for it (a constant,
   * an env value with a default), usable where the wiring goes; the wiring
   * writes it instead of a literal, so the auth step follows the project.
   */
  endpoint: { path: string; from: string; code?: string } | undefined;
  routes: RouteSite[];
  fastmcpStart: FastmcpStart | undefined;
  start: StartCommand | undefined;
  tools: ToolSite[];
  reused: ReusedServer[];
  bodyless: BodylessCall[];
  /** Security and infrastructure middleware on the MCP route: the auth step goes after it. */
  infra: InfraSite[];
  /** Auth the project already has on its MCP route. */
  existingAuth: ExistingAuthSite[];
  /** The project's own tests that call the MCP endpoint without a token (they get 401 after add). */
  tokenlessTests: { file: string; line: number }[];
  stdio: { file: string; line: number } | undefined;
  /** A node:http (or https) server the project creates itself: `http.createServer(...)`, `createServer(...)`. */
  nodeHttp: { file: string; line: number; text: string } | undefined;
  /** A stdio-to-HTTP gateway: the MCP server it serves is a command given on its command line (`--stdio "<command>"`). */
  gateway?: { file: string; line: number; option: string } | undefined;
  /** Streamable HTTP served through a library add has no glue for (mcp-proxy's startHTTPServer in a bundled FastMCP). */
  bundledHttp?: { file: string; line: number; what: string } | undefined;
  /** A Streamable HTTP transport built anywhere in the code (the server serves MCP over HTTP somehow). */
  streamableHttp: { file: string; line: number } | undefined;
  /** Next.js route handlers (`app/.../route.ts`) in a project that depends on next. */
  nextRoutes: string[];
  /** A route-handler adapter the project depends on (mcp-handler: MCP served from Next.js / Vercel route handlers). */
  routeHandlerPackage: string | undefined;
  /** The deprecated HTTP+SSE transport built anywhere in the code (`new SSEServerTransport(...)`). */
  sseTransport: { file: string; line: number } | undefined;
  sseRoutes: RouteSite[];
  port: {
    fromEnv: boolean;
    fallback: number;
    literal: number | undefined;
    /** The server reads its port from this variable instead of PORT (`MCP_HTTP_PORT`), or from this option (`--port`). */
    env?: string;
    arg?: string;
  };
  /** Extension of the files add writes, and in the imports that name them. */
  extension: string;
  specifierExtension: string;
  parseErrors: string[];
  /** Source files not read (too large, not UTF-8, beyond the file limit), one line per group. */
  skipped: string[];
}

export interface DetectFlags {
  framework?: string;
  entry?: string;
  endpoint?: string;
}

/** A detection with every question answered (by the code, a flag or a prompt): what add plans from. */
export interface ResolvedDetection extends Detection {
  framework: NonNullable<Detection["framework"]>;
  endpoint: NonNullable<Detection["endpoint"]>;
}
