/**
 * One Twilio REST base for two fakes, as the product has one TWILIO_API_BASE:
 * Messages and Content requests go to the Messaging fake, the rest (Calls) to
 * the Voice fake. A plain pass-through over real HTTP (used by the demo).
 */
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

export async function startTwilioRouter(targets: { voice: string; messaging: string }): Promise<{ apiBase: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const target = new URL(/\/Messages(\/|\.json)|^\/v1\/Content/.test(req.url ?? "") ? targets.messaging : targets.voice);
    const forwarded = request(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on("error", () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
