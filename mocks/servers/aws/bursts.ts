// Credit buckets that depend on history: T-instance CPU credits, gp2 I/O credits and the
// instance-level EBS burst bucket. Each runs forward on a fixed step grid from an anchor time, so a
// sample depends only on the scenario and the anchor, never on the query window.

/**
 * The outputs of recently read blocks, shared by every simulation of a process and bounded: a
 * GetMetricData call reads several metrics of one host over the same days, each through the same
 * simulation, and all of them find the block computed once; a fleet's worth is never held.
 */
const recentBlocks = new Map<string, unknown[]>();
const recentBlocksMax = 512;
let nextSimulationId = 0;

/**
 * A forward-only simulation on a step grid, run lazily as later times are asked for. It keeps the
 * state at the start of every block of `blockSteps` steps, and the outputs of recently read blocks
 * only (see recentBlocks): memory grows with the days since the anchor (one state a block), not with
 * the steps, and reading a window again costs at most its own steps, not the walk from the anchor
 * (issue 12: the AWS mock kept every minute's output since the anchor, about 25 MB a host).
 */
export class SteppedSimulation<State, Out> {
  private readonly id = nextSimulationId++;
  /** State at the start of each block walked so far; [0] is the initial state. */
  private readonly checkpoints: State[];
  /** The furthest step walked, and the state at its start. */
  private frontierStep = 0;
  private frontierState: State;
  /** The block being read, its outputs so far, and the state after the last of them. */
  private block = -1;
  private outputs: Out[] = [];
  /** Undefined while a kept block is only read: its state is needed only to extend it. */
  private blockState: State | undefined;

  constructor(
    readonly startSec: number,
    readonly stepSec: number,
    initial: State,
    private readonly advance: (state: State, stepStartSec: number) => { state: State; out: Out },
    readonly blockSteps = 1440,
  ) {
    this.checkpoints = [initial];
    this.frontierState = initial;
    this.blockState = initial;
  }

  /** The output of the step containing `epochSec`; undefined before the anchor. */
  at(epochSec: number): Out | undefined {
    if (epochSec < this.startSec) return undefined;
    const index = Math.floor((epochSec - this.startSec) / this.stepSec);
    const block = Math.floor(index / this.blockSteps);
    if (block !== this.block) this.enterBlock(block);
    const offset = index - block * this.blockSteps;
    while (this.outputs.length <= offset) {
      const step = block * this.blockSteps + this.outputs.length;
      this.blockState ??= this.stateAfter(block, this.outputs.length);
      const next = this.advance(this.blockState, this.startSec + step * this.stepSec);
      this.blockState = next.state;
      this.outputs.push(next.out);
      if (step === this.frontierStep) this.moveFrontier(next.state);
    }
    return this.outputs[offset];
  }

  private enterBlock(block: number): void {
    // Walk the state alone (outputs dropped) up to the block's start when it lies past the frontier.
    const firstStep = block * this.blockSteps;
    while (this.frontierStep < firstStep) {
      const next = this.advance(this.frontierState, this.startSec + this.frontierStep * this.stepSec);
      this.moveFrontier(next.state);
    }
    const key = `${this.id}:${block}`;
    const kept = recentBlocks.get(key) as Out[] | undefined;
    recentBlocks.delete(key);
    this.outputs = kept ?? [];
    recentBlocks.set(key, this.outputs);
    if (recentBlocks.size > recentBlocksMax) recentBlocks.delete(recentBlocks.keys().next().value!);
    this.block = block;
    // A kept block is read again from its outputs; its state is rebuilt only if they stop short.
    this.blockState = kept?.length ? undefined : this.checkpoints[block]!;
  }

  /** The state after the first `steps` steps of a block (only when a kept block is extended). */
  private stateAfter(block: number, steps: number): State {
    let state = this.checkpoints[block] as State;
    for (let k = 0; k < steps; k += 1)
      state = this.advance(state, this.startSec + (block * this.blockSteps + k) * this.stepSec).state;
    return state;
  }

  private moveFrontier(state: State): void {
    this.frontierStep += 1;
    this.frontierState = state;
    if (this.frontierStep % this.blockSteps === 0) this.checkpoints.push(state);
  }
}

export interface CpuCreditParams {
  readonly vcpu: number;
  /** Baseline utilization per vCPU, percent (catalog `baselineCpuPct`). */
  readonly baselineCpuPct: number;
  readonly mode: 'standard' | 'unlimited';
}

export interface CpuCreditState {
  readonly balance: number;
  readonly surplus: number;
}

export interface CpuCreditStep extends CpuCreditState {
  /** Credits spent in the step (CPUCreditUsage). */
  readonly usage: number;
  /** Surplus credits beyond the cap, billed (CPUSurplusCreditsCharged). */
  readonly charged: number;
  /** Delivered / demanded CPU: below 1 only when a standard-mode instance ran out of credits. */
  readonly cpuFactor: number;
}

/** The most credits a T instance can hold: 24 hours of earnings. */
export function maxCpuCredits(params: CpuCreditParams): number {
  return (params.baselineCpuPct / 100) * params.vcpu * 60 * 24;
}

/**
 * One step of the T-instance credit bucket. One CPU credit = one vCPU at 100 % for one minute, so
 * over `stepMin` minutes an instance earns baseline% x vCPUs x stepMin / 100 credits (t3.medium:
 * 20 % x 2 x 60 = 24 credits/h) and spends CPUUtilization% x vCPUs x stepMin / 100. The balance is
 * capped at 24 h of earnings. Standard mode cannot spend below zero: CPU is held to what the
 * credits pay for (the baseline once empty). Unlimited mode borrows surplus credits, repaid first
 * from later earnings; surplus beyond the 24 h cap is charged.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-credits-baseline-concepts.html
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-performance-instances-unlimited-mode-concepts.html
 */
export function cpuCreditStep(
  params: CpuCreditParams,
  state: CpuCreditState,
  cpuPct: number,
  stepMin: number,
): CpuCreditStep {
  const cap = maxCpuCredits(params);
  const earned = (params.baselineCpuPct / 100) * params.vcpu * stepMin;
  const demand = (cpuPct / 100) * params.vcpu * stepMin;
  if (params.mode === 'standard') {
    const available = state.balance + earned;
    const usage = Math.min(demand, available);
    const cpuFactor = demand > 0 ? usage / demand : 1;
    return { balance: Math.min(cap, available - usage), surplus: 0, usage, charged: 0, cpuFactor };
  }
  const net = earned - demand;
  if (net >= 0) {
    const repay = Math.min(state.surplus, net);
    const balance = Math.min(cap, state.balance + net - repay);
    return { balance, surplus: state.surplus - repay, usage: demand, charged: 0, cpuFactor: 1 };
  }
  const fromBalance = Math.min(state.balance, -net);
  const borrowed = state.surplus + (-net - fromBalance);
  const charged = Math.max(0, borrowed - cap);
  return {
    balance: state.balance - fromBalance,
    surplus: borrowed - charged,
    usage: demand,
    charged,
    cpuFactor: 1,
  };
}

/** gp2 I/O credits: 5.4 M bucket, earned at the baseline, spent at the delivered IOPS. */
export const gp2CreditBucket = 5_400_000;
export const gp2BurstIops = 3000;

export interface Gp2Step {
  readonly balance: number;
  /** The IOPS the volume could deliver in the step: the burst while credits last, else the baseline. */
  readonly capIops: number;
}

/**
 * One step of a gp2 volume's I/O credit bucket: balance += (baseline - delivered) x seconds,
 * delivered capped at 3,000 IOPS while credits last. New volumes start with a full 5.4 M bucket.
 * https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html#gp2-performance
 */
export function gp2Step(balance: number, baselineIops: number, demandIops: number, stepSec: number): Gp2Step {
  const affordableIops = baselineIops + balance / stepSec;
  const capIops = Math.max(baselineIops, Math.min(gp2BurstIops, affordableIops));
  const delivered = Math.min(demandIops, capIops);
  const next = Math.min(gp2CreditBucket, Math.max(0, balance + (baselineIops - delivered) * stepSec));
  return { balance: next, capIops };
}

/**
 * One step of the instance-level EBS burst bucket of the smaller Nitro sizes, which "can support
 * their maximum performance for 30 minutes at least once every 24 hours": the bucket holds
 * (max - baseline) x 1,800 s, drains by the use above the baseline and refills over 24 h.
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-optimized.html
 * NOTE: an approximation of an undocumented algorithm; the mock only reports it (EBSIOBalance%,
 * EBSByteBalance%) and does not cap the instance's EBS traffic by it.
 */
export function ebsBurstStep(
  balance: number,
  baseline: number,
  max: number,
  used: number,
  stepSec: number,
): number {
  const capacity = (max - baseline) * 1800;
  const next =
    used > baseline ? balance - (used - baseline) * stepSec : balance + (capacity / 86_400) * stepSec;
  return Math.min(capacity, Math.max(0, next));
}
