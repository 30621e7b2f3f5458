/** The Tablero: one column per stage with its count and its newest cards. */
import type { FastifyInstance } from "fastify";
import { readBoard } from "../board";
import { HIDDEN, type PageKit } from "../deps";
import { frameOf } from "../session-guard";

export function boardRoutes(admin: FastifyInstance, { deps, render }: PageKit): void {
  admin.get("/tablero", HIDDEN, async (request, reply) => {
    const columns = await readBoard(deps.services.pipeline, deps.clock.now());
    return render(reply, "board", { ...frameOf(request, "Tablero", "tablero"), columns });
  });
}
