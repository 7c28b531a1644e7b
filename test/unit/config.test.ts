import { describe, expect, test } from "vitest";
import { ConfigError, loadConfig, parseDuration } from "../../src/config.js";

describe("config", () => {
  test("every variable has a working local default (spec §9)", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      DATABASE_URL: "postgres://127.0.0.1:5432/loyalty_redemptions",
      REDIS_URL: "redis://127.0.0.1:6379",
      QUEUE_PREFIX: "lr",
      PORT: 3000,
      REDEMPTION_PENDING_TTL_SECONDS: 1800,
      WEBHOOK_RETRY_SCHEDULE: [60_000, 300_000, 1_800_000, 7_200_000, 86_400_000],
      WEBHOOK_TIMEOUT_MS: 10_000,
      WEBHOOK_ALLOW_HOSTS: [],
      LOG_LEVEL: "info",
    });
    expect(config.ADMIN_TOKEN).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  test("lists every problem at once, not only the first", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "http", WEBHOOK_RETRY_SCHEDULE: "1m,soon", LOG_LEVEL: "loud", DATABASE_URL: "mysql://x/y" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const name of ["PORT", "WEBHOOK_RETRY_SCHEDULE", "LOG_LEVEL", "DATABASE_URL"]) expect(problems).toContain(name);
  });

  test("parses schedules and host lists", () => {
    const config = loadConfig({ WEBHOOK_RETRY_SCHEDULE: "60s, 5m,250ms", WEBHOOK_ALLOW_HOSTS: "127.0.0.1, localhost,10.0.0.0/8" });
    expect(config.WEBHOOK_RETRY_SCHEDULE).toEqual([60_000, 300_000, 250]);
    expect(config.WEBHOOK_ALLOW_HOSTS).toEqual(["127.0.0.1", "localhost", "10.0.0.0/8"]);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("fast")).toBeNull();
  });

  test("REDIS_CLUSTER_NODES: seed nodes parsed; unset by default; refused together with a REDIS_URL", () => {
    expect(loadConfig({}).REDIS_CLUSTER_NODES).toBeUndefined();
    expect(loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-b:7001,[::1]:7002" }).REDIS_CLUSTER_NODES).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "redis-b", port: 7001 },
      { host: "::1", port: 7002 },
    ]);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1" })).toThrow(/host:port/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:99999" })).toThrow(/host:port/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:7000", REDIS_URL: "redis://10.0.0.9:6379" })).toThrow(/not both/);
    // The default REDIS_URL, spelled out, is not a second target.
    expect(loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:7000", REDIS_URL: "redis://127.0.0.1:6379" }).REDIS_CLUSTER_NODES).toHaveLength(1);
  });
});
