import { describe, expect, it } from "vitest";
import { extractVariables, formatBudget, formatAppointmentDate, renderTemplate, templateValuesFor, usesAppointment } from "../../src/domain/templates";

describe("template variables", () => {
  it("are extracted once each, in order, with spaces and inline fallbacks", () => {
    expect(extractVariables("Hola {{name}}, {{ location }} {{name}} {{first_name|amigo}}")).toEqual(["name", "location", "first_name"]);
    expect(extractVariables("Sin variables")).toEqual([]);
  });
});

describe("rendering", () => {
  it("fills the lead's values", () => {
    expect(renderTemplate("Hola {{name}}, gracias.", { name: "Ana López" })).toEqual({ text: "Hola Ana López, gracias.", missing: [] });
  });

  it("never shows a raw placeholder: a missing name disappears and the comma stays tidy", () => {
    const result = renderTemplate("Hola {{name}}, gracias por tu interés.", {});
    expect(result.text).toBe("Hola, gracias por tu interés.");
    expect(result.missing).toEqual(["name"]);
  });

  it("uses the inline fallback first, then the catalogue's", () => {
    expect(renderTemplate("Hola {{first_name|amigo}}", {}).text).toBe("Hola amigo");
    expect(renderTemplate("Buscas en {{location}}", { location: null }).text).toBe("Buscas en la zona que te interesa");
    expect(renderTemplate("Dato {{desconocida}}.", {}).text).toBe("Dato.");
    expect(renderTemplate("¡Hola {{name}}!", {}).text).toBe("¡Hola!");
  });
});

describe("lead values", () => {
  const lead = {
    name: "Ana María López",
    phone: null,
    budget_min: 2_000_000,
    budget_max: 3_500_000,
    currency: "MXN",
    location: "Roma Norte",
    property_type: "departamento",
    bedrooms: 2,
    pipeline_stage: "calificacion_financiera" as const,
    timezone: null,
  };

  it("formats money, stage and first name as a lead reads them", () => {
    const values = templateValuesFor(lead, null, "America/Mexico_City");
    expect(values.first_name).toBe("Ana");
    expect(values.budget).toBe("entre $2,000,000 MXN y $3,500,000 MXN");
    expect(values.stage).toBe("Calificación financiera");
    expect(values.appointment_date).toBeNull();
    expect(formatBudget(null, 3_500_000, "MXN")).toBe("hasta $3,500,000 MXN");
    expect(formatBudget(1_000_000, null, "USD")).toBe("desde $1,000,000 USD");
  });

  it("writes the appointment in the lead's time zone", () => {
    expect(formatAppointmentDate(new Date("2026-01-16T17:00:00Z"), "America/Mexico_City")).toBe("viernes 16 de enero, 11:00");
    const values = templateValuesFor({ ...lead, timezone: "America/Bogota" }, { starts_at: new Date("2026-01-16T17:00:00Z"), meet_link: "https://meet.google.com/abc-defg-hij" }, "America/Mexico_City");
    expect(values.appointment_date).toBe("viernes 16 de enero, 12:00");
    expect(values.meet_link).toBe("https://meet.google.com/abc-defg-hij");
  });
});

describe("what a template needs", () => {
  it("needs the appointment only when it names the appointment's date or link", () => {
    expect(usesAppointment("Hola {{first_name}}, ¿sigues buscando {{property_type}}?")).toBe(false);
    expect(usesAppointment("Tu cita es el {{ appointment_date }}")).toBe(true);
    expect(usesAppointment("Entra aquí: {{meet_link|te lo enviamos}}")).toBe(true);
  });
});
