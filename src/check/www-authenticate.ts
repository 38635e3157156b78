/** A parser for the WWW-Authenticate header (RFC 9110 §11.6.1): challenges with auth-params. */

export interface Challenge {
  /** As sent (compare case-insensitively). */
  scheme: string;
  /** Parameter names lower-cased; quoted values unescaped. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

export function parseWwwAuthenticate(header: string | null | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  if (!header) return challenges;
  let i = 0;
  let current: Challenge | undefined;
  const skipSpace = (): void => {
    while (header[i] === " " || header[i] === "\t") i++;
  };
  while (i < header.length) {
    skipSpace();
    if (header[i] === ",") {
      i++;
      continue;
    }
    const token = TOKEN.exec(header.slice(i))?.[0];
    if (!token) {
      i++; // junk (e.g. a token68 character): skip it
      continue;
    }
    i += token.length;
    skipSpace();
    if (header[i] === "=" && current) {
      i++;
      skipSpace();
      let value = "";
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === "\\") i++;
          value += header[i] ?? "";
          i++;
        }
        i++; // closing quote
      } else {
        while (i < header.length && header[i] !== "," && header[i] !== " " && header[i] !== "\t") value += header[i++];
      }
      current.params[token.toLowerCase()] = value;
    } else {
      current = { scheme: token, params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

/** The Bearer challenge of a WWW-Authenticate header, if there is one. */
export function bearerChallenge(header: string | null | undefined): Challenge | undefined {
  return parseWwwAuthenticate(header).find((c) => c.scheme.toLowerCase() === "bearer");
}

/** True when `value` is an absolute http(s) URL. */
export function isAbsoluteHttpUrl(value: string | undefined): boolean {
  if (!value) return false;
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
