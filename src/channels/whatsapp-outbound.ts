/**
 * What campaigns and reminders need to write to a lead on WhatsApp: free text
 * (inside the 24-hour window) or an approved template. The Twilio adapter
 * (whatsapp/whatsapp-sender.ts) implements it; errors are the delivery errors
 * of delivery-errors.ts, with OutsideWindowError for Twilio's 63016.
 */
export interface WhatsAppOutbound {
  sendText(to: string, body: string): Promise<{ sid: string; attempts: number }>;
  sendTemplate(to: string, contentSid: string, variables: Record<string, string>): Promise<{ sid: string; attempts: number }>;
}
