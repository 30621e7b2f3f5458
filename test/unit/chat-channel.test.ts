import { describe, expect, it } from "vitest";
import { chooseChatChannel, type ChatAddresses } from "../../src/domain/chat-channel";
import type { Channel } from "../../src/domain/vocabulary";

const GONE = new Date("2026-01-10T00:00:00Z");
const none: ChatAddresses = { telegram_chat_id: null, telegram_unreachable_at: null, whatsapp_id: null, phone: null, whatsapp_unreachable_at: null };
const both: ChatAddresses = { ...none, telegram_chat_id: 42, whatsapp_id: "5215550002222" };
const ALL = { telegram: true, whatsapp: true };

const CASES: Array<{ name: string; lead: ChatAddresses; last: Channel | null; available?: typeof ALL; expected: Channel | null }> = [
  { name: "the channel the lead last wrote on", lead: both, last: "whatsapp", expected: "whatsapp" },
  { name: "Telegram first when the lead never wrote", lead: both, last: null, expected: "telegram" },
  { name: "WhatsApp by phone alone when the lead has no WhatsApp id", lead: { ...none, phone: "+525512345678" }, last: null, expected: "whatsapp" },
  { name: "another channel when the last one refused the lead for good", lead: { ...both, whatsapp_unreachable_at: GONE }, last: "whatsapp", expected: "telegram" },
  { name: "another channel when this installation has no WhatsApp", lead: both, last: "whatsapp", available: { telegram: true, whatsapp: false }, expected: "telegram" },
  { name: "none when the only address refused the lead", lead: { ...none, telegram_chat_id: 42, telegram_unreachable_at: GONE }, last: "telegram", expected: null },
  { name: "none for a lead with no chat address", lead: none, last: null, expected: null },
  { name: "none when the installation has neither channel", lead: both, last: "telegram", available: { telegram: false, whatsapp: false }, expected: null },
];

describe("which chat channel a message to a lead goes on", () => {
  it.each(CASES)("$name", ({ lead, last, available, expected }) => {
    expect(chooseChatChannel(lead, last, available ?? ALL)).toBe(expected);
  });
});
