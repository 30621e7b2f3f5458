/**
 * The transport under the official twilio client: its documented `httpClient`
 * extension point, so every request is still built, authenticated and parsed
 * by twilio-node (resources, parameters, RestException) and only the HTTP
 * exchange is ours. twilio-node's own RequestClient goes through axios, whose
 * per-request config merging and interceptors cost more than the exchange
 * itself: profiled in bench:whatsapp, the send path was 8% of the product's
 * CPU, most of it axios. This one writes the request with node:http(s) on a
 * keep-alive agent and hands the body back as text, which twilio-node parses.
 *
 * Same rules as twilio-node's client: form bodies with repeated keys for
 * lists, Basic auth from the account credentials, 30 s per request, at most 20
 * connections per host, no redirects followed, and its https agent itself
 * (HTTP_PROXY and TWILIO_CA_BUNDLE honoured as twilio-node does). Errors stay
 * Node's own system errors (code, syscall), so a connection never made is told
 * apart from one cut mid-answer (delivery-errors.ts); a request that times out
 * ends with ETIMEDOUT and no `connect` syscall: it may have reached Twilio.
 */
import http from "node:http";
import https from "node:https";
import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient";
import type Response from "twilio/lib/http/response";

type RequestClientRequest<TData> = RequestClient.RequestOptions<TData>;
type Fields = Record<string, unknown>;

/** twilio-node's defaults (RequestClient.js). */
const TIMEOUT_MS = 30_000;
const MAX_SOCKETS = 20;

/** `application/x-www-form-urlencoded`, a list as the same key repeated (twilio-node's arrayFormat "repeat"). */
export function formEncode(fields: Fields): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    for (const each of Array.isArray(value) ? value : [value]) form.append(key, String(each));
  }
  return form.toString();
}

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`Twilio did not answer within ${ms} ms`), { code: "ETIMEDOUT" });
}

export class TwilioHttpClient extends twilio.RequestClient {
  /** For a plain-http base (TWILIO_API_BASE on a local fake or proxy). */
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  /**
   * twilio-node's own https agent, as its RequestClient built it: keep-alive, its socket limits,
   * and what it reads from the environment (HTTP_PROXY through a proxy agent, TWILIO_CA_BUNDLE).
   */
  private readonly httpsAgent = this.axios.defaults.httpsAgent as http.Agent;

  /**
   * `apiBase`: every https://*.twilio.com request keeps its path and goes there instead (see
   * twilio-client.ts). `timeoutMs`: for a request that sets none.
   */
  constructor(
    private readonly apiBase?: string,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {
    super({ keepAlive: true });
  }

  override async request<TData>(opts: RequestClientRequest<TData>): Promise<Response<TData>> {
    if (!opts.method) throw new Error("http method is required");
    if (!opts.uri) throw new Error("uri is required");
    const url = new URL(this.apiBase ? opts.uri.replace(/^https:\/\/[a-z0-9.-]+\.twilio\.com/, this.apiBase) : opts.uri);
    if (opts.params) {
      const query = formEncode(opts.params as Fields);
      if (query) url.search = url.search ? `${url.search}&${query}` : `?${query}`;
    }
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string> | undefined), Connection: "keep-alive" };
    if (opts.username && opts.password) headers.Authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString("base64")}`;
    else if (opts.authStrategy) headers.Authorization = await opts.authStrategy.getAuthString();
    let body: string | undefined;
    if (opts.data && headers["Content-Type"] === "application/x-www-form-urlencoded") body = formEncode(opts.data as Fields);
    else if (opts.data && headers["Content-Type"] === "application/json") body = JSON.stringify(opts.data);
    if (body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(body));
    const secure = url.protocol === "https:";
    const timeoutMs = opts.timeout ?? this.timeoutMs;

    return new Promise<Response<TData>>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      const request = (secure ? https : http).request(url, { method: opts.method.toUpperCase(), headers, agent: secure ? this.httpsAgent : this.httpAgent }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        // Cut after the headers: the request reached Twilio, what it did is unknown.
        response.on("error", fail);
        response.on("end", () => {
          clearTimeout(timer);
          // Text, as twilio-node's Version parses a string body as JSON itself. What its RequestClient
          // resolves with too: the fields alone, not its Response class (which only adds toString).
          resolve({ statusCode: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") as TData, headers: response.headers } as Response<TData>);
        });
      });
      timer = setTimeout(() => request.destroy(timeoutError(timeoutMs)), timeoutMs);
      request.on("error", fail);
      request.end(body);
    });
  }
}
