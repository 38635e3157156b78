import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

/** The full path of `command` on PATH (as a shell would find it), or undefined. */
export function findOnPath(command: string, env: Record<string, string | undefined> = process.env): string | undefined {
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const names =
    process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").map((ext) => command + ext.toLowerCase()) : [command];
  for (const dir of dirs) {
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        if (statSync(file).isFile()) {
          accessSync(file, constants.X_OK);
          return file;
        }
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
