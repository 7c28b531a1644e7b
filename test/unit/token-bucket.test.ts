import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketShape, MemoryBuckets } from "../../src/http/token-bucket.js";

/** A MemoryBuckets on a clock the test moves (microseconds). */
function buckets(maxKeys?: number) {
  const clock = { now: 1_000_000_000 };
  return { clock, memory: new MemoryBuckets(maxKeys, () => clock.now) };
}

describe("token bucket (GCRA)", () => {
  it("admits a burst at once, then one request per interval, with Remaining, Reset and Retry-After to match", () => {
    const { clock, memory } = buckets();
    const shape = bucketShape(100, 200); // 10 ms a request, 200 at once
    const burst = Array.from({ length: 201 }, () => memory.admit("k", shape));
    expect(burst.filter((a) => a.allowed)).toHaveLength(200);
    expect(burst[0]).toMatchObject({ allowed: true, remaining: 199, untilFullUs: 10_000 });
    expect(burst[199]).toMatchObject({ allowed: true, remaining: 0, untilFullUs: 2_000_000 });
    expect(burst[200]).toMatchObject({ allowed: false, remaining: 0, untilFullUs: 2_000_000, retryAfterUs: 10_000 });
    clock.now += 9_999;
    expect(memory.admit("k", shape).allowed).toBe(false);
    clock.now += 1;
    expect(memory.admit("k", shape)).toMatchObject({ allowed: true, remaining: 0 });
    // Idle for the whole refill time: full again.
    clock.now += 2_000_000;
    expect(memory.admit("k", shape)).toMatchObject({ allowed: true, remaining: 199 });
  });

  it("a flood at 4× the rate is admitted evenly: never more than the rate in any window once the burst is spent", () => {
    const { clock, memory } = buckets();
    const shape = bucketShape(100, 200);
    const admittedAt: number[] = [];
    let firstRefusal = Infinity;
    // 400 requests a second for 5 s, one every 2.5 ms.
    for (let i = 0; i < 2_000; i++) {
      clock.now += 2_500;
      if (memory.admit("flood", shape).allowed) admittedAt.push(clock.now);
      else firstRefusal = Math.min(firstRefusal, clock.now);
    }
    // 200 at once, then 100 a second: 200 + 5 s · 100/s (− the ~0.67 s the burst itself took at 400/s: ~67 refilled).
    expect(admittedAt.length).toBeGreaterThanOrEqual(695);
    expect(admittedAt.length).toBeLessThanOrEqual(701);
    // Once the bucket is first empty (the burst and what refilled while it was spent)…
    const afterBurst = admittedAt.filter((at) => at > firstRefusal);
    expect(afterBurst.length).toBeGreaterThan(400);
    for (let i = 0; i + 25 < afterBurst.length; i++) {
      // Any 26 consecutive admissions span at least 25 intervals (250 ms): no second starts with a rush.
      expect(afterBurst[i + 25]! - afterBurst[i]!).toBeGreaterThanOrEqual(250_000 - 2_500);
    }
  });

  it("never admits more than burst + rate · elapsed, for any arrival pattern (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 300 }),
        (perSecond, burst, gapsUs) => {
          const { clock, memory } = buckets();
          const shape = bucketShape(perSecond, burst);
          const start = clock.now;
          let admitted = 0;
          for (const gap of gapsUs) {
            clock.now += gap;
            const admission = memory.admit("k", shape);
            if (admission.allowed) admitted++;
            else expect(admission.retryAfterUs).toBeGreaterThan(0);
            expect(admission.remaining).toBeGreaterThanOrEqual(0);
          }
          const elapsedSeconds = (clock.now - start) / 1_000_000;
          expect(admitted).toBeLessThanOrEqual(Math.max(burst, perSecond) + Math.floor(perSecond * elapsedSeconds) + 1);
        },
      ),
    );
  });

  it("a fresh bucket admits exactly its burst at one instant, for every rate (fractional intervals included)", () => {
    for (let perSecond = 1; perSecond <= 1_000; perSecond++) {
      for (const burst of [perSecond, perSecond + 7]) {
        const { memory } = buckets();
        const shape = bucketShape(perSecond, burst);
        const remaining: number[] = [];
        let admitted = 0;
        for (let i = 0; i <= burst; i++) {
          const admission = memory.admit("k", shape);
          if (admission.allowed) admitted++;
          remaining.push(admission.remaining);
        }
        expect(admitted, `rate ${perSecond}, burst ${burst}`).toBe(burst);
        expect(remaining[0], `rate ${perSecond}, burst ${burst}`).toBe(burst - 1);
        expect(remaining[burst - 1]).toBe(0);
      }
    }
  });

  it("keys are independent, and at most maxKeys are kept (the oldest is forgotten: its bucket refills early)", () => {
    const { memory } = buckets(2);
    const shape = bucketShape(1, 1);
    expect(memory.admit("a", shape).allowed).toBe(true);
    expect(memory.admit("a", shape).allowed).toBe(false);
    expect(memory.admit("b", shape).allowed).toBe(true);
    expect(memory.admit("c", shape).allowed).toBe(true); // "a" is dropped
    expect(memory.admit("b", shape).allowed).toBe(false);
    expect(memory.admit("a", shape).allowed).toBe(true);
  });
});
