import type { Db } from "../../db/client";
import type { Services } from "../../src/services";
import type { ConversationService } from "../../src/services/conversation-service";

export interface AdminDeps {
  db: Db;
  services: Services;
  conversation: ConversationService;
  adminIds: readonly number[];
}
