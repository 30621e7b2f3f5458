import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { LeadFacts } from "../../src/agents/lead-facts";
import { extractLeadFacts } from "../../src/agents/offline-extractor";
import { scoreExtractor, type Sample } from "../eval/extraction-scoring";

type Case = [text: string, expected: LeadFacts];

function expectFacts([text, expected]: Case) {
  expect(extractLeadFacts(text)).toMatchObject(expected);
}

describe("offline extractor: how leads say their budget", () => {
  it.each<Case>([
    ["3.5 millones", { budget_max: 3_500_000 }],
    ["3 mdp", { budget_max: 3_000_000 }],
    ["3 millones y medio", { budget_max: 3_500_000 }],
    ["$3,500,000", { budget_max: 3_500_000 }],
    ["3,500,000 pesos", { budget_max: 3_500_000 }],
    ["entre 2 y 3 millones", { budget_min: 2_000_000, budget_max: 3_000_000 }],
    ["de 2 a 3 mdp", { budget_min: 2_000_000, budget_max: 3_000_000 }],
    ["hasta 4 millones", { budget_max: 4_000_000 }],
    ["máximo 2.8 M", { budget_max: 2_800_000 }],
    ["no más de 3 millones", { budget_max: 3_000_000 }],
    ["desde 1.5 millones", { budget_min: 1_500_000 }],
    ["dos millones", { budget_max: 2_000_000 }],
    ["medio millón", { budget_max: 500_000 }],
    ["2 millones 800", { budget_max: 2_800_000 }],
    ["de 10 a 15 mil de renta", { budget_min: 10_000, budget_max: 15_000, purpose: "renta" }],
    ["15 mil de renta", { budget_max: 15_000, purpose: "renta" }],
    ["bueno mejor hasta 3 millones", { budget_max: 3_000_000 }],
    ["mi presupuesto es de 2 millones pero puedo estirarme a 2.3", { budget_max: 2_300_000 }],
    ["unos 300 mil dólares", { budget_max: 300_000, currency: "USD" }],
    ["250k USD", { budget_max: 250_000, currency: "USD" }],
  ])("%s", (text, expected) => expectFacts([text, expected]));

  it.each<Case>([
    ["unos 25 mil al mes", { monthly_income: 25_000 }],
    ["gano 30 mil", { monthly_income: 30_000 }],
    ["mis ingresos son de 60 mil mensuales", { monthly_income: 60_000 }],
    ["mi sueldo es de 35 mil", { monthly_income: 35_000 }],
    ["enganche de 500 mil", { down_payment: 500_000 }],
    ["tengo 250 mil para dar de enganche", { down_payment: 250_000 }],
  ])("tells income and down payment from the budget: %s", (text, expected) => {
    expectFacts([text, expected]);
    expect(extractLeadFacts(text)).not.toHaveProperty("budget_max");
  });

  it.each(["mi cel es 5512345678", "mi número es 33 1234 5678", "para 2026", "nací en 1990", "enganche de 20%", "3 recámaras"])(
    "does not read a phone number, a year, a percentage or a count as money: %s",
    (text) => {
      const facts = extractLeadFacts(text);
      expect(facts).not.toHaveProperty("budget_max");
      expect(facts).not.toHaveProperty("budget_min");
    },
  );
});

describe("offline extractor: property type", () => {
  it.each<Case>([
    ["busco casa", { property_type: "casa" }],
    ["una casita", { property_type: "casa" }],
    ["un departamento", { property_type: "departamento" }],
    ["un depa", { property_type: "departamento" }],
    ["depto en renta", { property_type: "departamento" }],
    ["dpto chico", { property_type: "departamento" }],
    ["un departamentito", { property_type: "departamento" }],
    ["un terreno", { property_type: "terreno" }],
    ["un lote para construir", { property_type: "terreno" }],
    ["un local comercial", { property_type: "local" }],
    ["una oficina", { property_type: "oficina" }],
    ["una bodega", { property_type: "bodega" }],
    ["busco una ksa", { property_type: "casa" }],
    ["no busco casa, busco depa", { property_type: "departamento" }],
    ["mejor casa, ya no depa", { property_type: "casa" }],
  ])("%s", (text, expected) => expectFacts([text, expected]));

  it("says nothing when the lead hesitates or talks about where they live now", () => {
    expect(extractLeadFacts("depa o casa, lo que me alcance")).not.toHaveProperty("property_type");
    expect(extractLeadFacts("tengo 35 años y trabajo desde casa")).not.toHaveProperty("property_type");
  });
});

describe("offline extractor: location", () => {
  it.each<Case>([
    ["en la Roma o la Condesa", { location: "Roma o Condesa" }],
    ["algo por zapopan", { location: "Zapopan" }],
    ["en Polanco, CDMX", { location: "Polanco, CDMX" }],
    ["zona Providencia", { location: "Providencia" }],
    ["cerca de Santa Fe", { location: "Santa Fe" }],
    ["en San Pedro Garza Garcia", { location: "San Pedro Garza García" }],
    ["cerca de Villa del Mar", { location: "Villa del Mar" }],
    ["soy de Monterrey pero busco en Saltillo", { location: "Saltillo" }],
    ["no en Ecatepec, mejor en Tecámac", { location: "Tecámac" }],
  ])("%s", (text, expected) => expectFacts([text, expected]));

  it("does not take a credit, a bank or an employer for a place", () => {
    expect(extractLeadFacts("pago con Infonavit")).not.toHaveProperty("location");
    expect(extractLeadFacts("trabajo en Pemex")).not.toHaveProperty("location");
  });
});

describe("offline extractor: bedrooms, purpose, timeline, credit and pre-approval", () => {
  it.each<Case>([
    ["3 recámaras", { bedrooms: 3 }],
    ["dos cuartos", { bedrooms: 2 }],
    ["2 habitaciones", { bedrooms: 2 }],
    ["cinco recamaras", { bedrooms: 5 }],
    ["quiero comprar", { purpose: "compra" }],
    ["quiero rentar", { purpose: "renta" }],
    ["lo busco en renta", { purpose: "renta" }],
    ["es para vivir", { purpose: "compra" }],
    ["para vivir, en renta", { purpose: "renta" }],
    ["es para rentar, no para comprar", { purpose: "renta" }],
    ["en 3 meses", { timeline: "3 meses" }],
    ["en dos meses", { timeline: "2 meses" }],
    ["este año", { timeline: "este año" }],
    ["lo antes posible", { timeline: "lo antes posible" }],
    ["es urgente", { timeline: "lo antes posible" }],
    ["el próximo año", { timeline: "el próximo año" }],
    ["con Infonavit", { credit_type: "infonavit", purpose: "compra" }],
    ["con Fovissste", { credit_type: "fovissste" }],
    ["con Cofinavit", { credit_type: "cofinavit" }],
    ["crédito bancario", { credit_type: "bancario" }],
    ["hipoteca con el banco", { credit_type: "bancario" }],
    ["con el banco", { credit_type: "bancario" }],
    ["de contado", { credit_type: "contado" }],
    ["pagaría contado", { credit_type: "contado" }],
    ["en efectivo", { credit_type: "contado" }],
    ["ya estoy precalificado", { preapproved: true }],
    ["tengo preaprobación", { preapproved: true }],
    ["no tengo precalificación", { preapproved: false }],
  ])("%s", (text, expected) => expectFacts([text, expected]));

  it("does not read 'Insurgentes' as urgent", () => {
    expect(extractLeadFacts("cerca del metro Insurgentes")).not.toHaveProperty("timeline");
  });
});

describe("offline extractor: whole messages", () => {
  it("reads several facts in one message", () => {
    expect(extractLeadFacts("Hola! busco depa de 2 recámaras en la Narvarte, hasta 3.2 millones, con crédito bancario")).toEqual({
      property_type: "departamento",
      bedrooms: 2,
      location: "Narvarte",
      budget_max: 3_200_000,
      credit_type: "bancario",
      purpose: "compra",
    });
    expect(extractLeadFacts("Tengo 3 millones de presupuesto, 500 mil de enganche y gano 60 mil al mes")).toEqual({
      budget_max: 3_000_000,
      down_payment: 500_000,
      monthly_income: 60_000,
    });
  });

  it.each(["hola", "gracias", "ok gracias", "Le marco a las 4"])("finds nothing in small talk: %s", (text) => {
    expect(extractLeadFacts(text)).toEqual({});
  });
});

describe("offline extractor on the labelled lead messages (test/fixtures/extraction-samples.json)", () => {
  const samples = JSON.parse(readFileSync(new URL("../fixtures/extraction-samples.json", import.meta.url), "utf8")) as Sample[];
  const { fields } = scoreExtractor(samples);

  it("has enough varied samples to mean something", () => {
    expect(samples.length).toBeGreaterThanOrEqual(220);
  });

  it.each(["budget", "location", "property_type"] as const)("%s keeps precision and recall at 95% or more", (field) => {
    expect(fields[field].precision).toBeGreaterThanOrEqual(0.95);
    expect(fields[field].recall).toBeGreaterThanOrEqual(0.95);
  });
});
