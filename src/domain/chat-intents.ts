/**
 * What a lead's free text asks for, before the agents read it: stop messages,
 * start them again, talk to a person, or pick one of the
 * options offered ("1", "el 2", "la segunda", "el jueves"). Pure and shared
 * by every channel.
 */
import type { Choice } from "../channels/channel-port";

export type ChatIntent = "opt_out" | "opt_in" | "handoff";

const OPT_OUT = /^\s*(stop|baja|alto|unsubscribe)\s*[.!]?\s*$|ya no me (escribas|escriban|mandes|manden)|dejen de escribirme|no quiero (recibir )?(m[aá]s )?mensajes/i;
const OPT_IN = /^\s*(alta|start|reanudar)\s*[.!]?\s*$/i;
const HANDOFF = /(hablar|platicar|comunicarme) con (una persona|alguien|un asesor|un humano|un agente)|quiero (un|a un) asesor|p[aá]same (a|con) (un|una) (asesor|persona)/i;

export function readIntent(text: string): ChatIntent | null {
  if (OPT_OUT.test(text)) return "opt_out";
  if (OPT_IN.test(text)) return "opt_in";
  if (HANDOFF.test(text)) return "handoff";
  return null;
}

const ORDINALS = ["primer", "segund", "tercer", "cuart", "quint"];
const WEEKDAYS = ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"];

const plain = (text: string) => text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();

/**
 * The option a short answer names: its number ("2", "el 2", "opción 2"), its
 * ordinal ("la segunda"), or a weekday that only one option has ("el jueves").
 * Null when the text names none, or more than one.
 */
export function pickChoice(text: string, choices: readonly Choice[]): Choice | null {
  const answer = plain(text).trim();
  if (answer.length > 40) return null;
  const number = /^(?:el|la|opcion|#)?\s*(\d{1,2})\s*[.)]?$/.exec(answer.replace(/^(el|la)\s+opcion\s+/, ""));
  if (number) return choices[Number(number[1]) - 1] ?? null;
  const ordinal = ORDINALS.findIndex((stem) => new RegExp(`\\b${stem}(o|a|er)?\\b`).test(answer));
  if (ordinal >= 0) return choices[ordinal] ?? null;
  const weekday = WEEKDAYS.findIndex((day) => new RegExp(`\\b${plain(day)}\\b`).test(answer));
  if (weekday >= 0) {
    const matching = choices.filter((choice) => plain(choice.label).includes(plain(WEEKDAYS[weekday]!)));
    return matching.length === 1 ? matching[0]! : null;
  }
  return null;
}
