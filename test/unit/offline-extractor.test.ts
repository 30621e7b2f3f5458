import { describe, expect, it } from "vitest";
import { extractLeadFacts } from "../../src/agents/offline-extractor";

describe("offline extractor: money", () => {
  it.each([
    ["busco algo de 3.5 millones", { budget_max: 3_500_000 }],
    ["tengo 3 mdp", { budget_max: 3_000_000 }],
    ["unos 3 millones y medio", { budget_max: 3_500_000 }],
    ["mi presupuesto es $3,500,000", { budget_max: 3_500_000 }],
    ["3,500,000 pesos", { budget_max: 3_500_000 }],
    ["entre 2 y 3 millones", { budget_min: 2_000_000, budget_max: 3_000_000 }],
    ["de 2 a 3 mdp", { budget_min: 2_000_000, budget_max: 3_000_000 }],
    ["hasta 4 millones", { budget_max: 4_000_000 }],
    ["máximo 2.8 M", { budget_max: 2_800_000 }],
    ["no más de 3 millones", { budget_max: 3_000_000 }],
    ["desde 1.5 millones", { budget_min: 1_500_000 }],
    ["medio millón", { budget_max: 500_000 }],
    ["dos millones", { budget_max: 2_000_000 }],
    ["bueno, mejor hasta 3 millones", { budget_max: 3_000_000 }],
    ["unos 300 mil dólares", { budget_max: 300_000, currency: "USD" }],
  ])("%s", (text, expected) => {
    expect(extractLeadFacts(text)).toMatchObject(expected);
  });

  it("tells income, rent and down payment from the budget", () => {
    expect(extractLeadFacts("gano unos 25 mil al mes")).toMatchObject({ monthly_income: 25_000 });
    expect(extractLeadFacts("unos 25 mil al mes")).toMatchObject({ monthly_income: 25_000 });
    expect(extractLeadFacts("busco rentar algo de 15 mil al mes")).toMatchObject({ budget_max: 15_000, purpose: "renta" });
    expect(extractLeadFacts("tengo un enganche de 500 mil")).toMatchObject({ down_payment: 500_000 });
    expect(extractLeadFacts("tengo un enganche de 500 mil")).not.toHaveProperty("budget_max");
  });

  it("does not read a phone number, a year or a count as money", () => {
    expect(extractLeadFacts("mi cel es 5512345678")).not.toHaveProperty("budget_max");
    expect(extractLeadFacts("para 2026")).not.toHaveProperty("budget_max");
    expect(extractLeadFacts("3 recámaras")).toEqual({ bedrooms: 3 });
  });
});

describe("offline extractor: profile", () => {
  it("reads property types with slang and negation", () => {
    expect(extractLeadFacts("busco un depa")).toMatchObject({ property_type: "departamento" });
    expect(extractLeadFacts("una casita")).toMatchObject({ property_type: "casa" });
    expect(extractLeadFacts("un lote para construir")).toMatchObject({ property_type: "terreno" });
    expect(extractLeadFacts("no busco casa, busco depto")).toMatchObject({ property_type: "departamento" });
    expect(extractLeadFacts("un local comercial")).toMatchObject({ property_type: "local" });
  });

  it("reads places, keeping the lead's own choice of words", () => {
    expect(extractLeadFacts("en la Roma o la Condesa")).toMatchObject({ location: "Roma o Condesa" })
    expect(extractLeadFacts("algo por zapopan")).toMatchObject({ location: "Zapopan" });
    expect(extractLeadFacts("en Polanco, CDMX")).toMatchObject({ location: "Polanco, CDMX" });
    expect(extractLeadFacts("en San Pedro Garza Garcia")).toMatchObject({ location: "San Pedro Garza García" });
    expect(extractLeadFacts("cerca de Villa del Mar")).toMatchObject({ location: "Villa del Mar" });
    expect(extractLeadFacts("pago con Infonavit")).not.toHaveProperty("location");
  });

  it("reads bedrooms, purpose, timeline, credit and pre-approval", () => {
    expect(extractLeadFacts("dos cuartos")).toMatchObject({ bedrooms: 2 });
    expect(extractLeadFacts("quiero comprar")).toMatchObject({ purpose: "compra" });
    expect(extractLeadFacts("lo quiero en renta")).toMatchObject({ purpose: "renta" });
    expect(extractLeadFacts("en 3 meses")).toMatchObject({ timeline: "3 meses" });
    expect(extractLeadFacts("urge, lo antes posible")).toMatchObject({ timeline: "lo antes posible" });
    expect(extractLeadFacts("con mi crédito Infonavit")).toMatchObject({ credit_type: "infonavit" });
    expect(extractLeadFacts("con Cofinavit")).toMatchObject({ credit_type: "cofinavit" });
    expect(extractLeadFacts("hipoteca con el banco")).toMatchObject({ credit_type: "bancario" });
    expect(extractLeadFacts("pagaría de contado")).toMatchObject({ credit_type: "contado" });
    expect(extractLeadFacts("ya estoy precalificado")).toMatchObject({ preapproved: true });
    expect(extractLeadFacts("no tengo precalificación")).toMatchObject({ preapproved: false });
  });

  it("reads several facts in one message and nothing from small talk", () => {
    expect(extractLeadFacts("Hola! busco depa de 2 recámaras en la Narvarte, hasta 3.2 millones, con crédito bancario")).toEqual({
      property_type: "departamento",
      bedrooms: 2,
      location: "Narvarte",
      budget_max: 3_200_000,
      credit_type: "bancario",
      purpose: "compra",
    });
    expect(extractLeadFacts("hola")).toEqual({});
    expect(extractLeadFacts("gracias!")).toEqual({});
  });
});
