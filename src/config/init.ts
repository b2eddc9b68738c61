// `fleetlens init`: a commented fleetlens.yaml whose defaults are the schema's own.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { rules } from '../analysis/rules/index.ts';
import { ConfigError } from '../errors.ts';
import { SizingConfig } from './schema.ts';

/** Each rule's options with their defaults, one commented line a rule: what `rules:` accepts. */
function ruleDefaultsText(): string {
  return rules
    .map((rule) => {
      const defaults = rule.meta.options.parse({}) as Record<string, unknown>;
      const pairs = Object.entries(defaults).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
      return `#  ${rule.meta.id}: { ${pairs.join(', ')} }`;
    })
    .join('\n');
}

export function initConfigText(): string {
  const sizing = SizingConfig.parse({});
  return `# fleetlens.yaml: what to audit and how. Every key is optional; the values shown are the defaults.
# Run: fleetlens audit --config fleetlens.yaml --out report/

# How far back to read metrics, and at what period (300 s is EC2's free basic monitoring).
since: 14d
periodSec: 300

providers:
  aws:
    # Credentials: the SDK's default chain (env, ~/.aws, SSO, instance role), or a named profile.
    regions: [us-east-1]
    # profile: readonly-audit
    # includeStopped: false
    # tags: { env: prod }          # only instances carrying all these tags
  # gcp:                           # Application Default Credentials (gcloud auth application-default login)
  #   projects: [shop-prod-123]
  #   labels: { env: prod }
  # linode:                        # token from LINODE_TOKEN (read-only scopes: linodes, volumes)
  #   tags: [prod]
  # ovh:                           # keys from OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY
  #   endpoint: ovh-eu
  #   projects: [0123456789abcdef0123456789abcdef]

# On-host samples (written by \`fleetlens sample\` or your own capture) and the host each belongs to,
# by instance id or Name tag. Paths are relative to this file.
onHost: []
#  - dir: samples/web-1
#    host: i-0123456789abcdef0

# Rightsizing, with Compute Optimizer's documented defaults.
sizing:
  cpuPercentile: ${sizing.cpuPercentile}      # 90 | 95 | 99.5, of per-5-minute CPU maxima
  cpuHeadroomPct: ${sizing.cpuHeadroomPct}      # 0 | 20 | 30
  memoryHeadroomPct: ${sizing.memoryHeadroomPct}   # 10 | 20 | 30
  minHours: ${sizing.minHours}            # data needed before any sizing
  allowBurstable: ${sizing.allowBurstable}   # may rightsizing pick T types?
  # families: [m6i, m7i, c6i, r6i]   # default: same architecture, same purpose class

# Per-rule options, or false to switch a rule off (e.g. \`idle-instance: false\`). The defaults:
rules: {}
${ruleDefaultsText()}

# Accepted findings, each with a reason and an end date (also read from fleetlens.mute.yaml beside
# this file). A muted finding is listed but not counted by --fail-on; after \`until\` it says
# "mute expired on DATE"; a mute that matches nothing is reported.
mutes: []
#  - finding: 0123456789abcdef          # a finding id from report.json or findings/ID.md
#    reason: vendor fix due in June
#    until: 2026-06-30
#  - rule: idle-instance                # or a rule and a subject glob (name or cloud id)
#    subject: "build-*"
#    reason: build hosts idle between releases
#    until: 2026-03-31
`;
}

export async function writeInitConfig(file: string, force: boolean): Promise<string> {
  const path = resolve(file);
  if (existsSync(path) && !force) throw new ConfigError('already exists (use --force to overwrite)', file);
  await writeFile(path, initConfigText());
  return path;
}
