// A scenario's Prometheus (mocks/scenarios/<name>.prometheus.yaml): which capture each target
// replays and when, resolved against the moment the mock starts (`nowMs`), so the demo's 14-day
// window always holds every capture.
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { packagePath } from '../../../src/paths.ts';
import { CAPTURE_NAMES, type Placement } from './captures.ts';

const CaptureName = z.enum(CAPTURE_NAMES);
const ScenarioPrometheus = z
  .object({
    captures: z.partialRecord(
      CaptureName,
      z.object({ daysAgo: z.number().int().min(0).max(30), at: z.string().regex(/^\d\d:\d\d$/) }).strict(),
    ),
    targets: z.array(
      z
        .object({
          capture: CaptureName,
          instance: z.string().min(1),
          labels: z.record(z.string(), z.string()).default({}),
          withoutApp: z.boolean().default(false),
        })
        .strict(),
    ),
  })
  .strict();

const DAY_MS = 86_400_000;

export function scenarioPrometheusPath(scenario: string): string {
  return packagePath('mocks', 'scenarios', `${scenario}.prometheus.yaml`);
}

/** The placements of a scenario's Prometheus, or null when it has none. */
export function loadScenarioPlacements(scenario: string, nowMs: number): Placement[] | null {
  const file = scenarioPrometheusPath(scenario);
  if (!existsSync(file)) return null;
  const spec = ScenarioPrometheus.parse(parse(readFileSync(file, 'utf8')));
  const midnightMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  return spec.targets.map((t) => {
    const when = spec.captures[t.capture];
    if (!when) throw new Error(`${file}: no time for capture ${t.capture}`);
    const [hh, mm] = when.at.split(':').map(Number) as [number, number];
    return {
      capture: t.capture,
      nodeInstance: t.instance,
      startMs: midnightMs - when.daysAgo * DAY_MS + (hh * 60 + mm) * 60_000,
      labels: t.labels,
      withoutApp: t.withoutApp,
    };
  });
}
