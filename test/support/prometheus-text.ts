// Reads a Prometheus text scrape into series (name, labels, value), for tests that count series
// and check values. Only what prom-client writes: no timestamps, no exemplars.

export interface Series {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
  /** `name{a="1",b="2"}` with labels sorted: one key per series. */
  key: string;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match === null) throw new Error(`expected a series line, but got "${line}"`);
    const [, name = '', labelText = '', rawValue = ''] = match;
    const labels: Record<string, string> = {};
    for (const [, label = '', value = ''] of labelText.matchAll(LABEL)) labels[label] = value;
    const sorted = Object.keys(labels)
      .sort()
      .map((label) => `${label}="${labels[label]}"`)
      .join(',');
    series.push({ name, labels, value: Number(rawValue), key: `${name}{${sorted}}` });
  }
  return series;
}

/** Fetches and parses a scrape. */
export async function scrape(metricsUrl: string): Promise<Series[]> {
  const response = await fetch(metricsUrl);
  if (response.status !== 200)
    throw new Error(`expected 200 from ${metricsUrl}, got ${response.status}`);
  return parsePrometheusText(await response.text());
}

/** The sum of the series of `name` whose labels include `labels`; 0 when there is none. */
export function sumOf(
  series: readonly Series[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const matching = series.filter(
    (entry) =>
      entry.name === name &&
      Object.entries(labels).every(([label, value]) => entry.labels[label] === value),
  );
  return matching.reduce((sum, entry) => sum + entry.value, 0);
}
