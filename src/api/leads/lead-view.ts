/**
 * A lead as the API answers it: its stored fields plus `channels`, computed
 * from them, so an API client need not know which fields mean a channel.
 */
import type { Lead } from "../../../db/schema";
import { contactChannels, type ContactChannel } from "../../domain/contact-channels";

export function leadView<T extends Lead>(lead: T): T & { channels: ContactChannel[] } {
  return { ...lead, channels: contactChannels(lead) };
}

/** A page of leads, each as leadView. */
export function leadPageView<P extends { items: Lead[] }>(page: P): Omit<P, "items"> & { items: (Lead & { channels: ContactChannel[] })[] } {
  return { ...page, items: page.items.map(leadView) };
}
