// The fault matrix (issue 9, "Done means"): four clouds × ten faults, each cell a whole audit
// (withMocks + runAudit, the real clients against the mocks) of a small fleet in two scopes per
// cloud, with one fault on one scope's instance listing. For every cell: the run ends; the other
// three clouds are complete with the hosts they have without the fault; the fault is at most one
// gap, in one line, with no credential; and the run is incomplete exactly when the listing failed
// (a throttle or a 5xx burst that recovers, a slow but steady answer, an empty account and a skewed
// clock leave it complete). Waits run on a virtual clock; only the idle timeout and the ceiling are
// real time, and the faults that reach them (a stall, an endless list) last forever, so no outcome
// depends on the machine's speed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario, type Scenario } from '../../mocks/scenarios/schema.ts';
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import type { ProviderId } from '../../src/model/index.ts';
import { virtualClock } from '../../src/net/clock.ts';
import { runAudit } from '../../src/run/audit.ts';
import { withMocks } from '../../src/run/demo.ts';

const CLOUDS = ['aws', 'gcp', 'linode', 'ovh'] as const satisfies readonly ProviderId[];
type Cloud = (typeof CLOUDS)[number];

const GCP_A = 'matrix-gcp-a';
const GCP_B = 'matrix-gcp-b';
const OVH_A = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const OVH_B = '9f8e7d6c5b4a40312a1b0c9d8e7f6a5b';
/** The scope each cloud's fault is aimed at. */
const FAULTED_SCOPE: Record<Cloud, string> = { aws: 'eu-west-1', gcp: GCP_B, linode: 'account', ovh: OVH_B };

const SECRETS = [
  'demo-secret-not-a-real-key',
  'fleetlens-demo-token-not-real',
  'demo-linode-token-not-a-real-one',
  'demo-application-secret-not-real',
  'demo-consumer-key-not-real-00001',
];

/**
 * Two scopes per cloud (Linode: its one account), the host in the scope the fault is aimed at; the
 * other scope is asked about and empty. Kept this small so forty audits stay within a minute.
 */
function fleet(): Record<string, unknown> {
  return {
    name: 'fault-matrix',
    aws: {
      regions: {
        'us-east-1': {},
        'eu-west-1': {
          instances: [
            { id: 'i-0c00000000000b001', name: 'm-west', type: 'm6i.large', az: 'eu-west-1a', cpu: 20 },
          ],
        },
      },
    },
    gcp: {
      accessToken: 'fleetlens-demo-token-not-real',
      projects: {
        [GCP_A]: {},
        [GCP_B]: {
          instances: [{ name: 'm-b', zone: 'europe-west1-b', machineType: 'e2-standard-2', cpu: 20 }],
        },
      },
    },
    linode: {
      instances: [{ id: 81000001, label: 'm-east', type: 'g6-standard-2', region: 'us-east', cpu: 20 }],
    },
    ovh: {
      projects: {
        [OVH_A]: {},
        [OVH_B]: {
          instances: [
            {
              id: '5c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e02',
              name: 'm-sbg',
              flavor: 'b3-8',
              region: 'SBG5',
              cpu: 20,
            },
          ],
        },
      },
    },
  };
}

/** A fault on the instance listing of the faulted scope, in each cloud's own scenario words. */
function listingFault(cloud: Cloud, kind: string, extra: Record<string, unknown> = {}) {
  switch (cloud) {
    case 'aws':
      return { kind, action: 'DescribeInstances', region: 'eu-west-1', ...extra };
    case 'gcp':
      return { kind, method: 'instances.aggregatedList', project: GCP_B, ...extra };
    case 'linode':
      return { kind, operation: 'instances', ...extra };
    case 'ovh':
      return { kind, route: 'instances', project: OVH_B, ...extra };
  }
}

const AUTH: Record<Cloud, string> = {
  aws: 'expired-credentials',
  gcp: 'bad-credentials',
  linode: 'bad-token',
  ovh: 'expired-credentials',
};

interface Cell {
  fault: string;
  /** Whether the faulted scope's listing fails (the run is then incomplete). */
  fails: boolean;
  apply(raw: Record<string, Record<string, unknown>>, cloud: Cloud): void;
}

const addFault = (raw: Record<string, Record<string, unknown>>, cloud: Cloud, fault: object) => {
  const part = raw[cloud]!;
  part.faults = [...((part.faults as object[] | undefined) ?? []), fault];
};

const CELLS: Cell[] = [
  {
    fault: 'throttle',
    fails: false,
    apply: (r, c) => addFault(r, c, listingFault(c, 'throttle', { times: 2 })),
  },
  {
    fault: '5xx burst',
    fails: false,
    apply: (r, c) => addFault(r, c, listingFault(c, 'server-error', { times: 2 })),
  },
  {
    fault: 'idle timeout',
    fails: true,
    apply: (r, c) => addFault(r, c, listingFault(c, 'stall', { times: 'always' })),
  },
  {
    fault: 'slow body',
    fails: false,
    apply: (r, c) => addFault(r, c, listingFault(c, 'slow', { times: 'always' })),
  },
  {
    fault: 'truncated body',
    fails: true,
    apply: (r, c) => addFault(r, c, listingFault(c, 'cut', { times: 'always' })),
  },
  {
    fault: 'wrong-shape listing',
    fails: true,
    apply: (r, c) => addFault(r, c, listingFault(c, 'malformed', { body: 'wrong-shape', times: 'always' })),
  },
  {
    fault: 'auth',
    fails: true,
    apply: (r, c) => addFault(r, c, listingFault(c, AUTH[c], { times: 'always' })),
  },
  {
    fault: 'pagination loop',
    fails: true,
    apply: (r, c) => addFault(r, c, listingFault(c, 'loop', { times: 'always' })),
  },
  {
    fault: 'empty account',
    fails: false,
    apply: (raw, cloud) => {
      const part = raw[cloud]!;
      if (cloud === 'aws') part.regions = { 'us-east-1': {}, 'eu-west-1': {} };
      if (cloud === 'gcp') part.projects = { [GCP_A]: {}, [GCP_B]: {} };
      if (cloud === 'linode') part.instances = [];
      if (cloud === 'ovh') part.projects = {};
    },
  },
  {
    fault: 'clock skew',
    fails: false,
    // The cloud's clock 20 minutes behind ours: past AWS's 15-minute signing window.
    apply: (raw, cloud) => {
      raw[cloud]!.clockSkewSec = -20 * 60;
    },
  },
];

const CONFIG = `since: 1d
periodSec: 300
providers:
  aws: { regions: [us-east-1, eu-west-1] }
  gcp: { projects: [${GCP_A}, ${GCP_B}] }
  linode: {}
  ovh: {}
`;

/**
 * The bounds of this matrix: 5 s without a byte is a stall (a slow answer sends a piece every 50 ms
 * for 6 s: longer than the bound in all, never silent for long), an answer over 4 MB that does not end is a loop, four attempts.
 * A throttle or 5xx burst of two leaves one attempt spare: on a very busy machine a healthy call can
 * sit unanswered past the idle bound (the mocks share this process), and is simply tried again.
 */
const NET = { idleTimeoutMs: 5_000, timeoutMs: 120_000, maxAnswerBytes: 4 * 1024 * 1024, attempts: 4 };

function audit(scenario: Scenario): Promise<AnalysisResult> {
  const loaded = parseConfigText(CONFIG, 'fault-matrix.yaml');
  const clock = virtualClock(Date.now());
  return withMocks(
    scenario,
    loaded,
    silentLogger,
    (demo) => runAudit({ ...demo, mode: 'demo', log: silentLogger }),
    { net: { clock, retry: NET } },
  );
}

interface Outcome {
  cell: Cell;
  cloud: Cloud;
  result: AnalysisResult;
  seconds: number;
}

let baseline: AnalysisResult;
const outcomes: Outcome[] = [];

/** Runs `jobs` at most `width` at a time (the matrix waits mostly on its stalls, not on the CPU). */
async function inBatches<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const index = next++;
        results[index] = await jobs[index]!();
      }
    }),
  );
  return results;
}

beforeAll(async () => {
  baseline = await audit(parseScenario(fleet()));
  // Cloud by cloud, so the cells that wait out a stall or a slow answer run beside busy ones.
  const jobs = CLOUDS.flatMap((cloud) =>
    CELLS.map((cell) => async () => {
      const raw = fleet() as Record<string, Record<string, unknown>>;
      cell.apply(raw, cloud);
      const started = performance.now();
      const result = await audit(parseScenario(raw));
      return { cell, cloud, result, seconds: (performance.now() - started) / 1000 };
    }),
  );
  outcomes.push(...(await inBatches(jobs, 4)));
});

afterAll(() => {
  if (outcomes.length === 0) return;
  const header = `| fault | ${CLOUDS.join(' | ')} |`;
  const rule = `|---|${CLOUDS.map(() => '---').join('|')}|`;
  const rows = CELLS.map((cell) => {
    const cells = CLOUDS.map((cloud) => {
      const o = outcomes.find((x) => x.cell === cell && x.cloud === cloud);
      return o ? describeCell(o) : 'not run';
    });
    return `| ${cell.fault} | ${cells.join(' | ')} |`;
  });
  const slowest = Math.max(...outcomes.map((o) => o.seconds));
  console.log(
    `${[header, rule, ...rows].join('\n')}\n(each cell a whole four-cloud audit; slowest ${slowest.toFixed(1)} s)`,
  );
  if (process.env.MATRIX_DEBUG)
    for (const o of outcomes)
      console.log(
        o.cell.fault,
        o.cloud,
        o.seconds.toFixed(1),
        JSON.stringify(o.result.gaps.map((g) => g.message)),
        JSON.stringify(
          Object.fromEntries(
            Object.entries(o.result.run.apiCalls).map(([k, v]) => [k, [v?.made, v?.retries, v?.failed]]),
          ),
        ),
      );
});

/** `complete, 2 retries` or `incomplete: eu-west-1 bad-response`, for the table. */
function describeCell({ result, cloud }: Outcome): string {
  const coverage = result.run.coverage[cloud];
  const calls = result.run.apiCalls[cloud];
  const gaps = result.gaps.filter((g) => g.provider === cloud);
  if (coverage?.complete) {
    const retries = calls?.retries ? `, ${calls.retries} retries` : '';
    return `complete, ${coverage.hostsListed} hosts${retries}${gaps.length ? `, ${gaps.length} gap` : ''}`;
  }
  const failed = coverage?.failedScopes.map((f) => `${f.scope} ${f.reason.split(':')[0]}`).join(', ');
  return `incomplete: ${failed}`;
}

const hostsListed = (result: AnalysisResult, cloud: Cloud) => result.run.coverage[cloud]?.hostsListed;

describe('the fault matrix: four clouds × ten faults', () => {
  it('has a fault-free baseline that is complete everywhere', () => {
    expect(baseline.run.complete).toBe(true);
    for (const cloud of CLOUDS) expect(hostsListed(baseline, cloud), cloud).toBe(1);
    expect(baseline.gaps).toEqual([]);
  });

  it('runs every cell to its end', () => {
    expect(outcomes).toHaveLength(CELLS.length * CLOUDS.length);
  });

  for (const cell of CELLS) {
    describe(cell.fault, () => {
      for (const cloud of CLOUDS) {
        it(`on ${cloud}: the other clouds are untouched, the fault is at most one line, complete = ${!cell.fails}`, () => {
          const { result } = outcomes.find((o) => o.cell === cell && o.cloud === cloud)!;
          for (const other of CLOUDS.filter((c) => c !== cloud)) {
            expect(result.run.coverage[other]?.complete, other).toBe(true);
            expect(hostsListed(result, other), other).toBe(hostsListed(baseline, other));
            expect(
              result.gaps.filter((g) => g.provider === other),
              other,
            ).toEqual([]);
          }
          const gaps = result.gaps.filter((g) => g.provider === cloud);
          const coverage = result.run.coverage[cloud]!;
          expect(result.run.complete).toBe(!cell.fails);
          expect(coverage.complete).toBe(!cell.fails);
          if (cell.fails) {
            expect(gaps).toHaveLength(1);
            expect(coverage.failedScopes).toEqual([
              { scope: FAULTED_SCOPE[cloud], reason: expect.stringMatching(/^[a-z-]+: /) },
            ]);
            // The scope that failed listed nothing; the other was asked and is complete, and empty.
            expect(coverage.hostsListed).toBe(0);
            expect(coverage.scopes).toContain(FAULTED_SCOPE[cloud]);
          } else {
            expect(gaps).toEqual([]);
            expect(coverage.hostsListed).toBe(cell.fault === 'empty account' ? 0 : 1);
          }
          for (const gap of gaps) {
            expect(gap.message).not.toMatch(/[\r\n]/);
            expect(gap.scope).toBe(FAULTED_SCOPE[cloud]);
            for (const secret of SECRETS) expect(gap.message).not.toContain(secret);
          }
        });
      }
    });
  }

  it('says what happened: a stall timed out, a loop was stopped, a skewed clock was corrected', () => {
    const gapOf = (fault: string, cloud: Cloud) =>
      outcomes
        .find((o) => o.cell.fault === fault && o.cloud === cloud)!
        .result.gaps.find((g) => g.provider === cloud)!;
    for (const cloud of CLOUDS)
      expect(gapOf('idle timeout', cloud).message).toContain('timed out: no data for 5 s');
    expect(gapOf('pagination loop', 'aws').message).toBe(
      'aws ec2.DescribeInstances (eu-west-1): bad-response: page 2 gave the same next-page token as page 1; stopped instead of looping',
    );
    expect(gapOf('pagination loop', 'gcp').message).toContain('same next-page token');
    expect(gapOf('pagination loop', 'linode').message).toContain('the page count changed from 2 to 3');
    // OVH lists are not paged: a list that never ends is cut at the size limit, and not tried again.
    expect(gapOf('pagination loop', 'ovh').message).toContain(
      'answered more than 4 MB without ending; stopped',
    );
    const skewed = outcomes.find((o) => o.cell.fault === 'clock skew' && o.cloud === 'aws')!.result;
    expect(skewed.run.apiCalls.aws?.retries).toBeGreaterThan(0);
    expect(skewed.run.apiCalls.aws?.failed).toBe(0);
  });
});
