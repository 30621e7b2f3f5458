/**
 * Where the lead wants to live: known neighbourhoods, municipalities and
 * cities (matched without accents, shown with them), or a capitalised name
 * after "en", "por", "zona", "colonia"… Several places keep the lead's own
 * joiner: "en la Roma o la Condesa" → "Roma o Condesa".
 */
import { fold } from "./normalize";

const KNOWN_PLACES = [
  // Ciudad de México
  "Roma", "Roma Norte", "Roma Sur", "Condesa", "Hipódromo", "Polanco", "Del Valle", "Narvarte", "Coyoacán", "Santa Fe", "Nápoles",
  "Escandón", "Juárez", "Centro Histórico", "Tlalpan", "Pedregal", "Lomas de Chapultepec", "Las Lomas", "San Ángel", "Xochimilco",
  "Azcapotzalco", "Benito Juárez", "Cuauhtémoc", "Miguel Hidalgo", "Álvaro Obregón", "Iztapalapa", "Coapa", "Lindavista", "Mixcoac",
  "Portales", "Doctores", "Tacubaya", "Anzures", "Cuajimalpa", "Insurgentes", "Villa Coapa", "Granada", "Tlatelolco",
  "CDMX", "Ciudad de México", "DF",
  // Estado de México
  "Interlomas", "Satélite", "Ciudad Satélite", "Naucalpan", "Huixquilucan", "Tlalnepantla", "Ecatepec", "Metepec", "Toluca",
  "Atizapán", "Cuautitlán Izcalli", "Tecámac", "Coacalco", "Bosque Real",
  // Jalisco
  "Guadalajara", "Zapopan", "Tlaquepaque", "Tlajomulco", "Providencia", "Chapalita", "Puerta de Hierro", "Valle Real",
  // Nuevo León
  "Monterrey", "San Pedro Garza García", "San Pedro", "Cumbres", "Apodaca", "Santa Catarina", "Escobedo", "Guadalupe", "Carretera Nacional",
  // Bajío y centro
  "Querétaro", "Juriquilla", "El Marqués", "Corregidora", "Puebla", "Cholula", "Angelópolis", "León", "Aguascalientes",
  "San Luis Potosí", "Morelia", "Cuernavaca", "Pachuca", "San Miguel de Allende",
  // Sureste y norte
  "Mérida", "Cancún", "Playa del Carmen", "Tulum", "Puerto Morelos", "Tijuana", "Mexicali", "Hermosillo", "Chihuahua",
  "Saltillo", "Torreón", "Veracruz", "Boca del Río", "Oaxaca", "Mazatlán", "Puerto Vallarta", "Los Cabos", "La Paz",
];

// Longest first, so "Roma Norte" wins over "Roma" and "San Pedro Garza García" over "San Pedro".
const PLACES = KNOWN_PLACES.map((name) => ({ name, folded: fold(name) })).sort((a, b) => b.folded.length - a.folded.length);

const NOT_PLACES = new Set(
  fold("Infonavit Fovissste Cofinavit Banco Crédito HSBC BBVA Banorte Santander Scotiabank Banamex Citibanamex Inbursa Enero Febrero Marzo Abril Mayo Junio Julio Agosto Septiembre Octubre Noviembre Diciembre Hola Gracias Busco Quiero")
    .split(" "),
);

function knownPlaces(text: string): { name: string; start: number; end: number }[] {
  const folded = fold(text);
  const found: { name: string; start: number; end: number }[] = [];
  for (const place of PLACES) {
    const pattern = new RegExp(`(^|[^a-z0-9])${place.folded.replace(/ /g, "\\s+")}(?=$|[^a-z0-9])`, "g");
    for (const match of folded.matchAll(pattern)) {
      const start = (match.index ?? 0) + match[1]!.length;
      const end = (match.index ?? 0) + match[0].length;
      if (found.some((f) => start < f.end && f.start < end)) continue;
      found.push({ name: place.name, start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

const GENERIC = /(?:\ben|\bpor|\bzona|\bcerca de|\bcolonia|\bcol\.|\brumbo a|\bhacia)\s+(?:la |el |los |las )?((?:[A-ZÁÉÍÓÚÑ][\wáéíóúñü]+)(?:\s+(?:de |del |la |las |los )?[A-ZÁÉÍÓÚÑ][\wáéíóúñü]+)*)/g;

export function extractLocation(text: string): string | null {
  const places = knownPlaces(text);
  if (places.length > 0) {
    const folded = fold(text);
    let result = places[0]!.name;
    for (let i = 1; i < places.length; i++) {
      const between = folded.slice(places[i - 1]!.end, places[i]!.start);
      const joiner = /\bo\b/.test(between) ? " o " : /\by\b/.test(between) ? " y " : ", ";
      result += joiner + places[i]!.name;
    }
    return result;
  }
  for (const match of text.matchAll(GENERIC)) {
    const name = match[1]!;
    if (!NOT_PLACES.has(fold(name.split(/\s+/)[0]!))) return name;
  }
  return null;
}
