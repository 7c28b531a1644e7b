import { describe, expect, it } from "vitest";
import { TenantPriority } from "../../src/queue/tenant-priority.js";

describe("TenantPriority", () => {
  it("gives a flooding merchant a higher number (served later) than a quiet one, and forgets within two seconds", () => {
    const priority = new TenantPriority();
    const t = 1_000_000;
    let flood = 0;
    for (let i = 0; i < 500; i++) flood = priority.note("mer_a", t + i);
    expect(flood).toBe(500);
    expect(priority.note("mer_b", t + 600)).toBe(1);
    // Next second: the last second still counts.
    expect(priority.note("mer_a", t + 1_100)).toBe(501);
    // Two seconds later: forgotten.
    expect(priority.note("mer_a", t + 3_100)).toBe(1);
  });
});
