/**
 * The security part of the metadata log (metadata-log.ts): ACL bindings created with CreateAcls
 * and SCRAM credentials set with AlterUserScramCredentials, kept as metadata events so that they
 * survive restarts, as KRaft keeps them in its metadata log. This file holds the event shapes and
 * the state they replay into; the authorizer and the SASL user store read it (src/server/security).
 * Owned by the MetadataLog's thread (the main thread); not thread-safe.
 */

/** One ACL, in Kafka's terms with Brook's names (what CreateAcls creates and DescribeAcls lists). */
export interface AclBinding {
  /** "User:alice", or "User:*" for every principal. */
  principal: string;
  /** Brook matches on principals only: always "*". */
  host: string;
  resourceType: 'topic' | 'group' | 'cluster';
  /** The name, prefix (prefixed), or "*" (literal wildcard). */
  resourceName: string;
  patternType: 'literal' | 'prefixed';
  operation: 'all' | 'read' | 'write' | 'create' | 'delete' | 'alter' | 'describe';
  permission: 'allow' | 'deny';
}

/** Kafka's ScramCredential for one user and mechanism; bytes as base64. */
export interface StoredScramCredential {
  user: string;
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  iterations: number;
  salt: string;
  storedKey: string;
  serverKey: string;
}

export type SecurityEvent =
  | { type: 'createAcl'; acl: AclBinding }
  | { type: 'deleteAcl'; acl: AclBinding }
  | { type: 'setScramCredential'; credential: StoredScramCredential }
  | { type: 'deleteScramCredential'; user: string; mechanism: StoredScramCredential['mechanism'] };

/** What the server reads and changes; the Broker hands out its MetadataLog as this. */
export interface SecurityMetadataStore {
  acls(): AclBinding[];
  scramCredentials(): StoredScramCredential[];
  /** Applies the events durably and atomically (one metadata log append, fsynced). */
  alterSecurity(events: SecurityEvent[]): void;
}

export function isSecurityEvent(event: { type: string }): event is SecurityEvent {
  return event.type === 'createAcl' || event.type === 'deleteAcl' || event.type === 'setScramCredential' || event.type === 'deleteScramCredential';
}

export function aclKey(acl: AclBinding): string {
  return [acl.principal, acl.host, acl.resourceType, acl.resourceName, acl.patternType, acl.operation, acl.permission].join('\u0000');
}

export class SecurityState {
  private readonly bindings = new Map<string, AclBinding>();
  private readonly credentials = new Map<string, StoredScramCredential>();

  acls(): AclBinding[] {
    return [...this.bindings.values()].map((acl) => ({ ...acl }));
  }

  scramCredentials(): StoredScramCredential[] {
    return [...this.credentials.values()].map((c) => ({ ...c }));
  }

  apply(event: SecurityEvent): void {
    switch (event.type) {
      case 'createAcl':
        this.bindings.set(aclKey(event.acl), { ...event.acl });
        break;
      case 'deleteAcl':
        this.bindings.delete(aclKey(event.acl));
        break;
      case 'setScramCredential':
        this.credentials.set(`${event.credential.mechanism}\u0000${event.credential.user}`, { ...event.credential });
        break;
      case 'deleteScramCredential':
        this.credentials.delete(`${event.mechanism}\u0000${event.user}`);
        break;
    }
  }
}
