/**
 * Where the lead wants to live: known neighbourhoods, municipalities and
 * cities (matched without accents, shown with them), or a capitalised name
 * after "en", "por", "zona", "colonia"… Several places keep the lead's own
 * joiner: "en la Roma o la Condesa" → "Roma o Condesa". Places the lead
 * rules out ("no en Ecatepec") or comes from ("soy de Monterrey") are not
 * where they want to live, when another place is named.
 */
import { KNOWN_PLACES } from "./known-places";
import { fold } from "./normalize";

interface PlaceMention {
  name: string;
  start: number;
  end: number;
}

// Longest first, so "Roma Norte" wins over "Roma" and "San Pedro Garza García" over "San Pedro".
const PLACES = KNOWN_PLACES.map((name) => ({ name, folded: fold(name) })).sort((a, b) => b.folded.length - a.folded.length);

// Capitalised words that follow "en" without being a place: banks, credits, months, days, greetings, employers.
const NOT_PLACES = new Set(
  fold(
    "Infonavit Fovissste Cofinavit Banco Crédito HSBC BBVA Banorte Santander Scotiabank Banamex Citibanamex Inbursa Pemex CFE IMSS ISSSTE " +
      "Enero Febrero Marzo Abril Mayo Junio Julio Agosto Septiembre Octubre Noviembre Diciembre " +
      "Lunes Martes Miércoles Jueves Viernes Sábado Domingo Hola Gracias Busco Quiero Renta Venta Efectivo Contado WhatsApp Facebook " +
      "Casa Casita Depa Depto Departamento Terreno Lote Local Oficina Bodega Hasta Presupuesto",
  ).split(" "),
);

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s+");
}

// `firstWord`: a place can only match where its first word is written as is (only spaces stretch), so a
// cheap `includes` skips most of the ~300 patterns for a message (they were 3% of the bot's CPU, run one by one).
const MATCHERS = PLACES.map((place) => ({
  ...place,
  firstWord: place.folded.split(" ")[0]!,
  pattern: new RegExp(`(^|[^a-z0-9])${escape(place.folded)}(?=$|[^a-z0-9])`, "g"),
}));

function knownPlaces(folded: string): PlaceMention[] {
  const found: PlaceMention[] = [];
  for (const place of MATCHERS) {
    if (!folded.includes(place.firstWord)) continue;
    for (const match of folded.matchAll(place.pattern)) {
      const start = (match.index ?? 0) + match[1]!.length;
      const end = (match.index ?? 0) + match[0].length;
      if (found.some((f) => start < f.end && f.start < end)) continue;
      found.push({ name: place.name, start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

const CUE = `(?:\\ben|\\bpor|\\bzona(?: de)?|\\bcerca de(?:l)?|\\bcolonia|\\bcol\\.?|\\bfracc?(?:ionamiento)?\\.?|\\brumbo (?:a|de)|\\bhacia|\\b(?:depa|depto|casa|terreno|lote|el|la) de)`;
const GENERIC = new RegExp(
  `${CUE}\\s+(?:la |el |los |las )?((?:[A-ZÁÉÍÓÚÑ][\\wáéíóúñü.]*)(?:\\s+(?:de |del |la |las |los )?[A-ZÁÉÍÓÚÑ][\\wáéíóúñü]+)*)`,
  "g",
);

function genericPlaces(text: string): PlaceMention[] {
  const found: PlaceMention[] = [];
  for (const match of text.matchAll(GENERIC)) {
    const name = match[1]!;
    if (NOT_PLACES.has(fold(name.split(/\s+/)[0]!))) continue;
    const start = (match.index ?? 0) + match[0].length - name.length;
    found.push({ name, start, end: start + name.length });
  }
  return found;
}

const RULED_OUT = /\bno\s+((busco|buscamos|quiero|queremos|me interesa|en|por)\s+)*(en\s+|por\s+)?(la\s+|el\s+)?$/;
const ORIGIN = /\b(soy de|somos de|vivo en|vivimos en|estoy en|estamos en|trabajo en|me mudo de|salgo de)\s+(la\s+|el\s+)?$/;

/** Drops places the lead rules out, and where they come from when they also say where they want to go. */
function wantedPlaces(folded: string, places: PlaceMention[]): PlaceMention[] {
  const kept = places.filter((place) => !RULED_OUT.test(folded.slice(Math.max(0, place.start - 30), place.start)));
  const wanted = kept.filter((place) => !ORIGIN.test(folded.slice(Math.max(0, place.start - 20), place.start)));
  return wanted.length > 0 ? wanted : kept;
}

function joinPlaces(folded: string, places: PlaceMention[]): string {
  let result = places[0]!.name;
  for (let i = 1; i < places.length; i++) {
    const between = folded.slice(places[i - 1]!.end, places[i]!.start);
    const joiner = /\bo\b/.test(between) ? " o " : /\by\b/.test(between) ? " y " : ", ";
    result += joiner + places[i]!.name;
  }
  return result;
}

const CAPITALISED_TAIL = /^(?:\s+(?:de |del |la |las |los )?[A-ZÁÉÍÓÚÑ][\wáéíóúñü]+)+/;

/** "Lomas Altas" is not "Lomas": a known name followed by more capitalised words keeps them. */
function withCapitalisedTail(text: string, places: PlaceMention[]): PlaceMention[] {
  return places.map((place) => {
    const tail = CAPITALISED_TAIL.exec(text.slice(place.end))?.[0];
    if (!tail) return place;
    const end = place.end + tail.length;
    const clashes = places.some((other) => other.start >= place.end && other.start < end);
    const words = fold(tail).trim().split(/\s+/);
    if (clashes || words.some((word) => NOT_PLACES.has(word))) return place;
    return { name: place.name + tail.replace(/\s+/g, " "), start: place.start, end };
  });
}

export function extractLocation(original: string): string | null {
  // Composed accents keep folded and original offsets aligned (fold drops only the combining marks).
  const text = original.normalize("NFC");
  const folded = fold(text);
  // A known place is trusted anywhere; an unknown one only after a place cue, written with a capital.
  const known = wantedPlaces(folded, withCapitalisedTail(text, knownPlaces(folded)));
  if (known.length > 0) return joinPlaces(folded, known);
  const generic = wantedPlaces(folded, genericPlaces(text));
  return generic.length > 0 ? joinPlaces(folded, generic) : null;
}
