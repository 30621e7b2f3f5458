/**
 * `npm run eval:extraction`: the offline extractor on the labelled Spanish lead
 * messages of test/fixtures/extraction-samples.json. Prints a table and the
 * misses to stderr and one JSON object as the last line of stdout.
 */
import { readFileSync } from "node:fs";
import { scoreExtractor, type Sample } from "./extraction-scoring";

const samples = JSON.parse(readFileSync(new URL("../fixtures/extraction-samples.json", import.meta.url), "utf8")) as Sample[];
const { fields, misses } = scoreExtractor(samples);
const TARGET = 0.95;
const headline = ["budget", "location", "property_type"] as const;

for (const [field, score] of Object.entries(fields)) {
  console.error(`${field.padEnd(15)} precision ${score.precision.toFixed(3)}  recall ${score.recall.toFixed(3)}  (tp ${score.true_positive}, fp ${score.false_positive}, fn ${score.false_negative})`);
}
for (const miss of misses) console.error(`  miss ${miss.field}: ${JSON.stringify(miss.text)} expected ${JSON.stringify(miss.expected)} got ${JSON.stringify(miss.actual)}`);
console.log(
  JSON.stringify({
    samples: samples.length,
    fields,
    targets: Object.fromEntries(headline.map((f) => [f, { precision: TARGET, recall: TARGET }])),
    met: Object.fromEntries(headline.map((f) => [f, fields[f].precision >= TARGET && fields[f].recall >= TARGET])),
  }),
);
