// The rule registry: one line per rule file (test/meta/registry.test.ts checks it against the folder).
import type { Rule } from '../define-rule.ts';
import { burstableCreditsExhausted } from './burstable-credits-exhausted.ts';
import { cloudIdleHostStarved } from './cloud-idle-host-starved.ts';
import { cpuOverProvisioned } from './cpu-over-provisioned.ts';
import { cpuSaturated } from './cpu-saturated.ts';
import { deviceMappingDisagrees } from './device-mapping-disagrees.ts';
import { diskSaturated } from './disk-saturated.ts';
import { eventLoopBlocked } from './event-loop-blocked.ts';
import { fdLimit } from './fd-limit.ts';
import { geventLoopBlocked } from './gevent-loop-blocked.ts';
import { gp2ToGp3 } from './gp2-to-gp3.ts';
import { idleInstance } from './idle-instance.ts';
import { instanceEbsBandwidthCap } from './instance-ebs-bandwidth-cap.ts';
import { listenQueueOverflow } from './listen-queue-overflow.ts';
import { provisionedIopsToGp3 } from './provisioned-iops-to-gp3.ts';
import { scalesOnWrongSignal } from './scales-on-wrong-signal.ts';
import { stealOrThrottled } from './steal-or-throttled.ts';
import { stoppedInstanceBilled } from './stopped-instance-billed.ts';
import { threadExhaustion } from './thread-exhaustion.ts';
import { threadpoolStarvation } from './threadpool-starvation.ts';
import { unattachedVolume } from './unattached-volume.ts';

export const rules: readonly Rule[] = [
  cpuSaturated,
  cpuOverProvisioned,
  burstableCreditsExhausted,
  idleInstance,
  stoppedInstanceBilled,
  unattachedVolume,
  diskSaturated,
  gp2ToGp3,
  provisionedIopsToGp3,
  listenQueueOverflow,
  fdLimit,
  threadpoolStarvation,
  threadExhaustion,
  eventLoopBlocked,
  geventLoopBlocked,
  cloudIdleHostStarved,
  instanceEbsBandwidthCap,
  deviceMappingDisagrees,
  stealOrThrottled,
  scalesOnWrongSignal,
] as unknown as readonly Rule[];
