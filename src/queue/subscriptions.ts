import type { DependencyMonitor } from "../ops/dependency-monitor.js";
import { createRedis, isCluster, type RedisClient, type RedisTarget } from "./redis.js";

/**
 * The one pub/sub connection of a web process, for every channel it listens to (key-cache
 * invalidations, outcome notices): a subscribed connection can run nothing else, so it is a connection
 * of its own, but one is enough for all channels. It reconnects forever and ioredis resubscribes
 * after each reconnect.
 *
 * Pub/sub delivers at most once: whatever was published while the connection was away is gone. So
 * every listener also says what it does when messages may have been missed (`onMissed`): on each
 * (re)connect and, on a cluster, when nodes come or go (ioredis then moves the subscription to
 * another node, and announcements published meanwhile may be lost). Two gaps this cannot see: ioredis
 * says "ready" one round trip before its re-SUBSCRIBE is in place, and on a cluster it moves the
 * subscription off a node whose connection ended without an event. Whatever is missed there is what a
 * listener's own bound covers (the key cache's 3 s TTL; outcome waiters' polling).
 */
export class Subscriptions {
  private readonly connection: RedisClient;
  private readonly listeners = new Map<string, { onMessage: (message: string) => void; onMissed: () => void }>();

  constructor(target: RedisTarget, monitor?: DependencyMonitor) {
    this.connection = createRedis(target, "subscriber", monitor);
    this.connection.on("message", (channel: string, message: string) => this.listeners.get(channel)?.onMessage(message));
    const missed = () => {
      for (const listener of this.listeners.values()) listener.onMissed();
    };
    this.connection.on("ready", missed);
    if (isCluster(this.connection)) for (const event of ["+node", "-node"]) this.connection.on(event, missed);
  }

  /**
   * Calls `onMessage` with each message published on `channel` (one listener per channel) and
   * `onMissed` whenever messages may have been lost. Resolves once the subscription is in place, or
   * once the first attempt failed (reported by the monitor; ioredis subscribes when it reconnects).
   */
  listen(channel: string, onMessage: (message: string) => void, onMissed: () => void): Promise<void> {
    if (this.listeners.has(channel)) throw new Error(`already listening on ${channel}`);
    this.listeners.set(channel, { onMessage, onMissed });
    return this.connection.subscribe(channel).then(
      () => {},
      () => {},
    );
  }

  close(): void {
    this.connection.disconnect();
  }
}
