/** The non-money facts: property type, bedrooms, purpose, timeline, credit type, pre-approval. */
import type { CreditType } from "../../domain/vocabulary";
import type { PROPERTY_TYPES } from "../lead-facts";
import { fold, NUMBER_WORD_PATTERN, numberAsDigits, parseNumber } from "./normalize";

type PropertyType = (typeof PROPERTY_TYPES)[number];

// "ksa" and "canton" are WhatsApp/slang for a house; "depa", "depto", "dpto" for an apartment.
const PROPERTY_WORDS: [RegExp, PropertyType][] = [
  [/\b(departamentos?|departamentitos?|depas?|depitas?|deptos?|dptos?|dpts?|apartamentos?|aptos?|penthouse|ph|loft|estudio amueblado)\b/g, "departamento"],
  [/\b(casas?|casitas?|ksas?|canton|residencia|townhouse|chalet)\b/g, "casa"],
  [/\b(terrenos?|terrenitos?|lotes?|predios?)\b/g, "terreno"],
  [/\b(local(es)?( comercial(es)?)?)\b/g, "local"],
  [/\b(oficinas?|consultorios?)\b/g, "oficina"],
  [/\b(bodegas?|naves? industrial(es)?)\b/g, "bodega"],
];

const NEGATED = /(\bno\b( (busco|buscamos|quiero|queremos|me interesa|nos interesa|es|necesito))?( una?)?|\bni|\bya no( (busco|quiero))?( una?)?|\bsin)\s*$/;

/** The last type mentioned that is not negated ("no busco casa, busco depa" → departamento); none when the lead hesitates ("depa o casa"). */
export function extractPropertyType(text: string): PropertyType | null {
  const folded = fold(text);
  const mentions: { type: PropertyType; at: number; end: number }[] = [];
  for (const [pattern, type] of PROPERTY_WORDS) {
    for (const match of folded.matchAll(pattern)) {
      const at = match.index ?? 0;
      const before = folded.slice(Math.max(0, at - 22), at);
      // "en el local", "zona local": the adjective, not a shop.
      if (type === "local" && !/comercial/.test(match[0]) && /\b(en|zona|del?|lo)\s+(el\s+)?$/.test(before)) continue;
      // "ya no depa" after the type it replaces: "mejor casa, ya no depa".
      if (NEGATED.test(before)) continue;
      // Where the lead lives now ("vendí mi depa", "trabajo desde casa"), not what they look for.
      if (/\b(mi|mis|nuestra|nuestro|nuestras|nuestros|desde)\s+$/.test(before) || /\b(salir\w*|vend\w*)\s+(del|de la|de mi|mi|el|la)?\s*$/.test(before) || (type === "casa" && /\b(en|a)\s+$/.test(before) && !/\bcasas?\s+(en|de|con|para)\b/.test(folded.slice(at)))) continue;
      mentions.push({ type, at, end: at + match[0].length });
    }
  }
  mentions.sort((a, b) => a.at - b.at);
  const last = mentions.at(-1);
  if (!last) return null;
  const previous = mentions.at(-2);
  if (previous && previous.type !== last.type && /^\s*(o|u|o una?|o un)\s*$/.test(folded.slice(previous.end, last.at))) return null;
  return last.type;
}

export function extractBedrooms(text: string): number | null {
  // "de 3 a 4 recámaras" counts the smaller number: the least the lead needs.
  const pattern = new RegExp(`(\\d+|${NUMBER_WORD_PATTERN})\\s*(?:(?:a|o|y|-)\\s*(?:\\d+|${NUMBER_WORD_PATTERN})\\s*)?(recamaras?|recamras?|cuartos?|habitacion(es)?|habs?|recs?|dormitorios?)\\b`, "g");
  for (const match of fold(text).matchAll(pattern)) {
    // "rentar un cuarto" is a room to rent, not a bedroom count.
    if (/^un[oa]?$/.test(match[1]!) && /^(cuarto|habitacion)$/.test(match[2]!)) continue;
    const count = parseNumber(match[1]!);
    if (count !== null && count >= 0 && count <= 20) return count;
  }
  return null;
}

const NOT_BEFORE_VERB = /\bno\s+((lo\s+)?(quiero|queremos|busco|buscamos|es|seria|pienso)\s+)?(para\s+)?$/;

/** Renting or buying: the last verb that is not negated wins ("es para rentar, no para comprar" → renta). */
export function extractPurpose(text: string): "compra" | "renta" | null {
  const folded = fold(text);
  const verbs = [
    ...[...folded.matchAll(/\b(rentar|renta|rento|arrendar|alquilar|alquiler)\b/g)].map((m) => ({ purpose: "renta" as const, at: m.index ?? 0 })),
    ...[...folded.matchAll(/\b(comprar|compra|compro|adquirir|invertir|inversion)\b/g)].map((m) => ({ purpose: "compra" as const, at: m.index ?? 0 })),
  ]
    .filter((verb) => !NOT_BEFORE_VERB.test(folded.slice(Math.max(0, verb.at - 30), verb.at)))
    .sort((a, b) => a.at - b.at);
  const last = verbs.at(-1);
  if (last) return last.purpose;
  // Living there, or paying with a credit or cash, means buying unless rent was said.
  if (/\bpara vivir\b/.test(folded) || extractCreditType(text) !== null) return "compra";
  return null;
}

const MONTHS = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre";

export function extractTimeline(text: string): string | null {
  const folded = fold(text);
  if (/(lo antes posible|\burge\b|\burgente\b|cuanto antes|\binmediat|\bya mismo\b|de inmediato|\basap\b|lo mas pronto)/.test(folded)) return "lo antes posible";
  const span = new RegExp(`\\b(?:en|dentro de) (?:unos |los proximos |las proximas |mas o menos |como )?(\\d+|${NUMBER_WORD_PATTERN}|medio) (meses|mes|anos|ano|semanas|semana)\\b`).exec(folded);
  if (span) {
    const unit = span[2]!.replace("ano", "año");
    return span[1] === "medio" ? `medio ${unit}` : `${numberAsDigits(span[1]!)} ${unit}`;
  }
  if (/(proximo ano|ano que entra|siguiente ano|el otro ano|ano que viene)/.test(folded)) return "el próximo año";
  if (/(este ano|antes de que acabe el ano|fin de ano|finales de ano)/.test(folded)) return "este año";
  const month = new RegExp(`\\b(?:para|en|antes de|a mas tardar en) (${MONTHS})\\b`).exec(folded);
  if (month) return month[1]!;
  if (/(sin prisa|no tengo prisa|no hay prisa|solo estoy viendo|nomas viendo|explorando)/.test(folded)) return "sin prisa";
  return null;
}

export function extractCreditType(text: string): CreditType | null {
  const folded = fold(text);
  if (/\bcofinavit\b/.test(folded)) return "cofinavit";
  if (/\binfonavit\b/.test(folded)) return "infonavit";
  if (/\bfovis+s?te\b/.test(folded)) return "fovissste";
  if (/(de contado|al contado|\bcontado\b|en efectivo|\bcash\b|recursos propios)/.test(folded)) return "contado";
  if (/(credito bancario|hipoteca|credito hipotecario|\bbanco\b|\bbancario\b|bbva|banorte|santander|hsbc|scotiabank|banamex|banregio|afirme)/.test(folded)) return "bancario";
  if (/(credito|prestamo) (de |del |por )?(mi |el )?(trabajo|empresa|issfam|pemex|cfe)/.test(folded)) return "otro";
  return null;
}

export function extractPreapproved(text: string): boolean | null {
  const folded = fold(text);
  const match = /(pre-? ?calificad|pre-? ?aprobad|pre-? ?calificacion|pre-? ?aprobacion|precalificaron|preaprobaron|ya me aprobaron|ya tengo aprobado)/.exec(folded);
  if (!match) return null;
  const before = folded.slice(Math.max(0, (match.index ?? 0) - 20), match.index ?? 0);
  return !/\b(no|aun no|todavia no|sin)\b/.test(before);
}
