import type { Db } from "../db/database.js";
import { apiKeyChannel, findKeyScope, touchApiKey, type KeyScope } from "../domain/merchants/api-keys.js";
import type { RedisClient } from "../queue/redis.js";
import type { Subscriptions } from "../queue/subscriptions.js";

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

  constructor(
    private readonly db: Db,
    subscriptions: Subscriptions,
    queuePrefix: string,
  ) {
    // Whenever announcements may have been missed (a reconnect, a cluster's nodes changing), the cache
    // starts afresh.
    void subscriptions.listen(apiKeyChannel(queuePrefix), (keyHash) => this.invalidate(keyHash), () => this.entries.clear());
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
