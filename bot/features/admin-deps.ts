import type { Database } from "../../db/database";
import type { Services } from "../../src/services";
import type { ConversationService } from "../../src/services/conversation-service";

export interface AdminDeps {
  db: Database;
  services: Services;
  conversation: ConversationService;
  adminIds: readonly number[];
}
