import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scoreExtractor, type Sample } from "../eval/extraction-scoring";

const samples = JSON.parse(readFileSync(new URL("../fixtures/extraction-samples.json", import.meta.url), "utf8")) as Sample[];

describe("offline extractor on the labelled lead messages", () => {
  it.each(["budget", "location", "property_type"] as const)("%s keeps precision and recall at 95% or more", (field) => {
    const { fields } = scoreExtractor(samples);
    expect(fields[field].precision).toBeGreaterThanOrEqual(0.95);
    expect(fields[field].recall).toBeGreaterThanOrEqual(0.95);
  });
});
