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
const UNIT = `(?:millones|millon|mdp|mill?s?\\b|mm\\b|m\\b|mil\\b|k\\b)`;
const AMOUNT = new RegExp(
  `(\\$\\s*)?(${NUM})(\\s*(?:${UNIT}))?(\\s*y\\s*medio)?|(medio\\s+millon)|(millon\\s+y\\s+medio)`,
  "g",
);

interface Amount {
  value: number;
  start: number;
  end: number;
  /** A small number with no unit nor "$": money only as the first end of a range ("entre 2 y 3 millones"). */
  bare: boolean;
  unit: string | null;
}

function unitFactor(unit: string | null): number {
  if (!unit) return 1;
  if (/^(millones|millon|mdp|mills?|mill|mm|m)$/.test(unit)) return 1_000_000;
  return 1_000; // mil, k
}

/** Every amount in `text` (already folded), skipping phone numbers, years and small bare counts. */
function findAmounts(text: string): Amount[] {
  const amounts: Amount[] = [];
  for (const match of text.matchAll(AMOUNT)) {
    const start = match.index ?? 0;
    const end = start + match[0].length;
    if (match[5]) {
      amounts.push({ value: 500_000, start, end, bare: false, unit: "millon" });
      continue;
    }
    if (match[6]) {
      amounts.push({ value: 1_500_000, start, end, bare: false, unit: "millon" });
      continue;
    }
    const raw = match[2]!;
    const number = parseNumber(raw);
    if (number === null) continue;
    const unit = match[3]?.trim() ?? null;
    const dollar = Boolean(match[1]);
    const digits = raw.replace(/\D/g, "");
    let bare = false;
    if (!unit && !dollar) {
      // A bare number is money only when it is big and not a phone or a year.
      if (digits.length >= 10 || (digits.length === 4 && /^(19|20)/.test(digits))) continue;
      if (number < 10_000) bare = true;
    }
    let value = number * unitFactor(unit);
    if (match[4]) value += unitFactor(unit) / 2;
    amounts.push({ value, start, end, bare, unit });
  }
  return amounts;
}

const INCOME_CONTEXT = /(gano|ganamos|ingreso|ingresos|sueldo|salario|percibo|cobro|entrada de)/;
const MONTHLY = /(al mes|mensual|mensuales|por mes|cada mes|x mes)/;
const DOWN_PAYMENT = /(enganche|anticipo|ahorrado|ahorros|tengo juntado)/;
const RENT = /(renta|rentar|alquiler|alquilar)/;

export function extractMoney(original: string): MoneyFacts {
  const text = fold(original);
  const facts: MoneyFacts = {};
  if (/(usd|dolares|dlls|dolar)/.test(text)) facts.currency = "USD";
  const amounts = findAmounts(text);
  if (amounts.length === 0) return facts;

  const budget: Amount[] = [];
  for (const amount of amounts) {
    if (amount.bare) {
      budget.push(amount);
      continue;
    }
    const before = text.slice(Math.max(0, amount.start - 40), amount.start);
    const after = text.slice(amount.end, amount.end + 25);
    const around = `${before} ${after}`;
    if (DOWN_PAYMENT.test(before.slice(-30)) || /^\s*(de|para el|para)\s+(enganche|anticipo)/.test(after)) {
      facts.down_payment = amount.value;
    } else if (INCOME_CONTEXT.test(before.slice(-30)) || (MONTHLY.test(after) && !RENT.test(around))) {
      facts.monthly_income = amount.value;
    } else {
      budget.push(amount);
    }
  }
  if (budget.every((amount) => amount.bare)) return facts;

  // A range: "entre 2 y 3 millones", "de 2 a 3 mdp" (the unit of the second applies to the first).
  for (let i = 0; i + 1 < budget.length; i++) {
    const first = budget[i]!;
    const second = budget[i + 1]!;
    const between = text.slice(first.end, second.start);
    const lead = text.slice(Math.max(0, first.start - 8), first.start);
    if (second.bare) continue;
    // "12 a 15 millones": a bare first number joined to a second with its unit is a range even without "entre".
    if (/^\s*(y|a|-|al|hasta)\s*$/.test(between) && (/(entre|de|desde)\s*$/.test(lead) || /^\s*-\s*$/.test(between) || first.bare)) {
      const low = !first.unit && second.unit ? first.value * unitFactor(second.unit) : first.value;
      facts.budget_min = Math.min(low, second.value);
      facts.budget_max = Math.max(low, second.value);
      return facts;
    }
  }
  // A correction ("bueno, mejor hasta 3") wins: the last budget amount counts.
  const last = budget.filter((amount) => !amount.bare).at(-1)!;
  const lead = text.slice(Math.max(0, last.start - 14), last.start);
  if (/(desde|minimo|(?<!no )mas de|arriba de|a partir de)\s*$/.test(lead)) facts.budget_min = last.value;
  else facts.budget_max = last.value;
  return facts;
}
