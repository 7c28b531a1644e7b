import { describe, expect, test } from "vitest";
import { outageOf } from "../../src/ops/outages.js";

/** What a Redis Cluster says while it fails over or is out of quorum: outages (503), never a 500. */
describe("outage classification: Redis Cluster errors", () => {
  const redisCluster = [
    "CLUSTERDOWN The cluster is down",
    "CLUSTERDOWN Hash slot not served",
    "MOVED 3999 127.0.0.1:30001",
    "ASK 3999 127.0.0.1:30001",
    "TRYAGAIN Multiple keys request during rehashing of slot",
    "READONLY You can't write against a read only replica.",
    "LOADING Redis is loading the dataset in memory",
    "Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down",
    "Failed to refresh slots cache.",
    "None of startup nodes is available",
    "Cluster isn't ready and enableOfflineQueue options is false",
  ];
  test.each(redisCluster)("%s", (message) => expect(outageOf(new Error(message))).toBe("redis"));

  test("ClusterAllFailedError by name", () => {
    const error = Object.assign(new Error("Failed to refresh slots cache."), { name: "ClusterAllFailedError" });
    expect(outageOf(error)).toBe("redis");
  });

  test("a business error mentioning a cluster is not an outage", () => {
    expect(outageOf(new Error("reward not found in cluster of rewards"))).toBeNull();
    expect(outageOf(new Error("ERR unknown command 'FOO'"))).toBeNull();
  });
});
