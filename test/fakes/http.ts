/** The HTTP plumbing the fakes share: read a body, answer JSON, post a form, stop and resume listening. */
import { Agent, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

// Kept-alive connections, as Twilio's own webhook senders keep them: a new connection per post would cost more than the post.
const keepAlive = new Agent({ keepAlive: true });

/**
 * POSTs a body over plain HTTP (the fakes only ever post to local servers)
 * with node:http rather than fetch: a load generator posting thousands of
 * webhooks a second spent more of its CPU in fetch's streams and its garbage
 * than in the posting. Rejects on a connection failure or after `timeoutMs`.
 */
export function postForm(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent: keepAlive, headers: { ...headers, "content-length": Buffer.byteLength(body) }, timeout: timeoutMs }, (res) => {
      readBody(res).then((text) => resolve({ status: res.statusCode ?? 0, body: text }), reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Stops and restarts listening on the same port, so a client meets ECONNREFUSED
 * (nothing sent) and then a server that is back.
 */
export function listeningSwitch(server: Server, port: number) {
  let listening = true;
  return {
    isListening: () => listening,
    async refuse() {
      if (!listening) return;
      listening = false;
      // close() only stops accepting; kept-alive idle sockets would still carry requests, so they go too.
      server.close();
      server.closeIdleConnections();
    },
    async accept() {
      if (listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      listening = true;
    },
  };
}

/**
 * A request listener from an async handler: a handler that throws answers
 * 500 (or drops the connection when it already started answering) instead of
 * leaving an unhandled rejection that nobody sees.
 */
export function asyncHandler(handler: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy(error instanceof Error ? error : new Error(String(error)));
      else sendJson(res, 500, { error: String(error) });
    });
  };
}
