import type { Db } from "../db/database.js";
import { apiKeyChannel, findKeyScope, touchApiKey, type KeyScope } from "../domain/merchants/api-keys.js";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";
import { createRedis, isCluster, type RedisClient, type RedisTarget } from "../queue/redis.js";

/**
 * How long a web process trusts a key it looked up. A revoke or roll is announced on Redis pub/sub and
 * drops the key from every process's cache at once (measured: well under a second); this TTL bounds what
 * a lost announcement (Redis away at that moment) can cost: a revoked key works at most this long more.
 */
export const KEY_CACHE_TTL_MS = 3_000;
const KEY_CACHE_MAX = 10_000;
/** `last_used_at` is written at most this often per key and process. */
const TOUCH_EVERY_MS = 60_000;

/** Known keys by hash, per web process, invalidated across processes through Redis pub/sub. */
export class ApiKeyCache {
  private readonly entries = new Map<string, { found: KeyScope; until: number }>();
  private readonly touched = new Map<string, number>();
  private readonly subscriber: RedisClient;

  constructor(
    private readonly db: Db,
    redis: RedisTarget,
    queuePrefix: string,
    monitor?: DependencyMonitor,
  ) {
    const channel = apiKeyChannel(queuePrefix);
    // A subscriber connection of its own (a subscribed connection can run nothing else). It reconnects
    // forever; each (re)connect empties the cache, since announcements may have been missed meanwhile.
    this.subscriber = createRedis(redis, "subscriber", monitor);
    this.subscriber.on("ready", () => this.entries.clear());
    // On a cluster the subscription lives on one node; when nodes come or go ioredis moves it to
    // another, and announcements published meanwhile may be lost: start afresh then too.
    if (isCluster(this.subscriber)) for (const event of ["+node", "-node"]) this.subscriber.on(event, () => this.entries.clear());
    this.subscriber.on("message", (_channel, keyHash: string) => this.invalidate(keyHash));
    this.subscriber.subscribe(channel).catch(() => {
      // Reported by the monitor; ioredis resubscribes on reconnect.
    });
  }

  async lookup(keyHash: string): Promise<KeyScope | null> {
    const now = Date.now();
    const hit = this.entries.get(keyHash);
    if (hit && hit.until > now) {
      this.touch(keyHash, now);
      return hit.found;
    }
    const found = await findKeyScope(this.db, keyHash);
    this.entries.delete(keyHash);
    if (found) {
      if (this.entries.size >= KEY_CACHE_MAX) this.entries.delete(this.entries.keys().next().value!);
      const until = Math.min(now + KEY_CACHE_TTL_MS, found.expiresAt?.getTime() ?? Infinity);
      this.entries.set(keyHash, { found, until });
      this.touch(keyHash, now);
    }
    return found;
  }

  /** Drops one key (its hash) or, with "*", every key. */
  invalidate(keyHash: string): void {
    if (keyHash === "*") this.entries.clear();
    else this.entries.delete(keyHash);
  }

  /** Fire and forget, at most once a minute per key: a failed write (Postgres away) is not the request's problem. */
  private touch(keyHash: string, now: number): void {
    if ((this.touched.get(keyHash) ?? 0) > now - TOUCH_EVERY_MS) return;
    if (this.touched.size >= KEY_CACHE_MAX) this.touched.clear();
    this.touched.set(keyHash, now);
    touchApiKey(this.db, keyHash).catch(() => {});
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }
}

/** Tells every web process that these keys changed (revoked, rolled). Bounded: a publish that fails is only a lost hint. */
export async function announceKeyChange(redis: RedisClient, queuePrefix: string, keyHashes: string[]): Promise<boolean> {
  try {
    for (const hash of keyHashes) await redis.publish(apiKeyChannel(queuePrefix), hash);
    return true;
  } catch {
    return false;
  }
}
