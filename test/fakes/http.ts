/** The HTTP plumbing the fakes share: read a body, answer JSON, stop and resume listening. */
import type { IncomingMessage, Server, ServerResponse } from "node:http";

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
