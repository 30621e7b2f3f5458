/**
 * The offline extractor: deterministic Spanish (Mexican phrasing) reading of
 * one lead message into lead facts, with no LLM. It also completes and checks
 * what an LLM returns. Only the facts the message states are returned.
 */
import type { LeadFacts } from "./lead-facts";
import { extractMoney } from "./extraction/money";
import { extractLocation } from "./extraction/places";
import { extractBedrooms, extractCreditType, extractPreapproved, extractPropertyType, extractPurpose, extractTimeline } from "./extraction/profile";

export function extractLeadFacts(text: string): LeadFacts {
  const facts: LeadFacts = { ...extractMoney(text) };
  const set = <K extends keyof LeadFacts>(key: K, value: LeadFacts[K] | null) => {
    if (value !== null && value !== undefined) facts[key] = value;
  };
  set("property_type", extractPropertyType(text));
  set("location", extractLocation(text));
  set("bedrooms", extractBedrooms(text));
  set("purpose", extractPurpose(text));
  set("timeline", extractTimeline(text));
  set("credit_type", extractCreditType(text));
  set("preapproved", extractPreapproved(text));
  return facts;
}
