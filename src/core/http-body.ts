/**
 * Bodies from servers we do not control, read with a size cap: a hostile or
 * broken server's endless body ends at the cap (the deadline is the caller's
 * AbortSignal on fetch, which also aborts the body), never in memory.
 */

/** What a check or token command ever needs from one answer: documents, JSON-RPC replies, tokens. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly maxBytes: number) {
    super(`the answer's body is over ${formatBytes(maxBytes)}: not read further`);
  }
}

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${n / (1024 * 1024)} MB` : n >= 1024 ? `${n / 1024} KB` : `${n} bytes`;
}

/** Statuses whose Response must have a null body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** A stream that passes at most `maxBytes` through, then errors with BodyTooLargeError (and cancels its source). */
function capStream(maxBytes: number, onCut?: (error: BodyTooLargeError) => void): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) {
        const error = new BodyTooLargeError(maxBytes);
        onCut?.(error);
        controller.error(error);
      } else controller.enqueue(chunk);
    },
  });
}

/**
 * The same answer with a body that errors past `maxBytes`: for code that reads
 * the body itself (the MCP SDK's clients: `res.json()`, SSE streams). `onCut`
 * hears of a cut body: a reader may report it as something else (a timeout).
 */
export function boundedResponse(res: Response, maxBytes = MAX_BODY_BYTES, onCut?: (error: BodyTooLargeError) => void): Response {
  if (!res.body || NULL_BODY.has(res.status) || res.status < 200 || res.status > 599) return res;
  const length = Number(res.headers.get("content-length"));
  if (Number.isFinite(length) && length > maxBytes) {
    res.body.cancel().catch(() => {});
    const error = new BodyTooLargeError(maxBytes);
    onCut?.(error);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(error);
      },
    });
    return withOrigin(new Response(body, res), res);
  }
  return withOrigin(new Response(res.body.pipeThrough(capStream(maxBytes, onCut)), res), res);
}

function withOrigin(wrapped: Response, original: Response): Response {
  Object.defineProperty(wrapped, "url", { value: original.url });
  Object.defineProperty(wrapped, "redirected", { value: original.redirected });
  return wrapped;
}

/** The body as bytes; throws BodyTooLargeError past `maxBytes` (having cancelled the rest). */
export async function readBodyBytes(res: Response, maxBytes = MAX_BODY_BYTES): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array();
  const length = Number(res.headers.get("content-length"));
  if (Number.isFinite(length) && length > maxBytes) {
    await res.body.cancel().catch(() => {});
    throw new BodyTooLargeError(maxBytes);
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw new BodyTooLargeError(maxBytes);
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks);
}

/** The body as UTF-8 text, at most `maxBytes`. */
export async function readBodyText(res: Response, maxBytes = MAX_BODY_BYTES): Promise<string> {
  return new TextDecoder().decode(await readBodyBytes(res, maxBytes));
}

/** The body parsed as JSON; undefined when it is not JSON. Throws BodyTooLargeError past `maxBytes`. */
export async function readBodyJson(res: Response, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBodyText(res, maxBytes);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
