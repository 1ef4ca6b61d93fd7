/**
 * What one HTTP caller may see and do: the Kafka listener's ACLs (--acl) applied to the principal
 * the HTTP listener authenticated (basic auth against --sasl-users, or the TLS client certificate).
 * Without an authorizer everything is allowed, as on the Kafka listener. Immutable; per request.
 */
import type { AclOperation, AclResourceType, Authorizer } from '../server/security/authorizer.js';
import type { SecurityConfig } from '../server/security/session.js';

/** Kafka's cluster resource name (ACLs on the cluster ignore the name here). */
const CLUSTER = 'kafka-cluster';

export class Access {
  constructor(
    readonly principal: string,
    private readonly authorizer: Authorizer | null,
  ) {}

  static of(principal: string, security: SecurityConfig | undefined): Access {
    return new Access(principal, security?.authorizer ?? null);
  }

  /** Everything allowed (no --acl): for in-process callers and tests. */
  static readonly everything = new Access('User:ANONYMOUS', null);

  may(operation: AclOperation, resourceType: AclResourceType, name: string): boolean {
    return this.authorizer === null || this.authorizer.authorize(this.principal, operation, resourceType, name);
  }

  /** Topics: describe (implied by read, write, delete, alter). A topic without it is not shown at all. */
  seesTopic(topic: string): boolean {
    return this.may('describe', 'topic', topic);
  }

  seesGroup(group: string): boolean {
    return this.may('describe', 'group', group);
  }

  /** Broker-wide figures (API latencies, workers, the process) need describe on the cluster. */
  seesCluster(): boolean {
    return this.may('describe', 'cluster', CLUSTER);
  }
}
