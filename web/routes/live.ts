/**
 * GET /admin/eventos: the live feed as server-sent events (web/assets/live.js reads it).
 *
 * `event: leads` and `event: messages` carry ids only (src/services/live-feed.ts); pages fetch
 * what they show through their own routes, which check the session as every page does. The
 * stream re-checks the session every minute and ends when it is gone (signed out, expired, user
 * disabled), and every stream is ended when the server closes, which would otherwise wait for them.
 */
import type { FastifyInstance } from "fastify";
import type { ServerResponse } from "node:http";
import type { LiveEvent } from "../../src/services/live-feed";
import { HIDDEN, type PageKit } from "../deps";
import { personOf } from "../session-guard";

/** A comment line every 20 s keeps proxies and browsers from dropping an idle stream. */
const PING_EVERY_MS = 20_000;
const SESSION_CHECK_EVERY_MS = 60_000;
/** How long EventSource waits before reconnecting after the stream ends. */
const RETRY_MS = 3000;

function frame(event: LiveEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export function liveRoutes(admin: FastifyInstance, { deps }: PageKit): void {
  const open = new Set<ServerResponse>();
  admin.addHook("preClose", async () => {
    for (const stream of open) stream.end();
  });

  admin.get("/eventos", HIDDEN, async (request, reply) => {
    const { token } = personOf(request);
    let stream: ServerResponse | null = null;
    const unsubscribe = await deps.live.subscribe((event) => stream?.write(frame(event)));
    void reply.hijack();
    stream = reply.raw;
    stream.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      // nginx would otherwise buffer the stream and deliver events in bursts.
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
      connection: "keep-alive",
    });
    stream.write(`retry: ${RETRY_MS}\n\n`);
    open.add(stream);

    const ping = setInterval(() => stream?.write(": ping\n\n"), PING_EVERY_MS);
    const sessionCheck = setInterval(() => {
      deps.services.accounts
        .sessionFor(token)
        .then((session) => {
          if (!session) stream?.end();
        })
        .catch((error: unknown) => request.log.warn({ err: error }, "live feed: session check failed"));
    }, SESSION_CHECK_EVERY_MS);
    const close = () => {
      clearInterval(ping);
      clearInterval(sessionCheck);
      unsubscribe();
      if (stream) open.delete(stream);
      stream = null;
    };
    reply.raw.once("close", close);
  });
}
