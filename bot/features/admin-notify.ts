/** Messages to the admins' chat (TELEGRAM_ADMIN_CHAT_ID) about leads that need a person's eye. */
export { leadLine } from "../../src/domain/admin-messages";
