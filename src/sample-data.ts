/**
 * Sample templates and the guide's draft campaign "Bienvenida Leads Nuevos",
 * created once on a fresh database (the guide's checklist asks for examples).
 * They go through the services, so they are validated and audited like any other.
 */
import type { Database } from "../db/database";
import { findAppState, insertAppState } from "../db/repositories/app-state-repository";
import type { Services } from "./services";

const SEEDED_KEY = "sample_data_seeded_at";
const ACTOR = "system:seed";

export async function seedSampleDataOnce(db: Database, services: Services, now: Date): Promise<boolean> {
  if ((await db.run((q) => findAppState(q, SEEDED_KEY))) !== undefined) return false;

  const welcome = await services.templates.createTemplate(
    {
      name: "Bienvenida Perfilador",
      channel: "telegram",
      content: "Hola {{name}}, gracias por tu interés. ¿Podrías contarme un poco sobre qué tipo de propiedad buscas?",
      agent_type: "perfilador",
    },
    ACTOR,
  );
  await services.templates.createTemplate(
    {
      name: "Reactivación por inactividad",
      channel: "telegram",
      content:
        "Hola {{first_name}}, ¿sigues buscando {{property_type}} en {{location}}? Tengo opciones nuevas {{budget}}. ¿Te las comparto?",
      agent_type: "seguimiento",
    },
    ACTOR,
  );
  await services.templates.createTemplate(
    {
      name: "Recordatorio de cita",
      channel: "telegram",
      content: "Hola {{first_name}}, te recuerdo nuestra cita el {{appointment_date}}. Enlace de la reunión: {{meet_link}}",
      agent_type: "agenda",
    },
    ACTOR,
  );
  await services.templates.createTemplate(
    {
      name: "Invitación a calificación financiera",
      channel: "telegram",
      content:
        "{{first_name|Hola}}, con lo que me contaste ya puedo buscar opciones {{budget}}. Para avanzar, ¿me compartes cómo piensas pagar (crédito Infonavit, bancario, contado…)?",
      agent_type: "financiero",
    },
    ACTOR,
  );

  const campaign = await services.campaigns.createCampaign(
    {
      name: "Bienvenida Leads Nuevos",
      description: "Campaña para leads que acaban de entrar",
      channel: "telegram",
      triggered_by: "stage_change",
      trigger_condition: { stage: "entrada" },
    },
    ACTOR,
  );
  await services.campaigns.addStep(campaign.id, { step_number: 1, action: "send_message", message_template_id: welcome.id, delay_hours: 0 }, ACTOR);
  await services.campaigns.addStep(campaign.id, { step_number: 2, action: "update_stage", target_stage: "perfilamiento", delay_hours: 24 }, ACTOR);

  await db.run((q) => insertAppState(q, SEEDED_KEY, now.toISOString()));
  return true;
}
