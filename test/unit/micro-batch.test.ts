import { describe, expect, it } from "vitest";
import { MicroBatch } from "../../src/batching/micro-batch.js";

describe("MicroBatch", () => {
  it("runs the calls of one moment as one batch and answers each in order", async () => {
    const batches: number[][] = [];
    const batch = new MicroBatch<number, number>({ maxSize: 100, maxWaitMs: 5, run: async (items) => (batches.push(items), items.map((n) => n * 2)) });
    const results = await Promise.all([1, 2, 3].map((n) => batch.add(n)));
    expect(results).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it("closes a batch at maxSize without waiting", async () => {
    const batches: number[][] = [];
    const batch = new MicroBatch<number, number>({ maxSize: 2, maxWaitMs: 60_000, run: async (items) => (batches.push(items), items) });
    await Promise.all([1, 2, 3, 4].map((n) => batch.add(n)));
    expect(batches).toEqual([[1, 2], [3, 4]]);
    expect(batch.waiting).toBe(0);
  });

  it("rejects every item of a batch whose work fails, and keeps serving later batches", async () => {
    let fail = true;
    const batch = new MicroBatch<number, number>({
      maxSize: 10,
      maxWaitMs: 1,
      run: async (items) => {
        if (fail) throw new Error("postgres away");
        return items;
      },
    });
    const first = await Promise.allSettled([batch.add(1), batch.add(2)]);
    expect(first.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    await expect(batch.add(3)).resolves.toBe(3);
  });

  it("rejects (never hangs) when the work returns the wrong number of results or throws synchronously", async () => {
    const short = new MicroBatch<number, number>({ maxSize: 10, maxWaitMs: 1, run: async () => [1] });
    await expect(Promise.all([short.add(1), short.add(2)])).rejects.toThrow(/1 results for 2 items/);
    const sync = new MicroBatch<number, number>({ maxSize: 1, maxWaitMs: 1, run: () => { throw new Error("boom"); } });
    await expect(sync.add(1)).rejects.toThrow("boom");
  });
});

describe("MicroBatch with maxInFlight (group commit)", () => {
  it("runs a lone call at once and gathers the calls that arrive while a batch runs", async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batch = new MicroBatch<number, number>({
      maxSize: 100,
      maxWaitMs: 0,
      maxInFlight: 1,
      run: async (items) => {
        batches.push(items);
        if (items[0] === 1) await gate;
        return items;
      },
    });
    const first = batch.add(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4].map((n) => batch.add(n));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batches).toEqual([[1]]); // the slot is taken: 2, 3, 4 wait together
    expect(batch.waiting).toBe(3);
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it("still splits at maxSize when a slot frees", async () => {
    const batches: number[][] = [];
    const batch = new MicroBatch<number, number>({ maxSize: 2, maxWaitMs: 0, maxInFlight: 1, run: async (items) => (batches.push(items), items) });
    await Promise.all([1, 2, 3, 4, 5].map((n) => batch.add(n)));
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5]);
    expect(Math.max(...batches.map((b) => b.length))).toBe(2);
  });
});

describe("MicroBatch with ownerOf (fair to every owner)", () => {
  it("takes a backlog round-robin across owners, so a lone item of a quiet owner goes in the next batch", async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batch = new MicroBatch<string, string>({
      maxSize: 3,
      maxWaitMs: 0,
      maxInFlight: 1,
      ownerOf: (item) => item[0]!,
      run: async (items) => {
        batches.push(items);
        if (items[0] === "a0") await gate;
        return items;
      },
    });
    const all = [batch.add("a0")];
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let i = 1; i <= 7; i++) all.push(batch.add(`a${i}`));
    all.push(batch.add("b1"));
    release();
    await Promise.all(all);
    expect(batches[0]).toEqual(["a0"]);
    expect(batches[1]).toContain("b1"); // not behind a1…a7
    expect(batches.flat().sort()).toEqual(["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "b1"].sort());
  });
});
