/**
 * The transport under the twilio client (src/channels/twilio-http-client.ts),
 * against a bare local server: what twilio-node asks for reaches the wire as
 * its own client would write it, and each way a request can end is classified
 * as the senders rely on (delivery-errors.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import twilio from "twilio";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TransientDeliveryError, UnknownDeliveryError } from "../../src/channels/delivery-errors";
import { formEncode, TwilioHttpClient } from "../../src/channels/twilio-http-client";
import { classifyTwilioError } from "../../whatsapp/whatsapp-sender";
import { readBody } from "../fakes/http";
import { freePort } from "../support/postgres-cluster";

const ACCOUNT = "AC" + "0".repeat(32);
const TOKEN = "a-secret-token";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server;
let base: string;
let seen: Seen[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void;

const client = (timeoutMs?: number) => twilio(ACCOUNT, TOKEN, { httpClient: new TwilioHttpClient(base, timeoutMs) });

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((body) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      answer(req, res);
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});
beforeEach(() => {
  seen = [];
  answer = (_req, res) => {
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ sid: "CA" + "1".repeat(32), status: "queued" }));
  };
});

describe("what reaches the wire", () => {
  it("a create is a form POST to the same path on the base, with Basic auth and lists as repeated keys", async () => {
    const call = await client().calls.create({ to: "+5215512345678", from: "+15005550006", url: "https://prospecta.example/voice/twiml?x=1", statusCallbackEvent: ["initiated", "answered", "completed"] });
    expect(call.sid).toBe("CA" + "1".repeat(32));
    const [request] = seen;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Calls.json`);
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString("base64")}`);
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request?.headers["user-agent"]).toMatch(/^twilio-node\//);
    const form = new URLSearchParams(request?.body);
    expect(form.getAll("StatusCallbackEvent")).toEqual(["initiated", "answered", "completed"]);
    expect(form.get("Url")).toBe("https://prospecta.example/voice/twiml?x=1");
    expect(form.get("To")).toBe("+5215512345678");
  });

  it("a list is a GET with its filters in the query", async () => {
    answer = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ messages: [], next_page_uri: null, page: 0, page_size: 5 }));
    };
    await client().messages.list({ to: "whatsapp:+5215512345678", limit: 5 });
    const query = new URL(seen[0]!.url, base).searchParams;
    expect(seen[0]?.method).toBe("GET");
    expect(query.get("To")).toBe("whatsapp:+5215512345678");
    expect(query.get("PageSize")).toBe("5");
  });

  it("reaches https://api.twilio.com through HTTP_PROXY, as twilio-node's own client does", async () => {
    const tunnels: string[] = [];
    const proxy = createServer();
    proxy.on("connect", (req: IncomingMessage, socket: import("node:net").Socket) => {
      tunnels.push(req.url ?? "");
      socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
    });
    await new Promise<void>((done) => proxy.listen(0, "127.0.0.1", done));
    const previous = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      // The proxy agent is twilio-node's, made when the client is: HTTP_PROXY is read then.
      const viaProxy = twilio(ACCOUNT, TOKEN, { httpClient: new TwilioHttpClient(undefined, 2000) });
      const error = await viaProxy.messages.create({ to: "whatsapp:+5215512345678", from: "whatsapp:+15005550006", body: "Hola" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
    } finally {
      if (previous === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = previous;
      proxy.closeAllConnections();
      await new Promise((done) => proxy.close(done));
    }
    expect(tunnels).toEqual(["api.twilio.com:443"]);
  });

  it("encodes forms as twilio-node does: undefined left out, every value as text", () => {
    expect(formEncode({ Body: "Hola, ¿qué tal?", Skip: undefined, Flag: true, N: 3, List: ["a", "b"] })).toBe("Body=Hola%2C+%C2%BFqu%C3%A9+tal%3F&Flag=true&N=3&List=a&List=b");
  });
});

describe("how a request ends", () => {
  it("an error answer is twilio-node's RestException, with Twilio's code", async () => {
    answer = (_req, res) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: 21211, message: "Invalid 'To' Phone Number", more_info: "https://www.twilio.com/docs/errors/21211", status: 400 }));
    };
    const error = await client().messages.create({ to: "whatsapp:+1", from: "whatsapp:+15005550006", body: "Hola" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(twilio.RestException);
    expect(error).toMatchObject({ status: 400, code: 21211 });
  });

  it("no answer in time: ETIMEDOUT, and the outcome is unknown (it may have reached Twilio)", async () => {
    answer = () => {};
    const error = await client(200).messages.create({ to: "whatsapp:+5215512345678", from: "whatsapp:+15005550006", body: "Hola" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ETIMEDOUT" });
    expect(classifyTwilioError(error)).toBeInstanceOf(UnknownDeliveryError);
  });

  it("an answer cut in the middle: unknown", async () => {
    answer = (_req, res) => {
      res.writeHead(201, { "content-type": "application/json", "content-length": "500" });
      res.write('{"sid": "SM');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const error = await client().messages.create({ to: "whatsapp:+5215512345678", from: "whatsapp:+15005550006", body: "Hola" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(classifyTwilioError(error)).toBeInstanceOf(UnknownDeliveryError);
  });

  it("a connection refused: nothing went out, so it may be sent again", async () => {
    const port = await freePort();
    const refused = twilio(ACCOUNT, TOKEN, { httpClient: new TwilioHttpClient(`http://127.0.0.1:${port}`) });
    const error = await refused.messages.create({ to: "whatsapp:+5215512345678", from: "whatsapp:+15005550006", body: "Hola" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ECONNREFUSED" });
    expect(classifyTwilioError(error)).toBeInstanceOf(TransientDeliveryError);
  });
});
