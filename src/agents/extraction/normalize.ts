/** Lower case without accents, so "Recámaras", "recamaras" and "RECAMARAS" read the same. */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

const NUMBER_WORDS: Record<string, number> = {
  un: 1, uno: 1, una: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, siete: 7, ocho: 8, nueve: 9, diez: 10,
  once: 11, doce: 12, trece: 13, catorce: 14, quince: 15, dieciseis: 16, diecisiete: 17, dieciocho: 18,
  diecinueve: 19, veinte: 20, veinticinco: 25, treinta: 30, cuarenta: 40, cincuenta: 50, sesenta: 60,
  setenta: 70, ochenta: 80, noventa: 90, cien: 100, doscientos: 200, trescientos: 300, cuatrocientos: 400,
  quinientos: 500, seiscientos: 600, setecientos: 700, ochocientos: 800, novecientos: 900,
};

/** Alternation of the number words, longest first, wrapped in word boundaries ("dos" must not match "todos"). */
export const NUMBER_WORD_PATTERN = `\\b(?:${Object.keys(NUMBER_WORDS).sort((a, b) => b.length - a.length).join("|")})\\b`;

/** "3", "3.5", "3,5", "3,500,000", "tres" → a number (null if not one). */
export function parseNumber(token: string): number | null {
  const word = NUMBER_WORDS[fold(token.trim())];
  if (word !== undefined) return word;
  const clean = token.replace(/\s/g, "");
  // Thousands separators: "3,500,000" or "3.500.000"; a single separator with 1–2 decimals is a decimal point.
  if (/^\d{1,3}([.,]\d{3})+$/.test(clean)) return Number(clean.replace(/[.,]/g, ""));
  const value = Number(clean.replace(",", "."));
  return Number.isFinite(value) ? value : null;
}

/** "dos" → "2", so a timeline reads "2 meses" however the lead wrote it. */
export function numberAsDigits(token: string): string {
  const value = parseNumber(token);
  return value === null ? token : String(value);
}
