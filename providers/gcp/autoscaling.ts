// What a managed instance group scales on, from its autoscaler's policy (already listed by
// compute.autoscalers.aggregatedList with the inventory: no call of its own). Utilization targets
// are fractions (0.6); the model keeps percent, as every other CPU figure is.
// https://cloud.google.com/compute/docs/reference/rest/v1/autoscalers#AutoscalingPolicy
import type { GroupScaling, ScalingSignal } from '../../src/model/index.ts';
import { signalKindOf } from '../scaling-signals.ts';
import type { Autoscaler } from './schema.ts';

/** An autoscaler given no signal scales on CPU at 0.6 (the API's documented default). */
const DEFAULT_CPU_TARGET = 0.6;

export function scalingOf(scaler: Autoscaler, fallback: { min: number; max: number }): GroupScaling {
  const policy = scaler.autoscalingPolicy;
  const name = `${scaler.name} (autoscaler)`;
  const pct = (fraction: number | undefined) =>
    fraction === undefined ? null : Math.round(fraction * 10_000) / 100;
  const signals: ScalingSignal[] = [];
  if (policy.cpuUtilization)
    signals.push({
      kind: 'cpu',
      target: pct(policy.cpuUtilization.utilizationTarget),
      metric: 'cpuUtilization',
      policy: name,
    });
  if (policy.loadBalancingUtilization)
    signals.push({
      kind: 'requests',
      target: pct(policy.loadBalancingUtilization.utilizationTarget),
      metric: 'loadBalancingUtilization',
      policy: name,
    });
  for (const custom of policy.customMetricUtilizations)
    signals.push({
      kind: signalKindOf(custom.metric),
      target: custom.utilizationTarget ?? null,
      metric: custom.metric,
      policy: name,
    });
  if (signals.length === 0 && policy.mode !== 'OFF')
    signals.push({
      kind: 'cpu',
      target: pct(DEFAULT_CPU_TARGET),
      metric: 'cpuUtilization (default)',
      policy: name,
    });
  return {
    // An autoscaler switched off (mode OFF) holds the group where it is: no signal.
    signals: policy.mode === 'OFF' ? [] : signals,
    min: policy.minNumReplicas ?? fallback.min,
    max: policy.maxNumReplicas ?? fallback.max,
  };
}
