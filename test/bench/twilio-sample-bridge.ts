/**
 * Twilio's sample bridge, the yardstick of `npm run bench:voice -- --compare-sample`:
 * a port of index.js from twilio-samples/speech-assistant-openai-realtime-api-node
 * (commit e0b6f63, "voice in session.update, server_vad"), run in its own
 * process as the product is.
 *
 * The bridging is the sample's, line for line: on each Media Streams
 * connection a WebSocket to the Realtime API, `session.update` 100 ms after it
 * opens; every Twilio frame JSON-parsed, `media` forwarded as
 * `input_audio_buffer.append` (dropped while the model's socket is not open);
 * every Realtime frame JSON-parsed, each `response.output_audio.delta` sent to
 * Twilio as `media` followed by a `responsePart` mark; barge-in on
 * `input_audio_buffer.speech_started` (truncate + clear); the same console
 * lines. What differs, and why:
 * - node:http and `ws` instead of Fastify and @fastify/websocket (not installed
 *   here): @fastify/websocket hands each route a `ws` WebSocket from a
 *   `noServer` WebSocketServer, which is what this does, so the per-message
 *   work is the same; the two HTTP routes are answered by hand;
 * - the Realtime URL comes from OPENAI_REALTIME_URL (the bench's fake), with
 *   the sample's query string; the port is PORT or any free one, told to the
 *   parent over IPC as {type: "listening", url};
 * - TypeScript types, and `JSON.parse(x.toString())` where the sample lets
 *   JSON.parse turn the Buffer into a string (the same conversion);
 * - it asks for the scheduling the product's audio process gets by default
 *   (real-time SCHED_RR 10, nice -10 as the fallback), so that the comparison
 *   is of the bridging, not of priorities: the measuring process runs on
 *   real-time scheduling above both.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { setOwnPriority, setOwnRealtimePriority } from "../../voice/process-priority";

// The product's defaults, VOICE_AUDIO_NICE and VOICE_AUDIO_REALTIME_PRIORITY: refused where not root, as there.
setOwnPriority(-10);
setOwnRealtimePriority(10);

const { OPENAI_API_KEY } = process.env;
const OPENAI_REALTIME_URL = process.env.OPENAI_REALTIME_URL ?? "wss://api.openai.com/v1/realtime";

if (!OPENAI_API_KEY) {
  console.error("Missing OpenAI API key. Please set it in the .env file.");
  process.exit(1);
}

// Constants
const SYSTEM_MESSAGE =
  "You are a helpful and bubbly AI assistant who loves to chat about anything the user is interested about and is prepared to offer them facts. You have a penchant for dad jokes, owl jokes, and rickrolling – subtly. Always stay positive, but work in a joke when appropriate.";
const VOICE = "alloy";
const TEMPERATURE = 0.8; // Controls the randomness of the AI's responses
const PORT = Number(process.env.PORT ?? 0);

// List of Event Types to log to the console. See the OpenAI Realtime API Documentation: https://platform.openai.com/docs/api-reference/realtime
const LOG_EVENT_TYPES = [
  "error",
  "response.content.done",
  "rate_limits.updated",
  "response.done",
  "input_audio_buffer.committed",
  "input_audio_buffer.speech_stopped",
  "input_audio_buffer.speech_started",
  "session.created",
  "session.updated",
];

// Show AI response elapsed timing calculations
const SHOW_TIMING_MATH = false;

// Root route and the TwiML route, as the sample's Fastify routes answer them.
const server = createServer((request, reply) => {
  const path = new URL(request.url ?? "/", "http://local").pathname;
  if (request.method === "GET" && path === "/") {
    reply.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    return reply.end(JSON.stringify({ message: "Twilio Media Stream Server is running!" }));
  }
  if (path === "/incoming-call") {
    const twimlResponse = `<?xml version="1.0" encoding="UTF-8"?>
                          <Response>
                              <Say voice="Google.en-US-Chirp3-HD-Aoede">Please wait while we connect your call to the A. I. voice assistant, powered by Twilio and the Open A I Realtime API</Say>
                              <Pause length="1"/>
                              <Say voice="Google.en-US-Chirp3-HD-Aoede">O.K. you can start talking!</Say>
                              <Connect>
                                  <Stream url="wss://${request.headers.host}/media-stream" />
                              </Connect>
                          </Response>`;
    reply.writeHead(200, { "content-type": "text/xml" });
    return reply.end(twimlResponse);
  }
  reply.writeHead(404).end();
});

// WebSocket route for media-stream
const wss = new WebSocketServer({ noServer: true });
server.on("upgrade", (request, socket, head) => {
  if (new URL(request.url ?? "/", "http://local").pathname !== "/media-stream") return void socket.destroy();
  wss.handleUpgrade(request, socket, head, (connection) => onMediaStream(connection));
});

function onMediaStream(connection: WebSocket): void {
  console.log("Client connected");

  // Connection-specific state
  let streamSid: string | null = null;
  let latestMediaTimestamp = 0;
  let lastAssistantItem: string | null = null;
  let markQueue: string[] = [];
  let responseStartTimestampTwilio: number | null = null;

  const openAiWs = new WebSocket(`${OPENAI_REALTIME_URL}?model=gpt-realtime&temperature=${TEMPERATURE}`, {
    headers: {
      Authorization: `Bearer ${OPENAI_API_KEY}`,
    },
  });

  // Control initial session with OpenAI
  const initializeSession = () => {
    const sessionUpdate = {
      type: "session.update",
      session: {
        type: "realtime",
        model: "gpt-realtime",
        output_modalities: ["audio"],
        audio: {
          input: { format: { type: "audio/pcmu" }, turn_detection: { type: "server_vad" } },
          output: { format: { type: "audio/pcmu" }, voice: VOICE },
        },
        instructions: SYSTEM_MESSAGE,
      },
    };

    console.log("Sending session update:", JSON.stringify(sessionUpdate));
    openAiWs.send(JSON.stringify(sessionUpdate));

    // The sample leaves sendInitialConversationItem() (the AI speaks first) commented out, and so does this port.
  };

  // Handle interruption when the caller's speech starts
  const handleSpeechStartedEvent = () => {
    if (markQueue.length > 0 && responseStartTimestampTwilio != null) {
      const elapsedTime = latestMediaTimestamp - responseStartTimestampTwilio;
      if (SHOW_TIMING_MATH) console.log(`Calculating elapsed time for truncation: ${latestMediaTimestamp} - ${responseStartTimestampTwilio} = ${elapsedTime}ms`);

      if (lastAssistantItem) {
        const truncateEvent = {
          type: "conversation.item.truncate",
          item_id: lastAssistantItem,
          content_index: 0,
          audio_end_ms: elapsedTime,
        };
        if (SHOW_TIMING_MATH) console.log("Sending truncation event:", JSON.stringify(truncateEvent));
        openAiWs.send(JSON.stringify(truncateEvent));
      }

      connection.send(
        JSON.stringify({
          event: "clear",
          streamSid: streamSid,
        }),
      );

      // Reset
      markQueue = [];
      lastAssistantItem = null;
      responseStartTimestampTwilio = null;
    }
  };

  // Send mark messages to Media Streams so we know if and when AI response playback is finished
  const sendMark = (connection: WebSocket, streamSid: string | null) => {
    if (streamSid) {
      const markEvent = {
        event: "mark",
        streamSid: streamSid,
        mark: { name: "responsePart" },
      };
      connection.send(JSON.stringify(markEvent));
      markQueue.push("responsePart");
    }
  };

  // Open event for OpenAI WebSocket
  openAiWs.on("open", () => {
    console.log("Connected to the OpenAI Realtime API");
    setTimeout(initializeSession, 100);
  });

  // Listen for messages from the OpenAI WebSocket (and send to Twilio if necessary)
  openAiWs.on("message", (data) => {
    try {
      const response = JSON.parse(data.toString()) as { type: string; delta?: string; item_id?: string };

      if (LOG_EVENT_TYPES.includes(response.type)) {
        console.log(`Received event: ${response.type}`, response);
      }

      if (response.type === "response.output_audio.delta" && response.delta) {
        const audioDelta = {
          event: "media",
          streamSid: streamSid,
          media: { payload: response.delta },
        };
        connection.send(JSON.stringify(audioDelta));

        // First delta from a new response starts the elapsed time counter
        if (!responseStartTimestampTwilio) {
          responseStartTimestampTwilio = latestMediaTimestamp;
          if (SHOW_TIMING_MATH) console.log(`Setting start timestamp for new response: ${responseStartTimestampTwilio}ms`);
        }

        if (response.item_id) {
          lastAssistantItem = response.item_id;
        }

        sendMark(connection, streamSid);
      }

      if (response.type === "input_audio_buffer.speech_started") {
        handleSpeechStartedEvent();
      }
    } catch (error) {
      console.error("Error processing OpenAI message:", error, "Raw message:", data);
    }
  });

  // Handle incoming messages from Twilio
  connection.on("message", (message) => {
    try {
      // The sample's Media Streams timestamp is Twilio's string, kept as it comes (its subtraction coerces it).
      const data = JSON.parse(message.toString()) as { event: string; media: { timestamp: number; payload: string }; start: { streamSid: string } };

      switch (data.event) {
        case "media":
          latestMediaTimestamp = data.media.timestamp;
          if (SHOW_TIMING_MATH) console.log(`Received media message with timestamp: ${latestMediaTimestamp}ms`);
          if (openAiWs.readyState === WebSocket.OPEN) {
            const audioAppend = {
              type: "input_audio_buffer.append",
              audio: data.media.payload,
            };
            openAiWs.send(JSON.stringify(audioAppend));
          }
          break;
        case "start":
          streamSid = data.start.streamSid;
          console.log("Incoming stream has started", streamSid);

          // Reset start and media timestamp on a new stream
          responseStartTimestampTwilio = null;
          latestMediaTimestamp = 0;
          break;
        case "mark":
          if (markQueue.length > 0) {
            markQueue.shift();
          }
          break;
        default:
          console.log("Received non-media event:", data.event);
          break;
      }
    } catch (error) {
      console.error("Error parsing message:", error, "Message:", message);
    }
  });

  // Handle connection close
  connection.on("close", () => {
    if (openAiWs.readyState === WebSocket.OPEN) openAiWs.close();
    console.log("Client disconnected.");
  });

  // Handle WebSocket close and errors
  openAiWs.on("close", () => {
    console.log("Disconnected from the OpenAI Realtime API");
  });

  openAiWs.on("error", (error) => {
    console.error("Error in the OpenAI WebSocket:", error);
  });
}

server.listen(PORT, "127.0.0.1", () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(`Server is listening on ${url}`);
  process.send?.({ type: "listening", url });
});
// Forked by the bench: ends with it.
process.on("disconnect", () => process.exit(0));
