/**
 * Booking in chat: an approved lead gets three free slots as inline buttons;
 * pressing one books it (Google Meet link when Google Calendar is configured).
 */
import { Composer, InlineKeyboard } from "grammy";
import { z } from "zod";
import type { Lead } from "../../db/schema";
import { formatAppointmentDate } from "../../src/domain/templates";
import { DomainError } from "../../src/errors";
import type { BookingService } from "../../src/services/booking-service";
import type { ConversationService } from "../../src/services/conversation-service";
import type { Logger } from "../../src/logger";
import { chatIdentity, type BotContext } from "../context";
import { leadLine, notifyAdmins } from "./admin-notify";

const BOOK_PREFIX = "book:";

export interface BookingFeatureDeps {
  booking: BookingService;
  conversation: ConversationService;
  timeZone: string;
  adminChatId: number | null;
  log: Logger;
}

/**
 * A slot button's data as offerSlots writes it: the prefix and the start in
 * minutes since the epoch. Callback data is whatever the client sends back,
 * so anything else (another format, an absurd number) is no slot at all.
 */
const slotButton = z
  .string()
  .regex(new RegExp(`^${BOOK_PREFIX}\\d{1,10}$`))
  .transform((data) => new Date(Number(data.slice(BOOK_PREFIX.length)) * 60_000));

const CALENDAR_DOWN = "No pude consultar la agenda en este momento. Escríbeme «horarios» en unos minutos y te comparto opciones.";

/** Sends the slot buttons; called after a turn that made the lead ready to book. A calendar failure gets a plain answer. */
export async function offerSlots(ctx: BotContext, lead: Lead, deps: BookingFeatureDeps): Promise<void> {
  let slots: Awaited<ReturnType<BookingService["offerSlots"]>>;
  try {
    slots = await deps.booking.offerSlots(lead.id);
  } catch (error) {
    deps.log.error({ err: error, lead_id: lead.id }, "calendar unavailable while offering slots");
    deps.conversation.storeReply(lead, CALENDAR_DOWN, "agenda");
    await ctx.reply(CALENDAR_DOWN);
    return;
  }
  if (slots.length === 0) {
    await ctx.reply("Ahora no encuentro horarios libres; un asesor te escribirá para acordar uno.");
    return;
  }
  const keyboard = new InlineKeyboard();
  for (const slot of slots) {
    // Minutes since the epoch keep callback_data well under Telegram's 64 bytes.
    keyboard.text(formatAppointmentDate(slot.start, lead.timezone ?? deps.timeZone), `${BOOK_PREFIX}${Math.round(slot.start.getTime() / 60_000)}`).row();
  }
  const text = "Estos son los horarios disponibles para tu cita con un asesor (hora del centro de México):";
  deps.conversation.storeReply(lead, text, "agenda");
  await ctx.reply(text, { reply_markup: keyboard });
}

export function bookingFeature(deps: BookingFeatureDeps) {
  const feature = new Composer<BotContext>();
  feature.callbackQuery(new RegExp(`^${BOOK_PREFIX}`), async (ctx) => {
    const identity = chatIdentity(ctx);
    const slot = slotButton.safeParse(ctx.callbackQuery.data);
    if (!identity) return ctx.answerCallbackQuery();
    if (!slot.success) return ctx.answerCallbackQuery({ text: "Ese botón ya no es válido; pídeme «horarios» y te comparto opciones.", show_alert: true });
    const start = slot.data;
    const { lead } = deps.conversation.findOrCreateLead(identity, null);
    try {
      const booked = await deps.booking.book(lead.id, start, "bot:lead");
      await ctx.answerCallbackQuery({ text: "Cita agendada" });
      deps.conversation.storeReply(booked.lead, booked.reply, "agenda");
      await ctx.reply(booked.reply);
      const when = formatAppointmentDate(booked.appointment.starts_at, deps.timeZone);
      await notifyAdmins(ctx.api, deps.adminChatId, `📅 Cita agendada el ${when}: ${leadLine(booked.lead)}${booked.appointment.meet_link ? `\n${booked.appointment.meet_link}` : ""}`, deps.log);
    } catch (error) {
      if (error instanceof DomainError) {
        await ctx.answerCallbackQuery({ text: error.message, show_alert: true });
        await offerSlots(ctx, lead, deps);
        return;
      }
      // The calendar failed: nothing was booked; the lead can press again or ask later.
      deps.log.error({ err: error, lead_id: lead.id }, "calendar unavailable while booking");
      await ctx.answerCallbackQuery({ text: "No pude agendar en este momento; inténtalo de nuevo en unos minutos.", show_alert: true });
    }
  });
  return feature;
}
