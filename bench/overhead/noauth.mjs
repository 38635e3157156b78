// Builds the auth-off variant of a generated project for bench/overhead.
// Only the benchmark's own copy is patched: src/auth/authorize.ts keeps its
// real createAuthorizer under another name and exports a stub in its place
// that authenticates nobody and returns one fixed identity, so the adapter's
// /mcp route runs exactly as generated minus token verification and the scope
// check. Nothing here ever reaches templates/ or a generated project.
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

const MARKER = "// --- bench/overhead: auth removed (benchmark copy only) ---";

/** Copies `project` to `target` (node_modules symlinked, not copied). */
export function copyProject(project, target) {
  rmSync(target, { recursive: true, force: true });
  cpSync(project, target, {
    recursive: true,
    filter: (src) => path.relative(project, src).split(path.sep)[0] !== "node_modules",
  });
  symlinkSync(path.join(project, "node_modules"), path.join(target, "node_modules"), "dir");
}

export function makeNoAuthCopy(project, target) {
  copyProject(project, target);
  const file = path.join(target, "src", "auth", "authorize.ts");
  if (!existsSync(file)) throw new Error(`auth-off patch: ${file} not found`);
  let source = readFileSync(file, "utf8");
  const decl = "export function createAuthorizer(";
  if (source.split(decl).length !== 2) {
    throw new Error(`auth-off patch: expected exactly one "${decl}" in ${file}; the template changed, update bench/overhead/noauth.mjs`);
  }
  source = source.replace(decl, "function createAuthorizerWithAuth(");
  source += `
${MARKER}
void createAuthorizerWithAuth;
export function createAuthorizer(config: Config, _verifier: TokenVerifier): Authorizer {
  const scopes = [...new Set(Object.values(toolScopes as Record<string, readonly string[]>).flat())];
  const token: VerifiedToken = { token: "bench", subject: "bench-user", clientId: "bench-client", scopes, expiresAt: 4102444800, claims: {} };
  const identity: AuthInfo = {
    token: token.token, clientId: token.clientId, scopes, expiresAt: token.expiresAt,
    resource: new URL(config.resourceUrl), extra: { sub: token.subject },
  };
  return {
    authenticate: async () => ({ ok: true, value: token }),
    authorize: () => ({ ok: true, value: identity }),
  };
}
`;
  writeFileSync(file, source);
  return file;
}
