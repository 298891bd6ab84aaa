import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from "node:perf_hooks";

/** The event-loop, memory and garbage-collection figures of the serving period (the `runtime-stats` record). */
export interface RuntimeFigures {
  readonly loopDelayP50Ms: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** Peak of the whole process, start-up included (getrusage maxRSS). */
  readonly peakRssMb: number;
  readonly rssMb: number;
  readonly rssStartMb: number;
  readonly peakServingRssMb: number;
  readonly rssGrowthMb: number;
  readonly gcCount: number;
  readonly gcTotalMs: number;
  readonly gcMaxPauseMs: number;
}

// The histogram records whole sampling intervals, so the delay is the value less the resolution.
const LOOP_RESOLUTION_MS = 2;
// RSS sampled so the growth a workload causes can be told apart from the start-up peak that maxRSS also holds.
const RSS_SAMPLE_MS = 50;

const round2 = (n: number): number => Math.round(n * 100) / 100;
const mb = (bytes: number): number => Math.round(bytes / 1048576);

/**
 * Event-loop delay, RSS and GC pauses from construction until stop(): the node's responsiveness under load. The
 * benchmarks read the `runtime-stats` record made of these at shutdown; /metrics and /status read them live.
 */
export class RuntimeStats {
  readonly #loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  readonly #rssStart = process.memoryUsage.rss();
  #rssPeak = this.#rssStart;
  readonly #rssTimer: NodeJS.Timeout;
  readonly #gcObserver: PerformanceObserver;
  #gcCount = 0;
  #gcTotalMs = 0;
  #gcMaxMs = 0;
  #stopped = false;

  constructor() {
    this.#loopDelay.enable();
    this.#rssTimer = setInterval(() => {
      this.#rssPeak = Math.max(this.#rssPeak, process.memoryUsage.rss());
    }, RSS_SAMPLE_MS);
    this.#rssTimer.unref();
    this.#gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.#gcCount++;
        this.#gcTotalMs += e.duration;
        this.#gcMaxMs = Math.max(this.#gcMaxMs, e.duration);
      }
    });
    this.#gcObserver.observe({ entryTypes: ["gc"] });
  }

  /** Ends the serving period (stopping is not serving); figures() keeps returning its values. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#loopDelay.disable();
    this.#gcObserver.disconnect();
    clearInterval(this.#rssTimer);
    this.#rssPeak = Math.max(this.#rssPeak, process.memoryUsage.rss());
  }

  figures(): RuntimeFigures {
    const rss = process.memoryUsage.rss();
    if (!this.#stopped) this.#rssPeak = Math.max(this.#rssPeak, rss);
    const ms = (ns: number): number => Math.max(0, round2(ns / 1e6 - LOOP_RESOLUTION_MS));
    const sampled = this.#loopDelay.count > 0;
    return {
      loopDelayP50Ms: sampled ? ms(this.#loopDelay.percentile(50)) : 0,
      loopDelayP99Ms: sampled ? ms(this.#loopDelay.percentile(99)) : 0,
      loopDelayMaxMs: sampled ? ms(this.#loopDelay.max) : 0,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      rssMb: mb(rss),
      rssStartMb: mb(this.#rssStart),
      peakServingRssMb: mb(this.#rssPeak),
      rssGrowthMb: mb(this.#rssPeak - this.#rssStart),
      gcCount: this.#gcCount,
      gcTotalMs: round2(this.#gcTotalMs),
      gcMaxPauseMs: round2(this.#gcMaxMs),
    };
  }
}
