/**
 * Amounts of money in Mexican phrasing, and what each one is: a budget (with
 * its range), a monthly income, or a down payment. "3.5 millones", "3 mdp",
 * "$3,500,000", "entre 2 y 3 millones", "unos 25 mil al mes", "medio millón".
 */
import { fold, NUMBER_WORD_PATTERN, parseNumber } from "./normalize";

export interface MoneyFacts {
  budget_min?: number;
  budget_max?: number;
  currency?: "MXN" | "USD";
  monthly_income?: number;
  down_payment?: number;
}

const NUM = `(?:\\d{1,3}(?:[.,]\\d{3})+|\\d+(?:[.,]\\d+)?|${NUMBER_WORD_PATTERN})`;
// "m" and "k" only as whole words, so "300 m2" stays square metres. "melones" is slang for millions.
const UNIT = `(?:millones|millon|mdp|melones|mills?\\b|mm\\b|m\\b|mil\\b|k\\b)`;
const AMOUNT = new RegExp(
  `(\\$\\s*)?(${NUM})(\\s*${UNIT})?(\\s*y\\s*medio)?(?!\\s*%)|\\b(medio\\s+millon)|\\b(millon\\s+y\\s+medio)`,
  "g",
);

interface Amount {
  value: number;
  start: number;
  end: number;
  /** A number with no unit nor "$" (a count, a phone piece, or the first end of "entre 2 y 3 millones"). */
  bare: boolean;
  unit: "millon" | "mil" | null;
}

type Role = "budget" | "income" | "down_payment" | "ignored";

function unitOf(raw: string | undefined): Amount["unit"] {
  if (!raw) return null;
  return /^(mil|k)$/.test(raw.trim()) ? "mil" : "millon";
}

const FACTOR = { millon: 1_000_000, mil: 1_000 } as const;

/** Every amount in `text` (already folded), skipping phone numbers and years; small bare counts are kept, marked bare. */
function findAmounts(text: string): Amount[] {
  const amounts: Amount[] = [];
  for (const match of text.matchAll(AMOUNT)) {
    const start = match.index ?? 0;
    const end = start + match[0].length;
    if (match[5] || match[6]) {
      amounts.push({ value: match[5] ? 500_000 : 1_500_000, start, end, bare: false, unit: "millon" });
      continue;
    }
    const raw = match[2]!;
    const number = parseNumber(raw);
    if (number === null) continue;
    const unit = unitOf(match[3]);
    const digits = raw.replace(/\D/g, "");
    const bare = !unit && !match[1];
    // A phone number (or a piece of one: "33 1234 5678") or a year is never money.
    if (bare && (digits.length >= 10 || (digits.length === 4 && /^(19|20)\d\d$/.test(digits)))) continue;
    if (bare && /^\s*\d{3,4}\b/.test(text.slice(end)) && !/[.,]/.test(raw)) continue;
    let value = unit ? number * FACTOR[unit] : number;
    if (match[4]) value += unit ? FACTOR[unit] / 2 : 0.5;
    amounts.push({ value, start, end, bare: bare && value < 10_000, unit });
  }
  return joinCompoundAmounts(text, amounts);
}

/** "2 millones 800" and "2 millones quinientos mil" are one amount, not two. */
function joinCompoundAmounts(text: string, amounts: Amount[]): Amount[] {
  const joined: Amount[] = [];
  for (const amount of amounts) {
    const previous = joined.at(-1);
    const between = previous ? text.slice(previous.end, amount.start) : "";
    const rest = amount.unit === "mil" ? amount.value : amount.bare && amount.value < 1000 ? amount.value * 1000 : null;
    const ownRole = AFTER_ROLE.find(([pattern]) => pattern.test(text.slice(amount.end, amount.end + 30)))?.[1];
    const joinable = /^\s*(y\s+)?$/.test(between) && !/entre\s+\S+\s*$/.test(text.slice(0, previous?.start ?? 0)) && (ownRole ?? "budget") === "budget";
    if (previous?.unit === "millon" && rest !== null && rest < 1_000_000 && joinable) {
      joined[joined.length - 1] = { ...previous, value: previous.value + rest, end: amount.end };
    } else {
      joined.push(amount);
    }
  }
  return joined;
}

// What the words right after an amount say it is: "500 mil de enganche", "25 mil al mes", "15 mil de renta".
const AFTER_ROLE: [RegExp, Role][] = [
  [/^\s*(pesos\s+|dolares\s+|dlls?\s+|usd\s+|mxn\s+)?(para\s+)?(dar\s+|el\s+)?(de|como|del|en|el|para el)?\s*(enganche|anticipo)/, "down_payment"],
  [/^\s*(pesos\s+|dolares\s+|dlls?\s+|usd\s+|mxn\s+)?(ahorrad|juntad)/, "down_payment"],
  [/^\s*(pesos\s+|dolares\s+|dlls?\s+|usd\s+|mxn\s+)?(de\s+|en\s+|por\s+)?(mensualidad|pago mensual|abonos?)/, "ignored"],
  [/^\s*(pesos\s+|dolares\s+|dlls?\s+|usd\s+|mxn\s+)?(netos|brutos|de sueldo|de salario|de ingresos?|libres)/, "income"],
  [/^\s*(pesos\s+|dolares\s+|dlls?\s+|usd\s+|mxn\s+)?(de\s+)?(presupuesto|renta|alquiler)/, "budget"],
];

// The nearest of these words before an amount says what it is ("gano 60 mil", "mi presupuesto es de 3 millones").
const BEFORE_CUES: [RegExp, Role][] = [
  [/\b(enganche|anticipo|ahorrad\w*|ahorros|juntad\w*)\b/g, "down_payment"],
  [/\b(gano|ganamos|gana|ingresos?|sueldo|salario|percibo|percibimos|cobro)\b/g, "income"],
  [/\b(mensualidad\w*|pagar al mes|pago mensual|abonar)\b/g, "ignored"],
  // What a credit lends is not the budget the lead states ("mi infonavit me da como 1.2 millones").
  [/\b(credito|prestamo|me prestan|me presta|me da|me dan|preaprobad\w*|precalificad\w*)\b/g, "ignored"],
  [/\b(presupuesto|hasta|maximo|max|tope|precio|cuesta|renta|rentar|comprar|busco|buscamos|algo|alcanza|alcance)\b/g, "budget"],
];

const MONTHLY = /^\s*(pesos\s+|dolares\s+|dlls?\s+|usd\s+|mxn\s+)?(al mes|mensuales|mensual|por mes|cada mes|x mes)\b/;
const RENT = /\b(renta|rentar|alquiler|alquilar|arrendar)\b/;

// "gano 30 mil y mi esposa 25 mil": a second income of the same household, added to the first.
const ANOTHER_INCOME = /^\s*(y|mas|,)\s+(yo|el|ella|mi \w+|el de mi \w+|lo de mi \w+)\s*(gano|gana|es de|de)?\s*(unos\s+|como\s+)?$/;

function roleOf(text: string, amount: Amount, previousEnd: number): Role {
  const after = text.slice(amount.end, amount.end + 30);
  for (const [pattern, role] of AFTER_ROLE) if (pattern.test(after)) return role;
  // A cue belongs to the nearest amount after it, so look back only as far as the previous amount.
  const before = text.slice(Math.max(previousEnd, amount.start - 45), amount.start);
  let nearest: { role: Role; at: number } | null = null;
  for (const [pattern, role] of BEFORE_CUES) {
    for (const match of before.matchAll(pattern)) {
      const at = match.index ?? 0;
      if (!nearest || at > nearest.at) nearest = { role, at };
    }
  }
  if (nearest && nearest.role !== "budget") return nearest.role;
  // "unos 25 mil al mes" is an income, unless the lead is renting (then it is the rent they can pay).
  if (MONTHLY.test(after) && !RENT.test(text) && nearest?.role !== "budget") return "income";
  return "budget";
}

// Words after which a bare "2.5" or "3" is the budget again, in the unit of the message ("mejor máximo 2.5").
const BARE_BUDGET_CUE = /\b(hasta|maximo|max|tope|mejor|estirar\w*( a| hasta)?|subir\w*( a| hasta)?|llegar( a| hasta)?|presupuesto( de| es de)?)\s*(de\s+|unos\s+|como\s+)?$/;
const BARE_BUDGET_END = /^\s*($|[,.!?;)]|(max|maximo|aprox\w*|pesos|tope|pero|porfa|o |y )\b)/;

/** A bare number that a cue marks as the budget ("puedo estirarme a 2.3") takes the unit of the money talked about. */
function promoteBareBudget(text: string, amount: Amount, earlierUnit: Amount["unit"]): Amount {
  if (!amount.bare || amount.value >= 100) return amount;
  const before = text.slice(Math.max(0, amount.start - 30), amount.start);
  if (!BARE_BUDGET_CUE.test(before) || !BARE_BUDGET_END.test(text.slice(amount.end))) return amount;
  const unit = earlierUnit ?? (RENT.test(text) ? "mil" : "millon");
  return { ...amount, value: amount.value * FACTOR[unit], bare: false, unit };
}

const MIN_CUE = /(desde|minimo|(?<!\bno\s(de\s)?)mas de|arriba de|a partir de|por lo menos|al menos)\s*(unos\s+|como\s+)?$/;

export function extractMoney(original: string): MoneyFacts {
  const text = fold(original);
  const facts: MoneyFacts = {};
  if (/\b(usd|dolares|dolar|dlls?|dls)\b/.test(text)) facts.currency = "USD";

  const budget: Amount[] = [];
  let previousEnd = 0;
  let earlierUnit: Amount["unit"] = null;
  for (const found of findAmounts(text)) {
    const amount = promoteBareBudget(text, found, earlierUnit);
    if (amount.bare) {
      budget.push(amount); // kept only as the possible first end of a range
      continue;
    }
    const role = roleOf(text, amount, previousEnd);
    const lastEnd = previousEnd;
    previousEnd = amount.end;
    if (role === "down_payment") facts.down_payment = amount.value;
    else if (role === "income") facts.monthly_income = amount.value;
    else if (role === "budget" && facts.monthly_income && ANOTHER_INCOME.test(text.slice(lastEnd, amount.start))) {
      facts.monthly_income += amount.value;
      continue;
    }
    else if (role === "budget") {
      budget.push(amount);
      earlierUnit = amount.unit ?? earlierUnit;
    }
  }
  if (budget.every((amount) => amount.bare)) return facts;

  // A range: "entre 2 y 3 millones", "de 2 a 3 mdp", "12 a 15 millones" (the unit of the second applies to a bare first).
  for (let i = 0; i + 1 < budget.length; i++) {
    const first = budget[i]!;
    const second = budget[i + 1]!;
    if (second.bare) continue;
    const between = text.slice(first.end, second.start);
    const lead = text.slice(Math.max(0, first.start - 14), first.start);
    if (/^\s*(y|a|-|al|hasta)\s*$/.test(between) && (/(entre|de|desde)\s*(unos\s+|como\s+)?(\$\s*)?$/.test(lead) || /^\s*-\s*$/.test(between) || first.bare)) {
      const low = first.bare && second.unit ? first.value * FACTOR[second.unit] : first.value;
      facts.budget_min = Math.min(low, second.value);
      facts.budget_max = Math.max(low, second.value);
      return facts;
    }
  }
  // A correction ("bueno, mejor hasta 3") wins: the last budget amount counts.
  const last = budget.filter((amount) => !amount.bare).at(-1)!;
  const lead = text.slice(Math.max(0, last.start - 18), last.start);
  if (MIN_CUE.test(lead)) facts.budget_min = last.value;
  else facts.budget_max = last.value;
  return facts;
}
