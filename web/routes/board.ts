/**
 * The Tablero: one column per stage with its count and newest cards, under the person's filters;
 * a column's further pages as people scroll. The filters are a plain GET form, so the board works
 * without JavaScript; with htmx a change swaps only the board.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { boardColumn, boardCard, CARDS_PER_COLUMN, CARDS_PER_PAGE, countText, leadName, nextCursor, STAGE_CHOICES } from "../board";
import { boardQueryOf, filtersQueryString, parseBoardFilters, parseColumnRequest, parseMoveRequest, type BoardFilters } from "../board-query";
import { HIDDEN, type PageKit } from "../deps";
import { isHtmxRequest } from "../views";
import { actorOf, frameOf, personOf } from "../session-guard";
import { csrfTokenFor } from "../csrf";
import { NOTICE_TARGET } from "../page-errors";
import { STAGE_LABELS } from "../../src/domain/vocabulary";
import { ForbiddenError, StageMoveRefusedError } from "../../src/errors";

/** What the lead's stage history says of a move made here. */
const MOVE_REASON = "Movido desde el tablero";
const BOARD_PATH = "/admin/tablero";

/** Where a move made without JavaScript goes back to: the board the person was on, with its filters. */
function boardToReturnTo(request: FastifyRequest): string {
  const referer = request.headers.referer;
  if (!referer) return BOARD_PATH;
  try {
    const url = new URL(referer);
    return url.host === request.host && url.pathname === BOARD_PATH ? `${url.pathname}${url.search}` : BOARD_PATH;
  } catch {
    return BOARD_PATH;
  }
}

function isBoardSwap(request: FastifyRequest): boolean {
  return isHtmxRequest(request) && request.headers["hx-target"] === "tablero" && request.headers["hx-history-restore-request"] !== "true";
}

/** What every board template reads beside its own data. */
export function boardViewData(request: FastifyRequest, filters: BoardFilters) {
  return {
    filters,
    query: filtersQueryString(filters),
    csrf: csrfTokenFor(personOf(request).token),
    stages: STAGE_CHOICES,
    countText,
  };
}

export function boardRoutes(admin: FastifyInstance, { deps, render }: PageKit): void {
  const { board } = deps.services;

  admin.get("/tablero", HIDDEN, async (request, reply) => {
    const filters = parseBoardFilters(request.query);
    const swap = isBoardSwap(request);
    const started = performance.now();
    const [columns, sources] = await Promise.all([board.columns(boardQueryOf(filters), CARDS_PER_COLUMN), swap ? ([] as string[]) : board.listSources()]);
    // `void`: a reply is thenable (it settles once sent); setting a header returns it, nothing to wait for.
    void reply.header("server-timing", `db;dur=${(performance.now() - started).toFixed(1)}`);
    const now = deps.clock.now();
    // A source in the URL that no lead has (any more) stays selectable, so the form shows what filters.
    if (filters.fuente && !sources.includes(filters.fuente)) sources.push(filters.fuente);
    const data = { ...boardViewData(request, filters), columns: columns.map((column) => boardColumn(column, now)), sources };
    if (swap) return render.fragment(reply, "board-swap", data);
    return render(reply, "board", { ...frameOf(request, "Tablero", "tablero"), scripts: ["live.js", "board.js"], styles: ["board.css"], ...data });
  });

  // With `despues`: the next page of cards, in place of the sentinel that asked. Without: the whole
  // column again (count and newest cards), for board.js when a lead moved elsewhere.
  admin.get("/tablero/columna/:etapa", HIDDEN, async (request, reply) => {
    const { stage, filters, after } = parseColumnRequest(request.params, request.query);
    const query = boardQueryOf(filters);
    const now = deps.clock.now();
    if (after) {
      const page = await board.columnPage(stage, query, after, CARDS_PER_PAGE);
      const cards = page.cards.map((row) => boardCard(row, now));
      return render.fragment(reply, "board-page", { ...boardViewData(request, filters), stage, cards, next: nextCursor(page.next) });
    }
    const [page, counts] = await Promise.all([board.columnPage(stage, query, null, CARDS_PER_COLUMN), board.counts(query)]);
    const column = boardColumn({ stage, count: counts[stage], ...page }, now);
    return render.fragment(reply, "board-column", { ...boardViewData(request, filters), column, title: STAGE_LABELS[stage] });
  });

  // A card's "Mover a…" form, and board.js's drop, which submits that same form: one path.
  admin.post("/tablero/leads/:id/mover", HIDDEN, async (request, reply) => {
    const { leadId, stage, force, filters } = parseMoveRequest(request.params, request.body);
    const isAdmin = personOf(request).user.role === "admin";
    // Checked here again: the button is shown to admins only, but a request can be written by hand.
    if (force && !isAdmin) throw new ForbiddenError("Solo un administrador puede forzarlo.");
    let change;
    try {
      change = await deps.services.pipeline.moveLeadToStage(leadId, { new_stage: stage, reason: MOVE_REASON, force }, actorOf(request));
    } catch (error) {
      if (!(error instanceof StageMoveRefusedError)) throw error;
      const lead = await deps.services.leads.requireLead(leadId);
      const refusal = {
        ...boardViewData(request, filters),
        leadId,
        name: leadName(lead),
        stage,
        stageTitle: STAGE_LABELS[stage],
        reason: error.reason,
        forceable: error.forceable,
        isAdmin,
      };
      const conflict = reply.code(409);
      if (isHtmxRequest(request)) return render.fragment(conflict.header("hx-retarget", NOTICE_TARGET).header("hx-reswap", "innerHTML"), "board-refused", refusal);
      return render(conflict, "board-refused-page", { ...frameOf(request, "No se movió el lead", "tablero"), styles: ["board.css"], back: boardToReturnTo(request), ...refusal });
    }
    if (!isHtmxRequest(request)) return reply.redirect(boardToReturnTo(request), 303);
    const counts = await board.counts(boardQueryOf(filters));
    const card = boardCard(change.lead, deps.clock.now());
    return render.fragment(reply, "board-moved", {
      ...boardViewData(request, filters),
      card,
      from: change.from_stage,
      counts,
      status: `${card.name} movida a ${STAGE_LABELS[change.to_stage]}`,
    });
  });
}
