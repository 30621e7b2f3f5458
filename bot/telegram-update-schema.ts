/**
 * The parts of a Telegram update the bot reads (https://core.telegram.org/bots/api#update),
 * as a zod schema. grammY types updates but does not check them: a field of
 * the wrong type (text that is not a string, a chat without an id) would
 * reach a feature and throw there. Objects are loose: Telegram adds fields,
 * and kinds of update we do not read pass untouched.
 */
import { z } from "zod";

const id = z.number().int();
const user = z.looseObject({
  id,
  is_bot: z.boolean(),
  first_name: z.string().max(1024),
  last_name: z.string().max(1024).optional(),
  username: z.string().max(256).optional(),
  language_code: z.string().max(35).optional(),
});
const chat = z.looseObject({ id, type: z.enum(["private", "group", "supergroup", "channel"]) });
const message = z.looseObject({
  message_id: id,
  date: id,
  chat,
  from: user.optional(),
  // Telegram caps a message at 4,096 characters; entities may make the UTF-16 length a little longer.
  text: z.string().max(8192).optional(),
  contact: z
    .looseObject({ phone_number: z.string().max(64), first_name: z.string().max(1024), last_name: z.string().max(1024).optional(), user_id: id.optional() })
    .optional(),
});
const callbackQuery = z.looseObject({
  id: z.string().max(256),
  from: user,
  chat_instance: z.string().max(256).optional(),
  data: z.string().max(256).optional(),
  message: z.looseObject({ message_id: id, date: id, chat }).optional(),
});

export const telegramUpdateSchema = z.looseObject({
  update_id: id,
  message: message.optional(),
  edited_message: message.optional(),
  callback_query: callbackQuery.optional(),
});
