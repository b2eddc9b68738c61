// `audit --shard KEY[,KEY...]`: which slice of the configured fleet one shard collects. A key names
// one scope the config audits: `aws:ACCOUNT/REGION` (ACCOUNT is the config's aws.profile, or
// `default` for the SDK's default chain), `gcp:PROJECT`, `linode:NAME` (the config's linode.name)
// and `ovh:PROJECT`. The report step expects every scope of the config to be covered by a shard.
import { ConfigErrorList } from '../config/config-errors.ts';
import { closest } from '../config/did-you-mean.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { ProviderId } from '../model/index.ts';

/** One shard's slice: its scope keys (sorted, each once) and the config cut down to them. */
export interface ShardPlan {
  /** The shard's name in the ledger: its scope keys joined by commas. */
  key: string;
  scopes: string[];
  config: Config;
}

type ProvidersConfig = Partial<Record<ProviderId, unknown>>;

/**
 * The scope keys a config audits. OVH without `projects` audits every project its keys can see,
 * which nobody can list before calling: its one key is `ovh:*`.
 */
export function configScopes(providers: ProvidersConfig): string[] {
  const keys: string[] = [];
  const aws = providers.aws as { regions?: string[]; profile?: string } | undefined;
  if (aws) for (const region of aws.regions ?? []) keys.push(`aws:${aws.profile ?? 'default'}/${region}`);
  const gcp = providers.gcp as { projects?: string[] } | undefined;
  if (gcp) for (const project of gcp.projects ?? []) keys.push(`gcp:${project}`);
  const linode = providers.linode as { name?: string } | undefined;
  if (linode) keys.push(`linode:${linode.name ?? 'default'}`);
  const ovh = providers.ovh as { projects?: string[] } | undefined;
  if (ovh?.projects) for (const project of ovh.projects) keys.push(`ovh:${project}`);
  else if (ovh) keys.push(ALL_OVH_PROJECTS);
  return keys;
}

export const ALL_OVH_PROJECTS = 'ovh:*';

/** The cloud a scope key belongs to. */
export function scopeProvider(key: string): ProviderId {
  return key.slice(0, key.indexOf(':')) as ProviderId;
}

/** The scope as the cloud's coverage names it: a region, a project, or Linode's `account`. */
export function coverageScope(key: string): string {
  const provider = scopeProvider(key);
  const rest = key.slice(provider.length + 1);
  if (provider === 'aws') return rest.slice(rest.indexOf('/') + 1);
  if (provider === 'linode') return 'account';
  return rest;
}

const KEY = /^(aws|gcp|linode|ovh):(\S+)$/;

/**
 * `--shard` against the config: every key must name a scope the config audits (a usage error,
 * exit 2, names the keys it does). Throws one ConfigError per bad key, all at once.
 */
export function planShard(text: string, config: Config): ShardPlan {
  const known = configScopes(config.providers);
  const errors: ConfigError[] = [];
  const scopes = new Set<string>();
  const given = text
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  if (given.length === 0)
    errors.push(shardError('expected one or more scope keys such as aws:default/eu-west-1'));
  for (const key of given) {
    const match = KEY.exec(key);
    if (!match) {
      errors.push(
        shardError(
          `"${key}" is not a scope key: aws:ACCOUNT/REGION, gcp:PROJECT, linode:NAME or ovh:PROJECT`,
        ),
      );
      continue;
    }
    const provider = match[1] as ProviderId;
    if (config.providers[provider] === undefined) {
      errors.push(shardError(`"${key}": the config does not audit ${provider}`));
      continue;
    }
    if (!known.includes(key)) {
      const own = known.filter((k) => k.startsWith(`${provider}:`));
      // NOTE: an AWS key with the right region and another account: ACCOUNT is the profile's name.
      const near = closest(key, own) ?? own.find((k) => coverageScope(k) === coverageScope(key));
      errors.push(
        shardError(
          `"${key}" is not a scope the config audits${near ? ` (did you mean ${near}?)` : ''}; its ${provider} scopes: ${own.join(', ')}`,
        ),
      );
      continue;
    }
    scopes.add(key);
  }
  ConfigErrorList.throwIfAny(errors);
  const sorted = [...scopes].sort();
  return { key: sorted.join(','), scopes: sorted, config: restrictConfig(config, sorted) };
}

/**
 * The config a shard runs: only its scopes' clouds, regions and projects. On-host folders and
 * Prometheus are read once by the report step, which sees the whole fleet to match them to.
 */
export function restrictConfig(config: Config, scopes: readonly string[]): Config {
  const of = (provider: ProviderId) =>
    scopes.filter((k) => scopeProvider(k) === provider).map((k) => coverageScope(k));
  const providers: Config['providers'] = {};
  const { aws, gcp, linode, ovh } = config.providers;
  if (aws && of('aws').length > 0) providers.aws = { ...aws, regions: of('aws') };
  if (gcp && of('gcp').length > 0) providers.gcp = { ...gcp, projects: of('gcp') };
  if (linode && of('linode').length > 0) providers.linode = { ...linode };
  // NOTE: `ovh:*` keeps the config's "every project the keys see".
  if (ovh && of('ovh').length > 0)
    providers.ovh = scopes.includes(ALL_OVH_PROJECTS) ? { ...ovh } : { ...ovh, projects: of('ovh') };
  return { ...config, providers, onHost: [] };
}

function shardError(message: string): ConfigError {
  return new ConfigError(message, undefined, undefined, '--shard');
}
