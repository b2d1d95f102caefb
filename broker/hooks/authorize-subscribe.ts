import type { Client, Subscription } from 'aedes';
import type { Logger } from '../../service-kit/index.ts';
import { checkSubscribe, parseSharedFilter, type BrokerIdentity } from '../acl.ts';
import { applyGrants, type Grant } from '../grants.ts';
import type { BrokerMetrics } from '../metrics.ts';
import { addressOf, type BrokerSessions } from '../sessions.ts';
import { SharedSubscriptions } from '../shared-subscriptions.ts';

interface Deps {
  sessions: BrokerSessions;
  metrics: BrokerMetrics;
  log: Logger;
  shared: SharedSubscriptions;
  /** The account's grants (users file + broker.yaml), read only when the role alone refuses. */
  grantsOf(who: BrokerIdentity): readonly Grant[];
}

/**
 * A refused subscription is answered with granted QoS 0x80 (MQTT 3.1.1
 * §3.9.3); the client stays connected. `$share/{group}/{filter}` is checked
 * by its inner filter and handed to the shared-subscription dispatcher.
 */
export function authorizeSubscribeHook({ sessions, metrics, log, shared, grantsOf }: Deps) {
  const check = (who: BrokerIdentity, filter: string) => {
    const byRole = checkSubscribe(who, filter);
    return byRole === null ? null : applyGrants(byRole, who, grantsOf(who), 'subscribe', filter);
  };
  return (client: Client, subscription: Subscription, callback: (error: Error | null, subscription?: Subscription | null) => void): void => {
    const who = sessions.get(client);
    const requested = subscription.topic;
    let denial = who ? check(who, requested) : 'not-allowed';
    let share = denial === null ? parseSharedFilter(requested) : null;
    if (SharedSubscriptions.isInternal(requested)) {
      // A persistent session restoring its shared subscriptions (stored in their private form).
      let inner: ReturnType<typeof checkSubscribe> = 'not-allowed';
      if (who) shared.rejoin(client, subscription, (filter) => (inner = check(who, filter)) === null);
      denial = inner;
      share = null;
    }
    if (denial !== null) {
      metrics.deniedSubscriptions.inc({ reason: denial });
      metrics.counts.deniedSubscriptions += 1;
      log.warn({ clientId: client.id, address: addressOf(client), filter: requested, reason: denial }, 'subscription refused');
      return callback(null, null);
    }
    if (share && share !== 'invalid') shared.join(client, subscription, share.group, share.filter);
    callback(null, subscription);
  };
}
