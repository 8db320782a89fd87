// PQL evaluation throughput over generated demo profiles: best of several timed runs after a
// warm-up, one row per expression. Pure CPU; it opens no sockets and writes no files.

import { pathToFileURL } from 'node:url';
import { generateProfiles } from '../src/segmentation-service/demo-profiles.ts';
import { type CompiledPql, compilePql } from '../src/segmentation-service/pql/index.ts';

const PROFILE_COUNT = 100_000;
const WARM_UP_RUNS = 3;
const TIMED_RUNS = 7;

const EXPRESSIONS: readonly { label: string; format: 'pql/text' | 'pql/json'; value: string }[] = [
  { label: 'one comparison', format: 'pql/text', value: 'homeAddress.country = "US"' },
  {
    label: 'and/or, 5 predicates',
    format: 'pql/text',
    value:
      '(homeAddress.country = "US" or workAddress.country = "CA") and loyalty.points >= 2000 and person.birthDate < "1990-01-01" and loyalty.tier != "bronze"',
  },
  {
    label: 'string functions, in, not, like',
    format: 'pql/text',
    value:
      'personalEmail.address.endsWith(".COM", false) and person.name.firstName.startsWith("a", false) and homeAddress.country in ["US", "GB", "CA"] and not(workAddress.city.contains("york", false)) and mobilePhone.number like "+1%5_"',
  },
  {
    label: 'one comparison (pql/json)',
    format: 'pql/json',
    value: JSON.stringify({
      nodeType: 'fnApply',
      fnName: '=',
      params: [
        {
          nodeType: 'fieldLookup',
          fieldName: 'country',
          object: {
            nodeType: 'fieldLookup',
            fieldName: 'homeAddress',
            object: { nodeType: 'parameterReference', position: 1 },
          },
        },
        { nodeType: 'literal', literalType: 'String', value: 'US' },
      ],
    }),
  },
];

function countMatches(compiled: CompiledPql, profiles: readonly unknown[]): number {
  let matches = 0;
  for (let index = 0; index < profiles.length; index++) {
    if (compiled.evaluate(profiles[index])) matches++;
  }
  return matches;
}

/** Prints one row per expression: matches among 100,000 profiles and the best profiles/s. */
export async function runPqlBench(): Promise<void> {
  const profiles = generateProfiles(PROFILE_COUNT, { seed: 42 });
  const rows = EXPRESSIONS.map(({ label, format, value }) => {
    const compileStart = performance.now();
    const compiled = compilePql({ type: 'PQL', format, value });
    const compileMs = performance.now() - compileStart;
    let matches = 0;
    for (let run = 0; run < WARM_UP_RUNS; run++) matches = countMatches(compiled, profiles);
    let bestMs = Number.POSITIVE_INFINITY;
    for (let run = 0; run < TIMED_RUNS; run++) {
      const start = performance.now();
      countMatches(compiled, profiles);
      bestMs = Math.min(bestMs, performance.now() - start);
    }
    return {
      expression: label,
      matches,
      'profiles/s': Math.round((profiles.length / bestMs) * 1_000).toLocaleString('en-US'),
      'ns/profile': Number(((bestMs * 1e6) / profiles.length).toFixed(1)),
      'compile ms': Number(compileMs.toFixed(3)),
    };
  });
  console.log(
    `${PROFILE_COUNT.toLocaleString('en-US')} demo profiles, best of ${TIMED_RUNS} runs after ${WARM_UP_RUNS} warm-up runs`,
  );
  console.table(rows);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runPqlBench();
}
