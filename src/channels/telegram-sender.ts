/**
 * Sends text to a Telegram chat through the process's one grammY Api (the
 * bot's), whose limits and retries are installed once (telegram-limits.ts).
 * Errors come out classified by what the caller may do next:
 * - permanent: will fail again (the user blocked the bot, the chat is gone);
 * - transient: certainly not delivered, and the retry layer already gave up;
 * - unknown: the request may have reached Telegram; never send it again blindly.
 */
import { GrammyError, HttpError, type Api } from "grammy";
import { DeliveryError, PermanentDeliveryError, TransientDeliveryError, UnknownDeliveryError } from "./delivery-errors";
import { attemptsMade, networkCode, neverReachedTelegram } from "./telegram-retry";

export { PermanentDeliveryError, TransientDeliveryError, UnknownDeliveryError } from "./delivery-errors";

export interface SentMessage {
  message_id: number;
  /** Attempts the retry layer made (1 when the first one went through). */
  attempts: number;
}

export interface TextSender {
  sendText(chatId: number, text: string): Promise<SentMessage>;
}

/** A TextSender over `api`: pass the bot's Api, so every message shares one throttler and one retry layer. */
export function createTelegramSender(api: Api): TextSender & { api: Api } {
  return {
    api,
    async sendText(chatId, text) {
      // Our own payload object, so the retry layer's attempt count can be read back from it.
      const payload = { chat_id: chatId, text };
      try {
        const message = await api.raw.sendMessage(payload);
        return { message_id: message.message_id, attempts: attemptsMade(payload) };
      } catch (error) {
        const classified = classifyTelegramError(error);
        if (classified instanceof DeliveryError) classified.attempts = attemptsMade(payload);
        throw classified;
      }
    },
  };
}

export function classifyTelegramError(error: unknown): Error {
  if (error instanceof GrammyError) {
    const description = `Telegram ${error.error_code}: ${error.description}`;
    if (error.error_code === 403 || (error.error_code === 400 && /chat not found|user is deactivated|PEER_ID_INVALID/i.test(error.description))) {
      return new PermanentDeliveryError(description, true);
    }
    if (error.error_code === 429 || error.error_code >= 500) return new TransientDeliveryError(description);
    return new PermanentDeliveryError(description, false);
  }
  if (error instanceof HttpError) {
    const code = networkCode(error);
    return neverReachedTelegram(error.error)
      ? new TransientDeliveryError(`Sin conexión con Telegram (${code}): el mensaje no salió`)
      : new UnknownDeliveryError(`Telegram no confirmó el envío (${code})`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
