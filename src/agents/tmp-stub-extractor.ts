import type { LeadFacts } from "./lead-facts";
export function extractLeadFacts(text: string): LeadFacts {
  const f: LeadFacts = {};
  if (/depa/i.test(text)) f.property_type = "departamento";
  const loc = /en la ([A-Z]\w+) o la ([A-Z]\w+)/.exec(text);
  if (loc) f.location = `${loc[1]} o ${loc[2]}`;
  const m = /([\d.]+) millones/.exec(text);
  if (m) f.budget_max = Number(m[1]) * 1e6;
  if (/contado/i.test(text)) f.credit_type = "contado";
  return f;
}
