/**
 * Builds the whole product from a config: database, services, HTTP app.
 * main.ts listens; tests build the same thing on a temporary database.
 */
import { dataDirectory, isInMemory, migrateDatabase, openDatabase } from "../db/client";
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { openPostgresDatabase, type Database } from "../db/database";
import { sqliteDatabase } from "../db/sqlite-database";
import { startWalCheckpointer } from "../db/wal-checkpointer";
import { resolveAdminToken } from "./admin-token";
import { buildApp } from "./api/app";
import { systemClock, type Clock } from "./clock";
import { isPostgresUrl, type AppConfig } from "./config";
import { createLogger, type Logger } from "./logger";
import { seedSampleDataOnce } from "./sample-data";
import { createServices } from "./services";
import { createCampaignEngine } from "./campaigns/campaign-engine";
import { createScheduler, type ScheduledJob } from "./campaigns/scheduler";
import { createGraphileEngine } from "./jobs/graphile-engine";
import type { JobEngine } from "./jobs/job-engine";
import { chooseCalendar } from "./calendar/choose-calendar";
import { createBookingService } from "./services/booking-service";
import { createStepActions } from "./campaigns/step-actions";
import { createStepRunner } from "./campaigns/step-runner";
import { createTelegramSender } from "./channels/telegram-sender";
import { run, type RunnerHandle } from "@grammyjs/runner";
import { composeBot } from "../bot";
import { createBareBot } from "../bot/bare-bot";
import { registerCommandMenus } from "../bot/features/admin";
import { botRunnerOptions } from "../bot/runner-options";
import { leadLine } from "./domain/admin-messages";
import { createTelegramAdminNotifier, createTelegramChannel } from "../bot/telegram-channel";
import { NO_ADMIN_NOTIFIER } from "./channels/channel-port";
import { createLeadChatService } from "./services/lead-chat-service";
import { createWhatsAppTwilio, mountWhatsAppSurface } from "../whatsapp";
import { createDashboard } from "../web/dashboard";
import { createLiveFeed } from "./services/live-feed";
import { mountWebhook, registerWebhook } from "../bot/webhook";
import { createTwilioCallPlacer } from "../voice/calls";
import { createTwilioClient } from "./channels/twilio-client";
import { mountVoiceWebhooks } from "../voice/webhooks";
import { attachStreamServer, type StreamLimits, type StreamProductDeps, type StreamServer } from "../voice/stream-server";
import { startAudioHost } from "../voice/audio-host";
import type { AudioSettings } from "../voice/audio-protocol";
import { createCallOpening } from "../voice/call-opening";
import { streamUrlFor } from "../voice/twiml";
import { createCallResultsService, VOICE_ACTOR } from "./services/call-results-service";
import { createLlmCallSummarizer, createOfflineCallSummarizer } from "./agents/call-summarizer";
import { createOfflineAgent } from "./agents/offline-agent";
import { createConversationService } from "./services/conversation-service";
import { parseQuietHours } from "./domain/quiet-hours";
import { createLeadEvents } from "./services/lead-events";
import { createMetrics } from "./observability/metrics";
import { createDispatchGuard } from "./observability/dispatch-guard";
import { createInstanceCoordination, newInstanceId } from "./services/instance-coordination";
import { createReadiness } from "./services/readiness";

export interface BuildOptions {
  clock?: Clock;
  logger?: Logger;
  seedSamples?: boolean;
  /** Base wait between retries of a Telegram call that certainly did not arrive (tests shorten it). */
  retryBaseMs?: number;
  /** Per-connection limits of /voice/stream (tests shorten the start timeout). */
  streamLimits?: Partial<StreamLimits>;
  /**
   * Live audio in its own process (voice/audio-host.ts) when VOICE_AUDIO_PROCESS is on. main.ts sets it;
   * a product built inside another process (the in-process test server) streams in-process.
   */
  audioProcess?: boolean;
}

/**
 * The product's database, its migrations applied: PostgreSQL when
 * DATABASE_URL is a postgres:// URL (a pool of DATABASE_POOL_SIZE
 * connections), otherwise the SQLite file it names. Both are used the same
 * way, through db/database.ts.
 */
export async function openProductDatabase(config: Pick<AppConfig, "DATABASE_URL" | "DATABASE_POOL_SIZE">, logger: Logger): Promise<Database> {
  if (isPostgresUrl(config.DATABASE_URL)) {
    return openPostgresDatabase(config.DATABASE_URL, {
      maxConnections: config.DATABASE_POOL_SIZE,
      onIdleConnectionLost: (error) => logger.warn({ error: error.message }, "PostgreSQL closed an idle connection; the next query opens another"),
    });
  }
  const sqlite = openDatabase(config.DATABASE_URL);
  migrateDatabase(sqlite);
  const database = sqliteDatabase(sqlite);
  if (isInMemory(config.DATABASE_URL)) return database;
  const checkpointer = startWalCheckpointer(sqlite.$client, config.DATABASE_URL, (message) => logger.warn({ error: message }, "WAL checkpoint failed"));
  return {
    ...database,
    async close() {
      await checkpointer.stop();
      await database.close();
    },
  };
}

export async function buildProspecta(config: AppConfig, options: BuildOptions = {}) {
  const clock = options.clock ?? systemClock;
  const roles = new Set(config.PROSPECTA_ROLES);
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const db = await openProductDatabase(config, logger);
  const metrics = createMetrics(db);
  const guard = createDispatchGuard(logger, metrics.failures);
  const events = createLeadEvents((error) => logger.error({ err: error }, "lead event listener failed"));
  const voiceSettings =
    config.VOICE_PROVIDER === "twilio" && config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_PHONE_NUMBER && config.WEBHOOK_BASE_URL
      ? {
          placer: createTwilioCallPlacer(
            createTwilioClient(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, config.TWILIO_API_BASE),
            config.TWILIO_PHONE_NUMBER,
            config.WEBHOOK_BASE_URL,
          ),
          quietHours: parseQuietHours(config.QUIET_HOURS),
          maxConcurrentCalls: config.MAX_CONCURRENT_CALLS,
        }
      : null;
  const services = createServices({ db, clock, timeZone: config.TZ, events }, voiceSettings);
  const seeded = options.seedSamples === false ? false : await seedSampleDataOnce(db, services, clock.now());
  // The dashboard's first admin; once created, a start costs one read of app_state and no scrypt.
  if (roles.has("api") && config.DASHBOARD_ADMIN_EMAIL && config.DASHBOARD_ADMIN_PASSWORD) {
    const admin = { email: config.DASHBOARD_ADMIN_EMAIL, password: config.DASHBOARD_ADMIN_PASSWORD };
    if (await services.accounts.ensureFirstAdmin(admin)) logger.info("dashboard: first admin created from DASHBOARD_ADMIN_EMAIL");
  }

  // One Telegram Api for the process: the bot's. Campaigns, reminders and admin
  // notices send through it too, so one throttler and one retry layer see every message.
  const bareBot = config.TELEGRAM_BOT_TOKEN
    ? createBareBot({
        token: config.TELEGRAM_BOT_TOKEN,
        apiRoot: config.TELEGRAM_API_ROOT,
        limits: {
          maxPerSecond: config.TELEGRAM_MAX_PER_SECOND,
          maxAttempts: config.CAMPAIGN_MAX_ATTEMPTS,
          retryBaseMs: options.retryBaseMs ?? 1000,
          log: logger,
        },
      })
    : null;
  const telegram = bareBot ? createTelegramSender(bareBot.api) : null;
  const whatsappTwilio = createWhatsAppTwilio(config, logger, options.retryBaseMs ?? 1000);
  const actions = createStepActions({
    db,
    clock,
    timeZone: config.TZ,
    pipeline: services.pipeline,
    calls: services.calls,
    telegram,
    whatsapp: whatsappTwilio?.sender ?? null,
    log: logger,
  });
  const runner = createStepRunner({
    db,
    clock,
    actions,
    quietHours: parseQuietHours(config.QUIET_HOURS),
    timeZone: config.TZ,
    concurrency: config.CAMPAIGN_CONCURRENCY,
    leaseMs: config.CAMPAIGN_STEP_LEASE_SECONDS * 1000,
    log: logger,
  });
  const campaignEngine = createCampaignEngine({ db, clock, runner, log: logger });
  events.onStageEnteredWithin(async (tx, entered) => {
    await campaignEngine.enrollOnStageEntered(tx, entered);
  });
  events.onStageEntered((event) => campaignEngine.handleStageEntered(event));
  services.campaigns.onStatusChanged(async (campaign) => {
    if (campaign.status === "active") await campaignEngine.handleCampaignActivated(campaign.id);
  });

  const conversation = createConversationService({
    db,
    clock,
    timeZone: config.TZ,
    events,
    leads: services.leads,
    pipeline: services.pipeline,
    agent:
      config.OPENAI_API_KEY && config.LLM_PROVIDER !== "offline"
        ? // Loaded only with a model configured: langchain's agent runtime costs about a second at start.
          (await import("./agents/llm-agent")).createLlmAgent({
            apiKey: config.OPENAI_API_KEY,
            baseUrl: config.OPENAI_BASE_URL,
            model: config.OPENAI_MODEL,
            timeoutMs: config.LLM_TIMEOUT_MS,
            agencyName: config.AGENCY_NAME,
            log: logger,
            observer: metrics.llm,
          })
        : createOfflineAgent(),
    log: logger,
  });
  const booking = createBookingService({
    db,
    clock,
    timeZone: config.TZ,
    events,
    calendar: chooseCalendar(config, db),
    pipeline: services.pipeline,
    telegram,
    whatsapp: whatsappTwilio?.sender ?? null,
    whatsappReminderContentSid: config.WHATSAPP_REMINDER_CONTENT_SID ?? null,
    log: logger,
  });
  // Lead events for people go to the admins' Telegram chat, whatever channel the lead writes on.
  const admins = bareBot ? createTelegramAdminNotifier(bareBot.api, config.TELEGRAM_ADMIN_CHAT_ID ?? null, logger) : NO_ADMIN_NOTIFIER;
  // Each channel's side of the port, built once: the bot and the WhatsApp webhooks answer through
  // them, and a person writes to a lead through them from the dashboard.
  const telegramChannel = bareBot ? createTelegramChannel(bareBot.api) : null;
  const ports = { telegram: telegramChannel, whatsapp: whatsappTwilio?.channel ?? null };
  const chat = createLeadChatService({ db, clock, conversation, booking, admins, ports, timeZone: config.TZ, log: logger });
  const bot = bareBot && telegramChannel
    ? composeBot(bareBot, {
        chat,
        telegramChannel,
        conversation,
        log: logger,
        guard,
        db,
        services,
        adminIds: config.TELEGRAM_ADMIN_IDS,
      })
    : null;
  let botRunner: RunnerHandle | null = null;
  let pollingLease: { stop(): Promise<void> } | null = null;

  const adminToken = resolveAdminToken(config.ADMIN_API_TOKEN, dataDirectory(config.DATABASE_URL), !isInMemory(config.DATABASE_URL));
  const coordination = createInstanceCoordination({ database: db, clock }, newInstanceId(), logger);
  const periodicJobs: ScheduledJob[] = [
    { name: "campaign-scan", cron: config.CAMPAIGN_CRON, protect: true, oncePerPeriod: true, run: () => campaignEngine.runPass() },
    // On every instance: runs may overlap a run stuck on a slow send, and claims keep them from doing a step twice.
    // (On PostgreSQL each step is also a job at its due time; this sweep is what catches one whose job came early.)
    { name: "campaign-runner", cron: config.CAMPAIGN_RUNNER_CRON, protect: false, run: () => campaignEngine.runDue() },
    { name: "appointment-reminders", cron: config.CAMPAIGN_RUNNER_CRON, protect: true, oncePerPeriod: true, run: () => booking.runDueReminders() },
    { name: "extraction-retries", cron: config.CAMPAIGN_RUNNER_CRON, protect: true, oncePerPeriod: true, run: () => conversation.retryPendingExtractions() },
    { name: "abandoned-calls", cron: config.CAMPAIGN_RUNNER_CRON, protect: true, oncePerPeriod: true, run: () => callResults.finalizeAbandoned(config.CALL_MAX_MINUTES) },
    // PostgreSQL's stage tallies gain a row per creation group and two per move; folded every few
    // seconds, a stage page or the metrics sum a few dozen. On every instance: folds at once are safe.
    ...(db.pgPool ? [{ name: "stage-tallies", cron: "*/5 * * * * *", protect: true, run: () => services.pipeline.compactStageTallies() }] : []),
  ];
  const inProcessScheduler = (jobs: readonly ScheduledJob[]) =>
    createScheduler(jobs, config.TZ, guard, logger, (job, slot) => coordination.claimPeriod(job, slot));
  const scheduler: JobEngine = db.pgPool
    ? createGraphileEngine({
        pool: db.pgPool,
        jobs: periodicJobs,
        runDueSteps: (maxWaitMs) => campaignEngine.runStepJob(maxWaitMs),
        timeZone: config.TZ,
        guard,
        log: logger,
        inProcess: inProcessScheduler,
      })
    : inProcessScheduler(periodicJobs);
  const readiness = createReadiness({ db, jobsRunning: roles.has("worker") ? () => scheduler.running() : null });
  const app = await buildApp({
    services,
    campaignEngine,
    adminToken: adminToken.token,
    logger,
    metrics: metrics.registry,
    metricsToken: config.METRICS_TOKEN,
    publicBaseUrl: config.WEBHOOK_BASE_URL,
    readiness,
    serveApi: roles.has("api"),
    trustProxy: config.TRUST_PROXY,
  });
  // The /admin dashboard goes where the API is served. Its live feed polls only while a page listens.
  const live = createLiveFeed({ db, clock, pollMs: config.DASHBOARD_LIVE_POLL_MS, log: logger });
  if (roles.has("api")) await app.register(createDashboard({ services, chat, live, clock, timeZone: config.TZ }), { prefix: "/admin" });
  const connections = trackConnections(app.server);

  const webhook =
    bot && config.TELEGRAM_WEBHOOK_URL && config.TELEGRAM_WEBHOOK_SECRET
      ? { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET }
      : null;
  if (bot && webhook && roles.has("bot")) await mountWebhook(app, bot, webhook, guard, logger);
  const whatsapp =
    whatsappTwilio && roles.has("bot")
      ? await mountWhatsAppSurface(app, whatsappTwilio, { chat, messageStatus: services.messageStatus, guard, log: logger })
      : null;
  const callSummarizer =
    config.OPENAI_API_KEY && config.LLM_PROVIDER !== "offline"
      ? createLlmCallSummarizer({
          apiKey: config.OPENAI_API_KEY,
          baseUrl: config.OPENAI_BASE_URL,
          model: config.OPENAI_MODEL,
          timeoutMs: config.LLM_TIMEOUT_MS,
          log: logger,
          observer: metrics.llm,
        })
      : createOfflineCallSummarizer();
  const callResults = createCallResultsService({ db, clock, timeZone: config.TZ, events }, services.leads, services.pipeline, callSummarizer);
  let streams: StreamServer | null = null;
  const adminChatId = config.TELEGRAM_ADMIN_CHAT_ID ?? null;
  if (bot && adminChatId !== null) {
    callResults.onCallFinalized((call) => {
      // Not awaited by the call's finalisation; a failure here (the lead gone) never touches the call's results.
      const notify = async () => {
        const lead = await services.leads.requireLead(call.lead_id);
        await admins.notify(`📞 Llamada #${call.id} terminada: ${leadLine(lead)}\n${call.summary ?? ""}`);
      };
      notify().catch(() => undefined);
    });
  }
  if (voiceSettings && config.TWILIO_AUTH_TOKEN && config.WEBHOOK_BASE_URL && roles.has("voice")) {
    await mountVoiceWebhooks(app, services.calls, { authToken: config.TWILIO_AUTH_TOKEN, webhookBaseUrl: config.WEBHOOK_BASE_URL, agencyName: config.AGENCY_NAME }, guard, logger);
    const placer = voiceSettings.placer;
    if (!config.WEBHOOK_BASE_URL.startsWith("https://")) {
      logger.warn({ webhook_base_url: config.WEBHOOK_BASE_URL }, "WEBHOOK_BASE_URL is not https: Twilio accepts only wss:// stream URLs and https webhooks, so real calls will fail");
    }
    // What the calls need from the product, the same whether they run here or in the audio process (as RPCs to this one).
    const product: StreamProductDeps = {
      openCall: createCallOpening(callResults, config.AGENCY_NAME),
      results: callResults,
      sayAndHangUp: (callSid, message) => placer.sayAndHangUp(callSid, message),
      booking: {
        offerSlots: (leadId) => booking.offerSlots(leadId),
        book: (leadId, start) => booking.book(leadId, start, VOICE_ACTOR),
      },
      leadRequests: {
        handOff: (leadId) => chat.handOffFromCall(leadId),
        optOut: async (leadId) => {
          await chat.optOutFromCall(leadId);
        },
      },
    };
    const settings: AudioSettings = {
      realtime: {
        url: config.OPENAI_REALTIME_URL,
        model: config.OPENAI_REALTIME_MODEL,
        voice: config.OPENAI_REALTIME_VOICE,
        apiKey: config.OPENAI_API_KEY ?? "",
        maxCallMinutes: config.CALL_MAX_MINUTES,
      },
      accountSid: config.TWILIO_ACCOUNT_SID ?? "",
      streamPath: new URL(streamUrlFor(config.WEBHOOK_BASE_URL)).pathname,
      timeZone: config.TZ,
      nice: config.VOICE_AUDIO_NICE,
      realtimePriority: config.VOICE_AUDIO_REALTIME_PRIORITY,
      limits: options.streamLimits ?? {},
    };
    streams =
      options.audioProcess && config.VOICE_AUDIO_PROCESS
        ? await startAudioHost(app.server, { settings, product, logLevel: config.LOG_LEVEL, guard, log: logger })
        : attachStreamServer(app.server, { ...settings, ...product, guard, log: logger });
  }

  return {
    app,
    /** The product's database (db/database.ts): what every service runs on. */
    db,
    services,
    clock,
    logger,
    guard,
    adminToken,
    seeded,
    campaignEngine,
    /** What reacts to lead changes, inside their transaction or after it (tests interrupt it there). */
    events,
    telegram,
    conversation,
    booking,
    chat,
    /** The dashboard's live feed (polls only while an /admin/eventos stream is open). */
    live,
    whatsapp,
    bot,
    roles,
    /** Starts the cron jobs on a process with the worker role (main.ts does; tests drive the engine themselves). */
    async startScheduler(): Promise<void> {
      if (roles.has("worker")) await scheduler.start();
    },
    /** Starts the bot on a process with the bot role when a token is set: registers the webhook, or starts long polling. */
    async startBot(): Promise<"webhook" | "polling" | null> {
      if (!bot || !roles.has("bot")) return null;
      await bot.init();
      await registerCommandMenus(bot.api, config.TELEGRAM_ADMIN_IDS);
      if (webhook) {
        await registerWebhook(bot, webhook);
        return "webhook";
      }
      await bot.api.deleteWebhook();
      // Telegram serves getUpdates to one poller (a second one's request ends in 409): with several
      // instances, the one holding the lease polls and another takes over when it stops renewing.
      pollingLease = coordination.keepLease({
        name: "telegram-polling",
        ttlMs: config.INSTANCE_LEASE_SECONDS * 1000,
        onAcquired: async () => {
          botRunner = run(bot, botRunnerOptions(conversation.agentKind));
        },
        onLost: async () => {
          if (botRunner?.isRunning()) await botRunner.stop();
          botRunner = null;
        },
      });
      return "polling";
    },
    callResults,
    /** Stops taking work (cron, Telegram updates, HTTP), ends calls politely, lets claimed steps finish, closes the database. */
    async close() {
      await scheduler.stop();
      await pollingLease?.stop();
      if (botRunner?.isRunning()) await botRunner.stop();
      await streams?.shutdown();
      await closeServer(app, connections);
      await live.stop();
      await whatsapp?.idle();
      await campaignEngine.idle();
      // Last: everything that could still use the database has stopped (on SQLite, close waits for a statement in progress).
      await db.close();
    },
  };
}

export type Prospecta = Awaited<ReturnType<typeof buildProspecta>>;

/** How long connections still open at shutdown may take to finish before they are cut. */
const CONNECTION_DRAIN_MS = 3_000;

/** Every connection the server accepted and that is not closed yet, for shutdown. */
function trackConnections(server: Server): Set<Socket> {
  const open = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
  return open;
}

/**
 * Closes the HTTP server: no new connections, requests in progress finish.
 * A connection still open after a short drain is cut, whatever it is: sockets
 * handed to the audio process could keep the server from closing until
 * main.ts gave up (seen on PostgreSQL runs: two connections, no request).
 */
async function closeServer(app: { close(): Promise<void> }, open: Set<Socket>): Promise<void> {
  const cut = setTimeout(() => {
    for (const socket of open) socket.destroy();
  }, CONNECTION_DRAIN_MS);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
}
